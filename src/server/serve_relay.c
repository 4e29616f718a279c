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
	uint64_t		 fwd_pkts, fwd_bytes, dropped;
};

struct rsess {
	TAILQ_ENTRY(rsess)	 link;		/* relays.q */
	struct call		*call;		/* NULL once orphaned */
	uint64_t		 call_id;
	uint64_t		 last_ms;	/* last datagram either way */
	uint64_t		 end_ms;	/* the call ended: free then */
	struct rleg		 leg[2];	/* caller, callee */
};

#define LEG_OF_ID(n)	((struct rleg *)((char *)(n) - \
			    offsetof(struct rleg, id_node)))
#define LEG_OF_ADDR(n)	((struct rleg *)((char *)(n) - \
			    offsetof(struct rleg, addr_node)))

/* Built output: one loop thread, so shared. */
static struct sigmsg	out;

int
srelay_init(struct server *srv)
{
	struct relays *r = &srv->relay;

	TAILQ_INIT(&r->q);
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
	htab_remove(&srv->relay.addrs, &l->addr_node);
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
		htab_remove(&srv->relay.ids, &rs->leg[i].id_node);
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
	sigmsg_init(&out, SIG_RELAY_GRANT);
	sigmsg_set_call(&out, call->id);
	(void)sigmsg_add_cand(&out, &cand);
	sigmsg_set_relay(&out, l->id, l->key);
	serve_send(sc, &out);
	sodium_memzero(out.relay_key, sizeof(out.relay_key));
}

/* RELAY_BIND from `from`: binds the leg there, answers RELAY_BOUND. */
void
srelay_bind(struct server *srv, const uint8_t *p, size_t len,
    const struct sockaddr *from)
{
	uint8_t akey[RKEY_LEN], reply[RELAY_BOUND_LEN];
	uint8_t cookie[RELAY_COOKIELEN];
	struct rleg *l, *other;
	uint64_t leg, seq;
	uv_buf_t ob;
	char where[INET6_ADDRSTRLEN + 8];

	if (relay_bind_leg(p, len, &leg) != 0 ||
	    (l = relay_by_id(srv, leg)) == NULL || relay_over(srv, l->s) ||
	    relay_bind_open(p, len, l->key, &seq, cookie) != 0 ||
	    seq <= l->seq)
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
		htab_insert(&srv->relay.addrs, &l->addr_node,
		    serve_hash(srv, akey, RKEY_LEN));
		l->bound = 1;
		netaddr_str(from, where, sizeof(where));
		log_debug("relay for call %016llx: %s leg bound at %s",
		    (unsigned long long)l->s->call_id,
		    l == &l->s->leg[0] ? "caller" : "callee", where);
	}
	other = l == &l->s->leg[0] ? &l->s->leg[1] : &l->s->leg[0];
	relay_bound_seal(leg, seq, other->bound ? RELAY_F_PEER_BOUND : 0,
	    l->key, reply);
	ob = uv_buf_init((char *)reply, sizeof(reply));
	(void)uv_udp_try_send(&srv->udp, &ob, 1, from);
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

void
srelay_sweep(struct server *srv, uint64_t now)
{
	struct rsess *rs, *next;

	for (rs = TAILQ_FIRST(&srv->relay.q); rs != NULL; rs = next) {
		next = TAILQ_NEXT(rs, link);
		if (now - rs->last_ms >= srv->o.relay_idle_ms ||
		    (rs->end_ms != 0 && now >= rs->end_ms))
			relay_free(srv, rs);
	}
}
