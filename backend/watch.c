/* SPDX-License-Identifier: GPL-2.0-or-later */
/* watch.c - the fd watches of every transport and the control socket: one
 * epoll set that the main loop polls as a single fd, and the batched-send
 * flush that runs before the loop polls.
 * Not here: what a watch's function does with its fd (the transports), the
 * send queue (frame.c), libslirp's sockets (slirp_glue.c).
 *
 * How it works:
 * - Every watch is one entry of a process-wide epoll set (level-triggered,
 *   data.ptr = the watch). One GSource polls the epoll fd and, when it is
 *   readable, takes up to WATCH_EVENTS_MAX events with epoll_wait(0) and
 *   calls each watch's function. The kernel keeps the set between polls,
 *   so a wake-up costs one poll entry however many listeners, control
 *   clients and ports there are; with one GSource per fd, GLib handed
 *   poll() every fd on every wake-up, and poll() registered and removed a
 *   wait-queue entry on each (the round-trip profile in bench/results).
 * - The daemon's poll function (busy_poll.c) runs the set's events itself
 *   as soon as poll() returns, and writes what they batched right after
 *   (un_watch_poll_done): a frame that came in leaves without waiting for
 *   GLib's check, dispatch and next prepare, which cost about 15 µs per
 *   wake-up from idle (a namespace's ping of the gateway, median 0.188 ->
 *   0.173 ms). The GSource still runs them where that poll function is not in
 *   use (the unit tests).
 * - A watch freed while events are being dispatched (by its own function
 *   or another's) is taken out of the set at once and only marked dead;
 *   its memory goes when the outermost dispatch ends, so an event already
 *   taken for it is skipped, never run on freed memory.
 * - Kicks and pauses are lists on the same source: a kicked watch runs
 *   with revents 0 on the next dispatch (freeing it takes it off the list);
 *   a paused one is in the set with no conditions until its time, then
 *   runs with revents 0.
 * - Batched sends: a watch with frames waiting joins a list that is
 *   flushed after the events of the epoll set ran, and by a second source,
 *   of the highest priority, in its prepare: after the wake-up's
 *   dispatches, before the loop polls. */
#define G_LOG_DOMAIN "usernet-watch"

#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "frame.h"

/* Events taken per epoll_wait; more stay ready for the next wake-up. */
#define WATCH_EVENTS_MAX 64

struct un_watch {
	int fd;
	GIOCondition cond;   /* asked for */
	un_watch_fn fn;
	void *opaque;
	const char *name;    /* a string literal */
	int gone;            /* errno: the peer is gone */
	gboolean dead;       /* freed during a dispatch; memory goes after */
	gint64 resume_us;    /* paused until then; 0 when not paused */
	GList kick_link;     /* in watches.kicked while a kick waits */
	GList pause_link;    /* in watches.paused while paused */
	GList flush_link;    /* in watches.flush while batched frames wait */
};

static struct {
	GSource *source;   /* polls epfd */
	GSource *flusher;  /* flushes batched sends in its prepare */
	int epfd;
	gpointer tag;
	GQueue kicked;     /* of kick_link */
	GQueue paused;     /* of pause_link */
	GQueue flush;      /* of flush_link */
	GPtrArray *dead;   /* freed while dispatching */
	int depth;         /* dispatches running (a function may recurse) */
} watches = { .epfd = -1 };

static void watch_ctl(struct un_watch *w, int op, GIOCondition cond)
{
	struct epoll_event ev = { .events = (uint32_t)cond, .data.ptr = w };

	/* Fails only for a closed fd or no memory: say which watch. */
	if (epoll_ctl(watches.epfd, op, w->fd, &ev) < 0)
		g_critical("watch %s (fd %d): epoll_ctl %d: %s", w->name, w->fd,
			   op, g_strerror(errno));
}

static gint64 watch_next_resume(void)
{
	gint64 next = G_MAXINT64;

	for (GList *l = watches.paused.head; l; l = l->next) {
		const struct un_watch *w = l->data;

		next = MIN(next, w->resume_us);
	}
	return next;
}

static gboolean source_prepare(GSource *source, gint *timeout)
{
	gint64 next, now;

	*timeout = -1;
	if (watches.kicked.length > 0)
		return TRUE;
	next = watch_next_resume();
	if (next == G_MAXINT64)
		return FALSE;
	now = g_source_get_time(source);
	if (next <= now)
		return TRUE;
	*timeout = (gint)MIN((next - now + 999) / 1000, G_MAXINT);
	return FALSE;
}

