/* diag.c - collect and print diagnostics (see diag.h). */
#include "config.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "diag.h"
#include "util.h"

void diag_add(struct diag_list *dl, const char *file, int line, int col, enum diag_severity sev,
	      const char *code, const char *fmt, ...)
{
	struct diag *d;
	va_list ap;

	if (dl->n == dl->cap) {
		dl->cap = dl->cap ? 2 * dl->cap : 16;
		dl->v = xrealloc(dl->v, dl->cap * sizeof(*dl->v));
	}
	d = &dl->v[dl->n++];
	d->file = file;
	d->line = line;
	d->col = col;
	d->sev = sev;
	d->code = code;
	va_start(ap, fmt);
	if (vasprintf(&d->msg, fmt, ap) < 0)
		die("out of memory");
	va_end(ap);
	if (sev == DIAG_ERROR)
		dl->nerrors++;
	else
		dl->nwarnings++;
}

static int cmp_diag(const void *a, const void *b)
{
	const struct diag *x = a, *y = b;
	int c = strcmp(x->file, y->file);

	if (c)
		return c;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	if (x->col != y->col)
		return x->col < y->col ? -1 : 1;
	/* qsort is not stable: fall back to the order of discovery, which
	 * the addresses in the one array still reflect. */
	return x < y ? -1 : x > y;
}

void diag_sort(struct diag_list *dl)
{
	if (dl->n > 1)
		qsort(dl->v, dl->n, sizeof(*dl->v), cmp_diag);
}

static const char *sev_name(enum diag_severity sev)
{
	return sev == DIAG_ERROR ? "error" : "warning";
}

/* GitHub workflow commands reserve %, CR and LF in messages, and also
 * ',' and ':' in property values. */
static void print_gh_escaped(FILE *f, const char *s, int property)
{
	for (; *s; s++) {
		switch (*s) {
		case '%':
			fputs("%25", f);
			break;
		case '\r':
			fputs("%0D", f);
			break;
		case '\n':
			fputs("%0A", f);
			break;
		case ':':
			fputs(property ? "%3A" : ":", f);
			break;
		case ',':
			fputs(property ? "%2C" : ",", f);
			break;
		default:
			fputc(*s, f);
		}
	}
}

static void print_one(FILE *f, const struct diag *d, enum diag_format fmt)
{
	json_t *o;
	char *s;

	switch (fmt) {
	case DIAG_TEXT:
		if (d->line > 0)
			fprintf(f, "%s:%d:%d: %s: %s\n", d->file, d->line, d->col, sev_name(d->sev),
				d->msg);
		else
			fprintf(f, "%s: %s: %s\n", d->file, sev_name(d->sev), d->msg);
		break;
	case DIAG_JSON:
		o = json_pack("{s:s, s:i, s:i, s:s, s:s, s:s}", "file", d->file, "line", d->line,
			      "column", d->col, "severity", sev_name(d->sev), "code", d->code,
			      "message", d->msg);
		if (!o)
			die("cannot encode a diagnostic as JSON");
		s = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
		if (!s)
			die("out of memory");
		fprintf(f, "%s\n", s);
		free(s);
		json_decref(o);
		break;
	case DIAG_GITHUB:
		fprintf(f, "::%s file=", sev_name(d->sev));
		print_gh_escaped(f, d->file, 1);
		if (d->line > 0)
			fprintf(f, ",line=%d,col=%d", d->line, d->col);
		fputs(",title=", f);
		print_gh_escaped(f, d->code, 1);
		fputs("::", f);
		print_gh_escaped(f, d->msg, 0);
		fputc('\n', f);
		break;
	}
}

int diag_print(FILE *f, const struct diag_list *dl, enum diag_format fmt)
{
	for (size_t i = 0; i < dl->n; i++)
		print_one(f, &dl->v[i], fmt);
	return fflush(f) ? -1 : 0;
}

void diag_free(struct diag_list *dl)
{
	for (size_t i = 0; i < dl->n; i++)
		free(dl->v[i].msg);
	free(dl->v);
	memset(dl, 0, sizeof(*dl));
}

int diag_format_parse(const char *s)
{
	if (!strcmp(s, "text"))
		return DIAG_TEXT;
	if (!strcmp(s, "json"))
		return DIAG_JSON;
	if (!strcmp(s, "github"))
		return DIAG_GITHUB;
	return -1;
}
