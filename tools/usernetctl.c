/* SPDX-License-Identifier: GPL-2.0-or-later */
/* usernetctl.c - talk to a running usernetd through DIR/control.
 * Owns: the command line (words to one request, doc/control.md), sending
 * it, and showing the reply: tables for people, the raw result with
 * --json. Not here: what commands do (backend/control*.c).
 *
 * How it works: one blocking connection, one request line, one reply
 * line. Exit 0 on "ok": true, 1 on an error reply or when the daemon
 * cannot be reached (message on stderr), 2 on a usage error. */
#define G_LOG_DOMAIN "usernetctl"

#include <errno.h>
#include <json-glib/json-glib.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "frame.h"
#include "rundir.h"
#include "usernet/error.h"

#define CTL_EXIT_USAGE 2
/* A reply may be large (show of a busy network); refuse absurd ones. */
#define CTL_REPLY_MAX_BYTES (64u << 20)

struct ctl_options {
	char *dir;
	gboolean json;
};

/* One command line form: WORDS ARGS... -> a request. */
struct ctl_command {
	const char *words;   /* "fwd add" */
	const char *usage;   /* "NET RULE" */
	guint min_args, max_args;
	/* Add the request's members (after "command") from @args. */
	void (*build)(JsonBuilder *b, char **args);
	const char *command; /* the protocol's name */
	void (*print)(JsonObject *result);
};

/* ---- printing ----------------------------------------------------------- */

/* A cell: strings as they are, null as "-", the rest as compact JSON. */
static char *ctl_cell(JsonNode *node)
{
	g_autoptr(JsonGenerator) gen = NULL;

	if (!node || JSON_NODE_HOLDS_NULL(node))
		return g_strdup("-");
	if (JSON_NODE_HOLDS_VALUE(node) &&
	    json_node_get_value_type(node) == G_TYPE_STRING)
		return g_strdup(json_node_get_string(node));
	gen = json_generator_new();
	json_generator_set_root(gen, node);
	return json_generator_to_data(gen, NULL);
}

static char *ctl_member_cell(JsonObject *o, const char *name)
{
	return ctl_cell(json_object_get_member(o, name));
}

/* The column names: @cols, or every member of the rows in first-seen order. */
static GPtrArray *ctl_columns(JsonArray *rows, const char *const *cols)
{
	GPtrArray *names = g_ptr_array_new_with_free_func(g_free);

	for (; cols && *cols; cols++)
		g_ptr_array_add(names, g_strdup(*cols));
	for (guint r = 0; !cols && r < json_array_get_length(rows); r++) {
		JsonObject *o = json_array_get_object_element(rows, r);
		g_autoptr(GList) members = o ? json_object_get_members(o) : NULL;

		for (GList *m = members; m; m = m->next)
			if (!g_ptr_array_find_with_equal_func(names, m->data,
							      g_str_equal, NULL))
				g_ptr_array_add(names, g_strdup(m->data));
	}
	return names;
}

/* Rows of objects as aligned columns, headers upper-cased. */
static void ctl_table(JsonArray *rows, const char *const *cols,
		      const char *indent)
{
	g_autoptr(GPtrArray) names = ctl_columns(rows, cols);
	guint nr = json_array_get_length(rows), nc = names->len;
	g_autoptr(GPtrArray) cells = g_ptr_array_new_with_free_func(g_free);
	g_autofree gsize *width = g_new0(gsize, nc);

	for (guint c = 0; c < nc; c++)
		g_ptr_array_add(cells, g_ascii_strup(names->pdata[c], -1));
	for (guint r = 0; r < nr; r++)
		for (guint c = 0; c < nc; c++)
			g_ptr_array_add(cells, ctl_member_cell(
				json_array_get_object_element(rows, r), names->pdata[c]));
	for (guint i = 0; i < cells->len; i++)
		width[i % nc] = MAX(width[i % nc], strlen(cells->pdata[i]));
	for (guint i = 0; i < cells->len; i++) {
		gboolean last = i % nc == nc - 1;

		printf("%s%-*s%s", i % nc ? "" : indent,
		       last ? 0 : (int)width[i % nc] + 2, (char *)cells->pdata[i],
		       last ? "\n" : "");
	}
}

