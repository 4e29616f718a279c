/*
 * e2e.c - the committed end-to-end handshake; see e2e.h and
 * docs/PROTOCOL.md 5.1 and 9.3.
 *
 * The Noise layer (noise.c) is used as the framework specifies it; this
 * file only chooses the payloads, checks them, and derives the keys.
 * Every function computes into locals and commits to *x only when all
 * checks passed; any failure wipes x's secrets and leaves it FAILED.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "buf.h"
#include "e2e.h"
#include "err.h"

/* Layout of x->sec (sodium_malloc). */
#define SEC_E		0			/* my ephemeral private key */
#define SEC_NONCE	32			/* caller: my nonce */
#define SEC_OLD		64			/* the key mine replaced */
#define SEC_PRIV	96			/* my static private key */
#define SEC_MSEND	128			/* media keys */
#define SEC_MRECV	160
#define SEC_CSEND	192			/* control keys */
#define SEC_CRECV	224
#define SEC_LEN		256

static const char commit_label[] = "e2call-call/2 commit";
static const char move_label[] = "e2call-call/2 move";
static const char media_label[] = "e2call-call/2 media";
static const char control_label[] = "e2call-call/2 control";

size_t
e2e_prologue(const char *label, uint64_t id, const char *caller,
    const char *callee, uint8_t *out, size_t cap)
{
	size_t lcaller = strlen(caller), lcallee = strlen(callee);
	struct buf b;

	if (lcaller > E2E_NAME_MAX || lcallee > E2E_NAME_MAX)
		return 0;
	buf_init_write(&b, out, cap);
	if (buf_put_bytes(&b, label, strlen(label)) != 0 ||
	    buf_put_u64(&b, id) != 0 ||
	    buf_put_u8(&b, (uint8_t)lcaller) != 0 ||
	    buf_put_bytes(&b, caller, lcaller) != 0 ||
	    buf_put_u8(&b, (uint8_t)lcallee) != 0 ||
	    buf_put_bytes(&b, callee, lcallee) != 0)
		return 0;
	return b.len;
}

/* commit = BLAKE2b-256(label || e || s || nonce || mv) */
static void
make_commit(uint8_t out[E2E_COMMITLEN], const uint8_t e[NOISE_KEYLEN],
    const uint8_t s[NOISE_KEYLEN], const uint8_t nonce[E2E_NONCELEN],
    const uint8_t *old_pub)
{
	crypto_generichash_state st;
	uint8_t flag = old_pub != NULL ? 1 : 0;

	crypto_generichash_init(&st, NULL, 0, E2E_COMMITLEN);
	crypto_generichash_update(&st, (const uint8_t *)commit_label,
	    sizeof(commit_label) - 1);
	crypto_generichash_update(&st, e, NOISE_KEYLEN);
	crypto_generichash_update(&st, s, NOISE_KEYLEN);
	crypto_generichash_update(&st, nonce, E2E_NONCELEN);
	crypto_generichash_update(&st, &flag, 1);
	if (old_pub != NULL)
		crypto_generichash_update(&st, old_pub, NOISE_KEYLEN);
	crypto_generichash_final(&st, out, E2E_COMMITLEN);
	sodium_memzero(&st, sizeof(st));
}

/*
 * The MAC of a move proof: BLAKE2b-256(key = dh, label || old || s).
 * dh is DH(old private, peer's e) on the sending side and DH(my e
 * private, old) on the checking side.
 */
static int
move_mac(uint8_t mac[32], const uint8_t *priv, const uint8_t *pub,
    const uint8_t old[NOISE_KEYLEN], const uint8_t s[NOISE_KEYLEN])
{
	crypto_generichash_state st;
	uint8_t dh[32];
	int r = 0;

	if (crypto_scalarmult(dh, priv, pub) != 0) {
		r = E2_ERR_KEY;
		goto out;
	}
	crypto_generichash_init(&st, dh, sizeof(dh), 32);
	crypto_generichash_update(&st, (const uint8_t *)move_label,
	    sizeof(move_label) - 1);
	crypto_generichash_update(&st, old, NOISE_KEYLEN);
	crypto_generichash_update(&st, s, NOISE_KEYLEN);
	crypto_generichash_final(&st, mac, 32);
	sodium_memzero(&st, sizeof(st));
out:
	sodium_memzero(dh, sizeof(dh));
	return r;
}

/* My proof for the peer whose ephemeral is peer_e: old || mac. */
static int
write_proof(const struct e2e *x, uint8_t out[E2E_PROOFLEN])
{
	memcpy(out, x->old_pub, NOISE_KEYLEN);
	return move_mac(out + NOISE_KEYLEN, x->sec + SEC_OLD, x->peer_e,
	    x->old_pub, x->spub);
}

