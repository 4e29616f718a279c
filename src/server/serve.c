/*
 * serve.c - the signaling server's connections and dispatch; see serve.h,
 * serve_int.h and docs/PROTOCOL.md 5a.
 *
 * One loop, one thread for all state.  This file owns the listener and
 * the accepted connections (struct sclient) with their per-address
 * records (struct addrent: connections and a handshake token bucket per
 * IPv4 address or IPv6 /64), decodes each message and hands it to its
 * part (the table below), owns the UDP socket whose datagrams go to STUN
 * or the relay, and runs the sweep timer and the signals.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <uv.h>

#include "buf.h"
#include "err.h"
#include "netaddr.h"
#include "noise.h"
#include "relay.h"
#include "serve_int.h"

/* Decoded input and built output: one loop thread, so shared. */
static struct sigmsg	min;
static struct sigmsg	mout;

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
	o->relay_per_key = SERVE_RELAYS_PER_KEY;
	o->relay_per_addr = SERVE_RELAYS_PER_ADDR;
	o->max_names = SERVE_MAX_NAMES;
	o->reg_per_key = SERVE_REG_PER_KEY;
	o->reg_per_addr = SERVE_REG_PER_ADDR;
	o->name_expiry_s = SERVE_NAME_EXPIRY_S;
	o->dial_per_key = SERVE_DIAL_PER_KEY;
	o->dial_per_addr = SERVE_DIAL_PER_ADDR;
	o->stun_rate = SERVE_STUN_RATE;
	o->stun_prefix_rate = SERVE_STUN_PREFIX_RATE;
}

/* ---- shared helpers (serve_int.h) ---- */

void
serve_log_bad(struct server *srv, const char *fmt, ...)
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

void
serve_duration_str(uint64_t ms, char *out, size_t cap)
{
	uint64_t s = (ms + 999) / 1000;

	if (s >= 2 * 86400)
		snprintf(out, cap, "%llu days",
		    (unsigned long long)((s + 86399) / 86400));
	else if (s >= 2 * 3600)
		snprintf(out, cap, "%llu h", (unsigned long long)((s + 3599) /
		    3600));
	else if (s >= 120)
		snprintf(out, cap, "%llu min", (unsigned long long)((s + 59) /
		    60));
	else
		snprintf(out, cap, "%llu s", (unsigned long long)s);
}

uint64_t
serve_hash(const struct server *srv, const void *p, size_t len)
{
	uint8_t h[crypto_shorthash_BYTES];
	uint64_t v;

	crypto_shorthash(h, p, len, srv->hkey);
	memcpy(&v, h, sizeof(v));
	return v;
}

void
serve_key_fp(const uint8_t pub[32], char fp[FINGERPRINT_LEN + 1])
{
	if (fingerprint(pub, fp) != 0)
		snprintf(fp, FINGERPRINT_LEN + 1, "?");
}

void
serve_send(struct sclient *sc, const struct sigmsg *m)
{
	/* A failure closes the connection; on_close cleans up. */
	(void)nconn_send_sig(sc->nc, m);
}

void
serve_send_error(struct sclient *sc, enum sig_reason reason,
    const uint64_t *call, const char *name, const char *fmt, ...)
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
	serve_send(sc, &mout);
}

void
serve_send_hangup(struct sclient *sc, uint64_t call, enum sig_reason reason,
    const char *text)
{
	sigmsg_init(&mout, SIG_HANGUP);
	sigmsg_set_call(&mout, call);
	sigmsg_set_reason(&mout, reason);
	if (text != NULL)
		sigmsg_set_text(&mout, text);
	serve_send(sc, &mout);
}

void
serve_client_drop(struct sclient *sc, const char *fmt, ...)
{
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	serve_log_bad(sc->srv, "%s: closing: %s", nconn_peer_str(sc->nc), why);
	/* Say why first: the close flushes it. */
	serve_send_error(sc, SIG_R_PROTOCOL, NULL, NULL, "%s", why);
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
	h = serve_hash(srv, key, len);
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
	tb_init(&ae->reg, ae->refill_ms, &srv->addr_reg_rate);
	tb_init(&ae->dial, ae->refill_ms, &srv->addr_dial_rate);
	htab_insert(&srv->addrs, &ae->node, h);
	TAILQ_INSERT_TAIL(&srv->idleq, ae, idle);
	return ae;
}

