/* t_sigmsg.c - the signaling message codec and sanitize_str. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "err.h"
#include "sigmsg.h"

#define B(tag)	(1u << (tag))

/*
 * The message types as docs/PROTOCOL.md section 4 describes them: written
 * here again, apart from the table in sigmsg.c, so the two are checked
 * against each other.
 */
static const struct {
	uint8_t		type;
	const char	*name;
	uint32_t	req;
	uint32_t	opt;
} spec[] = {
	{ SIG_REGISTER, "register", B(SIG_T_NAME), 0 },
	{ SIG_DIAL, "dial", B(SIG_T_CALL) | B(SIG_T_NAME) | B(SIG_T_E2E), 0 },
	{ SIG_RINGING, "ringing", B(SIG_T_CALL) | B(SIG_T_E2E), 0 },
	{ SIG_HANDSHAKE, "handshake", B(SIG_T_CALL) | B(SIG_T_E2E),
	    B(SIG_T_CAND) },
	{ SIG_ACCEPT, "accept", B(SIG_T_CALL), B(SIG_T_CAND) },
	{ SIG_REJECT, "reject", B(SIG_T_CALL) | B(SIG_T_REASON),
	    B(SIG_T_TEXT) },
	{ SIG_HANGUP, "hangup", B(SIG_T_CALL) | B(SIG_T_REASON),
	    B(SIG_T_TEXT) },
	{ SIG_PING, "ping", 0, 0 },
	{ SIG_PONG, "pong", 0, 0 },
	{ SIG_REGISTERED, "registered", B(SIG_T_NAME), 0 },
	{ SIG_INCOMING, "incoming", B(SIG_T_CALL) | B(SIG_T_NAME) |
	    B(SIG_T_E2E), 0 },
	{ SIG_ERROR, "error", B(SIG_T_REASON),
	    B(SIG_T_TEXT) | B(SIG_T_CALL) | B(SIG_T_NAME) },
	{ SIG_WELCOME, "welcome", B(SIG_T_VERSION), 0 },
	{ SIG_RELAY_REQUEST, "relay_request", B(SIG_T_CALL), 0 },
	/* RELAY_GRANT has an either-or rule: test_relay_grant. */
};
#define NSPEC	(sizeof(spec) / sizeof(spec[0]))

static const char utf8_text[] = "line busy \xe2\x80\x94 r\xc3\xa9"
    "essayez \xf0\x9f\x94\x92";

static void
mkcand(struct sig_cand *c, int family, unsigned int i)
{
	unsigned int j;

	memset(c, 0, sizeof(*c));
	c->kind = (uint8_t)(SIG_CAND_HOST + i % 3);
	c->family = (uint8_t)family;
	if (family == 4) {
		c->addr[0] = 127;
		c->addr[3] = (uint8_t)(i + 1);
	} else {
		c->addr[0] = 0x20;
		c->addr[1] = 0x01;
		c->addr[2] = 0x0d;
		c->addr[3] = 0xb8;
		for (j = 4; j < 16; j++)
			c->addr[j] = (uint8_t)(i * 16 + j);
	}
	c->port = (uint16_t)(40000 + i);
}

/*
 * Fills m with every field its type requires and, when full, every field
 * it allows: ncand4 IPv4 then ncand6 IPv6 candidates.
 */
static void
fill(struct sigmsg *m, size_t si, int full, unsigned int ncand4,
    unsigned int ncand6)
{
	uint32_t f = spec[si].req | (full ? spec[si].opt : 0);
	uint8_t e2e[48];
	struct sig_cand c;
	unsigned int i;

	sigmsg_init(m, spec[si].type);
	if (f & B(SIG_T_CALL))
		sigmsg_set_call(m, 0x0123456789abcdefULL ^ spec[si].type);
	if (f & B(SIG_T_NAME))
		assert_int_equal(sigmsg_set_name(m, "bob.smith_2-x"), 0);
	if (f & B(SIG_T_E2E)) {
		for (i = 0; i < sizeof(e2e); i++)
			e2e[i] = (uint8_t)(i * 7 + spec[si].type);
		assert_int_equal(sigmsg_set_e2e(m, e2e, sizeof(e2e)), 0);
	}
	if (f & B(SIG_T_CAND)) {
		for (i = 0; i < ncand4; i++) {
			mkcand(&c, 4, i);
			assert_int_equal(sigmsg_add_cand(m, &c), 0);
		}
		for (i = 0; i < ncand6; i++) {
			mkcand(&c, 6, i);
			assert_int_equal(sigmsg_add_cand(m, &c), 0);
		}
	}
	if (f & B(SIG_T_REASON))
		sigmsg_set_reason(m, SIG_R_BUSY);
	if (f & B(SIG_T_TEXT))
		assert_int_equal(sigmsg_set_text(m, utf8_text), 0);
	if (f & B(SIG_T_VERSION)) {
		m->fields |= B(SIG_T_VERSION);
		m->version = SIG_VERSION;
	}
}

static void
assert_same(const struct sigmsg *a, const struct sigmsg *b)
{
	unsigned int i;

	assert_int_equal(a->type, b->type);
	assert_int_equal(a->fields, b->fields);
	if (SIG_HAS(a, SIG_T_CALL))
		assert_true(a->call == b->call);
	if (SIG_HAS(a, SIG_T_NAME))
		assert_string_equal(a->name, b->name);
	if (SIG_HAS(a, SIG_T_E2E)) {
		assert_int_equal(a->e2e_len, b->e2e_len);
		assert_memory_equal(a->e2e, b->e2e, a->e2e_len);
	}
	if (SIG_HAS(a, SIG_T_CAND)) {
		assert_int_equal(a->ncand, b->ncand);
		for (i = 0; i < a->ncand; i++) {
			assert_int_equal(a->cand[i].kind, b->cand[i].kind);
			assert_int_equal(a->cand[i].family,
			    b->cand[i].family);
			assert_memory_equal(a->cand[i].addr, b->cand[i].addr,
			    16);
			assert_int_equal(a->cand[i].port, b->cand[i].port);
		}
	}
	if (SIG_HAS(a, SIG_T_REASON))
		assert_int_equal(a->reason, b->reason);
	if (SIG_HAS(a, SIG_T_TEXT))
		assert_string_equal(a->text, b->text);
	if (SIG_HAS(a, SIG_T_VERSION))
		assert_int_equal(a->version, b->version);
}

/* Decodes from an exact-size heap copy, so ASan sees any overread. */
static int
decode_copy(struct sigmsg *m, const uint8_t *in, size_t len)
{
	uint8_t *p;
	int r;

	p = malloc(len > 0 ? len : 1);
	assert_non_null(p);
	if (len > 0)
		memcpy(p, in, len);
	r = sigmsg_decode(m, len > 0 ? p : NULL, len);
	free(p);
	return r;
}

