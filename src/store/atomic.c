/*
 * atomic.c - crash-safe file replacement and bounded file reading; see
 * atomic.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <dirent.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "atomic.h"
#include "err.h"

#define TMP_TRIES	16
#define STALE_SECS	600	/* a temporary file this old was abandoned */

/* dir gets the directory part of path ("." when there is none). */
static int
dir_of(const char *path, char *dir, size_t cap)
{
	const char *slash = strrchr(path, '/');
	size_t n;

	if (slash == NULL) {
		snprintf(dir, cap, ".");
		return 0;
	}
	n = slash == path ? 1 : (size_t)(slash - path);
	if (n >= cap)
		return E2_ERR_SPACE;
	memcpy(dir, path, n);
	dir[n] = '\0';
	return 0;
}

/* fsync the directory that holds path, so a rename or link is durable. */
static int
sync_dir(const char *path, char *err, size_t errlen)
{
	char dir[4096];
	int fd, e;

	if (dir_of(path, dir, sizeof(dir)) != 0) {
		e2_seterr(err, errlen, "%s: path too long", path);
		return E2_ERR_IO;
	}
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		e2_seterr(err, errlen, "cannot open directory %s: %s", dir,
		    strerror(errno));
		return E2_ERR_IO;
	}
	if (fsync(fd) != 0 && errno != EINVAL) {
		e = errno;
		close(fd);
		e2_seterr(err, errlen, "cannot sync directory %s: %s", dir,
		    strerror(e));
		return E2_ERR_IO;
	}
	close(fd);
	return 0;
}

/*
 * Removes temporary files of path that a killed process left behind
 * (older than STALE_SECS, so that a live writer's file is never taken).
 * Best effort: errors are ignored.
 */
static void
remove_stale(const char *dir, const char *base)
{
	char prefix[512], full[4200];
	struct dirent *de;
	struct stat st;
	size_t plen;
	time_t now = time(NULL);
	DIR *d;

	if ((size_t)snprintf(prefix, sizeof(prefix), ".%s.tmp-", base) >=
	    sizeof(prefix) || (d = opendir(dir)) == NULL)
		return;
	plen = strlen(prefix);
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, prefix, plen) != 0 ||
		    strlen(de->d_name) != plen + 8 ||
		    strspn(de->d_name + plen, "0123456789abcdef") != 8)
			continue;
		if ((size_t)snprintf(full, sizeof(full), "%s/%s", dir,
		    de->d_name) >= sizeof(full))
			continue;
		if (lstat(full, &st) == 0 && S_ISREG(st.st_mode) &&
		    st.st_mtime + STALE_SECS < now)
			unlink(full);
	}
	closedir(d);
}

/*
 * Writes data to a new temporary file next to path ("<dir>/.<name>.tmp-
 * <random>", created O_EXCL with mode) and fsyncs it.  tmp gets its name.
 * On failure the temporary file is gone.
 */
static int
write_temp(const char *path, const void *data, size_t len, mode_t mode,
    char *tmp, size_t tmpcap, char *err, size_t errlen)
{
	const char *base = strrchr(path, '/');
	const unsigned char *p = data;
	char dir[4096];
	uint32_t rnd;
	size_t off = 0;
	ssize_t n;
	int fd = -1, e, i, r;

	base = base != NULL ? base + 1 : path;
	if (*base == '\0' || dir_of(path, dir, sizeof(dir)) != 0) {
		e2_seterr(err, errlen, "%s: not a file name", path);
		return E2_ERR_IO;
	}
	remove_stale(dir, base);
	for (i = 0; i < TMP_TRIES; i++) {
		rnd = randombytes_random();
		r = snprintf(tmp, tmpcap, "%s/.%s.tmp-%08x", dir, base,
		    (unsigned)rnd);
		if (r < 0 || (size_t)r >= tmpcap) {
			e2_seterr(err, errlen, "%s: path too long", path);
			return E2_ERR_IO;
		}
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC |
		    O_NOFOLLOW, mode);
		if (fd >= 0 || errno != EEXIST)
			break;
	}
	if (fd < 0) {
		e2_seterr(err, errlen, "cannot create a temporary file for %s: "
		    "%s", path, strerror(errno));
		return E2_ERR_IO;
	}
	while (off < len) {
		n = write(fd, p + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			e = n < 0 ? errno : EIO;
			goto fail;
		}
		off += (size_t)n;
	}
	if (fsync(fd) != 0) {
		e = errno;
		goto fail;
	}
	if (close(fd) != 0) {
		fd = -1;
		e = errno;
		goto fail;
	}
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	e2_seterr(err, errlen, "cannot write %s: %s", path, strerror(e));
	return E2_ERR_IO;
}

