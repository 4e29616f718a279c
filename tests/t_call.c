/*
 * t_call.c - the call state machine: two parties wired together in memory
 * through a fake server that turns DIAL into INCOMING and forwards the rest
 * through the real signaling codec.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <sodium.h>

#include "call.h"
#include "err.h"

struct party {
	struct call	*call;
	uint8_t		 priv[32], pub[32];
	int		 rang, ringing, active, ended, code, key_checks;
	int		 key_held;
	enum call_key	 answer_key;	/* what contacts say about the peer */
	int		 auto_answer;
	int		 fail_media;	/* hang up when ACTIVE comes */
};

static const struct sig_cand bcand = { SIG_CAND_HOST, 4, { 127, 0, 0, 1 },
    5000 };

struct net {
	struct party	 a, b;		/* a calls b */
	int		 b_final;	/* b's candidates final at once */
	struct sigmsg	 to_b[8], to_a[8];
	size_t		 nb, na;
	int		 tamper;	/* flip a bit in the next e2e to b */
	uint64_t	 now;
};

/* Through the wire codec, as the server would see it. */
static void
wire(const struct sigmsg *in, struct sigmsg *out)
{
	uint8_t buf[SIG_MSG_MAX];
	size_t len;

	assert_int_equal(sigmsg_encode(in, buf, sizeof(buf), &len), 0);
	assert_int_equal(sigmsg_decode(out, buf, len), 0);
}

static void
drain(struct net *n, struct party *p)
{
	const struct call_action *a;
	struct sigmsg m;

	while ((a = call_next_action(p->call)) != NULL) {
		switch (a->kind) {
		case CALL_A_SEND:
			wire(&a->msg, &m);
			if (p == &n->a) {
				if (m.type == SIG_DIAL) {
					m.type = SIG_INCOMING;
					(void)sigmsg_set_name(&m, "alice");
				}
				if (n->tamper && SIG_HAS(&m, SIG_T_E2E)) {
					m.e2e[m.e2e_len - 1] ^= 1;
					n->tamper = 0;
				}
				n->to_b[n->nb++] = m;
			} else {
				n->to_a[n->na++] = m;
			}
			break;
		case CALL_A_KEY_CHECK:
			p->key_checks++;
			assert_int_equal(call_key_status(p->call,
			    p->answer_key), 0);
			break;
		case CALL_A_CODE:
			p->code++;
			break;
		case CALL_A_RINGING:
			p->ringing++;
			break;
		case CALL_A_RING:
			p->rang++;
			if (p->auto_answer)
				assert_int_equal(call_answer(p->call), 0);
			break;
		case CALL_A_KEY_HELD:
			p->key_held++;
			break;
		case CALL_A_ACTIVE:
			p->active++;
			if (p->fail_media)
				assert_int_equal(call_hangup(p->call,
				    SIG_R_MEDIA), 0);
			break;
		case CALL_A_ENDED:
			p->ended++;
			break;
		}
	}
}

/* Delivers queued messages until nothing moves. */
static void
run(struct net *n)
{
	size_t i;

	drain(n, &n->a);
	if (n->b.call != NULL)
		drain(n, &n->b);
	while (n->nb > 0 || n->na > 0) {
		struct sigmsg qb[8], qa[8];
		size_t nb = n->nb, na = n->na;

		memcpy(qb, n->to_b, sizeof(qb));
		memcpy(qa, n->to_a, sizeof(qa));
		n->nb = n->na = 0;
		for (i = 0; i < nb; i++) {
			if (qb[i].type == SIG_INCOMING) {
				struct e2e_id ib = { n->b.priv, n->b.pub,
				    NULL, NULL };

				assert_int_equal(call_new_incoming(&n->b.call,
				    &qb[i], "bob", &ib, n->now, 30000), 0);
				call_set_cands(n->b.call, &bcand, 1,
				    n->b_final);
			} else if (n->b.call != NULL) {
				(void)call_on_msg(n->b.call, &qb[i], n->now);
			}
			drain(n, &n->b);
		}
		for (i = 0; i < na; i++) {
			(void)call_on_msg(n->a.call, &qa[i], n->now);
			drain(n, &n->a);
		}
	}
}

