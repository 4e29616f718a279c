/*
 * sigmsg.c - signaling message codec; see sigmsg.h and docs/PROTOCOL.md
 * section 4.
 *
 * Everything a message type may carry is in one table (sig_types): the
 * fields it requires and the fields it allows, as bitmasks of tags.  The
 * decoder and the encoder check a message against the same table and the
 * same per-tag rules, so what one side encodes the other side decodes.
 *
 * Return values beyond those in the header:
 *   sigmsg_decode: E2_ERR_TOOBIG when len > SIG_MSG_MAX, E2_ERR_UNSUPPORTED
 *   for an unknown type, E2_ERR_MALFORMED for anything else wrong,
 *   E2_ERR_INVAL for NULL arguments.
 *   sigmsg_encode: E2_ERR_INVAL when m breaks a rule the decoder enforces
 *   (unknown type, missing required or disallowed field, bad name, text,
 *   reason, version, candidate or E2E length), E2_ERR_SPACE when outcap is
 *   too small; *outlenp is set only on success.
 *   sigmsg_set_name/set_text: E2_ERR_INVAL for NULL; sigmsg_add_cand:
 *   E2_ERR_TOOBIG when SIG_CAND_MAX are already there, E2_ERR_INVAL for
 *   a bad candidate (kind, family, zero port).
 */
#include <string.h>

#include <sodium.h>

#include "buf.h"
#include "err.h"
#include "sigmsg.h"

#define F(tag)		(1u << (tag))
#define SIG_T_EXT	0x80	/* unknown tags from here on are skipped */

#define F_KNOWN		(F(SIG_T_CALL) | F(SIG_T_NAME) | F(SIG_T_E2E) | \
			 F(SIG_T_CAND) | F(SIG_T_REASON) | F(SIG_T_TEXT) | \
			 F(SIG_T_VERSION) | F(SIG_T_RELAY) | F(SIG_T_SEALED) | \
			 F(SIG_T_MOVEPROOF))

#define CAND_LEN4	8	/* kind, family, 4 address bytes, port */
#define CAND_LEN6	20	/* kind, family, 16 address bytes, port */

struct sig_type_desc {
	uint8_t		 type;
	const char	*name;
	uint32_t	 required;	/* F(tag) of each required field */
	uint32_t	 optional;	/* F(tag) of each optional field */
};

static const struct sig_type_desc sig_types[] = {
	{ SIG_REGISTER, "register", F(SIG_T_NAME), 0 },
	{ SIG_DIAL, "dial", F(SIG_T_CALL) | F(SIG_T_NAME) | F(SIG_T_E2E), 0 },
	{ SIG_RINGING, "ringing", F(SIG_T_CALL) | F(SIG_T_E2E), 0 },
	{ SIG_HANDSHAKE, "handshake", F(SIG_T_CALL) | F(SIG_T_E2E),
	    F(SIG_T_CAND) | F(SIG_T_SEALED) },
	{ SIG_ACCEPT, "accept", F(SIG_T_CALL),
	    F(SIG_T_CAND) | F(SIG_T_SEALED) },
	{ SIG_REJECT, "reject", F(SIG_T_CALL) | F(SIG_T_REASON),
	    F(SIG_T_TEXT) | F(SIG_T_SEALED) },
	{ SIG_HANGUP, "hangup", F(SIG_T_CALL) | F(SIG_T_REASON),
	    F(SIG_T_TEXT) | F(SIG_T_SEALED) },
	{ SIG_PING, "ping", 0, 0 },
	{ SIG_PONG, "pong", 0, 0 },
	{ SIG_REGISTERED, "registered", F(SIG_T_NAME), 0 },
	{ SIG_INCOMING, "incoming", F(SIG_T_CALL) | F(SIG_T_NAME) |
	    F(SIG_T_E2E), 0 },
	{ SIG_ERROR, "error", F(SIG_T_REASON),
	    F(SIG_T_TEXT) | F(SIG_T_CALL) | F(SIG_T_NAME) },
	{ SIG_WELCOME, "welcome", F(SIG_T_VERSION), 0 },
	{ SIG_RELAY_REQUEST, "relay_request", F(SIG_T_CALL), 0 },
	{ SIG_MOVE, "move", F(SIG_T_NAME) | F(SIG_T_MOVEPROOF), 0 },
	{ SIG_RELAY_GRANT, "relay_grant", F(SIG_T_CALL),
	    F(SIG_T_RELAY) | F(SIG_T_CAND) | F(SIG_T_REASON) | F(SIG_T_TEXT) },
};

