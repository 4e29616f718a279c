/*
 * media.h - one call's media on the loop: the UDP socket, encrypted
 * packets (mpkt), connectivity checks, the jitter buffer, Opus and the
 * audio backend.
 *
 * Life: media_new() binds the UDP socket and gathers candidates: host
 * addresses at once, the server-reflexive address from a STUN server and
 * a relay leg (media_set_relay(), granted over signaling) within
 * MEDIA_GATHER_MS; MEDIA_EV_GATHERED says media_cands() is final ->
 * media_start() with the call's keys and the peer's candidates:
 * authenticated checks run to every candidate at once (hole punching),
 * the best pair that answers becomes the path (host, then srflx, then
 * peer-reflexive, then relay; the relay only when no direct pair has
 * answered within MEDIA_RELAY_GRACE_MS), audio flows; a path that stops
 * answering is checked again from scratch, and an authenticated packet
 * from a new source address moves the peer's endpoint (roaming) ->
 * media_free().  Nothing the peer receives is unencrypted: every
 * datagram to it is an mpkt_seal(); STUN requests and relay binds go to
 * the server only.  docs/PROTOCOL.md 5.5 and 5b.
 */
#ifndef E2_MEDIA_H
#define E2_MEDIA_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "audio.h"
#include "codec.h"
#include "sigmsg.h"

struct cl_stats;
struct media;

enum media_event {
	MEDIA_EV_PATH,		/* a path was chosen or moved (text: path) */
	MEDIA_EV_QUIET,		/* nothing from the peer for MEDIA_QUIET_MS */
	MEDIA_EV_RESUMED,	/* packets again after QUIET */
	MEDIA_EV_DEAD,		/* nothing for MEDIA_DEAD_MS: end the call */
	MEDIA_EV_BYE,		/* the peer said BYE over media */
	MEDIA_EV_PLAY_EOF,	/* the file backend's input ended */
	MEDIA_EV_ERROR,		/* text: audio or socket failure */
	MEDIA_EV_AUDIO_NOTE,	/* text: the audio device could not be used */
	MEDIA_EV_AUDIO_CLOCK,	/* first sample captured and played (see
				   media_audio_clock()) */
	MEDIA_EV_GATHERED,	/* media_cands() is final */
	MEDIA_EV_GAP,		/* text: ms without audio, now resumed */
	MEDIA_EV_NOTE,		/* text: a line for the event log */
	MEDIA_EV_LOST,		/* text: the path stopped answering; every
				   candidate is checked again */
};

#define MEDIA_QUIET_MS		3000
#define MEDIA_DEAD_MS		20000
#define MEDIA_GATHER_MS		500	/* STUN and relay grant, at most */
#define MEDIA_RELAY_GRACE_MS	1000	/* direct pairs go first */
#define MEDIA_CHECK_MS		5000	/* checks go on this long */

struct media_opts {
	struct audio_cfg audio;		/* backend, devices, files, frame_ms */
	struct codec_cfg codec;
	int		 echo;		/* send back what arrives, delayed */
	const char	*advertise;	/* host:port: the only candidate to send
					   (a port forward, a test proxy) */
	const struct sockaddr *stun;	/* STUN server, or NULL */
	int		 expect_relay;	/* a relay leg was asked for: wait
					   for media_set_relay() */
	int		 relay_only;	/* advertise and use the relay alone */
	const char	*dump_opus;	/* diagnostics: append every encoded
					   frame to this file (u16 BE length,
					   bytes) to check the wire against */
	unsigned	 echo_delay_ms;
	void		(*event_cb)(void *arg, enum media_event ev,
			    const char *text);
	void		*arg;
};

/*
 * Binds a UDP socket on all interfaces (IPv4 and, where possible, IPv6)
 * and collects host candidates: the address the signaling connection
 * uses (local, may be NULL) first, then the others.
 */
int	media_new(struct media **mp, uv_loop_t *loop,
	    const struct media_opts *opts, const struct sockaddr *local,
	    char *err, size_t errlen);
/*
 * My candidates as they stand: host (the signaling address first), then
 * server-reflexive, then relay; with relay_only the relay alone.
 */
size_t	media_cands(const struct media *m, struct sig_cand *out, size_t max);
/* 1 once gathering is over (MEDIA_EV_GATHERED was emitted). */
int	media_gathered(const struct media *m);
/*
 * The relay leg granted for this call (relay: its address, kind relay;
 * leg and key from RELAY_GRANT): binds it and, once started, checks the
 * peer through it.  media_no_relay() when the request was refused.
 */
void	media_set_relay(struct media *m, const struct sig_cand *relay,
	    uint64_t leg, const uint8_t key[32]);
void	media_no_relay(struct media *m);
/* Starts checks, audio and the codec. */
int	media_start(struct media *m, const uint8_t send_key[32],
	    const uint8_t recv_key[32], const struct sig_cand *peer,
	    size_t npeer, char *err, size_t errlen);
void	media_set_mute(struct media *m, int muted);
/*
 * Monotonic clock (uv_hrtime(), ns) when the first captured frame reached
 * the encoder and when the first decoded frame went to the speaker
 * (0 = not yet): with the file backend, this lets a benchmark align the
 * recordings of both sides to measure mouth-to-ear latency.
 */
void	media_audio_clock(const struct media *m, uint64_t *capture_ns,
	    uint64_t *playback_ns);
void	media_get_stats(const struct media *m, struct cl_stats *st);
int	media_switch_audio(struct media *m, const char *capture,
	    const char *playback, char *err, size_t errlen);
/* Path kind: "host", "srflx", "prflx", "relay" ("" before a path). */
const char *media_path_kind(const struct media *m);
/* Sends BYE, stops audio and closes; memory freed after the handles close. */
void	media_free(struct media *m);

#endif
