/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sandbox.h - what usernetd may still do once it serves: no_new_privs, a
 * seccomp allow-list of system calls, Landlock rules on files. */
#ifndef USERNET_SANDBOX_H
#define USERNET_SANDBOX_H

#include <glib.h>

#include "config.h"

/* What a path may be used for once sandboxed; bits, combined freely. */
enum un_sandbox_access {
	UN_SANDBOX_READ = 1 << 0,    /* read files, list directories */
	UN_SANDBOX_EXEC = 1 << 1,    /* execute files (guestfwd cmd:, ASan's symbolizer) */
	UN_SANDBOX_WRITE = 1 << 2,   /* create, write and truncate regular files */
	UN_SANDBOX_SOCKETS = 1 << 3, /* bind unix sockets, remove files */
	UN_SANDBOX_DEVICE = 1 << 4,  /* ioctl on a device (/dev/net/tun) */
	UN_SANDBOX_RMDIR = 1 << 5,   /* remove empty directories (DIR's parent) */
	UN_SANDBOX_ALL = 1 << 6,     /* anything below it: DIR */
};

struct un_sandbox_rule {
	char *path;
	unsigned access; /* enum un_sandbox_access bits */
};

/* Where files may be touched: rules (struct un_sandbox_rule) in order
 * added, one per path, access merged. */
struct un_sandbox_paths {
	GArray *rules;
	char *write_hint; /* for refusals: where capture files may go */
};

/* The paths every usernetd needs: @dir (everything), the system's
 * libraries and programs (read, execute), the plugin path (read), the
 * resolver's files in /etc (read), the daemon's own /proc entry (read).
 * Free with un_sandbox_paths_free. */
struct un_sandbox_paths *un_sandbox_paths_new(const char *dir);
void un_sandbox_paths_free(struct un_sandbox_paths *p);
typedef struct un_sandbox_paths un_sandbox_paths; /* for g_autoptr */
G_DEFINE_AUTOPTR_CLEANUP_FUNC(un_sandbox_paths, un_sandbox_paths_free)

/* Allow @access on @path and below (merged with what it had). A relative
 * @path is taken from the current directory. Pure. */
void un_sandbox_paths_add(struct un_sandbox_paths *p, const char *path,
			  unsigned access);

/* A directory capture files may be written to (the working directory,
 * each --capture-dir); remembered for the refusal message too. Pure. */
void un_sandbox_paths_add_capture_dir(struct un_sandbox_paths *p,
				      const char *path);

/* What @def's network reads or makes outside DIR: its TFTP root (read)
 * and the directories of its unix hostfwd sockets (bind, remove). Keys it
 * does not have are skipped; a rule that does not parse is left to the
 * network's own parser, which has refused it already. Pure. */
void un_sandbox_paths_add_netdef(struct un_sandbox_paths *p,
				 const struct un_netdef *def);

/* The Landlock filesystem rights for @access under Landlock ABI @abi
 * (rights the ABI lacks are left out). Pure. */
guint64 un_sandbox_landlock_rights(unsigned access, int abi);

/* Turn the sandbox on for the rest of the process (every thread): no new
 * privileges, Landlock where the kernel has it (else a debug line), then
 * the seccomp filter. FALSE with @error when a step the kernel offers
 * fails; the daemon must not serve then. */
gboolean un_sandbox_enter(const struct un_sandbox_paths *p, GError **error);

/* After a refused open (EACCES) while sandboxed: " (the sandbox ...)"
 * naming where files may be written; "" otherwise. Static string. */
const char *un_sandbox_write_hint(int err);

#endif
