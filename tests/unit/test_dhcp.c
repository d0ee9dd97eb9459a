/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_dhcp.c - the switched networks' DHCP server (backend/dhcp.c,
 * backend/dhcp_config.c).
 * Requests are built here byte by byte from RFC 951/2131/2132 (never with
 * the server's own encoder), and replies are decoded here: Ethernet, IPv4
 * and UDP headers with their checksums, BOOTP fields, options. Time is a
 * test clock; memory is bounded by the lease cap, counted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <glib.h>
#include <inttypes.h>
#include <string.h>

#include "config.h"
#include "usernet/dhcp.h"
#include "usernet/error.h"

/* Offsets in an untagged Ethernet frame with a 20-byte IPv4 header. */
#define IP_OFF 14u
#define UDP_OFF 34u
#define BOOTP_OFF 42u
#define MAGIC_OFF (BOOTP_OFF + 236u)
#define OPTS_OFF (BOOTP_OFF + 240u)
#define FRAME_MAX 2048u

#define NET_10_0_2(x) (0x0a000200u | (x))
#define SERVER NET_10_0_2(2)
#define BCAST 0xffffffffu

static const uint8_t server_mac[6] = { 0x52, 0x55, 0x0a, 0x00, 0x02, 0x02 };
static const uint8_t all_ones[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t mac_a[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
static const uint8_t mac_b[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x57 };
static const uint8_t mac_c[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x58 };

/* ---- clock and log ---- */

static gint64 now_us = 1000 * G_USEC_PER_SEC;
static GPtrArray *warnings;

static gint64 test_clock(void *opaque)
{
	return now_us;
}

static void advance_s(gint64 s)
{
	now_us += s * G_USEC_PER_SEC;
}

static GLogWriterOutput test_log(GLogLevelFlags level, const GLogField *fields,
				 gsize n, gpointer user_data)
{
	if (!(level & G_LOG_LEVEL_WARNING))
		return G_LOG_WRITER_HANDLED;
	for (gsize i = 0; i < n; i++)
		if (strcmp(fields[i].key, "MESSAGE") == 0)
			g_ptr_array_add(warnings, g_strdup(fields[i].value));
	return G_LOG_WRITER_HANDLED;
}

/* ---- a port that keeps what it is sent ---- */

struct test_port {
	struct un_port port;
	GPtrArray *sent; /* GBytes */
};

static void tp_send(struct un_port *p, const struct un_frame *f)
{
	struct test_port *t = container_of(p, struct test_port, port);

	assert_true(f->len <= UN_FRAME_MAX_BYTES);
	g_ptr_array_add(t->sent, g_bytes_new(f->data, f->len));
}

static const struct un_port_ops tp_ops = { .transport = "test", .send = tp_send };

static void tp_init(struct test_port *t)
{
	un_port_init(&t->port, &tp_ops, "test");
	t->sent = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
}

static void tp_clear(struct test_port *t)
{
	g_ptr_array_unref(t->sent);
	un_port_clear(&t->port);
}

/* ---- the server under test ---- */

static struct in_addr in4(guint32 host)
{
	return (struct in_addr){ htonl(host) };
}

static const char *const default_search[] = { "a.example.test", "b.example.test", NULL };

/* natnet-like facts: 10.0.2.0/24, router and server .2, DNS .3, from .15. */
static struct un_dhcp_net default_net(void)
{
	return (struct un_dhcp_net){
		.net = in4(NET_10_0_2(0)), .mask = in4(0xffffff00u),
		.server = in4(SERVER), .router = in4(SERVER),
		.dns = in4(NET_10_0_2(3)), .start = in4(NET_10_0_2(15)),
		.domain = "example.test", .dnssearch = default_search,
		.mtu = 1500,
	};
}

static gboolean config_parse(const char *spec, const struct un_dhcp_net *net,
			     struct un_dhcp_config *cfg, GError **error)
{
	struct un_netdef *def = un_spec_parse(spec, NULL);
	struct un_config c;
	gboolean ok;

	assert_non_null(def);
	c = un_netdef_config(def);
	ok = un_dhcp_config_parse(cfg, &c, net, error);
	un_netdef_free(def);
	return ok;
}

/* A server for @spec on @net (NULL: default_net); @max_leases 0: as
 * configured. */
static struct un_dhcp *server_new_cap(const char *spec,
				      const struct un_dhcp_net *net,
				      guint max_leases)
{
	struct un_dhcp_net dflt = default_net();
	struct un_dhcp_config cfg;
	g_autoptr(GError) err = NULL;
	struct un_dhcp *d;

	if (!config_parse(spec, net ? net : &dflt, &cfg, &err))
		fail_msg("%s", err->message);
	if (max_leases)
		cfg.max_leases = max_leases;
	d = un_dhcp_new(&cfg, "lab");
	un_dhcp_config_clear(&cfg);
	un_dhcp_set_clock(d, test_clock, NULL);
	return d;
}

static struct un_dhcp *server_new(const char *spec)
{
	return server_new_cap(spec, NULL, 0);
}

/* ---- requests, byte by byte ---- */

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

static unsigned get16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}

/* RFC 1071 over @len bytes, plus @sum. */
static uint16_t inet_sum(uint32_t sum, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i += 2)
		sum += (uint32_t)p[i] << 8 | (i + 1 < len ? p[i + 1] : 0);
	while (sum > 0xffff)
		sum = (sum >> 16) + (sum & 0xffff);
	return (uint16_t)~sum;
}

/* Recompute the IPv4 header and UDP checksums from the header fields (of
 * a FRAME_MAX buffer; headers that point past it are left alone). */
static void fix_sums(uint8_t *f)
{
	size_t ihl = (f[IP_OFF] & 15u) * 4u;
	uint8_t *udp = f + IP_OFF + ihl;
	unsigned ulen = get16(udp + 4);
	uint32_t pseudo;
	uint16_t s;

	if (IP_OFF + ihl + ulen > FRAME_MAX)
		return;

	put16(f + IP_OFF + 10, 0);
	put16(f + IP_OFF + 10, inet_sum(0, f + IP_OFF, ihl));
	put16(udp + 6, 0);
	pseudo = (uint32_t)get16(f + IP_OFF + 12) + get16(f + IP_OFF + 14) +
		 get16(f + IP_OFF + 16) + get16(f + IP_OFF + 18) + 17 + ulen;
	s = inet_sum(pseudo, udp, ulen);
	put16(udp + 6, s ? s : 0xffff);
}

struct req {
	uint8_t type;          /* option 53; 0: left out (plain BOOTP) */
	const uint8_t *mac;
	uint32_t xid;
	uint32_t ciaddr;       /* also the IPv4 source */
	uint32_t ip_dst;       /* 0: 255.255.255.255 */
	uint16_t flags;
	uint32_t req_ip;       /* option 50, 0: none */
	uint32_t server_id;    /* option 54, 0: none */
	const char *hostname;  /* option 12 */
	uint16_t max_size;     /* option 57 */
	const uint8_t *raw_opts; /* replaces every option (no END added) */
	size_t raw_len;
};

/* The options of @q from @o on (RFC 2132); returns the end. */
static size_t req_options_write(uint8_t *f, size_t o, const struct req *q)
{
	if (q->raw_opts) {
		memcpy(f + o, q->raw_opts, q->raw_len);
		return o + q->raw_len;
	}
	if (q->type)
		f[o++] = 53, f[o++] = 1, f[o++] = q->type;
	f[o++] = 61, f[o++] = 7, f[o++] = 1; /* client id: type 1, MAC */
	memcpy(f + o, q->mac, 6), o += 6;
	if (q->req_ip)
		f[o++] = 50, f[o++] = 4, put32(f + o, q->req_ip), o += 4;
	if (q->server_id)
		f[o++] = 54, f[o++] = 4, put32(f + o, q->server_id), o += 4;
	if (q->hostname) {
		f[o++] = 12, f[o++] = (uint8_t)strlen(q->hostname);
		memcpy(f + o, q->hostname, strlen(q->hostname));
		o += strlen(q->hostname);
	}
	if (q->max_size)
		f[o++] = 57, f[o++] = 2, put16(f + o, q->max_size), o += 2;
	/* parameter request list: mask, router, DNS, domain */
	f[o++] = 55, f[o++] = 4, f[o++] = 1, f[o++] = 3, f[o++] = 6, f[o++] = 15;
	f[o++] = 255;
	return o;
}

/* Build @q into @f (FRAME_MAX bytes); returns the frame's length. */
static size_t req_build(uint8_t *f, const struct req *q)
{
	uint32_t dst = q->ip_dst ? q->ip_dst : BCAST;
	size_t o;

	memset(f, 0, FRAME_MAX);
	/* Ethernet II: destination, source, type 0x0800 */
	memcpy(f, dst == BCAST ? all_ones : server_mac, 6);
	memcpy(f + 6, q->mac, 6);
	put16(f + 12, 0x0800);
	/* IPv4 (RFC 791): version 4, IHL 5, ID, TTL 64, UDP */
	f[IP_OFF] = 0x45;
	put16(f + IP_OFF + 4, 0x1234);
	f[IP_OFF + 8] = 64;
	f[IP_OFF + 9] = 17;
	put32(f + IP_OFF + 12, q->ciaddr);
	put32(f + IP_OFF + 16, dst);
	/* UDP (RFC 768): 68 -> 67 */
	put16(f + UDP_OFF, 68);
	put16(f + UDP_OFF + 2, 67);
	/* BOOTP (RFC 951, RFC 2131 figure 1): BOOTREQUEST, Ethernet, hlen 6 */
	f[BOOTP_OFF] = 1;
	f[BOOTP_OFF + 1] = 1;
	f[BOOTP_OFF + 2] = 6;
	put32(f + BOOTP_OFF + 4, q->xid);
	put16(f + BOOTP_OFF + 10, q->flags);
	put32(f + BOOTP_OFF + 12, q->ciaddr);
	memcpy(f + BOOTP_OFF + 28, q->mac, 6);
	/* magic cookie 99.130.83.99 (RFC 2131 section 3) */
	memcpy(f + MAGIC_OFF, (const uint8_t[]){ 99, 130, 83, 99 }, 4);
	o = req_options_write(f, OPTS_OFF, q);
	put16(f + IP_OFF + 2, o - IP_OFF);
	put16(f + UDP_OFF + 4, o - UDP_OFF);
	fix_sums(f);
	return o;
}

/* Hand @len bytes of @f to the server in a buffer of exactly that size, so
 * ASan sees any read past the frame. */
static gboolean feed(struct un_dhcp *d, struct test_port *p, const uint8_t *f,
		     size_t len)
{
	uint8_t *copy = g_memdup2(f, len);
	struct un_frame fr = { copy, len };
	gboolean r = un_dhcp_input(d, &p->port, &fr);

	g_free(copy);
	return r;
}

static gboolean send_req(struct un_dhcp *d, struct test_port *p,
			 const struct req *q)
{
	uint8_t f[FRAME_MAX];

	return feed(d, p, f, req_build(f, q));
}

/* ---- replies, decoded ---- */

struct reply {
	uint8_t eth_dst[6], eth_src[6];
	uint32_t ip_src, ip_dst;
	uint32_t xid, ciaddr, yiaddr, siaddr, giaddr;
	uint16_t flags;
	uint8_t chaddr[6];
	size_t ip_len;
	GByteArray *opt[256]; /* values, repeated options joined (RFC 3396) */
};

static void reply_clear(struct reply *r)
{
	for (int i = 0; i < 256; i++)
		if (r->opt[i])
			g_byte_array_unref(r->opt[i]);
}

/* Check every header of reply frame @b and decode it into @r. */
static void reply_parse(GBytes *b, struct reply *r)
{
	gsize len;
	const uint8_t *f = g_bytes_get_data(b, &len), *ip = f + IP_OFF;
	size_t ulen, o;

	memset(r, 0, sizeof(*r));
	assert_true(len >= OPTS_OFF + 1);
	memcpy(r->eth_dst, f, 6);
	memcpy(r->eth_src, f + 6, 6);
	assert_int_equal(get16(f + 12), 0x0800);
	assert_int_equal(ip[0], 0x45);
	assert_int_equal(inet_sum(0, ip, 20), 0);
	r->ip_len = get16(ip + 2);
	assert_int_equal(r->ip_len, len - IP_OFF);
	assert_int_equal(get16(ip + 6) & 0x3fff, 0); /* no fragment */
	assert_true(ip[8] > 0);
	assert_int_equal(ip[9], 17);
	r->ip_src = get32(ip + 12);
	r->ip_dst = get32(ip + 16);
	assert_int_equal(get16(f + UDP_OFF), 67);
	assert_int_equal(get16(f + UDP_OFF + 2), 68);
	ulen = get16(f + UDP_OFF + 4);
	assert_int_equal(ulen, r->ip_len - 20);
	assert_true(ulen - 8 >= 300); /* BOOTP's minimum (RFC 1542) */
	{
		uint32_t pseudo = get16(ip + 12) + get16(ip + 14) + get16(ip + 16) +
				  get16(ip + 18) + 17 + (uint32_t)ulen;

		assert_int_not_equal(get16(f + UDP_OFF + 6), 0);
		assert_int_equal(inet_sum(pseudo, f + UDP_OFF, ulen), 0);
	}
	assert_int_equal(f[BOOTP_OFF], 2);
	assert_int_equal(f[BOOTP_OFF + 1], 1);
	assert_int_equal(f[BOOTP_OFF + 2], 6);
	r->xid = get32(f + BOOTP_OFF + 4);
	r->flags = (uint16_t)get16(f + BOOTP_OFF + 10);
	r->ciaddr = get32(f + BOOTP_OFF + 12);
	r->yiaddr = get32(f + BOOTP_OFF + 16);
	r->siaddr = get32(f + BOOTP_OFF + 20);
	r->giaddr = get32(f + BOOTP_OFF + 24);
	memcpy(r->chaddr, f + BOOTP_OFF + 28, 6);
	assert_int_equal(get32(f + MAGIC_OFF), 0x63825363u);
	for (o = OPTS_OFF; f[o] != 255;) {
		if (f[o] == 0) {
			o++;
			continue;
		}
		assert_true(o + 2 <= len && o + 2 + f[o + 1] <= len);
		if (!r->opt[f[o]])
			r->opt[f[o]] = g_byte_array_new();
		g_byte_array_append(r->opt[f[o]], f + o + 2, f[o + 1]);
		o += 2u + f[o + 1];
		assert_true(o < len);
	}
}

/* The one frame @p got (then forgotten), decoded. */
static void take_reply(struct test_port *p, struct reply *r)
{
	assert_int_equal(p->sent->len, 1);
	reply_parse(g_ptr_array_index(p->sent, 0), r);
	g_ptr_array_set_size(p->sent, 0);
}

static uint32_t opt32(const struct reply *r, int code)
{
	assert_non_null(r->opt[code]);
	assert_int_equal(r->opt[code]->len, 4);
	return get32(r->opt[code]->data);
}

static int opt8(const struct reply *r, int code)
{
	assert_non_null(r->opt[code]);
	assert_int_equal(r->opt[code]->len, 1);
	return r->opt[code]->data[0];
}

static void assert_opt_str(const struct reply *r, int code, const char *s)
{
	assert_non_null(r->opt[code]);
	assert_int_equal(r->opt[code]->len, strlen(s));
	assert_memory_equal(r->opt[code]->data, s, strlen(s));
}

/* DISCOVER then REQUEST (selecting) for @mac; returns the address. */
static uint32_t lease_get(struct un_dhcp *d, struct test_port *p,
			  const uint8_t *mac)
{
	struct reply r;
	uint32_t ip;

	assert_true(send_req(d, p, &(struct req){ .type = 1, .mac = mac, .xid = 1 }));
	take_reply(p, &r);
	assert_int_equal(opt8(&r, 53), 2);
	ip = r.yiaddr;
	reply_clear(&r);
	assert_true(send_req(d, p, &(struct req){ .type = 3, .mac = mac, .xid = 2,
						  .req_ip = ip, .server_id = SERVER }));
	take_reply(p, &r);
	assert_int_equal(opt8(&r, 53), 5);
	assert_int_equal(r.yiaddr, ip);
	reply_clear(&r);
	return ip;
}

static enum un_dhcp_lease_state state_of(struct un_dhcp *d, const uint8_t *mac)
{
	struct un_dhcp_lease l;
	enum un_dhcp_lease_state s;

	assert_true(un_dhcp_lookup(d, mac, &l));
	s = l.state;
	un_dhcp_lease_clear(&l);
	return s;
}

/* ---- the exchanges ---- */

static void test_discover_offer(void **state)
{
	struct un_dhcp *d = server_new("natnet:lab");
	/* RFC 3397 section 3's encoding, by hand: a.example.test, then b and
	 * a pointer to "example.test" at offset 2. */
	static const uint8_t search[] = {
		1, 'a', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 4, 't', 'e', 's', 't', 0,
		1, 'b', 0xc0, 2,
	};
	struct test_port p;
	struct reply r;

	tp_init(&p);
	assert_true(send_req(d, &p, &(struct req){ .type = 1, .mac = mac_a,
						   .xid = 0xdeadbeef }));
	take_reply(&p, &r);
	assert_memory_equal(r.eth_dst, all_ones, 6);
	assert_memory_equal(r.eth_src, server_mac, 6);
	assert_int_equal(r.ip_src, SERVER);
	assert_int_equal(r.ip_dst, BCAST);
	assert_true(r.ip_len <= 576);
	assert_int_equal(r.xid, 0xdeadbeef);
	assert_int_equal(r.yiaddr, NET_10_0_2(15));
	assert_int_equal(r.ciaddr, 0);
	assert_memory_equal(r.chaddr, mac_a, 6);
	assert_int_equal(opt8(&r, 53), 2);
	assert_int_equal(opt32(&r, 54), SERVER);
	assert_int_equal(opt32(&r, 51), 86400);
	assert_int_equal(opt32(&r, 58), 43200);
	assert_int_equal(opt32(&r, 59), 75600);
	assert_int_equal(opt32(&r, 1), 0xffffff00u);
	assert_int_equal(opt32(&r, 3), SERVER);
	assert_int_equal(opt32(&r, 6), NET_10_0_2(3));
	assert_int_equal(r.opt[26]->len, 2);
	assert_int_equal(get16(r.opt[26]->data), 1500);
	assert_opt_str(&r, 15, "example.test");
	assert_non_null(r.opt[119]);
	assert_int_equal(r.opt[119]->len, sizeof(search));
	assert_memory_equal(r.opt[119]->data, search, sizeof(search));
	assert_null(r.opt[12]);
	reply_clear(&r);
	assert_int_equal(state_of(d, mac_a), UN_DHCP_LEASE_OFFERED);
	assert_int_equal(un_dhcp_get_stats(d)->offers, 1);
	tp_clear(&p);
	un_dhcp_free(d);
}

static void test_request_ack_renew_rebind(void **state)
{
	struct un_dhcp *d = server_new("natnet:lab,dhcp-lease=3600");
	struct test_port p;
	struct reply r;
	struct un_dhcp_lease l;
	uint32_t ip;

	tp_init(&p);
	ip = lease_get(d, &p, mac_a);
	assert_int_equal(ip, NET_10_0_2(15));
	assert_true(un_dhcp_lookup(d, mac_a, &l));
	assert_int_equal(l.state, UN_DHCP_LEASE_BOUND);
	assert_int_equal(ntohl(l.ip.s_addr), ip);
	assert_int_equal(l.remaining_s, 3600);
	un_dhcp_lease_clear(&l);

	/* RENEWING: unicast to the server, ciaddr set, no server id or 50. */
	advance_s(1800);
	assert_true(send_req(d, &p, &(struct req){ .type = 3, .mac = mac_a, .xid = 3,
						   .ciaddr = ip, .ip_dst = SERVER }));
	take_reply(&p, &r);
	assert_int_equal(opt8(&r, 53), 5);
	assert_memory_equal(r.eth_dst, mac_a, 6);
	assert_int_equal(r.ip_dst, ip);
	assert_int_equal(r.ciaddr, ip);
	assert_int_equal(r.yiaddr, ip);
	assert_int_equal(opt32(&r, 51), 3600);
	assert_int_equal(opt32(&r, 58), 1800);
	assert_int_equal(opt32(&r, 59), 3150);
	reply_clear(&r);
	assert_true(un_dhcp_lookup(d, mac_a, &l));
	assert_int_equal(l.remaining_s, 3600);
	un_dhcp_lease_clear(&l);

	/* REBINDING: the same, broadcast; with the broadcast flag the reply
	 * is broadcast too. */
	assert_true(send_req(d, &p, &(struct req){ .type = 3, .mac = mac_a, .xid = 4,
						   .ciaddr = ip, .flags = 0x8000 }));
	take_reply(&p, &r);
	assert_int_equal(opt8(&r, 53), 5);
	assert_memory_equal(r.eth_dst, all_ones, 6);
	assert_int_equal(r.ip_dst, BCAST);
	assert_int_equal(r.flags, 0x8000);
	reply_clear(&r);
	assert_int_equal(un_dhcp_get_stats(d)->acks, 3);
	tp_clear(&p);
	un_dhcp_free(d);
}

static void test_init_reboot_and_nak(void **state)
{
	struct un_dhcp *d = server_new("natnet:lab");
	struct test_port p;
	struct reply r;

	tp_init(&p);
	/* INIT-REBOOT, address free in the pool: the server is authoritative
	 * and grants it (a client that outlived a daemon restart). */
	assert_true(send_req(d, &p, &(struct req){ .type = 3, .mac = mac_a, .xid = 7,
						   .req_ip = NET_10_0_2(50) }));
	take_reply(&p, &r);
	assert_int_equal(opt8(&r, 53), 5);
	assert_int_equal(r.yiaddr, NET_10_0_2(50));
	reply_clear(&r);
	/* The same MAC asking for another address: NAK, broadcast. */
	assert_true(send_req(d, &p, &(struct req){ .type = 3, .mac = mac_a, .xid = 8,
						   .req_ip = NET_10_0_2(51) }));
	take_reply(&p, &r);
	assert_int_equal(opt8(&r, 53), 6);
	assert_int_equal(opt32(&r, 54), SERVER);
	assert_int_equal(r.yiaddr, 0);
	assert_int_equal(r.xid, 8);
	assert_memory_equal(r.eth_dst, all_ones, 6);
	assert_int_equal(r.ip_dst, BCAST);
	assert_null(r.opt[51]);
	assert_non_null(r.opt[56]);
	reply_clear(&r);
	/* Another MAC asking for A's address, or one off the subnet, or the
	 * router's: NAK. */
	static const uint32_t bad[] = { NET_10_0_2(50), 0x0a090909u, SERVER,
					NET_10_0_2(3), NET_10_0_2(255), NET_10_0_2(5) };
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		assert_true(send_req(d, &p, &(struct req){ .type = 3, .mac = mac_b,
							   .xid = 9, .req_ip = bad[i] }));
		take_reply(&p, &r);
		assert_int_equal(opt8(&r, 53), 6);
		reply_clear(&r);
	}
	/* SELECTING with an address never offered to it: NAK. */
	assert_true(send_req(d, &p, &(struct req){ .type = 1, .mac = mac_b, .xid = 10 }));
	take_reply(&p, &r);
	reply_clear(&r);
	assert_true(send_req(d, &p, &(struct req){ .type = 3, .mac = mac_b, .xid = 11,
						   .req_ip = NET_10_0_2(99),
						   .server_id = SERVER }));
	take_reply(&p, &r);
	assert_int_equal(opt8(&r, 53), 6);
	reply_clear(&r);
	assert_int_equal(un_dhcp_get_stats(d)->naks, 8);
	tp_clear(&p);
	un_dhcp_free(d);
}

