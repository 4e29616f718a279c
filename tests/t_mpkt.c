/* t_mpkt.c - media packet seal/open, key phases, control messages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <sodium.h>

#include "err.h"
#include "mpkt.h"
#include "noise.h"
#include "sigmsg.h"

#define RI	MPKT_REKEY_INTERVAL

struct pair {
	uint8_t		 k_ab[32];	/* alice -> bob */
	uint8_t		 k_ba[32];	/* bob -> alice */
	struct mpkt	*a;
	struct mpkt	*b;
};

/* One sealed datagram. */
struct dgram {
	uint8_t	d[MPKT_MAX_DATAGRAM];
	size_t	len;
};

static int
setup(void **state)
{
	struct pair *p;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return -1;
	randombytes_buf(p->k_ab, sizeof(p->k_ab));
	randombytes_buf(p->k_ba, sizeof(p->k_ba));
	if (mpkt_new(&p->a, p->k_ab, p->k_ba) != 0 ||
	    mpkt_new(&p->b, p->k_ba, p->k_ab) != 0)
		return -1;
	*state = p;
	return 0;
}

static int
teardown(void **state)
{
	struct pair *p = *state;

	mpkt_free(p->a);
	mpkt_free(p->b);
	free(p);
	return 0;
}

static void
fill(uint8_t *d, size_t n, uint8_t seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		d[i] = (uint8_t)(seed + 7 * i);
}

/* Seals a payload of length n derived from tag; asserts success. */
static void
seal(struct mpkt *m, enum mpkt_type type, size_t n, uint8_t tag,
    struct dgram *g)
{
	uint8_t pay[MPKT_MAX_PAYLOAD];

	fill(pay, n, tag);
	assert_int_equal(mpkt_seal(m, type, pay, n, g->d, sizeof(g->d),
	    &g->len), 0);
	assert_int_equal(g->len, n + MPKT_OVERHEAD);
}

static uint32_t
hdr_ctr(const struct dgram *g)
{
	return (uint32_t)g->d[1] << 24 | (uint32_t)g->d[2] << 16 |
	    (uint32_t)g->d[3] << 8 | g->d[4];
}

/* Opens g and checks type, counter and the payload made by seal(). */
static void
open_ok(struct mpkt *m, const struct dgram *g, enum mpkt_type type,
    uint8_t tag)
{
	uint8_t out[MPKT_MAX_PAYLOAD], want[MPKT_MAX_PAYLOAD];
	enum mpkt_type t;
	uint32_t ctr;
	size_t n;

	assert_int_equal(mpkt_open(m, g->d, g->len, out, sizeof(out), &n, &t,
	    &ctr), 0);
	assert_int_equal(n, g->len - MPKT_OVERHEAD);
	assert_int_equal(t, type);
	assert_int_equal(ctr, hdr_ctr(g));
	fill(want, n, tag);
	assert_memory_equal(out, want, n);
}

static int
open_err(struct mpkt *m, const uint8_t *d, size_t len)
{
	uint8_t out[MPKT_MAX_DATAGRAM];
	enum mpkt_type t = 0;
	uint32_t ctr = 0x5a5a5a5a;
	size_t n = 12345;
	int r;

	r = mpkt_open(m, d, len, out, sizeof(out), &n, &t, &ctr);
	if (r != 0) {
		/* Out-parameters untouched on failure. */
		assert_int_equal(n, 12345);
		assert_int_equal(t, 0);
		assert_int_equal(ctr, 0x5a5a5a5a);
	}
	return r;
}

static void
test_overhead(void **state)
{
	struct pair *p = *state;
	struct dgram g;

	assert_int_equal(MPKT_OVERHEAD, 21);
	assert_int_equal(MPKT_MAX_DATAGRAM, MPKT_MAX_PAYLOAD + 21);
	seal(p->a, MPKT_AUDIO, 0, 0, &g);
	assert_int_equal(g.len, 21);
	seal(p->a, MPKT_AUDIO, 160, 0, &g);
	assert_int_equal(g.len, 181);
}

static void
test_roundtrip(void **state)
{
	struct pair *p = *state;
	static const size_t lens[] = { 0, 1, 15, 16, 17, 80, 160,
	    MPKT_MAX_PAYLOAD };
	struct dgram g;
	size_t i;

	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		seal(p->a, MPKT_AUDIO, lens[i], (uint8_t)i, &g);
		assert_int_equal(g.d[0], MPKT_AUDIO << 4);
		assert_int_equal(hdr_ctr(&g), i);
		open_ok(p->b, &g, MPKT_AUDIO, (uint8_t)i);

		seal(p->b, MPKT_AUDIO, lens[i], (uint8_t)(i + 50), &g);
		open_ok(p->a, &g, MPKT_AUDIO, (uint8_t)(i + 50));

		seal(p->a, MPKT_CONTROL, lens[i], (uint8_t)(i + 100), &g);
		assert_int_equal(g.d[0], MPKT_CONTROL << 4);
		assert_int_equal(hdr_ctr(&g), i);
		open_ok(p->b, &g, MPKT_CONTROL, (uint8_t)(i + 100));

		seal(p->b, MPKT_CONTROL, lens[i], (uint8_t)(i + 150), &g);
		open_ok(p->a, &g, MPKT_CONTROL, (uint8_t)(i + 150));
	}
	/* The payload does not appear in the clear. */
	seal(p->a, MPKT_AUDIO, 64, 9, &g);
	{
		uint8_t pay[64];

		fill(pay, sizeof(pay), 9);
		assert_memory_not_equal(g.d + MPKT_HDRLEN, pay, sizeof(pay));
	}
	assert_int_equal(mpkt_send_phase(p->a), 0);
	assert_int_equal(mpkt_recv_phase(p->b), 0);
}

