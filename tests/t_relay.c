/*
 * t_relay.c - the relay's control datagrams (src/core/relay.c): what the
 * server's UDP port tells apart, BIND, COOKIE and BOUND sealed and
 * opened, every change to them refused, and the cookie bound to its
 * secret, leg and address.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <sodium.h>

#include "err.h"
#include "relay.h"

static uint8_t key[RELAY_KEYLEN], key2[RELAY_KEYLEN];
static const uint8_t nocookie[RELAY_COOKIELEN];
static const uint8_t acookie[RELAY_COOKIELEN] = "0123456789abcdef";

static int
setup(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < RELAY_KEYLEN; i++) {
		key[i] = (uint8_t)i;
		key2[i] = (uint8_t)(i + 1);
	}
	return sodium_init() < 0 ? -1 : 0;
}

static void
test_classify(void **state)
{
	uint8_t p[1300];
	size_t n;

	(void)state;
	memset(p, 0, sizeof(p));
	assert_int_equal(relay_classify(NULL, 0), RELAY_DG_OTHER);
	assert_int_equal(relay_classify(p, 0), RELAY_DG_OTHER);
	p[0] = 0x00;
	assert_int_equal(relay_classify(p, 20), RELAY_DG_STUN);
	p[0] = 0x01;
	assert_int_equal(relay_classify(p, 32), RELAY_DG_STUN);
	p[0] = RELAY_BIND;
	assert_int_equal(relay_classify(p, RELAY_BIND_LEN), RELAY_DG_BIND);
	assert_int_equal(relay_classify(p, RELAY_BIND_LEN + 1),
	    RELAY_DG_OTHER);
	assert_int_equal(relay_classify(p, 33), RELAY_DG_OTHER);
	p[0] = RELAY_BOUND;
	assert_int_equal(relay_classify(p, RELAY_BOUND_LEN), RELAY_DG_BOUND);
	assert_int_equal(relay_classify(p, RELAY_BOUND_LEN - 1),
	    RELAY_DG_OTHER);
	p[0] = RELAY_COOKIE;
	assert_int_equal(relay_classify(p, RELAY_COOKIE_LEN),
	    RELAY_DG_COOKIE);
	assert_int_equal(relay_classify(p, RELAY_COOKIE_LEN - 1),
	    RELAY_DG_OTHER);
	/* media: types 1 and 2, any phase, 21..1221 bytes */
	for (n = 0x10; n <= 0x2f; n++) {
		p[0] = (uint8_t)n;
		assert_int_equal(relay_classify(p, 21), RELAY_DG_MEDIA);
		assert_int_equal(relay_classify(p, 1221), RELAY_DG_MEDIA);
		assert_int_equal(relay_classify(p, 20), RELAY_DG_OTHER);
		assert_int_equal(relay_classify(p, 1222), RELAY_DG_OTHER);
	}
	p[0] = 0x02;
	assert_int_equal(relay_classify(p, 40), RELAY_DG_OTHER);
	p[0] = 0x30;
	assert_int_equal(relay_classify(p, 40), RELAY_DG_OTHER);
	p[0] = 0xff;
	assert_int_equal(relay_classify(p, 40), RELAY_DG_OTHER);
}

