/*
 * media.c - one call's media on the loop; see media.h.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "client.h"
#include "err.h"
#include "jbuf.h"
#include "log.h"
#include "media.h"
#include "mpkt.h"
#include "netaddr.h"

#define CHECK_INTERVAL_MS	100
#define STATS_INTERVAL_MS	1000
#define ECHO_MAX_MS		3000

struct media {
	uv_loop_t	*loop;
	struct media_opts opts;
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

	size_t		 ncand, npeer;
	struct sig_cand	 cand[SIG_CAND_MAX];
	struct sig_cand	 peer[SIG_CAND_MAX];
	int		 have_path;
	struct sockaddr_storage path;
	uint64_t	 check_id;

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
			m->st.rtt_ms = (uint32_t)((now_us - c->value) / 1000);
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

static void
set_path(struct media *m, const struct sockaddr *from)
{
	char text[96];

	if (m->have_path && netaddr_equal((struct sockaddr *)&m->path, from))
		return;
	netaddr_copy(&m->path, from);
	netaddr_normalize(&m->path);
	netaddr_str((struct sockaddr *)&m->path, text, sizeof(text));
	m->have_path = 1;
	emit(m, MEDIA_EV_PATH, text);
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
	struct mpkt_ctrl c;
	enum mpkt_type type;
	uint32_t ctr;
	size_t len;
	int r, cls, newest, check = 0;

	if (nread <= 0 || from == NULL || m->freeing || !m->started)
		return;
	if (flags & UV_UDP_PARTIAL) {
		m->st.bad++;
		return;
	}
	r = mpkt_open(m->pk, (const uint8_t *)b->base, (size_t)nread,
	    m->plain, sizeof(m->plain), &len, &type, &ctr);
	if (r == E2_ERR_REPLAY) {
		m->st.replayed++;
		return;
	}
	if (r != 0) {
		m->st.bad++;
		return;
	}
	m->rx_bytes += (size_t)nread;
	m->last_rx_ms = now_ms(m);
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
	}
	/*
	 * Path: the first authenticated packet picks it; later, the newest
	 * authenticated packet of a call in progress moves it (roaming).
	 * Checks never move a path once there is one: replies to checks
	 * sent to every candidate would make it flap.
	 */
	if (!m->have_path || (newest && !check))
		set_path(m, from);
	if (type == MPKT_AUDIO) {
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

static void
check_timer_cb(uv_timer_t *t)
{
	struct media *m = t->data;
	struct sockaddr_storage ss;
	struct mpkt_ctrl c;
	size_t i;

	if (m->have_path) {
		uv_timer_stop(t);
		return;
	}
	memset(&c, 0, sizeof(c));
	c.type = MPKT_CTRL_CHECK;
	for (i = 0; i < m->npeer; i++) {
		if (netaddr_from_cand(&m->peer[i], &ss) != 0)
			continue;
		c.value = ++m->check_id;
		(void)send_ctrl(m, &c, (struct sockaddr *)&ss);
	}
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

	if (m->ncand == SIG_CAND_MAX ||
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
	uv_timer_init(loop, &m->check_timer);
	uv_timer_init(loop, &m->stats_timer);
	m->check_timer.data = m->stats_timer.data = m;
	m->handles_open = 3;
	*mp = m;
	return 0;
}

size_t
media_cands(const struct media *m, struct sig_cand *out, size_t max)
{
	size_t n = m->ncand < max ? m->ncand : max;

	memcpy(out, m->cand, n * sizeof(*out));
	return n;
}

int
media_start(struct media *m, const uint8_t send_key[32],
    const uint8_t recv_key[32], const struct sig_cand *peer, size_t npeer,
    char *err, size_t errlen)
{
	struct audio_cfg acfg;
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
	if (npeer > SIG_CAND_MAX)
		npeer = SIG_CAND_MAX;
	memcpy(m->peer, peer, npeer * sizeof(*peer));
	m->npeer = npeer;
	m->last_rx_ms = now_ms(m);
	m->started = 1;

	acfg = m->opts.audio;
	acfg.frame_ms = m->opts.codec.frame_ms;
	acfg.capture_cb = capture_cb;
	acfg.playback_cb = playback_cb;
	acfg.cb_arg = m;
	if ((r = audio_open(&m->audio, m->loop, &acfg, err, errlen)) != 0)
		return r;
	if ((r = audio_start(m->audio)) != 0) {
		snprintf(err, errlen, "cannot start audio: %s", e2_strerror(r));
		return r;
	}
	uv_udp_recv_start(&m->udp, alloc_cb, recv_cb);
	uv_timer_start(&m->check_timer, check_timer_cb, 0, CHECK_INTERVAL_MS);
	uv_timer_start(&m->stats_timer, stats_timer_cb, STATS_INTERVAL_MS,
	    STATS_INTERVAL_MS);
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
