/*
 * ui_driver.c - runs the call screen (src/ui) over a fake client whose
 * model a test script sets line by line, so tests/tui.sh can check what
 * the screen shows for any model, hostile strings included.
 *
 *	ui_driver [--ascii] CTLFILE LOGFILE
 *		Reads commands appended to CTLFILE (one per line, see
 *		apply() below; \xNN, \e, \n and \\ escapes are decoded, so a
 *		string can carry any byte), and writes each client_* command
 *		the screen gives to LOGFILE ("answer", "mute 1", ...).
 *	ui_driver [--unit]
 *		cmocka tests of the pieces that need no terminal: the safe
 *		text filter, the key table, the state words.
 */
#include <ctype.h>
#include <errno.h>
#include <locale.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wchar.h>

#include <cmocka.h>
#include <uv.h>

#include "client.h"
#include "err.h"
#include "log.h"
#include "sigmsg.h"
#include "ui/ui.h"
#include "ui/ui_int.h"

struct client {
	struct cl_model		 m;
	const struct view_ops	*view;
	void			*arg;
	FILE			*log;
	FILE			*ctl;
	uv_timer_t		 poll;
	char			 buf[8192];
	size_t			 len;
	int			 stopped;
};

/* ---- the fake client: what the screen calls ---- */

static void
rec(struct client *cl, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(cl->log, fmt, ap);
	va_end(ap);
	fputc('\n', cl->log);
	fflush(cl->log);
}

static void
emit(struct client *cl, enum cl_event_kind kind, const char *text)
{
	struct cl_event ev = { kind, text };

	cl->view->event(cl->arg, &ev);
	cl->view->changed(cl->arg);
}

const struct cl_model *
client_model(const struct client *cl)
{
	return &cl->m;
}

int
client_dial(struct client *cl, const char *peer)
{
	rec(cl, "dial %s", peer);
	return 0;
}

int
client_answer(struct client *cl)
{
	rec(cl, "answer");
	if (cl->m.state != CL_INCOMING && cl->m.state != CL_KEY_HELD)
		return E2_ERR_STATE;
	cl->m.state = CL_CONNECTING_MEDIA;
	cl->view->changed(cl->arg);
	return 0;
}

int
client_reject(struct client *cl)
{
	rec(cl, "reject");
	if (cl->m.state != CL_INCOMING &&
	    !(cl->m.state == CL_KEY_HELD && !cl->m.outgoing))
		return E2_ERR_STATE;
	cl->m.state = CL_ENDED;
	cl->m.end_reason = SIG_R_REJECTED;
	emit(cl, CL_EV_ENDED, NULL);
	return 0;
}

int
client_hangup(struct client *cl)
{
	rec(cl, "hangup");
	if (cl->m.state < CL_DIALING || cl->m.state == CL_ENDED)
		return E2_ERR_STATE;
	cl->m.state = CL_ENDED;
	cl->m.end_reason = SIG_R_HANGUP;
	cl->m.e2ee = 0;
	emit(cl, CL_EV_ENDED, NULL);
	return 0;
}

int
client_set_mute(struct client *cl, int muted)
{
	rec(cl, "mute %d", muted);
	cl->m.muted = muted;
	emit(cl, CL_EV_MUTE, NULL);
	return 0;
}

int
client_mark_verified(struct client *cl)
{
	rec(cl, "verified");
	cl->m.peer_key = KEY_VERIFIED;
	emit(cl, CL_EV_VERIFIED, NULL);
	return 0;
}

int
client_switch_audio(struct client *cl, const char *capture,
    const char *playback, char *err, size_t errlen)
{
	rec(cl, "switch %s %s", capture != NULL ? capture : "-",
	    playback != NULL ? playback : "-");
	if (capture != NULL && strcmp(capture, "bad") == 0) {
		snprintf(err, errlen, "cannot open capture device bad: "
		    "No such device");
		return E2_ERR_IO;
	}
	return 0;
}

static void
poll_closed_cb(uv_handle_t *h)
{
	(void)h;
}

void
client_quit(struct client *cl)
{
	rec(cl, "quit");
	if (!cl->stopped) {
		cl->stopped = 1;
		uv_close((uv_handle_t *)&cl->poll, poll_closed_cb);
	}
}