static void
test_bind(void **state)
{
	uint8_t d[RELAY_BIND_LEN], c[RELAY_BIND_LEN];
	uint8_t ck[RELAY_COOKIELEN];
	uint64_t leg = 0, seq = 0;
	size_t i;

	(void)state;
	relay_bind_seal(0x0102030405060708ULL, 42, acookie, key, d);
	assert_int_equal(d[0], RELAY_BIND);
	assert_memory_equal(d + 1, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
	assert_memory_equal(d + 9, "\x00\x00\x00\x00\x00\x00\x00\x2a", 8);
	assert_memory_equal(d + 17, acookie, RELAY_COOKIELEN);
	assert_int_equal(relay_bind_leg(d, sizeof(d), &leg), 0);
	assert_true(leg == 0x0102030405060708ULL);
	assert_int_equal(relay_bind_open(d, sizeof(d), key, &seq, ck), 0);
	assert_true(seq == 42);
	assert_memory_equal(ck, acookie, RELAY_COOKIELEN);
	/* The wrong key, any bit flipped, a short or long datagram. */
	assert_int_equal(relay_bind_open(d, sizeof(d), key2, &seq, ck),
	    E2_ERR_AUTH);
	for (i = 1; i < sizeof(d) * 8; i++) {
		memcpy(c, d, sizeof(c));
		c[i / 8] ^= (uint8_t)(1u << (i % 8));
		assert_int_not_equal(relay_bind_open(c, sizeof(c), key, &seq,
		    ck), 0);
	}
	memcpy(c, d, sizeof(c));
	c[0] = RELAY_COOKIE;
	assert_int_equal(relay_bind_open(c, sizeof(c), key, &seq, ck),
	    E2_ERR_MALFORMED);
	assert_int_equal(relay_bind_open(d, sizeof(d) - 1, key, &seq, ck),
	    E2_ERR_MALFORMED);
	assert_int_equal(relay_bind_leg(d, sizeof(d) - 1, &leg),
	    E2_ERR_MALFORMED);
	assert_int_equal(relay_bind_leg(NULL, 0, &leg), E2_ERR_MALFORMED);
	/* Another seq, or another cookie, gives another MAC. */
	relay_bind_seal(0x0102030405060708ULL, 43, acookie, key, c);
	assert_memory_not_equal(c + 33, d + 33, RELAY_MACLEN);
	relay_bind_seal(0x0102030405060708ULL, 42, nocookie, key, c);
	assert_memory_not_equal(c + 33, d + 33, RELAY_MACLEN);
}

static void
test_cookie(void **state)
{
	uint8_t secret[RELAY_SECRETLEN], secret2[RELAY_SECRETLEN];
	uint8_t a[RELAY_COOKIELEN], b[RELAY_COOKIELEN], ck[RELAY_COOKIELEN];
	uint8_t d[RELAY_COOKIE_LEN], c[RELAY_COOKIE_LEN];
	const uint8_t addr1[] = "\x04\x7f\x00\x00\x01", addr2[] = "\x04\x7f\x00\x00\x02";
	uint64_t seq = 0;
	size_t i;

	(void)state;
	memset(secret, 7, sizeof(secret));
	memset(secret2, 8, sizeof(secret2));
	/* The same inputs, the same cookie; any other input, another. */
	relay_cookie_make(secret, 5, addr1, 5, a);
	relay_cookie_make(secret, 5, addr1, 5, b);
	assert_memory_equal(a, b, RELAY_COOKIELEN);
	relay_cookie_make(secret, 5, addr2, 5, b);
	assert_memory_not_equal(a, b, RELAY_COOKIELEN);
	relay_cookie_make(secret, 6, addr1, 5, b);
	assert_memory_not_equal(a, b, RELAY_COOKIELEN);
	relay_cookie_make(secret2, 5, addr1, 5, b);
	assert_memory_not_equal(a, b, RELAY_COOKIELEN);

	/* COOKIE datagram: sealed, opened, bound to leg and key. */
	relay_cookie_seal(77, 9, a, key, d);
	assert_int_equal(d[0], RELAY_COOKIE);
	assert_int_equal(relay_classify(d, sizeof(d)), RELAY_DG_COOKIE);
	assert_int_equal(relay_cookie_open(d, sizeof(d), 77, key, &seq, ck),
	    0);
	assert_true(seq == 9);
	assert_memory_equal(ck, a, RELAY_COOKIELEN);
	assert_int_equal(relay_cookie_open(d, sizeof(d), 78, key, &seq, ck),
	    E2_ERR_STATE);
	assert_int_equal(relay_cookie_open(d, sizeof(d), 77, key2, &seq, ck),
	    E2_ERR_AUTH);
	for (i = 8; i < sizeof(d) * 8; i++) {
		memcpy(c, d, sizeof(c));
		c[i / 8] ^= (uint8_t)(1u << (i % 8));
		assert_int_not_equal(relay_cookie_open(c, sizeof(c), 77, key,
		    &seq, ck), 0);
	}
	/* A BIND is not a COOKIE, nor the other way round. */
	relay_bind_seal(77, 9, a, key, c);
	assert_int_equal(relay_cookie_open(c, sizeof(c), 77, key, &seq, ck),
	    E2_ERR_MALFORMED);
	assert_int_equal(relay_bind_open(d, sizeof(d), key, &seq, ck),
	    E2_ERR_MALFORMED);
	/* No answer is larger than the BIND that caused it. */
	assert_true(RELAY_COOKIE_LEN <= RELAY_BIND_LEN);
	assert_true(RELAY_BOUND_LEN <= RELAY_BIND_LEN);
}

static void
test_bound(void **state)
{
	uint8_t d[RELAY_BOUND_LEN], c[RELAY_BIND_LEN];
	uint64_t seq = 0;
	uint8_t flags = 0;
	size_t i;

	(void)state;
	relay_bound_seal(77, 5, RELAY_F_PEER_BOUND, key, d);
	assert_int_equal(d[0], RELAY_BOUND);
	assert_int_equal(relay_bound_open(d, sizeof(d), 77, key, &seq,
	    &flags), 0);
	assert_true(seq == 5);
	assert_int_equal(flags, RELAY_F_PEER_BOUND);
	assert_int_equal(relay_bound_open(d, sizeof(d), 78, key, &seq,
	    &flags), E2_ERR_STATE);
	assert_int_equal(relay_bound_open(d, sizeof(d), 77, key2, &seq,
	    &flags), E2_ERR_AUTH);
	for (i = 8; i < sizeof(d) * 8; i++) {
		memcpy(c, d, sizeof(d));
		c[i / 8] ^= (uint8_t)(1u << (i % 8));
		assert_int_not_equal(relay_bound_open(c, sizeof(d), 77, key,
		    &seq, &flags), 0);
	}
	assert_int_equal(relay_bound_open(d, sizeof(d) + 0 - 1, 77, key,
	    &seq, &flags), E2_ERR_MALFORMED);
	/* A BIND is not a BOUND, even under the same key. */
	relay_bind_seal(77, 5, nocookie, key, c);
	assert_int_equal(relay_bound_open(c, RELAY_BIND_LEN, 77, key, &seq,
	    &flags), E2_ERR_MALFORMED);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_bind),
		cmocka_unit_test(test_cookie),
		cmocka_unit_test(test_bound),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
