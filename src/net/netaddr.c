/*
 * netaddr.c - socket address helpers; see netaddr.h.
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "err.h"
#include "netaddr.h"

int
netaddr_parse(const char *s, struct sockaddr_storage *ss, char *err,
    size_t errlen)
{
	char host[256];
	const char *colon, *h = s;
	size_t hlen;
	struct addrinfo hints, *res = NULL;
	char *end;
	long port;

	memset(ss, 0, sizeof(*ss));
	if (*s == '[') {
		if ((colon = strstr(s, "]:")) == NULL)
			goto bad;
		h = s + 1;
		hlen = (size_t)(colon - h);
		colon++;
	} else {
		if ((colon = strrchr(s, ':')) == NULL)
			goto bad;
		hlen = (size_t)(colon - s);
	}
	if (hlen == 0 || hlen >= sizeof(host))
		goto bad;
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	port = strtol(colon + 1, &end, 10);
	if (*end != '\0' || port < 1 || port > 65535 || colon[1] == '\0')
		goto bad;
	if (uv_ip4_addr(host, (int)port, (struct sockaddr_in *)ss) == 0 ||
	    uv_ip6_addr(host, (int)port, (struct sockaddr_in6 *)ss) == 0)
		return 0;
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, NULL, &hints, &res) != 0 || res == NULL) {
		snprintf(err, errlen, "cannot resolve host '%s'", host);
		return E2_ERR_NOTFOUND;
	}
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	freeaddrinfo(res);
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
	else
		((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)port);
	return 0;
bad:
	snprintf(err, errlen, "bad address '%s' (expected HOST:PORT or "
	    "[IPV6]:PORT)", s);
	return E2_ERR_MALFORMED;
}

void
netaddr_str(const struct sockaddr *sa, char *out, size_t cap)
{
	char ip[INET6_ADDRSTRLEN] = "?";

	if (sa->sa_family == AF_INET) {
		uv_ip4_name((const struct sockaddr_in *)sa, ip, sizeof(ip));
		snprintf(out, cap, "%s:%u", ip, netaddr_port(sa));
	} else if (sa->sa_family == AF_INET6) {
		uv_ip6_name((const struct sockaddr_in6 *)sa, ip, sizeof(ip));
		snprintf(out, cap, "[%s]:%u", ip, netaddr_port(sa));
	} else {
		snprintf(out, cap, "?");
	}
}

uint16_t
netaddr_port(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)sa)->sin_port);
	if (sa->sa_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
	return 0;
}

static void
to_canonical(const struct sockaddr *sa, struct sockaddr_storage *out)
{
	netaddr_copy(out, sa);
	netaddr_normalize(out);
}

int
netaddr_equal(const struct sockaddr *a, const struct sockaddr *b)
{
	struct sockaddr_storage x, y;

	to_canonical(a, &x);
	to_canonical(b, &y);
	if (x.ss_family != y.ss_family)
		return 0;
	if (x.ss_family == AF_INET) {
		const struct sockaddr_in *p = (void *)&x, *q = (void *)&y;

		return p->sin_port == q->sin_port &&
		    p->sin_addr.s_addr == q->sin_addr.s_addr;
	}
	if (x.ss_family == AF_INET6) {
		const struct sockaddr_in6 *p = (void *)&x, *q = (void *)&y;

		return p->sin6_port == q->sin6_port &&
		    memcmp(&p->sin6_addr, &q->sin6_addr, 16) == 0;
	}
	return 0;
}

void
netaddr_copy(struct sockaddr_storage *dst, const struct sockaddr *src)
{
	memset(dst, 0, sizeof(*dst));
	if (src->sa_family == AF_INET)
		memcpy(dst, src, sizeof(struct sockaddr_in));
	else if (src->sa_family == AF_INET6)
		memcpy(dst, src, sizeof(struct sockaddr_in6));
}

void
netaddr_normalize(struct sockaddr_storage *ss)
{
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in a4;

	if (ss->ss_family != AF_INET6 || !IN6_IS_ADDR_V4MAPPED(&a6->sin6_addr))
		return;
	memset(&a4, 0, sizeof(a4));
	a4.sin_family = AF_INET;
	a4.sin_port = a6->sin6_port;
	memcpy(&a4.sin_addr, &a6->sin6_addr.s6_addr[12], 4);
	memset(ss, 0, sizeof(*ss));
	memcpy(ss, &a4, sizeof(a4));
}

void
netaddr_for_socket(const struct sockaddr *sa, int v6sock,
    struct sockaddr_storage *out)
{
	const struct sockaddr_in *a4 = (const struct sockaddr_in *)sa;
	struct sockaddr_in6 a6;

	netaddr_copy(out, sa);
	if (!v6sock || sa->sa_family != AF_INET)
		return;
	memset(&a6, 0, sizeof(a6));
	a6.sin6_family = AF_INET6;
	a6.sin6_port = a4->sin_port;
	a6.sin6_addr.s6_addr[10] = 0xff;
	a6.sin6_addr.s6_addr[11] = 0xff;
	memcpy(&a6.sin6_addr.s6_addr[12], &a4->sin_addr, 4);
	memset(out, 0, sizeof(*out));
	memcpy(out, &a6, sizeof(a6));
}

int
netaddr_is_loopback(const struct sockaddr *sa)
{
	struct sockaddr_storage c;

	to_canonical(sa, &c);
	if (c.ss_family == AF_INET)
		return (ntohl(((struct sockaddr_in *)&c)->sin_addr.s_addr) >>
		    24) == 127;
	if (c.ss_family == AF_INET6)
		return IN6_IS_ADDR_LOOPBACK(&((struct sockaddr_in6 *)&c)->
		    sin6_addr);
	return 0;
}

int
netaddr_is_linklocal(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET6)
		return IN6_IS_ADDR_LINKLOCAL(&((const struct sockaddr_in6 *)sa)->
		    sin6_addr);
	if (sa->sa_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) &
		    0xffff0000u) == 0xa9fe0000u;
	return 0;
}

int
netaddr_is_specific(const struct sockaddr *sa)
{
	struct sockaddr_storage c;

	to_canonical(sa, &c);
	if (c.ss_family == AF_INET)
		return ((struct sockaddr_in *)&c)->sin_addr.s_addr != 0;
	if (c.ss_family == AF_INET6)
		return !IN6_IS_ADDR_UNSPECIFIED(&((struct sockaddr_in6 *)&c)->
		    sin6_addr);
	return 0;
}

int
netaddr_cand_usable(const struct sockaddr *sa, int sig_loopback)
{
	struct sockaddr_storage c;
	uint32_t a4;
	const struct in6_addr *a6;

	to_canonical(sa, &c);
	if (!netaddr_is_specific((struct sockaddr *)&c) ||
	    netaddr_is_linklocal((struct sockaddr *)&c))
		return 0;
	if (netaddr_is_loopback((struct sockaddr *)&c) && !sig_loopback)
		return 0;
	if (c.ss_family == AF_INET) {
		a4 = ntohl(((struct sockaddr_in *)&c)->sin_addr.s_addr);
		/* 0.0.0.0/8 "this network", 224/4 multicast, 240/4 and the
		   broadcast address */
		return (a4 >> 24) != 0 && (a4 >> 28) != 0xe &&
		    (a4 >> 28) != 0xf;
	}
	if (c.ss_family == AF_INET6) {
		a6 = &((struct sockaddr_in6 *)&c)->sin6_addr;
		return !IN6_IS_ADDR_MULTICAST(a6);
	}
	return 0;
}

int
netaddr_to_cand(const struct sockaddr *sa, uint16_t port, uint8_t kind,
    struct sig_cand *c)
{
	struct sockaddr_storage s;

	to_canonical(sa, &s);
	memset(c, 0, sizeof(*c));
	c->kind = kind;
	c->port = port;
	if (s.ss_family == AF_INET) {
		c->family = 4;
		memcpy(c->addr, &((struct sockaddr_in *)&s)->sin_addr, 4);
		return 0;
	}
	if (s.ss_family == AF_INET6) {
		c->family = 6;
		memcpy(c->addr, &((struct sockaddr_in6 *)&s)->sin6_addr, 16);
		return 0;
	}
	return E2_ERR_INVAL;
}

int
netaddr_from_cand(const struct sig_cand *c, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (c->family == 4) {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;

		a->sin_family = AF_INET;
		a->sin_port = htons(c->port);
		memcpy(&a->sin_addr, c->addr, 4);
		return 0;
	}
	if (c->family == 6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons(c->port);
		memcpy(&a->sin6_addr, c->addr, 16);
		return 0;
	}
	return E2_ERR_INVAL;
}
