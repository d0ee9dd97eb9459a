/* SPDX-License-Identifier: GPL-2.0-or-later */
/* control.c - the control socket DIR/control and its protocol.
 * Owns: the listening socket (mode 0600), its clients, splitting their
 * bytes into request lines, turning each line into a reply line, the
 * table of commands and the error codes (doc/control.md).
 * Not here: what a command does (control_net.c, control_fwd.c,
 * control_capture.c).
 *
 * How it works: one non-blocking unix stream socket on the default main
 * context, no threads. Each client has an input buffer and an output
 * queue. Every complete line is one request, answered in order with one
 * reply line; a client may send many. Bad input:
 * - a line that is not a JSON object, lacks "command" or names an unknown
 *   command gets an error reply; the connection stays;
 * - a line over UN_CONTROL_LINE_MAX_BYTES gets "too-large", then the
 *   client is dropped once the reply is written;
 * - a client that completes no line for the idle time (UN_CONTROL_IDLE_S,
 *   or env USERNET_CONTROL_IDLE_S) is dropped;
 * - a client that does not read its replies: they queue; past
 *   CONTROL_OUT_MAX_BYTES no more requests are read from it until the
 *   queue drains (or the idle timer drops it). Nothing ever blocks. */
#define G_LOG_DOMAIN "usernet-control"

#include "control.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "frame.h"
#include "usernet/error.h"

#define CONTROL_NAME "control"
/* Queued reply bytes above which a client's requests are not read. */
#define CONTROL_OUT_MAX_BYTES (1u << 20)
#define CONTROL_READ_BYTES 16384u

const struct un_control_command un_control_commands[] = {
	{ "list", un_control_list, "" },
	{ "show", un_control_show, "network" },
	{ "stats", un_control_stats, "[network]" },
	{ "net-add", un_control_net_add, "spec" },
	{ "net-remove", un_control_net_remove, "network" },
	{ "fwd-add", un_control_fwd_add, "network rule" },
	{ "fwd-remove", un_control_fwd_remove, "network rule" },
	{ "fwd-list", un_control_fwd_list, "[network]" },
	{ "capture-start", un_control_capture_start, "network [port] file" },
	{ "capture-stop", un_control_capture_stop, "network [port]" },
	{ NULL, NULL, NULL },
};

/* ---- the protocol: one request line, one reply line ------------------- */

/* The reply's "code" for an error from a handler. */
static const char *control_code(const GError *e)
{
	static const char *const codes[] = {
		[UN_ERROR_CONFIG] = "config",       [UN_ERROR_IO] = "io",
		[UN_ERROR_BUSY] = "busy",           [UN_ERROR_PROTOCOL] = "bad-request",
		[UN_ERROR_NOT_FOUND] = "not-found", [UN_ERROR_REFUSED] = "refused",
	};

	if (e->domain == UN_ERROR && e->code >= 0 &&
	    (gsize)e->code < G_N_ELEMENTS(codes) && codes[e->code])
		return codes[e->code];
	return "io";
}

/* "object", "array", "null", "string", "number", "boolean". */
static const char *control_type_name(JsonNode *node)
{
	GType t;

	switch (json_node_get_node_type(node)) {
	case JSON_NODE_OBJECT:
		return "an object";
	case JSON_NODE_ARRAY:
		return "an array";
	case JSON_NODE_NULL:
		return "null";
	case JSON_NODE_VALUE:
		break;
	}
	t = json_node_get_value_type(node);
	if (t == G_TYPE_STRING)
		return "a string";
	return t == G_TYPE_BOOLEAN ? "a boolean" : "a number";
}

gboolean un_control_arg_string(JsonObject *args, const char *name,
			       const char **out, GError **error)
{
	JsonNode *node = json_object_get_member(args, name);

	if (!node) {
		g_set_error(error, UN_ERROR, UN_ERROR_PROTOCOL,
			    "missing argument \"%s\" (a string)", name);
		return FALSE;
	}
	if (!JSON_NODE_HOLDS_VALUE(node) ||
	    json_node_get_value_type(node) != G_TYPE_STRING) {
		g_set_error(error, UN_ERROR, UN_ERROR_PROTOCOL,
			    "argument \"%s\" must be a string, not %s", name,
			    control_type_name(node));
		return FALSE;
	}
	*out = json_node_get_string(node);
	return TRUE;
}

