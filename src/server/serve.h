/*
 * serve.h - the signaling server: registrations, presence and call
 * routing over Noise_XX channels (nconn.h), and on UDP at the same address
 * and port a STUN Binding responder (stun.h) and a media relay (relay.h)
 * for calls whose clients cannot reach each other directly.  The server
 * relays end-to-end handshake messages without reading them; the media it
 * relays is ciphertext under keys it never has.
 *
 * Every limit the server enforces is here (docs/PROTOCOL.md section 5a).
 */
#ifndef E2_SERVE_H
#define E2_SERVE_H

#include <stdint.h>
#include <sys/socket.h>

#include "keyfile.h"
#include "regdb.h"

#define SERVE_DEFAULT_LISTEN	"127.0.0.1:7350"
#define SERVE_MAX_CONNS		20000	/* connections in total */
#define SERVE_MAX_PER_ADDR	64	/* per IPv4 address / IPv6 /64 */
#define SERVE_HS_RATE		20	/* new connections per second and */
#define SERVE_HS_BURST		64	/*   address: token bucket */
#define SERVE_HANDSHAKE_MS	10000	/* to finish the Noise handshake */
#define SERVE_IDLE_MS		90000	/* without input (clients ping 20 s) */
#define SERVE_RING_MS		120000	/* DIAL to ACCEPT, else no_answer */
#define SERVE_MAX_CALLS		4	/* calls a connection takes part in */
#define SERVE_REG_BATCH		1024	/* registrations per commit */
#define SERVE_SWEEP_MS		1000	/* call expiry and table cleanup */
#define SERVE_BACKLOG		4096	/* listen(2) backlog */
#define SERVE_MAX_NAMES		8	/* names one key may own */
#define SERVE_REG_PER_KEY	10	/* REGISTERs for names not the key's */
#define SERVE_REG_PER_ADDR	30	/*   an hour, per key and per address */
#define SERVE_NAME_EXPIRY_S	(180u * 86400)	/* unused names released */
#define SERVE_DIAL_PER_KEY	20	/* DIALs a minute, per key */
#define SERVE_DIAL_PER_ADDR	60	/*   and per address */
#define SERVE_STUN_RATE		2000	/* STUN replies per second, in all, */
#define SERVE_STUN_PREFIX_RATE	100	/*   and per IPv4 /24 or IPv6 /56 */
#define SERVE_MAX_RELAYS	1000	/* relayed calls at once */
#define SERVE_RELAY_PPS		250	/* packets per second, per leg */
#define SERVE_RELAY_KBPS	512	/* kbit/s per leg (bursts of 1 s) */
#define SERVE_RELAY_IDLE_MS	30000	/* a relay without datagrams ends */
#define SERVE_RELAYS_PER_KEY	8	/* relay legs granted to one key */
#define SERVE_RELAYS_PER_ADDR	32	/*   and to one address, at once */
#define SERVE_RELAY_ORPHAN_MS	10000	/* a relay none of whose parties
					   is connected ends this soon */
#define SERVE_RELAY_CTL_MS	100	/* answers to BINDs, per leg: one */
#define SERVE_RELAY_CTL_BURST	10	/*   per 100 ms, bursts of 10 */
#define SERVE_COOKIE_MS		120000	/* the relay's cookie secret is
					   replaced this often */
/* Largest frame: SIG_MSG_MAX plaintext + the 16-byte tag (+2 header). */

struct serve_opts {
	struct sockaddr_storage	 listen;
	const struct keypair	*key;		/* server static key */
	struct regdb		*db;
	unsigned		 max_conns;
	unsigned		 max_per_addr;
	unsigned		 hs_rate;	/* 0: no rate limit */
	unsigned		 hs_burst;
	uint32_t		 handshake_ms;
	uint32_t		 idle_ms;
	uint32_t		 ring_ms;
	unsigned		 max_relays;	/* 0: no relay */
	unsigned		 relay_pps;
	unsigned		 relay_kbps;
	uint32_t		 relay_idle_ms;
	unsigned		 relay_per_key;
	unsigned		 relay_per_addr;
	unsigned		 max_names;	/* 0: no quota */
	unsigned		 reg_per_key;	/* an hour; 0: no limit */
	unsigned		 reg_per_addr;
	uint32_t		 name_expiry_s;	/* 0: never released */
	unsigned		 dial_per_key;	/* a minute; 0: no limit */
	unsigned		 dial_per_addr;
	unsigned		 stun_rate;	/* 0: no STUN answers */
	unsigned		 stun_prefix_rate; /* 0: no per-prefix limit */
};

/* Fills o with the defaults above (listen, key and db left zero). */
void	serve_opts_default(struct serve_opts *o);
/*
 * Listens and serves until SIGINT or SIGTERM.  Logs "listening on
 * HOST:PORT" once the socket is bound.  Returns 0 after a clean stop, or
 * E2_ERR_IO when it cannot listen (logged).
 */
int	serve_run(const struct serve_opts *o);

#endif
