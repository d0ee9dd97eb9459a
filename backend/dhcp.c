/* SPDX-License-Identifier: GPL-2.0-or-later */
/* dhcp.c - the DHCP server of switched networks (RFC 2131, RFC 2132).
 * Owns: telling a DHCP request to the server from any other frame,
 * checking it against the frame, the lease table, and the replies.
 * Not here: the keys (dhcp_config.c); what happens to frames that are not
 * for the server (the kind's switch).
 *
 * How it works:
 *   - A frame is the server's when it is IPv4 UDP to port 67 and addressed
 *     to 255.255.255.255, the subnet broadcast or the server. Its IPv4 and
 *     UDP lengths and checksums, the BOOTP header, the magic cookie and
 *     every option length must lie inside the frame; if not, it is counted
 *     "malformed" and dropped. Fragments, relayed requests (giaddr set),
 *     plain BOOTP and server message types are counted "filtered".
 *   - Leases are keyed by the client's hardware address (chaddr): the same
 *     MAC gets the same address for the network's life, also after its NIC
 *     detaches, its lease expires or it releases it - until the address is
 *     needed for another MAC and nothing else is free. Then the entry that
 *     ended first is reclaimed. A reservation (dhcp-host) always gives its
 *     address and is never reclaimed.
 *   - Entries: offered (held UN_DHCP_OFFER_HOLD_S for the REQUEST), bound
 *     (until the lease ends), released, declined (the address is kept
 *     from everyone for UN_DHCP_DECLINE_HOLD_S). Dynamic entries are capped
 *     at cfg->max_leases (at most the pool): a flood of new MACs reclaims
 *     ended entries or is refused, counted "table-full" on its port, with
 *     one warning per UN_DHCP_WARN_INTERVAL_S.
 *   - DISCOVER -> OFFER; REQUEST (selecting, init-reboot, renewing,
 *     rebinding) -> ACK when the address is the MAC's (or free in the pool
 *     and the MAC has none: the server is authoritative, so a client that
 *     outlived a daemon restart keeps its address), else NAK; REQUEST for
 *     another server's offer frees ours. RELEASE, DECLINE: no reply.
 *     INFORM -> ACK without lease options.
 *   - Replies go to the requesting port only, from 52:55:<server IPv4>,
 *     to 255.255.255.255 and ff:ff:ff:ff:ff:ff when the client has no
 *     address yet, asks for broadcast or is NAKed; else to its ciaddr and
 *     chaddr. They fit 576 bytes, or the client's option 57 (up to the
 *     MTU, at most 1500): options that do not fit are left out, least
 *     needed first (search list, domain, host name).
 *   - With answer_arp (no router owns the server's address), ARP requests
 *     for it are answered, so renewals unicast to the server arrive. */
#define G_LOG_DOMAIN "usernet-dhcp"

#include "usernet/dhcp.h"

#include <arpa/inet.h>
#include <stddef.h>
#include <string.h>

#include "ratelimit.h"

/* Wire facts: RFC 791 (IPv4), 768 (UDP), 826 (ARP), 951 (BOOTP). */
#define ETHERTYPE_IPV4 0x0800u
#define ETHERTYPE_ARP 0x0806u
#define IPV4_HEADER_MIN_BYTES 20u
#define IPV4_MF_OFFSET_MASK 0x3fffu
#define IPV4_TTL 64u
#define UDP_HEADER_BYTES 8u
#define PROTO_UDP 17u
#define PORT_SERVER 67u
#define PORT_CLIENT 68u
#define ARP_IPV4_BYTES 28u
#define ARP_REQUEST 1u
#define ARP_REPLY 2u
#define HTYPE_ETHERNET 1u

/* BOOTP message offsets (RFC 2131 figure 1). */
#define BOOTP_OP 0u
#define BOOTP_HTYPE 1u
#define BOOTP_HLEN 2u
#define BOOTP_XID 4u
#define BOOTP_FLAGS 10u
#define BOOTP_CIADDR 12u
#define BOOTP_YIADDR 16u
#define BOOTP_GIADDR 24u
#define BOOTP_CHADDR 28u
#define BOOTP_MAGIC 236u
#define BOOTP_OPTIONS 240u
#define BOOTP_REQUEST 1u
#define BOOTP_REPLY 2u
#define BOOTP_FLAG_BROADCAST 0x8000u
#define DHCP_MAGIC 0x63825363u
/* RFC 1542: replies are padded to BOOTP's 300 bytes. */
#define BOOTP_REPLY_MIN_BYTES 300u
/* Every client takes a 576-byte datagram (RFC 2131 section 2); replies
 * never pass an Ethernet MTU. */
#define DHCP_DATAGRAM_MIN 576u
#define DHCP_DATAGRAM_MAX 1500u
#define CLIENT_NAME_MAX_BYTES 63u

/* Where things sit in a reply frame. */
#define OFF_IP UN_ETH_HEADER_BYTES
#define OFF_UDP (OFF_IP + IPV4_HEADER_MIN_BYTES)
#define OFF_BOOTP (OFF_UDP + UDP_HEADER_BYTES)
#define OFF_OPTIONS (OFF_BOOTP + BOOTP_OPTIONS)

enum dhcp_type {
	DHCPDISCOVER = 1, DHCPOFFER, DHCPREQUEST, DHCPDECLINE,
	DHCPACK, DHCPNAK, DHCPRELEASE, DHCPINFORM, DHCP_TYPE_END
};

enum dhcp_option {
	OPT_PAD = 0, OPT_MASK = 1, OPT_ROUTER = 3, OPT_DNS = 6,
	OPT_HOSTNAME = 12, OPT_DOMAIN = 15, OPT_MTU = 26, OPT_REQ_IP = 50,
	OPT_LEASE = 51, OPT_TYPE = 53, OPT_SERVER_ID = 54, OPT_MESSAGE = 56,
	OPT_MAX_SIZE = 57, OPT_T1 = 58, OPT_T2 = 59, OPT_SEARCH = 119,
	OPT_END = 255
};

