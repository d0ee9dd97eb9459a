/* SPDX-License-Identifier: GPL-2.0-or-later */
/* control_net.c - the control commands about networks and their NICs:
 * list, show, stats, net-add, net-remove.
 * Owns: how a network, an endpoint, a NIC and its counters look in a
 * reply (doc/control.md). Not here: the protocol (control.c), what a kind
 * adds about itself (its describe hooks), forwards and captures
 * (control_fwd.c, control_capture.c). */
#define G_LOG_DOMAIN "usernet-control"

#include "control.h"

#include "config.h"
#include "json_member.h"
#include "transport.h"
#include "usernet/error.h"

static void net_member_string(JsonBuilder *b, const char *name,
			      const char *value)
{
	json_builder_set_member_name(b, name);
	json_builder_add_string_value(b, value);
}

/* "2024-05-01T12:00:00.123456+02:00", newly allocated. */
static char *net_iso8601(gint64 us)
{
	g_autoptr(GDateTime) t =
		g_date_time_new_from_unix_local(us / G_USEC_PER_SEC);

	return t ? g_date_time_format_iso8601(t) : g_strdup("");
}

/* "endpoints": [{"transport", "address", "qemu" or "plug"}...] */
static void net_endpoints(JsonBuilder *b, const struct un_network *n)
{
	json_builder_set_member_name(b, "endpoints");
	json_builder_begin_array(b);
	for (guint i = 0; i < n->endpoints->len; i++) {
		json_builder_begin_object(b);
		un_endpoint_describe(g_ptr_array_index(n->endpoints, i), b);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
}

/* One NIC as show gives it. */
static void net_nic(JsonBuilder *b, struct un_network *n, struct un_port *p)
{
	g_autofree char *since = net_iso8601(p->since_us);

	json_builder_begin_object(b);
	net_member_string(b, "name", p->name);
	net_member_string(b, "transport", p->ops->transport);
	net_member_string(b, "peer", p->peer ? p->peer : "");
	json_builder_set_member_name(b, "mac");
	if (p->mac_known) {
		g_autofree char *mac = g_strdup_printf(
			"%02x:%02x:%02x:%02x:%02x:%02x", p->mac[0], p->mac[1],
			p->mac[2], p->mac[3], p->mac[4], p->mac[5]);

		json_builder_add_string_value(b, mac);
	} else {
		json_builder_add_null_value(b);
	}
	net_member_string(b, "since", since);
	json_builder_set_member_name(b, "counters");
	json_builder_begin_object(b);
	un_port_counters_describe(&p->counters, b);
	json_builder_end_object(b);
	if (n->kind->describe_port)
		n->kind->describe_port(n, p, b);
	json_builder_end_object(b);
}

/* The members list gives every network: name, kind, endpoints, the
 * kind's own (describe), nics. */
static void net_summary(JsonBuilder *b, struct un_network *n)
{
	net_member_string(b, "name", n->name);
	net_member_string(b, "kind", n->kind->name);
	net_endpoints(b, n);
	if (n->kind->describe)
		n->kind->describe(n, b);
	un_json_member_int(b, "nics", n->ports->len);
}

gboolean un_control_list(struct un_daemon *d, JsonObject *args,
			 JsonBuilder *result, GError **error)
{
	json_builder_set_member_name(result, "networks");
	json_builder_begin_array(result);
	for (guint i = 0; i < d->networks->len; i++) {
		json_builder_begin_object(result);
		net_summary(result, g_ptr_array_index(d->networks, i));
		json_builder_end_object(result);
	}
	json_builder_end_array(result);
	return TRUE;
}

gboolean un_control_show(struct un_daemon *d, JsonObject *args,
			 JsonBuilder *result, GError **error)
{
	const char *name;
	struct un_network *n;
	g_autofree char *created = NULL;

	if (!un_control_arg_string(args, "network", &name, error) ||
	    !(n = un_daemon_lookup(d, name, error)))
		return FALSE;
	created = net_iso8601(n->created_us);
	net_member_string(result, "name", n->name);
	net_member_string(result, "kind", n->kind->name);
	un_json_member_int(result, "mtu", n->mtu);
	net_member_string(result, "created", created);
	net_endpoints(result, n);
	if (n->kind->describe)
		n->kind->describe(n, result);
	json_builder_set_member_name(result, "nics");
	json_builder_begin_array(result);
	for (guint i = 0; i < n->ports->len; i++)
		net_nic(result, n, g_ptr_array_index(n->ports, i));
	json_builder_end_array(result);
	return TRUE;
}

/* "clients-dropped": {TRANSPORT: peers dropped for bad input, ...} */
static void net_clients_dropped(JsonBuilder *b, const struct un_network *n)
{
	json_builder_set_member_name(b, "clients-dropped");
	json_builder_begin_object(b);
	for (guint i = 0; i < n->endpoints->len; i++) {
		const struct un_endpoint *e = g_ptr_array_index(n->endpoints, i);

		json_builder_set_member_name(b, e->ops->name);
		json_builder_add_int_value(b, (gint64)e->clients_dropped);
	}
	json_builder_end_object(b);
}

/* One network's counters: {"name", "clients-dropped", the kind's (stats
 * hook), "nics": [{"name", counters...}]}. */
static void net_stats_one(JsonBuilder *b, struct un_network *n)
{
	json_builder_begin_object(b);
	net_member_string(b, "name", n->name);
	net_clients_dropped(b, n);
	if (n->kind->stats)
		n->kind->stats(n, b);
	json_builder_set_member_name(b, "nics");
	json_builder_begin_array(b);
	for (guint i = 0; i < n->ports->len; i++) {
		const struct un_port *p = g_ptr_array_index(n->ports, i);

		json_builder_begin_object(b);
		net_member_string(b, "name", p->name);
		un_port_counters_describe(&p->counters, b);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	json_builder_end_object(b);
}

gboolean un_control_stats(struct un_daemon *d, JsonObject *args,
			  JsonBuilder *result, GError **error)
{
	const char *name = NULL;
	struct un_network *only = NULL;

	if (json_object_has_member(args, "network") &&
	    (!un_control_arg_string(args, "network", &name, error) ||
	     !(only = un_daemon_lookup(d, name, error))))
		return FALSE;
	json_builder_set_member_name(result, "networks");
	json_builder_begin_array(result);
	for (guint i = 0; i < d->networks->len; i++) {
		struct un_network *n = g_ptr_array_index(d->networks, i);

		if (!only || n == only)
			net_stats_one(result, n);
	}
	json_builder_end_array(result);
	return TRUE;
}

gboolean un_control_net_add(struct un_daemon *d, JsonObject *args,
			    JsonBuilder *result, GError **error)
{
	const char *spec;
	struct un_netdef *def;
	struct un_network *n;

	if (!un_control_arg_string(args, "spec", &spec, error) ||
	    !(def = un_spec_parse(spec, error)))
		return FALSE;
	n = un_daemon_add(d, def, error);
	un_netdef_free(def);
	if (!n)
		return FALSE;
	g_message("network '%s' (%s) added", n->name, n->kind->name);
	net_member_string(result, "name", n->name);
	net_member_string(result, "kind", n->kind->name);
	net_endpoints(result, n);
	return TRUE;
}

gboolean un_control_net_remove(struct un_daemon *d, JsonObject *args,
			       JsonBuilder *result, GError **error)
{
	const char *name;

	if (!un_control_arg_string(args, "network", &name, error) ||
	    !un_daemon_remove(d, name, error))
		return FALSE;
	net_member_string(result, "name", name);
	return TRUE;
}
