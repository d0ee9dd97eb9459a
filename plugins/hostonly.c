/* SPDX-License-Identifier: GPL-2.0-or-later */
/* hostonly.c - the "hostonly" kind (VirtualBox "Host-only"): a switch
 * shared by VMs plus a gateway that reaches the host's loopback and
 * nothing else, with the backend's DHCP server.
 * Owns: the host-only rules: defaults (192.168.56.0/24, gateway .1, DHCP
 * from .100, no DNS unless dns= names one), the filter in front of the
 * router, outbound sockets bound to loopback.
 * Not here: the wiring (backend/lan.c) or any engine.
 *
 * How it works: two walls. Frames the switch hands the router are dropped
 * and counted (filtered) unless they are ARP, or IP to the gateway (or the
 * DNS address when dns= is set), or IPv6 link-local/multicast (NDP); so a
 * guest's connection to any other address never reaches libslirp. Behind
 * that, libslirp binds its outbound sockets to 127.0.0.1 and ::1. */
#define G_LOG_DOMAIN "usernet-hostonly"

#include <gmodule.h>
#include <string.h>

#include "usernet/lan.h"
#include "usernet/network.h"
#include "usernet/switch.h"
#include "usernet/uplink.h"

#define HOSTONLY_NET "192.168.56.0/24"
#define HOSTONLY_DHCPSTART "192.168.56.100"
#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_ARP 0x0806
#define ETHERTYPE_IPV6 0x86dd

struct hostonly_network {
	struct un_network net; /* first: the backend allocates state_size */
	struct un_router_config rc;
	gboolean dns;          /* dns= was given: the DNS address is reachable */
	struct un_lan *lan;
};

static struct hostonly_network *hostonly_of(struct un_network *n)
{
	return container_of(n, struct hostonly_network, net);
}

static gboolean hostonly_ipv4_allowed(const struct hostonly_network *s,
				      const uint8_t *ip, size_t len)
{
	struct in_addr dst;

	if (len < 20)
		return FALSE;
	memcpy(&dst, ip + 16, sizeof(dst));
	return dst.s_addr == s->rc.host.s_addr ||
	       (s->dns && dst.s_addr == s->rc.dns.s_addr);
}

static gboolean hostonly_ipv6_allowed(const struct hostonly_network *s,
				      const uint8_t *ip, size_t len)
{
	const uint8_t *dst = ip + 24;

	if (len < 40)
		return FALSE;
	if (dst[0] == 0xff || (dst[0] == 0xfe && (dst[1] & 0xc0) == 0x80))
		return TRUE; /* multicast, link-local: NDP and the like */
	return memcmp(dst, &s->rc.host6, 16) == 0 ||
	       (s->dns && memcmp(dst, &s->rc.dns6, 16) == 0);
}

/* The first wall: only what is addressed to the gateway reaches slirp. */
static gboolean hostonly_filter(void *opaque, const struct un_frame *f)
{
	const struct hostonly_network *s = opaque;
	const uint8_t *l3 = f->data + UN_ETH_HEADER_BYTES;
	size_t l3_len = f->len - UN_ETH_HEADER_BYTES;

	switch (un_frame_ethertype(f)) {
	case ETHERTYPE_ARP:
		return TRUE;
	case ETHERTYPE_IPV4:
		return hostonly_ipv4_allowed(s, l3, l3_len);
	case ETHERTYPE_IPV6:
		return hostonly_ipv6_allowed(s, l3, l3_len);
	default:
		return FALSE;
	}
}

/* On a shared network a forward must say which guest it reaches. */
static gboolean hostonly_forwards_check(const struct un_router_config *rc,
					const struct un_config *c,
					GError **error)
{
	for (guint i = 0; i < rc->hostfwds->len; i++) {
		const struct un_hostfwd *fwd =
			&g_array_index(rc->hostfwds, struct un_hostfwd, i);

		if (fwd->guest.sin_addr.s_addr != 0)
			continue;
		un_config_error(c, error, "hostfwd",
				"'%s' has no guest address; on a shared network write it, e.g. tcp::2222-192.168.56.101:22",
				fwd->rule);
		return FALSE;
	}
	return TRUE;
}

/* @c with the host-only defaults added for keys it lacks, in @kf. */
static struct un_config hostonly_defaults(const struct un_config *c,
					  GKeyFile *kf)
{
	g_auto(GStrv) keys = g_key_file_get_keys(c->kf, c->group, NULL, NULL);

	for (char **k = keys; k && *k; k++) {
		g_autofree char *v = g_key_file_get_value(c->kf, c->group, *k, NULL);

		g_key_file_set_value(kf, c->group, *k, v);
	}
	if (!un_config_has(c, "net")) {
		g_key_file_set_value(kf, c->group, "net", HOSTONLY_NET);
		if (!un_config_has(c, "dhcpstart"))
			g_key_file_set_value(kf, c->group, "dhcpstart",
					     HOSTONLY_DHCPSTART);
	}
	return (struct un_config){ .kf = kf, .group = c->group,
				   .origin = c->origin };
}

