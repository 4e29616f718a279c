/*
 * t_e2e.c - the committed end-to-end handshake (e2e.h): the published
 * vector of docs/PROTOCOL.md 5.1.5, both sides wired together, every
 * payload other than the specified ones refused, the commit checked, the
 * two ways a peer of version 1 shows itself, move proofs, and sealed
 * control messages.
 *
 * Forged messages are written with the Noise layer directly (noise.h), as
 * an attacker who knows the protocol would write them, and the commit is
 * computed here from the document's definition, not with e2e.c's code.
 *
 * `t_e2e --print-vector` prints the vector in the document's layout.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <sodium.h>

#include "e2e.h"
#include "err.h"
#include "keymove.h"
#include "sigmsg.h"

#define ID	0x0102030405060708ULL

struct keys {
	uint8_t	a_priv[32], a_pub[32];	/* caller, alice */
	uint8_t	b_priv[32], b_pub[32];	/* callee, bob */
	uint8_t	o_priv[32], o_pub[32];	/* a key someone had before */
	uint8_t	p_priv[32], p_pub[32];	/* another one */
	struct e2e_fixed fa, fb;
};

static void
fill(uint8_t *p, size_t n, uint8_t first)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(first + i);
}

static void
vector_keys(struct keys *k)
{
	memset(k, 0, sizeof(*k));
	fill(k->a_priv, 32, 0x00);
	fill(k->b_priv, 32, 0x20);
	fill(k->fa.e, 32, 0x40);
	fill(k->fb.e, 32, 0x60);
	fill(k->fa.nonce, 32, 0x80);
	fill(k->o_priv, 32, 0xa0);
	fill(k->p_priv, 32, 0xe0);
	assert_int_equal(noise_pubkey(k->p_priv, k->p_pub), 0);
	assert_int_equal(noise_pubkey(k->a_priv, k->a_pub), 0);
	assert_int_equal(noise_pubkey(k->b_priv, k->b_pub), 0);
	assert_int_equal(noise_pubkey(k->o_priv, k->o_pub), 0);
}

static void
hex(const char *label, const uint8_t *p, size_t n)
{
	size_t i;

	printf("%s (%zu bytes):\n   ", label, n);
	for (i = 0; i < n; i++)
		printf("%s%02x", i > 0 && i % 32 == 0 ? "\n   " : "", p[i]);
	printf("\n");
}

static int
from_hex(const char *s, uint8_t *out, size_t cap, size_t *lenp)
{
	return sodium_hex2bin(out, cap, s, strlen(s), " \n", lenp, NULL);
}

struct run {
	struct e2e	*a, *b;
	uint8_t		 m1[E2E_MSG_MAX], m2[E2E_MSG_MAX], m3[E2E_MSG_MAX];
	size_t		 l1, l2, l3;
};

static void
run_ok(struct run *r, const struct keys *k, int a_moved, int b_moved)
{
	struct e2e_id ia = { k->a_priv, k->a_pub, NULL, NULL };
	struct e2e_id ib = { k->b_priv, k->b_pub, NULL, NULL };

	if (a_moved) {
		ia.old_priv = k->o_priv;
		ia.old_pub = k->o_pub;
	}
	if (b_moved) {
		ib.old_priv = b_moved == 2 ? k->p_priv : k->o_priv;
		ib.old_pub = b_moved == 2 ? k->p_pub : k->o_pub;
	}
	memset(r, 0, sizeof(*r));
	assert_int_equal(e2e_caller_start(&r->a, ID, "alice", "bob", &ia,
	    &k->fa, r->m1, sizeof(r->m1), &r->l1), 0);
	assert_int_equal(e2e_callee_start(&r->b, ID, "alice", "bob", &ib,
	    &k->fb, r->m1, r->l1, r->m2, sizeof(r->m2), &r->l2), 0);
	assert_int_equal(e2e_caller_finish(r->a, r->m2, r->l2, r->m3,
	    sizeof(r->m3), &r->l3), 0);
	assert_int_equal(e2e_callee_finish(r->b, r->m3, r->l3), 0);
}

static void
run_free(struct run *r)
{
	e2e_free(r->a);
	e2e_free(r->b);
}

