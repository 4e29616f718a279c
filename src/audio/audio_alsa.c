/*
 * audio_alsa.c - ALSA capture and playback on the loop, never blocking.
 *
 * Each direction opens its PCM with SND_PCM_NONBLOCK (48 kHz mono S16,
 * resampling by the plug layer allowed, a period of at most one frame and
 * a buffer of ALSA_BUFFER_FRAMES frames) and watches the descriptors of
 * snd_pcm_poll_descriptors() with one uv_poll_t each; what a wakeup means
 * is asked of snd_pcm_poll_descriptors_revents().  Capture reads what is
 * available into a staging frame and hands every full frame to the capture
 * callback; playback starts with ALSA_PREFILL frames of silence, then
 * pulls a frame from the playback callback whenever one fits.
 *
 * Xruns are recovered with snd_pcm_recover() and counted.  Two guards keep
 * the loop from spinning on devices that are not paced by a clock (the
 * file and null plugins of alsa-lib): a device that wakes us ALSA_IDLE_MAX
 * times in a row without moving a sample, or that moves audio faster than
 * ALSA_RATE_SLACK times real time, is left alone for a frame period (a
 * timer) before it is polled again.  Descriptors epoll refuses (regular
 * files, /dev/null: what those plugins hand out, always ready) are not
 * polled at all; the same timer then serves the device once per frame
 * period.
 */
#include <errno.h>
#include <stdarg.h>
#include <poll.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <alsa/asoundlib.h>

#include "audio.h"
#include "audio_int.h"
#include "err.h"
#include "log.h"

#define ALSA_BUFFER_FRAMES	4	/* device buffer, in frames */
#define ALSA_PREFILL		2	/* frames of silence before playback */
#define ALSA_IDLE_MAX		4	/* empty wakeups before backing off */
#define ALSA_RATE_SLACK		1.05	/* fastest a device may run */
#define ALSA_BURST_FRAMES	2	/* burst allowance over the buffer */

static const int16_t	zeros[AUDIO_MAX_FRAME];

struct alsa_dir;

struct alsa_poll {
	uv_poll_t	 h;		/* first: the callback casts */
	struct alsa_dir	*d;
	int		 idx;		/* in d->pfd */
};

struct alsa_dir {
	struct audio	*a;
	snd_pcm_stream_t stream;
	const char	*what;		/* "capture", "playback" */
	char		*dev;
	snd_pcm_t	*pcm;
	unsigned	 gen;		/* bumped when pcm changes */
	struct pollfd	*pfd;
	struct alsa_poll **polls;
	int		 npfd;
	uv_timer_t	 timer;		/* back-off, or ticks when timer_driven */
	int		 have_timer;
	int		 backing_off;
	int		 timer_driven;	/* descriptors epoll cannot watch */
	int		 running;
	int		 failed;
	size_t		 period;	/* samples */
	size_t		 buffer;
	int16_t		 stage[AUDIO_MAX_FRAME];
	size_t		 have;		/* capture: staged; playback: left */
	size_t		 off;		/* playback: next sample to write */
	unsigned	 idle;
	double		 tokens;	/* samples the rate guard allows */
	uint64_t	 tok_time;
};

struct alsa_audio {
	struct alsa_dir	 cap;
	struct alsa_dir	 play;
};

static void	poll_cb(uv_poll_t *, int, int);
static void	tick_cb(uv_timer_t *);
static void	dir_fail(struct alsa_dir *, int);

static int
is_capture(const struct alsa_dir *d)
{
	return d->stream == SND_PCM_STREAM_CAPTURE;
}

/* ---- opening ---- */

/* alsa-lib's own messages would land on the terminal: log them instead. */
static void
alsa_lib_error(const char *file, int line, const char *fn, int err,
    const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_debug("alsa-lib: %s%s%s", msg, err != 0 ? ": " : "",
	    err != 0 ? snd_strerror(err) : "");
	(void)file;
	(void)line;
	(void)fn;
}

static int
no_cards(void)
{
	int card = -1;

	return snd_card_next(&card) < 0 || card < 0;
}

