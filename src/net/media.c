/*
 * media.c - one call's media on the loop; see media.h.
 *
 * The network side: one UDP socket for everything (STUN to the STUN
 * server, RELAY_BIND to the relay, media to the peer), and a list of
 * entries, the peer's addresses worth checking: its candidates, my relay
 * and the peer-reflexive addresses authenticated packets came from.  An
 * entry is "ok" once a CHECK_REPLY came back from the very address the
 * CHECK went to; the path is the best ok entry (see select_path()).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#include <sodium.h>

#include "client.h"
#include "err.h"
#include "jbuf.h"
#include "log.h"
#include "media.h"
#include "mpkt.h"
#include "netaddr.h"
#include "relay.h"
#include "stun.h"

#define TICK_MS			50	/* the network timer */
#define CHECK_INTERVAL_MS	100	/* checks to unconfirmed entries */
#define KEEPALIVE_MS		200	/* a check to the path */
#define PATH_DEAD_MS		400	/* nothing from the path (+ 2 RTT) */
#define RECOVER_WAIT_MS		100	/* the old path's head start */
#define STUN_RTX_MS		100	/* then 200, 400: within GATHER_MS */
#define BIND_RTX_MS		250	/* RELAY_BIND until RELAY_BOUND */
#define BIND_REFRESH_MS		10000	/* keeps the relay and NAT alive */
#define GAP_REPORT_MS		200	/* audio gaps worth a note */
#define STATS_INTERVAL_MS	1000
#define ECHO_MAX_MS		3000
#define MEDIA_MAX_ENT		16
#define KIND_PRFLX		4	/* not on the wire: learned from a
					   packet's source */

/* A peer address worth checking. */
struct pent {
	struct sockaddr_storage addr;	/* normalized */
	uint8_t		 kind;		/* SIG_CAND_* or KIND_PRFLX */
	uint8_t		 ok;		/* answered a check */
	uint64_t	 sent_ms;	/* last check to it */
	uint64_t	 reply_ms;	/* last reply from it */
};

struct media {
	uv_loop_t	*loop;
	struct media_opts opts;
	int		 sig_loopback;	/* signaling on loopback: so may media */
	uv_udp_t	 udp;
	uv_timer_t	 check_timer;
	uv_timer_t	 stats_timer;
	int		 handles_open;
	int		 freeing;
	int		 started;
	int		 v6;		/* the socket is dual-stack IPv6 */
	uint16_t	 port;

	struct mpkt	*pk;
	struct codec	*codec;
	struct audio	*audio;
	struct jbuf	 jb;
	size_t		 frame_samples;
	int		 muted;
	int		 playing;	/* playout has begun */

	size_t		 ncand;		/* host candidates */
	struct sig_cand	 cand[SIG_CAND_MAX];
	int		 have_path;
	struct sockaddr_storage path;	/* where media goes: ent[cur] */
	uint64_t	 check_seq;

	/* entries and the path */
	struct pent	 ent[MEDIA_MAX_ENT];
	size_t		 nent;
	int		 cur;		/* the path's entry, -1 none */
	uint64_t	 start_ms, check_until_ms, recover_ms;
	int		 recovering;
	uint64_t	 last_audio_ms;

	/* gathering */
	uint64_t	 gather_start_ms;
	int		 gathered;
	int		 have_stun, stun_done, stun_tries, have_srflx;
	struct sockaddr_storage stun;
	uint8_t		 stun_tid[STUN_TIDLEN];
	uint64_t	 stun_next_ms;
	struct sig_cand	 srflx;

	/* the relay leg */
	enum { RL_NONE, RL_WAIT, RL_GRANTED, RL_REFUSED } relay;
	struct sockaddr_storage relay_addr;
	uint64_t	 relay_leg, relay_seq, relay_seq_sent;
	uint8_t		 relay_key[RELAY_KEYLEN];
	uint8_t		 relay_cookie[RELAY_COOKIELEN];	/* echoed in BIND */
	int		 relay_bound, bind_pending;
	uint64_t	 bind_next_ms, bind_done_ms;

	/* receive side */
	uint64_t	 last_rx_ms;
	int		 quiet, dead, eof_sent;
	uint32_t	 hi_seq;
	int		 have_hi;
	uint32_t	 hi_ctr[2];	/* newest counter per class */
	int		 have_ctr[2];
	uint32_t	 iv_hi_start;
	uint64_t	 iv_received;
	uint64_t	 tx_bytes, rx_bytes, tx_bytes_prev, rx_bytes_prev;
	struct cl_stats	 st;
	uint64_t	 ticks;

	FILE		*dump;		/* --dump-opus */
	uint64_t	 first_capture_ns, first_playback_ns;
	int		 clock_sent;

	/* echo: a delay line of decoded audio */
	int16_t		*echo;
	size_t		 echo_len, echo_w, echo_r;

	uint8_t		 rxbuf[MPKT_MAX_DATAGRAM + 64];
	uint8_t		 plain[MPKT_MAX_DATAGRAM];
};

static uint64_t
now_ms(const struct media *m)
{
	(void)m;
	return uv_hrtime() / 1000000;
}

static void
emit(struct media *m, enum media_event ev, const char *text)
{
	if (m->opts.event_cb != NULL && !m->freeing)
		m->opts.event_cb(m->opts.arg, ev, text);
}

/* ---- sending ---- */

static void
send_to(struct media *m, const struct sockaddr *to, const uint8_t *p,
    size_t len)
{
	struct sockaddr_storage ss;
	uv_buf_t b = uv_buf_init((char *)p, (unsigned)len);
	int r;

	netaddr_for_socket(to, m->v6, &ss);
	r = uv_udp_try_send(&m->udp, &b, 1, (const struct sockaddr *)&ss);
	if (r < 0)
		log_debug("media: send failed: %s", uv_strerror(r));
	else
		m->tx_bytes += len;
}