/* Checks a peer's proof (p, E2E_PROOFLEN bytes) for its key rs. */
static int
check_proof(const struct e2e *x, const uint8_t *p, const uint8_t rs[32])
{
	uint8_t mac[32];
	int r;

	if ((r = move_mac(mac, x->sec + SEC_E, p, p, rs)) != 0)
		return r;
	r = sodium_memcmp(mac, p + NOISE_KEYLEN, sizeof(mac)) == 0 ? 0 :
	    E2_ERR_AUTH;
	sodium_memzero(mac, sizeof(mac));
	return r;
}

static void
wipe(struct e2e *x)
{
	noise_hs_free(x->hs);
	x->hs = NULL;
	if (x->sec != NULL)
		sodium_memzero(x->sec, SEC_LEN);
}

static int
e2e_fail(struct e2e *x, int r)
{
	wipe(x);
	x->state = E2E_FAILED;
	return r != 0 ? r : E2_ERR_FAILED;
}

void
e2e_free(struct e2e *x)
{
	if (x == NULL)
		return;
	noise_hs_free(x->hs);
	sodium_free(x->sec);
	sodium_memzero(x, sizeof(*x));
	free(x);
}

static struct e2e *
e2e_alloc(enum noise_role role, const struct e2e_id *me)
{
	struct e2e *x;

	if ((x = calloc(1, sizeof(*x))) == NULL)
		return NULL;
	if ((x->sec = sodium_malloc(SEC_LEN)) == NULL) {
		free(x);
		return NULL;
	}
	sodium_memzero(x->sec, SEC_LEN);
	x->role = role;
	memcpy(x->sec + SEC_PRIV, me->priv, NOISE_KEYLEN);
	memcpy(x->spub, me->pub, NOISE_KEYLEN);
	if (me->old_priv != NULL && me->old_pub != NULL) {
		x->has_old = 1;
		memcpy(x->sec + SEC_OLD, me->old_priv, NOISE_KEYLEN);
		memcpy(x->old_pub, me->old_pub, NOISE_KEYLEN);
	}
	return x;
}

/* A Noise_XX handshake with my keys, the given prologue and ephemeral. */
static int
hs_make(struct noise_hs **hsp, enum noise_role role, const uint8_t *prologue,
    size_t plen, const struct e2e *x)
{
	struct noise_hs *hs = NULL;
	int r;

	*hsp = NULL;
	if ((r = noise_hs_new(&hs, E2E_PROTOCOL, role)) != 0)
		return r;
	if ((r = noise_hs_set_prologue(hs, prologue, plen)) != 0 ||
	    (r = noise_hs_set_local_keypair(hs, x->sec + SEC_PRIV,
	    x->spub)) != 0 ||
	    (r = noise_hs_set_local_ephemeral(hs, x->sec + SEC_E)) != 0 ||
	    (r = noise_hs_start(hs)) != 0) {
		noise_hs_free(hs);
		return r;
	}
	*hsp = hs;
	return 0;
}

static int
set_ephemeral(struct e2e *x, const struct e2e_fixed *fx)
{
	if (fx != NULL)
		memcpy(x->sec + SEC_E, fx->e, NOISE_KEYLEN);
	else
		randombytes_buf(x->sec + SEC_E, NOISE_KEYLEN);
	return crypto_scalarmult_base(x->epub, x->sec + SEC_E) == 0 ? 0 :
	    E2_ERR_KEY;
}

int
e2e_caller_start(struct e2e **xp, uint64_t id, const char *caller,
    const char *callee, const struct e2e_id *me, const struct e2e_fixed *fx,
    uint8_t *msg1, size_t cap, size_t *lenp)
{
	uint8_t prologue[E2E_PROLOGUE_MAX];
	struct e2e *x;
	size_t plen;
	int r;

	*xp = NULL;
	if (me == NULL || me->priv == NULL || me->pub == NULL ||
	    msg1 == NULL || lenp == NULL)
		return E2_ERR_INVAL;
	if (cap < E2E_MSG1_LEN)
		return E2_ERR_SPACE;
	if ((plen = e2e_prologue(E2E_LABEL, id, caller, callee, prologue,
	    sizeof(prologue))) == 0)
		return E2_ERR_INVAL;
	if ((x = e2e_alloc(NOISE_INITIATOR, me)) == NULL)
		return E2_ERR_NOMEM;
	x->prologue_v1_len = e2e_prologue(E2E_LABEL_V1, id, caller, callee,
	    x->prologue_v1, sizeof(x->prologue_v1));
	if (fx != NULL)
		memcpy(x->sec + SEC_NONCE, fx->nonce, E2E_NONCELEN);
	else
		randombytes_buf(x->sec + SEC_NONCE, E2E_NONCELEN);
	if ((r = set_ephemeral(x, fx)) != 0)
		goto fail;
	make_commit(x->commit, x->epub, x->spub, x->sec + SEC_NONCE,
	    x->has_old ? x->old_pub : NULL);
	if ((r = hs_make(&x->hs, NOISE_INITIATOR, prologue, plen, x)) != 0 ||
	    (r = noise_hs_write(x->hs, x->commit, sizeof(x->commit), msg1,
	    cap, lenp)) != 0)
		goto fail;
	x->state = E2E_WAIT_MSG2;
	*xp = x;
	return 0;
fail:
	e2e_free(x);
	return r;
}

