/* SPDX-License-Identifier: GPL-2.0-or-later */
/* frame.h - what an Ethernet frame is to every part of usernet.
 * Owns: the frame view and the size limits every transport enforces.
 * Not here: framing on the wire (backend/frame.c) or where frames go. */
#ifndef USERNET_FRAME_H
#define USERNET_FRAME_H

#include <stddef.h>
#include <stdint.h>

/* An Ethernet header: destination, source, EtherType. */
#define UN_ETH_HEADER_BYTES 14u
/* Smallest frame a transport accepts (an Ethernet header). */
#define UN_FRAME_MIN_BYTES UN_ETH_HEADER_BYTES
/* Largest frame any transport carries: a 65520-byte MTU plus headers,
 * with room for a VLAN tag; QEMU sends up to this with host_mtu=65520. */
#define UN_FRAME_MAX_BYTES 65550u
/* Largest MTU a network may be given (libslirp's if_mtu limit minus one). */
#define UN_MTU_MAX 65520u
#define UN_MTU_DEFAULT 1500u

#define UN_MAC_BYTES 6u

/* A borrowed view of one frame; valid only during the call it is passed to. */
struct un_frame {
	const uint8_t *data;
	size_t len;
};

static inline const uint8_t *un_frame_dst(const struct un_frame *f)
{
	return f->data;
}

static inline const uint8_t *un_frame_src(const struct un_frame *f)
{
	return f->data + UN_MAC_BYTES;
}

static inline uint16_t un_frame_ethertype(const struct un_frame *f)
{
	return (uint16_t)(f->data[12] << 8 | f->data[13]);
}

#endif