static gboolean ctl_is_table(JsonNode *node)
{
	JsonArray *a;

	if (!JSON_NODE_HOLDS_ARRAY(node))
		return FALSE;
	a = json_node_get_array(node);
	return json_array_get_length(a) > 0 &&
	       JSON_NODE_HOLDS_OBJECT(json_array_get_element(a, 0));
}

/* Every member not in @skip: "key: value", or "key:" and a table. */
static void ctl_members(JsonObject *o, const char *const *skip,
			const char *indent)
{
	g_autoptr(GList) members = json_object_get_members(o);

	for (GList *m = members; m; m = m->next) {
		JsonNode *node = json_object_get_member(o, m->data);
		g_autofree char *cell = NULL;

		if (skip && g_strv_contains(skip, m->data))
			continue;
		if (ctl_is_table(node)) {
			printf("%s%s:\n", indent, (char *)m->data);
			ctl_table(json_node_get_array(node), NULL, "  ");
			continue;
		}
		cell = ctl_cell(node);
		printf("%s%s: %s\n", indent, (char *)m->data, cell);
	}
}

static void ctl_print_generic(JsonObject *result)
{
	ctl_members(result, NULL, "");
}

static JsonArray *ctl_array(JsonObject *o, const char *name)
{
	JsonNode *node = json_object_get_member(o, name);

	return node && JSON_NODE_HOLDS_ARRAY(node) ? json_node_get_array(node)
						   : NULL;
}

/* "vde stream dgram" from a network's endpoints, into "endpoints". */
static void ctl_flatten_endpoints(JsonObject *net)
{
	JsonArray *eps = ctl_array(net, "endpoints");
	g_autoptr(GString) s = g_string_new(NULL);

	for (guint i = 0; eps && i < json_array_get_length(eps); i++) {
		JsonObject *e = json_array_get_object_element(eps, i);

		g_string_append_printf(s, "%s%s", s->len ? " " : "",
				       json_object_get_string_member(e, "transport"));
	}
	json_object_set_string_member(net, "endpoints", s->str);
}

static void ctl_print_list(JsonObject *result)
{
	static const char *const cols[] = { "name", "kind", "subnet", "nics",
					    "endpoints", NULL };
	JsonArray *nets = ctl_array(result, "networks");

	for (guint i = 0; nets && i < json_array_get_length(nets); i++)
		ctl_flatten_endpoints(json_array_get_object_element(nets, i));
	if (nets && json_array_get_length(nets))
		ctl_table(nets, cols, "");
	else
		printf("no networks\n");
}

/* Counters of one NIC as flat members: drops as "reason=N ..." or 0. */
static void ctl_flatten_counters(JsonObject *nic, JsonObject *counters)
{
	static const char *const keys[] = { "rx_frames", "rx_bytes", "tx_frames",
					    "tx_bytes", NULL };
	JsonObject *drops = json_object_get_object_member(counters, "drops");
	g_autoptr(GList) reasons = drops ? json_object_get_members(drops) : NULL;
	g_autoptr(GString) s = g_string_new(NULL);

	for (const char *const *k = keys; *k; k++)
		json_object_set_int_member(nic, *k,
					   json_object_get_int_member(counters, *k));
	for (GList *r = reasons; r; r = r->next) {
		gint64 v = json_object_get_int_member(drops, r->data);

		if (v)
			g_string_append_printf(s, "%s%s=%" G_GINT64_FORMAT,
					       s->len ? " " : "", (char *)r->data, v);
	}
	json_object_set_string_member(nic, "drops", s->len ? s->str : "0");
}

/* Each NIC's "counters" object becomes flat members. */
static void ctl_flatten_nics(JsonArray *nics)
{
	for (guint i = 0; nics && i < json_array_get_length(nics); i++) {
		JsonObject *nic = json_array_get_object_element(nics, i);
		JsonObject *k = json_object_get_object_member(nic, "counters");

		if (!k)
			continue;
		json_object_ref(k);
		json_object_remove_member(nic, "counters");
		ctl_flatten_counters(nic, k);
		json_object_unref(k);
	}
}

static void ctl_print_endpoints(JsonObject *net)
{
	JsonArray *eps = ctl_array(net, "endpoints");

	printf("endpoints:\n");
	for (guint i = 0; eps && i < json_array_get_length(eps); i++) {
		JsonObject *e = json_array_get_object_element(eps, i);
		const char *how = json_object_get_string_member_with_default(
			e, "qemu", NULL);

		if (!how)
			how = json_object_get_string_member_with_default(e, "plug", "");
		printf("  %-7s %s\n", json_object_get_string_member(e, "transport"),
		       how);
	}
}

