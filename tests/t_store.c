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

#define B64_1	"AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE="
#define B64_2	"AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI="
#define B64_3	"AwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwM="

/* The pins of a contacts file, and what pins_save writes of them. */
static void
test_pins(void **state)
{
	struct pins *p = NULL, *q = NULL;
	const struct pin *e;
	uint8_t k1[32], k2[32], ks[32];
	char err[512], srv[PIN_PLACE_MAX + 1];

	(void)state;
	memset(k1, 1, sizeof(k1));
	memset(k2, 2, sizeof(k2));
	memset(ks, 3, sizeof(ks));
	pins_server_place(ks, srv);
	assert_int_equal(pins_load(tp("pins"), PINS_CONTACTS, NULL, &p, err,
	    sizeof(err)), 0);
	assert_int_equal(pins_count(p), 0);
	assert_null(pins_at(p, 0));
	assert_int_equal(pins_check(p, "alice", srv, k1), KEY_NEW);

	assert_int_equal(pins_set(p, "alice", srv, k1, 100), 0);
	assert_int_equal(pins_set(p, "bob@srv.example:7351", "direct", k2,
	    200), 0);
	assert_int_equal(pins_set(p, "bad name", srv, k1, 1), E2_ERR_INVAL);
	assert_int_equal(pins_set(p, "", srv, k1, 1), E2_ERR_INVAL);
	assert_int_equal(pins_set(p, "#x", srv, k1, 1), E2_ERR_INVAL);
	assert_int_equal(pins_set(p, "x", srv, k1, -1), E2_ERR_INVAL);
	assert_int_equal(pins_set(p, NULL, srv, k1, 1), E2_ERR_INVAL);
	assert_int_equal(pins_count(p), 2);
	assert_int_equal(pins_check(p, "alice", srv, k1), KEY_KNOWN);
	assert_int_equal(pins_check(p, "alice", srv, k2), KEY_CHANGED);
	assert_int_equal(pins_set_verified(p, "alice", srv, 1), 0);
	assert_int_equal(pins_check(p, "alice", srv, k1), KEY_VERIFIED);
	assert_int_equal(pins_check(p, "alice", srv, k2),
	    KEY_CHANGED_VERIFIED);
	assert_int_equal(pins_set_verified(p, "nobody", srv, 1),
	    E2_ERR_NOTFOUND);

	/* The same key again changes nothing; another key resets. */
	assert_int_equal(pins_set(p, "alice", srv, k1, 999), 0);
	e = pins_find(p, "alice", srv);
	assert_non_null(e);
	assert_string_equal(e->place, srv);
	assert_int_equal(e->verified, 1);
	assert_int_equal(e->first_seen, 100);

	assert_int_equal(pins_save(p, err, sizeof(err)), 0);
	assert_int_equal(mode_of(tp("pins")), 0600);
	assert_string_equal(get(tp("pins")),
	    "# e2call pinned keys of people: NAME PLACE PUBLIC-KEY "
	    "new|verified FIRST-SEEN\n"
	    "# (PLACE: server:<server key>, server:* for any server, direct "
	    "or caller;\n"
	    "# FIRST-SEEN in seconds since 1970-01-01 UTC)\n"
	    "alice server:" B64_3 " " B64_1 " verified 100\n"
	    "bob@srv.example:7351 direct " B64_2 " new 200\n");
	assert_int_equal(pins_load(tp("pins"), PINS_CONTACTS, NULL, &q, err,
	    sizeof(err)), 0);
	assert_false(access(tp("pins.v1"), F_OK) == 0);	/* nothing old */
	assert_int_equal(pins_count(q), 2);
	e = pins_at(q, 0);
	assert_string_equal(e->name, "alice");
	assert_string_equal(e->place, srv);
	assert_memory_equal(e->pub, k1, 32);
	assert_int_equal(e->verified, 1);
	assert_int_equal(e->first_seen, 100);
	e = pins_at(q, 1);
	assert_string_equal(e->name, "bob@srv.example:7351");
	assert_string_equal(e->place, "direct");
	assert_memory_equal(e->pub, k2, 32);
	assert_int_equal(e->verified, 0);
	assert_int_equal(e->first_seen, 200);
	pins_free(q);

	assert_int_equal(pins_set(p, "alice", srv, k2, 300), 0);
	e = pins_find(p, "alice", srv);
	assert_int_equal(e->verified, 0);
	assert_int_equal(e->first_seen, 300);
	assert_memory_equal(e->pub, k2, 32);
	assert_ptr_equal(pins_find_key(p, k2), e);	/* the first of two */
	assert_null(pins_find_key(p, k1));
	assert_int_equal(pins_remove(p, "alice", srv), 0);
	assert_int_equal(pins_remove(p, "alice", srv), E2_ERR_NOTFOUND);
	assert_int_equal(pins_count(p), 1);
	assert_string_equal(pins_at(p, 0)->name, "bob@srv.example:7351");
	assert_null(pins_find(p, "alice", srv));
	assert_ptr_equal(pins_find_key(p, k2), pins_at(p, 0));
	pins_free(p);
	pins_free(NULL);

	assert_string_equal(key_status_name(KEY_NEW), "new");
	assert_string_equal(key_status_name(KEY_KNOWN), "known");
	assert_string_equal(key_status_name(KEY_VERIFIED), "verified");
	assert_string_equal(key_status_name(KEY_CHANGED), "changed");
	assert_string_equal(key_status_name(KEY_CHANGED_VERIFIED),
	    "changed-verified");
}

