/* serve_stun.c - the STUN Binding responder; see serve_stun.h. */
#include <string.h>

#include <uv.h>

#include "netaddr.h"
#include "serve_int.h"
#include "stun.h"

void
sstun_answer(struct server *srv, const uint8_t *p, size_t n,
    const struct sockaddr *from)
{
	struct stunsrv *st = &srv->stun;
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
	if (sec != st->second) {
		st->second = sec;
		st->count = 0;
	}
	if (++st->count > SERVE_STUN_RATE)
		return;
	ob = uv_buf_init((char *)out, (unsigned)len);
	(void)uv_udp_try_send(&srv->udp, &ob, 1, from);
}
