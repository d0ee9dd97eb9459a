/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_l4.c - backend/l4.c: where the IP header, its addresses and the
 * transport header lie in an untagged Ethernet frame. Offsets are written
 * from the RFCs, not from the code: Ethernet II is 6 + 6 + 2 bytes with
 * the EtherType last (0x0800 IPv4, 0x86dd IPv6); RFC 791 3.1 puts the
 * IPv4 version and IHL (32-bit words, at least 5) in byte 0, the total
 * length (header included) in bytes 2-3, flags and fragment offset in
 * bytes 6-7 (reserved, DF 0x4000, MF 0x2000, 13-bit offset), the protocol
 * in byte 9 and the addresses in bytes 12-19; RFC 8200 3 puts the payload
 * length (after the 40-byte header) in bytes 4-5, the next header in byte
 * 6 and the addresses in bytes 8-39, and 4.5 the fragment offset in the
 * top 13 bits of bytes 2-3 of the Fragment header (next header 44); RFC
 * 793 3.1 puts the data offset in the top nibble of TCP byte 12 and the
 * flags in byte 13; RFC 768 gives UDP an 8-byte header. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <string.h>

#include "wire_bytes.h"
#include "l4.h"

#define PROTO_ICMP 1u   /* RFC 792 */
#define PROTO_TCP 6u    /* RFC 793 */
#define PROTO_UDP 17u   /* RFC 768 */
#define PROTO_V6FRAG 44u

/* Ethernet + IPv4 header of @ihl words (options NOP-filled) + @l4len
 * bytes; 10.0.2.15 -> 192.0.2.1, total length right. */
static struct wb_frame ip4(unsigned proto, unsigned ihl, size_t l4len)
{
	struct wb_frame f = { .len = 14 + ihl * 4 + l4len };

	memset(f.d, 0xee, sizeof(f.d)); /* bytes past the frame: never read */
	memset(f.d, 0, f.len);
	wb_put16(f.d + 12, 0x0800);
	f.d[14] = (uint8_t)(0x40 | ihl);
	wb_put16(f.d + 14 + 2, (unsigned)(ihl * 4 + l4len));
	f.d[14 + 8] = 64;
	f.d[14 + 9] = (uint8_t)proto;
	assert_int_equal(inet_pton(AF_INET, "10.0.2.15", f.d + 14 + 12), 1);
	assert_int_equal(inet_pton(AF_INET, "192.0.2.1", f.d + 14 + 16), 1);
	memset(f.d + 14 + 20, 1, ihl * 4 - 20); /* NOP options */
	return f;
}

/* Ethernet + IPv6 header (next header @nh) + @l4len bytes;
 * fec0::15 -> 2001:db8::1, payload length right. */
static struct wb_frame ip6(unsigned nh, size_t l4len)
{
	struct wb_frame f = { .len = 14 + 40 + l4len };

	memset(f.d, 0xee, sizeof(f.d));
	memset(f.d, 0, f.len);
	wb_put16(f.d + 12, 0x86dd);
	f.d[14] = 0x60;
	wb_put16(f.d + 14 + 4, (unsigned)l4len);
	f.d[14 + 6] = (uint8_t)nh;
	f.d[14 + 7] = 64;
	assert_int_equal(inet_pton(AF_INET6, "fec0::15", f.d + 14 + 8), 1);
	assert_int_equal(inet_pton(AF_INET6, "2001:db8::1", f.d + 14 + 24), 1);
	return f;
}

/* A TCP header of @doff bytes with @flags at @at. */
static void tcp_at(struct wb_frame *f, size_t at, size_t doff, unsigned flags)
{
	wb_put16(f->d + at, 40000);
	wb_put16(f->d + at + 2, 80);
	wb_put32(f->d + at + 4, 0x01020304);
	f->d[at + 12] = (uint8_t)(doff / 4 << 4);
	f->d[at + 13] = (uint8_t)flags;
}

/* Locate @f from a heap copy of exactly its length, so that a read past
 * the frame is caught by the sanitizer build. */
static gboolean locate(const struct wb_frame *f, struct un_l4 *l)
{
	uint8_t *copy = g_memdup2(f->d, f->len ? f->len : 1);
	gboolean ok = un_l4_locate(copy, f->len, l);

	g_free(copy);
	return ok;
}

