/*
 * stun.h - STUN Binding (RFC 8489), sans I/O: the client's request and
 * the parsing of its answer, and the server's responder.  A client learns
 * the address and port its media socket has as seen from the server (its
 * server-reflexive candidate).
 *
 * Addresses are struct stun_addr (family 4 or 6, address bytes in network
 * order, port in host order), so this file needs no socket headers; the
 * glue converts.
 *
 * Responder: only a Binding request is answered, with a Binding success
 * response carrying XOR-MAPPED-ADDRESS and nothing else (32 bytes for
 * IPv4, 44 for IPv6).  A request with a comprehension-required attribute
 * (type below 0x8000: e.g. USERNAME or MESSAGE-INTEGRITY, which are not
 * supported) is dropped, as is anything that is not a well-formed STUN
 * request; the server never answers what it cannot parse.
 *
 * Client: a Binding request is the bare 20-byte header with a random
 * transaction id.  The answer is accepted only when it is a Binding
 * success response with the same transaction id and the magic cookie; its
 * XOR-MAPPED-ADDRESS is used, or MAPPED-ADDRESS where a server (RFC 3489)
 * sends only that.  A response with a comprehension-required attribute
 * this code does not know is refused (RFC 8489 section 6.3.1); the
 * integrity attributes are known and ignored (no credentials were sent,
 * so there is nothing to check them with).
 */
#ifndef E2_STUN_H
#define E2_STUN_H

#include <stddef.h>
#include <stdint.h>

#define STUN_HDRLEN	20
#define STUN_TIDLEN	12
#define STUN_COOKIE	0x2112a442u
#define STUN_MAXREQ	548	/* larger datagrams are not requests we answer */
#define STUN_MAXMSG	1280	/* largest response a client reads */
#define STUN_RESP_MAX	44
#define STUN_REQ_LEN	20

struct stun_addr {
	uint8_t		family;		/* 4 or 6 */
	uint8_t		addr[16];	/* network order; first 4 for IPv4 */
	uint16_t	port;
};

/*
 * 1 when p[0..len) has the shape of a STUN message (the first two bits
 * zero, the magic cookie, a length that matches), so a socket that also
 * carries other datagrams can tell them apart; 0 otherwise.
 */
int	stun_is_message(const uint8_t *p, size_t len);

/*
 * If req[0..len) is a STUN Binding request, writes the success response
 * for a sender at from into out (at least STUN_RESP_MAX bytes), sets
 * *outlenp and returns 0; otherwise returns E2_ERR_MALFORMED (not STUN or
 * not a request), E2_ERR_UNSUPPORTED (a method or attribute it does not
 * handle) or E2_ERR_INVAL.
 */
int	stun_binding_response(const uint8_t *req, size_t len,
	    const struct stun_addr *from, uint8_t *out, size_t *outlenp);

/*
 * Writes a Binding request with transaction id tid into out (cap bytes,
 * at least STUN_REQ_LEN).  0, E2_ERR_SPACE or E2_ERR_INVAL.
 */
int	stun_binding_request(const uint8_t tid[STUN_TIDLEN], uint8_t *out,
	    size_t cap, size_t *outlenp);

/*
 * Reads the answer to the request with transaction id tid.  0 and the
 * mapped address in *mapped; E2_ERR_MALFORMED for anything that is not a
 * well-formed STUN message or lacks a usable mapped address; E2_ERR_STATE
 * when the transaction id is another one; E2_ERR_UNSUPPORTED for an error
 * response or an unknown comprehension-required attribute.
 */
int	stun_parse_response(const uint8_t *msg, size_t len,
	    const uint8_t tid[STUN_TIDLEN], struct stun_addr *mapped);

#endif
