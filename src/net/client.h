/*
 * client.h - one e2call client: the signaling connection, at most one
 * call at a time, its media and audio, all on one libuv loop.
 *
 * struct cl_model is what views draw: the TUI (src/ui) and the batch view
 * (JSON lines).  Views never change it; they call the client_* commands.
 * Every string in the model that came from the network is sanitized
 * (sanitize_str) before it is stored here.  The lock (e2ee) is set only
 * from local cryptographic state: the end-to-end handshake completed on
 * this side and the media keys derived from it are in place.
 */
#ifndef E2_CLIENT_H
#define E2_CLIENT_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "contacts.h"
#include "noise.h"
#include "sigmsg.h"

enum cl_state {
	CL_CONNECTING,		/* to the server (or the direct peer) */
	CL_REGISTERING,
	CL_IDLE,		/* registered, no call */
	CL_AUTHENTICATING,	/* a call came in; it rings once message 3
				   has authenticated the caller (drawn as
				   idle: nothing to answer yet) */
	CL_DIALING,		/* DIAL sent, waiting for the callee to ring */
	CL_RINGING_OUT,		/* the callee's phone rings */
	CL_INCOMING,		/* a call rings here: answer or reject */
	CL_KEY_HELD,		/* peer's key changed: waiting for the user */
	CL_CONNECTING_MEDIA,	/* answered; media path being set up */
	CL_IN_CALL,
	CL_ON_HOLD,		/* in call, but no media from the peer lately */
	CL_ENDED,
};

enum cl_end_by {
	CL_END_LOCAL,		/* this side */
	CL_END_PEER,		/* the peer, authenticated end to end */
	CL_END_SERVER,		/* an end the peer did not seal: the
				   server's word */
};

struct cl_stats {
	uint32_t	rtt_ms;		/* from encrypted PING/PONG; 0 unknown */
	uint32_t	loss_pm;	/* receive loss, per mille */
	uint32_t	peer_loss_pm;	/* what the peer reported */
	uint32_t	jitter_ms;
	uint32_t	delay_ms;	/* jitter buffer playout delay */
	uint32_t	tx_kbps, rx_kbps;	/* payload bit rates */
	uint64_t	tx_packets, rx_packets;
	uint64_t	concealed, fec;
	uint64_t	bad;		/* failed authentication / malformed */
	uint64_t	replayed;	/* replayed or too old */
	uint64_t	late;		/* jitter buffer: too late to play */
	uint64_t	played;		/* frames decoded as they came */
	uint64_t	dropped;	/* frames skipped to shrink the delay */
	uint64_t	inserted;	/* frames concealed to grow the delay */
	uint64_t	empty;		/* periods with nothing to play once
					   playout had begun (gaps) */
	uint64_t	xruns;
	float		in_level, out_level;	/* 0..1 peak of the last frame */
	/* candidates, checks, relay and roaming */
	uint32_t	cands, peer_cands;	/* mine sent, the peer's usable */
	uint32_t	checks_sent, checks_ok;	/* connectivity checks */
	uint32_t	path_ms;	/* media start to the first path */
	uint32_t	path_changes;	/* moves after the first path */
	uint32_t	recoveries;	/* paths lost and checked again */
	uint32_t	relay;		/* 0 none, 1 granted, 2 bound */
};

struct cl_model {
	enum cl_state	 state;
	int		 direct;		/* no server */
	char		 my_name[SIG_NAME_MAX + 1];
	char		 server[128];		/* host:port */
	char		 peer[SIG_NAME_MAX + 1];	/* sanitized */
	int		 outgoing;		/* I dialed */
	enum key_status	 peer_key;
	char		 peer_fp[FINGERPRINT_LEN + 1];
	char		 old_fp[FINGERPRINT_LEN + 1];	/* when changed */
	int		 e2ee;			/* lock may be drawn */
	char		 code[SECCODE_LEN + 1];	/* "" until the handshake */
	int		 muted;
	uint64_t	 call_start_ms;		/* loop time the call began */
	uint64_t	 now_ms;
	uint8_t		 end_reason;		/* enum sig_reason */
	int		 ended_by_peer;
	enum cl_end_by	 end_by;		/* who ended it, as far as
						   this side can tell */
	int		 peer_moved;		/* "changed, signed by the old
						   key" (peer_key CHANGED*) */
	char		 known_as[200];		/* a new direct caller whose key
						   is pinned elsewhere: where */
	char		 end_note[768];		/* why, and what to do, when a
						   key refused the call */
	char		 path[96];		/* media path in use, for people:
						   "203.0.113.5:4000 (srflx)" */
	char		 path_kind[8];		/* host srflx prflx relay, or "" */
	char		 audio_note[160];	/* e.g. "no sound card: null audio" */
	struct cl_stats	 stats;
	uint64_t	 capture_start_ns;	/* monotonic, first frame in */
	uint64_t	 playback_start_ns;	/* first frame out */
};

