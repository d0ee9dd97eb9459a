/* SPDX-License-Identifier: GPL-2.0-or-later */
/* uplink.c - a libvdeplug URL as one more port of a switched network.
 * Owns: vde_open and vde_close, the data and control fds in the main loop,
 * loss and reconnection with back-off, the uplink's state for show.
 * Not here: where its frames go (the network's kind, through
 * un_port_input like any NIC), the keys (lan.c), the URL schemes
 * themselves (libvdeplug's modules).
 *
 * How it works
 * - States: up (a VDECONN open, its data fd and, when the module has one,
 *   its control fd watched) and reconnecting (no VDECONN, a retry timer
 *   1 s, 2 s, 4 s ... capped at 10 s).
 * - Receive: on G_IO_IN, up to UPLINK_BATCH frames, each vde_recv only
 *   while poll says the fd is readable (vxvde's recv blocks in epoll_wait
 *   otherwise). A return of 0 or 1 is no frame (vxvde returns 1 for its
 *   own multicast coming back or another segment's). Frames go through
 *   un_port_input: sizes checked against the limits and the MTU, counted,
 *   source MACs capped by the switch like any NIC's.
 * - Send: vde_send on a non-blocking fd, never queued: EAGAIN or ENOBUFS
 *   count queue-full; a gone peer counts send-error and marks the uplink
 *   lost from an idle callback (never under the switch's loop); other
 *   errors count send-error. While reconnecting, frames count no-peer.
 * - Loss: HUP or error on the data fd, end of file on the control fd (a
 *   vde_switch that quit), a receive error, or a send finding the peer
 *   gone. Logged once ("lost"); retries are silent (debug); the first
 *   success is logged once ("back up"). The port stays on the switch all
 *   along, so the local NICs never notice. */
#define G_LOG_DOMAIN "usernet-uplink"

#include "usernet/uplink.h"

#include <errno.h>
#include <gio/gio.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <libvdeplug.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>

#include "capture.h"
#include "frame.h"
#include "json_member.h"
#include "usernet/error.h"

/* Frames taken from the data fd per wake-up, so one busy uplink cannot
 * starve the other fds. */
#define UPLINK_BATCH 64
/* One byte more than the largest frame: a longer one shows as oversized. */
#define UPLINK_BUF_BYTES (UN_FRAME_MAX_BYTES + 1u)

const char *const un_uplink_state_names[UN_UPLINK_STATE__COUNT] = {
	[UN_UPLINK_UP] = "up",
	[UN_UPLINK_RECONNECTING] = "reconnecting",
};
G_STATIC_ASSERT(G_N_ELEMENTS(un_uplink_state_names) == UN_UPLINK_STATE__COUNT);

struct un_uplink {
	struct un_port port;
	struct un_network *net; /* borrowed */
	char *url;
	VDECONN *conn;          /* NULL while reconnecting */
	guint data_src;         /* g_unix_fd_add on vde_datafd */
	guint ctl_src;          /* g_unix_fd_add on vde_ctlfd, 0 when none */
	guint retry_src;        /* the reconnect timer */
	guint lost_src;         /* idle: a send found the peer gone */
	guint retry_ms;         /* the next retry's delay */
	guint attempts;         /* failed opens since the loss */
	guint64 reconnects;     /* losses recovered from */
	enum un_uplink_state state;
	gint64 since_us;        /* entered state, real time */
	uint8_t *buf;           /* UPLINK_BUF_BYTES */
};

static void uplink_lost(struct un_uplink *u, const char *why);

/* ---- opening ------------------------------------------------------------- */

/* The scheme of @url ("vde" when it has none, as libvdeplug reads it). */
static char *uplink_scheme(const char *url)
{
	const char *tag = strstr(url, "://");

	return tag ? g_strndup(url, (gsize)(tag - url)) : g_strdup("vde");
}

/* Why vde_open failed with @err, in the user's terms. g_free. */
static char *uplink_open_reason(const char *url, int err)
{
	g_autofree char *scheme = uplink_scheme(url);
	gboolean vxlan = g_str_equal(scheme, "vxvde") || g_str_equal(scheme, "vxlan");

	if (err == EPROTONOSUPPORT)
		return g_strdup_printf("unknown URL scheme '%s' (libvdeplug has no module libvdeplug_%s.so)",
				       scheme, scheme);
	if (g_str_equal(scheme, "vde") && (err == ENOENT || err == ECONNREFUSED))
		return g_strdup_printf("no vde_switch answers there (%s)", g_strerror(err));
	if (vxlan && (err == ENETUNREACH || err == ENODEV))
		return g_strdup_printf("no interface reaches the multicast group (%s): add a multicast route, or name the interface with /if=IFACE",
				       g_strerror(err));
	if (err == EINVAL)
		return g_strdup("libvdeplug refused an option of the URL (Invalid argument)");
	return g_strdup(err ? g_strerror(err) : "libvdeplug gave no reason");
}

