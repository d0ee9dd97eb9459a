/* SPDX-License-Identifier: GPL-2.0-or-later */
/* natnet.c - the "natnet" kind (VirtualBox "NAT Network"): a switch shared
 * by any number of NICs, one NAT router on it, and the backend's DHCP
 * server in front of it.
 * Owns: the natnet rules: the router's options as on nat, forwards that
 * name their guest, DHCP from the router's address.
 * Not here: the wiring (backend/lan.c) or any engine. */
#define G_LOG_DOMAIN "usernet-natnet"

#include <gmodule.h>

#include "usernet/lan.h"
#include "usernet/network.h"
#include "usernet/error.h"
#include "usernet/switch.h"
#include "usernet/uplink.h"

struct natnet_network {
	struct un_network net; /* first: the backend allocates state_size */
	struct un_router_config rc;
	gboolean router;       /* router=on (default) */
	gboolean dhcp;         /* dhcp=on (default) */
	struct un_lan *lan;
};

static struct natnet_network *natnet_of(struct un_network *n)
{
	return container_of(n, struct natnet_network, net);
}

/* On a shared network a forward must say which guest it reaches. */
static gboolean natnet_forwards_check(const struct un_router_config *rc,
				      const struct un_config *c, GError **error)
{
	for (guint i = 0; rc->hostfwds && i < rc->hostfwds->len; i++) {
		const struct un_hostfwd *fwd =
			&g_array_index(rc->hostfwds, struct un_hostfwd, i);

		if (fwd->guest.sin_addr.s_addr != 0)
			continue;
		un_config_error(c, error, "hostfwd",
				"'%s' has no guest address; on a shared network write it, e.g. tcp::2222-10.0.2.15:22",
				fwd->rule);
		return FALSE;
	}
	return TRUE;
}

/* router=off and dhcp=off: the far side of a segment (joined by an
 * uplink) whose router and DHCP server live on another natnet. */
static gboolean natnet_engines(struct natnet_network *s,
			       const struct un_config *c, GError **error)
{
	if (!un_config_bool(c, "router", TRUE, &s->router, error) ||
	    !un_config_bool(c, "dhcp", TRUE, &s->dhcp, error))
		return FALSE;
	if (!s->router && (un_config_has(c, "hostfwd") || un_config_has(c, "guestfwd") ||
			   un_config_has(c, "portfwd"))) {
		un_config_error(c, error, "router",
				"is off, so forwards have no router to live on; drop hostfwd, guestfwd and portfwd, or set router=on");
		return FALSE;
	}
	return TRUE;
}

static gboolean natnet_create(struct un_network *n, const struct un_config *c,
			      GError **error)
{
	struct natnet_network *s = natnet_of(n);
	struct un_dhcp_net dhcp;
	struct un_lan_config lc = { .router = &s->rc };

	if (!natnet_engines(s, c, error) ||
	    !un_router_config_parse(&s->rc, c, n->mtu, error) ||
	    !un_router_config_parse_portfwd(&s->rc, c, error) ||
	    !natnet_forwards_check(&s->rc, c, error))
		return FALSE;
	s->rc.disable_dhcp = TRUE;
	dhcp = un_lan_dhcp_facts(&s->rc, n->mtu);
	if (s->rc.ipv4 && s->dhcp)
		lc.dhcp = &dhcp;
	if (!s->router)
		lc.router = NULL;
	s->lan = un_lan_new(n, c, &lc, error);
	return s->lan != NULL;
}

static gboolean natnet_attach(struct un_network *n, struct un_port *p,
			      GError **error)
{
	un_lan_attach(natnet_of(n)->lan, p);
	return TRUE;
}

static void natnet_input(struct un_network *n, struct un_port *from,
			 const struct un_frame *f)
{
	un_lan_input(natnet_of(n)->lan, from, f);
}

static void natnet_detach(struct un_network *n, struct un_port *p)
{
	un_lan_detach(natnet_of(n)->lan, p);
}

static void natnet_destroy(struct un_network *n)
{
	struct natnet_network *s = natnet_of(n);

	g_clear_pointer(&s->lan, un_lan_free);
	un_router_config_clear(&s->rc);
}

static void natnet_describe(struct un_network *n, JsonBuilder *b)
{
	struct natnet_network *s = natnet_of(n);

	un_router_describe(un_lan_router(s->lan), &s->rc, b);
	un_lan_describe(s->lan, b);
}

static void natnet_describe_port(struct un_network *n, struct un_port *p,
				 JsonBuilder *b)
{
	un_lan_describe_port(natnet_of(n)->lan, p, b);
}

/* The router, or NULL with @error when router=off. */
static struct un_router *natnet_router(struct un_network *n, GError **error)
{
	struct un_router *r = un_lan_router(natnet_of(n)->lan);

	if (!r)
		g_set_error(error, UN_ERROR, UN_ERROR_REFUSED,
			    "network '%s' has router=off: no forwards here", n->name);
	return r;
}

static gboolean natnet_fwd_add(struct un_network *n, const char *rule,
			       GError **error)
{
	struct un_router *r = natnet_router(n, error);

	return r && un_router_fwd_add_shared(r, &natnet_of(n)->rc, rule, error);
}

static gboolean natnet_fwd_remove(struct un_network *n, const char *rule_or_name,
				  GError **error)
{
	struct un_router *r = natnet_router(n, error);

	return r && un_router_fwd_remove(r, rule_or_name, error);
}

static void natnet_fwd_list(struct un_network *n, JsonBuilder *b)
{
	struct un_router *r = un_lan_router(natnet_of(n)->lan);

	if (r)
		un_router_fwd_list(r, b);
}

static void natnet_stats(struct un_network *n, JsonBuilder *b)
{
	un_lan_stats(natnet_of(n)->lan, b);
}

static const char *const natnet_keys[] = { UN_ROUTER_KEYS, UN_PORTFWD_KEYS,
					   UN_SWITCH_KEYS, UN_DHCP_KEYS,
					   UN_UPLINK_KEYS, "router", "dhcp", NULL };

G_MODULE_EXPORT const struct un_kind_ops un_kind_entry = {
	.abi = UN_KIND_ABI,
	.name = "natnet",
	.summary = "a switch shared by many NICs with one NAT router and DHCP",
	.state_size = sizeof(struct natnet_network),
	.keys = natnet_keys,
	.create = natnet_create,
	.attach = natnet_attach,
	.input = natnet_input,
	.detach = natnet_detach,
	.destroy = natnet_destroy,
	.describe = natnet_describe,
	.describe_port = natnet_describe_port,
	.fwd_add = natnet_fwd_add,
	.fwd_remove = natnet_fwd_remove,
	.fwd_list = natnet_fwd_list,
	.stats = natnet_stats,
};
