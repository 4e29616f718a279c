/*
 * t_codec.c - the Opus wrapper: round trip quality, constant packet size,
 * DTX, FEC and concealment, and refused arguments.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <cmocka.h>

#include "codec.h"
#include "err.h"

#define RATE		48000
#define SECONDS		2
#define NSAMP		(RATE * SECONDS)
#define MAX_LAG		2400	/* 50 ms: more than any Opus delay */

static uint64_t rng_state;

static uint32_t
rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 2685821657736338717ULL) >> 32);
}

/* A 440 Hz tone plus a chirp sweeping 200 Hz .. 3 kHz, about -10 dBFS. */
static void
make_signal(int16_t *pcm, size_t n)
{
	double t, f0 = 200, f1 = 3000, dur = (double)n / RATE, ph;
	size_t i;

	for (i = 0; i < n; i++) {
		t = (double)i / RATE;
		ph = 2 * M_PI * (f0 * t + (f1 - f0) * t * t / (2 * dur));
		pcm[i] = (int16_t)(6000 * sin(2 * M_PI * 440 * t) +
		    5000 * sin(ph));
	}
}

/*
 * Something closer to a voice: a buzz at 130..170 Hz (vibrato 3 Hz) with
 * harmonics falling as 1/k up to 3.5 kHz, its loudness swinging at a
 * syllable rate of 4 Hz.
 */
static void
make_voice(int16_t *pcm, size_t n)
{
	double t, f, ph = 0, v;
	size_t i;
	int k;

	for (i = 0; i < n; i++) {
		t = (double)i / RATE;
		f = 150 + 20 * sin(2 * M_PI * 3 * t);
		ph += 2 * M_PI * f / RATE;
		v = 0;
		for (k = 1; k * f < 3500; k++)
			v += sin(k * ph) / k;
		pcm[i] = (int16_t)(3000 * (0.6 + 0.4 * sin(2 * M_PI * 4 * t)) *
		    v);
	}
}

/* Normalized cross-correlation of x[from..to) with y shifted by lag. */
static double
ncc(const int16_t *x, const int16_t *y, size_t from, size_t to, size_t lag)
{
	double sxy = 0, sxx = 0, syy = 0;
	size_t i;

	for (i = from; i < to; i++) {
		sxy += (double)x[i] * y[i + lag];
		sxx += (double)x[i] * x[i];
		syy += (double)y[i + lag] * y[i + lag];
	}
	if (sxx == 0 || syy == 0)
		return 0;
	return sxy / sqrt(sxx * syy);
}

/* The lag (0 .. MAX_LAG) of y behind x that correlates best. */
static size_t
best_lag(const int16_t *x, const int16_t *y, size_t from, size_t to,
    double *bestp)
{
	size_t lag, best = 0;
	double v, bv = -2;

	for (lag = 0; lag <= MAX_LAG; lag++) {
		v = ncc(x, y, from, to, lag);
		if (v > bv) {
			bv = v;
			best = lag;
		}
	}
	*bestp = bv;
	return best;
}

static struct codec *
new_codec(unsigned frame_ms, int vbr, int dtx)
{
	struct codec_cfg cfg = { .frame_ms = frame_ms, .vbr = vbr,
	    .dtx = dtx };
	struct codec *c = NULL;

	assert_int_equal(codec_new(&c, &cfg), 0);
	assert_non_null(c);
	return c;
}

/* Encodes and decodes the whole signal; returns the decoded copy. */
static int16_t *
roundtrip(struct codec *c, const int16_t *in, size_t n, int *sizes)
{
	size_t fs = codec_frame_samples(c), i;
	int16_t *out = calloc(n + MAX_LAG, sizeof(*out));
	uint8_t pkt[1500];
	int len;

	assert_non_null(out);
	for (i = 0; i + fs <= n; i += fs) {
		len = codec_encode(c, in + i, pkt, sizeof(pkt));
		assert_true(len > 2);
		if (sizes != NULL)
			sizes[i / fs] = len;
		assert_int_equal(codec_decode(c, pkt, (size_t)len, 0, out + i),
		    (int)fs);
	}
	return out;
}

/*
 * Round trip of a whole signal: the output follows the input, delayed by
 * the codec's look-ahead.  loss < 0 keeps the default loss figure (10 %,
 * FEC on).
 */
