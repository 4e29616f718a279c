/*
 * mpkt.c - media packet seal/open with key phases and replay windows;
 * see mpkt.h.
 *
 * Send side: one key, the phase number and the key epoch, the audio
 * counter interval (audio counter / MPKT_REKEY_INTERVAL) the key was made
 * for.  Before a packet is sealed, if the next audio counter has entered a
 * later interval than the key's epoch, the key moves forward by exactly one
 * phase, however many intervals were skipped: the receiver can only follow
 * one phase at a time, and a long mute (mpkt_skip_audio()) must not leave
 * it behind.
 *
 * Receive side: the keys of the current phase and, after the first phase
 * change, of the previous one.  The next phase's key is derived into a
 * scratch slot when a packet claims it and is kept only if that packet
 * authenticates.  Both classes share the phase but have their own replay
 * windows; counters grow across phases, so one window per class suffices.
 */
#include <string.h>

#include <sodium.h>

#include "buf.h"
#include "err.h"
#include "mpkt.h"
#include "noise.h"
#include "replay.h"
#include "sigmsg.h"

#define KEYLEN		32
#define NONCELEN	12
#define PHASE_MASK	0x0fu
#define CLASS_AUDIO	0u
#define CLASS_CONTROL	1u

struct mpkt {
	/* send side */
	uint8_t		 tx_key[KEYLEN];
	uint32_t	 tx_phase;
	uint32_t	 tx_epoch;
	uint32_t	 tx_audio;	/* next audio counter */
	uint32_t	 tx_ctrl;	/* next control counter */

	/* receive side */
	uint8_t		 rx_cur[KEYLEN];
	uint8_t		 rx_prev[KEYLEN];	/* valid when rx_phase > 0 */
	uint8_t		 rx_next[KEYLEN];	/* scratch, zero between opens */
	uint32_t	 rx_phase;
	struct replay	 rx_win[2];	/* by class */
};

static uint32_t
type_class(enum mpkt_type type)
{
	return type == MPKT_AUDIO ? CLASS_AUDIO : CLASS_CONTROL;
}

/* The Noise ChaChaPoly nonce: 4 zero bytes, then n little endian. */
static void
make_nonce(uint8_t nonce[NONCELEN], uint32_t class, uint32_t ctr)
{
	uint64_t n = ((uint64_t)class << 32) | ctr;
	int i;

	memset(nonce, 0, 4);
	for (i = 0; i < 8; i++)
		nonce[4 + i] = (uint8_t)(n >> (8 * i));
}

int
mpkt_new(struct mpkt **mp, const uint8_t send_key[32],
    const uint8_t recv_key[32])
{
	struct mpkt *m;

	if (mp == NULL || send_key == NULL || recv_key == NULL)
		return E2_ERR_INVAL;
	*mp = NULL;
	if ((m = sodium_malloc(sizeof(*m))) == NULL)
		return E2_ERR_NOMEM;
	sodium_memzero(m, sizeof(*m));
	memcpy(m->tx_key, send_key, KEYLEN);
	memcpy(m->rx_cur, recv_key, KEYLEN);
	replay_init(&m->rx_win[CLASS_AUDIO]);
	replay_init(&m->rx_win[CLASS_CONTROL]);
	*mp = m;
	return 0;
}

void
mpkt_free(struct mpkt *m)
{
	if (m == NULL)
		return;
	sodium_memzero(m, sizeof(*m));
	sodium_free(m);
}

/* Moves the send key one phase forward if the audio counter asks for it. */
static void
tx_keep_key_fresh(struct mpkt *m)
{
	uint32_t epoch = m->tx_audio / MPKT_REKEY_INTERVAL;

	if (epoch <= m->tx_epoch)
		return;
	noise_rekey_key(m->tx_key);	/* overwrites the old key in place */
	m->tx_epoch = epoch;
	m->tx_phase++;
}