/* The datagram is exactly what the contract says, built by hand. */
static void
test_wire_format(void **state)
{
	struct pair *p = *state;
	uint8_t pay[33], want[33 + MPKT_OVERHEAD], nonce[12];
	unsigned long long clen;
	struct dgram g;
	int i;

	fill(pay, sizeof(pay), 3);
	mpkt_test_set_counters(p->a, 0x01020304, 0x0a0b0c0d);
	for (i = 0; i < 2; i++) {
		enum mpkt_type type = i == 0 ? MPKT_AUDIO : MPKT_CONTROL;
		uint32_t ctr = i == 0 ? 0x01020304 : 0x0a0b0c0d;

		assert_int_equal(mpkt_seal(p->a, type, pay, sizeof(pay), g.d,
		    sizeof(g.d), &g.len), 0);
		/* 0x01020304 is past interval 0: one rekey, phase 1. */
		want[0] = (uint8_t)(type << 4 | 1);
		want[1] = (uint8_t)(ctr >> 24);
		want[2] = (uint8_t)(ctr >> 16);
		want[3] = (uint8_t)(ctr >> 8);
		want[4] = (uint8_t)ctr;
		/* Noise nonce: 4 zero bytes, (class << 32 | ctr) LE. */
		memset(nonce, 0, sizeof(nonce));
		nonce[4] = (uint8_t)ctr;
		nonce[5] = (uint8_t)(ctr >> 8);
		nonce[6] = (uint8_t)(ctr >> 16);
		nonce[7] = (uint8_t)(ctr >> 24);
		nonce[8] = (uint8_t)i;
		{
			uint8_t k[32];

			memcpy(k, p->k_ab, 32);
			noise_rekey_key(k);
			crypto_aead_chacha20poly1305_ietf_encrypt(want + 5,
			    &clen, pay, sizeof(pay), want, 5, NULL, nonce, k);
		}
		assert_int_equal(clen, sizeof(pay) + 16);
		assert_int_equal(g.len, sizeof(want));
		assert_memory_equal(g.d, want, sizeof(want));
		open_ok(p->b, &g, type, 3);
	}
	assert_int_equal(mpkt_send_phase(p->a), 1);
	assert_int_equal(mpkt_recv_phase(p->b), 1);
}

/*
 * Known answers, computed apart from this code (and printed in
 * docs/PROTOCOL.md): key 00 01 .. 1f; audio counter 1 "hello" at phase 0;
 * control counter 5 carrying PING 0x0102030405060708 at phase 1.
 */
static const uint8_t kat_audio[] = {
	0x10, 0x00, 0x00, 0x00, 0x01, 0xf7, 0x32, 0x9f, 0x33, 0xda, 0xf6,
	0x7f, 0x45, 0xe8, 0x6c, 0xaf, 0x1f, 0x57, 0x20, 0xf8, 0xfa, 0xe3,
	0x20, 0xd8, 0x43, 0xbe,
};
static const uint8_t kat_ctrl[] = {
	0x21, 0x00, 0x00, 0x00, 0x05, 0xc9, 0x32, 0x76, 0x51, 0xfd, 0x0a,
	0x7a, 0x64, 0x4b, 0x0b, 0x43, 0x6c, 0x7e, 0x5f, 0x94, 0x17, 0xb6,
	0x2c, 0xf7, 0xe0, 0x68, 0xf2, 0x9f, 0x2e, 0xcd,
};

static void
test_known_answer(void **state)
{
	static const uint8_t ping[] = { 1, 1, 2, 3, 4, 5, 6, 7, 8 };
	uint8_t k[32], other[32], out[64];
	struct mpkt *tx, *rx;
	struct mpkt_ctrl c;
	enum mpkt_type t;
	uint32_t ctr;
	size_t n;
	int i;

	(void)state;
	for (i = 0; i < 32; i++)
		k[i] = (uint8_t)i;
	memset(other, 0x55, sizeof(other));
	assert_int_equal(mpkt_new(&tx, k, other), 0);
	assert_int_equal(mpkt_new(&rx, other, k), 0);

	mpkt_test_set_counters(tx, 1, 5);
	assert_int_equal(mpkt_seal(tx, MPKT_AUDIO, (const uint8_t *)"hello",
	    5, out, sizeof(out), &n), 0);
	assert_int_equal(n, sizeof(kat_audio));
	assert_memory_equal(out, kat_audio, sizeof(kat_audio));
	mpkt_test_set_counters(tx, RI, 5);
	assert_int_equal(mpkt_seal(tx, MPKT_CONTROL, ping, sizeof(ping), out,
	    sizeof(out), &n), 0);
	assert_int_equal(n, sizeof(kat_ctrl));
	assert_memory_equal(out, kat_ctrl, sizeof(kat_ctrl));

	assert_int_equal(mpkt_open(rx, kat_audio, sizeof(kat_audio), out,
	    sizeof(out), &n, &t, &ctr), 0);
	assert_int_equal(t, MPKT_AUDIO);
	assert_int_equal(ctr, 1);
	assert_int_equal(n, 5);
	assert_memory_equal(out, "hello", 5);
	assert_int_equal(mpkt_open(rx, kat_ctrl, sizeof(kat_ctrl), out,
	    sizeof(out), &n, &t, &ctr), 0);
	assert_int_equal(t, MPKT_CONTROL);
	assert_int_equal(ctr, 5);
	assert_int_equal(mpkt_recv_phase(rx), 1);
	assert_int_equal(mpkt_ctrl_decode(&c, out, n), 0);
	assert_int_equal(c.type, MPKT_CTRL_PING);
	assert_true(c.value == 0x0102030405060708ull);
	mpkt_free(tx);
	mpkt_free(rx);
}

