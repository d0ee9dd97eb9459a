/* SPDX-License-Identifier: GPL-2.0-or-later */
/* transport.h - what a transport (one socket protocol) implements.
 * Owns: the endpoint shape and the table of transports.
 * Not here: frames' destinations; a port's network decides. */
#ifndef USERNET_TRANSPORT_H
#define USERNET_TRANSPORT_H

#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdint.h>

#include "usernet/network.h"

struct un_transport_ops;

/* One listening endpoint of one network. A transport embeds it. */
struct un_endpoint {
	const struct un_transport_ops *ops;
	struct un_network *network; /* borrowed */
	char *address;              /* socket path, directory or ADDR:PORT, owned */
	uint64_t clients_dropped;   /* peers dropped for bad input: a bad
				     * handshake, broken framing (stats) */
};

struct un_transport_ops {
	const char *name; /* "vde", "stream", "dgram", "tcp", "tap" */
	/* Create @n's endpoint in @dir (paths DIR/NAME.vde/ctl, DIR/NAME.stream,
	 * ...; the tcp transport uses n->listen instead). Returns NULL with
	 * @error set on failure, or NULL with @error unset when @n does not
	 * want this transport (tcp without listen=). */
	struct un_endpoint *(*open)(struct un_network *n, const char *dir,
				    GError **error);
	/* The QEMU -netdev option that attaches a NIC, newly allocated; NULL
	 * (the op) when QEMU cannot use this endpoint. */
	char *(*qemu_option)(const struct un_endpoint *e);
	/* The usernet-plug command that attaches a namespace, newly allocated;
	 * NULL (the op) for endpoints shown with their QEMU option only. */
	char *(*plug_command)(const struct un_endpoint *e);
	/* Stop listening, detach and free every port, unlink every path,
	 * free @e. */
	void (*close)(struct un_endpoint *e);
};

extern const struct un_transport_ops un_transport_vde;
extern const struct un_transport_ops un_transport_stream;
extern const struct un_transport_ops un_transport_dgram;
extern const struct un_transport_ops un_transport_tcp;
extern const struct un_transport_ops un_transport_tap;

/* Every transport, NULL-terminated, in the order endpoints are made. */
extern const struct un_transport_ops *const un_transports[];

/* How a NIC attaches to @e, for the ready lines: its QEMU option, else its
 * usernet-plug command. Newly allocated. */
char *un_endpoint_attach_hint(const struct un_endpoint *e);
/* Add @e's "transport", "address" and "qemu" and/or "plug" members to the
 * object being built (control's list and show). */
void un_endpoint_describe(const struct un_endpoint *e, JsonBuilder *b);

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
