/* SPDX-License-Identifier: GPL-2.0-or-later */
/* router.h - the NAT router engine (libslirp) that kinds build on.
 * Owns: the router's options under QEMU -netdev user names, host and guest
 * forwards, and a router's life (frames in, frames out).
 * Not here: libslirp itself, which only backend/slirp_glue.c includes. */
#ifndef USERNET_ROUTER_H
#define USERNET_ROUTER_H

#include <glib.h>
#include <json-glib/json-glib.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "usernet/config.h"
#include "usernet/frame.h"
#include "usernet/port.h"

/* The keys un_router_config_parse reads, for a kind's key list. */
#define UN_ROUTER_KEYS                                                        \
	"net", "host", "dhcpstart", "dns", "hostfwd", "guestfwd", "restrict", \
		"ipv4", "ipv6", "ipv6-net", "ipv6-prefix", "ipv6-prefixlen",  \
		"ipv6-host", "ipv6-dns", "hostname", "domainname",            \
		"dnssearch", "tftp", "tftp-server-name", "bootfile",           \
		"max-host-sockets", "reassembly-max-bytes", "tcp-window"

/* The key un_router_config_parse_portfwd reads, for the shared kinds. */
#define UN_PORTFWD_KEYS "portfwd"

/* One host-to-guest forward. */
struct un_hostfwd {
	char *rule;                   /* as written, owned */
	char *name;                   /* portfwd's NAME, owned; NULL for hostfwd */
	gboolean udp;
	struct sockaddr_storage host; /* AF_INET, AF_INET6 or AF_UNIX */
	socklen_t host_len;
	struct sockaddr_in guest;     /* address 0.0.0.0: the DHCP start */
};

/* QEMU's syntax: [tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT,
 * HOSTADDR may be [IPv6]; unix:PATH-[GUESTADDR]:GUESTPORT. An empty host
 * address means 127.0.0.1 (QEMU: every interface). Fills @out (free with
 * un_hostfwd_clear). */
gboolean un_hostfwd_parse(const char *rule, struct un_hostfwd *out,
			  GError **error);
void un_hostfwd_clear(struct un_hostfwd *fwd);

/* VirtualBox's syntax: NAME:PROTO:[HOSTIP]:HOSTPORT:[GUESTIP]:GUESTPORT
 * with literal brackets; PROTO tcp or udp; [] host means 127.0.0.1, an
 * IPv6 host goes inside the brackets ([::1]); the guest IPv4 address is
 * required (these rules are for shared networks). Fills @out (free with
 * un_hostfwd_clear). */
gboolean un_portfwd_parse(const char *rule, struct un_hostfwd *out,
			  GError **error);

enum un_guestfwd_target { UN_GUESTFWD_CMD, UN_GUESTFWD_UNIX, UN_GUESTFWD_TCP };

/* One guest-to-host forward: tcp:IP:PORT-cmd:CMD|unix:PATH|tcp:HOST:PORT. */
struct un_guestfwd {
	char *rule;                 /* owned */
	struct in_addr addr;        /* guest-visible server address */
	guint16 port;
	enum un_guestfwd_target target;
	char *arg;                  /* command, path or HOST:PORT, owned */
};

gboolean un_guestfwd_parse(const char *rule, struct un_guestfwd *out,
			   GError **error);
void un_guestfwd_clear(struct un_guestfwd *fwd);

struct un_router_config {
	gboolean ipv4, ipv6, restricted;
	struct in_addr net, mask, host, dns, dhcp_start;
	struct in6_addr prefix6, host6, dns6;
	guint prefix6_len;
	char *hostname, *domainname, *tftp, *tftp_server_name, *bootfile;
	char **dnssearch;        /* NULL when none */
	guint mtu;               /* the network's MTU (if_mtu and if_mru) */
	GArray *hostfwds;        /* struct un_hostfwd */
	GArray *guestfwds;       /* struct un_guestfwd */
	gboolean disable_dhcp;   /* set by switched kinds: the backend serves DHCP */
	gboolean loopback_only;  /* hostonly: outbound sockets bound to loopback */
	guint max_host_sockets;  /* host sockets libslirp may hold; new guest
				  * connections and forward accepts wait past it */
	guint reassembly_max_bytes; /* IP fragments held, all ports; one port
				     * may hold half */
	guint tcp_window_kib;    /* receive window offered to guest TCP
				  * connections; 64 is libslirp's own */
};

#define UN_ROUTER_HOST_SOCKETS_DEFAULT 4096u
#define UN_ROUTER_HOST_SOCKETS_MIN 16u
#define UN_ROUTER_HOST_SOCKETS_MAX 1048576u
#define UN_ROUTER_REASSEMBLY_BYTES_DEFAULT (256u * 1024u)
#define UN_ROUTER_REASSEMBLY_BYTES_MIN (128u * 1024u) /* one 64 KiB datagram per port */
#define UN_ROUTER_REASSEMBLY_BYTES_MAX (64u << 20)
#define UN_ROUTER_TCP_WINDOW_KIB_MIN 64u  /* libslirp's: nothing rewritten */
#define UN_ROUTER_TCP_WINDOW_KIB_MAX 256u /* 65535 << UN_TCP_WINDOW_SHIFT */
#define UN_ROUTER_TCP_WINDOW_KIB_DEFAULT 256u

