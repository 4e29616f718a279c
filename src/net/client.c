/*
 * client.c - one e2call client on the loop; see client.h.
 *
 * Glue only: the call logic is in src/core/call.c, the media in media.c,
 * the channel in nconn.c, keys and pins in client_keys.c.  This file
 * turns call actions into I/O and model updates.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "call.h"
#include "client.h"
#include "client_int.h"
#include "e2call.h"
#include "err.h"
#include "frame.h"
#include "keyfile.h"
#include "log.h"
#include "media.h"
#include "nconn.h"
#include "netaddr.h"

static void	process_call(struct client *cl);
static void	sig_connect(struct client *cl);
static void	setup_call_cands(struct client *cl);

static char *
dpeer_name(struct client *cl, struct nconn *c)
{
	size_t i;

	for (i = 0; i < DIRECT_MAX_PEERS; i++)
		if (cl->dpeer[i].c == c)
			return cl->dpeer[i].name;
	return NULL;
}

/* ---- view notifications ---- */

void
cl_changed(struct client *cl)
{
	if (cl->view != NULL && cl->view->changed != NULL)
		cl->view->changed(cl->view_arg);
}

void
cl_event(struct client *cl, enum cl_event_kind kind, const char *text)
{
	struct cl_event ev = { kind, text };

	if (cl->view != NULL && cl->view->event != NULL)
		cl->view->event(cl->view_arg, &ev);
	cl_changed(cl);
}

void
cl_logev(struct client *cl, const char *fmt, ...)
{
	char line[300];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	cl_event(cl, CL_EV_LOG, line);
}

uint64_t
cl_now_ms(struct client *cl)
{
	return uv_now(cl->loop);
}

/* ---- the call ---- */

static void
end_media(struct client *cl)
{
	if (cl->media != NULL) {
		media_free(cl->media);
		cl->media = NULL;
	}
	cl->model.e2ee = 0;
}

static void
media_event_cb(void *arg, enum media_event ev, const char *text)
{
	struct client *cl = arg;

	switch (ev) {
	case MEDIA_EV_PATH:
		snprintf(cl->model.path, sizeof(cl->model.path), "%s",
		    text != NULL ? text : "?");
		snprintf(cl->model.path_kind, sizeof(cl->model.path_kind),
		    "%s", media_path_kind(cl->media));
		media_get_stats(cl->media, &cl->model.stats);
		if (cl->model.state == CL_CONNECTING_MEDIA ||
		    cl->model.state == CL_ON_HOLD)
			cl->model.state = CL_IN_CALL;
		cl_event(cl, CL_EV_MEDIA, text);
		break;
	case MEDIA_EV_QUIET:
		if (cl->model.state == CL_IN_CALL) {
			cl->model.state = CL_ON_HOLD;
			cl_event(cl, CL_EV_HOLD, "no audio from the peer");
		}
		break;
	case MEDIA_EV_RESUMED:
		if (cl->model.state == CL_ON_HOLD) {
			cl->model.state = CL_IN_CALL;
			cl_event(cl, CL_EV_HOLD, "audio resumed");
		}
		break;
	case MEDIA_EV_DEAD:
		if (cl->call != NULL) {
			call_hangup(cl->call, SIG_R_MEDIA);
			process_call(cl);
		}
		break;
	case MEDIA_EV_BYE:
		/*
		 * The signaling HANGUP says why; if it never comes (the
		 * server went away mid-call), the call ends here soon.
		 */
		cl_logev(cl, "peer closed the media stream");
		if (cl->bye_at_ms == 0)
			cl->bye_at_ms = cl_now_ms(cl) + BYE_GRACE_MS;
		break;
	case MEDIA_EV_GATHERED:
		if (cl->call != NULL) {
			setup_call_cands(cl);
			process_call(cl);
		}
		break;
	case MEDIA_EV_GAP:
		cl_logev(cl, "audio resumed after a %s ms gap (path %s)",
		    text != NULL ? text : "?", cl->model.path);
		break;
	case MEDIA_EV_NOTE:
		cl_logev(cl, "%s", text != NULL ? text : "");
		break;
	case MEDIA_EV_LOST:
		cl_logev(cl, "%s", text != NULL ? text : "");
		/*
		 * My address may have changed: a PING now finds out whether
		 * the signaling connection went with it (a reset makes it
		 * reconnect) instead of at the next keepalive.
		 */
		if (cl->sig != NULL && cl->registered) {
			struct sigmsg m;

			sigmsg_init(&m, SIG_PING);
			cl_send_on(cl, cl->sig, &m);
			cl->last_ping_ms = cl_now_ms(cl);
		}
		break;
	case MEDIA_EV_PLAY_EOF:
		if (cl->o.hangup_on_eof && cl->eof_at_ms == 0)
			cl->eof_at_ms = cl_now_ms(cl) + EOF_TAIL_MS;
		break;
	case MEDIA_EV_ERROR:
		cl_event(cl, CL_EV_ERROR, text);
		break;
	case MEDIA_EV_AUDIO_NOTE:
		snprintf(cl->model.audio_note, sizeof(cl->model.audio_note),
		    "%s", text);
		cl_event(cl, CL_EV_ERROR, text);
		break;
	case MEDIA_EV_AUDIO_CLOCK:
		media_audio_clock(cl->media, &cl->model.capture_start_ns,
		    &cl->model.playback_start_ns);
		cl_event(cl, CL_EV_AUDIO_CLOCK, NULL);
		break;
	}
}