/* Every field of @got is @want's. */
static void assert_l4(const struct un_l4 *got, struct un_l4 want)
{
	assert_int_equal(got->family, want.family);
	assert_int_equal(got->proto, want.proto);
	assert_int_equal(got->flags, want.flags);
	assert_int_equal(got->src_at, want.src_at);
	assert_int_equal(got->addr_bytes, want.addr_bytes);
	assert_int_equal(got->l4_at, want.l4_at);
	assert_int_equal(got->end_at, want.end_at);
}

/* The addresses @l points at in @f are @src and @dst. */
static void assert_addrs(const struct wb_frame *f, const struct un_l4 *l,
			 const char *src, const char *dst)
{
	uint8_t want[32];
	int af = l->family == 4 ? AF_INET : AF_INET6;

	assert_int_equal(inet_pton(af, src, want), 1);
	assert_int_equal(inet_pton(af, dst, want + l->addr_bytes), 1);
	assert_memory_equal(f->d + l->src_at, want, 2 * l->addr_bytes);
}

static void test_ipv4_tcp(void **state)
{
	struct wb_frame f = ip4(PROTO_TCP, 5, 20);
	struct un_l4 l;

	tcp_at(&f, 34, 20, 0x02);
	assert_true(locate(&f, &l));
	assert_l4(&l, (struct un_l4){ .family = 4, .proto = PROTO_TCP,
				      .src_at = 14 + 12, .addr_bytes = 4,
				      .l4_at = 14 + 20,
				      .end_at = 14 + 20 + 20 });
	assert_addrs(&f, &l, "10.0.2.15", "192.0.2.1");
	assert_int_equal(un_tcp_header_bytes(f.d + l.l4_at), 20);
	assert_int_equal(un_tcp_flags(f.d + l.l4_at), 0x02);
	assert_int_equal(un_get16(f.d + l.l4_at), 40000);
	assert_int_equal(un_get32(f.d + l.l4_at + 4), 0x01020304);
}

static void test_ipv4_options(void **state)
{
	struct wb_frame f = ip4(PROTO_TCP, 6, 20);
	struct un_l4 l;

	assert_true(locate(&f, &l));
	assert_l4(&l, (struct un_l4){ .family = 4, .proto = PROTO_TCP,
				      .flags = UN_L4_IPV4_OPTIONS,
				      .src_at = 14 + 12, .addr_bytes = 4,
				      .l4_at = 14 + 24,
				      .end_at = 14 + 24 + 20 });
	assert_addrs(&f, &l, "10.0.2.15", "192.0.2.1");

	f = ip4(PROTO_UDP, 15, 8); /* the largest header: 60 bytes */
	assert_true(locate(&f, &l));
	assert_int_equal(l.flags, UN_L4_IPV4_OPTIONS);
	assert_int_equal(l.l4_at, 14 + 60);
	assert_int_equal(l.end_at, 14 + 60 + 8);
}

/* RFC 791: DF and the reserved bit are no fragment; MF or an offset is. */
static void test_ipv4_fragments(void **state)
{
	const unsigned frag = UN_L4_FRAGMENT, later = UN_L4_LATER_FRAGMENT;
	const struct {
		unsigned field;
		unsigned flags;
	} cases[] = {
		{ 0x4000, 0 },                      /* DF */
		{ 0x8000, 0 },                      /* the reserved bit */
		{ 0x2000, frag },                   /* first: MF, offset 0 */
		{ 0x2000 | 185, frag | later },     /* middle */
		{ 185, frag | later },              /* last: at byte 1480 */
		{ 0x4000 | 0x1fff, frag | later },  /* DF, the largest offset */
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		struct wb_frame f = ip4(PROTO_UDP, 5, 8);
		struct un_l4 l;

		wb_put16(f.d + 14 + 6, cases[i].field);
		assert_true(locate(&f, &l));
		assert_int_equal(l.flags, cases[i].flags);
		assert_int_equal(l.l4_at, 14 + 20);
	}
}