static int
seal_send(struct media *m, enum mpkt_type type, const uint8_t *pl,
    size_t len, const struct sockaddr *to)
{
	uint8_t out[MPKT_MAX_DATAGRAM];
	size_t olen;
	int r;

	if ((r = mpkt_seal(m->pk, type, pl, len, out, sizeof(out),
	    &olen)) != 0)
		return r;
	send_to(m, to, out, olen);
	if (type == MPKT_AUDIO)
		m->st.tx_packets++;
	return 0;
}

static int
send_ctrl(struct media *m, const struct mpkt_ctrl *c,
    const struct sockaddr *to)
{
	uint8_t pl[MPKT_CTRL_MAXLEN];
	size_t len;
	int r;

	if ((r = mpkt_ctrl_encode(c, pl, sizeof(pl), &len)) != 0)
		return r;
	return seal_send(m, MPKT_CONTROL, pl, len, to);
}

/* ---- audio callbacks (one frame period each) ---- */

static float
peak(const int16_t *pcm, size_t n)
{
	int max = 0, v;
	size_t i;

	for (i = 0; i < n; i++) {
		v = pcm[i] < 0 ? -pcm[i] : pcm[i];
		if (v > max)
			max = v;
	}
	return (float)max / 32768.0f;
}

static void
capture_cb(void *arg, const int16_t *pcm, size_t n)
{
	struct media *m = arg;
	int16_t frame[AUDIO_MAX_FRAME];
	uint8_t pkt[JBUF_MAX_PKT];
	size_t i;
	int len;

	if (!m->started || m->freeing || n != m->frame_samples)
		return;
	if (m->first_capture_ns == 0)
		m->first_capture_ns = uv_hrtime();
	if (m->echo != NULL) {
		for (i = 0; i < n; i++) {
			frame[i] = m->echo[m->echo_r];
			m->echo_r = (m->echo_r + 1) % m->echo_len;
		}
	} else if (m->muted) {
		memset(frame, 0, n * sizeof(frame[0]));
	} else {
		memcpy(frame, pcm, n * sizeof(frame[0]));
	}
	m->st.in_level = m->muted ? 0.0f : peak(frame, n);
	len = codec_encode(m->codec, frame, pkt, sizeof(pkt));
	if (m->dump != NULL && len > 2) {
		uint8_t hdr[2] = { (uint8_t)(len >> 8), (uint8_t)len };

		fwrite(hdr, 1, 2, m->dump);
		fwrite(pkt, 1, (size_t)len, m->dump);
	}
	if (len > 2 && m->have_path) {
		if (seal_send(m, MPKT_AUDIO, pkt, (size_t)len,
		    (struct sockaddr *)&m->path) == E2_ERR_NONCE)
			emit(m, MEDIA_EV_ERROR, "packet counter exhausted");
	} else {
		/* DTX, or no path yet: the frame index still moves on. */
		(void)mpkt_skip_audio(m->pk, 1);
	}
}

static void
playback_cb(void *arg, int16_t *pcm, size_t n)
{
	struct media *m = arg;
	uint8_t pkt[JBUF_MAX_PKT];
	enum jbuf_result r;
	size_t len = 0, i;
	int dec;

	memset(pcm, 0, n * sizeof(pcm[0]));
	if (!m->started || m->freeing || n != m->frame_samples)
		return;
	if (m->first_playback_ns == 0)
		m->first_playback_ns = uv_hrtime();
	r = jbuf_get(&m->jb, now_ms(m), pkt, &len);
	switch (r) {
	case JBUF_FRAME:
		dec = codec_decode(m->codec, pkt, len, 0, pcm);
		break;
	case JBUF_FEC:
		dec = codec_decode(m->codec, pkt, len, 1, pcm);
		break;
	case JBUF_LOST:
		dec = codec_decode(m->codec, NULL, 0, 0, pcm);
		break;
	default:
		dec = 0;
		if (m->playing)
			m->st.empty++;
		break;
	}
	if (r != JBUF_EMPTY)
		m->playing = 1;
	if (dec < 0)
		memset(pcm, 0, n * sizeof(pcm[0]));
	m->st.out_level = peak(pcm, n);
	if (m->echo != NULL) {
		for (i = 0; i < n; i++) {
			m->echo[m->echo_w] = pcm[i];
			m->echo_w = (m->echo_w + 1) % m->echo_len;
		}
		/* The echo bot's own speaker stays silent. */
		memset(pcm, 0, n * sizeof(pcm[0]));
	}
}

/* ---- receiving ---- */

static void
on_ctrl(struct media *m, const struct mpkt_ctrl *c,
    const struct sockaddr *from)
{
	struct mpkt_ctrl reply;
	uint64_t now_us;

	memset(&reply, 0, sizeof(reply));
	switch (c->type) {
	case MPKT_CTRL_PING:
		reply.type = MPKT_CTRL_PONG;
		reply.value = c->value;
		(void)send_ctrl(m, &reply, from);
		break;
	case MPKT_CTRL_PONG:
		now_us = uv_hrtime() / 1000;
		if (c->value <= now_us && now_us - c->value < 60000000ULL)
			/* Rounded up: loopback answers in well under 1 ms. */
			m->st.rtt_ms = (uint32_t)((now_us - c->value + 999) /
			    1000);
		break;
	case MPKT_CTRL_BYE:
		emit(m, MEDIA_EV_BYE, NULL);
		break;
	case MPKT_CTRL_STATS:
		m->st.peer_loss_pm = c->loss_pm;
		codec_set_loss(m->codec, (c->loss_pm + 5) / 10);
		break;
	case MPKT_CTRL_CHECK:
		reply.type = MPKT_CTRL_CHECK_REPLY;
		reply.value = c->value;
		(void)send_ctrl(m, &reply, from);
		break;
	case MPKT_CTRL_CHECK_REPLY:
		break;
	}
}

