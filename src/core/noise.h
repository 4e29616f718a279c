/*
 * noise.h - the Noise Protocol Framework, revision 34, sans I/O.
 *
 * Supported: handshake patterns NN, XX and IK, each with optional psk
 * modifiers (e.g. "Noise_XXpsk3_...", "Noise_NNpsk0+psk2_..."), DH 25519,
 * cipher ChaChaPoly, hash BLAKE2b.  HKDF is built on HMAC-BLAKE2b.
 *
 * Objects are opaque.  CipherStates live in sodium_malloc()ed memory; a
 * HandshakeState lives on the heap and is wiped on failure and on free
 * (a guarded page per handshake is too dear for a busy server).  Both are
 * wiped and freed by the *_free functions.  Any failure inside a handshake
 * puts it in the terminal HS_FAILED state: every later call returns
 * E2_ERR_FAILED.  (A call refused before it starts, for a bad argument (E2_ERR_INVAL) or
 * out of order (E2_ERR_STATE), changes nothing.)
 * Nothing here touches sockets, clocks, files or stdio.
 */
#ifndef E2_NOISE_H
#define E2_NOISE_H

#include <stddef.h>
#include <stdint.h>

#define NOISE_KEYLEN		32	/* X25519 keys, cipher keys */
#define NOISE_HASHLEN		64	/* BLAKE2b */
#define NOISE_TAGLEN		16
#define NOISE_MAX_MSGLEN	65535

/* ---- CipherState ---- */

struct noise_cs;

/* A CipherState with key k (or no key when k is NULL) and nonce 0. */
int	noise_cs_new(struct noise_cs **csp, const uint8_t k[NOISE_KEYLEN]);
void	noise_cs_free(struct noise_cs *cs);
int	noise_cs_has_key(const struct noise_cs *cs);
void	noise_cs_set_nonce(struct noise_cs *cs, uint64_t n);
uint64_t noise_cs_nonce(const struct noise_cs *cs);
/*
 * EncryptWithAd / DecryptWithAd.  out may equal in.  Without a key the
 * plaintext is copied.  Encrypt writes inlen + 16 bytes; decrypt writes
 * inlen - 16.  Returns E2_ERR_SPACE when outcap is too small, E2_ERR_NONCE
 * when the nonce reached 2^64-1, E2_ERR_AUTH when the tag is wrong (and
 * then the nonce does not advance).
 */
int	noise_cs_encrypt(struct noise_cs *cs, const uint8_t *ad, size_t adlen,
	    const uint8_t *in, size_t inlen, uint8_t *out, size_t outcap,
	    size_t *outlenp);
int	noise_cs_decrypt(struct noise_cs *cs, const uint8_t *ad, size_t adlen,
	    const uint8_t *in, size_t inlen, uint8_t *out, size_t outcap,
	    size_t *outlenp);
/* Rekey(): k = first 32 bytes of ENCRYPT(k, 2^64-1, "", 32 zero bytes). */
int	noise_cs_rekey(struct noise_cs *cs);
/* The same function on a bare key, in place (used by the media layer). */
void	noise_rekey_key(uint8_t k[NOISE_KEYLEN]);

/* ---- HandshakeState ---- */

enum noise_role {
	NOISE_INITIATOR,
	NOISE_RESPONDER,
};

enum noise_action {
	NOISE_ACTION_NONE,	/* not started yet, or split done */
	NOISE_ACTION_WRITE,	/* call noise_hs_write() */
	NOISE_ACTION_READ,	/* call noise_hs_read() */
	NOISE_ACTION_SPLIT,	/* handshake complete: call noise_hs_split() */
	NOISE_ACTION_FAILED,	/* terminal */
};

struct noise_hs;

/*
 * Creates a handshake for a full protocol name such as
 * "Noise_XX_25519_ChaChaPoly_BLAKE2b".  E2_ERR_UNSUPPORTED for anything
 * outside the set above.
 */
int	noise_hs_new(struct noise_hs **hsp, const char *protocol_name,
	    enum noise_role role);
void	noise_hs_free(struct noise_hs *hs);
/* A copy of hs in the same state, secrets included (free it as usual). */
int	noise_hs_copy(struct noise_hs **dstp, const struct noise_hs *src);

/* Set up, before noise_hs_start(); E2_ERR_STATE afterwards. */
int	noise_hs_set_prologue(struct noise_hs *hs, const uint8_t *p, size_t len);
int	noise_hs_set_local_static(struct noise_hs *hs,
	    const uint8_t priv[NOISE_KEYLEN]);
/*
 * The same with the public key the caller already holds (it must be the
 * private key's; a key file loader has checked that): saves one X25519.
 */
