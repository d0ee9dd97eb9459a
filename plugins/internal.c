/* SPDX-License-Identifier: GPL-2.0-or-later */
/* internal.c - the "internal" kind: a switch between NICs and nothing
 * else (VirtualBox "Internal network"): no router, no host, no outside.
 * Owns: the internal rules: no router keys at all, DHCP only when asked
 * for with a range. Not here: the wiring (backend/lan.c), forwarding and
 * the MAC table (backend/switch.c), leases (backend/dhcp.c).
 *
 * How it works: every NIC joins one switch; with exactly two the switch is
 * a plain wire. With dhcp=on (and dhcpstart= or dhcp-range=) the backend's
 * DHCP server answers on the subnet given by net= (default 10.0.2.0/24)
 * from the subnet's .2 address, answering ARP for it itself; it hands out
 * no router and no DNS, since there are none. */
#define G_LOG_DOMAIN "usernet-internal"

#include <gmodule.h>

#include "usernet/lan.h"
#include "usernet/network.h"
#include "usernet/switch.h"
#include "usernet/uplink.h"

struct internal_network {
	struct un_network net; /* first: the backend allocates state_size */
	struct un_router_config rc; /* only net= is read, for DHCP */
	gboolean dhcp;              /* dhcp=on */
	struct un_lan *lan;
};

static struct internal_network *internal_of(struct un_network *n)
{
	return container_of(n, struct internal_network, net);
}

/* DHCP facts when dhcp=on: FALSE with @error when it is on without a range. */
static gboolean internal_dhcp(struct internal_network *s,
			      const struct un_config *c, gboolean *on,
			      struct un_dhcp_net *facts, GError **error)
{
	if (!un_config_bool(c, "dhcp", FALSE, on, error))
		return FALSE;
	if (!*on) {
		if (!un_config_has(c, "dhcp-range") && !un_config_has(c, "dhcpstart") &&
		    !un_config_has(c, "dhcp-host") && !un_config_has(c, "net"))
			return TRUE;
		un_config_error(c, error, "dhcp",
				"is off, so net= and the dhcp keys do nothing; add dhcp=on or drop them");
		return FALSE;
	}
	if (!un_config_has(c, "dhcp-range") && !un_config_has(c, "dhcpstart")) {
		un_config_error(c, error, "dhcp",
				"on needs a range: add dhcp-range=FIRST-LAST (or dhcpstart=FIRST)");
		return FALSE;
	}
	if (!un_router_config_parse(&s->rc, c, s->net.mtu, error))
		return FALSE;
	*facts = un_lan_dhcp_facts(&s->rc, s->net.mtu);
	facts->router.s_addr = 0;
	facts->dns.s_addr = 0;
	facts->answer_arp = TRUE;
	return TRUE;
}

static gboolean internal_create(struct un_network *n, const struct un_config *c,
				GError **error)
{
	struct internal_network *s = internal_of(n);
	struct un_dhcp_net facts;
	struct un_lan_config lc = { 0 };
	gboolean dhcp;

	if (!internal_dhcp(s, c, &dhcp, &facts, error))
		return FALSE;
	s->dhcp = dhcp;
	if (dhcp)
		lc.dhcp = &facts;
	s->lan = un_lan_new(n, c, &lc, error);
	return s->lan != NULL;
}

static gboolean internal_attach(struct un_network *n, struct un_port *p,
				GError **error)
{
	un_lan_attach(internal_of(n)->lan, p);
	return TRUE;
}

static void internal_input(struct un_network *n, struct un_port *from,
			   const struct un_frame *f)
{
	un_lan_input(internal_of(n)->lan, from, f);
}

static void internal_detach(struct un_network *n, struct un_port *p)
{
	un_lan_detach(internal_of(n)->lan, p);
}

static void internal_destroy(struct un_network *n)
{
	struct internal_network *s = internal_of(n);

	g_clear_pointer(&s->lan, un_lan_free);
	un_router_config_clear(&s->rc);
}

/* "subnet" and the DHCP server's "leases" when dhcp=on; no router. */
static void internal_describe(struct un_network *n, JsonBuilder *b)
{
	struct internal_network *s = internal_of(n);
	g_autofree char *subnet = NULL;

	json_builder_set_member_name(b, "options");
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "dhcp");
	json_builder_add_boolean_value(b, s->dhcp);
	json_builder_end_object(b);
	un_lan_describe(s->lan, b); /* uplinks; leases when dhcp=on */
	if (!s->dhcp)
		return;
	subnet = un_router_config_subnet(&s->rc);
	json_builder_set_member_name(b, "subnet");
	json_builder_add_string_value(b, subnet);
}

static void internal_describe_port(struct un_network *n, struct un_port *p,
				   JsonBuilder *b)
{
	un_lan_describe_port(internal_of(n)->lan, p, b);
}

static void internal_stats(struct un_network *n, JsonBuilder *b)
{
	un_lan_stats(internal_of(n)->lan, b);
}

static const char *const internal_keys[] = { UN_SWITCH_KEYS, "dhcp", "net",
					     UN_DHCP_KEYS, UN_UPLINK_KEYS, NULL };

G_MODULE_EXPORT const struct un_kind_ops un_kind_entry = {
	.abi = UN_KIND_ABI,
	.name = "internal",
	.summary = "a switch between NICs only (no router, no host), "
		   "as VirtualBox's internal network",
	.state_size = sizeof(struct internal_network),
	.keys = internal_keys,
	.create = internal_create,
	.attach = internal_attach,
	.input = internal_input,
	.detach = internal_detach,
	.destroy = internal_destroy,
	.describe = internal_describe,
	.describe_port = internal_describe_port,
	.stats = internal_stats,
};
