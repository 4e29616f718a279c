/*
 * call.h - one call's signaling and end-to-end handshake, sans I/O.
 *
 * The call takes signaling messages, user decisions and the time in, and
 * gives actions out (messages to send, things to tell the user, media to
 * start).  It never touches a socket, a clock, a file or the terminal: the
 * key check against contacts, for one, is asked of the caller
 * (CALL_A_KEY_CHECK) and answered with call_key_status().
 *
 * The end-to-end handshake is Noise_XX_25519_ChaChaPoly_BLAKE2b with the
 * prologue  "e2call-call/1" || u64 call id || u8 len || caller || u8 len ||
 * callee, its three messages carried in DIAL (→ INCOMING), RINGING and
 * HANDSHAKE.  Transitions (caller | callee):
 *
 *   caller: new_outgoing --DIAL--> DIALING
 *     DIALING    + RINGING(msg2)  -> KEY_CHECK; status ok -> send HANDSHAKE(msg3),
 *                                   RINGING_OUT (+ CODE); changed -> KEY_HELD
 *                                   (unless accept_changed); changed-verified -> end
 *     KEY_HELD   + accept (user)  -> send HANDSHAKE, RINGING_OUT
 *     RINGING_OUT+ ACCEPT         -> ACTIVE (+ ANSWERED, MEDIA)
 *     any        + REJECT/HANGUP/ERROR -> ENDED(reason, by peer)
 *     DIALING/RINGING_OUT past the ring deadline -> send HANGUP(no_answer), ENDED
 *   callee: new_incoming(INCOMING msg1) --RINGING(msg2)--> INCOMING
 *     INCOMING   + HANDSHAKE(msg3)-> KEY_CHECK; ok -> RINGING_IN (+ CODE, RING);
 *                                   changed -> KEY_HELD (+ RING, user decides);
 *                                   changed-verified -> send REJECT(key_changed)
 *     RINGING_IN/KEY_HELD + answer -> send ACCEPT, ACTIVE (+ ANSWERED, MEDIA)
 *     RINGING_IN/KEY_HELD + reject -> send REJECT(rejected), ENDED
 *   both: user hangup -> send HANGUP(cancelled before ACTIVE, hangup after)
 *
 * A message that does not fit the state is ignored and counted (bad_msgs);
 * a failed handshake message ends the call with reason handshake.
 */
#ifndef E2_CALL_H
#define E2_CALL_H

#include <stddef.h>
#include <stdint.h>

#include "noise.h"
#include "sigmsg.h"

#define CALL_PROLOGUE_LABEL	"e2call-call/1"
#define CALL_PROTOCOL		"Noise_XX_25519_ChaChaPoly_BLAKE2b"
#define CALL_MAX_ACTIONS	6

enum call_role { CALL_CALLER, CALL_CALLEE };

enum call_state {
	CALL_S_DIALING,
	CALL_S_RINGING_OUT,
	CALL_S_INCOMING,
	CALL_S_RINGING_IN,
	CALL_S_KEY_HELD,
	CALL_S_ACTIVE,
	CALL_S_ENDED,
};

/* The key check answer, from contacts (same order as enum key_status). */
enum call_key {
	CALL_KEY_NEW,
	CALL_KEY_KNOWN,
	CALL_KEY_VERIFIED,
	CALL_KEY_CHANGED,
	CALL_KEY_CHANGED_VERIFIED,
};

enum call_action_kind {
	CALL_A_SEND,		/* send msg on the signaling channel */
	CALL_A_KEY_CHECK,	/* look up peer_pub; answer call_key_status() */
	CALL_A_CODE,		/* handshake done: code and media keys ready */
	CALL_A_RINGING,		/* caller: the callee's phone rings */
	CALL_A_RING,		/* callee: ring the user (answer or reject) */
	CALL_A_KEY_HELD,	/* changed key: the user must decide */
	CALL_A_ACTIVE,		/* answered: start media to peer_cands */
	CALL_A_ENDED,		/* end_reason, ended_by_peer */
};

