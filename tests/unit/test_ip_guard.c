/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_ip_guard.c - header checks and fragment reassembly in front of
 * libslirp (backend/ip_guard.c). Frames are built here from the RFC 791 /
 * RFC 8200 layouts; a reassembled datagram must equal the one that was
 * cut into fragments, byte for byte. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <string.h>

#include "guest_frames.h"
#include "ip_guard.h"

#define SEC (G_USEC_PER_SEC)
#define T0 (1000 * SEC)

/* ---- building frames ---- */

static GByteArray *eth(guint type)
{
	return gf_eth(gf_host_mac, type);
}

static GByteArray *v4(guint proto, const char *src, const char *dst,
		      guint id, guint flags_off, const uint8_t *pl, gsize len)
{
	return gf_ip4(gf_host_mac, proto, src, dst, id, flags_off, pl, len);
}

/* An ICMP echo request with @n bytes of data (pattern i*7). */
static GByteArray *ping4(guint id, gsize n)
{
	g_autofree uint8_t *pl = g_malloc0(8 + n);
	GByteArray *f;

	pl[0] = 8;
	gf_put16(pl + 4, 0x1234);
	gf_put16(pl + 6, 1);
	for (gsize i = 0; i < n; i++)
		pl[8 + i] = (uint8_t)(i * 7);
	gf_put16(pl + 2, gf_cksum(pl, 8 + n));
	f = v4(1, "10.0.2.15", "10.0.2.2", id, 0, pl, 8 + n);
	return f;
}

/* Payload bytes [off, off+len) of the IPv4 datagram @whole, as a fragment. */
static GByteArray *frag4(const GByteArray *whole, gsize off, gsize len,
			 gboolean more)
{
	GByteArray *f = g_byte_array_new();

	g_byte_array_append(f, whole->data, 34);
	g_byte_array_append(f, whole->data + 34 + off, (guint)len);
	gf_put16(f->data + 16, (guint)(20 + len));
	gf_put16(f->data + 20, (more ? 0x2000u : 0) | (guint)(off / 8));
	gf_ip4_fix_cksum(f);
	return f;
}

static GByteArray *v6(guint nh, const uint8_t *pl, gsize len)
{
	GByteArray *f = eth(0x86dd);
	uint8_t ip[40] = { 0x60, 0 };

	gf_put16(ip + 4, (guint)len);
	ip[6] = (uint8_t)nh;
	ip[7] = 64;
	inet_pton(AF_INET6, "fec0::15", ip + 8);
	inet_pton(AF_INET6, "fec0::2", ip + 24);
	g_byte_array_append(f, ip, 40);
	g_byte_array_append(f, pl, (guint)len);
	return f;
}

/* A UDP datagram over IPv6 with @n bytes of data. */
static GByteArray *udp6(gsize n)
{
	g_autofree uint8_t *pl = g_malloc0(8 + n);

	gf_put16(pl, 40000);
	gf_put16(pl + 2, 53);
	gf_put16(pl + 4, (guint)(8 + n));
	for (gsize i = 0; i < n; i++)
		pl[8 + i] = (uint8_t)(i * 13);
	return v6(17, pl, 8 + n);
}

/* Payload bytes [off, off+len) of the IPv6 datagram @whole behind a
 * fragment header with ID @id. */
static GByteArray *frag6(const GByteArray *whole, guint32 id, gsize off,
			 gsize len, gboolean more)
{
	GByteArray *f = g_byte_array_new();
	uint8_t fh[8] = { whole->data[14 + 6], 0 };

	gf_put16(fh + 2, (guint)off | (more ? 1u : 0));
	fh[4] = (uint8_t)(id >> 24);
	fh[5] = (uint8_t)(id >> 16);
	fh[6] = (uint8_t)(id >> 8);
	fh[7] = (uint8_t)id;
	g_byte_array_append(f, whole->data, 54);
	g_byte_array_append(f, fh, 8);
	g_byte_array_append(f, whole->data + 54 + off, (guint)len);
	gf_put16(f->data + 18, (guint)(8 + len));
	f->data[20] = 44;
	return f;
}

/* ---- driving the guard ---- */

struct fixture {
	struct un_ip_guard *g;
	struct un_port a, b;
	GBytes *whole;
};

