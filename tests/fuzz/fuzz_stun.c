/*
 * fuzz_stun.c - STUN Binding (stun.h): the server's responder and the
 * client's parser, on datagrams from the input.
 *
 * Input: u8 selector (bit 0: the sender is IPv6; bit 1: the client's
 * transaction id is the input's own), then the datagram.  Invariants:
 * only what stun_is_message accepts is answered; an answer is a STUN
 * message of the documented size with the request's transaction id,
 * nothing is written past STUN_RESP_MAX, and the client parses the answer
 * back to the sender's address; a response the client accepts is a STUN
 * message and names an IPv4 or IPv6 address; another transaction id is
 * never accepted.
 */
#include <string.h>

#include "err.h"
#include "fuzz.h"
#include "stun.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_answer(const uint8_t *req, const struct stun_addr *from,
    const uint8_t *out, size_t olen)
{
	struct stun_addr mapped;
	uint8_t tid[STUN_TIDLEN];

	FUZZ_CHECK(olen == (from->family == 4 ? 32u : 44u));
	FUZZ_CHECK(olen <= STUN_RESP_MAX);
	FUZZ_CHECK(stun_is_message(out, olen) == 1);
	FUZZ_CHECK(memcmp(out + 8, req + 8, STUN_TIDLEN) == 0);
	memcpy(tid, req + 8, STUN_TIDLEN);
	memset(&mapped, 0xee, sizeof(mapped));
	FUZZ_CHECK(stun_parse_response(out, olen, tid, &mapped) == 0);
	FUZZ_CHECK(mapped.family == from->family);
	FUZZ_CHECK(mapped.port == from->port);
	FUZZ_CHECK(memcmp(mapped.addr, from->addr, from->family == 4 ?
	    4 : 16) == 0);
	tid[0] ^= 1;
	FUZZ_CHECK(stun_parse_response(out, olen, tid, &mapped) != 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t out[STUN_RESP_MAX + 32], req[STUN_REQ_LEN + 8];
	uint8_t tid[STUN_TIDLEN], canary[32];
	struct stun_addr from, mapped;
	const uint8_t *p;
	size_t n, olen, i;
	int r, is_msg;
	uint8_t sel;

	if (size == 0)
		return 0;
	sel = data[0];
	p = data + 1;
	n = size - 1;

	memset(&from, 0, sizeof(from));
	from.family = sel & 1 ? 6 : 4;
	for (i = 0; i < 16; i++)
		from.addr[i] = (uint8_t)(0xa0 + i * sel);
	from.port = (uint16_t)(1 + sel * 251);

	/* The shape check. */
	is_msg = stun_is_message(p, n);
	FUZZ_CHECK(is_msg == 0 || is_msg == 1);
	if (is_msg) {
		FUZZ_CHECK(n >= STUN_HDRLEN);
		FUZZ_CHECK((p[0] & 0xc0) == 0);
		FUZZ_CHECK(((uint32_t)p[4] << 24 | (uint32_t)p[5] << 16 |
		    (uint32_t)p[6] << 8 | p[7]) == STUN_COOKIE);
		FUZZ_CHECK(((size_t)p[2] << 8 | p[3]) + STUN_HDRLEN == n);
	}

	/* The responder. */
	memset(out, 0xee, sizeof(out));
	memset(canary, 0xee, sizeof(canary));
	olen = 0;
	r = stun_binding_response(p, n, &from, out, &olen);
	FUZZ_CHECK(memcmp(out + STUN_RESP_MAX, canary, 32) == 0);
	if (r == 0) {
		FUZZ_CHECK(is_msg);
		FUZZ_CHECK(n <= STUN_MAXREQ);
		check_answer(p, &from, out, olen);
	} else
		FUZZ_CHECK(r == E2_ERR_MALFORMED || r == E2_ERR_UNSUPPORTED);

	/* The client's parser, with the input's transaction id or another. */
	memset(tid, 0x5c, sizeof(tid));
	if ((sel & 2) && n >= STUN_HDRLEN)
		memcpy(tid, p + 8, STUN_TIDLEN);
	memset(&mapped, 0, sizeof(mapped));
	r = stun_parse_response(p, n, tid, &mapped);
	if (r == 0) {
		FUZZ_CHECK(is_msg);
		FUZZ_CHECK(memcmp(p + 8, tid, STUN_TIDLEN) == 0);
		FUZZ_CHECK(mapped.family == 4 || mapped.family == 6);
	} else
		FUZZ_CHECK(r == E2_ERR_MALFORMED || r == E2_ERR_STATE ||
		    r == E2_ERR_UNSUPPORTED);

	/* A request made with the input's transaction id is answered. */
	if (n >= STUN_TIDLEN) {
		memcpy(tid, p, STUN_TIDLEN);
		FUZZ_CHECK(stun_binding_request(tid, req, STUN_REQ_LEN - 1,
		    &olen) == E2_ERR_SPACE);
		FUZZ_CHECK(stun_binding_request(tid, req, sizeof(req),
		    &olen) == 0);
		FUZZ_CHECK(olen == STUN_REQ_LEN && stun_is_message(req, olen));
		FUZZ_CHECK(memcmp(req + 8, tid, STUN_TIDLEN) == 0);
		FUZZ_CHECK(stun_binding_response(req, olen, &from, out,
		    &olen) == 0);
		check_answer(req, &from, out, olen);
	}
	return 0;
}