static int
set_params(struct alsa_dir *d, snd_pcm_t *pcm, const char *dev, char *err,
    size_t errlen)
{
	struct audio *a = d->a;
	snd_pcm_hw_params_t *hw;
	snd_pcm_sw_params_t *sw;
	snd_pcm_uframes_t period, buffer, start, avail;
	int r, dir = 0;
	const char *step;

	snd_pcm_hw_params_alloca(&hw);
	snd_pcm_sw_params_alloca(&sw);
	step = "no configuration";
	if ((r = snd_pcm_hw_params_any(pcm, hw)) < 0)
		goto fail;
	step = "rate resampling";
	if ((r = snd_pcm_hw_params_set_rate_resample(pcm, hw, 1)) < 0)
		goto fail;
	step = "interleaved access";
	if ((r = snd_pcm_hw_params_set_access(pcm, hw,
	    SND_PCM_ACCESS_RW_INTERLEAVED)) < 0)
		goto fail;
	step = "16-bit samples";
	if ((r = snd_pcm_hw_params_set_format(pcm, hw,
	    SND_PCM_FORMAT_S16)) < 0)
		goto fail;
	step = "one channel";
	if ((r = snd_pcm_hw_params_set_channels(pcm, hw, 1)) < 0)
		goto fail;
	step = "48000 Hz";
	if ((r = snd_pcm_hw_params_set_rate(pcm, hw, AUDIO_RATE, 0)) < 0)
		goto fail;
	/* A period of one frame or less; keep the hint if it cannot be. */
	period = a->frame;
	(void)snd_pcm_hw_params_set_period_size_max(pcm, hw, &period, &dir);
	period = a->frame;
	dir = 0;
	step = "period size";
	if ((r = snd_pcm_hw_params_set_period_size_near(pcm, hw, &period,
	    &dir)) < 0)
		goto fail;
	buffer = a->frame * ALSA_BUFFER_FRAMES;
	step = "buffer size";
	if ((r = snd_pcm_hw_params_set_buffer_size_near(pcm, hw,
	    &buffer)) < 0)
		goto fail;
	step = "hardware parameters";
	if ((r = snd_pcm_hw_params(pcm, hw)) < 0)
		goto fail;
	snd_pcm_hw_params_get_period_size(hw, &period, &dir);
	snd_pcm_hw_params_get_buffer_size(hw, &buffer);

	step = "software parameters";
	if ((r = snd_pcm_sw_params_current(pcm, sw)) < 0)
		goto fail;
	/* Playback wakes when a whole frame fits, capture per period. */
	avail = is_capture(d) || period >= a->frame ? period : a->frame;
	if (avail > buffer)
		avail = buffer;
	if ((r = snd_pcm_sw_params_set_avail_min(pcm, sw, avail)) < 0)
		goto fail;
	start = is_capture(d) ? 1 : a->frame * ALSA_PREFILL;
	if (start > buffer)
		start = buffer;
	if ((r = snd_pcm_sw_params_set_start_threshold(pcm, sw, start)) < 0)
		goto fail;
	if ((r = snd_pcm_sw_params(pcm, sw)) < 0)
		goto fail;
	d->period = period;
	d->buffer = buffer;
	return 0;
fail:
	return audio_error(err, errlen, E2_ERR_UNSUPPORTED,
	    "%s device \"%s\": cannot set %s for 48000 Hz mono 16-bit: %s",
	    d->what, dev, step, snd_strerror(r));
}

