/*
 * serve.c - the signaling server; see serve.h and docs/PROTOCOL.md 5a.
 *
 * One loop, one thread for all state.  Objects:
 *
 *	struct sclient	one accepted connection (nconn) and what the
 *			server knows about it: key, registered name,
 *			calls, its per-address record
 *	struct addrent	connections and a handshake token bucket per
 *			source address (IPv4 address or IPv6 /64)
 *	struct call	a call in flight: id, caller, callee
 *	struct pendreg	a new name waiting for its commit, with the
 *			connections waiting for the answer
 *	struct rsess	a relay for one call: two legs (caller, callee),
 *			each with an id, a key and, once bound by a
 *			RELAY_BIND datagram, the UDP address it forwards
 *			from and to
 *
 * New names are stored by a worker thread (uv_queue_work) in batches, so
 * the fsync of a commit never stalls the loop; REGISTERED goes out only
 * after the batch that holds the name committed.  While a name waits it
 * is in the pending table, which lookups consult before the database, so
 * two keys can never both be told a name is theirs.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include <sodium.h>
#include <uv.h>

#include "buf.h"
#include "err.h"
#include "log.h"
#include "nconn.h"
#include "netaddr.h"
#include "noise.h"
#include "relay.h"
#include "sigmsg.h"
#include "htab.h"
#include "serve.h"
#include "stun.h"

struct server;
struct call;
struct pendreg;
struct rsess;

struct addrent {
	struct hnode		 node;
	TAILQ_ENTRY(addrent)	 idle;		/* while nconn == 0 */
	uint8_t			 key[9];
	uint8_t			 keylen;
	uint32_t		 nconn;
	uint32_t		 tokens;	/* thousandths */
	uint64_t		 refill_ms;
};

struct sclient {
	struct server		*srv;
	struct nconn		*nc;
	struct addrent		*addr;
	struct hnode		 node;		/* srv->online, by name */
	LIST_ENTRY(sclient)	 link;		/* srv->clients */
	struct pendreg		*preg;		/* registration in progress */
	struct sclient		*preg_next;
	struct call		*calls[SERVE_MAX_CALLS];
	uint8_t			 ncalls;
	uint8_t			 open;
	uint8_t			 online;	/* presence of name */
	uint8_t			 pub[32];
	char			 name[SIG_NAME_MAX + 1];
};

struct call {
	struct hnode		 node;		/* srv->calls, by id */
	TAILQ_ENTRY(call)	 link;		/* srv->callq */
	uint64_t		 id;
	struct sclient		*caller;
	struct sclient		*callee;
	uint64_t		 start_ms;
	int			 accepted;
	struct rsess		*relay;
};

/* An address as the relay keys it: family, 16 address bytes, port. */
#define RKEY_LEN	19
#define RELAY_LINGER_MS	2000	/* a relay outlives its call this long */

struct rleg {
	struct hnode		 id_node;	/* srv->relay_ids */
	struct hnode		 addr_node;	/* srv->relay_addrs, if bound */
	struct rsess		*s;
	uint64_t		 id;
	uint8_t			 key[RELAY_KEYLEN];
	int			 bound;
	struct sockaddr_storage	 addr;
	uint8_t			 akey[RKEY_LEN];
	uint64_t		 seq;		/* highest BIND taken */
	uint64_t		 pk_tokens;	/* thousandths of a packet */
	uint64_t		 by_tokens;	/* thousandths of a byte */
	uint64_t		 refill_ms;
	uint64_t		 fwd_pkts, fwd_bytes, dropped;
};

struct rsess {
	TAILQ_ENTRY(rsess)	 link;		/* srv->relayq */
	struct call		*call;		/* NULL once orphaned */
	uint64_t		 call_id;
	uint64_t		 last_ms;	/* last datagram either way */
	uint64_t		 end_ms;	/* the call ended: free then */
	struct rleg		 leg[2];	/* caller, callee */
};

struct pendreg {
	struct hnode		 node;		/* srv->pending, by name */
	TAILQ_ENTRY(pendreg)	 link;		/* regq or the batch */
	struct sclient		*waiters;
	uint8_t			 pub[32];
	char			 name[SIG_NAME_MAX + 1];
};

TAILQ_HEAD(pendq, pendreg);

struct regbatch {
	uv_work_t		 work;
	struct server		*srv;
	struct pendq		 q;
	size_t			 n;
	int			 rc;
	struct regdb_item	 items[];
};

struct server {
	uv_loop_t		*loop;
	struct serve_opts	 o;
	struct nconn_limits	 lim;
	uv_tcp_t		 listener;
	uv_udp_t		 stun;		/* STUN Binding responder */
	int			 stun_on;
	uint64_t		 stun_second;
	uint32_t		 stun_count;
	uv_signal_t		 sigint;
	uv_signal_t		 sigterm;
	uv_timer_t		 sweep;
	uint8_t			 hkey[crypto_shorthash_KEYBYTES];
	struct htab		 online;
	struct htab		 addrs;
	struct htab		 calls;
	struct htab		 pending;
	LIST_HEAD(, sclient)	 clients;
	TAILQ_HEAD(, call)	 callq;
	TAILQ_HEAD(, addrent)	 idleq;
	struct pendq		 regq;
	struct regbatch		*inflight;
	size_t			 nconns;
	int			 stopping;
	struct ratelimit	 rl;
	struct htab		 relay_ids;
	struct htab		 relay_addrs;
	TAILQ_HEAD(, rsess)	 relayq;
	size_t			 nrelays;
};

/* Decoded input and built output: one loop thread, so shared. */
static struct sigmsg	min;
static struct sigmsg	mout;

