/* SPDX-License-Identifier: GPL-2.0-or-later */
/* dhcp_config.c - the DHCP server's keys, checked against its network.
 * Owns: dhcpstart, dhcp-range, dhcp-lease and dhcp-host; the checks
 * between them and the network's addresses; the option 119 (RFC 3397)
 * encoding of the search list.
 * Not here: the network's own keys (net, host, dns, domainname, dnssearch,
 * mtu), which the kind reads and passes in as struct un_dhcp_net; serving
 * requests (dhcp.c).
 *
 * How it works: the range is dhcp-range=FIRST-LAST, or dhcpstart=ADDR to
 * the address before the subnet's broadcast, or the kind's default start
 * to the same end; a kind without a default (internal) needs one of the
 * keys. The range must lie in the subnet and hold at least one address
 * that is not special (network, broadcast, server, router, DNS): those are
 * never leased, wherever they fall. A reservation lies in the subnet, is no
 * special address, and takes its MAC and its address once; inside the
 * range its address leaves the dynamic pool. */
#define G_LOG_DOMAIN "usernet-dhcp"

#include "usernet/dhcp.h"

#include <arpa/inet.h>
#include <string.h>

#include "usernet/error.h"

#define MTU_MIN 68u
#define NAME_MAX_BYTES 255u
#define DNS_NAME_MAX_BYTES 253u
#define DNS_LABEL_MAX_BYTES 63u
/* Longest encoded search list: it must still fit a reply's options. */
#define SEARCH_MAX_BYTES 1024u
/* A compression pointer holds a 14-bit offset. */
#define DNS_POINTER_MAX_OFFSET 0x3fffu
#define HOST_SYNTAX "MAC,IP[,NAME]"
#define HOST_EXAMPLE "dhcp-host=52:54:00:12:34:56,10.0.2.50,web"

/* ---- addresses ---- */

