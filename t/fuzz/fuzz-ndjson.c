/*
 * fuzz-ndjson.c - libFuzzer target for the NDJSON line reader (lib/json/ndjson.c)
 * and the scanner (lib/json/jscan.c) on the lines it hands out, as d4c-ship and
 * d4c-enrich use them.
 *
 * Invariants checked (abort() when broken): the scanner agrees with an
 * independent rule for the trivial cases (a valid line starts with '{'
 * after blanks); every member it records lies inside the line, a string
 * value between quotes; a line accepted stays accepted when blanks are
 * added around it; the verdict does not depend on the schema (dotted keys
 * or not); the scanner gives the same result, verdict, error and spans, as
 * the same scanner built to walk strings a byte at a time
 * (jscan-bytewise.c); the reader hands out every byte of its input that is
 * not a newline exactly once (lines cut for length excepted), in order,
 * each whole line followed by the scanner's sentinel; with keep_rest, the
 * pieces and lines it hands out are the input, byte for byte.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jscan-bytewise.h"
#include "jscan.h"
#include "ndjson.h"

#define NP 5

static void check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz invariant broken: %s\n", what);
		abort();
	}
}

static const char *const paths[NP] = { "event.kind", "event.dataset", "a", "a.b.c", "" };
static struct jscan_schema *dotted, *dotted_bytewise, *plain;

static bool same_spans(const struct jscan_span *a, const struct jscan_span *b)
{
	for (int k = 0; k < NP; k++)
		if (a[k].kstart != b[k].kstart ||
		    (a[k].kstart >= 0 &&
		     (a[k].vstart != b[k].vstart || a[k].vend != b[k].vend ||
		      a[k].nmembers != b[k].nmembers || a[k].type != b[k].type)))
			return false;
	return true;
}

/* S: N bytes followed by the sentinel. */
static void scan_one(const char *s, size_t n)
{
	struct jscan_span f[NP], g[NP], h[NP];
	size_t at = 0, gat = 0, hat = 0;
	const char *why = NULL, *gwhy = NULL, *hwhy = NULL;
	int r = jscan_line(dotted, s, n, f, &why, &at);
	int gr = jscan_bytewise_line(dotted_bytewise, s, n, g, &gwhy, &gat);
	int hr = jscan_line(plain, s, n, h, &hwhy, &hat);

	check(r == gr && (r == 0 || (at == gat && !strcmp(why, gwhy))) && same_spans(f, g),
	      "a byte at a time, the scanner says otherwise");
	check(r == hr && (r == 0 || (at == hat && !strcmp(why, hwhy))),
	      "the verdict depends on the schema");
	if (r == 0) {
		size_t i = 0;

		while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r'))
			i++;
		check(i < n && s[i] == '{', "accepted a line that is not an object");
	} else {
		check(r == -1 && why && at <= n, "bad error report");
	}
	for (int k = 0; k < NP; k++) {
		struct jscan_str v = jscan_str(s, &f[k]);

		if (f[k].kstart < 0)
			continue;
		check(f[k].kstart <= f[k].vstart && f[k].vstart < f[k].vend &&
			      (size_t)f[k].vend <= n,
		      "member outside the line");
		if (v.ptr)
			check(v.ptr > s && v.ptr + v.len < s + n && v.ptr[-1] == '"' &&
				      v.ptr[v.len] == '"' &&
				      v.escaped == !!memchr(v.ptr, '\\', v.len),
			      "string value not between quotes");
	}
	if (r == 0) {
		char *w = malloc(n + 5);

		w[0] = ' ';
		w[1] = '\t';
		memcpy(w + 2, s, n);
		w[n + 2] = '\r';
		w[n + 3] = ' ';
		w[n + 4] = '\0';
		check(jscan_line(dotted, w, n + 4, f, &why, &at) == 0,
		      "blanks around a valid line made it invalid");
		free(w);
	}
}

/* The whole input through the reader, KEEP_REST or not. */
static void read_all(const uint8_t *data, size_t size, bool keep_rest)
{
	int p[2];
	struct ndjson_reader r;
	const char *line;
	size_t len, got = 0, want = 0, olen = 0;
	int flags;
	bool cut = false, rest_open = false;
	char *out = malloc(size + 1);

	for (size_t i = 0; i < size; i++)
		want += data[i] != '\n';
	if (pipe(p))
		abort();
	if (write(p[1], data, size) != (ssize_t)size)
		abort();
	close(p[1]);
	ndjson_reader_init(&r, p[0], 64 + data[0]);
	r.keep_rest = keep_rest;
	for (;;) {
		if (ndjson_next(&r, &line, &len, &flags)) {
			check(!memchr(line, '\n', len), "newline inside a line");
			check(!(flags & NDJSON_REST) == !rest_open, "a piece out of place");
			if (!(flags & NDJSON_REST))
				check(len <= r.max_line, "line longer than the maximum");
			cut |= flags & NDJSON_TOO_LONG;
			got += len;
			check(olen + len + 1 <= size + 1, "more bytes than were written");
			memcpy(out + olen, line, len);
			olen += len;
			rest_open = flags & NDJSON_MORE;
			if (!rest_open)
				out[olen++] = '\n';
			if (!flags) {
				check(line[len] == '\n' || line[len] == '\0', "no sentinel");
				scan_one(line, len);
			}
			continue;
		}
		if (r.eof)
			break;
		if (ndjson_fill(&r) < 0)
			abort();
	}
	check(!rest_open, "a line too long never ended");
	check(cut && !keep_rest ? got <= want : got == want, "reader lost or invented bytes");
	if (keep_rest)
		check((olen == size || (olen == size + 1 && data[size - 1] != '\n')) &&
			      !memcmp(out, data, size),
		      "the lines and pieces are not the input");
	free(out);
	ndjson_reader_free(&r);
	close(p[0]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!dotted) {
		dotted = jscan_schema_new(paths, NP, JSCAN_DOTTED_KEYS);
		dotted_bytewise = jscan_bytewise_schema_new(paths, NP, JSCAN_DOTTED_KEYS);
		plain = jscan_schema_new(paths, NP, 0);
	}
	/* The whole input as one line, then through the reader. */
	{
		char *s = malloc(size + 1);

		memcpy(s, data, size);
		s[size] = '\n';
		scan_one(s, size);
		free(s);
	}
	if (size > 0 && size < 65536) {
		read_all(data, size, false);
		read_all(data, size, true);
	}
	return 0;
}
