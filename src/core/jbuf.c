/*
 * jbuf.c - adaptive jitter buffer; see jbuf.h.
 *
 * Time model.  Frame s is expected to arrive at
 *
 *	expected(s) = base_ms + (s - anchor_seq) * frame_ms
 *
 * where base_ms follows the earliest arrivals seen: a packet that comes
 * earlier than predicted moves it down at once, and the lowest lateness of
 * each window of a few seconds moves it up (sender and receiver clocks
 * drift).  Lateness of a packet is its arrival time minus expected(s), so
 * it is never negative.  The playout delay of the frame about to be played
 * is now - expected(next_seq): a packet is on time when its lateness is
 * below that.  The target delay is what the lateness needs: the larger of
 * twice the RFC 3550 interarrival jitter and the decaying peak of lateness
 * (plus a small margin), clamped to [min_ms, max_ms]; min_ms defaults to
 * one frame, which covers the granularity of the playout clock.
 *
 * jbuf_get() plays frames one index per call.  When the delay falls below
 * the target it conceals a frame without moving on (the delay grows by a
 * frame per call, at once); when even the lowest delay of a window of
 * calls is more than a frame and a quarter above the target it skips one
 * frame (the delay shrinks by a frame per window, slowly).
 *
 * Slots: a frame with index s lives in slots[s % JBUF_SLOTS].  A queued
 * frame always lies in [next_seq, next_seq + JBUF_SLOTS), so two queued
 * frames never share a slot.  A slot whose frame was played or skipped
 * keeps its index until it is reused, which tells a duplicate of a frame
 * already played from a packet that came too late.
 */
#include <stdint.h>
#include <string.h>

#include "err.h"
#include "jbuf.h"

enum {
	ST_IDLE,		/* no packet yet, or after a pause */
	ST_BUFFERING,		/* packets queued, waiting for the delay */
	ST_PLAYING,
};

enum {
	SLOT_FREE,
	SLOT_QUEUED,
	SLOT_DONE,		/* played or skipped; index kept */
};

#define PAUSE_MS	1000	/* no packet for this long: back to idle */
#define STRAY_MAX	3	/* far packets in a row that re-anchor */
#define DROP_WIN_MS	200	/* at most one frame skipped per window */
#define BASE_WIN_MS	4000	/* window of the lowest lateness (drift) */
#define PEAK_HOLD_MS	2000	/* the peak holds this long ... */
#define PEAK_TAU_MS	1500	/* ... then decays with this time constant */
#define PEAK_MARGIN_MS	2
#define ANCHOR_SPAN	(1u << 20)	/* move the anchor along past this */
#define DELAY_NONE	INT64_MAX

/* a - b as a signed distance on the 32-bit circle, without overflow. */
static int64_t
seq_diff(uint32_t a, uint32_t b)
{
	uint32_t d = a - b;

	if (d < 0x80000000u)
		return (int64_t)d;
	return (int64_t)d - ((int64_t)1 << 32);
}

static struct jbuf_slot *
slot_of(struct jbuf *jb, uint32_t seq)
{
	return &jb->slots[seq % JBUF_SLOTS];
}

static int
is_queued(const struct jbuf *jb, uint32_t seq)
{
	const struct jbuf_slot *s = &jb->slots[seq % JBUF_SLOTS];

	return s->used == SLOT_QUEUED && s->seq == seq;
}

static int64_t
expected(const struct jbuf *jb, uint32_t seq)
{
	return jb->base_ms + seq_diff(seq, jb->anchor_seq) *
	    (int64_t)jb->frame_ms;
}

static uint32_t
per_frame(const struct jbuf *jb, uint32_t ms)
{
	uint32_t n = ms / jb->frame_ms;

	return n > 0 ? n : 1;
}

/*
 * The highest target: max_ms, and less than the slots hold, so a full
 * delay plus the frames that arrive meanwhile still fit.
 */
static uint32_t
delay_cap(const struct jbuf *jb)
{
	uint32_t cap = (JBUF_SLOTS - 8) * jb->frame_ms;

	return jb->max_ms < cap ? jb->max_ms : cap;
}