static void
test_prologue(void **state)
{
	uint8_t p[E2E_PROLOGUE_MAX];
	static const uint8_t want[] = "e2call-call/2"
	    "\x01\x02\x03\x04\x05\x06\x07\x08" "\x05" "alice" "\x03" "bob";
	char long_name[40];

	(void)state;
	assert_int_equal(e2e_prologue(E2E_LABEL, ID, "alice", "bob", p,
	    sizeof(p)), sizeof(want) - 1);
	assert_memory_equal(p, want, sizeof(want) - 1);
	memset(long_name, 'a', 33);
	long_name[33] = '\0';
	assert_int_equal(e2e_prologue(E2E_LABEL, ID, long_name, "bob", p,
	    sizeof(p)), 0);
	assert_int_equal(e2e_prologue(E2E_LABEL, ID, "alice", "bob", p, 20),
	    0);
}

/* Both sides agree on everything, message sizes as the document says. */
static void
test_roundtrip(void **state)
{
	uint8_t as[32], ar[32], bs[32], br[32];
	struct keys k;
	struct run r;

	(void)state;
	vector_keys(&k);
	run_ok(&r, &k, 0, 0);
	assert_int_equal(r.l1, E2E_MSG1_LEN);
	assert_int_equal(r.l2, E2E_MSG2_LEN);
	assert_int_equal(r.l3, E2E_MSG3_LEN);
	assert_int_equal(r.a->state, E2E_DONE);
	assert_int_equal(r.b->state, E2E_DONE);
	assert_memory_equal(r.a->h, r.b->h, NOISE_HASHLEN);
	assert_string_equal(r.a->code, r.b->code);
	assert_memory_equal(r.a->peer_pub, k.b_pub, 32);
	assert_memory_equal(r.b->peer_pub, k.a_pub, 32);
	assert_false(r.a->peer_moved);
	assert_false(r.b->peer_moved);
	assert_int_equal(e2e_media_keys(r.a, as, ar), 0);
	assert_int_equal(e2e_media_keys(r.b, bs, br), 0);
	assert_memory_equal(as, br, 32);
	assert_memory_equal(ar, bs, 32);
	assert_memory_not_equal(as, ar, 32);
	run_free(&r);
}

/* The known-answer vector of docs/PROTOCOL.md 5.1.5, value by value. */
static const char v_commit[] =
    "b4a9e175d62ac335e1f03a32276473b6f4a1bda58e2249393a2a008dcd39c467";
static const char v_msg1[] =
    "79a631eede1bf9c98f12032cdeadd0e7a079398fc786b88cc846ec89af85a51a"
    "b4a9e175d62ac335e1f03a32276473b6f4a1bda58e2249393a2a008dcd39c467";
static const char v_msg2[] =
    "675dd574ed7789310b3d2e7681f3790b466c773b1521fecf36577958371ea52f"
    "4dd8912b935d3c40761704108c8cd2781a52531a142457fc1c12e161f23c48e1"
    "e9cae2a5cb85b08c4b73554d3a6dee1743634ef7036b3893ead9395e43fcaab5";
static const char v_msg3[] =
    "9f479613244745c2f0731a255c6fbe6cc54ab67ea874c0fa9ac756a6948a4205"
    "fd25b815deeed6feee6eb463e0ed21ad1cf0b38a5f4915069c9f18a2df90a9cc"
    "2be736da8e14e17e5bed0b849d3120160b339fc7271eb2342ee9876b802a195f";
static const char v_h[] =
    "ff06b2436c46443c96ad4741f65f925443bfb5b962d0a9798fe99e6548018a11"
    "72df09a9d24843b58b3a41e2b28313be6412cca28251688b0c744fb057b84c5a";
static const char v_code[] = "96014 53987 51826 23674";
static const char v_media_ab[] =
    "571530f185175b88eb97bfbec0c6f47e1b22615532e4c034429b00d45a23e60e";
static const char v_media_ba[] =
    "26e0d8fd6e21aedfc3829811c8f075b205155b534435e03fc0e06f3e3cebbda0";
