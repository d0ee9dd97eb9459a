/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_vde_proto.c - decoding vde_switch v3 requests (backend/vde_proto.c).
 * Requests are written byte by byte from the protocol (vdeplug4's
 * libvdeplug_vde.c, struct request_v3, packed, host byte order):
 *   0 magic 0xfeedface | 4 version 3 | 8 type (0 new port [+ port << 8],
 *   1 port 0) | 12 sockaddr_un: family (2 bytes), path (108 bytes) |
 *   122 description, 0 to 128 bytes, no NUL.
 * The last test decodes what a real libvdeplug client sends. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "frame.h"
#include "usernet/error.h"
#include "vde_proto.h"

#define MAX_REQ 260

struct req_spec {
	uint32_t magic, version, type;
	uint16_t family;
	const char *path;   /* copied with its NUL; NULL: 108 bytes of 'a' */
	const char *descr;  /* copied without a NUL */
	size_t descr_len;   /* 0: strlen(descr) */
};

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4); /* host byte order, as libvdeplug writes it */
}

static size_t build(uint8_t *buf, const struct req_spec *s)
{
	size_t dlen = s->descr ? (s->descr_len ? s->descr_len : strlen(s->descr)) : 0;

	memset(buf, 0, MAX_REQ);
	put32(buf + 0, s->magic);
	put32(buf + 4, s->version);
	put32(buf + 8, s->type);
	memcpy(buf + 12, &s->family, 2);
	if (s->path != NULL)
		memcpy(buf + 14, s->path, strlen(s->path) + 1);
	else
		memset(buf + 14, 'a', 108);
	if (dlen > 0)
		memcpy(buf + 122, s->descr, dlen);
	return 122 + dlen;
}

/* A good request's path and description. */
#define P "/run/u/n.vde/.01234-00000"
#define D "QEMU user=0 pid=1234"

struct good_case {
	struct req_spec spec;
	uint32_t type, port;
	const char *descr;
};

static const char descr128[] =
	"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

static const struct good_case good_cases[] = {
	{ { 0xfeedface, 3, 0, AF_UNIX, P, D, 0 }, 0, 0, D },
	{ { 0xfeedface, 3, 5u << 8, AF_UNIX, "/p", "x", 0 }, 0, 5, "x" },
	{ { 0xfeedface, 3, 1, AF_UNIX, "/p", "x", 0 }, 1, 0, "x" },
	{ { 0xfeedface, 3, 0, AF_UNIX, "/p", NULL, 0 }, 0, 0, "" },
	{ { 0xfeedface, 3, 0, AF_UNIX, "/p", descr128, 0 }, 0, 0, descr128 },
	{ { 0xfeedface, 3, 0, AF_UNIX, "/p", "a\tb\x01\xff", 0 }, 0, 0, "a?b??" },
	{ { 0xfeedface, 3, 0, AF_UNIX, "/p", "cut\0here", 8 }, 0, 0, "cut" },
};

static void test_good_requests(void **state)
{
	for (size_t i = 0; i < G_N_ELEMENTS(good_cases); i++) {
		const struct good_case *g = &good_cases[i];
		uint8_t buf[MAX_REQ];
		size_t len = build(buf, &g->spec);
		struct un_vde_request req;
		g_autoptr(GError) error = NULL;

		if (!un_vde_request_decode(buf, len, &req, &error))
			fail_msg("case %zu: %s", i, error->message);
		assert_int_equal(req.type, g->type);
		assert_int_equal(req.port, g->port);
		assert_int_equal(req.sock.sun_family, AF_UNIX);
		assert_string_equal(req.sock.sun_path, g->spec.path);
		assert_string_equal(req.description, g->descr);
	}
}

struct bad_case {
	const char *name;
	struct req_spec spec;
	size_t len;        /* 0: as built */
	const char *says;  /* in the error message */
};

static const char descr129[129] = { [0 ... 128] = 'd' };