static void ctl_print_show(JsonObject *result)
{
	static const char *const skip[] = { "name", "kind", "mtu", "created",
					    "endpoints", "nics", NULL };
	JsonArray *nics = ctl_array(result, "nics");
	g_autofree char *mtu = ctl_member_cell(result, "mtu");

	printf("%s (%s), mtu %s, created %s\n",
	       json_object_get_string_member(result, "name"),
	       json_object_get_string_member(result, "kind"), mtu,
	       json_object_get_string_member(result, "created"));
	ctl_print_endpoints(result);
	ctl_members(result, skip, "");
	ctl_flatten_nics(nics);
	if (nics && json_array_get_length(nics)) {
		printf("nics:\n");
		ctl_table(nics, NULL, "  ");
	} else {
		printf("nics: none attached\n");
	}
}

/* "NET: clients dropped for bad input: vde 2, tap 1" when any were. */
static void ctl_print_clients_dropped(JsonObject *net)
{
	JsonObject *cd = json_object_has_member(net, "clients-dropped") ?
		json_object_get_object_member(net, "clients-dropped") : NULL;
	g_autoptr(GList) names = cd ? json_object_get_members(cd) : NULL;
	g_autoptr(GString) line = g_string_new(NULL);

	for (GList *l = names; l; l = l->next) {
		gint64 n = json_object_get_int_member(cd, l->data);

		if (n > 0)
			g_string_append_printf(line, "%s%s %" G_GINT64_FORMAT,
					       line->len ? ", " : "",
					       (const char *)l->data, n);
	}
	if (line->len)
		printf("%s: clients dropped for bad input: %s\n",
		       json_object_get_string_member(net, "name"), line->str);
}

static void ctl_print_stats(JsonObject *result)
{
	static const char *const cols[] = { "network", "nic", "rx_frames",
		"rx_bytes", "tx_frames", "tx_bytes", "drops", NULL };
	JsonArray *nets = ctl_array(result, "networks");
	g_autoptr(JsonArray) rows = json_array_new();

	for (guint i = 0; nets && i < json_array_get_length(nets); i++) {
		JsonObject *net = json_array_get_object_element(nets, i);
		JsonArray *nics = ctl_array(net, "nics");

		for (guint j = 0; nics && j < json_array_get_length(nics); j++) {
			JsonObject *nic = json_array_get_object_element(nics, j);
			JsonObject *row = json_object_new();

			json_object_set_string_member(row, "network",
				json_object_get_string_member(net, "name"));
			json_object_set_string_member(row, "nic",
				json_object_get_string_member(nic, "name"));
			ctl_flatten_counters(row, nic);
			json_array_add_object_element(rows, row);
		}
		if (json_object_has_member(net, "router-port")) {
			JsonObject *rp = json_object_get_object_member(net, "router-port");
			JsonObject *row = json_object_new();

			json_object_set_string_member(row, "network",
				json_object_get_string_member(net, "name"));
			json_object_set_string_member(row, "nic",
				json_object_get_string_member(rp, "name"));
			ctl_flatten_counters(row, rp);
			json_array_add_object_element(rows, row);
		}
	}
	if (json_array_get_length(rows))
		ctl_table(rows, cols, "");
	else
		printf("no NICs attached\n");
	for (guint i = 0; nets && i < json_array_get_length(nets); i++) {
		JsonObject *net = json_array_get_object_element(nets, i);

		if (json_object_has_member(net, "host-sockets-refused"))
			printf("%s: host-sockets %" G_GINT64_FORMAT " (refused %" G_GINT64_FORMAT "), fragments-held %" G_GINT64_FORMAT "\n",
			       json_object_get_string_member(net, "name"),
			       json_object_get_int_member(net, "host-sockets"),
			       json_object_get_int_member(net, "host-sockets-refused"),
			       json_object_get_int_member(net, "fragments-held"));
		ctl_print_clients_dropped(net);
	}
}

