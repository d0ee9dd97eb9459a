/* SPDX-License-Identifier: GPL-2.0-or-later */
/* log.h - where usernetd's messages go: the journal or stderr. */
#ifndef USERNET_LOG_H
#define USERNET_LOG_H

#include <glib.h>
#include <stdio.h>
#include <sys/types.h>

enum un_log_target {
	UN_LOG_TARGET_STDERR,   /* "usernetd: [domain] LEVEL: message" lines */
	UN_LOG_TARGET_JOURNALD, /* structured fields and priority, native protocol */
};

/* Where logs go, decided as systemd documents it: the journal when
 * @journal_stream (the value of $JOURNAL_STREAM, may be NULL) is
 * "DEVICE:INODE" in decimal and names @stderr_dev/@stderr_ino, the device
 * and inode of our stderr; stderr otherwise (unset, empty, garbage, or
 * stderr was redirected since systemd set it). Pure. */
enum un_log_target un_log_target_choose(const char *journal_stream,
					dev_t stderr_dev, ino_t stderr_ino);

/* Is a record at @level logged? Debug only when @verbose; everything
 * else always. */
gboolean un_log_level_wanted(GLogLevelFlags level, gboolean verbose);

/* Write one record to @out as a stderr line, "usernetd: [domain] LEVEL:
 * message", unless un_log_level_wanted() says no. Returns whether a line
 * was written. */
gboolean un_log_write_line(FILE *out, gboolean verbose, GLogLevelFlags level,
			   const GLogField *fields, gsize n_fields);

/* libslirp logs guest-triggered events (one per bad frame) in its own
 * domain, some as criticals: a guest could flood the log. Such records
 * pass a token bucket: a burst of UN_LOG_GUEST_BURST, then one per
 * UN_LOG_GUEST_INTERVAL_US; the rest are counted, and the count is told
 * with the next record that passes. */
#define UN_LOG_GUEST_DOMAIN "Slirp"
#define UN_LOG_GUEST_BURST 10u
#define UN_LOG_GUEST_INTERVAL_US G_USEC_PER_SEC

struct un_log_bucket {
	gint64 last_us;    /* when tokens were last added */
	guint tokens;
	guint64 suppressed; /* records dropped since the last one passed */
};

/* Does a guest-triggered record at @now_us pass @b? On TRUE, *told is set
 * to the number suppressed before it (and the count reset). Pure. */
gboolean un_log_bucket_admit(struct un_log_bucket *b, gint64 now_us,
			     guint64 *told);

/* Route GLib structured logging for the rest of the process: to the
 * journal or to stderr (un_log_target_choose() on the environment and
 * stderr), info and above, debug too when @verbose. Call once. */
void un_log_setup(gboolean verbose);

#endif
