/*
 * t_jbuf.c - the adaptive jitter buffer, driven by synthetic arrival
 * schedules on a simulated clock.
 *
 * A schedule is a list of (arrival time, frame index) built from a sender
 * that emits one frame per period; a playout clock calls jbuf_get() once
 * per period, after handing over every packet that has arrived by then.
 * Each payload carries its frame index and bytes derived from it, so every
 * frame played can be checked for content, order and latency.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "err.h"
#include "jbuf.h"

#define MAX_FRAMES	8192
#define MAX_ARRIVALS	(2 * MAX_FRAMES)

struct arrival {
	uint64_t	t;
	uint32_t	seq;
	uint32_t	order;
};

struct sim {
	struct jbuf	jb;
	uint32_t	frame;
	uint32_t	seq0;		/* index of the first frame sent */
	uint64_t	t0;		/* when the first frame was sent */
	double		ratio;		/* sender's period / frame */
	struct arrival	arr[MAX_ARRIVALS];
	size_t		narr, next;
	uint32_t	last_sent;	/* highest index sent */
	/* per frame (index - seq0): what became of it */
	uint8_t		fate[MAX_FRAMES];
	/* what the playout saw */
	uint64_t	gets, frames, fecs, losts, empties;
	int		have_last;
	uint32_t	last_played;
	uint64_t	order_errors, content_errors;
	int64_t		max_latency;	/* since latency_from */
	uint64_t	latency_from;
	int		put_err[32];	/* count per -return code */
};

enum { FATE_NONE, FATE_PLAYED, FATE_FEC };

static uint64_t rng_state;

static uint32_t
rng(void)
{
	/* xorshift64*: fixed seeds make every schedule repeatable */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 2685821657736338717ULL) >> 32);
}

static struct sim *
sim_new(uint32_t frame, uint32_t seq0, uint64_t t0)
{
	struct sim *s = calloc(1, sizeof(*s));

	assert_non_null(s);
	jbuf_init(&s->jb, frame);
	s->frame = frame;
	s->seq0 = seq0;
	s->t0 = t0;
	s->max_latency = -1;
	s->ratio = 1.0;
	return s;
}

static size_t
payload(uint32_t seq, uint8_t *p)
{
	size_t len = 20 + seq % 41, i;

	p[0] = seq >> 24;
	p[1] = seq >> 16;
	p[2] = seq >> 8;
	p[3] = seq;
	for (i = 4; i < len; i++)
		p[i] = (uint8_t)(seq * 31 + i);
	return len;
}

static uint32_t
payload_seq(const uint8_t *p, size_t len)
{
	uint8_t want[JBUF_MAX_PKT];
	uint32_t seq;

	seq = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
	if (payload(seq, want) != len || memcmp(want, p, len) != 0)
		return UINT32_MAX;
	return seq;
}

static uint64_t
sent_at(const struct sim *s, uint32_t seq)
{
	return s->t0 + (uint64_t)((uint32_t)(seq - s->seq0) * s->frame *
	    s->ratio);
}

/* Frame i (counting from seq0) arrives at time t. */
static void
sim_send(struct sim *s, uint32_t i, uint64_t t)
{
	assert_true(s->narr < MAX_ARRIVALS);
	s->arr[s->narr].t = t;
	s->arr[s->narr].seq = s->seq0 + i;
	s->arr[s->narr].order = (uint32_t)s->narr;
	s->narr++;
	if (i > s->last_sent)
		s->last_sent = i;
}

