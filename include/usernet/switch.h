/* SPDX-License-Identifier: GPL-2.0-or-later */
/* switch.h - the L2 learning switch engine that switched kinds (natnet,
 * hostonly, internal) build on.
 * Owns: which of a switch's ports a frame goes to, the MAC table (cap,
 * ageing, moves), engine ports (a port whose frames go to a function).
 * Not here: attaching NICs (backend/network.c), what an engine does with
 * its frames (router, DHCP server, uplink). */
#ifndef USERNET_SWITCH_H
#define USERNET_SWITCH_H

#include <glib.h>

#include "usernet/config.h"
#include "usernet/frame.h"
#include "usernet/port.h"

/* The keys un_switch_config_parse reads, for a kind's key list. */
#define UN_SWITCH_KEYS "mac-table-size"

#define UN_SWITCH_TABLE_DEFAULT 4096u
#define UN_SWITCH_TABLE_MAX (1u << 20)
#define UN_SWITCH_AGEING_DEFAULT_S 300u

struct un_switch_config {
	guint table_max; /* MAC table entries; key "mac-table-size" */
	guint ageing_s;  /* an entry not refreshed for this long is forgotten */
	/* The clock, in microseconds; NULL: g_get_monotonic_time. Tests
	 * set it to move time. */
	gint64 (*now_us)(void);
};

/* Defaults (UN_SWITCH_TABLE_DEFAULT, UN_SWITCH_AGEING_DEFAULT_S), then
 * UN_SWITCH_KEYS from @c. FALSE with @error naming the key. */
gboolean un_switch_config_parse(struct un_switch_config *sc,
				const struct un_config *c, GError **error);

struct un_switch;

/* A switch with no ports. @name (copied) is used in log lines. Free with
 * un_switch_free, after removing its ports or not (it borrows them). */
struct un_switch *un_switch_new(const struct un_switch_config *sc,
				const char *name);
void un_switch_free(struct un_switch *sw);

/* Add @p (borrowed until un_switch_remove_port): a NIC from a kind's
 * attach, or an engine port. A port is on at most one switch. */
void un_switch_add_port(struct un_switch *sw, struct un_port *p);
/* Remove @p and forget every MAC learnt on it. No-op if it is not on. */
void un_switch_remove_port(struct un_switch *sw, struct un_port *p);

/* One frame from @from (on the switch; size already checked), sent with
 * un_port_send to where its destination was learnt, else to every other
 * port. Never back to @from. With exactly two ports: to the other one,
 * without learning. Drops are counted on @from: a multicast or zero
 * source MAC (malformed), nowhere to go (no-peer), a source MAC that the
 * full table could not learn (table-full; the frame still goes out).
 * A port's send must not add or remove ports of this switch; it may feed
 * a frame back in (an engine answering at once). */
void un_switch_input(struct un_switch *sw, struct un_port *from,
		     const struct un_frame *f);

/* The port @mac was learnt on and has not aged out, or NULL. */
struct un_port *un_switch_lookup(struct un_switch *sw,
				 const uint8_t mac[UN_MAC_BYTES]);
/* MAC table entries held now (aged ones not yet swept included). */
guint un_switch_table_len(const struct un_switch *sw);
guint un_switch_port_count(const struct un_switch *sw);

/* What the MAC table holds and what it could not do, since the start. */
struct un_switch_counters {
	guint entries, table_max;
	guint64 flooded;    /* unicast to an unknown MAC, sent to every port */
	guint64 not_learnt; /* frames whose source MAC a full table refused */
};
struct un_switch_counters un_switch_counters(const struct un_switch *sw);

/* ---- engine ports -------------------------------------------------------- */

/* Where an engine port's frames go: the engine's input. */
typedef void (*un_engine_port_fn)(void *opaque, const struct un_frame *f);

/* A port for an engine (router, DHCP server, uplink) on a switch: frames
 * the switch sends it are passed to @fn(@opaque, frame) and counted as tx.
 * @name ("NET/router") is copied; the port belongs to no network. Returns
 * the port; free it with un_engine_port_free after removing it from its
 * switch. */
struct un_port *un_engine_port_new(const char *name, un_engine_port_fn fn,
				   void *opaque);
void un_engine_port_free(struct un_port *p);
/* A frame from the engine behind @engine: counted as rx on it (or as
 * malformed when shorter than an Ethernet header), then un_switch_input. */
void un_switch_engine_input(struct un_switch *sw, struct un_port *engine,
			    const struct un_frame *f);

#endif