int
atomic_write(const char *path, const void *data, size_t len, mode_t mode,
    char *err, size_t errlen)
{
	char tmp[4200];
	int rc;

	if ((rc = write_temp(path, data, len, mode, tmp, sizeof(tmp), err,
	    errlen)) != 0)
		return rc;
	if (rename(tmp, path) != 0) {
		int e = errno;

		unlink(tmp);
		e2_seterr(err, errlen, "cannot replace %s: %s", path,
		    strerror(e));
		return E2_ERR_IO;
	}
	return sync_dir(path, err, errlen);
}

int
atomic_create(const char *path, const void *data, size_t len, mode_t mode,
    char *err, size_t errlen)
{
	struct stat st;
	char tmp[4200];
	int rc, e;

	if ((rc = write_temp(path, data, len, mode, tmp, sizeof(tmp), err,
	    errlen)) != 0)
		return rc;
	if (link(tmp, path) == 0) {
		unlink(tmp);
		return sync_dir(path, err, errlen);
	}
	e = errno;
	if (e == EEXIST) {
		unlink(tmp);
		e2_seterr(err, errlen, "%s already exists", path);
		return E2_ERR_EXISTS;
	}
	if (e == EPERM || e == ENOTSUP || e == EOPNOTSUPP || e == ENOSYS) {
		/* No hard links here: check, then rename (a small race). */
		if (lstat(path, &st) == 0) {
			unlink(tmp);
			e2_seterr(err, errlen, "%s already exists", path);
			return E2_ERR_EXISTS;
		}
		if (rename(tmp, path) == 0)
			return sync_dir(path, err, errlen);
		e = errno;
	}
	unlink(tmp);
	e2_seterr(err, errlen, "cannot create %s: %s", path, strerror(e));
	return E2_ERR_IO;
}

int
read_fd(int fd, const char *path, size_t maxlen, int secret, char **datap,
    size_t *lenp, char *err, size_t errlen)
{
	struct stat st;
	char *buf = NULL;
	size_t cap, n = 0;
	ssize_t r;
	int rc;

	*datap = NULL;
	*lenp = 0;
	if (fstat(fd, &st) != 0) {
		e2_seterr(err, errlen, "%s: %s", path, strerror(errno));
		return E2_ERR_IO;
	}
	if (!S_ISREG(st.st_mode)) {
		e2_seterr(err, errlen, "%s: not a regular file", path);
		return E2_ERR_IO;
	}
	if (st.st_size < 0 || (unsigned long long)st.st_size > maxlen) {
		e2_seterr(err, errlen, "%s: too large (%lld bytes; at most %zu)",
		    path, (long long)st.st_size, maxlen);
		return E2_ERR_TOOBIG;
	}
	cap = (size_t)st.st_size + 1;
	buf = secret ? sodium_malloc(cap) : malloc(cap);
	if (buf == NULL) {
		e2_seterr(err, errlen, "%s: out of memory", path);
		return E2_ERR_NOMEM;
	}
	/* Read until EOF; one byte more than fstat said means it grew. */
	while (n < cap) {
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			e2_seterr(err, errlen, "cannot read %s: %s", path,
			    strerror(errno));
			rc = E2_ERR_IO;
			goto fail;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (n == cap) {
		e2_seterr(err, errlen, "%s: changed while being read", path);
		rc = E2_ERR_IO;
		goto fail;
	}
	buf[n] = '\0';
	*datap = buf;
	*lenp = n;
	return 0;
fail:
	sodium_memzero(buf, cap);
	if (secret)
		sodium_free(buf);
	else
		free(buf);
	return rc;
}

int
read_file(const char *path, size_t maxlen, int secret, char **datap,
    size_t *lenp, char *err, size_t errlen)
{
	int fd, rc;

	*datap = NULL;
	*lenp = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ENOENT) {
			e2_seterr(err, errlen, "%s: no such file", path);
			return E2_ERR_NOTFOUND;
		}
		e2_seterr(err, errlen, "cannot open %s: %s", path,
		    strerror(errno));
		return E2_ERR_IO;
	}
	rc = read_fd(fd, path, maxlen, secret, datap, lenp, err, errlen);
	close(fd);
	return rc;
}

void
free_file(char *data, size_t len, int secret)
{
	if (data == NULL)
		return;
	if (secret) {
		sodium_free(data);	/* wipes */
		return;
	}
	sodium_memzero(data, len);
	free(data);
}
