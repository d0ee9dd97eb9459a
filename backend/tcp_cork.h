/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tcp_cork.h - one write to the host per burst, not one per guest segment.
 * Owns: which host socket carries which guest-opened TCP connection, and
 * corking (TCP_CORK) that socket while one main-loop wake-up feeds libslirp
 * more than one of its segments, until the loop is about to poll again.
 * Not here: libslirp (slirp_glue.c), the header layout (l4.c).
 *
 * Why: libslirp 4.7 writes each in-order guest segment to its host socket
 * at once (sbappend() calls send() while its buffer is empty), so a guest
 * sending in bulk costs one send(), and on loopback one whole trip through
 * the host's TCP stack, per 1460-byte segment: over half of usernetd's CPU
 * in `make bench --profile`. Corked, the segments of one burst leave in
 * one go when the socket is uncorked before the next poll. A lone segment
 * (a request, a keystroke) is never corked, so nothing waits.
 *
 * The connection is known from its SYN. Opened by the guest: the socket
 * libslirp opens while the guest's SYN is being input is the connection's
 * (register_poll_fd fires inside slirp_input). Opened from the host (a
 * forward): libslirp accepts the socket and sends its SYN to the guest in
 * the same call (tcp_connect()), keeping the host peer's port as the SYN's
 * source port; so the next SYN libslirp sends in that main-loop turn, if
 * its source port is the accepted socket's peer port, names it. */
#ifndef USERNET_TCP_CORK_H
#define USERNET_TCP_CORK_H

#include <glib.h>
#include <stddef.h>
#include <stdint.h>

#include "l4.h"

struct un_tcp_cork;

struct un_tcp_cork *un_tcp_cork_new(void);
void un_tcp_cork_free(struct un_tcp_cork *c);

/* Guest frame @d (untagged Ethernet; @l its IP packet as un_l4_find
 * located it, NULL when none) is about to go to libslirp: remember
 * a SYN's connection for un_tcp_cork_opened; cork the socket of a mapped
 * connection at its second data segment in this wake-up. */
void un_tcp_cork_input(struct un_tcp_cork *c, const uint8_t *d,
		       const struct un_l4 *l);
/* libslirp has taken the frame. */
void un_tcp_cork_input_done(struct un_tcp_cork *c);

/* Frame @d of @len bytes leaves libslirp for the guest: a forward's SYN
 * maps the socket accepted for it (cheap when no socket waits). */
void un_tcp_cork_output(struct un_tcp_cork *c, const uint8_t *d, size_t len);

/* libslirp's register_poll_fd / unregister_poll_fd. */
void un_tcp_cork_opened(struct un_tcp_cork *c, int fd);
void un_tcp_cork_closed(struct un_tcp_cork *c, int fd);

/* The loop is about to poll: uncork every socket corked since the last
 * call, so what was written leaves now; a new wake-up begins. */
void un_tcp_cork_flush(struct un_tcp_cork *c);

/* Sockets corked so far (each cork is one burst written in one go). */
guint64 un_tcp_cork_bursts(const struct un_tcp_cork *c);
/* Connections mapped to a socket now. */
guint un_tcp_cork_connections(const struct un_tcp_cork *c);

#endif
