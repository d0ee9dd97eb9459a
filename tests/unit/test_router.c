/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_router.c - the libslirp router on the GLib main loop
 * (backend/slirp_glue.c) with real libslirp and loopback sockets only:
 * forwards bound and refused, DHCP answers as configured, and the IPv4
 * fragments that kill libslirp 4.7 made harmless. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "config.h"
#include "guest_frames.h"
#include "usernet/error.h"
#include "usernet/router.h"

struct rig {
	struct un_router_config rc;
	struct un_netdef *def;
	struct un_router *r;
	struct un_port port;
	GPtrArray *out; /* GBytes * the router sent */
};

static void rig_output(void *opaque, const struct un_frame *f)
{
	struct rig *rig = opaque;

	g_ptr_array_add(rig->out, g_bytes_new(f->data, f->len));
}

/* A router from "nat:t,KEYS"; NULL (and @error) when it cannot be made. */
static struct rig *rig_new(const char *keys, GError **error)
{
	g_autofree char *spec = g_strdup_printf("nat:t%s%s", *keys ? "," : "", keys);
	struct rig *rig = g_new0(struct rig, 1);
	struct un_config c;

	rig->out = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
	rig->def = un_spec_parse(spec, NULL);
	assert_non_null(rig->def);
	c = un_netdef_config(rig->def);
	assert_true(un_router_config_parse(&rig->rc, &c, 1500, NULL));
	return rig;
}

static gboolean rig_start(struct rig *rig, GError **error)
{
	rig->r = un_router_new(&rig->rc, "t", rig_output, rig, error);
	return rig->r != NULL;
}

static void rig_free(struct rig *rig)
{
	un_router_free(rig->r);
	un_router_config_clear(&rig->rc);
	un_netdef_free(rig->def);
	g_ptr_array_unref(rig->out);
	g_free(rig);
}

/* Run the main loop until @n frames came out or 5 s passed. */
static void rig_wait_frames(struct rig *rig, guint n)
{
	gint64 end = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;

	while (rig->out->len < n && g_get_monotonic_time() < end)
		if (!g_main_context_iteration(NULL, FALSE))
			g_usleep(1000);
}

static void rig_send(struct rig *rig, GByteArray *f)
{
	struct un_frame fr = { f->data, f->len };

	un_router_input(rig->r, &rig->port, &fr);
	g_byte_array_unref(f);
}

static const uint8_t *frame_at(struct rig *rig, guint i, gsize *len)
{
	return g_bytes_get_data(g_ptr_array_index(rig->out, i), len);
}

/* ---- frames a guest sends ---- */

static GByteArray *ip4(guint proto, const char *src, const char *dst, guint id,
		       guint flags_off, const uint8_t *pl, gsize len)
{
	return gf_ip4(gf_bcast_mac, proto, src, dst, id, flags_off, pl, len);
}

static GByteArray *arp_who_has(const char *target, const char *sender)
{
	GByteArray *f = gf_eth(gf_bcast_mac, 0x0806);
	uint8_t a[28] = { 0, 1, 8, 0, 6, 4, 0, 1 };

	memcpy(a + 8, gf_guest_mac, 6);
	inet_pton(AF_INET, sender, a + 14);
	inet_pton(AF_INET, target, a + 24);
	g_byte_array_append(f, a, sizeof(a));
	return f;
}

static GByteArray *dhcp_discover(void)
{
	uint8_t pl[8 + 240 + 4] = { 0 };
	uint8_t *bp = pl + 8;

	gf_put16(pl, 68);
	gf_put16(pl + 2, 67);
	gf_put16(pl + 4, sizeof(pl));
	bp[0] = 1; /* BOOTREQUEST */
	bp[1] = 1;
	bp[2] = 6;
	bp[4] = 0x12; /* xid */
	memcpy(bp + 28, gf_guest_mac, 6);
	bp[236] = 99, bp[237] = 130, bp[238] = 83, bp[239] = 99;
	bp[240] = 53, bp[241] = 1, bp[242] = 1; /* DHCPDISCOVER */
	bp[243] = 255;
	return ip4(17, "0.0.0.0", "255.255.255.255", 1, 0, pl, sizeof(pl));
}

/* ---- forwards ---- */

/* A TCP listener on 127.0.0.1 with a kernel-chosen port. */
static int listen_loopback(guint *port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(fd, 4), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	*port = ntohs(sin.sin_port);
	return fd;
}

static int connect_loopback(guint port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	int rc;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons((guint16)port);
	rc = connect(fd, (struct sockaddr *)&sin, sizeof(sin));
	close(fd);
	return rc == 0 ? 0 : errno;
}

