/*
 * serve_relay.c - the media relay; see serve_relay.h and
 * docs/PROTOCOL.md 5b.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <uv.h>

#include "err.h"
#include "netaddr.h"
#include "relay.h"
#include "serve_int.h"
#include "tbucket.h"

/* An address as the relay keys it: family, 16 address bytes, port. */
#define RKEY_LEN	19
#define RELAY_LINGER_MS	2000	/* a relay outlives its call this long */

struct rleg {
	struct hnode		 id_node;	/* relays.ids */
	struct hnode		 addr_node;	/* relays.addrs, if bound */
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
	struct tbucket		 ctl;		/* answers to BINDs */
	struct keyent		*charged_key;	/* granted to, once asked */
	struct addrent		*charged_addr;
	uint64_t		 fwd_pkts, fwd_bytes, dropped;
};

struct rsess {
	TAILQ_ENTRY(rsess)	 link;		/* relays.q */
	struct call		*call;		/* NULL once orphaned */
	uint64_t		 call_id;
	struct keyent		*party[2];	/* caller's and callee's keys */
	uint64_t		 last_ms;	/* last datagram either way */
	uint64_t		 end_ms;	/* the call ended: free then */
	uint64_t		 orphan_ms;	/* nobody connected: free then */
	struct rleg		 leg[2];	/* caller, callee */
};

#define LEG_OF_ID(n)	((struct rleg *)((char *)(n) - \
			    offsetof(struct rleg, id_node)))
#define LEG_OF_ADDR(n)	((struct rleg *)((char *)(n) - \
			    offsetof(struct rleg, addr_node)))

/* Built output: one loop thread, so shared. */
static struct sigmsg	out;

static const struct tb_rate ctl_rate = { 1, SERVE_RELAY_CTL_MS,
	SERVE_RELAY_CTL_BURST };

int
srelay_init(struct server *srv)
{
	struct relays *r = &srv->relay;

	TAILQ_INIT(&r->q);
	randombytes_buf(r->secret, sizeof(r->secret));
	r->secret_ms = uv_now(srv->loop);
	if (htab_init(&r->ids, 64) != 0 || htab_init(&r->addrs, 64) != 0)
		return E2_ERR_NOMEM;
	return 0;
}

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

	for (n = htab_first(&srv->relay.ids, serve_hash(srv, &id,
	    sizeof(id))); n != NULL; n = htab_next(n))
		if (LEG_OF_ID(n)->id == id)
			return LEG_OF_ID(n);
	return NULL;
}

static struct rleg *
relay_by_addr(struct server *srv, const uint8_t k[RKEY_LEN])
{
	struct hnode *n;

	for (n = htab_first(&srv->relay.addrs, serve_hash(srv, k,
	    RKEY_LEN)); n != NULL; n = htab_next(n))
		if (memcmp(LEG_OF_ADDR(n)->akey, k, RKEY_LEN) == 0)
			return LEG_OF_ADDR(n);
	return NULL;
}

/*
 * A relay whose call ended RELAY_LINGER_MS ago, or whose parties have
 * all been gone for SERVE_RELAY_ORPHAN_MS, is gone, swept or not.
 */
static int
relay_over(struct server *srv, const struct rsess *rs)
{
	uint64_t now = uv_now(srv->loop);

	return (rs->end_ms != 0 && now >= rs->end_ms) ||
	    (rs->orphan_ms != 0 && now >= rs->orphan_ms);
}

static void
relay_unbind(struct server *srv, struct rleg *l)
{
	if (!l->bound)
		return;
	htab_remove(&srv->relay.addrs, &l->addr_node);
	l->bound = 0;
}

static void
relay_free(struct server *srv, struct rsess *rs)
{
	int i;

	/* Metadata: only when asked for (--log-level debug). */
	log_debug("relay for call %016llx ended: caller->callee %llu packets "
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
		struct rleg *l = &rs->leg[i];

		relay_unbind(srv, l);
		htab_remove(&srv->relay.ids, &l->id_node);
		if (l->charged_key != NULL) {
			l->charged_key->nrelays--;
			serve_key_unref(srv, l->charged_key);
		}
		if (l->charged_addr != NULL) {
			l->charged_addr->nrelays--;
			serve_addr_unref(srv, l->charged_addr);
		}
		if (rs->party[i] != NULL)
			serve_key_unref(srv, rs->party[i]);
	}
	if (rs->call != NULL)
		rs->call->relay = NULL;
	TAILQ_REMOVE(&srv->relay.q, rs, link);
	srv->relay.n--;
	sodium_memzero(rs, sizeof(*rs));
	free(rs);
}

