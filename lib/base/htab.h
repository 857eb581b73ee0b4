/*
 * htab.h - the one hash table of d4c's caches and indexes: processes by
 * pid, containers by id, cgroups by id, sets of pids or of policy keys.
 *
 * Intrusive and chained: each entry is the caller's struct, with a struct
 * hnode in it; the table holds only an array of bucket heads. So it
 * allocates nothing per entry (entries can live in an array the caller
 * allocated once), an entry never moves (a pointer to it stays valid until
 * the caller removes it or it is evicted), keys are whatever the caller
 * compares, and a lookup is inline code that calls the caller's comparison
 * directly, not through a pointer:
 *
 *	struct proc { struct hnode node; uint32_t pid; ... };
 *
 *	static bool proc_is(const struct hnode *n, const void *key)
 *	{
 *		return htab_entry(n, struct proc, node)->pid == *(const uint32_t *)key;
 *	}
 *
 *	struct hnode *n = htab_find(&t, htab_hash_u64(pid), proc_is, &pid);
 *	struct proc *p = n ? htab_entry(n, struct proc, node) : NULL;
 *
 * A table with a bound (htab_init(T, MAX), MAX > 0) keeps its entries in
 * least-recently-used order: adding an entry and finding one with
 * htab_find() make it the most recent (htab_peek() does not), and adding
 * to a full table first removes the least recent entry and hands it back
 * to be freed or reused. A table without one (MAX 0, or all zeros, which
 * is a valid empty table) grows as entries come and keeps no order.
 *
 * Keys are not checked for uniqueness: look a key up before adding it.
 * Not thread-safe. The struct htab may be moved (it holds no pointer to
 * itself).
 */
#ifndef D4C_HTAB_H
#define D4C_HTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hnode {
	struct hnode *hnext; /* the next in its bucket */
	struct hnode *newer, *older; /* the LRU list (tables with a bound) */
	uint64_t hash;
};

struct htab {
	struct hnode **b; /* mask + 1 buckets (NULL: none allocated yet) */
	size_t mask;
	size_t n; /* entries */
	size_t max; /* at most this many, in LRU order (0: no bound, no order) */
	struct hnode *newest, *oldest;
};

/* The struct of TYPE whose member MEMBER is the hnode N. */
#define htab_entry(n, type, member) ((type *)((char *)(n)-offsetof(type, member)))

/* An empty table of at most MAX entries (0: no bound); the buckets for
 * MAX entries (two per entry, 8 bytes each) are allocated at once, so that
 * a bounded table never grows. */
void htab_init(struct htab *t, size_t max);
/* Frees the buckets; the entries are the caller's (free them first, with
 * htab_foreach). T is an empty table without bound again. */
void htab_free(struct htab *t);

static inline size_t htab_count(const struct htab *t)
{
	return t->n;
}

/*
 * Adds N with hash H as the most recent entry. When T has a bound and is
 * full, its least recent entry is removed first and returned, for the
 * caller to free or reuse; otherwise returns NULL.
 */
struct hnode *htab_add(struct htab *t, struct hnode *n, uint64_t h);
/* Removes N (which is in T). */
void htab_del(struct htab *t, struct hnode *n);
/* When T has a bound and is full, removes its least recent entry and
 * returns it; otherwise returns NULL. For a caller that reuses the memory
 * of what it evicts before it adds (an array of MAX entries). */
struct hnode *htab_evict(struct htab *t);

/* Makes N the least recent entry, the next to be evicted (a process that
 * ended); a no-op in a table without bound. */
void htab_demote(struct htab *t, struct hnode *n);

/* Makes N the most recent entry; a no-op in a table without bound. */
static inline void htab_touch(struct htab *t, struct hnode *n)
{
	if (!t->max || t->newest == n)
		return;
	/* N is not the newest: it has a newer one */
	n->newer->older = n->older;
	if (n->older)
		n->older->newer = n->newer;
	else
		t->oldest = n->newer;
	n->older = t->newest;
	n->newer = NULL;
	t->newest->newer = n;
	t->newest = n;
}

/* The least and the most recent entries (NULL: T is empty or without
 * bound); N->newer and N->older walk the list from there. */
static inline struct hnode *htab_oldest(const struct htab *t)
{
	return t->oldest;
}

static inline struct hnode *htab_newest(const struct htab *t)
{
	return t->newest;
}

/*
 * The entries of hash H, one at a time: the caller compares keys.
 *
 *	for (n = htab_first(t, h); n; n = htab_next(n, h))
 *		if (key_of(n) == key)
 *			break;
 */
static inline struct hnode *htab_first(const struct htab *t, uint64_t h)
{
	struct hnode *n = t->b ? t->b[h & t->mask] : NULL;

	while (n && n->hash != h)
		n = n->hnext;
	return n;
}

static inline struct hnode *htab_next(const struct hnode *n, uint64_t h)
{
	for (n = n->hnext; n && n->hash != h; n = n->hnext)
		;
	return (struct hnode *)n;
}

/* The entry of hash H for which EQ(entry, KEY) is true, or NULL; inline,
 * so that a static EQ is inlined too. htab_find() makes it the most
 * recent entry, htab_peek() leaves the order alone. */
static inline struct hnode *htab_peek(const struct htab *t, uint64_t h,
				      bool (*eq)(const struct hnode *, const void *),
				      const void *key)
{
	struct hnode *n;

	for (n = htab_first(t, h); n; n = htab_next(n, h))
		if (eq(n, key))
			break;
	return n;
}

static inline struct hnode *htab_find(struct htab *t, uint64_t h,
				      bool (*eq)(const struct hnode *, const void *),
				      const void *key)
{
	struct hnode *n = htab_peek(t, h, eq, key);

	if (n)
		htab_touch(t, n);
	return n;
}

/*
 * Every entry, in no particular order:
 *
 *	struct htab_iter it;
 *
 *	for (n = htab_iter_first(t, &it); n; n = htab_iter_next(&it))
 *		...
 *
 * The entry returned last may be removed (and freed) before the next
 * call; nothing else may be added or removed until the walk is over.
 */
struct htab_iter {
	const struct htab *t;
	size_t i; /* the next bucket to look in */
	struct hnode *next; /* the entry to return next */
};
struct hnode *htab_iter_first(const struct htab *t, struct htab_iter *it);
struct hnode *htab_iter_next(struct htab_iter *it);

/*
 * Hashes: of an integer key (a pid, a cgroup id), of LEN bytes (a
 * container id). Both mix every bit into the low bits the buckets use.
 * htab_hash_u64() is a bijection (each step can be undone): two integers
 * have the same hash only when they are equal, so a table keyed by one
 * integer need not compare keys: htab_first(T, htab_hash_u64(K)) is K's
 * entry, or NULL.
 */
static inline uint64_t htab_hash_u64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return x;
}

uint64_t htab_hash_bytes(const void *p, size_t len);

#endif
