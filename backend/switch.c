/* SPDX-License-Identifier: GPL-2.0-or-later */
/* switch.c - the L2 learning switch that switched kinds build on.
 * Owns: forwarding between a switch's ports, the MAC table with its cap
 * and ageing, engine ports. Not here: which NICs join (the kind's attach),
 * sockets (transports), what engines do with frames.
 *
 * How it works:
 * - Ports are borrowed struct un_port: NICs, and engine ports whose send
 *   calls a function. A frame goes out with un_port_send, so every port
 *   counts tx the same way and the transport queues or drops it.
 * - Two ports make a wire: each frame goes to the other end, no table.
 * - More ports: the source MAC is learnt (or re-learnt on the port it
 *   moved to); a unicast destination in the table goes to its port only,
 *   to nowhere when that is the ingress port; broadcast, multicast and
 *   unknown destinations flood to every port but the ingress one.
 * - The table holds at most table_max entries. Ageing is lazy: an entry
 *   older than ageing_s is ignored (and removed) when looked up, and when
 *   the table is full a sweep removes every aged entry, at most once a
 *   second. If it is still full the new MAC is not learnt, the frame is
 *   counted table-full on its ingress port, and it is still forwarded
 *   (flooded when its destination is unknown). A random-MAC flood thus
 *   costs a bounded table and a counter, never memory.
 * - Bad input: a multicast or all-zero source MAC is counted malformed
 *   and dropped (as a Linux bridge does); frames are never changed. */
#define G_LOG_DOMAIN "usernet-switch"

#include "usernet/switch.h"

#include <string.h>

#include "ratelimit.h"

/* Sweep aged entries of a full table at most this often. */
#define SW_SWEEP_INTERVAL_US G_USEC_PER_SEC
/* Say "table full" in the log at most this often per switch. */
#define SW_WARN_INTERVAL_US (60 * G_USEC_PER_SEC)

struct sw_entry {
	gint64 mac; /* the key: 48 bits, first byte highest */
	struct un_port *port;
	gint64 seen_us;
};

struct un_switch {
	char *name;
	guint table_max;
	gint64 ageing_us;
	gint64 (*now_us)(void);
	GPtrArray *ports;   /* struct un_port *, borrowed */
	GHashTable *table;  /* &entry->mac -> struct sw_entry (owned) */
	gint64 swept_us;    /* last sweep of a full table */
	struct un_ratelimit full_log; /* "table full" warnings */
	guint64 flooded;    /* unicast frames flooded: destination not learnt */
	guint64 not_learnt; /* source MACs the full table could not take */
};

gboolean un_switch_config_parse(struct un_switch_config *sc,
				const struct un_config *c, GError **error)
{
	*sc = (struct un_switch_config){
		.table_max = UN_SWITCH_TABLE_DEFAULT,
		.ageing_s = UN_SWITCH_AGEING_DEFAULT_S,
	};
	return un_config_uint(c, "mac-table-size", 1, UN_SWITCH_TABLE_MAX,
			      UN_SWITCH_TABLE_DEFAULT, &sc->table_max, error);
}

struct un_switch *un_switch_new(const struct un_switch_config *sc,
				const char *name)
{
	struct un_switch *sw = g_new0(struct un_switch, 1);

	g_assert(sc->table_max > 0);
	sw->name = g_strdup(name);
	sw->table_max = sc->table_max;
	sw->ageing_us = (gint64)sc->ageing_s * G_USEC_PER_SEC;
	sw->now_us = sc->now_us ? sc->now_us : g_get_monotonic_time;
	sw->ports = g_ptr_array_new();
	sw->table = g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL,
					  g_free);
	return sw;
}

void un_switch_free(struct un_switch *sw)
{
	if (!sw)
		return;
	g_hash_table_destroy(sw->table);
	g_ptr_array_free(sw->ports, TRUE);
	g_free(sw->name);
	g_free(sw);
}

void un_switch_add_port(struct un_switch *sw, struct un_port *p)
{
	g_return_if_fail(!g_ptr_array_find(sw->ports, p, NULL));
	g_ptr_array_add(sw->ports, p);
}

