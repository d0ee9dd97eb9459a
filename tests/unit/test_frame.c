/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_frame.c - the wire facts transports share (backend/frame.c).
 * Expectations come from the protocols, not from the code:
 * - QEMU stream: each frame is preceded by its length, a 4-byte big-endian
 *   integer; reads may split a frame anywhere and bring many at once; a
 *   length of 0 or above 65550 (UN_FRAME_MAX_BYTES) breaks framing.
 * - Send queue: at most 256 frames or 4 MiB (4194304 bytes), whichever
 *   comes first; a full queue drops, never blocks. Frames of a wake-up go
 *   out together, in order: up to 64 per writev or sendmmsg.
 * - Datagrams: one datagram is one frame; a datagram above 65550 bytes is
 *   seen as oversized, not cut.
 * - Unix socket paths: at most 107 bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "frame.h"
#include "usernet/error.h"

/* ---- helpers ----------------------------------------------------------- */

static uint8_t pattern(size_t frame, size_t at)
{
	return (uint8_t)(frame * 31u + at * 7u + 1u);
}

/* A stream holding frames of @lens (n of them), each with its 4-byte
 * big-endian length written out by hand. */
static GByteArray *stream_of(const size_t *lens, size_t n)
{
	GByteArray *s = g_byte_array_new();

	for (size_t i = 0; i < n; i++) {
		uint8_t hdr[4] = { (uint8_t)(lens[i] >> 24), (uint8_t)(lens[i] >> 16),
				   (uint8_t)(lens[i] >> 8), (uint8_t)lens[i] };

		g_byte_array_append(s, hdr, 4);
		for (size_t j = 0; j < lens[i]; j++) {
			uint8_t b = pattern(i, j);

			g_byte_array_append(s, &b, 1);
		}
	}
	return s;
}

/* Feed one read of @len bytes; check each frame that comes out against
 * @lens, counting them in *got. Returns the last result. */
static enum un_deframe feed(struct un_deframer *d, const uint8_t *bytes,
			    size_t len, const size_t *lens, size_t *got)
{
	struct un_frame f;
	enum un_deframe r;
	size_t room;
	uint8_t *at = un_deframer_room(d, &room);

	assert_true(room >= 4 + UN_FRAME_MAX_BYTES);
	assert_true(len <= room);
	memcpy(at, bytes, len);
	un_deframer_fill(d, len);
	while ((r = un_deframer_next(d, &f, NULL)) == UN_DEFRAME_FRAME) {
		assert_int_equal(f.len, lens[*got]);
		for (size_t j = 0; j < f.len; j++)
			if (f.data[j] != pattern(*got, j))
				fail_msg("frame %zu byte %zu differs", *got, j);
		(*got)++;
	}
	return r;
}

/* ---- stream framing ---------------------------------------------------- */

static void test_header_is_big_endian(void **state)
{
	uint8_t hdr[4];

	un_stream_header(hdr, 0x00010203);
	assert_memory_equal(hdr, ((uint8_t[]){ 0x00, 0x01, 0x02, 0x03 }), 4);
	un_stream_header(hdr, 1514);
	assert_memory_equal(hdr, ((uint8_t[]){ 0x00, 0x00, 0x05, 0xea }), 4);
}

/* Two frames, the stream cut into two reads at every offset. */
static void test_split_at_every_offset(void **state)
{
	static const size_t lens[] = { 60, 1514, 14 };
	g_autoptr(GByteArray) s = stream_of(lens, G_N_ELEMENTS(lens));

	for (size_t cut = 0; cut <= s->len; cut++) {
		struct un_deframer d;
		size_t got = 0;

		un_deframer_init(&d);
		assert_int_equal(feed(&d, s->data, cut, lens, &got), UN_DEFRAME_MORE);
		assert_int_equal(feed(&d, s->data + cut, s->len - cut, lens, &got),
				 UN_DEFRAME_MORE);
		assert_int_equal(got, G_N_ELEMENTS(lens));
		assert_int_equal(un_deframer_pending(&d), 0);
		un_deframer_clear(&d);
	}
}

/* One byte per read: every offset at once, headers split too. */
static void test_one_byte_per_read(void **state)
{
	static const size_t lens[] = { 1, 2, 3, 4, 5, 64, 1514 };
	g_autoptr(GByteArray) s = stream_of(lens, G_N_ELEMENTS(lens));
	struct un_deframer d;
	size_t got = 0;

	un_deframer_init(&d);
	for (size_t i = 0; i < s->len; i++)
		assert_int_equal(feed(&d, s->data + i, 1, lens, &got), UN_DEFRAME_MORE);
	assert_int_equal(got, G_N_ELEMENTS(lens));
	un_deframer_clear(&d);
}

/* The largest frames, split at many offsets, three in a row: the partial
 * frame has to move to the front of the buffer to fit. */
