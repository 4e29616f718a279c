/*
 * keyfile.c - long-term X25519 keys on disk; see keyfile.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <sodium.h>

#include "atomic.h"
#include "err.h"
#include "keyfile.h"
#include "noise.h"

#define KEYFILE_MAX	4096	/* a key file is about 140 bytes */
#define KEYFILE_HEADER	"# e2call private key (keep secret)\n"

void
pubkey_to_b64(const uint8_t pub[32], char out[PUBKEY_B64_LEN + 1])
{
	sodium_bin2base64(out, PUBKEY_B64_LEN + 1, pub, 32,
	    sodium_base64_VARIANT_ORIGINAL);
}

/* Exactly 44 characters of padded standard base64 that decode to 32 bytes. */
static int
key_from_b64(const char *s, size_t len, uint8_t out[32])
{
	const char *end = NULL;
	size_t binlen = 0;

	if (len != PUBKEY_B64_LEN)
		return E2_ERR_MALFORMED;
	if (sodium_base642bin(out, 32, s, len, NULL, &binlen, &end,
	    sodium_base64_VARIANT_ORIGINAL) != 0 || binlen != 32 ||
	    end != s + len)
		return E2_ERR_MALFORMED;
	return 0;
}

int
pubkey_from_b64(const char *s, uint8_t pub[32])
{
	uint8_t tmp[32];

	if (s == NULL || key_from_b64(s, strlen(s), tmp) != 0)
		return E2_ERR_MALFORMED;
	memcpy(pub, tmp, 32);
	return 0;
}

void
keypair_free(struct keypair *kp)
{
	if (kp == NULL)
		return;
	if (kp->priv != NULL)
		sodium_free(kp->priv);	/* wipes */
	sodium_memzero(kp, sizeof(*kp));
	free(kp);
}

static int
is_ws(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r';
}

/*
 * Parses the key file text (in place; it is secret) into kp.  Messages
 * name path and line and never quote the file: it holds a private key.
 */
static int
parse_keyfile(const char *path, char *text, size_t len, struct keypair *kp,
    char *err, size_t errlen)
{
	uint8_t derived[32];
	char *p = text, *e, *nl, *kw, *val, *ve;
	size_t lineno = 0, left = len, llen, privline = 0, publine = 0;
	int rc = E2_ERR_CORRUPT;

	if (len == 0) {
		e2_seterr(err, errlen, "%s: empty file (no key in it)", path);
		goto out;
	}
	while (left > 0) {
		nl = memchr(p, '\n', left);
		llen = nl != NULL ? (size_t)(nl - p) : left;
		lineno++;
		if (memchr(p, '\0', llen) != NULL) {
			e2_seterr(err, errlen, "%s:%zu: NUL byte in a key file",
			    path, lineno);
			goto out;
		}
		e = p + llen;
		kw = p;
		left -= llen + (nl != NULL);
		p = e + (nl != NULL);

		while (e > kw && is_ws(e[-1]))
			e--;
		while (kw < e && is_ws(*kw))
			kw++;
		if (kw == e || *kw == '#')
			continue;
		for (val = kw; val < e && !is_ws(*val); val++)
			;
		ve = val;
		while (val < e && is_ws(*val))
			val++;
		if (ve - kw == 7 && memcmp(kw, "private", 7) == 0) {
			if (privline != 0) {
				e2_seterr(err, errlen, "%s:%zu: second 'private' "
				    "line (first on line %zu)", path, lineno,
				    privline);
				goto out;
			}
			if (key_from_b64(val, (size_t)(e - val),
			    kp->priv) != 0) {
				e2_seterr(err, errlen, "%s:%zu: the private key "
				    "is not 44 characters of base64 for 32 "
				    "bytes", path, lineno);
				goto out;
			}
			privline = lineno;
		} else if (ve - kw == 6 && memcmp(kw, "public", 6) == 0) {
			if (publine != 0) {
				e2_seterr(err, errlen, "%s:%zu: second 'public' "
				    "line (first on line %zu)", path, lineno,
				    publine);
				goto out;
			}
			if (key_from_b64(val, (size_t)(e - val),
			    kp->pub) != 0) {
				e2_seterr(err, errlen, "%s:%zu: the public key "
				    "is not 44 characters of base64 for 32 "
				    "bytes", path, lineno);
				goto out;
			}
			publine = lineno;
		} else {
			e2_seterr(err, errlen, "%s:%zu: expected 'private KEY' "
			    "or 'public KEY'", path, lineno);
			goto out;
		}
	}
	if (privline == 0) {
		e2_seterr(err, errlen, "%s: no 'private' line: not an e2call key "
		    "file, or cut short", path);
		goto out;
	}
	if (publine == 0) {
		e2_seterr(err, errlen, "%s: no 'public' line: the file is cut "
		    "short", path);
		goto out;
	}
	if (noise_pubkey(kp->priv, derived) != 0) {
		e2_seterr(err, errlen, "%s:%zu: the private key is not a usable "
		    "X25519 key", path, privline);
		goto out;
	}
	if (sodium_memcmp(derived, kp->pub, 32) != 0) {
		e2_seterr(err, errlen, "%s:%zu: the public key does not belong to "
		    "the private key on line %zu", path, publine, privline);
		goto out;
	}
	rc = 0;
out:
	sodium_memzero(derived, sizeof(derived));
	return rc;
}

