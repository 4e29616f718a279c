/*
 * ui_draw.c - the call model onto the screen.
 *
 *	row 0          status bar: lock, peer and key state, call state, time
 *	rows 1..10     you, peer key, media path, audio note, level meters,
 *	               network figures, counters, the events title (fewer
 *	               in a short window)
 *	rows below     event log (newest at the bottom)
 *	row LINES - 2  message line
 *	row LINES - 1  help bar (the keys that apply now, from ui_keys[])
 *
 * Boxes (help, code, verify, device, quit, ring, key warning) are drawn
 * over the middle.  Each region is redrawn only when marked dirty; curses
 * then sends only the cells that changed.  Strings that came from outside
 * (names, fingerprints, paths, log text) go through ui_safe_text.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "sigmsg.h"
#include "ui_int.h"

#define BOX_MAXW	68

enum overlay {
	OV_NONE,
	OV_HELP,
	OV_CODE,
	OV_VERIFY,
	OV_DEVICE,
	OV_QUIT,
	OV_RING,
	OV_KEYWARN,
};

/* A place to write on one row, clipped at x_end. */
struct pen {
	int	y, x, x_end;
};

/* ---- text that is safe to show ---- */

/*
 * Decodes one UTF-8 sequence strictly.  Returns its length and sets *cp,
 * or returns 1 with *cp = 0xfffd for an invalid byte.
 */
static size_t
utf8_next(const unsigned char *s, uint32_t *cp)
{
	uint32_t c;
	size_t n, i;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		c = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		c = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		c = s[0] & 0x07;
	} else {
		*cp = 0xfffd;
		return 1;
	}
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80) {
			*cp = 0xfffd;
			return 1;
		}
		c = (c << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && c < 0x800) || (n == 4 && c < 0x10000) ||
	    c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) {
		*cp = 0xfffd;
		return 1;
	}
	*cp = c;
	return n;
}

/*
 * Code points a peer must not be able to put on the screen: controls,
 * format characters that reorder or hide text, and the glyphs this screen
 * uses to say "secure" (locks, keys, check marks).
 */
static int
unsafe_cp(uint32_t c)
{
	return c < 0x20 || (c >= 0x7f && c < 0xa0) || c == 0xad ||
	    c == 0x034f || c == 0x061c || c == 0x180e ||
	    (c >= 0x200b && c <= 0x200f) || (c >= 0x2028 && c <= 0x202e) ||
	    (c >= 0x2060 && c <= 0x206f) || (c >= 0xfe00 && c <= 0xfe0f) ||
	    c == 0xfeff || (c >= 0xfff9 && c <= 0xfffd) ||
	    (c >= 0xe0000 && c <= 0xe0fff) ||
	    (c >= 0x1f50f && c <= 0x1f513) ||	/* locks and key */
	    c == 0x2611 || c == 0x2705 || c == 0x2713 || c == 0x2714 ||
	    c == 0x1f5f8 || c == 0x26bf || c == 0x1f6e1;
}

int
ui_safe_text(const char *in, int utf8, wchar_t *out, size_t outcap,
    int maxcols)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t n = 0;
	uint32_t c;
	int cols = 0, w;

	if (outcap == 0)
		return 0;
	while (*s != '\0' && n + 1 < outcap) {
		s += utf8_next(s, &c);
		if (unsafe_cp(c) || (!utf8 && c >= 0x80)) {
			c = '?';
			w = 1;
		} else if (c < 0x80) {
			w = 1;
		} else if ((w = wcwidth((wchar_t)c)) <= 0) {
			c = '?';
			w = 1;
		}
		if (cols + w > maxcols)
			break;
		out[n++] = (wchar_t)c;
		cols += w;
	}
	out[n] = L'\0';
	return cols;
}

int
ui_put_safe(struct ui *u, int y, int x, int maxcols, const char *s,
    attr_t attr)
{
	wchar_t w[UI_LOG_TEXT + 1];
	int cols;

	if (maxcols <= 0 || y < 0 || y >= LINES || x >= COLS)
		return 0;
	if (x + maxcols > COLS)
		maxcols = COLS - x;
	cols = ui_safe_text(s, !u->ascii, w, sizeof(w) / sizeof(w[0]),
	    maxcols);
	attrset(attr);
	mvaddwstr(y, x, w);
	attrset(A_NORMAL);
	return cols;
}

/* ---- pens: our own text ---- */

