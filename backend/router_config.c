/* SPDX-License-Identifier: GPL-2.0-or-later */
/* router_config.c - a NAT router's options, read as QEMU -netdev user
 * reads them (QEMU 7.2 net/slirp.c and net/net.c).
 * Owns: defaults, derived addresses and the checks between them; the
 * hostfwd, portfwd and guestfwd rule syntax.
 * Not here: binding forwards or running libslirp (slirp_glue.c); reading
 * SPECs and key files (config.c).
 *
 * How it works, where QEMU's rules are not obvious:
 *   - ipv4 and ipv6 are both on unless switched: ipv4=off or ipv6=off turns
 *     one off, and ipv6=on without ipv4= turns IPv4 off (and ipv4=on
 *     without ipv6= turns IPv6 off). Both off is an error, and so is net=,
 *     host= or dns= with IPv4 off, or ipv6-net/-prefix/-host/-dns with IPv6
 *     off.
 *   - net=ADDR without a mask takes a class mask (class A /8, 172.16/12,
 *     class B /16, 192.168/16, 198.18/15, 224+ /24, anything else /28);
 *     net=ADDR/LEN takes LEN 4-32, net=ADDR/MASK a dotted mask. ADDR is
 *     masked; host, DNS and DHCP start become NET|.2.2, NET|.2.3 and
 *     NET|.2.15 within the mask (10.0.2.2, .3, .15 in a /24).
 *   - host and DHCP start must lie in net, and DNS too with restrict=on;
 *     DNS differs from host, DHCP start from both.
 *   - ipv6-net=ADDR[/LEN] is ipv6-prefix plus ipv6-prefixlen (default
 *     fec0::/64; LEN 0 means 64). ipv6-host and ipv6-dns default to the
 *     prefix with 2 and 3 in its last byte; ipv6-host must lie in the
 *     prefix, ipv6-dns too with restrict=on.
 *   - hostname and tftp-server-name at most 255 bytes, domainname 1-255,
 *     bootfile under 128 (libslirp's BOOTP file field).
 * Two deliberate differences: a hostfwd with an empty host address binds
 * 127.0.0.1 (QEMU: every interface), and host port 0 (QEMU: a random port
 * no one is told) is refused. A dotted net mask must be contiguous. */
#define G_LOG_DOMAIN "usernet-router"

#include "usernet/error.h"
#include "usernet/router.h"

#include <arpa/inet.h>
#include <gio/gio.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <sys/un.h>

#define HOSTFWD_SYNTAX \
	"[tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT or unix:PATH-[GUESTADDR]:GUESTPORT"
#define PORTFWD_SYNTAX "NAME:PROTO:[HOSTIP]:HOSTPORT:[GUESTIP]:GUESTPORT"
#define GUESTFWD_SYNTAX \
	"[tcp]:[SERVER]:PORT-cmd:COMMAND, -unix:PATH or -tcp:HOST:PORT"
#define NAME_MAX_BYTES 255u
#define BOOTFILE_MAX_BYTES 127u
#define MTU_MIN 68u
#define PREFIX6_LEN_MAX 126u
#define PREFIX6_LEN_DEFAULT 64u
#define SUN_PATH_MAX_BYTES (sizeof(((struct sockaddr_un *)0)->sun_path) - 1)

/* ---- forward rules ---- */

static gboolean fwd_fail(GError **error, const char *rule, const char *fmt,
			 ...) G_GNUC_PRINTF(3, 4);

static gboolean fwd_fail(GError **error, const char *rule, const char *fmt,
			 ...)
{
	va_list ap;
	g_autofree char *msg = NULL;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_set_error(error, UN_ERROR, UN_ERROR_CONFIG, "'%s': %s", rule, msg);
	return FALSE;
}

/* A port as QEMU reads it, strtol(@base): base 0 takes 0x.. and 0... */
static gboolean fwd_port(const char *s, guint base, guint min, guint *out)
{
	char *end;
	gint64 v;

	if (!g_ascii_isdigit(s[0]))
		return FALSE;
	v = g_ascii_strtoll(s, &end, base);
	if (*end || v < (gint64)min || v > 65535)
		return FALSE;
	*out = (guint)v;
	return TRUE;
}

/* "[IPv6]:" or "IPv4:" or ":" (127.0.0.1) into out->host; returns what
 * follows the ':' (the port), or NULL with @error set. */
