/* SPDX-License-Identifier: GPL-2.0-or-later */
/* router_control.c - a router at run time: forwards added and removed by
 * rule or by name, and what `show` says about a router.
 * Owns: choosing between QEMU's and VirtualBox's rule syntax, the
 * guest-address rule of shared networks, the JSON a router describes
 * itself with. Not here: binding (slirp_glue.c), rule syntax
 * (router_config.c), the control socket (control_fwd.c). */
#define G_LOG_DOMAIN "usernet-router"

#include <arpa/inet.h>
#include <string.h>

#include "frame.h"
#include "usernet/error.h"
#include "usernet/router.h"

/* VirtualBox's rules have five ':' outside brackets; QEMU's at most three
 * (tcp:[::1]:8022-10.0.2.15:22 has its IPv6 colons inside brackets). */
static gboolean fwd_is_portfwd(const char *rule)
{
	guint colons = 0, depth = 0;

	for (const char *s = rule; *s; s++) {
		if (*s == '[')
			depth++;
		else if (*s == ']' && depth)
			depth--;
		else if (*s == ':' && !depth)
			colons++;
	}
	return colons >= 5;
}

static gboolean fwd_parse_any(const char *rule, struct un_hostfwd *out,
			      GError **error)
{
	return fwd_is_portfwd(rule) ? un_portfwd_parse(rule, out, error)
				    : un_hostfwd_parse(rule, out, error);
}

static gboolean fwd_bind(struct un_router *r, struct un_hostfwd *fwd,
			 GError **error)
{
	gboolean ok = un_router_add_hostfwd(r, fwd, error);

	un_hostfwd_clear(fwd);
	return ok;
}

gboolean un_router_fwd_add(struct un_router *r, const char *rule,
			   GError **error)
{
	struct un_hostfwd fwd;

	if (!un_hostfwd_parse(rule, &fwd, error))
		return FALSE;
	return fwd_bind(r, &fwd, error);
}

gboolean un_router_fwd_add_shared(struct un_router *r,
				  const struct un_router_config *rc,
				  const char *rule, GError **error)
{
	struct un_hostfwd fwd;
	char ip[INET_ADDRSTRLEN];

	if (!fwd_parse_any(rule, &fwd, error))
		return FALSE;
	if (fwd.guest.sin_addr.s_addr == 0) {
		g_set_error(error, UN_ERROR, UN_ERROR_CONFIG,
			    "'%s' has no guest address; on a shared network write it, e.g. tcp::2222-%s:22",
			    rule, inet_ntop(AF_INET, &rc->dhcp_start, ip, sizeof(ip)));
		un_hostfwd_clear(&fwd);
		return FALSE;
	}
	return fwd_bind(r, &fwd, error);
}

gboolean un_router_fwd_remove(struct un_router *r, const char *rule_or_name,
			      GError **error)
{
	const struct un_hostfwd *named = un_router_hostfwd_named(r, rule_or_name);
	struct un_hostfwd fwd;
	gboolean ok;

	if (named) {
		struct un_hostfwd key = *named; /* the table entry goes away */

		return un_router_remove_hostfwd(r, &key, error);
	}
	if (!strchr(rule_or_name, ':')) {
		g_set_error(error, UN_ERROR, UN_ERROR_NOT_FOUND,
			    "no forward is named '%s'", rule_or_name);
		return FALSE;
	}
	if (!fwd_parse_any(rule_or_name, &fwd, error))
		return FALSE;
	ok = un_router_remove_hostfwd(r, &fwd, error);
	un_hostfwd_clear(&fwd);
	return ok;
}

static void fwd_describe(const struct un_hostfwd *f, JsonBuilder *b)
{
	g_autofree char *host = un_sockaddr_describe((const struct sockaddr *)&f->host,
						     f->host_len);
	char ip[INET_ADDRSTRLEN];

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "rule");
	json_builder_add_string_value(b, f->rule);
	if (f->name) {
		json_builder_set_member_name(b, "name");
		json_builder_add_string_value(b, f->name);
	}
	json_builder_set_member_name(b, "proto");
	json_builder_add_string_value(b, f->host.ss_family == AF_UNIX ? "unix" :
					 f->udp ? "udp" : "tcp");
	json_builder_set_member_name(b, "host");
	json_builder_add_string_value(b, host);
	if (f->guest.sin_addr.s_addr) {
		json_builder_set_member_name(b, "guest-ip");
		json_builder_add_string_value(b, inet_ntop(AF_INET, &f->guest.sin_addr,
							   ip, sizeof(ip)));
	}
	json_builder_set_member_name(b, "guest-port");
	json_builder_add_int_value(b, ntohs(f->guest.sin_port));
	json_builder_end_object(b);
}

