/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_router_config.c - the nat router's keys (backend/router_config.c).
 * Expected values come from QEMU 7.2's -netdev user (net/slirp.c
 * net_slirp_init and net_init_slirp, net/net.c ipv6-net): its defaults,
 * its class masks, its derived addresses and the checks between them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <string.h>

#include "config.h"
#include "usernet/error.h"
#include "usernet/router.h"

/* Parse "nat:t,KEYS" with @mtu; the definition stays alive in *def. */
static gboolean parse(const char *keys, guint mtu, struct un_netdef **def,
		      struct un_router_config *rc, GError **error)
{
	g_autofree char *spec = g_strdup_printf("nat:t%s%s", *keys ? "," : "", keys);
	struct un_config c;
	g_autoptr(GError) local = NULL;

	*def = un_spec_parse(spec, &local);
	if (!*def)
		fail_msg("%s: %s", spec, local->message);
	c = un_netdef_config(*def);
	return un_router_config_parse(rc, &c, mtu, error);
}

static void assert_ip4(struct in_addr got, const char *want, const char *keys,
		       const char *what)
{
	char b[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &got, b, sizeof(b));
	if (strcmp(b, want) != 0)
		fail_msg("'%s': %s is %s, want %s", keys, what, b, want);
}

static void assert_ip6(const struct in6_addr *got, const char *want,
		       const char *keys, const char *what)
{
	char b[INET6_ADDRSTRLEN];

	inet_ntop(AF_INET6, got, b, sizeof(b));
	if (strcmp(b, want) != 0)
		fail_msg("'%s': %s is %s, want %s", keys, what, b, want);
}

struct addr_row {
	const char *keys;
	gboolean ipv4, ipv6;
	const char *net, *mask, *host, *dns, *dhcp;
	const char *prefix6;
	guint len6;
	const char *host6, *dns6;
};

#define V6_DEFAULT "fec0::", 64, "fec0::2", "fec0::3"
#define V4_DEFAULT "10.0.2.0", "255.255.255.0", "10.0.2.2", "10.0.2.3", "10.0.2.15"

