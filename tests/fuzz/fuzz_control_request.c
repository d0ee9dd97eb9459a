/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fuzz_control_request.c - one control request line through
 * un_control_handle_line (backend/control.c and its command handlers)
 * against a daemon running a nat network "n0" and a natnet network "n1",
 * each with one forward on loopback.
 * Input: the request line, as the control socket hands it over.
 * Checks: every reply is one JSON object with "ok" (and "error" with
 * "code" and "message" when not ok), on one line.
 * What is not run: commands that would reach outside the process
 * (net-add: a SPEC may name a guestfwd that connects out at once;
 * capture-start: writes a file anywhere; net-remove: removes the fixture)
 * and fwd-add of a rule whose host side is not loopback. The request is
 * parsed with json-glib as control.c parses it to tell which command it
 * is. After a forward was added or removed the daemon is rebuilt, so each
 * input meets the same state. */
#include <arpa/inet.h>
#include <json-glib/json-glib.h>

#include "config.h"
#include "control.h"
#include "daemon.h"
#include "fuzz_util.h"
#include "usernet/router.h"

static struct un_daemon *fz_daemon;

/* A TCP port on 127.0.0.1 nothing listens on now. */
static guint free_port(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	FUZZ_CHECK(fd >= 0 && bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0);
	FUZZ_CHECK(getsockname(fd, (struct sockaddr *)&sin, &len) == 0);
	close(fd);
	return ntohs(sin.sin_port);
}

static void daemon_add(const char *spec)
{
	g_autoptr(GError) err = NULL;
	struct un_netdef *def = un_spec_parse(spec, &err);

	if (!def || !un_daemon_add(fz_daemon, def, &err)) {
		fprintf(stderr, "fuzz: %s: %s\n", spec, err->message);
		abort();
	}
	un_netdef_free(def);
}

static void daemon_build(void)
{
	g_autofree char *nat = g_strdup_printf(
		"nat:n0,restrict=on,hostfwd=tcp:127.0.0.1:%u-:22", free_port());
	g_autofree char *natnet = g_strdup_printf(
		"natnet:n1,restrict=on,portfwd=ssh:tcp:[127.0.0.1]:%u:[10.0.2.15]:22",
		free_port());

	fz_daemon = un_daemon_new(fuzz_tmp(), NULL);
	daemon_add(nat);
	daemon_add(natnet);
}

/* TRUE when @rule's host side (either syntax) is loopback or it parses
 * as neither: binding it stays on this machine. */
static gboolean rule_is_loopback(const char *rule)
{
	struct un_hostfwd fwd;
	gboolean ok = TRUE;

	for (int syntax = 0; syntax < 2 && ok; syntax++) {
		if (!(syntax ? un_portfwd_parse(rule, &fwd, NULL) :
			       un_hostfwd_parse(rule, &fwd, NULL)))
			continue;
		if (fwd.host.ss_family == AF_INET)
			ok = ntohl(((struct sockaddr_in *)&fwd.host)->sin_addr.s_addr) >> 24 == 127;
		else if (fwd.host.ss_family == AF_INET6)
			ok = IN6_IS_ADDR_LOOPBACK(&((struct sockaddr_in6 *)&fwd.host)->sin6_addr);
		else
			ok = FALSE;
		un_hostfwd_clear(&fwd);
	}
	return ok;
}

/* The string member @name of @o, or NULL. */
static const char *member_string(JsonObject *o, const char *name)
{
	JsonNode *n = json_object_get_member(o, name);

	if (!n || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING)
		return NULL;
	return json_node_get_string(n);
}

/* Whether the request may run here; *@changes: it may add or remove a
 * forward. */
static gboolean request_allowed(const char *line, size_t len, gboolean *changes)
{
	g_autoptr(JsonParser) p = json_parser_new();
	static const char *const refused[] = { "net-add", "net-remove",
					       "capture-start", "capture-stop" };
	JsonObject *o;
	const char *cmd, *rule;

	*changes = FALSE;
	if (!json_parser_load_from_data(p, line, (gssize)len, NULL) ||
	    !json_parser_get_root(p) || !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p)))
		return TRUE;
	o = json_node_get_object(json_parser_get_root(p));
	cmd = member_string(o, "command");
	if (!cmd)
		return TRUE;
	for (size_t i = 0; i < G_N_ELEMENTS(refused); i++)
		if (strcmp(cmd, refused[i]) == 0)
			return FALSE;
	*changes = g_str_has_prefix(cmd, "fwd-");
	rule = member_string(o, "rule");
	return strcmp(cmd, "fwd-add") != 0 || !rule || rule_is_loopback(rule);
}

static void check_reply(const char *reply)
{
	g_autoptr(JsonParser) p = json_parser_new();
	JsonObject *o, *e;

	FUZZ_CHECK(reply != NULL && strchr(reply, '\n') == NULL);
	FUZZ_CHECK(json_parser_load_from_data(p, reply, -1, NULL));
	FUZZ_CHECK(JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p)));
	o = json_node_get_object(json_parser_get_root(p));
	FUZZ_CHECK(json_object_has_member(o, "ok"));
	if (json_object_get_boolean_member(o, "ok"))
		return;
	e = json_object_get_object_member(o, "error");
	FUZZ_CHECK(e != NULL && member_string(e, "code") && member_string(e, "message"));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *line = (const char *)data;
	g_autofree char *reply = NULL;
	gboolean changes;

	if (size > UN_CONTROL_LINE_MAX_BYTES || memchr(data, '\n', size) ||
	    !request_allowed(line, size, &changes))
		return 0;
	reply = un_control_handle_line(fz_daemon, line, size);
	check_reply(reply);
	fuzz_loop_run();
	if (changes && strstr(reply, "\"ok\":true")) {
		un_daemon_free(fz_daemon);
		fuzz_loop_run();
		daemon_build();
	}
	return 0;
}

static void daemon_free_at_exit(void)
{
	g_clear_pointer(&fz_daemon, un_daemon_free);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_quiet_logs();
	fuzz_plugin_path();
	fuzz_isolate_net();
	daemon_build();
	atexit(daemon_free_at_exit);
	return 0;
}
