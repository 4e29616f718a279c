/*
 * nconn.c - a Noise_XX channel over one libuv TCP stream; see nconn.h.
 *
 * Life of a connection:
 *
 *	CONNECTING -> HANDSHAKE -> OPEN -> CLOSING -> LINGER -> DEAD
 *
 * CONNECTING only for the initiator.  Any failure, or nconn_close(), moves
 * to CLOSING and arms the timer with 0 ms: on_close runs from the timer
 * callback, so it is never called from inside a caller's own call and runs
 * exactly once.  A graceful close (nconn_close) then shuts the write side
 * down once queued output is sent (LINGER, draining input until EOF or
 * NCONN_LINGER_MS), a failure closes at once.  The object is freed in the
 * last handle close callback (DEAD), with its keys wiped.
 *
 * One timer per connection serves as handshake deadline, idle timer,
 * deferred close and linger deadline, by state.
 *
 * Memory: a connection keeps no buffer of its own while idle.  Input is
 * read into one buffer shared by all connections of the process and
 * frames are decrypted in place there; only a frame split across reads
 * gets a heap buffer of exactly its length, freed when it is complete.
 * Output is tried directly (uv_try_write) and only what the socket does
 * not take is copied into a heap write request.  The transport keys are
 * two 32-byte keys inside the object (wiped when it is freed) rather than
 * two noise_cs objects, each of which would cost a guarded sodium_malloc()
 * allocation (several pages and memory mappings) per connection.  The
 * transport encryption is Noise's: ChaCha20-Poly1305 (IETF), nonce = 4
 * zero bytes then the 64-bit little-endian counter, empty associated data.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "err.h"
#include "frame.h"
#include "noise.h"
#include "sigmsg.h"
#include "nconn.h"

#define NCONN_PROTOCOL	"Noise_XX_25519_ChaChaPoly_BLAKE2b"
#define NCONN_MAX_QUEUED (256 * 1024)	/* output queued beyond the socket */
#define NCONN_LINGER_MS	2000		/* graceful close: wait for peer EOF */
#define NCONN_HS_MSGMAX	256		/* our XX messages are 32, 96, 64 */
#define NCONN_WHYLEN	96

enum nconn_state {
	NC_CONNECTING,
	NC_HANDSHAKE,
	NC_OPEN,
	NC_CLOSING,	/* on_close pending (timer armed with 0) */
	NC_LINGER,	/* on_close done; flushing output, waiting for EOF */
	NC_DEAD,	/* handles closing */
};

/* One direction of the transport: a key and its nonce counter. */
struct tkey {
	uint8_t		k[NOISE_KEYLEN];
	uint64_t	n;
};

struct nconn {
	uv_tcp_t		 tcp;
	uv_timer_t		 timer;
	struct nconn_cbs	 cbs;
	void			*arg;
	const struct keypair	*id;
	struct nconn_limits	 lim;
	struct noise_hs		*hs;
	struct tkey		 tx;
	struct tkey		 rx;
	uint8_t			 rs[NOISE_KEYLEN];
	uint8_t			 state;
	uint8_t			 initiator;
	uint8_t			 graceful;
	uint8_t			 opened;	/* TCP connected (or accepted) */
	uint8_t			 rdone;		/* EOF or read error seen */
	uint8_t			 nhandles;	/* handles not yet closed */
	uint8_t			 hdr[FRAME_HDRLEN];
	uint8_t			 hdrlen;	/* header bytes read so far */
	uint8_t			*fbuf;		/* split frame, need bytes */
	size_t			 need;
	size_t			 have;
	size_t			 queued;	/* bytes in write requests */
	uint64_t		 last_rx;
	uv_connect_t		*creq;
	uv_shutdown_t		*sreq;
	int			 close_err;
	char			 why[NCONN_WHYLEN];
	struct sockaddr_storage	 peer;
	char			 peer_str[INET6_ADDRSTRLEN + 8];
};