static int setup(void **state)
{
	struct fixture *fx = g_new0(struct fixture, 1);

	fx->g = un_ip_guard_new(NULL, NULL, NULL);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	un_ip_guard_free(fx->g);
	g_clear_pointer(&fx->whole, g_bytes_unref);
	g_free(fx);
	return 0;
}

static enum un_guard_verdict feed(struct fixture *fx, struct un_port *p,
				  GByteArray *f, gint64 now)
{
	struct un_frame fr = { f->data, f->len };
	enum un_guard_verdict v;

	g_clear_pointer(&fx->whole, g_bytes_unref);
	v = un_ip_guard_input(fx->g, p, &fr, now, &fx->whole);
	g_byte_array_unref(f);
	return v;
}

static void assert_whole_is(struct fixture *fx, const GByteArray *want)
{
	gsize len;
	const uint8_t *got;

	assert_non_null(fx->whole);
	got = g_bytes_get_data(fx->whole, &len);
	assert_int_equal(len, want->len);
	assert_memory_equal(got, want->data, len);
}

static guint64 drops(const struct un_port *p, enum un_drop_reason r)
{
	return p->counters.drops[r];
}

/* ---- whole frames and lying headers ---- */

static void test_whole_frames_pass(void **state)
{
	struct fixture *fx = *state;
	uint8_t arp[28] = { 0 };
	GByteArray *f;

	assert_int_equal(feed(fx, &fx->a, ping4(1, 56), T0), UN_GUARD_PASS);
	assert_int_equal(feed(fx, &fx->a, udp6(100), T0), UN_GUARD_PASS);
	f = eth(0x0806);
	g_byte_array_append(f, arp, sizeof(arp));
	assert_int_equal(feed(fx, &fx->a, f, T0), UN_GUARD_PASS);
	assert_int_equal(feed(fx, &fx->a, eth(0x88cc), T0), UN_GUARD_PASS);
	/* Ethernet padding behind a short datagram is fine. */
	f = ping4(2, 0);
	g_byte_array_set_size(f, 60);
	assert_int_equal(feed(fx, &fx->a, f, T0), UN_GUARD_PASS);
	for (guint r = 0; r < UN_DROP__COUNT; r++)
		assert_int_equal(drops(&fx->a, r), 0);
}

typedef void (*mutate_fn)(GByteArray *f);

static void m_eth_short(GByteArray *f) { g_byte_array_set_size(f, 13); }
static void m_arp_short(GByteArray *f) { f->data[12] = 0x08; f->data[13] = 0x06; g_byte_array_set_size(f, 14 + 27); }
static void m_v4_short(GByteArray *f) { g_byte_array_set_size(f, 14 + 19); }
static void m_v4_version(GByteArray *f) { f->data[14] = 0x55; gf_ip4_fix_cksum(f); }
static void m_v4_ihl_small(GByteArray *f) { f->data[14] = 0x44; }
static void m_v4_ihl_big(GByteArray *f) { f->data[14] = 0x4f; gf_put16(f->data + 16, 40); }
static void m_v4_total_long(GByteArray *f) { gf_put16(f->data + 16, f->len - 14 + 1); gf_ip4_fix_cksum(f); }
static void m_v4_total_short(GByteArray *f) { gf_put16(f->data + 16, 19); gf_ip4_fix_cksum(f); }
static void m_v4_cksum(GByteArray *f) { f->data[24] ^= 0x01; }
static void m_icmp_short(GByteArray *f) { gf_put16(f->data + 16, 20 + 7); gf_ip4_fix_cksum(f); }
static void m_tcp_doff_long(GByteArray *f) { f->data[23] = 6; f->data[34 + 12] = 0xf0; gf_ip4_fix_cksum(f); }
static void m_tcp_doff_small(GByteArray *f) { f->data[23] = 6; f->data[34 + 12] = 0x40; gf_ip4_fix_cksum(f); }
static void m_tcp_short(GByteArray *f) { f->data[23] = 6; gf_put16(f->data + 16, 20 + 19); gf_ip4_fix_cksum(f); }
static void m_udp_len_long(GByteArray *f) { f->data[23] = 17; gf_put16(f->data + 34 + 4, f->len - 34 + 1); gf_ip4_fix_cksum(f); }
static void m_udp_len_small(GByteArray *f) { f->data[23] = 17; gf_put16(f->data + 34 + 4, 7); gf_ip4_fix_cksum(f); }

