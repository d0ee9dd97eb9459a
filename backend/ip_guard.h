/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ip_guard.h - the checks a guest frame passes before libslirp sees it.
 * Owns: header lengths against the frame, and IPv4/IPv6 fragment
 * reassembly with bounded memory and a timeout.
 * Not here: libslirp (slirp_glue.c) or clocks (callers pass the time). */
#ifndef USERNET_IP_GUARD_H
#define USERNET_IP_GUARD_H

#include <glib.h>

#include "usernet/frame.h"
#include "usernet/port.h"

struct un_ip_guard_limits {
	guint max_datagrams;    /* datagrams being reassembled at once */
	gsize max_bytes;        /* memory they may hold, all ports */
	gsize max_port_bytes;   /* memory one port's datagrams may hold */
	gint64 timeout_us;      /* a datagram not whole by then is dropped */
	guint mtu;              /* a reassembled IPv6 datagram above it is dropped */
};

/* 64 datagrams, 256 KiB (128 KiB per port), 30 s. */
#define UN_IP_GUARD_DATAGRAMS_MAX 64u
#define UN_IP_GUARD_BYTES_MAX (256u * 1024u)
#define UN_IP_GUARD_PORT_BYTES_MAX (128u * 1024u)
#define UN_IP_GUARD_TIMEOUT_US (30 * G_USEC_PER_SEC)

enum un_guard_verdict {
	UN_GUARD_PASS,  /* a sane, whole frame: hand it to libslirp as it is */
	UN_GUARD_WHOLE, /* a datagram just completed: hand *whole to libslirp */
	UN_GUARD_HELD,  /* a fragment kept for later; nothing to hand on */
	UN_GUARD_DROP,  /* dropped and counted on the port */
};

struct un_ip_guard;

/* TRUE while @p may still be counted on: a port whose fragments time out
 * may have left (and been freed) since they came. */
typedef gboolean (*un_ip_guard_alive_fn)(void *opaque, struct un_port *p);

/* A new guard with @limits (NULL: the defaults above, MTU 1500); @alive
 * (NULL: every port lives) is asked before a timed-out datagram is
 * counted. Free with un_ip_guard_free. */
struct un_ip_guard *un_ip_guard_new(const struct un_ip_guard_limits *limits,
				    un_ip_guard_alive_fn alive, void *opaque);
void un_ip_guard_free(struct un_ip_guard *g);

/* Check one frame from @from at time @now_us (monotonic). Every frame it
 * drops, now or later (a fragment that times out), is counted once on the
 * port it came from with un_port_drop. On UN_GUARD_WHOLE, *whole is a new
 * unfragmented frame (g_bytes_unref); otherwise it is left alone. */
enum un_guard_verdict un_ip_guard_input(struct un_ip_guard *g,
					struct un_port *from,
					const struct un_frame *f, gint64 now_us,
					GBytes **whole);

/* Drop datagrams whose time is up, counting them on ports still alive;
 * returns how many. */
guint un_ip_guard_expire(struct un_ip_guard *g, gint64 now_us);
/* When the oldest datagram times out, or -1 when none is held. */
gint64 un_ip_guard_next_deadline(const struct un_ip_guard *g);
/* Fragments held, all datagrams together. */
guint un_ip_guard_held_frames(const struct un_ip_guard *g);
/* @p is going away: free its datagrams without counting them. */
void un_ip_guard_forget(struct un_ip_guard *g, struct un_port *p);

#endif
