/* SPDX-License-Identifier: GPL-2.0-or-later */
/* transport_dgram.c - QEMU -netdev dgram peers on a unix datagram socket.
 * Owns: DIR/NAME.dgram, telling clients apart by their address, when a
 * client attaches and detaches, the socket each client is answered on.
 * Not here: batched receive and send queues (frame.c), where a frame goes
 * (the port's network).
 *
 * How it works: one socket receives every client's frames (recvmmsg, with
 * senders). Each distinct sender address is one port: it attaches with its
 * first frame and detaches when a send to it fails with ECONNREFUSED or
 * ENOENT (its QEMU exited), when a periodic check finds its socket gone,
 * or after DGRAM_IDLE_SECONDS without a frame. A sender without an address
 * cannot be answered; its frames are dropped with one warning.
 *
 * Answers: QEMU sends with sendto() and never connect()s, so its receive
 * queue holds only net.unix.max_dgram_qlen (10) datagrams from us, and
 * poll() on an unconnected sender cannot say when there is room again. So
 * each client is answered on a socket of its own, connected to the
 * client's address: the kernel then wakes G_IO_OUT when the client's queue
 * drains. A client that connect()ed to us refuses datagrams from any other
 * socket (EPERM on connect); it is answered from our own socket (a dup, so
 * it has a watch of its own), where flow control is our send buffer.
 *
 * A refused attach (e.g. a nat network still has a NIC) is retried at most
 * every DGRAM_RETRY_SECONDS, after checking whether the clients we have are
 * still there; the refusal is logged once per client. */
#define G_LOG_DOMAIN "usernet-dgram"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "frame.h"
#include "transport.h"
#include "usernet/error.h"

#define DGRAM_IDLE_SECONDS 300
#define DGRAM_SWEEP_SECONDS 10
#define DGRAM_RETRY_SECONDS 5
#define DGRAM_MAX_CLIENTS 256

/* A client's address as recvfrom gave it. */
struct dgram_addr {
	socklen_t len;
	struct sockaddr_un sun;
};

struct dgram_endpoint {
	struct un_endpoint ep;   /* address: the socket path */
	int fd;
	struct un_watch *watch;
	GHashTable *clients;     /* struct dgram_addr * -> struct dgram_client * */
	struct dgram_client *last; /* the last sender, looked at first */
	guint sweep_id;
	gboolean warned_unbound, warned_full;
};

struct dgram_client {
	struct un_port port;
	struct dgram_endpoint *de;
	struct dgram_addr addr;
	int fd;                  /* connected to the client, or a dup of de->fd */
	gboolean via_endpoint;   /* fd is de->fd's: send with sendto(addr) */
	struct un_watch *watch;  /* G_IO_OUT while frames wait; kicked when gone */
	struct un_sendq q;
	gint64 last_rx_us;
	gboolean attached;
	gboolean warned_refused;
	gint64 retry_us;         /* refused: no new attempt before this */
};