void
srelay_free(struct server *srv)
{
	while (!TAILQ_EMPTY(&srv->relay.q))
		relay_free(srv, TAILQ_FIRST(&srv->relay.q));
	htab_free(&srv->relay.ids);
	htab_free(&srv->relay.addrs);
	sodium_memzero(srv->relay.secret, sizeof(srv->relay.secret));
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
	rs->party[0] = call->caller->key;
	rs->party[1] = call->callee->key;
	for (i = 0; i < 2; i++) {
		struct rleg *l = &rs->leg[i];

		serve_key_ref(srv, rs->party[i]);
		tb_init(&l->ctl, rs->last_ms, &ctl_rate);
		l->s = rs;
		do
			randombytes_buf(&l->id, sizeof(l->id));
		while (l->id == 0 || relay_by_id(srv, l->id) != NULL);
		randombytes_buf(l->key, sizeof(l->key));
		l->pk_tokens = (uint64_t)srv->o.relay_pps * 1000;
		l->by_tokens = (uint64_t)srv->o.relay_kbps * 125 * 1000;
		l->refill_ms = rs->last_ms;
		htab_insert(&srv->relay.ids, &l->id_node, serve_hash(srv,
		    &l->id, sizeof(l->id)));
	}
	TAILQ_INSERT_TAIL(&srv->relay.q, rs, link);
	srv->relay.n++;
	call->relay = rs;
	return rs;
}

void
srelay_call_ended(struct server *srv, struct call *call, int keep)
{
	if (call->relay == NULL)
		return;
	call->relay->call = NULL;
	if (!keep)
		call->relay->end_ms = uv_now(srv->loop) + RELAY_LINGER_MS;
	call->relay = NULL;
}

static void
send_grant_refusal(struct sclient *sc, uint64_t call, enum sig_reason r,
    const char *text)
{
	sigmsg_init(&out, SIG_RELAY_GRANT);
	sigmsg_set_call(&out, call);
	sigmsg_set_reason(&out, r);
	sigmsg_set_text(&out, text);
	serve_send(sc, &out);
}

/*
 * RELAY_REQUEST(CALL): a party of the call asks for its leg of the
 * call's relay.  The answer names the relay by the address the client
 * reached the server at (the UDP port is the TCP port).
 */
