/*
 * t_noise.c - the Noise core: handshakes wired together in memory, the
 * CipherState, failure handling, HMAC-BLAKE2b, the security code and
 * fingerprints.  Known answers were computed independently (Python's
 * hashlib, hmac and the cryptography package) and are hard-coded here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <sodium.h>

#include "err.h"
#include "noise.h"

#define NN	"Noise_NN_25519_ChaChaPoly_BLAKE2b"
#define XX	"Noise_XX_25519_ChaChaPoly_BLAKE2b"
#define IK	"Noise_IK_25519_ChaChaPoly_BLAKE2b"
#define XXPSK3	"Noise_XXpsk3_25519_ChaChaPoly_BLAKE2b"
#define NNPSK02	"Noise_NNpsk0+psk2_25519_ChaChaPoly_BLAKE2b"
#define IKPSK1	"Noise_IKpsk1_25519_ChaChaPoly_BLAKE2b"

#define BIG	(NOISE_MAX_MSGLEN + 64)

static const char prologue[] = "e2call-signal/1";

/* One party's keys; the same for every test. */
struct party {
	uint8_t	priv[NOISE_KEYLEN];
	uint8_t	pub[NOISE_KEYLEN];
};

static struct party alice, bob, mallory;
static uint8_t psk_a[NOISE_KEYLEN], psk_b[NOISE_KEYLEN];

static int
npsks(const char *proto)
{
	int n = 0;
	const char *p;

	for (p = proto; (p = strstr(p, "psk")) != NULL; p += 3)
		n++;
	return n;
}

static int
needs_static(const char *proto)
{
	return strncmp(proto, "Noise_NN", 8) != 0;
}

static int
is_ik(const char *proto)
{
	return strncmp(proto, "Noise_IK", 8) == 0;
}

/*
 * Creates and starts one side: initiator alice, responder bob; the IK
 * initiator is told rs (normally bob's key).
 */
static struct noise_hs *
mk(const char *proto, enum noise_role role, const uint8_t *rs)
{
	struct noise_hs *hs = NULL;
	const struct party *me = role == NOISE_INITIATOR ? &alice : &bob;
	int i;

	assert_int_equal(noise_hs_new(&hs, proto, role), 0);
	assert_int_equal(noise_hs_action(hs), NOISE_ACTION_NONE);
	assert_int_equal(noise_hs_set_prologue(hs, (const uint8_t *)prologue,
	    strlen(prologue)), 0);
	/* Responders take the key pair as a server does, initiators derive. */
	if (needs_static(proto) && role == NOISE_RESPONDER)
		assert_int_equal(noise_hs_set_local_keypair(hs, me->priv,
		    me->pub), 0);
	else if (needs_static(proto))
		assert_int_equal(noise_hs_set_local_static(hs, me->priv), 0);
	if (is_ik(proto) && role == NOISE_INITIATOR)
		assert_int_equal(noise_hs_set_remote_static(hs,
		    rs != NULL ? rs : bob.pub), 0);
	for (i = 0; i < npsks(proto); i++)
		assert_int_equal(noise_hs_add_psk(hs, i % 2 ? psk_b : psk_a),
		    0);
	assert_int_equal(noise_hs_start(hs), 0);
	return hs;
}

/* Moves one handshake message from tx to rx; returns rx's result. */
static int
pass(struct noise_hs *tx, struct noise_hs *rx, const char *payload)
{
	uint8_t msg[BIG], pay[BIG];
	size_t mlen, plen, n = strlen(payload);
	int r;

	assert_int_equal(noise_hs_action(tx), NOISE_ACTION_WRITE);
	assert_int_equal(noise_hs_action(rx), NOISE_ACTION_READ);
	assert_int_equal(noise_hs_write(tx, (const uint8_t *)payload, n, msg,
	    sizeof(msg), &mlen), 0);
	r = noise_hs_read(rx, msg, mlen, pay, sizeof(pay), &plen);
	if (r == 0) {
		assert_int_equal(plen, n);
		assert_memory_equal(pay, payload, n);
	}
	return r;
}

/* Runs a whole handshake; both sides end in SPLIT with the same h. */
static void
handshake(struct noise_hs *i, struct noise_hs *r)
{
	uint8_t hi[NOISE_HASHLEN], hr[NOISE_HASHLEN];
	struct noise_hs *tx = i, *rx = r, *t;
	int n = 0;

	while (noise_hs_action(i) != NOISE_ACTION_SPLIT) {
		assert_int_equal(pass(tx, rx, n % 2 ? "pong" : "ping"), 0);
		t = tx, tx = rx, rx = t;
		assert_true(++n <= 3);
	}
	assert_int_equal(noise_hs_action(r), NOISE_ACTION_SPLIT);
	assert_int_equal(noise_hs_handshake_hash(i, hi), 0);
	assert_int_equal(noise_hs_handshake_hash(r, hr), 0);
	assert_memory_equal(hi, hr, sizeof(hi));
}

/* One transport message each way; the receiver gets what was sent. */
static void
transport(struct noise_cs *send, struct noise_cs *recv, const char *text)
{
	uint8_t ct[256], pt[256];
	size_t clen, plen, n = strlen(text);

	assert_int_equal(noise_cs_encrypt(send, NULL, 0,
	    (const uint8_t *)text, n, ct, sizeof(ct), &clen), 0);
	assert_int_equal(clen, n + NOISE_TAGLEN);
	assert_memory_not_equal(ct, text, n);
	assert_int_equal(noise_cs_decrypt(recv, NULL, 0, ct, clen, pt,
	    sizeof(pt), &plen), 0);
	assert_int_equal(plen, n);
	assert_memory_equal(pt, text, n);
}

static void
full_run(const char *proto)
{
	struct noise_hs *i = mk(proto, NOISE_INITIATOR, NULL);
	struct noise_hs *r = mk(proto, NOISE_RESPONDER, NULL);
	struct noise_cs *is, *ir, *rs, *rr;
	uint8_t pub[NOISE_KEYLEN], h1[NOISE_HASHLEN], h2[NOISE_HASHLEN];
	int k;

	handshake(i, r);
	if (needs_static(proto)) {
		assert_int_equal(noise_hs_remote_static(i, pub), 0);
		assert_memory_equal(pub, bob.pub, NOISE_KEYLEN);
		assert_int_equal(noise_hs_remote_static(r, pub), 0);
		assert_memory_equal(pub, alice.pub, NOISE_KEYLEN);
	} else {
		assert_int_equal(noise_hs_remote_static(i, pub), E2_ERR_STATE);
		assert_int_equal(noise_hs_remote_static(r, pub), E2_ERR_STATE);
	}
	assert_int_equal(noise_hs_handshake_hash(i, h1), 0);
	assert_int_equal(noise_hs_split(i, &is, &ir), 0);
	assert_int_equal(noise_hs_split(r, &rs, &rr), 0);
	/* afterwards: h kept, a second split refused */
	assert_int_equal(noise_hs_action(i), NOISE_ACTION_NONE);
	assert_int_equal(noise_hs_handshake_hash(i, h2), 0);
	assert_memory_equal(h1, h2, sizeof(h1));
	assert_int_equal(noise_hs_split(i, &is, &ir), E2_ERR_STATE);
	if (needs_static(proto)) {
		assert_int_equal(noise_hs_remote_static(r, pub), 0);
		assert_memory_equal(pub, alice.pub, NOISE_KEYLEN);
	}
	for (k = 0; k < 3; k++) {
		transport(is, rr, "initiator to responder");
		transport(rs, ir, "and back");
	}
	assert_int_equal(noise_cs_nonce(is), 3);
	assert_int_equal(noise_cs_nonce(rr), 3);
	noise_cs_free(is);
	noise_cs_free(ir);
	noise_cs_free(rs);
	noise_cs_free(rr);
	noise_hs_free(i);
	noise_hs_free(r);
}

