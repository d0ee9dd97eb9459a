/* SPDX-License-Identifier: GPL-2.0-or-later */
/* frame.c - wire facts and plumbing every transport shares, written once.
 * Owns: QEMU stream framing and reassembly, batched datagram receive, the
 * bounded send queue and its flushes, unix socket paths.
 * Not here: which peer a socket is, or where a frame goes; the fd watches
 * and the loop's flush of batched sends (watch.c).
 *
 * How it works:
 * - Stream reassembly: each peer has one buffer of two maximum frames. The
 *   transport read()s into its free tail; un_deframer_next hands out every
 *   whole frame in place. Before the next read, a partial frame is moved to
 *   the front only when the tail could not hold a whole frame, so the copy
 *   is rare and at most one frame long. A length of 0 or above
 *   UN_FRAME_MAX_BYTES is a framing error that stays: the caller drops the
 *   peer.
 * - Datagrams: one recvmmsg takes up to UN_DGRAM_BATCH frames with their
 *   senders into one process-wide buffer (the loop is single-threaded and
 *   a frame is only borrowed for the call it is passed to). MSG_TRUNC
 *   reports the length as sent, so an oversized frame is seen and dropped,
 *   never delivered cut.
 * - Sending: a frame of at most UN_SEND_BATCH_FRAME_MAX_BYTES is copied to
 *   the port's queue and the port's watch is put on a list that watch.c
 *   flushes once the wake-up's dispatches are done, before the loop polls
 *   again: one writev (stream) or sendmmsg (datagrams) per port and
 *   wake-up instead of a syscall, a socket buffer and a peer wake-up per
 *   frame. The UN_SEND_BATCH_FRAMES-th frame of a batch flushes at once.
 *   A larger frame goes straight to the socket when nothing waits before
 *   it (no copy). On EAGAIN or a short stream write the rest stays queued
 *   (UN_SENDQ_MAX_FRAMES or UN_SENDQ_MAX_BYTES, whichever comes first; past
 *   that, queue-full) and the port watches G_IO_OUT, flushes on it and stops
 *   watching once empty. Order is the queue's. A send that finds the peer
 *   gone kicks the port's watch, so the transport closes the port from the
 *   main loop, never from inside a network's forwarding code.
 * - A pure TCP ACK joining a batch replaces the queue's newest frame when
 *   that is an older pure ACK of the same connection (tcp_ack.c): libslirp
 *   acknowledges every segment, and a guest then handles one ACK per
 *   batch instead of one per segment. */
#define G_LOG_DOMAIN "usernet-frame"

#include <errno.h>
#include <glib/gstdio.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "frame.h"
#include "tcp_ack.h"
#include "usernet/error.h"

/* ---- QEMU stream framing ---------------------------------------------- */

void un_stream_header(uint8_t out[UN_STREAM_HEADER_BYTES], size_t len)
{
	out[0] = (uint8_t)(len >> 24);
	out[1] = (uint8_t)(len >> 16);
	out[2] = (uint8_t)(len >> 8);
	out[3] = (uint8_t)len;
}

void un_deframer_init(struct un_deframer *d)
{
	d->buf = g_malloc(UN_DEFRAMER_BUF_BYTES);
	d->head = 0;
	d->tail = 0;
}

void un_deframer_clear(struct un_deframer *d)
{
	g_clear_pointer(&d->buf, g_free);
	d->head = 0;
	d->tail = 0;
}

uint8_t *un_deframer_room(struct un_deframer *d, size_t *room)
{
	if (d->head == d->tail) {
		d->head = 0;
		d->tail = 0;
	} else if (UN_DEFRAMER_BUF_BYTES - d->tail <
		   UN_STREAM_HEADER_BYTES + UN_FRAME_MAX_BYTES) {
		memmove(d->buf, d->buf + d->head, d->tail - d->head);
		d->tail -= d->head;
		d->head = 0;
	}
	*room = UN_DEFRAMER_BUF_BYTES - d->tail;
	return d->buf + d->tail;
}

void un_deframer_fill(struct un_deframer *d, size_t n)
{
	g_assert(n <= UN_DEFRAMER_BUF_BYTES - d->tail);
	d->tail += n;
}

