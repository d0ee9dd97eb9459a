/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tap_proto.c - the tap hand-off's hello, answer and checks (tap_proto.h).
 * Owns: the bytes and the descriptor on DIR/NAME.tap, both sides.
 * Not here: sockets' life, the port (backend/transport_tap.c). */
#include "tap_proto.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "usernet/error.h"

G_STATIC_ASSERT(UN_TAP_NAME_BYTES == IFNAMSIZ);

/* Room for more descriptors than the one we want, so that a client that
 * sends several is told so (and every one is closed) rather than having
 * the extra ones silently cut (MSG_CTRUNC). */
#define TAP_MAX_FDS 8

gboolean un_tap_hello_send(int fd, int tap_fd, GError **error)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u = { 0 };
	struct iovec iov = { .iov_base = (void *)UN_TAP_HELLO,
			     .iov_len = UN_TAP_HELLO_BYTES };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = u.buf, .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	ssize_t n;

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &tap_fd, sizeof(int));
	do
		n = sendmsg(fd, &m, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n == (ssize_t)UN_TAP_HELLO_BYTES)
		return TRUE;
	g_set_error(error, UN_ERROR, UN_ERROR_IO, "sending the tap: %s",
		    n < 0 ? g_strerror(errno) : "short write");
	return FALSE;
}

/* Every descriptor in @m's SCM_RIGHTS messages, in order; returns how
 * many (at most @max are stored; the rest are closed here). */
static int tap_fds_take(struct msghdr *m, int *fds, int max)
{
	int count = 0;

	for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c)) {
		size_t n;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < n; i++) {
			int one;

			memcpy(&one, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (count < max)
				fds[count] = one;
			else
				close(one);
			count++;
		}
	}
	return count;
}

static void tap_fds_close(const int *fds, int n)
{
	for (int i = 0; i < n; i++)
		close(fds[i]);
}

/* Is @got (of @n bytes, @nfds descriptors, @flags from recvmsg) a hello?
 * FALSE with @error saying what is wrong. */
static gboolean tap_hello_valid(const char *got, ssize_t n, int nfds,
				int flags, GError **error)
{
	if (n != (ssize_t)UN_TAP_HELLO_BYTES ||
	    memcmp(got, UN_TAP_HELLO, UN_TAP_HELLO_BYTES) != 0) {
		g_set_error(error, UN_ERROR, UN_ERROR_PROTOCOL,
			    "the hello is not \"usernet-tap 1\" and a newline in "
			    "one message (got %zd bytes)", n);
		return FALSE;
	}
	if (nfds != 1 || (flags & MSG_CTRUNC)) {
		g_set_error(error, UN_ERROR, UN_ERROR_PROTOCOL,
			    "the hello carries %d file descriptors%s; send "
			    "exactly one, the tap's", nfds,
			    (flags & MSG_CTRUNC) ? " (cut)" : "");
		return FALSE;
	}
	return TRUE;
}

