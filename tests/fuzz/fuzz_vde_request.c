/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fuzz_vde_request.c - the vde_switch request decoder (backend/vde_proto.c).
 * Input: the bytes of one request as a client sent them.
 * Checks: a decoded request keeps every promise vde_proto.h makes (length
 * within bounds, AF_UNIX, an absolute NUL-terminated path without control
 * bytes, a printable NUL-terminated description); a refused one has an
 * error message. */
#include <sys/socket.h>

#include "fuzz_util.h"
#include "vde_proto.h"

static void check_request(const struct un_vde_request *r, size_t len)
{
	size_t n = strnlen(r->sock.sun_path, sizeof(r->sock.sun_path));
	size_t dn = strnlen(r->description, sizeof(r->description));

	FUZZ_CHECK(len >= UN_VDE_REQUEST_HEADER_BYTES && len <= UN_VDE_REQUEST_MAX_BYTES);
	FUZZ_CHECK(r->type == UN_VDE_REQ_NEW_CONTROL || r->type == UN_VDE_REQ_NEW_PORT0);
	FUZZ_CHECK(r->sock.sun_family == AF_UNIX);
	FUZZ_CHECK(n > 0 && n < sizeof(r->sock.sun_path) && r->sock.sun_path[0] == '/');
	for (size_t i = 0; i < n; i++)
		FUZZ_CHECK((uint8_t)r->sock.sun_path[i] >= 0x20 &&
			   (uint8_t)r->sock.sun_path[i] != 0x7f);
	FUZZ_CHECK(dn <= UN_VDE_DESCR_MAX_BYTES && dn <= len - UN_VDE_REQUEST_HEADER_BYTES);
	for (size_t i = 0; i < dn; i++)
		FUZZ_CHECK(r->description[i] >= 0x20 && r->description[i] < 0x7f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct un_vde_request r;
	g_autoptr(GError) err = NULL;

	if (un_vde_request_decode(data, size, &r, &err)) {
		FUZZ_CHECK(err == NULL);
		check_request(&r, size);
	} else {
		FUZZ_CHECK(err != NULL && err->message[0] != '\0');
	}
	return 0;
}