static guint dgram_addr_hash(gconstpointer key)
{
	const struct dgram_addr *a = key;
	const uint8_t *p = (const uint8_t *)&a->sun;
	guint h = 2166136261u;

	for (socklen_t i = 0; i < a->len; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

static gboolean dgram_addr_equal(gconstpointer a, gconstpointer b)
{
	const struct dgram_addr *x = a, *y = b;

	return x->len == y->len && memcmp(&x->sun, &y->sun, x->len) == 0;
}

static const char *dgram_net(const struct dgram_client *c)
{
	return c->de->ep.network->name;
}

static void dgram_client_close(struct dgram_client *c, const char *why)
{
	struct dgram_endpoint *de = c->de;

	if (c->attached)
		g_info("network \"%s\": %s (%s) detached: %s", dgram_net(c),
		       c->port.name, c->port.peer, why);
	if (de->last == c)
		de->last = NULL;
	g_hash_table_remove(de->clients, &c->addr);
	if (c->attached)
		un_network_detach(&c->port);
	un_watch_free(c->watch);
	close(c->fd);
	un_sendq_clear(&c->q);
	un_port_clear(&c->port);
	g_free(c);
}

static void dgram_client_ready(void *opaque, GIOCondition revents)
{
	struct dgram_client *c = opaque;
	const struct sockaddr *to = c->via_endpoint ? (void *)&c->addr.sun : NULL;

	if (un_watch_gone(c->watch)) {
		dgram_client_close(c, g_strerror(un_watch_gone(c->watch)));
		return;
	}
	if (revents & G_IO_OUT)
		un_flush_settle(&c->port, c->watch,
				un_sendq_flush_dgram(&c->q, c->fd, to, c->addr.len));
}

static void dgram_port_send(struct un_port *p, const struct un_frame *f)
{
	struct dgram_client *c = container_of(p, struct dgram_client, port);
	const struct sockaddr *to = c->via_endpoint ? (void *)&c->addr.sun : NULL;

	un_send_settle(p, c->watch,
		       un_dgram_send(&c->q, c->fd, to, c->addr.len, f->data, f->len));
	p->counters.tx_acks_merged = c->q.acks_merged;
}

static const struct un_port_ops dgram_port_ops = {
	.transport = "dgram",
	.send = dgram_port_send,
};

/* The socket @c is answered on (see the file's opener); -1 with errno when
 * the client is already gone. */
static int dgram_client_socket(struct dgram_client *c)
{
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	un_socket_set_buffers(fd, UN_DGRAM_SOCKBUF_BYTES);
	if (connect(fd, (struct sockaddr *)&c->addr.sun, c->addr.len) == 0)
		return fd;
	close(fd);
	if (errno != EPERM)
		return -1;
	c->via_endpoint = TRUE;
	return fcntl(c->de->fd, F_DUPFD_CLOEXEC, 0);
}

static struct dgram_client *dgram_client_new(struct dgram_endpoint *de,
					     const struct dgram_addr *addr)
{
	struct dgram_client *c = g_new0(struct dgram_client, 1);
	g_autofree char *peer = un_sockaddr_describe((struct sockaddr *)&addr->sun,
						     addr->len);

	c->de = de;
	c->addr = *addr;
	c->fd = dgram_client_socket(c);
	if (c->fd < 0) {
		g_debug("network \"%s\": dgram client %s: cannot answer it: %s",
			de->ep.network->name, peer, g_strerror(errno));
		g_free(c);
		return NULL;
	}
	un_port_init(&c->port, &dgram_port_ops, peer);
	un_sendq_init(&c->q);
	un_sendq_set_limits(&c->q, de->ep.network->sendq_frames,
			    de->ep.network->sendq_bytes);
	c->watch = un_watch_new(c->fd, 0, dgram_client_ready, c,
				"usernet dgram client");
	g_hash_table_insert(de->clients, &c->addr, c);
	return c;
}

static gboolean dgram_client_alive(const struct dgram_client *c)
{
	return un_unix_alive(&c->addr.sun, c->addr.len, SOCK_DGRAM) != 0;
}

/* Close every attached client whose socket is gone; how many were. */
static guint dgram_close_dead(struct dgram_endpoint *de)
{
	g_autoptr(GList) all = g_hash_table_get_values(de->clients);
	guint closed = 0;

	for (GList *l = all; l != NULL; l = l->next) {
		struct dgram_client *c = l->data;

		if (c->attached && !dgram_client_alive(c)) {
			dgram_client_close(c, "its socket is gone");
			closed++;
		}
	}
	return closed;
}

static gboolean dgram_client_try_attach(struct dgram_client *c, GError **error)
{
	/* A refused attach leaves the port's name set; a retry names it anew. */
	g_clear_pointer(&c->port.name, g_free);
	return un_network_attach(c->de->ep.network, &c->port, "dgram", error);
}

static void dgram_client_attach(struct dgram_client *c, gint64 now)
{
	g_autoptr(GError) error = NULL;

	c->attached = dgram_client_try_attach(c, &error);
	if (!c->attached && dgram_close_dead(c->de) > 0) {
		g_clear_error(&error);
		c->attached = dgram_client_try_attach(c, &error);
	}
	if (c->attached)
		return;
	c->retry_us = now + DGRAM_RETRY_SECONDS * G_USEC_PER_SEC;
	if (!c->warned_refused)
		g_warning("%s; its frames are dropped until it is accepted "
			  "(tried again every " G_STRINGIFY(DGRAM_RETRY_SECONDS)
			  " s)", error->message);
	c->warned_refused = TRUE;
}

/* The client that sent @d, made and attached if new; NULL when it cannot
 * be answered. */
static struct dgram_client *dgram_client_for(struct dgram_endpoint *de,
					     const struct un_dgram *d, gint64 now)
{
	struct dgram_addr key = { .len = d->from_len };
	struct dgram_client *c;

	if (d->from_len <= offsetof(struct sockaddr_un, sun_path) ||
	    d->from_len > sizeof(key.sun)) {
		if (!de->warned_unbound)
			g_warning("network \"%s\": %s: frames from a socket "
				  "without an address cannot be answered and are "
				  "dropped: bind the client's socket (QEMU: "
				  "local.path=)", de->ep.network->name, de->ep.address);
		de->warned_unbound = TRUE;
		return NULL;
	}
	memcpy(&key.sun, d->from, d->from_len);
	c = de->last;
	if (c == NULL || !dgram_addr_equal(&c->addr, &key))
		c = g_hash_table_lookup(de->clients, &key);
	if (c == NULL && g_hash_table_size(de->clients) >= DGRAM_MAX_CLIENTS) {
		if (!de->warned_full)
			g_warning("network \"%s\": %s: %u clients already; frames "
				  "from new ones are dropped until some leave",
				  de->ep.network->name, de->ep.address,
				  DGRAM_MAX_CLIENTS);
		de->warned_full = TRUE;
		return NULL;
	}
	if (c == NULL && (c = dgram_client_new(de, &key)) == NULL)
		return NULL;
	c->last_rx_us = now;
	if (!c->attached && now >= c->retry_us)
		dgram_client_attach(c, now);
	de->last = c;
	return c;
}

static void dgram_ready(void *opaque, GIOCondition revents)
{
	struct dgram_endpoint *de = opaque;
	gint64 now = g_get_monotonic_time();
	int n = un_dgram_recv(de->fd);

	if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
		g_debug("network \"%s\": %s: receive: %s", de->ep.network->name,
			de->ep.address, g_strerror(errno));
	for (int i = 0; i < n; i++) {
		struct un_dgram d = un_dgram_at(i);
		struct dgram_client *c = dgram_client_for(de, &d, now);

		if (c == NULL || !c->attached)
			continue;
		if (d.len > UN_FRAME_MAX_BYTES)
			un_port_drop(&c->port, UN_DROP_OVERSIZED);
		else
			un_port_input(&c->port, d.data, d.len);
	}
}

/* Every DGRAM_SWEEP_SECONDS: drop clients that went quiet or away. */
static gboolean dgram_sweep(gpointer opaque)
{
	struct dgram_endpoint *de = opaque;
	g_autoptr(GList) all = g_hash_table_get_values(de->clients);
	gint64 idle_since = g_get_monotonic_time() -
			    DGRAM_IDLE_SECONDS * G_USEC_PER_SEC;

	for (GList *l = all; l != NULL; l = l->next) {
		struct dgram_client *c = l->data;

		if (c->last_rx_us < idle_since)
			dgram_client_close(c, "no frame for "
					   G_STRINGIFY(DGRAM_IDLE_SECONDS) " s");
		/* Refused clients too: vanished senders must not fill the
		 * table (DGRAM_MAX_CLIENTS) and lock out new ones for
		 * DGRAM_IDLE_SECONDS. */
		else if (!dgram_client_alive(c))
			dgram_client_close(c, "its socket is gone");
	}
	if (g_hash_table_size(de->clients) < DGRAM_MAX_CLIENTS)
		de->warned_full = FALSE;
	return G_SOURCE_CONTINUE;
}

static void dgram_close(struct un_endpoint *e)
{
	struct dgram_endpoint *de = container_of(e, struct dgram_endpoint, ep);
	g_autoptr(GList) all = g_hash_table_get_values(de->clients);

	for (GList *l = all; l != NULL; l = l->next)
		dgram_client_close(l->data, "endpoint closed");
	g_hash_table_destroy(de->clients);
	g_clear_handle_id(&de->sweep_id, g_source_remove);
	un_watch_free(de->watch);
	close(de->fd);
	if (unlink(e->address) < 0 && errno != ENOENT)
		g_warning("network \"%s\": cannot remove %s: %s",
			  e->network->name, e->address, g_strerror(errno));
	g_free(e->address);
	g_free(de);
}

static struct un_endpoint *dgram_open(struct un_network *n, const char *dir,
				      GError **error)
{
	g_autofree char *path = g_strdup_printf("%s/%s.dgram", dir, n->name);
	int fd = un_unix_bind(path, SOCK_DGRAM, error);
	struct dgram_endpoint *de;

	if (fd < 0)
		return NULL;
	un_socket_set_buffers(fd, UN_DGRAM_SOCKBUF_BYTES);
	de = g_new0(struct dgram_endpoint, 1);
	de->ep.ops = &un_transport_dgram;
	de->ep.network = n;
	de->ep.address = g_steal_pointer(&path);
	de->fd = fd;
	de->clients = g_hash_table_new(dgram_addr_hash, dgram_addr_equal);
	de->watch = un_watch_new(fd, G_IO_IN, dgram_ready, de,
				 "usernet dgram endpoint");
	de->sweep_id = g_timeout_add_seconds(DGRAM_SWEEP_SECONDS, dgram_sweep, de);
	return &de->ep;
}

static char *dgram_qemu_option(const struct un_endpoint *e)
{
	g_autofree char *path = un_qemu_quote(e->address);

	return g_strdup_printf("-netdev dgram,id=n0,local.type=unix,"
			       "local.path=/tmp/CLIENT.sock,remote.type=unix,"
			       "remote.path=%s", path);
}

const struct un_transport_ops un_transport_dgram = {
	.name = "dgram",
	.open = dgram_open,
	.qemu_option = dgram_qemu_option,
	.close = dgram_close,
};