struct call_action {
	enum call_action_kind kind;
	struct sigmsg	 msg;	/* CALL_A_SEND */
};

struct call {
	enum call_role	 role;
	enum call_state	 state;
	uint64_t	 id;
	char		 me[SIG_NAME_MAX + 1];
	char		 peer[SIG_NAME_MAX + 1];
	uint64_t	 deadline_ms;		/* ring timeout */
	int		 accept_changed;	/* proceed on a changed key */
	enum call_key	 key;
	int		 have_peer_pub;
	uint8_t		 peer_pub[NOISE_KEYLEN];
	int		 have_keys;
	char		 code[SECCODE_LEN + 1];
	uint8_t		 end_reason;
	int		 ended_by_peer;
	uint32_t	 bad_msgs;
	uint8_t		 ncand, npeer_cand;
	struct sig_cand	 cand[SIG_CAND_MAX];
	struct sig_cand	 peer_cand[SIG_CAND_MAX];
	/* private */
	struct noise_hs	*hs;
	uint8_t		*keys;	/* sodium_malloc: send key, recv key */
	uint8_t		 pending_msg3[SIG_E2E_MAX];	/* KEY_HELD, caller */
	uint16_t	 pending_msg3_len;
	size_t		 nactions, next_action;
	struct call_action actions[CALL_MAX_ACTIONS];
};

/*
 * Starts an outgoing call: writes handshake message 1 and queues DIAL.
 * priv is my static private key (copied into the handshake).
 */
int	call_new_outgoing(struct call **cp, uint64_t id, const char *me,
	    const char *peer, const uint8_t priv[NOISE_KEYLEN],
	    uint64_t now_ms, uint32_t ring_timeout_ms);
/*
 * Takes an INCOMING message: reads handshake message 1, writes message 2
 * and queues RINGING.  On a bad message 1 the call is returned ENDED with
 * a REJECT(handshake) queued.
 */
int	call_new_incoming(struct call **cp, const struct sigmsg *incoming,
	    const char *me, const uint8_t priv[NOISE_KEYLEN], uint64_t now_ms,
	    uint32_t ring_timeout_ms);
void	call_free(struct call *c);

/* My media candidates, sent with HANDSHAKE (caller) and ACCEPT (callee). */
void	call_set_cands(struct call *c, const struct sig_cand *cand, size_t n);

/* A signaling message for this call (msg->call == c->id). */
int	call_on_msg(struct call *c, const struct sigmsg *msg, uint64_t now_ms);
/* The answer to CALL_A_KEY_CHECK. */
int	call_key_status(struct call *c, enum call_key key);
int	call_answer(struct call *c);	/* callee; also accepts a held key */
int	call_reject(struct call *c);
int	call_hangup(struct call *c, enum sig_reason reason);
/* Timeouts. */
void	call_tick(struct call *c, uint64_t now_ms);

/* Next queued action, or NULL. Valid until the next call_* call. */
const struct call_action *call_next_action(struct call *c);

/* Media keys (after CALL_A_CODE): this side's send and receive keys. */
int	call_media_keys(const struct call *c, uint8_t send[NOISE_KEYLEN],
	    uint8_t recv[NOISE_KEYLEN]);
/* Builds the end-to-end prologue; returns its length. */
size_t	call_prologue(uint64_t id, const char *caller, const char *callee,
	    uint8_t *out, size_t cap);
/*
 * Glare: my outgoing call `mine` and an incoming call `theirs` between
 * the same two people.  The call with the larger id survives.  Returns 1
 * if mine survives (reject theirs with reason glare), 0 if theirs does
 * (hang up mine with reason glare and answer theirs).
 */
int	call_glare_mine_wins(uint64_t mine, uint64_t theirs);
const char *call_state_name(enum call_state s);

#endif