static int
new_media(struct client *cl, char *err, size_t errlen)
{
	struct sockaddr_storage local, *lp = NULL;
	struct media_opts mo;

	memset(&mo, 0, sizeof(mo));
	mo.audio.backend = cl->o.audio;
	mo.audio.capture_dev = cl->o.capture_dev;
	mo.audio.playback_dev = cl->o.playback_dev;
	mo.audio.play_file = cl->o.play_file;
	mo.audio.record_file = cl->o.record_file;
	mo.audio.frame_ms = cl->o.frame_ms;
	mo.codec.frame_ms = cl->o.frame_ms;
	mo.codec.bitrate = cl->o.bitrate;
	mo.codec.vbr = cl->o.vbr;
	mo.codec.dtx = cl->o.dtx;
	mo.codec.complexity = (int)cl->o.complexity;	/* 0: the default, 9 */
	mo.echo = cl->o.echo;
	mo.dump_opus = cl->o.dump_opus;
	mo.advertise = cl->o.advertise;
	mo.stun = cl->have_stun ? (struct sockaddr *)&cl->stun_addr : NULL;
	mo.relay_only = cl->o.relay_only;
	/* Through a server, a relay leg is asked for every call. */
	mo.expect_relay = !cl->o.direct && !cl->o.direct_listen;
	mo.echo_delay_ms = 700;
	mo.event_cb = media_event_cb;
	mo.arg = cl;
	if (cl->call_conn != NULL &&
	    nconn_local_addr(cl->call_conn, &local) == 0)
		lp = &local;
	return media_new(&cl->media, cl->loop, &mo, (struct sockaddr *)lp,
	    err, errlen);
}

static void
start_media(struct client *cl)
{
	struct call *c = cl->call;
	uint8_t *keys;
	char err[300];
	int r;

	if ((keys = sodium_malloc(64)) == NULL ||
	    call_media_keys(c, keys, keys + 32) != 0) {
		sodium_free(keys);
		call_hangup(c, SIG_R_MEDIA);
		return;
	}
	r = media_start(cl->media, keys, keys + 32, c->peer_cand,
	    c->npeer_cand, err, sizeof(err));
	sodium_free(keys);
	if (r != 0) {
		cl_event(cl, CL_EV_ERROR, err);
		call_hangup(c, SIG_R_MEDIA);
		return;
	}
	/* The lock: our handshake completed and media keys are in place. */
	cl->model.e2ee = 1;
	cl->model.state = CL_CONNECTING_MEDIA;
	cl->model.call_start_ms = cl_now_ms(cl);
	cl->last_stats_ev_ms = cl->model.call_start_ms;
	cl->model.stats = (struct cl_stats){ 0 };
	cl->eof_at_ms = 0;
	ckey_pin_peer(cl);
	cl_event(cl, CL_EV_ANSWERED, NULL);
}

static void
call_ended(struct client *cl)
{
	struct call *c = cl->call;

	/* The final figures are the ones of this moment, not the last tick. */
	uv_update_time(cl->loop);
	cl->model.now_ms = cl_now_ms(cl);
	if (cl->media != NULL)
		media_get_stats(cl->media, &cl->model.stats);
	end_media(cl);
	cl->model.state = CL_ENDED;
	cl->model.end_reason = c->end_reason;
	cl->model.ended_by_peer = c->ended_by_peer;
	cl->model.end_by = c->end_source == CALL_END_PEER ? CL_END_PEER :
	    c->end_source == CALL_END_UNAUTH ? CL_END_SERVER : CL_END_LOCAL;
	if (c->end_reason == SIG_R_KEY_CHANGED && c->ended_by_peer)
		ckey_note_peer_refused(cl);
	cl->calls_done++;
	cl_event(cl, CL_EV_ENDED, NULL);
}

void
cl_send_on(struct client *cl, struct nconn *conn, const struct sigmsg *m)
{
	int r;

	if (conn == NULL || !nconn_is_open(conn)) {
		log_debug("cannot send %s: not connected",
		    sigmsg_type_name(m->type));
		return;
	}
	if ((r = nconn_send_sig(conn, m)) != 0)
		log_warn("cannot send %s: %s", sigmsg_type_name(m->type),
		    e2_strerror(r));
}

static void
send_call_msg(struct client *cl, const struct sigmsg *m)
{
	cl_send_on(cl, cl->call_conn, m);
}

/* A relay leg for the call, from the server (never in direct mode). */
static void
request_relay(struct client *cl)
{
	struct sigmsg m;

	if (cl->call == NULL || cl->call->state == CALL_S_ENDED ||
	    cl->o.direct || cl->o.direct_listen)
		return;
	sigmsg_init(&m, SIG_RELAY_REQUEST);
	sigmsg_set_call(&m, cl->call->id);
	cl_send_on(cl, cl->call_conn, &m);
}