static void
quality(unsigned frame_ms, int vbr, int loss, int voice, double min)
{
	int16_t *in = calloc(NSAMP + MAX_LAG, sizeof(*in)), *out;
	struct codec *c = new_codec(frame_ms, vbr, 0);
	size_t lag;
	double r;

	assert_non_null(in);
	assert_int_equal(codec_frame_samples(c), RATE / 1000 * frame_ms);
	if (loss >= 0)
		codec_set_loss(c, loss);
	if (voice)
		make_voice(in, NSAMP);
	else
		make_signal(in, NSAMP);
	out = roundtrip(c, in, NSAMP, NULL);
	/* skip the first 100 ms while the encoder settles */
	lag = best_lag(in, out, RATE / 10, NSAMP - MAX_LAG, &r);
	print_message("%s, %u ms %s, loss %d %%: codec delay %zu samples, "
	    "correlation %.4f\n", voice ? "voice" : "tone + chirp", frame_ms,
	    vbr ? "VBR" : "CBR", loss >= 0 ? loss : 10, lag, r);
	assert_true(r > min);
	assert_true(lag > 0 && lag < 960);
	codec_free(c);
	free(in);
	free(out);
}

/* Tone and chirp, FEC off: the waveform comes through. */
static void
test_quality_20(void **state)
{
	(void)state;
	quality(20, 0, 0, 0, 0.9);
}

static void
test_quality_10(void **state)
{
	(void)state;
	quality(10, 0, 0, 0, 0.9);
}

static void
test_quality_vbr(void **state)
{
	(void)state;
	quality(20, 1, -1, 0, 0.9);
}

/*
 * The default: CBR with FEC for 10 % loss.  At 24 kb/s libopus pays for
 * the FEC by dropping to wideband and a coarser main layer; on pure
 * synthetic tones its CBR SILK layer then falls apart (tone + chirp: 0.4),
 * so this runs on the voice-like signal, which SILK keeps but does not
 * reproduce sample for sample (20 ms: 0.85 with or without FEC; 10 ms
 * packets carry more overhead: 0.74).
 */
static void
test_quality_fec_on(void **state)
{
	(void)state;
	quality(20, 0, -1, 1, 0.8);
	quality(10, 0, -1, 1, 0.7);
}

enum sig { SIG_SILENCE, SIG_NOISE, SIG_TONE, SIG_MIX };

static void
fill(int16_t *pcm, size_t n, enum sig kind)
{
	size_t i;

	switch (kind) {
	case SIG_SILENCE:
		memset(pcm, 0, n * sizeof(*pcm));
		break;
	case SIG_NOISE:			/* loud white noise, near full scale */
		for (i = 0; i < n; i++)
			pcm[i] = (int16_t)(rng() & 0xffff);
		break;
	case SIG_TONE:
		make_signal(pcm, n);
		break;
	case SIG_MIX:			/* silence, bursts of noise, tone */
		make_signal(pcm, n);
		for (i = 0; i < n; i++) {
			if ((i / 4800) % 3 == 0)
				pcm[i] = 0;
			else if ((i / 4800) % 3 == 1)
				pcm[i] = (int16_t)(rng() & 0xffff);
		}
		break;
	}
}

/* Packet sizes over one signal: all equal to want, or min/max seen. */
static void
sizes_of(struct codec *c, enum sig kind, int *minp, int *maxp)
{
	int16_t *pcm = malloc(NSAMP * sizeof(*pcm));
	size_t fs = codec_frame_samples(c), i;
	uint8_t pkt[1500];
	int len;

	assert_non_null(pcm);
	rng_state = 12345;
	fill(pcm, NSAMP, kind);
	*minp = 100000;
	*maxp = 0;
	for (i = 0; i + fs <= NSAMP; i += fs) {
		len = codec_encode(c, pcm + i, pkt, sizeof(pkt));
		assert_true(len > 0);
		if (len < *minp)
			*minp = len;
		if (len > *maxp)
			*maxp = len;
	}
	free(pcm);
}

/*
 * CBR: every packet has the same size, for silence, loud noise, a tone
 * and a mix of all three, at 20 and 10 ms and after a bitrate change.
 */
