/* diag.c - collect and print diagnostics (see diag.h). */
#include "config.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "diag.h"
#include "util.h"

/* Length of the valid UTF-8 character at S (1-4), or 0 when it is not one. */
static size_t utf8_len(const unsigned char *s)
{
	unsigned cp;
	size_t n;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0)
		n = 2, cp = s[0] & 0x1f;
	else if ((s[0] & 0xf0) == 0xe0)
		n = 3, cp = s[0] & 0x0f;
	else if ((s[0] & 0xf8) == 0xf0)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < (n == 2 ? 0x80u :
		  n == 3 ? 0x800u :
			   0x10000u) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

char *diag_sanitize(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	char *out = xmalloc(4 * strlen(s) + 1), *o = out;

	while (*p) {
		size_t n = utf8_len(p);

		if (n == 0 || (n == 1 && (*p < 0x20 || *p == 0x7f))) {
			o += sprintf(o, "\\x%02x", *p);
			p++;
			continue;
		}
		memcpy(o, p, n);
		o += n;
		p += n;
	}
	*o = '\0';
	return out;
}

void diag_add(struct diag_list *dl, const char *file, int line, int col, enum diag_severity sev,
	      const char *code, const char *fmt, ...)
{
	struct diag *d;
	va_list ap;
	char *raw;

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
	if (vasprintf(&raw, fmt, ap) < 0)
		die("out of memory");
	va_end(ap);
	/* One diagnostic is one line of valid UTF-8, whatever a hostile
	 * policy puts in the names and values quoted back. */
	d->msg = diag_sanitize(raw);
	free(raw);
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
	char *file = diag_sanitize(d->file);
	json_t *o;
	char *s;

	switch (fmt) {
	case DIAG_TEXT:
		if (d->line > 0)
			fprintf(f, "%s:%d:%d: %s: %s\n", file, d->line, d->col, sev_name(d->sev),
				d->msg);
		else
			fprintf(f, "%s: %s: %s\n", file, sev_name(d->sev), d->msg);
		break;
	case DIAG_JSON:
		o = json_pack("{s:s, s:i, s:i, s:s, s:s, s:s}", "file", file, "line", d->line,
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
		print_gh_escaped(f, file, 1);
		if (d->line > 0)
			fprintf(f, ",line=%d,col=%d", d->line, d->col);
		fputs(",title=", f);
		print_gh_escaped(f, d->code, 1);
		fputs("::", f);
		print_gh_escaped(f, d->msg, 0);
		fputc('\n', f);
		break;
	}
	free(file);
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
