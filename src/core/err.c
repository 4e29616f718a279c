/* err.c - text for the E2_ERR_* codes. */
#include <stdarg.h>
#include <stdio.h>	/* vsnprintf only */

#include "err.h"

void
e2_seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

const char *
e2_strerror(int err)
{
	switch (err) {
	case E2_OK:		return "success";
	case E2_ERR_INVAL:	return "invalid argument";
	case E2_ERR_NOMEM:	return "out of memory";
	case E2_ERR_SPACE:	return "buffer too small";
	case E2_ERR_SHORT:	return "message too short";
	case E2_ERR_MALFORMED:	return "malformed message";
	case E2_ERR_AUTH:	return "authentication failed";
	case E2_ERR_STATE:	return "not allowed in this state";
	case E2_ERR_NONCE:	return "nonce exhausted";
	case E2_ERR_REPLAY:	return "replayed or too old";
	case E2_ERR_TOOBIG:	return "too large";
	case E2_ERR_UNSUPPORTED: return "not supported";
	case E2_ERR_KEY:	return "bad key";
	case E2_ERR_FAILED:	return "handshake failed earlier";
	case E2_ERR_IO:		return "input/output error";
	case E2_ERR_PERM:	return "unsafe file permissions";
	case E2_ERR_CORRUPT:	return "file is damaged";
	case E2_ERR_NOTFOUND:	return "not found";
	case E2_ERR_EXISTS:	return "already exists";
	case E2_ERR_FUTURE:	return "counter too far ahead";
	case E2_ERR_VERSION:	return "the other side runs an older e2call";
	}
	return "unknown error";
}
