/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_tcp_cork.c - backend/tcp_cork.c, against real loopback TCP sockets
 * whose TCP_CORK the kernel reports. The rules, from tcp_cork.h: the
 * socket opened while a guest SYN (SYN without ACK) is input carries that
 * connection; so does a socket opened outside that (a forward's accept)
 * whose peer port is the source port of the next SYN libslirp sends the
 * guest (RFC 793: SYN without ACK opens); its second data segment in one
 * wake-up corks it; a flush
 * (the loop about to poll) uncorks it; one segment, pure ACKs, other
 * connections and unmapped sockets never cork; a closed socket is
 * forgotten. Frames are written header by header (RFC 791, RFC 793). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tcp_cork.h"
#include "wire_bytes.h"

#define SYN 0x02u
#define ACK 0x10u
#define PSH 0x08u

/* @src:@sport -> @dst:@dport, @flags, @payload bytes. */
static struct wb_frame tcp_frame(const char *src, unsigned sport,
				 const char *dst, unsigned dport,
				 unsigned flags, size_t payload)
{
	struct wb_frame f = { .len = 14 + 20 + 20 + payload };
	uint8_t *ip = f.d + 14, *tcp = ip + 20;

	assert_true(f.len <= sizeof(f.d));
	memcpy(f.d, "\x52\x55\x0a\x00\x02\x02\x52\x54\x00\x12\x34\x56", 12);
	wb_put16(f.d + 12, 0x0800);
	ip[0] = 0x45;
	wb_put16(ip + 2, (unsigned)(20 + 20 + payload));
	ip[8] = 64;
	ip[9] = IPPROTO_TCP;
	inet_pton(AF_INET, src, ip + 12);
	inet_pton(AF_INET, dst, ip + 16);
	wb_put16(tcp, sport);
	wb_put16(tcp + 2, dport);
	tcp[12] = 0x50;
	tcp[13] = (uint8_t)flags;
	if (f.len < 60)
		f.len = 60; /* Ethernet padding: not payload */
	return f;
}

/* Guest 10.0.2.15:@sport -> 10.0.2.2:5201, @flags, @payload bytes. */
static struct wb_frame seg(unsigned sport, unsigned flags, size_t payload)
{
	return tcp_frame("10.0.2.15", sport, "10.0.2.2", 5201, flags, payload);
}

/* A connected loopback TCP socket; its listener stays open in *@listener,
 * with the connection in its backlog. */
static int tcp_connected(int *listener)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int s = socket(AF_INET, SOCK_STREAM, 0);

	*listener = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(*listener >= 0 && s >= 0);
	assert_int_equal(bind(*listener, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(*listener, 1), 0);
	assert_int_equal(getsockname(*listener, (struct sockaddr *)&a, &len), 0);
	assert_int_equal(connect(s, (struct sockaddr *)&a, sizeof(a)), 0);
	return s;
}

/* A loopback TCP socket whose listener is closed (the connection is reset:
 * TCP_CORK still reads back). */
static int tcp_socket(void)
{
	int l, s = tcp_connected(&l);

	close(l);
	return s;
}

static int corked(int fd)
{
	int on = -1;
	socklen_t len = sizeof(on);

	assert_int_equal(getsockopt(fd, IPPROTO_TCP, TCP_CORK, &on, &len), 0);
	return on;
}

/* Frame @d of @len bytes to un_tcp_cork_input, located as the router
 * does. */
static void cork_input(struct un_tcp_cork *c, const uint8_t *d, size_t len)
{
	struct un_l4 l;

	un_tcp_cork_input(c, d, un_l4_find(d, len, &l));
}

static void input(struct un_tcp_cork *c, struct wb_frame f)
{
	cork_input(c, f.d, f.len);
	un_tcp_cork_input_done(c);
}

/* The guest's SYN for @sport, during which libslirp opens @fd. */
static void open_conn(struct un_tcp_cork *c, unsigned sport, int fd)
{
	struct wb_frame syn = seg(sport, SYN, 0);

	cork_input(c, syn.d, syn.len);
	un_tcp_cork_opened(c, fd);
	un_tcp_cork_input_done(c);
}

static void test_burst_corks_until_flush(void **state)
{
	struct un_tcp_cork *c = un_tcp_cork_new();
	int fd = tcp_socket();

	open_conn(c, 40000, fd);
	assert_int_equal(un_tcp_cork_connections(c), 1);
	un_tcp_cork_flush(c);
	input(c, seg(40000, ACK | PSH, 60));
	assert_int_equal(corked(fd), 0);       /* one segment: never */
	input(c, seg(40000, ACK | PSH, 60));
	assert_int_equal(corked(fd), 1);       /* the second corks */
	input(c, seg(40000, ACK | PSH, 60));
	assert_int_equal(corked(fd), 1);
	assert_int_equal(un_tcp_cork_bursts(c), 1);
	un_tcp_cork_flush(c);
	assert_int_equal(corked(fd), 0);       /* about to poll: uncorked */
	/* A new wake-up counts afresh. */
	input(c, seg(40000, ACK | PSH, 50));
	assert_int_equal(corked(fd), 0);
	un_tcp_cork_flush(c);
	input(c, seg(40000, ACK | PSH, 50));
	assert_int_equal(corked(fd), 0);
	un_tcp_cork_free(c);
	close(fd);
}

static void test_what_never_corks(void **state)
{
	struct un_tcp_cork *c = un_tcp_cork_new();
	int fd = tcp_socket(), other = tcp_socket();

	open_conn(c, 40000, fd);
	un_tcp_cork_flush(c);
	/* Pure ACKs (padded to 60 bytes) carry nothing to write. */
	input(c, seg(40000, ACK, 0));
	input(c, seg(40000, ACK, 0));
	input(c, seg(40000, ACK, 0));
	assert_int_equal(corked(fd), 0);
	/* Segments of two different connections, one each. */
	input(c, seg(40000, ACK | PSH, 10));
	input(c, seg(40001, ACK | PSH, 10));
	input(c, seg(40001, ACK | PSH, 10));
	assert_int_equal(corked(fd), 0);
	/* A SYN-ACK from the guest (a forward's connection) maps nothing. */
	{
		struct wb_frame synack = seg(40002, SYN | ACK, 0);

		cork_input(c, synack.d, synack.len);
		un_tcp_cork_opened(c, other);
		un_tcp_cork_input_done(c);
	}
	assert_int_equal(un_tcp_cork_connections(c), 1);
	/* A socket opened outside any SYN's input maps nothing either. */
	un_tcp_cork_opened(c, other);
	assert_int_equal(un_tcp_cork_connections(c), 1);
	assert_int_equal(un_tcp_cork_bursts(c), 0);
	un_tcp_cork_free(c);
	close(fd);
	close(other);
}

static void test_closed_is_forgotten(void **state)
{
	struct un_tcp_cork *c = un_tcp_cork_new();
	int fd = tcp_socket(), fd2 = tcp_socket();

	open_conn(c, 40000, fd);
	un_tcp_cork_flush(c);
	input(c, seg(40000, ACK | PSH, 60));
	input(c, seg(40000, ACK | PSH, 60));
	assert_int_equal(corked(fd), 1);
	/* libslirp closes it mid-burst: uncorked (its data leaves) and gone. */
	un_tcp_cork_closed(c, fd);
	assert_int_equal(corked(fd), 0);
	assert_int_equal(un_tcp_cork_connections(c), 0);
	un_tcp_cork_flush(c);
	input(c, seg(40000, ACK | PSH, 60));
	input(c, seg(40000, ACK | PSH, 60));
	assert_int_equal(corked(fd), 0);
	/* The same connection again, on a new socket: the new one is used. */
	open_conn(c, 40000, fd2);
	un_tcp_cork_flush(c);
	input(c, seg(40000, ACK | PSH, 60));
	input(c, seg(40000, ACK | PSH, 60));
	assert_int_equal(corked(fd2), 1);
	assert_int_equal(corked(fd), 0);
	un_tcp_cork_free(c);                  /* freeing uncorks too */
	assert_int_equal(corked(fd2), 0);
	close(fd);
	close(fd2);
}

/* A descriptor that is no TCP socket: setsockopt fails, nothing breaks. */
static void test_not_tcp(void **state)
{
	struct un_tcp_cork *c = un_tcp_cork_new();
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	open_conn(c, 40000, sv[0]);
	un_tcp_cork_flush(c);
	for (int i = 0; i < 4; i++)
		input(c, seg(40000, ACK | PSH, 10));
	assert_int_equal(un_tcp_cork_bursts(c), 0);
	un_tcp_cork_flush(c);
	un_tcp_cork_closed(c, sv[0]);
	assert_int_equal(un_tcp_cork_connections(c), 0);
	un_tcp_cork_free(c);
	close(sv[0]);
	close(sv[1]);
}

/* Frames too short for their headers are ignored, whatever their length. */
static void test_truncated(void **state)
{
	struct un_tcp_cork *c = un_tcp_cork_new();
	int fd = tcp_socket();
	struct wb_frame f = seg(40000, ACK | PSH, 40);

	open_conn(c, 40000, fd);
	un_tcp_cork_flush(c);
	for (size_t len = 0; len < 14 + 20 + 20; len++) {
		uint8_t *copy = g_memdup2(f.d, len ? len : 1);

		cork_input(c, copy, len);
		cork_input(c, copy, len);
		g_free(copy);
	}
	assert_int_equal(corked(fd), 0);
	un_tcp_cork_free(c);
	close(fd);
}

/* The peer port of connected socket @fd. */
static unsigned peer_port_of(int fd)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);

	assert_int_equal(getpeername(fd, (struct sockaddr *)&a, &len), 0);
	return ntohs(a.sin_port);
}