/* known_servers: four fields, no place, the same header as ever. */
static void
test_pins_servers(void **state)
{
	struct pins *p = NULL, *q = NULL;
	const struct pin *e;
	uint8_t k1[32], k2[32];
	char err[512];

	(void)state;
	memset(k1, 1, sizeof(k1));
	memset(k2, 2, sizeof(k2));
	put(tp("known_servers"), "# mine\nsrv.example:7350 " B64_1
	    " new 5\n", 0600);
	assert_int_equal(pins_load(tp("known_servers"), PINS_SERVERS, NULL,
	    &p, err, sizeof(err)), 0);
	assert_false(access(tp("known_servers.v1"), F_OK) == 0);
	assert_int_equal(pins_count(p), 1);
	e = pins_find(p, "srv.example:7350", NULL);
	assert_non_null(e);
	assert_string_equal(e->place, "");
	assert_ptr_equal(pins_find(p, "srv.example:7350", ""), e);
	assert_null(pins_find(p, "srv.example:7350", "direct"));
	assert_int_equal(pins_check(p, "srv.example:7350", NULL, k1),
	    KEY_KNOWN);
	assert_int_equal(pins_check(p, "srv.example:7350", NULL, k2),
	    KEY_CHANGED);
	/* A server's entry has no place; a person's place is refused. */
	assert_int_equal(pins_set(p, "[::1]:7350", "direct", k2, 6),
	    E2_ERR_INVAL);
	assert_int_equal(pins_set(p, "[::1]:7350", "", k2, 6), 0);
	assert_ptr_equal(pins_find_key(p, k2), pins_find(p, "[::1]:7350",
	    NULL));
	assert_int_equal(pins_save(p, err, sizeof(err)), 0);
	assert_string_equal(get(tp("known_servers")),
	    "# e2call pinned keys: NAME PUBLIC-KEY new|verified FIRST-SEEN\n"
	    "# (FIRST-SEEN in seconds since 1970-01-01 UTC)\n"
	    "srv.example:7350 " B64_1 " new 5\n"
	    "[::1]:7350 " B64_2 " new 6\n");
	assert_int_equal(pins_load(tp("known_servers"), PINS_SERVERS, NULL,
	    &q, err, sizeof(err)), 0);
	assert_int_equal(pins_count(q), 2);
	pins_free(q);
	pins_free(p);
}