int
mpkt_seal(struct mpkt *m, enum mpkt_type type, const uint8_t *payload,
    size_t paylen, uint8_t *out, size_t outcap, size_t *outlenp)
{
	uint8_t nonce[NONCELEN];
	unsigned long long clen;
	uint32_t *ctrp;
	struct buf w;

	if (m == NULL || out == NULL || outlenp == NULL ||
	    (payload == NULL && paylen > 0))
		return E2_ERR_INVAL;
	if (type != MPKT_AUDIO && type != MPKT_CONTROL)
		return E2_ERR_INVAL;
	if (paylen > MPKT_MAX_PAYLOAD)
		return E2_ERR_TOOBIG;
	if (outcap < paylen + MPKT_OVERHEAD)
		return E2_ERR_SPACE;
	ctrp = type == MPKT_AUDIO ? &m->tx_audio : &m->tx_ctrl;
	if (*ctrp >= MPKT_COUNTER_LIMIT)
		return E2_ERR_NONCE;

	tx_keep_key_fresh(m);

	buf_init_write(&w, out, MPKT_HDRLEN);
	buf_put_u8(&w, (uint8_t)((unsigned)type << 4 |
	    (m->tx_phase & PHASE_MASK)));
	buf_put_u32(&w, *ctrp);
	make_nonce(nonce, type_class(type), *ctrp);
	crypto_aead_chacha20poly1305_ietf_encrypt(out + MPKT_HDRLEN, &clen,
	    payload, paylen, out, MPKT_HDRLEN, NULL, nonce, m->tx_key);
	(*ctrp)++;
	*outlenp = MPKT_HDRLEN + (size_t)clen;
	return 0;
}

int
mpkt_skip_audio(struct mpkt *m, uint32_t n)
{
	if (m == NULL)
		return E2_ERR_INVAL;
	if (n > MPKT_COUNTER_LIMIT - m->tx_audio)
		return E2_ERR_NONCE;
	m->tx_audio += n;
	return 0;
}

/*
 * Picks the key for a packet's 4-bit phase: the current, the previous or
 * (derived into rx_next) the next phase.  *nextp says which was taken.
 */
static int
rx_pick_key(struct mpkt *m, unsigned int phase4, const uint8_t **keyp,
    int *nextp)
{
	unsigned int d = (phase4 - m->rx_phase) & PHASE_MASK;

	*nextp = 0;
	if (d == 0) {
		*keyp = m->rx_cur;
	} else if (d == 1) {
		memcpy(m->rx_next, m->rx_cur, KEYLEN);
		noise_rekey_key(m->rx_next);
		*keyp = m->rx_next;
		*nextp = 1;
	} else if (d == PHASE_MASK && m->rx_phase > 0) {
		*keyp = m->rx_prev;
	} else {
		return E2_ERR_FUTURE;
	}
	return 0;
}

int
mpkt_open(struct mpkt *m, const uint8_t *in, size_t inlen,
    uint8_t *out, size_t outcap, size_t *outlenp,
    enum mpkt_type *typep, uint32_t *ctrp)
{
	uint8_t nonce[NONCELEN], b0;
	const uint8_t *key;
	unsigned long long plen;
	enum mpkt_type type;
	struct replay *win;
	struct buf rd;
	uint32_t ctr;
	int next = 0, r;

	if (m == NULL || in == NULL || out == NULL || outlenp == NULL ||
	    typep == NULL || ctrp == NULL)
		return E2_ERR_INVAL;
	if (inlen < MPKT_OVERHEAD)
		return E2_ERR_SHORT;
	if (inlen > MPKT_MAX_DATAGRAM)
		return E2_ERR_TOOBIG;
	buf_init_read(&rd, in, inlen);
	if ((r = buf_get_u8(&rd, &b0)) != 0 ||
	    (r = buf_get_u32(&rd, &ctr)) != 0)
		return r;
	switch (b0 >> 4) {
	case MPKT_AUDIO:
		type = MPKT_AUDIO;
		break;
	case MPKT_CONTROL:
		type = MPKT_CONTROL;
		break;
	default:
		return E2_ERR_MALFORMED;
	}
	if (ctr >= MPKT_COUNTER_LIMIT)
		return E2_ERR_MALFORMED;	/* never sealed */
	if (outcap < inlen - MPKT_OVERHEAD)
		return E2_ERR_SPACE;

	win = &m->rx_win[type_class(type)];
	if ((r = replay_check(win, ctr)) != 0)
		return r;
	if ((r = rx_pick_key(m, b0 & PHASE_MASK, &key, &next)) != 0)
		return r;

	make_nonce(nonce, type_class(type), ctr);
	if (crypto_aead_chacha20poly1305_ietf_decrypt(out, &plen, NULL,
	    in + MPKT_HDRLEN, inlen - MPKT_HDRLEN, in, MPKT_HDRLEN, nonce,
	    key) != 0) {
		r = E2_ERR_AUTH;
		goto out;
	}