static void
roundtrip(const struct sigmsg *m)
{
	uint8_t out[SIG_MSG_MAX], again[SIG_MSG_MAX];
	struct sigmsg d;
	size_t n, n2;

	assert_int_equal(sigmsg_encode(m, out, sizeof(out), &n), 0);
	assert_int_equal(out[0], m->type);
	assert_int_equal(decode_copy(&d, out, n), 0);
	assert_same(m, &d);
	assert_int_equal(sigmsg_encode(&d, again, sizeof(again), &n2), 0);
	assert_int_equal(n, n2);
	assert_memory_equal(out, again, n);
	/* One byte less room than needed is refused. */
	assert_int_equal(sigmsg_encode(m, out, n - 1, &n2), E2_ERR_SPACE);
}

static void
test_roundtrip_all(void **state)
{
	struct sigmsg m;
	size_t i;

	(void)state;
	for (i = 0; i < NSPEC; i++) {
		fill(&m, i, 0, 0, 0);
		roundtrip(&m);
		fill(&m, i, 1, 1, 0);
		roundtrip(&m);
		fill(&m, i, 1, 0, 1);
		roundtrip(&m);
		fill(&m, i, 1, 4, 4);
		roundtrip(&m);
		fill(&m, i, 1, 3, 5);
		roundtrip(&m);
	}
}

/* Builds from the encoder's order: check where CANDs and fields go. */
static void
test_encode_order(void **state)
{
	uint8_t out[SIG_MSG_MAX];
	struct sig_cand c4, c6;
	struct sigmsg m;
	size_t n;
	static const uint8_t want[] = {
		0x04,					/* HANDSHAKE */
		0x01, 0x00, 0x08, 0, 0, 0, 0, 0, 0, 0, 0x2a,	/* CALL */
		0x03, 0x00, 0x02, 0xee, 0xff,		/* E2E */
		0x04, 0x00, 0x14, 0x02, 0x06,		/* CAND srflx v6 */
		0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 0x01, 0x1f, 0x90,
		0x04, 0x00, 0x08, 0x01, 0x04,		/* CAND host v4 */
		127, 0, 0, 1, 0x1f, 0x91,
	};

	(void)state;
	memset(&c4, 0, sizeof(c4));
	c4.kind = SIG_CAND_HOST;
	c4.family = 4;
	c4.addr[0] = 127;
	c4.addr[3] = 1;
	c4.addr[9] = 0x55;	/* beyond an IPv4 address: not sent */
	c4.port = 8081;
	memset(&c6, 0, sizeof(c6));
	c6.kind = SIG_CAND_SRFLX;
	c6.family = 6;
	c6.addr[0] = 0x20;
	c6.addr[1] = 0x01;
	c6.addr[2] = 0x0d;
	c6.addr[3] = 0xb8;
	c6.addr[15] = 1;
	c6.port = 8080;

	/* Set in a different order from the wire's. */
	sigmsg_init(&m, SIG_HANDSHAKE);
	assert_int_equal(sigmsg_add_cand(&m, &c6), 0);
	assert_int_equal(sigmsg_set_e2e(&m, (const uint8_t *)"\xee\xff", 2),
	    0);
	assert_int_equal(sigmsg_add_cand(&m, &c4), 0);
	sigmsg_set_call(&m, 42);
	assert_int_equal(m.cand[1].addr[9], 0);
	assert_int_equal(sigmsg_encode(&m, out, sizeof(out), &n), 0);
	assert_int_equal(n, sizeof(want));
	assert_memory_equal(out, want, n);
}

/*
 * The DIAL example of docs/PROTOCOL.md section 4: call id
 * 0x0123456789abcdef, callee "alice", a 32-byte E2E value 00 01 .. 1f.
 */
static const char golden_dial_hex[] =
    "02"
    "010008" "0123456789abcdef"
    "020005" "616c696365"
    "030020" "000102030405060708090a0b0c0d0e0f"
	     "101112131415161718191a1b1c1d1e1f";

