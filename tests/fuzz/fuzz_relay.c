/*
 * fuzz_relay.c - the relay's control datagrams (relay.h).
 *
 * Input: u8 mode, then either a datagram (mode bit 0 clear) or u64 leg,
 * u64 seq, u8 flags and a mask XORed over the honest RELAY_BIND,
 * RELAY_COOKIE and RELAY_BOUND built from them (the cookie is made from
 * the leg under a fixed secret).  Invariants: the classification follows
 * the first byte and length as documented; a datagram that opens is
 * exactly what sealing its leg and sequence number gives (so nothing
 * else authenticates); an unchanged honest datagram opens to its values,
 * a changed one does not.
 */
#include <string.h>

#include "err.h"
#include "fuzz.h"
#include "relay.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t key[RELAY_KEYLEN] = {
	0x0f, 0x1e, 0x2d, 0x3c, 0x4b, 0x5a, 0x69, 0x78,
	0x87, 0x96, 0xa5, 0xb4, 0xc3, 0xd2, 0xe1, 0xf0,
	0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
	0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10,
};

static const uint8_t secret[RELAY_SECRETLEN] = "fuzz_relay secret, 32 bytes long";

static uint64_t
be64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/* Everything about one datagram; leg is the leg a client expects. */
static void
check_datagram(const uint8_t *p, size_t n, uint64_t leg)
{
	uint8_t again[RELAY_BIND_LEN], flags = 0, ck[RELAY_COOKIELEN];
	uint64_t l = 0, seq = 0;
	enum relay_kind k;
	int r;

	k = relay_classify(p, n);
	switch (k) {
	case RELAY_DG_OTHER:
		break;
	case RELAY_DG_STUN:
		FUZZ_CHECK(n > 0 && (p[0] == 0x00 || p[0] == 0x01));
		break;
	case RELAY_DG_BIND:
		FUZZ_CHECK(n > 0 && p[0] == RELAY_BIND);
		break;
	case RELAY_DG_BOUND:
		FUZZ_CHECK(n > 0 && p[0] == RELAY_BOUND);
		break;
	case RELAY_DG_COOKIE:
		FUZZ_CHECK(n == RELAY_COOKIE_LEN && p[0] == RELAY_COOKIE);
		break;
	case RELAY_DG_MEDIA:
		FUZZ_CHECK(n > 0 && p[0] >= 0x10 && p[0] <= 0x2f);
		break;
	default:
		FUZZ_CHECK(0);
	}

	r = relay_bind_leg(p, n, &l);
	if (r == 0) {
		FUZZ_CHECK(n == RELAY_BIND_LEN && p[0] == RELAY_BIND);
		FUZZ_CHECK(k == RELAY_DG_BIND);
		FUZZ_CHECK(l == be64(p + 1));
	} else
		FUZZ_CHECK(r == E2_ERR_MALFORMED);

	r = relay_bind_open(p, n, key, &seq, ck);
	if (r == 0) {
		FUZZ_CHECK(n == RELAY_BIND_LEN);
		relay_bind_seal(be64(p + 1), seq, ck, key, again);
		FUZZ_CHECK(memcmp(again, p, RELAY_BIND_LEN) == 0);
	}

	r = relay_cookie_open(p, n, leg, key, &seq, ck);
	if (r == 0) {
		FUZZ_CHECK(n == RELAY_COOKIE_LEN);
		relay_cookie_seal(leg, seq, ck, key, again);
		FUZZ_CHECK(memcmp(again, p, RELAY_COOKIE_LEN) == 0);
	} else
		FUZZ_CHECK(r == E2_ERR_MALFORMED || r == E2_ERR_STATE ||
		    r == E2_ERR_AUTH);

	r = relay_bound_open(p, n, leg, key, &seq, &flags);
	if (r == 0) {
		FUZZ_CHECK(n == RELAY_BOUND_LEN);
		relay_bound_seal(leg, seq, flags, key, again);
		FUZZ_CHECK(memcmp(again, p, RELAY_BOUND_LEN) == 0);
	} else
		FUZZ_CHECK(r == E2_ERR_MALFORMED || r == E2_ERR_STATE ||
		    r == E2_ERR_AUTH);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t bind[RELAY_BIND_LEN + 8], bound[RELAY_BOUND_LEN + 8];
	uint8_t cookie[RELAY_COOKIELEN], gotck[RELAY_COOKIELEN];
	uint8_t flags, gotflags;
	const uint8_t *mask;
	uint64_t leg, seq, got;
	struct fin f;
	size_t n, i, blen;
	int same;

	fin_init(&f, data, size);
	if ((fin_u8(&f) & 1) == 0) {
		mask = fin_rest(&f, &n);
		check_datagram(mask, n, n >= 9 ? be64(mask + 1) : 0);
		return 0;
	}
	leg = (uint64_t)fin_u32(&f) << 32;
	leg |= fin_u32(&f);
	seq = (uint64_t)fin_u32(&f) << 32;
	seq |= fin_u32(&f);
	flags = fin_u8(&f);
	mask = fin_rest(&f, &n);

	relay_cookie_make(secret, leg, (const uint8_t *)"\x04\x7f\0\0\1", 5,
	    cookie);

	/* BIND: the mask's first RELAY_BIND_LEN + 8 bytes; more is longer */
	relay_bind_seal(leg, seq, cookie, key, bind);
	blen = n > RELAY_BIND_LEN ? (n < sizeof(bind) ? n : sizeof(bind)) :
	    RELAY_BIND_LEN;
	memset(bind + RELAY_BIND_LEN, 0, sizeof(bind) - RELAY_BIND_LEN);
	same = blen == RELAY_BIND_LEN;
	for (i = 0; i < blen && i < n; i++) {
		bind[i] ^= mask[i];
		if (mask[i] != 0)
			same = 0;
	}
	check_datagram(bind, blen, leg);
	if (same) {
		FUZZ_CHECK(relay_classify(bind, blen) == RELAY_DG_BIND);
		FUZZ_CHECK(relay_bind_leg(bind, blen, &got) == 0 && got == leg);
		FUZZ_CHECK(relay_bind_open(bind, blen, key, &got, gotck) == 0 &&
		    got == seq && memcmp(gotck, cookie, sizeof(cookie)) == 0);
	} else
		FUZZ_CHECK(relay_bind_open(bind, blen, key, &got, gotck) != 0);

	/* COOKIE: the same mask over the same fields */
	relay_cookie_seal(leg, seq, cookie, key, bind);
	blen = n > RELAY_COOKIE_LEN ? (n < sizeof(bind) ? n : sizeof(bind)) :
	    RELAY_COOKIE_LEN;
	memset(bind + RELAY_COOKIE_LEN, 0, sizeof(bind) - RELAY_COOKIE_LEN);
	same = blen == RELAY_COOKIE_LEN;
	for (i = 0; i < blen && i < n; i++) {
		bind[i] ^= mask[i];
		if (mask[i] != 0)
			same = 0;
	}
	check_datagram(bind, blen, leg);
	if (same) {
		FUZZ_CHECK(relay_classify(bind, blen) == RELAY_DG_COOKIE);
		FUZZ_CHECK(relay_cookie_open(bind, blen, leg, key, &got,
		    gotck) == 0 && got == seq &&
		    memcmp(gotck, cookie, sizeof(cookie)) == 0);
		FUZZ_CHECK(relay_cookie_open(bind, blen, leg ^ 1, key, &got,
		    gotck) == E2_ERR_STATE);
	} else
		FUZZ_CHECK(relay_cookie_open(bind, blen, leg, key, &got,
		    gotck) != 0);

	/* BOUND: the same mask */
	relay_bound_seal(leg, seq, flags, key, bound);
	blen = n > RELAY_BOUND_LEN ? (n < sizeof(bound) ? n : sizeof(bound)) :
	    RELAY_BOUND_LEN;
	memset(bound + RELAY_BOUND_LEN, 0, sizeof(bound) - RELAY_BOUND_LEN);
	same = blen == RELAY_BOUND_LEN;
	for (i = 0; i < blen && i < n; i++) {
		bound[i] ^= mask[i];
		if (mask[i] != 0)
			same = 0;
	}
	check_datagram(bound, blen, leg);
	if (same) {
		FUZZ_CHECK(relay_bound_open(bound, blen, leg, key, &got,
		    &gotflags) == 0);
		FUZZ_CHECK(got == seq && gotflags == flags);
		FUZZ_CHECK(relay_bound_open(bound, blen, leg ^ 1, key, &got,
		    &gotflags) == E2_ERR_STATE);
	} else
		FUZZ_CHECK(relay_bound_open(bound, blen, leg, key, &got,
		    &gotflags) != 0);
	return 0;
}