/* What a SEALED field may hold, by the type of the message around it. */
static const struct sig_type_desc sig_inner_types[] = {
	{ SIG_HANDSHAKE, "handshake", F(SIG_T_CALL), F(SIG_T_CAND) },
	{ SIG_ACCEPT, "accept", F(SIG_T_CALL), F(SIG_T_CAND) },
	{ SIG_REJECT, "reject", F(SIG_T_CALL) | F(SIG_T_REASON),
	    F(SIG_T_TEXT) },
	{ SIG_HANGUP, "hangup", F(SIG_T_CALL) | F(SIG_T_REASON),
	    F(SIG_T_TEXT) },
};

struct sig_table {
	const struct sig_type_desc	*d;
	size_t				 n;
};
static const struct sig_table outer = { sig_types,
    sizeof(sig_types) / sizeof(sig_types[0]) };
static const struct sig_table inner = { sig_inner_types,
    sizeof(sig_inner_types) / sizeof(sig_inner_types[0]) };

static const char *const sig_reasons[SIG_R_MAX + 1] = {
	[SIG_R_NONE] = "none",
	[SIG_R_HANGUP] = "hangup",
	[SIG_R_REJECTED] = "rejected",
	[SIG_R_BUSY] = "busy",
	[SIG_R_CANCELLED] = "cancelled",
	[SIG_R_OFFLINE] = "offline",
	[SIG_R_UNKNOWN] = "unknown",
	[SIG_R_NO_ANSWER] = "no_answer",
	[SIG_R_GLARE] = "glare",
	[SIG_R_PEER_GONE] = "peer_gone",
	[SIG_R_KEY_CHANGED] = "key_changed",
	[SIG_R_HANDSHAKE] = "handshake_failed",
	[SIG_R_BAD_NAME] = "bad_name",
	[SIG_R_NAME_TAKEN] = "name_taken",
	[SIG_R_PROTOCOL] = "protocol",
	[SIG_R_LIMIT] = "limit",
	[SIG_R_SERVER] = "server",
	[SIG_R_MEDIA] = "media",
	[SIG_R_VERSION] = "version",
};

static const struct sig_type_desc *
type_find(const struct sig_table *t, uint8_t type)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (t->d[i].type == type)
			return &t->d[i];
	return NULL;
}

/*
 * Decodes one UTF-8 sequence at p[0..n).  Returns its length (1..4) and
 * stores the code point in *cpp, or returns 0 for a sequence that is
 * invalid, overlong, truncated, a surrogate or above U+10FFFF.
 */
static size_t
utf8_next(const uint8_t *p, size_t n, uint32_t *cpp)
{
	uint32_t cp, min;
	size_t len, i;

	if (n == 0)
		return 0;
	if (p[0] < 0x80) {
		*cpp = p[0];
		return 1;
	} else if ((p[0] & 0xe0) == 0xc0) {
		len = 2;
		cp = p[0] & 0x1f;
		min = 0x80;
	} else if ((p[0] & 0xf0) == 0xe0) {
		len = 3;
		cp = p[0] & 0x0f;
		min = 0x800;
	} else if ((p[0] & 0xf8) == 0xf0) {
		len = 4;
		cp = p[0] & 0x07;
		min = 0x10000;
	} else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	*cpp = cp;
	return len;
}

