/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_syn_guard.c - backend/syn_guard.c: the first SYN of a connection
 * reaches libslirp as sent; a repeat (same addresses, ports and initial
 * sequence number, RFC 793 3.4) loses its MSS option (kind 2, length 4,
 * RFC 9293 3.2) to four NOPs (kind 1) with a checksum that still verifies
 * (RFC 1071: the one's complement sum over pseudo-header and segment is
 * 0xffff); nothing else is touched. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <string.h>

#include "wire_bytes.h"
#include "syn_guard.h"

#define SEC G_USEC_PER_SEC

/* A guest's SYN (@flags) 10.0.2.15:@sport -> 192.0.2.1:80 with sequence
 * number @isn and the 12 option bytes @opts, checksum right. */
static struct wb_frame syn4(unsigned sport, uint32_t isn, unsigned flags,
			 const uint8_t opts[12])
{
	struct wb_frame f = { .len = 14 + 20 + 32 };
	uint8_t *ip = f.d + 14, *tcp = ip + 20;

	wb_put16(f.d + 12, 0x0800);
	ip[0] = 0x45;
	wb_put16(ip + 2, 20 + 32);
	ip[8] = 64;
	ip[9] = IPPROTO_TCP;
	inet_pton(AF_INET, "10.0.2.15", ip + 12);
	inet_pton(AF_INET, "192.0.2.1", ip + 16);
	wb_put16(tcp, sport);
	wb_put16(tcp + 2, 80);
	wb_put16(tcp + 4, isn >> 16);
	wb_put16(tcp + 6, isn & 0xffff);
	tcp[12] = 0x80; /* 32 bytes */
	tcp[13] = (uint8_t)flags;
	wb_put16(tcp + 14, 64240);
	memcpy(tcp + 20, opts, 12);
	wb_put16(tcp + 16, (~wb_tcp4_sum(&f)) & 0xffff);
	return f;
}

static struct wb_frame syn6(uint32_t isn)
{
	static const uint8_t opts[12] = { 2, 4, 0xff, 0xc4, 4, 2, 1, 1, 1, 1, 1, 0 };
	struct wb_frame f = { .len = 14 + 40 + 32 };
	uint8_t *ip = f.d + 14, *tcp = ip + 40;

	wb_put16(f.d + 12, 0x86dd);
	ip[0] = 0x60;
	wb_put16(ip + 4, 32);
	ip[6] = IPPROTO_TCP;
	ip[7] = 64;
	inet_pton(AF_INET6, "fec0::15", ip + 8);
	inet_pton(AF_INET6, "2001:db8::1", ip + 24);
	wb_put16(tcp, 40000);
	wb_put16(tcp + 2, 80);
	wb_put16(tcp + 4, isn >> 16);
	wb_put16(tcp + 6, isn & 0xffff);
	tcp[12] = 0x80;
	tcp[13] = 0x02;
	memcpy(tcp + 20, opts, 12);
	wb_put16(tcp + 16, (~wb_tcp6_sum(&f)) & 0xffff);
	return f;
}

/* MSS 1460, SACK permitted, timestamps cut short by NOPs: as Linux sends. */
static const uint8_t LINUX_OPTS[12] = { 2, 4, 0x05, 0xb4, 4, 2, 1, 1, 1, 3, 3, 7 };
/* MSS after one NOP: odd offset, so its bytes straddle 16-bit words. */
static const uint8_t ODD_OPTS[12] = { 1, 2, 4, 0x05, 0xb4, 1, 1, 1, 1, 1, 1, 0 };

struct result {
	gboolean rewritten;
	struct wb_frame out;
};

static struct result filter(struct un_syn_guard *sg, struct wb_frame f, gint64 now)
{
	uint8_t *copy = NULL;
	struct un_l4 l;
	const uint8_t *out = un_syn_guard_filter(sg, f.d, f.len,
						 un_l4_find(f.d, f.len, &l),
						 now, &copy);
	struct result r = { .rewritten = copy != NULL, .out = f };

	assert_true(copy == NULL ? out == f.d : out == copy);
	memcpy(r.out.d, out, f.len);
	g_free(copy);
	return r;
}

static void test_repeat_loses_mss(void **state)
{
	struct un_syn_guard *sg = un_syn_guard_new(16, 180 * SEC);
	struct wb_frame f = syn4(40000, 0x11223344, 0x02, LINUX_OPTS);
	struct result r;

	r = filter(sg, f, 1 * SEC);
	assert_false(r.rewritten);
	r = filter(sg, f, 2 * SEC); /* the retransmission */
	assert_true(r.rewritten);
	assert_memory_equal(r.out.d + 54, "\1\1\1\1", 4);
	assert_memory_equal(r.out.d + 58, LINUX_OPTS + 4, 8);
	assert_memory_equal(r.out.d, f.d, 50); /* all but checksum and option */
	assert_int_equal(wb_tcp4_sum(&r.out), 0xffff);
	r = filter(sg, f, 3 * SEC); /* and every later one */
	assert_true(r.rewritten);
	assert_int_equal(un_syn_guard_rewritten(sg), 2);
	un_syn_guard_free(sg);
}