/* vxvde:// and vxlan:// name their multicast group as a numeric address
 * (never a name: resolving it would ask the machine's DNS). NULL when
 * @url is fine, else why not (g_free). */
static char *uplink_group_check(const char *url)
{
	g_autofree char *scheme = uplink_scheme(url);
	g_autofree char *group = NULL;
	g_autoptr(GInetAddress) a = NULL;
	const char *tag = strstr(url, "://");

	if (!tag || (!g_str_equal(scheme, "vxvde") && !g_str_equal(scheme, "vxlan")))
		return NULL;
	group = g_strndup(tag + 3, strcspn(tag + 3, "/"));
	if (!*group)
		return NULL; /* the module's default group */
	a = g_inet_address_new_from_string(group);
	if (a && g_inet_address_get_is_multicast(a))
		return NULL;
	return g_strdup_printf("malformed address: '%s' is not an IPv4 or IPv6 multicast group "
			       "(%s://GROUP[/OPTION...], e.g. %s://239.0.0.1)",
			       group, scheme, scheme);
}

static void uplink_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl >= 0)
		fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/* ---- receiving ----------------------------------------------------------- */

static gboolean uplink_readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) > 0 && (p.revents & POLLIN);
}

/* Up to UPLINK_BATCH frames into the network. FALSE: the uplink was lost. */
static gboolean uplink_receive(struct un_uplink *u, int fd)
{
	for (int i = 0; i < UPLINK_BATCH; i++) {
		ssize_t n;

		if (i > 0 && !uplink_readable(fd))
			return TRUE;
		n = vde_recv(u->conn, u->buf, UPLINK_BUF_BYTES, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
				return TRUE;
			uplink_lost(u, g_strerror(errno));
			return FALSE;
		}
		if (n <= 1)
			continue;
		un_port_input(&u->port, u->buf, (size_t)n);
		if (u->lost_src)
			return TRUE; /* a reply found the peer gone */
	}
	return TRUE;
}

static gboolean uplink_on_data(int fd, GIOCondition cond, gpointer opaque)
{
	struct un_uplink *u = opaque;

	if (cond & (G_IO_HUP | G_IO_ERR | G_IO_NVAL)) {
		u->data_src = 0;
		uplink_lost(u, "its data channel hung up");
		return G_SOURCE_REMOVE;
	}
	if (!uplink_receive(u, fd)) {
		u->data_src = 0;
		return G_SOURCE_REMOVE;
	}
	return G_SOURCE_CONTINUE;
}

/* The control channel (vde://) carries nothing after the handshake: end
 * of file or an error there means the switch is gone. */
static gboolean uplink_on_ctl(int fd, GIOCondition cond, gpointer opaque)
{
	struct un_uplink *u = opaque;
	char junk[256];
	ssize_t n = recv(fd, junk, sizeof(junk), MSG_DONTWAIT);

	if (n > 0 || (n < 0 && (errno == EAGAIN || errno == EINTR) &&
		      !(cond & (G_IO_HUP | G_IO_ERR | G_IO_NVAL))))
		return G_SOURCE_CONTINUE;
	u->ctl_src = 0;
	uplink_lost(u, n == 0 ? "the switch closed its control connection"
			      : "its control connection failed");
	return G_SOURCE_REMOVE;
}

/* ---- sending ------------------------------------------------------------- */

static gboolean uplink_on_lost_later(gpointer opaque)
{
	struct un_uplink *u = opaque;

	u->lost_src = 0;
	uplink_lost(u, "sending found the far end gone");
	return G_SOURCE_REMOVE;
}

static void uplink_send(struct un_port *p, const struct un_frame *f)
{
	struct un_uplink *u = container_of(p, struct un_uplink, port);

	if (!u->conn || u->lost_src) {
		un_port_drop(p, UN_DROP_NO_PEER);
		return;
	}
	if (vde_send(u->conn, f->data, f->len, MSG_DONTWAIT) >= 0)
		return;
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) {
		un_port_drop(p, UN_DROP_QUEUE_FULL);
		return;
	}
	un_port_drop(p, UN_DROP_SEND_ERROR);
	if (un_errno_peer_gone(errno))
		u->lost_src = g_idle_add(uplink_on_lost_later, u);
}

static const struct un_port_ops uplink_port_ops = {
	.transport = "uplink",
	.send = uplink_send,
};

/* ---- connection life ----------------------------------------------------- */

