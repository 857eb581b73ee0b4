/* buf.c - the growable byte buffer's slow paths (see buf.h). */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "buf.h"
#include "util.h"

/* The first allocation: small buffers stay small; long-lived ones double
 * from here a few times, once in their life, since reset keeps memory. */
#define BUF_MIN 64

/* Bytes buf_read_fd() asks read(2) for at least. */
#define READ_CHUNK 65536

void buf_grow(struct buf *b, size_t n)
{
	size_t cap = b->cap ? b->cap : BUF_MIN;

	if (n >= SIZE_MAX / 2 - b->len)
		die("out of memory");
	while (cap - b->len <= n)
		cap *= 2;
	b->p = xrealloc(b->p, cap);
	b->cap = cap;
}

void buf_vaddf(struct buf *b, const char *fmt, va_list ap)
{
	va_list again;
	size_t room;
	int n;

	buf_room(b, 0);
	room = b->cap - b->len;
	va_copy(again, ap);
	n = vsnprintf(b->p + b->len, room, fmt, ap);
	if (n < 0)
		die("out of memory");
	if ((size_t)n >= room)
		vsnprintf(buf_room(b, (size_t)n), (size_t)n + 1, fmt, again);
	va_end(again);
	b->len += (size_t)n;
}

void buf_addf(struct buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(b, fmt, ap);
	va_end(ap);
}

size_t buf_zero(struct buf *b, size_t n)
{
	size_t off = b->len;

	memset(buf_room(b, n), 0, n);
	b->len += n;
	return off;
}

void buf_consume(struct buf *b, size_t n)
{
	if (n >= b->len) {
		b->len = 0;
		return;
	}
	memmove(b->p, b->p + n, b->len - n);
	b->len -= n;
}

const char *buf_cstr(struct buf *b)
{
	if (!b->p)
		return "";
	b->p[b->len] = '\0';
	return b->p;
}

char *buf_steal(struct buf *b, size_t *len)
{
	char *p;

	buf_room(b, 0);
	b->p[b->len] = '\0';
	p = b->p;
	if (len)
		*len = b->len;
	buf_init(b);
	return p;
}

void buf_free(struct buf *b)
{
	free(b->p);
	buf_init(b);
}

int buf_read_fd(struct buf *b, int fd, size_t max)
{
	size_t start = b->len;

	for (;;) {
		size_t want, got = b->len - start;
		ssize_t n;

		/* room for what came so far again (the file may be that much
		 * longer), from 4 KiB to READ_CHUNK: a small /proc file, read per
		 * process, costs a small allocation */
		if (b->cap - b->len <= READ_CHUNK / 2) {
			size_t room = got < 4096 ? 4096 : got < READ_CHUNK ? got : READ_CHUNK;

			buf_room(b, max < room ? max + 2 : room);
		}
		want = b->cap - b->len - 1;
		/* one byte past MAX is enough to know the file is too large */
		if (max - got < want)
			want = max - got + 1;
		n = read(fd, b->p + b->len, want);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int err = -errno;

			b->len = start;
			return err;
		}
		if (n == 0)
			return 0;
		b->len += (size_t)n;
		if (b->len - start > max) {
			b->len = start;
			return -EFBIG;
		}
	}
}
