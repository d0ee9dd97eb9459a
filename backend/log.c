/* SPDX-License-Identifier: GPL-2.0-or-later */
/* log.c - the GLib log writer usernetd installs.
 * Owns: level filtering (-v) and the line format on stderr.
 * Not here: what is logged; each file logs under its own G_LOG_DOMAIN. */
#define G_LOG_DOMAIN "usernet-log"

#include "log.h"

#include <stdio.h>
#include <string.h>

static gboolean log_verbose;

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

static GLogWriterOutput log_write(GLogLevelFlags level, const GLogField *fields,
				  gsize n_fields, gpointer user_data)
{
	const char *domain = log_field(fields, n_fields, "GLIB_DOMAIN");
	const char *msg = log_field(fields, n_fields, "MESSAGE");

	if ((level & G_LOG_LEVEL_DEBUG) && !log_verbose)
		return G_LOG_WRITER_HANDLED;
	fprintf(stderr, "usernetd: [%s] %s: %s\n", domain ? domain : "usernet",
		log_level_name(level), msg ? msg : "");
	return G_LOG_WRITER_HANDLED;
}

void un_log_setup(gboolean verbose)
{
	log_verbose = verbose;
	g_log_set_writer_func(log_write, NULL, NULL);
}
