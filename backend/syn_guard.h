/* SPDX-License-Identifier: GPL-2.0-or-later */
/* syn_guard.h - keeps a repeated guest SYN from emptying a connection's
 * buffers inside libslirp.
 * Owns: remembering each guest SYN (or SYN-ACK) by connection and initial
 * sequence number, and taking the MSS option out of a repeat. Not here:
 * the other header checks (ip_guard.c), the socket bound (host_sockets.c). */
#ifndef USERNET_SYN_GUARD_H
#define USERNET_SYN_GUARD_H

#include <glib.h>
#include <stddef.h>
#include <stdint.h>

#include "l4.h"

/* How many connections are remembered, and for how long: a SYN is
 * retransmitted for about two minutes (Linux: tcp_syn_retries 6). */
#define UN_SYN_GUARD_ENTRIES_MAX 16384u
#define UN_SYN_GUARD_TTL_US (180 * G_USEC_PER_SEC)

struct un_syn_guard;

struct un_syn_guard *un_syn_guard_new(guint max_entries, gint64 ttl_us);
void un_syn_guard_free(struct un_syn_guard *sg);

/* The guest frame @d (whole, untagged Ethernet, headers already checked;
 * @l its IP packet as un_l4_find located it, NULL when none) as libslirp
 * should see it: @d itself, or, for a TCP SYN repeating one seen before
 * (same addresses, ports and initial sequence number) that carries an MSS
 * option, a new copy (*copy, g_free) in which that option is NOPs and the
 * checksum is updated (same layout, so @l holds for it). libslirp 4.7's
 * tcp_dooptions() calls tcp_mss() for every SYN with an MSS option, and
 * tcp_mss() re-reserves both socket buffers, which drops the bytes they
 * hold: a retransmitted SYN or SYN-ACK arriving late silently cut the
 * stream. */
const uint8_t *un_syn_guard_filter(struct un_syn_guard *sg, const uint8_t *d,
				   size_t len, const struct un_l4 *l,
				   gint64 now_us, uint8_t **copy);

/* Repeats rewritten so far. */
guint64 un_syn_guard_rewritten(const struct un_syn_guard *sg);

#endif
