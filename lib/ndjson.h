/*
 * ndjson.h - reading newline-delimited JSON without building a tree: a
 * line reader over a file descriptor with a hard cap on line length, and
 * a validating scanner that checks a line is one JSON object and picks
 * out the string values of a few top-level dotted paths ("event.kind").
 *
 * The scanner exists so that a shipper can route and validate hundreds of
 * thousands of lines per second without allocating: it walks the bytes
 * once, checks the JSON grammar (RFC 8259: strings, escapes, numbers,
 * literals, nesting at most NDJSON_MAX_DEPTH deep), and records where the
 * wanted values are. It does not check UTF-8 and does not unescape values;
 * an object with a key twice makes the line invalid (lib/jkeys.h: the rule
 * every d4c reader follows).
 */
#ifndef D4C_NDJSON_H
#define D4C_NDJSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Objects and arrays nest at most this deep: deeper lines are invalid. */
#define NDJSON_MAX_DEPTH 64

/* ---- line reader -------------------------------------------------------- */

/*
 * Lines are handed out as pointers into the reader's buffer, without
 * their '\n' (a '\r' before it is kept: it is whitespace to JSON). A line
 * longer than max_line bytes is not stored: its first bytes are returned
 * once with NDJSON_TOO_LONG set, and the rest is skipped up to its '\n'.
 * A last line without '\n' is returned at end of file.
 */
struct ndjson_reader {
	int fd;
	char *buf;
	size_t cap;   /* max_line + room for one read */
	size_t start; /* first byte not yet handed out */
	size_t end;   /* bytes in buf */
	size_t scan;  /* buf[start..scan) holds no '\n' */
	size_t max_line;
	uint64_t lineno; /* lines handed out so far */
	bool eof;
	bool skipping; /* inside a too-long line, dropping bytes up to '\n' */
};

enum { NDJSON_TOO_LONG = 1 };

/* Sets up R to read FD; lines longer than MAX_LINE bytes are cut. */
void ndjson_reader_init(struct ndjson_reader *r, int fd, size_t max_line);
void ndjson_reader_free(struct ndjson_reader *r);

/*
 * Hands out the next whole line already buffered (valid until the next
 * call of ndjson_fill). Returns 1 with *LINE, *LEN and *FLAGS set, or 0
 * when no whole line is buffered (call ndjson_fill, or, at end of file,
 * there is nothing left).
 */
int ndjson_next(struct ndjson_reader *r, const char **line, size_t *len, int *flags);

/*
 * Reads once from the descriptor (it may be non-blocking). Returns the
 * number of bytes read, 0 at end of file (r->eof is then set), or a
 * negative errno value (-EAGAIN: nothing to read now).
 */
ssize_t ndjson_fill(struct ndjson_reader *r);

/* ---- scanner ------------------------------------------------------------ */

/* Where the string value of one wanted path was found (ptr NULL: absent,
 * or not a string). The bytes are the raw ones between the quotes. */
struct ndjson_str {
	const char *ptr;
	size_t len;
	bool escaped; /* contains a backslash escape (left as is) */
};

/*
 * Checks that LINE[0..LEN) is exactly one JSON object (whitespace around
 * it allowed) and, for each of the N dotted PATHS, finds its string
 * value: "event.kind" matches {"event":{"kind":"x"}} as well as
 * {"event.kind":"x"}. Keys with escapes never match. Returns 0 when the
 * line is a valid object, or -1 with *ERR_OFF the byte offset of the
 * problem and *ERR_MSG (static) saying what it is; OUT[] is filled in
 * either case as far as the scan got.
 */
int ndjson_scan(const char *line, size_t len, const char *const *paths, size_t n,
		struct ndjson_str *out, size_t *err_off, const char **err_msg);

#endif
