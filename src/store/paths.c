/*
 * paths.c - where e2call keeps its files; see paths.h.
 */
#include <errno.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "err.h"
#include "paths.h"

/* An environment variable that is set, not empty and an absolute path. */
static const char *
env_dir(const char *name)
{
	const char *v = getenv(name);

	if (v == NULL || v[0] != '/')
		return NULL;
	return v;
}

static const char *
home_dir(void)
{
	const char *h = env_dir("HOME");
	struct passwd *pw;

	if (h != NULL)
		return h;
	if ((pw = getpwuid(getuid())) != NULL && pw->pw_dir != NULL &&
	    pw->pw_dir[0] == '/')
		return pw->pw_dir;
	return NULL;
}

/*
 * mkdir -p with mode 0700 for each directory made; an existing path must
 * be a directory.
 */
static int
make_dirs(const char *path, char *err, size_t errlen)
{
	char tmp[4096];
	struct stat st;
	size_t len = strlen(path), i;

	if (len == 0 || len >= sizeof(tmp)) {
		e2_seterr(err, errlen, "%s: path too long", path);
		return E2_ERR_IO;
	}
	memcpy(tmp, path, len + 1);
	for (i = 1; i <= len; i++) {
		if (tmp[i] != '/' && tmp[i] != '\0')
			continue;
		if (tmp[i - 1] == '/')
			continue;	/* "//" */
		tmp[i] = '\0';
		if (mkdir(tmp, 0700) != 0) {
			int e = errno;

			if (e != EEXIST) {
				e2_seterr(err, errlen, "cannot create directory "
				    "%s: %s", tmp, strerror(e));
				return E2_ERR_IO;
			}
			if (stat(tmp, &st) != 0) {
				e2_seterr(err, errlen, "%s: %s", tmp,
				    strerror(errno));
				return E2_ERR_IO;
			}
			if (!S_ISDIR(st.st_mode)) {
				e2_seterr(err, errlen, "%s exists and is not a "
				    "directory", tmp);
				return E2_ERR_IO;
			}
		}
		if (i < len)
			tmp[i] = '/';
	}
	return 0;
}

/* out = base + rel (rel starting with '/'), then create it. */
static int
build_dir(char *out, size_t cap, const char *base, const char *rel,
    char *err, size_t errlen)
{
	int n = snprintf(out, cap, "%s%s", base, rel);

	if (n < 0 || (size_t)n >= cap) {
		e2_seterr(err, errlen, "%s%s: path too long", base, rel);
		return E2_ERR_IO;
	}
	return make_dirs(out, err, errlen);
}

int
paths_config_dir(char *out, size_t cap, char *err, size_t errlen)
{
	const char *v;

	if ((v = getenv("E2CALL_HOME")) != NULL && v[0] != '\0') {
		if (v[0] != '/') {
			e2_seterr(err, errlen, "E2CALL_HOME must be an absolute "
			    "path, not '%s'", v);
			return E2_ERR_IO;
		}
		return build_dir(out, cap, v, "", err, errlen);
	}
	if ((v = env_dir("XDG_CONFIG_HOME")) != NULL)
		return build_dir(out, cap, v, "/e2call", err, errlen);
	if ((v = home_dir()) != NULL)
		return build_dir(out, cap, v, "/.config/e2call", err, errlen);
	e2_seterr(err, errlen, "cannot find a config directory: set HOME (or "
	    "XDG_CONFIG_HOME or E2CALL_HOME) to an absolute path");
	return E2_ERR_IO;
}

int
paths_data_dir(char *out, size_t cap, char *err, size_t errlen)
{
	const char *v;

	if ((v = env_dir("XDG_DATA_HOME")) != NULL)
		return build_dir(out, cap, v, "/e2call", err, errlen);
	if ((v = home_dir()) != NULL)
		return build_dir(out, cap, v, "/.local/share/e2call", err,
		    errlen);
	e2_seterr(err, errlen, "cannot find a data directory: set HOME (or "
	    "XDG_DATA_HOME) to an absolute path");
	return E2_ERR_IO;
}

static int
join(char *out, size_t cap, const char *dir, const char *file, char *err,
    size_t errlen)
{
	size_t dl = strlen(dir), fl = strlen(file);

	if (dl + 1 + fl >= cap) {
		e2_seterr(err, errlen, "%s/%s: path too long", dir, file);
		return E2_ERR_IO;
	}
	memmove(out, dir, dl);
	out[dl] = '/';
	memcpy(out + dl + 1, file, fl + 1);
	return 0;
}

int
paths_config_file(const char *file, char *out, size_t cap, char *err,
    size_t errlen)
{
	int rc;

	if ((rc = paths_config_dir(out, cap, err, errlen)) != 0)
		return rc;
	return join(out, cap, out, file, err, errlen);
}

int
paths_data_file(const char *file, char *out, size_t cap, char *err,
    size_t errlen)
{
	int rc;

	if ((rc = paths_data_dir(out, cap, err, errlen)) != 0)
		return rc;
	return join(out, cap, out, file, err, errlen);
}