static int
setup_keys(void **state)
{
	(void)state;
	if (sodium_init() < 0)
		return -1;
	noise_keypair(alice.priv, alice.pub);
	noise_keypair(bob.priv, bob.pub);
	noise_keypair(mallory.priv, mallory.pub);
	randombytes_buf(psk_a, sizeof(psk_a));
	randombytes_buf(psk_b, sizeof(psk_b));
	return 0;
}

static void
test_nn(void **state)
{
	(void)state;
	full_run(NN);
}

static void
test_xx(void **state)
{
	(void)state;
	full_run(XX);
}

static void
test_ik(void **state)
{
	(void)state;
	full_run(IK);
}

static void
test_psk(void **state)
{
	(void)state;
	full_run(XXPSK3);
	full_run(NNPSK02);
	full_run(IKPSK1);
}

/* split_keys gives matching raw keys, the same as split's CipherStates. */
static void
test_split_keys(void **state)
{
	struct noise_hs *i = mk(XX, NOISE_INITIATOR, NULL);
	struct noise_hs *r = mk(XX, NOISE_RESPONDER, NULL);
	uint8_t is[NOISE_KEYLEN], ir[NOISE_KEYLEN];
	uint8_t rs[NOISE_KEYLEN], rr[NOISE_KEYLEN], h[NOISE_HASHLEN];
	struct noise_cs *a, *b;

	(void)state;
	handshake(i, r);
	assert_int_equal(noise_hs_split_keys(NULL, is, ir), E2_ERR_INVAL);
	assert_int_equal(noise_hs_split_keys(i, is, ir), 0);
	assert_int_equal(noise_hs_split_keys(r, rs, rr), 0);
	assert_memory_equal(is, rr, NOISE_KEYLEN);
	assert_memory_equal(ir, rs, NOISE_KEYLEN);
	assert_memory_not_equal(is, ir, NOISE_KEYLEN);
	assert_int_equal(noise_hs_split_keys(i, is, ir), E2_ERR_STATE);
	assert_int_equal(noise_hs_handshake_hash(r, h), 0);

	assert_int_equal(noise_cs_new(&a, is), 0);
	assert_int_equal(noise_cs_new(&b, rr), 0);
	transport(a, b, "raw keys");
	noise_cs_free(a);
	noise_cs_free(b);
	noise_hs_free(i);
	noise_hs_free(r);
}

/* Checks that hs is FAILED for good. */
static void
assert_failed(struct noise_hs *hs)
{
	uint8_t buf[256], h[NOISE_HASHLEN];
	size_t n;
	struct noise_cs *a, *b;

	assert_int_equal(noise_hs_action(hs), NOISE_ACTION_FAILED);
	assert_int_equal(noise_hs_write(hs, NULL, 0, buf, sizeof(buf), &n),
	    E2_ERR_FAILED);
	assert_int_equal(noise_hs_read(hs, buf, 48, buf, sizeof(buf), &n),
	    E2_ERR_FAILED);
	assert_int_equal(noise_hs_handshake_hash(hs, h), E2_ERR_FAILED);
	assert_int_equal(noise_hs_remote_static(hs, h), E2_ERR_FAILED);
	assert_int_equal(noise_hs_split(hs, &a, &b), E2_ERR_FAILED);
	assert_int_equal(noise_hs_split_keys(hs, buf, buf + 32),
	    E2_ERR_FAILED);
	assert_int_equal(noise_hs_set_prologue(hs, NULL, 0), E2_ERR_FAILED);
	assert_int_equal(noise_hs_start(hs), E2_ERR_FAILED);
}

/*
 * Flips one bit in every byte of message `which` in turn.  A message
 * that carries a tag is refused by its reader at once; the first
 * message of NN and XX has none (e and a clear payload), so the
 * change shows in h and the reader of the next message refuses it.
 */
static void
flips(const char *proto, int which)
{
	uint8_t msg[BIG], pay[BIG];
	size_t mlen, plen, j;
	struct noise_hs *i, *r, *tx, *rx, *t;
	int k, r1, authed;

	for (j = 0;; j++) {
		i = mk(proto, NOISE_INITIATOR, NULL);
		r = mk(proto, NOISE_RESPONDER, NULL);
		tx = i, rx = r;
		for (k = 0; k < which; k++) {
			assert_int_equal(pass(tx, rx, "x"), 0);
			t = tx, tx = rx, rx = t;
		}
		assert_int_equal(noise_hs_write(tx, (const uint8_t *)"data",
		    4, msg, sizeof(msg), &mlen), 0);
		if (j >= mlen) {
			noise_hs_free(i);
			noise_hs_free(r);
			break;
		}
		msg[j] ^= (uint8_t)(1u << (j % 8));
		r1 = noise_hs_read(rx, msg, mlen, pay, sizeof(pay), &plen);
		authed = !(which == 0 && npsks(proto) == 0 && !is_ik(proto));
		if (authed) {
			assert_true(r1 == E2_ERR_AUTH || r1 == E2_ERR_KEY);
			assert_failed(rx);
		} else {
			/* e or clear payload changed: h differs */
			assert_int_equal(r1, 0);
			t = tx, tx = rx, rx = t;
			assert_int_not_equal(pass(tx, rx, "y"), 0);
			assert_failed(rx);
		}
		noise_hs_free(i);
		noise_hs_free(r);
	}
	assert_true(j >= 36);	/* every byte of the message was tried */
}

static void
test_bitflips(void **state)
{
	(void)state;
	flips(NN, 0);
	flips(NN, 1);
	flips(XX, 0);
	flips(XX, 1);
	flips(XX, 2);
	flips(IK, 0);
	flips(IK, 1);
	flips(NNPSK02, 0);
	flips(NNPSK02, 1);
	flips(XXPSK3, 2);
}

