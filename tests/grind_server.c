/*
 * grind_server.c - a signaling server that grinds for matching security
 * codes, for tests/grind.sh.
 *
 *	grind_server --listen HOST:PORT [--key FILE] [--bound N]
 *	    [--attempts N] [--bad-msg2 N]
 *
 * Towards clients it speaks the signaling protocol as `e2call serve` does
 * (tests/fixture.c), refuses every RELAY_REQUEST, and terminates both
 * legs of every call itself, trying each free choice the committed
 * handshake (src/core/e2e.h) leaves it, against real clients:
 *
 * Leg A: it is the callee to the real caller, with a message 2 of its own
 *	(e2e.c's callee side, a fresh static key and ephemeral per call).
 *	The caller committed to its e, s and nonce in message 1, and the
 *	code depends on the nonce, which only message 3 reveals: only then
 *	does the fixture know the caller's code.  With --bad-msg2, the
 *	first N calls get a message 2 with a 32-byte payload of its choosing
 *	instead, and go no further: the caller must refuse it (nothing but
 *	an empty payload or a move proof is taken).
 * Leg B: it is the caller to the real callee (the real caller's name in
 *	the prologue), with a fresh static key, ephemeral and nonce per
 *	attempt and a message 1 that commits to them.  Once it holds the
 *	callee's message 2 and the caller's code, it grinds: for candidate
 *	nonces, a copy of the Noise state after message 2 writes message 3
 *	with the nonce as its payload, and the code of that handshake hash
 *	is compared with the caller's in the first group only (5 digits,
 *	the test's shortening), until one matches or --bound tries
 *	(3000000) are spent.  The first attempt sends the matching message
 *	3 (its candidates sealed, as a caller does); a callee that checks
 *	the commit refuses it (REJECT handshake_failed).  Every later
 *	attempt is honest, so its code is fixed by message 2: it sends
 *	message 3 only when the first group matches by chance, and abandons
 *	the handshake (HANGUP) otherwise.  It attempts again as long as the
 *	callee lets it (REJECT limit: the callee's guard against abandoned
 *	handshakes), at most --attempts times (10) per call.
 *
 * The call ends when the callee accepts (ACCEPT), turns the fixture away,
 * or either party goes: the fixture then hangs up both legs, unsealed
 * (the server's word).  It never answers the caller.
 *
 * Output, one line each on stdout:
 *	listening HOST:PORT | registered NAME | call ID CALLER CALLEE |
 *	code caller ID CODE (leg A's code, once message 3 came) |
 *	attempt ID K tries=N leg_b=GROUP sent=0|1 verdict=V (V: accepted,
 *	    abandoned, limit, caller_gone, callee_gone or the reason of the
 *	    callee's REJECT) |
 *	grind ID tries=N restarts=R leg_a=GROUP leg_b=GROUP matched=0|1
 *	    accepted=0|1 turned_away=0|1 (each call, at its end; leg_b is
 *	    the first group of the last message 3 sent, matched whether it
 *	    is leg A's) |
 *	refused ID bad_msg2 REASON (--bad-msg2: the caller's answer) |
 *	totals calls=N tries=N grind_ms=N us_per_try=X restarts=R
 *	    turned_away=N accepted=N (at exit: SIGTERM or SIGINT).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <uv.h>

#include "e2e.h"
#include "err.h"
#include "fixture.h"
#include "noise.h"
#include "sigmsg.h"

#define BOUND_DEFAULT		3000000
#define ATTEMPTS_DEFAULT	10
#define GROUPLEN		5	/* the comparison: the first group */
#define SLICE_NS		20000000	/* grinding per loop turn */

static const char commit_label[] = "e2call-call/2 commit";
static const char control_label[] = "e2call-call/2 control";

