/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_config.c - SPEC and key-file parsing (backend/config.c).
 * Expected values follow DESIGN.md "Command line and configuration":
 * QEMU's KEY=VALUE syntax, ",," for a comma, listed keys repeat. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "usernet/error.h"

static void test_spec_minimal(void **state)
{
	g_autoptr(GError) err = NULL;
	struct un_netdef *def = un_spec_parse("nat:default", &err);

	assert_non_null(def);
	assert_string_equal(def->kind, "nat");
	assert_string_equal(def->name, "default");
	assert_string_equal(def->group, "nat:default");
	assert_string_equal(def->origin, "--net 'nat:default'");
	un_netdef_free(def);
}

static void test_spec_keys(void **state)
{
	g_autoptr(GError) err = NULL;
	struct un_netdef *def = un_spec_parse(
		"nat:lab,net=10.9.0.0/24,hostfwd=tcp::2222-:22,"
		"hostfwd=udp::5353-:53,guestfwd=tcp:10.0.2.100:80-cmd:echo a,,b,"
		"dnssearch=a.test,dnssearch=b.test",
		&err);
	struct un_config c;
	g_autofree char *net = NULL;
	g_auto(GStrv) fwd = NULL, gfwd = NULL, search = NULL, none = NULL;

	assert_null(err);
	assert_non_null(def);
	c = un_netdef_config(def);
	net = un_config_string(&c, "net");
	assert_string_equal(net, "10.9.0.0/24");
	fwd = un_config_list(&c, "hostfwd");
	assert_int_equal(g_strv_length(fwd), 2);
	assert_string_equal(fwd[0], "tcp::2222-:22");
	assert_string_equal(fwd[1], "udp::5353-:53");
	gfwd = un_config_list(&c, "guestfwd");
	assert_string_equal(gfwd[0], "tcp:10.0.2.100:80-cmd:echo a,b");
	search = un_config_list(&c, "dnssearch");
	assert_int_equal(g_strv_length(search), 2);
	none = un_config_list(&c, "portfwd");
	assert_non_null(none);
	assert_null(none[0]);
	assert_false(un_config_has(&c, "dns"));
	assert_null(un_config_string(&c, "dns"));
	un_netdef_free(def);
}

struct bad_spec {
	const char *spec;
	const char *message; /* the whole expected message */
};

static const struct bad_spec bad_specs[] = {
	{ "nat", "--net 'nat': 'nat' is not KIND:NAME (for example nat:default)" },
	{ ":x", "--net ':x': network kind '' is not valid (nat, natnet, hostonly, internal)" },
	{ "NAT:x", "--net 'NAT:x': network kind 'NAT' is not valid (nat, natnet, hostonly, internal)" },
	{ "nat:", "--net 'nat:': network name '' is not valid: use 1-64 letters, digits, '_', '-' or '.', not starting with '.'" },
	{ "nat:a/b", "--net 'nat:a/b': network name 'a/b' is not valid: use 1-64 letters, digits, '_', '-' or '.', not starting with '.'" },
	{ "nat:.hidden", "--net 'nat:.hidden': network name '.hidden' is not valid: use 1-64 letters, digits, '_', '-' or '.', not starting with '.'" },
	{ "nat:x,net", "--net 'nat:x,net': 'net' is not KEY=VALUE (write a literal comma as ',,')" },
	{ "nat:x,=1", "--net 'nat:x,=1': '=1' is not KEY=VALUE (write a literal comma as ',,')" },
	{ "nat:x,", "--net 'nat:x,': '' is not KEY=VALUE (write a literal comma as ',,')" },
	{ "nat:x,ipv6-net=\xff::/64", "--net: the SPEC is not valid UTF-8; write it in UTF-8" },
	{ "nat:x,a[b]=1", "--net 'nat:x,a[b]=1': 'a[b]' is not a key: use letters, digits, '-' and '_' (write a literal comma as ',,')" },
	{ "nat:x,net=10.0.0.0/8,net=10.1.0.0/16",
	  "--net 'nat:x,net=10.0.0.0/8,net=10.1.0.0/16': net: given twice; only hostfwd, guestfwd, portfwd, dhcp-host, uplink and dnssearch repeat" },
};

