/* SPDX-License-Identifier: GPL-2.0-or-later */
/* uplink.h - the uplink engine: a libvdeplug URL (vxvde://, vxlan://,
 * vde://, tap://, udp://, ...) as one more port of a switched network.
 * Owns: opening the URL, moving frames between its data fd and the port,
 * noticing that the far end went away, reconnecting with back-off.
 * Not here: where its frames go (the port's network, as for any NIC),
 * which keys a kind accepts (lan.c reads them). */
#ifndef USERNET_UPLINK_H
#define USERNET_UPLINK_H

#include <glib.h>
#include <json-glib/json-glib.h>

#include "usernet/config.h"
#include "usernet/network.h"
#include "usernet/port.h"
#include "usernet/switch.h"

/* The keys lan.c reads for every switched kind. */
#define UN_UPLINK_KEYS "uplink", "uplink-optional"

/* Reconnect back-off: the first retry after this long, doubling up to the cap. */
#define UN_UPLINK_RETRY_FIRST_MS 1000u
#define UN_UPLINK_RETRY_MAX_MS 10000u

enum un_uplink_state {
	UN_UPLINK_UP,           /* open; frames flow both ways */
	UN_UPLINK_RECONNECTING, /* lost or never opened; retrying */
	UN_UPLINK_STATE__COUNT
};

/* "up", "reconnecting"; indexed by enum un_uplink_state. */
extern const char *const un_uplink_state_names[UN_UPLINK_STATE__COUNT];

struct un_uplink;

/* Open @url for network @n and make it a port of @n (named
 * "NET/uplink-N", listed in n->ports, transport "uplink", peer @url);
 * the caller adds un_uplink_port() to its switch. Frames from the far end
 * enter through un_port_input, checked and counted as any NIC's.
 * When the URL cannot be opened: with @optional the uplink is returned
 * anyway, reconnecting; without, NULL and @error naming the network and
 * the URL. Free with un_uplink_free (after removing its port from the
 * switch). */
struct un_uplink *un_uplink_new(struct un_network *n, const char *url,
				gboolean optional, GError **error);
void un_uplink_free(struct un_uplink *u);

/* The uplink's port (owned by the uplink). */
struct un_port *un_uplink_port(struct un_uplink *u);
const char *un_uplink_url(const struct un_uplink *u);
/* Its state; *since_us (may be NULL) is when it entered it,
 * g_get_real_time() clock. */
enum un_uplink_state un_uplink_state(const struct un_uplink *u,
				     gint64 *since_us);

/* Where a sandbox must let reconnects to @url (vde://DIR, or a plain DIR)
 * make and remove sockets: libvdeplug binds its data socket in DIR, and a
 * restarted vde_switch makes DIR anew (a new inode, which a rule on DIR
 * itself would not cover), so this is DIR's parent. NULL for other
 * schemes. g_free. */
char *un_uplink_socket_dir(const char *url);

/* One object for `show`: {"url", "port", "state", "since", "reconnects",
 * "counters": {rx_frames, rx_bytes, tx_frames, tx_bytes, drops: {...}}}. */
void un_uplink_describe(const struct un_uplink *u, JsonBuilder *b);

/* ---- a network's uplinks ------------------------------------------------ */

struct un_uplinks;

/* Every "uplink" key of @c opened for @n (uplink-optional=on|off, default
 * off: see un_uplink_new), each port added to @sw. NULL with @error at
 * the first that fails; an empty set when there are none. Free with
 * un_uplinks_free before @sw. */
struct un_uplinks *un_uplinks_new(struct un_network *n,
				  const struct un_config *c,
				  struct un_switch *sw, GError **error);
void un_uplinks_free(struct un_uplinks *ul);
/* "uplinks": [un_uplink_describe...] inside an object; nothing when the
 * set is empty. */
void un_uplinks_describe(const struct un_uplinks *ul, JsonBuilder *b);

#endif
