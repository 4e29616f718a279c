/*
 * buf.h - bounded reader and writer for bytes that cross a trust boundary.
 *
 * A struct buf points at caller-owned memory: cap bytes at d, of which len
 * are written; off is the read position.  Every get checks the bytes left
 * and returns E2_ERR_SHORT without moving when there are too few; every put
 * checks the room and returns E2_ERR_SPACE.  A decoder ends with
 * buf_expect_end(), which refuses trailing bytes.  Nothing here allocates.
 */
#ifndef E2_BUF_H
#define E2_BUF_H

#include <stddef.h>
#include <stdint.h>

struct buf {
	uint8_t	*d;
	size_t	 cap;
	size_t	 len;
	size_t	 off;
};

/* Writer over out[0..cap). */
void	buf_init_write(struct buf *b, uint8_t *out, size_t cap);
/* Reader over in[0..len). The reader never writes through d. */
void	buf_init_read(struct buf *b, const uint8_t *in, size_t len);

size_t	buf_left(const struct buf *b);

int	buf_get_u8(struct buf *b, uint8_t *vp);
int	buf_get_u16(struct buf *b, uint16_t *vp);	/* big endian */
int	buf_get_u32(struct buf *b, uint32_t *vp);
int	buf_get_u64(struct buf *b, uint64_t *vp);
int	buf_get_bytes(struct buf *b, void *out, size_t n);
/* Points *pp at the next n bytes inside the buffer and skips them. */
int	buf_get_ptr(struct buf *b, const uint8_t **pp, size_t n);
int	buf_expect_end(const struct buf *b);

int	buf_put_u8(struct buf *b, uint8_t v);
int	buf_put_u16(struct buf *b, uint16_t v);
int	buf_put_u32(struct buf *b, uint32_t v);
int	buf_put_u64(struct buf *b, uint64_t v);
int	buf_put_bytes(struct buf *b, const void *in, size_t n);

#endif
