/*
 * htab-bench.c - what lib/htab costs per operation, at 1k and 100k
 * entries of 256 bytes keyed by pid (the size of d4c-enrich's process
 * entries), keys looked up in random order: adding (to a table that grows,
 * and to a full bounded one, which evicts), finding (without and with the
 * LRU touch), missing. For comparison, the same on copies of the two
 * tables it is to replace on hot paths: d4c-enrich's process table
 * (chained by int32 index, LRU) and d4c-load's cgroup table (open
 * addressing). Prints ns/op; asserts only that every lookup found.
 *
 * Each figure is the best of many short samples (4096 operations, well
 * within a time slice), of whole builds for the adds: on a busy machine
 * the other samples measure the neighbours.
 *
 *   htab-bench [SAMPLES]    (default 400)
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "htab.h"
#include "util.h"

struct ent {
	struct hnode node;
	uint32_t pid;
	char rest[256 - sizeof(struct hnode) - 4];
};

static bool ent_is(const struct hnode *n, const void *key)
{
	return htab_entry(n, struct ent, node)->pid == *(const uint32_t *)key;
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static volatile uint64_t sink;

/* ---- copies of the tables htab replaces ---------------------------------- */

/* lib/context/enrich.c's struct ptab, trimmed to its links and key */
struct pent {
	uint32_t pid;
	int32_t hnext, prev, next;
	char rest[256 - 16];
};

struct ptab {
	struct pent *e;
	int32_t *buckets;
	uint32_t nbuckets, max, used;
	int32_t head, tail;
};

static void ptab_init(struct ptab *t, uint32_t max)
{
	t->max = max;
	t->e = xcalloc(max, sizeof(*t->e));
	for (t->nbuckets = 64; t->nbuckets < 2 * max; t->nbuckets *= 2)
		;
	t->buckets = xmalloc(t->nbuckets * sizeof(*t->buckets));
	for (uint32_t i = 0; i < t->nbuckets; i++)
		t->buckets[i] = -1;
	t->head = t->tail = -1;
	t->used = 0;
}

static inline uint32_t phash(const struct ptab *t, uint32_t pid)
{
	return (pid * 2654435761u) & (t->nbuckets - 1);
}

static void lru_unlink(struct ptab *t, int32_t i)
{
	struct pent *p = &t->e[i];

	if (p->prev >= 0)
		t->e[p->prev].next = p->next;
	else
		t->head = p->next;
	if (p->next >= 0)
		t->e[p->next].prev = p->prev;
	else
		t->tail = p->prev;
}

static void lru_front(struct ptab *t, int32_t i)
{
	struct pent *p = &t->e[i];

	p->prev = -1;
	p->next = t->head;
	if (t->head >= 0)
		t->e[t->head].prev = i;
	t->head = i;
	if (t->tail < 0)
		t->tail = i;
}

static struct pent *ptab_get(struct ptab *t, uint32_t pid)
{
	for (int32_t i = t->buckets[phash(t, pid)]; i >= 0; i = t->e[i].hnext)
		if (t->e[i].pid == pid) {
			if (t->head != i) {
				lru_unlink(t, i);
				lru_front(t, i);
			}
			return &t->e[i];
		}
	return NULL;
}

static void ptab_put(struct ptab *t, uint32_t pid)
{
	int32_t i;

	if (t->used < t->max) {
		i = (int32_t)t->used++;
	} else {
		int32_t *pp;

		i = t->tail;
		pp = &t->buckets[phash(t, t->e[i].pid)];
		while (*pp != i)
			pp = &t->e[*pp].hnext;
		*pp = t->e[i].hnext;
		lru_unlink(t, i);
	}
	t->e[i].pid = pid;
	t->e[i].hnext = t->buckets[phash(t, pid)];
	t->buckets[phash(t, pid)] = i;
	lru_front(t, i);
}

/* lib/load/loader.c's cgroup table: open addressing, the entry in the slot */
struct cg_entry {
	uint64_t id;
	char rest[256 - 8];
};

static struct cg_entry *cg_slot(struct cg_entry *v, size_t cap, uint64_t id)
{
	for (size_t i = (id * 0x9e3779b97f4a7c15ull) & (cap - 1);; i = (i + 1) & (cap - 1))
		if (v[i].id == id || !v[i].id)
			return &v[i];
}

/* ---- the figures ------------------------------------------------------------ */

#define CHUNK 4096
#define ORDER (1u << 20)

static void figure(const char *what, size_t n, double ns, size_t ops)
{
	printf("%-52s %7zu %8.1f\n", what, n, ns / (double)ops);
}

/* BODY run for I in a chunk of ORDER, SAMPLES times: the fastest chunk. */
#define TIMED(what, n, body)                                            \
	do {                                                            \
		double best_ = 1e30;                                    \
		for (unsigned s_ = 0; s_ < samples; s_++) {             \
			size_t base_ = (size_t)rnd() % (ORDER - CHUNK); \
			double t0_ = now(), d_;                         \
			for (size_t i = base_; i < base_ + CHUNK; i++)  \
				body;                                   \
			d_ = now() - t0_;                               \
			if (d_ < best_)                                 \
				best_ = d_;                             \
		}                                                       \
		figure(what, n, best_, CHUNK);                          \
	} while (0)

