/* buf.c - bounded reader and writer; see buf.h. */
#include <string.h>

#include "buf.h"
#include "err.h"

void
buf_init_write(struct buf *b, uint8_t *out, size_t cap)
{
	b->d = out;
	b->cap = cap;
	b->len = 0;
	b->off = 0;
}

void
buf_init_read(struct buf *b, const uint8_t *in, size_t len)
{
	b->d = (uint8_t *)in;	/* never written through by the getters */
	b->cap = len;
	b->len = len;
	b->off = 0;
}

size_t
buf_left(const struct buf *b)
{
	return b->len - b->off;
}

int
buf_get_ptr(struct buf *b, const uint8_t **pp, size_t n)
{
	if (buf_left(b) < n)
		return E2_ERR_SHORT;
	*pp = b->d + b->off;
	b->off += n;
	return 0;
}

int
buf_get_bytes(struct buf *b, void *out, size_t n)
{
	const uint8_t *p;
	int r;

	if ((r = buf_get_ptr(b, &p, n)) != 0)
		return r;
	if (n > 0)
		memcpy(out, p, n);
	return 0;
}

static int
get_be(struct buf *b, uint64_t *vp, size_t n)
{
	const uint8_t *p;
	uint64_t v = 0;
	size_t i;
	int r;

	if ((r = buf_get_ptr(b, &p, n)) != 0)
		return r;
	for (i = 0; i < n; i++)
		v = (v << 8) | p[i];
	*vp = v;
	return 0;
}

int
buf_get_u8(struct buf *b, uint8_t *vp)
{
	uint64_t v;
	int r;

	if ((r = get_be(b, &v, 1)) == 0)
		*vp = (uint8_t)v;
	return r;
}

int
buf_get_u16(struct buf *b, uint16_t *vp)
{
	uint64_t v;
	int r;

	if ((r = get_be(b, &v, 2)) == 0)
		*vp = (uint16_t)v;
	return r;
}

int
buf_get_u32(struct buf *b, uint32_t *vp)
{
	uint64_t v;
	int r;

	if ((r = get_be(b, &v, 4)) == 0)
		*vp = (uint32_t)v;
	return r;
}

int
buf_get_u64(struct buf *b, uint64_t *vp)
{
	return get_be(b, vp, 8);
}

int
buf_expect_end(const struct buf *b)
{
	return buf_left(b) == 0 ? 0 : E2_ERR_MALFORMED;
}

int
buf_put_bytes(struct buf *b, const void *in, size_t n)
{
	if (b->cap - b->len < n)
		return E2_ERR_SPACE;
	if (n > 0)
		memcpy(b->d + b->len, in, n);
	b->len += n;
	return 0;
}

static int
put_be(struct buf *b, uint64_t v, size_t n)
{
	uint8_t tmp[8];
	size_t i;

	for (i = 0; i < n; i++)
		tmp[n - 1 - i] = (uint8_t)(v >> (8 * i));
	return buf_put_bytes(b, tmp, n);
}

int
buf_put_u8(struct buf *b, uint8_t v)
{
	return put_be(b, v, 1);
}

int
buf_put_u16(struct buf *b, uint16_t v)
{
	return put_be(b, v, 2);
}

int
buf_put_u32(struct buf *b, uint32_t v)
{
	return put_be(b, v, 4);
}

int
buf_put_u64(struct buf *b, uint64_t v)
{
	return put_be(b, v, 8);
}