void
srelay_request(struct sclient *sc, const struct sigmsg *m)
{
	struct server *srv = sc->srv;
	struct call *call = route_call_find(srv, m->call);
	struct sockaddr_storage local;
	struct sig_cand cand;
	struct rleg *l;

	if (call == NULL || (call->caller != sc && call->callee != sc)) {
		send_grant_refusal(sc, m->call, SIG_R_PROTOCOL,
		    "no such call");
		return;
	}
	if (!srv->udp_on || nconn_local_addr(sc->nc, &local) != 0) {
		send_grant_refusal(sc, m->call, SIG_R_SERVER,
		    "this server has no UDP socket");
		return;
	}
	l = call->relay != NULL ?
	    &call->relay->leg[call->caller == sc ? 0 : 1] : NULL;
	if (l == NULL || l->charged_key == NULL) {
		/* A new leg is charged to its key and address. */
		if (sc->key->nrelays >= srv->o.relay_per_key) {
			send_grant_refusal(sc, m->call, SIG_R_LIMIT,
			    "too many relayed calls for this key");
			return;
		}
		if (sc->addr->nrelays >= srv->o.relay_per_addr) {
			send_grant_refusal(sc, m->call, SIG_R_LIMIT,
			    "too many relayed calls from this address");
			return;
		}
	}
	if (call->relay == NULL) {
		if (srv->relay.n >= srv->o.max_relays) {
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
	if (l->charged_key == NULL) {
		l->charged_key = sc->key;
		l->charged_addr = sc->addr;
		sc->key->nrelays++;
		sc->addr->nrelays++;
		serve_key_ref(srv, sc->key);
		serve_addr_ref(srv, sc->addr);
	}
	sigmsg_init(&out, SIG_RELAY_GRANT);
	sigmsg_set_call(&out, call->id);
	(void)sigmsg_add_cand(&out, &cand);
	sigmsg_set_relay(&out, l->id, l->key);
	serve_send(sc, &out);
	sodium_memzero(out.relay_key, sizeof(out.relay_key));
}

/* The cookie for leg l at address akey, under secret k (0 now, 1 before). */
static void
relay_cookie(struct server *srv, int k, const struct rleg *l,
    const uint8_t akey[RKEY_LEN], uint8_t cookie[RELAY_COOKIELEN])
{
	relay_cookie_make(srv->relay.secret[k], l->id, akey, RKEY_LEN,
	    cookie);
}

/* 1 when the cookie is the one the server sent to akey lately. */
static int
cookie_ok(struct server *srv, const struct rleg *l,
    const uint8_t akey[RKEY_LEN], const uint8_t got[RELAY_COOKIELEN])
{
	uint8_t want[RELAY_COOKIELEN];
	int k, ok = 0;

	for (k = 0; k < 2 && !ok; k++) {
		relay_cookie(srv, k, l, akey, want);
		ok = sodium_memcmp(want, got, RELAY_COOKIELEN) == 0;
	}
	sodium_memzero(want, sizeof(want));
	return ok;
}

/*
 * RELAY_BIND from `from`.  From the leg's own address it refreshes the
 * leg; from another address it moves the leg there only when it echoes
 * that address's cookie, else the answer is the cookie (RELAY_COOKIE).
 * The answer goes to `from`, within the leg's budget of answers.
 */
void
srelay_bind(struct server *srv, const uint8_t *p, size_t len,
    const struct sockaddr *from)
{
	uint8_t akey[RKEY_LEN], cookie[RELAY_COOKIELEN];
	uint8_t reply[RELAY_COOKIE_LEN];
	struct rleg *l, *other;
	uint64_t leg, seq, now = uv_now(srv->loop);
	size_t rlen;
	uv_buf_t ob;
	char where[INET6_ADDRSTRLEN + 8];

	if (relay_bind_leg(p, len, &leg) != 0 ||
	    (l = relay_by_id(srv, leg)) == NULL || relay_over(srv, l->s) ||
	    relay_bind_open(p, len, l->key, &seq, cookie) != 0 ||
	    seq <= l->seq)
		return;
	l->seq = seq;
	relay_akey(from, akey);
	if (!l->bound || memcmp(l->akey, akey, RKEY_LEN) != 0) {
		if (!cookie_ok(srv, l, akey, cookie)) {
			/* Return routability: is anyone there asking? */
			if (!tb_take(&l->ctl, now, &ctl_rate))
				return;
			relay_cookie(srv, 0, l, akey, cookie);
			relay_cookie_seal(leg, seq, cookie, l->key, reply);
			rlen = RELAY_COOKIE_LEN;
			goto send;
		}
		relay_unbind(srv, l);
		/* The newest BIND from an address wins it. */
		if ((other = relay_by_addr(srv, akey)) != NULL)
			relay_unbind(srv, other);
		netaddr_copy(&l->addr, from);
		memcpy(l->akey, akey, RKEY_LEN);
		htab_insert(&srv->relay.addrs, &l->addr_node,
		    serve_hash(srv, akey, RKEY_LEN));
		l->bound = 1;
		netaddr_str(from, where, sizeof(where));
		log_debug("relay for call %016llx: %s leg bound at %s",
		    (unsigned long long)l->s->call_id,
		    l == &l->s->leg[0] ? "caller" : "callee", where);
	}
	l->s->last_ms = now;
	if (!tb_take(&l->ctl, now, &ctl_rate))
		return;
	other = l == &l->s->leg[0] ? &l->s->leg[1] : &l->s->leg[0];
	relay_bound_seal(leg, seq, other->bound ? RELAY_F_PEER_BOUND : 0,
	    l->key, reply);
	rlen = RELAY_BOUND_LEN;
send:
	ob = uv_buf_init((char *)reply, (unsigned)rlen);
	(void)uv_udp_try_send(&srv->udp, &ob, 1, from);
	sodium_memzero(cookie, sizeof(cookie));
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
void
srelay_forward(struct server *srv, const uint8_t *p, size_t len,
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
	if (uv_udp_try_send(&srv->udp, &ob, 1,
	    (struct sockaddr *)&other->addr) >= 0) {
		l->fwd_pkts++;
		l->fwd_bytes += len;
	}
}

/* 1 when a party of the relay's call has a signaling connection. */
static int
relay_anchored(const struct rsess *rs)
{
	return rs->party[0]->nconn > 0 || rs->party[1]->nconn > 0;
}

void
srelay_sweep(struct server *srv, uint64_t now)
{
	struct relays *r = &srv->relay;
	struct rsess *rs, *next;

	if (now - r->secret_ms >= SERVE_COOKIE_MS) {
		memcpy(r->secret[1], r->secret[0], sizeof(r->secret[1]));
		randombytes_buf(r->secret[0], sizeof(r->secret[0]));
		r->secret_ms = now;
	}
	for (rs = TAILQ_FIRST(&r->q); rs != NULL; rs = next) {
		next = TAILQ_NEXT(rs, link);
		if (rs->call == NULL && rs->end_ms == 0) {
			/* Orphaned: lives on only while a party is here. */
			if (relay_anchored(rs))
				rs->orphan_ms = 0;
			else if (rs->orphan_ms == 0)
				rs->orphan_ms = now + SERVE_RELAY_ORPHAN_MS;
		}
		if (now - rs->last_ms >= srv->o.relay_idle_ms ||
		    relay_over(srv, rs))
			relay_free(srv, rs);
	}
}
