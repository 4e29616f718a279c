/*
 * impair.c - a seeded user-space UDP impairment proxy for tests (the
 * kernel here has no netem).
 *
 *	impair --a PORT --b PORT [--host ADDR] [--seed N] [--loss PCT]
 *	    [--burst-loss PCT:LEN] [--delay MS] [--jitter MS] [--reorder PCT]
 *	    [--dup PCT] [--replay PCT] [--reflect PCT] [--truncate PCT]
 *	    [--flip PCT] [--oversize PCT] [--wrongtype PCT] [--garbage PCT]
 *	    [--duration S] [--stats FILE]
 *
 * It binds two UDP ports on ADDR (default 127.0.0.1; only loopback is
 * accepted).  Peer A is told to send to port B and peer B to port A (with
 * e2call: A runs with --candidate ADDR:PORT_A, so B sends to port A, and
 * B with --candidate ADDR:PORT_B).  The first datagram arriving on a port
 * teaches the proxy who sends there: port B learns peer A, port A learns
 * peer B.  A datagram arriving on port A goes out of port B to peer A,
 * one arriving on port B out of port A to peer B, so each peer sees the
 * other at the address it was given.  Until both peers are known,
 * datagrams are dropped (counted as unrouted); datagrams from any other
 * source are dropped (foreign).  The two directions are called to_a (in on
 * port A, out to peer A) and to_b.
 *
 * Each datagram of a direction, in this order:
 *   --reflect PCT     a copy goes back to its sender, out of the port it
 *                     came in on (so it seems to come from the other peer);
 *   --garbage PCT     a random datagram (1..1400 random bytes, half of them
 *                     with a valid type in the first byte) is injected
 *                     towards the destination;
 *   --replay PCT      a datagram forwarded intact earlier (one of the last
 *                     256 of this direction, chosen at random) is sent again;
 *   --burst-loss PCT:LEN  with PCT a burst starts: this datagram and the
 *                     next LEN - 1 of the direction are dropped;
 *   --loss PCT        dropped;
 *   at most one mutation, chosen with these chances (they must add up to
 *   100 at most):
 *     --truncate PCT  cut to a random length below its own (0 included),
 *     --flip PCT      one random bit flipped,
 *     --oversize PCT  random bytes appended up to 1500 bytes,
 *     --wrongtype PCT the first byte's high nibble set to another value;
 *   then it is forwarded after --delay MS plus a uniform random jitter in
 *   [-MS, +MS] of --jitter (at least 0).  As with netem, jitter reorders:
 *   the queue is kept in send-time order.
 *   --reorder PCT     the datagram is held back and sent right after the
 *                     next one of its direction (or 100 ms late if none
 *                     comes);
 *   --dup PCT         a second copy follows, with a delay of its own.
 * Reflected, replayed and injected datagrams are delayed too.
 *
 * Randomness is a splitmix64 stream per direction, seeded from --seed
 * (default 1): the same seed and the same datagrams in a direction give
 * the same actions, whatever happens in the other direction.
 *
 * It runs until SIGTERM or SIGINT, or for --duration seconds, then writes
 * one line per direction of action counts to --stats FILE (default
 * stdout), and exits 0:
 *
 *	to_a in=N sent=N foreign=N unrouted=N loss=N burst=N truncate=N
 *	    flip=N oversize=N wrongtype=N reorder=N dup=N replay=N reflect=N
 *	    garbage=N out_of_order=N send_errors=N
 *
 * in counts datagrams arriving (from the learned peer); sent counts every
 * datagram that left towards the destination (forwarded, mutated,
 * duplicated, replayed, injected); reflect copies went the other way;
 * out_of_order counts forwarded datagrams that left after one that had
 * arrived later (by jitter or --reorder).  Nothing is printed per packet.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#define HISTORY		256	/* datagrams kept per direction for --replay */
#define MAX_DGRAM	65536
#define OVERSIZE_LEN	1500
#define GARBAGE_MAX	1400
#define HOLD_MS		100	/* a held datagram leaves at last after this */