static const char *hostfwd_inet_addr(const char *rule, const char *s,
				     struct un_hostfwd *out, GError **error)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)&out->host;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&out->host;
	const char *end = s[0] == '[' ? strchr(s, ']') : strchr(s, ':');
	g_autofree char *addr = NULL;

	if (s[0] == '[') {
		if (!end || end[1] != ':')
			return fwd_fail(error, rule, "write an IPv6 host address as [ADDR]:HOSTPORT, for example tcp:[::1]:8022-:22"), NULL;
		addr = g_strndup(s + 1, end - s - 1);
		sin6->sin6_family = AF_INET6;
		out->host_len = sizeof(*sin6);
		if (inet_pton(AF_INET6, addr, &sin6->sin6_addr) != 1)
			return fwd_fail(error, rule, "host address [%s] is not an IPv6 address", addr), NULL;
		return end + 2;
	}
	if (!end)
		return fwd_fail(error, rule, "missing ':' before the host port (write " HOSTFWD_SYNTAX ")"), NULL;
	if (strchr(end + 1, ':'))
		return fwd_fail(error, rule, "an IPv6 host address needs brackets, for example tcp:[::1]:8022-:22"), NULL;
	addr = g_strndup(s, end - s);
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	out->host_len = sizeof(*sin);
	if (*addr && !inet_aton(addr, &sin->sin_addr))
		return fwd_fail(error, rule, "host address '%s' is not an IPv4 address (an IPv6 one goes in brackets)", addr), NULL;
	return end + 1;
}

/* "[IPv6]:PORT", "IPv4:PORT" or ":PORT". */
static gboolean hostfwd_inet(const char *rule, const char *s,
			     struct un_hostfwd *out, GError **error)
{
	const char *port = hostfwd_inet_addr(rule, s, out, error);
	guint n;

	if (!port)
		return FALSE;
	if (strcmp(port, "0") == 0 || !*port)
		return fwd_fail(error, rule, "host port %s would bind a random port no one is told; give one from 1 to 65535", *port ? port : "(empty)");
	if (!fwd_port(port, 0, 1, &n))
		return fwd_fail(error, rule, "host port '%s' is not a number from 1 to 65535", port);
	if (out->host.ss_family == AF_INET)
		((struct sockaddr_in *)&out->host)->sin_port = htons((guint16)n);
	else
		((struct sockaddr_in6 *)&out->host)->sin6_port = htons((guint16)n);
	return TRUE;
}

/* "/PATH" of a unix socket the forward listens on. */
static gboolean hostfwd_unix(const char *rule, const char *path,
			     struct un_hostfwd *out, GError **error)
{
	struct sockaddr_un *sun = (struct sockaddr_un *)&out->host;
	gsize len = strlen(path);

	if (len == 0)
		return fwd_fail(error, rule, "missing the socket path (write unix:/PATH-[GUESTADDR]:GUESTPORT)");
	if (path[0] != '/')
		return fwd_fail(error, rule, "socket path '%s' must be absolute", path);
	if (len > SUN_PATH_MAX_BYTES)
		return fwd_fail(error, rule, "socket path is %zu bytes; a unix socket address holds at most %zu", len, SUN_PATH_MAX_BYTES);
	sun->sun_family = AF_UNIX;
	memcpy(sun->sun_path, path, len);
	out->host_len = sizeof(*sun);
	return TRUE;
}

/* "[GUESTADDR]:GUESTPORT"; an empty address is the DHCP start. */
static gboolean hostfwd_guest(const char *rule, const char *s,
			      struct sockaddr_in *guest, GError **error)
{
	const char *colon = strchr(s, ':');
	g_autofree char *addr = NULL;
	guint n;

	if (!colon)
		return fwd_fail(error, rule, "the guest side '%s' is not [GUESTADDR]:GUESTPORT", s);
	if (s[0] == '[')
		return fwd_fail(error, rule, "the guest address must be IPv4 (libslirp reaches the guest over IPv4)");
	addr = g_strndup(s, colon - s);
	guest->sin_family = AF_INET;
	if (*addr && !inet_aton(addr, &guest->sin_addr))
		return fwd_fail(error, rule, "guest address '%s' is not an IPv4 address", addr);
	if (!fwd_port(colon + 1, 0, 1, &n))
		return fwd_fail(error, rule, "guest port '%s' is not a number from 1 to 65535", colon + 1);
	guest->sin_port = htons((guint16)n);
	return TRUE;
}

gboolean un_hostfwd_parse(const char *rule, struct un_hostfwd *out,
			  GError **error)
{
	const char *colon = strchr(rule, ':'), *dash;
	g_autofree char *proto = NULL, *host = NULL;
	gboolean ok;

	memset(out, 0, sizeof(*out));
	if (!colon)
		return fwd_fail(error, rule, "write " HOSTFWD_SYNTAX);
	dash = strrchr(colon, '-');
	if (!dash)
		return fwd_fail(error, rule, "missing '-' between the host and the guest side (write " HOSTFWD_SYNTAX ")");
	proto = g_strndup(rule, colon - rule);
	host = g_strndup(colon + 1, dash - colon - 1);
	if (strcmp(proto, "unix") == 0) {
		ok = hostfwd_unix(rule, host, out, error);
	} else if (!*proto || !strcmp(proto, "tcp") || !strcmp(proto, "udp")) {
		out->udp = strcmp(proto, "udp") == 0;
		ok = hostfwd_inet(rule, host, out, error);
	} else {
		ok = fwd_fail(error, rule, "protocol '%s' is not tcp, udp or unix", proto);
	}
	if (ok)
		ok = hostfwd_guest(rule, dash + 1, &out->guest, error);
	if (!ok) {
		un_hostfwd_clear(out);
		return FALSE;
	}
	out->rule = g_strdup(rule);
	return TRUE;
}

