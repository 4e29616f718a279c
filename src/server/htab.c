/* htab.c - see htab.h. */
#include <stdlib.h>

#include "err.h"
#include "htab.h"

int
htab_init(struct htab *t, size_t nb)
{
	size_t n = 16;

	while (n < nb)
		n <<= 1;
	t->n = 0;
	t->nb = n;
	if ((t->b = calloc(n, sizeof(*t->b))) == NULL)
		return E2_ERR_NOMEM;
	return 0;
}

void
htab_free(struct htab *t)
{
	free(t->b);
	t->b = NULL;
	t->nb = t->n = 0;
}

static void
htab_grow(struct htab *t)
{
	struct hnode **nb, *n, *next;
	size_t i, size = t->nb * 2;

	if ((nb = calloc(size, sizeof(*nb))) == NULL)
		return;
	for (i = 0; i < t->nb; i++) {
		for (n = t->b[i]; n != NULL; n = next) {
			next = n->next;
			n->next = nb[n->hash & (size - 1)];
			nb[n->hash & (size - 1)] = n;
		}
	}
	free(t->b);
	t->b = nb;
	t->nb = size;
}

void
htab_insert(struct htab *t, struct hnode *n, uint64_t hash)
{
	struct hnode **head;

	if (t->n >= t->nb)
		htab_grow(t);
	n->hash = hash;
	head = &t->b[hash & (t->nb - 1)];
	n->next = *head;
	*head = n;
	t->n++;
}

void
htab_remove(struct htab *t, struct hnode *n)
{
	struct hnode **pp;

	for (pp = &t->b[n->hash & (t->nb - 1)]; *pp != NULL;
	    pp = &(*pp)->next) {
		if (*pp == n) {
			*pp = n->next;
			n->next = NULL;
			t->n--;
			return;
		}
	}
}

struct hnode *
htab_first(const struct htab *t, uint64_t hash)
{
	struct hnode *n;

	for (n = t->b[hash & (t->nb - 1)]; n != NULL; n = n->next)
		if (n->hash == hash)
			return n;
	return NULL;
}

struct hnode *
htab_next(const struct hnode *n)
{
	uint64_t hash = n->hash;

	for (n = n->next; n != NULL; n = n->next)
		if (n->hash == hash)
			return (struct hnode *)n;
	return NULL;
}