static const char v_sealed[] =
    "150f24a8fd525d53f16529f8268c6c7e0fcefcd17a001e1535ee1e18";
/* A sealed ACCEPT's plaintext: type ACCEPT, CALL = ID. */
static const uint8_t v_accept_pt[] = { 0x05, 0x01, 0x00, 0x08, 1, 2, 3, 4,
    5, 6, 7, 8 };

static void
check_hex(const char *want_hex, const uint8_t *got, size_t len)
{
	uint8_t want[E2E_MSG_MAX];
	size_t n;

	assert_int_equal(from_hex(want_hex, want, sizeof(want), &n), 0);
	assert_int_equal(n, len);
	assert_memory_equal(want, got, len);
}

static void
test_vector(void **state)
{
	uint8_t ms[32], mr[32], ct[64], pt[64];
	size_t n;
	struct keys k;
	struct run r;

	(void)state;
	vector_keys(&k);
	run_ok(&r, &k, 0, 0);
	check_hex(v_commit, r.a->commit, 32);
	check_hex(v_msg1, r.m1, r.l1);
	check_hex(v_msg2, r.m2, r.l2);
	check_hex(v_msg3, r.m3, r.l3);
	check_hex(v_h, r.a->h, 64);
	assert_string_equal(r.a->code, v_code);
	assert_string_equal(r.b->code, v_code);
	assert_int_equal(e2e_media_keys(r.a, ms, mr), 0);
	check_hex(v_media_ab, ms, 32);
	check_hex(v_media_ba, mr, 32);
	assert_int_equal(e2e_seal(r.b, SIG_ACCEPT, ID, v_accept_pt,
	    sizeof(v_accept_pt), ct, sizeof(ct), &n), 0);
	check_hex(v_sealed, ct, n);
	assert_int_equal(e2e_open(r.a, SIG_ACCEPT, ID, ct, n, pt, sizeof(pt),
	    &n), 0);
	assert_int_equal(n, sizeof(v_accept_pt));
	assert_memory_equal(pt, v_accept_pt, n);
	run_free(&r);
}

/* 5.1.7: move proofs both ways. */
static const char v7_commit[] =
    "7579c23752b482afb0299ee28abc246e6062f2359c1a023ee8b05c5ab9b6a955";
static const char v7_msg2[] =
    "675dd574ed7789310b3d2e7681f3790b466c773b1521fecf36577958371ea52f"
    "4dd8912b935d3c40761704108c8cd2781a52531a142457fc1c12e161f23c48e1"
    "c19fd19ad5f6ab6928216ac5e9e2a031b5ad24e0e07fba018bdae9d6cbf283b4"
    "2ec7caada89e8c1f24ec18a05460ae13d10b21d48d02817c45496de7e3ce13cf"
    "9e85215281d767789672394dc00cd9a84222a9df579ee07fe70ec86aca40dbc8";
static const char v7_msg3[] =
    "9f479613244745c2f0731a255c6fbe6cc54ab67ea874c0fa9ac756a6948a4205"
    "b4ef8196bfb226f1c66b4f178db8485f1cf0b38a5f4915069c9f18a2df90a9cc"
    "2be736da8e14e17e5bed0b849d312016c9c9587de14987ebad26a6367e692c5b"
    "5f3561e297a1940f4559538f54f6c5621e3ab7e619a8c7a7b5011525ee5ea46c"
    "69b97cff79ade9f2d593afb86f28b8066ea37667f405fd4dd1f4a932a9e63796";

static void
test_move_vector(void **state)
{
	struct keys k;
	struct run r;

	(void)state;
	vector_keys(&k);
	run_ok(&r, &k, 1, 2);
	check_hex(v7_commit, r.a->commit, 32);
	check_hex(v7_msg2, r.m2, r.l2);
	check_hex(v7_msg3, r.m3, r.l3);
	assert_string_equal(r.a->code, "14093 25964 59667 31512");
	assert_string_equal(r.b->code, r.a->code);
	assert_true(r.a->peer_moved);
	assert_memory_equal(r.a->peer_old_pub, k.p_pub, 32);
	assert_true(r.b->peer_moved);
	assert_memory_equal(r.b->peer_old_pub, k.o_pub, 32);
	run_free(&r);
}

