/*
 * audio_file.c - WAV files as microphone and speaker, in real time.
 *
 * play_file is the microphone: every frame period the next frame of the
 * file goes to the capture callback; after its end, silence (stats.eof is
 * set) or, with loop_play, the file again.  It must be 48 kHz; more than
 * one channel is mixed down to mono.  record_file is the speaker: every
 * frame period one frame is pulled from the playback callback and written,
 * so the recording keeps time.  Written as WAV, 48 kHz mono 16-bit, made
 * whole by audio_close().  Without play_file the capture callback gets
 * silence; without record_file the pulled frames are dropped (the null
 * backend's behaviour), so the same pipeline runs either way.
 */
#include <stdlib.h>
#include <string.h>

#include <sndfile.h>

#include "audio.h"
#include "audio_int.h"
#include "err.h"
#include "log.h"

#define FILE_MAX_CHANNELS	16

struct file_audio {
	struct audio_pacer pacer;
	int		 have_pacer;
	SNDFILE		*in;
	int		 channels;	/* of in */
	int16_t		*inbuf;		/* frame * channels samples */
	SNDFILE		*out;
	int		 out_failed;
	int16_t		 pcm[AUDIO_MAX_FRAME];
};

/* Reads up to n mono samples of play_file into pcm; returns how many. */
static size_t
file_read(struct audio *a, struct file_audio *f, int16_t *pcm, size_t n)
{
	size_t got = 0, i;
	sf_count_t r;
	int rewound = 0, c;
	long sum;

	while (got < n) {
		r = sf_readf_short(f->in, f->inbuf, (sf_count_t)(n - got));
		if (r <= 0) {
			if (sf_error(f->in) != SF_ERR_NO_ERROR) {
				log_error("%s: read failed: %s",
				    a->cfg.play_file, sf_strerror(f->in));
				a->st.eof = 1;
				break;
			}
			/* End of file; an empty file ends even when looping. */
			if (!a->cfg.loop_play || rewound ||
			    sf_seek(f->in, 0, SEEK_SET) < 0) {
				a->st.eof = 1;
				break;
			}
			rewound = 1;
			continue;
		}
		rewound = 0;
		for (i = 0; i < (size_t)r; i++) {
			sum = 0;
			for (c = 0; c < f->channels; c++)
				sum += f->inbuf[i * f->channels + c];
			pcm[got + i] = (int16_t)(sum / f->channels);
		}
		got += (size_t)r;
	}
	return got;
}

static void
file_write(struct audio *a, struct file_audio *f, const int16_t *pcm,
    size_t n)
{
	if (f->out_failed)
		return;
	if (sf_writef_short(f->out, pcm, (sf_count_t)n) != (sf_count_t)n) {
		log_error("%s: write failed: %s; recording stopped",
		    a->cfg.record_file, sf_strerror(f->out));
		f->out_failed = 1;
	}
}

static void
file_frame(struct audio *a)
{
	struct file_audio *f = a->priv;
	size_t got = 0;

	if (a->cfg.capture_cb != NULL) {
		if (f->in != NULL && !a->st.eof)
			got = file_read(a, f, f->pcm, a->frame);
		memset(f->pcm + got, 0, (a->frame - got) * sizeof(f->pcm[0]));
		a->st.captured++;
		a->cfg.capture_cb(a->cfg.cb_arg, f->pcm, a->frame);
		if (!audio_live(a))
			return;
	}
	if (a->cfg.playback_cb != NULL || f->out != NULL) {
		memset(f->pcm, 0, a->frame * sizeof(f->pcm[0]));
		a->st.played++;
		if (a->cfg.playback_cb != NULL)
			a->cfg.playback_cb(a->cfg.cb_arg, f->pcm, a->frame);
		/* After a close from the callback the file is gone. */
		if (f->out != NULL)
			file_write(a, f, f->pcm, a->frame);
	}
}

static int
open_play(struct audio *a, struct file_audio *f, char *err, size_t errlen)
{
	const char *path = a->cfg.play_file;
	SF_INFO info;

	memset(&info, 0, sizeof(info));
	if ((f->in = sf_open(path, SFM_READ, &info)) == NULL)
		return audio_error(err, errlen, E2_ERR_IO,
		    "cannot open %s: %s", path, sf_strerror(NULL));
	if (info.samplerate != AUDIO_RATE)
		return audio_error(err, errlen, E2_ERR_UNSUPPORTED,
		    "%s: sample rate %d Hz, need %d Hz (convert it, e.g. "
		    "sox %s -r 48000 -c 1 out.wav)", path, info.samplerate,
		    AUDIO_RATE, path);
	if (info.channels < 1 || info.channels > FILE_MAX_CHANNELS)
		return audio_error(err, errlen, E2_ERR_UNSUPPORTED,
		    "%s: %d channels, at most %d can be mixed to mono",
		    path, info.channels, FILE_MAX_CHANNELS);
	f->channels = info.channels;
	f->inbuf = calloc(a->frame * (size_t)f->channels, sizeof(int16_t));
	if (f->inbuf == NULL)
		return audio_error(err, errlen, E2_ERR_NOMEM, "out of memory");
	return 0;
}

static int
open_record(struct audio *a, struct file_audio *f, char *err, size_t errlen)
{
	SF_INFO info;

	memset(&info, 0, sizeof(info));
	info.samplerate = AUDIO_RATE;
	info.channels = 1;
	info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
	if ((f->out = sf_open(a->cfg.record_file, SFM_WRITE, &info)) == NULL)
		return audio_error(err, errlen, E2_ERR_IO,
		    "cannot create %s: %s", a->cfg.record_file,
		    sf_strerror(NULL));
	return 0;
}

static int
file_open(struct audio *a, char *err, size_t errlen)
{
	struct file_audio *f;
	int r;

	if ((f = calloc(1, sizeof(*f))) == NULL)
		return audio_error(err, errlen, E2_ERR_NOMEM, "out of memory");
	a->priv = f;
	if (a->cfg.play_file != NULL &&
	    (r = open_play(a, f, err, errlen)) < 0)
		return r;
	if (a->cfg.record_file != NULL &&
	    (r = open_record(a, f, err, errlen)) < 0)
		return r;
	/* Last: a failed open leaves no handle to wait for. */
	audio_pacer_init(a, &f->pacer, file_frame);
	f->have_pacer = 1;
	return 0;
}

static int
file_start(struct audio *a)
{
	struct file_audio *f = a->priv;

	audio_pacer_start(&f->pacer);
	return 0;
}

static int
file_stop(struct audio *a)
{
	struct file_audio *f = a->priv;

	audio_pacer_stop(&f->pacer);
	return 0;
}

static void
file_close(struct audio *a)
{
	struct file_audio *f = a->priv;
	int r;

	if (f == NULL)
		return;
	if (f->in != NULL)
		sf_close(f->in);
	f->in = NULL;
	if (f->out != NULL && (r = sf_close(f->out)) != 0)
		log_error("%s: closing the recording failed: %s",
		    a->cfg.record_file, sf_error_number(r));
	f->out = NULL;
	if (f->have_pacer)
		audio_pacer_close(&f->pacer);
}

static void
file_free(struct audio *a)
{
	struct file_audio *f = a->priv;

	if (f != NULL)
		free(f->inbuf);
	free(f);
	a->priv = NULL;
}

const struct audio_backend audio_backend_file = {
	.name = "file",
	.open = file_open,
	.start = file_start,
	.stop = file_stop,
	.close = file_close,
	.free = file_free,
	.switch_dev = NULL,
};
