/* SPDX-License-Identifier: GPL-2.0-or-later */
/* l4.h - where the IP header, its addresses and the transport header lie
 * in an untagged Ethernet frame, found once for every module that looks.
 * Owns: the offsets and facts of the IPv4 (RFC 791) and fixed IPv6 (RFC
 * 8200) header, big-endian reads, the TCP header's fixed fields (RFC 793).
 * Not here: what a module accepts (each checks the flags it cares for),
 * checksums and fragment reassembly (ip_guard.c). */
#ifndef USERNET_L4_H
#define USERNET_L4_H

#include <glib.h>
#include <stddef.h>
#include <stdint.h>

#define UN_IPV4_HEADER_MIN_BYTES 20u
#define UN_IPV6_HEADER_BYTES 40u
#define UN_TCP_HEADER_MIN_BYTES 20u
#define UN_TCP_FLAG_SYN 0x02u
#define UN_TCP_FLAG_ACK 0x10u

/* Facts about a located packet; none of them makes un_l4_locate fail. */
enum un_l4_flag {
	UN_L4_TRUNCATED = 1u << 0,      /* the IP length says more than the
					 * frame holds: end_at is the frame's */
	UN_L4_LENGTH_SHORT = 1u << 1,   /* IPv4 total length below its own
					 * header: end_at is l4_at */
	UN_L4_IPV4_OPTIONS = 1u << 2,   /* IHL above 5 */
	UN_L4_FRAGMENT = 1u << 3,       /* IPv4: MF or an offset; IPv6: next
					 * header is a Fragment header (44) */
	UN_L4_LATER_FRAGMENT = 1u << 4, /* a fragment offset other than 0
					 * (IPv6: if that field is in the
					 * payload) */
	UN_L4_BAD_VERSION = 1u << 5,    /* version field not the EtherType's */
};

/* One IP packet as it lies in a frame; every _at is an offset from the
 * frame's first byte, and l4_at <= end_at <= the frame's length. */
struct un_l4 {
	guint family;      /* 4 (EtherType 0x0800) or 6 (0x86dd) */
	guint8 proto;      /* IPv4 protocol, or the fixed IPv6 header's next
			    * header: extension headers are not followed */
	guint flags;       /* enum un_l4_flag */
	size_t src_at;     /* the source address; the destination follows */
	size_t addr_bytes; /* of one address: 4 or 16 */
	size_t l4_at;      /* the transport header: 14 + IHL * 4, or 14 + 40 */
	size_t end_at;     /* end of the IP payload: 14 + total length (IPv4),
			    * l4_at + payload length (IPv6), cut into
			    * [l4_at, frame length] */
};

/* Locate the IP packet in frame @d of @len bytes into *l. FALSE (and *l
 * unset) when the EtherType is neither IPv4 nor IPv6 (a VLAN tag is not
 * looked through), or the IP header does not fit in the frame: the fixed
 * part, and for IPv4 the options that IHL announces (IHL below 5 is no
 * header). Reads nothing past @len. */
gboolean un_l4_locate(const uint8_t *d, size_t len, struct un_l4 *l);

/* un_l4_locate into @l, giving @l, or NULL for no IP packet: the form in
 * which the router hands a located frame to host_sockets, syn_guard and
 * tcp_cork. */
static inline const struct un_l4 *un_l4_find(const uint8_t *d, size_t len,
					     struct un_l4 *l)
{
	return un_l4_locate(d, len, l) ? l : NULL;
}

/* A TCP or UDP connection as its sender sees it, usable as a hash key:
 * no padding, unused address bytes zero. */
struct un_l4_conn {
	guint8 family;      /* 4 or 6 */
	guint8 pad;         /* 0 */
	guint16 sport, dport;
	guint8 src[16], dst[16];
};

/* The connection of located packet @l in frame @d; its transport header
 * must hold at least the two ports (4 bytes). */
void un_l4_conn_fill(const uint8_t *d, const struct un_l4 *l,
		     struct un_l4_conn *c);
/* @k with its two ends swapped: as its other end sends it. */
struct un_l4_conn un_l4_conn_reversed(const struct un_l4_conn *k);
/* GHashFunc and GEqualFunc over struct un_l4_conn. */
guint un_l4_conn_hash(gconstpointer c);
gboolean un_l4_conn_equal(gconstpointer a, gconstpointer b);

/* Bytes from the transport header to the end of the IP payload. */
static inline size_t un_l4_bytes(const struct un_l4 *l)
{
	return l->end_at - l->l4_at;
}

static inline guint16 un_get16(const uint8_t *p)
{
	return (guint16)(p[0] << 8 | p[1]);
}

static inline guint32 un_get32(const uint8_t *p)
{
	return (guint32)un_get16(p) << 16 | un_get16(p + 2);
}

static inline void un_put16(uint8_t *p, guint v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* An Internet checksum change being summed (RFC 1624, eqn. 3:
 * HC' = ~(~HC + ~m + m')): add every 16-bit word that changes with
 * un_cksum_swap, then write the sum into the checksum with un_cksum_apply.
 * A word that did not exist before is swapped from 0; a length in a
 * pseudo-header is a word like any other. */
static inline void un_cksum_swap(guint32 *sum, guint old_word, guint new_word)
{
	*sum += (guint16)~old_word + (guint16)new_word;
}

static inline void un_cksum_apply(uint8_t *cksum, guint32 sum)
{
	sum += (guint16)~un_get16(cksum);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	un_put16(cksum, (guint16)~sum);
}

/* The TCP header at @tcp: its length from the data offset, its flags. */
static inline size_t un_tcp_header_bytes(const uint8_t *tcp)
{
	return (size_t)(tcp[12] >> 4) * 4;
}

static inline guint un_tcp_flags(const uint8_t *tcp)
{
	return tcp[13];
}

/* The TCP header of located packet @l in frame @d (NULL: none) and its
 * length in *doff; NULL when the packet is no TCP, is a fragment or cut
 * short, or does not hold the whole header its data offset claims. */
uint8_t *un_l4_tcp_header(const uint8_t *d, const struct un_l4 *l,
			  size_t *doff);

#define UN_TCPOPT_EOL 0u
#define UN_TCPOPT_NOP 1u
#define UN_TCPOPT_MSS 2u
#define UN_TCPOPT_WSCALE 3u

/* Offset of the first option @kind of @len bytes in TCP header @tcp of
 * @doff bytes, or 0 when there is none. The list ends at EOL or at the
 * first malformed option (a length below 2 or past the header), where
 * libslirp stops reading too. */
size_t un_tcp_option_at(const uint8_t *tcp, size_t doff, guint kind,
			guint len);

#endif