int
e2e_callee_start(struct e2e **xp, uint64_t id, const char *caller,
    const char *callee, const struct e2e_id *me, const struct e2e_fixed *fx,
    const uint8_t *msg1, size_t len, uint8_t *msg2, size_t cap, size_t *lenp)
{
	uint8_t prologue[E2E_PROLOGUE_MAX], payload[E2E_MSG_MAX];
	uint8_t proof[E2E_PROOFLEN];
	struct e2e *x;
	size_t plen, paylen;
	int r;

	*xp = NULL;
	if (me == NULL || me->priv == NULL || me->pub == NULL ||
	    msg1 == NULL || msg2 == NULL || lenp == NULL)
		return E2_ERR_INVAL;
	/* Version 1's message 1 is a bare e: refused, never reinterpreted. */
	if (len == E2E_MSG1_V1_LEN)
		return E2_ERR_VERSION;
	if (len != E2E_MSG1_LEN)
		return E2_ERR_FAILED;
	if ((plen = e2e_prologue(E2E_LABEL, id, caller, callee, prologue,
	    sizeof(prologue))) == 0)
		return E2_ERR_INVAL;
	if ((x = e2e_alloc(NOISE_RESPONDER, me)) == NULL)
		return E2_ERR_NOMEM;
	if ((r = set_ephemeral(x, fx)) != 0 ||
	    (r = hs_make(&x->hs, NOISE_RESPONDER, prologue, plen, x)) != 0 ||
	    (r = noise_hs_read(x->hs, msg1, len, payload, sizeof(payload),
	    &paylen)) != 0)
		goto fail;
	if (paylen != E2E_COMMITLEN) {
		r = E2_ERR_FAILED;
		goto fail;
	}
	memcpy(x->commit, payload, E2E_COMMITLEN);
	memcpy(x->peer_e, msg1, NOISE_KEYLEN);
	if (x->has_old && (r = write_proof(x, proof)) != 0)
		goto fail;
	if ((r = noise_hs_write(x->hs, proof, x->has_old ? sizeof(proof) : 0,
	    msg2, cap, lenp)) != 0)
		goto fail;
	sodium_memzero(x->sec + SEC_OLD, NOISE_KEYLEN);	/* used up */
	sodium_memzero(proof, sizeof(proof));
	x->state = E2E_WAIT_MSG3;
	*xp = x;
	return 0;
fail:
	sodium_memzero(proof, sizeof(proof));
	e2e_free(x);
	return r;
}

/* The handshake is complete: h, the code, the four keys; drop hs. */
static int
finish(struct e2e *x)
{
	uint8_t *k = NULL;
	int r, init = x->role == NOISE_INITIATOR;
	size_t i;
	/* Split(): k1 caller->callee, k2 callee->caller. */
	struct {
		size_t		 dst;
		int		 which;	/* 0: k1, 1: k2 */
		const char	*label;
		size_t		 llen;
	} d[4] = {
		{ SEC_MSEND, init ? 0 : 1, media_label, sizeof(media_label) - 1 },
		{ SEC_MRECV, init ? 1 : 0, media_label, sizeof(media_label) - 1 },
		{ SEC_CSEND, init ? 0 : 1, control_label,
		    sizeof(control_label) - 1 },
		{ SEC_CRECV, init ? 1 : 0, control_label,
		    sizeof(control_label) - 1 },
	};

	if ((r = noise_hs_handshake_hash(x->hs, x->h)) != 0 ||
	    (r = seccode_from_hash(x->h, sizeof(x->h), x->code)) != 0)
		return r;
	if ((k = sodium_malloc(2 * NOISE_KEYLEN)) == NULL)
		return E2_ERR_NOMEM;
	/* split_keys gives (send, recv) for this side: put k1 first. */
	if ((r = noise_hs_split_keys(x->hs, init ? k : k + NOISE_KEYLEN,
	    init ? k + NOISE_KEYLEN : k)) != 0)
		goto out;
	for (i = 0; i < 4; i++)
		crypto_generichash(x->sec + d[i].dst, NOISE_KEYLEN,
		    (const uint8_t *)d[i].label, d[i].llen,
		    k + d[i].which * NOISE_KEYLEN, NOISE_KEYLEN);
	noise_hs_free(x->hs);
	x->hs = NULL;
	sodium_memzero(x->sec + SEC_E, NOISE_KEYLEN);
	sodium_memzero(x->sec + SEC_NONCE, E2E_NONCELEN);
	sodium_memzero(x->sec + SEC_OLD, NOISE_KEYLEN);
	sodium_memzero(x->sec + SEC_PRIV, NOISE_KEYLEN);
	x->state = E2E_DONE;
out:
	sodium_free(k);
	return r;
}

