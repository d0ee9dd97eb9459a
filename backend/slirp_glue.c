/* SPDX-License-Identifier: GPL-2.0-or-later */
/* slirp_glue.c - libslirp as the NAT router engine, on the GLib main loop.
 * Owns: the SlirpCb table, the GSource that fills and polls libslirp's
 * sockets, libslirp's timers, binding host and guest forwards, the
 * guestfwd relays to host TCP services, and every SLIRP_CHECK_VERSION
 * gate. The only file that includes <libslirp.h>.
 * Not here: what a frame must be before libslirp sees it (ip_guard.c),
 * option syntax (router_config.c), where frames go (the kind's output).
 *
 * How it works: one GSource per router on the default main context. Its
 * prepare calls slirp_pollfds_fill: each socket libslirp names becomes a
 * GPollFD of the source (kept while named again, removed at the first
 * prepare that no longer names it) and libslirp's timeout (at most 1 s)
 * becomes the source's. check says whether a socket is ready or the
 * timeout has passed; dispatch calls slirp_pollfds_poll. libslirp's timers
 * (router advertisements) are GLib timeouts that call slirp_handle_timer.
 * Every guest frame goes through the ip_guard first; fragments are
 * reassembled there and never reach libslirp. A repeated SYN loses its
 * MSS option (syn_guard.c), which in libslirp would empty the
 * connection's buffers. A host socket fed several guest segments in one
 * wake-up is corked until the next poll (tcp_cork.c): one write per
 * burst. A guest TCP connection gets a window past libslirp's 64 KiB
 * (tcp_window.c): its segments past libslirp's own window wait there and
 * go in as soon as libslirp's ACK makes room, after each call into
 * libslirp. Frames libslirp sends are padded to 60 bytes, as QEMU pads
 * them for its NICs.
 * guestfwd ...-tcp:HOST:PORT opens one connection to HOST:PORT (at start,
 * and again when the guest sends after it closed) that carries the bytes
 * of the guest's connection to the forward, as QEMU's tcp chardev does;
 * reading from the host pauses while libslirp cannot take more.
 * Host sockets are bounded (host_sockets.c counts libslirp's through
 * register/unregister_poll_fd): a guest frame that would open one past
 * max-host-sockets is dropped and counted as table-full; out of
 * descriptors (EMFILE, ENFILE) libslirp refuses it itself. A forward's
 * listener is then not polled for a second, so a pending accept cannot
 * spin the loop; existing connections carry on. */
#define G_LOG_DOMAIN "usernet-slirp"

#include <libslirp.h>

#include <errno.h>
#include <gio/gio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "host_sockets.h"
#include "ip_guard.h"
#include "json_member.h"
#include "ratelimit.h"
#include "syn_guard.h"
#include "tcp_cork.h"
#include "tcp_window.h"
#include "usernet/error.h"
#include "usernet/network.h"
#include "usernet/router.h"

#if !SLIRP_CHECK_VERSION(4, 5, 0)
#error "usernet needs libslirp 4.5 or later (slirp_add_hostxfwd)"
#endif

#define ETH_MIN_FRAME_BYTES 60u   /* without FCS */
#define GUEST_ERROR_INTERVAL_US (10 * G_USEC_PER_SEC)
#define RELAY_PENDING_MAX_BYTES (4u * 1024u * 1024u)
#define RELAY_READ_BYTES 16384u
#define TCP_WINDOW_HELD_BYTES_MAX (32u * 1024u * 1024u)

struct router_source {
	GSource base;
	struct un_router *r;
};

struct router_poll {
	GPollFD pfd;
	guint gen;           /* the fill that last named it */
	gboolean listener;   /* a forward's listening socket */
	gint64 held_until_us; /* not accepting from it until then */
};

struct router_timer {
	struct un_router *r;
#if SLIRP_CHECK_VERSION(4, 7, 0)
	SlirpTimerId id;
#else
	SlirpTimerCb cb;
#endif
	void *cb_opaque;
	guint source;
};

/* A guestfwd to a host TCP service. */
struct router_relay {
	struct un_router *r;
	char *rule, *target;     /* target: HOST:PORT */
	struct in_addr addr;     /* the forward's address, as libslirp chose it */
	int port;
	GCancellable *cancel;    /* of the connect under way */
	GSocketConnection *conn; /* NULL while connecting or closed */
	GSource *in_src;         /* reading the host while the guest can take it */
	GSource *out_src;        /* waiting for room while pending holds bytes */
	GByteArray *pending;     /* guest bytes not yet written to the host */
	gboolean overflowed;     /* warned about a full pending buffer */
};

struct un_router {
	char *name;
	Slirp *slirp;
	un_router_output_fn output;
	void *opaque;
	GSource *source;
	GHashTable *polls;  /* fd -> struct router_poll * in the source */
	GPtrArray *polled;  /* struct router_poll * by libslirp's index */
	guint gen;
	gint64 deadline_us; /* when libslirp wants to be polled anyway */
	struct un_ip_guard *guard;
	guint guard_timer;
	struct un_network *network; /* of the ports that send to it, once known */
	GPtrArray *relays;     /* struct router_relay * */
	GPtrArray *unix_paths; /* sockets of unix hostfwds, to unlink */
	GArray *hostfwds;      /* struct un_hostfwd copies of those bound */
	GArray *guestfwd_at;   /* struct sockaddr_in of each guestfwd */
	struct sockaddr_in outbound4;
	struct sockaddr_in6 outbound6;
	struct in_addr net, mask;
	struct un_ratelimit guest_error_log;
	struct un_host_sockets *host_sockets; /* the max-host-sockets bound */
	struct un_syn_guard *syn_guard;       /* repeated SYNs */
	struct un_tcp_cork *cork;             /* one host write per burst */
	struct un_tcp_window *window;         /* more than 64 KiB in flight */
};