static void	client_drop(struct sclient *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

void
serve_opts_default(struct serve_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->max_conns = SERVE_MAX_CONNS;
	o->max_per_addr = SERVE_MAX_PER_ADDR;
	o->hs_rate = SERVE_HS_RATE;
	o->hs_burst = SERVE_HS_BURST;
	o->handshake_ms = SERVE_HANDSHAKE_MS;
	o->idle_ms = SERVE_IDLE_MS;
	o->ring_ms = SERVE_RING_MS;
	o->max_relays = SERVE_MAX_RELAYS;
	o->relay_pps = SERVE_RELAY_PPS;
	o->relay_kbps = SERVE_RELAY_KBPS;
	o->relay_idle_ms = SERVE_RELAY_IDLE_MS;
}

/* ---- logging ---- */

/* A log line about a peer's misbehaviour, rate limited. */
static void
log_bad(struct server *srv, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	if (!ratelimit_ok(&srv->rl, uv_now(srv->loop)))
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (srv->rl.suppressed > 0) {
		log_warn("%s (%llu similar messages suppressed)", line,
		    (unsigned long long)srv->rl.suppressed);
		srv->rl.suppressed = 0;
	} else
		log_warn("%s", line);
}

static uint64_t
hash_bytes(const struct server *srv, const void *p, size_t len)
{
	uint8_t h[crypto_shorthash_BYTES];
	uint64_t v;

	crypto_shorthash(h, p, len, srv->hkey);
	memcpy(&v, h, sizeof(v));
	return v;
}

static void
key_fp(const uint8_t pub[32], char fp[FINGERPRINT_LEN + 1])
{
	if (fingerprint(pub, fp) != 0)
		snprintf(fp, FINGERPRINT_LEN + 1, "?");
}

/* ---- sending ---- */

static void
send_msg(struct sclient *sc, const struct sigmsg *m)
{
	/* A failure closes the connection; on_close cleans up. */
	(void)nconn_send_sig(sc->nc, m);
}

static void
send_error(struct sclient *sc, enum sig_reason reason, const uint64_t *call,
    const char *name, const char *fmt, ...)
{
	char text[SIG_TEXT_MAX + 1];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	sigmsg_init(&mout, SIG_ERROR);
	sigmsg_set_reason(&mout, reason);
	sigmsg_set_text(&mout, text);
	if (call != NULL)
		sigmsg_set_call(&mout, *call);
	if (name != NULL)
		sigmsg_set_name(&mout, name);
	send_msg(sc, &mout);
}

static void
send_hangup(struct sclient *sc, uint64_t call, enum sig_reason reason,
    const char *text)
{
	sigmsg_init(&mout, SIG_HANGUP);
	sigmsg_set_call(&mout, call);
	sigmsg_set_reason(&mout, reason);
	if (text != NULL)
		sigmsg_set_text(&mout, text);
	send_msg(sc, &mout);
}

static void
client_drop(struct sclient *sc, const char *fmt, ...)
{
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	log_bad(sc->srv, "%s: closing: %s", nconn_peer_str(sc->nc), why);
	/* Say why first: the close flushes it. */
	send_error(sc, SIG_R_PROTOCOL, NULL, NULL, "%s", why);
	nconn_close(sc->nc, why);
}

/* ---- per-address records ---- */

static void
addr_key(const struct sockaddr_storage *ss, uint8_t key[9], uint8_t *lenp)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0xff, 0xff };

	memset(key, 0, 9);
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const void *)ss;

		key[0] = 4;
		memcpy(key + 1, &a->sin_addr, 4);
		*lenp = 5;
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const void *)ss;
		const uint8_t *b = a->sin6_addr.s6_addr;

		if (memcmp(b, mapped, sizeof(mapped)) == 0) {
			key[0] = 4;
			memcpy(key + 1, b + 12, 4);
			*lenp = 5;
		} else {
			/* One host usually has a whole /64. */
			key[0] = 6;
			memcpy(key + 1, b, 8);
			*lenp = 9;
		}
	} else {
		*lenp = 1;
	}
}

static struct addrent *
addr_get(struct server *srv, const struct sockaddr_storage *ss)
{
	struct addrent *ae;
	struct hnode *n;
	uint8_t key[9], len;
	uint64_t h;

	addr_key(ss, key, &len);
	h = hash_bytes(srv, key, len);
	for (n = htab_first(&srv->addrs, h); n != NULL; n = htab_next(n)) {
		ae = (struct addrent *)((char *)n -
		    offsetof(struct addrent, node));
		if (ae->keylen == len && memcmp(ae->key, key, len) == 0)
			return ae;
	}
	if ((ae = calloc(1, sizeof(*ae))) == NULL)
		return NULL;
	memcpy(ae->key, key, sizeof(ae->key));
	ae->keylen = len;
	ae->tokens = srv->o.hs_burst * 1000u;
	ae->refill_ms = uv_now(srv->loop);
	htab_insert(&srv->addrs, &ae->node, h);
	TAILQ_INSERT_TAIL(&srv->idleq, ae, idle);
	return ae;
}

/* Takes one handshake token; 0 when the bucket is empty. */
static int
addr_take(struct server *srv, struct addrent *ae)
{
	uint64_t now = uv_now(srv->loop), add;
	uint32_t cap = srv->o.hs_burst * 1000u;

	if (srv->o.hs_rate == 0)
		return 1;
	add = (now - ae->refill_ms) * srv->o.hs_rate;
	ae->refill_ms = now;
	ae->tokens = add >= cap - ae->tokens ? cap : ae->tokens + (uint32_t)add;
	if (ae->tokens < 1000)
		return 0;
	ae->tokens -= 1000;
	return 1;
}

static void
addr_hold(struct server *srv, struct addrent *ae)
{
	if (ae->nconn++ == 0)
		TAILQ_REMOVE(&srv->idleq, ae, idle);
}

static void
addr_release(struct server *srv, struct addrent *ae)
{
	if (--ae->nconn == 0)
		TAILQ_INSERT_TAIL(&srv->idleq, ae, idle);
}

static void
addr_free(struct server *srv, struct addrent *ae)
{
	TAILQ_REMOVE(&srv->idleq, ae, idle);
	htab_remove(&srv->addrs, &ae->node);
	free(ae);
}

/* ---- presence ---- */

#define CLIENT_OF(n)	((struct sclient *)((char *)(n) - \
			    offsetof(struct sclient, node)))

static struct sclient *
online_find(struct server *srv, const char *name)
{
	struct hnode *n;

	for (n = htab_first(&srv->online, hash_bytes(srv, name,
	    strlen(name))); n != NULL; n = htab_next(n))
		if (strcmp(CLIENT_OF(n)->name, name) == 0)
			return CLIENT_OF(n);
	return NULL;
}

static void
online_remove(struct sclient *sc)
{
	if (!sc->online)
		return;
	htab_remove(&sc->srv->online, &sc->node);
	sc->online = 0;
}

/* name is sc's now (stored): make sc its presence and tell it. */
static void
client_registered(struct sclient *sc, const char *name)
{
	struct server *srv = sc->srv;
	struct sclient *old;

	online_remove(sc);
	if ((old = online_find(srv, name)) != NULL) {
		online_remove(old);
		send_error(old, SIG_R_LIMIT, NULL, name,
		    "replaced by a newer connection for %s", name);
		log_info("%s: %s moved to %s", nconn_peer_str(old->nc), name,
		    nconn_peer_str(sc->nc));
		nconn_close(old->nc, "replaced by a newer connection");
	}
	snprintf(sc->name, sizeof(sc->name), "%s", name);
	htab_insert(&srv->online, &sc->node, hash_bytes(srv, name,
	    strlen(name)));
	sc->online = 1;
	sigmsg_init(&mout, SIG_REGISTERED);
	sigmsg_set_name(&mout, name);
	send_msg(sc, &mout);
	log_debug("%s: online as %s", nconn_peer_str(sc->nc), name);
}