int
client_exit_status(const struct client *cl)
{
	return cl->m.state == CL_ENDED ? 0 : 1;
}

/* ---- the control file ---- */

static void
unescape(char *s)
{
	char *o = s;
	unsigned v;

	while (*s != '\0') {
		if (s[0] == '\\' && s[1] == 'x' && isxdigit((unsigned char)s[2]) &&
		    isxdigit((unsigned char)s[3]) &&
		    sscanf(s + 2, "%2x", &v) == 1) {
			*o++ = (char)v;
			s += 4;
		} else if (s[0] == '\\' && s[1] == 'e') {
			*o++ = 0x1b;
			s += 2;
		} else if (s[0] == '\\' && s[1] == 'n') {
			*o++ = '\n';
			s += 2;
		} else if (s[0] == '\\' && s[1] == '\\') {
			*o++ = '\\';
			s += 2;
		} else {
			*o++ = *s++;
		}
	}
	*o = '\0';
}

static const char *const state_names[] = {
	"connecting", "registering", "idle", "authenticating", "dialing",
	"ringing_out", "incoming", "key_held", "connecting_media", "in_call",
	"on_hold", "ended",
};
static const char *const key_names[] = {
	"new", "known", "verified", "changed", "changed_verified",
};
static const char *const ev_names[] = {
	"registered", "dialing", "ringing", "incoming", "key_changed",
	"answered", "security_code", "media", "stats", "hold", "mute",
	"verified", "ended", "error", "log",
};

static int
lookup(const char *const *names, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(names[i], s) == 0)
			return (int)i;
	return -1;
}

#define NAMES(a)	(a), sizeof(a) / sizeof((a)[0])

static void
setstr(char *dst, size_t cap, const char *src)
{
	snprintf(dst, cap, "%s", src);
}

/* "stat NAME VALUE": the counters and figures of struct cl_stats. */
#define U32(f)	{ #f, offsetof(struct cl_stats, f), 4 }
#define U64(f)	{ #f, offsetof(struct cl_stats, f), 8 }
#define FLT(f)	{ #f, offsetof(struct cl_stats, f), 0 }
static const struct {
	const char	*name;
	size_t		 off;
	int		 size;	/* 4, 8, or 0 for float */
} stat_fields[] = {
	U32(rtt_ms), U32(loss_pm), U32(peer_loss_pm), U32(jitter_ms),
	U32(delay_ms), U32(tx_kbps), U32(rx_kbps), U64(tx_packets),
	U64(rx_packets), U64(concealed), U64(fec), U64(bad), U64(replayed),
	U64(late), U64(xruns), FLT(in_level), FLT(out_level),
};

static int
set_stat(struct cl_stats *s, const char *name, const char *val)
{
	unsigned char *base = (unsigned char *)s;
	size_t i, n = strlen(name);
	uint32_t v32;
	uint64_t v64;
	float f;

	for (i = 0; i < sizeof(stat_fields) / sizeof(stat_fields[0]); i++) {
		/* "rtt" for rtt_ms, "in" for in_level, or the full name */
		if (strncmp(stat_fields[i].name, name, n) != 0 ||
		    (stat_fields[i].name[n] != '\0' &&
		    stat_fields[i].name[n] != '_'))
			continue;
		switch (stat_fields[i].size) {
		case 4:
			v32 = (uint32_t)strtoul(val, NULL, 10);
			memcpy(base + stat_fields[i].off, &v32, sizeof(v32));
			break;
		case 8:
			v64 = strtoull(val, NULL, 10);
			memcpy(base + stat_fields[i].off, &v64, sizeof(v64));
			break;
		default:
			f = strtof(val, NULL);
			memcpy(base + stat_fields[i].off, &f, sizeof(f));
			break;
		}
		return 0;
	}
	return -1;
}

