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
#include "noise.h"

#define PINS_FILE_MAX	(8u << 20)	/* tens of thousands of entries */
#define PINS_MAX	100000
#define PIN_TIME_MAX	253402300799LL	/* 9999-12-31T23:59:59Z */
#define PLACE_SERVER	"server:"
#define PLACE_ANY	"server:*"
#define PLACE_DIRECT	"direct"
#define PLACE_CALLER	"caller"
#define OLD_ANONYMOUS	"anonymous"	/* the name a nameless dial sends */
#define CALLER_FP_LEN	32		/* base32 characters after the '~' */
#define CONTACTS_HEADER \
	"# e2call pinned keys of people: NAME PLACE PUBLIC-KEY new|verified " \
	"FIRST-SEEN\n" \
	"# (PLACE: server:<server key>, server:* for any server, direct or " \
	"caller;\n" \
	"# FIRST-SEEN in seconds since 1970-01-01 UTC)\n"
#define SERVERS_HEADER \
	"# e2call pinned keys: NAME PUBLIC-KEY new|verified FIRST-SEEN\n" \
	"# (FIRST-SEEN in seconds since 1970-01-01 UTC)\n"

struct pins {
	char		*path;
	enum pins_kind	 kind;
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

void
pins_server_place(const uint8_t server_pub[32], char out[PIN_PLACE_MAX + 1])
{
	char b64[PUBKEY_B64_LEN + 1];

	pubkey_to_b64(server_pub, b64);		/* sodium_bin2base64 */
	snprintf(out, PIN_PLACE_MAX + 1, "%s%s", PLACE_SERVER, b64);
}

void
pins_caller_name(const uint8_t pub[32], char out[PIN_NAME_MAX + 1])
{
	char fp[FINGERPRINT_LEN + 1];
	size_t i, o = 0;

	if (fingerprint(pub, fp) != 0)
		fp[0] = '\0';		/* cannot happen: pub is not NULL */
	out[o++] = '~';
	for (i = 0; fp[i] != '\0'; i++)
		if (fp[i] != ' ')
			out[o++] = fp[i];
	out[o] = '\0';
}

/* "server:" + the canonical base64 of a key (it encodes back the same). */
static int
server_place_ok(const char *place)
{
	char again[PIN_PLACE_MAX + 1];
	uint8_t pub[32];

	if (strncmp(place, PLACE_SERVER, strlen(PLACE_SERVER)) != 0 ||
	    pubkey_from_b64(place + strlen(PLACE_SERVER), pub) != 0)
		return 0;
	pins_server_place(pub, again);
	return strcmp(again, place) == 0;
}

int
pin_place_ok(const char *place)
{
	if (place == NULL)
		return 0;
	return strcmp(place, PLACE_ANY) == 0 ||
	    strcmp(place, PLACE_DIRECT) == 0 ||
	    strcmp(place, PLACE_CALLER) == 0 || server_place_ok(place);
}

/* '~' and CALLER_FP_LEN characters of lower-case base32. */
static int
caller_fp_name_ok(const char *name)
{
	size_t i;

	if (name[0] != '~' || strlen(name) != 1 + CALLER_FP_LEN)
		return 0;
	for (i = 1; name[i] != '\0'; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') ||
		    (name[i] >= '2' && name[i] <= '7')))
			return 0;
	return 1;
}

/*
 * Why name cannot be pinned in place (NULL when it can): see the rules in
 * contacts.h.  place is "" for known_servers.
 */
static const char *
entry_refused(enum pins_kind kind, const char *name, const char *place)
{
	const char *at;

	if (!pin_name_ok(name))
		return "bad name";
	if (kind == PINS_SERVERS)
		return place[0] == '\0' ? NULL : "bad place";
	if (!pin_place_ok(place))
		return "bad place";
	if (name[0] == '~') {
		if (strcmp(place, PLACE_CALLER) != 0)
			return "a name starting with '~' is only for place "
			    "caller";
		return caller_fp_name_ok(name) ? NULL : "bad name";
	}
	at = strchr(name, '@');
	if (strcmp(place, PLACE_DIRECT) == 0) {
		if (at == NULL || at == name || at[1] == '\0')
			return "a direct name is NAME@HOST:PORT";
		return NULL;
	}
	return at == NULL ? NULL : "a name with '@' is only for place direct";
}

static struct pin *
find_exact(const struct pins *p, const char *name, const char *place)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		if (strcmp(p->v[i].name, name) == 0 &&
		    strcmp(p->v[i].place, place) == 0)
			return &p->v[i];
	return NULL;
}

static struct pin *
find(const struct pins *p, const char *name, const char *place)
{
	struct pin *e;

	if (name == NULL)
		return NULL;
	if (place == NULL)
		place = "";
	if ((e = find_exact(p, name, place)) != NULL)
		return e;
	if (p->kind == PINS_CONTACTS &&
	    strncmp(place, PLACE_SERVER, strlen(PLACE_SERVER)) == 0)
		return find_exact(p, name, PLACE_ANY);
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
	const char	*legacy_place;
	int		 migrated;	/* some line was of the older kind */
};