/* TEXT: at most SIG_TEXT_MAX bytes of valid UTF-8 without NUL. */
static int
text_ok(const uint8_t *p, size_t n)
{
	uint32_t cp;
	size_t i, k;

	if (n > SIG_TEXT_MAX)
		return 0;
	for (i = 0; i < n; i += k) {
		if ((k = utf8_next(p + i, n - i, &cp)) == 0 || cp == 0)
			return 0;
	}
	return 1;
}

static int
name_char_ok(char c, int first)
{
	if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
		return 1;
	return !first && (c == '.' || c == '_' || c == '-');
}

int
sigmsg_name_ok(const char *name)
{
	size_t i;

	if (name == NULL)
		return 0;
	for (i = 0; name[i] != '\0'; i++) {
		if (i >= SIG_NAME_MAX || !name_char_ok(name[i], i == 0))
			return 0;
	}
	return i > 0;
}

static int
cand_ok(const struct sig_cand *c)
{
	return c->kind >= SIG_CAND_HOST && c->kind <= SIG_CAND_RELAY &&
	    (c->family == 4 || c->family == 6) && c->port != 0;
}

static size_t
cand_addrlen(const struct sig_cand *c)
{
	return c->family == 4 ? 4 : 16;
}

void
sigmsg_init(struct sigmsg *m, enum sig_type type)
{
	memset(m, 0, sizeof(*m));
	m->type = (uint8_t)type;
}

int
sigmsg_set_name(struct sigmsg *m, const char *name)
{
	size_t n;

	if (m == NULL || name == NULL)
		return E2_ERR_INVAL;
	if ((n = strnlen(name, SIG_NAME_MAX + 1)) > SIG_NAME_MAX)
		return E2_ERR_TOOBIG;
	memset(m->name, 0, sizeof(m->name));
	memcpy(m->name, name, n);
	m->fields |= F(SIG_T_NAME);
	return 0;
}

int
sigmsg_set_text(struct sigmsg *m, const char *text)
{
	size_t n;

	if (m == NULL || text == NULL)
		return E2_ERR_INVAL;
	if ((n = strnlen(text, SIG_TEXT_MAX + 1)) > SIG_TEXT_MAX)
		return E2_ERR_TOOBIG;
	memset(m->text, 0, sizeof(m->text));
	memcpy(m->text, text, n);
	m->fields |= F(SIG_T_TEXT);
	return 0;
}

int
sigmsg_set_e2e(struct sigmsg *m, const uint8_t *p, size_t len)
{
	if (m == NULL || (p == NULL && len > 0))
		return E2_ERR_INVAL;
	if (len > SIG_E2E_MAX)
		return E2_ERR_TOOBIG;
	if (len > 0)
		memcpy(m->e2e, p, len);
	m->e2e_len = (uint16_t)len;
	m->fields |= F(SIG_T_E2E);
	return 0;
}

int
sigmsg_add_cand(struct sigmsg *m, const struct sig_cand *c)
{
	struct sig_cand *dst;

	if (m == NULL || c == NULL || !cand_ok(c))
		return E2_ERR_INVAL;
	if (m->ncand >= SIG_CAND_MAX)
		return E2_ERR_TOOBIG;
	dst = &m->cand[m->ncand++];
	memset(dst, 0, sizeof(*dst));
	dst->kind = c->kind;
	dst->family = c->family;
	memcpy(dst->addr, c->addr, cand_addrlen(c));
	dst->port = c->port;
	m->fields |= F(SIG_T_CAND);
	return 0;
}

void
sigmsg_set_call(struct sigmsg *m, uint64_t call)
{
	m->call = call;
	m->fields |= F(SIG_T_CALL);
}

void
sigmsg_set_reason(struct sigmsg *m, enum sig_reason r)
{
	m->reason = (uint8_t)r;
	m->fields |= F(SIG_T_REASON);
}