enum un_deframe un_deframer_next(struct un_deframer *d, struct un_frame *f,
				 GError **error)
{
	size_t have = d->tail - d->head;
	const uint8_t *p = d->buf + d->head;
	uint32_t len;

	if (have < UN_STREAM_HEADER_BYTES)
		return UN_DEFRAME_MORE;
	len = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	      (uint32_t)p[2] << 8 | (uint32_t)p[3];
	if (len == 0 || len > UN_FRAME_MAX_BYTES) {
		g_set_error(error, UN_ERROR, UN_ERROR_PROTOCOL,
			    "frame length %" G_GUINT32_FORMAT " is %s "
			    "(QEMU stream framing: a 4-byte big-endian length "
			    "from 1 to %u, then the frame)",
			    len, len == 0 ? "empty" : "too large",
			    UN_FRAME_MAX_BYTES);
		return UN_DEFRAME_ERROR;
	}
	if (have - UN_STREAM_HEADER_BYTES < len)
		return UN_DEFRAME_MORE;
	f->data = p + UN_STREAM_HEADER_BYTES;
	f->len = len;
	d->head += UN_STREAM_HEADER_BYTES + len;
	return UN_DEFRAME_FRAME;
}

size_t un_deframer_pending(const struct un_deframer *d)
{
	return d->tail - d->head;
}

/* ---- batched datagram receive ----------------------------------------- */

static struct {
	struct mmsghdr msg[UN_DGRAM_BATCH];
	struct iovec iov[UN_DGRAM_BATCH];
	struct sockaddr_un from[UN_DGRAM_BATCH];
	uint8_t *buf; /* UN_DGRAM_BATCH slots of UN_FRAME_MAX_BYTES */
} dgram_rx;

int un_dgram_recv(int fd)
{
	int n;

	if (dgram_rx.buf == NULL)
		dgram_rx.buf = g_malloc((size_t)UN_DGRAM_BATCH * UN_FRAME_MAX_BYTES);
	for (unsigned i = 0; i < UN_DGRAM_BATCH; i++) {
		dgram_rx.iov[i].iov_base = dgram_rx.buf + (size_t)i * UN_FRAME_MAX_BYTES;
		dgram_rx.iov[i].iov_len = UN_FRAME_MAX_BYTES;
		dgram_rx.msg[i].msg_hdr = (struct msghdr){
			.msg_name = &dgram_rx.from[i],
			.msg_namelen = sizeof(dgram_rx.from[i]),
			.msg_iov = &dgram_rx.iov[i],
			.msg_iovlen = 1,
		};
		dgram_rx.msg[i].msg_len = 0;
	}
	do
		n = recvmmsg(fd, dgram_rx.msg, UN_DGRAM_BATCH,
			     MSG_DONTWAIT | MSG_TRUNC, NULL);
	while (n < 0 && errno == EINTR);
	return n;
}

struct un_dgram un_dgram_at(int i)
{
	const struct mmsghdr *m = &dgram_rx.msg[i];
	struct un_dgram d = {
		.data = dgram_rx.iov[i].iov_base,
		.len = m->msg_len,
		.from = &dgram_rx.from[i],
		.from_len = m->msg_hdr.msg_namelen,
	};

	g_assert(i >= 0 && (unsigned)i < UN_DGRAM_BATCH);
	if ((m->msg_hdr.msg_flags & MSG_TRUNC) && d.len <= UN_FRAME_MAX_BYTES)
		d.len = UN_FRAME_MAX_BYTES + 1;
	return d;
}

/* ---- bounded send queue ------------------------------------------------ */

struct un_sendq_item {
	struct un_sendq_item *next;
	size_t len;
	uint8_t data[];
};

void un_sendq_init(struct un_sendq *q)
{
	*q = (struct un_sendq){ .max_frames = UN_SENDQ_MAX_FRAMES,
				.max_bytes = UN_SENDQ_MAX_BYTES };
}

void un_sendq_set_limits(struct un_sendq *q, size_t max_frames,
			 size_t max_bytes)
{
	q->max_frames = max_frames ? max_frames : UN_SENDQ_MAX_FRAMES;
	q->max_bytes = max_bytes ? max_bytes : UN_SENDQ_MAX_BYTES;
}

static void sendq_pop(struct un_sendq *q)
{
	struct un_sendq_item *it = q->head;

	q->head = it->next;
	if (q->head == NULL)
		q->tail = NULL;
	q->frames--;
	q->bytes -= it->len;
	q->head_sent = 0;
	g_free(it);
}

