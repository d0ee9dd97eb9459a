/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fuzz_frame_path.h - the whole frame path for fuzz_frame_path_nat.c and
 * fuzz_frame_path_natnet.c: frames in through test ports (un_port_input)
 * into a network of the real kind plugin (un_network_create, plugins from
 * USERNET_PLUGIN_PATH), with libslirp behind it on the GLib main loop.
 * Input: records (fuzz_util.h); control bit 0 picks the port (of those
 * attached), bit 1 runs the main loop after the frame (libslirp's
 * sockets and timers, the guard's timeouts).
 * The traffic rule: the network has restrict=on, so libslirp opens no
 * socket to the outside, and the process runs in its own network
 * namespace when it can (fuzz_isolate_net). Each input gets a new network:
 * nothing libslirp learnt from one input (ARP, TCP state, leases) meets
 * the next. */
#ifndef USERNET_FUZZ_FRAME_PATH_H
#define USERNET_FUZZ_FRAME_PATH_H

#include "config.h"
#include "fuzz_util.h"
#include "network.h"

#define FP_PORTS_MAX 2u

static struct un_netdef *fp_def;

static void fp_init(const char *spec)
{
	g_autoptr(GError) err = NULL;

	fuzz_quiet_logs();
	fuzz_plugin_path();
	fuzz_isolate_net();
	fp_def = un_spec_parse(spec, &err);
	FUZZ_CHECK(fp_def != NULL);
}

static struct un_network *fp_network(void)
{
	g_autoptr(GError) err = NULL;
	struct un_network *n = un_network_create(fp_def, fuzz_tmp(), &err);

	if (!n) {
		fprintf(stderr, "fuzz: %s\n", err->message);
		abort();
	}
	return n;
}

/* Feed the records of @data to a new network with @nports test ports. */
static void fp_run(const uint8_t *data, size_t size, guint nports)
{
	struct un_network *n = fp_network();
	struct fuzz_port ports[FP_PORTS_MAX];
	struct fuzz_rec r;

	for (guint i = 0; i < nports; i++) {
		fuzz_port_init(&ports[i]);
		FUZZ_CHECK(un_network_attach(n, &ports[i].port, "fuzz", NULL));
	}
	while (fuzz_rec_next(&data, &size, &r)) {
		un_port_input(&ports[(r.ctl & 1) % nports].port, r.data, r.len);
		if (r.ctl & 2)
			fuzz_loop_run();
	}
	for (guint i = 0; i < nports; i++) {
		un_network_detach(&ports[i].port);
		un_port_clear(&ports[i].port);
	}
	un_network_destroy(n);
	fuzz_loop_run();
}

#endif
