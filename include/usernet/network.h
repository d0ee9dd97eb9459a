/* SPDX-License-Identifier: GPL-2.0-or-later */
/* network.h - the API a network kind (plugin) implements.
 * Owns: struct un_kind_ops, the network instance, attach and detach.
 * Not here: endpoints and sockets (backend/transport_*.c), engines
 * (usernet/router.h), loading plugins (backend/network.c). */
#ifndef USERNET_NETWORK_H
#define USERNET_NETWORK_H

#include <glib.h>
#include <json-glib/json-glib.h>

#include "usernet/config.h"
#include "usernet/frame.h"
#include "usernet/port.h"

#define UN_KIND_ABI 3u
/* Each plugin exports one `const struct un_kind_ops un_kind_entry`. */
#define UN_KIND_SYMBOL "un_kind_entry"

struct un_network;

struct un_kind_ops {
	uint32_t abi;        /* UN_KIND_ABI, checked at load */
	const char *name;    /* "nat", "natnet", ... */
	const char *summary; /* one line for --help */
	size_t state_size;   /* sizeof your struct; struct un_network first in it */
	const char *const *keys; /* NULL-terminated keys it accepts, besides
				  * the backend's own (mtu, listen) */
	/* Read the keys, build engines. On failure destroy is still called;
	 * destroy must cope with state that create never filled (all zero). */
	gboolean (*create)(struct un_network *n, const struct un_config *c,
			   GError **error);
	/* A new NIC; FALSE (with @error) refuses it. */
	gboolean (*attach)(struct un_network *n, struct un_port *p, GError **error);
	/* One frame from @from, already size-checked. */
	void (*input)(struct un_network *n, struct un_port *from,
		      const struct un_frame *f);
	void (*detach)(struct un_network *n, struct un_port *p); /* may be NULL */
	void (*destroy)(struct un_network *n);

	/* Optional hooks for run-time control (NULL: not supported). */
	/* Add members to the object being built for `show`: the kind's
	 * options ("options": {...}), "leases": [...], engine facts. */
	void (*describe)(struct un_network *n, JsonBuilder *b);
	/* Add members for one NIC in `show` (e.g. "ip": "10.0.2.15"). */
	void (*describe_port)(struct un_network *n, struct un_port *p,
			      JsonBuilder *b);
	/* Forwards at run time, in the syntaxes the kind accepts. */
	gboolean (*fwd_add)(struct un_network *n, const char *rule,
			    GError **error);
	gboolean (*fwd_remove)(struct un_network *n, const char *rule_or_name,
			       GError **error);
	/* Add one array element per forward: {"rule":..., "name":...}. */
	void (*fwd_list)(struct un_network *n, JsonBuilder *b);
	/* Add the network's own counters for `stats` (e.g.
	 * "host-sockets-refused"); @b is inside the network's object. */
	void (*stats)(struct un_network *n, JsonBuilder *b);
};

/* A network instance; a kind's state struct embeds it as its first member
 * and reaches its own with container_of. */
struct un_network {
	const struct un_kind_ops *kind;
	char *name;          /* owned */
	guint mtu;           /* key "mtu", UN_MTU_DEFAULT when absent */
	char *listen;        /* key "listen" (ADDR:PORT) or NULL, owned */
	GPtrArray *ports;    /* attached ports, borrowed from their transports */
	guint next_port_id;  /* names ports NET/TRANSPORT-N */
	GPtrArray *endpoints; /* the backend's: struct un_endpoint * */
	GPtrArray *captures;  /* the backend's: struct un_capture *, may be NULL */
	const void *capture_input; /* the backend's: frame data being input */
	gint64 created_us;    /* g_get_real_time() at creation */
	guint sendq_frames;   /* key "send-queue-frames": bound per NIC */
	guint sendq_bytes;    /* key "send-queue-bytes" */
};

/* From a transport: join @p to @n (the kind may refuse). On success the
 * port is named and counted in n->ports until un_network_detach. */
gboolean un_network_attach(struct un_network *n, struct un_port *p,
			   const char *transport, GError **error);
/* From a transport, once, before it frees an attached port. */
void un_network_detach(struct un_port *p);

#endif
