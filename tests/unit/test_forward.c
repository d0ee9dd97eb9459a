/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_forward.c - hostfwd and guestfwd rules (backend/router_config.c).
 * Syntax and ranges from QEMU 7.2 net/slirp.c slirp_hostfwd and
 * slirp_guestfwd (ports read with strtol: base 0 for hostfwd, base 10 for
 * guestfwd; guest port 1-65535), plus usernet's additions: [IPv6] host
 * addresses, 127.0.0.1 for an empty host address, host port 0 refused,
 * and guestfwd targets unix:PATH and tcp:HOST:PORT. VirtualBox's portfwd
 * rules (NAME:PROTO:[HOSTIP]:HOSTPORT:[GUESTIP]:GUESTPORT) for the shared
 * kinds, with their guest address required and each NAME used once. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <string.h>
#include <sys/un.h>

#include "usernet/error.h"
#include "usernet/router.h"

#define HOSTFWD_SYNTAX \
	"[tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT or unix:PATH-[GUESTADDR]:GUESTPORT"
#define PORTFWD_SYNTAX "NAME:PROTO:[HOSTIP]:HOSTPORT:[GUESTIP]:GUESTPORT"
#define GUESTFWD_SYNTAX \
	"[tcp]:[SERVER]:PORT-cmd:COMMAND, -unix:PATH or -tcp:HOST:PORT"

struct hostfwd_row {
	const char *rule;
	gboolean udp;
	int family;
	const char *host; /* address, or path for AF_UNIX */
	guint host_port;
	const char *guest;
	guint guest_port;
};

static const struct hostfwd_row hostfwd_rows[] = {
	{ "tcp::2222-:22", FALSE, AF_INET, "127.0.0.1", 2222, "0.0.0.0", 22 },
	{ "::2222-:22", FALSE, AF_INET, "127.0.0.1", 2222, "0.0.0.0", 22 },
	{ "tcp:0.0.0.0:8080-:80", FALSE, AF_INET, "0.0.0.0", 8080, "0.0.0.0", 80 },
	{ "udp:127.0.0.2:5353-10.0.2.15:53", TRUE, AF_INET, "127.0.0.2", 5353, "10.0.2.15", 53 },
	{ "udp::65535-10.0.2.15:1", TRUE, AF_INET, "127.0.0.1", 65535, "10.0.2.15", 1 },
	{ "tcp:[::1]:8022-:22", FALSE, AF_INET6, "::1", 8022, "0.0.0.0", 22 },
	{ "udp:[::]:5000-10.0.2.15:5000", TRUE, AF_INET6, "::", 5000, "10.0.2.15", 5000 },
	{ "unix:/tmp/usernet-test/ssh.sock-:22", FALSE, AF_UNIX, "/tmp/usernet-test/ssh.sock", 0, "0.0.0.0", 22 },
	{ "unix:/run/a-b/c-d.sock-10.0.2.15:22", FALSE, AF_UNIX, "/run/a-b/c-d.sock", 0, "10.0.2.15", 22 },
	/* QEMU reads these ports with strtol(..., 0) */
	{ "tcp::0x1f90-:0x50", FALSE, AF_INET, "127.0.0.1", 8080, "0.0.0.0", 80 },
	{ "tcp::010-:22", FALSE, AF_INET, "127.0.0.1", 8, "0.0.0.0", 22 },
	/* and addresses with inet_aton */
	{ "tcp:127.1:2222-10.2.15:22", FALSE, AF_INET, "127.0.0.1", 2222, "10.2.0.15", 22 },
};

static void check_host(const struct hostfwd_row *row, const struct un_hostfwd *f)
{
	char b[INET6_ADDRSTRLEN];
	const struct sockaddr_in *sin = (const struct sockaddr_in *)&f->host;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&f->host;
	const struct sockaddr_un *sun = (const struct sockaddr_un *)&f->host;

	assert_int_equal(f->host.ss_family, row->family);
	switch (row->family) {
	case AF_INET:
		assert_int_equal(f->host_len, sizeof(*sin));
		assert_string_equal(inet_ntop(AF_INET, &sin->sin_addr, b, sizeof(b)), row->host);
		assert_int_equal(ntohs(sin->sin_port), row->host_port);
		break;
	case AF_INET6:
		assert_int_equal(f->host_len, sizeof(*sin6));
		assert_string_equal(inet_ntop(AF_INET6, &sin6->sin6_addr, b, sizeof(b)), row->host);
		assert_int_equal(ntohs(sin6->sin6_port), row->host_port);
		break;
	default:
		assert_int_equal(f->host_len, sizeof(*sun));
		assert_string_equal(sun->sun_path, row->host);
	}
}