struct wreq {
	uv_write_t	req;
	size_t		len;
	uint8_t		data[];
};

/*
 * Shared by every connection of the process (one loop, one thread): the
 * read buffer, decrypted in place, and the output assembly buffer.
 */
static uint8_t	rbuf[65536];
static uint8_t	wbuf[FRAME_HDRLEN + FRAME_MAXLEN];

static void	fail(struct nconn *, int, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
static void	close_handles(struct nconn *);
static void	timer_cb(uv_timer_t *);
static void	frame_in(struct nconn *, uint8_t *, size_t);

void
nconn_limits_default(struct nconn_limits *l)
{
	l->handshake_ms = 10000;
	l->idle_ms = 90000;
	l->max_frame = SIG_MSG_MAX + NOISE_TAGLEN;
}

static void
wipe_secrets(struct nconn *c)
{
	if (c->hs != NULL) {
		noise_hs_free(c->hs);
		c->hs = NULL;
	}
	sodium_memzero(&c->tx, sizeof(c->tx));
	sodium_memzero(&c->rx, sizeof(c->rx));
	if (c->fbuf != NULL) {
		sodium_memzero(c->fbuf, c->need);
		free(c->fbuf);
		c->fbuf = NULL;
	}
}

static void
handle_close_cb(uv_handle_t *h)
{
	struct nconn *c = h->data;

	if (--c->nhandles > 0)
		return;
	wipe_secrets(c);
	sodium_memzero(c, sizeof(*c));
	free(c);
}

static void
close_handles(struct nconn *c)
{
	c->state = NC_DEAD;
	wipe_secrets(c);
	if (!uv_is_closing((uv_handle_t *)&c->tcp))
		uv_close((uv_handle_t *)&c->tcp, handle_close_cb);
	if (!uv_is_closing((uv_handle_t *)&c->timer))
		uv_close((uv_handle_t *)&c->timer, handle_close_cb);
}

/* Starts closing: no more on_msg/on_open; on_close from the timer. */
static void
start_close(struct nconn *c, int err, int graceful, const char *why)
{
	if (c->state >= NC_CLOSING)
		return;
	/* Only an open channel has anything worth flushing. */
	if (c->state != NC_OPEN)
		graceful = 0;
	c->state = NC_CLOSING;
	c->close_err = err;
	c->graceful = graceful;
	snprintf(c->why, sizeof(c->why), "%s", why != NULL ? why : "closed");
	if (!graceful)
		uv_read_stop((uv_stream_t *)&c->tcp);
	uv_timer_start(&c->timer, timer_cb, 0, 0);
}

static void
fail(struct nconn *c, int err, const char *fmt, ...)
{
	char why[NCONN_WHYLEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	start_close(c, err, 0, why);
}

static void
shutdown_cb(uv_shutdown_t *req, int status)
{
	struct nconn *c = req->handle->data;

	free(req);
	c->sreq = NULL;
	if ((status < 0 || c->rdone) && c->state == NC_LINGER)
		close_handles(c);
}

/* The deferred half of closing: tell the owner, then let go. */
static void
finish_close(struct nconn *c)
{
	int connected = c->creq == NULL && c->opened;

	c->state = NC_LINGER;
	wipe_secrets(c);
	if (c->cbs.on_close != NULL)
		c->cbs.on_close(c, c->close_err, c->why, c->arg);
	c->cbs.on_close = NULL;
	if (c->graceful && connected &&
	    (c->sreq = malloc(sizeof(*c->sreq))) != NULL) {
		if (uv_shutdown(c->sreq, (uv_stream_t *)&c->tcp,
		    shutdown_cb) == 0) {
			uv_timer_start(&c->timer, timer_cb, NCONN_LINGER_MS, 0);
			return;
		}
		free(c->sreq);
		c->sreq = NULL;
	}
	close_handles(c);
}

static void
timer_cb(uv_timer_t *t)
{
	struct nconn *c = t->data;
	uint64_t now, idle;

	switch (c->state) {
	case NC_CONNECTING:
	case NC_HANDSHAKE:
		fail(c, E2_ERR_IO, "handshake timed out after %u ms",
		    (unsigned)c->lim.handshake_ms);
		break;
	case NC_OPEN:
		if (c->lim.idle_ms == 0)
			break;
		now = uv_now(t->loop);
		idle = now - c->last_rx;
		if (idle >= c->lim.idle_ms)
			fail(c, E2_ERR_IO, "idle for %u s",
			    (unsigned)(idle / 1000));
		else
			uv_timer_start(t, timer_cb, c->lim.idle_ms - idle, 0);
		break;
	case NC_CLOSING:
		finish_close(c);
		break;
	case NC_LINGER:
		close_handles(c);
		break;
	default:
		break;
	}
}

/* ---- output ---- */

static void
write_cb(uv_write_t *req, int status)
{
	struct wreq *w = (struct wreq *)req;
	struct nconn *c = req->handle->data;

	c->queued -= w->len;
	free(w);
	if (status < 0 && status != UV_ECANCELED && c->state < NC_CLOSING)
		fail(c, E2_ERR_IO, "write: %s", uv_strerror(status));
}

/* Queues len bytes (a whole frame, header included) for the peer. */
static int
out_queue(struct nconn *c, const uint8_t *data, size_t len)
{
	struct wreq *w;
	uv_buf_t b;
	size_t off = 0;
	int n, rc;

	if (c->queued == 0) {
		b = uv_buf_init((char *)data, (unsigned)len);
		n = uv_try_write((uv_stream_t *)&c->tcp, &b, 1);
		if (n == (int)len)
			return 0;
		if (n < 0 && n != UV_EAGAIN && n != UV_ENOSYS) {
			fail(c, E2_ERR_IO, "write: %s", uv_strerror(n));
			return E2_ERR_IO;
		}
		if (n > 0)
			off = (size_t)n;
	}
	if (c->queued + (len - off) > NCONN_MAX_QUEUED) {
		fail(c, E2_ERR_SPACE, "peer is not reading (%zu bytes queued)",
		    c->queued);
		return E2_ERR_SPACE;
	}
	if ((w = malloc(sizeof(*w) + (len - off))) == NULL) {
		fail(c, E2_ERR_NOMEM, "out of memory");
		return E2_ERR_NOMEM;
	}
	w->len = len - off;
	memcpy(w->data, data + off, w->len);
	b = uv_buf_init((char *)w->data, (unsigned)w->len);
	if ((rc = uv_write(&w->req, (uv_stream_t *)&c->tcp, &b, 1,
	    write_cb)) != 0) {
		free(w);
		fail(c, E2_ERR_IO, "write: %s", uv_strerror(rc));
		return E2_ERR_IO;
	}
	c->queued += w->len;
	return 0;
}

static void
tkey_nonce(const struct tkey *k, uint8_t nonce[12])
{
	uint64_t n = k->n;
	int i;

	memset(nonce, 0, 4);
	for (i = 0; i < 8; i++) {
		nonce[4 + i] = (uint8_t)n;
		n >>= 8;
	}
}

int
nconn_send(struct nconn *c, const uint8_t *msg, size_t len)
{
	uint8_t nonce[12];
	unsigned long long clen;

	if (c == NULL || (msg == NULL && len > 0))
		return E2_ERR_INVAL;
	if (c->state != NC_OPEN)
		return E2_ERR_STATE;
	if (len + NOISE_TAGLEN > FRAME_MAXLEN)
		return E2_ERR_TOOBIG;
	if (c->tx.n == UINT64_MAX)
		return E2_ERR_NONCE;
	tkey_nonce(&c->tx, nonce);
	crypto_aead_chacha20poly1305_ietf_encrypt(wbuf + FRAME_HDRLEN, &clen,
	    msg, len, NULL, 0, NULL, nonce, c->tx.k);
	c->tx.n++;
	frame_hdr(wbuf, (size_t)clen);
	return out_queue(c, wbuf, FRAME_HDRLEN + (size_t)clen);
}

int
nconn_send_sig(struct nconn *c, const struct sigmsg *m)
{
	uint8_t buf[SIG_MSG_MAX];
	size_t len;
	int rc;

	if ((rc = sigmsg_encode(m, buf, sizeof(buf), &len)) == 0)
		rc = nconn_send(c, buf, len);
	sodium_memzero(buf, sizeof(buf));
	return rc;
}

/* ---- handshake ---- */

static int
hs_create(struct nconn *c)
{
	int rc;

	rc = noise_hs_new(&c->hs, NCONN_PROTOCOL,
	    c->initiator ? NOISE_INITIATOR : NOISE_RESPONDER);
	if (rc != 0)
		return rc;
	if ((rc = noise_hs_set_prologue(c->hs, (const uint8_t *)NCONN_PROLOGUE,
	    strlen(NCONN_PROLOGUE))) != 0 ||
	    (rc = noise_hs_set_local_keypair(c->hs, c->id->priv,
	    c->id->pub)) != 0 ||
	    (rc = noise_hs_start(c->hs)) != 0) {
		noise_hs_free(c->hs);
		c->hs = NULL;
	}
	return rc;
}

/* Writes whatever the handshake wants written; opens after the last. */
static void
hs_advance(struct nconn *c)
{
	uint8_t msg[FRAME_HDRLEN + NCONN_HS_MSGMAX];
	size_t len;
	int rc;

	while (noise_hs_action(c->hs) == NOISE_ACTION_WRITE) {
		rc = noise_hs_write(c->hs, NULL, 0, msg + FRAME_HDRLEN,
		    NCONN_HS_MSGMAX, &len);
		if (rc != 0) {
			fail(c, rc, "handshake failed: %s", e2_strerror(rc));
			return;
		}
		frame_hdr(msg, len);
		if (out_queue(c, msg, FRAME_HDRLEN + len) != 0)
			return;
	}
	if (noise_hs_action(c->hs) != NOISE_ACTION_SPLIT)
		return;
	if ((rc = noise_hs_remote_static(c->hs, c->rs)) != 0 ||
	    (rc = noise_hs_split_keys(c->hs, c->tx.k, c->rx.k)) != 0) {
		fail(c, rc, "handshake failed: %s", e2_strerror(rc));
		return;
	}
	noise_hs_free(c->hs);
	c->hs = NULL;
	c->tx.n = c->rx.n = 0;
	c->state = NC_OPEN;
	c->last_rx = uv_now(c->tcp.loop);
	if (c->lim.idle_ms > 0)
		uv_timer_start(&c->timer, timer_cb, c->lim.idle_ms, 0);
	else
		uv_timer_stop(&c->timer);
	if (c->cbs.on_open != NULL)
		c->cbs.on_open(c, c->arg);
}

static void
hs_input(struct nconn *c, const uint8_t *frame, size_t len)
{
	uint8_t payload[NCONN_HS_MSGMAX];
	size_t paylen = 0;
	int rc;

	if (c->hs == NULL && (rc = hs_create(c)) != 0) {
		fail(c, rc, "handshake setup: %s", e2_strerror(rc));
		return;
	}
	if (noise_hs_action(c->hs) != NOISE_ACTION_READ) {
		fail(c, E2_ERR_STATE, "unexpected handshake message");
		return;
	}
	/* Payloads are empty in this protocol; anything else is ignored. */
	rc = noise_hs_read(c->hs, frame, len, payload, sizeof(payload),
	    &paylen);
	sodium_memzero(payload, sizeof(payload));
	if (rc != 0) {
		fail(c, rc, "handshake failed: %s", e2_strerror(rc));
		return;
	}
	hs_advance(c);
}

/* ---- input ---- */

/* One whole frame, in a buffer we may overwrite (decrypted in place). */
static void
frame_in(struct nconn *c, uint8_t *frame, size_t len)
{
	uint8_t nonce[12];
	unsigned long long mlen;

	if (c->state == NC_HANDSHAKE) {
		hs_input(c, frame, len);
		return;
	}
	if (c->state != NC_OPEN)
		return;
	if (len < NOISE_TAGLEN) {
		fail(c, E2_ERR_MALFORMED, "frame shorter than a tag");
		return;
	}
	if (c->rx.n == UINT64_MAX) {
		fail(c, E2_ERR_NONCE, "receive nonce exhausted");
		return;
	}
	tkey_nonce(&c->rx, nonce);
	if (crypto_aead_chacha20poly1305_ietf_decrypt(frame, &mlen, NULL,
	    frame, len, NULL, 0, nonce, c->rx.k) != 0) {
		fail(c, E2_ERR_AUTH, "message failed authentication");
		return;
	}
	c->rx.n++;
	if (c->cbs.on_msg != NULL)
		c->cbs.on_msg(c, frame, (size_t)mlen, c->arg);
	sodium_memzero(frame, (size_t)mlen);
}

/* Splits input into frames; stops as soon as the connection closes. */
static void
input(struct nconn *c, uint8_t *p, size_t len)
{
	size_t take;

	while (len > 0 && c->state <= NC_OPEN) {
		if (c->hdrlen < FRAME_HDRLEN) {
			c->hdr[c->hdrlen++] = *p++;
			len--;
			if (c->hdrlen < FRAME_HDRLEN)
				continue;
			c->need = (size_t)c->hdr[0] << 8 | c->hdr[1];
			c->have = 0;
			if (c->need == 0) {
				fail(c, E2_ERR_MALFORMED, "empty frame");
				return;
			}
			if (c->need > c->lim.max_frame) {
				fail(c, E2_ERR_TOOBIG,
				    "frame of %zu bytes (limit %zu)", c->need,
				    c->lim.max_frame);
				return;
			}
			continue;
		}
		if (c->fbuf == NULL && len >= c->need) {
			/* Whole frame in this read: use it in place. */
			c->hdrlen = 0;
			take = c->need;
			frame_in(c, p, take);
			p += take;
			len -= take;
			continue;
		}
		if (c->fbuf == NULL && (c->fbuf = malloc(c->need)) == NULL) {
			fail(c, E2_ERR_NOMEM, "out of memory");
			return;
		}
		take = c->need - c->have;
		if (take > len)
			take = len;
		memcpy(c->fbuf + c->have, p, take);
		c->have += take;
		p += take;
		len -= take;
		if (c->have == c->need) {
			uint8_t *f = c->fbuf;
			size_t n = c->need;

			c->hdrlen = 0;
			frame_in(c, f, n);
			/* frame_in may have closed c and wiped fbuf */
			if (c->fbuf == f) {
				sodium_memzero(f, n);
				free(f);
				c->fbuf = NULL;
			}
		}
	}
}

static void
alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	(void)h;
	(void)suggested;
	*buf = uv_buf_init((char *)rbuf, sizeof(rbuf));
}

static void
read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct nconn *c = s->data;

	(void)buf;
	if (nread == 0)
		return;
	if (nread < 0) {
		c->rdone = 1;
		if (c->state == NC_LINGER && c->sreq == NULL)
			close_handles(c);
		else if (nread == UV_EOF)
			fail(c, E2_ERR_IO, "connection closed by peer");
		else
			fail(c, E2_ERR_IO, "read: %s", uv_strerror((int)nread));
		return;
	}
	c->last_rx = uv_now(s->loop);
	/* In CLOSING and LINGER input is drained and dropped. */
	if (c->state <= NC_OPEN)
		input(c, rbuf, (size_t)nread);
}

