/* SPDX-License-Identifier: GPL-2.0-or-later */
/* lan.c - one switch, an optional router and an optional DHCP server,
 * wired the way every switched kind needs them.
 * Owns: the engine port of the router and the order a frame meets the
 * engines. Not here: any engine's behaviour or a kind's options.
 *
 * How it works: a frame from a NIC is first offered to the DHCP server
 * (libslirp's own is off on switched networks: it stops at 16 leases);
 * what it does not take goes to the switch, which delivers it to other
 * NICs or to the router's engine port. There the kind's filter may drop
 * it (hostonly); the rest enters libslirp. The router's frames enter the
 * switch from the same engine port. */
#define G_LOG_DOMAIN "usernet-lan"

#include "usernet/lan.h"

#include <arpa/inet.h>

#include "capture.h"
#include "ratelimit.h"
#include "usernet/switch.h"
#include "usernet/uplink.h"

/* Say "another DHCP server answers here" at most this often per network. */
#define LAN_DHCP_WARN_INTERVAL_US (60 * G_USEC_PER_SEC)

struct un_lan {
	struct un_network *net;
	struct un_switch *sw;
	struct un_router *router;
	struct un_port *router_port; /* the router's engine port on sw */
	un_lan_router_filter_fn filter;
	void *filter_opaque;
	struct un_dhcp *dhcp;
	struct un_uplinks *uplinks; /* their ports are on sw */
	struct un_ratelimit dhcp_log; /* foreign-DHCP warnings */
};

struct un_dhcp_net un_lan_dhcp_facts(const struct un_router_config *rc,
				     guint mtu)
{
	return (struct un_dhcp_net){
		.net = rc->net,
		.mask = rc->mask,
		.server = rc->host,
		.router = rc->host,
		.dns = rc->dns,
		.start = rc->dhcp_start,
		.domain = rc->domainname,
		.dnssearch = (const char *const *)rc->dnssearch,
		.mtu = mtu,
	};
}

/* The NIC a frame for the router came in on: where its source MAC was just
 * learnt (the switch learns before it forwards), else the router's port.
 * Drops and fragment budgets then belong to the guest that caused them. */
static struct un_port *lan_ingress(struct un_lan *lan, const struct un_frame *f)
{
	struct un_port *p = un_switch_lookup(lan->sw, un_frame_src(f));

	return p ? p : lan->router_port;
}

static void lan_to_router(void *opaque, const struct un_frame *f)
{
	struct un_lan *lan = opaque;
	struct un_port *from = lan_ingress(lan, f);

	if (lan->filter && !lan->filter(lan->filter_opaque, f)) {
		un_port_drop(from, UN_DROP_FILTERED);
		return;
	}
	un_router_input(lan->router, from, f);
}

static void lan_from_router(void *opaque, const struct un_frame *f)
{
	struct un_lan *lan = opaque;
	const void *saved = un_capture_engine_begin(lan->net, f);

	un_switch_engine_input(lan->sw, lan->router_port, f);
	un_capture_engine_done(lan->net, saved);
}

static gboolean lan_dhcp_create(struct un_lan *lan, struct un_network *n,
				const struct un_config *c,
				const struct un_dhcp_net *facts, GError **error)
{
	struct un_dhcp_config dc = { 0 };
	gboolean ok = un_dhcp_config_parse(&dc, c, facts, error);

	if (ok)
		lan->dhcp = un_dhcp_new(&dc, n->name);
	un_dhcp_config_clear(&dc);
	return ok;
}

static gboolean lan_router_create(struct un_lan *lan, struct un_network *n,
				  const struct un_lan_config *lc, GError **error)
{
	g_autofree char *name = g_strdup_printf("%s/router", n->name);

	lan->filter = lc->filter;
	lan->filter_opaque = lc->filter_opaque;
	lan->router_port = un_engine_port_new(name, lan_to_router, lan);
	un_switch_add_port(lan->sw, lan->router_port);
	lan->router = un_router_new(lc->router, n->name, lan_from_router, lan,
				    error);
	return lan->router != NULL;
}

