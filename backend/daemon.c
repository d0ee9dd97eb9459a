/* SPDX-License-Identifier: GPL-2.0-or-later */
/* daemon.c - the running networks of one usernetd, by name.
 * Owns: the list of networks in creation order, refusing a second network
 * with a taken name, the ready lines of each new network, and destroying
 * them last first. Not here: creating one network (network.c) or the
 * control socket that adds and removes them at run time (control.c). */
#define G_LOG_DOMAIN "usernet-daemon"

#include "daemon.h"

#include <string.h>

#include "network.h"
#include "usernet/error.h"

struct un_daemon *un_daemon_new(const char *dir, FILE *ready_out)
{
	struct un_daemon *d = g_new0(struct un_daemon, 1);

	d->dir = g_strdup(dir);
	d->networks = g_ptr_array_new();
	d->ready_out = ready_out;
	return d;
}

void un_daemon_free(struct un_daemon *d)
{
	if (!d)
		return;
	for (guint i = d->networks->len; i > 0; i--)
		un_network_destroy(g_ptr_array_index(d->networks, i - 1));
	g_ptr_array_free(d->networks, TRUE);
	g_free(d->dir);
	g_free(d);
}

/* The index of the network called @name, or -1. */
static gint daemon_index(const struct un_daemon *d, const char *name)
{
	for (guint i = 0; i < d->networks->len; i++) {
		const struct un_network *n = g_ptr_array_index(d->networks, i);

		if (strcmp(n->name, name) == 0)
			return (gint)i;
	}
	return -1;
}

struct un_network *un_daemon_add(struct un_daemon *d,
				 const struct un_netdef *def, GError **error)
{
	struct un_network *n;

	if (daemon_index(d, def->name) >= 0) {
		g_set_error(error, UN_ERROR, UN_ERROR_BUSY,
			    "%s: a network named '%s' already exists; remove it first or choose another name",
			    def->origin, def->name);
		return NULL;
	}
	n = un_network_create(def, d->dir, error);
	if (!n)
		return NULL;
	if (!n->created_us)
		n->created_us = g_get_real_time();
	g_ptr_array_add(d->networks, n);
	if (d->ready_out)
		un_network_print_ready(n, d->ready_out);
	return n;
}

gboolean un_daemon_remove(struct un_daemon *d, const char *name,
			  GError **error)
{
	gint i = daemon_index(d, name);
	g_autofree char *copy = g_strdup(name); /* @name may be the network's */

	if (i < 0)
		return un_daemon_lookup(d, name, error) != NULL;
	un_network_destroy(g_ptr_array_steal_index(d->networks, (guint)i));
	g_message("network '%s' removed", copy);
	return TRUE;
}

struct un_network *un_daemon_lookup(struct un_daemon *d, const char *name,
				    GError **error)
{
	gint i = daemon_index(d, name);

	if (i >= 0)
		return g_ptr_array_index(d->networks, (guint)i);
	g_set_error(error, UN_ERROR, UN_ERROR_NOT_FOUND,
		    "no network named '%s' (list shows the networks)", name);
	return NULL;
}
