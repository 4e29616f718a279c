/*
 * noise.c - the Noise Protocol Framework, revision 34; see noise.h.
 *
 * One file for the three objects of the specification: the CipherState
 * (section 5.1), the SymmetricState (5.2) and the HandshakeState (5.3),
 * plus the psk modifier (section 9), for the patterns NN, XX and IK with
 * 25519, ChaChaPoly and BLAKE2b.  Section numbers below are the spec's.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "buf.h"
#include "err.h"
#include "noise.h"

#define DHLEN		32
#define HMAC_BLOCKLEN	128	/* BLAKE2b block size */
#define MAX_NAMELEN	255	/* longest protocol name (section 8) */
#define MAX_MSGS	3	/* messages in the longest pattern (XX) */
#define MAX_TOKENS	8	/* tokens in one message, psk included */
#define MAX_PSKS	(MAX_MSGS + 1)	/* psk0 .. psk3 */

static const char name_prefix[] = "Noise_";
static const char name_suffix[] = "_25519_ChaChaPoly_BLAKE2b";

enum token {
	TOK_END = 0,
	TOK_E,
	TOK_S,
	TOK_EE,
	TOK_ES,
	TOK_SE,
	TOK_SS,
	TOK_PSK,
};

/* A handshake pattern of section 7.4 and 7.5; messages alternate I, R, I. */
struct pattern {
	const char	*name;
	int		 pre_resp_static;	/* "<- s", then "..." */
	int		 init_static;		/* initiator has an s */
	int		 resp_static;		/* responder has an s */
	int		 nmsg;
	uint8_t		 tok[MAX_MSGS][MAX_TOKENS];
};

static const struct pattern patterns[] = {
	{ "NN", 0, 0, 0, 2, {
		{ TOK_E },
		{ TOK_E, TOK_EE } } },
	{ "XX", 0, 1, 1, 3, {
		{ TOK_E },
		{ TOK_E, TOK_EE, TOK_S, TOK_ES },
		{ TOK_S, TOK_SE } } },
	{ "IK", 1, 1, 1, 2, {
		{ TOK_E, TOK_ES, TOK_S, TOK_SS },
		{ TOK_E, TOK_EE, TOK_SE } } },
};

struct cstate {
	uint8_t		k[NOISE_KEYLEN];
	int		has_k;
	uint64_t	n;
};

struct noise_cs {
	struct cstate	c;
};

struct symstate {
	uint8_t		ck[NOISE_HASHLEN];
	uint8_t		h[NOISE_HASHLEN];
	struct cstate	cs;
};

/* Everything one message changes: worked on as a copy, then committed. */
struct hs_work {
	struct symstate	ss;
	uint8_t		e[DHLEN];	/* local ephemeral, private */
	uint8_t		epub[DHLEN];
	uint8_t		re[DHLEN];
	uint8_t		rs[DHLEN];
	int		has_e;
	int		has_re;
	int		has_rs;
	int		msg;		/* index of the next message */
	int		pskidx;		/* psks used so far */
};

struct noise_hs {
	enum noise_role		role;
	enum noise_action	action;
	const struct pattern	*pat;
	uint8_t			tok[MAX_MSGS][MAX_TOKENS + 1];
	int			nmsg;
	int			has_psk;	/* any psk modifier */
	int			npsk_need;
	int			npsk;
	uint8_t			psk[MAX_PSKS][NOISE_KEYLEN];
	uint8_t			s[DHLEN];
	uint8_t			spub[DHLEN];
	int			has_s;
	int			fixed_e;
	int			prologue_set;
	int			started;
	int			split_done;
	struct hs_work		cur;
	struct hs_work		tmp;
};

/* ---- primitives ---- */

/* Noise's 96-bit ChaChaPoly nonce: 4 zero bytes, then n little endian. */
static void
nonce_bytes(uint8_t out[12], uint64_t n)
{
	size_t i;

	memset(out, 0, 4);
	for (i = 0; i < 8; i++)
		out[4 + i] = (uint8_t)(n >> (8 * i));
}

/* HASH(a || b) */
static void
hash2(uint8_t out[NOISE_HASHLEN], const uint8_t *a, size_t alen,
    const uint8_t *b, size_t blen)
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, NULL, 0, NOISE_HASHLEN);
	crypto_generichash_update(&st, a, alen);
	crypto_generichash_update(&st, b, blen);
	crypto_generichash_final(&st, out, NOISE_HASHLEN);
	sodium_memzero(&st, sizeof(st));
}

/*
 * HMAC-BLAKE2b (RFC 2104 with B = 128, L = 64) over the concatenation of
 * d1 and d2.
 */
