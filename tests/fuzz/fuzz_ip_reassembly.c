/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fuzz_ip_reassembly.c - the fragment guard (backend/ip_guard.c): header
 * checks and IPv4/IPv6 reassembly in front of libslirp.
 * Input: records (fuzz_util.h); control bit 0 picks one of two ports, bit
 * 1 makes that port leave first (un_ip_guard_forget), bits 2-7 (v) move
 * the clock by v*v/8 seconds (past the 30 s timeout within a few records).
 * Limits are small (8 datagrams, 16 KiB, 8 KiB per port) so inputs reach
 * them.
 * Checks, independent of the guard's code: every frame it passes or
 * rebuilds is what libslirp may see: an ARP frame long enough; an IPv4
 * datagram with a valid header checksum, lengths inside the frame, no
 * fragment bits, and a TCP/UDP/ICMP header that fits; an IPv6 datagram
 * inside the frame, with no fragment header, within the MTU when rebuilt.
 * Memory held stays under the limit. Each input starts a new guard. */
#include "fuzz_util.h"
#include "ip_guard.h"

#define FZ_MTU 1500u

static const struct un_ip_guard_limits limits = {
	.max_datagrams = 8,
	.max_bytes = 16 * 1024,
	.max_port_bytes = 8 * 1024,
	.timeout_us = 30 * G_USEC_PER_SEC,
	.mtu = FZ_MTU,
};

static guint be16(const uint8_t *p)
{
	return (guint)p[0] << 8 | p[1];
}

static gboolean cksum_ok(const uint8_t *p, size_t len)
{
	guint32 sum = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += be16(p + i);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum == 0xffff;
}

static void check_l4(guint proto, const uint8_t *l4, size_t len)
{
	if (proto == 6)
		FUZZ_CHECK(len >= 20 && (size_t)(l4[12] >> 4) * 4 >= 20 &&
			   (size_t)(l4[12] >> 4) * 4 <= len);
	else if (proto == 17)
		FUZZ_CHECK(len >= 8 && be16(l4 + 4) >= 8 && be16(l4 + 4) <= len);
}

static void check_ipv4(const uint8_t *ip, size_t avail)
{
	size_t hlen, tot;

	FUZZ_CHECK(avail >= 20 && ip[0] >> 4 == 4);
	hlen = (size_t)(ip[0] & 0xf) * 4;
	tot = be16(ip + 2);
	FUZZ_CHECK(hlen >= 20 && tot >= hlen && tot <= avail);
	FUZZ_CHECK(cksum_ok(ip, hlen));
	FUZZ_CHECK((be16(ip + 6) & 0x3fff) == 0);
	if (ip[9] == 1)
		FUZZ_CHECK(tot - hlen >= 8);
	check_l4(ip[9], ip + hlen, tot - hlen);
}

static void check_ipv6(const uint8_t *ip, size_t avail, gboolean rebuilt)
{
	size_t pl;

	FUZZ_CHECK(avail >= 40 && ip[0] >> 4 == 6);
	pl = be16(ip + 4);
	FUZZ_CHECK(40 + pl <= avail && ip[6] != 44);
	if (rebuilt)
		FUZZ_CHECK(40 + pl <= FZ_MTU);
	if (ip[6] == 58)
		FUZZ_CHECK(pl >= 4);
	check_l4(ip[6], ip + 40, pl);
}

/* A frame the guard lets through (PASS) or built (WHOLE). */
static void check_out(const uint8_t *f, size_t len, gboolean rebuilt)
{
	guint type;

	FUZZ_CHECK(len >= UN_ETH_HEADER_BYTES);
	type = be16(f + 12);
	if (type == 0x0806)
		FUZZ_CHECK(len >= UN_ETH_HEADER_BYTES + 28);
	else if (type == 0x0800)
		check_ipv4(f + UN_ETH_HEADER_BYTES, len - UN_ETH_HEADER_BYTES);
	else if (type == 0x86dd)
		check_ipv6(f + UN_ETH_HEADER_BYTES, len - UN_ETH_HEADER_BYTES, rebuilt);
	else
		FUZZ_CHECK(!rebuilt);
}

static void feed(struct un_ip_guard *g, struct un_port *p,
		 const struct fuzz_rec *r, gint64 now)
{
	struct un_frame f = { r->data, r->len };
	GBytes *whole = NULL;
	const uint8_t *w;
	gsize wlen;

	switch (un_ip_guard_input(g, p, &f, now, &whole)) {
	case UN_GUARD_PASS:
		FUZZ_CHECK(whole == NULL);
		check_out(r->data, r->len, FALSE);
		break;
	case UN_GUARD_WHOLE:
		FUZZ_CHECK(whole != NULL);
		w = g_bytes_get_data(whole, &wlen);
		check_out(w, wlen, TRUE);
		g_bytes_unref(whole);
		break;
	case UN_GUARD_HELD:
	case UN_GUARD_DROP:
		FUZZ_CHECK(whole == NULL);
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct un_ip_guard *g = un_ip_guard_new(&limits, NULL, NULL);
	struct un_port ports[2] = { { 0 } };
	gint64 now = 1000 * G_USEC_PER_SEC;
	struct fuzz_rec r;

	while (fuzz_rec_next(&data, &size, &r)) {
		struct un_port *p = &ports[r.ctl & 1];
		guint v = r.ctl >> 2;
		gint64 deadline;

		now += (gint64)v * v * G_USEC_PER_SEC / 8;
		if (r.ctl & 2)
			un_ip_guard_forget(g, p);
		feed(g, p, &r, now);
		deadline = un_ip_guard_next_deadline(g);
		FUZZ_CHECK(deadline == -1 || (deadline > now &&
					      deadline <= now + limits.timeout_us));
		/* Each held fragment costs at least 64 bytes of the budget. */
		FUZZ_CHECK(un_ip_guard_held_frames(g) <= limits.max_bytes / 64);
	}
	un_ip_guard_expire(g, now + limits.timeout_us);
	FUZZ_CHECK(un_ip_guard_held_frames(g) == 0);
	un_ip_guard_free(g);
	return 0;
}