static void test_hostfwd_port_in_use(void **state)
{
	guint port;
	int fd = listen_loopback(&port);
	g_autofree char *keys = g_strdup_printf("hostfwd=tcp::%u-:22", port);
	g_autofree char *want = g_strdup_printf(
		"hostfwd tcp::%u-:22: 127.0.0.1:%u is in use; pick another host port or stop what holds it",
		port, port);
	struct rig *rig = rig_new(keys, NULL);
	g_autoptr(GError) err = NULL;

	assert_false(rig_start(rig, &err));
	assert_true(g_error_matches(err, UN_ERROR, UN_ERROR_BUSY));
	assert_string_equal(err->message, want);
	rig_free(rig);
	close(fd);
}

/* A connection to a forward makes libslirp look for the guest: an ARP
 * request for the DHCP start address leaves on the guest side. */
static void test_hostfwd_bound_and_removed(void **state)
{
	guint port;
	int fd = listen_loopback(&port);
	g_autofree char *rule = NULL;
	struct un_hostfwd fwd;
	struct rig *rig;
	g_autoptr(GError) err = NULL;
	const uint8_t *f;
	gsize len;

	close(fd); /* now free, most likely */
	rule = g_strdup_printf("tcp::%u-:22", port);
	rig = rig_new("", NULL);
	assert_true(rig_start(rig, &err));
	assert_true(un_hostfwd_parse(rule, &fwd, &err));
	assert_true(un_router_add_hostfwd(rig->r, &fwd, &err));
	assert_int_equal(connect_loopback(port), 0);
	rig_wait_frames(rig, 1);
	assert_true(rig->out->len >= 1);
	f = frame_at(rig, 0, &len);
	assert_int_equal(len, 60); /* padded as QEMU pads */
	assert_int_equal(f[12] << 8 | f[13], 0x0806);
	assert_memory_equal(f + 14 + 24, "\x0a\x00\x02\x0f", 4);

	assert_true(un_router_remove_hostfwd(rig->r, &fwd, &err));
	assert_int_equal(connect_loopback(port), ECONNREFUSED);
	assert_false(un_router_remove_hostfwd(rig->r, &fwd, &err));
	assert_true(g_error_matches(err, UN_ERROR, UN_ERROR_NOT_FOUND));
	un_hostfwd_clear(&fwd);
	rig_free(rig);
}

static void test_hostfwd_unix(void **state)
{
	g_autofree char *dir = g_dir_make_tmp("usernet-test-XXXXXX", NULL);
	g_autofree char *path = g_build_filename(dir, "fwd-1.sock", NULL);
	g_autofree char *keys = g_strdup_printf("hostfwd=unix:%s-:22", path);
	g_autofree char *want = NULL;
	struct rig *rig = rig_new(keys, NULL);
	g_autoptr(GError) err = NULL;
	struct stat st;

	assert_true(rig_start(rig, &err));
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	rig_free(rig);
	assert_int_equal(stat(path, &st), -1); /* unlinked with the router */

	assert_true(g_file_set_contents(path, "x", 1, NULL));
	rig = rig_new(keys, NULL);
	assert_false(rig_start(rig, &err));
	want = g_strdup_printf("hostfwd unix:%s-:22: %s exists and is not a socket; remove it or pick another path",
			       path, path);
	assert_string_equal(err->message, want);
	rig_free(rig);
	unlink(path);
	rmdir(dir);
}

static void test_guestfwd(void **state)
{
	static const struct { const char *keys; const char *want; } bad[] = {
		{ "guestfwd=tcp:10.0.3.100:80-cmd:cat",
		  "guestfwd tcp:10.0.3.100:80-cmd:cat: 10.0.3.100:80 cannot be used; the address must be inside 10.0.2.0/24, not the host or DNS address, and the port not taken by another guestfwd" },
		{ "guestfwd=tcp:10.0.2.2:80-cmd:cat",
		  "guestfwd tcp:10.0.2.2:80-cmd:cat: 10.0.2.2:80 cannot be used; the address must be inside 10.0.2.0/24, not the host or DNS address, and the port not taken by another guestfwd" },
		{ "guestfwd=tcp::80-cmd:cat,guestfwd=tcp:10.0.2.4:80-unix:/nonexistent",
		  "guestfwd tcp:10.0.2.4:80-unix:/nonexistent: 10.0.2.4:80 cannot be used; the address must be inside 10.0.2.0/24, not the host or DNS address, and the port not taken by another guestfwd" },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		struct rig *rig = rig_new(bad[i].keys, NULL);
		g_autoptr(GError) err = NULL;

		if (rig_start(rig, &err))
			fail_msg("'%s' was accepted", bad[i].keys);
		assert_string_equal(err->message, bad[i].want);
		rig_free(rig);
	}
}

