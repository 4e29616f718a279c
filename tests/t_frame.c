/* t_frame.c - the length-prefixed framing of the signaling stream. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "err.h"
#include "frame.h"

/* Writes a frame of len bytes (payload byte i = seed + i) into out. */
static size_t
mkframe(uint8_t *out, size_t len, uint8_t seed)
{
	size_t i;

	assert_int_equal(frame_hdr(out, len), 0);
	for (i = 0; i < len; i++)
		out[FRAME_HDRLEN + i] = (uint8_t)(seed + i);
	return FRAME_HDRLEN + len;
}

static void
check_payload(const uint8_t *p, size_t len, size_t want, uint8_t seed)
{
	size_t i;

	assert_int_equal(len, want);
	for (i = 0; i < len; i++)
		assert_int_equal(p[i], (uint8_t)(seed + i));
}

static struct frame_rx *
rx_new(size_t limit)
{
	struct frame_rx *rx;

	rx = malloc(sizeof(*rx));
	assert_non_null(rx);
	frame_rx_init(rx, limit);
	return rx;
}

static void
test_one(void **state)
{
	struct frame_rx *rx = rx_new(1000);
	uint8_t wire[64];
	const uint8_t *f = NULL;
	size_t n, used, flen = 0;

	(void)state;
	n = mkframe(wire, 10, 0x40);
	assert_int_equal(n, 12);
	assert_int_equal(wire[0], 0);
	assert_int_equal(wire[1], 10);
	assert_int_equal(frame_rx_feed(rx, wire, n, &used, &f, &flen), 1);
	assert_int_equal(used, n);
	check_payload(f, flen, 10, 0x40);
	/* Nothing more: the next feed of nothing returns 0. */
	assert_int_equal(frame_rx_feed(rx, wire, 0, &used, &f, &flen), 0);
	assert_int_equal(used, 0);
	free(rx);
}

static void
test_many_in_one_feed(void **state)
{
	struct frame_rx *rx = rx_new(FRAME_MAXLEN);
	static const size_t lens[] = { 1, 300, 2, 65535, 7 };
	uint8_t *wire;
	const uint8_t *f, *p;
	size_t i, n = 0, left, used, flen;

	(void)state;
	wire = malloc(70000);
	assert_non_null(wire);
	for (i = 0; i < 5; i++)
		n += mkframe(wire + n, lens[i], (uint8_t)(i * 17));
	p = wire;
	left = n;
	for (i = 0; i < 5; i++) {
		assert_int_equal(frame_rx_feed(rx, p, left, &used, &f, &flen),
		    1);
		check_payload(f, flen, lens[i], (uint8_t)(i * 17));
		assert_int_equal(used, FRAME_HDRLEN + lens[i]);
		p += used;
		left -= used;
	}
	assert_int_equal(left, 0);
	free(wire);
	free(rx);
}

static void
test_byte_at_a_time(void **state)
{
	struct frame_rx *rx = rx_new(512);
	uint8_t wire[1024];
	const uint8_t *f;
	size_t i, n, used, flen, got = 0;
	int r;

	(void)state;
	n = mkframe(wire, 256, 1);
	n += mkframe(wire + n, 3, 9);
	n += mkframe(wire + n, 512, 0x80);
	for (i = 0; i < n; i++) {
		r = frame_rx_feed(rx, wire + i, 1, &used, &f, &flen);
		assert_int_equal(used, 1);
		if (i == 257 || i == 262 || i == n - 1) {
			assert_int_equal(r, 1);
			if (got == 0)
				check_payload(f, flen, 256, 1);
			else if (got == 1)
				check_payload(f, flen, 3, 9);
			else
				check_payload(f, flen, 512, 0x80);
			got++;
		} else
			assert_int_equal(r, 0);
	}
	assert_int_equal(got, 3);
	free(rx);
}