/* Writes kp to path: replacing what is there, or only if nothing is. */
static int
write_key(const char *path, const struct keypair *kp, int replace,
    char *err, size_t errlen)
{
	char *text = NULL, b64[PUBKEY_B64_LEN + 1];
	const size_t cap = 256;
	int n, rc;

	if ((text = sodium_malloc(cap)) == NULL) {
		e2_seterr(err, errlen, "out of memory");
		return E2_ERR_NOMEM;
	}
	sodium_bin2base64(b64, sizeof(b64), kp->priv, 32,
	    sodium_base64_VARIANT_ORIGINAL);
	n = snprintf(text, cap, "%sprivate %s\n", KEYFILE_HEADER, b64);
	pubkey_to_b64(kp->pub, b64);
	n += snprintf(text + n, cap - (size_t)n, "public %s\n", b64);
	rc = replace ? atomic_write(path, text, (size_t)n, 0600, err, errlen) :
	    atomic_create(path, text, (size_t)n, 0600, err, errlen);
	sodium_memzero(b64, sizeof(b64));
	sodium_memzero(text, cap);
	sodium_free(text);
	return rc;
}

/* Makes a key pair and writes it to path if nothing is there yet. */
static int
create_key(const char *path, struct keypair *kp, char *err, size_t errlen)
{
	noise_keypair(kp->priv, kp->pub);
	return write_key(path, kp, 0, err, errlen);
}

int
keyfile_save(const char *path, const struct keypair *kp, char *err,
    size_t errlen)
{
	return write_key(path, kp, 1, err, errlen);
}

int
keypair_new(struct keypair **kpp)
{
	struct keypair *kp;

	*kpp = NULL;
	if ((kp = calloc(1, sizeof(*kp))) == NULL ||
	    (kp->priv = sodium_malloc(32)) == NULL) {
		free(kp);
		return E2_ERR_NOMEM;
	}
	noise_keypair(kp->priv, kp->pub);
	*kpp = kp;
	return 0;
}

/* Owner only, owned by us, a regular file. */
static int
check_fd(int fd, const char *path, char *err, size_t errlen)
{
	struct stat st;

	if (fstat(fd, &st) != 0) {
		e2_seterr(err, errlen, "%s: %s", path, strerror(errno));
		return E2_ERR_IO;
	}
	if (!S_ISREG(st.st_mode)) {
		e2_seterr(err, errlen, "%s: not a regular file", path);
		return E2_ERR_IO;
	}
	if ((st.st_mode & 077) != 0) {
		e2_seterr(err, errlen, "%s: permissions %04o are too open; the "
		    "private key must be readable only by you: chmod 600 %s",
		    path, (unsigned)(st.st_mode & 07777), path);
		return E2_ERR_PERM;
	}
	if (st.st_uid != geteuid()) {
		e2_seterr(err, errlen, "%s: owned by uid %u, not by you (uid %u); "
		    "a private key must be your own file", path,
		    (unsigned)st.st_uid, (unsigned)geteuid());
		return E2_ERR_PERM;
	}
	return 0;
}

int
keyfile_load(const char *path, int create, struct keypair **kpp,
    int *createdp, char *err, size_t errlen)
{
	struct keypair *kp = NULL;
	char *text = NULL;
	size_t len = 0;
	int fd = -1, rc, attempt;

	*kpp = NULL;
	if (createdp != NULL)
		*createdp = 0;
	if ((kp = calloc(1, sizeof(*kp))) == NULL ||
	    (kp->priv = sodium_malloc(32)) == NULL) {
		e2_seterr(err, errlen, "out of memory");
		rc = E2_ERR_NOMEM;
		goto out;
	}
	for (attempt = 0; ; attempt++) {
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
		if (fd >= 0)
			break;
		if (errno != ENOENT) {
			e2_seterr(err, errlen, "cannot open %s: %s", path,
			    strerror(errno));
			rc = E2_ERR_IO;
			goto out;
		}
		if (!create || attempt > 0) {
			e2_seterr(err, errlen, "%s: no such key file", path);
			rc = E2_ERR_NOTFOUND;
			goto out;
		}
		rc = create_key(path, kp, err, errlen);
		if (rc == 0) {
			if (createdp != NULL)
				*createdp = 1;
			*kpp = kp;
			kp = NULL;
			goto out;
		}
		if (rc != E2_ERR_EXISTS)
			goto out;
		/* Another process made it first: load that one. */
	}
	if ((rc = check_fd(fd, path, err, errlen)) != 0)
		goto out;
	rc = read_fd(fd, path, KEYFILE_MAX, 1, &text, &len, err, errlen);
	if (rc == E2_ERR_TOOBIG) {
		rc = E2_ERR_CORRUPT;
		goto out;
	}
	if (rc != 0)
		goto out;
	if ((rc = parse_keyfile(path, text, len, kp, err, errlen)) != 0)
		goto out;
	*kpp = kp;
	kp = NULL;
out:
	if (fd >= 0)
		close(fd);
	free_file(text, len, 1);
	keypair_free(kp);
	return rc;
}
