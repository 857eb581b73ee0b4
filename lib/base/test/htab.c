/*
 * test-htab.c - the hash table: entries are found by key and never move,
 * a bounded table evicts the least recently used entry (found or added,
 * demoted ones first), entries can be removed while walking the table or
 * its LRU list, a hash that puts every key in one bucket is only slow,
 * integer keys have hashes of their own,
 * 100k keys grow a table, and 200k random operations on tables with and
 * without a bound (and with a bad hash) agree with a plain array.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "htab.h"
#include "tap.h"
#include "util.h"

struct ent {
	uint64_t key;
	struct hnode node;
	int in; /* what the test believes: in the table */
	unsigned long long stamp;
};

static bool ent_is(const struct hnode *n, const void *key)
{
	return htab_entry(n, struct ent, node)->key == *(const uint64_t *)key;
}

static int bad_hash;

static uint64_t hash(uint64_t key)
{
	return bad_hash ? 42 : htab_hash_u64(key);
}

static struct ent *find(struct htab *t, uint64_t key)
{
	struct hnode *n = htab_find(t, hash(key), ent_is, &key);

	return n ? htab_entry(n, struct ent, node) : NULL;
}

static struct ent *peek(const struct htab *t, uint64_t key)
{
	struct hnode *n = htab_peek(t, hash(key), ent_is, &key);

	return n ? htab_entry(n, struct ent, node) : NULL;
}

/* Adds E; returns the entry evicted, or NULL. */
static struct ent *add(struct htab *t, struct ent *e)
{
	struct hnode *v = htab_add(t, &e->node, hash(e->key));

	e->in = 1;
	if (!v)
		return NULL;
	htab_entry(v, struct ent, node)->in = 0;
	return htab_entry(v, struct ent, node);
}

/* The keys from the least recent on, as "k k k". */
static const char *lru(const struct htab *t)
{
	static char s[256];
	size_t len = 0;

	s[0] = '\0';
	for (struct hnode *n = htab_oldest(t); n && len < sizeof(s) - 24; n = n->newer)
		len += (size_t)snprintf(s + len, sizeof(s) - len, "%s%llu", len ? " " : "",
					(unsigned long long)htab_entry(n, struct ent, node)->key);
	return s;
}

/* The keys from the most recent on, backwards: the list's other direction. */
static const char *lru_back(const struct htab *t)
{
	static char s[256];
	char tmp[256];
	size_t len = 0;

	s[0] = '\0';
	for (struct hnode *n = htab_newest(t); n && len < sizeof(s) - 24; n = n->older) {
		snprintf(tmp, sizeof(tmp), "%llu%s%s",
			 (unsigned long long)htab_entry(n, struct ent, node)->key, len ? " " : "",
			 s);
		len = (size_t)snprintf(s, sizeof(s), "%s", tmp);
	}
	return s;
}

static void test_basics(void)
{
	struct htab t = { 0 }; /* all zeros: an empty table without bound */
	struct ent e[4] = { { .key = 1 }, { .key = 2 }, { .key = 3 }, { .key = 1 } };
	struct htab_iter it;
	struct hnode *n;
	int count = 0;

	ok(!find(&t, 1) && htab_count(&t) == 0, "a zeroed table is empty");
	ok(!htab_iter_first(&t, &it), "... and has nothing to walk");
	add(&t, &e[0]);
	add(&t, &e[1]);
	add(&t, &e[2]);
	ok(find(&t, 1) == &e[0] && find(&t, 2) == &e[1] && find(&t, 3) == &e[2] && !find(&t, 4),
	   "each key finds its own entry");
	ok(!htab_oldest(&t) && !htab_newest(&t), "no LRU list without a bound");
	add(&t, &e[3]); /* a second entry of key 1 */
	for (n = htab_first(&t, hash(1)); n; n = htab_next(n, hash(1)))
		count++;
	is_int(count, 2, "keys are not checked: two entries of key 1, both found");
	htab_del(&t, &e[0].node);
	ok(find(&t, 1) == &e[3] && htab_count(&t) == 3, "removing one leaves the other");
	htab_del(&t, &e[3].node);
	ok(!find(&t, 1) && find(&t, 2) == &e[1], "then none");
	htab_free(&t);
	ok(!t.b && !t.n, "htab_free leaves an empty table");
	add(&t, &e[0]);
	ok(find(&t, 1) == &e[0], "which can be used again");
	htab_free(&t);
}

