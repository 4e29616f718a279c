/*
 * stun.h - the server's STUN Binding responder (RFC 8489, section 6 and
 * 14.2), sans I/O: a client learns the address and port its media socket
 * has as seen from the server (its server-reflexive candidate).
 *
 * Only a Binding request is answered, with a Binding success response
 * carrying XOR-MAPPED-ADDRESS and nothing else (32 bytes for IPv4, 44 for
 * IPv6).  A request with a comprehension-required attribute (type below
 * 0x8000: e.g. USERNAME or MESSAGE-INTEGRITY, which this server does not
 * support) is dropped, as is anything that is not a well-formed STUN
 * request; the server never answers what it cannot parse.
 */
#ifndef E2_STUN_H
#define E2_STUN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define STUN_HDRLEN	20
#define STUN_COOKIE	0x2112a442u
#define STUN_MAXREQ	548	/* larger datagrams are not requests we answer */
#define STUN_RESP_MAX	44

/*
 * If req[0..len) is a STUN Binding request, writes the success response
 * for a sender at from (AF_INET or AF_INET6) into out (at least
 * STUN_RESP_MAX bytes), sets *outlenp and returns 0; otherwise returns
 * E2_ERR_MALFORMED (not STUN or not a request), E2_ERR_UNSUPPORTED (a
 * method or attribute it does not handle) or E2_ERR_INVAL.
 */
int	stun_binding_response(const uint8_t *req, size_t len,
	    const struct sockaddr *from, uint8_t *out, size_t *outlenp);

#endif