static gboolean hostonly_create(struct un_network *n, const struct un_config *c,
				GError **error)
{
	struct hostonly_network *s = hostonly_of(n);
	g_autoptr(GKeyFile) kf = g_key_file_new();
	struct un_config hc = hostonly_defaults(c, kf);
	struct un_dhcp_net dhcp;
	struct un_lan_config lc = { .router = &s->rc, .filter = hostonly_filter,
				    .filter_opaque = s };

	if (!un_router_config_parse(&s->rc, &hc, n->mtu, error) ||
	    !un_router_config_parse_portfwd(&s->rc, &hc, error) ||
	    !hostonly_forwards_check(&s->rc, &hc, error))
		return FALSE;
	if (!un_config_has(c, "host"))
		s->rc.host.s_addr = s->rc.net.s_addr | (htonl(1) & ~s->rc.mask.s_addr);
	s->dns = un_config_has(c, "dns");
	s->rc.disable_dhcp = TRUE;
	s->rc.loopback_only = TRUE;
	dhcp = un_lan_dhcp_facts(&s->rc, n->mtu);
	if (!s->dns)
		dhcp.dns.s_addr = 0;
	if (s->rc.ipv4)
		lc.dhcp = &dhcp;
	s->lan = un_lan_new(n, &hc, &lc, error);
	return s->lan != NULL;
}

static gboolean hostonly_attach(struct un_network *n, struct un_port *p,
				GError **error)
{
	un_lan_attach(hostonly_of(n)->lan, p);
	return TRUE;
}

static void hostonly_input(struct un_network *n, struct un_port *from,
			   const struct un_frame *f)
{
	un_lan_input(hostonly_of(n)->lan, from, f);
}

static void hostonly_detach(struct un_network *n, struct un_port *p)
{
	un_lan_detach(hostonly_of(n)->lan, p);
}

static void hostonly_destroy(struct un_network *n)
{
	struct hostonly_network *s = hostonly_of(n);

	g_clear_pointer(&s->lan, un_lan_free);
	un_router_config_clear(&s->rc);
}

static void hostonly_describe(struct un_network *n, JsonBuilder *b)
{
	struct hostonly_network *s = hostonly_of(n);
	struct un_router_config view = s->rc; /* shallow: for reading */

	if (!s->dns)
		view.dns.s_addr = 0; /* no DNS unless dns= names one */
	un_router_describe(un_lan_router(s->lan), &view, b);
	un_lan_describe(s->lan, b);
}

static void hostonly_describe_port(struct un_network *n, struct un_port *p,
				   JsonBuilder *b)
{
	un_lan_describe_port(hostonly_of(n)->lan, p, b);
}

static gboolean hostonly_fwd_add(struct un_network *n, const char *rule,
				 GError **error)
{
	struct hostonly_network *s = hostonly_of(n);

	return un_router_fwd_add_shared(un_lan_router(s->lan), &s->rc, rule, error);
}

static gboolean hostonly_fwd_remove(struct un_network *n,
				    const char *rule_or_name, GError **error)
{
	return un_router_fwd_remove(un_lan_router(hostonly_of(n)->lan),
				    rule_or_name, error);
}

static void hostonly_fwd_list(struct un_network *n, JsonBuilder *b)
{
	un_router_fwd_list(un_lan_router(hostonly_of(n)->lan), b);
}

static void hostonly_stats(struct un_network *n, JsonBuilder *b)
{
	un_lan_stats(hostonly_of(n)->lan, b);
}

static const char *const hostonly_keys[] = { UN_ROUTER_KEYS, UN_PORTFWD_KEYS,
					     UN_SWITCH_KEYS,
					     UN_DHCP_KEYS, UN_UPLINK_KEYS, NULL };

G_MODULE_EXPORT const struct un_kind_ops un_kind_entry = {
	.abi = UN_KIND_ABI,
	.name = "hostonly",
	.summary = "a switch shared by VMs with a gateway to the host's loopback only",
	.state_size = sizeof(struct hostonly_network),
	.keys = hostonly_keys,
	.create = hostonly_create,
	.attach = hostonly_attach,
	.input = hostonly_input,
	.detach = hostonly_detach,
	.destroy = hostonly_destroy,
	.describe = hostonly_describe,
	.describe_port = hostonly_describe_port,
	.fwd_add = hostonly_fwd_add,
	.fwd_remove = hostonly_fwd_remove,
	.fwd_list = hostonly_fwd_list,
	.stats = hostonly_stats,
};