/* ---- registration ---- */

#define PENDREG_OF(n)	((struct pendreg *)((char *)(n) - \
			    offsetof(struct pendreg, node)))

static struct pendreg *
pending_find(struct server *srv, const char *name)
{
	struct hnode *n;

	for (n = htab_first(&srv->pending, hash_bytes(srv, name,
	    strlen(name))); n != NULL; n = htab_next(n))
		if (strcmp(PENDREG_OF(n)->name, name) == 0)
			return PENDREG_OF(n);
	return NULL;
}

static void
pending_unwait(struct sclient *sc)
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

static void	batch_start(struct server *);

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
		htab_remove(&srv->pending, &pr->node);
		if (rc == 0) {
			key_fp(pr->pub, fp);
			log_info("registered %s for key %s", pr->name, fp);
		}
		for (sc = pr->waiters; sc != NULL; sc = next) {
			next = sc->preg_next;
			sc->preg = NULL;
			sc->preg_next = NULL;
			if (rc == 0)
				client_registered(sc, pr->name);
			else if (rc == E2_ERR_EXISTS)
				send_error(sc, SIG_R_NAME_TAKEN, NULL,
				    pr->name, "%s belongs to another key",
				    pr->name);
			else
				send_error(sc, SIG_R_SERVER, NULL, pr->name,
				    "the server could not store the name; "
				    "try again later");
		}
		free(pr);
		i++;
	}
	srv->inflight = NULL;
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

	if (srv->inflight != NULL || srv->stopping ||
	    TAILQ_EMPTY(&srv->regq))
		return;
	TAILQ_FOREACH(pr, &srv->regq, link)
		if (++n == SERVE_REG_BATCH)
			break;
	if ((b = calloc(1, sizeof(*b) + n * sizeof(b->items[0]))) == NULL)
		return;		/* retried on the next registration */
	b->srv = srv;
	b->work.data = b;
	TAILQ_INIT(&b->q);
	while (b->n < n) {
		pr = TAILQ_FIRST(&srv->regq);
		TAILQ_REMOVE(&srv->regq, pr, link);
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
	srv->inflight = b;
}

static void
h_register(struct sclient *sc, const struct sigmsg *m, const uint8_t *raw,
    size_t len)
{
	struct server *srv = sc->srv;
	struct pendreg *pr;
	uint8_t owner[32];
	int rc;

	if (sc->preg != NULL) {
		send_error(sc, SIG_R_PROTOCOL, NULL, NULL,
		    "a registration is already in progress");
		return;
	}
	if ((pr = pending_find(srv, m->name)) != NULL) {
		if (memcmp(pr->pub, sc->pub, 32) != 0) {
			send_error(sc, SIG_R_NAME_TAKEN, NULL, m->name,
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
		send_error(sc, SIG_R_SERVER, NULL, m->name,
		    "registration database error; try again later");
		return;
	}
	if (rc == 1) {
		if (memcmp(owner, sc->pub, 32) != 0)
			send_error(sc, SIG_R_NAME_TAKEN, NULL, m->name,
			    "%s belongs to another key", m->name);
		else
			client_registered(sc, m->name);
		return;
	}
	if ((pr = calloc(1, sizeof(*pr))) == NULL) {
		send_error(sc, SIG_R_SERVER, NULL, m->name, "out of memory");
		return;
	}
	snprintf(pr->name, sizeof(pr->name), "%s", m->name);
	memcpy(pr->pub, sc->pub, 32);
	pr->waiters = sc;
	sc->preg = pr;
	htab_insert(&srv->pending, &pr->node, hash_bytes(srv, pr->name,
	    strlen(pr->name)));
	TAILQ_INSERT_TAIL(&srv->regq, pr, link);
	batch_start(srv);
}

/* ---- calls ---- */

#define CALL_OF(n)	((struct call *)((char *)(n) - \
			    offsetof(struct call, node)))

static struct call *
call_find(struct server *srv, uint64_t id)
{
	struct hnode *n;

	for (n = htab_first(&srv->calls, hash_bytes(srv, &id, sizeof(id)));
	    n != NULL; n = htab_next(n))
		if (CALL_OF(n)->id == id)
			return CALL_OF(n);
	return NULL;
}

static void
client_unlink_call(struct sclient *sc, struct call *call)
{
	int i;

	for (i = 0; i < sc->ncalls; i++) {
		if (sc->calls[i] == call) {
			sc->calls[i] = sc->calls[--sc->ncalls];
			sc->calls[sc->ncalls] = NULL;
			return;
		}
	}
}

static void	relay_free(struct server *, struct rsess *);

/*
 * Ends a call record.  Its relay ends with it on HANGUP, REJECT and the
 * ring timeout, RELAY_LINGER_MS later (the BYE that follows a HANGUP on
 * the media path still gets through); when a party's connection dropped
 * (keep_relay) the relay lives on, orphaned, while media flows through
 * it, so a call survives a signaling drop; the idle timeout ends it.
 */
static void
call_end(struct server *srv, struct call *call, int keep_relay)
{
	if (call->relay != NULL) {
		call->relay->call = NULL;
		if (!keep_relay)
			call->relay->end_ms = uv_now(srv->loop) +
			    RELAY_LINGER_MS;
		call->relay = NULL;
	}
	htab_remove(&srv->calls, &call->node);
	TAILQ_REMOVE(&srv->callq, call, link);
	client_unlink_call(call->caller, call);
	client_unlink_call(call->callee, call);
	free(call);
}