const char *const un_dhcp_lease_state_names[UN_DHCP_LEASE__COUNT] = {
	[UN_DHCP_LEASE_OFFERED] = "offered",   [UN_DHCP_LEASE_BOUND] = "bound",
	[UN_DHCP_LEASE_EXPIRED] = "expired",   [UN_DHCP_LEASE_RELEASED] = "released",
	[UN_DHCP_LEASE_DECLINED] = "declined",
};
G_STATIC_ASSERT(G_N_ELEMENTS(un_dhcp_lease_state_names) == UN_DHCP_LEASE__COUNT);

/* One request, as far as the server reads it. */
struct dhcp_req {
	guint8 type;
	guint8 xid[4];
	guint16 flags;
	struct in_addr ciaddr, req_ip, server_id;
	gboolean has_req_ip, has_server_id, has_type, has_max;
	uint8_t chaddr[UN_MAC_BYTES];
	guint64 mac;
	char hostname[CLIENT_NAME_MAX_BYTES + 1]; /* option 12, cleaned */
	guint16 max_size_be;                      /* option 57 */
	enum un_drop_reason drop;                 /* when it is dropped */
};

/* One lease entry. Every entry is in by_ip; all but declined ones in
 * by_mac; all but reservations in by_expiry. */
struct dhcp_lease {
	guint64 mac;
	guint32 ip;                      /* host order */
	enum un_dhcp_lease_state state;  /* never EXPIRED: that is computed */
	gint64 expires_us;               /* lease end, or end of a hold */
	char *hostname;                  /* the client's option 12, or NULL */
	const struct un_dhcp_host *host; /* its reservation, or NULL */
	GSequenceIter *iter;             /* in by_expiry, or NULL */
};

struct dhcp_reserved {
	guint64 mac;
	const struct un_dhcp_host *host;
};

struct un_dhcp {
	struct un_dhcp_config cfg;
	char *name;
	uint8_t mac[UN_MAC_BYTES];       /* 52:55:<server IPv4> */
	GHashTable *by_mac;              /* guint64 * -> struct dhcp_lease * */
	GHashTable *by_ip;               /* address -> lease (owns it) */
	GSequence *by_expiry;            /* dynamic entries, ending first first */
	struct dhcp_reserved *reserved;  /* one per cfg.hosts entry */
	GHashTable *res_by_mac;          /* guint64 * -> struct dhcp_reserved * */
	GHashTable *res_by_ip;           /* address -> struct dhcp_reserved * */
	guint64 pool;                    /* addresses leasable dynamically */
	guint32 cursor;                  /* where the search for a free one starts */
	guint16 ip_id;
	struct un_ratelimit full_log;    /* "full" warnings, refusals held */
	gint64 (*now)(void *opaque);
	void *now_opaque;
	struct un_dhcp_stats stats;
};

/* A reply under construction: a whole frame. */
struct dhcp_reply {
	uint8_t buf[UN_ETH_HEADER_BYTES + DHCP_DATAGRAM_MAX];
	size_t opt; /* next option byte */
	size_t end; /* options stop here; one byte is kept for OPT_END */
};

/* ---- small helpers ---- */

static guint16 rd16(const uint8_t *p)
{
	return (guint16)(p[0] << 8 | p[1]);
}

static void wr16(uint8_t *p, guint v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void wr32(uint8_t *p, guint32 v)
{
	wr16(p, v >> 16);
	wr16(p + 2, v & 0xffffu);
}

/* One's complement sum of @len bytes added to @sum (RFC 1071). */
static guint32 csum_add(guint32 sum, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += rd16(p + i);
	if (len & 1)
		sum += (guint32)p[len - 1] << 8;
	return sum;
}

static guint16 csum_fold(guint32 sum)
{
	while (sum >> 16)
		sum = (sum & 0xffffu) + (sum >> 16);
	return (guint16)~sum;
}

/* The UDP checksum of @udp (@len bytes) from @ip's addresses. */
static guint16 udp_csum(const uint8_t *ip, const uint8_t *udp, size_t len)
{
	guint32 sum = csum_add(0, ip + 12, 8) + PROTO_UDP + (guint32)len;

	return csum_fold(csum_add(sum, udp, len));
}

static guint64 mac_key(const uint8_t *m)
{
	guint64 k = 0;

	for (guint i = 0; i < UN_MAC_BYTES; i++)
		k = k << 8 | m[i];
	return k;
}

static void mac_bytes(guint64 k, uint8_t m[UN_MAC_BYTES])
{
	for (guint i = UN_MAC_BYTES; i-- > 0; k >>= 8)
		m[i] = (uint8_t)k;
}

/* "52:54:00:12:34:56" into @buf. */
static const char *mac_str(guint64 k, char buf[18])
{
	uint8_t m[UN_MAC_BYTES];

	mac_bytes(k, m);
	g_snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2],
		   m[3], m[4], m[5]);
	return buf;
}