static void test_spec_errors(void **state)
{
	for (size_t i = 0; i < G_N_ELEMENTS(bad_specs); i++) {
		g_autoptr(GError) err = NULL;
		struct un_netdef *def = un_spec_parse(bad_specs[i].spec, &err);

		assert_null(def);
		assert_non_null(err);
		assert_int_equal(err->code, UN_ERROR_CONFIG);
		assert_string_equal(err->message, bad_specs[i].message);
	}
	/* 64 bytes is the longest name; 65 is refused. */
	g_autofree char *n64 = g_strnfill(64, 'a');
	g_autofree char *s64 = g_strdup_printf("nat:%s", n64);
	g_autofree char *s65 = g_strdup_printf("nat:%sa", n64);
	struct un_netdef *ok = un_spec_parse(s64, NULL);
	assert_non_null(ok);
	un_netdef_free(ok);
	assert_null(un_spec_parse(s65, NULL));
}

static void test_bool_uint(void **state)
{
	struct un_netdef *def = un_spec_parse(
		"nat:x,a=on,b=OFF,c=yes,d=0,e=maybe,m=1500,big=70000,neg=-1,txt=12a",
		NULL);
	struct un_config c = un_netdef_config(def);
	gboolean b;
	guint u;
	g_autoptr(GError) e1 = NULL, e2 = NULL, e3 = NULL, e4 = NULL;

	assert_true(un_config_bool(&c, "a", FALSE, &b, NULL) && b);
	assert_true(un_config_bool(&c, "b", TRUE, &b, NULL) && !b);
	assert_true(un_config_bool(&c, "c", FALSE, &b, NULL) && b);
	assert_true(un_config_bool(&c, "d", TRUE, &b, NULL) && !b);
	assert_true(un_config_bool(&c, "absent", TRUE, &b, NULL) && b);
	assert_false(un_config_bool(&c, "e", FALSE, &b, &e1));
	assert_string_equal(e1->message, "--net 'nat:x,a=on,b=OFF,c=yes,d=0,e=maybe,m=1500,big=70000,neg=-1,txt=12a': e: 'maybe' is not on or off");
	assert_true(un_config_uint(&c, "m", 68, 65520, 1, &u, NULL));
	assert_int_equal(u, 1500);
	assert_true(un_config_uint(&c, "absent", 68, 65520, 1500, &u, NULL));
	assert_int_equal(u, 1500);
	assert_false(un_config_uint(&c, "big", 68, 65520, 1500, &u, &e2));
	assert_non_null(strstr(e2->message, "big: '70000' is not a number from 68 to 65520"));
	assert_false(un_config_uint(&c, "neg", 68, 65520, 1500, &u, &e3));
	assert_false(un_config_uint(&c, "txt", 68, 65520, 1500, &u, &e4));
	un_netdef_free(def);
}

/* Write @text to a temporary key file; returns its path (g_free, unlink). */
static char *keyfile_write(const char *text)
{
	char *path = NULL;
	int fd = g_file_open_tmp("usernet-test-XXXXXX.conf", &path, NULL);

	assert_true(fd >= 0);
	close(fd);
	assert_true(g_file_set_contents(path, text, -1, NULL));
	return path;
}

