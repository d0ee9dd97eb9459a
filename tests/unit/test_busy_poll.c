/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_busy_poll.c - the spin window rule of backend/busy_poll.c, from
 * busy_poll.h: spin until the last fd event plus the window; never when
 * the window is 0 or the poll would not sleep (timeout 0); never past the
 * poll's own timeout; an event older than the window means no spin. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "busy_poll.h"

#define T0 1000000000 /* any monotonic time, µs */

static void test_recent_event_spins_to_window_end(void **state)
{
	/* event 10 µs ago, 50 µs window, no timeout: until event + 50 */
	assert_int_equal(un_busy_poll_until(T0 - 10, T0, -1, 50), T0 + 40);
	/* with a timeout far beyond the window: the same */
	assert_int_equal(un_busy_poll_until(T0 - 10, T0, 1000, 50), T0 + 40);
}

static void test_old_event_does_not_spin(void **state)
{
	assert_true(un_busy_poll_until(T0 - 50, T0, -1, 50) <= T0);
	assert_true(un_busy_poll_until(T0 - 5000, T0, -1, 50) <= T0);
	/* never an event yet */
	assert_true(un_busy_poll_until(0, T0, -1, 50) <= T0);
}

static void test_off_or_not_sleeping(void **state)
{
	assert_true(un_busy_poll_until(T0, T0, -1, 0) <= T0);
	assert_true(un_busy_poll_until(T0, T0, 0, 50) <= T0);
}

static void test_capped_by_timeout(void **state)
{
	/* a 1 ms timeout under a 1000 µs window that began 1 µs ago: the
	 * window ends at T0 + 999, the timeout at T0 + 1000 */
	assert_int_equal(un_busy_poll_until(T0 - 1, T0, 1, 1000), T0 + 999);
	/* window ending after the timeout: the timeout wins */
	assert_int_equal(un_busy_poll_until(T0, T0, 1, UN_BUSY_POLL_MAX_US + 500),
			 T0 + 1000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_recent_event_spins_to_window_end),
		cmocka_unit_test(test_old_event_does_not_spin),
		cmocka_unit_test(test_off_or_not_sleeping),
		cmocka_unit_test(test_capped_by_timeout),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
