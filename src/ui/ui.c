/*
 * ui.c - the call screen's life: taking over and restoring the terminal,
 * signals, the keyboard and the redraw hook on the client's libuv loop.
 * See ui.h.
 */
#include <errno.h>
#include <langinfo.h>
#include <locale.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <curses.h>
#include <term.h>

#include "err.h"
#include "log.h"
#include "ui.h"
#include "ui_int.h"

#define UI_RESET_MAX	256

/* One UI per process: curses is global, and so are signal handlers. */
static struct ui	 the_ui;

/*
 * What the fatal-signal handler needs, prepared while the UI starts so
 * that the handler itself only calls async-signal-safe functions.
 */
static volatile sig_atomic_t	 fatal_armed;
static struct termios		 saved_tio;
static int			 saved_tio_ok;
static char			 reset_seq[UI_RESET_MAX];
static size_t			 reset_len;
static const int		 fatal_sigs[] = {
	SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL
};
#define NFATAL	(sizeof(fatal_sigs) / sizeof(fatal_sigs[0]))
static struct sigaction		 old_fatal[NFATAL];
static int			 atexit_done;

static const int		 watch_sigs[4] = {
	SIGWINCH, SIGINT, SIGTERM, SIGHUP
};

static const struct cl_model	 empty_model;

static void	ui_event_cb(void *arg, const struct cl_event *ev);
static void	ui_changed_cb(void *arg);

const struct view_ops ui_view_ops = {
	.event = ui_event_cb,
	.changed = ui_changed_cb,
};

const struct cl_model *
ui_model(const struct ui *u)
{
	if (u->cl == NULL)
		return &empty_model;
	return client_model(u->cl);
}

uint64_t
ui_now(const struct ui *u)
{
	return uv_now(u->loop);
}

/* ---- restoring the terminal ---- */

/* Appends a terminfo string without its padding specs ($<5>). */
static void
reset_add(const char *cap)
{
	const char *s = tigetstr(cap);

	if (s == NULL || s == (char *)-1)
		return;
	while (*s != '\0' && reset_len < sizeof(reset_seq) - 1) {
		if (s[0] == '$' && s[1] == '<') {
			const char *e = strchr(s, '>');

			if (e != NULL) {
				s = e + 1;
				continue;
			}
		}
		reset_seq[reset_len++] = *s++;
	}
}

/* Async-signal-safe: the tty modes and the reset sequence, nothing else. */
static void
fatal_restore(void)
{
	ssize_t n;
	size_t off = 0;

	if (saved_tio_ok)
		(void)tcsetattr(STDIN_FILENO, TCSANOW, &saved_tio);
	while (off < reset_len) {
		n = write(STDOUT_FILENO, reset_seq + off, reset_len - off);
		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			break;
		}
		off += (size_t)n;
	}
}

/*
 * SIGSEGV, SIGABRT, ...: endwin() is not async-signal-safe (it goes
 * through curses' output buffers, which the crash may have broken), so
 * the handler does what endwin does for the terminal with write() and
 * tcsetattr(), puts back the handler that was there before (the default,
 * or a sanitizer's) and raises the signal again.
 */
static void
fatal_handler(int sig)
{
	size_t i;

	if (fatal_armed) {
		fatal_armed = 0;
		fatal_restore();
	}
	for (i = 0; i < NFATAL; i++)
		if (fatal_sigs[i] == sig)
			(void)sigaction(sig, &old_fatal[i], NULL);
	(void)raise(sig);
}

static void
fatal_install(void)
{
	struct sigaction sa;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = fatal_handler;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_NODEFER;
	for (i = 0; i < NFATAL; i++)
		(void)sigaction(fatal_sigs[i], &sa, &old_fatal[i]);
	fatal_armed = 1;
}

static void
fatal_uninstall(void)
{
	size_t i;

	fatal_armed = 0;
	for (i = 0; i < NFATAL; i++)
		(void)sigaction(fatal_sigs[i], &old_fatal[i], NULL);
}

/* Leaves curses mode for good; the handles stay until ui_free. */
static void
ui_restore(struct ui *u)
{
	if (u->down)
		return;
	u->down = 1;
	fatal_armed = 0;
	if (u->kbd_on) {
		uv_poll_stop(&u->kbd);
		u->kbd_on = 0;
	}
	if (!isendwin())
		endwin();
}