static void test_other_server_chosen(void **state)
{
	struct un_dhcp *d = server_new("natnet:lab,dhcp-range=10.0.2.20-10.0.2.20");
	struct test_port p;
	struct reply r;

	tp_init(&p);
	assert_true(send_req(d, &p, &(struct req){ .type = 1, .mac = mac_a, .xid = 1 }));
	take_reply(&p, &r);
	assert_int_equal(r.yiaddr, NET_10_0_2(20));
	reply_clear(&r);
	/* A chose 10.0.2.99's offer: no reply, and ours is free again. */
	assert_true(send_req(d, &p, &(struct req){ .type = 3, .mac = mac_a, .xid = 2,
						   .req_ip = NET_10_0_2(40),
						   .server_id = NET_10_0_2(99) }));
	assert_int_equal(p.sent->len, 0);
	assert_int_equal(state_of(d, mac_a), UN_DHCP_LEASE_EXPIRED);
	assert_int_equal(lease_get(d, &p, mac_b), NET_10_0_2(20));
	assert_false(un_dhcp_lookup(d, mac_a, &(struct un_dhcp_lease){ 0 }));
	tp_clear(&p);
	un_dhcp_free(d);
}

static void test_release_and_stable(void **state)
{
	struct un_dhcp *d = server_new("natnet:lab");
	struct test_port p, again;
	uint32_t a, b;

	tp_init(&p);
	a = lease_get(d, &p, mac_a);
	b = lease_get(d, &p, mac_b);
	assert_int_not_equal(a, b);
	/* RELEASE: ciaddr and server id; no reply. */
	assert_true(send_req(d, &p, &(struct req){ .type = 7, .mac = mac_a, .xid = 5,
						   .ciaddr = a, .ip_dst = SERVER,
						   .server_id = SERVER }));
	assert_int_equal(p.sent->len, 0);
	assert_int_equal(state_of(d, mac_a), UN_DHCP_LEASE_RELEASED);
	assert_int_equal(un_dhcp_get_stats(d)->releases, 1);
	/* A third MAC does not take the released address: others are free. */
	assert_int_not_equal(lease_get(d, &p, mac_c), a);
	/* The NIC "re-attaches" (a new port, days later, lease long over):
	 * the same MAC gets the same address. */
	tp_clear(&p);
	advance_s(3 * 86400);
	tp_init(&again);
	assert_int_equal(state_of(d, mac_b), UN_DHCP_LEASE_EXPIRED);
	assert_int_equal(lease_get(d, &again, mac_a), a);
	assert_int_equal(lease_get(d, &again, mac_b), b);
	/* The client's hostname is kept for show. */
	assert_true(send_req(d, &again, &(struct req){ .type = 1, .mac = mac_a, .xid = 9,
						       .hostname = "guest-1" }));
	g_ptr_array_set_size(again.sent, 0);
	struct un_dhcp_lease l;
	assert_true(un_dhcp_lookup(d, mac_a, &l));
	assert_string_equal(l.hostname, "guest-1");
	un_dhcp_lease_clear(&l);
	tp_clear(&again);
	un_dhcp_free(d);
}