static gboolean source_check(GSource *source)
{
	return watches.kicked.length > 0 ||
	       (g_source_query_unix_fd(source, watches.tag) & G_IO_IN) ||
	       watch_next_resume() <= g_source_get_time(source);
}

static void watch_unpause(struct un_watch *w)
{
	if (w->resume_us == 0)
		return;
	w->resume_us = 0;
	g_queue_unlink(&watches.paused, &w->pause_link);
	watch_ctl(w, EPOLL_CTL_MOD, w->cond);
}

static void watch_resume_due(gint64 now)
{
	GList *l = watches.paused.head;

	while (l) {
		struct un_watch *w = l->data;

		l = l->next;
		if (w->resume_us > now || w->dead)
			continue;
		watch_unpause(w);
		w->fn(w->opaque, 0);
	}
}

static void watch_run_events(void)
{
	struct epoll_event ev[WATCH_EVENTS_MAX];
	int n = epoll_wait(watches.epfd, ev, WATCH_EVENTS_MAX, 0);

	if (n < 0 && errno != EINTR)
		g_critical("fd watches: epoll_wait: %s", g_strerror(errno));
	for (int i = 0; i < n; i++) {
		struct un_watch *w = ev[i].data.ptr;

		if (w->dead)
			continue;
		watch_unpause(w); /* an error or hang-up ends a pause early */
		w->fn(w->opaque, (GIOCondition)ev[i].events);
	}
}

/* At most as many kicks as were queued when the dispatch began, taken from
 * the list itself: a watch freed by an earlier kick's function unlinks
 * its own kick there, and one kicked again waits at the tail. */
static void watch_run_kicks(void)
{
	guint n = watches.kicked.length;
	GList *l;

	while (n-- > 0 && (l = g_queue_pop_head_link(&watches.kicked)) != NULL) {
		struct un_watch *w = l->data;

		l->data = NULL;
		w->fn(w->opaque, 0);
	}
}

/* Around every run of watch functions: the memory of watches freed
 * meanwhile goes when the outermost run ends. */
static void watch_run_begin(void)
{
	watches.depth++;
}

static void watch_run_end(void)
{
	if (--watches.depth == 0 && watches.dead->len > 0)
		g_ptr_array_set_size(watches.dead, 0);
}

static gboolean source_dispatch(GSource *source, GSourceFunc cb, gpointer data)
{
	watch_run_begin();
	watch_run_events();
	watch_resume_due(g_source_get_time(source));
	watch_run_kicks();
	watch_run_end();
	return G_SOURCE_CONTINUE;
}

static GSourceFuncs watch_source_funcs = {
	.prepare = source_prepare,
	.check = source_check,
	.dispatch = source_dispatch,
};

/* Each watch with batched sends waiting writes them (its function, with
 * G_IO_OUT); one that waits for G_IO_OUT anyway is left to it. */
static void watch_flush_batched(void)
{
	GList *l;

	while ((l = g_queue_pop_head_link(&watches.flush)) != NULL) {
		struct un_watch *w = l->data;

		l->data = NULL;
		if (w->gone == 0 && !(w->cond & G_IO_OUT))
			w->fn(w->opaque, G_IO_OUT);
	}
}

static gboolean flusher_prepare(GSource *source, gint *timeout)
{
	*timeout = -1;
	watch_flush_batched();
	return FALSE;
}

static gboolean flusher_dispatch(GSource *source, GSourceFunc cb, gpointer data)
{
	return G_SOURCE_CONTINUE;
}

static GSourceFuncs flusher_funcs = {
	.prepare = flusher_prepare,
	.dispatch = flusher_dispatch,
};

