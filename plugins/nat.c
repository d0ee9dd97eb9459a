/* SPDX-License-Identifier: GPL-2.0-or-later */
/* nat.c - the "nat" kind: one private NAT router for one NIC, as QEMU's
 * -netdev user gives each NIC (VirtualBox "NAT").
 * Owns: the one-NIC rule and wiring that NIC to its router.
 * Not here: the router itself (backend/slirp_glue.c) or its options
 * (backend/router_config.c).
 *
 * How it works: the router is built at create and lives as long as the
 * network, so forwards stay bound and a NIC that re-attaches (QEMU
 * restarted) finds the same network. A second NIC is refused while one is
 * attached. Frames from the router with no NIC attached are dropped.
 * libslirp leases the NIC's address itself, so for `show` nat learns it
 * from the DHCP ACKs the router sends and the ARP the guest sends. */
#define G_LOG_DOMAIN "usernet-nat"

#include <arpa/inet.h>
#include <gmodule.h>

#include "usernet/error.h"
#include "usernet/guest_addr.h"
#include "usernet/network.h"
#include "usernet/router.h"

struct nat_network {
	struct un_network net; /* first: the backend allocates state_size */
	struct un_router_config rc;
	struct un_router *router;
	struct un_port *nic; /* the attached NIC, or NULL */
	struct in_addr nic_ip; /* its address as learnt, 0 while unknown */
};

static struct nat_network *nat_of(struct un_network *n)
{
	return container_of(n, struct nat_network, net);
}

static void nat_output(void *opaque, const struct un_frame *f)
{
	struct nat_network *s = opaque;
	struct in_addr ip;

	if (!s->nic)
		return;
	if (un_guest_addr_from_router(f, &ip))
		s->nic_ip = ip;
	un_port_send(s->nic, f);
}

static gboolean nat_create(struct un_network *n, const struct un_config *c,
			   GError **error)
{
	struct nat_network *s = nat_of(n);

	if (!un_router_config_parse(&s->rc, c, n->mtu, error))
		return FALSE;
	s->router = un_router_new(&s->rc, n->name, nat_output, s, error);
	return s->router != NULL;
}

static gboolean nat_attach(struct un_network *n, struct un_port *p,
			   GError **error)
{
	struct nat_network *s = nat_of(n);

	if (s->nic) {
		g_set_error(error, UN_ERROR, UN_ERROR_REFUSED,
			    "a nat network serves one NIC and %s is attached; "
			    "use a natnet network to share a router between NICs",
			    s->nic->name);
		return FALSE;
	}
	s->nic = p;
	s->nic_ip.s_addr = 0;
	return TRUE;
}

static void nat_input(struct un_network *n, struct un_port *from,
		      const struct un_frame *f)
{
	struct nat_network *s = nat_of(n);
	struct in_addr ip;

	if (un_guest_addr_from_guest(f, &ip))
		s->nic_ip = ip;
	un_router_input(s->router, from, f);
}

static void nat_detach(struct un_network *n, struct un_port *p)
{
	struct nat_network *s = nat_of(n);

	un_router_forget_port(s->router, p);
	if (s->nic == p) {
		s->nic = NULL;
		s->nic_ip.s_addr = 0;
	}
}

static void nat_destroy(struct un_network *n)
{
	struct nat_network *s = nat_of(n);

	g_clear_pointer(&s->router, un_router_free);
	un_router_config_clear(&s->rc);
}

static void nat_describe(struct un_network *n, JsonBuilder *b)
{
	struct nat_network *s = nat_of(n);

	un_router_describe(s->router, &s->rc, b);
}

static void nat_describe_port(struct un_network *n, struct un_port *p,
			      JsonBuilder *b)
{
	struct nat_network *s = nat_of(n);
	char ip[INET_ADDRSTRLEN];

	if (p != s->nic || !s->nic_ip.s_addr)
		return;
	json_builder_set_member_name(b, "ip");
	json_builder_add_string_value(b, inet_ntop(AF_INET, &s->nic_ip, ip, sizeof(ip)));
}

static gboolean nat_fwd_add(struct un_network *n, const char *rule,
			    GError **error)
{
	return un_router_fwd_add(nat_of(n)->router, rule, error);
}

static gboolean nat_fwd_remove(struct un_network *n, const char *rule,
			       GError **error)
{
	return un_router_fwd_remove(nat_of(n)->router, rule, error);
}

static void nat_fwd_list(struct un_network *n, JsonBuilder *b)
{
	un_router_fwd_list(nat_of(n)->router, b);
}

static void nat_stats(struct un_network *n, JsonBuilder *b)
{
	un_router_stats(nat_of(n)->router, b);
}

static const char *const nat_keys[] = { UN_ROUTER_KEYS, NULL };

G_MODULE_EXPORT const struct un_kind_ops un_kind_entry = {
	.abi = UN_KIND_ABI,
	.name = "nat",
	.summary = "a private NAT router (libslirp) for one NIC, as -netdev user",
	.state_size = sizeof(struct nat_network),
	.keys = nat_keys,
	.create = nat_create,
	.attach = nat_attach,
	.input = nat_input,
	.detach = nat_detach,
	.destroy = nat_destroy,
	.describe = nat_describe,
	.describe_port = nat_describe_port,
	.fwd_add = nat_fwd_add,
	.fwd_remove = nat_fwd_remove,
	.fwd_list = nat_fwd_list,
	.stats = nat_stats,
};
