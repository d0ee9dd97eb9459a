/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_watch.c - backend/watch.c on real socketpairs and GLib's default
 * context. The rules, from watch.h: a watch runs with the conditions that
 * fired (level-triggered, as poll(2)); conditions turn on and off; a kick
 * runs it once with 0; a pause stops it for the time, then runs it with 0;
 * freeing a watch from another watch's function in the same wake-up means
 * it never runs again (ASan sees any use after free); a batched flush runs
 * once before the loop polls, and never for a freed watch. With the
 * daemon's poll function (busy_poll.c), a ready watch runs as poll
 * returns and its batched flush follows at once, in the same wake-up. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include "busy_poll.h"
#include "watch.h"

struct seen {
	int calls;
	GIOCondition last;
	struct un_watch *self;
	struct un_watch **victim; /* freed by this watch's function */
};

static void record(void *opaque, GIOCondition revents)
{
	struct seen *s = opaque;

	s->calls++;
	s->last = revents;
	if (s->victim && *s->victim) {
		un_watch_free(*s->victim);
		*s->victim = NULL;
	}
}

static void drain(void)
{
	for (int i = 0; i < 20 && g_main_context_iteration(NULL, FALSE); i++)
		;
}

static void pair(int sv[2])
{
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
}

static void test_level_triggered_in(void **state)
{
	struct seen s = { 0 };
	struct un_watch *w;
	int sv[2];

	pair(sv);
	w = un_watch_new(sv[0], G_IO_IN, record, &s, "test");
	drain();
	assert_int_equal(s.calls, 0);
	assert_int_equal(write(sv[1], "x", 1), 1);
	/* not read: reported on every wake-up */
	for (int i = 0; i < 3; i++)
		g_main_context_iteration(NULL, FALSE);
	assert_int_equal(s.calls, 3);
	assert_int_equal(s.last, G_IO_IN);
	/* G_IO_IN off: no more */
	un_watch_in(w, FALSE);
	s.calls = 0;
	drain();
	assert_int_equal(s.calls, 0);
	/* G_IO_OUT on: a socketpair with room is writable */
	un_watch_out(w, TRUE);
	g_main_context_iteration(NULL, FALSE);
	assert_int_equal(s.calls, 1);
	assert_int_equal(s.last, G_IO_OUT);
	un_watch_out(w, FALSE);
	/* the peer closes: a hang-up comes without being asked for */
	close(sv[1]);
	s.calls = 0;
	g_main_context_iteration(NULL, FALSE);
	assert_int_equal(s.calls, 1);
	assert_true(s.last & G_IO_HUP);
	un_watch_free(w);
	close(sv[0]);
}

static void test_kick_once(void **state)
{
	struct seen s = { 0 };
	struct un_watch *w;
	int sv[2];

	pair(sv);
	w = un_watch_new(sv[0], G_IO_IN, record, &s, "test");
	un_watch_kick(w);
	un_watch_kick(w);
	drain();
	assert_int_equal(s.calls, 1);
	assert_int_equal(s.last, 0);
	/* kicked, then freed before the loop ran: never called */
	un_watch_kick(w);
	un_watch_free(w);
	s.calls = 0;
	drain();
	assert_int_equal(s.calls, 0);
	close(sv[0]);
	close(sv[1]);
}

static void test_gone(void **state)
{
	struct seen s = { 0 };
	struct un_watch *w;
	int sv[2];

	pair(sv);
	w = un_watch_new(sv[0], 0, record, &s, "test");
	assert_int_equal(un_watch_gone(w), 0);
	un_watch_set_gone(w, EPIPE);
	un_watch_set_gone(w, ECONNRESET);
	assert_int_equal(un_watch_gone(w), ECONNRESET);
	drain();
	assert_int_equal(s.calls, 1);
	un_watch_free(w);
	close(sv[0]);
	close(sv[1]);
}

static void test_pause(void **state)
{
	struct seen s = { 0 };
	struct un_watch *w;
	gint64 t0;
	int sv[2];

	pair(sv);
	w = un_watch_new(sv[0], G_IO_IN, record, &s, "test");
	assert_int_equal(write(sv[1], "x", 1), 1);
	un_watch_pause(w, 50);
	t0 = g_get_monotonic_time();
	drain();
	assert_int_equal(s.calls, 0);
	/* blocking iterations: the first one that runs it is the resume */
	while (s.calls == 0)
		g_main_context_iteration(NULL, TRUE);
	assert_true(g_get_monotonic_time() - t0 >= 50 * 1000);
	assert_int_equal(s.last, 0);
	/* polled again after the pause: the byte is still there */
	g_main_context_iteration(NULL, FALSE);
	assert_int_equal(s.calls, 2);
	assert_int_equal(s.last, G_IO_IN);
	/* paused, then freed: the pause ends with it */
	un_watch_pause(w, 10);
	un_watch_free(w);
	s.calls = 0;
	g_usleep(20 * 1000);
	drain();
	assert_int_equal(s.calls, 0);
	close(sv[0]);
	close(sv[1]);
}

/* Two watches ready in the same wake-up; whichever runs first frees the
 * other, which then must not run. */