static void
test_seal_errors(void **state)
{
	struct pair *p = *state;
	uint8_t pay[MPKT_MAX_PAYLOAD + 1], out[MPKT_MAX_DATAGRAM + 1];
	struct dgram g;
	size_t n = 99;

	memset(pay, 1, sizeof(pay));
	assert_int_equal(mpkt_seal(p->a, MPKT_AUDIO, pay,
	    MPKT_MAX_PAYLOAD + 1, out, sizeof(out), &n), E2_ERR_TOOBIG);
	assert_int_equal(mpkt_seal(p->a, MPKT_AUDIO, pay, 10, out,
	    10 + MPKT_OVERHEAD - 1, &n), E2_ERR_SPACE);
	assert_int_equal(mpkt_seal(p->a, 0, pay, 10, out, sizeof(out), &n),
	    E2_ERR_INVAL);
	assert_int_equal(mpkt_seal(p->a, 3, pay, 10, out, sizeof(out), &n),
	    E2_ERR_INVAL);
	assert_int_equal(mpkt_seal(p->a, MPKT_AUDIO, NULL, 10, out,
	    sizeof(out), &n), E2_ERR_INVAL);
	assert_int_equal(n, 99);
	/* None of that used a counter. */
	seal(p->a, MPKT_AUDIO, 10, 1, &g);
	assert_int_equal(hdr_ctr(&g), 0);
	assert_int_equal(mpkt_seal(p->a, MPKT_AUDIO, pay, 10, out,
	    10 + MPKT_OVERHEAD, &n), 0);
	assert_int_equal(n, 10 + MPKT_OVERHEAD);

	assert_int_equal(mpkt_new(NULL, p->k_ab, p->k_ba), E2_ERR_INVAL);
	mpkt_free(NULL);
}

static void
test_open_errors(void **state)
{
	struct pair *p = *state;
	uint8_t out[MPKT_MAX_DATAGRAM], big[MPKT_MAX_DATAGRAM + 1];
	struct dgram g, bad;
	enum mpkt_type t;
	uint32_t ctr;
	size_t n;
	int ty;

	seal(p->a, MPKT_AUDIO, 40, 4, &g);
	/* Output too small: refused, nothing recorded. */
	assert_int_equal(mpkt_open(p->b, g.d, g.len, out, 39, &n, &t, &ctr),
	    E2_ERR_SPACE);
	/* Types other than audio and control. */
	for (ty = 0; ty < 16; ty++) {
		if (ty == MPKT_AUDIO || ty == MPKT_CONTROL)
			continue;
		bad = g;
		bad.d[0] = (uint8_t)(ty << 4 | (g.d[0] & 15));
		assert_int_equal(open_err(p->b, bad.d, bad.len),
		    E2_ERR_MALFORMED);
	}
	/* A counter that is never sealed. */
	bad = g;
	memset(bad.d + 1, 0xff, 4);
	assert_int_equal(open_err(p->b, bad.d, bad.len), E2_ERR_MALFORMED);
	/* Longer than any datagram. */
	memset(big, 0, sizeof(big));
	memcpy(big, g.d, g.len);
	assert_int_equal(open_err(p->b, big, sizeof(big)), E2_ERR_TOOBIG);
	assert_int_equal(mpkt_open(p->b, g.d, g.len, out, 40, &n, &t, &ctr),
	    0);
	assert_int_equal(n, 40);
}

static void
test_replay_dropped(void **state)
{
	struct pair *p = *state;
	struct dgram g, c;

	seal(p->a, MPKT_AUDIO, 20, 1, &g);
	seal(p->a, MPKT_CONTROL, 20, 2, &c);
	open_ok(p->b, &g, MPKT_AUDIO, 1);
	assert_int_equal(open_err(p->b, g.d, g.len), E2_ERR_REPLAY);
	/* Classes have their own windows: control counter 0 is new. */
	assert_int_equal(hdr_ctr(&c), 0);
	open_ok(p->b, &c, MPKT_CONTROL, 2);
	assert_int_equal(open_err(p->b, c.d, c.len), E2_ERR_REPLAY);
	assert_int_equal(open_err(p->b, g.d, g.len), E2_ERR_REPLAY);
}

