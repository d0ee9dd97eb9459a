/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_switch.c - the L2 learning switch (backend/switch.c).
 * Fake ports record every frame the switch sends them; a fake clock moves
 * time for ageing. Expected behaviour: issue 3 and switch.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>
#include <string.h>

#include "config.h"
#include "usernet/error.h"
#include "usernet/switch.h"

/* ---- fakes ---------------------------------------------------------------- */

struct fake_port {
	struct un_port port;
	GPtrArray *got; /* GBytes *, every frame sent to this port */
};

static void fake_send(struct un_port *p, const struct un_frame *f)
{
	struct fake_port *fp = container_of(p, struct fake_port, port);

	g_ptr_array_add(fp->got, g_bytes_new(f->data, f->len));
}

static const struct un_port_ops fake_ops = { .transport = "fake",
					     .send = fake_send };

static gint64 fake_now = 1000 * G_USEC_PER_SEC;

static gint64 fake_clock(void)
{
	return fake_now;
}

#define NPORTS 4

struct fixture {
	struct un_switch *sw;
	struct fake_port p[NPORTS];
};

static void fixture_init(struct fixture *fx, guint nports, guint table_max)
{
	struct un_switch_config sc = {
		.table_max = table_max,
		.ageing_s = UN_SWITCH_AGEING_DEFAULT_S,
		.now_us = fake_clock,
	};

	fake_now = 1000 * G_USEC_PER_SEC;
	fx->sw = un_switch_new(&sc, "test");
	for (guint i = 0; i < NPORTS; i++) {
		char name[16];

		un_port_init(&fx->p[i].port, &fake_ops, NULL);
		g_snprintf(name, sizeof(name), "test/fake-%u", i);
		fx->p[i].port.name = g_strdup(name);
		fx->p[i].got = g_ptr_array_new_with_free_func(
			(GDestroyNotify)g_bytes_unref);
		if (i < nports)
			un_switch_add_port(fx->sw, &fx->p[i].port);
	}
}

static int setup3(void **state)
{
	struct fixture *fx = g_new0(struct fixture, 1);

	fixture_init(fx, 3, UN_SWITCH_TABLE_DEFAULT);
	*state = fx;
	return 0;
}

static int setup2(void **state)
{
	struct fixture *fx = g_new0(struct fixture, 1);

	fixture_init(fx, 2, UN_SWITCH_TABLE_DEFAULT);
	*state = fx;
	return 0;
}

static int setup3_cap8(void **state)
{
	struct fixture *fx = g_new0(struct fixture, 1);

	fixture_init(fx, 3, 8);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	un_switch_free(fx->sw);
	for (guint i = 0; i < NPORTS; i++) {
		g_ptr_array_free(fx->p[i].got, TRUE);
		un_port_clear(&fx->p[i].port);
	}
	g_free(fx);
	return 0;
}

/* ---- helpers ---------------------------------------------------------------- */

