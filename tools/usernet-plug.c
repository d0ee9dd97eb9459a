/* SPDX-License-Identifier: GPL-2.0-or-later */
/* usernet-plug.c - join a tap device to a usernet network.
 * Owns: the command line, the tap (created in another network namespace
 * with --netns), connecting to one endpoint, carrying frames both ways
 * (or handing the tap over, for a .tap endpoint).
 * Not here: stream framing, send queues and fd watches (backend/frame.c),
 * the VDE request layout (backend/vde_proto.h).
 *
 * How it works:
 * - Set-up, in order: the tap (setns into --netns, TUNSETIFF, the MTU,
 *   setns back), then the endpoint from the namespace we were started in,
 *   so a unix path or tcp:127.0.0.1:PORT means what it means to the caller.
 * - Endpoints: vde (the v3 handshake as libvdeplug does it, spoken here:
 *   libvdeplug dlopens its modules with RTLD_DEEPBIND, which sanitizer
 *   builds cannot load; our data socket ends up connected to the port's,
 *   and ctl closes when the switch drops us), stream and
 *   tcp (4-byte big-endian length framing, frame.c's de-framer), dgram (a
 *   datagram socket of our own, bound next to the server's unless --local
 *   says where; not connected, so the daemon answers on a socket connected
 *   to us and gets flow control; one datagram per frame), and tap (the
 *   hand-off, tap_proto.h: the tap's descriptor goes to usernetd, which
 *   reads and writes it; we close ours and only hold the connection, whose
 *   end is the NIC's).
 * - One GLib main loop, non-blocking fds, no threads. Tap to endpoint:
 *   the frames of one turn at the tap (up to PLUG_READS_PER_WAKE) go out
 *   together, one writev or sendmmsg (frame.c's batching); what the
 *   endpoint has no room for waits in a bounded queue, and while it does
 *   the tap is not read (the kernel queues or drops, as for a slow link).
 *   The queue drains on G_IO_OUT, or, for an unconnected dgram socket
 *   whose poll cannot say when the server has room, on a 1 ms retry timer.
 *   Endpoint to tap: each frame is written; a tap that refuses (down, full)
 *   drops it, counted.
 * - Ends: SIGINT/SIGTERM exit 0. The endpoint going away (EOF, reset, VDE
 *   ctl closed, dgram server socket gone: probed every 2 s), a framing
 *   error, or the tap going away exit 1 with one line saying which. */
#define G_LOG_DOMAIN "usernet-plug"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "frame.h"
#include "tap_proto.h"
#include "vde_proto.h"
#include "usernet/error.h"

/* Reads from one source per wake-up, so the other direction gets a turn. */
#define PLUG_READS_PER_WAKE 64
#define PLUG_PROBE_SECONDS 2
#define PLUG_RETRY_MS 1
/* How long the VDE switch or usernetd's tap endpoint may take to answer
 * our request. */
#define PLUG_ANSWER_MS 5000

enum plug_kind { PLUG_VDE, PLUG_STREAM, PLUG_DGRAM, PLUG_TCP, PLUG_TAP };

static const char *const plug_kind_names[] = {
	[PLUG_VDE] = "vde", [PLUG_STREAM] = "stream",
	[PLUG_DGRAM] = "dgram", [PLUG_TCP] = "tcp", [PLUG_TAP] = "tap",
};
G_STATIC_ASSERT(G_N_ELEMENTS(plug_kind_names) == PLUG_TAP + 1);

struct plug_options {
	char *tap;
	int mtu;
	int txqueuelen;  /* -1: raise to fit PLUG_TXQUEUE_BYTES; 0: leave */
	char *netns;
	char *local;
	gboolean verbose;
};

struct plug {
	enum plug_kind kind;
	char *address;             /* path, VDE directory or HOST:PORT, owned */
	int tap_fd;
	char tap_name[IFNAMSIZ];
	struct un_watch *tap_watch; /* G_IO_IN off while paused */
	gboolean tap_paused;
	uint8_t *tap_buf;          /* one frame from the tap */
	int ep_fd;
	struct un_watch *ep_watch;
	int ctl_fd;                /* vde: the switch's ctl connection;
				    * tap: the hand-off, the NIC's life */
	char *port_name;           /* tap: the NIC usernetd made, owned */
	guint ctl_source;
	struct sockaddr_un server; /* dgram: the server's socket */
	socklen_t server_len;
	char *local_path;          /* dgram: our socket, unlinked at exit */
	guint probe_source, retry_source;
	struct un_deframer deframer; /* stream, tcp */
	struct un_sendq q;           /* towards the endpoint */
	GMainLoop *loop;
	int status;
	uint64_t to_endpoint, to_tap, dropped;
};