/* One control line: "command [argument...]". */
static void
apply(struct client *cl, char *line)
{
	struct cl_model *m = &cl->m;
	char *arg = strchr(line, ' '), *arg2;
	int i;

	if (arg != NULL)
		*arg++ = '\0';
	else
		arg = line + strlen(line);
	unescape(arg);
	if (strcmp(line, "state") == 0 &&
	    (i = lookup(NAMES(state_names), arg)) >= 0) {
		m->state = (enum cl_state)i;
	} else if (strcmp(line, "key") == 0 &&
	    (i = lookup(NAMES(key_names), arg)) >= 0) {
		m->peer_key = (enum key_status)i;
	} else if (strcmp(line, "peer") == 0) {
		setstr(m->peer, sizeof(m->peer), arg);
	} else if (strcmp(line, "me") == 0) {
		setstr(m->my_name, sizeof(m->my_name), arg);
	} else if (strcmp(line, "server") == 0) {
		setstr(m->server, sizeof(m->server), arg);
	} else if (strcmp(line, "fp") == 0) {
		setstr(m->peer_fp, sizeof(m->peer_fp), arg);
	} else if (strcmp(line, "oldfp") == 0) {
		setstr(m->old_fp, sizeof(m->old_fp), arg);
	} else if (strcmp(line, "code") == 0) {
		setstr(m->code, sizeof(m->code), arg);
	} else if (strcmp(line, "path") == 0) {
		setstr(m->path, sizeof(m->path), arg);
	} else if (strcmp(line, "note") == 0) {
		setstr(m->audio_note, sizeof(m->audio_note), arg);
	} else if (strcmp(line, "e2ee") == 0) {
		m->e2ee = atoi(arg);
	} else if (strcmp(line, "muted") == 0) {
		m->muted = atoi(arg);
	} else if (strcmp(line, "direct") == 0) {
		m->direct = atoi(arg);
	} else if (strcmp(line, "outgoing") == 0) {
		m->outgoing = atoi(arg);
	} else if (strcmp(line, "start") == 0) {
		m->call_start_ms = uv_now(cl->poll.loop) -
		    1000 * (uint64_t)strtoull(arg, NULL, 10);
	} else if (strcmp(line, "end") == 0) {
		m->state = CL_ENDED;
		m->end_reason = (uint8_t)atoi(arg);
		m->ended_by_peer = strchr(arg, ' ') != NULL &&
		    atoi(strchr(arg, ' ') + 1);
		/* "end REASON 1": by the peer; "end REASON 2": the server */
		m->end_by = !m->ended_by_peer ? CL_END_LOCAL :
		    atoi(strchr(arg, ' ') + 1) == 2 ? CL_END_SERVER :
		    CL_END_PEER;
		m->e2ee = 0;
		emit(cl, CL_EV_ENDED, NULL);
	} else if (strcmp(line, "stat") == 0 &&
	    (arg2 = strchr(arg, ' ')) != NULL) {
		*arg2++ = '\0';
		if (set_stat(&m->stats, arg, arg2) != 0)
			rec(cl, "bad stat %s", arg);
	} else if (strcmp(line, "ev") == 0) {
		arg2 = strchr(arg, ' ');
		if (arg2 != NULL)
			*arg2++ = '\0';
		if ((i = lookup(NAMES(ev_names), arg)) >= 0)
			emit(cl, (enum cl_event_kind)i, arg2);
		else
			rec(cl, "bad event %s", arg);
		return;
	} else if (strcmp(line, "logmsg") == 0) {
		log_warn("%s", arg);
	} else if (strcmp(line, "abort") == 0) {
		abort();
	} else if (strcmp(line, "segv") == 0) {
		raise(SIGSEGV);
	} else if (strcmp(line, "exit") == 0) {
		exit(3);	/* no ui_free: atexit restores */
	} else if (strcmp(line, "quit") == 0) {
		client_quit(cl);
		return;
	} else {
		rec(cl, "bad command %s", line);
		return;
	}
	cl->view->changed(cl->arg);
}

static void
poll_cb(uv_timer_t *h)
{
	struct client *cl = h->data;
	size_t n;
	char *nl;

	n = fread(cl->buf + cl->len, 1, sizeof(cl->buf) - 1 - cl->len,
	    cl->ctl);
	cl->len += n;
	cl->buf[cl->len] = '\0';
	clearerr(cl->ctl);
	while (!cl->stopped && (nl = strchr(cl->buf, '\n')) != NULL) {
		*nl = '\0';
		apply(cl, cl->buf);
		if (cl->stopped)
			break;
		cl->len -= (size_t)(nl + 1 - cl->buf);
		memmove(cl->buf, nl + 1, cl->len + 1);
	}
	if (cl->len == sizeof(cl->buf) - 1)
		cl->len = 0;	/* a line too long: drop it */
}

