/*
 * netaddr.h - socket address helpers shared by the network glue.
 */
#ifndef E2_NETADDR_H
#define E2_NETADDR_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "sigmsg.h"

/*
 * Parses "host:port", "[v6]:port" or "v4:port"; a host name is resolved
 * (blocking, at start-up only).  Returns 0 or E2_ERR_MALFORMED /
 * E2_ERR_NOTFOUND with a message in err.
 */
int	netaddr_parse(const char *s, struct sockaddr_storage *ss, char *err,
	    size_t errlen);
/* "1.2.3.4:5" or "[::1]:5". */
void	netaddr_str(const struct sockaddr *sa, char *out, size_t cap);
uint16_t netaddr_port(const struct sockaddr *sa);
int	netaddr_equal(const struct sockaddr *a, const struct sockaddr *b);
void	netaddr_copy(struct sockaddr_storage *dst, const struct sockaddr *src);
/* An IPv4-mapped IPv6 address becomes plain IPv4. */
void	netaddr_normalize(struct sockaddr_storage *ss);
/* For sending on a dual-stack IPv6 socket: IPv4 becomes IPv4-mapped. */
void	netaddr_for_socket(const struct sockaddr *sa, int v6sock,
	    struct sockaddr_storage *out);
int	netaddr_is_loopback(const struct sockaddr *sa);
int	netaddr_is_linklocal(const struct sockaddr *sa);
/* Not the wildcard address. */
int	netaddr_is_specific(const struct sockaddr *sa);
/*
 * 1 when a peer's media candidate may be sent to: not unspecified,
 * multicast, broadcast, 0.0.0.0/8 or link-local, and loopback only when
 * the signaling itself runs on loopback (sig_loopback).
 */
int	netaddr_cand_usable(const struct sockaddr *sa, int sig_loopback);
int	netaddr_to_cand(const struct sockaddr *sa, uint16_t port, uint8_t kind,
	    struct sig_cand *c);
int	netaddr_from_cand(const struct sig_cand *c, struct sockaddr_storage *ss);

#endif