static void
test_cbr_constant(void **state)
{
	static const enum sig kinds[] = {
		SIG_SILENCE, SIG_NOISE, SIG_TONE, SIG_MIX
	};
	static const unsigned frames[] = { 20, 10 };
	struct codec *c;
	size_t f, k;
	int lo, hi;

	(void)state;
	for (f = 0; f < 2; f++) {
		for (k = 0; k < 4; k++) {
			c = new_codec(frames[f], 0, 0);
			sizes_of(c, kinds[k], &lo, &hi);
			/* 24000 b/s: 60 bytes per 20 ms */
			assert_int_equal(lo, 3 * frames[f]);
			assert_int_equal(hi, 3 * frames[f]);
			codec_free(c);
		}
	}
	c = new_codec(20, 0, 0);
	assert_int_equal(codec_set_bitrate(c, 32000), 0);
	sizes_of(c, SIG_MIX, &lo, &hi);
	assert_int_equal(lo, 80);
	assert_int_equal(hi, 80);
	codec_set_loss(c, 0);		/* no FEC: still the same size */
	sizes_of(c, SIG_MIX, &lo, &hi);
	assert_int_equal(lo, 80);
	assert_int_equal(hi, 80);
	codec_free(c);
}

/* VBR: the sizes follow the signal (which is why it is not the default). */
static void
test_vbr_varies(void **state)
{
	struct codec *c = new_codec(20, 1, 0);
	int slo, shi, nlo, nhi;

	(void)state;
	sizes_of(c, SIG_SILENCE, &slo, &shi);
	sizes_of(c, SIG_NOISE, &nlo, &nhi);
	print_message("VBR: silence %d..%d bytes, noise %d..%d bytes\n",
	    slo, shi, nlo, nhi);
	assert_true(shi < nlo);
	codec_free(c);
}

/* DTX: silence turns into "nothing to send"; without DTX it never does. */
static void
test_dtx(void **state)
{
	int16_t pcm[960];
	uint8_t pkt[1500];
	struct codec *c;
	int i, len, quiet = 0, sizes = 0;

	(void)state;
	memset(pcm, 0, sizeof(pcm));
	c = new_codec(20, 0, 1);
	for (i = 0; i < 100; i++) {
		len = codec_encode(c, pcm, pkt, sizeof(pkt));
		assert_true(len > 0);
		if (len <= 2)
			quiet++;
		else if (len != 60)
			sizes++;
	}
	assert_true(quiet >= 80);
	assert_int_equal(sizes, 0);	/* what is sent keeps its size */
	codec_free(c);

	c = new_codec(20, 0, 0);
	for (i = 0; i < 100; i++)
		assert_int_equal(codec_encode(c, pcm, pkt, sizeof(pkt)), 60);
	codec_free(c);
}

/*
 * Every 10th packet of the voice-like signal is lost; the loss figure
 * given to the encoder is loss (< 0: the default).  Returns the mean
 * correlation of the rebuilt frame with the clean decode of it, through
 * FEC (*rfp) and through concealment (*rpp), over the voiced frames
 * (libopus sends FEC for frames its voice activity detector counts as
 * speech).
 */
static void
lost_frames(int loss, double *rfp, double *rpp)
{
	int16_t *in = calloc(NSAMP, sizeof(*in));
	int16_t clean[960], fec[960], plc[960];
	int16_t tmp[960];			/* clean decode of the lost */
	struct codec *enc = new_codec(20, 0, 0);
	struct codec *a = new_codec(20, 0, 0);	/* decodes everything */
	struct codec *b = new_codec(20, 0, 0);	/* loses, uses FEC */
	struct codec *p = new_codec(20, 0, 0);	/* loses, conceals */
	uint8_t pkt[1500];
	int len, k, nf = NSAMP / 960, voiced = 0;
	double e, rf = 0, rp = 0;
	size_t i;

	assert_non_null(in);
	if (loss >= 0)
		codec_set_loss(enc, loss);
	make_voice(in, NSAMP);
	for (k = 0; k < nf; k++) {
		len = codec_encode(enc, in + k * 960, pkt, sizeof(pkt));
		assert_int_equal(len, 60);
		assert_int_equal(codec_decode(a, pkt, 60, 0, clean), 960);
		if (k % 10 == 4) {
			memcpy(tmp, clean, sizeof(tmp));
			continue;		/* b and p lose it */
		}
		if (k % 10 == 5) {
			assert_int_equal(codec_decode(b, pkt, 60, 1, fec), 960);
			assert_int_equal(codec_decode(p, NULL, 0, 0, plc),
			    960);
			for (e = 0, i = 0; i < 960; i++)
				e += (double)tmp[i] * tmp[i];
			if (sqrt(e / 960) > 1000) {
				rf += ncc(tmp, fec, 0, 960, 0);
				rp += ncc(tmp, plc, 0, 960, 0);
				voiced++;
			}
		}
		assert_int_equal(codec_decode(b, pkt, 60, 0, fec), 960);
		assert_int_equal(codec_decode(p, pkt, 60, 0, plc), 960);
	}
	assert_true(voiced >= 5);
	*rfp = rf / voiced;
	*rpp = rp / voiced;
	print_message("loss figure %d %%, %d voiced frames lost: correlation "
	    "with the clean decode, FEC %.3f, concealment %.3f\n",
	    loss >= 0 ? loss : 10, voiced, *rfp, *rpp);
	codec_free(enc);
	codec_free(a);
	codec_free(b);
	codec_free(p);
	free(in);
}

