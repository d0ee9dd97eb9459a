/* SPDX-License-Identifier: GPL-2.0-or-later */
/* transport.h - what a transport (one socket protocol) implements.
 * Owns: the endpoint shape and the table of transports.
 * Not here: frames' destinations; a port's network decides. */
#ifndef USERNET_TRANSPORT_H
#define USERNET_TRANSPORT_H

#include <glib.h>

#include "usernet/network.h"

struct un_transport_ops;

/* One listening endpoint of one network. A transport embeds it. */
struct un_endpoint {
	const struct un_transport_ops *ops;
	struct un_network *network; /* borrowed */
	char *address;              /* socket path, directory or ADDR:PORT, owned */
};

struct un_transport_ops {
	const char *name; /* "vde", "stream", "dgram", "tcp" */
	/* Create @n's endpoint in @dir (paths DIR/NAME.vde/ctl, DIR/NAME.stream,
	 * ...; the tcp transport uses n->listen instead). Returns NULL with
	 * @error set on failure, or NULL with @error unset when @n does not
	 * want this transport (tcp without listen=). */
	struct un_endpoint *(*open)(struct un_network *n, const char *dir,
				    GError **error);
	/* The QEMU -netdev option that attaches a NIC, newly allocated. */
	char *(*qemu_option)(const struct un_endpoint *e);
	/* Stop listening, detach and free every port, unlink every path,
	 * free @e. */
	void (*close)(struct un_endpoint *e);
};

extern const struct un_transport_ops un_transport_vde;
extern const struct un_transport_ops un_transport_stream;
extern const struct un_transport_ops un_transport_dgram;
extern const struct un_transport_ops un_transport_tcp;

/* Every transport, NULL-terminated, in the order endpoints are made. */
extern const struct un_transport_ops *const un_transports[];

/* Stream peers (QEMU stream framing) behind a listening socket: the stream
 * transport's, shared with the tcp transport (transport_stream.c).
 * Listens on @listen_fd (taken, closed on failure); @address is the
 * endpoint's address, @path (may be NULL) is unlinked on close. Ports get
 * @port_ops, whose send must be un_stream_port_send. Returns NULL with
 * @error on failure. */
struct un_endpoint *un_stream_endpoint_new(const struct un_transport_ops *ops,
					   const struct un_port_ops *port_ops,
					   struct un_network *n, int listen_fd,
					   const char *address, const char *path,
					   GError **error);
void un_stream_endpoint_close(struct un_endpoint *e);
void un_stream_port_send(struct un_port *p, const struct un_frame *f);

#endif