static void test_decline(void **state)
{
	struct un_dhcp *d = server_new("natnet:lab,dhcp-range=10.0.2.20-10.0.2.21");
	struct test_port p;
	struct reply r;
	uint32_t a;
	guint nwarn = warnings->len;

	tp_init(&p);
	a = lease_get(d, &p, mac_a);
	assert_int_equal(a, NET_10_0_2(20));
	/* DECLINE: requested address and server id (RFC 2131 table 5). */
	assert_true(send_req(d, &p, &(struct req){ .type = 4, .mac = mac_a, .xid = 3,
						   .req_ip = a, .server_id = SERVER }));
	assert_int_equal(p.sent->len, 0);
	assert_int_equal(warnings->len, nwarn + 1);
	assert_non_null(strstr(g_ptr_array_index(warnings, nwarn),
			       "52:54:00:12:34:56 declined 10.0.2.20: another host uses it"));
	assert_false(un_dhcp_lookup(d, mac_a, &(struct un_dhcp_lease){ 0 }));
	/* Neither A nor B gets .20 now; .21 goes to A, B gets nothing. */
	assert_int_equal(lease_get(d, &p, mac_a), NET_10_0_2(21));
	assert_true(send_req(d, &p, &(struct req){ .type = 1, .mac = mac_b, .xid = 4 }));
	assert_int_equal(p.sent->len, 0);
	g_autoptr(GArray) all = un_dhcp_leases(d);
	assert_int_equal(all->len, 2);
	assert_int_equal(g_array_index(all, struct un_dhcp_lease, 0).state,
			 UN_DHCP_LEASE_DECLINED);
	assert_int_equal(g_array_index(all, struct un_dhcp_lease, 0).remaining_s, 600);
	/* After the hold, .20 is offered again. */
	advance_s(601);
	assert_true(send_req(d, &p, &(struct req){ .type = 1, .mac = mac_b, .xid = 5 }));
	take_reply(&p, &r);
	assert_int_equal(r.yiaddr, NET_10_0_2(20));
	reply_clear(&r);
	tp_clear(&p);
	un_dhcp_free(d);
}

