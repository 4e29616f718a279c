/*
 * call.h - one call's signaling and end-to-end handshake, sans I/O.
 *
 * The call takes signaling messages, user decisions and the time in, and
 * gives actions out (messages to send, things to tell the user, media to
 * start).  It never touches a socket, a clock, a file or the terminal: the
 * key check against contacts, for one, is asked of the caller
 * (CALL_A_KEY_CHECK) and answered with call_key_status().
 *
 * The end-to-end handshake is the committed Noise_XX of e2e.h (prologue
 * "e2call-call/2" ...), its three messages carried in DIAL (-> INCOMING),
 * RINGING and HANDSHAKE.  Once it is done, the call's control travels
 * sealed end to end (SEALED field, e2e_seal): the candidates in HANDSHAKE
 * and ACCEPT, and the reason of REJECT and HANGUP.  A HANDSHAKE or ACCEPT
 * that is not sealed by the peer is refused; a REJECT, HANGUP or ERROR
 * that is not ends the call as the server's word (end_source
 * CALL_END_UNAUTH), never as the peer's.
 *
 * Transitions (caller | callee):
 *
 *   caller: new_outgoing --DIAL(msg1)--> DIALING
 *     DIALING    + RINGING(msg2)  -> (+ CODE, KEY_CHECK) KEY_HELD until
 *                                   call_key_status(): ok -> HANDSHAKE(msg3,
 *                                   sealed cands), RINGING_OUT (+ RINGING);
 *                                   changed -> stays (+ KEY_HELD) unless
 *                                   accept_changed; changed-verified -> end;
 *                                   msg2 of version 1 -> end(version)
 *     KEY_HELD   + accept (user)  -> HANDSHAKE, RINGING_OUT
 *     RINGING_OUT+ sealed ACCEPT  -> ACTIVE (+ ACTIVE)
 *     any        + REJECT/HANGUP/ERROR -> ENDED (+ ENDED)
 *     DIALING/RINGING_OUT past the ring deadline -> HANGUP(no_answer), ENDED
 *   callee: new_incoming(INCOMING msg1) --RINGING(msg2)--> INCOMING
 *     (msg1 of version 1 -> REJECT, ended with reason version)
 *     INCOMING   + HANDSHAKE(msg3, sealed cands) -> (+ CODE, KEY_CHECK)
 *                                   KEY_HELD until call_key_status(): ok ->
 *                                   RINGING_IN (+ RING); changed -> stays
 *                                   (+ KEY_HELD, RING: the user decides);
 *                                   changed-verified -> REJECT(key_changed)
 *     RINGING_IN/KEY_HELD + answer -> ACCEPT(sealed cands), ACTIVE (+ ACTIVE)
 *     RINGING_IN/KEY_HELD + reject -> REJECT(rejected), ENDED
 *   both: user hangup -> HANGUP (REJECT on the callee's side before
 *     ACTIVE): cancelled before ACTIVE, hangup after
 *
 * HANDSHAKE and ACCEPT leave only once the candidates are final
 * (call_set_cands(..., final = 1)); until then the message waits in the
 * call, and the state moves on as above.  A message that does not fit the
 * state is ignored and counted (bad_msgs); a failed handshake message ends
 * the call with reason handshake_failed.
 *
 * Actions: a queue of CALL_MAX_ACTIONS; no input queues more than half of
 * it, and the glue drains it after every input.  Should it ever be full,
 * the call ends (reason protocol, overflow set): an action is never
 * dropped in silence, and the ENDED action is always delivered, last.
 */
#ifndef E2_CALL_H
#define E2_CALL_H

#include <stddef.h>
#include <stdint.h>

#include "e2e.h"
#include "noise.h"
#include "sigmsg.h"

#define CALL_MAX_ACTIONS	16

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