/* ---- setup ---- */

static void
format_peer(struct nconn *c)
{
	char host[INET6_ADDRSTRLEN];

	host[0] = '\0';
	if (c->peer.ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const void *)&c->peer;

		uv_ip6_name(a, host, sizeof(host));
		snprintf(c->peer_str, sizeof(c->peer_str), "[%s]:%u", host,
		    ntohs(a->sin6_port));
	} else if (c->peer.ss_family == AF_INET) {
		const struct sockaddr_in *a = (const void *)&c->peer;

		uv_ip4_name(a, host, sizeof(host));
		snprintf(c->peer_str, sizeof(c->peer_str), "%s:%u", host,
		    ntohs(a->sin_port));
	} else
		snprintf(c->peer_str, sizeof(c->peer_str), "?");
}

static int
conn_new(uv_loop_t *loop, const struct keypair *id,
    const struct nconn_limits *lim, const struct nconn_cbs *cbs, void *arg,
    struct nconn **cp)
{
	struct nconn *c;
	int rc;

	if (id == NULL || id->priv == NULL || cbs == NULL)
		return E2_ERR_INVAL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return E2_ERR_NOMEM;
	if (lim != NULL)
		c->lim = *lim;
	else
		nconn_limits_default(&c->lim);
	if (c->lim.max_frame == 0 || c->lim.max_frame > FRAME_MAXLEN)
		c->lim.max_frame = FRAME_MAXLEN;
	c->cbs = *cbs;
	c->arg = arg;
	c->id = id;
	if ((rc = uv_tcp_init(loop, &c->tcp)) != 0) {
		free(c);
		return E2_ERR_IO;
	}
	if ((rc = uv_timer_init(loop, &c->timer)) != 0) {
		c->nhandles = 1;
		c->tcp.data = c;
		c->state = NC_DEAD;
		uv_close((uv_handle_t *)&c->tcp, handle_close_cb);
		return E2_ERR_IO;
	}
	c->tcp.data = c;
	c->timer.data = c;
	c->nhandles = 2;
	*cp = c;
	return 0;
}

