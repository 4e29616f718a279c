/*
 * mpkt.h - media packets: seal and open encrypted UDP datagrams, sans I/O.
 *
 * Wire format of one datagram (all of it is one AEAD message):
 *
 *	byte 0     : type (high 4 bits) | key phase (low 4 bits)
 *	bytes 1..4 : counter, 32-bit big endian, per type class
 *	bytes 5..  : ChaCha20-Poly1305 ciphertext of the payload, 16-byte tag
 *
 * The 5 header bytes are the associated data.  Overhead: 21 bytes.
 * The 64-bit ChaChaPoly nonce (Noise encoding: 4 zero bytes, then the
 * nonce little endian) is  (class << 32) | counter, where class is 0 for
 * audio and 1 for control packets; each class has its own counter and its
 * own replay window, so a nonce never repeats under one key.
 *
 * Keys: one per direction, the raw keys from Split().  Every
 * MPKT_REKEY_INTERVAL audio packets the sender moves to the next key
 * phase: k = Noise Rekey(k) (noise_rekey_key()), and wipes the old key.
 * The phase number modulo 16 is sent in the low 4 bits of byte 0.  The
 * receiver keeps the current and the previous phase's keys, derives the
 * next one on demand, and moves forward only after a packet under the new
 * key authenticated (then the key two phases back is wiped).  A packet
 * whose phase is neither previous, current nor next is dropped.
 *
 * Counters start at 0 and never wrap: at MPKT_COUNTER_LIMIT sealing fails
 * with E2_ERR_NONCE and the call must end.  Opening checks the replay
 * window first (cheap reject), then authenticates, then updates the window.
 *
 * All state lives in a sodium_malloc()ed struct mpkt, wiped by mpkt_free().
 */
#ifndef E2_MPKT_H
#define E2_MPKT_H

#include <stddef.h>
#include <stdint.h>

#define MPKT_HDRLEN		5
#define MPKT_TAGLEN		16
#define MPKT_OVERHEAD		(MPKT_HDRLEN + MPKT_TAGLEN)
#define MPKT_MAX_PAYLOAD	1200
#define MPKT_MAX_DATAGRAM	(MPKT_MAX_PAYLOAD + MPKT_OVERHEAD)
#define MPKT_REKEY_INTERVAL	4096u	/* audio packets per key (82 s at 20 ms) */
#define MPKT_COUNTER_LIMIT	0xffffffffu

enum mpkt_type {
	MPKT_AUDIO = 1,		/* payload: one Opus packet; class 0 */
	MPKT_CONTROL = 2,	/* payload: control message (media.h); class 1 */
};

struct mpkt;

/* send_key, recv_key: the two Split() keys as seen from this side. */
int	mpkt_new(struct mpkt **mp, const uint8_t send_key[32],
	    const uint8_t recv_key[32]);
void	mpkt_free(struct mpkt *m);

/*
 * Seals payload as the next packet of the given type into out (outcap
 * bytes; paylen + MPKT_OVERHEAD needed).  For MPKT_AUDIO the counter is the
 * audio frame index, which the caller may advance past unsent frames (DTX)
 * with mpkt_skip_audio(); control counters simply increase.
 */
int	mpkt_seal(struct mpkt *m, enum mpkt_type type, const uint8_t *payload,
	    size_t paylen, uint8_t *out, size_t outcap, size_t *outlenp);
/* Advances the audio counter by n without sending (DTX, mute). */
int	mpkt_skip_audio(struct mpkt *m, uint32_t n);

/*
 * Opens a received datagram.  On success writes the payload into out,
 * its length to *outlenp, the type to *typep and the counter to *ctrp.
 * Errors: E2_ERR_SHORT / E2_ERR_MALFORMED (bad header or type),
 * E2_ERR_REPLAY (seen or older than the window), E2_ERR_FUTURE (phase out
 * of reach), E2_ERR_AUTH (tag).  A failed open changes no state.
 */
int	mpkt_open(struct mpkt *m, const uint8_t *in, size_t inlen,
	    uint8_t *out, size_t outcap, size_t *outlenp,
	    enum mpkt_type *typep, uint32_t *ctrp);

/* Key phase numbers (full, not mod 16), for stats and tests. */
uint32_t mpkt_send_phase(const struct mpkt *m);
uint32_t mpkt_recv_phase(const struct mpkt *m);
/* For tests: set the next send counters (audio, control). */
void	mpkt_test_set_counters(struct mpkt *m, uint32_t audio, uint32_t ctrl);

#endif
