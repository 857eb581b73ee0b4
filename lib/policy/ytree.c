/* ytree.c - hardened YAML loading with positions (see ytree.h). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "util.h"
#include "ytree.h"

int ytree_check_text(const char *text, size_t len, const char *file, struct diag_list *dl)
{
	const unsigned char *s = (const unsigned char *)text;
	const char *nul = memchr(text, '\0', len);
	int line = 1, col = 1;
	size_t i = 0;

	/* A NUL anywhere means a binary file: say that, not what byte
	 * happened to come first. */
	if (nul) {
		for (const char *p = text; p < nul; p++)
			if (*p == '\n')
				line++, col = 1;
			else if ((*p & 0xc0) != 0x80)
				col++;
		diag_add(dl, file, line, col, DIAG_ERROR, "binary-file",
			 "binary file: NUL byte (a policy is UTF-8 text)");
		return -1;
	}

	while (i < len) {
		unsigned c = s[i];
		size_t need;
		unsigned cp, min;

		if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f) {
			diag_add(dl, file, line, col, DIAG_ERROR, "control-character",
				 "control character 0x%02x (not allowed in YAML)", c);
			return -1;
		}
		if (c < 0x80) {
			i++;
			if (c == '\n') {
				line++;
				col = 1;
			} else {
				col++;
			}
			continue;
		}
		if ((c & 0xe0) == 0xc0) {
			need = 1, cp = c & 0x1f, min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			need = 2, cp = c & 0x0f, min = 0x800;
		} else if ((c & 0xf8) == 0xf0) {
			need = 3, cp = c & 0x07, min = 0x10000;
		} else {
			goto bad;
		}
		if (len - i <= need)
			goto bad;
		for (size_t k = 1; k <= need; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				goto bad;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		/* Overlong forms and surrogates can smuggle characters past
		 * byte-level checks, so they are refused like any bad byte. */
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			goto bad;
		/* YAML's printable set excludes C1 controls (but NEL) and U+FFFE/F. */
		if ((cp >= 0x80 && cp <= 0x9f && cp != 0x85) || cp == 0xfffe || cp == 0xffff) {
			diag_add(dl, file, line, col, DIAG_ERROR, "control-character",
				 "control character U+%04X (not allowed in YAML)", cp);
			return -1;
		}
		i += need + 1;
		col++;
	}
	return 0;
bad:
	diag_add(dl, file, line, col, DIAG_ERROR, "not-utf8",
		 "invalid UTF-8 (byte 0x%02x): a policy is UTF-8 text", s[i]);
	return -1;
}

static struct ynode *node_new(enum ynode_type type, const yaml_mark_t *m)
{
	struct ynode *n = xcalloc(1, sizeof(*n));

	n->type = type;
	n->line = (int)m->line + 1;
	n->col = (int)m->column + 1;
	return n;
}

void ytree_free(struct ynode *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->n; i++) {
		ytree_free(n->items[i]);
		if (n->keys)
			ytree_free(n->keys[i]);
	}
	ytree_free(n->pending);
	free(n->items);
	free(n->keys);
	free(n->str);
	free(n);
}

/* Appends CHILD to a sequence, or as the key or value of a mapping entry. */
static void node_append(struct ynode *parent, struct ynode *child)
{
	if (parent->type == Y_MAP && !parent->pending) {
		parent->pending = child;
		return;
	}
	if (parent->n == parent->cap) {
		parent->cap = parent->cap ? 2 * parent->cap : 4;
		parent->items = xrealloc(parent->items, parent->cap * sizeof(*parent->items));
		if (parent->type == Y_MAP)
			parent->keys = xrealloc(parent->keys, parent->cap * sizeof(*parent->keys));
	}
	if (parent->type == Y_MAP) {
		parent->keys[parent->n] = parent->pending;
		parent->pending = NULL;
	}
	parent->items[parent->n++] = child;
}

static int cmp_keyp(const void *a, const void *b)
{
	const struct ynode *x = *(struct ynode *const *)a, *y = *(struct ynode *const *)b;
	size_t l = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->str, y->str, l);

	if (c)
		return c;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	/* Equal keys: earlier in the file first, so the later one is reported. */
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->col < y->col ? -1 : x->col > y->col;
}

/* Sorting makes the check O(n log n): a hostile file with a huge mapping
 * must not cost quadratic time. */
