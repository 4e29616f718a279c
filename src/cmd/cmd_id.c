/*
 * cmd_id.c - "e2call id": make the identity key on first use, then print
 * its public key and fingerprint.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "e2call.h"
#include "err.h"
#include "noise.h"
#include "store/keyfile.h"
#include "store/paths.h"

int
cmd_id(int argc, char **argv)
{
	struct keypair *kp = NULL;
	char path[PATH_MAX], err[768], b64[PUBKEY_B64_LEN + 1];
	char fp[FINGERPRINT_LEN + 1];
	int created = 0, rc;

	/* No arguments (a lone "--" is fine). */
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
	    sizeof(err)) != 0) {
		fprintf(stderr, "e2call: %s\n", err);
		return EXIT_ERROR;
	}
	if ((rc = keyfile_load(path, 1, &kp, &created, err,
	    sizeof(err))) != 0) {
		fprintf(stderr, "e2call: %s\n", err);
		return EXIT_ERROR;
	}
	if (created)
		fprintf(stderr, "e2call: created new identity key at %s\n",
		    path);
	pubkey_to_b64(kp->pub, b64);
	if (fingerprint(kp->pub, fp) != 0) {
		keypair_free(kp);
		fputs("e2call: cannot compute the key fingerprint\n", stderr);
		return EXIT_ERROR;
	}
	keypair_free(kp);
	printf("public key: %s\nfingerprint: %s\n", b64, fp);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fputs("e2call: cannot write to standard output\n", stderr);
		return EXIT_ERROR;
	}
	return EXIT_CALL_OK;
}