static void
setup_net_final(struct net *n, int a_final)
{
	struct sig_cand c = { SIG_CAND_HOST, 4, { 127, 0, 0, 1 }, 4000 };
	struct e2e_id ia;

	memset(n, 0, sizeof(*n));
	noise_keypair(n->a.priv, n->a.pub);
	noise_keypair(n->b.priv, n->b.pub);
	n->a.answer_key = n->b.answer_key = CALL_KEY_NEW;
	n->now = 1000;
	n->b_final = 1;
	ia = (struct e2e_id){ n->a.priv, n->a.pub, NULL, NULL };
	assert_int_equal(call_new_outgoing(&n->a.call, 0x1122334455667788ULL,
	    "alice", "bob", &ia, n->now, 30000), 0);
	call_set_cands(n->a.call, &c, 1, a_final);
}

static void
setup_net(struct net *n)
{
	setup_net_final(n, 1);
}

static void
free_net(struct net *n)
{
	call_free(n->a.call);
	call_free(n->b.call);
}

static void
test_answered_call(void **state)
{
	struct net n;
	uint8_t as[32], ar[32], bs[32], br[32];
	struct sig_cand c = { SIG_CAND_HOST, 4, { 127, 0, 0, 1 }, 5000 };

	(void)state;
	setup_net(&n);
	run(&n);
	assert_non_null(n.b.call);
	call_set_cands(n.b.call, &c, 1, 1);
	assert_int_equal(n.a.call->state, CALL_S_RINGING_OUT);
	assert_int_equal(n.b.call->state, CALL_S_RINGING_IN);
	assert_int_equal(n.a.ringing, 1);
	assert_int_equal(n.b.rang, 1);
	/* Both know the other's real key and hold the same code. */
	assert_memory_equal(n.a.call->peer_pub, n.b.pub, 32);
	assert_memory_equal(n.b.call->peer_pub, n.a.pub, 32);
	assert_int_equal(n.a.code, 1);
	assert_int_equal(n.b.code, 1);
	assert_string_equal(n.a.call->code, n.b.call->code);
	assert_int_equal(strlen(n.a.call->code), SECCODE_LEN);
	/* The callee got the caller's candidate with the handshake. */
	assert_int_equal(n.b.call->npeer_cand, 1);
	assert_int_equal(n.b.call->peer_cand[0].port, 4000);

	assert_int_equal(call_answer(n.b.call), 0);
	run(&n);
	assert_int_equal(n.a.call->state, CALL_S_ACTIVE);
	assert_int_equal(n.b.call->state, CALL_S_ACTIVE);
	assert_int_equal(n.a.call->npeer_cand, 1);
	assert_int_equal(n.a.call->peer_cand[0].port, 5000);
	/* Media keys mirror each other and differ by direction. */
	assert_int_equal(call_media_keys(n.a.call, as, ar), 0);
	assert_int_equal(call_media_keys(n.b.call, bs, br), 0);
	assert_memory_equal(as, br, 32);
	assert_memory_equal(ar, bs, 32);
	assert_memory_not_equal(as, ar, 32);

	assert_int_equal(call_hangup(n.b.call, SIG_R_NONE), 0);
	run(&n);
	assert_int_equal(n.a.call->state, CALL_S_ENDED);
	assert_int_equal(n.a.call->end_reason, SIG_R_HANGUP);
	assert_true(n.a.call->ended_by_peer);
	assert_int_equal(n.a.call->end_source, CALL_END_PEER);
	assert_false(n.b.call->ended_by_peer);
	assert_false(n.b.call->abandoned);
	free_net(&n);
}

static void
test_reject_and_cancel(void **state)
{
	struct net n;

	(void)state;
	setup_net(&n);
	run(&n);
	assert_int_equal(call_reject(n.b.call), 0);
	run(&n);
	assert_int_equal(n.a.call->state, CALL_S_ENDED);
	assert_int_equal(n.a.call->end_reason, SIG_R_REJECTED);
	assert_int_equal(n.a.call->end_source, CALL_END_PEER);
	free_net(&n);

	setup_net(&n);
	run(&n);
	assert_int_equal(call_hangup(n.a.call, SIG_R_NONE), 0);
	run(&n);
	assert_int_equal(n.b.call->state, CALL_S_ENDED);
	assert_int_equal(n.b.call->end_reason, SIG_R_CANCELLED);
	assert_int_equal(n.b.call->end_source, CALL_END_PEER);
	assert_int_equal(n.a.call->end_reason, SIG_R_CANCELLED);
	/* Nothing more to do once ended. */
	assert_int_equal(call_hangup(n.a.call, SIG_R_NONE), E2_ERR_STATE);
	assert_int_equal(call_answer(n.b.call), E2_ERR_STATE);
	free_net(&n);
}