struct pkt {
	struct pkt	*next;
	uint64_t	 due;		/* loop time, ms */
	uint64_t	 order;		/* insertion order: ties leave FIFO */
	uint64_t	 own_due;	/* a held datagram's own send time */
	int		 port;		/* leaves from here to its learned peer */
	int		 dir;		/* the direction whose action sent it */
	int		 original;	/* a forwarded datagram, not a copy */
	uint64_t	 aseq;		/* its arrival number in dir */
	size_t		 len;
	uint8_t		 data[];
};

struct counts {
	uint64_t	 in, sent, foreign, unrouted, loss, burst;
	uint64_t	 truncate, flip, oversize, wrongtype;
	uint64_t	 reorder, dup, replay, reflect, garbage;
	uint64_t	 out_of_order, send_errors;
};

struct hist {
	size_t		 len;
	uint8_t		*data;
};

struct port {
	int		 idx;		/* 0 = port A, 1 = port B */
	uv_udp_t	 udp;
	struct sockaddr_storage src;	/* who sends here, once learned */
	int		 learned;
	/* the direction of datagrams arriving here */
	uint64_t	 rng;
	uint64_t	 arrivals;
	uint64_t	 max_sent_aseq;
	int		 any_sent;
	unsigned	 burst_left;
	struct pkt	*held;
	struct hist	 hist[HISTORY];
	size_t		 nhist, hist_w;
	struct counts	 c;
};

static struct {
	double		 loss, burst, reorder, dup, replay, reflect;
	double		 truncate, flip, oversize, wrongtype, garbage;
	unsigned	 burst_len;
	unsigned	 delay, jitter, duration;
	uint64_t	 seed;
	const char	*host, *stats;
	int		 port[2];
} opt = { .host = "127.0.0.1", .seed = 1, .port = { -1, -1 } };

static uv_loop_t	*loop;
static struct port	 ports[2];
static uv_timer_t	 qtimer, endtimer;
static uv_signal_t	 sigterm, sigint;
static struct pkt	*queue;
static uint64_t		 order;
static uint8_t		 rxbuf[MAX_DGRAM];
static int		 stopping;

static void
die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "impair: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

/* ---- randomness: splitmix64, one stream per direction ---- */