static void test_inform(void **state)
{
	struct un_dhcp *d = server_new("natnet:lab");
	struct test_port p;
	struct reply r;

	tp_init(&p);
	assert_true(send_req(d, &p, &(struct req){ .type = 8, .mac = mac_a, .xid = 6,
						   .ciaddr = NET_10_0_2(77),
						   .ip_dst = SERVER }));
	take_reply(&p, &r);
	assert_int_equal(opt8(&r, 53), 5);
	assert_memory_equal(r.eth_dst, mac_a, 6);
	assert_int_equal(r.ip_dst, NET_10_0_2(77));
	assert_int_equal(r.ciaddr, NET_10_0_2(77));
	assert_int_equal(r.yiaddr, 0);
	assert_null(r.opt[51]);
	assert_null(r.opt[58]);
	assert_null(r.opt[59]);
	assert_int_equal(opt32(&r, 1), 0xffffff00u);
	assert_int_equal(opt32(&r, 3), SERVER);
	assert_int_equal(opt32(&r, 6), NET_10_0_2(3));
	reply_clear(&r);
	assert_false(un_dhcp_lookup(d, mac_a, &(struct un_dhcp_lease){ 0 }));
	tp_clear(&p);
	un_dhcp_free(d);
}

static void test_reservations(void **state)
{
	struct un_dhcp *d = server_new(
		"natnet:lab,dhcp-range=10.0.2.50-10.0.2.51,"
		"dhcp-host=52:54:00:12:34:58,,10.0.2.50,,web,"
		"dhcp-host=52-54-00-12-34-57,,10.0.2.200");
	struct test_port p;
	struct reply r;

	tp_init(&p);
	/* C has .50 reserved (inside the range), with a name. */
	assert_true(send_req(d, &p, &(struct req){ .type = 1, .mac = mac_c, .xid = 1,
						   .req_ip = NET_10_0_2(51) }));
	take_reply(&p, &r);
	assert_int_equal(r.yiaddr, NET_10_0_2(50));
	assert_opt_str(&r, 12, "web");
	reply_clear(&r);
	/* A gets the rest of the range; nobody else gets .50. */
	assert_int_equal(lease_get(d, &p, mac_a), NET_10_0_2(51));
	/* B's reservation lies outside the range. */
	assert_int_equal(lease_get(d, &p, mac_b), NET_10_0_2(200));
	uint8_t other[6] = { 0x52, 0x54, 0, 0, 0, 1 };
	assert_true(send_req(d, &p, &(struct req){ .type = 1, .mac = other, .xid = 2 }));
	assert_int_equal(p.sent->len, 0);
	assert_true(send_req(d, &p, &(struct req){ .type = 3, .mac = other, .xid = 3,
						   .req_ip = NET_10_0_2(50) }));
	take_reply(&p, &r);
	assert_int_equal(opt8(&r, 53), 6);
	reply_clear(&r);
	/* The reservation holds, also long after its lease ended. */
	assert_int_equal(lease_get(d, &p, mac_c), NET_10_0_2(50));
	advance_s(10 * 86400);
	assert_int_equal(lease_get(d, &p, mac_c), NET_10_0_2(50));
	g_autoptr(GArray) all = un_dhcp_leases(d);
	assert_int_equal(all->len, 3);
	struct un_dhcp_lease *l0 = &g_array_index(all, struct un_dhcp_lease, 0);
	assert_int_equal(ntohl(l0->ip.s_addr), NET_10_0_2(50));
	assert_true(l0->reserved);
	assert_string_equal(l0->hostname, "web");
	assert_int_equal(ntohl(g_array_index(all, struct un_dhcp_lease, 1).ip.s_addr),
			 NET_10_0_2(51));
	assert_int_equal(ntohl(g_array_index(all, struct un_dhcp_lease, 2).ip.s_addr),
			 NET_10_0_2(200));
	tp_clear(&p);
	un_dhcp_free(d);
}

