/*
 * conf.c - parsers for e2call's text files; see conf.h.  Pure: the caller
 * hands in the file's bytes, nothing here opens or prints anything.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>	/* snprintf only */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "conf.h"
#include "err.h"

#define CONF_MAX_FIELDS	1024	/* sanity cap on maxf */
#define DISP_MAX	40	/* characters of user text quoted in errors */

static int
is_ws(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\v' ||
	    ch == '\f';
}

/*
 * Copies up to n bytes of user text into out for quoting in a message:
 * non-printable bytes become '?', long text is cut with "...".
 */
static const char *
disp(char *out, size_t cap, const char *s, size_t n)
{
	size_t i, o = 0;

	for (i = 0; i < n && o + 4 < cap && i < DISP_MAX; i++) {
		unsigned char ch = (unsigned char)s[i];

		out[o++] = (ch >= 0x20 && ch < 0x7f) ? (char)ch : '?';
	}
	if (i < n && o + 3 < cap) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
	return out;
}

/* Decimal digits only, no sign, at most 9 of them. */
static int
parse_uint(const char *s, unsigned *vp)
{
	unsigned v = 0;
	size_t n = 0;

	if (*s == '\0')
		return E2_ERR_MALFORMED;
	for (; *s != '\0'; s++, n++) {
		if (*s < '0' || *s > '9' || n >= 9)
			return E2_ERR_MALFORMED;
		v = v * 10 + (unsigned)(*s - '0');
	}
	*vp = v;
	return 0;
}

int
conf_valid_name(const char *s)
{
	size_t i;

	if (s == NULL || !((s[0] >= 'a' && s[0] <= 'z') ||
	    (s[0] >= '0' && s[0] <= '9')))
		return 0;
	for (i = 0; s[i] != '\0'; i++) {
		char ch = s[i];

		if (i >= 32)
			return 0;
		if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
		    ch == '.' || ch == '_' || ch == '-'))
			return 0;
	}
	return 1;
}

static int
host_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    (ch >= '0' && ch <= '9') || ch == '.' || ch == '-' || ch == '_';
}

static int
v6_char(char ch)
{
	return (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F') ||
	    (ch >= '0' && ch <= '9') || ch == ':' || ch == '.';
}

int
conf_parse_hostport(const char *s, char *host, size_t hostcap,
    unsigned *portp, char *err, size_t errlen)
{
	const char *h, *he, *colon, *p;
	unsigned port;
	size_t hlen;
	int has_colon = 0;

	if (s[0] == '[') {
		h = s + 1;
		if ((he = strchr(h, ']')) == NULL) {
			e2_seterr(err, errlen, "missing ']' after IPv6 address");
			return E2_ERR_MALFORMED;
		}
		for (p = h; p < he; p++) {
			if (!v6_char(*p)) {
				e2_seterr(err, errlen, "bad character in IPv6 "
				    "address");
				return E2_ERR_MALFORMED;
			}
			if (*p == ':')
				has_colon = 1;
		}
		if (he == h || !has_colon) {
			e2_seterr(err, errlen, "empty or bad IPv6 address in "
			    "brackets");
			return E2_ERR_MALFORMED;
		}
		colon = he + 1;
		if (*colon != ':') {
			e2_seterr(err, errlen, "expected ':PORT' after ']'");
			return E2_ERR_MALFORMED;
		}
	} else {
		h = s;
		if ((colon = strrchr(s, ':')) == NULL) {
			e2_seterr(err, errlen, "expected HOST:PORT");
			return E2_ERR_MALFORMED;
		}
		he = colon;
		if (memchr(h, ':', (size_t)(he - h)) != NULL) {
			e2_seterr(err, errlen, "an IPv6 address goes in "
			    "brackets, as in [::1]:PORT");
			return E2_ERR_MALFORMED;
		}
		if (he == h) {
			e2_seterr(err, errlen, "empty host in HOST:PORT");
			return E2_ERR_MALFORMED;
		}
		if (*h == '.' || *h == '-') {
			e2_seterr(err, errlen, "host must start with a letter "
			    "or digit");
			return E2_ERR_MALFORMED;
		}
		for (p = h; p < he; p++) {
			if (!host_char(*p)) {
				e2_seterr(err, errlen, "bad character in host "
				    "name");
				return E2_ERR_MALFORMED;
			}
		}
	}
	hlen = (size_t)(he - h);
	if (hlen > 253) {
		e2_seterr(err, errlen, "host name too long");
		return E2_ERR_MALFORMED;
	}
	if (parse_uint(colon + 1, &port) != 0 || port < 1 || port > 65535) {
		e2_seterr(err, errlen, "port must be a number from 1 to 65535");
		return E2_ERR_MALFORMED;
	}
	if (host != NULL) {
		if (hlen >= hostcap) {
			e2_seterr(err, errlen, "host name too long");
			return E2_ERR_MALFORMED;
		}
		memcpy(host, h, hlen);
		host[hlen] = '\0';
	}
	if (portp != NULL)
		*portp = port;
	return 0;
}

void
config_defaults(struct config *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->audio, sizeof(c->audio), "alsa");
	snprintf(c->capture, sizeof(c->capture), "default");
	snprintf(c->playback, sizeof(c->playback), "default");
	c->frame_ms = 20;
	c->bitrate = 24000;
	c->ring_timeout = 45;
}