void un_hostfwd_clear(struct un_hostfwd *fwd)
{
	g_free(fwd->rule);
	g_free(fwd->name);
	memset(fwd, 0, sizeof(*fwd));
}

/* VirtualBox's NAME:PROTO:[HOSTIP]:HOSTPORT:[GUESTIP]:GUESTPORT, split
 * into its six fields; fields 2 and 4 keep what is inside the brackets. */
enum { PF_NAME, PF_PROTO, PF_HOSTIP, PF_HOSTPORT, PF_GUESTIP, PF_GUESTPORT, PF_N };
static const char *const portfwd_fields[PF_N] = { "NAME", "PROTO", "[HOSTIP]",
	"HOSTPORT", "[GUESTIP]", "GUESTPORT" };

static gboolean portfwd_split(const char *rule, char *f[PF_N], GError **error)
{
	const char *s = rule;

	for (int i = 0; i < PF_N; i++) {
		gboolean bracket = i == PF_HOSTIP || i == PF_GUESTIP;
		const char *end = NULL;

		if (i > 0 && *s++ != ':')
			return fwd_fail(error, rule, "missing %s (write " PORTFWD_SYNTAX ")", portfwd_fields[i]);
		if (bracket && *s != '[')
			return fwd_fail(error, rule, "%s must be in brackets, [] for the default (write " PORTFWD_SYNTAX ")", portfwd_fields[i]);
		if (bracket && !(end = strchr(s, ']')))
			return fwd_fail(error, rule, "missing ']' after %s", portfwd_fields[i]);
		if (!bracket)
			end = s + strcspn(s, ":");
		f[i] = bracket ? g_strndup(s + 1, end - s - 1) : g_strndup(s, end - s);
		s = bracket ? end + 1 : end;
	}
	if (*s)
		return fwd_fail(error, rule, "unexpected '%s' after GUESTPORT (write " PORTFWD_SYNTAX ")", s);
	return TRUE;
}

static gboolean portfwd_host(const char *rule, const char *ip, guint port,
			     struct un_hostfwd *out, GError **error)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)&out->host;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&out->host;

	if (strchr(ip, ':')) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((guint16)port);
		out->host_len = sizeof(*sin6);
		if (inet_pton(AF_INET6, ip, &sin6->sin6_addr) != 1)
			return fwd_fail(error, rule, "host IP [%s] is not an IPv6 address", ip);
		return TRUE;
	}
	sin->sin_family = AF_INET;
	sin->sin_port = htons((guint16)port);
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	out->host_len = sizeof(*sin);
	if (*ip && inet_pton(AF_INET, ip, &sin->sin_addr) != 1)
		return fwd_fail(error, rule, "host IP [%s] is not an IPv4 or IPv6 address", ip);
	return TRUE;
}

static gboolean portfwd_fields_parse(const char *rule, char *f[PF_N],
				     struct un_hostfwd *out, GError **error)
{
	guint hport, gport;

	if (!*f[PF_NAME])
		return fwd_fail(error, rule, "the rule has no NAME (write " PORTFWD_SYNTAX ")");
	if (g_ascii_strcasecmp(f[PF_PROTO], "tcp") && g_ascii_strcasecmp(f[PF_PROTO], "udp"))
		return fwd_fail(error, rule, "protocol '%s' is not tcp or udp", f[PF_PROTO]);
	out->udp = g_ascii_strcasecmp(f[PF_PROTO], "udp") == 0;
	if (!fwd_port(f[PF_HOSTPORT], 10, 1, &hport))
		return fwd_fail(error, rule, "host port '%s' is not a number from 1 to 65535", f[PF_HOSTPORT]);
	if (!fwd_port(f[PF_GUESTPORT], 10, 1, &gport))
		return fwd_fail(error, rule, "guest port '%s' is not a number from 1 to 65535", f[PF_GUESTPORT]);
	if (!portfwd_host(rule, f[PF_HOSTIP], hport, out, error))
		return FALSE;
	if (!*f[PF_GUESTIP])
		return fwd_fail(error, rule, "no guest IP; on a shared network write it, e.g. ssh:tcp:[]:2222:[10.0.2.15]:22");
	out->guest.sin_family = AF_INET;
	out->guest.sin_port = htons((guint16)gport);
	if (inet_pton(AF_INET, f[PF_GUESTIP], &out->guest.sin_addr) != 1)
		return fwd_fail(error, rule, "guest IP [%s] is not an IPv4 address", f[PF_GUESTIP]);
	return TRUE;
}

gboolean un_portfwd_parse(const char *rule, struct un_hostfwd *out,
			  GError **error)
{
	char *f[PF_N] = { NULL };
	gboolean ok;

	memset(out, 0, sizeof(*out));
	ok = portfwd_split(rule, f, error) &&
	     portfwd_fields_parse(rule, f, out, error);
	if (ok) {
		out->rule = g_strdup(rule);
		out->name = g_strdup(f[PF_NAME]);
	} else {
		un_hostfwd_clear(out);
	}
	for (int i = 0; i < PF_N; i++)
		g_free(f[i]);
	return ok;
}