/* Opens dev for d (closed before); no handle is made yet. */
static int
dir_open(struct alsa_dir *d, const char *dev, char *err, size_t errlen)
{
	snd_pcm_t *pcm = NULL;
	struct pollfd *pfd = NULL;
	char *name = NULL;
	int r, n;

	if ((name = strdup(dev)) == NULL) {
		r = audio_error(err, errlen, E2_ERR_NOMEM, "out of memory");
		goto out;
	}
	if ((r = snd_pcm_open(&pcm, dev, d->stream, SND_PCM_NONBLOCK)) < 0) {
		r = audio_error(err, errlen, E2_ERR_IO,
		    "cannot open %s device \"%s\": %s%s", d->what, dev,
		    snd_strerror(r), no_cards() ?
		    " (no sound card: try --audio file or --audio null)" : "");
		pcm = NULL;
		goto out;
	}
	if ((r = set_params(d, pcm, dev, err, errlen)) < 0)
		goto out;
	if ((n = snd_pcm_poll_descriptors_count(pcm)) <= 0) {
		r = audio_error(err, errlen, E2_ERR_UNSUPPORTED,
		    "%s device \"%s\" has no descriptors to poll", d->what,
		    dev);
		goto out;
	}
	if ((pfd = calloc((size_t)n, sizeof(*pfd))) == NULL) {
		r = audio_error(err, errlen, E2_ERR_NOMEM, "out of memory");
		goto out;
	}
	if ((r = snd_pcm_poll_descriptors(pcm, pfd, (unsigned)n)) < 0) {
		r = audio_error(err, errlen, E2_ERR_IO,
		    "%s device \"%s\": %s", d->what, dev, snd_strerror(r));
		goto out;
	}
	d->pcm = pcm;
	d->pfd = pfd;
	d->npfd = n;
	free(d->dev);
	d->dev = name;
	d->gen++;
	d->failed = 0;
	d->have = d->off = 0;
	d->idle = 0;
	pcm = NULL;
	pfd = NULL;
	name = NULL;
	r = 0;
out:
	if (pcm != NULL)
		snd_pcm_close(pcm);
	free(pfd);
	free(name);
	return r;
}

static void
poll_closed_cb(uv_handle_t *h)
{
	struct alsa_poll *p = (struct alsa_poll *)h;
	struct audio *a = h->data;

	free(p);
	audio_handle_done(a);
}

/* Closes the poll handles (asynchronously; they free themselves). */
static void
polls_close(struct alsa_dir *d)
{
	int i;

	if (d->polls == NULL)
		return;
	for (i = 0; i < d->npfd; i++)
		if (d->polls[i] != NULL)
			uv_close((uv_handle_t *)&d->polls[i]->h,
			    poll_closed_cb);
	free(d->polls);
	d->polls = NULL;
}

/* One uv_poll_t per descriptor of the open pcm. */
static int
dir_watch(struct alsa_dir *d, char *err, size_t errlen)
{
	struct audio *a = d->a;
	struct alsa_poll *p;
	int i, r;

	d->timer_driven = 0;
	if ((d->polls = calloc((size_t)d->npfd, sizeof(*d->polls))) == NULL)
		return audio_error(err, errlen, E2_ERR_NOMEM, "out of memory");
	for (i = 0; i < d->npfd; i++) {
		if ((p = calloc(1, sizeof(*p))) == NULL) {
			r = audio_error(err, errlen, E2_ERR_NOMEM,
			    "out of memory");
			goto fail;
		}
		if ((r = uv_poll_init(a->loop, &p->h, d->pfd[i].fd)) ==
		    UV_EPERM) {
			/*
			 * A regular file or /dev/null (alsa-lib's file and
			 * null plugins): always ready, so a timer serves it.
			 */
			free(p);
			polls_close(d);
			d->timer_driven = 1;
			return 0;
		}
		if (r < 0) {
			free(p);
			r = audio_error(err, errlen, E2_ERR_IO,
			    "%s device \"%s\": cannot poll descriptor %d: %s",
			    d->what, d->dev, d->pfd[i].fd, uv_strerror(r));
			goto fail;
		}
		audio_handle_add(a, (uv_handle_t *)&p->h);
		p->d = d;
		p->idx = i;
		d->polls[i] = p;
	}
	return 0;
fail:
	polls_close(d);
	return r;
}

/* Closes the pcm now and its poll handles asynchronously. */
static void
dir_close_pcm(struct alsa_dir *d)
{
	polls_close(d);
	if (d->pcm != NULL)
		snd_pcm_close(d->pcm);
	d->pcm = NULL;
	free(d->pfd);
	d->pfd = NULL;
	d->npfd = 0;
	d->running = 0;
}

/* ---- polling, pacing guards ---- */