/* Places, and the names that go with them. */
static void
test_pins_place_rules(void **state)
{
	struct pins *p = NULL;
	uint8_t k1[32], ks[32];
	char place[PIN_PLACE_MAX + 1], name[PIN_NAME_MAX + 1];
	char fp[FINGERPRINT_LEN + 1], err[512];
	size_t i, o;

	(void)state;
	memset(k1, 1, sizeof(k1));
	memset(ks, 3, sizeof(ks));
	pins_server_place(ks, place);
	assert_string_equal(place, "server:" B64_3);
	assert_int_equal(strlen(place), 51);
	assert_true(pin_place_ok(place));
	assert_true(pin_place_ok("server:*"));
	assert_true(pin_place_ok("direct"));
	assert_true(pin_place_ok("caller"));
	assert_false(pin_place_ok(NULL));
	assert_false(pin_place_ok(""));
	assert_false(pin_place_ok("server:"));
	assert_false(pin_place_ok("server:**"));
	assert_false(pin_place_ok("Direct"));
	assert_false(pin_place_ok("direct "));
	assert_false(pin_place_ok("srv.example:7350"));
	assert_false(pin_place_ok("server:" B64_3 "x"));
	/* Short, unpadded, or not the canonical encoding of its bytes. */
	assert_false(pin_place_ok("server:"
	    "AwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwM"));
	assert_false(pin_place_ok("server:"
	    "AwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwN="));
	assert_false(pin_place_ok("server:"
	    "AwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAw=="));

	/* A caller without a name: '~' and its fingerprint, no spaces. */
	pins_caller_name(k1, name);
	assert_int_equal(fingerprint(k1, fp), 0);
	assert_int_equal(strlen(name), 33);
	assert_int_equal(name[0], '~');
	for (i = 0, o = 1; fp[i] != '\0'; i++)
		if (fp[i] != ' ')
			assert_int_equal(name[o++], fp[i]);
	assert_int_equal(o, 33);

	assert_int_equal(pins_load(tp("rules"), PINS_CONTACTS, NULL, &p, err,
	    sizeof(err)), 0);
	assert_int_equal(pins_set(p, name, "caller", k1, 1), 0);
	assert_int_equal(pins_set(p, "alice", "caller", k1, 1), 0);
	assert_int_equal(pins_set(p, "alice@10.0.0.1:7351", "direct", k1, 1),
	    0);
	assert_int_equal(pins_set(p, "alice", "server:*", k1, 1), 0);
	/* No place, or a place that is not one. */
	assert_int_equal(pins_set(p, "bob", NULL, k1, 1), E2_ERR_INVAL);
	assert_int_equal(pins_set(p, "bob", "", k1, 1), E2_ERR_INVAL);
	assert_int_equal(pins_set(p, "bob", "elsewhere", k1, 1),
	    E2_ERR_INVAL);
	/* '@' only in direct, and direct only with one. */
	assert_int_equal(pins_set(p, "bob", "direct", k1, 1), E2_ERR_INVAL);
	assert_int_equal(pins_set(p, "@10.0.0.1:7351", "direct", k1, 1),
	    E2_ERR_INVAL);
	assert_int_equal(pins_set(p, "bob@", "direct", k1, 1), E2_ERR_INVAL);
	assert_int_equal(pins_set(p, "bob@10.0.0.1:7351", place, k1, 1),
	    E2_ERR_INVAL);
	assert_int_equal(pins_set(p, "bob@10.0.0.1:7351", "caller", k1, 1),
	    E2_ERR_INVAL);
	/* '~' names are fingerprints of callers, nothing else. */
	assert_int_equal(pins_set(p, name, place, k1, 1), E2_ERR_INVAL);
	assert_int_equal(pins_set(p, name, "server:*", k1, 1), E2_ERR_INVAL);
	assert_int_equal(pins_set(p, "~bob", "caller", k1, 1), E2_ERR_INVAL);
	name[5] = 'A';
	assert_int_equal(pins_set(p, name, "caller", k1, 1), E2_ERR_INVAL);
	assert_int_equal(pins_count(p), 4);
	pins_free(p);
}

/*
 * The same name under server A, server B, direct (name@HOST:PORT) and as
 * a direct caller: four pins, each changed without touching the others.
 */
