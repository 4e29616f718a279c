/*
 * wavcmp - does a recording contain what was sent?
 *
 *	wavcmp SENT.wav RECORDED.wav [MAXLAG_MS]
 *
 * Both files are read as mono (the first channel).  Speech through a call
 * arrives delayed, coded by Opus and with a jitter buffer that may drop or
 * insert a frame, so a raw sample-by-sample correlation is fragile; the
 * robust measure is the correlation of the two loudness envelopes (RMS in
 * 10 ms windows, in dB), searched over lags 0..MAXLAG_MS (default 2000).
 * It prints one line of key=value figures:
 *
 *	envelope_corr=0.93 lag_ms=60 wave_corr=0.71 sent_rms=... rec_rms=...
 *
 * wave_corr is the normalized waveform correlation at the best sample lag
 * near the envelope lag (±10 ms).  seg_corr is the envelope correlation
 * taken second by second, each second at its own best lag within -200..+300
 * ms of the overall one, averaged over the seconds that hold speech: an
 * adaptive jitter buffer that grows or shrinks its delay during the call
 * shifts the rest of the recording, which lowers the one-lag figure but
 * not this one.  Exit 0 always when both files read; the test decides what
 * is enough.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sndfile.h>

#define WIN	480	/* 10 ms at 48 kHz */

static float *
load(const char *path, size_t *np, int *ratep)
{
	SF_INFO info;
	SNDFILE *f;
	float *all, *mono;
	sf_count_t n, i;

	memset(&info, 0, sizeof(info));
	if ((f = sf_open(path, SFM_READ, &info)) == NULL) {
		fprintf(stderr, "wavcmp: %s: %s\n", path, sf_strerror(NULL));
		exit(2);
	}
	all = malloc(sizeof(float) * (size_t)(info.frames * info.channels + 1));
	mono = malloc(sizeof(float) * (size_t)(info.frames + 1));
	if (all == NULL || mono == NULL)
		exit(2);
	n = sf_readf_float(f, all, info.frames);
	for (i = 0; i < n; i++)
		mono[i] = all[i * info.channels];
	free(all);
	sf_close(f);
	*np = (size_t)n;
	*ratep = info.samplerate;
	return mono;
}

static double *
envelope(const float *x, size_t n, size_t *nw)
{
	double *e;
	size_t w, i;

	*nw = n / WIN;
	if ((e = calloc(*nw + 1, sizeof(double))) == NULL)
		exit(2);
	for (w = 0; w < *nw; w++) {
		double s = 0;

		for (i = 0; i < WIN; i++)
			s += (double)x[w * WIN + i] * x[w * WIN + i];
		e[w] = 10.0 * log10(s / WIN + 1e-9);
	}
	return e;
}

/* Pearson correlation of a[0..n) and b[lag..lag+n). */
static double
corr(const double *a, const double *b, size_t n)
{
	double ma = 0, mb = 0, sab = 0, saa = 0, sbb = 0;
	size_t i;

	if (n < 2)
		return 0;
	for (i = 0; i < n; i++) {
		ma += a[i];
		mb += b[i];
	}
	ma /= n;
	mb /= n;
	for (i = 0; i < n; i++) {
		sab += (a[i] - ma) * (b[i] - mb);
		saa += (a[i] - ma) * (a[i] - ma);
		sbb += (b[i] - mb) * (b[i] - mb);
	}
	if (saa <= 0 || sbb <= 0)
		return 0;
	return sab / sqrt(saa * sbb);
}

static double
rms(const float *x, size_t n)
{
	double s = 0;
	size_t i;

	for (i = 0; i < n; i++)
		s += (double)x[i] * x[i];
	return n > 0 ? sqrt(s / n) : 0;
}

int
main(int argc, char **argv)
{
	float *a, *b;
	double *ea, *eb, best = -2, wbest = -2, segcorr = 0;
	int nsegs = 0;
	size_t na, nb, nwa, nwb, lag, bestlag = 0, maxlag, n, s, s0, s1;
	int ra, rb;

	if (argc < 3) {
		fprintf(stderr, "usage: wavcmp SENT.wav RECORDED.wav "
		    "[MAXLAG_MS]\n");
		return 2;
	}
	a = load(argv[1], &na, &ra);
	b = load(argv[2], &nb, &rb);
	if (ra != 48000 || rb != 48000) {
		fprintf(stderr, "wavcmp: both files must be 48 kHz\n");
		return 2;
	}
	maxlag = (argc > 3 ? (size_t)atoi(argv[3]) : 2000) / 10;
	ea = envelope(a, na, &nwa);
	eb = envelope(b, nb, &nwb);
	for (lag = 0; lag <= maxlag && lag < nwb; lag++) {
		double c;

		n = nwa < nwb - lag ? nwa : nwb - lag;
		if (n < 50)
			break;
		c = corr(ea, eb + lag, n);
		if (c > best) {
			best = c;
			bestlag = lag;
		}
	}
	/* Second by second, each at its own lag near the overall one. */
	{
		size_t seg = 100, k;
		double sum = 0;
		int nseg = 0;

		for (k = 0; k + seg <= nwa; k += seg) {
			double var = 0, m = 0, segbest = -2;
			size_t i;
			long l;

			for (i = 0; i < seg; i++)
				m += ea[k + i];
			m /= seg;
			for (i = 0; i < seg; i++)
				var += (ea[k + i] - m) * (ea[k + i] - m);
			if (var / seg < 25.0)	/* under 5 dB of swing: silence */
				continue;
			for (l = (long)bestlag - 20; l <= (long)bestlag + 30; l++) {
				double c;

				if (l < 0 || k + (size_t)l + seg > nwb)
					continue;
				c = corr(ea + k, eb + k + (size_t)l, seg);
				if (c > segbest)
					segbest = c;
			}
			if (segbest > -2) {
				sum += segbest;
				nseg++;
			}
		}
		segcorr = nseg > 0 ? sum / nseg : 0;
		nsegs = nseg;
	}
	/* Waveform correlation near the envelope lag. */
	s0 = bestlag * WIN > WIN ? bestlag * WIN - WIN : 0;
	s1 = bestlag * WIN + WIN;
	for (s = s0; s <= s1 && s < nb; s++) {
		double sab = 0, saa = 0, sbb = 0;
		size_t i, m = na < nb - s ? na : nb - s;

		for (i = 0; i < m; i++) {
			sab += (double)a[i] * b[s + i];
			saa += (double)a[i] * a[i];
			sbb += (double)b[s + i] * b[s + i];
		}
		if (saa > 0 && sbb > 0 && sab / sqrt(saa * sbb) > wbest) {
			wbest = sab / sqrt(saa * sbb);
		}
	}
	printf("envelope_corr=%.3f lag_ms=%zu seg_corr=%.3f segments=%d "
	    "wave_corr=%.3f sent_rms=%.4f rec_rms=%.4f sent_s=%.2f rec_s=%.2f\n",
	    best, bestlag * 10, segcorr, nsegs, wbest, rms(a, na), rms(b, nb),
	    (double)na / 48000, (double)nb / 48000);
	free(a);
	free(b);
	free(ea);
	free(eb);
	return 0;
}
