/*
 * test-ytree.c - the hardened YAML loader: every node keeps its position,
 * plain scalars resolve to booleans and null only in their YAML 1.2 core
 * forms, and each construct a policy never needs (aliases, several
 * documents, complex keys, deep nesting, duplicate keys, NUL bytes, bad
 * UTF-8, control characters) is refused with one diagnostic at its place.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "ytree.h"

struct parsed {
	struct diag_list dl;
	struct ynode *root;
	int empty;
};

/* Parses TEXT as a file named "t.yaml", running the text check first as
 * the policy loader does. */
static void parse(struct parsed *p, const char *text, size_t len)
{
	memset(p, 0, sizeof(*p));
	if (ytree_check_text(text, len, "t.yaml", &p->dl) == 0)
		p->root = ytree_parse(text, len, "t.yaml", &p->dl, &p->empty);
}

static void parsed_free(struct parsed *p)
{
	ytree_free(p->root);
	diag_free(&p->dl);
}

/* Checks that TEXT is refused with exactly one error of CODE at LINE:COL. */
static void refused(const char *what, const char *text, size_t len, const char *code, int line,
		    int col)
{
	struct parsed p;

	parse(&p, text, len);
	ok(p.root == NULL, "%s: refused", what);
	if (!is_int((long long)p.dl.nerrors, 1, "%s: one error", what) || p.dl.n == 0) {
		for (size_t i = 0; i < p.dl.n; i++)
			printf("#   %d:%d %s %s\n", p.dl.v[i].line, p.dl.v[i].col, p.dl.v[i].code,
			       p.dl.v[i].msg);
		parsed_free(&p);
		return;
	}
	is_str(p.dl.v[0].code, code, "%s: code", what);
	ok(p.dl.v[0].line == line && p.dl.v[0].col == col, "%s: at %d:%d (got %d:%d)", what, line,
	   col, p.dl.v[0].line, p.dl.v[0].col);
	parsed_free(&p);
}

static void test_positions(void)
{
	static const char text[] = "process:\n"
				   "  selectors:\n"
				   "    - name: a\n"
				   "      operation: [fork, \"exec\"]\n";
	struct parsed p;
	struct ynode *sels, *sel, *ops;

	parse(&p, text, sizeof(text) - 1);
	ok(p.root && p.root->type == Y_MAP, "a mapping at the top");
	is_int((long long)p.dl.n, 0, "no diagnostics for a well-formed file");
	sels = ytree_get(ytree_get(p.root, "process"), "selectors");
	ok(sels && sels->type == Y_SEQ && sels->n == 1, "selectors is a list of one");
	sel = sels ? sels->items[0] : NULL;
	ok(sel && sel->line == 3 && sel->col == 7, "the selector mapping starts at 3:7");
	ops = ytree_get(sel, "operation");
	ok(ops && ops->type == Y_SEQ && ops->n == 2, "a flow list of two");
	if (ops && ops->n == 2) {
		is_str(ops->items[0]->str, "fork", "first item");
		ok(ops->items[0]->plain && !ops->items[0]->quoted, "fork is plain");
		ok(ops->items[1]->line == 4 && ops->items[1]->col == 25,
		   "the quoted item is at 4:25 (got %d:%d)", ops->items[1]->line,
		   ops->items[1]->col);
		ok(ops->items[1]->quoted && !ops->items[1]->plain, "\"exec\" is quoted");
	}
	is_str(ytree_describe(sel), "a mapping", "described as a mapping");
	ok(ytree_get(sel, "nope") == NULL, "a missing key gives NULL");
	parsed_free(&p);
}

static void test_scalars(void)
{
	static const char text[] = "t1: true\nt2: True\nf1: false\nn1: ~\nn2: null\nn3:\n"
				   "y: yes\nq: 'true'\non: on\n";
	struct parsed p;

	parse(&p, text, sizeof(text) - 1);
	ok(p.root != NULL, "scalars parse");
	if (!p.root) {
		parsed_free(&p);
		return;
	}
	is_int(ytree_bool(ytree_get(p.root, "t1")), 1, "true is a boolean");
	is_int(ytree_bool(ytree_get(p.root, "t2")), 1, "True is a boolean");
	is_int(ytree_bool(ytree_get(p.root, "f1")), 0, "false is a boolean");
	is_int(ytree_bool(ytree_get(p.root, "y")), -1, "yes is not a boolean (YAML 1.2)");
	is_int(ytree_bool(ytree_get(p.root, "on")), -1, "on is not a boolean (YAML 1.2)");
	is_int(ytree_bool(ytree_get(p.root, "q")), -1, "a quoted 'true' is a string");
	ok(ytree_is_null(ytree_get(p.root, "n1")), "~ is null");
	ok(ytree_is_null(ytree_get(p.root, "n2")), "null is null");
	ok(ytree_is_null(ytree_get(p.root, "n3")), "an empty value is null");
	ok(!ytree_is_null(ytree_get(p.root, "q")), "a quoted string is not null");
	is_str(ytree_describe(ytree_get(p.root, "t1")), "a boolean", "true is described as such");
	parsed_free(&p);
}

