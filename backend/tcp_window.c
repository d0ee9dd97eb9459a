/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tcp_window.c - window scaling on libslirp's behalf, and the guest
 * segments held past its window (tcp_window.h says why and how).
 * Owns: the connection table, the held frames, the rewritten copies.
 * Not here: libslirp, the headers' layout (l4.c). */
#include "tcp_window.h"
#include "usernet/frame.h"

#include <string.h>

#define TCP_MAX_WINDOW 65535u
#define GUEST_MAX_SHIFT 14u      /* RFC 7323, 2.3 */
#define WSCALE_OPTION_BYTES 4u   /* NOP, kind, length 3, shift */
#define TCP_HEADER_MAX_BYTES 60u
#define IP_HEADER_MAX_BYTES 60u     /* IPv4 with options; IPv6's is 40 */
#define WINDOW_ALL_BYTES (8u << 20) /* offered to all connections at once */
#define TCP_FLAG_FIN 0x01u
#define TCP_FLAG_RST 0x04u
#define TCP_FLAG_PSH 0x08u

struct window_conn {
	struct un_l4_conn key;  /* as the guest sends; first: the table's key */
	guint32 isn;            /* of the SYN that made it: repeats keep it */
	guint guest_shift;
	gboolean guest_opened;  /* the guest's SYN offered scaling */
	gboolean scaled;        /* both sides offered it: rewrite windows */
	gboolean edge_known;
	guint32 slirp_edge;     /* libslirp's right edge: ack + its window */
	guint32 our_edge;       /* the right edge offered to the guest */
	guint32 passed_end;     /* after the last guest byte libslirp has */
	guint32 slirp_ack;      /* libslirp's latest acknowledgement */
	guint32 probed_at;      /* slirp_ack when the head was last probed */
	gboolean probed;
	GQueue held;            /* struct un_tcp_window_frame *, in order */
	gsize held_bytes;
	gboolean guest_fin, slirp_fin;
	gboolean ready;         /* in w->ready */
};

struct un_tcp_window {
	guint max_conns;
	gsize extra;
	gsize max_held;
	gsize held_bytes;
	GHashTable *conns;      /* &conn->key -> struct window_conn (owned) */
	GQueue ready;           /* struct window_conn * whose head may fit */
	GHashTable *blocked;    /* struct window_conn * whose head waits */
	struct window_conn *probing; /* its head is in libslirp as a probe */
	uint8_t *in_copy, *out_copy;
	size_t in_cap, out_cap;
	struct un_tcp_window_stats stats;
};

static gboolean seq_after(guint32 a, guint32 b)
{
	return (gint32)(a - b) > 0;
}

static void conn_free(gpointer data)
{
	struct window_conn *c = data;

	g_queue_clear_full(&c->held, g_free);
	g_free(c);
}

struct un_tcp_window *un_tcp_window_new(guint max_conns, gsize extra_bytes,
					gsize max_held_bytes)
{
	struct un_tcp_window *w = g_new0(struct un_tcp_window, 1);

	w->max_conns = max_conns;
	w->extra = MIN(extra_bytes,
		       (gsize)(TCP_MAX_WINDOW << UN_TCP_WINDOW_SHIFT) - TCP_MAX_WINDOW);
	w->max_held = max_held_bytes;
	w->conns = g_hash_table_new_full(un_l4_conn_hash, un_l4_conn_equal,
					 NULL, conn_free);
	w->blocked = g_hash_table_new(g_direct_hash, g_direct_equal);
	return w;
}

void un_tcp_window_free(struct un_tcp_window *w)
{
	if (!w)
		return;
	g_queue_clear(&w->ready);
	g_hash_table_destroy(w->blocked);
	g_hash_table_destroy(w->conns);
	g_free(w->in_copy);
	g_free(w->out_copy);
	g_free(w);
}

void un_tcp_window_stats(const struct un_tcp_window *w,
			 struct un_tcp_window_stats *s)
{
	*s = w->stats;
	s->conns = g_hash_table_size(w->conns);
	s->held_bytes = w->held_bytes;
}

