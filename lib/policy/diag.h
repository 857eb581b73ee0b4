/*
 * diag.h - diagnostics as compilers give them: every problem of a run is
 * collected with its file, line and column, then printed in one of the
 * formats CI systems read (text, JSON lines, GitHub workflow commands).
 */
#ifndef D4C_DIAG_H
#define D4C_DIAG_H

#include <stdio.h>
#include <stddef.h>

enum diag_severity {
	DIAG_ERROR,
	DIAG_WARNING,
};

enum diag_format {
	DIAG_TEXT,
	DIAG_JSON,
	DIAG_GITHUB,
};

struct diag {
	const char *file; /* not owned: outlives the list */
	int line, col; /* 1-based; 0 when the problem is the whole file */
	enum diag_severity sev;
	const char *code; /* stable, for machines: "unknown-key", ... */
	char *msg;
};

struct diag_list {
	struct diag *v;
	size_t n, cap;
	size_t nerrors, nwarnings;
};

__attribute__((format(printf, 7, 8))) void diag_add(struct diag_list *dl, const char *file,
						    int line, int col, enum diag_severity sev,
						    const char *code, const char *fmt, ...);
/* A copy of S (to free) with control characters and bytes that are not
 * UTF-8 written as \xNN: safe to print on one line and to put in JSON. */
char *diag_sanitize(const char *s);
/* Orders by file, line and column, keeping the order found for ties. */
void diag_sort(struct diag_list *dl);
/* Returns 0, or -1 when the stream could not be written. */
int diag_print(FILE *f, const struct diag_list *dl, enum diag_format fmt);
void diag_free(struct diag_list *dl);
/* Parses "text", "json" or "github"; returns -1 for anything else. */
int diag_format_parse(const char *s);

#endif
