/*
 * fuzz_call.c - the call state machine (call.h) fed signaling messages
 * in any order.
 *
 * Two real calls with fixed static keys, caller A and callee B, talk
 * through two queues standing in for the server (A's DIAL becomes B's
 * INCOMING).  The input is a sequence of operations (u8 op, then its
 * arguments) that deliver, drop or repeat queued messages, inject a
 * message decoded from the input into either side, play the user
 * (answer, reject, hang up, key check answers, candidates) and move the
 * clock.  Invariants: every message a call sends encodes and carries its
 * call id; each action fits the state; an ended call stays ended; when
 * both sides have finished the handshake they show the same security
 * code and their media keys pair up (A's send key is B's receive key).
 */
#include <string.h>

#include <sodium.h>

#include "call.h"
#include "err.h"
#include "fuzz.h"
#include "sigmsg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define CALL_ID		0x1122334455667788ULL
#define QMAX		16
#define RING_MS		30000

struct queue {
	struct sigmsg	 m[QMAX];
	size_t		 head, n;
};

struct side {
	struct call	*c;
	int		 ended;		/* saw it ENDED */
	int		 key_check;	/* a KEY_CHECK was asked */
	struct sigmsg	 last;		/* last message delivered to it */
	int		 have_last;
};

static uint8_t priv_a[NOISE_KEYLEN], priv_b[NOISE_KEYLEN];
static uint8_t pub_a[NOISE_KEYLEN], pub_b[NOISE_KEYLEN];
static struct e2e_id id_a, id_b;
static struct queue q_ab, q_ba;		/* A to B, B to A */
static struct side sa, sb;
static uint64_t now;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	size_t i;

	if (sodium_init() < 0)
		abort();
	for (i = 0; i < NOISE_KEYLEN; i++) {
		priv_a[i] = (uint8_t)(0x21 + i);
		priv_b[i] = (uint8_t)(0x61 + 3 * i);
	}
	if (noise_pubkey(priv_a, pub_a) != 0 ||
	    noise_pubkey(priv_b, pub_b) != 0)
		abort();
	id_a = (struct e2e_id){ priv_a, pub_a, NULL, NULL };
	id_b = (struct e2e_id){ priv_b, pub_b, NULL, NULL };
	return 0;
}

static void
q_push(struct queue *q, const struct sigmsg *m)
{
	if (q->n == QMAX)
		return;		/* the server would drop it */
	q->m[(q->head + q->n) % QMAX] = *m;
	q->n++;
}

static int
q_pop(struct queue *q, struct sigmsg *m)
{
	if (q->n == 0)
		return 0;
	*m = q->m[q->head];
	q->head = (q->head + 1) % QMAX;
	q->n--;
	return 1;
}

static void
check_state(const struct side *s)
{
	const struct call *c = s->c;

	FUZZ_CHECK(c->state >= CALL_S_DIALING && c->state <= CALL_S_ENDED);
	FUZZ_CHECK(!s->ended || c->state == CALL_S_ENDED);
	FUZZ_CHECK(c->ncand <= SIG_CAND_MAX && c->npeer_cand <= SIG_CAND_MAX);
	if (c->role == CALL_CALLER)
		FUZZ_CHECK(c->state != CALL_S_INCOMING &&
		    c->state != CALL_S_RINGING_IN);
	else
		FUZZ_CHECK(c->state != CALL_S_DIALING &&
		    c->state != CALL_S_RINGING_OUT);
	if (c->have_keys)
		FUZZ_CHECK(strlen(c->code) == SECCODE_LEN);
	if (c->state == CALL_S_ACTIVE)
		FUZZ_CHECK(c->have_keys);
}