static const char *ip_str(guint32 h, char buf[INET_ADDRSTRLEN])
{
	struct in_addr a = { htonl(h) };

	return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

static gint64 dhcp_now(struct un_dhcp *d)
{
	return d->now(d->now_opaque);
}

static gint64 dhcp_clock_default(void *opaque)
{
	return g_get_monotonic_time();
}

/* ---- reading a request ---- */

enum dhcp_parse { PARSE_OK, PARSE_NOT_OURS, PARSE_DROP };

static enum dhcp_parse parse_drop(struct dhcp_req *r, enum un_drop_reason why)
{
	r->drop = why;
	return PARSE_DROP;
}

/* Keep letters, digits, '-', '_' and '.' of the client's own name. */
static void req_hostname(struct dhcp_req *r, const uint8_t *v, guint len)
{
	size_t n = 0;

	for (guint i = 0; i < len && n < CLIENT_NAME_MAX_BYTES; i++)
		if (g_ascii_isalnum(v[i]) || (v[i] && strchr("-_.", v[i])))
			r->hostname[n++] = (char)v[i];
	r->hostname[n] = '\0';
}

/* The options the server reads, each of one exact length; the first of
 * each code counts. */
struct req_opt {
	guint8 code;
	guint8 len;
	size_t field; /* its value's place in struct dhcp_req, copied raw */
	size_t seen;  /* its gboolean "given" */
};

static const struct req_opt req_opts[] = {
	{ OPT_TYPE, 1, offsetof(struct dhcp_req, type), offsetof(struct dhcp_req, has_type) },
	{ OPT_REQ_IP, 4, offsetof(struct dhcp_req, req_ip), offsetof(struct dhcp_req, has_req_ip) },
	{ OPT_SERVER_ID, 4, offsetof(struct dhcp_req, server_id), offsetof(struct dhcp_req, has_server_id) },
	{ OPT_MAX_SIZE, 2, offsetof(struct dhcp_req, max_size_be), offsetof(struct dhcp_req, has_max) },
};

/* One option. FALSE: a bad length. */
static gboolean req_option(struct dhcp_req *r, guint8 code, const uint8_t *v,
			   guint len)
{
	if (code == OPT_HOSTNAME && !r->hostname[0])
		req_hostname(r, v, len);
	for (size_t i = 0; i < G_N_ELEMENTS(req_opts); i++) {
		const struct req_opt *o = &req_opts[i];
		gboolean *seen = (gboolean *)(void *)((char *)r + o->seen);

		if (o->code != code || *seen)
			continue;
		if (len != o->len)
			return FALSE;
		memcpy((char *)r + o->field, v, len);
		*seen = TRUE;
	}
	return TRUE;
}

/* The options field: each option's length must lie inside it. A missing
 * OPT_END is tolerated. Option overload (52) is not read. */
static gboolean req_options(struct dhcp_req *r, const uint8_t *p, size_t len)
{
	size_t i = 0;

	while (i < len && p[i] != OPT_END) {
		if (p[i] == OPT_PAD) {
			i++;
			continue;
		}
		if (i + 2 > len || i + 2 + p[i + 1] > len)
			return FALSE;
		if (!req_option(r, p[i], p + i + 2, p[i + 1]))
			return FALSE;
		i += 2 + (size_t)p[i + 1];
	}
	return TRUE;
}

/* The BOOTP message of @len bytes (the UDP payload). */
static enum dhcp_parse req_bootp(struct dhcp_req *r, const uint8_t *b,
				 size_t len)
{
	guint32 magic;

	if (len < BOOTP_OPTIONS || b[BOOTP_OP] != BOOTP_REQUEST ||
	    b[BOOTP_HTYPE] != HTYPE_ETHERNET || b[BOOTP_HLEN] != UN_MAC_BYTES)
		return parse_drop(r, UN_DROP_MALFORMED);
	magic = (guint32)rd16(b + BOOTP_MAGIC) << 16 | rd16(b + BOOTP_MAGIC + 2);
	if (magic != DHCP_MAGIC)
		return parse_drop(r, UN_DROP_MALFORMED);
	memcpy(r->xid, b + BOOTP_XID, 4);
	r->flags = rd16(b + BOOTP_FLAGS);
	memcpy(&r->ciaddr, b + BOOTP_CIADDR, 4);
	memcpy(r->chaddr, b + BOOTP_CHADDR, UN_MAC_BYTES);
	r->mac = mac_key(r->chaddr);
	if (!req_options(r, b + BOOTP_OPTIONS, len - BOOTP_OPTIONS))
		return parse_drop(r, UN_DROP_MALFORMED);
	/* Plain BOOTP, relayed requests, server messages: not served. */
	if (!r->has_type || rd16(b + BOOTP_GIADDR) || rd16(b + BOOTP_GIADDR + 2) ||
	    r->type == DHCPOFFER || r->type == DHCPACK || r->type == DHCPNAK ||
	    r->type == 0 || r->type >= DHCP_TYPE_END)
		return parse_drop(r, UN_DROP_FILTERED);
	return PARSE_OK;
}

/* Is IPv4 destination @dst the server's? */
static gboolean req_to_server(const struct un_dhcp *d, const uint8_t *dst)
{
	guint32 a;

	memcpy(&a, dst, 4);
	return a == INADDR_BROADCAST || a == d->cfg.server.s_addr ||
	       a == (d->cfg.net.s_addr | ~d->cfg.mask.s_addr);
}

/* From the Ethernet frame to the BOOTP message, every length checked. */
static enum dhcp_parse req_parse(const struct un_dhcp *d,
				 const struct un_frame *f, struct dhcp_req *r)
{
	const uint8_t *ip = f->data + OFF_IP, *udp;
	size_t avail = f->len - OFF_IP, ihl, total, ulen;

	memset(r, 0, sizeof(*r));
	if (f->len < OFF_IP + IPV4_HEADER_MIN_BYTES ||
	    un_frame_ethertype(f) != ETHERTYPE_IPV4 || ip[0] >> 4 != 4 ||
	    ip[9] != PROTO_UDP || !req_to_server(d, ip + 16))
		return PARSE_NOT_OURS;
	ihl = (size_t)(ip[0] & 0xfu) * 4;
	if (ihl < IPV4_HEADER_MIN_BYTES || ihl + UDP_HEADER_BYTES > avail)
		return parse_drop(r, UN_DROP_MALFORMED);
	udp = ip + ihl;
	if (rd16(udp + 2) != PORT_SERVER)
		return PARSE_NOT_OURS;
	total = rd16(ip + 2);
	if (total < ihl + UDP_HEADER_BYTES || total > avail ||
	    csum_fold(csum_add(0, ip, ihl)) != 0)
		return parse_drop(r, UN_DROP_MALFORMED);
	if (rd16(ip + 6) & IPV4_MF_OFFSET_MASK)
		return parse_drop(r, UN_DROP_FRAGMENT);
	ulen = rd16(udp + 4);
	if (ulen < UDP_HEADER_BYTES || ulen > total - ihl ||
	    (rd16(udp + 6) && udp_csum(ip, udp, ulen) != 0))
		return parse_drop(r, UN_DROP_MALFORMED);
	return req_bootp(r, udp + UDP_HEADER_BYTES, ulen - UDP_HEADER_BYTES);
}

/* ---- the lease table ---- */

static void lease_free(void *data)
{
	struct dhcp_lease *l = data;

	g_free(l->hostname);
	g_free(l);
}

static gint lease_cmp_expiry(gconstpointer a, gconstpointer b, gpointer unused)
{
	const struct dhcp_lease *x = a, *y = b;

	return (x->expires_us > y->expires_us) - (x->expires_us < y->expires_us);
}

static void lease_set_expiry(struct un_dhcp *d, struct dhcp_lease *l,
			     gint64 when_us)
{
	l->expires_us = when_us;
	if (l->iter)
		g_sequence_sort_changed(l->iter, lease_cmp_expiry, NULL);
}

/* A new entry for @mac at @ip (host order); dynamic unless @res. */
static struct dhcp_lease *lease_add(struct un_dhcp *d, guint64 mac,
				    guint32 ip, const struct dhcp_reserved *res,
				    gint64 now)
{
	struct dhcp_lease *l = g_new0(struct dhcp_lease, 1);

	l->mac = mac;
	l->ip = ip;
	l->state = UN_DHCP_LEASE_OFFERED;
	l->expires_us = now;
	l->host = res ? res->host : NULL;
	g_hash_table_insert(d->by_ip, GUINT_TO_POINTER(ip), l);
	g_hash_table_insert(d->by_mac, &l->mac, l);
	if (!res)
		l->iter = g_sequence_insert_sorted(d->by_expiry, l,
						   lease_cmp_expiry, NULL);
	return l;
}

static void lease_remove(struct un_dhcp *d, struct dhcp_lease *l)
{
	if (g_hash_table_lookup(d->by_mac, &l->mac) == l)
		g_hash_table_remove(d->by_mac, &l->mac);
	if (l->iter)
		g_sequence_remove(l->iter);
	g_hash_table_remove(d->by_ip, GUINT_TO_POINTER(l->ip));
}

/* Free the dynamic entry that ended first, if it has ended. */
static gboolean lease_reclaim(struct un_dhcp *d, gint64 now)
{
	GSequenceIter *it = g_sequence_get_begin_iter(d->by_expiry);
	struct dhcp_lease *l;
	char m[18], a[INET_ADDRSTRLEN];

	if (g_sequence_iter_is_end(it))
		return FALSE;
	l = g_sequence_get(it);
	if (l->expires_us > now)
		return FALSE;
	if (l->state == UN_DHCP_LEASE_BOUND || l->state == UN_DHCP_LEASE_RELEASED)
		g_info("network \"%s\": DHCP reclaims %s from %s, whose lease ended, for another MAC",
		       d->name, ip_str(l->ip, a), mac_str(l->mac, m));
	d->stats.reclaimed++;
	lease_remove(d, l);
	return TRUE;
}

/* @ip (host order) may be leased dynamically and nobody holds it. */
static gboolean pool_free(const struct un_dhcp *d, guint32 ip)
{
	struct in_addr a = { htonl(ip) };

	return ip >= ntohl(d->cfg.first.s_addr) &&
	       ip <= ntohl(d->cfg.last.s_addr) &&
	       !un_dhcp_config_special(&d->cfg, a) &&
	       !g_hash_table_contains(d->res_by_ip, GUINT_TO_POINTER(ip)) &&
	       !g_hash_table_contains(d->by_ip, GUINT_TO_POINTER(ip));
}

/* A free address of the pool, from the cursor on; 0 when none is. */
static guint32 pool_next(struct un_dhcp *d)
{
	guint32 first = ntohl(d->cfg.first.s_addr);
	guint32 last = ntohl(d->cfg.last.s_addr);

	if (un_dhcp_lease_count(d) >= d->pool)
		return 0;
	for (guint64 n = 0; n <= (guint64)(last - first); n++) {
		guint32 ip = d->cursor;

		d->cursor = ip == last ? first : ip + 1;
		if (pool_free(d, ip))
			return ip;
	}
	return 0;
}

/* Count a request that cannot be served; warn once per interval. */
static void dhcp_refuse(struct un_dhcp *d, struct un_port *from,
			const struct dhcp_req *r, gboolean table, gint64 now)
{
	char m[18], a1[INET_ADDRSTRLEN], a2[INET_ADDRSTRLEN];
	g_autofree char *what = NULL, *since = NULL;
	guint64 unwarned;

	d->stats.unserved++;
	un_port_drop(from, UN_DROP_TABLE_FULL);
	if (!un_ratelimit_pass(&d->full_log, UN_DHCP_WARN_INTERVAL_S * G_USEC_PER_SEC,
			       now, &unwarned))
		return;
	what = table ? g_strdup_printf("lease table is full (%u entries, none ended)",
				       d->cfg.max_leases)
		     : g_strdup_printf("range %s-%s is full (%" G_GUINT64_FORMAT " addresses leased or held, none ended)",
				       ip_str(ntohl(d->cfg.first.s_addr), a1),
				       ip_str(ntohl(d->cfg.last.s_addr), a2), d->pool);
	if (unwarned)
		since = g_strdup_printf(" (%" G_GUINT64_FORMAT " more refused since the last warning)",
					unwarned);
	g_warning("network \"%s\": DHCP %s: %s gets no address; widen dhcp-range or shorten dhcp-lease%s",
		  d->name, what, mac_str(r->mac, m), since ? since : "");
}

/* A new dynamic entry for a MAC that has none: at @want (host order) when
 * that is free, else the next free address. NULL when full (counted). */
static struct dhcp_lease *lease_new(struct un_dhcp *d, struct un_port *from,
				    const struct dhcp_req *r, guint32 want,
				    gboolean exact, gint64 now)
{
	guint32 ip = 0;

	if (exact && !pool_free(d, want))
		return NULL;
	if (un_dhcp_lease_count(d) >= d->cfg.max_leases &&
	    !lease_reclaim(d, now)) {
		if (!exact)
			dhcp_refuse(d, from, r, d->cfg.max_leases < d->pool, now);
		return NULL;
	}
	if (want && pool_free(d, want))
		ip = want;
	else if (!(ip = pool_next(d)) && lease_reclaim(d, now))
		ip = pool_next(d);
	if (!ip) {
		dhcp_refuse(d, from, r, FALSE, now);
		return NULL;
	}
	return lease_add(d, r->mac, ip, NULL, now);
}

/* The MAC's entry: its reservation's, its stable one, or (@create) a new
 * one, at @want if possible; NULL when it has none (or the table is
 * full). @exact: only @want will do. */
static struct dhcp_lease *lease_of(struct un_dhcp *d, struct un_port *from,
				   const struct dhcp_req *r, guint32 want,
				   gboolean exact, gint64 now)
{
	struct dhcp_lease *l = g_hash_table_lookup(d->by_mac, &r->mac);
	const struct dhcp_reserved *res;

	if (l)
		return l;
	res = g_hash_table_lookup(d->res_by_mac, &r->mac);
	if (res)
		return lease_add(d, r->mac, ntohl(res->host->ip.s_addr), res, now);
	return lease_new(d, from, r, want, exact, now);
}

static void lease_note_name(struct dhcp_lease *l, const struct dhcp_req *r)
{
	if (r->hostname[0] && g_strcmp0(l->hostname, r->hostname) != 0) {
		g_free(l->hostname);
		l->hostname = g_strdup(r->hostname);
	}
}

/* ---- replies ---- */

/* Start a reply of @type to @r: BOOTP header, cookie, type, server id. */
static void reply_start(const struct un_dhcp *d, struct dhcp_reply *rep,
			const struct dhcp_req *r, guint8 type, guint32 yiaddr)
{
	uint8_t *b = rep->buf + OFF_BOOTP;
	guint size = r->has_max ? CLAMP(ntohs(r->max_size_be), DHCP_DATAGRAM_MIN,
					DHCP_DATAGRAM_MAX)
				: DHCP_DATAGRAM_MIN;

	if (d->cfg.mtu >= DHCP_DATAGRAM_MIN)
		size = MIN(size, d->cfg.mtu);
	memset(rep->buf, 0, OFF_OPTIONS);
	rep->opt = OFF_OPTIONS;
	rep->end = OFF_IP + size - 1;
	b[BOOTP_OP] = BOOTP_REPLY;
	b[BOOTP_HTYPE] = HTYPE_ETHERNET;
	b[BOOTP_HLEN] = UN_MAC_BYTES;
	memcpy(b + BOOTP_XID, r->xid, 4);
	wr16(b + BOOTP_FLAGS, r->flags);
	if (type == DHCPACK)
		memcpy(b + BOOTP_CIADDR, &r->ciaddr, 4);
	wr32(b + BOOTP_YIADDR, yiaddr);
	memcpy(b + BOOTP_CHADDR, r->chaddr, UN_MAC_BYTES);
	wr32(b + BOOTP_MAGIC, DHCP_MAGIC);
	rep->buf[rep->opt++] = OPT_TYPE;
	rep->buf[rep->opt++] = 1;
	rep->buf[rep->opt++] = type;
	rep->buf[rep->opt++] = OPT_SERVER_ID;
	rep->buf[rep->opt++] = 4;
	memcpy(rep->buf + rep->opt, &d->cfg.server, 4);
	rep->opt += 4;
}

/* Append option @code; data over 255 bytes is split into several options
 * of that code (RFC 3396). FALSE, and nothing added, when it does not fit. */
static gboolean reply_opt(struct dhcp_reply *rep, guint8 code,
			  const void *data, size_t len)
{
	size_t parts = len ? (len + 254) / 255 : 1;
	const uint8_t *p = data;

	if (rep->opt + 2 * parts + len > rep->end) {
		g_debug("option %u (%zu bytes) left out: no room in the reply", code, len);
		return FALSE;
	}
	do {
		size_t n = MIN(len, 255u);

		rep->buf[rep->opt++] = code;
		rep->buf[rep->opt++] = (uint8_t)n;
		memcpy(rep->buf + rep->opt, p, n);
		rep->opt += n;
		p += n;
		len -= n;
	} while (len);
	return TRUE;
}

static void reply_opt32(struct dhcp_reply *rep, guint8 code, guint32 v)
{
	uint8_t b[4];

	wr32(b, v);
	reply_opt(rep, code, b, 4);
}

/* Lease time, renewal (T1, half) and rebinding (T2, seven eighths). */
static void reply_lease_opts(const struct un_dhcp *d, struct dhcp_reply *rep)
{
	reply_opt32(rep, OPT_LEASE, d->cfg.lease_s);
	reply_opt32(rep, OPT_T1, d->cfg.lease_s / 2);
	reply_opt32(rep, OPT_T2, (guint32)((guint64)d->cfg.lease_s * 7 / 8));
}

/* The network's options, most needed first. */
static void reply_net_opts(const struct un_dhcp *d, struct dhcp_reply *rep,
			   const struct dhcp_lease *l)
{
	uint8_t mtu[2];

	reply_opt(rep, OPT_MASK, &d->cfg.mask, 4);
	if (d->cfg.router.s_addr)
		reply_opt(rep, OPT_ROUTER, &d->cfg.router, 4);
	if (d->cfg.dns.s_addr)
		reply_opt(rep, OPT_DNS, &d->cfg.dns, 4);
	wr16(mtu, MIN(d->cfg.mtu, 0xffffu));
	reply_opt(rep, OPT_MTU, mtu, 2);
	if (l && l->host && l->host->name)
		reply_opt(rep, OPT_HOSTNAME, l->host->name, strlen(l->host->name));
	if (d->cfg.domain)
		reply_opt(rep, OPT_DOMAIN, d->cfg.domain, strlen(d->cfg.domain));
	if (d->cfg.search)
		reply_opt(rep, OPT_SEARCH, g_bytes_get_data(d->cfg.search, NULL),
			  g_bytes_get_size(d->cfg.search));
}

/* Finish the IPv4, UDP and Ethernet headers and send to @from. */
static void reply_send(struct un_dhcp *d, struct un_port *from,
		       struct dhcp_reply *rep, const struct dhcp_req *r,
		       gboolean bcast)
{
	static const uint8_t all[UN_MAC_BYTES] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	uint8_t *ip = rep->buf + OFF_IP, *udp = rep->buf + OFF_UDP;
	size_t bootp, ulen;
	struct un_frame f;
	guint16 sum;

	rep->buf[rep->opt++] = OPT_END;
	bootp = MAX(rep->opt - OFF_BOOTP, (size_t)BOOTP_REPLY_MIN_BYTES);
	memset(rep->buf + rep->opt, 0, OFF_BOOTP + bootp - rep->opt);
	ulen = UDP_HEADER_BYTES + bootp;
	memcpy(rep->buf, bcast ? all : r->chaddr, UN_MAC_BYTES);
	memcpy(rep->buf + UN_MAC_BYTES, d->mac, UN_MAC_BYTES);
	wr16(rep->buf + 12, ETHERTYPE_IPV4);
	ip[0] = 0x45;
	wr16(ip + 2, IPV4_HEADER_MIN_BYTES + ulen);
	wr16(ip + 4, d->ip_id++);
	ip[8] = IPV4_TTL;
	ip[9] = PROTO_UDP;
	memcpy(ip + 12, &d->cfg.server, 4);
	if (bcast)
		wr32(ip + 16, 0xffffffffu);
	else
		memcpy(ip + 16, &r->ciaddr, 4);
	wr16(ip + 10, csum_fold(csum_add(0, ip, IPV4_HEADER_MIN_BYTES)));
	wr16(udp, PORT_SERVER);
	wr16(udp + 2, PORT_CLIENT);
	wr16(udp + 4, ulen);
	sum = udp_csum(ip, udp, ulen);
	wr16(udp + 6, sum ? sum : 0xffffu);
	f.data = rep->buf;
	f.len = OFF_UDP + ulen;
	un_port_send(from, &f);
}

/* Broadcast when the client has no address or asks for it. */
static gboolean reply_bcast(const struct dhcp_req *r)
{
	return (r->flags & BOOTP_FLAG_BROADCAST) || r->ciaddr.s_addr == 0;
}

/* OFFER or ACK of @l. */
static void reply_lease(struct un_dhcp *d, struct un_port *from,
			const struct dhcp_req *r, const struct dhcp_lease *l,
			guint8 type)
{
	struct dhcp_reply rep;

	reply_start(d, &rep, r, type, l->ip);
	reply_lease_opts(d, &rep);
	reply_net_opts(d, &rep, l);
	reply_send(d, from, &rep, r, reply_bcast(r));
	if (type == DHCPOFFER)
		d->stats.offers++;
	else
		d->stats.acks++;
}

static void reply_nak(struct un_dhcp *d, struct un_port *from,
		      const struct dhcp_req *r, const char *why)
{
	struct dhcp_reply rep;
	char m[18];

	reply_start(d, &rep, r, DHCPNAK, 0);
	reply_opt(&rep, OPT_MESSAGE, why, strlen(why));
	reply_send(d, from, &rep, r, TRUE);
	d->stats.naks++;
	g_debug("network \"%s\": DHCPNAK to %s: %s", d->name, mac_str(r->mac, m), why);
}

/* ---- the messages ---- */

typedef void (*dhcp_handler)(struct un_dhcp *d, struct un_port *from,
			     const struct dhcp_req *r, gint64 now);

static void dhcp_discover(struct un_dhcp *d, struct un_port *from,
			  const struct dhcp_req *r, gint64 now)
{
	struct dhcp_lease *l;

	d->stats.discovers++;
	l = lease_of(d, from, r, r->has_req_ip ? ntohl(r->req_ip.s_addr) : 0,
		     FALSE, now);
	if (!l)
		return;
	if (l->state != UN_DHCP_LEASE_BOUND || l->expires_us <= now) {
		l->state = UN_DHCP_LEASE_OFFERED;
		lease_set_expiry(d, l, now + UN_DHCP_OFFER_HOLD_S * G_USEC_PER_SEC);
	}
	lease_note_name(l, r);
	reply_lease(d, from, r, l, DHCPOFFER);
}

/* The client chose another server: our offer is free again. */
static void dhcp_request_other(struct un_dhcp *d, const struct dhcp_req *r,
			       gint64 now)
{
	struct dhcp_lease *l = g_hash_table_lookup(d->by_mac, &r->mac);

	if (l && l->state == UN_DHCP_LEASE_OFFERED)
		lease_set_expiry(d, l, now);
	d->stats.ignored++;
}

static void dhcp_bind(struct un_dhcp *d, struct dhcp_lease *l, gint64 now)
{
	char m[18], a[INET_ADDRSTRLEN];
	const char *name = l->host && l->host->name ? l->host->name : l->hostname;

	if (l->state != UN_DHCP_LEASE_BOUND || l->expires_us <= now)
		g_info("network \"%s\": DHCP leases %s to %s%s%s for %u s", d->name,
		       ip_str(l->ip, a), mac_str(l->mac, m), name ? " " : "",
		       name ? name : "", d->cfg.lease_s);
	l->state = UN_DHCP_LEASE_BOUND;
	lease_set_expiry(d, l, now + (gint64)d->cfg.lease_s * G_USEC_PER_SEC);
}

static void dhcp_request(struct un_dhcp *d, struct un_port *from,
			 const struct dhcp_req *r, gint64 now)
{
	guint32 want = ntohl(r->has_req_ip ? r->req_ip.s_addr : r->ciaddr.s_addr);
	struct dhcp_lease *l;

	d->stats.requests++;
	if (r->has_server_id && r->server_id.s_addr != d->cfg.server.s_addr) {
		dhcp_request_other(d, r, now);
		return;
	}
	if (!want) {
		reply_nak(d, from, r, "no address requested");
		return;
	}
	l = lease_of(d, from, r, want, TRUE, now);
	if (!l || l->ip != want) {
		reply_nak(d, from, r, l ? "this client has another address; ask again"
					: "address not available");
		return;
	}
	dhcp_bind(d, l, now);
	lease_note_name(l, r);
	reply_lease(d, from, r, l, DHCPACK);
}

/* The MAC's entry when @ip (network order) is its address, else NULL. */
static struct dhcp_lease *lease_at(struct un_dhcp *d, const struct dhcp_req *r,
				   struct in_addr ip)
{
	struct dhcp_lease *l = g_hash_table_lookup(d->by_mac, &r->mac);

	if (r->has_server_id && r->server_id.s_addr != d->cfg.server.s_addr)
		return NULL;
	return l && l->ip == ntohl(ip.s_addr) ? l : NULL;
}

static void dhcp_release(struct un_dhcp *d, struct un_port *from,
			 const struct dhcp_req *r, gint64 now)
{
	struct dhcp_lease *l = lease_at(d, r, r->ciaddr);
	char m[18], a[INET_ADDRSTRLEN];

	d->stats.releases++;
	if (!l)
		return;
	g_info("network \"%s\": DHCP lease of %s released by %s", d->name,
	       ip_str(l->ip, a), mac_str(l->mac, m));
	l->state = UN_DHCP_LEASE_RELEASED;
	lease_set_expiry(d, l, now);
}

static void dhcp_decline(struct un_dhcp *d, struct un_port *from,
			 const struct dhcp_req *r, gint64 now)
{
	struct dhcp_lease *l = lease_at(d, r, r->req_ip);
	char m[18], a[INET_ADDRSTRLEN];

	d->stats.declines++;
	if (!l || !r->has_req_ip)
		return;
	ip_str(l->ip, a);
	mac_str(l->mac, m);
	if (l->host) {
		g_warning("network \"%s\": DHCP: %s declined its reserved address %s: another host uses it; fix that host or the dhcp-host reservation",
			  d->name, m, a);
		l->state = UN_DHCP_LEASE_RELEASED;
		lease_set_expiry(d, l, now);
		return;
	}
	g_warning("network \"%s\": DHCP: %s declined %s: another host uses it; not offered again for %u s",
		  d->name, m, a, UN_DHCP_DECLINE_HOLD_S);
	g_hash_table_remove(d->by_mac, &l->mac);
	l->state = UN_DHCP_LEASE_DECLINED;
	lease_set_expiry(d, l, now + UN_DHCP_DECLINE_HOLD_S * G_USEC_PER_SEC);
}

static void dhcp_inform(struct un_dhcp *d, struct un_port *from,
			const struct dhcp_req *r, gint64 now)
{
	struct dhcp_reply rep;

	d->stats.informs++;
	reply_start(d, &rep, r, DHCPACK, 0);
	reply_net_opts(d, &rep, g_hash_table_lookup(d->by_mac, &r->mac));
	reply_send(d, from, &rep, r, reply_bcast(r));
	d->stats.acks++;
}

static const dhcp_handler dhcp_handlers[DHCP_TYPE_END] = {
	[DHCPDISCOVER] = dhcp_discover, [DHCPREQUEST] = dhcp_request,
	[DHCPDECLINE] = dhcp_decline,   [DHCPRELEASE] = dhcp_release,
	[DHCPINFORM] = dhcp_inform,
};

/* ---- ARP for the server's address ---- */

static gboolean dhcp_arp(struct un_dhcp *d, struct un_port *from,
			 const struct un_frame *f)
{
	const uint8_t *a = f->data + UN_ETH_HEADER_BYTES;
	uint8_t out[UN_ETH_HEADER_BYTES + ARP_IPV4_BYTES];
	struct un_frame reply = { out, sizeof(out) };

	if (f->len < sizeof(out) || rd16(a) != HTYPE_ETHERNET ||
	    rd16(a + 2) != ETHERTYPE_IPV4 || a[4] != UN_MAC_BYTES || a[5] != 4 ||
	    rd16(a + 6) != ARP_REQUEST || memcmp(a + 24, &d->cfg.server, 4) != 0)
		return FALSE;
	memcpy(out, a + 8, UN_MAC_BYTES);
	memcpy(out + UN_MAC_BYTES, d->mac, UN_MAC_BYTES);
	wr16(out + 12, ETHERTYPE_ARP);
	memcpy(out + UN_ETH_HEADER_BYTES, a, 6);
	wr16(out + UN_ETH_HEADER_BYTES + 6, ARP_REPLY);
	memcpy(out + UN_ETH_HEADER_BYTES + 8, d->mac, UN_MAC_BYTES);
	memcpy(out + UN_ETH_HEADER_BYTES + 14, &d->cfg.server, 4);
	memcpy(out + UN_ETH_HEADER_BYTES + 18, a + 8, 10);
	un_port_send(from, &reply);
	d->stats.arp_replies++;
	return TRUE;
}

/* ---- the server ---- */

gboolean un_dhcp_input(struct un_dhcp *d, struct un_port *from,
		       const struct un_frame *f)
{
	struct dhcp_req r;

	if (f->len >= UN_ETH_HEADER_BYTES && un_frame_ethertype(f) == ETHERTYPE_ARP)
		return d->cfg.answer_arp && dhcp_arp(d, from, f);
	switch (req_parse(d, f, &r)) {
	case PARSE_NOT_OURS:
		return FALSE;
	case PARSE_DROP:
		if (r.drop == UN_DROP_MALFORMED)
			d->stats.malformed++;
		else
			d->stats.ignored++;
		un_port_drop(from, r.drop);
		return TRUE;
	case PARSE_OK:
		break;
	}
	if (dhcp_handlers[r.type])
		dhcp_handlers[r.type](d, from, &r, dhcp_now(d));
	return TRUE;
}

static void dhcp_reserve(struct un_dhcp *d)
{
	guint n = d->cfg.hosts->len;

	d->reserved = g_new0(struct dhcp_reserved, n ? n : 1);
	for (guint i = 0; i < n; i++) {
		struct dhcp_reserved *res = &d->reserved[i];

		res->host = &g_array_index(d->cfg.hosts, struct un_dhcp_host, i);
		res->mac = mac_key(res->host->mac);
		g_hash_table_insert(d->res_by_mac, &res->mac, res);
		g_hash_table_insert(d->res_by_ip,
				    GUINT_TO_POINTER(ntohl(res->host->ip.s_addr)), res);
	}
}

struct un_dhcp *un_dhcp_new(const struct un_dhcp_config *cfg, const char *name)
{
	struct un_dhcp *d = g_new0(struct un_dhcp, 1);

	un_dhcp_config_copy(&d->cfg, cfg);
	d->name = g_strdup(name);
	d->mac[0] = 0x52;
	d->mac[1] = 0x55;
	memcpy(d->mac + 2, &cfg->server, 4);
	d->by_mac = g_hash_table_new(g_int64_hash, g_int64_equal);
	d->by_ip = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL,
					 lease_free);
	d->by_expiry = g_sequence_new(NULL);
	d->res_by_mac = g_hash_table_new(g_int64_hash, g_int64_equal);
	d->res_by_ip = g_hash_table_new(g_direct_hash, g_direct_equal);
	dhcp_reserve(d);
	d->pool = un_dhcp_config_pool_size(&d->cfg);
	d->cursor = ntohl(cfg->first.s_addr);
	d->now = dhcp_clock_default;
	return d;
}

