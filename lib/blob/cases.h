/*
 * cases.h - policy unit-test cases for `d4c-policy test`: events with the
 * actions (and optionally the selectors) a policy must give them, read from
 * YAML (a list of mappings) or NDJSON (one object per line).
 */
#ifndef D4C_CASES_H
#define D4C_CASES_H

#include <stddef.h>

#include "diag.h"
#include "match.h"

struct d4c_case {
	int line; /* where the case starts in its file */
	char *name; /* "case:" or a generated description */
	struct d4c_event ev;
	/* renamedFrom: the old name of a file moved to ev.path, deleted by
	 * the same event (NULL: not a rename) */
	const char *renamed_from;
	struct d4c_container ct;
	int in_container;
	unsigned want_actions;
	char **want_selectors; /* NULL: not checked */
	size_t nwant_selectors;
	char *strs[16]; /* owned strings the event points to */
	size_t nstrs;
	char **labels;
};

#define CASES_MAX_FILE_SIZE (16u << 20)

/*
 * Reads the cases in PATH ("-": stdin). Returns 0 with *OUT and *N set, -1
 * when the file is not valid (diagnostics added, named DISPLAY), or -2 when
 * it cannot be read (an error is printed).
 */
int cases_load(const char *path, const char *display, struct diag_list *dl, struct d4c_case **out,
	       size_t *n);
/* The same for LEN bytes of TEXT (NUL-terminated); returns 0 or -1. */
int cases_parse(const char *text, size_t len, const char *display, struct diag_list *dl,
		struct d4c_case **out, size_t *n);
void cases_free(struct d4c_case *c, size_t n);

/* What policy B decides for case C, as the kernel would: for a rename,
 * one event with the selectors of both names and the actions each name
 * gets on its own (an exclude met by one name takes nothing from the
 * other). */
void cases_decide(const struct blob *b, const struct d4c_case *c, struct d4c_verdict *v);

#endif
