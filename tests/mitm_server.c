/*
 * mitm_server.c - a hostile signaling server, for tests/mitm.sh.
 *
 *	mitm_server --listen HOST:PORT --mode mitm|forward|tamper|forge
 *	    [--key FILE] [--capture PCAP] [--tamper-every N]
 *	    [--bait-port PORT] [--forge-end MS]
 *
 * Towards clients it speaks the signaling protocol as `e2call serve` does
 * (tests/fixture.c: its own static key from FILE, WELCOME, REGISTER,
 * PING, STUN), and DIAL -> INCOMING, the call messages between the two
 * parties, RELAY_REQUEST (refused in mitm mode, granted otherwise).  For
 * every call it binds one UDP socket facing each party.
 *
 * mitm: it terminates both end-to-end handshakes itself.  Towards the
 *	caller it is the callee (responder, a static key of its own, the
 *	callee's name in the prologue); towards the callee it is the caller
 *	(initiator, another key of its own).  Each party is told that the
 *	other's only media candidate is the fixture's socket facing it.
 *	When the callee accepts, it accepts the caller's leg; then it
 *	answers CHECK on each side, opens every datagram with the keys of
 *	its handshake with the sender and seals it again under the keys of
 *	its handshake with the other party: audio (keeping the frame
 *	index, the audio counter), PING, PONG, STATS and BYE.
 * forward: the signaling goes through as it came (the candidates travel
 *	sealed end to end: the fixture cannot point them at itself).  It
 *	grants each party a media relay leg (docs/PROTOCOL.md 5b) whose
 *	address is the fixture's socket facing that party, so parties that
 *	call with --relay-only send every datagram to it; it forwards them
 *	unchanged, as the real relay does, and appends each to the capture
 *	(pcap, link type NULL, IPv4/UDP).
 * tamper: as forward, but every Nth AUDIO datagram (by its clear type
 *	nibble; N = --tamper-every, default 25) of each direction gets one
 *	ciphertext bit flipped before it is forwarded.
 * forge: as forward, but the moment it has passed the caller's HANDSHAKE
 *	on, it sends the caller an ACCEPT of its own while the callee's
 *	phone still rings: first an unsealed one whose CAND is 127.0.0.1
 *	and PORT (--bait-port, default 9), then one with a SEALED field of
 *	random bytes, then a HANGUP with such a SEALED field.  With
 *	--forge-end, MS after those it ends the call in the server's own
 *	words: an unsealed REJECT (rejected) to the caller and an unsealed
 *	HANGUP (cancelled) to the callee; the real messages of the call
 *	still go through.
 *
 * Output, one line each on stdout:
 *	listening HOST:PORT | registered NAME |
 *	call ID CALLER CALLEE | code caller|callee ID CODE (mitm: the
 *	security code of the fixture's handshake with that party) |
 *	ended ID REASON BY (who ended it: caller, callee or server) |
 *	media ID to_caller=N to_callee=N tampered_to_caller=N
 *	    tampered_to_callee=N bad_from_caller=N bad_from_callee=N
 *	    (datagrams sent to each party, altered on the way, and refused by
 *	    the fixture, printed when the call's media closes, 1.5 s after
 *	    its end, or at exit) |
 *	forged ID accept accept_sealed hangup_sealed |
 *	forged_end ID (forge) |
 *	totals calls=N datagrams=N tampered=N (at exit: SIGTERM or SIGINT).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <sodium.h>
#include <uv.h>

#include "call.h"
#include "err.h"
#include "fixture.h"
#include "mpkt.h"
#include "netaddr.h"
#include "noise.h"
#include "relay.h"
#include "sigmsg.h"

#define RING_TIMEOUT_MS	120000
#define HOLD_END_MS	10000	/* longest an end waits for the callee's
				   handshake (mitm) */
#define VERDICT_MS	3000	/* and then for the callee's own verdict */
#define LINGER_MS	1500	/* media outlives the call's signaling */

enum mode { MODE_MITM, MODE_FORWARD, MODE_TAMPER, MODE_FORGE };

struct mcall;

/* The fixture's media towards one party: side 0 the caller, 1 the callee. */
struct side {
	struct mcall	*mc;
	int		 idx;
	uv_udp_t	 udp;
	struct sig_cand	 me;		/* the socket, as advertised */
	struct sockaddr_storage dest;	/* where the party's datagrams come
					   from (and go to); with a relay leg,
					   the address it bound */
	int		 have_dest;
	uint64_t	 leg;		/* relay leg id (0: none granted) */
	uint64_t	 leg_seq;	/* highest BIND seq taken */
	uint8_t		 leg_key[RELAY_KEYLEN];
	struct sig_cand	 cand[SIG_CAND_MAX];	/* what the party advertised */
	size_t		 ncand;
	struct mpkt	*pk;		/* mitm: keys of the handshake with the
					   party */
	uint32_t	 next_audio;	/* mitm: next counter sealed to it */
	uint64_t	 audio_seen;	/* audio datagrams from the party */
	uint64_t	 sent;		/* datagrams sent to the party */
	uint64_t	 tampered;	/* of those, altered */
	uint64_t	 bad;		/* from the party, refused (mitm) */
};

