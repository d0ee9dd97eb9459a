/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_tcp_window.c - backend/tcp_window.c: window scaling (RFC 7323)
 * offered on libslirp's behalf. The option added to libslirp's SYN-ACK is
 * NOP, kind 3, length 3, shift 2 (RFC 7323 2.2), with the data offset,
 * IP length and both checksums right after it (RFC 1071: the sums verify
 * to 0xffff); once both sides offered it, a window field W means W << shift
 * bytes (RFC 7323 2.3), so the guest's are unscaled for libslirp and
 * libslirp's scaled for the guest; segments past libslirp's edge wait, in
 * order, and come back once it moves; none of it without the guest's
 * offer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <string.h>

#include "wire_bytes.h"
#include "tcp_window.h"

#define EXTRA 65536u  /* offered past libslirp's edge in these tests */
#define GUEST_SHIFT 7u
#define ACK 0x10u
#define SYN 0x02u
#define FIN 0x01u
#define RST 0x04u

static const uint8_t WSCALE7[4] = { 1, 3, 3, GUEST_SHIFT }; /* NOP, WS 7 */
static const uint8_t MSS1460[4] = { 2, 4, 0x05, 0xb4 };

struct seg {
	gboolean from_guest;
	unsigned flags;
	uint32_t seq, ack;
	unsigned win;
	const uint8_t *opt; /* 4 option bytes, or NULL */
	size_t payload;     /* bytes of 0xab */
	gboolean v6;        /* fec0::15 <-> fec0::2 instead */
	unsigned port;      /* the guest's, if not 40000 */
};

/* The IPv6 header of @f (RFC 8200), fec0::15 <-> fec0::2. */
static void ip6_header(struct wb_frame *f, const struct seg *s, size_t tcp_len)
{
	uint8_t *ip = f->d + 14;

	wb_put16(f->d + 12, 0x86dd);
	ip[0] = 0x60;
	wb_put16(ip + 4, (unsigned)tcp_len);
	ip[6] = IPPROTO_TCP;
	ip[7] = 64;
	inet_pton(AF_INET6, s->from_guest ? "fec0::15" : "fec0::2", ip + 8);
	inet_pton(AF_INET6, s->from_guest ? "fec0::2" : "fec0::15", ip + 24);
}

/* An IPv4 frame 10.0.2.15:40000 <-> 10.0.2.2:5201 (the guest's end
 * first when from_guest), or IPv6, checksums right. */
static struct wb_frame segment(struct seg s)
{
	size_t ip_len = s.v6 ? 40 : 20;
	size_t tcp_len = 20 + (s.opt ? 4 : 0) + s.payload;
	struct wb_frame f = { .len = 14 + ip_len + tcp_len };
	uint8_t *ip = f.d + 14, *tcp = ip + ip_len;
	const char *guest = "10.0.2.15", *host = "10.0.2.2";
	unsigned gport = s.port ? s.port : 40000;

	assert_true(f.len <= sizeof(f.d));
	if (s.v6) {
		ip6_header(&f, &s, tcp_len);
	} else {
		wb_put16(f.d + 12, 0x0800);
		ip[0] = 0x45;
		wb_put16(ip + 2, (unsigned)(20 + tcp_len));
		ip[8] = 64;
		ip[9] = IPPROTO_TCP;
		inet_pton(AF_INET, s.from_guest ? guest : host, ip + 12);
		inet_pton(AF_INET, s.from_guest ? host : guest, ip + 16);
		wb_put16(ip + 10, (~wb_fold(wb_sum16(ip, 20, 0))) & 0xffff);
	}
	wb_put16(tcp, s.from_guest ? gport : 5201);
	wb_put16(tcp + 2, s.from_guest ? 5201 : gport);
	wb_put32(tcp + 4, s.seq);
	wb_put32(tcp + 8, s.ack);
	tcp[12] = (uint8_t)((s.opt ? 6 : 5) << 4);
	tcp[13] = (uint8_t)s.flags;
	wb_put16(tcp + 14, s.win);
	if (s.opt)
		memcpy(tcp + 20, s.opt, 4);
	memset(tcp + tcp_len - s.payload, 0xab, s.payload);
	wb_put16(tcp + 16, (~(s.v6 ? wb_tcp6_sum(&f) : wb_tcp4_sum(&f))) & 0xffff);
	return f;
}

