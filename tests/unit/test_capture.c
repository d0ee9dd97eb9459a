/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_capture.c - pcap files (backend/capture.c) read back byte by byte
 * against the classic libpcap format: a 24-byte header (magic a1b2c3d4
 * in the writer's byte order, version 2.4, thiszone 0, sigfigs 0,
 * snaplen, linktype 1 = Ethernet), then per frame a 16-byte record header
 * (seconds, microseconds, captured length, original length) and the
 * bytes. Also: files that cannot be written, a write error that stops one
 * capture, and which frames a network's and a port's captures record
 * (each frame once on the network; both directions on a port). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "capture.h"
#include "usernet/error.h"

static char *tmp_dir;

static int setup(void **state)
{
	tmp_dir = g_dir_make_tmp("test_capture-XXXXXX", NULL);
	return tmp_dir ? 0 : -1;
}

static int teardown(void **state)
{
	g_autoptr(GDir) d = g_dir_open(tmp_dir, 0, NULL);
	const char *f;

	while (d && (f = g_dir_read_name(d))) {
		g_autofree char *p = g_build_filename(tmp_dir, f, NULL);

		g_unlink(p);
	}
	g_rmdir(tmp_dir);
	g_free(tmp_dir);
	return 0;
}

/* A 32-bit field as the writer's host stores it. */
static guint32 rd32(const guint8 *p)
{
	if (G_BYTE_ORDER == G_LITTLE_ENDIAN)
		return (guint32)p[0] | (guint32)p[1] << 8 | (guint32)p[2] << 16 |
		       (guint32)p[3] << 24;
	return (guint32)p[3] | (guint32)p[2] << 8 | (guint32)p[1] << 16 |
	       (guint32)p[0] << 24;
}

static guint16 rd16(const guint8 *p)
{
	if (G_BYTE_ORDER == G_LITTLE_ENDIAN)
		return (guint16)(p[0] | p[1] << 8);
	return (guint16)(p[1] | p[0] << 8);
}

static void check_file_header(const guint8 *b)
{
	static const guint8 magic_le[4] = { 0xd4, 0xc3, 0xb2, 0xa1 };
	static const guint8 magic_be[4] = { 0xa1, 0xb2, 0xc3, 0xd4 };

	assert_memory_equal(b, G_BYTE_ORDER == G_LITTLE_ENDIAN ? magic_le : magic_be, 4);
	assert_int_equal(rd16(b + 4), 2);       /* version_major */
	assert_int_equal(rd16(b + 6), 4);       /* version_minor */
	assert_int_equal(rd32(b + 8), 0);       /* thiszone */
	assert_int_equal(rd32(b + 12), 0);      /* sigfigs */
	assert_true(rd32(b + 16) >= 65535);     /* snaplen */
	assert_true(rd32(b + 16) >= UN_FRAME_MAX_BYTES);
	assert_int_equal(rd32(b + 20), 1);      /* LINKTYPE_ETHERNET */
}

/* Check one record at *@at against @data/@len stamped @us; advance. */
static void check_record(const guint8 *b, gsize size, gsize *at,
			 const guint8 *data, gsize len, gint64 us)
{
	const guint8 *r = b + *at;

	assert_true(*at + 16 + len <= size);
	assert_int_equal(rd32(r), us / G_USEC_PER_SEC);
	assert_int_equal(rd32(r + 4), us % G_USEC_PER_SEC);
	assert_int_equal(rd32(r + 8), len);
	assert_int_equal(rd32(r + 12), len);
	assert_memory_equal(r + 16, data, len);
	*at += 16 + len;
}

static void test_format(void **state)
{
	g_autofree char *path = g_build_filename(tmp_dir, "known.pcap", NULL);
	g_autofree guint8 *big = g_malloc(UN_FRAME_MAX_BYTES);
	guint8 small[60], mid[1514];
	const struct un_frame frames[] = { { small, sizeof(small) },
					   { mid, sizeof(mid) },
					   { big, UN_FRAME_MAX_BYTES } };
	const gint64 stamps[] = { 1700000000123456, 1700000001000000, 1700000001999999 };
	g_autofree guint8 *b = NULL;
	gsize size, at = 24;
	struct un_capture *c;

	for (gsize i = 0; i < UN_FRAME_MAX_BYTES; i++)
		big[i] = (guint8)(i * 7);
	memset(small, 0xab, sizeof(small));
	memset(mid, 0x5a, sizeof(mid));
	c = un_capture_open(path, NULL);
	assert_non_null(c);
	assert_string_equal(un_capture_path(c), path);
	for (gsize i = 0; i < G_N_ELEMENTS(frames); i++) {
		un_capture_write(c, &frames[i], stamps[i]);
		/* flushed per frame: a reader sees it before the close */
		assert_true(g_file_get_contents(path, (char **)&b, &size, NULL));
		g_clear_pointer(&b, g_free);
	}
	assert_true(un_capture_ok(c));
	un_capture_free(c);
	assert_true(g_file_get_contents(path, (char **)&b, &size, NULL));
	assert_int_equal(size, 24 + 3 * 16 + 60 + 1514 + UN_FRAME_MAX_BYTES);
	check_file_header(b);
	for (gsize i = 0; i < G_N_ELEMENTS(frames); i++)
		check_record(b, size, &at, frames[i].data, frames[i].len, stamps[i]);
	assert_int_equal(at, size);
}