static void plug_fail(struct plug *pl, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/* Print "usernet-plug: MESSAGE" and end the loop with status 1. */
static void plug_fail(struct plug *pl, const char *fmt, ...)
{
	va_list ap;
	g_autofree char *msg = NULL;

	if (pl->status != 0)
		return;
	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	fprintf(stderr, "usernet-plug: %s\n", msg);
	pl->status = 1;
	g_main_loop_quit(pl->loop);
}

static void plug_gone(struct plug *pl, const char *why)
{
	plug_fail(pl, "%s endpoint %s went away (%s); is usernetd still serving it?",
		  plug_kind_names[pl->kind], pl->address, why);
}

/* ---- endpoint address ---------------------------------------------------- */

static const struct {
	const char *prefix;
	enum plug_kind kind;
} plug_prefixes[] = {
	{ "vde://", PLUG_VDE },
	{ "stream:", PLUG_STREAM },
	{ "dgram:", PLUG_DGRAM },
	{ "tcp:", PLUG_TCP },
	{ "tap:", PLUG_TAP },
};

static const struct {
	const char *suffix;
	enum plug_kind kind;
} plug_suffixes[] = {
	{ ".vde", PLUG_VDE },  { ".vde/", PLUG_VDE },
	{ ".stream", PLUG_STREAM }, { ".dgram", PLUG_DGRAM },
	{ ".tap", PLUG_TAP },
};

/* Sets pl->kind and pl->address from ENDPOINT. */
static gboolean plug_endpoint_parse(struct plug *pl, const char *arg,
				    GError **error)
{
	for (size_t i = 0; i < G_N_ELEMENTS(plug_prefixes); i++) {
		if (!g_str_has_prefix(arg, plug_prefixes[i].prefix))
			continue;
		pl->kind = plug_prefixes[i].kind;
		pl->address = g_strdup(arg + strlen(plug_prefixes[i].prefix));
		return TRUE;
	}
	for (size_t i = 0; i < G_N_ELEMENTS(plug_suffixes); i++) {
		if (!g_str_has_suffix(arg, plug_suffixes[i].suffix))
			continue;
		pl->kind = plug_suffixes[i].kind;
		pl->address = g_strdup(arg);
		return TRUE;
	}
	if (g_file_test(arg, G_FILE_TEST_IS_DIR)) {
		pl->kind = PLUG_VDE;
		pl->address = g_strdup(arg);
		return TRUE;
	}
	g_set_error(error, UN_ERROR, UN_ERROR_CONFIG,
		    "cannot tell what endpoint '%s' is: write DIR/NAME.tap, "
		    "vde://DIR, stream:PATH, dgram:PATH or tcp:HOST:PORT", arg);
	return FALSE;
}

/* ---- the tap -------------------------------------------------------------- */

/* /proc/PID/ns/net for a PID, /run/netns/NAME for a bare name, else @arg. */
static char *plug_netns_path(const char *arg)
{
	if (*arg && strspn(arg, "0123456789") == strlen(arg))
		return g_strdup_printf("/proc/%s/ns/net", arg);
	if (!strchr(arg, '/'))
		return g_strdup_printf("/run/netns/%s", arg);
	return g_strdup(arg);
}

/* ioctl @req (SIOC*IF*) on interface @name with @ifr, whose name it fills;
 * -1 with errno on failure. */
static int plug_if_ioctl(const char *name, unsigned long req, struct ifreq *ifr)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int r, err;

	if (s < 0)
		return -1;
	g_strlcpy(ifr->ifr_name, name, IFNAMSIZ);
	r = ioctl(s, req, ifr);
	err = errno;
	close(s);
	errno = err;
	return r;
}

static gboolean plug_tap_mtu(const char *name, int mtu, GError **error)
{
	struct ifreq ifr = { .ifr_mtu = mtu };

	if (plug_if_ioctl(name, SIOCSIFMTU, &ifr) == 0)
		return TRUE;
	g_set_error(error, UN_ERROR, UN_ERROR_IO, "tap %s: cannot set MTU %d: %s",
		    name, mtu, g_strerror(errno));
	return FALSE;
}

/* The tap's transmit queue (frames its namespace sends that we have not
 * read yet). A full queue drops frames, and each drop costs the sender a
 * retransmission timeout: with the kernel's 1000, 200 TCP connections
 * uploading at once lose thousands of frames. Unless --txqueuelen says
 * otherwise, the queue is raised (never lowered) to hold
 * PLUG_TXQUEUE_BYTES of frames of the tap's MTU. */
#define PLUG_TXQUEUE_BYTES (16u << 20)
#define PLUG_TXQUEUE_MIN 1000
#define PLUG_TXQUEUE_MAX 1000000

static gboolean plug_tap_txqueuelen(const char *name, int mtu, int want,
				    GError **error)
{
	struct ifreq ifr = { 0 };
	gboolean automatic = want < 0;

	if (want == 0)
		return TRUE;
	if (automatic) {
		if (mtu == 0)
			mtu = plug_if_ioctl(name, SIOCGIFMTU, &ifr) == 0 ? ifr.ifr_mtu : 1500;
		want = MAX(PLUG_TXQUEUE_MIN, (int)(PLUG_TXQUEUE_BYTES / (unsigned)MAX(mtu, 68)));
		if (plug_if_ioctl(name, SIOCGIFTXQLEN, &ifr) == 0 && ifr.ifr_qlen >= want)
			return TRUE;
	}
	ifr.ifr_qlen = want;
	if (plug_if_ioctl(name, SIOCSIFTXQLEN, &ifr) == 0)
		return TRUE;
	if (automatic) { /* a bigger queue helps; the tap works without */
		g_warning("tap %s: cannot raise its transmit queue to %d frames: "
			  "%s; bursts may drop frames (--txqueuelen 0 leaves it)",
			  name, want, g_strerror(errno));
		return TRUE;
	}
	g_set_error(error, UN_ERROR, UN_ERROR_IO,
		    "tap %s: cannot set --txqueuelen %d: %s", name, want,
		    g_strerror(errno));
	return FALSE;
}

