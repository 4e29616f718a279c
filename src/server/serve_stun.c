/* serve_stun.c - the STUN Binding responder; see serve_stun.h. */
#include <string.h>

#include <uv.h>

#include "netaddr.h"
#include "serve_int.h"
#include "stun.h"

/* The prefix of a (normalized) address: IPv4 /24 or IPv6 /56. */
static void
prefix_key(const struct sockaddr_storage *ss, uint8_t key[8])
{
	memset(key, 0, 8);
	if (ss->ss_family == AF_INET) {
		key[0] = 4;
		memcpy(key + 1, &((const struct sockaddr_in *)ss)->sin_addr,
		    3);
	} else if (ss->ss_family == AF_INET6) {
		key[0] = 6;
		memcpy(key + 1,
		    ((const struct sockaddr_in6 *)ss)->sin6_addr.s6_addr, 7);
	}
}

/* The budget of the sender's prefix (see serve_stun.h). */
static struct tbucket *
prefix_bucket(struct server *srv, const struct sockaddr_storage *ss,
    uint64_t now, const struct tb_rate *r)
{
	struct stunsrv *st = &srv->stun;
	struct stun_slot *s[2];
	uint8_t key[8];
	uint64_t h;
	int i;

	prefix_key(ss, key);
	h = serve_hash(srv, key, sizeof(key));
	s[0] = &st->slot[h & (SSTUN_SLOTS - 1)];
	s[1] = &st->slot[(h >> 32) & (SSTUN_SLOTS - 1)];
	for (i = 0; i < 2; i++)
		if (s[i]->used && memcmp(s[i]->key, key, sizeof(key)) == 0)
			return &s[i]->b;
	for (i = 0; i < 2; i++) {
		if (!s[i]->used || tb_full(&s[i]->b, now, r)) {
			memcpy(s[i]->key, key, sizeof(key));
			s[i]->used = 1;
			tb_init(&s[i]->b, now, r);
			return &s[i]->b;
		}
	}
	return &s[0]->b;
}

void
sstun_answer(struct server *srv, const uint8_t *p, size_t n,
    const struct sockaddr *from)
{
	struct stunsrv *st = &srv->stun;
	struct sockaddr_storage ss;
	struct sig_cand c;
	struct stun_addr sa;
	uint8_t out[STUN_RESP_MAX];
	uint64_t sec, now = uv_now(srv->loop);
	struct tb_rate r = { srv->o.stun_prefix_rate, 1000,
	    srv->o.stun_prefix_rate };
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
	/* The sender's prefix first, then everyone's. */
	if (r.n > 0 && !tb_take(prefix_bucket(srv, &ss, now, &r), now, &r)) {
		st->dropped++;
		return;
	}
	sec = now / 1000;
	if (sec != st->second) {
		st->second = sec;
		st->count = 0;
	}
	if (++st->count > srv->o.stun_rate) {
		st->dropped++;
		return;
	}
	ob = uv_buf_init((char *)out, (unsigned)len);
	(void)uv_udp_try_send(&srv->udp, &ob, 1, from);
}
