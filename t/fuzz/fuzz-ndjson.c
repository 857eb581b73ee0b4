/*
 * fuzz-ndjson.c - libFuzzer target for lib/ndjson.c: the scanner and the
 * line reader on arbitrary bytes.
 *
 * Invariants checked (abort() when broken): the scanner agrees with an
 * independent rule for the trivial cases (a valid line starts with '{'
 * after whitespace); every value it reports lies inside the line and sits
 * between quotes; a line accepted stays accepted when whitespace is added
 * around it; the scanner gives the same result, error or values, as the
 * same scanner built to walk strings a byte at a time (ndjson-bytewise.c);
 * the reader hands out every byte of its input that is not a
 * newline exactly once (lines cut for length excepted), in order.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ndjson-bytewise.h"
#include "ndjson.h"

static void check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz invariant broken: %s\n", what);
		abort();
	}
}

static const char *const paths[] = {"event.kind", "event.dataset", "a", "a.b.c", ""};

static void scan_one(const char *s, size_t n)
{
	struct ndjson_str f[5];
	size_t off = 0;
	const char *msg = NULL;
	int r = ndjson_scan(s, n, paths, 5, f, &off, &msg);
	struct ndjson_str g[5];
	size_t goff = 0;
	const char *gmsg = NULL;
	int gr = ndjson_scan_bytewise(s, n, paths, 5, g, &goff, &gmsg);

	check(r == gr && (r == 0 || (off == goff && !strcmp(msg, gmsg))),
	      "a byte at a time, the scanner says otherwise");
	for (int k = 0; r == 0 && k < 5; k++)
		check(f[k].ptr == g[k].ptr && f[k].len == g[k].len && f[k].escaped == g[k].escaped,
		      "a byte at a time, the scanner finds other values");
	if (r == 0) {
		size_t i = 0;

		while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n'))
			i++;
		check(i < n && s[i] == '{', "accepted a line that is not an object");
	} else {
		check(r == -1 && msg && off <= n, "bad error report");
	}
	for (int k = 0; k < 5; k++) {
		if (!f[k].ptr)
			continue;
		check(f[k].ptr > s && f[k].ptr + f[k].len < s + n, "value outside the line");
		check(f[k].ptr[-1] == '"' && f[k].ptr[f[k].len] == '"', "value not between quotes");
	}
	if (r == 0) {
		char *w = malloc(n + 4);

		w[0] = ' ';
		w[1] = '\t';
		memcpy(w + 2, s, n);
		w[n + 2] = '\r';
		w[n + 3] = ' ';
		check(ndjson_scan(w, n + 4, paths, 5, f, &off, &msg) == 0,
		      "whitespace around a valid line made it invalid");
		free(w);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* The whole input as one line, then through the reader. */
	scan_one((const char *)data, size);
	if (size > 0 && size < 65536) {
		int p[2];
		struct ndjson_reader r;
		const char *line;
		size_t len, got = 0, want = 0;
		int flags;
		bool cut = false;

		for (size_t i = 0; i < size; i++)
			want += data[i] != '\n';
		if (pipe(p))
			abort();
		if (write(p[1], data, size) != (ssize_t)size)
			abort();
		close(p[1]);
		ndjson_reader_init(&r, p[0], 64 + data[0]);
		for (;;) {
			if (ndjson_next(&r, &line, &len, &flags)) {
				check(len <= r.max_line, "line longer than the maximum");
				check(!memchr(line, '\n', len), "newline inside a line");
				cut |= flags & NDJSON_TOO_LONG;
				got += len;
				scan_one(line, len);
				continue;
			}
			if (r.eof)
				break;
			if (ndjson_fill(&r) < 0)
				abort();
		}
		check(cut ? got <= want : got == want, "reader lost or invented bytes");
		ndjson_reader_free(&r);
		close(p[0]);
	}
	return 0;
}
