/* SPDX-License-Identifier: GPL-2.0-or-later */
/* transport_tap.c - taps handed to us: usernet-plug --netns ... DIR/NAME.tap.
 * Owns: the DIR/NAME.tap listener, each client's hello (tap_proto.c), one
 * port per handed-over tap, reading and writing that tap, closing the port
 * when the client's connection or the tap ends.
 * Not here: the hello's bytes and checks (tap_proto.c), making the tap in a
 * namespace (tools/usernet-plug.c), where a frame goes (the port's network).
 *
 * How it works: a client connects and sends the hello with the tap's file
 * descriptor. A tap that passes un_tap_check becomes a port; we answer
 * "ok NET/tap-N". From then on the daemon reads the tap (up to
 * TAP_READS_PER_WAKE frames per wake-up, one read() each) and writes each
 * frame to it with one write(). A tap takes whole frames and does not
 * block, so nothing waits past the wake-up: small frames are batched until
 * the loop is about to poll only so that queued pure ACKs of a connection
 * merge (frame.c, un_frame_send); a tap that is down refuses frames:
 * counted as send errors. The connection stays open; its end, or the tap
 * failing (its namespace deleted), closes the port. A client that sends a
 * bad hello, or none within TAP_HELLO_SECONDS, gets "error ..." and is
 * dropped with one log line; the network's `stats` counts it. A tap the
 * network's kind refuses (nat takes one NIC) gets "error ..." too, but is
 * no bad input and not counted. */
#define G_LOG_DOMAIN "usernet-tap"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "frame.h"
#include "tap_proto.h"
#include "transport.h"
#include "usernet/error.h"

#define TAP_HELLO_SECONDS 10
/* Frames read from one tap per wake-up, so other ports get a turn. */
#define TAP_READS_PER_WAKE 64

struct tap_endpoint {
	struct un_endpoint ep;   /* address: DIR/NAME.tap */
	int fd;                  /* listening */
	struct un_watch *watch;
	GList *clients;          /* struct tap_client * */
};

struct tap_client {
	struct un_port port;
	struct tap_endpoint *te;
	int ctl_fd;              /* the client's connection: the port's life */
	struct un_watch *ctl_watch;
	guint hello_id;          /* deadline for the hello */
	int tap_fd;              /* -1 until the hello is done */
	struct un_watch *tap_watch;
	struct un_sendq q;       /* this wake-up's frames to the tap */
	char tap_name[UN_TAP_NAME_BYTES];
	gboolean attached;
};

/* One frame read from a tap; shared, as every tap is read in turn. */
static uint8_t tap_buf[UN_FRAME_MAX_BYTES + 1];

static const char *tap_net(const struct tap_client *c)
{
	return c->te->ep.network->name;
}

static void tap_client_close(struct tap_client *c)
{
	c->te->clients = g_list_remove(c->te->clients, c);
	if (c->attached)
		un_network_detach(&c->port);
	g_clear_handle_id(&c->hello_id, g_source_remove);
	un_watch_free(c->ctl_watch);
	un_watch_free(c->tap_watch);
	un_sendq_clear(&c->q);
	close(c->ctl_fd);
	if (c->tap_fd >= 0)
		close(c->tap_fd);
	un_port_clear(&c->port);
	g_free(c);
}

/* Tell the client why, log one line, drop it. */
static void tap_client_refuse(struct tap_client *c, const char *why)
{
	g_autofree char *line = g_strdup_printf("error %s\n", why);

	g_warning("network \"%s\": tap client %s: %s; dropping it", tap_net(c),
		  c->port.peer, why);
	(void)!send(c->ctl_fd, line, strlen(line), MSG_DONTWAIT | MSG_NOSIGNAL);
	tap_client_close(c);
}

/* A client that broke the hand-off: refused, and counted in stats. */
static void tap_client_bad(struct tap_client *c, const char *why)
{
	g_autofree char *hint = g_strdup_printf("%s (is it usernet-plug with a "
						"DIR/NAME.tap endpoint?)", why);

	c->te->ep.clients_dropped++;
	tap_client_refuse(c, hint);
}