static void
hmac2(uint8_t out[NOISE_HASHLEN], const uint8_t *key, size_t keylen,
    const uint8_t *d1, size_t l1, const uint8_t *d2, size_t l2)
{
	crypto_generichash_state st;
	uint8_t k[HMAC_BLOCKLEN], pad[HMAC_BLOCKLEN], inner[NOISE_HASHLEN];
	size_t i;

	memset(k, 0, sizeof(k));
	if (keylen > HMAC_BLOCKLEN)
		crypto_generichash(k, NOISE_HASHLEN, key, keylen, NULL, 0);
	else if (keylen > 0)
		memcpy(k, key, keylen);

	for (i = 0; i < HMAC_BLOCKLEN; i++)
		pad[i] = k[i] ^ 0x36;
	crypto_generichash_init(&st, NULL, 0, NOISE_HASHLEN);
	crypto_generichash_update(&st, pad, sizeof(pad));
	if (l1 > 0)
		crypto_generichash_update(&st, d1, l1);
	if (l2 > 0)
		crypto_generichash_update(&st, d2, l2);
	crypto_generichash_final(&st, inner, sizeof(inner));

	for (i = 0; i < HMAC_BLOCKLEN; i++)
		pad[i] = k[i] ^ 0x5c;
	crypto_generichash_init(&st, NULL, 0, NOISE_HASHLEN);
	crypto_generichash_update(&st, pad, sizeof(pad));
	crypto_generichash_update(&st, inner, sizeof(inner));
	crypto_generichash_final(&st, out, NOISE_HASHLEN);

	sodium_memzero(&st, sizeof(st));
	sodium_memzero(k, sizeof(k));
	sodium_memzero(pad, sizeof(pad));
	sodium_memzero(inner, sizeof(inner));
}

void
noise_hmac_blake2b(uint8_t out[NOISE_HASHLEN], const uint8_t *key,
    size_t keylen, const uint8_t *data, size_t len)
{
	hmac2(out, key, keylen, data, len, NULL, 0);
}

/* HKDF of section 4.3 with two or three outputs (o3 may be NULL). */
static void
hkdf(const uint8_t ck[NOISE_HASHLEN], const uint8_t *ikm, size_t ikmlen,
    uint8_t o1[NOISE_HASHLEN], uint8_t o2[NOISE_HASHLEN],
    uint8_t o3[NOISE_HASHLEN])
{
	uint8_t tk[NOISE_HASHLEN], t1[NOISE_HASHLEN], t2[NOISE_HASHLEN];
	const uint8_t one = 0x01, two = 0x02, three = 0x03;

	hmac2(tk, ck, NOISE_HASHLEN, ikm, ikmlen, NULL, 0);
	hmac2(t1, tk, sizeof(tk), &one, 1, NULL, 0);
	hmac2(t2, tk, sizeof(tk), t1, sizeof(t1), &two, 1);
	if (o3 != NULL)
		hmac2(o3, tk, sizeof(tk), t2, sizeof(t2), &three, 1);
	memcpy(o1, t1, NOISE_HASHLEN);
	memcpy(o2, t2, NOISE_HASHLEN);
	sodium_memzero(tk, sizeof(tk));
	sodium_memzero(t1, sizeof(t1));
	sodium_memzero(t2, sizeof(t2));
}

/* DH(): X25519; an all-zero result (a low order point) is an error. */
static int
dh(uint8_t out[DHLEN], const uint8_t priv[DHLEN], const uint8_t pub[DHLEN])
{
	if (crypto_scalarmult(out, priv, pub) != 0 ||
	    sodium_is_zero(out, DHLEN)) {
		sodium_memzero(out, DHLEN);
		return E2_ERR_KEY;
	}
	return 0;
}

/* ---- CipherState (section 5.1) ---- */

static void
cs_init_key(struct cstate *c, const uint8_t k[NOISE_KEYLEN])
{
	memcpy(c->k, k, NOISE_KEYLEN);
	c->has_k = 1;
	c->n = 0;
}

static int
cs_encrypt(struct cstate *c, const uint8_t *ad, size_t adlen,
    const uint8_t *in, size_t inlen, uint8_t *out, size_t outcap,
    size_t *outlenp)
{
	uint8_t nonce[12];
	unsigned long long clen;
	size_t need;

	need = inlen + (c->has_k ? NOISE_TAGLEN : 0);
	if (inlen > NOISE_MAX_MSGLEN || need > NOISE_MAX_MSGLEN)
		return E2_ERR_TOOBIG;
	if (need > outcap)
		return E2_ERR_SPACE;
	if (!c->has_k) {
		if (inlen > 0)
			memmove(out, in, inlen);
		*outlenp = inlen;
		return 0;
	}
	if (c->n == UINT64_MAX)
		return E2_ERR_NONCE;
	nonce_bytes(nonce, c->n);
	crypto_aead_chacha20poly1305_ietf_encrypt(out, &clen, in, inlen,
	    ad, adlen, NULL, nonce, c->k);
	c->n++;
	*outlenp = (size_t)clen;
	return 0;
}

static int
cs_decrypt(struct cstate *c, const uint8_t *ad, size_t adlen,
    const uint8_t *in, size_t inlen, uint8_t *out, size_t outcap,
    size_t *outlenp)
{
	uint8_t nonce[12];
	unsigned long long mlen;

	if (inlen > NOISE_MAX_MSGLEN)
		return E2_ERR_TOOBIG;
	if (!c->has_k) {
		if (inlen > outcap)
			return E2_ERR_SPACE;
		if (inlen > 0)
			memmove(out, in, inlen);
		*outlenp = inlen;
		return 0;
	}
	if (inlen < NOISE_TAGLEN)
		return E2_ERR_SHORT;
	if (inlen - NOISE_TAGLEN > outcap)
		return E2_ERR_SPACE;
	if (c->n == UINT64_MAX)
		return E2_ERR_NONCE;
	nonce_bytes(nonce, c->n);
	if (crypto_aead_chacha20poly1305_ietf_decrypt(out, &mlen, NULL,
	    in, inlen, ad, adlen, nonce, c->k) != 0)
		return E2_ERR_AUTH;
	c->n++;
	*outlenp = (size_t)mlen;
	return 0;
}

