/*
 * t_nconn.c - the Noise channel over TCP (src/net/nconn.c) on a real
 * loop and loopback sockets: handshake and messages both ways, keys,
 * closing from inside callbacks, frame limits, frames split across
 * reads, handshake and idle timeouts, and a peer that does not read.
 * Raw peers run the handshake by hand (noise.h) to misbehave after it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <sodium.h>
#include <uv.h>

#include "err.h"
#include "frame.h"
#include "keyfile.h"
#include "nconn.h"
#include "noise.h"

#define GUARD_MS	5000

struct side {
	struct nconn	*c;
	int		 opened;
	int		 closed;
	int		 close_err;
	char		 why[128];
	int		 nmsg;
	size_t		 bytes;
	uint8_t		 last[FRAME_MAXLEN];
	size_t		 lastlen;
	int		 echo;		/* send every message back */
	int		 close_on_msg;	/* nconn_close() inside on_msg */
	int		 flood;		/* send until refused, in on_open */
	int		 send_after_close;
	int		 closed_inside;	/* on_close ran inside nconn_close */
	int		 flood_rc;
	uint8_t		 rs[32];
};

struct fixture {
	uv_loop_t		 loop;
	uv_tcp_t		 listener;
	struct sockaddr_storage	 addr;
	struct keypair		*skey;
	struct keypair		*ckey;
	struct nconn_limits	 slim;
	struct side		 srv;
	struct side		 cli;
	uv_timer_t		 guard;
	int			 timed_out;
};

static struct keypair *
test_keypair(void)
{
	struct keypair *kp = calloc(1, sizeof(*kp));

	assert_non_null(kp);
	kp->priv = sodium_malloc(32);
	assert_non_null(kp->priv);
	noise_keypair(kp->priv, kp->pub);
	return kp;
}

static void
keypair_del(struct keypair *kp)
{
	sodium_free(kp->priv);
	free(kp);
}

/* ---- nconn callbacks shared by both sides ---- */

static void
side_open(struct nconn *c, void *arg)
{
	struct side *s = arg;
	static uint8_t big[4000];

	s->opened++;
	nconn_remote_static(c, s->rs);
	if (s->flood) {
		int i;

		for (i = 0; i < 200000; i++)
			if ((s->flood_rc = nconn_send(c, big, sizeof(big))) != 0)
				break;
	}
}

static void
side_msg(struct nconn *c, const uint8_t *msg, size_t len, void *arg)
{
	struct side *s = arg;

	s->nmsg++;
	s->bytes += len;
	memcpy(s->last, msg, len);
	s->lastlen = len;
	if (s->echo)
		assert_int_equal(nconn_send(c, msg, len), 0);
	if (s->close_on_msg) {
		int before = s->closed;

		nconn_close(c, "closing from on_msg");
		s->closed_inside = s->closed != before;
		s->send_after_close = nconn_send(c, msg, len);
	}
}

static void
side_close(struct nconn *c, int err, const char *why, void *arg)
{
	struct side *s = arg;

	s->closed++;
	s->close_err = err;
	snprintf(s->why, sizeof(s->why), "%s", why);
	s->c = NULL;
}

static const struct nconn_cbs cbs = { side_open, side_msg, side_close };

static void
on_connection(uv_stream_t *ls, int status)
{
	struct fixture *f = ls->data;

	assert_int_equal(status, 0);
	assert_int_equal(nconn_accept(ls, f->skey, &f->slim, &cbs, &f->srv,
	    &f->srv.c), 0);
}

static void
guard_cb(uv_timer_t *t)
{
	struct fixture *f = t->data;

	f->timed_out = 1;
}

/* Runs the loop until *v >= want; fails if the guard fires first. */
static void
run_until_n(struct fixture *f, const int *v, int want)
{
	f->timed_out = 0;
	uv_timer_start(&f->guard, guard_cb, GUARD_MS, 0);
	while (*v < want && !f->timed_out)
		uv_run(&f->loop, UV_RUN_ONCE);
	uv_timer_stop(&f->guard);
	assert_false(f->timed_out);
}

