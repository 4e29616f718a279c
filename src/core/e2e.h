/*
 * e2e.h - the committed end-to-end handshake of a call (e2call-call/2),
 * sans I/O.  docs/PROTOCOL.md section 5.1 is the specification; section
 * 9.3 argues why a server in the middle cannot choose a matching code.
 *
 * Noise_XX_25519_ChaChaPoly_BLAKE2b, exactly as the framework says, with
 * the prologue  "e2call-call/2" || u64 call id || u8 len || caller ||
 * u8 len || callee  and these payloads, nothing else (any other payload
 * fails the handshake):
 *
 *   msg 1  caller -> callee   e                 payload: commit (32)
 *   msg 2  callee -> caller   e, ee, s, es      payload: empty, or a move
 *                                               proof (64)
 *   msg 3  caller -> callee   s, se             payload: nonce (32), or
 *                                               nonce and a move proof (96)
 *
 *   commit = BLAKE2b-256("e2call-call/2 commit" || e || s || nonce || mv)
 *
 * where e and s are the caller's ephemeral and static public keys, nonce
 * 32 random bytes, and mv one byte 0, or the byte 1 and the 32-byte key
 * that the caller's move proof speaks for.  The callee checks the commit
 * when message 3 opens it.  So the caller's every choice (e, s, nonce,
 * move) is fixed in message 1, before it sees anything of the callee's,
 * and the callee's (e, s, payload) is fixed in message 2, before the
 * nonce, on which the code depends, is revealed.
 *
 * A move proof is  old || BLAKE2b-256(key = DH(old private, peer's e),
 * "e2call-call/2 move" || old || s)  where old is the static key the
 * sender used before (e2call id --rotate) and s its key now: only the
 * holder of the old private key can make it, and only the peer (whose e
 * it is) can check it.
 *
 * Results once the handshake is done: the peer's static key, the final
 * handshake hash h, the security code of h (seccode_from_hash), and four
 * keys from Split()'s k1 (caller to callee) and k2 (callee to caller):
 *   media  = BLAKE2b-256(key = k, "e2call-call/2 media")
 *   control = BLAKE2b-256(key = k, "e2call-call/2 control")
 * The control keys seal the call's control messages (e2e_seal/e2e_open).
 *
 * A caller of version 1 sends a 32-byte message 1 (empty payload): the
 * callee refuses it with E2_ERR_VERSION.  A callee of version 1 reads our
 * message 1 as its own, with a payload it ignores, and answers under the
 * prologue "e2call-call/1": the caller finds that out by reading message
 * 2 again the way such a callee wrote it (E2_ERR_VERSION); there is never
 * a call of version 1.
 *
 * Every failure is terminal (state E2E_FAILED); secrets live in
 * sodium_malloc()ed memory and are wiped by e2e_free().
 */
#ifndef E2_E2E_H
#define E2_E2E_H

#include <stddef.h>
#include <stdint.h>

#include "noise.h"

#define E2E_LABEL		"e2call-call/2"
#define E2E_LABEL_V1		"e2call-call/1"
#define E2E_PROTOCOL		"Noise_XX_25519_ChaChaPoly_BLAKE2b"
#define E2E_NAME_MAX		32
#define E2E_PROLOGUE_MAX	(13 + 8 + 1 + E2E_NAME_MAX + 1 + E2E_NAME_MAX)
#define E2E_NONCELEN		32
#define E2E_COMMITLEN		32
#define E2E_PROOFLEN		64	/* old key, MAC */
#define E2E_MSG1_LEN		(32 + E2E_COMMITLEN)		/* 64 */
#define E2E_MSG1_V1_LEN		32
#define E2E_MSG2_LEN		(32 + 48 + 16)			/* 96 */
#define E2E_MSG3_LEN		(48 + E2E_NONCELEN + 16)	/* 96 */
#define E2E_MSG_MAX		(E2E_MSG3_LEN + E2E_PROOFLEN)
#define E2E_SEAL_OVERHEAD	16	/* Poly1305 tag */

enum e2e_state {
	E2E_WAIT_MSG2,		/* caller: msg 1 written */
	E2E_WAIT_MSG3,		/* callee: msg 2 written */
	E2E_DONE,
	E2E_FAILED,
};

/* My side of one handshake. */
struct e2e_id {
	const uint8_t	*priv, *pub;		/* my static key pair */
	const uint8_t	*old_priv, *old_pub;	/* the key mine replaced, for
						   a move proof; or NULL */
};

