/*
 * json.h - a small, strict JSON (RFC 8259) reader for test data.
 *
 * json_parse() builds a tree from len bytes of text or refuses it: bad
 * syntax, invalid UTF-8, control characters in strings, lone surrogates,
 * duplicate object keys, nesting deeper than JSON_MAX_DEPTH, input longer
 * than JSON_MAX_INPUT and trailing non-space bytes are all errors.  The
 * tree belongs to the caller and is freed with json_free().
 */
#ifndef E2_TEST_JSON_H
#define E2_TEST_JSON_H

#include <stddef.h>

#define JSON_MAX_DEPTH	64
#define JSON_MAX_INPUT	(16u << 20)

enum json_type {
	JSON_NULL,
	JSON_FALSE,
	JSON_TRUE,
	JSON_NUMBER,
	JSON_STRING,
	JSON_ARRAY,
	JSON_OBJECT,
};

struct json {
	enum json_type	 type;
	char		*key;	/* member name in an object, or NULL */
	size_t		 keylen;
	char		*str;	/* string value, UTF-8, NUL-terminated */
	size_t		 len;	/* its length (\u0000 may be inside) */
	double		 num;	/* number value */
	struct json	*child;	/* first element or member */
	struct json	*next;	/* next sibling */
	size_t		 n;	/* number of elements or members */
};

/*
 * Parses text[0..len).  Returns 0 and the tree in *rootp, or -1 with a
 * message naming the byte offset in err (at most errlen bytes).
 */
int	json_parse(const char *text, size_t len, struct json **rootp,
	    char *err, size_t errlen);
void	json_free(struct json *j);

/* Member key of object o, or NULL (also when o is not an object). */
const struct json *json_get(const struct json *o, const char *key);
/* Element i of array a, or NULL. */
const struct json *json_at(const struct json *a, size_t i);
const char	*json_type_name(enum json_type t);

#endif
