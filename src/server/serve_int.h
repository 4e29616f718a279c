/*
 * serve_int.h - what the parts of the server share; see serve.h.
 *
 * The server is one loop and one thread for all state, in five parts,
 * each with its own header:
 *
 *	serve.c		connections and dispatch: the listener, the
 *			per-address records, the message table, the UDP
 *			socket (its datagrams go to STUN or the relay),
 *			the sweep timer and the signals
 *	serve_reg.c	registrations: REGISTER, the pending names and
 *			their batched commits (regdb.h)
 *	serve_route.c	call routing: DIAL, the call records and the
 *			messages relayed between the parties; presence
 *			goes through the routing backend of
 *			serve_route.h (serve_route_local.c)
 *	serve_relay.c	the media relay (docs/PROTOCOL.md 5b)
 *	serve_stun.c	the STUN Binding responder (5a.7)
 *
 * struct server owns everything; each part keeps its state in its own
 * struct inside it.  A struct sclient is one accepted connection, freed
 * by serve.c's close callback after every part has let go of it.
 */
#ifndef E2_SERVE_INT_H
#define E2_SERVE_INT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#include <sodium.h>
#include <uv.h>

#include "htab.h"
#include "log.h"
#include "nconn.h"
#include "noise.h"
#include "serve.h"
#include "serve_reg.h"
#include "serve_relay.h"
#include "serve_route.h"
#include "serve_stun.h"
#include "sigmsg.h"
#include "tbucket.h"

/*
 * What the server counts per source address (an IPv4 address or an IPv6
 * /64) and per client key.  A record lives while something holds it (a
 * connection, a relay leg charged to it) and, once idle, until its
 * buckets are full again, so forgetting it loses nothing.
 */
struct addrent {
	struct hnode		 node;
	TAILQ_ENTRY(addrent)	 idle;		/* while refs == 0 */
	uint8_t			 key[9];
	uint8_t			 keylen;
	uint32_t		 refs;
	uint32_t		 nconn;		/* connections */
	uint32_t		 nrelays;	/* relay legs granted */
	uint32_t		 tokens;	/* handshakes, thousandths */
	uint64_t		 refill_ms;
	struct tbucket		 reg;		/* registrations */
	struct tbucket		 dial;		/* DIALs */
};

struct keyent {
	struct hnode		 node;
	TAILQ_ENTRY(keyent)	 idle;		/* while refs == 0 */
	uint8_t			 pub[32];
	uint32_t		 refs;
	uint32_t		 nconn;		/* open connections */
	uint32_t		 nrelays;	/* relay legs granted */
	uint32_t		 npending;	/* new names not yet stored */
	struct tbucket		 reg;		/* registrations */
	struct tbucket		 dial;		/* DIALs */
};

/* One accepted connection and what the server knows about it. */
struct sclient {
	struct server		*srv;
	struct nconn		*nc;
	struct addrent		*addr;
	struct keyent		*key;		/* once the handshake is done */
	LIST_ENTRY(sclient)	 link;		/* srv->clients */
	struct hnode		 pnode;		/* the routing backend's */
	struct pendreg		*preg;		/* registration in progress */
	struct sclient		*preg_next;
	struct call		*calls[SERVE_MAX_CALLS];
	uint8_t			 ncalls;
	uint8_t			 open;
	uint8_t			 online;	/* presence of name */
	uint8_t			 pub[32];
	char			 name[SIG_NAME_MAX + 1];
	uint64_t		 used_ms;	/* name last marked used */
};

struct server {
	uv_loop_t		*loop;
	struct serve_opts	 o;
	struct nconn_limits	 lim;
	uv_tcp_t		 listener;
	uv_udp_t		 udp;		/* STUN and the relay */
	int			 udp_on;
	uv_signal_t		 sigint;
	uv_signal_t		 sigterm;
	uv_timer_t		 sweep;
	uint8_t			 hkey[crypto_shorthash_KEYBYTES];
	struct htab		 addrs;
	struct htab		 keys;
	LIST_HEAD(, sclient)	 clients;
	TAILQ_HEAD(, addrent)	 idleq;
	TAILQ_HEAD(, keyent)	 key_idleq;
	size_t			 nconns;
	int			 stopping;
	struct ratelimit	 rl;
	struct tb_rate		 key_reg_rate;	/* registrations, per key */
	struct tb_rate		 addr_reg_rate;	/*   and per address */
	struct tb_rate		 key_dial_rate;	/* DIALs, per key */
	struct tb_rate		 addr_dial_rate; /*   and per address */
	struct reg		 reg;
	struct route		 route;
	struct relays		 relay;
	struct stunsrv		 stun;
};

/* Hold and let go of a record (serve.c frees idle ones). */
void	serve_addr_ref(struct server *srv, struct addrent *ae);
void	serve_addr_unref(struct server *srv, struct addrent *ae);
void	serve_key_ref(struct server *srv, struct keyent *ke);
void	serve_key_unref(struct server *srv, struct keyent *ke);

/* "N days", "N h", "N min" or "N s", rounded up, for messages. */
void	serve_duration_str(uint64_t ms, char *out, size_t cap);

/* Keyed SipHash of p: peers cannot choose colliding keys. */
uint64_t serve_hash(const struct server *srv, const void *p, size_t len);
/* A log line about a peer's misbehaviour, rate limited (5a.5). */
void	serve_log_bad(struct server *srv, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* A key's fingerprint for logs ("?" if it cannot be made). */
void	serve_key_fp(const uint8_t pub[32], char fp[FINGERPRINT_LEN + 1]);
/* Sends m to sc; a failure closes the connection (its close cleans up). */
void	serve_send(struct sclient *sc, const struct sigmsg *m);
/* ERROR(reason, TEXT = fmt ..., CALL if call, NAME if name). */
void	serve_send_error(struct sclient *sc, enum sig_reason reason,
	    const uint64_t *call, const char *name, const char *fmt, ...)
	    __attribute__((format(printf, 5, 6)));
void	serve_send_hangup(struct sclient *sc, uint64_t call,
	    enum sig_reason reason, const char *text);
/* Logs why, sends ERROR(protocol, why) and closes the connection. */
void	serve_client_drop(struct sclient *sc, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

#endif