static void
h_dial(struct sclient *sc, const struct sigmsg *m, const uint8_t *raw,
    size_t len)
{
	struct server *srv = sc->srv;
	struct sclient *callee;
	struct call *call;
	uint8_t owner[32];
	int rc;

	if (!sc->online) {
		send_error(sc, SIG_R_PROTOCOL, &m->call, NULL,
		    "register a name before dialing");
		return;
	}
	if (call_find(srv, m->call) != NULL) {
		send_error(sc, SIG_R_PROTOCOL, &m->call, NULL,
		    "call id already in use");
		return;
	}
	if (sc->ncalls >= SERVE_MAX_CALLS) {
		send_error(sc, SIG_R_LIMIT, &m->call, NULL,
		    "too many calls in progress on this connection (max %d)",
		    SERVE_MAX_CALLS);
		return;
	}
	if ((callee = online_find(srv, m->name)) == NULL) {
		if (pending_find(srv, m->name) != NULL)
			rc = 1;
		else
			rc = regdb_lookup(srv->o.db, m->name, owner);
		if (rc == 1)
			send_error(sc, SIG_R_OFFLINE, &m->call, m->name,
			    "%s is not connected", m->name);
		else if (rc == 0)
			send_error(sc, SIG_R_UNKNOWN, &m->call, m->name,
			    "no user %s on this server", m->name);
		else
			send_error(sc, SIG_R_SERVER, &m->call, m->name,
			    "registration database error");
		return;
	}
	if (callee == sc) {
		send_error(sc, SIG_R_PROTOCOL, &m->call, m->name,
		    "cannot call yourself");
		return;
	}
	if (callee->ncalls >= SERVE_MAX_CALLS) {
		send_error(sc, SIG_R_BUSY, &m->call, m->name,
		    "%s has too many calls in progress", m->name);
		return;
	}
	if ((call = calloc(1, sizeof(*call))) == NULL) {
		send_error(sc, SIG_R_SERVER, &m->call, NULL, "out of memory");
		return;
	}
	call->id = m->call;
	call->caller = sc;
	call->callee = callee;
	call->start_ms = uv_now(srv->loop);
	htab_insert(&srv->calls, &call->node, hash_bytes(srv, &call->id,
	    sizeof(call->id)));
	TAILQ_INSERT_TAIL(&srv->callq, call, link);
	sc->calls[sc->ncalls++] = call;
	callee->calls[callee->ncalls++] = call;
	sigmsg_init(&mout, SIG_INCOMING);
	sigmsg_set_call(&mout, call->id);
	sigmsg_set_name(&mout, sc->name);
	sigmsg_set_e2e(&mout, m->e2e, m->e2e_len);
	send_msg(callee, &mout);
	log_debug("call %016llx: %s -> %s", (unsigned long long)call->id,
	    sc->name, callee->name);
}

/* Which party may send what about a call. */
#define FROM_CALLER	1
#define FROM_CALLEE	2

static int
relay_from(uint8_t type)
{
	switch (type) {
	case SIG_RINGING:
	case SIG_ACCEPT:
	case SIG_REJECT:
		return FROM_CALLEE;
	case SIG_HANDSHAKE:
		return FROM_CALLER;
	case SIG_HANGUP:
		return FROM_CALLER | FROM_CALLEE;
	default:
		return 0;
	}
}

/* RINGING, HANDSHAKE, ACCEPT, REJECT, HANGUP: relayed byte for byte. */
static void
h_relay(struct sclient *sc, const struct sigmsg *m, const uint8_t *raw,
    size_t len)
{
	struct server *srv = sc->srv;
	struct call *call = call_find(srv, m->call);
	struct sclient *other;
	int from;

	if (call == NULL || (call->caller != sc && call->callee != sc)) {
		send_error(sc, SIG_R_PROTOCOL, &m->call, NULL,
		    "no such call");
		return;
	}
	from = call->caller == sc ? FROM_CALLER : FROM_CALLEE;
	if ((relay_from(m->type) & from) == 0) {
		send_error(sc, SIG_R_PROTOCOL, &m->call, NULL,
		    "%s is not allowed from the %s",
		    sigmsg_type_name(m->type),
		    from == FROM_CALLER ? "caller" : "callee");
		return;
	}
	other = from == FROM_CALLER ? call->callee : call->caller;
	if (m->type == SIG_ACCEPT)
		call->accepted = 1;
	(void)nconn_send(other->nc, raw, len);
	if (m->type == SIG_REJECT || m->type == SIG_HANGUP)
		call_end(srv, call, 0);
}

static void
h_ping(struct sclient *sc, const struct sigmsg *m, const uint8_t *raw,
    size_t len)
{
	sigmsg_init(&mout, SIG_PONG);
	send_msg(sc, &mout);
}

static void
h_pong(struct sclient *sc, const struct sigmsg *m, const uint8_t *raw,
    size_t len)
{
}

/* ---- the media relay (docs/PROTOCOL.md 5b) ---- */

#define LEG_OF_ID(n)	((struct rleg *)((char *)(n) - \
			    offsetof(struct rleg, id_node)))
#define LEG_OF_ADDR(n)	((struct rleg *)((char *)(n) - \
			    offsetof(struct rleg, addr_node)))

/* The relay's key for an address: IPv4-mapped IPv6 counts as IPv4. */
static void
relay_akey(const struct sockaddr *sa, uint8_t k[RKEY_LEN])
{
	struct sockaddr_storage ss;
	uint16_t port;

	netaddr_copy(&ss, sa);
	netaddr_normalize(&ss);
	memset(k, 0, RKEY_LEN);
	port = netaddr_port((struct sockaddr *)&ss);
	if (ss.ss_family == AF_INET) {
		k[0] = 4;
		memcpy(k + 1, &((struct sockaddr_in *)&ss)->sin_addr, 4);
	} else if (ss.ss_family == AF_INET6) {
		k[0] = 6;
		memcpy(k + 1, &((struct sockaddr_in6 *)&ss)->sin6_addr, 16);
	}
	k[17] = (uint8_t)(port >> 8);
	k[18] = (uint8_t)port;
}

static struct rleg *
relay_by_id(struct server *srv, uint64_t id)
{
	struct hnode *n;

	for (n = htab_first(&srv->relay_ids, hash_bytes(srv, &id,
	    sizeof(id))); n != NULL; n = htab_next(n))
		if (LEG_OF_ID(n)->id == id)
			return LEG_OF_ID(n);
	return NULL;
}

static struct rleg *
relay_by_addr(struct server *srv, const uint8_t k[RKEY_LEN])
{
	struct hnode *n;

	for (n = htab_first(&srv->relay_addrs, hash_bytes(srv, k,
	    RKEY_LEN)); n != NULL; n = htab_next(n))
		if (memcmp(LEG_OF_ADDR(n)->akey, k, RKEY_LEN) == 0)
			return LEG_OF_ADDR(n);
	return NULL;
}

/* A relay whose call ended RELAY_LINGER_MS ago is gone, swept or not. */
static int
relay_over(struct server *srv, const struct rsess *rs)
{
	return rs->end_ms != 0 && uv_now(srv->loop) >= rs->end_ms;
}

