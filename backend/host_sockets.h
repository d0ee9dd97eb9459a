/* SPDX-License-Identifier: GPL-2.0-or-later */
/* host_sockets.h - the max-host-sockets bound of one router: which
 * sockets libslirp holds, and whether a guest frame may make it open one
 * more. Owns: the count (from libslirp's register/unregister_poll_fd
 * callbacks), the guest UDP flows that own a socket, the refusal count and
 * its log line. Not here: libslirp itself (slirp_glue.c), fragments
 * (ip_guard.c). */
#ifndef USERNET_HOST_SOCKETS_H
#define USERNET_HOST_SOCKETS_H

#include <glib.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#include "l4.h"

struct un_host_sockets;

/* @network names the log line; @max is max-host-sockets; @host and @dns
 * are the router's IPv4 addresses, which libslirp answers without a
 * socket (ping, DHCP, TFTP). */
struct un_host_sockets *un_host_sockets_new(const char *network, guint max,
					    struct in_addr host,
					    struct in_addr dns);
void un_host_sockets_free(struct un_host_sockets *hs);

/* libslirp's register_poll_fd / unregister_poll_fd. A socket opened while
 * a guest UDP frame is being input belongs to that frame's flow. */
void un_host_sockets_opened(struct un_host_sockets *hs, int fd);
void un_host_sockets_closed(struct un_host_sockets *hs, int fd);

/* Sockets libslirp holds now. */
guint un_host_sockets_count(const struct un_host_sockets *hs);
/* Guest connections refused so far. */
guint64 un_host_sockets_refused(const struct un_host_sockets *hs);

/* Can libslirp not open one more socket: at max-host-sockets, or the
 * process out of descriptors (probed by duplicating @fd, -1: stderr)?
 * TRUE logs (once a minute) and counts a refusal. */
gboolean un_host_sockets_full(struct un_host_sockets *hs, int fd);

/* May the guest frame @d (whole, untagged Ethernet; @l its IP packet as
 * un_l4_find located it, NULL when none) go to libslirp? FALSE
 * only when it would open a socket (TCP SYN, a UDP datagram of a flow
 * with no socket, an ICMP echo leaving the network) and none can be had.
 * Every admitted frame is followed by un_host_sockets_input_done() once
 * libslirp has taken it. */
gboolean un_host_sockets_admit(struct un_host_sockets *hs, const uint8_t *d,
			       size_t len, const struct un_l4 *l);
void un_host_sockets_input_done(struct un_host_sockets *hs);

#endif
