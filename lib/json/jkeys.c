/*
 * jkeys.c - the slow paths of duplicate-key detection (see jkeys.h):
 * keys with escapes, and objects with many keys.
 */
#include <stdlib.h>
#include <string.h>

#include "jescape.h"
#include "jkeys.h"
#include "util.h"

void jkeys_grow(struct jkeys *ks)
{
	size_t cap = ks->cap * 2;

	if (ks->k == ks->inl) {
		ks->k = xmalloc(cap * sizeof(*ks->k));
		memcpy(ks->k, ks->inl, ks->n * sizeof(*ks->k));
	} else {
		ks->k = xrealloc(ks->k, cap * sizeof(*ks->k));
	}
	ks->cap = cap;
}

void jkeys_free(struct jkeys *ks)
{
	if (ks->k != ks->inl)
		free(ks->k);
	jkeys_init(ks);
}

/*
 * The bytes of a key once unescaped, one at a time: \uXXXX (and surrogate
 * pairs) as UTF-8, so that an escaped key and the same key written plainly
 * give the same bytes. The scanners have checked the escapes.
 */
struct kit {
	const unsigned char *p, *end;
	unsigned char pend[4];
	int np, ip;
};

static int kit_next(struct kit *it)
{
	unsigned c;

	if (it->ip < it->np)
		return it->pend[it->ip++];
	if (it->p >= it->end)
		return -1;
	c = *it->p++;
	if (c != '\\' || it->p >= it->end)
		return c;
	c = *it->p++;
	if (c != 'u')
		return json_unescape_char(c);
	if (it->end - it->p < 4)
		return -1;
	c = json_hex4(it->p);
	it->p += 4;
	if (c >= 0xd800 && c < 0xdc00 && it->end - it->p >= 6 && it->p[0] == '\\' &&
	    it->p[1] == 'u') {
		unsigned lo = json_hex4(it->p + 2);

		if (lo >= 0xdc00 && lo < 0xe000) {
			c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
			it->p += 6;
		}
	}
	{
		unsigned char u[4];
		size_t n = json_put_utf8(u, c);

		/* the first byte now, the rest on the next calls */
		memcpy(it->pend, u + 1, n - 1);
		it->np = (int)n - 1;
		it->ip = 0;
		return u[0];
	}
}

/* Orders keys by their unescaped bytes. */
static int key_cmp(const struct jkey *a, const struct jkey *b)
{
	struct kit x = { .p = (const unsigned char *)a->p,
			 .end = (const unsigned char *)a->p + a->len };
	struct kit y = { .p = (const unsigned char *)b->p,
			 .end = (const unsigned char *)b->p + b->len };

	if (!a->esc && !b->esc) {
		int c = memcmp(a->p, b->p, a->len < b->len ? a->len : b->len);

		return c ? c : (a->len > b->len) - (a->len < b->len);
	}
	for (;;) {
		int u = kit_next(&x), v = kit_next(&y);

		if (u != v)
			return u - v;
		if (u < 0)
			return 0;
	}
}

bool jkeys_same(const struct jkey *a, const struct jkey *b)
{
	if (!a->esc && !b->esc)
		return a->len == b->len && !memcmp(a->p, b->p, a->len);
	return key_cmp(a, b) == 0;
}

static int qcmp(const void *a, const void *b)
{
	return key_cmp(a, b);
}

bool jkeys_sort_dup(struct jkeys *ks, size_t base)
{
	qsort(ks->k + base, ks->n - base, sizeof(*ks->k), qcmp);
	for (size_t i = base + 1; i < ks->n; i++)
		if (!key_cmp(&ks->k[i - 1], &ks->k[i]))
			return true;
	return false;
}
