/*
 * fixture.c - the signaling server the hostile test fixtures share; see
 * fixture.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <sodium.h>
#include <uv.h>

#include "err.h"
#include "fixture.h"
#include "keyfile.h"
#include "nconn.h"
#include "netaddr.h"
#include "noise.h"
#include "sigmsg.h"
#include "stun.h"

uv_loop_t		*fx_loop;

static const char	*prog = "fixture";
static const struct fx_ops *ops;
static struct keypair	*server_key;
static struct nconn_limits lim;
static uv_tcp_t		 listener;
static uv_udp_t		 stun_udp;
static uv_timer_t	 tick;
static uv_signal_t	 sigterm, sigint;
static struct fx_conn	*conns;
static int		 shutting_down;

void
fx_die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

void
fx_out(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

void
fx_send(struct fx_conn *c, const struct sigmsg *m)
{
	int r;

	if (c == NULL || c->nc == NULL)
		return;
	if ((r = nconn_send_sig(c->nc, m)) != 0)
		fprintf(stderr, "%s: cannot send %s: %s\n", prog,
		    sigmsg_type_name(m->type), e2_strerror(r));
}

void
fx_send_error(struct fx_conn *c, enum sig_reason reason,
    const struct sigmsg *about, const char *text)
{
	struct sigmsg m;

	sigmsg_init(&m, SIG_ERROR);
	sigmsg_set_reason(&m, reason);
	if (about != NULL && SIG_HAS(about, SIG_T_CALL))
		sigmsg_set_call(&m, about->call);
	if (text != NULL)
		(void)sigmsg_set_text(&m, text);
	fx_send(c, &m);
}

void
fx_close(struct fx_conn *c, const char *why)
{
	if (c != NULL && c->nc != NULL)
		nconn_close(c->nc, why);
}

struct fx_conn *
fx_conn_by_name(const char *name)
{
	struct fx_conn *c;

	for (c = conns; c != NULL; c = c->next)
		if (c->nc != NULL && strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

void
fx_alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	static uint8_t buf[65536];

	(void)h;
	(void)hint;
	*b = uv_buf_init((char *)buf, sizeof(buf));
}

/* ---- connections ---- */

static void
on_msg(struct nconn *nc, const uint8_t *p, size_t len, void *arg)
{
	struct fx_conn *c = arg;
	struct sigmsg *m, r;

	if ((m = malloc(sizeof(*m))) == NULL)
		return;
	if (sigmsg_decode(m, p, len) != 0) {
		fx_send_error(c, SIG_R_PROTOCOL, NULL, "malformed message");
		nconn_close(nc, "malformed message");
		goto done;
	}
	switch (m->type) {
	case SIG_REGISTER:
		snprintf(c->name, sizeof(c->name), "%s", m->name);
		sigmsg_init(&r, SIG_REGISTERED);
		(void)sigmsg_set_name(&r, m->name);
		fx_send(c, &r);
		fx_out("registered %s", m->name);
		break;
	case SIG_PING:
		sigmsg_init(&r, SIG_PONG);
		fx_send(c, &r);
		break;
	case SIG_PONG:
		break;
	default:
		ops->on_msg(c, m);
		break;
	}
done:
	sodium_memzero(m, sizeof(*m));	/* relay keys, e2e messages */
	free(m);
}

static void
on_open(struct nconn *nc, void *arg)
{
	struct sigmsg w;

	(void)arg;
	sigmsg_init(&w, SIG_WELCOME);
	w.version = SIG_VERSION;
	w.fields |= 1u << SIG_T_VERSION;
	(void)nconn_send_sig(nc, &w);
}