static int
load_line(void *arg, size_t lineno, char **f, size_t nf, char *err,
    size_t errlen)
{
	struct load_state *ls = arg;
	struct pins *p = ls->p;
	char name[PIN_NAME_MAX + 1];
	const char *place, *why, *key, *status, *when;
	struct pin *e;
	uint8_t pub[32];
	long long t;
	int verified, old;

	(void)lineno;
	old = p->kind == PINS_SERVERS || nf == 4;
	if (p->kind == PINS_SERVERS && nf != 4) {
		e2_seterr(err, errlen, "expected 4 fields (NAME KEY new|verified "
		    "TIME), found %s", nf < 4 ? "fewer" : "more");
		return E2_ERR_CORRUPT;
	}
	/* Four fields are an older line, unless the second is a place. */
	if (p->kind == PINS_CONTACTS && (nf < 4 || nf > 5 ||
	    (nf == 4 && pin_place_ok(f[1])))) {
		e2_seterr(err, errlen, "expected 5 fields (NAME PLACE KEY "
		    "new|verified TIME), found %s", nf < 5 ? "fewer" : "more");
		return E2_ERR_CORRUPT;
	}
	key = f[old ? 1 : 2];
	status = f[old ? 2 : 3];
	when = f[old ? 3 : 4];
	if (!pin_name_ok(f[0])) {
		e2_seterr(err, errlen, "bad name (printable ASCII, at most %d "
		    "characters)", PIN_NAME_MAX);
		return E2_ERR_CORRUPT;
	}
	if (pubkey_from_b64(key, pub) != 0) {
		e2_seterr(err, errlen, "bad key for '%.40s' (expected 44 characters "
		    "of base64)", f[0]);
		return E2_ERR_CORRUPT;
	}
	if (strcmp(status, "verified") == 0)
		verified = 1;
	else if (strcmp(status, "new") == 0)
		verified = 0;
	else {
		e2_seterr(err, errlen, "bad status for '%.40s' (expected 'new' or "
		    "'verified')", f[0]);
		return E2_ERR_CORRUPT;
	}
	if (parse_time(when, &t) != 0) {
		e2_seterr(err, errlen, "bad first-seen time for '%.40s' (expected "
		    "seconds since 1970)", f[0]);
		return E2_ERR_CORRUPT;
	}

	/* The name and place, migrated from an older line. */
	snprintf(name, sizeof(name), "%s", f[0]);
	if (p->kind == PINS_SERVERS)
		place = "";
	else if (!old)
		place = f[1];
	else {
		ls->migrated = 1;
		if (strchr(name, '@') != NULL)
			place = PLACE_DIRECT;
		else if (strcmp(name, OLD_ANONYMOUS) == 0) {
			pins_caller_name(pub, name);
			place = PLACE_CALLER;
		} else
			place = ls->legacy_place;
	}
	if (p->kind == PINS_CONTACTS && !pin_place_ok(place)) {
		e2_seterr(err, errlen, "bad place for '%.40s' (expected "
		    "server:<key>, server:*, direct or caller)", name);
		return E2_ERR_CORRUPT;
	}
	if ((why = entry_refused(p->kind, name, place)) != NULL) {
		e2_seterr(err, errlen, "'%.40s' in place %s: %s", name, place,
		    why);
		return E2_ERR_CORRUPT;
	}
	if (find_exact(p, name, place) != NULL) {
		if (place[0] == '\0')
			e2_seterr(err, errlen, "'%.40s' is listed twice", name);
		else
			e2_seterr(err, errlen, "'%.40s' is listed twice in "
			    "place %s%s", name, place,
			    old ? " (after migration)" : "");
		return E2_ERR_CORRUPT;
	}
	if ((e = append(p)) == NULL) {
		e2_seterr(err, errlen, "too many entries (at most %d)", PINS_MAX);
		return E2_ERR_CORRUPT;
	}
	memcpy(e->name, name, strlen(name) + 1);
	memcpy(e->place, place, strlen(place) + 1);
	memcpy(e->pub, pub, 32);
	e->verified = verified;
	e->first_seen = t;
	return 0;
}

/*
 * An older file: keep its bytes in <path>.v1, then write it whole in the
 * new format.  Each step is atomic, so a kill leaves the old file (with or
 * without its copy) or the new one.
 */
static int
migrate(const struct pins *p, const char *text, size_t len, char *err,
    size_t errlen)
{
	char *v1;
	size_t n = strlen(p->path) + sizeof(".v1");
	int rc;

	if ((v1 = malloc(n)) == NULL) {
		e2_seterr(err, errlen, "out of memory");
		return E2_ERR_NOMEM;
	}
	snprintf(v1, n, "%s.v1", p->path);
	rc = atomic_write(v1, text, len, 0600, err, errlen);
	free(v1);
	if (rc != 0)
		return rc;
	return pins_save(p, err, errlen);
}