static void test_lying_ipv4_headers(void **state)
{
	static const struct { const char *name; mutate_fn m; } rows[] = {
		{ "Ethernet header cut short", m_eth_short },
		{ "ARP shorter than 28 bytes", m_arp_short },
		{ "IPv4 header cut short", m_v4_short },
		{ "IP version 5 in an IPv4 frame", m_v4_version },
		{ "IHL below 5", m_v4_ihl_small },
		{ "IHL beyond total length", m_v4_ihl_big },
		{ "total length beyond the frame", m_v4_total_long },
		{ "total length below the header", m_v4_total_short },
		{ "header checksum wrong", m_v4_cksum },
		{ "ICMP shorter than 8 bytes", m_icmp_short },
		{ "TCP data offset beyond the segment", m_tcp_doff_long },
		{ "TCP data offset below 5", m_tcp_doff_small },
		{ "TCP shorter than 20 bytes", m_tcp_short },
		{ "UDP length beyond the datagram", m_udp_len_long },
		{ "UDP length below 8", m_udp_len_small },
	};
	struct fixture *fx = *state;

	for (size_t i = 0; i < G_N_ELEMENTS(rows); i++) {
		GByteArray *f = ping4(7, 40);

		rows[i].m(f);
		if (feed(fx, &fx->a, f, T0) != UN_GUARD_DROP)
			fail_msg("%s: not dropped", rows[i].name);
		assert_int_equal(drops(&fx->a, UN_DROP_MALFORMED), i + 1);
	}
	assert_int_equal(drops(&fx->a, UN_DROP_FRAGMENT), 0);
}

static void m6_short(GByteArray *f) { g_byte_array_set_size(f, 14 + 39); }
static void m6_version(GByteArray *f) { f->data[14] = 0x40; }
static void m6_pl_long(GByteArray *f) { gf_put16(f->data + 18, f->len - 54 + 1); }
static void m6_udp_len(GByteArray *f) { gf_put16(f->data + 54 + 4, f->len - 54 + 1); }
static void m6_tcp_doff(GByteArray *f) { f->data[20] = 6; f->data[54 + 12] = 0xf0; }
static void m6_icmp6_short(GByteArray *f) { f->data[20] = 58; gf_put16(f->data + 18, 3); }
static void m6_frag_short(GByteArray *f) { f->data[20] = 44; gf_put16(f->data + 18, 7); }

static void test_lying_ipv6_headers(void **state)
{
	static const struct { const char *name; mutate_fn m; } rows[] = {
		{ "IPv6 header cut short", m6_short },
		{ "IP version 4 in an IPv6 frame", m6_version },
		{ "payload length beyond the frame", m6_pl_long },
		{ "UDP length beyond the payload", m6_udp_len },
		{ "TCP data offset beyond the segment", m6_tcp_doff },
		{ "ICMPv6 shorter than 4 bytes", m6_icmp6_short },
		{ "fragment header cut short", m6_frag_short },
	};
	struct fixture *fx = *state;

	for (size_t i = 0; i < G_N_ELEMENTS(rows); i++) {
		GByteArray *f = udp6(30);

		rows[i].m(f);
		if (feed(fx, &fx->a, f, T0) != UN_GUARD_DROP)
			fail_msg("%s: not dropped", rows[i].name);
		assert_int_equal(drops(&fx->a, UN_DROP_MALFORMED), i + 1);
	}
}

/* ---- IPv4 fragments ---- */

static void test_v4_in_order(void **state)
{
	struct fixture *fx = *state;
	g_autoptr(GByteArray) ping = ping4(0x100, 1472 + 600);

	assert_int_equal(feed(fx, &fx->a, frag4(ping, 0, 1480, TRUE), T0), UN_GUARD_HELD);
	assert_int_equal(un_ip_guard_held_frames(fx->g), 1);
	assert_int_equal(feed(fx, &fx->a, frag4(ping, 1480, 600, FALSE), T0), UN_GUARD_WHOLE);
	assert_whole_is(fx, ping);
	assert_int_equal(un_ip_guard_held_frames(fx->g), 0);
	assert_int_equal(un_ip_guard_next_deadline(fx->g), -1);
	assert_int_equal(drops(&fx->a, UN_DROP_FRAGMENT), 0);
}

