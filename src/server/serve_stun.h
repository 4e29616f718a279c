/*
 * serve_stun.h - the STUN Binding responder on the server's UDP socket
 * (docs/PROTOCOL.md 5a.7): the answer is the sender's address, within a
 * budget of answers per second so the server is a poor reflector.
 *
 * Two budgets: all senders together get --stun-rate answers a second,
 * and each source prefix (an IPv4 /24, an IPv6 /56) its own token bucket
 * of --stun-prefix-rate a second (bursts of one second's worth) inside
 * that, so one sender, or one network, cannot use up the answers the
 * others need.  The prefixes live in a fixed table of SSTUN_SLOTS
 * buckets (no allocation per datagram): each prefix has two slots chosen
 * by a keyed hash and takes the first that holds it or holds a full
 * bucket; when both hold other prefixes' half-used buckets (more than
 * SSTUN_SLOTS busy prefixes at once) it shares the first one's.
 */
#ifndef E2_SERVE_STUN_H
#define E2_SERVE_STUN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "tbucket.h"

#define SSTUN_SLOTS	4096	/* prefixes tracked at once */

struct server;

struct stun_slot {
	uint8_t		key[8];		/* family, then the prefix */
	uint8_t		used;
	struct tbucket	b;
};

struct stunsrv {
	uint64_t	second;		/* of the loop clock */
	uint32_t	count;		/* answers in that second, in all */
	uint64_t	dropped;	/* requests over a budget */
	struct stun_slot slot[SSTUN_SLOTS];
};

/* A datagram that looks like STUN, from `from`: answered or dropped. */
void	sstun_answer(struct server *srv, const uint8_t *p, size_t len,
	    const struct sockaddr *from);

#endif