/* What follows "PORT-": cmd:COMMAND, unix:PATH or tcp:HOST:PORT. */
static gboolean guestfwd_target(const char *rule, const char *t,
				struct un_guestfwd *out, GError **error)
{
	g_autoptr(GSocketConnectable) addr = NULL;
	g_autoptr(GError) local = NULL;

	if (g_str_has_prefix(t, "cmd:") && t[4]) {
		out->target = UN_GUESTFWD_CMD;
	} else if (g_str_has_prefix(t, "unix:") && t[5]) {
		if (strlen(t + 5) > SUN_PATH_MAX_BYTES)
			return fwd_fail(error, rule, "socket path is %zu bytes; a unix socket address holds at most %zu", strlen(t + 5), SUN_PATH_MAX_BYTES);
		out->target = UN_GUESTFWD_UNIX;
	} else if (g_str_has_prefix(t, "tcp:")) {
		addr = g_network_address_parse(t + 4, 0, &local);
		if (!addr || !*g_network_address_get_hostname(G_NETWORK_ADDRESS(addr)) ||
		    g_network_address_get_port(G_NETWORK_ADDRESS(addr)) == 0)
			return fwd_fail(error, rule, "'%s' is not HOST:PORT (a port 1-65535; an IPv6 host in brackets)", t + 4);
		out->target = UN_GUESTFWD_TCP;
	} else {
		return fwd_fail(error, rule, "target '%s' is not cmd:COMMAND, unix:PATH or tcp:HOST:PORT", t);
	}
	out->arg = g_strdup(strchr(t, ':') + 1);
	return TRUE;
}

