/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fuzz_dhcp_input.c - the DHCP server's input (backend/dhcp.c): frames
 * from guests, with time passing between them.
 * Input: byte 0 picks the server (bit 0: 0 a natnet-like server with a
 * router, DNS, search list, a reservation and a 16-address range; 1 an
 * internal-like one that also answers ARP, 4 addresses, at most 3 leases),
 * then records (fuzz_util.h): control bit 0 picks one of two ports, bits
 * 1-7 (v) move the server's clock by v*v/4 seconds before the frame.
 * Checks: replies are sane frames (fuzz_port_send), the lease table stays
 * within its bound, listing and looking up leases work after every frame.
 * Each input gets a new server on a clock starting at the same time. */
#include <arpa/inet.h>

#include "config.h"
#include "fuzz_util.h"
#include "usernet/dhcp.h"

static gint64 clock_us;

static gint64 fuzz_clock(void *opaque)
{
	return clock_us;
}

static const char *const search[] = { "a.example.test", "b.example.test", NULL };

static struct un_dhcp *server_new(gboolean internal)
{
	struct un_dhcp_net net = {
		.net.s_addr = htonl(0x0a000200), .mask.s_addr = htonl(0xffffff00),
		.server.s_addr = htonl(0x0a000202), .mtu = 1500,
	};
	const char *spec = internal ? "internal:fz,dhcp-range=10.0.2.100-10.0.2.103,dhcp-lease=60" :
		"natnet:fz,dhcp-range=10.0.2.15-10.0.2.30,dhcp-lease=120,"
		"dhcp-host=52:54:00:12:34:99,,10.0.2.50,,fixed";
	struct un_dhcp_config cfg = { 0 };
	g_autoptr(GError) err = NULL;
	struct un_netdef *def = un_spec_parse(spec, &err);
	struct un_config c;
	struct un_dhcp *d;

	if (internal) {
		net.answer_arp = TRUE;
	} else {
		net.router = net.server;
		net.dns.s_addr = htonl(0x0a000203);
		net.domain = "example.test";
		net.dnssearch = search;
	}
	FUZZ_CHECK(def != NULL);
	c = un_netdef_config(def);
	if (!un_dhcp_config_parse(&cfg, &c, &net, &err)) {
		fprintf(stderr, "fuzz: %s\n", err->message);
		abort();
	}
	if (internal)
		cfg.max_leases = 3;
	d = un_dhcp_new(&cfg, "fz");
	un_dhcp_config_clear(&cfg);
	un_netdef_free(def);
	un_dhcp_set_clock(d, fuzz_clock, NULL);
	return d;
}

static void check_leases(struct un_dhcp *d, const struct un_port *from,
			 guint max)
{
	g_autoptr(GArray) all = un_dhcp_leases(d);
	struct un_dhcp_lease l;

	FUZZ_CHECK(un_dhcp_lease_count(d) <= max);
	for (guint i = 0; i < all->len; i++)
		FUZZ_CHECK(g_array_index(all, struct un_dhcp_lease, i).state <
			   UN_DHCP_LEASE__COUNT);
	if (from->mac_known && un_dhcp_lookup(d, from->mac, &l))
		un_dhcp_lease_clear(&l);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_port ports[2];
	struct un_dhcp *d;
	struct fuzz_rec r;
	gboolean internal;

	if (size < 1)
		return 0;
	internal = data[0] & 1;
	data++;
	size--;
	clock_us = 1000 * G_USEC_PER_SEC;
	d = server_new(internal);
	fuzz_port_init(&ports[0]);
	fuzz_port_init(&ports[1]);
	while (fuzz_rec_next(&data, &size, &r)) {
		struct un_port *p = &ports[r.ctl & 1].port;
		struct un_frame f = { r.data, r.len };
		guint v = r.ctl >> 1;

		clock_us += (gint64)v * v * G_USEC_PER_SEC / 4;
		/* What un_port_input guarantees before any kind sees a frame. */
		if (r.len < UN_FRAME_MIN_BYTES || r.len > UN_MTU_DEFAULT + 18)
			continue;
		if (!p->mac_known) {
			memcpy(p->mac, r.data + UN_MAC_BYTES, UN_MAC_BYTES);
			p->mac_known = TRUE;
		}
		(void)un_dhcp_input(d, p, &f);
		check_leases(d, p, internal ? 3 : UN_DHCP_LEASES_MAX);
	}
	(void)un_dhcp_get_stats(d);
	un_dhcp_free(d);
	un_port_clear(&ports[0].port);
	un_port_clear(&ports[1].port);
	return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_quiet_logs();
	return 0;
}
