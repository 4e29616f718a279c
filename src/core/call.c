/*
 * call.c - one call's signaling and end-to-end handshake; see call.h.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "buf.h"
#include "call.h"
#include "err.h"

static const char *state_names[] = {
	"dialing", "ringing_out", "incoming", "ringing_in", "key_held",
	"active", "ended",
};

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

size_t
call_prologue(uint64_t id, const char *caller, const char *callee,
    uint8_t *out, size_t cap)
{
	size_t lcaller = strlen(caller), lcallee = strlen(callee);
	struct buf b;

	if (lcaller > SIG_NAME_MAX || lcallee > SIG_NAME_MAX)
		return 0;
	buf_init_write(&b, out, cap);
	if (buf_put_bytes(&b, CALL_PROLOGUE_LABEL,
	    strlen(CALL_PROLOGUE_LABEL)) != 0 ||
	    buf_put_u64(&b, id) != 0 ||
	    buf_put_u8(&b, (uint8_t)lcaller) != 0 ||
	    buf_put_bytes(&b, caller, lcaller) != 0 ||
	    buf_put_u8(&b, (uint8_t)lcallee) != 0 ||
	    buf_put_bytes(&b, callee, lcallee) != 0)
		return 0;
	return b.len;
}

static struct call_action *
push(struct call *c, enum call_action_kind kind)
{
	struct call_action *a;

	/* Queue drained by the caller after every input; never full. */
	if (c->nactions == CALL_MAX_ACTIONS)
		return NULL;
	a = &c->actions[c->nactions++];
	memset(a, 0, sizeof(*a));
	a->kind = kind;
	return a;
}

/* Queues a message for the call; the returned slot is never NULL. */
static struct sigmsg *
push_send(struct call *c, enum sig_type type, enum sig_reason reason)
{
	static struct sigmsg overflow;	/* only if the queue were full */
	struct call_action *a;
	struct sigmsg *m;

	m = (a = push(c, CALL_A_SEND)) != NULL ? &a->msg : &overflow;
	sigmsg_init(m, type);
	sigmsg_set_call(m, c->id);
	if (reason != SIG_R_NONE)
		sigmsg_set_reason(m, reason);
	return m;
}

static void
add_cands(struct call *c, struct sigmsg *m)
{
	size_t i;

	for (i = 0; i < c->ncand; i++)
		(void)sigmsg_add_cand(m, &c->cand[i]);
}

static void
end_call(struct call *c, uint8_t reason, int by_peer)
{
	if (c->state == CALL_S_ENDED)
		return;
	c->state = CALL_S_ENDED;
	c->end_reason = reason;
	c->ended_by_peer = by_peer;
	if (c->hs != NULL) {
		noise_hs_free(c->hs);
		c->hs = NULL;
	}
	push(c, CALL_A_ENDED);
}

/* Sends a message for the call and ends it locally with the same reason. */
static void
send_end(struct call *c, enum sig_type type, enum sig_reason reason)
{
	push_send(c, type, reason);
	end_call(c, reason, 0);
}

static int
start_hs(struct call *c, enum noise_role role, const char *caller,
    const char *callee, const uint8_t priv[NOISE_KEYLEN])
{
	uint8_t prologue[64];
	size_t plen;
	int r;

	if ((plen = call_prologue(c->id, caller, callee, prologue,
	    sizeof(prologue))) == 0)
		return E2_ERR_INVAL;
	if ((r = noise_hs_new(&c->hs, CALL_PROTOCOL, role)) != 0)
		return r;
	if ((r = noise_hs_set_prologue(c->hs, prologue, plen)) != 0 ||
	    (r = noise_hs_set_local_static(c->hs, priv)) != 0 ||
	    (r = noise_hs_start(c->hs)) != 0)
		return r;
	return 0;
}

