/*
 * fuzz_mpkt.c - media packets (mpkt.h): mpkt_open and the control codec.
 *
 * A sender and a receiver share fixed keys; a few valid packets of both
 * classes are opened first, so the replay windows are not empty.  The
 * input is then a sequence of operations (u8 op, then its arguments):
 *
 *	raw datagram     u16 length, bytes: opened as they are
 *	seal audio       u8 length: sealed by the sender, then opened
 *	seal control     u8 length (the payload is also a control message)
 *	skip audio       u16 frames, u8 shift: the sender skips n << shift
 *	replay           u8 index: a stored packet again
 *	tamper           u8 index, u16 position, u8 mask: a stored packet with
 *	                 one byte changed
 *	control decode   u8 length, bytes: mpkt_ctrl_decode (and round trip)
 *
 * Invariants: a packet that opened never opens again; a changed packet
 * never opens; a freshly sealed packet whose counter is above every
 * counter seen in its class, sealed within one key phase of the
 * receiver's, opens to the same payload, type and counter; a raw
 * datagram opens only if it is byte for byte a sealed one; opening never
 * writes more than the payload.
 */
#include <string.h>

#include <sodium.h>

#include "err.h"
#include "fuzz.h"
#include "mpkt.h"
#include "sigmsg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define NSTORED	8

struct stored {
	uint8_t		 pkt[MPKT_MAX_DATAGRAM];
	size_t		 len;
	int		 opened;	/* opened once already */
};

static uint8_t key_ab[32], key_ba[32];
static struct stored stored[NSTORED];
static size_t nstored, next_store;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	size_t i;

	if (sodium_init() < 0)
		abort();
	for (i = 0; i < 32; i++) {
		key_ab[i] = (uint8_t)(0xa0 ^ i);
		key_ba[i] = (uint8_t)(0x5b ^ (i * 7));
	}
	return 0;
}

struct model {
	int		 seen[2];	/* any counter opened in the class */
	uint32_t	 high[2];	/* highest counter opened */
};

static int
klass(enum mpkt_type t)
{
	return t == MPKT_AUDIO ? 0 : 1;
}

static struct stored *
store(const uint8_t *pkt, size_t len)
{
	struct stored *s = &stored[next_store];

	memcpy(s->pkt, pkt, len);
	s->len = len;
	s->opened = 0;
	next_store = (next_store + 1) % NSTORED;
	if (nstored < NSTORED)
		nstored++;
	return s;
}

/* Opens in; returns the result and checks what holds for any packet. */
static int
open_one(struct mpkt *rx, struct model *md, const uint8_t *in, size_t len,
    uint8_t *out, size_t *outlenp, enum mpkt_type *typep, uint32_t *ctrp)
{
	uint8_t canary[MPKT_MAX_DATAGRAM + 16];
	uint32_t phase = mpkt_recv_phase(rx);
	int r;

	memset(out, 0xee, sizeof(canary));
	r = mpkt_open(rx, in, len, out, MPKT_MAX_PAYLOAD, outlenp, typep,
	    ctrp);
	if (r == 0) {
		FUZZ_CHECK(len >= MPKT_OVERHEAD);
		FUZZ_CHECK(*outlenp == len - MPKT_OVERHEAD);
		FUZZ_CHECK(*typep == MPKT_AUDIO || *typep == MPKT_CONTROL);
		FUZZ_CHECK(*ctrp < MPKT_COUNTER_LIMIT);
		FUZZ_CHECK(mpkt_recv_phase(rx) == phase ||
		    mpkt_recv_phase(rx) == phase + 1);
		if (!md->seen[klass(*typep)] ||
		    *ctrp > md->high[klass(*typep)])
			md->high[klass(*typep)] = *ctrp;
		md->seen[klass(*typep)] = 1;
	} else {
		FUZZ_CHECK(r == E2_ERR_SHORT || r == E2_ERR_MALFORMED ||
		    r == E2_ERR_TOOBIG || r == E2_ERR_REPLAY ||
		    r == E2_ERR_FUTURE || r == E2_ERR_AUTH);
		/* a failed open changes no state */
		FUZZ_CHECK(mpkt_recv_phase(rx) == phase);
	}
	/* nothing past the payload is written */
	memset(canary, 0xee, sizeof(canary));
	if (r == 0)
		FUZZ_CHECK(memcmp(out + *outlenp, canary,
		    MPKT_MAX_PAYLOAD - *outlenp) == 0);
	return r;
}

