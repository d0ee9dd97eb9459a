/* SPDX-License-Identifier: GPL-2.0-or-later */
/* transport_stream.c - QEMU stream peers (unix; TCP through transport_tcp.c).
 * Owns: the DIR/NAME.stream listener, accepting, one port per connection,
 * its reassembly buffer and send queue.
 * Not here: the framing itself (frame.c); where a frame goes (the port's
 * network); TCP addresses (transport_tcp.c).
 *
 * How it works: each connection is a port from accept to close. A readable
 * socket gets one read() of up to a buffer's room, straight into the
 * port's de-framer; every whole frame in it goes to un_port_input, a
 * partial one waits for the next read. A framing error (length 0 or above
 * UN_FRAME_MAX_BYTES) or EOF closes the connection: detach, then free.
 * Frames to the peer go out batched, one writev per wake-up, or wait in the
 * queue (frame.c) with G_IO_OUT watched while it holds any. A send that finds the peer gone only
 * marks the watch; the close happens from the watch, in the main loop. */
#define G_LOG_DOMAIN "usernet-stream"

#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include "frame.h"
#include "transport.h"
#include "usernet/error.h"

struct stream_endpoint {
	struct un_endpoint ep;
	const struct un_port_ops *port_ops;
	int fd;                 /* listening */
	struct un_watch *watch;
	char *path;             /* unlinked on close, or NULL */
	GList *peers;           /* struct stream_peer * */
};

struct stream_peer {
	struct un_port port;
	struct stream_endpoint *se;
	int fd;
	struct un_watch *watch;
	struct un_deframer rx;
	struct un_sendq q;
	gboolean attached;
};

static const char *stream_net(const struct stream_peer *sp)
{
	return sp->se->ep.network->name;
}

static void stream_peer_free(struct stream_peer *sp)
{
	if (sp->attached)
		un_network_detach(&sp->port);
	un_watch_free(sp->watch);
	close(sp->fd);
	un_deframer_clear(&sp->rx);
	un_sendq_clear(&sp->q);
	un_port_clear(&sp->port);
	g_free(sp);
}

static void stream_peer_close(struct stream_peer *sp)
{
	sp->se->peers = g_list_remove(sp->se->peers, sp);
	stream_peer_free(sp);
}

/* EOF or a read error: say what was lost, then close. */
static void stream_peer_ended(struct stream_peer *sp, int err)
{
	size_t lost = un_deframer_pending(&sp->rx);

	if (lost > 0)
		g_message("network \"%s\": %s (%s) closed in the middle of a "
			  "frame (%s); %zu bytes lost", stream_net(sp),
			  sp->port.name, sp->port.peer,
			  err ? g_strerror(err) : "end of stream", lost);
	else
		g_info("network \"%s\": %s (%s) closed%s%s", stream_net(sp),
		       sp->port.name, sp->port.peer, err ? ": " : "",
		       err ? g_strerror(err) : "");
	stream_peer_close(sp);
}

/* Hand every whole frame in the buffer to the network. FALSE: the peer
 * broke framing and was closed. */
static gboolean stream_peer_deliver(struct stream_peer *sp)
{
	g_autoptr(GError) error = NULL;
	struct un_frame f;
	enum un_deframe r;

	while ((r = un_deframer_next(&sp->rx, &f, &error)) == UN_DEFRAME_FRAME)
		un_port_input(&sp->port, f.data, f.len);
	if (r == UN_DEFRAME_MORE)
		return TRUE;
	g_warning("network \"%s\": %s (%s) broke QEMU stream framing: %s; "
		  "disconnecting it (is the peer a QEMU -netdev stream or "
		  "socket client, with an MTU of at most %u?)", stream_net(sp),
		  sp->port.name, sp->port.peer, error->message, UN_MTU_MAX);
	sp->se->ep.clients_dropped++;
	stream_peer_close(sp);
	return FALSE;
}

static void stream_peer_read(struct stream_peer *sp)
{
	size_t room;
	uint8_t *at = un_deframer_room(&sp->rx, &room);
	ssize_t n = recv(sp->fd, at, room, MSG_DONTWAIT);

	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (n <= 0) {
		stream_peer_ended(sp, n < 0 ? errno : 0);
		return;
	}
	un_deframer_fill(&sp->rx, (size_t)n);
	stream_peer_deliver(sp);
}

