/* SPDX-License-Identifier: GPL-2.0-or-later */
/* log.h - where usernetd's messages go. */
#ifndef USERNET_LOG_H
#define USERNET_LOG_H

#include <glib.h>

/* Route GLib structured logging: info and above to stderr (debug too when
 * @verbose), each line "usernetd: [domain] LEVEL: message". */
void un_log_setup(gboolean verbose);

#endif