static void
run_until(struct fixture *f, const int *flag)
{
	run_until_n(f, flag, 1);
}

static void
wake_cb(uv_timer_t *t)
{
	*(int *)t->data = 1;
}

/* Runs the loop for ms milliseconds. */
static void
run_for(struct fixture *f, uint64_t ms)
{
	uv_timer_t t;
	int done = 0;

	uv_timer_init(&f->loop, &t);
	t.data = &done;
	uv_timer_start(&t, wake_cb, ms, 0);
	run_until(f, &done);
	uv_close((uv_handle_t *)&t, NULL);
	uv_run(&f->loop, UV_RUN_NOWAIT);
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct sockaddr_in sin;
	int len = sizeof(f->addr);

	assert_non_null(f);
	assert_int_equal(uv_loop_init(&f->loop), 0);
	f->skey = test_keypair();
	f->ckey = test_keypair();
	nconn_limits_default(&f->slim);
	uv_ip4_addr("127.0.0.1", 0, &sin);
	assert_int_equal(uv_tcp_init(&f->loop, &f->listener), 0);
	f->listener.data = f;
	assert_int_equal(uv_tcp_bind(&f->listener, (struct sockaddr *)&sin,
	    0), 0);
	assert_int_equal(uv_listen((uv_stream_t *)&f->listener, 16,
	    on_connection), 0);
	assert_int_equal(uv_tcp_getsockname(&f->listener,
	    (struct sockaddr *)&f->addr, &len), 0);
	uv_timer_init(&f->loop, &f->guard);
	f->guard.data = f;
	*state = f;
	return 0;
}

static void
close_walk_cb(uv_handle_t *h, void *arg)
{
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	if (f->srv.c != NULL)
		nconn_close(f->srv.c, "teardown");
	if (f->cli.c != NULL)
		nconn_close(f->cli.c, "teardown");
	/* Let the connections finish closing, then the rest. */
	uv_run(&f->loop, UV_RUN_NOWAIT);
	uv_close((uv_handle_t *)&f->listener, NULL);
	uv_close((uv_handle_t *)&f->guard, NULL);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	uv_walk(&f->loop, close_walk_cb, NULL);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&f->loop), 0);
	keypair_del(f->skey);
	keypair_del(f->ckey);
	free(f);
	return 0;
}

static void
connect_client(struct fixture *f, const struct nconn_limits *lim)
{
	assert_int_equal(nconn_connect(&f->loop, (struct sockaddr *)&f->addr,
	    f->ckey, lim, &cbs, &f->cli, &f->cli.c), 0);
}

/* ---- a raw peer that runs the initiator's handshake by hand ---- */

struct raw {
	uv_tcp_t	 tcp;
	uv_connect_t	 creq;
	struct noise_hs	*hs;
	uint8_t		 in[4096];
	size_t		 inlen;
	int		 connected;
	int		 open;		/* handshake done */
	int		 eof;
	int		 no_read_after_open;
	uint8_t		 k_send[32];
	uint8_t		 k_recv[32];
	struct fixture	*f;
};

static void
raw_write(struct raw *r, const uint8_t *p, size_t n)
{
	uv_buf_t b = uv_buf_init((char *)p, (unsigned)n);

	assert_int_equal(uv_try_write((uv_stream_t *)&r->tcp, &b, 1), (int)n);
}

static void
raw_alloc(uv_handle_t *h, size_t sug, uv_buf_t *b)
{
	struct raw *r = h->data;

	*b = uv_buf_init((char *)r->in + r->inlen,
	    (unsigned)(sizeof(r->in) - r->inlen));
}

