/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_host_sockets.c - backend/host_sockets.c: the count follows
 * libslirp's register/unregister calls, and at max-host-sockets only the
 * frames that would make libslirp 4.7 open a socket are refused: TCP SYN
 * (tcp_input -> tcp_fconnect), a UDP datagram from a guest address and
 * port with no socket (udp_input keys sockets by the guest's end; DHCP
 * and TFTP to the router need none), an IPv4 echo to an address other
 * than the router's (icmp_input reflects those two itself). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <string.h>

#include "wire_bytes.h"
#include "host_sockets.h"

#define GUEST "10.0.2.15"
#define HOST "10.0.2.2"
#define DNS "10.0.2.3"
#define OUTSIDE "192.0.2.7"

/* Ethernet + a 20-byte IPv4 header + @l4len bytes of @proto. */
static struct wb_frame ip4(unsigned proto, const char *src, const char *dst,
			size_t l4len)
{
	struct wb_frame f = { .len = 14 + 20 + l4len };

	wb_put16(f.d + 12, 0x0800);
	f.d[14] = 0x45;
	wb_put16(f.d + 16, (unsigned)(20 + l4len));
	f.d[14 + 8] = 64;
	f.d[14 + 9] = (uint8_t)proto;
	assert_int_equal(inet_pton(AF_INET, src, f.d + 14 + 12), 1);
	assert_int_equal(inet_pton(AF_INET, dst, f.d + 14 + 16), 1);
	return f;
}

static struct wb_frame tcp4(const char *dst, unsigned flags)
{
	struct wb_frame f = ip4(IPPROTO_TCP, GUEST, dst, 20);

	wb_put16(f.d + 34, 40000);
	wb_put16(f.d + 36, 80);
	f.d[34 + 12] = 0x50;
	f.d[34 + 13] = (uint8_t)flags;
	return f;
}

static struct wb_frame udp4(const char *src, unsigned sport, const char *dst,
			 unsigned dport)
{
	struct wb_frame f = ip4(IPPROTO_UDP, src, dst, 8 + 4);

	wb_put16(f.d + 34, sport);
	wb_put16(f.d + 36, dport);
	wb_put16(f.d + 38, 8 + 4);
	return f;
}

static struct wb_frame icmp4(const char *dst, unsigned type)
{
	struct wb_frame f = ip4(IPPROTO_ICMP, GUEST, dst, 8);

	f.d[34] = (uint8_t)type;
	return f;
}

/* Ethernet + IPv6 header (next header @nh) + @l4len bytes. */
static struct wb_frame ip6(unsigned nh, size_t l4len)
{
	struct wb_frame f = { .len = 14 + 40 + l4len };

	wb_put16(f.d + 12, 0x86dd);
	f.d[14] = 0x60;
	wb_put16(f.d + 14 + 4, (unsigned)l4len);
	f.d[14 + 6] = (uint8_t)nh;
	assert_int_equal(inet_pton(AF_INET6, "fec0::15", f.d + 14 + 8), 1);
	assert_int_equal(inet_pton(AF_INET6, "2001:db8::1", f.d + 14 + 24), 1);
	return f;
}

static struct un_host_sockets *hs_new(guint max)
{
	struct in_addr host, dns;

	inet_pton(AF_INET, HOST, &host);
	inet_pton(AF_INET, DNS, &dns);
	return un_host_sockets_new("test", max, host, dns);
}

static gboolean admit(struct un_host_sockets *hs, struct wb_frame f)
{
	struct un_l4 l;

	return un_host_sockets_admit(hs, f.d, f.len, un_l4_find(f.d, f.len, &l));
}

/* A frame admitted and input, during which libslirp opens @fd (-1: none). */
static void input(struct un_host_sockets *hs, struct wb_frame f, int fd)
{
	assert_true(admit(hs, f));
	if (fd >= 0)
		un_host_sockets_opened(hs, fd);
	un_host_sockets_input_done(hs);
}