/* Each differs from a good request in one thing. */
static const struct bad_case bad_cases[] = {
	{ "wrong magic", { 0xfacefeed, 3, 0, AF_UNIX, P, D, 0 }, 0,
	  "magic 0xfacefeed is not 0xfeedface" },
	{ "byte-swapped magic", { 0xcefaedfe, 3, 0, AF_UNIX, P, D, 0 }, 0,
	  "magic 0xcefaedfe" },
	{ "wrong magic, short", { 0, 3, 0, AF_UNIX, P, D, 0 }, 4, "magic 0x00000000" },
	{ "version 2", { 0xfeedface, 2, 0, AF_UNIX, P, D, 0 }, 0,
	  "protocol version 2 is not supported" },
	{ "version 4", { 0xfeedface, 4, 0, AF_UNIX, P, D, 0 }, 0,
	  "protocol version 4 is not supported" },
	{ "1 byte", { 0xfeedface, 3, 0, AF_UNIX, P, D, 0 }, 1, "truncated at 1 bytes" },
	{ "3 bytes", { 0xfeedface, 3, 0, AF_UNIX, P, D, 0 }, 3, "truncated at 3 bytes" },
	{ "magic only", { 0xfeedface, 3, 0, AF_UNIX, P, D, 0 }, 4, "truncated at 4 bytes" },
	{ "magic, version", { 0xfeedface, 3, 0, AF_UNIX, P, D, 0 }, 8,
	  "truncated at 8 bytes" },
	{ "no address", { 0xfeedface, 3, 0, AF_UNIX, P, D, 0 }, 12,
	  "truncated at 12 bytes" },
	{ "family only", { 0xfeedface, 3, 0, AF_UNIX, P, D, 0 }, 14,
	  "truncated at 14 bytes" },
	{ "half a path", { 0xfeedface, 3, 0, AF_UNIX, P, D, 0 }, 70,
	  "truncated at 70 bytes" },
	{ "one byte short", { 0xfeedface, 3, 0, AF_UNIX, P, D, 0 }, 121,
	  "truncated at 121 bytes" },
	{ "too long", { 0xfeedface, 3, 0, AF_UNIX, P, descr129, 129 }, 0,
	  "request is 251 bytes, more than 250" },
	{ "unknown type", { 0xfeedface, 3, 2, AF_UNIX, P, D, 0 }, 0,
	  "request type 2 is unknown" },
	{ "AF_INET", { 0xfeedface, 3, 0, AF_INET, P, D, 0 }, 0,
	  "address family 2 is not AF_UNIX" },
	{ "family 0", { 0xfeedface, 3, 0, 0, P, D, 0 }, 0,
	  "address family 0 is not AF_UNIX" },
	{ "path without NUL", { 0xfeedface, 3, 0, AF_UNIX, NULL, D, 0 }, 0,
	  "not NUL-terminated within 108 bytes" },
	{ "empty path", { 0xfeedface, 3, 0, AF_UNIX, "", D, 0 }, 0,
	  "socket path is empty" },
	{ "relative path", { 0xfeedface, 3, 0, AF_UNIX, "tmp/x", D, 0 }, 0,
	  "socket path \"tmp/x\" is relative" },
	{ "control byte in path", { 0xfeedface, 3, 0, AF_UNIX, "/tmp/\x01x", D, 0 },
	  0, "control byte 0x01 at offset 5" },
	{ "newline in path", { 0xfeedface, 3, 0, AF_UNIX, "/a\nb", D, 0 }, 0,
	  "control byte 0x0a at offset 2" },
};

static void test_bad_requests(void **state)
{
	for (size_t i = 0; i < G_N_ELEMENTS(bad_cases); i++) {
		const struct bad_case *b = &bad_cases[i];
		uint8_t buf[MAX_REQ];
		size_t len;
		struct un_vde_request req;
		g_autoptr(GError) error = NULL;

		len = build(buf, &b->spec);
		if (b->len != 0)
			len = b->len;
		if (un_vde_request_decode(buf, len, &req, &error))
			fail_msg("%s: decoded", b->name);
		assert_true(g_error_matches(error, UN_ERROR, UN_ERROR_PROTOCOL));
		if (strstr(error->message, b->says) == NULL)
			fail_msg("%s: \"%s\" does not say \"%s\"", b->name,
				 error->message, b->says);
	}
}