/* Gives up on a connection that never reached the caller: no on_close. */
static void
abandon(struct nconn *c)
{
	c->cbs.on_close = NULL;
	close_handles(c);
}

int
nconn_accept(uv_stream_t *server, const struct keypair *id,
    const struct nconn_limits *lim, const struct nconn_cbs *cbs, void *arg,
    struct nconn **cp)
{
	struct nconn *c;
	int len, rc;

	if (server == NULL || cp == NULL)
		return E2_ERR_INVAL;
	if ((rc = conn_new(server->loop, id, lim, cbs, arg, &c)) != 0)
		return rc;
	if (uv_accept(server, (uv_stream_t *)&c->tcp) != 0) {
		abandon(c);
		return E2_ERR_IO;
	}
	len = sizeof(c->peer);
	if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&c->peer,
	    &len) != 0)
		memset(&c->peer, 0, sizeof(c->peer));
	format_peer(c);
	uv_tcp_nodelay(&c->tcp, 1);
	c->opened = 1;
	c->state = NC_HANDSHAKE;
	c->last_rx = uv_now(server->loop);
	if (uv_read_start((uv_stream_t *)&c->tcp, alloc_cb, read_cb) != 0) {
		abandon(c);
		return E2_ERR_IO;
	}
	uv_timer_start(&c->timer, timer_cb, c->lim.handshake_ms, 0);
	/* The responder's handshake object is made when msg 1 arrives. */
	*cp = c;
	return 0;
}