static int check_duplicate_keys(const struct ynode *map, const char *file, struct diag_list *dl)
{
	struct ynode **k;
	int bad = 0;

	if (map->n < 2)
		return 0;
	k = xmalloc(map->n * sizeof(*k));
	memcpy(k, map->keys, map->n * sizeof(*k));
	qsort(k, map->n, sizeof(*k), cmp_keyp);
	for (size_t i = 1; i < map->n; i++) {
		if (k[i]->len == k[i - 1]->len && !memcmp(k[i]->str, k[i - 1]->str, k[i]->len)) {
			diag_add(dl, file, k[i]->line, k[i]->col, DIAG_ERROR, "duplicate-key",
				 "duplicate key '%s' (first at line %d, column %d)", k[i]->str,
				 k[i - 1]->line, k[i - 1]->col);
			bad = 1;
		}
	}
	free(k);
	return bad ? -1 : 0;
}

/* A line of TEXT (1-based): its start and end (the newline or the end). */
static int line_span(const char *text, size_t len, int line, const char **b, const char **e)
{
	const char *p = text, *end = text + len;

	for (int l = 1; l < line; l++) {
		p = memchr(p, '\n', (size_t)(end - p));
		if (!p)
			return -1;
		p++;
	}
	*b = p;
	*e = memchr(p, '\n', (size_t)(end - p));
	if (!*e)
		*e = end;
	return 0;
}

/* The byte at 1-based column COL (in characters, as libyaml counts) of
 * [B, E), or NULL past the end. */
static const char *at_col(const char *b, const char *e, int col)
{
	for (int c = 1; c < col && b < e; c++)
		for (b++; b < e && (*b & 0xc0) == 0x80; b++)
			;
	return b < e ? b : NULL;
}

/* A tab libyaml found: at the first tab of the indentation of the line
 * [B, E) (LINE), which is the one to replace, even when libyaml noticed a
 * later one. Returns 0 when said, -1 when the indentation has no tab. */
static int explain_tab(const char *b, const char *e, int line, const char *file,
		       struct diag_list *dl)
{
	const char *q = b;
	int qcol = 1;

	while (q < e && *q == ' ')
		q++, qcol++;
	if (q >= e || *q != '\t')
		return -1;
	diag_add(dl, file, line, qcol, DIAG_ERROR, "yaml-syntax",
		 "tab character in indentation (YAML indents with spaces)");
	return 0;
}

/* "did not find expected '-' indicator" at LINE:COL in the list begun at
 * CLINE:CCOL, whose line is [CB, CE). */
static void explain_list_indent(int line, int col, int cline, int ccol, const char *cb,
				const char *ce, const char *file, struct diag_list *dl)
{
	/* where the first item's content starts: the column its keys and
	 * continuation lines must use */
	const char *q = at_col(cb, ce, ccol);
	int icol = ccol + 1;

	if (q && *q == '-') {
		for (q++; q < ce && *q == ' '; q++)
			icol++;
		if (q < ce && *q != '#' && icol > ccol + 1) {
			diag_add(dl, file, line, col, DIAG_ERROR, "yaml-syntax",
				 "bad indentation: in the list begun at line %d, a line starts "
				 "with '-' at column %d or is indented to column %d under its item "
				 "(YAML: did not find expected '-' indicator)",
				 cline, ccol, icol);
			return;
		}
	}
	diag_add(dl, file, line, col, DIAG_ERROR, "yaml-syntax",
		 "bad indentation: in the list begun at line %d, a line starts with '-' "
		 "at column %d or is indented under its item "
		 "(YAML: did not find expected '-' indicator)",
		 cline, ccol);
}

/* "mapping values are not allowed in this context" at the ':' C of the
 * line [B, E) (LINE:COL). Returns 0 when said, -1 when not understood. */