static void test_keyfile(void **state)
{
	g_autofree char *path = keyfile_write(
		"[nat:one]\nnet=10.9.0.0/24\nhostfwd=tcp::2222-:22;tcp::8080-:80\n"
		"[natnet:two]\nmtu=9000\n");
	g_autoptr(GPtrArray) defs =
		g_ptr_array_new_with_free_func((GDestroyNotify)un_netdef_free);
	g_autoptr(GError) err = NULL;

	assert_true(un_config_file_load(path, defs, &err));
	assert_int_equal(defs->len, 2);
	const struct un_netdef *one = g_ptr_array_index(defs, 0);
	const struct un_netdef *two = g_ptr_array_index(defs, 1);
	assert_string_equal(one->kind, "nat");
	assert_string_equal(two->kind, "natnet");
	assert_string_equal(two->name, "two");
	g_autofree char *origin = g_strdup_printf("%s:[nat:one]", path);
	assert_string_equal(one->origin, origin);
	struct un_config c = un_netdef_config(one);
	g_auto(GStrv) fwd = un_config_list(&c, "hostfwd");
	assert_int_equal(g_strv_length(fwd), 2);
	assert_string_equal(fwd[1], "tcp::8080-:80");
	assert_true(un_netdefs_check_unique(defs, NULL));
	g_unlink(path);
}

struct bad_file {
	const char *text;
	const char *suffix; /* expected message, after "PATH" */
};

static const struct bad_file bad_files[] = {
	{ "", ": no networks; add a group such as [nat:default]" },
	{ "# only a comment\n", ": no networks; add a group such as [nat:default]" },
	{ "[default]\n", ":[default]: 'default' is not KIND:NAME (for example nat:default)" },
	{ "[nat:a b]\n", ":[nat:a b]: network name 'a b' is not valid: use 1-64 letters, digits, '_', '-' or '.', not starting with '.'" },
	{ "[nat:x]\nhostfwd=tcp::1-:1\nhostfwd=tcp::2-:2\n", ":[nat:x]: hostfwd: given twice; write every value on one line, separated by ';'" },
	{ "[nat:x]\nnet=10.1.0.0/16\nnet=10.2.0.0/16\n", ":[nat:x]: net: given twice; give it once" },
	{ "[nat:x]\nipv6-net=\xff::/64\n", ":[nat:x]: ipv6-net: the value is not valid UTF-8; save the file as UTF-8" },
	{ "net=10.0.0.0/8\n", NULL }, /* a key outside any group: GLib's message */
	{ "[nat:x\n", NULL },
};

static void test_keyfile_errors(void **state)
{
	for (size_t i = 0; i < G_N_ELEMENTS(bad_files); i++) {
		g_autofree char *path = keyfile_write(bad_files[i].text);
		g_autoptr(GPtrArray) defs = g_ptr_array_new_with_free_func(
			(GDestroyNotify)un_netdef_free);
		g_autoptr(GError) err = NULL;

		assert_false(un_config_file_load(path, defs, &err));
		assert_non_null(err);
		assert_true(g_str_has_prefix(err->message, path));
		if (bad_files[i].suffix)
			assert_string_equal(err->message + strlen(path),
					    bad_files[i].suffix);
		g_unlink(path);
	}
	g_autoptr(GError) err = NULL;
	g_autoptr(GPtrArray) defs =
		g_ptr_array_new_with_free_func((GDestroyNotify)un_netdef_free);
	assert_false(un_config_file_load("/nonexistent/usernet.conf", defs, &err));
	assert_true(g_str_has_prefix(err->message, "/nonexistent/usernet.conf: "));
}

static void test_duplicate_names(void **state)
{
	g_autoptr(GPtrArray) defs =
		g_ptr_array_new_with_free_func((GDestroyNotify)un_netdef_free);
	g_autoptr(GError) err = NULL;

	g_ptr_array_add(defs, un_spec_parse("nat:lab", NULL));
	g_ptr_array_add(defs, un_spec_parse("natnet:lab,mtu=9000", NULL));
	assert_false(un_netdefs_check_unique(defs, &err));
	assert_string_equal(err->message,
			    "--net 'natnet:lab,mtu=9000': a network named 'lab' is already defined by --net 'nat:lab'; give each network its own name");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spec_minimal),
		cmocka_unit_test(test_spec_keys),
		cmocka_unit_test(test_spec_errors),
		cmocka_unit_test(test_bool_uint),
		cmocka_unit_test(test_keyfile),
		cmocka_unit_test(test_keyfile_errors),
		cmocka_unit_test(test_duplicate_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
