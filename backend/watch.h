/* SPDX-License-Identifier: GPL-2.0-or-later */
/* watch.h - fd watches on the main loop, for transports and the control
 * socket: one epoll set the loop polls as one fd (watch.c).
 * Not here: what is read or written on the fd. */
#ifndef USERNET_BACKEND_WATCH_H
#define USERNET_BACKEND_WATCH_H

#include <glib.h>

/* Called with the conditions that fired; 0 after un_watch_kick; G_IO_OUT
 * alone, once the wake-up's events are run, after un_send_settle was given
 * UN_SEND_BATCHED: flush the queue then (with un_flush_settle). */
typedef void (*un_watch_fn)(void *opaque, GIOCondition revents);

/* One fd in the main loop's epoll set, whose conditions change as a port's
 * queue fills and empties (g_unix_fd_add cannot). */
struct un_watch;

/* Watch @fd (not owned) for @cond. Free with un_watch_free. */
struct un_watch *un_watch_new(int fd, GIOCondition cond, un_watch_fn fn,
			      void *opaque, const char *name);
/* Add or remove G_IO_OUT. */
void un_watch_out(struct un_watch *w, gboolean on);
/* Add or remove G_IO_IN: how a reader stops reading while its output
 * waits, without making a new source. */
void un_watch_in(struct un_watch *w, gboolean on);
/* Call the watch's function soon, from the main loop (revents 0): how a
 * send that found its peer gone defers the close out of the caller's
 * stack. */
void un_watch_kick(struct un_watch *w);
/* Stop polling the fd for @ms milliseconds, then call the watch's function
 * (revents 0) and poll again: how a listener backs off when it runs out of
 * file descriptors instead of spinning. */
void un_watch_pause(struct un_watch *w, guint ms);
/* Stop watching and free; safe inside any watch's function. Call it
 * before closing the fd. NULL ok. */
void un_watch_free(struct un_watch *w);

/* The errno that made un_send_settle or un_flush_settle give up on the
 * watch's peer, 0 while the peer is there. A watch's function checks it
 * first and closes its port when it is set. */
int un_watch_gone(const struct un_watch *w);
/* Mark the watch's peer gone with @err and kick it (once). */
void un_watch_set_gone(struct un_watch *w, int err);
/* Call the watch's function with G_IO_OUT once the wake-up's events or
 * dispatches are done, before the loop polls (not when it watches
 * G_IO_OUT anyway): how batched frames leave. */
void un_watch_flush_soon(struct un_watch *w);

/* For the loop's poll function (busy_poll.c), as soon as poll() returned
 * @ready of @fds: when the epoll set is ready, run its events and write
 * the sends they batched now, rather than after GLib's check and dispatch
 * and its next prepare; its entry's revents are cleared so GLib does not
 * dispatch it again. Pauses and kicks stay with the loop's dispatch.
 * Returns @ready less the entry it took. */
gint un_watch_poll_done(GPollFD *fds, guint n, gint ready);

#endif