#define GUEST(...) segment((struct seg){ .from_guest = TRUE, __VA_ARGS__ })
#define SLIRP(...) segment((struct seg){ .from_guest = FALSE, __VA_ARGS__ })

static const uint8_t *tcp_of(const struct wb_frame *f)
{
	return f->d + 14 + 20;
}

/* @got is @want, byte for byte: the module left the frame as it was. */
static void assert_same_frame(const struct wb_frame *got,
			      const struct wb_frame *want)
{
	assert_int_equal(got->len, want->len);
	assert_memory_equal(got->d, want->d, want->len);
}

static unsigned window_of(const struct wb_frame *f)
{
	return wb_get16(tcp_of(f) + 14);
}

/* Guest frame @f through the module: the verdict, *out what libslirp
 * would get on PASS. */
static enum un_tcp_window_verdict from_guest(struct un_tcp_window *w,
					     struct wb_frame f,
					     struct wb_frame *out)
{
	const uint8_t *o;
	size_t n;
	struct un_l4 l;
	enum un_tcp_window_verdict v =
		un_tcp_window_from_guest(w, f.d, f.len, un_l4_find(f.d, f.len, &l),
					 &o, &n);

	*out = f;
	if (v == UN_TCP_WINDOW_PASS) {
		assert_true(n <= sizeof(out->d));
		memcpy(out->d, o, n);
		out->len = n;
	}
	return v;
}

/* libslirp's frame @f through the module: what the guest gets. */
static struct wb_frame to_guest(struct un_tcp_window *w, struct wb_frame f)
{
	struct wb_frame out;
	const uint8_t *o;
	size_t n;

	un_tcp_window_to_guest(w, f.d, f.len, &o, &n);
	assert_true(n <= sizeof(out.d));
	memcpy(out.d, o, n);
	out.len = n;
	return out;
}

static struct un_tcp_window_stats stats(const struct un_tcp_window *w)
{
	struct un_tcp_window_stats s;

	un_tcp_window_stats(w, &s);
	return s;
}

/* The guest opens with window scale 7; libslirp's SYN-ACK acks 1001 and
 * offers @win from its ISN 5000. */
static void handshake(struct un_tcp_window *w, unsigned win)
{
	struct wb_frame out;

	assert_int_equal(from_guest(w, GUEST(.flags = SYN, .seq = 1000, .win = 64240, .opt = WSCALE7), &out),
			 UN_TCP_WINDOW_PASS);
	to_guest(w, SLIRP(.flags = SYN | ACK, .seq = 5000, .ack = 1001, .win = win, .opt = MSS1460));
}

static void test_syn_ack_gets_the_option(void **state)
{
	struct un_tcp_window *w = un_tcp_window_new(16, EXTRA, 1 << 20);
	struct wb_frame syn = GUEST(.flags = SYN, .seq = 1000, .win = 64240, .opt = WSCALE7);
	struct wb_frame synack = SLIRP(.flags = SYN | ACK, .seq = 5000, .ack = 1001, .win = 65535, .opt = MSS1460);
	struct wb_frame out;
	static const uint8_t added[4] = { 1, 3, 3, 2 };

	assert_int_equal(from_guest(w, syn, &out), UN_TCP_WINDOW_PASS);
	assert_same_frame(&out, &syn); /* the guest's SYN as sent */
	out = to_guest(w, synack);
	assert_int_equal(out.len, synack.len + 4);
	assert_int_equal(tcp_of(&out)[12] >> 4, 7);           /* 28 bytes */
	assert_int_equal(wb_get16(out.d + 14 + 2), 20 + 28);  /* IP length */
	assert_int_equal(wb_fold(wb_sum16(out.d + 14, 20, 0)), 0xffff);
	assert_memory_equal(tcp_of(&out) + 20, MSS1460, 4);
	assert_memory_equal(tcp_of(&out) + 24, added, 4);
	assert_int_equal(window_of(&out), 65535); /* never scaled in a SYN */
	assert_int_equal(wb_tcp4_sum(&out), 0xffff);
	assert_int_equal(stats(w).scaled, 1);
	un_tcp_window_free(w);
}

/* IPv6: the payload length grows by the option's 4 bytes; the checksum,
 * over the IPv6 pseudo-header, still verifies. */