struct gcall {
	uint64_t	 id;		/* the caller's call: leg A */
	struct fx_conn	*conn[2];	/* caller, callee (NULL once gone) */
	char		 name[2][SIG_NAME_MAX + 1];
	int		 demo;		/* --bad-msg2: leg A only */
	struct e2e	*xa;
	int		 have_a;
	char		 code_a[SECCODE_LEN + 1];
	/* leg B: the current attempt */
	unsigned	 attempt;
	uint64_t	 idb;
	int		 b_live;	/* the callee holds a call idb */
	struct noise_hs	*hs;		/* after msg 1 written, msg 2 read */
	int		 have_msg2;
	uint8_t		 nonce[E2E_NONCELEN];	/* the committed nonce */
	uint64_t	 budget, tries;
	int		 sent;		/* message 3 went out */
	char		 code_b[SECCODE_LEN + 1];	/* the last computed */
	/* the call's totals */
	char		 code_sent[SECCODE_LEN + 1];	/* of the last message 3
							   sent */
	uint64_t	 all_tries;
	unsigned	 restarts;
	int		 accepted, turned_away;
	struct gcall	*next;
};

static struct gcall	*calls;
static struct gcall	*grinding;	/* the one the idle handle serves */
static uv_idle_t	 grinder;
static uint64_t		 bound = BOUND_DEFAULT;
static unsigned		 max_attempts = ATTEMPTS_DEFAULT;
static unsigned		 bad_msg2;
static uint64_t		 ncalls, ntries, nrestarts, nturned, naccepted;
static uint64_t		 grind_ns;

static void	attempt_start(struct gcall *g);
static void	grind_next(void);

static int
same_group(const char *a, const char *b)
{
	return a[0] != '\0' && b[0] != '\0' && memcmp(a, b, GROUPLEN) == 0;
}

static const char *
group(const char *code)
{
	static char g[GROUPLEN + 1];

	if (code[0] == '\0')
		return "-";
	memcpy(g, code, GROUPLEN);
	g[GROUPLEN] = '\0';
	return g;
}

static void
send_simple(struct fx_conn *c, enum sig_type type, uint64_t call,
    enum sig_reason reason)
{
	struct sigmsg m;

	sigmsg_init(&m, type);
	sigmsg_set_call(&m, call);
	sigmsg_set_reason(&m, reason);
	fx_send(c, &m);
}

static struct gcall *
gcall_find(uint64_t id, int leg_b)
{
	struct gcall *g;

	for (g = calls; g != NULL; g = g->next)
		if (leg_b ? (g->b_live && g->idb == id) : g->id == id)
			return g;
	return NULL;
}

static void
leg_b_clear(struct gcall *g)
{
	noise_hs_free(g->hs);
	g->hs = NULL;
	g->have_msg2 = 0;
	sodium_memzero(g->nonce, sizeof(g->nonce));
	if (grinding == g) {
		grinding = NULL;
		uv_idle_stop(&grinder);
	}
}

/* The call is over: hang up what is left of both legs and forget it. */
static void
gcall_end(struct gcall *g)
{
	struct gcall **pp;

	if (!g->demo)
		fx_out("grind %016" PRIx64 " tries=%" PRIu64 " restarts=%u "
		    "leg_a=%s leg_b=%s matched=%d accepted=%d turned_away=%d",
		    g->id, g->all_tries, g->restarts, group(g->code_a),
		    group(g->code_sent), same_group(g->code_a, g->code_sent),
		    g->accepted, g->turned_away);
	if (g->b_live)
		send_simple(g->conn[1], SIG_HANGUP, g->idb, SIG_R_CANCELLED);
	send_simple(g->conn[0], SIG_HANGUP, g->id, SIG_R_HANGUP);
	leg_b_clear(g);
	for (pp = &calls; *pp != NULL; pp = &(*pp)->next)
		if (*pp == g) {
			*pp = g->next;
			break;
		}
	e2e_free(g->xa);
	sodium_memzero(g, sizeof(*g));
	free(g);
	grind_next();
}

/*
 * The end of an attempt: another one, if the callee still takes them.  A
 * call of the callee's that is still live (b_live) is hung up: given up
 * after message 2, that is an abandoned handshake.
 */
static void
attempt_over(struct gcall *g, const char *verdict)
{
	fx_out("attempt %016" PRIx64 " %u tries=%" PRIu64 " leg_b=%s sent=%d "
	    "verdict=%s", g->id, g->attempt, g->tries, group(g->code_b),
	    g->sent, verdict);
	leg_b_clear(g);
	if (g->accepted || g->turned_away || g->conn[0] == NULL ||
	    g->conn[1] == NULL || g->attempt + 1 >= max_attempts) {
		gcall_end(g);
		return;
	}
	if (g->b_live)
		send_simple(g->conn[1], SIG_HANGUP, g->idb, SIG_R_CANCELLED);
	g->b_live = 0;
	g->attempt++;
	g->restarts++;
	nrestarts++;
	attempt_start(g);
}