/* Truncated, extended and empty messages fail too. */
static void
test_lengths(void **state)
{
	uint8_t msg[BIG], pay[BIG];
	size_t mlen, plen;
	struct noise_hs *i, *r;

	(void)state;
	i = mk(XX, NOISE_INITIATOR, NULL);
	r = mk(XX, NOISE_RESPONDER, NULL);
	assert_int_equal(noise_hs_write(i, NULL, 0, msg, sizeof(msg), &mlen),
	    0);
	assert_int_equal(mlen, 32);
	assert_int_equal(noise_hs_read(r, msg, 31, pay, sizeof(pay), &plen),
	    E2_ERR_SHORT);
	assert_failed(r);
	noise_hs_free(i);
	noise_hs_free(r);

	/* XX message 2 with empty payload: e 32 + s 48 + tag 16 */
	i = mk(XX, NOISE_INITIATOR, NULL);
	r = mk(XX, NOISE_RESPONDER, NULL);
	assert_int_equal(pass(i, r, ""), 0);
	assert_int_equal(noise_hs_write(r, NULL, 0, msg, sizeof(msg), &mlen),
	    0);
	assert_int_equal(mlen, 96);
	msg[mlen] = 0;
	assert_int_equal(noise_hs_read(i, msg, mlen + 1, pay, sizeof(pay),
	    &plen), E2_ERR_AUTH);
	assert_failed(i);
	noise_hs_free(i);
	noise_hs_free(r);

	/* message sizes of PROTOCOL.md 2.3 */
	i = mk(IK, NOISE_INITIATOR, NULL);
	r = mk(IK, NOISE_RESPONDER, NULL);
	assert_int_equal(noise_hs_write(i, NULL, 0, msg, sizeof(msg), &mlen),
	    0);
	assert_int_equal(mlen, 96);
	assert_int_equal(noise_hs_read(r, msg, mlen, pay, 0, &plen), 0);
	assert_int_equal(plen, 0);
	assert_int_equal(noise_hs_write(r, NULL, 0, msg, sizeof(msg), &mlen),
	    0);
	assert_int_equal(mlen, 48);
	assert_int_equal(noise_hs_read(i, msg, mlen - 1, pay, sizeof(pay),
	    &plen), E2_ERR_SHORT);
	noise_hs_free(i);
	noise_hs_free(r);
}

/* IK to a responder whose key is not the one the initiator expects. */
static void
test_ik_wrong_static(void **state)
{
	struct noise_hs *i, *r;

	(void)state;
	i = mk(IK, NOISE_INITIATOR, mallory.pub);
	r = mk(IK, NOISE_RESPONDER, NULL);
	assert_int_equal(pass(i, r, "hello"), E2_ERR_AUTH);
	assert_failed(r);
	noise_hs_free(i);
	noise_hs_free(r);
}

/* Different psks, different prologues: the handshake fails. */
static void
test_mismatch(void **state)
{
	struct noise_hs *i, *r;
	uint8_t other[NOISE_KEYLEN];

	(void)state;
	memset(other, 7, sizeof(other));
	i = mk(XXPSK3, NOISE_INITIATOR, NULL);
	assert_int_equal(noise_hs_new(&r, XXPSK3, NOISE_RESPONDER), 0);
	assert_int_equal(noise_hs_set_prologue(r, (const uint8_t *)prologue,
	    strlen(prologue)), 0);
	assert_int_equal(noise_hs_set_local_static(r, bob.priv), 0);
	assert_int_equal(noise_hs_add_psk(r, other), 0);
	assert_int_equal(noise_hs_start(r), 0);
	assert_int_equal(pass(i, r, ""), 0);
	assert_int_equal(pass(r, i, ""), 0);
	assert_int_equal(pass(i, r, ""), E2_ERR_AUTH);	/* psk3 */
	assert_failed(r);
	noise_hs_free(i);
	noise_hs_free(r);

	i = mk(NN, NOISE_INITIATOR, NULL);
	assert_int_equal(noise_hs_new(&r, NN, NOISE_RESPONDER), 0);
	assert_int_equal(noise_hs_set_prologue(r, (const uint8_t *)"x", 1),
	    0);
	assert_int_equal(noise_hs_start(r), 0);
	assert_int_equal(pass(i, r, ""), 0);
	assert_int_equal(pass(r, i, ""), E2_ERR_AUTH);
	assert_failed(i);
	noise_hs_free(i);
	noise_hs_free(r);
}

/* Calls out of order are refused and do not break the handshake. */
static void
test_order(void **state)
{
	uint8_t buf[256], h[NOISE_HASHLEN];
	size_t n;
	struct noise_hs *i, *r;
	struct noise_cs *a, *b;

	(void)state;
	assert_int_equal(noise_hs_new(&i, XX, NOISE_INITIATOR), 0);
	assert_int_equal(noise_hs_write(i, NULL, 0, buf, sizeof(buf), &n),
	    E2_ERR_STATE);		/* not started */
	assert_int_equal(noise_hs_handshake_hash(i, h), E2_ERR_STATE);
	assert_int_equal(noise_hs_set_prologue(i, (const uint8_t *)prologue,
	    strlen(prologue)), 0);
	assert_int_equal(noise_hs_start(i), E2_ERR_STATE);	/* no s */
	assert_int_equal(noise_hs_set_local_static(i, alice.priv), 0);
	assert_int_equal(noise_hs_start(i), 0);
	assert_int_equal(noise_hs_start(i), E2_ERR_STATE);
	assert_int_equal(noise_hs_set_prologue(i, NULL, 0), E2_ERR_STATE);
	assert_int_equal(noise_hs_set_local_static(i, alice.priv),
	    E2_ERR_STATE);
	assert_int_equal(noise_hs_set_remote_static(i, bob.pub),
	    E2_ERR_STATE);
	assert_int_equal(noise_hs_set_local_ephemeral(i, bob.priv),
	    E2_ERR_STATE);
	assert_int_equal(noise_hs_add_psk(i, psk_a), E2_ERR_STATE);
	/* the initiator writes first */
	assert_int_equal(noise_hs_action(i), NOISE_ACTION_WRITE);
	assert_int_equal(noise_hs_read(i, buf, 32, buf, sizeof(buf), &n),
	    E2_ERR_STATE);
	assert_int_equal(noise_hs_split(i, &a, &b), E2_ERR_STATE);
	assert_int_equal(noise_hs_remote_static(i, h), E2_ERR_STATE);

	r = mk(XX, NOISE_RESPONDER, NULL);
	assert_int_equal(noise_hs_action(r), NOISE_ACTION_READ);
	assert_int_equal(noise_hs_write(r, NULL, 0, buf, sizeof(buf), &n),
	    E2_ERR_STATE);
	assert_int_equal(noise_hs_split_keys(r, buf, buf + 32),
	    E2_ERR_STATE);
	/* none of that hurt: the handshake still completes */
	handshake(i, r);
	assert_int_equal(noise_hs_write(i, NULL, 0, buf, sizeof(buf), &n),
	    E2_ERR_STATE);
	assert_int_equal(noise_hs_read(r, buf, 48, buf, sizeof(buf), &n),
	    E2_ERR_STATE);
	noise_hs_free(i);
	noise_hs_free(r);
}