/* The two-fragment ping in reverse order that kills libslirp 4.7. */
static void test_v4_reverse_order(void **state)
{
	struct fixture *fx = *state;
	g_autoptr(GByteArray) ping = ping4(0x101, 1472 + 100);

	assert_int_equal(feed(fx, &fx->a, frag4(ping, 1480, 100, FALSE), T0), UN_GUARD_HELD);
	assert_int_equal(feed(fx, &fx->a, frag4(ping, 0, 1480, TRUE), T0), UN_GUARD_WHOLE);
	assert_whole_is(fx, ping);
}

static void test_v4_shuffled(void **state)
{
	struct fixture *fx = *state;
	g_autoptr(GByteArray) ping = ping4(0x102, 8 * 50 - 8);
	static const guint order[] = { 3, 0, 4, 2, 1 };

	for (guint i = 0; i < G_N_ELEMENTS(order); i++) {
		guint k = order[i];
		enum un_guard_verdict v = feed(fx, &fx->a, frag4(ping, k * 80, 80, k != 4), T0);

		assert_int_equal(v, i + 1 < G_N_ELEMENTS(order) ? UN_GUARD_HELD : UN_GUARD_WHOLE);
	}
	assert_whole_is(fx, ping);
}

static void test_v4_overlap_drops_datagram(void **state)
{
	struct fixture *fx = *state;
	g_autoptr(GByteArray) ping = ping4(0x103, 200);

	assert_int_equal(feed(fx, &fx->a, frag4(ping, 0, 64, TRUE), T0), UN_GUARD_HELD);
	assert_int_equal(feed(fx, &fx->a, frag4(ping, 56, 64, TRUE), T0), UN_GUARD_DROP);
	assert_int_equal(drops(&fx->a, UN_DROP_FRAGMENT), 2);
	assert_int_equal(un_ip_guard_held_frames(fx->g), 0);
	/* what comes after starts a new datagram, which never completes */
	assert_int_equal(feed(fx, &fx->a, frag4(ping, 64, 144, FALSE), T0), UN_GUARD_HELD);
	assert_int_equal(un_ip_guard_expire(fx->g, T0 + 30 * SEC), 1);
	assert_int_equal(drops(&fx->a, UN_DROP_FRAGMENT), 3);
}

static void test_v4_duplicate_drops_itself(void **state)
{
	struct fixture *fx = *state;
	g_autoptr(GByteArray) ping = ping4(0x104, 200);

	assert_int_equal(feed(fx, &fx->a, frag4(ping, 0, 64, TRUE), T0), UN_GUARD_HELD);
	assert_int_equal(feed(fx, &fx->a, frag4(ping, 0, 64, TRUE), T0), UN_GUARD_DROP);
	assert_int_equal(drops(&fx->a, UN_DROP_FRAGMENT), 1);
	assert_int_equal(feed(fx, &fx->a, frag4(ping, 64, 144, FALSE), T0), UN_GUARD_WHOLE);
	assert_whole_is(fx, ping);
}

static void test_v4_inconsistent_ends(void **state)
{
	struct fixture *fx = *state;
	g_autoptr(GByteArray) ping = ping4(0x105, 200);

	/* two different last fragments */
	assert_int_equal(feed(fx, &fx->a, frag4(ping, 64, 144, FALSE), T0), UN_GUARD_HELD);
	assert_int_equal(feed(fx, &fx->a, frag4(ping, 64, 136, FALSE), T0), UN_GUARD_DROP);
	assert_int_equal(drops(&fx->a, UN_DROP_FRAGMENT), 2);
	/* a fragment past the known end */
	assert_int_equal(feed(fx, &fx->a, frag4(ping, 64, 80, FALSE), T0), UN_GUARD_HELD);
	assert_int_equal(feed(fx, &fx->a, frag4(ping, 144, 64, TRUE), T0), UN_GUARD_DROP);
	assert_int_equal(drops(&fx->a, UN_DROP_FRAGMENT), 4);
	/* a last fragment ending before one already held */
	assert_int_equal(feed(fx, &fx->a, frag4(ping, 64, 80, TRUE), T0), UN_GUARD_HELD);
	assert_int_equal(feed(fx, &fx->a, frag4(ping, 8, 8, FALSE), T0), UN_GUARD_DROP);
	assert_int_equal(drops(&fx->a, UN_DROP_FRAGMENT), 6);
	assert_int_equal(un_ip_guard_held_frames(fx->g), 0);
}

