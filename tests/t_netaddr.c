/*
 * t_netaddr.c - which of a peer's media candidates a client may send to
 * (netaddr_cand_usable, docs/PROTOCOL.md 5.5.2), as a table.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "netaddr.h"

static void
addr(const char *s, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (strchr(s, ':') != NULL) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons(4000);
		assert_int_equal(inet_pton(AF_INET6, s, &a->sin6_addr), 1);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;

		a->sin_family = AF_INET;
		a->sin_port = htons(4000);
		assert_int_equal(inet_pton(AF_INET, s, &a->sin_addr), 1);
	}
}

static void
t_usable(void **state)
{
	static const struct {
		const char	*a;
		int		 off_lo;	/* signaling not on loopback */
		int		 on_lo;		/* signaling on loopback */
	} t[] = {
		{ "203.0.113.5", 1, 1 },
		{ "10.0.1.2", 1, 1 },
		{ "192.168.1.20", 1, 1 },
		{ "127.0.0.1", 0, 1 },
		{ "127.1.2.3", 0, 1 },
		{ "0.0.0.0", 0, 0 },
		{ "0.1.2.3", 0, 0 },		/* "this network" */
		{ "224.0.0.251", 0, 0 },	/* multicast */
		{ "239.255.255.250", 0, 0 },
		{ "240.0.0.1", 0, 0 },		/* reserved */
		{ "255.255.255.255", 0, 0 },	/* broadcast */
		{ "169.254.10.1", 0, 0 },	/* link-local */
		{ "2001:db8::7", 1, 1 },
		{ "::1", 0, 1 },
		{ "::", 0, 0 },
		{ "ff02::1", 0, 0 },		/* multicast */
		{ "fe80::1", 0, 0 },		/* link-local */
		{ "::ffff:127.0.0.1", 0, 1 },	/* mapped: as IPv4 */
		{ "::ffff:224.0.0.1", 0, 0 },
		{ "::ffff:192.0.2.1", 1, 1 },
	};
	struct sockaddr_storage ss;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		addr(t[i].a, &ss);
		if (netaddr_cand_usable((struct sockaddr *)&ss, 0) !=
		    t[i].off_lo || netaddr_cand_usable((struct sockaddr *)&ss,
		    1) != t[i].on_lo)
			fail_msg("%s: want %d/%d", t[i].a, t[i].off_lo,
			    t[i].on_lo);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_usable),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
