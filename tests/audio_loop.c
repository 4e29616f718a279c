/*
 * audio_loop.c - test helper: drives an audio backend in real time.
 *
 *	audio_loop [-b BACKEND] [-f FRAME_MS] [-c CAPDEV] [-p PLAYDEV]
 *	    [-i IN.wav] [-o OUT.wav] [-d DELAY_S] [-s SWITCH_AT_S]
 *	    [-k STALL_AT_S] [-t SECONDS]
 *
 * Plays IN.wav (48 kHz mono) through the backend's playback, after DELAY_S
 * seconds of silence, writes what the backend captures to OUT.wav, and
 * stops after SECONDS.  With -s the devices are switched (closed and
 * reopened with the same names) at SWITCH_AT_S.  With -k the loop is
 * blocked for STALL_MS at STALL_AT_S, as a busy machine would, to provoke
 * xruns.  Prints one line:
 * "elapsed_ms=N captured=N played=N xruns=N switch=RESULT cpu_ms=N".
 *
 *	audio_loop -x REF.wav CAP.wav
 *
 * Finds the lag at which CAP.wav best matches REF.wav (normalised cross
 * correlation) and prints "lag_ms=N corr=X ref_rms=X cap_rms=X".
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <sndfile.h>
#include <uv.h>

#include "audio.h"
#include "err.h"

struct loop_state {
	struct audio	*audio;
	int16_t		*in;
	size_t		 nin, pos, delay;
	SNDFILE		*out;
	const char	*capdev, *playdev;
	int		 switch_result;
	int		 switched;
};

static int16_t *
read_wav(const char *path, size_t *np)
{
	SF_INFO info;
	SNDFILE *sf;
	int16_t *buf;

	memset(&info, 0, sizeof(info));
	if ((sf = sf_open(path, SFM_READ, &info)) == NULL) {
		fprintf(stderr, "audio_loop: %s: %s\n", path, sf_strerror(NULL));
		return NULL;
	}
	if (info.channels != 1 || info.samplerate != AUDIO_RATE) {
		fprintf(stderr, "audio_loop: %s: need 48 kHz mono\n", path);
		sf_close(sf);
		return NULL;
	}
	if ((buf = calloc((size_t)info.frames + 1, sizeof(*buf))) == NULL) {
		sf_close(sf);
		return NULL;
	}
	*np = (size_t)sf_readf_short(sf, buf, info.frames);
	sf_close(sf);
	return buf;
}

static void
on_capture(void *arg, const int16_t *pcm, size_t n)
{
	struct loop_state *s = arg;

	if (s->out != NULL)
		sf_writef_short(s->out, pcm, (sf_count_t)n);
}

static void
on_playback(void *arg, int16_t *pcm, size_t n)
{
	struct loop_state *s = arg;
	size_t i;

	for (i = 0; i < n; i++, s->pos++) {
		if (s->pos < s->delay || s->pos - s->delay >= s->nin)
			pcm[i] = 0;
		else
			pcm[i] = s->in[s->pos - s->delay];
	}
}

static void
on_switch(uv_timer_t *t)
{
	struct loop_state *s = t->data;
	char err[256];

	s->switched = 1;
	s->switch_result = audio_switch(s->audio, s->capdev, s->playdev, err,
	    sizeof(err));
	if (s->switch_result < 0)
		fprintf(stderr, "audio_loop: switch: %s\n", err);
}

#define STALL_MS	300

static void
on_stall(uv_timer_t *t)
{
	(void)t;
	usleep(STALL_MS * 1000);
}

static void
on_end(uv_timer_t *t)
{
	uv_stop(t->loop);
}

static void
close_cb(uv_handle_t *h)
{
	(void)h;
}

static double
wav_rms(const int16_t *x, size_t n)
{
	double e = 0;
	size_t i;

	for (i = 0; i < n; i++)
		e += (double)x[i] * x[i];
	return n > 0 ? sqrt(e / (double)n) : 0;
}

/* Normalised correlation of ref against cap shifted by lag samples. */
static double
corr_at(const float *ref, size_t nref, const float *cap, size_t ncap,
    size_t lag)
{
	double xy = 0, yy = 0, xx = 0;
	size_t i;

	for (i = 0; i < nref && i + lag < ncap; i++) {
		xy += (double)ref[i] * cap[i + lag];
		xx += (double)ref[i] * ref[i];
		yy += (double)cap[i + lag] * cap[i + lag];
	}
	return xx > 0 && yy > 0 ? xy / sqrt(xx * yy) : 0;
}

static float *
to_float(const int16_t *x, size_t n, size_t step, size_t *np)
{
	float *f;
	size_t i, j;

	*np = n / step;
	if ((f = calloc(*np + 1, sizeof(*f))) == NULL)
		return NULL;
	for (i = 0; i < *np; i++) {
		/* Decimate by averaging: a crude low-pass is enough here. */
		for (j = 0; j < step; j++)
			f[i] += x[i * step + j];
		f[i] /= (float)step;
	}
	return f;
}