static struct call *
call_alloc(uint64_t id, const char *me, const char *peer, uint64_t now_ms,
    uint32_t ring_timeout_ms)
{
	struct call *c;

	if (strlen(me) > SIG_NAME_MAX || strlen(peer) > SIG_NAME_MAX)
		return NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	if ((c->keys = sodium_malloc(2 * NOISE_KEYLEN)) == NULL) {
		free(c);
		return NULL;
	}
	sodium_memzero(c->keys, 2 * NOISE_KEYLEN);
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
	noise_hs_free(c->hs);
	sodium_free(c->keys);
	sodium_memzero(c, sizeof(*c));
	free(c);
}

int
call_new_outgoing(struct call **cp, uint64_t id, const char *me,
    const char *peer, const uint8_t priv[NOISE_KEYLEN], uint64_t now_ms,
    uint32_t ring_timeout_ms)
{
	struct sigmsg *m;
	struct call *c;
	uint8_t msg1[SIG_E2E_MAX];
	size_t len;
	int r;

	*cp = NULL;
	if ((c = call_alloc(id, me, peer, now_ms, ring_timeout_ms)) == NULL)
		return E2_ERR_NOMEM;
	c->role = CALL_CALLER;
	c->state = CALL_S_DIALING;
	if ((r = start_hs(c, NOISE_INITIATOR, me, peer, priv)) != 0 ||
	    (r = noise_hs_write(c->hs, NULL, 0, msg1, sizeof(msg1),
	    &len)) != 0) {
		call_free(c);
		return r;
	}
	m = push_send(c, SIG_DIAL, SIG_R_NONE);
	(void)sigmsg_set_name(m, peer);
	(void)sigmsg_set_e2e(m, msg1, len);
	sodium_memzero(msg1, sizeof(msg1));
	*cp = c;
	return 0;
}

int
call_new_incoming(struct call **cp, const struct sigmsg *in, const char *me,
    const uint8_t priv[NOISE_KEYLEN], uint64_t now_ms,
    uint32_t ring_timeout_ms)
{
	struct sigmsg *m;
	struct call *c;
	uint8_t msg2[SIG_E2E_MAX], payload[SIG_E2E_MAX];
	size_t len, plen;
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
	if ((r = start_hs(c, NOISE_RESPONDER, in->name, me, priv)) != 0) {
		call_free(c);
		return r;
	}
	if (noise_hs_read(c->hs, in->e2e, in->e2e_len, payload,
	    sizeof(payload), &plen) != 0 ||
	    noise_hs_write(c->hs, NULL, 0, msg2, sizeof(msg2), &len) != 0) {
		send_end(c, SIG_REJECT, SIG_R_HANDSHAKE);
		*cp = c;
		return 0;
	}
	m = push_send(c, SIG_RINGING, SIG_R_NONE);
	(void)sigmsg_set_e2e(m, msg2, len);
	*cp = c;
	return 0;
}

void
call_set_cands(struct call *c, const struct sig_cand *cand, size_t n)
{
	if (n > SIG_CAND_MAX)
		n = SIG_CAND_MAX;
	memcpy(c->cand, cand, n * sizeof(*cand));
	c->ncand = (uint8_t)n;
}

/* After the last handshake message: code and media keys, then drop hs. */
static int
finish_hs(struct call *c)
{
	uint8_t h[NOISE_HASHLEN];
	int r;

	if ((r = noise_hs_handshake_hash(c->hs, h)) != 0 ||
	    (r = seccode_from_hash(h, sizeof(h), c->code)) != 0 ||
	    (r = noise_hs_split_keys(c->hs, c->keys,
	    c->keys + NOISE_KEYLEN)) != 0) {
		sodium_memzero(h, sizeof(h));
		return r;
	}
	sodium_memzero(h, sizeof(h));
	noise_hs_free(c->hs);
	c->hs = NULL;
	c->have_keys = 1;
	push(c, CALL_A_CODE);
	return 0;
}

static void
take_peer_cands(struct call *c, const struct sigmsg *m)
{
	memcpy(c->peer_cand, m->cand, m->ncand * sizeof(m->cand[0]));
	c->npeer_cand = m->ncand;
}

