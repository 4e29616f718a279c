/*
 * serve_route_local.c - presence in this process's memory: a hash table
 * of the connections holding names; see serve_route.h.
 */
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "serve_int.h"

#define CLIENT_OF(n)	((struct sclient *)((char *)(n) - \
			    offsetof(struct sclient, pnode)))

static int
local_init(struct route *r)
{
	struct htab *t;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return E2_ERR_NOMEM;
	if (htab_init(t, 1024) != 0) {
		free(t);
		return E2_ERR_NOMEM;
	}
	r->priv = t;
	return 0;
}

static void
local_free(struct route *r)
{
	struct htab *t = r->priv;

	if (t == NULL)
		return;
	htab_free(t);
	free(t);
	r->priv = NULL;
}

static struct sclient *
local_locate(struct route *r, const char *name)
{
	struct hnode *n;

	for (n = htab_first(r->priv, serve_hash(r->srv, name,
	    strlen(name))); n != NULL; n = htab_next(n))
		if (strcmp(CLIENT_OF(n)->name, name) == 0)
			return CLIENT_OF(n);
	return NULL;
}

static void
local_withdraw(struct route *r, struct sclient *sc)
{
	if (!sc->online)
		return;
	htab_remove(r->priv, &sc->pnode);
	sc->online = 0;
}

static struct sclient *
local_publish(struct route *r, struct sclient *sc)
{
	struct sclient *old;

	if ((old = local_locate(r, sc->name)) != NULL)
		local_withdraw(r, old);
	htab_insert(r->priv, &sc->pnode, serve_hash(r->srv, sc->name,
	    strlen(sc->name)));
	sc->online = 1;
	return old;
}

static int
local_deliver(struct route *r, const char *name, const uint8_t *msg,
    size_t len)
{
	struct sclient *sc;

	if ((sc = local_locate(r, name)) == NULL)
		return E2_ERR_NOTFOUND;
	/* A failure closes the connection; its close cleans up. */
	(void)nconn_send(sc->nc, msg, len);
	return 0;
}

const struct route_backend route_backend_local = {
	.name = "local",
	.init = local_init,
	.free = local_free,
	.publish = local_publish,
	.withdraw = local_withdraw,
	.locate = local_locate,
	.deliver = local_deliver,
};
