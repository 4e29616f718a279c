/*
 * audio_int.h - what the audio backends share with audio.c.
 *
 * Each backend is one struct audio_backend in the table of audio.c.  The
 * common struct audio carries the configuration (strings copied), the frame
 * size and the statistics; a backend keeps its own state behind `priv`.
 *
 * Lifetime: every uv handle a backend initialises is counted with
 * audio_handle_add() and closed with audio_handle_close() (or a close
 * callback of its own that ends in audio_handle_done()).  audio_close()
 * marks the object closing and calls the backend's close, which closes its
 * devices and files at once and its handles asynchronously; struct audio
 * and priv are freed when the last handle's close callback has run (or at
 * once when no handle was open).
 *
 * Callbacks into the user (capture_cb, playback_cb) may call audio_stop()
 * or audio_close(); after each one a backend checks audio_live() before it
 * touches the device again.
 */
#ifndef E2_AUDIO_INT_H
#define E2_AUDIO_INT_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "audio.h"

/* The longest a paced backend catches up after the loop stalled. */
#define AUDIO_MAX_LAG_MS	1000

struct audio_backend {
	const char	*name;
	/*
	 * Opens files/devices; on failure returns a negative E2_ERR_* with a
	 * message in err and leaves only counted handles behind (close and
	 * free still run).
	 */
	int		(*open)(struct audio *a, char *err, size_t errlen);
	int		(*start)(struct audio *a);
	int		(*stop)(struct audio *a);
	/* Closes devices and files now, handles asynchronously. */
	void		(*close)(struct audio *a);
	/* Frees priv; called once, after the last handle closed. */
	void		(*free)(struct audio *a);
	/* NULL: E2_ERR_UNSUPPORTED. */
	int		(*switch_dev)(struct audio *a, const char *capture_dev,
			    const char *playback_dev, char *err, size_t errlen);
};

/*
 * A real-time clock for the paced backends (file, null): frame_cb runs
 * once per frame period, scheduled by absolute time from start (start +
 * n * frame_ms on the loop's clock), so timer lateness does not add up.
 * After a stall it catches up at most AUDIO_MAX_LAG_MS; time lost beyond
 * that is skipped and counted as one xrun.
 */
struct audio_pacer {
	uv_timer_t	 timer;
	struct audio	*a;
	void		(*frame_cb)(struct audio *a);
	uint64_t	 t0;		/* loop time (ms) at start */
	uint64_t	 frames;	/* frame periods done since t0 */
};

struct audio {
	const struct audio_backend *be;
	uv_loop_t	*loop;
	struct audio_cfg cfg;		/* strings are our own copies */
	size_t		 frame;		/* samples per frame */
	struct audio_stats st;
	void		*priv;
	unsigned	 nhandles;	/* counted handles not yet closed */
	int		 running;
	int		 closing;
};

extern const struct audio_backend audio_backend_file;
extern const struct audio_backend audio_backend_null;
extern const struct audio_backend audio_backend_alsa;

/* Nonzero while the backend should keep moving audio. */
int	audio_live(const struct audio *a);

void	audio_handle_add(struct audio *a, uv_handle_t *h);
/* uv_close() with the counting close callback (h->data must be a). */
void	audio_handle_close(uv_handle_t *h);
/* For own close callbacks: one counted handle is gone. */
void	audio_handle_done(struct audio *a);

void	audio_pacer_init(struct audio *a, struct audio_pacer *p,
	    void (*frame_cb)(struct audio *));
void	audio_pacer_start(struct audio_pacer *p);
void	audio_pacer_stop(struct audio_pacer *p);
void	audio_pacer_close(struct audio_pacer *p);

/* snprintf into err if err is not NULL; returns ret. */
int	audio_error(char *err, size_t errlen, int ret, const char *fmt, ...)
	    __attribute__((format(printf, 4, 5)));

#endif
