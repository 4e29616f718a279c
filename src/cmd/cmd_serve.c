/*
 * cmd_serve.c - e2call serve: options, files, then serve_run().
 *
 *	e2call serve [--listen HOST:PORT] [--db PATH] [--max-conns N]
 *	    [--max-per-addr N] [--hs-rate N] [--handshake-timeout S]
 *	    [--idle-timeout S] [--ring-timeout S] [--max-relays N]
 *	    [--relay-pps N] [--relay-kbps N] [--relay-idle S]
 *	    [--relay-per-key N] [--relay-per-addr N] [--stun-rate N]
 *	    [--stun-prefix-rate N] [--max-names N] [--reg-per-key N]
 *	    [--reg-per-addr N] [--name-expiry DURATION] [--dial-per-key N]
 *	    [--dial-per-addr N]
 *	    [--log-level error|warn|info|debug] [-v]
 *
 * Files: the database (default <data dir>/server.db) and the server's
 * static key, server_key, in the same directory as the database.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <uv.h>

#include "e2call.h"
#include "err.h"
#include "log.h"
#include "noise.h"
#include "keyfile.h"
#include "paths.h"
#include "regdb.h"
#include "serve.h"

/* "127.0.0.1:7350", "[::1]:7350", "localhost:7350" (resolved once). */
static int
parse_listen(const char *s, struct sockaddr_storage *ss, char *err,
    size_t errlen)
{
	char host[256], *end;
	const char *colon, *h;
	struct addrinfo hints, *res = NULL;
	unsigned long port;
	size_t hlen;
	int rc;

	if (s[0] == '[') {
		if ((h = strchr(s, ']')) == NULL || h[1] != ':') {
			snprintf(err, errlen, "%s: expected [ADDRESS]:PORT", s);
			return E2_ERR_MALFORMED;
		}
		hlen = (size_t)(h - s - 1);
		h = s + 1;
		colon = s + hlen + 2;
	} else {
		if ((colon = strrchr(s, ':')) == NULL) {
			snprintf(err, errlen, "%s: expected HOST:PORT", s);
			return E2_ERR_MALFORMED;
		}
		h = s;
		hlen = (size_t)(colon - s);
	}
	if (hlen == 0 || hlen >= sizeof(host)) {
		snprintf(err, errlen, "%s: bad host", s);
		return E2_ERR_MALFORMED;
	}
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (colon[1] == '\0' || *end != '\0' || errno != 0 || port > 65535) {
		snprintf(err, errlen, "%s: bad port", s);
		return E2_ERR_MALFORMED;
	}
	memset(ss, 0, sizeof(*ss));
	if (uv_ip4_addr(host, (int)port, (struct sockaddr_in *)ss) == 0 ||
	    uv_ip6_addr(host, (int)port, (struct sockaddr_in6 *)ss) == 0)
		return 0;
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	if ((rc = getaddrinfo(host, NULL, &hints, &res)) != 0 ||
	    res == NULL) {
		snprintf(err, errlen, "%s: %s", host, gai_strerror(rc));
		return E2_ERR_NOTFOUND;
	}
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
	else
		((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)port);
	freeaddrinfo(res);
	return 0;
}

static int
parse_uint(const char *opt, const char *s, unsigned long min,
    unsigned long max, unsigned long *vp)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (s[0] == '\0' || s[0] == '-' || *end != '\0' || errno != 0 ||
	    v < min || v > max) {
		usage_error("serve", "%s: expected a number from %lu to %lu",
		    opt, min, max);
		return -1;
	}
	*vp = v;
	return 0;
}

