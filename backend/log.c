/* SPDX-License-Identifier: GPL-2.0-or-later */
/* log.c - the GLib log writer usernetd installs.
 * Owns: the choice between the journal and stderr, level filtering (-v)
 * and the line format on stderr.
 * Not here: what is logged; each file logs under its own G_LOG_DOMAIN.
 *
 * How it works
 * - Under systemd, stderr is a stream to journald and $JOURNAL_STREAM holds
 *   its "DEVICE:INODE". When our stderr is still that stream, records go
 *   to journald through GLib's native-protocol writer: the message, its
 *   priority, GLIB_DOMAIN, SYSLOG_IDENTIFIER (and CODE_FILE/LINE/FUNC from
 *   g_log_structured callers) stay separate fields. Anywhere else (a terminal, a file, a pipe, a stale
 *   $JOURNAL_STREAM inherited by a child) they are lines on stderr.
 * - Should the journal refuse a record (its socket gone), the record is
 *   written to stderr instead: a log line is never lost silently. */
#define G_LOG_DOMAIN "usernet-log"

#include "log.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#define LOG_IDENTIFIER "usernetd"

static gboolean log_verbose;
static struct un_log_bucket log_guest_bucket = { .tokens = UN_LOG_GUEST_BURST };

static const char *log_level_name(GLogLevelFlags level)
{
	if (level & G_LOG_LEVEL_ERROR)
		return "error";
	if (level & G_LOG_LEVEL_CRITICAL)
		return "critical";
	if (level & G_LOG_LEVEL_WARNING)
		return "warning";
	if (level & G_LOG_LEVEL_MESSAGE)
		return "message";
	if (level & G_LOG_LEVEL_INFO)
		return "info";
	return "debug";
}

static const char *log_field(const GLogField *fields, gsize n, const char *key)
{
	for (gsize i = 0; i < n; i++)
		if (strcmp(fields[i].key, key) == 0 && fields[i].length < 0)
			return fields[i].value;
	return NULL;
}

/* A decimal number that fills [s, end) exactly: no sign, no space. */
static gboolean log_parse_decimal(const char *s, const char *end,
				  guint64 *out)
{
	char *stop;

	if (s == end || !g_ascii_isdigit(*s))
		return FALSE;
	errno = 0;
	*out = g_ascii_strtoull(s, &stop, 10);
	return errno == 0 && stop == end;
}

enum un_log_target un_log_target_choose(const char *journal_stream,
					dev_t stderr_dev, ino_t stderr_ino)
{
	const char *colon;
	guint64 dev, ino;

	if (!journal_stream)
		return UN_LOG_TARGET_STDERR;
	colon = strchr(journal_stream, ':');
	if (!colon ||
	    !log_parse_decimal(journal_stream, colon, &dev) ||
	    !log_parse_decimal(colon + 1, colon + 1 + strlen(colon + 1), &ino))
		return UN_LOG_TARGET_STDERR;
	if (dev != (guint64)stderr_dev || ino != (guint64)stderr_ino)
		return UN_LOG_TARGET_STDERR;
	return UN_LOG_TARGET_JOURNALD;
}

gboolean un_log_bucket_admit(struct un_log_bucket *b, gint64 now_us,
			     guint64 *told)
{
	gint64 earned = (now_us - b->last_us) / UN_LOG_GUEST_INTERVAL_US;

	if (earned > 0) {
		b->tokens = (guint)MIN((gint64)UN_LOG_GUEST_BURST,
				       (gint64)b->tokens + earned);
		b->last_us = now_us;
	}
	if (b->tokens == 0) {
		b->suppressed++;
		return FALSE;
	}
	b->tokens--;
	*told = b->suppressed;
	b->suppressed = 0;
	return TRUE;
}

gboolean un_log_level_wanted(GLogLevelFlags level, gboolean verbose)
{
	return verbose || !(level & G_LOG_LEVEL_DEBUG);
}