/* Begin a reply object: "id" (when the request had one) and "ok". */
static void control_reply_begin(JsonBuilder *b, JsonNode *id, gboolean ok)
{
	json_builder_begin_object(b);
	if (id) {
		json_builder_set_member_name(b, "id");
		json_builder_add_value(b, json_node_copy(id));
	}
	json_builder_set_member_name(b, "ok");
	json_builder_add_boolean_value(b, ok);
}

/* The reply for a failure: {"id":..., "ok": false, "error": {...}}. */
static JsonNode *control_reply_error(JsonNode *id, const char *code,
				     const char *message)
{
	g_autoptr(JsonBuilder) b = json_builder_new();

	control_reply_begin(b, id, FALSE);
	json_builder_set_member_name(b, "error");
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "code");
	json_builder_add_string_value(b, code);
	json_builder_set_member_name(b, "message");
	json_builder_add_string_value(b, message);
	json_builder_end_object(b);
	json_builder_end_object(b);
	return json_builder_get_root(b);
}

static char *control_node_to_line(JsonNode *node)
{
	g_autoptr(JsonGenerator) gen = json_generator_new();

	json_generator_set_root(gen, node);
	return json_generator_to_data(gen, NULL);
}

static const struct un_control_command *control_find(const char *name)
{
	for (const struct un_control_command *c = un_control_commands; c->name; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

/* "unknown command 'x' (known: list, show, ...)" */
static void control_set_unknown(GError **error, const char *name)
{
	g_autoptr(GString) known = g_string_new(NULL);

	for (const struct un_control_command *c = un_control_commands; c->name; c++)
		g_string_append_printf(known, "%s%s", known->len ? ", " : "", c->name);
	g_set_error(error, UN_ERROR, UN_ERROR_PROTOCOL,
		    "unknown command '%s' (known: %s)", name, known->str);
}

/* Run the command @req names; its reply, or NULL with @error and *@code. */
static JsonNode *control_run(struct un_daemon *d, JsonObject *req,
			     JsonNode *id, const char **code, GError **error)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	const struct un_control_command *cmd;
	const char *name;

	*code = "bad-request";
	if (!un_control_arg_string(req, "command", &name, error))
		return NULL;
	cmd = control_find(name);
	if (!cmd) {
		*code = "unknown-command";
		control_set_unknown(error, name);
		return NULL;
	}
	control_reply_begin(b, id, TRUE);
	json_builder_set_member_name(b, "result");
	json_builder_begin_object(b);
	if (!cmd->fn(d, req, b, error)) {
		if (error && !*error)
			g_set_error(error, UN_ERROR, UN_ERROR_IO,
				    "%s failed for no reason given", name);
		*code = control_code(*error);
		return NULL;
	}
	json_builder_end_object(b);
	json_builder_end_object(b);
	return json_builder_get_root(b);
}

/* The request object of @line, or NULL with a bad-request @error. */
static JsonObject *control_parse(JsonParser *p, const char *line, gsize len,
				 GError **error)
{
	g_autoptr(GError) local = NULL;
	JsonNode *root;

	if (!json_parser_load_from_data(p, line, (gssize)len, &local)) {
		g_set_error(error, UN_ERROR, UN_ERROR_PROTOCOL,
			    "request is not JSON (%s); send one object per line, for example {\"command\": \"list\"}",
			    local->message);
		return NULL;
	}
	root = json_parser_get_root(p);
	if (!root || !JSON_NODE_HOLDS_OBJECT(root)) {
		g_set_error(error, UN_ERROR, UN_ERROR_PROTOCOL,
			    "request is %s, not an object; send for example {\"command\": \"list\"}",
			    root ? control_type_name(root) : "empty");
		return NULL;
	}
	return json_node_get_object(root);
}

char *un_control_handle_line(struct un_daemon *d, const char *line, gsize len)
{
	g_autoptr(JsonParser) p = json_parser_new();
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonNode) reply = NULL;
	const char *code = "bad-request";
	JsonObject *req = control_parse(p, line, len, &error);
	JsonNode *id = req ? json_object_get_member(req, "id") : NULL;

	if (req)
		reply = control_run(d, req, id, &code, &error);
	if (!reply) {
		g_debug("request failed (%s): %s", code, error->message);
		reply = control_reply_error(id, code, error->message);
	}
	return control_node_to_line(reply);
}

/* ---- the socket: clients, lines, timeouts ------------------------------ */

