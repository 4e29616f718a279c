/*
 * ui_keys.c - keys to commands.  ui_keys[] is the one table: the help bar,
 * the help box and the dispatch all read it.  Boxes that take input
 * (verify, device, quit) get the keys first.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "ui_int.h"

#define KEY_CTRL(c)	((c) & 0x1f)
#define KEY_ESC		27

#define S(st)		(1u << (st))
#define S_RINGING	(S(CL_INCOMING) | S(CL_KEY_HELD))
#define S_MEDIA		(S(CL_CONNECTING_MEDIA) | S(CL_IN_CALL) | \
			 S(CL_ON_HOLD))
#define S_CALL		(S(CL_DIALING) | S(CL_RINGING_OUT) | S_RINGING | \
			 S_MEDIA)

static void	key_answer(struct ui *);
static void	key_reject(struct ui *);
static void	key_mute(struct ui *);
static void	key_hangup(struct ui *);
static void	key_code(struct ui *);
static void	key_verify(struct ui *);
static void	key_device(struct ui *);
static void	key_help(struct ui *);
static void	key_quit(struct ui *);
static void	key_redraw(struct ui *);

const struct ui_key ui_keys[] = {
	{ 'a', "answer",
	  "answer the call (after a key warning: accept the new key)",
	  S_RINGING, key_answer },
	{ 'r', "reject", "reject the incoming call", S_RINGING, key_reject },
	{ 'm', "mute", "mute or unmute the microphone",
	  S(CL_DIALING) | S(CL_RINGING_OUT) | S_MEDIA, key_mute },
	{ 'h', "hang up", "end the call, or stop calling",
	  S(CL_DIALING) | S(CL_RINGING_OUT) | S(CL_KEY_HELD) | S_MEDIA,
	  key_hangup },
	{ 'c', "code", "show the security code to read to the peer",
	  S_MEDIA, key_code },
	{ 'v', "verify",
	  "verify: type back the last five digits the peer reads",
	  S_MEDIA, key_verify },
	{ 'd', "device", "switch ALSA capture and playback devices",
	  S_MEDIA, key_device },
	{ '?', "help", "show this help", 0, key_help },
	{ 'q', "quit", "quit (asks first during a call)", 0, key_quit },
	{ KEY_CTRL('L'), NULL, "redraw the screen", 0, key_redraw },
};
const size_t ui_nkeys = sizeof(ui_keys) / sizeof(ui_keys[0]);

const char *
ui_key_name(int key, char buf[8])
{
	if (key >= 0 && key < 0x20)
		snprintf(buf, 8, "^%c", key + '@');
	else if (key > 0x20 && key < 0x7f)
		snprintf(buf, 8, "%c", key);
	else
		snprintf(buf, 8, "#%d", key & 0xffff);
	return buf;
}

int
ui_key_applies(const struct ui_key *k, enum cl_state state)
{
	return k->states == 0 || (k->states & S(state)) != 0;
}

static int
have_client(struct ui *u)
{
	if (u->cl != NULL)
		return 1;
	ui_message(u, 1, "not connected yet");
	return 0;
}

/* ---- the commands ---- */

static void
key_answer(struct ui *u)
{
	if (!have_client(u))
		return;
	if (client_answer(u->cl) < 0)
		ui_message(u, 1, "no call to answer");
}

static void
key_reject(struct ui *u)
{
	if (!have_client(u))
		return;
	if (client_reject(u->cl) == 0)
		return;
	/* A held key on my own call: "reject" means not going on. */
	if (ui_model(u)->state == CL_KEY_HELD && client_hangup(u->cl) == 0)
		return;
	ui_message(u, 1, "no call to reject");
}

static void
key_mute(struct ui *u)
{
	int muted = !ui_model(u)->muted;

	if (!have_client(u))
		return;
	if (client_set_mute(u->cl, muted) < 0)
		ui_message(u, 1, "no call to mute");
	else
		ui_message(u, 0, "%s", muted ? "microphone muted" :
		    "microphone on");
}

static void
key_hangup(struct ui *u)
{
	if (!have_client(u))
		return;
	if (client_hangup(u->cl) < 0)
		ui_message(u, 1, "no call to hang up");
}

static void
key_code(struct ui *u)
{
	u->modal = UI_M_CODE;
}

static void
key_verify(struct ui *u)
{
	const struct cl_model *m = ui_model(u);

	if (strlen(m->code) != SECCODE_LEN) {
		ui_message(u, 1, "no security code yet: nothing to verify");
		return;
	}
	u->modal = UI_M_VERIFY;
	u->input[0] = '\0';
	u->inlen = 0;
}

static void
key_device(struct ui *u)
{
	u->modal = UI_M_DEVICE;
	u->field = 0;
	u->input[0] = '\0';
	u->inlen = 0;
	u->capture[0] = '\0';
}

static void
key_help(struct ui *u)
{
	u->modal = UI_M_HELP;
}

static void
key_quit(struct ui *u)
{
	if (S_CALL & S(ui_model(u)->state))
		u->modal = UI_M_QUIT;
	else
		ui_request_quit(u);
}

static void
key_redraw(struct ui *u)
{
	clearok(curscr, TRUE);
	u->dirty = UI_D_ALL;
}

/* ---- boxes that take input ---- */

static int
is_backspace(int ch)
{
	return ch == KEY_BACKSPACE || ch == 127 || ch == KEY_CTRL('H');
}