static int
drive(int ascii, const char *ctlpath, const char *logpath)
{
	static struct client cl;
	uv_loop_t *loop = uv_default_loop();
	struct ui *u;
	char err[256];

	if ((cl.ctl = fopen(ctlpath, "r")) == NULL ||
	    (cl.log = fopen(logpath, "a")) == NULL) {
		fprintf(stderr, "ui_driver: %s\n", strerror(errno));
		return 1;
	}
	if (ui_new(&u, loop, ascii, err, sizeof(err)) < 0) {
		fprintf(stderr, "ui_driver: %s\n", err);
		return 1;
	}
	cl.view = &ui_view_ops;
	cl.arg = u;
	cl.m.state = CL_IDLE;
	uv_timer_init(loop, &cl.poll);
	cl.poll.data = &cl;
	uv_timer_start(&cl.poll, poll_cb, 20, 20);
	ui_attach(u, &cl);
	rec(&cl, "ready %ld", (long)getpid());
	uv_run(loop, UV_RUN_DEFAULT);
	ui_free(u);
	ui_free(u);		/* twice: must be harmless */
	rec(&cl, "exit %d", client_exit_status(&cl));
	fclose(cl.ctl);
	fclose(cl.log);
	return uv_loop_close(loop) == 0 ? 0 : 2;
}

/* ---- unit tests ---- */

static int
safe(const char *in, int utf8, int maxcols, wchar_t *out, size_t cap)
{
	return ui_safe_text(in, utf8, out, cap, maxcols);
}

static void
t_safe_plain(void **state)
{
	wchar_t w[64];

	(void)state;
	assert_int_equal(safe("alice", 1, 80, w, 64), 5);
	assert_true(wcscmp(w, L"alice") == 0);
	assert_int_equal(safe("alice", 1, 3, w, 64), 3);
	assert_true(wcscmp(w, L"ali") == 0);
	assert_int_equal(safe("", 1, 80, w, 64), 0);
	assert_true(w[0] == L'\0');
	assert_int_equal(safe("abc", 1, 80, w, 2), 1);	/* out capacity */
	assert_true(wcscmp(w, L"a") == 0);
}

static void
t_safe_controls(void **state)
{
	wchar_t w[64];

	(void)state;
	safe("\x1b[2J\x1b]0;x\x07", 1, 80, w, 64);
	assert_true(wcscmp(w, L"?[2J?]0;x?") == 0);
	safe("a\rb\nc\td\x7f" "e", 1, 80, w, 64);
	assert_true(wcscmp(w, L"a?b?c?d?e") == 0);
	safe("\xc2\x9b" "31m", 1, 80, w, 64);		/* C1 CSI */
	assert_true(wcscmp(w, L"?31m") == 0);
}

static void
t_safe_security_glyphs(void **state)
{
	wchar_t w[64];

	(void)state;
	safe("\xf0\x9f\x94\x92 ok", 1, 80, w, 64);	/* U+1F512 lock */
	assert_true(wcscmp(w, L"? ok") == 0);
	safe("\xe2\x9c\x93\xe2\x9c\x94\xe2\x9c\x85", 1, 80, w, 64);
	assert_true(wcscmp(w, L"???") == 0);
	safe("\xe2\x80\xae" "abc", 1, 80, w, 64);	/* RLO */
	assert_true(wcscmp(w, L"?abc") == 0);
	safe("a\xe2\x80\x8b" "b", 1, 80, w, 64);	/* zero width space */
	assert_true(wcscmp(w, L"a?b") == 0);
}

