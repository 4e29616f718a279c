/*
 * fuzz_jbuf.c - the adaptive jitter buffer (jbuf.h) driven by the input.
 *
 * Input: u8 setup (frame 10 or 20 ms, min/max delay), then operations of
 * four bytes: u8 op, u8 sequence step, u8 time step, u8 length.
 *
 *	op bit 0     put (1) or get (0)
 *	op bit 1..2  how the sequence moves: +step, -step, +step << 8, or
 *	             a jump by step << 24
 *	op bit 3..4  time scale of the step: 1, 4, 16 or 64 ms
 *
 * The clock never runs backwards.  Every packet carries its sequence
 * number and length in its bytes, so whatever jbuf_get hands out can be
 * checked.  Invariants: the counters in the stats match the results of
 * the calls one by one; the queue never holds more than JBUF_SLOTS frames;
 * the target delay stays within the configured bounds; the jitter
 * estimate stays finite; an output frame is a packet that was put.
 */
#include <math.h>
#include <string.h>

#include "err.h"
#include "fuzz.h"
#include "jbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct jbuf jb;

static void
fill(uint8_t *p, uint32_t seq, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(seq >> (8 * (i % 4))) ^ (uint8_t)(len + i);
}

/* An output frame is the packet of some sequence number, whole. */
static void
check_packet(const uint8_t *p, size_t len)
{
	uint8_t want[JBUF_MAX_PKT];
	uint32_t seq = 0;
	size_t i;

	FUZZ_CHECK(len >= 4 && len <= JBUF_MAX_PKT);
	for (i = 0; i < 4; i++)
		seq |= (uint32_t)(uint8_t)(p[i] ^ (uint8_t)(len + i)) << (8 * i);
	fill(want, seq, len);
	FUZZ_CHECK(memcmp(p, want, len) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct {
		uint64_t put_ok, put_replay, put_future;
		uint64_t frame, fec, lost;
	} n = { 0, 0, 0, 0, 0, 0 };
	const struct jbuf_stats *st;
	struct fin f;
	uint8_t pkt[JBUF_MAX_PKT], out[JBUF_MAX_PKT];
	uint64_t now = 1000;
	uint32_t seq, step, lo, hi;
	size_t len, outlen;
	enum jbuf_result res;
	uint8_t setup, op;
	int r;

	fin_init(&f, data, size);
	setup = fin_u8(&f);
	jbuf_init(&jb, setup & 1 ? 10 : 20);
	if (setup & 2)
		jb.min_ms = (uint32_t)(setup >> 2) * 5;
	if (setup & 0x80)
		jb.max_ms = 50 + (uint32_t)(setup & 0x7c) * 8;
	lo = jb.min_ms;
	hi = jb.max_ms;
	seq = fin_u32(&f);

	while (f.n > 0) {
		op = fin_u8(&f);
		step = fin_u8(&f);
		switch (op >> 1 & 3) {
		case 0:
			seq += step;
			break;
		case 1:
			seq -= step;
			break;
		case 2:
			seq += step << 8;
			break;
		case 3:
			seq += step << 24;
			break;
		}
		now += (uint64_t)fin_u8(&f) << (2 * (op >> 3 & 3));
		len = 4 + fin_u8(&f) * 5;
		if (op & 0x20)
			len = JBUF_MAX_PKT + (op & 0x40 ? 1 : 0);
		if (op & 1) {
			fill(pkt, seq, len > JBUF_MAX_PKT ? JBUF_MAX_PKT : len);
			r = jbuf_put(&jb, seq, pkt, len, now);
			if (len > JBUF_MAX_PKT) {
				FUZZ_CHECK(r == E2_ERR_TOOBIG);
				continue;
			}
			if (r == 0)
				n.put_ok++;
			else if (r == E2_ERR_REPLAY)
				n.put_replay++;
			else if (r == E2_ERR_FUTURE)
				n.put_future++;
			else
				FUZZ_CHECK(0);
		} else {
			memset(out, 0, sizeof(out));
			res = jbuf_get(&jb, now, out, &outlen);
			switch (res) {
			case JBUF_FRAME:
				n.frame++;
				check_packet(out, outlen);
				break;
			case JBUF_FEC:
				n.fec++;
				check_packet(out, outlen);
				break;
			case JBUF_LOST:
				n.lost++;
				FUZZ_CHECK(outlen == 0);
				break;
			case JBUF_EMPTY:
				FUZZ_CHECK(outlen == 0);
				break;
			default:
				FUZZ_CHECK(0);
			}
		}
		st = jbuf_stats(&jb);
		FUZZ_CHECK(st->received == n.put_ok);
		FUZZ_CHECK(st->late + st->duplicate == n.put_replay);
		FUZZ_CHECK(st->too_far == n.put_future);
		FUZZ_CHECK(st->played == n.frame);
		FUZZ_CHECK(st->fec == n.fec);
		FUZZ_CHECK(st->concealed + st->inserted == n.lost);
		FUZZ_CHECK(jb.queued <= JBUF_SLOTS);
		FUZZ_CHECK(jbuf_buffered_ms(&jb) <= JBUF_SLOTS * jb.frame_ms);
		FUZZ_CHECK(st->dropped <= n.put_ok);
		FUZZ_CHECK(st->played + st->dropped <= n.put_ok);
		FUZZ_CHECK(st->delay_ms <= (hi > lo ? hi : lo));
		FUZZ_CHECK(st->delay_ms <= (JBUF_SLOTS - 8) * jb.frame_ms);
		FUZZ_CHECK(isfinite(jb.jitter) && jb.jitter >= 0);
		FUZZ_CHECK(isfinite(jb.peak) && jb.peak >= 0);
	}
	/* Reset empties the buffer and keeps the stats. */
	jbuf_reset(&jb);
	FUZZ_CHECK(jbuf_buffered_ms(&jb) == 0);
	FUZZ_CHECK(jbuf_get(&jb, now, out, &outlen) == JBUF_EMPTY);
	FUZZ_CHECK(jbuf_stats(&jb)->received == n.put_ok);
	return 0;
}
