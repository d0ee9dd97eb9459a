/* SPDX-License-Identifier: GPL-2.0-or-later */
/* busy_poll.c - the main loop's poll, spinning briefly after traffic.
 * Owns: the window rule and the poll function GLib's default context uses.
 * Not here: what is polled, the option (main.c).
 *
 * Why: a 1-byte request from a guest reaches the host socket and the
 * host's answer is back within tens of µs; sleeping in between costs a
 * wake-up each way (on a virtual machine, an idle CPU's exit and IPI).
 * QEMU's iothreads poll the same way (poll-max-ns). Measured on a
 * namespace joined by the tap hand-off: 1-byte TCP round trips 11.5k/s
 * -> 20.3k/s (median of 5) with a 50 µs window; a ping every 0.2 s is
 * unchanged (its request always finds the daemon asleep).
 *
 * How: GLib hands the poll function its fds and timeout. If an fd fired
 * within the last window, poll them with timeout 0, calling sched_yield()
 * between tries (so a process this one just woke, on this CPU, runs
 * first), until one fires or the window ends; then poll with what is left
 * of the timeout. A spin never runs past GLib's timeout. Cost: at most one
 * window of CPU per burst of traffic; nothing while idle.
 * When poll returns, the fd watches' epoll set, if ready, is run at once
 * (un_watch_poll_done, watch.c), with or without a window. */
#define G_LOG_DOMAIN "usernet-loop"

#include <sched.h>

#include "busy_poll.h"
#include "watch.h"

static struct {
	guint window_us;
	gint64 last_event_us;
} busy;

gint64 un_busy_poll_until(gint64 last_event_us, gint64 now_us,
			  gint timeout_ms, guint window_us)
{
	gint64 until = last_event_us + window_us;

	if (window_us == 0 || timeout_ms == 0)
		return now_us;
	if (timeout_ms > 0)
		until = MIN(until, now_us + (gint64)timeout_ms * 1000);
	return until;
}

static gint busy_poll(GPollFD *fds, guint n, gint timeout_ms)
{
	gint64 start = g_get_monotonic_time(), now = start;
	gint64 until = un_busy_poll_until(busy.last_event_us, now, timeout_ms,
					  busy.window_us);
	gint r;

	for (;;) {
		if (now >= until) {
			if (timeout_ms > 0) /* less the whole ms spent spinning */
				timeout_ms -= (gint)MIN((now - start) / 1000, timeout_ms);
			r = g_poll(fds, n, timeout_ms);
			break;
		}
		r = g_poll(fds, n, 0);
		if (r != 0)
			break;
		sched_yield();
		now = g_get_monotonic_time();
	}
	if (r > 0)
		busy.last_event_us = g_get_monotonic_time();
	return un_watch_poll_done(fds, n, r);
}

void un_busy_poll_install(guint window_us)
{
	busy.window_us = window_us;
	g_main_context_set_poll_func(NULL, busy_poll);
}
