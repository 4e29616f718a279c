/*
 * client_keys.c - whose key is it: the identity (and the key it replaced),
 * the pins of people and servers, the key check of a call with what it
 * tells a person, and the move of a name to a new key.  Part of the client
 * (client_int.h); docs/PROTOCOL.md 5.3, 5.7, 5a.2 and 8.4.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "call.h"
#include "client.h"
#include "client_int.h"
#include "err.h"
#include "keyfile.h"
#include "keymove.h"
#include "log.h"
#include "nconn.h"
#include "paths.h"

static void
save_pins(struct client *cl, struct pins *p)
{
	char err[300];

	if (pins_save(p, err, sizeof(err)) != 0)
		cl_event(cl, CL_EV_ERROR, err);
}

/*
 * Where the peer of the call is pinned (contacts.h): its name on the
 * server, in the place of the server's key; name@HOST:PORT that I dialed,
 * in "direct"; the name a caller of my direct listener claimed, or
 * "~<fingerprint>" when it claimed none, in "caller".  0, or -1 when the
 * server's key is not known.
 */
int
ckey_peer_pin(struct client *cl, char name[PIN_NAME_MAX + 1],
    char place[PIN_PLACE_MAX + 1])
{
	struct call *c = cl->call;
	const struct pin *s;
	uint8_t pub[32];

	if (cl->o.direct) {
		snprintf(name, PIN_NAME_MAX + 1, "%s@%s", c->peer,
		    cl->model.server);
		snprintf(place, PIN_PLACE_MAX + 1, "direct");
		return 0;
	}
	if (cl->o.direct_listen) {
		if (strcmp(c->peer, "anonymous") == 0)
			pins_caller_name(c->peer_pub, name);
		else
			snprintf(name, PIN_NAME_MAX + 1, "%s", c->peer);
		snprintf(place, PIN_PLACE_MAX + 1, "caller");
		return 0;
	}
	snprintf(name, PIN_NAME_MAX + 1, "%s", c->peer);
	if (cl->sig != NULL && cl->sig_open)
		nconn_remote_static(cl->sig, pub);
	else if ((s = pins_find(cl->servers, cl->model.server, NULL)) != NULL)
		memcpy(pub, s->pub, 32);	/* checked when it connected */
	else
		return -1;
	pins_server_place(pub, place);
	return 0;
}

/*
 * Pins a new or accepted changed key once the call is answered; a pin of
 * an older file that matched any server takes this server's place.
 */
void
ckey_pin_peer(struct client *cl)
{
	struct call *c = cl->call;
	char name[PIN_NAME_MAX + 1], place[PIN_PLACE_MAX + 1];
	const struct pin *e;

	if (c == NULL || !c->have_peer_pub || ckey_peer_pin(cl, name, place) != 0)
		return;
	if (cl->model.peer_key == KEY_KNOWN ||
	    cl->model.peer_key == KEY_VERIFIED) {
		/* The same key: only a server:* pin changes (its place). */
		if ((e = pins_find(cl->contacts, name, place)) == NULL ||
		    strcmp(e->place, place) == 0)
			return;
	} else if (cl->model.peer_key != KEY_NEW && !ckey_to_decide(&cl->model))
		return;
	if (pins_set(cl->contacts, name, place, c->peer_pub,
	    (long long)time(NULL)) != 0)
		return;
	/* A verified contact that moved with a proof from the verified key,
	   accepted by the user: the comparison of codes still speaks. */
	if (cl->model.peer_key == KEY_CHANGED_VERIFIED && cl->model.peer_moved)
		(void)pins_set_verified(cl->contacts, name, place, 1);
	save_pins(cl, cl->contacts);
	/* The screen keeps saying "new" (or "changed") for this call. */
}

int
client_mark_verified(struct client *cl)
{
	struct call *c = cl->call;
	char name[PIN_NAME_MAX + 1], place[PIN_PLACE_MAX + 1];
	const struct pin *e;

	if (c == NULL || !c->have_peer_pub || c->code[0] == '\0')
		return E2_ERR_STATE;
	if (cl->model.peer_key == KEY_CHANGED_VERIFIED)
		return E2_ERR_STATE;
	if (ckey_peer_pin(cl, name, place) != 0)
		return E2_ERR_STATE;
	if ((e = pins_find(cl->contacts, name, place)) == NULL ||
	    strcmp(e->place, place) != 0 || cl->model.peer_key == KEY_CHANGED)
		(void)pins_set(cl->contacts, name, place, c->peer_pub,
		    (long long)time(NULL));
	if (pins_set_verified(cl->contacts, name, place, 1) != 0)
		return E2_ERR_STATE;
	save_pins(cl, cl->contacts);
	cl->model.peer_key = KEY_VERIFIED;
	cl_event(cl, CL_EV_VERIFIED, NULL);
	return 0;
}

