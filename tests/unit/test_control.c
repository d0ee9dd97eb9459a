/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_control.c - the control protocol (backend/control.c) and the
 * network commands (backend/control_net.c) through un_control_handle_line,
 * no sockets: a daemon on a temporary DIR with real networks from the
 * built plugins (USERNET_PLUGIN_PATH). Malformed requests each get their
 * exact code and message (doc/control.md); "id" is echoed; list, show,
 * stats, net-add and net-remove give what the protocol promises and make
 * and remove the endpoints. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <stdlib.h>
#include <string.h>

#include "control.h"
#include "daemon.h"
#include "usernet/error.h"

#define KNOWN "list, show, stats, net-add, net-remove, fwd-add, " \
	"fwd-remove, fwd-list, capture-start, capture-stop"

struct fixture {
	char *dir;
	struct un_daemon *d;
};

static int setup(void **state)
{
	struct fixture *f = g_new0(struct fixture, 1);
	g_autoptr(GError) err = NULL;
	struct un_netdef *def;

	f->dir = g_dir_make_tmp("test_control-XXXXXX", NULL);
	f->d = un_daemon_new(f->dir, NULL);
	def = un_spec_parse("internal:lab,mtu=1400", &err);
	assert_non_null(def);
	if (!un_daemon_add(f->d, def, &err))
		fail_msg("internal:lab: %s", err->message);
	un_netdef_free(def);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", f->dir);

	un_daemon_free(f->d);
	assert_int_equal(system(cmd), 0);
	g_free(f->dir);
	g_free(f);
	return 0;
}

/* The reply to @line, parsed; the caller unrefs the parser. */
static JsonObject *reply_of(struct fixture *f, const char *line,
			    JsonParser **parser)
{
	g_autofree char *reply = un_control_handle_line(f->d, line, strlen(line));
	g_autoptr(GError) err = NULL;

	assert_null(strchr(reply, '\n'));
	*parser = json_parser_new();
	if (!json_parser_load_from_data(*parser, reply, -1, &err))
		fail_msg("reply '%s' is not JSON: %s", reply, err->message);
	assert_true(JSON_NODE_HOLDS_OBJECT(json_parser_get_root(*parser)));
	return json_node_get_object(json_parser_get_root(*parser));
}

/* Expect an ok reply; returns its result (valid while *parser lives). */
static JsonObject *expect_ok(struct fixture *f, const char *line,
			     JsonParser **parser)
{
	JsonObject *o = reply_of(f, line, parser);

	if (!json_object_get_boolean_member_with_default(o, "ok", FALSE))
		fail_msg("'%s' failed: %s", line,
			 json_object_get_string_member(
				 json_object_get_object_member(o, "error"), "message"));
	return json_object_get_object_member(o, "result");
}

struct bad_row {
	const char *line;
	const char *code;
	const char *message;
};