static void
poll_arm(struct alsa_dir *d)
{
	int i, ev;

	if (d->backing_off || d->failed || !d->running)
		return;
	if (d->timer_driven) {
		uv_timer_start(&d->timer, tick_cb, d->a->cfg.frame_ms,
		    d->a->cfg.frame_ms);
		return;
	}
	if (d->polls == NULL)
		return;
	for (i = 0; i < d->npfd; i++) {
		ev = 0;
		if (d->pfd[i].events & POLLIN)
			ev |= UV_READABLE;
		if (d->pfd[i].events & POLLOUT)
			ev |= UV_WRITABLE;
		if (d->pfd[i].events & POLLPRI)
			ev |= UV_PRIORITIZED;
		uv_poll_start(&d->polls[i]->h, ev, poll_cb);
	}
}

static void
poll_disarm(struct alsa_dir *d)
{
	int i;

	if (d->timer_driven && d->have_timer)
		uv_timer_stop(&d->timer);
	if (d->polls == NULL)
		return;
	for (i = 0; i < d->npfd; i++)
		uv_poll_stop(&d->polls[i]->h);
}

static void
backoff_cb(uv_timer_t *t)
{
	struct alsa_dir *d = (struct alsa_dir *)((char *)t -
	    offsetof(struct alsa_dir, timer));

	d->backing_off = 0;
	if (audio_live(d->a))
		poll_arm(d);
}

/* Leaves the device alone for a frame period. */
static void
backoff(struct alsa_dir *d)
{
	/* A timer-driven device waits a frame period anyway. */
	if (d->backing_off || d->timer_driven)
		return;
	d->backing_off = 1;
	d->idle = 0;
	poll_disarm(d);
	uv_timer_start(&d->timer, backoff_cb, d->a->cfg.frame_ms, 0);
}

static void
tokens_reset(struct alsa_dir *d)
{
	d->tokens = (double)(d->buffer + d->a->frame * ALSA_BURST_FRAMES);
	d->tok_time = uv_now(d->a->loop);
}

/* How many of want samples the rate guard allows now. */
static size_t
tokens_allow(struct alsa_dir *d, size_t want)
{
	uint64_t now = uv_now(d->a->loop);
	double cap = (double)(d->buffer + d->a->frame * ALSA_BURST_FRAMES);

	d->tokens += (double)(now - d->tok_time) * AUDIO_RATE / 1000.0 *
	    ALSA_RATE_SLACK;
	d->tok_time = now;
	if (d->tokens > cap)
		d->tokens = cap;
	if (d->tokens < 1.0)
		return 0;
	return d->tokens < (double)want ? (size_t)d->tokens : want;
}

/* ---- moving audio ---- */

static int
prefill(struct alsa_dir *d)
{
	size_t n = d->a->frame * ALSA_PREFILL;
	snd_pcm_sframes_t w;

	if (n > d->buffer)
		n = d->buffer;
	while (n > 0) {
		w = snd_pcm_writei(d->pcm, zeros,
		    n > AUDIO_MAX_FRAME ? AUDIO_MAX_FRAME : n);
		if (w == -EAGAIN)
			return 0;
		if (w < 0)
			return (int)w;
		n -= (size_t)w;
	}
	return 0;
}

/* After prepare: capture is started by hand, playback by its prefill. */
static int
restart(struct alsa_dir *d)
{
	int r;

	d->have = d->off = 0;
	if (is_capture(d)) {
		r = snd_pcm_start(d->pcm);
		return r == -EBADFD ? 0 : r;
	}
	return prefill(d);
}

/* Recovers from err (negative errno from ALSA); counts an xrun. */
static int
recover(struct alsa_dir *d, int err)
{
	int r;

	d->a->st.xruns++;
	if (err == -ESTRPIPE) {
		/* Suspended: resume if the device can, without waiting. */
		if ((r = snd_pcm_resume(d->pcm)) == -EAGAIN) {
			backoff(d);
			return 0;
		}
		if (r < 0 && (r = snd_pcm_prepare(d->pcm)) < 0)
			return r;
	} else if ((r = snd_pcm_recover(d->pcm, err, 1)) < 0)
		return r;
	return restart(d);
}

