/* SPDX-License-Identifier: GPL-2.0-or-later */
/* internal.c - the "internal" kind: a switch between NICs and nothing
 * else (VirtualBox "Internal network"): no router, no host, no outside.
 * Owns: reading its keys and wiring every NIC to one switch.
 * Not here: forwarding, the MAC table and its limits (backend/switch.c).
 *
 * How it works: the switch is built at create and lives as long as the
 * network; attach adds a NIC, detach removes it (and its MACs). Any number
 * of NICs may join; with exactly two the switch is a plain wire. Guests
 * need static addresses: DHCP here needs a dhcp-range and the DHCP server
 * for switched networks, which this build does not have, so dhcp=on is
 * refused at start. */
#define G_LOG_DOMAIN "usernet-internal"

#include <gmodule.h>

#include "usernet/error.h"
#include "usernet/network.h"
#include "usernet/switch.h"

struct internal_network {
	struct un_network net; /* first: the backend allocates state_size */
	struct un_switch *sw;
};

static struct internal_network *internal_of(struct un_network *n)
{
	return container_of(n, struct internal_network, net);
}

static gboolean internal_dhcp_check(const struct un_config *c, GError **error)
{
	gboolean dhcp;

	if (!un_config_bool(c, "dhcp", FALSE, &dhcp, error))
		return FALSE;
	if (dhcp) {
		un_config_error(c, error, "dhcp",
				"on needs dhcp-range=FIRST-LAST, and DHCP on "
				"internal networks is not available yet; give "
				"the guests static addresses and leave dhcp off");
		return FALSE;
	}
	return TRUE;
}

static gboolean internal_create(struct un_network *n, const struct un_config *c,
				GError **error)
{
	struct internal_network *s = internal_of(n);
	struct un_switch_config sc;

	if (!internal_dhcp_check(c, error) ||
	    !un_switch_config_parse(&sc, c, error))
		return FALSE;
	s->sw = un_switch_new(&sc, n->name);
	return TRUE;
}

static gboolean internal_attach(struct un_network *n, struct un_port *p,
				GError **error)
{
	un_switch_add_port(internal_of(n)->sw, p);
	return TRUE;
}

static void internal_input(struct un_network *n, struct un_port *from,
			   const struct un_frame *f)
{
	un_switch_input(internal_of(n)->sw, from, f);
}

static void internal_detach(struct un_network *n, struct un_port *p)
{
	un_switch_remove_port(internal_of(n)->sw, p);
}

static void internal_destroy(struct un_network *n)
{
	g_clear_pointer(&internal_of(n)->sw, un_switch_free);
}

static const char *const internal_keys[] = { UN_SWITCH_KEYS, "dhcp", NULL };

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
};