/* Create or open tap @name in the current namespace; sets @pl's tap. */
static gboolean plug_tap_create(struct plug *pl, const struct plug_options *o,
				GError **error)
{
	const char *name = o->tap;
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI };
	int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0) {
		g_set_error(error, UN_ERROR, UN_ERROR_IO, "/dev/net/tun: %s%s",
			    g_strerror(errno), errno == ENOENT ?
			    " (is the tun module loaded?)" : errno == EACCES ?
			    " (it should be mode 0666, as distributions ship it)" : "");
		return FALSE;
	}
	g_strlcpy(ifr.ifr_name, name, IFNAMSIZ);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		g_set_error(error, UN_ERROR, UN_ERROR_IO,
			    "cannot create tap %s: %s%s", name, g_strerror(errno),
			    errno == EPERM ? " (needs CAP_NET_ADMIN in the "
			    "namespace: run as root, or inside unshare -rn)" : "");
		close(fd);
		return FALSE;
	}
	g_strlcpy(pl->tap_name, ifr.ifr_name, IFNAMSIZ);
	pl->tap_fd = fd;
	return (o->mtu == 0 || plug_tap_mtu(pl->tap_name, o->mtu, error)) &&
	       plug_tap_txqueuelen(pl->tap_name, o->mtu, o->txqueuelen, error);
}

static gboolean plug_setns(int fd, const char *what, GError **error)
{
	if (setns(fd, CLONE_NEWNET) == 0)
		return TRUE;
	g_set_error(error, UN_ERROR, UN_ERROR_IO,
		    "cannot enter network namespace %s: %s%s", what,
		    g_strerror(errno), errno == EPERM ? " (needs CAP_SYS_ADMIN "
		    "over it: run as root or as its namespace's owner)" : "");
	return FALSE;
}

/* The tap, in @o->netns when given (entered and left again). */
static gboolean plug_tap_open(struct plug *pl, const struct plug_options *o,
			      GError **error)
{
	g_autofree char *path = NULL;
	int target, self;
	gboolean ok;

	if (!o->netns)
		return plug_tap_create(pl, o, error);
	path = plug_netns_path(o->netns);
	target = open(path, O_RDONLY | O_CLOEXEC);
	self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (target < 0 || self < 0) {
		g_set_error(error, UN_ERROR, UN_ERROR_IO,
			    "network namespace %s: %s", target < 0 ? path :
			    "/proc/self/ns/net", g_strerror(errno));
		ok = FALSE;
	} else {
		ok = plug_setns(target, path, error) &&
		     plug_tap_create(pl, o, error);
		/* Back home even on failure: the endpoint is opened here. */
		if (!plug_setns(self, "of our own (going back)", ok ? error : NULL))
			ok = FALSE;
	}
	if (target >= 0)
		close(target);
	if (self >= 0)
		close(self);
	return ok;
}

/* ---- connecting ------------------------------------------------------------- */

static gboolean plug_nonblock(int fd, const char *what, GError **error)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl >= 0 && fcntl(fd, F_SETFL, fl | O_NONBLOCK) == 0)
		return TRUE;
	g_set_error(error, UN_ERROR, UN_ERROR_IO, "%s: %s", what,
		    g_strerror(errno));
	return FALSE;
}

/* A unix stream socket connected to @path, into *@fd (closed by
 * plug_close even on failure); errors name the endpoint as @what. */
static gboolean plug_unix_connect(const char *path, const char *what, int *fd,
				  GError **error)
{
	struct sockaddr_un sun;
	socklen_t len;

	if (!un_sockaddr_un_fill(&sun, &len, path, error))
		return FALSE;
	*fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (*fd >= 0 && connect(*fd, (struct sockaddr *)&sun, len) == 0)
		return TRUE;
	g_set_error(error, UN_ERROR, UN_ERROR_IO, "%s endpoint %s: %s", what,
		    path, g_strerror(errno));
	return FALSE;
}

/* Root binding in a DIR that another user's usernetd owns: hand our
 * socket to that user, or the daemon cannot reach it. */
static void plug_local_chown(const char *local)
{
	g_autofree char *dir = g_path_get_dirname(local);
	struct stat st;

	if (stat(dir, &st) == 0 && st.st_uid != geteuid() && geteuid() == 0 &&
	    chown(local, st.st_uid, st.st_gid) < 0)
		g_warning("%s: cannot hand it to uid %u: %s", local,
			  (unsigned)st.st_uid, g_strerror(errno));
}

/* A v3 request (layout in vde_proto.h) for any port, answered to @sock. */
static size_t plug_vde_request(uint8_t *buf, const struct sockaddr_un *sock,
			       const char *descr)
{
	const uint32_t head[3] = { UN_VDE_MAGIC, UN_VDE_VERSION,
				   UN_VDE_REQ_NEW_CONTROL };
	size_t dlen = MIN(strlen(descr), (size_t)UN_VDE_DESCR_MAX_BYTES);

	G_STATIC_ASSERT(sizeof(head) + sizeof(*sock) == UN_VDE_REQUEST_HEADER_BYTES);
	memcpy(buf, head, sizeof(head));
	memcpy(buf + sizeof(head), sock, sizeof(*sock));
	memcpy(buf + UN_VDE_REQUEST_HEADER_BYTES, descr, dlen);
	return UN_VDE_REQUEST_HEADER_BYTES + dlen;
}