/* Read UN_ROUTER_KEYS from @c with QEMU's defaults and checks
 * (10.0.2.0/24, host .2, DNS .3, DHCP from .15, fec0::/64). */
gboolean un_router_config_parse(struct un_router_config *rc,
				const struct un_config *c, guint mtu,
				GError **error);
void un_router_config_clear(struct un_router_config *rc);
/* "10.0.2.0/24": @rc's subnet, newly allocated (g_free). */
char *un_router_config_subnet(const struct un_router_config *rc);
/* Append the portfwd rules of @c to rc->hostfwds (after
 * un_router_config_parse); a NAME used twice is an error. */
gboolean un_router_config_parse_portfwd(struct un_router_config *rc,
					const struct un_config *c,
					GError **error);

struct un_router;

/* Where the router's frames go (to the guest side). */
typedef void (*un_router_output_fn)(void *opaque, const struct un_frame *f);

/* A libslirp instance on the default GLib main context; binds every
 * forward in @rc (a port in use is an error naming the rule). Free with
 * un_router_free. @name is used in log lines. */
struct un_router *un_router_new(const struct un_router_config *rc,
				const char *name, un_router_output_fn output,
				void *opaque, GError **error);
/* A frame from the guest side. Checks its headers and reassembles IP
 * fragments before libslirp sees it; what is dropped is counted on @from. */
void un_router_input(struct un_router *r, struct un_port *from,
		     const struct un_frame *f);
/* @p leaves the router's network: drop the IP fragments held for it,
 * uncounted. A kind calls it from detach, before the port is freed. */
void un_router_forget_port(struct un_router *r, struct un_port *p);
/* Bind @fwd (copied into the router's table). A host address and port
 * in use, or a NAME the table already has, is UN_ERROR_BUSY. */
gboolean un_router_add_hostfwd(struct un_router *r, const struct un_hostfwd *fwd,
			       GError **error);
/* Unbind the forward listening where @fwd does (protocol, host address
 * and port; the guest side is not compared); UN_ERROR_NOT_FOUND when the
 * table has none. */
gboolean un_router_remove_hostfwd(struct un_router *r,
				  const struct un_hostfwd *fwd, GError **error);
/* The forwards bound now, from start-up and run time, in the order they
 * were added: struct un_hostfwd, borrowed, valid until the next change. */
const GArray *un_router_hostfwds(struct un_router *r);
/* The bound forward called @name (portfwd's NAME), borrowed, or NULL. */
const struct un_hostfwd *un_router_hostfwd_named(struct un_router *r,
						 const char *name);

/* ---- run-time control (router_control.c) ---- */

/* A forward in QEMU's syntax, as nat takes it, bound at once. */
gboolean un_router_fwd_add(struct un_router *r, const char *rule,
			   GError **error);
/* A forward on a shared network (natnet, hostonly): QEMU's syntax with a
 * guest address, or VirtualBox's NAME:PROTO:[HOSTIP]:HOSTPORT:[GUESTIP]:GUESTPORT;
 * @rc (the network's) gives the example address in messages. */
gboolean un_router_fwd_add_shared(struct un_router *r,
				  const struct un_router_config *rc,
				  const char *rule, GError **error);
/* Remove by NAME (a portfwd's) or by a rule in either syntax, matched by
 * protocol, host address and port. UN_ERROR_NOT_FOUND when nothing
 * matches, UN_ERROR_CONFIG when it is neither a name nor a rule. */
gboolean un_router_fwd_remove(struct un_router *r, const char *rule_or_name,
			      GError **error);
/* One array element per bound forward: {"rule", "name" (portfwd only),
 * "proto", "host", "guest"}; @b is inside an array. */
void un_router_fwd_list(struct un_router *r, JsonBuilder *b);
/* Members for `show`: "subnet", "gateway", "dns" (when set), "dhcpstart",
 * "options": {...}, "forwards": [...]; @b is inside an object. */
void un_router_describe(struct un_router *r, const struct un_router_config *rc,
			JsonBuilder *b);
/* New connections refused since start because libslirp's host sockets
 * were at max-host-sockets or the process had no descriptor left. */
guint64 un_router_host_sockets_refused(const struct un_router *r);
/* Members for `stats`: "host-sockets-refused", "host-sockets",
 * "fragments-held"; @b is inside an object. @r may be NULL (no router). */
void un_router_stats(const struct un_router *r, JsonBuilder *b);
void un_router_free(struct un_router *r);

#endif