/* The TCP header of frame @d as located at @l (NULL: none), its length
 * in *doff, and in *key its connection as the guest sends it: for a frame
 * @to_guest, with its ends swapped. NULL when it is no whole TCP header. */
static uint8_t *segment_of(const uint8_t *d, const struct un_l4 *l,
			   gboolean to_guest, size_t *doff,
			   struct un_l4_conn *key)
{
	uint8_t *tcp = un_l4_tcp_header(d, l, doff);

	if (!tcp)
		return NULL;
	un_l4_conn_fill(d, l, key);
	if (to_guest)
		*key = un_l4_conn_reversed(key);
	return tcp;
}

/* The window scale option's shift in TCP header @tcp, or -1. */
static gint wscale_of(const uint8_t *tcp, size_t doff)
{
	size_t at = un_tcp_option_at(tcp, doff, UN_TCPOPT_WSCALE, 3);

	return at ? (gint)MIN(tcp[at + 2], GUEST_MAX_SHIFT) : -1;
}

/* The buffer at *buf, grown to hold @len bytes. */
static uint8_t *room_for(uint8_t **buf, size_t *cap, size_t len)
{
	if (*cap < len) {
		*cap = MAX(len, 2048);
		*buf = g_realloc(*buf, *cap);
	}
	return *buf;
}

/* @src of @len bytes copied into the buffer at *buf. */
static uint8_t *copy_into(uint8_t **buf, size_t *cap, const uint8_t *src,
			  size_t len)
{
	return memcpy(room_for(buf, cap, len), src, len);
}

/* Set the window field of TCP header @tcp to @win, checksum updated. */
static void set_window(uint8_t *tcp, guint win)
{
	guint32 sum = 0;

	un_cksum_swap(&sum, un_get16(tcp + 14), win);
	un_put16(tcp + 14, win);
	un_cksum_apply(tcp + 16, sum);
}

/* Set the sequence number of TCP header @tcp to @seq, checksum updated. */
static void set_seq(uint8_t *tcp, guint32 seq)
{
	guint32 sum = 0;

	un_cksum_swap(&sum, un_get16(tcp + 4), seq >> 16);
	un_cksum_swap(&sum, un_get16(tcp + 6), seq & 0xffff);
	un_put16(tcp + 4, seq >> 16);
	un_put16(tcp + 6, seq & 0xffff);
	un_cksum_apply(tcp + 16, sum);
}

/* @c may have a held frame to give libslirp: look at it in next_ready. */
static void conn_wake(struct un_tcp_window *w, struct window_conn *c)
{
	if (c->ready || g_queue_is_empty(&c->held))
		return;
	c->ready = TRUE;
	g_queue_push_tail(&w->ready, c);
}

static void conn_forget(struct un_tcp_window *w, struct window_conn *c)
{
	if (c->ready)
		g_queue_remove(&w->ready, c);
	g_hash_table_remove(w->blocked, c);
	if (w->probing == c)
		w->probing = NULL;
	w->held_bytes -= c->held_bytes;
	g_hash_table_remove(w->conns, &c->key);
}

static gboolean conn_unanswered(gpointer key, gpointer value, gpointer data)
{
	const struct window_conn *c = value;

	return c->guest_opened && !c->scaled;
}

/* The entry for @key opened by a SYN numbered @isn: the one there if the
 * SYN is a repeat, else a fresh one, replacing it. At the cap, a guest SYN
 * libslirp has not answered (no option offered yet) makes room; NULL when
 * there is none. */
static struct window_conn *conn_new(struct un_tcp_window *w,
				    const struct un_l4_conn *key, guint32 isn)
{
	struct window_conn *c = g_hash_table_lookup(w->conns, key);

	if (c && c->isn == isn)
		return c;
	if (c)
		conn_forget(w, c);
	if (g_hash_table_size(w->conns) >= w->max_conns &&
	    (c = g_hash_table_find(w->conns, conn_unanswered, NULL)))
		conn_forget(w, c);
	if (g_hash_table_size(w->conns) >= w->max_conns)
		return NULL;
	c = g_new0(struct window_conn, 1);
	c->key = *key;
	c->isn = isn;
	g_hash_table_insert(w->conns, &c->key, c);
	return c;
}

