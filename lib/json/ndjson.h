/*
 * ndjson.h - the one line reader of newline-delimited JSON that d4c's
 * readers share (d4c-enrich, d4c-ship): lines are handed out from a buffer
 * over a file descriptor, with a hard cap on their length, each followed by
 * the sentinel byte that lib/json/jscan.h's scanner needs.
 */
#ifndef D4C_NDJSON_H
#define D4C_NDJSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * Lines are handed out as pointers into the reader's buffer, without
 * their '\n' (a '\r' before it is kept: it is whitespace to JSON). A line
 * handed out whole (flags 0) is followed by a readable '\n' or '\0', the
 * sentinel jscan_line() needs. A line longer than max_line bytes is not
 * stored: its first max_line bytes are returned once with NDJSON_TOO_LONG
 * set, and the rest is skipped up to its '\n'; or, with keep_rest set,
 * handed out too, in pieces as they come, flagged NDJSON_REST, all but the
 * last also NDJSON_MORE (the first piece then has NDJSON_MORE too; the last
 * may be empty). A last line without '\n' is returned at end of file.
 */
struct ndjson_reader {
	int fd;
	char *buf;
	size_t cap; /* max_line + room for one read */
	size_t start; /* first byte not yet handed out */
	size_t end; /* bytes in buf */
	size_t scan; /* buf[start..scan) holds no '\n' */
	size_t max_line;
	uint64_t lineno; /* lines handed out so far */
	bool eof;
	bool skipping; /* inside a too-long line, dropping bytes up to '\n' */
	bool keep_rest; /* set by the caller: hand out the rest of a too-long line */
	bool in_rest; /* inside a too-long line, handing out its rest */
};

enum { NDJSON_TOO_LONG = 1, NDJSON_REST = 2, NDJSON_MORE = 4 };

/* Sets up R to read FD; lines longer than MAX_LINE bytes are cut. */
void ndjson_reader_init(struct ndjson_reader *r, int fd, size_t max_line);
void ndjson_reader_free(struct ndjson_reader *r);

/*
 * Hands out the next whole line already buffered, or the next piece of a
 * line too long (valid until the next call of ndjson_fill). Returns 1 with
 * *LINE, *LEN and *FLAGS set, or 0 when there is none (call ndjson_fill,
 * or, at end of file, there is nothing left).
 */
int ndjson_next(struct ndjson_reader *r, const char **line, size_t *len, int *flags);

/*
 * Reads once from the descriptor (it may be non-blocking). Returns the
 * number of bytes read, 0 at end of file (r->eof is then set), or a
 * negative errno value (-EAGAIN: nothing to read now).
 */
ssize_t ndjson_fill(struct ndjson_reader *r);

#endif
