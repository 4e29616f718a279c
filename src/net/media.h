/*
 * media.h - one call's media on the loop: the UDP socket, encrypted
 * packets (mpkt), connectivity checks, the jitter buffer, Opus and the
 * audio backend.
 *
 * Life: media_new() binds the UDP socket (so candidates can be sent in
 * signaling) -> media_start() with the call's keys and the peer's
 * candidates: checks run to every candidate, the first authenticated
 * answer picks the path, audio flows -> media_free().  An authenticated
 * packet from a new source address moves the peer's endpoint (roaming).
 * Nothing is ever sent unencrypted: every datagram is an mpkt_seal().
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
	MEDIA_EV_AUDIO_CLOCK,	/* first sample captured and played (see
				   media_audio_clock()) */
};

#define MEDIA_QUIET_MS	3000
#define MEDIA_DEAD_MS	20000

struct media_opts {
	struct audio_cfg audio;		/* backend, devices, files, frame_ms */
	struct codec_cfg codec;
	int		 echo;		/* send back what arrives, delayed */
	const char	*advertise;	/* host:port: the only candidate to send
					   (a port forward, a test proxy) */
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
size_t	media_cands(const struct media *m, struct sig_cand *out, size_t max);
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
/* Sends BYE, stops audio and closes; memory freed after the handles close. */
void	media_free(struct media *m);

#endif