size_t un_sendq_clear(struct un_sendq *q)
{
	size_t n = q->frames;

	while (q->head != NULL)
		sendq_pop(q);
	return n;
}

gboolean un_sendq_push(struct un_sendq *q, const struct iovec *iov,
		       int iovcnt, size_t skip)
{
	struct un_sendq_item *it;
	size_t total = 0, at = 0;

	for (int i = 0; i < iovcnt; i++)
		total += iov[i].iov_len;
	g_assert(skip <= total);
	total -= skip;
	if (total == 0)
		return TRUE;
	if (q->frames > 0 && (q->frames >= q->max_frames ||
			      q->bytes + total > q->max_bytes))
		return FALSE;
	it = g_malloc(sizeof(*it) + total);
	it->next = NULL;
	it->len = total;
	for (int i = 0; i < iovcnt; i++) {
		size_t n = iov[i].iov_len, off = MIN(skip, n);

		memcpy(it->data + at, (const uint8_t *)iov[i].iov_base + off, n - off);
		at += n - off;
		skip -= off;
	}
	if (q->tail != NULL)
		q->tail->next = it;
	else
		q->head = it;
	q->tail = it;
	q->frames++;
	q->bytes += total;
	return TRUE;
}

/* Forget @n written bytes from the front of the queue. */
static void sendq_consume(struct un_sendq *q, size_t n)
{
	while (n > 0) {
		size_t rest = q->head->len - q->head_sent;

		if (n < rest) {
			q->head_sent += n;
			return;
		}
		n -= rest;
		sendq_pop(q);
	}
}

static gboolean errno_again(void)
{
	return errno == EAGAIN || errno == EWOULDBLOCK;
}

/* After a direct write of @iov failed with EAGAIN or wrote only @sent
 * bytes: queue the rest. */
static enum un_send_result sendq_queue_rest(struct un_sendq *q,
					    const struct iovec *iov, int iovcnt,
					    size_t sent)
{
	return un_sendq_push(q, iov, iovcnt, sent) ? UN_SEND_QUEUED : UN_SEND_FULL;
}

/* Does a frame of @len join the queue (a batch) rather than go straight
 * to the socket? */
static gboolean sendq_batches(const struct un_sendq *q, size_t len)
{
	return !un_sendq_empty(q) || len <= UN_SEND_BATCH_FRAME_MAX_BYTES;
}

/* Does the frame in the last of @iov (after a header in the others, the
 * same for every item) make the queue's newest item redundant? Then it
 * takes that item's place (tcp_ack.c: a newer pure ACK of the same
 * connection). Never an item partly written already. */
static gboolean sendq_merge_ack(struct un_sendq *q, const struct iovec *iov,
				int iovcnt)
{
	const struct iovec *frame = &iov[iovcnt - 1];
	struct un_sendq_item *it = q->tail;
	size_t hdr = 0;

	for (int i = 0; i < iovcnt - 1; i++)
		hdr += iov[i].iov_len;
	if (it == NULL || (it == q->head && q->head_sent > 0) ||
	    it->len != hdr + frame->iov_len ||
	    !un_tcp_ack_supersedes(it->data + hdr, it->len - hdr,
				   frame->iov_base, frame->iov_len))
		return FALSE;
	memcpy(it->data + hdr, frame->iov_base, frame->iov_len);
	q->acks_merged++;
	return TRUE;
}

/* Queue a frame of the batch: FULL, or BATCHED with *flush_now set when
 * the batch has grown to UN_SEND_BATCH_FRAMES. */
static enum un_send_result sendq_batch(struct un_sendq *q,
				       const struct iovec *iov, int iovcnt,
				       gboolean *flush_now)
{
	*flush_now = FALSE;
	if (sendq_merge_ack(q, iov, iovcnt))
		return UN_SEND_BATCHED;
	if (!un_sendq_push(q, iov, iovcnt, 0))
		return UN_SEND_FULL;
	*flush_now = ++q->batched >= UN_SEND_BATCH_FRAMES;
	return UN_SEND_BATCHED;
}

