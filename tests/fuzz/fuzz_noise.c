/*
 * fuzz_noise.c - Noise handshake messages and transport decryption
 * (noise.h).
 *
 * Input: u8 mode, u8 paycap, u8 flags, then the message.  The mode picks
 * a handshake and the message one side is about to read; a real
 * handshake with fixed keys (static and ephemeral) is advanced to that
 * point, and the message is fed to noise_hs_read.  With flags bit 0 the
 * message is XORed over the honest one instead of replacing it, so the
 * fuzzer can reach the checks behind a valid prefix.  Invariants: an
 * unchanged honest message is accepted (and the handshake then completes
 * with equal hashes and working transport keys); any change to a message
 * whose payload is encrypted is refused; a refused message leaves the
 * handshake FAILED for good.  The last mode fuzzes noise_cs_decrypt the
 * same way.
 */
#include <string.h>

#include <sodium.h>

#include "err.h"
#include "fuzz.h"
#include "noise.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define MSGMAX	4096

enum {
	M_XX1,		/* XX: responder reads message 1 (e, plaintext) */
	M_XX2,		/* XX: initiator reads message 2 */
	M_XX3,		/* XX: responder reads message 3 */
	M_IK1,		/* IK: responder reads message 1 */
	M_IK2,		/* IK: initiator reads message 2 */
	M_XXPSK3,	/* XXpsk3: responder reads message 3 */
	M_CS,		/* transport: noise_cs_decrypt */
	M_COUNT
};

struct mode_desc {
	const char	*proto;
	int		 reader_is_init;	/* who reads the fuzzed message */
	int		 index;			/* which message (0-based) */
	int		 plain;			/* payload not encrypted */
};

static const struct mode_desc modes[M_CS] = {
	[M_XX1] = { "Noise_XX_25519_ChaChaPoly_BLAKE2b", 0, 0, 1 },
	[M_XX2] = { "Noise_XX_25519_ChaChaPoly_BLAKE2b", 1, 1, 0 },
	[M_XX3] = { "Noise_XX_25519_ChaChaPoly_BLAKE2b", 0, 2, 0 },
	[M_IK1] = { "Noise_IK_25519_ChaChaPoly_BLAKE2b", 0, 0, 0 },
	[M_IK2] = { "Noise_IK_25519_ChaChaPoly_BLAKE2b", 1, 1, 0 },
	[M_XXPSK3] = { "Noise_XXpsk3_25519_ChaChaPoly_BLAKE2b", 0, 2, 0 },
};

static uint8_t init_s[NOISE_KEYLEN], init_e[NOISE_KEYLEN];
static uint8_t resp_s[NOISE_KEYLEN], resp_e[NOISE_KEYLEN];
static uint8_t resp_pub[NOISE_KEYLEN], psk[NOISE_KEYLEN];
static uint8_t cs_key[NOISE_KEYLEN];
static const uint8_t prologue[] = "e2call fuzz";

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	size_t i;

	if (sodium_init() < 0)
		abort();
	for (i = 0; i < NOISE_KEYLEN; i++) {
		init_s[i] = (uint8_t)(0x10 + i);
		init_e[i] = (uint8_t)(0x30 + i);
		resp_s[i] = (uint8_t)(0x50 + i);
		resp_e[i] = (uint8_t)(0x70 + i);
		psk[i] = (uint8_t)(0x90 + i);
		cs_key[i] = (uint8_t)(0xb0 + i);
	}
	if (noise_pubkey(resp_s, resp_pub) != 0)
		abort();
	return 0;
}

static struct noise_hs *
hs_make(const struct mode_desc *d, int initiator)
{
	struct noise_hs *hs;

	FUZZ_CHECK(noise_hs_new(&hs, d->proto, initiator ? NOISE_INITIATOR :
	    NOISE_RESPONDER) == 0);
	FUZZ_CHECK(noise_hs_set_prologue(hs, prologue, sizeof(prologue)) == 0);
	FUZZ_CHECK(noise_hs_set_local_static(hs, initiator ? init_s :
	    resp_s) == 0);
	FUZZ_CHECK(noise_hs_set_local_ephemeral(hs, initiator ? init_e :
	    resp_e) == 0);
	if (initiator && strstr(d->proto, "_IK_") != NULL)
		FUZZ_CHECK(noise_hs_set_remote_static(hs, resp_pub) == 0);
	if (strstr(d->proto, "psk") != NULL)
		FUZZ_CHECK(noise_hs_add_psk(hs, psk) == 0);
	FUZZ_CHECK(noise_hs_start(hs) == 0);
	return hs;
}

/* Honest payload of message i. */
static size_t
payload_of(int i, uint8_t *p)
{
	return (size_t)snprintf((char *)p, 32, "payload of message %d", i);
}