static uint32_t
update_target(struct jbuf *jb)
{
	double need = 2.0 * jb->jitter;
	double p = jb->peak + PEAK_MARGIN_MS;
	uint32_t cap = delay_cap(jb), t;

	if (p > need)
		need = p;
	if (need >= (double)cap)
		t = cap;
	else
		t = (uint32_t)need + ((double)(uint32_t)need < need);
	if (t < jb->min_ms)
		t = jb->min_ms < cap ? jb->min_ms : cap;
	jb->target_ms = t;
	jb->stats.delay_ms = t;
	jb->stats.jitter_ms = (uint32_t)(jb->jitter + 0.5);
	return t;
}

/* Forgets the queued frames; the estimates and stats stay. */
static void
flush(struct jbuf *jb)
{
	size_t i;

	if (jb->state == ST_PLAYING) {
		jb->have_old = 1;
		jb->old_seq = jb->next_seq;
	}
	for (i = 0; i < JBUF_SLOTS; i++) {
		jb->slots[i].used = SLOT_FREE;
		jb->slots[i].len = 0;
	}
	jb->state = ST_IDLE;
	jb->queued = 0;
	jb->stray = 0;
	jb->gets_since_packet = 0;
	jb->win_delay = DELAY_NONE;
	jb->win_gets = 0;
}

void
jbuf_init(struct jbuf *jb, uint32_t frame_ms)
{
	memset(jb, 0, sizeof(*jb));
	/* 10 or 20 in practice; nonsense falls back to 20 */
	jb->frame_ms = frame_ms > 0 && frame_ms <= 1000 ? frame_ms : 20;
	jb->min_ms = jb->frame_ms;
	jb->max_ms = 400;
	jbuf_reset(jb);
}

void
jbuf_reset(struct jbuf *jb)
{
	flush(jb);
	jb->have_old = 0;
	jb->have_last = 0;
	jb->jitter = 0;
	jb->peak = 0;
	jb->peak_hold = 0;
	jb->win_late = INT64_MAX;
	jb->win_pkts = 0;
	update_target(jb);
}

/* A new peak of lateness (ms), held for a while before it decays. */
static void
raise_peak(struct jbuf *jb, double late)
{
	double cap = delay_cap(jb);

	if (late > cap)
		late = cap;
	if (late >= jb->peak) {
		jb->peak = late;
		jb->peak_hold = per_frame(jb, PEAK_HOLD_MS);
	}
}

/* Feeds one arrival to the jitter, peak and base estimates. */
static void
observe(struct jbuf *jb, uint32_t seq, uint64_t now_ms)
{
	int64_t late, d;

	if (jb->have_last) {
		d = (int64_t)(now_ms - jb->last_arrival_ms) -
		    seq_diff(seq, jb->last_seq) * (int64_t)jb->frame_ms;
		if (d < 0)
			d = -d;
		jb->jitter += ((double)d - jb->jitter) / 16.0;
	}
	jb->have_last = 1;
	jb->last_seq = seq;
	jb->last_arrival_ms = now_ms;

	late = (int64_t)now_ms - expected(jb, seq);
	if (late < 0) {
		/*
		 * Earlier than any packet so far: the base moves down, and
		 * what came before was that much later than thought.
		 */
		jb->base_ms += late;
		jb->peak -= (double)late;
		if (jb->peak > (double)delay_cap(jb))
			jb->peak = delay_cap(jb);
		late = 0;
	}
	raise_peak(jb, (double)late);

	if (late < jb->win_late)
		jb->win_late = late;
	if (++jb->win_pkts >= per_frame(jb, BASE_WIN_MS)) {
		/* Even the earliest packet was late: the path got longer. */
		if (jb->win_late > 0) {
			jb->base_ms += jb->win_late;
			jb->peak -= (double)jb->win_late;
			if (jb->peak < 0)
				jb->peak = 0;
		}
		jb->win_late = INT64_MAX;
		jb->win_pkts = 0;
	}
	update_target(jb);
}

