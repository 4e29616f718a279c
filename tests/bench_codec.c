/*
 * bench_codec.c - the CPU cost of Opus alone, as a call uses it.
 *
 *	tests/bench_codec [--frame-ms 10|20] [--seconds N] [--bitrate BPS]
 *	    [--complexity 1..10] [--loss PCT] [FILE.wav]
 *
 * Encodes and decodes N seconds (default 60) of audio through codec.h with
 * the settings of a call (codec_opus.c: VOIP, CBR, in-band FEC, complexity
 * 9 unless --complexity says otherwise), one frame at a time, and prints
 * the process CPU time spent in each half.  One encoder plus one decoder
 * is the codec work of one side of a call, so cpu_pct (CPU seconds per
 * second of audio, as a percentage of one core) compares directly with a
 * client's figure in scripts/bench-media.  The loss figure the encoder
 * plans FEC for is PCT (default 0): a call starts at 10 % and takes the
 * peer's measured loss from its first report, which is 0 on loopback.
 * FILE (48 kHz WAV, mixed to mono) is repeated to fill N seconds; without
 * it a synthetic voiced signal is used.  Prints one line of key=value.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <opus.h>
#include <sndfile.h>

#include "codec.h"
#include "err.h"

#define RATE		48000
#define MAX_CHANNELS	16

static double
cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Reads FILE mixed to mono; returns the sample count, or 0 on failure. */
static size_t
load_wav(const char *path, int16_t **outp)
{
	SF_INFO info;
	SNDFILE *sf;
	int16_t *mono = NULL, *buf = NULL;
	sf_count_t frames, got, i;
	long sum;
	int c;

	*outp = NULL;
	memset(&info, 0, sizeof(info));
	if ((sf = sf_open(path, SFM_READ, &info)) == NULL) {
		fprintf(stderr, "bench_codec: %s: %s\n", path,
		    sf_strerror(NULL));
		return 0;
	}
	if (info.samplerate != RATE || info.channels < 1 ||
	    info.channels > MAX_CHANNELS || info.frames <= 0) {
		fprintf(stderr, "bench_codec: %s: need 48 kHz audio, 1..%d "
		    "channels (has %d Hz, %d channels)\n", path, MAX_CHANNELS,
		    info.samplerate, info.channels);
		sf_close(sf);
		return 0;
	}
	frames = info.frames;
	mono = malloc((size_t)frames * sizeof(*mono));
	buf = malloc((size_t)frames * (size_t)info.channels * sizeof(*buf));
	if (mono == NULL || buf == NULL) {
		fprintf(stderr, "bench_codec: out of memory\n");
		frames = 0;
		goto out;
	}
	got = sf_readf_short(sf, buf, frames);
	if (got <= 0) {
		fprintf(stderr, "bench_codec: %s: read failed\n", path);
		frames = 0;
		goto out;
	}
	for (i = 0; i < got; i++) {
		sum = 0;
		for (c = 0; c < info.channels; c++)
			sum += buf[i * info.channels + c];
		mono[i] = (int16_t)(sum / info.channels);
	}
	frames = got;
	*outp = mono;
	mono = NULL;
out:
	free(buf);
	free(mono);
	sf_close(sf);
	return (size_t)frames;
}

/*
 * Ten seconds of a voiced-like signal: a harmonic series on a gliding
 * pitch, amplitude-modulated at a syllable rate, with a little noise.
 */
static size_t
synth(int16_t **outp)
{
	size_t n = (size_t)RATE * 10, i;
	int16_t *s;
	double t, f0, ph = 0.0, v, env;
	int h;
	unsigned seed = 1;

	*outp = NULL;
	if ((s = malloc(n * sizeof(*s))) == NULL)
		return 0;
	for (i = 0; i < n; i++) {
		t = (double)i / RATE;
		f0 = 140.0 + 40.0 * sin(2.0 * M_PI * 0.7 * t);
		ph += 2.0 * M_PI * f0 / RATE;
		v = 0.0;
		for (h = 1; h <= 20; h++)
			v += sin(ph * h) / h;
		env = 0.5 + 0.5 * sin(2.0 * M_PI * 4.0 * t);
		seed = seed * 1103515245u + 12345u;
		v = 0.25 * env * v + 0.01 * ((double)(seed >> 16 & 0x7fff) /
		    16384.0 - 1.0);
		s[i] = (int16_t)lrint(v * 32767.0 * 0.8);
	}
	*outp = s;
	return n;
}