enum un_send_result un_stream_send(struct un_sendq *q, int fd,
				   const uint8_t *data, size_t len)
{
	uint8_t hdr[UN_STREAM_HEADER_BYTES];
	struct iovec iov[2] = {
		{ .iov_base = hdr, .iov_len = sizeof(hdr) },
		{ .iov_base = (void *)data, .iov_len = len },
	};
	struct msghdr m = { .msg_iov = iov, .msg_iovlen = 2 };
	enum un_send_result r;
	gboolean flush_now;
	ssize_t w;

	un_stream_header(hdr, len);
	if (sendq_batches(q, len)) {
		r = sendq_batch(q, iov, 2, &flush_now);
		return flush_now ? un_sendq_flush_stream(q, fd) : r;
	}
	do
		w = sendmsg(fd, &m, MSG_DONTWAIT | MSG_NOSIGNAL);
	while (w < 0 && errno == EINTR);
	if (w == (ssize_t)(sizeof(hdr) + len))
		return UN_SEND_DONE;
	if (w >= 0)
		return sendq_queue_rest(q, iov, 2, (size_t)w);
	if (errno_again())
		return sendq_queue_rest(q, iov, 2, 0);
	return UN_SEND_FAILED;
}

enum un_send_result un_dgram_send(struct un_sendq *q, int fd,
				  const struct sockaddr *to, socklen_t to_len,
				  const uint8_t *data, size_t len)
{
	struct iovec iov = { .iov_base = (void *)data, .iov_len = len };
	enum un_send_result r;
	gboolean flush_now;
	ssize_t w;

	if (sendq_batches(q, len)) {
		r = sendq_batch(q, &iov, 1, &flush_now);
		return flush_now ? un_sendq_flush_dgram(q, fd, to, to_len) : r;
	}
	do
		w = sendto(fd, data, len, MSG_DONTWAIT | MSG_NOSIGNAL, to, to_len);
	while (w < 0 && errno == EINTR);
	if (w >= 0)
		return UN_SEND_DONE;
	if (errno_again())
		return sendq_queue_rest(q, &iov, 1, 0);
	return UN_SEND_FAILED;
}

