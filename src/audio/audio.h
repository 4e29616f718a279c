/*
 * audio.h - audio backends behind one small interface.
 *
 * A backend moves 48 kHz mono 16-bit frames of a fixed size (frame_ms of
 * audio) between a device and the call, on the caller's libuv loop:
 *
 *	capture:  the backend calls cfg->capture_cb once per captured frame;
 *	playback: the backend calls cfg->playback_cb whenever the device needs
 *	          the next frame, and plays what it fills in.
 *
 * Backends: "alsa" (snd_pcm_poll_descriptors + uv_poll_t, never blocks),
 * "file" (WAV through libsndfile, paced by a uv_timer_t in real time; the
 * recording keeps time: silence where nothing was played), "null" (silence
 * in, nothing out, paced the same way).  Either direction may be absent.
 */
#ifndef E2_AUDIO_H
#define E2_AUDIO_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#define AUDIO_RATE	48000
#define AUDIO_MAX_FRAME	960	/* samples in 20 ms */

struct audio;

typedef void	(*audio_capture_cb)(void *arg, const int16_t *pcm, size_t n);
typedef void	(*audio_playback_cb)(void *arg, int16_t *pcm, size_t n);

struct audio_cfg {
	const char	*backend;	/* "alsa", "file", "null" */
	unsigned	 frame_ms;	/* 10 or 20 */
	const char	*capture_dev;	/* ALSA name, default "default" */
	const char	*playback_dev;
	const char	*play_file;	/* file backend: microphone (WAV) */
	const char	*record_file;	/* file backend: speaker (WAV, 48k mono) */
	int		 loop_play;	/* file backend: repeat play_file */
	audio_capture_cb  capture_cb;
	audio_playback_cb playback_cb;
	void		*cb_arg;
};

struct audio_stats {
	uint64_t	captured;	/* frames */
	uint64_t	played;
	uint64_t	xruns;		/* overruns + underruns recovered */
	int		eof;		/* file backend: play_file ended */
};

/*
 * Opens the backend named in cfg on loop.  On failure returns a negative
 * E2_ERR_* and writes a message naming the device/file and the reason to
 * err (errlen bytes).
 */
int	audio_open(struct audio **ap, uv_loop_t *loop,
	    const struct audio_cfg *cfg, char *err, size_t errlen);
int	audio_start(struct audio *a);
int	audio_stop(struct audio *a);
/* Closes the handles; memory is freed from the last close callback. */
void	audio_close(struct audio *a);
void	audio_get_stats(const struct audio *a, struct audio_stats *st);
/*
 * Switches the ALSA capture/playback device during a call (NULL keeps it).
 * E2_ERR_UNSUPPORTED for the other backends.
 */
int	audio_switch(struct audio *a, const char *capture_dev,
	    const char *playback_dev, char *err, size_t errlen);

/* Prints ALSA's capture and playback devices (for `e2call devices`). */
int	audio_list_devices(FILE *out);

#endif