static int
is_enter(int ch)
{
	return ch == '\r' || ch == '\n' || ch == KEY_ENTER;
}

/* Edits u->input; returns 1 when the key was an edit. */
static int
edit_input(struct ui *u, int ch, int digits_only, size_t max)
{
	if (is_backspace(ch)) {
		if (u->inlen > 0)
			u->input[--u->inlen] = '\0';
		return 1;
	}
	if (ch == KEY_CTRL('U')) {
		u->inlen = 0;
		u->input[0] = '\0';
		return 1;
	}
	if (ch < 0x20 || ch >= 0x7f)
		return 0;
	if (digits_only && !isdigit(ch))
		return 1;	/* ignored */
	if (u->inlen < max && u->inlen < UI_INPUT_MAX) {
		u->input[u->inlen++] = (char)ch;
		u->input[u->inlen] = '\0';
	}
	return 1;
}

static void
verify_submit(struct ui *u)
{
	const struct cl_model *m = ui_model(u);
	const char *last;
	int rc;

	if (strlen(m->code) != SECCODE_LEN) {
		u->modal = UI_M_NONE;
		ui_message(u, 1, "no security code: nothing to verify");
		return;
	}
	if (u->inlen != 5) {
		ui_message(u, 1, "type all five digits");
		return;
	}
	last = m->code + SECCODE_LEN - 5;
	if (memcmp(u->input, last, 5) != 0) {
		ui_message(u, 1, "%s does not match the last group of your "
		    "code", u->input);
		ui_log(u, UI_L_ERROR, "verification refused: %s does not "
		    "match the last group of the code", u->input);
		u->inlen = 0;
		u->input[0] = '\0';
		return;
	}
	u->modal = UI_M_NONE;
	if (!have_client(u))
		return;
	if ((rc = client_mark_verified(u->cl)) < 0) {
		ui_message(u, 1, "could not mark verified: %s",
		    e2_strerror(rc));
		return;
	}
	ui_message(u, 0, "codes match: %s is verified", m->peer);
}

static void
device_submit(struct ui *u)
{
	char err[256] = "";
	const char *cap, *play;
	int rc;

	if (u->field == 0) {
		snprintf(u->capture, sizeof(u->capture), "%s", u->input);
		u->field = 1;
		u->inlen = 0;
		u->input[0] = '\0';
		return;
	}
	u->modal = UI_M_NONE;
	cap = u->capture[0] != '\0' ? u->capture : NULL;
	play = u->input[0] != '\0' ? u->input : NULL;
	if (cap == NULL && play == NULL) {
		ui_message(u, 0, "devices unchanged");
		return;
	}
	if (!have_client(u))
		return;
	rc = client_switch_audio(u->cl, cap, play, err, sizeof(err));
	if (rc < 0) {
		ui_message(u, 1, "switching devices failed: %s",
		    err[0] != '\0' ? err : e2_strerror(rc));
		ui_log(u, UI_L_ERROR, "switching devices failed: %s",
		    err[0] != '\0' ? err : e2_strerror(rc));
		return;
	}
	ui_message(u, 0, "audio: capture %s, playback %s",
	    cap != NULL ? cap : "unchanged", play != NULL ? play : "unchanged");
	ui_log(u, UI_L_INFO, "audio devices: capture %s, playback %s",
	    cap != NULL ? cap : "unchanged", play != NULL ? play : "unchanged");
}

/* Returns 1 when the open box used the key. */
static int
modal_key(struct ui *u, int ch)
{
	switch (u->modal) {
	case UI_M_NONE:
		return 0;
	case UI_M_HELP:
	case UI_M_CODE:
		/*
		 * Boxes that only show: the key that closes them counts
		 * as a command too (so 'a' on a ring answers at once),
		 * except the ones that mean "close".
		 */
		u->modal = UI_M_NONE;
		return ch == KEY_ESC || ch == ' ' || is_enter(ch) ||
		    ch == 'c' || ch == '?';
	case UI_M_VERIFY:
		if (ch == KEY_ESC) {
			u->modal = UI_M_NONE;
			ui_message(u, 0, "verification cancelled");
		} else if (is_enter(ch)) {
			verify_submit(u);
		} else {
			edit_input(u, ch, 1, 5);
		}
		return 1;
	case UI_M_DEVICE:
		if (ch == KEY_ESC) {
			u->modal = UI_M_NONE;
			ui_message(u, 0, "devices unchanged");
		} else if (is_enter(ch)) {
			device_submit(u);
		} else {
			edit_input(u, ch, 0, UI_INPUT_MAX);
		}
		return 1;
	case UI_M_QUIT:
		u->modal = UI_M_NONE;
		if (ch == 'y' || ch == 'Y')
			ui_request_quit(u);
		return 1;
	}
	return 0;
}

void
ui_key(struct ui *u, int ch)
{
	size_t i;
	int k = ch;

	u->dirty |= UI_D_FOOT | UI_D_OVERLAY;
	if (u->modal != UI_M_VERIFY)
		u->msg[0] = '\0';
	if (modal_key(u, ch))
		return;
	if (k >= 'A' && k <= 'Z')
		k = tolower(k);
	for (i = 0; i < ui_nkeys; i++) {
		if (ui_keys[i].key == k) {
			ui_keys[i].fn(u);
			return;
		}
	}
	if (ch != KEY_ESC && ch != KEY_RESIZE)
		ui_message(u, 0, "press ? for the keys");
}
