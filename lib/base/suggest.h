/*
 * suggest.h - "did you mean" for misspelled keys, operations and selector
 * names: the closest candidate by edit distance, when close enough.
 */
#ifndef D4C_SUGGEST_H
#define D4C_SUGGEST_H

#include <stddef.h>

/*
 * Returns the candidate closest to WORD (case-insensitive optimal string
 * alignment distance: insertions, deletions, substitutions and adjacent
 * transpositions) when the distance is at most max(1, strlen(WORD) / 3);
 * ties go to the earliest candidate. Returns NULL when none is that close,
 * for an empty WORD, and for one longer than 256 bytes.
 */
const char *suggest(const char *word, const char *const *candidates, size_t n);

#endif