int un_tap_hello_recv(int fd, int *tap_fd, GError **error)
{
	union {
		char buf[CMSG_SPACE(TAP_MAX_FDS * sizeof(int))];
		struct cmsghdr align;
	} u;
	/* One byte more than the hello, to see a longer message. */
	char got[UN_TAP_HELLO_BYTES + 1];
	struct iovec iov = { .iov_base = got, .iov_len = sizeof(got) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = u.buf, .msg_controllen = sizeof(u.buf) };
	int fds[TAP_MAX_FDS], nfds;
	ssize_t n;

	do
		n = recvmsg(fd, &m, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return 0;
	if (n <= 0) {
		g_set_error(error, UN_ERROR, UN_ERROR_IO, "%s",
			    n < 0 ? g_strerror(errno) : "it left without a hello");
		return -1;
	}
	nfds = tap_fds_take(&m, fds, TAP_MAX_FDS);
	if (!tap_hello_valid(got, n, nfds, m.msg_flags, error)) {
		tap_fds_close(fds, MIN(nfds, TAP_MAX_FDS));
		return -1;
	}
	*tap_fd = fds[0];
	return 1;
}

/* Does tap @fd (TUNGETIFF said @flags) have IFF_NO_PI? TUNGETIFF reports
 * IFF_NOFILTER, the same bit, while no socket filter is attached, so then
 * the bit says nothing: attach a filter that passes everything, ask
 * again, detach it. A tap that cannot take a filter is believed. */
static gboolean tap_no_pi(int fd, short flags)
{
	struct sock_filter pass_all = BPF_STMT(BPF_RET | BPF_K, 0xffffffffu);
	struct sock_fprog prog = { .len = 1, .filter = &pass_all };
	struct ifreq ifr = { 0 };
	gboolean no_pi = (flags & IFF_NO_PI) != 0;

	G_STATIC_ASSERT(IFF_NOFILTER == IFF_NO_PI);
	if (!no_pi || ioctl(fd, TUNATTACHFILTER, &prog) < 0)
		return no_pi;
	if (ioctl(fd, TUNGETIFF, &ifr) == 0)
		no_pi = (ifr.ifr_flags & IFF_NO_PI) != 0;
	ioctl(fd, TUNDETACHFILTER, &prog);
	return no_pi;
}

gboolean un_tap_check(int fd, char name[UN_TAP_NAME_BYTES], GError **error)
{
	struct ifreq ifr = { 0 };
	int fl;

	if (ioctl(fd, TUNGETIFF, &ifr) < 0) {
		g_set_error(error, UN_ERROR, UN_ERROR_PROTOCOL,
			    "the descriptor is not an attached tun/tap device "
			    "(TUNGETIFF: %s)", g_strerror(errno));
		return FALSE;
	}
	if ((ifr.ifr_flags & (IFF_TUN | IFF_TAP)) != IFF_TAP ||
	    (ifr.ifr_flags & IFF_VNET_HDR) || !tap_no_pi(fd, ifr.ifr_flags)) {
		g_set_error(error, UN_ERROR, UN_ERROR_PROTOCOL,
			    "%.*s is not a plain tap (flags 0x%x): open it with "
			    "IFF_TAP | IFF_NO_PI and without IFF_VNET_HDR",
			    IFNAMSIZ, ifr.ifr_name, (unsigned)ifr.ifr_flags);
		return FALSE;
	}
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
		g_set_error(error, UN_ERROR, UN_ERROR_IO,
			    "tap %.*s: cannot make it non-blocking: %s", IFNAMSIZ,
			    ifr.ifr_name, g_strerror(errno));
		return FALSE;
	}
	g_strlcpy(name, ifr.ifr_name, UN_TAP_NAME_BYTES);
	return TRUE;
}

/* The answer line, up to its newline; "" with @error when none came. */
static gboolean tap_answer_line(int fd, int timeout_ms, char *line,
				size_t size, GError **error)
{
	size_t len = 0;
	gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;

	while (len + 1 < size && !memchr(line, '\n', len)) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		gint64 left = (deadline - g_get_monotonic_time()) / 1000;
		ssize_t n;

		if (left <= 0 || poll(&p, 1, (int)left) == 0) {
			g_set_error(error, UN_ERROR, UN_ERROR_PROTOCOL,
				    "no answer in %d ms", timeout_ms);
			return FALSE;
		}
		n = recv(fd, line + len, size - 1 - len, MSG_DONTWAIT);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0) {
			g_set_error(error, UN_ERROR, UN_ERROR_PROTOCOL,
				    "it closed without an answer%s%s (see "
				    "usernetd's log)", n < 0 ? ": " : "",
				    n < 0 ? g_strerror(errno) : "");
			return FALSE;
		}
		len += (size_t)n;
		line[len] = '\0';
	}
	line[strcspn(line, "\n")] = '\0';
	return TRUE;
}

gboolean un_tap_answer_recv(int fd, int timeout_ms, char **port,
			    GError **error)
{
	char line[UN_TAP_ANSWER_MAX_BYTES + 1] = "";

	if (!tap_answer_line(fd, timeout_ms, line, sizeof(line), error))
		return FALSE;
	if (g_str_has_prefix(line, "ok ") && line[3]) {
		*port = g_strdup(line + 3);
		return TRUE;
	}
	g_set_error(error, UN_ERROR, UN_ERROR_REFUSED, "%s",
		    g_str_has_prefix(line, "error ") ? line + 6 : line);
	return FALSE;
}