static void
relay_unbind(struct server *srv, struct rleg *l)
{
	if (!l->bound)
		return;
	htab_remove(&srv->relay_addrs, &l->addr_node);
	l->bound = 0;
}

static void
relay_free(struct server *srv, struct rsess *rs)
{
	int i;

	log_info("relay for call %016llx ended: caller->callee %llu packets "
	    "%llu bytes (%llu over the limit), callee->caller %llu packets "
	    "%llu bytes (%llu over the limit)",
	    (unsigned long long)rs->call_id,
	    (unsigned long long)rs->leg[0].fwd_pkts,
	    (unsigned long long)rs->leg[0].fwd_bytes,
	    (unsigned long long)rs->leg[0].dropped,
	    (unsigned long long)rs->leg[1].fwd_pkts,
	    (unsigned long long)rs->leg[1].fwd_bytes,
	    (unsigned long long)rs->leg[1].dropped);
	for (i = 0; i < 2; i++) {
		relay_unbind(srv, &rs->leg[i]);
		htab_remove(&srv->relay_ids, &rs->leg[i].id_node);
	}
	if (rs->call != NULL)
		rs->call->relay = NULL;
	TAILQ_REMOVE(&srv->relayq, rs, link);
	srv->nrelays--;
	sodium_memzero(rs, sizeof(*rs));
	free(rs);
}

static struct rsess *
relay_new(struct server *srv, struct call *call)
{
	struct rsess *rs;
	int i;

	if ((rs = calloc(1, sizeof(*rs))) == NULL)
		return NULL;
	rs->call = call;
	rs->call_id = call->id;
	rs->last_ms = uv_now(srv->loop);
	for (i = 0; i < 2; i++) {
		struct rleg *l = &rs->leg[i];

		l->s = rs;
		do
			randombytes_buf(&l->id, sizeof(l->id));
		while (l->id == 0 || relay_by_id(srv, l->id) != NULL);
		randombytes_buf(l->key, sizeof(l->key));
		l->pk_tokens = (uint64_t)srv->o.relay_pps * 1000;
		l->by_tokens = (uint64_t)srv->o.relay_kbps * 125 * 1000;
		l->refill_ms = rs->last_ms;
		htab_insert(&srv->relay_ids, &l->id_node, hash_bytes(srv,
		    &l->id, sizeof(l->id)));
	}
	TAILQ_INSERT_TAIL(&srv->relayq, rs, link);
	srv->nrelays++;
	call->relay = rs;
	return rs;
}

static void
send_grant_refusal(struct sclient *sc, uint64_t call, enum sig_reason r,
    const char *text)
{
	sigmsg_init(&mout, SIG_RELAY_GRANT);
	sigmsg_set_call(&mout, call);
	sigmsg_set_reason(&mout, r);
	sigmsg_set_text(&mout, text);
	send_msg(sc, &mout);
}

/*
 * RELAY_REQUEST(CALL): a party of the call asks for its leg of the
 * call's relay.  The answer names the relay by the address the client
 * reached the server at (the UDP port is the TCP port).
 */
static void
h_relay_request(struct sclient *sc, const struct sigmsg *m,
    const uint8_t *raw, size_t len)
{
	struct server *srv = sc->srv;
	struct call *call = call_find(srv, m->call);
	struct sockaddr_storage local;
	struct sig_cand cand;
	struct rleg *l;

	if (call == NULL || (call->caller != sc && call->callee != sc)) {
		send_grant_refusal(sc, m->call, SIG_R_PROTOCOL,
		    "no such call");
		return;
	}
	if (!srv->stun_on || nconn_local_addr(sc->nc, &local) != 0) {
		send_grant_refusal(sc, m->call, SIG_R_SERVER,
		    "this server has no UDP socket");
		return;
	}
	if (call->relay == NULL) {
		if (srv->nrelays >= srv->o.max_relays) {
			send_grant_refusal(sc, m->call, SIG_R_LIMIT,
			    srv->o.max_relays == 0 ? "this server relays "
			    "no media" : "too many relayed calls");
			return;
		}
		if (relay_new(srv, call) == NULL) {
			send_grant_refusal(sc, m->call, SIG_R_SERVER,
			    "out of memory");
			return;
		}
		log_debug("relay for call %016llx", (unsigned long long)
		    call->id);
	}
	netaddr_normalize(&local);
	if (netaddr_to_cand((struct sockaddr *)&local,
	    netaddr_port((struct sockaddr *)&srv->o.listen), SIG_CAND_RELAY,
	    &cand) != 0) {
		send_grant_refusal(sc, m->call, SIG_R_SERVER,
		    "no relay address");
		return;
	}
	l = &call->relay->leg[call->caller == sc ? 0 : 1];
	sigmsg_init(&mout, SIG_RELAY_GRANT);
	sigmsg_set_call(&mout, call->id);
	(void)sigmsg_add_cand(&mout, &cand);
	sigmsg_set_relay(&mout, l->id, l->key);
	send_msg(sc, &mout);
	sodium_memzero(mout.relay_key, sizeof(mout.relay_key));
}

/* RELAY_BIND from `from`: binds the leg there, answers RELAY_BOUND. */
static void
relay_bind(struct server *srv, uv_udp_t *u, const uint8_t *p, size_t len,
    const struct sockaddr *from)
{
	uint8_t akey[RKEY_LEN], out[RELAY_BOUND_LEN];
	struct rleg *l, *other;
	uint64_t leg, seq;
	uv_buf_t ob;
	char where[INET6_ADDRSTRLEN + 8];

	if (relay_bind_leg(p, len, &leg) != 0 ||
	    (l = relay_by_id(srv, leg)) == NULL || relay_over(srv, l->s) ||
	    relay_bind_open(p, len, l->key, &seq) != 0 || seq <= l->seq)
		return;
	l->seq = seq;
	l->s->last_ms = uv_now(srv->loop);
	relay_akey(from, akey);
	if (!l->bound || memcmp(l->akey, akey, RKEY_LEN) != 0) {
		relay_unbind(srv, l);
		/* The newest BIND from an address wins it. */
		if ((other = relay_by_addr(srv, akey)) != NULL)
			relay_unbind(srv, other);
		netaddr_copy(&l->addr, from);
		memcpy(l->akey, akey, RKEY_LEN);
		htab_insert(&srv->relay_addrs, &l->addr_node,
		    hash_bytes(srv, akey, RKEY_LEN));
		l->bound = 1;
		netaddr_str(from, where, sizeof(where));
		log_debug("relay for call %016llx: %s leg bound at %s",
		    (unsigned long long)l->s->call_id,
		    l == &l->s->leg[0] ? "caller" : "callee", where);
	}
	other = l == &l->s->leg[0] ? &l->s->leg[1] : &l->s->leg[0];
	relay_bound_seal(leg, seq, other->bound ? RELAY_F_PEER_BOUND : 0,
	    l->key, out);
	ob = uv_buf_init((char *)out, sizeof(out));
	(void)uv_udp_try_send(u, &ob, 1, from);
}

