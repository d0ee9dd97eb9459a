/* SPDX-License-Identifier: GPL-2.0-or-later */
/* main.c - usernetd: options, start-up, the main loop, shutdown.
 * Owns: the command line contract, the order of start-up (DIR, networks,
 * ready lines, control socket) and a clean stop on SIGINT/SIGTERM.
 * Not here: networks (daemon.c, network.c), endpoints (transport_*.c),
 * run-time requests (control.c). */
#define G_LOG_DOMAIN "usernetd"

#include <glib-unix.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "busy_poll.h"
#include "config.h"
#include "control.h"
#include "daemon.h"
#include "log.h"
#include "network.h"
#include "notify.h"
#include "rundir.h"
#include "sandbox.h"
#include "usernet/error.h"

#define DEFAULT_SPEC "nat:default"
/* Blocks at least this large get their own mapping (see malloc_setup). */
#define MMAP_THRESHOLD_BYTES (96 * 1024)

struct daemon_options {
	char **nets;
	char *config;
	char *dir;
	gboolean verbose;
	gboolean notify;
	gboolean version;
	gboolean no_sandbox;
	char **capture_dirs;
	gint busy_poll_us;
};

static const char daemon_description[] =
	"Kinds:\n"
	"  nat       a private NAT router for one NIC, as QEMU -netdev user\n"
	"  natnet    a switch shared by many NICs with one NAT router and DHCP\n"
	"  hostonly  a switch with a gateway that reaches the host's loopback only\n"
	"  internal  a switch between NICs, nothing else (with two, a wire)\n"
	"\n"
	"Router keys (nat, natnet, hostonly; QEMU -netdev user names): net, host,\n"
	"dhcpstart, dns, hostfwd, guestfwd, restrict, ipv4, ipv6, ipv6-net, ipv6-host,\n"
	"ipv6-dns, hostname, domainname, dnssearch, tftp, tftp-server-name, bootfile,\n"
	"max-host-sockets, reassembly-max-bytes, tcp-window (KiB, 64-256). Shared kinds:\n"
	"portfwd=NAME:PROTO:[HOSTIP]:HOSTPORT:[GUESTIP]:GUESTPORT, dhcp-range=FIRST-LAST,\n"
	"dhcp-lease, dhcp-max-leases, dhcp-host=MAC,IP[,NAME], mac-table-size,\n"
	"uplink=URL, uplink-optional; natnet: router=off, dhcp=off; internal: dhcp=on,\n"
	"net. Every kind: mtu (68-65520), listen=ADDR:PORT (a TCP endpoint),\n"
	"send-queue-frames (256), send-queue-bytes (4 MiB): per NIC.\n"
	"A hostfwd with no host address binds 127.0.0.1, not every interface.\n"
	"\n"
	"For each network NAME, DIR gets NAME.vde/ (VDE switch), NAME.stream and\n"
	"NAME.dgram (QEMU stream and dgram sockets) and NAME.tap (usernet-plug hands\n"
	"a namespace's tap over there); the options to use are printed once the\n"
	"network is ready. DIR/control takes usernetctl's requests.\n"
	"\n"
	"Examples:\n"
	"  usernetd\n"
	"  usernetd -n nat:vm1,hostfwd=tcp::2222-:22 -n natnet:lab,net=10.9.0.0/24\n"
	"  qemu-system-x86_64 ... -netdev vde,id=n0,sock=DIR/vm1.vde -device virtio-net-pci,netdev=n0\n"
	"See usernetd(8), usernet.conf(5), usernetctl(1).";

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
		{ "notify", 0, 0, G_OPTION_ARG_NONE, &o->notify,
		  "Send READY=1 to $NOTIFY_SOCKET once every endpoint exists (systemd Type=notify)", NULL },
		{ "no-sandbox", 0, 0, G_OPTION_ARG_NONE, &o->no_sandbox,
		  "Do not sandbox (seccomp, Landlock, no_new_privs) once serving; for debugging", NULL },
		{ "busy-poll", 0, 0, G_OPTION_ARG_INT, &o->busy_poll_us,
		  "After traffic, poll without sleeping for up to US microseconds, 0 to " G_STRINGIFY(UN_BUSY_POLL_MAX_US)
		  " (default " G_STRINGIFY(UN_BUSY_POLL_DEFAULT_US) "; 0: always sleep, least CPU)", "US" },
		{ "capture-dir", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &o->capture_dirs,
		  "Sandboxed, captures may also be written here (besides DIR and the working directory); repeatable", "DIR" },
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
	if (o->busy_poll_us < 0 || o->busy_poll_us > UN_BUSY_POLL_MAX_US) {
		g_set_error(error, UN_ERROR, UN_ERROR_CONFIG,
			    "--busy-poll %d: give 0 to %d microseconds",
			    o->busy_poll_us, UN_BUSY_POLL_MAX_US);
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

/* Every network of @defs, or FALSE at the first that fails. Ready lines
 * wait until all exist: a failed start announces nothing. */
static gboolean networks_create(struct un_daemon *d, GPtrArray *defs,
				GError **error)
{
	for (guint i = 0; i < defs->len; i++)
		if (!un_daemon_add(d, g_ptr_array_index(defs, i), error))
			return FALSE;
	for (guint i = 0; i < d->networks->len; i++)
		un_network_print_ready(g_ptr_array_index(d->networks, i), stdout);
	d->ready_out = stdout;
	return TRUE;
}

static gboolean on_stop_signal(gpointer loop)
{
	g_message("stopping on signal");
	g_main_loop_quit(loop);
	return G_SOURCE_CONTINUE;
}

/* Enter the sandbox (sandbox.c) unless --no-sandbox: DIR, the working
 * directory and --capture-dir for captures, what @defs read or bind. */
static gboolean sandbox_start(const struct daemon_options *o,
			      const struct un_daemon *d, GPtrArray *defs,
			      GError **error)
{
	g_autoptr(un_sandbox_paths) p = NULL;
	g_autofree char *cwd = g_get_current_dir();

	if (o->no_sandbox)
		return TRUE;
	p = un_sandbox_paths_new(d->dir);
	if (strcmp(cwd, "/") != 0)
		un_sandbox_paths_add_capture_dir(p, cwd);
	for (char **c = o->capture_dirs; c && *c; c++)
		un_sandbox_paths_add_capture_dir(p, *c);
	for (guint i = 0; i < defs->len; i++)
		un_sandbox_paths_add_netdef(p, g_ptr_array_index(defs, i));
	return un_sandbox_enter(p, error);
}

/* Open the control socket, sandbox, then run the loop until SIGINT or
 * SIGTERM. With --notify, tell the service manager when serving and when
 * stopping. */
static gboolean serve(struct un_daemon *d, const struct daemon_options *o,
		      GPtrArray *defs, GError **error)
{
	g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);
	struct un_control *control = un_control_new(d, error);
	gboolean notify = o->notify;
	guint sigint, sigterm;

	if (!control)
		return FALSE;
	if (!sandbox_start(o, d, defs, error)) {
		un_control_free(control);
		return FALSE;
	}
	printf("usernetd: control socket %s/control\n", d->dir);
	fflush(stdout);
	sigint = g_unix_signal_add(SIGINT, on_stop_signal, loop);
	sigterm = g_unix_signal_add(SIGTERM, on_stop_signal, loop);
	if (notify)
		un_notify_ready(d->networks->len, d->dir);
	un_busy_poll_install((guint)o->busy_poll_us);
	g_main_loop_run(loop);
	if (notify)
		un_notify_stopping();
	g_source_remove(sigint);
	g_source_remove(sigterm);
	un_control_free(control);
	return TRUE;
}

