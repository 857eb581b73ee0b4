/*
 * test-ndjson.c - the line reader cuts lines at the maximum length without
 * losing the ones that follow, leaves the sentinel jscan_line needs after
 * each whole line, and hands out the rest of a line too long when asked.
 * (The scanner's own tests, d4c-ship's dotted paths among them, are in
 * test-jscan.c.)
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ndjson.h"
#include "tap.h"

/* A pipe holding the N bytes of S, closed for writing: its read end. */
static int pipe_of(const char *s, size_t n)
{
	int p[2];

	if (pipe(p) || write(p[1], s, n) != (ssize_t)n)
		return -1;
	close(p[1]);
	return p[0];
}

int main(void)
{
	plan(NO_PLAN);

	/* The reader: whole lines, a long one cut, the last without newline. */
	{
		int p[2];
		struct ndjson_reader r;
		const char *line;
		size_t len;
		int flags, n = 0;
		char big[200];
		char got[8][64];
		int gflags[8];
		size_t glen[8];

		memset(big, 'x', sizeof(big));
		if (pipe(p))
			return 1;
		if (write(p[1], "{\"a\":1}\n\n", 9) != 9 || write(p[1], big, sizeof(big)) != 200 ||
		    write(p[1], "\n{\"b\":2}\r\n{\"c\":3}", 17) != 17)
			return 1;
		close(p[1]);
		ndjson_reader_init(&r, p[0], 64);
		for (;;) {
			if (ndjson_next(&r, &line, &len, &flags)) {
				if (n < 8) {
					snprintf(got[n], sizeof(got[n]), "%.*s",
						 (int)(len < 63 ? len : 63), line);
					gflags[n] = flags;
					glen[n] = len;
				}
				n++;
				continue;
			}
			if (r.eof || ndjson_fill(&r) < 0)
				break;
		}
		is_int(n, 5, "five lines: one empty, one too long");
		is_str(got[0], "{\"a\":1}", "first line");
		is_int(glen[1], 0, "empty line");
		ok(gflags[2] == NDJSON_TOO_LONG && glen[2] == 64,
		   "long line cut at 64 and flagged");
		is_str(got[3], "{\"b\":2}\r", "the line after the long one is whole");
		is_str(got[4], "{\"c\":3}", "the last line, without newline");
		is_int(r.lineno, 5, "line numbers counted");
		ndjson_reader_free(&r);
		close(p[0]);
	}
	/* Every whole line is followed by '\n' or '\0', the last one too. */
	{
		static const char in[] = "{\"a\":1}\n\n{\"b\":2}";
		struct ndjson_reader r;
		const char *line;
		size_t len;
		int flags, n = 0, sentinel = 0, fd = pipe_of(in, sizeof(in) - 1);

		ndjson_reader_init(&r, fd, 64);
		for (;;) {
			if (ndjson_next(&r, &line, &len, &flags)) {
				n++;
				sentinel += line[len] == '\n' || line[len] == '\0';
				continue;
			}
			if (r.eof || ndjson_fill(&r) < 0)
				break;
		}
		ok(n == 3 && sentinel == 3, "a sentinel after each of the %d lines (%d)", n,
		   sentinel);
		ndjson_reader_free(&r);
		close(fd);
	}

	/*
	 * keep_rest (d4c-enrich --pass-invalid): a line too long comes whole,
	 * in pieces, the lines around it as they are.
	 */
	for (int unended = 0; unended < 2; unended++) {
		char in[1024], got[1024];
		struct ndjson_reader r;
		const char *line;
		size_t len, n = 0, glen = 0;
		int flags, fd, lines = 0, too_long = 0, rest_open = 0, bad = 0;

		n += sprintf(in, "{\"a\":1}\n");
		memset(in + n, 'x', 300);
		n += 300;
		if (!unended)
			n += sprintf(in + n, "\n{\"b\":2}\n");
		fd = pipe_of(in, n);
		ndjson_reader_init(&r, fd, 64);
		r.keep_rest = true;
		for (;;) {
			if (ndjson_next(&r, &line, &len, &flags)) {
				memcpy(got + glen, line, len);
				glen += len;
				if (flags & NDJSON_TOO_LONG) {
					too_long++;
					bad |= len != 64 || !(flags & NDJSON_MORE) || rest_open;
					rest_open = 1;
				} else if (flags & NDJSON_REST) {
					bad |= !rest_open;
					rest_open = flags & NDJSON_MORE;
				} else {
					bad |= rest_open;
					lines++;
				}
				if (!(flags & NDJSON_MORE))
					got[glen++] = '\n';
				continue;
			}
			if (r.eof || ndjson_fill(&r) < 0)
				break;
		}
		ok(!bad && !rest_open && too_long == 1 && lines == 2 - unended,
		   "%s: one line too long in pieces, %d others whole",
		   unended ? "unended" : "ended", lines);
		ok(glen == n + unended && !memcmp(got, in, n),
		   "%s: every byte handed out once, in order", unended ? "unended" : "ended");
		is_int(r.lineno, 3 - unended, "line numbers count the long line once");
		ndjson_reader_free(&r);
		close(fd);
	}
	return done_testing();
}