/* Every length short of the fixed part is refused, whatever the bytes. */
static void test_truncated_everywhere(void **state)
{
	static const struct req_spec spec = { 0xfeedface, 3, 0, AF_UNIX, P, D, 0 };
	uint8_t buf[MAX_REQ];
	struct un_vde_request req;

	build(buf, &spec);
	for (size_t len = 0; len < 122; len++) {
		g_autoptr(GError) error = NULL;

		assert_false(un_vde_request_decode(buf, len, &req, &error));
		assert_non_null(strstr(error->message, "truncated"));
	}
	assert_true(un_vde_request_decode(buf, 122, &req, NULL));
}

/* Start vde_plug (Debian's vdeplug: libvdeplug's vde:// client) on @url,
 * with one 16-byte frame on its stdin in its stream format (2-byte
 * big-endian length). *stdin_fd stays open: vde_plug quits when it closes.
 * Nothing on the heap here: the child would leak it. */
static pid_t start_vde_plug(const char *url, int *stdin_fd)
{
	static const char input[] = "\x00\x10" "0123456789abcdef";
	int p[2];
	pid_t pid;

	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], input, 18), 18);
	*stdin_fd = p[1];
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(p[0], STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		close(p[1]);
		execlp("vde_plug", "vde_plug", "-D", "unit-test", url, (char *)NULL);
		_exit(127);
	}
	close(p[0]);
	return pid;
}

/* What a real libvdeplug client sends (vde_plug, run as a program: the
 * library dlopen()s its modules with RTLD_DEEPBIND, which sanitizers
 * refuse in-process), answered as a switch would: it must decode, and the
 * client must accept our answer and send its frame. */
static void test_real_libvdeplug_client(void **state)
{
	char dir[] = "/tmp/un-vde-XXXXXX", ctl[64], data[64], url[64];
	uint8_t buf[MAX_REQ + 1];
	struct un_vde_request req;
	struct sockaddr_un ours;
	g_autoptr(GError) error = NULL;
	char *vde_plug = g_find_program_in_path("vde_plug");
	int lfd, cfd = -1, dfd, status, in;
	ssize_t n;
	pid_t pid;

	g_free(vde_plug);
	if (vde_plug == NULL) {
		if (g_strcmp0(g_getenv("CI"), "true") == 0)
			fail_msg("vde_plug not found: apt-get install vdeplug");
		skip();
	}
	assert_non_null(mkdtemp(dir));
	snprintf(ctl, sizeof(ctl), "%s/ctl", dir);
	snprintf(data, sizeof(data), "%s/1", dir);
	snprintf(url, sizeof(url), "vde://%s", dir);
	lfd = un_unix_bind(ctl, SOCK_STREAM, NULL);
	assert_true(lfd >= 0);
	assert_int_equal(listen(lfd, 1), 0);
	pid = start_vde_plug(url, &in);
	for (int i = 0; i < 500 && (cfd = accept(lfd, NULL, NULL)) < 0; i++)
		g_usleep(10000);
	assert_true(cfd >= 0);
	n = recv(cfd, buf, sizeof(buf), 0);
	if (!un_vde_request_decode(buf, (size_t)n, &req, &error))
		fail_msg("%s", error->message);
	assert_int_equal(req.type, UN_VDE_REQ_NEW_CONTROL);
	assert_int_equal(req.port, 0);
	assert_true(g_str_has_prefix(req.sock.sun_path, dir));
	assert_true(g_str_has_prefix(req.description, "unit-test user="));
	/* connect first, then answer */
	dfd = un_unix_bind(data, SOCK_DGRAM, NULL);
	assert_int_equal(connect(dfd, (struct sockaddr *)&req.sock, sizeof(req.sock)), 0);
	assert_true(un_sockaddr_un_fill(&ours, NULL, data, NULL));
	assert_int_equal(send(cfd, &ours, sizeof(ours), 0), sizeof(ours));
	assert_int_equal(poll(&(struct pollfd){ .fd = dfd, .events = POLLIN }, 1,
			      5000), 1);
	assert_int_equal(recv(dfd, buf, sizeof(buf), 0), 16);
	assert_memory_equal(buf, "0123456789abcdef", 16);
	close(in);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(dfd);
	close(cfd);
	close(lfd);
	unlink(data);
	unlink(ctl);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_requests),
		cmocka_unit_test(test_bad_requests),
		cmocka_unit_test(test_truncated_everywhere),
		cmocka_unit_test(test_real_libvdeplug_client),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