static uint64_t
rnd(struct port *p)
{
	uint64_t z = (p->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in [0, 100). */
static double
pct_draw(struct port *p)
{
	return (double)(rnd(p) >> 11) * (1.0 / 9007199254740992.0) * 100.0;
}

static int
chance(struct port *p, double pct)
{
	if (pct <= 0)
		return 0;
	return pct_draw(p) < pct;
}

/* Uniform in [0, n), n > 0. */
static uint64_t
below(struct port *p, uint64_t n)
{
	return rnd(p) % n;
}

/* ---- the send queue, in (due, order) order ---- */

static void qtimer_cb(uv_timer_t *t);

/* The timer fires when the head of the queue is due. */
static void
arm(void)
{
	uint64_t now = uv_now(loop);

	if (queue == NULL || stopping) {
		uv_timer_stop(&qtimer);
		return;
	}
	uv_timer_start(&qtimer, qtimer_cb,
	    queue->due > now ? queue->due - now : 0, 0);
}

static void
insert(struct pkt *k)
{
	struct pkt **pp = &queue;

	k->order = order++;
	while (*pp != NULL && ((*pp)->due < k->due ||
	    ((*pp)->due == k->due && (*pp)->order < k->order)))
		pp = &(*pp)->next;
	k->next = *pp;
	*pp = k;
}

static void
unlink_pkt(struct pkt *k)
{
	struct pkt **pp = &queue;

	while (*pp != NULL && *pp != k)
		pp = &(*pp)->next;
	if (*pp == k)
		*pp = k->next;
	k->next = NULL;
}

static struct pkt *
pkt_new(struct port *p, int port, const uint8_t *data, size_t len)
{
	struct pkt *k;

	if ((k = calloc(1, sizeof(*k) + (len > 0 ? len : 1))) == NULL)
		die("out of memory");
	k->port = port;
	k->dir = p->idx;
	k->len = len;
	if (len > 0)
		memcpy(k->data, data, len);
	return k;
}

/* The configured delay plus jitter, never below 0. */
static uint64_t
due_time(struct port *p)
{
	int64_t d = opt.delay;

	if (opt.jitter > 0)
		d += (int64_t)below(p, 2 * (uint64_t)opt.jitter + 1) -
		    (int64_t)opt.jitter;
	if (d < 0)
		d = 0;
	return uv_now(loop) + (uint64_t)d;
}

static void
send_pkt(struct pkt *k)
{
	struct port *out = &ports[k->port], *dir = &ports[k->dir];
	uv_buf_t b = uv_buf_init((char *)k->data, (unsigned)k->len);

	if (!out->learned)
		return;
	if (uv_udp_try_send(&out->udp, &b, 1,
	    (const struct sockaddr *)&out->src) < 0) {
		dir->c.send_errors++;
		return;
	}
	if (!k->original)
		return;
	if (dir->any_sent && k->aseq < dir->max_sent_aseq)
		dir->c.out_of_order++;
	else {
		dir->max_sent_aseq = k->aseq;
		dir->any_sent = 1;
	}
}

static void
qtimer_cb(uv_timer_t *t)
{
	uint64_t now = uv_now(loop);
	struct pkt *k;

	(void)t;
	while (queue != NULL && queue->due <= now) {
		k = queue;
		queue = k->next;
		if (ports[k->dir].held == k)
			ports[k->dir].held = NULL;
		send_pkt(k);
		free(k);
	}
	arm();
}

static void
schedule(struct pkt *k, uint64_t due)
{
	k->due = due;
	insert(k);
	arm();
}

/* ---- one datagram ---- */

static void
remember(struct port *p, const uint8_t *data, size_t len)
{
	struct hist *h = &p->hist[p->hist_w];
	uint8_t *copy;

	if ((copy = realloc(h->data, len > 0 ? len : 1)) == NULL)
		die("out of memory");
	memcpy(copy, data, len);
	h->data = copy;
	h->len = len;
	p->hist_w = (p->hist_w + 1) % HISTORY;
	if (p->nhist < HISTORY)
		p->nhist++;
}

static void
inject_garbage(struct port *p, int out)
{
	uint8_t g[GARBAGE_MAX];
	size_t len = 1 + below(p, GARBAGE_MAX), i;
	struct pkt *k;

	for (i = 0; i < len; i++)
		g[i] = (uint8_t)rnd(p);
	if (rnd(p) & 1)		/* a valid type: it gets as far as the AEAD */
		g[0] = (uint8_t)(((1 + (rnd(p) & 1)) << 4) | (g[0] & 0x0f));
	k = pkt_new(p, out, g, len);
	schedule(k, due_time(p));
	p->c.garbage++;
	p->c.sent++;
}

static void
replay_old(struct port *p, int out)
{
	struct hist *h;
	struct pkt *k;
	size_t back = below(p, p->nhist);

	h = &p->hist[(p->hist_w + HISTORY - 1 - back) % HISTORY];
	k = pkt_new(p, out, h->data, h->len);
	schedule(k, due_time(p));
	p->c.replay++;
	p->c.sent++;
}

/* Mutates buf[0..*lenp) in place; returns 1 if it did. */
static int
mutate(struct port *p, uint8_t *buf, size_t *lenp)
{
	double u;
	size_t len = *lenp, i;
	unsigned v;

	if (opt.truncate + opt.flip + opt.oversize + opt.wrongtype <= 0)
		return 0;
	u = pct_draw(p);
	if ((u -= opt.truncate) < 0) {
		*lenp = len > 0 ? below(p, len) : 0;
		p->c.truncate++;
		return 1;
	}
	if ((u -= opt.flip) < 0) {
		if (len == 0)
			return 0;
		i = below(p, len * 8);
		buf[i / 8] ^= (uint8_t)(1u << (i % 8));
		p->c.flip++;
		return 1;
	}
	if ((u -= opt.oversize) < 0) {
		for (i = len; i < OVERSIZE_LEN; i++)
			buf[i] = (uint8_t)rnd(p);
		if (len < OVERSIZE_LEN)
			*lenp = OVERSIZE_LEN;
		p->c.oversize++;
		return 1;
	}
	if ((u -= opt.wrongtype) < 0) {
		if (len == 0)
			return 0;
		v = (unsigned)below(p, 15);
		if (v >= (unsigned)(buf[0] >> 4))
			v++;		/* any nibble but the one it had */
		buf[0] = (uint8_t)((v << 4) | (buf[0] & 0x0f));
		p->c.wrongtype++;
		return 1;
	}
	return 0;
}

static void
forward(struct port *p, int out, const uint8_t *buf, size_t len)
{
	struct pkt *k = pkt_new(p, out, buf, len), *h = p->held;
	uint64_t due = due_time(p);

	k->original = 1;
	k->aseq = p->arrivals;
	schedule(k, due);
	if (h != NULL) {
		/* the held one leaves right after this one */
		unlink_pkt(h);
		p->held = NULL;
		schedule(h, h->own_due > due ? h->own_due : due);
	} else if (chance(p, opt.reorder)) {
		unlink_pkt(k);
		k->own_due = due;
		p->held = k;
		schedule(k, due + HOLD_MS);
		p->c.reorder++;
	}
	p->c.sent++;
	if (chance(p, opt.dup)) {
		k = pkt_new(p, out, buf, len);
		schedule(k, due_time(p));
		p->c.dup++;
		p->c.sent++;
	}
}

static void
on_datagram(struct port *p, const uint8_t *data, size_t len,
    const struct sockaddr *from)
{
	static uint8_t buf[MAX_DGRAM + OVERSIZE_LEN];
	int out = 1 - p->idx;	/* leaves from the other port */
	struct pkt *k;

	if (!p->learned) {
		memcpy(&p->src, from, from->sa_family == AF_INET6 ?
		    sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in));
		p->learned = 1;
	} else if (from->sa_family != p->src.ss_family ||
	    memcmp(from, &p->src, from->sa_family == AF_INET6 ?
	    sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in)) != 0) {
		p->c.foreign++;
		return;
	}
	p->arrivals++;
	p->c.in++;
	if (chance(p, opt.reflect)) {
		k = pkt_new(p, p->idx, data, len);
		schedule(k, due_time(p));
		p->c.reflect++;
	}
	if (!ports[out].learned) {
		p->c.unrouted++;
		return;
	}
	if (chance(p, opt.garbage))
		inject_garbage(p, out);
	if (p->nhist > 0 && chance(p, opt.replay))
		replay_old(p, out);
	if (p->burst_left > 0) {
		p->burst_left--;
		p->c.burst++;
		return;
	}
	if (chance(p, opt.burst)) {
		p->burst_left = opt.burst_len - 1;
		p->c.burst++;
		return;
	}
	if (chance(p, opt.loss)) {
		p->c.loss++;
		return;
	}
	memcpy(buf, data, len);
	if (!mutate(p, buf, &len))
		remember(p, data, len);
	forward(p, out, buf, len);
}

