/* SPDX-License-Identifier: GPL-2.0-or-later */
/* dhcp.h - the DHCP server that switched kinds (natnet, hostonly, internal
 * with dhcp=on) put in front of their switch; libslirp's is off there.
 * Owns: the DHCP keys (dhcpstart, dhcp-range, dhcp-lease, dhcp-host), the
 * lease table, and answering DHCP requests (RFC 2131/2132) with the
 * network's options.
 * Not here: which frames reach the switch or the router (the kind's), the
 * network's addresses themselves (the kind's config, passed in as facts). */
#ifndef USERNET_DHCP_H
#define USERNET_DHCP_H

#include <glib.h>
#include <netinet/in.h>
#include <stdint.h>

#include "usernet/config.h"
#include "usernet/frame.h"
#include "usernet/port.h"

/* The keys un_dhcp_config_parse reads, for a kind's key list. */
#define UN_DHCP_KEYS \
	"dhcpstart", "dhcp-range", "dhcp-lease", "dhcp-host", "dhcp-max-leases"

#define UN_DHCP_LEASE_DEFAULT_S 86400u
#define UN_DHCP_LEASE_MIN_S 60u
#define UN_DHCP_LEASE_MAX_S 31536000u /* a year */
/* Dynamic lease entries a server keeps at most (fewer when the range is
 * smaller): what a flood of new MACs can cost. */
#define UN_DHCP_LEASES_MAX 65536u
/* An offered address waits this long for the client's REQUEST. */
#define UN_DHCP_OFFER_HOLD_S 60u
/* A declined address (in use by someone) is not offered for this long. */
#define UN_DHCP_DECLINE_HOLD_S 600u
/* At most one "range full" warning per this many seconds. */
#define UN_DHCP_WARN_INTERVAL_S 60u

/* What the kind knows about its network. Addresses in network order;
 * INADDR_ANY (0) means "none" where allowed. */
struct un_dhcp_net {
	struct in_addr net, mask;   /* the subnet */
	struct in_addr server;      /* the server's own address, inside net:
				     * the router's (natnet), the gateway's */
	struct in_addr router;      /* 0: none, option 3 left out */
	struct in_addr dns;         /* 0: none, option 6 left out */
	struct in_addr start;       /* dhcpstart when the key is absent;
				     * 0: the kind has no default range */
	const char *domain;         /* option 15, NULL: none */
	const char *const *dnssearch; /* option 119, NULL or NULL-terminated */
	guint mtu;                  /* option 26 */
	gboolean answer_arp;        /* nobody else owns the server address
				     * (no router): answer ARP for it too */
};

/* One static reservation, dhcp-host=MAC,IP[,NAME]. */
struct un_dhcp_host {
	uint8_t mac[UN_MAC_BYTES];
	struct in_addr ip;
	char *name; /* option 12; NULL: none; owned */
	char *rule; /* as written, for messages; owned */
};

/* A server's whole configuration: the facts plus its keys. */
struct un_dhcp_config {
	struct in_addr net, mask, server, router, dns;
	char *domain;             /* NULL: none */
	GBytes *search;           /* option 119 data (RFC 3397), NULL: none */
	guint mtu;
	gboolean answer_arp;
	struct in_addr first, last; /* the dynamic range, inclusive */
	guint lease_s;            /* dhcp-lease */
	GArray *hosts;            /* struct un_dhcp_host, in config order */
	guint max_leases;         /* dynamic entries kept at most */
};

/* Read UN_DHCP_KEYS from @c for the network @net describes, checking them
 * against it (range and reservations inside the subnet, never the server,
 * router, DNS, network or broadcast address, no MAC or address twice).
 * Fills @cfg (free with un_dhcp_config_clear, also after a failure). */
gboolean un_dhcp_config_parse(struct un_dhcp_config *cfg,
			      const struct un_config *c,
			      const struct un_dhcp_net *net, GError **error);
void un_dhcp_config_clear(struct un_dhcp_config *cfg);
/* Fill @dst with a deep copy of @src (clear it with un_dhcp_config_clear). */
void un_dhcp_config_copy(struct un_dhcp_config *dst,
			 const struct un_dhcp_config *src);
/* TRUE for the addresses never leased: the network and broadcast
 * addresses, the server's, the router's and the DNS server's. */
gboolean un_dhcp_config_special(const struct un_dhcp_config *cfg,
				struct in_addr ip);