static void
queue(struct jbuf *jb, uint32_t seq, const uint8_t *data, size_t len)
{
	struct jbuf_slot *s = slot_of(jb, seq);

	s->seq = seq;
	s->len = (uint16_t)len;
	s->used = SLOT_QUEUED;
	memcpy(s->data, data, len);
	jb->queued++;
	jb->stats.received++;
	jb->gets_since_packet = 0;
	if (jb->state == ST_BUFFERING && seq_diff(seq, jb->high_seq) > 0)
		jb->high_seq = seq;
}

/* First packet of a stream (or after a pause): the play point starts here. */
static int
start(struct jbuf *jb, uint32_t seq, const uint8_t *data, size_t len,
    uint64_t now_ms)
{
	int64_t diff;

	if (jb->have_old) {
		diff = seq_diff(seq, jb->old_seq);
		if (diff < 0 && diff >= -(int64_t)JBUF_SLOTS) {
			/* a straggler from before the pause */
			jb->stats.late++;
			return E2_ERR_REPLAY;
		}
	}
	jb->state = ST_BUFFERING;
	jb->next_seq = seq;
	jb->high_seq = seq;
	jb->anchor_seq = seq;
	jb->base_ms = (int64_t)now_ms;
	jb->have_last = 0;
	jb->win_late = INT64_MAX;
	jb->win_pkts = 0;
	jb->stray = 0;
	queue(jb, seq, data, len);
	observe(jb, seq, now_ms);
	return 0;
}

/*
 * A packet off the stream's timeline: beyond the slots either way, or
 * arriving more than the largest delay earlier or later than its frame is
 * expected.  One is an outlier; STRAY_MAX in a row mean the stream jumped
 * (the sender restarted its counter, stalled, or was away longer than the
 * buffer), and the newest starts the stream again.
 */
static int
stream_jumped(struct jbuf *jb)
{
	if (++jb->stray < STRAY_MAX)
		return 0;
	flush(jb);
	jb->have_old = 0;
	return 1;
}

int
jbuf_put(struct jbuf *jb, uint32_t seq, const uint8_t *data, size_t len,
    uint64_t now_ms)
{
	struct jbuf_slot *s;
	int64_t diff, late, cap;

	if (jb == NULL || data == NULL || len == 0)
		return E2_ERR_INVAL;
	if (len > JBUF_MAX_PKT)
		return E2_ERR_TOOBIG;
	if (jb->state == ST_IDLE)
		return start(jb, seq, data, len, now_ms);

	s = slot_of(jb, seq);
	if (s->used != SLOT_FREE && s->seq == seq) {
		jb->stats.duplicate++;
		return E2_ERR_REPLAY;
	}
	diff = seq_diff(seq, jb->next_seq);
	late = (int64_t)now_ms - expected(jb, seq);
	cap = delay_cap(jb);
	if (diff >= JBUF_SLOTS || diff < -(int64_t)JBUF_SLOTS ||
	    late > cap || late < -cap) {
		if (stream_jumped(jb))
			return start(jb, seq, data, len, now_ms);
		if (diff >= JBUF_SLOTS) {
			jb->stats.too_far++;
			return E2_ERR_FUTURE;
		}
		if (diff < 0) {
			jb->stats.late++;
			return E2_ERR_REPLAY;
		}
		/* an outlier within reach: kept, but it says nothing of jitter */
		queue(jb, seq, data, len);
		return 0;
	}
	jb->stray = 0;
	if (diff < 0 && jb->state == ST_BUFFERING &&
	    seq_diff(jb->high_seq, seq) < JBUF_SLOTS) {
		/* reordered ahead of the first packet: start earlier */
		jb->next_seq = seq;
		diff = 0;
	}
	if (diff < 0) {
		/* too late to play, but it tells how late packets come */
		jb->stats.late++;
		observe(jb, seq, now_ms);
		return E2_ERR_REPLAY;
	}
	queue(jb, seq, data, len);
	observe(jb, seq, now_ms);
	return 0;
}