/* RELAY_GRANT: the leg, or why not. */
static void
on_relay_grant(struct client *cl, struct sigmsg *m)
{
	char text[SIG_TEXT_MAX + 1];

	if (cl->call == NULL || m->call != cl->call->id || cl->media == NULL)
		return;
	if (SIG_HAS(m, SIG_T_REASON)) {
		sanitize_str(m->text, text, sizeof(text));
		cl_logev(cl, "no relay for this call: %s%s%s",
		    sig_reason_name(m->reason), text[0] ? ": " : "", text);
		media_no_relay(cl->media);
		return;
	}
	media_set_relay(cl->media, &m->cand[0], m->relay_leg, m->relay_key);
	sodium_memzero(m->relay_key, sizeof(m->relay_key));
}

static void
process_call(struct client *cl)
{
	const struct call_action *a;
	struct call *c = cl->call;
	int ended = 0;

	if (c == NULL)
		return;
	while ((a = call_next_action(c)) != NULL) {
		switch (a->kind) {
		case CALL_A_SEND:
			send_call_msg(cl, &a->msg);
			break;
		case CALL_A_KEY_CHECK:
			ckey_check(cl);
			break;
		case CALL_A_CODE:
			memcpy(cl->model.code, c->code, sizeof(cl->model.code));
			cl_event(cl, CL_EV_SECURITY_CODE, c->code);
			break;
		case CALL_A_RINGING:
			cl->model.state = CL_RINGING_OUT;
			cl_event(cl, CL_EV_RINGING, NULL);
			break;
		case CALL_A_KEY_HELD:
			cl->model.state = CL_KEY_HELD;
			cl_changed(cl);
			if (c->role == CALL_CALLER && cl->o.batch &&
			    !cl->o.accept_changed_key) {
				ckey_note_refused(cl);
				call_hangup(c, SIG_R_KEY_CHANGED);
			}
			break;
		case CALL_A_RING:
			cl->model.state = ckey_to_decide(&cl->model) ?
			    CL_KEY_HELD : CL_INCOMING;
			cl_event(cl, CL_EV_INCOMING, NULL);
			/* A changed key: a person decides in the call screen;
			   batch mode and auto-answer refuse it unless told. */
			if (ckey_to_decide(&cl->model) &&
			    !cl->o.accept_changed_key && (cl->o.batch ||
			    cl->o.auto_answer || cl->auto_answer_this)) {
				ckey_note_refused(cl);
				call_hangup(c, SIG_R_KEY_CHANGED);
				break;
			}
			if (cl->o.auto_answer || cl->auto_answer_this)
				call_answer(c);
			break;
		case CALL_A_ACTIVE:
			start_media(cl);
			break;
		case CALL_A_ENDED:
			ended = 1;
			break;
		}
	}
	if (!ended)
		return;
	if (c->overflow)
		log_warn("call %016llx: action queue overflow",
		    (unsigned long long)c->id);
	if (c->abandoned) {
		/* It saw my message 2 and went away before message 3. */
		call_guard_note(&cl->guard, cl_now_ms(cl));
		cl_logev(cl, "a call from %s was abandoned before it could "
		    "ring", cl->model.peer);
	}
	cl->bye_at_ms = 0;
	call_ended(cl);
	call_free(cl->call);
	cl->call = NULL;
	cl->call_conn = NULL;
	cl->auto_answer_this = 0;
	if (cl->o.once || (!cl->o.listen_mode))
		client_quit(cl);
	else
		cl_changed(cl);
}

/* My candidates as media has them; final once STUN and the relay are
   done (MEDIA_EV_GATHERED), and HANDSHAKE or ACCEPT wait for that. */
static void
setup_call_cands(struct client *cl)
{
	struct sig_cand cand[SIG_CAND_MAX];
	size_t n;

	if (cl->call == NULL || cl->media == NULL)
		return;
	n = media_cands(cl->media, cand, SIG_CAND_MAX);
	call_set_cands(cl->call, cand, n, media_gathered(cl->media));
}

static void
reset_call_model(struct client *cl, const char *peer, int outgoing)
{
	cl->model.outgoing = outgoing;
	snprintf(cl->model.peer, sizeof(cl->model.peer), "%s", peer);
	cl->model.code[0] = '\0';
	cl->model.peer_fp[0] = cl->model.old_fp[0] = '\0';
	cl->model.peer_key = KEY_NEW;
	cl->model.e2ee = 0;
	cl->model.muted = 0;
	cl->model.path[0] = '\0';
	cl->model.path_kind[0] = '\0';
	cl->model.end_reason = SIG_R_NONE;
	cl->model.ended_by_peer = 0;
	cl->model.end_by = CL_END_LOCAL;
	cl->model.peer_moved = 0;
	cl->model.end_note[0] = '\0';
	cl->model.call_start_ms = 0;
}

int
client_dial(struct client *cl, const char *peer)
{
	struct e2e_id me;
	char err[300];
	uint64_t id;
	int r;

	if (cl->call != NULL)
		return E2_ERR_STATE;
	if (!cl->registered) {
		snprintf(cl->dial_peer, sizeof(cl->dial_peer), "%s", peer);
		cl->dial_pending = 1;
		return 0;
	}
	cl->dial_pending = 0;
	cl->call_conn = cl->sig;
	if ((r = new_media(cl, err, sizeof(err))) != 0) {
		cl_event(cl, CL_EV_ERROR, err);
		cl->net_failed = 1;
		client_quit(cl);
		return r;
	}
	randombytes_buf(&id, sizeof(id));
	me = ckey_my_id(cl);
	if ((r = call_new_outgoing(&cl->call, id, cl->model.my_name, peer,
	    &me, cl_now_ms(cl), cl->o.ring_timeout_s * 1000)) != 0) {
		cl_event(cl, CL_EV_ERROR, "cannot start the call");
		end_media(cl);
		return r;
	}
	cl->call->accept_changed = cl->o.accept_changed_key;
	setup_call_cands(cl);
	reset_call_model(cl, peer, 1);
	cl->model.state = CL_DIALING;
	cl_event(cl, CL_EV_DIALING, NULL);
	process_call(cl);
	request_relay(cl);	/* after DIAL: the server knows the call */
	return 0;
}

