/*
 * cmd_contacts.c - "e2call contacts", "verify NAME", "unverify NAME" and
 * "forget NAME": the keys of people pinned in <config dir>/contacts, each
 * with the place its name lives (store/contacts.h).
 */
#include <sys/stat.h>

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "e2call.h"
#include "err.h"
#include "noise.h"
#include "store/config_file.h"
#include "store/contacts.h"
#include "store/keyfile.h"
#include "store/paths.h"

#define NAME_COL_MAX	33	/* ~FINGERPRINT fits; longer names push out */
#define WHERE_COL_MAX	28
#define WHERE_MAX	(PIN_NAME_MAX + 16)

/* The pins of people, and of servers to name the places. */
struct book {
	struct pins	*contacts;
	struct pins	*servers;
	char		 path[PATH_MAX];	/* of contacts */
};

/* The inode of path, 0 when there is no such file. */
static ino_t
inode_of(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? st.st_ino : 0;
}

/*
 * Loads known_servers, then contacts; the bare names of an older contacts
 * file are given the place of the configured server when its key is
 * pinned (else "server:*").  Says so when the file was migrated.
 */
static int
book_load(struct book *b)
{
	char path[PATH_MAX], v1[PATH_MAX + 4], err[768];
	char place[PIN_PLACE_MAX + 1];
	const char *legacy = NULL;
	const struct pin *s;
	struct config cfg;
	ino_t before;

	memset(b, 0, sizeof(*b));
	if (paths_config_file("known_servers", path, sizeof(path), err,
	    sizeof(err)) != 0 ||
	    pins_load(path, PINS_SERVERS, NULL, &b->servers, err,
	    sizeof(err)) != 0 ||
	    paths_config_file("config", path, sizeof(path), err,
	    sizeof(err)) != 0 ||
	    config_load(path, &cfg, err, sizeof(err)) != 0 ||
	    paths_config_file("contacts", b->path, sizeof(b->path), err,
	    sizeof(err)) != 0)
		goto fail;
	if (cfg.server[0] != '\0' &&
	    (s = pins_find(b->servers, cfg.server, NULL)) != NULL) {
		pins_server_place(s->pub, place);
		legacy = place;
	}
	snprintf(v1, sizeof(v1), "%s.v1", b->path);
	before = inode_of(v1);
	if (pins_load(b->path, PINS_CONTACTS, legacy, &b->contacts, err,
	    sizeof(err)) != 0)
		goto fail;
	if (inode_of(v1) != before && inode_of(v1) != 0)
		fprintf(stderr, "e2call: %s: converted to the format with "
		    "places; the file as it was is kept in %s\n", b->path, v1);
	return 0;
fail:
	fprintf(stderr, "e2call: %s\n", err);
	pins_free(b->servers);
	b->servers = NULL;
	return EXIT_ERROR;
}

static void
book_free(struct book *b)
{
	pins_free(b->contacts);
	pins_free(b->servers);
}

/* ISO 8601, UTC. */
static void
format_time(long long t, char *out, size_t cap)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, cap, "@%lld", t);
}

static void
pin_fingerprint(const uint8_t pub[32], char fp[FINGERPRINT_LEN + 1])
{
	if (fingerprint(pub, fp) != 0)
		snprintf(fp, FINGERPRINT_LEN + 1, "?");
}

/*
 * Where a pin lives, for people: "server HOST:PORT" (from known_servers),
 * "server" and the first two groups of the server key's fingerprint when
 * known_servers does not hold that key, "any server", "direct" or "called
 * me directly".
 */
static void
where_of(const struct book *b, const struct pin *e, char out[WHERE_MAX])
{
	char fp[FINGERPRINT_LEN + 1];
	const struct pin *s;
	uint8_t pub[32];

	if (strcmp(e->place, "direct") == 0)
		snprintf(out, WHERE_MAX, "direct");
	else if (strcmp(e->place, "caller") == 0)
		snprintf(out, WHERE_MAX, "called me directly");
	else if (strcmp(e->place, "server:*") == 0)
		snprintf(out, WHERE_MAX, "any server");
	else if (strncmp(e->place, "server:", 7) == 0 &&
	    pubkey_from_b64(e->place + 7, pub) == 0) {
		if ((s = pins_find_key(b->servers, pub)) != NULL)
			snprintf(out, WHERE_MAX, "server %s", s->name);
		else {
			pin_fingerprint(pub, fp);
			snprintf(out, WHERE_MAX, "server %.9s", fp);
		}
	} else
		snprintf(out, WHERE_MAX, "%s", e->place);
}

