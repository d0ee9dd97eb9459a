// SPDX-License-Identifier: GPL-2.0-or-later
/* unbench.c - the small traffic tools `make bench` needs that busybox and
 * iperf3 do not have. One static binary, used on the host and copied into
 * the test guest's initramfs by bench/run.sh.
 * Owns: 1-byte request/response rate, many concurrent checked transfers,
 *   exec-to-ready time of a daemon.
 * Not here: what is measured when, and the table (bench/run.sh, bench/table.sh).
 *
 * How it works
 *   rr-server PORT                 echo every byte back, one connection at a time
 *   rr-client HOST PORT SECONDS    write 1 byte, read it back, repeat; prints
 *                                  "rr_rate=N" (round trips per second)
 *   fan-server PORT BYTES COUNT    prints "FAN_READY" once listening; for each
 *                                  connection: read a 4-byte index I, send
 *                                  BYTES of the shared pattern from offset
 *                                  I * 4099, close; exit after COUNT
 *   fan-client HOST PORT N BYTES [TIMEOUT_S]
 *                                  N connections at once, each checked byte
 *                                  by byte and for a clean EOF; prints
 *                                  "fan_ok=K fan_bad=B fan_seconds=S" and
 *                                  the failures by kind (connect, reset,
 *                                  short, corrupt, timeout)
 *   ready-time N CMD...            exec CMD, read its stdout until N lines end
 *                                  in " ready", print "ready_ms=T", then
 *                                  SIGTERM it and wait
 * The pattern is a fixed pseudo-random 1 MiB block, the same on both sides,
 * so a byte that is lost, duplicated, reordered or crosses connections shows.
 * Exit code 0 only when everything asked for happened. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PATTERN_BYTES (1u << 20)
#define FAN_MAX 4096

static unsigned char pattern[PATTERN_BYTES];

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void pattern_fill(void)
{
	uint64_t x = 0x9e3779b97f4a7c15ull;

	for (size_t i = 0; i < PATTERN_BYTES; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		pattern[i] = (unsigned char)(x >> 24);
	}
}

static void nodelay(int fd)
{
	int one = 1;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

/* Returns a listening TCP socket on 0.0.0.0:PORT; exits on failure. */
static int listen_on(const char *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(atoi(port)) };
	int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);

	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 1024) < 0) {
		fprintf(stderr, "unbench: listen on port %s: %s\n", port, strerror(errno));
		exit(1);
	}
	return fd;
}

static int resolve(const char *host, const char *port, struct sockaddr_in *a)
{
	memset(a, 0, sizeof(*a));
	a->sin_family = AF_INET;
	a->sin_port = htons(atoi(port));
	if (inet_pton(AF_INET, host, &a->sin_addr) != 1) {
		fprintf(stderr, "unbench: '%s' is not an IPv4 address\n", host);
		return -1;
	}
	return 0;
}

static _Noreturn void rr_server(char **av)
{
	int lfd = listen_on(av[0]);
	unsigned char b;

	for (;;) {
		int fd = accept(lfd, NULL, NULL);

		if (fd < 0)
			continue;
		nodelay(fd);
		while (read(fd, &b, 1) == 1)
			if (write(fd, &b, 1) != 1)
				break;
		close(fd);
	}
}

static int rr_client(char **av)
{
	struct sockaddr_in a;
	double t0, t1, secs = atof(av[2]);
	unsigned char b = 'x';
	long n = 0;
	int fd;

	if (resolve(av[0], av[1], &a) < 0)
		return 2;
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		printf("rr_error=connect: %s\n", strerror(errno));
		return 1;
	}
	nodelay(fd);
	t0 = now_s();
	do {
		for (int i = 0; i < 64; i++, n++) {
			if (write(fd, &b, 1) != 1 || read(fd, &b, 1) != 1) {
				printf("rr_error=connection lost after %ld round trips\n", n);
				return 1;
			}
		}
		t1 = now_s();
	} while (t1 - t0 < secs);
	printf("rr_rate=%.0f\n", n / (t1 - t0));
	close(fd);
	return 0;
}