/* What noise_hs_start() checks before it lets a handshake run. */
static void
test_setup(void **state)
{
	struct noise_hs *hs;

	(void)state;
	/* IK initiator without the responder's key */
	assert_int_equal(noise_hs_new(&hs, IK, NOISE_INITIATOR), 0);
	assert_int_equal(noise_hs_set_local_static(hs, alice.priv), 0);
	assert_int_equal(noise_hs_start(hs), E2_ERR_STATE);
	assert_int_equal(noise_hs_set_remote_static(hs, bob.pub), 0);
	assert_int_equal(noise_hs_start(hs), 0);
	noise_hs_free(hs);

	/* a preset remote key where the pattern sends it */
	assert_int_equal(noise_hs_new(&hs, XX, NOISE_INITIATOR), 0);
	assert_int_equal(noise_hs_set_local_static(hs, alice.priv), 0);
	assert_int_equal(noise_hs_set_remote_static(hs, bob.pub), 0);
	assert_int_equal(noise_hs_start(hs), E2_ERR_STATE);
	noise_hs_free(hs);

	/* psks: exactly as many as the name has psk modifiers */
	assert_int_equal(noise_hs_new(&hs, NNPSK02, NOISE_RESPONDER), 0);
	assert_int_equal(noise_hs_add_psk(hs, psk_a), 0);
	assert_int_equal(noise_hs_start(hs), E2_ERR_STATE);
	assert_int_equal(noise_hs_add_psk(hs, psk_b), 0);
	assert_int_equal(noise_hs_add_psk(hs, psk_b), E2_ERR_STATE);
	assert_int_equal(noise_hs_set_prologue(hs, NULL, 0), 0);
	assert_int_equal(noise_hs_set_prologue(hs, NULL, 0), E2_ERR_STATE);
	assert_int_equal(noise_hs_start(hs), 0);
	noise_hs_free(hs);
	assert_int_equal(noise_hs_new(&hs, NN, NOISE_RESPONDER), 0);
	assert_int_equal(noise_hs_add_psk(hs, psk_a), E2_ERR_STATE);
	noise_hs_free(hs);

	/* bad arguments */
	assert_int_equal(noise_hs_new(NULL, XX, NOISE_INITIATOR),
	    E2_ERR_INVAL);
	assert_int_equal(noise_hs_new(&hs, NULL, NOISE_INITIATOR),
	    E2_ERR_INVAL);
	assert_null(hs);
	assert_int_equal(noise_hs_new(&hs, XX, (enum noise_role)7),
	    E2_ERR_INVAL);
	assert_int_equal(noise_hs_action(NULL), NOISE_ACTION_FAILED);
	noise_hs_free(NULL);
}

static void
test_names(void **state)
{
	static const char *bad[] = {
		"",
		"Noise_",
		"Noise_XK_25519_ChaChaPoly_BLAKE2b",
		"Noise_N_25519_ChaChaPoly_BLAKE2b",
		"Noise_XX_448_ChaChaPoly_BLAKE2b",
		"Noise_XX_25519_AESGCM_BLAKE2b",
		"Noise_XX_25519_ChaChaPoly_SHA256",
		"Noise_XX_25519_ChaChaPoly_BLAKE2s",
		"Noise_XX_25519_ChaChaPoly_BLAKE2b_",
		"noise_XX_25519_ChaChaPoly_BLAKE2b",
		"Noise_XXX_25519_ChaChaPoly_BLAKE2b",
		"Noise_XXpsk_25519_ChaChaPoly_BLAKE2b",
		"Noise_XXpsk4_25519_ChaChaPoly_BLAKE2b",
		"Noise_NNpsk3_25519_ChaChaPoly_BLAKE2b",
		"Noise_XXpsk10_25519_ChaChaPoly_BLAKE2b",
		"Noise_XXpsk0+psk0_25519_ChaChaPoly_BLAKE2b",
		"Noise_XXpsk0psk1_25519_ChaChaPoly_BLAKE2b",
		"Noise_XXpsk0+_25519_ChaChaPoly_BLAKE2b",
		"Noise_XX+psk0_25519_ChaChaPoly_BLAKE2b",
		"Noise_XXfallback_25519_ChaChaPoly_BLAKE2b",
		"Noise_XX_25519_ChaChaPoly_BLAKE2b\n",
	};
	static const char *good[] = {
		NN, XX, IK, XXPSK3, NNPSK02, IKPSK1,
		"Noise_XXpsk0+psk1+psk2+psk3_25519_ChaChaPoly_BLAKE2b",
		"Noise_NNpsk2+psk0_25519_ChaChaPoly_BLAKE2b",
	};
	struct noise_hs *hs;
	size_t k;

	(void)state;
	for (k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		hs = (struct noise_hs *)&hs;
		assert_int_equal(noise_hs_new(&hs, bad[k], NOISE_INITIATOR),
		    E2_ERR_UNSUPPORTED);
		assert_null(hs);
	}
	for (k = 0; k < sizeof(good) / sizeof(good[0]); k++) {
		assert_int_equal(noise_hs_new(&hs, good[k], NOISE_RESPONDER),
		    0);
		noise_hs_free(hs);
	}
	/* four psks for the longest combination */
	full_run("Noise_XXpsk0+psk1+psk2+psk3_25519_ChaChaPoly_BLAKE2b");
}

/* Short output buffers: E2_ERR_SPACE, and a handshake then fails. */
static void
test_space(void **state)
{
	uint8_t msg[BIG], pay[BIG];
	size_t mlen, plen;
	struct noise_hs *i, *r;
	struct noise_cs *a, *b;
	uint8_t key[NOISE_KEYLEN];

	(void)state;
	i = mk(XX, NOISE_INITIATOR, NULL);
	assert_int_equal(noise_hs_write(i, (const uint8_t *)"abc", 3, msg, 34,
	    &mlen), E2_ERR_SPACE);
	assert_failed(i);
	noise_hs_free(i);

	i = mk(XX, NOISE_INITIATOR, NULL);
	r = mk(XX, NOISE_RESPONDER, NULL);
	assert_int_equal(noise_hs_write(i, (const uint8_t *)"abc", 3, msg, 35,
	    &mlen), 0);		/* exactly enough */
	assert_int_equal(mlen, 35);
	assert_int_equal(noise_hs_read(r, msg, mlen, pay, 2, &plen),
	    E2_ERR_SPACE);
	assert_failed(r);
	noise_hs_free(i);
	noise_hs_free(r);

	/* exactly enough room for the payload is fine */
	i = mk(XX, NOISE_INITIATOR, NULL);
	r = mk(XX, NOISE_RESPONDER, NULL);
	assert_int_equal(pass(i, r, ""), 0);
	assert_int_equal(noise_hs_write(r, (const uint8_t *)"abcd", 4, msg,
	    sizeof(msg), &mlen), 0);
	assert_int_equal(noise_hs_read(i, msg, mlen, pay, 4, &plen), 0);
	assert_int_equal(plen, 4);
	noise_hs_free(i);
	noise_hs_free(r);

	memset(key, 3, sizeof(key));
	assert_int_equal(noise_cs_new(&a, key), 0);
	assert_int_equal(noise_cs_new(&b, key), 0);
	assert_int_equal(noise_cs_encrypt(a, NULL, 0, (const uint8_t *)"hi",
	    2, msg, 17, &mlen), E2_ERR_SPACE);
	assert_int_equal(noise_cs_nonce(a), 0);
	assert_int_equal(noise_cs_encrypt(a, NULL, 0, (const uint8_t *)"hi",
	    2, msg, 18, &mlen), 0);
	assert_int_equal(noise_cs_decrypt(b, NULL, 0, msg, mlen, pay, 1,
	    &plen), E2_ERR_SPACE);
	assert_int_equal(noise_cs_nonce(b), 0);
	assert_int_equal(noise_cs_decrypt(b, NULL, 0, msg, mlen, pay, 2,
	    &plen), 0);
	assert_int_equal(noise_cs_decrypt(b, NULL, 0, msg, 15, pay,
	    sizeof(pay), &plen), E2_ERR_SHORT);
	noise_cs_free(a);
	noise_cs_free(b);
}