static void
test_reorder(void **state)
{
	struct pair *p = *state;
	static const int order[] = { 5, 3, 9, 0, 1, 8, 2, 7, 4, 6 };
	struct dgram g[10];
	int i;

	for (i = 0; i < 10; i++)
		seal(p->a, MPKT_AUDIO, 30, (uint8_t)i, &g[i]);
	for (i = 0; i < 10; i++)
		open_ok(p->b, &g[order[i]], MPKT_AUDIO, (uint8_t)order[i]);
	for (i = 0; i < 10; i++)
		assert_int_equal(open_err(p->b, g[i].d, g[i].len),
		    E2_ERR_REPLAY);
}

static void
test_too_old(void **state)
{
	struct pair *p = *state;
	struct dgram g0, g1, g2, top;

	seal(p->a, MPKT_AUDIO, 10, 0, &g0);
	seal(p->a, MPKT_AUDIO, 10, 1, &g1);
	seal(p->a, MPKT_AUDIO, 10, 2, &g2);
	assert_int_equal(mpkt_skip_audio(p->a, 1024 - 3), 0);
	seal(p->a, MPKT_AUDIO, 10, 9, &top);
	assert_int_equal(hdr_ctr(&top), 1024);
	open_ok(p->b, &top, MPKT_AUDIO, 9);
	/* 1024 behind: gone; 1023 behind: still accepted. */
	assert_int_equal(open_err(p->b, g0.d, g0.len), E2_ERR_REPLAY);
	open_ok(p->b, &g1, MPKT_AUDIO, 1);
	open_ok(p->b, &g2, MPKT_AUDIO, 2);
}

static void
test_future_phase(void **state)
{
	struct pair *p = *state;
	struct dgram g0, g1, g2, bad;
	int ph;

	seal(p->a, MPKT_AUDIO, 10, 0, &g0);
	assert_int_equal(mpkt_skip_audio(p->a, RI - 1), 0);
	seal(p->a, MPKT_AUDIO, 10, 1, &g1);
	assert_int_equal(mpkt_skip_audio(p->a, RI - 1), 0);
	seal(p->a, MPKT_AUDIO, 10, 2, &g2);
	assert_int_equal(g1.d[0] & 15, 1);
	assert_int_equal(g2.d[0] & 15, 2);

	/* Two ahead: dropped, and nothing moved. */
	assert_int_equal(open_err(p->b, g2.d, g2.len), E2_ERR_FUTURE);
	assert_int_equal(mpkt_recv_phase(p->b), 0);
	/* Phase 15 at phase 0 would be "previous", which does not exist. */
	for (ph = 2; ph < 16; ph++) {
		bad = g0;
		bad.d[0] = (uint8_t)(MPKT_AUDIO << 4 | ph);
		assert_int_equal(open_err(p->b, bad.d, bad.len),
		    E2_ERR_FUTURE);
	}
	open_ok(p->b, &g0, MPKT_AUDIO, 0);
	open_ok(p->b, &g1, MPKT_AUDIO, 1);
	assert_int_equal(mpkt_recv_phase(p->b), 1);
	open_ok(p->b, &g2, MPKT_AUDIO, 2);
	assert_int_equal(mpkt_recv_phase(p->b), 2);
}

/*
 * Flips every bit of g, one at a time, and expects each variant to fail
 * without changing m; then g itself must still open.
 */
static void
flip_all(struct mpkt *m, const struct dgram *g, enum mpkt_type type,
    uint8_t tag)
{
	uint32_t phase = mpkt_recv_phase(m);
	struct dgram bad;
	size_t i;
	int bit, r;

	for (i = 0; i < g->len; i++) {
		for (bit = 0; bit < 8; bit++) {
			bad = *g;
			bad.d[i] ^= (uint8_t)(1 << bit);
			r = open_err(m, bad.d, bad.len);
			if (r == 0)
				fail_msg("byte %zu bit %d accepted", i, bit);
			assert_int_equal(mpkt_recv_phase(m), phase);
		}
	}
	open_ok(m, g, type, tag);
}

static void
test_bitflip(void **state)
{
	struct pair *p = *state;
	struct dgram g[6];
	int i;

	for (i = 0; i < 3; i++)
		seal(p->a, MPKT_AUDIO, 48, (uint8_t)i, &g[i]);
	for (i = 3; i < 6; i++)
		seal(p->a, MPKT_CONTROL, 48, (uint8_t)i, &g[i]);
	open_ok(p->b, &g[0], MPKT_AUDIO, 0);
	/*
	 * Flips in the counter make new counters, far ahead or behind; had
	 * any of them been recorded, counters 1 and 2 would now be refused.
	 */
	flip_all(p->b, &g[1], MPKT_AUDIO, 1);
	open_ok(p->b, &g[2], MPKT_AUDIO, 2);
	flip_all(p->b, &g[3], MPKT_CONTROL, 3);
	open_ok(p->b, &g[4], MPKT_CONTROL, 4);

	/* Again one phase later, where "previous" and "next" both exist. */
	mpkt_test_set_counters(p->a, RI, 10);
	seal(p->a, MPKT_AUDIO, 48, 6, &g[0]);
	open_ok(p->b, &g[0], MPKT_AUDIO, 6);
	assert_int_equal(mpkt_recv_phase(p->b), 1);
	seal(p->a, MPKT_AUDIO, 48, 7, &g[1]);
	flip_all(p->b, &g[1], MPKT_AUDIO, 7);
	open_ok(p->b, &g[5], MPKT_CONTROL, 5);	/* phase 0, previous */

	/* And a packet that would move the receiver to the next phase. */
	mpkt_test_set_counters(p->a, 2 * RI, 11);
	seal(p->a, MPKT_AUDIO, 48, 8, &g[2]);
	assert_int_equal(mpkt_send_phase(p->a), 2);
	flip_all(p->b, &g[2], MPKT_AUDIO, 8);
	assert_int_equal(mpkt_recv_phase(p->b), 2);
}

