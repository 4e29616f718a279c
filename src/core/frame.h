/*
 * frame.h - the TCP signaling stream: every message is a 2-byte big-endian
 * length followed by that many bytes (1..65535; a zero length is refused).
 *
 * The reader is a push parser: feed it whatever bytes arrived, take whole
 * frames out.  It holds at most one frame (a fixed buffer inside struct
 * frame_rx) and refuses a length above the limit the caller set, so a
 * peer cannot make it allocate or wait for more than that.
 */
#ifndef E2_FRAME_H
#define E2_FRAME_H

#include <stddef.h>
#include <stdint.h>

#define FRAME_HDRLEN	2
#define FRAME_MAXLEN	65535

struct frame_rx {
	size_t	 limit;			/* largest frame accepted */
	size_t	 need;			/* length of the frame being read */
	size_t	 have;			/* bytes of it (header included) */
	uint8_t	 hdr[FRAME_HDRLEN];
	uint8_t	 data[FRAME_MAXLEN];
};

void	frame_rx_init(struct frame_rx *rx, size_t limit);
/*
 * Consumes bytes from in[0..len) up to the end of the next frame and
 * stores how many in *usedp.  Returns 1 when a whole frame is ready (then
 * *framep / *framelenp point into rx and stay valid until the next call),
 * 0 when all input was consumed without completing one, or
 * E2_ERR_TOOBIG / E2_ERR_MALFORMED (zero length) for a bad header; after
 * an error the stream is unusable.  Call again with the rest of the input.
 */
int	frame_rx_feed(struct frame_rx *rx, const uint8_t *in, size_t len,
	    size_t *usedp, const uint8_t **framep, size_t *framelenp);
/* Writes the 2-byte length header for a payload of len bytes. */
int	frame_hdr(uint8_t hdr[FRAME_HDRLEN], size_t len);

#endif