/* Handles POLLERR: what state is the device in? */
static void
check_state(struct alsa_dir *d)
{
	int r = 0;

	switch (snd_pcm_state(d->pcm)) {
	case SND_PCM_STATE_XRUN:
		r = recover(d, -EPIPE);
		break;
	case SND_PCM_STATE_SUSPENDED:
		r = recover(d, -ESTRPIPE);
		break;
	case SND_PCM_STATE_DISCONNECTED:
		r = -ENODEV;
		break;
	case SND_PCM_STATE_SETUP:
		if ((r = snd_pcm_prepare(d->pcm)) == 0)
			r = restart(d);
		break;
	default:
		break;
	}
	if (r < 0)
		dir_fail(d, r);
}

/* Returns samples moved, or -1 when the direction must not go on. */
static long
capture_read(struct alsa_dir *d)
{
	struct audio *a = d->a;
	unsigned gen = d->gen;
	size_t limit = d->buffer + a->frame, allow;
	long moved = 0;
	snd_pcm_sframes_t n;
	int r;

	while ((size_t)moved < limit) {
		if ((allow = tokens_allow(d, a->frame - d->have)) == 0) {
			backoff(d);
			break;
		}
		n = snd_pcm_readi(d->pcm, d->stage + d->have, allow);
		if (n == -EAGAIN || n == 0)
			break;
		if (n < 0) {
			if ((r = recover(d, (int)n)) < 0) {
				dir_fail(d, r);
				return -1;
			}
			break;
		}
		d->tokens -= (double)n;
		d->have += (size_t)n;
		moved += n;
		if (d->have == a->frame) {
			d->have = 0;
			a->st.captured++;
			a->cfg.capture_cb(a->cfg.cb_arg, d->stage, a->frame);
			if (!audio_live(a) || d->gen != gen)
				return -1;
		}
	}
	return moved;
}

static long
playback_write(struct alsa_dir *d)
{
	struct audio *a = d->a;
	unsigned gen = d->gen;
	size_t limit = d->buffer + a->frame;
	long moved = 0;
	snd_pcm_sframes_t n, avail;
	int r;

	while ((size_t)moved < limit) {
		if (d->have == 0) {
			if ((avail = snd_pcm_avail_update(d->pcm)) < 0) {
				if ((r = recover(d, (int)avail)) < 0) {
					dir_fail(d, r);
					return -1;
				}
				break;
			}
			/* A whole frame, or all of a smaller buffer. */
			if ((size_t)avail < a->frame &&
			    (size_t)avail < d->buffer)
				break;
			if (tokens_allow(d, a->frame) < a->frame) {
				backoff(d);
				break;
			}
			memset(d->stage, 0, a->frame * sizeof(d->stage[0]));
			a->st.played++;
			a->cfg.playback_cb(a->cfg.cb_arg, d->stage, a->frame);
			if (!audio_live(a) || d->gen != gen)
				return -1;
			d->tokens -= (double)a->frame;
			d->have = a->frame;
			d->off = 0;
		}
		n = snd_pcm_writei(d->pcm, d->stage + d->off, d->have);
		if (n == -EAGAIN || n == 0)
			break;
		if (n < 0) {
			/* The pending frame stays and follows the prefill. */
			if ((r = recover(d, (int)n)) < 0) {
				dir_fail(d, r);
				return -1;
			}
			break;
		}
		d->off += (size_t)n;
		d->have -= (size_t)n;
		moved += n;
	}
	return moved;
}

/* A wakeup: ALSA says what it means, then audio moves. */
static void
dir_service(struct alsa_dir *d, int rearm)
{
	unsigned short rev = 0;
	unsigned gen = d->gen;
	long moved = 0;
	int r;

	r = snd_pcm_poll_descriptors_revents(d->pcm, d->pfd,
	    (unsigned)d->npfd, &rev);
	if (r < 0) {
		dir_fail(d, r);
		return;
	}
	if (rev & (POLLERR | POLLNVAL | POLLHUP)) {
		check_state(d);
		if (d->failed)
			return;
	}
	if (is_capture(d) && (rev & POLLIN))
		moved = capture_read(d);
	else if (!is_capture(d) && (rev & POLLOUT))
		moved = playback_write(d);
	if (moved < 0 || d->gen != gen || !audio_live(d->a))
		return;
	if (moved == 0 && ++d->idle >= ALSA_IDLE_MAX)
		backoff(d);
	else if (moved > 0)
		d->idle = 0;
	if (rearm && !d->backing_off)
		poll_arm(d);
}