/* ---- guest to libslirp ---- */

/* A SYN or SYN-ACK from the guest: note the scale it offers. */
static void guest_syn(struct un_tcp_window *w, const struct un_l4_conn *key,
		      const uint8_t *tcp, size_t doff)
{
	struct window_conn *c = g_hash_table_lookup(w->conns, key);
	gint shift = wscale_of(tcp, doff);

	if (!(un_tcp_flags(tcp) & UN_TCP_FLAG_ACK)) { /* the guest opens */
		if (c && c->isn == un_get32(tcp + 4))
			return; /* a repeat: what was agreed stands */
		if (shift < 0) {
			if (c)
				conn_forget(w, c);
			return;
		}
		c = conn_new(w, key, un_get32(tcp + 4));
		if (c) {
			c->guest_opened = TRUE;
			c->guest_shift = (guint)shift;
			c->passed_end = un_get32(tcp + 4) + 1;
		}
		return;
	}
	if (!c || c->guest_opened || c->scaled)
		return; /* a forward's SYN-ACK, answering the offer in our SYN */
	if (shift < 0) {
		conn_forget(w, c);
		return;
	}
	c->guest_shift = (guint)shift;
	c->passed_end = un_get32(tcp + 4) + 1;
	c->scaled = TRUE;
	w->stats.scaled++;
}

/* libslirp has the guest's bytes up to @seq_end. */
static void conn_passed(struct window_conn *c, guint32 seq_end)
{
	if (seq_after(seq_end, c->passed_end))
		c->passed_end = seq_end;
}

/* May a segment ending at @seq_end go to libslirp now? */
static gboolean conn_fits(const struct window_conn *c, guint32 seq_end)
{
	return !c->edge_known || !seq_after(seq_end, c->slirp_edge);
}

/* Put @f into @held in sequence order (a retransmission that fills a gap
 * goes before what follows the gap, so the head is always the segment
 * libslirp needs next); FALSE when the same segment is there already. */
static gboolean held_insert(GQueue *held, struct un_tcp_window_frame *f)
{
	GList *at = held->tail;

	for (; at; at = at->prev) {
		const struct un_tcp_window_frame *o = at->data;

		if (o->seq == f->seq && o->seq_end == f->seq_end)
			return FALSE;
		if (!seq_after(o->seq, f->seq))
			break;
	}
	if (at)
		g_queue_insert_after(held, at, f);
	else
		g_queue_push_head(held, f);
	return TRUE;
}

static enum un_tcp_window_verdict conn_hold(struct un_tcp_window *w,
					    struct window_conn *c,
					    const uint8_t *d, size_t len,
					    guint32 seq, guint32 seq_end)
{
	struct un_tcp_window_frame *f;

	if (seq_after(seq_end, c->our_edge) ||
	    c->held_bytes + len > 2 * w->extra ||
	    w->held_bytes + len > w->max_held) {
		w->stats.dropped++;
		return UN_TCP_WINDOW_DROP;
	}
	f = g_malloc(sizeof(*f) + len);
	f->seq = seq;
	f->seq_end = seq_end;
	f->len = len;
	memcpy(f->data, d, len);
	if (!held_insert(&c->held, f)) {
		g_free(f); /* the same segment waits already */
		return UN_TCP_WINDOW_HELD;
	}
	c->held_bytes += len;
	w->held_bytes += len;
	w->stats.held++;
	conn_wake(w, c); /* a new head: it may need a probe */
	return UN_TCP_WINDOW_HELD;
}

/* Guest segment @d of scaled connection @c (TCP header at @l, @doff
 * bytes, flags @flags): its window unscaled into a copy at *out, passed,
 * or held. */
