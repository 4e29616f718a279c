/* stun.c - STUN Binding requests, responses and the responder; see stun.h. */
#include <string.h>

#include "buf.h"
#include "err.h"
#include "stun.h"

#define STUN_BINDING_REQUEST	0x0001
#define STUN_BINDING_SUCCESS	0x0101
#define STUN_BINDING_ERROR	0x0111

#define STUN_A_MAPPED_ADDRESS	0x0001
#define STUN_A_SOURCE_ADDRESS	0x0004	/* RFC 3489, ignored */
#define STUN_A_CHANGED_ADDRESS	0x0005	/* RFC 3489, ignored */
#define STUN_A_INTEGRITY	0x0008	/* not asked for: ignored */
#define STUN_A_INTEGRITY256	0x001c	/* the same */
#define STUN_A_XOR_MAPPED	0x0020

static const uint8_t cookie[4] = { 0x21, 0x12, 0xa4, 0x42 };

/* Reads the header; *tidp points into msg.  0 or E2_ERR_MALFORMED. */
static int
read_header(struct buf *in, const uint8_t *msg, size_t len, uint16_t *typep,
    const uint8_t **tidp)
{
	uint16_t mlen;
	uint32_t magic;

	if (msg == NULL || len < STUN_HDRLEN)
		return E2_ERR_MALFORMED;
	buf_init_read(in, msg, len);
	if (buf_get_u16(in, typep) != 0 || buf_get_u16(in, &mlen) != 0 ||
	    buf_get_u32(in, &magic) != 0 ||
	    buf_get_ptr(in, tidp, STUN_TIDLEN) != 0)
		return E2_ERR_MALFORMED;
	/* The first two bits are zero; the length counts what follows
	 * the header, in whole 4-byte words. */
	if ((*typep & 0xc000) != 0 || magic != STUN_COOKIE ||
	    mlen != len - STUN_HDRLEN || (mlen & 3) != 0)
		return E2_ERR_MALFORMED;
	return 0;
}

int
stun_is_message(const uint8_t *p, size_t len)
{
	struct buf in;
	const uint8_t *tid;
	uint16_t type;

	return read_header(&in, p, len, &type, &tid) == 0;
}

int
stun_binding_response(const uint8_t *req, size_t len,
    const struct stun_addr *from, uint8_t *out, size_t *outlenp)
{
	struct buf in, o;
	const uint8_t *tid, *val;
	uint8_t xaddr[16];
	uint16_t type, atype, alen;
	size_t addrlen, i;
	int r;

	if (req == NULL || from == NULL || out == NULL || outlenp == NULL)
		return E2_ERR_INVAL;
	if (len > STUN_MAXREQ)
		return E2_ERR_MALFORMED;
	if ((r = read_header(&in, req, len, &type, &tid)) != 0)
		return r;
	if (type != STUN_BINDING_REQUEST)
		return E2_ERR_UNSUPPORTED;
	while (buf_left(&in) > 0) {
		if (buf_get_u16(&in, &atype) != 0 ||
		    buf_get_u16(&in, &alen) != 0 ||
		    buf_get_ptr(&in, &val, (size_t)((alen + 3) & ~3)) != 0)
			return E2_ERR_MALFORMED;
		if (atype < 0x8000)
			return E2_ERR_UNSUPPORTED;
	}

	if (from->family == 4)
		addrlen = 4;
	else if (from->family == 6)
		addrlen = 16;
	else
		return E2_ERR_INVAL;
	memcpy(xaddr, from->addr, addrlen);
	/* X-Address: XOR with the cookie, then (IPv6) the transaction id. */
	for (i = 0; i < addrlen; i++)
		xaddr[i] ^= i < 4 ? cookie[i] : tid[i - 4];

	buf_init_write(&o, out, STUN_RESP_MAX);
	if (buf_put_u16(&o, STUN_BINDING_SUCCESS) != 0 ||
	    buf_put_u16(&o, (uint16_t)(4 + 4 + addrlen)) != 0 ||
	    buf_put_u32(&o, STUN_COOKIE) != 0 ||
	    buf_put_bytes(&o, tid, STUN_TIDLEN) != 0 ||
	    buf_put_u16(&o, STUN_A_XOR_MAPPED) != 0 ||
	    buf_put_u16(&o, (uint16_t)(4 + addrlen)) != 0 ||
	    buf_put_u8(&o, 0) != 0 ||
	    buf_put_u8(&o, addrlen == 4 ? 0x01 : 0x02) != 0 ||
	    buf_put_u16(&o, from->port ^ (STUN_COOKIE >> 16)) != 0 ||
	    buf_put_bytes(&o, xaddr, addrlen) != 0)
		return E2_ERR_SPACE;
	*outlenp = o.len;
	return 0;
}