static void
test_pins_scoped(void **state)
{
	struct pins *p = NULL, *q = NULL;
	const struct pin *e;
	uint8_t ka[32], kb[32], kd[32], kc[32], kx[32], sa[32], sb[32];
	char pa[PIN_PLACE_MAX + 1], pb[PIN_PLACE_MAX + 1], err[512];
	const char *direct = "alice@192.0.2.7:7351";

	(void)state;
	memset(ka, 0xa1, 32);
	memset(kb, 0xb1, 32);
	memset(kd, 0xd1, 32);
	memset(kc, 0xc1, 32);
	memset(kx, 0xee, 32);
	memset(sa, 0x5a, 32);
	memset(sb, 0x5b, 32);
	pins_server_place(sa, pa);
	pins_server_place(sb, pb);
	assert_int_equal(pins_load(tp("scoped"), PINS_CONTACTS, NULL, &p,
	    err, sizeof(err)), 0);
	assert_int_equal(pins_set(p, "alice", pa, ka, 1), 0);
	assert_int_equal(pins_check(p, "alice", pb, ka), KEY_NEW);
	assert_int_equal(pins_check(p, "alice", "caller", ka), KEY_NEW);
	assert_int_equal(pins_check(p, "alice", "direct", ka), KEY_NEW);
	assert_int_equal(pins_set(p, "alice", pb, kb, 2), 0);
	assert_int_equal(pins_set(p, direct, "direct", kd, 3), 0);
	assert_int_equal(pins_set(p, "alice", "caller", kc, 4), 0);
	assert_int_equal(pins_count(p), 4);
	assert_int_equal(pins_set_verified(p, "alice", pa, 1), 0);

	/* Each place sees its own key only. */
	assert_int_equal(pins_check(p, "alice", pa, ka), KEY_VERIFIED);
	assert_int_equal(pins_check(p, "alice", pa, kc), KEY_CHANGED_VERIFIED);
	assert_int_equal(pins_check(p, "alice", pb, kb), KEY_KNOWN);
	assert_int_equal(pins_check(p, "alice", pb, ka), KEY_CHANGED);
	assert_int_equal(pins_check(p, direct, "direct", kd), KEY_KNOWN);
	assert_int_equal(pins_check(p, "alice", "caller", kc), KEY_KNOWN);
	assert_int_equal(pins_check(p, "alice", "caller", ka), KEY_CHANGED);

	/*
	 * A direct caller claiming "alice" with another key: only the caller
	 * pin moves; the verified pin of alice on server A stays.
	 */
	assert_int_equal(pins_set(p, "alice", "caller", kx, 5), 0);
	assert_int_equal(pins_check(p, "alice", "caller", kx), KEY_KNOWN);
	assert_int_equal(pins_check(p, "alice", pa, ka), KEY_VERIFIED);
	assert_int_equal(pins_check(p, "alice", pb, kb), KEY_KNOWN);
	assert_int_equal(pins_check(p, direct, "direct", kd), KEY_KNOWN);
	e = pins_find(p, "alice", pa);
	assert_int_equal(e->first_seen, 1);

	/* Verified, unverified, removed one at a time. */
	assert_int_equal(pins_set_verified(p, "alice", "caller", 1), 0);
	assert_int_equal(pins_find(p, "alice", pb)->verified, 0);
	assert_int_equal(pins_set_verified(p, "alice", pa, 0), 0);
	assert_int_equal(pins_find(p, "alice", "caller")->verified, 1);
	assert_int_equal(pins_remove(p, "alice", pb), 0);
	assert_int_equal(pins_check(p, "alice", pb, kb), KEY_NEW);
	assert_int_equal(pins_check(p, "alice", pa, ka), KEY_KNOWN);
	assert_int_equal(pins_remove(p, "alice", "direct"), E2_ERR_NOTFOUND);
	assert_int_equal(pins_remove(p, direct, "caller"), E2_ERR_NOTFOUND);
	assert_int_equal(pins_set(p, "alice", pb, kb, 6), 0);

	/* All four come back from the file as they were. */
	assert_int_equal(pins_save(p, err, sizeof(err)), 0);
	assert_int_equal(pins_load(tp("scoped"), PINS_CONTACTS, NULL, &q,
	    err, sizeof(err)), 0);
	assert_int_equal(pins_count(q), 4);
	assert_int_equal(pins_check(q, "alice", pa, ka), KEY_KNOWN);
	assert_int_equal(pins_check(q, "alice", pb, kb), KEY_KNOWN);
	assert_int_equal(pins_check(q, direct, "direct", kd), KEY_KNOWN);
	assert_int_equal(pins_check(q, "alice", "caller", kx), KEY_VERIFIED);
	assert_null(pins_find(q, "alice", "server:*"));
	pins_free(q);
	pins_free(p);
}