/* libslirp's SYN to the guest for a forward: 10.0.2.2:@sport (the host
 * peer's port) -> 10.0.2.15:8080. */
static void forward_syn(struct un_tcp_cork *c, unsigned sport, unsigned flags)
{
	struct wb_frame f = tcp_frame("10.0.2.2", sport, "10.0.2.15", 8080, flags, 0);

	un_tcp_cork_output(c, f.d, f.len);
}

/* What the guest sends on that connection: 10.0.2.15:8080 -> 10.0.2.2:@dport. */
static void guest_data(struct un_tcp_cork *c, unsigned dport)
{
	struct wb_frame f = tcp_frame("10.0.2.15", 8080, "10.0.2.2", dport, ACK | PSH, 60);

	input(c, f);
}

static void test_forward_corks(void **state)
{
	struct un_tcp_cork *c = un_tcp_cork_new();
	int listener, fd = tcp_connected(&listener);
	unsigned port = peer_port_of(fd);

	un_tcp_cork_opened(c, fd);            /* accepted: waits for its SYN */
	assert_int_equal(un_tcp_cork_connections(c), 0);
	forward_syn(c, port + 1, SYN);        /* another connection's SYN */
	forward_syn(c, port, SYN | ACK);      /* a SYN-ACK opens nothing */
	assert_int_equal(un_tcp_cork_connections(c), 0);
	un_tcp_cork_flush(c);                 /* the SYN may leave later (ARP) */
	forward_syn(c, port, SYN);
	assert_int_equal(un_tcp_cork_connections(c), 1);
	un_tcp_cork_flush(c);
	guest_data(c, port);
	assert_int_equal(corked(fd), 0);
	guest_data(c, port);
	assert_int_equal(corked(fd), 1);
	un_tcp_cork_flush(c);
	assert_int_equal(corked(fd), 0);
	/* The socket is taken once: a second SYN maps nothing new. */
	un_tcp_cork_closed(c, fd);
	forward_syn(c, port, SYN);
	assert_int_equal(un_tcp_cork_connections(c), 0);
	un_tcp_cork_free(c);
	close(fd);
	close(listener);
}

static void test_forward_not_mapped(void **state)
{
	struct un_tcp_cork *c = un_tcp_cork_new();
	int listener, fd = tcp_connected(&listener);
	unsigned port = peer_port_of(fd);

	/* No peer (a listener): never waits for a SYN. */
	un_tcp_cork_opened(c, listener);
	forward_syn(c, 0, SYN);
	/* Closed before its SYN left: forgotten. */
	un_tcp_cork_opened(c, fd);
	un_tcp_cork_closed(c, fd);
	forward_syn(c, port, SYN);
	assert_int_equal(un_tcp_cork_connections(c), 0);
	guest_data(c, port);
	guest_data(c, port);
	assert_int_equal(corked(fd), 0);
	assert_int_equal(un_tcp_cork_bursts(c), 0);
	un_tcp_cork_free(c);
	close(fd);
	close(listener);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_burst_corks_until_flush),
		cmocka_unit_test(test_what_never_corks),
		cmocka_unit_test(test_closed_is_forgotten),
		cmocka_unit_test(test_not_tcp),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_forward_corks),
		cmocka_unit_test(test_forward_not_mapped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