void un_router_fwd_list(struct un_router *r, JsonBuilder *b)
{
	const GArray *a = un_router_hostfwds(r);

	for (guint i = 0; i < a->len; i++)
		fwd_describe(&g_array_index(a, struct un_hostfwd, i), b);
}

static void json_member_string(JsonBuilder *b, const char *name,
			       const char *value)
{
	if (!value)
		return;
	json_builder_set_member_name(b, name);
	json_builder_add_string_value(b, value);
}

static void json_member_ip4(JsonBuilder *b, const char *name, struct in_addr a)
{
	char ip[INET_ADDRSTRLEN];

	if (a.s_addr)
		json_member_string(b, name, inet_ntop(AF_INET, &a, ip, sizeof(ip)));
}

static void json_member_bool(JsonBuilder *b, const char *name, gboolean v)
{
	json_builder_set_member_name(b, name);
	json_builder_add_boolean_value(b, v);
}

static void router_describe_ipv6(const struct un_router_config *rc,
				 JsonBuilder *b)
{
	char ip[INET6_ADDRSTRLEN];
	g_autofree char *net = NULL;

	if (!rc->ipv6)
		return;
	inet_ntop(AF_INET6, &rc->prefix6, ip, sizeof(ip));
	net = g_strdup_printf("%s/%u", ip, rc->prefix6_len);
	json_member_string(b, "ipv6-net", net);
	json_member_string(b, "ipv6-host", inet_ntop(AF_INET6, &rc->host6, ip, sizeof(ip)));
	json_member_string(b, "ipv6-dns", inet_ntop(AF_INET6, &rc->dns6, ip, sizeof(ip)));
}

static void router_describe_strv(JsonBuilder *b, const char *name,
				 char *const *v)
{
	if (!v || !*v)
		return;
	json_builder_set_member_name(b, name);
	json_builder_begin_array(b);
	for (; *v; v++)
		json_builder_add_string_value(b, *v);
	json_builder_end_array(b);
}

static void router_describe_guestfwds(const struct un_router_config *rc,
				      JsonBuilder *b)
{
	if (!rc->guestfwds || rc->guestfwds->len == 0)
		return;
	json_builder_set_member_name(b, "guestfwd");
	json_builder_begin_array(b);
	for (guint i = 0; i < rc->guestfwds->len; i++)
		json_builder_add_string_value(
			b, g_array_index(rc->guestfwds, struct un_guestfwd, i).rule);
	json_builder_end_array(b);
}

static void router_describe_options(const struct un_router_config *rc,
				    JsonBuilder *b)
{
	json_builder_set_member_name(b, "options");
	json_builder_begin_object(b);
	json_member_bool(b, "ipv4", rc->ipv4);
	json_member_bool(b, "ipv6", rc->ipv6);
	json_member_bool(b, "restrict", rc->restricted);
	json_builder_set_member_name(b, "mtu");
	json_builder_add_int_value(b, rc->mtu);
	router_describe_ipv6(rc, b);
	json_member_string(b, "hostname", rc->hostname);
	json_member_string(b, "domainname", rc->domainname);
	router_describe_strv(b, "dnssearch", rc->dnssearch);
	json_member_string(b, "tftp", rc->tftp);
	json_member_string(b, "tftp-server-name", rc->tftp_server_name);
	json_member_string(b, "bootfile", rc->bootfile);
	router_describe_guestfwds(rc, b);
	json_builder_end_object(b);
}

void un_router_describe(struct un_router *r, const struct un_router_config *rc,
			JsonBuilder *b)
{
	g_autofree char *subnet = un_router_config_subnet(rc);

	json_member_string(b, "subnet", subnet);
	json_member_ip4(b, "gateway", rc->host);
	json_member_ip4(b, "dns", rc->dns);
	if (!rc->disable_dhcp)
		json_member_ip4(b, "dhcpstart", rc->dhcp_start);
	router_describe_options(rc, b);
	json_builder_set_member_name(b, "forwards");
	json_builder_begin_array(b);
	if (r)
		un_router_fwd_list(r, b);
	json_builder_end_array(b);
}
