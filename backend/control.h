/* SPDX-License-Identifier: GPL-2.0-or-later */
/* control.h - the control socket DIR/control and its commands.
 * Owns: the request/reply protocol (one JSON object per line both ways,
 * doc/control.md) and the table of commands.
 * Not here: what a command does to a network (each handler's file:
 * control_net.c, control_fwd.c, control_capture.c). */
#ifndef USERNET_CONTROL_H
#define USERNET_CONTROL_H

#include <glib.h>
#include <json-glib/json-glib.h>

#include "daemon.h"

/* Longest request line accepted; longer ones get a "too-large" error and
 * the client is dropped. */
#define UN_CONTROL_LINE_MAX_BYTES 65536u
/* A client that sends nothing, or half a line, for this long is dropped. */
#define UN_CONTROL_IDLE_S 30u

/* A command: reads its arguments from @args (the request object), builds
 * its result into @result (an object already begun: add members), or
 * returns FALSE with @error (UN_ERROR_*: the reply's code is derived from
 * it). */
typedef gboolean (*un_control_fn)(struct un_daemon *d, JsonObject *args,
				  JsonBuilder *result, GError **error);

struct un_control_command {
	const char *name;   /* "list", "show", "fwd-add", ... */
	un_control_fn fn;
	const char *args;   /* for help: "network rule" */
};

/* Every command, NULL-terminated (control.c). */
extern const struct un_control_command un_control_commands[];

/* Handlers, one file per group of commands. */
gboolean un_control_list(struct un_daemon *d, JsonObject *args,
			 JsonBuilder *result, GError **error);
gboolean un_control_show(struct un_daemon *d, JsonObject *args,
			 JsonBuilder *result, GError **error);
gboolean un_control_stats(struct un_daemon *d, JsonObject *args,
			  JsonBuilder *result, GError **error);
gboolean un_control_net_add(struct un_daemon *d, JsonObject *args,
			    JsonBuilder *result, GError **error);
gboolean un_control_net_remove(struct un_daemon *d, JsonObject *args,
			       JsonBuilder *result, GError **error);
gboolean un_control_fwd_add(struct un_daemon *d, JsonObject *args,
			    JsonBuilder *result, GError **error);
gboolean un_control_fwd_remove(struct un_daemon *d, JsonObject *args,
			       JsonBuilder *result, GError **error);
gboolean un_control_fwd_list(struct un_daemon *d, JsonObject *args,
			     JsonBuilder *result, GError **error);
gboolean un_control_capture_start(struct un_daemon *d, JsonObject *args,
				  JsonBuilder *result, GError **error);
gboolean un_control_capture_stop(struct un_daemon *d, JsonObject *args,
				 JsonBuilder *result, GError **error);

/* A required string member of the request; FALSE with a "bad-request"
 * error (UN_ERROR_PROTOCOL) naming it when absent or not a string. */
gboolean un_control_arg_string(JsonObject *args, const char *name,
			       const char **out, GError **error);

/* Handle one request line (without its newline); returns the reply line
 * (newly allocated, without newline). Pure: no sockets; unit-tested. */
char *un_control_handle_line(struct un_daemon *d, const char *line,
			     gsize len);

/* Listen on DIR/control (mode 0600) on the default main context. */
struct un_control;
struct un_control *un_control_new(struct un_daemon *d, GError **error);
/* Stop listening, drop clients, unlink DIR/control. */
void un_control_free(struct un_control *c);

#endif