static int
xcorr(const char *refpath, const char *cappath)
{
	int16_t *ref, *cap;
	size_t nref = 0, ncap = 0, nr, nc, lag, best = 0, lo, hi;
	float *rf, *cf;
	double c, bestc = -2;
	const size_t dec = 6;

	if ((ref = read_wav(refpath, &nref)) == NULL ||
	    (cap = read_wav(cappath, &ncap)) == NULL)
		return 1;
	/* Coarse search at 8 kHz over every lag, then fine at 48 kHz. */
	if ((rf = to_float(ref, nref, dec, &nr)) == NULL ||
	    (cf = to_float(cap, ncap, dec, &nc)) == NULL)
		return 1;
	for (lag = 0; lag < nc; lag++) {
		c = corr_at(rf, nr, cf, nc, lag);
		if (c > bestc) {
			bestc = c;
			best = lag;
		}
	}
	free(rf);
	free(cf);
	if ((rf = to_float(ref, nref, 1, &nr)) == NULL ||
	    (cf = to_float(cap, ncap, 1, &nc)) == NULL)
		return 1;
	lo = best * dec > 2 * dec ? best * dec - 2 * dec : 0;
	hi = best * dec + 2 * dec;
	bestc = -2;
	for (lag = lo; lag <= hi && lag < nc; lag++) {
		c = corr_at(rf, nr, cf, nc, lag);
		if (c > bestc) {
			bestc = c;
			best = lag;
		}
	}
	printf("lag_ms=%.1f corr=%.3f ref_rms=%.1f cap_rms=%.1f\n",
	    (double)best * 1000.0 / AUDIO_RATE, bestc, wav_rms(ref, nref),
	    wav_rms(cap, ncap));
	free(rf);
	free(cf);
	free(ref);
	free(cap);
	return 0;
}

static double
cpu_ms(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec * 1000 + ru.ru_utime.tv_usec / 1000.0 +
	    (double)ru.ru_stime.tv_sec * 1000 + ru.ru_stime.tv_usec / 1000.0;
}

int
main(int argc, char **argv)
{
	struct loop_state s;
	struct audio_cfg cfg;
	struct audio_stats st;
	uv_loop_t loop;
	uv_timer_t end, sw, stall;
	SF_INFO info;
	const char *inpath = NULL, *outpath = NULL;
	double seconds = 3, delay = 0, switch_at = -1, stall_at = -1, cpu0;
	uint64_t t0;
	char err[256];
	int ch, r;

	memset(&s, 0, sizeof(s));
	memset(&cfg, 0, sizeof(cfg));
	cfg.backend = "alsa";
	cfg.frame_ms = 20;
	if (argc == 4 && strcmp(argv[1], "-x") == 0)
		return xcorr(argv[2], argv[3]);
	while ((ch = getopt(argc, argv, "b:f:c:p:i:o:d:s:k:t:")) != -1) {
		switch (ch) {
		case 'b': cfg.backend = optarg; break;
		case 'f': cfg.frame_ms = (unsigned)atoi(optarg); break;
		case 'c': cfg.capture_dev = optarg; break;
		case 'p': cfg.playback_dev = optarg; break;
		case 'i': inpath = optarg; break;
		case 'o': outpath = optarg; break;
		case 'd': delay = atof(optarg); break;
		case 's': switch_at = atof(optarg); break;
		case 'k': stall_at = atof(optarg); break;
		case 't': seconds = atof(optarg); break;
		default:
			fprintf(stderr, "usage: see tests/audio_loop.c\n");
			return 2;
		}
	}
	if (inpath != NULL && (s.in = read_wav(inpath, &s.nin)) == NULL)
		return 1;
	if (outpath != NULL) {
		memset(&info, 0, sizeof(info));
		info.samplerate = AUDIO_RATE;
		info.channels = 1;
		info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
		if ((s.out = sf_open(outpath, SFM_WRITE, &info)) == NULL) {
			fprintf(stderr, "audio_loop: %s: %s\n", outpath,
			    sf_strerror(NULL));
			return 1;
		}
	}
	s.delay = (size_t)(delay * AUDIO_RATE);
	s.capdev = cfg.capture_dev;
	s.playdev = cfg.playback_dev;
	cfg.capture_cb = on_capture;
	cfg.playback_cb = on_playback;
	cfg.cb_arg = &s;
	uv_loop_init(&loop);
	if ((r = audio_open(&s.audio, &loop, &cfg, err, sizeof(err))) < 0) {
		fprintf(stderr, "audio_loop: %s (%s)\n", err, e2_strerror(r));
		return 1;
	}
	uv_timer_init(&loop, &end);
	uv_timer_init(&loop, &sw);
	uv_timer_init(&loop, &stall);
	sw.data = &s;
	uv_update_time(&loop);
	t0 = uv_hrtime();
	cpu0 = cpu_ms();
	if ((r = audio_start(s.audio)) < 0) {
		fprintf(stderr, "audio_loop: start: %s\n", e2_strerror(r));
		return 1;
	}
	uv_timer_start(&end, on_end, (uint64_t)(seconds * 1000), 0);
	if (switch_at >= 0)
		uv_timer_start(&sw, on_switch, (uint64_t)(switch_at * 1000), 0);
	if (stall_at >= 0)
		uv_timer_start(&stall, on_stall, (uint64_t)(stall_at * 1000),
		    0);
	uv_run(&loop, UV_RUN_DEFAULT);
	audio_get_stats(s.audio, &st);
	printf("elapsed_ms=%.0f captured=%llu played=%llu xruns=%llu "
	    "switch=%s cpu_ms=%.0f\n", (double)(uv_hrtime() - t0) / 1e6,
	    (unsigned long long)st.captured, (unsigned long long)st.played,
	    (unsigned long long)st.xruns,
	    !s.switched ? "none" : s.switch_result == 0 ? "ok" : "failed",
	    cpu_ms() - cpu0);
	audio_close(s.audio);
	uv_close((uv_handle_t *)&end, close_cb);
	uv_close((uv_handle_t *)&sw, close_cb);
	uv_close((uv_handle_t *)&stall, close_cb);
	uv_run(&loop, UV_RUN_DEFAULT);
	r = uv_loop_close(&loop);
	if (s.out != NULL)
		sf_close(s.out);
	free(s.in);
	if (r != 0) {
		fprintf(stderr, "audio_loop: loop not empty at exit\n");
		return 1;
	}
	return s.switched && s.switch_result != 0 ? 1 : 0;
}