static const struct bad_row bad_rows[] = {
	{ "not json", "bad-request",
	  "request is not JSON (<data>:1:3: Parse error: unexpected identifier `not', expected value); send one object per line, for example {\"command\": \"list\"}" },
	{ "", "bad-request",
	  "request is empty, not an object; send for example {\"command\": \"list\"}" },
	{ "[\"list\"]", "bad-request",
	  "request is an array, not an object; send for example {\"command\": \"list\"}" },
	{ "\"list\"", "bad-request",
	  "request is a string, not an object; send for example {\"command\": \"list\"}" },
	{ "{}", "bad-request", "missing argument \"command\" (a string)" },
	{ "{\"network\": \"lab\"}", "bad-request", "missing argument \"command\" (a string)" },
	{ "{\"command\": 7}", "bad-request", "argument \"command\" must be a string, not a number" },
	{ "{\"command\": null}", "bad-request", "argument \"command\" must be a string, not null" },
	{ "{\"command\": \"reboot\"}", "unknown-command", "unknown command 'reboot' (known: " KNOWN ")" },
	{ "{\"command\": \"show\"}", "bad-request", "missing argument \"network\" (a string)" },
	{ "{\"command\": \"show\", \"network\": [1]}", "bad-request", "argument \"network\" must be a string, not an array" },
	{ "{\"command\": \"show\", \"network\": true}", "bad-request", "argument \"network\" must be a string, not a boolean" },
	{ "{\"command\": \"stats\", \"network\": {}}", "bad-request", "argument \"network\" must be a string, not an object" },
	{ "{\"command\": \"show\", \"network\": \"nope\"}", "not-found", "no network named 'nope' (list shows the networks)" },
	{ "{\"command\": \"stats\", \"network\": \"nope\"}", "not-found", "no network named 'nope' (list shows the networks)" },
	{ "{\"command\": \"net-add\"}", "bad-request", "missing argument \"spec\" (a string)" },
	{ "{\"command\": \"net-add\", \"spec\": \"internal\"}", "config",
	  "--net 'internal': 'internal' is not KIND:NAME (for example nat:default)" },
	{ "{\"command\": \"net-add\", \"spec\": \"internal:x y\"}", "config",
	  "--net 'internal:x y': network name 'x y' is not valid: use 1-64 letters, digits, '_', '-' or '.', not starting with '.'" },
	{ "{\"command\": \"net-add\", \"spec\": \"internal:x,dhcp=on,dhcp=off\"}", "config",
	  "--net 'internal:x,dhcp=on,dhcp=off': dhcp: given twice; only hostfwd, guestfwd, portfwd, dhcp-host, uplink and dnssearch repeat" },
	{ "{\"command\": \"net-add\", \"spec\": \"internal:x,mtu=70000\"}", "config",
	  "--net 'internal:x,mtu=70000': mtu: '70000' is not a number from 68 to 65520" },
	{ "{\"command\": \"net-add\", \"spec\": \"internal:lab\"}", "busy",
	  "--net 'internal:lab': a network named 'lab' already exists; remove it first or choose another name" },
	{ "{\"command\": \"net-remove\", \"network\": \"nope\"}", "not-found", "no network named 'nope' (list shows the networks)" },
	{ "{\"command\": \"net-remove\", \"network\": 1}", "bad-request", "argument \"network\" must be a string, not a number" },
};

static void test_bad_requests(void **state)
{
	struct fixture *f = *state;

	for (size_t i = 0; i < G_N_ELEMENTS(bad_rows); i++) {
		const struct bad_row *row = &bad_rows[i];
		g_autoptr(JsonParser) p = NULL;
		JsonObject *o = reply_of(f, row->line, &p);
		JsonObject *e = json_object_get_object_member(o, "error");

		if (json_object_get_boolean_member(o, "ok") || !e)
			fail_msg("'%s' was accepted", row->line);
		if (strcmp(json_object_get_string_member(e, "code"), row->code) ||
		    strcmp(json_object_get_string_member(e, "message"), row->message))
			fail_msg("'%s':\n got %s: %s\nwant %s: %s", row->line,
				 json_object_get_string_member(e, "code"),
				 json_object_get_string_member(e, "message"),
				 row->code, row->message);
	}
	/* Nothing a bad request did changed the daemon. */
	assert_int_equal(f->d->networks->len, 1);
}

static void test_id_echoed(void **state)
{
	struct fixture *f = *state;
	g_autoptr(JsonParser) p1 = NULL, p2 = NULL, p3 = NULL;
	JsonObject *ok = reply_of(f, "{\"id\": 42, \"command\": \"list\"}", &p1);
	JsonObject *bad = reply_of(f, "{\"id\": \"x\", \"command\": \"nope\"}", &p2);
	JsonObject *obj = reply_of(f, "{\"id\": {\"a\": [1]}, \"command\": \"show\", \"network\": \"lab\"}", &p3);

	assert_int_equal(json_object_get_int_member(ok, "id"), 42);
	assert_true(json_object_get_boolean_member(ok, "ok"));
	assert_string_equal(json_object_get_string_member(bad, "id"), "x");
	assert_false(json_object_get_boolean_member(bad, "ok"));
	assert_int_equal(json_array_get_int_element(json_object_get_array_member(
		json_object_get_object_member(obj, "id"), "a"), 0), 1);
}

/* An endpoint member of a network object, by transport. */
static const char *endpoint_qemu(JsonObject *net, const char *transport)
{
	JsonArray *eps = json_object_get_array_member(net, "endpoints");

	for (guint i = 0; i < json_array_get_length(eps); i++) {
		JsonObject *e = json_array_get_object_element(eps, i);

		if (!strcmp(json_object_get_string_member(e, "transport"), transport))
			return json_object_get_string_member(e, "qemu");
	}
	return NULL;
}

