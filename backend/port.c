/* SPDX-License-Identifier: GPL-2.0-or-later */
/* port.c - one attached NIC: counters and the two doors frames take.
 * Owns: size checks on every received frame, rx/tx/drop counters, learning
 * the NIC's MAC. Not here: sockets (transports) or destinations (kinds).
 *
 * How it works: a transport calls un_port_input() per received frame; it is
 * checked against UN_FRAME_MIN_BYTES, UN_FRAME_MAX_BYTES and the network's
 * MTU (plus Ethernet and VLAN headers), counted, and handed to the kind.
 * A kind calls un_port_send(); the transport queues or drops it.
 * Captures (capture.c) see a frame here: a port's both ways; a network's
 * as it enters through a NIC and as it is sent to a NIC, except a send of
 * the very frame being input (a NIC's frame the kind forwards to others),
 * recorded already. With no capture running this is one NULL check. */
#define G_LOG_DOMAIN "usernet-port"

#include "usernet/network.h"
#include "usernet/port.h"

#include <string.h>

#include "capture.h"
#include "json_member.h"

/* Ethernet header plus one 802.1Q tag above the MTU. */
#define PORT_L2_OVERHEAD_BYTES (UN_ETH_HEADER_BYTES + 4u)

const char *const un_drop_reason_names[UN_DROP__COUNT] = {
	[UN_DROP_MALFORMED] = "malformed",   [UN_DROP_OVERSIZED] = "oversized",
	[UN_DROP_QUEUE_FULL] = "queue-full", [UN_DROP_NO_PEER] = "no-peer",
	[UN_DROP_FILTERED] = "filtered",     [UN_DROP_TABLE_FULL] = "table-full",
	[UN_DROP_FRAGMENT] = "fragment",     [UN_DROP_SEND_ERROR] = "send-error",
};
G_STATIC_ASSERT(G_N_ELEMENTS(un_drop_reason_names) == UN_DROP__COUNT);

void un_port_init(struct un_port *p, const struct un_port_ops *ops,
		  const char *peer)
{
	memset(p, 0, sizeof(*p));
	p->ops = ops;
	p->peer = g_strdup(peer ? peer : "");
}

void un_port_clear(struct un_port *p)
{
	g_clear_pointer(&p->name, g_free);
	g_clear_pointer(&p->peer, g_free);
}

void un_port_drop(struct un_port *p, enum un_drop_reason reason)
{
	g_assert(reason < UN_DROP__COUNT);
	if (p)
		p->counters.drops[reason]++;
}

static void port_learn_mac(struct un_port *p, const uint8_t *data)
{
	if (p->mac_known)
		return;
	memcpy(p->mac, data + UN_MAC_BYTES, UN_MAC_BYTES);
	p->mac_known = TRUE;
}

void un_port_input(struct un_port *p, const uint8_t *data, size_t len)
{
	struct un_network *n = p->network;
	struct un_frame f = { data, len };
	const void *outer;

	if (len < UN_FRAME_MIN_BYTES) {
		un_port_drop(p, UN_DROP_MALFORMED);
		return;
	}
	if (len > UN_FRAME_MAX_BYTES ||
	    (n && len > n->mtu + PORT_L2_OVERHEAD_BYTES)) {
		un_port_drop(p, UN_DROP_OVERSIZED);
		return;
	}
	p->counters.rx_frames++;
	p->counters.rx_bytes += len;
	if (!n) {
		un_port_drop(p, UN_DROP_NO_PEER);
		return;
	}
	port_learn_mac(p, data);
	if (G_UNLIKELY(p->captures))
		un_captures_record(p->captures, &f);
	if (G_UNLIKELY(n->captures))
		un_captures_record(n->captures, &f);
	outer = n->capture_input;
	n->capture_input = data;
	n->kind->input(n, p, &f);
	n->capture_input = outer;
}

void un_port_send(struct un_port *p, const struct un_frame *f)
{
	p->counters.tx_frames++;
	p->counters.tx_bytes += f->len;
	if (G_UNLIKELY(p->captures))
		un_captures_record(p->captures, f);
	if (G_UNLIKELY(p->network && p->network->captures) &&
	    f->data != p->network->capture_input)
		un_captures_record(p->network->captures, f);
	p->ops->send(p, f);
}

void un_port_counters_describe(const struct un_port_counters *c,
			       JsonBuilder *b)
{
	un_json_member_int(b, "rx_frames", c->rx_frames);
	un_json_member_int(b, "rx_bytes", c->rx_bytes);
	un_json_member_int(b, "tx_frames", c->tx_frames);
	un_json_member_int(b, "tx_bytes", c->tx_bytes);
	un_json_member_int(b, "tx_acks_merged", c->tx_acks_merged);
	json_builder_set_member_name(b, "drops");
	json_builder_begin_object(b);
	for (guint r = 0; r < UN_DROP__COUNT; r++)
		un_json_member_int(b, un_drop_reason_names[r], c->drops[r]);
	json_builder_end_object(b);
}
