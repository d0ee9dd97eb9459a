/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tcp_ack.c - pure TCP ACKs that a later one makes redundant.
 * Owns: deciding from the located headers that two ACKs compare. Not here:
 * the send queue (frame.c), finding the headers in a frame (l4.c).
 *
 * Why: libslirp 4.7 acknowledges every in-sequence segment at once
 * (tcp_input's header prediction sets TF_ACKNOW), so a guest sending bulk
 * data gets one ACK frame per segment; on an emulated CPU each costs the
 * guest an interrupt and a pass through its TCP stack. When several wait
 * in one port's queue, only the newest carries news: its acknowledgment
 * number covers the older ones and its window is the current one (a
 * stretch ACK, which Linux, BSD and Windows stacks take as such).
 * Merged only: IPv4 without options or fragments, or IPv6 with TCP as
 * next header; same addresses and ports; flags exactly ACK; no payload;
 * same frame length (same TCP options layout); a larger ack number in
 * serial arithmetic (RFC 1982). Everything else is left alone. */
#include "tcp_ack.h"
#include "l4.h"

#include <netinet/in.h>
#include <string.h>

#define IPV4_NOT_PLAIN (UN_L4_IPV4_OPTIONS | UN_L4_FRAGMENT | UN_L4_BAD_VERSION)

/* Where the TCP header of a pure ACK starts, with the span of the
 * addresses to compare; 0 when @d is no pure ACK. IPv4 must be a plain
 * 20-byte version 4 header of no fragment; the IP length must fit in the
 * frame and end right after the TCP header. */
static size_t pure_ack_at(const uint8_t *d, size_t len, size_t *addr_at,
			  size_t *addr_len)
{
	struct un_l4 l;
	const uint8_t *tcp;
	size_t doff;

	if (!un_l4_locate(d, len, &l) || l.proto != IPPROTO_TCP ||
	    (l.family == 4 && (l.flags & IPV4_NOT_PLAIN)) ||
	    (l.flags & UN_L4_TRUNCATED) ||
	    un_l4_bytes(&l) < UN_TCP_HEADER_MIN_BYTES)
		return 0;
	tcp = d + l.l4_at;
	doff = un_tcp_header_bytes(tcp);
	if (doff < UN_TCP_HEADER_MIN_BYTES || l.l4_at + doff != l.end_at ||
	    un_tcp_flags(tcp) != UN_TCP_FLAG_ACK)
		return 0;
	*addr_at = l.src_at;
	*addr_len = 2 * l.addr_bytes;
	return l.l4_at;
}

gboolean un_tcp_ack_supersedes(const uint8_t *older, size_t older_len,
			       const uint8_t *newer, size_t newer_len)
{
	size_t a_at, a_len, b_at, b_len, l4;
	uint32_t ack_old, ack_new;

	if (older_len != newer_len)
		return FALSE;
	l4 = pure_ack_at(older, older_len, &a_at, &a_len);
	if (l4 == 0 || pure_ack_at(newer, newer_len, &b_at, &b_len) != l4)
		return FALSE;
	if (memcmp(older, newer, 14) != 0 || /* MACs and type */
	    memcmp(older + a_at, newer + a_at, a_len) != 0 ||
	    memcmp(older + l4, newer + l4, 4) != 0) /* ports */
		return FALSE;
	ack_old = un_get32(older + l4 + 8);
	ack_new = un_get32(newer + l4 + 8);
	return (int32_t)(ack_new - ack_old) > 0;
}