static void test_hostfwd_good(void **state)
{
	for (size_t i = 0; i < G_N_ELEMENTS(hostfwd_rows); i++) {
		const struct hostfwd_row *row = &hostfwd_rows[i];
		struct un_hostfwd f;
		g_autoptr(GError) err = NULL;
		char b[INET_ADDRSTRLEN];

		if (!un_hostfwd_parse(row->rule, &f, &err))
			fail_msg("'%s': %s", row->rule, err->message);
		assert_string_equal(f.rule, row->rule);
		assert_int_equal(f.udp, row->udp);
		check_host(row, &f);
		assert_int_equal(f.guest.sin_family, AF_INET);
		assert_string_equal(inet_ntop(AF_INET, &f.guest.sin_addr, b, sizeof(b)), row->guest);
		assert_int_equal(ntohs(f.guest.sin_port), row->guest_port);
		un_hostfwd_clear(&f);
		assert_null(f.rule);
	}
}

struct bad_row {
	const char *rule;
	const char *want; /* after "'RULE': " */
};

static const struct bad_row hostfwd_bad[] = {
	{ "tcp", "write " HOSTFWD_SYNTAX },
	{ "", "write " HOSTFWD_SYNTAX },
	{ "tcp::2222:22", "missing '-' between the host and the guest side (write " HOSTFWD_SYNTAX ")" },
	{ "sctp::2222-:22", "protocol 'sctp' is not tcp, udp or unix" },
	{ "TCP::2222-:22", "protocol 'TCP' is not tcp, udp or unix" },
	{ "tcp:2222-:22", "missing ':' before the host port (write " HOSTFWD_SYNTAX ")" },
	{ "tcp::0-:22", "host port 0 would bind a random port no one is told; give one from 1 to 65535" },
	{ "tcp::-:22", "host port (empty) would bind a random port no one is told; give one from 1 to 65535" },
	{ "tcp::65536-:22", "host port '65536' is not a number from 1 to 65535" },
	{ "tcp::22x-:22", "host port '22x' is not a number from 1 to 65535" },
	{ "tcp:: 22-:22", "host port ' 22' is not a number from 1 to 65535" },
	{ "tcp::2222-:0", "guest port '0' is not a number from 1 to 65535" },
	{ "tcp::2222-:65536", "guest port '65536' is not a number from 1 to 65535" },
	{ "tcp::2222-:", "guest port '' is not a number from 1 to 65535" },
	{ "tcp::2222-", "the guest side '' is not [GUESTADDR]:GUESTPORT" },
	{ "tcp::2222-22", "the guest side '22' is not [GUESTADDR]:GUESTPORT" },
	{ "tcp:1.2.3.400:2222-:22", "host address '1.2.3.400' is not an IPv4 address (an IPv6 one goes in brackets)" },
	{ "tcp:localhost:2222-:22", "host address 'localhost' is not an IPv4 address (an IPv6 one goes in brackets)" },
	{ "tcp:::1:2222-:22", "an IPv6 host address needs brackets, for example tcp:[::1]:8022-:22" },
	{ "tcp:[::1:2222-:22", "write an IPv6 host address as [ADDR]:HOSTPORT, for example tcp:[::1]:8022-:22" },
	{ "tcp:[::1]2222-:22", "write an IPv6 host address as [ADDR]:HOSTPORT, for example tcp:[::1]:8022-:22" },
	{ "tcp:[fe80::zz]:2222-:22", "host address [fe80::zz] is not an IPv6 address" },
	{ "tcp:[127.0.0.1]:2222-:22", "host address [127.0.0.1] is not an IPv6 address" },
	{ "tcp::2222-10.0.2.x:22", "guest address '10.0.2.x' is not an IPv4 address" },
	{ "tcp::2222-[::1]:22", "the guest address must be IPv4 (libslirp reaches the guest over IPv4)" },
	{ "unix:relative.sock-:22", "socket path 'relative.sock' must be absolute" },
	{ "unix:-:22", "missing the socket path (write unix:/PATH-[GUESTADDR]:GUESTPORT)" },
	{ "unix:/tmp/s-:0", "guest port '0' is not a number from 1 to 65535" },
};

