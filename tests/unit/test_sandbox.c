/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_sandbox.c - the pure half of backend/sandbox.c: which Landlock
 * rights each kind of access becomes under each ABI, how path rules merge,
 * and which paths a network definition adds (its TFTP root, the directories
 * of its unix hostfwds; rules that do not parse add nothing). Entering the
 * sandbox is shown end to end (tests/e2e/sandbox.sh). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <linux/landlock.h>
#include <string.h>

#include "config.h"
#include "sandbox.h"

#define TRUNCATE_ABI3 (1ULL << 14)
#define IOCTL_DEV_ABI5 (1ULL << 15)

static unsigned rule_access(const struct un_sandbox_paths *p, const char *path)
{
	for (guint i = 0; i < p->rules->len; i++) {
		const struct un_sandbox_rule *r =
			&g_array_index(p->rules, struct un_sandbox_rule, i);

		if (strcmp(r->path, path) == 0)
			return r->access;
	}
	return 0;
}

static void test_rights_by_abi(void **state)
{
	static const struct {
		unsigned access;
		int abi;
		guint64 want;
	} cases[] = {
		{ UN_SANDBOX_READ, 1, LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR },
		{ UN_SANDBOX_WRITE, 1, LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_MAKE_REG },
		{ UN_SANDBOX_WRITE, 3, LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_MAKE_REG | TRUNCATE_ABI3 },
		{ UN_SANDBOX_SOCKETS, 1, LANDLOCK_ACCESS_FS_MAKE_SOCK | LANDLOCK_ACCESS_FS_REMOVE_FILE },
		{ UN_SANDBOX_RMDIR, 1, LANDLOCK_ACCESS_FS_REMOVE_DIR },
		{ UN_SANDBOX_DEVICE, 4, 0 },            /* no ioctl right before ABI 5 */
		{ UN_SANDBOX_DEVICE, 5, IOCTL_DEV_ABI5 },
		{ UN_SANDBOX_ALL, 1, (1ULL << 13) - 1 },
		{ UN_SANDBOX_ALL, 2, (1ULL << 14) - 1 },
		{ UN_SANDBOX_ALL, 7, (1ULL << 16) - 1 },
		{ UN_SANDBOX_EXEC, 1, LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_READ_FILE |
				      LANDLOCK_ACCESS_FS_READ_DIR },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		guint64 got = un_sandbox_landlock_rights(cases[i].access, cases[i].abi);

		if (got != cases[i].want)
			fail_msg("case %zu: access %#x ABI %d: got %#llx, want %#llx", i,
				 cases[i].access, cases[i].abi, (unsigned long long)got,
				 (unsigned long long)cases[i].want);
	}
}

static void test_paths_merge(void **state)
{
	g_autoptr(un_sandbox_paths) p = un_sandbox_paths_new("/run/user/1000/usernet");

	assert_int_equal(rule_access(p, "/run/user/1000/usernet"), UN_SANDBOX_ALL);
	assert_int_equal(rule_access(p, "/run/user/1000"), UN_SANDBOX_RMDIR);
	assert_int_equal(rule_access(p, "/etc/resolv.conf"), UN_SANDBOX_READ);
	assert_int_equal(rule_access(p, "/etc/hosts"), UN_SANDBOX_READ);
	assert_int_equal(rule_access(p, "/etc"), 0); /* not all of /etc */
	un_sandbox_paths_add(p, "/srv/tftp/", UN_SANDBOX_READ);
	un_sandbox_paths_add(p, "/srv/tftp/../tftp", UN_SANDBOX_SOCKETS);
	assert_int_equal(rule_access(p, "/srv/tftp"), UN_SANDBOX_READ | UN_SANDBOX_SOCKETS);
	un_sandbox_paths_add_capture_dir(p, "/var/tmp/caps");
	assert_int_equal(rule_access(p, "/var/tmp/caps"), UN_SANDBOX_WRITE);
	assert_non_null(strstr(p->write_hint, "/run/user/1000/usernet, /var/tmp/caps"));
}

static void test_netdef_paths(void **state)
{
	static const struct {
		const char *spec;
		const char *path; /* NULL: adds no rule */
		unsigned access;
	} cases[] = {
		{ "nat:a,tftp=/srv/boot", "/srv/boot", UN_SANDBOX_READ },
		{ "nat:b,hostfwd=unix:/run/vm/ssh.sock-:22", "/run/vm", UN_SANDBOX_SOCKETS },
		{ "nat:c,hostfwd=tcp::2222-:22", NULL, 0 },
		{ "nat:d,hostfwd=unix:-:22", NULL, 0 },  /* no path: refused by the parser */
		{ "nat:e,guestfwd=tcp:10.0.2.100:80-unix:/run/web.sock", NULL, 0 },
		{ "nat:f", NULL, 0 },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(un_sandbox_paths) p = un_sandbox_paths_new("/d/usernet");
		guint base = p->rules->len;
		struct un_netdef *def = un_spec_parse(cases[i].spec, NULL);

		assert_non_null(def);
		un_sandbox_paths_add_netdef(p, def);
		un_netdef_free(def);
		if (!cases[i].path) {
			if (p->rules->len != base)
				fail_msg("%s: added a rule", cases[i].spec);
			continue;
		}
		if (rule_access(p, cases[i].path) != cases[i].access)
			fail_msg("%s: %s has access %#x, want %#x", cases[i].spec,
				 cases[i].path, rule_access(p, cases[i].path),
				 cases[i].access);
	}
}

static void test_hint_only_sandboxed(void **state)
{
	assert_string_equal(un_sandbox_write_hint(13 /* EACCES */), "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rights_by_abi),
		cmocka_unit_test(test_paths_merge),
		cmocka_unit_test(test_netdef_paths),
		cmocka_unit_test(test_hint_only_sandboxed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
