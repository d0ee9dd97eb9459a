/* SPDX-License-Identifier: GPL-2.0-or-later */
/* frame.h - wire facts and plumbing every transport shares, written once.
 * Owns: QEMU stream framing (4-byte big-endian length, then the frame) and
 * its per-peer reassembly; batched datagram receive; the bounded per-port
 * send queue, sends batched per main-loop wake-up, and the "queue, then
 * wait for G_IO_OUT" cycle; unix socket addresses and paths; peer
 * descriptions and QEMU option quoting.
 * Not here: sockets' life and which peer is which (backend/transport_*.c),
 * where a frame goes (the port's network), fd watches (watch.h). */
#ifndef USERNET_BACKEND_FRAME_H
#define USERNET_BACKEND_FRAME_H

#include <glib.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>

#include "usernet/container.h"
#include "usernet/frame.h"
#include "usernet/port.h"
#include "watch.h"

/* ---- QEMU stream framing ---------------------------------------------- */

/* Each frame on a stream is preceded by its length, big-endian. */
#define UN_STREAM_HEADER_BYTES 4u
/* A de-framer's buffer: room for two whole frames, so one read() can bring
 * many small frames and a partial frame never needs a second buffer. */
#define UN_DEFRAMER_BUF_BYTES (2u * (UN_STREAM_HEADER_BYTES + UN_FRAME_MAX_BYTES))

/* Write the 4-byte length prefix for a frame of @len bytes into @out. */
void un_stream_header(uint8_t out[UN_STREAM_HEADER_BYTES], size_t len);

/* Reassembles frames from one peer's byte stream. The transport reads
 * straight into it (un_deframer_room + un_deframer_fill), then takes every
 * whole frame out with un_deframer_next: no copy in between. */
struct un_deframer {
	uint8_t *buf; /* UN_DEFRAMER_BUF_BYTES, owned */
	size_t head;  /* first byte not handed out yet */
	size_t tail;  /* end of the bytes read */
};

enum un_deframe {
	UN_DEFRAME_FRAME, /* *f is a whole frame */
	UN_DEFRAME_MORE,  /* no whole frame buffered: read more */
	UN_DEFRAME_ERROR, /* length 0 or above UN_FRAME_MAX_BYTES: the peer
			   * broke framing; disconnect it (sticky) */
};

void un_deframer_init(struct un_deframer *d);
void un_deframer_clear(struct un_deframer *d);
/* Where the next read() goes: returns the start and sets *room (at least
 * one whole frame and its header). May move a partial frame to the front of
 * the buffer, so frames handed out before are invalid afterwards. */
uint8_t *un_deframer_room(struct un_deframer *d, size_t *room);
/* @n bytes (at most the room) were read into the room. */
void un_deframer_fill(struct un_deframer *d, size_t n);
/* The next whole frame. *f points into the buffer and stays valid until
 * the next un_deframer_room. UN_DEFRAME_ERROR sets @error (UN_ERROR_PROTOCOL)
 * naming the bad length. */
enum un_deframe un_deframer_next(struct un_deframer *d, struct un_frame *f,
				 GError **error);
/* Bytes of an incomplete frame held: what a peer closing now loses. */
size_t un_deframer_pending(const struct un_deframer *d);

/* ---- batched datagram receive ----------------------------------------- */

/* Datagrams one un_dgram_recv call takes from a socket. */
#define UN_DGRAM_BATCH 32u

/* One datagram of a batch. @len is its length as the peer sent it: above
 * UN_FRAME_MAX_BYTES it was cut (MSG_TRUNC) and must be dropped as
 * oversized. @from is the sender (from_len <= sizeof(sa_family_t): none). */
struct un_dgram {
	const uint8_t *data;
	size_t len;
	const struct sockaddr_un *from;
	socklen_t from_len;
};

/* Receive up to UN_DGRAM_BATCH datagrams from non-blocking @fd with one
 * recvmmsg. Returns how many (each in un_dgram_at), or -1 with errno
 * (EAGAIN: none waiting). The batch lives in one buffer shared by every
 * caller: it is valid until the next un_dgram_recv. */
int un_dgram_recv(int fd);
/* Datagram @i (0 <= i < what un_dgram_recv returned). */
struct un_dgram un_dgram_at(int i);

/* ---- bounded send queue ------------------------------------------------ */