static void test_hostfwd_bad(void **state)
{
	for (size_t i = 0; i < G_N_ELEMENTS(hostfwd_bad); i++) {
		const struct bad_row *row = &hostfwd_bad[i];
		g_autofree char *want = g_strdup_printf("'%s': %s", row->rule, row->want);
		struct un_hostfwd f;
		g_autoptr(GError) err = NULL;

		if (un_hostfwd_parse(row->rule, &f, &err))
			fail_msg("'%s' was accepted", row->rule);
		assert_true(g_error_matches(err, UN_ERROR, UN_ERROR_CONFIG));
		if (strcmp(err->message, want) != 0)
			fail_msg("\n got %s\nwant %s", err->message, want);
		assert_null(f.rule);
	}
}

static void test_hostfwd_unix_path_length(void **state)
{
	g_autofree char *path = g_strnfill(sizeof(((struct sockaddr_un *)0)->sun_path) - 1, 'p');
	g_autofree char *ok = NULL, *bad = NULL;
	struct un_hostfwd f;
	g_autoptr(GError) err = NULL;

	path[0] = '/';
	ok = g_strdup_printf("unix:%s-:22", path);
	assert_true(un_hostfwd_parse(ok, &f, &err));
	un_hostfwd_clear(&f);
	bad = g_strdup_printf("unix:%sp-:22", path);
	assert_false(un_hostfwd_parse(bad, &f, &err));
	assert_non_null(strstr(err->message, "socket path is 108 bytes; a unix socket address holds at most 107"));
}

struct guestfwd_row {
	const char *rule;
	const char *addr;
	guint port;
	enum un_guestfwd_target target;
	const char *arg;
};

static const struct guestfwd_row guestfwd_rows[] = {
	{ "tcp:10.0.2.100:1234-cmd:nc -l 1234", "10.0.2.100", 1234, UN_GUESTFWD_CMD, "nc -l 1234" },
	{ ":10.0.2.100:1234-cmd:cat", "10.0.2.100", 1234, UN_GUESTFWD_CMD, "cat" },
	{ "tcp:10.0.2.100:22-cmd:ssh -W host-a:22 gw", "10.0.2.100", 22, UN_GUESTFWD_CMD, "ssh -W host-a:22 gw" },
	{ "tcp::4321-unix:/tmp/sock", "0.0.0.0", 4321, UN_GUESTFWD_UNIX, "/tmp/sock" },
	{ "tcp:10.0.2.100:80-tcp:127.0.0.1:8080", "10.0.2.100", 80, UN_GUESTFWD_TCP, "127.0.0.1:8080" },
	{ "tcp:10.0.2.100:80-tcp:[::1]:8080", "10.0.2.100", 80, UN_GUESTFWD_TCP, "[::1]:8080" },
	{ "tcp:10.0.2.100:80-tcp:localhost:8080", "10.0.2.100", 80, UN_GUESTFWD_TCP, "localhost:8080" },
	{ "tcp:10.0.2.100:65535-cmd:x", "10.0.2.100", 65535, UN_GUESTFWD_CMD, "x" },
};

static void test_guestfwd_good(void **state)
{
	for (size_t i = 0; i < G_N_ELEMENTS(guestfwd_rows); i++) {
		const struct guestfwd_row *row = &guestfwd_rows[i];
		struct un_guestfwd f;
		g_autoptr(GError) err = NULL;
		char b[INET_ADDRSTRLEN];

		if (!un_guestfwd_parse(row->rule, &f, &err))
			fail_msg("'%s': %s", row->rule, err->message);
		assert_string_equal(f.rule, row->rule);
		assert_string_equal(inet_ntop(AF_INET, &f.addr, b, sizeof(b)), row->addr);
		assert_int_equal(f.port, row->port);
		assert_int_equal(f.target, row->target);
		assert_string_equal(f.arg, row->arg);
		un_guestfwd_clear(&f);
		assert_null(f.arg);
	}
}