/* ---- an attacker's messages, written with the Noise layer ---- */

/* The document's commit (5.1.2), computed here on its own. */
static void
doc_commit(uint8_t out[32], const uint8_t e[32], const uint8_t s[32],
    const uint8_t nonce[32], const uint8_t *old)
{
	uint8_t in[20 + 32 + 32 + 32 + 1 + 32];
	size_t n = 0;

	memcpy(in, "e2call-call/2 commit", 20);
	n = 20;
	memcpy(in + n, e, 32);
	n += 32;
	memcpy(in + n, s, 32);
	n += 32;
	memcpy(in + n, nonce, 32);
	n += 32;
	in[n++] = old != NULL;
	if (old != NULL) {
		memcpy(in + n, old, 32);
		n += 32;
	}
	crypto_generichash(out, 32, in, n, NULL, 0);
}

static struct noise_hs *
raw_hs(enum noise_role role, const char *label, const uint8_t *priv,
    const uint8_t *e)
{
	struct noise_hs *hs;
	uint8_t p[E2E_PROLOGUE_MAX];
	size_t n = e2e_prologue(label, ID, "alice", "bob", p, sizeof(p));

	assert_int_equal(noise_hs_new(&hs, E2E_PROTOCOL, role), 0);
	assert_int_equal(noise_hs_set_prologue(hs, p, n), 0);
	assert_int_equal(noise_hs_set_local_static(hs, priv), 0);
	assert_int_equal(noise_hs_set_local_ephemeral(hs, e), 0);
	assert_int_equal(noise_hs_start(hs), 0);
	return hs;
}

/* The callee refuses every message 1 but the specified one. */
static void
test_msg1_refused(void **state)
{
	struct e2e_id ib;
	struct noise_hs *hs;
	struct e2e *b;
	uint8_t m1[200], m2[E2E_MSG_MAX], pay[64];
	size_t l1, l2, plen[] = { 0, 31, 33, 64 };
	struct keys k;
	size_t i;

	(void)state;
	vector_keys(&k);
	ib = (struct e2e_id){ k.b_priv, k.b_pub, NULL, NULL };
	memset(pay, 7, sizeof(pay));
	for (i = 0; i < sizeof(plen) / sizeof(plen[0]); i++) {
		hs = raw_hs(NOISE_INITIATOR, E2E_LABEL, k.a_priv, k.fa.e);
		assert_int_equal(noise_hs_write(hs, pay, plen[i], m1,
		    sizeof(m1), &l1), 0);
		noise_hs_free(hs);
		/* Version 1's bare e is named; the rest is a failure. */
		assert_int_equal(e2e_callee_start(&b, ID, "alice", "bob", &ib,
		    NULL, m1, l1, m2, sizeof(m2), &l2), plen[i] == 0 ?
		    E2_ERR_VERSION : E2_ERR_FAILED);
		assert_null(b);
	}
}

/* The caller refuses a message 2 with any other payload. */
static void
test_msg2_payload_refused(void **state)
{
	struct e2e_id ia;
	struct noise_hs *hs;
	struct e2e *a;
	uint8_t m1[E2E_MSG_MAX], m2[300], m3[E2E_MSG_MAX], pay[100], got[64];
	size_t l1, l2, l3, n, plen[] = { 1, 32, 63, 65, 100 };
	struct keys k;
	size_t i;

	(void)state;
	vector_keys(&k);
	ia = (struct e2e_id){ k.a_priv, k.a_pub, NULL, NULL };
	memset(pay, 9, sizeof(pay));
	for (i = 0; i < sizeof(plen) / sizeof(plen[0]); i++) {
		assert_int_equal(e2e_caller_start(&a, ID, "alice", "bob", &ia,
		    NULL, m1, sizeof(m1), &l1), 0);
		hs = raw_hs(NOISE_RESPONDER, E2E_LABEL, k.b_priv, k.fb.e);
		assert_int_equal(noise_hs_read(hs, m1, l1, got, sizeof(got),
		    &n), 0);
		assert_int_equal(noise_hs_write(hs, pay, plen[i], m2,
		    sizeof(m2), &l2), 0);
		noise_hs_free(hs);
		assert_int_not_equal(e2e_caller_finish(a, m2, l2, m3,
		    sizeof(m3), &l3), 0);
		assert_int_equal(a->state, E2E_FAILED);
		e2e_free(a);
	}
}