void
sigmsg_set_relay(struct sigmsg *m, uint64_t leg,
    const uint8_t key[SIG_RELAY_KEYLEN])
{
	m->relay_leg = leg;
	memcpy(m->relay_key, key, SIG_RELAY_KEYLEN);
	m->fields |= F(SIG_T_RELAY);
}

/*
 * RELAY_GRANT is either a grant (RELAY and exactly one CAND, of kind
 * relay; no REASON or TEXT) or a refusal (REASON, maybe TEXT; no RELAY or
 * CAND).
 */
static int
grant_ok(const struct sigmsg *m)
{
	if (m->type != SIG_RELAY_GRANT)
		return 1;
	if (SIG_HAS(m, SIG_T_REASON))
		return !SIG_HAS(m, SIG_T_RELAY) && !SIG_HAS(m, SIG_T_CAND);
	return SIG_HAS(m, SIG_T_RELAY) && !SIG_HAS(m, SIG_T_TEXT) &&
	    m->ncand == 1 && m->cand[0].kind == SIG_CAND_RELAY;
}

/* Checks m against a type table and the per-field rules. */
static int
sigmsg_check(const struct sigmsg *m, const struct sig_table *t)
{
	const struct sig_type_desc *d;
	size_t i;

	if ((d = type_find(t, m->type)) == NULL)
		return E2_ERR_INVAL;
	if ((m->fields & d->required) != d->required ||
	    (m->fields & ~(d->required | d->optional)) != 0)
		return E2_ERR_INVAL;
	if (SIG_HAS(m, SIG_T_NAME) &&
	    (memchr(m->name, '\0', sizeof(m->name)) == NULL ||
	    !sigmsg_name_ok(m->name)))
		return E2_ERR_INVAL;
	if (SIG_HAS(m, SIG_T_E2E) &&
	    (m->e2e_len == 0 || m->e2e_len > SIG_E2E_MAX))
		return E2_ERR_INVAL;
	if (SIG_HAS(m, SIG_T_CAND)) {
		if (m->ncand == 0 || m->ncand > SIG_CAND_MAX)
			return E2_ERR_INVAL;
		for (i = 0; i < m->ncand; i++)
			if (!cand_ok(&m->cand[i]))
				return E2_ERR_INVAL;
	}
	if (SIG_HAS(m, SIG_T_REASON) && m->reason > SIG_R_MAX)
		return E2_ERR_INVAL;
	if (SIG_HAS(m, SIG_T_TEXT) &&
	    (memchr(m->text, '\0', sizeof(m->text)) == NULL ||
	    !text_ok((const uint8_t *)m->text, strlen(m->text))))
		return E2_ERR_INVAL;
	if (SIG_HAS(m, SIG_T_VERSION) && m->version == 0)
		return E2_ERR_INVAL;
	if (SIG_HAS(m, SIG_T_SEALED) && (m->sealed_len < SIG_SEALED_MIN ||
	    m->sealed_len > SIG_SEALED_MAX))
		return E2_ERR_INVAL;
	if (!grant_ok(m))
		return E2_ERR_INVAL;
	return 0;
}

static int
put_field(struct buf *b, uint8_t tag, const void *v, size_t len)
{
	int r;

	if ((r = buf_put_u8(b, tag)) != 0 ||
	    (r = buf_put_u16(b, (uint16_t)len)) != 0 ||
	    (r = buf_put_bytes(b, v, len)) != 0)
		return r;
	return 0;
}

static int
put_cand(struct buf *b, const struct sig_cand *c)
{
	size_t alen = cand_addrlen(c);
	int r;

	if ((r = buf_put_u8(b, SIG_T_CAND)) != 0 ||
	    (r = buf_put_u16(b, (uint16_t)(4 + alen))) != 0 ||
	    (r = buf_put_u8(b, c->kind)) != 0 ||
	    (r = buf_put_u8(b, c->family)) != 0 ||
	    (r = buf_put_bytes(b, c->addr, alen)) != 0 ||
	    (r = buf_put_u16(b, c->port)) != 0)
		return r;
	return 0;
}