static void
test_truncation(void **state)
{
	struct pair *p = *state;
	struct dgram g, longer;
	size_t len;
	int r;

	seal(p->a, MPKT_CONTROL, 64, 5, &g);
	for (len = 0; len < g.len; len++) {
		r = open_err(p->b, g.d, len);
		if (len < MPKT_OVERHEAD)
			assert_int_equal(r, E2_ERR_SHORT);
		else
			assert_int_equal(r, E2_ERR_AUTH);
	}
	longer = g;
	longer.d[g.len] = 0;
	longer.len = g.len + 1;
	assert_int_equal(open_err(p->b, longer.d, longer.len), E2_ERR_AUTH);
	open_ok(p->b, &g, MPKT_CONTROL, 5);
}

static void
test_wrong_key(void **state)
{
	struct pair *p = *state;
	struct mpkt *eve;
	uint8_t k[32];
	struct dgram g, moved;

	seal(p->a, MPKT_AUDIO, 20, 1, &g);
	/* Alice cannot open her own packets: other direction, other key. */
	assert_int_equal(open_err(p->a, g.d, g.len), E2_ERR_AUTH);
	memcpy(k, p->k_ab, 32);
	k[31] ^= 1;
	assert_int_equal(mpkt_new(&eve, p->k_ba, k), 0);
	assert_int_equal(open_err(eve, g.d, g.len), E2_ERR_AUTH);
	mpkt_free(eve);
	/* Relabelled as control: other nonce class, other AD. */
	moved = g;
	moved.d[0] = (uint8_t)(MPKT_CONTROL << 4 | (g.d[0] & 15));
	assert_int_equal(open_err(p->b, moved.d, moved.len), E2_ERR_AUTH);
	open_ok(p->b, &g, MPKT_AUDIO, 1);
}

static void
test_rekey_boundary(void **state)
{
	struct pair *p = *state;
	struct dgram a[4], c0, c1, c2, x;
	uint32_t i;

	/* Audio 4094, 4095 under phase 0; 4096, 4097 under phase 1. */
	mpkt_test_set_counters(p->a, RI - 2, 0);
	seal(p->a, MPKT_CONTROL, 8, 20, &c0);	/* control at phase 0 */
	for (i = 0; i < 4; i++) {
		seal(p->a, MPKT_AUDIO, 30, (uint8_t)i, &a[i]);
		assert_int_equal(hdr_ctr(&a[i]), RI - 2 + i);
		assert_int_equal(a[i].d[0] & 15, i < 2 ? 0 : 1);
		assert_int_equal(mpkt_send_phase(p->a), i < 2 ? 0 : 1);
	}
	seal(p->a, MPKT_CONTROL, 8, 21, &c1);	/* control at phase 1 */
	assert_int_equal(c1.d[0] & 15, 1);

	/* Out of order across the boundary: new phase first. */
	open_ok(p->b, &a[2], MPKT_AUDIO, 2);
	assert_int_equal(mpkt_recv_phase(p->b), 1);
	open_ok(p->b, &a[0], MPKT_AUDIO, 0);	/* previous key */
	open_ok(p->b, &a[3], MPKT_AUDIO, 3);
	open_ok(p->b, &a[1], MPKT_AUDIO, 1);
	open_ok(p->b, &c1, MPKT_CONTROL, 21);
	assert_int_equal(mpkt_recv_phase(p->b), 1);

	/* Phase 2: control packet 0 (phase 0) is two phases back. */
	assert_int_equal(mpkt_skip_audio(p->a, RI), 0);
	seal(p->a, MPKT_AUDIO, 30, 9, &x);
	assert_int_equal(mpkt_send_phase(p->a), 2);
	seal(p->a, MPKT_CONTROL, 8, 22, &c2);
	open_ok(p->b, &c2, MPKT_CONTROL, 22);	/* control moves it too */
	assert_int_equal(mpkt_recv_phase(p->b), 2);
	assert_int_equal(open_err(p->b, c0.d, c0.len), E2_ERR_FUTURE);
	/* Even relabelled as phase 1 or 2 it cannot open: other keys. */
	c0.d[0] = (uint8_t)(MPKT_CONTROL << 4 | 1);
	assert_int_equal(open_err(p->b, c0.d, c0.len), E2_ERR_AUTH);
	c0.d[0] = (uint8_t)(MPKT_CONTROL << 4 | 2);
	assert_int_equal(open_err(p->b, c0.d, c0.len), E2_ERR_AUTH);
	open_ok(p->b, &x, MPKT_AUDIO, 9);
}