static void
raw_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	struct raw *r = s->data;
	uint8_t out[2 + 128], pay[64];
	size_t len, plen;

	if (n < 0) {
		r->eof = 1;
		uv_read_stop(s);
		return;
	}
	r->inlen += (size_t)n;
	if (r->open || r->inlen < 2 + 96)
		return;
	/* XX message 2 is 96 bytes; answer with message 3. */
	assert_int_equal(r->in[0] << 8 | r->in[1], 96);
	assert_int_equal(noise_hs_read(r->hs, r->in + 2, 96, pay, sizeof(pay),
	    &plen), 0);
	memmove(r->in, r->in + 98, r->inlen - 98);
	r->inlen -= 98;
	assert_int_equal(noise_hs_write(r->hs, NULL, 0, out + 2, 128, &len),
	    0);
	frame_hdr(out, len);
	raw_write(r, out, 2 + len);
	assert_int_equal(noise_hs_split_keys(r->hs, r->k_send, r->k_recv), 0);
	r->open = 1;
	if (r->no_read_after_open)
		uv_read_stop(s);
}

static void
raw_connect_cb(uv_connect_t *req, int status)
{
	struct raw *r = req->handle->data;
	uint8_t out[2 + 64];
	size_t len;

	assert_int_equal(status, 0);
	r->connected = 1;
	uv_read_start((uv_stream_t *)&r->tcp, raw_alloc, raw_read);
	if (r->hs == NULL)
		return;		/* a silent peer */
	assert_int_equal(noise_hs_write(r->hs, NULL, 0, out + 2, 64, &len), 0);
	frame_hdr(out, len);
	raw_write(r, out, 2 + len);
}

static struct raw *
raw_connect(struct fixture *f, int handshake)
{
	struct raw *r = calloc(1, sizeof(*r));

	assert_non_null(r);
	r->f = f;
	if (handshake) {
		assert_int_equal(noise_hs_new(&r->hs,
		    "Noise_XX_25519_ChaChaPoly_BLAKE2b", NOISE_INITIATOR), 0);
		assert_int_equal(noise_hs_set_prologue(r->hs,
		    (const uint8_t *)NCONN_PROLOGUE, strlen(NCONN_PROLOGUE)),
		    0);
		assert_int_equal(noise_hs_set_local_static(r->hs,
		    f->ckey->priv), 0);
		assert_int_equal(noise_hs_start(r->hs), 0);
	}
	uv_tcp_init(&f->loop, &r->tcp);
	r->tcp.data = r;
	assert_int_equal(uv_tcp_connect(&r->creq, &r->tcp,
	    (struct sockaddr *)&f->addr, raw_connect_cb), 0);
	return r;
}

static void
raw_free_cb(uv_handle_t *h)
{
	struct raw *r = h->data;

	noise_hs_free(r->hs);
	sodium_memzero(r, sizeof(*r));
	free(r);
}

static void
raw_close(struct raw *r)
{
	uv_close((uv_handle_t *)&r->tcp, raw_free_cb);
}

/* Seals msg as the initiator's transport message number n, framed. */
static size_t
raw_seal(struct raw *r, uint64_t n, const uint8_t *msg, size_t len,
    uint8_t *out)
{
	uint8_t nonce[12] = { 0 };
	unsigned long long clen;
	int i;

	for (i = 0; i < 8; i++)
		nonce[4 + i] = (uint8_t)(n >> (8 * i));
	crypto_aead_chacha20poly1305_ietf_encrypt(out + 2, &clen, msg, len,
	    NULL, 0, NULL, nonce, r->k_send);
	frame_hdr(out, (size_t)clen);
	return 2 + (size_t)clen;
}

/* ---- tests ---- */

