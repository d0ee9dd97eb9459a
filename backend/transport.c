/* SPDX-License-Identifier: GPL-2.0-or-later */
/* transport.c - the table of transports.
 * Owns: which transports exist, the order endpoints are made in, and how
 * an endpoint is shown (its QEMU option or usernet-plug command).
 * Not here: any transport's workings (backend/transport_*.c). */
#include "transport.h"

const struct un_transport_ops *const un_transports[] = {
	&un_transport_vde,
	&un_transport_stream,
	&un_transport_dgram,
	&un_transport_tcp,
	&un_transport_tap,
	NULL,
};

char *un_endpoint_attach_hint(const struct un_endpoint *e)
{
	return e->ops->qemu_option ? e->ops->qemu_option(e) :
				     e->ops->plug_command(e);
}

static void endpoint_member(JsonBuilder *b, const char *name, char *value)
{
	json_builder_set_member_name(b, name);
	json_builder_add_string_value(b, value);
	g_free(value);
}

void un_endpoint_describe(const struct un_endpoint *e, JsonBuilder *b)
{
	endpoint_member(b, "transport", g_strdup(e->ops->name));
	endpoint_member(b, "address", g_strdup(e->address));
	if (e->ops->qemu_option)
		endpoint_member(b, "qemu", e->ops->qemu_option(e));
	if (e->ops->plug_command)
		endpoint_member(b, "plug", e->ops->plug_command(e));
}