/* server:* matches any server until it is pinned again. */
static void
test_pins_wildcard(void **state)
{
	struct pins *p = NULL;
	const struct pin *e;
	uint8_t k1[32], k2[32], sa[32], sb[32];
	char pa[PIN_PLACE_MAX + 1], pb[PIN_PLACE_MAX + 1], err[512];

	(void)state;
	memset(k1, 1, 32);
	memset(k2, 2, 32);
	memset(sa, 0x5a, 32);
	memset(sb, 0x5b, 32);
	pins_server_place(sa, pa);
	pins_server_place(sb, pb);
	put(tp("wild"), "alice server:* " B64_1 " verified 10\n"
	    "bob server:* " B64_1 " new 20\n"
	    "carol server:* " B64_1 " verified 30\n"
	    "carol server:" B64_3 " " B64_2 " new 31\n", 0600);
	assert_int_equal(pins_load(tp("wild"), PINS_CONTACTS, NULL, &p, err,
	    sizeof(err)), 0);
	assert_false(access(tp("wild.v1"), F_OK) == 0);

	/* Any server place finds it; direct and caller do not. */
	e = pins_find(p, "alice", pa);
	assert_non_null(e);
	assert_string_equal(e->place, "server:*");
	assert_ptr_equal(pins_find(p, "alice", pb), e);
	assert_ptr_equal(pins_find(p, "alice", "server:*"), e);
	assert_null(pins_find(p, "alice", "caller"));
	assert_null(pins_find(p, "alice", "direct"));
	assert_null(pins_find(p, "alice", NULL));
	assert_int_equal(pins_check(p, "alice", pa, k1), KEY_VERIFIED);
	assert_int_equal(pins_check(p, "alice", pb, k2),
	    KEY_CHANGED_VERIFIED);
	assert_int_equal(pins_check(p, "alice", "caller", k2), KEY_NEW);

	/* Pinned again, the same key: it takes the place, keeps the rest. */
	assert_int_equal(pins_set(p, "alice", pa, k1, 99), 0);
	e = pins_find(p, "alice", pa);
	assert_string_equal(e->place, pa);
	assert_int_equal(e->verified, 1);
	assert_int_equal(e->first_seen, 10);
	assert_int_equal(pins_check(p, "alice", pb, k1), KEY_NEW);
	assert_null(pins_find(p, "alice", "server:*"));
	assert_int_equal(pins_count(p), 4);

	/* With another key: replaced, reset, in the concrete place. */
	assert_int_equal(pins_set(p, "bob", pb, k2, 77), 0);
	e = pins_find(p, "bob", pb);
	assert_string_equal(e->place, pb);
	assert_memory_equal(e->pub, k2, 32);
	assert_int_equal(e->verified, 0);
	assert_int_equal(e->first_seen, 77);
	assert_null(pins_find(p, "bob", pa));
	assert_int_equal(pins_count(p), 4);

	/* An exact place comes before server:*, which catches the rest. */
	memset(sa, 3, 32);		/* carol's own server */
	pins_server_place(sa, pa);
	assert_int_equal(pins_check(p, "carol", pa, k2), KEY_KNOWN);
	assert_int_equal(pins_check(p, "carol", pb, k1), KEY_VERIFIED);
	assert_int_equal(pins_set_verified(p, "carol", pb, 0), 0);
	assert_int_equal(pins_find(p, "carol", "server:*")->verified, 0);
	assert_int_equal(pins_remove(p, "carol", pb), 0);
	assert_null(pins_find(p, "carol", pb));
	assert_non_null(pins_find(p, "carol", pa));
	assert_int_equal(pins_count(p), 3);
	pins_free(p);
}

/* Reads a whole file (up to 64 KiB) into a static buffer. */
static const char *
slurp(const char *path, size_t *lenp)
{
	static char buf[65536];
	FILE *f = fopen(path, "rb");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	*lenp = n;
	return buf;
}

static ino_t
inode(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_ino;
}

