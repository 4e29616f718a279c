/* t_conf.c - the config parser, conf_each_line and the value checks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "conf.h"
#include "err.h"

static int
parse(struct config *c, const char *text, char *err, size_t errlen)
{
	config_defaults(c);
	return config_parse(c, text, strlen(text), err, errlen);
}

/* Parses text expecting failure; err must contain want. */
static void
expect_error(const char *text, const char *want)
{
	struct config c, before;
	char err[256];

	config_defaults(&c);
	snprintf(c.server, sizeof(c.server), "keep.example:1");
	before = c;
	memset(err, 0, sizeof(err));
	assert_int_equal(config_parse(&c, text, strlen(text), err,
	    sizeof(err)), E2_ERR_MALFORMED);
	if (strstr(err, want) == NULL)
		fail_msg("error '%s' does not contain '%s' (input '%s')", err,
		    want, text);
	/* Nothing is half-applied. */
	assert_memory_equal(&c, &before, sizeof(c));
}

static void
test_defaults(void **state)
{
	struct config c;
	char err[128];

	(void)state;
	memset(&c, 0x5a, sizeof(c));
	config_defaults(&c);
	assert_string_equal(c.server, "");
	assert_string_equal(c.name, "");
	assert_string_equal(c.stun, "");
	assert_string_equal(c.audio, "alsa");
	assert_string_equal(c.capture, "default");
	assert_string_equal(c.playback, "default");
	assert_int_equal(c.frame_ms, 20);
	assert_int_equal(c.bitrate, 24000);
	assert_int_equal(c.ring_timeout, 45);
	assert_int_equal(c.relay_only, 0);

	/* Empty text and comment-only text leave the defaults. */
	assert_int_equal(parse(&c, "", err, sizeof(err)), 0);
	assert_int_equal(c.bitrate, 24000);
	assert_int_equal(parse(&c, "# only a comment\n\n   \n\t# another\n",
	    err, sizeof(err)), 0);
	assert_string_equal(c.audio, "alsa");
}

static void
test_every_key(void **state)
{
	struct config c;
	char err[128];
	const char *text =
	    "# e2call config\n"
	    "server = sig.example.org:7350\n"
	    "name = alice.b_c-1\n"
	    "stun = 127.0.0.1:3478\n"
	    "audio = file\n"
	    "capture = plughw:1,0\n"
	    "playback = hw:CARD=PCH,DEV=0\n"
	    "frame_ms = 10\n"
	    "bitrate = 6000\n"
	    "ring_timeout = 600\n"
	    "relay_only = yes\n";

	(void)state;
	assert_int_equal(parse(&c, text, err, sizeof(err)), 0);
	assert_string_equal(c.server, "sig.example.org:7350");
	assert_string_equal(c.name, "alice.b_c-1");
	assert_string_equal(c.stun, "127.0.0.1:3478");
	assert_string_equal(c.audio, "file");
	assert_string_equal(c.capture, "plughw:1,0");
	assert_string_equal(c.playback, "hw:CARD=PCH,DEV=0");
	assert_int_equal(c.frame_ms, 10);
	assert_int_equal(c.bitrate, 6000);
	assert_int_equal(c.ring_timeout, 600);
	assert_int_equal(c.relay_only, 1);

	/* The other ends of the ranges and the other enum values. */
	assert_int_equal(parse(&c, "bitrate=128000\nring_timeout=5\n"
	    "frame_ms=20\naudio=null\n", err, sizeof(err)), 0);
	assert_int_equal(c.bitrate, 128000);
	assert_int_equal(c.ring_timeout, 5);
	assert_int_equal(c.frame_ms, 20);
	assert_string_equal(c.audio, "null");
	assert_int_equal(parse(&c, "audio = alsa", err, sizeof(err)), 0);
	assert_string_equal(c.audio, "alsa");
	assert_int_equal(parse(&c, "relay_only = no", err, sizeof(err)), 0);
	assert_int_equal(c.relay_only, 0);
}

static void
test_parse_over_existing(void **state)
{
	struct config c;
	char err[128];

	(void)state;
	config_defaults(&c);
	assert_int_equal(config_parse(&c, "name = bob\n", 11, err,
	    sizeof(err)), 0);
	/* A second text (say, a system file then the user's) adds to it. */
	assert_int_equal(config_parse(&c, "bitrate = 32000\n", 16, err,
	    sizeof(err)), 0);
	assert_string_equal(c.name, "bob");
	assert_int_equal(c.bitrate, 32000);
	/* Only len bytes are read: the rest of the string is ignored. */
	assert_int_equal(config_parse(&c, "frame_ms = 10garbage", 13, err,
	    sizeof(err)), 0);
	assert_int_equal(c.frame_ms, 10);
}

