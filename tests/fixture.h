/*
 * fixture.h - the hostile signaling servers of the tests
 * (tests/mitm_server.c, tests/grind_server.c) share this much: the
 * server's side of the client protocol up to the calls.
 *
 * fx_init() listens on HOST:PORT with the static key of a key file (made
 * if missing, so that clients that pinned it on first use keep finding
 * the same key) or a fresh one.  To each client it is the Noise_XX
 * responder of `e2call serve`: WELCOME, then REGISTER -> REGISTERED (any
 * name, kept in memory only), PING -> PONG, and STUN Binding on the UDP
 * port of the same address.  A malformed message closes the connection.
 * Every other message is the fixture's own (fx_ops.on_msg); the
 * fixture closes the connection itself for one it does not take.
 *
 * One loop (fx_loop), one thread.  SIGTERM and SIGINT call on_shutdown
 * (which ends the fixture's calls and prints its totals), then close
 * every connection and handle, and fx_run() returns.
 */
#ifndef E2_TESTS_FIXTURE_H
#define E2_TESTS_FIXTURE_H

#include <stdint.h>

#include <uv.h>

#include "sigmsg.h"

#define FX_TICK_MS	250

struct nconn;

struct fx_conn {
	struct nconn	*nc;		/* NULL once it closed */
	char		 name[SIG_NAME_MAX + 1];	/* "" until REGISTER */
	struct fx_conn	*next;
};

struct fx_ops {
	/* A message that is not REGISTER, PING or PONG (m may be changed). */
	void	(*on_msg)(struct fx_conn *c, struct sigmsg *m);
	/* c's connection closed; c is freed after this returns. */
	void	(*on_close)(struct fx_conn *c);
	/* Every FX_TICK_MS; may be NULL. */
	void	(*on_tick)(void);
	/* SIGTERM or SIGINT, before the connections close. */
	void	(*on_shutdown)(void);
};

extern uv_loop_t	*fx_loop;

/* "PROG: message" on stderr, exit 1. */
void	fx_die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* One line on stdout, flushed (the tests read it as it comes). */
void	fx_out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Sends m to c (nothing when c or its connection is gone). */
void	fx_send(struct fx_conn *c, const struct sigmsg *m);
/* ERROR(reason) about m's call (if it has one), with text or NULL. */
void	fx_send_error(struct fx_conn *c, enum sig_reason reason,
	    const struct sigmsg *about, const char *text);
/* Closes c's connection (on_close follows from the loop). */
void	fx_close(struct fx_conn *c, const char *why);
/* The open connection that registered name, or NULL. */
struct fx_conn *fx_conn_by_name(const char *name);
/* A UDP alloc_cb with one static buffer (the loop has one thread). */
void	fx_alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *b);

/*
 * Sets up the loop, the key (keypath NULL: a fresh one), the listener,
 * the STUN socket, the tick and the signals; dies on any failure.  prog
 * names the fixture in messages.
 */
void	fx_init(const char *prog, const char *listen_at, const char *keypath,
	    const struct fx_ops *ops);
/* Runs the loop until a signal ended it; then frees what fx_init made. */
void	fx_run(void);

#endif