struct fan_conn {
	int fd;
	uint32_t index;
	size_t done;      /* pattern bytes sent or checked */
	size_t hdr;       /* index bytes sent or received */
	int state;        /* 0 connecting/header, 1 data, 2 finished ok, 3 failed */
	int why;          /* enum fan_why, once failed */
};

enum fan_why { FAN_CONNECT, FAN_RESET, FAN_SHORT, FAN_CORRUPT, FAN_TIMEOUT, FAN_WHY_COUNT };
static const char *const fan_why_name[] = { "connect", "reset", "short", "corrupt", "timeout" };
_Static_assert(sizeof(fan_why_name) / sizeof(fan_why_name[0]) == FAN_WHY_COUNT, "fan_why_name");

static int fan_server(char **av)
{
	int lfd = listen_on(av[0]);
	size_t bytes = strtoul(av[1], NULL, 10);
	long count = atol(av[2]), served = 0;

	pattern_fill();
	printf("FAN_READY\n");
	while (served < count) {
		struct fan_conn c = { .fd = accept(lfd, NULL, NULL) };
		unsigned char idx[4];

		if (c.fd < 0)
			continue;
		/* One child per connection keeps every transfer concurrent. */
		if (fork() == 0) {
			size_t off;

			close(lfd);
			if (recv(c.fd, idx, 4, MSG_WAITALL) != 4)
				_exit(1);
			memcpy(&c.index, idx, 4);
			off = ((size_t)c.index * 4099) % PATTERN_BYTES;
			while (c.done < bytes) {
				size_t at = (off + c.done) % PATTERN_BYTES;
				size_t len = PATTERN_BYTES - at;
				ssize_t w;

				if (len > bytes - c.done)
					len = bytes - c.done;
				w = write(c.fd, pattern + at, len);
				if (w <= 0)
					_exit(1);
				c.done += w;
			}
			shutdown(c.fd, SHUT_WR);
			while (read(c.fd, idx, 1) > 0)
				;
			_exit(0);
		}
		close(c.fd);
		served++;
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
	}
	while (wait(NULL) > 0)
		;
	return 0;
}

/* Checks what arrived on c against the pattern; returns 0 while more may come. */
static int fan_fail(struct fan_conn *c, enum fan_why why)
{
	c->why = why;
	return c->state = 3;
}

static int fan_read(struct fan_conn *c, size_t bytes, unsigned char *buf, size_t buflen)
{
	size_t off = ((size_t)c->index * 4099) % PATTERN_BYTES;
	ssize_t r = read(c->fd, buf, buflen);

	if (r < 0)
		return errno == EAGAIN ? 0 : fan_fail(c, c->done ? FAN_RESET : FAN_CONNECT);
	if (r == 0)
		return c->done == bytes ? (c->state = 2) : fan_fail(c, FAN_SHORT);
	for (ssize_t i = 0; i < r; i++, c->done++) {
		if (c->done >= bytes || buf[i] != pattern[(off + c->done) % PATTERN_BYTES])
			return fan_fail(c, FAN_CORRUPT);
	}
	return 0;
}

