/*
 * test-jscan.c - the NDJSON line scanner: what it accepts is exactly one
 * JSON object (checked against jansson on generated lines too), and the
 * spans it records point at the members asked for.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "jscan.h"
#include "tap.h"

static const char *const paths[] = {"", "a", "a.b", "process.parent.pid", "k", "x.y.z"};

/* Scans S (a copy with the '\n' sentinel). Returns 0 or -1. */
static int scan(const struct jscan_schema *sc, const char *s, size_t n, struct jscan_span *sp,
		const char **why, size_t *at)
{
	char *buf = malloc(n + 1);
	int r;

	memcpy(buf, s, n);
	buf[n] = '\n';
	r = jscan_line(sc, buf, n, sp, why, at);
	free(buf);
	return r;
}

static int accepts(const struct jscan_schema *sc, const char *s)
{
	struct jscan_span sp[6];
	const char *why;
	size_t at;

	return scan(sc, s, strlen(s), sp, &why, &at) == 0;
}

static const char *span(const char *s, const struct jscan_span *sp, char *out)
{
	if (sp->kstart < 0)
		return "(absent)";
	memcpy(out, s + sp->vstart, sp->vend - sp->vstart);
	out[sp->vend - sp->vstart] = 0;
	return out;
}

/* An object holding DEPTH - 1 nested arrays: DEPTH levels in all. */
static const char *nest(char *out, int depth)
{
	size_t n = sprintf(out, "{\"a\":");

	for (int d = 1; d < depth; d++)
		out[n++] = '[';
	out[n++] = '1';
	for (int d = 1; d < depth; d++)
		out[n++] = ']';
	out[n++] = '}';
	out[n] = 0;
	return out;
}

/* The jansson verdict: one JSON object, nothing else. */
static int jansson_accepts(const char *s, size_t n)
{
	json_t *j = json_loadb(s, n, JSON_REJECT_DUPLICATES, NULL);
	int ok = j && json_is_object(j);

	json_decref(j);
	return ok;
}

