/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_log.c - where usernetd logs and what it filters (backend/log.c).
 * Expectations come from systemd's documentation (systemd.exec(5),
 * $JOURNAL_STREAM): the variable is "DEVICE:INODE" of the stream that
 * systemd connected to stdout/stderr, both decimal; a program logs to the
 * journal natively only while its stderr is still that stream. Anything
 * else (unset, empty, malformed, another file) means plain stderr.
 * Debug records are written only with -v. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

#define DEV ((dev_t)2049)
#define INO ((ino_t)123456789)

static void target_unset_is_stderr(void **state)
{
	assert_int_equal(un_log_target_choose(NULL, DEV, INO),
			 UN_LOG_TARGET_STDERR);
}

static void target_matching_is_journald(void **state)
{
	assert_int_equal(un_log_target_choose("2049:123456789", DEV, INO),
			 UN_LOG_TARGET_JOURNALD);
	/* 64-bit device numbers as systemd prints them */
	assert_int_equal(un_log_target_choose("18446744073709551615:1",
					      (dev_t)UINT64_MAX, (ino_t)1),
			 UN_LOG_TARGET_JOURNALD);
}

static void target_bad_values_are_stderr(void **state)
{
	static const char *const bad[] = {
		"",                     /* empty */
		"2049:123456788",       /* another inode */
		"2048:123456789",       /* another device */
		"123456789:2049",       /* swapped */
		"2049",                 /* no inode */
		"2049:",                /* empty inode */
		":123456789",           /* empty device */
		"2049:123456789:1",     /* a third part */
		"2049:123456789 ",      /* trailing space */
		" 2049:123456789",      /* leading space */
		"+2049:123456789",      /* a sign */
		"2049:-123456789",      /* a negative inode */
		"0x801:123456789",      /* hex */
		"2049;123456789",       /* wrong separator */
		"garbage",
		"99999999999999999999999:123456789", /* overflows */
	};

	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		if (un_log_target_choose(bad[i], DEV, INO) !=
		    UN_LOG_TARGET_STDERR)
			fail_msg("JOURNAL_STREAM '%s' chose the journal", bad[i]);
	}
}

static void levels_debug_only_when_verbose(void **state)
{
	assert_false(un_log_level_wanted(G_LOG_LEVEL_DEBUG, FALSE));
	assert_true(un_log_level_wanted(G_LOG_LEVEL_DEBUG, TRUE));
	assert_true(un_log_level_wanted(G_LOG_LEVEL_INFO, FALSE));
	assert_true(un_log_level_wanted(G_LOG_LEVEL_MESSAGE, FALSE));
	assert_true(un_log_level_wanted(G_LOG_LEVEL_WARNING, FALSE));
	assert_true(un_log_level_wanted(G_LOG_LEVEL_CRITICAL, FALSE));
}

/* What un_log_write_line() writes for one record at @level. */
static char *line_for(gboolean verbose, GLogLevelFlags level, const char *msg)
{
	const GLogField fields[] = {
		{ "GLIB_DOMAIN", "usernet-test", -1 },
		{ "PRIORITY", "7", -1 },
		{ "MESSAGE", msg, -1 },
	};
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	assert_non_null(out);
	un_log_write_line(out, verbose, level, fields, G_N_ELEMENTS(fields));
	fclose(out);
	return buf;
}

static void lines_filter_debug_unless_verbose(void **state)
{
	char *s;

	s = line_for(FALSE, G_LOG_LEVEL_DEBUG, "frame from 52:54:00:12:34:56");
	assert_string_equal(s, "");
	free(s);
	s = line_for(TRUE, G_LOG_LEVEL_DEBUG, "frame from 52:54:00:12:34:56");
	assert_string_equal(s, "usernetd: [usernet-test] debug: frame from 52:54:00:12:34:56\n");
	free(s);
	s = line_for(FALSE, G_LOG_LEVEL_WARNING, "peer broke framing");
	assert_string_equal(s, "usernetd: [usernet-test] warning: peer broke framing\n");
	free(s);
	s = line_for(FALSE, G_LOG_LEVEL_INFO, "lease 10.0.2.15");
	assert_string_equal(s, "usernetd: [usernet-test] info: lease 10.0.2.15\n");
	free(s);
}

/* A guest flood: 10 pass at once, then one per second; the next record
 * that passes tells how many were dropped before it. */
static void test_guest_bucket(void **state)
{
	struct un_log_bucket b = { .last_us = 0, .tokens = UN_LOG_GUEST_BURST };
	guint64 told = 99;
	unsigned passed = 0;

	for (int i = 0; i < 1000; i++)
		if (un_log_bucket_admit(&b, 500000, &told))
			passed++;
	assert_int_equal(passed, 10);
	assert_int_equal(b.suppressed, 990);
	/* half a second later: still no token */
	assert_false(un_log_bucket_admit(&b, 900000, &told));
	/* one second after the last refill: one passes and tells 991 */
	assert_true(un_log_bucket_admit(&b, 1500000, &told));
	assert_int_equal(told, 991);
	assert_false(un_log_bucket_admit(&b, 1500001, &told));
	/* a long quiet spell refills to the burst, no more */
	passed = 0;
	for (int i = 0; i < 100; i++)
		if (un_log_bucket_admit(&b, 100000000, &told))
			passed++;
	assert_int_equal(passed, 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_guest_bucket),
		cmocka_unit_test(target_unset_is_stderr),
		cmocka_unit_test(target_matching_is_journald),
		cmocka_unit_test(target_bad_values_are_stderr),
		cmocka_unit_test(levels_debug_only_when_verbose),
		cmocka_unit_test(lines_filter_debug_unless_verbose),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
