/* SPDX-License-Identifier: GPL-2.0-or-later */
/* busy_poll.h - the main loop's poll: after traffic, keep polling without
 * sleeping for a short window, so an answer that comes soon (the host's
 * reply to what a guest just sent) is taken without a wake-up.
 * Not here: what the loop polls (GLib's sources, watch.c, slirp_glue.c). */
#ifndef USERNET_BACKEND_BUSY_POLL_H
#define USERNET_BACKEND_BUSY_POLL_H

#include <glib.h>

/* usernetd --busy-poll: the default window, and the largest accepted. */
#define UN_BUSY_POLL_DEFAULT_US 50
#define UN_BUSY_POLL_MAX_US 1000

/* Until when (monotonic µs) a poll asked for at @now_us with @timeout_ms
 * (-1: none) should poll without sleeping, when the last fd event was at
 * @last_event_us and the window is @window_us. A value <= @now_us means
 * sleep at once: window 0, a poll that would not sleep anyway (timeout 0),
 * or no event within the window. Never past the poll's own timeout. */
gint64 un_busy_poll_until(gint64 last_event_us, gint64 now_us,
			  gint timeout_ms, guint window_us);

/* Make the default main context's poll spin for up to @window_us after
 * each fd event (0: no spin), and run the fd watches as soon as it
 * returns (un_watch_poll_done). Call before running the loop. */
void un_busy_poll_install(guint window_us);

#endif