static void test_lru(void)
{
	struct htab t;
	struct ent e[8];
	struct hnode *n;
	struct ent *v;

	for (int i = 0; i < 8; i++)
		e[i] = (struct ent){ .key = (uint64_t)i };
	htab_init(&t, 3);
	ok(!add(&t, &e[0]) && !add(&t, &e[1]) && !add(&t, &e[2]), "three fit in a table of 3");
	is_str(lru(&t), "0 1 2", "least recently added first");
	n = htab_evict(&t);
	ok(n == &e[0].node, "htab_evict on a full table evicts");
	e[0].in = 0;
	is_str(lru(&t), "1 2", "... the least recent");
	ok(!htab_evict(&t), "... and on one that is not full, nothing");
	add(&t, &e[0]);
	find(&t, 1);
	is_str(lru(&t), "2 0 1", "a hit makes an entry the most recent");
	peek(&t, 2);
	is_str(lru(&t), "2 0 1", "a peek does not");
	v = add(&t, &e[3]);
	ok(v == &e[2] && !peek(&t, 2), "adding to a full table evicts the least recent");
	is_str(lru(&t), "0 1 3", "and hands it back");
	is_str(lru_back(&t), "0 1 3", "the list links both ways");
	htab_demote(&t, &e[3].node);
	is_str(lru(&t), "3 0 1", "a demoted entry goes first");
	v = add(&t, &e[4]);
	ok(v == &e[3], "... and is the next evicted");
	htab_demote(&t, &e[0].node);
	is_str(lru(&t), "0 1 4", "demoting the least recent changes nothing");
	find(&t, 4);
	is_str(lru(&t), "0 1 4", "nor does finding the most recent");
	htab_del(&t, &e[1].node);
	is_str(lru(&t), "0 4", "a removed entry leaves the list");
	is_str(lru_back(&t), "0 4", "both ways");
	ok(!add(&t, &e[5]), "then there is room again");
	htab_del(&t, &e[5].node);
	htab_del(&t, &e[0].node);
	htab_del(&t, &e[4].node);
	ok(!htab_oldest(&t) && !htab_newest(&t) && htab_count(&t) == 0, "emptied");
	add(&t, &e[6]);
	is_str(lru(&t), "6", "and filled again");
	htab_free(&t);

	htab_init(&t, 1);
	add(&t, &e[0]);
	v = add(&t, &e[1]);
	ok(v == &e[0] && find(&t, 1) == &e[1] && htab_count(&t) == 1, "a table of one");
	htab_free(&t);
}

/* Entries removed (and freed) while the table, or its LRU list, is walked. */
static void test_delete_while_walking(void)
{
	struct htab t = { 0 }, b;
	struct htab_iter it;
	struct hnode *n, *next;
	struct ent *e;
	int seen = 0, left = 0, bad = 0;

	for (uint64_t k = 0; k < 1000; k++) {
		e = xcalloc(1, sizeof(*e));
		e->key = k;
		add(&t, e);
	}
	for (n = htab_iter_first(&t, &it); n; n = htab_iter_next(&it)) {
		e = htab_entry(n, struct ent, node);
		seen++;
		if (e->key % 2) {
			htab_del(&t, n);
			free(e);
		}
	}
	is_int(seen, 1000, "a walk that frees half of them sees all 1000");
	for (uint64_t k = 0; k < 1000; k++)
		if ((find(&t, k) != NULL) != (k % 2 == 0))
			bad++;
	ok(!bad && htab_count(&t) == 500, "the odd ones are gone, the even ones found");
	for (n = htab_iter_first(&t, &it); n; n = htab_iter_next(&it)) {
		free(htab_entry(n, struct ent, node));
		left++;
	}
	is_int(left, 500, "freeing every entry in a walk, then the table");
	htab_free(&t);

	htab_init(&b, 100);
	for (uint64_t k = 0; k < 100; k++) {
		e = xcalloc(1, sizeof(*e));
		e->key = k;
		add(&b, e);
	}
	for (n = htab_oldest(&b); n; n = next) {
		next = n->newer;
		e = htab_entry(n, struct ent, node);
		if (e->key < 90) {
			htab_del(&b, n);
			free(e);
		}
	}
	is_str(lru(&b), "90 91 92 93 94 95 96 97 98 99", "expiring from the LRU list's old end");
	e = find(&b, 95);
	htab_del(&b, &e->node);
	free(e);
	ok(!find(&b, 95) && htab_count(&b) == 9, "removing what was just found");
	while ((n = htab_oldest(&b))) {
		htab_del(&b, n);
		free(htab_entry(n, struct ent, node));
	}
	ok(htab_count(&b) == 0, "emptying from the old end");
	htab_free(&b);
}