/*
 * A control packet sent at phase p opens while the receiver is at p - 1,
 * p or p + 1.
 */
static void
test_control_follows_phase(void **state)
{
	struct pair *p = *state;
	struct dgram c0, c1, c1b, c2, a1, a2;

	seal(p->a, MPKT_CONTROL, 8, 0, &c0);		/* phase 0 */
	mpkt_test_set_counters(p->a, RI - 1, 1);
	assert_int_equal(mpkt_skip_audio(p->a, 1), 0);	/* next audio: RI */
	/* The next audio counter is in interval 1: control rekeys too. */
	seal(p->a, MPKT_CONTROL, 8, 1, &c1);
	seal(p->a, MPKT_CONTROL, 8, 5, &c1b);
	assert_int_equal(c1.d[0] & 15, 1);
	assert_int_equal(c1b.d[0] & 15, 1);
	seal(p->a, MPKT_AUDIO, 8, 2, &a1);
	assert_int_equal(a1.d[0] & 15, 1);
	assert_int_equal(mpkt_skip_audio(p->a, RI), 0);
	seal(p->a, MPKT_AUDIO, 8, 3, &a2);
	seal(p->a, MPKT_CONTROL, 8, 4, &c2);
	assert_int_equal(c2.d[0] & 15, 2);

	open_ok(p->b, &c1, MPKT_CONTROL, 1);		/* receiver at p - 1 */
	assert_int_equal(mpkt_recv_phase(p->b), 1);
	open_ok(p->b, &a2, MPKT_AUDIO, 3);
	assert_int_equal(mpkt_recv_phase(p->b), 2);
	open_ok(p->b, &c1b, MPKT_CONTROL, 5);		/* receiver at p + 1 */
	open_ok(p->b, &c2, MPKT_CONTROL, 4);		/* receiver at p */
	assert_int_equal(open_err(p->b, c0.d, c0.len), E2_ERR_FUTURE);
	/* Audio 4096 is 4097 behind 8193: out of the audio window. */
	assert_int_equal(open_err(p->b, a1.d, a1.len), E2_ERR_REPLAY);
	assert_int_equal(mpkt_recv_phase(p->b), 2);
}

/* A long mute moves the sender one phase, not one per interval. */
static void
test_skip_many_intervals(void **state)
{
	struct pair *p = *state;
	struct dgram g;
	uint32_t i;

	for (i = 1; i <= 40; i++) {
		assert_int_equal(mpkt_skip_audio(p->a, 3 * RI + 17), 0);
		seal(p->a, MPKT_AUDIO, 12, (uint8_t)i, &g);
		assert_int_equal(mpkt_send_phase(p->a), i);
		assert_int_equal(g.d[0] & 15, i & 15);
		open_ok(p->b, &g, MPKT_AUDIO, (uint8_t)i);
		assert_int_equal(mpkt_recv_phase(p->b), i);
	}
}

/* Phases beyond 16 wrap in the header; previous/next still resolve. */
static void
test_phase_wrap(void **state)
{
	struct pair *p = *state;
	struct dgram late, g;
	uint32_t i, next = 0;

	for (i = 0; i < 35; i++) {
		assert_int_equal(mpkt_send_phase(p->a), i);
		assert_int_equal(mpkt_recv_phase(p->b), i);
		seal(p->a, MPKT_CONTROL, 10, (uint8_t)(100 + i), &late);
		assert_int_equal(late.d[0] & 15, i & 15);
		/* The first audio packet of the next interval. */
		assert_int_equal(mpkt_skip_audio(p->a, (i + 1) * RI - next), 0);
		seal(p->a, MPKT_AUDIO, 10, (uint8_t)i, &g);
		next = (i + 1) * RI + 1;
		assert_int_equal(g.d[0] & 15, (i + 1) & 15);
		open_ok(p->b, &g, MPKT_AUDIO, (uint8_t)i);
		assert_int_equal(mpkt_recv_phase(p->b), i + 1);
		/* The control packet arrives late, from the previous phase. */
		open_ok(p->b, &late, MPKT_CONTROL, (uint8_t)(100 + i));
	}
	assert_int_equal(mpkt_recv_phase(p->b), 35);
}