/* By default a port's send queue holds at most this many frames or bytes
 * (a network's keys send-queue-frames and send-queue-bytes); past that,
 * frames are dropped and counted as queue-full. */
#define UN_SENDQ_MAX_FRAMES 256u
#define UN_SENDQ_MAX_BYTES (4u << 20)

struct un_sendq_item;

/* Frames waiting for a slow peer, oldest first; each entry is one frame as
 * it goes on the wire (with its stream header where there is one). */
struct un_sendq {
	struct un_sendq_item *head, *tail;
	size_t frames;
	size_t bytes;     /* queued bytes, including head_sent */
	size_t head_sent; /* bytes of the oldest entry already written (streams) */
	size_t batched;   /* frames queued since the last flush */
	guint64 acks_merged; /* pure TCP ACKs replaced by a newer one while
			      * queued (tcp_ack.c), since the queue began */
	size_t max_frames, max_bytes; /* the bound (un_sendq_set_limits) */
};

/* Frames up to this size are batched (see un_stream_send); a larger frame
 * finding the queue empty is written at once, with no copy. */
#define UN_SEND_BATCH_FRAME_MAX_BYTES 16384u
/* A batch is flushed at once when it reaches this many frames, so one
 * wake-up never fills a queue that a flush would have kept short. */
#define UN_SEND_BATCH_FRAMES 64u

/* An empty queue with the default bound (UN_SENDQ_MAX_*). */
void un_sendq_init(struct un_sendq *q);
/* Bound @q at @max_frames frames and @max_bytes bytes (0: the default). */
void un_sendq_set_limits(struct un_sendq *q, size_t max_frames,
			 size_t max_bytes);
/* Free every queued frame; returns how many were queued (lost). */
size_t un_sendq_clear(struct un_sendq *q);
static inline gboolean un_sendq_empty(const struct un_sendq *q)
{
	return q->frames == 0;
}
/* Queue a copy of the bytes of @iov, less the first @skip, as one entry
 * (none when that leaves nothing).
 * FALSE (nothing queued) when the queue is at its bound; an empty queue
 * always takes one entry, so a partly written stream frame always fits. */
gboolean un_sendq_push(struct un_sendq *q, const struct iovec *iov,
		       int iovcnt, size_t skip);

/* What happened to a frame, or to a flush. */
enum un_send_result {
	UN_SEND_DONE,   /* written (flush: queue now empty) */
	UN_SEND_BATCHED, /* queued with this wake-up's other frames: flush
			  * before the loop polls again (un_send_settle) */
	UN_SEND_QUEUED, /* waits in the queue: watch for G_IO_OUT */
	UN_SEND_FULL,   /* queue at its bound: dropped (queue-full) */
	UN_SEND_FAILED, /* dropped; errno says why (see un_errno_peer_gone) */
};

/* One frame with its length prefix for stream socket @fd; never blocks,
 * never raises SIGPIPE. A frame of at most UN_SEND_BATCH_FRAME_MAX_BYTES,
 * or any frame finding others queued, joins the queue (BATCHED), so that
 * one writev carries a whole wake-up's frames; the UN_SEND_BATCH_FRAMES-th
 * frame since the last flush flushes at once. A larger frame finding the
 * queue empty is written directly. */
enum un_send_result un_stream_send(struct un_sendq *q, int fd,
				   const uint8_t *data, size_t len);
/* One frame as a datagram on @fd (to @to, or the connected peer when @to
 * is NULL), batched as un_stream_send does; a flush is one sendmmsg. */
enum un_send_result un_dgram_send(struct un_sendq *q, int fd,
				  const struct sockaddr *to, socklen_t to_len,
				  const uint8_t *data, size_t len);
/* One frame to @fd, which takes one whole frame per write() and never
 * blocks (a tap), batched as un_stream_send does: no syscall is saved, but
 * queued pure ACKs of one connection merge (a guest's bulk upload is
 * answered by one ACK per wake-up, not one per segment). FAILED (errno)
 * when the kernel refuses a frame written at once. */
enum un_send_result un_frame_send(struct un_sendq *q, int fd,
				  const uint8_t *data, size_t len);
/* Write every queued frame to @fd, one write() each. DONE when empty; a
 * frame the kernel refuses is dropped: FAILED with errno, the rest stay. */