struct mcall {
	uint64_t	 id;
	struct fx_conn	*conn[2];	/* caller, callee (NULL once gone) */
	char		 name[2][SIG_NAME_MAX + 1];
	/* mitm: leg 0 plays the callee to the caller, leg 1 the caller to
	   the callee */
	struct call	*leg[2];
	int		 ended[2];
	int		 answered;
	int		 pending_end;
	uint8_t		 pending_reason;
	uint64_t	 pending_since;
	uint64_t	 msg3_at;	/* leg 1 sent message 3 (0: not yet) */
	uint64_t	 forge_end_at;	/* forge: when to end it (0: never) */
	int		 over;		/* signaling done; media lingers */
	struct side	 side[2];
	uv_timer_t	 linger;
	int		 handles;
	struct mcall	*next;
};

static enum mode	 mode;
static uint8_t		*imp_priv;	/* sodium_malloc: [0..31] plays the
					   callee, [32..63] plays the caller */
static uint8_t		 imp_pub[64];
static struct e2e_id	 imp_id[2];	/* the same, as the call core takes */
static struct mcall	*calls;
static FILE		*capture;
static unsigned		 tamper_every = 25;
static uint16_t		 bait_port = 9;
static unsigned		 forge_end_ms;
static uint64_t		 ncalls, ndatagrams, ntampered;

static void	leg_process(struct mcall *mc, int i);
static void	mcall_over(struct mcall *mc, int media_now);

static const char *
party(int i)
{
	return i == 0 ? "caller" : "callee";
}

/* ---- capture (pcap, link type 0: a 4-byte address family, then IPv4) ---- */

static void
le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static void
be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
capture_open(const char *path)
{
	uint8_t h[24];

	if ((capture = fopen(path, "wb")) == NULL)
		fx_die("%s: %s", path, strerror(errno));
	memset(h, 0, sizeof(h));
	le32(h, 0xa1b2c3d4);
	h[4] = 2;		/* version 2.4 */
	h[6] = 4;
	le32(h + 16, 65535);	/* snap length */
	le32(h + 20, 0);	/* link type NULL (BSD loopback) */
	if (fwrite(h, 1, sizeof(h), capture) != sizeof(h))
		fx_die("%s: write failed", path);
}

static void
capture_add(const struct sockaddr *from, const struct sig_cand *to,
    const uint8_t *p, size_t len)
{
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)from;
	uint8_t h[16 + 4 + 20 + 8];
	uv_timeval64_t tv;

	if (capture == NULL || from->sa_family != AF_INET || to->family != 4)
		return;
	memset(h, 0, sizeof(h));
	uv_gettimeofday(&tv);
	le32(h, (uint32_t)tv.tv_sec);
	le32(h + 4, (uint32_t)tv.tv_usec);
	le32(h + 8, (uint32_t)(4 + 20 + 8 + len));
	le32(h + 12, (uint32_t)(4 + 20 + 8 + len));
	le32(h + 16, 2);			/* AF_INET */
	h[20] = 0x45;				/* IPv4, 20-byte header */
	be16(h + 22, (uint16_t)(20 + 8 + len));
	h[28] = 64;				/* TTL */
	h[29] = 17;				/* UDP */
	memcpy(h + 32, &s4->sin_addr, 4);
	memcpy(h + 36, to->addr, 4);
	memcpy(h + 40, &s4->sin_port, 2);
	be16(h + 42, to->port);
	be16(h + 44, (uint16_t)(8 + len));
	if (fwrite(h, 1, sizeof(h), capture) != sizeof(h) ||
	    fwrite(p, 1, len, capture) != len)
		fx_die("capture: write failed");
}

/* ---- signaling helpers ---- */

static struct mcall *
mcall_find(uint64_t id)
{
	struct mcall *mc;

	for (mc = calls; mc != NULL; mc = mc->next)
		if (mc->id == id && !mc->over)
			return mc;
	return NULL;
}

/* Where the party of side s receives: where its datagrams came from, or
 * else the first candidate it advertised. */
static int
side_dest(struct side *s, struct sockaddr_storage *ss)
{
	if (s->have_dest) {
		*ss = s->dest;
		return 0;
	}
	if (s->ncand == 0)
		return E2_ERR_STATE;
	return netaddr_from_cand(&s->cand[0], ss);
}

static void
side_send(struct side *s, const struct sockaddr_storage *to, const uint8_t *p,
    size_t len)
{
	uv_buf_t b = uv_buf_init((char *)p, (unsigned)len);

	if (uv_udp_try_send(&s->udp, &b, 1, (const struct sockaddr *)to) >= 0) {
		s->sent++;
		ndatagrams++;
	}
}

/* ---- media ---- */

/* ---- relay legs (forward, tamper): docs/PROTOCOL.md 5b, relay.h ---- */

