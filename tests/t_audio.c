/*
 * t_audio.c - the audio backends on a real libuv loop: the file backend's
 * frames, pacing and recording, the null backend's pacing, error messages,
 * stop/start, close from a callback, and ALSA's open errors and its guard
 * against devices that are not paced by a clock (alsa-lib's null plugin).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include <cmocka.h>

#include <sndfile.h>
#include <uv.h>

#include "audio.h"
#include "err.h"

#define TONE_LEN	48000		/* 1 s */
#define MAX_CAP		(48000 * 4)

static char	tmpdir[] = "/tmp/t_audio.XXXXXX";

struct rec {
	uv_loop_t	*loop;
	struct audio	*a;
	int16_t		 cap[MAX_CAP];
	size_t		 ncap;		/* samples */
	size_t		 ncapcb;	/* capture callbacks */
	size_t		 nplaycb;	/* playback callbacks */
	size_t		 played;	/* samples supplied */
	int		 pattern;	/* playback_cb fills pat() */
	uint64_t	 t_start;
	uint64_t	 t_eof;
	size_t		 eof_frame;	/* capture frame where eof showed */
	size_t		 close_after;	/* close this many frames after eof */
	size_t		 close_at;	/* or at this capture frame */
	size_t		 stop_at;	/* stop at this capture frame */
	size_t		 stall_at[2];	/* block the loop at these frames */
	unsigned	 stall_ms[2];
	struct audio_stats st;		/* at the close from the callback */
	int		 closed;
	int		 cb_after_close;
};

static int16_t
tone(size_t i)
{
	return (int16_t)(lrint(8000.0 * sin(2 * M_PI * 440.0 * (double)i /
	    48000.0)) + (long)(i % 7));
}

static int16_t
pat(size_t i)
{
	return (int16_t)((long)((i * 7) % 20001) - 10000);
}

static char *
path_in_tmp(const char *name)
{
	static char buf[4][512];
	static int n;

	n = (n + 1) % 4;
	snprintf(buf[n], sizeof(buf[n]), "%s/%s", tmpdir, name);
	return buf[n];
}

/* Writes n frames of fn(i) per channel at rate to path. */
static void
write_wav(const char *path, int rate, int channels, size_t n,
    int16_t (*fn)(size_t), int16_t right)
{
	SF_INFO info;
	SNDFILE *sf;
	int16_t *buf;
	size_t i;
	int c;

	memset(&info, 0, sizeof(info));
	info.samplerate = rate;
	info.channels = channels;
	info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
	assert_non_null(sf = sf_open(path, SFM_WRITE, &info));
	assert_non_null(buf = calloc(n * (size_t)channels, sizeof(*buf)));
	for (i = 0; i < n; i++)
		for (c = 0; c < channels; c++)
			buf[i * (size_t)channels + (size_t)c] =
			    c == 0 ? fn(i) : right;
	assert_int_equal(sf_writef_short(sf, buf, (sf_count_t)n),
	    (sf_count_t)n);
	assert_int_equal(sf_close(sf), 0);
	free(buf);
}

