/* SPDX-License-Identifier: GPL-2.0-or-later */
/* lan.h - a switched network with its engines, as natnet, hostonly and
 * internal (dhcp=on) build it: one switch, optionally one router on an
 * engine port, optionally the backend's DHCP server in front.
 * Owns: wiring those three together and the order a frame meets them.
 * Not here: switching (switch.h), routing (router.h), leases (dhcp.h),
 * each kind's own rules (plugins/). */
#ifndef USERNET_LAN_H
#define USERNET_LAN_H

#include <glib.h>

#include "usernet/config.h"
#include "usernet/dhcp.h"
#include "usernet/network.h"
#include "usernet/router.h"

/* TRUE: let this frame from the switch reach the router; FALSE: drop it
 * (counted as filtered on the router's port). */
typedef gboolean (*un_lan_router_filter_fn)(void *opaque,
					    const struct un_frame *f);

struct un_lan_config {
	const struct un_router_config *router; /* NULL: no router */
	un_lan_router_filter_fn filter;        /* NULL: everything passes */
	void *filter_opaque;
	const struct un_dhcp_net *dhcp;        /* NULL: no DHCP server */
};

struct un_lan;

/* DHCP facts for a network whose router is @rc: the router's address
 * serves and routes, its DNS, dhcpstart, domain and search list, @mtu. */
struct un_dhcp_net un_lan_dhcp_facts(const struct un_router_config *rc,
				     guint mtu);

/* Build @n's switch (keys UN_SWITCH_KEYS), DHCP server (UN_DHCP_KEYS from
 * @c, checked against @lc->dhcp) and router. Free with un_lan_free. */
struct un_lan *un_lan_new(struct un_network *n, const struct un_config *c,
			  const struct un_lan_config *lc, GError **error);
void un_lan_free(struct un_lan *lan);

/* The kind's attach, input and detach, for a kind that needs no more. */
void un_lan_attach(struct un_lan *lan, struct un_port *p);
void un_lan_input(struct un_lan *lan, struct un_port *from,
		  const struct un_frame *f);
void un_lan_detach(struct un_lan *lan, struct un_port *p);

/* Members for `show`: "leases" (with a DHCP server: mac, ip, hostname,
 * state, reserved, remaining seconds) and "router-port" (with a router:
 * its engine port's counters); @b is inside an object. */
void un_lan_describe(struct un_lan *lan, JsonBuilder *b);
/* Members for `stats`: un_router_stats (with a router), "mac-table" (the
 * switch's un_switch_counters), and "router-port" with the counters of
 * the router's engine port (frames the router's checks and fragment
 * reassembly dropped, from any NIC); @b is inside an object. */
void un_lan_stats(struct un_lan *lan, JsonBuilder *b);
/* "ip" for @p: the address the DHCP server leased (or offered) its MAC;
 * nothing when it holds none. */
void un_lan_describe_port(struct un_lan *lan, struct un_port *p,
			  JsonBuilder *b);

/* The engines, for show and tests; NULL when the LAN has none. */
struct un_router *un_lan_router(struct un_lan *lan);
struct un_dhcp *un_lan_dhcp(struct un_lan *lan);

#endif