static void test_syn_ack_ipv6(void **state)
{
	struct un_tcp_window *w = un_tcp_window_new(16, EXTRA, 1 << 20);
	struct wb_frame synack = SLIRP(.flags = SYN | ACK, .seq = 5000, .ack = 1001,
				       .win = 65535, .opt = MSS1460, .v6 = TRUE);
	struct wb_frame out;

	from_guest(w, GUEST(.flags = SYN, .seq = 1000, .win = 64240, .opt = WSCALE7, .v6 = TRUE), &out);
	out = to_guest(w, synack);
	assert_int_equal(out.len, synack.len + 4);
	assert_int_equal(wb_get16(out.d + 14 + 4), 28);
	assert_int_equal(out.d[14 + 40 + 12] >> 4, 7);
	assert_int_equal(out.d[14 + 40 + 27], 2);
	assert_int_equal(wb_tcp6_sum(&out), 0xffff);
	un_tcp_window_free(w);
}

/* Scaled both ways: the guest's field 100 means 12800 bytes to libslirp,
 * 1000 would be 128000 and is capped at 65535; libslirp's window reaches
 * EXTRA further for the guest, in units of 4 bytes. */
static void test_windows_rewritten(void **state)
{
	struct un_tcp_window *w = un_tcp_window_new(16, EXTRA, 1 << 20);
	struct wb_frame out;

	handshake(w, 65535);
	assert_int_equal(from_guest(w, GUEST(.flags = ACK, .seq = 1001, .ack = 5001, .win = 100), &out),
			 UN_TCP_WINDOW_PASS);
	assert_int_equal(window_of(&out), 12800);
	assert_int_equal(wb_tcp4_sum(&out), 0xffff);
	from_guest(w, GUEST(.flags = ACK, .seq = 1001, .ack = 5001, .win = 1000), &out);
	assert_int_equal(window_of(&out), 65535);
	assert_int_equal(wb_tcp4_sum(&out), 0xffff);

	out = to_guest(w, SLIRP(.flags = ACK, .seq = 5001, .ack = 1001, .win = 65535));
	assert_int_equal(window_of(&out), (65535 + EXTRA) / 4);
	assert_int_equal(wb_tcp4_sum(&out), 0xffff);
	/* libslirp's window closes: the edge offered stays where it was */
	out = to_guest(w, SLIRP(.flags = ACK, .seq = 5001, .ack = 1001 + 40000, .payload = 10));
	assert_int_equal(window_of(&out), (1001 + 65535 + EXTRA - (1001 + 40000)) / 4);
	assert_int_equal(wb_tcp4_sum(&out), 0xffff);
	un_tcp_window_free(w);
}

/* Past libslirp's edge (ack 1001 + window 100), the guest's segments wait
 * and come back as ACKs move the edge past each. A head that does not fit
 * is shown to libslirp once per ACK number and once per poll_done (a
 * probe: a copy; libslirp's answer that moves nothing is not passed on);
 * what fits, a retransmission say, and a pure ACK do not wait. */