/* One row per forward: its network first, then the kind's members. */
static void ctl_print_fwd_list(JsonObject *result)
{
	JsonArray *nets = ctl_array(result, "networks");
	g_autoptr(JsonArray) rows = json_array_new();

	for (guint i = 0; nets && i < json_array_get_length(nets); i++) {
		JsonObject *net = json_array_get_object_element(nets, i);
		JsonArray *fwds = ctl_array(net, "forwards");

		for (guint j = 0; fwds && j < json_array_get_length(fwds); j++) {
			JsonObject *fwd = json_array_get_object_element(fwds, j);
			JsonObject *row = json_object_new();
			g_autoptr(GList) members = json_object_get_members(fwd);

			json_object_set_string_member(row, "network",
				json_object_get_string_member(net, "name"));
			for (GList *m = members; m; m = m->next)
				json_object_set_member(row, m->data, json_node_copy(
					json_object_get_member(fwd, m->data)));
			json_array_add_object_element(rows, row);
		}
	}
	if (json_array_get_length(rows))
		ctl_table(rows, NULL, "");
	else
		printf("no forwards\n");
}

static void ctl_print_net_add(JsonObject *result)
{
	printf("%s (%s) added\n", json_object_get_string_member(result, "name"),
	       json_object_get_string_member(result, "kind"));
	ctl_print_endpoints(result);
}

static void ctl_print_net_rm(JsonObject *result)
{
	printf("%s removed\n", json_object_get_string_member(result, "name"));
}

/* ---- requests ----------------------------------------------------------- */

static void ctl_member(JsonBuilder *b, const char *name, const char *value)
{
	json_builder_set_member_name(b, name);
	json_builder_add_string_value(b, value);
}

static void ctl_build_none(JsonBuilder *b, char **args)
{
}

static void ctl_build_net(JsonBuilder *b, char **args)
{
	if (args[0])
		ctl_member(b, "network", args[0]);
}

static void ctl_build_net_rule(JsonBuilder *b, char **args)
{
	ctl_member(b, "network", args[0]);
	ctl_member(b, "rule", args[1]);
}

static void ctl_build_spec(JsonBuilder *b, char **args)
{
	ctl_member(b, "spec", args[0]);
}

/* NET or NET/PORT: "network", and "port" (the NIC's full name) when given. */
static void ctl_build_target(JsonBuilder *b, char **args)
{
	const char *slash = strchr(args[0], '/');
	g_autofree char *net = slash ? g_strndup(args[0], slash - args[0])
				     : g_strdup(args[0]);

	ctl_member(b, "network", net);
	if (slash)
		ctl_member(b, "port", args[0]);
	if (args[1]) {
		/* The daemon has its own working directory. */
		g_autofree char *file = g_canonicalize_filename(args[1], NULL);

		ctl_member(b, "file", file);
	}
}

static const struct ctl_command ctl_commands[] = {
	{ "list", "", 0, 0, ctl_build_none, "list", ctl_print_list },
	{ "show", "NET", 1, 1, ctl_build_net, "show", ctl_print_show },
	{ "stats", "[NET]", 0, 1, ctl_build_net, "stats", ctl_print_stats },
	{ "fwd add", "NET RULE", 2, 2, ctl_build_net_rule, "fwd-add", ctl_print_generic },
	{ "fwd rm", "NET RULE|NAME", 2, 2, ctl_build_net_rule, "fwd-remove", ctl_print_generic },
	{ "fwd list", "[NET]", 0, 1, ctl_build_net, "fwd-list", ctl_print_fwd_list },
	{ "net add", "SPEC", 1, 1, ctl_build_spec, "net-add", ctl_print_net_add },
	{ "net rm", "NAME", 1, 1, ctl_build_net, "net-remove", ctl_print_net_rm },
	{ "capture start", "NET|NET/PORT FILE.pcap", 2, 2, ctl_build_target, "capture-start", ctl_print_generic },
	{ "capture stop", "NET|NET/PORT", 1, 1, ctl_build_target, "capture-stop", ctl_print_generic },
};

/* The command whose words start @argv; *@used says how many words. */
static const struct ctl_command *ctl_find(int argc, char **argv, int *used)
{
	for (size_t i = 0; i < G_N_ELEMENTS(ctl_commands); i++) {
		g_auto(GStrv) words = g_strsplit(ctl_commands[i].words, " ", -1);
		int n = (int)g_strv_length(words), w = 0;

		while (w < n && w < argc && strcmp(words[w], argv[w]) == 0)
			w++;
		if (w == n) {
			*used = n;
			return &ctl_commands[i];
		}
	}
	return NULL;
}

