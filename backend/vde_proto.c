/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vde_proto.c - decoding a vde_switch v3 request (layout in vde_proto.h).
 * Owns: every check on a request's bytes.
 * Not here: reading them from a socket, answering (transport_vde.c).
 *
 * How it works: the request is read field by field at fixed offsets with
 * memcpy (it is packed, so nothing is aligned); each field that can be
 * wrong has its own message, which the transport logs as it is. Nothing is
 * trusted to be NUL-terminated. */
#define G_LOG_DOMAIN "usernet-vde"

#include <string.h>
#include <sys/socket.h>

#include "usernet/error.h"
#include "vde_proto.h"

#define OFF_MAGIC 0u
#define OFF_VERSION 4u
#define OFF_TYPE 8u
#define OFF_SOCK 12u

G_STATIC_ASSERT(UN_VDE_REQUEST_HEADER_BYTES == 122);

static uint32_t vde_u32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static gboolean vde_fail(GError **error, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static gboolean vde_fail(GError **error, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	g_propagate_error(error, g_error_new_valist(UN_ERROR, UN_ERROR_PROTOCOL,
						    fmt, ap));
	va_end(ap);
	return FALSE;
}

/* Magic and version are checked as soon as their bytes are there, so a
 * short request from a stranger is named for what it is. */
static gboolean vde_check_header(const uint8_t *p, size_t len, GError **error)
{
	uint32_t type;

	if (len >= OFF_VERSION && vde_u32(p + OFF_MAGIC) != UN_VDE_MAGIC)
		return vde_fail(error, "magic 0x%08x is not 0x%08x: not a "
				"vde_switch client", vde_u32(p + OFF_MAGIC),
				UN_VDE_MAGIC);
	if (len >= OFF_TYPE && vde_u32(p + OFF_VERSION) != UN_VDE_VERSION)
		return vde_fail(error, "protocol version %u is not supported "
				"(only %u, as libvdeplug speaks)",
				vde_u32(p + OFF_VERSION), UN_VDE_VERSION);
	if (len < UN_VDE_REQUEST_HEADER_BYTES)
		return vde_fail(error, "request truncated at %zu bytes "
				"(a vde request is at least %u bytes)",
				len, (unsigned)UN_VDE_REQUEST_HEADER_BYTES);
	if (len > UN_VDE_REQUEST_MAX_BYTES)
		return vde_fail(error, "request is %zu bytes, more than %u "
				"(a description is at most %u bytes)", len,
				(unsigned)UN_VDE_REQUEST_MAX_BYTES,
				UN_VDE_DESCR_MAX_BYTES);
	type = vde_u32(p + OFF_TYPE);
	if ((type & 0xffu) > UN_VDE_REQ_NEW_PORT0)
		return vde_fail(error, "request type %u is unknown (0: new "
				"port, 1: port 0)", type & 0xffu);
	return TRUE;
}

static gboolean vde_check_sock(const struct sockaddr_un *sun, GError **error)
{
	const char *path = sun->sun_path;
	size_t n = strnlen(path, sizeof(sun->sun_path));

	if (sun->sun_family != AF_UNIX)
		return vde_fail(error, "socket address family %u is not "
				"AF_UNIX (%u)", sun->sun_family, AF_UNIX);
	if (n == sizeof(sun->sun_path))
		return vde_fail(error, "socket path is not NUL-terminated "
				"within %zu bytes", sizeof(sun->sun_path));
	if (n == 0)
		return vde_fail(error, "socket path is empty (abstract "
				"addresses are not supported)");
	for (size_t i = 0; i < n; i++) {
		if ((uint8_t)path[i] < 0x20 || (uint8_t)path[i] == 0x7f)
			return vde_fail(error, "socket path holds control "
					"byte 0x%02x at offset %zu", (uint8_t)path[i], i);
	}
	if (path[0] != '/')
		return vde_fail(error, "socket path \"%s\" is relative; the "
				"switch needs an absolute path", path);
	return TRUE;
}

static void vde_copy_description(char *out, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n && p[i] != '\0'; i++)
		out[i] = (p[i] >= 0x20 && p[i] < 0x7f) ? (char)p[i] : '?';
	out[i] = '\0';
}

gboolean un_vde_request_decode(const void *buf, size_t len,
			       struct un_vde_request *out, GError **error)
{
	const uint8_t *p = buf;
	struct sockaddr_un sun;
	uint32_t type;

	if (!vde_check_header(p, len, error))
		return FALSE;
	memcpy(&sun, p + OFF_SOCK, sizeof(sun));
	if (!vde_check_sock(&sun, error))
		return FALSE;
	type = vde_u32(p + OFF_TYPE);
	memset(out, 0, sizeof(*out));
	out->type = type & 0xffu;
	out->port = type >> 8;
	out->sock = sun;
	vde_copy_description(out->description, p + UN_VDE_REQUEST_HEADER_BYTES,
			     len - UN_VDE_REQUEST_HEADER_BYTES);
	return TRUE;
}