/* ---- the GSource ---- */

static const struct {
	int slirp;
	GIOCondition gio;
} poll_events[] = {
	{ SLIRP_POLL_IN, G_IO_IN },   { SLIRP_POLL_OUT, G_IO_OUT },
	{ SLIRP_POLL_PRI, G_IO_PRI }, { SLIRP_POLL_ERR, G_IO_ERR },
	{ SLIRP_POLL_HUP, G_IO_HUP },
};

static int slirp_to_gio(int events)
{
	int out = 0;

	for (size_t i = 0; i < G_N_ELEMENTS(poll_events); i++)
		if (events & poll_events[i].slirp)
			out |= (int)poll_events[i].gio;
	return out;
}

static int gio_to_slirp(int events)
{
	int out = 0;

	for (size_t i = 0; i < G_N_ELEMENTS(poll_events); i++)
		if (events & (int)poll_events[i].gio)
			out |= poll_events[i].slirp;
	return out;
}

/* SlirpAddPollCb: watch @fd until the next fill. */
static int router_add_poll(int fd, int events, void *opaque)
{
	struct un_router *r = opaque;
	struct router_poll *p = g_hash_table_lookup(r->polls, GINT_TO_POINTER(fd));

	if (!p) {
		int listening = 0;
		socklen_t len = sizeof(listening);

		p = g_new0(struct router_poll, 1);
		p->pfd.fd = fd;
		p->listener = getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening,
					 &len) == 0 && listening;
		/* libslirp listens with a backlog of 1: concurrent clients of
		 * a forward then lose SYNs and back off for seconds. */
		if (p->listener && listen(fd, SOMAXCONN) < 0)
			g_debug("router %s: forward listener backlog: %s",
				r->name, g_strerror(errno));
		g_source_add_poll(r->source, &p->pfd);
		g_hash_table_insert(r->polls, GINT_TO_POINTER(fd), p);
	}
	if (p->gen != r->gen)
		p->pfd.events = 0;
	p->pfd.events |= (gushort)slirp_to_gio(events);
	if (p->listener && p->held_until_us > g_get_monotonic_time())
		p->pfd.events &= (gushort)~G_IO_IN;
	p->gen = r->gen;
	g_ptr_array_add(r->polled, p);
	return (int)r->polled->len - 1;
}

/* SlirpGetREventsCb */
static int router_get_revents(int idx, void *opaque)
{
	struct un_router *r = opaque;
	struct router_poll *p;

	if (idx < 0 || (guint)idx >= r->polled->len)
		return 0;
	p = g_ptr_array_index(r->polled, idx);
	return gio_to_slirp(p->pfd.revents);
}

static gboolean router_poll_stale(gpointer key, gpointer value, gpointer data)
{
	struct un_router *r = data;
	struct router_poll *p = value;

	if (p->gen == r->gen)
		return FALSE;
	g_source_remove_poll(r->source, &p->pfd);
	return TRUE; /* freed by the table */
}

static gboolean source_prepare(GSource *base, gint *timeout)
{
	struct un_router *r = ((struct router_source *)base)->r;
	uint32_t ms = UINT32_MAX;

	un_tcp_cork_flush(r->cork); /* before polling: bursts leave now */
	r->gen++;
	g_ptr_array_set_size(r->polled, 0);
	slirp_pollfds_fill(r->slirp, &ms, router_add_poll, r);
	g_hash_table_foreach_remove(r->polls, router_poll_stale, r);
	if (ms == UINT32_MAX) {
		*timeout = -1;
		r->deadline_us = G_MAXINT64;
		return FALSE;
	}
	*timeout = (gint)MIN(ms, (uint32_t)G_MAXINT);
	r->deadline_us = g_source_get_time(base) + (gint64)ms * 1000;
	return ms == 0;
}

static gboolean source_check(GSource *base)
{
	struct un_router *r = ((struct router_source *)base)->r;

	for (guint i = 0; i < r->polled->len; i++) {
		const struct router_poll *p = g_ptr_array_index(r->polled, i);

		if (p->pfd.revents)
			return TRUE;
	}
	return g_source_get_time(base) >= r->deadline_us;
}

static void router_relays_kick(struct un_router *r);

/* A listener with a connection pending while no socket can be had: hold
 * it for a second rather than let libslirp's accept fail at once again. */
static void router_listeners_hold(struct un_router *r)
{
	for (guint i = 0; i < r->polled->len; i++) {
		struct router_poll *p = g_ptr_array_index(r->polled, i);

		if (!p->listener || !(p->pfd.revents & G_IO_IN) ||
		    !un_host_sockets_full(r->host_sockets, p->pfd.fd))
			continue;
		p->pfd.revents &= (gushort)~G_IO_IN;
		p->held_until_us = g_get_monotonic_time() + G_USEC_PER_SEC;
	}
}

static void router_release_held(struct un_router *r);

static gboolean source_dispatch(GSource *base, GSourceFunc cb, gpointer data)
{
	struct un_router *r = ((struct router_source *)base)->r;

	router_listeners_hold(r);
	slirp_pollfds_poll(r->slirp, 0, router_get_revents, r);
	un_tcp_window_poll_done(r->window);
	router_release_held(r);
	g_ptr_array_set_size(r->polled, 0);
	router_relays_kick(r);
	return G_SOURCE_CONTINUE;
}

static GSourceFuncs router_source_funcs = {
	.prepare = source_prepare,
	.check = source_check,
	.dispatch = source_dispatch,
};

/* ---- libslirp's callbacks ---- */

