/*
 * sigclient.c - a signaling test client built on nconn, for tests/server.sh
 * and scripts/bench-server.
 *
 *	sigclient [--key FILE] [--cmd FIFO] HOST:PORT
 *		One connection.  Commands, one per line, from FIFO (opened
 *		read-write, so writers may come and go) or stdin; events on
 *		stdout, one line each.
 *	sigclient HOST:PORT --garbage | --zero | --oversize | --bad-handshake
 *	    | --silent [--wait MS]
 *		Misbehave before or during the handshake; print "closed
 *		after N ms" when the server drops the connection, or "open
 *		after N ms" if it has not after MS (default 3000).
 *	sigclient HOST:PORT --clients N [--prefix P] [--parallel K]
 *	    [--server-pid PID] [--hold S]
 *		Open N connections (one shared identity, K handshakes at a
 *		time), then register P0 .. P(N-1) on them, and print the
 *		figures; with --server-pid, the server's VmRSS before and
 *		after.  --hold keeps the connections open S seconds more.
 *	sigclient HOST:PORT --calls N [--rounds R] [--spread MS]
 *	    [--hold-ms MS] [--prefix P] [--parallel K] [--server-pid PID]
 *	    [--phase-timeout S] [--own-keys]
 *		N pairs of connections (2N clients, one shared identity, or
 *		with --own-keys each its own, derived from --key or a fresh
 *		one and its index, so the same again on the next run):
 *		all register (P-cI and P-eI), then in each of R rounds every
 *		caller P-cI calls P-eI (DIAL, INCOMING, RINGING, HANDSHAKE,
 *		ACCEPT with E2E bytes of the real sizes, checked on arrival),
 *		all calls are held open MS ms (default 200) and hung up
 *		(--rounds 0: register only).
 *		--spread paces the connections, and the DIALs of a round,
 *		evenly over MS ms (default: all at once, K connecting at a
 *		time).  Prints the registration time (connect to
 *		REGISTERED) and call setup time (DIAL to ACCEPT) as median,
 *		95th percentile and maximum, failures, and with --server-pid
 *		the server's VmRSS at the start, with everyone registered,
 *		with every call of a round open (the largest) and at the end.
 *		A phase not finished after S s (default 60) counts what is
 *		left as failed.  Exit status 0 only without failures.
 *	sigclient HOST:PORT --flood S
 *		One attacker for S seconds, all at once, each kind
 *		reconnecting as soon as its connection ends: full
 *		handshakes closed at once (16 at a time), bad messages
 *		after a valid handshake (undecodable, over the frame limit,
 *		a server-only type: 4), garbage before the handshake (4),
 *		oversized frame headers (4), slowloris (a handshake message
 *		one byte every 2 s: 8), idle connections (8).  Prints per
 *		kind the attempts, how many were open (TCP connected for
 *		the raw kinds, the handshake done for the other two), local
 *		errors (connect, bind) and the longest one stayed open.
 *	--src ADDR [--src-count K]  (every mode)
 *		Connect from ADDR, or from K consecutive addresses starting
 *		at ADDR, connection i from the (i mod K)-th (on Linux all of
 *		127.0.0.0/8 is loopback).
 *
 * Commands:  register NAME | dial CALL NAME [HEX] | ringing CALL [HEX] |
 *	      handshake CALL [HEX] | accept CALL | reject CALL REASON |
 *	      hangup CALL REASON | relay CALL | ping | raw HEX | big N | close |
 *	      probe N NAME... (N rounds of one DIAL to each NAME in turn, the
 *	      next when the last was answered: prints one "probe" line per
 *	      NAME with the answers' reasons, their texts with the name
 *	      replaced by NAME, and the time from DIAL to answer)
 * Events:    server FINGERPRINT | welcome V | registered NAME |
 *	      error REASON [call=ID] [name=NAME] TEXT | incoming CALL NAME HEX |
 *	      ringing CALL HEX | handshake CALL HEX | accept CALL |
 *	      reject CALL REASON | hangup CALL REASON | pong |
 *	      relay_grant CALL ADDR:PORT LEG KEYHEX |
 *	      relay_refused CALL REASON TEXT |
 *	      probe NAME n K reasons R,... texts T median_us X p95_us Y
 *	      text TEXT (the first distinct ones) |
 *	      closed ERROR WHY | badcmd LINE
 * REASON is a reason name (sig_reason_name) or its number.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <arpa/inet.h>

#include <sodium.h>
#include <uv.h>

#include "err.h"
#include "frame.h"
#include "keyfile.h"
#include "nconn.h"
#include "noise.h"
#include "sigmsg.h"

static uv_loop_t		*loop;
static struct keypair		*ident;
static struct sockaddr_storage	 server;
static struct sockaddr_storage	 src_base;	/* --src */
static unsigned			 src_count;	/* 0: no --src */