static void
test_whitespace_comments(void **state)
{
	struct config c;
	char err[128];

	(void)state;
	assert_int_equal(parse(&c,
	    "\n\n   \t\n"
	    "  name=carol  \n"
	    "\tserver\t=\t[::1]:7350\t\r\n"
	    "bitrate =32000 # constant bitrate\r\n"
	    "   # indented comment = not a key\n"
	    "frame_ms= 10#no space: part of the value? no: digits only\n",
	    err, sizeof(err)), E2_ERR_MALFORMED);
	assert_non_null(strstr(err, "line 8:"));

	assert_int_equal(parse(&c,
	    "\n\n   \t\n"
	    "  name=carol  \n"
	    "\tserver\t=\t[::1]:7350\t\r\n"
	    "bitrate =32000 # constant bitrate\r\n"
	    "   # indented comment = not a key\n"
	    "capture = default   #\n"
	    "ring_timeout=30", err, sizeof(err)), 0);
	assert_string_equal(c.name, "carol");
	assert_string_equal(c.server, "[::1]:7350");
	assert_int_equal(c.bitrate, 32000);
	assert_string_equal(c.capture, "default");
	assert_int_equal(c.ring_timeout, 30);

	/* No final newline, CRLF everywhere. */
	assert_int_equal(parse(&c, "name = dave\r\nframe_ms = 10", err,
	    sizeof(err)), 0);
	assert_string_equal(c.name, "dave");
	assert_int_equal(c.frame_ms, 10);

	/* An inner space survives in a device name. */
	assert_int_equal(parse(&c, "playback = my device  \n", err,
	    sizeof(err)), 0);
	assert_string_equal(c.playback, "my device");
}

static void
test_errors(void **state)
{
	(void)state;
	expect_error("colour = blue\n", "line 1: unknown key 'colour'");
	expect_error("# c\n\nname = a\nname = b\n",
	    "line 4: 'name' is set twice (first on line 3)");
	expect_error("name alice\n", "line 1: expected 'key = value'");
	expect_error("\n\n\njust words", "line 4: expected 'key = value'");
	expect_error(" = 3\n", "line 1: missing key");
	expect_error("name =\n", "line 1: missing value for 'name'");
	expect_error("name = # comment only\n", "missing value for 'name'");
	expect_error("name=a\nframe_ms = 30\n", "line 2: bad frame_ms '30'");
	expect_error("frame_ms = -10\n", "bad frame_ms");
	expect_error("frame_ms = 1O\n", "bad frame_ms");
	expect_error("frame_ms = 10 20\n", "bad frame_ms");
	expect_error("bitrate = 5999\n", "bad bitrate '5999'");
	expect_error("relay_only = 1\n", "bad relay_only '1'");
	expect_error("relay_only = YES\n", "bad relay_only");
	expect_error("bitrate = 128001\n", "bad bitrate");
	expect_error("bitrate = 99999999999999999999\n", "bad bitrate");
	expect_error("bitrate = 0x7000\n", "bad bitrate");
	expect_error("ring_timeout = 4\n", "bad ring_timeout");
	expect_error("ring_timeout = 601\n", "bad ring_timeout");
	expect_error("ring_timeout = +30\n", "bad ring_timeout");
	expect_error("audio = pulse\n", "bad audio 'pulse': expected alsa, "
	    "file or null");
	expect_error("audio = ALSA\n", "bad audio");
	expect_error("name = Alice\n", "bad name 'Alice'");
	expect_error("name = -alice\n", "bad name");
	expect_error("name = .alice\n", "bad name");
	expect_error("name = al ice\n", "bad name");
	expect_error("name = al/ice\n", "bad name");
	expect_error("name = abcdefghijabcdefghijabcdefghijabc\n",
	    "line 1: value for 'name' is too long");
	expect_error("server = example.org\n", "bad server 'example.org': "
	    "expected HOST:PORT");
	expect_error("server = example.org:0\n", "port must be");
	expect_error("server = example.org:65536\n", "port must be");
	expect_error("server = example.org:\n", "port must be");
	expect_error("server = example.org:http\n", "port must be");
	expect_error("server = :7350\n", "empty host");
	expect_error("server = ::1:7350\n", "in brackets");
	expect_error("server = [::1]\n", "expected ':PORT'");
	expect_error("server = [::1:7350\n", "missing ']'");
	expect_error("server = []:7350\n", "IPv6");
	expect_error("server = [1.2.3.4]:7350\n", "IPv6");
	expect_error("server = [::g]:7350\n", "IPv6");
	expect_error("server = ex ample.org:7350\n", "bad character");
	expect_error("server = -bad.org:7350\n", "start with");
	expect_error("stun = nohost\n", "bad stun");
	expect_error("capture = a\001b\n", "bad capture 'a?b'");
	/* The first bad line wins, even after good ones. */
	expect_error("name = a\nbitrate = 8000\nframe_ms = 5\nfoo = 1\n",
	    "line 3:");
}