/* ---- entries and the path ---- */

static const char *
kind_name(uint8_t kind)
{
	switch (kind) {
	case SIG_CAND_HOST:	return "host";
	case SIG_CAND_SRFLX:	return "srflx";
	case KIND_PRFLX:	return "prflx";
	case SIG_CAND_RELAY:	return "relay";
	}
	return "?";
}

/* Preference: host, srflx, prflx, relay. */
static int
rank(uint8_t kind)
{
	switch (kind) {
	case SIG_CAND_HOST:	return 0;
	case SIG_CAND_SRFLX:	return 1;
	case KIND_PRFLX:	return 2;
	}
	return 3;
}

static int
ent_find(const struct media *m, const struct sockaddr *sa)
{
	size_t i;

	for (i = 0; i < m->nent; i++)
		if (netaddr_equal((const struct sockaddr *)&m->ent[i].addr,
		    sa))
			return (int)i;
	return -1;
}

/* Adds an entry (or finds it); -1 when the list is full or refused. */
static int
ent_add(struct media *m, const struct sockaddr *sa, uint8_t kind)
{
	struct pent *e;
	int i;

	if ((i = ent_find(m, sa)) >= 0)
		return i;
	if (m->nent == MEDIA_MAX_ENT || (!m->v6 && sa->sa_family == AF_INET6 &&
	    !IN6_IS_ADDR_V4MAPPED(&((const struct sockaddr_in6 *)sa)->
	    sin6_addr)))
		return -1;
	/* relay-only: nothing but the relay is ever sent to */
	if (m->opts.relay_only && kind != SIG_CAND_RELAY)
		return -1;
	e = &m->ent[m->nent];
	memset(e, 0, sizeof(*e));
	netaddr_copy(&e->addr, sa);
	netaddr_normalize(&e->addr);
	e->kind = kind;
	return (int)m->nent++;
}

static int
is_relay_addr(const struct media *m, const struct sockaddr *sa)
{
	return m->relay == RL_GRANTED &&
	    netaddr_equal((const struct sockaddr *)&m->relay_addr, sa);
}

static void
switch_to(struct media *m, int i, uint64_t now)
{
	char addr[80], text[96];

	if (m->cur == i && m->have_path)
		return;
	if (m->have_path)
		m->st.path_changes++;
	else
		m->st.path_ms = (uint32_t)(now - m->start_ms);
	m->cur = i;
	m->recovering = 0;
	m->path = m->ent[i].addr;
	m->have_path = 1;
	netaddr_str((struct sockaddr *)&m->path, addr, sizeof(addr));
	snprintf(text, sizeof(text), "%s (%s)", addr, kind_name(m->ent[i].kind));
	emit(m, MEDIA_EV_PATH, text);
}

/* Is there anything but the relay to try? */
static int
has_direct(const struct media *m)
{
	size_t i;

	for (i = 0; i < m->nent; i++)
		if (m->ent[i].kind != SIG_CAND_RELAY)
			return 1;
	return 0;
}

/*
 * The path: the best entry that answered.  A working path gives way only
 * to a better one.  Without one, a direct entry is taken at once; the
 * relay only after MEDIA_RELAY_GRACE_MS (direct pairs may still be
 * punching through; at once when there is no direct entry at all) or, when a path was lost, RECOVER_WAIT_MS, which is
 * also how long the lost path keeps its chance against worse ones.
 */
static void
select_path(struct media *m, uint64_t now)
{
	int best = -1, cur_ok;
	uint64_t base;
	size_t i;

	for (i = 0; i < m->nent; i++)
		if (m->ent[i].ok && (best < 0 ||
		    rank(m->ent[i].kind) < rank(m->ent[best].kind)))
			best = (int)i;
	if (best < 0)
		return;
	cur_ok = m->cur >= 0 && m->ent[m->cur].ok;
	if (cur_ok) {
		m->recovering = 0;
		if (rank(m->ent[best].kind) < rank(m->ent[m->cur].kind))
			switch_to(m, best, now);
		return;
	}
	base = m->recovering ? m->recover_ms : m->start_ms;
	if (m->ent[best].kind == SIG_CAND_RELAY && !m->opts.relay_only &&
	    has_direct(m) && now - base < (m->recovering ? RECOVER_WAIT_MS :
	    MEDIA_RELAY_GRACE_MS))
		return;
	if (m->recovering && m->cur >= 0 && rank(m->ent[best].kind) >
	    rank(m->ent[m->cur].kind) && now - base < RECOVER_WAIT_MS)
		return;
	switch_to(m, best, now);
}

static void
send_check(struct media *m, int i, uint64_t now)
{
	struct mpkt_ctrl c;

	memset(&c, 0, sizeof(c));
	c.type = MPKT_CTRL_CHECK;
	c.value = ++m->check_seq << 8 | (uint64_t)i;
	m->ent[i].sent_ms = now;
	if (send_ctrl(m, &c, (struct sockaddr *)&m->ent[i].addr) == 0)
		m->st.checks_sent++;
}

