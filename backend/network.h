/* SPDX-License-Identifier: GPL-2.0-or-later */
/* network.h (backend) - finding kinds and running networks.
 * Owns: loading kind plugins, creating and destroying networks with their
 * endpoints, and the "ready" lines users paste into QEMU.
 * Not here: what a kind does with frames (plugins/), sockets (transports). */
#ifndef USERNET_BACKEND_NETWORK_H
#define USERNET_BACKEND_NETWORK_H

#include <glib.h>
#include <stdio.h>

#include "config.h"
#include "usernet/network.h"

/* The kind called @name, loaded from the plugin path on first use
 * (USERNET_PLUGIN_PATH, colon-separated, then UN_PLUGIN_DIR). */
const struct un_kind_ops *un_kind_lookup(const char *name, GError **error);

/* Where kinds are looked for, in order: USERNET_PLUGIN_PATH (colon-
 * separated), UN_PLUGIN_DIR, then plugins/ beside the running binary.
 * NULL-terminated, newly allocated (g_strfreev). */
char **un_kind_plugin_dirs(void);

/* Check a loaded table: ABI, name, required hooks, state size. */
gboolean un_kind_validate(const struct un_kind_ops *ops, const char *where,
			  GError **error);

/* Create the network @def describes, with every endpoint in @dir.
 * Returns NULL with @error naming the definition's origin and key. */
struct un_network *un_network_create(const struct un_netdef *def,
				     const char *dir, GError **error);

/* Close its endpoints (detaching every port), then the kind's state. */
void un_network_destroy(struct un_network *n);

/* "usernetd: NAME (KIND) ready" and one QEMU option per endpoint. */
void un_network_print_ready(const struct un_network *n, FILE *out);

#endif