static char *ctl_request(const struct ctl_command *cmd, char **args)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autoptr(JsonGenerator) gen = json_generator_new();
	g_autoptr(JsonNode) root = NULL;

	json_builder_begin_object(b);
	ctl_member(b, "command", cmd->command);
	cmd->build(b, args);
	json_builder_end_object(b);
	root = json_builder_get_root(b);
	json_generator_set_root(gen, root);
	return json_generator_to_data(gen, NULL);
}

/* ---- the connection ----------------------------------------------------- */

static int ctl_connect(const char *dir, GError **error)
{
	g_autofree char *path = g_build_filename(dir, "control", NULL);
	struct sockaddr_un sun;
	socklen_t len;
	int fd;

	if (!un_sockaddr_un_fill(&sun, &len, path, error))
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sun, len) == 0)
		return fd;
	g_set_error(error, UN_ERROR, UN_ERROR_IO,
		    "cannot connect to %s: %s (is usernetd running with -d %s?)",
		    path, g_strerror(errno), dir);
	if (fd >= 0)
		close(fd);
	return -1;
}

static gboolean ctl_write_all(int fd, const char *buf, gsize len,
			      GError **error)
{
	while (len > 0) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			g_set_error(error, UN_ERROR, UN_ERROR_IO,
				    "sending the request: %s", g_strerror(errno));
			return FALSE;
		}
		buf += n;
		len -= (gsize)n;
	}
	return TRUE;
}

/* Read up to the first newline; the line without it, newly allocated. */
static char *ctl_read_line(int fd, GError **error)
{
	g_autoptr(GString) s = g_string_new(NULL);
	char buf[4096];

	while (!memchr(s->str, '\n', s->len) && s->len < CTL_REPLY_MAX_BYTES) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			g_set_error(error, UN_ERROR, UN_ERROR_IO,
				    "usernetd closed the connection without a reply%s%s",
				    n < 0 ? ": " : "", n < 0 ? g_strerror(errno) : "");
			return NULL;
		}
		g_string_append_len(s, buf, n);
	}
	g_string_truncate(s, strcspn(s->str, "\n"));
	return g_string_free(g_steal_pointer(&s), FALSE);
}

/* Send @request to DIR/control; the reply line, or NULL with @error. */
static char *ctl_exchange(const char *dir, const char *request, GError **error)
{
	g_autofree char *line = g_strdup_printf("%s\n", request);
	int fd = ctl_connect(dir, error);
	char *reply = NULL;

	if (fd < 0)
		return NULL;
	if (ctl_write_all(fd, line, strlen(line), error))
		reply = ctl_read_line(fd, error);
	close(fd);
	return reply;
}

/* ---- main --------------------------------------------------------------- */

/* Print @reply's result (or its error on stderr); the exit status. */
static int ctl_show_reply(const struct ctl_command *cmd, const char *reply,
			  gboolean json)
{
	g_autoptr(JsonParser) p = json_parser_new();
	JsonObject *o, *err, *result;

	if (!json_parser_load_from_data(p, reply, -1, NULL) ||
	    !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p))) {
		fprintf(stderr, "usernetctl: not a reply: %s\n", reply);
		return EXIT_FAILURE;
	}
	o = json_node_get_object(json_parser_get_root(p));
	if (!json_object_get_boolean_member_with_default(o, "ok", FALSE)) {
		err = json_object_get_object_member(o, "error");
		fprintf(stderr, "usernetctl: %s (%s)\n",
			err ? json_object_get_string_member_with_default(err, "message", "?") : reply,
			err ? json_object_get_string_member_with_default(err, "code", "?") : "?");
		return EXIT_FAILURE;
	}
	result = json_object_get_object_member(o, "result");
	if (json) {
		g_autoptr(JsonGenerator) gen = json_generator_new();
		g_autofree char *text = NULL;

		json_generator_set_pretty(gen, TRUE);
		json_generator_set_root(gen, json_object_get_member(o, "result"));
		text = json_generator_to_data(gen, NULL);
		printf("%s\n", text);
	} else if (result) {
		cmd->print(result);
	}
	return EXIT_SUCCESS;
}