/* "180d", "12h", "30m", "45s" or "180" (days); 0 is never.  Seconds. */
static int
parse_duration(const char *opt, const char *s, uint32_t *vp)
{
	unsigned long long v, mul = 86400;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (s[0] >= '0' && s[0] <= '9' && errno == 0 && end[0] != '\0' &&
	    end[1] == '\0') {
		switch (end[0]) {
		case 's': mul = 1; break;
		case 'm': mul = 60; break;
		case 'h': mul = 3600; break;
		case 'd': mul = 86400; break;
		default: mul = 0; break;
		}
	} else if (s[0] < '0' || s[0] > '9' || errno != 0 || end[0] != '\0')
		mul = 0;
	if (mul == 0 || v > 3650ULL * 86400 / mul) {
		usage_error("serve", "%s: expected a duration such as 180d, "
		    "12h, 30m or 45s (at most 3650 days; 0 for never)", opt);
		return -1;
	}
	*vp = (uint32_t)(v * mul);
	return 0;
}

/* Lets the process have as many descriptors as the hard limit allows. */
static unsigned long
raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return 1024;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
		(void)getrlimit(RLIMIT_NOFILE, &rl);
	}
	return rl.rlim_cur == RLIM_INFINITY ? ULONG_MAX :
	    (unsigned long)rl.rlim_cur;
}

enum {
	OPT_LISTEN = 256,
	OPT_DB,
	OPT_MAX_CONNS,
	OPT_MAX_PER_ADDR,
	OPT_HS_RATE,
	OPT_HS_TIMEOUT,
	OPT_IDLE_TIMEOUT,
	OPT_RING_TIMEOUT,
	OPT_MAX_RELAYS,
	OPT_RELAY_PPS,
	OPT_RELAY_KBPS,
	OPT_RELAY_IDLE,
	OPT_RELAY_PER_KEY,
	OPT_RELAY_PER_ADDR,
	OPT_STUN_RATE,
	OPT_STUN_PREFIX_RATE,
	OPT_MAX_NAMES,
	OPT_REG_PER_KEY,
	OPT_REG_PER_ADDR,
	OPT_NAME_EXPIRY,
	OPT_LOG_LEVEL,
	OPT_DIAL_PER_KEY,
	OPT_DIAL_PER_ADDR,
};

static const struct option longopts[] = {
	{ "listen", required_argument, NULL, OPT_LISTEN },
	{ "db", required_argument, NULL, OPT_DB },
	{ "max-conns", required_argument, NULL, OPT_MAX_CONNS },
	{ "max-per-addr", required_argument, NULL, OPT_MAX_PER_ADDR },
	{ "hs-rate", required_argument, NULL, OPT_HS_RATE },
	{ "handshake-timeout", required_argument, NULL, OPT_HS_TIMEOUT },
	{ "idle-timeout", required_argument, NULL, OPT_IDLE_TIMEOUT },
	{ "ring-timeout", required_argument, NULL, OPT_RING_TIMEOUT },
	{ "max-relays", required_argument, NULL, OPT_MAX_RELAYS },
	{ "relay-pps", required_argument, NULL, OPT_RELAY_PPS },
	{ "relay-kbps", required_argument, NULL, OPT_RELAY_KBPS },
	{ "relay-idle", required_argument, NULL, OPT_RELAY_IDLE },
	{ "relay-per-key", required_argument, NULL, OPT_RELAY_PER_KEY },
	{ "relay-per-addr", required_argument, NULL, OPT_RELAY_PER_ADDR },
	{ "stun-rate", required_argument, NULL, OPT_STUN_RATE },
	{ "stun-prefix-rate", required_argument, NULL, OPT_STUN_PREFIX_RATE },
	{ "max-names", required_argument, NULL, OPT_MAX_NAMES },
	{ "reg-per-key", required_argument, NULL, OPT_REG_PER_KEY },
	{ "reg-per-addr", required_argument, NULL, OPT_REG_PER_ADDR },
	{ "name-expiry", required_argument, NULL, OPT_NAME_EXPIRY },
	{ "log-level", required_argument, NULL, OPT_LOG_LEVEL },
	{ "dial-per-key", required_argument, NULL, OPT_DIAL_PER_KEY },
	{ "dial-per-addr", required_argument, NULL, OPT_DIAL_PER_ADDR },
	{ "verbose", no_argument, NULL, 'v' },
	{ NULL, 0, NULL, 0 },
};