static enum un_tcp_window_verdict
conn_from_guest(struct un_tcp_window *w, struct window_conn *c,
		const uint8_t *d, size_t len, const struct un_l4 *l,
		size_t doff, guint flags, const uint8_t **out)
{
	uint8_t *copy = copy_into(&w->in_copy, &w->in_cap, d, len);
	uint8_t *tcp = copy + l->l4_at;
	size_t payload = l->end_at - l->l4_at - doff;
	guint32 seq_end = un_get32(tcp + 4) + (guint32)payload;

	set_window(tcp, MIN((guint32)un_get16(tcp + 14) << c->guest_shift,
			    TCP_MAX_WINDOW));
	c->guest_fin |= !!(flags & TCP_FLAG_FIN);
	*out = copy;
	if (conn_fits(c, seq_end)) { /* in order or not: libslirp sorts it */
		conn_passed(c, seq_end);
		return UN_TCP_WINDOW_PASS;
	}
	if (payload == 0 && !(flags & TCP_FLAG_FIN)) {
		/* A pure ACK acknowledges libslirp's data: it must not wait
		 * behind the held bytes (libslirp may be waiting on it to send
		 * what frees its window), and its sequence number must be one
		 * libslirp takes: right after what it has. */
		set_seq(tcp, seq_after(c->slirp_ack, c->passed_end) ? c->slirp_ack
								   : c->passed_end);
		return UN_TCP_WINDOW_PASS;
	}
	return conn_hold(w, c, copy, len, seq_end - (guint32)payload, seq_end);
}

enum un_tcp_window_verdict
un_tcp_window_from_guest(struct un_tcp_window *w, const uint8_t *d,
			 size_t len, const struct un_l4 *l,
			 const uint8_t **out, size_t *out_len)
{
	struct un_l4_conn key;
	struct window_conn *c;
	uint8_t *tcp;
	size_t doff;
	guint flags;

	*out = d;
	*out_len = len;
	if (w->extra == 0 || !(tcp = segment_of(d, l, FALSE, &doff, &key)))
		return UN_TCP_WINDOW_PASS;
	flags = un_tcp_flags(tcp);
	if (flags & UN_TCP_FLAG_SYN) {
		guest_syn(w, &key, tcp, doff);
		return UN_TCP_WINDOW_PASS;
	}
	c = g_hash_table_lookup(w->conns, &key);
	if (c && (flags & TCP_FLAG_RST))
		conn_forget(w, c);
	else if (c && c->scaled)
		return conn_from_guest(w, c, d, len, l, doff, flags, out);
	return UN_TCP_WINDOW_PASS;
}

/* Should the held head of @c, which does not fit, go to libslirp anyway?
 * libslirp may stay silent while its window opens: it announces a window
 * only when it grew by two segments or half its buffer, which with MTU
 * 65520 is more than it can announce. So the head goes once per
 * acknowledgement number, and again after libslirp served its sockets (a
 * copy; it stays held): libslirp takes what fits in its real window,
 * trims the rest, and its ACK shows its window. */
static gboolean conn_probe_due(const struct window_conn *c)
{
	return !c->probed || c->probed_at != c->slirp_ack;
}

/* The head of @c, copied, as a probe (conn_probe_due). */
static struct un_tcp_window_frame *conn_probe(struct un_tcp_window *w,
					      struct window_conn *c,
					      const struct un_tcp_window_frame *f)
{
	c->probed = TRUE;
	c->probed_at = c->slirp_ack;
	w->probing = c;
	w->stats.probes++;
	return g_memdup2(f, sizeof(*f) + f->len);
}

struct un_tcp_window_frame *un_tcp_window_next_ready(struct un_tcp_window *w)
{
	struct window_conn *c;

	w->probing = NULL; /* the last frame handed out is in libslirp now */
	while ((c = g_queue_peek_head(&w->ready))) {
		struct un_tcp_window_frame *f = g_queue_peek_head(&c->held);

		g_hash_table_remove(w->blocked, c);
		if (f && conn_fits(c, f->seq_end)) {
			conn_passed(c, f->seq_end);
			g_queue_pop_head(&c->held);
			c->held_bytes -= f->len;
			w->held_bytes -= f->len;
			return f;
		}
		if (f && conn_probe_due(c))
			return conn_probe(w, c, f);
		if (f)
			g_hash_table_add(w->blocked, c);
		g_queue_pop_head(&w->ready);
		c->ready = FALSE;
	}
	return NULL;
}