int
cmd_contacts(int argc, char **argv)
{
	const struct pin *e;
	struct book b;
	char fp[FINGERPRINT_LEN + 1], when[32], where[WHERE_MAX];
	size_t i, n, w = 4, ww = 5, l;

	if (argc > 1)
		return usage_error("contacts", "%s: %s", argv[1][0] == '-' ?
		    "unknown option" : "unexpected argument", argv[1]);
	if (book_load(&b) != 0)
		return EXIT_ERROR;
	if ((n = pins_count(b.contacts)) == 0) {
		printf("no contacts yet\n");
		book_free(&b);
		return EXIT_CALL_OK;
	}
	for (i = 0; i < n; i++) {
		e = pins_at(b.contacts, i);
		l = strlen(e->name);
		if (l > w)
			w = l < NAME_COL_MAX ? l : NAME_COL_MAX;
		where_of(&b, e, where);
		l = strlen(where);
		if (l > ww)
			ww = l < WHERE_COL_MAX ? l : WHERE_COL_MAX;
	}
	printf("%-*s  %-*s  %-*s  %-8s  %s\n", (int)w, "NAME", (int)ww,
	    "WHERE", FINGERPRINT_LEN, "FINGERPRINT", "STATUS",
	    "FIRST SEEN (UTC)");
	for (i = 0; i < n; i++) {
		e = pins_at(b.contacts, i);
		where_of(&b, e, where);
		pin_fingerprint(e->pub, fp);
		format_time(e->first_seen, when, sizeof(when));
		printf("%-*s  %-*s  %-*s  %-8s  %s\n", (int)w, e->name,
		    (int)ww, where, FINGERPRINT_LEN, fp,
		    e->verified ? "verified" : "new", when);
	}
	book_free(&b);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fputs("e2call: cannot write to standard output\n", stderr);
		return EXIT_ERROR;
	}
	return EXIT_CALL_OK;
}

const char pick_options_help[] =
    "  --server HOST:PORT    the name registered on that server (the server\n"
    "                        as pinned in known_servers)\n"
    "  --caller              the one who called my listen --direct with that\n"
    "                        name (~ and its fingerprint when it gave none)\n"
    "  Needed only when NAME is pinned in more than one place.\n";

/* What verify, unverify and forget were asked for. */
struct choice {
	const char	*cmd;
	const char	*name;
	const char	*server;	/* --server HOST:PORT, or NULL */
	int		 caller;	/* --caller */
};

/* NAME [--server HOST:PORT | --caller], options before or after NAME. */
static int
parse_choice(int argc, char **argv, struct choice *ch)
{
	const char *a;
	int i, opts = 1;

	memset(ch, 0, sizeof(*ch));
	ch->cmd = argv[0];
	for (i = 1; i < argc; i++) {
		a = argv[i];
		if (opts && strcmp(a, "--") == 0)
			opts = 0;
		else if (opts && strcmp(a, "--caller") == 0)
			ch->caller = 1;
		else if (opts && strcmp(a, "--server") == 0) {
			if (i + 1 >= argc)
				return usage_error(ch->cmd, "--server needs "
				    "HOST:PORT");
			ch->server = argv[++i];
		} else if (opts && strncmp(a, "--server=", 9) == 0)
			ch->server = a + 9;
		else if (opts && a[0] == '-')
			return usage_error(ch->cmd, "unknown option: %s", a);
		else if (ch->name != NULL)
			return usage_error(ch->cmd, "unexpected argument: %s",
			    a);
		else
			ch->name = a;
	}
	if (ch->name == NULL)
		return usage_error(ch->cmd, "missing NAME");
	if (ch->server != NULL && ch->caller)
		return usage_error(ch->cmd, "--server and --caller cannot be "
		    "given together");
	return 0;
}

/*
 * The one contact the choice names, or NULL (with a message: none, or
 * several and no --server or --caller to choose; *rcp says the exit
 * status).
 */