/* YAML 1.2 core numbers: what a JSON schema (Kibana's) does not take as a string. */
static void test_numbers(void)
{
	static const char *const numbers[] = { "3",    "-3",	"+12", "0x1f", "0o17",
					       "1.25", "1.",	".5",  "1e3",  "-1.5E-3",
					       ".inf", "-.Inf", ".NaN" };
	static const char *const strings[] = { "1.2.3", "0x",	 "0o8", "1e",  "e3",	  "+",
					       ".",	"1_000", "v1",	"'3'", "!!str 3", "0b1" };
	char text[64];
	struct parsed p;

	for (size_t i = 0; i < sizeof(numbers) / sizeof(numbers[0]); i++) {
		snprintf(text, sizeof(text), "v: %s\n", numbers[i]);
		parse(&p, text, strlen(text));
		ok(p.root && ytree_is_number(ytree_get(p.root, "v")), "%s is a number", numbers[i]);
		if (p.root)
			is_str(ytree_describe(ytree_get(p.root, "v")), "a number",
			       "%s is described as a number", numbers[i]);
		parsed_free(&p);
	}
	for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++) {
		snprintf(text, sizeof(text), "v: %s\n", strings[i]);
		parse(&p, text, strlen(text));
		ok(p.root && !ytree_is_number(ytree_get(p.root, "v")), "%s is not a number",
		   strings[i]);
		parsed_free(&p);
	}
}

static void test_empty(void)
{
	struct parsed p;

	parse(&p, "", 0);
	ok(p.root == NULL && p.empty && p.dl.n == 0, "an empty file: no tree, no diagnostic");
	parsed_free(&p);
	parse(&p, "# only a comment\n", 17);
	ok(p.root == NULL && p.empty && p.dl.n == 0, "a comment-only file is empty");
	parsed_free(&p);
}

static void test_refused(void)
{
	static const char laughs[] = "a: &a [x, x]\nb: &b [*a, *a]\nc: [*b, *b]\n";
	static const char nul[] = "a: b\nc: d\0e\n";
	static const char badutf8[] = "a: b\nc: \xc3\x28\n";
	static const char ctl[] = "a: b\nc: x\x01y\n";
	char deep[512];
	size_t n = 0;

	refused("an alias", laughs, sizeof(laughs) - 1, "yaml-alias", 2, 8);
	refused("two documents", "a: 1\n---\nb: 2\n", 14, "yaml-multidoc", 2, 1);
	refused("a complex key", "? [a, b]\n: c\n", 13, "yaml-complex-key", 1, 3);
	refused("a syntax error", "a: [b, c\nd: e\n", 14, "yaml-syntax", 2, 2);
	refused("a NUL byte", nul, sizeof(nul) - 1, "binary-file", 2, 5);
	refused("invalid UTF-8", badutf8, sizeof(badutf8) - 1, "not-utf8", 2, 4);
	refused("a control character", ctl, sizeof(ctl) - 1, "control-character", 2, 5);

	for (int i = 0; i <= YTREE_MAX_DEPTH + 1; i++)
		deep[n++] = '[';
	for (int i = 0; i <= YTREE_MAX_DEPTH + 1; i++)
		deep[n++] = ']';
	deep[n++] = '\n';
	refused("nesting deeper than the limit", deep, n, "yaml-too-deep", 1, YTREE_MAX_DEPTH + 1);
}