static int daemon_run(const struct daemon_options *o)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) defs = NULL;
	g_autofree char *dir = o->dir ? g_strdup(o->dir) : un_rundir_default();
	struct un_rundir rd = { 0 };
	struct un_daemon *d = NULL;
	int status = EXIT_FAILURE;

	defs = netdefs_collect(o, &error);
	if (!defs || !un_rundir_open(&rd, dir, &error))
		goto out;
	d = un_daemon_new(rd.path, NULL);
	if (networks_create(d, defs, &error) && serve(d, o, defs, &error))
		status = EXIT_SUCCESS;
out:
	if (error)
		fprintf(stderr, "usernetd: error: %s\n", error->message);
	g_clear_pointer(&d, un_daemon_free);
	if (rd.path)
		un_rundir_close(&rd);
	return status;
}

/* libslirp 4.7 gives every TCP connection two 128 KiB buffers, then
 * tcp_mss() reallocs both to a little more. With glibc's adaptive
 * threshold, blocks of that size come from the heap after the first free,
 * and realloc there copies all 128 KiB: each idle connection then holds
 * 256 KiB resident (1 GiB at max-host-sockets=4096). A fixed threshold
 * below 128 KiB keeps most of them mapped: realloc is an mremap, untouched
 * pages stay unbacked, a freed buffer goes back to the kernel. (A block
 * that fits a free heap chunk still comes from the heap; how often depends
 * on fragmentation, so the bound stays 256 KiB a connection.) 96 KiB stays
 * above libslirp's largest mbuf (a 65521-byte MTU), which is allocated
 * per packet. No effect under ASan, which has its own allocator. No
 * M_TOP_PAD/M_TRIM_THRESHOLD tuning: with them the heap is grown and
 * trimmed by brk on every burst, and hostile.sh's daemon starved. */
static void malloc_setup(void)
{
	if (mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES) != 1)
		g_debug("mallopt(M_MMAP_THRESHOLD) refused; buffers stay on the heap");
}

int main(int argc, char **argv)
{
	struct daemon_options o = { .busy_poll_us = UN_BUSY_POLL_DEFAULT_US };
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
	malloc_setup();
	status = daemon_run(&o);
	g_strfreev(o.nets);
	g_free(o.config);
	g_free(o.dir);
	g_strfreev(o.capture_dirs);
	return status;
}