static void
poll_cb(uv_poll_t *h, int status, int events)
{
	struct alsa_poll *p = (struct alsa_poll *)h;
	struct alsa_dir *d = p->d;
	int i;

	if (!audio_live(d->a) || d->failed)
		return;
	for (i = 0; i < d->npfd; i++)
		d->pfd[i].revents = 0;
	if (status < 0) {
		/* libuv stopped this handle on POLLERR: ask ALSA why. */
		d->pfd[p->idx].revents = POLLERR;
	} else {
		if (events & UV_READABLE)
			d->pfd[p->idx].revents |= POLLIN;
		if (events & UV_WRITABLE)
			d->pfd[p->idx].revents |= POLLOUT;
		if (events & UV_PRIORITIZED)
			d->pfd[p->idx].revents |= POLLPRI;
		if (events & UV_DISCONNECT)
			d->pfd[p->idx].revents |= POLLHUP;
	}
	dir_service(d, status < 0);
}

/* Timer-driven devices: every descriptor counts as ready. */
static void
tick_cb(uv_timer_t *t)
{
	struct alsa_dir *d = (struct alsa_dir *)((char *)t -
	    offsetof(struct alsa_dir, timer));
	int i;

	if (!audio_live(d->a) || d->failed)
		return;
	for (i = 0; i < d->npfd; i++)
		d->pfd[i].revents = d->pfd[i].events;
	dir_service(d, 0);
}

/* ---- direction control ---- */

static void
dir_fail(struct alsa_dir *d, int err)
{
	if (d->failed)
		return;
	d->failed = 1;
	poll_disarm(d);
	log_error("%s device \"%s\": %s; %s stopped (switch devices to go "
	    "on)", d->what, d->dev, snd_strerror(err), d->what);
}

static int
dir_start(struct alsa_dir *d)
{
	int r;

	if (d->pcm == NULL || d->running)
		return 0;
	if (snd_pcm_state(d->pcm) != SND_PCM_STATE_PREPARED &&
	    (r = snd_pcm_prepare(d->pcm)) < 0)
		goto fail;
	if ((r = restart(d)) < 0)
		goto fail;
	d->running = 1;
	d->failed = 0;
	d->idle = 0;
	tokens_reset(d);
	poll_arm(d);
	return 0;
fail:
	log_error("%s device \"%s\": cannot start: %s", d->what, d->dev,
	    snd_strerror(r));
	return E2_ERR_IO;
}

static void
dir_stop(struct alsa_dir *d)
{
	if (d->pcm == NULL)
		return;
	poll_disarm(d);
	if (d->have_timer)
		uv_timer_stop(&d->timer);
	d->backing_off = 0;
	d->running = 0;
	(void)snd_pcm_drop(d->pcm);
}

static void
dir_init(struct audio *a, struct alsa_dir *d, snd_pcm_stream_t stream)
{
	d->a = a;
	d->stream = stream;
	d->what = stream == SND_PCM_STREAM_CAPTURE ? "capture" : "playback";
}

static void
dir_timer(struct alsa_dir *d)
{
	uv_timer_init(d->a->loop, &d->timer);
	audio_handle_add(d->a, (uv_handle_t *)&d->timer);
	d->have_timer = 1;
}