/* How many addresses of the range may be leased dynamically: the range
 * less its special and reserved addresses. */
guint64 un_dhcp_config_pool_size(const struct un_dhcp_config *cfg);

/* "52:54:00:12:34:56" or with '-': FALSE when @s is not six hex bytes. */
gboolean un_mac_parse(const char *s, uint8_t mac[UN_MAC_BYTES]);

/* ---- the server ---- */

struct un_dhcp;

/* A server for @cfg (copied: the caller keeps and clears its own). @name
 * (the network's) is used in log lines. Free with un_dhcp_free. */
struct un_dhcp *un_dhcp_new(const struct un_dhcp_config *cfg,
			    const char *name);
void un_dhcp_free(struct un_dhcp *d);

/* One frame from @from, before the switch sees it. Returns TRUE when it
 * was for the server and is consumed: a DHCP or BOOTP request (IPv4 UDP
 * to port 67, to 255.255.255.255, the subnet broadcast or the server), or
 * with answer_arp an ARP request for the server's address. Replies go to
 * @from only, from the server's MAC 52:55:<server IPv4>. A malformed
 * request is counted on @from (malformed) and consumed; so is a request
 * that cannot be served (table-full when the range or table is full;
 * filtered for plain BOOTP, relayed requests and server message types;
 * fragment for an IP fragment). FALSE: not for the server, forward it. */
gboolean un_dhcp_input(struct un_dhcp *d, struct un_port *from,
		       const struct un_frame *f);

/* Replace the monotonic clock (g_get_monotonic_time) the server reads, in
 * microseconds; for tests. */
void un_dhcp_set_clock(struct un_dhcp *d, gint64 (*now_us)(void *opaque),
		       void *opaque);

enum un_dhcp_lease_state {
	UN_DHCP_LEASE_OFFERED,  /* offered, no REQUEST yet */
	UN_DHCP_LEASE_BOUND,    /* acknowledged and running */
	UN_DHCP_LEASE_EXPIRED,  /* ran out; kept for the MAC until needed */
	UN_DHCP_LEASE_RELEASED, /* released; kept for the MAC until needed */
	UN_DHCP_LEASE_DECLINED, /* the client found the address in use */
	UN_DHCP_LEASE__COUNT
};

/* "offered", "bound", ...; indexed by enum un_dhcp_lease_state. */
extern const char *const un_dhcp_lease_state_names[UN_DHCP_LEASE__COUNT];

/* One lease as `usernetctl show` lists it. */
struct un_dhcp_lease {
	uint8_t mac[UN_MAC_BYTES]; /* DECLINED: the client that declined */
	struct in_addr ip;
	char *hostname;         /* the reservation's name, else the client's
				 * option 12; NULL: none; owned */
	enum un_dhcp_lease_state state;
	gboolean reserved;      /* from a dhcp-host reservation */
	gint64 remaining_s;     /* until it ends (or the hold ends); <= 0: over */
};

/* Every lease entry, ordered by address. Returns a new array of struct
 * un_dhcp_lease; g_array_unref frees it and the names. */
GArray *un_dhcp_leases(struct un_dhcp *d);
/* The lease of @mac into @out (free out->hostname with
 * un_dhcp_lease_clear). FALSE: the server holds none for it. */
gboolean un_dhcp_lookup(struct un_dhcp *d, const uint8_t mac[UN_MAC_BYTES],
			struct un_dhcp_lease *out);
void un_dhcp_lease_clear(struct un_dhcp_lease *l);

/* What the server has done, for `usernetctl show` and tests. */
struct un_dhcp_stats {
	guint64 discovers, offers, requests, acks, naks;
	guint64 releases, declines, informs;
	guint64 malformed;  /* also counted on the port as malformed */
	guint64 unserved;   /* range or table full: not answered (table-full) */
	guint64 ignored;    /* plain BOOTP, relayed, server types (filtered),
			     * fragments (fragment), REQUESTs for another
			     * server (not counted on the port) */
	guint64 reclaimed;  /* expired leases given to another MAC */
	guint64 arp_replies;
};

const struct un_dhcp_stats *un_dhcp_get_stats(const struct un_dhcp *d);
/* Dynamic lease entries held now (at most cfg->max_leases). */
guint un_dhcp_lease_count(const struct un_dhcp *d);

#endif