/* ---- leg A: the callee to the real caller ---- */

/* --bad-msg2: a message 2 with a payload of the fixture's choosing. */
static int
leg_a_bad_msg2(struct gcall *g, const struct sigmsg *dial, struct sigmsg *out)
{
	uint8_t p[E2E_PROLOGUE_MAX], pay[E2E_MSG_MAX], msg2[E2E_MSG_MAX];
	uint8_t *priv = NULL, pub[NOISE_KEYLEN], junk[32];
	struct noise_hs *hs = NULL;
	size_t plen, n, len;
	int r = E2_ERR_NOMEM;

	if ((priv = sodium_malloc(NOISE_KEYLEN)) == NULL)
		goto out;
	noise_keypair(priv, pub);
	randombytes_buf(junk, sizeof(junk));
	plen = e2e_prologue(E2E_LABEL, g->id, g->name[0], g->name[1], p,
	    sizeof(p));
	if ((r = noise_hs_new(&hs, E2E_PROTOCOL, NOISE_RESPONDER)) != 0 ||
	    (r = noise_hs_set_prologue(hs, p, plen)) != 0 ||
	    (r = noise_hs_set_local_keypair(hs, priv, pub)) != 0 ||
	    (r = noise_hs_start(hs)) != 0 ||
	    (r = noise_hs_read(hs, dial->e2e, dial->e2e_len, pay, sizeof(pay),
	    &n)) != 0 ||
	    (r = noise_hs_write(hs, junk, sizeof(junk), msg2, sizeof(msg2),
	    &len)) != 0)
		goto out;
	(void)sigmsg_set_e2e(out, msg2, len);
out:
	noise_hs_free(hs);
	sodium_free(priv);
	return r;
}

static int
leg_a_start(struct gcall *g, const struct sigmsg *dial)
{
	uint8_t *priv, pub[NOISE_KEYLEN], msg2[E2E_MSG_MAX];
	struct sigmsg m;
	struct e2e_id me;
	size_t len;
	int r;

	sigmsg_init(&m, SIG_RINGING);
	sigmsg_set_call(&m, g->id);
	if (g->demo) {
		if ((r = leg_a_bad_msg2(g, dial, &m)) == 0)
			fx_send(g->conn[0], &m);
		return r;
	}
	if ((priv = sodium_malloc(NOISE_KEYLEN)) == NULL)
		return E2_ERR_NOMEM;
	noise_keypair(priv, pub);	/* a fresh static key each call */
	me = (struct e2e_id){ priv, pub, NULL, NULL };
	r = e2e_callee_start(&g->xa, g->id, g->name[0], g->name[1], &me, NULL,
	    dial->e2e, dial->e2e_len, msg2, sizeof(msg2), &len);
	sodium_free(priv);
	if (r != 0)
		return r;
	(void)sigmsg_set_e2e(&m, msg2, len);
	fx_send(g->conn[0], &m);
	return 0;
}

/* The caller's HANDSHAKE: message 3 opens its commit; now its code is. */
static void
leg_a_msg3(struct gcall *g, const struct sigmsg *m)
{
	if (g->xa == NULL || g->have_a || !SIG_HAS(m, SIG_T_E2E) ||
	    e2e_callee_finish(g->xa, m->e2e, m->e2e_len) != 0) {
		fx_out("leg_a %016" PRIx64 " message 3 failed", g->id);
		gcall_end(g);
		return;
	}
	memcpy(g->code_a, g->xa->code, sizeof(g->code_a));
	g->have_a = 1;
	fx_out("code caller %016" PRIx64 " %s", g->id, g->code_a);
	grind_next();
}

/* ---- leg B: the caller to the real callee ---- */

