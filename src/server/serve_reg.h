/*
 * serve_reg.h - registrations: REGISTER(NAME) and the durable store of
 * names (docs/PROTOCOL.md 5a.2).
 *
 * New names are stored by a worker thread (uv_queue_work) in batches of
 * up to SERVE_REG_BATCH, so the fsync of a commit never stalls the loop;
 * REGISTERED goes out only after the batch that holds the name committed.
 * While a name waits it is in the pending table, which lookups consult
 * before the database, so two keys can never both be told a name is
 * theirs.  A connection waits for one registration at a time.
 *
 * Against hoarding (docs/PROTOCOL.md 5a.2): a key owns at most
 * --max-names names; a REGISTER for a name the key does not own (a new
 * one, or another key's) costs a token of the key's and of the source
 * address's registration buckets (--reg-per-key, --reg-per-addr an
 * hour); and a name its owner has not registered for --name-expiry is
 * released.  An online owner's use is written down every eighth of the
 * expiry (reg_sweep), so a name is never released under a connection
 * that holds it; an owner who comes back to a name close to its release
 * claims it through the database before it is told REGISTERED.
 */
#ifndef E2_SERVE_REG_H
#define E2_SERVE_REG_H

#include <stdint.h>
#include <sys/queue.h>

#include "htab.h"
#include "sigmsg.h"

struct server;
struct sclient;
struct pendreg;
struct regbatch;

TAILQ_HEAD(pendq, pendreg);

struct reg {
	struct htab		 pending;	/* struct pendreg, by name */
	struct pendq		 regq;		/* waiting for a batch */
	struct regbatch		*inflight;	/* the batch being stored */
	uint64_t		 check_ms;	/* last look for names to release */
	int			 release_due;	/* with the next batch */
};

/* 0 or E2_ERR_NOMEM. */
int	reg_init(struct server *srv);
/* After the loop ended: drops what was never handed to the worker. */
void	reg_free(struct server *srv);
/* The REGISTER handler. */
void	reg_register(struct sclient *sc, const struct sigmsg *m);
/* The MOVE handler: a name to this key, proved by its old key. */
void	reg_move(struct sclient *sc, const struct sigmsg *m);
/* sc is closing: it no longer waits for its registration. */
void	reg_unwait(struct sclient *sc);
/* Marks online names used and releases unused ones (the sweep timer). */
void	reg_sweep(struct server *srv, uint64_t now);

#endif