static gboolean sw_entry_on_port(gpointer key, gpointer value, gpointer port)
{
	const struct sw_entry *e = value;

	return e->port == port;
}

void un_switch_remove_port(struct un_switch *sw, struct un_port *p)
{
	if (!g_ptr_array_remove_fast(sw->ports, p))
		return;
	g_hash_table_foreach_remove(sw->table, sw_entry_on_port, p);
}

guint un_switch_table_len(const struct un_switch *sw)
{
	return g_hash_table_size(sw->table);
}

guint un_switch_port_count(const struct un_switch *sw)
{
	return sw->ports->len;
}

struct un_switch_counters un_switch_counters(const struct un_switch *sw)
{
	return (struct un_switch_counters){
		.entries = g_hash_table_size(sw->table),
		.table_max = sw->table_max,
		.flooded = sw->flooded,
		.not_learnt = sw->not_learnt,
	};
}

static gint64 sw_mac_key(const uint8_t *mac)
{
	gint64 k = 0;

	for (unsigned i = 0; i < UN_MAC_BYTES; i++)
		k = k << 8 | mac[i];
	return k;
}

static gboolean sw_mac_is_group(const uint8_t *mac)
{
	return mac[0] & 1;
}

static gboolean sw_aged(const struct un_switch *sw, const struct sw_entry *e,
			gint64 now)
{
	return now - e->seen_us > sw->ageing_us;
}

/* The live entry for @mac; an aged one is removed. */
static struct sw_entry *sw_lookup(struct un_switch *sw, const uint8_t *mac,
				  gint64 now)
{
	gint64 key = sw_mac_key(mac);
	struct sw_entry *e = g_hash_table_lookup(sw->table, &key);

	if (e && sw_aged(sw, e, now)) {
		g_hash_table_remove(sw->table, &key);
		return NULL;
	}
	return e;
}

struct un_port *un_switch_lookup(struct un_switch *sw,
				 const uint8_t mac[UN_MAC_BYTES])
{
	struct sw_entry *e = sw_lookup(sw, mac, sw->now_us());

	return e ? e->port : NULL;
}

struct sw_sweep {
	const struct un_switch *sw;
	gint64 now;
};

static gboolean sw_entry_aged(gpointer key, gpointer value, gpointer sweep)
{
	const struct sw_sweep *s = sweep;

	return sw_aged(s->sw, value, s->now);
}

/* Make room in a full table by forgetting aged entries (at most once per
 * SW_SWEEP_INTERVAL_US). TRUE when there is room now. */
static gboolean sw_make_room(struct un_switch *sw, gint64 now)
{
	struct sw_sweep sweep = { sw, now };

	if (g_hash_table_size(sw->table) < sw->table_max)
		return TRUE;
	if (sw->swept_us != 0 && now - sw->swept_us < SW_SWEEP_INTERVAL_US)
		return FALSE;
	sw->swept_us = now;
	g_hash_table_foreach_remove(sw->table, sw_entry_aged, &sweep);
	return g_hash_table_size(sw->table) < sw->table_max;
}

static void sw_table_full(struct un_switch *sw, struct un_port *from,
			  gint64 now)
{
	un_port_drop(from, UN_DROP_TABLE_FULL);
	sw->not_learnt++;
	if (!un_ratelimit_pass(&sw->full_log, SW_WARN_INTERVAL_US, now, NULL))
		return;
	g_warning("switch '%s': MAC table full (%u entries); NIC %s sends from "
		  "MACs it cannot learn (counted as table-full; raise "
		  "mac-table-size if the network really has that many)",
		  sw->name, sw->table_max, from->name ? from->name : "(unnamed)");
}