/* The path stopped answering: check everything again. */
static void
start_recovery(struct media *m, uint64_t now)
{
	size_t i;

	m->recovering = 1;
	m->recover_ms = now;
	m->check_until_ms = now + MEDIA_CHECK_MS;
	m->st.recoveries++;
	for (i = 0; i < m->nent; i++) {
		m->ent[i].ok = 0;
		m->ent[i].sent_ms = 0;
	}
	if (m->relay == RL_GRANTED) {
		m->bind_pending = 1;
		m->bind_next_ms = now;
	}
	emit(m, MEDIA_EV_LOST, "the media path stopped answering: "
	    "checking every candidate again");
}

/* An authenticated CHECK_REPLY from `from`. */
static void
on_check_reply(struct media *m, uint64_t value, const struct sockaddr *from,
    uint64_t now)
{
	size_t i = (size_t)(value & 0xff);

	if (i >= m->nent ||
	    !netaddr_equal((struct sockaddr *)&m->ent[i].addr, from))
		return;		/* not the address it was sent to */
	m->st.checks_ok++;
	m->ent[i].ok = 1;
	m->ent[i].reply_ms = now;
	select_path(m, now);
}

/*
 * An authenticated CHECK from `from`: a peer-reflexive entry when the
 * address is new.  It came in, so the way back works too (the same
 * addresses and ports, which every NAT lets through both ways once one
 * packet passed): the entry is ok.  A check back at once (a triggered
 * check) lets the peer confirm its side as quickly.
 */
static void
on_check(struct media *m, const struct sockaddr *from, uint64_t now)
{
	int i;

	if ((i = ent_find(m, from)) < 0 &&
	    (i = ent_add(m, from, KIND_PRFLX)) < 0)
		return;
	if (!m->ent[i].ok && now - m->ent[i].sent_ms >= CHECK_INTERVAL_MS / 2)
		send_check(m, i, now);
	m->ent[i].ok = 1;
	m->ent[i].reply_ms = now;
	select_path(m, now);
}

/*
 * The newest authenticated packet (not a check) came from `from`, which
 * is not the path: the peer moved (roaming), unless our path works and
 * the peer simply sends over a worse one.
 */
static void
on_moved(struct media *m, const struct sockaddr *from, uint64_t now)
{
	int i = ent_find(m, from), cur_ok;

	cur_ok = m->cur >= 0 && m->ent[m->cur].ok;
	if (cur_ok && i >= 0 && (m->ent[i].kind == SIG_CAND_RELAY ||
	    rank(m->ent[i].kind) > rank(m->ent[m->cur].kind)))
		return;
	if (i < 0 && (i = ent_add(m, from, KIND_PRFLX)) < 0)
		return;
	m->ent[i].ok = 1;
	m->ent[i].reply_ms = now;
	switch_to(m, i, now);
}

/* ---- STUN and the relay leg ---- */

static void
gather_check(struct media *m, uint64_t now)
{
	int waiting;

	if (m->gathered)
		return;
	waiting = (m->have_stun && !m->stun_done) || m->relay == RL_WAIT;
	if (waiting && now - m->gather_start_ms < MEDIA_GATHER_MS)
		return;
	m->gathered = 1;
	if (m->have_stun && !m->stun_done)
		emit(m, MEDIA_EV_NOTE, "no answer from the STUN server: "
		    "no server-reflexive candidate");
	emit(m, MEDIA_EV_GATHERED, NULL);
}

static void
stun_send(struct media *m, uint64_t now)
{
	uint8_t req[STUN_REQ_LEN];
	size_t len;

	if (m->stun_tries == 0)
		randombytes_buf(m->stun_tid, sizeof(m->stun_tid));
	if (stun_binding_request(m->stun_tid, req, sizeof(req), &len) != 0)
		return;
	send_to(m, (struct sockaddr *)&m->stun, req, len);
	m->stun_next_ms = now + ((uint64_t)STUN_RTX_MS << m->stun_tries);
	m->stun_tries++;
}

static void
on_stun(struct media *m, const uint8_t *p, size_t len, uint64_t now)
{
	struct stun_addr sa;
	struct sig_cand c;
	char addr[80], line[120];
	struct sockaddr_storage ss;
	size_t i;

	if (!m->have_stun || m->stun_done ||
	    stun_parse_response(p, len, m->stun_tid, &sa) != 0)
		return;
	m->stun_done = 1;
	memset(&c, 0, sizeof(c));
	c.kind = SIG_CAND_SRFLX;
	c.family = sa.family;
	memcpy(c.addr, sa.addr, sizeof(c.addr));
	c.port = sa.port;
	/* The same as a host candidate: no NAT in between. */
	for (i = 0; i < m->ncand; i++)
		if (m->cand[i].family == c.family && m->cand[i].port ==
		    c.port && memcmp(m->cand[i].addr, c.addr,
		    c.family == 4 ? 4 : 16) == 0)
			break;
	if (i == m->ncand && netaddr_from_cand(&c, &ss) == 0) {
		m->srflx = c;
		m->have_srflx = 1;
		netaddr_str((struct sockaddr *)&ss, addr, sizeof(addr));
		snprintf(line, sizeof(line), "server-reflexive candidate %s",
		    addr);
		emit(m, MEDIA_EV_NOTE, line);
	}
	gather_check(m, now);
}

static void
bind_send(struct media *m, uint64_t now)
{
	uint8_t d[RELAY_BIND_LEN];

	relay_bind_seal(m->relay_leg, ++m->relay_seq, m->relay_cookie,
	    m->relay_key, d);
	send_to(m, (struct sockaddr *)&m->relay_addr, d, sizeof(d));
	m->bind_next_ms = now + BIND_RTX_MS;
}

/*
 * RELAY_COOKIE: the relay wants proof that this socket's address (as it
 * sees it) is mine before it binds the leg here.  A new cookie is echoed
 * at once; the same one again waits for the next retransmission.
 */