static size_t
unhex(const char *hex, uint8_t *out, size_t cap)
{
	size_t i, n = strlen(hex) / 2;
	unsigned int hi, lo;

	assert_true(n <= cap);
	for (i = 0; i < n; i++) {
		hi = (unsigned int)(strchr("0123456789abcdef", hex[2 * i]) -
		    "0123456789abcdef");
		lo = (unsigned int)(strchr("0123456789abcdef",
		    hex[2 * i + 1]) - "0123456789abcdef");
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return n;
}

static void
test_golden_dial(void **state)
{
	uint8_t golden[128], out[SIG_MSG_MAX], e2e[32];
	struct sigmsg m, d;
	size_t n, gn, i;

	(void)state;
	gn = unhex(golden_dial_hex, golden, sizeof(golden));
	assert_int_equal(gn, 55);
	for (i = 0; i < sizeof(e2e); i++)
		e2e[i] = (uint8_t)i;
	sigmsg_init(&m, SIG_DIAL);
	sigmsg_set_call(&m, 0x0123456789abcdefULL);
	assert_int_equal(sigmsg_set_name(&m, "alice"), 0);
	assert_int_equal(sigmsg_set_e2e(&m, e2e, sizeof(e2e)), 0);
	assert_int_equal(sigmsg_encode(&m, out, sizeof(out), &n), 0);
	assert_int_equal(n, gn);
	assert_memory_equal(out, golden, gn);

	assert_int_equal(decode_copy(&d, golden, gn), 0);
	assert_int_equal(d.type, SIG_DIAL);
	assert_true(d.call == 0x0123456789abcdefULL);
	assert_string_equal(d.name, "alice");
	assert_int_equal(d.e2e_len, 32);
	assert_memory_equal(d.e2e, e2e, 32);
	assert_int_equal(d.fields,
	    B(SIG_T_CALL) | B(SIG_T_NAME) | B(SIG_T_E2E));
}

/*
 * Every prefix of a valid message: DIAL needs all of its fields, so no
 * prefix decodes; for the other types a prefix may decode only when it
 * ends on a field boundary with every required field in it, and then it
 * encodes back to exactly that prefix.
 */
static void
test_truncation(void **state)
{
	uint8_t out[SIG_MSG_MAX], again[SIG_MSG_MAX];
	struct sigmsg m, d;
	size_t i, n, k, n2;
	int r;

	(void)state;
	for (i = 0; i < NSPEC; i++) {
		fill(&m, i, 1, 2, 2);
		assert_int_equal(sigmsg_encode(&m, out, sizeof(out), &n), 0);
		for (k = 0; k < n; k++) {
			r = decode_copy(&d, out, k);
			if (spec[i].type == SIG_DIAL || k == 0 ||
			    spec[i].opt == 0 || spec[i].req == 0)
				assert_int_not_equal(r, 0);
			if (r != 0) {
				assert_true(r == E2_ERR_MALFORMED);
				continue;
			}
			assert_int_equal(sigmsg_encode(&d, again,
			    sizeof(again), &n2), 0);
			assert_int_equal(n2, k);
			assert_memory_equal(again, out, k);
		}
	}
}

static uint32_t
xorshift(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/*
 * Single bit flips in every position, then random multi-byte damage.
 * Decoding may succeed or fail, but must stay inside the input (ASan) and
 * whatever it accepts must be a message the encoder accepts too.
 */
static void
test_bitflips(void **state)
{
	uint8_t out[SIG_MSG_MAX], bad[SIG_MSG_MAX], again[SIG_MSG_MAX];
	struct sigmsg m, d;
	size_t i, n, bit, n2, k;
	uint32_t seed = 0x5eed1234;
	unsigned int round, nflip, j;
	int r;

	(void)state;
	for (i = 0; i < NSPEC; i++) {
		fill(&m, i, 1, 2, 2);
		assert_int_equal(sigmsg_encode(&m, out, sizeof(out), &n), 0);
		for (bit = 0; bit < n * 8; bit++) {
			memcpy(bad, out, n);
			bad[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			r = decode_copy(&d, bad, n);
			if (r == 0)
				assert_int_equal(sigmsg_encode(&d, again,
				    sizeof(again), &n2), 0);
			else
				assert_true(r == E2_ERR_MALFORMED ||
				    r == E2_ERR_UNSUPPORTED);
		}
		for (round = 0; round < 2000; round++) {
			memcpy(bad, out, n);
			nflip = 1 + xorshift(&seed) % 6;
			for (j = 0; j < nflip; j++)
				bad[xorshift(&seed) % n] =
				    (uint8_t)xorshift(&seed);
			k = xorshift(&seed) % 4;
			k = k < n ? n - k : n;
			r = decode_copy(&d, bad, k);
			if (r == 0)
				assert_int_equal(sigmsg_encode(&d, again,
				    sizeof(again), &n2), 0);
		}
	}
}

static void
test_unknown_type(void **state)
{
	static const uint8_t types[] = { 0x00, 0x0c, 0x0f, 0x15, 0x7f, 0x80,
	    0xff };
	struct sigmsg m;
	uint8_t out[16];
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(types); i++) {
		assert_int_equal(decode_copy(&m, &types[i], 1),
		    E2_ERR_UNSUPPORTED);
		sigmsg_init(&m, (enum sig_type)types[i]);
		assert_int_equal(sigmsg_encode(&m, out, sizeof(out), &n),
		    E2_ERR_INVAL);
	}
	assert_int_equal(decode_copy(&m, NULL, 0), E2_ERR_MALFORMED);
	for (i = 0; i < NSPEC; i++)
		assert_string_equal(sigmsg_type_name(spec[i].type),
		    spec[i].name);
	assert_string_equal(sigmsg_type_name(SIG_RELAY_GRANT), "relay_grant");
	assert_string_equal(sigmsg_type_name(0x42), "invalid");
}

static void
test_unknown_tag(void **state)
{
	static const uint8_t ping_t08[] = { SIG_PING, 0x08, 0x00, 0x00 };
	static const uint8_t ping_t00[] = { SIG_PING, 0x00, 0x00, 0x00 };
	static const uint8_t ping_t7f[] = { SIG_PING, 0x7f, 0x00, 0x01, 0 };
	static const uint8_t ping_t80[] = { SIG_PING, 0x80, 0x00, 0x03,
	    'x', 'y', 'z', 0xff, 0x00, 0x00, 0x80, 0x00, 0x00 };
	static const uint8_t ping_t80_short[] = { SIG_PING, 0x80, 0x00, 0x04,
	    'x', 'y', 'z' };
	static const uint8_t reg_ext[] = { SIG_REGISTER,
	    0x9a, 0x00, 0x02, 0x01, 0x02,
	    0x02, 0x00, 0x03, 'b', 'o', 'b',
	    0xc0, 0x00, 0x00 };
	struct sigmsg m;

	(void)state;
	assert_int_equal(decode_copy(&m, ping_t08, sizeof(ping_t08)),
	    E2_ERR_MALFORMED);
	assert_int_equal(decode_copy(&m, ping_t00, sizeof(ping_t00)),
	    E2_ERR_MALFORMED);
	assert_int_equal(decode_copy(&m, ping_t7f, sizeof(ping_t7f)),
	    E2_ERR_MALFORMED);
	assert_int_equal(decode_copy(&m, ping_t80, sizeof(ping_t80)), 0);
	assert_int_equal(m.type, SIG_PING);
	assert_int_equal(m.fields, 0);
	assert_int_equal(decode_copy(&m, ping_t80_short,
	    sizeof(ping_t80_short)), E2_ERR_MALFORMED);
	assert_int_equal(decode_copy(&m, reg_ext, sizeof(reg_ext)), 0);
	assert_int_equal(m.fields, B(SIG_T_NAME));
	assert_string_equal(m.name, "bob");
}

static void
test_repeated_field(void **state)
{
	static const uint8_t reg2[] = { SIG_REGISTER,
	    0x02, 0x00, 0x01, 'a', 0x02, 0x00, 0x01, 'b' };
	static const uint8_t hup2[] = { SIG_HANGUP,
	    0x01, 0x00, 0x08, 0, 0, 0, 0, 0, 0, 0, 1,
	    0x05, 0x00, 0x01, 0x01,
	    0x05, 0x00, 0x01, 0x01 };
	static const uint8_t welcome2[] = { SIG_WELCOME,
	    0x07, 0x00, 0x01, 0x01, 0x07, 0x00, 0x01, 0x01 };
	static const uint8_t err_text2[] = { SIG_ERROR,
	    0x05, 0x00, 0x01, 0x0e,
	    0x06, 0x00, 0x00, 0x06, 0x00, 0x00 };
	struct sigmsg m;

	(void)state;
	assert_int_equal(decode_copy(&m, reg2, sizeof(reg2)),
	    E2_ERR_MALFORMED);
	assert_int_equal(decode_copy(&m, hup2, sizeof(hup2)),
	    E2_ERR_MALFORMED);
	assert_int_equal(decode_copy(&m, hup2, sizeof(hup2) - 4), 0);
	assert_int_equal(m.reason, SIG_R_HANGUP);
	assert_int_equal(decode_copy(&m, welcome2, sizeof(welcome2)),
	    E2_ERR_MALFORMED);
	assert_int_equal(decode_copy(&m, err_text2, sizeof(err_text2)),
	    E2_ERR_MALFORMED);
	assert_int_equal(decode_copy(&m, err_text2, sizeof(err_text2) - 3),
	    0);
	assert_string_equal(m.text, "");
	assert_true(SIG_HAS(&m, SIG_T_TEXT));
}

static void
test_missing_required(void **state)
{
	/* DIAL with CALL and NAME but no E2E. */
	static const uint8_t dial[] = { SIG_DIAL,
	    0x01, 0x00, 0x08, 1, 2, 3, 4, 5, 6, 7, 8,
	    0x02, 0x00, 0x01, 'a' };
	static const uint8_t reg[] = { SIG_REGISTER };
	static const uint8_t welcome[] = { SIG_WELCOME, 0x80, 0x00, 0x00 };
	uint8_t out[SIG_MSG_MAX];
	struct sigmsg m;
	size_t i, n;
	unsigned int tag;

	(void)state;
	assert_int_equal(decode_copy(&m, dial, sizeof(dial)),
	    E2_ERR_MALFORMED);
	assert_int_equal(decode_copy(&m, reg, sizeof(reg)), E2_ERR_MALFORMED);
	assert_int_equal(decode_copy(&m, welcome, sizeof(welcome)),
	    E2_ERR_MALFORMED);
	/* The encoder refuses each type without each of its required. */
	for (i = 0; i < NSPEC; i++) {
		for (tag = 1; tag < 8; tag++) {
			if ((spec[i].req & B(tag)) == 0)
				continue;
			fill(&m, i, 1, 1, 1);
			m.fields &= ~B(tag);
			assert_int_equal(sigmsg_encode(&m, out, sizeof(out),
			    &n), E2_ERR_INVAL);
		}
	}
}

static void
test_not_allowed(void **state)
{
	static const uint8_t reg_call[] = { SIG_REGISTER,
	    0x01, 0x00, 0x08, 1, 2, 3, 4, 5, 6, 7, 8,
	    0x02, 0x00, 0x01, 'a' };
	static const uint8_t ping_text[] = { SIG_PING,
	    0x06, 0x00, 0x02, 'h', 'i' };
	static const uint8_t accept_e2e[] = { SIG_ACCEPT,
	    0x01, 0x00, 0x08, 1, 2, 3, 4, 5, 6, 7, 8,
	    0x03, 0x00, 0x01, 0x00 };
	static const uint8_t dial_cand[] = { SIG_DIAL,
	    0x01, 0x00, 0x08, 1, 2, 3, 4, 5, 6, 7, 8,
	    0x02, 0x00, 0x01, 'a',
	    0x03, 0x00, 0x01, 0x00,
	    0x04, 0x00, 0x08, 1, 4, 127, 0, 0, 1, 0x1f, 0x90 };
	uint8_t out[SIG_MSG_MAX];
	struct sigmsg m;
	size_t i, n;
	unsigned int tag;

	(void)state;
	assert_int_equal(decode_copy(&m, reg_call, sizeof(reg_call)),
	    E2_ERR_MALFORMED);
	assert_int_equal(decode_copy(&m, ping_text, sizeof(ping_text)),
	    E2_ERR_MALFORMED);
	assert_int_equal(decode_copy(&m, accept_e2e, sizeof(accept_e2e)),
	    E2_ERR_MALFORMED);
	assert_int_equal(decode_copy(&m, accept_e2e, 12), 0);
	assert_int_equal(decode_copy(&m, dial_cand, sizeof(dial_cand)),
	    E2_ERR_MALFORMED);
	assert_int_equal(decode_copy(&m, dial_cand, 20), 0);

	/* The encoder refuses every field a type does not allow. */
	for (i = 0; i < NSPEC; i++) {
		for (tag = 1; tag < 8; tag++) {
			if ((spec[i].req | spec[i].opt) & B(tag))
				continue;
			fill(&m, i, 1, 1, 1);
			m.fields |= B(tag);
			if (tag == SIG_T_NAME)
				memcpy(m.name, "ok", 3);
			if (tag == SIG_T_E2E)
				m.e2e_len = 1;
			if (tag == SIG_T_CAND) {
				mkcand(&m.cand[0], 4, 0);
				m.ncand = 1;
			}
			if (tag == SIG_T_VERSION)
				m.version = 1;
			assert_int_equal(sigmsg_encode(&m, out, sizeof(out),
			    &n), E2_ERR_INVAL);
		}
		fill(&m, i, 1, 1, 1);
		m.fields |= B(9);
		assert_int_equal(sigmsg_encode(&m, out, sizeof(out), &n),
		    E2_ERR_INVAL);
	}
}

/* REGISTER carrying name bytes n[0..len). */
static int
decode_register(const char *n, size_t len)
{
	uint8_t in[64];
	struct sigmsg m;

	assert_true(len + 4 <= sizeof(in));
	in[0] = SIG_REGISTER;
	in[1] = SIG_T_NAME;
	in[2] = 0;
	in[3] = (uint8_t)len;
	memcpy(in + 4, n, len);
	return decode_copy(&m, in, len + 4);
}

static void
test_names(void **state)
{
	static const char *good[] = { "a", "0", "alice", "bob.smith_2-x",
	    "9lives", "a-", "a.", "abcdefghijklmnopqrstuvwxyz012345" };
	static const char *bad[] = { "", "abcdefghijklmnopqrstuvwxyz0123456",
	    "Alice", "alicE", "al ice", "al\x1bice", "\x1b[2J", "-alice",
	    ".alice", "_alice", "al/ice", "al\xc3\xa9", "al\tice", "al\x7f" };
	uint8_t out[SIG_MSG_MAX];
	struct sigmsg m;
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_true(sigmsg_name_ok(good[i]));
		assert_int_equal(decode_register(good[i], strlen(good[i])),
		    0);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_false(sigmsg_name_ok(bad[i]));
		assert_int_equal(decode_register(bad[i], strlen(bad[i])),
		    E2_ERR_MALFORMED);
		sigmsg_init(&m, SIG_REGISTER);
		if (sigmsg_set_name(&m, bad[i]) == 0)
			assert_int_equal(sigmsg_encode(&m, out, sizeof(out),
			    &n), E2_ERR_INVAL);
	}
	assert_false(sigmsg_name_ok(NULL));
	/* A NUL inside the value. */
	assert_int_equal(decode_register("ab\0c", 4), E2_ERR_MALFORMED);
	sigmsg_init(&m, SIG_REGISTER);
	assert_int_equal(sigmsg_set_name(&m, bad[1]), E2_ERR_TOOBIG);
	assert_int_equal(m.fields, 0);
}

static void
test_reasons(void **state)
{
	static const char *names[] = { "none", "hangup", "rejected", "busy",
	    "cancelled", "offline", "unknown", "no_answer", "glare",
	    "peer_gone", "key_changed", "handshake_failed", "bad_name",
	    "name_taken", "protocol", "limit", "server", "media", "version" };
	uint8_t hup[] = { SIG_HANGUP,
	    0x01, 0x00, 0x08, 0, 0, 0, 0, 0, 0, 0, 1,
	    0x05, 0x00, 0x01, SIG_R_MAX };
	uint8_t hup_long[] = { SIG_HANGUP,
	    0x01, 0x00, 0x08, 0, 0, 0, 0, 0, 0, 0, 1,
	    0x05, 0x00, 0x02, 0x00, 0x01 };
	uint8_t out[SIG_MSG_MAX];
	struct sigmsg m;
	size_t i, n;

	(void)state;
	assert_int_equal(sizeof(names) / sizeof(names[0]), SIG_R_MAX + 1);
	for (i = 0; i <= SIG_R_MAX; i++)
		assert_string_equal(sig_reason_name((uint8_t)i), names[i]);
	assert_string_equal(sig_reason_name(SIG_R_MAX + 1), "invalid");
	assert_string_equal(sig_reason_name(255), "invalid");

	assert_int_equal(decode_copy(&m, hup, sizeof(hup)), 0);
	assert_int_equal(m.reason, SIG_R_MAX);
	hup[15] = SIG_R_MAX + 1;
	assert_int_equal(decode_copy(&m, hup, sizeof(hup)), E2_ERR_MALFORMED);
	hup[15] = 0xff;
	assert_int_equal(decode_copy(&m, hup, sizeof(hup)), E2_ERR_MALFORMED);
	assert_int_equal(decode_copy(&m, hup_long, sizeof(hup_long)),
	    E2_ERR_MALFORMED);

	sigmsg_init(&m, SIG_HANGUP);
	sigmsg_set_call(&m, 1);
	sigmsg_set_reason(&m, (enum sig_reason)(SIG_R_MAX + 1));
	assert_int_equal(sigmsg_encode(&m, out, sizeof(out), &n),
	    E2_ERR_INVAL);
}

/* ACCEPT with ncand IPv4 candidates, built by hand. */
static size_t
mk_accept(uint8_t *p, unsigned int ncand)
{
	static const uint8_t head[] = { SIG_ACCEPT,
	    0x01, 0x00, 0x08, 1, 2, 3, 4, 5, 6, 7, 8 };
	size_t n = sizeof(head);
	unsigned int i;

	memcpy(p, head, n);
	for (i = 0; i < ncand; i++) {
		static const uint8_t c[] = { 0x04, 0x00, 0x08,
		    1, 4, 127, 0, 0, 1, 0x1f, 0x90 };
		memcpy(p + n, c, sizeof(c));
		p[n + 8] = (uint8_t)(i + 1);
		n += sizeof(c);
	}
	return n;
}

static void
test_candidates(void **state)
{
	uint8_t in[256];
	struct sigmsg m;
	struct sig_cand c;
	size_t n;
	unsigned int i;

	(void)state;
	n = mk_accept(in, SIG_CAND_MAX);
	assert_int_equal(decode_copy(&m, in, n), 0);
	assert_int_equal(m.ncand, SIG_CAND_MAX);
	for (i = 0; i < SIG_CAND_MAX; i++)
		assert_int_equal(m.cand[i].addr[3], i + 1);
	n = mk_accept(in, SIG_CAND_MAX + 1);
	assert_int_equal(decode_copy(&m, in, n), E2_ERR_MALFORMED);

	/* Bad values in the first candidate (it starts at byte 12). */
	n = mk_accept(in, 1);
	in[15] = 0;			/* kind 0 */
	assert_int_equal(decode_copy(&m, in, n), E2_ERR_MALFORMED);
	in[15] = 4;			/* kind 4 */
	assert_int_equal(decode_copy(&m, in, n), E2_ERR_MALFORMED);
	in[15] = SIG_CAND_RELAY;
	assert_int_equal(decode_copy(&m, in, n), 0);
	in[16] = 6;			/* family 6 in 8 bytes */
	assert_int_equal(decode_copy(&m, in, n), E2_ERR_MALFORMED);
	in[16] = 5;
	assert_int_equal(decode_copy(&m, in, n), E2_ERR_MALFORMED);
	in[16] = 4;
	in[21] = 0;			/* port 0 */
	in[22] = 0;
	assert_int_equal(decode_copy(&m, in, n), E2_ERR_MALFORMED);
	in[22] = 1;
	assert_int_equal(decode_copy(&m, in, n), 0);
	assert_int_equal(m.cand[0].port, 1);
	in[14] = 9;			/* length 9 */
	in[n++] = 0;
	assert_int_equal(decode_copy(&m, in, n), E2_ERR_MALFORMED);

	/* family 4 in 20 bytes */
	n = mk_accept(in, 0);
	memcpy(in + n, "\x04\x00\x14\x01\x04", 5);
	memset(in + n + 5, 1, 18);
	n += 23;
	assert_int_equal(decode_copy(&m, in, n), E2_ERR_MALFORMED);
	in[n - 19] = 6;
	assert_int_equal(decode_copy(&m, in, n), 0);
	assert_int_equal(m.cand[0].family, 6);
	assert_int_equal(m.cand[0].port, 0x0101);

	/* The setter: SIG_CAND_MAX, then no more; bad ones refused. */
	sigmsg_init(&m, SIG_ACCEPT);
	for (i = 0; i < SIG_CAND_MAX; i++) {
		mkcand(&c, i % 2 ? 6 : 4, i);
		assert_int_equal(sigmsg_add_cand(&m, &c), 0);
	}
	assert_int_equal(sigmsg_add_cand(&m, &c), E2_ERR_TOOBIG);
	sigmsg_init(&m, SIG_ACCEPT);
	mkcand(&c, 4, 0);
	c.port = 0;
	assert_int_equal(sigmsg_add_cand(&m, &c), E2_ERR_INVAL);
	mkcand(&c, 4, 0);
	c.family = 5;
	assert_int_equal(sigmsg_add_cand(&m, &c), E2_ERR_INVAL);
	mkcand(&c, 4, 0);
	c.kind = 0;
	assert_int_equal(sigmsg_add_cand(&m, &c), E2_ERR_INVAL);
	assert_int_equal(m.ncand, 0);
	assert_int_equal(m.fields, 0);
}

static void
test_value_lengths(void **state)
{
	uint8_t in[SIG_MSG_MAX + 8], out[SIG_MSG_MAX], e2e[SIG_E2E_MAX + 1];
	struct sigmsg m;
	size_t n;

	(void)state;
	/* CALL must be 8 bytes. */
	n = mk_accept(in, 0);
	in[3] = 7;
	assert_int_equal(decode_copy(&m, in, n - 1), E2_ERR_MALFORMED);
	in[3] = 9;
	in[n] = 0;
	assert_int_equal(decode_copy(&m, in, n + 1), E2_ERR_MALFORMED);

	/* VERSION: 1 byte, not 0. */
	memcpy(in, "\x13\x07\x00\x01\x01", 5);
	assert_int_equal(decode_copy(&m, in, 5), 0);
	assert_int_equal(m.version, 1);
	in[4] = 0;
	assert_int_equal(decode_copy(&m, in, 5), E2_ERR_MALFORMED);
	memcpy(in, "\x13\x07\x00\x02\x01\x00", 6);
	assert_int_equal(decode_copy(&m, in, 6), E2_ERR_MALFORMED);
	memcpy(in, "\x13\x07\x00\x00", 4);
	assert_int_equal(decode_copy(&m, in, 4), E2_ERR_MALFORMED);

	/* E2E: 1..SIG_E2E_MAX. */
	memset(in, 0, sizeof(in));
	memcpy(in, "\x03\x01\x00\x08", 4);		/* RINGING, CALL */
	memcpy(in + 12, "\x03\x04\x00", 3);		/* E2E, 1024 */
	assert_int_equal(decode_copy(&m, in, 15 + SIG_E2E_MAX), 0);
	assert_int_equal(m.e2e_len, SIG_E2E_MAX);
	in[13] = 0x04;
	in[14] = 0x01;
	assert_int_equal(decode_copy(&m, in, 15 + SIG_E2E_MAX + 1),
	    E2_ERR_MALFORMED);
	in[13] = 0;
	in[14] = 0;
	assert_int_equal(decode_copy(&m, in, 15), E2_ERR_MALFORMED);

	sigmsg_init(&m, SIG_RINGING);
	sigmsg_set_call(&m, 5);
	memset(e2e, 0xab, sizeof(e2e));
	assert_int_equal(sigmsg_set_e2e(&m, e2e, SIG_E2E_MAX + 1),
	    E2_ERR_TOOBIG);
	assert_int_equal(sigmsg_set_e2e(&m, e2e, 0), 0);
	assert_int_equal(sigmsg_encode(&m, out, sizeof(out), &n),
	    E2_ERR_INVAL);
	assert_int_equal(sigmsg_set_e2e(&m, e2e, SIG_E2E_MAX), 0);
	assert_int_equal(sigmsg_encode(&m, out, sizeof(out), &n), 0);
	assert_int_equal(n, 1 + 11 + 3 + SIG_E2E_MAX);

	/* NAME over 32 bytes in the value. */
	memset(in, 'a', sizeof(in));
	memcpy(in, "\x01\x02\x00\x21", 4);
	assert_int_equal(decode_copy(&m, in, 4 + 33), E2_ERR_MALFORMED);
	in[3] = 0x20;
	assert_int_equal(decode_copy(&m, in, 4 + 32), 0);
	in[3] = 0x00;
	assert_int_equal(decode_copy(&m, in, 4), E2_ERR_MALFORMED);
}

/* ERROR with REASON and a TEXT of bytes t[0..len). */
static int
decode_error_text(const char *t, size_t len, struct sigmsg *m)
{
	uint8_t in[SIG_TEXT_MAX + 64];

	assert_true(len + 8 <= sizeof(in));
	memcpy(in, "\x12\x05\x00\x01\x0e\x06", 6);
	in[6] = (uint8_t)(len >> 8);
	in[7] = (uint8_t)len;
	memcpy(in + 8, t, len);
	return decode_copy(m, in, len + 8);
}

static void
test_text(void **state)
{
	static const char *bad[] = {
	    "\xff", "ab\xc3", "\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80",
	    "\xf4\x90\x80\x80", "\xf8\x88\x80\x80\x80", "\x80", "a\xe2\x82",
	};
	char text[SIG_TEXT_MAX + 2];
	uint8_t out[SIG_MSG_MAX];
	struct sigmsg m;
	size_t i, n;

	(void)state;
	assert_int_equal(decode_error_text(utf8_text, strlen(utf8_text), &m),
	    0);
	assert_string_equal(m.text, utf8_text);
	/* Control characters are legal on the wire (sanitized on show). */
	assert_int_equal(decode_error_text("\x1b[2J", 4, &m), 0);
	assert_int_equal(decode_error_text("a\0b", 3, &m), E2_ERR_MALFORMED);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(decode_error_text(bad[i], strlen(bad[i]), &m),
		    E2_ERR_MALFORMED);
		sigmsg_init(&m, SIG_ERROR);
		sigmsg_set_reason(&m, SIG_R_PROTOCOL);
		assert_int_equal(sigmsg_set_text(&m, bad[i]), 0);
		assert_int_equal(sigmsg_encode(&m, out, sizeof(out), &n),
		    E2_ERR_INVAL);
	}
	memset(text, 'x', sizeof(text));
	assert_int_equal(decode_error_text(text, SIG_TEXT_MAX, &m), 0);
	assert_int_equal(strlen(m.text), SIG_TEXT_MAX);
	assert_int_equal(decode_error_text(text, SIG_TEXT_MAX + 1, &m),
	    E2_ERR_MALFORMED);
	text[SIG_TEXT_MAX + 1] = '\0';
	sigmsg_init(&m, SIG_ERROR);
	assert_int_equal(sigmsg_set_text(&m, text), E2_ERR_TOOBIG);
	text[SIG_TEXT_MAX] = '\0';
	assert_int_equal(sigmsg_set_text(&m, text), 0);
}

