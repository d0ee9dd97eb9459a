/* SPDX-License-Identifier: GPL-2.0-or-later */
/* config.h - one network's keys, as a kind reads them.
 * Owns: typed access to a network's KEY=VALUE pairs (from a --net SPEC or a
 * key-file group) and error messages that say where a bad key came from.
 * Not here: parsing SPEC strings and files (backend/config.c). */
#ifndef USERNET_CONFIG_H
#define USERNET_CONFIG_H

#include <glib.h>

/* One network's keys: group "KIND:NAME" of @kf. Repeatable keys
 * (un_config_key_is_list) are GLib string lists; others are strings. */
struct un_config {
	GKeyFile *kf;       /* borrowed */
	const char *group;  /* "nat:lab", borrowed */
	const char *origin; /* "FILE:[nat:lab]" or "--net 'nat:lab,...'", borrowed */
};

/* TRUE for keys that may be given more than once (hostfwd, guestfwd,
 * portfwd, dhcp-host, uplink, dnssearch). */
gboolean un_config_key_is_list(const char *key);

gboolean un_config_has(const struct un_config *c, const char *key);
/* The value of @key, newly allocated (g_free), or NULL when absent. */
char *un_config_string(const struct un_config *c, const char *key);
/* The values of a repeatable key, NULL-terminated (g_strfreev); an empty
 * vector, never NULL, when absent. */
char **un_config_list(const struct un_config *c, const char *key);
/* on|off|yes|no|true|false|1|0; @dflt when absent. */
gboolean un_config_bool(const struct un_config *c, const char *key,
			gboolean dflt, gboolean *out, GError **error);
/* A decimal integer in [min, max]; @dflt when absent. */
gboolean un_config_uint(const struct un_config *c, const char *key, guint min,
			guint max, guint dflt, guint *out, GError **error);

/* Set @error (UN_ERROR_CONFIG) to "ORIGIN: KEY: MESSAGE". */
void un_config_error(const struct un_config *c, GError **error,
		     const char *key, const char *fmt, ...) G_GNUC_PRINTF(4, 5);

#endif