enum cl_event_kind {
	CL_EV_REGISTERED,	/* my_name */
	CL_EV_DIALING,
	CL_EV_RINGING,		/* the callee rings (caller side) */
	CL_EV_INCOMING,		/* a call rings here */
	CL_EV_KEY_CHANGED,	/* peer_key CHANGED or CHANGED_VERIFIED */
	CL_EV_ANSWERED,		/* call established (both sides) */
	CL_EV_SECURITY_CODE,	/* code is ready */
	CL_EV_MEDIA,		/* media path found (path) */
	CL_EV_STATS,		/* periodic */
	CL_EV_HOLD,		/* media from the peer stopped / resumed */
	CL_EV_MUTE,
	CL_EV_VERIFIED,		/* peer marked verified */
	CL_EV_ENDED,		/* end_reason, ended_by_peer */
	CL_EV_ERROR,		/* text */
	CL_EV_LOG,		/* text: a line for the event log */
	CL_EV_AUDIO_CLOCK,	/* audio_clock: first samples in and out */
};

struct cl_event {
	enum cl_event_kind kind;
	const char	*text;		/* CL_EV_ERROR / CL_EV_LOG, else NULL */
};

struct view_ops {
	/* A discrete event; the model is already updated. */
	void	(*event)(void *arg, const struct cl_event *ev);
	/* The model changed; redraw at the end of this loop turn. */
	void	(*changed)(void *arg);
};

struct client;

struct client_opts {
	const char	*server;	/* host:port of the server or, with
					   direct, of the peer */
	int		 direct;	/* dial NAME@HOST:PORT */
	char		 dial_name[SIG_NAME_MAX + 1];	/* dial: whom */
	const char	*name;		/* my name */
	int		 direct_listen;	/* listen --direct */
	const char	*listen_addr;	/* direct listener address */
	int		 batch;		/* no person: decide by the options */
	int		 listen_mode;	/* stay up after a call */
	int		 once;		/* listen: quit after the first call */
	int		 hangup_on_eof;	/* hang up when --play ends */
	int		 auto_answer;
	int		 accept_changed_key;	/* batch: proceed on a changed key */
	int		 echo;		/* play back what the peer says */
	unsigned	 ring_timeout_s;
	unsigned	 timeout_s;	/* end the call after this long (0 = no) */
	unsigned	 dial_delay_ms;	/* dial this long after registering */
	/* audio and codec */
	const char	*audio;		/* alsa, file, null */
	const char	*capture_dev, *playback_dev;
	const char	*play_file, *record_file;
	unsigned	 frame_ms;
	unsigned	 bitrate;
	int		 vbr, dtx;
	unsigned	 complexity;	/* Opus 1..10; 0 = default (9) */
	const char	*dump_opus;	/* diagnostics, see media.h */
	const char	*advertise;	/* the only media candidate, see media.h */
	const char	*stun;		/* STUN server host:port (NULL: the
					   signaling server; "" none) */
	int		 relay_only;	/* media through the server's relay
					   only: my addresses stay hidden */
};

int	client_new(struct client **clp, uv_loop_t *loop,
	    const struct client_opts *opts, const struct view_ops *view,
	    void *view_arg, char *err, size_t errlen);
const struct cl_model *client_model(const struct client *cl);

/* Commands from a view.  Each returns 0 or E2_ERR_STATE when not possible. */
int	client_dial(struct client *cl, const char *peer);
int	client_answer(struct client *cl);	/* also accepts a held key */
int	client_reject(struct client *cl);
int	client_hangup(struct client *cl);
int	client_set_mute(struct client *cl, int muted);
/* Marks the current peer's key verified in contacts (the view has checked
 * the code group the user typed back). */
int	client_mark_verified(struct client *cl);
int	client_switch_audio(struct client *cl, const char *capture,
	    const char *playback, char *err, size_t errlen);
/* Stops everything; the loop ends when all handles are closed. */
void	client_quit(struct client *cl);
/* After the loop has ended. */
void	client_free(struct client *cl);
/* Exit status for the way the last call ended (enum e2_exit). */
int	client_exit_status(const struct client *cl);

#endif