/* Fields go out in ascending tag order, candidates in their order. */
static int
encode_with(const struct sigmsg *m, const struct sig_table *t, uint8_t *out,
    size_t outcap, size_t *outlenp)
{
	uint8_t call[8];
	struct buf b;
	size_t i;
	int r;

	if (m == NULL || out == NULL || outlenp == NULL)
		return E2_ERR_INVAL;
	if ((r = sigmsg_check(m, t)) != 0)
		return r;
	buf_init_write(&b, out, outcap);
	if ((r = buf_put_u8(&b, m->type)) != 0)
		return r;
	if (SIG_HAS(m, SIG_T_CALL)) {
		for (i = 0; i < sizeof(call); i++)
			call[i] = (uint8_t)(m->call >> (56 - 8 * i));
		if ((r = put_field(&b, SIG_T_CALL, call, sizeof(call))) != 0)
			return r;
	}
	if (SIG_HAS(m, SIG_T_NAME) && (r = put_field(&b, SIG_T_NAME,
	    m->name, strlen(m->name))) != 0)
		return r;
	if (SIG_HAS(m, SIG_T_E2E) && (r = put_field(&b, SIG_T_E2E,
	    m->e2e, m->e2e_len)) != 0)
		return r;
	if (SIG_HAS(m, SIG_T_CAND)) {
		for (i = 0; i < m->ncand; i++)
			if ((r = put_cand(&b, &m->cand[i])) != 0)
				return r;
	}
	if (SIG_HAS(m, SIG_T_REASON) && (r = put_field(&b, SIG_T_REASON,
	    &m->reason, 1)) != 0)
		return r;
	if (SIG_HAS(m, SIG_T_TEXT) && (r = put_field(&b, SIG_T_TEXT,
	    m->text, strlen(m->text))) != 0)
		return r;
	if (SIG_HAS(m, SIG_T_VERSION) && (r = put_field(&b, SIG_T_VERSION,
	    &m->version, 1)) != 0)
		return r;
	if (SIG_HAS(m, SIG_T_RELAY)) {
		uint8_t rv[8 + SIG_RELAY_KEYLEN];

		for (i = 0; i < 8; i++)
			rv[i] = (uint8_t)(m->relay_leg >> (56 - 8 * i));
		memcpy(rv + 8, m->relay_key, SIG_RELAY_KEYLEN);
		r = put_field(&b, SIG_T_RELAY, rv, sizeof(rv));
		sodium_memzero(rv, sizeof(rv));
		if (r != 0)
			return r;
	}
	if (SIG_HAS(m, SIG_T_SEALED) && (r = put_field(&b, SIG_T_SEALED,
	    m->sealed, m->sealed_len)) != 0)
		return r;
	if (SIG_HAS(m, SIG_T_MOVEPROOF) && (r = put_field(&b,
	    SIG_T_MOVEPROOF, m->moveproof, sizeof(m->moveproof))) != 0)
		return r;
	if (b.len > SIG_MSG_MAX)
		return E2_ERR_TOOBIG;
	*outlenp = b.len;
	return 0;
}

int
sigmsg_encode(const struct sigmsg *m, uint8_t *out, size_t outcap,
    size_t *outlenp)
{
	return encode_with(m, &outer, out, outcap, outlenp);
}

int
sigmsg_encode_inner(const struct sigmsg *m, uint8_t *out, size_t outcap,
    size_t *outlenp)
{
	return encode_with(m, &inner, out, outcap, outlenp);
}

void
sigmsg_set_moveproof(struct sigmsg *m, const uint8_t p[64])
{
	memcpy(m->moveproof, p, sizeof(m->moveproof));
	m->fields |= F(SIG_T_MOVEPROOF);
}

