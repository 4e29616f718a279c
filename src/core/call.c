/*
 * call.c - one call's signaling and end-to-end handshake; see call.h.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "call.h"
#include "err.h"

static const char *state_names[] = {
	"dialing", "ringing_out", "incoming", "ringing_in", "key_held",
	"active", "ended",
};

/* What a peer of version 1 is told (it knows no reason `version`). */
static const char version_text[] =
    "e2call-call/2 needed: the other side runs a newer e2call";

const char *
call_state_name(enum call_state s)
{
	if ((size_t)s >= sizeof(state_names) / sizeof(state_names[0]))
		return "?";
	return state_names[s];
}

int
call_glare_mine_wins(uint64_t mine, uint64_t theirs)
{
	return mine > theirs;
}

/* ---- the action queue ---- */

static void	end_call(struct call *c, uint8_t reason,
		    enum call_end_source src);

static struct call_action *
push(struct call *c, enum call_action_kind kind)
{
	struct call_action *a;

	if (c->qlen == CALL_MAX_ACTIONS) {
		/* Cannot happen (call.h); if it does, the call is over. */
		c->overflow = 1;
		end_call(c, SIG_R_PROTOCOL, CALL_END_LOCAL);
		return NULL;
	}
	a = &c->actions[(c->qhead + c->qlen++) % CALL_MAX_ACTIONS];
	memset(a, 0, sizeof(*a));
	a->kind = kind;
	return a;
}

const struct call_action *
call_next_action(struct call *c)
{
	const struct call_action *a;

	if (c->qlen > 0) {
		a = &c->actions[c->qhead];
		c->qhead = (c->qhead + 1) % CALL_MAX_ACTIONS;
		c->qlen--;
		return a;
	}
	if (c->ended_pending) {
		c->ended_pending = 0;
		c->ended_action.kind = CALL_A_ENDED;
		return &c->ended_action;
	}
	return NULL;
}

static void
end_call(struct call *c, uint8_t reason, enum call_end_source src)
{
	if (c->state == CALL_S_ENDED)
		return;
	if (c->role == CALL_CALLEE && c->state == CALL_S_INCOMING)
		c->abandoned = 1;
	c->state = CALL_S_ENDED;
	c->end_reason = reason;
	c->end_source = src;
	c->ended_by_peer = src != CALL_END_LOCAL;
	c->waiting = 0;
	sodium_memzero(c->pending_msg3, sizeof(c->pending_msg3));
	c->ended_pending = 1;	/* delivered after everything queued */
}

/* ---- sealed control ---- */

/*
 * Seals the control part of m (its CANDs, or its REASON and TEXT) into
 * its SEALED field under my control key; the CANDs leave the clear part.
 * Each type at most once per call: the nonce is the type.
 */
static int
seal(struct call *c, struct sigmsg *m)
{
	uint8_t pt[SIG_SEALED_MAX], ct[SIG_SEALED_MAX];
	struct sigmsg in;
	size_t plen, clen;
	int r;

	if (c->x == NULL || c->x->state != E2E_DONE)
		return E2_ERR_STATE;
	if (c->sealed_types & (1u << m->type))
		return E2_ERR_STATE;
	sigmsg_init(&in, (enum sig_type)m->type);
	sigmsg_set_call(&in, c->id);
	memcpy(in.cand, m->cand, sizeof(in.cand));
	in.ncand = m->ncand;
	in.fields |= m->fields & (1u << SIG_T_CAND);
	if (SIG_HAS(m, SIG_T_REASON))
		sigmsg_set_reason(&in, (enum sig_reason)m->reason);
	if (SIG_HAS(m, SIG_T_TEXT))
		(void)sigmsg_set_text(&in, m->text);
	if ((r = sigmsg_encode_inner(&in, pt, sizeof(pt) - E2E_SEAL_OVERHEAD,
	    &plen)) != 0 ||
	    (r = e2e_seal(c->x, m->type, c->id, pt, plen, ct, sizeof(ct),
	    &clen)) != 0 ||
	    (r = sigmsg_set_sealed(m, ct, clen)) != 0)
		goto out;
	c->sealed_types |= 1u << m->type;
	m->ncand = 0;
	m->fields &= ~(1u << SIG_T_CAND);
out:
	sodium_memzero(pt, sizeof(pt));
	return r;
}