	/* Authenticated: commit. */
	if (next) {
		memcpy(m->rx_prev, m->rx_cur, KEYLEN);	/* wipes phase - 1 */
		memcpy(m->rx_cur, m->rx_next, KEYLEN);
		m->rx_phase++;
	}
	replay_update(win, ctr);
	*outlenp = (size_t)plen;
	*typep = type;
	*ctrp = ctr;
	r = 0;
 out:
	sodium_memzero(m->rx_next, KEYLEN);
	return r;
}

uint32_t
mpkt_send_phase(const struct mpkt *m)
{
	return m->tx_phase;
}

uint32_t
mpkt_recv_phase(const struct mpkt *m)
{
	return m->rx_phase;
}

void
mpkt_test_set_counters(struct mpkt *m, uint32_t audio, uint32_t ctrl)
{
	m->tx_audio = audio;
	m->tx_ctrl = ctrl;
}

/* ---- control messages ---- */

static int
ctrl_body_len(uint8_t type, size_t *lenp)
{
	switch (type) {
	case MPKT_CTRL_PING:
	case MPKT_CTRL_PONG:
	case MPKT_CTRL_CHECK:
	case MPKT_CTRL_CHECK_REPLY:
		*lenp = 8;
		return 0;
	case MPKT_CTRL_BYE:
		*lenp = 1;
		return 0;
	case MPKT_CTRL_STATS:
		*lenp = 4;
		return 0;
	}
	return E2_ERR_MALFORMED;
}

int
mpkt_ctrl_encode(const struct mpkt_ctrl *c, uint8_t *out, size_t cap,
    size_t *lenp)
{
	struct buf w;
	size_t body;
	int r;

	if (c == NULL || out == NULL || lenp == NULL)
		return E2_ERR_INVAL;
	if (ctrl_body_len(c->type, &body) != 0)
		return E2_ERR_INVAL;
	if (c->type == MPKT_CTRL_STATS && c->loss_pm > MPKT_STATS_LOSS_MAX)
		return E2_ERR_INVAL;
	if (c->type == MPKT_CTRL_BYE && c->reason > SIG_R_MAX)
		return E2_ERR_INVAL;
	if (cap < 1 + body)
		return E2_ERR_SPACE;

	buf_init_write(&w, out, cap);
	if ((r = buf_put_u8(&w, c->type)) != 0)
		return r;
	switch (c->type) {
	case MPKT_CTRL_BYE:
		r = buf_put_u8(&w, c->reason);
		break;
	case MPKT_CTRL_STATS:
		if ((r = buf_put_u16(&w, c->loss_pm)) == 0)
			r = buf_put_u16(&w, c->jitter_ms);
		break;
	default:
		r = buf_put_u64(&w, c->value);
		break;
	}
	if (r != 0)
		return r;
	*lenp = w.len;
	return 0;
}

int
mpkt_ctrl_decode(struct mpkt_ctrl *c, const uint8_t *in, size_t len)
{
	struct mpkt_ctrl t;
	struct buf rd;
	size_t body;
	int r;

	if (c == NULL || (in == NULL && len > 0))
		return E2_ERR_INVAL;
	memset(&t, 0, sizeof(t));
	buf_init_read(&rd, in, len);
	if ((r = buf_get_u8(&rd, &t.type)) != 0)
		return r;
	if ((r = ctrl_body_len(t.type, &body)) != 0)
		return r;
	if (len < 1 + body)
		return E2_ERR_SHORT;
	if (len > 1 + body)
		return E2_ERR_MALFORMED;
	switch (t.type) {
	case MPKT_CTRL_BYE:
		if ((r = buf_get_u8(&rd, &t.reason)) == 0 &&
		    t.reason > SIG_R_MAX)
			r = E2_ERR_MALFORMED;
		break;
	case MPKT_CTRL_STATS:
		if ((r = buf_get_u16(&rd, &t.loss_pm)) == 0)
			r = buf_get_u16(&rd, &t.jitter_ms);
		if (r == 0 && t.loss_pm > MPKT_STATS_LOSS_MAX)
			r = E2_ERR_MALFORMED;
		break;
	default:
		r = buf_get_u64(&rd, &t.value);
		break;
	}
	if (r != 0)
		return r;
	if ((r = buf_expect_end(&rd)) != 0)
		return r;
	*c = t;
	return 0;
}
