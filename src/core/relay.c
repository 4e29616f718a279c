/* relay.c - the relay's control datagrams; see relay.h. */
#include <string.h>

#include <sodium.h>

#include "err.h"
#include "relay.h"

static void
put_u64(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (56 - 8 * i));
}

static uint64_t
get_u64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static void
mac(uint8_t out[RELAY_MACLEN], const uint8_t *msg, size_t len,
    const uint8_t key[RELAY_KEYLEN])
{
	crypto_generichash(out, RELAY_MACLEN, msg, len, key, RELAY_KEYLEN);
}

/* 0 when the MAC at p + len matches. */
static int
mac_ok(const uint8_t *p, size_t len, const uint8_t key[RELAY_KEYLEN])
{
	uint8_t m[RELAY_MACLEN];
	int r;

	mac(m, p, len, key);
	r = sodium_memcmp(m, p + len, RELAY_MACLEN);
	sodium_memzero(m, sizeof(m));
	return r == 0 ? 0 : E2_ERR_AUTH;
}

enum relay_kind
relay_classify(const uint8_t *p, size_t len)
{
	if (p == NULL || len == 0)
		return RELAY_DG_OTHER;
	if (p[0] <= 0x01)
		return RELAY_DG_STUN;
	if (p[0] == RELAY_BIND)
		return len == RELAY_BIND_LEN ? RELAY_DG_BIND : RELAY_DG_OTHER;
	if (p[0] == RELAY_BOUND)
		return len == RELAY_BOUND_LEN ? RELAY_DG_BOUND :
		    RELAY_DG_OTHER;
	if (p[0] == RELAY_COOKIE)
		return len == RELAY_COOKIE_LEN ? RELAY_DG_COOKIE :
		    RELAY_DG_OTHER;
	/* mpkt: type 1 or 2 in the high nibble, 21..1221 bytes */
	if (p[0] >= 0x10 && p[0] <= 0x2f && len >= 21 && len <= 1221)
		return RELAY_DG_MEDIA;
	return RELAY_DG_OTHER;
}

/* BIND and COOKIE: type, leg, seq, cookie, mac. */
static void
cookie_dg_seal(uint8_t type, uint64_t leg, uint64_t seq,
    const uint8_t cookie[RELAY_COOKIELEN], const uint8_t key[RELAY_KEYLEN],
    uint8_t out[RELAY_BIND_LEN])
{
	out[0] = type;
	put_u64(out + 1, leg);
	put_u64(out + 9, seq);
	memcpy(out + 17, cookie, RELAY_COOKIELEN);
	mac(out + 33, out, 33, key);
}

static int
cookie_dg_open(uint8_t type, const uint8_t *p, size_t len,
    const uint8_t key[RELAY_KEYLEN], uint64_t *seqp,
    uint8_t cookie[RELAY_COOKIELEN])
{
	if (p == NULL || len != RELAY_BIND_LEN || p[0] != type)
		return E2_ERR_MALFORMED;
	if (mac_ok(p, 33, key) != 0)
		return E2_ERR_AUTH;
	*seqp = get_u64(p + 9);
	memcpy(cookie, p + 17, RELAY_COOKIELEN);
	return 0;
}

void
relay_bind_seal(uint64_t leg, uint64_t seq,
    const uint8_t cookie[RELAY_COOKIELEN], const uint8_t key[RELAY_KEYLEN],
    uint8_t out[RELAY_BIND_LEN])
{
	cookie_dg_seal(RELAY_BIND, leg, seq, cookie, key, out);
}

int
relay_bind_leg(const uint8_t *p, size_t len, uint64_t *legp)
{
	if (p == NULL || len != RELAY_BIND_LEN || p[0] != RELAY_BIND)
		return E2_ERR_MALFORMED;
	*legp = get_u64(p + 1);
	return 0;
}

int
relay_bind_open(const uint8_t *p, size_t len, const uint8_t key[RELAY_KEYLEN],
    uint64_t *seqp, uint8_t cookie[RELAY_COOKIELEN])
{
	return cookie_dg_open(RELAY_BIND, p, len, key, seqp, cookie);
}

void
relay_cookie_make(const uint8_t secret[RELAY_SECRETLEN], uint64_t leg,
    const uint8_t *addr, size_t addrlen, uint8_t cookie[RELAY_COOKIELEN])
{
	crypto_generichash_state st;
	uint8_t l[8];

	put_u64(l, leg);
	crypto_generichash_init(&st, secret, RELAY_SECRETLEN,
	    RELAY_COOKIELEN);
	crypto_generichash_update(&st, l, sizeof(l));
	crypto_generichash_update(&st, addr, addrlen);
	crypto_generichash_final(&st, cookie, RELAY_COOKIELEN);
	sodium_memzero(&st, sizeof(st));
}

void
relay_cookie_seal(uint64_t leg, uint64_t seq,
    const uint8_t cookie[RELAY_COOKIELEN], const uint8_t key[RELAY_KEYLEN],
    uint8_t out[RELAY_COOKIE_LEN])
{
	cookie_dg_seal(RELAY_COOKIE, leg, seq, cookie, key, out);
}

int
relay_cookie_open(const uint8_t *p, size_t len, uint64_t leg,
    const uint8_t key[RELAY_KEYLEN], uint64_t *seqp,
    uint8_t cookie[RELAY_COOKIELEN])
{
	if (p == NULL || len != RELAY_COOKIE_LEN || p[0] != RELAY_COOKIE)
		return E2_ERR_MALFORMED;
	if (get_u64(p + 1) != leg)
		return E2_ERR_STATE;
	return cookie_dg_open(RELAY_COOKIE, p, len, key, seqp, cookie);
}

void
relay_bound_seal(uint64_t leg, uint64_t seq, uint8_t flags,
    const uint8_t key[RELAY_KEYLEN], uint8_t out[RELAY_BOUND_LEN])
{
	out[0] = RELAY_BOUND;
	put_u64(out + 1, leg);
	put_u64(out + 9, seq);
	out[17] = flags;
	mac(out + 18, out, 18, key);
}

int
relay_bound_open(const uint8_t *p, size_t len, uint64_t leg,
    const uint8_t key[RELAY_KEYLEN], uint64_t *seqp, uint8_t *flagsp)
{
	if (p == NULL || len != RELAY_BOUND_LEN || p[0] != RELAY_BOUND)
		return E2_ERR_MALFORMED;
	if (get_u64(p + 1) != leg)
		return E2_ERR_STATE;
	if (mac_ok(p, 18, key) != 0)
		return E2_ERR_AUTH;
	*seqp = get_u64(p + 9);
	*flagsp = p[17];
	return 0;
}