static void
connect_cb(uv_connect_t *req, int status)
{
	struct nconn *c = req->handle->data;

	free(req);
	c->creq = NULL;
	if (status == UV_ECANCELED || c->state != NC_CONNECTING)
		return;
	if (status < 0) {
		fail(c, E2_ERR_IO, "connect to %s: %s", c->peer_str,
		    uv_strerror(status));
		return;
	}
	uv_tcp_nodelay(&c->tcp, 1);
	c->opened = 1;
	c->state = NC_HANDSHAKE;
	c->last_rx = uv_now(c->tcp.loop);
	if ((status = uv_read_start((uv_stream_t *)&c->tcp, alloc_cb,
	    read_cb)) != 0) {
		fail(c, E2_ERR_IO, "read: %s", uv_strerror(status));
		return;
	}
	hs_advance(c);
}

int
nconn_connect(uv_loop_t *loop, const struct sockaddr *addr,
    const struct keypair *id, const struct nconn_limits *lim,
    const struct nconn_cbs *cbs, void *arg, struct nconn **cp)
{
	return nconn_connect_from(loop, NULL, addr, id, lim, cbs, arg, cp);
}

int
nconn_connect_from(uv_loop_t *loop, const struct sockaddr *local,
    const struct sockaddr *addr, const struct keypair *id,
    const struct nconn_limits *lim, const struct nconn_cbs *cbs, void *arg,
    struct nconn **cp)
{
	struct nconn *c;
	size_t alen;
	int rc;