static int explain_colon(const char *b, const char *e, const char *c, int line, int col,
			 const char *file, struct diag_list *dl)
{
	/* the line's first ':' after its indentation and any '- ': a key that
	 * YAML took for more of the plain value above; a later one is a ': '
	 * inside a value */
	const char *k = b, *first, *v, *ve = e;
	int kcol = 1;
	char *val, *safe;

	while (k < e && (*k == ' ' || (*k == '-' && k + 1 < e && k[1] == ' ')))
		k++, kcol++;
	first = memchr(k, ':', (size_t)(e - k));
	if (first == c) {
		diag_add(dl, file, line, kcol, DIAG_ERROR, "yaml-syntax",
			 "bad indentation: this key is indented deeper than the line above, so "
			 "YAML reads it as more of that value (mapping values are not allowed "
			 "here)");
		return 0;
	}
	if (!first || first + 1 >= e || first[1] != ' ')
		return -1;
	/* the value: from after the first ": " to the end of the line, less a comment */
	v = first + 1;
	while (v < ve && *v == ' ')
		v++;
	for (const char *h = v; h < ve; h++)
		if (*h == '#' && h[-1] == ' ') {
			ve = h;
			break;
		}
	while (ve > v && (ve[-1] == ' ' || ve[-1] == '\r'))
		ve--;
	val = xstrndup(v, (size_t)(ve - v));
	safe = diag_sanitize(val);
	diag_add(dl, file, line, col, DIAG_ERROR, "yaml-syntax",
		 "a plain value cannot contain ': ' (quote it: '%s')", safe);
	free(safe);
	free(val);
	return 0;
}

/*
 * libyaml names its own state ("did not find expected key"), which says
 * little to someone who wrote the file: the usual mistake behind it is a
 * tab, or a line indented a step too far or too short. Adds a diagnostic
 * saying that at the line to fix and returns 0; returns -1 when the
 * problem is none of those, for the caller to give libyaml's words.
 */
static int explain(const yaml_parser_t *p, const char *text, size_t len, const char *file,
		   struct diag_list *dl)
{
	int line = (int)p->problem_mark.line + 1, col = (int)p->problem_mark.column + 1;
	int cline = (int)p->context_mark.line + 1, ccol = (int)p->context_mark.column + 1;
	const char *problem = p->problem, *context = p->context ? p->context : "";
	const char *b, *e, *c, *cb, *ce;

	if (!problem || line_span(text, len, line, &b, &e))
		return -1;
	c = at_col(b, e, col);

	if (strstr(problem, "tab character") ||
	    (!strcmp(problem, "found character that cannot start any token") && c && *c == '\t'))
		return explain_tab(b, e, line, file, dl);
	if (!strcmp(problem, "found character that cannot start any token") && c &&
	    (*c == '@' || *c == '`')) {
		diag_add(dl, file, line, col, DIAG_ERROR, "yaml-syntax",
			 "'%c' cannot start a plain value (quote it)", *c);
		return 0;
	}
	if (!strcmp(problem, "did not find expected '-' indicator") &&
	    !strcmp(context, "while parsing a block collection") &&
	    !line_span(text, len, cline, &cb, &ce)) {
		explain_list_indent(line, col, cline, ccol, cb, ce, file, dl);
		return 0;
	}
	if (!strcmp(problem, "did not find expected key") &&
	    !strcmp(context, "while parsing a block mapping")) {
		if (col == ccol && c && *c == '-')
			diag_add(dl, file, line, col, DIAG_ERROR, "yaml-syntax",
				 "bad indentation: a list item at column %d, where the mapping "
				 "begun at line %d has its keys; the items of one list are "
				 "indented alike (YAML: did not find expected key)",
				 col, cline);
		else
			diag_add(dl, file, line, col, DIAG_ERROR, "yaml-syntax",
				 "bad indentation: column %d lines up with no open mapping or "
				 "list; the keys of the mapping begun at line %d are at column %d "
				 "(YAML: did not find expected key)",
				 col, cline, ccol);
		return 0;
	}
	if (!strcmp(problem, "could not find expected ':'") &&
	    !strcmp(context, "while scanning a simple key")) {
		diag_add(dl, file, cline, ccol, DIAG_ERROR, "yaml-syntax",
			 "missing ':' after a key (a mapping entry is 'key: value')");
		return 0;
	}
	if (!strcmp(problem, "mapping values are not allowed in this context") && c && *c == ':')
		return explain_colon(b, e, c, line, col, file, dl);
	return -1;
}

static void parser_error(yaml_parser_t *p, const char *text, size_t len, const char *file,
			 struct diag_list *dl)
{
	const char *problem = p->problem ? p->problem : "malformed YAML";
	int line = (int)p->problem_mark.line + 1, col = (int)p->problem_mark.column + 1;