/* One honest message from w to r; returns its length in msg. */
static size_t
step(struct noise_hs *w, struct noise_hs *r, int i, uint8_t *msg, int deliver)
{
	uint8_t pay[32], got[MSGMAX];
	size_t plen, mlen, glen;

	plen = payload_of(i, pay);
	FUZZ_CHECK(noise_hs_action(w) == NOISE_ACTION_WRITE);
	FUZZ_CHECK(noise_hs_write(w, pay, plen, msg, MSGMAX, &mlen) == 0);
	if (deliver) {
		FUZZ_CHECK(noise_hs_read(r, msg, mlen, got, sizeof(got),
		    &glen) == 0);
		FUZZ_CHECK(glen == plen && memcmp(got, pay, plen) == 0);
	}
	return mlen;
}

/* Both sides finished: equal hashes and keys that talk to each other. */
static void
finish(struct noise_hs *a, struct noise_hs *b)
{
	struct noise_cs *as, *ar, *bs, *br;
	uint8_t ha[NOISE_HASHLEN], hb[NOISE_HASHLEN], ct[64], pt[64];
	size_t clen, plen;

	FUZZ_CHECK(noise_hs_action(a) == NOISE_ACTION_SPLIT);
	FUZZ_CHECK(noise_hs_action(b) == NOISE_ACTION_SPLIT);
	FUZZ_CHECK(noise_hs_handshake_hash(a, ha) == 0);
	FUZZ_CHECK(noise_hs_handshake_hash(b, hb) == 0);
	FUZZ_CHECK(memcmp(ha, hb, sizeof(ha)) == 0);
	FUZZ_CHECK(noise_hs_split(a, &as, &ar) == 0);
	FUZZ_CHECK(noise_hs_split(b, &bs, &br) == 0);
	FUZZ_CHECK(noise_cs_encrypt(as, NULL, 0, (const uint8_t *)"hi", 2,
	    ct, sizeof(ct), &clen) == 0);
	FUZZ_CHECK(noise_cs_decrypt(br, NULL, 0, ct, clen, pt, sizeof(pt),
	    &plen) == 0);
	FUZZ_CHECK(plen == 2 && memcmp(pt, "hi", 2) == 0);
	noise_cs_free(as);
	noise_cs_free(ar);
	noise_cs_free(bs);
	noise_cs_free(br);
}

static void
fuzz_hs(const struct mode_desc *d, size_t paycap, int xor,
    const uint8_t *in, size_t inlen)
{
	struct noise_hs *ini, *res, *rd, *wr;
	uint8_t honest[MSGMAX], msg[MSGMAX], pay[MSGMAX], want[32];
	size_t hlen = 0, mlen, plen = 0, wlen, i;
	int k, r, same;

	ini = hs_make(d, 1);
	res = hs_make(d, 0);
	/* Messages before the fuzzed one go through honestly. */
	for (k = 0; k < d->index; k++)
		step(k % 2 == 0 ? ini : res, k % 2 == 0 ? res : ini, k,
		    honest, 1);
	rd = d->reader_is_init ? ini : res;
	wr = d->reader_is_init ? res : ini;
	hlen = step(wr, rd, d->index, honest, 0);

	if (inlen > MSGMAX)
		inlen = MSGMAX;
	if (xor) {
		mlen = inlen > hlen ? inlen : hlen;
		for (i = 0; i < mlen; i++)
			msg[i] = (uint8_t)((i < hlen ? honest[i] : 0) ^
			    (i < inlen ? in[i] : 0));
	} else {
		mlen = inlen;
		memcpy(msg, in, inlen);
	}
	same = mlen == hlen && memcmp(msg, honest, hlen) == 0;

	FUZZ_CHECK(noise_hs_action(rd) == NOISE_ACTION_READ);
	r = noise_hs_read(rd, msg, mlen, pay, paycap, &plen);
	if (r == 0) {
		FUZZ_CHECK(plen <= paycap && plen <= mlen);
		FUZZ_CHECK(same || d->plain);
		FUZZ_CHECK(noise_hs_action(rd) == NOISE_ACTION_WRITE ||
		    noise_hs_action(rd) == NOISE_ACTION_SPLIT);
		if (same) {
			wlen = payload_of(d->index, want);
			FUZZ_CHECK(plen == wlen &&
			    memcmp(pay, want, wlen) == 0);
			/* Complete the handshake. */
			for (k = d->index + 1; noise_hs_action(ini) !=
			    NOISE_ACTION_SPLIT || noise_hs_action(res) !=
			    NOISE_ACTION_SPLIT; k++)
				step(k % 2 == 0 ? ini : res,
				    k % 2 == 0 ? res : ini, k, honest, 1);
			finish(ini, res);
		} else if (noise_hs_action(rd) == NOISE_ACTION_WRITE) {
			/* a forged XX message 1: the answer still goes out */
			r = noise_hs_write(rd, NULL, 0, honest,
			    sizeof(honest), &wlen);
			FUZZ_CHECK(r == 0 || noise_hs_action(rd) ==
			    NOISE_ACTION_FAILED);
		}
	} else {
		FUZZ_CHECK(!same || paycap < payload_of(d->index, want));
		FUZZ_CHECK(r != E2_ERR_INVAL && r != E2_ERR_STATE);
		FUZZ_CHECK(noise_hs_action(rd) == NOISE_ACTION_FAILED);
		FUZZ_CHECK(noise_hs_read(rd, honest, hlen, pay, sizeof(pay),
		    &plen) == E2_ERR_FAILED);
		FUZZ_CHECK(noise_hs_write(rd, NULL, 0, msg, sizeof(msg),
		    &plen) == E2_ERR_FAILED);
	}
	noise_hs_free(ini);
	noise_hs_free(res);
}

