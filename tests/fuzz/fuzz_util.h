/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fuzz_util.h - what the fuzz harnesses share: the record format that
 * carries many frames in one input, a test port that swallows what it is
 * sent, quiet logs that still abort on a critical, and the network
 * isolation the frame-path harnesses run in.
 * Not here: any check of a parser; each fuzz_<target>.c has its own.
 *
 * Record format (fuzz inputs holding frames): one control byte, a 2-byte
 * big-endian length, then that many bytes (fewer at the end of the input).
 * Each harness says what its control byte means; a seed writer is
 * tests/fuzz/make_seeds.py. */
#ifndef USERNET_FUZZ_UTIL_H
#define USERNET_FUZZ_UTIL_H

#include <errno.h>
#include <glib.h>
#include <net/if.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "usernet/port.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* A bug the harness found: print and abort, so libFuzzer keeps the input. */
#define FUZZ_CHECK(cond)                                                     \
	do {                                                                 \
		if (!(cond)) {                                               \
			fprintf(stderr, "%s:%d: check failed: %s\n",         \
				__FILE__, __LINE__, #cond);                  \
			abort();                                             \
		}                                                            \
	} while (0)

/* ---- records ---- */

#define FUZZ_REC_HEADER_BYTES 3u

struct fuzz_rec {
	uint8_t ctl;
	const uint8_t *data;
	size_t len;
};

/* Take the next record from *@data; FALSE when no header is left. */
static inline gboolean fuzz_rec_next(const uint8_t **data, size_t *size,
				     struct fuzz_rec *r)
{
	size_t want;

	if (*size < FUZZ_REC_HEADER_BYTES)
		return FALSE;
	r->ctl = (*data)[0];
	want = (size_t)(*data)[1] << 8 | (*data)[2];
	*data += FUZZ_REC_HEADER_BYTES;
	*size -= FUZZ_REC_HEADER_BYTES;
	r->len = MIN(want, *size);
	r->data = *data;
	*data += r->len;
	*size -= r->len;
	return TRUE;
}

/* ---- a port for frames the code under test sends ---- */

struct fuzz_port {
	struct un_port port;
	guint64 sent;
	guint8 sum; /* every byte sent is read: ASan sees a bad frame */
};

static inline void fuzz_port_send(struct un_port *p, const struct un_frame *f)
{
	struct fuzz_port *fp = container_of(p, struct fuzz_port, port);

	FUZZ_CHECK(f->len >= UN_FRAME_MIN_BYTES && f->len <= UN_FRAME_MAX_BYTES);
	for (size_t i = 0; i < f->len; i++)
		fp->sum ^= f->data[i];
	fp->sent++;
}

static const struct un_port_ops fuzz_port_ops = {
	.transport = "fuzz",
	.send = fuzz_port_send,
};

static inline void fuzz_port_init(struct fuzz_port *fp)
{
	memset(fp, 0, sizeof(*fp));
	un_port_init(&fp->port, &fuzz_port_ops, "fuzz");
}

/* ---- logs ---- */

/* TRUE when the line comes from libslirp (log domain "Slirp"). */
static inline gboolean fuzz_log_from_slirp(const GLogField *fields, gsize n)
{
	for (gsize i = 0; i < n; i++)
		if (strcmp(fields[i].key, "GLIB_DOMAIN") == 0 && fields[i].length < 0)
			return strcmp(fields[i].value, "Slirp") == 0;
	return FALSE;
}

/* Drop log lines (a fuzzer makes millions), but a critical or an error is
 * a bug: abort so the input is kept. Not libslirp's criticals: it logs
 * guest input it does not support that way ("external icmpv6 not
 * supported yet"), which is noise, not a failed assertion. */
static inline GLogWriterOutput fuzz_log_writer(GLogLevelFlags level,
					       const GLogField *fields,
					       gsize n, gpointer data)
{
	if ((level & G_LOG_LEVEL_ERROR) ||
	    ((level & G_LOG_LEVEL_CRITICAL) && !fuzz_log_from_slirp(fields, n))) {
		g_log_writer_standard_streams(level, fields, n, data);
		abort();
	}
	return G_LOG_WRITER_HANDLED;
}

static inline void fuzz_quiet_logs(void)
{
	if (!g_getenv("FUZZ_VERBOSE"))
		g_log_set_writer_func(fuzz_log_writer, NULL, NULL);
}

/* The plugins: USERNET_PLUGIN_PATH, else the build's (FUZZ_PLUGIN_DIR). */
static inline void fuzz_plugin_path(void)
{
#ifdef FUZZ_PLUGIN_DIR
	g_setenv("USERNET_PLUGIN_PATH", FUZZ_PLUGIN_DIR, FALSE);
#endif
}

/* ---- network isolation ---- */

/* The traffic rule: a fuzzer reaches only loopback. Networks are created
 * with restrict=on (libslirp opens no outbound socket), and as root the
 * process also moves into a network namespace of its own holding only
 * "lo", so nothing it sends can leave the machine even if a frame found a
 * way past restrict. Returns TRUE when isolated. */
static inline gboolean fuzz_isolate_net(void)
{
	struct ifreq ifr = { 0 };
	int fd;

	if (unshare(CLONE_NEWNET) != 0) {
		fprintf(stderr, "fuzz: no network namespace (%s); relying on "
			"restrict=on\n", g_strerror(errno));
		return FALSE;
	}
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	g_strlcpy(ifr.ifr_name, "lo", sizeof(ifr.ifr_name));
	if (fd < 0 || ioctl(fd, SIOCGIFFLAGS, &ifr) != 0)
		abort();
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) != 0)
		abort();
	close(fd);
	return TRUE;
}

/* A scratch directory for endpoints, removed at exit; on tmpfs when there
 * is one (a network's sockets are made and unlinked for every input). */
static char *fuzz_tmp_dir;

static inline void fuzz_tmp_remove(void)
{
	g_autofree char *cmd = NULL;

	if (!fuzz_tmp_dir)
		return;
	cmd = g_strdup_printf("rm -rf '%s'", fuzz_tmp_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "fuzz: could not remove %s\n", fuzz_tmp_dir);
}

static inline const char *fuzz_tmp(void)
{
	if (!fuzz_tmp_dir) {
		fuzz_tmp_dir = g_strdup("/dev/shm/usernet-fuzz-XXXXXX");
		if (!g_mkdtemp(fuzz_tmp_dir)) {
			g_free(fuzz_tmp_dir);
			fuzz_tmp_dir = g_dir_make_tmp("usernet-fuzz-XXXXXX", NULL);
		}
		FUZZ_CHECK(fuzz_tmp_dir != NULL);
		atexit(fuzz_tmp_remove);
	}
	return fuzz_tmp_dir;
}

/* Run what the main loop has ready (libslirp's sockets, timers, deferred
 * closes), a bounded number of times. */
static inline void fuzz_loop_run(void)
{
	for (int i = 0; i < 16 && g_main_context_iteration(NULL, FALSE); i++)
		;
}

#endif
