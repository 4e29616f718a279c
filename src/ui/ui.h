/*
 * ui.h - the full-screen call screen (ncursesw): a view of the call model
 * of client.h.  It draws struct cl_model and turns keys into client_*
 * commands; it owns no call state.
 *
 * Use:
 *
 *	ui_new(&u, loop, ascii, err, sizeof(err));
 *	client_new(&cl, loop, &opts, &ui_view_ops, u, err, sizeof(err));
 *	ui_attach(u, cl);
 *	uv_run(loop, UV_RUN_DEFAULT);
 *	ui_free(u);
 *
 * Every handle of the UI (stdin poll, signals, redraw hook, timer) is
 * unreferenced: the UI never keeps the loop alive, the client does.  One
 * UI per process.
 */
#ifndef E2_UI_H
#define E2_UI_H

#include <stddef.h>
#include <uv.h>

#include "client.h"

struct ui;

/*
 * Takes over the terminal (stdin and stdout must be a terminal): curses
 * mode, keyboard on a uv_poll_t, SIGWINCH/SIGINT/SIGTERM/SIGHUP on
 * uv_signal_t, fatal-signal and atexit restoration of the terminal, and
 * log_set_sink() so log lines go to the event pane.  ascii forces the
 * ASCII form of every glyph ("[E2EE]" for the lock), as does a locale
 * whose codeset is not UTF-8.  Returns 0, or E2_ERR_STATE (a UI exists
 * already), E2_ERR_IO (no terminal, unknown TERM: err says why),
 * E2_ERR_NOMEM.
 */
int	ui_new(struct ui **up, uv_loop_t *loop, int ascii, char *err,
	    size_t errlen);
/* The client to draw and to command (may come after client_new). */
void	ui_attach(struct ui *u, struct client *cl);
/* Pass with the struct ui * as view_arg to client_new. */
extern const struct view_ops ui_view_ops;
/*
 * Restores the terminal, stops logging to the screen and closes the UI's
 * handles (running the loop without blocking until their close callbacks
 * ran); call it before uv_loop_close().  Then, as the screen is gone,
 * it prints one line on stderr saying how the last call ended (or the
 * last error), if there was one.  The UI lives in static storage
 * (curses is one per process anyway), so a second call, or NULL, does
 * nothing, and ui_new may be called again afterwards.
 */
void	ui_free(struct ui *u);

#endif
