/* stun.c - the STUN Binding responder; see stun.h. */
#include <string.h>
#include <netinet/in.h>

#include "buf.h"
#include "err.h"
#include "stun.h"

#define STUN_BINDING_REQUEST	0x0001
#define STUN_BINDING_SUCCESS	0x0101
#define STUN_XOR_MAPPED_ADDRESS	0x0020

int
stun_binding_response(const uint8_t *req, size_t len,
    const struct sockaddr *from, uint8_t *out, size_t *outlenp)
{
	struct buf in, o;
	const uint8_t *tid, *val;
	uint8_t xaddr[16], cookie[4];
	uint16_t type, mlen, atype, alen, port;
	uint32_t magic;
	size_t addrlen, i;

	if (req == NULL || from == NULL || out == NULL || outlenp == NULL)
		return E2_ERR_INVAL;
	if (len < STUN_HDRLEN || len > STUN_MAXREQ)
		return E2_ERR_MALFORMED;
	buf_init_read(&in, req, len);
	if (buf_get_u16(&in, &type) != 0 || buf_get_u16(&in, &mlen) != 0 ||
	    buf_get_u32(&in, &magic) != 0 ||
	    buf_get_ptr(&in, &tid, 12) != 0)
		return E2_ERR_MALFORMED;
	/* The first two bits are zero; the length counts what follows
	 * the header, in whole 4-byte words. */
	if ((type & 0xc000) != 0 || magic != STUN_COOKIE ||
	    mlen != len - STUN_HDRLEN || (mlen & 3) != 0)
		return E2_ERR_MALFORMED;
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

	cookie[0] = STUN_COOKIE >> 24;
	cookie[1] = (STUN_COOKIE >> 16) & 0xff;
	cookie[2] = (STUN_COOKIE >> 8) & 0xff;
	cookie[3] = STUN_COOKIE & 0xff;
	if (from->sa_family == AF_INET) {
		const struct sockaddr_in *a = (const void *)from;

		addrlen = 4;
		memcpy(xaddr, &a->sin_addr, 4);
		port = ntohs(a->sin_port);
	} else if (from->sa_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const void *)from;

		addrlen = 16;
		memcpy(xaddr, &a->sin6_addr, 16);
		port = ntohs(a->sin6_port);
	} else
		return E2_ERR_INVAL;
	/* X-Address: XOR with the cookie, then (IPv6) the transaction id. */
	for (i = 0; i < addrlen; i++)
		xaddr[i] ^= i < 4 ? cookie[i] : tid[i - 4];

	buf_init_write(&o, out, STUN_RESP_MAX);
	if (buf_put_u16(&o, STUN_BINDING_SUCCESS) != 0 ||
	    buf_put_u16(&o, (uint16_t)(4 + 4 + addrlen)) != 0 ||
	    buf_put_u32(&o, STUN_COOKIE) != 0 ||
	    buf_put_bytes(&o, tid, 12) != 0 ||
	    buf_put_u16(&o, STUN_XOR_MAPPED_ADDRESS) != 0 ||
	    buf_put_u16(&o, (uint16_t)(4 + addrlen)) != 0 ||
	    buf_put_u8(&o, 0) != 0 ||
	    buf_put_u8(&o, addrlen == 4 ? 0x01 : 0x02) != 0 ||
	    buf_put_u16(&o, port ^ (STUN_COOKIE >> 16)) != 0 ||
	    buf_put_bytes(&o, xaddr, addrlen) != 0)
		return E2_ERR_SPACE;
	*outlenp = o.len;
	return 0;
}
