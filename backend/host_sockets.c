/* SPDX-License-Identifier: GPL-2.0-or-later */
/* host_sockets.c - the max-host-sockets bound of one router.
 * Owns: counting the sockets libslirp holds, knowing which guest UDP flow
 * owns which socket, deciding whether a guest frame may make libslirp open
 * one more, and the refusal count and log line. Not here: libslirp and its
 * callbacks table (slirp_glue.c), fragments (ip_guard.c), finding the
 * headers in a frame (l4.c).
 *
 * How it works: libslirp 4.7 calls register_poll_fd right after it opens
 * a socket for a guest (tcp_fconnect, udp_attach, icmp_send) or accepts
 * one on a forward (tcp_connect), and unregister_poll_fd right before it
 * closes one (tcp_close, udp_detach, icmp_detach, hostfwd removal); both
 * happen inside slirp_input or slirp_pollfds_poll, so the count is exact
 * at once, even within one burst of frames. Forward listeners are never
 * registered (their unregister is a no-op here); fd -1 (a failed
 * udp_attach registers it) is ignored.
 * A guest frame opens a socket when it is a TCP SYN, an IPv4 ICMP echo to
 * an address other than the router's own two, or a UDP datagram from a
 * guest address and port that has no socket yet (libslirp keys UDP
 * sockets by the guest's end only), except DHCP and TFTP to the router.
 * A socket registered while such a UDP frame is input belongs to its
 * flow, until it is unregistered. At the bound these frames are refused;
 * every other frame, and every UDP datagram of a flow that has a socket,
 * still goes through: existing connections carry on. */
#define G_LOG_DOMAIN "usernet-slirp"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <string.h>
#include <unistd.h>

#include "host_sockets.h"
#include "l4.h"
#include "ratelimit.h"

#define LIMIT_LOG_INTERVAL_US (60 * G_USEC_PER_SEC)
#define PORT_BOOTP_SERVER 67u
#define PORT_TFTP 69u
#define PORT_DHCP6_SERVER 547u
#define ICMP_ECHO_REQUEST 8u

/* A guest's end of a UDP flow, as libslirp looks its socket up. */
struct udp_flow {
	guint8 family; /* 4 or 6 */
	guint8 pad;
	guint16 port;  /* network order */
	guint8 addr[16];
};

enum frame_opens { OPENS_NOTHING, OPENS_SOCKET, OPENS_UDP_FLOW };

struct un_host_sockets {
	char *network;
	guint max;
	guint32 host, dns;      /* network order */
	GHashTable *fds;        /* fd -> struct udp_flow * or NULL; owns flows */
	GHashTable *flows;      /* struct udp_flow * -> fd */
	struct udp_flow input;  /* the UDP flow being input, if input_flow */
	gboolean input_flow;
	guint64 refused;
	struct un_ratelimit log;
};

static guint udp_flow_hash(gconstpointer key)
{
	const struct udp_flow *f = key;
	guint h = (guint)f->family * 31u + f->port;

	for (size_t i = 0; i < sizeof(f->addr); i++)
		h = h * 33u + f->addr[i];
	return h;
}

static gboolean udp_flow_equal(gconstpointer a, gconstpointer b)
{
	return memcmp(a, b, sizeof(struct udp_flow)) == 0;
}

struct un_host_sockets *un_host_sockets_new(const char *network, guint max,
					    struct in_addr host,
					    struct in_addr dns)
{
	struct un_host_sockets *hs = g_new0(struct un_host_sockets, 1);

	hs->network = g_strdup(network);
	hs->max = max;
	hs->host = host.s_addr;
	hs->dns = dns.s_addr;
	hs->fds = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
	hs->flows = g_hash_table_new(udp_flow_hash, udp_flow_equal);
	return hs;
}

void un_host_sockets_free(struct un_host_sockets *hs)
{
	if (!hs)
		return;
	g_hash_table_destroy(hs->flows);
	g_hash_table_destroy(hs->fds);
	g_free(hs->network);
	g_free(hs);
}

