/*
 * serve_route.h - call routing: presence, DIAL and the call records, and
 * the messages relayed between the parties of a call (docs/PROTOCOL.md
 * 5a.3, 5a.4).
 *
 * Presence (which connection holds a name) lives behind struct
 * route_backend, so that a shared store can take the place of this
 * process's memory and several servers act as one:
 *
 *	publish		make a connection the presence of a name
 *	withdraw	a connection is no name's presence any more
 *	locate		where is a name connected (here: the connection)
 *	deliver		send an encoded message to the holder of a name
 *
 * The local backend (serve_route_local.c) keeps a hash table of this
 * server's connections.  A shared backend (Redis, say) would publish
 * presence under a server id, locate names held by other servers and
 * deliver to them through its own channel; the call records below then
 * name a remote party by its name alone.
 *
 * A call record {id, caller, callee} exists from DIAL until REJECT,
 * HANGUP, the ring timeout or a party's connection closing; both
 * connections list it (at most SERVE_MAX_CALLS each).
 */
#ifndef E2_SERVE_ROUTE_H
#define E2_SERVE_ROUTE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#include "htab.h"
#include "sigmsg.h"

struct server;
struct sclient;
struct route;
struct rsess;

struct route_backend {
	const char	*name;
	/* 0 or E2_ERR_NOMEM; the backend's state goes in r->priv. */
	int		(*init)(struct route *r);
	void		(*free)(struct route *r);
	/*
	 * sc becomes the presence of name (sc->name is set by the caller).
	 * Returns the connection of this server that held it before, now
	 * withdrawn, or NULL.
	 */
	struct sclient	*(*publish)(struct route *r, struct sclient *sc);
	/* sc is no presence any more (a no-op when it was none). */
	void		(*withdraw)(struct route *r, struct sclient *sc);
	/* The connection holding name, or NULL when nobody holds it. */
	struct sclient	*(*locate)(struct route *r, const char *name);
	/* Sends msg to the holder of name: 0, or E2_ERR_NOTFOUND. */
	int		(*deliver)(struct route *r, const char *name,
			    const uint8_t *msg, size_t len);
};

extern const struct route_backend route_backend_local;

struct call {
	struct hnode		 node;		/* route.calls, by id */
	TAILQ_ENTRY(call)	 link;		/* route.callq */
	uint64_t		 id;
	struct sclient		*caller;
	struct sclient		*callee;
	uint64_t		 start_ms;
	int			 accepted;
	struct rsess		*relay;		/* serve_relay.c's */
};

struct route {
	const struct route_backend *be;
	struct server		*srv;
	void			*priv;		/* the backend's */
	struct htab		 calls;		/* struct call, by id */
	TAILQ_HEAD(, call)	 callq;		/* oldest first */
};

/* 0 or E2_ERR_NOMEM. */
int	route_init(struct server *srv);
void	route_free(struct server *srv);
/*
 * name is sc's now (stored): sc becomes its presence; an older
 * connection holding it is told so and closed.
 */
void	route_publish(struct sclient *sc, const char *name);
/* The handlers of DIAL and of the messages relayed within a call. */
void	route_dial(struct sclient *sc, const struct sigmsg *m);
void	route_relay(struct sclient *sc, const struct sigmsg *m,
	    const uint8_t *raw, size_t len);
/* The call with this id, or NULL. */
struct call *route_call_find(struct server *srv, uint64_t id);
/* sc is closing: its presence ends and its calls end (peer_gone). */
void	route_client_gone(struct sclient *sc);
/* Ends calls unanswered for the ring timeout (the sweep timer). */
void	route_sweep(struct server *srv, uint64_t now);

#endif
