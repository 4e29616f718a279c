/*
 * fuzz_conf.c - the text file parsers of conf.h.
 *
 * Input: u8 maxf selector, u8 line at which the callback stops, then the
 * text.  The text goes through config_parse (a config that parses must
 * hold only valid values, and writing it back out as `key = value` lines
 * must parse to the same config; a failed parse leaves the config as it
 * was and names a line), through conf_each_line (fields as the contract
 * says: non-empty, no blanks inside but in the last one, line numbers
 * rising, the callback's error passed back with its line), and each line
 * through conf_parse_hostport and the two name checks, which must agree.
 */
#include <string.h>

#include "conf.h"
#include "err.h"
#include "fuzz.h"
#include "sigmsg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define TEXT_MAX	(16u << 10)

static int
blank(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\v' ||
	    ch == '\f';
}

static int
has_nul(const char *s, size_t cap)
{
	return memchr(s, '\0', cap) != NULL;
}

static void
check_hostport(const char *s)
{
	size_t i;

	FUZZ_CHECK(conf_parse_hostport(s, NULL, 0, NULL, NULL, 0) == 0);
	for (i = 0; s[i] != '\0'; i++)
		FUZZ_CHECK((unsigned char)s[i] > 0x20 &&
		    (unsigned char)s[i] < 0x7f);
}

static void
check_config(const struct config *c)
{
	size_t i;

	FUZZ_CHECK(has_nul(c->server, sizeof(c->server)));
	FUZZ_CHECK(has_nul(c->name, sizeof(c->name)));
	FUZZ_CHECK(has_nul(c->stun, sizeof(c->stun)));
	FUZZ_CHECK(has_nul(c->audio, sizeof(c->audio)));
	FUZZ_CHECK(has_nul(c->capture, sizeof(c->capture)));
	FUZZ_CHECK(has_nul(c->playback, sizeof(c->playback)));
	if (c->server[0] != '\0')
		check_hostport(c->server);
	if (c->stun[0] != '\0')
		check_hostport(c->stun);
	if (c->name[0] != '\0')
		FUZZ_CHECK(conf_valid_name(c->name));
	FUZZ_CHECK(strcmp(c->audio, "alsa") == 0 ||
	    strcmp(c->audio, "file") == 0 || strcmp(c->audio, "null") == 0);
	FUZZ_CHECK(c->capture[0] != '\0' && c->playback[0] != '\0');
	for (i = 0; c->capture[i] != '\0'; i++)
		FUZZ_CHECK((unsigned char)c->capture[i] >= 0x20 &&
		    (unsigned char)c->capture[i] < 0x7f);
	for (i = 0; c->playback[i] != '\0'; i++)
		FUZZ_CHECK((unsigned char)c->playback[i] >= 0x20 &&
		    (unsigned char)c->playback[i] < 0x7f);
	FUZZ_CHECK(c->frame_ms == 10 || c->frame_ms == 20);
	FUZZ_CHECK(c->bitrate >= 6000 && c->bitrate <= 128000);
	FUZZ_CHECK(c->ring_timeout >= 5 && c->ring_timeout <= 600);
}

/* Writes c out as a config file and parses that again. */
static void
check_rewrite(const struct config *c)
{
	static char text[2048];
	struct config c2;
	char err[256];
	int n = 0;

	if (c->server[0] != '\0')
		n += snprintf(text + n, sizeof(text) - (size_t)n,
		    "server = %s\n", c->server);
	if (c->name[0] != '\0')
		n += snprintf(text + n, sizeof(text) - (size_t)n,
		    "name=%s\n", c->name);
	if (c->stun[0] != '\0')
		n += snprintf(text + n, sizeof(text) - (size_t)n,
		    "  stun\t= %s  # trailing comment\n", c->stun);
	n += snprintf(text + n, sizeof(text) - (size_t)n,
	    "# comment\naudio = %s\ncapture = %s\r\nplayback = %s\n"
	    "frame_ms = %u\nbitrate = %u\nring_timeout = %u", c->audio,
	    c->capture, c->playback, c->frame_ms, c->bitrate,
	    c->ring_timeout);
	FUZZ_CHECK(n > 0 && (size_t)n < sizeof(text));
	config_defaults(&c2);
	if (config_parse(&c2, text, (size_t)n, err, sizeof(err)) != 0) {
		fprintf(stderr, "rewritten config refused: %s\n%s\n", err,
		    text);
		FUZZ_CHECK(0);
	}
	FUZZ_CHECK(strcmp(c->server, c2.server) == 0);
	FUZZ_CHECK(strcmp(c->name, c2.name) == 0);
	FUZZ_CHECK(strcmp(c->stun, c2.stun) == 0);
	FUZZ_CHECK(strcmp(c->audio, c2.audio) == 0);
	FUZZ_CHECK(strcmp(c->capture, c2.capture) == 0);
	FUZZ_CHECK(strcmp(c->playback, c2.playback) == 0);
	FUZZ_CHECK(c->frame_ms == c2.frame_ms && c->bitrate == c2.bitrate &&
	    c->ring_timeout == c2.ring_timeout);
}

