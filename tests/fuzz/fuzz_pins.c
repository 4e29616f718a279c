/*
 * fuzz_pins.c - the contacts / known_servers parser (contacts.h) and the
 * key file parser (keyfile.h), which read files: the input is written to
 * a file in a private temporary directory (under /dev/shm when there is
 * one) and loaded from there.
 *
 * Input: u8 selector (bit 0: key file, else pins), then the file.
 * Pins: what loads must hold valid names, keys that pins_find and
 * pins_check give back, and must survive pins_save and a second load
 * unchanged; a refused file names path:line.  Key file: what loads has a
 * public key that belongs to its private key.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "contacts.h"
#include "err.h"
#include "fuzz.h"
#include "keyfile.h"
#include "noise.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static char dir[256], pins_path[300], key_path[300];

/* The directory holds only the files this program wrote. */
static void
cleanup(void)
{
	char path[600];
	struct dirent *de;
	DIR *d;

	if (dir[0] == '\0' || (d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *base = "/dev/shm";
	struct stat st;

	if (sodium_init() < 0)
		abort();
	if (stat(base, &st) != 0 || !S_ISDIR(st.st_mode) ||
	    access(base, W_OK) != 0)
		base = getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp";
	snprintf(dir, sizeof(dir), "%s/e2call-fuzz-pins.XXXXXX", base);
	if (mkdtemp(dir) == NULL) {
		perror(dir);
		abort();
	}
	atexit(cleanup);
	snprintf(pins_path, sizeof(pins_path), "%s/contacts", dir);
	snprintf(key_path, sizeof(key_path), "%s/key", dir);
	return 0;
}

static void
write_file(const char *path, const uint8_t *p, size_t n, mode_t mode)
{
	int fd;

	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	FUZZ_CHECK(fd >= 0);
	FUZZ_CHECK(write(fd, p, n) == (ssize_t)n);
	FUZZ_CHECK(close(fd) == 0);
}

static void
check_err(const char *err, size_t errlen, const char *path)
{
	FUZZ_CHECK(memchr(err, '\0', errlen) != NULL);
	FUZZ_CHECK(strncmp(err, path, strlen(path)) == 0);
	FUZZ_CHECK(err[strlen(path)] == ':');
}

static void
fuzz_pins(const uint8_t *p, size_t n)
{
	struct pins *pins, *again;
	const struct pin *e, *e2;
	char err[512], b64[PUBKEY_B64_LEN + 1];
	uint8_t pub[32];
	size_t i, count;
	int r;

	write_file(pins_path, p, n, 0600);
	memset(err, 'X', sizeof(err));
	r = pins_load(pins_path, &pins, err, sizeof(err));
	if (r != 0) {
		FUZZ_CHECK(r == E2_ERR_CORRUPT);
		FUZZ_CHECK(pins == NULL);
		check_err(err, sizeof(err), pins_path);
		return;
	}
	count = pins_count(pins);
	for (i = 0; i < count; i++) {
		e = pins_at(pins, i);
		FUZZ_CHECK(pin_name_ok(e->name));
		FUZZ_CHECK(pins_find(pins, e->name) == e);
		FUZZ_CHECK(e->verified == 0 || e->verified == 1);
		FUZZ_CHECK(e->first_seen >= 0);
		FUZZ_CHECK(pins_check(pins, e->name, e->pub) ==
		    (e->verified ? KEY_VERIFIED : KEY_KNOWN));
		pubkey_to_b64(e->pub, b64);
		FUZZ_CHECK(strlen(b64) == PUBKEY_B64_LEN);
		FUZZ_CHECK(pubkey_from_b64(b64, pub) == 0);
		FUZZ_CHECK(memcmp(pub, e->pub, 32) == 0);
	}

	/* Saved and loaded again, nothing changes. */
	r = pins_save(pins, err, sizeof(err));
	FUZZ_CHECK(r == 0);
	r = pins_load(pins_path, &again, err, sizeof(err));
	if (r != 0) {
		fprintf(stderr, "saved pins refused: %s\n", err);
		FUZZ_CHECK(0);
	}
	FUZZ_CHECK(pins_count(again) == count);
	for (i = 0; i < count; i++) {
		e = pins_at(pins, i);
		e2 = pins_at(again, i);
		FUZZ_CHECK(strcmp(e->name, e2->name) == 0);
		FUZZ_CHECK(memcmp(e->pub, e2->pub, 32) == 0);
		FUZZ_CHECK(e->verified == e2->verified);
		FUZZ_CHECK(e->first_seen == e2->first_seen);
	}
	pins_free(again);
	pins_free(pins);
}

static void
fuzz_keyfile(const uint8_t *p, size_t n)
{
	struct keypair *kp;
	uint8_t pub[32];
	char err[512];
	int r;

	write_file(key_path, p, n, 0600);
	memset(err, 'X', sizeof(err));
	r = keyfile_load(key_path, 0, &kp, NULL, err, sizeof(err));
	if (r != 0) {
		FUZZ_CHECK(r == E2_ERR_CORRUPT);
		FUZZ_CHECK(kp == NULL);
		check_err(err, sizeof(err), key_path);
		return;
	}
	FUZZ_CHECK(noise_pubkey(kp->priv, pub) == 0);
	FUZZ_CHECK(memcmp(pub, kp->pub, 32) == 0);
	keypair_free(kp);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	if (data[0] & 1)
		fuzz_keyfile(data + 1, size - 1);
	else
		fuzz_pins(data + 1, size - 1);
	return 0;
}