/* Takes one packet of len bytes from the leg's buckets; 0 when over. */
static int
relay_take(struct server *srv, struct rleg *l, size_t len)
{
	uint64_t now = uv_now(srv->loop), dt = now - l->refill_ms;
	uint64_t pcap = (uint64_t)srv->o.relay_pps * 1000;
	uint64_t bcap = (uint64_t)srv->o.relay_kbps * 125 * 1000;

	l->refill_ms = now;
	l->pk_tokens += dt * srv->o.relay_pps;
	l->by_tokens += dt * srv->o.relay_kbps * 125;
	if (l->pk_tokens > pcap)
		l->pk_tokens = pcap;
	if (l->by_tokens > bcap)
		l->by_tokens = bcap;
	if (l->pk_tokens < 1000 || l->by_tokens < (uint64_t)len * 1000)
		return 0;
	l->pk_tokens -= 1000;
	l->by_tokens -= (uint64_t)len * 1000;
	return 1;
}

/* A media datagram from a bound leg goes, unchanged, to the other leg. */
static void
relay_forward(struct server *srv, uv_udp_t *u, const uint8_t *p, size_t len,
    const struct sockaddr *from)
{
	uint8_t akey[RKEY_LEN];
	struct rleg *l, *other;
	uv_buf_t ob;

	relay_akey(from, akey);
	if ((l = relay_by_addr(srv, akey)) == NULL || relay_over(srv, l->s))
		return;
	other = l == &l->s->leg[0] ? &l->s->leg[1] : &l->s->leg[0];
	if (!other->bound)
		return;
	if (!relay_take(srv, l, len)) {
		l->dropped++;
		return;
	}
	l->s->last_ms = uv_now(srv->loop);
	ob = uv_buf_init((char *)p, (unsigned)len);
	if (uv_udp_try_send(u, &ob, 1, (struct sockaddr *)&other->addr) >= 0) {
		l->fwd_pkts++;
		l->fwd_bytes += len;
	}
}

static void
relay_sweep(struct server *srv, uint64_t now)
{
	struct rsess *rs, *next;

	for (rs = TAILQ_FIRST(&srv->relayq); rs != NULL; rs = next) {
		next = TAILQ_NEXT(rs, link);
		if (now - rs->last_ms >= srv->o.relay_idle_ms ||
		    (rs->end_ms != 0 && now >= rs->end_ms))
			relay_free(srv, rs);
	}
}

static const struct {
	uint8_t	type;
	void	(*fn)(struct sclient *, const struct sigmsg *,
		    const uint8_t *, size_t);
} handlers[] = {
	{ SIG_REGISTER, h_register },
	{ SIG_DIAL, h_dial },
	{ SIG_RINGING, h_relay },
	{ SIG_HANDSHAKE, h_relay },
	{ SIG_ACCEPT, h_relay },
	{ SIG_REJECT, h_relay },
	{ SIG_HANGUP, h_relay },
	{ SIG_PING, h_ping },
	{ SIG_PONG, h_pong },
	{ SIG_RELAY_REQUEST, h_relay_request },
};

/*
 * A REGISTER or DIAL that fails to decode only because of its NAME: the
 * same message with the name replaced by a valid one decodes.  Then the
 * client gets bad_name and keeps its connection.
 */
static int
only_name_bad(const uint8_t *msg, size_t len, struct sigmsg *m)
{
	uint8_t copy[SIG_MSG_MAX];
	struct buf in, out;
	const uint8_t *val;
	uint8_t type, tag;
	uint16_t flen;
	int names = 0;

	buf_init_read(&in, msg, len);
	buf_init_write(&out, copy, sizeof(copy));
	if (buf_get_u8(&in, &type) != 0 || buf_put_u8(&out, type) != 0)
		return 0;
	while (buf_left(&in) > 0) {
		if (buf_get_u8(&in, &tag) != 0 ||
		    buf_get_u16(&in, &flen) != 0 ||
		    buf_get_ptr(&in, &val, flen) != 0)
			return 0;
		if (tag == SIG_T_NAME) {
			names++;
			val = (const uint8_t *)"a";
			flen = 1;
		}
		if (buf_put_u8(&out, tag) != 0 ||
		    buf_put_u16(&out, flen) != 0 ||
		    buf_put_bytes(&out, val, flen) != 0)
			return 0;
	}
	return names == 1 && sigmsg_decode(m, copy, out.len) == 0;
}

static void
bad_message(struct sclient *sc, const uint8_t *msg, size_t len, int rc)
{
	static const char rule[] = "a name is 1 to 32 characters of a-z, "
	    "0-9, '.', '_' and '-', starting with a letter or digit";

	if (len > 0 && (msg[0] == SIG_REGISTER || msg[0] == SIG_DIAL) &&
	    only_name_bad(msg, len, &min)) {
		send_error(sc, SIG_R_BAD_NAME,
		    msg[0] == SIG_DIAL ? &min.call : NULL, NULL, "%s", rule);
		return;
	}
	client_drop(sc, "undecodable %s message: %s",
	    len > 0 ? sigmsg_type_name(msg[0]) : "empty", e2_strerror(rc));
}

/* ---- connection callbacks ---- */

static void
on_open(struct nconn *nc, void *arg)
{
	struct sclient *sc = arg;

	if (sc == NULL)
		return;
	sc->open = 1;
	nconn_remote_static(nc, sc->pub);
	sigmsg_init(&mout, SIG_WELCOME);
	mout.version = SIG_VERSION;
	mout.fields |= 1u << SIG_T_VERSION;
	send_msg(sc, &mout);
}

static void
on_msg(struct nconn *nc, const uint8_t *msg, size_t len, void *arg)
{
	struct sclient *sc = arg;
	size_t i;
	int rc;

	if (sc == NULL)
		return;
	if ((rc = sigmsg_decode(&min, msg, len)) != 0) {
		bad_message(sc, msg, len, rc);
		return;
	}
	for (i = 0; i < sizeof(handlers) / sizeof(handlers[0]); i++) {
		if (handlers[i].type == min.type) {
			handlers[i].fn(sc, &min, msg, len);
			return;
		}
	}
	client_drop(sc, "%s is not a client message",
	    sigmsg_type_name(min.type));
}

