/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tcp_ack.h - when one queued frame to a guest makes another redundant.
 * Owns: recognising a pure TCP ACK and deciding that a later one of the
 * same connection supersedes it. Not here: the queue that drops the older
 * frame (frame.c). */
#ifndef USERNET_TCP_ACK_H
#define USERNET_TCP_ACK_H

#include <glib.h>
#include <stddef.h>
#include <stdint.h>

/* May @older (queued, not yet sent) be replaced by @newer, both whole
 * untagged Ethernet frames? TRUE only when both are pure TCP ACKs (flag
 * ACK alone, no payload) of the same connection and direction, with the
 * same length, and @newer acknowledges strictly more: it then says all
 * that @older says, with a fresher window. Duplicate ACKs (same number)
 * are never merged: the receiver's fast retransmit counts them. */
gboolean un_tcp_ack_supersedes(const uint8_t *older, size_t older_len,
			       const uint8_t *newer, size_t newer_len);

#endif