void
serve_addr_ref(struct server *srv, struct addrent *ae)
{
	if (ae->refs++ == 0)
		TAILQ_REMOVE(&srv->idleq, ae, idle);
}

void
serve_addr_unref(struct server *srv, struct addrent *ae)
{
	if (--ae->refs == 0)
		TAILQ_INSERT_TAIL(&srv->idleq, ae, idle);
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
addr_free(struct server *srv, struct addrent *ae)
{
	TAILQ_REMOVE(&srv->idleq, ae, idle);
	htab_remove(&srv->addrs, &ae->node);
	free(ae);
}

/* ---- per-key records ---- */

static struct keyent *
key_get(struct server *srv, const uint8_t pub[32])
{
	struct keyent *ke;
	struct hnode *n;
	uint64_t h = serve_hash(srv, pub, 32);

	for (n = htab_first(&srv->keys, h); n != NULL; n = htab_next(n)) {
		ke = (struct keyent *)((char *)n -
		    offsetof(struct keyent, node));
		if (memcmp(ke->pub, pub, 32) == 0)
			return ke;
	}
	if ((ke = calloc(1, sizeof(*ke))) == NULL)
		return NULL;
	memcpy(ke->pub, pub, 32);
	tb_init(&ke->reg, uv_now(srv->loop), &srv->key_reg_rate);
	tb_init(&ke->dial, uv_now(srv->loop), &srv->key_dial_rate);
	htab_insert(&srv->keys, &ke->node, h);
	TAILQ_INSERT_TAIL(&srv->key_idleq, ke, idle);
	return ke;
}

void
serve_key_ref(struct server *srv, struct keyent *ke)
{
	if (ke->refs++ == 0)
		TAILQ_REMOVE(&srv->key_idleq, ke, idle);
}

void
serve_key_unref(struct server *srv, struct keyent *ke)
{
	if (--ke->refs == 0)
		TAILQ_INSERT_TAIL(&srv->key_idleq, ke, idle);
}

static void
key_free(struct server *srv, struct keyent *ke)
{
	TAILQ_REMOVE(&srv->key_idleq, ke, idle);
	htab_remove(&srv->keys, &ke->node);
	free(ke);
}

/* ---- dispatch ---- */

static void
h_register(struct sclient *sc, const struct sigmsg *m, const uint8_t *raw,
    size_t len)
{
	reg_register(sc, m);
}

static void
h_move(struct sclient *sc, const struct sigmsg *m, const uint8_t *raw,
    size_t len)
{
	reg_move(sc, m);
}

static void
h_dial(struct sclient *sc, const struct sigmsg *m, const uint8_t *raw,
    size_t len)
{
	route_dial(sc, m);
}

static void
h_relay_request(struct sclient *sc, const struct sigmsg *m,
    const uint8_t *raw, size_t len)
{
	srelay_request(sc, m);
}

static void
h_ping(struct sclient *sc, const struct sigmsg *m, const uint8_t *raw,
    size_t len)
{
	sigmsg_init(&mout, SIG_PONG);
	serve_send(sc, &mout);
}

static void
h_pong(struct sclient *sc, const struct sigmsg *m, const uint8_t *raw,
    size_t len)
{
}

static const struct {
	uint8_t	type;
	void	(*fn)(struct sclient *, const struct sigmsg *,
		    const uint8_t *, size_t);
} handlers[] = {
	{ SIG_REGISTER, h_register },
	{ SIG_MOVE, h_move },
	{ SIG_DIAL, h_dial },
	{ SIG_RINGING, route_relay },
	{ SIG_HANDSHAKE, route_relay },
	{ SIG_ACCEPT, route_relay },
	{ SIG_REJECT, route_relay },
	{ SIG_HANGUP, route_relay },
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
		serve_send_error(sc, SIG_R_BAD_NAME,
		    msg[0] == SIG_DIAL ? &min.call : NULL, NULL, "%s", rule);
		return;
	}
	serve_client_drop(sc, "undecodable %s message: %s",
	    len > 0 ? sigmsg_type_name(msg[0]) : "empty", e2_strerror(rc));
}