/* The switch's answer: the address of our port's datagram socket. */
static gboolean plug_vde_answer(struct plug *pl, struct sockaddr_un *port,
				GError **error)
{
	struct pollfd pfd = { .fd = pl->ctl_fd, .events = POLLIN };
	ssize_t n = 0;

	memset(port, 0, sizeof(*port));
	if (poll(&pfd, 1, PLUG_ANSWER_MS) == 1)
		n = recv(pl->ctl_fd, port, sizeof(*port), MSG_DONTWAIT);
	if (n > (ssize_t)offsetof(struct sockaddr_un, sun_path) &&
	    port->sun_family == AF_UNIX && port->sun_path[0] == '/' &&
	    memchr(port->sun_path, '\0', sizeof(port->sun_path)))
		return TRUE;
	g_set_error(error, UN_ERROR, UN_ERROR_PROTOCOL,
		    "vde endpoint %s: the switch %s", pl->address,
		    n == 0 ? "refused us (closed ctl, or no answer in 5 s; "
			     "see usernetd's log)" :
		    n < 0 ? g_strerror(errno) : "answered with no socket address");
	return FALSE;
}

/* Send our request for @local, connect @local's socket to the port the
 * switch answers with. */
static gboolean plug_vde_handshake(struct plug *pl, const char *local,
				   GError **error)
{
	g_autofree char *descr = g_strdup_printf("usernet-plug %s", pl->tap_name);
	uint8_t req[UN_VDE_REQUEST_MAX_BYTES];
	struct sockaddr_un sun, port;
	size_t len;

	un_sockaddr_un_fill(&sun, NULL, local, NULL);
	len = plug_vde_request(req, &sun, descr);
	if (send(pl->ctl_fd, req, len, MSG_NOSIGNAL) != (ssize_t)len) {
		g_set_error(error, UN_ERROR, UN_ERROR_IO,
			    "vde endpoint %s: sending our request: %s",
			    pl->address, g_strerror(errno));
		return FALSE;
	}
	if (!plug_vde_answer(pl, &port, error))
		return FALSE;
	if (connect(pl->ep_fd, (struct sockaddr *)&port, sizeof(port)) < 0) {
		g_set_error(error, UN_ERROR, UN_ERROR_IO, "vde endpoint %s: %s: %s",
			    pl->address, port.sun_path, g_strerror(errno));
		return FALSE;
	}
	return TRUE;
}

/* Connect to DIR/ctl, bind our datagram socket in DIR (as libvdeplug
 * does), shake hands, unlink our socket's path (the port is connected). */
static gboolean plug_connect_vde(struct plug *pl, GError **error)
{
	g_autofree char *ctl = g_build_filename(pl->address, "ctl", NULL);
	g_autofree char *local = g_strdup_printf("%s/.%05ld-plug", pl->address,
						 (long)getpid());
	gboolean ok;

	if (!plug_unix_connect(ctl, "vde", &pl->ctl_fd, error))
		return FALSE;
	pl->ep_fd = un_unix_bind(local, SOCK_DGRAM, error);
	if (pl->ep_fd < 0)
		return FALSE;
	plug_local_chown(local);
	ok = plug_vde_handshake(pl, local, error);
	unlink(local);
	return ok && plug_nonblock(pl->ctl_fd, ctl, error);
}

static gboolean plug_connect_stream(struct plug *pl, GError **error)
{
	return plug_unix_connect(pl->address, "stream", &pl->ep_fd, error) &&
	       plug_nonblock(pl->ep_fd, pl->address, error);
}

/* HOST:PORT or [HOST]:PORT into newly allocated @host and @port. */
static gboolean plug_host_port(const char *addr, char **host, char **port,
			       GError **error)
{
	const char *colon = strrchr(addr, ':');
	const char *h = addr;
	size_t hlen = colon ? (size_t)(colon - addr) : 0;

	if (hlen >= 2 && h[0] == '[' && h[hlen - 1] == ']') {
		h++;
		hlen -= 2;
	}
	if (!colon || hlen == 0 || !colon[1]) {
		g_set_error(error, UN_ERROR, UN_ERROR_CONFIG,
			    "tcp endpoint '%s': write tcp:HOST:PORT, for "
			    "example tcp:127.0.0.1:5555", addr);
		return FALSE;
	}
	*host = g_strndup(h, hlen);
	*port = g_strdup(colon + 1);
	return TRUE;
}