/* Test vectors only: the values otherwise drawn at random. */
struct e2e_fixed {
	uint8_t		e[NOISE_KEYLEN];	/* ephemeral private key */
	uint8_t		nonce[E2E_NONCELEN];	/* caller only */
};

struct e2e {
	enum noise_role	 role;
	enum e2e_state	 state;
	/* results, valid in E2E_DONE (peer_pub from msg 2 on, caller) */
	uint8_t		 peer_pub[NOISE_KEYLEN];
	int		 peer_moved;		/* a valid move proof came */
	uint8_t		 peer_old_pub[NOISE_KEYLEN];	/* ... for this key */
	uint8_t		 h[NOISE_HASHLEN];
	char		 code[SECCODE_LEN + 1];
	/* private */
	struct noise_hs	*hs;
	uint8_t		*sec;		/* sodium_malloc(): see e2e.c */
	uint8_t		 spub[NOISE_KEYLEN];
	uint8_t		 epub[NOISE_KEYLEN];	/* mine */
	uint8_t		 peer_e[NOISE_KEYLEN];
	uint8_t		 commit[E2E_COMMITLEN];	/* mine, or the caller's */
	int		 has_old;
	uint8_t		 old_pub[NOISE_KEYLEN];
	uint8_t		 prologue_v1[E2E_PROLOGUE_MAX];	/* caller */
	size_t		 prologue_v1_len;
};

/*
 * Builds the prologue for label (E2E_LABEL or E2E_LABEL_V1); returns its
 * length, 0 when a name is longer than E2E_NAME_MAX or out is too small.
 */
size_t	e2e_prologue(const char *label, uint64_t id, const char *caller,
	    const char *callee, uint8_t *out, size_t cap);

/*
 * Caller: starts the handshake and writes message 1 (E2E_MSG1_LEN bytes)
 * into msg1.  fx is NULL except for test vectors.
 */
int	e2e_caller_start(struct e2e **xp, uint64_t id, const char *caller,
	    const char *callee, const struct e2e_id *me,
	    const struct e2e_fixed *fx, uint8_t *msg1, size_t cap,
	    size_t *lenp);
/*
 * Callee: reads message 1 and writes message 2.  E2_ERR_VERSION when msg1
 * is a version 1 message 1; any other failure E2_ERR_FAILED or the error
 * of the Noise layer.  On failure *xp is NULL.
 */
int	e2e_callee_start(struct e2e **xp, uint64_t id, const char *caller,
	    const char *callee, const struct e2e_id *me,
	    const struct e2e_fixed *fx, const uint8_t *msg1, size_t len,
	    uint8_t *msg2, size_t cap, size_t *lenp);
/*
 * Caller: reads message 2, writes message 3; the handshake is then done.
 * E2_ERR_VERSION when message 2 came from a callee of version 1.
 */
int	e2e_caller_finish(struct e2e *x, const uint8_t *msg2, size_t len,
	    uint8_t *msg3, size_t cap, size_t *lenp);
/* Callee: reads message 3 and checks it against the commit; done. */
int	e2e_callee_finish(struct e2e *x, const uint8_t *msg3, size_t len);
void	e2e_free(struct e2e *x);
/* A deep copy (for a test that tries many messages from one state). */
int	e2e_dup(struct e2e **dstp, const struct e2e *src);

/* After E2E_DONE: this side's media keys (copied out; keep them wiped). */
int	e2e_media_keys(const struct e2e *x, uint8_t send[NOISE_KEYLEN],
	    uint8_t recv[NOISE_KEYLEN]);
/*
 * Control messages, after E2E_DONE: ChaCha20-Poly1305 (IETF) under my
 * control key (seal) or the peer's (open), nonce 4 zero bytes || u64
 * little endian `type`, associated data u8 type || u64 call id (big
 * endian).  out gets len + 16 (seal) or len - 16 (open) bytes.  Each
 * type is sealed at most once per call, so a nonce never repeats; the
 * caller of e2e_seal guarantees that (call.c does).  E2_ERR_AUTH when
 * the tag is wrong.
 */
int	e2e_seal(const struct e2e *x, uint8_t type, uint64_t call,
	    const uint8_t *in, size_t len, uint8_t *out, size_t cap,
	    size_t *outlenp);
int	e2e_open(const struct e2e *x, uint8_t type, uint64_t call,
	    const uint8_t *in, size_t len, uint8_t *out, size_t cap,
	    size_t *outlenp);

#endif