/* ---- connection callbacks ---- */

static void
on_open(struct nconn *nc, void *arg)
{
	struct sclient *sc = arg;

	if (sc == NULL)
		return;
	nconn_remote_static(nc, sc->pub);
	if ((sc->key = key_get(sc->srv, sc->pub)) == NULL) {
		nconn_close(nc, "out of memory");
		return;
	}
	serve_key_ref(sc->srv, sc->key);
	sc->key->nconn++;
	sc->open = 1;
	sigmsg_init(&mout, SIG_WELCOME);
	mout.version = SIG_VERSION;
	mout.fields |= 1u << SIG_T_VERSION;
	serve_send(sc, &mout);
}

static void
on_msg(struct nconn *nc, const uint8_t *msg, size_t len, void *arg)
{
	struct sclient *sc = arg;
	size_t i;
	int rc;

	if (sc == NULL || !sc->open)
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
	serve_client_drop(sc, "%s is not a client message",
	    sigmsg_type_name(min.type));
}

static void
on_close(struct nconn *nc, int err, const char *why, void *arg)
{
	struct sclient *sc = arg;
	struct server *srv;

	if (sc == NULL)
		return;
	srv = sc->srv;
	if (err != 0 && err != E2_ERR_IO)
		serve_log_bad(srv, "%s: %s", nconn_peer_str(nc), why);
	else
		log_debug("%s: closed: %s", nconn_peer_str(nc), why);
	reg_unwait(sc);
	route_client_gone(sc);
	if (sc->key != NULL) {
		sc->key->nconn--;
		serve_key_unref(srv, sc->key);
	}
	sc->addr->nconn--;
	serve_addr_unref(srv, sc->addr);
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
	serve_log_bad(srv, "%s: refused: %s", nconn_peer_str(nc), why);
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
		serve_log_bad(srv, "accept: %s", uv_strerror(status));
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
		serve_log_bad(srv, "accept: %s", e2_strerror(rc));
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
	ae->nconn++;
	serve_addr_ref(srv, ae);
	sc->srv = srv;
	sc->nc = nc;
	sc->addr = ae;
	LIST_INSERT_HEAD(&srv->clients, sc, link);
	srv->nconns++;
}

/* ---- UDP: STUN and the relay ---- */

static void
udp_alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
	/* One byte more than the largest datagram, to see truncation. */
	static uint8_t buf[1221 + 1];

	*b = uv_buf_init((char *)buf, sizeof(buf));
}

static void
udp_recv_cb(uv_udp_t *u, ssize_t n, const uv_buf_t *b,
    const struct sockaddr *from, unsigned flags)
{
	struct server *srv = u->data;
	const uint8_t *p = (const uint8_t *)b->base;

	if (n <= 0 || from == NULL || (flags & UV_UDP_PARTIAL))
		return;
	switch (relay_classify(p, (size_t)n)) {
	case RELAY_DG_STUN:
		sstun_answer(srv, p, (size_t)n, from);
		break;
	case RELAY_DG_BIND:
		srelay_bind(srv, p, (size_t)n, from);
		break;
	case RELAY_DG_MEDIA:
		srelay_forward(srv, p, (size_t)n, from);
		break;
	default:
		break;
	}
}

static void
udp_start(struct server *srv, const char *where)
{
	int rc;

	if ((rc = uv_udp_init(srv->loop, &srv->udp)) != 0)
		return;
	srv->udp.data = srv;
	srv->udp_on = 1;
	if ((rc = uv_udp_bind(&srv->udp, (const struct sockaddr *)
	    &srv->o.listen, 0)) != 0 ||
	    (rc = uv_udp_recv_start(&srv->udp, udp_alloc_cb,
	    udp_recv_cb)) != 0) {
		log_warn("no STUN responder on UDP %s: %s", where,
		    uv_strerror(rc));
		uv_close((uv_handle_t *)&srv->udp, NULL);
		srv->udp_on = 0;
		return;
	}
	log_info("STUN responder on UDP %s", where);
}