/* Takes every queued action of one side. */
static void
drain(struct side *s, struct queue *out)
{
	const struct call_action *a;
	struct call_action copy;
	uint8_t enc[SIG_MSG_MAX];
	size_t len, n = 0;

	if (s->c == NULL)
		return;
	while ((a = call_next_action(s->c)) != NULL) {
		FUZZ_CHECK(++n <= CALL_MAX_ACTIONS);
		copy = *a;
		switch (copy.kind) {
		case CALL_A_SEND:
			FUZZ_CHECK(sigmsg_encode(&copy.msg, enc, sizeof(enc),
			    &len) == 0);
			FUZZ_CHECK(copy.msg.call == s->c->id);
			q_push(out, &copy.msg);
			break;
		case CALL_A_KEY_CHECK:
			FUZZ_CHECK(s->c->have_peer_pub);
			FUZZ_CHECK(memcmp(s->c->peer_pub, s->c->role ==
			    CALL_CALLER ? pub_b : pub_a, NOISE_KEYLEN) == 0);
			s->key_check = 1;
			break;
		case CALL_A_CODE:
			FUZZ_CHECK(s->c->have_keys);
			break;
		case CALL_A_RINGING:
			FUZZ_CHECK(s->c->role == CALL_CALLER);
			break;
		case CALL_A_RING:
			FUZZ_CHECK(s->c->role == CALL_CALLEE);
			break;
		case CALL_A_KEY_HELD:
			FUZZ_CHECK(s->c->have_peer_pub);
			break;
		case CALL_A_ACTIVE:
			FUZZ_CHECK(s->c->have_keys);
			break;
		case CALL_A_ENDED:
			FUZZ_CHECK(s->c->state == CALL_S_ENDED);
			FUZZ_CHECK(!s->ended);	/* ends once */
			s->ended = 1;
			break;
		default:
			FUZZ_CHECK(0);
		}
	}
	check_state(s);
}

/* Both sides through the handshake: one code, paired keys. */
static void
check_pair(void)
{
	uint8_t as[NOISE_KEYLEN], ar[NOISE_KEYLEN];
	uint8_t bs[NOISE_KEYLEN], br[NOISE_KEYLEN];

	if (sa.c == NULL || sb.c == NULL || !sa.c->have_keys ||
	    !sb.c->have_keys)
		return;
	FUZZ_CHECK(strcmp(sa.c->code, sb.c->code) == 0);
	FUZZ_CHECK(call_media_keys(sa.c, as, ar) == 0);
	FUZZ_CHECK(call_media_keys(sb.c, bs, br) == 0);
	FUZZ_CHECK(memcmp(as, br, NOISE_KEYLEN) == 0);
	FUZZ_CHECK(memcmp(ar, bs, NOISE_KEYLEN) == 0);
	FUZZ_CHECK(memcmp(as, ar, NOISE_KEYLEN) != 0);
	sodium_memzero(as, sizeof(as));
	sodium_memzero(ar, sizeof(ar));
	sodium_memzero(bs, sizeof(bs));
	sodium_memzero(br, sizeof(br));
}

/* A message arrives at side s (for B, a DIAL may create the call). */
static void
deliver(struct side *s, const struct sigmsg *m)
{
	struct sigmsg in;
	int r;

	s->last = *m;
	s->have_last = 1;
	if (s == &sb && sb.c == NULL) {
		if (m->type != SIG_DIAL)
			return;
		/* the server turns DIAL into INCOMING with the caller's name */
		in = *m;
		in.type = SIG_INCOMING;
		FUZZ_CHECK(sigmsg_set_name(&in, "alice") == 0);
		r = call_new_incoming(&sb.c, &in, "bob", &id_b, now, RING_MS);
		FUZZ_CHECK(r == 0 && sb.c != NULL);
		FUZZ_CHECK(sb.c->role == CALL_CALLEE && sb.c->id == m->call);
		return;
	}
	if (s->c == NULL)
		return;
	r = call_on_msg(s->c, m, now);
	FUZZ_CHECK(r == 0 || r == E2_ERR_STATE);
}