	if (p->error == YAML_MEMORY_ERROR) {
		diag_add(dl, file, 0, 0, DIAG_ERROR, "yaml-syntax", "out of memory parsing YAML");
		return;
	}
	if (p->error == YAML_READER_ERROR) {
		/* Reader errors give an offset, not a line. */
		diag_add(dl, file, 0, 0, DIAG_ERROR, "yaml-syntax", "YAML: %s", problem);
		return;
	}
	if (!explain(p, text, len, file, dl))
		return;
	if (p->context)
		diag_add(dl, file, line, col, DIAG_ERROR, "yaml-syntax",
			 "YAML syntax: %s %s (line %d)", problem, p->context,
			 (int)p->context_mark.line + 1);
	else
		diag_add(dl, file, line, col, DIAG_ERROR, "yaml-syntax", "YAML syntax: %s",
			 problem);
}

/* The parser's state: the tree so far and the open collections. */
struct yparse {
	struct ynode *stack[YTREE_MAX_DEPTH + 1];
	struct ynode *root;
	int depth;
	const char *file;
	struct diag_list *dl;
};

/* The node of scalar event EV. Returns it, or NULL after a diagnostic. */
static struct ynode *scalar_node(struct yparse *y, const yaml_event_t *ev)
{
	struct ynode *n = node_new(Y_SCALAR, &ev->start_mark);

	n->str = xstrndup((const char *)ev->data.scalar.value, ev->data.scalar.length);
	n->len = ev->data.scalar.length;
	n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && !ev->data.scalar.tag;
	n->quoted = ev->data.scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE ||
		    ev->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE;
	/* "\0" in a quoted scalar would cut every C string short. */
	if (strlen(n->str) != n->len) {
		diag_add(y->dl, y->file, n->line, n->col, DIAG_ERROR, "binary-value",
			 "value contains a NUL character");
		ytree_free(n);
		return NULL;
	}
	return n;
}

/* Puts the new node N in the tree, and opens it when a collection.
 * Returns 0, or -1 after a diagnostic. */
static int place_node(struct yparse *y, struct ynode *n)
{
	struct ynode *parent = y->depth ? y->stack[y->depth - 1] : NULL;

	if (parent && parent->type == Y_MAP && n->type != Y_SCALAR && !parent->pending) {
		diag_add(y->dl, y->file, n->line, n->col, DIAG_ERROR, "yaml-complex-key",
			 "a mapping key must be a plain string");
		ytree_free(n);
		return -1;
	}
	if (parent)
		node_append(parent, n);
	else
		y->root = n;
	if (n->type == Y_SCALAR)
		return 0;
	if (y->depth == YTREE_MAX_DEPTH) {
		diag_add(y->dl, y->file, n->line, n->col, DIAG_ERROR, "yaml-too-deep",
			 "YAML nested deeper than %d levels", YTREE_MAX_DEPTH);
		return -1;
	}
	y->stack[y->depth++] = n;
	return 0;
}

/* Takes event EV. Returns 1 at the end of the stream, 0 to go on, -1 after
 * a diagnostic that ends the parse; *DUPS set when a mapping that ends has
 * duplicate keys. */
static int take_event(struct yparse *y, const yaml_event_t *ev, int *ndocs, int *dups)
{
	struct ynode *n = NULL;

	switch (ev->type) {
	case YAML_STREAM_END_EVENT:
		return 1;
	case YAML_DOCUMENT_START_EVENT:
		if (++*ndocs == 1)
			return 0;
		diag_add(y->dl, y->file, (int)ev->start_mark.line + 1,
			 (int)ev->start_mark.column + 1, DIAG_ERROR, "yaml-multidoc",
			 "more than one YAML document (a policy is one document)");
		return -1;
	case YAML_ALIAS_EVENT:
		diag_add(y->dl, y->file, (int)ev->start_mark.line + 1,
			 (int)ev->start_mark.column + 1, DIAG_ERROR, "yaml-alias",
			 "YAML alias '*%s' is not allowed in a policy (write the value out)",
			 (const char *)ev->data.alias.anchor);
		return -1;
	case YAML_SCALAR_EVENT:
		n = scalar_node(y, ev);
		if (!n)
			return -1;
		break;
	case YAML_SEQUENCE_START_EVENT:
		n = node_new(Y_SEQ, &ev->start_mark);
		break;
	case YAML_MAPPING_START_EVENT:
		n = node_new(Y_MAP, &ev->start_mark);
		break;
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		/* Keep reading: every duplicate in the file is reported. */
		if (y->stack[y->depth - 1]->type == Y_MAP &&
		    check_duplicate_keys(y->stack[y->depth - 1], y->file, y->dl))
			*dups = 1;
		y->depth--;
		return 0;
	default:
		return 0;
	}
	return place_node(y, n);
}