int
pins_load(const char *path, enum pins_kind kind, const char *legacy_place,
    struct pins **pp, char *err, size_t errlen)
{
	struct load_state ls;
	struct pins *p = NULL;
	char *text = NULL, msg[512];
	size_t len = 0;
	int rc;

	*pp = NULL;
	if (kind != PINS_CONTACTS && kind != PINS_SERVERS) {
		e2_seterr(err, errlen, "%s: bad kind of pins", path);
		rc = E2_ERR_INVAL;
		goto out;
	}
	if (legacy_place == NULL || legacy_place[0] == '\0')
		legacy_place = PLACE_ANY;
	if (strncmp(legacy_place, PLACE_SERVER, strlen(PLACE_SERVER)) != 0 ||
	    !pin_place_ok(legacy_place)) {
		e2_seterr(err, errlen, "%s: bad place for older entries: %.80s",
		    path, legacy_place);
		rc = E2_ERR_INVAL;
		goto out;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL ||
	    (p->path = strdup(path)) == NULL) {
		e2_seterr(err, errlen, "out of memory");
		rc = E2_ERR_NOMEM;
		goto out;
	}
	p->kind = kind;
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
	ls.legacy_place = legacy_place;
	ls.migrated = 0;
	/* One field more than a line may have: conf_each_line says "more". */
	rc = conf_each_line(text, len, kind == PINS_SERVERS ? 5 : 6,
	    load_line, &ls, msg, sizeof(msg));
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
	if (kind == PINS_CONTACTS && ls.migrated &&
	    (rc = migrate(p, text, len, err, errlen)) != 0)
		goto out;
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
	const char *hdr;
	const struct pin *e;
	size_t i, cap, left;
	int n, rc;

	hdr = p->kind == PINS_SERVERS ? SERVERS_HEADER : CONTACTS_HEADER;
	cap = strlen(hdr) + 1 + p->n * (PIN_NAME_MAX + PIN_PLACE_MAX +
	    PUBKEY_B64_LEN + 40);
	if ((text = malloc(cap)) == NULL) {
		e2_seterr(err, errlen, "out of memory");
		return E2_ERR_NOMEM;
	}
	o = text;
	left = cap;
	n = snprintf(o, left, "%s", hdr);
	o += n;
	left -= (size_t)n;
	for (i = 0; i < p->n; i++) {
		e = &p->v[i];
		pubkey_to_b64(e->pub, b64);
		if (p->kind == PINS_SERVERS)
			n = snprintf(o, left, "%s %s %s %lld\n", e->name, b64,
			    e->verified ? "verified" : "new", e->first_seen);
		else
			n = snprintf(o, left, "%s %s %s %s %lld\n", e->name,
			    e->place, b64, e->verified ? "verified" : "new",
			    e->first_seen);
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
pins_find(const struct pins *p, const char *name, const char *place)
{
	return find(p, name, place);
}

const struct pin *
pins_find_key(const struct pins *p, const uint8_t pub[32])
{
	size_t i;

	for (i = 0; i < p->n; i++)
		if (sodium_memcmp(p->v[i].pub, pub, 32) == 0)
			return &p->v[i];
	return NULL;
}

int
pins_set(struct pins *p, const char *name, const char *place,
    const uint8_t pub[32], long long now)
{
	struct pin *e;

	if (place == NULL)
		place = "";
	if (name == NULL || entry_refused(p->kind, name, place) != NULL ||
	    now < 0 || now > PIN_TIME_MAX)
		return E2_ERR_INVAL;
	if ((e = find(p, name, place)) != NULL) {
		/* A server:* entry takes the concrete place. */
		if (strcmp(e->place, place) != 0)
			memcpy(e->place, place, strlen(place) + 1);
		if (sodium_memcmp(e->pub, pub, 32) == 0)
			return 0;	/* same key: status and time stay */
	} else {
		if ((e = append(p)) == NULL)
			return E2_ERR_NOMEM;
		memcpy(e->name, name, strlen(name) + 1);
		memcpy(e->place, place, strlen(place) + 1);
	}
	memcpy(e->pub, pub, 32);
	e->verified = 0;
	e->first_seen = now;
	return 0;
}

int
pins_set_verified(struct pins *p, const char *name, const char *place,
    int verified)
{
	struct pin *e;

	if ((e = find(p, name, place)) == NULL)
		return E2_ERR_NOTFOUND;
	e->verified = verified != 0;
	return 0;
}

int
pins_remove(struct pins *p, const char *name, const char *place)
{
	struct pin *e;
	size_t i;

	if ((e = find(p, name, place)) == NULL)
		return E2_ERR_NOTFOUND;
	i = (size_t)(e - p->v);
	memmove(&p->v[i], &p->v[i + 1], (p->n - i - 1) * sizeof(p->v[0]));
	p->n--;
	return 0;
}

enum key_status
pins_check(const struct pins *p, const char *name, const char *place,
    const uint8_t pub[32])
{
	const struct pin *e;

	if ((e = find(p, name, place)) == NULL)
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
