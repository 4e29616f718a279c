/*
 * fuzz_wav.c - a sound file through libsndfile the way
 * src/audio/audio_file.c reads --play files: opened for reading (here
 * with sf_open_virtual over the input bytes), checked for 48 kHz and
 * 1..16 channels, then read in 20 ms blocks of 16-bit frames mixed down
 * to mono, rewinding once at the end as a looping play does.  The code
 * under test is the library's; the checks are the ones the program
 * relies on: counts within what was asked, a bounded total, no read past
 * the buffer handed in.
 */
#include <string.h>

#include <sndfile.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define RATE		48000
#define FRAME		960
#define MAX_CHANNELS	16
/*
 * Blocks read at most: a header may claim any length, and compressed
 * formats expand, so the bound grows with the input.
 */
#define MAX_BLOCKS(size)	(8 + (size) / 64)

struct vio {
	const uint8_t	*p;
	sf_count_t	 len;
	sf_count_t	 pos;
};

static sf_count_t
vio_len(void *arg)
{
	return ((struct vio *)arg)->len;
}

static sf_count_t
vio_seek(sf_count_t off, int whence, void *arg)
{
	struct vio *v = arg;
	sf_count_t to;

	switch (whence) {
	case SEEK_SET:
		to = off;
		break;
	case SEEK_CUR:
		to = v->pos + off;
		break;
	case SEEK_END:
		to = v->len + off;
		break;
	default:
		return -1;
	}
	if (to < 0)
		return -1;
	v->pos = to;
	return to;
}

static sf_count_t
vio_read(void *out, sf_count_t n, void *arg)
{
	struct vio *v = arg;

	if (n < 0 || v->pos >= v->len)
		return 0;
	if (n > v->len - v->pos)
		n = v->len - v->pos;
	memcpy(out, v->p + v->pos, (size_t)n);
	v->pos += n;
	return n;
}

static sf_count_t
vio_write(const void *in, sf_count_t n, void *arg)
{
	return 0;
}

static sf_count_t
vio_tell(void *arg)
{
	return ((struct vio *)arg)->pos;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int16_t inbuf[FRAME * MAX_CHANNELS + 16], pcm[FRAME];
	SF_VIRTUAL_IO io = { vio_len, vio_seek, vio_read, vio_write,
	    vio_tell };
	struct vio v = { data, (sf_count_t)size, 0 };
	SF_INFO info;
	SNDFILE *sf;
	sf_count_t r;
	size_t blocks = 0, i;
	int c, rewound = 0;
	long sum;

	memset(&info, 0, sizeof(info));
	if ((sf = sf_open_virtual(&io, SFM_READ, &info, &v)) == NULL)
		return 0;
	/* audio_file.c refuses anything else before reading */
	if (info.samplerate != RATE || info.channels < 1 ||
	    info.channels > MAX_CHANNELS) {
		sf_close(sf);
		return 0;
	}
	inbuf[FRAME * info.channels] = 0x5a5a;
	while (blocks++ < MAX_BLOCKS(size)) {
		r = sf_readf_short(sf, inbuf, FRAME);
		FUZZ_CHECK(r >= 0 && r <= FRAME);
		FUZZ_CHECK(inbuf[FRAME * info.channels] == 0x5a5a);
		if (r == 0) {
			if (rewound || sf_seek(sf, 0, SEEK_SET) < 0)
				break;
			rewound = 1;
			continue;
		}
		rewound = 0;
		for (i = 0; i < (size_t)r; i++) {
			sum = 0;
			for (c = 0; c < info.channels; c++)
				sum += inbuf[i * (size_t)info.channels +
				    (size_t)c];
			pcm[i] = (int16_t)(sum / info.channels);
		}
	}
	(void)sf_error(sf);
	sf_close(sf);
	return 0;
}
