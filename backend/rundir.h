/* SPDX-License-Identifier: GPL-2.0-or-later */
/* rundir.h - the directory endpoints live in, and its lock.
 * Owns: choosing DIR, creating it 0700, refusing unsafe ones, and the lock
 * that keeps a second daemon off it. Not here: the endpoints themselves. */
#ifndef USERNET_RUNDIR_H
#define USERNET_RUNDIR_H

#include <glib.h>

struct un_rundir {
	char *path;        /* owned */
	int lock_fd;       /* flock()ed DIR/usernetd.lock, -1 when not held */
	gboolean created;  /* we made DIR, so we remove it when empty */
};

/* $XDG_RUNTIME_DIR/usernet, else /tmp/usernet-UID; newly allocated. */
char *un_rundir_default(void);

/* Create @path (mode 0700) or check an existing one: owned by us and not
 * open to group or others. Then take its lock; a second daemon gets an
 * error naming the holder's PID. */
gboolean un_rundir_open(struct un_rundir *rd, const char *path, GError **error);

/* Release the lock, remove the lock file, and DIR if we made it and it is
 * empty. */
void un_rundir_close(struct un_rundir *rd);

#endif
