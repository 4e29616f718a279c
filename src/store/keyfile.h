/*
 * keyfile.h - long-term X25519 keys on disk.
 *
 * File format (text, one key per file, mode 0600):
 *
 *	# e2call private key (keep secret)
 *	private <base64 of the 32-byte private key>
 *	public <base64 of the 32-byte public key>
 *
 * Loading refuses a file that group or others can read or write (naming
 * the file and the chmod that fixes it), and a file that does not parse or
 * whose public key does not match the private one (naming file and line).
 * The private key lives in sodium_malloc()ed memory.
 */
#ifndef E2_KEYFILE_H
#define E2_KEYFILE_H

#include <stddef.h>
#include <stdint.h>

struct keypair {
	uint8_t	*priv;		/* 32 bytes, sodium_malloc()ed */
	uint8_t	 pub[32];
};

/*
 * Loads the key at path; when it does not exist and create is set, makes
 * a new one and writes it atomically (0600) first.  *createdp (may be
 * NULL) says whether it was made now.  Errors: E2_ERR_NOTFOUND,
 * E2_ERR_PERM, E2_ERR_CORRUPT, E2_ERR_IO, each with a message in err.
 */
int	keyfile_load(const char *path, int create, struct keypair **kpp,
	    int *createdp, char *err, size_t errlen);
void	keypair_free(struct keypair *kp);
/* A new random key pair (free it with keypair_free). */
int	keypair_new(struct keypair **kpp);
/* Writes kp to path atomically (0600), replacing any file there. */
int	keyfile_save(const char *path, const struct keypair *kp, char *err,
	    size_t errlen);

/* Base64 (standard alphabet, padded: 44 characters) of a public key. */
#define PUBKEY_B64_LEN	44
void	pubkey_to_b64(const uint8_t pub[32], char out[PUBKEY_B64_LEN + 1]);
int	pubkey_from_b64(const char *s, uint8_t pub[32]);

#endif