static void
t_safe_utf8(void **state)
{
	wchar_t w[64];

	(void)state;
	assert_int_equal(safe("z\xc3\xbcrich", 1, 80, w, 64), 6);
	assert_true(wcscmp(w, L"z\u00fcrich") == 0);
	safe("z\xc3\xbcrich", 0, 80, w, 64);		/* not UTF-8 */
	assert_true(wcscmp(w, L"z?rich") == 0);
	safe("\xc0\xaf", 1, 80, w, 64);			/* overlong */
	assert_true(wcscmp(w, L"??") == 0);
	safe("\xed\xa0\x80", 1, 80, w, 64);		/* surrogate */
	assert_true(wcscmp(w, L"???") == 0);
	safe("\xe6\x97\xa5", 1, 80, w, 64);		/* wide: 2 columns */
	assert_int_equal(safe("\xe6\x97\xa5\xe6\x97\xa5", 1, 3, w, 64), 2);
	assert_true(wcscmp(w, L"\u65e5") == 0);
	safe("ab\xe6\x97", 1, 80, w, 64);		/* cut short */
	assert_true(wcscmp(w, L"ab??") == 0);
}

static void
t_key_table(void **state)
{
	static const int want[] = { 'a', 'r', 'm', 'h', 'c', 'v', 'd', '?',
	    'q' };
	size_t i, j;
	char b[8];

	(void)state;
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		for (j = 0; j < ui_nkeys; j++)
			if (ui_keys[j].key == want[i])
				break;
		assert_true(j < ui_nkeys);
		assert_non_null(ui_keys[j].help);
		assert_non_null(ui_keys[j].fn);
	}
	for (i = 0; i < ui_nkeys; i++)
		for (j = i + 1; j < ui_nkeys; j++)
			assert_int_not_equal(ui_keys[i].key, ui_keys[j].key);
	assert_string_equal(ui_key_name('a', b), "a");
	assert_string_equal(ui_key_name(12, b), "^L");
	for (j = 0; j < ui_nkeys && ui_keys[j].key != 'a'; j++)
		;
	assert_true(ui_key_applies(&ui_keys[j], CL_INCOMING));
	assert_false(ui_key_applies(&ui_keys[j], CL_IN_CALL));
}

static void
t_state_words(void **state)
{
	struct cl_model m;
	char b[64];

	(void)state;
	memset(&m, 0, sizeof(m));
	m.state = CL_IN_CALL;
	assert_string_equal(ui_state_words(&m, b, sizeof(b)), "in call");
	m.state = CL_ON_HOLD;
	assert_string_equal(ui_state_words(&m, b, sizeof(b)),
	    "on hold by network");
	m.state = CL_ENDED;
	m.end_reason = SIG_R_BUSY;
	m.ended_by_peer = 1;
	m.end_by = CL_END_PEER;
	assert_string_equal(ui_state_words(&m, b, sizeof(b)),
	    "ended: busy (by peer)");
	m.end_reason = 200;
	assert_string_equal(ui_state_words(&m, b, sizeof(b)),
	    "ended: invalid (by peer)");
	m.end_reason = SIG_R_BUSY;
	m.end_by = CL_END_SERVER;
	assert_string_equal(ui_state_words(&m, b, sizeof(b)),
	    "ended: busy (server's word)");
	m.end_by = CL_END_LOCAL;
	assert_string_equal(ui_state_words(&m, b, sizeof(b)),
	    "ended: busy");
}

static int
unit(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_safe_plain),
		cmocka_unit_test(t_safe_controls),
		cmocka_unit_test(t_safe_security_glyphs),
		cmocka_unit_test(t_safe_utf8),
		cmocka_unit_test(t_key_table),
		cmocka_unit_test(t_state_words),
	};

	if (setlocale(LC_CTYPE, "C.UTF-8") == NULL) {
		fprintf(stderr, "ui_driver: no C.UTF-8 locale\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}

int
main(int argc, char **argv)
{
	int ascii = 0;

	if (argc == 1 || (argc == 2 && strcmp(argv[1], "--unit") == 0))
		return unit();
	if (argc > 1 && strcmp(argv[1], "--ascii") == 0) {
		ascii = 1;
		argc--;
		argv++;
	}
	if (argc != 3) {
		fprintf(stderr, "usage: ui_driver [--ascii] CTLFILE LOGFILE\n"
		    "       ui_driver [--unit]\n");
		return 2;
	}
	return drive(ascii, argv[1], argv[2]);
}