static void
alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	(void)h;
	(void)hint;
	*b = uv_buf_init((char *)rxbuf, sizeof(rxbuf));
}

static void
recv_cb(uv_udp_t *u, ssize_t nread, const uv_buf_t *b,
    const struct sockaddr *from, unsigned flags)
{
	struct port *p = u->data;

	(void)flags;
	if (nread < 0 || from == NULL || stopping)
		return;
	on_datagram(p, (const uint8_t *)b->base, (size_t)nread, from);
}

/* ---- life ---- */

static void
print_counts(FILE *f, const char *name, const struct counts *c)
{
	fprintf(f, "%s in=%" PRIu64 " sent=%" PRIu64 " foreign=%" PRIu64
	    " unrouted=%" PRIu64 " loss=%" PRIu64 " burst=%" PRIu64
	    " truncate=%" PRIu64 " flip=%" PRIu64 " oversize=%" PRIu64
	    " wrongtype=%" PRIu64 " reorder=%" PRIu64 " dup=%" PRIu64
	    " replay=%" PRIu64 " reflect=%" PRIu64 " garbage=%" PRIu64
	    " out_of_order=%" PRIu64 " send_errors=%" PRIu64 "\n", name,
	    c->in, c->sent, c->foreign, c->unrouted, c->loss, c->burst,
	    c->truncate, c->flip, c->oversize, c->wrongtype, c->reorder,
	    c->dup, c->replay, c->reflect, c->garbage, c->out_of_order,
	    c->send_errors);
}