static void
test_counter_limit(void **state)
{
	struct pair *p = *state;
	uint8_t out[64];
	struct dgram a, c;
	size_t n;

	mpkt_test_set_counters(p->a, MPKT_COUNTER_LIMIT - 1,
	    MPKT_COUNTER_LIMIT - 1);
	seal(p->a, MPKT_AUDIO, 5, 1, &a);
	seal(p->a, MPKT_CONTROL, 5, 2, &c);
	assert_int_equal(hdr_ctr(&a), 0xfffffffe);
	assert_int_equal(hdr_ctr(&c), 0xfffffffe);
	assert_int_equal(mpkt_seal(p->a, MPKT_AUDIO, out, 5, out,
	    sizeof(out), &n), E2_ERR_NONCE);
	assert_int_equal(mpkt_seal(p->a, MPKT_CONTROL, out, 5, out,
	    sizeof(out), &n), E2_ERR_NONCE);
	assert_int_equal(mpkt_skip_audio(p->a, 1), E2_ERR_NONCE);
	assert_int_equal(mpkt_skip_audio(p->a, 0), 0);
	/* The last packets still open (one phase forward). */
	open_ok(p->b, &a, MPKT_AUDIO, 1);
	open_ok(p->b, &c, MPKT_CONTROL, 2);
	assert_int_equal(mpkt_recv_phase(p->b), 1);

	/* skip_audio may reach the limit exactly, never pass it. */
	mpkt_test_set_counters(p->b, 10, 0);
	assert_int_equal(mpkt_skip_audio(p->b, MPKT_COUNTER_LIMIT - 9),
	    E2_ERR_NONCE);
	assert_int_equal(mpkt_skip_audio(p->b, MPKT_COUNTER_LIMIT - 10), 0);
	assert_int_equal(mpkt_seal(p->b, MPKT_AUDIO, out, 5, out,
	    sizeof(out), &n), E2_ERR_NONCE);
	/* Control has its own counter and goes on. */
	assert_int_equal(mpkt_seal(p->b, MPKT_CONTROL, out, 5, out,
	    sizeof(out), &n), 0);
	mpkt_test_set_counters(p->b, MPKT_COUNTER_LIMIT, MPKT_COUNTER_LIMIT);
	assert_int_equal(mpkt_seal(p->b, MPKT_CONTROL, out, 5, out,
	    sizeof(out), &n), E2_ERR_NONCE);
}

/* ---- control messages ---- */

static void
test_ctrl_roundtrip(void **state)
{
	static const struct mpkt_ctrl cases[] = {
		{ MPKT_CTRL_PING, 0x0102030405060708ull, 0, 0, 0 },
		{ MPKT_CTRL_PING, 0, 0, 0, 0 },
		{ MPKT_CTRL_PONG, UINT64_MAX, 0, 0, 0 },
		{ MPKT_CTRL_BYE, 0, SIG_R_NONE, 0, 0 },
		{ MPKT_CTRL_BYE, 0, SIG_R_HANGUP, 0, 0 },
		{ MPKT_CTRL_BYE, 0, SIG_R_MAX, 0, 0 },
		{ MPKT_CTRL_STATS, 0, 0, 0, 0 },
		{ MPKT_CTRL_STATS, 0, 0, 1000, 65535 },
		{ MPKT_CTRL_CHECK, 42, 0, 0, 0 },
		{ MPKT_CTRL_CHECK_REPLY, 0xdeadbeefcafef00dull, 0, 0, 0 },
	};
	static const size_t lens[] = { 9, 9, 9, 2, 2, 2, 5, 5, 9, 9 };
	struct mpkt_ctrl c;
	uint8_t out[MPKT_CTRL_MAXLEN];
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(mpkt_ctrl_encode(&cases[i], out, sizeof(out),
		    &n), 0);
		assert_int_equal(n, lens[i]);
		assert_int_equal(out[0], cases[i].type);
		memset(&c, 0xee, sizeof(c));
		assert_int_equal(mpkt_ctrl_decode(&c, out, n), 0);
		assert_int_equal(c.type, cases[i].type);
		assert_true(c.value == cases[i].value);
		assert_int_equal(c.reason, cases[i].reason);
		assert_int_equal(c.loss_pm, cases[i].loss_pm);
		assert_int_equal(c.jitter_ms, cases[i].jitter_ms);
		/* exact length: one byte less room is not enough */
		assert_int_equal(mpkt_ctrl_encode(&cases[i], out, n - 1, &n),
		    E2_ERR_SPACE);
	}
}

static void
test_ctrl_bytes(void **state)
{
	static const uint8_t ping[] = { 1, 1, 2, 3, 4, 5, 6, 7, 8 };
	static const uint8_t stats[] = { 4, 0x01, 0x2c, 0x00, 0x15 };
	static const uint8_t bye[] = { 3, 17 };
	struct mpkt_ctrl c;
	uint8_t out[16];
	size_t n;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.type = MPKT_CTRL_PING;
	c.value = 0x0102030405060708ull;
	c.reason = 9;		/* not carried by PING */
	assert_int_equal(mpkt_ctrl_encode(&c, out, sizeof(out), &n), 0);
	assert_int_equal(n, sizeof(ping));
	assert_memory_equal(out, ping, sizeof(ping));

	memset(&c, 0, sizeof(c));
	c.type = MPKT_CTRL_STATS;
	c.loss_pm = 300;
	c.jitter_ms = 21;
	c.value = 77;		/* not carried by STATS */
	assert_int_equal(mpkt_ctrl_encode(&c, out, sizeof(out), &n), 0);
	assert_int_equal(n, sizeof(stats));
	assert_memory_equal(out, stats, sizeof(stats));

	assert_int_equal(mpkt_ctrl_decode(&c, bye, sizeof(bye)), 0);
	assert_int_equal(c.type, MPKT_CTRL_BYE);
	assert_int_equal(c.reason, SIG_R_MEDIA);
	assert_true(c.value == 0);
	assert_int_equal(c.loss_pm, 0);
}

