/*
 * t_stun.c - the STUN Binding responder (src/server/stun.c) against the
 * XOR-MAPPED-ADDRESS values of RFC 5769 sections 2.2 and 2.3, and the
 * requests it must not answer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "err.h"
#include "stun.h"

static const uint8_t tid[12] = {
	0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae,
};

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
		memcpy(out + 20, attrs, alen);
	return 20 + alen;
}

static void
test_ipv4_vector(void **state)
{
	/* RFC 5769 2.2: 192.0.2.1 port 32853 */
	static const uint8_t xma[] = {
		0x00, 0x20, 0x00, 0x08, 0x00, 0x01, 0xa1, 0x47,
		0xe1, 0x12, 0xa6, 0x43,
	};
	struct sockaddr_in sin;
	uint8_t req[64], out[STUN_RESP_MAX];
	size_t n, len = 0;

	(void)state;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(32853);
	inet_pton(AF_INET, "192.0.2.1", &sin.sin_addr);
	n = request(req, 0x0001, STUN_COOKIE, NULL, 0);
	assert_int_equal(stun_binding_response(req, n,
	    (struct sockaddr *)&sin, out, &len), 0);
	assert_int_equal(len, 32);
	assert_int_equal(out[0], 0x01);
	assert_int_equal(out[1], 0x01);
	assert_int_equal(out[2], 0);
	assert_int_equal(out[3], 12);
	assert_memory_equal(out + 4, req + 4, 16);	/* cookie, tid */
	assert_memory_equal(out + 20, xma, sizeof(xma));
}

static void
test_ipv6_vector(void **state)
{
	/* RFC 5769 2.3: 2001:db8:1234:5678:11:2233:4455:6677 port 32853 */
	static const uint8_t xma[] = {
		0x00, 0x20, 0x00, 0x14, 0x00, 0x02, 0xa1, 0x47,
		0x01, 0x13, 0xa9, 0xfa, 0xa5, 0xd3, 0xf1, 0x79,
		0xbc, 0x25, 0xf4, 0xb5, 0xbe, 0xd2, 0xb9, 0xd9,
	};
	struct sockaddr_in6 sin6;
	uint8_t req[64], out[STUN_RESP_MAX];
	size_t n, len = 0;

	(void)state;
	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_port = htons(32853);
	inet_pton(AF_INET6, "2001:db8:1234:5678:11:2233:4455:6677",
	    &sin6.sin6_addr);
	n = request(req, 0x0001, STUN_COOKIE, NULL, 0);
	assert_int_equal(stun_binding_response(req, n,
	    (struct sockaddr *)&sin6, out, &len), 0);
	assert_int_equal(len, 44);
	assert_int_equal(out[3], 24);
	assert_memory_equal(out + 20, xma, sizeof(xma));
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
	struct sockaddr_in sin;
	uint8_t req[STUN_MAXREQ + 8], out[STUN_RESP_MAX];
	size_t n, len;

	(void)state;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(1);
	n = request(req, 0x0001, STUN_COOKIE, software, sizeof(software));
	assert_int_equal(stun_binding_response(req, n,
	    (struct sockaddr *)&sin, out, &len), 0);
	n = request(req, 0x0001, STUN_COOKIE, username, sizeof(username));
	assert_int_equal(stun_binding_response(req, n,
	    (struct sockaddr *)&sin, out, &len), E2_ERR_UNSUPPORTED);
	n = request(req, 0x0001, STUN_COOKIE, overrun, sizeof(overrun));
	assert_int_equal(stun_binding_response(req, n,
	    (struct sockaddr *)&sin, out, &len), E2_ERR_MALFORMED);
	/* wrong cookie, a response, an indication, top bits set */
	n = request(req, 0x0001, 0x12345678, NULL, 0);
	assert_int_equal(stun_binding_response(req, n,
	    (struct sockaddr *)&sin, out, &len), E2_ERR_MALFORMED);
	n = request(req, 0x0101, STUN_COOKIE, NULL, 0);
	assert_int_equal(stun_binding_response(req, n,
	    (struct sockaddr *)&sin, out, &len), E2_ERR_UNSUPPORTED);
	n = request(req, 0x0011, STUN_COOKIE, NULL, 0);
	assert_int_equal(stun_binding_response(req, n,
	    (struct sockaddr *)&sin, out, &len), E2_ERR_UNSUPPORTED);
	n = request(req, 0xc001, STUN_COOKIE, NULL, 0);
	assert_int_equal(stun_binding_response(req, n,
	    (struct sockaddr *)&sin, out, &len), E2_ERR_MALFORMED);
	/* length field disagreeing with the datagram, short, too long */
	n = request(req, 0x0001, STUN_COOKIE, software, sizeof(software));
	assert_int_equal(stun_binding_response(req, n - 4,
	    (struct sockaddr *)&sin, out, &len), E2_ERR_MALFORMED);
	assert_int_equal(stun_binding_response(req, 19,
	    (struct sockaddr *)&sin, out, &len), E2_ERR_MALFORMED);
	memset(req + 20, 0, sizeof(req) - 20);
	n = request(req, 0x0001, STUN_COOKIE, req + 20, STUN_MAXREQ - 20 + 4);
	assert_int_equal(stun_binding_response(req, n,
	    (struct sockaddr *)&sin, out, &len), E2_ERR_MALFORMED);
	sin.sin_family = AF_UNIX;
	n = request(req, 0x0001, STUN_COOKIE, NULL, 0);
	assert_int_equal(stun_binding_response(req, n,
	    (struct sockaddr *)&sin, out, &len), E2_ERR_INVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipv4_vector),
		cmocka_unit_test(test_ipv6_vector),
		cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