int
noise_cs_new(struct noise_cs **csp, const uint8_t k[NOISE_KEYLEN])
{
	struct noise_cs *cs;

	if (csp == NULL)
		return E2_ERR_INVAL;
	*csp = NULL;
	if (sodium_init() < 0)
		return E2_ERR_NOMEM;
	if ((cs = sodium_malloc(sizeof(*cs))) == NULL)
		return E2_ERR_NOMEM;
	memset(cs, 0, sizeof(*cs));
	if (k != NULL)
		cs_init_key(&cs->c, k);
	*csp = cs;
	return 0;
}

void
noise_cs_free(struct noise_cs *cs)
{
	if (cs == NULL)
		return;
	sodium_memzero(cs, sizeof(*cs));
	sodium_free(cs);
}

int
noise_cs_has_key(const struct noise_cs *cs)
{
	return cs != NULL && cs->c.has_k;
}

void
noise_cs_set_nonce(struct noise_cs *cs, uint64_t n)
{
	if (cs != NULL)
		cs->c.n = n;
}

uint64_t
noise_cs_nonce(const struct noise_cs *cs)
{
	return cs == NULL ? 0 : cs->c.n;
}

int
noise_cs_encrypt(struct noise_cs *cs, const uint8_t *ad, size_t adlen,
    const uint8_t *in, size_t inlen, uint8_t *out, size_t outcap,
    size_t *outlenp)
{
	if (cs == NULL || out == NULL || outlenp == NULL ||
	    (in == NULL && inlen > 0) || (ad == NULL && adlen > 0))
		return E2_ERR_INVAL;
	return cs_encrypt(&cs->c, ad, adlen, in, inlen, out, outcap, outlenp);
}

int
noise_cs_decrypt(struct noise_cs *cs, const uint8_t *ad, size_t adlen,
    const uint8_t *in, size_t inlen, uint8_t *out, size_t outcap,
    size_t *outlenp)
{
	if (cs == NULL || out == NULL || outlenp == NULL ||
	    (in == NULL && inlen > 0) || (ad == NULL && adlen > 0))
		return E2_ERR_INVAL;
	return cs_decrypt(&cs->c, ad, adlen, in, inlen, out, outcap, outlenp);
}

int
noise_cs_rekey(struct noise_cs *cs)
{
	if (cs == NULL)
		return E2_ERR_INVAL;
	if (!cs->c.has_k)
		return E2_ERR_STATE;
	noise_rekey_key(cs->c.k);
	return 0;
}

void
noise_rekey_key(uint8_t k[NOISE_KEYLEN])
{
	uint8_t zeros[NOISE_KEYLEN], out[NOISE_KEYLEN + NOISE_TAGLEN];
	uint8_t nonce[12];

	memset(zeros, 0, sizeof(zeros));
	nonce_bytes(nonce, UINT64_MAX);
	crypto_aead_chacha20poly1305_ietf_encrypt(out, NULL, zeros,
	    sizeof(zeros), NULL, 0, NULL, nonce, k);
	memcpy(k, out, NOISE_KEYLEN);
	sodium_memzero(out, sizeof(out));
}

/* ---- SymmetricState (section 5.2) ---- */

static void
ss_init(struct symstate *ss, const char *name, size_t namelen)
{
	memset(ss, 0, sizeof(*ss));
	if (namelen <= NOISE_HASHLEN)
		memcpy(ss->h, name, namelen);
	else
		crypto_generichash(ss->h, NOISE_HASHLEN,
		    (const uint8_t *)name, namelen, NULL, 0);
	memcpy(ss->ck, ss->h, NOISE_HASHLEN);
}

static void
ss_mix_hash(struct symstate *ss, const uint8_t *data, size_t len)
{
	uint8_t h[NOISE_HASHLEN];

	hash2(h, ss->h, NOISE_HASHLEN, data, len);
	memcpy(ss->h, h, NOISE_HASHLEN);
}

static void
ss_mix_key(struct symstate *ss, const uint8_t *ikm, size_t len)
{
	uint8_t ck[NOISE_HASHLEN], tk[NOISE_HASHLEN];

	hkdf(ss->ck, ikm, len, ck, tk, NULL);
	memcpy(ss->ck, ck, NOISE_HASHLEN);
	cs_init_key(&ss->cs, tk);	/* truncated to 32 bytes */
	sodium_memzero(ck, sizeof(ck));
	sodium_memzero(tk, sizeof(tk));
}

static void
ss_mix_key_and_hash(struct symstate *ss, const uint8_t *ikm, size_t len)
{
	uint8_t ck[NOISE_HASHLEN], th[NOISE_HASHLEN], tk[NOISE_HASHLEN];

	hkdf(ss->ck, ikm, len, ck, th, tk);
	memcpy(ss->ck, ck, NOISE_HASHLEN);
	ss_mix_hash(ss, th, sizeof(th));
	cs_init_key(&ss->cs, tk);
	sodium_memzero(ck, sizeof(ck));
	sodium_memzero(th, sizeof(th));
	sodium_memzero(tk, sizeof(tk));
}