static void
send_simple(struct client *cl, struct nconn *conn, enum sig_type type,
    uint64_t call, enum sig_reason reason)
{
	struct sigmsg m;

	sigmsg_init(&m, type);
	sigmsg_set_call(&m, call);
	sigmsg_set_reason(&m, reason);
	cl_send_on(cl, conn, &m);
}

static void
on_incoming(struct client *cl, struct nconn *conn, const struct sigmsg *m)
{
	struct call *mine = cl->call;
	char err[300], name[SIG_NAME_MAX + 1];
	struct e2e_id me;
	uint64_t until;
	int glare = 0;

	sanitize_str(m->name, name, sizeof(name));
	if (mine == NULL && cl->dial_pending &&
	    strcmp(cl->dial_peer, m->name) == 0) {
		/* They called first while I was about to call them. */
		cl_logev(cl, "%s called at the same time; taking their call",
		    name);
		cl->dial_pending = 0;
		glare = 1;
	} else if (mine != NULL) {
		if (mine->role == CALL_CALLER && mine->state != CALL_S_ACTIVE &&
		    strcmp(mine->peer, m->name) == 0) {
			if (call_glare_mine_wins(mine->id, m->call)) {
				cl_logev(cl, "%s called at the same time; "
				    "keeping my call", name);
				send_simple(cl, conn, SIG_REJECT, m->call,
				    SIG_R_GLARE);
				return;
			}
			cl_logev(cl, "%s called at the same time; "
			    "taking their call", name);
			/* Mine loses: end it quietly, then answer theirs. */
			call_hangup(mine, SIG_R_GLARE);
			glare = 1;
			{
				const struct call_action *a;

				while ((a = call_next_action(mine)) != NULL)
					if (a->kind == CALL_A_SEND)
						cl_send_on(cl, cl->call_conn,
						    &a->msg);
			}
			end_media(cl);
			call_free(mine);
			cl->call = NULL;
		} else {
			send_simple(cl, conn, SIG_REJECT, m->call, SIG_R_BUSY);
			cl_logev(cl, "missed a call from %s (busy)", name);
			return;
		}
	}
	if (!glare && call_guard_full(&cl->guard, cl_now_ms(cl), &until)) {
		/* Each abandoned handshake was a fresh try at a matching
		   security code: no more of them for a while. */
		send_simple(cl, conn, SIG_REJECT, m->call, SIG_R_LIMIT);
		cl_logev(cl, "turned away a call from %s: %d calls were abandoned "
		    "before they could ring in the last %d minutes; calls are "
		    "taken again in %llu s", name, CALL_GUARD_MAX,
		    CALL_GUARD_WINDOW_MS / 60000,
		    (unsigned long long)((until - cl_now_ms(cl) + 999) / 1000));
		return;
	}
	cl->call_conn = conn;
	if (new_media(cl, err, sizeof(err)) != 0) {
		cl_event(cl, CL_EV_ERROR, err);
		send_simple(cl, conn, SIG_REJECT, m->call, SIG_R_MEDIA);
		return;
	}
	me = ckey_my_id(cl);
	if (call_new_incoming(&cl->call, m, cl->model.my_name, &me,
	    cl_now_ms(cl), cl->o.ring_timeout_s * 1000) != 0) {
		end_media(cl);
		send_simple(cl, conn, SIG_REJECT, m->call, SIG_R_HANDSHAKE);
		return;
	}
	cl->call->accept_changed = cl->o.accept_changed_key;
	cl->auto_answer_this = glare;
	setup_call_cands(cl);
	reset_call_model(cl, name, 0);
	/* Nothing rings before message 3 has authenticated the caller. */
	cl->model.state = CL_AUTHENTICATING;
	cl_changed(cl);
	process_call(cl);
	request_relay(cl);
}

/* ---- signaling messages ---- */

static int
exit_for_reason(uint8_t reason, int by_peer)
{
	switch (reason) {
	case SIG_R_HANGUP:
	case SIG_R_GLARE:
		return EXIT_CALL_OK;
	case SIG_R_CANCELLED:
		return EXIT_CALL_OK;
	case SIG_R_REJECTED:
		return by_peer ? EXIT_REJECTED : EXIT_CALL_OK;
	case SIG_R_BUSY:
		return EXIT_BUSY;
	case SIG_R_OFFLINE:
		return EXIT_OFFLINE;
	case SIG_R_UNKNOWN:
		return EXIT_UNKNOWN;
	case SIG_R_NO_ANSWER:
		return EXIT_NO_ANSWER;
	case SIG_R_PEER_GONE:
	case SIG_R_MEDIA:
		return EXIT_NETWORK;
	case SIG_R_KEY_CHANGED:
		return EXIT_KEY_CHANGED;
	case SIG_R_HANDSHAKE:
	case SIG_R_VERSION:
		return EXIT_HANDSHAKE;
	}
	return EXIT_ERROR;
}