/* Opens m's SEALED field into *in (the peer's own words), or fails. */
static int
unseal(struct call *c, const struct sigmsg *m, struct sigmsg *in)
{
	uint8_t pt[SIG_SEALED_MAX];
	size_t plen;
	int r;

	if (!SIG_HAS(m, SIG_T_SEALED))
		return E2_ERR_AUTH;
	if (c->x == NULL || c->x->state != E2E_DONE)
		return E2_ERR_STATE;
	if ((r = e2e_open(c->x, m->type, c->id, m->sealed, m->sealed_len, pt,
	    sizeof(pt), &plen)) != 0)
		return r;
	r = sigmsg_decode_inner(in, pt, plen);
	sodium_memzero(pt, sizeof(pt));
	if (r != 0)
		return r;
	if (in->type != m->type || in->call != c->id)
		return E2_ERR_MALFORMED;
	return 0;
}

/* ---- sending ---- */

/* Queues a message for the call, sealed once the handshake is done. */
static void
push_send(struct call *c, enum sig_type type, enum sig_reason reason,
    const char *text)
{
	struct call_action *a;
	struct sigmsg *m;
	size_t i;

	if ((a = push(c, CALL_A_SEND)) == NULL)
		return;
	m = &a->msg;
	sigmsg_init(m, type);
	sigmsg_set_call(m, c->id);
	if (reason != SIG_R_NONE)
		sigmsg_set_reason(m, reason);
	if (text != NULL)
		(void)sigmsg_set_text(m, text);
	if (type == SIG_HANDSHAKE)
		(void)sigmsg_set_e2e(m, c->pending_msg3, c->pending_msg3_len);
	if (type == SIG_HANDSHAKE || type == SIG_ACCEPT)
		for (i = 0; i < c->ncand; i++)
			(void)sigmsg_add_cand(m, &c->cand[i]);
	/* Sealed once the peer can open it: HANDSHAKE itself carries what
	   opens it (message 3); after it, everything. */
	if (c->x != NULL && c->x->state == E2E_DONE &&
	    (type == SIG_HANDSHAKE || c->peer_has_keys) && seal(c, m) != 0) {
		/* Only a second message of one type; never sent. */
		c->qlen--;
		c->bad_msgs++;
	}
}

/* Sends a message for the call and ends it locally with the same reason. */
static void
send_end(struct call *c, enum sig_type type, enum sig_reason reason)
{
	push_send(c, type, reason, NULL);
	end_call(c, reason, CALL_END_LOCAL);
}

/* HANDSHAKE or ACCEPT: now, or when the candidates are final. */
static void
send_with_cands(struct call *c, enum sig_type type)
{
	if (!c->cands_final) {
		c->waiting = (uint8_t)type;
		return;
	}
	push_send(c, type, SIG_R_NONE, NULL);
	if (type == SIG_HANDSHAKE) {
		sodium_memzero(c->pending_msg3, sizeof(c->pending_msg3));
		c->peer_has_keys = 1;
	}
}

void
call_set_cands(struct call *c, const struct sig_cand *cand, size_t n,
    int final)
{
	uint8_t w;

	if (n > SIG_CAND_MAX)
		n = SIG_CAND_MAX;
	memcpy(c->cand, cand, n * sizeof(*cand));
	c->ncand = (uint8_t)n;
	if (!final || c->cands_final)
		return;
	c->cands_final = 1;
	if ((w = c->waiting) != 0 && c->state != CALL_S_ENDED) {
		c->waiting = 0;
		send_with_cands(c, (enum sig_type)w);
	}
}

/* ---- life ---- */

static struct call *
call_alloc(uint64_t id, const char *me, const char *peer, uint64_t now_ms,
    uint32_t ring_timeout_ms)
{
	struct call *c;

	if (strlen(me) > SIG_NAME_MAX || strlen(peer) > SIG_NAME_MAX)
		return NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->id = id;
	strcpy(c->me, me);
	strcpy(c->peer, peer);
	c->deadline_ms = now_ms + ring_timeout_ms;
	return c;
}

