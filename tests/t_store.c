/*
 * t_store.c - files on disk: paths, atomic writes, bounded reads, key
 * files, the pins store and the config file loader.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <dirent.h>
#include <unistd.h>
#include <cmocka.h>

#include <sodium.h>

#include "err.h"
#include "noise.h"
#include "store/atomic.h"
#include "store/config_file.h"
#include "store/contacts.h"
#include "store/keyfile.h"
#include "store/paths.h"

static char tmpdir[256];

/* path = tmpdir + "/" + name */
static const char *
tp(const char *name)
{
	static char bufs[4][512];
	static int n;
	char *b = bufs[n++ % 4];

	snprintf(b, sizeof(bufs[0]), "%s/%s", tmpdir, name);
	return b;
}

static void
put(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, mode), 0);
}

static char *
get(const char *path)
{
	static char buf[8192];
	FILE *f = fopen(path, "r");
	size_t n;

	if (f == NULL)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static mode_t
mode_of(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_mode & 07777;
}

/* Entries in dir whose name contains "tmp". */
static int
count_tmp(const char *dir)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		if (strstr(de->d_name, "tmp") != NULL)
			n++;
	closedir(d);
	return n;
}

static int
setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "%s/t_store.XXXXXX",
	    getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	umask(022);
	return 0;
}

