/*
 * test-ndjson.c - the NDJSON scanner accepts exactly the JSON objects,
 * finds dotted paths nested or literal, and the line reader cuts lines
 * at the maximum length without losing the ones that follow.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../fuzz/ndjson-bytewise.h"
#include "ndjson.h"
#include "tap.h"

static const char *const paths[] = {"event.kind", "event.dataset"};

static int scan(const char *s, struct ndjson_str *f, const char **msg)
{
	size_t off;

	*msg = NULL;
	return ndjson_scan(s, strlen(s), paths, 2, f, &off, msg);
}

/*
 * Lines whose strings put quotes, backslashes, control characters and
 * bytes from 0x7f up at every offset from an eight-byte boundary: the
 * scanner, which tests eight bytes at a time, must agree with the same
 * scanner built to go a byte at a time. Returns how many lines disagreed.
 */
static int compare_bytewise(unsigned lines)
{
	static const unsigned char special[] = {'"', '\\', 0x00, 0x01, 0x1f, 0x20, 0x21,
						0x5b, 0x5d, 0x7f, 0x80, 0xa2, 0xdc, 0xe0, 0xff};
	unsigned seed = 12345;
	int bad = 0;

	for (unsigned i = 0; i < lines; i++) {
		char line[128];
		struct ndjson_str a[2], b[2];
		size_t n = 0, offa = 0, offb = 0, len;
		const char *ma = NULL, *mb = NULL;
		int ra, rb;

		n += sprintf(line, "{\"event\":{\"kind\":\"");
		len = (seed = seed * 1103515245 + 12345) >> 16 & 31;
		for (size_t k = 0; k < len; k++) {
			seed = seed * 1103515245 + 12345;
			line[n++] = (seed >> 16) % 8 ? (char)('a' + (seed >> 20) % 26)
						     : (char)special[(seed >> 8) % sizeof(special)];
		}
		n += sprintf(line + n, "\",\"dataset\":\"x\"}}");
		ra = ndjson_scan(line, n, paths, 2, a, &offa, &ma);
		rb = ndjson_scan_bytewise(line, n, paths, 2, b, &offb, &mb);
		if (ra != rb || offa != offb || (ra && strcmp(ma, mb)) ||
		    (!ra && (a[0].ptr != b[0].ptr || a[0].len != b[0].len ||
			     a[0].escaped != b[0].escaped || a[1].ptr != b[1].ptr)))
			bad++;
	}
	return bad;
}

static int is_val(const struct ndjson_str *v, const char *want)
{
	return want ? v->ptr && v->len == strlen(want) && !memcmp(v->ptr, want, v->len) : !v->ptr;
}