static const struct addr_row addr_rows[] = {
	{ "", TRUE, TRUE, V4_DEFAULT, V6_DEFAULT },
	{ "net=10.9.0.0/24", TRUE, TRUE, "10.9.0.0", "255.255.255.0", "10.9.0.2", "10.9.0.3", "10.9.0.15", V6_DEFAULT },
	{ "net=10.0.2.77/24", TRUE, TRUE, V4_DEFAULT, V6_DEFAULT },
	{ "net=10.1.0.0/255.255.0.0", TRUE, TRUE, "10.1.0.0", "255.255.0.0", "10.1.2.2", "10.1.2.3", "10.1.2.15", V6_DEFAULT },
	{ "net=10.0.2.0/29", TRUE, TRUE, "10.0.2.0", "255.255.255.248", "10.0.2.2", "10.0.2.3", "10.0.2.7", V6_DEFAULT },
	/* class masks when net= has none */
	{ "net=192.168.5.0", TRUE, TRUE, "192.168.0.0", "255.255.0.0", "192.168.2.2", "192.168.2.3", "192.168.2.15", V6_DEFAULT },
	{ "net=10.9.0.0", TRUE, TRUE, "10.0.0.0", "255.0.0.0", "10.0.2.2", "10.0.2.3", "10.0.2.15", V6_DEFAULT },
	{ "net=172.20.0.0", TRUE, TRUE, "172.16.0.0", "255.240.0.0", "172.16.2.2", "172.16.2.3", "172.16.2.15", V6_DEFAULT },
	{ "net=150.1.0.0", TRUE, TRUE, "150.1.0.0", "255.255.0.0", "150.1.2.2", "150.1.2.3", "150.1.2.15", V6_DEFAULT },
	{ "net=198.18.5.0", TRUE, TRUE, "198.18.0.0", "255.254.0.0", "198.18.2.2", "198.18.2.3", "198.18.2.15", V6_DEFAULT },
	/* QEMU tests only 198.18/16 for its /15, and its "class C" test
	 * matches 224 and up; everything else gets /28 */
	{ "net=198.19.0.0", TRUE, TRUE, "198.19.0.0", "255.255.255.240", "198.19.0.2", "198.19.0.3", "198.19.0.15", V6_DEFAULT },
	{ "net=192.0.2.0", TRUE, TRUE, "192.0.2.0", "255.255.255.240", "192.0.2.2", "192.0.2.3", "192.0.2.15", V6_DEFAULT },
	{ "net=230.1.2.0", TRUE, TRUE, "230.1.2.0", "255.255.255.0", "230.1.2.2", "230.1.2.3", "230.1.2.15", V6_DEFAULT },
	{ "net=200.1.1.0", TRUE, TRUE, "200.1.1.0", "255.255.255.240", "200.1.1.2", "200.1.1.3", "200.1.1.15", V6_DEFAULT },
	{ "host=10.0.2.5,dns=10.0.2.6,dhcpstart=10.0.2.100", TRUE, TRUE, "10.0.2.0", "255.255.255.0", "10.0.2.5", "10.0.2.6", "10.0.2.100", V6_DEFAULT },
	/* DNS may lie outside net unless restrict=on */
	{ "dns=192.0.2.53", TRUE, TRUE, "10.0.2.0", "255.255.255.0", "10.0.2.2", "192.0.2.53", "10.0.2.15", V6_DEFAULT },
	/* which switch turns which family off */
	{ "ipv6=on", FALSE, TRUE, V4_DEFAULT, V6_DEFAULT },
	{ "ipv4=on", TRUE, FALSE, V4_DEFAULT, V6_DEFAULT },
	{ "ipv4=on,ipv6=on", TRUE, TRUE, V4_DEFAULT, V6_DEFAULT },
	{ "ipv4=off", FALSE, TRUE, V4_DEFAULT, V6_DEFAULT },
	{ "ipv6=off", TRUE, FALSE, V4_DEFAULT, V6_DEFAULT },
	{ "ipv4=no,ipv6=yes", FALSE, TRUE, V4_DEFAULT, V6_DEFAULT },
	{ "ipv6=on,dhcpstart=10.0.2.20", FALSE, TRUE, "10.0.2.0", "255.255.255.0", "10.0.2.2", "10.0.2.3", "10.0.2.20", V6_DEFAULT },
	/* IPv6 addressing */
	{ "ipv6-net=fd00:1::/48", TRUE, TRUE, V4_DEFAULT, "fd00:1::", 48, "fd00:1::2", "fd00:1::3" },
	{ "ipv6-net=fd00::", TRUE, TRUE, V4_DEFAULT, "fd00::", 64, "fd00::2", "fd00::3" },
	{ "ipv6-net=fd00::/0", TRUE, TRUE, V4_DEFAULT, "fd00::", 64, "fd00::2", "fd00::3" },
	{ "ipv6=on,ipv6-net=fd00::/64", FALSE, TRUE, V4_DEFAULT, "fd00::", 64, "fd00::2", "fd00::3" },
	{ "ipv6-prefix=fd00:2::,ipv6-prefixlen=56", TRUE, TRUE, V4_DEFAULT, "fd00:2::", 56, "fd00:2::2", "fd00:2::3" },
	{ "ipv6-prefixlen=0", TRUE, TRUE, V4_DEFAULT, V6_DEFAULT },
	{ "ipv6-host=fec0::10,ipv6-dns=fec0::20", TRUE, TRUE, V4_DEFAULT, "fec0::", 64, "fec0::10", "fec0::20" },
	{ "ipv6-dns=fd00::53", TRUE, TRUE, V4_DEFAULT, "fec0::", 64, "fec0::2", "fd00::53" },
};

static void test_addresses(void **state)
{
	for (size_t i = 0; i < G_N_ELEMENTS(addr_rows); i++) {
		const struct addr_row *row = &addr_rows[i];
		struct un_router_config rc;
		struct un_netdef *def;
		g_autoptr(GError) err = NULL;

		if (!parse(row->keys, 1500, &def, &rc, &err))
			fail_msg("'%s': %s", row->keys, err->message);
		if (rc.ipv4 != row->ipv4 || rc.ipv6 != row->ipv6)
			fail_msg("'%s': ipv4 %d ipv6 %d", row->keys, rc.ipv4, rc.ipv6);
		assert_ip4(rc.net, row->net, row->keys, "net");
		assert_ip4(rc.mask, row->mask, row->keys, "mask");
		assert_ip4(rc.host, row->host, row->keys, "host");
		assert_ip4(rc.dns, row->dns, row->keys, "dns");
		assert_ip4(rc.dhcp_start, row->dhcp, row->keys, "dhcpstart");
		assert_ip6(&rc.prefix6, row->prefix6, row->keys, "ipv6 prefix");
		assert_int_equal(rc.prefix6_len, row->len6);
		assert_ip6(&rc.host6, row->host6, row->keys, "ipv6-host");
		assert_ip6(&rc.dns6, row->dns6, row->keys, "ipv6-dns");
		un_router_config_clear(&rc);
		un_netdef_free(def);
	}
}

