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
};

/* 0 or E2_ERR_NOMEM. */
int	reg_init(struct server *srv);
/* After the loop ended: drops what was never handed to the worker. */
void	reg_free(struct server *srv);
/* The REGISTER handler. */
void	reg_register(struct sclient *sc, const struct sigmsg *m);
/* 1 when name waits for its commit (it is somebody's already). */
int	reg_is_pending(struct server *srv, const char *name);
/* sc is closing: it no longer waits for its registration. */
void	reg_unwait(struct sclient *sc);

#endif