static void test_max_frames_split(void **state)
{
	static const size_t lens[] = { UN_FRAME_MAX_BYTES, UN_FRAME_MAX_BYTES,
				       UN_FRAME_MAX_BYTES };
	g_autoptr(GByteArray) s = stream_of(lens, G_N_ELEMENTS(lens));
	static const size_t cuts[] = { 0, 1, 3, 4, 5, 65553, 65554, 65555, 100000,
				       131107, 131108, 131109, 196661 };

	for (size_t c = 0; c < G_N_ELEMENTS(cuts); c++) {
		struct un_deframer d;
		size_t got = 0, at = 0;
		gboolean first = TRUE;

		un_deframer_init(&d);
		/* a first read of cuts[c] bytes, then reads as large as the room */
		while (at < s->len) {
			size_t room, n;

			un_deframer_room(&d, &room);
			n = MIN(room, s->len - at);
			if (first)
				n = MIN(n, cuts[c]);
			first = FALSE;
			feed(&d, s->data + at, n, lens, &got);
			at += n;
		}
		assert_int_equal(got, 3);
		un_deframer_clear(&d);
	}
}

/* A read as large as the room brings many frames out at once. */
static void test_many_frames_in_one_read(void **state)
{
	size_t lens[200];
	g_autoptr(GByteArray) s = NULL;
	struct un_deframer d;
	size_t got = 0, at = 0, reads = 0;

	for (size_t i = 0; i < G_N_ELEMENTS(lens); i++)
		lens[i] = 60 + (i * 97) % 1455;
	s = stream_of(lens, G_N_ELEMENTS(lens));
	un_deframer_init(&d);
	while (at < s->len) {
		size_t room, n;

		un_deframer_room(&d, &room);
		n = MIN(room, s->len - at);
		feed(&d, s->data + at, n, lens, &got);
		at += n;
		reads++;
	}
	assert_int_equal(got, G_N_ELEMENTS(lens));
	assert_true(reads <= 2);
	un_deframer_clear(&d);
}

struct bad_length {
	uint32_t len;
	const char *says;
};

static const struct bad_length bad_lengths[] = {
	{ 0, "frame length 0 is empty" },
	{ 65551, "frame length 65551 is too large" },
	{ 65552, "frame length 65552 is too large" },
	{ 0x00100000, "frame length 1048576 is too large" },
	{ 0x7fffffff, "frame length 2147483647 is too large" },
	{ 0xffffffff, "frame length 4294967295 is too large" },
};

/* Bad lengths are errors as soon as the 4 header bytes are in, after any
 * good frames before them, and stay errors. */
static void test_bad_lengths(void **state)
{
	static const size_t good[] = { 60 };

	for (size_t i = 0; i < G_N_ELEMENTS(bad_lengths); i++) {
		g_autoptr(GByteArray) s = stream_of(good, 1);
		uint32_t v = bad_lengths[i].len;
		uint8_t hdr[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16),
				   (uint8_t)(v >> 8), (uint8_t)v };
		struct un_deframer d;
		struct un_frame f;
		size_t got = 0;

		g_byte_array_append(s, hdr, 4);
		un_deframer_init(&d);
		assert_int_equal(feed(&d, s->data, s->len - 1, good, &got),
				 UN_DEFRAME_MORE);
		assert_int_equal(got, 1);
		assert_int_equal(feed(&d, s->data + s->len - 1, 1, good, &got),
				 UN_DEFRAME_ERROR);
		for (int again = 0; again < 2; again++) {
			g_autoptr(GError) error = NULL;

			assert_int_equal(un_deframer_next(&d, &f, &error),
					 UN_DEFRAME_ERROR);
			assert_true(g_error_matches(error, UN_ERROR, UN_ERROR_PROTOCOL));
			if (strstr(error->message, bad_lengths[i].says) == NULL)
				fail_msg("\"%s\" does not say \"%s\"", error->message,
					 bad_lengths[i].says);
		}
		un_deframer_clear(&d);
	}
}

/* The largest legal length is a frame, and a 1-byte frame is framing-wise
 * fine too (the port judges its size). */
static void test_edge_lengths(void **state)
{
	static const size_t lens[] = { UN_FRAME_MAX_BYTES, 1 };
	g_autoptr(GByteArray) s = stream_of(lens, G_N_ELEMENTS(lens));
	struct un_deframer d;
	size_t got = 0;

	un_deframer_init(&d);
	assert_int_equal(feed(&d, s->data, s->len, lens, &got), UN_DEFRAME_MORE);
	assert_int_equal(got, 2);
	un_deframer_clear(&d);
}

/* A peer that goes away mid-frame: nothing comes out, and the bytes held
 * say what is lost. */
static void test_disconnect_mid_frame(void **state)
{
	static const size_t lens[] = { 1514, 1514 };
	g_autoptr(GByteArray) s = stream_of(lens, G_N_ELEMENTS(lens));
	static const size_t stops[] = { 1, 2, 3, 4, 5, 1517, 1518, 1519, 1522, 3035 };

	for (size_t i = 0; i < G_N_ELEMENTS(stops); i++) {
		struct un_deframer d;
		size_t got = 0;

		un_deframer_init(&d);
		feed(&d, s->data, stops[i], lens, &got);
		assert_int_equal(got, stops[i] >= 1518 ? 1 : 0);
		assert_int_equal(un_deframer_pending(&d),
				 stops[i] >= 1518 ? stops[i] - 1518 : stops[i]);
		un_deframer_clear(&d);
	}
}