/*
 * Message 2 failed to open: was it written by a callee of version 1,
 * which took our message 1 (e || commit) as its own with a payload it
 * ignores?  Returns 1 if so.
 */
static int
is_v1_msg2(struct e2e *x, const uint8_t *msg2, size_t len)
{
	struct noise_hs *hs = NULL;
	uint8_t m1[E2E_MSG1_LEN], payload[E2E_MSG_MAX];
	size_t n;
	int ok = 0;

	if (x->prologue_v1_len == 0 ||
	    hs_make(&hs, NOISE_INITIATOR, x->prologue_v1, x->prologue_v1_len,
	    x) != 0)
		return 0;
	if (noise_hs_write(hs, x->commit, sizeof(x->commit), m1, sizeof(m1),
	    &n) == 0 &&
	    noise_hs_read(hs, msg2, len, payload, sizeof(payload), &n) == 0)
		ok = 1;
	noise_hs_free(hs);
	return ok;
}

int
e2e_caller_finish(struct e2e *x, const uint8_t *msg2, size_t len,
    uint8_t *msg3, size_t cap, size_t *lenp)
{
	uint8_t payload[E2E_MSG_MAX], out[E2E_NONCELEN + E2E_PROOFLEN];
	size_t paylen, olen = E2E_NONCELEN;
	int r;

	if (x == NULL || msg2 == NULL || msg3 == NULL || lenp == NULL)
		return E2_ERR_INVAL;
	if (x->state == E2E_FAILED)
		return E2_ERR_FAILED;
	if (x->role != NOISE_INITIATOR || x->state != E2E_WAIT_MSG2)
		return E2_ERR_STATE;
	if (cap < E2E_MSG_MAX)
		return E2_ERR_SPACE;
	if ((r = noise_hs_read(x->hs, msg2, len, payload, sizeof(payload),
	    &paylen)) != 0) {
		if (is_v1_msg2(x, msg2, len))
			r = E2_ERR_VERSION;
		goto fail;
	}
	if ((r = noise_hs_remote_static(x->hs, x->peer_pub)) != 0)
		goto fail;
	memcpy(x->peer_e, msg2, NOISE_KEYLEN);
	if (paylen == E2E_PROOFLEN) {
		if ((r = check_proof(x, payload, x->peer_pub)) != 0)
			goto fail;
		x->peer_moved = 1;
		memcpy(x->peer_old_pub, payload, NOISE_KEYLEN);
	} else if (paylen != 0) {
		r = E2_ERR_FAILED;
		goto fail;
	}
	memcpy(out, x->sec + SEC_NONCE, E2E_NONCELEN);
	if (x->has_old) {
		if ((r = write_proof(x, out + E2E_NONCELEN)) != 0)
			goto fail;
		olen += E2E_PROOFLEN;
	}
	if ((r = noise_hs_write(x->hs, out, olen, msg3, cap, lenp)) != 0 ||
	    (r = finish(x)) != 0)
		goto fail;
	sodium_memzero(out, sizeof(out));
	return 0;
fail:
	sodium_memzero(out, sizeof(out));
	return e2e_fail(x, r);
}

