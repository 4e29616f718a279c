/*
 * cmd_id.c - "e2call id": make the identity key on first use, then print
 * its public key and fingerprint; "e2call id --rotate": move to a new key
 * and keep the old one as identity.previous, from which every later call
 * proves the move to the peer (docs/PROTOCOL.md 5.1.2) and the next
 * registration moves the name on the server (5a.2).
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "e2call.h"
#include "err.h"
#include "noise.h"
#include "store/keyfile.h"
#include "store/paths.h"

static int
show(const char *label, const struct keypair *kp)
{
	char b64[PUBKEY_B64_LEN + 1], fp[FINGERPRINT_LEN + 1];

	pubkey_to_b64(kp->pub, b64);
	if (fingerprint(kp->pub, fp) != 0) {
		fputs("e2call: cannot compute the key fingerprint\n", stderr);
		return EXIT_ERROR;
	}
	printf("%spublic key: %s\n%sfingerprint: %s\n", label, b64, label, fp);
	return 0;
}

/*
 * identity -> identity.previous, a new key -> identity.  The previous
 * file is written first: a crash in between leaves both holding the old
 * key, which is no rotation (client.c ignores an equal previous key), and
 * --rotate can run again.
 */
static int
rotate(const char *path, const char *prevpath, struct keypair *kp)
{
	struct keypair *prev = NULL, *nk = NULL;
	char err[768];
	int rc = EXIT_ERROR, r;

	r = keyfile_load(prevpath, 0, &prev, NULL, err, sizeof(err));
	if (r == 0 && memcmp(prev->pub, kp->pub, 32) != 0) {
		fprintf(stderr, "e2call: %s already holds the key this one "
		    "replaced: a move goes one key at a time.  When your "
		    "contacts have called you with the new key (they then "
		    "have it pinned), remove %s and rotate again.\n",
		    prevpath, prevpath);
		goto out;
	}
	if (r != 0 && r != E2_ERR_NOTFOUND) {
		fprintf(stderr, "e2call: %s\n", err);
		goto out;
	}
	if (keypair_new(&nk) != 0) {
		fputs("e2call: out of memory\n", stderr);
		goto out;
	}
	if (keyfile_save(prevpath, kp, err, sizeof(err)) != 0 ||
	    keyfile_save(path, nk, err, sizeof(err)) != 0) {
		fprintf(stderr, "e2call: %s\n", err);
		goto out;
	}
	if (show("old ", kp) != 0 || show("new ", nk) != 0)
		goto out;
	printf("The old key is kept in %s.  Each call proves to the peer "
	    "that the old key chose the new one (they see \"key changed, "
	    "signed by the old key\"), and your next `e2call listen` or "
	    "`e2call register` moves your name on the server to the new "
	    "key.  Keep %s secret, like the identity.\n", prevpath, prevpath);
	rc = EXIT_CALL_OK;
out:
	keypair_free(prev);
	keypair_free(nk);
	return rc;
}

int
cmd_id(int argc, char **argv)
{
	struct keypair *kp = NULL, *prev = NULL;
	char path[PATH_MAX], prevpath[PATH_MAX], err[768];
	int created = 0, rc, do_rotate = 0;

	if (argc > 1 && strcmp(argv[1], "--rotate") == 0) {
		do_rotate = 1;
		argc--;
		argv++;
	}
	/* No other arguments (a lone "--" is fine). */
	if (argc > 1 && strcmp(argv[1], "--") == 0) {
		if (argc > 2)
			return usage_error("id", "unexpected argument: %s",
			    argv[2]);
	} else if (argc > 1) {
		if (argv[1][0] == '-')
			return usage_error("id", "unknown option: %s",
			    argv[1]);
		return usage_error("id", "unexpected argument: %s", argv[1]);
	}
	if (paths_config_file("identity", path, sizeof(path), err,
	    sizeof(err)) != 0 ||
	    paths_config_file("identity.previous", prevpath,
	    sizeof(prevpath), err, sizeof(err)) != 0) {
		fprintf(stderr, "e2call: %s\n", err);
		return EXIT_ERROR;
	}
	if ((rc = keyfile_load(path, !do_rotate, &kp, &created, err,
	    sizeof(err))) != 0) {
		fprintf(stderr, "e2call: %s\n", err);
		if (do_rotate && rc == E2_ERR_NOTFOUND)
			fputs("e2call: there is no identity to move from yet; "
			    "`e2call id` makes one\n", stderr);
		return EXIT_ERROR;
	}
	if (do_rotate) {
		rc = rotate(path, prevpath, kp);
		keypair_free(kp);
		goto flush;
	}
	if (created)
		fprintf(stderr, "e2call: created new identity key at %s\n",
		    path);
	rc = show("", kp);
	if (rc == 0 && keyfile_load(prevpath, 0, &prev, NULL, err,
	    sizeof(err)) == 0 && memcmp(prev->pub, kp->pub, 32) != 0) {
		rc = show("previous ", prev);
		printf("(calls prove the move from the previous key; remove "
		    "%s once your contacts have the new one)\n", prevpath);
	}
	keypair_free(prev);
	keypair_free(kp);
flush:
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fputs("e2call: cannot write to standard output\n", stderr);
		return EXIT_ERROR;
	}
	return rc;
}