/* ---- timers, signals ---- */

static void
sweep_cb(uv_timer_t *t)
{
	struct server *srv = t->data;
	struct addrent *ae, *anext;
	struct keyent *ke, *knext;
	uint64_t now = uv_now(srv->loop), full_ms;

	route_sweep(srv, now);
	srelay_sweep(srv, now);
	reg_sweep(srv, now);
	/* An idle record goes once its buckets would be full. */
	full_ms = srv->o.hs_rate > 0 ?
	    (uint64_t)srv->o.hs_burst * 1000 / srv->o.hs_rate : 0;
	for (ae = TAILQ_FIRST(&srv->idleq); ae != NULL; ae = anext) {
		anext = TAILQ_NEXT(ae, idle);
		if (now - ae->refill_ms >= full_ms &&
		    tb_full(&ae->reg, now, &srv->addr_reg_rate) &&
		    tb_full(&ae->dial, now, &srv->addr_dial_rate))
			addr_free(srv, ae);
	}
	for (ke = TAILQ_FIRST(&srv->key_idleq); ke != NULL; ke = knext) {
		knext = TAILQ_NEXT(ke, idle);
		if (tb_full(&ke->reg, now, &srv->key_reg_rate) &&
		    tb_full(&ke->dial, now, &srv->key_dial_rate))
			key_free(srv, ke);
	}
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
	if (srv->udp_on)
		uv_close((uv_handle_t *)&srv->udp, NULL);
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

	struct keyent *ke;

	/* First what holds records, then the records. */
	srelay_free(srv);
	reg_free(srv);
	route_free(srv);
	while ((ae = TAILQ_FIRST(&srv->idleq)) != NULL)
		addr_free(srv, ae);
	while ((ke = TAILQ_FIRST(&srv->key_idleq)) != NULL)
		key_free(srv, ke);
	htab_free(&srv->addrs);
	htab_free(&srv->keys);
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
	srv->key_reg_rate.n = srv->key_reg_rate.burst = o->reg_per_key;
	srv->key_reg_rate.per_ms = 3600000;
	srv->addr_reg_rate.n = srv->addr_reg_rate.burst = o->reg_per_addr;
	srv->addr_reg_rate.per_ms = 3600000;
	srv->key_dial_rate.n = srv->key_dial_rate.burst = o->dial_per_key;
	srv->key_dial_rate.per_ms = 60000;
	srv->addr_dial_rate.n = srv->addr_dial_rate.burst = o->dial_per_addr;
	srv->addr_dial_rate.per_ms = 60000;
	crypto_shorthash_keygen(srv->hkey);
	LIST_INIT(&srv->clients);
	TAILQ_INIT(&srv->idleq);
	TAILQ_INIT(&srv->key_idleq);
	if (srelay_init(srv) != 0 || route_init(srv) != 0 ||
	    reg_init(srv) != 0 || htab_init(&srv->addrs, 256) != 0 ||
	    htab_init(&srv->keys, 256) != 0) {
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
	udp_start(srv, where);

	uv_signal_init(srv->loop, &srv->sigint);
	uv_signal_init(srv->loop, &srv->sigterm);
	srv->sigint.data = srv->sigterm.data = srv;
	uv_signal_start(&srv->sigint, signal_cb, SIGINT);
	uv_signal_start(&srv->sigterm, signal_cb, SIGTERM);
	uv_timer_init(srv->loop, &srv->sweep);
	srv->sweep.data = srv;
	uv_timer_start(&srv->sweep, sweep_cb, SERVE_SWEEP_MS, SERVE_SWEEP_MS);

	uv_run(srv->loop, UV_RUN_DEFAULT);

	uv_loop_close(srv->loop);
	server_free(srv);
	return 0;
}