static int
arrival_cmp(const void *a, const void *b)
{
	const struct arrival *x = a, *y = b;

	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

static void
sim_sort(struct sim *s)
{
	qsort(s->arr, s->narr, sizeof(s->arr[0]), arrival_cmp);
}

static void
deliver(struct sim *s, uint64_t now)
{
	uint8_t p[JBUF_MAX_PKT];
	size_t len;
	int r;

	while (s->next < s->narr && s->arr[s->next].t <= now) {
		len = payload(s->arr[s->next].seq, p);
		r = jbuf_put(&s->jb, s->arr[s->next].seq, p, len,
		    s->arr[s->next].t);
		assert_true(r <= 0 && r > -32);
		s->put_err[-r]++;
		s->next++;
	}
}

static void
mark(struct sim *s, uint32_t seq, uint8_t fate)
{
	uint32_t i = seq - s->seq0;

	if (i < MAX_FRAMES && s->fate[i] == FATE_NONE)
		s->fate[i] = fate;
}

/* One playout period at time now. */
static enum jbuf_result
sim_get(struct sim *s, uint64_t now)
{
	uint8_t out[JBUF_MAX_PKT];
	enum jbuf_result r;
	uint32_t seq;
	int64_t lat;
	size_t len = 12345;

	deliver(s, now);
	r = jbuf_get(&s->jb, now, out, &len);
	s->gets++;
	switch (r) {
	case JBUF_FRAME:
		s->frames++;
		seq = payload_seq(out, len);
		if (seq == UINT32_MAX) {
			s->content_errors++;
			break;
		}
		if (s->have_last && (int32_t)(seq - s->last_played) <= 0)
			s->order_errors++;
		s->have_last = 1;
		s->last_played = seq;
		mark(s, seq, FATE_PLAYED);
		lat = (int64_t)(now - sent_at(s, seq));
		if (now >= s->latency_from && lat > s->max_latency)
			s->max_latency = lat;
		break;
	case JBUF_FEC:
		s->fecs++;
		seq = payload_seq(out, len);
		if (seq == UINT32_MAX) {
			s->content_errors++;
			break;
		}
		mark(s, seq - 1, FATE_FEC);
		break;
	case JBUF_LOST:
		s->losts++;
		assert_int_equal(len, 0);
		break;
	case JBUF_EMPTY:
		s->empties++;
		assert_int_equal(len, 0);
		break;
	}
	return r;
}

/*
 * Playout periods at start, start + frame, ... up to end, or until the
 * last frame sent has been played (the silence after it is not counted).
 */
static void
sim_run(struct sim *s, uint64_t start, uint64_t end)
{
	uint64_t now;

	for (now = start; now <= end; now += s->frame) {
		sim_get(s, now);
		if (s->have_last && s->last_played == s->seq0 + s->last_sent)
			break;
	}
}

static uint32_t
count_fate(const struct sim *s, uint32_t from, uint32_t to, uint8_t fate)
{
	uint32_t i, n = 0;

	for (i = from; i < to; i++)
		n += s->fate[i] == fate;
	return n;
}

/* Packets that come exactly on time: the delay stays at the minimum. */
static void
steady(uint32_t frame)
{
	const struct jbuf_stats *st;
	struct sim *s = sim_new(frame, 1000, 0);
	uint32_t n = 3000, i;

	for (i = 0; i < n; i++)
		sim_send(s, i, i * frame + 30);
	sim_sort(s);
	s->latency_from = 1000;
	/* up to the last frame's play time, not into the silence after */
	sim_run(s, 7, (uint64_t)(n - 1) * frame + 30 + 2 * frame);

	st = jbuf_stats(&s->jb);
	assert_int_equal(st->received, n);
	assert_int_equal(st->played, n);
	assert_int_equal(count_fate(s, 0, n, FATE_PLAYED), n);
	assert_int_equal(st->concealed, 0);
	assert_int_equal(st->fec, 0);
	assert_int_equal(st->inserted, 0);
	assert_int_equal(st->dropped, 0);
	assert_int_equal(st->late, 0);
	assert_int_equal(s->order_errors, 0);
	assert_int_equal(s->content_errors, 0);
	assert_int_equal(st->delay_ms, frame);
	assert_int_equal(st->jitter_ms, 0);
	/* 30 ms on the network, then at most the delay and a period */
	assert_true(s->max_latency >= 30 + (int64_t)frame);
	assert_true(s->max_latency < 30 + 2 * (int64_t)frame);
	free(s);
}

static void
test_steady_20(void **state)
{
	(void)state;
	steady(20);
}

static void
test_steady_10(void **state)
{
	(void)state;
	steady(10);
}

/* Builds frames [from, to) with network delay 25 ms + U[0, jit). */
static void
send_jittery(struct sim *s, uint32_t from, uint32_t to, uint32_t jit)
{
	uint32_t i;

	for (i = from; i < to; i++)
		sim_send(s, i, (uint64_t)i * s->frame + 25 +
		    (jit > 0 ? rng() % jit : 0));
}

/*
 * Uniform jitter up to 40 ms: the delay rises to cover it and nearly
 * every frame is played (or rebuilt from FEC).
 */
static void
jittery(uint32_t frame)
{
	const struct jbuf_stats *st;
	struct sim *s = sim_new(frame, 0, 0);
	uint32_t n = 60000 / frame, ok;
	double pct;

	rng_state = 0x5eed1234abcdULL;
	send_jittery(s, 0, n, 40);
	sim_sort(s);
	s->latency_from = 5000;
	sim_run(s, 3, (uint64_t)n * frame + 500);

	st = jbuf_stats(&s->jb);
	ok = count_fate(s, 0, n, FATE_PLAYED) + count_fate(s, 0, n, FATE_FEC);
	pct = 100.0 * ok / n;
	print_message("jittery (U[0,40) ms, %u ms frames, %u frames): "
	    "delay %u ms, jitter %u ms, played %.2f %% (%u + %u FEC), "
	    "late %u, concealed %u, inserted %u, dropped %u, "
	    "max latency %d ms\n", frame, n, st->delay_ms, st->jitter_ms,
	    pct, (unsigned)st->played, (unsigned)st->fec, (unsigned)st->late,
	    (unsigned)st->concealed, (unsigned)st->inserted,
	    (unsigned)st->dropped, (int)s->max_latency);
	assert_true(st->delay_ms >= 35);	/* covers the jitter */
	assert_true(st->delay_ms <= 60);	/* and not much more */
	assert_true(st->jitter_ms >= 8 && st->jitter_ms <= 20);
	assert_true(pct >= 99.0);
	assert_true(st->late <= n / 200);
	assert_true(st->inserted <= n / 100);
	assert_int_equal(s->order_errors, 0);
	assert_int_equal(s->content_errors, 0);
	/* 25 ms path + 40 ms jitter + the slack of the playout clock */
	assert_true(s->max_latency <= 25 + 40 + 2 * (int)frame + 10);
	free(s);
}

static void
test_jittery_20(void **state)
{
	(void)state;
	jittery(20);
}

static void
test_jittery_10(void **state)
{
	(void)state;
	jittery(10);
}

/*
 * A playout clock that pulls two frames at once every other period (an
 * audio device with a two-frame period) or wobbles by a few ms: the delay
 * does not see-saw between growing and shrinking.
 */
static void
uneven_clock(int pairs)
{
	const struct jbuf_stats *st;
	struct sim *s = sim_new(20, 0, 0);
	uint32_t n = 3000, k;
	uint64_t now;

	rng_state = 99;
	send_jittery(s, 0, n, 0);
	sim_sort(s);
	for (k = 0; k < n + 10; k++) {
		if (pairs)
			now = 40 * (k / 2) + 3;
		else
			now = 20 * k + rng() % 8;
		sim_get(s, now);
	}
	st = jbuf_stats(&s->jb);
	print_message("%s clock: delay %u ms, played %u, inserted %u, "
	    "dropped %u, max latency %d\n", pairs ? "paired" : "wobbly",
	    st->delay_ms, (unsigned)st->played, (unsigned)st->inserted,
	    (unsigned)st->dropped, (int)s->max_latency);
	assert_true(st->inserted <= 2);
	assert_true(st->dropped <= 2);
	assert_true(st->played + st->dropped == n);
	assert_int_equal(st->late, 0);
	assert_int_equal(s->order_errors, 0);
	free(s);
}

static void
test_paired_clock(void **state)
{
	(void)state;
	uneven_clock(1);
}

static void
test_wobbly_clock(void **state)
{
	(void)state;
	uneven_clock(0);
}

/* Jitter for 20 s, then a calm network: the delay comes back down. */
static void
test_calming(void **state)
{
	const struct jbuf_stats *st;
	struct sim *s = sim_new(20, 0, 0);
	uint32_t n = 2500, calm = 1000;
	uint64_t now, t_calm = (uint64_t)calm * 20, back = 0;
	uint32_t peak_delay = 0;

	(void)state;
	rng_state = 42;
	send_jittery(s, 0, calm, 60);
	send_jittery(s, calm, n, 0);
	sim_sort(s);
	s->latency_from = t_calm + 10000;
	for (now = 5; now <= (uint64_t)n * 20 + 60; now += 20) {
		sim_get(s, now);
		st = jbuf_stats(&s->jb);
		if (now < t_calm && now > 2000 && st->delay_ms > peak_delay)
			peak_delay = st->delay_ms;
		if (now >= t_calm && back == 0 && st->delay_ms <= 22 &&
		    jbuf_buffered_ms(&s->jb) <= 40)
			back = now;
	}
	st = jbuf_stats(&s->jb);
	print_message("calming: delay %u ms under jitter, back to %u ms "
	    "%.1f s after the network calmed; %u frames dropped\n",
	    peak_delay, st->delay_ms, (double)(back - t_calm) / 1000,
	    (unsigned)st->dropped);
	assert_true(peak_delay >= 55);
	assert_true(back > 0);
	assert_true(back - t_calm <= 8000);
	assert_int_equal(st->delay_ms, 20);
	/* the frames in the queue were skipped one at a time */
	assert_true(st->dropped >= 1);
	assert_true(st->dropped <= 6);
	/* calm again: latency is back near the path delay */
	assert_true(s->max_latency <= 25 + 2 * 20);
	/* after the calm nothing is lost but the frames skipped */
	assert_true(count_fate(s, calm, n, FATE_PLAYED) + st->dropped >=
	    n - calm);
	free(s);
}

/*
 * Isolated losses are recovered from the next packet's FEC; in a burst
 * only the last frame is, the others are concealed.
 */
static void
test_loss_fec(void **state)
{
	static const uint32_t lost[] = {
		100,			/* single: FEC */
		200,			/* single: FEC */
		300, 301, 302,		/* burst of 3: LOST LOST FEC */
		400, 401,		/* pair: LOST FEC */
		500, 502,		/* two singles: FEC FEC */
	};
	const struct jbuf_stats *st;
	struct sim *s = sim_new(20, 7, 0);
	uint32_t n = 700, i, k;

	(void)state;
	for (i = 0; i < n; i++) {
		for (k = 0; k < sizeof(lost) / sizeof(lost[0]); k++)
			if (lost[k] == i)
				break;
		if (k == sizeof(lost) / sizeof(lost[0]))
			sim_send(s, i, (uint64_t)i * 20 + 15);
	}
	sim_sort(s);
	sim_run(s, 11, (uint64_t)n * 20 + 200);
	st = jbuf_stats(&s->jb);
	assert_int_equal(st->fec, 6);
	assert_int_equal(st->concealed, 3);
	assert_int_equal(st->played, n - 9);
	assert_int_equal(st->inserted, 0);
	assert_int_equal(st->dropped, 0);
	assert_int_equal(s->fate[100], FATE_FEC);
	assert_int_equal(s->fate[200], FATE_FEC);
	assert_int_equal(s->fate[300], FATE_NONE);
	assert_int_equal(s->fate[301], FATE_NONE);
	assert_int_equal(s->fate[302], FATE_FEC);
	assert_int_equal(s->fate[400], FATE_NONE);
	assert_int_equal(s->fate[401], FATE_FEC);
	assert_int_equal(s->fate[500], FATE_FEC);
	assert_int_equal(s->fate[501], FATE_PLAYED);
	assert_int_equal(s->fate[502], FATE_FEC);
	/* the packet lent for FEC was still played in its own turn */
	assert_int_equal(s->fate[101], FATE_PLAYED);
	assert_int_equal(s->fate[303], FATE_PLAYED);
	assert_int_equal(s->order_errors, 0);
	free(s);
}

/* Every pair swapped on the wire: all frames still play in order. */
static void
test_reorder_pairs(void **state)
{
	const struct jbuf_stats *st;
	struct sim *s = sim_new(20, 0, 0);
	uint32_t n = 1000, i;

	(void)state;
	for (i = 0; i < n; i += 2) {
		/* the odd frame leaves on time, the even one just after it */
		sim_send(s, i + 1, (uint64_t)(i + 1) * 20 + 10);
		sim_send(s, i, (uint64_t)(i + 1) * 20 + 12);
	}
	sim_sort(s);
	sim_run(s, 0, (uint64_t)n * 20 + 200);
	st = jbuf_stats(&s->jb);
	assert_int_equal(s->order_errors, 0);
	assert_int_equal(s->content_errors, 0);
	assert_true(st->late <= 2);
	assert_true(count_fate(s, 0, n, FATE_PLAYED) >= n - 4);
	assert_true(count_fate(s, 10, n, FATE_PLAYED) == n - 10);
	assert_true(st->delay_ms >= 40 && st->delay_ms <= 60);
	free(s);
}

/* Packets arriving out of order before play starts begin at the lowest. */
static void
test_reorder_start(void **state)
{
	struct jbuf *jb = calloc(1, sizeof(*jb));
	uint8_t p[JBUF_MAX_PKT], out[JBUF_MAX_PKT];
	size_t len;
	uint32_t seq;

	(void)state;
	assert_non_null(jb);
	jbuf_init(jb, 20);
	assert_int_equal(jbuf_get(jb, 0, out, &len), JBUF_EMPTY);
	for (seq = 52; seq >= 50; seq--)
		assert_int_equal(jbuf_put(jb, seq, p, payload(seq, p), 100),
		    0);
	assert_int_equal(jbuf_buffered_ms(jb), 60);
	assert_int_equal(jbuf_get(jb, 100, out, &len), JBUF_EMPTY);
	for (seq = 50; seq <= 52; seq++) {
		assert_int_equal(jbuf_get(jb, 120 + (seq - 50) * 20, out,
		    &len), JBUF_FRAME);
		assert_int_equal(payload_seq(out, len), seq);
	}
	assert_int_equal(jbuf_buffered_ms(jb), 0);
	free(jb);
}

/*
 * The sender stops for 2 s (DTX, or the network is gone) and comes back
 * with a much higher index: the buffer goes back to empty, buffers again
 * and plays the new stream without a backlog.
 */
static void
test_pause(void **state)
{
	const struct jbuf_stats *st;
	struct sim *s = sim_new(20, 0, 0);
	uint32_t i, jump = 100000;
	uint64_t now, resume = 7000, empty_at = 0, played_after = 0;
	uint64_t first_empty = 0, max_buf = 0;
	enum jbuf_result r;

	(void)state;
	for (i = 0; i < 250; i++)		/* 0 .. 5 s */
		sim_send(s, i, (uint64_t)i * 20 + 20);
	for (i = 0; i < 250; i++)		/* 7 .. 12 s */
		sim_send(s, jump + i, resume + (uint64_t)i * 20 + 20);
	sim_sort(s);
	for (now = 10; now <= 12500; now += 20) {
		r = sim_get(s, now);
		if (now > 5000 && now < resume && r == JBUF_EMPTY &&
		    first_empty == 0)
			first_empty = now;
		if (now > 5000 && now < resume + 20)
			empty_at += r == JBUF_EMPTY;
		if (now > resume && r == JBUF_FRAME && played_after == 0)
			played_after = now;
		if (now > resume && jbuf_buffered_ms(&s->jb) > max_buf)
			max_buf = jbuf_buffered_ms(&s->jb);
		if (now == resume + 2000)
			s->latency_from = now;
	}
	st = jbuf_stats(&s->jb);
	/* concealment for a second, then silence */
	assert_true(first_empty > 5000 && first_empty <= 5000 + 1100);
	assert_true(empty_at >= 40);
	/* back at once, near the path delay, without a backlog */
	assert_true(played_after > resume &&
	    played_after <= resume + 20 + 60);
	assert_true(max_buf <= 60);
	assert_true(s->max_latency <= 20 + 2 * 20);
	assert_int_equal(count_fate(s, 0, 250, FATE_PLAYED), 250);
	assert_int_equal(st->played, 500);
	assert_int_equal(st->too_far, 0);
	assert_int_equal(st->late, 0);
	assert_int_equal(s->order_errors, 0);
	free(s);
}

/* A pause shorter than the buffer: the stream just goes on. */
static void
test_short_gap(void **state)
{
	const struct jbuf_stats *st;
	struct sim *s = sim_new(10, 0, 0);
	uint32_t i;

	(void)state;
	for (i = 0; i < 1000; i++)
		if (i < 300 || i >= 380)	/* 800 ms of nothing */
			sim_send(s, i, (uint64_t)i * 10 + 5);
	sim_sort(s);
	sim_run(s, 0, 10200);
	st = jbuf_stats(&s->jb);
	assert_int_equal(st->played, 920);
	assert_int_equal(st->concealed, 79);
	assert_int_equal(st->fec, 1);
	assert_int_equal(st->too_far, 0);
	assert_int_equal(s->empties, 2);	/* only before the start */
	free(s);
}

/*
 * The sender stalls for 600 ms and then goes on where it stopped: every
 * packet is now later than the largest delay allows.  After a few are
 * refused the stream starts again from the new timeline.
 */
static void
test_sender_stall(void **state)
{
	const struct jbuf_stats *st;
	struct sim *s = sim_new(20, 0, 0);
	uint32_t n = 1000, i;

	(void)state;
	for (i = 0; i < n; i++)
		sim_send(s, i, (uint64_t)i * 20 + 20 + (i >= 500 ? 600 : 0));
	sim_sort(s);
	sim_run(s, 0, (uint64_t)n * 20 + 700);
	st = jbuf_stats(&s->jb);
	assert_int_equal(st->late, 2);		/* 500 and 501 */
	assert_int_equal(count_fate(s, 0, 500, FATE_PLAYED), 500);
	assert_int_equal(count_fate(s, 502, n, FATE_PLAYED), n - 502);
	assert_int_equal(st->delay_ms, 20);
	assert_int_equal(st->inserted, 0);
	assert_int_equal(s->order_errors, 0);
	free(s);
}

/* Every packet twice: copies are counted and refused. */
static void
test_duplicates(void **state)
{
	const struct jbuf_stats *st;
	struct sim *s = sim_new(20, 0, 0);
	uint32_t n = 500, i;

	(void)state;
	for (i = 0; i < n; i++) {
		sim_send(s, i, (uint64_t)i * 20 + 10);
		/* half the copies come before, half after the play time */
		sim_send(s, i, (uint64_t)i * 20 + 10 + (i % 2 ? 1 : 100));
	}
	sim_sort(s);
	sim_run(s, 0, (uint64_t)n * 20 + 300);
	deliver(s, UINT64_MAX);		/* the copies of the last frames */
	st = jbuf_stats(&s->jb);
	assert_int_equal(st->received, n);
	assert_int_equal(st->duplicate, n);
	assert_int_equal(st->late, 0);
	assert_int_equal(s->put_err[-E2_ERR_REPLAY], n);
	assert_int_equal(st->played, n);
	assert_int_equal(st->delay_ms, 20);	/* copies do not count */
	assert_int_equal(s->order_errors, 0);
	free(s);
}

static void
play_steady(struct jbuf *jb, uint32_t *seq, uint64_t *now, int periods)
{
	uint8_t p[JBUF_MAX_PKT], out[JBUF_MAX_PKT];
	enum jbuf_result r;
	size_t len;

	while (periods-- > 0) {
		assert_int_equal(jbuf_put(jb, *seq, p, payload(*seq, p), *now),
		    0);
		/* arriving on time, each is played one period later */
		r = jbuf_get(jb, *now, out, &len);
		if (r == JBUF_FRAME)
			assert_int_equal(payload_seq(out, len), *seq - 1);
		(*seq)++;
		*now += 20;
	}
}

/* A packet beyond the buffer is refused; several in a row re-anchor. */
static void
test_far_future(void **state)
{
	struct jbuf *jb = calloc(1, sizeof(*jb));
	uint8_t p[JBUF_MAX_PKT], out[JBUF_MAX_PKT];
	const struct jbuf_stats *st;
	uint32_t seq = 0xfffffff0u, far;
	uint64_t now = 1000;
	size_t len;
	int i;

	(void)state;
	assert_non_null(jb);
	jbuf_init(jb, 20);
	st = jbuf_stats(jb);
	play_steady(jb, &seq, &now, 50);	/* across the 32-bit wrap */
	assert_int_equal(st->played, 49);

	/*
	 * seq - 1 is queued, next to play: the last frame in reach of it
	 * is taken, one further is not
	 */
	far = seq - 1 + JBUF_SLOTS - 1;
	assert_int_equal(jbuf_put(jb, far, p, payload(far, p), now), 0);
	play_steady(jb, &seq, &now, 1);
	assert_int_equal(jbuf_stats(jb)->delay_ms, 20);	/* an outlier */
	far = seq - 1 + JBUF_SLOTS;
	assert_int_equal(jbuf_put(jb, far, p, payload(far, p), now),
	    E2_ERR_FUTURE);
	far = seq + 0x40000000u;
	assert_int_equal(jbuf_put(jb, far, p, payload(far, p), now),
	    E2_ERR_FUTURE);
	assert_int_equal(st->too_far, 2);
	play_steady(jb, &seq, &now, 49);
	assert_int_equal(st->played, 99);
	assert_int_equal(st->concealed, 0);

	/* the stream jumps for good: after three refusals it is followed */
	far = seq + 5000;
	for (i = 0; i < 3; i++) {
		assert_int_equal(jbuf_put(jb, far, p, payload(far, p), now),
		    i < 2 ? E2_ERR_FUTURE : 0);
		jbuf_get(jb, now, out, &len);
		far++;
		now += 20;
	}
	assert_int_equal(st->too_far, 4);
	seq = far;
	play_steady(jb, &seq, &now, 50);
	assert_true(st->played >= 140);
	assert_int_equal(jbuf_put(jb, seq - 1, p, payload(seq - 1, p), now),
	    E2_ERR_REPLAY);
	free(jb);
}

/* The stream jumps back (a sender restarting its counter) and is followed. */
static void
test_jump_back(void **state)
{
	struct jbuf *jb = calloc(1, sizeof(*jb));
	uint8_t p[JBUF_MAX_PKT];
	const struct jbuf_stats *st;
	uint32_t seq = 10000;
	uint64_t now = 0, played;

	(void)state;
	assert_non_null(jb);
	jbuf_init(jb, 20);
	st = jbuf_stats(jb);
	play_steady(jb, &seq, &now, 100);
	played = st->played;
	assert_int_equal(jbuf_put(jb, 0, p, payload(0, p), now),
	    E2_ERR_REPLAY);
	assert_int_equal(jbuf_put(jb, 1, p, payload(1, p), now + 20),
	    E2_ERR_REPLAY);
	assert_int_equal(jbuf_put(jb, 2, p, payload(2, p), now + 40), 0);
	assert_int_equal(st->late, 2);
	seq = 3;
	now += 60;
	play_steady(jb, &seq, &now, 100);
	assert_true(st->played >= played + 98);
	free(jb);
}

/*
 * One packet much later than the rest: refused as late, and the delay
 * grows at once so the next one like it is on time.
 */
static void
test_late_grows(void **state)
{
	const struct jbuf_stats *st;
	struct sim *s = sim_new(20, 0, 0);
	uint32_t i;

	(void)state;
	for (i = 0; i < 600; i++)
		sim_send(s, i, (uint64_t)i * 20 + 10 +
		    (i == 100 || i == 150 ? 70 : 0));
	sim_sort(s);
	sim_run(s, 0, 600 * 20 + 300);
	st = jbuf_stats(&s->jb);
	assert_int_equal(st->late, 1);
	assert_int_equal(s->fate[100], FATE_FEC);
	assert_int_equal(s->fate[150], FATE_PLAYED);
	/* grew by whole frames to cover 70 ms, one period at a time */
	assert_true(st->inserted >= 3 && st->inserted <= 5);
	assert_int_equal(st->concealed, 0);
	assert_int_equal(s->order_errors, 0);
	free(s);
}

/* Sender and receiver clocks 0.5 % apart either way. */
static void
drift(double ratio)
{
	const struct jbuf_stats *st;
	struct sim *s = sim_new(20, 0, 0);
	uint32_t n = 6000, i;
	uint32_t maxbuf = 0;
	uint64_t now;

	s->ratio = ratio;
	for (i = 0; i < n; i++)
		sim_send(s, i, sent_at(s, i) + 20);
	sim_sort(s);
	s->latency_from = 10000;
	for (now = 0; now < (uint64_t)(n * 20 * ratio); now += 20) {
		sim_get(s, now);
		if (now > 10000 && jbuf_buffered_ms(&s->jb) > maxbuf)
			maxbuf = jbuf_buffered_ms(&s->jb);
	}
	st = jbuf_stats(&s->jb);
	print_message("drift %.3f: played %u of %u, inserted %u, dropped %u, "
	    "late %u, max buffered %u ms, max latency %d ms\n", ratio,
	    (unsigned)st->played, n, (unsigned)st->inserted,
	    (unsigned)st->dropped, (unsigned)st->late, maxbuf,
	    (int)s->max_latency);
	/* the buffer neither runs dry nor fills up */
	assert_true(maxbuf <= 80);
	assert_true(s->max_latency <= 20 + 80);
	assert_true(st->played + st->dropped >= n - 10);
	assert_true(st->late <= 3);
	if (ratio < 1)
		assert_true(st->dropped >= 20 && st->dropped <= 40);
	else
		assert_true(st->inserted >= 20 && st->inserted <= 40);
	free(s);
}

static void
test_drift_fast(void **state)
{
	(void)state;
	drift(0.995);
}

static void
test_drift_slow(void **state)
{
	(void)state;
	drift(1.005);
}

static void
test_bad_args(void **state)
{
	struct jbuf *jb = calloc(1, sizeof(*jb));
	uint8_t p[JBUF_MAX_PKT + 1], out[JBUF_MAX_PKT];
	size_t len = 99;

	(void)state;
	assert_non_null(jb);
	memset(p, 0xa5, sizeof(p));
	jbuf_init(jb, 20);
	assert_int_equal(jbuf_put(jb, 1, p, JBUF_MAX_PKT + 1, 0),
	    E2_ERR_TOOBIG);
	assert_int_equal(jbuf_put(jb, 1, NULL, 10, 0), E2_ERR_INVAL);
	assert_int_equal(jbuf_put(jb, 1, p, 0, 0), E2_ERR_INVAL);
	assert_int_equal(jbuf_put(NULL, 1, p, 10, 0), E2_ERR_INVAL);
	assert_int_equal(jbuf_get(jb, 0, out, &len), JBUF_EMPTY);
	assert_int_equal(len, 0);
	assert_int_equal(jbuf_stats(jb)->received, 0);
	assert_int_equal(jbuf_buffered_ms(jb), 0);

	/* the largest packet goes through whole */
	assert_int_equal(jbuf_put(jb, 1, p, JBUF_MAX_PKT, 0), 0);
	assert_int_equal(jbuf_get(jb, 40, out, &len), JBUF_FRAME);
	assert_int_equal(len, JBUF_MAX_PKT);
	assert_memory_equal(out, p, JBUF_MAX_PKT);
	assert_int_equal(jbuf_get(jb, 60, NULL, &len), JBUF_EMPTY);
	free(jb);
}

/* Reset empties the buffer and keeps the counters. */
static void
test_reset(void **state)
{
	struct jbuf *jb = calloc(1, sizeof(*jb));
	uint8_t p[JBUF_MAX_PKT], out[JBUF_MAX_PKT];
	uint32_t seq = 5;
	uint64_t now = 0;
	size_t len;

	(void)state;
	assert_non_null(jb);
	jbuf_init(jb, 20);
	play_steady(jb, &seq, &now, 20);
	assert_int_equal(jbuf_put(jb, seq + 3, p, payload(seq + 3, p), now),
	    0);
	jbuf_reset(jb);
	assert_int_equal(jbuf_buffered_ms(jb), 0);
	assert_int_equal(jbuf_get(jb, now, out, &len), JBUF_EMPTY);
	assert_int_equal(jbuf_stats(jb)->received, 21);
	/* anything may start a new stream, even an old index */
	assert_int_equal(jbuf_put(jb, 3, p, payload(3, p), now), 0);
	assert_int_equal(jbuf_get(jb, now + 20, out, &len), JBUF_FRAME);
	assert_int_equal(payload_seq(out, len), 3);
	free(jb);
}

static size_t
heap_in_use(void)
{
#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 33)
	return mallinfo2().uordblks;
#else
	return 0;
#endif
}

/*
 * Fixed memory: the structure has one size whatever goes through it, and
 * hostile input (any index, size, time, even a clock going backwards)
 * allocates nothing and keeps the queue within its slots.
 */
static void
test_memory_bounded(void **state)
{
	static struct jbuf jb;
	uint8_t p[JBUF_MAX_PKT], out[JBUF_MAX_PKT];
	enum jbuf_result r;
	uint32_t base = 0, seq;
	uint64_t now = 1000;
	size_t before, len;
	int i, err;

	(void)state;
	assert_true(sizeof(struct jbuf) <=
	    JBUF_SLOTS * sizeof(struct jbuf_slot) + 512);
	memset(p, 0x3c, sizeof(p));
	rng_state = 7;
	jbuf_init(&jb, 10);
	before = heap_in_use();
	for (i = 0; i < 200000; i++) {
		switch (rng() % 8) {
		case 0:
			seq = rng();			/* anywhere */
			break;
		case 1:
			base += rng() % 200;		/* jumps */
			/* FALLTHROUGH */
		default:
			seq = base + rng() % 80 - 10;	/* near */
			break;
		}
		if (rng() % 3 == 0)
			base++;
		now += rng() % 25;
		if (rng() % 500 == 0)
			now -= rng() % 50;		/* clock steps back */
		err = jbuf_put(&jb, seq, p, 1 + rng() % JBUF_MAX_PKT, now);
		assert_true(err == 0 || err == E2_ERR_REPLAY ||
		    err == E2_ERR_FUTURE);
		if (rng() % 2) {
			len = 99999;
			r = jbuf_get(&jb, now, out, &len);
			assert_true(len <= JBUF_MAX_PKT);
			assert_true((r == JBUF_FRAME || r == JBUF_FEC) ==
			    (len > 0));
		}
		assert_true(jbuf_buffered_ms(&jb) <= JBUF_SLOTS * 10);
		assert_true(jbuf_stats(&jb)->delay_ms <= jb.max_ms);
	}
	assert_int_equal(heap_in_use(), before);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_steady_20),
		cmocka_unit_test(test_steady_10),
		cmocka_unit_test(test_jittery_20),
		cmocka_unit_test(test_jittery_10),
		cmocka_unit_test(test_paired_clock),
		cmocka_unit_test(test_wobbly_clock),
		cmocka_unit_test(test_calming),
		cmocka_unit_test(test_loss_fec),
		cmocka_unit_test(test_reorder_pairs),
		cmocka_unit_test(test_reorder_start),
		cmocka_unit_test(test_pause),
		cmocka_unit_test(test_short_gap),
		cmocka_unit_test(test_sender_stall),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_far_future),
		cmocka_unit_test(test_jump_back),
		cmocka_unit_test(test_late_grows),
		cmocka_unit_test(test_drift_fast),
		cmocka_unit_test(test_drift_slow),
		cmocka_unit_test(test_bad_args),
		cmocka_unit_test(test_reset),
		cmocka_unit_test(test_memory_bounded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