static int
ss_encrypt_and_hash(struct symstate *ss, const uint8_t *in, size_t inlen,
    uint8_t *out, size_t outcap, size_t *outlenp)
{
	int r;

	if ((r = cs_encrypt(&ss->cs, ss->h, NOISE_HASHLEN, in, inlen,
	    out, outcap, outlenp)) != 0)
		return r;
	ss_mix_hash(ss, out, *outlenp);
	return 0;
}

static int
ss_decrypt_and_hash(struct symstate *ss, const uint8_t *in, size_t inlen,
    uint8_t *out, size_t outcap, size_t *outlenp)
{
	uint8_t h[NOISE_HASHLEN];
	int r;

	/* h of the ciphertext first: in may be overwritten when out == in */
	hash2(h, ss->h, NOISE_HASHLEN, in, inlen);
	if ((r = cs_decrypt(&ss->cs, ss->h, NOISE_HASHLEN, in, inlen,
	    out, outcap, outlenp)) != 0)
		return r;
	memcpy(ss->h, h, NOISE_HASHLEN);
	return 0;
}

/* ---- HandshakeState (section 5.3) ---- */

/* Parses "<pattern>[pskN[+pskM...]]" into hs->tok; 0 or UNSUPPORTED. */
static int
parse_pattern(struct noise_hs *hs, const char *p, size_t len)
{
	const struct pattern *pat = NULL;
	int nmods = 0, seen = 0;
	int i, m, n, t;
	size_t off;

	for (i = 0; i < (int)(sizeof(patterns) / sizeof(patterns[0])); i++) {
		if (len >= 2 && memcmp(p, patterns[i].name, 2) == 0) {
			pat = &patterns[i];
			break;
		}
	}
	if (pat == NULL)
		return E2_ERR_UNSUPPORTED;
	off = 2;
	while (off < len) {
		if (nmods > 0) {
			if (p[off] != '+')
				return E2_ERR_UNSUPPORTED;
			off++;
		}
		if (len - off < 4 || memcmp(p + off, "psk", 3) != 0 ||
		    p[off + 3] < '0' || p[off + 3] > '9')
			return E2_ERR_UNSUPPORTED;
		n = p[off + 3] - '0';
		off += 4;
		if (off < len && p[off] >= '0' && p[off] <= '9')
			return E2_ERR_UNSUPPORTED;	/* psk10 and up */
		if (n > pat->nmsg || (seen & (1 << n)))
			return E2_ERR_UNSUPPORTED;
		seen |= 1 << n;
		nmods++;
	}

	hs->pat = pat;
	hs->nmsg = pat->nmsg;
	hs->has_psk = nmods > 0;
	hs->npsk_need = nmods;
	/* psk0 opens the first message; pskN closes message N. */
	for (m = 0; m < pat->nmsg; m++) {
		i = 0;
		if (m == 0 && (seen & 1))
			hs->tok[m][i++] = TOK_PSK;
		for (t = 0; t < MAX_TOKENS && pat->tok[m][t] != TOK_END; t++)
			hs->tok[m][i++] = pat->tok[m][t];
		if (seen & (1 << (m + 1)))
			hs->tok[m][i++] = TOK_PSK;
		hs->tok[m][i] = TOK_END;
	}
	return 0;
}

int
noise_hs_new(struct noise_hs **hsp, const char *protocol_name,
    enum noise_role role)
{
	struct noise_hs *hs;
	size_t len, plen = sizeof(name_prefix) - 1;
	size_t slen = sizeof(name_suffix) - 1;
	int r;

	if (hsp == NULL)
		return E2_ERR_INVAL;
	*hsp = NULL;
	if (protocol_name == NULL ||
	    (role != NOISE_INITIATOR && role != NOISE_RESPONDER))
		return E2_ERR_INVAL;
	for (len = 0; len <= MAX_NAMELEN && protocol_name[len] != '\0'; len++)
		;
	if (len > MAX_NAMELEN || len < plen + slen ||
	    memcmp(protocol_name, name_prefix, plen) != 0 ||
	    memcmp(protocol_name + len - slen, name_suffix, slen) != 0)
		return E2_ERR_UNSUPPORTED;
	if (sodium_init() < 0)
		return E2_ERR_NOMEM;
	/*
	 * Plain heap memory, wiped on every exit (noise_hs_free, hs_fail):
	 * a guarded sodium_malloc() costs ~10 system calls per handshake,
	 * which a server doing thousands a second cannot afford.
	 */
	if ((hs = calloc(1, sizeof(*hs))) == NULL)
		return E2_ERR_NOMEM;
	if ((r = parse_pattern(hs, protocol_name + plen,
	    len - plen - slen)) != 0) {
		noise_hs_free(hs);
		return r;
	}
	hs->role = role;
	hs->action = NOISE_ACTION_NONE;
	ss_init(&hs->cur.ss, protocol_name, len);
	*hsp = hs;
	return 0;
}

void
noise_hs_free(struct noise_hs *hs)
{
	if (hs == NULL)
		return;
	sodium_memzero(hs, sizeof(*hs));
	free(hs);
}

