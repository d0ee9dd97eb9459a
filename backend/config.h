/* SPDX-License-Identifier: GPL-2.0-or-later */
/* config.h - network definitions from --net SPECs and --config files.
 * Owns: turning both syntaxes into key-file groups "KIND:NAME", and the
 * checks that do not need the kind (names, duplicates, syntax).
 * Not here: what keys mean; each kind reads its own (usernet/config.h). */
#ifndef USERNET_BACKEND_CONFIG_H
#define USERNET_BACKEND_CONFIG_H

#include <glib.h>

#include "usernet/config.h"

/* One network to create: its kind, its name, and its keys. */
struct un_netdef {
	char *kind;
	char *name;
	char *group;  /* "KIND:NAME" */
	char *origin; /* for messages: "FILE:[KIND:NAME]" or "--net 'SPEC'" */
	GKeyFile *kf; /* a reference */
};

/* Parse QEMU-style "KIND:NAME[,KEY=VALUE...]" (",," is a literal comma).
 * Returns a new definition (un_netdef_free) or NULL with @error set. */
struct un_netdef *un_spec_parse(const char *spec, GError **error);

/* Load every [KIND:NAME] group of the key file at @path, appending
 * definitions to @defs (element free function un_netdef_free). */
gboolean un_config_file_load(const char *path, GPtrArray *defs,
			     GError **error);

/* Refuse two definitions with one name; @defs in command-line order. */
gboolean un_netdefs_check_unique(GPtrArray *defs, GError **error);

/* The un_config view of @def (borrows from it). */
struct un_config un_netdef_config(const struct un_netdef *def);

void un_netdef_free(struct un_netdef *def);

/* TRUE if @name may name a network: 1-64 of [A-Za-z0-9_.-], not "." or
 * starting with '.' (it names files in DIR). */
gboolean un_network_name_valid(const char *name);

#endif
