/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fuzz_stream_deframer.c - the QEMU stream de-framer (backend/frame.c)
 * against a model of the framing.
 * Input: byte 0 picks how reads are cut (chunk sizes from a small
 * generator seeded by it), the rest is what the peer sent. The de-framer
 * is fed through un_deframer_room/fill as a transport feeds it; every
 * frame it hands out must be the next one the model finds (same length,
 * same bytes), and it must report a framing error exactly where the model
 * meets a length of 0 or above UN_FRAME_MAX_BYTES. */
#include "frame.h"
#include "fuzz_util.h"

/* The next read size: 1 byte up to a little over a frame, often small. */
static size_t chunk_next(guint32 *state)
{
	*state = *state * 1103515245u + 12345u;
	switch ((*state >> 16) & 3) {
	case 0:
		return 1 + ((*state >> 8) & 7);
	case 1:
		return 1 + ((*state >> 4) & 2047);
	default:
		return 1 + (*state >> 8) % (UN_STREAM_HEADER_BYTES + UN_FRAME_MAX_BYTES + 16);
	}
}

/* The model: the frame at *@at of @s, or -1 for a framing error, 0 when
 * the stream ends inside it. */
static int model_next(const uint8_t *s, size_t n, size_t *at,
		      struct un_frame *f)
{
	uint32_t len;

	if (n - *at < UN_STREAM_HEADER_BYTES)
		return 0;
	len = (uint32_t)s[*at] << 24 | (uint32_t)s[*at + 1] << 16 |
	      (uint32_t)s[*at + 2] << 8 | s[*at + 3];
	if (len == 0 || len > UN_FRAME_MAX_BYTES)
		return -1;
	if (n - *at - UN_STREAM_HEADER_BYTES < len)
		return 0;
	f->data = s + *at + UN_STREAM_HEADER_BYTES;
	f->len = len;
	*at += UN_STREAM_HEADER_BYTES + len;
	return 1;
}

/* Take every whole frame out of the @n bytes read so far, each checked
 * against the model; FALSE after a framing error. */
static gboolean drain(struct un_deframer *d, const uint8_t *s, size_t n,
		      size_t *model_at)
{
	struct un_frame got, want;
	g_autoptr(GError) err = NULL;

	for (;;) {
		enum un_deframe r = un_deframer_next(d, &got, &err);
		int m = model_next(s, n, model_at, &want);

		if (r == UN_DEFRAME_MORE) {
			FUZZ_CHECK(m == 0);
			return TRUE;
		}
		if (r == UN_DEFRAME_ERROR) {
			FUZZ_CHECK(m == -1 && err != NULL);
			FUZZ_CHECK(un_deframer_next(d, &got, NULL) == UN_DEFRAME_ERROR);
			return FALSE;
		}
		FUZZ_CHECK(m == 1 && got.len == want.len);
		FUZZ_CHECK(memcmp(got.data, want.data, got.len) == 0);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct un_deframer d;
	guint32 state;
	size_t fed = 0, model_at = 0;
	const uint8_t *s;
	size_t n;

	if (size < 1)
		return 0;
	state = data[0];
	s = data + 1;
	n = size - 1;
	un_deframer_init(&d);
	while (fed < n) {
		size_t room, take = chunk_next(&state);
		uint8_t *at = un_deframer_room(&d, &room);

		FUZZ_CHECK(room >= UN_STREAM_HEADER_BYTES + UN_FRAME_MAX_BYTES);
		take = MIN(take, MIN(room, n - fed));
		memcpy(at, s + fed, take);
		un_deframer_fill(&d, take);
		fed += take;
		/* Judge what was read so far: the model only sees it too. */
		if (!drain(&d, s, fed, &model_at))
			break;
		FUZZ_CHECK(un_deframer_pending(&d) == fed - model_at);
	}
	un_deframer_clear(&d);
	return 0;
}