/* "[tcp]:[SERVER]:PORT-" up to the target; returns the target or NULL. */
static const char *guestfwd_server(const char *rule, struct un_guestfwd *out,
				   GError **error)
{
	const char *c1 = strchr(rule, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
	const char *dash = c2 ? strchr(c2, '-') : NULL;
	g_autofree char *proto = NULL, *server = NULL, *port = NULL;
	guint n;

	if (!dash) {
		fwd_fail(error, rule, "write " GUESTFWD_SYNTAX);
		return NULL;
	}
	proto = g_strndup(rule, c1 - rule);
	server = g_strndup(c1 + 1, c2 - c1 - 1);
	port = g_strndup(c2 + 1, dash - c2 - 1);
	if (*proto && strcmp(proto, "tcp") != 0)
		fwd_fail(error, rule, "guest forwards are tcp only, not '%s'", proto);
	else if (*server && !inet_aton(server, &out->addr))
		fwd_fail(error, rule, "server address '%s' is not an IPv4 address", server);
	else if (!fwd_port(port, 10, 1, &n))
		fwd_fail(error, rule, "port '%s' is not a number from 1 to 65535", port);
	else
		out->port = (guint16)n;
	return out->port ? dash + 1 : NULL;
}

gboolean un_guestfwd_parse(const char *rule, struct un_guestfwd *out,
			   GError **error)
{
	const char *target;

	memset(out, 0, sizeof(*out));
	target = guestfwd_server(rule, out, error);
	if (!target || !guestfwd_target(rule, target, out, error)) {
		un_guestfwd_clear(out);
		return FALSE;
	}
	out->rule = g_strdup(rule);
	return TRUE;
}

void un_guestfwd_clear(struct un_guestfwd *fwd)
{
	g_free(fwd->rule);
	g_free(fwd->arg);
	memset(fwd, 0, sizeof(*fwd));
}

/* ---- keys that stand alone ---- */

typedef gboolean (*rc_key_fn)(const struct un_config *c, const char *key,
			      void *field, GError **error);

static gboolean rc_bool(const struct un_config *c, const char *key,
			void *field, GError **error)
{
	return un_config_bool(c, key, FALSE, field, error);
}

static gboolean rc_string(const struct un_config *c, const char *key,
			  void *field, GError **error)
{
	*(char **)field = un_config_string(c, key);
	return TRUE;
}

/* A string of at most @max bytes, or at least one byte when @nonempty. */
static gboolean rc_string_max(const struct un_config *c, const char *key,
			      void *field, gsize max, gboolean nonempty,
			      GError **error)
{
	char *v = un_config_string(c, key);

	*(char **)field = v;
	if (v && nonempty && !*v) {
		un_config_error(c, error, key, "cannot be empty; leave the key out for none");
		return FALSE;
	}
	if (v && strlen(v) > max) {
		un_config_error(c, error, key, "'%.20s...' is %zu bytes; at most %zu fit",
				v, strlen(v), max);
		return FALSE;
	}
	return TRUE;
}

static gboolean rc_name(const struct un_config *c, const char *key,
			void *field, GError **error)
{
	return rc_string_max(c, key, field, NAME_MAX_BYTES, FALSE, error);
}

static gboolean rc_domainname(const struct un_config *c, const char *key,
			      void *field, GError **error)
{
	return rc_string_max(c, key, field, NAME_MAX_BYTES, TRUE, error);
}

static gboolean rc_bootfile(const struct un_config *c, const char *key,
			    void *field, GError **error)
{
	return rc_string_max(c, key, field, BOOTFILE_MAX_BYTES, FALSE, error);
}

static gboolean rc_strv(const struct un_config *c, const char *key,
			void *field, GError **error)
{
	char **v = un_config_list(c, key);

	if (!v[0])
		g_clear_pointer(&v, g_strfreev);
	*(char ***)field = v;
	return TRUE;
}

typedef gboolean (*rc_rule_fn)(const char *rule, void *out, GError **error);

static gboolean rc_hostfwd_one(const char *rule, void *out, GError **error)
{
	return un_hostfwd_parse(rule, out, error);
}

static gboolean rc_guestfwd_one(const char *rule, void *out, GError **error)
{
	return un_guestfwd_parse(rule, out, error);
}

/* Each rule of a repeatable key, parsed into a new element of @a. */
static gboolean rc_rules(const struct un_config *c, const char *key,
			 GArray *a, rc_rule_fn parse, GError **error)
{
	g_auto(GStrv) rules = un_config_list(c, key);
	guint size = g_array_get_element_size(a);

	for (char **r = rules; *r; r++) {
		g_autoptr(GError) local = NULL;

		g_array_set_size(a, a->len + 1);
		if (!parse(*r, a->data + (gsize)(a->len - 1) * size, &local)) {
			g_array_set_size(a, a->len - 1);
			un_config_error(c, error, key, "%s", local->message);
			return FALSE;
		}
	}
	return TRUE;
}

static gboolean rc_hostfwds(const struct un_config *c, const char *key,
			    void *field, GError **error)
{
	return rc_rules(c, key, *(GArray **)field, rc_hostfwd_one, error);
}

static gboolean rc_guestfwds(const struct un_config *c, const char *key,
			     void *field, GError **error)
{
	return rc_rules(c, key, *(GArray **)field, rc_guestfwd_one, error);
}

struct rc_key {
	const char *name;
	rc_key_fn parse;
	size_t offset;
};

static const struct rc_key rc_keys[] = {
	{ "restrict", rc_bool, offsetof(struct un_router_config, restricted) },
	{ "hostname", rc_name, offsetof(struct un_router_config, hostname) },
	{ "domainname", rc_domainname, offsetof(struct un_router_config, domainname) },
	{ "tftp", rc_string, offsetof(struct un_router_config, tftp) },
	{ "tftp-server-name", rc_name, offsetof(struct un_router_config, tftp_server_name) },
	{ "bootfile", rc_bootfile, offsetof(struct un_router_config, bootfile) },
	{ "dnssearch", rc_strv, offsetof(struct un_router_config, dnssearch) },
	{ "hostfwd", rc_hostfwds, offsetof(struct un_router_config, hostfwds) },
	{ "guestfwd", rc_guestfwds, offsetof(struct un_router_config, guestfwds) },
};

/* ---- addresses, which depend on each other ---- */

static const char *ip4_str(struct in_addr a, char buf[INET_ADDRSTRLEN])
{
	return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

static guint mask_len(struct in_addr mask)
{
	return (guint)__builtin_popcount(ntohl(mask.s_addr));
}

char *un_router_config_subnet(const struct un_router_config *rc)
{
	char b[INET_ADDRSTRLEN];

	return g_strdup_printf("%s/%u", ip4_str(rc->net, b), mask_len(rc->mask));
}

static gboolean rc_in_net(const struct un_router_config *rc, struct in_addr a)
{
	return (a.s_addr & rc->mask.s_addr) == rc->net.s_addr;
}

static gboolean rc_ip_versions(struct un_router_config *rc,
			       const struct un_config *c, GError **error)
{
	static const char *const v4_keys[] = { "net", "host", "dns" };
	static const char *const v6_keys[] = { "ipv6-net", "ipv6-prefix", "ipv6-host", "ipv6-dns" };
	gboolean has4 = un_config_has(c, "ipv4"), has6 = un_config_has(c, "ipv6");
	gboolean v4, v6;

	if (!un_config_bool(c, "ipv4", TRUE, &v4, error) ||
	    !un_config_bool(c, "ipv6", TRUE, &v6, error))
		return FALSE;
	rc->ipv4 = !((has6 && v6 && !has4) || (has4 && !v4));
	rc->ipv6 = !((has4 && v4 && !has6) || (has6 && !v6));
	for (size_t i = 0; !rc->ipv4 && i < G_N_ELEMENTS(v4_keys); i++)
		if (un_config_has(c, v4_keys[i])) {
			un_config_error(c, error, v4_keys[i], "IPv4 is off%s; drop %s= or add ipv4=on",
					has4 ? "" : " (ipv6=on without ipv4= turns it off, as in QEMU)", v4_keys[i]);
			return FALSE;
		}
	for (size_t i = 0; !rc->ipv6 && i < G_N_ELEMENTS(v6_keys); i++)
		if (un_config_has(c, v6_keys[i])) {
			un_config_error(c, error, v6_keys[i], "IPv6 is off%s; drop %s= or add ipv6=on",
					has6 ? "" : " (ipv4=on without ipv6= turns it off, as in QEMU)", v6_keys[i]);
			return FALSE;
		}
	if (!rc->ipv4 && !rc->ipv6) {
		un_config_error(c, error, "ipv4", "IPv4 and IPv6 are both off; turn one on");
		return FALSE;
	}
	return TRUE;
}

/* QEMU's mask for net=ADDR without one. */
static guint32 rc_class_mask(guint32 addr)
{
	if (!(addr & 0x80000000u))
		return 0xff000000u; /* class A */
	if ((addr & 0xfff00000u) == 0xac100000u)
		return 0xfff00000u; /* 172.16.0.0/12 */
	if ((addr & 0xc0000000u) == 0x80000000u)
		return 0xffff0000u; /* class B */
	if ((addr & 0xffff0000u) == 0xc0a80000u)
		return 0xffff0000u; /* 192.168.0.0/16 */
	if ((addr & 0xffff0000u) == 0xc6120000u)
		return 0xfffe0000u; /* 198.18.0.0/15 */
	if ((addr & 0xe0000000u) == 0xe0000000u)
		return 0xffffff00u; /* QEMU's "class C" test */
	return 0xfffffff0u;
}

/* The part of net= after '/': a length 4-32 or a contiguous dotted mask. */
static gboolean rc_net_mask(const struct un_config *c, const char *v,
			    const char *m, struct in_addr *mask, GError **error)
{
	guint64 len;
	guint32 h;

	if (m[strspn(m, "0123456789")] == '\0') {
		if (!g_ascii_string_to_unsigned(m, 10, 4, 32, &len, NULL)) {
			un_config_error(c, error, "net", "%s: prefix length must be 4-32", v);
			return FALSE;
		}
		mask->s_addr = htonl((guint32)(0xffffffffull << (32 - len)));
		return TRUE;
	}
	if (!inet_aton(m, mask)) {
		un_config_error(c, error, "net", "%s: '%s' is neither a prefix length (4-32) nor a dotted mask", v, m);
		return FALSE;
	}
	h = ntohl(mask->s_addr);
	if (!h || (~h & (~h + 1u)) != 0) {
		un_config_error(c, error, "net", "%s: mask %s is not contiguous; use a prefix length such as /24", v, m);
		return FALSE;
	}
	return TRUE;
}

static gboolean rc_net(struct un_router_config *rc, const struct un_config *c,
		       GError **error)
{
	g_autofree char *v = un_config_string(c, "net");
	g_autofree char *addr = NULL;
	const char *slash;

	rc->net.s_addr = htonl(0x0a000200u);
	rc->mask.s_addr = htonl(0xffffff00u);
	if (!v)
		return TRUE;
	slash = strchr(v, '/');
	addr = slash ? g_strndup(v, slash - v) : g_strdup(v);
	if (!inet_aton(addr, &rc->net)) {
		un_config_error(c, error, "net", "'%s' is not an IPv4 address; write net=ADDR[/LEN], for example net=10.0.2.0/24", addr);
		return FALSE;
	}
	if (!slash)
		rc->mask.s_addr = htonl(rc_class_mask(ntohl(rc->net.s_addr)));
	else if (!rc_net_mask(c, v, slash + 1, &rc->mask, error))
		return FALSE;
	rc->net.s_addr &= rc->mask.s_addr;
	return TRUE;
}

/* An IPv4 key, or NET | (@low within the mask) when absent. */
static gboolean rc_addr4(struct un_router_config *rc, const struct un_config *c,
			 const char *key, guint32 low, struct in_addr *out,
			 GError **error)
{
	g_autofree char *v = un_config_string(c, key);

	out->s_addr = rc->net.s_addr | (htonl(low) & ~rc->mask.s_addr);
	if (v && !inet_aton(v, out)) {
		un_config_error(c, error, key, "'%s' is not an IPv4 address", v);
		return FALSE;
	}
	return TRUE;
}

/* Blame a clash on the key the user gave, or on net when both derived. */
static gboolean rc_clash(const struct un_router_config *rc,
			 const struct un_config *c, const char *key,
			 const char *other, struct in_addr a, GError **error)
{
	g_autofree char *net = un_router_config_subnet(rc);
	char b[INET_ADDRSTRLEN];

	if (!un_config_has(c, key) && !un_config_has(c, other)) {
		un_config_error(c, error, "net", "%s is too small for the default host, dns and dhcpstart addresses; use /29 or shorter, or set them", net);
		return FALSE;
	}
	un_config_error(c, error, un_config_has(c, key) ? key : other,
			"%s would be both the %s and the %s address; give them different addresses",
			ip4_str(a, b), key, other);
	return FALSE;
}

static gboolean rc_outside(const struct un_router_config *rc,
			   const struct un_config *c, const char *key,
			   struct in_addr a, const char *why, GError **error)
{
	g_autofree char *net = un_router_config_subnet(rc);
	char b[INET_ADDRSTRLEN];

	un_config_error(c, error, key, "%s is outside %s%s; pick an address inside net",
			ip4_str(a, b), net, why);
	return FALSE;
}

static gboolean rc_addrs4(struct un_router_config *rc,
			  const struct un_config *c, GError **error)
{
	if (!rc_addr4(rc, c, "host", 0x0202u, &rc->host, error))
		return FALSE;
	if (!rc_in_net(rc, rc->host))
		return rc_outside(rc, c, "host", rc->host, "", error);
	if (!rc_addr4(rc, c, "dns", 0x0203u, &rc->dns, error))
		return FALSE;
	if (rc->restricted && !rc_in_net(rc, rc->dns))
		return rc_outside(rc, c, "dns", rc->dns, " (restrict=on keeps DNS inside)", error);
	if (rc->dns.s_addr == rc->host.s_addr)
		return rc_clash(rc, c, "dns", "host", rc->dns, error);
	if (!rc_addr4(rc, c, "dhcpstart", 0x020fu, &rc->dhcp_start, error))
		return FALSE;
	if (!rc_in_net(rc, rc->dhcp_start))
		return rc_outside(rc, c, "dhcpstart", rc->dhcp_start, "", error);
	if (rc->dhcp_start.s_addr == rc->host.s_addr)
		return rc_clash(rc, c, "dhcpstart", "host", rc->dhcp_start, error);
	if (rc->dhcp_start.s_addr == rc->dns.s_addr)
		return rc_clash(rc, c, "dhcpstart", "dns", rc->dhcp_start, error);
	return TRUE;
}

static gboolean in6_same_net(const struct in6_addr *a, const struct in6_addr *b,
			     guint len)
{
	guint bytes = len / 8, bits = len % 8;
	guint8 m = (guint8)(0xff00u >> bits);

	if (memcmp(a->s6_addr, b->s6_addr, bytes) != 0)
		return FALSE;
	return !bits || ((a->s6_addr[bytes] ^ b->s6_addr[bytes]) & m) == 0;
}

/* ipv6-net=ADDR[/LEN] into prefix and length. */
static gboolean rc_ipv6_net(struct un_router_config *rc,
			    const struct un_config *c, GError **error)
{
	g_autofree char *v = un_config_string(c, "ipv6-net");
	g_auto(GStrv) parts = g_strsplit(v, "/", 2);
	const char *addr = parts[0] ? parts[0] : "";
	guint64 len = PREFIX6_LEN_DEFAULT;

	if (un_config_has(c, "ipv6-prefix") || un_config_has(c, "ipv6-prefixlen")) {
		un_config_error(c, error, "ipv6-net", "give either ipv6-net=ADDR/LEN or ipv6-prefix= and ipv6-prefixlen=, not both");
		return FALSE;
	}
	if (inet_pton(AF_INET6, addr, &rc->prefix6) != 1) {
		un_config_error(c, error, "ipv6-net", "'%s' is not an IPv6 address; write ipv6-net=ADDR/LEN, for example fd00::/64", addr);
		return FALSE;
	}
	if (parts[0] && parts[1] && !g_ascii_string_to_unsigned(parts[1], 10, 0, PREFIX6_LEN_MAX, &len, NULL)) {
		un_config_error(c, error, "ipv6-net", "%s: prefix length must be 0-%u", v, PREFIX6_LEN_MAX);
		return FALSE;
	}
	rc->prefix6_len = len ? (guint)len : PREFIX6_LEN_DEFAULT;
	return TRUE;
}

static gboolean rc_prefix6(struct un_router_config *rc,
			   const struct un_config *c, GError **error)
{
	g_autofree char *v = un_config_string(c, "ipv6-prefix");
	guint len;

	if (un_config_has(c, "ipv6-net"))
		return rc_ipv6_net(rc, c, error);
	inet_pton(AF_INET6, "fec0::", &rc->prefix6);
	if (v && inet_pton(AF_INET6, v, &rc->prefix6) != 1) {
		un_config_error(c, error, "ipv6-prefix", "'%s' is not an IPv6 address", v);
		return FALSE;
	}
	if (!un_config_uint(c, "ipv6-prefixlen", 0, PREFIX6_LEN_MAX,
			    PREFIX6_LEN_DEFAULT, &len, error))
		return FALSE;
	rc->prefix6_len = len ? len : PREFIX6_LEN_DEFAULT;
	return TRUE;
}

/* ipv6-host or ipv6-dns: given, or the prefix with @low in its last byte;
 * outside the prefix is an error when @inside. */
static gboolean rc_addr6(struct un_router_config *rc, const struct un_config *c,
			 const char *key, guint8 low, gboolean inside,
			 struct in6_addr *out, GError **error)
{
	g_autofree char *v = un_config_string(c, key);
	char b[INET6_ADDRSTRLEN];

	*out = rc->prefix6;
	out->s6_addr[15] |= low;
	if (!v)
		return TRUE;
	if (inet_pton(AF_INET6, v, out) != 1) {
		un_config_error(c, error, key, "'%s' is not an IPv6 address", v);
		return FALSE;
	}
	if (inside && !in6_same_net(&rc->prefix6, out, rc->prefix6_len)) {
		un_config_error(c, error, key, "%s is outside %s/%u; pick an address inside ipv6-net", v,
				inet_ntop(AF_INET6, &rc->prefix6, b, sizeof(b)), rc->prefix6_len);
		return FALSE;
	}
	return TRUE;
}

static gboolean rc_addrs6(struct un_router_config *rc,
			  const struct un_config *c, GError **error)
{
	return rc_prefix6(rc, c, error) &&
	       rc_addr6(rc, c, "ipv6-host", 2, TRUE, &rc->host6, error) &&
	       rc_addr6(rc, c, "ipv6-dns", 3, rc->restricted, &rc->dns6, error);
}

typedef gboolean (*rc_step_fn)(struct un_router_config *rc,
			       const struct un_config *c, GError **error);

static gboolean rc_limits(struct un_router_config *rc, const struct un_config *c,
			  GError **error)
{
	return un_config_uint(c, "max-host-sockets", UN_ROUTER_HOST_SOCKETS_MIN,
			      UN_ROUTER_HOST_SOCKETS_MAX,
			      UN_ROUTER_HOST_SOCKETS_DEFAULT,
			      &rc->max_host_sockets, error) &&
	       un_config_uint(c, "reassembly-max-bytes",
			      UN_ROUTER_REASSEMBLY_BYTES_MIN,
			      UN_ROUTER_REASSEMBLY_BYTES_MAX,
			      UN_ROUTER_REASSEMBLY_BYTES_DEFAULT,
			      &rc->reassembly_max_bytes, error) &&
	       un_config_uint(c, "tcp-window", UN_ROUTER_TCP_WINDOW_KIB_MIN,
			      UN_ROUTER_TCP_WINDOW_KIB_MAX,
			      UN_ROUTER_TCP_WINDOW_KIB_DEFAULT,
			      &rc->tcp_window_kib, error);
}

/* In QEMU's order; restrict (in rc_keys) is read before them. */
static const rc_step_fn rc_steps[] = { rc_ip_versions, rc_net, rc_addrs4,
				       rc_addrs6, rc_limits };

gboolean un_router_config_parse(struct un_router_config *rc,
				const struct un_config *c, guint mtu,
				GError **error)
{
	memset(rc, 0, sizeof(*rc));
	rc->hostfwds = g_array_new(FALSE, TRUE, sizeof(struct un_hostfwd));
	g_array_set_clear_func(rc->hostfwds, (GDestroyNotify)un_hostfwd_clear);
	rc->guestfwds = g_array_new(FALSE, TRUE, sizeof(struct un_guestfwd));
	g_array_set_clear_func(rc->guestfwds, (GDestroyNotify)un_guestfwd_clear);
	rc->mtu = mtu;
	if (mtu < MTU_MIN || mtu > UN_MTU_MAX) {
		un_config_error(c, error, "mtu", "%u is not from %u to %u", mtu, MTU_MIN, UN_MTU_MAX);
		goto fail;
	}
	for (size_t i = 0; i < G_N_ELEMENTS(rc_keys); i++)
		if (!rc_keys[i].parse(c, rc_keys[i].name,
				      (char *)rc + rc_keys[i].offset, error))
			goto fail;
	for (size_t i = 0; i < G_N_ELEMENTS(rc_steps); i++)
		if (!rc_steps[i](rc, c, error))
			goto fail;
	return TRUE;
fail:
	un_router_config_clear(rc);
	return FALSE;
}

void un_router_config_clear(struct un_router_config *rc)
{
	g_free(rc->hostname);
	g_free(rc->domainname);
	g_free(rc->tftp);
	g_free(rc->tftp_server_name);
	g_free(rc->bootfile);
	g_strfreev(rc->dnssearch);
	if (rc->hostfwds)
		g_array_unref(rc->hostfwds);
	if (rc->guestfwds)
		g_array_unref(rc->guestfwds);
	memset(rc, 0, sizeof(*rc));
}

/* The rule in @a named @name, or NULL. */
static const struct un_hostfwd *rc_portfwd_named(GArray *a, const char *name)
{
	for (guint i = 0; i < a->len; i++) {
		const struct un_hostfwd *f = &g_array_index(a, struct un_hostfwd, i);

		if (f->name && strcmp(f->name, name) == 0)
			return f;
	}
	return NULL;
}

gboolean un_router_config_parse_portfwd(struct un_router_config *rc,
					const struct un_config *c,
					GError **error)
{
	g_auto(GStrv) rules = un_config_list(c, "portfwd");

	for (char **r = rules; *r; r++) {
		g_autoptr(GError) local = NULL;
		struct un_hostfwd fwd;
		const struct un_hostfwd *other;

		if (!un_portfwd_parse(*r, &fwd, &local)) {
			un_config_error(c, error, "portfwd", "%s", local->message);
			return FALSE;
		}
		other = rc_portfwd_named(rc->hostfwds, fwd.name);
		if (other) {
			un_config_error(c, error, "portfwd",
					"'%s': name '%s' is already used by '%s'; give each rule its own NAME",
					*r, fwd.name, other->rule);
			un_hostfwd_clear(&fwd);
			return FALSE;
		}
		g_array_append_val(rc->hostfwds, fwd);
	}
	return TRUE;
}