static void
on_close(struct nconn *nc, int err, const char *why, void *arg)
{
	struct fx_conn *c = arg, **pp;

	(void)nc;
	(void)err;
	(void)why;
	c->nc = NULL;
	ops->on_close(c);
	for (pp = &conns; *pp != NULL; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	free(c);
}

static const struct nconn_cbs cbs = { on_open, on_msg, on_close };

static void
on_connection(uv_stream_t *server, int status)
{
	struct fx_conn *c;

	if (status < 0 || shutting_down)
		return;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return;
	if (nconn_accept(server, server_key, &lim, &cbs, c, &c->nc) != 0) {
		free(c);
		return;
	}
	c->next = conns;
	conns = c;
}

/* ---- STUN Binding, on the UDP port of the signaling address ---- */

static void
stun_recv_cb(uv_udp_t *u, ssize_t nread, const uv_buf_t *b,
    const struct sockaddr *src, unsigned flags)
{
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)src;
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)src;
	uint8_t resp[STUN_RESP_MAX];
	struct stun_addr from;
	uv_buf_t rb;
	size_t rlen;

	if (nread <= 0 || src == NULL || (flags & UV_UDP_PARTIAL))
		return;
	memset(&from, 0, sizeof(from));
	if (src->sa_family == AF_INET) {
		from.family = 4;
		memcpy(from.addr, &s4->sin_addr, 4);
		from.port = ntohs(s4->sin_port);
	} else if (src->sa_family == AF_INET6) {
		from.family = 6;
		memcpy(from.addr, &s6->sin6_addr, 16);
		from.port = ntohs(s6->sin6_port);
	} else
		return;
	if (stun_binding_response((const uint8_t *)b->base, (size_t)nread,
	    &from, resp, &rlen) != 0)
		return;
	rb = uv_buf_init((char *)resp, (unsigned)rlen);
	(void)uv_udp_try_send(u, &rb, 1, src);
}

/* ---- life ---- */

static void
tick_cb(uv_timer_t *t)
{
	(void)t;
	if (ops->on_tick != NULL && !shutting_down)
		ops->on_tick();
}

static void
signal_cb(uv_signal_t *s, int signum)
{
	struct fx_conn *c;

	(void)s;
	(void)signum;
	if (shutting_down)
		return;
	shutting_down = 1;
	ops->on_shutdown();
	for (c = conns; c != NULL; c = c->next)
		if (c->nc != NULL)
			nconn_close(c->nc, "server shutting down");
	uv_close((uv_handle_t *)&listener, NULL);
	uv_close((uv_handle_t *)&stun_udp, NULL);
	uv_close((uv_handle_t *)&tick, NULL);
	uv_close((uv_handle_t *)&sigterm, NULL);
	uv_close((uv_handle_t *)&sigint, NULL);
}

void
fx_init(const char *name, const char *listen_at, const char *keypath,
    const struct fx_ops *o)
{
	struct sockaddr_storage ss;
	char err[300];
	int r;

	prog = name;
	ops = o;
	if (sodium_init() < 0)
		fx_die("sodium_init failed");
	if (netaddr_parse(listen_at, &ss, err, sizeof(err)) != 0)
		fx_die("%s", err);
	if (keypath != NULL) {
		if (keyfile_load(keypath, 1, &server_key, NULL, err,
		    sizeof(err)) != 0)
			fx_die("%s", err);
	} else {
		if ((server_key = calloc(1, sizeof(*server_key))) == NULL ||
		    (server_key->priv = sodium_malloc(32)) == NULL)
			fx_die("out of memory");
		noise_keypair(server_key->priv, server_key->pub);
	}
	nconn_limits_default(&lim);

	fx_loop = uv_default_loop();
	uv_tcp_init(fx_loop, &listener);
	if ((r = uv_tcp_bind(&listener, (struct sockaddr *)&ss, 0)) != 0 ||
	    (r = uv_listen((uv_stream_t *)&listener, 64, on_connection)) != 0)
		fx_die("cannot listen on %s: %s", listen_at, uv_strerror(r));
	uv_udp_init(fx_loop, &stun_udp);
	if ((r = uv_udp_bind(&stun_udp, (struct sockaddr *)&ss, 0)) != 0 ||
	    (r = uv_udp_recv_start(&stun_udp, fx_alloc_cb,
	    stun_recv_cb)) != 0)
		fx_die("cannot bind UDP %s: %s", listen_at, uv_strerror(r));
	uv_timer_init(fx_loop, &tick);
	uv_timer_start(&tick, tick_cb, FX_TICK_MS, FX_TICK_MS);
	uv_signal_init(fx_loop, &sigterm);
	uv_signal_start(&sigterm, signal_cb, SIGTERM);
	uv_signal_init(fx_loop, &sigint);
	uv_signal_start(&sigint, signal_cb, SIGINT);
}

void
fx_run(void)
{
	uv_run(fx_loop, UV_RUN_DEFAULT);
	keypair_free(server_key);
	server_key = NULL;
	(void)uv_loop_close(fx_loop);
}