/* Every split of two frames into two feeds gives the same two frames. */
static void
test_every_split(void **state)
{
	struct frame_rx *rx = rx_new(100);
	uint8_t wire[64];
	const uint8_t *f;
	size_t cut, n, used, flen, off, got;
	int r;

	(void)state;
	n = mkframe(wire, 20, 3);
	n += mkframe(wire + n, 5, 200);
	for (cut = 0; cut <= n; cut++) {
		frame_rx_init(rx, 100);
		got = 0;
		off = 0;
		/* [0, cut) first, then the rest; loop while frames come. */
		while (off < cut) {
			r = frame_rx_feed(rx, wire + off, cut - off, &used, &f,
			    &flen);
			assert_true(r == 0 || r == 1);
			off += used;
			if (r == 1) {
				check_payload(f, flen, got == 0 ? 20 : 5,
				    got == 0 ? 3 : 200);
				got++;
			}
		}
		while (off < n) {
			r = frame_rx_feed(rx, wire + off, n - off, &used, &f,
			    &flen);
			assert_int_equal(r, 1);
			off += used;
			check_payload(f, flen, got == 0 ? 20 : 5,
			    got == 0 ? 3 : 200);
			got++;
		}
		assert_int_equal(got, 2);
	}
	free(rx);
}

static void
test_header_split(void **state)
{
	struct frame_rx *rx = rx_new(FRAME_MAXLEN);
	uint8_t *wire;
	const uint8_t *f;
	size_t n, used, flen;

	(void)state;
	wire = malloc(FRAME_HDRLEN + 0x1234);
	assert_non_null(wire);
	n = mkframe(wire, 0x1234, 5);
	assert_int_equal(wire[0], 0x12);
	assert_int_equal(wire[1], 0x34);
	assert_int_equal(frame_rx_feed(rx, wire, 1, &used, &f, &flen), 0);
	assert_int_equal(used, 1);
	assert_int_equal(frame_rx_feed(rx, wire + 1, 1, &used, &f, &flen), 0);
	assert_int_equal(used, 1);
	assert_int_equal(frame_rx_feed(rx, wire + 2, 100, &used, &f, &flen),
	    0);
	assert_int_equal(used, 100);
	assert_int_equal(frame_rx_feed(rx, wire + 102, n - 102, &used, &f,
	    &flen), 1);
	assert_int_equal(used, n - 102);
	check_payload(f, flen, 0x1234, 5);
	free(wire);
	free(rx);
}

static void
test_zero_length(void **state)
{
	struct frame_rx *rx = rx_new(100);
	uint8_t wire[] = { 0x00, 0x03, 'a', 'b', 'c', 0x00, 0x00, 0x00, 0x01 };
	uint8_t hdr[FRAME_HDRLEN];
	const uint8_t *f;
	size_t used, flen;

	(void)state;
	assert_int_equal(frame_rx_feed(rx, wire, sizeof(wire), &used, &f,
	    &flen), 1);
	assert_int_equal(used, 5);
	assert_memory_equal(f, "abc", 3);
	assert_int_equal(frame_rx_feed(rx, wire + 5, 1, &used, &f, &flen), 0);
	assert_int_equal(frame_rx_feed(rx, wire + 6, 3, &used, &f, &flen),
	    E2_ERR_MALFORMED);
	assert_int_equal(frame_hdr(hdr, 0), E2_ERR_INVAL);
	free(rx);
}

static void
test_oversize(void **state)
{
	struct frame_rx *rx = rx_new(4112);
	uint8_t wire[] = { 0x10, 0x11, 1, 2, 3 };	/* 4113 */
	uint8_t hdr[FRAME_HDRLEN] = { 0xaa, 0xbb };
	const uint8_t *f;
	size_t used, flen;

	(void)state;
	assert_int_equal(frame_rx_feed(rx, wire, sizeof(wire), &used, &f,
	    &flen), E2_ERR_TOOBIG);
	assert_int_equal(frame_hdr(hdr, FRAME_MAXLEN + 1), E2_ERR_TOOBIG);
	assert_int_equal(hdr[0], 0xaa);		/* untouched */
	assert_int_equal(frame_hdr(hdr, FRAME_MAXLEN), 0);
	assert_int_equal(hdr[0], 0xff);
	assert_int_equal(hdr[1], 0xff);
	free(rx);
}