static void
test_ctrl_malformed(void **state)
{
	static const uint8_t ping[] = { 1, 1, 2, 3, 4, 5, 6, 7, 8, 0 };
	static const uint8_t bye[] = { 3, 0, 0 };
	static const uint8_t stats[] = { 4, 0x03, 0xe9, 0x00, 0x15, 0 };
	static const uint8_t unknown[] = { 0, 7, 8, 0x10, 0x41, 0xff };
	struct mpkt_ctrl c, keep;
	uint8_t buf[16], out[16];
	size_t i, len, n;

	(void)state;
	memset(&keep, 0xab, sizeof(keep));
	memcpy(&c, &keep, sizeof(c));
	assert_int_equal(mpkt_ctrl_decode(&c, NULL, 0), E2_ERR_SHORT);
	assert_int_equal(mpkt_ctrl_decode(&c, ping, 0), E2_ERR_SHORT);
	/* Every truncation, then one trailing byte. */
	for (len = 1; len < 9; len++)
		assert_int_equal(mpkt_ctrl_decode(&c, ping, len),
		    E2_ERR_SHORT);
	assert_int_equal(mpkt_ctrl_decode(&c, ping, 10), E2_ERR_MALFORMED);
	assert_int_equal(mpkt_ctrl_decode(&c, bye, 1), E2_ERR_SHORT);
	assert_int_equal(mpkt_ctrl_decode(&c, bye, 3), E2_ERR_MALFORMED);
	for (len = 1; len < 5; len++)
		assert_int_equal(mpkt_ctrl_decode(&c, stats, len),
		    E2_ERR_SHORT);
	/* reason past the last signaling reason code */
	buf[0] = MPKT_CTRL_BYE;
	buf[1] = SIG_R_MAX + 1;
	assert_int_equal(mpkt_ctrl_decode(&c, buf, 2), E2_ERR_MALFORMED);
	buf[1] = 0xff;
	assert_int_equal(mpkt_ctrl_decode(&c, buf, 2), E2_ERR_MALFORMED);
	/* loss 1001 per mille */
	assert_int_equal(mpkt_ctrl_decode(&c, stats, 5), E2_ERR_MALFORMED);
	assert_int_equal(mpkt_ctrl_decode(&c, stats, 6), E2_ERR_MALFORMED);
	for (i = 0; i < sizeof(unknown); i++) {
		memset(buf, 0, sizeof(buf));
		buf[0] = unknown[i];
		for (len = 1; len <= 9; len++)
			assert_int_equal(mpkt_ctrl_decode(&c, buf, len),
			    E2_ERR_MALFORMED);
	}
	assert_memory_equal(&c, &keep, sizeof(c));	/* never written */

	memset(&c, 0, sizeof(c));
	c.type = 7;
	assert_int_equal(mpkt_ctrl_encode(&c, out, sizeof(out), &n),
	    E2_ERR_INVAL);
	c.type = 0;
	assert_int_equal(mpkt_ctrl_encode(&c, out, sizeof(out), &n),
	    E2_ERR_INVAL);
	c.type = MPKT_CTRL_STATS;
	c.loss_pm = 1001;
	assert_int_equal(mpkt_ctrl_encode(&c, out, sizeof(out), &n),
	    E2_ERR_INVAL);
	c.type = MPKT_CTRL_BYE;
	c.reason = SIG_R_MAX + 1;
	assert_int_equal(mpkt_ctrl_encode(&c, out, sizeof(out), &n),
	    E2_ERR_INVAL);
}

/* A control message through a sealed packet, as media glue uses it. */
static void
test_ctrl_in_packet(void **state)
{
	struct pair *p = *state;
	struct mpkt_ctrl c, got;
	uint8_t msg[MPKT_CTRL_MAXLEN], pt[MPKT_CTRL_MAXLEN];
	struct dgram g;
	enum mpkt_type t;
	uint32_t ctr;
	size_t n;

	memset(&c, 0, sizeof(c));
	c.type = MPKT_CTRL_CHECK;
	c.value = 0x1122334455667788ull;
	assert_int_equal(mpkt_ctrl_encode(&c, msg, sizeof(msg), &n), 0);
	assert_int_equal(mpkt_seal(p->a, MPKT_CONTROL, msg, n, g.d,
	    sizeof(g.d), &g.len), 0);
	assert_int_equal(g.len, n + MPKT_OVERHEAD);
	assert_int_equal(mpkt_open(p->b, g.d, g.len, pt, sizeof(pt), &n, &t,
	    &ctr), 0);
	assert_int_equal(t, MPKT_CONTROL);
	assert_int_equal(mpkt_ctrl_decode(&got, pt, n), 0);
	assert_int_equal(got.type, MPKT_CTRL_CHECK);
	assert_true(got.value == c.value);
}

#define T(f)	cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_overhead),
		T(test_roundtrip),
		T(test_wire_format),
		cmocka_unit_test(test_known_answer),
		T(test_seal_errors),
		T(test_open_errors),
		T(test_replay_dropped),
		T(test_reorder),
		T(test_too_old),
		T(test_future_phase),
		T(test_bitflip),
		T(test_truncation),
		T(test_wrong_key),
		T(test_rekey_boundary),
		T(test_control_follows_phase),
		T(test_skip_many_intervals),
		T(test_phase_wrap),
		T(test_counter_limit),
		cmocka_unit_test(test_ctrl_roundtrip),
		cmocka_unit_test(test_ctrl_bytes),
		cmocka_unit_test(test_ctrl_malformed),
		T(test_ctrl_in_packet),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
