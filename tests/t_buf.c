/* t_buf.c - the bounded reader/writer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "buf.h"
#include "err.h"

static void
test_roundtrip(void **state)
{
	uint8_t mem[32], bytes[3];
	struct buf w, r;
	uint8_t u8;
	uint16_t u16;
	uint32_t u32;
	uint64_t u64;

	(void)state;
	buf_init_write(&w, mem, sizeof(mem));
	assert_int_equal(buf_put_u8(&w, 0xab), 0);
	assert_int_equal(buf_put_u16(&w, 0x1234), 0);
	assert_int_equal(buf_put_u32(&w, 0xdeadbeef), 0);
	assert_int_equal(buf_put_u64(&w, 0x0102030405060708ULL), 0);
	assert_int_equal(buf_put_bytes(&w, "xyz", 3), 0);
	assert_int_equal(w.len, 18);
	assert_int_equal(mem[1], 0x12);	/* big endian */
	assert_int_equal(mem[2], 0x34);

	buf_init_read(&r, mem, w.len);
	assert_int_equal(buf_get_u8(&r, &u8), 0);
	assert_int_equal(u8, 0xab);
	assert_int_equal(buf_get_u16(&r, &u16), 0);
	assert_int_equal(u16, 0x1234);
	assert_int_equal(buf_get_u32(&r, &u32), 0);
	assert_int_equal(u32, 0xdeadbeef);
	assert_int_equal(buf_get_u64(&r, &u64), 0);
	assert_true(u64 == 0x0102030405060708ULL);
	assert_int_equal(buf_expect_end(&r), E2_ERR_MALFORMED);
	assert_int_equal(buf_get_bytes(&r, bytes, 3), 0);
	assert_memory_equal(bytes, "xyz", 3);
	assert_int_equal(buf_expect_end(&r), 0);
}

static void
test_bounds(void **state)
{
	uint8_t mem[3];
	struct buf w, r;
	uint32_t u32 = 7;
	uint16_t u16;

	(void)state;
	buf_init_write(&w, mem, sizeof(mem));
	assert_int_equal(buf_put_u32(&w, 1), E2_ERR_SPACE);
	assert_int_equal(w.len, 0);		/* nothing half-written */
	assert_int_equal(buf_put_u16(&w, 1), 0);
	assert_int_equal(buf_put_u16(&w, 1), E2_ERR_SPACE);

	buf_init_read(&r, mem, 3);
	assert_int_equal(buf_get_u32(&r, &u32), E2_ERR_SHORT);
	assert_int_equal(u32, 7);		/* untouched */
	assert_int_equal(r.off, 0);		/* did not move */
	assert_int_equal(buf_get_u16(&r, &u16), 0);
	assert_int_equal(buf_get_u16(&r, &u16), E2_ERR_SHORT);
	assert_int_equal(buf_left(&r), 1);
}

static void
test_strerror(void **state)
{
	(void)state;
	assert_string_equal(e2_strerror(E2_ERR_AUTH), "authentication failed");
	assert_string_equal(e2_strerror(-999), "unknown error");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_strerror),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
