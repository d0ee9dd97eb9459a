/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tcp_ack.c - pure TCP ACKs that a later one makes redundant.
 * Owns: parsing just enough of a frame to compare two ACKs. Not here: the
 * send queue (frame.c).
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

#include <netinet/in.h>
#include <string.h>

#define ETH_HLEN 14u
#define TCP_FLAG_ACK 0x10u

/* Where the TCP header of a pure ACK starts, with the span of the
 * addresses to compare; 0 when @d is no pure ACK. */
static size_t pure_ack_at(const uint8_t *d, size_t len, size_t *addr_at,
			  size_t *addr_len)
{
	size_t l4, ip_end, doff;
	uint16_t type;

	if (len < ETH_HLEN + 40)
		return 0;
	type = (uint16_t)(d[12] << 8 | d[13]);
	if (type == 0x0800) {
		if (d[14] != 0x45 || d[14 + 9] != IPPROTO_TCP ||
		    (d[14 + 6] & 0x3f) != 0 || d[14 + 7] != 0)
			return 0; /* options, or a fragment */
		l4 = ETH_HLEN + 20;
		ip_end = ETH_HLEN + (size_t)(d[16] << 8 | d[17]);
		*addr_at = ETH_HLEN + 12;
		*addr_len = 8;
	} else if (type == 0x86dd) {
		if (len < ETH_HLEN + 40 + 20 || d[14 + 6] != IPPROTO_TCP)
			return 0;
		l4 = ETH_HLEN + 40;
		ip_end = l4 + (size_t)(d[18] << 8 | d[19]);
		*addr_at = ETH_HLEN + 8;
		*addr_len = 32;
	} else {
		return 0;
	}
	if (ip_end > len || ip_end < l4 + 20)
		return 0;
	doff = (size_t)(d[l4 + 12] >> 4) * 4;
	if (doff < 20 || l4 + doff != ip_end || d[l4 + 13] != TCP_FLAG_ACK)
		return 0;
	return l4;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
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
	ack_old = get32(older + l4 + 8);
	ack_new = get32(newer + l4 + 8);
	return (int32_t)(ack_new - ack_old) > 0;
}
