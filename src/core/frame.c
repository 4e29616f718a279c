/*
 * frame.c - length-prefixed framing of the TCP signaling stream; see
 * frame.h and docs/PROTOCOL.md section 3.
 *
 * State of a reader: rx->have counts the bytes of the current frame read
 * so far, header included; once the header is complete rx->need holds the
 * payload length.  A frame is complete when have == FRAME_HDRLEN + need;
 * the next call starts a new one.  rx->limit == 0 marks a reader that
 * failed (frame_rx_init never sets 0): every later call is refused.
 */
#include <string.h>

#include "err.h"
#include "frame.h"

static size_t
min_size(size_t a, size_t b)
{
	return a < b ? a : b;
}

/*
 * A limit of 0 or above FRAME_MAXLEN means "the largest frame the wire
 * can carry".
 */
void
frame_rx_init(struct frame_rx *rx, size_t limit)
{
	if (limit == 0 || limit > FRAME_MAXLEN)
		limit = FRAME_MAXLEN;
	rx->limit = limit;
	rx->need = 0;
	rx->have = 0;
	memset(rx->hdr, 0, sizeof(rx->hdr));
}

static int
frame_complete(const struct frame_rx *rx)
{
	return rx->have >= FRAME_HDRLEN && rx->have == FRAME_HDRLEN + rx->need;
}

/*
 * Returns 1 with a frame, 0 when the input ran out first, or a negative
 * error: E2_ERR_MALFORMED for a zero length, E2_ERR_TOOBIG for a length
 * above rx->limit, E2_ERR_FAILED on any call after one of those, and
 * E2_ERR_INVAL for a NULL argument.  *usedp is always set when usedp is
 * not NULL; after E2_ERR_FAILED it is 0.
 */
int
frame_rx_feed(struct frame_rx *rx, const uint8_t *in, size_t len,
    size_t *usedp, const uint8_t **framep, size_t *framelenp)
{
	size_t used = 0, n;
	int r;

	if (usedp != NULL)
		*usedp = 0;
	if (rx == NULL || usedp == NULL || framep == NULL ||
	    framelenp == NULL || (in == NULL && len > 0))
		return E2_ERR_INVAL;
	if (rx->limit == 0)
		return E2_ERR_FAILED;

	if (frame_complete(rx)) {
		rx->have = 0;
		rx->need = 0;
	}

	/* The header, possibly one byte at a time. */
	if (rx->have < FRAME_HDRLEN) {
		n = min_size(FRAME_HDRLEN - rx->have, len);
		if (n > 0)
			memcpy(rx->hdr + rx->have, in, n);
		rx->have += n;
		used += n;
		if (rx->have < FRAME_HDRLEN) {
			*usedp = used;
			return 0;
		}
		rx->need = ((size_t)rx->hdr[0] << 8) | rx->hdr[1];
		if (rx->need == 0) {
			r = E2_ERR_MALFORMED;
			goto fail;
		}
		if (rx->need > rx->limit) {
			r = E2_ERR_TOOBIG;
			goto fail;
		}
	}

	/* The payload. */
	n = min_size(FRAME_HDRLEN + rx->need - rx->have, len - used);
	if (n > 0)
		memcpy(rx->data + (rx->have - FRAME_HDRLEN), in + used, n);
	rx->have += n;
	used += n;
	*usedp = used;
	if (!frame_complete(rx))
		return 0;
	*framep = rx->data;
	*framelenp = rx->need;
	return 1;

fail:
	rx->limit = 0;
	rx->need = 0;
	rx->have = 0;
	*usedp = used;
	return r;
}

/* E2_ERR_INVAL for an empty payload, E2_ERR_TOOBIG above FRAME_MAXLEN. */
int
frame_hdr(uint8_t hdr[FRAME_HDRLEN], size_t len)
{
	if (len == 0)
		return E2_ERR_INVAL;
	if (len > FRAME_MAXLEN)
		return E2_ERR_TOOBIG;
	hdr[0] = (uint8_t)(len >> 8);
	hdr[1] = (uint8_t)len;
	return 0;
}