int
noise_hs_copy(struct noise_hs **dstp, const struct noise_hs *src)
{
	struct noise_hs *hs;

	*dstp = NULL;
	if (src == NULL)
		return E2_ERR_INVAL;
	if ((hs = malloc(sizeof(*hs))) == NULL)
		return E2_ERR_NOMEM;
	memcpy(hs, src, sizeof(*hs));
	*dstp = hs;
	return 0;
}

/* Terminal failure: forget every secret, remember only the failure. */
static int
hs_fail(struct noise_hs *hs, int err)
{
	sodium_memzero(&hs->cur, sizeof(hs->cur));
	sodium_memzero(&hs->tmp, sizeof(hs->tmp));
	sodium_memzero(hs->psk, sizeof(hs->psk));
	sodium_memzero(hs->s, sizeof(hs->s));
	hs->action = NOISE_ACTION_FAILED;
	return err;
}

/* Setters are allowed only before noise_hs_start(). */
static int
hs_setup_check(const struct noise_hs *hs)
{
	if (hs == NULL)
		return E2_ERR_INVAL;
	if (hs->action == NOISE_ACTION_FAILED)
		return E2_ERR_FAILED;
	if (hs->started)
		return E2_ERR_STATE;
	return 0;
}

int
noise_hs_set_prologue(struct noise_hs *hs, const uint8_t *p, size_t len)
{
	int r;

	if ((r = hs_setup_check(hs)) != 0)
		return r;
	if (p == NULL && len > 0)
		return E2_ERR_INVAL;
	if (hs->prologue_set)
		return E2_ERR_STATE;
	ss_mix_hash(&hs->cur.ss, p, len);
	hs->prologue_set = 1;
	return 0;
}

int
noise_hs_set_local_static(struct noise_hs *hs,
    const uint8_t priv[NOISE_KEYLEN])
{
	uint8_t pub[DHLEN];
	int r;

	if ((r = hs_setup_check(hs)) != 0)
		return r;
	if (priv == NULL)
		return E2_ERR_INVAL;
	if (crypto_scalarmult_base(pub, priv) != 0)
		return E2_ERR_KEY;
	return noise_hs_set_local_keypair(hs, priv, pub);
}

int
noise_hs_set_local_keypair(struct noise_hs *hs,
    const uint8_t priv[NOISE_KEYLEN], const uint8_t pub[NOISE_KEYLEN])
{
	int r;

	if ((r = hs_setup_check(hs)) != 0)
		return r;
	if (priv == NULL || pub == NULL)
		return E2_ERR_INVAL;
	memcpy(hs->s, priv, DHLEN);
	memcpy(hs->spub, pub, DHLEN);
	hs->has_s = 1;
	return 0;
}

int
noise_hs_set_local_ephemeral(struct noise_hs *hs,
    const uint8_t priv[NOISE_KEYLEN])
{
	uint8_t pub[DHLEN];
	int r;

	if ((r = hs_setup_check(hs)) != 0)
		return r;
	if (priv == NULL)
		return E2_ERR_INVAL;
	if (crypto_scalarmult_base(pub, priv) != 0)
		return E2_ERR_KEY;
	memcpy(hs->cur.e, priv, DHLEN);
	memcpy(hs->cur.epub, pub, DHLEN);
	hs->cur.has_e = 1;
	hs->fixed_e = 1;
	return 0;
}

int
noise_hs_set_remote_static(struct noise_hs *hs,
    const uint8_t pub[NOISE_KEYLEN])
{
	int r;

	if ((r = hs_setup_check(hs)) != 0)
		return r;
	if (pub == NULL)
		return E2_ERR_INVAL;
	memcpy(hs->cur.rs, pub, DHLEN);
	hs->cur.has_rs = 1;
	return 0;
}

int
noise_hs_add_psk(struct noise_hs *hs, const uint8_t psk[NOISE_KEYLEN])
{
	int r;

	if ((r = hs_setup_check(hs)) != 0)
		return r;
	if (psk == NULL)
		return E2_ERR_INVAL;
	if (hs->npsk >= hs->npsk_need)
		return E2_ERR_STATE;
	memcpy(hs->psk[hs->npsk++], psk, NOISE_KEYLEN);
	return 0;
}

int
noise_hs_start(struct noise_hs *hs)
{
	int init, r;

	if ((r = hs_setup_check(hs)) != 0)
		return r;
	init = hs->role == NOISE_INITIATOR;
	if (init ? hs->pat->init_static : hs->pat->resp_static) {
		if (!hs->has_s)
			return E2_ERR_STATE;
	}
	/* Only the initiator of IK knows the peer's key beforehand. */
	if (init && hs->pat->pre_resp_static) {
		if (!hs->cur.has_rs)
			return E2_ERR_STATE;
	} else if (hs->cur.has_rs)
		return E2_ERR_STATE;
	if (hs->npsk != hs->npsk_need)
		return E2_ERR_STATE;

	if (!hs->prologue_set)
		ss_mix_hash(&hs->cur.ss, NULL, 0);
	if (hs->pat->pre_resp_static)
		ss_mix_hash(&hs->cur.ss, init ? hs->cur.rs : hs->spub, DHLEN);
	hs->started = 1;
	hs->action = init ? NOISE_ACTION_WRITE : NOISE_ACTION_READ;
	return 0;
}

enum noise_action
noise_hs_action(const struct noise_hs *hs)
{
	if (hs == NULL)
		return NOISE_ACTION_FAILED;
	return hs->action;
}