enum un_send_result un_sendq_flush_frames(struct un_sendq *q, int fd);
/* Write queued bytes to stream socket @fd, many frames per writev.
 * DONE when empty, QUEUED on EAGAIN, FAILED with errno. Both flushes
 * start a new batch (q->batched = 0). */
enum un_send_result un_sendq_flush_stream(struct un_sendq *q, int fd);
/* Send queued frames as datagrams (sendmmsg). DONE when empty, QUEUED on
 * EAGAIN. A frame the kernel refuses is dropped: FAILED with errno. */
enum un_send_result un_sendq_flush_dgram(struct un_sendq *q, int fd,
					 const struct sockaddr *to,
					 socklen_t to_len);

/* TRUE when a send failing with @err means the peer is gone for good
 * (ECONNREFUSED, ENOENT, EPIPE, ECONNRESET, ENOTCONN). */
gboolean un_errno_peer_gone(int err);

/* What a transport's un_port_ops.send does with a un_*_send result: count
 * a drop on @p; have @w flushed before the loop polls again (BATCHED);
 * watch @w for G_IO_OUT while frames wait (QUEUED); when the peer is
 * gone, mark @w gone and kick it, so the port is closed from the main loop
 * and never under the caller (a network forwarding a frame). */
void un_send_settle(struct un_port *p, struct un_watch *w,
		    enum un_send_result r);
/* What a transport does on G_IO_OUT with the result of its flush: stop
 * watching G_IO_OUT once the queue is empty, watch it while frames wait;
 * on failure as above. */
void un_flush_settle(struct un_port *p, struct un_watch *w,
		     enum un_send_result r);

/* ---- sockets and paths ------------------------------------------------- */

/* Longest path a unix socket address holds (sun_path less its NUL). */
#define UN_SUN_PATH_MAX_BYTES (sizeof(((struct sockaddr_un *)0)->sun_path) - 1)

/* Fill @sun with @path; sets *len (may be NULL) to the length bind() and
 * connect() take. FALSE with UN_ERROR_CONFIG naming the path and its length
 * when it is empty or longer than UN_SUN_PATH_MAX_BYTES. */
gboolean un_sockaddr_un_fill(struct sockaddr_un *sun, socklen_t *len,
			     const char *path, GError **error);
/* Make @path free for a new socket of @type (SOCK_STREAM, SOCK_DGRAM): a
 * stale socket is removed; a live one (something answers) is
 * UN_ERROR_BUSY; anything else there is UN_ERROR_BUSY too. */
gboolean un_socket_path_claim(const char *path, int type, GError **error);
/* Does a socket of @type answer at @sun? 1: yes (something is bound
 * there), 0: stale or gone (ECONNREFUSED, ENOENT), -1: errno. */
int un_unix_alive(const struct sockaddr_un *sun, socklen_t len, int type);
/* A new non-blocking, close-on-exec unix socket of @type bound to @path
 * (claimed first). Returns the fd, or -1 with @error. */
int un_unix_bind(const char *path, int type, GError **error);
/* Accept one connection from listening socket @fd (non-blocking,
 * close-on-exec). Returns its fd, or -1: none waiting, or an error logged
 * once, naming @what; when out of file descriptors or memory, @w (the
 * listener's watch) is paused for a second. */
int un_accept(int fd, struct un_watch *w, const char *what);
/* Ask for socket buffers of @bytes each way (best effort, capped by the
 * kernel's wmem_max/rmem_max); enough for frames of UN_FRAME_MAX_BYTES. */
void un_socket_set_buffers(int fd, int bytes);
/* Default socket buffer for datagram transports. */
#define UN_DGRAM_SOCKBUF_BYTES (1 << 20)

/* "pid 123 (qemu-system-x86)" for a unix socket peer (SO_PEERCRED),
 * "127.0.0.1:4567" or "[::1]:4567" for TCP, "fd N" otherwise. g_free. */
char *un_peer_describe(int fd);
/* "127.0.0.1:4567", "[::1]:4567", a unix path, "@name" for an abstract
 * unix address, "(unbound)" for none. g_free. */
char *un_sockaddr_describe(const struct sockaddr *sa, socklen_t len);
/* @s with each ',' doubled, as a QEMU option value needs. g_free. */
char *un_qemu_quote(const char *s);

#endif
