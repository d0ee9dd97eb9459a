/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_port.c - frames through a port into a kind (backend/port.c) and the
 * attach/detach bookkeeping and kind-table checks (backend/network.c).
 * Limits from include/usernet/frame.h: 14-byte minimum, the network's MTU
 * plus 18 bytes of Ethernet and VLAN headers, 65550 bytes at most. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "network.h"
#include "usernet/error.h"

struct fake_net {
	struct un_network net;
	unsigned inputs;
	size_t last_len;
	struct un_port *refuse; /* attach refuses when non-NULL and attached */
	unsigned detaches;
};

static gboolean fake_create(struct un_network *n, const struct un_config *c,
			    GError **error)
{
	return TRUE;
}

static gboolean fake_attach(struct un_network *n, struct un_port *p,
			    GError **error)
{
	struct fake_net *s = container_of(n, struct fake_net, net);

	if (s->refuse) {
		g_set_error(error, UN_ERROR, UN_ERROR_REFUSED, "one NIC only");
		return FALSE;
	}
	s->refuse = p;
	return TRUE;
}

static void fake_input(struct un_network *n, struct un_port *from,
		       const struct un_frame *f)
{
	struct fake_net *s = container_of(n, struct fake_net, net);

	s->inputs++;
	s->last_len = f->len;
}

static void fake_detach(struct un_network *n, struct un_port *p)
{
	struct fake_net *s = container_of(n, struct fake_net, net);

	s->detaches++;
	if (s->refuse == p)
		s->refuse = NULL;
}

static void fake_destroy(struct un_network *n)
{
}

static const char *const fake_keys[] = { NULL };

static const struct un_kind_ops fake_kind = {
	.abi = UN_KIND_ABI,
	.name = "fake",
	.state_size = sizeof(struct fake_net),
	.keys = fake_keys,
	.create = fake_create,
	.attach = fake_attach,
	.input = fake_input,
	.detach = fake_detach,
	.destroy = fake_destroy,
};

static unsigned sent;
static void fake_send(struct un_port *p, const struct un_frame *f)
{
	sent++;
}

static const struct un_port_ops fake_port_ops = { "fake", fake_send };

static void net_init(struct fake_net *s, guint mtu)
{
	memset(s, 0, sizeof(*s));
	s->net.kind = &fake_kind;
	s->net.name = (char *)"lab";
	s->net.mtu = mtu;
	s->net.ports = g_ptr_array_new();
}

static void test_sizes(void **state)
{
	static uint8_t buf[UN_FRAME_MAX_BYTES + 1];
	struct fake_net s;
	struct un_port p;
	const struct {
		guint mtu;
		size_t len;
		gboolean passes;
		enum un_drop_reason reason;
	} cases[] = {
		{ 1500, 0, FALSE, UN_DROP_MALFORMED },
		{ 1500, 13, FALSE, UN_DROP_MALFORMED },
		{ 1500, 14, TRUE, 0 },
		{ 1500, 1514, TRUE, 0 },
		{ 1500, 1518, TRUE, 0 },  /* with a VLAN tag */
		{ 1500, 1519, FALSE, UN_DROP_OVERSIZED },
		{ 65520, 65538, TRUE, 0 },
		{ 65520, 65539, FALSE, UN_DROP_OVERSIZED },
		{ 65520, UN_FRAME_MAX_BYTES + 1, FALSE, UN_DROP_OVERSIZED },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		net_init(&s, cases[i].mtu);
		un_port_init(&p, &fake_port_ops, "test");
		assert_true(un_network_attach(&s.net, &p, "fake", NULL));
		un_port_input(&p, buf, cases[i].len);
		assert_int_equal(s.inputs, cases[i].passes ? 1 : 0);
		if (cases[i].passes) {
			assert_int_equal(s.last_len, cases[i].len);
			assert_int_equal(p.counters.rx_frames, 1);
			assert_int_equal(p.counters.rx_bytes, cases[i].len);
		} else {
			assert_int_equal(p.counters.drops[cases[i].reason], 1);
		}
		un_network_detach(&p);
		un_port_clear(&p);
		g_ptr_array_free(s.net.ports, TRUE);
	}
}

static void test_attach_detach(void **state)
{
	struct fake_net s;
	struct un_port a, b;
	g_autoptr(GError) err = NULL;
	const uint8_t frame[60] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
				    0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0x08, 0x00 };

	net_init(&s, 1500);
	un_port_init(&a, &fake_port_ops, "peer-a");
	un_port_init(&b, &fake_port_ops, "peer-b");
	assert_true(un_network_attach(&s.net, &a, "stream", NULL));
	assert_string_equal(a.name, "lab/stream-1");
	assert_int_equal(s.net.ports->len, 1);
	assert_false(un_network_attach(&s.net, &b, "vde", &err));
	assert_string_equal(err->message,
			    "network 'lab': NIC lab/vde-2 (peer-b) refused: one NIC only");
	assert_null(b.network);
	assert_int_equal(s.net.ports->len, 1);

	un_port_input(&a, frame, sizeof(frame));
	assert_true(a.mac_known);
	assert_memory_equal(a.mac, frame + 6, 6);

	struct un_frame f = { frame, sizeof(frame) };
	sent = 0;
	un_port_send(&a, &f);
	assert_int_equal(sent, 1);
	assert_int_equal(a.counters.tx_frames, 1);
	assert_int_equal(a.counters.tx_bytes, sizeof(frame));

	un_network_detach(&a);
	un_network_detach(&a); /* twice is harmless */
	assert_int_equal(s.detaches, 1);
	assert_int_equal(s.net.ports->len, 0);
	un_port_input(&a, frame, sizeof(frame)); /* detached: no kind call */
	assert_int_equal(s.inputs, 1);
	assert_int_equal(a.counters.drops[UN_DROP_NO_PEER], 1);
	g_clear_error(&err);
	assert_true(un_network_attach(&s.net, &b, "vde", &err));
	un_network_detach(&b);
	un_port_clear(&a);
	un_port_clear(&b);
	g_ptr_array_free(s.net.ports, TRUE);
}

static void test_kind_validate(void **state)
{
	struct un_kind_ops k = fake_kind;
	g_autoptr(GError) e1 = NULL, e2 = NULL, e3 = NULL;

	assert_true(un_kind_validate(&k, "fake.so", NULL));
	k.abi = UN_KIND_ABI + 1;
	assert_false(un_kind_validate(&k, "fake.so", &e1));
	assert_non_null(strstr(e1->message, "fake.so: plugin ABI"));
	k = fake_kind;
	k.input = NULL;
	assert_false(un_kind_validate(&k, "fake.so", &e2));
	assert_string_equal(e2->message,
			    "fake.so: kind table is incomplete (input); fix the plugin");
	k = fake_kind;
	k.state_size = 1;
	assert_false(un_kind_validate(&k, "fake.so", &e3));
}

static void test_drop_names(void **state)
{
	assert_string_equal(un_drop_reason_names[UN_DROP_MALFORMED], "malformed");
	assert_string_equal(un_drop_reason_names[UN_DROP_QUEUE_FULL], "queue-full");
	for (int i = 0; i < UN_DROP__COUNT; i++)
		assert_non_null(un_drop_reason_names[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_attach_detach),
		cmocka_unit_test(test_kind_validate),
		cmocka_unit_test(test_drop_names),
	};

	g_log_set_always_fatal(G_LOG_LEVEL_CRITICAL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