static void test_syn_ack_and_odd_offset(void **state)
{
	struct un_syn_guard *sg = un_syn_guard_new(16, 180 * SEC);
	struct wb_frame f = syn4(7300, 0xfffffff0u, 0x12, ODD_OPTS); /* SYN-ACK */
	struct result r;

	assert_false(filter(sg, f, SEC).rewritten);
	r = filter(sg, f, 2 * SEC);
	assert_true(r.rewritten);
	assert_memory_equal(r.out.d + 54, "\1\1\1\1\1\1\1\1\1\1\1\0", 12);
	assert_int_equal(wb_tcp4_sum(&r.out), 0xffff);
	un_syn_guard_free(sg);
}

static void test_ipv6(void **state)
{
	struct un_syn_guard *sg = un_syn_guard_new(16, 180 * SEC);
	struct wb_frame f = syn6(42);
	struct result r;

	assert_false(filter(sg, f, SEC).rewritten);
	r = filter(sg, f, 2 * SEC);
	assert_true(r.rewritten);
	assert_memory_equal(r.out.d + 74, "\1\1\1\1", 4);
	assert_int_equal(wb_tcp6_sum(&r.out), 0xffff);
	un_syn_guard_free(sg);
}

/* A new connection on the same ports (another initial sequence number),
 * another port, or the same SYN after the TTL: each is a first SYN. */
static void test_new_connections_untouched(void **state)
{
	struct un_syn_guard *sg = un_syn_guard_new(16, 180 * SEC);

	assert_false(filter(sg, syn4(40000, 1000, 0x02, LINUX_OPTS), SEC).rewritten);
	assert_false(filter(sg, syn4(40000, 5000, 0x02, LINUX_OPTS), SEC).rewritten);
	assert_false(filter(sg, syn4(40001, 5000, 0x02, LINUX_OPTS), SEC).rewritten);
	assert_true(filter(sg, syn4(40000, 5000, 0x02, LINUX_OPTS), 2 * SEC).rewritten);
	/* 180 s after the first: forgotten, passes as sent, remembered anew */
	assert_false(filter(sg, syn4(40001, 5000, 0x02, LINUX_OPTS), 182 * SEC).rewritten);
	assert_true(filter(sg, syn4(40001, 5000, 0x02, LINUX_OPTS), 183 * SEC).rewritten);
	un_syn_guard_free(sg);
}

/* What is no SYN, or a SYN without an MSS option, goes through as sent. */
static void test_others_untouched(void **state)
{
	static const uint8_t no_mss[12] = { 4, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0 };
	static const uint8_t bad_len[12] = { 2, 5, 0x05, 0xb4, 0, 0, 0, 0, 0, 0, 0, 0 };
	static const uint8_t after_eol[12] = { 0, 2, 4, 0x05, 0xb4, 0, 0, 0, 0, 0, 0, 0 };
	struct un_syn_guard *sg = un_syn_guard_new(16, 180 * SEC);
	struct wb_frame ack = syn4(40000, 9, 0x10, LINUX_OPTS);

	assert_false(filter(sg, ack, SEC).rewritten);
	assert_false(filter(sg, ack, SEC).rewritten);
	for (int i = 0; i < 2; i++) {
		assert_false(filter(sg, syn4(1, 9, 0x02, no_mss), SEC).rewritten);
		assert_false(filter(sg, syn4(2, 9, 0x02, bad_len), SEC).rewritten);
		assert_false(filter(sg, syn4(3, 9, 0x02, after_eol), SEC).rewritten);
	}
	ack.len = 40; /* short */
	assert_false(filter(sg, ack, SEC).rewritten);
	un_syn_guard_free(sg);
}

/* At the cap the oldest entry goes first. */
static void test_cap(void **state)
{
	struct un_syn_guard *sg = un_syn_guard_new(4, 180 * SEC);

	for (unsigned p = 1; p <= 5; p++)
		assert_false(filter(sg, syn4(p, 7, 0x02, LINUX_OPTS), SEC).rewritten);
	assert_false(filter(sg, syn4(1, 7, 0x02, LINUX_OPTS), SEC).rewritten); /* evicted */
	assert_true(filter(sg, syn4(5, 7, 0x02, LINUX_OPTS), SEC).rewritten);
	un_syn_guard_free(sg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_repeat_loses_mss),
		cmocka_unit_test(test_syn_ack_and_odd_offset),
		cmocka_unit_test(test_ipv6),
		cmocka_unit_test(test_new_connections_untouched),
		cmocka_unit_test(test_others_untouched),
		cmocka_unit_test(test_cap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