/* FEC rebuilds a lost frame close to the clean decode, far better than
 * concealment. */
static void
test_fec(void **state)
{
	double rf, rp;

	(void)state;
	lost_frames(-1, &rf, &rp);
	assert_true(rf > 0.85);
	assert_true(rf > rp + 0.1);
}

/* With a loss figure of 0 the encoder sends no FEC: decoding "FEC" gives
 * what concealment gives.  (So codec_set_loss() reaches the encoder.) */
static void
test_fec_off(void **state)
{
	double rf, rp;

	(void)state;
	lost_frames(0, &rf, &rp);
	assert_true(rf - rp < 0.01 && rp - rf < 0.01);
}

/*
 * Through the whole stream, every 10th packet lost: rebuilt from FEC the
 * output follows the input nearly as well as with no loss, better than
 * with concealment alone.
 */
static double
lossy_stream(int use_fec)
{
	int16_t *in = calloc(NSAMP + MAX_LAG, sizeof(*in));
	int16_t *out = calloc(NSAMP + MAX_LAG, sizeof(*out));
	struct codec *c = new_codec(20, 0, 0);
	uint8_t pkt[1500];
	int len, k, nf = NSAMP / 960;
	size_t lag;
	double r;

	assert_non_null(in);
	assert_non_null(out);
	make_voice(in, NSAMP);
	for (k = 0; k < nf; k++) {
		len = codec_encode(c, in + k * 960, pkt, sizeof(pkt));
		assert_int_equal(len, 60);
		if (k % 10 == 9)
			continue;			/* lost */
		if (k % 10 == 0 && k > 0)		/* rebuild k - 1 */
			assert_int_equal(codec_decode(c, use_fec ? pkt : NULL,
			    60, 1, out + (k - 1) * 960), 960);
		assert_int_equal(codec_decode(c, pkt, 60, 0, out + k * 960),
		    960);
	}
	lag = best_lag(in, out, RATE / 10, NSAMP - MAX_LAG, &r);
	print_message("10 %% loss, %s: correlation %.4f at lag %zu\n",
	    use_fec ? "FEC" : "concealment", r, lag);
	codec_free(c);
	free(in);
	free(out);
	return r;
}

static void
test_fec_stream(void **state)
{
	double rf, rp;

	(void)state;
	rf = lossy_stream(1);
	rp = lossy_stream(0);
	assert_true(rf > 0.8);
	assert_true(rf > rp + 0.005);
}

/* Concealment fills exactly one frame, and never writes past it. */
static void
test_plc(void **state)
{
	static const unsigned frames[] = { 20, 10 };
	int16_t pcm[960 + 64], in[960];
	uint8_t pkt[1500];
	struct codec *c;
	size_t f, i, fs;
	int len, k;

	(void)state;
	make_signal(in, 960);
	for (f = 0; f < 2; f++) {
		c = new_codec(frames[f], 0, 0);
		fs = codec_frame_samples(c);
		for (k = 0; k < 5; k++) {
			len = codec_encode(c, in, pkt, sizeof(pkt));
			assert_true(len > 0);
			assert_int_equal(codec_decode(c, pkt, (size_t)len, 0,
			    pcm), (int)fs);
		}
		for (k = 0; k < 3; k++) {
			for (i = 0; i < 960 + 64; i++)
				pcm[i] = 0x5a5a;
			assert_int_equal(codec_decode(c, NULL, 0, 0, pcm),
			    (int)fs);
			for (i = fs; i < 960 + 64; i++)
				assert_int_equal(pcm[i], 0x5a5a);
			for (i = 0; i < fs; i++)
				if (pcm[i] != 0x5a5a)
					break;
			assert_true(i < fs);	/* it did write the frame */
		}
		codec_free(c);
	}
}