static ssize_t cb_send_packet(const void *buf, size_t len, void *opaque)
{
	struct un_router *r = opaque;
	uint8_t padded[ETH_MIN_FRAME_BYTES] = { 0 };
	struct un_frame f;
	size_t sent = len;

	un_tcp_cork_output(r->cork, buf, len);
	un_tcp_window_to_guest(r->window, buf, len, &f.data, &f.len);
	if (f.len == 0) /* libslirp's answer to tcp_window's probe */
		return (ssize_t)sent;
	if (f.len < ETH_MIN_FRAME_BYTES) {
		memcpy(padded, f.data, f.len);
		f = (struct un_frame){ padded, sizeof(padded) };
	}
	r->output(r->opaque, &f);
	return (ssize_t)sent;
}

static void cb_guest_error(const char *msg, void *opaque)
{
	struct un_router *r = opaque;
	guint64 held;

	if (!un_ratelimit_pass(&r->guest_error_log, GUEST_ERROR_INTERVAL_US,
			       g_get_monotonic_time(), &held))
		return;
	g_warning("network \"%s\": guest error: %s (%" G_GUINT64_FORMAT
		  " more in the last %d s not shown)",
		  r->name, msg, held,
		  (int)(GUEST_ERROR_INTERVAL_US / G_USEC_PER_SEC));
}

static int64_t cb_clock_get_ns(void *opaque)
{
	return g_get_monotonic_time() * 1000;
}

static gboolean router_timer_fire(gpointer data)
{
	struct router_timer *t = data;

	t->source = 0;
#if SLIRP_CHECK_VERSION(4, 7, 0)
	slirp_handle_timer(t->r->slirp, t->id, t->cb_opaque);
#else
	t->cb(t->cb_opaque);
#endif
	router_release_held(t->r);
	return G_SOURCE_REMOVE;
}

static struct router_timer *router_timer_new(void *opaque, void *cb_opaque)
{
	struct router_timer *t = g_new0(struct router_timer, 1);

	t->r = opaque;
	t->cb_opaque = cb_opaque;
	return t;
}

#if SLIRP_CHECK_VERSION(4, 7, 0)
static void cb_init_completed(Slirp *slirp, void *opaque)
{
	struct un_router *r = opaque;

	r->slirp = slirp;
}

static void *cb_timer_new_opaque(SlirpTimerId id, void *cb_opaque,
				 void *opaque)
{
	struct router_timer *t = router_timer_new(opaque, cb_opaque);

	t->id = id;
	return t;
}
#else
static void *cb_timer_new(SlirpTimerCb cb, void *cb_opaque, void *opaque)
{
	struct router_timer *t = router_timer_new(opaque, cb_opaque);

	t->cb = cb;
	return t;
}
#endif

static void cb_timer_free(void *timer, void *opaque)
{
	struct router_timer *t = timer;

	g_clear_handle_id(&t->source, g_source_remove);
	g_free(t);
}

/* @expire_ms is on cb_clock_get_ns's clock, in milliseconds. */
static void cb_timer_mod(void *timer, int64_t expire_ms, void *opaque)
{
	struct router_timer *t = timer;
	int64_t delay = expire_ms - g_get_monotonic_time() / 1000;

	g_clear_handle_id(&t->source, g_source_remove);
	t->source = g_timeout_add((guint)CLAMP(delay, 0, G_MAXINT),
				  router_timer_fire, t);
}

/* Polling picks sockets up at the next fill and drops them at the first
 * fill that no longer names them; these count them for the bound. */
static void cb_register_poll_fd(int fd, void *opaque)
{
	struct un_router *r = opaque;

	un_host_sockets_opened(r->host_sockets, fd);
	un_tcp_cork_opened(r->cork, fd);
}

static void cb_unregister_poll_fd(int fd, void *opaque)
{
	struct un_router *r = opaque;

	un_host_sockets_closed(r->host_sockets, fd);
	un_tcp_cork_closed(r->cork, fd);
}

/* libslirp can take guestfwd data again. */
static void cb_notify(void *opaque)
{
	router_relays_kick(opaque);
}

static const SlirpCb router_callbacks = {
	.send_packet = cb_send_packet,           /* frame to the guest side */
	.guest_error = cb_guest_error,           /* rate-limited warning */
	.clock_get_ns = cb_clock_get_ns,         /* monotonic clock */
#if SLIRP_CHECK_VERSION(4, 7, 0)
	.init_completed = cb_init_completed,     /* Slirp * before any timer */
	.timer_new_opaque = cb_timer_new_opaque, /* fires slirp_handle_timer */
#else
	.timer_new = cb_timer_new,               /* fires cb(cb_opaque) */
#endif
	.timer_free = cb_timer_free,
	.timer_mod = cb_timer_mod,               /* GLib timeout */
	.register_poll_fd = cb_register_poll_fd, /* host socket count */
	.unregister_poll_fd = cb_unregister_poll_fd,
	.notify = cb_notify,                     /* relays may read again */
};

/* ---- guestfwd relays to a host TCP service ---- */

static void relay_close(struct router_relay *rl)
{
	if (rl->in_src)
		g_source_destroy(rl->in_src);
	g_clear_pointer(&rl->in_src, g_source_unref);
	if (rl->out_src)
		g_source_destroy(rl->out_src);
	g_clear_pointer(&rl->out_src, g_source_unref);
	if (rl->conn)
		g_io_stream_close(G_IO_STREAM(rl->conn), NULL, NULL);
	g_clear_object(&rl->conn);
	g_byte_array_set_size(rl->pending, 0);
}

static void relay_free(gpointer data)
{
	struct router_relay *rl = data;

	g_cancellable_cancel(rl->cancel);
	relay_close(rl);
	g_clear_object(&rl->cancel);
	g_byte_array_unref(rl->pending);
	g_free(rl->rule);
	g_free(rl->target);
	g_free(rl);
}

static GSocket *relay_socket(struct router_relay *rl)
{
	return g_socket_connection_get_socket(rl->conn);
}