void
call_free(struct call *c)
{
	if (c == NULL)
		return;
	e2e_free(c->x);
	sodium_memzero(c, sizeof(*c));
	free(c);
}

int
call_new_outgoing(struct call **cp, uint64_t id, const char *me,
    const char *peer, const struct e2e_id *myid, uint64_t now_ms,
    uint32_t ring_timeout_ms)
{
	struct call_action *a;
	struct call *c;
	uint8_t msg1[E2E_MSG1_LEN];
	size_t len;
	int r;

	*cp = NULL;
	if ((c = call_alloc(id, me, peer, now_ms, ring_timeout_ms)) == NULL)
		return E2_ERR_NOMEM;
	c->role = CALL_CALLER;
	c->state = CALL_S_DIALING;
	if ((r = e2e_caller_start(&c->x, id, me, peer, myid, NULL, msg1,
	    sizeof(msg1), &len)) != 0) {
		call_free(c);
		return r;
	}
	a = push(c, CALL_A_SEND);
	sigmsg_init(&a->msg, SIG_DIAL);
	sigmsg_set_call(&a->msg, id);
	(void)sigmsg_set_name(&a->msg, peer);
	(void)sigmsg_set_e2e(&a->msg, msg1, len);
	*cp = c;
	return 0;
}

int
call_new_incoming(struct call **cp, const struct sigmsg *in, const char *me,
    const struct e2e_id *myid, uint64_t now_ms, uint32_t ring_timeout_ms)
{
	struct call_action *a;
	struct call *c;
	uint8_t msg2[E2E_MSG_MAX];
	size_t len;
	int r;

	*cp = NULL;
	if (in->type != SIG_INCOMING || !SIG_HAS(in, SIG_T_E2E) ||
	    !SIG_HAS(in, SIG_T_NAME) || !SIG_HAS(in, SIG_T_CALL))
		return E2_ERR_INVAL;
	if ((c = call_alloc(in->call, me, in->name, now_ms,
	    ring_timeout_ms)) == NULL)
		return E2_ERR_NOMEM;
	c->role = CALL_CALLEE;
	c->state = CALL_S_INCOMING;
	r = e2e_callee_start(&c->x, in->call, in->name, me, myid, NULL,
	    in->e2e, in->e2e_len, msg2, sizeof(msg2), &len);
	if (r == E2_ERR_VERSION) {
		push_send(c, SIG_REJECT, SIG_R_HANDSHAKE, version_text);
		end_call(c, SIG_R_VERSION, CALL_END_LOCAL);
		c->abandoned = 0;
	} else if (r != 0) {
		send_end(c, SIG_REJECT, SIG_R_HANDSHAKE);
		c->abandoned = 0;
	} else {
		a = push(c, CALL_A_SEND);
		sigmsg_init(&a->msg, SIG_RINGING);
		sigmsg_set_call(&a->msg, c->id);
		(void)sigmsg_set_e2e(&a->msg, msg2, len);
	}
	*cp = c;
	return 0;
}

/* The handshake is done: take what it gave. */
static void
take_results(struct call *c)
{
	memcpy(c->peer_pub, c->x->peer_pub, NOISE_KEYLEN);
	c->have_peer_pub = 1;
	c->peer_moved = c->x->peer_moved;
	memcpy(c->peer_old_pub, c->x->peer_old_pub, NOISE_KEYLEN);
	memcpy(c->code, c->x->code, sizeof(c->code));
	c->have_keys = 1;
	push(c, CALL_A_CODE);
}

static void
take_peer_cands(struct call *c, const struct sigmsg *in)
{
	memcpy(c->peer_cand, in->cand, in->ncand * sizeof(in->cand[0]));
	c->npeer_cand = in->ncand;
}

/* Caller: the callee's key is acceptable; send message 3. */
static void
caller_proceed(struct call *c)
{
	c->state = CALL_S_RINGING_OUT;
	send_with_cands(c, SIG_HANDSHAKE);
	push(c, CALL_A_RINGING);
}