static gboolean plug_connect_tcp(struct plug *pl, GError **error)
{
	g_autofree char *host = NULL, *port = NULL;
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res, *ai;
	int r, one = 1, err = 0;

	if (!plug_host_port(pl->address, &host, &port, error))
		return FALSE;
	r = getaddrinfo(host, port, &hints, &res);
	if (r != 0) {
		g_set_error(error, UN_ERROR, UN_ERROR_CONFIG,
			    "tcp endpoint %s: %s", pl->address, gai_strerror(r));
		return FALSE;
	}
	for (ai = res; ai && pl->ep_fd < 0; ai = ai->ai_next) {
		pl->ep_fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
				   ai->ai_protocol);
		if (pl->ep_fd >= 0 && connect(pl->ep_fd, ai->ai_addr,
					      ai->ai_addrlen) < 0) {
			err = errno;
			close(pl->ep_fd);
			pl->ep_fd = -1;
		}
	}
	freeaddrinfo(res);
	if (pl->ep_fd < 0) {
		g_set_error(error, UN_ERROR, UN_ERROR_IO, "tcp endpoint %s: %s",
			    pl->address, g_strerror(err ? err : errno));
		return FALSE;
	}
	setsockopt(pl->ep_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return plug_nonblock(pl->ep_fd, pl->address, error);
}

static gboolean plug_connect_dgram(struct plug *pl, const char *local,
				   GError **error)
{
	g_autofree char *dir = g_path_get_dirname(pl->address);

	if (!un_sockaddr_un_fill(&pl->server, &pl->server_len, pl->address,
				 error))
		return FALSE;
	pl->local_path = local ? g_strdup(local) :
		g_strdup_printf("%s/.usernet-plug-%ld.dgram", dir, (long)getpid());
	pl->ep_fd = un_unix_bind(pl->local_path, SOCK_DGRAM, error);
	if (pl->ep_fd < 0) {
		g_prefix_error(error, "dgram endpoint %s: our socket (choose "
			       "another with --local): ", pl->address);
		g_clear_pointer(&pl->local_path, g_free); /* not ours */
		return FALSE;
	}
	plug_local_chown(pl->local_path);
	un_socket_set_buffers(pl->ep_fd, UN_DGRAM_SOCKBUF_BYTES);
	if (un_unix_alive(&pl->server, pl->server_len, SOCK_DGRAM) != 1) {
		g_set_error(error, UN_ERROR, UN_ERROR_IO,
			    "dgram endpoint %s: nothing is listening there",
			    pl->address);
		return FALSE;
	}
	return TRUE;
}

/* Hand the tap to usernetd (tap_proto.h): the hello with the tap's
 * descriptor, then its answer. The tap is the daemon's from then on; our
 * descriptor is closed, and the connection stays open as the NIC's life. */
static gboolean plug_connect_tap(struct plug *pl, GError **error)
{
	if (!plug_unix_connect(pl->address, "tap", &pl->ctl_fd, error))
		return FALSE;
	if (!un_tap_hello_send(pl->ctl_fd, pl->tap_fd, error) ||
	    !un_tap_answer_recv(pl->ctl_fd, PLUG_ANSWER_MS, &pl->port_name,
				error)) {
		g_prefix_error(error, "tap endpoint %s: usernetd refused tap %s: ",
			       pl->address, pl->tap_name);
		return FALSE;
	}
	close(pl->tap_fd);
	pl->tap_fd = -1;
	return plug_nonblock(pl->ctl_fd, pl->address, error);
}

/* ---- endpoint to tap ---------------------------------------------------- */

static void plug_to_tap(struct plug *pl, const uint8_t *data, size_t len)
{
	ssize_t w;

	if (len < UN_FRAME_MIN_BYTES || len > UN_FRAME_MAX_BYTES) {
		pl->dropped++;
		return;
	}
	do
		w = write(pl->tap_fd, data, len);
	while (w < 0 && errno == EINTR);
	if (w >= 0) {
		pl->to_tap++;
		return;
	}
	pl->dropped++;
	if (errno == EBADFD)
		plug_fail(pl, "tap %s went away", pl->tap_name);
	else
		g_debug("tap %s: write: %s", pl->tap_name, g_strerror(errno));
}

/* Stream and tcp: read, then every whole frame to the tap. */
static void plug_read_stream(struct plug *pl)
{
	for (int i = 0; i < PLUG_READS_PER_WAKE && pl->status == 0; i++) {
		g_autoptr(GError) error = NULL;
		struct un_frame f;
		enum un_deframe d;
		size_t room;
		uint8_t *at = un_deframer_room(&pl->deframer, &room);
		ssize_t n = read(pl->ep_fd, at, room);

		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0) {
			plug_gone(pl, n == 0 ? "closed" : g_strerror(errno));
			return;
		}
		un_deframer_fill(&pl->deframer, (size_t)n);
		while ((d = un_deframer_next(&pl->deframer, &f, &error)) ==
		       UN_DEFRAME_FRAME)
			plug_to_tap(pl, f.data, f.len);
		if (d == UN_DEFRAME_ERROR)
			plug_fail(pl, "%s endpoint %s: %s", plug_kind_names[pl->kind],
				  pl->address, error->message);
	}
}

/* Vde and dgram: batches of datagrams, one frame each. */
static void plug_read_dgram(struct plug *pl)
{
	for (int i = 0; i < PLUG_READS_PER_WAKE && pl->status == 0; i++) {
		int n = un_dgram_recv(pl->ep_fd);

		if (n < 0 && errno == EAGAIN)
			return;
		if (n < 0) {
			plug_gone(pl, g_strerror(errno));
			return;
		}
		for (int k = 0; k < n; k++) {
			struct un_dgram d = un_dgram_at(k);

			plug_to_tap(pl, d.data, d.len);
		}
	}
}

