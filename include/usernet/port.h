/* SPDX-License-Identifier: GPL-2.0-or-later */
/* port.h - one attached NIC, as network kinds and transports see it.
 * Owns: the port's identity, counters, and the two calls frames take
 * (un_port_input from a transport, un_port_send from a kind).
 * Not here: sockets (the transport's) or forwarding decisions (the kind's). */
#ifndef USERNET_PORT_H
#define USERNET_PORT_H

#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdint.h>

#include "usernet/container.h"
#include "usernet/frame.h"

struct un_port;
struct un_network;

/* Why a frame was dropped; each port counts every reason separately. */
enum un_drop_reason {
	UN_DROP_MALFORMED,  /* headers shorter or longer than the frame says */
	UN_DROP_OVERSIZED,  /* above UN_FRAME_MAX_BYTES or the network's MTU */
	UN_DROP_QUEUE_FULL, /* peer too slow, send queue at its bound */
	UN_DROP_NO_PEER,    /* nowhere to deliver (no NIC, no route) */
	UN_DROP_FILTERED,   /* refused by the network's policy */
	UN_DROP_TABLE_FULL, /* switch/lease table at its cap */
	UN_DROP_FRAGMENT,   /* IP fragment that could not be reassembled */
	UN_DROP_SEND_ERROR, /* the transport failed to write it */
	UN_DROP__COUNT
};

/* "malformed", "oversized", ...; indexed by enum un_drop_reason. */
extern const char *const un_drop_reason_names[UN_DROP__COUNT];

struct un_port_counters {
	uint64_t rx_frames;
	uint64_t rx_bytes;
	uint64_t tx_frames;
	uint64_t tx_bytes;
	uint64_t tx_acks_merged; /* pure TCP ACKs to the peer that a newer one
				  * of the same connection replaced while
				  * queued (counted in tx_frames, not sent) */
	uint64_t drops[UN_DROP__COUNT];
};

/* What a transport implements for each port it creates. */
struct un_port_ops {
	const char *transport; /* "vde", "stream", "dgram", "tcp" */
	/* Queue one frame for the peer. Must not block: when the peer is
	 * slow, queue up to a bound, then count UN_DROP_QUEUE_FULL. */
	void (*send)(struct un_port *p, const struct un_frame *f);
};

/* A transport embeds this in its per-peer struct (container_of). */
struct un_port {
	const struct un_port_ops *ops;
	struct un_network *network; /* set by un_network_attach */
	char *name;                 /* "NET/TRANSPORT-N", owned */
	char *peer;                 /* peer description (VDE descr, address), owned */
	uint8_t mac[UN_MAC_BYTES];  /* first source MAC seen */
	gboolean mac_known;
	gint64 since_us;            /* g_get_real_time() at attach */
	struct un_port_counters counters;
	void *kind_data;            /* the kind's, between attach and detach */
	GPtrArray *captures;        /* the backend's: struct un_capture *, may be NULL */
};

/* Initialise an embedded port. @peer may be NULL. The name is filled in
 * by un_network_attach. */
void un_port_init(struct un_port *p, const struct un_port_ops *ops,
		  const char *peer);
/* Free what un_port_init and un_network_attach allocated (not @p). */
void un_port_clear(struct un_port *p);

/* From a transport: one received frame. Checks its size against the
 * limits and the network's MTU, counts it, hands it to the network's kind.
 * Bad frames are counted and dropped here, never passed on. */
void un_port_input(struct un_port *p, const uint8_t *data, size_t len);

/* From a kind or engine: send one frame to this port's peer (counted). */
void un_port_send(struct un_port *p, const struct un_frame *f);

/* Add @c's members to the JSON object being built: rx_frames, rx_bytes,
 * tx_frames, tx_bytes, tx_acks_merged and drops {reason: count}
 * (un_drop_reason_names). */
void un_port_counters_describe(const struct un_port_counters *c,
			       JsonBuilder *b);

/* Count one dropped frame on @p for @reason (p may be NULL: not counted). */
void un_port_drop(struct un_port *p, enum un_drop_reason reason);

#endif