static void
test_open_and_echo(void **state)
{
	struct fixture *f = *state;
	static uint8_t msg[4096];
	size_t sizes[] = { 1, 100, 4096 };
	size_t i;

	f->srv.echo = 1;
	connect_client(f, NULL);
	run_until(f, &f->cli.opened);
	run_until(f, &f->srv.opened);
	assert_true(nconn_is_open(f->cli.c));
	assert_true(nconn_is_open(f->srv.c));
	/* Each side learned the other's static key. */
	assert_memory_equal(f->cli.rs, f->skey->pub, 32);
	assert_memory_equal(f->srv.rs, f->ckey->pub, 32);
	assert_non_null(strstr(nconn_peer_str(f->srv.c), "127.0.0.1:"));
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		int want = f->cli.nmsg + 1;

		randombytes_buf(msg, sizes[i]);
		assert_int_equal(nconn_send(f->cli.c, msg, sizes[i]), 0);
		run_until_n(f, &f->cli.nmsg, want);
		assert_int_equal(f->cli.lastlen, sizes[i]);
		assert_memory_equal(f->cli.last, msg, sizes[i]);
	}
	assert_int_equal(f->srv.nmsg, 3);
	/* A graceful close: err 0 here, EOF there, each exactly once. */
	nconn_close(f->cli.c, "bye");
	assert_int_equal(f->cli.closed, 0);	/* not from inside */
	run_until(f, &f->srv.closed);
	run_until(f, &f->cli.closed);
	assert_int_equal(f->cli.close_err, 0);
	assert_string_equal(f->cli.why, "bye");
	assert_int_equal(f->srv.close_err, E2_ERR_IO);
	assert_string_equal(f->srv.why, "connection closed by peer");
	uv_run(&f->loop, UV_RUN_NOWAIT);
	assert_int_equal(f->cli.closed, 1);
	assert_int_equal(f->srv.closed, 1);
}

static void
test_send_before_open(void **state)
{
	struct fixture *f = *state;
	uint8_t b = 1;

	connect_client(f, NULL);
	assert_int_equal(nconn_send(f->cli.c, &b, 1), E2_ERR_STATE);
	assert_false(nconn_is_open(f->cli.c));
	run_until(f, &f->cli.opened);
}

static void
test_close_inside_on_msg(void **state)
{
	struct fixture *f = *state;
	uint8_t b[3] = { 1, 2, 3 };

	f->srv.close_on_msg = 1;
	connect_client(f, NULL);
	run_until(f, &f->cli.opened);
	/* Two messages in a row: the second must not be delivered. */
	assert_int_equal(nconn_send(f->cli.c, b, 3), 0);
	assert_int_equal(nconn_send(f->cli.c, b, 3), 0);
	run_until(f, &f->srv.closed);
	assert_int_equal(f->srv.nmsg, 1);
	assert_false(f->srv.closed_inside);
	assert_int_equal(f->srv.send_after_close, E2_ERR_STATE);
	assert_int_equal(f->srv.close_err, 0);
	assert_string_equal(f->srv.why, "closing from on_msg");
	run_until(f, &f->cli.closed);
	assert_int_equal(f->cli.close_err, E2_ERR_IO);
}

static void
test_frame_over_limit(void **state)
{
	struct fixture *f = *state;
	struct nconn_limits big;
	static uint8_t msg[5000];

	nconn_limits_default(&big);
	big.max_frame = FRAME_MAXLEN;
	connect_client(f, &big);
	run_until(f, &f->srv.opened);
	/* 4096 + 16 is the default limit; 4097 + 16 is one too many. */
	assert_int_equal(nconn_send(f->cli.c, msg, 4096), 0);
	assert_int_equal(nconn_send(f->cli.c, msg, 4097), 0);
	run_until(f, &f->srv.closed);
	assert_int_equal(f->srv.nmsg, 1);
	assert_int_equal(f->srv.close_err, E2_ERR_TOOBIG);
	assert_non_null(strstr(f->srv.why, "4113"));
}

static void
test_split_frames(void **state)
{
	struct fixture *f = *state;
	struct raw *r;
	uint8_t msg[300], wire[2 * (2 + 300 + 16)];
	size_t n, i;

	r = raw_connect(f, 1);
	run_until(f, &f->srv.opened);
	for (i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)i;
	n = raw_seal(r, 0, msg, sizeof(msg), wire);
	n += raw_seal(r, 1, msg, 10, wire + n);
	/* One byte per write, each after a turn of the loop. */
	for (i = 0; i < n; i++) {
		raw_write(r, wire + i, 1);
		uv_run(&f->loop, UV_RUN_NOWAIT);
	}
	run_until_n(f, &f->srv.nmsg, 2);
	assert_int_equal(f->srv.bytes, 310);
	assert_int_equal(f->srv.lastlen, 10);
	assert_memory_equal(f->srv.last, msg, 10);
	assert_int_equal(f->srv.closed, 0);
	/* A tampered message ends the connection. */
	n = raw_seal(r, 2, msg, 10, wire);
	wire[5] ^= 1;
	raw_write(r, wire, n);
	run_until(f, &f->srv.closed);
	assert_int_equal(f->srv.close_err, E2_ERR_AUTH);
	raw_close(r);
}

