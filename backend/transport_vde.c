/* SPDX-License-Identifier: GPL-2.0-or-later */
/* transport_vde.c - vde_switch peers: QEMU -netdev vde and every libvdeplug
 * vde:// client (vde_plug, slirpvde, ...).
 * Owns: the DIR/NAME.vde/ directory and its ctl socket, the handshake, one
 * datagram socket per port, closing a port when its ctl connection ends.
 * Not here: the request's layout and checks (vde_proto.c), send queues and
 * batched receive (frame.c), where a frame goes (the port's network).
 *
 * How it works: a client connects to DIR/NAME.vde/ctl and sends one
 * request naming its datagram socket. We bind a datagram socket
 * DIR/NAME.vde/N, connect it to the client's socket (first: the client
 * unlinks its socket path once it has our answer), attach the port, and
 * answer with our socket's address. From then on each datagram is one
 * frame, both ways; a datagram cut by MSG_TRUNC is counted as oversized.
 * The two sockets are connected to each other, so the kernel's flow control
 * is our send buffer, and G_IO_OUT on it is meaningful. The ctl connection
 * stays open; its end closes the port. A client that sends a bad request,
 * or none within VDE_HANDSHAKE_SECONDS, is dropped with one log line. */
#define G_LOG_DOMAIN "usernet-vde"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "frame.h"
#include "transport.h"
#include "usernet/error.h"
#include "vde_proto.h"

#define VDE_HANDSHAKE_SECONDS 10

struct vde_endpoint {
	struct un_endpoint ep;   /* address: the directory */
	char *ctl_path;
	int fd;                  /* listening on ctl */
	struct un_watch *watch;
	GList *clients;          /* struct vde_client * */
	guint next_port;         /* names data sockets DIR/NAME.vde/N */
};

struct vde_client {
	struct un_port port;
	struct vde_endpoint *ve;
	int ctl_fd;
	struct un_watch *ctl_watch;
	uint8_t req[UN_VDE_REQUEST_MAX_BYTES + 1];
	size_t req_len;
	guint handshake_id;      /* deadline for the request */
	int data_fd;             /* -1 until the handshake is done */
	struct un_watch *data_watch;
	char *data_path;
	struct un_sendq q;
	gboolean attached;
};

static const char *vde_net(const struct vde_client *c)
{
	return c->ve->ep.network->name;
}

static void vde_client_close(struct vde_client *c)
{
	c->ve->clients = g_list_remove(c->ve->clients, c);
	if (c->attached)
		un_network_detach(&c->port);
	g_clear_handle_id(&c->handshake_id, g_source_remove);
	un_watch_free(c->ctl_watch);
	un_watch_free(c->data_watch);
	close(c->ctl_fd);
	if (c->data_fd >= 0)
		close(c->data_fd);
	if (c->data_path != NULL)
		unlink(c->data_path);
	g_free(c->data_path);
	un_sendq_clear(&c->q);
	un_port_clear(&c->port);
	g_free(c);
}

/* One log line for a client that failed, then drop it. */
static void vde_client_fail(struct vde_client *c, const char *what,
			    const char *why)
{
	g_warning("network \"%s\": vde client %s: %s: %s; dropping it (is it a "
		  "vde_switch v3 client: QEMU -netdev vde, vde_plug?)",
		  vde_net(c), c->port.peer, what, why);
	vde_client_close(c);
}

static void vde_client_data_ready(void *opaque, GIOCondition revents)
{
	struct vde_client *c = opaque;
	int n;

	if (un_watch_gone(c->data_watch)) {
		g_info("network \"%s\": %s (%s) is gone: %s", vde_net(c),
		       c->port.name, c->port.peer,
		       g_strerror(un_watch_gone(c->data_watch)));
		vde_client_close(c);
		return;
	}
	if (revents & G_IO_OUT)
		un_flush_settle(&c->port, c->data_watch,
				un_sendq_flush_dgram(&c->q, c->data_fd, NULL, 0));
	if (!(revents & (G_IO_IN | G_IO_ERR)))
		return;
	n = un_dgram_recv(c->data_fd);
	if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
		g_warning("network \"%s\": %s (%s): cannot receive: %s; closing it",
			  vde_net(c), c->port.name, c->port.peer, g_strerror(errno));
		vde_client_close(c);
		return;
	}
	for (int i = 0; i < n; i++) {
		struct un_dgram d = un_dgram_at(i);

		if (d.len > UN_FRAME_MAX_BYTES)
			un_port_drop(&c->port, UN_DROP_OVERSIZED);
		else
			un_port_input(&c->port, d.data, d.len);
	}
}

static void vde_port_send(struct un_port *p, const struct un_frame *f)
{
	struct vde_client *c = container_of(p, struct vde_client, port);

	un_send_settle(p, c->data_watch,
		       un_dgram_send(&c->q, c->data_fd, NULL, 0, f->data, f->len));
	p->counters.tx_acks_merged = c->q.acks_merged;
}