	if (loop == NULL || addr == NULL || cp == NULL)
		return E2_ERR_INVAL;
	if (addr->sa_family == AF_INET)
		alen = sizeof(struct sockaddr_in);
	else if (addr->sa_family == AF_INET6)
		alen = sizeof(struct sockaddr_in6);
	else
		return E2_ERR_INVAL;
	if ((rc = conn_new(loop, id, lim, cbs, arg, &c)) != 0)
		return rc;
	memcpy(&c->peer, addr, alen);
	format_peer(c);
	c->initiator = 1;
	c->state = NC_CONNECTING;
	if ((rc = hs_create(c)) != 0) {
		abandon(c);
		return rc;
	}
	if (local != NULL && uv_tcp_bind(&c->tcp, local, 0) != 0) {
		abandon(c);
		return E2_ERR_IO;
	}
	if ((c->creq = malloc(sizeof(*c->creq))) == NULL) {
		abandon(c);
		return E2_ERR_NOMEM;
	}
	if (uv_tcp_connect(c->creq, &c->tcp, addr, connect_cb) != 0) {
		free(c->creq);
		c->creq = NULL;
		abandon(c);
		return E2_ERR_IO;
	}
	uv_timer_start(&c->timer, timer_cb, c->lim.handshake_ms, 0);
	*cp = c;
	return 0;
}