static void test_range_full(void **state)
{
	struct un_dhcp *d = server_new(
		"natnet:lab,dhcp-range=10.0.2.1-10.0.2.4,dhcp-lease=600");
	struct test_port p;
	struct reply r;
	uint8_t mac[6] = { 0x52, 0x54, 0, 0, 0, 0 };
	guint nwarn = warnings->len;

	tp_init(&p);
	/* .2 (server, router) and .3 (DNS) are never leased: two fit. */
	assert_int_equal(lease_get(d, &p, mac_a), NET_10_0_2(1));
	assert_int_equal(lease_get(d, &p, mac_b), NET_10_0_2(4));
	for (int i = 0; i < 5; i++) {
		mac[5] = (uint8_t)i;
		assert_true(send_req(d, &p, &(struct req){ .type = 1, .mac = mac, .xid = 1 }));
		assert_int_equal(p.sent->len, 0);
	}
	assert_int_equal(p.port.counters.drops[UN_DROP_TABLE_FULL], 5);
	assert_int_equal(un_dhcp_get_stats(d)->unserved, 5);
	/* One warning for the burst. */
	assert_int_equal(warnings->len, nwarn + 1);
	assert_string_equal(g_ptr_array_index(warnings, nwarn),
			    "network \"lab\": DHCP range 10.0.2.1-10.0.2.4 is full (2 addresses leased or held, none ended): 52:54:00:00:00:00 gets no address; widen dhcp-range or shorten dhcp-lease");
	/* A minute on, still full: one more warning, counting the rest. */
	advance_s(61);
	assert_true(send_req(d, &p, &(struct req){ .type = 1, .mac = mac, .xid = 1 }));
	assert_int_equal(warnings->len, nwarn + 2);
	assert_non_null(strstr(g_ptr_array_index(warnings, nwarn + 1),
			       "(4 more refused since the last warning)"));
	/* A renews; B's lease runs out: B's address goes to the new MAC,
	 * and B, coming back, finds the range full. */
	assert_true(send_req(d, &p, &(struct req){ .type = 3, .mac = mac_a, .xid = 3,
						   .ciaddr = NET_10_0_2(1),
						   .ip_dst = SERVER }));
	g_ptr_array_set_size(p.sent, 0);
	advance_s(540);
	assert_true(send_req(d, &p, &(struct req){ .type = 1, .mac = mac, .xid = 1 }));
	take_reply(&p, &r);
	assert_int_equal(r.yiaddr, NET_10_0_2(4));
	reply_clear(&r);
	assert_int_equal(un_dhcp_get_stats(d)->reclaimed, 1);
	assert_false(un_dhcp_lookup(d, mac_b, &(struct un_dhcp_lease){ 0 }));
	assert_true(send_req(d, &p, &(struct req){ .type = 1, .mac = mac_b, .xid = 1 }));
	assert_int_equal(p.sent->len, 0);
	tp_clear(&p);
	un_dhcp_free(d);
}

/* 10 000 random MACs: entries never pass the cap, the rest is counted. */
static void flood(struct un_dhcp *d, struct test_port *p, GRand *rnd, guint n)
{
	for (guint i = 0; i < n; i++) {
		uint8_t mac[6];

		for (int j = 0; j < 6; j++)
			mac[j] = (uint8_t)g_rand_int(rnd);
		mac[0] = (uint8_t)((mac[0] & 0xfe) | 0x02);
		assert_true(send_req(d, p, &(struct req){ .type = 1, .mac = mac, .xid = i }));
		g_ptr_array_set_size(p->sent, 0);
	}
}

static void test_flood_bounded(void **state)
{
	g_autoptr(GRand) rnd = g_rand_new_with_seed(42);
	struct un_dhcp_net big = default_net();
	struct un_dhcp *d;
	struct test_port p;

	/* A /24: the cap is the pool (254 less .2, .3 and .1-.14). */
	tp_init(&p);
	d = server_new("natnet:lab");
	flood(d, &p, rnd, 10000);
	assert_int_equal(un_dhcp_lease_count(d), 240);
	assert_int_equal(p.port.counters.drops[UN_DROP_TABLE_FULL], 10000 - 240);
	/* A minute later the offers have ended: a new flood reuses them. */
	advance_s(61);
	flood(d, &p, rnd, 10000);
	assert_int_equal(un_dhcp_lease_count(d), 240);
	un_dhcp_free(d);
	tp_clear(&p);

	/* A /16 with a cap of 1000 entries below its pool. */
	big.net = in4(0x0a010000u);
	big.mask = in4(0xffff0000u);
	big.server = big.router = in4(0x0a010002u);
	big.dns = in4(0x0a010003u);
	big.start = in4(0x0a01000fu);
	tp_init(&p);
	d = server_new_cap("natnet:lab", &big, 1000);
	flood(d, &p, rnd, 10000);
	assert_int_equal(un_dhcp_lease_count(d), 1000);
	assert_int_equal(p.port.counters.drops[UN_DROP_TABLE_FULL], 9000);
	assert_int_equal(un_dhcp_get_stats(d)->offers, 1000);
	g_autoptr(GArray) all = un_dhcp_leases(d);
	assert_int_equal(all->len, 1000);
	un_dhcp_free(d);
	tp_clear(&p);
}

/* ---- bad input ---- */

enum outcome { NOT_OURS, MALFORMED, FILTERED, FRAGMENT };

struct bad_frame {
	const char *what;
	void (*spoil)(uint8_t *f, size_t *len);
	enum outcome expect;
};

static void bf_ihl4(uint8_t *f, size_t *len) { f[IP_OFF] = 0x44; fix_sums(f); }
static void bf_ihl15_cut(uint8_t *f, size_t *len) { f[IP_OFF] = 0x4f; *len = IP_OFF + 64; }
static void bf_total_long(uint8_t *f, size_t *len) { put16(f + IP_OFF + 2, (unsigned)(*len - IP_OFF + 1)); fix_sums(f); }
static void bf_total_short(uint8_t *f, size_t *len) { put16(f + IP_OFF + 2, 27); fix_sums(f); }
static void bf_ip_sum(uint8_t *f, size_t *len) { f[IP_OFF + 10] ^= 0x01; }
static void bf_udp_long(uint8_t *f, size_t *len) { put16(f + UDP_OFF + 4, get16(f + UDP_OFF + 4) + 1); }
static void bf_udp_short(uint8_t *f, size_t *len) { put16(f + UDP_OFF + 4, 7); }
static void bf_udp_sum(uint8_t *f, size_t *len) { f[BOOTP_OFF + 4] ^= 0x01; }
static void bf_bootp_short(uint8_t *f, size_t *len)
{
	*len = UDP_OFF + 8 + 239;
	put16(f + IP_OFF + 2, (unsigned)(*len - IP_OFF));
	put16(f + UDP_OFF + 4, (unsigned)(*len - UDP_OFF));
	fix_sums(f);
}
static void bf_cookie(uint8_t *f, size_t *len) { f[MAGIC_OFF + 3] = 98; fix_sums(f); }
static void bf_optlen(uint8_t *f, size_t *len) { f[OPTS_OFF + 1] = 0xf0; fix_sums(f); }
static void bf_op2(uint8_t *f, size_t *len) { f[BOOTP_OFF] = 2; fix_sums(f); }
static void bf_hlen(uint8_t *f, size_t *len) { f[BOOTP_OFF + 2] = 16; fix_sums(f); }
static void bf_giaddr(uint8_t *f, size_t *len) { put32(f + BOOTP_OFF + 24, NET_10_0_2(1)); fix_sums(f); }
static void bf_offer(uint8_t *f, size_t *len) { f[OPTS_OFF + 2] = 2; fix_sums(f); }
static void bf_type9(uint8_t *f, size_t *len) { f[OPTS_OFF + 2] = 9; fix_sums(f); }
static void bf_frag(uint8_t *f, size_t *len) { f[IP_OFF + 6] = 0x20; fix_sums(f); }
static void bf_port68(uint8_t *f, size_t *len) { put16(f + UDP_OFF + 2, 68); fix_sums(f); }
static void bf_other_host(uint8_t *f, size_t *len) { put32(f + IP_OFF + 16, NET_10_0_2(77)); fix_sums(f); }
static void bf_v6(uint8_t *f, size_t *len) { f[IP_OFF] = 0x65; }
static void bf_tcp(uint8_t *f, size_t *len) { f[IP_OFF + 9] = 6; fix_sums(f); }
static void bf_arp(uint8_t *f, size_t *len) { put16(f + 12, 0x0806); }

/* Options written raw, with the lengths fixed up. */
static void bf_raw_opts(uint8_t *f, size_t *len, const uint8_t *o, size_t n)
{
	memcpy(f + OPTS_OFF, o, n);
	*len = OPTS_OFF + n;
	put16(f + IP_OFF + 2, (unsigned)(*len - IP_OFF));
	put16(f + UDP_OFF + 4, (unsigned)(*len - UDP_OFF));
	fix_sums(f);
}
static void bf_type_2bytes(uint8_t *f, size_t *len) { bf_raw_opts(f, len, (const uint8_t[]){ 53, 2, 1, 1, 255 }, 5); }
static void bf_type_cut(uint8_t *f, size_t *len) { bf_raw_opts(f, len, (const uint8_t[]){ 53 }, 1); }
static void bf_type_nodata(uint8_t *f, size_t *len) { bf_raw_opts(f, len, (const uint8_t[]){ 53, 1 }, 2); }
static void bf_reqip3(uint8_t *f, size_t *len) { bf_raw_opts(f, len, (const uint8_t[]){ 53, 1, 1, 50, 3, 10, 0, 2, 255 }, 9); }
static void bf_sid5(uint8_t *f, size_t *len) { bf_raw_opts(f, len, (const uint8_t[]){ 53, 1, 3, 54, 5, 10, 0, 2, 2, 0, 255 }, 11); }
static void bf_bootp(uint8_t *f, size_t *len) { bf_raw_opts(f, len, (const uint8_t[]){ 255 }, 1); }
static void bf_pad_long(uint8_t *f, size_t *len) { bf_raw_opts(f, len, (const uint8_t[]){ 53, 1, 1, 12, 200, 'x' }, 6); }