/* Bytes of message w->msg besides the payload. */
static size_t
msg_overhead(const struct noise_hs *hs, const struct hs_work *w)
{
	const uint8_t *t;
	int has_k = w->ss.cs.has_k;
	size_t len = 0;

	for (t = hs->tok[w->msg]; *t != TOK_END; t++) {
		switch (*t) {
		case TOK_E:
			len += DHLEN;
			if (hs->has_psk)
				has_k = 1;
			break;
		case TOK_S:
			len += DHLEN + (has_k ? NOISE_TAGLEN : 0);
			break;
		default:	/* ee, es, se, ss, psk: all MixKey */
			has_k = 1;
			break;
		}
	}
	return len + (has_k ? NOISE_TAGLEN : 0);
}

/* The DH tokens, the same for writing and reading. */
static int
hs_dh_token(struct noise_hs *hs, struct hs_work *w, int tok)
{
	const uint8_t *le = w->has_e ? w->e : NULL;
	const uint8_t *ls = hs->has_s ? hs->s : NULL;
	const uint8_t *re = w->has_re ? w->re : NULL;
	const uint8_t *rs = w->has_rs ? w->rs : NULL;
	const uint8_t *priv, *pub;
	uint8_t out[DHLEN];
	int init = hs->role == NOISE_INITIATOR;
	int r;

	switch (tok) {
	case TOK_EE:
		priv = le, pub = re;
		break;
	case TOK_ES:	/* initiator's e, responder's s */
		priv = init ? le : ls, pub = init ? rs : re;
		break;
	case TOK_SE:	/* initiator's s, responder's e */
		priv = init ? ls : le, pub = init ? re : rs;
		break;
	case TOK_SS:
		priv = ls, pub = rs;
		break;
	default:
		return E2_ERR_STATE;
	}
	if (priv == NULL || pub == NULL)
		return E2_ERR_KEY;
	if ((r = dh(out, priv, pub)) == 0)
		ss_mix_key(&w->ss, out, sizeof(out));
	sodium_memzero(out, sizeof(out));
	return r;
}

/* GENERATE_KEYPAIR() for "e". */
static int
gen_ephemeral(struct hs_work *w)
{
	randombytes_buf(w->e, DHLEN);
	if (crypto_scalarmult_base(w->epub, w->e) != 0)
		return E2_ERR_KEY;
	w->has_e = 1;
	return 0;
}

/* After a message: commit the work copy and move to the next action. */
static void
hs_commit(struct noise_hs *hs)
{
	struct hs_work *w = &hs->tmp;
	int init = hs->role == NOISE_INITIATOR;
	int mine;

	w->msg++;
	memcpy(&hs->cur, w, sizeof(*w));
	sodium_memzero(w, sizeof(*w));
	if (hs->cur.msg >= hs->nmsg) {
		hs->action = NOISE_ACTION_SPLIT;
		return;
	}
	/* Even messages are the initiator's. */
	mine = (hs->cur.msg % 2 == 0) == init;
	hs->action = mine ? NOISE_ACTION_WRITE : NOISE_ACTION_READ;
}

int
noise_hs_write(struct noise_hs *hs, const uint8_t *payload,
    size_t paylen, uint8_t *out, size_t outcap, size_t *outlenp)
{
	struct hs_work *w;
	struct buf b;
	const uint8_t *t;
	size_t need, n;
	int r;

	if (hs == NULL || out == NULL || outlenp == NULL ||
	    (payload == NULL && paylen > 0))
		return E2_ERR_INVAL;
	if (hs->action == NOISE_ACTION_FAILED)
		return E2_ERR_FAILED;
	if (hs->action != NOISE_ACTION_WRITE)
		return E2_ERR_STATE;

	w = &hs->tmp;
	memcpy(w, &hs->cur, sizeof(*w));
	need = msg_overhead(hs, w);
	if (paylen > NOISE_MAX_MSGLEN || need + paylen > NOISE_MAX_MSGLEN) {
		r = E2_ERR_TOOBIG;
		goto fail;
	}
	if (need + paylen > outcap) {
		r = E2_ERR_SPACE;
		goto fail;
	}
	buf_init_write(&b, out, outcap);

	for (t = hs->tok[w->msg]; *t != TOK_END; t++) {
		switch (*t) {
		case TOK_E:
			if (!hs->fixed_e && (r = gen_ephemeral(w)) != 0)
				goto fail;
			if ((r = buf_put_bytes(&b, w->epub, DHLEN)) != 0)
				goto fail;
			ss_mix_hash(&w->ss, w->epub, DHLEN);
			if (hs->has_psk)
				ss_mix_key(&w->ss, w->epub, DHLEN);
			break;
		case TOK_S:
			if ((r = ss_encrypt_and_hash(&w->ss, hs->spub, DHLEN,
			    b.d + b.len, b.cap - b.len, &n)) != 0)
				goto fail;
			b.len += n;
			break;
		case TOK_PSK:
			ss_mix_key_and_hash(&w->ss, hs->psk[w->pskidx],
			    NOISE_KEYLEN);
			w->pskidx++;
			break;
		default:
			if ((r = hs_dh_token(hs, w, *t)) != 0)
				goto fail;
			break;
		}
	}
	if ((r = ss_encrypt_and_hash(&w->ss, payload, paylen,
	    b.d + b.len, b.cap - b.len, &n)) != 0)
		goto fail;
	b.len += n;

	*outlenp = b.len;
	hs_commit(hs);
	return 0;
fail:
	return hs_fail(hs, r);
}