static void test_held_until_the_edge_moves(void **state)
{
	struct un_tcp_window *w = un_tcp_window_new(16, EXTRA, 1 << 20);
	struct wb_frame out, a, b, first;
	struct un_tcp_window_frame *f;

	handshake(w, 100);
	to_guest(w, SLIRP(.flags = ACK, .seq = 5001, .ack = 1001, .win = 100));
	first = GUEST(.flags = ACK, .seq = 1001, .ack = 5001, .win = 100, .payload = 60);
	assert_int_equal(from_guest(w, first, &out), UN_TCP_WINDOW_PASS); /* to 1061 */
	a = GUEST(.flags = ACK, .seq = 1061, .ack = 5001, .win = 100, .payload = 60); /* to 1121 */
	b = GUEST(.flags = ACK | FIN, .seq = 1121, .ack = 5001, .win = 100, .payload = 10);
	assert_int_equal(from_guest(w, a, &out), UN_TCP_WINDOW_HELD);
	assert_int_equal(from_guest(w, b, &out), UN_TCP_WINDOW_HELD);
	assert_int_equal(stats(w).held, 2);

	f = un_tcp_window_next_ready(w); /* a probe of a */
	assert_non_null(f);
	assert_int_equal(f->seq_end, 1121);
	g_free(f);
	out = to_guest(w, SLIRP(.flags = ACK, .seq = 5001, .ack = 1001, .win = 100));
	assert_int_equal(out.len, 0); /* the probe's answer */
	assert_null(un_tcp_window_next_ready(w)); /* once per ACK number */
	un_tcp_window_poll_done(w);
	f = un_tcp_window_next_ready(w);
	assert_non_null(f);
	assert_int_equal(f->seq_end, 1121);
	g_free(f);
	assert_null(un_tcp_window_next_ready(w));
	assert_int_equal(stats(w).probes, 2);

	assert_int_equal(from_guest(w, first, &out), UN_TCP_WINDOW_PASS); /* fits */
	/* a pure ACK goes with the sequence number libslirp expects next */
	assert_int_equal(from_guest(w, GUEST(.flags = ACK, .seq = 1131, .ack = 5001, .win = 200), &out),
			 UN_TCP_WINDOW_PASS);
	assert_int_equal(wb_get16(tcp_of(&out) + 4) << 16 | wb_get16(tcp_of(&out) + 6), 1061);
	assert_int_equal(window_of(&out), 25600);
	assert_int_equal(wb_tcp4_sum(&out), 0xffff);

	out = to_guest(w, SLIRP(.flags = ACK, .seq = 5001, .ack = 1061, .win = 60)); /* edge 1121 */
	assert_true(out.len > 0);
	f = un_tcp_window_next_ready(w);
	assert_non_null(f);
	assert_int_equal(f->len, a.len);
	assert_int_equal(wb_get16(f->data + 14 + 20 + 14), 12800); /* unscaled */
	assert_memory_equal(f->data + 14 + 20 + 20, a.d + 14 + 20 + 20, 60);
	g_free(f);
	f = un_tcp_window_next_ready(w); /* b does not fit: a probe at ACK 1061 */
	assert_non_null(f);
	assert_int_equal(f->seq_end, 1131);
	g_free(f);
	assert_null(un_tcp_window_next_ready(w));

	to_guest(w, SLIRP(.flags = ACK, .seq = 5001, .ack = 1121, .win = 65535));
	f = un_tcp_window_next_ready(w);
	assert_non_null(f);
	assert_int_equal(f->seq_end, 1131);
	g_free(f);
	assert_null(un_tcp_window_next_ready(w));
	assert_int_equal(stats(w).held_bytes, 0);
	un_tcp_window_free(w);
}

/* A retransmission that fills a gap goes before what follows the gap (it
 * is what libslirp needs next); the same segment twice is held once. */
static void test_gap_filled_first(void **state)
{
	struct un_tcp_window *w = un_tcp_window_new(16, EXTRA, 1 << 20);
	struct wb_frame out, late = GUEST(.flags = ACK, .seq = 1200, .ack = 5001, .win = 1, .payload = 60);
	struct un_tcp_window_frame *f;

	handshake(w, 100);
	to_guest(w, SLIRP(.flags = ACK, .seq = 5001, .ack = 1001, .win = 100)); /* edge 1101 */
	assert_int_equal(from_guest(w, late, &out), UN_TCP_WINDOW_HELD);
	assert_int_equal(from_guest(w, late, &out), UN_TCP_WINDOW_HELD);
	assert_int_equal(from_guest(w, GUEST(.flags = ACK, .seq = 1080, .ack = 5001, .win = 1, .payload = 60), &out),
			 UN_TCP_WINDOW_HELD); /* 1080..1140: the gap's end */
	assert_int_equal(stats(w).held_bytes, 2 * late.len);
	f = un_tcp_window_next_ready(w); /* the probe is of the lowest */
	assert_non_null(f);
	assert_int_equal(f->seq, 1080);
	g_free(f);
	un_tcp_window_free(w);
}

/* The window offered past libslirp's is shared out: 8 MiB over all the
 * connections, libslirp's 64 KiB each counted in. With 129 open, 8 MiB /
 * 129 is below 64 KiB, so nothing more is offered: a guest with many
 * connections bursts no more than it would through libslirp alone. */
static void test_many_connections_share(void **state)
{
	struct un_tcp_window *w = un_tcp_window_new(256, EXTRA, 1 << 20);
	struct wb_frame out;

	for (unsigned i = 0; i < 129; i++) {
		from_guest(w, GUEST(.flags = SYN, .seq = 1000, .win = 64240, .opt = WSCALE7, .port = 41000 + i), &out);
		to_guest(w, SLIRP(.flags = SYN | ACK, .seq = 5000, .ack = 1001, .win = 65535, .opt = MSS1460, .port = 41000 + i));
	}
	assert_int_equal(stats(w).scaled, 129);
	out = to_guest(w, SLIRP(.flags = ACK, .seq = 5001, .ack = 1001, .win = 65535, .port = 41000));
	assert_int_equal(window_of(&out), 65535 / 4); /* libslirp's own */
	un_tcp_window_free(w);
}