static const struct bad_frame bad_frames[] = {
	{ "IHL 4, below the minimum 5", bf_ihl4, MALFORMED },
	{ "IHL 15, the frame ends inside the UDP header", bf_ihl15_cut, MALFORMED },
	{ "IP total length one past the frame", bf_total_long, MALFORMED },
	{ "IP total length below IP+UDP headers", bf_total_short, MALFORMED },
	{ "IP header checksum wrong", bf_ip_sum, MALFORMED },
	{ "UDP length one past the IP datagram", bf_udp_long, MALFORMED },
	{ "UDP length 7", bf_udp_short, MALFORMED },
	{ "UDP checksum wrong", bf_udp_sum, MALFORMED },
	{ "BOOTP message of 239 bytes", bf_bootp_short, MALFORMED },
	{ "bad magic cookie", bf_cookie, MALFORMED },
	{ "option length past the end", bf_optlen, MALFORMED },
	{ "message type of two bytes", bf_type_2bytes, MALFORMED },
	{ "option code, then the end of the packet", bf_type_cut, MALFORMED },
	{ "option length 1, then the end of the packet", bf_type_nodata, MALFORMED },
	{ "requested address of three bytes", bf_reqip3, MALFORMED },
	{ "server identifier of five bytes", bf_sid5, MALFORMED },
	{ "host name 200 bytes long, 1 there", bf_pad_long, MALFORMED },
	{ "op 2 (BOOTREPLY) to the server", bf_op2, MALFORMED },
	{ "hardware address length 16", bf_hlen, MALFORMED },
	{ "no message type (plain BOOTP)", bf_bootp, FILTERED },
	{ "relayed (giaddr set)", bf_giaddr, FILTERED },
	{ "DHCPOFFER to the server", bf_offer, FILTERED },
	{ "message type 9", bf_type9, FILTERED },
	{ "first fragment of a DISCOVER", bf_frag, FRAGMENT },
	{ "UDP to port 68", bf_port68, NOT_OURS },
	{ "to another host's address", bf_other_host, NOT_OURS },
	{ "IP version 6 in an IPv4 frame", bf_v6, NOT_OURS },
	{ "TCP", bf_tcp, NOT_OURS },
	{ "ARP (the server answers none here)", bf_arp, NOT_OURS },
};

static const enum un_drop_reason outcome_drop[] = {
	[MALFORMED] = UN_DROP_MALFORMED, [FILTERED] = UN_DROP_FILTERED,
	[FRAGMENT] = UN_DROP_FRAGMENT,
};

static void check_bad(struct un_dhcp *d, const char *what, const uint8_t *f,
		      size_t len, enum outcome expect)
{
	struct test_port p;
	gboolean consumed;

	tp_init(&p);
	consumed = feed(d, &p, f, len);
	if (consumed != (expect != NOT_OURS))
		fail_msg("%s (%zu bytes): consumed %d", what, len, consumed);
	for (int r = 0; r < UN_DROP__COUNT; r++) {
		uint64_t want = expect != NOT_OURS && outcome_drop[expect] == (enum un_drop_reason)r;

		if (p.port.counters.drops[r] != want)
			fail_msg("%s (%zu bytes): %s drops %" PRIu64, what, len,
				 un_drop_reason_names[r], p.port.counters.drops[r]);
	}
	if (p.sent->len)
		fail_msg("%s: answered", what);
	tp_clear(&p);
}

static void test_malformed(void **state)
{
	struct un_dhcp *d = server_new("natnet:lab");
	uint8_t f[FRAME_MAX];
	size_t len;

	for (size_t i = 0; i < G_N_ELEMENTS(bad_frames); i++) {
		len = req_build(f, &(struct req){ .type = 1, .mac = mac_a, .xid = 1 });
		bad_frames[i].spoil(f, &len);
		check_bad(d, bad_frames[i].what, f, len, bad_frames[i].expect);
	}
	/* Every truncation of a whole DISCOVER: below the IPv4 header nothing
	 * says it is for the server; from there on, the lengths lie. */
	size_t full = req_build(f, &(struct req){ .type = 1, .mac = mac_a, .xid = 1,
						  .hostname = "h" });
	for (len = UN_ETH_HEADER_BYTES; len < full; len++) {
		g_autofree char *what = g_strdup_printf("cut to %zu bytes", len);

		check_bad(d, what, f, len, len < UDP_OFF ? NOT_OURS : MALFORMED);
	}
	assert_int_equal(un_dhcp_lease_count(d), 0);
	/* Ethernet padding after the IP datagram is fine, and so is a missing
	 * END option. */
	struct test_port p;
	tp_init(&p);
	memset(f + full, 0, 30);
	assert_true(feed(d, &p, f, full + 30));
	assert_int_equal(p.sent->len, 1);
	len = req_build(f, &(struct req){ .type = 1, .mac = mac_a, .xid = 1 });
	bf_raw_opts(f, &len, (const uint8_t[]){ 0, 53, 1, 1 }, 4);
	assert_true(feed(d, &p, f, len));
	assert_int_equal(p.sent->len, 2);
	assert_int_equal(p.port.counters.drops[UN_DROP_MALFORMED], 0);
	tp_clear(&p);
	un_dhcp_free(d);
}

/* Random damage to real requests: never a crash, never a read past the
 * frame (ASan), never an oversized reply. */
static void test_fuzz(void **state)
{
	g_autoptr(GRand) rnd = g_rand_new_with_seed(7);
	struct un_dhcp *d = server_new("natnet:lab,dhcp-host=52:54:00:12:34:56,,10.0.2.9,,h");
	uint8_t f[FRAME_MAX];
	struct test_port p;
	int answered = 0;

	tp_init(&p);
	for (int i = 0; i < 20000; i++) {
		static const uint8_t types[] = { 1, 3, 4, 7, 8 };
		size_t len = req_build(f, &(struct req){
			.type = types[i % 5], .mac = (i & 1) ? mac_a : mac_b, .xid = (uint32_t)i,
			.req_ip = NET_10_0_2(9 + i % 7), .hostname = "fuzz",
			.ciaddr = (i & 4) ? NET_10_0_2(9) : 0, .max_size = (uint16_t)(i % 1600) });
		int flips = g_rand_int_range(rnd, 0, 4);

		for (int j = 0; j < flips; j++)
			f[g_rand_int_range(rnd, UN_ETH_HEADER_BYTES, (gint32)len)] =
				(uint8_t)g_rand_int(rnd);
		if (g_rand_boolean(rnd))
			fix_sums(f);
		if (g_rand_int_range(rnd, 0, 4) == 0)
			len = (size_t)g_rand_int_range(rnd, UN_ETH_HEADER_BYTES, (gint32)len + 1);
		answered += feed(d, &p, f, len) && p.sent->len;
		for (guint k = 0; k < p.sent->len; k++)
			assert_true(g_bytes_get_size(g_ptr_array_index(p.sent, k)) <= 14 + 1500);
		g_ptr_array_set_size(p.sent, 0);
	}
	/* The damage hit both sides: many still served, many dropped. */
	assert_true(answered > 2000);
	assert_true(p.port.counters.drops[UN_DROP_MALFORMED] > 2000);
	tp_clear(&p);
	un_dhcp_free(d);
}

/* ---- options that depend on the network ---- */

/* One RFC 1035 name at @j of @b into @out, pointers followed; returns
 * where the next name starts. */
static size_t name_at(const GByteArray *b, size_t j, GString *out)
{
	size_t next = 0;
	gboolean jumped = FALSE, first = TRUE;
	int hops = 0;

	for (;;) {
		uint8_t n;

		assert_true(j < b->len);
		n = b->data[j];
		if (n == 0)
			return jumped ? next : j + 1;
		if ((n & 0xc0) == 0xc0) {
			assert_true(j + 1 < b->len && ++hops < 64);
			if (!jumped)
				next = j + 2;
			jumped = TRUE;
			j = (size_t)(n & 0x3f) << 8 | b->data[j + 1];
			continue;
		}
		assert_true(j + 1 + n <= b->len);
		if (!first)
			g_string_append_c(out, '.');
		first = FALSE;
		g_string_append_len(out, (const char *)b->data + j + 1, n);
		j += 1u + n;
	}
}

