/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ip_guard.c - what a guest frame must be before libslirp sees it.
 * Owns: header lengths (Ethernet, ARP, IPv4, IPv6, TCP, UDP, ICMP) checked
 * against the frame, and IPv4/IPv6 fragment reassembly.
 * Not here: libslirp (slirp_glue.c); the clock (callers pass the time).
 *
 * How it works: libslirp 4.7 trusts header lengths and dies on some IPv4
 * fragments (a lone last fragment; a two-fragment ping in reverse order),
 * so no fragment ever reaches it. A frame is
 *   - passed as it is when its headers fit inside it and it is no fragment;
 *   - dropped as "malformed" when a header claims more bytes than the frame
 *     holds, a length field is below its header, or an IPv4 header
 *     checksum is wrong (libslirp would drop those too);
 *   - held when it is a fragment. Datagrams are keyed by port, addresses,
 *     protocol (IPv4) and ID; a fragment that overlaps another one drops
 *     the whole datagram (an exact duplicate drops only itself). When the
 *     first, the last and every byte between have arrived, the datagram is
 *     rebuilt as one unfragmented frame (Ethernet and IP header of the first
 *     fragment, lengths and checksum rewritten, IPv6 fragment header
 *     removed) and checked like any other frame.
 * Limits: at most max_datagrams datagrams and max_bytes of memory (payload
 * plus bookkeeping) in all, half the datagrams and max_port_bytes per port; a fragment beyond them
 * is dropped. A datagram not whole after timeout_us is dropped. Each frame
 * lost this way is counted once, as "fragment", on the port that sent it.
 * Only a fragment header right after the fixed IPv6 header is reassembled;
 * libslirp drops IPv6 extension headers anyway. A reassembled IPv6 datagram
 * above the MTU is dropped (libslirp would answer Packet Too Big with the
 * MTU that the guest already fragmented for). */
#define G_LOG_DOMAIN "usernet-guard"

#include "ip_guard.h"

#include <string.h>

#define ETHERTYPE_IPV4 0x0800u
#define ETHERTYPE_ARP 0x0806u
#define ETHERTYPE_IPV6 0x86ddu
#define ARP_IPV4_BYTES 28u
#define IPV4_HEADER_MIN_BYTES 20u
#define IPV6_HEADER_BYTES 40u
#define IPV6_FRAG_HEADER_BYTES 8u
#define IP_LEN_MAX 65535u
#define PROTO_ICMP 1u
#define PROTO_TCP 6u
#define PROTO_UDP 17u
#define PROTO_IPV6_FRAG 44u
#define PROTO_ICMPV6 58u
#define TCP_HEADER_MIN_BYTES 20u
#define UDP_HEADER_BYTES 8u
#define ICMP_HEADER_MIN_BYTES 8u
#define ICMPV6_HEADER_MIN_BYTES 4u
/* What one held fragment costs besides its payload. */
#define FRAG_OVERHEAD_BYTES 64u

/* One IP datagram as a frame carries it. */
struct guard_pkt {
	const uint8_t *frame;
	guint family;          /* 4 or 6 */
	const uint8_t *ip;     /* the IP header */
	gsize ip_hlen;         /* IPv4: IHL * 4; IPv6: 40 */
	guint8 proto;          /* IPv4 protocol; IPv6 next header (past 44) */
	gboolean frag, more;
	guint32 id;
	gsize frag_off;        /* bytes */
	const uint8_t *payload; /* past the IP (and fragment) header */
	gsize payload_len;
};

struct guard_frag {
	gsize off, len;
	uint8_t *data;
};

struct guard_dgram {
	struct un_port *owner;
	guint family;
	guint8 proto; /* IPv4: part of the key; IPv6: from the first fragment */
	guint32 id;
	uint8_t src[16], dst[16];
	gint64 deadline_us;
	uint8_t *head;     /* Ethernet + IP header of the offset-0 fragment */
	gsize head_len;
	gboolean have_last;
	gsize total;       /* payload bytes, known once the last one came */
	gsize covered;     /* payload bytes held (fragments never overlap) */
	GPtrArray *frags;  /* struct guard_frag *, sorted by offset */
	gsize bytes;       /* charged against the limits */
};