static void
die(const char *fmt, ...)
{
	va_list ap;

	fputs("sigclient: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void
out(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static void
hex(const uint8_t *p, size_t n, char *o, size_t cap)
{
	sodium_bin2hex(o, cap, p, n < (cap - 1) / 2 ? n : (cap - 1) / 2);
}

static int
unhex(const char *s, uint8_t *o, size_t cap, size_t *lenp)
{
	return sodium_hex2bin(o, cap, s, strlen(s), NULL, lenp, NULL);
}

/* Client i's own key (--own-keys): BLAKE2b of i under ident's. */
static struct keypair *
derived_identity(unsigned i)
{
	struct keypair *kp;
	uint8_t n[4];

	if ((kp = calloc(1, sizeof(*kp))) == NULL ||
	    (kp->priv = sodium_malloc(32)) == NULL)
		die("out of memory");
	n[0] = (uint8_t)(i >> 24);
	n[1] = (uint8_t)(i >> 16);
	n[2] = (uint8_t)(i >> 8);
	n[3] = (uint8_t)i;
	crypto_generichash(kp->priv, 32, n, sizeof(n), ident->priv, 32);
	if (crypto_scalarmult_base(kp->pub, kp->priv) != 0)
		die("cannot derive key %u", i);
	return kp;
}

static struct keypair *
fresh_identity(void)
{
	struct keypair *kp;

	if ((kp = calloc(1, sizeof(*kp))) == NULL ||
	    (kp->priv = sodium_malloc(32)) == NULL)
		die("out of memory");
	noise_keypair(kp->priv, kp->pub);
	return kp;
}

/*
 * The source address of connection i: NULL without --src, else --src plus
 * (i mod --src-count), added to an IPv4 address or to the last 32 bits of
 * an IPv6 one.
 */
static const struct sockaddr *
src_addr(unsigned i, struct sockaddr_storage *ss)
{
	uint32_t v;

	if (src_count == 0)
		return NULL;
	*ss = src_base;
	i %= src_count;
	if (ss->ss_family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;

		a->sin_addr.s_addr = htonl(ntohl(a->sin_addr.s_addr) + i);
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;

		memcpy(&v, a->sin6_addr.s6_addr + 12, 4);
		v = htonl(ntohl(v) + i);
		memcpy(a->sin6_addr.s6_addr + 12, &v, 4);
	}
	return (const struct sockaddr *)ss;
}

static int
parse_reason(const char *s)
{
	char *end;
	long v;
	int i;

	for (i = 0; i <= SIG_R_MAX; i++)
		if (strcmp(s, sig_reason_name((uint8_t)i)) == 0)
			return i;
	v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || v < 0 || v > 255)
		return -1;
	return (int)v;
}

/* ---- one scripted connection ---- */

static struct nconn	*conn;
static uv_pipe_t	 cmdpipe;
static char		 cmdbuf[8192];
static size_t		 cmdlen;
static int		 welcomed;
static char		 pending[64][512];	/* commands before WELCOME */
static int		 npending;

static void
print_msg(const struct sigmsg *m)
{
	char h[2 * SIG_E2E_MAX + 1], text[SIG_TEXT_MAX * 4 + 1];
	char extra[128] = "";

	h[0] = '\0';
	if (SIG_HAS(m, SIG_T_E2E))
		hex(m->e2e, m->e2e_len, h, sizeof(h));
	switch (m->type) {
	case SIG_WELCOME:
		welcomed = 1;
		out("welcome %u", m->version);
		break;
	case SIG_REGISTERED:
		out("registered %s", m->name);
		break;
	case SIG_ERROR:
		sanitize_str(m->text, text, sizeof(text));
		if (SIG_HAS(m, SIG_T_CALL))
			snprintf(extra, sizeof(extra), "call=%" PRIu64 " ",
			    m->call);
		if (SIG_HAS(m, SIG_T_NAME))
			snprintf(extra + strlen(extra),
			    sizeof(extra) - strlen(extra), "name=%s ",
			    m->name);
		out("error %s %s%s", sig_reason_name(m->reason), extra, text);
		break;
	case SIG_INCOMING:
		out("incoming %" PRIu64 " %s %s", m->call, m->name, h);
		break;
	case SIG_RINGING:
		out("ringing %" PRIu64 " %s", m->call, h);
		break;
	case SIG_HANDSHAKE:
		out("handshake %" PRIu64 " %s %u", m->call, h, m->ncand);
		break;
	case SIG_ACCEPT:
		out("accept %" PRIu64, m->call);
		break;
	case SIG_REJECT:
		out("reject %" PRIu64 " %s", m->call,
		    sig_reason_name(m->reason));
		break;
	case SIG_HANGUP:
		out("hangup %" PRIu64 " %s", m->call,
		    sig_reason_name(m->reason));
		break;
	case SIG_PONG:
		out("pong");
		break;
	case SIG_RELAY_GRANT:
		if (SIG_HAS(m, SIG_T_REASON)) {
			sanitize_str(m->text, text, sizeof(text));
			out("relay_refused %" PRIu64 " %s %s", m->call,
			    sig_reason_name(m->reason), text);
			break;
		}
		{
			char a[INET6_ADDRSTRLEN], k[2 * SIG_RELAY_KEYLEN + 1];
			const struct sig_cand *c = &m->cand[0];

			inet_ntop(c->family == 4 ? AF_INET : AF_INET6, c->addr,
			    a, sizeof(a));
			hex(m->relay_key, SIG_RELAY_KEYLEN, k, sizeof(k));
			out(c->family == 4 ? "relay_grant %" PRIu64 " %s:%u %"
			    PRIu64 " %s" : "relay_grant %" PRIu64 " [%s]:%u %"
			    PRIu64 " %s", m->call, a, c->port, m->relay_leg, k);
		}
		break;
	default:
		out("message %s", sigmsg_type_name(m->type));
		break;
	}
}

static void
one_open(struct nconn *c, void *arg)
{
	uint8_t pub[32];
	char fp[FINGERPRINT_LEN + 1];

	nconn_remote_static(c, pub);
	fingerprint(pub, fp);
	out("server %s", fp);
}

static void	run_command(char *line);

/* ---- probe: DIALs to names in turn, each answer timed ---- */

#define PROBE_NAMES	4
#define PROBE_MAX	256

static struct {
	int		 on;
	unsigned	 rounds, nnames, next;	/* next DIAL: round * n + j */
	char		 name[PROBE_NAMES][SIG_NAME_MAX + 1];
	uint64_t	 call, t0;		/* the DIAL in flight */
	double		 us[PROBE_NAMES][PROBE_MAX];
	char		 reasons[PROBE_NAMES][128];
	char		 texts[PROBE_NAMES][4][SIG_TEXT_MAX + 1];
	unsigned	 ntexts[PROBE_NAMES];
} prb;

static void	send_sig(struct sigmsg *);

static void
probe_send(void)
{
	static struct sigmsg m;
	uint8_t e2e[32];

	memset(e2e, 0x11, sizeof(e2e));
	randombytes_buf(&prb.call, sizeof(prb.call));
	sigmsg_init(&m, SIG_DIAL);
	sigmsg_set_call(&m, prb.call);
	(void)sigmsg_set_name(&m, prb.name[prb.next % prb.nnames]);
	(void)sigmsg_set_e2e(&m, e2e, sizeof(e2e));
	prb.t0 = uv_hrtime();
	send_sig(&m);
}

/* The text with every occurrence of name replaced by "NAME". */
static void
probe_norm(const char *text, const char *name, char *o, size_t cap)
{
	size_t nl = strlen(name), k = 0;
	const char *p;

	for (p = text; *p != '\0' && k + 5 < cap; ) {
		if (nl > 0 && strncmp(p, name, nl) == 0) {
			memcpy(o + k, "NAME", 4);
			k += 4;
			p += nl;
		} else
			o[k++] = *p++;
	}
	o[k] = '\0';
}

static void
probe_report(void)
{
	unsigned j, i, n = prb.rounds;
	double *v;
	size_t k95;

	for (j = 0; j < prb.nnames; j++) {
		v = prb.us[j];
		for (i = 1; i < n; i++) {	/* insertion sort: n is small */
			double x = v[i];
			unsigned k = i;

			for (; k > 0 && v[k - 1] > x; k--)
				v[k] = v[k - 1];
			v[k] = x;
		}
		k95 = ((size_t)n * 95 + 99) / 100;
		out("probe %s n %u reasons %s texts %u median_us %.0f p95_us "
		    "%.0f", prb.name[j], n, prb.reasons[j], prb.ntexts[j],
		    n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2,
		    v[k95 - 1]);
		for (i = 0; i < prb.ntexts[j]; i++)
			out("text %s %s", prb.name[j], prb.texts[j][i]);
	}
	prb.on = 0;
}

/* An answer to the DIAL in flight: 1 when it was one. */
static int
probe_answer(const struct sigmsg *m)
{
	char t[SIG_TEXT_MAX * 4 + 1], norm[SIG_TEXT_MAX + 1];
	unsigned j, i;
	const char *rn;

	if (!prb.on || !SIG_HAS(m, SIG_T_CALL) || m->call != prb.call)
		return 0;
	j = prb.next % prb.nnames;
	prb.us[j][prb.next / prb.nnames] = (double)(uv_hrtime() - prb.t0) / 1e3;
	rn = m->type == SIG_ERROR ? sig_reason_name(m->reason) :
	    sigmsg_type_name(m->type);
	if (strstr(prb.reasons[j], rn) == NULL &&
	    strlen(prb.reasons[j]) + strlen(rn) + 2 < sizeof(prb.reasons[j]))
		snprintf(prb.reasons[j] + strlen(prb.reasons[j]),
		    sizeof(prb.reasons[j]) - strlen(prb.reasons[j]), "%s%s",
		    prb.reasons[j][0] != '\0' ? "," : "", rn);
	sanitize_str(m->type == SIG_ERROR ? m->text : "", t, sizeof(t));
	probe_norm(t, prb.name[j], norm, sizeof(norm));
	for (i = 0; i < prb.ntexts[j]; i++)
		if (strcmp(prb.texts[j][i], norm) == 0)
			break;
	if (i == prb.ntexts[j] && i < 4)
		snprintf(prb.texts[j][prb.ntexts[j]++], SIG_TEXT_MAX + 1, "%s",
		    norm);
	if (m->type == SIG_INCOMING || m->type == SIG_RINGING) {
		/* Not an error: the callee is there; hang up at once. */
		static struct sigmsg h;

		sigmsg_init(&h, SIG_HANGUP);
		sigmsg_set_call(&h, prb.call);
		sigmsg_set_reason(&h, SIG_R_CANCELLED);
		send_sig(&h);
	}
	if (++prb.next == prb.rounds * prb.nnames)
		probe_report();
	else
		probe_send();
	return 1;
}

static void
one_msg(struct nconn *c, const uint8_t *msg, size_t len, void *arg)
{
	static struct sigmsg m;
	int i, n;

	if (sigmsg_decode(&m, msg, len) != 0) {
		out("undecodable %zu bytes", len);
		return;
	}
	if (probe_answer(&m))
		return;
	print_msg(&m);
	if (m.type == SIG_WELCOME && npending > 0) {
		n = npending;
		npending = 0;
		for (i = 0; i < n; i++)
			run_command(pending[i]);
	}
}

static void
one_close(struct nconn *c, int err, const char *why, void *arg)
{
	out("closed %s %s", err == 0 ? "ok" : e2_strerror(err), why);
	conn = NULL;
	if (!uv_is_closing((uv_handle_t *)&cmdpipe))
		uv_close((uv_handle_t *)&cmdpipe, NULL);
}

static void
send_sig(struct sigmsg *m)
{
	int rc;

	if ((rc = nconn_send_sig(conn, m)) != 0)
		out("senderror %s", e2_strerror(rc));
}

static void
run_command(char *line)
{
	static struct sigmsg m;
	char *argv[8], *p, *save = NULL;
	uint8_t raw[SIG_MSG_MAX + 64];
	size_t len;
	int argc = 0, r;

	if (conn == NULL)
		return;
	if (!welcomed) {
		if (npending < (int)(sizeof(pending) / sizeof(pending[0])))
			snprintf(pending[npending++], sizeof(pending[0]),
			    "%s", line);
		return;
	}
	for (p = strtok_r(line, " \t", &save); p != NULL && argc < 8;
	    p = strtok_r(NULL, " \t", &save))
		argv[argc++] = p;
	if (argc == 0)
		return;
#define NEED(n)	do { if (argc < (n)) goto bad; } while (0)
	if (strcmp(argv[0], "register") == 0) {
		/* Encoded by hand: a bad name must reach the server. */
		NEED(2);
		len = strlen(argv[1]);
		if (len > 255)
			goto bad;
		raw[0] = SIG_REGISTER;
		raw[1] = SIG_T_NAME;
		raw[2] = 0;
		raw[3] = (uint8_t)len;
		memcpy(raw + 4, argv[1], len);
		if ((r = nconn_send(conn, raw, 4 + len)) != 0)
			out("senderror %s", e2_strerror(r));
	} else if (strcmp(argv[0], "dial") == 0 ||
	    strcmp(argv[0], "ringing") == 0 ||
	    strcmp(argv[0], "handshake") == 0) {
		NEED(strcmp(argv[0], "dial") == 0 ? 3 : 2);
		sigmsg_init(&m, argv[0][0] == 'd' ? SIG_DIAL :
		    argv[0][0] == 'r' ? SIG_RINGING : SIG_HANDSHAKE);
		sigmsg_set_call(&m, strtoull(argv[1], NULL, 10));
		if (m.type == SIG_DIAL && sigmsg_set_name(&m, argv[2]) != 0)
			goto bad;
		p = argc > (m.type == SIG_DIAL ? 3 : 2) ?
		    argv[m.type == SIG_DIAL ? 3 : 2] : "01";
		if (unhex(p, raw, SIG_E2E_MAX, &len) != 0 || len == 0 ||
		    sigmsg_set_e2e(&m, raw, len) != 0)
			goto bad;
		send_sig(&m);
	} else if (strcmp(argv[0], "accept") == 0) {
		NEED(2);
		sigmsg_init(&m, SIG_ACCEPT);
		sigmsg_set_call(&m, strtoull(argv[1], NULL, 10));
		send_sig(&m);
	} else if (strcmp(argv[0], "reject") == 0 ||
	    strcmp(argv[0], "hangup") == 0) {
		NEED(3);
		if ((r = parse_reason(argv[2])) < 0)
			goto bad;
		sigmsg_init(&m, argv[0][0] == 'r' ? SIG_REJECT : SIG_HANGUP);
		sigmsg_set_call(&m, strtoull(argv[1], NULL, 10));
		sigmsg_set_reason(&m, (enum sig_reason)r);
		send_sig(&m);
	} else if (strcmp(argv[0], "relay") == 0) {
		NEED(2);
		sigmsg_init(&m, SIG_RELAY_REQUEST);
		sigmsg_set_call(&m, strtoull(argv[1], NULL, 10));
		send_sig(&m);
	} else if (strcmp(argv[0], "ping") == 0) {
		sigmsg_init(&m, SIG_PING);
		send_sig(&m);
	} else if (strcmp(argv[0], "raw") == 0) {
		NEED(2);
		if (unhex(argv[1], raw, sizeof(raw), &len) != 0)
			goto bad;
		if ((r = nconn_send(conn, raw, len)) != 0)
			out("senderror %s", e2_strerror(r));
	} else if (strcmp(argv[0], "big") == 0) {
		/* A message of N zero bytes, up to the frame maximum. */
		static uint8_t zero[FRAME_MAXLEN];

		NEED(2);
		len = strtoul(argv[1], NULL, 10);
		if (len > FRAME_MAXLEN - NOISE_TAGLEN)
			goto bad;
		if ((r = nconn_send(conn, zero, len)) != 0)
			out("senderror %s", e2_strerror(r));
	} else if (strcmp(argv[0], "close") == 0) {
		nconn_close(conn, "closed by command");
	} else if (strcmp(argv[0], "probe") == 0) {
		NEED(3);
		if (prb.on)
			goto bad;
		memset(&prb, 0, sizeof(prb));
		prb.rounds = (unsigned)strtoul(argv[1], NULL, 10);
		if (prb.rounds == 0 || prb.rounds > PROBE_MAX)
			goto bad;
		for (r = 2; r < argc && prb.nnames < PROBE_NAMES; r++)
			snprintf(prb.name[prb.nnames++], SIG_NAME_MAX + 1, "%s",
			    argv[r]);
		prb.on = 1;
		probe_send();
	} else
		goto bad;
	return;
bad:
	out("badcmd %s", argv[0]);
#undef NEED
}

static void
cmd_alloc_cb(uv_handle_t *h, size_t sug, uv_buf_t *b)
{
	*b = uv_buf_init(cmdbuf + cmdlen, (unsigned)(sizeof(cmdbuf) - cmdlen));
}

static void
cmd_read_cb(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	char *nl, line[512];
	size_t l;

	if (n < 0) {
		/* End of commands: leave once the server answered. */
		uv_close((uv_handle_t *)s, NULL);
		if (conn != NULL)
			nconn_close(conn, "end of commands");
		return;
	}
	cmdlen += (size_t)n;
	while ((nl = memchr(cmdbuf, '\n', cmdlen)) != NULL) {
		l = (size_t)(nl - cmdbuf);
		if (l >= sizeof(line))
			l = sizeof(line) - 1;
		memcpy(line, cmdbuf, l);
		line[l] = '\0';
		cmdlen -= (size_t)(nl - cmdbuf) + 1;
		memmove(cmdbuf, nl + 1, cmdlen);
		run_command(line);
	}
	if (cmdlen == sizeof(cmdbuf))
		cmdlen = 0;
}

static int
run_one(const char *fifo)
{
	static const struct nconn_cbs cbs = { one_open, one_msg, one_close };
	struct sockaddr_storage ss;
	int fd = 0, rc;

	if (fifo != NULL && (fd = open(fifo, O_RDWR | O_CLOEXEC)) == -1)
		die("%s: %s", fifo, strerror(errno));
	if (uv_pipe_init(loop, &cmdpipe, 0) != 0 ||
	    uv_pipe_open(&cmdpipe, fd) != 0)
		die("commands must come from a pipe or FIFO");
	uv_read_start((uv_stream_t *)&cmdpipe, cmd_alloc_cb, cmd_read_cb);
	if ((rc = nconn_connect_from(loop, src_addr(0, &ss),
	    (struct sockaddr *)&server, ident, NULL, &cbs, NULL, &conn)) != 0)
		die("connect: %s", e2_strerror(rc));
	uv_run(loop, UV_RUN_DEFAULT);
	return 0;
}

/* ---- misbehaving clients (raw TCP) ---- */

enum attack { A_GARBAGE, A_ZERO, A_OVERSIZE, A_BADHS, A_SILENT };

static uv_tcp_t		 atcp;
static uv_timer_t	 atimer;
static enum attack	 amode;
static uint64_t		 astart;
static int		 adone;
static uint8_t		 arbuf[4096];
static size_t		 arlen;

static void
attack_finish(const char *what)
{
	if (adone)
		return;
	adone = 1;
	out("%s after %" PRIu64 " ms", what, uv_now(loop) - astart);
	uv_close((uv_handle_t *)&atcp, NULL);
	uv_close((uv_handle_t *)&atimer, NULL);
}

static void
attack_timer_cb(uv_timer_t *t)
{
	attack_finish("open");
}

static void
attack_write(const void *p, size_t n)
{
	uv_buf_t b = uv_buf_init((char *)p, (unsigned)n);

	if (uv_try_write((uv_stream_t *)&atcp, &b, 1) != (int)n)
		attack_finish("closed");
}

static void
attack_alloc_cb(uv_handle_t *h, size_t sug, uv_buf_t *b)
{
	*b = uv_buf_init((char *)arbuf + arlen,
	    (unsigned)(sizeof(arbuf) - arlen));
}

static void
attack_read_cb(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	uint8_t msg3[2 + 64];

	if (n < 0) {
		attack_finish("closed");
		return;
	}
	arlen += (size_t)n;
	/* The server's XX message 2 (2 + 96 bytes): answer with junk. */
	if (amode == A_BADHS && arlen >= 2 + 96) {
		arlen = 0;
		randombytes_buf(msg3, sizeof(msg3));
		frame_hdr(msg3, 64);
		attack_write(msg3, sizeof(msg3));
	}
	if (arlen == sizeof(arbuf))
		arlen = 0;
}

static void
attack_connect_cb(uv_connect_t *req, int status)
{
	static const char garbage[] = "GET / HTTP/1.1\r\nHost: e2call\r\n\r\n";
	uint8_t buf[2 + 200];

	if (status < 0)
		die("connect: %s", uv_strerror(status));
	uv_read_start((uv_stream_t *)&atcp, attack_alloc_cb, attack_read_cb);
	switch (amode) {
	case A_GARBAGE:
		attack_write(garbage, sizeof(garbage) - 1);
		break;
	case A_ZERO:
		memset(buf, 0, 2);
		attack_write(buf, 2);
		break;
	case A_OVERSIZE:
		buf[0] = buf[1] = 0xff;
		randombytes_buf(buf + 2, 200);
		attack_write(buf, sizeof(buf));
		break;
	case A_BADHS:
		/* Any 32 bytes are an acceptable X25519 ephemeral key. */
		frame_hdr(buf, 32);
		randombytes_buf(buf + 2, 32);
		attack_write(buf, 2 + 32);
		break;
	case A_SILENT:
		break;
	}
}

static int
run_attack(enum attack mode, unsigned wait_ms)
{
	static uv_connect_t creq;
	struct sockaddr_storage ss;
	const struct sockaddr *src;

	amode = mode;
	uv_tcp_init(loop, &atcp);
	uv_timer_init(loop, &atimer);
	astart = uv_now(loop);
	if ((src = src_addr(0, &ss)) != NULL &&
	    uv_tcp_bind(&atcp, src, 0) != 0)
		die("cannot bind the source address");
	if (uv_tcp_connect(&creq, &atcp, (struct sockaddr *)&server,
	    attack_connect_cb) != 0)
		die("connect failed");
	uv_timer_start(&atimer, attack_timer_cb, wait_ms, 0);
	uv_run(loop, UV_RUN_DEFAULT);
	return 0;
}

/* ---- many clients ---- */

enum { M_IDLE, M_CONNECTING, M_OPEN, M_REGSENT, M_REGISTERED, M_FAILED };

struct mclient {
	struct nconn	*c;
	unsigned	 idx;
	int		 state;
};

static struct mclient	*mc;
static unsigned		 m_n, m_par, m_started, m_opened, m_registered;
static unsigned		 m_failed, m_active, m_regidx;
static const char	*m_prefix = "user";
static uint64_t		 m_t0, m_topen, m_treg;
static int		 m_phase;	/* 1 handshakes, 2 registering, 3 */
static long		 m_pid = -1;
static unsigned		 m_hold;
static uv_timer_t	 m_timer;
static long		 rss_before = -1;
static double		 cpu0, cpu1, cpu2;

/* utime + stime of a process in seconds, -1 if unknown */
static double
cpu_s(long pid)
{
	char path[64], buf[1024], *p;
	unsigned long ut, st;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* fields after the command name in parentheses: state is 3rd */
	if ((p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
	    &ut, &st) != 2)
		return -1;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static long
rss_kb(long pid)
{
	char path[64], line[256];
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/status", pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

static void	m_pump(void);

static void
m_report(void)
{
	double ths = (double)(m_topen - m_t0) / 1000.0;
	double trg = (double)(m_treg - m_topen) / 1000.0;
	long after = m_pid > 0 ? rss_kb(m_pid) : -1;

	out("clients %u opened %u registered %u failed %u", m_n, m_opened,
	    m_registered, m_failed);
	out("handshakes %u in %.2f s = %.0f/s", m_opened, ths,
	    ths > 0 ? m_opened / ths : 0);
	out("registrations %u in %.2f s = %.0f/s", m_registered, trg,
	    trg > 0 ? m_registered / trg : 0);
	if (m_pid > 0 && cpu0 >= 0 && cpu1 >= 0 && cpu2 >= 0) {
		out("server cpu handshakes %.2f s = %.0f handshakes per "
		    "cpu-second", cpu1 - cpu0, cpu1 > cpu0 ?
		    m_opened / (cpu1 - cpu0) : 0);
		out("server cpu registrations %.2f s", cpu2 - cpu1);
	}
	if (m_pid > 0 && after > 0 && rss_before > 0)
		out("server rss %ld kB -> %ld kB = %.0f bytes per connection",
		    rss_before, after, m_registered > 0 ?
		    (double)(after - rss_before) * 1024.0 / m_registered : 0);
}

static void
m_timer_cb(uv_timer_t *t)
{
	unsigned i;

	uv_close((uv_handle_t *)t, NULL);
	for (i = 0; i < m_n; i++)
		if (mc[i].c != NULL)
			nconn_close(mc[i].c, "done");
}

static void
m_set(struct mclient *m, int state)
{
	if (m->state == M_CONNECTING || m->state == M_REGSENT)
		m_active--;
	if (state == M_CONNECTING || state == M_REGSENT)
		m_active++;
	if (state == M_OPEN)
		m_opened++;
	else if (state == M_REGISTERED)
		m_registered++;
	else if (state == M_FAILED)
		m_failed++;
	m->state = state;
}

static void
m_open(struct nconn *c, void *arg)
{
	m_set(arg, M_OPEN);
	m_pump();
}

static void
m_msg(struct nconn *c, const uint8_t *msg, size_t len, void *arg)
{
	static struct sigmsg s;
	struct mclient *m = arg;

	if (m->state != M_REGSENT || sigmsg_decode(&s, msg, len) != 0)
		return;
	if (s.type == SIG_REGISTERED)
		m_set(m, M_REGISTERED);
	else if (s.type == SIG_ERROR)
		m_set(m, M_FAILED);
	else
		return;
	m_pump();
}

static void
m_close(struct nconn *c, int err, const char *why, void *arg)
{
	struct mclient *m = arg;

	m->c = NULL;
	if (m_phase == 3 || m->state == M_REGISTERED || m->state == M_FAILED)
		return;
	if (m_failed < 5)
		fprintf(stderr, "sigclient: client %u: %s\n", m->idx, why);
	m_set(m, M_FAILED);
	m_pump();
}

static const struct nconn_cbs m_cbs = { m_open, m_msg, m_close };

/* Keeps m_par handshakes (phase 1) or registrations (phase 2) going. */
static void
m_pump(void)
{
	static struct sigmsg s;
	char name[SIG_NAME_MAX + 1];
	struct sockaddr_storage ss;
	struct mclient *m;

	while (m_phase == 1 && m_started < m_n && m_active < m_par) {
		m = &mc[m_started];
		m->idx = m_started++;
		m_set(m, M_CONNECTING);
		if (nconn_connect_from(loop, src_addr(m->idx, &ss),
		    (struct sockaddr *)&server, ident, NULL, &m_cbs, m,
		    &m->c) != 0) {
			m->c = NULL;
			m_set(m, M_FAILED);
		}
	}
	if (m_phase == 1 && m_started == m_n && m_active == 0) {
		uv_update_time(loop);
		m_topen = uv_now(loop);
		if (m_pid > 0)
			cpu1 = cpu_s(m_pid);
		m_phase = 2;
	}
	while (m_phase == 2 && m_regidx < m_n && m_active < m_par) {
		m = &mc[m_regidx++];
		if (m->state != M_OPEN)
			continue;
		snprintf(name, sizeof(name), "%s%u", m_prefix, m->idx);
		sigmsg_init(&s, SIG_REGISTER);
		sigmsg_set_name(&s, name);
		m_set(m, M_REGSENT);
		if (nconn_send_sig(m->c, &s) != 0)
			m_set(m, M_FAILED);
	}
	if (m_phase == 2 && m_regidx == m_n && m_active == 0) {
		uv_update_time(loop);
		m_treg = uv_now(loop);
		if (m_pid > 0)
			cpu2 = cpu_s(m_pid);
		m_phase = 3;
		m_report();
		uv_timer_start(&m_timer, m_timer_cb, m_hold * 1000u, 0);
	}
}

static int
run_many(unsigned n)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if ((mc = calloc(n, sizeof(*mc))) == NULL)
		die("out of memory");
	m_n = n;
	if (m_pid > 0) {
		rss_before = rss_kb(m_pid);
		cpu0 = cpu_s(m_pid);
	}
	uv_timer_init(loop, &m_timer);
	uv_update_time(loop);
	m_t0 = uv_now(loop);
	m_phase = 1;
	m_pump();
	uv_run(loop, UV_RUN_DEFAULT);
	free(mc);
	return m_registered == n ? 0 : 1;
}

/* ---- calls: pairs of clients that register and call each other ---- */

enum { P_IDLE, P_CONNECTING, P_REGSENT, P_READY, P_FAILED };
enum { C_IDLE, C_DIALED, C_RUNG, C_HANDSHAKE, C_ACCEPTSENT, C_ACCEPTED,
	C_HANGUP, C_DONE, C_FAILED };
enum { CP_REG = 1, CP_CALL, CP_HOLD, CP_HANGUP, CP_END };

/* E2E sizes of a real call: XX messages 1, 2 and 3 (section 5.1). */
static const size_t	e2e_len[3] = { 32, 96, 64 };

struct cpair;

struct cparty {
	struct nconn	*c;
	struct cpair	*pair;
	struct keypair	*key;		/* --own-keys, else NULL */
	unsigned	 idx;		/* 2 * pair, + 1 for the callee */
	int		 state;
	uint64_t	 t0;		/* ns: connecting started */
	char		 name[SIG_NAME_MAX + 1];
};

struct cpair {
	struct cparty	 p[2];		/* caller, callee */
	int		 cstate;
	uint64_t	 call;
	uint64_t	 t_dial;	/* ns */
};

static struct cpair	*cp;
static unsigned		 cp_n, cp_rounds = 1, cp_round, cp_spread_ms;
static unsigned		 cp_hold_ms = 200, cp_phase_s = 60;
static int		 cp_own_keys;
static int		 cp_phase, cp_busy;
static unsigned		 cp_next, cp_pending, cp_active, cp_total;
static uint64_t		 cp_phase_t0;	/* ms */
static double		*cp_reg_ms, *cp_setup_ms;
static unsigned		 cp_nreg, cp_nsetup, cp_regfail, cp_callfail;
static unsigned		 cp_hangfail, cp_hungup, cp_nfailmsg;
static uv_timer_t	 cp_tick, cp_deadline;
static long		 cp_rss_idle = -1, cp_rss_reg = -1, cp_rss_calls = -1;
static double		 cp_cpu0 = -1;

static void	cp_pump(void);
static void	cp_phase_start(int);

static double
ms_since(uint64_t t_ns)
{
	return (double)(uv_hrtime() - t_ns) / 1e6;
}

static void
cp_note(const char *fmt, ...)
{
	va_list ap;

	/* The first few failures in words; the counts say the rest. */
	if (cp_nfailmsg++ >= 10)
		return;
	fputs("sigclient: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void
e2e_fill(uint64_t call, int msgno, uint8_t *p)
{
	size_t k;

	for (k = 0; k < e2e_len[msgno]; k++)
		p[k] = (uint8_t)(call >> (8 * (k & 7))) ^
		    (uint8_t)(k * 31 + (size_t)msgno);
}

static int
e2e_ok(const struct sigmsg *m, uint64_t call, int msgno)
{
	uint8_t want[SIG_E2E_MAX];

	if (!SIG_HAS(m, SIG_T_E2E) || m->e2e_len != e2e_len[msgno])
		return 0;
	e2e_fill(call, msgno, want);
	return memcmp(m->e2e, want, e2e_len[msgno]) == 0;
}

/* Two host candidates, as a client on loopback would send. */
static void
add_cands(struct sigmsg *m, unsigned idx)
{
	struct sig_cand c;
	int i;

	for (i = 0; i < 2; i++) {
		memset(&c, 0, sizeof(c));
		c.kind = SIG_CAND_HOST;
		c.family = 4;
		c.addr[0] = 127;
		c.addr[3] = (uint8_t)(1 + i);
		c.port = (uint16_t)(20000 + (idx * 2 + (unsigned)i) % 40000);
		(void)sigmsg_add_cand(m, &c);
	}
}

static void
cp_send(struct cparty *pt, struct sigmsg *m)
{
	int rc;

	if (pt->c == NULL)
		return;
	if ((rc = nconn_send_sig(pt->c, m)) != 0)
		cp_note("%s: send: %s", pt->name, e2_strerror(rc));
}

/* The pair's call did not go through. */
static void
pair_fail(struct cpair *pr, const char *fmt, ...)
{
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (pr->cstate >= C_DIALED && pr->cstate <= C_ACCEPTSENT &&
	    cp_phase == CP_CALL) {
		cp_callfail++;
		cp_pending--;
	} else if (pr->cstate == C_HANGUP && cp_phase == CP_HANGUP) {
		cp_hangfail++;
		cp_pending--;
	} else if (pr->cstate == C_ACCEPTED) {
		cp_hangfail++;
	} else if (pr->cstate == C_FAILED || pr->cstate == C_IDLE ||
	    pr->cstate == C_DONE) {
		return;
	}
	pr->cstate = C_FAILED;
	cp_note("call %s -> %s: %s", pr->p[0].name, pr->p[1].name, why);
	cp_pump();
}

static void
party_fail(struct cparty *pt, const char *why)
{
	if (pt->state == P_CONNECTING || pt->state == P_REGSENT) {
		cp_active--;
		if (cp_phase == CP_REG) {
			cp_regfail++;
			cp_pending--;
		}
		cp_note("%s: %s", pt->name, why);
	}
	pt->state = P_FAILED;
	pair_fail(pt->pair, "%s: %s", pt->name, why);
	cp_pump();
}

static void
cp_open(struct nconn *c, void *arg)
{
	static struct sigmsg s;
	struct cparty *pt = arg;

	sigmsg_init(&s, SIG_REGISTER);
	(void)sigmsg_set_name(&s, pt->name);
	pt->state = P_REGSENT;
	cp_send(pt, &s);
}

static void
cp_msg(struct nconn *c, const uint8_t *msg, size_t len, void *arg)
{
	static struct sigmsg m, o;
	struct cparty *pt = arg;
	struct cpair *pr = pt->pair;
	int callee = pt == &pr->p[1];
	uint8_t e2e[SIG_E2E_MAX];

	if (sigmsg_decode(&m, msg, len) != 0) {
		cp_note("%s: undecodable message of %zu bytes", pt->name, len);
		return;
	}
	if (m.type == SIG_WELCOME || m.type == SIG_PONG)
		return;
	if (m.type == SIG_REGISTERED && pt->state == P_REGSENT) {
		pt->state = P_READY;
		cp_active--;
		cp_reg_ms[cp_nreg++] = ms_since(pt->t0);
		if (cp_phase == CP_REG)
			cp_pending--;
		cp_pump();
		return;
	}
	if (m.type == SIG_ERROR && pt->state == P_REGSENT) {
		party_fail(pt, sig_reason_name(m.reason));
		return;
	}
	if (!SIG_HAS(&m, SIG_T_CALL) || m.call != pr->call) {
		cp_note("%s: unexpected %s", pt->name,
		    sigmsg_type_name(m.type));
		return;
	}
	switch (m.type) {
	case SIG_INCOMING:
		if (!callee || pr->cstate != C_DIALED)
			break;
		if (strcmp(m.name, pr->p[0].name) != 0 || !e2e_ok(&m, m.call, 0))
			goto bad;
		pr->cstate = C_RUNG;
		sigmsg_init(&o, SIG_RINGING);
		sigmsg_set_call(&o, pr->call);
		e2e_fill(pr->call, 1, e2e);
		(void)sigmsg_set_e2e(&o, e2e, e2e_len[1]);
		cp_send(pt, &o);
		return;
	case SIG_RINGING:
		if (callee || pr->cstate != C_RUNG)
			break;
		if (!e2e_ok(&m, m.call, 1))
			goto bad;
		pr->cstate = C_HANDSHAKE;
		sigmsg_init(&o, SIG_HANDSHAKE);
		sigmsg_set_call(&o, pr->call);
		e2e_fill(pr->call, 2, e2e);
		(void)sigmsg_set_e2e(&o, e2e, e2e_len[2]);
		add_cands(&o, pt->idx);
		cp_send(pt, &o);
		return;
	case SIG_HANDSHAKE:
		if (!callee || pr->cstate != C_HANDSHAKE)
			break;
		if (!e2e_ok(&m, m.call, 2) || m.ncand != 2)
			goto bad;
		pr->cstate = C_ACCEPTSENT;
		sigmsg_init(&o, SIG_ACCEPT);
		sigmsg_set_call(&o, pr->call);
		add_cands(&o, pt->idx);
		cp_send(pt, &o);
		return;
	case SIG_ACCEPT:
		if (callee || pr->cstate != C_ACCEPTSENT)
			break;
		if (m.ncand != 2)
			goto bad;
		pr->cstate = C_ACCEPTED;
		cp_setup_ms[cp_nsetup++] = ms_since(pr->t_dial);
		cp_pending--;
		cp_pump();
		return;
	case SIG_HANGUP:
		if (!callee || pr->cstate != C_HANGUP ||
		    m.reason != SIG_R_HANGUP)
			break;
		pr->cstate = C_DONE;
		cp_hungup++;
		cp_pending--;
		cp_pump();
		return;
	default:
		break;
	}
	if (m.type == SIG_ERROR)
		pair_fail(pr, "%s got error %s", pt->name,
		    sig_reason_name(m.reason));
	else
		pair_fail(pr, "%s got %s%s%s in state %d", pt->name,
		    sigmsg_type_name(m.type), SIG_HAS(&m, SIG_T_REASON) ?
		    " " : "", SIG_HAS(&m, SIG_T_REASON) ?
		    sig_reason_name(m.reason) : "", pr->cstate);
	return;
bad:
	pair_fail(pr, "%s: %s arrived changed", pt->name,
	    sigmsg_type_name(m.type));
}

static void
cp_close(struct nconn *c, int err, const char *why, void *arg)
{
	struct cparty *pt = arg;

	pt->c = NULL;
	if (cp_phase != CP_END)
		party_fail(pt, why);
}

static const struct nconn_cbs cp_cbs = { cp_open, cp_msg, cp_close };

/* Is item i of this phase due (paced over --spread)? */
static int
cp_due(unsigned i)
{
	if (cp_spread_ms == 0)
		return 1;
	return uv_now(loop) - cp_phase_t0 >=
	    (uint64_t)i * cp_spread_ms / cp_total;
}

static void
cp_connect(struct cparty *pt)
{
	struct sockaddr_storage ss;

	pt->state = P_CONNECTING;
	pt->t0 = uv_hrtime();
	cp_active++;
	if (nconn_connect_from(loop, src_addr(pt->idx, &ss),
	    (struct sockaddr *)&server, pt->key != NULL ? pt->key : ident,
	    NULL, &cp_cbs, pt,
	    &pt->c) != 0) {
		pt->c = NULL;
		party_fail(pt, "cannot connect");
	}
}

static void
cp_dial(struct cpair *pr)
{
	static struct sigmsg o;
	uint8_t e2e[SIG_E2E_MAX];

	if (pr->p[0].state != P_READY || pr->p[1].state != P_READY) {
		cp_callfail++;
		cp_pending--;
		pr->cstate = C_FAILED;
		return;
	}
	randombytes_buf(&pr->call, sizeof(pr->call));
	pr->cstate = C_DIALED;
	pr->t_dial = uv_hrtime();
	sigmsg_init(&o, SIG_DIAL);
	sigmsg_set_call(&o, pr->call);
	(void)sigmsg_set_name(&o, pr->p[1].name);
	e2e_fill(pr->call, 0, e2e);
	(void)sigmsg_set_e2e(&o, e2e, e2e_len[0]);
	cp_send(&pr->p[0], &o);
}

static void
cp_deadline_cb(uv_timer_t *t)
{
	struct cparty *pt;
	unsigned i;
	int k;

	fprintf(stderr, "sigclient: phase %d: %u unfinished after %u s\n",
	    cp_phase, cp_pending, cp_phase_s);
	cp_busy = 1;
	for (i = 0; i < cp_n; i++) {
		for (k = 0; k < 2 && cp_phase == CP_REG; k++) {
			pt = &cp[i].p[k];
			if (pt->state == P_IDLE) {
				pt->state = P_FAILED;
				cp_regfail++;
			} else if (pt->state != P_READY &&
			    pt->state != P_FAILED) {
				if (pt->c != NULL)
					nconn_close(pt->c, "timed out");
				party_fail(pt, "registration timed out");
			}
		}
		if (cp_phase == CP_CALL && cp[i].cstate == C_IDLE) {
			cp[i].cstate = C_FAILED;
			cp_callfail++;
		} else if (cp_phase == CP_CALL || cp_phase == CP_HANGUP)
			pair_fail(&cp[i], "timed out");
	}
	cp_next = cp_total;
	cp_pending = 0;
	cp_busy = 0;
	cp_pump();
}

static void
cp_tick_cb(uv_timer_t *t)
{
	cp_pump();
}

static void
cp_hold_cb(uv_timer_t *t)
{
	cp_phase_start(CP_HANGUP);
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void
print_dist(const char *what, double *v, unsigned n)
{
	size_t k95;

	if (n == 0) {
		out("%s n 0", what);
		return;
	}
	qsort(v, n, sizeof(*v), cmp_double);
	k95 = ((size_t)n * 95 + 99) / 100;	/* nearest rank */
	out("%s n %u median %.2f p95 %.2f max %.2f", what, n,
	    n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2, v[k95 - 1],
	    v[n - 1]);
}

static void
cp_report(void)
{
	double cpu;

	out("clients %u registered %u failed %u", 2 * cp_n, cp_nreg,
	    cp_regfail);
	print_dist("register_ms", cp_reg_ms, cp_nreg);
	out("calls %u accepted %u failed %u hungup %u hangup_failed %u",
	    cp_n * cp_rounds, cp_nsetup, cp_callfail, cp_hungup,
	    cp_hangfail);
	print_dist("setup_ms", cp_setup_ms, cp_nsetup);
	if (m_pid > 0) {
		out("server_rss_kb idle %ld registered %ld calls %ld end %ld",
		    cp_rss_idle, cp_rss_reg, cp_rss_calls, rss_kb(m_pid));
		cpu = cpu_s(m_pid);
		if (cpu >= 0 && cp_cpu0 >= 0)
			out("server_cpu_s %.2f", cpu - cp_cpu0);
	}
}

static void
cp_phase_start(int phase)
{
	unsigned i;

	cp_phase = phase;
	uv_update_time(loop);
	cp_phase_t0 = uv_now(loop);
	cp_next = 0;
	uv_timer_stop(&cp_deadline);
	switch (phase) {
	case CP_REG:
		cp_total = cp_pending = 2 * cp_n;
		break;
	case CP_CALL:
		cp_total = cp_pending = cp_n;
		for (i = 0; i < cp_n; i++)
			cp[i].cstate = C_IDLE;
		break;
	case CP_HOLD:
		if (m_pid > 0) {
			long r = rss_kb(m_pid);

			if (r > cp_rss_calls)
				cp_rss_calls = r;
		}
		uv_timer_start(&cp_tick, cp_hold_cb, cp_hold_ms, 0);
		return;
	case CP_HANGUP:
		cp_total = cp_pending = 0;
		for (i = 0; i < cp_n; i++) {
			static struct sigmsg o;
			struct cpair *pr = &cp[i];

			if (pr->cstate != C_ACCEPTED)
				continue;
			pr->cstate = C_HANGUP;
			cp_pending++;
			sigmsg_init(&o, SIG_HANGUP);
			sigmsg_set_call(&o, pr->call);
			sigmsg_set_reason(&o, SIG_R_HANGUP);
			cp_send(&pr->p[0], &o);
		}
		break;
	case CP_END:
		cp_report();
		uv_close((uv_handle_t *)&cp_tick, NULL);
		uv_close((uv_handle_t *)&cp_deadline, NULL);
		for (i = 0; i < cp_n; i++) {
			if (cp[i].p[0].c != NULL)
				nconn_close(cp[i].p[0].c, "done");
			if (cp[i].p[1].c != NULL)
				nconn_close(cp[i].p[1].c, "done");
		}
		return;
	}
	uv_timer_start(&cp_deadline, cp_deadline_cb, cp_phase_s * 1000u, 0);
	if (cp_spread_ms > 0)
		uv_timer_start(&cp_tick, cp_tick_cb, 1, 1);
	cp_pump();
}

/* Starts what is due and moves on when a phase is done. */
static void
cp_pump(void)
{
	struct cparty *pt;

	if (cp_busy)
		return;		/* called from inside a start or the deadline */
	cp_busy = 1;
	if (cp_phase == CP_REG) {
		while (cp_next < cp_total && cp_active < m_par &&
		    cp_due(cp_next)) {
			pt = &cp[cp_next / 2].p[cp_next % 2];
			cp_next++;
			cp_connect(pt);
		}
	} else if (cp_phase == CP_CALL) {
		while (cp_next < cp_total && cp_due(cp_next))
			cp_dial(&cp[cp_next++]);
	}
	cp_busy = 0;
	if (cp_next == cp_total && (cp_phase == CP_REG ||
	    cp_phase == CP_CALL))
		uv_timer_stop(&cp_tick);
	if (cp_pending > 0 || cp_phase == CP_HOLD || cp_phase == CP_END ||
	    (cp_next < cp_total && cp_phase != CP_HANGUP))
		return;
	switch (cp_phase) {
	case CP_REG:
		if (m_pid > 0)
			cp_rss_reg = rss_kb(m_pid);
		cp_phase_start(cp_rounds > 0 ? CP_CALL : CP_END);
		break;
	case CP_CALL:
		cp_phase_start(CP_HOLD);
		break;
	case CP_HANGUP:
		if (++cp_round < cp_rounds)
			cp_phase_start(CP_CALL);
		else
			cp_phase_start(CP_END);
		break;
	}
}

static int
run_calls(unsigned n)
{
	struct rlimit rl;
	unsigned i;
	int k;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if ((cp = calloc(n, sizeof(*cp))) == NULL ||
	    (cp_reg_ms = calloc(2 * (size_t)n, sizeof(double))) == NULL ||
	    (cp_setup_ms = calloc((size_t)n * cp_rounds + 1,
	    sizeof(double))) == NULL)
		die("out of memory");
	cp_n = n;
	for (i = 0; i < n; i++) {
		for (k = 0; k < 2; k++) {
			struct cparty *pt = &cp[i].p[k];

			pt->pair = &cp[i];
			pt->idx = 2 * i + (unsigned)k;
			if (cp_own_keys)
				pt->key = derived_identity(pt->idx);
			if (snprintf(pt->name, sizeof(pt->name), "%s-%c%u",
			    m_prefix, k ? 'e' : 'c', i) >=
			    (int)sizeof(pt->name) || !sigmsg_name_ok(pt->name))
				die("bad name %s (--prefix)", pt->name);
		}
	}
	if (m_pid > 0) {
		cp_rss_idle = rss_kb(m_pid);
		cp_cpu0 = cpu_s(m_pid);
	}
	uv_timer_init(loop, &cp_tick);
	uv_timer_init(loop, &cp_deadline);
	cp_phase_start(CP_REG);
	uv_run(loop, UV_RUN_DEFAULT);
	for (i = 0; i < n; i++)
		for (k = 0; k < 2; k++)
			if (cp[i].p[k].key != NULL)
				keypair_free(cp[i].p[k].key);
	free(cp);
	free(cp_reg_ms);
	free(cp_setup_ms);
	return cp_regfail == 0 && cp_callfail == 0 && cp_hangfail == 0 &&
	    cp_nsetup == n * cp_rounds && cp_hungup == n * cp_rounds ? 0 : 1;
}

/* ---- flood: one attacker, every kind of abuse at once ---- */

enum fkind { F_HS, F_POSTBAD, F_GARBAGE, F_OVERSIZE, F_SLOW, F_IDLE,
	F_NKINDS };

static const char *const fk_name[F_NKINDS] = { "handshake",
	"after-handshake", "garbage", "oversize", "slowloris", "idle" };
static const unsigned	 fk_slots[F_NKINDS] = { 16, 4, 4, 4, 8, 8 };
#define FLOOD_SLOW_MS	2000	/* slowloris: one byte this often */
#define FLOOD_RETRY_MS	5	/* after a local error (no port, ...) */

struct fslot {
	int		 kind;
	unsigned	 idx;
	int		 live;		/* tcp handle in use */
	uv_tcp_t	 tcp;
	uv_timer_t	 timer;
	uv_connect_t	 creq;
	struct nconn	*nc;
	uint64_t	 t0;		/* ms: connected */
	unsigned	 sent;		/* slowloris bytes sent */
	unsigned	 round;
};

struct fstat {
	uint64_t	attempts;	/* connections tried */
	uint64_t	connected;	/* TCP up (raw), handshake done (nconn) */
	uint64_t	errors;		/* local failures: connect, bind */
	uint64_t	max_open_ms;
};

static struct fslot	*fs;
static unsigned		 fs_n;
static struct fstat	 fst[F_NKINDS];
static int		 f_stopping;
static uv_timer_t	 f_end_timer;

static void	f_start(struct fslot *);

static int
f_raw(const struct fslot *s)
{
	return s->kind != F_HS && s->kind != F_POSTBAD;
}

static void
f_lifetime(struct fslot *s)
{
	uint64_t d = uv_now(loop) - s->t0;

	if (d > fst[s->kind].max_open_ms)
		fst[s->kind].max_open_ms = d;
}

static void
f_timer_cb(uv_timer_t *t)
{
	f_start(t->data);
}

static void
f_again(struct fslot *s, unsigned ms)
{
	if (!f_stopping)
		uv_timer_start(&s->timer, f_timer_cb, ms, 0);
}

static void
f_tcp_closed(uv_handle_t *h)
{
	struct fslot *s = h->data;

	s->live = 0;
	f_again(s, s->t0 == 0 ? FLOOD_RETRY_MS : 0);
}

static void
f_end(struct fslot *s)
{
	uv_timer_stop(&s->timer);
	if (s->t0 != 0)
		f_lifetime(s);
	if (!uv_is_closing((uv_handle_t *)&s->tcp))
		uv_close((uv_handle_t *)&s->tcp, f_tcp_closed);
}

static void
f_write(struct fslot *s, const void *p, size_t n)
{
	uv_buf_t b = uv_buf_init((char *)p, (unsigned)n);

	if (uv_try_write((uv_stream_t *)&s->tcp, &b, 1) != (int)n)
		f_end(s);
}

static void
f_alloc_cb(uv_handle_t *h, size_t sug, uv_buf_t *b)
{
	static char sink[4096];

	*b = uv_buf_init(sink, sizeof(sink));
}

static void
f_read_cb(uv_stream_t *st, ssize_t n, const uv_buf_t *b)
{
	if (n < 0)
		f_end(st->data);
}

/* Slowloris: the next byte of a valid first handshake message. */
static void
f_slow_cb(uv_timer_t *t)
{
	struct fslot *s = t->data;
	uint8_t msg[2 + 32];

	frame_hdr(msg, 32);
	memset(msg + 2, 0x5a, 32);
	if (s->sent < sizeof(msg)) {
		f_write(s, msg + s->sent, 1);
		s->sent++;
	}
}

static void
f_connect_cb(uv_connect_t *req, int status)
{
	static const char garbage[] = "GET / HTTP/1.1\r\nHost: e2call\r\n\r\n";
	struct fslot *s = req->handle->data;
	uint8_t buf[2 + 200];

	if (status < 0) {
		if (status != UV_ECANCELED)
			fst[s->kind].errors++;
		f_end(s);
		return;
	}
	fst[s->kind].connected++;
	s->t0 = uv_now(loop);
	if (uv_read_start((uv_stream_t *)&s->tcp, f_alloc_cb,
	    f_read_cb) != 0) {
		f_end(s);
		return;
	}
	switch (s->kind) {
	case F_GARBAGE:
		f_write(s, garbage, sizeof(garbage) - 1);
		break;
	case F_OVERSIZE:
		buf[0] = buf[1] = 0xff;
		randombytes_buf(buf + 2, 200);
		f_write(s, buf, sizeof(buf));
		break;
	case F_SLOW:
		s->sent = 0;
		uv_timer_start(&s->timer, f_slow_cb, 0, FLOOD_SLOW_MS);
		break;
	default:
		break;		/* idle */
	}
}

static void
f_open(struct nconn *c, void *arg)
{
	struct fslot *s = arg;
	static struct sigmsg m;
	uint8_t junk[64];

	fst[s->kind].connected++;
	s->t0 = uv_now(loop);
	if (s->kind == F_HS) {
		nconn_close(c, "flood");
		return;
	}
	switch (s->round++ % 3) {
	case 0:		/* undecodable: an unassigned type and junk */
		randombytes_buf(junk, sizeof(junk));
		junk[0] = 0x7f;
		(void)nconn_send(c, junk, sizeof(junk));
		break;
	case 1: {	/* over the frame limit */
		static uint8_t zero[SIG_MSG_MAX + 1];

		(void)nconn_send(c, zero, sizeof(zero));
		break;
	}
	default:	/* a message only the server may send */
		sigmsg_init(&m, SIG_WELCOME);
		m.version = SIG_VERSION;
		m.fields |= 1u << SIG_T_VERSION;
		(void)nconn_send_sig(c, &m);
		break;
	}
}

static void
f_msg(struct nconn *c, const uint8_t *msg, size_t len, void *arg)
{
}

static void
f_close(struct nconn *c, int err, const char *why, void *arg)
{
	struct fslot *s = arg;

	s->nc = NULL;
	if (s->t0 != 0)
		f_lifetime(s);
	f_again(s, 0);
}

static const struct nconn_cbs f_cbs = { f_open, f_msg, f_close };

static void
f_start(struct fslot *s)
{
	struct sockaddr_storage ss;
	const struct sockaddr *src = src_addr(s->idx, &ss);

	if (f_stopping)
		return;
	fst[s->kind].attempts++;
	s->t0 = 0;
	if (!f_raw(s)) {
		if (nconn_connect_from(loop, src, (struct sockaddr *)&server,
		    ident, NULL, &f_cbs, s, &s->nc) != 0) {
			s->nc = NULL;
			fst[s->kind].errors++;
			f_again(s, FLOOD_RETRY_MS);
		}
		return;
	}
	if (uv_tcp_init(loop, &s->tcp) != 0) {
		fst[s->kind].errors++;
		f_again(s, FLOOD_RETRY_MS);
		return;
	}
	s->tcp.data = s;
	s->live = 1;
	if ((src != NULL && uv_tcp_bind(&s->tcp, src, 0) != 0) ||
	    uv_tcp_connect(&s->creq, &s->tcp, (struct sockaddr *)&server,
	    f_connect_cb) != 0) {
		fst[s->kind].errors++;
		uv_close((uv_handle_t *)&s->tcp, f_tcp_closed);
	}
}

static void
f_stop_cb(uv_timer_t *t)
{
	unsigned i;

	f_stopping = 1;
	uv_close((uv_handle_t *)t, NULL);
	for (i = 0; i < fs_n; i++) {
		struct fslot *s = &fs[i];

		if (s->nc != NULL)
			nconn_close(s->nc, "flood over");
		if (s->live && !uv_is_closing((uv_handle_t *)&s->tcp))
			uv_close((uv_handle_t *)&s->tcp, f_tcp_closed);
		uv_close((uv_handle_t *)&s->timer, NULL);
	}
}

static int
run_flood(unsigned seconds)
{
	uint64_t total = 0;
	unsigned i, k, j;

	for (k = 0; k < F_NKINDS; k++)
		fs_n += fk_slots[k];
	if ((fs = calloc(fs_n, sizeof(*fs))) == NULL)
		die("out of memory");
	for (i = k = 0; k < F_NKINDS; k++) {
		for (j = 0; j < fk_slots[k]; j++, i++) {
			fs[i].kind = (int)k;
			fs[i].idx = i;
			uv_timer_init(loop, &fs[i].timer);
			fs[i].timer.data = &fs[i];
		}
	}
	uv_timer_init(loop, &f_end_timer);
	uv_timer_start(&f_end_timer, f_stop_cb, seconds * 1000u, 0);
	for (i = 0; i < fs_n; i++)
		f_start(&fs[i]);
	uv_run(loop, UV_RUN_DEFAULT);
	for (k = 0; k < F_NKINDS; k++) {
		out("flood %s attempts %" PRIu64 " open %" PRIu64
		    " errors %" PRIu64 " longest_ms %" PRIu64, fk_name[k],
		    fst[k].attempts, fst[k].connected, fst[k].errors,
		    fst[k].max_open_ms);
		total += fst[k].attempts;
	}
	out("flood total attempts %" PRIu64 " in %u s", total, seconds);
	free(fs);
	return 0;
}

static int
parse_addr(const char *s, struct sockaddr_storage *ss)
{
	char host[64];
	const char *colon;
	size_t hlen;

	if (s[0] == '[') {
		if ((colon = strstr(s, "]:")) == NULL)
			return -1;
		hlen = (size_t)(colon - s - 1);
		if (hlen >= sizeof(host))
			return -1;
		memcpy(host, s + 1, hlen);
		host[hlen] = '\0';
		return uv_ip6_addr(host, atoi(colon + 2),
		    (struct sockaddr_in6 *)ss);
	}
	if ((colon = strrchr(s, ':')) == NULL ||
	    (hlen = (size_t)(colon - s)) >= sizeof(host))
		return -1;
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	return uv_ip4_addr(host, atoi(colon + 1), (struct sockaddr_in *)ss);
}

int
main(int argc, char **argv)
{
	const char *addr = NULL, *keypath = NULL, *fifo = NULL;
	char err[256];
	int i, attack = -1, rc;
	unsigned nclients = 0, wait_ms = 3000, ncalls = 0, flood_s = 0;
	const char *src = NULL;

	if (sodium_init() < 0)
		die("libsodium init failed");
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	m_par = 200;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--key") == 0 && v != NULL)
			keypath = argv[++i];
		else if (strcmp(a, "--cmd") == 0 && v != NULL)
			fifo = argv[++i];
		else if (strcmp(a, "--garbage") == 0)
			attack = A_GARBAGE;
		else if (strcmp(a, "--zero") == 0)
			attack = A_ZERO;
		else if (strcmp(a, "--oversize") == 0)
			attack = A_OVERSIZE;
		else if (strcmp(a, "--bad-handshake") == 0)
			attack = A_BADHS;
		else if (strcmp(a, "--silent") == 0)
			attack = A_SILENT;
		else if (strcmp(a, "--wait") == 0 && v != NULL)
			wait_ms = (unsigned)atoi(argv[++i]);
		else if (strcmp(a, "--clients") == 0 && v != NULL)
			nclients = (unsigned)atoi(argv[++i]);
		else if (strcmp(a, "--prefix") == 0 && v != NULL)
			m_prefix = argv[++i];
		else if (strcmp(a, "--parallel") == 0 && v != NULL)
			m_par = (unsigned)atoi(argv[++i]);
		else if (strcmp(a, "--server-pid") == 0 && v != NULL)
			m_pid = atol(argv[++i]);
		else if (strcmp(a, "--hold") == 0 && v != NULL)
			m_hold = (unsigned)atoi(argv[++i]);
		else if (strcmp(a, "--calls") == 0 && v != NULL)
			ncalls = (unsigned)atoi(argv[++i]);
		else if (strcmp(a, "--rounds") == 0 && v != NULL)
			cp_rounds = (unsigned)atoi(argv[++i]);
		else if (strcmp(a, "--spread") == 0 && v != NULL)
			cp_spread_ms = (unsigned)atoi(argv[++i]);
		else if (strcmp(a, "--hold-ms") == 0 && v != NULL)
			cp_hold_ms = (unsigned)atoi(argv[++i]);
		else if (strcmp(a, "--own-keys") == 0)
			cp_own_keys = 1;
		else if (strcmp(a, "--phase-timeout") == 0 && v != NULL)
			cp_phase_s = (unsigned)atoi(argv[++i]);
		else if (strcmp(a, "--flood") == 0 && v != NULL)
			flood_s = (unsigned)atoi(argv[++i]);
		else if (strcmp(a, "--src") == 0 && v != NULL)
			src = argv[++i];
		else if (strcmp(a, "--src-count") == 0 && v != NULL)
			src_count = (unsigned)atoi(argv[++i]);
		else if (a[0] != '-' && addr == NULL)
			addr = a;
		else
			die("usage: sigclient [options] HOST:PORT "
			    "(see tests/sigclient.c)");
	}
	if (addr == NULL || parse_addr(addr, &server) != 0)
		die("need the server as HOST:PORT");
	if (m_par == 0)
		m_par = 1;
	if (src != NULL) {
		if (src_count == 0)
			src_count = 1;
		if (uv_ip4_addr(src, 0, (struct sockaddr_in *)&src_base) != 0 &&
		    uv_ip6_addr(src, 0, (struct sockaddr_in6 *)&src_base) != 0)
			die("--src: not an IP address: %s", src);
	} else
		src_count = 0;
	loop = uv_default_loop();
	if (keypath != NULL) {
		if ((rc = keyfile_load(keypath, 1, &ident, NULL, err,
		    sizeof(err))) != 0)
			die("%s", err);
	} else
		ident = fresh_identity();
	if (attack >= 0)
		rc = run_attack((enum attack)attack, wait_ms);
	else if (flood_s > 0)
		rc = run_flood(flood_s);
	else if (ncalls > 0)
		rc = run_calls(ncalls);
	else if (nclients > 0)
		rc = run_many(nclients);
	else
		rc = run_one(fifo);
	keypair_free(ident);
	uv_loop_close(loop);
	return rc;
}
