/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tcp_cork.c - cork a host socket while a burst of guest segments is
 * written to it (tcp_cork.h says why).
 * Owns: the guest connection -> host socket map, the sockets corked in
 * this wake-up. Not here: libslirp, the headers' layout (l4.c). */
#include "tcp_cork.h"
#include "l4.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>

struct cork_conn {
	struct un_l4_conn key;
	int fd;
	guint gen;          /* the wake-up segs counts in */
	guint segs;         /* data segments of this wake-up */
	gboolean corked;
	gboolean uncorkable; /* setsockopt refused once: leave it be */
};

/* A forward's socket, waiting for the SYN libslirp sends the guest for
 * it: that SYN's source port is @peer_port. */
struct accepted {
	int fd;
	int peer_port;
};

/* Accepted sockets whose SYN has not left yet (it waits while libslirp
 * resolves the guest's MAC): the oldest is forgotten beyond this. */
#define ACCEPTED_MAX 64u

struct un_tcp_cork {
	GHashTable *by_key;  /* struct un_l4_conn * -> struct cork_conn * (owned) */
	GHashTable *by_fd;   /* fd -> struct cork_conn * */
	GPtrArray *corked;   /* struct cork_conn *, corked this wake-up */
	struct un_l4_conn syn; /* the SYN being input, when syn_pending */
	gboolean syn_pending;
	GArray *accepted;    /* struct accepted: sockets libslirp accepted for
			      * a forward, until the SYN it sends names them */
	guint gen;
	guint64 bursts;
};

struct un_tcp_cork *un_tcp_cork_new(void)
{
	struct un_tcp_cork *c = g_new0(struct un_tcp_cork, 1);

	c->by_key = g_hash_table_new_full(un_l4_conn_hash, un_l4_conn_equal,
					  NULL, g_free);
	c->by_fd = g_hash_table_new(g_direct_hash, g_direct_equal);
	c->corked = g_ptr_array_new();
	c->accepted = g_array_new(FALSE, FALSE, sizeof(struct accepted));
	return c;
}

void un_tcp_cork_free(struct un_tcp_cork *c)
{
	if (!c)
		return;
	un_tcp_cork_flush(c);
	g_ptr_array_free(c->corked, TRUE);
	g_array_free(c->accepted, TRUE);
	g_hash_table_destroy(c->by_fd);
	g_hash_table_destroy(c->by_key);
	g_free(c);
}

static gboolean cork_set(struct cork_conn *conn, int on)
{
	return setsockopt(conn->fd, IPPROTO_TCP, TCP_CORK, &on, sizeof(on)) == 0;
}

/* The TCP segment in @d: its connection in *key, its flags, its payload
 * bytes. FALSE for anything but a whole TCP segment. */
static gboolean cork_segment(const uint8_t *d, const struct un_l4 *l,
			     struct un_l4_conn *key, guint *flags,
			     size_t *payload)
{
	size_t hdr;
	const uint8_t *tcp = un_l4_tcp_header(d, l, &hdr);

	if (!tcp)
		return FALSE;
	un_l4_conn_fill(d, l, key);
	*flags = un_tcp_flags(tcp);
	*payload = un_l4_bytes(l) - hdr;
	return TRUE;
}

/* Another data segment of @conn in this wake-up; the second corks. */
static void cork_count(struct un_tcp_cork *c, struct cork_conn *conn)
{
	if (conn->gen != c->gen) {
		conn->gen = c->gen;
		conn->segs = 0;
	}
	if (++conn->segs != 2 || conn->corked || conn->uncorkable)
		return;
	if (!cork_set(conn, 1)) {
		conn->uncorkable = TRUE;
		return;
	}
	conn->corked = TRUE;
	c->bursts++;
	g_ptr_array_add(c->corked, conn);
}

void un_tcp_cork_input(struct un_tcp_cork *c, const uint8_t *d,
		       const struct un_l4 *l)
{
	struct un_l4_conn key;
	struct cork_conn *conn;
	size_t payload;
	guint flags;

	if (!cork_segment(d, l, &key, &flags, &payload))
		return;
	if ((flags & (UN_TCP_FLAG_SYN | UN_TCP_FLAG_ACK)) == UN_TCP_FLAG_SYN) {
		c->syn = key;
		c->syn_pending = TRUE;
		return;
	}
	if (payload == 0 || (flags & UN_TCP_FLAG_SYN))
		return;
	conn = g_hash_table_lookup(c->by_key, &key);
	if (conn)
		cork_count(c, conn);
}