static void
test_no_answer(void **state)
{
	struct net n;

	(void)state;
	setup_net(&n);
	run(&n);
	n.now += 29999;
	call_tick(n.a.call, n.now);
	run(&n);
	assert_int_equal(n.a.call->state, CALL_S_RINGING_OUT);
	n.now += 1;
	call_tick(n.a.call, n.now);
	run(&n);
	assert_int_equal(n.a.call->state, CALL_S_ENDED);
	assert_int_equal(n.a.call->end_reason, SIG_R_NO_ANSWER);
	assert_int_equal(n.b.call->state, CALL_S_ENDED);
	assert_int_equal(n.b.call->end_reason, SIG_R_NO_ANSWER);
	free_net(&n);
}

static void
test_key_changed(void **state)
{
	struct net n;

	(void)state;
	/* Caller side, interactive: held until the user decides. */
	setup_net(&n);
	n.a.answer_key = CALL_KEY_CHANGED;
	run(&n);
	assert_int_equal(n.a.key_held, 1);
	assert_int_equal(n.a.call->state, CALL_S_KEY_HELD);
	assert_int_equal(n.b.call->state, CALL_S_INCOMING); /* not ringing */
	assert_int_equal(n.b.rang, 0);
	assert_int_equal(call_answer(n.a.call), 0);	/* accept the key */
	run(&n);
	assert_int_equal(n.b.rang, 1);
	assert_int_equal(n.a.call->state, CALL_S_RINGING_OUT);
	free_net(&n);

	/* Caller side, verified contact: refused outright. */
	setup_net(&n);
	n.a.answer_key = CALL_KEY_CHANGED_VERIFIED;
	run(&n);
	assert_int_equal(n.a.call->state, CALL_S_ENDED);
	assert_int_equal(n.a.call->end_reason, SIG_R_KEY_CHANGED);
	assert_int_equal(n.b.call->state, CALL_S_ENDED);
	assert_int_equal(n.b.rang, 0);
	free_net(&n);

	/* Callee side: rings with a warning; answering accepts. */
	setup_net(&n);
	n.b.answer_key = CALL_KEY_CHANGED;
	run(&n);
	assert_int_equal(n.b.key_held, 1);
	assert_int_equal(n.b.rang, 1);
	assert_int_equal(call_answer(n.b.call), 0);
	run(&n);
	assert_int_equal(n.a.call->state, CALL_S_ACTIVE);
	free_net(&n);

	/* Callee side, verified contact: rejected with key_changed. */
	setup_net(&n);
	n.b.answer_key = CALL_KEY_CHANGED_VERIFIED;
	run(&n);
	assert_int_equal(n.b.rang, 0);
	assert_int_equal(n.a.call->state, CALL_S_ENDED);
	assert_int_equal(n.a.call->end_reason, SIG_R_KEY_CHANGED);
	free_net(&n);
}

static void
test_tampered_handshake(void **state)
{
	struct net n;

	(void)state;
	setup_net(&n);
	drain(&n, &n.a);		/* DIAL queued, untampered */
	run(&n);			/* RINGING back, HANDSHAKE to b */
	free_net(&n);

	setup_net(&n);
	n.tamper = 1;			/* message 1 damaged on the way */
	run(&n);
	/* msg 1 is cleartext in XX, so the damage shows at message 2/3. */
	assert_int_equal(n.a.call->state, CALL_S_ENDED);
	assert_int_equal(n.a.call->end_reason, SIG_R_HANDSHAKE);
	assert_int_equal(n.b.rang, 0);
	free_net(&n);
}

static void
test_out_of_state(void **state)
{
	struct net n;
	struct sigmsg m;

	(void)state;
	setup_net(&n);
	run(&n);
	/* ACCEPT for another call id, and a HANDSHAKE sent to the caller. */
	sigmsg_init(&m, SIG_ACCEPT);
	sigmsg_set_call(&m, 42);
	assert_int_equal(call_on_msg(n.a.call, &m, n.now), E2_ERR_STATE);
	sigmsg_init(&m, SIG_HANDSHAKE);
	sigmsg_set_call(&m, n.a.call->id);
	(void)sigmsg_set_e2e(&m, (const uint8_t *)"xx", 2);
	assert_int_equal(call_on_msg(n.a.call, &m, n.now), E2_ERR_STATE);
	assert_int_equal(n.a.call->bad_msgs, 2);
	assert_int_equal(n.a.call->state, CALL_S_RINGING_OUT);
	/* Answering is the callee's move. */
	assert_int_equal(call_answer(n.a.call), E2_ERR_STATE);
	assert_int_equal(call_reject(n.a.call), E2_ERR_STATE);
	free_net(&n);
}