static const struct pin *
pick(const struct book *b, const struct choice *ch, int *rcp)
{
	char place[PIN_PLACE_MAX + 1], where[WHERE_MAX];
	char fp[FINGERPRINT_LEN + 1];
	const struct pin *e, *one = NULL;
	const struct pin *s;
	size_t i, n = 0;

	*rcp = EXIT_ERROR;
	if (ch->server != NULL) {
		if ((s = pins_find(b->servers, ch->server, NULL)) == NULL) {
			fprintf(stderr, "e2call: no server %s in known_servers "
			    "(it is pinned on the first connection to it)\n",
			    ch->server);
			return NULL;
		}
		pins_server_place(s->pub, place);
		if ((e = pins_find(b->contacts, ch->name, place)) == NULL)
			fprintf(stderr, "e2call: no contact named '%s' on "
			    "server %s in %s (see: e2call contacts)\n",
			    ch->name, ch->server, b->path);
		return e;
	}
	if (ch->caller) {
		if ((e = pins_find(b->contacts, ch->name, "caller")) == NULL)
			fprintf(stderr, "e2call: no direct caller named '%s' "
			    "in %s (see: e2call contacts)\n", ch->name,
			    b->path);
		return e;
	}
	for (i = 0; i < pins_count(b->contacts); i++) {
		e = pins_at(b->contacts, i);
		if (strcmp(e->name, ch->name) == 0) {
			one = e;
			n++;
		}
	}
	if (n == 0) {
		fprintf(stderr, "e2call: no contact named '%s' in %s "
		    "(see: e2call contacts)\n", ch->name, b->path);
		return NULL;
	}
	if (n == 1)
		return one;
	fprintf(stderr, "e2call: '%s' is pinned in %zu places:\n", ch->name,
	    n);
	for (i = 0; i < pins_count(b->contacts); i++) {
		e = pins_at(b->contacts, i);
		if (strcmp(e->name, ch->name) != 0)
			continue;
		where_of(b, e, where);
		pin_fingerprint(e->pub, fp);
		fprintf(stderr, "  %-*s  %s  %s\n", WHERE_COL_MAX, where, fp,
		    e->verified ? "verified" : "new");
	}
	fprintf(stderr, "e2call: choose one: e2call %s %s --server HOST:PORT "
	    "(a name on that server) or --caller (a direct caller)\n",
	    ch->cmd, ch->name);
	*rcp = EXIT_USAGE;
	return NULL;
}

enum edit { EDIT_VERIFY, EDIT_UNVERIFY, EDIT_FORGET };

static int
edit_contact(int argc, char **argv, enum edit what)
{
	char err[768], fp[FINGERPRINT_LEN + 1], where[WHERE_MAX];
	char name[PIN_NAME_MAX + 1], place[PIN_PLACE_MAX + 1];
	const struct pin *e;
	struct choice ch;
	struct book b;
	int rc, verified;

	if ((rc = parse_choice(argc, argv, &ch)) != 0)
		return rc;
	if (book_load(&b) != 0)
		return EXIT_ERROR;
	if ((e = pick(&b, &ch, &rc)) == NULL)
		goto out;
	rc = EXIT_ERROR;
	/* e points into the list, which pins_remove changes. */
	snprintf(name, sizeof(name), "%s", e->name);
	snprintf(place, sizeof(place), "%s", e->place);
	verified = e->verified;
	where_of(&b, e, where);
	pin_fingerprint(e->pub, fp);
	if (what != EDIT_FORGET && verified == (what == EDIT_VERIFY)) {
		printf("%s is already %s (%s, key fingerprint %s)\n", name,
		    verified ? "verified" : "not verified", where, fp);
		rc = EXIT_CALL_OK;
		goto out;
	}
	if ((what == EDIT_FORGET ?
	    pins_remove(b.contacts, name, place) :
	    pins_set_verified(b.contacts, name, place,
	    what == EDIT_VERIFY)) != 0) {
		fprintf(stderr, "e2call: %s: cannot change '%s'\n", b.path,
		    name);
		goto out;
	}
	if (pins_save(b.contacts, err, sizeof(err)) != 0) {
		fprintf(stderr, "e2call: %s\n", err);
		goto out;
	}
	if (what == EDIT_VERIFY)
		printf("%s: marked verified (%s, key fingerprint %s)\n", name,
		    where, fp);
	else if (what == EDIT_UNVERIFY)
		printf("%s: verified mark removed; now new (%s, key "
		    "fingerprint %s)\n", name, where, fp);
	else
		printf("%s: pin removed (%s, key fingerprint %s%s); the next "
		    "call pins the key it brings as new\n", name, where, fp,
		    verified ? ", was verified" : "");
	rc = EXIT_CALL_OK;
out:
	book_free(&b);
	return rc;
}

int
cmd_verify(int argc, char **argv)
{
	return edit_contact(argc, argv, EDIT_VERIFY);
}

int
cmd_unverify(int argc, char **argv)
{
	return edit_contact(argc, argv, EDIT_UNVERIFY);
}

int
cmd_forget(int argc, char **argv)
{
	return edit_contact(argc, argv, EDIT_FORGET);
}