int
sigmsg_set_sealed(struct sigmsg *m, const uint8_t *p, size_t len)
{
	if (m == NULL || p == NULL)
		return E2_ERR_INVAL;
	if (len < SIG_SEALED_MIN || len > SIG_SEALED_MAX)
		return E2_ERR_TOOBIG;
	memcpy(m->sealed, p, len);
	m->sealed_len = (uint16_t)len;
	m->fields |= F(SIG_T_SEALED);
	return 0;
}

static int
get_cand(struct sigmsg *m, const uint8_t *v, size_t len)
{
	struct sig_cand *c;
	size_t alen;

	if (m->ncand >= SIG_CAND_MAX)
		return E2_ERR_MALFORMED;
	if (len != CAND_LEN4 && len != CAND_LEN6)
		return E2_ERR_MALFORMED;
	c = &m->cand[m->ncand];
	memset(c, 0, sizeof(*c));
	c->kind = v[0];
	c->family = v[1];
	alen = len - 4;
	if ((c->family == 4 && alen != 4) || (c->family == 6 && alen != 16))
		return E2_ERR_MALFORMED;
	memcpy(c->addr, v + 2, alen);
	c->port = (uint16_t)((v[2 + alen] << 8) | v[3 + alen]);
	if (!cand_ok(c))
		return E2_ERR_MALFORMED;
	m->ncand++;
	return 0;
}

/* Checks and stores the value of a known tag that is allowed for m. */
static int
get_field(struct sigmsg *m, uint8_t tag, const uint8_t *v, size_t len)
{
	size_t i;

	switch (tag) {
	case SIG_T_CALL:
		if (len != 8)
			return E2_ERR_MALFORMED;
		m->call = 0;
		for (i = 0; i < 8; i++)
			m->call = (m->call << 8) | v[i];
		return 0;
	case SIG_T_NAME:
		if (len == 0 || len > SIG_NAME_MAX)
			return E2_ERR_MALFORMED;
		memcpy(m->name, v, len);
		m->name[len] = '\0';
		return sigmsg_name_ok(m->name) && strlen(m->name) == len ?
		    0 : E2_ERR_MALFORMED;
	case SIG_T_E2E:
		if (len == 0 || len > SIG_E2E_MAX)
			return E2_ERR_MALFORMED;
		memcpy(m->e2e, v, len);
		m->e2e_len = (uint16_t)len;
		return 0;
	case SIG_T_CAND:
		return get_cand(m, v, len);
	case SIG_T_REASON:
		if (len != 1 || v[0] > SIG_R_MAX)
			return E2_ERR_MALFORMED;
		m->reason = v[0];
		return 0;
	case SIG_T_TEXT:
		if (!text_ok(v, len))
			return E2_ERR_MALFORMED;
		if (len > 0)
			memcpy(m->text, v, len);
		m->text[len] = '\0';
		return 0;
	case SIG_T_VERSION:
		if (len != 1 || v[0] == 0)
			return E2_ERR_MALFORMED;
		m->version = v[0];
		return 0;
	case SIG_T_RELAY:
		if (len != 8 + SIG_RELAY_KEYLEN)
			return E2_ERR_MALFORMED;
		m->relay_leg = 0;
		for (i = 0; i < 8; i++)
			m->relay_leg = (m->relay_leg << 8) | v[i];
		memcpy(m->relay_key, v + 8, SIG_RELAY_KEYLEN);
		return 0;
	case SIG_T_SEALED:
		if (len < SIG_SEALED_MIN || len > SIG_SEALED_MAX)
			return E2_ERR_MALFORMED;
		memcpy(m->sealed, v, len);
		m->sealed_len = (uint16_t)len;
		return 0;
	case SIG_T_MOVEPROOF:
		if (len != sizeof(m->moveproof))
			return E2_ERR_MALFORMED;
		memcpy(m->moveproof, v, len);
		return 0;
	}
	return E2_ERR_MALFORMED;
}