int
client_exit_status(const struct client *cl)
{
	if (cl->net_failed)
		return cl->net_failed == 2 ? EXIT_KEY_CHANGED :
		    cl->net_failed == 3 ? EXIT_ERROR : EXIT_NETWORK;
	if (cl->calls_done == 0)
		return cl->o.listen_mode ? EXIT_CALL_OK : EXIT_NETWORK;
	return exit_for_reason(cl->model.end_reason, cl->model.ended_by_peer);
}

static void
send_register(struct client *cl, struct nconn *c)
{
	struct sigmsg m;

	sigmsg_init(&m, SIG_REGISTER);
	(void)sigmsg_set_name(&m, cl->model.my_name);
	cl->move_sent = 0;
	cl_send_on(cl, c, &m);
	cl->model.state = CL_REGISTERING;
	cl_changed(cl);
}

/* The direct listener plays the server's part for the peer it accepted. */
static void
direct_msg(struct client *cl, struct nconn *c, struct sigmsg *m)
{
	char *peer = dpeer_name(cl, c);
	struct sigmsg r;

	if (peer == NULL)
		return;

	switch (m->type) {
	case SIG_REGISTER:
		snprintf(peer, SIG_NAME_MAX + 1, "%s", m->name);
		sigmsg_init(&r, SIG_REGISTERED);
		(void)sigmsg_set_name(&r, m->name);
		cl_send_on(cl, c, &r);
		return;
	case SIG_DIAL:
		if (peer[0] == '\0') {
			nconn_close(c, "DIAL before REGISTER");
			return;
		}
		if (strcmp(m->name, cl->model.my_name) != 0) {
			sigmsg_init(&r, SIG_ERROR);
			sigmsg_set_reason(&r, SIG_R_UNKNOWN);
			sigmsg_set_call(&r, m->call);
			(void)sigmsg_set_text(&r, "no such name here");
			cl_send_on(cl, c, &r);
			return;
		}
		m->type = SIG_INCOMING;
		(void)sigmsg_set_name(m, peer);
		on_incoming(cl, c, m);
		return;
	case SIG_PING:
		sigmsg_init(&r, SIG_PONG);
		cl_send_on(cl, c, &r);
		return;
	default:
		break;
	}
	if (cl->call != NULL && cl->call_conn == c && SIG_HAS(m, SIG_T_CALL)) {
		call_on_msg(cl->call, m, cl_now_ms(cl));
		process_call(cl);
		return;
	}
	if (m->type == SIG_HANGUP || m->type == SIG_REJECT)
		return;		/* for a call already gone */
	nconn_close(c, "unexpected message");
}

static void
dial_timer_cb(uv_timer_t *t)
{
	struct client *cl = t->data;

	if (cl->dial_pending && cl->call == NULL)
		client_dial(cl, cl->dial_peer);
}

static void
sig_msg(struct client *cl, struct nconn *c, struct sigmsg *m)
{
	char text[SIG_TEXT_MAX + 1];

	switch (m->type) {
	case SIG_WELCOME:
		send_register(cl, c);
		return;
	case SIG_REGISTERED:
		cl->registered = 1;
		cl->backoff_ms = 0;
		if (cl->call == NULL)
			cl->model.state = CL_IDLE;
		else
			cl_logev(cl, "signaling is back; the call goes on");
		cl_event(cl, CL_EV_REGISTERED, NULL);
		if (cl->dial_pending && cl->o.dial_delay_ms > 0)
			uv_timer_start(&cl->dial_timer, dial_timer_cb,
			    cl->o.dial_delay_ms, 0);
		else if (cl->dial_pending)
			client_dial(cl, cl->dial_peer);
		return;
	case SIG_INCOMING:
		on_incoming(cl, c, m);
		return;
	case SIG_PONG:
		return;
	case SIG_RELAY_GRANT:
		on_relay_grant(cl, m);
		return;
	case SIG_HANGUP:
	case SIG_REJECT:
		/*
		 * An end that is not sealed by the peer is the server's word
		 * (say, the peer's signaling dropped): media that flows goes
		 * on until an authenticated BYE or the media timeout.
		 */
		if (!SIG_HAS(m, SIG_T_SEALED) && cl->call != NULL &&
		    m->call == cl->call->id &&
		    cl->call->state == CALL_S_ACTIVE &&
		    cl->model.state == CL_IN_CALL) {
			cl_logev(cl, "the server says the call is over (%s), but "
			    "the peer's media still flows: the call goes on",
			    sig_reason_name(m->reason));
			return;
		}
		break;
	case SIG_ERROR:
		if (SIG_HAS(m, SIG_T_CALL) && cl->call != NULL &&
		    m->call == cl->call->id &&
		    !(cl->call->state == CALL_S_ACTIVE &&
		    cl->model.state == CL_IN_CALL)) {
			call_on_msg(cl->call, m, cl_now_ms(cl));
			process_call(cl);
			return;
		}
		sanitize_str(m->text, text, sizeof(text));
		if (!cl->registered && m->reason == SIG_R_NAME_TAKEN &&
		    cl->prev != NULL && !cl->move_sent) {
			ckey_send_move(cl, c);
			return;
		}
		if (!cl->registered) {
			char line[900];

			snprintf(line, sizeof(line), "server refused "
			    "registration of '%s': %s%s%s%s", cl->model.my_name,
			    sig_reason_name(m->reason), text[0] ? ": " : "",
			    text, m->reason != SIG_R_NAME_TAKEN ? "" :
			    cl->prev != NULL ? ". The key in identity.previous "
			    "is not the one that holds the name either" :
			    ". If the name was yours under another key: restore "
			    "that key as `identity.previous` next to your "
			    "identity and connect again, and the name moves to "
			    "your new key (e2call id --rotate does this for a "
			    "key you still have); without it, ask the server's "
			    "operator to release the name, or register "
			    "another one");
			cl_event(cl, CL_EV_ERROR, line);
			cl->net_failed = 3;
			client_quit(cl);
			return;
		}
		cl_logev(cl, "server: %s %s", sig_reason_name(m->reason), text);
		return;
	default:
		break;
	}
	if (cl->call != NULL && SIG_HAS(m, SIG_T_CALL) &&
	    m->call == cl->call->id) {
		call_on_msg(cl->call, m, cl_now_ms(cl));
		process_call(cl);
		return;
	}
	log_debug("ignored %s for call %016llx", sigmsg_type_name(m->type),
	    (unsigned long long)m->call);
}