static const char ctl_description[] =
	"Commands:\n"
	"  list                              networks: kind, subnet, NICs, endpoints\n"
	"  show NET                          a network: options, forwards, NICs, leases\n"
	"  stats [NET]                       frames, bytes, drops by reason, per NIC\n"
	"  fwd add NET RULE                  add a port forward (hostfwd or portfwd syntax)\n"
	"  fwd rm NET RULE|NAME              remove a forward\n"
	"  fwd list [NET]                    list forwards\n"
	"  net add SPEC                      create a network (SPEC as usernetd -n)\n"
	"  net rm NAME                       destroy a network; its NICs are detached\n"
	"  capture start NET|NET/PORT FILE   write a network's or one NIC's frames to a pcap file\n"
	"  capture stop NET|NET/PORT         stop that capture\n"
	"\n"
	"Exit status: 0 done, 1 usernetd said no (message on stderr) or is not\n"
	"running, 2 usage error. The protocol is in doc/control.md.\n"
	"\n"
	"Examples:\n"
	"  usernetctl list\n"
	"  usernetctl show lab\n"
	"  usernetctl --json stats lab\n"
	"  usernetctl fwd add vm1 tcp::2222-:22\n"
	"  usernetctl fwd add lab ssh:tcp:[]:2222:[10.0.2.15]:22\n"
	"  usernetctl fwd rm lab ssh\n"
	"  usernetctl net add natnet:lab2,net=10.9.0.0/24\n"
	"  usernetctl net rm lab2\n"
	"  usernetctl capture start lab/stream-1 /tmp/lab.pcap\n"
	"  usernetctl capture stop lab/stream-1";

static gboolean ctl_options_parse(int *argc, char ***argv,
				  struct ctl_options *o, GError **error)
{
	const GOptionEntry entries[] = {
		{ "dir", 'd', 0, G_OPTION_ARG_FILENAME, &o->dir,
		  "usernetd's directory (default $XDG_RUNTIME_DIR/usernet, else /tmp/usernet-UID)", "DIR" },
		{ "json", 0, 0, G_OPTION_ARG_NONE, &o->json,
		  "Print the reply's result as JSON", NULL },
		{ NULL }
	};
	g_autoptr(GOptionContext) ctx = g_option_context_new(
		"COMMAND [ARG...] - control a running usernetd");

	g_option_context_add_main_entries(ctx, entries, NULL);
	g_option_context_set_description(ctx, ctl_description);
	g_option_context_set_strict_posix(ctx, TRUE);
	return g_option_context_parse(ctx, argc, argv, error);
}

/* The command of @argv (after options), or NULL after a usage message. */
static const struct ctl_command *ctl_command_of(int argc, char **argv,
						int *used)
{
	const struct ctl_command *cmd = ctl_find(argc, argv, used);
	int nargs = argc - *used;

	if (argc == 0) {
		fprintf(stderr, "usernetctl: no command (try --help)\n");
		return NULL;
	}
	if (!cmd) {
		fprintf(stderr, "usernetctl: unknown command '%s' (try --help)\n",
			argv[0]);
		return NULL;
	}
	if (nargs < (int)cmd->min_args || nargs > (int)cmd->max_args) {
		fprintf(stderr, "usernetctl: usage: usernetctl %s %s\n",
			cmd->words, cmd->usage);
		return NULL;
	}
	return cmd;
}

/* Everything after signal set-up; @o's members are freed by main. */
static int ctl_main(int argc, char **argv, struct ctl_options *o)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *dir = NULL, *request = NULL, *reply = NULL;
	const struct ctl_command *cmd;
	int used = 0;

	if (!ctl_options_parse(&argc, &argv, o, &error)) {
		fprintf(stderr, "usernetctl: %s (try --help)\n", error->message);
		return CTL_EXIT_USAGE;
	}
	cmd = ctl_command_of(argc - 1, argv + 1, &used);
	if (!cmd)
		return CTL_EXIT_USAGE;
	dir = o->dir ? g_strdup(o->dir) : un_rundir_default();
	request = ctl_request(cmd, argv + 1 + used);
	reply = ctl_exchange(dir, request, &error);
	if (!reply) {
		fprintf(stderr, "usernetctl: %s\n", error->message);
		return EXIT_FAILURE;
	}
	return ctl_show_reply(cmd, reply, o->json);
}

int main(int argc, char **argv)
{
	struct ctl_options o = { 0 };
	int status;

	signal(SIGPIPE, SIG_IGN);
	status = ctl_main(argc, argv, &o);
	g_free(o.dir);
	return status;
}
