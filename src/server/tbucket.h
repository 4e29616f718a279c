/*
 * tbucket.h - a token bucket with the time passed in.  struct tb_rate
 * says how it fills: n tokens every per_ms milliseconds, never more than
 * burst; the caller passes it on every call, so one bucket type serves
 * every rate the server enforces ("20 a second", "one every 10 s").  A
 * bucket starts full (tb_init).  Tokens are counted in millionths.
 */
#ifndef E2_TBUCKET_H
#define E2_TBUCKET_H

#include <stdint.h>

struct tb_rate {
	uint32_t	n;		/* tokens ... */
	uint32_t	per_ms;		/*   ... every per_ms (0: none) */
	uint32_t	burst;		/* at most */
};

struct tbucket {
	uint64_t	utok;		/* millionths of a token */
	uint64_t	t_ms;		/* when utok was last brought up */
	uint64_t	rem;		/* what was left of a millionth:
					   numerator over per_ms */
};

/* A full bucket at now. */
void	tb_init(struct tbucket *b, uint64_t now, const struct tb_rate *r);
/* Takes one token: 1, or 0 when there is none (nothing taken). */
int	tb_take(struct tbucket *b, uint64_t now, const struct tb_rate *r);
/* Milliseconds until a token is there (0: now; UINT64_MAX: never). */
uint64_t tb_wait_ms(struct tbucket *b, uint64_t now, const struct tb_rate *r);
/* 1 when the bucket is full again: forgetting it loses nothing. */
int	tb_full(struct tbucket *b, uint64_t now, const struct tb_rate *r);

#endif
