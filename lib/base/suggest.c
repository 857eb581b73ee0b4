/* suggest.c - "did you mean" by edit distance (see suggest.h). */
#include "config.h"

#include <ctype.h>
#include <string.h>

#include "suggest.h"

#define SUGGEST_MAX 256

static size_t min3(size_t a, size_t b, size_t c)
{
	size_t m = a < b ? a : b;

	return m < c ? m : c;
}

/* Optimal string alignment distance over three rolling rows. */
static size_t osa(const char *a, size_t la, const char *b, size_t lb)
{
	size_t rows[3][SUGGEST_MAX + 1];
	size_t *prev2 = rows[0], *prev = rows[1], *cur = rows[2];

	for (size_t j = 0; j <= lb; j++)
		prev[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t *t;

		cur[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			int ca = tolower((unsigned char)a[i - 1]),
			    cb = tolower((unsigned char)b[j - 1]);
			size_t cost = ca != cb;

			cur[j] = min3(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
			if (i > 1 && j > 1 && ca == tolower((unsigned char)b[j - 2]) &&
			    tolower((unsigned char)a[i - 2]) == cb && prev2[j - 2] + 1 < cur[j])
				cur[j] = prev2[j - 2] + 1;
		}
		t = prev2;
		prev2 = prev;
		prev = cur;
		cur = t;
	}
	return prev[lb];
}

const char *suggest(const char *word, const char *const *cands, size_t n)
{
	size_t lw = strlen(word), best_d = (size_t)-1, limit;
	const char *best = NULL;

	if (lw == 0 || lw > SUGGEST_MAX)
		return NULL;
	limit = lw / 3 > 1 ? lw / 3 : 1;
	for (size_t i = 0; i < n; i++) {
		size_t lc = strlen(cands[i]), d;

		if (lc > SUGGEST_MAX || !strcmp(word, cands[i]))
			continue;
		if ((lc > lw ? lc - lw : lw - lc) > limit)
			continue;
		d = osa(word, lw, cands[i], lc);
		if (d <= limit && d < best_d) {
			best_d = d;
			best = cands[i];
		}
	}
	return best;
}
