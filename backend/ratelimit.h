/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ratelimit.h - "say it at most once per interval" for log lines a peer
 * can trigger over and over (full tables, guest errors, refusals).
 * Owns: the timing and the count of what was held back. Not here: the
 * messages; each caller words its own. */
#ifndef USERNET_RATELIMIT_H
#define USERNET_RATELIMIT_H

#include <glib.h>

/* Zero-initialised: the first message passes. */
struct un_ratelimit {
	gint64 last_us;  /* when a message last passed */
	gboolean fired;  /* one has passed at all */
	guint64 held;    /* messages held back since */
};

/* May a message go out at @now_us, at most one per @interval_us? FALSE:
 * it is counted as held back. TRUE: *held (may be NULL) gets how many
 * were held back since the last one, and the count restarts. */
gboolean un_ratelimit_pass(struct un_ratelimit *rl, gint64 interval_us,
			   gint64 now_us, guint64 *held);

#endif