int main(void)
{
	static const char *const valid[] = {
	    "{}",
	    " {\"a\":1} \r",
	    "{\"a\":[1,-2.5e+3,0,true,false,null,\"x\",{\"b\":[]}],\"c\":{}}",
	    "{\"s\":\"esc \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u00e9\"}",
	    "{\"k\":\"\xc3\xa9 utf-8 bytes pass\"}",
	};
	static const char *const invalid[] = {
	    "",
	    "   ",
	    "[1,2]",
	    "\"s\"",
	    "1",
	    "null",
	    "{",
	    "{\"a\"}",
	    "{\"a\":}",
	    "{\"a\":1,}",
	    "{,}",
	    "{\"a\":1}{",
	    "{\"a\":1} x",
	    "{\"a\":01}",
	    "{\"a\":1.}",
	    "{\"a\":.5}",
	    "{\"a\":-}",
	    "{\"a\":tru}",
	    "{\"a\":\"\\x\"}",
	    "{\"a\":\"\\u12g4\"}",
	    "{\"a\":\"tab\there\"}",
	    "{\"a\":\"open}",
	    "{a:1}",
	    "{\"a\":[1 2]}",
	    "{\"a\":1 \"b\":2}",
	};
	struct ndjson_str f[2];
	const char *msg;
	char deep[300];

	plan(NO_PLAN);
	for (size_t i = 0; i < sizeof(valid) / sizeof(*valid); i++)
		ok(scan(valid[i], f, &msg) == 0, "valid: %s", valid[i]);
	for (size_t i = 0; i < sizeof(invalid) / sizeof(*invalid); i++)
		ok(scan(invalid[i], f, &msg) == -1 && msg, "invalid (%s): '%s'", msg ? msg : "-",
		   invalid[i]);

	scan("{\"event\":{\"kind\":\"alert\",\"dataset\":\"cloud_defend.alerts\"}}", f, &msg);
	ok(is_val(&f[0], "alert") && is_val(&f[1], "cloud_defend.alerts"), "nested paths found");
	scan("{\"event.kind\":\"metric\",\"x\":{\"event\":{\"kind\":\"no\"}}}", f, &msg);
	ok(is_val(&f[0], "metric") && is_val(&f[1], NULL), "a literal dotted key matches; "
							   "the same path deeper does not");
	scan("{\"event\":{\"kind\":1,\"dataset\":[\"a\"]}}", f, &msg);
	ok(is_val(&f[0], NULL) && is_val(&f[1], NULL), "values that are not strings are absent");
	scan("{\"event\":{\"kind\":\"a\\\"b\"}}", f, &msg);
	ok(is_val(&f[0], "a\\\"b") && f[0].escaped, "escaped values are raw and flagged");
	/*
	 * Duplicate keys: routed by the first here but read with the last by
	 * d4c-enrich and jq, an alert could land in the process stream. One
	 * rule for every reader: the line is invalid, whichever object has
	 * them and however the keys are written.
	 */
	ok(scan("{\"event\":{\"kind\":\"first\"},\"event\":{\"kind\":\"second\"}}", f, &msg) ==
		   -1 &&
	       !strcmp(msg, "duplicate key") && is_val(&f[0], "first"),
	   "duplicate keys make the line invalid (what was found before is kept)");
	{
		static const char *const dup[] = {
		    "{\"event\":{\"kind\":\"alert\",\"kind\":\"event\"}}",
		    "{\"event.kind\":\"alert\",\"event.kind\":\"event\"}",
		    "{\"a\":[{\"x\":1,\"y\":2,\"x\":3}]}",
		    "{\"kind\":1,\"\\u006bind\":2}",
		    "{\"\\u00e9\":1,\"\xc3\xa9\":2}",
		    "{\"\":1,\"\":2}",
		};
		static const char *const distinct[] = {
		    "{\"k\":1,\"K\":2,\"k \":3,\"kk\":4}",
		    "{\"a\":{\"x\":1},\"b\":{\"x\":1}}",
		    "{\"a\":[{\"x\":1},{\"x\":2}]}",
		};
		char big[4096];
		size_t n, off;

		for (size_t i = 0; i < sizeof(dup) / sizeof(*dup); i++)
			ok(scan(dup[i], f, &msg) == -1 && !strcmp(msg, "duplicate key"),
			   "duplicate keys refused: %s", dup[i]);
		for (size_t i = 0; i < sizeof(distinct) / sizeof(*distinct); i++)
			ok(scan(distinct[i], f, &msg) == 0, "distinct keys accepted: %s",
			   distinct[i]);
		ok(ndjson_scan(dup[0], strlen(dup[0]), paths, 2, f, &off, &msg) == -1 && off == 25,
		   "the offset is the second key's");
		n = sprintf(big, "{");
		for (int i = 0; i < 300; i++)
			n += sprintf(big + n, "\"key%d\":%d,", i, i);
		n += sprintf(big + n, "\"last\":0}");
		ok(scan(big, f, &msg) == 0, "300 distinct keys accepted");
		sprintf(big + n - 1, ",\"key17\":0}");
		ok(scan(big, f, &msg) == -1, "the 302nd key the same as the 18th: refused");
	}
	scan("{\"eventx\":{\"kind\":\"no\"},\"event\":{\"kindx\":\"no\"}}", f, &msg);
	ok(is_val(&f[0], NULL), "prefixes of keys do not match");

	memset(deep, '[', sizeof(deep));
	deep[0] = '{';
	memcpy(deep + 1, "\"a\":", 4);
	deep[sizeof(deep) - 1] = '\0';
	ok(scan(deep, f, &msg) == -1 && !strcmp(msg, "nested too deep"), "deep nesting refused");

	is_int(compare_bytewise(200000), 0,
	       "200,000 lines with special bytes at every offset: the same result as a byte at a time");

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
	return done_testing();
}