enum ckind {		/* string kinds first, up to CK_DEVICE */
	CK_HOSTPORT,
	CK_NAME,
	CK_AUDIO,
	CK_DEVICE,
	CK_FRAME_MS,
	CK_BITRATE,
	CK_RING,
	CK_BOOL,
};

struct ckey {
	const char	*key;
	enum ckind	 kind;
	size_t		 off;
	size_t		 size;		/* string fields: capacity */
};

#define FIELD(f)	offsetof(struct config, f), \
			sizeof(((struct config *)0)->f)

static const struct ckey ckeys[] = {
	{ "server",	  CK_HOSTPORT,	FIELD(server) },
	{ "name",	  CK_NAME,	FIELD(name) },
	{ "stun",	  CK_HOSTPORT,	FIELD(stun) },
	{ "audio",	  CK_AUDIO,	FIELD(audio) },
	{ "capture",	  CK_DEVICE,	FIELD(capture) },
	{ "playback",	  CK_DEVICE,	FIELD(playback) },
	{ "frame_ms",	  CK_FRAME_MS,	FIELD(frame_ms) },
	{ "bitrate",	  CK_BITRATE,	FIELD(bitrate) },
	{ "ring_timeout", CK_RING,	FIELD(ring_timeout) },
	{ "relay_only",	  CK_BOOL,	FIELD(relay_only) },
};
#define NCKEYS	(sizeof(ckeys) / sizeof(ckeys[0]))