static void test_list_show_stats(void **state)
{
	struct fixture *f = *state;
	g_autoptr(JsonParser) p1 = NULL, p2 = NULL, p3 = NULL;
	g_autofree char *vde = g_strdup_printf("-netdev vde,id=n0,sock=%s/lab.vde", f->dir);
	JsonObject *list = expect_ok(f, "{\"command\": \"list\"}", &p1);
	JsonObject *show = expect_ok(f, "{\"command\": \"show\", \"network\": \"lab\"}", &p2);
	JsonObject *stats = expect_ok(f, "{\"command\": \"stats\", \"network\": \"lab\"}", &p3);
	JsonArray *nets = json_object_get_array_member(list, "networks");
	JsonObject *lab = json_array_get_object_element(nets, 0);
	g_autoptr(GDateTime) created = NULL;

	assert_int_equal(json_array_get_length(nets), 1);
	assert_string_equal(json_object_get_string_member(lab, "name"), "lab");
	assert_string_equal(json_object_get_string_member(lab, "kind"), "internal");
	assert_int_equal(json_object_get_int_member(lab, "nics"), 0);
	assert_string_equal(endpoint_qemu(lab, "vde"), vde);
	assert_string_equal(json_object_get_string_member(show, "kind"), "internal");
	assert_int_equal(json_object_get_int_member(show, "mtu"), 1400);
	created = g_date_time_new_from_iso8601(
		json_object_get_string_member(show, "created"), NULL);
	assert_non_null(created);
	assert_int_equal(json_array_get_length(json_object_get_array_member(show, "nics")), 0);
	nets = json_object_get_array_member(stats, "networks");
	assert_int_equal(json_array_get_length(nets), 1);
	assert_string_equal(json_object_get_string_member(
		json_array_get_object_element(nets, 0), "name"), "lab");
}

static void test_net_add_remove(void **state)
{
	struct fixture *f = *state;
	g_autoptr(JsonParser) p1 = NULL, p2 = NULL, p3 = NULL, p4 = NULL;
	g_autofree char *stream = g_build_filename(f->dir, "wire.stream", NULL);
	JsonObject *added = expect_ok(f, "{\"command\": \"net-add\", \"spec\": \"internal:wire,mtu=9000\"}", &p1);
	JsonObject *list;

	assert_string_equal(json_object_get_string_member(added, "name"), "wire");
	assert_string_equal(json_object_get_string_member(added, "kind"), "internal");
	assert_non_null(endpoint_qemu(added, "stream"));
	assert_true(g_file_test(stream, G_FILE_TEST_EXISTS));
	list = expect_ok(f, "{\"command\": \"list\"}", &p2);
	assert_int_equal(json_array_get_length(json_object_get_array_member(list, "networks")), 2);
	expect_ok(f, "{\"command\": \"net-remove\", \"network\": \"wire\"}", &p3);
	assert_false(g_file_test(stream, G_FILE_TEST_EXISTS));
	list = expect_ok(f, "{\"command\": \"list\"}", &p4);
	assert_int_equal(json_array_get_length(json_object_get_array_member(list, "networks")), 1);
}

/* Every command the header declares is in the table, once. */
static void test_command_table(void **state)
{
	static const char *const names[] = {
		"list", "show", "stats", "net-add", "net-remove", "fwd-add",
		"fwd-remove", "fwd-list", "capture-start", "capture-stop",
	};
	guint n = 0;

	for (const struct un_control_command *c = un_control_commands; c->name; c++, n++) {
		assert_non_null(c->fn);
		assert_string_equal(c->name, names[n]);
	}
	assert_int_equal(n, G_N_ELEMENTS(names));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_bad_requests, setup, teardown),
		cmocka_unit_test_setup_teardown(test_id_echoed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list_show_stats, setup, teardown),
		cmocka_unit_test_setup_teardown(test_net_add_remove, setup, teardown),
		cmocka_unit_test(test_command_table),
	};

	return cmocka_run_group_tests_name("control", tests, NULL, NULL);
}