static void
test_errors_nul(void **state)
{
	struct config c;
	char err[128];
	static const char text[] = "name = a\nbitrate\0= 8000\n";

	(void)state;
	config_defaults(&c);
	assert_int_equal(config_parse(&c, text, sizeof(text) - 1, err,
	    sizeof(err)), E2_ERR_MALFORMED);
	assert_string_equal(err, "line 2: NUL byte in text");
	/* A NULL or tiny error buffer is fine. */
	assert_int_equal(config_parse(&c, "x", 1, NULL, 0), E2_ERR_MALFORMED);
	assert_int_equal(config_parse(&c, "x", 1, err, 1), E2_ERR_MALFORMED);
	assert_string_equal(err, "");
	assert_int_equal(config_parse(&c, "x", 1, err, 8), E2_ERR_MALFORMED);
	assert_string_equal(err, "line 1:");
}

static void
test_value_lengths(void **state)
{
	struct config c;
	char err[256], text[1024];
	char dev[200];

	(void)state;
	/* capture holds 127 characters, not 128. */
	memset(dev, 'd', 127);
	dev[127] = '\0';
	snprintf(text, sizeof(text), "capture = %s\n", dev);
	assert_int_equal(parse(&c, text, err, sizeof(err)), 0);
	assert_int_equal(strlen(c.capture), 127);
	memset(dev, 'd', 128);
	dev[128] = '\0';
	snprintf(text, sizeof(text), "capture = %s\n", dev);
	assert_int_equal(parse(&c, text, err, sizeof(err)),
	    E2_ERR_MALFORMED);
	assert_non_null(strstr(err, "too long"));

	/* A 32-character name is the longest. */
	memset(dev, 'n', 33);
	dev[33] = '\0';
	snprintf(text, sizeof(text), "name = %s", dev);
	assert_int_equal(parse(&c, text, err, sizeof(err)), E2_ERR_MALFORMED);
	dev[32] = '\0';
	snprintf(text, sizeof(text), "name = %s", dev);
	assert_int_equal(parse(&c, text, err, sizeof(err)), 0);
	assert_string_equal(c.name, dev);
	assert_int_equal(strlen(c.name), 32);
}

static void
test_long_lines(void **state)
{
	struct config c;
	char err[256];
	size_t n = 1 << 20;
	char *text = malloc(n + 64);

	(void)state;
	assert_non_null(text);
	/* A megabyte-long comment is skipped. */
	text[0] = '#';
	memset(text + 1, 'x', n);
	snprintf(text + 1 + n, 63, "\nname = erin\n");
	assert_int_equal(parse(&c, text, err, sizeof(err)), 0);
	assert_string_equal(c.name, "erin");
	/* A megabyte-long value is refused, and the message stays short. */
	memcpy(text, "playback = ", 11);
	memset(text + 11, 'y', n);
	text[11 + n] = '\0';
	assert_int_equal(parse(&c, text, err, sizeof(err)), E2_ERR_MALFORMED);
	assert_non_null(strstr(err, "line 1: value for 'playback' is too long"));
	/* A megabyte-long key: the quoted part is cut. */
	memset(text, 'k', n);
	memcpy(text + n, " = 1", 5);
	assert_int_equal(parse(&c, text, err, sizeof(err)), E2_ERR_MALFORMED);
	assert_non_null(strstr(err, "line 1: unknown key 'kkkk"));
	assert_non_null(strstr(err, "...'"));
	assert_true(strlen(err) < 100);
	free(text);
}

static void
test_valid_name(void **state)
{
	(void)state;
	assert_true(conf_valid_name("a"));
	assert_true(conf_valid_name("0"));
	assert_true(conf_valid_name("a.b_c-d9"));
	assert_false(conf_valid_name(""));
	assert_false(conf_valid_name(NULL));
	assert_false(conf_valid_name("_a"));
	assert_false(conf_valid_name("a@b"));
	assert_false(conf_valid_name("aB"));
	assert_false(conf_valid_name("\xc3\xa9t\xc3\xa9"));
}

