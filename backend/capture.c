/* SPDX-License-Identifier: GPL-2.0-or-later */
/* capture.c - pcap files of a network's or a NIC's frames.
 * Owns: the file format, flushing, the capture lists of networks and ports.
 * Not here: where frames are seen (port.c, lan.c call un_captures_record).
 *
 * How it works: the classic libpcap format in host byte order (readers
 * detect it from the magic), LINKTYPE_ETHERNET, microsecond stamps, whole
 * frames (the snaplen is above the largest frame). Each record is flushed
 * as it is written, so tshark and Wireshark read the file while traffic
 * flows; this costs nothing while no capture runs (the lists are NULL).
 * A network capture records a frame once: when it enters through a NIC,
 * when an engine puts it on the network, or when something else (the
 * router of nat, the DHCP server) sends it to a NIC; a NIC's frame
 * forwarded to other NICs is not recorded again (port.c). A write error
 * stops that one capture with a warning; the file stays as far as it got. */
#define G_LOG_DOMAIN "usernet-capture"

#include "capture.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "sandbox.h"
#include "usernet/error.h"

struct un_capture {
	char *path;
	FILE *fp; /* NULL once a write failed */
};

struct pcap_file_header {
	guint32 magic;
	guint16 version_major, version_minor;
	gint32 thiszone;
	guint32 sigfigs, snaplen, linktype;
};
G_STATIC_ASSERT(sizeof(struct pcap_file_header) == UN_PCAP_HEADER_BYTES);

struct pcap_record_header {
	guint32 ts_sec, ts_usec, incl_len, orig_len;
};
G_STATIC_ASSERT(sizeof(struct pcap_record_header) == UN_PCAP_RECORD_HEADER_BYTES);

struct un_capture *un_capture_open(const char *path, GError **error)
{
	const struct pcap_file_header h = {
		.magic = UN_PCAP_MAGIC,
		.version_major = UN_PCAP_VERSION_MAJOR,
		.version_minor = UN_PCAP_VERSION_MINOR,
		.snaplen = UN_PCAP_SNAPLEN_BYTES,
		.linktype = UN_PCAP_LINKTYPE_ETHERNET,
	};
	FILE *fp = fopen(path, "wbe");
	struct un_capture *c;

	if (!fp || fwrite(&h, sizeof(h), 1, fp) != 1 || fflush(fp) != 0) {
		int e = errno;

		if (fp)
			fclose(fp);
		g_set_error(error, UN_ERROR, UN_ERROR_IO,
			    "capture file %s: %s%s", path, g_strerror(e),
			    un_sandbox_write_hint(e));
		return NULL;
	}
	c = g_new0(struct un_capture, 1);
	c->path = g_strdup(path);
	c->fp = fp;
	return c;
}

static void capture_fail(struct un_capture *c, int e)
{
	g_warning("capture file %s: %s; capture stopped", c->path, g_strerror(e));
	fclose(c->fp);
	c->fp = NULL;
}

void un_capture_write(struct un_capture *c, const struct un_frame *f,
		      gint64 when_us)
{
	const struct pcap_record_header r = {
		.ts_sec = (guint32)(when_us / G_USEC_PER_SEC),
		.ts_usec = (guint32)(when_us % G_USEC_PER_SEC),
		.incl_len = (guint32)MIN(f->len, UN_PCAP_SNAPLEN_BYTES),
		.orig_len = (guint32)f->len,
	};

	if (!c->fp)
		return;
	errno = 0;
	if (fwrite(&r, sizeof(r), 1, c->fp) != 1 ||
	    fwrite(f->data, 1, r.incl_len, c->fp) != r.incl_len ||
	    fflush(c->fp) != 0)
		capture_fail(c, errno ? errno : EIO);
}

gboolean un_capture_ok(const struct un_capture *c)
{
	return c->fp != NULL;
}

const char *un_capture_path(const struct un_capture *c)
{
	return c->path;
}

void un_capture_free(struct un_capture *c)
{
	if (!c)
		return;
	if (c->fp)
		fclose(c->fp);
	g_free(c->path);
	g_free(c);
}

void un_captures_record(GPtrArray *caps, const struct un_frame *f)
{
	gint64 now = g_get_real_time();

	for (guint i = 0; i < caps->len; i++)
		un_capture_write(g_ptr_array_index(caps, i), f, now);
}

static GPtrArray **capture_list(struct un_network *n, struct un_port *p)
{
	return p ? &p->captures : &n->captures;
}

gboolean un_capture_start(struct un_network *n, struct un_port *p,
			  const char *path, GError **error)
{
	GPtrArray **caps = capture_list(n, p);
	struct un_capture *c;

	if (*caps && (*caps)->len) {
		struct un_capture *old = g_ptr_array_index(*caps, 0);

		g_set_error(error, UN_ERROR, UN_ERROR_BUSY,
			    "%s is already captured to %s; stop that capture first",
			    p ? p->name : n->name, old->path);
		return FALSE;
	}
	c = un_capture_open(path, error);
	if (!c)
		return FALSE;
	if (!*caps)
		*caps = g_ptr_array_new_with_free_func((GDestroyNotify)un_capture_free);
	g_ptr_array_add(*caps, c);
	g_info("capture of %s to %s started", p ? p->name : n->name, path);
	return TRUE;
}

char *un_capture_stop(struct un_network *n, struct un_port *p, GError **error)
{
	GPtrArray **caps = capture_list(n, p);
	char *path;

	if (!*caps || (*caps)->len == 0) {
		g_set_error(error, UN_ERROR, UN_ERROR_NOT_FOUND,
			    "no capture of %s is running", p ? p->name : n->name);
		return NULL;
	}
	path = g_strdup(((struct un_capture *)g_ptr_array_index(*caps, 0))->path);
	un_captures_close(caps);
	g_info("capture of %s to %s stopped", p ? p->name : n->name, path);
	return path;
}

void un_captures_close(GPtrArray **caps)
{
	g_clear_pointer(caps, g_ptr_array_unref);
}

const void *un_capture_engine_begin(struct un_network *n,
				    const struct un_frame *f)
{
	const void *saved = n->capture_input;

	if (n->captures) {
		un_captures_record(n->captures, f);
		n->capture_input = f->data;
	}
	return saved;
}

void un_capture_engine_done(struct un_network *n, const void *saved)
{
	n->capture_input = saved;
}
