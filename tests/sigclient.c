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
 *
 * Commands:  register NAME | dial CALL NAME [HEX] | ringing CALL [HEX] |
 *	      handshake CALL [HEX] | accept CALL | reject CALL REASON |
 *	      hangup CALL REASON | ping | raw HEX | big N | close
 * Events:    server FINGERPRINT | welcome V | registered NAME |
 *	      error REASON [call=ID] [name=NAME] TEXT | incoming CALL NAME HEX |
 *	      ringing CALL HEX | handshake CALL HEX | accept CALL |
 *	      reject CALL REASON | hangup CALL REASON | pong |
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

static void
one_msg(struct nconn *c, const uint8_t *msg, size_t len, void *arg)
{
	static struct sigmsg m;
	int i, n;

	if (sigmsg_decode(&m, msg, len) != 0) {
		out("undecodable %zu bytes", len);
		return;
	}
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
	int fd = 0, rc;

	if (fifo != NULL && (fd = open(fifo, O_RDWR | O_CLOEXEC)) == -1)
		die("%s: %s", fifo, strerror(errno));
	if (uv_pipe_init(loop, &cmdpipe, 0) != 0 ||
	    uv_pipe_open(&cmdpipe, fd) != 0)
		die("commands must come from a pipe or FIFO");
	uv_read_start((uv_stream_t *)&cmdpipe, cmd_alloc_cb, cmd_read_cb);
	if ((rc = nconn_connect(loop, (struct sockaddr *)&server, ident, NULL,
	    &cbs, NULL, &conn)) != 0)
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

	amode = mode;
	uv_tcp_init(loop, &atcp);
	uv_timer_init(loop, &atimer);
	astart = uv_now(loop);
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
	struct mclient *m;

	while (m_phase == 1 && m_started < m_n && m_active < m_par) {
		m = &mc[m_started];
		m->idx = m_started++;
		m_set(m, M_CONNECTING);
		if (nconn_connect(loop, (struct sockaddr *)&server, ident,
		    NULL, &m_cbs, m, &m->c) != 0) {
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
	unsigned nclients = 0, wait_ms = 3000;

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
	loop = uv_default_loop();
	if (keypath != NULL) {
		if ((rc = keyfile_load(keypath, 1, &ident, NULL, err,
		    sizeof(err))) != 0)
			die("%s", err);
	} else
		ident = fresh_identity();
	if (attack >= 0)
		rc = run_attack((enum attack)attack, wait_ms);
	else if (nclients > 0)
		rc = run_many(nclients);
	else
		rc = run_one(fifo);
	keypair_free(ident);
	uv_loop_close(loop);
	return rc;
}
