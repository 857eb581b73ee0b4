/*
 * ytree.h - a hardened YAML loader: turns policy text into a small tree of
 * scalars, sequences and mappings that keeps every node's line and column,
 * so that checks done later can point at the offending node.
 *
 * It refuses what a policy never needs and an attacker could use: aliases
 * (no billion-laughs expansion is possible), nesting deeper than
 * YTREE_MAX_DEPTH, more than one document, non-scalar keys, duplicate keys,
 * NUL bytes and invalid UTF-8.
 */
#ifndef D4C_YTREE_H
#define D4C_YTREE_H

#include <stddef.h>

#include "diag.h"

#define YTREE_MAX_DEPTH 32

enum ynode_type {
	Y_SCALAR,
	Y_SEQ,
	Y_MAP,
};

struct ynode {
	enum ynode_type type;
	int line, col; /* 1-based */
	/* Y_SCALAR */
	char *str;
	size_t len;
	int plain; /* unquoted and untagged: subject to null/bool resolution */
	int quoted; /* single- or double-quoted */
	/* Y_SEQ: items; Y_MAP: keys[i] maps to items[i] */
	struct ynode **items;
	struct ynode **keys;
	struct ynode *pending; /* Y_MAP while loading: a key waiting for its value */
	size_t n, cap;
};

/*
 * Checks that TEXT is UTF-8 without NUL bytes or the control characters
 * YAML does not allow. Returns 0, or -1 after
 * adding one diagnostic naming the first offending position.
 */
int ytree_check_text(const char *text, size_t len, const char *file, struct diag_list *dl);

/*
 * Parses TEXT (LEN bytes, as checked by ytree_check_text). Returns the root
 * node, or NULL after adding diagnostics (a syntax error, a refused
 * construct) or for an empty document (no diagnostic added; *EMPTY set).
 */
struct ynode *ytree_parse(const char *text, size_t len, const char *file, struct diag_list *dl,
			  int *empty);
void ytree_free(struct ynode *n);

/* "a string", "a list", "a mapping", "a boolean"..., for messages. */
const char *ytree_describe(const struct ynode *n);
/* A plain scalar that YAML resolves to null: "", "~", "null", "Null", "NULL". */
int ytree_is_null(const struct ynode *n);
/* A plain scalar that YAML 1.2's core schema resolves to an integer or a
 * float ("3", "1.25", "0x1f", ".inf"): not a string to a JSON schema. */
int ytree_is_number(const struct ynode *n);
/* Returns 1 or 0 for a plain true/false scalar (YAML 1.2 core forms), -1 otherwise. */
int ytree_bool(const struct ynode *n);
/* The value node for KEY in a mapping, or NULL. */
struct ynode *ytree_get(const struct ynode *map, const char *key);

#endif
