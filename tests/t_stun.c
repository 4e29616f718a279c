/*
 * t_stun.c - the STUN codec (src/core/stun.c): the Binding responder
 * against the XOR-MAPPED-ADDRESS values of RFC 5769 sections 2.2 and 2.3
 * and the requests it must not answer; the client's request and its
 * reading of the RFC 5769 sample responses and of answers it must refuse.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <arpa/inet.h>

#include "err.h"
#include "stun.h"

static const uint8_t tid[12] = {
	0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae,
};

/* RFC 5769 2.2: sample IPv4 response (192.0.2.1 port 32853). */
static const uint8_t resp4[] = {
	0x01, 0x01, 0x00, 0x3c, 0x21, 0x12, 0xa4, 0x42,
	0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae,
	0x80, 0x22, 0x00, 0x0b, 0x74, 0x65, 0x73, 0x74,
	0x20, 0x76, 0x65, 0x63, 0x74, 0x6f, 0x72, 0x20,
	0x00, 0x20, 0x00, 0x08, 0x00, 0x01, 0xa1, 0x47,
	0xe1, 0x12, 0xa6, 0x43,
	0x00, 0x08, 0x00, 0x14, 0x2b, 0x91, 0xf5, 0x99,
	0xfd, 0x9e, 0x90, 0xc3, 0x8c, 0x74, 0x89, 0xf9,
	0x2a, 0xf9, 0xba, 0x53, 0xf0, 0x6b, 0xe7, 0xd7,
	0x80, 0x28, 0x00, 0x04, 0xc0, 0x7d, 0x4c, 0x96,
};

/* RFC 5769 2.3: sample IPv6 response
 * (2001:db8:1234:5678:11:2233:4455:6677 port 32853). */
static const uint8_t resp6[] = {
	0x01, 0x01, 0x00, 0x48, 0x21, 0x12, 0xa4, 0x42,
	0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae,
	0x80, 0x22, 0x00, 0x0b, 0x74, 0x65, 0x73, 0x74,
	0x20, 0x76, 0x65, 0x63, 0x74, 0x6f, 0x72, 0x20,
	0x00, 0x20, 0x00, 0x14, 0x00, 0x02, 0xa1, 0x47,
	0x01, 0x13, 0xa9, 0xfa, 0xa5, 0xd3, 0xf1, 0x79,
	0xbc, 0x25, 0xf4, 0xb5, 0xbe, 0xd2, 0xb9, 0xd9,
	0x00, 0x08, 0x00, 0x14, 0xa3, 0x82, 0x95, 0x4e,
	0x4b, 0xe6, 0x7b, 0xf1, 0x17, 0x84, 0xc9, 0x7c,
	0x82, 0x92, 0xc2, 0x75, 0xbf, 0xe3, 0xed, 0x41,
	0x80, 0x28, 0x00, 0x04, 0xc8, 0xfb, 0x0b, 0x4c,
};

static void
mkaddr(struct stun_addr *a, const char *ip, uint16_t port)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, ip, a->addr) == 1) {
		a->family = 4;
	} else {
		assert_int_equal(inet_pton(AF_INET6, ip, a->addr), 1);
		a->family = 6;
	}
	a->port = port;
}

static size_t
request(uint8_t *out, uint16_t type, uint32_t cookie, const uint8_t *attrs,
    size_t alen)
{
	out[0] = type >> 8;
	out[1] = type & 0xff;
	out[2] = (uint8_t)(alen >> 8);
	out[3] = (uint8_t)alen;
	out[4] = cookie >> 24;
	out[5] = (cookie >> 16) & 0xff;
	out[6] = (cookie >> 8) & 0xff;
	out[7] = cookie & 0xff;
	memcpy(out + 8, tid, 12);
	if (alen > 0)
		memmove(out + 20, attrs, alen);
	return 20 + alen;
}

static void
test_ipv4_vector(void **state)
{
	struct stun_addr a, back;
	uint8_t req[64], out[STUN_RESP_MAX];
	size_t n, len = 0;

	(void)state;
	mkaddr(&a, "192.0.2.1", 32853);
	n = request(req, 0x0001, STUN_COOKIE, NULL, 0);
	assert_int_equal(stun_binding_response(req, n, &a, out, &len), 0);
	assert_int_equal(len, 32);
	assert_int_equal(out[0], 0x01);
	assert_int_equal(out[1], 0x01);
	assert_int_equal(out[2], 0);
	assert_int_equal(out[3], 12);
	assert_memory_equal(out + 4, req + 4, 16);	/* cookie, tid */
	assert_memory_equal(out + 20, resp4 + 36, 12);
	/* The client reads its own server's answer back. */
	assert_int_equal(stun_parse_response(out, len, tid, &back), 0);
	assert_memory_equal(&back, &a, sizeof(a));
}

