/* SPDX-License-Identifier: GPL-2.0-or-later */
/* main.c - usernetd: options, start-up, the main loop, shutdown.
 * Owns: the command line contract, the order of start-up (DIR, networks,
 * ready lines) and a clean stop on SIGINT/SIGTERM.
 * Not here: networks (network.c), endpoints (transport_*.c). */
#define G_LOG_DOMAIN "usernetd"

#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "config.h"
#include "log.h"
#include "network.h"
#include "rundir.h"
#include "usernet/error.h"

#define DEFAULT_SPEC "nat:default"

struct daemon_options {
	char **nets;
	char *config;
	char *dir;
	gboolean verbose;
	gboolean version;
};

static const char daemon_description[] =
	"Kinds: nat (a private NAT router per NIC, as QEMU -netdev user),\n"
	"natnet, hostonly, internal (shared networks, when their plugins are installed).\n"
	"\n"
	"nat keys (QEMU -netdev user names): net, host, dhcpstart, dns, hostfwd,\n"
	"guestfwd, restrict, ipv4, ipv6, ipv6-net, ipv6-host, ipv6-dns, hostname,\n"
	"domainname, dnssearch, tftp, tftp-server-name, bootfile; every kind: mtu\n"
	"(up to 65520), listen=ADDR:PORT (a TCP endpoint).\n"
	"A hostfwd with no host address binds 127.0.0.1, not every interface.\n"
	"\n"
	"For each network NAME, DIR gets NAME.vde/ (VDE switch), NAME.stream and\n"
	"NAME.dgram (QEMU stream and dgram sockets); the QEMU options to use are\n"
	"printed once the network is ready.\n"
	"\n"
	"Examples:\n"
	"  usernetd\n"
	"  usernetd -n nat:vm1,hostfwd=tcp::2222-:22 -n nat:vm2,net=10.9.0.0/24\n"
	"  qemu-system-x86_64 ... -netdev vde,id=n0,sock=DIR/vm1.vde -device virtio-net-pci,netdev=n0";

static gboolean options_parse(int *argc, char ***argv,
			      struct daemon_options *o, GError **error)
{
	const GOptionEntry entries[] = {
		{ "net", 'n', 0, G_OPTION_ARG_STRING_ARRAY, &o->nets,
		  "Add a network; SPEC = KIND:NAME[,KEY=VALUE...]; repeatable", "SPEC" },
		{ "config", 'c', 0, G_OPTION_ARG_FILENAME, &o->config,
		  "Networks from a key file: one group [KIND:NAME] per network, same keys as SPEC", "FILE" },
		{ "dir", 'd', 0, G_OPTION_ARG_FILENAME, &o->dir,
		  "Where endpoints are made (default $XDG_RUNTIME_DIR/usernet, else /tmp/usernet-UID), mode 0700", "DIR" },
		{ "verbose", 'v', 0, G_OPTION_ARG_NONE, &o->verbose,
		  "Log debug messages too", NULL },
		{ "version", 0, 0, G_OPTION_ARG_NONE, &o->version,
		  "Print the version and exit", NULL },
		{ NULL }
	};
	g_autoptr(GOptionContext) ctx =
		g_option_context_new("- user-mode networks for virtual machines");

	g_option_context_add_main_entries(ctx, entries, NULL);
	g_option_context_set_description(ctx, daemon_description);
	if (!g_option_context_parse(ctx, argc, argv, error))
		return FALSE;
	if (*argc > 1) {
		g_set_error(error, UN_ERROR, UN_ERROR_CONFIG,
			    "unexpected argument '%s'; networks are given with -n SPEC",
			    (*argv)[1]);
		return FALSE;
	}
	return TRUE;
}

/* Every definition from -c then -n, or nat:default when there are none. */
static GPtrArray *netdefs_collect(const struct daemon_options *o,
				  GError **error)
{
	g_autoptr(GPtrArray) defs =
		g_ptr_array_new_with_free_func((GDestroyNotify)un_netdef_free);

	if (o->config && !un_config_file_load(o->config, defs, error))
		return NULL;
	for (char **s = o->nets; s && *s; s++) {
		struct un_netdef *def = un_spec_parse(*s, error);

		if (!def)
			return NULL;
		g_ptr_array_add(defs, def);
	}
	if (defs->len == 0)
		g_ptr_array_add(defs, un_spec_parse(DEFAULT_SPEC, NULL));
	if (!un_netdefs_check_unique(defs, error))
		return NULL;
	return g_steal_pointer(&defs);
}

static GPtrArray *networks_create(GPtrArray *defs, const char *dir,
				  GError **error)
{
	g_autoptr(GPtrArray) nets = g_ptr_array_new_with_free_func(
		(GDestroyNotify)un_network_destroy);

	for (guint i = 0; i < defs->len; i++) {
		struct un_network *n =
			un_network_create(g_ptr_array_index(defs, i), dir, error);

		if (!n)
			return NULL;
		g_ptr_array_add(nets, n);
	}
	return g_steal_pointer(&nets);
}

static gboolean on_stop_signal(gpointer loop)
{
	g_message("stopping on signal");
	g_main_loop_quit(loop);
	return G_SOURCE_CONTINUE;
}

/* Print the ready lines, then run the loop until SIGINT or SIGTERM. */
static void serve(GPtrArray *nets)
{
	g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);
	guint sigint = g_unix_signal_add(SIGINT, on_stop_signal, loop);
	guint sigterm = g_unix_signal_add(SIGTERM, on_stop_signal, loop);

	for (guint i = 0; i < nets->len; i++)
		un_network_print_ready(g_ptr_array_index(nets, i), stdout);
	g_main_loop_run(loop);
	g_source_remove(sigint);
	g_source_remove(sigterm);
}

static int daemon_run(const struct daemon_options *o)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) defs = NULL;
	g_autoptr(GPtrArray) nets = NULL;
	g_autofree char *dir = o->dir ? g_strdup(o->dir) : un_rundir_default();
	struct un_rundir rd = { 0 };
	int status = EXIT_FAILURE;

	defs = netdefs_collect(o, &error);
	if (!defs || !un_rundir_open(&rd, dir, &error))
		goto out;
	nets = networks_create(defs, rd.path, &error);
	if (!nets)
		goto out;
	serve(nets);
	status = EXIT_SUCCESS;
out:
	if (error)
		fprintf(stderr, "usernetd: error: %s\n", error->message);
	g_clear_pointer(&nets, g_ptr_array_unref);
	if (rd.path)
		un_rundir_close(&rd);
	return status;
}

int main(int argc, char **argv)
{
	struct daemon_options o = { 0 };
	g_autoptr(GError) error = NULL;
	int status;

	signal(SIGPIPE, SIG_IGN);
	if (!options_parse(&argc, &argv, &o, &error)) {
		fprintf(stderr, "usernetd: %s (try --help)\n", error->message);
		return 2;
	}
	if (o.version) {
		printf("usernetd %s\n", UN_VERSION);
		return EXIT_SUCCESS;
	}
	un_log_setup(o.verbose);
	status = daemon_run(&o);
	g_strfreev(o.nets);
	g_free(o.config);
	g_free(o.dir);
	return status;
}