/*
 * A caller that opens something else than it committed to (another
 * nonce, another key, a move it did not commit to, another length) is
 * refused at message 3; the honest opening passes.
 */
static void
test_commit_checked(void **state)
{
	struct e2e_id ib;
	struct noise_hs *hs;
	struct e2e *b;
	uint8_t m1[E2E_MSG_MAX], m2[E2E_MSG_MAX], m3[300], pay[200];
	uint8_t commit[32], got[64], epub[32], nonce[32];
	size_t l1, l2, l3, n;
	struct keys k;
	int variant;

	(void)state;
	vector_keys(&k);
	ib = (struct e2e_id){ k.b_priv, k.b_pub, NULL, NULL };
	assert_int_equal(noise_pubkey(k.fa.e, epub), 0);
	for (variant = 0; variant < 6; variant++) {
		memcpy(nonce, k.fa.nonce, 32);
		doc_commit(commit, epub, k.a_pub, nonce,
		    variant == 4 ? k.o_pub : NULL);
		hs = raw_hs(NOISE_INITIATOR, E2E_LABEL, k.a_priv, k.fa.e);
		assert_int_equal(noise_hs_write(hs, commit, 32, m1,
		    sizeof(m1), &l1), 0);
		assert_int_equal(e2e_callee_start(&b, ID, "alice", "bob", &ib,
		    NULL, m1, l1, m2, sizeof(m2), &l2), 0);
		assert_int_equal(noise_hs_read(hs, m2, l2, got, sizeof(got),
		    &n), 0);
		assert_int_equal(n, 0);
		memcpy(pay, nonce, 32);
		n = 32;
		switch (variant) {
		case 1:		/* another nonce */
			pay[5] ^= 1;
			break;
		case 2:		/* a longer payload */
			n = 33;
			break;
		case 3:		/* a move it did not commit to */
			memset(pay + 32, 1, 64);
			n = 96;
			break;
		case 4:		/* committed to a move, sends none */
			break;
		case 5:		/* nothing but the nonce's first half */
			n = 16;
			break;
		}
		assert_int_equal(noise_hs_write(hs, pay, n, m3, sizeof(m3),
		    &l3), 0);
		noise_hs_free(hs);
		if (variant == 0) {
			assert_int_equal(e2e_callee_finish(b, m3, l3), 0);
			assert_int_equal(b->state, E2E_DONE);
		} else {
			assert_int_not_equal(e2e_callee_finish(b, m3, l3), 0);
			assert_int_equal(b->state, E2E_FAILED);
		}
		e2e_free(b);
	}
}

/* The same commit with another static key fails too. */
static void
test_commit_binds_static(void **state)
{
	struct e2e_id ib;
	struct noise_hs *hs;
	struct e2e *b;
	uint8_t m1[E2E_MSG_MAX], m2[E2E_MSG_MAX], m3[E2E_MSG_MAX];
	uint8_t commit[32], got[64], epub[32];
	size_t l1, l2, l3, n;
	struct keys k;

	(void)state;
	vector_keys(&k);
	ib = (struct e2e_id){ k.b_priv, k.b_pub, NULL, NULL };
	assert_int_equal(noise_pubkey(k.fa.e, epub), 0);
	/* Committed to alice's key, then proves the key o instead. */
	doc_commit(commit, epub, k.a_pub, k.fa.nonce, NULL);
	hs = raw_hs(NOISE_INITIATOR, E2E_LABEL, k.o_priv, k.fa.e);
	assert_int_equal(noise_hs_write(hs, commit, 32, m1, sizeof(m1), &l1),
	    0);
	assert_int_equal(e2e_callee_start(&b, ID, "alice", "bob", &ib, NULL,
	    m1, l1, m2, sizeof(m2), &l2), 0);
	assert_int_equal(noise_hs_read(hs, m2, l2, got, sizeof(got), &n), 0);
	assert_int_equal(noise_hs_write(hs, k.fa.nonce, 32, m3, sizeof(m3),
	    &l3), 0);
	noise_hs_free(hs);
	assert_int_equal(e2e_callee_finish(b, m3, l3), E2_ERR_AUTH);
	e2e_free(b);
}