static void test_duplicates(void)
{
	static const char text[] = "a: 1\nb: 2\na: 3\nm:\n  x: 1\n  x: 2\n";
	struct parsed p;

	parse(&p, text, sizeof(text) - 1);
	ok(p.root == NULL, "duplicate keys refuse the file");
	is_int((long long)p.dl.nerrors, 2, "one error per duplicate, in every mapping");
	if (p.dl.n == 2) {
		diag_sort(&p.dl);
		ok(p.dl.v[0].line == 3 && p.dl.v[0].col == 1, "the later 'a' is pointed at");
		ok(p.dl.v[1].line == 6 && p.dl.v[1].col == 3, "the later 'x' is pointed at");
		is_str(p.dl.v[0].code, "duplicate-key", "code duplicate-key");
	}
	parsed_free(&p);
}

/* Checks that TEXT is refused with one YAML syntax error at LINE:COL saying MSG. */
static void explained(const char *what, const char *text, int line, int col, const char *msg)
{
	struct parsed p;

	parse(&p, text, strlen(text));
	if (!is_int((long long)p.dl.nerrors, 1, "%s: one error", what) || p.dl.n == 0) {
		parsed_free(&p);
		return;
	}
	is_str(p.dl.v[0].code, "yaml-syntax", "%s: code", what);
	ok(p.dl.v[0].line == line && p.dl.v[0].col == col, "%s: at %d:%d (got %d:%d)", what, line,
	   col, p.dl.v[0].line, p.dl.v[0].col);
	is_str(p.dl.v[0].msg, msg, "%s: message", what);
	parsed_free(&p);
}

/* libyaml names its own state ("did not find expected key"); the common
 * mistakes behind those words are a tab or a line indented one step too
 * far or too short, and the message says so, at that line. */
static void test_explained(void)
{
	explained("a tab before a list item", "a:\n  b:\n\t- c\n", 3, 1,
		  "tab character in indentation (YAML indents with spaces)");
	explained("a tab after spaces", "a:\n  b:\n  \t- c\n", 3, 3,
		  "tab character in indentation (YAML indents with spaces)");
	explained("a tab before a key", "a:\n  - b: 1\n\t  c: 2\n", 3, 1,
		  "tab character in indentation (YAML indents with spaces)");
	explained("a tab in a block scalar", "a: |\n\tb\n", 2, 1,
		  "tab character in indentation (YAML indents with spaces)");
	explained("a key one space short in a list item", "a:\n  - b: 1\n   c: 2\n", 3, 4,
		  "bad indentation: in the list begun at line 2, a line starts with '-' at "
		  "column 3 or is indented to column 5 under its item "
		  "(YAML: did not find expected '-' indicator)");
	explained("a key outdented to the list's column", "a:\n  - b: 1\n  c: 2\n", 3, 3,
		  "bad indentation: in the list begun at line 2, a line starts with '-' at "
		  "column 3 or is indented to column 5 under its item "
		  "(YAML: did not find expected '-' indicator)");
	explained("a key one space too far", "a:\n  b: 1\n   c: 2\n", 3, 4,
		  "bad indentation: this key is indented deeper than the line above, so YAML "
		  "reads it as more of that value (mapping values are not allowed here)");
	explained("a key indented less than its mapping", "a:\n   b: 1\n  c: 2\n", 3, 3,
		  "bad indentation: column 3 lines up with no open mapping or list; the keys "
		  "of the mapping begun at line 1 are at column 1 "
		  "(YAML: did not find expected key)");
	explained("a list item at its mapping's column", "a:\n  b:\n    - 1\n  - 2\n", 4, 3,
		  "bad indentation: a list item at column 3, where the mapping begun at line 2 "
		  "has its keys; the items of one list are indented alike "
		  "(YAML: did not find expected key)");
	explained("a key without ':'", "a:\n  b: 1\n  c\n  d: 2\n", 3, 3,
		  "missing ':' after a key (a mapping entry is 'key: value')");
	explained("': ' inside a plain value", "a:\n  b: x: y\n", 2, 7,
		  "a plain value cannot contain ': ' (quote it: 'x: y')");
	explained("'@' starting a value", "a: @b\n", 1, 4,
		  "'@' cannot start a plain value (quote it)");
	/* what has no plainer words keeps libyaml's */
	explained("an unclosed flow list", "a: [b, c\nd: e\n", 2, 2,
		  "YAML syntax: did not find expected ',' or ']' while parsing a flow sequence "
		  "(line 1)");
}

int main(void)
{
	plan(NO_PLAN);
	test_positions();
	test_scalars();
	test_numbers();
	test_empty();
	test_refused();
	test_duplicates();
	test_explained();
	return done_testing();
}