static void
test_bad_args(void **state)
{
	struct codec_cfg cfg = { .frame_ms = 20 };
	struct codec *c = (struct codec *)&cfg, *c10;
	int16_t pcm[960];
	uint8_t pkt[1500], junk[40];
	int len;

	(void)state;
	memset(pcm, 0, sizeof(pcm));
	assert_int_equal(codec_new(NULL, &cfg), E2_ERR_INVAL);
	assert_int_equal(codec_new(&c, NULL), E2_ERR_INVAL);
	assert_null(c);				/* cleared on failure */
	cfg.frame_ms = 0;
	assert_int_equal(codec_new(&c, &cfg), E2_ERR_INVAL);
	cfg.frame_ms = 40;
	assert_int_equal(codec_new(&c, &cfg), E2_ERR_INVAL);
	cfg.frame_ms = 5;
	assert_int_equal(codec_new(&c, &cfg), E2_ERR_INVAL);
	cfg.frame_ms = 20;
	cfg.bitrate = 1000;
	assert_int_equal(codec_new(&c, &cfg), E2_ERR_INVAL);
	cfg.bitrate = 1000000;
	assert_int_equal(codec_new(&c, &cfg), E2_ERR_INVAL);
	cfg.bitrate = 0;
	cfg.complexity = 11;
	assert_int_equal(codec_new(&c, &cfg), E2_ERR_INVAL);
	cfg.complexity = -1;
	assert_int_equal(codec_new(&c, &cfg), E2_ERR_INVAL);
	cfg.complexity = 0;
	assert_int_equal(codec_new(&c, &cfg), 0);
	assert_int_equal(codec_frame_samples(c), 960);

	/* encoder */
	assert_int_equal(codec_encode(c, NULL, pkt, sizeof(pkt)),
	    E2_ERR_INVAL);
	assert_int_equal(codec_encode(c, pcm, NULL, sizeof(pkt)),
	    E2_ERR_INVAL);
	assert_int_equal(codec_encode(c, pcm, pkt, 59), E2_ERR_SPACE);
	assert_int_equal(codec_set_bitrate(c, 10), E2_ERR_INVAL);
	assert_int_equal(codec_set_bitrate(c, 600000), E2_ERR_INVAL);
	len = codec_encode(c, pcm, pkt, 60);
	assert_int_equal(len, 60);

	/* decoder */
	assert_int_equal(codec_decode(c, pkt, (size_t)len, 0, NULL),
	    E2_ERR_INVAL);
	assert_int_equal(codec_decode(c, pkt, 0, 0, pcm), E2_ERR_INVAL);
	memset(junk, 0xff, sizeof(junk));	/* code 3, count 63: bad */
	assert_int_equal(codec_decode(c, junk, sizeof(junk), 0, pcm),
	    E2_ERR_MALFORMED);
	assert_int_equal(codec_decode(c, junk, sizeof(junk), 1, pcm),
	    E2_ERR_MALFORMED);
	/* a 10 ms packet does not fill a 20 ms frame */
	cfg.frame_ms = 10;
	assert_int_equal(codec_new(&c10, &cfg), 0);
	assert_int_equal(codec_frame_samples(c10), 480);
	len = codec_encode(c10, pcm, pkt, sizeof(pkt));
	assert_int_equal(len, 30);
	assert_int_equal(codec_decode(c, pkt, (size_t)len, 0, pcm),
	    E2_ERR_MALFORMED);
	assert_int_equal(codec_decode(c10, pkt, (size_t)len, 0, pcm), 480);

	/* the decoder goes on after the bad packets */
	len = codec_encode(c, pcm, pkt, sizeof(pkt));
	assert_int_equal(codec_decode(c, pkt, (size_t)len, 0, pcm), 960);
	codec_set_loss(c, -5);			/* clamped, not refused */
	codec_set_loss(c, 500);
	assert_int_equal(codec_encode(c, pcm, pkt, sizeof(pkt)), 60);
	codec_free(c10);
	codec_free(c);
	codec_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quality_20),
		cmocka_unit_test(test_quality_10),
		cmocka_unit_test(test_quality_vbr),
		cmocka_unit_test(test_quality_fec_on),
		cmocka_unit_test(test_cbr_constant),
		cmocka_unit_test(test_vbr_varies),
		cmocka_unit_test(test_dtx),
		cmocka_unit_test(test_fec),
		cmocka_unit_test(test_fec_off),
		cmocka_unit_test(test_fec_stream),
		cmocka_unit_test(test_plc),
		cmocka_unit_test(test_bad_args),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