/* ---- send queue -------------------------------------------------------- */

static void push_bytes(struct un_sendq *q, size_t len, gboolean expect)
{
	g_autofree uint8_t *buf = g_malloc0(len);
	struct iovec iov = { buf, len };

	assert_int_equal(un_sendq_push(q, &iov, 1, 0), expect);
}

static void test_queue_frame_bound(void **state)
{
	struct un_sendq q;

	un_sendq_init(&q);
	for (int i = 0; i < 256; i++)
		push_bytes(&q, 60, TRUE);
	push_bytes(&q, 60, FALSE);
	assert_int_equal(q.frames, 256);
	assert_int_equal(q.bytes, 256 * 60);
	assert_int_equal(un_sendq_clear(&q), 256);
	assert_true(un_sendq_empty(&q));
	push_bytes(&q, 60, TRUE);
	un_sendq_clear(&q);
}

static void test_queue_byte_bound(void **state)
{
	struct un_sendq q;

	/* 63 frames of 65550 bytes are 4129650 bytes; a 64th would be 4195200,
	 * over 4 MiB; a 64534-byte frame still fits exactly. */
	un_sendq_init(&q);
	for (int i = 0; i < 63; i++)
		push_bytes(&q, UN_FRAME_MAX_BYTES, TRUE);
	push_bytes(&q, UN_FRAME_MAX_BYTES, FALSE);
	push_bytes(&q, 4194304 - 4129650 + 1, FALSE);
	push_bytes(&q, 4194304 - 4129650, TRUE);
	push_bytes(&q, 1, FALSE);
	assert_int_equal(q.frames, 64);
	assert_int_equal(q.bytes, 4194304);
	un_sendq_clear(&q);
}

/* Bytes of @fd until it would block. */
static GByteArray *drain(int fd)
{
	GByteArray *got = g_byte_array_new();
	uint8_t buf[65536];
	ssize_t n;

	while ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
		g_byte_array_append(got, buf, (guint)n);
	return got;
}

/* Push skips bytes across iovec boundaries: what a short write left. */
static void test_queue_push_skip(void **state)
{
	uint8_t a[4] = { 1, 2, 3, 4 }, b[6] = { 5, 6, 7, 8, 9, 10 };
	struct iovec iov[2] = { { a, 4 }, { b, 6 } };
	struct un_sendq q;
	int sv[2];
	g_autoptr(GByteArray) got = NULL;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	un_sendq_init(&q);
	assert_true(un_sendq_push(&q, iov, 2, 3));
	assert_true(un_sendq_push(&q, iov, 2, 4));
	assert_true(un_sendq_push(&q, iov, 2, 10));
	assert_int_equal(q.frames, 2);
	assert_int_equal(q.bytes, 7 + 6);
	assert_int_equal(un_sendq_flush_stream(&q, sv[0]), UN_SEND_DONE);
	got = drain(sv[1]);
	assert_int_equal(got->len, 13);
	assert_memory_equal(got->data, ((uint8_t[]){ 4, 5, 6, 7, 8, 9, 10,
						     5, 6, 7, 8, 9, 10 }), 13);
	close(sv[0]);
	close(sv[1]);
}

/* A slow stream peer: frames go out directly until the socket is full,
 * then queue (a frame partly written stays whole on the wire), then drop
 * at the bound. What the peer reads is every frame not dropped, in order,
 * intact. */
static void test_stream_backpressure(void **state)
{
	int sv[2], small = 4096;
	struct un_sendq q;
	size_t sent = 0, queued = 0, full = 0, got = 0, at = 0;
	size_t lens[400];
	g_autoptr(GByteArray) wire = NULL;
	struct un_deframer d;
	enum un_send_result r;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
	un_sendq_init(&q);
	for (size_t i = 0; i < G_N_ELEMENTS(lens); i++) {
		g_autofree uint8_t *buf = g_malloc(3000);

		for (size_t j = 0; j < 3000; j++)
			buf[j] = pattern(sent, j);
		r = un_stream_send(&q, sv[0], buf, 3000);
		assert_true(r == UN_SEND_BATCHED || r == UN_SEND_QUEUED ||
			    r == UN_SEND_FULL);
		if (r != UN_SEND_FULL)
			lens[sent++] = 3000;
		queued += r == UN_SEND_QUEUED;
		full += r == UN_SEND_FULL;
	}
	assert_true(queued > 0);
	assert_true(full > 0);
	assert_int_equal(q.frames, 256);
	/* the peer reads; we flush on "G_IO_OUT" until the queue is empty */
	wire = g_byte_array_new();
	for (int rounds = 0; rounds < 10000 && !un_sendq_empty(&q); rounds++) {
		g_autoptr(GByteArray) part = drain(sv[1]);

		g_byte_array_append(wire, part->data, part->len);
		r = un_sendq_flush_stream(&q, sv[0]);
		assert_true(r == UN_SEND_DONE || r == UN_SEND_QUEUED);
	}
	assert_true(un_sendq_empty(&q));
	{
		g_autoptr(GByteArray) part = drain(sv[1]);

		g_byte_array_append(wire, part->data, part->len);
	}
	un_deframer_init(&d);
	while (at < wire->len) {
		size_t room, n;

		un_deframer_room(&d, &room);
		n = MIN(room, wire->len - at);
		assert_int_equal(feed(&d, wire->data + at, n, lens, &got), UN_DEFRAME_MORE);
		at += n;
	}
	assert_int_equal(got, sent);
	un_deframer_clear(&d);
	close(sv[0]);
	close(sv[1]);
}