/* ---- tap to endpoint -------------------------------------------------------- */

static void plug_tap_pause(struct plug *pl, gboolean pause)
{
	pl->tap_paused = pause;
	un_watch_in(pl->tap_watch, !pause);
}

static gboolean plug_is_stream(const struct plug *pl)
{
	return pl->kind == PLUG_STREAM || pl->kind == PLUG_TCP;
}

/* The dgram socket is not connected: frames are addressed. */
static const struct sockaddr *plug_to(const struct plug *pl, socklen_t *len)
{
	*len = pl->kind == PLUG_DGRAM ? pl->server_len : 0;
	return pl->kind == PLUG_DGRAM ? (const struct sockaddr *)&pl->server : NULL;
}

static gboolean plug_retry(gpointer opaque);

/* Wait for room at the endpoint: G_IO_OUT, or a timer where poll
 * cannot tell (an unconnected datagram socket). */
static void plug_wait_room(struct plug *pl)
{
	plug_tap_pause(pl, TRUE);
	if (pl->kind != PLUG_DGRAM)
		un_watch_out(pl->ep_watch, TRUE);
	else if (!pl->retry_source)
		pl->retry_source = g_timeout_add(PLUG_RETRY_MS, plug_retry, pl);
}

/* What a send or flush came to: wait, go on, or give up. */
static void plug_settle(struct plug *pl, enum un_send_result r)
{
	switch (r) {
	case UN_SEND_DONE:
	case UN_SEND_BATCHED: /* flushed at the end of the tap's turn */
		break;
	case UN_SEND_QUEUED:
		plug_wait_room(pl);
		break;
	case UN_SEND_FULL:
		pl->dropped++;
		break;
	case UN_SEND_FAILED:
		pl->dropped++;
		if (un_errno_peer_gone(errno))
			plug_gone(pl, g_strerror(errno));
		else
			g_debug("%s: send: %s", pl->address, g_strerror(errno));
		break;
	}
}

static void plug_to_endpoint(struct plug *pl, const uint8_t *data, size_t len)
{
	socklen_t to_len;
	const struct sockaddr *to = plug_to(pl, &to_len);
	enum un_send_result r;

	r = plug_is_stream(pl) ? un_stream_send(&pl->q, pl->ep_fd, data, len) :
				 un_dgram_send(&pl->q, pl->ep_fd, to, to_len, data, len);
	if (r != UN_SEND_FULL && r != UN_SEND_FAILED)
		pl->to_endpoint++;
	plug_settle(pl, r);
}

/* Send what waits; once the queue is empty, read the tap again. */
static void plug_flush(struct plug *pl)
{
	socklen_t to_len;
	const struct sockaddr *to = plug_to(pl, &to_len);
	enum un_send_result r;

	r = plug_is_stream(pl) ? un_sendq_flush_stream(&pl->q, pl->ep_fd) :
				 un_sendq_flush_dgram(&pl->q, pl->ep_fd, to, to_len);
	if (r != UN_SEND_DONE) {
		plug_settle(pl, r);
		return;
	}
	un_watch_out(pl->ep_watch, FALSE);
	g_clear_handle_id(&pl->retry_source, g_source_remove);
	plug_tap_pause(pl, FALSE);
}

static gboolean plug_retry(gpointer opaque)
{
	struct plug *pl = opaque;

	plug_flush(pl);
	if (!un_sendq_empty(&pl->q))
		return G_SOURCE_CONTINUE;
	pl->retry_source = 0;
	return G_SOURCE_REMOVE;
}

static void plug_tap_ready(void *opaque, GIOCondition revents)
{
	struct plug *pl = opaque;

	for (int i = 0; i < PLUG_READS_PER_WAKE && !pl->tap_paused; i++) {
		ssize_t n = read(pl->tap_fd, pl->tap_buf, UN_FRAME_MAX_BYTES + 1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n < 0) {
			plug_fail(pl, "tap %s went away (%s)", pl->tap_name,
				  g_strerror(errno));
			break;
		}
		if (n < (ssize_t)UN_FRAME_MIN_BYTES || n > (ssize_t)UN_FRAME_MAX_BYTES) {
			pl->dropped++;
			continue;
		}
		plug_to_endpoint(pl, pl->tap_buf, (size_t)n);
		if (pl->status != 0)
			break;
	}
	/* One writev or sendmmsg for the frames of this turn. */
	if (pl->status == 0 && !pl->tap_paused && !un_sendq_empty(&pl->q))
		plug_flush(pl);
}

/* ---- the endpoint's fds ------------------------------------------------------ */

static void plug_endpoint_ready(void *opaque, GIOCondition revents)
{
	struct plug *pl = opaque;

	if (revents & G_IO_OUT)
		plug_flush(pl);
	if (pl->status == 0 && (revents & (G_IO_IN | G_IO_HUP | G_IO_ERR))) {
		if (plug_is_stream(pl))
			plug_read_stream(pl);
		else
			plug_read_dgram(pl);
	}
}

