/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_fwd.c - forwards at run time through the kinds' hooks (fwd_add,
 * fwd_remove, fwd_list, describe) of the real plugins (nat, natnet,
 * hostonly, internal; USERNET_PLUGIN_PATH names them), with the host's
 * kernel as the peer: a forward added is listening at once (connect
 * succeeds), one removed is closed (connection refused). Errors: a port
 * in use and a NAME used twice are busy, removing what does not exist is
 * not-found, a shared network's rule without a guest address is config. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config.h"
#include "network.h"
#include "usernet/error.h"

static char *tmp_dir;

static int setup(void **state)
{
	tmp_dir = g_dir_make_tmp("test_fwd-XXXXXX", NULL);
	return tmp_dir ? 0 : -1;
}

static int teardown(void **state)
{
	g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", tmp_dir);

	if (system(cmd) != 0)
		return -1;
	g_free(tmp_dir);
	return 0;
}

/* A loopback TCP port nothing listens on now. */
static guint free_port(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	close(fd);
	return ntohs(sin.sin_port);
}

/* 0 when a TCP connection to 127.0.0.1:@port is accepted, else errno. */
static int connect_errno(guint port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_port = htons((guint16)port),
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM, 0), e = 0;

	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0)
		e = errno;
	close(fd);
	return e;
}

static struct un_network *net_new(const char *spec)
{
	g_autoptr(GError) err = NULL;
	struct un_netdef *def = un_spec_parse(spec, &err);
	struct un_network *n;

	if (!def)
		fail_msg("%s: %s", spec, err->message);
	n = un_network_create(def, tmp_dir, &err);
	if (!n)
		fail_msg("%s: %s", spec, err->message);
	un_netdef_free(def);
	return n;
}

/* The hook's JSON, as one string: "[{...},...]" or "{...}". */
static char *json_of(struct un_network *n, gboolean describe)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autoptr(JsonNode) root = NULL;

	if (describe) {
		json_builder_begin_object(b);
		n->kind->describe(n, b);
		json_builder_end_object(b);
	} else {
		json_builder_begin_array(b);
		n->kind->fwd_list(n, b);
		json_builder_end_array(b);
	}
	root = json_builder_get_root(b);
	return json_to_string(root, FALSE);
}

/* @errp is read after the call that fills it (argument order). */
static void want_error(gboolean ok, GError **errp, int code, const char *part)
{
	const GError *err = *errp;

	assert_false(ok);
	assert_non_null(err);
	if (err->code != code || !strstr(err->message, part))
		fail_msg("got code %d '%s', want code %d with '%s'", err->code,
			 err->message, code, part);
}

static void test_nat(void **state)
{
	guint p1 = free_port(), p2 = free_port();
	g_autofree char *spec = g_strdup_printf("nat:fa,hostfwd=tcp::%u-:22", p1);
	g_autofree char *rule = g_strdup_printf("tcp::%u-:80", p2);
	g_autofree char *rule1 = g_strdup_printf("tcp:127.0.0.1:%u-:22", p1);
	struct un_network *n = net_new(spec);
	g_autoptr(GError) e1 = NULL, e2 = NULL, e3 = NULL, e4 = NULL;
	g_autofree char *list = NULL, *desc = NULL;

	assert_int_equal(connect_errno(p2), ECONNREFUSED);
	assert_true(n->kind->fwd_add(n, rule, NULL));
	assert_int_equal(connect_errno(p2), 0);
	want_error(n->kind->fwd_add(n, rule, &e1), &e1, UN_ERROR_BUSY, "is in use");
	want_error(n->kind->fwd_add(n, "tcp:2222", &e2), &e2, UN_ERROR_CONFIG, "missing '-'");
	list = json_of(n, FALSE);
	assert_non_null(strstr(list, spec + strlen("nat:fa,hostfwd=")));
	assert_non_null(strstr(list, rule));
	desc = json_of(n, TRUE);
	assert_non_null(strstr(desc, "\"subnet\":\"10.0.2.0/24\""));
	assert_non_null(strstr(desc, "\"gateway\":\"10.0.2.2\""));
	assert_non_null(strstr(desc, "\"dns\":\"10.0.2.3\""));
	assert_non_null(strstr(desc, "\"forwards\":[{\"rule\""));
	assert_true(n->kind->fwd_remove(n, rule, NULL));
	assert_int_equal(connect_errno(p2), ECONNREFUSED);
	want_error(n->kind->fwd_remove(n, rule, &e3), &e3, UN_ERROR_NOT_FOUND, "no tcp forward");
	/* the start-up forward, written another way (same host side) */
	assert_int_equal(connect_errno(p1), 0);
	assert_true(n->kind->fwd_remove(n, rule1, NULL));
	assert_int_equal(connect_errno(p1), ECONNREFUSED);
	want_error(n->kind->fwd_remove(n, "ssh", &e4), &e4, UN_ERROR_NOT_FOUND, "no forward is named 'ssh'");
	g_free(list);
	list = json_of(n, FALSE);
	assert_string_equal(list, "[]");
	un_network_destroy(n);
}

