/* SPDX-License-Identifier: GPL-2.0-or-later */
/* config.c - network definitions from --net SPECs and --config key files.
 * Owns: SPEC syntax (QEMU's KEY=VALUE list, ",," for a comma), key-file
 * groups, typed key access and "where did this come from" messages.
 * Not here: the meaning of keys (kinds) or unknown-key checks (network.c).
 *
 * How it works: both syntaxes end as one group "KIND:NAME" in a GKeyFile.
 * Repeatable keys are GLib lists (hostfwd=a;b in a file, repeated in a SPEC);
 * repeating any other key in a SPEC is an error. */
#define G_LOG_DOMAIN "usernet-config"

#include "config.h"

#include <stdarg.h>
#include <string.h>

#include "usernet/error.h"

#define NAME_MAX_BYTES 64u

static const char *const list_keys[] = {
	"hostfwd", "guestfwd", "portfwd", "dhcp-host", "uplink", "dnssearch",
};

gboolean un_config_key_is_list(const char *key)
{
	for (size_t i = 0; i < G_N_ELEMENTS(list_keys); i++)
		if (strcmp(key, list_keys[i]) == 0)
			return TRUE;
	return FALSE;
}

gboolean un_network_name_valid(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len > NAME_MAX_BYTES || name[0] == '.')
		return FALSE;
	for (const char *c = name; *c; c++)
		if (!g_ascii_isalnum(*c) && !strchr("_.-", *c))
			return FALSE;
	return TRUE;
}

static gboolean kind_valid(const char *kind)
{
	if (!*kind)
		return FALSE;
	for (const char *c = kind; *c; c++)
		if (!g_ascii_islower(*c) && !g_ascii_isdigit(*c) && *c != '_')
			return FALSE;
	return TRUE;
}

void un_netdef_free(struct un_netdef *def)
{
	if (!def)
		return;
	g_free(def->kind);
	g_free(def->name);
	g_free(def->group);
	g_free(def->origin);
	if (def->kf)
		g_key_file_unref(def->kf);
	g_free(def);
}

/* Split "KIND:NAME" into a new definition; NULL with @error on bad input. */
static struct un_netdef *netdef_new(const char *group, const char *origin,
				    GKeyFile *kf, GError **error)
{
	const char *colon = strchr(group, ':');
	g_autofree char *kind = NULL;

	if (!colon) {
		g_set_error(error, UN_ERROR, UN_ERROR_CONFIG,
			    "%s: '%s' is not KIND:NAME (for example nat:default)",
			    origin, group);
		return NULL;
	}
	kind = g_strndup(group, colon - group);
	if (!kind_valid(kind)) {
		g_set_error(error, UN_ERROR, UN_ERROR_CONFIG,
			    "%s: network kind '%s' is not valid (nat, natnet, hostonly, internal)",
			    origin, kind);
		return NULL;
	}
	if (!un_network_name_valid(colon + 1)) {
		g_set_error(error, UN_ERROR, UN_ERROR_CONFIG,
			    "%s: network name '%s' is not valid: use 1-%u letters, digits, '_', '-' or '.', not starting with '.'",
			    origin, colon + 1, NAME_MAX_BYTES);
		return NULL;
	}
	struct un_netdef *def = g_new0(struct un_netdef, 1);
	def->kind = g_steal_pointer(&kind);
	def->name = g_strdup(colon + 1);
	def->group = g_strdup(group);
	def->origin = g_strdup(origin);
	def->kf = g_key_file_ref(kf);
	return def;
}

/* Split @spec at single commas; ",," stands for a literal comma. */
static GPtrArray *spec_split(const char *spec)
{
	GPtrArray *parts = g_ptr_array_new_with_free_func(g_free);
	GString *cur = g_string_new(NULL);

	for (const char *c = spec; *c; c++) {
		if (*c == ',' && c[1] == ',') {
			g_string_append_c(cur, ',');
			c++;
		} else if (*c == ',') {
			g_ptr_array_add(parts, g_string_free(cur, FALSE));
			cur = g_string_new(NULL);
		} else {
			g_string_append_c(cur, *c);
		}
	}
	g_ptr_array_add(parts, g_string_free(cur, FALSE));
	return parts;
}

/* A SPEC key is letters, digits, '-' and '_' (GKeyFile refuses others). */
static gboolean spec_key_valid(const char *key)
{
	for (const char *c = key; *c; c++)
		if (!g_ascii_isalnum(*c) && *c != '-' && *c != '_')
			return FALSE;
	return *key != '\0';
}

