/* SPDX-License-Identifier: GPL-2.0-or-later */
/* l4.c - locate the IP packet and its transport header in a frame.
 * Owns: reading the untagged Ethernet, IPv4 and fixed IPv6 headers into
 * offsets and flags. Not here: any verdict on the packet; host_sockets.c,
 * syn_guard.c and tcp_ack.c each apply their own rule to what is found.
 *
 * How it works: only the IP header must fit in the frame. Everything else
 * that can be wrong with it (an IP length longer or shorter than the
 * frame, options, fragments, a version field that is not the EtherType's)
 * is a flag, and end_at is cut into [l4_at, frame length], so a caller
 * that reads below end_at never reads past the frame, whatever the flags
 * say. */
#include "l4.h"

#include <netinet/in.h>
#include <string.h>

#include "usernet/frame.h"

#define ETHERTYPE_IPV4 0x0800u
#define ETHERTYPE_IPV6 0x86ddu
#define IPV4_MF_AND_OFFSET 0x3fffu
#define IPV4_OFFSET 0x1fffu
#define IPV6_NEXT_FRAGMENT 44u
#define IPV6_FRAG_OFFSET 0xfff8u

/* The IP payload ends at @ip_end as the header says; keep it in the frame. */
static void l4_set_end(struct un_l4 *l, size_t ip_end, size_t len)
{
	l->end_at = ip_end;
	if (ip_end > len) {
		l->flags |= UN_L4_TRUNCATED;
		l->end_at = len;
	}
	if (l->end_at < l->l4_at) {
		l->flags |= UN_L4_LENGTH_SHORT;
		l->end_at = l->l4_at;
	}
}

static gboolean l4_ipv4(const uint8_t *d, size_t len, struct un_l4 *l)
{
	const uint8_t *ip = d + UN_ETH_HEADER_BYTES;
	size_t hlen;
	guint16 frag;

	if (len < UN_ETH_HEADER_BYTES + UN_IPV4_HEADER_MIN_BYTES)
		return FALSE;
	hlen = (size_t)(ip[0] & 0x0f) * 4;
	if (hlen < UN_IPV4_HEADER_MIN_BYTES || UN_ETH_HEADER_BYTES + hlen > len)
		return FALSE;
	frag = un_get16(ip + 6);
	*l = (struct un_l4){
		.family = 4,
		.proto = ip[9],
		.src_at = UN_ETH_HEADER_BYTES + 12,
		.addr_bytes = 4,
		.l4_at = UN_ETH_HEADER_BYTES + hlen,
	};
	if (ip[0] >> 4 != 4)
		l->flags |= UN_L4_BAD_VERSION;
	if (hlen > UN_IPV4_HEADER_MIN_BYTES)
		l->flags |= UN_L4_IPV4_OPTIONS;
	if (frag & IPV4_MF_AND_OFFSET)
		l->flags |= UN_L4_FRAGMENT;
	if (frag & IPV4_OFFSET)
		l->flags |= UN_L4_LATER_FRAGMENT;
	l4_set_end(l, UN_ETH_HEADER_BYTES + un_get16(ip + 2), len);
	return TRUE;
}

static gboolean l4_ipv6(const uint8_t *d, size_t len, struct un_l4 *l)
{
	const uint8_t *ip = d + UN_ETH_HEADER_BYTES;

	if (len < UN_ETH_HEADER_BYTES + UN_IPV6_HEADER_BYTES)
		return FALSE;
	*l = (struct un_l4){
		.family = 6,
		.proto = ip[6],
		.src_at = UN_ETH_HEADER_BYTES + 8,
		.addr_bytes = 16,
		.l4_at = UN_ETH_HEADER_BYTES + UN_IPV6_HEADER_BYTES,
	};
	if (ip[0] >> 4 != 6)
		l->flags |= UN_L4_BAD_VERSION;
	l4_set_end(l, l->l4_at + un_get16(ip + 4), len);
	if (l->proto != IPV6_NEXT_FRAGMENT)
		return TRUE;
	l->flags |= UN_L4_FRAGMENT;
	/* Fragment header: next header, reserved, offset and M, ID. */
	if (un_l4_bytes(l) >= 4 &&
	    (un_get16(d + l->l4_at + 2) & IPV6_FRAG_OFFSET))
		l->flags |= UN_L4_LATER_FRAGMENT;
	return TRUE;
}

gboolean un_l4_locate(const uint8_t *d, size_t len, struct un_l4 *l)
{
	guint16 type;

	if (len < UN_ETH_HEADER_BYTES)
		return FALSE;
	type = un_get16(d + 12);
	if (type == ETHERTYPE_IPV4)
		return l4_ipv4(d, len, l);
	if (type == ETHERTYPE_IPV6)
		return l4_ipv6(d, len, l);
	return FALSE;
}

void un_l4_conn_fill(const uint8_t *d, const struct un_l4 *l,
		     struct un_l4_conn *c)
{
	memset(c, 0, sizeof(*c));
	c->family = (guint8)l->family;
	memcpy(c->src, d + l->src_at, l->addr_bytes);
	memcpy(c->dst, d + l->src_at + l->addr_bytes, l->addr_bytes);
	c->sport = un_get16(d + l->l4_at);
	c->dport = un_get16(d + l->l4_at + 2);
}

struct un_l4_conn un_l4_conn_reversed(const struct un_l4_conn *k)
{
	struct un_l4_conn r = *k;

	memcpy(r.src, k->dst, sizeof(r.src));
	memcpy(r.dst, k->src, sizeof(r.dst));
	r.sport = k->dport;
	r.dport = k->sport;
	return r;
}

guint un_l4_conn_hash(gconstpointer c)
{
	const guint8 *p = c;
	guint h = 5381;

	for (size_t i = 0; i < sizeof(struct un_l4_conn); i++)
		h = h * 33u + p[i];
	return h;
}

gboolean un_l4_conn_equal(gconstpointer a, gconstpointer b)
{
	return memcmp(a, b, sizeof(struct un_l4_conn)) == 0;
}

uint8_t *un_l4_tcp_header(const uint8_t *d, const struct un_l4 *l,
			  size_t *doff)
{
	const uint8_t *tcp;

	if (!l || l->proto != IPPROTO_TCP ||
	    (l->flags & (UN_L4_TRUNCATED | UN_L4_FRAGMENT)) ||
	    un_l4_bytes(l) < UN_TCP_HEADER_MIN_BYTES)
		return NULL;
	tcp = d + l->l4_at;
	*doff = un_tcp_header_bytes(tcp);
	if (*doff < UN_TCP_HEADER_MIN_BYTES || *doff > un_l4_bytes(l))
		return NULL;
	return (uint8_t *)tcp;
}

size_t un_tcp_option_at(const uint8_t *tcp, size_t doff, guint kind,
			guint len)
{
	size_t i = UN_TCP_HEADER_MIN_BYTES;

	while (i < doff) {
		if (tcp[i] == UN_TCPOPT_EOL)
			return 0;
		if (tcp[i] == UN_TCPOPT_NOP) {
			i++;
			continue;
		}
		if (i + 1 >= doff || tcp[i + 1] < 2 || i + tcp[i + 1] > doff)
			return 0;
		if (tcp[i] == kind && tcp[i + 1] == len)
			return i;
		i += tcp[i + 1];
	}
	return 0;
}
