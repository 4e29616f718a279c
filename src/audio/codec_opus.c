/*
 * codec_opus.c - the Opus wrapper; see codec.h.
 *
 * Encoder: 48 kHz mono, OPUS_APPLICATION_VOIP tuned for voice, in-band
 * FEC on with a 10 % expected loss until the peer reports its own figure
 * (libopus only spends bits on FEC when the loss figure is above zero).
 *
 * Constant size.  With vbr = 0 libopus runs in CBR mode and is given
 * exactly bitrate * frame_ms / 8000 bytes.  libopus 1.3 fills them (seen
 * for silence, full-scale noise and tones, 6 to 64 kb/s, 10 and 20 ms);
 * should a version leave a packet shorter, it is padded up to that size
 * with Opus' own padding (opus_packet_pad(), which decoders skip), so every
 * packet on the wire has the same length whatever the signal.  The one
 * exception is DTX: when dtx is set, a frame the encoder declares silent
 * comes back as 1 or 2 bytes and the caller sends nothing, which shows
 * when someone stops talking.
 *
 * FEC has a price at low rates: libopus 1.3 only adds FEC at 24 kb/s once
 * the loss figure reaches about 10 %, and pays for it by narrowing to
 * wideband and coarser coding of the frame itself.
 *
 * Defaults for fields left 0: bitrate 24000, complexity 9 (complexity 0
 * itself is therefore not selectable; 1..10 are).
 */
#include <stdlib.h>
#include <opus.h>

#include "codec.h"
#include "err.h"

#define RATE		48000
#define MAX_PACKET	1275	/* largest Opus frame */
#define MIN_BITRATE	6000
#define MAX_BITRATE	510000
#define DEF_BITRATE	24000
#define DEF_COMPLEXITY	9
#define DEF_LOSS	10

struct codec {
	OpusEncoder	*enc;
	OpusDecoder	*dec;
	unsigned	 frame_ms;
	size_t		 samples;	/* per frame */
	int		 vbr;
	int		 dtx;
	size_t		 cbr_bytes;	/* packet size when !vbr */
};

static int
opus_to_e2(int err)
{
	switch (err) {
	case OPUS_BAD_ARG:		return E2_ERR_INVAL;
	case OPUS_BUFFER_TOO_SMALL:	return E2_ERR_SPACE;
	case OPUS_INVALID_PACKET:	return E2_ERR_MALFORMED;
	case OPUS_UNIMPLEMENTED:	return E2_ERR_UNSUPPORTED;
	case OPUS_INVALID_STATE:	return E2_ERR_STATE;
	case OPUS_ALLOC_FAIL:		return E2_ERR_NOMEM;
	}
	return E2_ERR_FAILED;		/* OPUS_INTERNAL_ERROR */
}

static size_t
cbr_size(unsigned bitrate, unsigned frame_ms)
{
	size_t n = (size_t)bitrate * frame_ms / 8000;

	return n < MAX_PACKET ? n : MAX_PACKET;
}

size_t
codec_frame_samples(const struct codec *c)
{
	return c->samples;
}

int
codec_new(struct codec **cp, const struct codec_cfg *cfg)
{
	struct codec *c = NULL;
	unsigned bitrate;
	int complexity, err, r;

	if (cp == NULL)
		return E2_ERR_INVAL;
	*cp = NULL;
	if (cfg == NULL || (cfg->frame_ms != 10 && cfg->frame_ms != 20))
		return E2_ERR_INVAL;
	bitrate = cfg->bitrate != 0 ? cfg->bitrate : DEF_BITRATE;
	if (bitrate < MIN_BITRATE || bitrate > MAX_BITRATE)
		return E2_ERR_INVAL;
	complexity = cfg->complexity != 0 ? cfg->complexity : DEF_COMPLEXITY;
	if (complexity < 0 || complexity > 10)
		return E2_ERR_INVAL;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return E2_ERR_NOMEM;
	c->frame_ms = cfg->frame_ms;
	c->samples = (size_t)RATE / 1000 * cfg->frame_ms;
	c->vbr = cfg->vbr != 0;
	c->dtx = cfg->dtx != 0;
	c->cbr_bytes = cbr_size(bitrate, cfg->frame_ms);

	c->enc = opus_encoder_create(RATE, 1, OPUS_APPLICATION_VOIP, &err);
	if (c->enc == NULL) {
		r = opus_to_e2(err);
		goto fail;
	}
	if ((err = opus_encoder_ctl(c->enc, OPUS_SET_BITRATE(bitrate))) != 0 ||
	    (err = opus_encoder_ctl(c->enc, OPUS_SET_VBR(c->vbr))) != 0 ||
	    (err = opus_encoder_ctl(c->enc,
	    OPUS_SET_COMPLEXITY(complexity))) != 0 ||
	    (err = opus_encoder_ctl(c->enc, OPUS_SET_INBAND_FEC(1))) != 0 ||
	    (err = opus_encoder_ctl(c->enc,
	    OPUS_SET_PACKET_LOSS_PERC(DEF_LOSS))) != 0 ||
	    (err = opus_encoder_ctl(c->enc, OPUS_SET_DTX(c->dtx))) != 0 ||
	    (err = opus_encoder_ctl(c->enc,
	    OPUS_SET_SIGNAL(OPUS_SIGNAL_VOICE))) != 0) {
		r = opus_to_e2(err);
		goto fail;
	}
	c->dec = opus_decoder_create(RATE, 1, &err);
	if (c->dec == NULL) {
		r = opus_to_e2(err);
		goto fail;
	}
	*cp = c;
	return 0;

fail:
	codec_free(c);
	return r;
}