int
stun_binding_request(const uint8_t tid[STUN_TIDLEN], uint8_t *out,
    size_t cap, size_t *outlenp)
{
	struct buf o;

	if (tid == NULL || out == NULL || outlenp == NULL)
		return E2_ERR_INVAL;
	buf_init_write(&o, out, cap);
	if (buf_put_u16(&o, STUN_BINDING_REQUEST) != 0 ||
	    buf_put_u16(&o, 0) != 0 ||
	    buf_put_u32(&o, STUN_COOKIE) != 0 ||
	    buf_put_bytes(&o, tid, STUN_TIDLEN) != 0)
		return E2_ERR_SPACE;
	*outlenp = o.len;
	return 0;
}

/* (XOR-)MAPPED-ADDRESS value: u8 0, u8 family 1|2, u16 port, address. */
static int
read_address(const uint8_t *v, size_t len, int xor, const uint8_t *tid,
    struct stun_addr *a)
{
	size_t alen, i;

	if (len < 4 || (v[1] != 0x01 && v[1] != 0x02))
		return E2_ERR_MALFORMED;
	alen = v[1] == 0x01 ? 4 : 16;
	if (len != 4 + alen)
		return E2_ERR_MALFORMED;
	memset(a, 0, sizeof(*a));
	a->family = alen == 4 ? 4 : 6;
	a->port = (uint16_t)(v[2] << 8 | v[3]);
	memcpy(a->addr, v + 4, alen);
	if (xor) {
		a->port ^= (uint16_t)(STUN_COOKIE >> 16);
		for (i = 0; i < alen; i++)
			a->addr[i] ^= i < 4 ? cookie[i] : tid[i - 4];
	}
	return a->port != 0 ? 0 : E2_ERR_MALFORMED;
}

int
stun_parse_response(const uint8_t *msg, size_t len,
    const uint8_t tid[STUN_TIDLEN], struct stun_addr *mapped)
{
	struct stun_addr xa, ma;
	struct buf in;
	const uint8_t *mtid, *val;
	uint16_t type, atype, alen;
	int r, have_x = 0, have_m = 0;

	if (tid == NULL || mapped == NULL)
		return E2_ERR_INVAL;
	if (len > STUN_MAXMSG)
		return E2_ERR_MALFORMED;
	if ((r = read_header(&in, msg, len, &type, &mtid)) != 0)
		return r;
	if (type != STUN_BINDING_SUCCESS && type != STUN_BINDING_ERROR)
		return E2_ERR_MALFORMED;
	if (memcmp(mtid, tid, STUN_TIDLEN) != 0)
		return E2_ERR_STATE;
	if (type == STUN_BINDING_ERROR)
		return E2_ERR_UNSUPPORTED;
	while (buf_left(&in) > 0) {
		if (buf_get_u16(&in, &atype) != 0 ||
		    buf_get_u16(&in, &alen) != 0 ||
		    buf_get_ptr(&in, &val, (size_t)((alen + 3) & ~3)) != 0)
			return E2_ERR_MALFORMED;
		switch (atype) {
		case STUN_A_XOR_MAPPED:
			if (have_x)
				break;	/* the first one counts */
			if ((r = read_address(val, alen, 1, tid, &xa)) != 0)
				return r;
			have_x = 1;
			break;
		case STUN_A_MAPPED_ADDRESS:
			if (have_m)
				break;
			if ((r = read_address(val, alen, 0, tid, &ma)) != 0)
				return r;
			have_m = 1;
			break;
		case STUN_A_SOURCE_ADDRESS:
		case STUN_A_CHANGED_ADDRESS:
		case STUN_A_INTEGRITY:
		case STUN_A_INTEGRITY256:
			break;
		default:
			if (atype < 0x8000)
				return E2_ERR_UNSUPPORTED;
			break;
		}
	}
	if (have_x)
		*mapped = xa;
	else if (have_m)
		*mapped = ma;
	else
		return E2_ERR_MALFORMED;
	return 0;
}
