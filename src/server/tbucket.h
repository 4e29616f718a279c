/*
 * tbucket.h - a token bucket with the time passed in: `burst` tokens at
 * most, one more every `period_ms`.  A bucket starts full (tb_init) and
 * its limits are the caller's, given on every call, so one type serves
 * every rate the server enforces.  Tokens are counted in millionths, so a
 * period may be anything from 1 ms to days.
 */
#ifndef E2_TBUCKET_H
#define E2_TBUCKET_H

#include <stdint.h>

struct tbucket {
	uint64_t	utok;		/* millionths of a token */
	uint64_t	t_ms;		/* when utok was last brought up */
};

/* A full bucket at now. */
void	tb_init(struct tbucket *b, uint64_t now, uint32_t burst);
/* Takes one token: 1, or 0 when there is none (nothing taken). */
int	tb_take(struct tbucket *b, uint64_t now, uint32_t period_ms,
	    uint32_t burst);
/* Milliseconds until a token is there (0: now). */
uint64_t tb_wait_ms(struct tbucket *b, uint64_t now, uint32_t period_ms,
	    uint32_t burst);
/* 1 when the bucket is full again: forgetting it loses nothing. */
int	tb_full(struct tbucket *b, uint64_t now, uint32_t period_ms,
	    uint32_t burst);

#endif