void un_host_sockets_opened(struct un_host_sockets *hs, int fd)
{
	struct udp_flow *flow = NULL;

	if (fd < 0)
		return;
	un_host_sockets_closed(hs, fd); /* a number reused after a lost close */
	if (hs->input_flow) {
		flow = g_memdup2(&hs->input, sizeof(hs->input));
		g_hash_table_insert(hs->flows, flow, GINT_TO_POINTER(fd));
		hs->input_flow = FALSE; /* one socket per datagram */
	}
	g_hash_table_insert(hs->fds, GINT_TO_POINTER(fd), flow);
}

void un_host_sockets_closed(struct un_host_sockets *hs, int fd)
{
	const struct udp_flow *flow;

	if (fd < 0 || !g_hash_table_contains(hs->fds, GINT_TO_POINTER(fd)))
		return;
	flow = g_hash_table_lookup(hs->fds, GINT_TO_POINTER(fd));
	if (flow)
		g_hash_table_remove(hs->flows, flow);
	g_hash_table_remove(hs->fds, GINT_TO_POINTER(fd));
}

guint un_host_sockets_count(const struct un_host_sockets *hs)
{
	return g_hash_table_size(hs->fds);
}

guint64 un_host_sockets_refused(const struct un_host_sockets *hs)
{
	return hs->refused;
}

static void host_sockets_refuse(struct un_host_sockets *hs, const char *why)
{
	guint64 held;

	hs->refused++;
	if (!un_ratelimit_pass(&hs->log, LIMIT_LOG_INTERVAL_US,
			       g_get_monotonic_time(), &held))
		return;
	g_warning("network \"%s\": %s; refusing new connections, serving the open ones (%" G_GUINT64_FORMAT
		  " more refused in the last %d s)",
		  hs->network, why, held,
		  (int)(LIMIT_LOG_INTERVAL_US / G_USEC_PER_SEC));
}

/* Out of descriptors: a duplicate of @fd (-1: stderr) cannot be had. */
static gboolean out_of_descriptors(int fd, int *err)
{
	int probe = fcntl(fd < 0 ? STDERR_FILENO : fd, F_DUPFD_CLOEXEC, 0);

	if (probe >= 0) {
		close(probe);
		return FALSE;
	}
	*err = errno;
	return *err == EMFILE || *err == ENFILE;
}

static gboolean host_sockets_at_max(const struct un_host_sockets *hs)
{
	return un_host_sockets_count(hs) >= hs->max;
}

gboolean un_host_sockets_full(struct un_host_sockets *hs, int fd)
{
	g_autofree char *why = NULL;
	int err = 0;

	if (host_sockets_at_max(hs)) {
		why = g_strdup_printf("%u host sockets open, max-host-sockets=%u",
				      un_host_sockets_count(hs), hs->max);
		host_sockets_refuse(hs, why);
		return TRUE;
	}
	if (!out_of_descriptors(fd, &err))
		return FALSE;
	why = g_strdup_printf("out of file descriptors (%s; raise ulimit -n)",
			      g_strerror(err));
	host_sockets_refuse(hs, why);
	return TRUE;
}

/* The UDP datagram at @l4 (@len bytes): a flow of its own, or one
 * libslirp serves without a socket (DHCP, DHCPv6, TFTP to the router)? */
static enum frame_opens udp_opens(const uint8_t *l4, size_t len,
				  gboolean to_router, struct udp_flow *flow)
{
	guint16 dport;

	if (len < 8)
		return OPENS_NOTHING; /* libslirp drops it */
	dport = un_get16(l4 + 2);
	if (dport == PORT_BOOTP_SERVER || dport == PORT_DHCP6_SERVER ||
	    (dport == PORT_TFTP && to_router))
		return OPENS_NOTHING;
	memcpy(&flow->port, l4, sizeof(flow->port));
	return OPENS_UDP_FLOW;
}

/* The TCP segment at @l4 (@len bytes): a SYN without ACK opens one; 14
 * bytes reach its flags. */