/* commit = BLAKE2b-256(label || e || s || nonce || 0): no move. */
static void
make_commit(uint8_t out[E2E_COMMITLEN], const uint8_t e[NOISE_KEYLEN],
    const uint8_t s[NOISE_KEYLEN], const uint8_t nonce[E2E_NONCELEN])
{
	crypto_generichash_state st;
	uint8_t mv = 0;

	crypto_generichash_init(&st, NULL, 0, E2E_COMMITLEN);
	crypto_generichash_update(&st, (const uint8_t *)commit_label,
	    sizeof(commit_label) - 1);
	crypto_generichash_update(&st, e, NOISE_KEYLEN);
	crypto_generichash_update(&st, s, NOISE_KEYLEN);
	crypto_generichash_update(&st, nonce, E2E_NONCELEN);
	crypto_generichash_update(&st, &mv, 1);
	crypto_generichash_final(&st, out, E2E_COMMITLEN);
}

/* A new DIAL to the callee: message 1 with an honest commit. */
static void
attempt_start(struct gcall *g)
{
	uint8_t p[E2E_PROLOGUE_MAX], commit[E2E_COMMITLEN];
	uint8_t *sec, spub[NOISE_KEYLEN], epub[NOISE_KEYLEN];
	struct sigmsg *m = NULL;
	size_t plen, len;
	int r = E2_ERR_NOMEM;

	g->tries = 0;
	g->sent = 0;
	g->code_b[0] = '\0';
	g->budget = g->attempt == 0 ? bound : 1;
	do
		randombytes_buf(&g->idb, sizeof(g->idb));
	while (g->idb == 0 || g->idb == g->id);
	/* sec: static private key, ephemeral private key */
	if ((sec = sodium_malloc(2 * NOISE_KEYLEN)) == NULL ||
	    (m = malloc(sizeof(*m))) == NULL)
		goto out;
	noise_keypair(sec, spub);
	noise_keypair(sec + NOISE_KEYLEN, epub);
	randombytes_buf(g->nonce, sizeof(g->nonce));
	make_commit(commit, epub, spub, g->nonce);
	plen = e2e_prologue(E2E_LABEL, g->idb, g->name[0], g->name[1], p,
	    sizeof(p));
	sigmsg_init(m, SIG_INCOMING);
	sigmsg_set_call(m, g->idb);
	(void)sigmsg_set_name(m, g->name[0]);
	if ((r = noise_hs_new(&g->hs, E2E_PROTOCOL, NOISE_INITIATOR)) != 0 ||
	    (r = noise_hs_set_prologue(g->hs, p, plen)) != 0 ||
	    (r = noise_hs_set_local_keypair(g->hs, sec, spub)) != 0 ||
	    (r = noise_hs_set_local_ephemeral(g->hs,
	    sec + NOISE_KEYLEN)) != 0 ||
	    (r = noise_hs_start(g->hs)) != 0 ||
	    (r = noise_hs_write(g->hs, commit, sizeof(commit), m->e2e,
	    sizeof(m->e2e), &len)) != 0)
		goto out;
	m->e2e_len = (uint16_t)len;
	m->fields |= 1u << SIG_T_E2E;
	g->b_live = 1;
	fx_send(g->conn[1], m);
out:
	sodium_free(sec);
	free(m);
	if (r != 0) {
		fx_out("leg_b %016" PRIx64 " cannot start: %s", g->id,
		    e2_strerror(r));
		attempt_over(g, "error");
	}
}

/* The callee's RINGING: its message 2; the grinding can start. */
static void
leg_b_msg2(struct gcall *g, const struct sigmsg *m)
{
	uint8_t pay[E2E_MSG_MAX];
	size_t n;

	if (g->have_msg2 || !SIG_HAS(m, SIG_T_E2E) ||
	    noise_hs_read(g->hs, m->e2e, m->e2e_len, pay, sizeof(pay),
	    &n) != 0) {
		attempt_over(g, "bad_msg2");
		return;
	}
	g->have_msg2 = 1;
	grind_next();
}

/*
 * Seals the candidates of HANDSHAKE (none) as the callee expects them
 * (e2e.h): the control key of k1 from Split() of hs, nonce and
 * associated data from the type and the call.
 */
