/*
 * htab.h - an intrusive chained hash table.
 *
 * The caller embeds a struct hnode in its object, computes the hash (the
 * server uses keyed SipHash, so peers cannot choose colliding keys) and
 * compares keys itself while walking the nodes that share a hash.  The
 * table only grows (doubling when it holds more nodes than buckets); when
 * growing fails it keeps working with longer chains.
 */
#ifndef E2_HTAB_H
#define E2_HTAB_H

#include <stddef.h>
#include <stdint.h>

struct hnode {
	struct hnode	*next;
	uint64_t	 hash;
};

struct htab {
	struct hnode	**b;
	size_t		  nb;	/* buckets, a power of two */
	size_t		  n;	/* nodes */
};

/* 0 or E2_ERR_NOMEM; nb is rounded up to a power of two. */
int	htab_init(struct htab *t, size_t nb);
/* Frees the bucket array (not the nodes). */
void	htab_free(struct htab *t);
void	htab_insert(struct htab *t, struct hnode *n, uint64_t hash);
void	htab_remove(struct htab *t, struct hnode *n);
/* First node with this hash, then the next one with the same hash. */
struct hnode *htab_first(const struct htab *t, uint64_t hash);
struct hnode *htab_next(const struct hnode *n);

#endif