/* Every key in one bucket: slow, still right. */
static void test_collisions(void)
{
	struct htab t;
	struct ent *e = xcalloc(2000, sizeof(*e));
	struct htab_iter it;
	struct hnode *n;
	int bad = 0, count = 0;

	bad_hash = 1;
	htab_init(&t, 1000);
	for (int i = 0; i < 2000; i++) {
		e[i].key = (uint64_t)i * 7919;
		add(&t, &e[i]);
	}
	for (int i = 0; i < 1000; i++)
		if (peek(&t, e[i].key) || peek(&t, e[i + 1000].key) != &e[i + 1000])
			bad++;
	ok(!bad && htab_count(&t) == 1000, "one chain of 1000: the last 1000 of 2000 found");
	/* from the middle, the head and the tail of the one chain */
	htab_del(&t, &e[1500].node);
	htab_del(&t, &e[1999].node);
	htab_del(&t, &e[1000].node);
	for (int i = 1000; i < 2000; i++)
		if ((peek(&t, e[i].key) == NULL) != (i == 1500 || i == 1999 || i == 1000))
			bad++;
	ok(!bad && htab_count(&t) == 997, "removing from its middle and both ends");
	for (n = htab_iter_first(&t, &it); n; n = htab_iter_next(&it))
		count++;
	is_int(count, 997, "a walk sees each once");
	htab_free(&t);
	bad_hash = 0;
	free(e);
}