int
noise_hs_read(struct noise_hs *hs, const uint8_t *msg, size_t msglen,
    uint8_t *payload, size_t paycap, size_t *paylenp)
{
	struct hs_work *w;
	struct buf b;
	const uint8_t *t, *p;
	size_t need, slen, n;
	int r;

	if (hs == NULL || paylenp == NULL || (msg == NULL && msglen > 0) ||
	    (payload == NULL && paycap > 0))
		return E2_ERR_INVAL;
	if (hs->action == NOISE_ACTION_FAILED)
		return E2_ERR_FAILED;
	if (hs->action != NOISE_ACTION_READ)
		return E2_ERR_STATE;

	w = &hs->tmp;
	memcpy(w, &hs->cur, sizeof(*w));
	need = msg_overhead(hs, w);
	if (msglen > NOISE_MAX_MSGLEN) {
		r = E2_ERR_TOOBIG;
		goto fail;
	}
	if (msglen < need) {
		r = E2_ERR_SHORT;
		goto fail;
	}
	if (msglen - need > paycap) {
		r = E2_ERR_SPACE;
		goto fail;
	}
	buf_init_read(&b, msg, msglen);

	for (t = hs->tok[w->msg]; *t != TOK_END; t++) {
		switch (*t) {
		case TOK_E:
			if ((r = buf_get_bytes(&b, w->re, DHLEN)) != 0)
				goto fail;
			w->has_re = 1;
			ss_mix_hash(&w->ss, w->re, DHLEN);
			if (hs->has_psk)
				ss_mix_key(&w->ss, w->re, DHLEN);
			break;
		case TOK_S:
			slen = DHLEN + (w->ss.cs.has_k ? NOISE_TAGLEN : 0);
			if ((r = buf_get_ptr(&b, &p, slen)) != 0)
				goto fail;
			if ((r = ss_decrypt_and_hash(&w->ss, p, slen,
			    w->rs, DHLEN, &n)) != 0)
				goto fail;
			w->has_rs = 1;
			break;
		case TOK_PSK:
			ss_mix_key_and_hash(&w->ss, hs->psk[w->pskidx],
			    NOISE_KEYLEN);
			w->pskidx++;
			break;
		default:
			if ((r = hs_dh_token(hs, w, *t)) != 0)
				goto fail;
			break;
		}
	}
	n = buf_left(&b);
	if ((r = buf_get_ptr(&b, &p, n)) != 0)
		goto fail;
	if ((r = ss_decrypt_and_hash(&w->ss, p, n, payload, paycap,
	    paylenp)) != 0)
		goto fail;

	hs_commit(hs);
	return 0;
fail:
	return hs_fail(hs, r);
}

int
noise_hs_remote_static(const struct noise_hs *hs, uint8_t pub[NOISE_KEYLEN])
{
	if (hs == NULL || pub == NULL)
		return E2_ERR_INVAL;
	if (hs->action == NOISE_ACTION_FAILED)
		return E2_ERR_FAILED;
	if (!hs->cur.has_rs)
		return E2_ERR_STATE;
	memcpy(pub, hs->cur.rs, NOISE_KEYLEN);
	return 0;
}

int
noise_hs_handshake_hash(const struct noise_hs *hs, uint8_t h[NOISE_HASHLEN])
{
	if (hs == NULL || h == NULL)
		return E2_ERR_INVAL;
	if (hs->action == NOISE_ACTION_FAILED)
		return E2_ERR_FAILED;
	if (!hs->started)
		return E2_ERR_STATE;
	memcpy(h, hs->cur.ss.h, NOISE_HASHLEN);
	return 0;
}

/* Split() into raw keys k1 (initiator to responder) and k2. */
static int
hs_split_raw(struct noise_hs *hs, uint8_t k1[NOISE_KEYLEN],
    uint8_t k2[NOISE_KEYLEN])
{
	uint8_t t1[NOISE_HASHLEN], t2[NOISE_HASHLEN];

	if (hs->action == NOISE_ACTION_FAILED)
		return E2_ERR_FAILED;
	if (hs->action != NOISE_ACTION_SPLIT)
		return E2_ERR_STATE;
	hkdf(hs->cur.ss.ck, NULL, 0, t1, t2, NULL);
	memcpy(k1, t1, NOISE_KEYLEN);
	memcpy(k2, t2, NOISE_KEYLEN);
	sodium_memzero(t1, sizeof(t1));
	sodium_memzero(t2, sizeof(t2));
	return 0;
}

/* After Split(): keep h and the remote static key, both public. */
static void
hs_finish(struct noise_hs *hs)
{
	uint8_t h[NOISE_HASHLEN], rs[DHLEN];
	int has_rs = hs->cur.has_rs;

	memcpy(h, hs->cur.ss.h, sizeof(h));
	memcpy(rs, hs->cur.rs, sizeof(rs));
	sodium_memzero(&hs->cur, sizeof(hs->cur));
	sodium_memzero(&hs->tmp, sizeof(hs->tmp));
	sodium_memzero(hs->psk, sizeof(hs->psk));
	sodium_memzero(hs->s, sizeof(hs->s));
	hs->has_s = 0;
	hs->npsk = 0;
	memcpy(hs->cur.ss.h, h, sizeof(h));
	memcpy(hs->cur.rs, rs, sizeof(rs));
	hs->cur.has_rs = has_rs;
	hs->split_done = 1;
	hs->action = NOISE_ACTION_NONE;
}