static void test_natnet(void **state)
{
	guint p3 = free_port(), p4 = free_port(), p5 = free_port();
	g_autofree char *spec = g_strdup_printf(
		"natnet:fb,portfwd=ssh:tcp:[]:%u:[10.0.2.15]:22", p3);
	g_autofree char *web = g_strdup_printf("web:tcp:[]:%u:[10.0.2.16]:80", p4);
	g_autofree char *web2 = g_strdup_printf("web:tcp:[]:%u:[10.0.2.16]:81", p5);
	g_autofree char *noguest = g_strdup_printf("tcp::%u-:22", p5);
	g_autofree char *qemu = g_strdup_printf("tcp::%u-10.0.2.17:22", p5);
	struct un_network *n = net_new(spec);
	g_autoptr(GError) e1 = NULL, e2 = NULL, e3 = NULL;
	g_autofree char *list = NULL, *desc = NULL;

	assert_int_equal(connect_errno(p3), 0);
	assert_true(n->kind->fwd_add(n, web, NULL));
	assert_int_equal(connect_errno(p4), 0);
	want_error(n->kind->fwd_add(n, web2, &e1), &e1, UN_ERROR_BUSY, "name 'web' is already used");
	want_error(n->kind->fwd_add(n, noguest, &e2), &e2, UN_ERROR_CONFIG,
		   "has no guest address; on a shared network write it, e.g. tcp::2222-10.0.2.15:22");
	assert_true(n->kind->fwd_add(n, qemu, NULL));
	assert_int_equal(connect_errno(p5), 0);
	list = json_of(n, FALSE);
	assert_non_null(strstr(list, "\"name\":\"ssh\""));
	assert_non_null(strstr(list, "\"name\":\"web\""));
	assert_non_null(strstr(list, "\"guest-ip\":\"10.0.2.17\""));
	assert_true(n->kind->fwd_remove(n, "web", NULL));
	assert_int_equal(connect_errno(p4), ECONNREFUSED);
	assert_true(n->kind->fwd_remove(n, "ssh", NULL));
	assert_int_equal(connect_errno(p3), ECONNREFUSED);
	want_error(n->kind->fwd_remove(n, "web", &e3), &e3, UN_ERROR_NOT_FOUND, "'web'");
	desc = json_of(n, TRUE);
	assert_non_null(strstr(desc, "\"leases\":[]"));
	assert_non_null(strstr(desc, "\"router-port\":{\"name\":\"fb/router\""));
	assert_non_null(strstr(desc, qemu));
	assert_null(strstr(desc, "\"ssh\""));
	assert_true(n->kind->fwd_remove(n, qemu, NULL));
	un_network_destroy(n);
}

static void test_hostonly_internal(void **state)
{
	guint p = free_port();
	g_autofree char *rule = g_strdup_printf("tcp::%u-192.168.56.101:22", p);
	struct un_network *h = net_new("hostonly:fc");
	struct un_network *i = net_new("internal:fd,dhcp=on,dhcpstart=10.9.0.50,net=10.9.0.0/24");
	g_autofree char *hd = NULL, *id = NULL;

	assert_true(h->kind->fwd_add(h, rule, NULL));
	assert_int_equal(connect_errno(p), 0);
	hd = json_of(h, TRUE);
	assert_non_null(strstr(hd, "\"subnet\":\"192.168.56.0/24\""));
	assert_non_null(strstr(hd, "\"gateway\":\"192.168.56.1\""));
	assert_null(strstr(hd, "\"dns\"")); /* none unless dns= */
	assert_true(h->kind->fwd_remove(h, rule, NULL));
	assert_int_equal(connect_errno(p), ECONNREFUSED);
	assert_null(i->kind->fwd_add);
	id = json_of(i, TRUE);
	assert_non_null(strstr(id, "\"subnet\":\"10.9.0.0/24\""));
	assert_non_null(strstr(id, "\"leases\":[]"));
	un_network_destroy(h);
	un_network_destroy(i);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nat),
		cmocka_unit_test(test_natnet),
		cmocka_unit_test(test_hostonly_internal),
	};

	if (!g_getenv("USERNET_PLUGIN_PATH"))
		g_setenv("USERNET_PLUGIN_PATH", "build/plugins", FALSE);
	return cmocka_run_group_tests_name("fwd", tests, setup, teardown);
}