static const struct bad_row guestfwd_bad[] = {
	{ "tcp:10.0.2.100:1234", "write " GUESTFWD_SYNTAX },
	{ "tcp", "write " GUESTFWD_SYNTAX },
	{ "cmd:cat", "write " GUESTFWD_SYNTAX },
	{ "udp:10.0.2.100:53-cmd:x", "guest forwards are tcp only, not 'udp'" },
	{ "tcp:10.0.2.x:80-cmd:x", "server address '10.0.2.x' is not an IPv4 address" },
	{ "tcp:10.0.2.100:0-cmd:x", "port '0' is not a number from 1 to 65535" },
	{ "tcp:10.0.2.100:65536-cmd:x", "port '65536' is not a number from 1 to 65535" },
	{ "tcp:10.0.2.100:0x50-cmd:x", "port '0x50' is not a number from 1 to 65535" },
	{ "tcp:10.0.2.100:-cmd:x", "port '' is not a number from 1 to 65535" },
	{ "tcp:10.0.2.100:80-cmd:", "target 'cmd:' is not cmd:COMMAND, unix:PATH or tcp:HOST:PORT" },
	{ "tcp:10.0.2.100:80-unix:", "target 'unix:' is not cmd:COMMAND, unix:PATH or tcp:HOST:PORT" },
	{ "tcp:10.0.2.100:80-file:/tmp/x", "target 'file:/tmp/x' is not cmd:COMMAND, unix:PATH or tcp:HOST:PORT" },
	{ "tcp:10.0.2.100:80-", "target '' is not cmd:COMMAND, unix:PATH or tcp:HOST:PORT" },
	{ "tcp:10.0.2.100:80-tcp:127.0.0.1", "'127.0.0.1' is not HOST:PORT (a port 1-65535; an IPv6 host in brackets)" },
	{ "tcp:10.0.2.100:80-tcp:127.0.0.1:0", "'127.0.0.1:0' is not HOST:PORT (a port 1-65535; an IPv6 host in brackets)" },
	{ "tcp:10.0.2.100:80-tcp:127.0.0.1:70000", "'127.0.0.1:70000' is not HOST:PORT (a port 1-65535; an IPv6 host in brackets)" },
	{ "tcp:10.0.2.100:80-tcp::80", "':80' is not HOST:PORT (a port 1-65535; an IPv6 host in brackets)" },
	{ "tcp:10.0.2.100:80-tcp:::1:80", "'::1:80' is not HOST:PORT (a port 1-65535; an IPv6 host in brackets)" },
};

static void test_guestfwd_bad(void **state)
{
	for (size_t i = 0; i < G_N_ELEMENTS(guestfwd_bad); i++) {
		const struct bad_row *row = &guestfwd_bad[i];
		g_autofree char *want = g_strdup_printf("'%s': %s", row->rule, row->want);
		struct un_guestfwd f;
		g_autoptr(GError) err = NULL;

		if (un_guestfwd_parse(row->rule, &f, &err))
			fail_msg("'%s' was accepted", row->rule);
		assert_true(g_error_matches(err, UN_ERROR, UN_ERROR_CONFIG));
		if (strcmp(err->message, want) != 0)
			fail_msg("\n got %s\nwant %s", err->message, want);
		assert_null(f.rule);
		assert_null(f.arg);
	}
}

struct portfwd_row {
	const char *rule;
	const char *name;
	gboolean udp;
	int family;
	const char *host;
	guint host_port;
	const char *guest;
	guint guest_port;
};

static const struct portfwd_row portfwd_rows[] = {
	{ "ssh:tcp:[]:2222:[10.0.2.15]:22", "ssh", FALSE, AF_INET, "127.0.0.1", 2222, "10.0.2.15", 22 },
	{ "dns:udp:[127.0.0.2]:5353:[192.168.56.101]:53", "dns", TRUE, AF_INET, "127.0.0.2", 5353, "192.168.56.101", 53 },
	{ "Web Server:TCP:[0.0.0.0]:8080:[10.0.2.4]:80", "Web Server", FALSE, AF_INET, "0.0.0.0", 8080, "10.0.2.4", 80 },
	{ "v6:tcp:[::1]:8022:[10.0.2.5]:22", "v6", FALSE, AF_INET6, "::1", 8022, "10.0.2.5", 22 },
	{ "max:udp:[]:65535:[10.0.2.5]:1", "max", TRUE, AF_INET, "127.0.0.1", 65535, "10.0.2.5", 1 },
};