static void test_count_follows_register(void **state)
{
	struct un_host_sockets *hs = hs_new(16);

	un_host_sockets_opened(hs, 10);
	un_host_sockets_opened(hs, 11);
	un_host_sockets_opened(hs, -1); /* a failed udp_attach registers -1 */
	assert_int_equal(un_host_sockets_count(hs), 2);
	un_host_sockets_closed(hs, 10);
	un_host_sockets_closed(hs, 99); /* a forward listener: never registered */
	un_host_sockets_closed(hs, -1);
	assert_int_equal(un_host_sockets_count(hs), 1);
	un_host_sockets_opened(hs, 11); /* reused after a lost close */
	assert_int_equal(un_host_sockets_count(hs), 1);
	assert_int_equal(un_host_sockets_refused(hs), 0);
	un_host_sockets_free(hs);
}

static void test_tcp_syn_refused_at_max(void **state)
{
	struct un_host_sockets *hs = hs_new(2);

	input(hs, tcp4(OUTSIDE, 0x02), 20);
	input(hs, tcp4(OUTSIDE, 0x02), 21);
	assert_false(admit(hs, tcp4(OUTSIDE, 0x02)));        /* SYN */
	assert_false(admit(hs, tcp4(HOST, 0x02)));           /* to the host too */
	assert_int_equal(un_host_sockets_refused(hs), 2);
	assert_true(admit(hs, tcp4(OUTSIDE, 0x12)));         /* SYN+ACK */
	assert_true(admit(hs, tcp4(OUTSIDE, 0x10)));         /* ACK: data */
	assert_true(admit(hs, tcp4(OUTSIDE, 0x04)));         /* RST */
	un_host_sockets_closed(hs, 20);
	assert_true(admit(hs, tcp4(OUTSIDE, 0x02)));
	assert_int_equal(un_host_sockets_refused(hs), 2);
	un_host_sockets_free(hs);
}

static void test_udp_flows_keep_their_socket(void **state)
{
	struct un_host_sockets *hs = hs_new(2);

	input(hs, udp4(GUEST, 5000, OUTSIDE, 53), 30);  /* flow 5000 -> fd 30 */
	input(hs, udp4(GUEST, 5000, OUTSIDE, 123), -1); /* same flow, no new fd */
	input(hs, tcp4(OUTSIDE, 0x02), 31);
	assert_int_equal(un_host_sockets_count(hs), 2);
	/* At max: the flow with a socket goes on, new flows wait. */
	assert_true(admit(hs, udp4(GUEST, 5000, "198.51.100.1", 9)));
	assert_false(admit(hs, udp4(GUEST, 5001, OUTSIDE, 53)));
	assert_false(admit(hs, udp4("10.0.2.16", 5000, OUTSIDE, 53)));
	assert_false(admit(hs, udp4(GUEST, 5002, DNS, 53))); /* DNS needs one */
	/* libslirp's own servers need none. */
	assert_true(admit(hs, udp4(GUEST, 68, "255.255.255.255", 67)));
	assert_true(admit(hs, udp4(GUEST, 68, HOST, 67)));
	assert_true(admit(hs, udp4(GUEST, 2000, HOST, 69)));
	assert_false(admit(hs, udp4(GUEST, 2000, OUTSIDE, 69)));
	assert_int_equal(un_host_sockets_refused(hs), 4);
	/* The flow's socket expires: the flow is new again. */
	un_host_sockets_closed(hs, 30);
	input(hs, udp4(GUEST, 5001, OUTSIDE, 53), 30);
	assert_false(admit(hs, udp4(GUEST, 5000, OUTSIDE, 53)));
	assert_true(admit(hs, udp4(GUEST, 5001, OUTSIDE, 53)));
	un_host_sockets_free(hs);
}

/* A socket opened by a forward's accept, not by a guest frame, belongs to
 * no flow; nor does one registered after the frame was input. */
static void test_socket_outside_input_has_no_flow(void **state)
{
	struct un_host_sockets *hs = hs_new(2);

	assert_true(admit(hs, udp4(GUEST, 6000, OUTSIDE, 53)));
	un_host_sockets_input_done(hs); /* libslirp opened nothing */
	un_host_sockets_opened(hs, 40);  /* e.g. a forward's accept */
	un_host_sockets_opened(hs, 41);
	assert_false(admit(hs, udp4(GUEST, 6000, OUTSIDE, 53)));
	/* A number reused by a socket of no flow forgets the old flow. */
	un_host_sockets_closed(hs, 41);
	input(hs, udp4(GUEST, 6001, OUTSIDE, 53), 41);
	assert_true(admit(hs, udp4(GUEST, 6001, OUTSIDE, 53)));
	un_host_sockets_opened(hs, 41);
	assert_false(admit(hs, udp4(GUEST, 6001, OUTSIDE, 53)));
	un_host_sockets_free(hs);
}

