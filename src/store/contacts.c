/*
 * contacts.c - pinned keys of people and servers; see contacts.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "atomic.h"
#include "conf.h"
#include "contacts.h"
#include "err.h"
#include "keyfile.h"

#define PINS_FILE_MAX	(8u << 20)	/* tens of thousands of entries */
#define PINS_MAX	100000
#define PIN_TIME_MAX	253402300799LL	/* 9999-12-31T23:59:59Z */
#define PINS_HEADER \
	"# e2call pinned keys: NAME PUBLIC-KEY new|verified FIRST-SEEN\n" \
	"# (FIRST-SEEN in seconds since 1970-01-01 UTC)\n"

struct pins {
	char		*path;
	struct pin	*v;
	size_t		 n;
	size_t		 cap;
};

/*
 * A pinned name: 1..PIN_NAME_MAX printable ASCII characters without
 * spaces, not starting with '#'.
 */
int
pin_name_ok(const char *name)
{
	size_t i;

	if (name == NULL || name[0] == '\0' || name[0] == '#')
		return 0;
	for (i = 0; name[i] != '\0'; i++)
		if (i >= PIN_NAME_MAX || (unsigned char)name[i] <= 0x20 ||
		    (unsigned char)name[i] >= 0x7f)
			return 0;
	return 1;
}

static struct pin *
find(const struct pins *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		if (strcmp(p->v[i].name, name) == 0)
			return &p->v[i];
	return NULL;
}

static struct pin *
append(struct pins *p)
{
	struct pin *nv;
	size_t ncap;

	if (p->n >= PINS_MAX)
		return NULL;
	if (p->n == p->cap) {
		ncap = p->cap != 0 ? p->cap * 2 : 16;
		if ((nv = realloc(p->v, ncap * sizeof(*nv))) == NULL)
			return NULL;
		p->v = nv;
		p->cap = ncap;
	}
	memset(&p->v[p->n], 0, sizeof(p->v[0]));
	return &p->v[p->n++];
}

/* Decimal digits only, 0..PIN_TIME_MAX. */
static int
parse_time(const char *s, long long *tp)
{
	long long t = 0;
	size_t i;

	if (s[0] == '\0')
		return E2_ERR_MALFORMED;
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9' || i >= 12)
			return E2_ERR_MALFORMED;
		t = t * 10 + (s[i] - '0');
	}
	if (t > PIN_TIME_MAX)
		return E2_ERR_MALFORMED;
	*tp = t;
	return 0;
}

struct load_state {
	struct pins	*p;
	size_t		 lineno;
};

static int
load_line(void *arg, size_t lineno, char **f, size_t nf, char *err,
    size_t errlen)
{
	struct load_state *ls = arg;
	struct pin *e;
	uint8_t pub[32];
	long long t;
	int verified;

	ls->lineno = lineno;
	if (nf != 4) {
		e2_seterr(err, errlen, "expected 4 fields (NAME KEY new|verified "
		    "TIME), found %s", nf < 4 ? "fewer" : "more");
		return E2_ERR_CORRUPT;
	}
	if (!pin_name_ok(f[0])) {
		e2_seterr(err, errlen, "bad name (printable ASCII, at most %d "
		    "characters)", PIN_NAME_MAX);
		return E2_ERR_CORRUPT;
	}
	if (pubkey_from_b64(f[1], pub) != 0) {
		e2_seterr(err, errlen, "bad key for '%.40s' (expected 44 characters "
		    "of base64)", f[0]);
		return E2_ERR_CORRUPT;
	}
	if (strcmp(f[2], "verified") == 0)
		verified = 1;
	else if (strcmp(f[2], "new") == 0)
		verified = 0;
	else {
		e2_seterr(err, errlen, "bad status for '%.40s' (expected 'new' or "
		    "'verified')", f[0]);
		return E2_ERR_CORRUPT;
	}
	if (parse_time(f[3], &t) != 0) {
		e2_seterr(err, errlen, "bad first-seen time for '%.40s' (expected "
		    "seconds since 1970)", f[0]);
		return E2_ERR_CORRUPT;
	}
	if (find(ls->p, f[0]) != NULL) {
		e2_seterr(err, errlen, "'%.40s' is listed twice", f[0]);
		return E2_ERR_CORRUPT;
	}
	if ((e = append(ls->p)) == NULL) {
		e2_seterr(err, errlen, "too many entries (at most %d)", PINS_MAX);
		return E2_ERR_CORRUPT;
	}
	memcpy(e->name, f[0], strlen(f[0]) + 1);
	memcpy(e->pub, pub, 32);
	e->verified = verified;
	e->first_seen = t;
	return 0;
}