static void
usage(void)
{
	fprintf(stderr, "usage: bench_codec [--frame-ms 10|20] "
	    "[--seconds N] [--bitrate BPS] [--complexity 1..10] "
	    "[--loss PCT] [FILE.wav]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "frame-ms", required_argument, NULL, 'f' },
		{ "seconds", required_argument, NULL, 's' },
		{ "bitrate", required_argument, NULL, 'b' },
		{ "complexity", required_argument, NULL, 'c' },
		{ "loss", required_argument, NULL, 'l' },
		{ NULL, 0, NULL, 0 }
	};
	struct codec_cfg cfg;
	struct codec *c = NULL;
	int16_t *src = NULL, pcm[RATE / 50], out[RATE / 50];
	uint8_t pkt[1275];
	size_t nsrc, fs, nframes, i, pos = 0, k, bytes = 0;
	double seconds = 60.0, t0, t_enc = 0.0, t_dec = 0.0;
	int ch, len, r, ret = 1, loss = 0;

	memset(&cfg, 0, sizeof(cfg));
	cfg.frame_ms = 20;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			cfg.frame_ms = (unsigned)atoi(optarg);
			break;
		case 's':
			seconds = atof(optarg);
			break;
		case 'b':
			cfg.bitrate = (unsigned)atoi(optarg);
			break;
		case 'c':
			cfg.complexity = atoi(optarg);
			break;
		case 'l':
			loss = atoi(optarg);
			break;
		default:
			usage();
		}
	}
	if (argc - optind > 1 || seconds <= 0.0 || seconds > 86400.0 ||
	    loss < 0 || loss > 100)
		usage();
	nsrc = optind < argc ? load_wav(argv[optind], &src) : synth(&src);
	if (nsrc == 0)
		goto out;
	if ((r = codec_new(&c, &cfg)) != 0) {
		fprintf(stderr, "bench_codec: codec_new: %s\n",
		    e2_strerror(r));
		goto out;
	}
	codec_set_loss(c, loss);
	fs = codec_frame_samples(c);
	nframes = (size_t)(seconds * RATE) / fs;
	for (i = 0; i < nframes; i++) {
		for (k = 0; k < fs; k++) {
			pcm[k] = src[pos];
			pos = (pos + 1) % nsrc;
		}
		t0 = cpu_now();
		len = codec_encode(c, pcm, pkt, sizeof(pkt));
		t_enc += cpu_now() - t0;
		if (len < 0) {
			fprintf(stderr, "bench_codec: encode: %s\n",
			    e2_strerror(len));
			goto out;
		}
		bytes += (size_t)len;
		t0 = cpu_now();
		r = codec_decode(c, pkt, (size_t)len, 0, out);
		t_dec += cpu_now() - t0;
		if (r < 0) {
			fprintf(stderr, "bench_codec: decode: %s\n",
			    e2_strerror(r));
			goto out;
		}
	}
	seconds = (double)(nframes * fs) / RATE;
	printf("frame_ms=%u complexity=%d loss=%d audio_s=%.1f encode_cpu_s=%.3f "
	    "decode_cpu_s=%.3f cpu_pct=%.2f kbps=%.1f enc_state_bytes=%d "
	    "dec_state_bytes=%d\n",
	    cfg.frame_ms, cfg.complexity != 0 ? cfg.complexity : 9, loss,
	    seconds,	    t_enc, t_dec, 100.0 * (t_enc + t_dec) / seconds,
	    bytes * 8.0 / seconds / 1000.0,
	    opus_encoder_get_size(1), opus_decoder_get_size(1));
	ret = 0;
out:
	codec_free(c);
	free(src);
	return ret;
}
