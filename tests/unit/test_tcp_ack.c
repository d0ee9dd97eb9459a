/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_tcp_ack.c - backend/tcp_ack.c: a later pure ACK of the same
 * connection supersedes a queued one only when it acknowledges more
 * (RFC 793 cumulative ACKs, RFC 1982 serial arithmetic), and nothing that
 * carries anything else (data, SYN, FIN, RST, a duplicate ACK for fast
 * retransmit, another connection) is ever merged. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <string.h>

#include "wire_bytes.h"
#include "tcp_ack.h"

/* The router's ACK to the guest: 10.0.2.2:80 -> 10.0.2.15:40000, padded
 * to 60 bytes as libslirp's frames are; @payload bytes of data. */
static struct wb_frame ack4(uint32_t ack, unsigned flags, size_t payload)
{
	struct wb_frame f = { .len = 14 + 20 + 20 + payload };
	uint8_t *ip = f.d + 14, *tcp = ip + 20;

	memcpy(f.d, "\x52\x54\x00\x12\x34\x56\x52\x55\x0a\x00\x02\x02", 12);
	wb_put16(f.d + 12, 0x0800);
	ip[0] = 0x45;
	wb_put16(ip + 2, (unsigned)(20 + 20 + payload));
	ip[6] = 0x40; /* DF */
	ip[8] = 64;
	ip[9] = IPPROTO_TCP;
	inet_pton(AF_INET, "10.0.2.2", ip + 12);
	inet_pton(AF_INET, "10.0.2.15", ip + 16);
	wb_put16(tcp, 80);
	wb_put16(tcp + 2, 40000);
	wb_put32(tcp + 4, 1000);
	wb_put32(tcp + 8, ack);
	tcp[12] = 0x50;
	tcp[13] = (uint8_t)flags;
	wb_put16(tcp + 14, 65535);
	if (f.len < 60)
		f.len = 60;
	return f;
}

static struct wb_frame ack6(uint32_t ack)
{
	struct wb_frame f = { .len = 14 + 40 + 20 };
	uint8_t *ip = f.d + 14, *tcp = ip + 40;

	memcpy(f.d, "\x52\x54\x00\x12\x34\x56\x52\x55\x0a\x00\x02\x02", 12);
	wb_put16(f.d + 12, 0x86dd);
	ip[0] = 0x60;
	wb_put16(ip + 4, 20);
	ip[6] = IPPROTO_TCP;
	ip[7] = 64;
	inet_pton(AF_INET6, "fec0::2", ip + 8);
	inet_pton(AF_INET6, "fec0::15", ip + 24);
	wb_put16(tcp, 80);
	wb_put16(tcp + 2, 40000);
	wb_put32(tcp + 8, ack);
	tcp[12] = 0x50;
	tcp[13] = 0x10;
	return f;
}

static gboolean supersedes(struct wb_frame a, struct wb_frame b)
{
	return un_tcp_ack_supersedes(a.d, a.len, b.d, b.len);
}

static void test_newer_ack_supersedes(void **state)
{
	assert_true(supersedes(ack4(5000, 0x10, 0), ack4(6448, 0x10, 0)));
	assert_true(supersedes(ack6(5000), ack6(9000)));
	/* across the wrap of the sequence space */
	assert_true(supersedes(ack4(0xfffffff0u, 0x10, 0), ack4(0x10, 0x10, 0)));
	/* a window update alone (same number) is no news about data, but a
	 * duplicate ACK must reach the guest: never merged */
	assert_false(supersedes(ack4(5000, 0x10, 0), ack4(5000, 0x10, 0)));
	assert_false(supersedes(ack4(6448, 0x10, 0), ack4(5000, 0x10, 0)));
	assert_false(supersedes(ack4(0x10, 0x10, 0), ack4(0xfffffff0u, 0x10, 0)));
}

static void test_only_pure_acks(void **state)
{
	struct wb_frame data = ack4(6000, 0x18, 100);

	assert_false(supersedes(ack4(5000, 0x10, 0), data));
	assert_false(supersedes(data, ack4(7000, 0x10, 0)));
	assert_false(supersedes(ack4(5000, 0x10, 0), ack4(6000, 0x11, 0))); /* FIN */
	assert_false(supersedes(ack4(5000, 0x10, 0), ack4(6000, 0x14, 0))); /* RST */
	assert_false(supersedes(ack4(5000, 0x10, 0), ack4(6000, 0x12, 0))); /* SYN */
	assert_false(supersedes(ack4(5000, 0x18, 0), ack4(6000, 0x18, 0))); /* PSH */
	assert_false(supersedes(ack4(5000, 0x10, 0), ack6(6000)));
}

static void test_same_connection_only(void **state)
{
	struct wb_frame a = ack4(5000, 0x10, 0), b = ack4(6000, 0x10, 0);

	b.d[34 + 1] = 81; /* another source port */
	assert_false(supersedes(a, b));
	b = ack4(6000, 0x10, 0);
	b.d[14 + 19] = 16; /* another guest */
	assert_false(supersedes(a, b));
	b = ack4(6000, 0x10, 0);
	b.d[5] = 0x57; /* another destination MAC */
	assert_false(supersedes(a, b));
	b = ack6(6000);
	b.d[14 + 39] = 0x16;
	assert_false(supersedes(ack6(5000), b));
}

/* What does not parse as a plain IPv4/IPv6 TCP header is never merged. */
static void test_odd_frames_left_alone(void **state)
{
	struct wb_frame a = ack4(5000, 0x10, 0), b = ack4(6000, 0x10, 0);

	assert_false(un_tcp_ack_supersedes(a.d, 40, b.d, 40));
	a.d[14] = b.d[14] = 0x46; /* IP options */
	assert_false(supersedes(a, b));
	a = ack4(5000, 0x10, 0);
	b = ack4(6000, 0x10, 0);
	a.d[34 + 12] = b.d[34 + 12] = 0x60; /* TCP options past the IP length */
	assert_false(supersedes(a, b));
	a = ack4(5000, 0x10, 0);
	b = ack4(6000, 0x10, 0);
	wb_put16(a.d + 14 + 6, 0x2000); /* more fragments */
	wb_put16(b.d + 14 + 6, 0x2000);
	assert_false(supersedes(a, b));
	a = ack4(5000, 0x10, 0);
	b = ack4(6000, 0x10, 0);
	wb_put16(a.d + 16, 200); /* IP length past the frame */
	wb_put16(b.d + 16, 200);
	assert_false(supersedes(a, b));
	b = ack4(6000, 0x10, 0);
	b.len = 61;
	assert_false(supersedes(ack4(5000, 0x10, 0), b));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_newer_ack_supersedes),
		cmocka_unit_test(test_only_pure_acks),
		cmocka_unit_test(test_same_connection_only),
		cmocka_unit_test(test_odd_frames_left_alone),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