/* Moves the play point one frame on, discarding that frame if queued. */
static void
skip_one(struct jbuf *jb)
{
	struct jbuf_slot *s = slot_of(jb, jb->next_seq);

	if (is_queued(jb, jb->next_seq)) {
		s->used = SLOT_DONE;
		jb->queued--;
		jb->stats.dropped++;
	}
	jb->next_seq++;
}

static void
decay_peak(struct jbuf *jb)
{
	if (jb->peak_hold > 0)
		jb->peak_hold--;
	else
		jb->peak -= jb->peak * (double)jb->frame_ms / PEAK_TAU_MS;
}

static enum jbuf_result
play(struct jbuf *jb, uint8_t *out, size_t *lenp)
{
	struct jbuf_slot *s;
	uint32_t seq = jb->next_seq;

	jb->next_seq++;
	if (is_queued(jb, seq)) {
		s = slot_of(jb, seq);
		memcpy(out, s->data, s->len);
		*lenp = s->len;
		s->used = SLOT_DONE;
		jb->queued--;
		jb->stats.played++;
		return JBUF_FRAME;
	}
	if (is_queued(jb, seq + 1)) {
		/* stays queued: it is played in its own turn */
		s = slot_of(jb, seq + 1);
		memcpy(out, s->data, s->len);
		*lenp = s->len;
		jb->stats.fec++;
		return JBUF_FEC;
	}
	jb->stats.concealed++;
	return JBUF_LOST;
}

enum jbuf_result
jbuf_get(struct jbuf *jb, uint64_t now_ms, uint8_t *out, size_t *lenp)
{
	int64_t delay, span, fr;
	uint32_t target;

	if (lenp != NULL)
		*lenp = 0;
	if (jb == NULL || out == NULL || lenp == NULL ||
	    jb->state == ST_IDLE)
		return JBUF_EMPTY;
	if (++jb->gets_since_packet > per_frame(jb, PAUSE_MS)) {
		flush(jb);
		return JBUF_EMPTY;
	}
	span = seq_diff(jb->next_seq, jb->anchor_seq);
	if (span > (int64_t)ANCHOR_SPAN || span < -(int64_t)ANCHOR_SPAN) {
		jb->base_ms = expected(jb, jb->next_seq);
		jb->anchor_seq = jb->next_seq;
	}
	decay_peak(jb);
	target = update_target(jb);
	fr = jb->frame_ms;
	delay = (int64_t)now_ms - expected(jb, jb->next_seq);

	if (jb->state == ST_BUFFERING) {
		if (delay < target)
			return JBUF_EMPTY;
		/*
		 * A backlog (a burst after an outage) is skipped unheard, as
		 * long as a later frame is there to start with.
		 */
		while (delay - fr >= (int64_t)target &&
		    jb->queued > (uint32_t)is_queued(jb, jb->next_seq)) {
			skip_one(jb);
			delay -= fr;
		}
		jb->state = ST_PLAYING;
		jb->win_delay = DELAY_NONE;
		jb->win_gets = 0;
		return play(jb, out, lenp);
	}

	if (delay < target) {
		/* packets come later than the delay allows: grow now */
		jb->stats.inserted++;
		jb->win_delay = DELAY_NONE;
		jb->win_gets = 0;
		return JBUF_LOST;
	}
	if (delay < jb->win_delay)
		jb->win_delay = delay;
	if (delay > (int64_t)delay_cap(jb) + 4 * fr) {
		/* beyond the largest delay allowed: shrink every period */
		skip_one(jb);
		jb->win_delay = DELAY_NONE;
		jb->win_gets = 0;
	} else if (++jb->win_gets >= per_frame(jb, DROP_WIN_MS)) {
		if (jb->win_delay - fr >= (int64_t)target + fr / 4)
			skip_one(jb);
		jb->win_delay = DELAY_NONE;
		jb->win_gets = 0;
	}
	return play(jb, out, lenp);
}

uint32_t
jbuf_buffered_ms(const struct jbuf *jb)
{
	return jb->queued * jb->frame_ms;
}

const struct jbuf_stats *
jbuf_stats(const struct jbuf *jb)
{
	return &jb->stats;
}