static void test_portfwd_good(void **state)
{
	for (size_t i = 0; i < G_N_ELEMENTS(portfwd_rows); i++) {
		const struct portfwd_row *row = &portfwd_rows[i];
		const struct hostfwd_row host = { row->rule, row->udp, row->family,
						  row->host, row->host_port,
						  row->guest, row->guest_port };
		struct un_hostfwd f;
		g_autoptr(GError) err = NULL;
		char b[INET_ADDRSTRLEN];

		if (!un_portfwd_parse(row->rule, &f, &err))
			fail_msg("'%s': %s", row->rule, err->message);
		assert_string_equal(f.rule, row->rule);
		assert_string_equal(f.name, row->name);
		assert_int_equal(f.udp, row->udp);
		check_host(&host, &f);
		assert_string_equal(inet_ntop(AF_INET, &f.guest.sin_addr, b, sizeof(b)), row->guest);
		assert_int_equal(ntohs(f.guest.sin_port), row->guest_port);
		un_hostfwd_clear(&f);
	}
}

static const struct bad_row portfwd_bad[] = {
	{ "", "missing PROTO (write " PORTFWD_SYNTAX ")" },
	{ "ssh", "missing PROTO (write " PORTFWD_SYNTAX ")" },
	{ "ssh:tcp", "missing [HOSTIP] (write " PORTFWD_SYNTAX ")" },
	{ "ssh:tcp:[]:2222", "missing [GUESTIP] (write " PORTFWD_SYNTAX ")" },
	{ "ssh:tcp:[]:2222:[10.0.2.15]", "missing GUESTPORT (write " PORTFWD_SYNTAX ")" },
	{ "ssh:tcp::2222:[10.0.2.15]:22", "[HOSTIP] must be in brackets, [] for the default (write " PORTFWD_SYNTAX ")" },
	{ "ssh:tcp:[]:2222:10.0.2.15:22", "[GUESTIP] must be in brackets, [] for the default (write " PORTFWD_SYNTAX ")" },
	{ "ssh:tcp:[:2222:10.0.2.15:22", "missing ']' after [HOSTIP]" },
	{ "ssh:tcp:[]:2222:[10.0.2.15:22", "missing ']' after [GUESTIP]" },
	{ "ssh:tcp:[]:2222:[10.0.2.15]:22:x", "unexpected ':x' after GUESTPORT (write " PORTFWD_SYNTAX ")" },
	{ ":tcp:[]:2222:[10.0.2.15]:22", "the rule has no NAME (write " PORTFWD_SYNTAX ")" },
	{ "ssh:sctp:[]:2222:[10.0.2.15]:22", "protocol 'sctp' is not tcp or udp" },
	{ "ssh::[]:2222:[10.0.2.15]:22", "protocol '' is not tcp or udp" },
	{ "ssh:tcp:[]:0:[10.0.2.15]:22", "host port '0' is not a number from 1 to 65535" },
	{ "ssh:tcp:[]:65536:[10.0.2.15]:22", "host port '65536' is not a number from 1 to 65535" },
	{ "ssh:tcp:[]:0x10:[10.0.2.15]:22", "host port '0x10' is not a number from 1 to 65535" },
	{ "ssh:tcp:[]::[10.0.2.15]:22", "host port '' is not a number from 1 to 65535" },
	{ "ssh:tcp:[]:2222:[10.0.2.15]:http", "guest port 'http' is not a number from 1 to 65535" },
	{ "ssh:tcp:[]:2222:[]:22", "no guest IP; on a shared network write it, e.g. ssh:tcp:[]:2222:[10.0.2.15]:22" },
	{ "ssh:tcp:[]:2222:[10.0.2.x]:22", "guest IP [10.0.2.x] is not an IPv4 address" },
	{ "ssh:tcp:[]:2222:[::1]:22", "guest IP [::1] is not an IPv4 address" },
	{ "ssh:tcp:[localhost]:2222:[10.0.2.15]:22", "host IP [localhost] is not an IPv4 or IPv6 address" },
	{ "ssh:tcp:[fe80::zz]:2222:[10.0.2.15]:22", "host IP [fe80::zz] is not an IPv6 address" },
};