/* RELAY_GRANT for side s: its leg (made on the first request), whose
 * address is the fixture's socket facing the party. */
static void
relay_grant(struct side *s, struct sigmsg *r)
{
	struct sig_cand c = s->me;

	if (s->leg == 0) {
		while (s->leg == 0)
			randombytes_buf(&s->leg, sizeof(s->leg));
		randombytes_buf(s->leg_key, sizeof(s->leg_key));
	}
	c.kind = SIG_CAND_RELAY;
	sigmsg_set_relay(r, s->leg, s->leg_key);
	(void)sigmsg_add_cand(r, &c);
}

/* A RELAY_BIND on the socket facing side s binds its leg to src. */
static void
relay_bind(struct side *s, const struct sockaddr *src, const uint8_t *p,
    size_t len)
{
	uint8_t bound[RELAY_BOUND_LEN], cookie[RELAY_COOKIELEN];
	uint64_t leg, seq;
	uv_buf_t b;

	/* The fixture binds at once: it asks no cookie (5b.2). */
	if (s->leg == 0 || relay_bind_leg(p, len, &leg) != 0 ||
	    leg != s->leg || relay_bind_open(p, len, s->leg_key, &seq,
	    cookie) != 0 || seq <= s->leg_seq)
		return;
	s->leg_seq = seq;
	netaddr_copy(&s->dest, src);
	netaddr_normalize(&s->dest);
	s->have_dest = 1;
	relay_bound_seal(leg, seq, s->mc->side[1 - s->idx].have_dest ?
	    RELAY_F_PEER_BOUND : 0, s->leg_key, bound);
	b = uv_buf_init((char *)bound, sizeof(bound));
	(void)uv_udp_try_send(&s->udp, &b, 1, src);
}

/* The side whose leg is bound to src, or NULL. */
static struct side *
relay_side_of(struct mcall *mc, const struct sockaddr *src)
{
	struct sockaddr_storage ss;
	int i;

	netaddr_copy(&ss, src);
	netaddr_normalize(&ss);
	for (i = 0; i < 2; i++)
		if (mc->side[i].have_dest &&
		    netaddr_equal((struct sockaddr *)&mc->side[i].dest,
		    (struct sockaddr *)&ss))
			return &mc->side[i];
	return NULL;
}

/*
 * A media datagram from a bound leg, received on the socket `at`, goes
 * on unchanged (tamper: every Nth audio one with a bit flipped) to the
 * other leg, from the socket facing it.
 */
static void
forward_datagram(struct side *from, struct side *at,
    const struct sockaddr *src, uint8_t *p, size_t len)
{
	struct side *to = &from->mc->side[1 - from->idx];
	uint64_t k;

	capture_add(src, &at->me, p, len);
	if (!to->have_dest)
		return;
	if (len > MPKT_OVERHEAD && (p[0] >> 4) == MPKT_AUDIO) {
		from->audio_seen++;
		if (mode == MODE_TAMPER && from->audio_seen % tamper_every == 0) {
			/* One bit of the ciphertext or the tag, never the
			   clear header: the receiver's AEAD must catch it. */
			k = from->audio_seen / tamper_every;
			p[MPKT_HDRLEN + k % (len - MPKT_HDRLEN)] ^=
			    (uint8_t)(1u << (k % 8));
			to->tampered++;
			ntampered++;
		}
	}
	side_send(to, &to->dest, p, len);
}

/* Everything else that reaches a relay socket is dropped unanswered. */
static void
relay_datagram(struct side *at, const struct sockaddr *src, uint8_t *p,
    size_t len)
{
	struct side *from;

	switch (relay_classify(p, len)) {
	case RELAY_DG_BIND:
		relay_bind(at, src, p, len);
		break;
	case RELAY_DG_MEDIA:
		if ((from = relay_side_of(at->mc, src)) != NULL)
			forward_datagram(from, at, src, p, len);
		break;
	default:
		break;
	}
}

static void
seal_to(struct side *s, enum mpkt_type type, const uint8_t *pl, size_t len,
    const struct sockaddr_storage *to)
{
	uint8_t pkt[MPKT_MAX_DATAGRAM];
	size_t plen;

	if (mpkt_seal(s->pk, type, pl, len, pkt, sizeof(pkt), &plen) == 0)
		side_send(s, to, pkt, plen);
}

static void
ctrl_to(struct side *s, const struct mpkt_ctrl *c,
    const struct sockaddr_storage *to)
{
	uint8_t pl[MPKT_CTRL_MAXLEN];
	size_t len;

	if (mpkt_ctrl_encode(c, pl, sizeof(pl), &len) == 0)
		seal_to(s, MPKT_CONTROL, pl, len, to);
}