static enum call_key
key_of(enum key_status s)
{
	switch (s) {
	case KEY_NEW:			return CALL_KEY_NEW;
	case KEY_KNOWN:			return CALL_KEY_KNOWN;
	case KEY_VERIFIED:		return CALL_KEY_VERIFIED;
	case KEY_CHANGED:		return CALL_KEY_CHANGED;
	case KEY_CHANGED_VERIFIED:	return CALL_KEY_CHANGED_VERIFIED;
	}
	return CALL_KEY_CHANGED;
}

/* Where the peer's name lives, for a person: whose key it is. */
static void
peer_where(const struct client *cl, char *out, size_t cap)
{
	if (cl->o.direct_listen)
		snprintf(out, cap, "(who called this direct listener)");
	else if (cl->o.direct)
		snprintf(out, cap, "at %s (direct)", cl->model.server);
	else
		snprintf(out, cap, "on server %s", cl->model.server);
}

/* This side refused a changed key: say so, with both keys and the way on. */
void
ckey_note_refused(struct client *cl)
{
	const struct cl_model *m = &cl->model;
	char where[160], name[PIN_NAME_MAX + 1], place[PIN_PLACE_MAX + 1];
	char cmd[PIN_NAME_MAX + 200];

	peer_where(cl, where, sizeof(where));
	/* The command names the pin exactly (contacts' NAME and place). */
	if (ckey_peer_pin(cl, name, place) != 0)
		snprintf(name, sizeof(name), "%s", m->peer);
	snprintf(cmd, sizeof(cmd), "e2call unverify %.100s%s%s", name,
	    cl->o.direct_listen ? " --caller" : "", cl->o.direct ||
	    cl->o.direct_listen ? "" : " --server ");
	if (!cl->o.direct && !cl->o.direct_listen)
		strncat(cmd, cl->model.server, sizeof(cmd) - strlen(cmd) - 1);
	if (m->peer_key == KEY_CHANGED_VERIFIED && !m->peer_moved)
		snprintf(cl->model.end_note, sizeof(cl->model.end_note),
		    "refused: the key of %s %s has changed, and you had "
		    "verified the old one (old %s, new %s). If %s really has "
		    "a new key, run `%s`, call again and compare the security "
		    "code.", m->peer, where, m->old_fp, m->peer_fp, m->peer,
		    cmd);
	else
		snprintf(cl->model.end_note, sizeof(cl->model.end_note),
		    "refused: the key of %s %s has changed%s (old %s, new %s). "
		    "To take the new key, call with --accept-changed-key and "
		    "compare the security code.", m->peer, where,
		    m->peer_moved ? ", signed by the old key" : "", m->old_fp,
		    m->peer_fp);
}

/* The peer refused my key: tell me, with my fingerprint. */
void
ckey_note_peer_refused(struct client *cl)
{
	char fp[FINGERPRINT_LEN + 1];

	fingerprint(cl->id->pub, fp);
	snprintf(cl->model.end_note, sizeof(cl->model.end_note),
	    "%s%s refused the call: the key %s has pinned for you is not the "
	    "one you use now (yours: %s). If you made a new identity, %s must "
	    "accept it; `e2call id --rotate` moves a name to a new key so "
	    "that your contacts see it signed by the old one.",
	    cl->model.end_by == CL_END_SERVER ? "the server says " : "",
	    cl->model.peer, cl->model.peer, fp, cl->model.peer);
}

void
ckey_check(struct client *cl)
{
	struct call *c = cl->call;
	char name[PIN_NAME_MAX + 1], place[PIN_PLACE_MAX + 1];
	const struct pin *old;
	enum call_key ck;

	if (ckey_peer_pin(cl, name, place) != 0)
		cl->model.peer_key = KEY_NEW;	/* no server: not pinned */
	else
		cl->model.peer_key = pins_check(cl->contacts, name, place,
		    c->peer_pub);
	fingerprint(c->peer_pub, cl->model.peer_fp);
	cl->model.old_fp[0] = '\0';
	cl->model.peer_moved = 0;
	cl->model.known_as[0] = '\0';
	ck = key_of(cl->model.peer_key);
	/* A caller to my direct listener claims a name; if its key is one
	   I know from elsewhere, say under which name and where. */
	if (cl->model.peer_key == KEY_NEW && cl->o.direct_listen &&
	    (old = pins_find_key(cl->contacts, c->peer_pub)) != NULL)
		snprintf(cl->model.known_as, sizeof(cl->model.known_as),
		    "%.150s (%s)", old->name, strncmp(old->place, "server:", 7) == 0 ?
		    "on a server" : strcmp(old->place, "direct") == 0 ?
		    "dialed directly" : "a direct caller");
	if (cl->model.peer_key == KEY_CHANGED ||
	    cl->model.peer_key == KEY_CHANGED_VERIFIED) {
		if ((old = pins_find(cl->contacts, name, place)) != NULL)
			fingerprint(old->pub, cl->model.old_fp);
		/* Changed, but signed by the key I had: the peer moved. */
		cl->model.peer_moved = c->peer_moved && old != NULL &&
		    sodium_memcmp(old->pub, c->peer_old_pub, 32) == 0;
		cl_event(cl, CL_EV_KEY_CHANGED, NULL);
		if (cl->model.peer_moved)
			ck = CALL_KEY_CHANGED;	/* the user decides */
		else if (cl->model.peer_key == KEY_CHANGED_VERIFIED)
			ckey_note_refused(cl);
	}
	call_key_status(c, ck);
}