int
e2e_callee_finish(struct e2e *x, const uint8_t *msg3, size_t len)
{
	uint8_t payload[E2E_MSG_MAX], commit[E2E_COMMITLEN];
	uint8_t rs[NOISE_KEYLEN];
	const uint8_t *old = NULL;
	size_t paylen;
	int r;

	if (x == NULL || msg3 == NULL)
		return E2_ERR_INVAL;
	if (x->state == E2E_FAILED)
		return E2_ERR_FAILED;
	if (x->role != NOISE_RESPONDER || x->state != E2E_WAIT_MSG3)
		return E2_ERR_STATE;
	if ((r = noise_hs_read(x->hs, msg3, len, payload, sizeof(payload),
	    &paylen)) != 0 ||
	    (r = noise_hs_remote_static(x->hs, rs)) != 0)
		goto fail;
	if (paylen == E2E_NONCELEN + E2E_PROOFLEN)
		old = payload + E2E_NONCELEN;
	else if (paylen != E2E_NONCELEN) {
		r = E2_ERR_FAILED;
		goto fail;
	}
	/* The caller opens its commit of message 1: e, s, nonce, move. */
	make_commit(commit, x->peer_e, rs, payload, old);
#ifndef E2E_TEST_NO_COMMIT
	if (sodium_memcmp(commit, x->commit, sizeof(commit)) != 0) {
		r = E2_ERR_AUTH;
		goto fail;
	}
#endif
	if (old != NULL) {
		if ((r = check_proof(x, old, rs)) != 0)
			goto fail;
		x->peer_moved = 1;
		memcpy(x->peer_old_pub, old, NOISE_KEYLEN);
	}
	memcpy(x->peer_pub, rs, sizeof(rs));
	if ((r = finish(x)) != 0)
		goto fail;
	sodium_memzero(payload, sizeof(payload));
	return 0;
fail:
	sodium_memzero(payload, sizeof(payload));
	return e2e_fail(x, r);
}

int
e2e_dup(struct e2e **dstp, const struct e2e *src)
{
	struct e2e *x;

	*dstp = NULL;
	if (src == NULL)
		return E2_ERR_INVAL;
	if ((x = calloc(1, sizeof(*x))) == NULL)
		return E2_ERR_NOMEM;
	*x = *src;
	x->hs = NULL;
	if ((x->sec = sodium_malloc(SEC_LEN)) == NULL) {
		free(x);
		return E2_ERR_NOMEM;
	}
	memcpy(x->sec, src->sec, SEC_LEN);
	if (src->hs != NULL && noise_hs_copy(&x->hs, src->hs) != 0) {
		e2e_free(x);
		return E2_ERR_NOMEM;
	}
	*dstp = x;
	return 0;
}

int
e2e_media_keys(const struct e2e *x, uint8_t send[NOISE_KEYLEN],
    uint8_t recv[NOISE_KEYLEN])
{
	if (x == NULL || x->state != E2E_DONE)
		return E2_ERR_STATE;
	memcpy(send, x->sec + SEC_MSEND, NOISE_KEYLEN);
	memcpy(recv, x->sec + SEC_MRECV, NOISE_KEYLEN);
	return 0;
}

static void
seal_params(uint8_t nonce[12], uint8_t ad[9], uint8_t type, uint64_t call)
{
	int i;

	memset(nonce, 0, 12);
	nonce[4] = type;	/* u64 little endian: only the low byte */
	ad[0] = type;
	for (i = 0; i < 8; i++)
		ad[1 + i] = (uint8_t)(call >> (56 - 8 * i));
}

int
e2e_seal(const struct e2e *x, uint8_t type, uint64_t call,
    const uint8_t *in, size_t len, uint8_t *out, size_t cap,
    size_t *outlenp)
{
	uint8_t nonce[12], ad[9];
	unsigned long long n;

	if (x == NULL || x->state != E2E_DONE)
		return E2_ERR_STATE;
	if (cap < len + E2E_SEAL_OVERHEAD)
		return E2_ERR_SPACE;
	seal_params(nonce, ad, type, call);
	crypto_aead_chacha20poly1305_ietf_encrypt(out, &n, in, len, ad,
	    sizeof(ad), NULL, nonce, x->sec + SEC_CSEND);
	*outlenp = (size_t)n;
	return 0;
}

int
e2e_open(const struct e2e *x, uint8_t type, uint64_t call,
    const uint8_t *in, size_t len, uint8_t *out, size_t cap,
    size_t *outlenp)
{
	uint8_t nonce[12], ad[9];
	unsigned long long n;

	if (x == NULL || x->state != E2E_DONE)
		return E2_ERR_STATE;
	if (len < E2E_SEAL_OVERHEAD)
		return E2_ERR_SHORT;
	if (cap < len - E2E_SEAL_OVERHEAD)
		return E2_ERR_SPACE;
	seal_params(nonce, ad, type, call);
	if (crypto_aead_chacha20poly1305_ietf_decrypt(out, &n, NULL, in, len,
	    ad, sizeof(ad), nonce, x->sec + SEC_CRECV) != 0)
		return E2_ERR_AUTH;
	*outlenp = (size_t)n;
	return 0;
}