static void test_ipv6_tcp(void **state)
{
	struct wb_frame f = ip6(PROTO_TCP, 24);
	struct un_l4 l;

	tcp_at(&f, 54, 24, 0x10);
	assert_true(locate(&f, &l));
	assert_l4(&l, (struct un_l4){ .family = 6, .proto = PROTO_TCP,
				      .src_at = 14 + 8, .addr_bytes = 16,
				      .l4_at = 14 + 40,
				      .end_at = 14 + 40 + 24 });
	assert_addrs(&f, &l, "fec0::15", "2001:db8::1");
	assert_int_equal(un_tcp_header_bytes(f.d + l.l4_at), 24);
	assert_int_equal(un_tcp_flags(f.d + l.l4_at), 0x10);
}

static void test_udp(void **state)
{
	struct wb_frame f4 = ip4(PROTO_UDP, 5, 8 + 5);
	struct wb_frame f6 = ip6(PROTO_UDP, 8 + 5);
	struct un_l4 l;

	assert_true(locate(&f4, &l));
	assert_int_equal(l.proto, PROTO_UDP);
	assert_int_equal(l.l4_at, 14 + 20);
	assert_int_equal(l.end_at - l.l4_at, 8 + 5);
	assert_true(locate(&f6, &l));
	assert_int_equal(l.proto, PROTO_UDP);
	assert_int_equal(l.l4_at, 14 + 40);
	assert_int_equal(l.end_at - l.l4_at, 8 + 5);
}

/* Extension headers are not followed; a Fragment header is a flag. */
static void test_ipv6_fragment_header(void **state)
{
	struct wb_frame f = ip6(PROTO_V6FRAG, 8 + 8);
	struct un_l4 l;

	f.d[54] = PROTO_UDP;
	wb_put16(f.d + 54 + 2, 0x0001); /* offset 0, M */
	assert_true(locate(&f, &l));
	assert_int_equal(l.proto, PROTO_V6FRAG);
	assert_int_equal(l.l4_at, 14 + 40);
	assert_int_equal(l.flags, UN_L4_FRAGMENT);
	wb_put16(f.d + 54 + 2, 1480); /* offset 185 words, last */
	assert_true(locate(&f, &l));
	assert_int_equal(l.flags, UN_L4_FRAGMENT | UN_L4_LATER_FRAGMENT);
	/* its offset field outside the payload length: not read */
	wb_put16(f.d + 14 + 4, 2);
	f.len = 14 + 40 + 2;
	assert_true(locate(&f, &l));
	assert_int_equal(l.flags, UN_L4_FRAGMENT);
}

/* Ethernet padding (a 60-byte minimum frame): the IP length ends it. */
static void test_ip_length_shorter_than_frame(void **state)
{
	struct wb_frame f4 = ip4(PROTO_UDP, 5, 8);
	struct wb_frame f6 = ip6(PROTO_UDP, 8);
	struct un_l4 l;

	f4.len = 60;
	assert_true(locate(&f4, &l));
	assert_int_equal(l.flags, 0);
	assert_int_equal(l.end_at, 14 + 20 + 8);
	f6.len = 14 + 40 + 8 + 16;
	assert_true(locate(&f6, &l));
	assert_int_equal(l.flags, 0);
	assert_int_equal(l.end_at, 14 + 40 + 8);
	/* an IPv4 total length below its own header: nothing after it */
	wb_put16(f4.d + 14 + 2, 12);
	assert_true(locate(&f4, &l));
	assert_int_equal(l.flags, UN_L4_LENGTH_SHORT);
	assert_int_equal(l.end_at, 14 + 20);
}

static void test_ip_length_longer_than_frame(void **state)
{
	struct wb_frame f4 = ip4(PROTO_TCP, 5, 20);
	struct wb_frame f6 = ip6(PROTO_TCP, 20);
	struct un_l4 l;

	wb_put16(f4.d + 14 + 2, 1500);
	assert_true(locate(&f4, &l));
	assert_int_equal(l.flags, UN_L4_TRUNCATED);
	assert_int_equal(l.end_at, f4.len);
	wb_put16(f6.d + 14 + 4, 65535);
	assert_true(locate(&f6, &l));
	assert_int_equal(l.flags, UN_L4_TRUNCATED);
	assert_int_equal(l.end_at, f6.len);
}

