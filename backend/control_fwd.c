/* SPDX-License-Identifier: GPL-2.0-or-later */
/* control_fwd.c - the control commands about port forwards: fwd-add,
 * fwd-remove, fwd-list.
 * Owns: their arguments and replies (doc/control.md). Not here: rule
 * syntax and binding, which are the kind's (its fwd_* hooks). */
#define G_LOG_DOMAIN "usernet-control"

#include "control.h"

#include <stddef.h>

#include "usernet/error.h"

/* The network named by "network", and that its kind takes forwards. */
static struct un_network *fwd_network(struct un_daemon *d, JsonObject *args,
				      GError **error)
{
	const char *name;
	struct un_network *n;

	if (!un_control_arg_string(args, "network", &name, error) ||
	    !(n = un_daemon_lookup(d, name, error)))
		return NULL;
	if (!n->kind->fwd_add || !n->kind->fwd_remove || !n->kind->fwd_list) {
		g_set_error(error, UN_ERROR, UN_ERROR_REFUSED,
			    "network '%s' (%s) has no router, so no port forwards",
			    n->name, n->kind->name);
		return NULL;
	}
	return n;
}

static void fwd_reply(JsonBuilder *b, const struct un_network *n,
		      const char *rule)
{
	json_builder_set_member_name(b, "network");
	json_builder_add_string_value(b, n->name);
	json_builder_set_member_name(b, "rule");
	json_builder_add_string_value(b, rule);
}

typedef gboolean (*fwd_change_fn)(struct un_network *n, const char *rule,
				  GError **error);

/* fwd-add and fwd-remove: the kind's hook at offset @hook of its table
 * on "rule"; @done ("added") for the log. */
static gboolean fwd_change(struct un_daemon *d, JsonObject *args,
			   JsonBuilder *result, size_t hook, const char *done,
			   GError **error)
{
	struct un_network *n = fwd_network(d, args, error);
	const char *rule;
	fwd_change_fn change;

	if (!n || !un_control_arg_string(args, "rule", &rule, error))
		return FALSE;
	change = *(const fwd_change_fn *)((const char *)n->kind + hook);
	if (!change(n, rule, error)) {
		g_prefix_error(error, "network '%s': ", n->name);
		return FALSE;
	}
	g_info("network '%s': forward %s %s", n->name, rule, done);
	fwd_reply(result, n, rule);
	return TRUE;
}

gboolean un_control_fwd_add(struct un_daemon *d, JsonObject *args,
			    JsonBuilder *result, GError **error)
{
	return fwd_change(d, args, result, offsetof(struct un_kind_ops, fwd_add),
			  "added", error);
}

gboolean un_control_fwd_remove(struct un_daemon *d, JsonObject *args,
			       JsonBuilder *result, GError **error)
{
	return fwd_change(d, args, result, offsetof(struct un_kind_ops, fwd_remove),
			  "removed", error);
}

/* {"name", "kind", "forwards": [...]} */
static void fwd_list_one(JsonBuilder *b, struct un_network *n)
{
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "name");
	json_builder_add_string_value(b, n->name);
	json_builder_set_member_name(b, "kind");
	json_builder_add_string_value(b, n->kind->name);
	json_builder_set_member_name(b, "forwards");
	json_builder_begin_array(b);
	n->kind->fwd_list(n, b);
	json_builder_end_array(b);
	json_builder_end_object(b);
}

gboolean un_control_fwd_list(struct un_daemon *d, JsonObject *args,
			     JsonBuilder *result, GError **error)
{
	struct un_network *only = NULL;

	if (json_object_has_member(args, "network") &&
	    !(only = fwd_network(d, args, error)))
		return FALSE;
	json_builder_set_member_name(result, "networks");
	json_builder_begin_array(result);
	for (guint i = 0; i < d->networks->len; i++) {
		struct un_network *n = g_ptr_array_index(d->networks, i);

		if ((!only && n->kind->fwd_list) || n == only)
			fwd_list_one(result, n);
	}
	json_builder_end_array(result);
	return TRUE;
}