struct un_control {
	struct un_daemon *d;
	char *path;            /* DIR/control, owned */
	int fd;                /* listening */
	struct un_watch *watch;
	GList *clients;        /* struct control_client * */
	guint idle_s;
};

struct control_client {
	struct un_control *c;
	int fd;
	struct un_watch *watch;
	GString *in;           /* bytes of an incomplete line */
	GString *out;          /* reply bytes not yet written */
	gsize out_done;        /* of out, already written */
	GIOCondition cond;     /* what cl->watch polls for */
	guint idle_timer;
	gboolean closing;      /* write what is queued, then drop */
	gboolean lingering;    /* replies written, our side shut: discard
				* input until the peer closes (or idle) */
	char *peer;
};

static void client_free(struct control_client *cl)
{
	struct un_control *c = cl->c;

	c->clients = g_list_remove(c->clients, cl);
	un_watch_free(cl->watch);
	if (cl->idle_timer)
		g_source_remove(cl->idle_timer);
	close(cl->fd);
	g_string_free(cl->in, TRUE);
	g_string_free(cl->out, TRUE);
	g_free(cl->peer);
	g_free(cl);
}

static gboolean client_on_idle(gpointer data)
{
	struct control_client *cl = data;

	g_info("control: %s sent no complete request for %u s; dropped",
	       cl->peer, cl->c->idle_s);
	cl->idle_timer = 0;
	client_free(cl);
	return G_SOURCE_REMOVE;
}

static void client_idle_restart(struct control_client *cl)
{
	if (cl->idle_timer)
		g_source_remove(cl->idle_timer);
	cl->idle_timer = g_timeout_add_seconds(cl->c->idle_s, client_on_idle, cl);
}

/* Write what is queued; FALSE when the client is gone. */
static gboolean client_flush(struct control_client *cl)
{
	while (cl->out_done < cl->out->len) {
		ssize_t n = send(cl->fd, cl->out->str + cl->out_done,
				 cl->out->len - cl->out_done, MSG_NOSIGNAL);

		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			g_debug("control: %s: %s", cl->peer, g_strerror(errno));
			return FALSE;
		}
		cl->out_done += (gsize)n;
	}
	if (cl->out_done == cl->out->len) {
		g_string_truncate(cl->out, 0);
		cl->out_done = 0;
	}
	return TRUE;
}

static void client_on_io(void *opaque, GIOCondition revents);

/* Poll for input unless closing or too much is queued; for output while
 * anything is queued. */
static void client_watch_update(struct control_client *cl)
{
	gboolean full = cl->out->len - cl->out_done > CONTROL_OUT_MAX_BYTES;
	GIOCondition cond = (cl->closing && !cl->lingering) || full ? 0 : G_IO_IN;

	if (cl->out->len > cl->out_done)
		cond |= G_IO_OUT;
	if (cond == cl->cond)
		return;
	cl->cond = cond;
	un_watch_free(cl->watch);
	cl->watch = un_watch_new(cl->fd, cond, client_on_io, cl,
				 "usernet-control-client");
}

static void client_reply(struct control_client *cl, const char *line,
			 gsize len)
{
	g_autofree char *reply = un_control_handle_line(cl->c->d, line, len);

	g_string_append(cl->out, reply);
	g_string_append_c(cl->out, '\n');
}

static void client_too_large(struct control_client *cl)
{
	g_autofree char *msg = g_strdup_printf(
		"request line is over %u bytes; the connection is closed",
		UN_CONTROL_LINE_MAX_BYTES);
	g_autoptr(JsonNode) reply = control_reply_error(NULL, "too-large", msg);
	g_autofree char *line = control_node_to_line(reply);

	g_info("control: %s: %s", cl->peer, msg);
	g_string_append_printf(cl->out, "%s\n", line);
	g_string_truncate(cl->in, 0);
	cl->closing = TRUE;
}

/* Answer every complete line in cl->in; keep the rest. */
static void client_lines(struct control_client *cl)
{
	gsize start = 0;
	char *nl;

	while (!cl->closing &&
	       (nl = memchr(cl->in->str + start, '\n', cl->in->len - start))) {
		gsize len = (gsize)(nl - (cl->in->str + start));

		if (len > UN_CONTROL_LINE_MAX_BYTES) {
			client_too_large(cl);
			return;
		}
		client_reply(cl, cl->in->str + start, len);
		client_idle_restart(cl);
		start += len + 1;
	}
	g_string_erase(cl->in, 0, (gssize)start);
	if (cl->in->len > UN_CONTROL_LINE_MAX_BYTES)
		client_too_large(cl);
}