struct lines {
	size_t		 maxf;
	size_t		 stop;		/* nth call returns an error */
	size_t		 calls;
	size_t		 last;		/* last line number seen */
};

static int
line_cb(void *arg, size_t lineno, char **f, size_t nf, char *err,
    size_t errlen)
{
	struct lines *ls = arg;
	size_t i, j, n;

	FUZZ_CHECK(lineno > ls->last);
	ls->last = lineno;
	FUZZ_CHECK(nf >= 1 && nf <= ls->maxf);
	FUZZ_CHECK(f[0][0] != '#');
	for (i = 0; i < nf; i++) {
		n = strlen(f[i]);
		FUZZ_CHECK(n > 0);
		FUZZ_CHECK(!blank(f[i][0]) && !blank(f[i][n - 1]));
		FUZZ_CHECK(memchr(f[i], '\n', n) == NULL);
		/* only a last field that took the rest may hold blanks */
		if (i + 1 < nf || nf < ls->maxf)
			for (j = 0; j < n; j++)
				FUZZ_CHECK(!blank(f[i][j]));
	}
	if (++ls->calls == ls->stop) {
		snprintf(err, errlen, "stop");
		return E2_ERR_CORRUPT;
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char line[512];
	struct config c, before;
	struct lines ls;
	struct fin f;
	const char *text, *p, *nl;
	char err[256], host[64], want[32];
	size_t len, llen, hostcap;
	unsigned port;
	uint8_t sel;
	int r;

	fin_init(&f, data, size);
	sel = fin_u8(&f);
	ls.maxf = 1 + sel % 8;
	ls.stop = fin_u8(&f);
	ls.calls = 0;
	ls.last = 0;
	text = (const char *)fin_rest(&f, &len);
	if (len > TEXT_MAX)
		len = TEXT_MAX;

	/* config_parse */
	config_defaults(&c);
	if (sel & 0x80)
		snprintf(c.name, sizeof(c.name), "before");
	before = c;
	memset(err, 'X', sizeof(err));
	r = config_parse(&c, text, len, err, sizeof(err));
	if (r == 0) {
		check_config(&c);
		check_rewrite(&c);
	} else {
		FUZZ_CHECK(r == E2_ERR_MALFORMED);
		FUZZ_CHECK(has_nul(err, sizeof(err)));
		FUZZ_CHECK(strncmp(err, "line ", 5) == 0);
		FUZZ_CHECK(memcmp(&c, &before, sizeof(c)) == 0);
	}

	/* conf_each_line */
	memset(err, 'X', sizeof(err));
	r = conf_each_line(text, len, ls.maxf, line_cb, &ls, err,
	    sizeof(err));
	if (r == E2_ERR_CORRUPT) {
		FUZZ_CHECK(ls.calls == ls.stop);
		snprintf(want, sizeof(want), "line %zu: stop", ls.last);
		FUZZ_CHECK(strcmp(err, want) == 0);
	} else if (r != 0) {
		FUZZ_CHECK(r == E2_ERR_MALFORMED);
		FUZZ_CHECK(memchr(text, '\0', len) != NULL);
		FUZZ_CHECK(strncmp(err, "line ", 5) == 0);
	} else
		FUZZ_CHECK(memchr(text, '\0', len) == NULL);

	/* Each line as a host:port and as a name. */
	for (p = text; p < text + len; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(text + len - p));
		if (nl == NULL)
			nl = text + len;
		llen = (size_t)(nl - p);
		if (llen >= sizeof(line))
			llen = sizeof(line) - 1;
		memcpy(line, p, llen);
		line[llen] = '\0';
		hostcap = 1 + (size_t)(sel >> 3) * 2;
		memset(host, 'X', sizeof(host));
		port = 0;
		r = conf_parse_hostport(line, host, hostcap, &port, err,
		    sizeof(err));
		if (r == 0) {
			FUZZ_CHECK(port >= 1 && port <= 65535);
			FUZZ_CHECK(strnlen(host, hostcap) < hostcap);
			FUZZ_CHECK(host[0] != '\0');
			FUZZ_CHECK(strstr(line, host) != NULL);
		} else {
			FUZZ_CHECK(r == E2_ERR_MALFORMED);
			FUZZ_CHECK(has_nul(err, sizeof(err)));
		}
		FUZZ_CHECK(conf_valid_name(line) == sigmsg_name_ok(line));
	}
	return 0;
}