static void
test_ipv6_vector(void **state)
{
	struct stun_addr a, back;
	uint8_t req[64], out[STUN_RESP_MAX];
	size_t n, len = 0;

	(void)state;
	mkaddr(&a, "2001:db8:1234:5678:11:2233:4455:6677", 32853);
	n = request(req, 0x0001, STUN_COOKIE, NULL, 0);
	assert_int_equal(stun_binding_response(req, n, &a, out, &len), 0);
	assert_int_equal(len, 44);
	assert_int_equal(out[3], 24);
	assert_memory_equal(out + 20, resp6 + 36, 24);
	assert_int_equal(stun_parse_response(out, len, tid, &back), 0);
	assert_memory_equal(&back, &a, sizeof(a));
}

static void
test_refused(void **state)
{
	/* SOFTWARE (optional) is fine; USERNAME (required) is not. */
	static const uint8_t software[] = { 0x80, 0x22, 0x00, 0x03,
	    'a', 'b', 'c', 0x00 };
	static const uint8_t username[] = { 0x00, 0x06, 0x00, 0x04,
	    'u', 's', 'e', 'r' };
	static const uint8_t overrun[] = { 0x80, 0x22, 0x00, 0x09,
	    'a', 'b', 'c', 'd' };
	struct stun_addr a;
	uint8_t req[STUN_MAXREQ + 8], out[STUN_RESP_MAX];
	size_t n, len;

	(void)state;
	mkaddr(&a, "127.0.0.1", 1);
	n = request(req, 0x0001, STUN_COOKIE, software, sizeof(software));
	assert_int_equal(stun_binding_response(req, n, &a, out, &len), 0);
	n = request(req, 0x0001, STUN_COOKIE, username, sizeof(username));
	assert_int_equal(stun_binding_response(req, n, &a, out, &len),
	    E2_ERR_UNSUPPORTED);
	n = request(req, 0x0001, STUN_COOKIE, overrun, sizeof(overrun));
	assert_int_equal(stun_binding_response(req, n, &a, out, &len),
	    E2_ERR_MALFORMED);
	/* wrong cookie, a response, an indication, top bits set */
	n = request(req, 0x0001, 0x12345678, NULL, 0);
	assert_int_equal(stun_binding_response(req, n, &a, out, &len),
	    E2_ERR_MALFORMED);
	n = request(req, 0x0101, STUN_COOKIE, NULL, 0);
	assert_int_equal(stun_binding_response(req, n, &a, out, &len),
	    E2_ERR_UNSUPPORTED);
	n = request(req, 0x0011, STUN_COOKIE, NULL, 0);
	assert_int_equal(stun_binding_response(req, n, &a, out, &len),
	    E2_ERR_UNSUPPORTED);
	n = request(req, 0xc001, STUN_COOKIE, NULL, 0);
	assert_int_equal(stun_binding_response(req, n, &a, out, &len),
	    E2_ERR_MALFORMED);
	/* length field disagreeing with the datagram, short, too long */
	n = request(req, 0x0001, STUN_COOKIE, software, sizeof(software));
	assert_int_equal(stun_binding_response(req, n - 4, &a, out, &len),
	    E2_ERR_MALFORMED);
	assert_int_equal(stun_binding_response(req, 19, &a, out, &len),
	    E2_ERR_MALFORMED);
	memset(req + 20, 0, sizeof(req) - 20);
	n = request(req, 0x0001, STUN_COOKIE, req + 20, STUN_MAXREQ - 20 + 4);
	assert_int_equal(stun_binding_response(req, n, &a, out, &len),
	    E2_ERR_MALFORMED);
	a.family = 5;
	n = request(req, 0x0001, STUN_COOKIE, NULL, 0);
	assert_int_equal(stun_binding_response(req, n, &a, out, &len),
	    E2_ERR_INVAL);
	assert_int_equal(stun_binding_response(req, n, NULL, out, &len),
	    E2_ERR_INVAL);
}

static void
test_request(void **state)
{
	uint8_t out[STUN_REQ_LEN], small[STUN_REQ_LEN - 1], resp[64];
	struct stun_addr a;
	size_t n = 0, len;

	(void)state;
	assert_int_equal(stun_binding_request(tid, out, sizeof(out), &n), 0);
	assert_int_equal(n, STUN_REQ_LEN);
	assert_memory_equal(out, "\x00\x01\x00\x00\x21\x12\xa4\x42", 8);
	assert_memory_equal(out + 8, tid, 12);
	assert_true(stun_is_message(out, n));
	assert_int_equal(stun_binding_request(tid, small, sizeof(small), &n),
	    E2_ERR_SPACE);
	/* The responder answers it. */
	mkaddr(&a, "198.51.100.7", 4000);
	assert_int_equal(stun_binding_response(out, STUN_REQ_LEN, &a, resp,
	    &len), 0);
	assert_true(stun_is_message(resp, len));
	assert_false(stun_is_message(resp, len - 4));
	assert_false(stun_is_message(resp, 19));
}