static void
write_stats(void)
{
	FILE *f = stdout;

	if (opt.stats != NULL && (f = fopen(opt.stats, "w")) == NULL) {
		fprintf(stderr, "impair: %s: %s\n", opt.stats,
		    strerror(errno));
		f = stdout;
	}
	print_counts(f, "to_a", &ports[0].c);
	print_counts(f, "to_b", &ports[1].c);
	if (f != stdout)
		fclose(f);
	else
		fflush(f);
}

static void
stop(void)
{
	struct pkt *k;
	size_t i;
	int j;

	if (stopping)
		return;
	stopping = 1;
	write_stats();
	while ((k = queue) != NULL) {
		queue = k->next;
		free(k);
	}
	for (j = 0; j < 2; j++) {
		ports[j].held = NULL;
		for (i = 0; i < HISTORY; i++)
			free(ports[j].hist[i].data);
		uv_close((uv_handle_t *)&ports[j].udp, NULL);
	}
	uv_close((uv_handle_t *)&qtimer, NULL);
	uv_close((uv_handle_t *)&endtimer, NULL);
	uv_close((uv_handle_t *)&sigterm, NULL);
	uv_close((uv_handle_t *)&sigint, NULL);
}

static void
signal_cb(uv_signal_t *s, int signum)
{
	(void)s;
	(void)signum;
	stop();
}

static void
end_cb(uv_timer_t *t)
{
	(void)t;
	stop();
}

/* ---- options ---- */

static double
parse_pct(const char *name, const char *s)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !(v >= 0 && v <= 100))
		die("--%s: a percentage 0..100, not \"%s\"", name, s);
	return v;
}

static unsigned long
parse_num(const char *name, const char *s, unsigned long max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || *s == '-' || v > max)
		die("--%s: a number 0..%lu, not \"%s\"", name, max, s);
	return v;
}

static void
usage(int code)
{
	fprintf(code == 0 ? stdout : stderr,
	    "usage: impair --a PORT --b PORT [--host ADDR] [--seed N]\n"
	    "    [--loss PCT] [--burst-loss PCT:LEN] [--delay MS] "
	    "[--jitter MS]\n"
	    "    [--reorder PCT] [--dup PCT] [--replay PCT] [--reflect PCT]\n"
	    "    [--truncate PCT] [--flip PCT] [--oversize PCT] "
	    "[--wrongtype PCT]\n"
	    "    [--garbage PCT] [--duration S] [--stats FILE]\n");
	exit(code);
}