static int
alsa_open(struct audio *a, char *err, size_t errlen)
{
	struct alsa_audio *x;
	int r;

	if ((x = calloc(1, sizeof(*x))) == NULL)
		return audio_error(err, errlen, E2_ERR_NOMEM, "out of memory");
	a->priv = x;
	snd_lib_error_set_handler(alsa_lib_error);
	dir_init(a, &x->cap, SND_PCM_STREAM_CAPTURE);
	dir_init(a, &x->play, SND_PCM_STREAM_PLAYBACK);
	if (a->cfg.capture_cb != NULL && (r = dir_open(&x->cap,
	    a->cfg.capture_dev != NULL ? a->cfg.capture_dev : "default",
	    err, errlen)) < 0)
		return r;
	if (a->cfg.playback_cb != NULL && (r = dir_open(&x->play,
	    a->cfg.playback_dev != NULL ? a->cfg.playback_dev : "default",
	    err, errlen)) < 0)
		return r;
	/* Handles only once every device opened. */
	dir_timer(&x->cap);
	dir_timer(&x->play);
	if (x->cap.pcm != NULL && (r = dir_watch(&x->cap, err, errlen)) < 0)
		return r;
	if (x->play.pcm != NULL && (r = dir_watch(&x->play, err, errlen)) < 0)
		return r;
	return 0;
}

static int
alsa_start(struct audio *a)
{
	struct alsa_audio *x = a->priv;
	int r;

	if ((r = dir_start(&x->play)) < 0)
		return r;
	if ((r = dir_start(&x->cap)) < 0) {
		dir_stop(&x->play);
		return r;
	}
	return 0;
}

static int
alsa_stop(struct audio *a)
{
	struct alsa_audio *x = a->priv;

	dir_stop(&x->cap);
	dir_stop(&x->play);
	return 0;
}

static void
dir_close(struct alsa_dir *d)
{
	dir_close_pcm(d);
	if (d->have_timer)
		audio_handle_close((uv_handle_t *)&d->timer);
	d->have_timer = 0;
}

static void
alsa_close(struct audio *a)
{
	struct alsa_audio *x = a->priv;

	if (x == NULL)
		return;
	dir_close(&x->cap);
	dir_close(&x->play);
}

static void
alsa_free(struct audio *a)
{
	struct alsa_audio *x = a->priv;

	if (x != NULL) {
		free(x->cap.dev);
		free(x->play.dev);
	}
	free(x);
	a->priv = NULL;
}

/* Closes d's device and opens dev; on failure tries the old one again. */
static int
dir_switch(struct alsa_dir *d, const char *dev, char *err, size_t errlen)
{
	struct audio *a = d->a;
	char *old = d->dev;
	int was = d->running, r, r2;
	size_t len;

	d->dev = NULL;
	dir_stop(d);
	dir_close_pcm(d);
	if ((r = dir_open(d, dev, err, errlen)) < 0) {
		if (old != NULL && dir_open(d, old, NULL, 0) == 0) {
			len = err != NULL ? strlen(err) : 0;
			if (len < errlen)
				snprintf(err + len, errlen - len,
				    "; still using \"%s\"", old);
		} else if (err != NULL) {
			len = strlen(err);
			if (len < errlen)
				snprintf(err + len, errlen - len,
				    "; no %s device now", d->what);
		}
	}
	free(old);
	if (d->pcm == NULL)
		return r;
	if ((r2 = dir_watch(d, r < 0 ? NULL : err, errlen)) < 0) {
		dir_fail(d, -EIO);
		return r < 0 ? r : r2;
	}
	if (was && audio_live(a))
		dir_start(d);
	return r;
}

static int
alsa_switch(struct audio *a, const char *capture_dev,
    const char *playback_dev, char *err, size_t errlen)
{
	struct alsa_audio *x = a->priv;
	int r;

	if (capture_dev != NULL && a->cfg.capture_cb != NULL &&
	    (r = dir_switch(&x->cap, capture_dev, err, errlen)) < 0)
		return r;
	if (playback_dev != NULL && a->cfg.playback_cb != NULL &&
	    (r = dir_switch(&x->play, playback_dev, err, errlen)) < 0)
		return r;
	return 0;
}

const struct audio_backend audio_backend_alsa = {
	.name = "alsa",
	.open = alsa_open,
	.start = alsa_start,
	.stop = alsa_stop,
	.close = alsa_close,
	.free = alsa_free,
	.switch_dev = alsa_switch,
};
