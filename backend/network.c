/* SPDX-License-Identifier: GPL-2.0-or-later */
/* network.c - kinds from plugins, networks from definitions.
 * Owns: the plugin path, validating kind tables, the keys every network
 * has (mtu, listen), unknown-key checks, attach/detach bookkeeping and the
 * endpoints of each network. Not here: any kind's behaviour.
 *
 * How it works: a kind is a shared object KIND.so exporting
 * UN_KIND_SYMBOL; it is loaded once, on first use, and stays resident.
 * un_network_create allocates the kind's state (struct un_network first),
 * checks keys, calls create, then opens one endpoint per transport. */
#define G_LOG_DOMAIN "usernet-network"

#include "network.h"

#include <gmodule.h>
#include <string.h>

#include "capture.h"
#include "frame.h"
#include "transport.h"
#include "usernet/error.h"

/* Keys the backend reads for every network, whatever its kind. */
static const char *const backend_keys[] = { "mtu", "listen", "send-queue-frames",
					    "send-queue-bytes", NULL };
/* The send queue bound per NIC: at least one frame of the largest MTU. */
#define SENDQ_FRAMES_MIN 16u
#define SENDQ_FRAMES_MAX 65536u
#define SENDQ_BYTES_MIN (128u * 1024u)
#define SENDQ_BYTES_MAX (1u << 30)

static GHashTable *kinds; /* name -> const struct un_kind_ops * */

/* USERNET_PLUGIN_PATH, the compiled-in directory, then plugins/ beside
 * the running binary (a build tree), newly allocated. */
char **un_kind_plugin_dirs(void)
{
	const char *env = g_getenv("USERNET_PLUGIN_PATH");
	g_autofree char *exe = g_file_read_link("/proc/self/exe", NULL);
	g_autofree char *exe_dir = exe ? g_path_get_dirname(exe) : NULL;
	g_autoptr(GStrvBuilder) b = g_strv_builder_new();
	g_auto(GStrv) env_dirs = NULL;

	if (env && *env) {
		env_dirs = g_strsplit(env, ":", -1);
		g_strv_builder_addv(b, (const char **)env_dirs);
	}
	g_strv_builder_add(b, UN_PLUGIN_DIR);
	g_autofree char *beside = exe_dir ? g_build_filename(exe_dir, "plugins", NULL) : NULL;

	if (beside)
		g_strv_builder_add(b, beside);
	return g_strv_builder_end(b);
}

/* "nat, natnet" from the *.so files on the plugin path, newly allocated. */
static char *kinds_available(void)
{
	g_auto(GStrv) dirs = un_kind_plugin_dirs();
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);

	for (char **d = dirs; *d; d++) {
		g_autoptr(GDir) dir = g_dir_open(*d, 0, NULL);
		const char *f;

		while (dir && (f = g_dir_read_name(dir)))
			if (g_str_has_suffix(f, ".so"))
				g_ptr_array_add(names, g_strndup(f, strlen(f) - 3));
	}
	if (names->len == 0)
		return g_strdup("none found; set USERNET_PLUGIN_PATH to the plugins directory");
	g_ptr_array_add(names, NULL);
	return g_strjoinv(", ", (char **)names->pdata);
}

gboolean un_kind_validate(const struct un_kind_ops *ops, const char *where,
			  GError **error)
{
	const char *missing = !ops->create ? "create" :
			      !ops->attach ? "attach" :
			      !ops->input  ? "input" :
			      !ops->destroy ? "destroy" : NULL;

	if (ops->abi != UN_KIND_ABI) {
		g_set_error(error, UN_ERROR, UN_ERROR_CONFIG,
			    "%s: plugin ABI %u, usernetd expects %u; rebuild the plugin",
			    where, ops->abi, UN_KIND_ABI);
		return FALSE;
	}
	if (!ops->name || !ops->keys || missing ||
	    ops->state_size < sizeof(struct un_network)) {
		g_set_error(error, UN_ERROR, UN_ERROR_CONFIG,
			    "%s: kind table is incomplete (%s); fix the plugin",
			    where, missing ? missing : "name, keys or state_size");
		return FALSE;
	}
	return TRUE;
}

