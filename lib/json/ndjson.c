/*
 * ndjson.c - the line reader of NDJSON (see ndjson.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ndjson.h"
#include "util.h"

/* Bytes asked of read() at a time: big reads are what makes a pipe fast. */
#define NDJSON_READ_CHUNK (256u << 10)

void ndjson_reader_init(struct ndjson_reader *r, int fd, size_t max_line)
{
	memset(r, 0, sizeof(*r));
	r->fd = fd;
	r->max_line = max_line;
	r->cap = max_line + 1 + NDJSON_READ_CHUNK;
	r->buf = xmalloc(r->cap + 1); /* + the sentinel after a last line without '\n' */
}

void ndjson_reader_free(struct ndjson_reader *r)
{
	free(r->buf);
	r->buf = NULL;
}

/* The first max_line bytes of a line too long, at START; NL its '\n' or NULL
 * when it is not buffered yet. */
static int too_long(struct ndjson_reader *r, const char *nl, const char **line, size_t *len,
		    int *flags)
{
	*line = r->buf + r->start;
	*len = r->max_line;
	*flags = NDJSON_TOO_LONG;
	r->lineno++;
	if (r->keep_rest) {
		*flags |= NDJSON_MORE;
		r->in_rest = true;
		r->start = r->scan = r->start + r->max_line;
	} else if (nl) {
		r->start = r->scan = nl + 1 - r->buf;
	} else {
		r->skipping = true;
		/* The bytes stay in place until the next fill. */
		r->start = r->scan = r->end = 0;
	}
	return 1;
}

/* The rest of a line too long, as far as it is buffered (keep_rest). */
static int rest(struct ndjson_reader *r, const char *nl, const char **line, size_t *len, int *flags)
{
	size_t e = nl ? (size_t)(nl - r->buf) : r->end;
	bool last = nl || r->eof;

	if (!last && e == r->start)
		return 0;
	*line = r->buf + r->start;
	*len = e - r->start;
	*flags = NDJSON_REST | (last ? 0 : NDJSON_MORE);
	r->in_rest = !last;
	r->start = r->scan = e + (nl != NULL);
	return 1;
}

int ndjson_next(struct ndjson_reader *r, const char **line, size_t *len, int *flags)
{
	for (;;) {
		char *nl = r->scan < r->end ? memchr(r->buf + r->scan, '\n', r->end - r->scan) :
					      NULL;

		if (r->in_rest)
			return rest(r, nl, line, len, flags);
		if (!nl) {
			r->scan = r->end;
			if (r->skipping) {
				r->start = r->scan = r->end = 0;
				if (!r->eof)
					return 0;
				r->skipping = false;
				return 0;
			}
			if (r->end - r->start > r->max_line)
				return too_long(r, NULL, line, len, flags);
			if (r->eof && r->end > r->start) {
				*line = r->buf + r->start;
				*len = r->end - r->start;
				*flags = 0;
				r->buf[r->end] = '\0'; /* the sentinel, where no '\n' is */
				r->start = r->scan = r->end;
				r->lineno++;
				return 1;
			}
			return 0;
		}
		if (r->skipping) {
			r->skipping = false;
			r->start = r->scan = nl + 1 - r->buf;
			continue;
		}
		if ((size_t)(nl - (r->buf + r->start)) > r->max_line)
			return too_long(r, nl, line, len, flags);
		*line = r->buf + r->start;
		*len = nl - (r->buf + r->start);
		*flags = 0;
		r->start = r->scan = nl + 1 - r->buf;
		r->lineno++;
		return 1;
	}
}

ssize_t ndjson_fill(struct ndjson_reader *r)
{
	ssize_t n;

	if (r->eof)
		return 0;
	if (r->start > 0) {
		memmove(r->buf, r->buf + r->start, r->end - r->start);
		r->end -= r->start;
		r->scan -= r->start;
		r->start = 0;
	}
	if (r->end == r->cap) {
		/* Cannot happen: a line this long was handed out as too long. */
		r->start = r->scan = r->end = 0;
	}
	do
		n = read(r->fd, r->buf + r->end, r->cap - r->end);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (n == 0)
		r->eof = true;
	r->end += n;
	return n;
}