static void test_defaults_and_strings(void **state)
{
	struct un_router_config rc;
	struct un_netdef *def;
	g_autoptr(GError) err = NULL;

	assert_true(parse("", 1500, &def, &rc, &err));
	assert_false(rc.restricted);
	assert_null(rc.hostname);
	assert_null(rc.domainname);
	assert_null(rc.tftp);
	assert_null(rc.tftp_server_name);
	assert_null(rc.bootfile);
	assert_null(rc.dnssearch);
	assert_int_equal(rc.mtu, 1500);
	assert_int_equal(rc.hostfwds->len, 0);
	assert_int_equal(rc.guestfwds->len, 0);
	assert_false(rc.disable_dhcp);
	assert_false(rc.loopback_only);
	un_router_config_clear(&rc);
	un_netdef_free(def);

	assert_true(parse("restrict=on,hostname=vm1,domainname=lab.example,"
			  "tftp=/srv/tftp,tftp-server-name=boot.example,"
			  "bootfile=pxelinux.0,dnssearch=a.example,dnssearch=b.example,"
			  "hostfwd=tcp::2222-:22,hostfwd=udp::5353-:53,"
			  "guestfwd=tcp:10.0.2.100:80-cmd:cat", 65520, &def, &rc, &err));
	assert_true(rc.restricted);
	assert_string_equal(rc.hostname, "vm1");
	assert_string_equal(rc.domainname, "lab.example");
	assert_string_equal(rc.tftp, "/srv/tftp");
	assert_string_equal(rc.tftp_server_name, "boot.example");
	assert_string_equal(rc.bootfile, "pxelinux.0");
	assert_int_equal(g_strv_length(rc.dnssearch), 2);
	assert_string_equal(rc.dnssearch[0], "a.example");
	assert_string_equal(rc.dnssearch[1], "b.example");
	assert_int_equal(rc.mtu, 65520);
	assert_int_equal(rc.hostfwds->len, 2);
	assert_string_equal(g_array_index(rc.hostfwds, struct un_hostfwd, 0).rule, "tcp::2222-:22");
	assert_true(g_array_index(rc.hostfwds, struct un_hostfwd, 1).udp);
	assert_int_equal(rc.guestfwds->len, 1);
	assert_string_equal(g_array_index(rc.guestfwds, struct un_guestfwd, 0).arg, "cat");
	un_router_config_clear(&rc);
	un_router_config_clear(&rc); /* twice is harmless */
	un_netdef_free(def);
}

static char *repeat(char c, gsize n)
{
	char *s = g_malloc(n + 1);

	memset(s, c, n);
	s[n] = '\0';
	return s;
}

struct bad_row {
	const char *keys;
	const char *want; /* after the origin: "KEY: MESSAGE" */
};