/* The lone last fragment that kills libslirp 4.7: 0.0.0.0 to
 * 255.255.255.255, UDP, offset 256, 439 bytes on the wire. */
static void test_v4_lone_last_fragment(void **state)
{
	struct fixture *fx = *state;
	uint8_t pl[439 - 34] = { 0 };
	GByteArray *f = v4(17, "0.0.0.0", "255.255.255.255", 0x4242, 256 / 8,
			   pl, sizeof(pl));

	assert_int_equal(f->len, 439);
	assert_int_equal(feed(fx, &fx->a, f, T0), UN_GUARD_HELD);
	assert_int_equal(un_ip_guard_next_deadline(fx->g), T0 + 30 * SEC);
	assert_int_equal(un_ip_guard_expire(fx->g, T0 + 30 * SEC - 1), 0);
	assert_int_equal(un_ip_guard_expire(fx->g, T0 + 30 * SEC), 1);
	assert_int_equal(drops(&fx->a, UN_DROP_FRAGMENT), 1);
	assert_int_equal(un_ip_guard_held_frames(fx->g), 0);
}

static void test_v4_incomplete_times_out_on_input(void **state)
{
	struct fixture *fx = *state;
	g_autoptr(GByteArray) ping = ping4(0x106, 200);

	assert_int_equal(feed(fx, &fx->a, frag4(ping, 0, 64, TRUE), T0), UN_GUARD_HELD);
	assert_int_equal(feed(fx, &fx->a, frag4(ping, 64, 64, TRUE), T0 + SEC), UN_GUARD_HELD);
	/* the rest comes too late: the old fragments are gone, counted */
	assert_int_equal(feed(fx, &fx->a, frag4(ping, 128, 80, FALSE), T0 + 31 * SEC),
			 UN_GUARD_HELD);
	assert_int_equal(drops(&fx->a, UN_DROP_FRAGMENT), 2);
	assert_int_equal(un_ip_guard_held_frames(fx->g), 1);
}

static void test_v4_fragments_that_cannot_be(void **state)
{
	struct fixture *fx = *state;
	g_autoptr(GByteArray) ping = ping4(0x107, 200);
	uint8_t pl[100] = { 0 };

	/* middle fragment not a multiple of 8 bytes */
	assert_int_equal(feed(fx, &fx->a, frag4(ping, 0, 60, TRUE), T0), UN_GUARD_DROP);
	/* ping of death: offset 65528 + 100 bytes */
	assert_int_equal(feed(fx, &fx->a, v4(1, "10.0.2.15", "10.0.2.2", 9, 65528 / 8, pl, 100), T0),
			 UN_GUARD_DROP);
	/* no payload at all */
	assert_int_equal(feed(fx, &fx->a, v4(1, "10.0.2.15", "10.0.2.2", 9, 0x2000, pl, 0), T0),
			 UN_GUARD_DROP);
	assert_int_equal(drops(&fx->a, UN_DROP_FRAGMENT), 3);
	assert_int_equal(un_ip_guard_held_frames(fx->g), 0);
}

/* A datagram whose reassembled UDP header lies is still malformed. */
static void test_v4_reassembled_then_checked(void **state)
{
	struct fixture *fx = *state;
	uint8_t pl[160] = { 0 };
	g_autoptr(GByteArray) udp = NULL;

	gf_put16(pl + 4, 400); /* UDP length beyond the datagram */
	udp = v4(17, "10.0.2.15", "10.0.2.3", 0x108, 0, pl, sizeof(pl));
	assert_int_equal(feed(fx, &fx->a, frag4(udp, 0, 80, TRUE), T0), UN_GUARD_HELD);
	assert_int_equal(feed(fx, &fx->a, frag4(udp, 80, 80, FALSE), T0), UN_GUARD_DROP);
	assert_int_equal(drops(&fx->a, UN_DROP_MALFORMED), 2);
}