void un_tcp_cork_input_done(struct un_tcp_cork *c)
{
	c->syn_pending = FALSE;
}

/* Forget @conn: uncorked, out of both tables. */
static void cork_forget(struct un_tcp_cork *c, struct cork_conn *conn)
{
	if (conn->corked) {
		cork_set(conn, 0);
		g_ptr_array_remove_fast(c->corked, conn);
	}
	g_hash_table_remove(c->by_fd, GINT_TO_POINTER(conn->fd));
	g_hash_table_remove(c->by_key, &conn->key); /* frees conn */
}

/* Map @key (as the guest sends it) to socket @fd, replacing what either
 * was mapped to. */
static void cork_map(struct un_tcp_cork *c, const struct un_l4_conn *key, int fd)
{
	struct cork_conn *conn;

	if ((conn = g_hash_table_lookup(c->by_key, key)))
		cork_forget(c, conn);
	if ((conn = g_hash_table_lookup(c->by_fd, GINT_TO_POINTER(fd))))
		cork_forget(c, conn);
	conn = g_new0(struct cork_conn, 1);
	conn->key = *key;
	conn->fd = fd;
	conn->gen = c->gen - 1;
	g_hash_table_insert(c->by_key, &conn->key, conn);
	g_hash_table_insert(c->by_fd, GINT_TO_POINTER(fd), conn);
}

/* The port of @fd's peer, or -1 (not a connected TCP/IP socket). */
static int peer_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getpeername(fd, (struct sockaddr *)&ss, &len) < 0)
		return -1;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return -1;
}

void un_tcp_cork_opened(struct un_tcp_cork *c, int fd)
{
	struct accepted a = { fd, -1 };

	if (c->syn_pending) {
		c->syn_pending = FALSE; /* one socket per SYN */
		cork_map(c, &c->syn, fd);
		return;
	}
	/* Outside a SYN's input: a forward's accepted socket is connected;
	 * listeners and unconnected UDP sockets have no peer. */
	a.peer_port = peer_port(fd);
	if (a.peer_port < 0)
		return;
	if (c->accepted->len >= ACCEPTED_MAX)
		g_array_remove_index(c->accepted, 0);
	g_array_append_val(c->accepted, a);
}

/* Take out of the waiting list the accepted socket whose peer port is
 * @port (when @port >= 0) or which is @fd (when @fd >= 0): its fd, or -1
 * when none waits. */
static int accepted_take(struct un_tcp_cork *c, int port, int fd)
{
	for (guint i = 0; i < c->accepted->len; i++) {
		struct accepted *a = &g_array_index(c->accepted, struct accepted, i);

		if ((port >= 0 && a->peer_port == port) || (fd >= 0 && a->fd == fd)) {
			fd = a->fd;
			g_array_remove_index(c->accepted, i);
			return fd;
		}
	}
	return -1;
}

void un_tcp_cork_output(struct un_tcp_cork *c, const uint8_t *d, size_t len)
{
	struct un_l4_conn key, guest_key;
	struct un_l4 located;
	size_t payload;
	guint flags;
	int fd;

	if (c->accepted->len == 0 ||
	    !cork_segment(d, un_l4_find(d, len, &located), &key, &flags, &payload) ||
	    (flags & (UN_TCP_FLAG_SYN | UN_TCP_FLAG_ACK)) != UN_TCP_FLAG_SYN)
		return;
	fd = accepted_take(c, key.sport, -1);
	if (fd < 0)
		return;
	guest_key = un_l4_conn_reversed(&key);
	cork_map(c, &guest_key, fd);
}

void un_tcp_cork_closed(struct un_tcp_cork *c, int fd)
{
	struct cork_conn *conn = g_hash_table_lookup(c->by_fd, GINT_TO_POINTER(fd));

	accepted_take(c, -1, fd);
	if (conn)
		cork_forget(c, conn);
}

void un_tcp_cork_flush(struct un_tcp_cork *c)
{
	for (guint i = 0; i < c->corked->len; i++) {
		struct cork_conn *conn = g_ptr_array_index(c->corked, i);

		cork_set(conn, 0);
		conn->corked = FALSE;
	}
	g_ptr_array_set_size(c->corked, 0);
	c->gen++;
}

guint64 un_tcp_cork_bursts(const struct un_tcp_cork *c)
{
	return c->bursts;
}

guint un_tcp_cork_connections(const struct un_tcp_cork *c)
{
	return g_hash_table_size(c->by_fd);
}