static void uplink_close(struct un_uplink *u)
{
	g_clear_handle_id(&u->data_src, g_source_remove);
	g_clear_handle_id(&u->ctl_src, g_source_remove);
	g_clear_handle_id(&u->lost_src, g_source_remove);
	if (u->conn)
		vde_close(u->conn);
	u->conn = NULL;
}

/* Open the URL and watch its fds. FALSE with @error saying why. */
static gboolean uplink_connect(struct un_uplink *u, GError **error)
{
	g_autofree char *url = g_strdup(u->url);
	g_autofree char *descr = g_strdup_printf("usernetd %s", u->net->name);
	g_autofree char *bad = uplink_group_check(u->url);
	int ctl;

	errno = 0;
	u->conn = bad ? NULL : vde_open(url, descr, NULL);
	if (!u->conn) {
		int err = errno;
		g_autofree char *why = bad ? g_steal_pointer(&bad) : uplink_open_reason(u->url, err);

		g_set_error(error, UN_ERROR, UN_ERROR_CONFIG,
			    "network '%s': uplink '%s': cannot open: %s",
			    u->net->name, u->url, why);
		return FALSE;
	}
	uplink_nonblock(vde_datafd(u->conn));
	u->data_src = g_unix_fd_add(vde_datafd(u->conn),
				    G_IO_IN | G_IO_HUP | G_IO_ERR,
				    uplink_on_data, u);
	ctl = vde_ctlfd(u->conn);
	if (ctl >= 0 && ctl != vde_datafd(u->conn))
		u->ctl_src = g_unix_fd_add(ctl, G_IO_IN | G_IO_HUP | G_IO_ERR,
					   uplink_on_ctl, u);
	u->state = UN_UPLINK_UP;
	u->since_us = g_get_real_time();
	return TRUE;
}

static gboolean uplink_on_retry(gpointer opaque);

static void uplink_schedule(struct un_uplink *u)
{
	u->retry_src = g_timeout_add(u->retry_ms, uplink_on_retry, u);
	u->retry_ms = MIN(u->retry_ms * 2, UN_UPLINK_RETRY_MAX_MS);
}

/* Start reconnecting (no log line: the caller says why). */
static void uplink_reconnecting(struct un_uplink *u)
{
	uplink_close(u);
	u->state = UN_UPLINK_RECONNECTING;
	u->since_us = g_get_real_time();
	u->attempts = 0;
	u->retry_ms = UN_UPLINK_RETRY_FIRST_MS;
	uplink_schedule(u);
}

static void uplink_lost(struct un_uplink *u, const char *why)
{
	g_warning("network '%s': uplink %s (%s) lost: %s; the network's own "
		  "NICs keep working; reconnecting every %u to %u s",
		  u->net->name, u->port.name, u->url, why,
		  UN_UPLINK_RETRY_FIRST_MS / 1000, UN_UPLINK_RETRY_MAX_MS / 1000);
	uplink_reconnecting(u);
}

static gboolean uplink_on_retry(gpointer opaque)
{
	struct un_uplink *u = opaque;
	g_autoptr(GError) error = NULL;
	gint64 down_s = (g_get_real_time() - u->since_us) / G_USEC_PER_SEC;

	u->retry_src = 0;
	u->attempts++;
	if (!uplink_connect(u, &error)) {
		g_debug("%s (attempt %u; next in %u s)", error->message,
			u->attempts, u->retry_ms / 1000);
		uplink_schedule(u);
		return G_SOURCE_REMOVE;
	}
	u->reconnects++;
	g_message("network '%s': uplink %s (%s) back up after %" G_GINT64_FORMAT
		  " s (%u attempts)", u->net->name, u->port.name, u->url,
		  down_s, u->attempts);
	return G_SOURCE_REMOVE;
}

/* ---- the engine ---------------------------------------------------------- */

/* Make @u's port one of @n's: named, listed in n->ports like a NIC. */
static void uplink_port_join(struct un_uplink *u, struct un_network *n)
{
	un_port_init(&u->port, &uplink_port_ops, u->url);
	u->port.name = g_strdup_printf("%s/uplink-%u", n->name, ++n->next_port_id);
	u->port.network = n;
	u->port.since_us = g_get_real_time();
	g_ptr_array_add(n->ports, &u->port);
}

struct un_uplink *un_uplink_new(struct un_network *n, const char *url,
				gboolean optional, GError **error)
{
	struct un_uplink *u = g_new0(struct un_uplink, 1);
	g_autoptr(GError) local = NULL;

	u->net = n;
	u->url = g_strdup(url);
	u->buf = g_malloc(UPLINK_BUF_BYTES);
	uplink_port_join(u, n);
	if (uplink_connect(u, &local)) {
		g_info("network '%s': uplink %s (%s) up", n->name, u->port.name, url);
		return u;
	}
	if (!optional) {
		g_propagate_error(error, g_steal_pointer(&local));
		un_uplink_free(u);
		return NULL;
	}
	g_warning("%s; uplink-optional=on: starting without it, reconnecting "
		  "every %u to %u s", local->message,
		  UN_UPLINK_RETRY_FIRST_MS / 1000, UN_UPLINK_RETRY_MAX_MS / 1000);
	uplink_reconnecting(u);
	return u;
}