static void
ui_atexit(void)
{
	if (the_ui.active && !the_ui.down) {
		the_ui.down = 1;
		fatal_armed = 0;
		endwin();
	}
}

/* ---- loop callbacks ---- */

void
ui_request_quit(struct ui *u)
{
	u->quitting = 1;
	u->dirty |= UI_D_STATUS | UI_D_FOOT;
	if (u->cl != NULL)
		client_quit(u->cl);
}

static void
redraw_cb(uv_prepare_t *h)
{
	struct ui *u = h->data;

	if (u->down || u->dirty == 0)
		return;
	ui_draw(u);
	u->dirty = 0;
}

static void
tick_cb(uv_timer_t *h)
{
	struct ui *u = h->data;
	enum cl_state st = ui_model(u)->state;

	u->ticks++;
	switch (st) {
	case CL_INCOMING:
	case CL_KEY_HELD:
		if (u->ticks % 3 == 0 && !u->down)
			beep();
		u->dirty |= UI_D_OVERLAY;
		break;
	case CL_CONNECTING_MEDIA:
	case CL_IN_CALL:
	case CL_ON_HOLD:
		u->dirty |= UI_D_STATUS;	/* the call time */
		break;
	default:
		break;
	}
}

static void
kbd_cb(uv_poll_t *h, int status, int events)
{
	struct ui *u = h->data;
	int ch, got = 0;

	if (status < 0) {
		ui_log(u, UI_L_ERROR, "keyboard: %s", uv_strerror(status));
		uv_poll_stop(&u->kbd);
		u->kbd_on = 0;
		return;
	}
	if (u->down)
		return;
	while ((ch = wgetch(stdscr)) != ERR) {
		got = 1;
		ui_key(u, ch);
		if (u->down)
			return;
	}
	if (got) {
		u->kbd_empty = 0;
		return;
	}
	/*
	 * Readable, yet no key, again and again: the terminal is gone
	 * (end of file).  Stop reading and end, as on SIGHUP.
	 */
	if (++u->kbd_empty >= 64) {
		uv_poll_stop(&u->kbd);
		u->kbd_on = 0;
		ui_request_quit(u);
		ui_restore(u);
	}
}

static void
signal_cb(uv_signal_t *h, int signum)
{
	struct ui *u = h->data;
	struct winsize ws;
	size_t i;

	if (signum == SIGWINCH) {
		if (u->down)
			return;
		if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 &&
		    ws.ws_row > 0 && ws.ws_col > 0)
			resizeterm(ws.ws_row, ws.ws_col);
		clearok(curscr, TRUE);
		u->dirty = UI_D_ALL;
		return;
	}
	/*
	 * SIGINT, SIGTERM, SIGHUP: end the call and give the terminal back
	 * now.  Watching stops, so the same signal again (the client stuck)
	 * has its default effect.
	 */
	for (i = 1; i < 4; i++)
		uv_signal_stop(&u->sig[i]);
	ui_restore(u);
	log_set_sink(NULL, NULL);
	ui_request_quit(u);
}

/* ---- view_ops ---- */

/*
 * The line ui_free leaves on the restored terminal, so the way the call
 * ended stays visible after the screen is gone.  Printable ASCII only.
 */
static void
set_summary(struct ui *u, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
set_summary(struct ui *u, const char *fmt, ...)
{
	va_list ap;
	char *c;

	va_start(ap, fmt);
	vsnprintf(u->summary, sizeof(u->summary), fmt, ap);
	va_end(ap);
	for (c = u->summary; *c != '\0'; c++)
		if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f)
			*c = '?';
}

/* Adds a sentence to the summary (after ". ", as room allows). */
static void
append_summary(struct ui *u, const char *text)
{
	size_t n = strlen(u->summary);
	char *c;

	if (n + 3 >= sizeof(u->summary))
		return;
	snprintf(u->summary + n, sizeof(u->summary) - n, "%s%s",
	    n > 0 ? ". " : "", text);
	for (c = u->summary + n; *c != '\0'; c++)
		if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f)
			*c = '?';
}