int	noise_hs_set_local_keypair(struct noise_hs *hs,
	    const uint8_t priv[NOISE_KEYLEN], const uint8_t pub[NOISE_KEYLEN]);
/*
 * A fixed ephemeral key: for test vectors, and for a caller that draws the
 * key itself (e2e.c keeps it to read a reply a second way); otherwise one
 * is generated.
 */
int	noise_hs_set_local_ephemeral(struct noise_hs *hs,
	    const uint8_t priv[NOISE_KEYLEN]);
int	noise_hs_set_remote_static(struct noise_hs *hs,
	    const uint8_t pub[NOISE_KEYLEN]);
/* Adds the next psk in token order (psk0 first). */
int	noise_hs_add_psk(struct noise_hs *hs, const uint8_t psk[NOISE_KEYLEN]);
/* Checks that every key the pattern needs is there, then initializes. */
int	noise_hs_start(struct noise_hs *hs);

enum noise_action noise_hs_action(const struct noise_hs *hs);

/*
 * WriteMessage: writes the next handshake message carrying payload into
 * out (at most outcap bytes) and stores its length in *outlenp.
 */
int	noise_hs_write(struct noise_hs *hs, const uint8_t *payload,
	    size_t paylen, uint8_t *out, size_t outcap, size_t *outlenp);
/*
 * ReadMessage: consumes msg and writes the decrypted payload to payload
 * (at most paycap bytes).  Computes into temporaries and commits only when
 * every check passed; on any error the handshake becomes FAILED.
 */
int	noise_hs_read(struct noise_hs *hs, const uint8_t *msg, size_t msglen,
	    uint8_t *payload, size_t paycap, size_t *paylenp);

/* Remote static public key once known (E2_ERR_STATE before). */
int	noise_hs_remote_static(const struct noise_hs *hs,
	    uint8_t pub[NOISE_KEYLEN]);
/* Current handshake hash h (the final one after the last message). */
int	noise_hs_handshake_hash(const struct noise_hs *hs,
	    uint8_t h[NOISE_HASHLEN]);
/*
 * Split(): two CipherStates, c1 (initiator to responder) and c2 (the other
 * way); *sendp / *recvp are assigned from the point of view of this side.
 * Allowed only in the SPLIT action; afterwards the handshake holds nothing
 * but h (still readable with noise_hs_handshake_hash()) and the remote
 * static public key (noise_hs_remote_static()), and its action is NONE.
 */
int	noise_hs_split(struct noise_hs *hs, struct noise_cs **sendp,
	    struct noise_cs **recvp);
/* The same as raw keys, for the media layer (callers keep them wiped). */
int	noise_hs_split_keys(struct noise_hs *hs, uint8_t send[NOISE_KEYLEN],
	    uint8_t recv[NOISE_KEYLEN]);

/* ---- keys and the security code ---- */

/*
 * HMAC-BLAKE2b (RFC 2104, block size 128 bytes, output 64 bytes), the
 * HMAC under Noise's HKDF; exposed for tests and other layers.
 */
void	noise_hmac_blake2b(uint8_t out[NOISE_HASHLEN], const uint8_t *key,
	    size_t keylen, const uint8_t *data, size_t len);

/* New X25519 key pair (priv is clamped by X25519 itself). */
void	noise_keypair(uint8_t priv[NOISE_KEYLEN], uint8_t pub[NOISE_KEYLEN]);
int	noise_pubkey(const uint8_t priv[NOISE_KEYLEN], uint8_t pub[NOISE_KEYLEN]);

#define SECCODE_LEN	23	/* "01234 56789 01234 56789" */

/*
 * The 20-digit security code of DESIGN.md:
 * c = BLAKE2b-256(key = "e2call security code v2", message = h); for
 * i = 0..3 the 40-bit big-endian integer c[5i..5i+4] mod 100000, five
 * digits each, groups separated by one space.  out gets SECCODE_LEN + 1
 * bytes including the NUL.
 */
int	seccode_from_hash(const uint8_t *h, size_t hlen,
	    char out[SECCODE_LEN + 1]);

/*
 * Fingerprint of a public key for people to read: the 20-byte BLAKE2b of
 * the key keyed with "e2call fingerprint v1", in RFC 4648 base32 (lower
 * case, no padding: 32 characters), as 8 groups of 4 separated by single
 * spaces.  out gets FINGERPRINT_LEN + 1 bytes including the NUL.
 */
#define FINGERPRINT_LEN	39
int	fingerprint(const uint8_t pub[NOISE_KEYLEN],
	    char out[FINGERPRINT_LEN + 1]);

#endif