struct ynode *ytree_parse(const char *text, size_t len, const char *file, struct diag_list *dl,
			  int *empty)
{
	struct yparse y = { .file = file, .dl = dl };
	int ndocs = 0, r = 0, dups = 0;
	yaml_parser_t p;
	yaml_event_t ev;

	*empty = 0;
	if (!yaml_parser_initialize(&p))
		die("out of memory");
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	while (!r) {
		if (!yaml_parser_parse(&p, &ev)) {
			parser_error(&p, text, len, file, dl);
			r = -1;
			break;
		}
		r = take_event(&y, &ev, &ndocs, &dups);
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
	if (r < 0 || dups) {
		ytree_free(y.root);
		return NULL;
	}
	if (!y.root)
		*empty = 1;
	return y.root;
}

const char *ytree_describe(const struct ynode *n)
{
	if (n->type == Y_SEQ)
		return "a list";
	if (n->type == Y_MAP)
		return "a mapping";
	if (ytree_is_null(n))
		return "an empty value";
	if (ytree_bool(n) >= 0)
		return "a boolean";
	if (ytree_is_number(n))
		return "a number";
	return "a string";
}

int ytree_is_null(const struct ynode *n)
{
	if (n->type != Y_SCALAR || !n->plain)
		return 0;
	return n->len == 0 || !strcmp(n->str, "~") || !strcmp(n->str, "null") ||
	       !strcmp(n->str, "Null") || !strcmp(n->str, "NULL");
}

/* Returns the first byte of S that is not in ALLOWED's class. */
static const char *skip_class(const char *s, int (*allowed)(int))
{
	while (*s && allowed((unsigned char)*s))
		s++;
	return s;
}

static int is_digit(int ch)
{
	return ch >= '0' && ch <= '9';
}

static int is_octal(int ch)
{
	return ch >= '0' && ch <= '7';
}

static int is_hex(int ch)
{
	return is_digit(ch) || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F');
}

int ytree_is_number(const struct ynode *n)
{
	const char *s, *d;

	if (n->type != Y_SCALAR || !n->plain || n->len == 0)
		return 0;
	s = n->str;
	if (!strcmp(s, ".nan") || !strcmp(s, ".NaN") || !strcmp(s, ".NAN"))
		return 1;
	if ((s[0] == '0' && s[1] == 'o' && s[2]) && !*skip_class(s + 2, is_octal))
		return 1;
	if ((s[0] == '0' && s[1] == 'x' && s[2]) && !*skip_class(s + 2, is_hex))
		return 1;
	if (*s == '-' || *s == '+')
		s++;
	if (!strcmp(s, ".inf") || !strcmp(s, ".Inf") || !strcmp(s, ".INF"))
		return 1;
	/* [0-9]+(\.[0-9]*)? or \.[0-9]+, then ([eE][-+]?[0-9]+)? */
	d = skip_class(s, is_digit);
	if (d == s) {
		if (*d != '.' || !is_digit((unsigned char)d[1]))
			return 0;
		d = skip_class(d + 1, is_digit);
	} else if (*d == '.') {
		d = skip_class(d + 1, is_digit);
	}
	if (*d == 'e' || *d == 'E') {
		const char *e = d + 1 + (d[1] == '-' || d[1] == '+');

		d = skip_class(e, is_digit);
		if (d == e)
			return 0;
	}
	return *d == '\0';
}

int ytree_bool(const struct ynode *n)
{
	if (n->type != Y_SCALAR || !n->plain)
		return -1;
	if (!strcmp(n->str, "true") || !strcmp(n->str, "True") || !strcmp(n->str, "TRUE"))
		return 1;
	if (!strcmp(n->str, "false") || !strcmp(n->str, "False") || !strcmp(n->str, "FALSE"))
		return 0;
	return -1;
}

struct ynode *ytree_get(const struct ynode *map, const char *key)
{
	if (map->type != Y_MAP)
		return NULL;
	for (size_t i = 0; i < map->n; i++)
		if (!strcmp(map->keys[i]->str, key))
			return map->items[i];
	return NULL;
}