static void
ui_event_cb(void *arg, const struct cl_event *ev)
{
	struct ui *u = arg;
	const struct cl_model *m = ui_model(u);
	const char *t = ev->text != NULL ? ev->text : "";
	char words[128];

	u->dirty |= UI_D_STATUS | UI_D_INFO | UI_D_LOG | UI_D_FOOT;
	switch (ev->kind) {
	case CL_EV_REGISTERED:
		if (m->direct)
			ui_log(u, UI_L_INFO, "listening as %s", m->my_name);
		else
			ui_log(u, UI_L_INFO, "registered as %s on %s",
			    m->my_name, m->server);
		break;
	case CL_EV_DIALING:
		ui_log(u, UI_L_INFO, "calling %s", m->peer);
		break;
	case CL_EV_RINGING:
		ui_log(u, UI_L_INFO, "%s's phone is ringing", m->peer);
		break;
	case CL_EV_INCOMING:
		if (u->modal == UI_M_HELP || u->modal == UI_M_CODE)
			u->modal = UI_M_NONE;
		u->ticks = 0;
		if (!u->down)
			beep();
		ui_log(u, UI_L_INFO, "incoming call from %s", m->peer);
		break;
	case CL_EV_KEY_CHANGED:
		if (u->modal == UI_M_HELP || u->modal == UI_M_CODE)
			u->modal = UI_M_NONE;
		if (!u->down)
			beep();
		ui_log(u, UI_L_WARN, "THE KEY OF %s HAS CHANGED%s", m->peer,
		    m->peer_key == KEY_CHANGED_VERIFIED ?
		    " (it was verified)" : "");
		ui_log(u, UI_L_WARN, "  old: %s", m->old_fp);
		ui_log(u, UI_L_WARN, "  new: %s", m->peer_fp);
		break;
	case CL_EV_ANSWERED:
		ui_log(u, UI_L_INFO, "call with %s established", m->peer);
		break;
	case CL_EV_SECURITY_CODE:
		ui_log(u, UI_L_INFO,
		    "security code ready: press c to show it, v to verify");
		break;
	case CL_EV_MEDIA:
		if (strcmp(u->last_path, m->path) != 0)
			ui_log(u, UI_L_INFO, "media path: %s", m->path);
		snprintf(u->last_path, sizeof(u->last_path), "%s", m->path);
		break;
	case CL_EV_STATS:
		u->dirty &= ~(UI_D_LOG | UI_D_FOOT);
		break;
	case CL_EV_HOLD:
		if (m->state == CL_ON_HOLD)
			ui_log(u, UI_L_ERROR,
			    "no audio from %s: on hold by network", m->peer);
		else
			ui_log(u, UI_L_INFO, "audio from %s again", m->peer);
		break;
	case CL_EV_MUTE:
		ui_log(u, UI_L_INFO, "%s", m->muted ?
		    "microphone muted" : "microphone on");
		break;
	case CL_EV_VERIFIED:
		ui_log(u, UI_L_INFO, "%s is now verified", m->peer);
		break;
	case CL_EV_ENDED:
		u->ended_ms = ui_now(u);
		if (u->modal == UI_M_VERIFY || u->modal == UI_M_DEVICE)
			u->modal = UI_M_NONE;
		ui_state_words(m, words, sizeof(words));
		ui_log(u, UI_L_INFO, "%s", words);
		if (m->call_start_ms != 0 && u->ended_ms >= m->call_start_ms)
			set_summary(u, "call with %s %s after %02llu:%02llu",
			    m->peer, words, (unsigned long long)
			    ((u->ended_ms - m->call_start_ms) / 60000),
			    (unsigned long long)
			    ((u->ended_ms - m->call_start_ms) / 1000 % 60));
		else
			set_summary(u, "call with %s %s", m->peer, words);
		if (m->end_note[0] != '\0') {
			ui_log(u, UI_L_ERROR, "%s", m->end_note);
			append_summary(u, m->end_note);
		}
		u->last_path[0] = '\0';
		break;
	case CL_EV_ERROR:
		ui_log(u, UI_L_ERROR, "%s", t);
		set_summary(u, "%s", t);
		break;
	case CL_EV_LOG:
		ui_log(u, UI_L_INFO, "%s", t);
		break;
	case CL_EV_AUDIO_CLOCK:
		break;
	}
}

static void
ui_changed_cb(void *arg)
{
	struct ui *u = arg;

	u->dirty |= UI_D_STATUS | UI_D_INFO | UI_D_FOOT;
}

