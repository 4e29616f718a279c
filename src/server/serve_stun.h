/*
 * serve_stun.h - the STUN Binding responder on the server's UDP socket
 * (docs/PROTOCOL.md 5a.7): the answer is the sender's address, within a
 * budget of answers per second so the server is a poor reflector.
 */
#ifndef E2_SERVE_STUN_H
#define E2_SERVE_STUN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct server;

struct stunsrv {
	uint64_t	second;		/* of the loop clock */
	uint32_t	count;		/* answers in that second */
};

/* A datagram that looks like STUN, from `from`: answered or dropped. */
void	sstun_answer(struct server *srv, const uint8_t *p, size_t len,
	    const struct sockaddr *from);

#endif