gboolean un_log_write_line(FILE *out, gboolean verbose, GLogLevelFlags level,
			   const GLogField *fields, gsize n_fields)
{
	const char *domain = log_field(fields, n_fields, "GLIB_DOMAIN");
	const char *msg = log_field(fields, n_fields, "MESSAGE");

	if (!un_log_level_wanted(level, verbose))
		return FALSE;
	fprintf(out, "usernetd: [%s] %s: %s\n", domain ? domain : "usernet",
		log_level_name(level), msg ? msg : "");
	fflush(out);
	return TRUE;
}

static GLogWriterOutput log_write_stderr(GLogLevelFlags level,
					 const GLogField *fields,
					 gsize n_fields, gpointer user_data)
{
	un_log_write_line(stderr, log_verbose, level, fields, n_fields);
	return G_LOG_WRITER_HANDLED;
}

/* libslirp's records: a guest triggers them, so they are throttled, and
 * its criticals (guest misbehaviour, not our bugs) become warnings. */
static GLogWriterOutput log_write_guest(GLogWriterFunc write,
					GLogLevelFlags level,
					const GLogField *fields, gsize n_fields)
{
	GLogField *all = g_newa(GLogField, n_fields);
	g_autofree char *msg = NULL;
	guint64 told = 0;

	if (!un_log_bucket_admit(&log_guest_bucket, g_get_monotonic_time(),
				 &told))
		return G_LOG_WRITER_HANDLED;
	if (level & (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_ERROR))
		level = G_LOG_LEVEL_WARNING;
	memcpy(all, fields, n_fields * sizeof(*fields));
	for (gsize i = 0; told && i < n_fields; i++) {
		if (strcmp(all[i].key, "MESSAGE") != 0 || all[i].length >= 0)
			continue;
		msg = g_strdup_printf("%s (%" G_GUINT64_FORMAT
				      " similar lines suppressed)",
				      (const char *)all[i].value, told);
		all[i].value = msg;
	}
	return write(level, all, n_fields, NULL);
}

static gboolean log_from_guest(const GLogField *fields, gsize n_fields)
{
	const char *domain = log_field(fields, n_fields, "GLIB_DOMAIN");

	return domain && strcmp(domain, UN_LOG_GUEST_DOMAIN) == 0;
}

/* The record's own fields plus SYSLOG_IDENTIFIER, to journald. */
static GLogWriterOutput log_write_journald_one(GLogLevelFlags level,
					   const GLogField *fields,
					   gsize n_fields, gpointer user_data)
{
	GLogField *all = g_newa(GLogField, n_fields + 1);

	if (!un_log_level_wanted(level, log_verbose))
		return G_LOG_WRITER_HANDLED;
	memcpy(all, fields, n_fields * sizeof(*fields));
	all[n_fields] = (GLogField){ "SYSLOG_IDENTIFIER", LOG_IDENTIFIER, -1 };
	if (g_log_writer_journald(level, all, n_fields + 1, NULL) ==
	    G_LOG_WRITER_HANDLED)
		return G_LOG_WRITER_HANDLED;
	return log_write_stderr(level, fields, n_fields, NULL);
}

static GLogWriterOutput log_write_journald(GLogLevelFlags level,
					   const GLogField *fields,
					   gsize n_fields, gpointer user_data)
{
	if (log_from_guest(fields, n_fields))
		return log_write_guest(log_write_journald_one, level, fields,
				       n_fields);
	return log_write_journald_one(level, fields, n_fields, user_data);
}

static GLogWriterOutput log_write_any_stderr(GLogLevelFlags level,
					     const GLogField *fields,
					     gsize n_fields, gpointer user_data)
{
	if (log_from_guest(fields, n_fields))
		return log_write_guest(log_write_stderr, level, fields,
				       n_fields);
	return log_write_stderr(level, fields, n_fields, user_data);
}

void un_log_setup(gboolean verbose)
{
	struct stat st;
	enum un_log_target target = UN_LOG_TARGET_STDERR;

	log_verbose = verbose;
	if (fstat(fileno(stderr), &st) == 0)
		target = un_log_target_choose(g_getenv("JOURNAL_STREAM"),
					      st.st_dev, st.st_ino);
	if (target == UN_LOG_TARGET_JOURNALD)
		g_log_set_writer_func(log_write_journald, NULL, NULL);
	else
		g_log_set_writer_func(log_write_any_stderr, NULL, NULL);
}
