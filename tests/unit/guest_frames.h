/* SPDX-License-Identifier: GPL-2.0-or-later */
/* guest_frames.h - Ethernet and IPv4 frames as a guest would send them,
 * for unit tests (RFC 791 header layout, RFC 1071 checksum).
 * Not here: checking frames; each test asserts its own. */
#ifndef USERNET_TEST_GUEST_FRAMES_H
#define USERNET_TEST_GUEST_FRAMES_H

#include <arpa/inet.h>
#include <glib.h>
#include <stdint.h>

static const uint8_t gf_guest_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
static const uint8_t gf_host_mac[6] = { 0x52, 0x55, 0x0a, 0x00, 0x02, 0x02 };
static const uint8_t gf_bcast_mac[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

static inline guint16 gf_cksum(const uint8_t *p, gsize len)
{
	guint32 sum = 0;

	for (gsize i = 0; i + 1 < len; i += 2)
		sum += (guint32)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (guint32)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (guint16)~sum;
}

static inline void gf_put16(uint8_t *p, guint v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* A new frame holding an Ethernet header from the guest to @dst. */
static inline GByteArray *gf_eth(const uint8_t *dst, guint type)
{
	GByteArray *f = g_byte_array_new();
	uint8_t t[2];

	g_byte_array_append(f, dst, 6);
	g_byte_array_append(f, gf_guest_mac, 6);
	gf_put16(t, type);
	g_byte_array_append(f, t, 2);
	return f;
}

/* Recompute the checksum of the IPv4 header behind the Ethernet header. */
static inline void gf_ip4_fix_cksum(GByteArray *f)
{
	uint8_t *ip = f->data + 14;

	gf_put16(ip + 10, 0);
	gf_put16(ip + 10, gf_cksum(ip, (ip[0] & 0xfu) * 4u));
}

/* An IPv4 frame to @dst_mac: 20-byte header, @flags_off as on the wire. */
static inline GByteArray *gf_ip4(const uint8_t *dst_mac, guint proto,
				 const char *src, const char *dst, guint id,
				 guint flags_off, const uint8_t *pl, gsize len)
{
	GByteArray *f = gf_eth(dst_mac, 0x0800);
	uint8_t ip[20] = { 0x45, 0 };

	gf_put16(ip + 2, (guint)(20 + len));
	gf_put16(ip + 4, id);
	gf_put16(ip + 6, flags_off);
	ip[8] = 64;
	ip[9] = (uint8_t)proto;
	inet_pton(AF_INET, src, ip + 12);
	inet_pton(AF_INET, dst, ip + 16);
	g_byte_array_append(f, ip, 20);
	g_byte_array_append(f, pl, (guint)len);
	gf_ip4_fix_cksum(f);
	return f;
}

#endif