/* The tap refused a frame (errno says why): counted; a tap gone
 * (EBADFD: its namespace deleted) is closed from the loop. */
static void tap_write_failed(struct tap_client *c)
{
	int err = errno;

	un_port_drop(&c->port, err == EAGAIN ? UN_DROP_QUEUE_FULL : UN_DROP_SEND_ERROR);
	if (err == EBADFD)
		un_watch_kick(c->tap_watch);
}

static void tap_flush(struct tap_client *c)
{
	while (un_sendq_flush_frames(&c->q, c->tap_fd) == UN_SEND_FAILED)
		tap_write_failed(c);
}

static void tap_port_send(struct un_port *p, const struct un_frame *f)
{
	struct tap_client *c = container_of(p, struct tap_client, port);

	switch (un_frame_send(&c->q, c->tap_fd, f->data, f->len)) {
	case UN_SEND_BATCHED:
		un_watch_flush_soon(c->tap_watch);
		break;
	case UN_SEND_FULL:
		un_port_drop(p, UN_DROP_QUEUE_FULL);
		break;
	case UN_SEND_FAILED:
		tap_write_failed(c);
		break;
	case UN_SEND_DONE:
	case UN_SEND_QUEUED: /* a tap never makes a frame wait */
		break;
	}
	p->counters.tx_acks_merged = c->q.acks_merged;
}

static const struct un_port_ops tap_port_ops = {
	.transport = "tap",
	.send = tap_port_send,
};

static void tap_client_tap_ready(void *opaque, GIOCondition revents)
{
	struct tap_client *c = opaque;

	if (revents == G_IO_OUT) { /* the loop flushes this wake-up's sends */
		tap_flush(c);
		return;
	}
	for (int i = 0; i < TAP_READS_PER_WAKE; i++) {
		ssize_t n = read(c->tap_fd, tap_buf, sizeof(tap_buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			g_info("network \"%s\": %s (%s): tap %s is gone: %s",
			       tap_net(c), c->port.name, c->port.peer,
			       c->tap_name, n < 0 ? g_strerror(errno) : "end of file");
			tap_client_close(c);
			return;
		}
		if ((size_t)n > UN_FRAME_MAX_BYTES)
			un_port_drop(&c->port, UN_DROP_OVERSIZED);
		else
			un_port_input(&c->port, tap_buf, (size_t)n);
	}
}

/* A good hello: check the tap, attach, answer. */
static void tap_client_start(struct tap_client *c, int tap_fd)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *ok = NULL;
	char *peer;

	c->tap_fd = tap_fd;
	if (!un_tap_check(tap_fd, c->tap_name, &error)) {
		tap_client_bad(c, error->message);
		return;
	}
	peer = g_strdup_printf("%s, tap %s", c->port.peer, c->tap_name);
	g_free(c->port.peer);
	c->port.peer = peer;
	if (!un_network_attach(c->te->ep.network, &c->port, "tap", &error)) {
		tap_client_refuse(c, error->message);
		return;
	}
	c->attached = TRUE;
	un_sendq_init(&c->q);
	un_sendq_set_limits(&c->q, c->te->ep.network->sendq_frames,
			    c->te->ep.network->sendq_bytes);
	c->tap_watch = un_watch_new(tap_fd, G_IO_IN, tap_client_tap_ready, c,
				    "usernet tap port");
	ok = g_strdup_printf("ok %s\n", c->port.name);
	if (send(c->ctl_fd, ok, strlen(ok), MSG_DONTWAIT | MSG_NOSIGNAL) !=
	    (ssize_t)strlen(ok)) {
		g_warning("network \"%s\": %s (%s): cannot answer: %s; closing it",
			  tap_net(c), c->port.name, c->port.peer, g_strerror(errno));
		tap_client_close(c);
		return;
	}
	g_info("network \"%s\": %s attached (%s)", tap_net(c), c->port.name,
	       c->port.peer);
}

