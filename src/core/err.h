/*
 * err.h - the one error namespace of e2call.
 *
 * Every function of the core returns 0 on success or one of the negative
 * E2_ERR_* codes below.  Only glue code and main print; e2_strerror() gives
 * the text.  Keep the list in step with err.c.
 */
#ifndef E2_ERR_H
#define E2_ERR_H

#include <stddef.h>

enum e2_err {
	E2_OK = 0,
	E2_ERR_INVAL = -1,	/* bad argument from the caller */
	E2_ERR_NOMEM = -2,	/* allocation failed */
	E2_ERR_SPACE = -3,	/* output buffer too small */
	E2_ERR_SHORT = -4,	/* input ended early */
	E2_ERR_MALFORMED = -5,	/* input does not parse */
	E2_ERR_AUTH = -6,	/* authentication (AEAD tag) failed */
	E2_ERR_STATE = -7,	/* call not allowed in this state */
	E2_ERR_NONCE = -8,	/* nonce or counter exhausted */
	E2_ERR_REPLAY = -9,	/* counter already seen or too old */
	E2_ERR_TOOBIG = -10,	/* length over a protocol limit */
	E2_ERR_UNSUPPORTED = -11, /* protocol or feature not supported */
	E2_ERR_KEY = -12,	/* bad key (wrong size, low order point) */
	E2_ERR_FAILED = -13,	/* object is in its terminal failed state */
	E2_ERR_IO = -14,	/* file or system error (glue only) */
	E2_ERR_PERM = -15,	/* file permissions unsafe */
	E2_ERR_CORRUPT = -16,	/* stored file is damaged */
	E2_ERR_NOTFOUND = -17,	/* no such entry */
	E2_ERR_EXISTS = -18,	/* entry already exists */
	E2_ERR_FUTURE = -19,	/* counter too far ahead */
	E2_ERR_VERSION = -20,	/* the peer speaks an older protocol */
};

const char	*e2_strerror(int err);
/* Formats a message for a person into err (errlen bytes); NULL is fine. */
void		 e2_seterr(char *err, size_t errlen, const char *fmt, ...)
		    __attribute__((format(printf, 3, 4)));

#endif