static void
log_sink(enum log_level level, const char *line, void *arg)
{
	struct ui *u = arg;
	enum ui_line_kind k;

	switch (level) {
	case LOG_ERROR:
		k = UI_L_ERROR;
		break;
	case LOG_WARN:
		k = UI_L_WARN;
		break;
	case LOG_DEBUG:
		k = UI_L_DIM;
		break;
	default:
		k = UI_L_INFO;
		break;
	}
	ui_log(u, k, "%s", line);
}

/* ---- life ---- */

static void
close_cb(uv_handle_t *h)
{
	struct ui *u = h->data;

	u->nopen--;
}

static void
ui_close_handle(struct ui *u, uv_handle_t *h)
{
	if (h->loop == NULL || uv_is_closing(h))
		return;
	uv_close(h, close_cb);
}

static void
ui_close_all(struct ui *u)
{
	int i, spins;

	if (u->kbd_on)
		uv_poll_stop(&u->kbd);
	u->kbd_on = 0;
	ui_close_handle(u, (uv_handle_t *)&u->kbd);
	for (i = 0; i < 4; i++)
		ui_close_handle(u, (uv_handle_t *)&u->sig[i]);
	ui_close_handle(u, (uv_handle_t *)&u->redraw);
	ui_close_handle(u, (uv_handle_t *)&u->tick);
	for (spins = 0; u->nopen > 0 && spins < 100; spins++)
		uv_run(u->loop, UV_RUN_NOWAIT);
}

/* Starts one handle and counts it open; unreferenced. */
static int
ui_handles(struct ui *u, char *err, size_t errlen)
{
	int i, rc;

	if ((rc = uv_prepare_init(u->loop, &u->redraw)) < 0)
		goto fail;
	u->redraw.data = u;
	u->nopen++;
	uv_unref((uv_handle_t *)&u->redraw);
	if ((rc = uv_prepare_start(&u->redraw, redraw_cb)) < 0)
		goto fail;

	if ((rc = uv_timer_init(u->loop, &u->tick)) < 0)
		goto fail;
	u->tick.data = u;
	u->nopen++;
	uv_unref((uv_handle_t *)&u->tick);
	if ((rc = uv_timer_start(&u->tick, tick_cb, 1000, 1000)) < 0)
		goto fail;

	/* Before curses starts, so curses leaves these signals to us. */
	for (i = 0; i < 4; i++) {
		if ((rc = uv_signal_init(u->loop, &u->sig[i])) < 0)
			goto fail;
		u->sig[i].data = u;
		u->nopen++;
		uv_unref((uv_handle_t *)&u->sig[i]);
		if ((rc = uv_signal_start(&u->sig[i], signal_cb,
		    watch_sigs[i])) < 0)
			goto fail;
	}

	if ((rc = uv_poll_init(u->loop, &u->kbd, STDIN_FILENO)) < 0)
		goto fail;
	u->kbd.data = u;
	u->nopen++;
	uv_unref((uv_handle_t *)&u->kbd);
	return 0;
fail:
	snprintf(err, errlen, "call screen: %s", uv_strerror(rc));
	return E2_ERR_IO;
}

static void
ui_colors(struct ui *u)
{
	const char *nc = getenv("NO_COLOR");
	short bg;

	u->color = 0;
	if (nc != NULL && nc[0] != '\0')
		return;		/* https://no-color.org */
	if (!has_colors() || start_color() == ERR)
		return;
	bg = use_default_colors() == OK ? -1 : COLOR_BLACK;
	init_pair(1, COLOR_WHITE, COLOR_BLUE);		/* bar */
	init_pair(2, COLOR_GREEN, COLOR_BLUE);		/* lock on bar */
	init_pair(3, COLOR_RED, bg);			/* error; loud reversed */
	init_pair(4, COLOR_CYAN, bg);			/* dim, title */
	init_pair(5, COLOR_YELLOW, bg);			/* keys */
	init_pair(6, COLOR_GREEN, bg);			/* meter */
	u->color = 1;
}