/* Caller: the callee's key is acceptable; send message 3. */
static void
caller_proceed(struct call *c)
{
	struct sigmsg *m;

	m = push_send(c, SIG_HANDSHAKE, SIG_R_NONE);
	(void)sigmsg_set_e2e(m, c->pending_msg3, c->pending_msg3_len);
	add_cands(c, m);
	sodium_memzero(c->pending_msg3, sizeof(c->pending_msg3));
	c->state = CALL_S_RINGING_OUT;
	push(c, CALL_A_RINGING);
}

static void
on_ringing(struct call *c, const struct sigmsg *m)
{
	uint8_t payload[SIG_E2E_MAX];
	size_t plen, len;

	if (!SIG_HAS(m, SIG_T_E2E) ||
	    noise_hs_read(c->hs, m->e2e, m->e2e_len, payload,
	    sizeof(payload), &plen) != 0 ||
	    noise_hs_remote_static(c->hs, c->peer_pub) != 0 ||
	    noise_hs_write(c->hs, NULL, 0, c->pending_msg3,
	    sizeof(c->pending_msg3), &len) != 0 ||
	    finish_hs(c) != 0) {
		send_end(c, SIG_HANGUP, SIG_R_HANDSHAKE);
		return;
	}
	c->pending_msg3_len = (uint16_t)len;
	c->have_peer_pub = 1;
	c->state = CALL_S_KEY_HELD;	/* until call_key_status() */
	push(c, CALL_A_KEY_CHECK);
}

static void
on_handshake(struct call *c, const struct sigmsg *m)
{
	uint8_t payload[SIG_E2E_MAX];
	size_t plen;

	if (!SIG_HAS(m, SIG_T_E2E) ||
	    noise_hs_read(c->hs, m->e2e, m->e2e_len, payload,
	    sizeof(payload), &plen) != 0 ||
	    noise_hs_remote_static(c->hs, c->peer_pub) != 0 ||
	    finish_hs(c) != 0) {
		send_end(c, SIG_REJECT, SIG_R_HANDSHAKE);
		return;
	}
	take_peer_cands(c, m);
	c->have_peer_pub = 1;
	c->state = CALL_S_KEY_HELD;	/* until call_key_status() */
	push(c, CALL_A_KEY_CHECK);
}

int
call_on_msg(struct call *c, const struct sigmsg *m, uint64_t now_ms)
{
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
		take_peer_cands(c, m);
		c->state = CALL_S_ACTIVE;
		push(c, CALL_A_ACTIVE);
		return 0;
	case SIG_REJECT:
	case SIG_HANGUP:
	case SIG_ERROR:
		end_call(c, SIG_HAS(m, SIG_T_REASON) ? m->reason :
		    SIG_R_PROTOCOL, 1);
		return 0;
	default:
		break;
	}
	c->bad_msgs++;
	return E2_ERR_STATE;
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
		if (c->state != CALL_S_KEY_HELD || c->pending_msg3_len == 0)
			return E2_ERR_STATE;
		caller_proceed(c);
		return 0;
	}
	if (c->state != CALL_S_RINGING_IN &&
	    !(c->state == CALL_S_KEY_HELD && c->have_keys))
		return E2_ERR_STATE;
	add_cands(c, push_send(c, SIG_ACCEPT, SIG_R_NONE));
	c->state = CALL_S_ACTIVE;
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

const struct call_action *
call_next_action(struct call *c)
{
	if (c->next_action == c->nactions) {
		c->next_action = c->nactions = 0;
		return NULL;
	}
	return &c->actions[c->next_action++];
}

int
call_media_keys(const struct call *c, uint8_t send[NOISE_KEYLEN],
    uint8_t recv[NOISE_KEYLEN])
{
	if (!c->have_keys)
		return E2_ERR_STATE;
	memcpy(send, c->keys, NOISE_KEYLEN);
	memcpy(recv, c->keys + NOISE_KEYLEN, NOISE_KEYLEN);
	return 0;
}
