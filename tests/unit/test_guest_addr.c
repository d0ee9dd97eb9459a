/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_guest_addr.c - learning a guest's address (backend/guest_addr.c):
 * the yiaddr of a DHCPACK the router sends (RFC 2131: BOOTREPLY, magic
 * cookie 99.130.83.99, option 53 = 5, UDP 67 to 68) and the sender
 * address of an ARP packet the guest sends (RFC 826), with a table of
 * frames that are not those, malformed ones included. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "guest_frames.h"
#include "usernet/guest_addr.h"

#define BOOTP_BYTES 240u

/* Changes made to a good DHCPACK frame to make a bad one. */
enum ack_edit {
	ACK_GOOD,
	ACK_OFFER,        /* option 53 = 2 */
	ACK_REQUEST_OP,   /* op 1: a client's message */
	ACK_NO_COOKIE,
	ACK_NO_TYPE,      /* options hold only the end mark */
	ACK_OPT_OVERRUN,  /* an option's length runs past the datagram */
	ACK_PORTS,        /* 68 to 67 */
	ACK_FRAGMENT,     /* more-fragments set */
	ACK_TCP,
	ACK_SHORT_UDP,    /* UDP length shorter than BOOTP */
	ACK_UDP_LONG,     /* UDP length past the IP datagram */
	ACK_IP_LONG,      /* IP total length past the frame */
	ACK_TRUNCATED,    /* frame cut inside the IP header */
	ACK_PAD_THEN_TYPE, /* pads before option 53: still an ACK */
};

static GByteArray *ack_frame(enum ack_edit e)
{
	uint8_t udp[8 + BOOTP_BYTES + 8] = { 0 };
	uint8_t *bootp = udp + 8, *opt = bootp + BOOTP_BYTES;
	gsize opt_len = 4;
	GByteArray *f;

	gf_put16(udp, e == ACK_PORTS ? 68 : 67);
	gf_put16(udp + 2, e == ACK_PORTS ? 67 : 68);
	bootp[0] = e == ACK_REQUEST_OP ? 1 : 2;
	inet_pton(AF_INET, "10.0.2.15", bootp + 16);
	if (e != ACK_NO_COOKIE)
		memcpy(bootp + 236, "\x63\x82\x53\x63", 4);
	memcpy(opt, "\x35\x01\x05\xff", 4);
	if (e == ACK_OFFER)
		opt[2] = 2;
	if (e == ACK_NO_TYPE)
		opt[0] = 0xff;
	if (e == ACK_OPT_OVERRUN)
		memcpy(opt, "\x0c\x20" "ab", 4);
	if (e == ACK_PAD_THEN_TYPE) {
		memcpy(opt, "\x00\x00\x35\x01\x05\xff", 6);
		opt_len = 6;
	}
	gf_put16(udp + 4, e == ACK_SHORT_UDP ? 8 + 100 :
			  e == ACK_UDP_LONG ? 8 + BOOTP_BYTES + 200 :
			  (guint)(8 + BOOTP_BYTES + opt_len));
	f = gf_ip4(gf_bcast_mac, e == ACK_TCP ? 6 : 17, "10.0.2.2",
		   "255.255.255.255", 1, e == ACK_FRAGMENT ? 0x2000 : 0, udp,
		   8 + BOOTP_BYTES + opt_len);
	if (e == ACK_IP_LONG)
		gf_put16(f->data + 16, f->len);
	if (e == ACK_TRUNCATED)
		g_byte_array_set_size(f, 14 + 12);
	return f;
}