static void test_free_other_in_dispatch(void **state)
{
	struct seen a = { 0 }, b = { 0 };
	struct un_watch *wa, *wb;
	int sa[2], sb[2];

	pair(sa);
	pair(sb);
	wa = un_watch_new(sa[0], G_IO_IN, record, &a, "a");
	wb = un_watch_new(sb[0], G_IO_IN, record, &b, "b");
	a.victim = &wb;
	b.victim = &wa;
	assert_int_equal(write(sa[1], "x", 1), 1);
	assert_int_equal(write(sb[1], "x", 1), 1);
	g_main_context_iteration(NULL, FALSE);
	assert_int_equal(a.calls + b.calls, 1);
	assert_true((wa == NULL) != (wb == NULL));
	drain();
	/* the survivor keeps running (its byte is unread), the other never */
	assert_true(a.calls == 0 || b.calls == 0);
	un_watch_free(wa ? wa : wb);
	for (int i = 0; i < 2; i++) {
		close(sa[i]);
		close(sb[i]);
	}
}

/* Two watches kicked for the same wake-up; whichever runs first frees the
 * other, which then must not run (and the kick list stays whole). */
static void test_free_other_kicked(void **state)
{
	struct seen a = { 0 }, b = { 0 }, c = { 0 };
	struct un_watch *wa, *wb, *wc;
	int sa[2], sb[2], sc[2];

	pair(sa);
	pair(sb);
	pair(sc);
	wa = un_watch_new(sa[0], 0, record, &a, "a");
	wb = un_watch_new(sb[0], 0, record, &b, "b");
	wc = un_watch_new(sc[0], 0, record, &c, "c");
	a.victim = &wb;
	b.victim = &wa;
	un_watch_kick(wa);
	un_watch_kick(wb);
	un_watch_kick(wc);
	drain();
	assert_int_equal(a.calls + b.calls, 1);
	assert_true((wa == NULL) != (wb == NULL));
	/* the third kick still runs, once */
	assert_int_equal(c.calls, 1);
	assert_int_equal(c.last, 0);
	/* and the kick list works afterwards */
	un_watch_kick(wc);
	drain();
	assert_int_equal(c.calls, 2);
	un_watch_free(wa ? wa : wb);
	un_watch_free(wc);
	for (int i = 0; i < 2; i++) {
		close(sa[i]);
		close(sb[i]);
		close(sc[i]);
	}
}

static void test_flush_soon(void **state)
{
	struct seen s = { 0 };
	struct un_watch *w;
	int sv[2];

	pair(sv);
	w = un_watch_new(sv[0], 0, record, &s, "test");
	for (int i = 0; i < 5; i++)
		un_watch_flush_soon(w);
	assert_int_equal(s.calls, 0);
	g_main_context_iteration(NULL, FALSE);
	assert_int_equal(s.calls, 1);
	assert_int_equal(s.last, G_IO_OUT);
	drain();
	assert_int_equal(s.calls, 1);
	/* freed while a flush waits: never called */
	un_watch_flush_soon(w);
	un_watch_free(w);
	drain();
	assert_int_equal(s.calls, 1);
	close(sv[0]);
	close(sv[1]);
}

struct batcher {
	int fd;
	struct un_watch *w;
	int calls;
	GIOCondition order[4];
};

/* Reads what came and batches an answer, as a transport's read does. */
static void read_and_batch(void *opaque, GIOCondition revents)
{
	struct batcher *b = opaque;
	char c;

	if (b->calls < (int)G_N_ELEMENTS(b->order))
		b->order[b->calls] = revents;
	b->calls++;
	if ((revents & G_IO_IN) && read(b->fd, &c, 1) == 1)
		un_watch_flush_soon(b->w);
}

static void test_poll_function_runs_at_once(void **state)
{
	struct batcher b = { 0 };
	int sv[2];

	pair(sv);
	b.fd = sv[0];
	b.w = un_watch_new(sv[0], G_IO_IN, read_and_batch, &b, "test");
	un_busy_poll_install(0);
	assert_int_equal(write(sv[1], "x", 1), 1);
	/* One wake-up: the event, then its flush. Through GLib's dispatch
	 * the flush would wait for the next iteration's prepare. */
	g_main_context_iteration(NULL, FALSE);
	assert_int_equal(b.calls, 2);
	assert_int_equal(b.order[0], G_IO_IN);
	assert_int_equal(b.order[1], G_IO_OUT);
	/* Not dispatched a second time by GLib. */
	drain();
	assert_int_equal(b.calls, 2);
	/* Still level-triggered. */
	assert_int_equal(write(sv[1], "y", 1), 1);
	drain();
	assert_int_equal(b.calls, 4);
	g_main_context_set_poll_func(NULL, NULL);
	un_watch_free(b.w);
	close(sv[0]);
	close(sv[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_level_triggered_in),
		cmocka_unit_test(test_kick_once),
		cmocka_unit_test(test_gone),
		cmocka_unit_test(test_pause),
		cmocka_unit_test(test_free_other_in_dispatch),
		cmocka_unit_test(test_free_other_kicked),
		cmocka_unit_test(test_flush_soon),
		cmocka_unit_test(test_poll_function_runs_at_once),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