/* 65535 bytes is the most a Noise message may hold. */
static void
test_maxlen(void **state)
{
	static uint8_t big[BIG], out[BIG];
	size_t mlen, plen;
	struct noise_hs *i, *r;
	struct noise_cs *a, *b;
	uint8_t key[NOISE_KEYLEN];

	(void)state;
	/* NN message 1: e (32) + clear payload */
	i = mk(NN, NOISE_INITIATOR, NULL);
	assert_int_equal(noise_hs_write(i, big, NOISE_MAX_MSGLEN - 31, out,
	    sizeof(out), &mlen), E2_ERR_TOOBIG);
	assert_failed(i);
	noise_hs_free(i);
	i = mk(NN, NOISE_INITIATOR, NULL);
	r = mk(NN, NOISE_RESPONDER, NULL);
	assert_int_equal(noise_hs_write(i, big, NOISE_MAX_MSGLEN - 32, out,
	    sizeof(out), &mlen), 0);
	assert_int_equal(mlen, NOISE_MAX_MSGLEN);
	assert_int_equal(noise_hs_read(r, out, NOISE_MAX_MSGLEN + 1, big,
	    sizeof(big), &plen), E2_ERR_TOOBIG);
	assert_failed(r);
	noise_hs_free(i);
	noise_hs_free(r);

	memset(key, 9, sizeof(key));
	assert_int_equal(noise_cs_new(&a, key), 0);
	assert_int_equal(noise_cs_new(&b, key), 0);
	assert_int_equal(noise_cs_encrypt(a, NULL, 0, big,
	    NOISE_MAX_MSGLEN - 15, out, sizeof(out), &mlen), E2_ERR_TOOBIG);
	assert_int_equal(noise_cs_encrypt(a, NULL, 0, big,
	    NOISE_MAX_MSGLEN - 16, out, sizeof(out), &mlen), 0);
	assert_int_equal(mlen, NOISE_MAX_MSGLEN);
	assert_int_equal(noise_cs_decrypt(b, NULL, 0, out, mlen, big,
	    sizeof(big), &plen), 0);
	assert_int_equal(noise_cs_decrypt(b, NULL, 0, out,
	    NOISE_MAX_MSGLEN + 1, big, sizeof(big), &plen), E2_ERR_TOOBIG);
	noise_cs_free(a);
	noise_cs_free(b);
}

/* Small-order points make DH() fail: the handshake stops. */
static void
test_low_order(void **state)
{
	static const uint8_t points[][NOISE_KEYLEN] = {
		{ 0 },				/* 0 */
		{ 1 },				/* 1 */
		/* a point of order 8 */
		{ 0xe0, 0xeb, 0x7a, 0x7c, 0x3b, 0x41, 0xb8, 0xae,
		  0x16, 0x56, 0xe3, 0xfa, 0xf1, 0x9f, 0xc4, 0x6a,
		  0xda, 0x09, 0x8d, 0xeb, 0x9c, 0x32, 0xb1, 0xfd,
		  0x86, 0x62, 0x05, 0x16, 0x5f, 0x49, 0xb8, 0x00 },
		/* p - 1 */
		{ 0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f },
	};
	uint8_t msg[BIG], pay[BIG];
	size_t mlen, plen, k;
	struct noise_hs *i, *r;

	(void)state;
	for (k = 0; k < sizeof(points) / sizeof(points[0]); k++) {
		/* IK: the initiator's own DH with a bad responder key */
		i = mk(IK, NOISE_INITIATOR, points[k]);
		assert_int_equal(noise_hs_write(i, NULL, 0, msg, sizeof(msg),
		    &mlen), E2_ERR_KEY);
		assert_failed(i);
		noise_hs_free(i);

		/* NN: the responder answers with a bad e */
		i = mk(NN, NOISE_INITIATOR, NULL);
		r = mk(NN, NOISE_RESPONDER, NULL);
		assert_int_equal(pass(i, r, ""), 0);
		assert_int_equal(noise_hs_write(r, NULL, 0, msg, sizeof(msg),
		    &mlen), 0);
		memcpy(msg, points[k], NOISE_KEYLEN);
		assert_int_equal(noise_hs_read(i, msg, mlen, pay, sizeof(pay),
		    &plen), E2_ERR_KEY);
		assert_failed(i);
		noise_hs_free(i);
		noise_hs_free(r);

		/* XX: the initiator opens with a bad e */
		i = mk(XX, NOISE_INITIATOR, NULL);
		r = mk(XX, NOISE_RESPONDER, NULL);
		assert_int_equal(noise_hs_write(i, NULL, 0, msg, sizeof(msg),
		    &mlen), 0);
		memcpy(msg, points[k], NOISE_KEYLEN);
		assert_int_equal(noise_hs_read(r, msg, mlen, pay, sizeof(pay),
		    &plen), 0);
		assert_int_equal(noise_hs_write(r, NULL, 0, msg, sizeof(msg),
		    &mlen), E2_ERR_KEY);	/* ee */
		assert_failed(r);
		noise_hs_free(i);
		noise_hs_free(r);
	}
}

