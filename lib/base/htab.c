/* htab.c - the hash table's slow paths and hashing (see htab.h). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "htab.h"
#include "util.h"

#define BUCKETS_MIN 16
/* A bound this large is a limit, not a size: grow up to it as entries come. */
#define BUCKETS_PRESIZED_MAX ((size_t)1 << 21)

static void set_buckets(struct htab *t, size_t nb)
{
	struct hnode **old = t->b;
	size_t oldnb = old ? t->mask + 1 : 0;

	t->b = xcalloc(nb, sizeof(*t->b));
	t->mask = nb - 1;
	for (size_t i = 0; i < oldnb; i++)
		for (struct hnode *n = old[i], *next; n; n = next) {
			struct hnode **head = &t->b[n->hash & t->mask];

			next = n->hnext;
			n->hnext = *head;
			*head = n;
		}
	free(old);
}

void htab_init(struct htab *t, size_t max)
{
	size_t nb = BUCKETS_MIN;

	memset(t, 0, sizeof(*t));
	t->max = max;
	while (nb < 2 * max && nb < BUCKETS_PRESIZED_MAX)
		nb *= 2;
	set_buckets(t, nb);
}

void htab_free(struct htab *t)
{
	free(t->b);
	memset(t, 0, sizeof(*t));
}

static void lru_unlink(struct htab *t, struct hnode *n)
{
	if (n->newer)
		n->newer->older = n->older;
	else
		t->newest = n->older;
	if (n->older)
		n->older->newer = n->newer;
	else
		t->oldest = n->newer;
}

struct hnode *htab_evict(struct htab *t)
{
	struct hnode *n = t->oldest;

	if (!t->max || t->n < t->max || !n)
		return NULL;
	htab_del(t, n);
	return n;
}

struct hnode *htab_add(struct htab *t, struct hnode *n, uint64_t h)
{
	struct hnode *victim = htab_evict(t), **head;

	/* two buckets per entry: short chains, whose ends the branch predictor guesses */
	if (!t->b || t->n >= (t->mask + 1) / 2)
		set_buckets(t, t->b ? 2 * (t->mask + 1) : BUCKETS_MIN);
	head = &t->b[h & t->mask];
	n->hash = h;
	n->hnext = *head;
	*head = n;
	t->n++;
	if (t->max) {
		n->newer = NULL;
		n->older = t->newest;
		if (t->newest)
			t->newest->newer = n;
		else
			t->oldest = n;
		t->newest = n;
	}
	return victim;
}

void htab_del(struct htab *t, struct hnode *n)
{
	struct hnode **link = &t->b[n->hash & t->mask];

	while (*link != n)
		link = &(*link)->hnext;
	*link = n->hnext;
	t->n--;
	if (t->max)
		lru_unlink(t, n);
}

void htab_demote(struct htab *t, struct hnode *n)
{
	if (!t->max || t->oldest == n)
		return;
	lru_unlink(t, n);
	n->older = NULL;
	n->newer = t->oldest;
	t->oldest->older = n;
	t->oldest = n;
}

struct hnode *htab_iter_first(const struct htab *t, struct htab_iter *it)
{
	it->t = t;
	it->i = 0;
	it->next = NULL;
	return htab_iter_next(it);
}

struct hnode *htab_iter_next(struct htab_iter *it)
{
	struct hnode *n = it->next;

	while (!n) {
		if (!it->t->b || it->i > it->t->mask)
			return NULL;
		n = it->t->b[it->i++];
	}
	it->next = n->hnext;
	return n;
}

uint64_t htab_hash_bytes(const void *p, size_t len)
{
	const unsigned char *s = p;
	uint64_t h = 0x9e3779b97f4a7c15ull ^ len, w;

	/* eight bytes at a time: a container id is 64 */
	for (; len >= 8; s += 8, len -= 8) {
		memcpy(&w, s, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	w = 0;
	memcpy(&w, s, len);
	return htab_hash_u64(h ^ w);
}
