/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tcp_window.h - a guest TCP connection through libslirp may have more
 * than libslirp's 64 KiB in flight towards the host.
 * Owns: window scaling (RFC 7323) negotiated with the guest on libslirp's
 * behalf, the window fields rewritten both ways, and the guest segments
 * held past libslirp's window until it opens. Not here: libslirp
 * (slirp_glue.c), the headers' layout (l4.c).
 *
 * Why: libslirp 4.7 does no window scaling (TCP_DO_RFC1323 is 0), so it
 * never offers the guest more than 65535 bytes, although it takes up to
 * 128 KiB (its receive buffer) past the last byte it acknowledged. A
 * guest whose ACKs come slowly (an emulated CPU: about 0.6 ms at 1 Gbit/s)
 * then waits on the window, not on the link: capping the window at 32 and
 * 16 KiB cut a TCG guest's upload from 0.96 to 0.69 and 0.46 Gbit/s. With
 * MTU 65520 one full segment fills the whole window.
 *
 * How: a guest that offers window scaling in its SYN gets libslirp's
 * SYN-ACK with a scaling option of UN_TCP_WINDOW_SHIFT added (and a
 * forward's SYN to the guest gets one, used if the guest answers with its
 * own). From then on the guest's window fields are unscaled for libslirp
 * (capped at 65535, as libslirp reads them), and libslirp's are replaced
 * by a window reaching @extra bytes past libslirp's own right edge. A
 * guest segment past libslirp's edge is copied and held, in sequence
 * order (a retransmission that fills a gap goes first), and
 * handed back (un_tcp_window_next_ready) as soon as an ACK from libslirp
 * moves the edge past it. A pure ACK never waits behind them (libslirp
 * may need it to send what frees its window: both ends writing before
 * they read would stall for good); it goes at once, numbered right after
 * the last byte libslirp has.
 * libslirp 4.7 announces a window that opened only once it grew by two
 * segments or half its buffer (RFC 1122's silly window avoidance), so
 * with MTU 65520 it often does not announce it at all: a guest on its
 * own then finds it with a window probe. So when a held head does not
 * fit and libslirp has acknowledged all it was given, a copy of the head
 * goes in anyway, once per acknowledgement and again after libslirp has
 * served its host sockets: libslirp takes what fits, and its answer, if
 * it took nothing, is not passed on (the guest would count it as a
 * duplicate ACK). What is offered past libslirp's window is shared out
 * when many connections are open (8 MiB in all, libslirp's 64 KiB each
 * counted in: past 128 connections nothing more), so that a guest never
 * bursts more than its transmit queue holds. Held bytes are bounded per
 * connection and in
 * all; past the bound the window is not extended any further and a
 * segment that does not fit is dropped (the guest sends it again). The
 * advertised edge never moves back. A connection ends at its RST or when
 * both FINs have passed; with no room in the table a new connection is
 * not scaled at all, which is always correct. */
#ifndef USERNET_TCP_WINDOW_H
#define USERNET_TCP_WINDOW_H

#include <glib.h>
#include <stddef.h>
#include <stdint.h>

#include "l4.h"

#define UN_TCP_WINDOW_SHIFT 2u /* the scale offered: windows up to 256 KiB */

struct un_tcp_window;

enum un_tcp_window_verdict {
	UN_TCP_WINDOW_PASS,  /* give *out to libslirp now */
	UN_TCP_WINDOW_HELD,  /* copied: it comes back from next_ready */
	UN_TCP_WINDOW_DROP,  /* past the window offered, or no room */
};

/* A held guest frame; g_free it once libslirp has it. */
struct un_tcp_window_frame {
	guint32 seq;      /* of its first byte */
	guint32 seq_end;  /* sequence number after its data */
	size_t len;
	uint8_t data[];
};

/* Up to @max_conns connections, each offered @extra_bytes past libslirp's
 * window (0: offer nothing, change nothing), holding at most
 * @max_held_bytes of frames in all. */
struct un_tcp_window *un_tcp_window_new(guint max_conns, gsize extra_bytes,
					gsize max_held_bytes);
void un_tcp_window_free(struct un_tcp_window *w);

/* Guest frame @d of @len bytes (@l its IP packet as un_l4_find located
 * it, or NULL) is on its way to libslirp. On PASS, *out and *out_len are
 * the frame to input: @d, or a rewritten copy valid until the next call. */
enum un_tcp_window_verdict
un_tcp_window_from_guest(struct un_tcp_window *w, const uint8_t *d,
			 size_t len, const struct un_l4 *l,
			 const uint8_t **out, size_t *out_len);

/* libslirp sends frame @d of @len bytes to the guest: *out and *out_len
 * are what to send instead, @d or a rewritten copy valid until the next
 * call; *out_len 0 sends nothing (libslirp's answer to a probe). Call
 * un_tcp_window_next_ready once libslirp has returned. */
void un_tcp_window_to_guest(struct un_tcp_window *w, const uint8_t *d,
			    size_t len, const uint8_t **out, size_t *out_len);

/* The oldest held frame that libslirp's window now takes, or a copy of
 * one that it may (a probe: the frame stays held), or NULL. Input each
 * before the next call. */
struct un_tcp_window_frame *un_tcp_window_next_ready(struct un_tcp_window *w);

/* libslirp has served its sockets (it may have written to the host and
 * so opened its window without saying so): probe each waiting head once
 * more. */
void un_tcp_window_poll_done(struct un_tcp_window *w);

struct un_tcp_window_stats {
	guint64 scaled;  /* connections that had their window scaled */
	guint64 held;    /* guest segments held past libslirp's window */
	guint64 dropped; /* guest segments past the window or the bound */
	guint64 probes;  /* held heads shown to libslirp to learn its window */
	guint conns;     /* connections tracked now */
	gsize held_bytes; /* bytes held now */
};

void un_tcp_window_stats(const struct un_tcp_window *w,
			 struct un_tcp_window_stats *s);

#endif