static const uint8_t MAC_A[6] = { 0x52, 0x54, 0x00, 0, 0, 0xa };
static const uint8_t MAC_B[6] = { 0x52, 0x54, 0x00, 0, 0, 0xb };
static const uint8_t MAC_C[6] = { 0x52, 0x54, 0x00, 0, 0, 0xc };
static const uint8_t MAC_X[6] = { 0x52, 0x54, 0x00, 0, 0, 0xee };
static const uint8_t MAC_BCAST[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t MAC_MCAST[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb };
static const uint8_t MAC_ZERO[6] = { 0 };

/* Send a 60-byte frame DST <- SRC (payload byte @tag) into the switch. */
static void send_frame(struct fixture *fx, int from, const uint8_t *dst,
		       const uint8_t *src, uint8_t tag)
{
	uint8_t buf[60] = { 0 };
	struct un_frame f = { buf, sizeof(buf) };

	memcpy(buf, dst, 6);
	memcpy(buf + 6, src, 6);
	buf[12] = 0x08;
	buf[14] = tag;
	un_switch_input(fx->sw, &fx->p[from].port, &f);
}

static guint got(struct fixture *fx, int port)
{
	return fx->p[port].got->len;
}

/* The tag of the last frame port @port got. */
static uint8_t last_tag(struct fixture *fx, int port)
{
	GPtrArray *g = fx->p[port].got;
	gsize len;
	const uint8_t *d;

	assert_true(g->len > 0);
	d = g_bytes_get_data(g_ptr_array_index(g, g->len - 1), &len);
	assert_int_equal(len, 60);
	return d[14];
}

static void clear_got(struct fixture *fx)
{
	for (guint i = 0; i < NPORTS; i++)
		g_ptr_array_set_size(fx->p[i].got, 0);
}

static uint64_t drops(struct fixture *fx, int port, enum un_drop_reason r)
{
	return fx->p[port].port.counters.drops[r];
}

/* ---- tests ------------------------------------------------------------------ */

static void test_unknown_unicast_floods_then_learns(void **state)
{
	struct fixture *fx = *state;

	send_frame(fx, 0, MAC_B, MAC_A, 1); /* B unknown: flood */
	assert_int_equal(got(fx, 0), 0);
	assert_int_equal(got(fx, 1), 1);
	assert_int_equal(got(fx, 2), 1);
	assert_ptr_equal(un_switch_lookup(fx->sw, MAC_A), &fx->p[0].port);
	assert_int_equal(un_switch_table_len(fx->sw), 1);

	send_frame(fx, 1, MAC_A, MAC_B, 2); /* A known: only to port 0 */
	assert_int_equal(got(fx, 0), 1);
	assert_int_equal(last_tag(fx, 0), 2);
	assert_int_equal(got(fx, 1), 1);
	assert_int_equal(got(fx, 2), 1);

	send_frame(fx, 0, MAC_B, MAC_A, 3); /* B learnt now: only port 1 */
	assert_int_equal(got(fx, 1), 2);
	assert_int_equal(last_tag(fx, 1), 3);
	assert_int_equal(got(fx, 2), 1);
	assert_int_equal(un_switch_table_len(fx->sw), 2);
	/* tx counted by un_port_send */
	assert_int_equal(fx->p[1].port.counters.tx_frames, 2);
	/* the first frame was the only unknown unicast */
	assert_int_equal(un_switch_counters(fx->sw).flooded, 1);
	assert_int_equal(un_switch_counters(fx->sw).entries, 2);
	assert_int_equal(un_switch_counters(fx->sw).not_learnt, 0);
}

static void test_broadcast_and_multicast_flood(void **state)
{
	struct fixture *fx = *state;

	send_frame(fx, 1, MAC_A, MAC_B, 0);
	send_frame(fx, 0, MAC_B, MAC_A, 0); /* both learnt */
	clear_got(fx);
	send_frame(fx, 0, MAC_BCAST, MAC_A, 7);
	assert_int_equal(got(fx, 0), 0);
	assert_int_equal(got(fx, 1), 1);
	assert_int_equal(got(fx, 2), 1);
	send_frame(fx, 2, MAC_MCAST, MAC_C, 8);
	assert_int_equal(got(fx, 0), 1);
	assert_int_equal(got(fx, 1), 2);
	assert_int_equal(got(fx, 2), 1); /* not its own multicast back */
	assert_int_equal(last_tag(fx, 0), 8);
	/* group addresses are never learnt as destinations */
	assert_null(un_switch_lookup(fx->sw, MAC_BCAST));
	/* flooding a group address is no unknown-unicast flood; the first
	 * frame (to B, not yet learnt) was one */
	assert_int_equal(un_switch_counters(fx->sw).flooded, 1);
}

static void test_never_back_to_ingress(void **state)
{
	struct fixture *fx = *state;

	send_frame(fx, 0, MAC_BCAST, MAC_A, 0); /* A on port 0 */
	send_frame(fx, 0, MAC_BCAST, MAC_X, 0); /* X on port 0 too */
	clear_got(fx);
	send_frame(fx, 0, MAC_X, MAC_A, 1); /* to a MAC behind the ingress */
	for (int i = 0; i < 3; i++)
		assert_int_equal(got(fx, i), 0);
	assert_int_equal(drops(fx, 0, UN_DROP_NO_PEER), 1);
}

static void test_lone_port_counts_no_peer(void **state)
{
	struct fixture *fx = *state;

	un_switch_remove_port(fx->sw, &fx->p[1].port);
	un_switch_remove_port(fx->sw, &fx->p[2].port);
	send_frame(fx, 0, MAC_BCAST, MAC_A, 1);
	assert_int_equal(got(fx, 0), 0);
	assert_int_equal(drops(fx, 0, UN_DROP_NO_PEER), 1);
}

static void test_two_ports_are_a_wire(void **state)
{
	struct fixture *fx = *state;

	/* learnt or not, unicast to anyone, group or zero source: all cross */
	send_frame(fx, 0, MAC_X, MAC_A, 1);
	send_frame(fx, 0, MAC_A, MAC_A, 2);
	send_frame(fx, 1, MAC_B, MAC_B, 3);
	send_frame(fx, 1, MAC_A, MAC_MCAST, 4);
	send_frame(fx, 0, MAC_BCAST, MAC_ZERO, 5);
	assert_int_equal(got(fx, 0), 2);
	assert_int_equal(got(fx, 1), 3);
	assert_int_equal(last_tag(fx, 0), 4);
	assert_int_equal(last_tag(fx, 1), 5);
	assert_int_equal(un_switch_table_len(fx->sw), 0);

	/* a third port makes it a switch again; a fourth leaving changes nothing */
	un_switch_add_port(fx->sw, &fx->p[2].port);
	send_frame(fx, 0, MAC_BCAST, MAC_A, 6);
	assert_int_equal(got(fx, 1), 4);
	assert_int_equal(got(fx, 2), 1);
	assert_int_equal(un_switch_table_len(fx->sw), 1);
	un_switch_remove_port(fx->sw, &fx->p[2].port);
	send_frame(fx, 1, MAC_C, MAC_B, 7); /* wire again: straight to port 0 */
	assert_int_equal(last_tag(fx, 0), 7);
	assert_int_equal(got(fx, 2), 1);
}

static void test_bad_source_mac_dropped(void **state)
{
	struct fixture *fx = *state;

	send_frame(fx, 0, MAC_BCAST, MAC_MCAST, 1);
	send_frame(fx, 0, MAC_BCAST, MAC_BCAST, 2);
	send_frame(fx, 0, MAC_BCAST, MAC_ZERO, 3);
	assert_int_equal(got(fx, 1), 0);
	assert_int_equal(got(fx, 2), 0);
	assert_int_equal(drops(fx, 0, UN_DROP_MALFORMED), 3);
	assert_int_equal(un_switch_table_len(fx->sw), 0);
}

static void test_table_cap_random_macs(void **state)
{
	struct fixture *fx = *state;
	GRand *r = g_rand_new_with_seed(42);
	GHashTable *seen = g_hash_table_new(g_int64_hash, g_int64_equal);
	gint64 *keys = g_new(gint64, 2000);
	guint distinct = 0;

	/* A learnt first, then a flood of random unicast source MACs */
	send_frame(fx, 0, MAC_BCAST, MAC_A, 0);
	send_frame(fx, 1, MAC_A, MAC_B, 0);
	for (guint i = 0; i < 2000; i++) {
		uint8_t src[6];
		guint32 v = g_rand_int(r);

		src[0] = 0x02; /* unicast, locally administered */
		src[1] = (uint8_t)g_rand_int(r);
		memcpy(src + 2, &v, 4);
		keys[i] = (gint64)src[1] << 32 | v;
		if (g_hash_table_add(seen, &keys[i]))
			distinct++;
		send_frame(fx, 2, MAC_A, src, 9);
	}
	assert_int_equal(un_switch_table_len(fx->sw), 8);
	/* 2 slots were A and B, 6 went to the first random MACs; every
	 * frame from any other MAC was refused learning */
	assert_int_equal(distinct, 2000);
	assert_int_equal(drops(fx, 2, UN_DROP_TABLE_FULL), 2000 - 6);
	assert_int_equal(un_switch_counters(fx->sw).not_learnt, 2000 - 6);
	assert_int_equal(un_switch_counters(fx->sw).table_max, 8);
	assert_int_equal(un_switch_counters(fx->sw).flooded, 0);
	/* still forwarded: A is known, so every frame reached port 0 only */
	assert_int_equal(got(fx, 0), 2001);
	assert_int_equal(got(fx, 1), 1);
	/* and the NICs already learnt keep working */
	assert_ptr_equal(un_switch_lookup(fx->sw, MAC_A), &fx->p[0].port);
	assert_ptr_equal(un_switch_lookup(fx->sw, MAC_B), &fx->p[1].port);
	g_hash_table_destroy(seen);
	g_free(keys);
	g_rand_free(r);
}

static void test_ageing(void **state)
{
	struct fixture *fx = *state;

	send_frame(fx, 0, MAC_BCAST, MAC_A, 0);
	fake_now += 299 * G_USEC_PER_SEC;
	assert_ptr_equal(un_switch_lookup(fx->sw, MAC_A), &fx->p[0].port);
	send_frame(fx, 0, MAC_BCAST, MAC_A, 0); /* refreshed */
	fake_now += 299 * G_USEC_PER_SEC;
	assert_ptr_equal(un_switch_lookup(fx->sw, MAC_A), &fx->p[0].port);
	fake_now += 2 * G_USEC_PER_SEC;
	assert_null(un_switch_lookup(fx->sw, MAC_A));
	assert_int_equal(un_switch_table_len(fx->sw), 0); /* removed lazily */

	/* a unicast to an aged MAC floods again */
	send_frame(fx, 0, MAC_BCAST, MAC_A, 0);
	send_frame(fx, 1, MAC_BCAST, MAC_B, 0);
	clear_got(fx);
	fake_now += 301 * G_USEC_PER_SEC;
	send_frame(fx, 2, MAC_A, MAC_C, 1);
	assert_int_equal(got(fx, 0), 1);
	assert_int_equal(got(fx, 1), 1);
}

static void test_full_table_sweeps_aged(void **state)
{
	struct fixture *fx = *state;
	uint8_t src[6] = { 0x02, 0, 0, 0, 0, 0 };

	for (uint8_t i = 1; i <= 8; i++) {
		src[5] = i;
		send_frame(fx, 0, MAC_BCAST, src, 0);
	}
	assert_int_equal(un_switch_table_len(fx->sw), 8);
	send_frame(fx, 1, MAC_BCAST, MAC_B, 0); /* full, nothing aged */
	assert_int_equal(drops(fx, 1, UN_DROP_TABLE_FULL), 1);
	assert_null(un_switch_lookup(fx->sw, MAC_B));

	fake_now += 301 * G_USEC_PER_SEC; /* every entry aged */
	send_frame(fx, 1, MAC_BCAST, MAC_B, 0);
	assert_int_equal(drops(fx, 1, UN_DROP_TABLE_FULL), 1);
	assert_int_equal(un_switch_table_len(fx->sw), 1);
	assert_ptr_equal(un_switch_lookup(fx->sw, MAC_B), &fx->p[1].port);
}

static void test_port_removal_forgets_macs(void **state)
{
	struct fixture *fx = *state;

	send_frame(fx, 1, MAC_BCAST, MAC_B, 0);
	send_frame(fx, 1, MAC_BCAST, MAC_X, 0);
	send_frame(fx, 0, MAC_BCAST, MAC_A, 0);
	assert_int_equal(un_switch_table_len(fx->sw), 3);
	un_switch_add_port(fx->sw, &fx->p[3].port);
	un_switch_remove_port(fx->sw, &fx->p[1].port);
	assert_int_equal(un_switch_port_count(fx->sw), 3);
	assert_int_equal(un_switch_table_len(fx->sw), 1);
	assert_null(un_switch_lookup(fx->sw, MAC_B));
	assert_null(un_switch_lookup(fx->sw, MAC_X));
	clear_got(fx);
	send_frame(fx, 0, MAC_B, MAC_A, 1); /* floods to the ports left */
	assert_int_equal(got(fx, 1), 0);
	assert_int_equal(got(fx, 2), 1);
	assert_int_equal(got(fx, 3), 1);
	un_switch_remove_port(fx->sw, &fx->p[1].port); /* not on: no-op */
	assert_int_equal(un_switch_port_count(fx->sw), 3);
}

static void test_mac_moves(void **state)
{
	struct fixture *fx = *state;

	send_frame(fx, 0, MAC_BCAST, MAC_X, 0);
	send_frame(fx, 1, MAC_BCAST, MAC_B, 0);
	assert_ptr_equal(un_switch_lookup(fx->sw, MAC_X), &fx->p[0].port);
	send_frame(fx, 2, MAC_BCAST, MAC_X, 0); /* X re-attached on port 2 */
	assert_ptr_equal(un_switch_lookup(fx->sw, MAC_X), &fx->p[2].port);
	assert_int_equal(un_switch_table_len(fx->sw), 2);
	clear_got(fx);
	send_frame(fx, 1, MAC_X, MAC_B, 1);
	assert_int_equal(got(fx, 0), 0);
	assert_int_equal(got(fx, 2), 1);
}

/* An engine that answers each frame at once, from inside its send. */
struct echo_engine {
	struct un_switch *sw;
	struct un_port *port;
	guint got;
};

static void echo_engine_fn(void *opaque, const struct un_frame *f)
{
	struct echo_engine *e = opaque;
	uint8_t buf[60];
	struct un_frame reply = { buf, sizeof(buf) };

	e->got++;
	memcpy(buf, f->data + 6, 6); /* back to the sender */
	memcpy(buf + 6, MAC_X, 6);
	memcpy(buf + 12, f->data + 12, sizeof(buf) - 12);
	un_switch_engine_input(e->sw, e->port, &reply);
}

static void test_engine_port(void **state)
{
	struct fixture *fx = *state;
	struct echo_engine e = { .sw = fx->sw };
	uint8_t runt[10] = { 0 };
	struct un_frame rf = { runt, sizeof(runt) };

	e.port = un_engine_port_new("test/echo", echo_engine_fn, &e);
	assert_string_equal(e.port->name, "test/echo");
	assert_string_equal(e.port->ops->transport, "engine");
	un_switch_add_port(fx->sw, e.port);
	send_frame(fx, 0, MAC_BCAST, MAC_A, 5); /* flood reaches the engine */
	assert_int_equal(e.got, 1);
	assert_int_equal(e.port->counters.tx_frames, 1);
	assert_int_equal(e.port->counters.rx_frames, 1);
	/* its reply went to A only, and X was learnt on the engine's port */
	assert_int_equal(got(fx, 0), 1);
	assert_int_equal(last_tag(fx, 0), 5);
	assert_int_equal(got(fx, 1), 1);
	assert_ptr_equal(un_switch_lookup(fx->sw, MAC_X), e.port);
	un_switch_engine_input(fx->sw, e.port, &rf);
	assert_int_equal(e.port->counters.drops[UN_DROP_MALFORMED], 1);
	un_switch_remove_port(fx->sw, e.port);
	assert_null(un_switch_lookup(fx->sw, MAC_X));
	un_engine_port_free(e.port);
}

/* ---- configuration ------------------------------------------------------------ */

static void test_config_default(void **state)
{
	g_autoptr(GError) err = NULL;
	struct un_netdef *def = un_spec_parse("internal:lab", &err);
	struct un_config c = un_netdef_config(def);
	struct un_switch_config sc;

	assert_true(un_switch_config_parse(&sc, &c, &err));
	assert_int_equal(sc.table_max, 4096);
	assert_int_equal(sc.ageing_s, 300);
	assert_null(sc.now_us);
	un_netdef_free(def);

	def = un_spec_parse("internal:lab,mac-table-size=16", &err);
	c = un_netdef_config(def);
	assert_true(un_switch_config_parse(&sc, &c, &err));
	assert_int_equal(sc.table_max, 16);
	un_netdef_free(def);
}

static void test_config_bad(void **state)
{
	static const struct {
		const char *spec, *error;
	} bad[] = {
		{ "internal:lab,mac-table-size=0",
		  "--net 'internal:lab,mac-table-size=0': mac-table-size: "
		  "'0' is not a number from 1 to 1048576" },
		{ "internal:lab,mac-table-size=lots",
		  "--net 'internal:lab,mac-table-size=lots': mac-table-size: "
		  "'lots' is not a number from 1 to 1048576" },
		{ "internal:lab,mac-table-size=1048577",
		  "--net 'internal:lab,mac-table-size=1048577': mac-table-size: "
		  "'1048577' is not a number from 1 to 1048576" },
		{ "internal:lab,mac-table-size=-1",
		  "--net 'internal:lab,mac-table-size=-1': mac-table-size: "
		  "'-1' is not a number from 1 to 1048576" },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autoptr(GError) err = NULL;
		struct un_netdef *def = un_spec_parse(bad[i].spec, &err);
		struct un_config c;
		struct un_switch_config sc;

		assert_non_null(def);
		c = un_netdef_config(def);
		assert_false(un_switch_config_parse(&sc, &c, &err));
		assert_non_null(err);
		assert_int_equal(err->code, UN_ERROR_CONFIG);
		assert_string_equal(err->message, bad[i].error);
		un_netdef_free(def);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_unknown_unicast_floods_then_learns, setup3, teardown),
		cmocka_unit_test_setup_teardown(test_broadcast_and_multicast_flood, setup3, teardown),
		cmocka_unit_test_setup_teardown(test_never_back_to_ingress, setup3, teardown),
		cmocka_unit_test_setup_teardown(test_lone_port_counts_no_peer, setup3, teardown),
		cmocka_unit_test_setup_teardown(test_two_ports_are_a_wire, setup2, teardown),
		cmocka_unit_test_setup_teardown(test_bad_source_mac_dropped, setup3, teardown),
		cmocka_unit_test_setup_teardown(test_table_cap_random_macs, setup3_cap8, teardown),
		cmocka_unit_test_setup_teardown(test_ageing, setup3, teardown),
		cmocka_unit_test_setup_teardown(test_full_table_sweeps_aged, setup3_cap8, teardown),
		cmocka_unit_test_setup_teardown(test_port_removal_forgets_macs, setup3, teardown),
		cmocka_unit_test_setup_teardown(test_mac_moves, setup3, teardown),
		cmocka_unit_test_setup_teardown(test_engine_port, setup3, teardown),
		cmocka_unit_test(test_config_default),
		cmocka_unit_test(test_config_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