/* Every name of option 119's data, joined by ' '. */
static char *search_decode(const GByteArray *b)
{
	GString *out = g_string_new(NULL);

	for (size_t i = 0; i < b->len;) {
		if (out->len)
			g_string_append_c(out, ' ');
		i = name_at(b, i, out);
	}
	return g_string_free(out, FALSE);
}

static void test_options_fit(void **state)
{
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
	struct un_dhcp_net net = default_net();
	struct un_dhcp *d;
	struct test_port p;
	struct reply r;

	for (char c = 'a'; c <= 'e'; c++) {
		g_autofree char *label = g_strnfill(60, c);

		g_ptr_array_add(names, g_strdup_printf("%s.example.test", label));
	}
	g_ptr_array_add(names, g_strdup("Six.Example.Test"));
	g_ptr_array_add(names, NULL);
	net.dnssearch = (const char *const *)names->pdata;
	net.router.s_addr = 0; /* no router: option 3 left out */
	net.dns.s_addr = 0;
	net.mtu = 9000;
	d = server_new_cap("hostonly:lab", &net, 0);
	tp_init(&p);
	/* Within 576 bytes the search list does not fit and is left out. */
	assert_true(send_req(d, &p, &(struct req){ .type = 1, .mac = mac_a, .xid = 1 }));
	take_reply(&p, &r);
	assert_true(r.ip_len <= 576);
	assert_null(r.opt[119]);
	assert_null(r.opt[3]);
	assert_null(r.opt[6]);
	assert_int_equal(get16(r.opt[26]->data), 9000);
	assert_opt_str(&r, 15, "example.test");
	reply_clear(&r);
	/* With option 57 = 1500 it is sent, split over options (RFC 3396). */
	assert_true(send_req(d, &p, &(struct req){ .type = 1, .mac = mac_a, .xid = 2,
						   .max_size = 1500 }));
	take_reply(&p, &r);
	assert_true(r.ip_len > 576 && r.ip_len <= 1500);
	assert_non_null(r.opt[119]);
	assert_true(r.opt[119]->len > 255);
	g_autofree char *got = search_decode(r.opt[119]);
	g_autofree char *want = g_strjoinv(" ", (char **)names->pdata);
	assert_int_equal(g_ascii_strcasecmp(got, want), 0);
	reply_clear(&r);
	tp_clear(&p);
	un_dhcp_free(d);
}

static void test_arp_for_server(void **state)
{
	struct un_dhcp_net net = default_net();
	struct un_dhcp *d;
	struct test_port p;
	uint8_t f[42] = { 0 };
	const uint8_t *o;

	net.router.s_addr = 0;
	net.answer_arp = TRUE;
	d = server_new_cap("internal:lab,dhcp-range=10.0.2.100-10.0.2.199", &net, 0);
	tp_init(&p);
	/* RFC 826 request: who has 10.0.2.2, tell 10.0.2.100 */
	memset(f, 0xff, 6);
	memcpy(f + 6, mac_a, 6);
	put16(f + 12, 0x0806);
	put16(f + 14, 1);
	put16(f + 16, 0x0800);
	f[18] = 6;
	f[19] = 4;
	put16(f + 20, 1);
	memcpy(f + 22, mac_a, 6);
	put32(f + 28, NET_10_0_2(100));
	put32(f + 38, SERVER);
	assert_true(feed(d, &p, f, sizeof(f)));
	assert_int_equal(p.sent->len, 1);
	o = g_bytes_get_data(g_ptr_array_index(p.sent, 0), NULL);
	assert_memory_equal(o, mac_a, 6);
	assert_memory_equal(o + 6, server_mac, 6);
	assert_int_equal(get16(o + 12), 0x0806);
	assert_int_equal(get16(o + 20), 2);
	assert_memory_equal(o + 22, server_mac, 6);
	assert_int_equal(get32(o + 28), SERVER);
	assert_memory_equal(o + 32, mac_a, 6);
	assert_int_equal(get32(o + 38), NET_10_0_2(100));
	/* Who has someone else: not the server's. */
	put32(f + 38, NET_10_0_2(101));
	assert_false(feed(d, &p, f, sizeof(f)));
	assert_false(feed(d, &p, f, 30));
	assert_int_equal(p.sent->len, 1);
	tp_clear(&p);
	un_dhcp_free(d);
}

/* ---- configuration ---- */

static void test_config_ok(void **state)
{
	struct un_dhcp_net net = default_net();
	struct un_dhcp_config cfg;
	g_autoptr(GError) err = NULL;

	assert_true(config_parse("natnet:lab", &net, &cfg, &err));
	assert_int_equal(ntohl(cfg.first.s_addr), NET_10_0_2(15));
	assert_int_equal(ntohl(cfg.last.s_addr), NET_10_0_2(254));
	assert_int_equal(cfg.lease_s, 86400);
	assert_int_equal(cfg.max_leases, 240);
	assert_int_equal(cfg.mtu, 1500);
	un_dhcp_config_clear(&cfg);
	assert_true(config_parse("natnet:lab,dhcpstart=10.0.2.100,dhcp-lease=600,"
				 "dhcp-host=52:54:00:12:34:56,,10.0.2.100,,web.example.test",
				 &net, &cfg, &err));
	assert_int_equal(ntohl(cfg.first.s_addr), NET_10_0_2(100));
	assert_int_equal(cfg.lease_s, 600);
	assert_int_equal(cfg.hosts->len, 1);
	assert_string_equal(g_array_index(cfg.hosts, struct un_dhcp_host, 0).name,
			    "web.example.test");
	assert_int_equal(cfg.max_leases, 154);
	un_dhcp_config_clear(&cfg);

	/* In a key file, dhcp-host is a list and commas are plain. */
	g_autoptr(GKeyFile) kf = g_key_file_new();
	assert_true(g_key_file_load_from_data(kf,
		"[natnet:lab]\ndhcp-host=52:54:00:12:34:56,10.0.2.50,web;52:54:00:12:34:57,10.0.2.51\n",
		-1, G_KEY_FILE_NONE, NULL));
	struct un_config c = { kf, "natnet:lab", "lab.conf:[natnet:lab]" };
	assert_true(un_dhcp_config_parse(&cfg, &c, &net, &err));
	assert_int_equal(cfg.hosts->len, 2);
	assert_null(g_array_index(cfg.hosts, struct un_dhcp_host, 1).name);
	un_dhcp_config_clear(&cfg);
}

struct bad_config {
	const char *spec;
	const char *message; /* after "--net 'SPEC': " */
};