/* Read what is there; FALSE at end of input or on error. */
static gboolean client_read(struct control_client *cl)
{
	char buf[CONTROL_READ_BYTES];

	for (;;) {
		ssize_t n = recv(cl->fd, buf, sizeof(buf), 0);

		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return TRUE;
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return FALSE;
		g_string_append_len(cl->in, buf, n);
		client_lines(cl);
		if (cl->closing || cl->out->len - cl->out_done > CONTROL_OUT_MAX_BYTES)
			return TRUE;
	}
}

/* The peer closed its side: answer a last line without a newline, then
 * close once the replies are written. */
static void client_eof(struct control_client *cl)
{
	if (cl->in->len > 0 && !cl->closing)
		client_reply(cl, cl->in->str, cl->in->len);
	g_string_truncate(cl->in, 0);
	cl->closing = TRUE;
}

/* Closing a unix socket with unread input resets the peer, which may then
 * lose our last reply (too-large). So once the replies are out, shut our
 * side and discard input until the peer closes; the idle timer bounds it.
 * FALSE: the client can be freed now. */
static gboolean client_linger(struct control_client *cl)
{
	char buf[CONTROL_READ_BYTES];
	ssize_t n;

	if (!cl->lingering) {
		cl->lingering = TRUE;
		if (shutdown(cl->fd, SHUT_WR) < 0)
			return FALSE;
		client_idle_restart(cl);
	}
	while ((n = recv(cl->fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
		;
	return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

static void client_on_io(void *opaque, GIOCondition revents)
{
	struct control_client *cl = opaque;

	if ((revents & (G_IO_IN | G_IO_HUP | G_IO_ERR)) && !cl->closing &&
	    !client_read(cl))
		client_eof(cl);
	if (!client_flush(cl) ||
	    (cl->closing && cl->out->len == 0 && !client_linger(cl))) {
		client_free(cl);
		return;
	}
	client_watch_update(cl);
}

static void control_on_accept(void *opaque, GIOCondition revents)
{
	struct un_control *c = opaque;
	struct control_client *cl;
	int fd = un_accept(c->fd, c->watch, c->path);

	if (fd < 0)
		return;
	cl = g_new0(struct control_client, 1);
	cl->c = c;
	cl->fd = fd;
	cl->in = g_string_new(NULL);
	cl->out = g_string_new(NULL);
	cl->peer = un_peer_describe(fd);
	cl->cond = G_IO_IN;
	cl->watch = un_watch_new(fd, G_IO_IN, client_on_io, cl,
				 "usernet-control-client");
	c->clients = g_list_prepend(c->clients, cl);
	client_idle_restart(cl);
	g_debug("control: %s connected", cl->peer);
}

/* UN_CONTROL_IDLE_S, or USERNET_CONTROL_IDLE_S when it is a number >= 1. */
static guint control_idle_s(void)
{
	const char *env = g_getenv("USERNET_CONTROL_IDLE_S");
	guint64 v;

	if (env && g_ascii_string_to_unsigned(env, 10, 1, 86400, &v, NULL))
		return (guint)v;
	return UN_CONTROL_IDLE_S;
}

struct un_control *un_control_new(struct un_daemon *d, GError **error)
{
	g_autofree char *path = g_build_filename(d->dir, CONTROL_NAME, NULL);
	int fd = un_unix_bind(path, SOCK_STREAM, error);
	struct un_control *c;

	if (fd < 0)
		return NULL;
	if (chmod(path, 0600) < 0 || listen(fd, SOMAXCONN) < 0) {
		g_set_error(error, UN_ERROR, UN_ERROR_IO, "%s: %s", path,
			    g_strerror(errno));
		close(fd);
		g_unlink(path);
		return NULL;
	}
	c = g_new0(struct un_control, 1);
	c->d = d;
	c->path = g_steal_pointer(&path);
	c->fd = fd;
	c->idle_s = control_idle_s();
	c->watch = un_watch_new(fd, G_IO_IN, control_on_accept, c,
				"usernet-control");
	return c;
}

void un_control_free(struct un_control *c)
{
	if (!c)
		return;
	while (c->clients)
		client_free(c->clients->data);
	un_watch_free(c->watch);
	close(c->fd);
	g_unlink(c->path);
	g_free(c->path);
	g_free(c);
}
