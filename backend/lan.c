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
#include "usernet/switch.h"

struct un_lan {
	struct un_switch *sw;
	struct un_router *router;
	struct un_port *router_port; /* the router's engine port on sw */
	un_lan_router_filter_fn filter;
	void *filter_opaque;
	struct un_dhcp *dhcp;
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

static void lan_to_router(void *opaque, const struct un_frame *f)
{
	struct un_lan *lan = opaque;

	if (lan->filter && !lan->filter(lan->filter_opaque, f)) {
		un_port_drop(lan->router_port, UN_DROP_FILTERED);
		return;
	}
	un_router_input(lan->router, lan->router_port, f);
}

static void lan_from_router(void *opaque, const struct un_frame *f)
{
	struct un_lan *lan = opaque;

	un_switch_engine_input(lan->sw, lan->router_port, f);
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
	lan->sw = un_switch_new(&sc, n->name);
	if ((lc->dhcp && !lan_dhcp_create(lan, n, c, lc->dhcp, error)) ||
	    (lc->router && !lan_router_create(lan, n, lc, error))) {
		un_lan_free(lan);
		return NULL;
	}
	return lan;
}

void un_lan_free(struct un_lan *lan)
{
	if (!lan)
		return;
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

void un_lan_input(struct un_lan *lan, struct un_port *from,
		  const struct un_frame *f)
{
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