/* VDE and tap: the daemon closes this connection when it drops us. */
static gboolean plug_ctl_ready(int fd, GIOCondition cond, gpointer opaque)
{
	struct plug *pl = opaque;
	char buf[256];
	ssize_t n = read(fd, buf, sizeof(buf));

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return G_SOURCE_CONTINUE;
	if (n > 0)
		return G_SOURCE_CONTINUE; /* the daemon has nothing to say; ignore */
	if (pl->kind == PLUG_TAP)
		plug_fail(pl, "usernetd let go of NIC %s (tap %s deleted, network "
			  "removed or usernetd stopped: see its log)",
			  pl->port_name, pl->tap_name);
	else
		plug_gone(pl, n == 0 ? "it closed our connection" : g_strerror(errno));
	pl->ctl_source = 0;
	return G_SOURCE_REMOVE;
}

/* Dgram: nothing tells an idle client that the server went; look. */
static gboolean plug_dgram_probe(gpointer opaque)
{
	struct plug *pl = opaque;

	if (un_unix_alive(&pl->server, pl->server_len, SOCK_DGRAM) == 0) {
		plug_gone(pl, "its socket is gone");
		pl->probe_source = 0;
		return G_SOURCE_REMOVE;
	}
	return G_SOURCE_CONTINUE;
}

static gboolean plug_connect(struct plug *pl, const struct plug_options *o,
			     GError **error)
{
	switch (pl->kind) {
	case PLUG_VDE:
		return plug_connect_vde(pl, error);
	case PLUG_STREAM:
		return plug_connect_stream(pl, error);
	case PLUG_TCP:
		return plug_connect_tcp(pl, error);
	case PLUG_DGRAM:
		return plug_connect_dgram(pl, o->local, error);
	case PLUG_TAP:
		return plug_connect_tap(pl, error);
	}
	g_assert_not_reached();
}

static void plug_watch(struct plug *pl)
{
	if (pl->ctl_fd >= 0)
		pl->ctl_source = g_unix_fd_add(pl->ctl_fd,
					       G_IO_IN | G_IO_HUP | G_IO_ERR,
					       plug_ctl_ready, pl);
	if (pl->kind == PLUG_TAP)
		return; /* the daemon reads and writes the tap */
	pl->ep_watch = un_watch_new(pl->ep_fd, G_IO_IN, plug_endpoint_ready, pl,
				    "usernet-plug endpoint");
	if (pl->kind == PLUG_DGRAM)
		pl->probe_source = g_timeout_add_seconds(PLUG_PROBE_SECONDS,
							 plug_dgram_probe, pl);
	pl->tap_watch = un_watch_new(pl->tap_fd, G_IO_IN, plug_tap_ready, pl,
				     "usernet-plug tap");
}

static void plug_close(struct plug *pl)
{
	g_clear_pointer(&pl->tap_watch, un_watch_free);
	g_clear_handle_id(&pl->ctl_source, g_source_remove);
	g_clear_handle_id(&pl->probe_source, g_source_remove);
	g_clear_handle_id(&pl->retry_source, g_source_remove);
	g_clear_pointer(&pl->ep_watch, un_watch_free);
	un_sendq_clear(&pl->q);
	un_deframer_clear(&pl->deframer);
	if (pl->ctl_fd >= 0)
		close(pl->ctl_fd);
	if (pl->ep_fd >= 0)
		close(pl->ep_fd);
	if (pl->local_path)
		g_unlink(pl->local_path);
	if (pl->tap_fd >= 0)
		close(pl->tap_fd);
	g_free(pl->local_path);
	g_free(pl->port_name);
	g_free(pl->address);
	g_free(pl->tap_buf);
	if (pl->loop)
		g_main_loop_unref(pl->loop);
}

/* ---- main ---------------------------------------------------------------------- */

static gboolean plug_on_signal(gpointer loop)
{
	g_main_loop_quit(loop);
	return G_SOURCE_CONTINUE;
}

static const char plug_description[] =
	"ENDPOINT is one of a usernetd network's endpoints:\n"
	"  DIR/NAME.tap, tap:PATH           hand the tap itself to usernetd, which\n"
	"                                   then reads and writes it: no frame\n"
	"                                   passes through usernet-plug (lowest\n"
	"                                   latency; bulk to the host is faster\n"
	"                                   over .stream or .vde, two processes)\n"
	"  DIR/NAME.vde, vde://DIR/NAME.vde the VDE switch (a directory with ctl)\n"
	"  DIR/NAME.stream, stream:PATH     QEMU stream framing on a unix socket\n"
	"  DIR/NAME.dgram, dgram:PATH       one datagram per frame (our socket is\n"
	"                                   DIR/.usernet-plug-PID.dgram, or --local)\n"
	"  tcp:HOST:PORT                    a network's listen= endpoint\n"
	"\n"
	"The tap is left down and unconfigured; configure it in its namespace:\n"
	"  ip netns exec ns1 usernet-plug --tap tap0 DIR/lab.stream &\n"
	"  ip -n ns1 link set tap0 up && ip -n ns1 addr add 10.0.9.1/24 dev tap0\n"
	"  usernet-plug --netns 4242 --mtu 9000 DIR/lab.tap   (PID 4242's netns)\n"
	"\n"
	"With a .tap endpoint usernet-plug stays only to hold the NIC: stopping it\n"
	"detaches the NIC and removes the tap. Exits 0 on SIGINT/SIGTERM, 1 when\n"
	"the endpoint or the tap goes away, 2 on a bad command line.";