static const struct un_kind_ops *kind_load(const char *name, GError **error)
{
	g_auto(GStrv) dirs = un_kind_plugin_dirs();

	for (char **d = dirs; *d; d++) {
		g_autofree char *file = g_strdup_printf("%s/%s.so", *d, name);
		GModule *mod;
		gpointer sym = NULL;

		if (!g_file_test(file, G_FILE_TEST_EXISTS))
			continue;
		mod = g_module_open(file, G_MODULE_BIND_LOCAL);
		if (!mod) {
			g_set_error(error, UN_ERROR, UN_ERROR_CONFIG,
				    "kind '%s': cannot load %s: %s", name, file,
				    g_module_error());
			return NULL;
		}
		if (!g_module_symbol(mod, UN_KIND_SYMBOL, &sym) || !sym) {
			g_set_error(error, UN_ERROR, UN_ERROR_CONFIG,
				    "kind '%s': %s has no %s; is it a usernet plugin?",
				    name, file, UN_KIND_SYMBOL);
			g_module_close(mod);
			return NULL;
		}
		const struct un_kind_ops *ops = sym;
		if (!un_kind_validate(ops, file, error) ||
		    strcmp(ops->name, name) != 0) {
			if (error && !*error)
				g_set_error(error, UN_ERROR, UN_ERROR_CONFIG,
					    "%s: implements kind '%s', not '%s'",
					    file, ops->name, name);
			g_module_close(mod);
			return NULL;
		}
		g_module_make_resident(mod);
		return ops;
	}
	g_autofree char *avail = kinds_available();
	g_set_error(error, UN_ERROR, UN_ERROR_CONFIG,
		    "unknown network kind '%s' (available: %s)", name, avail);
	return NULL;
}

const struct un_kind_ops *un_kind_lookup(const char *name, GError **error)
{
	const struct un_kind_ops *ops;

	if (!kinds)
		kinds = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	ops = g_hash_table_lookup(kinds, name);
	if (ops)
		return ops;
	ops = kind_load(name, error);
	if (ops)
		g_hash_table_insert(kinds, g_strdup(name), (gpointer)ops);
	return ops;
}

static gboolean key_in(const char *key, const char *const *keys)
{
	for (; *keys; keys++)
		if (strcmp(key, *keys) == 0)
			return TRUE;
	return FALSE;
}

/* "a, b, c" from @keys, each once, newly allocated. */
static char *keys_join_unique(const char *const *keys)
{
	g_autoptr(GPtrArray) seen = g_ptr_array_new();

	for (; *keys; keys++)
		if (!g_ptr_array_find_with_equal_func(seen, *keys, g_str_equal, NULL))
			g_ptr_array_add(seen, (gpointer)*keys);
	g_ptr_array_add(seen, NULL);
	return g_strjoinv(", ", (char **)seen->pdata);
}

static gboolean keys_check(const struct un_kind_ops *kind,
			   const struct un_config *c, GError **error)
{
	g_auto(GStrv) keys = g_key_file_get_keys(c->kf, c->group, NULL, NULL);

	for (char **k = keys; k && *k; k++) {
		if (key_in(*k, backend_keys) || key_in(*k, kind->keys))
			continue;
		g_autofree char *ours = keys_join_unique(backend_keys);
		g_autofree char *known = keys_join_unique(kind->keys);
		un_config_error(c, error, *k,
				"unknown key for kind %s (known: %s%s%s)",
				kind->name, ours, *known ? ", " : "", known);
		return FALSE;
	}
	return TRUE;
}

static gboolean backend_keys_read(struct un_network *n,
				  const struct un_config *c, GError **error)
{
	if (!un_config_uint(c, "mtu", 68, UN_MTU_MAX, UN_MTU_DEFAULT, &n->mtu,
			    error) ||
	    !un_config_uint(c, "send-queue-frames", SENDQ_FRAMES_MIN,
			    SENDQ_FRAMES_MAX, UN_SENDQ_MAX_FRAMES,
			    &n->sendq_frames, error) ||
	    !un_config_uint(c, "send-queue-bytes", SENDQ_BYTES_MIN,
			    SENDQ_BYTES_MAX, UN_SENDQ_MAX_BYTES,
			    &n->sendq_bytes, error))
		return FALSE;
	n->listen = un_config_string(c, "listen");
	if (n->listen && !*n->listen) {
		un_config_error(c, error, "listen",
				"empty; give ADDR:PORT, for example 127.0.0.1:5555");
		return FALSE;
	}
	return TRUE;
}