/* mitm: open with the sender's keys; audio is sealed again for the other. */
static void
mitm_datagram(struct side *from, const struct sockaddr *src,
    const uint8_t *p, size_t len)
{
	struct side *to = &from->mc->side[1 - from->idx];
	struct sockaddr_storage back, dst;
	uint8_t plain[MPKT_MAX_DATAGRAM];
	struct mpkt_ctrl c, reply;
	enum mpkt_type type;
	uint32_t ctr;
	size_t plen;

	if (from->pk == NULL || mpkt_open(from->pk, p, len, plain,
	    sizeof(plain), &plen, &type, &ctr) != 0) {
		from->bad++;
		return;
	}
	netaddr_copy(&from->dest, src);
	netaddr_normalize(&from->dest);
	from->have_dest = 1;
	back = from->dest;
	if (type == MPKT_AUDIO) {
		from->audio_seen++;
		if (to->pk == NULL || side_dest(to, &dst) != 0 ||
		    ctr < to->next_audio)
			goto wipe;
		/* Keep the frame index: the receiver places audio by it. */
		if (mpkt_skip_audio(to->pk, ctr - to->next_audio) != 0)
			goto wipe;
		seal_to(to, MPKT_AUDIO, plain, plen, &dst);
		to->next_audio = ctr + 1;
		goto wipe;
	}
	if (mpkt_ctrl_decode(&c, plain, plen) != 0)
		goto wipe;
	memset(&reply, 0, sizeof(reply));
	switch (c.type) {
	case MPKT_CTRL_CHECK:
		/* Each party's path ends here: answer its checks. */
		reply.type = MPKT_CTRL_CHECK_REPLY;
		reply.value = c.value;
		ctrl_to(from, &reply, &back);
		break;
	case MPKT_CTRL_CHECK_REPLY:
		break;
	default:
		/*
		 * PING and PONG go through, so each party measures the
		 * round trip to the other; STATS too, so each encoder hears
		 * the loss the other party sees; BYE ends the other leg.
		 */
		if (to->pk != NULL && side_dest(to, &dst) == 0)
			ctrl_to(to, &c, &dst);
		break;
	}
wipe:
	sodium_memzero(plain, sizeof(plain));
}

static void
udp_recv_cb(uv_udp_t *u, ssize_t nread, const uv_buf_t *b,
    const struct sockaddr *src, unsigned flags)
{
	struct side *s = u->data;

	if (nread <= 0 || src == NULL || (flags & UV_UDP_PARTIAL))
		return;
	if (mode == MODE_MITM)
		mitm_datagram(s, src, (const uint8_t *)b->base, (size_t)nread);
	else
		relay_datagram(s, src, (uint8_t *)b->base, (size_t)nread);
}

static void
side_init(struct mcall *mc, int i)
{
	struct side *s = &mc->side[i];

	s->mc = mc;
	s->idx = i;
	uv_udp_init(fx_loop, &s->udp);
	s->udp.data = s;
	mc->handles++;
}

static int
side_bind(struct side *s)
{
	struct sockaddr_storage ss;
	struct sockaddr_in a4;
	int len = sizeof(ss), r;

	uv_ip4_addr("127.0.0.1", 0, &a4);
	if ((r = uv_udp_bind(&s->udp, (struct sockaddr *)&a4, 0)) != 0 ||
	    (r = uv_udp_getsockname(&s->udp, (struct sockaddr *)&ss,
	    &len)) != 0 ||
	    (r = uv_udp_recv_start(&s->udp, fx_alloc_cb, udp_recv_cb)) != 0) {
		fprintf(stderr, "mitm_server: UDP socket: %s\n",
		    uv_strerror(r));
		return E2_ERR_IO;
	}
	if (netaddr_to_cand((struct sockaddr *)&ss,
	    netaddr_port((struct sockaddr *)&ss), SIG_CAND_HOST,
	    &s->me) != 0)
		return E2_ERR_IO;
	return 0;
}

/* ---- calls ---- */

static void
mcall_closed(uv_handle_t *h)
{
	struct mcall *mc = h->data;
	int i;

	if (h->type == UV_UDP)
		mc = ((struct side *)h->data)->mc;
	if (--mc->handles > 0)
		return;
	for (i = 0; i < 2; i++) {
		call_free(mc->leg[i]);
		mpkt_free(mc->side[i].pk);
	}
	sodium_memzero(mc, sizeof(*mc));
	free(mc);
}

static void
mcall_free(struct mcall *mc)
{
	struct mcall **pp;
	int i;

	for (pp = &calls; *pp != NULL; pp = &(*pp)->next)
		if (*pp == mc) {
			*pp = mc->next;
			break;
		}
	fx_out("media %016" PRIx64 " to_caller=%" PRIu64 " to_callee=%" PRIu64
	    " tampered_to_caller=%" PRIu64 " tampered_to_callee=%" PRIu64
	    " bad_from_caller=%" PRIu64 " bad_from_callee=%" PRIu64
	    " audio_from_caller=%" PRIu64 " audio_from_callee=%" PRIu64,
	    mc->id, mc->side[0].sent, mc->side[1].sent, mc->side[0].tampered,
	    mc->side[1].tampered, mc->side[0].bad, mc->side[1].bad,
	    mc->side[0].audio_seen, mc->side[1].audio_seen);
	if (capture != NULL)
		fflush(capture);
	for (i = 0; i < 2; i++)
		if (!uv_is_closing((uv_handle_t *)&mc->side[i].udp))
			uv_close((uv_handle_t *)&mc->side[i].udp,
			    mcall_closed);
	uv_close((uv_handle_t *)&mc->linger, mcall_closed);
}