/* A network's send-queue-frames and send-queue-bytes bound the queue:
 * whichever fills first refuses the next frame (the first frame is always
 * taken, so a frame above the byte bound still gets through alone). */
static void test_sendq_limits(void **state)
{
	struct un_sendq q;
	struct iovec iov;
	uint8_t buf[1000] = { 0 };

	iov = (struct iovec){ .iov_base = buf, .iov_len = sizeof(buf) };
	un_sendq_init(&q);
	un_sendq_set_limits(&q, 16, 0);
	for (int i = 0; i < 16; i++)
		assert_true(un_sendq_push(&q, &iov, 1, 0));
	assert_false(un_sendq_push(&q, &iov, 1, 0));
	assert_int_equal(q.frames, 16);
	un_sendq_clear(&q);

	un_sendq_set_limits(&q, 0, 4500); /* default frames, 4 frames' bytes */
	assert_int_equal(q.max_frames, UN_SENDQ_MAX_FRAMES);
	for (int i = 0; i < 4; i++)
		assert_true(un_sendq_push(&q, &iov, 1, 0));
	assert_false(un_sendq_push(&q, &iov, 1, 0));
	assert_int_equal(q.bytes, 4000);
	un_sendq_clear(&q);

	un_sendq_set_limits(&q, 16, 500);
	assert_true(un_sendq_push(&q, &iov, 1, 0)); /* alone: taken */
	assert_false(un_sendq_push(&q, &iov, 1, 0));
	un_sendq_clear(&q);
}

/* A pure TCP ACK, as libslirp sends one to the guest: 10.0.2.2:80 ->
 * 10.0.2.15:40000, ack 5000, padded to 60 bytes. */
static const uint8_t ACK_FRAME[60] = {
	0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0x52, 0x55, 0x0a, 0x00, 0x02, 0x02,
	0x08, 0x00, 0x45, 0x00, 0x00, 0x28, 0x00, 0x00, 0x40, 0x00, 0x40, 0x06,
	0x00, 0x00, 0x0a, 0x00, 0x02, 0x02, 0x0a, 0x00, 0x02, 0x0f, 0x00, 0x50,
	0x9c, 0x40, 0x00, 0x00, 0x03, 0xe8, 0x00, 0x00, 0x13, 0x88, 0x50, 0x10,
	0xff, 0xff,
};

static void ack_frame(uint8_t f[60], uint32_t ack, unsigned dport)
{
	memcpy(f, ACK_FRAME, 60);
	f[36] = (uint8_t)(dport >> 8);
	f[37] = (uint8_t)dport;
	f[42] = (uint8_t)(ack >> 24);
	f[43] = (uint8_t)(ack >> 16);
	f[44] = (uint8_t)(ack >> 8);
	f[45] = (uint8_t)ack;
}

/* Within one batch, a pure ACK replaces an older one of its connection
 * queued just before it; a duplicate ACK, another connection's ACK and
 * anything else are kept, in order. */
static void test_batched_acks_merge(void **state)
{
	static const struct { uint32_t ack; unsigned port; } sent[] = {
		{ 5000, 40000 }, { 6448, 40000 }, { 7896, 40000 }, /* one left */
		{ 7896, 40000 },                                    /* dup: kept */
		{ 9000, 40001 },                                    /* other */
		{ 9344, 40000 },
	};
	static const struct { uint32_t ack; unsigned port; } want[] = {
		{ 7896, 40000 }, { 7896, 40000 }, { 9000, 40001 }, { 9344, 40000 },
	};
	int sv[2];
	struct un_sendq q;
	uint8_t f[60], data[100];

	assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
	un_sendq_init(&q);
	memset(data, 0x5a, sizeof(data));
	assert_int_equal(un_dgram_send(&q, sv[0], NULL, 0, data, sizeof(data)),
			 UN_SEND_BATCHED);
	for (size_t i = 0; i < G_N_ELEMENTS(sent); i++) {
		ack_frame(f, sent[i].ack, sent[i].port);
		assert_int_equal(un_dgram_send(&q, sv[0], NULL, 0, f, sizeof(f)),
				 UN_SEND_BATCHED);
	}
	assert_int_equal(q.frames, 1 + G_N_ELEMENTS(want));
	assert_int_equal(q.acks_merged, 2);
	assert_int_equal(un_sendq_flush_dgram(&q, sv[0], NULL, 0), UN_SEND_DONE);
	assert_int_equal(recv(sv[1], data, sizeof(data), MSG_DONTWAIT), sizeof(data));
	for (size_t i = 0; i < G_N_ELEMENTS(want); i++) {
		uint8_t got[64];

		ack_frame(f, want[i].ack, want[i].port);
		assert_int_equal(recv(sv[1], got, sizeof(got), MSG_DONTWAIT), 60);
		assert_memory_equal(got, f, 60);
	}
	assert_int_equal(recv(sv[1], f, sizeof(f), MSG_DONTWAIT), -1);
	close(sv[0]);
	close(sv[1]);
}