static void
test_hostport(void **state)
{
	char host[64], err[128];
	unsigned port = 0;

	(void)state;
	assert_int_equal(conf_parse_hostport("localhost:1", host, sizeof(host),
	    &port, err, sizeof(err)), 0);
	assert_string_equal(host, "localhost");
	assert_int_equal(port, 1);
	assert_int_equal(conf_parse_hostport("[::1]:65535", host, sizeof(host),
	    &port, err, sizeof(err)), 0);
	assert_string_equal(host, "::1");
	assert_int_equal(port, 65535);
	assert_int_equal(conf_parse_hostport("[fe80::1:2:3]:80", host,
	    sizeof(host), &port, NULL, 0), 0);
	assert_string_equal(host, "fe80::1:2:3");
	assert_int_equal(conf_parse_hostport("[::ffff:127.0.0.1]:80", host,
	    sizeof(host), &port, NULL, 0), 0);
	assert_int_equal(conf_parse_hostport("10.0.0.1:7350", NULL, 0, NULL,
	    NULL, 0), 0);
	/* Host too long for the caller's buffer. */
	assert_int_equal(conf_parse_hostport("abcdefgh:1", host, 4, &port,
	    err, sizeof(err)), E2_ERR_MALFORMED);
	assert_int_equal(conf_parse_hostport("[::1]:1x", host, sizeof(host),
	    &port, err, sizeof(err)), E2_ERR_MALFORMED);
	assert_int_equal(conf_parse_hostport("[::1]x:1", host, sizeof(host),
	    &port, err, sizeof(err)), E2_ERR_MALFORMED);
	assert_int_equal(conf_parse_hostport("", host, sizeof(host),
	    &port, err, sizeof(err)), E2_ERR_MALFORMED);
}

/* ---- conf_each_line ---- */

struct rec {
	size_t	calls;
	size_t	lines[16];
	size_t	nf[16];
	char	fields[16][4][64];
	size_t	fail_on;	/* line number to fail on, 0 = never */
};

static int
record(void *arg, size_t lineno, char **f, size_t nf, char *err,
    size_t errlen)
{
	struct rec *r = arg;
	size_t i;

	if (r->fail_on == lineno) {
		snprintf(err, errlen, "field '%s' is wrong", f[0]);
		return E2_ERR_CORRUPT;
	}
	assert_true(r->calls < 16);
	assert_true(nf >= 1 && nf <= 4);
	r->lines[r->calls] = lineno;
	r->nf[r->calls] = nf;
	for (i = 0; i < nf; i++)
		snprintf(r->fields[r->calls][i], 64, "%s", f[i]);
	r->calls++;
	return 0;
}

static void
test_each_line_fields(void **state)
{
	struct rec r;
	char err[128];
	const char *text =
	    "# header\n"
	    "alice AAAA verified 1700000000\n"
	    "\n"
	    "   \t  \n"
	    "  bob\tBBBB   new  1  \r\n"
	    "\t# indented comment\n"
	    "one\n"
	    "a b c d e f\n"
	    "x   y  z    w    v   u   \n"
	    "last line without newline";

	(void)state;
	memset(&r, 0, sizeof(r));
	assert_int_equal(conf_each_line(text, strlen(text), 4, record, &r,
	    err, sizeof(err)), 0);
	assert_int_equal(r.calls, 6);
	assert_int_equal(r.lines[0], 2);
	assert_int_equal(r.nf[0], 4);
	assert_string_equal(r.fields[0][0], "alice");
	assert_string_equal(r.fields[0][1], "AAAA");
	assert_string_equal(r.fields[0][2], "verified");
	assert_string_equal(r.fields[0][3], "1700000000");
	assert_int_equal(r.lines[1], 5);
	assert_int_equal(r.nf[1], 4);
	assert_string_equal(r.fields[1][0], "bob");
	assert_string_equal(r.fields[1][3], "1");
	assert_int_equal(r.lines[2], 7);
	assert_int_equal(r.nf[2], 1);
	assert_string_equal(r.fields[2][0], "one");
	/* More fields than maxf: the last one keeps the rest. */
	assert_int_equal(r.lines[3], 8);
	assert_int_equal(r.nf[3], 4);
	assert_string_equal(r.fields[3][2], "c");
	assert_string_equal(r.fields[3][3], "d e f");
	assert_int_equal(r.nf[4], 4);
	assert_string_equal(r.fields[4][3], "w    v   u");
	assert_int_equal(r.lines[5], 10);
	assert_int_equal(r.nf[5], 4);
	assert_string_equal(r.fields[5][0], "last");
	assert_string_equal(r.fields[5][2], "without");
	assert_string_equal(r.fields[5][3], "newline");

	/* maxf 1: the whole trimmed line. */
	memset(&r, 0, sizeof(r));
	assert_int_equal(conf_each_line("  a  b c \n", 10, 1, record, &r,
	    err, sizeof(err)), 0);
	assert_int_equal(r.calls, 1);
	assert_int_equal(r.nf[0], 1);
	assert_string_equal(r.fields[0][0], "a  b c");

	/* Empty and comment-only text: no calls. */
	memset(&r, 0, sizeof(r));
	assert_int_equal(conf_each_line("", 0, 4, record, &r, err,
	    sizeof(err)), 0);
	assert_int_equal(conf_each_line(NULL, 0, 4, record, &r, err,
	    sizeof(err)), 0);
	assert_int_equal(conf_each_line("#x\n\n#y", 6, 4, record, &r, err,
	    sizeof(err)), 0);
	assert_int_equal(r.calls, 0);
	/* Only len bytes count. */
	assert_int_equal(conf_each_line("abc def", 3, 4, record, &r, err,
	    sizeof(err)), 0);
	assert_int_equal(r.calls, 1);
	assert_string_equal(r.fields[0][0], "abc");
	assert_int_equal(r.nf[0], 1);
}

