/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vde_proto.h - the vde_switch control protocol, version 3, as libvdeplug
 * (vdeplug4, libvdeplug_vde.c) speaks it.
 * Owns: the request layout and its checks.
 * Not here: sockets, the data path (backend/transport_vde.c).
 *
 * A client binds a unix datagram socket, connects a unix stream socket to
 * DIR/ctl and sends one packed request in host byte order:
 *
 *   offset  size  field
 *   0       4     magic 0xfeedface
 *   4       4     version 3
 *   8       4     type: low byte 0 (new control, the requested port in
 *                 bits 8 and up, 0 for any) or 1 (port 0)
 *   12      110   struct sockaddr_un: family AF_UNIX, then the absolute
 *                 path of its datagram socket, NUL-terminated
 *   122     0-128 description, not NUL-terminated (ends with the message)
 *
 * The switch answers with one struct sockaddr_un, the datagram socket the
 * client connects to; then each datagram is one Ethernet frame. */
#ifndef USERNET_VDE_PROTO_H
#define USERNET_VDE_PROTO_H

#include <glib.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/un.h>

#define UN_VDE_MAGIC 0xfeedfaceu
#define UN_VDE_VERSION 3u
#define UN_VDE_REQ_NEW_CONTROL 0u
#define UN_VDE_REQ_NEW_PORT0 1u
/* libvdeplug's MAXDESCR. */
#define UN_VDE_DESCR_MAX_BYTES 128u
/* magic, version, type, sockaddr_un: the fixed part of a request. */
#define UN_VDE_REQUEST_HEADER_BYTES (3u * 4u + sizeof(struct sockaddr_un))
#define UN_VDE_REQUEST_MAX_BYTES \
	(UN_VDE_REQUEST_HEADER_BYTES + UN_VDE_DESCR_MAX_BYTES)

/* A decoded request. */
struct un_vde_request {
	uint32_t type;           /* UN_VDE_REQ_NEW_CONTROL or _NEW_PORT0 */
	uint32_t port;           /* port asked for (type >> 8); 0: any */
	struct sockaddr_un sock; /* the client's datagram socket; sun_path is
				  * NUL-terminated, absolute */
	/* The description, NUL-terminated, cut at its first NUL, each byte
	 * outside printable ASCII replaced by '?'. */
	char description[UN_VDE_DESCR_MAX_BYTES + 1];
};

/* Decode the @len bytes of one request. FALSE with @error
 * (UN_ERROR_PROTOCOL) saying what is wrong: truncated, too long, wrong
 * magic, wrong version, unknown type, wrong address family, a socket path
 * that is empty, not NUL-terminated, relative or holds control bytes. */
gboolean un_vde_request_decode(const void *buf, size_t len,
			       struct un_vde_request *out, GError **error);

#endif