static const char *ip4_str(struct in_addr a, char buf[INET_ADDRSTRLEN])
{
	return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

/* "10.0.2.0/24", for messages; g_free. */
static char *dcfg_net_str(const struct un_dhcp_config *cfg)
{
	char b[INET_ADDRSTRLEN];

	return g_strdup_printf("%s/%d", ip4_str(cfg->net, b),
			       __builtin_popcount(ntohl(cfg->mask.s_addr)));
}

static gboolean dcfg_in_net(const struct un_dhcp_config *cfg, struct in_addr a)
{
	return (a.s_addr & cfg->mask.s_addr) == cfg->net.s_addr;
}

static guint32 dcfg_broadcast(const struct un_dhcp_config *cfg)
{
	return ntohl(cfg->net.s_addr | ~cfg->mask.s_addr);
}

/* What @ip is to the network when it is special, or NULL. */
static const char *dcfg_special_what(const struct un_dhcp_config *cfg,
				     struct in_addr ip)
{
	if (ip.s_addr == cfg->net.s_addr)
		return "the network address";
	if (ntohl(ip.s_addr) == dcfg_broadcast(cfg))
		return "the broadcast address";
	if (ip.s_addr == cfg->server.s_addr)
		return "the DHCP server's address";
	if (cfg->router.s_addr && ip.s_addr == cfg->router.s_addr)
		return "the router's address";
	if (cfg->dns.s_addr && ip.s_addr == cfg->dns.s_addr)
		return "the DNS server's address";
	return NULL;
}

gboolean un_dhcp_config_special(const struct un_dhcp_config *cfg,
				struct in_addr ip)
{
	return dcfg_special_what(cfg, ip) != NULL;
}

static gboolean dcfg_in_range(const struct un_dhcp_config *cfg, guint32 h)
{
	return h >= ntohl(cfg->first.s_addr) && h <= ntohl(cfg->last.s_addr);
}

/* Special addresses inside the range, each counted once. */
static guint dcfg_specials_in_range(const struct un_dhcp_config *cfg)
{
	struct in_addr cand[] = {
		cfg->net, { htonl(dcfg_broadcast(cfg)) }, cfg->server,
		cfg->router, cfg->dns,
	};
	guint n = 0;

	for (size_t i = 0; i < G_N_ELEMENTS(cand); i++) {
		gboolean seen = cand[i].s_addr == 0 && i > 0;

		for (size_t j = 0; j < i && !seen; j++)
			seen = cand[j].s_addr == cand[i].s_addr;
		if (!seen && dcfg_in_range(cfg, ntohl(cand[i].s_addr)))
			n++;
	}
	return n;
}

guint64 un_dhcp_config_pool_size(const struct un_dhcp_config *cfg)
{
	guint64 n = (guint64)ntohl(cfg->last.s_addr) - ntohl(cfg->first.s_addr) + 1;

	n -= dcfg_specials_in_range(cfg);
	for (guint i = 0; cfg->hosts && i < cfg->hosts->len; i++) {
		const struct un_dhcp_host *h =
			&g_array_index(cfg->hosts, struct un_dhcp_host, i);

		if (dcfg_in_range(cfg, ntohl(h->ip.s_addr)))
			n--;
	}
	return n;
}

/* An IPv4 address of key @key in a message about @what; FALSE with @error. */
static gboolean dcfg_addr(const struct un_config *c, const char *key,
			  const char *what, const char *s, struct in_addr *out,
			  GError **error)
{
	if (inet_pton(AF_INET, s, out) == 1)
		return TRUE;
	un_config_error(c, error, key, "%s'%s' is not an IPv4 address", what, s);
	return FALSE;
}

/* ---- names ---- */

/* A DNS name: labels of 1-63 letters, digits, '-' or '_', at most 253
 * bytes, one trailing dot allowed. */
static gboolean dns_name_valid(const char *name)
{
	size_t len = strlen(name), label = 0;

	if (len && name[len - 1] == '.')
		len--;
	if (len == 0 || len > DNS_NAME_MAX_BYTES)
		return FALSE;
	for (size_t i = 0; i < len; i++) {
		if (name[i] == '.') {
			if (label == 0)
				return FALSE;
			label = 0;
		} else if (g_ascii_isalnum(name[i]) || name[i] == '-' ||
			   name[i] == '_') {
			if (++label > DNS_LABEL_MAX_BYTES)
				return FALSE;
		} else {
			return FALSE;
		}
	}
	return label > 0;
}

/* Suffixes written so far (lowercase "b.example") -> their offset. */
static void search_add_name(GByteArray *out, GHashTable *suffixes,
			    const char *name)
{
	g_autofree char *lower = g_ascii_strdown(name, -1);
	size_t len = strlen(lower);

	if (len && lower[len - 1] == '.')
		lower[len - 1] = '\0';
	for (char *s = lower; s && *s;) {
		char *dot = strchr(s, '.');
		gpointer off;
		guint8 n;

		if (g_hash_table_lookup_extended(suffixes, s, NULL, &off)) {
			guint o = GPOINTER_TO_UINT(off);
			guint8 ptr[2] = { (guint8)(0xc0u | o >> 8), (guint8)o };

			g_byte_array_append(out, ptr, 2);
			return;
		}
		if (out->len <= DNS_POINTER_MAX_OFFSET)
			g_hash_table_insert(suffixes, g_strdup(s),
					    GUINT_TO_POINTER(out->len));
		n = (guint8)(dot ? (size_t)(dot - s) : strlen(s));
		g_byte_array_append(out, &n, 1);
		/* The name's own case on the wire; only lookups are folded. */
		g_byte_array_append(out, (const guint8 *)name + (s - lower), n);
		s = dot ? dot + 1 : NULL;
	}
	g_byte_array_append(out, (const guint8 *)"", 1);
}

/* Option 119's data for @names (RFC 3397: RFC 1035 names, compressed). */
static gboolean dcfg_search(struct un_dhcp_config *cfg,
			    const struct un_config *c,
			    const char *const *names, GError **error)
{
	g_autoptr(GHashTable) suffixes =
		g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	g_autoptr(GByteArray) out = g_byte_array_new();

	for (const char *const *n = names; n && *n; n++) {
		if (!dns_name_valid(*n)) {
			un_config_error(c, error, "dnssearch", "'%s' is not a domain name: use labels of 1-%u letters, digits, '-' or '_', at most %u bytes in all",
					*n, DNS_LABEL_MAX_BYTES, DNS_NAME_MAX_BYTES);
			return FALSE;
		}
		search_add_name(out, suffixes, *n);
	}
	if (out->len > SEARCH_MAX_BYTES) {
		un_config_error(c, error, "dnssearch", "the search list takes %u bytes encoded; at most %u fit a DHCP reply, so give fewer or shorter domains",
				out->len, SEARCH_MAX_BYTES);
		return FALSE;
	}
	if (out->len)
		cfg->search = g_byte_array_free_to_bytes(g_steal_pointer(&out));
	return TRUE;
}

/* ---- the network's facts ---- */

static gboolean dcfg_facts(struct un_dhcp_config *cfg,
			   const struct un_config *c,
			   const struct un_dhcp_net *net, GError **error)
{
	g_autofree char *ns = NULL;
	char b[INET_ADDRSTRLEN];

	cfg->net.s_addr = net->net.s_addr & net->mask.s_addr;
	cfg->mask = net->mask;
	cfg->server = net->server;
	cfg->router = net->router;
	cfg->dns = net->dns;
	cfg->mtu = net->mtu;
	cfg->answer_arp = net->answer_arp;
	ns = dcfg_net_str(cfg);
	if (!dcfg_in_net(cfg, cfg->server) || cfg->server.s_addr == cfg->net.s_addr ||
	    ntohl(cfg->server.s_addr) == dcfg_broadcast(cfg)) {
		un_config_error(c, error, "host", "%s cannot serve DHCP on %s; give the server an address inside net",
				ip4_str(cfg->server, b), ns);
		return FALSE;
	}
	if (net->mtu < MTU_MIN || net->mtu > UN_MTU_MAX) {
		un_config_error(c, error, "mtu", "%u is not from %u to %u", net->mtu, MTU_MIN, UN_MTU_MAX);
		return FALSE;
	}
	if (net->domain && (!*net->domain || strlen(net->domain) > NAME_MAX_BYTES)) {
		un_config_error(c, error, "domainname", "must be 1-%u bytes for DHCP option 15", NAME_MAX_BYTES);
		return FALSE;
	}
	cfg->domain = g_strdup(net->domain);
	return dcfg_search(cfg, c, net->dnssearch, error);
}

/* ---- the range ---- */

/* An address of the range, given by @key, lies in the subnet. */
static gboolean dcfg_range_addr(struct un_dhcp_config *cfg,
				const struct un_config *c, const char *key,
				struct in_addr a, GError **error)
{
	g_autofree char *ns = dcfg_net_str(cfg);
	char b[INET_ADDRSTRLEN];

	if (!dcfg_in_net(cfg, a)) {
		un_config_error(c, error, key, "%s is outside %s; %s inside net",
				ip4_str(a, b), ns,
				strcmp(key, "dhcpstart") == 0 ? "pick an address" : "give a range");
		return FALSE;
	}
	return TRUE;
}

static gboolean dcfg_start(struct un_dhcp_config *cfg, const struct un_config *c,
			   struct in_addr start, GError **error)
{
	g_autofree char *ns = dcfg_net_str(cfg);
	char b[INET_ADDRSTRLEN];

	if (!dcfg_range_addr(cfg, c, "dhcpstart", start, error))
		return FALSE;
	if (ntohl(start.s_addr) == dcfg_broadcast(cfg)) {
		un_config_error(c, error, "dhcpstart", "%s is the broadcast address of %s; start the range below it",
				ip4_str(start, b), ns);
		return FALSE;
	}
	cfg->first = start;
	cfg->last.s_addr = htonl(dcfg_broadcast(cfg) - 1);
	return TRUE;
}

static gboolean dcfg_range_pair(struct un_dhcp_config *cfg,
				const struct un_config *c, const char *v,
				GError **error)
{
	const char *dash = strchr(v, '-');
	g_autofree char *first = dash ? g_strndup(v, dash - v) : NULL;
	char b1[INET_ADDRSTRLEN], b2[INET_ADDRSTRLEN];

	if (!dash) {
		un_config_error(c, error, "dhcp-range", "'%s' is not FIRST-LAST (for example dhcp-range=10.0.2.100-10.0.2.199)", v);
		return FALSE;
	}
	if (!dcfg_addr(c, "dhcp-range", "", first, &cfg->first, error) ||
	    !dcfg_addr(c, "dhcp-range", "", dash + 1, &cfg->last, error) ||
	    !dcfg_range_addr(cfg, c, "dhcp-range", cfg->first, error) ||
	    !dcfg_range_addr(cfg, c, "dhcp-range", cfg->last, error))
		return FALSE;
	if (ntohl(cfg->first.s_addr) > ntohl(cfg->last.s_addr)) {
		un_config_error(c, error, "dhcp-range", "%s is reversed; write the lower address first: dhcp-range=%s-%s",
				v, ip4_str(cfg->last, b1), ip4_str(cfg->first, b2));
		return FALSE;
	}
	return TRUE;
}

/* The range, and the key it came from (for later messages) in *key. */
static gboolean dcfg_range(struct un_dhcp_config *cfg, const struct un_config *c,
			   const struct un_dhcp_net *net, const char **key,
			   GError **error)
{
	g_autofree char *range = un_config_string(c, "dhcp-range");
	g_autofree char *start = un_config_string(c, "dhcpstart");
	struct in_addr a;

	*key = range ? "dhcp-range" : start ? "dhcpstart" : "net";
	if (range && start) {
		un_config_error(c, error, "dhcp-range", "give either dhcp-range=FIRST-LAST or dhcpstart=ADDR, not both");
		return FALSE;
	}
	if (range)
		return dcfg_range_pair(cfg, c, range, error);
	if (start)
		return dcfg_addr(c, "dhcpstart", "", start, &a, error) &&
		       dcfg_start(cfg, c, a, error);
	if (net->start.s_addr)
		return dcfg_start(cfg, c, net->start, error);
	un_config_error(c, error, "dhcp-range", "missing: this network has no default range; give dhcp-range=FIRST-LAST or dhcpstart=ADDR");
	return FALSE;
}

/* The range holds at least one address that is not special. */
static gboolean dcfg_range_usable(struct un_dhcp_config *cfg,
				  const struct un_config *c, const char *key,
				  GError **error)
{
	guint64 size = (guint64)ntohl(cfg->last.s_addr) - ntohl(cfg->first.s_addr) + 1;
	char b1[INET_ADDRSTRLEN], b2[INET_ADDRSTRLEN];

	if (size > dcfg_specials_in_range(cfg))
		return TRUE;
	un_config_error(c, error, key, "the range %s-%s holds no address to lease (the network, broadcast, server, router and DNS addresses are never leased); widen it",
			ip4_str(cfg->first, b1), ip4_str(cfg->last, b2));
	return FALSE;
}

/* ---- reservations ---- */

gboolean un_mac_parse(const char *s, uint8_t mac[UN_MAC_BYTES])
{
	for (guint i = 0; i < UN_MAC_BYTES; i++) {
		const char *p = s + 3 * i;

		if (!g_ascii_isxdigit(p[0]) || !g_ascii_isxdigit(p[1]))
			return FALSE;
		if (i + 1 < UN_MAC_BYTES ? (p[2] != ':' && p[2] != '-') : p[2] != '\0')
			return FALSE;
		mac[i] = (uint8_t)(g_ascii_xdigit_value(p[0]) << 4 |
				   g_ascii_xdigit_value(p[1]));
	}
	return TRUE;
}

static void dhcp_host_clear(void *data)
{
	struct un_dhcp_host *h = data;

	g_free(h->name);
	g_free(h->rule);
}

/* A reservation that clashes with an earlier one, or NULL. */
static const struct un_dhcp_host *dcfg_host_clash(const struct un_dhcp_config *cfg,
						  const struct un_dhcp_host *h,
						  gboolean *same_mac)
{
	for (guint i = 0; i < cfg->hosts->len; i++) {
		const struct un_dhcp_host *o =
			&g_array_index(cfg->hosts, struct un_dhcp_host, i);

		*same_mac = memcmp(o->mac, h->mac, UN_MAC_BYTES) == 0;
		if (*same_mac || o->ip.s_addr == h->ip.s_addr)
			return o;
	}
	return NULL;
}

/* The address of a reservation: in the subnet, not special, not taken. */
static gboolean dcfg_host_ip(struct un_dhcp_config *cfg,
			     const struct un_config *c,
			     const struct un_dhcp_host *h, GError **error)
{
	g_autofree char *ns = dcfg_net_str(cfg);
	const struct un_dhcp_host *o;
	const char *what = dcfg_special_what(cfg, h->ip);
	char b[INET_ADDRSTRLEN];
	gboolean same_mac;

	ip4_str(h->ip, b);
	if (!dcfg_in_net(cfg, h->ip)) {
		un_config_error(c, error, "dhcp-host", "'%s': %s is outside %s; pick an address inside net",
				h->rule, b, ns);
		return FALSE;
	}
	if (what) {
		un_config_error(c, error, "dhcp-host", "'%s': %s is %s; pick another",
				h->rule, b, what);
		return FALSE;
	}
	o = dcfg_host_clash(cfg, h, &same_mac);
	if (o && same_mac)
		un_config_error(c, error, "dhcp-host", "'%s': this MAC is already reserved by '%s'; give each MAC one reservation",
				h->rule, o->rule);
	else if (o)
		un_config_error(c, error, "dhcp-host", "'%s': %s is already reserved by '%s'; give each reservation its own address",
				h->rule, b, o->rule);
	return o == NULL;
}

static gboolean dcfg_host_fields(const struct un_config *c, char **f,
				 struct un_dhcp_host *h, GError **error)
{
	if (g_strv_length(f) < 2 || g_strv_length(f) > 3) {
		un_config_error(c, error, "dhcp-host", "'%s' is not " HOST_SYNTAX " (for example " HOST_EXAMPLE "; in a --net SPEC write each comma as ',,')",
				h->rule);
		return FALSE;
	}
	if (!un_mac_parse(f[0], h->mac)) {
		un_config_error(c, error, "dhcp-host", "'%s': '%s' is not a MAC address; write six hex bytes such as 52:54:00:12:34:56",
				h->rule, f[0]);
		return FALSE;
	}
	if (h->mac[0] & 1) {
		un_config_error(c, error, "dhcp-host", "'%s': %s is a multicast MAC, which no NIC has; clear the lowest bit of its first byte",
				h->rule, f[0]);
		return FALSE;
	}
	if (f[2] && !dns_name_valid(f[2])) {
		un_config_error(c, error, "dhcp-host", "'%s': host name '%s' is not valid: use labels of 1-%u letters, digits, '-' or '_'",
				h->rule, f[2], DNS_LABEL_MAX_BYTES);
		return FALSE;
	}
	h->name = g_strdup(f[2]);
	g_autofree char *what = g_strdup_printf("'%s': ", h->rule);
	return dcfg_addr(c, "dhcp-host", what, f[1], &h->ip, error);
}

static gboolean dcfg_hosts(struct un_dhcp_config *cfg,
			   const struct un_config *c, GError **error)
{
	g_auto(GStrv) rules = un_config_list(c, "dhcp-host");

	for (char **r = rules; *r; r++) {
		g_auto(GStrv) f = g_strsplit(*r, ",", -1);
		struct un_dhcp_host h = { .rule = g_strdup(*r) };

		if (!dcfg_host_fields(c, f, &h, error) ||
		    !dcfg_host_ip(cfg, c, &h, error)) {
			dhcp_host_clear(&h);
			return FALSE;
		}
		g_array_append_val(cfg->hosts, h);
	}
	return TRUE;
}

/* ---- the whole ---- */

gboolean un_dhcp_config_parse(struct un_dhcp_config *cfg,
			      const struct un_config *c,
			      const struct un_dhcp_net *net, GError **error)
{
	const char *range_key = NULL;
	guint64 pool;

	memset(cfg, 0, sizeof(*cfg));
	cfg->hosts = g_array_new(FALSE, TRUE, sizeof(struct un_dhcp_host));
	g_array_set_clear_func(cfg->hosts, dhcp_host_clear);
	if (!dcfg_facts(cfg, c, net, error) ||
	    !dcfg_range(cfg, c, net, &range_key, error) ||
	    !dcfg_range_usable(cfg, c, range_key, error) ||
	    !un_config_uint(c, "dhcp-lease", UN_DHCP_LEASE_MIN_S,
			    UN_DHCP_LEASE_MAX_S, UN_DHCP_LEASE_DEFAULT_S,
			    &cfg->lease_s, error) ||
	    !dcfg_hosts(cfg, c, error))
		return FALSE;
	pool = un_dhcp_config_pool_size(cfg);
	if (!un_config_uint(c, "dhcp-max-leases", 1, UN_DHCP_LEASES_MAX,
			    UN_DHCP_LEASES_MAX, &cfg->max_leases, error))
		return FALSE;
	cfg->max_leases = (guint)MIN(pool, (guint64)cfg->max_leases);
	return TRUE;
}

void un_dhcp_config_copy(struct un_dhcp_config *dst,
			 const struct un_dhcp_config *src)
{
	*dst = *src;
	dst->domain = g_strdup(src->domain);
	dst->search = src->search ? g_bytes_ref(src->search) : NULL;
	dst->hosts = g_array_new(FALSE, TRUE, sizeof(struct un_dhcp_host));
	g_array_set_clear_func(dst->hosts, dhcp_host_clear);
	for (guint i = 0; src->hosts && i < src->hosts->len; i++) {
		struct un_dhcp_host h =
			g_array_index(src->hosts, struct un_dhcp_host, i);

		h.name = g_strdup(h.name);
		h.rule = g_strdup(h.rule);
		g_array_append_val(dst->hosts, h);
	}
}

void un_dhcp_config_clear(struct un_dhcp_config *cfg)
{
	g_free(cfg->domain);
	if (cfg->search)
		g_bytes_unref(cfg->search);
	if (cfg->hosts)
		g_array_unref(cfg->hosts);
	memset(cfg, 0, sizeof(*cfg));
}
