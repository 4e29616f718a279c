/*
 * client_int.h - what the files of the client share: struct client and
 * the helpers each uses of the others.  client.c is the loop glue (the
 * signaling connection, the call's actions, timers); client_keys.c the
 * keys and pins.  Nothing outside src/net/client*.c includes this.
 */
#ifndef E2_CLIENT_INT_H
#define E2_CLIENT_INT_H

#include <stdint.h>
#include <uv.h>

#include "call.h"
#include "client.h"
#include "contacts.h"
#include "e2e.h"

struct media;
struct nconn;

#define TICK_MS			250
#define PING_MS			20000
#define STATS_EVENT_MS		5000
#define RECONNECT_MAX_MS	30000
#define EOF_TAIL_MS		1500
#define DIRECT_MAX_PEERS	4
#define BYE_GRACE_MS		1000	/* BYE without HANGUP: the call ends */

struct client {
	uv_loop_t		*loop;
	struct client_opts	 o;
	const struct view_ops	*view;
	void			*view_arg;
	struct cl_model		 model;

	struct keypair		*id;
	struct keypair		*prev;		/* identity.previous, or NULL:
						   the key mine replaced */
	int			 move_sent;	/* MOVE sent on this connection */
	struct pins		*contacts;
	struct pins		*servers;

	/* signaling */
	struct sockaddr_storage	 server_addr;
	struct sockaddr_storage	 stun_addr;
	int			 have_stun;
	struct nconn		*sig;		/* to the server / direct peer */
	int			 sig_open;
	int			 registered;
	uv_timer_t		 reconnect_timer;
	uint32_t		 backoff_ms;
	uint64_t		 last_ping_ms;
	char			 dial_peer[SIG_NAME_MAX + 1];
	int			 dial_pending;

	/* direct listener: the peers it accepted and the names they gave */
	uv_tcp_t		 listener;
	int			 listening;
	struct {
		struct nconn	*c;
		char		 name[SIG_NAME_MAX + 1];
	}			 dpeer[DIRECT_MAX_PEERS];

	/* the call */
	struct call		*call;
	struct nconn		*call_conn;	/* where the call's messages go */
	struct media		*media;
	int			 auto_answer_this;
	struct call_guard	 guard;		/* handshakes left before msg 3 */
	uint64_t		 bye_at_ms;	/* a media BYE came */
	uint64_t		 eof_at_ms;
	uint64_t		 last_stats_ev_ms;
	int			 calls_done;

	uv_timer_t		 tick;
	uv_timer_t		 dial_timer;
	int			 handles;
	int			 quitting;
	int			 net_failed;
};

/* client.c: views and the signaling connection */
void	cl_changed(struct client *cl);
void	cl_event(struct client *cl, enum cl_event_kind kind, const char *text);
void	cl_logev(struct client *cl, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
uint64_t cl_now_ms(struct client *cl);
void	cl_send_on(struct client *cl, struct nconn *conn,
	    const struct sigmsg *m);

/* client_keys.c */
/* identity, identity.previous, known_servers, contacts */
int	ckey_load(struct client *cl, char *err, size_t errlen);
struct e2e_id ckey_my_id(const struct client *cl);
/* The pin of the current call's peer: its name and place (8.4). */
int	ckey_peer_pin(struct client *cl, char name[PIN_NAME_MAX + 1],
	    char place[PIN_PLACE_MAX + 1]);
/* CALL_A_KEY_CHECK: the model's key state, then call_key_status(). */
void	ckey_check(struct client *cl);
/* A changed key the user (or --accept-changed-key) may accept. */
int	ckey_to_decide(const struct cl_model *m);
/* Pins a new or accepted key once the call is answered. */
void	ckey_pin_peer(struct client *cl);
/* The end notes: this side refused a key; the peer refused mine. */
void	ckey_note_refused(struct client *cl);
void	ckey_note_peer_refused(struct client *cl);
/* The server's key against known_servers; -1 when it changed. */
int	ckey_server(struct client *cl, struct nconn *c);
/* REGISTER got name_taken and a previous key is there: MOVE. */
void	ckey_send_move(struct client *cl, struct nconn *c);

#endif
