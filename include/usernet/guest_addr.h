/* SPDX-License-Identifier: GPL-2.0-or-later */
/* guest_addr.h - learning a guest's IPv4 address from the frames it
 * exchanges with a router, for `show` on networks without our own DHCP
 * server (nat: libslirp leases the address).
 * Owns: reading a DHCP ACK's yiaddr and an ARP sender's address.
 * Not here: where the address is kept (the kind's). */
#ifndef USERNET_GUEST_ADDR_H
#define USERNET_GUEST_ADDR_H

#include <glib.h>
#include <netinet/in.h>

#include "usernet/frame.h"

/* From a frame the router sends the guest: TRUE with the address of a
 * DHCPACK (yiaddr) in @out; FALSE for anything else, malformed included. */
gboolean un_guest_addr_from_router(const struct un_frame *f,
				   struct in_addr *out);
/* From a frame the guest sends: TRUE with the sender address of an
 * Ethernet/IPv4 ARP packet in @out, unless it is 0.0.0.0 (a probe). */
gboolean un_guest_addr_from_guest(const struct un_frame *f,
				  struct in_addr *out);

#endif