static void
test_each_line_errors(void **state)
{
	struct rec r;
	char err[128];
	const char *text;
	static const char nul[] = "a b\nc\0d\n";

	(void)state;
	memset(&r, 0, sizeof(r));
	r.fail_on = 3;
	text = "# c\nok 1\nbad 2\nnever 3\n";
	assert_int_equal(conf_each_line(text, strlen(text), 4, record, &r, err,
	    sizeof(err)), E2_ERR_CORRUPT);
	assert_string_equal(err, "line 3: field 'bad' is wrong");
	assert_int_equal(r.calls, 1);		/* stopped at the error */

	memset(&r, 0, sizeof(r));
	assert_int_equal(conf_each_line(nul, sizeof(nul) - 1, 4, record, &r,
	    err, sizeof(err)), E2_ERR_MALFORMED);
	assert_string_equal(err, "line 2: NUL byte in text");
	assert_int_equal(r.calls, 1);

	assert_int_equal(conf_each_line("a", 1, 0, record, &r, err,
	    sizeof(err)), E2_ERR_INVAL);
	assert_int_equal(conf_each_line("a", 1, 4, NULL, &r, err,
	    sizeof(err)), E2_ERR_INVAL);
}

static int
fail_silent(void *arg, size_t lineno, char **f, size_t nf, char *err,
    size_t errlen)
{
	(void)arg; (void)lineno; (void)f; (void)nf; (void)err; (void)errlen;
	return E2_ERR_NOTFOUND;
}

static int
count_long(void *arg, size_t lineno, char **f, size_t nf, char *err,
    size_t errlen)
{
	size_t *lens = arg;

	(void)lineno; (void)err; (void)errlen;
	lens[0] = nf;
	lens[1] = strlen(f[0]);
	lens[2] = nf > 1 ? strlen(f[1]) : 0;
	return 0;
}

static void
test_each_line_long(void **state)
{
	size_t n = 4 << 20, lens[3];
	char err[128];
	char *text = malloc(n + 8);

	(void)state;
	assert_non_null(text);
	memset(text, 'a', n);
	text[n / 2] = ' ';
	memcpy(text + n, "\n", 2);
	assert_int_equal(conf_each_line(text, n + 1, 4, count_long, lens, err,
	    sizeof(err)), 0);
	assert_int_equal(lens[0], 2);
	assert_int_equal(lens[1], n / 2);
	assert_int_equal(lens[2], n - n / 2 - 1);

	/* A callback that writes no message: the error code's text. */
	assert_int_equal(conf_each_line("x\n", 2, 2, fail_silent, NULL, err,
	    sizeof(err)), E2_ERR_NOTFOUND);
	assert_string_equal(err, "line 1: not found");
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_every_key),
		cmocka_unit_test(test_parse_over_existing),
		cmocka_unit_test(test_whitespace_comments),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_errors_nul),
		cmocka_unit_test(test_value_lengths),
		cmocka_unit_test(test_long_lines),
		cmocka_unit_test(test_valid_name),
		cmocka_unit_test(test_hostport),
		cmocka_unit_test(test_each_line_fields),
		cmocka_unit_test(test_each_line_errors),
		cmocka_unit_test(test_each_line_long),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
