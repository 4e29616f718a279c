/*
 * json.c - a small, strict JSON reader; see json.h.
 *
 * A recursive descent parser over a bounded cursor.  Recursion is limited
 * to JSON_MAX_DEPTH levels; sibling lists are built and freed iteratively.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

struct parser {
	const char	*p;
	size_t		 len;
	size_t		 off;
	char		*err;
	size_t		 errlen;
	int		 failed;
};

static int	parse_value(struct parser *ps, struct json *j, int depth);

static int
fail(struct parser *ps, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (ps->failed)
		return -1;
	ps->failed = 1;
	if (ps->err == NULL || ps->errlen == 0)
		return -1;
	n = snprintf(ps->err, ps->errlen, "offset %zu: ", ps->off);
	if (n >= 0 && (size_t)n < ps->errlen) {
		va_start(ap, fmt);
		vsnprintf(ps->err + n, ps->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static void
skip_ws(struct parser *ps)
{
	while (ps->off < ps->len) {
		switch (ps->p[ps->off]) {
		case ' ':
		case '\t':
		case '\n':
		case '\r':
			ps->off++;
			break;
		default:
			return;
		}
	}
}

static int
peek(const struct parser *ps)
{
	return ps->off < ps->len ? (unsigned char)ps->p[ps->off] : -1;
}

static int
literal(struct parser *ps, const char *word)
{
	size_t n = strlen(word);

	if (ps->len - ps->off < n || memcmp(ps->p + ps->off, word, n) != 0)
		return fail(ps, "invalid literal");
	ps->off += n;
	return 0;
}

/* Appends code point cp as UTF-8. */
static size_t
put_utf8(char *o, uint32_t cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | (cp >> 12));
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | (cp >> 18));
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