/* A segment past the edge offered (1001 + 100 + EXTRA) is dropped, and so
 * is one that would hold more than the bound in all. */
static void test_past_the_offer_dropped(void **state)
{
	struct un_tcp_window *w = un_tcp_window_new(16, EXTRA, 150);
	struct wb_frame out;

	handshake(w, 100);
	to_guest(w, SLIRP(.flags = ACK, .seq = 5001, .ack = 1001, .win = 100));
	assert_int_equal(from_guest(w, GUEST(.flags = ACK, .seq = 1001 + 100 + EXTRA - 5, .ack = 5001, .win = 100, .payload = 10), &out),
			 UN_TCP_WINDOW_DROP);
	assert_int_equal(from_guest(w, GUEST(.flags = ACK, .seq = 1200, .ack = 5001, .win = 100, .payload = 60), &out),
			 UN_TCP_WINDOW_HELD); /* 114 bytes held */
	assert_int_equal(from_guest(w, GUEST(.flags = ACK, .seq = 1260, .ack = 5001, .win = 100, .payload = 10), &out),
			 UN_TCP_WINDOW_DROP); /* 64 more would pass 150 */
	assert_int_equal(stats(w).dropped, 2);
	un_tcp_window_free(w);
}

/* A guest that offers no scaling: every frame both ways as sent. */
static void test_no_offer_no_change(void **state)
{
	struct un_tcp_window *w = un_tcp_window_new(16, EXTRA, 1 << 20);
	struct wb_frame in[] = {
		GUEST(.flags = SYN, .seq = 1000, .win = 64240, .opt = MSS1460),
		GUEST(.flags = ACK, .seq = 1001, .ack = 5001, .win = 100, .payload = 60),
		GUEST(.flags = ACK, .seq = 1061, .ack = 5001, .win = 100, .payload = 60),
	};
	struct wb_frame back[] = {
		SLIRP(.flags = SYN | ACK, .seq = 5000, .ack = 1001, .win = 65535, .opt = MSS1460),
		SLIRP(.flags = ACK, .seq = 5001, .ack = 1001, .win = 10),
	};
	struct wb_frame out;

	for (size_t i = 0; i < G_N_ELEMENTS(in); i++) {
		assert_int_equal(from_guest(w, in[i], &out), UN_TCP_WINDOW_PASS);
		assert_same_frame(&out, &in[i]);
		if (i < G_N_ELEMENTS(back)) {
			out = to_guest(w, back[i]);
			assert_same_frame(&out, &back[i]);
		}
	}
	assert_int_equal(stats(w).scaled, 0);
	assert_int_equal(stats(w).conns, 0);
	un_tcp_window_free(w);
}

/* A forward: libslirp's SYN to the guest gets the option; scaling holds
 * only if the guest's SYN-ACK offers it too. */
static void test_forward_needs_the_guests_answer(void **state)
{
	struct un_tcp_window *w = un_tcp_window_new(16, EXTRA, 1 << 20);
	struct wb_frame out, ack;

	out = to_guest(w, SLIRP(.flags = SYN, .seq = 5000, .win = 65535, .opt = MSS1460));
	assert_int_equal(tcp_of(&out)[12] >> 4, 7);
	assert_int_equal(wb_tcp4_sum(&out), 0xffff);
	from_guest(w, GUEST(.flags = SYN | ACK, .seq = 1000, .ack = 5001, .win = 64240, .opt = WSCALE7), &out);
	assert_int_equal(stats(w).scaled, 1);
	from_guest(w, GUEST(.flags = ACK, .seq = 1001, .ack = 5001, .win = 10), &out);
	assert_int_equal(window_of(&out), 1280);

	/* a repeat of the SYN keeps it; a new connection on the same ports
	 * (another ISN), answered without the option, is not scaled */
	to_guest(w, SLIRP(.flags = SYN, .seq = 5000, .win = 65535, .opt = MSS1460));
	assert_int_equal(stats(w).conns, 1);
	from_guest(w, GUEST(.flags = ACK, .seq = 1001, .ack = 5001, .win = 10), &out);
	assert_int_equal(window_of(&out), 1280);
	ack = GUEST(.flags = ACK, .seq = 3001, .ack = 8001, .win = 10);
	to_guest(w, SLIRP(.flags = SYN, .seq = 8000, .win = 65535, .opt = MSS1460));
	from_guest(w, GUEST(.flags = SYN | ACK, .seq = 3000, .ack = 8001, .win = 64240, .opt = MSS1460), &out);
	assert_int_equal(stats(w).conns, 0);
	from_guest(w, ack, &out);
	assert_same_frame(&out, &ack);
	un_tcp_window_free(w);
}

