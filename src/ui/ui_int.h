/*
 * ui_int.h - what ui.c, ui_draw.c and ui_keys.c share: struct ui, the key
 * table and the drawing entry points.  Not for use outside src/ui (and
 * tests/ui_driver.c).
 */
#ifndef E2_UI_INT_H
#define E2_UI_INT_H

#include <stddef.h>
#include <stdint.h>
#include <wchar.h>

#include <curses.h>
#include <uv.h>

#include "client.h"

#define UI_LOG_LINES	200	/* event pane history */
#define UI_LOG_TEXT	256	/* bytes kept of one event line */
#define UI_INPUT_MAX	63	/* bytes of a prompt's input */
#define UI_MSG_MAX	200

/* Dirty regions; UI_D_ALL also clears the screen before drawing. */
#define UI_D_STATUS	0x01u
#define UI_D_INFO	0x02u
#define UI_D_LOG	0x04u
#define UI_D_FOOT	0x08u
#define UI_D_OVERLAY	0x10u
#define UI_D_ALL	0x1fu

enum ui_modal {
	UI_M_NONE,
	UI_M_HELP,	/* the key table with help texts */
	UI_M_CODE,	/* the security code */
	UI_M_VERIFY,	/* typing back the last group */
	UI_M_DEVICE,	/* two prompts: capture, playback */
	UI_M_QUIT,	/* quit during a call? */
};

enum ui_style {
	UI_S_NORMAL,
	UI_S_BAR,	/* status bar background */
	UI_S_LOCK,	/* the lock, "verified" */
	UI_S_LOUD,	/* changed key: reverse and bold */
	UI_S_BAR_LOUD,	/* the same on the status bar */
	UI_S_ERROR,
	UI_S_DIM,
	UI_S_KEY,	/* a key's letter in the help bar */
	UI_S_TITLE,
	UI_S_METER,
	UI_S_NSTYLES
};

enum ui_line_kind {
	UI_L_INFO,
	UI_L_WARN,	/* key warnings: drawn loud */
	UI_L_ERROR,
	UI_L_DIM,	/* debug */
};

struct ui_line {
	enum ui_line_kind kind;
	char		 stamp[9];		/* HH:MM:SS */
	char		 text[UI_LOG_TEXT];	/* raw; filtered when drawn */
};

struct ui {
	int		 active;	/* between ui_new and ui_free */
	uv_loop_t	*loop;
	struct client	*cl;
	SCREEN		*scr;
	int		 ascii;		/* ASCII glyphs only */
	int		 color;		/* colors in use (not NO_COLOR) */
	int		 down;		/* terminal restored: draw no more */
	int		 quitting;	/* client_quit asked (or to ask) */

	uv_poll_t	 kbd;
	uv_signal_t	 sig[4];	/* WINCH, INT, TERM, HUP */
	uv_prepare_t	 redraw;
	uv_timer_t	 tick;
	int		 nopen;		/* handles whose close cb is due */
	int		 kbd_on;
	unsigned	 kbd_empty;	/* readable but no key: stdin gone? */

	unsigned	 dirty;		/* UI_D_* */
	int		 overlay_id;	/* what overlay was drawn last */
	unsigned	 ticks;		/* seconds of the 1 s timer */
	uint64_t	 ended_ms;	/* loop time the call ended */

	enum ui_modal	 modal;
	char		 input[UI_INPUT_MAX + 1];
	size_t		 inlen;
	char		 capture[UI_INPUT_MAX + 1];	/* device prompt */
	int		 field;		/* device prompt: 0 capture, 1 playback */

	char		 msg[UI_MSG_MAX];
	int		 msg_err;
	char		 summary[1024];		/* printed by ui_free */
	char		 last_path[96];		/* last media path logged */

	struct ui_line	 log[UI_LOG_LINES];
	size_t		 log_next;	/* slot for the next line */
	size_t		 log_n;		/* lines held */
};

struct ui_key {
	int		 key;
	const char	*label;		/* help bar; NULL: help box only */
	const char	*help;		/* help box */
	unsigned	 states;	/* bit (1u << enum cl_state); 0: always */
	void		(*fn)(struct ui *u);
};

/* ui_keys.c */
extern const struct ui_key ui_keys[];
extern const size_t ui_nkeys;
void	ui_key(struct ui *u, int ch);
const char *ui_key_name(int key, char buf[8]);
int	ui_key_applies(const struct ui_key *k, enum cl_state state);

/* ui_draw.c */
void	ui_draw(struct ui *u);
const char *ui_state_words(const struct cl_model *m, char *buf, size_t cap);
void	ui_log(struct ui *u, enum ui_line_kind kind, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
void	ui_message(struct ui *u, int err, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/*
 * The safe form of a string from outside for the screen: decodes UTF-8
 * strictly and writes at most outcap - 1 wide characters (NUL-terminated)
 * filling at most maxcols columns.  Every control character (C0, DEL,
 * C1), invalid or overlong UTF-8, bidi and zero-width format character,
 * character of zero or unknown width and the glyphs the screen uses for
 * security (locks, check marks) becomes '?'; with utf8 == 0 so does every
 * non-ASCII character.  Returns the columns used.
 */
int	ui_safe_text(const char *in, int utf8, wchar_t *out, size_t outcap,
	    int maxcols);
/* Draws a string from outside through ui_safe_text; returns columns. */
int	ui_put_safe(struct ui *u, int y, int x, int maxcols, const char *s,
	    attr_t attr);
attr_t	ui_attr(const struct ui *u, enum ui_style st);

/* ui.c */
const struct cl_model *ui_model(const struct ui *u);
uint64_t ui_now(const struct ui *u);
void	ui_request_quit(struct ui *u);

#endif