/* The epoll set and both sources, on first use. The process keeps them. */
static void watches_start(void)
{
	if (watches.source)
		return;
	watches.epfd = epoll_create1(EPOLL_CLOEXEC);
	if (watches.epfd < 0)
		g_error("fd watches: cannot create an epoll set: %s (raise the "
			"open file limit, ulimit -n)", g_strerror(errno));
	watches.dead = g_ptr_array_new_with_free_func(g_free);
	watches.source = g_source_new(&watch_source_funcs, sizeof(GSource));
	watches.tag = g_source_add_unix_fd(watches.source, watches.epfd, G_IO_IN);
	g_source_set_name(watches.source, "usernet fd watches");
	/* Not blocked while dispatching: GLib would take the epoll fd out of
	 * the poll set and put it back, waking its own loop twice. */
	g_source_set_can_recurse(watches.source, TRUE);
	g_source_attach(watches.source, NULL);
	watches.flusher = g_source_new(&flusher_funcs, sizeof(GSource));
	g_source_set_priority(watches.flusher, G_MININT);
	g_source_set_name(watches.flusher, "usernet batched sends");
	g_source_attach(watches.flusher, NULL);
}

gint un_watch_poll_done(GPollFD *fds, guint n, gint ready)
{
	if (ready <= 0 || watches.epfd < 0)
		return ready;
	for (guint i = 0; i < n; i++) {
		if (fds[i].fd != watches.epfd || !(fds[i].revents & G_IO_IN))
			continue;
		fds[i].revents = 0;
		watch_run_begin();
		watch_run_events();
		watch_run_end();
		watch_flush_batched();
		return ready - 1;
	}
	return ready;
}

struct un_watch *un_watch_new(int fd, GIOCondition cond, un_watch_fn fn,
			      void *opaque, const char *name)
{
	struct un_watch *w = g_new0(struct un_watch, 1);

	watches_start();
	w->fd = fd;
	w->cond = cond;
	w->fn = fn;
	w->opaque = opaque;
	w->name = name;
	watch_ctl(w, EPOLL_CTL_ADD, cond);
	return w;
}

/* Turn @bit of the watched conditions on or off. */
static void watch_cond(struct un_watch *w, GIOCondition bit, gboolean on)
{
	GIOCondition cond = on ? w->cond | bit : w->cond & ~bit;

	if (cond == w->cond)
		return;
	w->cond = cond;
	if (w->resume_us == 0)
		watch_ctl(w, EPOLL_CTL_MOD, cond);
}

void un_watch_out(struct un_watch *w, gboolean on)
{
	watch_cond(w, G_IO_OUT, on);
}

void un_watch_in(struct un_watch *w, gboolean on)
{
	watch_cond(w, G_IO_IN, on);
}

void un_watch_kick(struct un_watch *w)
{
	if (w->kick_link.data != NULL)
		return;
	w->kick_link.data = w;
	g_queue_push_tail_link(&watches.kicked, &w->kick_link);
}

void un_watch_pause(struct un_watch *w, guint ms)
{
	if (w->resume_us == 0) {
		w->pause_link.data = w;
		g_queue_push_tail_link(&watches.paused, &w->pause_link);
		watch_ctl(w, EPOLL_CTL_MOD, 0);
	}
	w->resume_us = g_get_monotonic_time() + (gint64)ms * 1000;
}

void un_watch_flush_soon(struct un_watch *w)
{
	if (w->flush_link.data != NULL || (w->cond & G_IO_OUT))
		return;
	w->flush_link.data = w;
	g_queue_push_tail_link(&watches.flush, &w->flush_link);
}

void un_watch_set_gone(struct un_watch *w, int err)
{
	if (w->gone == 0)
		un_watch_kick(w);
	w->gone = err;
}

int un_watch_gone(const struct un_watch *w)
{
	return w->gone;
}

void un_watch_free(struct un_watch *w)
{
	if (w == NULL)
		return;
	if (w->flush_link.data != NULL)
		g_queue_unlink(&watches.flush, &w->flush_link);
	if (w->kick_link.data != NULL)
		g_queue_unlink(&watches.kicked, &w->kick_link);
	if (w->resume_us != 0)
		g_queue_unlink(&watches.paused, &w->pause_link);
	w->flush_link.data = w->kick_link.data = NULL;
	w->resume_us = 0;
	/* The fd may be closed already (the caller owns it): then the
	 * kernel dropped it from the set itself. */
	if (epoll_ctl(watches.epfd, EPOLL_CTL_DEL, w->fd, NULL) < 0 &&
	    errno != EBADF && errno != ENOENT)
		g_debug("watch %s (fd %d): epoll_ctl del: %s", w->name, w->fd,
			g_strerror(errno));
	if (watches.depth == 0) {
		g_free(w);
		return;
	}
	w->dead = TRUE;
	g_ptr_array_add(watches.dead, w);
}
