/* SPDX-License-Identifier: GPL-2.0-or-later */
/* notify.c - readiness and shutdown to a service manager (--notify).
 * Owns: the sd_notify(3) messages usernetd sends: READY=1 with a STATUS
 * line once it serves, STOPPING=1 when it begins to stop.
 * Not here: deciding when; main.c calls these only with --notify.
 *
 * How it works: libsystemd's sd_notify() sends one datagram to the unix
 * socket named by $NOTIFY_SOCKET (an abstract one when it starts with '@').
 * The variable stays set, so a later STOPPING=1 reaches the same socket.
 * A failed send is a warning; the daemon keeps serving. */
#define G_LOG_DOMAIN "usernet-notify"

#include "notify.h"

#include <stdio.h>
#include <systemd/sd-daemon.h>

static void notify_send(const char *state)
{
	int r = sd_notify(0, state);
	g_autofree char *shown = g_strdelimit(g_strdup(state), "\n", ' ');

	if (r < 0)
		g_warning("--notify: cannot send '%s' to NOTIFY_SOCKET '%s': %s",
			  shown, g_getenv("NOTIFY_SOCKET"), g_strerror(-r));
	else if (r > 0)
		g_debug("--notify: sent '%s'", shown);
}

void un_notify_ready(guint n_networks, const char *dir)
{
	g_autofree char *state = NULL;

	fflush(stdout);
	if (!g_getenv("NOTIFY_SOCKET")) {
		g_warning("--notify: NOTIFY_SOCKET is not set, so no service "
			  "manager hears that usernetd is ready; run it from "
			  "a Type=notify unit, or drop --notify");
		return;
	}
	state = g_strdup_printf("READY=1\nSTATUS=serving %u network%s in %s",
				n_networks, n_networks == 1 ? "" : "s", dir);
	notify_send(state);
}

void un_notify_stopping(void)
{
	if (g_getenv("NOTIFY_SOCKET"))
		notify_send("STOPPING=1\nSTATUS=stopping");
}