/* A changed key the user (or --accept-changed-key) may accept. */
int
ckey_to_decide(const struct cl_model *m)
{
	return m->peer_key == KEY_CHANGED ||
	    (m->peer_key == KEY_CHANGED_VERIFIED && m->peer_moved);
}

struct e2e_id
ckey_my_id(const struct client *cl)
{
	struct e2e_id me = { cl->id->priv, cl->id->pub, NULL, NULL };

	if (cl->prev != NULL) {		/* my calls prove the move */
		me.old_priv = cl->prev->priv;
		me.old_pub = cl->prev->pub;
	}

	return me;
}

/*
 * The name belongs to my previous key: move it to this one, with the
 * proof that I still hold the previous key (keymove.h).
 */
void
ckey_send_move(struct client *cl, struct nconn *c)
{
	uint8_t spub[32], proof[KEYMOVE_LEN];
	struct sigmsg m;

	cl->move_sent = 1;
	nconn_remote_static(c, spub);
	if (keymove_proof(proof, cl->prev->priv, cl->prev->pub, spub,
	    cl->model.my_name, cl->id->pub) != 0)
		return;
	sigmsg_init(&m, SIG_MOVE);
	(void)sigmsg_set_name(&m, cl->model.my_name);
	sigmsg_set_moveproof(&m, proof);
	sodium_memzero(proof, sizeof(proof));
	cl_logev(cl, "'%s' belongs to my previous key: moving it to this one",
	    cl->model.my_name);
	cl_send_on(cl, c, &m);
}

int
ckey_load(struct client *cl, char *err, size_t errlen)
{
	char path[4096], legacy[PIN_PLACE_MAX + 1];
	const struct pin *s = NULL;
	int r;

	if ((r = paths_config_file("identity", path, sizeof(path), err,
	    errlen)) != 0 ||
	    (r = keyfile_load(path, 1, &cl->id, NULL, err, errlen)) != 0)
		return r;
	/* The key mine replaced (e2call id --rotate), while it is kept. */
	if ((r = paths_config_file("identity.previous", path, sizeof(path),
	    err, errlen)) != 0)
		return r;
	r = keyfile_load(path, 0, &cl->prev, NULL, err, errlen);
	if (r == E2_ERR_NOTFOUND)
		r = 0;
	else if (r == 0 && memcmp(cl->prev->pub, cl->id->pub, 32) == 0) {
		keypair_free(cl->prev);		/* a rotation cut short */
		cl->prev = NULL;
	}
	if (r != 0)
		return r;
	if ((r = paths_config_file("known_servers", path, sizeof(path), err,
	    errlen)) != 0 ||
	    (r = pins_load(path, PINS_SERVERS, NULL, &cl->servers, err,
	    errlen)) != 0)
		return r;
	if (!cl->o.direct && cl->o.server != NULL)
		s = pins_find(cl->servers, cl->o.server, NULL);
	if (s != NULL)
		pins_server_place(s->pub, legacy);
	if ((r = paths_config_file("contacts", path, sizeof(path), err,
	    errlen)) != 0 ||
	    (r = pins_load(path, PINS_CONTACTS, s != NULL ? legacy : NULL,
	    &cl->contacts, err, errlen)) != 0)
		return r;
	return 0;
}

/*
 * The server's key, pinned on first use; a changed one is refused (the
 * caller quits with exit status 9).  0 when the key is the pinned one.
 */
int
ckey_server(struct client *cl, struct nconn *c)
{
	uint8_t pub[32];
	char fp[FINGERPRINT_LEN + 1], old[FINGERPRINT_LEN + 1], line[600];
	const struct pin *p;
	enum key_status ks;

	nconn_remote_static(c, pub);
	ks = pins_check(cl->servers, cl->model.server, NULL, pub);
	if (ks == KEY_NEW) {
		(void)pins_set(cl->servers, cl->model.server, NULL, pub,
		    (long long)time(NULL));
		save_pins(cl, cl->servers);
		fingerprint(pub, fp);
		cl_logev(cl, "first connection to server %s: pinned its key %s",
		    cl->model.server, fp);
	} else if (ks == KEY_CHANGED || ks == KEY_CHANGED_VERIFIED) {
		fingerprint(pub, fp);
		p = pins_find(cl->servers, cl->model.server, NULL);
		fingerprint(p->pub, old);
		snprintf(line, sizeof(line), "THE KEY OF SERVER %s HAS CHANGED "
		    "(was %s, now %s). Someone may be impersonating it, or "
		    "it was reinstalled: check with its operator, then remove "
		    "its line from known_servers to accept the new key.",
		    cl->model.server, old, fp);
		cl_event(cl, CL_EV_ERROR, line);
		return -1;
	}
	return 0;
}