static int
teardown(void **state)
{
	char cmd[600];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

/* ---- paths ---- */

static void
test_paths(void **state)
{
	char out[512], err[512], want[512];

	(void)state;
	setenv("E2CALL_HOME", tp("eh/a/b"), 1);
	assert_int_equal(paths_config_dir(out, sizeof(out), err,
	    sizeof(err)), 0);
	assert_string_equal(out, tp("eh/a/b"));
	assert_int_equal(mode_of(tp("eh/a/b")), 0700);
	assert_int_equal(mode_of(tp("eh/a")), 0700);
	assert_int_equal(paths_config_file("contacts", out, sizeof(out), err,
	    sizeof(err)), 0);
	assert_string_equal(out, tp("eh/a/b/contacts"));
	/* Too small a buffer is an error, not a cut path. */
	assert_int_equal(paths_config_file("contacts", out,
	    strlen(tp("eh/a/b/contacts")), err, sizeof(err)), E2_ERR_IO);
	assert_non_null(strstr(err, "too long"));

	setenv("E2CALL_HOME", "relative", 1);
	assert_int_equal(paths_config_dir(out, sizeof(out), err,
	    sizeof(err)), E2_ERR_IO);
	assert_non_null(strstr(err, "absolute"));

	/* Empty E2CALL_HOME is unset; XDG_CONFIG_HOME then. */
	setenv("E2CALL_HOME", "", 1);
	setenv("XDG_CONFIG_HOME", tp("xdg"), 1);
	assert_int_equal(paths_config_dir(out, sizeof(out), err,
	    sizeof(err)), 0);
	assert_string_equal(out, tp("xdg/e2call"));
	unsetenv("XDG_CONFIG_HOME");
	setenv("HOME", tp("home"), 1);
	assert_int_equal(paths_config_dir(out, sizeof(out), err,
	    sizeof(err)), 0);
	assert_string_equal(out, tp("home/.config/e2call"));
	assert_int_equal(mode_of(tp("home/.config")), 0700);

	setenv("XDG_DATA_HOME", tp("data"), 1);
	assert_int_equal(paths_data_file("server_key", out, sizeof(out), err,
	    sizeof(err)), 0);
	assert_string_equal(out, tp("data/e2call/server_key"));
	unsetenv("XDG_DATA_HOME");
	assert_int_equal(paths_data_dir(out, sizeof(out), err,
	    sizeof(err)), 0);
	assert_string_equal(out, tp("home/.local/share/e2call"));

	/* A file where a directory should be. */
	put(tp("afile"), "x", 0600);
	setenv("E2CALL_HOME", tp("afile/sub"), 1);
	assert_int_equal(paths_config_dir(out, sizeof(out), err,
	    sizeof(err)), E2_ERR_IO);
	snprintf(want, sizeof(want), "%s exists and is not a directory",
	    tp("afile"));
	assert_string_equal(err, want);
	unsetenv("E2CALL_HOME");
}

/* ---- atomic_write, atomic_create, read_file ---- */

static void
test_atomic(void **state)
{
	char err[512], *data = NULL;
	size_t len;

	(void)state;
	assert_int_equal(mkdir(tp("aw"), 0700), 0);
	assert_int_equal(atomic_write(tp("aw/f"), "one\n", 4, 0600, err,
	    sizeof(err)), 0);
	assert_string_equal(get(tp("aw/f")), "one\n");
	assert_int_equal(mode_of(tp("aw/f")), 0600);
	assert_int_equal(atomic_write(tp("aw/f"), "two", 3, 0644, err,
	    sizeof(err)), 0);
	assert_string_equal(get(tp("aw/f")), "two");
	assert_int_equal(mode_of(tp("aw/f")), 0644);
	assert_int_equal(atomic_write(tp("aw/empty"), "", 0, 0600, err,
	    sizeof(err)), 0);
	assert_string_equal(get(tp("aw/empty")), "");
	assert_int_equal(count_tmp(tp("aw")), 0);

	/* Failure: names the file, leaves nothing behind. */
	assert_int_equal(atomic_write(tp("aw/nodir/f"), "x", 1, 0600, err,
	    sizeof(err)), E2_ERR_IO);
	assert_non_null(strstr(err, tp("aw/nodir/f")));
	assert_non_null(strstr(err, "No such file or directory"));
	assert_int_equal(mkdir(tp("aw/adir"), 0700), 0);
	assert_int_equal(atomic_write(tp("aw/adir"), "x", 1, 0600, err,
	    sizeof(err)), E2_ERR_IO);
	assert_non_null(strstr(err, tp("aw/adir")));
	assert_int_equal(count_tmp(tp("aw")), 0);

	/* atomic_create never replaces. */
	assert_int_equal(atomic_create(tp("aw/c"), "first", 5, 0600, err,
	    sizeof(err)), 0);
	assert_int_equal(atomic_create(tp("aw/c"), "second", 6, 0600, err,
	    sizeof(err)), E2_ERR_EXISTS);
	assert_string_equal(get(tp("aw/c")), "first");
	assert_int_equal(count_tmp(tp("aw")), 0);

	/* read_file */
	assert_int_equal(read_file(tp("aw/f"), 3, 0, &data, &len, err,
	    sizeof(err)), 0);
	assert_int_equal(len, 3);
	assert_string_equal(data, "two");
	free_file(data, len, 0);
	assert_int_equal(read_file(tp("aw/f"), 2, 0, &data, &len, err,
	    sizeof(err)), E2_ERR_TOOBIG);
	assert_null(data);
	assert_non_null(strstr(err, tp("aw/f")));
	assert_int_equal(read_file(tp("aw/f"), 100, 1, &data, &len, err,
	    sizeof(err)), 0);
	assert_string_equal(data, "two");
	free_file(data, len, 1);
	assert_int_equal(read_file(tp("aw/empty"), 100, 1, &data, &len, err,
	    sizeof(err)), 0);
	assert_int_equal(len, 0);
	assert_string_equal(data, "");
	free_file(data, len, 1);
	assert_int_equal(read_file(tp("aw/none"), 100, 0, &data, &len, err,
	    sizeof(err)), E2_ERR_NOTFOUND);
	assert_int_equal(read_file(tp("aw/adir"), 100, 0, &data, &len, err,
	    sizeof(err)), E2_ERR_IO);
	assert_non_null(strstr(err, "not a regular file"));
	free_file(NULL, 0, 1);
}

/* ---- key files ---- */

static void
test_keyfile(void **state)
{
	struct keypair *kp = NULL, *kp2 = NULL;
	uint8_t pub[32], derived[32];
	char err[512], b64[PUBKEY_B64_LEN + 1];
	int created = -1;

	(void)state;
	assert_int_equal(keyfile_load(tp("key"), 0, &kp, &created, err,
	    sizeof(err)), E2_ERR_NOTFOUND);
	assert_null(kp);
	assert_int_equal(created, 0);
	assert_int_equal(keyfile_load(tp("key"), 1, &kp, &created, err,
	    sizeof(err)), 0);
	assert_int_equal(created, 1);
	assert_int_equal(mode_of(tp("key")), 0600);
	assert_int_equal(noise_pubkey(kp->priv, derived), 0);
	assert_memory_equal(derived, kp->pub, 32);
	assert_int_equal(keyfile_load(tp("key"), 1, &kp2, NULL, err,
	    sizeof(err)), 0);
	assert_memory_equal(kp->pub, kp2->pub, 32);
	assert_memory_equal(kp->priv, kp2->priv, 32);
	keypair_free(kp2);
	kp2 = NULL;

	assert_int_equal(chmod(tp("key"), 0640), 0);
	assert_int_equal(keyfile_load(tp("key"), 1, &kp2, &created, err,
	    sizeof(err)), E2_ERR_PERM);
	assert_null(kp2);
	assert_non_null(strstr(err, "permissions 0640 are too open"));
	assert_non_null(strstr(err, "chmod 600"));
	assert_int_equal(chmod(tp("key"), 0600), 0);

	pubkey_to_b64(kp->pub, b64);
	assert_int_equal(strlen(b64), PUBKEY_B64_LEN);
	assert_int_equal(pubkey_from_b64(b64, pub), 0);
	assert_memory_equal(pub, kp->pub, 32);
	keypair_free(kp);
	keypair_free(NULL);

	/* Strict base64: length, padding, canonical trailing bits. */
	assert_int_equal(pubkey_from_b64(
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", pub), 0);
	assert_int_equal(pubkey_from_b64(
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB=", pub),
	    E2_ERR_MALFORMED);
	assert_int_equal(pubkey_from_b64(
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", pub),
	    E2_ERR_MALFORMED);
	assert_int_equal(pubkey_from_b64(
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==", pub),
	    E2_ERR_MALFORMED);
	assert_int_equal(pubkey_from_b64(
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA-=", pub),
	    E2_ERR_MALFORMED);
	assert_int_equal(pubkey_from_b64(NULL, pub), E2_ERR_MALFORMED);
}

/* ---- pins ---- */

static void
test_pins(void **state)
{
	struct pins *p = NULL, *q = NULL;
	const struct pin *e;
	uint8_t k1[32], k2[32];
	char err[512];

	(void)state;
	memset(k1, 1, sizeof(k1));
	memset(k2, 2, sizeof(k2));
	assert_int_equal(pins_load(tp("pins"), &p, err, sizeof(err)), 0);
	assert_int_equal(pins_count(p), 0);
	assert_null(pins_at(p, 0));
	assert_int_equal(pins_check(p, "alice", k1), KEY_NEW);

	assert_int_equal(pins_set(p, "alice", k1, 100), 0);
	assert_int_equal(pins_set(p, "srv.example:7350", k2, 200), 0);
	assert_int_equal(pins_set(p, "bad name", k1, 1), E2_ERR_INVAL);
	assert_int_equal(pins_set(p, "", k1, 1), E2_ERR_INVAL);
	assert_int_equal(pins_set(p, "#x", k1, 1), E2_ERR_INVAL);
	assert_int_equal(pins_set(p, "x", k1, -1), E2_ERR_INVAL);
	assert_int_equal(pins_count(p), 2);
	assert_int_equal(pins_check(p, "alice", k1), KEY_KNOWN);
	assert_int_equal(pins_check(p, "alice", k2), KEY_CHANGED);
	assert_int_equal(pins_set_verified(p, "alice", 1), 0);
	assert_int_equal(pins_check(p, "alice", k1), KEY_VERIFIED);
	assert_int_equal(pins_check(p, "alice", k2), KEY_CHANGED_VERIFIED);
	assert_int_equal(pins_set_verified(p, "nobody", 1), E2_ERR_NOTFOUND);

	/* The same key again changes nothing; another key resets. */
	assert_int_equal(pins_set(p, "alice", k1, 999), 0);
	e = pins_find(p, "alice");
	assert_non_null(e);
	assert_int_equal(e->verified, 1);
	assert_int_equal(e->first_seen, 100);

	assert_int_equal(pins_save(p, err, sizeof(err)), 0);
	assert_int_equal(mode_of(tp("pins")), 0600);
	assert_int_equal(pins_load(tp("pins"), &q, err, sizeof(err)), 0);
	assert_int_equal(pins_count(q), 2);
	e = pins_at(q, 0);
	assert_string_equal(e->name, "alice");
	assert_memory_equal(e->pub, k1, 32);
	assert_int_equal(e->verified, 1);
	assert_int_equal(e->first_seen, 100);
	e = pins_at(q, 1);
	assert_string_equal(e->name, "srv.example:7350");
	assert_memory_equal(e->pub, k2, 32);
	assert_int_equal(e->verified, 0);
	assert_int_equal(e->first_seen, 200);
	pins_free(q);

	assert_int_equal(pins_set(p, "alice", k2, 300), 0);
	e = pins_find(p, "alice");
	assert_int_equal(e->verified, 0);
	assert_int_equal(e->first_seen, 300);
	assert_memory_equal(e->pub, k2, 32);
	assert_int_equal(pins_remove(p, "alice"), 0);
	assert_int_equal(pins_remove(p, "alice"), E2_ERR_NOTFOUND);
	assert_int_equal(pins_count(p), 1);
	assert_string_equal(pins_at(p, 0)->name, "srv.example:7350");
	assert_null(pins_find(p, "alice"));
	pins_free(p);
	pins_free(NULL);

	assert_string_equal(key_status_name(KEY_NEW), "new");
	assert_string_equal(key_status_name(KEY_KNOWN), "known");
	assert_string_equal(key_status_name(KEY_VERIFIED), "verified");
	assert_string_equal(key_status_name(KEY_CHANGED), "changed");
	assert_string_equal(key_status_name(KEY_CHANGED_VERIFIED),
	    "changed-verified");
}

static void
test_pins_corrupt(void **state)
{
	struct pins *p = (struct pins *)1;
	char err[512], want[512];

	(void)state;
	put(tp("bad"), "# x\nalice AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE= "
	    "new 5\nbob AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE= "
	    "maybe 5\n", 0600);
	assert_int_equal(pins_load(tp("bad"), &p, err, sizeof(err)),
	    E2_ERR_CORRUPT);
	assert_null(p);
	snprintf(want, sizeof(want), "%s:3: bad status for 'bob' (expected "
	    "'new' or 'verified')", tp("bad"));
	assert_string_equal(err, want);
}

/* ---- the config file ---- */

static void
test_config_file(void **state)
{
	struct config c;
	char err[512], want[512];

	(void)state;
	/* Missing: defaults. */
	memset(&c, 0x55, sizeof(c));
	assert_int_equal(config_load(tp("config"), &c, err, sizeof(err)), 0);
	assert_int_equal(c.bitrate, 24000);
	assert_string_equal(c.server, "");

	put(tp("config"), "# mine\nserver = 127.0.0.1:7350\n\n"
	    "bitrate = 32000   # more\n", 0644);
	assert_int_equal(config_load(tp("config"), &c, err, sizeof(err)), 0);
	assert_string_equal(c.server, "127.0.0.1:7350");
	assert_int_equal(c.bitrate, 32000);

	/* Replace one line, keep the rest. */
	assert_int_equal(config_save_value(tp("config"), "server",
	    "[::1]:9000", err, sizeof(err)), 0);
	assert_string_equal(get(tp("config")), "# mine\nserver = [::1]:9000\n"
	    "\nbitrate = 32000   # more\n");
	assert_int_equal(mode_of(tp("config")), 0644);	/* kept */
	/* Append a new key. */
	assert_int_equal(config_save_value(tp("config"), "name", "alice",
	    err, sizeof(err)), 0);
	assert_string_equal(get(tp("config")), "# mine\nserver = [::1]:9000\n"
	    "\nbitrate = 32000   # more\nname = alice\n");
	assert_int_equal(config_load(tp("config"), &c, err, sizeof(err)), 0);
	assert_string_equal(c.name, "alice");
	assert_string_equal(c.server, "[::1]:9000");

	/* Bad values and keys are refused and change nothing. */
	assert_int_equal(config_save_value(tp("config"), "name", "Alice",
	    err, sizeof(err)), E2_ERR_INVAL);
	assert_non_null(strstr(err, "bad name 'Alice'"));
	assert_null(strstr(err, "line 1"));
	assert_int_equal(config_save_value(tp("config"), "colour", "red",
	    err, sizeof(err)), E2_ERR_INVAL);
	assert_string_equal(err, "unknown key 'colour'");
	assert_int_equal(config_save_value(tp("config"), "name",
	    "a\nserver = evil:1", err, sizeof(err)), E2_ERR_INVAL);
	assert_int_equal(config_save_value(tp("config"), "capture",
	    "x # y", err, sizeof(err)), E2_ERR_INVAL);
	assert_int_equal(config_save_value(tp("config"), "name=x", "y",
	    err, sizeof(err)), E2_ERR_INVAL);
	assert_string_equal(get(tp("config")), "# mine\nserver = [::1]:9000\n"
	    "\nbitrate = 32000   # more\nname = alice\n");

	/* A file without a final newline gets one before the new line. */
	put(tp("config2"), "frame_ms = 10", 0600);
	assert_int_equal(config_save_value(tp("config2"), "audio", "null",
	    err, sizeof(err)), 0);
	assert_string_equal(get(tp("config2")), "frame_ms = 10\naudio = null\n");
	/* A missing file is made, mode 0600. */
	assert_int_equal(config_save_value(tp("config3"), "name", "bob",
	    err, sizeof(err)), 0);
	assert_string_equal(get(tp("config3")), "name = bob\n");
	assert_int_equal(mode_of(tp("config3")), 0600);

	/* A broken file: load fails with path:line, save leaves it alone. */
	put(tp("config4"), "name = a\n\nframe_ms = 15\n", 0600);
	memset(&c, 0x55, sizeof(c));
	assert_int_equal(config_load(tp("config4"), &c, err, sizeof(err)),
	    E2_ERR_MALFORMED);
	snprintf(want, sizeof(want), "%s:3: bad frame_ms '15': expected 10 "
	    "or 20", tp("config4"));
	assert_string_equal(err, want);
	assert_int_equal(c.frame_ms, 20);	/* defaults on error */
	assert_int_equal(config_save_value(tp("config4"), "name", "b",
	    err, sizeof(err)), E2_ERR_MALFORMED);
	assert_string_equal(err, want);
	assert_string_equal(get(tp("config4")), "name = a\n\nframe_ms = 15\n");
	assert_int_equal(count_tmp(tmpdir), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_atomic),
		cmocka_unit_test(test_keyfile),
		cmocka_unit_test(test_pins),
		cmocka_unit_test(test_pins_corrupt),
		cmocka_unit_test(test_config_file),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, setup, teardown);
}