struct un_lan *un_lan_new(struct un_network *n, const struct un_config *c,
			  const struct un_lan_config *lc, GError **error)
{
	struct un_switch_config sc;
	struct un_lan *lan;

	if (!un_switch_config_parse(&sc, c, error))
		return NULL;
	lan = g_new0(struct un_lan, 1);
	lan->net = n;
	lan->sw = un_switch_new(&sc, n->name);
	if ((lc->dhcp && !lan_dhcp_create(lan, n, c, lc->dhcp, error)) ||
	    (lc->router && !lan_router_create(lan, n, lc, error)) ||
	    !(lan->uplinks = un_uplinks_new(n, c, lan->sw, error))) {
		un_lan_free(lan);
		return NULL;
	}
	return lan;
}

void un_lan_free(struct un_lan *lan)
{
	if (!lan)
		return;
	g_clear_pointer(&lan->uplinks, un_uplinks_free);
	g_clear_pointer(&lan->router, un_router_free);
	if (lan->router_port) {
		un_switch_remove_port(lan->sw, lan->router_port);
		g_clear_pointer(&lan->router_port, un_engine_port_free);
	}
	g_clear_pointer(&lan->sw, un_switch_free);
	g_clear_pointer(&lan->dhcp, un_dhcp_free);
	g_free(lan);
}

void un_lan_attach(struct un_lan *lan, struct un_port *p)
{
	un_switch_add_port(lan->sw, p);
}

/* A BOOTP reply (UDP from port 67, op 2) in a whole IPv4 datagram. */
static gboolean lan_is_dhcp_reply(const struct un_frame *f)
{
	const uint8_t *ip = f->data + UN_ETH_HEADER_BYTES;
	size_t ihl;

	if (f->len < UN_ETH_HEADER_BYTES + 20 || un_frame_ethertype(f) != 0x0800 ||
	    ip[0] >> 4 != 4 || ip[9] != IPPROTO_UDP || (ip[6] & 0x3f) || ip[7])
		return FALSE;
	ihl = (size_t)(ip[0] & 0xfu) * 4;
	if (ihl < 20 || f->len < UN_ETH_HEADER_BYTES + ihl + 8 + 1)
		return FALSE;
	return ip[ihl] == 0 && ip[ihl + 1] == 67 && ip[ihl + 8] == 2;
}

/* Our DHCP server answers in front of the switch, never through a port:
 * a reply entering from a port comes from another server on the segment
 * (a second natnet's across an uplink). Warned at most once a minute. */
static void lan_foreign_dhcp(struct un_lan *lan, struct un_port *from,
			     const struct un_frame *f)
{
	const uint8_t *ip = f->data + UN_ETH_HEADER_BYTES;

	if (!lan_is_dhcp_reply(f) ||
	    !un_ratelimit_pass(&lan->dhcp_log, LAN_DHCP_WARN_INTERVAL_US,
			       g_get_monotonic_time(), NULL))
		return;
	g_warning("network '%s': another DHCP server answers on this segment "
		  "(%u.%u.%u.%u, through %s); two servers hand out clashing "
		  "leases: set dhcp=off on all networks of the segment but one",
		  lan->net->name, ip[12], ip[13], ip[14], ip[15], from->name);
}

void un_lan_input(struct un_lan *lan, struct un_port *from,
		  const struct un_frame *f)
{
	if (lan->dhcp)
		lan_foreign_dhcp(lan, from, f);
	if (lan->dhcp && un_dhcp_input(lan->dhcp, from, f))
		return;
	un_switch_input(lan->sw, from, f);
}

void un_lan_detach(struct un_lan *lan, struct un_port *p)
{
	un_switch_remove_port(lan->sw, p);
	if (lan->router)
		un_router_forget_port(lan->router, p);
}

struct un_router *un_lan_router(struct un_lan *lan)
{
	return lan->router;
}

struct un_dhcp *un_lan_dhcp(struct un_lan *lan)
{
	return lan->dhcp;
}