static void
test_total_length(void **state)
{
	uint8_t *in;
	struct sigmsg m;
	size_t ext = SIG_MSG_MAX - 4;

	(void)state;
	in = calloc(1, SIG_MSG_MAX + 1);
	assert_non_null(in);
	/* PING with one extension field filling SIG_MSG_MAX exactly. */
	in[0] = SIG_PING;
	in[1] = 0xee;
	in[2] = (uint8_t)(ext >> 8);
	in[3] = (uint8_t)ext;
	assert_int_equal(decode_copy(&m, in, SIG_MSG_MAX), 0);
	ext++;
	in[2] = (uint8_t)(ext >> 8);
	in[3] = (uint8_t)ext;
	assert_int_equal(decode_copy(&m, in, SIG_MSG_MAX + 1), E2_ERR_TOOBIG);
	free(in);
}

static void
test_bad_args(void **state)
{
	uint8_t out[8] = { 0 };
	struct sigmsg m;
	size_t n;

	(void)state;
	assert_int_equal(sigmsg_decode(NULL, out, 1), E2_ERR_INVAL);
	assert_int_equal(sigmsg_decode(&m, NULL, 1), E2_ERR_INVAL);
	sigmsg_init(&m, SIG_PING);
	assert_int_equal(sigmsg_encode(&m, NULL, 8, &n), E2_ERR_INVAL);
	assert_int_equal(sigmsg_encode(&m, out, 0, &n), E2_ERR_SPACE);
	assert_int_equal(sigmsg_encode(&m, out, 1, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(out[0], SIG_PING);
	assert_int_equal(sigmsg_set_name(&m, NULL), E2_ERR_INVAL);
	assert_int_equal(sigmsg_set_e2e(&m, NULL, 3), E2_ERR_INVAL);
}

static void
check_sanitize(const char *in, size_t cap, const char *want)
{
	char out[256];

	assert_true(cap <= sizeof(out));
	memset(out, 'Z', sizeof(out));
	sanitize_str(in, out, cap);
	assert_string_equal(out, want);
}

static void
test_sanitize(void **state)
{
	char one = 'Z';

	(void)state;
	/* Terminal escapes: ESC and the other C0 controls, DEL. */
	check_sanitize("\x1b[2J\x1b[31m\xf0\x9f\x94\x92 fake", 64,
	    "?[2J?[31m\xf0\x9f\x94\x92 fake");
	check_sanitize("a\tb\nc\rd\x07\x7f", 64, "a?b?c?d??");
	/* C1 controls (CSI U+009B, NEL U+0085) as 2-byte UTF-8. */
	check_sanitize("x\xc2\x9b" "31m\xc2\x85y", 64, "x?31m?y");
	/* Not C1: U+00A0 and U+00E9 are kept. */
	check_sanitize("\xc2\xa0\xc3\xa9", 64, "\xc2\xa0\xc3\xa9");
	/* Bidi overrides, isolates, line/paragraph separators. */
	check_sanitize("a\xe2\x80\xaeolleh\xe2\x80\xac", 64, "a?olleh?");
	check_sanitize("\xe2\x81\xa6x\xe2\x81\xa9", 64, "?x?");
	check_sanitize("\xe2\x80\xa8\xe2\x80\xa9\xe2\x80\xaa\xe2\x80\xab"
	    "\xe2\x80\xad", 64, "?????");
	/* Neighbours that stay: U+2027, U+202F, U+2065 (unassigned), U+206A. */
	check_sanitize("\xe2\x80\xa7\xe2\x80\xaf\xe2\x81\xa5\xe2\x81\xaa", 64,
	    "\xe2\x80\xa7\xe2\x80\xaf\xe2\x81\xa5\xe2\x81\xaa");
	/* Invalid UTF-8: each bad byte becomes '?'. */
	check_sanitize("a\xff" "b", 64, "a?b");
	check_sanitize("\xc0\xaf", 64, "??");		/* overlong */
	check_sanitize("\xe0\x80\xaf", 64, "???");	/* overlong */
	check_sanitize("\xed\xa0\x80", 64, "???");	/* surrogate */
	check_sanitize("\xf4\x90\x80\x80", 64, "????");	/* > 10FFFF */
	check_sanitize("a\xe2\x82", 64, "a??");		/* cut */
	check_sanitize("\xe2\x82" "A", 64, "??A");
	check_sanitize("\x80\xbf", 64, "??");
	/* Truncation never splits a character. */
	check_sanitize("ab\xf0\x9f\x94\x92", 6, "ab");
	check_sanitize("ab\xf0\x9f\x94\x92", 7, "ab\xf0\x9f\x94\x92");
	check_sanitize("a\xc3\xa9", 3, "a");
	check_sanitize("a\xc3\xa9", 4, "a\xc3\xa9");
	check_sanitize("\xe2\x82\xac\xe2\x82\xac", 6, "\xe2\x82\xac");
	check_sanitize("abc", 1, "");
	check_sanitize("abc", 3, "ab");
	check_sanitize("\x1b\x1b\x1b", 3, "??");
	check_sanitize("", 8, "");
	check_sanitize(NULL, 8, "");
	/* outcap 0 writes nothing. */
	sanitize_str("abc", &one, 0);
	assert_int_equal(one, 'Z');
}

/*
 * RELAY_GRANT: a grant is CALL, one CAND of kind relay and RELAY (u64 leg,
 * 32-byte key); a refusal is CALL, REASON and maybe TEXT.  Nothing else.
 */
static void
test_relay_grant(void **state)
{
	static const uint8_t golden[] = {
		0x14,
		0x01, 0x00, 0x08, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
		0x08,
		0x04, 0x00, 0x08, 0x03, 0x04, 0xcb, 0x00, 0x71, 0x01, 0x1c,
		0xb6,
		0x08, 0x00, 0x28, 0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6,
		0xa7,
		0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
		0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
		0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
		0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
	};
	static const uint8_t refusal[] = {
		0x14,
		0x01, 0x00, 0x08, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
		0x08,
		0x05, 0x00, 0x01, 0x0f,
		0x06, 0x00, 0x02, 'n', 'o',
	};
	uint8_t key[SIG_RELAY_KEYLEN], out[SIG_MSG_MAX], in[SIG_MSG_MAX];
	struct sigmsg m, d;
	struct sig_cand c;
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)i;
	memset(&c, 0, sizeof(c));
	c.kind = SIG_CAND_RELAY;
	c.family = 4;
	c.addr[0] = 203;
	c.addr[1] = 0;
	c.addr[2] = 113;
	c.addr[3] = 1;
	c.port = 7350;
	sigmsg_init(&m, SIG_RELAY_GRANT);
	sigmsg_set_call(&m, 0x0102030405060708ULL);
	assert_int_equal(sigmsg_add_cand(&m, &c), 0);
	sigmsg_set_relay(&m, 0xa0a1a2a3a4a5a6a7ULL, key);
	assert_int_equal(sigmsg_encode(&m, out, sizeof(out), &n), 0);
	assert_int_equal(n, sizeof(golden));
	assert_memory_equal(out, golden, n);
	assert_int_equal(decode_copy(&d, golden, sizeof(golden)), 0);
	assert_true(d.relay_leg == 0xa0a1a2a3a4a5a6a7ULL);
	assert_memory_equal(d.relay_key, key, sizeof(key));
	assert_int_equal(d.ncand, 1);
	assert_int_equal(d.cand[0].kind, SIG_CAND_RELAY);
	assert_int_equal(d.cand[0].port, 7350);
	roundtrip(&m);

	/* A refusal. */
	assert_int_equal(decode_copy(&d, refusal, sizeof(refusal)), 0);
	assert_int_equal(d.reason, SIG_R_LIMIT);
	assert_string_equal(d.text, "no");
	assert_int_equal(decode_copy(&d, refusal, sizeof(refusal) - 5), 0);
	roundtrip(&d);

	/* Neither grant nor refusal: CALL alone. */
	assert_int_equal(decode_copy(&d, golden, 12), E2_ERR_MALFORMED);
	/* A grant without its CAND, or without RELAY. */
	memcpy(in, golden, 12);
	memcpy(in + 12, golden + 23, sizeof(golden) - 23);
	assert_int_equal(decode_copy(&d, in, sizeof(golden) - 11),
	    E2_ERR_MALFORMED);
	assert_int_equal(decode_copy(&d, golden, 23), E2_ERR_MALFORMED);
	/* The CAND must be of kind relay. */
	memcpy(in, golden, sizeof(golden));
	in[15] = SIG_CAND_SRFLX;
	assert_int_equal(decode_copy(&d, in, sizeof(golden)),
	    E2_ERR_MALFORMED);
	/* Two CANDs. */
	memcpy(in, golden, 23);
	memcpy(in + 23, golden + 12, 11);
	memcpy(in + 34, golden + 23, sizeof(golden) - 23);
	assert_int_equal(decode_copy(&d, in, sizeof(golden) + 11),
	    E2_ERR_MALFORMED);
	/* A grant with a REASON or a TEXT. */
	memcpy(in, golden, sizeof(golden));
	memcpy(in + sizeof(golden), refusal + 12, 4);
	assert_int_equal(decode_copy(&d, in, sizeof(golden) + 4),
	    E2_ERR_MALFORMED);
	memcpy(in + sizeof(golden), refusal + 16, 5);
	assert_int_equal(decode_copy(&d, in, sizeof(golden) + 5),
	    E2_ERR_MALFORMED);
	/* RELAY must be 40 bytes. */
	memcpy(in, golden, sizeof(golden));
	in[25] = 0x27;
	assert_int_equal(decode_copy(&d, in, sizeof(golden) - 1),
	    E2_ERR_MALFORMED);
	in[25] = 0x29;
	in[sizeof(golden)] = 0;
	assert_int_equal(decode_copy(&d, in, sizeof(golden) + 1),
	    E2_ERR_MALFORMED);
	/* RELAY on any other type. */
	sigmsg_init(&m, SIG_RELAY_REQUEST);
	sigmsg_set_call(&m, 9);
	sigmsg_set_relay(&m, 1, key);
	assert_int_equal(sigmsg_encode(&m, out, sizeof(out), &n),
	    E2_ERR_INVAL);
	memcpy(in, "\x0a", 1);
	memcpy(in + 1, golden + 1, 11);
	memcpy(in + 12, golden + 23, sizeof(golden) - 23);
	assert_int_equal(decode_copy(&d, in, sizeof(golden) - 11),
	    E2_ERR_MALFORMED);
	assert_int_equal(decode_copy(&d, in, 12), 0);
	assert_int_equal(d.type, SIG_RELAY_REQUEST);
	/* The encoder keeps to the same rules. */
	sigmsg_init(&m, SIG_RELAY_GRANT);
	sigmsg_set_call(&m, 9);
	assert_int_equal(sigmsg_encode(&m, out, sizeof(out), &n),
	    E2_ERR_INVAL);
	sigmsg_set_relay(&m, 1, key);
	assert_int_equal(sigmsg_encode(&m, out, sizeof(out), &n),
	    E2_ERR_INVAL);
	assert_int_equal(sigmsg_add_cand(&m, &c), 0);
	assert_int_equal(sigmsg_encode(&m, out, sizeof(out), &n), 0);
	sigmsg_set_reason(&m, SIG_R_LIMIT);
	assert_int_equal(sigmsg_encode(&m, out, sizeof(out), &n),
	    E2_ERR_INVAL);
}

/* SEALED (0x09): where it may be, its bounds, and the sealed codec. */
static void
test_sealed(void **state)
{
	uint8_t out[SIG_MSG_MAX], blob[SIG_SEALED_MAX + 1];
	struct sig_cand c = { SIG_CAND_HOST, 4, { 192, 0, 2, 9 }, 4000 };
	struct sigmsg m, d;
	size_t n;
	/* HANGUP, CALL 1, REASON hangup, SEALED of 17 bytes */
	uint8_t hup[16 + 3 + 17] = { SIG_HANGUP,
	    0x01, 0x00, 0x08, 0, 0, 0, 0, 0, 0, 0, 1,
	    0x05, 0x00, 0x01, 0x01, 0x09, 0x00, 0x11 };

	(void)state;
	memset(blob, 0xab, sizeof(blob));
	sigmsg_init(&m, SIG_ACCEPT);
	sigmsg_set_call(&m, 9);
	assert_int_equal(sigmsg_set_sealed(&m, blob, SIG_SEALED_MIN - 1),
	    E2_ERR_TOOBIG);
	assert_int_equal(sigmsg_set_sealed(&m, blob, SIG_SEALED_MAX + 1),
	    E2_ERR_TOOBIG);
	assert_int_equal(sigmsg_set_sealed(&m, blob, SIG_SEALED_MAX), 0);
	assert_int_equal(sigmsg_encode(&m, out, sizeof(out), &n), 0);
	assert_int_equal(decode_copy(&d, out, n), 0);
	assert_true(SIG_HAS(&d, SIG_T_SEALED));
	assert_int_equal(d.sealed_len, SIG_SEALED_MAX);
	assert_memory_equal(d.sealed, blob, SIG_SEALED_MAX);
	/* the smallest, in a golden HANGUP; one byte less is refused */
	assert_int_equal(decode_copy(&d, hup, sizeof(hup)), 0);
	assert_int_equal(d.sealed_len, 17);
	hup[18] = 0x10;
	assert_int_equal(sigmsg_decode(&d, hup, sizeof(hup) - 1),
	    E2_ERR_MALFORMED);
	/* not allowed in DIAL or RINGING */
	sigmsg_init(&m, SIG_RINGING);
	sigmsg_set_call(&m, 9);
	(void)sigmsg_set_e2e(&m, blob, 32);
	(void)sigmsg_set_sealed(&m, blob, 20);
	assert_int_equal(sigmsg_encode(&m, out, sizeof(out), &n),
	    E2_ERR_INVAL);

	/* The sealed codec: CALL and CAND for ACCEPT, nothing else. */
	sigmsg_init(&m, SIG_ACCEPT);
	sigmsg_set_call(&m, 9);
	(void)sigmsg_add_cand(&m, &c);
	assert_int_equal(sigmsg_encode_inner(&m, out, sizeof(out), &n), 0);
	assert_int_equal(sigmsg_decode_inner(&d, out, n), 0);
	assert_int_equal(d.ncand, 1);
	assert_int_equal(d.call, 9);
	/* the outer codec takes it too (it is a valid ACCEPT) ... */
	assert_int_equal(sigmsg_decode(&d, out, n), 0);
	/* ... but a SEALED field inside is refused, and so is E2E */
	(void)sigmsg_set_sealed(&m, blob, 20);
	assert_int_equal(sigmsg_encode_inner(&m, out, sizeof(out), &n),
	    E2_ERR_INVAL);
	sigmsg_init(&m, SIG_HANDSHAKE);
	sigmsg_set_call(&m, 9);
	(void)sigmsg_set_e2e(&m, blob, 32);
	assert_int_equal(sigmsg_encode_inner(&m, out, sizeof(out), &n),
	    E2_ERR_INVAL);
	/* MOVE: NAME and a 64-byte MOVEPROOF, nothing else */
	{
		uint8_t proof[64];
		static const uint8_t move_short[] = { SIG_MOVE,
		    0x02, 0x00, 0x01, 'a', 0x0a, 0x00, 0x01, 0x00 };

		memset(proof, 0x5a, sizeof(proof));
		sigmsg_init(&m, SIG_MOVE);
		(void)sigmsg_set_name(&m, "alice");
		sigmsg_set_moveproof(&m, proof);
		assert_int_equal(sigmsg_encode(&m, out, sizeof(out), &n), 0);
		assert_int_equal(n, 1 + 3 + 5 + 3 + 64);
		assert_int_equal(decode_copy(&d, out, n), 0);
		assert_memory_equal(d.moveproof, proof, 64);
		assert_string_equal(sigmsg_type_name(SIG_MOVE), "move");
		assert_int_equal(sigmsg_decode(&d, move_short,
		    sizeof(move_short)), E2_ERR_MALFORMED);
	}
	/* REJECT needs its REASON inside; DIAL has no sealed form */
	sigmsg_init(&m, SIG_REJECT);
	sigmsg_set_call(&m, 9);
	assert_int_equal(sigmsg_encode_inner(&m, out, sizeof(out), &n),
	    E2_ERR_INVAL);
	sigmsg_set_reason(&m, SIG_R_BUSY);
	assert_int_equal(sigmsg_encode_inner(&m, out, sizeof(out), &n), 0);
	out[0] = SIG_DIAL;
	assert_int_equal(sigmsg_decode_inner(&d, out, n), E2_ERR_UNSUPPORTED);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_all),
		cmocka_unit_test(test_encode_order),
		cmocka_unit_test(test_golden_dial),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_bitflips),
		cmocka_unit_test(test_unknown_type),
		cmocka_unit_test(test_unknown_tag),
		cmocka_unit_test(test_repeated_field),
		cmocka_unit_test(test_missing_required),
		cmocka_unit_test(test_not_allowed),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_reasons),
		cmocka_unit_test(test_sealed),
		cmocka_unit_test(test_candidates),
		cmocka_unit_test(test_value_lengths),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_total_length),
		cmocka_unit_test(test_bad_args),
		cmocka_unit_test(test_sanitize),
		cmocka_unit_test(test_relay_grant),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