/* A repeated guest SYN keeps the scaling agreed; an RST ends it, and
 * frees what it held; with 0 extra bytes nothing is offered at all. */
static void test_repeat_rst_and_off(void **state)
{
	struct un_tcp_window *w = un_tcp_window_new(16, EXTRA, 1 << 20);
	struct wb_frame out, synack;

	handshake(w, 100);
	from_guest(w, GUEST(.flags = SYN, .seq = 1000, .win = 64240, .opt = WSCALE7), &out);
	to_guest(w, SLIRP(.flags = ACK, .seq = 5001, .ack = 1001, .win = 100));
	assert_int_equal(from_guest(w, GUEST(.flags = ACK, .seq = 1200, .ack = 5001, .win = 1, .payload = 10), &out),
			 UN_TCP_WINDOW_HELD);
	to_guest(w, SLIRP(.flags = RST | ACK, .seq = 5001, .ack = 1001));
	assert_int_equal(stats(w).conns, 0);
	assert_int_equal(stats(w).held_bytes, 0);
	assert_null(un_tcp_window_next_ready(w));
	un_tcp_window_free(w);

	w = un_tcp_window_new(16, 0, 1 << 20);
	synack = SLIRP(.flags = SYN | ACK, .seq = 5000, .ack = 1001, .win = 65535, .opt = MSS1460);
	from_guest(w, GUEST(.flags = SYN, .seq = 1000, .win = 64240, .opt = WSCALE7), &out);
	out = to_guest(w, synack);
	assert_same_frame(&out, &synack);
	un_tcp_window_free(w);
}

/* Both FINs end the connection; the table is bounded, and a guest SYN
 * libslirp has not answered gives way to a new one. */
static void test_fins_and_the_cap(void **state)
{
	struct un_tcp_window *w = un_tcp_window_new(1, EXTRA, 1 << 20);
	struct wb_frame out, other;

	handshake(w, 65535);
	from_guest(w, GUEST(.flags = ACK | FIN, .seq = 1001, .ack = 5001, .win = 100), &out);
	assert_int_equal(stats(w).conns, 1);
	to_guest(w, SLIRP(.flags = ACK | FIN, .seq = 5001, .ack = 1002, .win = 65535));
	assert_int_equal(stats(w).conns, 0);

	from_guest(w, GUEST(.flags = SYN, .seq = 7000, .win = 64240, .opt = WSCALE7), &out);
	other = GUEST(.flags = SYN, .seq = 9000, .win = 64240, .opt = WSCALE7);
	wb_put16(other.d + 14 + 20, 40001);
	wb_put16(other.d + 14 + 20 + 16, 0);
	wb_put16(other.d + 14 + 20 + 16, (~wb_tcp4_sum(&other)) & 0xffff);
	from_guest(w, other, &out); /* replaces the unanswered one */
	assert_int_equal(stats(w).conns, 1);
	out = to_guest(w, SLIRP(.flags = SYN | ACK, .seq = 5000, .ack = 7001, .win = 65535, .opt = MSS1460));
	assert_int_equal(tcp_of(&out)[12] >> 4, 6); /* port 40000: forgotten */
	un_tcp_window_free(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_syn_ack_gets_the_option),
		cmocka_unit_test(test_syn_ack_ipv6),
		cmocka_unit_test(test_windows_rewritten),
		cmocka_unit_test(test_held_until_the_edge_moves),
		cmocka_unit_test(test_gap_filled_first),
		cmocka_unit_test(test_many_connections_share),
		cmocka_unit_test(test_past_the_offer_dropped),
		cmocka_unit_test(test_no_offer_no_change),
		cmocka_unit_test(test_forward_needs_the_guests_answer),
		cmocka_unit_test(test_repeat_rst_and_off),
		cmocka_unit_test(test_fins_and_the_cap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