static int
hex4(struct parser *ps, uint32_t *vp)
{
	uint32_t v = 0;
	int i, c;

	if (ps->len - ps->off < 4)
		return fail(ps, "short \\u escape");
	for (i = 0; i < 4; i++) {
		c = (unsigned char)ps->p[ps->off + i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (uint32_t)(c - 'A' + 10);
		else
			return fail(ps, "bad hex digit in \\u escape");
	}
	ps->off += 4;
	*vp = v;
	return 0;
}

/* Length of a valid UTF-8 sequence at s (at most left bytes), or 0. */
static size_t
utf8_len(const unsigned char *s, size_t left)
{
	uint32_t cp;
	size_t n, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (left < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/*
 * A string starting at the opening quote.  The output is never longer
 * than the input (every escape is at least as long as its UTF-8).
 */
static int
parse_string(struct parser *ps, char **sp, size_t *lenp)
{
	const unsigned char *s;
	uint32_t cp, lo;
	size_t start, n, o = 0;
	char *out;
	int c;

	ps->off++;	/* '"' */
	start = ps->off;
	for (n = start; n < ps->len && ps->p[n] != '"'; n++)
		if (ps->p[n] == '\\')
			n++;
	if ((out = malloc(n - start + 1)) == NULL)
		return fail(ps, "out of memory");
	for (;;) {
		if (ps->off >= ps->len) {
			free(out);
			return fail(ps, "unterminated string");
		}
		s = (const unsigned char *)ps->p + ps->off;
		c = s[0];
		if (c == '"') {
			ps->off++;
			break;
		}
		if (c < 0x20) {
			free(out);
			return fail(ps, "control character in string");
		}
		if (c != '\\') {
			if ((n = utf8_len(s, ps->len - ps->off)) == 0) {
				free(out);
				return fail(ps, "invalid UTF-8");
			}
			memcpy(out + o, s, n);
			o += n;
			ps->off += n;
			continue;
		}
		if (ps->off + 1 >= ps->len) {
			free(out);
			return fail(ps, "unterminated escape");
		}
		c = s[1];
		ps->off += 2;
		switch (c) {
		case '"':	out[o++] = '"'; break;
		case '\\':	out[o++] = '\\'; break;
		case '/':	out[o++] = '/'; break;
		case 'b':	out[o++] = '\b'; break;
		case 'f':	out[o++] = '\f'; break;
		case 'n':	out[o++] = '\n'; break;
		case 'r':	out[o++] = '\r'; break;
		case 't':	out[o++] = '\t'; break;
		case 'u':
			if (hex4(ps, &cp) != 0) {
				free(out);
				return -1;
			}
			if (cp >= 0xdc00 && cp <= 0xdfff) {
				free(out);
				return fail(ps, "lone low surrogate");
			}
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (ps->len - ps->off < 2 ||
				    ps->p[ps->off] != '\\' ||
				    ps->p[ps->off + 1] != 'u') {
					free(out);
					return fail(ps, "lone high surrogate");
				}
				ps->off += 2;
				if (hex4(ps, &lo) != 0) {
					free(out);
					return -1;
				}
				if (lo < 0xdc00 || lo > 0xdfff) {
					free(out);
					return fail(ps, "bad low surrogate");
				}
				cp = 0x10000 + ((cp - 0xd800) << 10) +
				    (lo - 0xdc00);
			}
			o += put_utf8(out + o, cp);
			break;
		default:
			free(out);
			return fail(ps, "bad escape \\%c", c);
		}
	}
	out[o] = '\0';
	*sp = out;
	*lenp = o;
	return 0;
}

static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int
parse_number(struct parser *ps, double *vp)
{
	size_t start = ps->off;
	char tmp[64], *end;

	if (peek(ps) == '-')
		ps->off++;
	if (peek(ps) == '0') {
		ps->off++;
	} else if (is_digit(peek(ps))) {
		while (is_digit(peek(ps)))
			ps->off++;
	} else
		return fail(ps, "bad number");
	if (peek(ps) == '.') {
		ps->off++;
		if (!is_digit(peek(ps)))
			return fail(ps, "bad fraction");
		while (is_digit(peek(ps)))
			ps->off++;
	}
	if (peek(ps) == 'e' || peek(ps) == 'E') {
		ps->off++;
		if (peek(ps) == '+' || peek(ps) == '-')
			ps->off++;
		if (!is_digit(peek(ps)))
			return fail(ps, "bad exponent");
		while (is_digit(peek(ps)))
			ps->off++;
	}
	if (ps->off - start >= sizeof(tmp))
		return fail(ps, "number too long");
	memcpy(tmp, ps->p + start, ps->off - start);
	tmp[ps->off - start] = '\0';
	*vp = strtod(tmp, &end);
	return 0;
}

static struct json *
node_new(struct parser *ps)
{
	struct json *j;

	if ((j = calloc(1, sizeof(*j))) == NULL)
		fail(ps, "out of memory");
	return j;
}

static int
parse_array(struct parser *ps, struct json *j, int depth)
{
	struct json **tail = &j->child, *e;

	ps->off++;	/* '[' */
	skip_ws(ps);
	if (peek(ps) == ']') {
		ps->off++;
		return 0;
	}
	for (;;) {
		if ((e = node_new(ps)) == NULL)
			return -1;
		*tail = e;
		tail = &e->next;
		j->n++;
		if (parse_value(ps, e, depth + 1) != 0)
			return -1;
		skip_ws(ps);
		if (peek(ps) == ',') {
			ps->off++;
			continue;
		}
		if (peek(ps) == ']') {
			ps->off++;
			return 0;
		}
		return fail(ps, "expected ',' or ']'");
	}
}

static int
parse_object(struct parser *ps, struct json *j, int depth)
{
	struct json **tail = &j->child, *m, *prev;

	ps->off++;	/* '{' */
	skip_ws(ps);
	if (peek(ps) == '}') {
		ps->off++;
		return 0;
	}
	for (;;) {
		skip_ws(ps);
		if (peek(ps) != '"')
			return fail(ps, "expected a member name");
		if ((m = node_new(ps)) == NULL)
			return -1;
		*tail = m;
		tail = &m->next;
		j->n++;
		if (parse_string(ps, &m->key, &m->keylen) != 0)
			return -1;
		for (prev = j->child; prev != m; prev = prev->next) {
			if (prev->keylen == m->keylen &&
			    memcmp(prev->key, m->key, m->keylen) == 0)
				return fail(ps, "duplicate key \"%s\"",
				    m->key);
		}
		skip_ws(ps);
		if (peek(ps) != ':')
			return fail(ps, "expected ':'");
		ps->off++;
		if (parse_value(ps, m, depth + 1) != 0)
			return -1;
		skip_ws(ps);
		if (peek(ps) == ',') {
			ps->off++;
			continue;
		}
		if (peek(ps) == '}') {
			ps->off++;
			return 0;
		}
		return fail(ps, "expected ',' or '}'");
	}
}

static int
parse_value(struct parser *ps, struct json *j, int depth)
{
	int c;

	if (depth > JSON_MAX_DEPTH)
		return fail(ps, "nested deeper than %d", JSON_MAX_DEPTH);
	skip_ws(ps);
	switch ((c = peek(ps))) {
	case '{':
		j->type = JSON_OBJECT;
		return parse_object(ps, j, depth);
	case '[':
		j->type = JSON_ARRAY;
		return parse_array(ps, j, depth);
	case '"':
		j->type = JSON_STRING;
		return parse_string(ps, &j->str, &j->len);
	case 't':
		j->type = JSON_TRUE;
		return literal(ps, "true");
	case 'f':
		j->type = JSON_FALSE;
		return literal(ps, "false");
	case 'n':
		j->type = JSON_NULL;
		return literal(ps, "null");
	case -1:
		return fail(ps, "unexpected end of input");
	default:
		if (c == '-' || is_digit(c)) {
			j->type = JSON_NUMBER;
			return parse_number(ps, &j->num);
		}
		return fail(ps, "unexpected character 0x%02x", c);
	}
}

int
json_parse(const char *text, size_t len, struct json **rootp, char *err,
    size_t errlen)
{
	struct parser ps;
	struct json *root;

	memset(&ps, 0, sizeof(ps));
	ps.p = text;
	ps.len = len;
	ps.err = err;
	ps.errlen = errlen;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	*rootp = NULL;
	if (text == NULL || len > JSON_MAX_INPUT)
		return fail(&ps, "input missing or too long");
	if ((root = node_new(&ps)) == NULL)
		return -1;
	if (parse_value(&ps, root, 1) != 0) {
		json_free(root);
		return -1;
	}
	skip_ws(&ps);
	if (ps.off != ps.len) {
		json_free(root);
		return fail(&ps, "trailing bytes after the value");
	}
	*rootp = root;
	return 0;
}

void
json_free(struct json *j)
{
	struct json *next;

	while (j != NULL) {
		next = j->next;
		json_free(j->child);	/* depth bounded by the parser */
		free(j->key);
		free(j->str);
		free(j);
		j = next;
	}
}

const struct json *
json_get(const struct json *o, const char *key)
{
	const struct json *m;
	size_t n;

	if (o == NULL || o->type != JSON_OBJECT || key == NULL)
		return NULL;
	n = strlen(key);
	for (m = o->child; m != NULL; m = m->next)
		if (m->keylen == n && memcmp(m->key, key, n) == 0)
			return m;
	return NULL;
}

const struct json *
json_at(const struct json *a, size_t i)
{
	const struct json *e;

	if (a == NULL || a->type != JSON_ARRAY)
		return NULL;
	for (e = a->child; e != NULL && i > 0; e = e->next)
		i--;
	return e;
}

const char *
json_type_name(enum json_type t)
{
	switch (t) {
	case JSON_NULL:		return "null";
	case JSON_FALSE:	return "false";
	case JSON_TRUE:		return "true";
	case JSON_NUMBER:	return "number";
	case JSON_STRING:	return "string";
	case JSON_ARRAY:	return "array";
	case JSON_OBJECT:	return "object";
	}
	return "?";
}
