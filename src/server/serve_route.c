/*
 * serve_route.c - call routing; see serve_route.h and docs/PROTOCOL.md
 * 5a.3 and 5a.4.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "err.h"
#include "serve_int.h"

#define CALL_OF(n)	((struct call *)((char *)(n) - \
			    offsetof(struct call, node)))

/* Which party may send what about a call. */
#define FROM_CALLER	1
#define FROM_CALLEE	2

/* Built output: one loop thread, so shared. */
static struct sigmsg	out;

int
route_init(struct server *srv)
{
	struct route *r = &srv->route;

	r->srv = srv;
	r->be = &route_backend_local;
	TAILQ_INIT(&r->callq);
	if (htab_init(&r->calls, 64) != 0)
		return E2_ERR_NOMEM;
	return r->be->init(r);
}

void
route_free(struct server *srv)
{
	struct route *r = &srv->route;

	if (r->be != NULL)
		r->be->free(r);
	htab_free(&r->calls);
}

void
route_publish(struct sclient *sc, const char *name)
{
	struct route *r = &sc->srv->route;
	struct sclient *old;

	r->be->withdraw(r, sc);
	snprintf(sc->name, sizeof(sc->name), "%s", name);
	if ((old = r->be->publish(r, sc)) != NULL) {
		serve_send_error(old, SIG_R_LIMIT, NULL, name,
		    "replaced by a newer connection for %s", name);
		log_debug("%s: %s moved to %s", nconn_peer_str(old->nc), name,
		    nconn_peer_str(sc->nc));
		nconn_close(old->nc, "replaced by a newer connection");
	}
	sigmsg_init(&out, SIG_REGISTERED);
	sigmsg_set_name(&out, name);
	serve_send(sc, &out);
	log_debug("%s: online as %s", nconn_peer_str(sc->nc), name);
}

