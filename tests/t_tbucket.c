/*
 * t_tbucket.c - the server's token bucket (src/server/tbucket.c): a full
 * start, the burst, refill at n per period, fractions of a token, the
 * wait until the next one, "full again", no rate, and clocks that stand
 * still, go back or jump by years.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "tbucket.h"

static void
test_burst_and_refill(void **state)
{
	const struct tb_rate r = { 20, 1000, 64 };	/* 20 a second, 64 */
	struct tbucket b;
	int i;

	(void)state;
	tb_init(&b, 1000, &r);
	assert_true(tb_full(&b, 1000, &r));
	for (i = 0; i < 64; i++)
		assert_int_equal(tb_take(&b, 1000, &r), 1);
	assert_int_equal(tb_take(&b, 1000, &r), 0);
	assert_false(tb_full(&b, 1000, &r));
	/* one token every 50 ms */
	assert_int_equal(tb_wait_ms(&b, 1000, &r), 50);
	assert_int_equal(tb_take(&b, 1049, &r), 0);
	assert_int_equal(tb_wait_ms(&b, 1049, &r), 1);
	assert_int_equal(tb_take(&b, 1050, &r), 1);
	assert_int_equal(tb_take(&b, 1050, &r), 0);
	/* 3.2 s fill it again, and it holds no more than the burst */
	assert_false(tb_full(&b, 1050 + 3149, &r));
	assert_true(tb_full(&b, 1050 + 3200, &r));
	for (i = 0; i < 64; i++)
		assert_int_equal(tb_take(&b, 100000, &r), 1);
	assert_int_equal(tb_take(&b, 100000, &r), 0);
}

static void
test_slow_rates(void **state)
{
	const struct tb_rate hour = { 10, 3600000, 10 };	/* 10 an hour */
	struct tbucket b;
	int i;

	(void)state;
	tb_init(&b, 0, &hour);
	for (i = 0; i < 10; i++)
		assert_int_equal(tb_take(&b, 0, &hour), 1);
	assert_int_equal(tb_take(&b, 0, &hour), 0);
	assert_int_equal(tb_wait_ms(&b, 0, &hour), 360000);	/* 6 min */
	/* fractions add up over many small steps */
	for (i = 1; i < 360; i++)
		assert_int_equal(tb_take(&b, (uint64_t)i * 1000, &hour), 0);
	assert_int_equal(tb_take(&b, 360000, &hour), 1);
	/* a clock that jumps by years neither overflows nor overfills */
	assert_true(tb_full(&b, (uint64_t)1 << 50, &hour));
	for (i = 0; i < 10; i++)
		assert_int_equal(tb_take(&b, (uint64_t)1 << 50, &hour), 1);
	assert_int_equal(tb_take(&b, (uint64_t)1 << 50, &hour), 0);
}

static void
test_odd_clocks_and_no_rate(void **state)
{
	const struct tb_rate r = { 1, 100, 2 };
	const struct tb_rate none = { 0, 0, 3 };
	struct tbucket b;

	(void)state;
	tb_init(&b, 5000, &r);
	assert_int_equal(tb_take(&b, 5000, &r), 1);
	assert_int_equal(tb_take(&b, 5000, &r), 1);
	/* the clock goes back: nothing is added, nothing breaks */
	assert_int_equal(tb_take(&b, 4000, &r), 0);
	assert_int_equal(tb_take(&b, 5099, &r), 0);
	assert_int_equal(tb_take(&b, 5100, &r), 1);
	/* no refill: the burst, then never again */
	tb_init(&b, 0, &none);
	assert_int_equal(tb_take(&b, 0, &none), 1);
	assert_int_equal(tb_take(&b, 0, &none), 1);
	assert_int_equal(tb_take(&b, 0, &none), 1);
	assert_int_equal(tb_take(&b, 1000000, &none), 0);
	assert_true(tb_wait_ms(&b, 1000000, &none) == UINT64_MAX);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_burst_and_refill),
		cmocka_unit_test(test_slow_rates),
		cmocka_unit_test(test_odd_clocks_and_no_rate),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