static void
seal_and_open(struct mpkt *tx, struct mpkt *rx, struct model *md,
    enum mpkt_type type, const uint8_t *pay, size_t paylen)
{
	uint8_t pkt[MPKT_MAX_DATAGRAM], out[MPKT_MAX_DATAGRAM + 16];
	size_t len, olen;
	enum mpkt_type t;
	uint32_t ctr, sp, rp;
	int r, c = klass(type), fresh, reachable;

	r = mpkt_seal(tx, type, pay, paylen, pkt, sizeof(pkt), &len);
	if (r == E2_ERR_NONCE)
		return;
	FUZZ_CHECK(r == 0 && len == paylen + MPKT_OVERHEAD);
	FUZZ_CHECK(pkt[0] >> 4 == (unsigned)type);
	ctr = (uint32_t)pkt[1] << 24 | (uint32_t)pkt[2] << 16 |
	    (uint32_t)pkt[3] << 8 | pkt[4];
	sp = mpkt_send_phase(tx);
	rp = mpkt_recv_phase(rx);
	FUZZ_CHECK((pkt[0] & 0x0f) == (sp & 0x0f));
	fresh = !md->seen[c] || ctr > md->high[c];
	reachable = sp == rp || sp == rp + 1 || (rp > 0 && sp == rp - 1);

	r = open_one(rx, md, pkt, len, out, &olen, &t, &ctr);
	if (fresh && reachable)
		FUZZ_CHECK(r == 0);
	if (r == 0) {
		FUZZ_CHECK(reachable);
		FUZZ_CHECK(t == type && olen == paylen);
		FUZZ_CHECK(paylen == 0 || memcmp(out, pay, paylen) == 0);
	}
	store(pkt, len)->opened = r == 0;
}

static void
ctrl_decode(const uint8_t *in, size_t len)
{
	struct mpkt_ctrl c, c2;
	uint8_t enc[MPKT_CTRL_MAXLEN + 8];
	size_t elen;
	int r;

	memset(&c, 0x5a, sizeof(c));
	r = mpkt_ctrl_decode(&c, in, len);
	if (r != 0) {
		FUZZ_CHECK(r == E2_ERR_SHORT || r == E2_ERR_MALFORMED);
		return;
	}
	FUZZ_CHECK(len <= MPKT_CTRL_MAXLEN);
	FUZZ_CHECK(c.type >= MPKT_CTRL_PING &&
	    c.type <= MPKT_CTRL_CHECK_REPLY);
	FUZZ_CHECK(c.loss_pm <= MPKT_STATS_LOSS_MAX);
	FUZZ_CHECK(c.reason <= SIG_R_MAX);
	/* the encoding is the input, and shorter room is refused */
	FUZZ_CHECK(mpkt_ctrl_encode(&c, enc, sizeof(enc), &elen) == 0);
	FUZZ_CHECK(elen == len && memcmp(enc, in, len) == 0);
	FUZZ_CHECK(mpkt_ctrl_encode(&c, enc, len - 1, &elen) ==
	    E2_ERR_SPACE);
	FUZZ_CHECK(mpkt_ctrl_decode(&c2, enc, len) == 0);
	FUZZ_CHECK(c2.type == c.type && c2.value == c.value &&
	    c2.reason == c.reason && c2.loss_pm == c.loss_pm &&
	    c2.jitter_ms == c.jitter_ms);
}