/* The CipherState against known answers and its nonce rules. */
static void
test_cipherstate(void **state)
{
	/* ChaCha20-Poly1305 (cryptography package), key 00..1f, ad "ad" */
	static const uint8_t ct5[] = {		/* n = 5 */
		0x4b, 0x6d, 0xfa, 0x66, 0x2a, 0xab, 0x79, 0xce, 0x88, 0x5b,
		0x29, 0x6a, 0x39, 0x5a, 0xd4, 0x92, 0x84, 0xa0, 0x9f, 0x72,
		0xda,
	};
	static const uint8_t ctbig[] = {	/* n = 0x0102030405060708 */
		0x98, 0x2c, 0xc1, 0x88, 0xc4, 0x70, 0x55, 0x3b, 0xfb, 0x51,
		0x82, 0x21, 0x8e, 0x71, 0xc7, 0xb4, 0xbe, 0x8e, 0x24, 0x90,
		0xe3,
	};
	uint8_t key[NOISE_KEYLEN], buf[64], pt[64];
	size_t n, m, k;
	struct noise_cs *a, *b, *nk;

	(void)state;
	for (k = 0; k < sizeof(key); k++)
		key[k] = (uint8_t)k;
	assert_int_equal(noise_cs_new(&a, key), 0);
	assert_int_equal(noise_cs_new(&b, key), 0);
	assert_true(noise_cs_has_key(a));
	noise_cs_set_nonce(a, 5);
	assert_int_equal(noise_cs_encrypt(a, (const uint8_t *)"ad", 2,
	    (const uint8_t *)"hello", 5, buf, sizeof(buf), &n), 0);
	assert_int_equal(n, sizeof(ct5));
	assert_memory_equal(buf, ct5, sizeof(ct5));
	assert_int_equal(noise_cs_nonce(a), 6);
	noise_cs_set_nonce(a, 0x0102030405060708ULL);
	assert_int_equal(noise_cs_encrypt(a, (const uint8_t *)"ad", 2,
	    (const uint8_t *)"hello", 5, buf, sizeof(buf), &n), 0);
	assert_memory_equal(buf, ctbig, sizeof(ctbig));

	/* decrypt in place; wrong ad or nonce: AUTH, nonce unchanged */
	noise_cs_set_nonce(b, 0x0102030405060708ULL);
	assert_int_equal(noise_cs_decrypt(b, (const uint8_t *)"aD", 2, buf,
	    n, pt, sizeof(pt), &m), E2_ERR_AUTH);
	assert_true(noise_cs_nonce(b) == 0x0102030405060708ULL);
	assert_int_equal(noise_cs_decrypt(b, (const uint8_t *)"ad", 2, buf,
	    n, buf, sizeof(buf), &m), 0);
	assert_int_equal(m, 5);
	assert_memory_equal(buf, "hello", 5);
	assert_true(noise_cs_nonce(b) == 0x0102030405060709ULL);

	/* encrypt in place */
	memcpy(buf, "in place", 8);
	noise_cs_set_nonce(a, 0);
	noise_cs_set_nonce(b, 0);
	assert_int_equal(noise_cs_encrypt(a, NULL, 0, buf, 8, buf,
	    sizeof(buf), &n), 0);
	assert_int_equal(noise_cs_decrypt(b, NULL, 0, buf, n, pt, sizeof(pt),
	    &m), 0);
	assert_memory_equal(pt, "in place", 8);

	/* 2^64-1 is reserved: the last usable nonce is 2^64-2 */
	noise_cs_set_nonce(a, UINT64_MAX - 1);
	noise_cs_set_nonce(b, UINT64_MAX - 1);
	assert_int_equal(noise_cs_encrypt(a, NULL, 0, (const uint8_t *)"x",
	    1, buf, sizeof(buf), &n), 0);
	assert_true(noise_cs_nonce(a) == UINT64_MAX);
	assert_int_equal(noise_cs_encrypt(a, NULL, 0, (const uint8_t *)"x",
	    1, buf + 32, sizeof(buf) - 32, &m), E2_ERR_NONCE);
	assert_int_equal(noise_cs_decrypt(b, NULL, 0, buf, n, pt, sizeof(pt),
	    &m), 0);
	assert_int_equal(noise_cs_decrypt(b, NULL, 0, buf, n, pt, sizeof(pt),
	    &m), E2_ERR_NONCE);

	/* no key: the plaintext passes through, the nonce stays */
	assert_int_equal(noise_cs_new(&nk, NULL), 0);
	assert_false(noise_cs_has_key(nk));
	assert_int_equal(noise_cs_encrypt(nk, NULL, 0, (const uint8_t *)"abc",
	    3, buf, sizeof(buf), &n), 0);
	assert_int_equal(n, 3);
	assert_memory_equal(buf, "abc", 3);
	assert_int_equal(noise_cs_decrypt(nk, NULL, 0, buf, 3, pt,
	    sizeof(pt), &m), 0);
	assert_int_equal(m, 3);
	assert_int_equal(noise_cs_nonce(nk), 0);
	assert_int_equal(noise_cs_rekey(nk), E2_ERR_STATE);

	assert_int_equal(noise_cs_new(NULL, key), E2_ERR_INVAL);
	assert_int_equal(noise_cs_encrypt(NULL, NULL, 0, buf, 1, buf,
	    sizeof(buf), &n), E2_ERR_INVAL);
	assert_false(noise_cs_has_key(NULL));
	noise_cs_free(a);
	noise_cs_free(b);
	noise_cs_free(nk);
	noise_cs_free(NULL);
}

static void
test_rekey(void **state)
{
	/* first 32 bytes of ENCRYPT(00..1f, 2^64-1, "", 32 zero bytes) */
	static const uint8_t want[NOISE_KEYLEN] = {
		0x50, 0x83, 0x55, 0x43, 0xa2, 0x05, 0xb2, 0x2c,
		0x93, 0x23, 0xf2, 0x02, 0x2b, 0xc4, 0xf6, 0x7d,
		0x83, 0x8f, 0x90, 0xe6, 0x1d, 0x5c, 0xcf, 0x33,
		0xc4, 0x51, 0x3e, 0x01, 0xf8, 0x5b, 0x50, 0x42,
	};
	uint8_t key[NOISE_KEYLEN], k2[NOISE_KEYLEN], ct1[64], ct2[64];
	size_t k, n1, n2;
	struct noise_cs *a, *b, *c;

	(void)state;
	for (k = 0; k < sizeof(key); k++)
		key[k] = (uint8_t)k;
	memcpy(k2, key, sizeof(k2));
	noise_rekey_key(k2);
	assert_memory_equal(k2, want, sizeof(want));

	assert_int_equal(noise_cs_new(&a, key), 0);
	assert_int_equal(noise_cs_new(&b, key), 0);
	assert_int_equal(noise_cs_new(&c, want), 0);
	noise_cs_set_nonce(a, 7);
	assert_int_equal(noise_cs_encrypt(a, NULL, 0, (const uint8_t *)"m", 1,
	    ct1, sizeof(ct1), &n1), 0);
	assert_int_equal(noise_cs_rekey(a), 0);
	assert_int_equal(noise_cs_nonce(a), 8);		/* n is kept */
	noise_cs_set_nonce(a, 7);
	assert_int_equal(noise_cs_encrypt(a, NULL, 0, (const uint8_t *)"m", 1,
	    ct2, sizeof(ct2), &n2), 0);
	assert_memory_not_equal(ct1, ct2, n1);
	/* the rekeyed state is the state with the rekeyed key */
	noise_cs_set_nonce(c, 7);
	assert_int_equal(noise_cs_decrypt(c, NULL, 0, ct2, n2, ct1,
	    sizeof(ct1), &n1), 0);
	assert_memory_equal(ct1, "m", 1);
	/* a peer that did not rekey cannot read it; one that did can */
	noise_cs_set_nonce(b, 7);
	assert_int_equal(noise_cs_decrypt(b, NULL, 0, ct2, n2, ct1,
	    sizeof(ct1), &n1), E2_ERR_AUTH);
	assert_int_equal(noise_cs_rekey(b), 0);
	assert_int_equal(noise_cs_decrypt(b, NULL, 0, ct2, n2, ct1,
	    sizeof(ct1), &n1), 0);
	noise_cs_free(a);
	noise_cs_free(b);
	noise_cs_free(c);
}