static void test_many(void)
{
	enum { N = 100000 };
	struct htab t = { 0 };
	struct ent *e = xcalloc(N, sizeof(*e));
	int bad = 0;

	for (int i = 0; i < N; i++) {
		e[i].key = (uint64_t)i << 20 | 7; /* the low bits tell nothing */
		add(&t, &e[i]);
	}
	for (int i = 0; i < N; i++)
		if (find(&t, e[i].key) != &e[i])
			bad++;
	ok(!bad && htab_count(&t) == N, "100k keys grow a table without bound, all found");
	ok(t.mask + 1 >= 2 * (size_t)N && t.mask + 1 <= 4 * (size_t)N,
	   "two buckets per entry, at most four");
	for (int i = 0; i < N; i += 2)
		htab_del(&t, &e[i].node);
	for (int i = 0; i < N; i++)
		if ((find(&t, e[i].key) != NULL) != (i % 2 == 1))
			bad++;
	ok(!bad && htab_count(&t) == N / 2, "half removed, the other half found");
	ok(!find(&t, 12345), "a key never added");
	htab_free(&t);

	htab_init(&t, 1000);
	for (int i = 0; i < N; i++)
		add(&t, &e[i]);
	for (int i = 0; i < N; i++)
		if ((peek(&t, e[i].key) == NULL) != (i < N - 1000))
			bad++;
	ok(!bad && htab_count(&t) == 1000, "a table of 1000 keeps the last 1000 of 100k");
	htab_free(&t);
	free(e);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void test_hashes(void)
{
	enum { N = 1 << 20 };
	uint64_t *h = xmalloc(2 * N * sizeof(*h));
	size_t dup = 0;
	char a[80], b[81];
	const char *id = "3f4e1a2b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f";
	int same = 0;

	/* pids, and cgroup ids of a busy host: the low and the high bits */
	for (uint64_t i = 0; i < N; i++) {
		h[i] = htab_hash_u64(i);
		h[N + i] = htab_hash_u64((i + 1) << 32 | 0xfff);
	}
	qsort(h, 2 * N, sizeof(*h), cmp_u64);
	for (size_t i = 1; i < 2 * N; i++)
		dup += h[i] == h[i - 1];
	ok(!dup, "htab_hash_u64: 2M integers, 2M hashes");
	free(h);

	memcpy(a, id, 65);
	memcpy(b + 1, id, 65);
	ok(htab_hash_bytes(a, 64) == htab_hash_bytes(b + 1, 64), "the same bytes anywhere");
	for (size_t n = 0; n < 64; n++)
		same += htab_hash_bytes(id, n) == htab_hash_bytes(id, n + 1);
	ok(!same, "a prefix hashes differently");
	ok(htab_hash_bytes("", 0) != htab_hash_bytes("\0", 1), "zeros count");
}

static unsigned long long rng = 88172645463325252ull;

static unsigned rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

/*
 * 200k random operations on keys 0..KEYS-1 against a plain array that
 * stamps each present key with its last use: the least recent is the
 * lowest stamp, a demoted one gets a stamp below all others.
 */
static int random_run(size_t max, int bad_hash_too)
{
	enum { KEYS = 500, OPS = 200000 };
	struct ent e[KEYS];
	struct htab t;
	unsigned long long clock = 1ull << 40, low = 1ull << 40;
	size_t count = 0;

	bad_hash = bad_hash_too;
	for (int k = 0; k < KEYS; k++)
		e[k] = (struct ent){ .key = (uint64_t)k };
	htab_init(&t, max);
	for (int op = 1; op <= OPS; op++) {
		struct ent *x = &e[rnd(KEYS)], *got, *want = NULL;

		switch (rnd(6)) {
		case 0: /* find */
		case 1:
			got = find(&t, x->key);
			if (got != (x->in ? x : NULL))
				return op;
			if (got)
				x->stamp = ++clock;
			break;
		case 2: /* peek */
			if (peek(&t, x->key) != (x->in ? x : NULL))
				return op;
			break;
		case 3: /* add when absent */
			if (x->in)
				break;
			if (max && count == max) {
				for (int k = 0; k < KEYS; k++)
					if (e[k].in && (!want || e[k].stamp < want->stamp))
						want = &e[k];
				count--;
			}
			if (add(&t, x) != want)
				return op;
			x->stamp = ++clock;
			count++;
			break;
		case 4: /* remove */
			if (!x->in)
				break;
			htab_del(&t, &x->node);
			x->in = 0;
			count--;
			break;
		default: /* demote */
			if (!x->in)
				break;
			htab_demote(&t, &x->node);
			if (max)
				x->stamp = --low;
		}
		if (htab_count(&t) != count)
			return op;
		/* now and then, the whole LRU list in stamp order */
		if (max && op % 1000 == 0) {
			unsigned long long last = 0;
			size_t n = 0;

			for (struct hnode *h = htab_oldest(&t); h; h = h->newer, n++) {
				struct ent *y = htab_entry(h, struct ent, node);

				if (!y->in || y->stamp <= last)
					return op;
				last = y->stamp;
			}
			if (n != count)
				return op;
		}
	}
	for (int k = 0; k < KEYS; k++)
		if ((peek(&t, (uint64_t)k) != NULL) != (e[k].in == 1))
			return -1;
	htab_free(&t);
	bad_hash = 0;
	return 0;
}

static void test_random(void)
{
	static const struct {
		size_t max;
		int bad;
		const char *what;
	} runs[] = {
		{ 0, 0, "without bound" },
		{ 64, 0, "bounded to 64" },
		{ 499, 0, "bounded to 499 of 500 keys" },
		{ 1, 0, "bounded to 1" },
		{ 64, 1, "bounded to 64, every key in one bucket" },
		{ 0, 1, "without bound, every key in one bucket" },
	};

	for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
		int r = random_run(runs[i].max, runs[i].bad);

		if (!ok(r == 0, "200k random operations as on an array, %s", runs[i].what))
			diag("first difference at operation %d", r);
	}
}

int main(void)
{
	plan(53);
	test_basics();
	test_lru();
	test_delete_while_walking();
	test_collisions();
	test_many();
	test_hashes();
	test_random();
	return done_testing();
}