static int fan_client(char **av, int ac)
{
	static struct fan_conn conns[FAN_MAX];
	static struct pollfd pfd[FAN_MAX];
	static unsigned char buf[65536];
	struct sockaddr_in a;
	int n = atoi(av[2]), ok = 0, bad = 0, live;
	size_t bytes = strtoul(av[3], NULL, 10);
	double limit = ac > 4 ? atof(av[4]) : 120, t0;

	if (n < 1 || n > FAN_MAX || resolve(av[0], av[1], &a) < 0)
		return 2;
	pattern_fill();
	t0 = now_s();
	for (int i = 0; i < n; i++) {
		conns[i] = (struct fan_conn){ .fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), .index = i };
		if (connect(conns[i].fd, (struct sockaddr *)&a, sizeof(a)) < 0 && errno != EINPROGRESS)
			fan_fail(&conns[i], FAN_CONNECT);
	}
	for (live = n; live > 0 && now_s() - t0 < limit;) {
		for (int i = 0; i < n; i++) {
			pfd[i].fd = conns[i].state >= 2 ? -1 : conns[i].fd;
			pfd[i].events = conns[i].hdr < 4 ? POLLOUT : POLLIN;
		}
		if (poll(pfd, n, 1000) < 0)
			break;
		live = 0;
		for (int i = 0; i < n; i++) {
			struct fan_conn *c = &conns[i];

			if (c->state < 2 && pfd[i].revents) {
				if (c->hdr < 4) {
					ssize_t w = write(c->fd, (char *)&c->index + c->hdr, 4 - c->hdr);

					if (w > 0)
						c->hdr += w;
					else if (errno != EAGAIN)
						fan_fail(c, FAN_CONNECT);
				} else {
					fan_read(c, bytes, buf, sizeof(buf));
				}
			}
			live += c->state < 2;
		}
	}
	int why[FAN_WHY_COUNT] = { 0 };

	for (int i = 0; i < n; i++) {
		if (conns[i].state < 2)
			fan_fail(&conns[i], FAN_TIMEOUT);
		ok += conns[i].state == 2;
		bad += conns[i].state != 2;
		why[conns[i].why] += conns[i].state != 2;
		close(conns[i].fd);
	}
	printf("fan_ok=%d fan_bad=%d fan_seconds=%.3f", ok, bad, now_s() - t0);
	for (int w = 0; w < FAN_WHY_COUNT; w++)
		if (why[w])
			printf(" %s=%d", fan_why_name[w], why[w]);
	printf("\n");
	return bad ? 1 : 0;
}

static int ready_time(char **av, int ac)
{
	int want = atoi(av[0]), got = 0, p[2], status;
	char line[4096];
	double t0 = now_s(), t1 = 0;
	pid_t pid;
	FILE *in;

	if (ac < 2 || pipe(p) < 0)
		return 2;
	pid = fork();
	if (pid == 0) {
		dup2(p[1], 1);
		close(p[0]);
		close(p[1]);
		execvp(av[1], av + 1);
		_exit(127);
	}
	close(p[1]);
	in = fdopen(p[0], "r");
	while (got < want && fgets(line, sizeof(line), in)) {
		size_t l = strcspn(line, "\n");

		line[l] = 0;
		if (l >= 6 && strcmp(line + l - 6, " ready") == 0 && ++got == want)
			t1 = now_s();
	}
	kill(pid, SIGTERM);
	waitpid(pid, &status, 0);
	if (got < want) {
		printf("ready_error=%d of %d networks ready before exit (status %d)\n", got, want, status);
		return 1;
	}
	printf("ready_ms=%.2f\n", (t1 - t0) * 1000);
	return 0;
}

int main(int ac, char **av)
{
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (ac >= 3 && strcmp(av[1], "rr-server") == 0)
		rr_server(av + 2);
	if (ac >= 5 && strcmp(av[1], "rr-client") == 0)
		return rr_client(av + 2);
	if (ac >= 5 && strcmp(av[1], "fan-server") == 0)
		return fan_server(av + 2);
	if (ac >= 6 && strcmp(av[1], "fan-client") == 0)
		return fan_client(av + 2, ac - 2);
	if (ac >= 4 && strcmp(av[1], "ready-time") == 0)
		return ready_time(av + 2, ac - 2);
	fprintf(stderr, "usage: unbench rr-server PORT | rr-client HOST PORT SECONDS |\n"
			"  fan-server PORT BYTES COUNT | fan-client HOST PORT N BYTES [TIMEOUT_S] |\n"
			"  ready-time N CMD...\n");
	return 2;
}