/* A callee of version 1 is recognised, never answered as version 2. */
static void
test_v1_callee(void **state)
{
	struct e2e_id ia;
	struct noise_hs *hs;
	struct e2e *a;
	uint8_t m1[E2E_MSG_MAX], m2[E2E_MSG_MAX], m3[E2E_MSG_MAX], got[64];
	size_t l1, l2, l3, n;
	struct keys k;

	(void)state;
	vector_keys(&k);
	ia = (struct e2e_id){ k.a_priv, k.a_pub, NULL, NULL };
	assert_int_equal(e2e_caller_start(&a, ID, "alice", "bob", &ia, NULL,
	    m1, sizeof(m1), &l1), 0);
	/* Version 1: "e2call-call/1", our payload read and ignored. */
	hs = raw_hs(NOISE_RESPONDER, E2E_LABEL_V1, k.b_priv, k.fb.e);
	assert_int_equal(noise_hs_read(hs, m1, l1, got, sizeof(got), &n), 0);
	assert_int_equal(noise_hs_write(hs, NULL, 0, m2, sizeof(m2), &l2), 0);
	noise_hs_free(hs);
	assert_int_equal(e2e_caller_finish(a, m2, l2, m3, sizeof(m3), &l3),
	    E2_ERR_VERSION);
	assert_int_equal(a->state, E2E_FAILED);
	e2e_free(a);
	/* A message 2 that is simply damaged is not taken for version 1. */
	assert_int_equal(e2e_caller_start(&a, ID, "alice", "bob", &ia, NULL,
	    m1, sizeof(m1), &l1), 0);
	hs = raw_hs(NOISE_RESPONDER, E2E_LABEL, k.b_priv, k.fb.e);
	assert_int_equal(noise_hs_read(hs, m1, l1, got, sizeof(got), &n), 0);
	assert_int_equal(noise_hs_write(hs, NULL, 0, m2, sizeof(m2), &l2), 0);
	noise_hs_free(hs);
	m2[40] ^= 0x80;
	assert_int_equal(e2e_caller_finish(a, m2, l2, m3, sizeof(m3), &l3),
	    E2_ERR_AUTH);
	e2e_free(a);
}

/* Move proofs, both ways; a proof for another key or a bad MAC fails. */
static void
test_move(void **state)
{
	struct e2e_id ia, ib;
	struct e2e *a, *b;
	uint8_t m1[E2E_MSG_MAX], m2[E2E_MSG_MAX], m3[E2E_MSG_MAX];
	size_t l1, l2, l3;
	struct keys k;
	struct run r;

	(void)state;
	vector_keys(&k);
	run_ok(&r, &k, 1, 0);
	assert_int_equal(r.l3, E2E_MSG3_LEN + E2E_PROOFLEN);
	assert_true(r.b->peer_moved);
	assert_memory_equal(r.b->peer_old_pub, k.o_pub, 32);
	assert_false(r.a->peer_moved);
	run_free(&r);
	run_ok(&r, &k, 0, 1);
	assert_int_equal(r.l2, E2E_MSG2_LEN + E2E_PROOFLEN);
	assert_true(r.a->peer_moved);
	assert_memory_equal(r.a->peer_old_pub, k.o_pub, 32);
	assert_false(r.b->peer_moved);
	run_free(&r);
	/* A proof made with a private key that is not the old key's. */
	ia = (struct e2e_id){ k.a_priv, k.a_pub, NULL, NULL };
	ib = (struct e2e_id){ k.b_priv, k.b_pub, k.a_priv, k.o_pub };
	assert_int_equal(e2e_caller_start(&a, ID, "alice", "bob", &ia, NULL,
	    m1, sizeof(m1), &l1), 0);
	assert_int_equal(e2e_callee_start(&b, ID, "alice", "bob", &ib, NULL,
	    m1, l1, m2, sizeof(m2), &l2), 0);
	assert_int_equal(e2e_caller_finish(a, m2, l2, m3, sizeof(m3), &l3),
	    E2_ERR_AUTH);
	e2e_free(a);
	e2e_free(b);
}