static int16_t *
read_wav(const char *path, size_t *np)
{
	SF_INFO info;
	SNDFILE *sf;
	int16_t *buf;

	memset(&info, 0, sizeof(info));
	assert_non_null(sf = sf_open(path, SFM_READ, &info));
	assert_int_equal(info.samplerate, 48000);
	assert_int_equal(info.channels, 1);
	assert_int_equal(info.format, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
	assert_non_null(buf = calloc((size_t)info.frames + 1, sizeof(*buf)));
	*np = (size_t)sf_readf_short(sf, buf, info.frames);
	assert_int_equal(*np, (size_t)info.frames);
	sf_close(sf);
	return buf;
}

static void
close_audio(struct rec *r)
{
	audio_get_stats(r->a, &r->st);
	r->closed = 1;
	audio_close(r->a);
}

static void
on_capture(void *arg, const int16_t *pcm, size_t n)
{
	struct rec *r = arg;
	struct audio_stats st;
	size_t i;

	if (r->closed)
		r->cb_after_close++;
	assert_true(r->ncap + n <= MAX_CAP);
	memcpy(r->cap + r->ncap, pcm, n * sizeof(*pcm));
	r->ncap += n;
	r->ncapcb++;
	audio_get_stats(r->a, &st);
	if (st.eof && r->t_eof == 0) {
		r->t_eof = uv_hrtime();
		r->eof_frame = r->ncapcb;
	}
	for (i = 0; i < 2; i++)
		if (r->stall_at[i] != 0 && r->ncapcb == r->stall_at[i])
			usleep(r->stall_ms[i] * 1000);
	if (r->stop_at != 0 && r->ncapcb == r->stop_at) {
		assert_int_equal(audio_stop(r->a), 0);
		uv_stop(r->loop);
	}
	if ((r->close_at != 0 && r->ncapcb == r->close_at) ||
	    (r->close_after != 0 && r->t_eof != 0 &&
	    r->ncapcb == r->eof_frame + r->close_after))
		close_audio(r);
}

static void
on_playback(void *arg, int16_t *pcm, size_t n)
{
	struct rec *r = arg;
	size_t i;

	if (r->closed)
		r->cb_after_close++;
	if (r->pattern)
		for (i = 0; i < n; i++)
			pcm[i] = pat(r->played + i);
	r->played += n;
	r->nplaycb++;
}

static struct rec *
rec_new(uv_loop_t *loop)
{
	struct rec *r;

	assert_non_null(r = calloc(1, sizeof(*r)));
	assert_int_equal(uv_loop_init(loop), 0);
	r->loop = loop;
	return r;
}

static void
base_cfg(struct audio_cfg *cfg, const char *backend, unsigned ms,
    struct rec *r)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->backend = backend;
	cfg->frame_ms = ms;
	cfg->capture_cb = on_capture;
	cfg->playback_cb = on_playback;
	cfg->cb_arg = r;
}

/* Runs until the audio closed itself from a callback; the loop empties. */
static void
run_to_close(struct rec *r)
{
	r->t_start = uv_hrtime();
	assert_int_equal(audio_start(r->a), 0);
	assert_int_equal(uv_run(r->loop, UV_RUN_DEFAULT), 0);
	assert_true(r->closed);
	assert_int_equal(r->cb_after_close, 0);
	assert_int_equal(uv_loop_close(r->loop), 0);
}

static void
timer_close_cb(uv_timer_t *t)
{
	struct rec *r = t->data;

	close_audio(r);
	uv_close((uv_handle_t *)t, NULL);
}