static void test_open_fails(void **state)
{
	g_autofree char *missing = g_build_filename(tmp_dir, "no/such/dir.pcap", NULL);
	struct {
		const char *path;
		const char *reason;
	} rows[] = {
		{ missing, "No such file or directory" },
		{ tmp_dir, "Is a directory" },
		{ "/dev/full", "No space left on device" },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(rows); i++) {
		g_autoptr(GError) err = NULL;
		g_autofree char *want = g_strdup_printf("capture file %s: %s",
							rows[i].path, rows[i].reason);

		assert_null(un_capture_open(rows[i].path, &err));
		assert_true(g_error_matches(err, UN_ERROR, UN_ERROR_IO));
		assert_string_equal(err->message, want);
	}
}

/* A pipe whose reader goes away: the write fails (EPIPE), the capture
 * stops with one warning and later writes do nothing. */
static void test_write_error_stops(void **state)
{
	int fds[2];
	g_autofree char *path = NULL;
	guint8 frame[60] = { 0 };
	const struct un_frame f = { frame, sizeof(frame) };
	struct un_capture *c;

	signal(SIGPIPE, SIG_IGN);
	assert_int_equal(pipe(fds), 0);
	path = g_strdup_printf("/proc/self/fd/%d", fds[1]);
	c = un_capture_open(path, NULL);
	assert_non_null(c);
	close(fds[0]);
	un_capture_write(c, &f, 1);
	assert_false(un_capture_ok(c));
	un_capture_write(c, &f, 2); /* stopped: nothing, no crash */
	un_capture_free(c);
	close(fds[1]);
}

/* ---- which frames are recorded ---- */

struct relay_net {
	struct un_network net;
	struct un_port *a, *b;
};

static guint8 reply[60];

/* Forwards A's frames to B (the same bytes) and answers A (new bytes). */
static void relay_input(struct un_network *n, struct un_port *from,
			const struct un_frame *f)
{
	struct relay_net *s = container_of(n, struct relay_net, net);
	const struct un_frame r = { reply, sizeof(reply) };

	un_port_send(s->b, f);
	un_port_send(from, &r);
}

static gboolean relay_ok(struct un_network *n, const struct un_config *c,
			 GError **error)
{
	return TRUE;
}

static gboolean relay_attach(struct un_network *n, struct un_port *p,
			     GError **error)
{
	return TRUE;
}

static void relay_destroy(struct un_network *n)
{
}

static const char *const no_keys[] = { NULL };
static const struct un_kind_ops relay_kind = {
	.abi = UN_KIND_ABI, .name = "relay", .state_size = sizeof(struct relay_net),
	.keys = no_keys, .create = relay_ok, .attach = relay_attach,
	.input = relay_input, .destroy = relay_destroy,
};

static void null_send(struct un_port *p, const struct un_frame *f)
{
}

static const struct un_port_ops null_port_ops = { "fake", null_send };

/* The number of records in the pcap at @path. */
static guint count_records(const char *path)
{
	g_autofree guint8 *b = NULL;
	gsize size, at = 24;
	guint n = 0;

	assert_true(g_file_get_contents(path, (char **)&b, &size, NULL));
	check_file_header(b);
	while (at + 16 <= size) {
		at += 16 + rd32(b + at + 8);
		n++;
	}
	assert_int_equal(at, size);
	return n;
}

static void test_which_frames(void **state)
{
	struct relay_net s = { 0 };
	struct un_port a, b;
	g_autofree char *pn = g_build_filename(tmp_dir, "net.pcap", NULL);
	g_autofree char *pa = g_build_filename(tmp_dir, "a.pcap", NULL);
	g_autofree char *pb = g_build_filename(tmp_dir, "b.pcap", NULL);
	g_autofree char *stopped = NULL;
	g_autoptr(GError) err = NULL;
	guint8 frame[60] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x52, 0x54 };

	s.net.kind = &relay_kind;
	s.net.name = (char *)"lab";
	s.net.mtu = 1500;
	s.net.ports = g_ptr_array_new();
	un_port_init(&a, &null_port_ops, "a");
	un_port_init(&b, &null_port_ops, "b");
	assert_true(un_network_attach(&s.net, &a, "fake", NULL));
	assert_true(un_network_attach(&s.net, &b, "fake", NULL));
	s.a = &a;
	s.b = &b;
	assert_true(un_capture_start(&s.net, NULL, pn, NULL));
	assert_true(un_capture_start(&s.net, &a, pa, NULL));
	assert_true(un_capture_start(&s.net, &b, pb, NULL));
	assert_false(un_capture_start(&s.net, &b, pb, &err));
	assert_true(g_error_matches(err, UN_ERROR, UN_ERROR_BUSY));
	un_port_input(&a, frame, sizeof(frame));
	un_port_input(&a, frame, sizeof(frame));
	/* network: A's frame once (not again as forwarded to B), the reply */
	stopped = un_capture_stop(&s.net, NULL, NULL);
	assert_string_equal(stopped, pn);
	assert_int_equal(count_records(pn), 4);
	assert_null(s.net.captures);
	assert_int_equal(count_records(pa), 4); /* in and reply, twice */
	assert_int_equal(count_records(pb), 2); /* the forwards */
	g_clear_error(&err);
	assert_null(un_capture_stop(&s.net, NULL, &err));
	assert_true(g_error_matches(err, UN_ERROR, UN_ERROR_NOT_FOUND));
	un_network_detach(&a); /* closes a's capture */
	assert_null(a.captures);
	un_network_detach(&b);
	assert_null(b.captures);
	un_port_clear(&a);
	un_port_clear(&b);
	g_ptr_array_free(s.net.ports, TRUE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_open_fails),
		cmocka_unit_test(test_write_error_stops),
		cmocka_unit_test(test_which_frames),
	};

	return cmocka_run_group_tests_name("capture", tests, setup, teardown);
}