struct call *
route_call_find(struct server *srv, uint64_t id)
{
	struct hnode *n;

	for (n = htab_first(&srv->route.calls, serve_hash(srv, &id,
	    sizeof(id))); n != NULL; n = htab_next(n))
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

/*
 * Ends a call record.  Its relay ends with it on HANGUP, REJECT and the
 * ring timeout, a little later (the BYE that follows a HANGUP on the
 * media path still gets through); when a party's connection dropped
 * (keep_relay) the relay lives on, orphaned, while media flows through
 * it, so a call survives a signaling drop; the idle timeout ends it.
 */
static void
call_end(struct server *srv, struct call *call, int keep_relay)
{
	srelay_call_ended(srv, call, keep_relay);
	htab_remove(&srv->route.calls, &call->node);
	TAILQ_REMOVE(&srv->route.callq, call, link);
	client_unlink_call(call->caller, call);
	client_unlink_call(call->callee, call);
	free(call);
}

/*
 * Every DIAL costs a token of its key's and its address's buckets; 0
 * (and ERROR(limit) sent) when either is empty.
 */
static int
dial_take(struct sclient *sc, const uint64_t *call)
{
	struct server *srv = sc->srv;
	uint64_t now = uv_now(srv->loop);
	char d[32];

	if (srv->key_dial_rate.n > 0 &&
	    !tb_take(&sc->key->dial, now, &srv->key_dial_rate)) {
		serve_duration_str(tb_wait_ms(&sc->key->dial, now,
		    &srv->key_dial_rate), d, sizeof(d));
		serve_send_error(sc, SIG_R_LIMIT, call, NULL,
		    "too many calls from this key (at most %u a minute); "
		    "try again in %s", srv->key_dial_rate.n, d);
		return 0;
	}
	if (srv->addr_dial_rate.n > 0 &&
	    !tb_take(&sc->addr->dial, now, &srv->addr_dial_rate)) {
		serve_duration_str(tb_wait_ms(&sc->addr->dial, now,
		    &srv->addr_dial_rate), d, sizeof(d));
		serve_send_error(sc, SIG_R_LIMIT, call, NULL,
		    "too many calls from this address (at most %u a "
		    "minute); try again in %s", srv->addr_dial_rate.n, d);
		return 0;
	}
	return 1;
}

void
route_dial(struct sclient *sc, const struct sigmsg *m)
{
	struct server *srv = sc->srv;
	struct route *r = &srv->route;
	struct sclient *callee;
	struct call *call;
	uint8_t msg[SIG_MSG_MAX];
	size_t len;

	if (!sc->online) {
		serve_send_error(sc, SIG_R_PROTOCOL, &m->call, NULL,
		    "register a name before dialing");
		return;
	}
	if (!dial_take(sc, &m->call))
		return;
	if (route_call_find(srv, m->call) != NULL) {
		serve_send_error(sc, SIG_R_PROTOCOL, &m->call, NULL,
		    "call id already in use");
		return;
	}
	if (sc->ncalls >= SERVE_MAX_CALLS) {
		serve_send_error(sc, SIG_R_LIMIT, &m->call, NULL,
		    "too many calls in progress on this connection (max %d)",
		    SERVE_MAX_CALLS);
		return;
	}
	if ((callee = r->be->locate(r, m->name)) == NULL) {
		/*
		 * Offline and unknown are one answer, from the same code
		 * path with no database lookup, so a caller cannot tell a
		 * name nobody holds from a name whose owner is away.
		 */
		serve_send_error(sc, SIG_R_OFFLINE, &m->call, m->name,
		    "%s cannot be reached (offline, or no such name)",
		    m->name);
		return;
	}
	if (callee == sc) {
		serve_send_error(sc, SIG_R_PROTOCOL, &m->call, m->name,
		    "cannot call yourself");
		return;
	}
	if (callee->ncalls >= SERVE_MAX_CALLS) {
		serve_send_error(sc, SIG_R_BUSY, &m->call, m->name,
		    "%s has too many calls in progress", m->name);
		return;
	}
	sigmsg_init(&out, SIG_INCOMING);
	sigmsg_set_call(&out, m->call);
	sigmsg_set_name(&out, sc->name);
	sigmsg_set_e2e(&out, m->e2e, m->e2e_len);
	if (sigmsg_encode(&out, msg, sizeof(msg), &len) != 0 ||
	    (call = calloc(1, sizeof(*call))) == NULL) {
		serve_send_error(sc, SIG_R_SERVER, &m->call, NULL,
		    "out of memory");
		return;
	}
	call->id = m->call;
	call->caller = sc;
	call->callee = callee;
	call->start_ms = uv_now(srv->loop);
	htab_insert(&r->calls, &call->node, serve_hash(srv, &call->id,
	    sizeof(call->id)));
	TAILQ_INSERT_TAIL(&r->callq, call, link);
	sc->calls[sc->ncalls++] = call;
	callee->calls[callee->ncalls++] = call;
	(void)r->be->deliver(r, m->name, msg, len);
	log_debug("call %016llx: %s -> %s", (unsigned long long)call->id,
	    sc->name, callee->name);
}

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
void
route_relay(struct sclient *sc, const struct sigmsg *m, const uint8_t *raw,
    size_t len)
{
	struct server *srv = sc->srv;
	struct call *call = route_call_find(srv, m->call);
	struct sclient *other;
	int from;

	if (call == NULL || (call->caller != sc && call->callee != sc)) {
		serve_send_error(sc, SIG_R_PROTOCOL, &m->call, NULL,
		    "no such call");
		return;
	}
	from = call->caller == sc ? FROM_CALLER : FROM_CALLEE;
	if ((relay_from(m->type) & from) == 0) {
		serve_send_error(sc, SIG_R_PROTOCOL, &m->call, NULL,
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

void
route_client_gone(struct sclient *sc)
{
	struct server *srv = sc->srv;
	struct call *call;
	struct sclient *other;

	srv->route.be->withdraw(&srv->route, sc);
	while (sc->ncalls > 0) {
		call = sc->calls[0];
		other = call->caller == sc ? call->callee : call->caller;
		serve_send_hangup(other, call->id, SIG_R_PEER_GONE,
		    "the other party's connection dropped");
		call_end(srv, call, 1);
	}
}

void
route_sweep(struct server *srv, uint64_t now)
{
	struct call *call, *next;

	for (call = TAILQ_FIRST(&srv->route.callq); call != NULL;
	    call = next) {
		next = TAILQ_NEXT(call, link);
		if (call->accepted || now - call->start_ms < srv->o.ring_ms)
			continue;
		serve_send_hangup(call->caller, call->id, SIG_R_NO_ANSWER,
		    "no answer");
		serve_send_hangup(call->callee, call->id, SIG_R_NO_ANSWER,
		    "no answer");
		call_end(srv, call, 0);
	}
}
