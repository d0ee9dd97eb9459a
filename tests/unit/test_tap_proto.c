/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_tap_proto.c - the tap hand-off's hello and answer (backend/tap_proto.c).
 * Expected values come from the protocol as tap_proto.h states it: the
 * client sends the 14 bytes "usernet-tap 1\n" with exactly one descriptor
 * in one message; the daemon answers "ok PORT\n" or "error MESSAGE\n".
 * Both ends run over a socketpair here; a real tap is the end-to-end
 * test's (tests/e2e/tap_handoff.sh), since making one needs CAP_NET_ADMIN. */
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

#include "tap_proto.h"
#include "usernet/error.h"

struct pair {
	int client, daemon;
};

static struct pair pair_new(void)
{
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	assert_int_equal(fcntl(sv[1], F_SETFL, O_NONBLOCK), 0);
	return (struct pair){ .client = sv[0], .daemon = sv[1] };
}

static void pair_close(struct pair p)
{
	close(p.client);
	close(p.daemon);
}

/* Send @len bytes of @data with @nfds descriptors (all the same @fd). */
static void send_with_fds(int sock, const void *data, size_t len, int fd,
			  int nfds)
{
	union {
		char buf[CMSG_SPACE(16 * sizeof(int))];
		struct cmsghdr align;
	} u = { 0 };
	struct iovec iov = { .iov_base = (void *)data, .iov_len = len };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };

	assert_true(nfds <= 16);
	if (nfds > 0) {
		struct cmsghdr *c;

		m.msg_control = u.buf;
		m.msg_controllen = CMSG_SPACE((size_t)nfds * sizeof(int));
		c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN((size_t)nfds * sizeof(int));
		for (int i = 0; i < nfds; i++)
			memcpy(CMSG_DATA(c) + i * sizeof(int), &fd, sizeof(int));
	}
	assert_int_equal(sendmsg(sock, &m, 0), (ssize_t)len);
}

/* How many descriptors this process has open. */
static int open_fds(void)
{
	int n = 0;

	for (int fd = 0; fd < 1024; fd++)
		if (fcntl(fd, F_GETFD) >= 0)
			n++;
	return n;
}

static void test_hello_round_trip(void **state)
{
	struct pair p = pair_new();
	struct stat want, got;
	int pipefd[2], tap_fd = -1;
	GError *error = NULL;

	assert_int_equal(pipe(pipefd), 0);
	assert_int_equal(un_tap_hello_recv(p.daemon, &tap_fd, &error), 0);
	assert_null(error);
	assert_true(un_tap_hello_send(p.client, pipefd[0], &error));
	assert_int_equal(un_tap_hello_recv(p.daemon, &tap_fd, &error), 1);
	assert_null(error);
	assert_int_equal(fstat(pipefd[0], &want), 0);
	assert_int_equal(fstat(tap_fd, &got), 0);
	assert_true(want.st_ino == got.st_ino && want.st_dev == got.st_dev);
	assert_true(fcntl(tap_fd, F_GETFD) & FD_CLOEXEC);
	/* A pipe is no tap. */
	{
		char name[UN_TAP_NAME_BYTES];

		assert_false(un_tap_check(tap_fd, name, &error));
		assert_int_equal(error->code, UN_ERROR_PROTOCOL);
		assert_non_null(strstr(error->message, "not an attached tun/tap device"));
		g_clear_error(&error);
	}
	close(tap_fd);
	close(pipefd[0]);
	close(pipefd[1]);
	pair_close(p);
}

/* One bad hello: -1, PROTOCOL, @text in the message, no descriptor kept. */
static void expect_bad(const void *data, size_t len, int nfds, const char *text)
{
	struct pair p = pair_new();
	int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	int before, tap_fd = -1;
	GError *error = NULL;

	assert_true(devnull >= 0);
	send_with_fds(p.client, data, len, devnull, nfds);
	before = open_fds();
	assert_int_equal(un_tap_hello_recv(p.daemon, &tap_fd, &error), -1);
	assert_int_equal(tap_fd, -1);
	assert_non_null(error);
	assert_int_equal(error->code, UN_ERROR_PROTOCOL);
	if (!strstr(error->message, text))
		fail_msg("message '%s' lacks '%s'", error->message, text);
	/* Every descriptor that came with it is closed again. */
	assert_int_equal(open_fds(), before);
	g_clear_error(&error);
	close(devnull);
	pair_close(p);
}

static void test_bad_hellos(void **state)
{
	static const char hello[] = "usernet-tap 1\n";

	assert_int_equal(sizeof(hello) - 1, 14);
	expect_bad("usernet-tap 2\n", 14, 1, "the hello is not");
	expect_bad("usernet-tap 1", 13, 1, "got 13 bytes");
	expect_bad("usernet-tap 1\nX", 15, 1, "got 15 bytes");
	expect_bad("GET / HTTP/1.0\r\n", 16, 0, "the hello is not");
	expect_bad(hello, 14, 0, "carries 0 file descriptors; send exactly one");
	expect_bad(hello, 14, 2, "carries 2 file descriptors");
	/* More than the daemon makes room for (8): cut, and said so. */
	expect_bad(hello, 14, 12, "(cut)");
}

static void test_peer_leaves(void **state)
{
	struct pair p = pair_new();
	int tap_fd = -1;
	GError *error = NULL;

	close(p.client);
	assert_int_equal(un_tap_hello_recv(p.daemon, &tap_fd, &error), -1);
	assert_int_equal(error->code, UN_ERROR_IO);
	assert_non_null(strstr(error->message, "left without a hello"));
	g_clear_error(&error);
	close(p.daemon);
}

/* The client's side of the answer. */
static void test_answers(void **state)
{
	struct pair p = pair_new();
	char *port = NULL;
	GError *error = NULL;

	assert_int_equal(write(p.daemon, "ok lab/tap-3\n", 13), 13);
	assert_true(un_tap_answer_recv(p.client, 1000, &port, &error));
	assert_string_equal(port, "lab/tap-3");
	g_free(port);
	port = NULL;

	/* An answer in two pieces is one line. */
	assert_int_equal(write(p.daemon, "error tap0 is ", 14), 14);
	assert_int_equal(write(p.daemon, "not a plain tap\n", 16), 16);
	assert_false(un_tap_answer_recv(p.client, 1000, &port, &error));
	assert_null(port);
	assert_int_equal(error->code, UN_ERROR_REFUSED);
	assert_string_equal(error->message, "tap0 is not a plain tap");
	g_clear_error(&error);

	/* Nothing within the time. */
	assert_false(un_tap_answer_recv(p.client, 50, &port, &error));
	assert_non_null(strstr(error->message, "no answer in 50 ms"));
	g_clear_error(&error);

	/* "ok" without a port name is no answer we understand. */
	assert_int_equal(write(p.daemon, "ok \n", 4), 4);
	assert_false(un_tap_answer_recv(p.client, 1000, &port, &error));
	g_clear_error(&error);

	/* Closed without an answer. */
	close(p.daemon);
	assert_false(un_tap_answer_recv(p.client, 1000, &port, &error));
	assert_non_null(strstr(error->message, "closed without an answer"));
	g_clear_error(&error);
	close(p.client);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hello_round_trip),
		cmocka_unit_test(test_bad_hellos),
		cmocka_unit_test(test_peer_leaves),
		cmocka_unit_test(test_answers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