static void
on_ringing(struct call *c, const struct sigmsg *m)
{
	size_t len;
	int r;

	if (!SIG_HAS(m, SIG_T_E2E)) {
		send_end(c, SIG_HANGUP, SIG_R_HANDSHAKE);
		return;
	}
	r = e2e_caller_finish(c->x, m->e2e, m->e2e_len, c->pending_msg3,
	    sizeof(c->pending_msg3), &len);
	if (r == E2_ERR_VERSION) {
		push_send(c, SIG_HANGUP, SIG_R_HANDSHAKE, version_text);
		end_call(c, SIG_R_VERSION, CALL_END_LOCAL);
		return;
	}
	if (r != 0) {
		send_end(c, SIG_HANGUP, SIG_R_HANDSHAKE);
		return;
	}
	c->pending_msg3_len = (uint16_t)len;
	take_results(c);
	c->state = CALL_S_KEY_HELD;	/* until call_key_status() */
	push(c, CALL_A_KEY_CHECK);
}

static void
on_handshake(struct call *c, const struct sigmsg *m)
{
	struct sigmsg in;

	if (!SIG_HAS(m, SIG_T_E2E) ||
	    e2e_callee_finish(c->x, m->e2e, m->e2e_len) != 0) {
		send_end(c, SIG_REJECT, SIG_R_HANDSHAKE);
		return;
	}
	c->abandoned = 0;
	/* Message 3 came; from here the callee's candidates are sealed. */
	if (unseal(c, m, &in) != 0) {
		send_end(c, SIG_REJECT, SIG_R_HANDSHAKE);
		return;
	}
	take_peer_cands(c, &in);
	take_results(c);
	c->peer_has_keys = 1;
	c->state = CALL_S_KEY_HELD;	/* until call_key_status() */
	push(c, CALL_A_KEY_CHECK);
}

/*
 * REJECT, HANGUP or ERROR for the call.  Once this side holds the keys, a
 * SEALED field must open (else the message is forged and ignored); an
 * unsealed end, or one from before the keys, is the server's word.
 */
static void
on_end(struct call *c, const struct sigmsg *m)
{
	struct sigmsg in;
	uint8_t reason = SIG_HAS(m, SIG_T_REASON) ? m->reason :
	    SIG_R_PROTOCOL;

	if (m->type != SIG_ERROR && SIG_HAS(m, SIG_T_SEALED) &&
	    c->x != NULL && c->x->state == E2E_DONE) {
		if (unseal(c, m, &in) != 0) {
			c->bad_msgs++;	/* forged: the call goes on */
			return;
		}
		end_call(c, in.reason, CALL_END_PEER);
		return;
	}
	end_call(c, reason, CALL_END_UNAUTH);
}

int
call_on_msg(struct call *c, const struct sigmsg *m, uint64_t now_ms)
{
	struct sigmsg in;

	(void)now_ms;
	if (m->call != c->id || c->state == CALL_S_ENDED) {
		c->bad_msgs++;
		return E2_ERR_STATE;
	}
	switch (m->type) {
	case SIG_RINGING:
		if (c->role != CALL_CALLER || c->state != CALL_S_DIALING)
			break;
		on_ringing(c, m);
		return 0;
	case SIG_HANDSHAKE:
		if (c->role != CALL_CALLEE || c->state != CALL_S_INCOMING)
			break;
		on_handshake(c, m);
		return 0;
	case SIG_ACCEPT:
		if (c->role != CALL_CALLER || c->state != CALL_S_RINGING_OUT)
			break;
		if (unseal(c, m, &in) != 0)
			break;		/* not the callee's: refused */
		take_peer_cands(c, &in);
		c->state = CALL_S_ACTIVE;
		push(c, CALL_A_ACTIVE);
		return 0;
	case SIG_REJECT:
	case SIG_HANGUP:
	case SIG_ERROR:
		on_end(c, m);
		return 0;
	default:
		break;
	}
	c->bad_msgs++;
	return E2_ERR_STATE;
}

int
call_peer_ended(struct call *c, enum sig_reason reason)
{
	if (c->state != CALL_S_ACTIVE)
		return E2_ERR_STATE;
	end_call(c, reason, CALL_END_PEER);
	return 0;
}