static void
test_exact_limit(void **state)
{
	struct frame_rx *rx = rx_new(4112);
	uint8_t wire[FRAME_HDRLEN + 4112];
	const uint8_t *f;
	size_t n, used, flen;

	(void)state;
	n = mkframe(wire, 4112, 77);
	assert_int_equal(frame_rx_feed(rx, wire, n, &used, &f, &flen), 1);
	assert_int_equal(used, n);
	check_payload(f, flen, 4112, 77);

	/* A limit of 1 takes 1-byte frames only. */
	frame_rx_init(rx, 1);
	n = mkframe(wire, 1, 9);
	assert_int_equal(frame_rx_feed(rx, wire, n, &used, &f, &flen), 1);
	check_payload(f, flen, 1, 9);
	n = mkframe(wire, 2, 9);
	assert_int_equal(frame_rx_feed(rx, wire, n, &used, &f, &flen),
	    E2_ERR_TOOBIG);

	/* Limit 0 means the largest the wire can carry. */
	frame_rx_init(rx, 0);
	assert_int_equal(rx->limit, FRAME_MAXLEN);
	free(rx);
}

static void
test_stays_failed(void **state)
{
	struct frame_rx *rx = rx_new(10);
	uint8_t bad[] = { 0x00, 0x0b };
	uint8_t good[16];
	const uint8_t *f;
	size_t n, used, flen;

	(void)state;
	n = mkframe(good, 4, 0);
	assert_int_equal(frame_rx_feed(rx, bad, 2, &used, &f, &flen),
	    E2_ERR_TOOBIG);
	assert_int_equal(frame_rx_feed(rx, good, n, &used, &f, &flen),
	    E2_ERR_FAILED);
	assert_int_equal(used, 0);
	assert_int_equal(frame_rx_feed(rx, good, 0, &used, &f, &flen),
	    E2_ERR_FAILED);

	/* Also after a zero length, and a split header does not help. */
	frame_rx_init(rx, 10);
	assert_int_equal(frame_rx_feed(rx, bad, 1, &used, &f, &flen), 0);
	bad[1] = 0;
	assert_int_equal(frame_rx_feed(rx, bad + 1, 1, &used, &f, &flen),
	    E2_ERR_MALFORMED);
	assert_int_equal(frame_rx_feed(rx, good, n, &used, &f, &flen),
	    E2_ERR_FAILED);

	/* init makes it usable again. */
	frame_rx_init(rx, 10);
	assert_int_equal(frame_rx_feed(rx, good, n, &used, &f, &flen), 1);
	check_payload(f, flen, 4, 0);
	free(rx);
}

static void
test_bad_args(void **state)
{
	struct frame_rx *rx = rx_new(10);
	const uint8_t *f;
	size_t used = 99, flen;

	(void)state;
	assert_int_equal(frame_rx_feed(rx, NULL, 3, &used, &f, &flen),
	    E2_ERR_INVAL);
	assert_int_equal(used, 0);
	assert_int_equal(frame_rx_feed(rx, NULL, 0, &used, &f, &flen), 0);
	free(rx);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one),
		cmocka_unit_test(test_many_in_one_feed),
		cmocka_unit_test(test_byte_at_a_time),
		cmocka_unit_test(test_every_split),
		cmocka_unit_test(test_header_split),
		cmocka_unit_test(test_zero_length),
		cmocka_unit_test(test_oversize),
		cmocka_unit_test(test_exact_limit),
		cmocka_unit_test(test_stays_failed),
		cmocka_unit_test(test_bad_args),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