static gboolean network_open_endpoints(struct un_network *n, const char *dir,
				       const char *origin, GError **error)
{
	for (const struct un_transport_ops *const *t = un_transports; *t; t++) {
		g_autoptr(GError) local = NULL;
		struct un_endpoint *e = (*t)->open(n, dir, &local);

		if (local) {
			g_set_error(error, UN_ERROR, local->code, "%s: %s endpoint: %s",
				    origin, (*t)->name, local->message);
			return FALSE;
		}
		if (e)
			g_ptr_array_add(n->endpoints, e);
	}
	return TRUE;
}

/* The kind's create; its errors name the definition they came from. */
static gboolean network_kind_create(struct un_network *n,
				    const struct un_config *c, GError **error)
{
	g_autoptr(GError) local = NULL;

	if (n->kind->create(n, c, &local))
		return TRUE;
	if (g_str_has_prefix(local->message, c->origin))
		g_propagate_error(error, g_steal_pointer(&local));
	else
		g_set_error(error, UN_ERROR, local->code, "%s: %s", c->origin,
			    local->message);
	return FALSE;
}

struct un_network *un_network_create(const struct un_netdef *def,
				     const char *dir, GError **error)
{
	const struct un_kind_ops *kind;
	struct un_config c = un_netdef_config(def);
	struct un_network *n;
	g_autoptr(GError) local = NULL;

	kind = un_kind_lookup(def->kind, &local);
	if (!kind) {
		g_set_error(error, UN_ERROR, UN_ERROR_CONFIG, "%s: %s",
			    def->origin, local->message);
		return NULL;
	}
	if (!keys_check(kind, &c, error))
		return NULL;
	n = g_malloc0(kind->state_size);
	n->kind = kind;
	n->name = g_strdup(def->name);
	n->ports = g_ptr_array_new();
	n->endpoints = g_ptr_array_new();
	if (!backend_keys_read(n, &c, error) ||
	    !network_kind_create(n, &c, error) ||
	    !network_open_endpoints(n, dir, def->origin, error)) {
		un_network_destroy(n);
		return NULL;
	}
	return n;
}

void un_network_destroy(struct un_network *n)
{
	if (!n)
		return;
	/* Endpoints detach their ports; the kind then sees no NIC left. */
	for (guint i = n->endpoints->len; i > 0; i--) {
		struct un_endpoint *e = g_ptr_array_index(n->endpoints, i - 1);

		e->ops->close(e);
	}
	g_ptr_array_free(n->endpoints, TRUE);
	un_captures_close(&n->captures);
	n->kind->destroy(n);
	g_ptr_array_free(n->ports, TRUE);
	g_free(n->listen);
	g_free(n->name);
	g_free(n);
}

void un_network_print_ready(const struct un_network *n, FILE *out)
{
	fprintf(out, "usernetd: %s (%s) ready\n", n->name, n->kind->name);
	for (guint i = 0; i < n->endpoints->len; i++) {
		const struct un_endpoint *e = g_ptr_array_index(n->endpoints, i);
		g_autofree char *hint = un_endpoint_attach_hint(e);

		fprintf(out, "  %-7s %s\n", e->ops->name, hint);
	}
	fflush(out);
}

gboolean un_network_attach(struct un_network *n, struct un_port *p,
			   const char *transport, GError **error)
{
	g_autoptr(GError) local = NULL;

	p->name = g_strdup_printf("%s/%s-%u", n->name, transport,
				  ++n->next_port_id);
	p->network = n;
	if (!n->kind->attach(n, p, &local)) {
		g_set_error(error, UN_ERROR, local ? local->code : UN_ERROR_REFUSED,
			    "network '%s': NIC %s (%s) refused: %s", n->name,
			    p->name, p->peer, local ? local->message : "by its kind");
		p->network = NULL;
		g_clear_pointer(&p->name, g_free);
		return FALSE;
	}
	p->since_us = g_get_real_time();
	g_ptr_array_add(n->ports, p);
	g_info("network '%s': NIC %s attached (%s)", n->name, p->name, p->peer);
	return TRUE;
}

void un_network_detach(struct un_port *p)
{
	struct un_network *n = p->network;

	if (!n)
		return;
	if (n->kind->detach)
		n->kind->detach(n, p);
	un_captures_close(&p->captures);
	g_ptr_array_remove(n->ports, p);
	p->network = NULL;
	g_info("network '%s': NIC %s detached (%s)", n->name, p->name, p->peer);
}