/* Independent values from Python: hmac.new(key, msg, hashlib.blake2b). */
static void
test_hmac(void **state)
{
	static const uint8_t fox[NOISE_HASHLEN] = {
		0x92, 0x29, 0x4f, 0x92, 0xc0, 0xdf, 0xb9, 0xb0,
		0x0e, 0xc9, 0xae, 0x8b, 0xd9, 0x4d, 0x7e, 0x7d,
		0x8a, 0x03, 0x6b, 0x88, 0x5a, 0x49, 0x9f, 0x14,
		0x9d, 0xfe, 0x2f, 0xd2, 0x19, 0x93, 0x94, 0xaa,
		0xaf, 0x6b, 0x88, 0x94, 0xa1, 0x73, 0x0c, 0xcc,
		0xb2, 0xcd, 0x05, 0x0f, 0x9b, 0xcf, 0x50, 0x62,
		0xa3, 0x8b, 0x51, 0xb0, 0xda, 0xb3, 0x32, 0x07,
		0xf8, 0xef, 0x35, 0xae, 0x2c, 0x9d, 0xf5, 0x1b,
	};
	static const uint8_t longkey[NOISE_HASHLEN] = {	/* key 00..c7 */
		0x3a, 0x38, 0x36, 0x56, 0xa0, 0x7e, 0x79, 0x91,
		0x50, 0xdf, 0xaf, 0x5e, 0x30, 0x89, 0x24, 0x19,
		0xae, 0x0c, 0xfb, 0x04, 0x7d, 0x3d, 0xc1, 0x85,
		0x9d, 0xcf, 0x44, 0xff, 0xc3, 0xbe, 0x75, 0x11,
		0xf0, 0x0e, 0x27, 0xac, 0x8c, 0x3b, 0x91, 0xfc,
		0x41, 0x55, 0xce, 0xea, 0x9b, 0x1e, 0x10, 0xce,
		0xfb, 0x55, 0x2e, 0x1f, 0xdf, 0x9c, 0x40, 0xb2,
		0x98, 0xad, 0x8f, 0x76, 0x35, 0xe5, 0x0d, 0x9d,
	};
	static const uint8_t empty[NOISE_HASHLEN] = {
		0x19, 0x8c, 0xd2, 0x00, 0x6f, 0x66, 0xff, 0x83,
		0xfb, 0xbd, 0x91, 0x3f, 0x78, 0xac, 0xa2, 0x25,
		0x1c, 0xaf, 0x4f, 0x19, 0xfe, 0x94, 0x75, 0xaa,
		0xde, 0x8c, 0xf2, 0x09, 0x1b, 0x99, 0xa6, 0x84,
		0x66, 0x77, 0x51, 0x77, 0x42, 0x4f, 0x58, 0x28,
		0x68, 0x86, 0xcb, 0xae, 0x82, 0x29, 0x64, 0x4c,
		0xec, 0x74, 0x72, 0x37, 0xd4, 0xb7, 0x21, 0x73,
		0x54, 0x85, 0xe1, 0x73, 0x72, 0xfd, 0xf5, 0x9c,
	};
	static const uint8_t block[NOISE_HASHLEN] = {	/* key aa x 128 */
		0x7b, 0xb1, 0xe4, 0xd3, 0x8d, 0xec, 0xf1, 0x31,
		0x84, 0x06, 0xe0, 0xa8, 0x44, 0xe8, 0x2a, 0x06,
		0xa2, 0x4b, 0xc2, 0x14, 0xa4, 0xcb, 0xd1, 0x7c,
		0x2f, 0x65, 0xa7, 0x66, 0x68, 0xee, 0xb3, 0x97,
		0x24, 0xe9, 0xe2, 0x6c, 0xc4, 0x8e, 0xae, 0x36,
		0xec, 0x86, 0xf6, 0x0f, 0xfb, 0xda, 0xb5, 0xdd,
		0x98, 0xeb, 0xbd, 0x05, 0x25, 0x3b, 0x08, 0x40,
		0x1e, 0xb3, 0xac, 0xa9, 0xfd, 0x57, 0xd5, 0xaf,
	};
	static const char msg[] = "The quick brown fox jumps over the lazy dog";
	uint8_t out[NOISE_HASHLEN], key[200], data[300];
	size_t k;

	(void)state;
	noise_hmac_blake2b(out, (const uint8_t *)"key", 3,
	    (const uint8_t *)msg, strlen(msg));
	assert_memory_equal(out, fox, sizeof(fox));

	for (k = 0; k < sizeof(key); k++)
		key[k] = (uint8_t)k;
	noise_hmac_blake2b(out, key, 200, (const uint8_t *)"Hi There", 8);
	assert_memory_equal(out, longkey, sizeof(longkey));

	noise_hmac_blake2b(out, NULL, 0, NULL, 0);
	assert_memory_equal(out, empty, sizeof(empty));

	memset(key, 0xaa, 128);
	memset(data, 'x', sizeof(data));
	noise_hmac_blake2b(out, key, 128, data, sizeof(data));
	assert_memory_equal(out, block, sizeof(block));
}