static const struct bad_config bad_configs[] = {
	{ "natnet:x,dhcpstart=banana", "dhcpstart: 'banana' is not an IPv4 address" },
	{ "natnet:x,dhcpstart=10.0.3.9", "dhcpstart: 10.0.3.9 is outside 10.0.2.0/24; pick an address inside net" },
	{ "natnet:x,dhcpstart=10.0.2.255", "dhcpstart: 10.0.2.255 is the broadcast address of 10.0.2.0/24; start the range below it" },
	{ "natnet:x,dhcp-range=10.0.2.100", "dhcp-range: '10.0.2.100' is not FIRST-LAST (for example dhcp-range=10.0.2.100-10.0.2.199)" },
	{ "natnet:x,dhcp-range=10.0.2.x-10.0.2.9", "dhcp-range: '10.0.2.x' is not an IPv4 address" },
	{ "natnet:x,dhcp-range=10.0.2.1-", "dhcp-range: '' is not an IPv4 address" },
	{ "natnet:x,dhcp-range=10.0.2.200-10.0.2.100", "dhcp-range: 10.0.2.200-10.0.2.100 is reversed; write the lower address first: dhcp-range=10.0.2.100-10.0.2.200" },
	{ "natnet:x,dhcp-range=10.0.2.100-10.0.3.5", "dhcp-range: 10.0.3.5 is outside 10.0.2.0/24; give a range inside net" },
	{ "natnet:x,dhcp-range=10.0.1.1-10.0.2.5", "dhcp-range: 10.0.1.1 is outside 10.0.2.0/24; give a range inside net" },
	{ "natnet:x,dhcp-range=10.0.2.2-10.0.2.3", "dhcp-range: the range 10.0.2.2-10.0.2.3 holds no address to lease (the network, broadcast, server, router and DNS addresses are never leased); widen it" },
	{ "natnet:x,dhcpstart=10.0.2.10,dhcp-range=10.0.2.10-10.0.2.20", "dhcp-range: give either dhcp-range=FIRST-LAST or dhcpstart=ADDR, not both" },
	{ "natnet:x,dhcp-lease=59", "dhcp-lease: '59' is not a number from 60 to 31536000" },
	{ "natnet:x,dhcp-lease=1d", "dhcp-lease: '1d' is not a number from 60 to 31536000" },
	{ "natnet:x,dhcp-host=52:54:00:12:34:56", "dhcp-host: '52:54:00:12:34:56' is not MAC,IP[,NAME] (for example dhcp-host=52:54:00:12:34:56,10.0.2.50,web; in a --net SPEC write each comma as ',,')" },
	{ "natnet:x,dhcp-host=52:54:00:12:34:56,,10.0.2.50,,a,,b", "dhcp-host: '52:54:00:12:34:56,10.0.2.50,a,b' is not MAC,IP[,NAME] (for example dhcp-host=52:54:00:12:34:56,10.0.2.50,web; in a --net SPEC write each comma as ',,')" },
	{ "natnet:x,dhcp-host=52:54:00:12:34,,10.0.2.50", "dhcp-host: '52:54:00:12:34,10.0.2.50': '52:54:00:12:34' is not a MAC address; write six hex bytes such as 52:54:00:12:34:56" },
	{ "natnet:x,dhcp-host=52:54:00:12:34:5g,,10.0.2.50", "dhcp-host: '52:54:00:12:34:5g,10.0.2.50': '52:54:00:12:34:5g' is not a MAC address; write six hex bytes such as 52:54:00:12:34:56" },
	{ "natnet:x,dhcp-host=52:54:00:12:34:567,,10.0.2.50", "dhcp-host: '52:54:00:12:34:567,10.0.2.50': '52:54:00:12:34:567' is not a MAC address; write six hex bytes such as 52:54:00:12:34:56" },
	{ "natnet:x,dhcp-host=01:00:5e:00:00:01,,10.0.2.50", "dhcp-host: '01:00:5e:00:00:01,10.0.2.50': 01:00:5e:00:00:01 is a multicast MAC, which no NIC has; clear the lowest bit of its first byte" },
	{ "natnet:x,dhcp-host=52:54:00:12:34:56,,10.0.2", "dhcp-host: '52:54:00:12:34:56,10.0.2': '10.0.2' is not an IPv4 address" },
	{ "natnet:x,dhcp-host=52:54:00:12:34:56,,10.0.3.50", "dhcp-host: '52:54:00:12:34:56,10.0.3.50': 10.0.3.50 is outside 10.0.2.0/24; pick an address inside net" },
	{ "natnet:x,dhcp-host=52:54:00:12:34:56,,10.0.2.2", "dhcp-host: '52:54:00:12:34:56,10.0.2.2': 10.0.2.2 is the DHCP server's address; pick another" },
	{ "natnet:x,dhcp-host=52:54:00:12:34:56,,10.0.2.3", "dhcp-host: '52:54:00:12:34:56,10.0.2.3': 10.0.2.3 is the DNS server's address; pick another" },
	{ "natnet:x,dhcp-host=52:54:00:12:34:56,,10.0.2.0", "dhcp-host: '52:54:00:12:34:56,10.0.2.0': 10.0.2.0 is the network address; pick another" },
	{ "natnet:x,dhcp-host=52:54:00:12:34:56,,10.0.2.255", "dhcp-host: '52:54:00:12:34:56,10.0.2.255': 10.0.2.255 is the broadcast address; pick another" },
	{ "natnet:x,dhcp-host=52:54:00:12:34:56,,10.0.2.50,,bad_name!", "dhcp-host: '52:54:00:12:34:56,10.0.2.50,bad_name!': host name 'bad_name!' is not valid: use labels of 1-63 letters, digits, '-' or '_'" },
	{ "natnet:x,dhcp-host=52:54:00:12:34:56,,10.0.2.50,,a..b", "dhcp-host: '52:54:00:12:34:56,10.0.2.50,a..b': host name 'a..b' is not valid: use labels of 1-63 letters, digits, '-' or '_'" },
	{ "natnet:x,dhcp-host=52:54:00:12:34:56,,10.0.2.50,dhcp-host=52:54:00:12:34:56,,10.0.2.51",
	  "dhcp-host: '52:54:00:12:34:56,10.0.2.51': this MAC is already reserved by '52:54:00:12:34:56,10.0.2.50'; give each MAC one reservation" },
	{ "natnet:x,dhcp-host=52:54:00:12:34:56,,10.0.2.50,dhcp-host=52:54:00:12:34:57,,10.0.2.50",
	  "dhcp-host: '52:54:00:12:34:57,10.0.2.50': 10.0.2.50 is already reserved by '52:54:00:12:34:56,10.0.2.50'; give each reservation its own address" },
};

static void test_config_errors(void **state)
{
	struct un_dhcp_net net = default_net();

	for (size_t i = 0; i < G_N_ELEMENTS(bad_configs); i++) {
		g_autoptr(GError) err = NULL;
		g_autofree char *want = g_strdup_printf("--net '%s': %s", bad_configs[i].spec,
						       bad_configs[i].message);
		struct un_dhcp_config cfg;

		assert_false(config_parse(bad_configs[i].spec, &net, &cfg, &err));
		assert_non_null(err);
		assert_int_equal(err->code, UN_ERROR_CONFIG);
		assert_string_equal(err->message, want);
		un_dhcp_config_clear(&cfg);
	}
}

/* Errors that come from the network's facts rather than the DHCP keys. */
static void test_config_fact_errors(void **state)
{
	static const char *const bad_search[] = { "ok.test", "not ok", NULL };
	struct un_dhcp_net net;
	struct un_dhcp_config cfg;

	net = default_net();
	net.start.s_addr = 0; /* internal: no default range */
	{
		g_autoptr(GError) err = NULL;

		assert_false(config_parse("internal:x", &net, &cfg, &err));
		assert_string_equal(err->message, "--net 'internal:x': dhcp-range: missing: this network has no default range; give dhcp-range=FIRST-LAST or dhcpstart=ADDR");
		un_dhcp_config_clear(&cfg);
	}
	net = default_net();
	net.dnssearch = bad_search;
	{
		g_autoptr(GError) err = NULL;

		assert_false(config_parse("natnet:x", &net, &cfg, &err));
		assert_string_equal(err->message, "--net 'natnet:x': dnssearch: 'not ok' is not a domain name: use labels of 1-63 letters, digits, '-' or '_', at most 253 bytes in all");
		un_dhcp_config_clear(&cfg);
	}
	net = default_net();
	net.server = in4(0x0a000302u);
	{
		g_autoptr(GError) err = NULL;

		assert_false(config_parse("natnet:x", &net, &cfg, &err));
		assert_string_equal(err->message, "--net 'natnet:x': host: 10.0.3.2 cannot serve DHCP on 10.0.2.0/24; give the server an address inside net");
		un_dhcp_config_clear(&cfg);
	}
	net = default_net();
	net.mtu = 60;
	{
		g_autoptr(GError) err = NULL;

		assert_false(config_parse("natnet:x", &net, &cfg, &err));
		assert_string_equal(err->message, "--net 'natnet:x': mtu: 60 is not from 68 to 65520");
		un_dhcp_config_clear(&cfg);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_discover_offer),
		cmocka_unit_test(test_request_ack_renew_rebind),
		cmocka_unit_test(test_init_reboot_and_nak),
		cmocka_unit_test(test_other_server_chosen),
		cmocka_unit_test(test_release_and_stable),
		cmocka_unit_test(test_decline),
		cmocka_unit_test(test_inform),
		cmocka_unit_test(test_reservations),
		cmocka_unit_test(test_range_full),
		cmocka_unit_test(test_flood_bounded),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_fuzz),
		cmocka_unit_test(test_options_fit),
		cmocka_unit_test(test_arp_for_server),
		cmocka_unit_test(test_config_ok),
		cmocka_unit_test(test_config_errors),
		cmocka_unit_test(test_config_fact_errors),
	};
	int rc;

	warnings = g_ptr_array_new_with_free_func(g_free);
	g_log_set_writer_func(test_log, NULL, NULL);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	g_ptr_array_unref(warnings);
	return rc;
}
