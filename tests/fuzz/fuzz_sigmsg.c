/*
 * fuzz_sigmsg.c - the signaling message codec (sigmsg.h).
 *
 * Whatever decodes must encode again, the encoding must decode to the
 * same message, and encoding that must give the same bytes (the encoding
 * is canonical).  The strings of a decoded message go through
 * sanitize_str, whose output must be printable, and the input itself is
 * sanitized as a string too.
 */
#include <string.h>

#include "err.h"
#include "fuzz.h"
#include "sigmsg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct sigmsg m1, m2;
static uint8_t enc1[SIG_MSG_MAX + 64], enc2[SIG_MSG_MAX + 64];

static void
check_same(const struct sigmsg *a, const struct sigmsg *b)
{
	size_t i;

	FUZZ_CHECK(a->type == b->type);
	FUZZ_CHECK(a->fields == b->fields);
	FUZZ_CHECK(a->call == b->call);
	FUZZ_CHECK(strcmp(a->name, b->name) == 0);
	FUZZ_CHECK(a->e2e_len == b->e2e_len);
	FUZZ_CHECK(memcmp(a->e2e, b->e2e, a->e2e_len) == 0);
	FUZZ_CHECK(a->reason == b->reason);
	FUZZ_CHECK(strcmp(a->text, b->text) == 0);
	FUZZ_CHECK(a->version == b->version);
	FUZZ_CHECK(a->ncand == b->ncand);
	for (i = 0; i < a->ncand; i++) {
		FUZZ_CHECK(a->cand[i].kind == b->cand[i].kind);
		FUZZ_CHECK(a->cand[i].family == b->cand[i].family);
		FUZZ_CHECK(a->cand[i].port == b->cand[i].port);
		FUZZ_CHECK(memcmp(a->cand[i].addr, b->cand[i].addr,
		    a->cand[i].family == 4 ? 4 : 16) == 0);
	}
}

/*
 * Strict UTF-8 check of s[0..n), independent of the one in sigmsg.c:
 * no overlong forms, surrogates or code points above U+10FFFF, and none
 * of the code points sanitize_str must replace (C0, DEL, C1, line and
 * paragraph separators, bidirectional embeddings, overrides, isolates).
 */
static int
printable_utf8(const uint8_t *s, size_t n)
{
	size_t i = 0, k, j;
	uint32_t cp;

	while (i < n) {
		if (s[i] < 0x80) {
			cp = s[i];
			k = 1;
		} else if (s[i] >= 0xc2 && s[i] <= 0xdf) {
			cp = s[i] & 0x1f;
			k = 2;
		} else if (s[i] >= 0xe0 && s[i] <= 0xef) {
			cp = s[i] & 0x0f;
			k = 3;
		} else if (s[i] >= 0xf0 && s[i] <= 0xf4) {
			cp = s[i] & 0x07;
			k = 4;
		} else
			return 0;
		if (n - i < k)
			return 0;
		for (j = 1; j < k; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + j] & 0x3f);
		}
		if ((k == 3 && cp < 0x800) || (k == 4 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) ||
		    cp == 0x2028 || cp == 0x2029 ||
		    (cp >= 0x202a && cp <= 0x202e) ||
		    (cp >= 0x2066 && cp <= 0x2069))
			return 0;
		i += k;
	}
	return 1;
}

/* sanitize_str output: NUL-terminated within cap, printable UTF-8. */
static void
check_sanitize(const char *in, size_t cap)
{
	char out[512];
	size_t i, n;

	FUZZ_CHECK(cap <= sizeof(out));
	memset(out, 'X', sizeof(out));
	sanitize_str(in, out, cap);
	if (cap == 0)
		return;
	n = strnlen(out, cap);
	FUZZ_CHECK(n < cap);
	FUZZ_CHECK(printable_utf8((const uint8_t *)out, n));
	/* bytes past the terminator and cap are untouched */
	for (i = cap; i < sizeof(out); i++)
		FUZZ_CHECK(out[i] == 'X');
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char str[SIG_MSG_MAX + 1];
	size_t len1, len2, cap, n;
	int r;

	r = sigmsg_decode(&m1, data, size);
	if (r == 0) {
		FUZZ_CHECK(size <= SIG_MSG_MAX);
		FUZZ_CHECK(sigmsg_name_ok(m1.name) ||
		    !SIG_HAS(&m1, SIG_T_NAME));
		FUZZ_CHECK(strcmp(sigmsg_type_name(m1.type), "invalid") != 0);
		if (SIG_HAS(&m1, SIG_T_REASON))
			FUZZ_CHECK(strcmp(sig_reason_name(m1.reason),
			    "invalid") != 0);
		r = sigmsg_encode(&m1, enc1, sizeof(enc1), &len1);
		FUZZ_CHECK(r == 0);
		FUZZ_CHECK(len1 <= size);	/* unknown tags are dropped */
		r = sigmsg_decode(&m2, enc1, len1);
		FUZZ_CHECK(r == 0);
		check_same(&m1, &m2);
		r = sigmsg_encode(&m2, enc2, sizeof(enc2), &len2);
		FUZZ_CHECK(r == 0);
		FUZZ_CHECK(len1 == len2 && memcmp(enc1, enc2, len1) == 0);
		/* one byte short of room is refused, not overrun */
		if (len1 > 0) {
			r = sigmsg_encode(&m1, enc2, len1 - 1, &len2);
			FUZZ_CHECK(r == E2_ERR_SPACE);
		}
		check_sanitize(m1.name, sizeof(m1.name));
		check_sanitize(m1.text, sizeof(m1.text));
		check_sanitize(m1.text, 8);
	} else {
		FUZZ_CHECK(r == E2_ERR_MALFORMED || r == E2_ERR_UNSUPPORTED ||
		    r == E2_ERR_TOOBIG);
	}

	/* The raw input as a string, at a cap picked by its first byte. */
	n = size < SIG_MSG_MAX ? size : SIG_MSG_MAX;
	memcpy(str, data, n);
	str[n] = '\0';
	cap = size > 0 ? (size_t)data[0] * 2 : 0;
	check_sanitize(str, cap);
	return 0;
}