static void
on_cookie(struct media *m, const uint8_t *p, size_t len,
    const struct sockaddr *from, uint64_t now)
{
	uint8_t cookie[RELAY_COOKIELEN];
	uint64_t seq;

	if (m->relay != RL_GRANTED || !is_relay_addr(m, from) ||
	    relay_cookie_open(p, len, m->relay_leg, m->relay_key, &seq,
	    cookie) != 0 || seq <= m->relay_seq_sent)
		return;
	if (sodium_memcmp(cookie, m->relay_cookie, sizeof(cookie)) != 0) {
		memcpy(m->relay_cookie, cookie, sizeof(cookie));
		m->bind_pending = 1;
		bind_send(m, now);
	}
	sodium_memzero(cookie, sizeof(cookie));
}

static void
on_bound(struct media *m, const uint8_t *p, size_t len,
    const struct sockaddr *from, uint64_t now)
{
	uint64_t seq;
	uint8_t flags;

	if (m->relay != RL_GRANTED || !is_relay_addr(m, from) ||
	    relay_bound_open(p, len, m->relay_leg, m->relay_key, &seq,
	    &flags) != 0 || seq <= m->relay_seq_sent)
		return;
	m->relay_seq_sent = seq;	/* answers to older BINDs are stale */
	m->bind_pending = 0;
	m->bind_next_ms = now + BIND_REFRESH_MS;
	if (!m->relay_bound)
		emit(m, MEDIA_EV_NOTE, "relay leg bound");
	m->relay_bound = 1;
	m->st.relay = 2;
}

static void
alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	struct media *m = h->data;

	(void)hint;
	*b = uv_buf_init((char *)m->rxbuf, sizeof(m->rxbuf));
}

static void
recv_cb(uv_udp_t *u, ssize_t nread, const uv_buf_t *b,
    const struct sockaddr *from, unsigned flags)
{
	struct media *m = u->data;
	const uint8_t *p = (const uint8_t *)b->base;
	struct mpkt_ctrl c;
	enum mpkt_type type;
	uint64_t now;
	uint32_t ctr;
	size_t len;
	int r, cls, newest, check = 0;

	if (nread <= 0 || from == NULL || m->freeing)
		return;
	if (flags & UV_UDP_PARTIAL) {
		m->st.bad++;
		return;
	}
	now = now_ms(m);
	/* From the STUN server or the relay: never media. */
	if (p[0] <= 0x01 && stun_is_message(p, (size_t)nread)) {
		on_stun(m, p, (size_t)nread, now);
		return;
	}
	if (p[0] == RELAY_BOUND) {
		on_bound(m, p, (size_t)nread, from, now);
		return;
	}
	if (p[0] == RELAY_COOKIE) {
		on_cookie(m, p, (size_t)nread, from, now);
		return;
	}
	if (!m->started)
		return;		/* no keys yet; the peer sends again */
	/* relay-only: the peer is reached through the relay alone */
	if (m->opts.relay_only && !is_relay_addr(m, from)) {
		m->st.bad++;
		return;
	}
	r = mpkt_open(m->pk, p, (size_t)nread, m->plain, sizeof(m->plain),
	    &len, &type, &ctr);
	if (r == E2_ERR_REPLAY) {
		m->st.replayed++;
		return;
	}
	if (r != 0) {
		m->st.bad++;
		return;
	}
	m->rx_bytes += (size_t)nread;
	m->last_rx_ms = now;
	if (m->quiet) {
		m->quiet = 0;
		emit(m, MEDIA_EV_RESUMED, NULL);
	}
	cls = type == MPKT_AUDIO ? 0 : 1;
	newest = !m->have_ctr[cls] || (int32_t)(ctr - m->hi_ctr[cls]) > 0;
	if (newest) {
		m->hi_ctr[cls] = ctr;
		m->have_ctr[cls] = 1;
	}
	if (type == MPKT_CONTROL) {
		if (mpkt_ctrl_decode(&c, m->plain, len) != 0) {
			m->st.bad++;
			return;
		}
		check = c.type == MPKT_CTRL_CHECK ||
		    c.type == MPKT_CTRL_CHECK_REPLY;
		if (c.type == MPKT_CTRL_CHECK)
			on_check(m, from, now);
		else if (c.type == MPKT_CTRL_CHECK_REPLY)
			on_check_reply(m, c.value, from, now);
	}
	/*
	 * Anything authenticated from the path's address shows the path is
	 * alive, not only the replies to its keepalive checks (a lossy link
	 * may eat several of those in a row).
	 */
	if (m->cur >= 0 && m->ent[m->cur].ok &&
	    netaddr_equal((struct sockaddr *)&m->ent[m->cur].addr, from))
		m->ent[m->cur].reply_ms = now;
	/*
	 * Checks choose the path; the newest other packet from another
	 * address moves it (roaming).  A forged or replayed datagram never
	 * gets this far.
	 */
	if (!check && newest && (!m->have_path ||
	    !netaddr_equal((struct sockaddr *)&m->path, from)))
		on_moved(m, from, now);
	if (type == MPKT_AUDIO) {
		char gap[32];

		if (m->last_audio_ms != 0 &&
		    now - m->last_audio_ms >= GAP_REPORT_MS) {
			snprintf(gap, sizeof(gap), "%llu",
			    (unsigned long long)(now - m->last_audio_ms));
			emit(m, MEDIA_EV_GAP, gap);
		}
		m->last_audio_ms = now;
		m->st.rx_packets++;
		m->iv_received++;
		if (!m->have_hi || (int32_t)(ctr - m->hi_seq) > 0) {
			if (!m->have_hi)
				m->iv_hi_start = ctr - 1;
			m->hi_seq = ctr;
			m->have_hi = 1;
		}
		(void)jbuf_put(&m->jb, ctr, m->plain, len, m->last_rx_ms);
		return;
	}
	on_ctrl(m, &c, from);
}

