/*
 * noise.c - the Noise Protocol Framework, revision 34; see noise.h.
 */
#include <string.h>

#include <sodium.h>

#include "err.h"
#include "noise.h"

/* Noise's 96-bit ChaChaPoly nonce: 4 zero bytes, then n little endian. */
static void
nonce_bytes(uint8_t out[12], uint64_t n)
{
	size_t i;

	memset(out, 0, 4);
	for (i = 0; i < 8; i++)
		out[4 + i] = (uint8_t)(n >> (8 * i));
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