/* Adding N entries to a table made afresh, ROUNDS times: the fastest. */
#define TIMED_BUILD(what, n, rounds, init, body, fini)       \
	do {                                                 \
		double best_ = 1e30;                         \
		for (unsigned r_ = 0; r_ < (rounds); r_++) { \
			double t0_, d_;                      \
			init;                                \
			t0_ = now();                         \
			for (size_t i = 0; i < (n); i++)     \
				body;                        \
			d_ = now() - t0_;                    \
			if (d_ < best_)                      \
				best_ = d_;                  \
			fini;                                \
		}                                            \
		figure(what, n, best_, n);                   \
	} while (0)

static void run(size_t n, unsigned samples)
{
	struct ent *e = xcalloc(2 * n, sizeof(*e));
	uint32_t *keys = xmalloc(2 * n * sizeof(*keys)), *order = xmalloc(ORDER * sizeof(*order));
	unsigned rounds = n > 10000 ? 15 : 200;
	struct htab t = { 0 }, b;
	struct ptab pt;
	struct cg_entry *cg;
	size_t cgcap = 1024, found = 0, churn = 0, misses = 0;

	/* distinct pids, below 4M as pid_max allows */
	for (size_t i = 0; i < 2 * n; i++) {
		keys[i] = (uint32_t)(i * 2654435761u % 4194304u) + 1;
		e[i].pid = keys[i];
	}
	for (size_t i = 0; i < ORDER; i++)
		order[i] = keys[rnd() % n];

	TIMED_BUILD("htab add, no bound (grows)", n, rounds, htab_free(&t),
		    htab_add(&t, &e[i].node, htab_hash_u64(e[i].pid)), (void)0);
	TIMED("htab peek (hit)", n,
	      found += htab_peek(&t, htab_hash_u64(order[i]), ent_is, &order[i]) != NULL);
	/* the hash of an integer is as good as the integer: no compare */
	TIMED("htab first (hit, integer key: hash only)", n,
	      found += htab_first(&t, htab_hash_u64(order[i])) != NULL);
	TIMED("htab peek (miss)", n, {
		uint32_t k = keys[n + i % n];

		misses += htab_peek(&t, htab_hash_u64(k), ent_is, &k) != NULL;
	});
	htab_free(&t);

	TIMED_BUILD("htab add, bound n (presized)", n, rounds, htab_init(&b, n),
		    htab_add(&b, &e[i].node, htab_hash_u64(e[i].pid)), htab_free(&b));
	htab_init(&b, n);
	for (size_t i = 0; i < n; i++)
		htab_add(&b, &e[i].node, htab_hash_u64(e[i].pid));
	TIMED("htab find (hit, LRU touch)", n,
	      found += htab_find(&b, htab_hash_u64(order[i]), ent_is, &order[i]) != NULL);
	/* a full table: each add evicts the least recent, whose memory the next takes */
	TIMED("htab evict + add (full table)", n, {
		struct hnode *v = htab_evict(&b);
		struct ent *x = htab_entry(v, struct ent, node);

		x->pid = keys[(n + churn++) % (2 * n)];
		htab_add(&b, v, htab_hash_u64(x->pid));
	});
	htab_free(&b);

	TIMED_BUILD("  [old] enrich ptab put", n, rounds, ptab_init(&pt, (uint32_t)n),
		    ptab_put(&pt, keys[i]), (free(pt.e), free(pt.buckets)));
	ptab_init(&pt, (uint32_t)n);
	for (size_t i = 0; i < n; i++)
		ptab_put(&pt, keys[i]);
	TIMED("  [old] enrich ptab get (hit, LRU touch)", n,
	      found += ptab_get(&pt, order[i]) != NULL);
	churn = 0;
	TIMED("  [old] enrich ptab put (full table, evicts)", n,
	      ptab_put(&pt, keys[(n + churn++) % (2 * n)]));
	free(pt.e);
	free(pt.buckets);

	while (cgcap < 2 * n)
		cgcap *= 2;
	cg = xcalloc(cgcap, sizeof(*cg));
	for (size_t i = 0; i < n; i++)
		cg_slot(cg, cgcap, keys[i])->id = keys[i];
	TIMED("  [old] loader cgroup table lookup (hit)", n,
	      found += cg_slot(cg, cgcap, order[i])->id == order[i]);
	free(cg);

	if (found != (size_t)5 * samples * CHUNK || misses) {
		fprintf(stderr, "htab-bench: %zu of %zu lookups found, %zu misses found\n", found,
			(size_t)5 * samples * CHUNK, misses);
		exit(1);
	}
	free(e);
	free(keys);
	free(order);
}

int main(int argc, char **argv)
{
	unsigned samples = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 400;

	set_progname(argv[0]);
	printf("%-52s %7s %8s\n", "operation (256-byte entries, random pids)", "entries", "ns/op");
	run(1000, samples);
	run(100000, samples);
	return 0;
}
