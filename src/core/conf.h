/*
 * conf.h - parsers for e2call's text files, sans I/O: they take the file's
 * bytes and give values or "line N: reason".
 *
 * Config file ($XDG_CONFIG_HOME/e2call/config), lines of `key = value`,
 * '#' comments, blank lines ignored.  Keys:
 *
 *	server      host:port of the signaling server
 *	name        my name on it
 *	stun        host:port of a STUN server (default: the server)
 *	audio       alsa | file | null
 *	capture     ALSA capture device
 *	playback    ALSA playback device
 *	frame_ms    10 | 20
 *	bitrate     6000..128000
 *	ring_timeout seconds a call rings before "no answer" (5..600)
 *	relay_only  yes | no: media through the server's relay only
 *
 * An unknown key, a bad value, a repeated key or a line without '=' is an
 * error with its line number.  Whitespace around key, '=' and value is
 * ignored; a '#' that follows whitespace ends the value (trailing comment).
 */
#ifndef E2_CONF_H
#define E2_CONF_H

#include <stddef.h>

struct config {
	char		server[256];
	char		name[33];
	char		stun[256];
	char		audio[16];
	char		capture[128];
	char		playback[128];
	unsigned	frame_ms;
	unsigned	bitrate;
	unsigned	ring_timeout;
	int		relay_only;	/* 0 or 1 */
};

/* Defaults: no server, no name, audio alsa, devices "default", 20 ms,
 * 24000 b/s, 45 s, relay_only no. */
void	config_defaults(struct config *c);
/*
 * Parses text (len bytes) over the values already in c.  On error returns
 * E2_ERR_MALFORMED and writes "line N: reason" to err.
 */
int	config_parse(struct config *c, const char *text, size_t len, char *err,
	    size_t errlen);

/*
 * Splits text into lines and calls fn for each non-comment, non-blank line
 * with its number and the line split on whitespace into at most maxf
 * fields (the pointers are into a copy owned by the parser and valid during
 * the call).  fn returns 0 to go on, or an error (then err gets
 * "line N: <what fn wrote>").
 *
 * Lines end at '\n' (a '\r' before it is dropped); a comment line is one
 * whose first non-blank character is '#'.  When a line has more than maxf
 * fields, the last field holds the rest of the line (its inner whitespace
 * kept, trailing whitespace dropped), so a caller that wants exactly n
 * fields passes maxf = n + 1 and checks nf.  A NUL byte in text is
 * E2_ERR_MALFORMED with its line number.  The copy is wiped before it is
 * freed, so secret text may be parsed.  E2_ERR_INVAL when maxf is 0,
 * E2_ERR_NOMEM.
 */
int	conf_each_line(const char *text, size_t len, size_t maxf,
	    int (*fn)(void *arg, size_t lineno, char **f, size_t nf, char *err,
	    size_t errlen), void *arg, char *err, size_t errlen);

/*
 * Value checks shared with the command line.
 *
 * conf_valid_name: 1..32 characters of [a-z0-9._-], the first a letter or
 * a digit.  Returns 1 when valid.
 *
 * conf_parse_hostport: "host:port" or "[v6addr]:port", port 1..65535,
 * host a DNS name or IPv4 address ([A-Za-z0-9._-], not starting with '.'
 * or '-') or, in brackets, an IPv6 address.  host gets the host without
 * brackets (NUL-terminated, at most hostcap - 1 bytes).  0, or
 * E2_ERR_MALFORMED with the reason in err (err may be NULL).
 */
int	conf_valid_name(const char *s);
int	conf_parse_hostport(const char *s, char *host, size_t hostcap,
	    unsigned *portp, char *err, size_t errlen);

#endif