static void
parse_args(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "a", required_argument, NULL, 'a' },
		{ "b", required_argument, NULL, 'b' },
		{ "host", required_argument, NULL, 'H' },
		{ "seed", required_argument, NULL, 's' },
		{ "loss", required_argument, NULL, 'l' },
		{ "burst-loss", required_argument, NULL, 'L' },
		{ "delay", required_argument, NULL, 'd' },
		{ "jitter", required_argument, NULL, 'j' },
		{ "reorder", required_argument, NULL, 'r' },
		{ "dup", required_argument, NULL, 'D' },
		{ "duration", required_argument, NULL, 't' },
		{ "stats", required_argument, NULL, 'S' },
		{ "replay", required_argument, NULL, 'R' },
		{ "reflect", required_argument, NULL, 'F' },
		{ "truncate", required_argument, NULL, 'T' },
		{ "flip", required_argument, NULL, 'f' },
		{ "oversize", required_argument, NULL, 'O' },
		{ "wrongtype", required_argument, NULL, 'W' },
		{ "garbage", required_argument, NULL, 'G' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char *colon;
	int c;

	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'a':
			opt.port[0] = (int)parse_num("a", optarg, 65535);
			break;
		case 'b':
			opt.port[1] = (int)parse_num("b", optarg, 65535);
			break;
		case 'H': opt.host = optarg; break;
		case 's':
			opt.seed = parse_num("seed", optarg, ~0UL);
			break;
		case 'l': opt.loss = parse_pct("loss", optarg); break;
		case 'L':
			if ((colon = strchr(optarg, ':')) == NULL)
				die("--burst-loss: PCT:LEN, not \"%s\"", optarg);
			*colon = '\0';
			opt.burst = parse_pct("burst-loss", optarg);
			opt.burst_len = (unsigned)parse_num("burst-loss",
			    colon + 1, 1000);
			if (opt.burst_len == 0)
				die("--burst-loss: LEN is at least 1");
			break;
		case 'd':
			opt.delay = (unsigned)parse_num("delay", optarg, 60000);
			break;
		case 'j':
			opt.jitter = (unsigned)parse_num("jitter", optarg,
			    60000);
			break;
		case 'r': opt.reorder = parse_pct("reorder", optarg); break;
		case 'D': opt.dup = parse_pct("dup", optarg); break;
		case 't':
			opt.duration = (unsigned)parse_num("duration", optarg,
			    86400);
			break;
		case 'S': opt.stats = optarg; break;
		case 'R': opt.replay = parse_pct("replay", optarg); break;
		case 'F': opt.reflect = parse_pct("reflect", optarg); break;
		case 'T': opt.truncate = parse_pct("truncate", optarg); break;
		case 'f': opt.flip = parse_pct("flip", optarg); break;
		case 'O': opt.oversize = parse_pct("oversize", optarg); break;
		case 'W':
			opt.wrongtype = parse_pct("wrongtype", optarg);
			break;
		case 'G': opt.garbage = parse_pct("garbage", optarg); break;
		case 'h': usage(0); break;
		default: usage(2); break;
		}
	}
	if (optind != argc)
		usage(2);
	if (opt.port[0] <= 0 || opt.port[1] <= 0)
		die("--a PORT and --b PORT are required (1..65535)");
	if (opt.port[0] == opt.port[1])
		die("--a and --b must differ");
	if (opt.truncate + opt.flip + opt.oversize + opt.wrongtype > 100)
		die("--truncate, --flip, --oversize and --wrongtype add up to "
		    "more than 100");
}

static void
bind_port(struct port *p, int idx)
{
	struct sockaddr_storage ss;
	int r;

	p->idx = idx;
	if (uv_ip4_addr(opt.host, opt.port[idx], (struct sockaddr_in *)&ss)
	    != 0 && uv_ip6_addr(opt.host, opt.port[idx],
	    (struct sockaddr_in6 *)&ss) != 0)
		die("--host: not an IP address: %s", opt.host);
	if ((ss.ss_family == AF_INET &&
	    (ntohl(((struct sockaddr_in *)&ss)->sin_addr.s_addr) >> 24) != 127) ||
	    (ss.ss_family == AF_INET6 && !IN6_IS_ADDR_LOOPBACK(
	    &((struct sockaddr_in6 *)&ss)->sin6_addr)))
		die("--host: only loopback addresses (127.0.0.0/8, ::1)");
	uv_udp_init(loop, &p->udp);
	p->udp.data = p;
	if ((r = uv_udp_bind(&p->udp, (struct sockaddr *)&ss, 0)) != 0)
		die("cannot bind %s port %d: %s", opt.host, opt.port[idx],
		    uv_strerror(r));
	if ((r = uv_udp_recv_start(&p->udp, alloc_cb, recv_cb)) != 0)
		die("recv: %s", uv_strerror(r));
	/* distinct, reproducible streams per direction */
	p->rng = opt.seed * 0x2545f4914f6cdd1dULL + (uint64_t)idx + 1;
}

int
main(int argc, char **argv)
{
	parse_args(argc, argv);
	loop = uv_default_loop();
	bind_port(&ports[0], 0);
	bind_port(&ports[1], 1);
	uv_timer_init(loop, &qtimer);
	uv_timer_init(loop, &endtimer);
	uv_signal_init(loop, &sigterm);
	uv_signal_init(loop, &sigint);
	uv_signal_start(&sigterm, signal_cb, SIGTERM);
	uv_signal_start(&sigint, signal_cb, SIGINT);
	if (opt.duration > 0)
		uv_timer_start(&endtimer, end_cb, opt.duration * 1000ULL, 0);
	fprintf(stderr, "impair: ready: a=%s:%d b=%s:%d seed=%" PRIu64 "\n",
	    opt.host, opt.port[0], opt.host, opt.port[1], opt.seed);
	uv_run(loop, UV_RUN_DEFAULT);
	uv_loop_close(loop);
	return 0;
}