static int
decode_with(struct sigmsg *m, const struct sig_table *t, const uint8_t *in,
    size_t len)
{
	const struct sig_type_desc *d;
	const uint8_t *v;
	struct buf b;
	uint16_t vlen;
	uint8_t type, tag;
	int r;

	if (m == NULL || (in == NULL && len > 0))
		return E2_ERR_INVAL;
	if (len > SIG_MSG_MAX)
		return E2_ERR_TOOBIG;
	memset(m, 0, sizeof(*m));
	buf_init_read(&b, in, len);
	if (buf_get_u8(&b, &type) != 0)
		return E2_ERR_MALFORMED;
	if ((d = type_find(t, type)) == NULL)
		return E2_ERR_UNSUPPORTED;
	m->type = type;

	while (buf_left(&b) > 0) {
		if (buf_get_u8(&b, &tag) != 0 ||
		    buf_get_u16(&b, &vlen) != 0 ||
		    buf_get_ptr(&b, &v, vlen) != 0)
			return E2_ERR_MALFORMED;
		if (tag >= SIG_T_EXT)
			continue;
		if (tag >= 32 || (F(tag) & F_KNOWN) == 0)
			return E2_ERR_MALFORMED;
		if ((F(tag) & (d->required | d->optional)) == 0)
			return E2_ERR_MALFORMED;
		if (tag != SIG_T_CAND && SIG_HAS(m, tag))
			return E2_ERR_MALFORMED;
		if ((r = get_field(m, tag, v, vlen)) != 0)
			return r;
		m->fields |= F(tag);
	}
	if ((m->fields & d->required) != d->required || !grant_ok(m))
		return E2_ERR_MALFORMED;
	return buf_expect_end(&b);
}

int
sigmsg_decode(struct sigmsg *m, const uint8_t *in, size_t len)
{
	return decode_with(m, &outer, in, len);
}

int
sigmsg_decode_inner(struct sigmsg *m, const uint8_t *in, size_t len)
{
	return decode_with(m, &inner, in, len);
}

const char *
sigmsg_type_name(uint8_t type)
{
	const struct sig_type_desc *d;

	return (d = type_find(&outer, type)) != NULL ? d->name : "invalid";
}

const char *
sig_reason_name(uint8_t reason)
{
	return reason <= SIG_R_MAX ? sig_reasons[reason] : "invalid";
}

/*
 * Code points that must not reach a terminal or a log: C0 controls, DEL,
 * C1 controls, the line and paragraph separators and the bidirectional
 * embeddings, overrides and isolates (which can make text read backwards).
 */
static int
unsafe_cp(uint32_t cp)
{
	return cp < 0x20 || cp == 0x7f ||
	    (cp >= 0x80 && cp <= 0x9f) ||
	    cp == 0x2028 || cp == 0x2029 ||
	    (cp >= 0x202a && cp <= 0x202e) ||
	    (cp >= 0x2066 && cp <= 0x2069);
}

/*
 * Each invalid byte and each unsafe code point becomes one '?'; valid
 * multi-byte characters are kept whole or, when they do not fit, the
 * output ends before them.
 */
void
sanitize_str(const char *in, char *out, size_t outcap)
{
	const uint8_t *p = (const uint8_t *)in;
	size_t i, n, o = 0, k, w;
	uint32_t cp;
	int keep;

	if (out == NULL || outcap == 0)
		return;
	n = in != NULL ? strlen(in) : 0;
	for (i = 0; i < n; i += k) {
		if ((k = utf8_next(p + i, n - i, &cp)) == 0) {
			k = 1;
			keep = 0;
		} else
			keep = !unsafe_cp(cp);
		w = keep ? k : 1;
		if (w > outcap - 1 - o)
			break;
		if (keep)
			memcpy(out + o, p + i, k);
		else
			out[o] = '?';
		o += w;
	}
	out[o] = '\0';
}
