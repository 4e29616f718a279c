/* tbucket.c - token buckets; see tbucket.h. */
#include "tbucket.h"

#define UNIT	1000000u

void
tb_init(struct tbucket *b, uint64_t now, const struct tb_rate *r)
{
	b->utok = (uint64_t)r->burst * UNIT;
	b->t_ms = now;
	b->rem = 0;
}

static void
refill(struct tbucket *b, uint64_t now, const struct tb_rate *r)
{
	uint64_t cap = (uint64_t)r->burst * UNIT, dt, x, f, add;

	if (b->utok > cap)
		b->utok = cap;
	if (now <= b->t_ms)
		return;
	dt = now - b->t_ms;
	b->t_ms = now;
	if (r->n == 0 || r->per_ms == 0)
		return;
	/* Long enough to fill it from empty: no product can overflow. */
	if (dt >= (uint64_t)r->per_ms * (r->burst / r->n + 1)) {
		b->utok = cap;
		b->rem = 0;
		return;
	}
	/* dt * n * UNIT / per_ms, keeping the remainder for next time */
	x = dt * r->n;
	f = x % r->per_ms * UNIT + b->rem;
	add = x / r->per_ms * UNIT + f / r->per_ms;
	b->rem = f % r->per_ms;
	if (add >= cap - b->utok) {
		b->utok = cap;
		b->rem = 0;
	} else
		b->utok += add;
}

int
tb_take(struct tbucket *b, uint64_t now, const struct tb_rate *r)
{
	refill(b, now, r);
	if (b->utok < UNIT)
		return 0;
	b->utok -= UNIT;
	return 1;
}

uint64_t
tb_wait_ms(struct tbucket *b, uint64_t now, const struct tb_rate *r)
{
	uint64_t d;

	refill(b, now, r);
	if (b->utok >= UNIT)
		return 0;
	if (r->n == 0 || r->per_ms == 0 || r->burst == 0)
		return UINT64_MAX;
	/* (UNIT - utok) millionths at n per per_ms */
	d = (uint64_t)r->n * UNIT;
	return ((UNIT - b->utok) * r->per_ms + d - 1) / d;
}

int
tb_full(struct tbucket *b, uint64_t now, const struct tb_rate *r)
{
	refill(b, now, r);
	return b->utok >= (uint64_t)r->burst * UNIT;
}