/* An older four-field file is migrated whole, its bytes kept in .v1. */
static void
test_pins_migrate(void **state)
{
	struct pins *p = NULL;
	const struct pin *e;
	uint8_t k1[32], k2[32], k3[32], ks[32];
	char srv[PIN_PLACE_MAX + 1], anon[PIN_NAME_MAX + 1], err[512];
	char want[4096];
	const char *old, *got;
	size_t len;
	ino_t ino;

	(void)state;
	memset(k1, 1, 32);
	memset(k2, 2, 32);
	memset(k3, 3, 32);
	memset(ks, 0x5a, 32);
	pins_server_place(ks, srv);
	pins_caller_name(k3, anon);
	old = "# e2call pinned keys: NAME PUBLIC-KEY new|verified FIRST-SEEN\n"
	    "# (FIRST-SEEN in seconds since 1970-01-01 UTC)\n"
	    "alice " B64_1 " verified 1700000000\n"
	    "\n"
	    "  bob@192.0.2.7:7351\t" B64_2 "   new 0  \r\n"
	    "# a comment of mine\n"
	    "anonymous " B64_3 " verified 1700000300\n"
	    "carol " B64_2 " new 253402300799\n";

	/* The server unknown: bare names match any server. */
	put(tp("contacts"), old, 0644);
	assert_int_equal(pins_load(tp("contacts"), PINS_CONTACTS, NULL, &p,
	    err, sizeof(err)), 0);
	assert_int_equal(pins_count(p), 4);
	e = pins_at(p, 0);
	assert_string_equal(e->name, "alice");
	assert_string_equal(e->place, "server:*");
	assert_memory_equal(e->pub, k1, 32);
	assert_int_equal(e->verified, 1);
	assert_int_equal(e->first_seen, 1700000000);
	e = pins_at(p, 1);
	assert_string_equal(e->name, "bob@192.0.2.7:7351");
	assert_string_equal(e->place, "direct");
	assert_memory_equal(e->pub, k2, 32);
	assert_int_equal(e->verified, 0);
	assert_int_equal(e->first_seen, 0);
	e = pins_at(p, 2);
	assert_string_equal(e->name, anon);
	assert_string_equal(e->place, "caller");
	assert_memory_equal(e->pub, k3, 32);
	assert_int_equal(e->verified, 1);
	assert_int_equal(e->first_seen, 1700000300);
	e = pins_at(p, 3);
	assert_string_equal(e->name, "carol");
	assert_string_equal(e->place, "server:*");
	assert_int_equal(e->first_seen, 253402300799LL);
	assert_int_equal(pins_check(p, "alice", srv, k1), KEY_VERIFIED);
	pins_free(p);

	/* The old bytes, exactly, in contacts.v1; the new file in place. */
	got = slurp(tp("contacts.v1"), &len);
	assert_int_equal(len, strlen(old));
	assert_string_equal(got, old);
	assert_int_equal(mode_of(tp("contacts.v1")), 0600);
	assert_int_equal(mode_of(tp("contacts")), 0600);
	snprintf(want, sizeof(want),
	    "# e2call pinned keys of people: NAME PLACE PUBLIC-KEY "
	    "new|verified FIRST-SEEN\n"
	    "# (PLACE: server:<server key>, server:* for any server, direct "
	    "or caller;\n"
	    "# FIRST-SEEN in seconds since 1970-01-01 UTC)\n"
	    "alice server:* " B64_1 " verified 1700000000\n"
	    "bob@192.0.2.7:7351 direct " B64_2 " new 0\n"
	    "%s caller " B64_3 " verified 1700000300\n"
	    "carol server:* " B64_2 " new 253402300799\n", anon);
	assert_string_equal(get(tp("contacts")), want);
	assert_int_equal(count_tmp(tmpdir), 0);

	/* Loaded again: nothing to migrate, nothing written. */
	ino = inode(tp("contacts"));
	assert_int_equal(pins_load(tp("contacts"), PINS_CONTACTS, srv, &p,
	    err, sizeof(err)), 0);
	assert_int_equal(pins_count(p), 4);
	assert_string_equal(pins_at(p, 0)->place, "server:*");
	pins_free(p);
	assert_true(inode(tp("contacts")) == ino);
	assert_string_equal(slurp(tp("contacts.v1"), &len), old);

	/* The server known: bare names get its place. */
	put(tp("contacts2"), old, 0600);
	assert_int_equal(pins_load(tp("contacts2"), PINS_CONTACTS, srv, &p,
	    err, sizeof(err)), 0);
	assert_string_equal(pins_at(p, 0)->place, srv);
	assert_string_equal(pins_at(p, 1)->place, "direct");
	assert_string_equal(pins_at(p, 2)->place, "caller");
	assert_string_equal(pins_at(p, 3)->place, srv);
	assert_int_equal(pins_check(p, "alice", srv, k1), KEY_VERIFIED);
	assert_int_equal(pins_check(p, anon, "caller", k3), KEY_VERIFIED);
	assert_int_equal(pins_check(p, "anonymous", "caller", k3), KEY_NEW);
	pins_free(p);
	assert_string_equal(slurp(tp("contacts2.v1"), &len), old);

	/* A mixed file: old lines migrate, new ones stay. */
	put(tp("contacts3"), "dave server:* " B64_1 " new 1\n"
	    "erin " B64_2 " new 2\n"
	    "erin " "server:" B64_3 " " B64_1 " verified 3\n", 0600);
	assert_int_equal(pins_load(tp("contacts3"), PINS_CONTACTS, srv, &p,
	    err, sizeof(err)), 0);
	assert_int_equal(pins_count(p), 3);
	assert_string_equal(pins_at(p, 0)->place, "server:*");
	assert_string_equal(pins_at(p, 1)->place, srv);
	assert_string_equal(pins_at(p, 2)->place, "server:" B64_3);
	pins_free(p);
	assert_non_null(strstr(get(tp("contacts3")), "\nerin " "server:"));
	assert_non_null(strstr(slurp(tp("contacts3.v1"), &len),
	    "\nerin " B64_2 " new 2\n"));

	/* A bad legacy place is refused before anything is read. */
	put(tp("contacts4"), old, 0600);
	assert_int_equal(pins_load(tp("contacts4"), PINS_CONTACTS, "direct",
	    &p, err, sizeof(err)), E2_ERR_INVAL);
	assert_null(p);
	assert_int_equal(pins_load(tp("contacts4"), PINS_CONTACTS,
	    "server:nokey", &p, err, sizeof(err)), E2_ERR_INVAL);
	assert_string_equal(get(tp("contacts4")), old);
	assert_false(access(tp("contacts4.v1"), F_OK) == 0);

	/* The copy cannot be written: an error, and the file as it was. */
	assert_int_equal(mkdir(tp("contacts4.v1"), 0700), 0);
	put(tp("contacts4.v1/x"), "x", 0600);
	assert_int_equal(pins_load(tp("contacts4"), PINS_CONTACTS, NULL, &p,
	    err, sizeof(err)), E2_ERR_IO);
	assert_null(p);
	assert_non_null(strstr(err, "contacts4.v1"));
	assert_string_equal(get(tp("contacts4")), old);
	assert_int_equal(count_tmp(tmpdir), 0);

	/* known_servers is never migrated. */
	put(tp("servers"), "srv.example:7350 " B64_1 " new 5\n", 0600);
	assert_int_equal(pins_load(tp("servers"), PINS_SERVERS, NULL, &p,
	    err, sizeof(err)), 0);
	pins_free(p);
	assert_false(access(tp("servers.v1"), F_OK) == 0);
	assert_string_equal(get(tp("servers")),
	    "srv.example:7350 " B64_1 " new 5\n");
}