static void
test_parse_vectors(void **state)
{
	struct stun_addr a, want;

	(void)state;
	assert_int_equal(stun_parse_response(resp4, sizeof(resp4), tid, &a),
	    0);
	mkaddr(&want, "192.0.2.1", 32853);
	assert_memory_equal(&a, &want, sizeof(a));
	assert_int_equal(stun_parse_response(resp6, sizeof(resp6), tid, &a),
	    0);
	mkaddr(&want, "2001:db8:1234:5678:11:2233:4455:6677", 32853);
	assert_memory_equal(&a, &want, sizeof(a));
}

static void
test_parse_refused(void **state)
{
	/* A plain MAPPED-ADDRESS (RFC 3489 server): 10.1.2.3:5000. */
	static const uint8_t mapped[] = { 0x00, 0x01, 0x00, 0x08,
	    0x00, 0x01, 0x13, 0x88, 10, 1, 2, 3 };
	static const uint8_t unknown_req[] = { 0x00, 0x2a, 0x00, 0x00 };
	static const uint8_t bad_family[] = { 0x00, 0x20, 0x00, 0x08,
	    0x00, 0x03, 0xa1, 0x47, 0xe1, 0x12, 0xa6, 0x43 };
	static const uint8_t bad_len[] = { 0x00, 0x20, 0x00, 0x14,
	    0x00, 0x01, 0xa1, 0x47, 0xe1, 0x12, 0xa6, 0x43,
	    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
	uint8_t m[256], other[12];
	struct stun_addr a, want;
	size_t n;

	(void)state;
	n = request(m, 0x0101, STUN_COOKIE, mapped, sizeof(mapped));
	assert_int_equal(stun_parse_response(m, n, tid, &a), 0);
	mkaddr(&want, "10.1.2.3", 5000);
	assert_memory_equal(&a, &want, sizeof(a));
	/* XOR-MAPPED-ADDRESS wins over MAPPED-ADDRESS, in any order. */
	memcpy(m + 20, resp4 + 36, 12);
	memcpy(m + 32, mapped, sizeof(mapped));
	n = request(m, 0x0101, STUN_COOKIE, m + 20, 24);
	assert_int_equal(stun_parse_response(m, n, tid, &a), 0);
	mkaddr(&want, "192.0.2.1", 32853);
	assert_memory_equal(&a, &want, sizeof(a));
	/* Another transaction. */
	memcpy(other, tid, sizeof(other));
	other[11] ^= 1;
	assert_int_equal(stun_parse_response(resp4, sizeof(resp4), other, &a),
	    E2_ERR_STATE);
	/* An error response, a request, no address at all. */
	n = request(m, 0x0111, STUN_COOKIE, NULL, 0);
	assert_int_equal(stun_parse_response(m, n, tid, &a),
	    E2_ERR_UNSUPPORTED);
	n = request(m, 0x0001, STUN_COOKIE, NULL, 0);
	assert_int_equal(stun_parse_response(m, n, tid, &a), E2_ERR_MALFORMED);
	n = request(m, 0x0101, STUN_COOKIE, NULL, 0);
	assert_int_equal(stun_parse_response(m, n, tid, &a), E2_ERR_MALFORMED);
	/* An unknown comprehension-required attribute. */
	memcpy(m + 20, resp4 + 36, 12);
	memcpy(m + 32, unknown_req, sizeof(unknown_req));
	n = request(m, 0x0101, STUN_COOKIE, m + 20, 16);
	assert_int_equal(stun_parse_response(m, n, tid, &a),
	    E2_ERR_UNSUPPORTED);
	/* A bad family, a length that does not fit the family. */
	n = request(m, 0x0101, STUN_COOKIE, bad_family, sizeof(bad_family));
	assert_int_equal(stun_parse_response(m, n, tid, &a), E2_ERR_MALFORMED);
	n = request(m, 0x0101, STUN_COOKIE, bad_len, sizeof(bad_len));
	assert_int_equal(stun_parse_response(m, n, tid, &a), E2_ERR_MALFORMED);
	/* Every truncation of a good response is refused. */
	for (n = 0; n < sizeof(resp4); n++)
		assert_int_not_equal(stun_parse_response(resp4, n, tid, &a),
		    0);
	assert_int_equal(stun_parse_response(resp4, sizeof(resp4), NULL, &a),
	    E2_ERR_INVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipv4_vector),
		cmocka_unit_test(test_ipv6_vector),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_request),
		cmocka_unit_test(test_parse_vectors),
		cmocka_unit_test(test_parse_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
