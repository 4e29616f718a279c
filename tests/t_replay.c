/* t_replay.c - the sliding anti-replay window. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "err.h"
#include "replay.h"

#define W	REPLAY_WINDOW
#define OK	0
#define RP	E2_ERR_REPLAY
#define END	UINT64_MAX	/* ends a step list (never a valid counter) */

/*
 * One step: a receiver sees ctr; replay_check() must return want, and when
 * it returns 0 the packet "authenticated" and replay_update() records it.
 */
struct step {
	uint64_t	ctr;
	int		want;
};

struct scenario {
	const char	*name;
	struct step	 steps[24];
};

static const struct scenario scenarios[] = {
	{ "first packet 0", {
		{ 0, OK }, { 0, RP }, { 1, OK }, { 0, RP }, { 1, RP },
		{ END, 0 } } },
	{ "first packet far from 0", {
		{ 5000, OK }, { 0, RP }, { 5000 - W, RP },
		{ 5000 - W + 1, OK }, { 4999, OK }, { 5000, RP },
		{ END, 0 } } },
	{ "duplicates", {
		{ 1, OK }, { 2, OK }, { 3, OK }, { 2, RP }, { 3, RP },
		{ 1, RP }, { 4, OK }, { 4, RP }, { END, 0 } } },
	{ "window edge", {
		{ 2000, OK }, { 2000 - (W - 1), OK }, { 2000 - W, RP },
		{ 2000 - (W - 1), RP }, { 2000 - W - 1, RP }, { 0, RP },
		{ END, 0 } } },
	{ "window edge from 0", {
		{ W - 1, OK }, { 0, OK }, { 0, RP }, { W, OK }, { 1, OK },
		{ 1, RP }, { W + 1, OK }, { 1, RP }, { 2, OK }, { END, 0 } } },
	{ "slide clears stale bits", {
		/* 5 and 1029 share a bit; 1030 slides 5 out, 1029 is new */
		{ 5, OK }, { 6, OK }, { W + 6, OK }, { W + 5, OK },
		{ W + 5, RP }, { 6, RP }, { 7, OK }, { 7, RP },
		{ END, 0 } } },
	{ "slide clears the oldest bit", {
		/* 0 is the oldest in the window when W + 1 arrives */
		{ 0, OK }, { W - 1, OK }, { W + 1, OK }, { W, OK },
		{ W, RP }, { 0, RP }, { 1, RP }, { 2, OK }, { END, 0 } } },
	{ "far jump clears all bits", {
		{ 0, OK }, { 1, OK }, { 2, OK }, { 3, OK },
		{ 5 * W + 3, OK }, { 4 * W + 3, RP }, { 4 * W + 4, OK },
		{ 4 * W + 1, RP }, { 5 * W, OK }, { 5 * W + 2, OK },
		{ 5 * W + 3, RP }, { 3, RP }, { END, 0 } } },
	{ "jump just under the window", {
		{ 10, OK }, { 11, OK }, { 10 + W, OK }, { 11, RP },
		{ 10, RP }, { 12, OK }, { 12, RP }, { END, 0 } } },
	{ "jump of exactly the window", {
		{ 10, OK }, { 11, OK }, { 12 + W, OK }, { 12, RP },
		{ 11, RP }, { 13, OK }, { 13, RP }, { W + 11, OK },
		{ END, 0 } } },
	{ "out of order within window", {
		{ 10, OK }, { 8, OK }, { 9, OK }, { 7, OK }, { 12, OK },
		{ 11, OK }, { 8, RP }, { 12, RP }, { 300, OK }, { 13, OK },
		{ 299, OK }, { 13, RP }, { END, 0 } } },
	{ "counters near 2^32", {
		{ 0xfffffff0u, OK }, { 0xfffffffeu, OK }, { 0xfffffff5u, OK },
		{ 0xfffffffeu, RP }, { 0xffffffffu, OK }, { 0xffffffffu, RP },
		{ 0xffffffffu - W, RP }, { 0xffffffffu - (W - 1), OK },
		{ 0xfffffff0u, RP }, { 0x100000000ull, OK },
		{ 0xffffffffu, RP }, { END, 0 } } },
	{ "largest 64-bit values", {
		{ UINT64_MAX - 1, OK }, { UINT64_MAX - 1, RP },
		{ UINT64_MAX - 2, OK }, { END, 0 } } },
};

