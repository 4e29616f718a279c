/*
 * serve_reg.c - registrations; see serve_reg.h and docs/PROTOCOL.md 5a.2.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "err.h"
#include "regdb.h"
#include "serve_int.h"

struct pendreg {
	struct hnode		 node;		/* reg.pending, by name */
	TAILQ_ENTRY(pendreg)	 link;		/* regq or the batch */
	struct sclient		*waiters;
	uint8_t			 pub[32];
	char			 name[SIG_NAME_MAX + 1];
};

struct regbatch {
	uv_work_t		 work;
	struct server		*srv;
	struct pendq		 q;
	size_t			 n;
	int			 rc;
	struct regdb_item	 items[];
};

#define PENDREG_OF(n)	((struct pendreg *)((char *)(n) - \
			    offsetof(struct pendreg, node)))

static void	batch_start(struct server *);

int
reg_init(struct server *srv)
{
	TAILQ_INIT(&srv->reg.regq);
	return htab_init(&srv->reg.pending, 64);
}

void
reg_free(struct server *srv)
{
	struct pendreg *pr;

	/* Registrations not yet handed over are lost (none of them was
	 * acknowledged). */
	while ((pr = TAILQ_FIRST(&srv->reg.regq)) != NULL) {
		TAILQ_REMOVE(&srv->reg.regq, pr, link);
		htab_remove(&srv->reg.pending, &pr->node);
		free(pr);
	}
	htab_free(&srv->reg.pending);
}

static struct pendreg *
pending_find(struct server *srv, const char *name)
{
	struct hnode *n;

	for (n = htab_first(&srv->reg.pending, serve_hash(srv, name,
	    strlen(name))); n != NULL; n = htab_next(n))
		if (strcmp(PENDREG_OF(n)->name, name) == 0)
			return PENDREG_OF(n);
	return NULL;
}

int
reg_is_pending(struct server *srv, const char *name)
{
	return pending_find(srv, name) != NULL;
}

void
reg_unwait(struct sclient *sc)
{
	struct sclient **pp;

	if (sc->preg == NULL)
		return;
	for (pp = &sc->preg->waiters; *pp != NULL; pp = &(*pp)->preg_next) {
		if (*pp == sc) {
			*pp = sc->preg_next;
			break;
		}
	}
	sc->preg = NULL;
	sc->preg_next = NULL;
}

static void
batch_work_cb(uv_work_t *w)
{
	struct regbatch *b = w->data;

	b->rc = regdb_store(b->srv->o.db, b->items, b->n);
}

static void
batch_done_cb(uv_work_t *w, int status)
{
	struct regbatch *b = w->data;
	struct server *srv = b->srv;
	struct pendreg *pr;
	struct sclient *sc, *next;
	char fp[FINGERPRINT_LEN + 1];
	size_t i = 0;

	if (b->rc != 0)
		log_error("registration database: %s",
		    regdb_errmsg(srv->o.db));
	while ((pr = TAILQ_FIRST(&b->q)) != NULL) {
		int rc = status == 0 ? b->items[i].result : E2_ERR_IO;

		TAILQ_REMOVE(&b->q, pr, link);
		htab_remove(&srv->reg.pending, &pr->node);
		if (rc == 0) {
			serve_key_fp(pr->pub, fp);
			log_info("registered %s for key %s", pr->name, fp);
		}
		for (sc = pr->waiters; sc != NULL; sc = next) {
			next = sc->preg_next;
			sc->preg = NULL;
			sc->preg_next = NULL;
			if (rc == 0)
				route_publish(sc, pr->name);
			else if (rc == E2_ERR_EXISTS)
				serve_send_error(sc, SIG_R_NAME_TAKEN, NULL,
				    pr->name, "%s belongs to another key",
				    pr->name);
			else
				serve_send_error(sc, SIG_R_SERVER, NULL,
				    pr->name, "the server could not store "
				    "the name; try again later");
		}
		free(pr);
		i++;
	}
	srv->reg.inflight = NULL;
	free(b);
	batch_start(srv);
}

/* Hands the waiting registrations to the worker, if it is free. */
static void
batch_start(struct server *srv)
{
	struct regbatch *b;
	struct pendreg *pr;
	size_t n = 0;

	if (srv->reg.inflight != NULL || srv->stopping ||
	    TAILQ_EMPTY(&srv->reg.regq))
		return;
	TAILQ_FOREACH(pr, &srv->reg.regq, link)
		if (++n == SERVE_REG_BATCH)
			break;
	if ((b = calloc(1, sizeof(*b) + n * sizeof(b->items[0]))) == NULL)
		return;		/* retried on the next registration */
	b->srv = srv;
	b->work.data = b;
	TAILQ_INIT(&b->q);
	while (b->n < n) {
		pr = TAILQ_FIRST(&srv->reg.regq);
		TAILQ_REMOVE(&srv->reg.regq, pr, link);
		TAILQ_INSERT_TAIL(&b->q, pr, link);
		memcpy(b->items[b->n].name, pr->name, sizeof(pr->name));
		memcpy(b->items[b->n].pub, pr->pub, sizeof(pr->pub));
		b->n++;
	}
	if (uv_queue_work(srv->loop, &b->work, batch_work_cb,
	    batch_done_cb) != 0) {
		/* Cannot happen with a live loop; answer as a failure. */
		b->rc = E2_ERR_IO;
		batch_done_cb(&b->work, UV_EINVAL);
		return;
	}
	srv->reg.inflight = b;
}

void
reg_register(struct sclient *sc, const struct sigmsg *m)
{
	struct server *srv = sc->srv;
	struct pendreg *pr;
	uint8_t owner[32];
	int rc;

	if (sc->preg != NULL) {
		serve_send_error(sc, SIG_R_PROTOCOL, NULL, NULL,
		    "a registration is already in progress");
		return;
	}
	if ((pr = pending_find(srv, m->name)) != NULL) {
		if (memcmp(pr->pub, sc->pub, 32) != 0) {
			serve_send_error(sc, SIG_R_NAME_TAKEN, NULL, m->name,
			    "%s belongs to another key", m->name);
			return;
		}
		sc->preg = pr;
		sc->preg_next = pr->waiters;
		pr->waiters = sc;
		return;
	}
	rc = regdb_lookup(srv->o.db, m->name, owner);
	if (rc < 0) {
		log_error("registration database: lookup of %s failed",
		    m->name);
		serve_send_error(sc, SIG_R_SERVER, NULL, m->name,
		    "registration database error; try again later");
		return;
	}
	if (rc == 1) {
		if (memcmp(owner, sc->pub, 32) != 0)
			serve_send_error(sc, SIG_R_NAME_TAKEN, NULL, m->name,
			    "%s belongs to another key", m->name);
		else
			route_publish(sc, m->name);
		return;
	}
	if ((pr = calloc(1, sizeof(*pr))) == NULL) {
		serve_send_error(sc, SIG_R_SERVER, NULL, m->name,
		    "out of memory");
		return;
	}
	snprintf(pr->name, sizeof(pr->name), "%s", m->name);
	memcpy(pr->pub, sc->pub, 32);
	pr->waiters = sc;
	sc->preg = pr;
	htab_insert(&srv->reg.pending, &pr->node, serve_hash(srv, pr->name,
	    strlen(pr->name)));
	TAILQ_INSERT_TAIL(&srv->reg.regq, pr, link);
	batch_start(srv);
}