void un_dhcp_free(struct un_dhcp *d)
{
	if (!d)
		return;
	g_hash_table_unref(d->by_mac);
	g_sequence_free(d->by_expiry);
	g_hash_table_unref(d->by_ip);
	g_hash_table_unref(d->res_by_mac);
	g_hash_table_unref(d->res_by_ip);
	g_free(d->reserved);
	g_free(d->name);
	un_dhcp_config_clear(&d->cfg);
	g_free(d);
}

void un_dhcp_set_clock(struct un_dhcp *d, gint64 (*now_us)(void *opaque),
		       void *opaque)
{
	d->now = now_us ? now_us : dhcp_clock_default;
	d->now_opaque = opaque;
}

/* ---- what it holds ---- */

static void lease_view(const struct dhcp_lease *l, gint64 now,
		       struct un_dhcp_lease *out)
{
	gint64 left = l->expires_us - now;

	mac_bytes(l->mac, out->mac);
	out->ip.s_addr = htonl(l->ip);
	out->hostname = g_strdup(l->host && l->host->name ? l->host->name
							   : l->hostname);
	out->reserved = l->host != NULL;
	out->state = l->state;
	if (left <= 0 && (l->state == UN_DHCP_LEASE_BOUND ||
			  l->state == UN_DHCP_LEASE_OFFERED))
		out->state = UN_DHCP_LEASE_EXPIRED;
	out->remaining_s = left > 0 ? (left + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC
				    : left / G_USEC_PER_SEC;
}

void un_dhcp_lease_clear(struct un_dhcp_lease *l)
{
	g_clear_pointer(&l->hostname, g_free);
}

static gint lease_cmp_ip(gconstpointer a, gconstpointer b)
{
	const struct un_dhcp_lease *x = a, *y = b;
	guint32 p = ntohl(x->ip.s_addr), q = ntohl(y->ip.s_addr);

	return (p > q) - (p < q);
}

GArray *un_dhcp_leases(struct un_dhcp *d)
{
	GArray *a = g_array_new(FALSE, TRUE, sizeof(struct un_dhcp_lease));
	gint64 now = dhcp_now(d);
	GHashTableIter it;
	gpointer v;

	g_array_set_clear_func(a, (GDestroyNotify)un_dhcp_lease_clear);
	g_hash_table_iter_init(&it, d->by_ip);
	while (g_hash_table_iter_next(&it, NULL, &v)) {
		struct un_dhcp_lease l;

		lease_view(v, now, &l);
		g_array_append_val(a, l);
	}
	g_array_sort(a, lease_cmp_ip);
	return a;
}

gboolean un_dhcp_lookup(struct un_dhcp *d, const uint8_t mac[UN_MAC_BYTES],
			struct un_dhcp_lease *out)
{
	guint64 k = mac_key(mac);
	struct dhcp_lease *l = g_hash_table_lookup(d->by_mac, &k);

	if (!l)
		return FALSE;
	lease_view(l, dhcp_now(d), out);
	return TRUE;
}

const struct un_dhcp_stats *un_dhcp_get_stats(const struct un_dhcp *d)
{
	return &d->stats;
}

guint un_dhcp_lease_count(const struct un_dhcp *d)
{
	return (guint)g_sequence_get_length(d->by_expiry);
}