/* Learn (or refresh, or move) the source MAC of a frame from @from. */
static void sw_learn(struct un_switch *sw, struct un_port *from,
		     const uint8_t *mac, gint64 now)
{
	struct sw_entry *e = sw_lookup(sw, mac, now);

	if (e) {
		if (e->port != from)
			g_debug("switch '%s': %02x:%02x:%02x:%02x:%02x:%02x "
				"moved from %s to %s", sw->name, mac[0], mac[1],
				mac[2], mac[3], mac[4], mac[5], e->port->name,
				from->name);
		e->port = from;
		e->seen_us = now;
		return;
	}
	if (!sw_make_room(sw, now)) {
		sw_table_full(sw, from, now);
		return;
	}
	e = g_new(struct sw_entry, 1);
	e->mac = sw_mac_key(mac);
	e->port = from;
	e->seen_us = now;
	g_hash_table_insert(sw->table, &e->mac, e);
}

static void sw_flood(struct un_switch *sw, struct un_port *from,
		     const struct un_frame *f)
{
	gboolean sent = FALSE;

	for (guint i = 0; i < sw->ports->len; i++) {
		struct un_port *p = g_ptr_array_index(sw->ports, i);

		if (p == from)
			continue;
		un_port_send(p, f);
		sent = TRUE;
	}
	if (!sent)
		un_port_drop(from, UN_DROP_NO_PEER);
}

/* Two ports: the other end gets everything. */
static void sw_wire(struct un_switch *sw, struct un_port *from,
		    const struct un_frame *f)
{
	struct un_port *a = g_ptr_array_index(sw->ports, 0);
	struct un_port *b = g_ptr_array_index(sw->ports, 1);

	g_return_if_fail(from == a || from == b);
	un_port_send(from == a ? b : a, f);
}

void un_switch_input(struct un_switch *sw, struct un_port *from,
		     const struct un_frame *f)
{
	const uint8_t *src = un_frame_src(f), *dst = un_frame_dst(f);
	struct sw_entry *e;
	gint64 now;

	if (sw->ports->len == 2) {
		sw_wire(sw, from, f);
		return;
	}
	if (sw_mac_is_group(src) || sw_mac_key(src) == 0) {
		un_port_drop(from, UN_DROP_MALFORMED);
		return;
	}
	now = sw->now_us();
	sw_learn(sw, from, src, now);
	if (sw_mac_is_group(dst)) {
		sw_flood(sw, from, f);
		return;
	}
	e = sw_lookup(sw, dst, now);
	if (!e) {
		sw->flooded++;
		sw_flood(sw, from, f);
	}
	else if (e->port == from)
		un_port_drop(from, UN_DROP_NO_PEER); /* already on its segment */
	else
		un_port_send(e->port, f);
}

/* ---- engine ports -------------------------------------------------------- */

struct engine_port {
	struct un_port port;
	un_engine_port_fn fn;
	void *opaque;
};

static void engine_port_send(struct un_port *p, const struct un_frame *f)
{
	struct engine_port *ep = container_of(p, struct engine_port, port);

	ep->fn(ep->opaque, f);
}

static const struct un_port_ops engine_port_ops = {
	.transport = "engine",
	.send = engine_port_send,
};

struct un_port *un_engine_port_new(const char *name, un_engine_port_fn fn,
				   void *opaque)
{
	struct engine_port *ep = g_new0(struct engine_port, 1);

	un_port_init(&ep->port, &engine_port_ops, "engine");
	ep->port.name = g_strdup(name);
	ep->port.since_us = g_get_real_time();
	ep->fn = fn;
	ep->opaque = opaque;
	return &ep->port;
}

void un_engine_port_free(struct un_port *p)
{
	if (!p)
		return;
	g_assert(p->ops == &engine_port_ops);
	un_port_clear(p);
	g_free(container_of(p, struct engine_port, port));
}

void un_switch_engine_input(struct un_switch *sw, struct un_port *engine,
			    const struct un_frame *f)
{
	if (f->len < UN_FRAME_MIN_BYTES) {
		un_port_drop(engine, UN_DROP_MALFORMED);
		return;
	}
	engine->counters.rx_frames++;
	engine->counters.rx_bytes += f->len;
	un_switch_input(sw, engine, f);
}