static void
linger_cb(uv_timer_t *t)
{
	mcall_free(t->data);
}

/* The call's signaling is over; its media goes on a little longer. */
static void
mcall_over(struct mcall *mc, int media_now)
{
	if (mc->over)
		return;
	mc->over = 1;
	if (media_now)
		mcall_free(mc);
	else
		uv_timer_start(&mc->linger, linger_cb, LINGER_MS, 0);
}

static struct mcall *
mcall_new(uint64_t id, struct fx_conn *caller, struct fx_conn *callee)
{
	struct mcall *mc;

	if ((mc = calloc(1, sizeof(*mc))) == NULL)
		return NULL;
	mc->id = id;
	mc->conn[0] = caller;
	mc->conn[1] = callee;
	snprintf(mc->name[0], sizeof(mc->name[0]), "%s", caller->name);
	snprintf(mc->name[1], sizeof(mc->name[1]), "%s", callee->name);
	uv_timer_init(fx_loop, &mc->linger);
	mc->linger.data = mc;
	mc->handles = 1;
	mc->next = calls;
	calls = mc;
	ncalls++;
	side_init(mc, 0);
	side_init(mc, 1);
	if (side_bind(&mc->side[0]) != 0 || side_bind(&mc->side[1]) != 0) {
		mcall_over(mc, 1);
		return NULL;
	}
	return mc;
}

static void
copy_cands(struct side *s, const struct sig_cand *cand, size_t n)
{
	if (n > SIG_CAND_MAX)
		n = SIG_CAND_MAX;
	memcpy(s->cand, cand, n * sizeof(*cand));
	s->ncand = n;
}

/* ---- forge: control messages of the fixture's own ---- */

/* A message for the call with a SEALED field of random bytes. */
static void
forge_sealed(struct sigmsg *m, enum sig_type type, uint64_t call)
{
	uint8_t junk[48];

	sigmsg_init(m, type);
	sigmsg_set_call(m, call);
	randombytes_buf(junk, sizeof(junk));
	(void)sigmsg_set_sealed(m, junk, sizeof(junk));
}

/* The caller's HANDSHAKE went on: "the callee answered", say we. */
static void
forge_accept(struct mcall *mc)
{
	struct sigmsg m;
	struct sig_cand bait;

	sigmsg_init(&m, SIG_ACCEPT);
	sigmsg_set_call(&m, mc->id);
	memset(&bait, 0, sizeof(bait));
	bait.kind = SIG_CAND_HOST;
	bait.family = 4;
	bait.addr[0] = 127;
	bait.addr[3] = 1;
	bait.port = bait_port;
	(void)sigmsg_add_cand(&m, &bait);
	fx_send(mc->conn[0], &m);
	forge_sealed(&m, SIG_ACCEPT, mc->id);
	fx_send(mc->conn[0], &m);
	forge_sealed(&m, SIG_HANGUP, mc->id);
	sigmsg_set_reason(&m, SIG_R_HANGUP);
	fx_send(mc->conn[0], &m);
	fx_out("forged %016" PRIx64 " accept accept_sealed hangup_sealed",
	    mc->id);
	if (forge_end_ms > 0)
		mc->forge_end_at = uv_now(fx_loop) + forge_end_ms;
}

/* The end of the call in the server's words, unsealed, to both. */
static void
forge_end(struct mcall *mc)
{
	struct sigmsg m;

	mc->forge_end_at = 0;
	sigmsg_init(&m, SIG_REJECT);
	sigmsg_set_call(&m, mc->id);
	sigmsg_set_reason(&m, SIG_R_REJECTED);
	fx_send(mc->conn[0], &m);
	m.type = SIG_HANGUP;
	sigmsg_set_reason(&m, SIG_R_CANCELLED);
	fx_send(mc->conn[1], &m);
	fx_out("forged_end %016" PRIx64, mc->id);
}

/* ---- forward, tamper, forge: the signaling as it came ---- */

static void
forward_call_msg(struct mcall *mc, int from, struct sigmsg *m)
{
	int to = 1 - from, ok;

	switch (m->type) {
	case SIG_RINGING:
	case SIG_ACCEPT:
	case SIG_REJECT:
		ok = from == 1;
		break;
	case SIG_HANDSHAKE:
		ok = from == 0;
		break;
	case SIG_HANGUP:
		ok = 1;
		break;
	default:
		ok = 0;
		break;
	}
	if (!ok) {
		fx_send_error(mc->conn[from], SIG_R_PROTOCOL, m,
		    "not allowed here");
		return;
	}
	fx_send(mc->conn[to], m);
	if (mode == MODE_FORGE && m->type == SIG_HANDSHAKE)
		forge_accept(mc);
	if (m->type == SIG_REJECT || m->type == SIG_HANGUP) {
		fx_out("ended %016" PRIx64 " %s %s", mc->id,
		    sig_reason_name(m->reason), party(from));
		mcall_over(mc, 0);
	}
}