/* Runs for ms of loop time, then closes; returns the elapsed seconds. */
static double
run_for(struct rec *r, uint64_t ms)
{
	uv_timer_t t;
	uint64_t t0;

	uv_timer_init(r->loop, &t);
	t.data = r;
	uv_update_time(r->loop);
	t0 = uv_hrtime();
	assert_int_equal(audio_start(r->a), 0);
	uv_timer_start(&t, timer_close_cb, ms, 0);
	assert_int_equal(uv_run(r->loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(r->cb_after_close, 0);
	assert_int_equal(uv_loop_close(r->loop), 0);
	return (double)(uv_hrtime() - t0) / 1e9;
}

/* ---- file backend ---- */

static void
test_file_play_record(void **state)
{
	uv_loop_t loop;
	struct rec *r = rec_new(&loop);
	struct audio_cfg cfg;
	char err[256];
	const char *in = path_in_tmp("tone.wav");
	const char *out = path_in_tmp("rec.wav");
	int16_t *got;
	size_t i, n;
	double secs;

	(void)state;
	write_wav(in, 48000, 1, TONE_LEN, tone, 0);
	base_cfg(&cfg, "file", 20, r);
	cfg.play_file = in;
	cfg.record_file = out;
	r->pattern = 1;
	r->close_after = 10;
	assert_int_equal(audio_open(&r->a, &loop, &cfg, err, sizeof(err)), 0);
	run_to_close(r);

	/* 50 frames of the file, then silence from frame 51 with eof. */
	assert_int_equal(r->eof_frame, TONE_LEN / 960 + 1);
	assert_int_equal(r->ncapcb, r->eof_frame + 10);
	assert_int_equal(r->ncap, r->ncapcb * 960);
	for (i = 0; i < TONE_LEN; i++)
		if (r->cap[i] != tone(i))
			fail_msg("capture sample %zu: %d, file has %d", i,
			    r->cap[i], tone(i));
	for (; i < r->ncap; i++)
		assert_int_equal(r->cap[i], 0);
	assert_true(r->st.eof);
	assert_int_equal(r->st.captured, r->ncapcb);

	/* Real time: the 51st frame is due 1.02 s after start. */
	secs = (double)(r->t_eof - r->t_start) / 1e9;
	print_message("file: 1 s of audio took %.3f s\n", secs);
	assert_true(secs > 0.8 && secs < 1.5);

	/* Closed from the capture callback: that frame was not played. */
	assert_int_equal(r->st.played, r->ncapcb - 1);
	assert_int_equal(r->nplaycb, r->st.played);
	got = read_wav(out, &n);
	assert_int_equal(n, r->st.played * 960);
	for (i = 0; i < n; i++)
		if (got[i] != pat(i))
			fail_msg("recorded sample %zu: %d, played %d", i,
			    got[i], pat(i));
	free(got);
	free(r);
}

static void
test_file_record_keeps_time(void **state)
{
	uv_loop_t loop;
	struct rec *r = rec_new(&loop);
	struct audio_cfg cfg;
	char err[256];
	const char *out = path_in_tmp("silence.wav");
	int16_t *got;
	size_t i, n, expect;
	double secs;

	(void)state;
	/* Record only, nothing played: silence that keeps time. */
	base_cfg(&cfg, "file", 10, r);
	cfg.capture_cb = NULL;
	cfg.playback_cb = NULL;
	cfg.record_file = out;
	assert_int_equal(audio_open(&r->a, &loop, &cfg, err, sizeof(err)), 0);
	secs = run_for(r, 400);
	expect = (size_t)(secs * 100);
	print_message("record only: %.3f s, %llu frames\n", secs,
	    (unsigned long long)r->st.played);
	assert_true(r->st.played + 3 >= expect && r->st.played <= expect + 1);
	assert_int_equal(r->st.captured, 0);
	assert_int_equal(r->ncapcb, 0);
	got = read_wav(out, &n);
	assert_int_equal(n, r->st.played * 480);
	for (i = 0; i < n; i++)
		assert_int_equal(got[i], 0);
	free(got);
	free(r);
}

static void
test_file_loop_play(void **state)
{
	uv_loop_t loop;
	struct rec *r = rec_new(&loop);
	struct audio_cfg cfg;
	char err[256];
	const char *in = path_in_tmp("short.wav");
	size_t i;

	(void)state;
	/* 1000 samples: the file wraps around inside frames, many times. */
	write_wav(in, 48000, 1, 1000, tone, 0);
	base_cfg(&cfg, "file", 20, r);
	cfg.playback_cb = NULL;
	cfg.play_file = in;
	cfg.loop_play = 1;
	r->close_at = 13;
	assert_int_equal(audio_open(&r->a, &loop, &cfg, err, sizeof(err)), 0);
	run_to_close(r);
	assert_int_equal(r->ncap, 13 * 960);
	for (i = 0; i < r->ncap; i++)
		if (r->cap[i] != tone(i % 1000))
			fail_msg("looped sample %zu: %d, want %d", i, r->cap[i],
			    tone(i % 1000));
	assert_false(r->st.eof);
	assert_int_equal(r->st.played, 0);
	assert_int_equal(r->nplaycb, 0);
	free(r);
}

static void
test_file_empty_loop(void **state)
{
	uv_loop_t loop;
	struct rec *r = rec_new(&loop);
	struct audio_cfg cfg;
	char err[256];
	const char *in = path_in_tmp("empty.wav");
	size_t i;

	(void)state;
	/* An empty file with loop_play: silence and eof, no endless loop. */
	write_wav(in, 48000, 1, 0, tone, 0);
	base_cfg(&cfg, "file", 20, r);
	cfg.play_file = in;
	cfg.loop_play = 1;
	r->close_at = 3;
	assert_int_equal(audio_open(&r->a, &loop, &cfg, err, sizeof(err)), 0);
	run_to_close(r);
	for (i = 0; i < r->ncap; i++)
		assert_int_equal(r->cap[i], 0);
	assert_true(r->st.eof);
	assert_int_equal(r->eof_frame, 1);
	free(r);
}

static int16_t
left(size_t i)
{
	return (int16_t)(1000 + (long)(i % 100));
}

static void
test_file_stereo_downmix(void **state)
{
	uv_loop_t loop;
	struct rec *r = rec_new(&loop);
	struct audio_cfg cfg;
	char err[256];
	const char *in = path_in_tmp("stereo.wav");
	size_t i;

	(void)state;
	write_wav(in, 48000, 2, 1920, left, -3000);
	base_cfg(&cfg, "file", 10, r);
	cfg.play_file = in;
	r->close_at = 4;
	assert_int_equal(audio_open(&r->a, &loop, &cfg, err, sizeof(err)), 0);
	run_to_close(r);
	for (i = 0; i < 1920; i++)
		assert_int_equal(r->cap[i], (left(i) - 3000) / 2);
	assert_false(r->st.eof);
	free(r);
}

static void
test_file_wrong_rate(void **state)
{
	uv_loop_t loop;
	struct rec *r = rec_new(&loop);
	struct audio_cfg cfg;
	char err[256];
	const char *in = path_in_tmp("cd.wav");

	(void)state;
	write_wav(in, 44100, 1, 4410, tone, 0);
	base_cfg(&cfg, "file", 20, r);
	cfg.play_file = in;
	r->a = (struct audio *)&cfg;	/* audio_open must clear it */
	assert_int_equal(audio_open(&r->a, &loop, &cfg, err, sizeof(err)),
	    E2_ERR_UNSUPPORTED);
	assert_null(r->a);
	print_message("wrong rate: %s\n", err);
	assert_non_null(strstr(err, in));
	assert_non_null(strstr(err, "44100"));
	/* A refused open leaves nothing on the loop. */
	assert_int_equal(uv_loop_close(&loop), 0);
	free(r);
}

static void
test_file_errors(void **state)
{
	uv_loop_t loop;
	struct rec *r = rec_new(&loop);
	struct audio_cfg cfg;
	char err[256];
	const char *missing = "/nonexistent-e2call-dir/in.wav";
	const char *junk = path_in_tmp("junk.wav");
	const char *badout = "/nonexistent-e2call-dir/out.wav";
	FILE *f;

	(void)state;
	base_cfg(&cfg, "file", 20, r);
	cfg.play_file = missing;
	assert_int_equal(audio_open(&r->a, &loop, &cfg, err, sizeof(err)),
	    E2_ERR_IO);
	print_message("missing: %s\n", err);
	assert_non_null(strstr(err, missing));
	assert_non_null(strstr(err, "No such file"));

	assert_non_null(f = fopen(junk, "w"));
	fputs("this is not a sound file, only some text\n", f);
	fclose(f);
	cfg.play_file = junk;
	assert_int_equal(audio_open(&r->a, &loop, &cfg, err, sizeof(err)),
	    E2_ERR_IO);
	print_message("junk: %s\n", err);
	assert_non_null(strstr(err, junk));

	cfg.play_file = NULL;
	cfg.record_file = badout;
	assert_int_equal(audio_open(&r->a, &loop, &cfg, err, sizeof(err)),
	    E2_ERR_IO);
	print_message("record: %s\n", err);
	assert_non_null(strstr(err, badout));

	/* A good play file and a bad record file: both are let go. */
	write_wav(path_in_tmp("ok.wav"), 48000, 1, 960, tone, 0);
	cfg.play_file = path_in_tmp("ok.wav");
	assert_int_equal(audio_open(&r->a, &loop, &cfg, err, sizeof(err)),
	    E2_ERR_IO);
	assert_null(r->a);
	assert_int_equal(uv_loop_close(&loop), 0);
	free(r);
}

/* ---- null backend, common behaviour ---- */

static void
test_null_pacing(void **state)
{
	uv_loop_t loop;
	struct rec *r = rec_new(&loop);
	struct audio_cfg cfg;
	char err[256];
	size_t i, expect;
	double secs;

	(void)state;
	base_cfg(&cfg, "null", 10, r);
	r->pattern = 1;		/* overwritten frames must be dropped */
	assert_int_equal(audio_open(&r->a, &loop, &cfg, err, sizeof(err)), 0);
	secs = run_for(r, 500);
	expect = (size_t)(secs * 100);
	print_message("null: %.3f s, %zu frames\n", secs, r->ncapcb);
	assert_true(secs > 0.45 && secs < 1.0);
	assert_true(r->ncapcb + 3 >= expect && r->ncapcb <= expect + 1);
	assert_int_equal(r->st.captured, r->ncapcb);
	assert_true(r->st.played + 1 >= r->st.captured &&
	    r->st.played <= r->st.captured);
	assert_int_equal(r->ncap, r->ncapcb * 480);
	for (i = 0; i < r->ncap; i++)
		assert_int_equal(r->cap[i], 0);
	assert_false(r->st.eof);
	assert_int_equal(r->st.xruns, 0);
	free(r);
}

static void
test_stalled_loop(void **state)
{
	uv_loop_t loop;
	struct rec *r = rec_new(&loop);
	struct audio_cfg cfg;
	char err[256];
	double secs, expect;

	(void)state;
	/*
	 * A short stall is caught up (the frames keep time); of a stall
	 * longer than a second only the last second is, and one xrun is
	 * counted.
	 */
	base_cfg(&cfg, "null", 20, r);
	r->stall_at[0] = 5;
	r->stall_ms[0] = 200;
	r->stall_at[1] = 30;
	r->stall_ms[1] = 1300;
	assert_int_equal(audio_open(&r->a, &loop, &cfg, err, sizeof(err)), 0);
	secs = run_for(r, 2500);
	expect = secs * 50 - 15;
	print_message("stalls: %.3f s, %llu frames, %llu xruns\n", secs,
	    (unsigned long long)r->st.captured,
	    (unsigned long long)r->st.xruns);
	assert_int_equal(r->st.xruns, 1);
	assert_true((double)r->st.captured >= expect - 4 &&
	    (double)r->st.captured <= expect + 2);
	assert_int_equal(r->st.played, r->st.captured);
	free(r);
}

static void
test_stop_start(void **state)
{
	uv_loop_t loop;
	struct rec *r = rec_new(&loop);
	struct audio_cfg cfg;
	char err[256];
	uint64_t t0;

	(void)state;
	base_cfg(&cfg, "null", 20, r);
	r->stop_at = 5;
	assert_int_equal(audio_open(&r->a, &loop, &cfg, err, sizeof(err)), 0);
	assert_int_equal(audio_start(r->a), 0);
	assert_int_equal(audio_start(r->a), 0);	/* already running */
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(r->ncapcb, 5);
	/* Stopped: nothing is pending on the loop, nothing arrives. */
	t0 = uv_hrtime();
	assert_int_equal(uv_run(&loop, UV_RUN_NOWAIT), 0);
	assert_int_equal(r->ncapcb, 5);
	assert_true(uv_hrtime() - t0 < 50000000);
	assert_int_equal(audio_stop(r->a), 0);	/* already stopped */
	/* Started again: paced from the new start. */
	r->stop_at = 0;
	r->close_at = 8;
	t0 = uv_hrtime();
	assert_int_equal(audio_start(r->a), 0);
	assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(r->ncapcb, 8);
	assert_true(uv_hrtime() - t0 > 40000000);	/* 3 frames, 60 ms */
	assert_int_equal(uv_loop_close(&loop), 0);
	free(r);
}

static void
test_close_unstarted(void **state)
{
	uv_loop_t loop;
	struct rec *r = rec_new(&loop);
	struct audio_cfg cfg;
	char err[256];

	(void)state;
	base_cfg(&cfg, "null", 20, r);
	assert_int_equal(audio_open(&r->a, &loop, &cfg, err, sizeof(err)), 0);
	audio_close(r->a);
	audio_close(NULL);
	assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(uv_loop_close(&loop), 0);
	assert_int_equal(r->ncapcb, 0);
	free(r);
}

static void
test_bad_config(void **state)
{
	uv_loop_t loop;
	struct rec *r = rec_new(&loop);
	struct audio_cfg cfg;
	char err[256];

	(void)state;
	base_cfg(&cfg, "nope", 20, r);
	assert_int_equal(audio_open(&r->a, &loop, &cfg, err, sizeof(err)),
	    E2_ERR_INVAL);
	assert_non_null(strstr(err, "nope"));
	cfg.backend = NULL;
	assert_int_equal(audio_open(&r->a, &loop, &cfg, err, sizeof(err)),
	    E2_ERR_INVAL);
	cfg.backend = "null";
	cfg.frame_ms = 15;
	assert_int_equal(audio_open(&r->a, &loop, &cfg, err, sizeof(err)),
	    E2_ERR_INVAL);
	assert_non_null(strstr(err, "15"));
	assert_null(r->a);

	cfg.frame_ms = 20;
	assert_int_equal(audio_open(&r->a, &loop, &cfg, err, sizeof(err)), 0);
	assert_int_equal(audio_switch(r->a, "default", NULL, err,
	    sizeof(err)), E2_ERR_UNSUPPORTED);
	assert_non_null(strstr(err, "null"));
	audio_close(r->a);
	assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(uv_loop_close(&loop), 0);
	free(r);
}

/* ---- ALSA without a sound card ---- */

static void
test_alsa_open_error(void **state)
{
	uv_loop_t loop;
	struct rec *r = rec_new(&loop);
	struct audio_cfg cfg;
	char err[256];

	(void)state;
	base_cfg(&cfg, "alsa", 20, r);
	cfg.capture_dev = "e2call_no_such_pcm";
	assert_int_equal(audio_open(&r->a, &loop, &cfg, err, sizeof(err)),
	    E2_ERR_IO);
	print_message("alsa: %s\n", err);
	assert_non_null(strstr(err, "e2call_no_such_pcm"));
	assert_non_null(strstr(err, "capture"));
	cfg.capture_dev = "null";
	cfg.playback_dev = "e2call_no_such_pcm";
	assert_int_equal(audio_open(&r->a, &loop, &cfg, err, sizeof(err)),
	    E2_ERR_IO);
	assert_non_null(strstr(err, "playback device \"e2call_no_such_pcm\""));
	assert_null(r->a);
	assert_int_equal(uv_loop_close(&loop), 0);
	free(r);
}

static double
cpu_seconds(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/*
 * alsa-lib's null plugin is always ready and never paced: the backend must
 * neither spin nor run faster than real time on it.
 */
static void
test_alsa_unpaced_device(void **state)
{
	uv_loop_t loop;
	struct rec *r = rec_new(&loop);
	struct audio_cfg cfg;
	char err[256];
	double secs, cpu, frames;
	size_t i;

	(void)state;
	base_cfg(&cfg, "alsa", 20, r);
	cfg.capture_dev = "null";
	cfg.playback_dev = "null";
	r->pattern = 1;
	if (audio_open(&r->a, &loop, &cfg, err, sizeof(err)) < 0) {
		print_message("alsa null plugin unavailable: %s\n", err);
		uv_loop_close(&loop);
		free(r);
		skip();
	}
	cpu = cpu_seconds();
	secs = run_for(r, 1000);
	cpu = cpu_seconds() - cpu;
	frames = secs * 50;
	print_message("alsa null: %.3f s, cpu %.3f s, captured %llu, played "
	    "%llu, xruns %llu\n", secs, cpu, (unsigned long long)r->st.captured,
	    (unsigned long long)r->st.played, (unsigned long long)r->st.xruns);
	/* At most 1.05 x real time plus buffer and burst (6 frames). */
	assert_true((double)r->st.captured <= frames * 1.05 + 8);
	assert_true((double)r->st.played <= frames * 1.05 + 8);
	assert_true((double)r->st.captured >= frames * 0.5);
	assert_true((double)r->st.played >= frames * 0.5);
	assert_true(cpu < secs * 0.5);
	for (i = 0; i < r->ncap; i++)
		assert_int_equal(r->cap[i], 0);
	free(r);
}

static void
test_alsa_switch_closed_devices(void **state)
{
	uv_loop_t loop;
	struct rec *r = rec_new(&loop);
	struct audio_cfg cfg;
	char err[256];
	double secs;

	(void)state;
	base_cfg(&cfg, "alsa", 10, r);
	cfg.capture_dev = "null";
	cfg.playback_cb = NULL;
	if (audio_open(&r->a, &loop, &cfg, err, sizeof(err)) < 0) {
		uv_loop_close(&loop);
		free(r);
		skip();
	}
	assert_int_equal(audio_start(r->a), 0);
	/* A bad device: the old one is kept and named in the message. */
	assert_int_equal(audio_switch(r->a, "e2call_no_such_pcm", NULL, err,
	    sizeof(err)), E2_ERR_IO);
	print_message("switch: %s\n", err);
	assert_non_null(strstr(err, "e2call_no_such_pcm"));
	assert_non_null(strstr(err, "still using \"null\""));
	/* Reopening works and capture goes on. */
	assert_int_equal(audio_switch(r->a, "null", "ignored", err,
	    sizeof(err)), 0);
	secs = run_for(r, 300);
	assert_true((double)r->st.captured >= secs * 100 * 0.5);
	assert_int_equal(r->st.played, 0);
	free(r);
}

static int
setup(void **state)
{
	(void)state;
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	char cmd[600];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_file_play_record),
		cmocka_unit_test(test_file_record_keeps_time),
		cmocka_unit_test(test_file_loop_play),
		cmocka_unit_test(test_file_empty_loop),
		cmocka_unit_test(test_file_stereo_downmix),
		cmocka_unit_test(test_file_wrong_rate),
		cmocka_unit_test(test_file_errors),
		cmocka_unit_test(test_null_pacing),
		cmocka_unit_test(test_stalled_loop),
		cmocka_unit_test(test_stop_start),
		cmocka_unit_test(test_close_unstarted),
		cmocka_unit_test(test_bad_config),
		cmocka_unit_test(test_alsa_open_error),
		cmocka_unit_test(test_alsa_unpaced_device),
		cmocka_unit_test(test_alsa_switch_closed_devices),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