/* Sealed control: each direction its own key, bound to type and call. */
static void
test_seal(void **state)
{
	uint8_t ct[64], pt[64];
	size_t n, m;
	struct keys k;
	struct run r;
	static const uint8_t msg[] = "control";

	(void)state;
	vector_keys(&k);
	run_ok(&r, &k, 0, 0);
	assert_int_equal(e2e_seal(r.a, SIG_HANGUP, ID, msg, sizeof(msg), ct,
	    sizeof(ct), &n), 0);
	assert_int_equal(n, sizeof(msg) + E2E_SEAL_OVERHEAD);
	assert_int_equal(e2e_open(r.b, SIG_HANGUP, ID, ct, n, pt, sizeof(pt),
	    &m), 0);
	assert_memory_equal(pt, msg, sizeof(msg));
	/* Not the other direction's key, type or call. */
	assert_int_equal(e2e_open(r.a, SIG_HANGUP, ID, ct, n, pt, sizeof(pt),
	    &m), E2_ERR_AUTH);
	assert_int_equal(e2e_open(r.b, SIG_REJECT, ID, ct, n, pt, sizeof(pt),
	    &m), E2_ERR_AUTH);
	assert_int_equal(e2e_open(r.b, SIG_HANGUP, ID + 1, ct, n, pt,
	    sizeof(pt), &m), E2_ERR_AUTH);
	ct[3] ^= 1;
	assert_int_equal(e2e_open(r.b, SIG_HANGUP, ID, ct, n, pt, sizeof(pt),
	    &m), E2_ERR_AUTH);
	run_free(&r);
}

/* Out of order and after a failure: refused, nothing changes. */
static void
test_state(void **state)
{
	uint8_t m[E2E_MSG_MAX];
	size_t n;
	struct keys k;
	struct run r;

	(void)state;
	vector_keys(&k);
	run_ok(&r, &k, 0, 0);
	assert_int_equal(e2e_caller_finish(r.a, r.m2, r.l2, m, sizeof(m), &n),
	    E2_ERR_STATE);
	assert_int_equal(e2e_callee_finish(r.b, r.m3, r.l3), E2_ERR_STATE);
	assert_int_equal(e2e_callee_finish(r.a, r.m3, r.l3), E2_ERR_STATE);
	run_free(&r);
}

/* A copy goes on exactly as the original would. */
static void
test_dup(void **state)
{
	struct e2e_id ia = { NULL, NULL, NULL, NULL };
	struct e2e *a, *c;
	uint8_t m1[E2E_MSG_MAX], m3a[E2E_MSG_MAX], m3c[E2E_MSG_MAX];
	size_t l1, la, lc;
	struct keys k;
	struct run r;

	(void)state;
	vector_keys(&k);
	ia.priv = k.a_priv;
	ia.pub = k.a_pub;
	run_ok(&r, &k, 0, 0);
	assert_int_equal(e2e_caller_start(&a, ID, "alice", "bob", &ia, &k.fa,
	    m1, sizeof(m1), &l1), 0);
	assert_int_equal(e2e_dup(&c, a), 0);
	assert_int_equal(e2e_caller_finish(a, r.m2, r.l2, m3a, sizeof(m3a),
	    &la), 0);
	assert_int_equal(e2e_caller_finish(c, r.m2, r.l2, m3c, sizeof(m3c),
	    &lc), 0);
	assert_int_equal(la, lc);
	assert_memory_equal(m3a, m3c, la);
	assert_string_equal(a->code, c->code);
	e2e_free(a);
	e2e_free(c);
	run_free(&r);
}