static int
seal_handshake(struct gcall *g, struct noise_hs *hs, struct sigmsg *m)
{
	uint8_t *k, pt[64], ct[64 + E2E_SEAL_OVERHEAD], nonce[12], ad[9];
	unsigned long long clen;
	struct sigmsg in;
	size_t plen;
	int r, i;

	if ((k = sodium_malloc(3 * NOISE_KEYLEN)) == NULL)
		return E2_ERR_NOMEM;
	sigmsg_init(&in, SIG_HANDSHAKE);
	sigmsg_set_call(&in, g->idb);
	if ((r = sigmsg_encode_inner(&in, pt, sizeof(pt), &plen)) != 0 ||
	    (r = noise_hs_split_keys(hs, k, k + NOISE_KEYLEN)) != 0)
		goto out;
	crypto_generichash(k + 2 * NOISE_KEYLEN, NOISE_KEYLEN,
	    (const uint8_t *)control_label, sizeof(control_label) - 1, k,
	    NOISE_KEYLEN);
	memset(nonce, 0, sizeof(nonce));
	nonce[4] = SIG_HANDSHAKE;
	ad[0] = SIG_HANDSHAKE;
	for (i = 0; i < 8; i++)
		ad[1 + i] = (uint8_t)(g->idb >> (56 - 8 * i));
	crypto_aead_chacha20poly1305_ietf_encrypt(ct, &clen, pt, plen, ad,
	    sizeof(ad), NULL, nonce, k + 2 * NOISE_KEYLEN);
	r = sigmsg_set_sealed(m, ct, (size_t)clen);
out:
	sodium_free(k);
	return r;
}

static void
send_msg3(struct gcall *g, struct noise_hs *hs, const uint8_t *msg3,
    size_t len)
{
	struct sigmsg *m;

	if ((m = malloc(sizeof(*m))) == NULL) {
		attempt_over(g, "error");
		return;
	}
	sigmsg_init(m, SIG_HANDSHAKE);
	sigmsg_set_call(m, g->idb);
	(void)sigmsg_set_e2e(m, msg3, len);
	if (seal_handshake(g, hs, m) != 0) {
		free(m);
		attempt_over(g, "error");
		return;
	}
	g->sent = 1;
	memcpy(g->code_sent, g->code_b, sizeof(g->code_sent));
	fx_send(g->conn[1], m);
	free(m);
}

/*
 * One candidate: message 3 with nonce as its payload, from a copy of the
 * state after message 2; *cpp gets the copy and code its code.
 */
static int
try_nonce(const struct gcall *g, const uint8_t nonce[E2E_NONCELEN],
    struct noise_hs **cpp, uint8_t *msg3, size_t cap, size_t *lenp,
    char code[SECCODE_LEN + 1])
{
	struct noise_hs *cp = NULL;
	uint8_t h[NOISE_HASHLEN];
	int r;

	*cpp = NULL;
	if ((r = noise_hs_copy(&cp, g->hs)) != 0 ||
	    (r = noise_hs_write(cp, nonce, E2E_NONCELEN, msg3, cap,
	    lenp)) != 0 ||
	    (r = noise_hs_handshake_hash(cp, h)) != 0 ||
	    (r = seccode_from_hash(h, sizeof(h), code)) != 0) {
		noise_hs_free(cp);
		return r;
	}
	*cpp = cp;
	return 0;
}

/*
 * A slice of grinding for `grinding`: candidates nonce XOR t (t = 0 is
 * the committed nonce itself) until a first group matches, the budget
 * is spent, or SLICE_NS passed; then message 3 or the abandon.
 */