/* ---- show ---------------------------------------------------------------- */

static void lan_lease_describe(const struct un_dhcp_lease *l, JsonBuilder *b)
{
	char ip[INET_ADDRSTRLEN];
	g_autofree char *mac = g_strdup_printf(
		"%02x:%02x:%02x:%02x:%02x:%02x", l->mac[0], l->mac[1],
		l->mac[2], l->mac[3], l->mac[4], l->mac[5]);

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "mac");
	json_builder_add_string_value(b, mac);
	json_builder_set_member_name(b, "ip");
	json_builder_add_string_value(b, inet_ntop(AF_INET, &l->ip, ip, sizeof(ip)));
	if (l->hostname) {
		json_builder_set_member_name(b, "hostname");
		json_builder_add_string_value(b, l->hostname);
	}
	json_builder_set_member_name(b, "state");
	json_builder_add_string_value(b, un_dhcp_lease_state_names[l->state]);
	json_builder_set_member_name(b, "reserved");
	json_builder_add_boolean_value(b, l->reserved);
	json_builder_set_member_name(b, "remaining");
	json_builder_add_int_value(b, MAX(l->remaining_s, 0));
	json_builder_end_object(b);
}

static void lan_leases_describe(struct un_dhcp *dhcp, JsonBuilder *b)
{
	g_autoptr(GArray) leases = un_dhcp_leases(dhcp);

	json_builder_set_member_name(b, "leases");
	json_builder_begin_array(b);
	for (guint i = 0; i < leases->len; i++)
		lan_lease_describe(&g_array_index(leases, struct un_dhcp_lease, i), b);
	json_builder_end_array(b);
}

/* The router's engine port, as the switch counts it. */
static void lan_router_port_describe(const struct un_port *p, JsonBuilder *b)
{
	const struct un_port_counters *c = &p->counters;

	json_builder_set_member_name(b, "router-port");
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "name");
	json_builder_add_string_value(b, p->name);
	un_port_counters_describe(c, b);
	json_builder_end_object(b);
}

void un_lan_describe(struct un_lan *lan, JsonBuilder *b)
{
	if (lan->dhcp)
		lan_leases_describe(lan->dhcp, b);
	if (lan->router_port)
		lan_router_port_describe(lan->router_port, b);
	un_uplinks_describe(lan->uplinks, b);
}

/* "mac-table": entries, its cap, floods to unknown MACs, MACs not learnt. */
static void lan_mac_table_describe(const struct un_switch *sw, JsonBuilder *b)
{
	struct un_switch_counters c = un_switch_counters(sw);

	json_builder_set_member_name(b, "mac-table");
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "entries");
	json_builder_add_int_value(b, c.entries);
	json_builder_set_member_name(b, "max");
	json_builder_add_int_value(b, c.table_max);
	json_builder_set_member_name(b, "unknown-unicast-flooded");
	json_builder_add_int_value(b, (gint64)c.flooded);
	json_builder_set_member_name(b, "not-learnt");
	json_builder_add_int_value(b, (gint64)c.not_learnt);
	json_builder_end_object(b);
}

void un_lan_stats(struct un_lan *lan, JsonBuilder *b)
{
	if (lan->router)
		un_router_stats(lan->router, b);
	lan_mac_table_describe(lan->sw, b);
	if (lan->router_port)
		lan_router_port_describe(lan->router_port, b);
}

void un_lan_describe_port(struct un_lan *lan, struct un_port *p,
			  JsonBuilder *b)
{
	struct un_dhcp_lease l;
	char ip[INET_ADDRSTRLEN];

	if (!lan->dhcp || !p->mac_known || !un_dhcp_lookup(lan->dhcp, p->mac, &l))
		return;
	if (l.state == UN_DHCP_LEASE_BOUND || l.state == UN_DHCP_LEASE_OFFERED) {
		json_builder_set_member_name(b, "ip");
		json_builder_add_string_value(b, inet_ntop(AF_INET, &l.ip, ip, sizeof(ip)));
	}
	un_dhcp_lease_clear(&l);
}