/* Expected codes from Python (hashlib.blake2b, see PROTOCOL.md 6.2). */
static void
test_seccode(void **state)
{
	uint8_t h[NOISE_HASHLEN];
	char code[SECCODE_LEN + 1], code2[SECCODE_LEN + 1];
	size_t k, bit;

	(void)state;
	for (k = 0; k < sizeof(h); k++)
		h[k] = (uint8_t)k;
	memset(code, 'z', sizeof(code));
	assert_int_equal(seccode_from_hash(h, sizeof(h), code), 0);
	assert_string_equal(code, "58202 56833 18243 86452");
	assert_int_equal(strlen(code), SECCODE_LEN);

	h[0] ^= 1;
	assert_int_equal(seccode_from_hash(h, sizeof(h), code2), 0);
	assert_string_equal(code2, "10259 84163 80690 97972");
	h[0] ^= 1;

	/* any single bit of h changes the code */
	for (bit = 0; bit < 8 * sizeof(h); bit++) {
		h[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		assert_int_equal(seccode_from_hash(h, sizeof(h), code2), 0);
		assert_string_not_equal(code, code2);
		h[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	}

	/* leading zeros are kept: a group below 1000 */
	memset(h, 0, sizeof(h));
	h[3] = 0x97;
	assert_int_equal(seccode_from_hash(h, sizeof(h), code), 0);
	assert_string_equal(code, "82756 58701 00672 32871");

	memset(h, 0xff, sizeof(h));
	assert_int_equal(seccode_from_hash(h, sizeof(h), code), 0);
	assert_string_equal(code, "65378 03284 16298 27003");

	/* the format: 4 groups of 5 digits, single spaces */
	for (k = 0; k < SECCODE_LEN; k++) {
		if (k % 6 == 5)
			assert_int_equal(code[k], ' ');
		else
			assert_true(code[k] >= '0' && code[k] <= '9');
	}
	assert_int_equal(code[SECCODE_LEN], '\0');

	assert_int_equal(seccode_from_hash(NULL, 64, code), E2_ERR_INVAL);
	assert_int_equal(seccode_from_hash(h, sizeof(h), NULL), E2_ERR_INVAL);
}

/* Both ends of a real handshake see the same code; another call does not. */
static void
test_seccode_handshake(void **state)
{
	struct noise_hs *i, *r;
	uint8_t hi[NOISE_HASHLEN], hr[NOISE_HASHLEN];
	char ci[SECCODE_LEN + 1], cr[SECCODE_LEN + 1], c2[SECCODE_LEN + 1];

	(void)state;
	i = mk(XX, NOISE_INITIATOR, NULL);
	r = mk(XX, NOISE_RESPONDER, NULL);
	handshake(i, r);
	assert_int_equal(noise_hs_handshake_hash(i, hi), 0);
	assert_int_equal(noise_hs_handshake_hash(r, hr), 0);
	assert_int_equal(seccode_from_hash(hi, sizeof(hi), ci), 0);
	assert_int_equal(seccode_from_hash(hr, sizeof(hr), cr), 0);
	assert_string_equal(ci, cr);
	noise_hs_free(i);
	noise_hs_free(r);

	i = mk(XX, NOISE_INITIATOR, NULL);
	r = mk(XX, NOISE_RESPONDER, NULL);
	handshake(i, r);
	assert_int_equal(noise_hs_handshake_hash(i, hi), 0);
	assert_int_equal(seccode_from_hash(hi, sizeof(hi), c2), 0);
	assert_string_not_equal(ci, c2);	/* fresh ephemerals */
	noise_hs_free(i);
	noise_hs_free(r);
}

static void
test_fingerprint(void **state)
{
	uint8_t pub[NOISE_KEYLEN];
	char fp[FINGERPRINT_LEN + 1], fp2[FINGERPRINT_LEN + 1];
	size_t k;

	(void)state;
	for (k = 0; k < sizeof(pub); k++)
		pub[k] = (uint8_t)k;
	memset(fp, 'Z', sizeof(fp));
	assert_int_equal(fingerprint(pub, fp), 0);
	assert_string_equal(fp, "jg27 bgxi lbog nxzb qa2v dcqt qwnx ogh2");

	memset(pub, 0, sizeof(pub));
	pub[0] = 9;			/* the X25519 base point */
	assert_int_equal(fingerprint(pub, fp), 0);
	assert_string_equal(fp, "457m tu3v gzoz plsz onum i76t ymlk 2kzs");

	assert_int_equal(fingerprint(alice.pub, fp), 0);
	assert_int_equal(fingerprint(bob.pub, fp2), 0);
	assert_string_not_equal(fp, fp2);
	assert_int_equal(strlen(fp), FINGERPRINT_LEN);
	for (k = 0; k < FINGERPRINT_LEN; k++) {
		if (k % 5 == 4)
			assert_int_equal(fp[k], ' ');
		else
			assert_true((fp[k] >= 'a' && fp[k] <= 'z') ||
			    (fp[k] >= '2' && fp[k] <= '7'));
	}
	assert_int_equal(fingerprint(NULL, fp), E2_ERR_INVAL);
}

static void
test_keys(void **state)
{
	uint8_t priv[NOISE_KEYLEN], pub[NOISE_KEYLEN], pub2[NOISE_KEYLEN];
	uint8_t s1[NOISE_KEYLEN], s2[NOISE_KEYLEN];
	/* RFC 7748 section 6.1: Alice's key pair */
	static const uint8_t rfc_priv[NOISE_KEYLEN] = {
		0x77, 0x07, 0x6d, 0x0a, 0x73, 0x18, 0xa5, 0x7d,
		0x3c, 0x16, 0xc1, 0x72, 0x51, 0xb2, 0x66, 0x45,
		0xdf, 0x4c, 0x2f, 0x87, 0xeb, 0xc0, 0x99, 0x2a,
		0xb1, 0x77, 0xfb, 0xa5, 0x1d, 0xb9, 0x2c, 0x2a,
	};
	static const uint8_t rfc_pub[NOISE_KEYLEN] = {
		0x85, 0x20, 0xf0, 0x09, 0x89, 0x30, 0xa7, 0x54,
		0x74, 0x8b, 0x7d, 0xdc, 0xb4, 0x3e, 0xf7, 0x5a,
		0x0d, 0xbf, 0x3a, 0x0d, 0x26, 0x38, 0x1a, 0xf4,
		0xeb, 0xa4, 0xa9, 0x8e, 0xaa, 0x9b, 0x4e, 0x6a,
	};

	(void)state;
	assert_int_equal(noise_pubkey(rfc_priv, pub), 0);
	assert_memory_equal(pub, rfc_pub, sizeof(pub));
	noise_keypair(priv, pub);
	assert_int_equal(noise_pubkey(priv, pub2), 0);
	assert_memory_equal(pub, pub2, sizeof(pub));
	assert_memory_not_equal(pub, alice.pub, sizeof(pub));
	assert_int_equal(crypto_scalarmult(s1, priv, alice.pub), 0);
	assert_int_equal(crypto_scalarmult(s2, alice.priv, pub), 0);
	assert_memory_equal(s1, s2, sizeof(s1));
	assert_int_equal(noise_pubkey(NULL, pub), E2_ERR_INVAL);
}

/* Fixed ephemerals make handshakes repeatable; h depends on the prologue. */
static void
test_fixed_ephemeral(void **state)
{
	uint8_t e1[NOISE_KEYLEN], e2[NOISE_KEYLEN], h[2][NOISE_HASHLEN];
	uint8_t msg[2][BIG];
	size_t mlen[2];
	struct noise_hs *i, *r;
	int run;

	(void)state;
	memset(e1, 0x11, sizeof(e1));
	memset(e2, 0x22, sizeof(e2));
	for (run = 0; run < 2; run++) {
		assert_int_equal(noise_hs_new(&i, NN, NOISE_INITIATOR), 0);
		assert_int_equal(noise_hs_new(&r, NN, NOISE_RESPONDER), 0);
		assert_int_equal(noise_hs_set_local_ephemeral(i, e1), 0);
		assert_int_equal(noise_hs_set_local_ephemeral(r, e2), 0);
		assert_int_equal(noise_hs_start(i), 0);
		assert_int_equal(noise_hs_start(r), 0);
		assert_int_equal(noise_hs_write(i, NULL, 0, msg[run],
		    sizeof(msg[run]), &mlen[run]), 0);
		noise_hs_free(i);
		noise_hs_free(r);
	}
	assert_int_equal(mlen[0], mlen[1]);
	assert_memory_equal(msg[0], msg[1], mlen[0]);
	assert_int_equal(noise_pubkey(e1, e2), 0);
	assert_memory_equal(msg[0], e2, NOISE_KEYLEN);

	/* an empty prologue set explicitly equals no prologue at all */
	for (run = 0; run < 2; run++) {
		assert_int_equal(noise_hs_new(&i, NN, NOISE_INITIATOR), 0);
		if (run == 1)
			assert_int_equal(noise_hs_set_prologue(i, NULL, 0), 0);
		assert_int_equal(noise_hs_start(i), 0);
		assert_int_equal(noise_hs_handshake_hash(i, h[run]), 0);
		noise_hs_free(i);
	}
	assert_memory_equal(h[0], h[1], NOISE_HASHLEN);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nn),
		cmocka_unit_test(test_xx),
		cmocka_unit_test(test_ik),
		cmocka_unit_test(test_psk),
		cmocka_unit_test(test_split_keys),
		cmocka_unit_test(test_bitflips),
		cmocka_unit_test(test_lengths),
		cmocka_unit_test(test_ik_wrong_static),
		cmocka_unit_test(test_mismatch),
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_setup),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_space),
		cmocka_unit_test(test_maxlen),
		cmocka_unit_test(test_low_order),
		cmocka_unit_test(test_cipherstate),
		cmocka_unit_test(test_rekey),
		cmocka_unit_test(test_hmac),
		cmocka_unit_test(test_seccode),
		cmocka_unit_test(test_seccode_handshake),
		cmocka_unit_test(test_fingerprint),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_fixed_ephemeral),
	};
	return cmocka_run_group_tests(tests, setup_keys, NULL);
}