static void
on_close(struct nconn *nc, int err, const char *why, void *arg)
{
	struct sclient *sc = arg;
	struct server *srv;
	struct call *call;
	struct sclient *other;

	if (sc == NULL)
		return;
	srv = sc->srv;
	if (err != 0 && err != E2_ERR_IO)
		log_bad(srv, "%s: %s", nconn_peer_str(nc), why);
	else
		log_debug("%s: closed: %s", nconn_peer_str(nc), why);
	online_remove(sc);
	pending_unwait(sc);
	while (sc->ncalls > 0) {
		call = sc->calls[0];
		other = call->caller == sc ? call->callee : call->caller;
		send_hangup(other, call->id, SIG_R_PEER_GONE,
		    "the other party's connection dropped");
		call_end(srv, call, 1);
	}
	addr_release(srv, sc->addr);
	LIST_REMOVE(sc, link);
	srv->nconns--;
	free(sc);
}

static const struct nconn_cbs server_cbs = {
	.on_open = on_open,
	.on_msg = on_msg,
	.on_close = on_close,
};

static void
refuse(struct server *srv, struct nconn *nc, const char *why)
{
	log_bad(srv, "%s: refused: %s", nconn_peer_str(nc), why);
	nconn_set_arg(nc, NULL);
	nconn_close(nc, why);
}

static void
on_connection(uv_stream_t *ls, int status)
{
	struct server *srv = ls->data;
	struct sclient *sc;
	struct addrent *ae;
	struct nconn *nc;
	int rc;

	if (status < 0) {
		log_bad(srv, "accept: %s", uv_strerror(status));
		return;
	}
	if ((sc = calloc(1, sizeof(*sc))) == NULL) {
		/* Still take it off the backlog. */
		if (nconn_accept(ls, srv->o.key, &srv->lim, &server_cbs,
		    NULL, &nc) == 0)
			refuse(srv, nc, "out of memory");
		return;
	}
	if ((rc = nconn_accept(ls, srv->o.key, &srv->lim, &server_cbs, sc,
	    &nc)) != 0) {
		log_bad(srv, "accept: %s", e2_strerror(rc));
		free(sc);
		return;
	}
	if (srv->stopping || srv->nconns >= srv->o.max_conns) {
		free(sc);
		refuse(srv, nc, srv->stopping ? "server shutting down" :
		    "server full");
		return;
	}
	if ((ae = addr_get(srv, nconn_peer_addr(nc))) == NULL) {
		free(sc);
		refuse(srv, nc, "out of memory");
		return;
	}
	if (ae->nconn >= srv->o.max_per_addr) {
		free(sc);
		refuse(srv, nc, "too many connections from this address");
		return;
	}
	if (!addr_take(srv, ae)) {
		free(sc);
		refuse(srv, nc, "too many new connections from this address");
		return;
	}
	addr_hold(srv, ae);
	sc->srv = srv;
	sc->nc = nc;
	sc->addr = ae;
	LIST_INSERT_HEAD(&srv->clients, sc, link);
	srv->nconns++;
}

/* ---- UDP: STUN and the relay ---- */

static void
stun_alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
	/* One byte more than the largest datagram, to see truncation. */
	static uint8_t buf[1221 + 1];

	*b = uv_buf_init((char *)buf, sizeof(buf));
}

static void
stun_answer(struct server *srv, uv_udp_t *u, const uint8_t *p, size_t n,
    const struct sockaddr *from)
{
	struct sockaddr_storage ss;
	struct sig_cand c;
	struct stun_addr sa;
	uint8_t out[STUN_RESP_MAX];
	uint64_t sec;
	size_t len;
	uv_buf_t ob;

	netaddr_copy(&ss, from);
	netaddr_normalize(&ss);
	if (netaddr_to_cand((struct sockaddr *)&ss,
	    netaddr_port((struct sockaddr *)&ss), SIG_CAND_SRFLX, &c) != 0)
		return;
	sa.family = c.family;
	memcpy(sa.addr, c.addr, sizeof(sa.addr));
	sa.port = c.port;
	if (stun_binding_response(p, n, &sa, out, &len) != 0)
		return;
	/* A global cap on replies, so the server is a poor reflector. */
	sec = uv_now(srv->loop) / 1000;
	if (sec != srv->stun_second) {
		srv->stun_second = sec;
		srv->stun_count = 0;
	}
	if (++srv->stun_count > SERVE_STUN_RATE)
		return;
	ob = uv_buf_init((char *)out, (unsigned)len);
	(void)uv_udp_try_send(u, &ob, 1, from);
}

static void
stun_recv_cb(uv_udp_t *u, ssize_t n, const uv_buf_t *b,
    const struct sockaddr *from, unsigned flags)
{
	struct server *srv = u->data;
	const uint8_t *p = (const uint8_t *)b->base;

	if (n <= 0 || from == NULL || (flags & UV_UDP_PARTIAL))
		return;
	switch (relay_classify(p, (size_t)n)) {
	case RELAY_DG_STUN:
		stun_answer(srv, u, p, (size_t)n, from);
		break;
	case RELAY_DG_BIND:
		relay_bind(srv, u, p, (size_t)n, from);
		break;
	case RELAY_DG_MEDIA:
		relay_forward(srv, u, p, (size_t)n, from);
		break;
	default:
		break;
	}
}

static void
stun_start(struct server *srv, const char *where)
{
	int rc;

	if ((rc = uv_udp_init(srv->loop, &srv->stun)) != 0)
		return;
	srv->stun.data = srv;
	srv->stun_on = 1;
	if ((rc = uv_udp_bind(&srv->stun, (const struct sockaddr *)
	    &srv->o.listen, 0)) != 0 ||
	    (rc = uv_udp_recv_start(&srv->stun, stun_alloc_cb,
	    stun_recv_cb)) != 0) {
		log_warn("no STUN responder on UDP %s: %s", where,
		    uv_strerror(rc));
		uv_close((uv_handle_t *)&srv->stun, NULL);
		srv->stun_on = 0;
		return;
	}
	log_info("STUN responder on UDP %s", where);
}

/* ---- timers, signals ---- */

