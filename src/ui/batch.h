/*
 * batch.h - the scripted view: one JSON object per line on stdout for
 * every event, commands as lines on stdin.  See e2call(1), BATCH MODE.
 */
#ifndef E2_BATCH_H
#define E2_BATCH_H

#include <uv.h>

#include "client.h"

struct batch;

int	batch_new(struct batch **bp, uv_loop_t *loop);
void	batch_attach(struct batch *b, struct client *cl);
void	batch_close(struct batch *b);
void	batch_free(struct batch *b);
extern const struct view_ops batch_view_ops;

#endif