static void test_version_field(void **state)
{
	struct wb_frame f4 = ip4(PROTO_TCP, 5, 20);
	struct wb_frame f6 = ip6(PROTO_TCP, 20);
	struct un_l4 l;

	f4.d[14] = 0x65; /* version 6, IHL 5, under EtherType IPv4 */
	assert_true(locate(&f4, &l));
	assert_int_equal(l.family, 4);
	assert_int_equal(l.flags, UN_L4_BAD_VERSION);
	f6.d[14] = 0x40;
	assert_true(locate(&f6, &l));
	assert_int_equal(l.family, 6);
	assert_int_equal(l.flags, UN_L4_BAD_VERSION);
}

/* @f with EtherType @type (0x8100: an IEEE 802.1Q tag). */
static struct wb_frame with_type(struct wb_frame f, unsigned type)
{
	wb_put16(f.d + 12, type);
	return f;
}

/* Refused: no IP EtherType, or an IP header that is not whole. */
static void test_refused(void **state)
{
	const struct {
		const char *what;
		struct wb_frame f;
		unsigned byte14; /* IPv4 version/IHL, or 0: keep */
		size_t len;
	} cases[] = {
		{ "no Ethernet header", ip4(PROTO_TCP, 5, 20), 0, 13 },
		{ "IPv4, 19 of 20 header bytes", ip4(PROTO_TCP, 5, 20), 0, 33 },
		{ "IPv4, IHL 6, 23 of 24", ip4(PROTO_TCP, 6, 20), 0, 14 + 23 },
		{ "IPv4, IHL 15, 59 of 60", ip4(PROTO_TCP, 15, 0), 0, 14 + 59 },
		{ "IPv4, IHL 4", ip4(PROTO_TCP, 5, 20), 0x44, 14 + 40 },
		{ "IPv4, IHL 0", ip4(PROTO_TCP, 5, 20), 0x40, 14 + 40 },
		{ "IPv6, 39 of 40 header bytes", ip6(PROTO_TCP, 20), 0, 53 },
		{ "VLAN-tagged IPv4", with_type(ip4(PROTO_TCP, 5, 20), 0x8100),
		  0, 14 + 40 },
		{ "ARP", with_type(ip4(PROTO_TCP, 5, 20), 0x0806), 0, 14 + 40 },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		struct wb_frame f = cases[i].f;
		struct un_l4 l;

		if (cases[i].byte14)
			f.d[14] = (uint8_t)cases[i].byte14;
		f.len = cases[i].len;
		if (locate(&f, &l))
			fail_msg("%s: located", cases[i].what);
	}
}

/* Every length of a frame cut short is refused, or located inside it. */
static void check_truncations(struct wb_frame whole, size_t header_end)
{
	for (size_t len = 0; len <= whole.len; len++) {
		struct wb_frame f = whole;
		struct un_l4 l;
		gboolean ok;

		f.len = len;
		ok = locate(&f, &l);
		assert_int_equal(ok, len >= header_end);
		if (!ok)
			continue;
		assert_true(l.l4_at == header_end);
		assert_true(l.l4_at <= l.end_at && l.end_at <= len);
		assert_int_equal(l.end_at, len);
		assert_int_equal(l.flags & UN_L4_TRUNCATED,
				 len < whole.len ? UN_L4_TRUNCATED : 0);
	}
}

static void test_truncated(void **state)
{
	struct wb_frame f;

	f = ip4(PROTO_TCP, 5, 20);
	check_truncations(f, 14 + 20);
	f = ip4(PROTO_TCP, 9, 20);
	check_truncations(f, 14 + 36);
	f = ip4(PROTO_UDP, 5, 8);
	check_truncations(f, 14 + 20);
	f = ip6(PROTO_TCP, 32);
	check_truncations(f, 14 + 40);
	f = ip6(PROTO_V6FRAG, 8 + 8);
	check_truncations(f, 14 + 40);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipv4_tcp),
		cmocka_unit_test(test_ipv4_options),
		cmocka_unit_test(test_ipv4_fragments),
		cmocka_unit_test(test_ipv6_tcp),
		cmocka_unit_test(test_udp),
		cmocka_unit_test(test_ipv6_fragment_header),
		cmocka_unit_test(test_ip_length_shorter_than_frame),
		cmocka_unit_test(test_ip_length_longer_than_frame),
		cmocka_unit_test(test_version_field),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_truncated),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