static void test_icmp_echo(void **state)
{
	struct un_host_sockets *hs = hs_new(16);

	for (int fd = 50; fd < 66; fd++)
		un_host_sockets_opened(hs, fd);
	assert_true(admit(hs, icmp4(HOST, 8)));      /* reflected by libslirp */
	assert_true(admit(hs, icmp4(DNS, 8)));
	assert_false(admit(hs, icmp4(OUTSIDE, 8)));  /* a ping socket */
	assert_false(admit(hs, icmp4("10.0.2.9", 8)));
	assert_true(admit(hs, icmp4(OUTSIDE, 0)));   /* echo reply */
	assert_true(admit(hs, icmp4(OUTSIDE, 3)));   /* unreachable */
	assert_int_equal(un_host_sockets_refused(hs), 2);
	un_host_sockets_free(hs);
}

static void test_ipv6(void **state)
{
	struct un_host_sockets *hs = hs_new(16);
	struct wb_frame syn = ip6(IPPROTO_TCP, 20), ack, udp, dhcp6, ping;

	syn.d[54 + 13] = 0x02;
	ack = syn;
	ack.d[54 + 13] = 0x10;
	udp = ip6(IPPROTO_UDP, 8);
	wb_put16(udp.d + 54, 7000);
	wb_put16(udp.d + 56, 53);
	dhcp6 = udp;
	wb_put16(dhcp6.d + 54, 546);
	wb_put16(dhcp6.d + 56, 547);
	ping = ip6(58, 8);
	ping.d[54] = 128;

	input(hs, udp, 60);
	for (int fd = 61; fd < 76; fd++)
		un_host_sockets_opened(hs, fd);
	assert_false(admit(hs, syn));
	assert_true(admit(hs, ack));
	assert_true(admit(hs, udp));    /* its flow has fd 60 */
	wb_put16(udp.d + 54, 7001);
	assert_false(admit(hs, udp));
	assert_true(admit(hs, dhcp6));
	assert_true(admit(hs, ping));   /* libslirp 4.7 opens no ICMPv6 socket */
	un_host_sockets_free(hs);
}

/* What libslirp drops unread opens nothing: admitted, never refused. */
static void test_short_and_other_frames(void **state)
{
	struct un_host_sockets *hs = hs_new(16);
	struct wb_frame arp = { .len = 42 }, shortsyn = tcp4(OUTSIDE, 0x02),
		     badihl = tcp4(OUTSIDE, 0x02), shortudp = udp4(GUEST, 1, OUTSIDE, 2);

	for (int fd = 80; fd < 96; fd++)
		un_host_sockets_opened(hs, fd);
	wb_put16(arp.d + 12, 0x0806);
	shortsyn.len = 14 + 20 + 13;   /* the flags byte is missing */
	badihl.d[14] = 0x44;           /* IHL 16 bytes */
	shortudp.len = 14 + 20 + 7;
	assert_true(admit(hs, arp));
	assert_true(admit(hs, shortsyn));
	assert_true(admit(hs, badihl));
	assert_true(admit(hs, shortudp));
	arp.len = 10;
	assert_true(admit(hs, arp));
	assert_int_equal(un_host_sockets_refused(hs), 0);
	un_host_sockets_free(hs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_count_follows_register),
		cmocka_unit_test(test_tcp_syn_refused_at_max),
		cmocka_unit_test(test_udp_flows_keep_their_socket),
		cmocka_unit_test(test_socket_outside_input_has_no_flow),
		cmocka_unit_test(test_icmp_echo),
		cmocka_unit_test(test_ipv6),
		cmocka_unit_test(test_short_and_other_frames),
	};

	g_log_set_always_fatal(G_LOG_LEVEL_CRITICAL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