/* Add KEY=VALUE from a SPEC to @group of @kf. */
static gboolean spec_add_pair(GKeyFile *kf, const char *group,
			      const char *origin, const char *pair,
			      GError **error)
{
	const char *eq = strchr(pair, '=');
	g_autofree char *key = NULL;

	if (!eq || eq == pair) {
		g_set_error(error, UN_ERROR, UN_ERROR_CONFIG,
			    "%s: '%s' is not KEY=VALUE (write a literal comma as ',,')",
			    origin, pair);
		return FALSE;
	}
	key = g_strndup(pair, eq - pair);
	if (!spec_key_valid(key)) {
		g_set_error(error, UN_ERROR, UN_ERROR_CONFIG,
			    "%s: '%s' is not a key: use letters, digits, '-' and '_' (write a literal comma as ',,')",
			    origin, key);
		return FALSE;
	}
	if (!un_config_key_is_list(key)) {
		if (g_key_file_has_key(kf, group, key, NULL)) {
			g_set_error(error, UN_ERROR, UN_ERROR_CONFIG,
				    "%s: %s: given twice; only hostfwd, guestfwd, portfwd, dhcp-host, uplink and dnssearch repeat",
				    origin, key);
			return FALSE;
		}
		g_key_file_set_string(kf, group, key, eq + 1);
		return TRUE;
	}
	g_auto(GStrv) old = g_key_file_get_string_list(kf, group, key, NULL, NULL);
	g_autoptr(GStrvBuilder) b = g_strv_builder_new();
	if (old)
		g_strv_builder_addv(b, (const char **)old);
	g_strv_builder_add(b, eq + 1);
	g_auto(GStrv) all = g_strv_builder_end(b);
	g_key_file_set_string_list(kf, group, key, (const char *const *)all,
				   g_strv_length(all));
	return TRUE;
}

struct un_netdef *un_spec_parse(const char *spec, GError **error)
{
	g_autoptr(GPtrArray) parts = NULL;
	g_autoptr(GKeyFile) kf = NULL;
	g_autofree char *origin = NULL;
	const char *group;
	struct un_netdef *def;

	/* GKeyFile would keep a value that is not UTF-8 but never return it. */
	if (!g_utf8_validate(spec, -1, NULL)) {
		g_set_error(error, UN_ERROR, UN_ERROR_CONFIG,
			    "--net: the SPEC is not valid UTF-8; write it in UTF-8");
		return NULL;
	}
	parts = spec_split(spec);
	kf = g_key_file_new();
	origin = g_strdup_printf("--net '%s'", spec);
	group = g_ptr_array_index(parts, 0);
	def = netdef_new(group, origin, kf, error);
	if (!def)
		return NULL;
	for (guint i = 1; i < parts->len; i++) {
		if (!spec_add_pair(kf, group, origin,
				   g_ptr_array_index(parts, i), error)) {
			un_netdef_free(def);
			return NULL;
		}
	}
	return def;
}

/* GKeyFile keeps only the last of a repeated key: refuse repeats. */
static gboolean keyfile_check_repeats(GKeyFile *kf, const char *group,
				      const char *origin, GError **error)
{
	g_auto(GStrv) keys = g_key_file_get_keys(kf, group, NULL, NULL);

	for (guint i = 0; keys && keys[i]; i++) {
		for (guint j = 0; j < i; j++) {
			if (strcmp(keys[i], keys[j]) != 0)
				continue;
			g_set_error(error, UN_ERROR, UN_ERROR_CONFIG,
				    "%s: %s: given twice; %s",
				    origin, keys[i],
				    un_config_key_is_list(keys[i])
					    ? "write every value on one line, separated by ';'"
					    : "give it once");
			return FALSE;
		}
	}
	return TRUE;
}

/* GKeyFile loads a value that is not UTF-8 but never returns it (a key
 * that is there and reads as NULL): refuse such values. */
static gboolean keyfile_check_utf8(GKeyFile *kf, const char *group,
				   const char *origin, GError **error)
{
	g_auto(GStrv) keys = g_key_file_get_keys(kf, group, NULL, NULL);

	for (guint i = 0; keys && keys[i]; i++) {
		g_autofree char *v = g_key_file_get_value(kf, group, keys[i], NULL);

		if (v && g_utf8_validate(v, -1, NULL))
			continue;
		g_set_error(error, UN_ERROR, UN_ERROR_CONFIG,
			    "%s: %s: the value is not valid UTF-8; save the file as UTF-8",
			    origin, keys[i]);
		return FALSE;
	}
	return TRUE;
}