static void
grind_cb(uv_idle_t *h)
{
	struct gcall *g = grinding;
	uint8_t nonce[E2E_NONCELEN], msg3[E2E_MSG_MAX];
	struct noise_hs *cp = NULL;
	uint64_t t0 = uv_hrtime(), t;
	size_t len = 0;
	int i, found = 0;

	(void)h;
	if (g == NULL) {
		uv_idle_stop(&grinder);
		return;
	}
	while (g->tries < g->budget) {
		memcpy(nonce, g->nonce, sizeof(nonce));
		t = g->tries;
		for (i = 0; i < 8; i++)
			nonce[i] ^= (uint8_t)(t >> (8 * i));
		if (try_nonce(g, nonce, &cp, msg3, sizeof(msg3), &len,
		    g->code_b) != 0) {
			g->budget = g->tries;	/* cannot happen */
			break;
		}
		g->tries++;
		g->all_tries++;
		ntries++;
		if (same_group(g->code_a, g->code_b)) {
			found = 1;
			break;
		}
		noise_hs_free(cp);
		if ((g->tries & 63) == 0 && uv_hrtime() - t0 >= SLICE_NS)
			break;
	}
	grind_ns += uv_hrtime() - t0;
	sodium_memzero(nonce, sizeof(nonce));
	if (!found && g->tries < g->budget)
		return;			/* more in the next turn */
	grinding = NULL;
	uv_idle_stop(&grinder);
	if (found) {
		send_msg3(g, cp, msg3, len);
		noise_hs_free(cp);
	} else
		attempt_over(g, "abandoned");	/* after message 2 */
	grind_next();
}

/* Starts grinding for the next call that is ready for it. */
static void
grind_next(void)
{
	struct gcall *g;

	if (grinding != NULL)
		return;
	for (g = calls; g != NULL; g = g->next)
		if (g->have_a && g->have_msg2 && !g->sent && g->b_live &&
		    g->tries < g->budget)
			break;
	if (g == NULL)
		return;
	grinding = g;
	uv_idle_start(&grinder, grind_cb);
}

/* ---- messages ---- */

static void
on_dial(struct fx_conn *c, const struct sigmsg *m)
{
	struct fx_conn *callee;
	struct gcall *g;

	if (c->name[0] == '\0') {
		fx_send_error(c, SIG_R_PROTOCOL, m, "register first");
		return;
	}
	if ((callee = fx_conn_by_name(m->name)) == NULL || callee == c) {
		fx_send_error(c, SIG_R_UNKNOWN, m, NULL);
		return;
	}
	if (gcall_find(m->call, 0) != NULL) {
		fx_send_error(c, SIG_R_PROTOCOL, m, "call id in use");
		return;
	}
	if ((g = calloc(1, sizeof(*g))) == NULL) {
		fx_send_error(c, SIG_R_SERVER, m, NULL);
		return;
	}
	g->id = m->call;
	g->conn[0] = c;
	g->conn[1] = callee;
	snprintf(g->name[0], sizeof(g->name[0]), "%s", c->name);
	snprintf(g->name[1], sizeof(g->name[1]), "%s", callee->name);
	g->next = calls;
	calls = g;
	ncalls++;
	fx_out("call %016" PRIx64 " %s %s", g->id, g->name[0], g->name[1]);
	if (bad_msg2 > 0) {
		bad_msg2--;
		g->demo = 1;
	}
	if (leg_a_start(g, m) != 0) {
		fx_out("leg_a %016" PRIx64 " message 1 failed", g->id);
		gcall_end(g);
		return;
	}
	if (!g->demo)
		attempt_start(g);
}

static void
on_relay_request(struct fx_conn *c, const struct sigmsg *m)
{
	struct sigmsg r;

	sigmsg_init(&r, SIG_RELAY_GRANT);
	sigmsg_set_call(&r, m->call);
	sigmsg_set_reason(&r, SIG_R_LIMIT);
	(void)sigmsg_set_text(&r, "this server relays no media");
	fx_send(c, &r);
}

/* A message of the caller's about leg A. */
static void
from_caller(struct gcall *g, const struct sigmsg *m)
{
	switch (m->type) {
	case SIG_HANDSHAKE:
		leg_a_msg3(g, m);
		return;
	case SIG_HANGUP:
	case SIG_REJECT:
		if (g->demo)
			fx_out("refused %016" PRIx64 " bad_msg2 %s", g->id,
			    sig_reason_name(m->reason));
		g->conn[0] = NULL;	/* it ended its call: nothing back */
		if (g->b_live)
			attempt_over(g, "caller_gone");
		else
			gcall_end(g);
		return;
	default:
		return;
	}
}