static void
test_glare(void **state)
{
	(void)state;
	/* Each side decides the same way. */
	assert_true(call_glare_mine_wins(9, 3));
	assert_false(call_glare_mine_wins(3, 9));
}

/* What the server would inject: its own ACCEPT, unsealed or forged. */
static void
test_forged_accept(void **state)
{
	struct sig_cand lo = { SIG_CAND_HOST, 4, { 127, 0, 0, 1 }, 22 };
	struct net n;
	struct sigmsg m;
	size_t i;

	(void)state;
	setup_net(&n);
	run(&n);
	assert_int_equal(n.a.call->state, CALL_S_RINGING_OUT);
	sigmsg_init(&m, SIG_ACCEPT);
	sigmsg_set_call(&m, n.a.call->id);
	(void)sigmsg_add_cand(&m, &lo);
	assert_int_equal(call_on_msg(n.a.call, &m, n.now), E2_ERR_STATE);
	for (i = 0; i < sizeof(m.sealed); i++)
		m.sealed[i] = (uint8_t)i;
	m.sealed_len = 40;
	m.fields |= 1u << SIG_T_SEALED;
	assert_int_equal(call_on_msg(n.a.call, &m, n.now), E2_ERR_STATE);
	assert_int_equal(n.a.call->bad_msgs, 2);
	assert_int_equal(n.a.call->state, CALL_S_RINGING_OUT);
	assert_int_equal(n.a.active, 0);
	/* The real one still works, with the callee's own candidates. */
	assert_int_equal(call_answer(n.b.call), 0);
	run(&n);
	assert_int_equal(n.a.call->state, CALL_S_ACTIVE);
	assert_int_equal(n.a.call->npeer_cand, 1);
	assert_int_equal(n.a.call->peer_cand[0].port, 5000);
	free_net(&n);
}

/* Ends the peer did not seal are the server's word; forged ones fail. */
static void
test_unsealed_end(void **state)
{
	struct net n;
	struct sigmsg m;

	(void)state;
	setup_net(&n);
	run(&n);
	sigmsg_init(&m, SIG_HANGUP);
	sigmsg_set_call(&m, n.a.call->id);
	sigmsg_set_reason(&m, SIG_R_HANGUP);
	memset(m.sealed, 0x55, 40);
	m.sealed_len = 40;
	m.fields |= 1u << SIG_T_SEALED;
	assert_int_equal(call_on_msg(n.a.call, &m, n.now), 0);
	assert_int_equal(n.a.call->state, CALL_S_RINGING_OUT);
	assert_int_equal(n.a.call->bad_msgs, 1);
	sigmsg_init(&m, SIG_REJECT);
	sigmsg_set_call(&m, n.a.call->id);
	sigmsg_set_reason(&m, SIG_R_BUSY);
	assert_int_equal(call_on_msg(n.a.call, &m, n.now), 0);
	assert_int_equal(n.a.call->state, CALL_S_ENDED);
	assert_int_equal(n.a.call->end_reason, SIG_R_BUSY);
	assert_int_equal(n.a.call->end_source, CALL_END_UNAUTH);
	free_net(&n);
}

/* HANDSHAKE and ACCEPT wait for the final candidates, then carry them. */
static void
test_cands_wait(void **state)
{
	struct sig_cand two[2] = {
	    { SIG_CAND_HOST, 4, { 127, 0, 0, 1 }, 4000 },
	    { SIG_CAND_SRFLX, 4, { 192, 0, 2, 1 }, 4444 } };
	struct net n;

	(void)state;
	setup_net_final(&n, 0);
	n.b_final = 0;
	run(&n);
	assert_int_equal(n.a.call->state, CALL_S_RINGING_OUT);
	assert_int_equal(n.b.call->state, CALL_S_INCOMING);	/* no msg 3 */
	assert_int_equal(n.b.rang, 0);
	call_set_cands(n.a.call, two, 2, 1);
	run(&n);
	assert_int_equal(n.b.rang, 1);
	assert_int_equal(n.b.call->npeer_cand, 2);
	assert_int_equal(n.b.call->peer_cand[1].port, 4444);
	assert_int_equal(call_answer(n.b.call), 0);
	run(&n);
	assert_int_equal(n.b.call->state, CALL_S_ACTIVE);
	assert_int_equal(n.a.call->state, CALL_S_RINGING_OUT);
	call_set_cands(n.b.call, &bcand, 1, 1);
	run(&n);
	assert_int_equal(n.a.call->state, CALL_S_ACTIVE);
	free_net(&n);
}