/* Checks v for key k and stores it in c; why in err on failure. */
static int
set_value(struct config *c, const struct ckey *k, const char *v, char *err,
    size_t errlen)
{
	char *dst = (char *)c + k->off;
	char why[128];
	unsigned u;
	size_t i;

	switch (k->kind) {
	case CK_HOSTPORT:
		if (conf_parse_hostport(v, NULL, 0, NULL, why,
		    sizeof(why)) != 0) {
			e2_seterr(err, errlen, "%s", why);
			return E2_ERR_MALFORMED;
		}
		break;
	case CK_NAME:
		if (!conf_valid_name(v)) {
			e2_seterr(err, errlen, "a name is 1 to 32 characters of "
			    "a-z, 0-9, '.', '_', '-', starting with a letter "
			    "or digit");
			return E2_ERR_MALFORMED;
		}
		break;
	case CK_AUDIO:
		if (strcmp(v, "alsa") != 0 && strcmp(v, "file") != 0 &&
		    strcmp(v, "null") != 0) {
			e2_seterr(err, errlen, "expected alsa, file or null");
			return E2_ERR_MALFORMED;
		}
		break;
	case CK_DEVICE:
		for (i = 0; v[i] != '\0'; i++) {
			unsigned char ch = (unsigned char)v[i];

			if (ch < 0x20 || ch >= 0x7f) {
				e2_seterr(err, errlen, "device names are "
				    "printable ASCII");
				return E2_ERR_MALFORMED;
			}
		}
		break;
	case CK_FRAME_MS:
		if (parse_uint(v, &u) != 0 || (u != 10 && u != 20)) {
			e2_seterr(err, errlen, "expected 10 or 20");
			return E2_ERR_MALFORMED;
		}
		c->frame_ms = u;
		return 0;
	case CK_BITRATE:
		if (parse_uint(v, &u) != 0 || u < 6000 || u > 128000) {
			e2_seterr(err, errlen, "expected bits per second from "
			    "6000 to 128000");
			return E2_ERR_MALFORMED;
		}
		c->bitrate = u;
		return 0;
	case CK_RING:
		if (parse_uint(v, &u) != 0 || u < 5 || u > 600) {
			e2_seterr(err, errlen, "expected seconds from 5 to 600");
			return E2_ERR_MALFORMED;
		}
		c->ring_timeout = u;
		return 0;
	case CK_BOOL:
		if (strcmp(v, "yes") != 0 && strcmp(v, "no") != 0) {
			e2_seterr(err, errlen, "expected yes or no");
			return E2_ERR_MALFORMED;
		}
		*(int *)(void *)dst = strcmp(v, "yes") == 0;
		return 0;
	}
	/* String fields: length was checked by the caller. */
	memcpy(dst, v, strlen(v) + 1);
	return 0;
}

static int
parse_line(struct config *c, size_t seen[NCKEYS], size_t lineno,
    const char *s, const char *e, char *err, size_t errlen)
{
	const struct ckey *k = NULL;
	const char *eq, *ke, *v, *ve, *p;
	char val[256], why[192], d[DISP_MAX + 8];
	size_t i, klen, vlen;

	while (s < e && is_ws(*s))
		s++;
	while (e > s && is_ws(e[-1]))
		e--;
	if (s == e || *s == '#')
		return 0;
	if ((eq = memchr(s, '=', (size_t)(e - s))) == NULL) {
		e2_seterr(err, errlen, "line %zu: expected 'key = value', found "
		    "'%s'", lineno, disp(d, sizeof(d), s, (size_t)(e - s)));
		return E2_ERR_MALFORMED;
	}
	for (ke = eq; ke > s && is_ws(ke[-1]); ke--)
		;
	klen = (size_t)(ke - s);
	if (klen == 0) {
		e2_seterr(err, errlen, "line %zu: missing key before '='", lineno);
		return E2_ERR_MALFORMED;
	}
	for (i = 0; i < NCKEYS; i++) {
		if (strlen(ckeys[i].key) == klen &&
		    memcmp(ckeys[i].key, s, klen) == 0) {
			k = &ckeys[i];
			break;
		}
	}
	if (k == NULL) {
		e2_seterr(err, errlen, "line %zu: unknown key '%s'", lineno,
		    disp(d, sizeof(d), s, klen));
		return E2_ERR_MALFORMED;
	}
	if (seen[i] != 0) {
		e2_seterr(err, errlen, "line %zu: '%s' is set twice (first on "
		    "line %zu)", lineno, k->key, seen[i]);
		return E2_ERR_MALFORMED;
	}
	seen[i] = lineno;

	for (v = eq + 1; v < e && is_ws(*v); v++)
		;
	/* A '#' after whitespace starts a trailing comment. */
	for (ve = v, p = v; p < e; p++) {
		if (*p == '#' && (p == v || is_ws(p[-1])))
			break;
		ve = p + 1;
	}
	while (ve > v && is_ws(ve[-1]))
		ve--;
	vlen = (size_t)(ve - v);
	if (vlen == 0) {
		e2_seterr(err, errlen, "line %zu: missing value for '%s'",
		    lineno, k->key);
		return E2_ERR_MALFORMED;
	}
	if (vlen >= sizeof(val) || (k->kind <= CK_DEVICE && vlen >= k->size)) {
		e2_seterr(err, errlen, "line %zu: value for '%s' is too long",
		    lineno, k->key);
		return E2_ERR_MALFORMED;
	}
	memcpy(val, v, vlen);
	val[vlen] = '\0';
	if (set_value(c, k, val, why, sizeof(why)) != 0) {
		e2_seterr(err, errlen, "line %zu: bad %s '%s': %s", lineno,
		    k->key, disp(d, sizeof(d), val, vlen), why);
		return E2_ERR_MALFORMED;
	}
	return 0;
}

