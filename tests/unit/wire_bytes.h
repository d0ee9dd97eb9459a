/* SPDX-License-Identifier: GPL-2.0-or-later */
/* wire_bytes.h - a small frame on the stack and big-endian fields, for
 * unit tests that write headers byte by byte (host_sockets, syn_guard,
 * tcp_ack, tcp_window), and the sum that verifies a TCP checksum.
 * Not here: whole guest frames with checksums (guest_frames.h). */
#ifndef USERNET_TEST_WIRE_BYTES_H
#define USERNET_TEST_WIRE_BYTES_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

struct wb_frame {
	uint8_t d[128];
	size_t len;
};

static inline void wb_put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void wb_put32(uint8_t *p, uint32_t v)
{
	wb_put16(p, v >> 16);
	wb_put16(p + 2, v & 0xffff);
}

static inline unsigned wb_get16(const uint8_t *p)
{
	return (unsigned)(p[0] << 8 | p[1]);
}

static inline uint32_t wb_sum16(const uint8_t *p, size_t len, uint32_t sum)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += wb_get16(p + i);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static inline unsigned wb_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

/* RFC 793 pseudo-header + segment of the IPv4 frame @f: 0xffff when its
 * TCP checksum is right (RFC 1071); the IPv6 one (RFC 8200 8.1) below. */
static inline unsigned wb_tcp4_sum(const struct wb_frame *f)
{
	const uint8_t *ip = f->d + 14;
	size_t tcplen = wb_get16(ip + 2) - 20;
	uint32_t sum = wb_sum16(ip + 12, 8, 0) + IPPROTO_TCP + (uint32_t)tcplen;

	return wb_fold(wb_sum16(ip + 20, tcplen, sum));
}

static inline unsigned wb_tcp6_sum(const struct wb_frame *f)
{
	const uint8_t *ip = f->d + 14;
	size_t tcplen = wb_get16(ip + 4);
	uint32_t sum = wb_sum16(ip + 8, 32, 0) + IPPROTO_TCP + (uint32_t)tcplen;

	return wb_fold(wb_sum16(ip + 40, tcplen, sum));
}

#endif