static void
pen_at(struct pen *p, int y, int x, int x_end)
{
	p->y = y;
	p->x = x;
	p->x_end = x_end < COLS ? x_end : COLS;
}

/* Our own text (ASCII or the few glyphs of this file), clipped. */
static void
pen_w(struct pen *p, const wchar_t *ws, attr_t attr)
{
	int w;

	if (p->y < 0 || p->y >= LINES)
		return;
	attrset(attr);
	for (; *ws != L'\0'; ws++) {
		w = wcwidth(*ws);
		if (w < 1)
			w = 1;
		if (p->x + w > p->x_end)
			break;
		mvaddnwstr(p->y, p->x, ws, 1);
		p->x += w;
	}
	attrset(A_NORMAL);
}

static void
pen_s(struct pen *p, const char *s, attr_t attr)
{
	wchar_t w[256];
	size_t i;

	for (i = 0; s[i] != '\0' && i < sizeof(w) / sizeof(w[0]) - 1; i++)
		w[i] = (unsigned char)s[i] < 0x80 ? (wchar_t)s[i] : L'?';
	w[i] = L'\0';
	pen_w(p, w, attr);
}

static void
pen_f(struct pen *p, attr_t attr, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
pen_f(struct pen *p, attr_t attr, const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	pen_s(p, buf, attr);
}

/* Text from outside. */
static void
pen_safe(struct ui *u, struct pen *p, const char *s, attr_t attr)
{
	if (p->y < 0 || p->y >= LINES || p->x >= p->x_end)
		return;
	p->x += ui_put_safe(u, p->y, p->x, p->x_end - p->x, s, attr);
}

/* Fills the rest of the pen's row with spaces in attr. */
static void
pen_fill(struct pen *p, attr_t attr)
{
	if (p->y < 0 || p->y >= LINES)
		return;
	attrset(attr);
	for (; p->x < p->x_end; p->x++)
		mvaddch(p->y, p->x, ' ');
	attrset(A_NORMAL);
}

static void
clear_row(int y)
{
	if (y >= 0 && y < LINES) {
		move(y, 0);
		clrtoeol();
	}
}

/* ---- words ---- */

const char *
ui_state_words(const struct cl_model *m, char *buf, size_t cap)
{
	const char *w = "";

	switch (m->state) {
	case CL_CONNECTING:
		w = m->direct ? "connecting" : "connecting to server";
		break;
	case CL_REGISTERING:
		w = "registering";
		break;
	case CL_IDLE:
	case CL_AUTHENTICATING:
		w = "waiting for calls";
		break;
	case CL_DIALING:
		w = "dialing";
		break;
	case CL_RINGING_OUT:
		w = "ringing";
		break;
	case CL_INCOMING:
		w = "incoming call";
		break;
	case CL_KEY_HELD:
		w = "key changed: waiting for you";
		break;
	case CL_CONNECTING_MEDIA:
		w = "connecting";
		break;
	case CL_IN_CALL:
		w = "in call";
		break;
	case CL_ON_HOLD:
		w = "on hold by network";
		break;
	case CL_ENDED:
		if (m->end_reason == SIG_R_NONE)
			snprintf(buf, cap, "ended");
		else
			snprintf(buf, cap, "ended: %s%s",
			    sig_reason_name(m->end_reason),
			    m->end_by == CL_END_PEER ? " (by peer)" :
			    m->end_by == CL_END_SERVER ?
			    " (server's word)" : "");
		return buf;
	}
	snprintf(buf, cap, "%s", w);
	return buf;
}

static int
in_call(enum cl_state s)
{
	return s == CL_CONNECTING_MEDIA || s == CL_IN_CALL || s == CL_ON_HOLD;
}

static int
key_changed(enum key_status k)
{
	return k == KEY_CHANGED || k == KEY_CHANGED_VERIFIED;
}

/* ---- the status bar ---- */

static void
draw_status(struct ui *u, const struct cl_model *m)
{
	attr_t bar = ui_attr(u, UI_S_BAR);
	char words[128], tbuf[32] = "";
	uint64_t start = m->call_start_ms, end = 0, secs;
	struct pen p;

	pen_at(&p, 0, 0, COLS);
	pen_fill(&p, bar);
	pen_at(&p, 0, 0, COLS);
	pen_s(&p, " ", bar);
	/* The lock: from local cryptographic state only. */
	if (m->e2ee) {
		if (u->ascii)
			pen_s(&p, "[E2EE]", ui_attr(u, UI_S_LOCK));
		else
			pen_w(&p, L"\U0001F512", ui_attr(u, UI_S_LOCK));
		pen_s(&p, " ", bar);
	}
	if (m->peer[0] != '\0') {
		pen_safe(u, &p, m->peer, bar | A_BOLD);
		if (m->peer_fp[0] != '\0') {
			pen_s(&p, " ", bar);
			switch (m->peer_key) {
			case KEY_NEW:
				pen_s(&p, "(new key)", bar);
				break;
			case KEY_KNOWN:
				pen_s(&p, "(known)", bar);
				break;
			case KEY_VERIFIED:
				if (u->ascii)
					pen_s(&p, "(verified)",
					    ui_attr(u, UI_S_LOCK));
				else
					pen_w(&p, L"(verified \u2713)",
					    ui_attr(u, UI_S_LOCK));
				break;
			case KEY_CHANGED:
				pen_s(&p, "KEY CHANGED!", ui_attr(u,
				    UI_S_BAR_LOUD));
				break;
			case KEY_CHANGED_VERIFIED:
				pen_s(&p, "VERIFIED KEY CHANGED!",
				    ui_attr(u, UI_S_BAR_LOUD));
				break;
			}
		}
		pen_w(&p, u->ascii ? L" - " : L" \u00b7 ", bar);
	} else if (m->my_name[0] != '\0') {
		pen_safe(u, &p, m->my_name, bar | A_BOLD);
		pen_w(&p, u->ascii ? L" - " : L" \u00b7 ", bar);
	}
	pen_s(&p, ui_state_words(m, words, sizeof(words)), bar);
	if (m->muted && m->state != CL_ENDED) {
		pen_s(&p, "  ", bar);
		pen_s(&p, "MUTED", ui_attr(u, UI_S_BAR_LOUD));
	}
	if (u->quitting)
		pen_s(&p, "  quitting", bar);

	if (start != 0) {
		if (in_call(m->state))
			end = ui_now(u);
		else if (m->state == CL_ENDED && u->ended_ms != 0)
			end = u->ended_ms;
	}
	if (end != 0 && end >= start) {
		secs = (end - start) / 1000;
		snprintf(tbuf, sizeof(tbuf), "%02llu:%02llu",
		    (unsigned long long)(secs / 60),
		    (unsigned long long)(secs % 60));
	}
	if (tbuf[0] != '\0' && COLS - (int)strlen(tbuf) - 1 > p.x + 1) {
		pen_at(&p, 0, COLS - (int)strlen(tbuf) - 1, COLS);
		pen_s(&p, tbuf, bar | A_BOLD);
	}
}

/* ---- figures ---- */

static void
meter(struct ui *u, int y, const char *name, float level, int muted)
{
	struct pen p;
	int w, fill, i;
	float db;

	clear_row(y);
	pen_at(&p, y, 1, COLS);
	pen_f(&p, A_NORMAL, "%-4s", name);
	w = COLS - 20;
	if (w > 40)
		w = 40;
	if (w < 5)
		return;
	if (!(level > 0.0f))
		level = 0.0f;
	if (level > 1.0f)
		level = 1.0f;
	db = level > 0.001f ? 20.0f * log10f(level) : -60.0f;
	if (muted)
		db = -60.0f;
	fill = (int)lroundf((db + 60.0f) / 60.0f * (float)w);
	if (fill < 0)
		fill = 0;
	if (fill > w)
		fill = w;
	pen_s(&p, "[", A_NORMAL);
	for (i = 0; i < w; i++) {
		if (i < fill)
			pen_w(&p, u->ascii ? L"#" : L"\u2588",
			    ui_attr(u, UI_S_METER));
		else
			pen_s(&p, " ", A_NORMAL);
	}
	pen_s(&p, "] ", A_NORMAL);
	if (muted)
		pen_s(&p, "muted", ui_attr(u, UI_S_LOUD));
	else
		pen_f(&p, A_NORMAL, "%3d dB", (int)lroundf(db));
}

static void
counter(struct ui *u, struct pen *p, const char *name, uint64_t v, int bad)
{
	pen_f(p, A_NORMAL, "%s ", name);
	pen_f(p, bad && v > 0 ? ui_attr(u, UI_S_ERROR) : A_NORMAL, "%llu",
	    (unsigned long long)v);
	pen_s(p, "  ", A_NORMAL);
}

/*
 * The rows between the status bar and the event log, in screen order.
 * When the window is short, the rows of least importance go first
 * (prio: 0 is kept longest); the log keeps at least LOG_MIN rows.
 */
enum info_row {
	IR_YOU, IR_PEERKEY, IR_MEDIA, IR_NOTE, IR_IN, IR_OUT, IR_NET,
	IR_RATE, IR_COUNT, IR_TITLE, IR_N
};
static const int info_prio[IR_N] = {
	[IR_NOTE] = 0, [IR_NET] = 1, [IR_IN] = 2, [IR_OUT] = 3,
	[IR_TITLE] = 4, [IR_PEERKEY] = 5, [IR_COUNT] = 6, [IR_RATE] = 7,
	[IR_MEDIA] = 8, [IR_YOU] = 9,
};
#define LOG_MIN		3

/* How many info rows fit; the log starts below them. */
static int
info_rows(void)
{
	int n = LINES - 3 - LOG_MIN;

	if (n > IR_N)
		n = IR_N;
	return n < 0 ? 0 : n;
}

static int
log_top(void)
{
	return 1 + info_rows();
}

static void
draw_info_row(struct ui *u, const struct cl_model *m, enum info_row r, int y)
{
	const struct cl_stats *s = &m->stats;
	struct pen p;

	clear_row(y);
	pen_at(&p, y, 1, COLS);
	switch (r) {
	case IR_YOU:
		pen_s(&p, "You: ", ui_attr(u, UI_S_DIM));
		pen_safe(u, &p, m->my_name[0] != '\0' ? m->my_name : "-",
		    A_BOLD);
		if (m->direct) {
			pen_s(&p, "  (direct, no server)", A_NORMAL);
		} else if (m->server[0] != '\0') {
			pen_s(&p, "  server ", ui_attr(u, UI_S_DIM));
			pen_safe(u, &p, m->server, A_NORMAL);
		}
		break;
	case IR_PEERKEY:
		if (m->peer_fp[0] == '\0')
			break;
		pen_s(&p, "Peer key: ", ui_attr(u, UI_S_DIM));
		pen_safe(u, &p, m->peer_fp, key_changed(m->peer_key) ?
		    ui_attr(u, UI_S_LOUD) : A_NORMAL);
		break;
	case IR_MEDIA:
		if (m->path[0] == '\0')
			break;
		pen_s(&p, "Media: ", ui_attr(u, UI_S_DIM));
		pen_safe(u, &p, m->path, A_NORMAL);
		break;
	case IR_NOTE:
		if (m->audio_note[0] == '\0')
			break;
		pen_s(&p, "Audio: ", ui_attr(u, UI_S_DIM));
		pen_safe(u, &p, m->audio_note, ui_attr(u, UI_S_ERROR));
		break;
	case IR_IN:
		meter(u, y, "In", s->in_level, m->muted);
		break;
	case IR_OUT:
		meter(u, y, "Out", s->out_level, 0);
		break;
	case IR_NET:
		if (s->rtt_ms != 0)
			pen_f(&p, A_NORMAL, "RTT %u ms", s->rtt_ms);
		else
			pen_s(&p, "RTT -", A_NORMAL);
		pen_f(&p, A_NORMAL, "   loss %u.%u%% (peer %u.%u%%)   "
		    "jitter %u ms   buffer %u ms", s->loss_pm / 10,
		    s->loss_pm % 10, s->peer_loss_pm / 10,
		    s->peer_loss_pm % 10, s->jitter_ms, s->delay_ms);
		break;
	case IR_RATE:
		pen_f(&p, A_NORMAL, "bitrate tx %u kb/s  rx %u kb/s   "
		    "packets tx %llu  rx %llu", s->tx_kbps, s->rx_kbps,
		    (unsigned long long)s->tx_packets,
		    (unsigned long long)s->rx_packets);
		break;
	case IR_COUNT:
		counter(u, &p, "concealed", s->concealed, 0);
		counter(u, &p, "fec", s->fec, 0);
		counter(u, &p, "late", s->late, 0);
		counter(u, &p, "bad", s->bad, 1);
		counter(u, &p, "replayed", s->replayed, 1);
		counter(u, &p, "xruns", s->xruns, 0);
		break;
	case IR_TITLE:
		attrset(ui_attr(u, UI_S_DIM));
		mvhline(y, 0, u->ascii ? '-' : ACS_HLINE, COLS);
		attrset(A_NORMAL);
		pen_at(&p, y, 2, COLS);
		pen_s(&p, " events ", ui_attr(u, UI_S_TITLE));
		break;
	case IR_N:
		break;
	}
}

static void
draw_info(struct ui *u, const struct cl_model *m)
{
	int n = info_rows(), y = 1, r;

	for (r = 0; r < IR_N; r++)
		if (info_prio[r] < n)
			draw_info_row(u, m, (enum info_row)r, y++);
}

/* ---- event log ---- */

static void
draw_log(struct ui *u)
{
	int top = log_top(), bottom = LINES - 3, rows, y;
	size_t i, n, idx;
	const struct ui_line *l;
	attr_t a;
	struct pen p;

	if (bottom < top)
		return;
	rows = bottom - top + 1;
	for (y = top; y <= bottom; y++)
		clear_row(y);
	n = u->log_n < (size_t)rows ? u->log_n : (size_t)rows;
	for (i = 0; i < n; i++) {
		idx = (u->log_next + UI_LOG_LINES - n + i) % UI_LOG_LINES;
		l = &u->log[idx];
		switch (l->kind) {
		case UI_L_WARN:
			a = ui_attr(u, UI_S_LOUD);
			break;
		case UI_L_ERROR:
			a = ui_attr(u, UI_S_ERROR);
			break;
		case UI_L_DIM:
			a = ui_attr(u, UI_S_DIM);
			break;
		default:
			a = A_NORMAL;
			break;
		}
		pen_at(&p, top + (int)i, 1, COLS);
		pen_s(&p, l->stamp, ui_attr(u, UI_S_DIM));
		pen_s(&p, " ", A_NORMAL);
		pen_safe(u, &p, l->text, a);
	}
}

/* ---- message and help bar ---- */

static void
draw_foot(struct ui *u, const struct cl_model *m)
{
	struct pen p;
	char kb[8];
	size_t i;
	int y = LINES - 1;

	if (LINES >= 3) {
		clear_row(LINES - 2);
		pen_at(&p, LINES - 2, 1, COLS);
		pen_safe(u, &p, u->msg, u->msg_err ?
		    ui_attr(u, UI_S_ERROR) : A_BOLD);
	}
	if (LINES < 2)
		return;
	clear_row(y);
	pen_at(&p, y, 0, COLS);
	for (i = 0; i < ui_nkeys; i++) {
		const struct ui_key *k = &ui_keys[i];

		if (k->label == NULL || !ui_key_applies(k, m->state))
			continue;
		pen_s(&p, " ", A_NORMAL);
		pen_s(&p, ui_key_name(k->key, kb), ui_attr(u, UI_S_KEY));
		pen_s(&p, " ", A_NORMAL);
		if (k->key == 'm' && m->muted)
			pen_s(&p, "unmute", A_NORMAL);
		else
			pen_s(&p, k->label, A_NORMAL);
		pen_s(&p, " ", A_NORMAL);
	}
}

/* ---- boxes ---- */

static int
overlay_of(const struct ui *u, const struct cl_model *m)
{
	switch (u->modal) {
	case UI_M_HELP:
		return OV_HELP;
	case UI_M_CODE:
		return OV_CODE;
	case UI_M_VERIFY:
		return OV_VERIFY;
	case UI_M_DEVICE:
		return OV_DEVICE;
	case UI_M_QUIT:
		return OV_QUIT;
	case UI_M_NONE:
		break;
	}
	if (m->state == CL_KEY_HELD ||
	    (m->state == CL_INCOMING && key_changed(m->peer_key)))
		return OV_KEYWARN;
	if (m->state == CL_INCOMING)
		return OV_RING;
	return OV_NONE;
}

struct box {
	int	y, x, h, w;
	attr_t	attr;
	int	row;		/* next content row, 0-based inside */
};

static void
box_open(struct ui *u, struct box *b, int h, int w, const char *title,
    attr_t attr)
{
	int y, top = LINES > 8 ? 2 : 0;
	struct pen p;

	if (w > COLS)
		w = COLS;
	if (h > LINES - top)
		h = LINES - top;
	b->h = h;
	b->w = w;
	b->x = (COLS - w) / 2;
	b->y = top + (LINES - top - h) / 2;
	if (b->y > 3 && LINES > 20)
		b->y = 3;
	b->attr = attr;
	b->row = 1;
	if (h < 2 || w < 4)
		return;
	for (y = b->y; y < b->y + h; y++) {
		pen_at(&p, y, b->x, b->x + w);
		pen_fill(&p, attr);
	}
	attrset(attr);
	if (u->ascii) {
		mvhline(b->y, b->x + 1, '-', w - 2);
		mvhline(b->y + h - 1, b->x + 1, '-', w - 2);
		mvvline(b->y + 1, b->x, '|', h - 2);
		mvvline(b->y + 1, b->x + w - 1, '|', h - 2);
		mvaddch(b->y, b->x, '+');
		mvaddch(b->y, b->x + w - 1, '+');
		mvaddch(b->y + h - 1, b->x, '+');
		mvaddch(b->y + h - 1, b->x + w - 1, '+');
	} else {
		mvhline(b->y, b->x + 1, ACS_HLINE, w - 2);
		mvhline(b->y + h - 1, b->x + 1, ACS_HLINE, w - 2);
		mvvline(b->y + 1, b->x, ACS_VLINE, h - 2);
		mvvline(b->y + 1, b->x + w - 1, ACS_VLINE, h - 2);
		mvaddch(b->y, b->x, ACS_ULCORNER);
		mvaddch(b->y, b->x + w - 1, ACS_URCORNER);
		mvaddch(b->y + h - 1, b->x, ACS_LLCORNER);
		mvaddch(b->y + h - 1, b->x + w - 1, ACS_LRCORNER);
	}
	attrset(A_NORMAL);
	if (title != NULL) {
		pen_at(&p, b->y, b->x + 2, b->x + w - 2);
		pen_f(&p, attr | A_BOLD, " %s ", title);
	}
}

/* A pen on the next content row of the box (off screen when full). */
static void
box_row(struct box *b, struct pen *p)
{
	int y = b->row < b->h - 1 ? b->y + b->row : -1;

	b->row++;
	pen_at(p, y, b->x + 2, b->x + b->w - 2);
}

static void
box_text(struct box *b, const char *s, attr_t attr)
{
	struct pen p;

	box_row(b, &p);
	pen_s(&p, s, b->attr | attr);
}

static void
draw_help(struct ui *u, const struct cl_model *m)
{
	struct box b;
	struct pen p;
	char kb[8];
	size_t i;

	box_open(u, &b, (int)ui_nkeys + 4, BOX_MAXW, "Keys",
	    ui_attr(u, UI_S_NORMAL));
	for (i = 0; i < ui_nkeys; i++) {
		const struct ui_key *k = &ui_keys[i];

		box_row(&b, &p);
		pen_f(&p, ui_key_applies(k, m->state) ?
		    ui_attr(u, UI_S_KEY) : A_DIM, "%-3s",
		    ui_key_name(k->key, kb));
		pen_s(&p, k->help, ui_key_applies(k, m->state) ?
		    A_NORMAL : A_DIM);
	}
	b.row++;
	box_text(&b, "Press any key to close.", ui_attr(u, UI_S_DIM));
}

static void
draw_code(struct ui *u, const struct cl_model *m)
{
	struct box b;
	struct pen p;
	int w;

	box_open(u, &b, 9, BOX_MAXW, "Security code", A_NORMAL);
	b.row++;
	box_row(&b, &p);
	if (m->code[0] == '\0') {
		pen_s(&p, "No security code yet: it appears when the",
		    A_NORMAL);
		box_text(&b, "end-to-end handshake is complete.", A_NORMAL);
	} else {
		w = (int)strlen(m->code);
		p.x = b.x + (b.w - w) / 2;
		pen_safe(u, &p, m->code, A_BOLD);
		b.row++;
		box_row(&b, &p);
		pen_s(&p, "Read these digits to ", A_NORMAL);
		pen_safe(u, &p, m->peer, A_BOLD);
		pen_s(&p, "; they must see the same code.", A_NORMAL);
		box_text(&b, "Then press v and type back the last five digits",
		    A_NORMAL);
		box_row(&b, &p);
		pen_s(&p, "that ", A_NORMAL);
		pen_safe(u, &p, m->peer, A_NORMAL);
		pen_s(&p, " reads to you.", A_NORMAL);
	}
	b.row = b.h - 2;
	box_text(&b, "v verify   any other key closes", ui_attr(u,
	    UI_S_DIM));
}

static void
draw_input(struct ui *u, struct pen *p, const char *s, int width, int focus)
{
	int n = (int)strlen(s), i;

	pen_s(p, "[", A_NORMAL);
	pen_safe(u, p, s, A_BOLD);
	for (i = n; i < width; i++)
		pen_s(p, i == n && focus ? "_" : " ", A_NORMAL);
	pen_s(p, "]", A_NORMAL);
}

static void
draw_verify(struct ui *u, const struct cl_model *m)
{
	struct box b;
	struct pen p;

	box_open(u, &b, 9, BOX_MAXW, "Verify", A_NORMAL);
	b.row++;
	box_row(&b, &p);
	pen_s(&p, "Ask ", A_NORMAL);
	pen_safe(u, &p, m->peer, A_BOLD);
	pen_s(&p, " to read the code on their screen aloud.", A_NORMAL);
	box_row(&b, &p);
	pen_s(&p, "Type the last five digits you hear: ", A_NORMAL);
	draw_input(u, &p, u->input, 5, 1);
	b.row++;
	box_row(&b, &p);
	if (u->msg_err) {
		pen_safe(u, &p, u->msg, ui_attr(u, UI_S_ERROR));
		box_text(&b, "Ask again. If the codes differ, do not trust "
		    "this call.", ui_attr(u, UI_S_ERROR));
	}
	b.row = b.h - 2;
	box_text(&b, "Enter check   Esc cancel", ui_attr(u, UI_S_DIM));
}

static void
draw_device(struct ui *u)
{
	struct box b;
	struct pen p;

	box_open(u, &b, 9, BOX_MAXW, "Switch audio device", A_NORMAL);
	b.row++;
	box_text(&b, "ALSA device names, e.g. default or plughw:1,0",
	    A_NORMAL);
	box_text(&b, "(e2call devices lists them); empty keeps the device.",
	    A_NORMAL);
	box_row(&b, &p);
	pen_s(&p, "Capture:  ", A_NORMAL);
	draw_input(u, &p, u->field == 0 ? u->input : u->capture, 40,
	    u->field == 0);
	box_row(&b, &p);
	pen_s(&p, "Playback: ", A_NORMAL);
	draw_input(u, &p, u->field == 1 ? u->input : "", 40, u->field == 1);
	b.row = b.h - 2;
	box_text(&b, "Enter next/switch   Esc cancel", ui_attr(u, UI_S_DIM));
}

static void
draw_quit(struct ui *u)
{
	struct box b;

	box_open(u, &b, 5, 48, "Quit", A_NORMAL);
	b.row++;
	box_text(&b, "Hang up and quit? (y/n)", A_BOLD);
}

static void
key_state_line(struct ui *u, struct box *b, const struct cl_model *m)
{
	struct pen p;

	box_row(b, &p);
	pen_s(&p, "key: ", b->attr);
	switch (m->peer_key) {
	case KEY_NEW:
		pen_s(&p, "new (first call with this key)", b->attr);
		break;
	case KEY_KNOWN:
		pen_s(&p, "known (same as before, not verified)", b->attr);
		break;
	case KEY_VERIFIED:
		pen_w(&p, u->ascii ? L"verified" : L"verified \u2713",
		    ui_attr(u, UI_S_LOCK));
		break;
	case KEY_CHANGED:
	case KEY_CHANGED_VERIFIED:
		pen_s(&p, "CHANGED", ui_attr(u, UI_S_LOUD));
		break;
	}
	if (m->peer_fp[0] != '\0') {
		box_row(b, &p);
		pen_s(&p, "     ", b->attr);
		pen_safe(u, &p, m->peer_fp, b->attr);
	}
	if (m->known_as[0] != '\0') {
		box_row(b, &p);
		pen_s(&p, "     this key is ", b->attr);
		pen_safe(u, &p, m->known_as, b->attr);
	}
}

static void
draw_ring(struct ui *u, const struct cl_model *m)
{
	struct box b;
	struct pen p;

	box_open(u, &b, 8, 56, u->ticks % 2 ? "INCOMING CALL" :
	    "Incoming call", ui_attr(u, UI_S_BAR));
	b.row++;
	box_row(&b, &p);
	pen_safe(u, &p, m->peer, b.attr | A_BOLD);
	pen_s(&p, " is calling", b.attr);
	key_state_line(u, &b, m);
	b.row = b.h - 2;
	box_text(&b, "a answer   r reject", A_BOLD);
}

static void
draw_keywarn(struct ui *u, const struct cl_model *m)
{
	attr_t loud = ui_attr(u, UI_S_LOUD);
	struct box b;
	struct pen p;
	int incoming = m->state == CL_INCOMING || !m->outgoing;

	box_open(u, &b, 12, BOX_MAXW, m->peer_moved ?
	    "KEY CHANGED, SIGNED BY THE OLD KEY" : "WARNING: KEY CHANGED",
	    loud);
	b.row++;
	box_row(&b, &p);
	pen_s(&p, "The key of ", loud);
	pen_safe(u, &p, m->peer, loud);
	pen_s(&p, " is not the one you saw before", loud);
	if (m->peer_key == KEY_CHANGED_VERIFIED)
		pen_s(&p, " and verified", loud);
	pen_s(&p, ".", loud);
	if (m->peer_moved) {
		box_row(&b, &p);
		pen_s(&p, "The old key signed the move to the new one", loud);
		if (m->peer_key == KEY_CHANGED_VERIFIED)
			pen_s(&p, ": accepting keeps it verified", loud);
		pen_s(&p, ".", loud);
	}
	box_row(&b, &p);
	pen_s(&p, "old: ", loud);
	pen_safe(u, &p, m->old_fp[0] != '\0' ? m->old_fp : "?", loud);
	box_row(&b, &p);
	pen_s(&p, "new: ", loud);
	pen_safe(u, &p, m->peer_fp[0] != '\0' ? m->peer_fp : "?", loud);
	box_row(&b, &p);
	if (!m->peer_moved) {
		pen_s(&p, "Someone may be in the middle, or ", loud);
		pen_safe(u, &p, m->peer, loud);
		pen_s(&p, " has a new device.", loud);
	}
	box_text(&b, incoming ?
	    "Answering accepts the new key: compare the security code" :
	    "Going on accepts the new key: compare the security code",
	    0);
	box_text(&b, "before you trust the call.", 0);
	b.row = b.h - 2;
	box_text(&b, incoming ? "a accept and answer   r reject" :
	    "a accept and go on   h hang up", 0);
}

/* ---- the whole screen ---- */

void
ui_draw(struct ui *u)
{
	const struct cl_model *m = ui_model(u);
	int ov = overlay_of(u, m);

	if (ov != u->overlay_id) {
		u->dirty |= UI_D_ALL;
		u->overlay_id = ov;
	}
	if (u->dirty & UI_D_STATUS)
		draw_status(u, m);
	if (u->dirty & UI_D_INFO)
		draw_info(u, m);
	if (u->dirty & UI_D_LOG)
		draw_log(u);
	if (u->dirty & UI_D_FOOT)
		draw_foot(u, m);
	switch (ov) {
	case OV_HELP:
		draw_help(u, m);
		break;
	case OV_CODE:
		draw_code(u, m);
		break;
	case OV_VERIFY:
		draw_verify(u, m);
		break;
	case OV_DEVICE:
		draw_device(u);
		break;
	case OV_QUIT:
		draw_quit(u);
		break;
	case OV_RING:
		draw_ring(u, m);
		break;
	case OV_KEYWARN:
		draw_keywarn(u, m);
		break;
	default:
		break;
	}
	wnoutrefresh(stdscr);
	doupdate();
}

/* ---- log and message ---- */

/* Bounded copy that does not cut a UTF-8 sequence in two. */
static void
copy_text(char *dst, size_t cap, const char *src)
{
	size_t n = strlen(src);

	if (n >= cap) {
		n = cap - 1;
		while (n > 0 && ((unsigned char)src[n] & 0xc0) == 0x80)
			n--;
	}
	memcpy(dst, src, n);
	dst[n] = '\0';
}

void
ui_log(struct ui *u, enum ui_line_kind kind, const char *fmt, ...)
{
	char buf[UI_LOG_TEXT * 2];
	struct ui_line *l;
	struct tm tm;
	time_t now = time(NULL);
	va_list ap;
	char *s, *nl;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	for (s = buf; s != NULL; s = nl) {
		if ((nl = strchr(s, '\n')) != NULL)
			*nl++ = '\0';
		if (*s == '\0' && nl == NULL && s != buf)
			break;
		l = &u->log[u->log_next];
		l->kind = kind;
		if (localtime_r(&now, &tm) == NULL ||
		    strftime(l->stamp, sizeof(l->stamp), "%H:%M:%S", &tm) == 0)
			snprintf(l->stamp, sizeof(l->stamp), "--:--:--");
		copy_text(l->text, sizeof(l->text), s);
		u->log_next = (u->log_next + 1) % UI_LOG_LINES;
		if (u->log_n < UI_LOG_LINES)
			u->log_n++;
	}
	u->dirty |= UI_D_LOG;
}

void
ui_message(struct ui *u, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(u->msg, sizeof(u->msg), fmt, ap);
	va_end(ap);
	u->msg_err = err;
	u->dirty |= UI_D_FOOT | UI_D_OVERLAY;
}
