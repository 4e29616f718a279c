/*
 * cmd_contacts.c - "e2call contacts", "verify NAME", "unverify NAME": the
 * keys of people pinned in <config dir>/contacts.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "e2call.h"
#include "err.h"
#include "noise.h"
#include "store/contacts.h"
#include "store/paths.h"

#define NAME_COL_MAX	32	/* longer names push their line out */

static int
load_contacts(char *path, size_t cap, struct pins **pp)
{
	char err[768];

	if (paths_config_file("contacts", path, cap, err, sizeof(err)) != 0 ||
	    pins_load(path, pp, err, sizeof(err)) != 0) {
		fprintf(stderr, "e2call: %s\n", err);
		return EXIT_ERROR;
	}
	return 0;
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
pin_fingerprint(const struct pin *e, char fp[FINGERPRINT_LEN + 1])
{
	if (fingerprint(e->pub, fp) != 0)
		snprintf(fp, FINGERPRINT_LEN + 1, "?");
}

int
cmd_contacts(int argc, char **argv)
{
	const struct pin *e;
	struct pins *p = NULL;
	char path[PATH_MAX], fp[FINGERPRINT_LEN + 1], when[32];
	size_t i, n, w = 4, l;

	if (argc > 1)
		return usage_error("contacts", "%s: %s", argv[1][0] == '-' ?
		    "unknown option" : "unexpected argument", argv[1]);
	if (load_contacts(path, sizeof(path), &p) != 0)
		return EXIT_ERROR;
	if ((n = pins_count(p)) == 0) {
		printf("no contacts yet\n");
		pins_free(p);
		return EXIT_CALL_OK;
	}
	for (i = 0; i < n; i++) {
		l = strlen(pins_at(p, i)->name);
		if (l > w)
			w = l < NAME_COL_MAX ? l : NAME_COL_MAX;
	}
	printf("%-*s  %-*s  %-8s  %s\n", (int)w, "NAME", FINGERPRINT_LEN,
	    "FINGERPRINT", "STATUS", "FIRST SEEN (UTC)");
	for (i = 0; i < n; i++) {
		e = pins_at(p, i);
		pin_fingerprint(e, fp);
		format_time(e->first_seen, when, sizeof(when));
		printf("%-*s  %-*s  %-8s  %s\n", (int)w, e->name,
		    FINGERPRINT_LEN, fp, e->verified ? "verified" : "new",
		    when);
	}
	pins_free(p);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fputs("e2call: cannot write to standard output\n", stderr);
		return EXIT_ERROR;
	}
	return EXIT_CALL_OK;
}

static int
set_verified(int argc, char **argv, int verified)
{
	const char *cmd = argv[0], *name;
	const struct pin *e;
	struct pins *p = NULL;
	char path[PATH_MAX], err[768], fp[FINGERPRINT_LEN + 1];
	int rc = EXIT_ERROR;

	if (argc > 1 && strcmp(argv[1], "--") == 0) {
		argc--;
		argv++;
	} else if (argc > 1 && argv[1][0] == '-')
		return usage_error(cmd, "unknown option: %s", argv[1]);
	if (argc < 2)
		return usage_error(cmd, "missing NAME");
	if (argc > 2)
		return usage_error(cmd, "unexpected argument: %s", argv[2]);
	name = argv[1];
	if (load_contacts(path, sizeof(path), &p) != 0)
		return EXIT_ERROR;
	if ((e = pins_find(p, name)) == NULL) {
		fprintf(stderr, "e2call: no contact named '%s' in %s "
		    "(see: e2call contacts)\n", name, path);
		goto out;
	}
	pin_fingerprint(e, fp);
	if (e->verified == verified) {
		printf("%s is already %s (key fingerprint %s)\n", name,
		    verified ? "verified" : "not verified", fp);
		rc = EXIT_CALL_OK;
		goto out;
	}
	if (pins_set_verified(p, name, verified) != 0 ||
	    pins_save(p, err, sizeof(err)) != 0) {
		fprintf(stderr, "e2call: %s\n", err);
		goto out;
	}
	if (verified)
		printf("%s: marked verified (key fingerprint %s)\n", name, fp);
	else
		printf("%s: verified mark removed; now new (key fingerprint "
		    "%s)\n", name, fp);
	rc = EXIT_CALL_OK;
out:
	pins_free(p);
	return rc;
}

int
cmd_verify(int argc, char **argv)
{
	return set_verified(argc, argv, 1);
}

int
cmd_unverify(int argc, char **argv)
{
	return set_verified(argc, argv, 0);
}