/* ---- mitm: two calls of the fixture's own ---- */

static void
leg_send(struct mcall *mc, int i, const struct sigmsg *m)
{
	struct sigmsg *in;

	if (m->type != SIG_DIAL) {
		fx_send(mc->conn[i], m);
		return;
	}
	/* Leg 1's DIAL goes to the callee as the INCOMING a server makes. */
	if ((in = malloc(sizeof(*in))) == NULL)
		return;
	*in = *m;
	in->type = SIG_INCOMING;
	(void)sigmsg_set_name(in, mc->name[0]);
	fx_send(mc->conn[1], in);
	free(in);
}

static void
leg_keys(struct mcall *mc, int i)
{
	uint8_t *k;

	if ((k = sodium_malloc(64)) == NULL)
		return;
	if (call_media_keys(mc->leg[i], k, k + 32) == 0 &&
	    mc->side[i].pk == NULL)
		(void)mpkt_new(&mc->side[i].pk, k, k + 32);
	sodium_free(k);
}

/* One leg ended (reason r): end the other one the same way. */
static void
relay_end(struct mcall *mc, int i, uint8_t r, int force)
{
	int j = 1 - i;

	if (mc->leg[j] == NULL || mc->ended[j])
		return;
	/*
	 * The callee judges the key only once it holds message 3: until leg
	 * 1 has sent it, and a moment after, hold the caller's end back, so
	 * that the callee's own check runs (and shows, and is answered) as
	 * it would with the caller still on the line.
	 */
	if (j == 1 && !force && mc->leg[1]->state != CALL_S_ACTIVE) {
		if (!mc->pending_end) {
			mc->pending_end = 1;
			mc->pending_reason = r;
			mc->pending_since = uv_now(fx_loop);
		}
		return;
	}
	mc->pending_end = 0;
	(void)call_hangup(mc->leg[j], r);
	leg_process(mc, j);
}

static void
leg_process(struct mcall *mc, int i)
{
	const struct call_action *a;
	struct call *c = mc->leg[i];

	while ((a = call_next_action(c)) != NULL) {
		switch (a->kind) {
		case CALL_A_SEND:
			leg_send(mc, i, &a->msg);
			break;
		case CALL_A_KEY_CHECK:
			/* Whatever key the party has suits the fixture. */
			(void)call_key_status(c, CALL_KEY_NEW);
			break;
		case CALL_A_RINGING:
			mc->msg3_at = uv_now(fx_loop);
			break;
		case CALL_A_CODE:
			fx_out("code %s %016" PRIx64 " %s", party(i), mc->id,
			    c->code);
			leg_keys(mc, i);
			break;
		case CALL_A_ACTIVE:
			copy_cands(&mc->side[i], c->peer_cand, c->npeer_cand);
			break;
		case CALL_A_ENDED:
			mc->ended[i] = 1;
			fx_out("ended %016" PRIx64 " %s %s", mc->id,
			    sig_reason_name(c->end_reason),
			    c->ended_by_peer ? party(i) : "server");
			relay_end(mc, i, c->end_reason, 0);
			break;
		default:
			break;
		}
	}
}

/* After any event: answer the caller once the callee answered; let a held
 * end through; close the call when both legs are over. */
static void
mitm_progress(struct mcall *mc)
{
	struct call *l0 = mc->leg[0], *l1 = mc->leg[1];

	if (mc->over)
		return;
	if (l1 != NULL && mc->pending_end && (mc->ended[1] ||
	    uv_now(fx_loop) - mc->pending_since >= HOLD_END_MS ||
	    (mc->msg3_at != 0 && uv_now(fx_loop) - mc->msg3_at >= VERDICT_MS)))
		relay_end(mc, 0, mc->pending_reason, 1);
	if (!mc->answered && l0 != NULL && l1 != NULL && !mc->ended[0] &&
	    l0->state == CALL_S_RINGING_IN && l1->state == CALL_S_ACTIVE) {
		mc->answered = 1;
		if (call_answer(l0) == 0)
			leg_process(mc, 0);
	}
	if ((l0 == NULL || mc->ended[0]) && (l1 == NULL || mc->ended[1]))
		mcall_over(mc, 0);
}