/* A message of the callee's about the current leg B attempt. */
static void
from_callee(struct gcall *g, const struct sigmsg *m)
{
	switch (m->type) {
	case SIG_RINGING:
		leg_b_msg2(g, m);
		return;
	case SIG_ACCEPT:
		g->accepted = 1;
		naccepted++;
		attempt_over(g, "accepted");
		return;
	case SIG_REJECT:
	case SIG_HANGUP:
		g->b_live = 0;		/* the callee ended that call */
		if (m->reason == SIG_R_LIMIT) {
			g->turned_away = 1;
			nturned++;
		}
		attempt_over(g, m->reason == SIG_R_LIMIT ? "limit" :
		    sig_reason_name(m->reason));
		return;
	default:
		return;
	}
}

static void
on_msg(struct fx_conn *c, struct sigmsg *m)
{
	struct gcall *g;

	switch (m->type) {
	case SIG_DIAL:
		on_dial(c, m);
		return;
	case SIG_RELAY_REQUEST:
		on_relay_request(c, m);
		return;
	case SIG_RINGING:
	case SIG_HANDSHAKE:
	case SIG_ACCEPT:
	case SIG_REJECT:
	case SIG_HANGUP:
		break;
	default:
		fx_send_error(c, SIG_R_PROTOCOL, NULL, "not a client message");
		fx_close(c, "not a client message");
		return;
	}
	if ((g = gcall_find(m->call, 0)) != NULL && g->conn[0] == c)
		from_caller(g, m);
	else if ((g = gcall_find(m->call, 1)) != NULL && g->conn[1] == c)
		from_callee(g, m);
	/* else: an attempt given up already, or nothing of ours */
}

static void
on_close(struct fx_conn *c)
{
	struct gcall *g, *next;

	for (g = calls; g != NULL; g = next) {
		next = g->next;
		if (g->conn[0] == c) {
			g->conn[0] = NULL;
			if (g->b_live)
				attempt_over(g, "caller_gone");
			else
				gcall_end(g);
		} else if (g->conn[1] == c) {
			g->conn[1] = NULL;
			if (g->b_live)
				attempt_over(g, "callee_gone");
			else
				gcall_end(g);
		}
	}
}

static void
on_shutdown(void)
{
	while (calls != NULL)
		gcall_end(calls);
	uv_close((uv_handle_t *)&grinder, NULL);
	fx_out("totals calls=%" PRIu64 " tries=%" PRIu64 " grind_ms=%" PRIu64
	    " us_per_try=%.1f restarts=%" PRIu64 " turned_away=%" PRIu64
	    " accepted=%" PRIu64, ncalls, ntries, grind_ns / 1000000,
	    ntries > 0 ? (double)grind_ns / 1000.0 / (double)ntries : 0.0,
	    nrestarts, nturned, naccepted);
}

static const struct fx_ops ops = { on_msg, on_close, NULL, on_shutdown };

static void
usage(void)
{
	fprintf(stderr, "usage: grind_server --listen HOST:PORT [--key FILE] "
	    "[--bound N] [--attempts N] [--bad-msg2 N]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	const char *listen_at = NULL, *keypath = NULL;
	char *end;
	unsigned long long v;
	int i;

	for (i = 1; i < argc; i++) {
		if (i + 1 >= argc)
			usage();
		if (strcmp(argv[i], "--listen") == 0) {
			listen_at = argv[++i];
			continue;
		}
		if (strcmp(argv[i], "--key") == 0) {
			keypath = argv[++i];
			continue;
		}
		v = strtoull(argv[i + 1], &end, 10);
		if (*end != '\0')
			usage();
		if (strcmp(argv[i], "--bound") == 0 && v > 0)
			bound = v;
		else if (strcmp(argv[i], "--attempts") == 0 && v > 0 &&
		    v < 1000)
			max_attempts = (unsigned)v;
		else if (strcmp(argv[i], "--bad-msg2") == 0 && v < 1000)
			bad_msg2 = (unsigned)v;
		else
			usage();
		i++;
	}
	if (listen_at == NULL)
		usage();
	fx_init("grind_server", listen_at, keypath, &ops);
	uv_idle_init(fx_loop, &grinder);
	fx_out("listening %s bound %" PRIu64 " attempts %u", listen_at, bound,
	    max_attempts);
	fx_run();
	return 0;
}