/*
 * Transport: u64 nonce, u8 adlen, ad, then the ciphertext (or the mask
 * over an honest one).
 */
static void
fuzz_cs(struct fin *f, size_t outcap, int xor)
{
	struct noise_cs *enc, *dec;
	uint8_t honest[MSGMAX], msg[MSGMAX], out[MSGMAX];
	const uint8_t *ad, *in;
	size_t adlen, inlen, hlen = 0, mlen, olen = 0, i;
	uint64_t nonce;
	int r, same, inplace;

	nonce = (uint64_t)fin_u32(f) << 32;
	nonce |= fin_u32(f);
	inplace = (nonce & 1) != 0;
	ad = fin_take(f, fin_u8(f), &adlen);
	in = fin_rest(f, &inlen);
	if (inlen > MSGMAX - NOISE_TAGLEN)
		inlen = MSGMAX - NOISE_TAGLEN;

	FUZZ_CHECK(noise_cs_new(&enc, cs_key) == 0);
	FUZZ_CHECK(noise_cs_new(&dec, cs_key) == 0);
	noise_cs_set_nonce(enc, nonce);
	noise_cs_set_nonce(dec, nonce);
	/* the honest message carries "e2call" */
	r = noise_cs_encrypt(enc, ad, adlen, (const uint8_t *)"e2call", 6,
	    honest, sizeof(honest), &hlen);
	if (nonce == UINT64_MAX) {
		FUZZ_CHECK(r == E2_ERR_NONCE);
		hlen = 0;
	} else {
		FUZZ_CHECK(r == 0 && hlen == 6 + NOISE_TAGLEN);
		FUZZ_CHECK(noise_cs_nonce(enc) == nonce + 1);
	}
	if (xor) {
		mlen = inlen > hlen ? inlen : hlen;
		for (i = 0; i < mlen; i++)
			msg[i] = (uint8_t)((i < hlen ? honest[i] : 0) ^
			    (i < inlen ? in[i] : 0));
	} else {
		mlen = inlen;
		memcpy(msg, in, inlen);
	}
	same = hlen > 0 && mlen == hlen && memcmp(msg, honest, hlen) == 0;
	if (inplace)
		r = noise_cs_decrypt(dec, ad, adlen, msg, mlen, msg, outcap,
		    &olen);
	else
		r = noise_cs_decrypt(dec, ad, adlen, msg, mlen, out, outcap,
		    &olen);
	if (r == 0) {
		FUZZ_CHECK(same);
		FUZZ_CHECK(olen == 6 && olen <= outcap);
		FUZZ_CHECK(memcmp(inplace ? msg : out, "e2call", 6) == 0);
		FUZZ_CHECK(noise_cs_nonce(dec) == nonce + 1);
	} else {
		FUZZ_CHECK(!same || outcap < 6);
		FUZZ_CHECK(noise_cs_nonce(dec) == nonce);
	}
	noise_cs_free(enc);
	noise_cs_free(dec);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fin f;
	const uint8_t *rest;
	size_t paycap, n;
	int mode, flags;

	fin_init(&f, data, size);
	mode = fin_u8(&f) % M_COUNT;
	paycap = fin_u8(&f);
	if (paycap >= 0x80)
		paycap = MSGMAX;
	flags = fin_u8(&f);
	if (mode == M_CS) {
		fuzz_cs(&f, paycap, flags & 1);
		return 0;
	}
	rest = fin_rest(&f, &n);
	fuzz_hs(&modes[mode], paycap, flags & 1, rest, n);
	return 0;
}