static void
mitm_dial(struct mcall *mc, const struct sigmsg *dial)
{
	struct sigmsg *in;
	uint64_t now = uv_now(fx_loop);
	int r;

	if ((in = malloc(sizeof(*in))) == NULL) {
		mcall_over(mc, 1);
		return;
	}
	*in = *dial;
	in->type = SIG_INCOMING;
	(void)sigmsg_set_name(in, mc->name[0]);
	r = call_new_incoming(&mc->leg[0], in, mc->name[1], &imp_id[0], now,
	    RING_TIMEOUT_MS);
	free(in);
	if (r != 0) {
		fx_send_error(mc->conn[0], SIG_R_SERVER, dial, NULL);
		mcall_over(mc, 1);
		return;
	}
	call_set_cands(mc->leg[0], &mc->side[0].me, 1, 1);
	leg_process(mc, 0);
	if (mc->ended[0]) {		/* message 1 did not read */
		mitm_progress(mc);
		return;
	}
	if (call_new_outgoing(&mc->leg[1], mc->id, mc->name[0], mc->name[1],
	    &imp_id[1], now, RING_TIMEOUT_MS) != 0) {
		(void)call_hangup(mc->leg[0], SIG_R_SERVER);
		leg_process(mc, 0);
		mitm_progress(mc);
		return;
	}
	call_set_cands(mc->leg[1], &mc->side[1].me, 1, 1);
	leg_process(mc, 1);
	mitm_progress(mc);
}

/* ---- messages from clients ---- */

static void
on_dial(struct fx_conn *c, struct sigmsg *m)
{
	struct fx_conn *callee;
	struct mcall *mc;

	if (c->name[0] == '\0') {
		fx_send_error(c, SIG_R_PROTOCOL, m, "register first");
		return;
	}
	if (mcall_find(m->call) != NULL) {
		fx_send_error(c, SIG_R_PROTOCOL, m, "call id in use");
		return;
	}
	if ((callee = fx_conn_by_name(m->name)) == NULL) {
		fx_send_error(c, SIG_R_UNKNOWN, m, NULL);
		return;
	}
	if (callee == c) {
		fx_send_error(c, SIG_R_PROTOCOL, m, "cannot call yourself");
		return;
	}
	if ((mc = mcall_new(m->call, c, callee)) == NULL) {
		fx_send_error(c, SIG_R_SERVER, m, NULL);
		return;
	}
	fx_out("call %016" PRIx64 " %s %s", mc->id, mc->name[0], mc->name[1]);
	if (mode == MODE_MITM) {
		mitm_dial(mc, m);
		return;
	}
	m->type = SIG_INCOMING;
	(void)sigmsg_set_name(m, c->name);
	fx_send(callee, m);
}

/* RELAY_REQUEST: refused in mitm mode (it has the media anyway), else
 * granted, so that every datagram of a --relay-only party comes here. */
static void
on_relay_request(struct fx_conn *c, const struct sigmsg *m)
{
	struct mcall *mc = mcall_find(m->call);
	struct sigmsg r;

	sigmsg_init(&r, SIG_RELAY_GRANT);
	sigmsg_set_call(&r, m->call);
	if (mc == NULL || (mc->conn[0] != c && mc->conn[1] != c)) {
		sigmsg_set_reason(&r, SIG_R_PROTOCOL);
		(void)sigmsg_set_text(&r, "no such call");
	} else if (mode == MODE_MITM) {
		sigmsg_set_reason(&r, SIG_R_LIMIT);
		(void)sigmsg_set_text(&r, "this server relays no media");
	} else
		relay_grant(&mc->side[mc->conn[0] == c ? 0 : 1], &r);
	fx_send(c, &r);
	sodium_memzero(&r, sizeof(r));
}

/* Everything but REGISTER, PING and PONG (fixture.c answers those). */
static void
on_msg(struct fx_conn *c, struct sigmsg *m)
{
	struct mcall *mc;
	int from;

	switch (m->type) {
	case SIG_DIAL:
		on_dial(c, m);
		return;
	case SIG_RELAY_REQUEST:
		on_relay_request(c, m);
		return;
	case SIG_RINGING:
	case SIG_HANDSHAKE:
	case SIG_ACCEPT:
	case SIG_REJECT:
	case SIG_HANGUP:
		break;
	default:
		fx_send_error(c, SIG_R_PROTOCOL, NULL, "not a client message");
		fx_close(c, "not a client message");
		return;
	}
	if ((mc = mcall_find(m->call)) == NULL ||
	    (mc->conn[0] != c && mc->conn[1] != c)) {
		/* The end of a call that is already over needs no answer. */
		if (m->type != SIG_REJECT && m->type != SIG_HANGUP)
			fx_send_error(c, SIG_R_PROTOCOL, m, "no such call");
		return;
	}
	from = mc->conn[0] == c ? 0 : 1;
	if (mode != MODE_MITM) {
		forward_call_msg(mc, from, m);
		return;
	}
	if (mc->leg[from] != NULL && !mc->ended[from]) {
		(void)call_on_msg(mc->leg[from], m, uv_now(fx_loop));
		leg_process(mc, from);
	}
	mitm_progress(mc);
}

