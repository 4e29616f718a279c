/*
 * serve_reg.c - registrations; see serve_reg.h and docs/PROTOCOL.md 5a.2.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <uv.h>

#include "err.h"
#include "keymove.h"
#include "regdb.h"
#include "serve_int.h"

/*
 * A name on its way to the database: a new name (counted in its key's
 * quota), the owner's claim of a name that is close to its release, or
 * the mark that an online owner still uses it (no waiters).
 */
struct pendreg {
	struct hnode		 node;		/* reg.pending, by name */
	TAILQ_ENTRY(pendreg)	 link;		/* regq or the batch */
	struct sclient		*waiters;
	struct keyent		*key;		/* a new name's key (held) */
	uint8_t			 pub[32];
	int			 move;		/* from pub's predecessor: */
	uint8_t			 from[32];
	char			 name[SIG_NAME_MAX + 1];
};

struct regbatch {
	uv_work_t		 work;
	struct server		*srv;
	struct pendq		 q;
	size_t			 n;
	int			 rc;
	int64_t			 now;		/* Unix seconds */
	int64_t			 cutoff;	/* release names used before */
	long long		 released;
	struct regdb_item	 items[];
};

#define PENDREG_OF(n)	((struct pendreg *)((char *)(n) - \
			    offsetof(struct pendreg, node)))

static void	batch_start(struct server *);
static void	send_taken(struct sclient *, const char *);

/* Names released per transaction, at most. */
#define REG_RELEASE_MAX		10000

int
reg_init(struct server *srv)
{
	TAILQ_INIT(&srv->reg.regq);
	srv->reg.check_ms = uv_now(srv->loop);
	return htab_init(&srv->reg.pending, 64);
}

/*
 * How often an online owner's use is written down and how often the
 * server looks for names to release: an eighth of the expiry, from 1 s
 * to a day (an hour for the release).  A name is released only when
 * unused for the whole expiry, so an online name, marked every eighth of
 * it, never is.
 */
static uint64_t
touch_ms(const struct server *srv)
{
	uint64_t t = (uint64_t)srv->o.name_expiry_s * 1000 / 8;

	return t < 1000 ? 1000 : t > 86400000 ? 86400000 : t;
}

static uint64_t
check_ms(const struct server *srv)
{
	uint64_t t = touch_ms(srv);

	return t > 3600000 ? 3600000 : t;
}

static void
pendreg_free(struct server *srv, struct pendreg *pr)
{
	if (pr->key != NULL) {
		pr->key->npending--;
		serve_key_unref(srv, pr->key);
	}
	free(pr);
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
		pendreg_free(srv, pr);
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

	b->rc = b->n > 0 ? regdb_store(b->srv->o.db, b->items, b->n, b->now) :
	    0;
	/* After the names of this batch were marked used. */
	if (b->cutoff != 0)
		b->released = regdb_expire(b->srv->o.db, b->cutoff,
		    REG_RELEASE_MAX);
}