/* A tap takes one frame per write(): small frames wait for the flush (so
 * pure ACKs merge as in test_batched_acks_merge) and leave in order, one
 * write each; a frame above 16 KiB finding the queue empty is written at
 * once; a frame the kernel refuses is dropped (FAILED, errno) and the rest
 * stay queued. A SOCK_DGRAM pair stands in for the tap: one write, one
 * datagram. */
static void test_frames_send(void **state)
{
	static uint8_t big[20000];
	int sv[2], ro = open("/dev/null", O_RDONLY);
	struct un_sendq q;
	uint8_t f[60], got[64];

	assert_true(ro >= 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
	un_sendq_init(&q);
	ack_frame(f, 5000, 40000);
	assert_int_equal(un_frame_send(&q, sv[0], f, sizeof(f)), UN_SEND_BATCHED);
	ack_frame(f, 6448, 40000);
	assert_int_equal(un_frame_send(&q, sv[0], f, sizeof(f)), UN_SEND_BATCHED);
	ack_frame(f, 100, 40001);
	assert_int_equal(un_frame_send(&q, sv[0], f, sizeof(f)), UN_SEND_BATCHED);
	assert_int_equal(q.frames, 2);
	assert_int_equal(q.acks_merged, 1);
	assert_int_equal(recv(sv[1], got, sizeof(got), MSG_DONTWAIT), -1);
	assert_int_equal(un_sendq_flush_frames(&q, sv[0]), UN_SEND_DONE);
	ack_frame(f, 6448, 40000);
	assert_int_equal(recv(sv[1], got, sizeof(got), MSG_DONTWAIT), 60);
	assert_memory_equal(got, f, 60);
	ack_frame(f, 100, 40001);
	assert_int_equal(recv(sv[1], got, sizeof(got), MSG_DONTWAIT), 60);
	assert_memory_equal(got, f, 60);

	assert_int_equal(un_frame_send(&q, sv[0], big, sizeof(big)), UN_SEND_DONE);
	assert_int_equal(recv(sv[1], big, sizeof(big), MSG_DONTWAIT), sizeof(big));

	assert_int_equal(un_frame_send(&q, ro, f, sizeof(f)), UN_SEND_BATCHED);
	assert_int_equal(un_frame_send(&q, ro, big, sizeof(big)), UN_SEND_BATCHED);
	errno = 0;
	assert_int_equal(un_sendq_flush_frames(&q, ro), UN_SEND_FAILED);
	assert_int_equal(errno, EBADF);
	assert_int_equal(q.frames, 1);
	assert_int_equal(un_sendq_flush_frames(&q, sv[0]), UN_SEND_DONE);
	assert_int_equal(recv(sv[1], big, sizeof(big), MSG_DONTWAIT), sizeof(big));
	assert_int_equal(un_frame_send(&q, ro, big, sizeof(big)), UN_SEND_FAILED);
	close(ro);
	close(sv[0]);
	close(sv[1]);
}

/* Frames of one wake-up wait for one flush and arrive in order; the 64th
 * frame of a batch flushes at once; a frame above 16 KiB finding the queue
 * empty is written at once, and one finding frames queued waits behind
 * them. */
static void test_stream_batching(void **state)
{
	int sv[2];
	struct un_sendq q;
	size_t lens[UN_SEND_BATCH_FRAMES + 3], got = 0, at = 0;
	g_autoptr(GByteArray) wire = g_byte_array_new();
	g_autofree uint8_t *buf = g_malloc(UN_SEND_BATCH_FRAME_MAX_BYTES + 1);
	struct un_deframer d;
	const size_t big = UN_SEND_BATCH_FRAME_MAX_BYTES + 1;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	un_sendq_init(&q);
	for (size_t i = 0; i < G_N_ELEMENTS(lens); i++) {
		size_t from_end = G_N_ELEMENTS(lens) - i;
		enum un_send_result want = UN_SEND_BATCHED;

		lens[i] = from_end == 3 || from_end == 1 ? big : 60 + i;
		for (size_t j = 0; j < lens[i]; j++)
			buf[j] = pattern(i, j);
		if (i + 1 == UN_SEND_BATCH_FRAMES || from_end == 3)
			want = UN_SEND_DONE; /* the 64th; big with the queue empty */
		assert_int_equal(un_stream_send(&q, sv[0], buf, lens[i]), want);
		if (i == 0) {
			g_autoptr(GByteArray) none = drain(sv[1]);

			assert_int_equal(none->len, 0);
		}
	}
	assert_int_equal(q.frames, 2); /* the small one, the big one behind */
	assert_int_equal(un_sendq_flush_stream(&q, sv[0]), UN_SEND_DONE);
	un_deframer_init(&d);
	for (guint n = 1; n > 0;) {
		g_autoptr(GByteArray) part = drain(sv[1]);

		g_byte_array_append(wire, part->data, part->len);
		n = part->len;
	}
	while (at < wire->len) {
		size_t room, n;

		un_deframer_room(&d, &room);
		n = MIN(room, wire->len - at);
		feed(&d, wire->data + at, n, lens, &got);
		at += n;
	}
	assert_int_equal(got, G_N_ELEMENTS(lens));
	un_deframer_clear(&d);
	close(sv[0]);
	close(sv[1]);
}

static void test_stream_send_to_closed_peer(void **state)
{
	int sv[2];
	struct un_sendq q;
	uint8_t frame[60] = { 0 };

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	close(sv[1]);
	un_sendq_init(&q);
	assert_int_equal(un_stream_send(&q, sv[0], frame, sizeof(frame)),
			 UN_SEND_BATCHED);
	/* no SIGPIPE: the test would die */
	assert_int_equal(un_sendq_flush_stream(&q, sv[0]), UN_SEND_FAILED);
	assert_int_equal(errno, EPIPE);
	assert_true(un_errno_peer_gone(errno));
	assert_int_equal(un_sendq_clear(&q), 1);
	close(sv[0]);
}

/* A unix datagram peer that is not connected to us takes only
 * net.unix.max_dgram_qlen datagrams before EAGAIN: the rest queue, and a
 * flush after it read sends them in order. */
static void test_dgram_qlen_backpressure(void **state)
{
	g_autofree char *dir = g_dir_make_tmp("un-frame-XXXXXX", NULL);
	g_autofree char *path = g_build_filename(dir, "peer", NULL);
	struct sockaddr_un sun;
	socklen_t len;
	int rx, tx;
	struct un_sendq q;
	unsigned queued = 0, got = 0;
	uint8_t frame[100];

	assert_true(un_sockaddr_un_fill(&sun, &len, path, NULL));
	rx = un_unix_bind(path, SOCK_DGRAM, NULL);
	assert_true(rx >= 0);
	tx = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	un_sendq_init(&q);
	for (unsigned i = 0; i < 40; i++) {
		memset(frame, (int)i, sizeof(frame));
		enum un_send_result r = un_dgram_send(&q, tx, (struct sockaddr *)&sun,
						      len, frame, sizeof(frame));
		queued += r == UN_SEND_BATCHED;
		assert_int_equal(r, UN_SEND_BATCHED);
	}
	assert_int_equal(queued, 40);
	/* the flush sends what the peer's queue takes, keeps the rest */
	assert_int_equal(un_sendq_flush_dgram(&q, tx, (struct sockaddr *)&sun, len),
			 UN_SEND_QUEUED);
	assert_true(q.frames >= 20);
	while (got < 40) {
		int n = un_dgram_recv(rx);

		for (int i = 0; i < n; i++) {
			struct un_dgram d = un_dgram_at(i);

			assert_int_equal(d.len, sizeof(frame));
			assert_int_equal(d.data[0], got);
			got++;
		}
		if (n < 0)
			assert_int_equal(errno, EAGAIN);
		un_sendq_flush_dgram(&q, tx, (struct sockaddr *)&sun, len);
	}
	assert_true(un_sendq_empty(&q));
	/* the peer is gone: the next send says so */
	close(rx);
	unlink(path);
	assert_int_equal(un_dgram_send(&q, tx, (struct sockaddr *)&sun, len, frame,
				       sizeof(frame)), UN_SEND_BATCHED);
	assert_int_equal(un_sendq_flush_dgram(&q, tx, (struct sockaddr *)&sun, len),
			 UN_SEND_FAILED);
	assert_true(un_errno_peer_gone(errno));
	close(tx);
	rmdir(dir);
}

/* One recvmmsg: frame sizes as sent, an oversized one flagged, the
 * sender's address given. */
static void test_dgram_recv_batch(void **state)
{
	g_autofree char *dir = g_dir_make_tmp("un-frame-XXXXXX", NULL);
	g_autofree char *rx_path = g_build_filename(dir, "rx", NULL);
	g_autofree char *tx_path = g_build_filename(dir, "tx", NULL);
	static const size_t sizes[] = { 60, UN_FRAME_MAX_BYTES + 1, UN_FRAME_MAX_BYTES,
					0, 14 };
	struct sockaddr_un sun;
	socklen_t len;
	int rx = un_unix_bind(rx_path, SOCK_DGRAM, NULL);
	int tx = un_unix_bind(tx_path, SOCK_DGRAM, NULL);
	g_autofree uint8_t *buf = g_malloc(UN_FRAME_MAX_BYTES + 1);

	assert_true(rx >= 0 && tx >= 0);
	un_socket_set_buffers(tx, UN_DGRAM_SOCKBUF_BYTES);
	un_socket_set_buffers(rx, UN_DGRAM_SOCKBUF_BYTES);
	assert_true(un_sockaddr_un_fill(&sun, &len, rx_path, NULL));
	for (size_t i = 0; i < G_N_ELEMENTS(sizes); i++) {
		for (size_t j = 0; j < sizes[i]; j++)
			buf[j] = pattern(i, j);
		assert_int_equal(sendto(tx, buf, sizes[i], 0, (struct sockaddr *)&sun,
					len), (ssize_t)sizes[i]);
	}
	assert_int_equal(un_dgram_recv(rx), G_N_ELEMENTS(sizes));
	for (size_t i = 0; i < G_N_ELEMENTS(sizes); i++) {
		struct un_dgram d = un_dgram_at((int)i);
		g_autofree char *from = un_sockaddr_describe((struct sockaddr *)d.from,
							     d.from_len);

		assert_int_equal(d.len, sizes[i]);
		assert_string_equal(from, tx_path);
		for (size_t j = 0; j < MIN(d.len, UN_FRAME_MAX_BYTES); j++)
			if (d.data[j] != pattern(i, j))
				fail_msg("datagram %zu byte %zu differs", i, j);
	}
	assert_int_equal(un_dgram_recv(rx), -1);
	assert_int_equal(errno, EAGAIN);
	close(rx);
	close(tx);
	unlink(rx_path);
	unlink(tx_path);
	rmdir(dir);
}

/* ---- settle: what a port's send does with the result ------------------- */

static void noop_send(struct un_port *p, const struct un_frame *f)
{
}

static const struct un_port_ops noop_ops = { "test", noop_send };

static void count_calls(void *opaque, GIOCondition revents)
{
	int *calls = opaque;

	(*calls)++;
}

static void test_settle(void **state)
{
	struct un_port p;
	int sv[2], calls = 0;
	struct un_watch *w;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	un_port_init(&p, &noop_ops, "peer");
	w = un_watch_new(sv[0], 0, count_calls, &calls, "test");
	un_send_settle(&p, w, UN_SEND_DONE);
	un_send_settle(&p, w, UN_SEND_FULL);
	assert_int_equal(p.counters.drops[UN_DROP_QUEUE_FULL], 1);
	errno = EMSGSIZE;
	un_send_settle(&p, w, UN_SEND_FAILED);
	assert_int_equal(p.counters.drops[UN_DROP_SEND_ERROR], 1);
	assert_int_equal(un_watch_gone(w), 0);
	/* queued: the watch now waits for G_IO_OUT, which a socketpair has */
	un_send_settle(&p, w, UN_SEND_QUEUED);
	for (int i = 0; i < 3; i++)
		g_main_context_iteration(NULL, FALSE);
	assert_int_equal(calls, 3);
	/* flushed empty: no more G_IO_OUT */
	un_flush_settle(&p, w, UN_SEND_DONE);
	calls = 0;
	while (g_main_context_iteration(NULL, FALSE))
		;
	assert_int_equal(calls, 0);
	/* the peer is gone: marked, and the watch runs once to close it */
	errno = ECONNREFUSED;
	un_send_settle(&p, w, UN_SEND_FAILED);
	assert_int_equal(un_watch_gone(w), ECONNREFUSED);
	assert_int_equal(p.counters.drops[UN_DROP_SEND_ERROR], 2);
	while (g_main_context_iteration(NULL, FALSE))
		;
	assert_int_equal(calls, 1);
	un_watch_free(w);
	un_port_clear(&p);
	close(sv[0]);
	close(sv[1]);
}

/* Batched frames: the watch is called once with G_IO_OUT, before the loop
 * polls again, however many frames were batched; not once it is gone. */
static void test_settle_batched(void **state)
{
	struct un_port p;
	int sv[2], calls = 0;
	struct un_watch *w;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	un_port_init(&p, &noop_ops, "peer");
	w = un_watch_new(sv[0], 0, count_calls, &calls, "test");
	for (int i = 0; i < 5; i++)
		un_send_settle(&p, w, UN_SEND_BATCHED);
	assert_int_equal(calls, 0);
	g_main_context_iteration(NULL, FALSE);
	assert_int_equal(calls, 1);
	while (g_main_context_iteration(NULL, FALSE))
		;
	assert_int_equal(calls, 1);
	/* a flush that found the peer slow: G_IO_OUT from now on */
	un_flush_settle(&p, w, UN_SEND_QUEUED);
	calls = 0;
	g_main_context_iteration(NULL, FALSE);
	assert_int_equal(calls, 1);
	un_flush_settle(&p, w, UN_SEND_DONE);
	/* freed while a flush is pending: never called */
	un_send_settle(&p, w, UN_SEND_BATCHED);
	un_watch_free(w);
	calls = 0;
	while (g_main_context_iteration(NULL, FALSE))
		;
	assert_int_equal(calls, 0);
	un_port_clear(&p);
	close(sv[0]);
	close(sv[1]);
}

/* ---- paths ------------------------------------------------------------- */

static void test_sockaddr_path_lengths(void **state)
{
	struct sockaddr_un sun;
	socklen_t len;
	char path[200];
	g_autoptr(GError) error = NULL;

	memset(path, 'a', sizeof(path));
	path[0] = '/';
	path[107] = '\0';
	assert_true(un_sockaddr_un_fill(&sun, &len, path, NULL));
	assert_int_equal(len, offsetof(struct sockaddr_un, sun_path) + 108);
	assert_string_equal(sun.sun_path, path);
	path[107] = 'a';
	path[108] = '\0';
	assert_false(un_sockaddr_un_fill(&sun, &len, path, &error));
	assert_true(g_error_matches(error, UN_ERROR, UN_ERROR_CONFIG));
	assert_non_null(strstr(error->message, "is 108 bytes"));
	g_clear_error(&error);
	assert_false(un_sockaddr_un_fill(&sun, &len, "", &error));
	assert_true(g_error_matches(error, UN_ERROR, UN_ERROR_CONFIG));
}

static void test_path_claim(void **state)
{
	g_autofree char *dir = g_dir_make_tmp("un-frame-XXXXXX", NULL);
	g_autofree char *path = g_build_filename(dir, "s", NULL);
	g_autoptr(GError) error = NULL;
	struct stat st;
	int live, stale;

	/* nothing there */
	assert_true(un_socket_path_claim(path, SOCK_STREAM, NULL));
	/* a stale socket is removed */
	stale = un_unix_bind(path, SOCK_STREAM, NULL);
	assert_true(stale >= 0);
	close(stale);
	assert_true(un_socket_path_claim(path, SOCK_STREAM, NULL));
	assert_int_equal(lstat(path, &st), -1);
	/* a live one is someone else's */
	live = un_unix_bind(path, SOCK_STREAM, NULL);
	assert_int_equal(listen(live, 1), 0);
	assert_false(un_socket_path_claim(path, SOCK_STREAM, &error));
	assert_true(g_error_matches(error, UN_ERROR, UN_ERROR_BUSY));
	assert_int_equal(un_unix_bind(path, SOCK_STREAM, NULL), -1);
	close(live);
	unlink(path);
	/* so is a live datagram socket */
	live = un_unix_bind(path, SOCK_DGRAM, NULL);
	g_clear_error(&error);
	assert_false(un_socket_path_claim(path, SOCK_DGRAM, &error));
	assert_true(g_error_matches(error, UN_ERROR, UN_ERROR_BUSY));
	close(live);
	unlink(path);
	/* and a file that is not a socket is left alone */
	assert_true(g_file_set_contents(path, "x", 1, NULL));
	g_clear_error(&error);
	assert_false(un_socket_path_claim(path, SOCK_STREAM, &error));
	assert_true(g_error_matches(error, UN_ERROR, UN_ERROR_BUSY));
	assert_int_equal(lstat(path, &st), 0);
	unlink(path);
	rmdir(dir);
}

static void test_qemu_quote(void **state)
{
	g_autofree char *a = un_qemu_quote("/run/a,b/n,,c");
	g_autofree char *b = un_qemu_quote("plain");

	assert_string_equal(a, "/run/a,,b/n,,,,c");
	assert_string_equal(b, "plain");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header_is_big_endian),
		cmocka_unit_test(test_split_at_every_offset),
		cmocka_unit_test(test_one_byte_per_read),
		cmocka_unit_test(test_max_frames_split),
		cmocka_unit_test(test_many_frames_in_one_read),
		cmocka_unit_test(test_bad_lengths),
		cmocka_unit_test(test_edge_lengths),
		cmocka_unit_test(test_disconnect_mid_frame),
		cmocka_unit_test(test_queue_frame_bound),
		cmocka_unit_test(test_queue_byte_bound),
		cmocka_unit_test(test_queue_push_skip),
		cmocka_unit_test(test_stream_backpressure),
		cmocka_unit_test(test_stream_batching),
		cmocka_unit_test(test_batched_acks_merge),
		cmocka_unit_test(test_frames_send),
		cmocka_unit_test(test_sendq_limits),
		cmocka_unit_test(test_stream_send_to_closed_peer),
		cmocka_unit_test(test_dgram_qlen_backpressure),
		cmocka_unit_test(test_dgram_recv_batch),
		cmocka_unit_test(test_settle),
		cmocka_unit_test(test_settle_batched),
		cmocka_unit_test(test_sockaddr_path_lengths),
		cmocka_unit_test(test_path_claim),
		cmocka_unit_test(test_qemu_quote),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