static const struct bad_row bad_rows[] = {
	/* net */
	{ "net=10.0.2.0/40", "net: 10.0.2.0/40: prefix length must be 4-32" },
	{ "net=10.0.2.0/3", "net: 10.0.2.0/3: prefix length must be 4-32" },
	{ "net=10.0.2.0/", "net: 10.0.2.0/: prefix length must be 4-32" },
	{ "net=10.0.2.0/255.0.255.0", "net: 10.0.2.0/255.0.255.0: mask 255.0.255.0 is not contiguous; use a prefix length such as /24" },
	{ "net=10.0.2.0/abc", "net: 10.0.2.0/abc: 'abc' is neither a prefix length (4-32) nor a dotted mask" },
	{ "net=10.0.2.x/24", "net: '10.0.2.x' is not an IPv4 address; write net=ADDR[/LEN], for example net=10.0.2.0/24" },
	{ "net=", "net: '' is not an IPv4 address; write net=ADDR[/LEN], for example net=10.0.2.0/24" },
	{ "net=10.0.2.0/30", "net: 10.0.2.0/30 is too small for the default host, dns and dhcpstart addresses; use /29 or shorter, or set them" },
	{ "net=10.0.2.0/32", "net: 10.0.2.0/32 is too small for the default host, dns and dhcpstart addresses; use /29 or shorter, or set them" },
	/* host, dns, dhcpstart */
	{ "host=abc", "host: 'abc' is not an IPv4 address" },
	{ "host=10.0.3.2", "host: 10.0.3.2 is outside 10.0.2.0/24; pick an address inside net" },
	{ "net=10.9.0.0/24,host=10.0.2.2", "host: 10.0.2.2 is outside 10.9.0.0/24; pick an address inside net" },
	{ "dns=10.0.2.2", "dns: 10.0.2.2 would be both the dns and the host address; give them different addresses" },
	{ "host=10.0.2.3", "host: 10.0.2.3 would be both the dns and the host address; give them different addresses" },
	{ "dns=nope", "dns: 'nope' is not an IPv4 address" },
	{ "dns=192.0.2.53,restrict=on", "dns: 192.0.2.53 is outside 10.0.2.0/24 (restrict=on keeps DNS inside); pick an address inside net" },
	{ "dhcpstart=10.0.2.2", "dhcpstart: 10.0.2.2 would be both the dhcpstart and the host address; give them different addresses" },
	{ "dhcpstart=10.0.2.3", "dhcpstart: 10.0.2.3 would be both the dhcpstart and the dns address; give them different addresses" },
	{ "dhcpstart=10.0.3.15", "dhcpstart: 10.0.3.15 is outside 10.0.2.0/24; pick an address inside net" },
	{ "dhcpstart=ten", "dhcpstart: 'ten' is not an IPv4 address" },
	/* ipv4 / ipv6 switches */
	{ "ipv4=off,net=10.0.2.0/24", "net: IPv4 is off; drop net= or add ipv4=on" },
	{ "ipv4=off,host=10.0.2.2", "host: IPv4 is off; drop host= or add ipv4=on" },
	{ "ipv4=off,dns=10.0.2.3", "dns: IPv4 is off; drop dns= or add ipv4=on" },
	{ "ipv6=on,net=10.0.2.0/24", "net: IPv4 is off (ipv6=on without ipv4= turns it off, as in QEMU); drop net= or add ipv4=on" },
	{ "ipv4=off,ipv6=off", "ipv4: IPv4 and IPv6 are both off; turn one on" },
	{ "ipv6=off,ipv6-net=fd00::/64", "ipv6-net: IPv6 is off; drop ipv6-net= or add ipv6=on" },
	{ "ipv6=off,ipv6-prefix=fd00::", "ipv6-prefix: IPv6 is off; drop ipv6-prefix= or add ipv6=on" },
	{ "ipv6=off,ipv6-dns=fec0::3", "ipv6-dns: IPv6 is off; drop ipv6-dns= or add ipv6=on" },
	{ "ipv4=on,ipv6-host=fec0::5", "ipv6-host: IPv6 is off (ipv4=on without ipv6= turns it off, as in QEMU); drop ipv6-host= or add ipv6=on" },
	{ "ipv4=maybe", "ipv4: 'maybe' is not on or off" },
	/* IPv6 addressing */
	{ "ipv6-net=fd00::/127", "ipv6-net: fd00::/127: prefix length must be 0-126" },
	{ "ipv6-net=fd00::/x", "ipv6-net: fd00::/x: prefix length must be 0-126" },
	{ "ipv6-net=zz::/64", "ipv6-net: 'zz::' is not an IPv6 address; write ipv6-net=ADDR/LEN, for example fd00::/64" },
	{ "ipv6-net=fd00::/64,ipv6-prefix=fd00::", "ipv6-net: give either ipv6-net=ADDR/LEN or ipv6-prefix= and ipv6-prefixlen=, not both" },
	{ "ipv6-prefix=nope", "ipv6-prefix: 'nope' is not an IPv6 address" },
	{ "ipv6-prefixlen=127", "ipv6-prefixlen: '127' is not a number from 0 to 126" },
	{ "ipv6-host=fd00::2", "ipv6-host: fd00::2 is outside fec0::/64; pick an address inside ipv6-net" },
	{ "ipv6-host=10.0.2.2", "ipv6-host: '10.0.2.2' is not an IPv6 address" },
	{ "ipv6-dns=fd00::3,restrict=on", "ipv6-dns: fd00::3 is outside fec0::/64; pick an address inside ipv6-net" },
	{ "ipv6-dns=xyz", "ipv6-dns: 'xyz' is not an IPv6 address" },
	/* names */
	{ "domainname=", "domainname: cannot be empty; leave the key out for none" },
	{ "restrict=perhaps", "restrict: 'perhaps' is not on or off" },
	/* forwards: the rule's own message, under its key */
	{ "hostfwd=tcp::2222:22", "hostfwd: 'tcp::2222:22': missing '-' between the host and the guest side (write [tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT or unix:PATH-[GUESTADDR]:GUESTPORT)" },
	{ "hostfwd=tcp::2222-:22,hostfwd=tcp::0-:22", "hostfwd: 'tcp::0-:22': host port 0 would bind a random port no one is told; give one from 1 to 65535" },
	{ "guestfwd=udp:10.0.2.100:53-cmd:x", "guestfwd: 'udp:10.0.2.100:53-cmd:x': guest forwards are tcp only, not 'udp'" },
};

