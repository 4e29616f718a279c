/*
 * nconn.h - a Noise_XX_25519_ChaChaPoly_BLAKE2b channel over one TCP
 * connection (prologue "e2call-signal/1"), on a libuv loop.  Used by the
 * server (responder), by clients (initiator) and by direct-mode listeners
 * (responder).
 *
 * Every message on the stream is a 2-byte big-endian length and that many
 * bytes (frame.h): first the three handshake messages (empty payloads),
 * then one Noise transport message per signaling message.
 *
 * The object owns its uv_tcp_t and timers.  After on_close returns, the
 * object is gone (freed from the handle's close callback): do not touch it.
 */
#ifndef E2_NCONN_H
#define E2_NCONN_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "keyfile.h"

#define NCONN_PROLOGUE	"e2call-signal/1"

struct nconn;

struct nconn_cbs {
	/* Handshake complete: nconn_remote_static() is now valid. */
	void	(*on_open)(struct nconn *c, void *arg);
	/* One decrypted transport message (len bytes, valid during the call). */
	void	(*on_msg)(struct nconn *c, const uint8_t *msg, size_t len,
		    void *arg);
	/*
	 * The connection is closing, because of nconn_close() (err 0), EOF
	 * (E2_ERR_IO, "connection closed by peer"), a failed handshake, a bad
	 * frame, a timeout...; why says it in words (safe to log).
	 */
	void	(*on_close)(struct nconn *c, int err, const char *why,
		    void *arg);
};

struct nconn_limits {
	uint32_t	handshake_ms;	/* whole handshake must finish (10000) */
	uint32_t	idle_ms;	/* close after this long without input
					   (0 = never) */
	size_t		max_frame;	/* largest frame accepted (4096+overhead) */
};
void	nconn_limits_default(struct nconn_limits *l);

/*
 * Accepts one pending connection on server and starts the handshake as
 * responder with identity id (not copied: must outlive the connection).
 */
int	nconn_accept(uv_stream_t *server, const struct keypair *id,
	    const struct nconn_limits *lim, const struct nconn_cbs *cbs,
	    void *arg, struct nconn **cp);
/* Connects to addr and runs the handshake as initiator. */
int	nconn_connect(uv_loop_t *loop, const struct sockaddr *addr,
	    const struct keypair *id, const struct nconn_limits *lim,
	    const struct nconn_cbs *cbs, void *arg, struct nconn **cp);
/*
 * The same from the local address local (port 0: any port), or from
 * wherever the system picks when local is NULL.  E2_ERR_IO when local
 * cannot be bound.
 */
int	nconn_connect_from(uv_loop_t *loop, const struct sockaddr *local,
	    const struct sockaddr *addr, const struct keypair *id,
	    const struct nconn_limits *lim, const struct nconn_cbs *cbs,
	    void *arg, struct nconn **cp);

/* Encrypts, frames and queues one message (E2_ERR_STATE before on_open). */
int	nconn_send(struct nconn *c, const uint8_t *msg, size_t len);
struct sigmsg;
int	nconn_send_sig(struct nconn *c, const struct sigmsg *m);
/* Starts closing; on_close follows (from the loop, not from inside). */
void	nconn_close(struct nconn *c, const char *why);

int	nconn_is_open(const struct nconn *c);
void	nconn_remote_static(const struct nconn *c, uint8_t pub[32]);
/* "1.2.3.4:5678" / "[::1]:5678" of the peer, for logs. */
const char *nconn_peer_str(const struct nconn *c);
/* The peer's address (for per-address limits). */
const struct sockaddr_storage *nconn_peer_addr(const struct nconn *c);
/* The local address of the TCP socket (for host candidates). */
int	nconn_local_addr(const struct nconn *c, struct sockaddr_storage *ss);
void	nconn_set_arg(struct nconn *c, void *arg);
/* Resets the idle timer limit (0 = never). */
void	nconn_set_idle(struct nconn *c, uint32_t idle_ms);

#endif