static void
nc_msg(struct nconn *c, const uint8_t *p, size_t len, void *arg)
{
	struct client *cl = arg;
	struct sigmsg *m;
	int r;

	if ((m = malloc(sizeof(*m))) == NULL)
		return;
	if ((r = sigmsg_decode(m, p, len)) != 0) {
		free(m);
		nconn_close(c, "malformed signaling message");
		return;
	}
	if (cl->o.direct_listen)
		direct_msg(cl, c, m);
	else
		sig_msg(cl, c, m);
	sodium_memzero(m, sizeof(*m));	/* a relay key, e2e messages */
	free(m);
}

static void
reconnect_cb(uv_timer_t *t)
{
	sig_connect(t->data);
}

static void
schedule_reconnect(struct client *cl)
{
	cl->backoff_ms = cl->backoff_ms == 0 ? 1000 : cl->backoff_ms * 2;
	if (cl->backoff_ms > RECONNECT_MAX_MS)
		cl->backoff_ms = RECONNECT_MAX_MS;
	cl_logev(cl, "reconnecting in %u s", cl->backoff_ms / 1000);
	uv_timer_start(&cl->reconnect_timer, reconnect_cb,
	    cl->backoff_ms, 0);
}

static void
nc_close(struct nconn *c, int err, const char *why, void *arg)
{
	struct client *cl = arg;

	(void)err;
	if (cl->call_conn == c) {
		cl->call_conn = NULL;
		/* Media can outlive signaling; a call being set up cannot. */
		if (cl->call != NULL && cl->call->state != CALL_S_ACTIVE) {
			call_hangup(cl->call, SIG_R_PEER_GONE);
			cl->call->ended_by_peer = 1;
			process_call(cl);
		}
	}
	if (c != cl->sig) {
		size_t i;

		for (i = 0; i < DIRECT_MAX_PEERS; i++)
			if (cl->dpeer[i].c == c)
				cl->dpeer[i].c = NULL;
		return;
	}
	cl->sig = NULL;
	cl->sig_open = 0;
	cl->registered = 0;
	if (cl->quitting)
		return;
	if (cl->o.direct) {
		/* Direct dialing: no server to return to. */
		if (cl->call == NULL || cl->call->state != CALL_S_ACTIVE) {
			cl_event(cl, CL_EV_ERROR, why);
			cl->net_failed = cl->net_failed ? cl->net_failed : 1;
			client_quit(cl);
		}
		return;
	}
	cl_event(cl, CL_EV_ERROR, why);
	if (!cl->o.listen_mode && cl->call == NULL) {
		cl->net_failed = cl->net_failed ? cl->net_failed : 1;
		client_quit(cl);
		return;
	}
	cl->model.state = cl->call != NULL ? cl->model.state : CL_CONNECTING;
	schedule_reconnect(cl);
}

static void
nc_open(struct nconn *c, void *arg)
{
	struct client *cl = arg;

	if (cl->o.direct_listen) {
		struct sigmsg w;

		sigmsg_init(&w, SIG_WELCOME);
		w.version = SIG_VERSION;
		w.fields |= 1u << SIG_T_VERSION;
		cl_send_on(cl, c, &w);
		return;
	}
	cl->sig_open = 1;
	if (cl->o.direct)
		return;		/* the peer's key is checked end to end */
	if (ckey_server(cl, c) != 0) {
		cl->net_failed = 2;
		client_quit(cl);
	}
}

static const struct nconn_cbs client_cbs = { nc_open, nc_msg, nc_close };