void un_uplink_free(struct un_uplink *u)
{
	if (!u)
		return;
	uplink_close(u);
	g_clear_handle_id(&u->retry_src, g_source_remove);
	un_captures_close(&u->port.captures);
	g_ptr_array_remove(u->net->ports, &u->port);
	un_port_clear(&u->port);
	g_free(u->buf);
	g_free(u->url);
	g_free(u);
}

struct un_port *un_uplink_port(struct un_uplink *u)
{
	return &u->port;
}

const char *un_uplink_url(const struct un_uplink *u)
{
	return u->url;
}

enum un_uplink_state un_uplink_state(const struct un_uplink *u,
				     gint64 *since_us)
{
	if (since_us)
		*since_us = u->since_us;
	return u->state;
}

char *un_uplink_socket_dir(const char *url)
{
	g_autofree char *scheme = uplink_scheme(url);
	const char *tag = strstr(url, "://");
	const char *path = tag ? tag + 3 : url;
	g_autofree char *dir = NULL;

	if (!g_str_equal(scheme, "vde") || !*path)
		return NULL;
	dir = g_strndup(path, strcspn(path, "["));
	return g_path_get_dirname(dir);
}

/* ---- show ---------------------------------------------------------------- */

static void uplink_member_string(JsonBuilder *b, const char *name,
				 const char *v)
{
	json_builder_set_member_name(b, name);
	json_builder_add_string_value(b, v);
}

static void uplink_counters_describe(const struct un_port_counters *c,
				     JsonBuilder *b)
{
	json_builder_set_member_name(b, "counters");
	json_builder_begin_object(b);
	un_port_counters_describe(c, b);
	json_builder_end_object(b);
}

void un_uplink_describe(const struct un_uplink *u, JsonBuilder *b)
{
	g_autoptr(GDateTime) t = g_date_time_new_from_unix_utc(u->since_us / G_USEC_PER_SEC);
	g_autofree char *since = t ? g_date_time_format_iso8601(t) : g_strdup("");

	json_builder_begin_object(b);
	uplink_member_string(b, "url", u->url);
	uplink_member_string(b, "port", u->port.name);
	uplink_member_string(b, "state", un_uplink_state_names[u->state]);
	uplink_member_string(b, "since", since);
	un_json_member_int(b, "reconnects", u->reconnects);
	uplink_counters_describe(&u->port.counters, b);
	json_builder_end_object(b);
}

/* ---- a network's uplinks ------------------------------------------------- */

struct un_uplinks {
	struct un_switch *sw; /* borrowed */
	GPtrArray *all;       /* struct un_uplink *, owned */
};

struct un_uplinks *un_uplinks_new(struct un_network *n,
				  const struct un_config *c,
				  struct un_switch *sw, GError **error)
{
	g_auto(GStrv) urls = un_config_list(c, "uplink");
	struct un_uplinks *ul = g_new0(struct un_uplinks, 1);
	gboolean optional;

	ul->sw = sw;
	ul->all = g_ptr_array_new();
	if (!un_config_bool(c, "uplink-optional", FALSE, &optional, error))
		goto fail;
	for (char **url = urls; *url; url++) {
		struct un_uplink *u = un_uplink_new(n, *url, optional, error);

		if (!u)
			goto fail;
		g_ptr_array_add(ul->all, u);
		un_switch_add_port(sw, un_uplink_port(u));
	}
	return ul;
fail:
	un_uplinks_free(ul);
	return NULL;
}

void un_uplinks_free(struct un_uplinks *ul)
{
	if (!ul)
		return;
	for (guint i = 0; i < ul->all->len; i++) {
		struct un_uplink *u = g_ptr_array_index(ul->all, i);

		un_switch_remove_port(ul->sw, un_uplink_port(u));
		un_uplink_free(u);
	}
	g_ptr_array_free(ul->all, TRUE);
	g_free(ul);
}

void un_uplinks_describe(const struct un_uplinks *ul, JsonBuilder *b)
{
	if (!ul || ul->all->len == 0)
		return;
	json_builder_set_member_name(b, "uplinks");
	json_builder_begin_array(b);
	for (guint i = 0; i < ul->all->len; i++)
		un_uplink_describe(g_ptr_array_index(ul->all, i), b);
	json_builder_end_array(b);
}