static void test_dhcp_ack(void **state)
{
	static const struct {
		enum ack_edit edit;
		gboolean learnt;
	} rows[] = {
		{ ACK_GOOD, TRUE },         { ACK_PAD_THEN_TYPE, TRUE },
		{ ACK_OFFER, FALSE },       { ACK_REQUEST_OP, FALSE },
		{ ACK_NO_COOKIE, FALSE },   { ACK_NO_TYPE, FALSE },
		{ ACK_OPT_OVERRUN, FALSE }, { ACK_PORTS, FALSE },
		{ ACK_FRAGMENT, FALSE },    { ACK_TCP, FALSE },
		{ ACK_SHORT_UDP, FALSE },   { ACK_UDP_LONG, FALSE },
		{ ACK_IP_LONG, FALSE },     { ACK_TRUNCATED, FALSE },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(rows); i++) {
		g_autoptr(GByteArray) f = ack_frame(rows[i].edit);
		const struct un_frame fr = { f->data, f->len };
		struct in_addr ip = { 0 };
		char b[INET_ADDRSTRLEN];

		if (un_guest_addr_from_router(&fr, &ip) != rows[i].learnt)
			fail_msg("row %zu (edit %d): learnt %s", i, rows[i].edit,
				 rows[i].learnt ? "nothing" : "an address");
		if (rows[i].learnt)
			assert_string_equal(inet_ntop(AF_INET, &ip, b, sizeof(b)),
					    "10.0.2.15");
		/* an ACK is not an ARP */
		assert_false(un_guest_addr_from_guest(&fr, &ip));
	}
}

/* An ARP packet from the guest: @op 1 request, 2 reply. */
static GByteArray *arp_frame(guint op, const char *sender, gsize cut)
{
	GByteArray *f = gf_eth(gf_bcast_mac, 0x0806);
	uint8_t arp[28] = { 0, 1, 8, 0, 6, 4 };

	gf_put16(arp + 6, op);
	memcpy(arp + 8, gf_guest_mac, 6);
	inet_pton(AF_INET, sender, arp + 14);
	inet_pton(AF_INET, "10.0.2.2", arp + 24);
	g_byte_array_append(f, arp, (guint)(sizeof(arp) - cut));
	return f;
}

static void test_arp(void **state)
{
	static const struct {
		guint op;
		const char *sender;
		gsize cut;
		const char *want; /* NULL: nothing learnt */
	} rows[] = {
		{ 1, "10.0.2.15", 0, "10.0.2.15" },
		{ 2, "10.0.2.16", 0, "10.0.2.16" },
		{ 1, "0.0.0.0", 0, NULL },   /* a probe (RFC 5227) */
		{ 1, "10.0.2.15", 1, NULL }, /* truncated */
	};

	for (gsize i = 0; i < G_N_ELEMENTS(rows); i++) {
		g_autoptr(GByteArray) f = arp_frame(rows[i].op, rows[i].sender, rows[i].cut);
		const struct un_frame fr = { f->data, f->len };
		struct in_addr ip = { 0 };
		char b[INET_ADDRSTRLEN];

		assert_int_equal(un_guest_addr_from_guest(&fr, &ip), rows[i].want != NULL);
		if (rows[i].want)
			assert_string_equal(inet_ntop(AF_INET, &ip, b, sizeof(b)),
					    rows[i].want);
		assert_false(un_guest_addr_from_router(&fr, &ip));
	}
}

static void test_not_arp(void **state)
{
	g_autoptr(GByteArray) ipx = arp_frame(1, "10.0.2.15", 0);
	g_autoptr(GByteArray) v6 = arp_frame(1, "10.0.2.15", 0);
	g_autoptr(GByteArray) hw = arp_frame(1, "10.0.2.15", 0);
	g_autoptr(GByteArray) bare = gf_eth(gf_bcast_mac, 0x0806);
	GByteArray *bad[] = { ipx, v6, hw, bare };
	struct in_addr ip;

	gf_put16(ipx->data + 12, 0x8137); /* not ARP at all */
	gf_put16(v6->data + 14 + 2, 0x86dd); /* protocol type */
	hw->data[14 + 4] = 8;                /* hardware length */
	for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
		const struct un_frame fr = { bad[i]->data, bad[i]->len };

		assert_false(un_guest_addr_from_guest(&fr, &ip));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dhcp_ack),
		cmocka_unit_test(test_arp),
		cmocka_unit_test(test_not_arp),
	};

	return cmocka_run_group_tests_name("guest_addr", tests, NULL, NULL);
}
