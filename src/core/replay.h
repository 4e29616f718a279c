/*
 * replay.h - sliding anti-replay window over a 32-bit packet counter
 * (RFC 6479 style, as WireGuard's counter_validate).
 *
 * replay_check() says whether a counter could be new; it changes nothing.
 * replay_update() records it and must be called only after the packet
 * authenticated, so forged packets can never move the window.
 */
#ifndef E2_REPLAY_H
#define E2_REPLAY_H

#include <stdint.h>

#define REPLAY_WINDOW	1024	/* counters accepted behind the highest seen */

struct replay {
	uint64_t	top;		/* highest counter seen + 1; 0 = none */
	uint64_t	bits[REPLAY_WINDOW / 64];
};

void	replay_init(struct replay *r);
/* 0 if ctr may be accepted, E2_ERR_REPLAY if seen or too old. */
int	replay_check(const struct replay *r, uint64_t ctr);
void	replay_update(struct replay *r, uint64_t ctr);

#endif
