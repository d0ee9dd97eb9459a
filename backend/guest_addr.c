/* SPDX-License-Identifier: GPL-2.0-or-later */
/* guest_addr.c - a guest's IPv4 address, as its DHCP ACKs and ARP show it.
 * Owns: the few header checks this takes. Not here: keeping the address.
 *
 * How it works: pure functions over one frame, every length checked before
 * it is read. A DHCPACK is IPv4 (not a fragment) UDP 67 to 68, BOOTP
 * reply with the magic cookie and option 53 = 5; its yiaddr is the
 * guest's. An ARP packet (request or reply, Ethernet/IPv4) names its
 * sender's address. Anything else, malformed or not, is "not one". */
#define G_LOG_DOMAIN "usernet-guest-addr"

#include "usernet/guest_addr.h"

#include <string.h>

#define ETHERTYPE_IPV4 0x0800u
#define ETHERTYPE_ARP 0x0806u
#define IPPROTO_UDP_NUM 17u
#define UDP_HEADER_BYTES 8u
#define BOOTP_REPLY 2u
#define BOOTP_YIADDR_AT 16u
#define BOOTP_COOKIE_AT 236u
#define BOOTP_OPTIONS_AT 240u
#define DHCP_COOKIE 0x63825363u
#define DHCP_OPT_PAD 0u
#define DHCP_OPT_END 255u
#define DHCP_OPT_TYPE 53u
#define DHCPACK 5u
#define ARP_BYTES 28u
#define ARP_SPA_AT 14u

static guint16 rd16(const uint8_t *p)
{
	return (guint16)(p[0] << 8 | p[1]);
}

static guint32 rd32(const uint8_t *p)
{
	return (guint32)p[0] << 24 | (guint32)p[1] << 16 | (guint32)p[2] << 8 | p[3];
}

/* The UDP payload of an unfragmented IPv4 datagram from port 67 to 68. */
static const uint8_t *guest_addr_bootp(const struct un_frame *f, size_t *len)
{
	const uint8_t *ip = f->data + UN_ETH_HEADER_BYTES;
	size_t ip_len = f->len - UN_ETH_HEADER_BYTES, ihl, total;

	if (un_frame_ethertype(f) != ETHERTYPE_IPV4 || ip_len < 20 ||
	    (ip[0] >> 4) != 4)
		return NULL;
	ihl = (size_t)(ip[0] & 0x0f) * 4;
	total = rd16(ip + 2);
	if (ihl < 20 || total > ip_len || total < ihl + UDP_HEADER_BYTES ||
	    ip[9] != IPPROTO_UDP_NUM || (rd16(ip + 6) & 0x3fff) != 0)
		return NULL;
	ip += ihl;
	if (rd16(ip) != 67 || rd16(ip + 2) != 68 ||
	    rd16(ip + 4) < UDP_HEADER_BYTES || rd16(ip + 4) > total - ihl)
		return NULL;
	*len = rd16(ip + 4) - UDP_HEADER_BYTES;
	return ip + UDP_HEADER_BYTES;
}

/* The DHCP message type (option 53), or 0. */
static guint dhcp_type(const uint8_t *opt, size_t len)
{
	size_t i = 0;

	while (i < len && opt[i] != DHCP_OPT_END) {
		if (opt[i] == DHCP_OPT_PAD) {
			i++;
			continue;
		}
		if (i + 2 > len || i + 2 + opt[i + 1] > len)
			return 0;
		if (opt[i] == DHCP_OPT_TYPE && opt[i + 1] == 1)
			return opt[i + 2];
		i += 2u + opt[i + 1];
	}
	return 0;
}

gboolean un_guest_addr_from_router(const struct un_frame *f,
				   struct in_addr *out)
{
	size_t len = 0;
	const uint8_t *bootp;

	if (f->len < UN_ETH_HEADER_BYTES)
		return FALSE;
	bootp = guest_addr_bootp(f, &len);
	if (!bootp || len < BOOTP_OPTIONS_AT || bootp[0] != BOOTP_REPLY ||
	    rd32(bootp + BOOTP_COOKIE_AT) != DHCP_COOKIE ||
	    dhcp_type(bootp + BOOTP_OPTIONS_AT, len - BOOTP_OPTIONS_AT) != DHCPACK)
		return FALSE;
	memcpy(&out->s_addr, bootp + BOOTP_YIADDR_AT, 4);
	return out->s_addr != 0;
}

gboolean un_guest_addr_from_guest(const struct un_frame *f,
				  struct in_addr *out)
{
	const uint8_t *arp = f->data + UN_ETH_HEADER_BYTES;

	if (f->len < UN_ETH_HEADER_BYTES + ARP_BYTES ||
	    un_frame_ethertype(f) != ETHERTYPE_ARP || rd16(arp) != 1 ||
	    rd16(arp + 2) != ETHERTYPE_IPV4 || arp[4] != 6 || arp[5] != 4)
		return FALSE;
	memcpy(&out->s_addr, arp + ARP_SPA_AT, 4);
	return out->s_addr != 0;
}