void
codec_free(struct codec *c)
{
	if (c == NULL)
		return;
	if (c->enc != NULL)
		opus_encoder_destroy(c->enc);
	if (c->dec != NULL)
		opus_decoder_destroy(c->dec);
	free(c);
}

int
codec_encode(struct codec *c, const int16_t *pcm, uint8_t *out,
    size_t outcap)
{
	opus_int32 cap;
	int n, err;

	if (c == NULL || pcm == NULL || out == NULL)
		return E2_ERR_INVAL;
	if (c->vbr) {
		cap = outcap < MAX_PACKET ? (opus_int32)outcap : MAX_PACKET;
	} else {
		if (outcap < c->cbr_bytes)
			return E2_ERR_SPACE;
		cap = (opus_int32)c->cbr_bytes;
	}
	if (cap < 3)
		return E2_ERR_SPACE;
	n = opus_encode(c->enc, pcm, (int)c->samples, out, cap);
	if (n < 0)
		return opus_to_e2(n);
	if (c->dtx && n <= 2)
		return n;		/* silence: nothing to send */
	if (!c->vbr && n < cap) {
		if ((err = opus_packet_pad(out, n, cap)) != OPUS_OK)
			return opus_to_e2(err);
		n = cap;
	}
	return n;
}

int
codec_decode(struct codec *c, const uint8_t *pkt, size_t len, int fec,
    int16_t *pcm)
{
	int n;

	if (c == NULL || pcm == NULL)
		return E2_ERR_INVAL;
	if (pkt == NULL) {
		/* concealment: the decoder extrapolates what it last had */
		n = opus_decode(c->dec, NULL, 0, pcm, (int)c->samples, 0);
	} else {
		if (len == 0)
			return E2_ERR_INVAL;
		if (len > 0x7fffffff)
			return E2_ERR_TOOBIG;
		/*
		 * One packet is one frame period: a packet of another length
		 * would not fit the playout clock.  For FEC the lost frame is
		 * one period by definition; the packet only carries it.
		 */
		n = opus_packet_get_nb_samples(pkt, (opus_int32)len, RATE);
		if (n < 0)
			return opus_to_e2(n);
		if (!fec && (size_t)n != c->samples)
			return E2_ERR_MALFORMED;
		n = opus_decode(c->dec, pkt, (opus_int32)len, pcm,
		    (int)c->samples, fec ? 1 : 0);
	}
	if (n < 0)
		return opus_to_e2(n);
	if ((size_t)n != c->samples)
		return E2_ERR_MALFORMED;
	return n;
}

void
codec_set_loss(struct codec *c, int percent)
{
	if (c == NULL)
		return;
	if (percent < 0)
		percent = 0;
	if (percent > 100)
		percent = 100;
	opus_encoder_ctl(c->enc, OPUS_SET_PACKET_LOSS_PERC(percent));
}

int
codec_set_bitrate(struct codec *c, unsigned bitrate)
{
	int err;

	if (c == NULL || bitrate < MIN_BITRATE || bitrate > MAX_BITRATE)
		return E2_ERR_INVAL;
	if ((err = opus_encoder_ctl(c->enc, OPUS_SET_BITRATE(bitrate))) != 0)
		return opus_to_e2(err);
	c->cbr_bytes = cbr_size(bitrate, c->frame_ms);
	return 0;
}