gboolean un_config_file_load(const char *path, GPtrArray *defs, GError **error)
{
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_autoptr(GError) local = NULL;
	g_auto(GStrv) groups = NULL;

	if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, &local)) {
		g_set_error(error, UN_ERROR, UN_ERROR_CONFIG, "%s: %s", path,
			    local->message);
		return FALSE;
	}
	groups = g_key_file_get_groups(kf, NULL);
	if (!groups[0]) {
		g_set_error(error, UN_ERROR, UN_ERROR_CONFIG,
			    "%s: no networks; add a group such as [nat:default]",
			    path);
		return FALSE;
	}
	for (char **g = groups; *g; g++) {
		g_autofree char *origin = g_strdup_printf("%s:[%s]", path, *g);
		struct un_netdef *def;

		if (!keyfile_check_repeats(kf, *g, origin, error) ||
		    !keyfile_check_utf8(kf, *g, origin, error))
			return FALSE;
		def = netdef_new(*g, origin, kf, error);
		if (!def)
			return FALSE;
		g_ptr_array_add(defs, def);
	}
	return TRUE;
}

gboolean un_netdefs_check_unique(GPtrArray *defs, GError **error)
{
	for (guint i = 0; i < defs->len; i++) {
		const struct un_netdef *a = g_ptr_array_index(defs, i);

		for (guint j = 0; j < i; j++) {
			const struct un_netdef *b = g_ptr_array_index(defs, j);

			if (strcmp(a->name, b->name) != 0)
				continue;
			g_set_error(error, UN_ERROR, UN_ERROR_BUSY,
				    "%s: a network named '%s' is already defined by %s; give each network its own name",
				    a->origin, a->name, b->origin);
			return FALSE;
		}
	}
	return TRUE;
}

struct un_config un_netdef_config(const struct un_netdef *def)
{
	return (struct un_config){
		.kf = def->kf, .group = def->group, .origin = def->origin
	};
}

void un_config_error(const struct un_config *c, GError **error,
		     const char *key, const char *fmt, ...)
{
	va_list ap;
	g_autofree char *msg = NULL;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_set_error(error, UN_ERROR, UN_ERROR_CONFIG, "%s: %s: %s", c->origin,
		    key, msg);
}

gboolean un_config_has(const struct un_config *c, const char *key)
{
	return g_key_file_has_key(c->kf, c->group, key, NULL);
}

char *un_config_string(const struct un_config *c, const char *key)
{
	if (!un_config_has(c, key))
		return NULL;
	return g_key_file_get_string(c->kf, c->group, key, NULL);
}

char **un_config_list(const struct un_config *c, const char *key)
{
	char **v = NULL;

	if (un_config_has(c, key))
		v = g_key_file_get_string_list(c->kf, c->group, key, NULL, NULL);
	return v ? v : g_new0(char *, 1);
}

gboolean un_config_bool(const struct un_config *c, const char *key,
			gboolean dflt, gboolean *out, GError **error)
{
	static const char *const yes[] = { "on", "yes", "true", "1" };
	static const char *const no[] = { "off", "no", "false", "0" };
	g_autofree char *v = un_config_string(c, key);

	*out = dflt;
	if (!v)
		return TRUE;
	for (size_t i = 0; i < G_N_ELEMENTS(yes); i++) {
		if (g_ascii_strcasecmp(v, yes[i]) == 0) {
			*out = TRUE;
			return TRUE;
		}
		if (g_ascii_strcasecmp(v, no[i]) == 0) {
			*out = FALSE;
			return TRUE;
		}
	}
	un_config_error(c, error, key, "'%s' is not on or off", v);
	return FALSE;
}

gboolean un_config_uint(const struct un_config *c, const char *key, guint min,
			guint max, guint dflt, guint *out, GError **error)
{
	g_autofree char *v = un_config_string(c, key);
	guint64 n;

	*out = dflt;
	if (!v)
		return TRUE;
	if (!g_ascii_string_to_unsigned(v, 10, min, max, &n, NULL)) {
		un_config_error(c, error, key,
				"'%s' is not a number from %u to %u", v, min, max);
		return FALSE;
	}
	*out = (guint)n;
	return TRUE;
}
