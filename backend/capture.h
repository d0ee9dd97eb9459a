/* SPDX-License-Identifier: GPL-2.0-or-later */
/* capture.h - packet captures of a network or of one NIC, as pcap files.
 * Owns: the classic libpcap file format (LINKTYPE_ETHERNET, microsecond
 * timestamps), which captures a network or port holds, and when a frame
 * is recorded. Not here: the control commands (control_capture.c). */
#ifndef USERNET_CAPTURE_H
#define USERNET_CAPTURE_H

#include <glib.h>

#include "usernet/frame.h"
#include "usernet/network.h"
#include "usernet/port.h"

#define UN_PCAP_MAGIC 0xa1b2c3d4u
#define UN_PCAP_VERSION_MAJOR 2u
#define UN_PCAP_VERSION_MINOR 4u
#define UN_PCAP_SNAPLEN_BYTES 262144u /* above UN_FRAME_MAX_BYTES: never cut */
#define UN_PCAP_LINKTYPE_ETHERNET 1u
#define UN_PCAP_HEADER_BYTES 24u
#define UN_PCAP_RECORD_HEADER_BYTES 16u

struct un_capture;

/* Create (or truncate) @path and write the pcap file header. Returns the
 * capture (un_capture_free) or NULL with UN_ERROR_IO naming @path and the
 * system's reason. */
struct un_capture *un_capture_open(const char *path, GError **error);
/* Append one record stamped @when_us (g_get_real_time), flushed at once so
 * readers see it while traffic flows. On a write error the capture logs
 * one warning, closes its file and records nothing more. */
void un_capture_write(struct un_capture *c, const struct un_frame *f,
		      gint64 when_us);
/* FALSE once a write has failed. */
gboolean un_capture_ok(const struct un_capture *c);
const char *un_capture_path(const struct un_capture *c);
/* Close the file; @c may be NULL. */
void un_capture_free(struct un_capture *c);

/* Record @f in every capture of @caps (a network's or a port's). */
void un_captures_record(GPtrArray *caps, const struct un_frame *f);

/* Start writing @path for @n, or for its NIC @p when @p is not NULL. One
 * capture per network and per NIC: a second is UN_ERROR_BUSY. */
gboolean un_capture_start(struct un_network *n, struct un_port *p,
			  const char *path, GError **error);
/* Stop the capture of @n (or of @p) and close its file. Returns its path
 * (g_free) or NULL with UN_ERROR_NOT_FOUND when none runs. */
char *un_capture_stop(struct un_network *n, struct un_port *p, GError **error);
/* Close every capture in *@caps and free the array (*@caps = NULL). */
void un_captures_close(GPtrArray **caps);

/* A frame an engine puts on @n (the router of a switched network): it is
 * recorded here, once, and the sends that deliver it to NICs are not
 * recorded again. Returns what un_capture_engine_done restores. */
const void *un_capture_engine_begin(struct un_network *n,
				    const struct un_frame *f);
void un_capture_engine_done(struct un_network *n, const void *saved);

#endif