static void
run_scenario(const struct scenario *sc)
{
	struct replay r;
	size_t i;
	int got;

	replay_init(&r);
	for (i = 0; sc->steps[i].ctr != END; i++) {
		got = replay_check(&r, sc->steps[i].ctr);
		if (got != sc->steps[i].want)
			fail_msg("%s: step %zu (ctr %llu): got %d, want %d",
			    sc->name, i, (unsigned long long)sc->steps[i].ctr,
			    got, sc->steps[i].want);
		if (got == 0)
			replay_update(&r, sc->steps[i].ctr);
	}
}

static void
test_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++)
		run_scenario(&scenarios[i]);
}

static void
test_check_changes_nothing(void **state)
{
	struct replay r, before;
	int i;

	(void)state;
	replay_init(&r);
	replay_update(&r, 2000);
	replay_update(&r, 1998);
	memcpy(&before, &r, sizeof(r));
	for (i = 0; i < 3; i++) {
		assert_int_equal(replay_check(&r, 1999), 0);
		assert_int_equal(replay_check(&r, 5000), 0);
		assert_int_equal(replay_check(&r, 1998), E2_ERR_REPLAY);
	}
	assert_memory_equal(&before, &r, sizeof(r));
	/* An update that check refuses does nothing either. */
	replay_update(&r, 1998);
	replay_update(&r, 2000 - W);
	replay_update(&r, UINT64_MAX);
	assert_memory_equal(&before, &r, sizeof(r));
}

static void
test_max_value_refused(void **state)
{
	struct replay r;

	(void)state;
	replay_init(&r);
	assert_int_equal(replay_check(&r, UINT64_MAX), E2_ERR_REPLAY);
	replay_update(&r, UINT64_MAX);
	assert_true(r.top == 0);
}

/* xorshift64: a fixed-seed stream, so failures reproduce. */
static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

#define MODEL_MAX	2000000

/* Random walk against a plain model: seen[] and the highest counter. */
static void
test_against_model(void **state)
{
	struct replay r;
	uint8_t *seen;
	uint64_t s = 0x9e3779b97f4a7c15ull, ctr, hi = 0;
	int any = 0, got, want, i, accepted = 0;

	(void)state;
	assert_non_null(seen = calloc(MODEL_MAX, 1));
	replay_init(&r);
	for (i = 0; i < 200000; i++) {
		/* mostly just behind or just ahead, now and then far */
		int64_t delta = (int64_t)(rnd(&s) % 1131) - 1100;

		if (rnd(&s) % 500 == 0)
			delta = (int64_t)(rnd(&s) % 3000);
		ctr = (int64_t)hi + delta < 0 ? 0 : (uint64_t)((int64_t)hi + delta);
		if (ctr >= MODEL_MAX)
			break;
		if (seen[ctr] || (any && hi - ctr >= W && ctr < hi))
			want = E2_ERR_REPLAY;
		else
			want = 0;
		got = replay_check(&r, ctr);
		if (got != want)
			fail_msg("step %d ctr %llu hi %llu: got %d want %d", i,
			    (unsigned long long)ctr, (unsigned long long)hi,
			    got, want);
		if (got == 0) {
			replay_update(&r, ctr);
			seen[ctr] = 1;
			if (!any || ctr > hi)
				hi = ctr;
			any = 1;
			accepted++;
		}
	}
	/* The walk reached its end and exercised both answers. */
	assert_int_equal(i, 200000);
	assert_true(accepted > 50000 && i - accepted > 50000);
	free(seen);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_check_changes_nothing),
		cmocka_unit_test(test_max_value_refused),
		cmocka_unit_test(test_against_model),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
