/*
 * keymove.c - the proof that moves a name to a new key; see keymove.h.
 */
#include <string.h>

#include <sodium.h>

#include "err.h"
#include "keymove.h"

int
keymove_mac(uint8_t mac[32], const uint8_t priv[32], const uint8_t pub[32],
    const char *name, const uint8_t newkey[32])
{
	crypto_generichash_state st;
	uint8_t dh[32], len;
	size_t n;

	if (name == NULL || (n = strlen(name)) == 0 || n > 255)
		return E2_ERR_INVAL;
	if (crypto_scalarmult(dh, priv, pub) != 0) {
		sodium_memzero(dh, sizeof(dh));
		return E2_ERR_KEY;
	}
	len = (uint8_t)n;
	crypto_generichash_init(&st, dh, sizeof(dh), 32);
	crypto_generichash_update(&st, (const uint8_t *)KEYMOVE_LABEL,
	    sizeof(KEYMOVE_LABEL) - 1);
	crypto_generichash_update(&st, &len, 1);
	crypto_generichash_update(&st, (const uint8_t *)name, n);
	crypto_generichash_update(&st, newkey, 32);
	crypto_generichash_final(&st, mac, 32);
	sodium_memzero(&st, sizeof(st));
	sodium_memzero(dh, sizeof(dh));
	return 0;
}

int
keymove_proof(uint8_t out[KEYMOVE_LEN], const uint8_t old_priv[32],
    const uint8_t old_pub[32], const uint8_t server_pub[32],
    const char *name, const uint8_t newkey[32])
{
	memcpy(out, old_pub, 32);
	return keymove_mac(out + 32, old_priv, server_pub, name, newkey);
}

int
keymove_check(const uint8_t proof[KEYMOVE_LEN], const uint8_t server_priv[32],
    const char *name, const uint8_t newkey[32])
{
	uint8_t mac[32];
	int r;

	if ((r = keymove_mac(mac, server_priv, proof, name, newkey)) != 0)
		return r == E2_ERR_KEY ? E2_ERR_AUTH : r;
	r = sodium_memcmp(mac, proof + 32, sizeof(mac)) == 0 ? 0 :
	    E2_ERR_AUTH;
	sodium_memzero(mac, sizeof(mac));
	return r;
}