static void test_portfwd_bad(void **state)
{
	for (size_t i = 0; i < G_N_ELEMENTS(portfwd_bad); i++) {
		const struct bad_row *row = &portfwd_bad[i];
		g_autofree char *want = g_strdup_printf("'%s': %s", row->rule, row->want);
		struct un_hostfwd f;
		g_autoptr(GError) err = NULL;

		if (un_portfwd_parse(row->rule, &f, &err))
			fail_msg("'%s' was accepted", row->rule);
		assert_true(g_error_matches(err, UN_ERROR, UN_ERROR_CONFIG));
		if (strcmp(err->message, want) != 0)
			fail_msg("\n got %s\nwant %s", err->message, want);
		assert_null(f.rule);
		assert_null(f.name);
	}
}

/* The rules of one network: appended after hostfwd, one NAME each. */
struct portfwd_set_row {
	const char *rules[3];
	guint want_len;   /* hostfwds after parsing, when accepted */
	const char *want; /* the error after "ORIGIN: portfwd: ", or NULL */
};

static const struct portfwd_set_row portfwd_sets[] = {
	{ { "a:tcp:[]:7001:[10.0.2.15]:7000", "b:udp:[]:7001:[10.0.2.16]:7000" }, 3, NULL },
	{ { "a:tcp:[]:7001:[10.0.2.15]:7000", "a:tcp:[]:7002:[10.0.2.16]:7000" }, 0,
	  "'a:tcp:[]:7002:[10.0.2.16]:7000': name 'a' is already used by 'a:tcp:[]:7001:[10.0.2.15]:7000'; give each rule its own NAME" },
	{ { "a:tcp:[]:7001:[10.0.2.15]:7000", "bad" }, 0,
	  "'bad': missing PROTO (write " PORTFWD_SYNTAX ")" },
	{ { NULL }, 1, NULL },
};

static void test_portfwd_set(void **state)
{
	for (size_t i = 0; i < G_N_ELEMENTS(portfwd_sets); i++) {
		const struct portfwd_set_row *row = &portfwd_sets[i];
		g_autoptr(GKeyFile) kf = g_key_file_new();
		struct un_config c = { kf, "natnet:t", "--net 'natnet:t'" };
		struct un_router_config rc;
		const char *hostfwd[] = { "tcp::7100-10.0.2.15:22" };
		g_autoptr(GError) err = NULL;
		guint n = 0;

		while (n < G_N_ELEMENTS(row->rules) && row->rules[n])
			n++;
		g_key_file_set_string_list(kf, c.group, "hostfwd", hostfwd, 1);
		if (n)
			g_key_file_set_string_list(kf, c.group, "portfwd", row->rules, n);
		if (!un_router_config_parse(&rc, &c, 1500, &err))
			fail_msg("router config: %s", err->message);
		if (un_router_config_parse_portfwd(&rc, &c, &err) != !row->want)
			fail_msg("row %zu: %s", i, err ? err->message : "accepted");
		if (row->want) {
			g_autofree char *want = g_strdup_printf("--net 'natnet:t': portfwd: %s", row->want);

			assert_string_equal(err->message, want);
		} else {
			assert_int_equal(rc.hostfwds->len, row->want_len);
			assert_null(g_array_index(rc.hostfwds, struct un_hostfwd, 0).name);
		}
		un_router_config_clear(&rc);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hostfwd_good),
		cmocka_unit_test(test_hostfwd_bad),
		cmocka_unit_test(test_hostfwd_unix_path_length),
		cmocka_unit_test(test_guestfwd_good),
		cmocka_unit_test(test_guestfwd_bad),
		cmocka_unit_test(test_portfwd_good),
		cmocka_unit_test(test_portfwd_bad),
		cmocka_unit_test(test_portfwd_set),
	};

	return cmocka_run_group_tests_name("forward", tests, NULL, NULL);
}