static void test_bad_values(void **state)
{
	for (size_t i = 0; i < G_N_ELEMENTS(bad_rows); i++) {
		const struct bad_row *row = &bad_rows[i];
		struct un_router_config rc;
		struct un_netdef *def;
		g_autoptr(GError) err = NULL;
		g_autofree char *want = NULL;

		if (parse(row->keys, 1500, &def, &rc, &err))
			fail_msg("'%s' was accepted", row->keys);
		want = g_strdup_printf("%s: %s", def->origin, row->want);
		assert_true(g_error_matches(err, UN_ERROR, UN_ERROR_CONFIG));
		if (strcmp(err->message, want) != 0)
			fail_msg("'%s':\n got %s\nwant %s", row->keys, err->message, want);
		assert_null(rc.hostfwds); /* cleared on failure */
		un_netdef_free(def);
	}
}

static void test_lengths(void **state)
{
	static const struct { const char *key; gsize max; } rows[] = {
		{ "hostname", 255 }, { "domainname", 255 },
		{ "tftp-server-name", 255 }, { "bootfile", 127 },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(rows); i++) {
		g_autofree char *ok = repeat('a', rows[i].max);
		g_autofree char *long1 = repeat('a', rows[i].max + 1);
		g_autofree char *keys_ok = g_strdup_printf("%s=%s", rows[i].key, ok);
		g_autofree char *keys_bad = g_strdup_printf("%s=%s", rows[i].key, long1);
		g_autofree char *want = NULL;
		struct un_router_config rc;
		struct un_netdef *def;
		g_autoptr(GError) err = NULL;

		assert_true(parse(keys_ok, 1500, &def, &rc, &err));
		un_router_config_clear(&rc);
		un_netdef_free(def);
		assert_false(parse(keys_bad, 1500, &def, &rc, &err));
		want = g_strdup_printf("%s: %s: 'aaaaaaaaaaaaaaaaaaaa...' is %zu bytes; at most %zu fit",
				       def->origin, rows[i].key, rows[i].max + 1, rows[i].max);
		assert_string_equal(err->message, want);
		un_netdef_free(def);
	}
}

static void test_mtu(void **state)
{
	static const struct { guint mtu; gboolean ok; } rows[] = {
		{ 67, FALSE }, { 68, TRUE }, { 1500, TRUE }, { 65520, TRUE }, { 65521, FALSE },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(rows); i++) {
		struct un_router_config rc;
		struct un_netdef *def;
		g_autoptr(GError) err = NULL;
		g_autofree char *want = NULL;

		assert_int_equal(parse("", rows[i].mtu, &def, &rc, &err), rows[i].ok);
		if (!rows[i].ok) {
			want = g_strdup_printf("%s: mtu: %u is not from 68 to 65520",
					       def->origin, rows[i].mtu);
			assert_string_equal(err->message, want);
		} else {
			assert_int_equal(rc.mtu, rows[i].mtu);
		}
		un_router_config_clear(&rc);
		un_netdef_free(def);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_defaults_and_strings),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_lengths),
		cmocka_unit_test(test_mtu),
	};

	return cmocka_run_group_tests_name("router_config", tests, NULL, NULL);
}