static void test_ports_do_not_mix(void **state)
{
	struct fixture *fx = *state;
	g_autoptr(GByteArray) ping = ping4(0x109, 200);

	assert_int_equal(feed(fx, &fx->a, frag4(ping, 0, 64, TRUE), T0), UN_GUARD_HELD);
	assert_int_equal(feed(fx, &fx->b, frag4(ping, 64, 144, FALSE), T0), UN_GUARD_HELD);
	assert_int_equal(un_ip_guard_held_frames(fx->g), 2);
	un_ip_guard_forget(fx->g, &fx->a);
	assert_int_equal(un_ip_guard_held_frames(fx->g), 1);
	assert_int_equal(drops(&fx->a, UN_DROP_FRAGMENT), 0);
	assert_int_equal(un_ip_guard_expire(fx->g, T0 + 30 * SEC), 1);
	assert_int_equal(drops(&fx->b, UN_DROP_FRAGMENT), 1);
	assert_int_equal(drops(&fx->a, UN_DROP_FRAGMENT), 0);
}

static gboolean only_b_alive(void *opaque, struct un_port *p)
{
	struct fixture *fx = opaque;

	return p == &fx->b;
}

/* A port that left without un_ip_guard_forget is not counted on when its
 * fragments time out (its memory may be gone). */
static void test_departed_port_not_counted(void **state)
{
	struct fixture *fx = *state;
	g_autoptr(GByteArray) ping = ping4(0x10a, 200);

	un_ip_guard_free(fx->g);
	fx->g = un_ip_guard_new(NULL, only_b_alive, fx);
	assert_int_equal(feed(fx, &fx->a, frag4(ping, 0, 64, TRUE), T0), UN_GUARD_HELD);
	assert_int_equal(feed(fx, &fx->b, frag4(ping, 0, 64, TRUE), T0), UN_GUARD_HELD);
	assert_int_equal(un_ip_guard_expire(fx->g, T0 + 30 * SEC), 2);
	assert_int_equal(drops(&fx->a, UN_DROP_FRAGMENT), 0);
	assert_int_equal(drops(&fx->b, UN_DROP_FRAGMENT), 1);
}

static void test_limits(void **state)
{
	struct fixture *fx = *state;
	g_autoptr(GByteArray) ping = ping4(0, 1000);

	/* at most 64 datagrams at once */
	for (guint id = 0; id < UN_IP_GUARD_DATAGRAMS_MAX; id++) {
		gf_put16(ping->data + 18, id);
		assert_int_equal(feed(fx, id % 2 ? &fx->a : &fx->b, frag4(ping, 0, 8, TRUE), T0),
				 UN_GUARD_HELD);
	}
	gf_put16(ping->data + 18, 999);
	assert_int_equal(feed(fx, &fx->a, frag4(ping, 0, 8, TRUE), T0), UN_GUARD_DROP);
	assert_int_equal(drops(&fx->a, UN_DROP_FRAGMENT), 1);
	assert_int_equal(un_ip_guard_expire(fx->g, T0 + 30 * SEC), UN_IP_GUARD_DATAGRAMS_MAX);
	assert_int_equal(drops(&fx->a, UN_DROP_FRAGMENT), 1 + UN_IP_GUARD_DATAGRAMS_MAX / 2);

	/* one port holds at most its share of the bytes; the other still can */
	g_autoptr(GByteArray) big = ping4(0, 8000);
	gboolean full = FALSE;
	gsize held = 0;

	for (guint id = 100; !full && id < 200; id++) {
		gf_put16(big->data + 18, id);
		for (guint k = 0; k < 8; k++) {
			if (feed(fx, &fx->a, frag4(big, k * 992, 992, TRUE), T0 + 31 * SEC) != UN_GUARD_HELD) {
				full = TRUE;
				break;
			}
			held += 992;
		}
	}
	assert_true(full);
	assert_in_range(held, UN_IP_GUARD_PORT_BYTES_MAX / 2, UN_IP_GUARD_PORT_BYTES_MAX);
	gf_put16(big->data + 18, 1000);
	assert_int_equal(feed(fx, &fx->b, frag4(big, 0, 992, TRUE), T0 + 31 * SEC), UN_GUARD_HELD);
}

/* One port (on natnet: one guest) holds at most half the datagrams, so a
 * guest filling the table cannot stop another's fragments. */