static void
make_cands(struct sig_cand *cand, size_t n, uint8_t seed)
{
	size_t i;

	memset(cand, 0, n * sizeof(*cand));
	for (i = 0; i < n; i++) {
		cand[i].kind = (uint8_t)(SIG_CAND_HOST + (seed + i) % 3);
		cand[i].family = (seed + i) & 1 ? 6 : 4;
		cand[i].addr[0] = 127;
		cand[i].addr[3] = (uint8_t)(1 + i);
		cand[i].port = (uint16_t)(40000 + seed + i);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sig_cand cand[SIG_CAND_MAX];
	struct sigmsg m;
	struct side *s;
	struct fin f;
	const uint8_t *p;
	size_t n;
	int ops = 0, r;
	uint8_t op, arg;

	memset(&q_ab, 0, sizeof(q_ab));
	memset(&q_ba, 0, sizeof(q_ba));
	memset(&sa, 0, sizeof(sa));
	memset(&sb, 0, sizeof(sb));
	now = 1000000;

	FUZZ_CHECK(call_new_outgoing(&sa.c, CALL_ID, "alice", "bob", &id_a,
	    now, RING_MS) == 0);
	FUZZ_CHECK(sa.c->role == CALL_CALLER &&
	    sa.c->state == CALL_S_DIALING);
	drain(&sa, &q_ab);

	fin_init(&f, data, size);
	while (f.n > 0 && ops++ < 200) {
		op = fin_u8(&f);
		s = op & 0x80 ? &sb : &sa;
		switch ((op & 0x7f) % 12) {
		case 0:		/* deliver the next message to B */
			if (q_pop(&q_ab, &m))
				deliver(&sb, &m);
			break;
		case 1:		/* ... to A */
			if (q_pop(&q_ba, &m))
				deliver(&sa, &m);
			break;
		case 2:		/* the server loses one */
			(void)q_pop(op & 0x80 ? &q_ba : &q_ab, &m);
			break;
		case 3:		/* the last message again */
			if (s->have_last) {
				m = s->last;
				deliver(s, &m);
			}
			break;
		case 4:		/* a message from the input */
			arg = fin_u8(&f);
			p = fin_take(&f, fin_u16(&f) % 2048, &n);
			if (sigmsg_decode(&m, p, n) != 0)
				break;
			if ((arg & 1) && s->c != NULL)
				m.call = s->c->id;
			deliver(s, &m);
			break;
		case 5:
			if (s->c != NULL) {
				r = call_answer(s->c);
				FUZZ_CHECK(r == 0 || r == E2_ERR_STATE);
			}
			break;
		case 6:
			if (s->c != NULL) {
				r = call_reject(s->c);
				FUZZ_CHECK(r == 0 || r == E2_ERR_STATE);
			}
			break;
		case 7:
			arg = fin_u8(&f) % (SIG_R_MAX + 1);
			if (s->c != NULL) {
				r = call_hangup(s->c, arg);
				FUZZ_CHECK(r == 0 || r == E2_ERR_STATE);
			}
			break;
		case 8:
			arg = fin_u8(&f) % 5;
			if (s->c != NULL) {
				r = call_key_status(s->c, arg);
				FUZZ_CHECK(r == 0 || r == E2_ERR_STATE);
				if (r == 0)
					FUZZ_CHECK(s->key_check);
			}
			break;
		case 9:
			now += (uint64_t)fin_u16(&f) * 4;
			if (sa.c != NULL)
				call_tick(sa.c, now);
			if (sb.c != NULL)
				call_tick(sb.c, now);
			break;
		case 10:
			arg = fin_u8(&f);
			make_cands(cand, arg % (SIG_CAND_MAX + 1), arg);
			if (s->c != NULL)
				call_set_cands(s->c, cand,
				    arg % (SIG_CAND_MAX + 1), arg & 0x80);
			break;
		case 11:
			if (s->c != NULL)
				s->c->accept_changed = fin_u8(&f) & 1;
			break;
		}
		drain(&sa, &q_ab);
		drain(&sb, &q_ba);
		check_pair();
	}
	call_free(sa.c);
	call_free(sb.c);
	return 0;
}
