/*
 * codec.h - Opus for calls: 48 kHz mono, OPUS_APPLICATION_VOIP, in-band
 * FEC on, constant bitrate (constant-size packets) unless vbr is set, DTX
 * optional.  A thin wrapper over libopus.
 */
#ifndef E2_CODEC_H
#define E2_CODEC_H

#include <stddef.h>
#include <stdint.h>

struct codec_cfg {
	unsigned	frame_ms;	/* 10 or 20 */
	unsigned	bitrate;	/* bits per second, default (0) 24000 */
	int		vbr;		/* 0 = CBR: every packet the same size */
	int		dtx;
	int		complexity;	/* 1..10, default (0) 9 */
};

struct codec;

int	codec_new(struct codec **cp, const struct codec_cfg *cfg);
void	codec_free(struct codec *c);
/* Samples per frame (480 or 960). */
size_t	codec_frame_samples(const struct codec *c);
/* Encodes one frame; returns the packet length (>0), 0..2 for DTX
 * (nothing to send), or a negative E2_ERR_*. */
int	codec_encode(struct codec *c, const int16_t *pcm, uint8_t *out,
	    size_t outcap);
/*
 * Decodes one frame into pcm (codec_frame_samples() samples).  pkt NULL
 * conceals a lost frame; fec = 1 decodes the FEC data of pkt (the next
 * packet) in place of the lost one.  Returns codec_frame_samples(), or a
 * negative E2_ERR_* (E2_ERR_MALFORMED: pkt does not parse, or holds other
 * than one frame period of audio).
 */
int	codec_decode(struct codec *c, const uint8_t *pkt, size_t len, int fec,
	    int16_t *pcm);
/* Tells the encoder the loss rate the peer measured (0..100). */
void	codec_set_loss(struct codec *c, int percent);
int	codec_set_bitrate(struct codec *c, unsigned bitrate);

#endif
