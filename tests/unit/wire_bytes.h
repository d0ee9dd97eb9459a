/* SPDX-License-Identifier: GPL-2.0-or-later */
/* wire_bytes.h - a small frame on the stack and big-endian fields, for
 * unit tests that write headers byte by byte (host_sockets, syn_guard,
 * tcp_ack). Not here: whole guest frames with checksums (guest_frames.h). */
#ifndef USERNET_TEST_WIRE_BYTES_H
#define USERNET_TEST_WIRE_BYTES_H

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

#endif