/* loads(kind, text, lineno, why): refused with path:lineno: why. */
static void
refused(enum pins_kind kind, const char *text, int lineno, const char *why)
{
	struct pins *p = (struct pins *)1;
	char err[512], want[512];

	put(tp("bad"), text, 0600);
	assert_int_equal(pins_load(tp("bad"), kind, NULL, &p, err,
	    sizeof(err)), E2_ERR_CORRUPT);
	assert_null(p);
	snprintf(want, sizeof(want), "%s:%d: %s", tp("bad"), lineno, why);
	if (strncmp(err, want, strlen(want)) != 0)
		fail_msg("got '%s', want '%s...'", err, want);
	/* Never rewritten, never copied. */
	assert_string_equal(get(tp("bad")), text);
	assert_false(access(tp("bad.v1"), F_OK) == 0);
}

static void
test_pins_corrupt(void **state)
{
	(void)state;
	refused(PINS_CONTACTS, "# x\nalice server:* " B64_1 " new 5\n"
	    "bob server:* " B64_1 " maybe 5\n", 3,
	    "bad status for 'bob' (expected 'new' or 'verified')");
	/* An old line that would migrate, then a bad one: nothing happens. */
	refused(PINS_CONTACTS, "alice " B64_1 " new 5\nbob " B64_1
	    " maybe 5\n", 2, "bad status for 'bob'");
	refused(PINS_CONTACTS, "alice elsewhere " B64_1 " new 5\n", 1,
	    "bad place for 'alice'");
	refused(PINS_CONTACTS, "alice server:" B64_1 "x " B64_1 " new 5\n", 1,
	    "bad place for 'alice'");
	refused(PINS_CONTACTS, "alice direct " B64_1 " new 5\n", 1,
	    "'alice' in place direct: a direct name is NAME@HOST:PORT");
	refused(PINS_CONTACTS, "a@h:1 server:* " B64_1 " new 5\n", 1,
	    "'a@h:1' in place server:*: a name with '@' is only for place "
	    "direct");
	refused(PINS_CONTACTS, "~abc server:* " B64_1 " new 5\n", 1,
	    "'~abc' in place server:*: a name starting with '~' is only");
	refused(PINS_CONTACTS, "~abc caller " B64_1 " new 5\n", 1,
	    "'~abc' in place caller: bad name");
	refused(PINS_CONTACTS, "alice caller " B64_1 " new 5\n"
	    "alice caller " B64_2 " new 6\n", 2,
	    "'alice' is listed twice in place caller");
	/* Twice once the older line is migrated. */
	refused(PINS_CONTACTS, "a@h:1 direct " B64_1 " new 5\n"
	    "a@h:1 " B64_2 " new 6\n", 2,
	    "'a@h:1' is listed twice in place direct (after migration)");
	refused(PINS_CONTACTS, "alice caller " B64_1 " new\n", 1,
	    "expected 5 fields (NAME PLACE KEY new|verified TIME), found "
	    "fewer");
	refused(PINS_CONTACTS, "alice caller " B64_1 " new 5 6\n", 1,
	    "expected 5 fields (NAME PLACE KEY new|verified TIME), found "
	    "more");
	refused(PINS_CONTACTS, "alice caller " B64_1 " new 5 6 7 8\n", 1,
	    "expected 5 fields");
	refused(PINS_CONTACTS, "alice caller notakey new 5\n", 1,
	    "bad key for 'alice'");
	refused(PINS_CONTACTS, "alice caller " B64_1 " new -5\n", 1,
	    "bad first-seen time for 'alice'");
	refused(PINS_CONTACTS, "# ok\n\nalice " B64_1 " new 99999999999999\n",
	    3, "bad first-seen time for 'alice'");
	/* An old "~" name cannot be migrated: it is refused. */
	refused(PINS_CONTACTS, "~abc " B64_1 " new 5\n", 1,
	    "'~abc' in place server:*: a name starting with '~'");
	/* known_servers: four fields exactly, no place. */
	refused(PINS_SERVERS, "srv:1 " B64_1 " new 5\nsrv:2 server:* " B64_1
	    " new 5\n", 2, "expected 4 fields (NAME KEY new|verified TIME), "
	    "found more");
	refused(PINS_SERVERS, "srv:1 " B64_1 " new 5\nsrv:1 " B64_2
	    " new 5\n", 2, "'srv:1' is listed twice");
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
		cmocka_unit_test(test_pins_servers),
		cmocka_unit_test(test_pins_place_rules),
		cmocka_unit_test(test_pins_scoped),
		cmocka_unit_test(test_pins_wildcard),
		cmocka_unit_test(test_pins_migrate),
		cmocka_unit_test(test_pins_corrupt),
		cmocka_unit_test(test_config_file),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, setup, teardown);
}