/* ---- the rest of the API ---- */

void
nconn_close(struct nconn *c, const char *why)
{
	if (c == NULL)
		return;
	start_close(c, 0, 1, why);
}

int
nconn_is_open(const struct nconn *c)
{
	return c != NULL && c->state == NC_OPEN;
}

void
nconn_remote_static(const struct nconn *c, uint8_t pub[32])
{
	memcpy(pub, c->rs, sizeof(c->rs));
}

const char *
nconn_peer_str(const struct nconn *c)
{
	return c->peer_str;
}

const struct sockaddr_storage *
nconn_peer_addr(const struct nconn *c)
{
	return &c->peer;
}

int
nconn_local_addr(const struct nconn *c, struct sockaddr_storage *ss)
{
	int len = sizeof(*ss);

	if (uv_tcp_getsockname(&c->tcp, (struct sockaddr *)ss, &len) != 0)
		return E2_ERR_IO;
	return 0;
}

void
nconn_set_arg(struct nconn *c, void *arg)
{
	c->arg = arg;
}

void
nconn_set_idle(struct nconn *c, uint32_t idle_ms)
{
	c->lim.idle_ms = idle_ms;
	if (c->state != NC_OPEN)
		return;
	if (idle_ms == 0)
		uv_timer_stop(&c->timer);
	else
		uv_timer_start(&c->timer, timer_cb, idle_ms, 0);
}
