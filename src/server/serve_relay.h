/*
 * serve_relay.h - the media relay (docs/PROTOCOL.md 5b).
 *
 * A relay (struct rsess) belongs to one call and has two legs, the
 * caller's and the callee's; each leg has an id, a key and, once bound by
 * a RELAY_BIND datagram (relay.h), the UDP address it forwards from and
 * to.  Legs are granted over signaling (RELAY_REQUEST, RELAY_GRANT); the
 * datagrams arrive on the server's UDP socket (serve.c), which hands
 * BINDs and media here.
 *
 * Abuse it must survive (docs/PROTOCOL.md 5b.3):
 *  - reflection: a leg moves to a source address only after a BIND from
 *    there echoed the cookie sent there (relay.h), so media never goes
 *    to an address that did not ask for it, and no answer to a BIND is
 *    larger than the BIND; answers are rate limited per leg;
 *  - exhaustion: each leg granted is charged to the key and the source
 *    address (of the signaling connection) that asked for it, within
 *    quotas, until the relay is freed; and a relay none of whose parties
 *    has a signaling connection any more ends SERVE_RELAY_ORPHAN_MS
 *    later, whatever datagrams still arrive.
 */
#ifndef E2_SERVE_RELAY_H
#define E2_SERVE_RELAY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include "htab.h"
#include "sigmsg.h"

struct server;
struct sclient;
struct call;
struct rsess;

struct relays {
	struct htab		 ids;		/* legs by id */
	struct htab		 addrs;		/* bound legs by address */
	TAILQ_HEAD(, rsess)	 q;
	size_t			 n;
	uint8_t			 secret[2][32];	/* cookies: now, before */
	uint64_t		 secret_ms;	/* when secret[0] was made */
};

/* 0 or E2_ERR_NOMEM. */
int	srelay_init(struct server *srv);
/* Frees every relay. */
void	srelay_free(struct server *srv);
/* The RELAY_REQUEST handler. */
void	srelay_request(struct sclient *sc, const struct sigmsg *m);
/* A RELAY_BIND datagram from `from`. */
void	srelay_bind(struct server *srv, const uint8_t *p, size_t len,
	    const struct sockaddr *from);
/* A media datagram from `from`: forwarded if it comes from a bound leg. */
void	srelay_forward(struct server *srv, const uint8_t *p, size_t len,
	    const struct sockaddr *from);
/*
 * The call's record ends.  Its relay ends RELAY_LINGER_MS later, or with
 * keep (a party's connection dropped) lives on while media flows and a
 * party of the call is connected (with a new connection, say).
 */
void	srelay_call_ended(struct server *srv, struct call *call, int keep);
/* Frees relays that are over (the sweep timer). */
void	srelay_sweep(struct server *srv, uint64_t now);

#endif
