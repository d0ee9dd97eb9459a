/* SPDX-License-Identifier: GPL-2.0-or-later */
/* notify.h - telling a service manager (systemd, Type=notify) how
 * usernetd is doing: usernetd --notify. */
#ifndef USERNET_NOTIFY_H
#define USERNET_NOTIFY_H

#include <glib.h>

/* Say READY=1 and STATUS="serving N network(s) in DIR" to $NOTIFY_SOCKET.
 * Call once every endpoint (and the control socket) exists. Flushes
 * stdout first, so the ready lines come before the notification. With
 * $NOTIFY_SOCKET unset, logs a warning and sends nothing. */
void un_notify_ready(guint n_networks, const char *dir);

/* Say STOPPING=1 (shutdown has begun) to $NOTIFY_SOCKET, if set. */
void un_notify_stopping(void);

#endif