int
call_key_status(struct call *c, enum call_key key)
{
	if (c->state != CALL_S_KEY_HELD || !c->have_peer_pub)
		return E2_ERR_STATE;
	c->key = key;
	if (key == CALL_KEY_CHANGED_VERIFIED) {
		send_end(c, c->role == CALL_CALLER ? SIG_HANGUP : SIG_REJECT,
		    SIG_R_KEY_CHANGED);
		return 0;
	}
	if (c->role == CALL_CALLER) {
		if (key == CALL_KEY_CHANGED && !c->accept_changed) {
			push(c, CALL_A_KEY_HELD);	/* stays KEY_HELD */
			return 0;
		}
		caller_proceed(c);
		return 0;
	}
	if (key == CALL_KEY_CHANGED) {
		push(c, CALL_A_KEY_HELD);	/* answering accepts it */
		push(c, CALL_A_RING);
		return 0;
	}
	c->state = CALL_S_RINGING_IN;
	push(c, CALL_A_RING);
	return 0;
}

int
call_answer(struct call *c)
{
	if (c->role == CALL_CALLER) {
		/* Accepting a held key on the caller's side. */
		if (c->state != CALL_S_KEY_HELD || c->pending_msg3_len == 0 ||
		    c->key == CALL_KEY_CHANGED_VERIFIED)
			return E2_ERR_STATE;
		caller_proceed(c);
		return 0;
	}
	if (c->state != CALL_S_RINGING_IN &&
	    !(c->state == CALL_S_KEY_HELD && c->have_keys &&
	    c->key == CALL_KEY_CHANGED))
		return E2_ERR_STATE;
	c->state = CALL_S_ACTIVE;
	send_with_cands(c, SIG_ACCEPT);
	push(c, CALL_A_ACTIVE);
	return 0;
}

int
call_reject(struct call *c)
{
	if (c->role != CALL_CALLEE || (c->state != CALL_S_RINGING_IN &&
	    c->state != CALL_S_KEY_HELD && c->state != CALL_S_INCOMING))
		return E2_ERR_STATE;
	send_end(c, SIG_REJECT, SIG_R_REJECTED);
	return 0;
}

int
call_hangup(struct call *c, enum sig_reason reason)
{
	if (c->state == CALL_S_ENDED)
		return E2_ERR_STATE;
	if (reason == SIG_R_NONE)
		reason = c->state == CALL_S_ACTIVE ? SIG_R_HANGUP :
		    c->role == CALL_CALLER ? SIG_R_CANCELLED : SIG_R_REJECTED;
	send_end(c, c->role == CALL_CALLEE && c->state != CALL_S_ACTIVE ?
	    SIG_REJECT : SIG_HANGUP, reason);
	return 0;
}

void
call_tick(struct call *c, uint64_t now_ms)
{
	if (c->state == CALL_S_ACTIVE || c->state == CALL_S_ENDED)
		return;
	if (now_ms < c->deadline_ms)
		return;
	if (c->role == CALL_CALLER)
		send_end(c, SIG_HANGUP, SIG_R_NO_ANSWER);
	else
		send_end(c, SIG_REJECT, SIG_R_NO_ANSWER);
}

int
call_media_keys(const struct call *c, uint8_t send[NOISE_KEYLEN],
    uint8_t recv[NOISE_KEYLEN])
{
	if (!c->have_keys)
		return E2_ERR_STATE;
	return e2e_media_keys(c->x, send, recv);
}

/* ---- the guard against restarted handshakes ---- */

static void
guard_expire(struct call_guard *g, uint64_t now_ms)
{
	size_t i, k = 0;

	for (i = 0; i < g->n; i++)
		if (now_ms < g->t[i] + CALL_GUARD_WINDOW_MS)
			g->t[k++] = g->t[i];
	g->n = k;
}

void
call_guard_note(struct call_guard *g, uint64_t now_ms)
{
	guard_expire(g, now_ms);
	if (g->n == CALL_GUARD_MAX) {
		memmove(g->t, g->t + 1, (CALL_GUARD_MAX - 1) * sizeof(g->t[0]));
		g->n--;
	}
	g->t[g->n++] = now_ms;
}

int
call_guard_full(struct call_guard *g, uint64_t now_ms, uint64_t *until_msp)
{
	guard_expire(g, now_ms);
	if (g->n < CALL_GUARD_MAX)
		return 0;
	if (until_msp != NULL)
		*until_msp = g->t[0] + CALL_GUARD_WINDOW_MS;
	return 1;
}