static void conn_unprobe(gpointer key, gpointer value, gpointer data)
{
	struct window_conn *c = key;

	c->probed = FALSE;
	conn_wake(data, c);
}

void un_tcp_window_poll_done(struct un_tcp_window *w)
{
	g_hash_table_foreach(w->blocked, conn_unprobe, w);
}

/* ---- libslirp to the guest ---- */

/* Frame @d with a window scale option of UN_TCP_WINDOW_SHIFT added to its
 * TCP header @tcp (@doff bytes), lengths and checksums updated; NULL when
 * the header has no room. */
static const uint8_t *with_wscale(struct un_tcp_window *w, const uint8_t *d,
				  size_t len, const struct un_l4 *l,
				  size_t doff, size_t *out_len)
{
	const uint8_t opt[WSCALE_OPTION_BYTES] = {
		UN_TCPOPT_NOP, UN_TCPOPT_WSCALE, 3, UN_TCP_WINDOW_SHIFT
	};
	size_t at = l->l4_at + doff, tcp_len = l->end_at - l->l4_at;
	uint8_t *o, *tcp, *ip;
	guint32 sum = 0;
	guint offset_word;

	if (doff + sizeof(opt) > TCP_HEADER_MAX_BYTES)
		return NULL;
	*out_len = len + sizeof(opt);
	o = room_for(&w->out_copy, &w->out_cap, *out_len);
	memcpy(o, d, at);
	memcpy(o + at, opt, sizeof(opt));
	memcpy(o + at + sizeof(opt), d + at, len - at);
	tcp = o + l->l4_at;
	ip = o + UN_ETH_HEADER_BYTES;
	offset_word = un_get16(tcp + 12);
	tcp[12] += (uint8_t)(sizeof(opt) / 4) << 4; /* data offset, in words */
	un_cksum_swap(&sum, offset_word, un_get16(tcp + 12));
	un_cksum_swap(&sum, 0, un_get16(opt));
	un_cksum_swap(&sum, 0, un_get16(opt + 2));
	un_cksum_swap(&sum, (guint)tcp_len, (guint)tcp_len + sizeof(opt));
	un_cksum_apply(tcp + 16, sum);
	if (l->family == 4) {
		guint total = un_get16(ip + 2);

		sum = 0;
		un_cksum_swap(&sum, total, total + sizeof(opt));
		un_put16(ip + 2, total + sizeof(opt));
		un_cksum_apply(ip + 10, sum);
	} else {
		un_put16(ip + 4, un_get16(ip + 4) + sizeof(opt));
	}
	return o;
}

/* A SYN or SYN-ACK from libslirp: offer scaling where the guest may take
 * it, in a copy at *out (*out_len bytes). */
static void slirp_syn(struct un_tcp_window *w, const struct un_l4_conn *key,
		      const uint8_t *d, size_t len, const struct un_l4 *l,
		      size_t doff, const uint8_t **out, size_t *out_len)
{
	struct window_conn *c = g_hash_table_lookup(w->conns, key);
	const uint8_t *tcp = d + l->l4_at;
	const uint8_t *o;

	if (!(un_tcp_flags(tcp) & UN_TCP_FLAG_ACK)) /* a forward opens */
		c = conn_new(w, key, un_get32(tcp + 4));
	else if (c && !c->guest_opened)
		return;
	if (!c)
		return;
	o = with_wscale(w, d, len, l, doff, out_len);
	if (!o) {
		*out_len = len;
		conn_forget(w, c);
		return;
	}
	*out = o;
	if (!c->guest_opened || c->edge_known)
		return;
	c->scaled = TRUE;
	w->stats.scaled++;
	/* a SYN-ACK's window is never scaled: it is libslirp's own */
	c->slirp_ack = un_get32(tcp + 8);
	c->slirp_edge = c->slirp_ack + un_get16(tcp + 14);
	c->our_edge = c->slirp_edge;
	c->edge_known = TRUE;
}

/* What each connection is offered past libslirp's edge now: w->extra,
 * shared out so that all of them together offer at most
 * WINDOW_ALL_BYTES (libslirp's own 64 KiB counted in), and nothing more
 * while the held bytes are at their bound. Many connections at once
 * would otherwise let a guest burst more than its own transmit queue
 * holds (200 connections through one tap: thousands of drops, rounds 5x
 * slower). */
