/* SPDX-License-Identifier: GPL-2.0-or-later */
/* syn_guard.c - a repeated guest SYN must not empty libslirp's buffers.
 * Owns: the table of guest SYNs seen, and rewriting the MSS option of a
 * repeat into NOPs. Not here: other header checks (ip_guard.c), finding
 * the headers in a frame (l4.c).
 *
 * The bug it works around (libslirp 4.7.0 as Debian 12 ships it, and
 * still in 4.9): tcp_dooptions() handles an MSS option on any segment
 * with SYN set, before any sequence check, by calling tcp_mss(), which
 * sbreserve()s so_snd and so_rcv and so sets their byte counts to 0. A
 * duplicate SYN (guest-opened connection) or SYN-ACK (a forward into the
 * guest) that reaches libslirp once data is buffered throws that data
 * away; a FIN after it ends the stream cleanly, short. libslirp answers a
 * duplicate SYN correctly without the option, so the guard takes the
 * option out of every repeat.
 *
 * How it works: a table keyed by the connection as the guest sends it
 * (family, addresses, ports) holds the initial sequence number of the
 * last SYN and when it was seen. A SYN with the same key and sequence
 * number within the TTL is a repeat; a different number is a new
 * connection reusing the ports and replaces the entry. Entries expire
 * after the TTL; at the cap the oldest is dropped first (its repeats then
 * go through as they are, as without the guard). Only the 4 option bytes
 * change; the TCP checksum is updated incrementally (RFC 1624), so no
 * pseudo-header is needed. */
#include "syn_guard.h"
#include "l4.h"

#include <netinet/in.h>
#include <string.h>

#define TCP_HEADER_MAX_WORDS 30u /* 60 bytes */

struct syn_entry {
	struct un_l4_conn key; /* first: the table's key points here */
	guint32 isn;
	gint64 seen_us;
	GList *link;        /* in sg->order */
};

struct un_syn_guard {
	guint max_entries;
	gint64 ttl_us;
	GHashTable *table; /* &entry->key -> struct syn_entry (owned) */
	GQueue order;      /* struct syn_entry *, oldest first */
	guint64 rewritten;
};

struct un_syn_guard *un_syn_guard_new(guint max_entries, gint64 ttl_us)
{
	struct un_syn_guard *sg = g_new0(struct un_syn_guard, 1);

	sg->max_entries = MAX(max_entries, 1u);
	sg->ttl_us = ttl_us;
	sg->table = g_hash_table_new_full(un_l4_conn_hash, un_l4_conn_equal, NULL, g_free);
	g_queue_init(&sg->order);
	return sg;
}

void un_syn_guard_free(struct un_syn_guard *sg)
{
	if (!sg)
		return;
	g_queue_clear(&sg->order);
	g_hash_table_destroy(sg->table);
	g_free(sg);
}

guint64 un_syn_guard_rewritten(const struct un_syn_guard *sg)
{
	return sg->rewritten;
}

/* The TCP header of a SYN in @d, its length in *doff and the connection's
 * key; NULL for anything else. The IP length must fit in the frame and
 * hold the whole TCP header; IPv4 options, fragments and the version field
 * are not looked at (ip_guard.c has checked them before). */
static const uint8_t *syn_header(const uint8_t *d, const struct un_l4 *l,
				 struct un_l4_conn *key, size_t *doff)
{
	const uint8_t *tcp;

	if (!l || l->proto != IPPROTO_TCP || (l->flags & UN_L4_TRUNCATED) ||
	    un_l4_bytes(l) < UN_TCP_HEADER_MIN_BYTES)
		return NULL;
	tcp = d + l->l4_at;
	*doff = un_tcp_header_bytes(tcp);
	if (!(un_tcp_flags(tcp) & UN_TCP_FLAG_SYN) ||
	    *doff < UN_TCP_HEADER_MIN_BYTES || l->l4_at + *doff > l->end_at)
		return NULL;
	un_l4_conn_fill(d, l, key);
	return tcp;
}

/* Set @n bytes at @at of TCP header @tcp to @fill, updating its checksum
 * over the 16-bit words they touch (RFC 1624). */
static void tcp_fill(uint8_t *tcp, size_t at, size_t n, uint8_t fill)
{
	size_t from = at & ~(size_t)1, to = (at + n + 1) & ~(size_t)1;
	guint old[TCP_HEADER_MAX_WORDS];
	guint32 sum = 0;

	for (size_t i = from; i < to; i += 2)
		old[(i - from) / 2] = un_get16(tcp + i);
	memset(tcp + at, fill, n);
	for (size_t i = from; i < to; i += 2)
		un_cksum_swap(&sum, old[(i - from) / 2], un_get16(tcp + i));
	un_cksum_apply(tcp + 16, sum);
}

static void syn_guard_expire(struct un_syn_guard *sg, gint64 now_us)
{
	struct syn_entry *e;

	while ((e = g_queue_peek_head(&sg->order)) &&
	       (now_us - e->seen_us > sg->ttl_us ||
		g_hash_table_size(sg->table) >= sg->max_entries)) {
		g_queue_pop_head(&sg->order);
		g_hash_table_remove(sg->table, &e->key);
	}
}

/* Is this SYN a repeat of the one remembered for @key? Remembers it
 * either way. */
static gboolean syn_guard_seen(struct un_syn_guard *sg,
			       const struct un_l4_conn *key, guint32 isn,
			       gint64 now_us)
{
	struct syn_entry *e = g_hash_table_lookup(sg->table, key);

	if (e && e->isn == isn && now_us - e->seen_us <= sg->ttl_us)
		return TRUE;
	if (e) { /* expired, or a new connection on the same ports */
		g_queue_delete_link(&sg->order, e->link);
		g_hash_table_remove(sg->table, key);
	}
	syn_guard_expire(sg, now_us);
	e = g_new0(struct syn_entry, 1);
	e->key = *key;
	e->isn = isn;
	e->seen_us = now_us;
	g_queue_push_tail(&sg->order, e);
	e->link = sg->order.tail;
	g_hash_table_insert(sg->table, &e->key, e);
	return FALSE;
}

const uint8_t *un_syn_guard_filter(struct un_syn_guard *sg, const uint8_t *d,
				   size_t len, const struct un_l4 *l,
				   gint64 now_us, uint8_t **copy)
{
	struct un_l4_conn key;
	const uint8_t *tcp;
	size_t doff, at;
	guint32 isn;

	*copy = NULL;
	tcp = syn_header(d, l, &key, &doff);
	if (!tcp)
		return d;
	isn = un_get32(tcp + 4);
	if (!syn_guard_seen(sg, &key, isn, now_us))
		return d;
	at = un_tcp_option_at(tcp, doff, UN_TCPOPT_MSS, 4);
	if (at == 0)
		return d;
	*copy = g_memdup2(d, len);
	tcp_fill(*copy + (tcp - d), at, 4, UN_TCPOPT_NOP);
	sg->rewritten++;
	return *copy;
}