attr_t
ui_attr(const struct ui *u, enum ui_style st)
{
	static const attr_t mono[UI_S_NSTYLES] = {
		[UI_S_NORMAL] = A_NORMAL,
		[UI_S_BAR] = A_REVERSE,
		[UI_S_LOCK] = A_REVERSE | A_BOLD,
		[UI_S_LOUD] = A_REVERSE | A_BOLD,
		/* the bar is reverse already: stand out by not being so */
		[UI_S_BAR_LOUD] = A_BOLD | A_UNDERLINE,
		[UI_S_ERROR] = A_BOLD,
		[UI_S_DIM] = A_DIM,
		[UI_S_KEY] = A_BOLD,
		[UI_S_TITLE] = A_BOLD,
		[UI_S_METER] = A_NORMAL,
	};
	static const short pair[UI_S_NSTYLES] = {
		[UI_S_BAR] = 1, [UI_S_LOCK] = 2, [UI_S_LOUD] = 3,
		[UI_S_BAR_LOUD] = 3, [UI_S_ERROR] = 3, [UI_S_DIM] = 4,
		[UI_S_KEY] = 5, [UI_S_TITLE] = 4, [UI_S_METER] = 6,
	};

	if (!u->color || pair[st] == 0)
		return mono[st];
	switch (st) {
	case UI_S_LOUD:
	case UI_S_BAR_LOUD:
		return COLOR_PAIR(pair[st]) | A_REVERSE | A_BOLD;
	case UI_S_LOCK:
	case UI_S_KEY:
	case UI_S_TITLE:
		return COLOR_PAIR(pair[st]) | A_BOLD;
	case UI_S_BAR:
	case UI_S_ERROR:
	case UI_S_DIM:
	case UI_S_METER:
	default:
		return COLOR_PAIR(pair[st]);
	}
}

int
ui_new(struct ui **up, uv_loop_t *loop, int ascii, char *err, size_t errlen)
{
	struct ui *u = &the_ui;
	const char *cs;
	int rc;

	*up = NULL;
	if (u->active || u->nopen > 0) {
		snprintf(err, errlen, "call screen: already open");
		return E2_ERR_STATE;
	}
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		snprintf(err, errlen,
		    "the call screen needs a terminal (use --batch)");
		return E2_ERR_IO;
	}
	memset(u, 0, sizeof(*u));
	u->loop = loop;

	setlocale(LC_CTYPE, "");
	cs = nl_langinfo(CODESET);
	u->ascii = ascii || cs == NULL || (strcasecmp(cs, "UTF-8") != 0 &&
	    strcasecmp(cs, "UTF8") != 0);

	saved_tio_ok = tcgetattr(STDIN_FILENO, &saved_tio) == 0;
	if ((rc = ui_handles(u, err, errlen)) < 0)
		goto fail;

	u->scr = newterm(NULL, stdout, stdin);
	if (u->scr == NULL) {
		snprintf(err, errlen, "cannot use terminal type \"%s\"",
		    getenv("TERM") != NULL ? getenv("TERM") : "");
		rc = E2_ERR_IO;
		goto fail;
	}
	set_term(u->scr);
	cbreak();
	noecho();
	nonl();
	nodelay(stdscr, TRUE);
	keypad(stdscr, TRUE);
	set_escdelay(25);
	curs_set(0);
	ui_colors(u);

	reset_len = 0;
	reset_add("sgr0");
	reset_add("cnorm");
	reset_add("rmkx");
	reset_add("rmcup");
	fatal_install();
	if (!atexit_done)
		atexit_done = atexit(ui_atexit) == 0;

	if ((rc = uv_poll_start(&u->kbd, UV_READABLE, kbd_cb)) < 0) {
		snprintf(err, errlen, "call screen: keyboard: %s",
		    uv_strerror(rc));
		rc = E2_ERR_IO;
		goto fail;
	}
	u->kbd_on = 1;

	u->active = 1;
	u->dirty = UI_D_ALL;
	u->overlay_id = -1;
	log_set_sink(log_sink, u);
	*up = u;
	return 0;
fail:
	if (u->scr != NULL) {
		fatal_uninstall();
		endwin();
		delscreen(u->scr);
		u->scr = NULL;
	}
	ui_close_all(u);
	return rc;
}

void
ui_attach(struct ui *u, struct client *cl)
{
	u->cl = cl;
	u->dirty = UI_D_ALL;
	if (u->quitting && cl != NULL)
		client_quit(cl);
}

void
ui_free(struct ui *u)
{
	if (u == NULL || !u->active)
		return;
	log_set_sink(NULL, NULL);
	ui_restore(u);
	fatal_uninstall();
	if (u->scr != NULL) {
		delscreen(u->scr);
		u->scr = NULL;
	}
	ui_close_all(u);
	u->cl = NULL;
	u->active = 0;
	if (u->summary[0] != '\0')
		fprintf(stderr, "e2call: %s\n", u->summary);
}