static gsize window_extra_now(const struct un_tcp_window *w)
{
	gsize share = WINDOW_ALL_BYTES / MAX(g_hash_table_size(w->conns), 1u);

	if (w->held_bytes >= w->max_held || share <= TCP_MAX_WINDOW)
		return 0;
	return MIN(w->extra, share - TCP_MAX_WINDOW);
}

/* libslirp's ACK says its edge is @edge: move it, wake the held frames,
 * and offer the guest up to w->extra further while there is room. */
static void conn_slirp_edge(struct un_tcp_window *w, struct window_conn *c,
			    guint32 edge)
{
	guint32 offer;

	if (!c->edge_known || seq_after(edge, c->slirp_edge)) {
		if (!c->edge_known)
			c->our_edge = edge;
		c->slirp_edge = edge;
		c->edge_known = TRUE;
		conn_wake(w, c);
	}
	offer = c->slirp_edge + (guint32)window_extra_now(w);
	if (seq_after(offer, c->our_edge))
		c->our_edge = offer;
}

/* libslirp's segment @d (TCP header @tcp, flags @flags) of scaled
 * connection @c: the guest's window rewritten into a copy at *out. */
static void conn_to_guest(struct un_tcp_window *w, struct window_conn *c,
			  const uint8_t *d, size_t len, const struct un_l4 *l,
			  size_t doff, guint flags, const uint8_t **out,
			  size_t *out_len)
{
	size_t tcp_at = l->l4_at;
	guint32 ack = un_get32(d + tcp_at + 8);
	gboolean moved = !c->edge_known || seq_after(ack, c->slirp_ack);
	uint8_t *copy;

	c->slirp_fin |= !!(flags & TCP_FLAG_FIN);
	if (!(flags & UN_TCP_FLAG_ACK))
		return;
	if (moved) {
		c->slirp_ack = ack;
		conn_wake(w, c);
	}
	conn_slirp_edge(w, c, ack + un_get16(d + tcp_at + 14));
	if (w->probing == c && !moved && (flags & ~TCP_FLAG_PSH) == UN_TCP_FLAG_ACK &&
	    l->end_at == tcp_at + doff) {
		*out_len = 0; /* libslirp's answer to a probe: not a dup ACK */
		return;
	}
	copy = copy_into(&w->out_copy, &w->out_cap, d, len);
	set_window(copy + tcp_at,
		   MIN((c->our_edge - ack) >> UN_TCP_WINDOW_SHIFT, TCP_MAX_WINDOW));
	*out = copy;
	if (c->guest_fin && c->slirp_fin && g_queue_is_empty(&c->held))
		conn_forget(w, c);
}

void un_tcp_window_to_guest(struct un_tcp_window *w, const uint8_t *d,
			    size_t len, const uint8_t **out, size_t *out_len)
{
	struct un_l4 located;
	const struct un_l4 *l;
	struct un_l4_conn key;
	struct window_conn *c;
	const uint8_t *tcp;
	size_t doff;
	guint flags;

	*out = d;
	*out_len = len;
	if (w->extra == 0 || (g_hash_table_size(w->conns) == 0 &&
			      len > UN_ETH_HEADER_BYTES + IP_HEADER_MAX_BYTES +
					    TCP_HEADER_MAX_BYTES))
		return; /* nothing to rewrite; a SYN is never this long */
	l = un_l4_find(d, len, &located);
	if (!(tcp = segment_of(d, l, TRUE, &doff, &key)))
		return;
	flags = un_tcp_flags(tcp);
	if (flags & UN_TCP_FLAG_SYN) {
		slirp_syn(w, &key, d, len, l, doff, out, out_len);
		return;
	}
	c = g_hash_table_lookup(w->conns, &key);
	if (c && (flags & TCP_FLAG_RST))
		conn_forget(w, c);
	else if (c && c->scaled)
		conn_to_guest(w, c, d, len, l, doff, flags, out, out_len);
}