enum un_send_result un_sendq_flush_stream(struct un_sendq *q, int fd)
{
	q->batched = 0;
	while (q->head != NULL) {
		struct iovec iov[UN_SEND_BATCH_FRAMES];
		struct msghdr m = { .msg_iov = iov };
		struct un_sendq_item *it = q->head;
		ssize_t w;

		for (; it != NULL && m.msg_iovlen < UN_SEND_BATCH_FRAMES; it = it->next) {
			size_t off = it == q->head ? q->head_sent : 0;

			iov[m.msg_iovlen].iov_base = it->data + off;
			iov[m.msg_iovlen++].iov_len = it->len - off;
		}
		w = sendmsg(fd, &m, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return errno_again() ? UN_SEND_QUEUED : UN_SEND_FAILED;
		sendq_consume(q, (size_t)w);
	}
	return UN_SEND_DONE;
}

enum un_send_result un_sendq_flush_dgram(struct un_sendq *q, int fd,
					 const struct sockaddr *to,
					 socklen_t to_len)
{
	q->batched = 0;
	while (q->head != NULL) {
		struct mmsghdr mm[UN_SEND_BATCH_FRAMES];
		struct iovec iov[UN_SEND_BATCH_FRAMES];
		unsigned n = 0;
		int sent, err;

		for (struct un_sendq_item *it = q->head; it != NULL && n < UN_SEND_BATCH_FRAMES;
		     it = it->next, n++) {
			iov[n] = (struct iovec){ .iov_base = it->data, .iov_len = it->len };
			mm[n] = (struct mmsghdr){ .msg_hdr = {
				.msg_name = (void *)to, .msg_namelen = to_len,
				.msg_iov = &iov[n], .msg_iovlen = 1 } };
		}
		sent = sendmmsg(fd, mm, n, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (sent < 0 && errno == EINTR)
			continue;
		if (sent < 0 && errno_again())
			return UN_SEND_QUEUED;
		if (sent < 0) {
			err = errno;
			sendq_pop(q);
			errno = err;
			return UN_SEND_FAILED;
		}
		while (sent-- > 0)
			sendq_pop(q);
	}
	return UN_SEND_DONE;
}

enum un_send_result un_frame_send(struct un_sendq *q, int fd,
				  const uint8_t *data, size_t len)
{
	struct iovec iov = { .iov_base = (void *)data, .iov_len = len };
	enum un_send_result r;
	gboolean flush_now;
	ssize_t w;

	if (sendq_batches(q, len)) {
		r = sendq_batch(q, &iov, 1, &flush_now);
		return flush_now ? un_sendq_flush_frames(q, fd) : r;
	}
	do
		w = write(fd, data, len);
	while (w < 0 && errno == EINTR);
	return w >= 0 ? UN_SEND_DONE : UN_SEND_FAILED;
}

enum un_send_result un_sendq_flush_frames(struct un_sendq *q, int fd)
{
	q->batched = 0;
	while (q->head != NULL) {
		ssize_t w = write(fd, q->head->data, q->head->len);
		int err = errno;

		if (w < 0 && err == EINTR)
			continue;
		sendq_pop(q);
		if (w < 0) {
			errno = err;
			return UN_SEND_FAILED;
		}
	}
	return UN_SEND_DONE;
}

gboolean un_errno_peer_gone(int err)
{
	return err == ECONNREFUSED || err == ENOENT || err == EPIPE ||
	       err == ECONNRESET || err == ENOTCONN;
}

/* ---- settling a send ---------------------------------------------- */

static void settle_failure(struct un_port *p, struct un_watch *w)
{
	int err = errno;

	un_port_drop(p, UN_DROP_SEND_ERROR);
	if (!un_errno_peer_gone(err)) {
		g_debug("port %s: send failed: %s", p->name ? p->name : "(new)",
			g_strerror(err));
		return;
	}
	un_watch_set_gone(w, err);
}

void un_send_settle(struct un_port *p, struct un_watch *w,
		    enum un_send_result r)
{
	switch (r) {
	case UN_SEND_DONE:
		break;
	case UN_SEND_BATCHED:
		un_watch_flush_soon(w);
		break;
	case UN_SEND_QUEUED:
		un_watch_out(w, TRUE);
		break;
	case UN_SEND_FULL:
		un_port_drop(p, UN_DROP_QUEUE_FULL);
		break;
	case UN_SEND_FAILED:
		settle_failure(p, w);
		break;
	}
}

void un_flush_settle(struct un_port *p, struct un_watch *w,
		     enum un_send_result r)
{
	if (r == UN_SEND_DONE || r == UN_SEND_QUEUED)
		un_watch_out(w, r == UN_SEND_QUEUED);
	else if (r == UN_SEND_FAILED)
		settle_failure(p, w);
}

/* ---- sockets and paths ------------------------------------------------- */

gboolean un_sockaddr_un_fill(struct sockaddr_un *sun, socklen_t *len,
			     const char *path, GError **error)
{
	size_t n = strlen(path);

	if (n == 0 || n > UN_SUN_PATH_MAX_BYTES) {
		g_set_error(error, UN_ERROR, UN_ERROR_CONFIG,
			    "socket path \"%s\" is %zu bytes; a unix socket "
			    "path must be 1 to %zu bytes: choose a shorter "
			    "directory or network name", path, n,
			    (size_t)UN_SUN_PATH_MAX_BYTES);
		return FALSE;
	}
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	memcpy(sun->sun_path, path, n);
	if (len != NULL)
		*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
	return TRUE;
}

int un_unix_alive(const struct sockaddr_un *sun, socklen_t len, int type)
{
	int fd = socket(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int r, err;

	if (fd < 0)
		return -1;
	r = connect(fd, (const struct sockaddr *)sun, len);
	err = errno;
	close(fd);
	if (r == 0 || err == EAGAIN || err == EPERM || err == EPROTOTYPE)
		return 1;
	if (err == ECONNREFUSED || err == ENOENT)
		return 0;
	errno = err;
	return -1;
}

gboolean un_socket_path_claim(const char *path, int type, GError **error)
{
	struct sockaddr_un sun;
	socklen_t len;
	struct stat st;
	int alive;

	if (!un_sockaddr_un_fill(&sun, &len, path, error))
		return FALSE;
	if (lstat(path, &st) < 0) {
		if (errno == ENOENT)
			return TRUE;
		g_set_error(error, UN_ERROR, UN_ERROR_IO, "%s: %s", path,
			    g_strerror(errno));
		return FALSE;
	}
	if (!S_ISSOCK(st.st_mode)) {
		g_set_error(error, UN_ERROR, UN_ERROR_BUSY,
			    "%s exists and is not a socket: remove it or "
			    "choose another directory", path);
		return FALSE;
	}
	alive = un_unix_alive(&sun, len, type);
	if (alive < 0) {
		g_set_error(error, UN_ERROR, UN_ERROR_IO, "%s: %s", path,
			    g_strerror(errno));
		return FALSE;
	}
	if (alive) {
		g_set_error(error, UN_ERROR, UN_ERROR_BUSY,
			    "%s is in use by another process (a second "
			    "usernetd?): stop it or choose another directory",
			    path);
		return FALSE;
	}
	if (unlink(path) < 0 && errno != ENOENT) {
		g_set_error(error, UN_ERROR, UN_ERROR_IO,
			    "%s: cannot remove stale socket: %s", path,
			    g_strerror(errno));
		return FALSE;
	}
	return TRUE;
}

int un_unix_bind(const char *path, int type, GError **error)
{
	struct sockaddr_un sun;
	socklen_t len;
	int fd;

	if (!un_sockaddr_un_fill(&sun, &len, path, error) ||
	    !un_socket_path_claim(path, type, error))
		return -1;
	fd = socket(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sun, len) < 0) {
		g_set_error(error, UN_ERROR, UN_ERROR_IO, "%s: cannot %s: %s",
			    path, fd < 0 ? "create socket" : "bind",
			    g_strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

int un_accept(int fd, struct un_watch *w, const char *what)
{
	int c = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	gboolean starved;

	if (c >= 0)
		return c;
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ||
	    errno == ECONNABORTED)
		return -1;
	starved = errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
		  errno == ENOMEM;
	g_warning("%s: cannot accept a connection: %s%s", what, g_strerror(errno),
		  starved ? "; trying again in 1 s (raise the open file "
			    "limit, ulimit -n, or close some connections)" : "");
	if (starved)
		un_watch_pause(w, 1000);
	return -1;
}

void un_socket_set_buffers(int fd, int bytes)
{
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof(bytes)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof(bytes)) < 0)
		g_debug("fd %d: socket buffers of %d bytes: %s", fd, bytes,
			g_strerror(errno));
}

char *un_sockaddr_describe(const struct sockaddr *sa, socklen_t len)
{
	char host[INET6_ADDRSTRLEN];
	const struct sockaddr_un *sun = (const void *)sa;
	const size_t path_at = offsetof(struct sockaddr_un, sun_path);

	if (len < sizeof(sa_family_t))
		return g_strdup("(unbound)");
	switch (sa->sa_family) {
	case AF_INET: {
		const struct sockaddr_in *in = (const void *)sa;

		inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
		return g_strdup_printf("%s:%u", host, ntohs(in->sin_port));
	}
	case AF_INET6: {
		const struct sockaddr_in6 *in6 = (const void *)sa;

		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		return g_strdup_printf("[%s]:%u", host, ntohs(in6->sin6_port));
	}
	case AF_UNIX:
		if (len <= path_at)
			return g_strdup("(unbound)");
		if (sun->sun_path[0] == '\0')
			return g_strdup_printf("@%.*s", (int)(len - path_at - 1),
					       sun->sun_path + 1);
		return g_strndup(sun->sun_path, len - path_at);
	default:
		return g_strdup_printf("(address family %d)", sa->sa_family);
	}
}

char *un_peer_describe(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	struct ucred cred;
	socklen_t cred_len = sizeof(cred);
	g_autofree char *comm = NULL;
	g_autofree char *proc = NULL;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cred_len) == 0 &&
	    cred.pid > 0) {
		proc = g_strdup_printf("/proc/%d/comm", (int)cred.pid);
		if (g_file_get_contents(proc, &comm, NULL, NULL))
			return g_strdup_printf("pid %d (%s)", (int)cred.pid,
					       g_strchomp(comm));
		return g_strdup_printf("pid %d", (int)cred.pid);
	}
	if (getpeername(fd, (struct sockaddr *)&ss, &len) == 0)
		return un_sockaddr_describe((struct sockaddr *)&ss, len);
	return g_strdup_printf("fd %d", fd);
}

char *un_qemu_quote(const char *s)
{
	GString *out = g_string_sized_new(strlen(s) + 8);

	for (; *s != '\0'; s++) {
		if (*s == ',')
			g_string_append_c(out, ',');
		g_string_append_c(out, *s);
	}
	return g_string_free(out, FALSE);
}
