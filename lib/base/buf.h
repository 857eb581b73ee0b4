/*
 * buf.h - the one growable byte buffer of d4c: policy blobs, enriched
 * lines, HTTP bodies, request bodies, terminal output and the JSON
 * writer's output all grow the same way, by doubling.
 *
 *	struct buf b = BUF_INIT;
 *
 *	buf_adds(&b, "{\"pid\":");
 *	buf_addf(&b, "%u}", pid);
 *	write_all(fd, b.p, b.len);
 *	buf_reset(&b);          (keeps the memory for the next line)
 *	...
 *	buf_free(&b);
 *
 * The fields are public: P[0..LEN) is the content, and code that fills
 * the buffer itself (read(2), deflate, a serializer) writes at
 * buf_room(B, N) and then adds what it wrote to LEN. Once anything is
 * allocated CAP > LEN, so that there is always room for a terminating NUL
 * (buf_cstr() writes it; nothing else does). Offsets into the buffer stay
 * valid as it grows; pointers into it do not.
 *
 * Running out of memory is fatal (die(), as for xmalloc): none of the
 * buffers it stands for had anything better to do.
 */
#ifndef D4C_BUF_H
#define D4C_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <string.h>

struct buf {
	char *p; /* NULL until something is added */
	size_t len; /* bytes in use */
	size_t cap; /* bytes allocated: 0, or more than LEN */
};

/* clang-format off */
#define BUF_INIT {NULL, 0, 0}
/* clang-format on */

static inline void buf_init(struct buf *b)
{
	b->p = NULL;
	b->len = b->cap = 0;
}

/* Makes room for N more bytes and a NUL (out of line: the slow path). */
void buf_grow(struct buf *b, size_t n);

/* Where N more bytes go: at least N + 1 bytes are allocated from there.
 * Inline, so that a writer in a loop pays one compare per call. */
static inline char *buf_room(struct buf *b, size_t n)
{
	if (__builtin_expect(b->cap - b->len <= n, 0))
		buf_grow(b, n);
	return b->p + b->len;
}

static inline void buf_add(struct buf *b, const void *s, size_t n)
{
	memcpy(buf_room(b, n), s, n);
	b->len += n;
}

static inline void buf_addc(struct buf *b, char c)
{
	*buf_room(b, 1) = c;
	b->len++;
}

/* A C string, without its NUL. */
static inline void buf_adds(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

/* printf into the buffer (formatted once when it fits the room left). */
__attribute__((format(printf, 2, 3))) void buf_addf(struct buf *b, const char *fmt, ...);
__attribute__((format(printf, 2, 0))) void buf_vaddf(struct buf *b, const char *fmt, va_list ap);

/* Appends N zero bytes; returns the offset of the first (padding, a
 * header filled in later). */
size_t buf_zero(struct buf *b, size_t n);

/* Empties B, keeping its memory. */
static inline void buf_reset(struct buf *b)
{
	b->len = 0;
}

/* Drops the first N bytes (what was written out), moving the rest down. */
void buf_consume(struct buf *b, size_t n);

/* The content as a C string: writes a NUL at P[LEN] ("" when nothing was
 * ever added). Valid until B changes. */
const char *buf_cstr(struct buf *b);

/* Hands the content over to the caller (NUL-terminated, never NULL, to
 * free()) with its length in *LEN when LEN is not NULL; B is empty again. */
char *buf_steal(struct buf *b, size_t *len);

/* Frees the memory; B is empty again (BUF_INIT). */
void buf_free(struct buf *b);

/*
 * Appends what can be read from FD up to end of file, retrying on EINTR.
 * Reads at most MAX + 1 bytes: more than MAX fails with -EFBIG without
 * reading to the end. Returns 0, or a negative errno value with B as it
 * was before the call (its memory maybe larger).
 */
int buf_read_fd(struct buf *b, int fd, size_t max);

#endif