static void
sweep_cb(uv_timer_t *t)
{
	struct server *srv = t->data;
	struct call *call, *next;
	struct addrent *ae;
	uint64_t now = uv_now(srv->loop), full_ms;

	for (call = TAILQ_FIRST(&srv->callq); call != NULL; call = next) {
		next = TAILQ_NEXT(call, link);
		if (call->accepted || now - call->start_ms < srv->o.ring_ms)
			continue;
		send_hangup(call->caller, call->id, SIG_R_NO_ANSWER,
		    "no answer");
		send_hangup(call->callee, call->id, SIG_R_NO_ANSWER,
		    "no answer");
		call_end(srv, call, 0);
	}
	/* An idle address record goes once its bucket would be full. */
	full_ms = srv->o.hs_rate > 0 ?
	    (uint64_t)srv->o.hs_burst * 1000 / srv->o.hs_rate : 0;
	while ((ae = TAILQ_FIRST(&srv->idleq)) != NULL &&
	    now - ae->refill_ms >= full_ms)
		addr_free(srv, ae);
	relay_sweep(srv, now);
}

static void
stop(struct server *srv, const char *why)
{
	struct sclient *sc;

	if (srv->stopping)
		return;
	srv->stopping = 1;
	log_info("%s: shutting down", why);
	uv_close((uv_handle_t *)&srv->listener, NULL);
	if (srv->stun_on)
		uv_close((uv_handle_t *)&srv->stun, NULL);
	uv_close((uv_handle_t *)&srv->sigint, NULL);
	uv_close((uv_handle_t *)&srv->sigterm, NULL);
	uv_close((uv_handle_t *)&srv->sweep, NULL);
	LIST_FOREACH(sc, &srv->clients, link)
		nconn_close(sc->nc, "server shutting down");
}

static void
signal_cb(uv_signal_t *s, int signum)
{
	stop(s->data, signum == SIGINT ? "SIGINT" : "SIGTERM");
}

static void
addr_str(const struct sockaddr_storage *ss, char *out, size_t cap)
{
	char host[INET6_ADDRSTRLEN] = "?";

	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const void *)ss;

		uv_ip6_name(a, host, sizeof(host));
		snprintf(out, cap, "[%s]:%u", host, ntohs(a->sin6_port));
	} else {
		const struct sockaddr_in *a = (const void *)ss;

		uv_ip4_name(a, host, sizeof(host));
		snprintf(out, cap, "%s:%u", host, ntohs(a->sin_port));
	}
}

static void
server_free(struct server *srv)
{
	struct addrent *ae;

	while ((ae = TAILQ_FIRST(&srv->idleq)) != NULL)
		addr_free(srv, ae);
	while (!TAILQ_EMPTY(&srv->relayq))
		relay_free(srv, TAILQ_FIRST(&srv->relayq));
	htab_free(&srv->relay_ids);
	htab_free(&srv->relay_addrs);
	htab_free(&srv->online);
	htab_free(&srv->addrs);
	htab_free(&srv->calls);
	htab_free(&srv->pending);
	sodium_memzero(srv->hkey, sizeof(srv->hkey));
	free(srv);
}

int
serve_run(const struct serve_opts *o)
{
	struct server *srv;
	struct sockaddr_storage bound;
	char where[INET6_ADDRSTRLEN + 8];
	int rc, len;

	if ((srv = calloc(1, sizeof(*srv))) == NULL) {
		log_error("out of memory");
		return E2_ERR_NOMEM;
	}
	srv->o = *o;
	if (srv->o.hs_burst == 0)
		srv->o.hs_burst = 1;
	srv->loop = uv_default_loop();
	nconn_limits_default(&srv->lim);
	srv->lim.handshake_ms = o->handshake_ms;
	srv->lim.idle_ms = o->idle_ms;
	srv->lim.max_frame = SIG_MSG_MAX + NOISE_TAGLEN;
	srv->rl.interval_ms = 1000;
	srv->rl.burst = 20;
	crypto_shorthash_keygen(srv->hkey);
	LIST_INIT(&srv->clients);
	TAILQ_INIT(&srv->callq);
	TAILQ_INIT(&srv->idleq);
	TAILQ_INIT(&srv->regq);
	TAILQ_INIT(&srv->relayq);
	if (htab_init(&srv->relay_ids, 64) != 0 ||
	    htab_init(&srv->relay_addrs, 64) != 0 ||
	    htab_init(&srv->online, 1024) != 0 ||
	    htab_init(&srv->addrs, 256) != 0 ||
	    htab_init(&srv->calls, 64) != 0 ||
	    htab_init(&srv->pending, 64) != 0) {
		log_error("out of memory");
		server_free(srv);
		return E2_ERR_NOMEM;
	}
	uv_tcp_init(srv->loop, &srv->listener);
	srv->listener.data = srv;
	addr_str(&o->listen, where, sizeof(where));
	if ((rc = uv_tcp_bind(&srv->listener,
	    (const struct sockaddr *)&o->listen, 0)) != 0 ||
	    (rc = uv_listen((uv_stream_t *)&srv->listener, SERVE_BACKLOG,
	    on_connection)) != 0) {
		log_error("cannot listen on %s: %s", where, uv_strerror(rc));
		uv_close((uv_handle_t *)&srv->listener, NULL);
		uv_run(srv->loop, UV_RUN_DEFAULT);
		server_free(srv);
		return E2_ERR_IO;
	}
	len = sizeof(bound);
	if (uv_tcp_getsockname(&srv->listener, (struct sockaddr *)&bound,
	    &len) == 0) {
		addr_str(&bound, where, sizeof(where));
		/* UDP gets the same port, also when it was chosen (0). */
		srv->o.listen = bound;
	}
	log_info("listening on %s", where);
	stun_start(srv, where);

	uv_signal_init(srv->loop, &srv->sigint);
	uv_signal_init(srv->loop, &srv->sigterm);
	srv->sigint.data = srv->sigterm.data = srv;
	uv_signal_start(&srv->sigint, signal_cb, SIGINT);
	uv_signal_start(&srv->sigterm, signal_cb, SIGTERM);
	uv_timer_init(srv->loop, &srv->sweep);
	srv->sweep.data = srv;
	uv_timer_start(&srv->sweep, sweep_cb, SERVE_SWEEP_MS, SERVE_SWEEP_MS);

	uv_run(srv->loop, UV_RUN_DEFAULT);

	/* Everything closed; registrations not yet handed over are lost
	 * (none of them was acknowledged). */
	while (!TAILQ_EMPTY(&srv->regq)) {
		struct pendreg *pr = TAILQ_FIRST(&srv->regq);

		TAILQ_REMOVE(&srv->regq, pr, link);
		htab_remove(&srv->pending, &pr->node);
		free(pr);
	}
	uv_loop_close(srv->loop);
	server_free(srv);
	return 0;
}