static enum frame_opens tcp_opens(const uint8_t *l4, size_t len)
{
	const guint syn_ack = UN_TCP_FLAG_SYN | UN_TCP_FLAG_ACK;

	return len >= 14 && (un_tcp_flags(l4) & syn_ack) == UN_TCP_FLAG_SYN
		       ? OPENS_SOCKET : OPENS_NOTHING;
}

/* The IPv4 packet @l in frame @d of @len bytes. */
static enum frame_opens ipv4_opens(const struct un_host_sockets *hs,
				   const uint8_t *d, size_t len,
				   const struct un_l4 *l, struct udp_flow *flow)
{
	const uint8_t *l4 = d + l->l4_at;
	size_t l4_len = len - l->l4_at;
	guint32 dst;
	gboolean to_router;

	memcpy(&dst, d + l->src_at + l->addr_bytes, sizeof(dst));
	to_router = dst == hs->host || dst == hs->dns;
	switch (l->proto) {
	case IPPROTO_TCP:
		return tcp_opens(l4, l4_len);
	case IPPROTO_UDP:
		flow->family = 4;
		memcpy(flow->addr, d + l->src_at, l->addr_bytes);
		return udp_opens(l4, l4_len, dst == hs->host, flow);
	case IPPROTO_ICMP:
		return l4_len > 0 && l4[0] == ICMP_ECHO_REQUEST && !to_router
			       ? OPENS_SOCKET : OPENS_NOTHING;
	default:
		return OPENS_NOTHING;
	}
}

/* libslirp 4.7 answers IPv6 pings itself and opens no ICMPv6 sockets;
 * extension headers are not followed, as libslirp does not follow them. */
static enum frame_opens ipv6_opens(const uint8_t *d, size_t len,
				   const struct un_l4 *l, struct udp_flow *flow)
{
	const uint8_t *l4 = d + l->l4_at;
	size_t l4_len = len - l->l4_at;

	switch (l->proto) {
	case IPPROTO_TCP:
		return tcp_opens(l4, l4_len);
	case IPPROTO_UDP:
		flow->family = 6;
		memcpy(flow->addr, d + l->src_at, l->addr_bytes);
		/* TFTP over IPv6 to the router is rare: counted as a flow. */
		return udp_opens(l4, l4_len, FALSE, flow);
	default:
		return OPENS_NOTHING;
	}
}

/* What frame @d would make libslirp open. Its transport header is read as
 * far as the frame goes, whatever the IP length says, and IPv4 options,
 * fragments and the version field are not looked at: ip_guard.c has
 * checked them before. */
static enum frame_opens frame_opens(const struct un_host_sockets *hs,
				    const uint8_t *d, size_t len,
				    const struct un_l4 *l, struct udp_flow *flow)
{
	memset(flow, 0, sizeof(*flow));
	if (!l)
		return OPENS_NOTHING;
	if (l->family == 4)
		return ipv4_opens(hs, d, len, l, flow);
	return ipv6_opens(d, len, l, flow);
}

gboolean un_host_sockets_admit(struct un_host_sockets *hs, const uint8_t *d,
			       size_t len, const struct un_l4 *l)
{
	struct udp_flow flow;
	enum frame_opens opens = frame_opens(hs, d, len, l, &flow);

	hs->input_flow = FALSE;
	if (opens == OPENS_NOTHING)
		return TRUE;
	if (opens == OPENS_UDP_FLOW &&
	    g_hash_table_contains(hs->flows, &flow))
		return TRUE;
	/* Out of descriptors but under the bound: libslirp fails the
	 * socket itself and tells the guest (RST, ICMP unreachable). */
	if (un_host_sockets_full(hs, -1) && host_sockets_at_max(hs))
		return FALSE;
	if (opens == OPENS_UDP_FLOW) {
		hs->input = flow;
		hs->input_flow = TRUE;
	}
	return TRUE;
}

void un_host_sockets_input_done(struct un_host_sockets *hs)
{
	hs->input_flow = FALSE;
}
