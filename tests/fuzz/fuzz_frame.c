/*
 * fuzz_frame.c - the TCP framing push parser (frame.h).
 *
 * Input: u16 limit, u8 n, n chunk sizes, then the stream.  The stream is
 * fed in chunks of those sizes (cycled; 0 feeds an empty chunk and then
 * one byte), and every frame and error the parser gives must be exactly
 * what a whole-buffer reference parse of the same stream gives.
 */
#include <string.h>

#include "err.h"
#include "frame.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct frame_rx rx;

/*
 * Reference: the next event of the stream at *posp.  Returns 1 with a
 * frame (*offp, *lenp), 0 when the stream ends inside a frame or header,
 * or the error the parser must give.
 */
static int
ref_next(const uint8_t *s, size_t n, size_t limit, size_t *posp,
    size_t *offp, size_t *lenp)
{
	size_t pos = *posp, len;

	if (n - pos < FRAME_HDRLEN)
		return 0;
	len = (size_t)s[pos] << 8 | s[pos + 1];
	if (len == 0)
		return E2_ERR_MALFORMED;
	if (len > limit)
		return E2_ERR_TOOBIG;
	if (n - pos - FRAME_HDRLEN < len)
		return 0;
	*offp = pos + FRAME_HDRLEN;
	*lenp = len;
	*posp = pos + FRAME_HDRLEN + len;
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fin f;
	const uint8_t *chunks, *s, *frame;
	size_t nchunks, n, limit, pos = 0, rpos = 0, roff, rlen, ci = 0;
	size_t clen, used, framelen;
	int r, want, done = 0;
	uint8_t hdr[FRAME_HDRLEN];

	fin_init(&f, data, size);
	limit = fin_u16(&f);
	chunks = fin_take(&f, fin_u8(&f) % 16, &nchunks);
	s = fin_rest(&f, &n);

	frame_rx_init(&rx, limit);
	FUZZ_CHECK(rx.limit >= 1 && rx.limit <= FRAME_MAXLEN);
	limit = rx.limit;

	while (!done) {
		clen = nchunks > 0 ? chunks[ci++ % nchunks] : 64;
		if (clen == 0) {
			/* an empty read changes nothing */
			r = frame_rx_feed(&rx, s + pos, 0, &used, &frame,
			    &framelen);
			FUZZ_CHECK(r == 0 && used == 0);
			clen = 1;
		}
		if (clen > n - pos)
			clen = n - pos;
		if (clen == 0)
			break;
		/* Consume the chunk, taking frames out as they complete. */
		while (clen > 0) {
			r = frame_rx_feed(&rx, s + pos, clen, &used, &frame,
			    &framelen);
			FUZZ_CHECK(used <= clen);
			want = ref_next(s, n, limit, &rpos, &roff, &rlen);
			if (r == 1) {
				FUZZ_CHECK(want == 1);
				FUZZ_CHECK(framelen == rlen);
				FUZZ_CHECK(memcmp(frame, s + roff, rlen) == 0);
				/* the frame ends exactly where it should */
				FUZZ_CHECK(pos + used == rpos);
			} else if (r == 0) {
				FUZZ_CHECK(used == clen);
				/* undo the reference step if it took a frame */
				if (want == 1) {
					FUZZ_CHECK(rpos > pos + used);
					rpos = roff - FRAME_HDRLEN;
				} else if (want < 0) {
					/* the header is not complete yet */
					FUZZ_CHECK(pos + used < rpos +
					    FRAME_HDRLEN);
				}
			} else {
				FUZZ_CHECK(r == want);
				/* a dead stream stays dead */
				r = frame_rx_feed(&rx, s + pos, clen, &used,
				    &frame, &framelen);
				FUZZ_CHECK(r < 0 && r != E2_ERR_INVAL);
				done = 1;
				break;
			}
			pos += used;
			clen -= used;
		}
	}

	/* frame_hdr writes what the reader reads. */
	if (n >= 2) {
		rlen = (size_t)s[0] << 8 | s[1];
		r = frame_hdr(hdr, rlen);
		if (rlen >= 1) {
			FUZZ_CHECK(r == 0);
			FUZZ_CHECK(hdr[0] == s[0] && hdr[1] == s[1]);
		} else
			FUZZ_CHECK(r < 0);
	}
	return 0;
}
