/*
 * jkeys.h - duplicate keys in JSON objects, one rule for every reader.
 *
 * RFC 8259 leaves the meaning of {"a":1,"a":2} to each reader: d4c-ship's
 * scanner would route by the first key, d4c-enrich and jq read the last,
 * so an alert could be filed as a process event. Elasticsearch refuses
 * such documents by default; so do the d4c scanners, with this check.
 *
 * Keys are compared as JSON readers see them: "\u0070id" is "pid". A
 * scanner keeps one struct jkeys per line (the keys of the objects open at
 * the moment, innermost last) and one struct jkeys_frame per open object.
 * The first JKEYS_SMALL keys of an object are checked as they come, with
 * a 64-bit filter so that a new key is compared with the others only when
 * its hash bit is already set; an object with more keys is sorted when it
 * closes (n log n however many keys a line packs in).
 */
#ifndef D4C_JKEYS_H
#define D4C_JKEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define JKEYS_SMALL  32
#define JKEYS_INLINE 256 /* keys held without allocating */

struct jkey {
	const char *p; /* the raw bytes between the quotes */
	uint32_t len;
	bool esc; /* with backslash escapes */
};

struct jkeys {
	struct jkey *k;
	size_t n, cap;
	struct jkey inl[JKEYS_INLINE];
};

struct jkeys_frame {
	size_t base; /* the object's first key in the jkeys */
	uint64_t bloom; /* hash bits of its unescaped keys so far */
	bool esc; /* one of its keys has escapes: compare every key */
};

void jkeys_grow(struct jkeys *ks);
/* Whether two keys are the same once unescaped. */
bool jkeys_same(const struct jkey *a, const struct jkey *b);
/* Sorts the keys from BASE on; whether two are the same. */
bool jkeys_sort_dup(struct jkeys *ks, size_t base);

static inline void jkeys_init(struct jkeys *ks)
{
	ks->k = ks->inl;
	ks->n = 0;
	ks->cap = JKEYS_INLINE;
}

void jkeys_free(struct jkeys *ks);

static inline void jkeys_open(const struct jkeys *ks, struct jkeys_frame *f)
{
	f->base = ks->n;
	f->bloom = 0;
	f->esc = false;
}

/* Adds a key of the innermost open object F; -1 when it has it already. */
static inline int jkeys_add(struct jkeys *ks, struct jkeys_frame *f, const char *p, size_t len,
			    bool esc)
{
	size_t before = ks->n - f->base;
	uint64_t bit;

	if (ks->n == ks->cap)
		jkeys_grow(ks);
	ks->k[ks->n++] = (struct jkey){ p, (uint32_t)len, esc };
	if (before >= JKEYS_SMALL)
		return 0; /* checked when the object closes */
	f->esc |= esc;
	/* first byte, last byte and length, mixed (Fibonacci hashing) into 6 bits */
	bit = 1ull << (((len ? (unsigned char)p[0] | (unsigned char)p[len - 1] << 8 : 0) |
			(uint32_t)len << 16) *
			       0x9e3779b1u >>
		       26);
	if (!(f->bloom & bit) && !f->esc) {
		f->bloom |= bit;
		return 0;
	}
	f->bloom |= bit;
	for (size_t i = f->base; i < ks->n - 1; i++) {
		const struct jkey *o = &ks->k[i];

		if (!o->esc && !esc ? o->len == len && !memcmp(o->p, p, len) :
				      jkeys_same(o, &ks->k[ks->n - 1]))
			return -1;
	}
	return 0;
}

/* At the object's '}': -1 when a key of a big object was there twice. */
static inline int jkeys_close(struct jkeys *ks, const struct jkeys_frame *f)
{
	bool dup = ks->n - f->base > JKEYS_SMALL && jkeys_sort_dup(ks, f->base);

	ks->n = f->base;
	return dup ? -1 : 0;
}

#endif
