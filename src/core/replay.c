/*
 * replay.c - sliding anti-replay window; see replay.h.
 *
 * The window is a bitmap of REPLAY_WINDOW bits, one per counter, indexed by
 * counter modulo REPLAY_WINDOW.  With H the highest counter seen (top - 1),
 * the bitmap covers exactly H - REPLAY_WINDOW + 1 .. H: every bit outside
 * that range was cleared when the window slid past it.
 */
#include <string.h>

#include "err.h"
#include "replay.h"

#define WORD_BITS	64

static int
bit_is_set(const struct replay *r, uint64_t ctr)
{
	uint64_t i = ctr % REPLAY_WINDOW;

	return (r->bits[i / WORD_BITS] >> (i % WORD_BITS)) & 1;
}

static void
bit_set(struct replay *r, uint64_t ctr)
{
	uint64_t i = ctr % REPLAY_WINDOW;

	r->bits[i / WORD_BITS] |= (uint64_t)1 << (i % WORD_BITS);
}

static void
bit_clear(struct replay *r, uint64_t ctr)
{
	uint64_t i = ctr % REPLAY_WINDOW;

	r->bits[i / WORD_BITS] &= ~((uint64_t)1 << (i % WORD_BITS));
}

void
replay_init(struct replay *r)
{
	memset(r, 0, sizeof(*r));
}

int
replay_check(const struct replay *r, uint64_t ctr)
{
	/* top is ctr + 1 after an update, so the largest value cannot be. */
	if (ctr == UINT64_MAX)
		return E2_ERR_REPLAY;
	if (ctr >= r->top)
		return 0;		/* ahead of everything seen (or none seen) */
	if (r->top - ctr > REPLAY_WINDOW)
		return E2_ERR_REPLAY;	/* REPLAY_WINDOW or more behind the top */
	if (bit_is_set(r, ctr))
		return E2_ERR_REPLAY;
	return 0;
}

void
replay_update(struct replay *r, uint64_t ctr)
{
	uint64_t c;

	if (replay_check(r, ctr) != 0)
		return;
	if (ctr >= r->top) {
		/* Slide: counters top .. ctr enter the window unseen. */
		if (ctr - r->top >= REPLAY_WINDOW)
			memset(r->bits, 0, sizeof(r->bits));
		else
			for (c = r->top; c < ctr; c++)
				bit_clear(r, c);
		r->top = ctr + 1;
	}
	bit_set(r, ctr);
}