/* Host bytes into the guest connection, as much as libslirp takes. */
static gboolean relay_readable(GSocket *sock, GIOCondition cond, gpointer data)
{
	struct router_relay *rl = data;
	Slirp *slirp = rl->r->slirp;
	size_t room = slirp_socket_can_recv(slirp, rl->addr, rl->port);
	g_autoptr(GError) err = NULL;
	uint8_t buf[RELAY_READ_BYTES];
	gssize n;

	if (room == 0) {
		g_clear_pointer(&rl->in_src, g_source_unref);
		return G_SOURCE_REMOVE; /* until cb_notify or the next poll */
	}
	n = g_socket_receive(sock, (char *)buf, MIN(room, sizeof(buf)), NULL, &err);
	if (n > 0) {
		slirp_socket_recv(slirp, rl->addr, rl->port, buf, (int)n);
		return G_SOURCE_CONTINUE;
	}
	if (n < 0 && g_error_matches(err, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
		return G_SOURCE_CONTINUE;
	g_info("guestfwd %s: %s %s; reconnecting when the guest sends again",
	       rl->rule, rl->target, n == 0 ? "closed the connection" : err->message);
	relay_close(rl);
	return G_SOURCE_REMOVE;
}

/* Read from the host again if libslirp has room for it. */
static void relay_kick(struct router_relay *rl)
{
	if (!rl->conn || rl->in_src ||
	    slirp_socket_can_recv(rl->r->slirp, rl->addr, rl->port) == 0)
		return;
	rl->in_src = g_socket_create_source(relay_socket(rl),
					    G_IO_IN | G_IO_HUP | G_IO_ERR, NULL);
	g_source_set_callback(rl->in_src, G_SOURCE_FUNC(relay_readable), rl, NULL);
	g_source_attach(rl->in_src, NULL);
}

static void router_relays_kick(struct un_router *r)
{
	for (guint i = 0; i < r->relays->len; i++)
		relay_kick(g_ptr_array_index(r->relays, i));
}

/* Write what is pending; FALSE when the connection failed (and closed). */
static gboolean relay_flush(struct router_relay *rl)
{
	g_autoptr(GError) err = NULL;
	gssize n;

	if (!rl->pending->len)
		return TRUE;
	n = g_socket_send(relay_socket(rl), (const char *)rl->pending->data,
			  rl->pending->len, NULL, &err);
	if (n < 0 && !g_error_matches(err, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)) {
		g_warning("guestfwd %s: writing to %s: %s", rl->rule, rl->target,
			  err->message);
		relay_close(rl);
		return FALSE;
	}
	if (n > 0)
		g_byte_array_remove_range(rl->pending, 0, (guint)n);
	return TRUE;
}

static gboolean relay_writable(GSocket *sock, GIOCondition cond, gpointer data)
{
	struct router_relay *rl = data;

	if (!relay_flush(rl))
		return G_SOURCE_REMOVE;
	if (rl->pending->len)
		return G_SOURCE_CONTINUE;
	g_clear_pointer(&rl->out_src, g_source_unref);
	return G_SOURCE_REMOVE;
}

static void relay_wait_writable(struct router_relay *rl)
{
	if (!rl->conn || rl->out_src || !rl->pending->len)
		return;
	rl->out_src = g_socket_create_source(relay_socket(rl), G_IO_OUT, NULL);
	g_source_set_callback(rl->out_src, G_SOURCE_FUNC(relay_writable), rl, NULL);
	g_source_attach(rl->out_src, NULL);
}

static void relay_connected(GObject *client, GAsyncResult *res, gpointer data)
{
	g_autoptr(GError) err = NULL;
	GSocketConnection *conn = g_socket_client_connect_to_host_finish(
		G_SOCKET_CLIENT(client), res, &err);
	struct router_relay *rl = data;

	if (g_error_matches(err, G_IO_ERROR, G_IO_ERROR_CANCELLED))
		return; /* @rl may be gone */
	g_clear_object(&rl->cancel);
	if (!conn) {
		g_warning("guestfwd %s: cannot connect to %s: %s; trying again when the guest sends",
			  rl->rule, rl->target, err->message);
		g_byte_array_set_size(rl->pending, 0);
		return;
	}
	rl->conn = conn;
	rl->overflowed = FALSE;
	g_socket_set_blocking(relay_socket(rl), FALSE);
	if (relay_flush(rl)) {
		relay_wait_writable(rl);
		relay_kick(rl);
	}
}

static void relay_connect(struct router_relay *rl)
{
	g_autoptr(GSocketClient) client = NULL;

	if (rl->conn || rl->cancel)
		return;
	client = g_socket_client_new();
	rl->cancel = g_cancellable_new();
	g_socket_client_connect_to_host_async(client, rl->target, 0, rl->cancel,
					      relay_connected, rl);
}

/* SlirpWriteCb: guest bytes for the host. Never blocks: bytes wait in
 * pending (up to RELAY_PENDING_MAX_BYTES; more are dropped, once warned). */
static ssize_t relay_write(const void *buf, size_t len, void *opaque)
{
	struct router_relay *rl = opaque;

	if (rl->pending->len + len > RELAY_PENDING_MAX_BYTES) {
		if (!rl->overflowed)
			g_warning("guestfwd %s: %s is not reading; dropping guest data",
				  rl->rule, rl->target);
		rl->overflowed = TRUE;
		return (ssize_t)len;
	}
	g_byte_array_append(rl->pending, buf, (guint)len);
	if (!rl->conn) {
		relay_connect(rl);
		return (ssize_t)len;
	}
	if (!rl->out_src && relay_flush(rl))
		relay_wait_writable(rl);
	return (ssize_t)len;
}

static int relay_add(struct un_router *r, const struct un_guestfwd *fwd,
		     struct in_addr *addr)
{
	struct router_relay *rl = g_new0(struct router_relay, 1);

	rl->r = r;
	rl->rule = g_strdup(fwd->rule);
	rl->target = g_strdup(fwd->arg);
	rl->port = fwd->port;
	rl->pending = g_byte_array_new();
	if (slirp_add_guestfwd(r->slirp, relay_write, rl, addr, fwd->port) < 0) {
		relay_free(rl);
		return -1;
	}
	rl->addr = *addr;
	g_ptr_array_add(r->relays, rl);
	relay_connect(rl);
	return 0;
}

/* ---- forwards ---- */

/* "127.0.0.1:2222", "[::1]:8022" or a socket path; g_free. */
static char *sockaddr_str(const struct sockaddr_storage *ss)
{
	char b[INET6_ADDRSTRLEN];
	const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;

	switch (ss->ss_family) {
	case AF_INET:
		inet_ntop(AF_INET, &sin->sin_addr, b, sizeof(b));
		return g_strdup_printf("%s:%u", b, ntohs(sin->sin_port));
	case AF_INET6:
		inet_ntop(AF_INET6, &sin6->sin6_addr, b, sizeof(b));
		return g_strdup_printf("[%s]:%u", b, ntohs(sin6->sin6_port));
	default:
		return g_strdup(((const struct sockaddr_un *)ss)->sun_path);
	}
}

/* As QEMU: a socket left at the path is replaced, anything else refused. */
static gboolean hostfwd_unix_prepare(const struct un_hostfwd *fwd,
				     GError **error)
{
	const char *path = ((const struct sockaddr_un *)&fwd->host)->sun_path;
	struct stat st;

#if !SLIRP_CHECK_VERSION(4, 7, 0)
	g_set_error(error, UN_ERROR, UN_ERROR_CONFIG,
		    "hostfwd %s: unix forwards need libslirp 4.7 or later", fwd->rule);
	return FALSE;
#endif
	if (stat(path, &st) != 0)
		return TRUE;
	if (!S_ISSOCK(st.st_mode)) {
		g_set_error(error, UN_ERROR, UN_ERROR_BUSY,
			    "hostfwd %s: %s exists and is not a socket; remove it or pick another path",
			    fwd->rule, path);
		return FALSE;
	}
	if (unlink(path) != 0) {
		g_set_error(error, UN_ERROR, UN_ERROR_IO,
			    "hostfwd %s: cannot replace %s: %s", fwd->rule, path,
			    g_strerror(errno));
		return FALSE;
	}
	return TRUE;
}

static void hostfwd_bind_error(const struct un_hostfwd *fwd, int e,
			       GError **error)
{
	g_autofree char *where = sockaddr_str(&fwd->host);

	if (e == EADDRINUSE)
		g_set_error(error, UN_ERROR, UN_ERROR_BUSY,
			    "hostfwd %s: %s is in use; pick another host port or stop what holds it",
			    fwd->rule, where);
	else
		g_set_error(error, UN_ERROR, UN_ERROR_IO,
			    "hostfwd %s: cannot listen on %s: %s%s", fwd->rule,
			    where, g_strerror(e),
			    e == EACCES ? " (ports below 1024 need privileges; pick a higher one)" : "");
}

/* The index of the forward in r->hostfwds listening where @fwd would,
 * or -1. */
static gint router_hostfwd_index(struct un_router *r,
				 const struct un_hostfwd *fwd)
{
	for (guint i = 0; i < r->hostfwds->len; i++) {
		const struct un_hostfwd *f =
			&g_array_index(r->hostfwds, struct un_hostfwd, i);

		if (f->udp == fwd->udp && f->host_len == fwd->host_len &&
		    memcmp(&f->host, &fwd->host, f->host_len) == 0)
			return (gint)i;
	}
	return -1;
}

const struct un_hostfwd *un_router_hostfwd_named(struct un_router *r,
						 const char *name)
{
	for (guint i = 0; i < r->hostfwds->len; i++) {
		const struct un_hostfwd *f =
			&g_array_index(r->hostfwds, struct un_hostfwd, i);

		if (f->name && strcmp(f->name, name) == 0)
			return f;
	}
	return NULL;
}

const GArray *un_router_hostfwds(struct un_router *r)
{
	return r->hostfwds;
}

static void router_hostfwd_keep(struct un_router *r,
				const struct un_hostfwd *fwd)
{
	struct un_hostfwd copy = *fwd;

	copy.rule = g_strdup(fwd->rule);
	copy.name = g_strdup(fwd->name);
	g_array_append_val(r->hostfwds, copy);
}

static gboolean router_hostfwd_name_free(struct un_router *r,
					 const struct un_hostfwd *fwd,
					 GError **error)
{
	const struct un_hostfwd *other =
		fwd->name ? un_router_hostfwd_named(r, fwd->name) : NULL;

	if (!other)
		return TRUE;
	g_set_error(error, UN_ERROR, UN_ERROR_BUSY,
		    "'%s': name '%s' is already used by '%s'; give each rule its own NAME",
		    fwd->rule, fwd->name, other->rule);
	return FALSE;
}

gboolean un_router_add_hostfwd(struct un_router *r, const struct un_hostfwd *fwd,
			       GError **error)
{
	gboolean is_unix = fwd->host.ss_family == AF_UNIX;

	if (!router_hostfwd_name_free(r, fwd, error))
		return FALSE;
	if (is_unix && !hostfwd_unix_prepare(fwd, error))
		return FALSE;
	if (slirp_add_hostxfwd(r->slirp, (const struct sockaddr *)&fwd->host,
			       fwd->host_len, (const struct sockaddr *)&fwd->guest,
			       sizeof(fwd->guest),
			       fwd->udp ? SLIRP_HOSTFWD_UDP : 0) < 0) {
		hostfwd_bind_error(fwd, errno, error);
		return FALSE;
	}
	if (is_unix)
		g_ptr_array_add(r->unix_paths,
				g_strdup(((const struct sockaddr_un *)&fwd->host)->sun_path));
	router_hostfwd_keep(r, fwd);
	return TRUE;
}

static void router_unix_path_drop(struct un_router *r, const char *path)
{
	for (guint i = 0; i < r->unix_paths->len; i++)
		if (strcmp(g_ptr_array_index(r->unix_paths, i), path) == 0) {
			unlink(path);
			g_ptr_array_remove_index(r->unix_paths, i);
			return;
		}
}

gboolean un_router_remove_hostfwd(struct un_router *r,
				  const struct un_hostfwd *fwd, GError **error)
{
	gint i = router_hostfwd_index(r, fwd);

	if (i < 0 ||
	    slirp_remove_hostxfwd(r->slirp, (const struct sockaddr *)&fwd->host,
				  fwd->host_len, fwd->udp ? SLIRP_HOSTFWD_UDP : 0) < 0) {
		g_autofree char *where = sockaddr_str(&fwd->host);

		g_set_error(error, UN_ERROR, UN_ERROR_NOT_FOUND,
			    "hostfwd %s: no %s forward listens on %s",
			    fwd->rule, fwd->udp ? "udp" : "tcp", where);
		return FALSE;
	}
	if (fwd->host.ss_family == AF_UNIX)
		router_unix_path_drop(r, ((const struct sockaddr_un *)&fwd->host)->sun_path);
	g_array_remove_index(r->hostfwds, (guint)i);
	return TRUE;
}

/* libslirp 4.7 compares ports in different byte orders, so it misses a
 * second forward on one address and port: look here first. */
static gboolean router_guestfwd_taken(struct un_router *r, struct in_addr addr,
				      guint16 port)
{
	for (guint i = 0; i < r->guestfwd_at->len; i++) {
		const struct sockaddr_in *at =
			&g_array_index(r->guestfwd_at, struct sockaddr_in, i);

		if (at->sin_addr.s_addr == addr.s_addr && at->sin_port == htons(port))
			return TRUE;
	}
	return FALSE;
}

/* Hand @fwd to libslirp at @addr; 0 on success, as libslirp returns. */
static int router_guestfwd_bind(struct un_router *r,
				const struct un_guestfwd *fwd, struct in_addr *addr)
{
	switch (fwd->target) {
	case UN_GUESTFWD_CMD:
		return slirp_add_exec(r->slirp, fwd->arg, addr, fwd->port);
	case UN_GUESTFWD_UNIX:
		return slirp_add_unix(r->slirp, fwd->arg, addr, fwd->port);
	case UN_GUESTFWD_TCP:
		return relay_add(r, fwd, addr);
	}
	return -1;
}

static gboolean router_add_guestfwd(struct un_router *r,
				    const struct un_guestfwd *fwd, GError **error)
{
	struct in_addr addr = fwd->addr;
	char a[INET_ADDRSTRLEN], n[INET_ADDRSTRLEN];
	struct sockaddr_in at = { .sin_family = AF_INET, .sin_port = htons(fwd->port) };

	if (!addr.s_addr) /* libslirp's default: NET.2.4 within the mask */
		addr.s_addr = r->net.s_addr | (htonl(0x0204) & ~r->mask.s_addr);
	if (!router_guestfwd_taken(r, addr, fwd->port) &&
	    router_guestfwd_bind(r, fwd, &addr) == 0) {
		at.sin_addr = addr;
		g_array_append_val(r->guestfwd_at, at);
		return TRUE;
	}
	g_set_error(error, UN_ERROR, UN_ERROR_CONFIG,
		    "guestfwd %s: %s:%u cannot be used; the address must be inside %s/%d, not the host or DNS address, and the port not taken by another guestfwd",
		    fwd->rule, inet_ntop(AF_INET, &addr, a, sizeof(a)), fwd->port,
		    inet_ntop(AF_INET, &r->net, n, sizeof(n)),
		    __builtin_popcount(ntohl(r->mask.s_addr)));
	return FALSE;
}

/* ---- host socket limit (host_sockets.c) ---- */

/* FALSE to drop @d: a new guest connection past max-host-sockets, counted
 * as table-full on @from. */
static gboolean router_guest_connection_ok(struct un_router *r,
					   struct un_port *from,
					   const uint8_t *d, size_t len,
					   const struct un_l4 *l)
{
	if (un_host_sockets_admit(r->host_sockets, d, len, l))
		return TRUE;
	if (from)
		un_port_drop(from, UN_DROP_TABLE_FULL);
	return FALSE;
}

/* Guest frame @d, located at @l, into libslirp. */
static void router_slirp_take(struct un_router *r, const uint8_t *d,
			      size_t len, const struct un_l4 *l)
{
	un_tcp_cork_input(r->cork, d, l);
	slirp_input(r->slirp, d, (int)len);
	un_tcp_cork_input_done(r->cork);
	un_host_sockets_input_done(r->host_sockets);
}

/* The guest segments held past libslirp's window that it takes now. */
static void router_release_held(struct un_router *r)
{
	struct un_tcp_window_frame *f;

	while ((f = un_tcp_window_next_ready(r->window))) {
		struct un_l4 located;

		router_slirp_take(r, f->data, f->len,
				  un_l4_find(f->data, f->len, &located));
		g_free(f);
	}
}

/* A guest frame to libslirp, if the host socket bound lets it in, with
 * the MSS option of a repeated SYN taken out (syn_guard.c), its window
 * rescaled or held back (tcp_window.c). The IP packet is located once for
 * every module that looks (l4.c). */
static void router_slirp_input(struct un_router *r, struct un_port *from,
			       const uint8_t *d, size_t len, gint64 now_us)
{
	g_autofree uint8_t *copy = NULL;
	struct un_l4 located;
	const struct un_l4 *l = un_l4_find(d, len, &located);

	if (!router_guest_connection_ok(r, from, d, len, l))
		return;
	d = un_syn_guard_filter(r->syn_guard, d, len, l, now_us, &copy);
	switch (un_tcp_window_from_guest(r->window, d, len, l, &d, &len)) {
	case UN_TCP_WINDOW_PASS:
		router_slirp_take(r, d, len, l);
		break;
	case UN_TCP_WINDOW_HELD: /* a new head may be probed at once */
		break;
	case UN_TCP_WINDOW_DROP:
		if (from)
			un_port_drop(from, UN_DROP_QUEUE_FULL);
		break;
	}
	router_release_held(r);
}

guint64 un_router_host_sockets_refused(const struct un_router *r)
{
	return un_host_sockets_refused(r->host_sockets);
}

/* tcp_window.c's counters, as tcp-window-*. */
static void router_window_stats(const struct un_router *r, JsonBuilder *b)
{
	struct un_tcp_window_stats s = { 0 };

	if (r)
		un_tcp_window_stats(r->window, &s);
	un_json_member_int(b, "tcp-window-scaled", (gint64)s.scaled);
	un_json_member_int(b, "tcp-window-connections", s.conns);
	un_json_member_int(b, "tcp-window-segments-held", (gint64)s.held);
	un_json_member_int(b, "tcp-window-held-bytes", (gint64)s.held_bytes);
	un_json_member_int(b, "tcp-window-segments-dropped", (gint64)s.dropped);
	un_json_member_int(b, "tcp-window-probes", (gint64)s.probes);
}

void un_router_stats(const struct un_router *r, JsonBuilder *b)
{
	un_json_member_int(b, "host-sockets-refused",
		     r ? (gint64)un_host_sockets_refused(r->host_sockets) : 0);
	un_json_member_int(b, "host-sockets", r ? un_host_sockets_count(r->host_sockets) : 0);
	un_json_member_int(b, "syn-mss-removed",
		     r ? (gint64)un_syn_guard_rewritten(r->syn_guard) : 0);
	un_json_member_int(b, "host-writes-corked",
		     r ? (gint64)un_tcp_cork_bursts(r->cork) : 0);
	un_json_member_int(b, "fragments-held", r ? un_ip_guard_held_frames(r->guard) : 0);
	router_window_stats(r, b);
}

/* ---- the router ---- */

static gboolean router_guard_tick(gpointer data);

/* A port whose fragments timed out is counted only if still attached:
 * it may have left without un_router_forget_port. */
static gboolean router_port_alive(void *opaque, struct un_port *p)
{
	struct un_router *r = opaque;

	return !r->network || g_ptr_array_find(r->network->ports, p, NULL);
}

/* Wake up when the oldest held fragment times out. */
static void router_guard_schedule(struct un_router *r)
{
	gint64 deadline = un_ip_guard_next_deadline(r->guard);
	gint64 delay_ms;

	if (r->guard_timer || deadline < 0)
		return;
	delay_ms = (deadline - g_get_monotonic_time()) / 1000 + 1;
	r->guard_timer = g_timeout_add((guint)CLAMP(delay_ms, 0, G_MAXINT),
				       router_guard_tick, r);
}

static gboolean router_guard_tick(gpointer data)
{
	struct un_router *r = data;

	r->guard_timer = 0;
	un_ip_guard_expire(r->guard, g_get_monotonic_time());
	router_guard_schedule(r);
	return G_SOURCE_REMOVE;
}

static void router_fill_config(struct un_router *r,
			       const struct un_router_config *rc, SlirpConfig *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->version = SLIRP_CHECK_VERSION(4, 7, 0) ? 4 : 3;
	cfg->restricted = rc->restricted;
	cfg->in_enabled = rc->ipv4;
	cfg->vnetwork = rc->net;
	cfg->vnetmask = rc->mask;
	cfg->vhost = rc->host;
	cfg->in6_enabled = rc->ipv6;
	cfg->vprefix_addr6 = rc->prefix6;
	cfg->vprefix_len = (uint8_t)rc->prefix6_len;
	cfg->vhost6 = rc->host6;
	cfg->vhostname = rc->hostname;
	cfg->tftp_server_name = rc->tftp_server_name;
	cfg->tftp_path = rc->tftp;
	cfg->bootfile = rc->bootfile;
	cfg->vdhcp_start = rc->dhcp_start;
	cfg->vnameserver = rc->dns;
	cfg->vnameserver6 = rc->dns6;
	cfg->vdnssearch = (const char **)rc->dnssearch;
	cfg->vdomainname = rc->domainname;
	cfg->if_mtu = rc->mtu;
	cfg->if_mru = rc->mtu;
	if (rc->loopback_only) {
		cfg->outbound_addr = &r->outbound4;
		cfg->outbound_addr6 = &r->outbound6;
	}
#if SLIRP_CHECK_VERSION(4, 7, 0)
	cfg->disable_dhcp = rc->disable_dhcp;
#endif
}

static gboolean router_start(struct un_router *r,
			     const struct un_router_config *rc, GError **error)
{
	SlirpConfig cfg;

#if !SLIRP_CHECK_VERSION(4, 7, 0)
	if (rc->disable_dhcp) {
		g_set_error(error, UN_ERROR, UN_ERROR_CONFIG,
			    "network \"%s\": turning libslirp's DHCP off needs libslirp 4.7 or later",
			    r->name);
		return FALSE;
	}
#endif
	router_fill_config(r, rc, &cfg);
	r->slirp = slirp_new(&cfg, &router_callbacks, r);
	if (!r->slirp) {
		g_set_error(error, UN_ERROR, UN_ERROR_CONFIG,
			    "network \"%s\": libslirp %s refused the configuration",
			    r->name, slirp_version_string());
		return FALSE;
	}
	r->source = g_source_new(&router_source_funcs, sizeof(struct router_source));
	((struct router_source *)r->source)->r = r;
	g_source_set_name(r->source, "usernet-slirp");
	g_source_set_can_recurse(r->source, TRUE); /* see un_watch_new */
	g_source_attach(r->source, NULL);
	return TRUE;
}

static gboolean router_add_forwards(struct un_router *r,
				    const struct un_router_config *rc,
				    GError **error)
{
	for (guint i = 0; rc->hostfwds && i < rc->hostfwds->len; i++)
		if (!un_router_add_hostfwd(r, &g_array_index(rc->hostfwds, struct un_hostfwd, i),
					   error))
			return FALSE;
	for (guint i = 0; rc->guestfwds && i < rc->guestfwds->len; i++)
		if (!router_add_guestfwd(r, &g_array_index(rc->guestfwds, struct un_guestfwd, i),
					 error))
			return FALSE;
	return TRUE;
}

/* What tcp-window offers past libslirp's own 64 KiB. */
static gsize router_window_extra_bytes(const struct un_router_config *rc)
{
	guint kib = rc->tcp_window_kib ? rc->tcp_window_kib
				       : UN_ROUTER_TCP_WINDOW_KIB_DEFAULT;

	return (gsize)(kib - UN_ROUTER_TCP_WINDOW_KIB_MIN) * 1024u;
}

struct un_router *un_router_new(const struct un_router_config *rc,
				const char *name, un_router_output_fn output,
				void *opaque, GError **error)
{
	gsize reasm = rc->reassembly_max_bytes ? rc->reassembly_max_bytes
					       : UN_IP_GUARD_BYTES_MAX;
	guint sockets = rc->max_host_sockets ? rc->max_host_sockets
					     : UN_ROUTER_HOST_SOCKETS_DEFAULT;
	struct un_ip_guard_limits lim = {
		.max_datagrams = UN_IP_GUARD_DATAGRAMS_MAX,
		.max_bytes = reasm,
		.max_port_bytes = reasm / 2,
		.timeout_us = UN_IP_GUARD_TIMEOUT_US,
		.mtu = rc->mtu,
	};
	struct un_router *r = g_new0(struct un_router, 1);

	r->name = g_strdup(name);
	r->output = output;
	r->opaque = opaque;
	r->polls = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
	r->polled = g_ptr_array_new();
	r->guard = un_ip_guard_new(&lim, router_port_alive, r);
	r->syn_guard = un_syn_guard_new(UN_SYN_GUARD_ENTRIES_MAX, UN_SYN_GUARD_TTL_US);
	r->cork = un_tcp_cork_new();
	r->window = un_tcp_window_new(sockets, /* one per connection */
				      router_window_extra_bytes(rc),
				      TCP_WINDOW_HELD_BYTES_MAX);
	r->relays = g_ptr_array_new();
	r->unix_paths = g_ptr_array_new_with_free_func(g_free);
	r->hostfwds = g_array_new(FALSE, TRUE, sizeof(struct un_hostfwd));
	g_array_set_clear_func(r->hostfwds, (GDestroyNotify)un_hostfwd_clear);
	r->guestfwd_at = g_array_new(FALSE, FALSE, sizeof(struct sockaddr_in));
	r->outbound4.sin_family = AF_INET;
	r->outbound4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	r->outbound6.sin6_family = AF_INET6;
	r->outbound6.sin6_addr = in6addr_loopback;
	r->net = rc->net;
	r->mask = rc->mask;
	r->host_sockets = un_host_sockets_new(name, sockets, rc->host, rc->dns);
	if (!router_start(r, rc, error) || !router_add_forwards(r, rc, error)) {
		un_router_free(r);
		return NULL;
	}
	return r;
}

void un_router_input(struct un_router *r, struct un_port *from,
		     const struct un_frame *f)
{
	g_autoptr(GBytes) whole = NULL;
	gint64 now_us = g_get_monotonic_time(); /* one clock read per frame */
	const uint8_t *data;
	gsize len;

	if (from && from->network)
		r->network = from->network;

	switch (un_ip_guard_input(r->guard, from, f, now_us, &whole)) {
	case UN_GUARD_PASS:
		router_slirp_input(r, from, f->data, f->len, now_us);
		break;
	case UN_GUARD_WHOLE:
		data = g_bytes_get_data(whole, &len);
		router_slirp_input(r, from, data, len, now_us);
		break;
	case UN_GUARD_HELD:
	case UN_GUARD_DROP:
		break;
	}
	router_guard_schedule(r);
	router_relays_kick(r);
}

void un_router_forget_port(struct un_router *r, struct un_port *p)
{
	un_ip_guard_forget(r->guard, p);
}

void un_router_free(struct un_router *r)
{
	if (!r)
		return;
	for (guint i = 0; i < r->relays->len; i++) {
		struct router_relay *rl = g_ptr_array_index(r->relays, i);

		g_cancellable_cancel(rl->cancel);
		relay_close(rl);
	}
	if (r->source) {
		g_source_destroy(r->source);
		g_source_unref(r->source);
	}
	if (r->slirp)
		slirp_cleanup(r->slirp);
	g_ptr_array_set_free_func(r->relays, relay_free);
	g_ptr_array_unref(r->relays);
	for (guint i = 0; i < r->unix_paths->len; i++)
		unlink(g_ptr_array_index(r->unix_paths, i));
	g_ptr_array_unref(r->unix_paths);
	g_array_unref(r->guestfwd_at);
	g_array_unref(r->hostfwds);
	g_clear_handle_id(&r->guard_timer, g_source_remove);
	un_ip_guard_free(r->guard);
	g_hash_table_destroy(r->polls);
	g_ptr_array_unref(r->polled);
	un_host_sockets_free(r->host_sockets);
	un_syn_guard_free(r->syn_guard);
	un_tcp_cork_free(r->cork);
	un_tcp_window_free(r->window);
	g_free(r->name);
	g_free(r);
}
