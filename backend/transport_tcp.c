/* SPDX-License-Identifier: GPL-2.0-or-later */
/* transport_tcp.c - QEMU stream peers over TCP (-netdev socket,connect=).
 * Owns: the network's listen=ADDR:PORT key, the TCP listener, its -netdev
 * option.
 * Not here: the peers themselves; they are stream peers
 * (transport_stream.c) on a TCP socket.
 *
 * How it works: only a network with listen= gets a TCP endpoint. ADDR is a
 * numeric IPv4 address or a bracketed IPv6 one; an empty ADDR means
 * 127.0.0.1; PORT 0 picks a free port, which the endpoint's address then
 * shows. The listener has TCP_NODELAY set, which accepted connections
 * inherit: frames go out as they come, not batched by Nagle. */
#define G_LOG_DOMAIN "usernet-tcp"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <unistd.h>

#include "frame.h"
#include "transport.h"
#include "usernet/error.h"

static gboolean tcp_listen_error(const char *listen, GError **error)
{
	g_set_error(error, UN_ERROR, UN_ERROR_CONFIG,
		    "listen=%s: expected ADDR:PORT with a numeric address, "
		    "e.g. 127.0.0.1:5555 or [::1]:5555", listen);
	return FALSE;
}

/* Parse ADDR:PORT, [IPv6]:PORT or :PORT into @ss. */
static gboolean tcp_parse_listen(const char *listen, struct sockaddr_storage *ss,
				 socklen_t *len, GError **error)
{
	struct sockaddr_in *in = (void *)ss;
	struct sockaddr_in6 *in6 = (void *)ss;
	const char *colon = strrchr(listen, ':');
	g_autofree char *host = NULL;
	guint64 port;

	if (colon == NULL ||
	    !g_ascii_string_to_unsigned(colon + 1, 10, 0, 65535, &port, NULL))
		return tcp_listen_error(listen, error);
	memset(ss, 0, sizeof(*ss));
	if (listen[0] == '[') {
		if (colon == listen || colon[-1] != ']')
			return tcp_listen_error(listen, error);
		host = g_strndup(listen + 1, (size_t)(colon - listen - 2));
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*in6);
		if (inet_pton(AF_INET6, host, &in6->sin6_addr) != 1)
			return tcp_listen_error(listen, error);
		return TRUE;
	}
	host = g_strndup(listen, (size_t)(colon - listen));
	in->sin_family = AF_INET;
	in->sin_port = htons((uint16_t)port);
	*len = sizeof(*in);
	if (host[0] == '\0')
		return inet_pton(AF_INET, "127.0.0.1", &in->sin_addr) == 1;
	if (inet_pton(AF_INET, host, &in->sin_addr) != 1)
		return tcp_listen_error(listen, error);
	return TRUE;
}

/* A TCP listener bound to @ss; its actual address in *address. */
static int tcp_bind(const struct sockaddr_storage *ss, socklen_t len,
		    char **address, GError **error)
{
	int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1;
	struct sockaddr_storage bound;
	socklen_t bound_len = sizeof(bound);

	if (fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0 ||
	    bind(fd, (const struct sockaddr *)ss, len) < 0 ||
	    getsockname(fd, (struct sockaddr *)&bound, &bound_len) < 0) {
		g_set_error(error, UN_ERROR,
			    errno == EADDRINUSE ? UN_ERROR_BUSY : UN_ERROR_IO,
			    "cannot bind: %s%s", g_strerror(errno),
			    errno == EADDRINUSE ? " (choose another port)" : "");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	*address = un_sockaddr_describe((struct sockaddr *)&bound, bound_len);
	return fd;
}

static const struct un_port_ops tcp_port_ops = {
	.transport = "tcp",
	.send = un_stream_port_send,
};

static struct un_endpoint *tcp_open(struct un_network *n, const char *dir,
				    GError **error)
{
	struct sockaddr_storage ss;
	socklen_t len;
	g_autofree char *address = NULL;
	int fd;

	if (n->listen == NULL)
		return NULL;
	if (!tcp_parse_listen(n->listen, &ss, &len, error))
		return NULL;
	fd = tcp_bind(&ss, len, &address, error);
	if (fd < 0) {
		g_prefix_error(error, "listen=%s: ", n->listen);
		return NULL;
	}
	return un_stream_endpoint_new(&un_transport_tcp, &tcp_port_ops, n, fd,
				      address, NULL, error);
}

/* QEMU's socket netdev takes IPv4 only; IPv6 goes through its stream
 * netdev. A wildcard listener is reached on loopback. */
static char *tcp_qemu_option(const struct un_endpoint *e)
{
	const char *colon = strrchr(e->address, ':');
	g_autofree char *host = NULL;

	if (e->address[0] == '[') {
		host = g_strndup(e->address + 1, (size_t)(colon - e->address - 2));
		return g_strdup_printf("-netdev stream,id=n0,server=off,"
				       "addr.type=inet,addr.host=%s,addr.port=%s",
				       strcmp(host, "::") == 0 ? "::1" : host,
				       colon + 1);
	}
	host = g_strndup(e->address, (size_t)(colon - e->address));
	return g_strdup_printf("-netdev socket,id=n0,connect=%s:%s",
			       strcmp(host, "0.0.0.0") == 0 ? "127.0.0.1" : host,
			       colon + 1);
}

const struct un_transport_ops un_transport_tcp = {
	.name = "tcp",
	.open = tcp_open,
	.qemu_option = tcp_qemu_option,
	.close = un_stream_endpoint_close,
};