static const struct un_port_ops vde_port_ops = {
	.transport = "vde",
	.send = vde_port_send,
};

/* Our datagram socket for @c, connected to the client's @sock. */
static gboolean vde_client_connect(struct vde_client *c,
				   const struct sockaddr_un *sock,
				   GError **error)
{
	c->data_path = g_strdup_printf("%s/%u", c->ve->ep.address,
				       ++c->ve->next_port);
	c->data_fd = un_unix_bind(c->data_path, SOCK_DGRAM, error);
	if (c->data_fd < 0)
		return FALSE;
	un_socket_set_buffers(c->data_fd, UN_DGRAM_SOCKBUF_BYTES);
	if (connect(c->data_fd, (const struct sockaddr *)sock, sizeof(*sock)) < 0) {
		g_set_error(error, UN_ERROR, UN_ERROR_IO,
			    "cannot connect to its socket %s: %s",
			    sock->sun_path, g_strerror(errno));
		return FALSE;
	}
	c->data_watch = un_watch_new(c->data_fd, G_IO_IN, vde_client_data_ready,
				     c, "usernet vde port");
	return TRUE;
}

/* A valid request: connect, attach, answer. */
static void vde_client_start(struct vde_client *c, const struct un_vde_request *req)
{
	g_autoptr(GError) error = NULL;
	struct sockaddr_un ours;
	char *peer;

	g_clear_handle_id(&c->handshake_id, g_source_remove);
	peer = g_strdup_printf("%s, \"%s\"", c->port.peer, req->description);
	g_free(c->port.peer);
	c->port.peer = peer;
	if (!vde_client_connect(c, &req->sock, &error)) {
		vde_client_fail(c, "cannot open its port", error->message);
		return;
	}
	if (!un_network_attach(c->ve->ep.network, &c->port, "vde", &error)) {
		g_warning("%s; closing its control connection", error->message);
		vde_client_close(c);
		return;
	}
	c->attached = TRUE;
	un_sockaddr_un_fill(&ours, NULL, c->data_path, NULL);
	if (send(c->ctl_fd, &ours, sizeof(ours), MSG_DONTWAIT | MSG_NOSIGNAL) !=
	    (ssize_t)sizeof(ours))
		vde_client_fail(c, "cannot answer", g_strerror(errno));
}

/* Collect the request; decode it once its fixed part is in, or at EOF. */
static void vde_client_handshake(struct vde_client *c)
{
	g_autoptr(GError) error = NULL;
	struct un_vde_request req;
	ssize_t n = recv(c->ctl_fd, c->req + c->req_len,
			 sizeof(c->req) - c->req_len, MSG_DONTWAIT);

	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (n < 0) {
		vde_client_fail(c, "reading its request", g_strerror(errno));
		return;
	}
	if (n == 0 && c->req_len == 0) {
		g_debug("network \"%s\": vde client %s left without a request",
			vde_net(c), c->port.peer);
		vde_client_close(c);
		return;
	}
	c->req_len += (size_t)n;
	if (n > 0 && c->req_len < UN_VDE_REQUEST_HEADER_BYTES)
		return;
	if (!un_vde_request_decode(c->req, c->req_len, &req, &error)) {
		c->ve->ep.clients_dropped++;
		vde_client_fail(c, "bad request", error->message);
		return;
	}
	vde_client_start(c, &req);
}

static void vde_client_ctl_ready(void *opaque, GIOCondition revents)
{
	struct vde_client *c = opaque;
	char sink[256];
	ssize_t n;

	if (c->data_fd < 0) {
		vde_client_handshake(c);
		return;
	}
	n = recv(c->ctl_fd, sink, sizeof(sink), MSG_DONTWAIT);
	if (n > 0 || (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK ||
				errno == EINTR)))
		return;
	g_info("network \"%s\": %s (%s) closed its control connection%s%s",
	       vde_net(c), c->port.name, c->port.peer, n < 0 ? ": " : "",
	       n < 0 ? g_strerror(errno) : "");
	vde_client_close(c);
}

static gboolean vde_client_timeout(gpointer opaque)
{
	struct vde_client *c = opaque;

	c->handshake_id = 0;
	c->ve->ep.clients_dropped++;
	vde_client_fail(c, "no complete request",
			"nothing for " G_STRINGIFY(VDE_HANDSHAKE_SECONDS) " s");
	return G_SOURCE_REMOVE;
}