/* A party's connection closed: its side of each of its calls ends. */
static void
on_close(struct fx_conn *c)
{
	struct mcall *mc, *next;
	struct sigmsg m;
	int i;

	for (mc = calls; mc != NULL; mc = next) {
		next = mc->next;
		if (mc->over || (mc->conn[0] != c && mc->conn[1] != c))
			continue;
		i = mc->conn[0] == c ? 0 : 1;
		mc->conn[i] = NULL;
		if (mode != MODE_MITM) {
			sigmsg_init(&m, SIG_HANGUP);
			sigmsg_set_call(&m, mc->id);
			sigmsg_set_reason(&m, SIG_R_PEER_GONE);
			fx_send(mc->conn[1 - i], &m);
			fx_out("ended %016" PRIx64 " peer_gone %s", mc->id,
			    party(i));
			mcall_over(mc, 0);
			continue;
		}
		if (mc->leg[i] != NULL && !mc->ended[i]) {
			(void)call_hangup(mc->leg[i], SIG_R_PEER_GONE);
			mc->leg[i]->ended_by_peer = 1;
			leg_process(mc, i);
		}
		mitm_progress(mc);
	}
}

/* ---- life ---- */

static void
on_tick(void)
{
	struct mcall *mc, *next;
	int i;

	for (mc = calls; mc != NULL; mc = next) {
		next = mc->next;
		if (mc->over)
			continue;
		if (mc->forge_end_at != 0 &&
		    uv_now(fx_loop) >= mc->forge_end_at)
			forge_end(mc);
		if (mode != MODE_MITM)
			continue;
		for (i = 0; i < 2; i++) {
			if (mc->leg[i] == NULL || mc->ended[i])
				continue;
			call_tick(mc->leg[i], uv_now(fx_loop));
			leg_process(mc, i);
		}
		mitm_progress(mc);
	}
}

static void
on_shutdown(void)
{
	while (calls != NULL) {
		calls->over = 1;
		uv_timer_stop(&calls->linger);
		mcall_free(calls);
	}
	fx_out("totals calls=%" PRIu64 " datagrams=%" PRIu64 " tampered=%"
	    PRIu64, ncalls, ndatagrams, ntampered);
}

static const struct fx_ops ops = { on_msg, on_close, on_tick, on_shutdown };

static void
usage(void)
{
	fprintf(stderr, "usage: mitm_server --listen HOST:PORT "
	    "--mode mitm|forward|tamper|forge [--key FILE] [--capture PCAP] "
	    "[--tamper-every N] [--bait-port PORT] [--forge-end MS]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	const char *listen_at = NULL, *keypath = NULL, *cap = NULL;
	int i, have_mode = 0;

	for (i = 1; i < argc; i++) {
		if (i + 1 >= argc)
			usage();
		if (strcmp(argv[i], "--listen") == 0)
			listen_at = argv[++i];
		else if (strcmp(argv[i], "--key") == 0)
			keypath = argv[++i];
		else if (strcmp(argv[i], "--capture") == 0)
			cap = argv[++i];
		else if (strcmp(argv[i], "--tamper-every") == 0) {
			tamper_every = (unsigned)strtoul(argv[++i], NULL, 10);
			if (tamper_every == 0)
				usage();
		} else if (strcmp(argv[i], "--bait-port") == 0) {
			bait_port = (uint16_t)strtoul(argv[++i], NULL, 10);
			if (bait_port == 0)
				usage();
		} else if (strcmp(argv[i], "--forge-end") == 0) {
			forge_end_ms = (unsigned)strtoul(argv[++i], NULL, 10);
		} else if (strcmp(argv[i], "--mode") == 0) {
			i++;
			have_mode = 1;
			if (strcmp(argv[i], "mitm") == 0)
				mode = MODE_MITM;
			else if (strcmp(argv[i], "forward") == 0)
				mode = MODE_FORWARD;
			else if (strcmp(argv[i], "tamper") == 0)
				mode = MODE_TAMPER;
			else if (strcmp(argv[i], "forge") == 0)
				mode = MODE_FORGE;
			else
				usage();
		} else
			usage();
	}
	if (listen_at == NULL || !have_mode)
		usage();
	fx_init("mitm_server", listen_at, keypath, &ops);
	/* The keys the fixture shows each party in place of the other's. */
	if ((imp_priv = sodium_malloc(64)) == NULL)
		fx_die("out of memory");
	noise_keypair(imp_priv, imp_pub);
	noise_keypair(imp_priv + 32, imp_pub + 32);
	imp_id[0] = (struct e2e_id){ imp_priv, imp_pub, NULL, NULL };
	imp_id[1] = (struct e2e_id){ imp_priv + 32, imp_pub + 32, NULL, NULL };
	if (cap != NULL)
		capture_open(cap);
	fx_out("listening %s mode %s", listen_at, mode == MODE_MITM ? "mitm" :
	    mode == MODE_FORWARD ? "forward" : mode == MODE_TAMPER ? "tamper" :
	    "forge");

	fx_run();

	if (capture != NULL && fclose(capture) != 0)
		fx_die("capture: %s", strerror(errno));
	sodium_free(imp_priv);
	return 0;
}