int
pins_load(const char *path, struct pins **pp, char *err, size_t errlen)
{
	struct load_state ls;
	struct pins *p = NULL;
	char *text = NULL, msg[512];
	size_t len = 0;
	int rc;

	*pp = NULL;
	if ((p = calloc(1, sizeof(*p))) == NULL ||
	    (p->path = strdup(path)) == NULL) {
		e2_seterr(err, errlen, "out of memory");
		rc = E2_ERR_NOMEM;
		goto out;
	}
	rc = read_file(path, PINS_FILE_MAX, 0, &text, &len, err, errlen);
	if (rc == E2_ERR_NOTFOUND) {
		rc = 0;
		goto done;
	}
	if (rc == E2_ERR_TOOBIG)
		rc = E2_ERR_CORRUPT;
	if (rc != 0)
		goto out;
	ls.p = p;
	ls.lineno = 0;
	rc = conf_each_line(text, len, 5, load_line, &ls, msg, sizeof(msg));
	if (rc != 0) {
		/* msg is "line N: why": make it "path:N: why". */
		if (strncmp(msg, "line ", 5) == 0)
			e2_seterr(err, errlen, "%s:%s", path, msg + 5);
		else
			e2_seterr(err, errlen, "%s: %s", path, msg);
		if (rc != E2_ERR_NOMEM)
			rc = E2_ERR_CORRUPT;
		goto out;
	}
done:
	*pp = p;
	p = NULL;
out:
	free(text);
	pins_free(p);
	return rc;
}

void
pins_free(struct pins *p)
{
	if (p == NULL)
		return;
	free(p->v);
	free(p->path);
	free(p);
}

int
pins_save(const struct pins *p, char *err, size_t errlen)
{
	char b64[PUBKEY_B64_LEN + 1], *text, *o;
	size_t i, cap, left;
	int n, rc;

	cap = sizeof(PINS_HEADER) + p->n * (PIN_NAME_MAX + PUBKEY_B64_LEN +
	    40);
	if ((text = malloc(cap)) == NULL) {
		e2_seterr(err, errlen, "out of memory");
		return E2_ERR_NOMEM;
	}
	o = text;
	left = cap;
	n = snprintf(o, left, "%s", PINS_HEADER);
	o += n;
	left -= (size_t)n;
	for (i = 0; i < p->n; i++) {
		pubkey_to_b64(p->v[i].pub, b64);
		n = snprintf(o, left, "%s %s %s %lld\n", p->v[i].name, b64,
		    p->v[i].verified ? "verified" : "new",
		    p->v[i].first_seen);
		if (n < 0 || (size_t)n >= left) {
			free(text);
			e2_seterr(err, errlen, "%s: entry too long", p->path);
			return E2_ERR_INVAL;
		}
		o += n;
		left -= (size_t)n;
	}
	rc = atomic_write(p->path, text, (size_t)(o - text), 0600, err,
	    errlen);
	free(text);
	return rc;
}

size_t
pins_count(const struct pins *p)
{
	return p->n;
}

const struct pin *
pins_at(const struct pins *p, size_t i)
{
	return i < p->n ? &p->v[i] : NULL;
}

const struct pin *
pins_find(const struct pins *p, const char *name)
{
	return find(p, name);
}

int
pins_set(struct pins *p, const char *name, const uint8_t pub[32],
    long long now)
{
	struct pin *e;

	if (!pin_name_ok(name) || now < 0 || now > PIN_TIME_MAX)
		return E2_ERR_INVAL;
	if ((e = find(p, name)) != NULL) {
		if (sodium_memcmp(e->pub, pub, 32) == 0)
			return 0;	/* same key: nothing changes */
	} else {
		if ((e = append(p)) == NULL)
			return E2_ERR_NOMEM;
		memcpy(e->name, name, strlen(name) + 1);
	}
	memcpy(e->pub, pub, 32);
	e->verified = 0;
	e->first_seen = now;
	return 0;
}

int
pins_set_verified(struct pins *p, const char *name, int verified)
{
	struct pin *e;

	if ((e = find(p, name)) == NULL)
		return E2_ERR_NOTFOUND;
	e->verified = verified != 0;
	return 0;
}

int
pins_remove(struct pins *p, const char *name)
{
	struct pin *e;
	size_t i;

	if ((e = find(p, name)) == NULL)
		return E2_ERR_NOTFOUND;
	i = (size_t)(e - p->v);
	memmove(&p->v[i], &p->v[i + 1], (p->n - i - 1) * sizeof(p->v[0]));
	p->n--;
	return 0;
}

enum key_status
pins_check(const struct pins *p, const char *name, const uint8_t pub[32])
{
	const struct pin *e;

	if ((e = find(p, name)) == NULL)
		return KEY_NEW;
	if (sodium_memcmp(e->pub, pub, 32) == 0)
		return e->verified ? KEY_VERIFIED : KEY_KNOWN;
	return e->verified ? KEY_CHANGED_VERIFIED : KEY_CHANGED;
}

const char *
key_status_name(enum key_status s)
{
	switch (s) {
	case KEY_NEW:			return "new";
	case KEY_KNOWN:			return "known";
	case KEY_VERIFIED:		return "verified";
	case KEY_CHANGED:		return "changed";
	case KEY_CHANGED_VERIFIED:	return "changed-verified";
	}
	return "unknown";
}