static void stream_peer_ready(void *opaque, GIOCondition revents)
{
	struct stream_peer *sp = opaque;

	if (un_watch_gone(sp->watch)) {
		stream_peer_ended(sp, un_watch_gone(sp->watch));
		return;
	}
	if (revents & G_IO_OUT)
		un_flush_settle(&sp->port, sp->watch,
				un_sendq_flush_stream(&sp->q, sp->fd));
	if (revents & (G_IO_IN | G_IO_HUP | G_IO_ERR))
		stream_peer_read(sp);
}

void un_stream_port_send(struct un_port *p, const struct un_frame *f)
{
	struct stream_peer *sp = container_of(p, struct stream_peer, port);

	un_send_settle(p, sp->watch, un_stream_send(&sp->q, sp->fd, f->data, f->len));
	p->counters.tx_acks_merged = sp->q.acks_merged;
}

static void stream_peer_new(struct stream_endpoint *se, int fd)
{
	struct stream_peer *sp = g_new0(struct stream_peer, 1);
	g_autofree char *peer = un_peer_describe(fd);
	g_autoptr(GError) error = NULL;
	struct un_network *n = se->ep.network;

	sp->se = se;
	sp->fd = fd;
	un_port_init(&sp->port, se->port_ops, peer);
	un_deframer_init(&sp->rx);
	un_sendq_init(&sp->q);
	un_sendq_set_limits(&sp->q, n->sendq_frames, n->sendq_bytes);
	sp->watch = un_watch_new(fd, G_IO_IN, stream_peer_ready, sp,
				 "usernet stream peer");
	if (!un_network_attach(n, &sp->port, se->ep.ops->name, &error)) {
		g_warning("%s; closing the connection", error->message);
		stream_peer_free(sp);
		return;
	}
	sp->attached = TRUE;
	se->peers = g_list_prepend(se->peers, sp);
}

static void stream_accept(void *opaque, GIOCondition revents)
{
	struct stream_endpoint *se = opaque;
	g_autofree char *what = g_strdup_printf("network \"%s\": %s",
						se->ep.network->name,
						se->ep.address);
	int fd = un_accept(se->fd, se->watch, what);

	if (fd >= 0)
		stream_peer_new(se, fd);
}

struct un_endpoint *un_stream_endpoint_new(const struct un_transport_ops *ops,
					   const struct un_port_ops *port_ops,
					   struct un_network *n, int listen_fd,
					   const char *address, const char *path,
					   GError **error)
{
	struct stream_endpoint *se;

	if (listen(listen_fd, SOMAXCONN) < 0) {
		g_set_error(error, UN_ERROR, UN_ERROR_IO, "%s: cannot listen: %s",
			    address, g_strerror(errno));
		close(listen_fd);
		if (path != NULL)
			unlink(path);
		return NULL;
	}
	se = g_new0(struct stream_endpoint, 1);
	se->ep.ops = ops;
	se->ep.network = n;
	se->ep.address = g_strdup(address);
	se->port_ops = port_ops;
	se->fd = listen_fd;
	se->path = g_strdup(path);
	se->watch = un_watch_new(listen_fd, G_IO_IN, stream_accept, se,
				 "usernet stream listener");
	return &se->ep;
}

void un_stream_endpoint_close(struct un_endpoint *e)
{
	struct stream_endpoint *se = container_of(e, struct stream_endpoint, ep);

	while (se->peers != NULL)
		stream_peer_close(se->peers->data);
	un_watch_free(se->watch);
	close(se->fd);
	if (se->path != NULL && unlink(se->path) < 0 && errno != ENOENT)
		g_warning("network \"%s\": cannot remove %s: %s",
			  e->network->name, se->path, g_strerror(errno));
	g_free(se->path);
	g_free(e->address);
	g_free(se);
}

static const struct un_port_ops stream_port_ops = {
	.transport = "stream",
	.send = un_stream_port_send,
};

static struct un_endpoint *stream_open(struct un_network *n, const char *dir,
				       GError **error)
{
	g_autofree char *path = g_strdup_printf("%s/%s.stream", dir, n->name);
	int fd = un_unix_bind(path, SOCK_STREAM, error);

	if (fd < 0)
		return NULL;
	return un_stream_endpoint_new(&un_transport_stream, &stream_port_ops, n,
				      fd, path, path, error);
}

static char *stream_qemu_option(const struct un_endpoint *e)
{
	g_autofree char *path = un_qemu_quote(e->address);

	return g_strdup_printf("-netdev stream,id=n0,server=off,addr.type=unix,"
			       "addr.path=%s", path);
}

const struct un_transport_ops un_transport_stream = {
	.name = "stream",
	.open = stream_open,
	.qemu_option = stream_qemu_option,
	.close = un_stream_endpoint_close,
};