struct un_ip_guard {
	struct un_ip_guard_limits lim;
	un_ip_guard_alive_fn alive;
	void *alive_opaque;
	GQueue dgrams; /* oldest first: deadlines ascend */
	gsize bytes;
	guint frames;
};

static guint16 be16(const uint8_t *p)
{
	return (guint16)(p[0] << 8 | p[1]);
}

static guint32 be32(const uint8_t *p)
{
	return (guint32)p[0] << 24 | (guint32)p[1] << 16 | (guint32)p[2] << 8 |
	       p[3];
}

static void put_be16(uint8_t *p, guint16 v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* The Internet checksum of @len bytes (0 when a header's sum is right). */
static guint16 guard_cksum(const uint8_t *p, gsize len)
{
	guint32 sum = 0;

	for (gsize i = 0; i + 1 < len; i += 2)
		sum += be16(p + i);
	if (len & 1)
		sum += (guint32)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (guint16)~sum;
}

static void guard_frag_free(gpointer data)
{
	struct guard_frag *fr = data;

	g_free(fr->data);
	g_free(fr);
}

static void dgram_free(struct guard_dgram *d)
{
	g_ptr_array_unref(d->frags);
	g_free(d->head);
	g_free(d);
}

struct un_ip_guard *un_ip_guard_new(const struct un_ip_guard_limits *limits,
				    un_ip_guard_alive_fn alive, void *opaque)
{
	static const struct un_ip_guard_limits dflt = {
		.max_datagrams = UN_IP_GUARD_DATAGRAMS_MAX,
		.max_bytes = UN_IP_GUARD_BYTES_MAX,
		.max_port_bytes = UN_IP_GUARD_PORT_BYTES_MAX,
		.timeout_us = UN_IP_GUARD_TIMEOUT_US,
		.mtu = UN_MTU_DEFAULT,
	};
	struct un_ip_guard *g = g_new0(struct un_ip_guard, 1);

	g->lim = limits ? *limits : dflt;
	g->alive = alive;
	g->alive_opaque = opaque;
	g_queue_init(&g->dgrams);
	return g;
}

/* Unlink @d from @g and free it; count its held frames as @reason on
 * its port unless @reason is UN_DROP__COUNT (the port is gone). */
static void guard_discard(struct un_ip_guard *g, struct guard_dgram *d,
			  enum un_drop_reason reason)
{
	if (reason != UN_DROP__COUNT)
		for (guint i = 0; i < d->frags->len; i++)
			un_port_drop(d->owner, reason);
	g_queue_remove(&g->dgrams, d);
	g->bytes -= d->bytes;
	g->frames -= d->frags->len;
	dgram_free(d);
}

void un_ip_guard_free(struct un_ip_guard *g)
{
	if (!g)
		return;
	while (!g_queue_is_empty(&g->dgrams))
		guard_discard(g, g_queue_peek_head(&g->dgrams), UN_DROP__COUNT);
	g_free(g);
}

guint un_ip_guard_expire(struct un_ip_guard *g, gint64 now_us)
{
	guint n = 0;

	while (!g_queue_is_empty(&g->dgrams)) {
		struct guard_dgram *d = g_queue_peek_head(&g->dgrams);

		if (d->deadline_us > now_us)
			break;
		guard_discard(g, d, !g->alive || g->alive(g->alive_opaque, d->owner) ?
					    UN_DROP_FRAGMENT : UN_DROP__COUNT);
		n++;
	}
	return n;
}

gint64 un_ip_guard_next_deadline(const struct un_ip_guard *g)
{
	const struct guard_dgram *d = g_queue_peek_head((GQueue *)&g->dgrams);

	return d ? d->deadline_us : -1;
}

guint un_ip_guard_held_frames(const struct un_ip_guard *g)
{
	return g->frames;
}

void un_ip_guard_forget(struct un_ip_guard *g, struct un_port *p)
{
	GList *l = g->dgrams.head;

	while (l) {
		struct guard_dgram *d = l->data;

		l = l->next;
		if (d->owner == p)
			guard_discard(g, d, UN_DROP__COUNT);
	}
}

/* Parse an IPv4 header at @ip with @avail bytes after the Ethernet header. */
static gboolean guard_parse4(const uint8_t *ip, gsize avail,
			     struct guard_pkt *p)
{
	gsize hlen, tot;
	guint16 off;

	if (avail < IPV4_HEADER_MIN_BYTES || ip[0] >> 4 != 4)
		return FALSE;
	hlen = (gsize)(ip[0] & 0xf) * 4;
	tot = be16(ip + 2);
	if (hlen < IPV4_HEADER_MIN_BYTES || tot < hlen || tot > avail)
		return FALSE;
	if (guard_cksum(ip, hlen) != 0)
		return FALSE;
	off = be16(ip + 6);
	p->family = 4;
	p->ip = ip;
	p->ip_hlen = hlen;
	p->proto = ip[9];
	p->more = (off & 0x2000) != 0;
	p->frag_off = (gsize)(off & 0x1fff) * 8;
	p->frag = p->more || p->frag_off;
	p->id = be16(ip + 4);
	p->payload = ip + hlen;
	p->payload_len = tot - hlen;
	return TRUE;
}

/* Parse an IPv6 header (and a fragment header right behind it). */
static gboolean guard_parse6(const uint8_t *ip, gsize avail,
			     struct guard_pkt *p)
{
	gsize pl;

	if (avail < IPV6_HEADER_BYTES || ip[0] >> 4 != 6)
		return FALSE;
	pl = be16(ip + 4);
	if (IPV6_HEADER_BYTES + pl > avail)
		return FALSE;
	p->family = 6;
	p->ip = ip;
	p->ip_hlen = IPV6_HEADER_BYTES;
	p->proto = ip[6];
	p->payload = ip + IPV6_HEADER_BYTES;
	p->payload_len = pl;
	p->frag = FALSE;
	if (p->proto != PROTO_IPV6_FRAG)
		return TRUE;
	if (pl < IPV6_FRAG_HEADER_BYTES)
		return FALSE;
	p->frag = TRUE;
	p->proto = p->payload[0];
	p->frag_off = be16(p->payload + 2) & 0xfff8u;
	p->more = (p->payload[3] & 1) != 0;
	p->id = be32(p->payload + 4);
	p->payload += IPV6_FRAG_HEADER_BYTES;
	p->payload_len -= IPV6_FRAG_HEADER_BYTES;
	return TRUE;
}

/* TRUE when the transport header fits in @len bytes as its fields say. */
static gboolean guard_l4_ok(guint family, guint8 proto, const uint8_t *l4,
			    gsize len)
{
	switch (proto) {
	case PROTO_TCP:
		return len >= TCP_HEADER_MIN_BYTES &&
		       (gsize)(l4[12] >> 4) * 4 >= TCP_HEADER_MIN_BYTES &&
		       (gsize)(l4[12] >> 4) * 4 <= len;
	case PROTO_UDP:
		return len >= UDP_HEADER_BYTES &&
		       be16(l4 + 4) >= UDP_HEADER_BYTES && be16(l4 + 4) <= len;
	case PROTO_ICMP:
		return family != 4 || len >= ICMP_HEADER_MIN_BYTES;
	case PROTO_ICMPV6:
		return family != 6 || len >= ICMPV6_HEADER_MIN_BYTES;
	default:
		return TRUE;
	}
}

static gboolean dgram_matches(const struct guard_dgram *d,
			      const struct un_port *from,
			      const struct guard_pkt *p)
{
	gsize alen = p->family == 4 ? 4 : 16;
	gsize soff = p->family == 4 ? 12 : 8;

	return d->owner == from && d->family == p->family && d->id == p->id &&
	       (p->family == 6 || d->proto == p->proto) &&
	       memcmp(d->src, p->ip + soff, alen) == 0 &&
	       memcmp(d->dst, p->ip + soff + alen, alen) == 0;
}

/* Bytes and datagrams held for @from. */
static void guard_port_usage(const struct un_ip_guard *g,
			     const struct un_port *from, gsize *bytes,
			     guint *dgrams)
{
	*bytes = 0;
	*dgrams = 0;
	for (GList *l = g->dgrams.head; l; l = l->next) {
		const struct guard_dgram *d = l->data;

		if (d->owner != from)
			continue;
		*bytes += d->bytes;
		(*dgrams)++;
	}
}

/* TRUE if @cost more bytes (and a new datagram when @new_dgram) fit. One
 * port may hold half the datagrams, so one guest cannot block the rest. */
static gboolean guard_fits(const struct un_ip_guard *g,
			   const struct un_port *from, gsize cost,
			   gboolean new_dgram)
{
	gsize port_bytes;
	guint port_dgrams;

	if (new_dgram && g->dgrams.length >= g->lim.max_datagrams)
		return FALSE;
	if (g->bytes + cost > g->lim.max_bytes)
		return FALSE;
	guard_port_usage(g, from, &port_bytes, &port_dgrams);
	if (new_dgram && port_dgrams >= MAX(1u, g->lim.max_datagrams / 2))
		return FALSE;
	return port_bytes + cost <= g->lim.max_port_bytes;
}

static struct guard_dgram *dgram_new(struct un_ip_guard *g,
				     struct un_port *from,
				     const struct guard_pkt *p, gint64 now_us)
{
	struct guard_dgram *d = g_new0(struct guard_dgram, 1);
	gsize alen = p->family == 4 ? 4 : 16;
	gsize soff = p->family == 4 ? 12 : 8;

	d->owner = from;
	d->family = p->family;
	d->proto = p->proto;
	d->id = p->id;
	memcpy(d->src, p->ip + soff, alen);
	memcpy(d->dst, p->ip + soff + alen, alen);
	d->deadline_us = now_us + g->lim.timeout_us;
	d->frags = g_ptr_array_new_with_free_func(guard_frag_free);
	g_queue_push_tail(&g->dgrams, d);
	return d;
}

/* Index at which a fragment at @off goes (first with a larger offset). */
static guint dgram_slot(const struct guard_dgram *d, gsize off)
{
	guint lo = 0, hi = d->frags->len;

	while (lo < hi) {
		guint mid = lo + (hi - lo) / 2;
		const struct guard_frag *fr = g_ptr_array_index(d->frags, mid);

		if (fr->off <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

enum frag_fit { FIT_OK, FIT_DUPLICATE, FIT_CONFLICT };

/* How [off, end) sits against the fragments held and the known end. */
static enum frag_fit dgram_fit(const struct guard_dgram *d,
			       const struct guard_pkt *p, guint slot)
{
	gsize off = p->frag_off, end = off + p->payload_len;

	if (slot > 0) {
		const struct guard_frag *prev =
			g_ptr_array_index(d->frags, slot - 1);

		if (prev->off == off && prev->len == p->payload_len)
			return FIT_DUPLICATE;
		if (prev->off + prev->len > off)
			return FIT_CONFLICT;
	}
	if (slot < d->frags->len) {
		const struct guard_frag *next = g_ptr_array_index(d->frags, slot);

		if (next->off < end)
			return FIT_CONFLICT;
	}
	if (d->have_last && (end > d->total || (!p->more && end != d->total)))
		return FIT_CONFLICT;
	if (!p->more && d->frags->len > 0) {
		const struct guard_frag *last =
			g_ptr_array_index(d->frags, d->frags->len - 1);

		if (last->off + last->len > end)
			return FIT_CONFLICT;
	}
	return FIT_OK;
}

/* Keep the fragment @p in @d (it fits); the first one keeps its headers. */
static void dgram_add(struct un_ip_guard *g, struct guard_dgram *d,
		      const struct guard_pkt *p, guint slot, gsize cost)
{
	struct guard_frag *fr = g_new(struct guard_frag, 1);

	fr->off = p->frag_off;
	fr->len = p->payload_len;
	fr->data = g_memdup2(p->payload, p->payload_len);
	g_ptr_array_insert(d->frags, (gint)slot, fr);
	if (fr->off == 0) {
		d->head_len = UN_ETH_HEADER_BYTES + p->ip_hlen;
		d->head = g_memdup2(p->frame, d->head_len);
		d->proto = p->proto;
	}
	if (!p->more) {
		d->have_last = TRUE;
		d->total = fr->off + fr->len;
	}
	d->covered += fr->len;
	d->bytes += cost;
	g->bytes += cost;
	g->frames++;
}

/* The whole datagram as one unfragmented frame. */
static GBytes *dgram_build(const struct guard_dgram *d)
{
	gsize len = d->head_len + d->total;
	uint8_t *buf = g_malloc(len);
	uint8_t *ip = buf + UN_ETH_HEADER_BYTES;
	gsize hlen = d->head_len - UN_ETH_HEADER_BYTES;

	memcpy(buf, d->head, d->head_len);
	for (guint i = 0; i < d->frags->len; i++) {
		const struct guard_frag *fr = g_ptr_array_index(d->frags, i);

		memcpy(buf + d->head_len + fr->off, fr->data, fr->len);
	}
	if (d->family == 4) {
		put_be16(ip + 2, (guint16)(hlen + d->total));
		put_be16(ip + 6, 0);
		put_be16(ip + 10, 0);
		put_be16(ip + 10, guard_cksum(ip, hlen));
	} else {
		put_be16(ip + 4, (guint16)d->total);
		ip[6] = d->proto;
	}
	return g_bytes_new_take(buf, len);
}

/* Check a rebuilt datagram like a whole frame; @frames were used for it. */
static enum un_guard_verdict guard_finish(struct un_ip_guard *g,
					  struct un_port *from, GBytes *b,
					  guint frames, GBytes **whole)
{
	gsize len;
	const uint8_t *data = g_bytes_get_data(b, &len);
	struct guard_pkt p = { .frame = data };
	const uint8_t *ip = data + UN_ETH_HEADER_BYTES;
	gsize avail = len - UN_ETH_HEADER_BYTES;
	gboolean ok = ip[0] >> 4 == 4 ? guard_parse4(ip, avail, &p) :
					guard_parse6(ip, avail, &p);
	enum un_drop_reason reason = UN_DROP_MALFORMED;

	if (ok && !p.frag && p.family == 6 && avail > g->lim.mtu) {
		ok = FALSE;
		reason = UN_DROP_FRAGMENT;
	}
	if (!ok || p.frag || !guard_l4_ok(p.family, p.proto, p.payload,
					  p.payload_len)) {
		for (guint i = 0; i < frames; i++)
			un_port_drop(from, reason);
		g_bytes_unref(b);
		return UN_GUARD_DROP;
	}
	*whole = b;
	return UN_GUARD_WHOLE;
}

static enum un_guard_verdict guard_drop(struct un_port *from,
					enum un_drop_reason reason)
{
	un_port_drop(from, reason);
	return UN_GUARD_DROP;
}

/* A fragment whose own fields cannot be part of any datagram. */
static gboolean guard_frag_bad(const struct guard_pkt *p)
{
	gsize room = p->family == 4 ? IP_LEN_MAX - p->ip_hlen : IP_LEN_MAX;

	if (p->payload_len == 0 || (p->more && p->payload_len % 8 != 0))
		return TRUE;
	return p->frag_off + p->payload_len > room;
}

static struct guard_dgram *guard_find(struct un_ip_guard *g,
				      struct un_port *from,
				      const struct guard_pkt *p)
{
	for (GList *l = g->dgrams.head; l; l = l->next)
		if (dgram_matches(l->data, from, p))
			return l->data;
	return NULL;
}

static enum un_guard_verdict guard_fragment(struct un_ip_guard *g,
					    struct un_port *from,
					    const struct guard_pkt *p,
					    gint64 now_us, GBytes **whole)
{
	gsize cost = p->payload_len + FRAG_OVERHEAD_BYTES +
		     (p->frag_off == 0 ? UN_ETH_HEADER_BYTES + p->ip_hlen : 0);
	struct guard_dgram *d;
	guint slot, frames;
	GBytes *b;

	if (guard_frag_bad(p))
		return guard_drop(from, UN_DROP_FRAGMENT);
	d = guard_find(g, from, p);
	if (!guard_fits(g, from, cost, d == NULL)) {
		if (d)
			guard_discard(g, d, UN_DROP_FRAGMENT);
		return guard_drop(from, UN_DROP_FRAGMENT);
	}
	if (!d)
		d = dgram_new(g, from, p, now_us);
	slot = dgram_slot(d, p->frag_off);
	switch (dgram_fit(d, p, slot)) {
	case FIT_DUPLICATE:
		return guard_drop(from, UN_DROP_FRAGMENT);
	case FIT_CONFLICT:
		guard_discard(g, d, UN_DROP_FRAGMENT);
		return guard_drop(from, UN_DROP_FRAGMENT);
	case FIT_OK:
		break;
	}
	dgram_add(g, d, p, slot, cost);
	if (!d->have_last || !d->head || d->covered != d->total)
		return UN_GUARD_HELD;
	if (d->family == 4 &&
	    d->head_len - UN_ETH_HEADER_BYTES + d->total > IP_LEN_MAX) {
		guard_discard(g, d, UN_DROP_FRAGMENT);
		return UN_GUARD_DROP;
	}
	b = dgram_build(d);
	frames = d->frags->len;
	guard_discard(g, d, UN_DROP__COUNT);
	return guard_finish(g, from, b, frames, whole);
}

/* An IPv6 fragment with offset 0 and no more to come (RFC 6946): whole
 * already; it never joins a reassembly. */
static enum un_guard_verdict guard_atomic6(struct un_ip_guard *g,
					   struct un_port *from,
					   const struct guard_pkt *p,
					   GBytes **whole)
{
	gsize head = UN_ETH_HEADER_BYTES + IPV6_HEADER_BYTES;
	gsize len = head + p->payload_len;
	uint8_t *buf = g_malloc(len);

	memcpy(buf, p->frame, head);
	memcpy(buf + head, p->payload, p->payload_len);
	put_be16(buf + UN_ETH_HEADER_BYTES + 4, (guint16)p->payload_len);
	buf[UN_ETH_HEADER_BYTES + 6] = p->proto;
	return guard_finish(g, from, g_bytes_new_take(buf, len), 1, whole);
}

static enum un_guard_verdict guard_ip(struct un_ip_guard *g,
				      struct un_port *from,
				      const struct un_frame *f, guint16 type,
				      gint64 now_us, GBytes **whole)
{
	struct guard_pkt p = { .frame = f->data };
	const uint8_t *ip = f->data + UN_ETH_HEADER_BYTES;
	gsize avail = f->len - UN_ETH_HEADER_BYTES;
	gboolean ok = type == ETHERTYPE_IPV4 ? guard_parse4(ip, avail, &p) :
					       guard_parse6(ip, avail, &p);

	if (!ok)
		return guard_drop(from, UN_DROP_MALFORMED);
	if (!p.frag)
		return guard_l4_ok(p.family, p.proto, p.payload, p.payload_len) ?
			       UN_GUARD_PASS :
			       guard_drop(from, UN_DROP_MALFORMED);
	if (p.family == 6 && p.frag_off == 0 && !p.more)
		return guard_atomic6(g, from, &p, whole);
	return guard_fragment(g, from, &p, now_us, whole);
}

enum un_guard_verdict un_ip_guard_input(struct un_ip_guard *g,
					struct un_port *from,
					const struct un_frame *f, gint64 now_us,
					GBytes **whole)
{
	un_ip_guard_expire(g, now_us);
	if (f->len < UN_ETH_HEADER_BYTES)
		return guard_drop(from, UN_DROP_MALFORMED);
	switch (un_frame_ethertype(f)) {
	case ETHERTYPE_ARP:
		return f->len >= UN_ETH_HEADER_BYTES + ARP_IPV4_BYTES ?
			       UN_GUARD_PASS :
			       guard_drop(from, UN_DROP_MALFORMED);
	case ETHERTYPE_IPV4:
	case ETHERTYPE_IPV6:
		return guard_ip(g, from, f, un_frame_ethertype(f), now_us,
				whole);
	default:
		return UN_GUARD_PASS;
	}
}
