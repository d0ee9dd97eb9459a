/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_ratelimit.c - backend/ratelimit.c: the first message passes, then
 * one per interval, and each one that passes tells how many were held. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ratelimit.h"

#define SEC G_USEC_PER_SEC

static void test_first_then_one_per_interval(void **state)
{
	struct un_ratelimit rl = { 0 };
	guint64 held = 99;

	assert_true(un_ratelimit_pass(&rl, 60 * SEC, 5 * SEC, &held));
	assert_int_equal(held, 0);
	for (int i = 0; i < 7; i++)
		assert_false(un_ratelimit_pass(&rl, 60 * SEC, 10 * SEC + i, &held));
	/* 59.999999 s after the last: still held */
	assert_false(un_ratelimit_pass(&rl, 60 * SEC, 65 * SEC - 1, &held));
	assert_true(un_ratelimit_pass(&rl, 60 * SEC, 65 * SEC, &held));
	assert_int_equal(held, 8);
	assert_false(un_ratelimit_pass(&rl, 60 * SEC, 66 * SEC, NULL));
	assert_true(un_ratelimit_pass(&rl, 60 * SEC, 200 * SEC, NULL));
	assert_true(un_ratelimit_pass(&rl, 60 * SEC, 260 * SEC, &held));
	assert_int_equal(held, 0);
}

/* A first message at time 0 (or a clock near 0) still passes. */
static void test_first_at_time_zero(void **state)
{
	struct un_ratelimit rl = { 0 };

	assert_true(un_ratelimit_pass(&rl, 10 * SEC, 0, NULL));
	assert_false(un_ratelimit_pass(&rl, 10 * SEC, 1, NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_then_one_per_interval),
		cmocka_unit_test(test_first_at_time_zero),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
