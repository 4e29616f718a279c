/*
 * fuzz_pins.c - the contacts / known_servers parser (contacts.h) and the
 * key file parser (keyfile.h), which read files: the input is written to
 * a file in a private temporary directory (under /dev/shm when there is
 * one) and loaded from there.
 *
 * Input: u8 selector (bit 0: key file, else pins; bit 1: known_servers,
 * else contacts; bit 2: contacts get a server's place for older lines,
 * else server:*), then the file.  Pins: what loads must hold valid names
 * and places, keys that pins_find and pins_check give back, and must
 * survive pins_save and a second load unchanged; a refused file names
 * path:line and is neither rewritten nor copied.  A contacts file that
 * was migrated left its bytes in contacts.v1, and the file it was
 * rewritten to loads the same entries without migrating again.  Key file:
 * what loads has a public key that belongs to its private key.
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

static char dir[256], pins_path[300], v1_path[310], key_path[300];

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
	snprintf(v1_path, sizeof(v1_path), "%s/contacts.v1", dir);
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

/* The whole file at path equals p[0..n). */
static int
file_is(const char *path, const uint8_t *p, size_t n)
{
	uint8_t buf[4096];
	size_t got = 0;
	ssize_t r;
	int fd, same = 1;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	while ((r = read(fd, buf, sizeof(buf))) > 0) {
		if (got + (size_t)r > n ||
		    memcmp(buf, p + got, (size_t)r) != 0)
			same = 0;
		got += (size_t)r;
	}
	close(fd);
	return same && r == 0 && got == n;
}

/* Both loads hold the same entries, in the same order. */
static void
same_pins(const struct pins *a, const struct pins *b)
{
	const struct pin *e, *e2;
	size_t i;

	FUZZ_CHECK(pins_count(a) == pins_count(b));
	for (i = 0; i < pins_count(a); i++) {
		e = pins_at(a, i);
		e2 = pins_at(b, i);
		FUZZ_CHECK(strcmp(e->name, e2->name) == 0);
		FUZZ_CHECK(strcmp(e->place, e2->place) == 0);
		FUZZ_CHECK(memcmp(e->pub, e2->pub, 32) == 0);
		FUZZ_CHECK(e->verified == e2->verified);
		FUZZ_CHECK(e->first_seen == e2->first_seen);
	}
}

static void
check_err(const char *err, size_t errlen, const char *path)
{
	FUZZ_CHECK(memchr(err, '\0', errlen) != NULL);
	FUZZ_CHECK(strncmp(err, path, strlen(path)) == 0);
	FUZZ_CHECK(err[strlen(path)] == ':');
}

static void
fuzz_pins(const uint8_t *p, size_t n, enum pins_kind kind, int with_server)
{
	struct pins *pins, *again;
	const struct pin *e;
	char err[512], b64[PUBKEY_B64_LEN + 1], legacy[PIN_PLACE_MAX + 1];
	uint8_t pub[32], server[32];
	size_t i, count;
	int r, migrated;

	memset(server, 0x5a, sizeof(server));
	pins_server_place(server, legacy);
	unlink(v1_path);
	write_file(pins_path, p, n, 0600);
	memset(err, 'X', sizeof(err));
	r = pins_load(pins_path, kind, with_server ? legacy : NULL, &pins, err,
	    sizeof(err));
	migrated = access(v1_path, F_OK) == 0;
	if (r != 0) {
		FUZZ_CHECK(r == E2_ERR_CORRUPT);
		FUZZ_CHECK(pins == NULL);
		check_err(err, sizeof(err), pins_path);
		FUZZ_CHECK(!migrated);
		FUZZ_CHECK(file_is(pins_path, p, n));
		return;
	}
	FUZZ_CHECK(!migrated || kind == PINS_CONTACTS);
	/* Migrated: the old bytes are in .v1; else the file is untouched. */
	if (migrated)
		FUZZ_CHECK(file_is(v1_path, p, n));
	else
		FUZZ_CHECK(file_is(pins_path, p, n));
	count = pins_count(pins);
	for (i = 0; i < count; i++) {
		e = pins_at(pins, i);
		FUZZ_CHECK(pin_name_ok(e->name));
		if (kind == PINS_SERVERS)
			FUZZ_CHECK(e->place[0] == '\0');
		else
			FUZZ_CHECK(pin_place_ok(e->place));
		FUZZ_CHECK(pins_find(pins, e->name, e->place) == e);
		FUZZ_CHECK(e->verified == 0 || e->verified == 1);
		FUZZ_CHECK(e->first_seen >= 0);
		FUZZ_CHECK(pins_check(pins, e->name, e->place, e->pub) ==
		    (e->verified ? KEY_VERIFIED : KEY_KNOWN));
		FUZZ_CHECK(pins_find_key(pins, e->pub) != NULL);
		pubkey_to_b64(e->pub, b64);
		FUZZ_CHECK(strlen(b64) == PUBKEY_B64_LEN);
		FUZZ_CHECK(pubkey_from_b64(b64, pub) == 0);
		FUZZ_CHECK(memcmp(pub, e->pub, 32) == 0);
	}

	/* What a migration wrote loads the same, with nothing to migrate. */
	if (migrated) {
		unlink(v1_path);
		r = pins_load(pins_path, kind, NULL, &again, err, sizeof(err));
		if (r != 0) {
			fprintf(stderr, "migrated pins refused: %s\n", err);
			FUZZ_CHECK(0);
		}
		FUZZ_CHECK(access(v1_path, F_OK) != 0);
		same_pins(pins, again);
		pins_free(again);
	}

	/* Saved and loaded again, nothing changes. */
	r = pins_save(pins, err, sizeof(err));
	FUZZ_CHECK(r == 0);
	r = pins_load(pins_path, kind, NULL, &again, err, sizeof(err));
	if (r != 0) {
		fprintf(stderr, "saved pins refused: %s\n", err);
		FUZZ_CHECK(0);
	}
	FUZZ_CHECK(access(v1_path, F_OK) != 0);
	same_pins(pins, again);
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
		fuzz_pins(data + 1, size - 1, data[0] & 2 ? PINS_SERVERS :
		    PINS_CONTACTS, (data[0] & 4) != 0);
	return 0;
}
