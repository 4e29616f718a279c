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
	MPKT_CONTROL = 2,	/* payload: control message (below); class 1 */
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

/*
 * Control messages: the plaintext of an MPKT_CONTROL packet.  Byte 0 is the
 * control type; the fields that follow are fixed per type, big endian:
 *
 *	PING         u64 value   sender's timestamp (us), opaque to the peer
 *	PONG         u64 value   the value of the PING it answers
 *	BYE          u8 reason   why the call ends: a signaling reason code,
 *	                         enum sig_reason (sigmsg.h), 0..SIG_R_MAX
 *	STATS        u16 loss_pm, u16 jitter_ms: what the sender of STATS
 *	             measured on the stream it receives; loss_pm <= 1000
 *	CHECK        u64 value   connectivity check, transaction id
 *	CHECK_REPLY  u64 value   the transaction id of the CHECK it answers
 *
 * Fields a type does not carry are 0 after decoding and ignored when
 * encoding.
 */
enum mpkt_ctrl_type {
	MPKT_CTRL_PING = 1,
	MPKT_CTRL_PONG = 2,
	MPKT_CTRL_BYE = 3,
	MPKT_CTRL_STATS = 4,
	MPKT_CTRL_CHECK = 5,
	MPKT_CTRL_CHECK_REPLY = 6,
};

#define MPKT_CTRL_MAXLEN	9	/* longest encoded control message */
#define MPKT_STATS_LOSS_MAX	1000	/* loss_pm is per mille */

struct mpkt_ctrl {
	uint8_t		type;		/* enum mpkt_ctrl_type */
	uint64_t	value;		/* PING, PONG, CHECK, CHECK_REPLY */
	uint8_t		reason;		/* BYE */
	uint16_t	loss_pm;	/* STATS */
	uint16_t	jitter_ms;	/* STATS */
};

/*
 * Encodes c into out (cap bytes) and stores the length in *lenp.
 * E2_ERR_INVAL for an unknown type, loss_pm over MPKT_STATS_LOSS_MAX or
 * a reason over SIG_R_MAX; E2_ERR_SPACE when cap is too small.
 */
int	mpkt_ctrl_encode(const struct mpkt_ctrl *c, uint8_t *out, size_t cap,
	    size_t *lenp);
/*
 * Decodes exactly len bytes.  E2_ERR_SHORT when bytes are missing,
 * E2_ERR_MALFORMED for an unknown type, trailing bytes or an out-of-range
 * field.  *c is written only on success.
 */
int	mpkt_ctrl_decode(struct mpkt_ctrl *c, const uint8_t *in, size_t len);

#endif