int main(void)
{
	struct jscan_schema *sc = jscan_schema_new(paths, 6);
	struct jscan_span sp[6];
	const char *why = ""; /* printed by ok() calls that may read it before the scan */
	size_t at = 0;
	char buf[256];

	plan(NO_PLAN);
	ok(sc != NULL, "a schema of six paths compiles");

	static const char *const good[] = {
	    "{}",
	    " \t{ } \r",
	    "{\"a\":1}",
	    "{\"a\":{\"b\":[1,2,{\"c\":null}]},\"k\":\"v\"}",
	    "{\"n\":[-0,0.5,-1.5e+10,2E-3,1e5,123456789012345678901234567890]}",
	    "{\"t\":true,\"f\":false,\"z\":null}",
	    "{\"s\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\uD83D\\uDE00\"}",
	    "{\"u\":\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xed\x9f\xbf \xf4\x8f\xbf\xbf\"}",
	    "{ \"a\" : [ 1 , 2 ] , \"b\" : { } }",
	};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ok(accepts(sc, good[i]), "accepts %s", good[i]);

	static const char *const bad[] = {
	    "",
	    "   ",
	    "[]",
	    "\"x\"",
	    "1",
	    "null",
	    "{",
	    "}",
	    "{\"a\"}",
	    "{\"a\":}",
	    "{\"a\":1,}",
	    "{,}",
	    "{\"a\":01}",
	    "{\"a\":1.}",
	    "{\"a\":.5}",
	    "{\"a\":-}",
	    "{\"a\":1e}",
	    "{\"a\":+1}",
	    "{\"a\":tru}",
	    "{\"a\":nul}",
	    "{\"a\":True}",
	    "{\"a\":\"\\x\"}",
	    "{\"a\":\"\\u12\"}",
	    "{\"a\":\"\\u12g4\"}",
	    "{\"a\":\"tab\there\"}",
	    "{\"a\":\"\x01\"}",
	    "{\"a\":\"\xc0\x80\"}",	    /* overlong */
	    "{\"a\":\"\xed\xa0\x80\"}",	    /* surrogate */
	    "{\"a\":\"\xf5\x80\x80\x80\"}", /* beyond U+10FFFF */
	    "{\"a\":\"\xe2\x82\"}",	    /* cut short */
	    "{\"a\":\"\xff\"}",
	    "{\"a\":1}x",
	    "{\"a\":1}{}",
	    "{\"a\":[1,2}",
	    "{\"a\":{]}",
	    "{a:1}",
	    "{'a':1}",
	    "{\"a\":\"unterminated}",
	    "{\"a\" 1}",
	    "{\"a\":[1 2]}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ok(!accepts(sc, bad[i]), "refuses %s", bad[i]);

	ok(scan(sc, "{\"a\":\"x\x00y\"}", 11, sp, &why, &at) == -1 &&
	       !strcmp(why, "control character in string") && at == 7,
	   "a NUL byte in a string is refused where it is: %s at %zu", why, at);
	ok(scan(sc, "{\"a\":\"abc", 9, sp, &why, &at) == -1 && !strcmp(why, "unterminated string"),
	   "the end of the line in a string: %s", why);
	ok(scan(sc, "[1]", 3, sp, &why, &at) == -1 && !strcmp(why, "not a JSON object") && at == 0,
	   "an array: %s", why);

	/* depth: 64 levels are fine, 65 are not */
	ok(accepts(sc, nest(buf, 64)), "64 levels of nesting are accepted");
	ok(!accepts(sc, nest(buf, 65)), "65 are refused");

	/* spans */
	{
		const char *s =
		    "{\"x\":{\"y\":{\"z\":\"deep\"}},\"a\":{\"b\":[1,{\"b\":2}],\"c\":3},"
		    "\"process\":{\"parent\":{\"pid\":42}},\"j\":\"first\",\"k\":\"last\"}";

		ok(scan(sc, s, strlen(s), sp, &why, &at) == 0, "a line with the paths scans");
		is_str(span(s, &sp[0], buf), s, "path \"\" is the whole object");
		is_int(sp[0].nmembers, 5, "with its 5 members");
		is_str(span(s, &sp[1], buf), "{\"b\":[1,{\"b\":2}],\"c\":3}", "a");
		is_int(sp[1].nmembers, 2, "a has 2 members");
		is_int(sp[1].type, '{', "a is an object");
		is_str(span(s, &sp[2], buf), "[1,{\"b\":2}]", "a.b (arrays are not entered)");
		is_str(span(s, &sp[3], buf), "42", "process.parent.pid");
		is_int(sp[3].type, '0', "a number");
		is_str(span(s, &sp[4], buf), "\"last\"", "k");
		is_str(span(s, &sp[5], buf), "\"deep\"", "x.y.z");
		ok(s[sp[3].kstart] == '"' && !strncmp(s + sp[3].kstart, "\"pid\"", 5),
		   "kstart is the key's opening quote");
	}
	{
		const char *s = "{\"\\u0061\":1, \"process\" : { \"parent\" : { \"pid\" : 7 } } }";

		ok(scan(sc, s, strlen(s), sp, &why, &at) == 0, "blanks and escaped keys scan");
		is_str(span(s, &sp[1], buf), "1", "a key written with escapes is the same key");
		is_str(span(s, &sp[3], buf), "7", "blanks around keys and values");
	}

	/*
	 * Duplicate keys: d4c-ship routed by the first, d4c-enrich and jq read
	 * the last, so an alert could be filed as a process event. One rule for
	 * all: such a line is invalid (as Elasticsearch has it by default), in
	 * any object of the line, however the keys are written.
	 */
	{
		static const char *const dup[] = {
		    "{\"k\":\"first\",\"k\":\"last\"}",
		    "{\"event\":{\"kind\":\"alert\"},\"event\":{\"kind\":\"event\"}}",
		    "{\"event\":{\"kind\":\"alert\",\"kind\":\"event\"}}",
		    "{\"a\":[{\"x\":1,\"y\":2,\"x\":3}]}",
		    "{\"pid\":1,\"\\u0070id\":2}",
		    "{\"\\u00e9\":1,\"\xc3\xa9\":2}",
		    "{\"\\ud83d\\ude00\":1,\"\xf0\x9f\x98\x80\":2}",
		    "{\"\":1,\"\":2}",
		};
		static const char *const distinct[] = {
		    "{\"k\":1,\"K\":2,\"k \":3,\"kk\":4}",
		    "{\"a\":{\"x\":1},\"b\":{\"x\":1}}",
		    "{\"a\":[{\"x\":1},{\"x\":2}]}",
		    "{\"\\u00e9\":1,\"\xc3\xa8\":2,\"\\n\":3,\"n\":4}",
		};
		char big[4096];
		size_t n;

		for (size_t i = 0; i < sizeof(dup) / sizeof(*dup); i++)
			ok(scan(sc, dup[i], strlen(dup[i]), sp, &why, &at) == -1 &&
				   !strcmp(why, "duplicate key"),
			   "duplicate keys refused: %s", dup[i]);
		ok(scan(sc, dup[0], strlen(dup[0]), sp, &why, &at) == -1 && at == 13,
		   "at the second key");
		for (size_t i = 0; i < sizeof(distinct) / sizeof(*distinct); i++)
			ok(accepts(sc, distinct[i]), "distinct keys accepted: %s", distinct[i]);
		/* past the keys checked one by one: sorted at the end */
		n = sprintf(big, "{");
		for (int i = 0; i < 300; i++)
			n += sprintf(big + n, "\"key%d\":%d,", i, i);
		n += sprintf(big + n, "\"last\":0}");
		ok(accepts(sc, big), "300 distinct keys accepted");
		sprintf(big + n - 1, ",\"key17\":0}");
		ok(!accepts(sc, big), "the 302nd key the same as the 18th: refused");
	}

	/* generated lines: the same verdict as jansson */
	{
		static const char *const tok[] = {
		    "{",       "}", "[",      "]",    ":",    ",",  "\"a\"",
		    "\"b\"",   "1", "-2.5e3", "true", "null", " ",  "\"\xc3\xa9\"",
		    "\"\\n\"", "0", "\"",     "x",    "\xff", "01",
		};
		unsigned seed = 12345, disagree = 0, accepted = 0;

		for (int i = 0; i < 200000; i++) {
			char line[128];
			size_t n = 0;
			int ntok = 1 + (seed = seed * 1103515245 + 12345) % 14;

			if (i % 2)
				n += sprintf(line, "{");
			for (int t = 0; t < ntok; t++) {
				const char *x;

				seed = seed * 1103515245 + 12345;
				x = tok[(seed >> 16) % 20];

				memcpy(line + n, x, strlen(x));
				n += strlen(x);
			}
			if (i % 2)
				line[n++] = '}';
			int ours = scan(sc, line, n, sp, &why, &at) == 0;
			int theirs = jansson_accepts(line, n);

			accepted += ours;
			if (ours != theirs && disagree++ < 5)
				diag("disagree on '%.*s': jscan %d, jansson %d", (int)n, line, ours,
				     theirs);
		}
		is_int(disagree, 0, "200000 generated lines: jscan and jansson agree (%u accepted)",
		       accepted);
	}

	jscan_schema_free(sc);
	return done_testing();
}
