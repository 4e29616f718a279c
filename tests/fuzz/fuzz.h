/*
 * fuzz.h - helpers shared by the libFuzzer targets in tests/fuzz/.
 *
 * FUZZ_CHECK aborts (so libFuzzer records a crash with the input) when an
 * invariant of the code under test does not hold.  struct fin reads the
 * fuzzer's bytes as a stream of small values; past the end it gives zeros,
 * so every target sees a well-defined input of any length.
 */
#ifndef E2_FUZZ_H
#define E2_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define FUZZ_CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: invariant failed: %s\n",	\
		    __FILE__, __LINE__, #cond);				\
		abort();						\
	}								\
} while (0)

struct fin {
	const uint8_t	*p;
	size_t		 n;
};

static inline void
fin_init(struct fin *f, const uint8_t *p, size_t n)
{
	f->p = p;
	f->n = n;
}

static inline uint8_t
fin_u8(struct fin *f)
{
	if (f->n == 0)
		return 0;
	f->n--;
	return *f->p++;
}

static inline uint16_t
fin_u16(struct fin *f)
{
	uint16_t hi = fin_u8(f);

	return (uint16_t)(hi << 8 | fin_u8(f));
}

static inline uint32_t
fin_u32(struct fin *f)
{
	uint32_t hi = fin_u16(f);

	return hi << 16 | fin_u16(f);
}

/* Up to want bytes (fewer at the end); their count goes to *gotp. */
static inline const uint8_t *
fin_take(struct fin *f, size_t want, size_t *gotp)
{
	const uint8_t *p = f->p;

	if (want > f->n)
		want = f->n;
	f->p += want;
	f->n -= want;
	*gotp = want;
	return p;
}

/* The rest of the input. */
static inline const uint8_t *
fin_rest(struct fin *f, size_t *gotp)
{
	return fin_take(f, f->n, gotp);
}

#endif