static void vde_accept(void *opaque, GIOCondition revents)
{
	struct vde_endpoint *ve = opaque;
	g_autofree char *what = g_strdup_printf("network \"%s\": %s",
						ve->ep.network->name,
						ve->ctl_path);
	int fd = un_accept(ve->fd, ve->watch, what);
	g_autofree char *peer = NULL;
	struct vde_client *c;

	if (fd < 0)
		return;
	peer = un_peer_describe(fd);
	c = g_new0(struct vde_client, 1);
	c->ve = ve;
	c->ctl_fd = fd;
	c->data_fd = -1;
	un_port_init(&c->port, &vde_port_ops, peer);
	un_sendq_init(&c->q);
	un_sendq_set_limits(&c->q, ve->ep.network->sendq_frames,
			    ve->ep.network->sendq_bytes);
	c->ctl_watch = un_watch_new(fd, G_IO_IN, vde_client_ctl_ready, c,
				    "usernet vde ctl");
	c->handshake_id = g_timeout_add_seconds(VDE_HANDSHAKE_SECONDS,
						vde_client_timeout, c);
	ve->clients = g_list_prepend(ve->clients, c);
}

/* DIR/NAME.vde, ours and 0700, created or reused. */
static gboolean vde_make_dir(const char *dir, GError **error)
{
	struct stat st;

	if (mkdir(dir, 0700) == 0)
		return TRUE;
	if (errno != EEXIST || lstat(dir, &st) < 0) {
		g_set_error(error, UN_ERROR, UN_ERROR_IO, "cannot create %s: %s",
			    dir, g_strerror(errno));
		return FALSE;
	}
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid()) {
		g_set_error(error, UN_ERROR, UN_ERROR_BUSY,
			    "%s exists and is not a directory of this user: "
			    "remove it or choose another directory", dir);
		return FALSE;
	}
	if ((st.st_mode & 07777) != 0700 && chmod(dir, 0700) < 0) {
		g_set_error(error, UN_ERROR, UN_ERROR_IO, "cannot chmod 0700 %s: %s",
			    dir, g_strerror(errno));
		return FALSE;
	}
	return TRUE;
}

/* Remove DIR/NAME.vde and the sockets in it: ours, and the ones clients
 * that died mid-handshake left behind. Anything else stays, and so does
 * the directory. */
static void vde_remove_dir(const char *dir)
{
	g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
	const char *name;
	struct stat st;

	while (d != NULL && (name = g_dir_read_name(d)) != NULL) {
		g_autofree char *path = g_build_filename(dir, name, NULL);

		if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
			unlink(path);
	}
	if (rmdir(dir) < 0 && errno != ENOENT)
		g_warning("cannot remove %s: %s", dir, g_strerror(errno));
}

/* Make the directory and listen on its ctl socket. Once ve->fd is set,
 * the directory is ours to remove. */
static gboolean vde_listen(struct vde_endpoint *ve, GError **error)
{
	struct sockaddr_un sun;

	if (!un_sockaddr_un_fill(&sun, NULL, ve->ctl_path, error) ||
	    !vde_make_dir(ve->ep.address, error))
		return FALSE;
	ve->fd = un_unix_bind(ve->ctl_path, SOCK_STREAM, error);
	if (ve->fd < 0)
		return FALSE;
	if (listen(ve->fd, SOMAXCONN) < 0) {
		g_set_error(error, UN_ERROR, UN_ERROR_IO, "%s: cannot listen: %s",
			    ve->ctl_path, g_strerror(errno));
		return FALSE;
	}
	ve->watch = un_watch_new(ve->fd, G_IO_IN, vde_accept, ve,
				 "usernet vde ctl listener");
	return TRUE;
}

static void vde_close(struct un_endpoint *e)
{
	struct vde_endpoint *ve = container_of(e, struct vde_endpoint, ep);

	while (ve->clients != NULL)
		vde_client_close(ve->clients->data);
	un_watch_free(ve->watch);
	if (ve->fd >= 0) {
		close(ve->fd);
		unlink(ve->ctl_path);
		vde_remove_dir(e->address);
	}
	g_free(ve->ctl_path);
	g_free(e->address);
	g_free(ve);
}

static struct un_endpoint *vde_open(struct un_network *n, const char *dir,
				    GError **error)
{
	struct vde_endpoint *ve = g_new0(struct vde_endpoint, 1);

	ve->ep.ops = &un_transport_vde;
	ve->ep.network = n;
	ve->ep.address = g_strdup_printf("%s/%s.vde", dir, n->name);
	ve->ctl_path = g_build_filename(ve->ep.address, "ctl", NULL);
	ve->fd = -1;
	if (vde_listen(ve, error))
		return &ve->ep;
	vde_close(&ve->ep);
	return NULL;
}

static char *vde_qemu_option(const struct un_endpoint *e)
{
	g_autofree char *dir = un_qemu_quote(e->address);

	return g_strdup_printf("-netdev vde,id=n0,sock=%s", dir);
}

const struct un_transport_ops un_transport_vde = {
	.name = "vde",
	.open = vde_open,
	.qemu_option = vde_qemu_option,
	.close = vde_close,
};