int
cmd_serve(int argc, char **argv)
{
	struct serve_opts o;
	struct keypair *key = NULL;
	struct regdb *db = NULL;
	const char *listen = SERVE_DEFAULT_LISTEN, *dbarg = NULL;
	char dbpath[PATH_MAX], keypath[PATH_MAX], err[512];
	char fp[FINGERPRINT_LEN + 1];
	unsigned long v, nofile;
	int ch, created = 0, rc, status = EXIT_ERROR;

	serve_opts_default(&o);
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "v", longopts, NULL)) != -1) {
		switch (ch) {
		case OPT_LISTEN:
			listen = optarg;
			break;
		case OPT_DB:
			dbarg = optarg;
			break;
		case OPT_MAX_CONNS:
			if (parse_uint("--max-conns", optarg, 1, 1000000, &v))
				return EXIT_USAGE;
			o.max_conns = (unsigned)v;
			break;
		case OPT_MAX_PER_ADDR:
			if (parse_uint("--max-per-addr", optarg, 1, 1000000,
			    &v))
				return EXIT_USAGE;
			o.max_per_addr = (unsigned)v;
			break;
		case OPT_HS_RATE:
			if (parse_uint("--hs-rate", optarg, 0, 1000000, &v))
				return EXIT_USAGE;
			o.hs_rate = (unsigned)v;
			if (v > o.hs_burst)
				o.hs_burst = (unsigned)v;
			break;
		case OPT_HS_TIMEOUT:
			if (parse_uint("--handshake-timeout", optarg, 1, 3600,
			    &v))
				return EXIT_USAGE;
			o.handshake_ms = (uint32_t)v * 1000;
			break;
		case OPT_IDLE_TIMEOUT:
			if (parse_uint("--idle-timeout", optarg, 0, 86400, &v))
				return EXIT_USAGE;
			o.idle_ms = (uint32_t)v * 1000;
			break;
		case OPT_RING_TIMEOUT:
			if (parse_uint("--ring-timeout", optarg, 1, 3600, &v))
				return EXIT_USAGE;
			o.ring_ms = (uint32_t)v * 1000;
			break;
		case OPT_MAX_RELAYS:
			if (parse_uint("--max-relays", optarg, 0, 1000000, &v))
				return EXIT_USAGE;
			o.max_relays = (unsigned)v;
			break;
		case OPT_RELAY_PPS:
			if (parse_uint("--relay-pps", optarg, 1, 100000, &v))
				return EXIT_USAGE;
			o.relay_pps = (unsigned)v;
			break;
		case OPT_RELAY_KBPS:
			if (parse_uint("--relay-kbps", optarg, 1, 1000000, &v))
				return EXIT_USAGE;
			o.relay_kbps = (unsigned)v;
			break;
		case OPT_RELAY_IDLE:
			if (parse_uint("--relay-idle", optarg, 1, 86400, &v))
				return EXIT_USAGE;
			o.relay_idle_ms = (uint32_t)v * 1000;
			break;
		case OPT_RELAY_PER_KEY:
			if (parse_uint("--relay-per-key", optarg, 1, 1000000,
			    &v))
				return EXIT_USAGE;
			o.relay_per_key = (unsigned)v;
			break;
		case OPT_RELAY_PER_ADDR:
			if (parse_uint("--relay-per-addr", optarg, 1, 1000000,
			    &v))
				return EXIT_USAGE;
			o.relay_per_addr = (unsigned)v;
			break;
		case OPT_STUN_RATE:
			if (parse_uint("--stun-rate", optarg, 0, 1000000, &v))
				return EXIT_USAGE;
			o.stun_rate = (unsigned)v;
			break;
		case OPT_STUN_PREFIX_RATE:
			if (parse_uint("--stun-prefix-rate", optarg, 0, 1000000,
			    &v))
				return EXIT_USAGE;
			o.stun_prefix_rate = (unsigned)v;
			break;
		case OPT_MAX_NAMES:
			if (parse_uint("--max-names", optarg, 0, 1000000, &v))
				return EXIT_USAGE;
			o.max_names = (unsigned)v;
			break;
		case OPT_REG_PER_KEY:
			if (parse_uint("--reg-per-key", optarg, 0, 1000000, &v))
				return EXIT_USAGE;
			o.reg_per_key = (unsigned)v;
			break;
		case OPT_REG_PER_ADDR:
			if (parse_uint("--reg-per-addr", optarg, 0, 1000000,
			    &v))
				return EXIT_USAGE;
			o.reg_per_addr = (unsigned)v;
			break;
		case OPT_NAME_EXPIRY:
			if (parse_duration("--name-expiry", optarg,
			    &o.name_expiry_s))
				return EXIT_USAGE;
			break;
		case OPT_DIAL_PER_KEY:
			if (parse_uint("--dial-per-key", optarg, 0, 1000000,
			    &v))
				return EXIT_USAGE;
			o.dial_per_key = (unsigned)v;
			break;
		case OPT_DIAL_PER_ADDR:
			if (parse_uint("--dial-per-addr", optarg, 0, 1000000,
			    &v))
				return EXIT_USAGE;
			o.dial_per_addr = (unsigned)v;
			break;
		case OPT_LOG_LEVEL:
			if (strcmp(optarg, "error") == 0)
				log_set_level(LOG_ERROR);
			else if (strcmp(optarg, "warn") == 0)
				log_set_level(LOG_WARN);
			else if (strcmp(optarg, "info") == 0)
				log_set_level(LOG_INFO);
			else if (strcmp(optarg, "debug") == 0)
				log_set_level(LOG_DEBUG);
			else
				return usage_error("serve", "--log-level: "
				    "expected error, warn, info or debug");
			break;
		case 'v':
			log_set_level(LOG_DEBUG);
			break;
		default:
			return usage_error("serve", "unknown option %s",
			    argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_error("serve", "unexpected argument %s",
		    argv[optind]);
	log_set_prefix("e2call serve");
	if (parse_listen(listen, &o.listen, err, sizeof(err)) != 0)
		return usage_error("serve", "--listen %s", err);

	if (dbarg != NULL) {
		const char *slash = strrchr(dbarg, '/');
		int n;

		if (snprintf(dbpath, sizeof(dbpath), "%s", dbarg) >=
		    (int)sizeof(dbpath))
			return usage_error("serve", "--db: path too long");
		if (slash == NULL)
			n = snprintf(keypath, sizeof(keypath), "server_key");
		else
			n = snprintf(keypath, sizeof(keypath),
			    "%.*s/server_key", (int)(slash - dbarg), dbarg);
		if (n >= (int)sizeof(keypath))
			return usage_error("serve", "--db: path too long");
	} else if (paths_data_file("server.db", dbpath, sizeof(dbpath), err,
	    sizeof(err)) != 0 || paths_data_file("server_key", keypath,
	    sizeof(keypath), err, sizeof(err)) != 0) {
		log_error("%s", err);
		return EXIT_ERROR;
	}

	signal(SIGPIPE, SIG_IGN);
	nofile = raise_nofile();
	if (nofile < (unsigned long)o.max_conns + 64) {
		unsigned long n = nofile > 128 ? nofile - 64 : 64;

		log_warn("descriptor limit %lu: serving at most %lu "
		    "connections (raise it with ulimit -n)", nofile, n);
		o.max_conns = (unsigned)n;
	}

	if ((rc = keyfile_load(keypath, 1, &key, &created, err,
	    sizeof(err))) != 0) {
		log_error("server key: %s", err);
		goto out;
	}
	if (created)
		log_info("created server key %s", keypath);
	if (fingerprint(key->pub, fp) != 0)
		goto out;
	if (regdb_open(dbpath, &db, err, sizeof(err)) != 0) {
		log_error("registration database: %s", err);
		goto out;
	}
	log_info("database %s: %lld registered names", dbpath,
	    regdb_count(db));
	o.key = key;
	o.db = db;
	/* "listening on" is logged by serve_run once the socket is bound. */
	log_info("server key fingerprint: %s", fp);
	if (serve_run(&o) == 0)
		status = EXIT_CALL_OK;
out:
	regdb_close(db);
	keypair_free(key);
	return status;
}
