/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ratelimit.c - at most one message per interval, the rest counted. */
#include "ratelimit.h"

gboolean un_ratelimit_pass(struct un_ratelimit *rl, gint64 interval_us,
			   gint64 now_us, guint64 *held)
{
	if (rl->fired && now_us - rl->last_us < interval_us) {
		rl->held++;
		return FALSE;
	}
	if (held)
		*held = rl->held;
	rl->held = 0;
	rl->last_us = now_us;
	rl->fired = TRUE;
	return TRUE;
}
