/* SPDX-License-Identifier: GPL-2.0-or-later */
/* rundir.c - DIR: where endpoints are made, and who may use it.
 * Owns: creation with mode 0700, the ownership and mode checks, and the
 * usernetd.lock file (flock) with the holder's PID in it.
 * Not here: endpoint paths (transports). */
#define G_LOG_DOMAIN "usernet-rundir"

#include "rundir.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "usernet/error.h"

#define LOCK_NAME "usernetd.lock"

char *un_rundir_default(void)
{
	const char *xdg = g_getenv("XDG_RUNTIME_DIR");

	if (xdg && *xdg)
		return g_build_filename(xdg, "usernet", NULL);
	return g_strdup_printf("/tmp/usernet-%u", (unsigned)getuid());
}

static gboolean rundir_check(const char *path, GError **error)
{
	struct stat st;

	if (lstat(path, &st) < 0) {
		g_set_error(error, UN_ERROR, UN_ERROR_IO, "directory %s: %s",
			    path, g_strerror(errno));
		return FALSE;
	}
	if (!S_ISDIR(st.st_mode)) {
		g_set_error(error, UN_ERROR, UN_ERROR_CONFIG,
			    "%s is not a directory; choose another with --dir",
			    path);
		return FALSE;
	}
	if (st.st_uid != geteuid()) {
		g_set_error(error, UN_ERROR, UN_ERROR_CONFIG,
			    "directory %s belongs to uid %u, not to you (uid %u); choose another with --dir",
			    path, (unsigned)st.st_uid, (unsigned)geteuid());
		return FALSE;
	}
	if (st.st_mode & 077) {
		g_set_error(error, UN_ERROR, UN_ERROR_CONFIG,
			    "directory %s has mode %04o: others could reach its sockets; run 'chmod 0700 %s' or choose another with --dir",
			    path, (unsigned)(st.st_mode & 07777), path);
		return FALSE;
	}
	return TRUE;
}

static gboolean rundir_lock(struct un_rundir *rd, GError **error)
{
	g_autofree char *lock = g_build_filename(rd->path, LOCK_NAME, NULL);
	char pid[32] = "";
	int fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);

	if (fd < 0) {
		g_set_error(error, UN_ERROR, UN_ERROR_IO, "lock file %s: %s",
			    lock, g_strerror(errno));
		return FALSE;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		ssize_t n = read(fd, pid, sizeof(pid) - 1);

		pid[n > 0 ? n : 0] = '\0';
		g_strchomp(pid);
		g_set_error(error, UN_ERROR, UN_ERROR_BUSY,
			    "another usernetd (pid %s) is serving %s; stop it, or give this one its own --dir",
			    *pid ? pid : "unknown", rd->path);
		close(fd);
		return FALSE;
	}
	g_snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) < 0 || write(fd, pid, strlen(pid)) < 0)
		g_warning("lock file %s: cannot write our pid: %s", lock,
			  g_strerror(errno));
	rd->lock_fd = fd;
	return TRUE;
}

gboolean un_rundir_open(struct un_rundir *rd, const char *path, GError **error)
{
	rd->path = g_strdup(path);
	rd->lock_fd = -1;
	rd->created = FALSE;
	if (mkdir(path, 0700) == 0) {
		rd->created = TRUE;
	} else if (errno != EEXIST) {
		g_set_error(error, UN_ERROR, UN_ERROR_IO,
			    "cannot create directory %s: %s; choose another with --dir",
			    path, g_strerror(errno));
		return FALSE;
	}
	return rundir_check(path, error) && rundir_lock(rd, error);
}

void un_rundir_close(struct un_rundir *rd)
{
	if (rd->lock_fd >= 0) {
		g_autofree char *lock = g_build_filename(rd->path, LOCK_NAME, NULL);

		g_unlink(lock);
		close(rd->lock_fd);
		rd->lock_fd = -1;
	}
	if (rd->created && g_rmdir(rd->path) < 0 && errno != ENOENT)
		g_debug("directory %s left in place: %s", rd->path,
			g_strerror(errno));
	g_clear_pointer(&rd->path, g_free);
}