/* guestfwd ...-tcp:HOST:PORT connects to the host service at start. */
static void test_guestfwd_tcp_connects(void **state)
{
	guint port;
	int fd = listen_loopback(&port);
	g_autofree char *keys = g_strdup_printf(
		"guestfwd=tcp:10.0.2.100:80-tcp:127.0.0.1:%u", port);
	struct rig *rig = rig_new(keys, NULL);
	g_autoptr(GError) err = NULL;
	gint64 end = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
	int conn = -1;

	assert_true(rig_start(rig, &err));
	while (conn < 0 && g_get_monotonic_time() < end) {
		g_main_context_iteration(NULL, FALSE);
		conn = accept4(fd, NULL, NULL, SOCK_NONBLOCK);
		if (conn < 0)
			g_usleep(1000);
	}
	assert_true(conn >= 0);
	rig_free(rig);
	close(conn);
	close(fd);
}

/* ---- what the guest sees ---- */

static const uint8_t *dhcp_offer(struct rig *rig, gsize *len)
{
	for (guint i = 0; i < rig->out->len; i++) {
		const uint8_t *f = frame_at(rig, i, len);

		if (*len > 14 + 20 + 8 + 240 && f[12] == 0x08 && f[13] == 0 &&
		    f[14 + 9] == 17 && f[14 + 20 + 3] == 68)
			return f + 14 + 20 + 8;
	}
	return NULL;
}

static void test_dhcp_follows_config(void **state)
{
	struct rig *rig = rig_new("net=10.9.0.0/24", NULL);
	const uint8_t *bp;
	gsize len;

	assert_true(rig_start(rig, NULL));
	rig_send(rig, dhcp_discover());
	rig_wait_frames(rig, 1);
	bp = dhcp_offer(rig, &len);
	assert_non_null(bp);
	assert_int_equal(bp[0], 2); /* BOOTREPLY */
	assert_memory_equal(bp + 16, "\x0a\x09\x00\x0f", 4); /* yiaddr */
	rig_free(rig);

	rig = rig_new("", NULL);
	rig->rc.disable_dhcp = TRUE;
	assert_true(rig_start(rig, NULL));
	rig_send(rig, dhcp_discover());
	for (int i = 0; i < 50; i++)
		g_main_context_iteration(NULL, FALSE);
	assert_null(dhcp_offer(rig, &len));
	rig_free(rig);
}

/* An echo request to the gateway, cut in two and sent in reverse order,
 * after the lone last fragment: libslirp 4.7 dies on either; here the
 * gateway answers the ping. */
static void test_fragments_harmless(void **state)
{
	struct rig *rig = rig_new("", NULL);
	uint8_t lone[405] = { 0 };
	uint8_t icmp[8 + 56] = { 8, 0 };
	g_autoptr(GByteArray) whole = NULL;
	GByteArray *first, *second;
	const uint8_t *f = NULL;
	gsize len = 0;

	assert_true(rig_start(rig, NULL));
	rig_send(rig, ip4(17, "0.0.0.0", "255.255.255.255", 0x4242, 256 / 8, lone, sizeof(lone)));
	assert_int_equal(rig->port.counters.drops[UN_DROP_FRAGMENT], 0); /* held */

	rig_send(rig, arp_who_has("10.0.2.2", "10.0.2.15"));
	rig_wait_frames(rig, 1); /* the ARP reply */
	for (guint i = 0; i < 56; i++)
		icmp[8 + i] = (uint8_t)i;
	gf_put16(icmp + 4, 0x77);
	gf_put16(icmp + 2, gf_cksum(icmp, sizeof(icmp)));
	whole = ip4(1, "10.0.2.15", "10.0.2.2", 0x99, 0, icmp, sizeof(icmp));
	first = ip4(1, "10.0.2.15", "10.0.2.2", 0x99, 0x2000, icmp, 32);
	second = ip4(1, "10.0.2.15", "10.0.2.2", 0x99, 32 / 8, icmp + 32, 32);
	rig_send(rig, second);
	rig_send(rig, first);
	rig_wait_frames(rig, 2);
	for (guint i = 0; i < rig->out->len && !f; i++) {
		f = frame_at(rig, i, &len);
		if (f[12] != 0x08 || f[13] != 0 || f[14 + 9] != 1)
			f = NULL;
	}
	assert_non_null(f);
	assert_int_equal(len, whole->len);
	assert_int_equal(f[14 + 20], 0); /* echo reply */
	assert_memory_equal(f + 14 + 20 + 4, icmp + 4, sizeof(icmp) - 4);
	rig_free(rig);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hostfwd_port_in_use),
		cmocka_unit_test(test_hostfwd_bound_and_removed),
		cmocka_unit_test(test_hostfwd_unix),
		cmocka_unit_test(test_guestfwd),
		cmocka_unit_test(test_guestfwd_tcp_connects),
		cmocka_unit_test(test_dhcp_follows_config),
		cmocka_unit_test(test_fragments_harmless),
	};

	return cmocka_run_group_tests_name("router", tests, NULL, NULL);
}