static void
test_handshake_timeout(void **state)
{
	struct fixture *f = *state;
	struct raw *r;
	uint64_t t0;

	f->slim.handshake_ms = 200;
	r = raw_connect(f, 0);
	t0 = uv_now(&f->loop);
	run_until(f, &f->srv.closed);
	assert_true(uv_now(&f->loop) - t0 >= 150);
	assert_int_equal(f->srv.opened, 0);
	assert_int_equal(f->srv.close_err, E2_ERR_IO);
	assert_non_null(strstr(f->srv.why, "handshake timed out"));
	run_until(f, &r->eof);
	raw_close(r);
}

static void
test_idle_timeout(void **state)
{
	struct fixture *f = *state;
	uint64_t t0;
	uint8_t b = 0;

	f->slim.idle_ms = 300;
	connect_client(f, NULL);
	run_until(f, &f->srv.opened);
	t0 = uv_now(&f->loop);
	/* Input at 200 ms resets the idle timer. */
	run_for(f, 200);
	assert_int_equal(f->srv.closed, 0);
	assert_int_equal(nconn_send(f->cli.c, &b, 1), 0);
	run_until(f, &f->srv.closed);
	assert_true(uv_now(&f->loop) - t0 >= 450);
	assert_int_equal(f->srv.close_err, E2_ERR_IO);
	assert_non_null(strstr(f->srv.why, "idle"));
	run_until(f, &f->cli.closed);
}

static void
test_peer_not_reading(void **state)
{
	struct fixture *f = *state;
	struct raw *r;

	f->srv.flood = 1;
	r = raw_connect(f, 1);
	r->no_read_after_open = 1;
	run_until(f, &f->srv.closed);
	assert_int_equal(f->srv.flood_rc, E2_ERR_SPACE);
	assert_int_equal(f->srv.close_err, E2_ERR_SPACE);
	assert_non_null(strstr(f->srv.why, "not reading"));
	raw_close(r);
}

static void
test_connect_refused(void **state)
{
	struct fixture *f = *state;
	struct sockaddr_storage a = f->addr;

	/* Nobody listens on port 1 of loopback. */
	((struct sockaddr_in *)&a)->sin_port = htons(1);
	assert_int_equal(nconn_connect(&f->loop, (struct sockaddr *)&a,
	    f->ckey, NULL, &cbs, &f->cli, &f->cli.c), 0);
	run_until(f, &f->cli.closed);
	assert_int_equal(f->cli.opened, 0);
	assert_int_equal(f->cli.close_err, E2_ERR_IO);
	assert_non_null(strstr(f->cli.why, "connect to 127.0.0.1:1"));
}

static void
test_close_while_connecting(void **state)
{
	struct fixture *f = *state;

	connect_client(f, NULL);
	nconn_close(f->cli.c, "changed my mind");
	assert_int_equal(f->cli.closed, 0);
	run_until(f, &f->cli.closed);
	assert_int_equal(f->cli.close_err, 0);
	assert_int_equal(f->cli.opened, 0);
	uv_run(&f->loop, UV_RUN_NOWAIT);
	assert_int_equal(f->cli.closed, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open_and_echo, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_send_before_open, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_close_inside_on_msg,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_frame_over_limit, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_split_frames, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_handshake_timeout, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_idle_timeout, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_peer_not_reading, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_connect_refused, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_close_while_connecting,
		    setup, teardown),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