static void
batch_done_cb(uv_work_t *w, int status)
{
	struct regbatch *b = w->data;
	struct server *srv = b->srv;
	struct pendreg *pr;
	struct sclient *sc, *next;
	char fp[FINGERPRINT_LEN + 1], d[32];
	size_t i = 0;

	if (b->rc != 0 || b->released < 0)
		log_error("registration database: %s",
		    regdb_errmsg(srv->o.db));
	else if (b->released > 0) {
		serve_duration_str((uint64_t)srv->o.name_expiry_s * 1000, d,
		    sizeof(d));
		log_info("released %lld names unused for %s", b->released, d);
	}
	while ((pr = TAILQ_FIRST(&b->q)) != NULL) {
		int rc = status == 0 ? b->items[i].result : E2_ERR_IO;

		TAILQ_REMOVE(&b->q, pr, link);
		htab_remove(&srv->reg.pending, &pr->node);
		if (rc == 0 && pr->move) {
			serve_key_fp(pr->pub, fp);
			log_debug("moved %s to key %s, with the proof of the "
			    "old key", pr->name, fp);
		} else if (rc == 0 && pr->key != NULL) {
			serve_key_fp(pr->pub, fp);
			log_debug("registered %s for key %s", pr->name, fp);
		}
		for (sc = pr->waiters; sc != NULL; sc = next) {
			next = sc->preg_next;
			sc->preg = NULL;
			sc->preg_next = NULL;
			if (rc == 0) {
				route_publish(sc, pr->name);
				sc->used_ms = uv_now(srv->loop);
			}
			else if (rc == E2_ERR_EXISTS)
				send_taken(sc, pr->name);
			else if (rc == E2_ERR_NOTFOUND)
				serve_send_error(sc, SIG_R_UNKNOWN, NULL,
				    pr->name, "%s is not registered (any "
				    "more): register it", pr->name);
			else
				serve_send_error(sc, SIG_R_SERVER, NULL,
				    pr->name, "the server could not store "
				    "the name; try again later");
		}
		pendreg_free(srv, pr);
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
	    (TAILQ_EMPTY(&srv->reg.regq) && !srv->reg.release_due))
		return;
	TAILQ_FOREACH(pr, &srv->reg.regq, link)
		if (++n == SERVE_REG_BATCH)
			break;
	if ((b = calloc(1, sizeof(*b) + n * sizeof(b->items[0]))) == NULL)
		return;		/* retried on the next registration */
	b->now = (int64_t)time(NULL);
	if (srv->reg.release_due) {
		srv->reg.release_due = 0;
		b->cutoff = b->now - (int64_t)srv->o.name_expiry_s;
	}
	b->srv = srv;
	b->work.data = b;
	TAILQ_INIT(&b->q);
	while (b->n < n) {
		pr = TAILQ_FIRST(&srv->reg.regq);
		TAILQ_REMOVE(&srv->reg.regq, pr, link);
		TAILQ_INSERT_TAIL(&b->q, pr, link);
		memcpy(b->items[b->n].name, pr->name, sizeof(pr->name));
		memcpy(b->items[b->n].pub, pr->pub, sizeof(pr->pub));
		b->items[b->n].move = pr->move;
		memcpy(b->items[b->n].from, pr->from, sizeof(pr->from));
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

/* ERROR(name_taken) with what the user can do about it. */
static void
send_taken(struct sclient *sc, const char *name)
{
	char d[32];

	if (sc->srv->o.name_expiry_s == 0) {
		serve_send_error(sc, SIG_R_NAME_TAKEN, NULL, name,
		    "%s belongs to another key; choose another name", name);
		return;
	}
	serve_duration_str((uint64_t)sc->srv->o.name_expiry_s * 1000, d, sizeof(d));
	serve_send_error(sc, SIG_R_NAME_TAKEN, NULL, name,
	    "%s belongs to another key; choose another name (a name its "
	    "owner leaves unused for %s is released)", name, d);
}

/*
 * A REGISTER for a name the key does not own costs a token of the key's
 * and of the address's registration buckets; 0 (and the answer sent)
 * when either is empty.
 */
static int
reg_take(struct sclient *sc, const char *name)
{
	struct server *srv = sc->srv;
	const struct tb_rate *kr = &srv->key_reg_rate;
	const struct tb_rate *ar = &srv->addr_reg_rate;
	uint64_t now = uv_now(srv->loop);
	char d[32];

	if (kr->n > 0 && !tb_take(&sc->key->reg, now, kr)) {
		serve_duration_str(tb_wait_ms(&sc->key->reg, now, kr), d, sizeof(d));
		serve_send_error(sc, SIG_R_LIMIT, NULL, name,
		    "too many registrations for this key (at most %u an "
		    "hour); try again in %s", kr->n, d);
		return 0;
	}
	if (ar->n > 0 && !tb_take(&sc->addr->reg, now, ar)) {
		serve_duration_str(tb_wait_ms(&sc->addr->reg, now, ar), d,
		    sizeof(d));
		serve_send_error(sc, SIG_R_LIMIT, NULL, name,
		    "too many registrations from this address (at most %u "
		    "an hour); try again in %s", ar->n, d);
		return 0;
	}
	return 1;
}

/* A name for the batch: sc waits for it unless it is NULL. */
static struct pendreg *
pending_add(struct server *srv, struct sclient *sc, const char *name,
    const uint8_t pub[32], struct keyent *newkey, const uint8_t *from)
{
	struct pendreg *pr;

	if ((pr = calloc(1, sizeof(*pr))) == NULL)
		return NULL;
	snprintf(pr->name, sizeof(pr->name), "%s", name);
	memcpy(pr->pub, pub, 32);
	if (from != NULL) {
		pr->move = 1;
		memcpy(pr->from, from, 32);
	}
	if (newkey != NULL) {
		pr->key = newkey;
		newkey->npending++;
		serve_key_ref(srv, newkey);
	}
	if (sc != NULL) {
		pr->waiters = sc;
		sc->preg = pr;
	}
	htab_insert(&srv->reg.pending, &pr->node, serve_hash(srv, pr->name,
	    strlen(pr->name)));
	TAILQ_INSERT_TAIL(&srv->reg.regq, pr, link);
	batch_start(srv);
	return pr;
}

/*
 * A name new to sc's key: within the key's quota (names waiting for
 * their commit count), then a token of the rate limits; 0 (and the
 * answer sent) when not.
 */
static int
name_allowed(struct sclient *sc, const char *name)
{
	struct server *srv = sc->srv;
	long long have;

	if (srv->o.max_names > 0) {
		if ((have = regdb_count_key(srv->o.db, sc->pub)) < 0) {
			serve_send_error(sc, SIG_R_SERVER, NULL, name,
			    "registration database error; try again later");
			return 0;
		}
		if (have + sc->key->npending >= srv->o.max_names) {
			serve_send_error(sc, SIG_R_LIMIT, NULL, name,
			    "this key has %u names on this server, the most "
			    "it may have", srv->o.max_names);
			return 0;
		}
	}
	return reg_take(sc, name);
}

void
reg_register(struct sclient *sc, const struct sigmsg *m)
{
	struct server *srv = sc->srv;
	struct pendreg *pr;
	uint8_t owner[32];
	int64_t used, now = (int64_t)time(NULL);
	int rc;

	if (sc->preg != NULL) {
		serve_send_error(sc, SIG_R_PROTOCOL, NULL, NULL,
		    "a registration is already in progress");
		return;
	}
	if ((pr = pending_find(srv, m->name)) != NULL) {
		if (memcmp(pr->pub, sc->pub, 32) != 0) {
			if (reg_take(sc, m->name))
				send_taken(sc, m->name);
			return;
		}
		sc->preg = pr;
		sc->preg_next = pr->waiters;
		pr->waiters = sc;
		return;
	}
	rc = regdb_lookup(srv->o.db, m->name, owner, &used);
	if (rc < 0) {
		log_error("registration database: a lookup failed");
		serve_send_error(sc, SIG_R_SERVER, NULL, m->name,
		    "registration database error; try again later");
		return;
	}
	if (rc == 1 && memcmp(owner, sc->pub, 32) == 0) {
		/*
		 * The owner: online at once, unless the name is close to
		 * its release; then it is claimed through the database
		 * first, so that a release cannot take it from under an
		 * owner who is online with it.
		 */
		if (srv->o.name_expiry_s != 0 &&
		    now - used >= (int64_t)srv->o.name_expiry_s / 2) {
			if (pending_add(srv, sc, m->name, sc->pub, NULL, NULL) ==
			    NULL)
				serve_send_error(sc, SIG_R_SERVER, NULL,
				    m->name, "out of memory");
			return;
		}
		route_publish(sc, m->name);
		sc->used_ms = uv_now(srv->loop) -
		    (now > used ? (uint64_t)(now - used) * 1000 : 0);
		return;
	}
	if (rc == 1) {
		if (reg_take(sc, m->name))
			send_taken(sc, m->name);
		return;
	}
	/* A new name: within the key's quota, then the rate limits. */
	if (name_allowed(sc, m->name) &&
	    pending_add(srv, sc, m->name, sc->pub, sc->key, NULL) == NULL)
		serve_send_error(sc, SIG_R_SERVER, NULL, m->name,
		    "out of memory");
}

/*
 * MOVE: the name passes to this connection's key from the key that
 * signed the proof, while that key owns it (docs/PROTOCOL.md 5a.2).
 */
void
reg_move(struct sclient *sc, const struct sigmsg *m)
{
	struct server *srv = sc->srv;
	uint8_t owner[32];
	int64_t used;
	int rc;

	if (sc->preg != NULL) {
		serve_send_error(sc, SIG_R_PROTOCOL, NULL, NULL,
		    "a registration is already in progress");
		return;
	}
	if (keymove_check(m->moveproof, srv->o.key->priv, m->name,
	    sc->pub) != 0) {
		serve_send_error(sc, SIG_R_PROTOCOL, NULL, m->name,
		    "the move proof does not check: it must be made with "
		    "the old key, for this name, this server and the key of "
		    "this connection");
		return;
	}
	if (pending_find(srv, m->name) != NULL) {
		serve_send_error(sc, SIG_R_LIMIT, NULL, m->name,
		    "%s is being registered just now; try again", m->name);
		return;
	}
	if ((rc = regdb_lookup(srv->o.db, m->name, owner, &used)) < 0) {
		serve_send_error(sc, SIG_R_SERVER, NULL, m->name,
		    "registration database error; try again later");
		return;
	}
	if (rc == 0) {
		serve_send_error(sc, SIG_R_UNKNOWN, NULL, m->name,
		    "%s is not registered (any more): register it", m->name);
		return;
	}
	if (memcmp(owner, sc->pub, 32) == 0) {
		route_publish(sc, m->name);
		return;
	}
	if (memcmp(owner, m->moveproof, 32) != 0) {
		if (reg_take(sc, m->name))
			send_taken(sc, m->name);
		return;
	}
	if (name_allowed(sc, m->name) &&
	    pending_add(srv, sc, m->name, sc->pub, sc->key, owner) == NULL)
		serve_send_error(sc, SIG_R_SERVER, NULL, m->name,
		    "out of memory");
}

void
reg_sweep(struct server *srv, uint64_t now)
{
	struct sclient *sc;

	if (srv->o.name_expiry_s == 0)
		return;
	/* Online owners still use their names. */
	LIST_FOREACH(sc, &srv->clients, link) {
		if (!sc->online || now - sc->used_ms < touch_ms(srv))
			continue;
		sc->used_ms = now;
		if (pending_find(srv, sc->name) == NULL)
			(void)pending_add(srv, NULL, sc->name, sc->pub, NULL,
			    NULL);
	}
	if (now - srv->reg.check_ms >= check_ms(srv)) {
		srv->reg.check_ms = now;
		srv->reg.release_due = 1;
		batch_start(srv);
	}
}