/* The server's check of a name move (keymove.h). */
static void
test_keymove(void **state)
{
	uint8_t srv_priv[32], srv_pub[32], proof[KEYMOVE_LEN];
	struct keys k;

	(void)state;
	vector_keys(&k);
	fill(srv_priv, 32, 0xc0);
	assert_int_equal(noise_pubkey(srv_priv, srv_pub), 0);
	/* o moves "alice" to a's key */
	assert_int_equal(keymove_proof(proof, k.o_priv, k.o_pub, srv_pub,
	    "alice", k.a_pub), 0);
	assert_memory_equal(proof, k.o_pub, 32);
	assert_int_equal(keymove_check(proof, srv_priv, "alice", k.a_pub), 0);
	/* not for another name, another new key, another server */
	assert_int_equal(keymove_check(proof, srv_priv, "alicf", k.a_pub),
	    E2_ERR_AUTH);
	assert_int_equal(keymove_check(proof, srv_priv, "alice", k.b_pub),
	    E2_ERR_AUTH);
	assert_int_equal(keymove_check(proof, k.b_priv, "alice", k.a_pub),
	    E2_ERR_AUTH);
	/* nor with the old key replaced by another */
	memcpy(proof, k.b_pub, 32);
	assert_int_equal(keymove_check(proof, srv_priv, "alice", k.a_pub),
	    E2_ERR_AUTH);
	/* a low-order "old key" is refused, never a match */
	memset(proof, 0, 32);
	assert_int_equal(keymove_check(proof, srv_priv, "alice", k.a_pub),
	    E2_ERR_AUTH);
}

/* 5.1.7: the same with move proofs both ways (caller from o, callee
   from p). */
static void
print_move_vector(void)
{
	struct keys k;
	struct run r;

	vector_keys(&k);
	run_ok(&r, &k, 1, 2);
	hex("caller's old private", k.o_priv, 32);
	hex("caller's old public", k.o_pub, 32);
	hex("callee's old private", k.p_priv, 32);
	hex("callee's old public", k.p_pub, 32);
	hex("commit", r.a->commit, 32);
	hex("message 1", r.m1, r.l1);
	hex("message 2", r.m2, r.l2);
	hex("message 3", r.m3, r.l3);
	printf("security code: %s\n", r.a->code);
	run_free(&r);
}

static void
print_vector(void)
{
	uint8_t ms[32], mr[32], ct[64];
	size_t n;
	struct keys k;
	struct run r;

	vector_keys(&k);
	run_ok(&r, &k, 0, 0);
	hex("caller static private", k.a_priv, 32);
	hex("caller static public", k.a_pub, 32);
	hex("callee static private", k.b_priv, 32);
	hex("callee static public", k.b_pub, 32);
	hex("caller ephemeral private", k.fa.e, 32);
	hex("callee ephemeral private", k.fb.e, 32);
	hex("caller nonce", k.fa.nonce, 32);
	hex("commit", r.a->commit, 32);
	hex("message 1", r.m1, r.l1);
	hex("message 2", r.m2, r.l2);
	hex("message 3", r.m3, r.l3);
	hex("handshake hash h", r.a->h, 64);
	printf("security code: %s\n", r.a->code);
	e2e_media_keys(r.a, ms, mr);
	hex("media key caller->callee", ms, 32);
	hex("media key callee->caller", mr, 32);
	e2e_seal(r.b, SIG_ACCEPT, ID, v_accept_pt, sizeof(v_accept_pt), ct,
	    sizeof(ct), &n);
	hex("callee's sealed ACCEPT control (CALL field only)", ct, n);
	run_free(&r);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prologue),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_vector),
		cmocka_unit_test(test_move_vector),
		cmocka_unit_test(test_msg1_refused),
		cmocka_unit_test(test_msg2_payload_refused),
		cmocka_unit_test(test_commit_checked),
		cmocka_unit_test(test_commit_binds_static),
		cmocka_unit_test(test_v1_callee),
		cmocka_unit_test(test_move),
		cmocka_unit_test(test_seal),
		cmocka_unit_test(test_state),
		cmocka_unit_test(test_dup),
		cmocka_unit_test(test_keymove),
	};

	if (sodium_init() < 0)
		return 1;
	if (argc > 1 && strcmp(argv[1], "--print-vector") == 0) {
		print_vector();
		printf("\n");
		print_move_vector();
		return 0;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