/* Who ended the call, as far as this side can tell. */
enum call_end_source {
	CALL_END_LOCAL,		/* this side (the user, a timeout, a check) */
	CALL_END_PEER,		/* the peer, authenticated end to end */
	CALL_END_UNAUTH,	/* an unsealed REJECT, HANGUP or ERROR: the
				   server's word (or the peer's before the
				   handshake could authenticate it) */
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
	int		 peer_moved;		/* a valid move proof from ... */
	uint8_t		 peer_old_pub[NOISE_KEYLEN];	/* ... this key */
	int		 have_keys;
	char		 code[SECCODE_LEN + 1];
	uint8_t		 end_reason;
	int		 ended_by_peer;		/* end_source != LOCAL */
	enum call_end_source end_source;
	int		 abandoned;	/* callee: ended before message 3 */
	int		 overflow;	/* the action queue overflowed */
	uint32_t	 bad_msgs;
	uint8_t		 ncand, npeer_cand;
	int		 cands_final;
	struct sig_cand	 cand[SIG_CAND_MAX];
	struct sig_cand	 peer_cand[SIG_CAND_MAX];
	/* private */
	struct e2e	*x;
	uint8_t		 pending_msg3[E2E_MSG_MAX];	/* KEY_HELD, caller */
	uint16_t	 pending_msg3_len;
	uint8_t		 waiting;	/* HANDSHAKE or ACCEPT waiting for the
					   final candidates, or 0 */
	uint32_t	 sealed_types;	/* bit (1 << type) once sealed */
	int		 peer_has_keys;	/* it can open what I seal */
	int		 ended_pending;
	size_t		 qhead, qlen;
	struct call_action actions[CALL_MAX_ACTIONS];
	struct call_action ended_action;
};

/*
 * Starts an outgoing call: writes handshake message 1 and queues DIAL.
 * me holds my static key pair (copied into the handshake).
 */
int	call_new_outgoing(struct call **cp, uint64_t id, const char *me,
	    const char *peer, const struct e2e_id *myid, uint64_t now_ms,
	    uint32_t ring_timeout_ms);
/*
 * Takes an INCOMING message: reads handshake message 1, writes message 2
 * and queues RINGING.  On a bad message 1 the call is returned ENDED with
 * a REJECT(handshake_failed) queued (reason version for a caller of
 * version 1).
 */
int	call_new_incoming(struct call **cp, const struct sigmsg *incoming,
	    const char *me, const struct e2e_id *myid, uint64_t now_ms,
	    uint32_t ring_timeout_ms);
void	call_free(struct call *c);

/*
 * My media candidates, sent sealed with HANDSHAKE (caller) and ACCEPT
 * (callee).  A message that is due waits until final is set.
 */
void	call_set_cands(struct call *c, const struct sig_cand *cand, size_t n,
	    int final);

/* A signaling message for this call (msg->call == c->id). */
int	call_on_msg(struct call *c, const struct sigmsg *msg, uint64_t now_ms);
/* The answer to CALL_A_KEY_CHECK. */
int	call_key_status(struct call *c, enum call_key key);
int	call_answer(struct call *c);	/* callee; also accepts a held key */
int	call_reject(struct call *c);
int	call_hangup(struct call *c, enum sig_reason reason);
/* Timeouts. */
void	call_tick(struct call *c, uint64_t now_ms);
/*
 * The peer ended an ACTIVE call on a channel the glue authenticated (a
 * media BYE, sealed under the media keys, with no HANGUP after it).
 */
int	call_peer_ended(struct call *c, enum sig_reason reason);

/* Next queued action, or NULL. Valid until the next call_* call. */
const struct call_action *call_next_action(struct call *c);

/* Media keys (after CALL_A_CODE): this side's send and receive keys. */
int	call_media_keys(const struct call *c, uint8_t send[NOISE_KEYLEN],
	    uint8_t recv[NOISE_KEYLEN]);
/*
 * Handshakes abandoned before message 3 (the caller, or whoever sits in
 * its place, saw message 2 and went away): each one gave the other side a
 * fresh try at matching codes, so a callee takes at most CALL_GUARD_MAX
 * of them in CALL_GUARD_WINDOW_MS and refuses further calls (REJECT
 * limit) until the oldest is that old.  Time is passed in.
 */
#define CALL_GUARD_MAX		3
#define CALL_GUARD_WINDOW_MS	(10 * 60 * 1000)
struct call_guard {
	uint64_t	 t[CALL_GUARD_MAX];
	size_t		 n;
};
void	call_guard_note(struct call_guard *g, uint64_t now_ms);
/* 1 when a new call must be refused; *until_msp when it is taken again. */
int	call_guard_full(struct call_guard *g, uint64_t now_ms,
	    uint64_t *until_msp);
/*
 * Glare: my outgoing call `mine` and an incoming call `theirs` between
 * the same two people.  The call with the larger id survives.  Returns 1
 * if mine survives (reject theirs with reason glare), 0 if theirs does
 * (hang up mine with reason glare and answer theirs).
 */
int	call_glare_mine_wins(uint64_t mine, uint64_t theirs);
const char *call_state_name(enum call_state s);

#endif
