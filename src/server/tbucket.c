/* tbucket.c - token buckets; see tbucket.h. */
#include "tbucket.h"

#define UNIT	1000000u

void
tb_init(struct tbucket *b, uint64_t now, uint32_t burst)
{
	b->utok = (uint64_t)burst * UNIT;
	b->t_ms = now;
}

static void
refill(struct tbucket *b, uint64_t now, uint32_t period_ms, uint32_t burst)
{
	uint64_t cap = (uint64_t)burst * UNIT, dt, add;

	if (now <= b->t_ms)
		return;
	dt = now - b->t_ms;
	b->t_ms = now;
	if (period_ms == 0 || dt >= (uint64_t)period_ms * burst) {
		b->utok = cap;
		return;
	}
	add = dt * UNIT / period_ms;
	b->utok = add >= cap - (b->utok < cap ? b->utok : cap) ? cap :
	    b->utok + add;
}

int
tb_take(struct tbucket *b, uint64_t now, uint32_t period_ms, uint32_t burst)
{
	refill(b, now, period_ms, burst);
	if (b->utok < UNIT)
		return 0;
	b->utok -= UNIT;
	return 1;
}

uint64_t
tb_wait_ms(struct tbucket *b, uint64_t now, uint32_t period_ms,
    uint32_t burst)
{
	refill(b, now, period_ms, burst);
	if (b->utok >= UNIT)
		return 0;
	return ((UNIT - b->utok) * period_ms + UNIT - 1) / UNIT;
}

int
tb_full(struct tbucket *b, uint64_t now, uint32_t period_ms, uint32_t burst)
{
	refill(b, now, period_ms, burst);
	return b->utok >= (uint64_t)burst * UNIT;
}