static gboolean plug_options_parse(int *argc, char ***argv,
				   struct plug_options *o, GError **error)
{
	const GOptionEntry entries[] = {
		{ "tap", 't', 0, G_OPTION_ARG_STRING, &o->tap,
		  "Tap device to create or open (default tap0)", "NAME" },
		{ "mtu", 'm', 0, G_OPTION_ARG_INT, &o->mtu,
		  "Set the tap's MTU (68 to 65520; at most the network's mtu)", "N" },
		{ "txqueuelen", 'q', 0, G_OPTION_ARG_INT, &o->txqueuelen,
		  "Set the tap's transmit queue to N frames (0 leaves it; default: "
		  "raise it to 16 MiB of frames, at least 1000)", "N" },
		{ "netns", 'n', 0, G_OPTION_ARG_FILENAME, &o->netns,
		  "Make the tap in this network namespace: a PID, a path such as "
		  "/run/netns/NAME, or NAME", "PID|PATH" },
		{ "local", 'l', 0, G_OPTION_ARG_FILENAME, &o->local,
		  "dgram: bind our socket here", "PATH" },
		{ "verbose", 'v', 0, G_OPTION_ARG_NONE, &o->verbose,
		  "Say when attached, and count frames at exit", NULL },
		{ NULL }
	};
	g_autoptr(GOptionContext) ctx = g_option_context_new(
		"ENDPOINT - join a tap device to a usernet network");

	g_option_context_add_main_entries(ctx, entries, NULL);
	g_option_context_set_description(ctx, plug_description);
	if (!g_option_context_parse(ctx, argc, argv, error))
		return FALSE;
	if (*argc != 2) {
		g_set_error(error, UN_ERROR, UN_ERROR_CONFIG, "%s",
			    *argc < 2 ? "no ENDPOINT given" :
			    "more than one ENDPOINT given");
		return FALSE;
	}
	if (!o->tap)
		o->tap = g_strdup("tap0");
	if (!*o->tap || strlen(o->tap) >= IFNAMSIZ) {
		g_set_error(error, UN_ERROR, UN_ERROR_CONFIG,
			    "--tap '%s': a name of 1 to %d bytes", o->tap,
			    IFNAMSIZ - 1);
		return FALSE;
	}
	if (o->txqueuelen < -1 || o->txqueuelen > PLUG_TXQUEUE_MAX) {
		g_set_error(error, UN_ERROR, UN_ERROR_CONFIG,
			    "--txqueuelen %d: give 0 to %d frames", o->txqueuelen,
			    PLUG_TXQUEUE_MAX);
		return FALSE;
	}
	if (o->mtu != 0 && (o->mtu < 68 || o->mtu > (int)UN_MTU_MAX)) {
		g_set_error(error, UN_ERROR, UN_ERROR_CONFIG,
			    "--mtu %d: give 68 to %u", o->mtu, UN_MTU_MAX);
		return FALSE;
	}
	return TRUE;
}

static int plug_run(struct plug *pl, const struct plug_options *o)
{
	guint sigint, sigterm;

	pl->loop = g_main_loop_new(NULL, FALSE);
	plug_watch(pl);
	sigint = g_unix_signal_add(SIGINT, plug_on_signal, pl->loop);
	sigterm = g_unix_signal_add(SIGTERM, plug_on_signal, pl->loop);
	if (o->verbose)
		fprintf(stderr, "usernet-plug: tap %s%s%s joined %s endpoint %s%s%s\n",
			pl->tap_name, o->netns ? " in netns " : "",
			o->netns ? o->netns : "", plug_kind_names[pl->kind],
			pl->address, pl->port_name ? " as " : "",
			pl->port_name ? pl->port_name : "");
	g_main_loop_run(pl->loop);
	g_source_remove(sigint);
	g_source_remove(sigterm);
	if (o->verbose && pl->kind != PLUG_TAP)
		fprintf(stderr, "usernet-plug: %" G_GUINT64_FORMAT " frames to the "
			"network, %" G_GUINT64_FORMAT " to the tap, %"
			G_GUINT64_FORMAT " dropped\n", pl->to_endpoint,
			pl->to_tap, pl->dropped);
	return pl->status;
}

int main(int argc, char **argv)
{
	struct plug_options o = { .txqueuelen = -1 };
	struct plug pl = { .tap_fd = -1, .ep_fd = -1, .ctl_fd = -1 };
	g_autoptr(GError) error = NULL;
	int status = 1;

	signal(SIGPIPE, SIG_IGN);
	if (!plug_options_parse(&argc, &argv, &o, &error)) {
		fprintf(stderr, "usernet-plug: %s (try --help)\n", error->message);
		status = 2;
		goto out;
	}
	un_sendq_init(&pl.q);
	un_deframer_init(&pl.deframer);
	pl.tap_buf = g_malloc(UN_FRAME_MAX_BYTES + 1);
	if (!plug_endpoint_parse(&pl, argv[1], &error) ||
	    !plug_tap_open(&pl, &o, &error) || !plug_connect(&pl, &o, &error)) {
		fprintf(stderr, "usernet-plug: %s\n", error->message);
		goto out;
	}
	status = plug_run(&pl, &o);
out:
	plug_close(&pl);
	g_free(o.tap);
	g_free(o.netns);
	g_free(o.local);
	return status;
}