/* Is in byte for byte one of the stored sealed packets? */
static int
is_stored(const uint8_t *in, size_t len)
{
	size_t i;

	for (i = 0; i < nstored; i++)
		if (stored[i].len == len && memcmp(stored[i].pkt, in, len) == 0)
			return 1;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mpkt *tx, *rx;
	struct model md;
	struct fin f;
	struct stored *s;
	uint8_t pay[MPKT_MAX_PAYLOAD], pkt[MPKT_MAX_DATAGRAM + 8];
	uint8_t out[MPKT_MAX_DATAGRAM + 16];
	const uint8_t *p;
	size_t n, olen, i, pos;
	enum mpkt_type t;
	uint32_t ctr, skip;
	int r, ops = 0;
	uint8_t op, mask;

	memset(&md, 0, sizeof(md));
	nstored = next_store = 0;
	/* rx receives with the key tx sends with */
	FUZZ_CHECK(mpkt_new(&tx, key_ab, key_ba) == 0);
	FUZZ_CHECK(mpkt_new(&rx, key_ba, key_ab) == 0);

	/* Pre-fill: audio 0..4 with a gap, two control packets. */
	for (i = 0; i < 5; i++) {
		memset(pay, (int)i, 40);
		seal_and_open(tx, rx, &md, MPKT_AUDIO, pay, 40);
		if (i == 2)
			FUZZ_CHECK(mpkt_skip_audio(tx, 3) == 0);
	}
	for (i = 0; i < 2; i++) {
		pay[0] = MPKT_CTRL_PING;
		memset(pay + 1, (int)i, 8);
		seal_and_open(tx, rx, &md, MPKT_CONTROL, pay, 9);
	}

	fin_init(&f, data, size);
	while (f.n > 0 && ops++ < 256) {
		op = fin_u8(&f);
		switch (op % 7) {
		case 0:
			p = fin_take(&f, fin_u16(&f) % (MPKT_MAX_DATAGRAM + 8),
			    &n);
			memcpy(pkt, p, n);
			r = open_one(rx, &md, pkt, n, out, &olen, &t, &ctr);
			FUZZ_CHECK(r != 0 || is_stored(pkt, n));
			break;
		case 1:
		case 2:
			n = fin_u8(&f);
			for (i = 0; i < n; i++)
				pay[i] = (uint8_t)(op + i * 13);
			if (op % 7 == 2 && n > 0) {
				pay[0] = (uint8_t)(1 + op % 6);
				ctrl_decode(pay, n > MPKT_CTRL_MAXLEN ?
				    MPKT_CTRL_MAXLEN : n);
			}
			seal_and_open(tx, rx, &md, op % 7 == 1 ? MPKT_AUDIO :
			    MPKT_CONTROL, pay, n);
			break;
		case 3:
			skip = fin_u16(&f);
			skip <<= fin_u8(&f) % 17;
			r = mpkt_skip_audio(tx, skip);
			FUZZ_CHECK(r == 0 || r == E2_ERR_NONCE);
			break;
		case 4:
			if (nstored == 0)
				break;
			s = &stored[fin_u8(&f) % nstored];
			memcpy(pkt, s->pkt, s->len);
			r = open_one(rx, &md, pkt, s->len, out, &olen, &t,
			    &ctr);
			if (s->opened)
				FUZZ_CHECK(r != 0);
			if (r == 0)
				s->opened = 1;
			break;
		case 5:
			if (nstored == 0)
				break;
			s = &stored[fin_u8(&f) % nstored];
			pos = fin_u16(&f) % s->len;
			mask = fin_u8(&f);
			if (mask == 0)
				mask = 0x80;
			memcpy(pkt, s->pkt, s->len);
			pkt[pos] ^= mask;
			r = open_one(rx, &md, pkt, s->len, out, &olen, &t,
			    &ctr);
			FUZZ_CHECK(r != 0 || is_stored(pkt, s->len));
			break;
		case 6:
			p = fin_take(&f, fin_u8(&f) % 16, &n);
			ctrl_decode(p, n);
			break;
		}
	}
	mpkt_free(tx);
	mpkt_free(rx);
	return 0;
}