/* An action queued while the last was taken is never lost (item 7). */
static void
test_no_lost_action(void **state)
{
	struct net n;

	(void)state;
	setup_net(&n);
	n.b.auto_answer = 1;
	n.b.fail_media = 1;
	run(&n);
	assert_int_equal(n.b.active, 1);
	assert_int_equal(n.b.ended, 1);
	assert_int_equal(n.b.call->state, CALL_S_ENDED);
	assert_int_equal(n.b.call->end_reason, SIG_R_MEDIA);
	assert_false(n.b.call->overflow);
	/* The caller heard of it, sealed. */
	assert_int_equal(n.a.call->state, CALL_S_ENDED);
	assert_int_equal(n.a.call->end_reason, SIG_R_MEDIA);
	assert_int_equal(n.a.call->end_source, CALL_END_PEER);
	free_net(&n);
}

/* A caller of version 1: refused with a reason it understands. */
static void
test_v1_caller(void **state)
{
	struct e2e_id ib;
	struct call *c;
	struct sigmsg in;
	const struct call_action *a;
	uint8_t b_priv[32], b_pub[32];
	int sent = 0, ended = 0;

	(void)state;
	noise_keypair(b_priv, b_pub);
	ib = (struct e2e_id){ b_priv, b_pub, NULL, NULL };
	sigmsg_init(&in, SIG_INCOMING);
	sigmsg_set_call(&in, 7);
	(void)sigmsg_set_name(&in, "alice");
	(void)sigmsg_set_e2e(&in, b_pub, 32);	/* a bare e, as version 1 */
	assert_int_equal(call_new_incoming(&c, &in, "bob", &ib, 0, 30000), 0);
	while ((a = call_next_action(c)) != NULL) {
		if (a->kind == CALL_A_SEND) {
			assert_int_equal(a->msg.type, SIG_REJECT);
			assert_int_equal(a->msg.reason, SIG_R_HANDSHAKE);
			assert_true(SIG_HAS(&a->msg, SIG_T_TEXT));
			sent++;
		}
		if (a->kind == CALL_A_ENDED)
			ended++;
	}
	assert_int_equal(sent, 1);
	assert_int_equal(ended, 1);
	assert_int_equal(c->end_reason, SIG_R_VERSION);
	assert_false(c->abandoned);
	call_free(c);
}

/* A handshake left after message 2 counts; three of them shut the door. */
static void
test_guard(void **state)
{
	struct call_guard g;
	struct net n;
	uint64_t until;

	(void)state;
	setup_net_final(&n, 0);		/* msg 3 never leaves */
	run(&n);
	assert_int_equal(call_hangup(n.a.call, SIG_R_NONE), 0);
	run(&n);
	assert_int_equal(n.b.call->state, CALL_S_ENDED);
	assert_true(n.b.call->abandoned);
	free_net(&n);

	memset(&g, 0, sizeof(g));
	assert_false(call_guard_full(&g, 1000, NULL));
	call_guard_note(&g, 1000);
	call_guard_note(&g, 2000);
	assert_false(call_guard_full(&g, 3000, NULL));
	call_guard_note(&g, 3000);
	assert_true(call_guard_full(&g, 3000, &until));
	assert_int_equal(until, 1000 + CALL_GUARD_WINDOW_MS);
	assert_true(call_guard_full(&g, 1000 + CALL_GUARD_WINDOW_MS - 1,
	    NULL));
	assert_false(call_guard_full(&g, 1000 + CALL_GUARD_WINDOW_MS, NULL));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_answered_call),
		cmocka_unit_test(test_reject_and_cancel),
		cmocka_unit_test(test_no_answer),
		cmocka_unit_test(test_key_changed),
		cmocka_unit_test(test_tampered_handshake),
		cmocka_unit_test(test_out_of_state),
		cmocka_unit_test(test_glare),
		cmocka_unit_test(test_forged_accept),
		cmocka_unit_test(test_unsealed_end),
		cmocka_unit_test(test_cands_wait),
		cmocka_unit_test(test_no_lost_action),
		cmocka_unit_test(test_v1_caller),
		cmocka_unit_test(test_guard),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
