/*
 * serve_relay.h - the media relay (docs/PROTOCOL.md 5b).
 *
 * A relay (struct rsess) belongs to one call and has two legs, the
 * caller's and the callee's; each leg has an id, a key and, once bound by
 * a RELAY_BIND datagram (relay.h), the UDP address it forwards from and
 * to.  Legs are granted over signaling (RELAY_REQUEST, RELAY_GRANT); the
 * datagrams arrive on the server's UDP socket (serve.c), which hands
 * BINDs and media here.
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
 * keep (a party's connection dropped) lives on orphaned while media
 * flows, until the idle timeout.
 */
void	srelay_call_ended(struct server *srv, struct call *call, int keep);
/* Frees relays that are over (the sweep timer). */
void	srelay_sweep(struct server *srv, uint64_t now);

#endif
