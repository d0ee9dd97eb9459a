/* SPDX-License-Identifier: GPL-2.0-or-later */
/* daemon.h - the running networks of one usernetd, by name.
 * Owns: adding and removing networks at start and at run time, looking
 * them up, and the order they are listed in.
 * Not here: what a network is (network.c) or how requests arrive
 * (control.c). */
#ifndef USERNET_DAEMON_H
#define USERNET_DAEMON_H

#include <glib.h>
#include <stdio.h>

#include "config.h"
#include "usernet/network.h"

struct un_daemon {
	char *dir;           /* DIR, owned */
	GPtrArray *networks; /* struct un_network *, owned, in creation order */
	FILE *ready_out;     /* where "NAME (KIND) ready" lines go (stdout) */
};

/* A daemon serving nothing yet, endpoints in @dir. */
struct un_daemon *un_daemon_new(const char *dir, FILE *ready_out);
/* Destroy every network (last first), then @d. */
void un_daemon_free(struct un_daemon *d);

/* Create @def's network (refused when its name is taken), print its ready
 * lines. Returns the network (owned by @d) or NULL with @error. */
struct un_network *un_daemon_add(struct un_daemon *d,
				 const struct un_netdef *def, GError **error);
/* Destroy the network called @name: its endpoints vanish. */
gboolean un_daemon_remove(struct un_daemon *d, const char *name,
			  GError **error);
/* The network called @name, or NULL (with @error UN_ERROR_NOT_FOUND when
 * @error is given). */
struct un_network *un_daemon_lookup(struct un_daemon *d, const char *name,
				    GError **error);

#endif