static void test_port_datagram_share(void **state)
{
	struct fixture *fx = *state;
	g_autoptr(GByteArray) ping = ping4(0, 1000);

	for (guint id = 0; id < UN_IP_GUARD_DATAGRAMS_MAX / 2; id++) {
		gf_put16(ping->data + 18, id);
		assert_int_equal(feed(fx, &fx->a, frag4(ping, 0, 8, TRUE), T0),
				 UN_GUARD_HELD);
	}
	gf_put16(ping->data + 18, 500);
	assert_int_equal(feed(fx, &fx->a, frag4(ping, 0, 8, TRUE), T0), UN_GUARD_DROP);
	assert_int_equal(drops(&fx->a, UN_DROP_FRAGMENT), 1);
	gf_put16(ping->data + 18, 501);
	assert_int_equal(feed(fx, &fx->b, frag4(ping, 0, 8, TRUE), T0), UN_GUARD_HELD);
}

/* ---- IPv6 fragments ---- */

static void test_v6_in_order_and_reverse(void **state)
{
	struct fixture *fx = *state;
	g_autoptr(GByteArray) udp = udp6(1000);

	assert_int_equal(feed(fx, &fx->a, frag6(udp, 7, 0, 504, TRUE), T0), UN_GUARD_HELD);
	assert_int_equal(feed(fx, &fx->a, frag6(udp, 7, 504, 504, FALSE), T0), UN_GUARD_WHOLE);
	assert_whole_is(fx, udp);

	assert_int_equal(feed(fx, &fx->a, frag6(udp, 8, 504, 504, FALSE), T0), UN_GUARD_HELD);
	assert_int_equal(feed(fx, &fx->a, frag6(udp, 8, 0, 504, TRUE), T0), UN_GUARD_WHOLE);
	assert_whole_is(fx, udp);
	assert_int_equal(drops(&fx->a, UN_DROP_FRAGMENT), 0);
}

static void test_v6_atomic_overlap_and_too_big(void **state)
{
	struct fixture *fx = *state;
	g_autoptr(GByteArray) small = udp6(100);
	g_autoptr(GByteArray) big = udp6(2000);

	/* RFC 6946 atomic fragment: whole already */
	assert_int_equal(feed(fx, &fx->a, frag6(small, 9, 0, 108, FALSE), T0), UN_GUARD_WHOLE);
	assert_whole_is(fx, small);
	/* overlap */
	assert_int_equal(feed(fx, &fx->a, frag6(small, 10, 0, 64, TRUE), T0), UN_GUARD_HELD);
	assert_int_equal(feed(fx, &fx->a, frag6(small, 10, 56, 52, FALSE), T0), UN_GUARD_DROP);
	assert_int_equal(drops(&fx->a, UN_DROP_FRAGMENT), 2);
	/* whole but above the 1500-byte MTU */
	assert_int_equal(feed(fx, &fx->a, frag6(big, 11, 0, 1200, TRUE), T0), UN_GUARD_HELD);
	assert_int_equal(feed(fx, &fx->a, frag6(big, 11, 1200, 808, FALSE), T0), UN_GUARD_DROP);
	assert_int_equal(drops(&fx->a, UN_DROP_FRAGMENT), 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_whole_frames_pass, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lying_ipv4_headers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lying_ipv6_headers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_v4_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_v4_reverse_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_v4_shuffled, setup, teardown),
		cmocka_unit_test_setup_teardown(test_v4_overlap_drops_datagram, setup, teardown),
		cmocka_unit_test_setup_teardown(test_v4_duplicate_drops_itself, setup, teardown),
		cmocka_unit_test_setup_teardown(test_v4_inconsistent_ends, setup, teardown),
		cmocka_unit_test_setup_teardown(test_v4_lone_last_fragment, setup, teardown),
		cmocka_unit_test_setup_teardown(test_v4_incomplete_times_out_on_input, setup, teardown),
		cmocka_unit_test_setup_teardown(test_v4_fragments_that_cannot_be, setup, teardown),
		cmocka_unit_test_setup_teardown(test_v4_reassembled_then_checked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ports_do_not_mix, setup, teardown),
		cmocka_unit_test_setup_teardown(test_departed_port_not_counted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_limits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_port_datagram_share, setup, teardown),
		cmocka_unit_test_setup_teardown(test_v6_in_order_and_reverse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_v6_atomic_overlap_and_too_big, setup, teardown),
	};

	return cmocka_run_group_tests_name("ip_guard", tests, NULL, NULL);
}