static void
sig_connect(struct client *cl)
{
	struct nconn_limits lim;
	char line[200];
	int r;

	if (cl->quitting || cl->sig != NULL)
		return;
	nconn_limits_default(&lim);
	lim.idle_ms = 3 * PING_MS + 5000;	/* dead server: no PONG */
	lim.max_frame = FRAME_MAXLEN;
	cl->model.state = cl->call != NULL ? cl->model.state : CL_CONNECTING;
	cl_changed(cl);
	if ((r = nconn_connect(cl->loop, (struct sockaddr *)&cl->server_addr,
	    cl->id, &lim, &client_cbs, cl, &cl->sig)) != 0) {
		snprintf(line, sizeof(line), "cannot connect to %s: %s",
		    cl->model.server, e2_strerror(r));
		cl_event(cl, CL_EV_ERROR, line);
		if (cl->o.listen_mode && !cl->o.direct)
			schedule_reconnect(cl);
		else {
			cl->net_failed = 1;
			client_quit(cl);
		}
	}
}

/* ---- direct listener ---- */

static void
on_connection(uv_stream_t *server, int status)
{
	struct client *cl = server->data;
	struct nconn_limits lim;
	struct nconn *c;
	size_t i;

	if (status < 0)
		return;
	for (i = 0; i < DIRECT_MAX_PEERS; i++)
		if (cl->dpeer[i].c == NULL)
			break;
	nconn_limits_default(&lim);
	if (i == DIRECT_MAX_PEERS) {
		/* Accept and drop: too many callers at once. */
		uv_tcp_t *t = malloc(sizeof(*t));

		if (t == NULL)
			return;
		uv_tcp_init(cl->loop, t);
		if (uv_accept(server, (uv_stream_t *)t) == 0)
			cl_logev(cl, "refused a direct connection: too many");
		uv_close((uv_handle_t *)t, (uv_close_cb)free);
		return;
	}
	if (nconn_accept(server, cl->id, &lim, &client_cbs, cl, &c) != 0)
		return;
	cl->dpeer[i].c = c;
	cl->dpeer[i].name[0] = '\0';
}

static int
start_listener(struct client *cl, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	int r;

	if ((r = netaddr_parse(cl->o.listen_addr, &ss, err, errlen)) != 0)
		return r;
	uv_tcp_init(cl->loop, &cl->listener);
	cl->listener.data = cl;
	cl->handles++;
	cl->listening = 1;
	if ((r = uv_tcp_bind(&cl->listener, (struct sockaddr *)&ss, 0)) != 0 ||
	    (r = uv_listen((uv_stream_t *)&cl->listener, 16,
	    on_connection)) != 0) {
		snprintf(err, errlen, "cannot listen on %s: %s",
		    cl->o.listen_addr, uv_strerror(r));
		return E2_ERR_IO;
	}
	cl->registered = 1;
	cl->model.state = CL_IDLE;
	return 0;
}

/* ---- timers ---- */

static void
tick_cb(uv_timer_t *t)
{
	struct client *cl = t->data;
	uint64_t now = cl_now_ms(cl);
	struct sigmsg m;

	cl->model.now_ms = now;
	if (cl->call != NULL) {
		call_tick(cl->call, now);
		process_call(cl);
	}
	if (cl->media != NULL && cl->call != NULL) {
		media_get_stats(cl->media, &cl->model.stats);
		if (cl->o.timeout_s > 0 && cl->model.call_start_ms > 0 &&
		    now - cl->model.call_start_ms >= cl->o.timeout_s * 1000ULL) {
			cl_logev(cl, "call time limit reached");
			client_hangup(cl);
			return;
		}
		if (cl->eof_at_ms != 0 && now >= cl->eof_at_ms) {
			cl_logev(cl, "input file ended");
			client_hangup(cl);
			return;
		}
		if (cl->bye_at_ms != 0 && now >= cl->bye_at_ms) {
			/* As if the HANGUP had come: the BYE was the peer's,
			   authenticated on the media path. */
			cl->bye_at_ms = 0;
			cl_logev(cl, "no hangup over signaling: the call ends");
			call_peer_ended(cl->call, SIG_R_HANGUP);
			process_call(cl);
			return;
		}
		if (cl->model.e2ee && now - cl->last_stats_ev_ms >=
		    STATS_EVENT_MS) {
			cl->last_stats_ev_ms = now;
			cl_event(cl, CL_EV_STATS, NULL);
		}
	}
	if (cl->sig != NULL && cl->registered &&
	    now - cl->last_ping_ms >= PING_MS) {
		cl->last_ping_ms = now;
		sigmsg_init(&m, SIG_PING);
		cl_send_on(cl, cl->sig, &m);
	}
	cl_changed(cl);
}

/* ---- life ---- */

/*
 * The bare names of an older contacts file get the place of the server I
 * use when its key is pinned (not for a direct dial, whose HOST:PORT is
 * the peer's), else "server:*".
 */
/*
 * The STUN server: --stun / `stun`, else the signaling server (which
 * answers STUN on its port), but not a direct peer; "none" for none.
 */
static int
resolve_stun(struct client *cl, char *err, size_t errlen)
{
	const char *s = cl->o.stun;

	if (s != NULL && (s[0] == '\0' || strcmp(s, "none") == 0))
		return 0;
	if (s == NULL) {
		if (cl->o.direct || cl->o.direct_listen)
			return 0;
		cl->stun_addr = cl->server_addr;
		cl->have_stun = 1;
		return 0;
	}
	if (netaddr_parse(s, &cl->stun_addr, err, errlen) != 0)
		return E2_ERR_MALFORMED;
	cl->have_stun = 1;
	return 0;
}