/* ---- timers ---- */

/* Every TICK_MS: STUN, relay binds, checks, the path's health. */
static void
check_timer_cb(uv_timer_t *t)
{
	struct media *m = t->data;
	uint64_t now = now_ms(m), dead;
	size_t i;

	if (m->have_stun && !m->stun_done && m->stun_tries < 3 &&
	    now >= m->stun_next_ms)
		stun_send(m, now);
	gather_check(m, now);
	if (m->relay == RL_GRANTED) {
		if (!m->bind_pending && now >= m->bind_next_ms)
			m->bind_pending = 1;
		if (m->bind_pending && now >= m->bind_next_ms)
			bind_send(m, now);
	}
	if (!m->started)
		return;
	if (m->recovering && now >= m->check_until_ms)
		m->check_until_ms = now + MEDIA_CHECK_MS;
	if (now < m->check_until_ms) {
		for (i = 0; i < m->nent; i++)
			if (!m->ent[i].ok &&
			    now - m->ent[i].sent_ms >= CHECK_INTERVAL_MS)
				send_check(m, (int)i, now);
	}
	if (m->cur >= 0) {
		struct pent *e = &m->ent[m->cur];

		if (e->ok && now - e->sent_ms >= KEEPALIVE_MS)
			send_check(m, m->cur, now);
		dead = PATH_DEAD_MS + 2 * (uint64_t)m->st.rtt_ms;
		if (e->ok && !m->recovering && now - e->reply_ms > dead)
			start_recovery(m, now);
	}
	select_path(m, now);
}

static void
stats_timer_cb(uv_timer_t *t)
{
	struct media *m = t->data;
	const struct jbuf_stats *js = jbuf_stats(&m->jb);
	struct audio_stats as;
	struct mpkt_ctrl c;
	uint64_t now = now_ms(m), expected;

	m->ticks++;
	m->st.tx_kbps = (uint32_t)((m->tx_bytes - m->tx_bytes_prev) * 8 /
	    STATS_INTERVAL_MS);
	m->st.rx_kbps = (uint32_t)((m->rx_bytes - m->rx_bytes_prev) * 8 /
	    STATS_INTERVAL_MS);
	m->tx_bytes_prev = m->tx_bytes;
	m->rx_bytes_prev = m->rx_bytes;
	if (m->have_hi) {
		expected = (uint32_t)(m->hi_seq - m->iv_hi_start);
		if (expected > 0) {
			m->st.loss_pm = m->iv_received >= expected ? 0 :
			    (uint32_t)((expected - m->iv_received) * 1000 /
			    expected);
		}
		m->iv_hi_start = m->hi_seq;
		m->iv_received = 0;
	}
	if (!m->clock_sent && m->first_capture_ns != 0 &&
	    m->first_playback_ns != 0) {
		m->clock_sent = 1;
		emit(m, MEDIA_EV_AUDIO_CLOCK, NULL);
	}
	m->st.jitter_ms = js->jitter_ms;
	m->st.delay_ms = js->delay_ms;
	if (m->audio != NULL) {
		audio_get_stats(m->audio, &as);
		m->st.xruns = as.xruns;
		if (as.eof && !m->eof_sent) {
			m->eof_sent = 1;
			emit(m, MEDIA_EV_PLAY_EOF, NULL);
		}
	}
	if (!m->have_path)
		return;
	memset(&c, 0, sizeof(c));
	c.type = MPKT_CTRL_PING;
	c.value = uv_hrtime() / 1000;
	(void)send_ctrl(m, &c, (struct sockaddr *)&m->path);
	if (m->ticks % 2 == 0) {
		memset(&c, 0, sizeof(c));
		c.type = MPKT_CTRL_STATS;
		c.loss_pm = (uint16_t)(m->st.loss_pm > 1000 ? 1000 :
		    m->st.loss_pm);
		c.jitter_ms = (uint16_t)(js->jitter_ms > 65535 ? 65535 :
		    js->jitter_ms);
		(void)send_ctrl(m, &c, (struct sockaddr *)&m->path);
	}
	if (!m->quiet && now - m->last_rx_ms > MEDIA_QUIET_MS) {
		m->quiet = 1;
		emit(m, MEDIA_EV_QUIET, NULL);
	}
	if (!m->dead && now - m->last_rx_ms > MEDIA_DEAD_MS) {
		m->dead = 1;
		emit(m, MEDIA_EV_DEAD, NULL);
	}
}

/* ---- life ---- */

static void
add_cand(struct media *m, const struct sockaddr *sa)
{
	struct sig_cand c;
	size_t i;

	/* room for a srflx and a relay candidate after the hosts */
	if (m->ncand == SIG_CAND_MAX - 2 ||
	    netaddr_to_cand(sa, m->port, SIG_CAND_HOST, &c) != 0)
		return;
	for (i = 0; i < m->ncand; i++)
		if (memcmp(&m->cand[i], &c, sizeof(c)) == 0)
			return;
	m->cand[m->ncand++] = c;
}

static void
gather(struct media *m, const struct sockaddr *local)
{
	uv_interface_address_t *ifs;
	int n, i;

	if (local != NULL && netaddr_is_specific(local))
		add_cand(m, local);
	if (uv_interface_addresses(&ifs, &n) != 0)
		return;
	for (i = 0; i < n; i++) {
		const struct sockaddr *sa = (struct sockaddr *)&ifs[i].address;

		if (ifs[i].is_internal && local != NULL &&
		    !netaddr_is_loopback(local))
			continue;
		if (!m->v6 && sa->sa_family == AF_INET6)
			continue;
		if (netaddr_is_linklocal(sa))
			continue;
		add_cand(m, sa);
	}
	uv_free_interface_addresses(ifs, n);
}

