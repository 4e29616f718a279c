/*
 * config_file.c - load the config file, and change one key in it; see
 * config_file.h.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "atomic.h"
#include "conf.h"
#include "config_file.h"
#include "err.h"

/* config_parse() says "line N: why"; make it "path:N: why". */
static void
path_err(char *err, size_t errlen, const char *path, const char *msg)
{
	if (strncmp(msg, "line ", 5) == 0)
		e2_seterr(err, errlen, "%s:%s", path, msg + 5);
	else
		e2_seterr(err, errlen, "%s: %s", path, msg);
}

/* Reads path; a missing file is empty text. */
static int
load_text(const char *path, char **textp, size_t *lenp, char *err,
    size_t errlen)
{
	int rc;

	rc = read_file(path, CONFIG_FILE_MAX, 0, textp, lenp, err, errlen);
	if (rc == E2_ERR_NOTFOUND) {
		if ((*textp = calloc(1, 1)) == NULL) {
			e2_seterr(err, errlen, "out of memory");
			return E2_ERR_NOMEM;
		}
		*lenp = 0;
		return 0;
	}
	return rc;
}

int
config_load(const char *path, struct config *c, char *err, size_t errlen)
{
	char *text = NULL, msg[384];
	size_t len = 0;
	int rc;

	config_defaults(c);
	if ((rc = load_text(path, &text, &len, err, errlen)) != 0)
		return rc;
	if ((rc = config_parse(c, text, len, msg, sizeof(msg))) != 0) {
		path_err(err, errlen, path, msg);
		config_defaults(c);
	}
	free(text);
	return rc;
}

static int
is_ws(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\v' ||
	    ch == '\f';
}

/* Does the line [s, e) set key? */
static int
line_sets(const char *s, const char *e, const char *key)
{
	const char *eq, *ke;
	size_t klen = strlen(key);

	while (s < e && is_ws(*s))
		s++;
	if (s == e || *s == '#')
		return 0;
	if ((eq = memchr(s, '=', (size_t)(e - s))) == NULL)
		return 0;
	for (ke = eq; ke > s && is_ws(ke[-1]); ke--)
		;
	return (size_t)(ke - s) == klen && memcmp(s, key, klen) == 0;
}

int
config_save_value(const char *path, const char *key, const char *value,
    char *err, size_t errlen)
{
	struct config scratch;
	struct stat st;
	char *text = NULL, *out = NULL, *line = NULL, msg[384];
	const char *p, *nl, *s;
	size_t len = 0, llen, olen = 0, cap, i, left;
	mode_t mode = 0600;
	int rc, found = 0;

	/* The key and value alone must parse, and say exactly that. */
	for (i = 0; value[i] != '\0'; i++) {
		unsigned char ch = (unsigned char)value[i];

		if (ch < 0x20 || ch == 0x7f || ch == '#') {
			e2_seterr(err, errlen, "bad %s: control characters and "
			    "'#' are not allowed", key);
			return E2_ERR_INVAL;
		}
	}
	if (strchr(key, '=') != NULL || strchr(key, '\n') != NULL ||
	    strchr(key, '#') != NULL) {
		e2_seterr(err, errlen, "bad config key '%s'", key);
		return E2_ERR_INVAL;
	}
	cap = strlen(key) + strlen(value) + 8;
	if ((line = malloc(cap)) == NULL) {
		e2_seterr(err, errlen, "out of memory");
		return E2_ERR_NOMEM;
	}
	snprintf(line, cap, "%s = %s\n", key, value);
	config_defaults(&scratch);
	if (config_parse(&scratch, line, strlen(line), msg,
	    sizeof(msg)) != 0) {
		/* Drop the "line 1: " of a one-line text. */
		e2_seterr(err, errlen, "%s", strncmp(msg, "line 1: ", 8) == 0 ?
		    msg + 8 : msg);
		rc = E2_ERR_INVAL;
		goto out;
	}

	if ((rc = load_text(path, &text, &len, err, errlen)) != 0)
		goto out;
	config_defaults(&scratch);
	if ((rc = config_parse(&scratch, text, len, msg, sizeof(msg))) != 0) {
		path_err(err, errlen, path, msg);
		goto out;
	}
	if (stat(path, &st) == 0)
		mode = st.st_mode & 0777;

	cap = len + strlen(line) + 2;
	if ((out = malloc(cap)) == NULL) {
		e2_seterr(err, errlen, "out of memory");
		rc = E2_ERR_NOMEM;
		goto out;
	}
	for (p = text, left = len; left > 0; ) {
		nl = memchr(p, '\n', left);
		llen = nl != NULL ? (size_t)(nl - p) + 1 : left;
		s = p;
		p += llen;
		left -= llen;
		if (!found && line_sets(s, s + llen - (nl != NULL), key)) {
			found = 1;
			memcpy(out + olen, line, strlen(line));
			olen += strlen(line);
			continue;
		}
		memcpy(out + olen, s, llen);
		olen += llen;
	}
	if (!found) {
		if (olen > 0 && out[olen - 1] != '\n')
			out[olen++] = '\n';
		memcpy(out + olen, line, strlen(line));
		olen += strlen(line);
	}
	rc = atomic_write(path, out, olen, mode, err, errlen);
out:
	free(line);
	free(text);
	free(out);
	if (rc != 0 && rc != E2_ERR_INVAL && rc != E2_ERR_MALFORMED &&
	    rc != E2_ERR_TOOBIG && rc != E2_ERR_NOMEM)
		rc = E2_ERR_IO;
	return rc;
}