int
client_new(struct client **clp, uv_loop_t *loop,
    const struct client_opts *opts, const struct view_ops *view,
    void *view_arg, char *err, size_t errlen)
{
	struct client *cl;
	int r;

	*clp = NULL;
	if ((cl = calloc(1, sizeof(*cl))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return E2_ERR_NOMEM;
	}
	cl->loop = loop;
	cl->o = *opts;
	cl->view = view;
	cl->view_arg = view_arg;
	if (cl->o.ring_timeout_s == 0)
		cl->o.ring_timeout_s = 45;
	snprintf(cl->model.my_name, sizeof(cl->model.my_name), "%s",
	    opts->name != NULL ? opts->name : "");
	if (opts->audio != NULL && strcmp(opts->audio, "null") == 0)
		snprintf(cl->model.audio_note, sizeof(cl->model.audio_note),
		    "null audio: silence out, nothing played");
	else if (opts->audio != NULL && strcmp(opts->audio, "file") == 0)
		snprintf(cl->model.audio_note, sizeof(cl->model.audio_note),
		    "file audio: mic %.60s, speaker %.60s",
		    opts->play_file != NULL ? opts->play_file : "(silence)",
		    opts->record_file != NULL ? opts->record_file : "(none)");
	cl->model.direct = opts->direct || opts->direct_listen;
	if ((r = ckey_load(cl, err, errlen)) != 0)
		goto fail;
	uv_timer_init(loop, &cl->tick);
	uv_timer_init(loop, &cl->reconnect_timer);
	uv_timer_init(loop, &cl->dial_timer);
	cl->tick.data = cl->reconnect_timer.data = cl->dial_timer.data = cl;
	cl->handles += 3;
	uv_timer_start(&cl->tick, tick_cb, TICK_MS, TICK_MS);
	*clp = cl;
	if (opts->direct_listen) {
		if ((r = resolve_stun(cl, err, errlen)) != 0)
			return r;
		return start_listener(cl, err, errlen);
	}
	snprintf(cl->model.server, sizeof(cl->model.server), "%s",
	    opts->server);
	if ((r = netaddr_parse(opts->server, &cl->server_addr, err,
	    errlen)) != 0)
		return r;
	if ((r = resolve_stun(cl, err, errlen)) != 0)
		return r;
	if (opts->dial_name[0] != '\0')
		client_dial(cl, opts->dial_name);
	sig_connect(cl);
	return 0;
fail:
	keypair_free(cl->id);
	keypair_free(cl->prev);
	pins_free(cl->contacts);
	pins_free(cl->servers);
	free(cl);
	return r;
}

const struct cl_model *
client_model(const struct client *cl)
{
	return &cl->model;
}

int
client_answer(struct client *cl)
{
	int r;

	if (cl->call == NULL)
		return E2_ERR_STATE;
	if ((r = call_answer(cl->call)) == 0)
		process_call(cl);
	return r;
}

int
client_reject(struct client *cl)
{
	int r;

	if (cl->call == NULL)
		return E2_ERR_STATE;
	if ((r = call_reject(cl->call)) == 0)
		process_call(cl);
	return r;
}

int
client_hangup(struct client *cl)
{
	if (cl->call == NULL)
		return E2_ERR_STATE;
	call_hangup(cl->call, SIG_R_NONE);
	process_call(cl);
	return 0;
}

int
client_set_mute(struct client *cl, int muted)
{
	cl->model.muted = muted != 0;
	if (cl->media != NULL)
		media_set_mute(cl->media, cl->model.muted);
	cl_event(cl, CL_EV_MUTE, muted ? "muted" : "unmuted");
	return 0;
}

int
client_switch_audio(struct client *cl, const char *capture,
    const char *playback, char *err, size_t errlen)
{
	if (cl->media == NULL) {
		snprintf(err, errlen, "not in a call");
		return E2_ERR_STATE;
	}
	return media_switch_audio(cl->media, capture, playback, err, errlen);
}

static void
handle_closed(uv_handle_t *h)
{
	struct client *cl = h->data;

	cl->handles--;
}

void
client_free(struct client *cl)
{
	if (cl == NULL)
		return;
	keypair_free(cl->id);
	keypair_free(cl->prev);
	pins_free(cl->contacts);
	pins_free(cl->servers);
	sodium_memzero(cl, sizeof(*cl));
	free(cl);
}

void
client_quit(struct client *cl)
{
	size_t i;

	if (cl->quitting)
		return;
	if (cl->call != NULL) {
		call_hangup(cl->call, SIG_R_NONE);
		process_call(cl);	/* may come back here: quitting is unset */
		if (cl->quitting)
			return;
	}
	cl->quitting = 1;
	end_media(cl);
	if (cl->sig != NULL)
		nconn_close(cl->sig, "quit");
	for (i = 0; i < DIRECT_MAX_PEERS; i++)
		if (cl->dpeer[i].c != NULL)
			nconn_close(cl->dpeer[i].c, "quit");
	uv_close((uv_handle_t *)&cl->tick, handle_closed);
	uv_close((uv_handle_t *)&cl->reconnect_timer, handle_closed);
	uv_close((uv_handle_t *)&cl->dial_timer, handle_closed);
	if (cl->listening)
		uv_close((uv_handle_t *)&cl->listener, handle_closed);
	cl_changed(cl);
}