int
media_new(struct media **mp, uv_loop_t *loop, const struct media_opts *opts,
    const struct sockaddr *local, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	struct sockaddr_in6 a6;
	struct sockaddr_in a4;
	struct media *m;
	int len = sizeof(ss), r;

	*mp = NULL;
	if ((m = calloc(1, sizeof(*m))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return E2_ERR_NOMEM;
	}
	m->loop = loop;
	m->opts = *opts;
	uv_udp_init(loop, &m->udp);
	m->udp.data = m;
	m->handles_open = 1;
	/* Dual stack where the host has IPv6, else IPv4 only. */
	uv_ip6_addr("::", 0, &a6);
	if (uv_udp_bind(&m->udp, (struct sockaddr *)&a6, 0) == 0) {
		m->v6 = 1;
	} else {
		uv_ip4_addr("0.0.0.0", 0, &a4);
		if ((r = uv_udp_bind(&m->udp, (struct sockaddr *)&a4,
		    0)) != 0) {
			snprintf(err, errlen, "cannot bind a UDP socket: %s",
			    uv_strerror(r));
			media_free(m);
			return E2_ERR_IO;
		}
	}
	uv_udp_getsockname(&m->udp, (struct sockaddr *)&ss, &len);
	m->port = netaddr_port((struct sockaddr *)&ss);
	m->cur = -1;
	m->gather_start_ms = now_ms(m);
	m->relay = opts->expect_relay ? RL_WAIT : RL_NONE;
	m->opts.advertise = NULL;	/* not kept: the caller's string */
	m->opts.stun = NULL;
	if (opts->stun != NULL && opts->advertise == NULL &&
	    !opts->relay_only) {
		netaddr_copy(&m->stun, opts->stun);
		m->have_stun = 1;
	}
	if (opts->advertise != NULL) {
		struct sockaddr_storage adv;

		if ((r = netaddr_parse(opts->advertise, &adv, err,
		    errlen)) != 0) {
			media_free(m);
			return r;
		}
		add_cand(m, (struct sockaddr *)&adv);
		m->cand[0].port = netaddr_port((struct sockaddr *)&adv);
	} else {
		gather(m, local);
	}
	m->sig_loopback = local != NULL && netaddr_is_loopback(local);
	uv_timer_init(loop, &m->check_timer);
	uv_timer_init(loop, &m->stats_timer);
	m->check_timer.data = m->stats_timer.data = m;
	m->handles_open = 3;
	/* STUN answers and relay binds come before the call's keys. */
	uv_udp_recv_start(&m->udp, alloc_cb, recv_cb);
	uv_timer_start(&m->check_timer, check_timer_cb, 0, TICK_MS);
	*mp = m;
	return 0;
}

size_t
media_cands(const struct media *m, struct sig_cand *out, size_t max)
{
	size_t n = 0, i;

	if (!m->opts.relay_only) {
		for (i = 0; i < m->ncand && n < max; i++)
			out[n++] = m->cand[i];
		if (m->have_srflx && n < max)
			out[n++] = m->srflx;
	}
	if (m->relay == RL_GRANTED && n < max &&
	    netaddr_to_cand((const struct sockaddr *)&m->relay_addr,
	    netaddr_port((const struct sockaddr *)&m->relay_addr),
	    SIG_CAND_RELAY, &out[n]) == 0)
		n++;
	return n;
}

int
media_gathered(const struct media *m)
{
	return m->gathered;
}

void
media_set_relay(struct media *m, const struct sig_cand *relay, uint64_t leg,
    const uint8_t key[32])
{
	struct sockaddr_storage ss;

	if (m->relay == RL_GRANTED || relay->kind != SIG_CAND_RELAY ||
	    netaddr_from_cand(relay, &ss) != 0)
		return;
	m->relay_addr = ss;
	m->relay_leg = leg;
	memcpy(m->relay_key, key, RELAY_KEYLEN);
	m->relay = RL_GRANTED;
	m->st.relay = 1;
	m->bind_pending = 1;
	m->bind_next_ms = 0;
	if (m->started)
		(void)ent_add(m, (struct sockaddr *)&ss, SIG_CAND_RELAY);
	gather_check(m, now_ms(m));
}

void
media_no_relay(struct media *m)
{
	if (m->relay == RL_WAIT)
		m->relay = RL_REFUSED;
	gather_check(m, now_ms(m));
}

const char *
media_path_kind(const struct media *m)
{
	return m->cur >= 0 ? kind_name(m->ent[m->cur].kind) : "";
}

int
media_start(struct media *m, const uint8_t send_key[32],
    const uint8_t recv_key[32], const struct sig_cand *peer, size_t npeer,
    char *err, size_t errlen)
{
	struct sig_cand mine[SIG_CAND_MAX];
	struct audio_cfg acfg;
	size_t i;
	int r;

	if (m->started)
		return E2_ERR_STATE;
	if ((r = mpkt_new(&m->pk, send_key, recv_key)) != 0) {
		snprintf(err, errlen, "media keys: %s", e2_strerror(r));
		return r;
	}
	if ((r = codec_new(&m->codec, &m->opts.codec)) != 0) {
		snprintf(err, errlen, "Opus: %s", e2_strerror(r));
		return r;
	}
	m->frame_samples = codec_frame_samples(m->codec);
	jbuf_init(&m->jb, m->opts.codec.frame_ms);
	if (m->opts.echo) {
		unsigned d = m->opts.echo_delay_ms;

		if (d > ECHO_MAX_MS)
			d = ECHO_MAX_MS;
		m->echo_len = (size_t)d * AUDIO_RATE / 1000 + m->frame_samples;
		if ((m->echo = calloc(m->echo_len, sizeof(int16_t))) == NULL)
			return E2_ERR_NOMEM;
		m->echo_w = (size_t)d * AUDIO_RATE / 1000;
		m->echo_r = 0;
	}
	if (m->opts.dump_opus != NULL &&
	    (m->dump = fopen(m->opts.dump_opus, "ab")) == NULL) {
		snprintf(err, errlen, "%s: cannot open: %s", m->opts.dump_opus,
		    strerror(errno));
		return E2_ERR_IO;
	}
	/*
	 * The entries: the peer's candidates (its relay candidate only when
	 * it is my relay too: a relay forwards between the two legs of one
	 * call), then my relay.
	 */
	for (i = 0; i < npeer && i < SIG_CAND_MAX; i++) {
		struct sockaddr_storage ss;

		if (netaddr_from_cand(&peer[i], &ss) != 0 ||
		    !netaddr_cand_usable((struct sockaddr *)&ss,
		    m->sig_loopback))
			continue;
		if (peer[i].kind == SIG_CAND_RELAY &&
		    !is_relay_addr(m, (struct sockaddr *)&ss))
			continue;
		if (ent_add(m, (struct sockaddr *)&ss, peer[i].kind) >= 0)
			m->st.peer_cands++;
	}
	if (m->relay == RL_GRANTED)
		(void)ent_add(m, (struct sockaddr *)&m->relay_addr,
		    SIG_CAND_RELAY);
	m->st.cands = (uint32_t)media_cands(m, mine, SIG_CAND_MAX);
	m->last_rx_ms = now_ms(m);
	m->start_ms = m->last_rx_ms;
	m->check_until_ms = m->start_ms + MEDIA_CHECK_MS;
	m->started = 1;

	acfg = m->opts.audio;
	acfg.frame_ms = m->opts.codec.frame_ms;
	acfg.capture_cb = capture_cb;
	acfg.playback_cb = playback_cb;
	acfg.cb_arg = m;
	if ((r = audio_open(&m->audio, m->loop, &acfg, err, errlen)) != 0) {
		char note[400];

		if (acfg.backend == NULL || strcmp(acfg.backend, "alsa") != 0)
			return r;
		/* No sound card: the call goes on, silent, and says so. */
		snprintf(note, sizeof(note), "no sound device (%s): using null "
		    "audio; try --audio file", err);
		acfg.backend = "null";
		if ((r = audio_open(&m->audio, m->loop, &acfg, err,
		    errlen)) != 0)
			return r;
		emit(m, MEDIA_EV_AUDIO_NOTE, note);
	}
	if ((r = audio_start(m->audio)) != 0) {
		snprintf(err, errlen, "cannot start audio: %s", e2_strerror(r));
		return r;
	}
	uv_timer_start(&m->stats_timer, stats_timer_cb, STATS_INTERVAL_MS,
	    STATS_INTERVAL_MS);
	check_timer_cb(&m->check_timer);	/* the first checks now */
	return 0;
}

void
media_audio_clock(const struct media *m, uint64_t *capture_ns,
    uint64_t *playback_ns)
{
	*capture_ns = m->first_capture_ns;
	*playback_ns = m->first_playback_ns;
}

void
media_set_mute(struct media *m, int muted)
{
	m->muted = muted;
}

void
media_get_stats(const struct media *m, struct cl_stats *st)
{
	const struct jbuf_stats *js = jbuf_stats(&m->jb);

	*st = m->st;
	/* the playout counters as of now, like the packet counters */
	st->concealed = js->concealed;
	st->fec = js->fec;
	st->late = js->late;
	st->played = js->played;
	st->dropped = js->dropped;
	st->inserted = js->inserted;
}

int
media_switch_audio(struct media *m, const char *capture, const char *playback,
    char *err, size_t errlen)
{
	if (m->audio == NULL) {
		snprintf(err, errlen, "no audio device open");
		return E2_ERR_STATE;
	}
	return audio_switch(m->audio, capture, playback, err, errlen);
}

static void
close_cb(uv_handle_t *h)
{
	struct media *m = h->data;

	if (--m->handles_open > 0)
		return;
	if (m->dump != NULL)
		fclose(m->dump);
	mpkt_free(m->pk);
	codec_free(m->codec);
	free(m->echo);
	sodium_memzero(&m->jb, sizeof(m->jb));
	sodium_memzero(m->plain, sizeof(m->plain));
	sodium_memzero(m->relay_key, sizeof(m->relay_key));
	sodium_memzero(m->relay_cookie, sizeof(m->relay_cookie));
	free(m);
}

void
media_free(struct media *m)
{
	struct mpkt_ctrl c;

	if (m == NULL || m->freeing)
		return;
	if (m->started && m->have_path) {
		memset(&c, 0, sizeof(c));
		c.type = MPKT_CTRL_BYE;
		c.reason = SIG_R_HANGUP;
		(void)send_ctrl(m, &c, (struct sockaddr *)&m->path);
	}
	m->freeing = 1;
	if (m->audio != NULL) {
		audio_stop(m->audio);
		audio_close(m->audio);
		m->audio = NULL;
	}
	uv_close((uv_handle_t *)&m->udp, close_cb);
	if (m->handles_open == 3) {
		uv_close((uv_handle_t *)&m->check_timer, close_cb);
		uv_close((uv_handle_t *)&m->stats_timer, close_cb);
	}
}
