/* SPDX-License-Identifier: GPL-2.0-or-later */
/* control_capture.c - the control commands capture-start and
 * capture-stop: a pcap file of a network or of one of its NICs.
 * Owns: their arguments and replies (doc/control.md), finding the NIC.
 * Not here: the file format and when frames are recorded (capture.c). */
#define G_LOG_DOMAIN "usernet-control"

#include "control.h"

#include <string.h>

#include "capture.h"
#include "usernet/error.h"

/* The NIC @name of @n: its full name ("lab/stream-1") or the part after
 * the network's ("stream-1"). */
static struct un_port *capture_port(struct un_network *n, const char *name,
				    GError **error)
{
	size_t nl = strlen(n->name);

	for (guint i = 0; i < n->ports->len; i++) {
		struct un_port *p = g_ptr_array_index(n->ports, i);

		if (strcmp(p->name, name) == 0 ||
		    (strncmp(p->name, n->name, nl) == 0 && p->name[nl] == '/' &&
		     strcmp(p->name + nl + 1, name) == 0))
			return p;
	}
	g_set_error(error, UN_ERROR, UN_ERROR_NOT_FOUND,
		    "network '%s' has no NIC '%s' (see show %s)", n->name, name,
		    n->name);
	return NULL;
}

/* The network of "network" and, with "port", its NIC (*p, else NULL). */
static struct un_network *capture_target(struct un_daemon *d, JsonObject *args,
					 struct un_port **p, GError **error)
{
	const char *name, *port;
	struct un_network *n;

	*p = NULL;
	if (!un_control_arg_string(args, "network", &name, error) ||
	    !(n = un_daemon_lookup(d, name, error)))
		return NULL;
	if (!json_object_has_member(args, "port"))
		return n;
	if (!un_control_arg_string(args, "port", &port, error) ||
	    !(*p = capture_port(n, port, error)))
		return NULL;
	return n;
}

static void capture_reply(JsonBuilder *b, const struct un_network *n,
			  const struct un_port *p, const char *file)
{
	json_builder_set_member_name(b, "network");
	json_builder_add_string_value(b, n->name);
	if (p) {
		json_builder_set_member_name(b, "port");
		json_builder_add_string_value(b, p->name);
	}
	json_builder_set_member_name(b, "file");
	json_builder_add_string_value(b, file);
}

gboolean un_control_capture_start(struct un_daemon *d, JsonObject *args,
				  JsonBuilder *result, GError **error)
{
	struct un_port *p;
	struct un_network *n = capture_target(d, args, &p, error);
	const char *file;

	if (!n || !un_control_arg_string(args, "file", &file, error) ||
	    !un_capture_start(n, p, file, error))
		return FALSE;
	capture_reply(result, n, p, file);
	return TRUE;
}

gboolean un_control_capture_stop(struct un_daemon *d, JsonObject *args,
				 JsonBuilder *result, GError **error)
{
	struct un_port *p;
	struct un_network *n = capture_target(d, args, &p, error);
	g_autofree char *file = NULL;

	if (!n || !(file = un_capture_stop(n, p, error)))
		return FALSE;
	capture_reply(result, n, p, file);
	return TRUE;
}