int
config_parse(struct config *c, const char *text, size_t len, char *err,
    size_t errlen)
{
	struct config tmp = *c;
	size_t seen[NCKEYS];
	size_t pos = 0, lineno = 0, llen;
	const char *line, *nl;
	int rc;

	memset(seen, 0, sizeof(seen));
	while (pos < len) {
		line = text + pos;
		nl = memchr(line, '\n', len - pos);
		llen = nl != NULL ? (size_t)(nl - line) : len - pos;
		pos += llen + (nl != NULL);
		lineno++;
		if (memchr(line, '\0', llen) != NULL) {
			e2_seterr(err, errlen, "line %zu: NUL byte in text",
			    lineno);
			return E2_ERR_MALFORMED;
		}
		rc = parse_line(&tmp, seen, lineno, line, line + llen, err,
		    errlen);
		if (rc != 0)
			return rc;
	}
	*c = tmp;
	return 0;
}

int
conf_each_line(const char *text, size_t len, size_t maxf,
    int (*fn)(void *arg, size_t lineno, char **f, size_t nf, char *err,
    size_t errlen), void *arg, char *err, size_t errlen)
{
	char *copy = NULL, **f = NULL, *p, *s, *e, *nl;
	char msg[256];
	size_t lineno = 0, left, llen, nf;
	int rc = 0;

	if (maxf == 0 || maxf > CONF_MAX_FIELDS || fn == NULL ||
	    (text == NULL && len != 0)) {
		e2_seterr(err, errlen, "conf_each_line: bad arguments");
		return E2_ERR_INVAL;
	}
	if (len == SIZE_MAX || (copy = malloc(len + 1)) == NULL ||
	    (f = calloc(maxf, sizeof(*f))) == NULL) {
		e2_seterr(err, errlen, "out of memory");
		rc = E2_ERR_NOMEM;
		goto out;
	}
	if (len != 0)
		memcpy(copy, text, len);
	copy[len] = '\0';

	for (p = copy, left = len; left > 0; ) {
		nl = memchr(p, '\n', left);
		llen = nl != NULL ? (size_t)(nl - p) : left;
		lineno++;
		if (memchr(p, '\0', llen) != NULL) {
			e2_seterr(err, errlen, "line %zu: NUL byte in text",
			    lineno);
			rc = E2_ERR_MALFORMED;
			goto out;
		}
		s = p;
		e = p + llen;
		left -= llen + (nl != NULL);
		p = e + (nl != NULL);

		while (e > s && is_ws(e[-1]))
			e--;
		*e = '\0';
		while (is_ws(*s))
			s++;
		if (*s == '\0' || *s == '#')
			continue;
		nf = 0;
		while (*s != '\0') {
			f[nf++] = s;
			if (nf == maxf)
				break;	/* the last field keeps the rest */
			while (*s != '\0' && !is_ws(*s))
				s++;
			if (*s != '\0') {
				*s++ = '\0';
				while (is_ws(*s))
					s++;
			}
		}
		msg[0] = '\0';
		if ((rc = fn(arg, lineno, f, nf, msg, sizeof(msg))) != 0) {
			e2_seterr(err, errlen, "line %zu: %s", lineno,
			    msg[0] != '\0' ? msg : e2_strerror(rc));
			goto out;
		}
	}
out:
	if (copy != NULL) {
		sodium_memzero(copy, len + 1);
		free(copy);
	}
	free(f);
	return rc;
}