static void tap_client_hello(struct tap_client *c)
{
	g_autoptr(GError) error = NULL;
	int tap_fd = -1;
	int r = un_tap_hello_recv(c->ctl_fd, &tap_fd, &error);

	if (r == 0)
		return;
	g_clear_handle_id(&c->hello_id, g_source_remove);
	if (r < 0 && error->code == UN_ERROR_IO) {
		g_debug("network \"%s\": tap client %s: %s", tap_net(c),
			c->port.peer, error->message);
		tap_client_close(c);
		return;
	}
	if (r < 0) {
		tap_client_bad(c, error->message);
		return;
	}
	tap_client_start(c, tap_fd);
}

static void tap_client_ctl_ready(void *opaque, GIOCondition revents)
{
	struct tap_client *c = opaque;
	char sink[256];
	ssize_t n;

	if (c->tap_fd < 0) {
		tap_client_hello(c);
		return;
	}
	n = recv(c->ctl_fd, sink, sizeof(sink), MSG_DONTWAIT);
	if (n > 0 || (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK ||
				errno == EINTR)))
		return;
	g_info("network \"%s\": %s (%s) closed its connection%s%s", tap_net(c),
	       c->port.name, c->port.peer, n < 0 ? ": " : "",
	       n < 0 ? g_strerror(errno) : "");
	tap_client_close(c);
}

static gboolean tap_client_timeout(gpointer opaque)
{
	struct tap_client *c = opaque;

	c->hello_id = 0;
	tap_client_bad(c, "no hello within " G_STRINGIFY(TAP_HELLO_SECONDS) " s");
	return G_SOURCE_REMOVE;
}

static void tap_accept(void *opaque, GIOCondition revents)
{
	struct tap_endpoint *te = opaque;
	g_autofree char *what = g_strdup_printf("network \"%s\": %s",
						te->ep.network->name,
						te->ep.address);
	int fd = un_accept(te->fd, te->watch, what);
	g_autofree char *peer = NULL;
	struct tap_client *c;

	if (fd < 0)
		return;
	peer = un_peer_describe(fd);
	c = g_new0(struct tap_client, 1);
	c->te = te;
	c->ctl_fd = fd;
	c->tap_fd = -1;
	un_port_init(&c->port, &tap_port_ops, peer);
	c->ctl_watch = un_watch_new(fd, G_IO_IN, tap_client_ctl_ready, c,
				    "usernet tap client");
	c->hello_id = g_timeout_add_seconds(TAP_HELLO_SECONDS,
					    tap_client_timeout, c);
	te->clients = g_list_prepend(te->clients, c);
}

static void tap_close(struct un_endpoint *e)
{
	struct tap_endpoint *te = container_of(e, struct tap_endpoint, ep);

	while (te->clients != NULL)
		tap_client_close(te->clients->data);
	un_watch_free(te->watch);
	if (te->fd >= 0) {
		close(te->fd);
		if (unlink(e->address) < 0 && errno != ENOENT)
			g_warning("network \"%s\": cannot remove %s: %s",
				  e->network->name, e->address, g_strerror(errno));
	}
	g_free(e->address);
	g_free(te);
}

static struct un_endpoint *tap_open(struct un_network *n, const char *dir,
				    GError **error)
{
	struct tap_endpoint *te = g_new0(struct tap_endpoint, 1);

	te->ep.ops = &un_transport_tap;
	te->ep.network = n;
	te->ep.address = g_strdup_printf("%s/%s.tap", dir, n->name);
	te->fd = un_unix_bind(te->ep.address, SOCK_STREAM, error);
	if (te->fd < 0) {
		tap_close(&te->ep);
		return NULL;
	}
	if (listen(te->fd, SOMAXCONN) < 0) {
		g_set_error(error, UN_ERROR, UN_ERROR_IO, "%s: cannot listen: %s",
			    te->ep.address, g_strerror(errno));
		tap_close(&te->ep);
		return NULL;
	}
	te->watch = un_watch_new(te->fd, G_IO_IN, tap_accept, te,
				 "usernet tap listener");
	return &te->ep;
}

static char *tap_plug_command(const struct un_endpoint *e)
{
	g_autofree char *path = g_shell_quote(e->address);

	return g_strdup_printf("usernet-plug --netns PID|PATH %s", path);
}

const struct un_transport_ops un_transport_tap = {
	.name = "tap",
	.open = tap_open,
	.plug_command = tap_plug_command,
	.close = tap_close,
};