int
noise_hs_split(struct noise_hs *hs, struct noise_cs **sendp,
    struct noise_cs **recvp)
{
	uint8_t k1[NOISE_KEYLEN], k2[NOISE_KEYLEN];
	struct noise_cs *c1 = NULL, *c2 = NULL;
	int r;

	if (hs == NULL || sendp == NULL || recvp == NULL)
		return E2_ERR_INVAL;
	if ((r = hs_split_raw(hs, k1, k2)) != 0)
		goto out;
	if ((r = noise_cs_new(&c1, k1)) != 0 ||
	    (r = noise_cs_new(&c2, k2)) != 0)
		goto out;
	if (hs->role == NOISE_INITIATOR) {
		*sendp = c1;
		*recvp = c2;
	} else {
		*sendp = c2;
		*recvp = c1;
	}
	c1 = c2 = NULL;
	hs_finish(hs);
out:
	noise_cs_free(c1);
	noise_cs_free(c2);
	sodium_memzero(k1, sizeof(k1));
	sodium_memzero(k2, sizeof(k2));
	return r;
}

int
noise_hs_split_keys(struct noise_hs *hs, uint8_t send[NOISE_KEYLEN],
    uint8_t recv[NOISE_KEYLEN])
{
	uint8_t k1[NOISE_KEYLEN], k2[NOISE_KEYLEN];
	int r;

	if (hs == NULL || send == NULL || recv == NULL)
		return E2_ERR_INVAL;
	if ((r = hs_split_raw(hs, k1, k2)) != 0)
		goto out;
	if (hs->role == NOISE_INITIATOR) {
		memcpy(send, k1, NOISE_KEYLEN);
		memcpy(recv, k2, NOISE_KEYLEN);
	} else {
		memcpy(send, k2, NOISE_KEYLEN);
		memcpy(recv, k1, NOISE_KEYLEN);
	}
	hs_finish(hs);
out:
	sodium_memzero(k1, sizeof(k1));
	sodium_memzero(k2, sizeof(k2));
	return r;
}

/* ---- keys, the security code, fingerprints ---- */

void
noise_keypair(uint8_t priv[NOISE_KEYLEN], uint8_t pub[NOISE_KEYLEN])
{
	int r;

	/* Idempotent; the primitives below work without it as well. */
	r = sodium_init();
	(void)r;
	do {
		randombytes_buf(priv, NOISE_KEYLEN);
	} while (crypto_scalarmult_base(pub, priv) != 0);
}

int
noise_pubkey(const uint8_t priv[NOISE_KEYLEN], uint8_t pub[NOISE_KEYLEN])
{
	if (priv == NULL || pub == NULL)
		return E2_ERR_INVAL;
	if (crypto_scalarmult_base(pub, priv) != 0)
		return E2_ERR_KEY;
	return 0;
}

static const char seccode_key[] = "e2call security code v2";

int
seccode_from_hash(const uint8_t *h, size_t hlen, char out[SECCODE_LEN + 1])
{
	uint8_t c[32];
	uint64_t v;
	size_t i, j;
	char *o = out;

	if (h == NULL || hlen == 0 || out == NULL)
		return E2_ERR_INVAL;
	crypto_generichash(c, sizeof(c), h, hlen,
	    (const uint8_t *)seccode_key, sizeof(seccode_key) - 1);
	for (i = 0; i < 4; i++) {
		v = 0;
		for (j = 0; j < 5; j++)
			v = (v << 8) | c[5 * i + j];
		v %= 100000;
		if (i > 0)
			*o++ = ' ';
		for (j = 5; j > 0; j--) {
			o[j - 1] = (char)('0' + v % 10);
			v /= 10;
		}
		o += 5;
	}
	*o = '\0';
	sodium_memzero(c, sizeof(c));
	return 0;
}

static const char fp_key[] = "e2call fingerprint v1";
static const char b32[] = "abcdefghijklmnopqrstuvwxyz234567";

int
fingerprint(const uint8_t pub[NOISE_KEYLEN], char out[FINGERPRINT_LEN + 1])
{
	uint8_t d[20];
	uint32_t acc = 0;
	int bits = 0;
	size_t i, nch = 0;
	char *o = out;

	if (pub == NULL || out == NULL)
		return E2_ERR_INVAL;
	crypto_generichash(d, sizeof(d), pub, NOISE_KEYLEN,
	    (const uint8_t *)fp_key, sizeof(fp_key) - 1);
	/* 160 bits are exactly 32 base32 characters: no padding. */
	for (i = 0; i < sizeof(d); i++) {
		acc = (acc << 8) | d[i];
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			if (nch > 0 && nch % 4 == 0)
				*o++ = ' ';
			*o++ = b32[(acc >> bits) & 0x1f];
			nch++;
		}
		acc &= (1u << bits) - 1;
	}
	*o = '\0';
	return 0;
}
