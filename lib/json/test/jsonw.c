/*
 * test-jsonw.c - the NDJSON event writer: commas and nesting come from the
 * order of the calls, misuse drops the line and says so, strings of any
 * bytes come out as valid JSON and valid UTF-8 (escapes, U+FFFD for each
 * byte that is not well-formed UTF-8), numbers and RFC 3339 timestamps
 * are exact, 100k random strings survive a round trip through jansson, and
 * jsonw_flush copes with short writes, EINTR, a full pipe and a reader
 * that went away.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "jsonw.h"
#include "utf8-ref.h"
#include "tap.h"

static struct jsonw w;

/* Everything buffered, as a C string without the last newline; empties W. */
static const char *take(void)
{
	static char s[1 << 16];
	size_t n = jsonw_len(&w);

	if (n >= sizeof(s))
		n = sizeof(s) - 1;
	memcpy(s, jsonw_data(&w), n);
	if (n && s[n - 1] == '\n')
		n--;
	s[n] = '\0';
	jsonw_reset(&w);
	return s;
}

/* LEN bytes of S written as a line of their own: a quoted JSON string. */
static const char *strn_line(const void *s, size_t len)
{
	jsonw_strn(&w, s, len);
	jsonw_end_line(&w);
	return take();
}

static const char *u64_line(uint64_t v)
{
	jsonw_u64(&w, v);
	jsonw_end_line(&w);
	return take();
}

static const char *i64_line(int64_t v)
{
	jsonw_i64(&w, v);
	jsonw_end_line(&w);
	return take();
}

static const char *time_line(uint64_t ns)
{
	jsonw_time(&w, ns);
	jsonw_end_line(&w);
	return take();
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
	uint64_t x = rng_state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return rng_state = x;
}

static void test_nesting(void)
{
	struct jsonw fresh;

	jsonw_init(&fresh);
	ok(jsonw_len(&fresh) == 0 && jsonw_data(&fresh) && jsonw_end_line(&fresh) == -1,
	   "a new writer holds nothing, and an empty line is refused");
	jsonw_free(&fresh);

	jsonw_obj_begin(&w);
	jsonw_obj_end(&w);
	jsonw_end_line(&w);
	is_str(take(), "{}", "an empty object");

	jsonw_arr_begin(&w);
	jsonw_arr_end(&w);
	jsonw_end_line(&w);
	is_str(take(), "[]", "an empty array");

	jsonw_obj_begin(&w);
	jsonw_kv_u64(&w, "a", 1);
	jsonw_key(&w, "b");
	jsonw_arr_begin(&w);
	jsonw_u64(&w, 1);
	jsonw_i64(&w, -2);
	jsonw_bool(&w, true);
	jsonw_bool(&w, false);
	jsonw_null(&w);
	jsonw_obj_begin(&w);
	jsonw_key(&w, "c");
	jsonw_arr_begin(&w);
	jsonw_arr_end(&w);
	jsonw_obj_end(&w);
	jsonw_arr_end(&w);
	jsonw_key(&w, "d");
	jsonw_obj_begin(&w);
	jsonw_key(&w, "e");
	jsonw_obj_begin(&w);
	jsonw_obj_end(&w);
	jsonw_obj_end(&w);
	jsonw_kv_str(&w, "f", "x");
	jsonw_obj_end(&w);
	is_int(jsonw_end_line(&w), 0, "a balanced line ends with 0");
	is_str(take(),
	       "{\"a\":1,\"b\":[1,-2,true,false,null,{\"c\":[]}],\"d\":{\"e\":{}},\"f\":\"x\"}",
	       "commas between members and elements only, at every depth");

	jsonw_arr_begin(&w);
	jsonw_arr_begin(&w);
	jsonw_arr_end(&w);
	jsonw_arr_begin(&w);
	jsonw_arr_begin(&w);
	jsonw_arr_end(&w);
	jsonw_arr_end(&w);
	jsonw_arr_begin(&w);
	jsonw_u64(&w, 1);
	jsonw_arr_begin(&w);
	jsonw_u64(&w, 2);
	jsonw_arr_end(&w);
	jsonw_arr_end(&w);
	jsonw_arr_end(&w);
	jsonw_end_line(&w);
	is_str(take(), "[[],[[]],[1,[2]]]", "arrays of arrays");

	for (int i = 0; i < JSONW_MAX_DEPTH; i++)
		jsonw_arr_begin(&w);
	for (int i = 0; i < JSONW_MAX_DEPTH; i++)
		jsonw_arr_end(&w);
	is_int(jsonw_end_line(&w), 0, "JSONW_MAX_DEPTH (%d) levels of nesting are fine",
	       JSONW_MAX_DEPTH);
	take();

	jsonw_u64(&w, 7);
	jsonw_end_line(&w);
	jsonw_str(&w, "s");
	jsonw_end_line(&w);
	jsonw_obj_begin(&w);
	jsonw_kv_u64(&w, "n", 1);
	jsonw_obj_end(&w);
	jsonw_end_line(&w);
	is_int((long long)jsonw_len(&w), 14, "three lines, 14 bytes");
	is_int(memcmp(jsonw_data(&w), "7\n\"s\"\n{\"n\":1}\n", 14), 0,
	       "one value per line, each line ended by a newline");
	jsonw_reset(&w);

	jsonw_obj_begin(&w);
	jsonw_obj_end(&w);
	jsonw_end_line(&w);
	jsonw_obj_begin(&w);
	jsonw_kv_u64(&w, "unfinished", 1);
	is_int((long long)jsonw_len(&w), 3,
	       "jsonw_len counts whole lines only, not the one being written");
	jsonw_obj_end(&w);
	jsonw_end_line(&w);
	is_str(take(), "{}\n{\"unfinished\":1}", "and the line counts once it ends");
}

/*
 * Each misuse: the faulty call returns -1 and writes nothing, the line is
 * dropped at jsonw_end_line (-1), whole lines already buffered stay, and
 * the next line is written normally.
 */
static void misuse(const char *what, int (*fn)(void))
{
	int r, end;

	jsonw_arr_begin(&w);
	jsonw_arr_end(&w);
	jsonw_end_line(&w);
	r = fn();
	end = jsonw_end_line(&w);
	jsonw_u64(&w, 1);
	jsonw_end_line(&w);
	ok(r == -1 && end == -1 && !strcmp(take(), "[]\n1"), "misuse: %s", what);
}

static int end_nothing_open(void)
{
	return jsonw_obj_end(&w);
}

static int arr_end_in_object(void)
{
	jsonw_obj_begin(&w);
	return jsonw_arr_end(&w);
}

static int obj_end_in_array(void)
{
	jsonw_arr_begin(&w);
	return jsonw_obj_end(&w);
}

static int key_in_array(void)
{
	jsonw_arr_begin(&w);
	return jsonw_key(&w, "k");
}

static int key_at_top(void)
{
	return jsonw_kv_u64(&w, "k", 1);
}

static int value_without_key(void)
{
	jsonw_obj_begin(&w);
	return jsonw_str(&w, "v");
}

static int two_keys(void)
{
	jsonw_obj_begin(&w);
	jsonw_key(&w, "a");
	return jsonw_key(&w, "b");
}

static int key_without_value(void)
{
	jsonw_obj_begin(&w);
	jsonw_key(&w, "a");
	return jsonw_obj_end(&w);
}

static int too_deep(void)
{
	for (int i = 0; i < JSONW_MAX_DEPTH; i++)
		jsonw_arr_begin(&w);
	return jsonw_arr_begin(&w);
}

static int two_values_on_a_line(void)
{
	jsonw_u64(&w, 1);
	return jsonw_u64(&w, 2);
}

static int left_open(void)
{
	jsonw_obj_begin(&w);
	jsonw_kv_u64(&w, "a", 1);
	return -1; /* no faulty call: jsonw_end_line finds the object open */
}

static int empty_line(void)
{
	return -1; /* no faulty call: nothing written */
}

static void test_misuse(void)
{
	misuse("ending an object when nothing is open", end_nothing_open);
	misuse("ending an array that is an object", arr_end_in_object);
	misuse("ending an object that is an array", obj_end_in_array);
	misuse("a key in an array", key_in_array);
	misuse("a key outside any object", key_at_top);
	misuse("a value in an object without its key", value_without_key);
	misuse("two keys in a row", two_keys);
	misuse("ending an object after a key without a value", key_without_value);
	misuse("nesting one level deeper than JSONW_MAX_DEPTH", too_deep);
	misuse("a second value on one line", two_values_on_a_line);
	misuse("ending a line with an object open", left_open);
	misuse("ending a line with nothing on it", empty_line);
}

struct str_case {
	const char *in;
	const char *want; /* the JSON string, quotes left out */
	const char *what;
};

#define S(in, want, what)      \
	{                      \
		in, want, what \
	}

static void str_cases(const struct str_case *c, size_t n)
{
	char want[256];

	for (size_t i = 0; i < n; i++) {
		/* No input here holds a NUL byte: strlen measures them. */
		snprintf(want, sizeof(want), "\"%s\"", c[i].want);
		is_str(strn_line(c[i].in, strlen(c[i].in)), want, "%s", c[i].what);
	}
}

static void test_escapes(void)
{
	static const struct str_case cases[] = {
		S("say \"hi\"", "say \\\"hi\\\"", "'\"' is escaped"),
		S("C:\\dir", "C:\\\\dir", "'\\' is escaped"),
		S("\b\f\n\r\t", "\\b\\f\\n\\r\\t", "\\b \\f \\n \\r \\t have short escapes"),
		S("\x01\x1b\x1f", "\\u0001\\u001b\\u001f", "other controls are \\u00XX"),
		S("a\x7f", "a\\u007f", "DEL is \\u007f"),
		S("/usr/bin/env 'x' <y> & {z}", "/usr/bin/env 'x' <y> & {z}",
		  "'/' and other printable ASCII are copied"),
	};
	char all[32], *p = all;
	char want[6 * 32 + 1], *q = want;
	char s[48], exp[64];
	const char *got;
	int every_offset = 1;

	str_cases(cases, sizeof(cases) / sizeof(cases[0]));

	for (int c = 1; c < 0x20; c++) {
		*p++ = (char)c;
		switch (c) {
		case '\b':
			q += sprintf(q, "\\b");
			break;
		case '\t':
			q += sprintf(q, "\\t");
			break;
		case '\n':
			q += sprintf(q, "\\n");
			break;
		case '\f':
			q += sprintf(q, "\\f");
			break;
		case '\r':
			q += sprintf(q, "\\r");
			break;
		default:
			q += sprintf(q, "\\u%04x", c);
			break;
		}
	}
	got = strn_line(all, (size_t)(p - all));
	ok(strlen(got) == (size_t)(q - want) + 2 && !memcmp(got + 1, want, (size_t)(q - want)),
	   "every control character 0x01..0x1f, in order");

	/* The eight-bytes-at-a-time scan must stop at a special byte wherever it is. */
	for (size_t at = 0; at < 39; at++) {
		static const char *const special[][2] = {
			{ "\"", "\\\"" },	    { "\\", "\\\\" },	   { "\n", "\\n" },
			{ "\x1f", "\\u001f" },	    { "\x7f", "\\u007f" }, { "\xff", FFFD },
			{ "\xc3\xa9", "\xc3\xa9" }, { " ", " " },	   { "~", "~" },
		};

		for (size_t k = 0; k < sizeof(special) / sizeof(special[0]); k++) {
			size_t sl = strlen(special[k][0]);

			memset(s, 'a', sizeof(s));
			memcpy(s + at, special[k][0], sl);
			snprintf(exp, sizeof(exp), "\"%.*s%s%.*s\"", (int)at, s, special[k][1],
				 (int)(40 - at - sl), s + at + sl);
			if (strcmp(strn_line(s, 40), exp)) {
				diag("at %zu, special %zu: %s", at, k, strn_line(s, 40));
				every_offset = 0;
			}
		}
	}
	ok(every_offset, "a special byte at any offset of a 40-byte string");
}

static void test_utf8(void)
{
	static const struct str_case invalid[] = {
		S("\x80", FFFD, "a lone continuation byte"),
		S("a\xbf"
		  "b",
		  "a" FFFD "b", "a continuation byte between ASCII"),
		S("\xc0\xaf", FFFD FFFD, "overlong 2-byte '/' (C0 AF)"),
		S("\xc1\xbf", FFFD FFFD, "overlong 2-byte U+007F (C1 BF)"),
		S("\xe0\x80\xaf", FFFD FFFD FFFD, "overlong 3-byte '/' (E0 80 AF)"),
		S("\xe0\x9f\xbf", FFFD FFFD FFFD, "overlong 3-byte U+07FF (E0 9F BF)"),
		S("\xf0\x80\x80\xaf", FFFD FFFD FFFD FFFD, "overlong 4-byte '/' (F0 80 80 AF)"),
		S("\xf0\x8f\xbf\xbf", FFFD FFFD FFFD FFFD, "overlong 4-byte U+FFFF (F0 8F BF BF)"),
		S("\xed\xa0\x80", FFFD FFFD FFFD, "surrogate U+D800 (ED A0 80)"),
		S("\xed\xbf\xbf", FFFD FFFD FFFD, "surrogate U+DFFF (ED BF BF)"),
		S("\xed\xa0\xbd\xed\xb8\x80", FFFD FFFD FFFD FFFD FFFD FFFD,
		  "a surrogate pair encoded as two 3-byte sequences (CESU-8)"),
		S("\xf4\x90\x80\x80", FFFD FFFD FFFD FFFD, "U+110000 (F4 90 80 80)"),
		S("\xf5\x80\x80\x80", FFFD FFFD FFFD FFFD, "lead byte F5 (above U+13FFFF)"),
		S("\xf7\xbf\xbf\xbf", FFFD FFFD FFFD FFFD, "U+1FFFFF (F7 BF BF BF)"),
		S("\xf8\x88\x80\x80\x80", FFFD FFFD FFFD FFFD FFFD, "an old 5-byte form"),
		S("\xfe\xff", FFFD FFFD, "the bytes FE and FF"),
		S("x\xc3", "x" FFFD, "a 2-byte sequence cut by the end"),
		S("x\xe2\x82", "x" FFFD FFFD, "a 3-byte sequence cut by the end"),
		S("x\xf0\x9f\x98", "x" FFFD FFFD FFFD, "a 4-byte sequence cut by the end"),
		S("\xe2\x82"
		  "a",
		  FFFD FFFD "a", "a 3-byte sequence cut by ASCII"),
		S("\xc3\"", FFFD "\\\"", "a 2-byte sequence cut by a quote, which is escaped"),
		S("\xc3\xc3\xa9", FFFD "\xc3\xa9", "a lead byte before a whole sequence"),
		S("caf\xe9 cr\xe8me", "caf" FFFD " cr" FFFD "me", "Latin-1 text"),
	};
	static const struct str_case valid[] = {
		S("\xc2\x80", "\xc2\x80", "U+0080, the first 2-byte sequence"),
		S("\xdf\xbf", "\xdf\xbf", "U+07FF, the last 2-byte sequence"),
		S("\xe0\xa0\x80", "\xe0\xa0\x80", "U+0800, the first 3-byte sequence"),
		S("\xed\x9f\xbf", "\xed\x9f\xbf", "U+D7FF, just below the surrogates"),
		S("\xee\x80\x80", "\xee\x80\x80", "U+E000, just above the surrogates"),
		S("\xef\xbf\xbd", "\xef\xbf\xbd", "U+FFFD itself"),
		S("\xef\xbf\xbf", "\xef\xbf\xbf", "U+FFFF, the last 3-byte sequence"),
		S("\xf0\x90\x80\x80", "\xf0\x90\x80\x80", "U+10000, the first 4-byte sequence"),
		S("\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf", "U+10FFFF, the last code point"),
		S("/srv/donn\xc3\xa9"
		  "es/\xe6\x97\xa5\xe6\x9c\xac/\xf0\x9f\x98\x80.txt",
		  "/srv/donn\xc3\xa9"
		  "es/\xe6\x97\xa5\xe6\x9c\xac/\xf0\x9f\x98\x80.txt",
		  "a path mixing 1- to 4-byte sequences"),
	};

	str_cases(invalid, sizeof(invalid) / sizeof(invalid[0]));
	str_cases(valid, sizeof(valid) / sizeof(valid[0]));

	is_str(strn_line("a\0b", 3), "\"a\\u0000b\"", "a NUL byte inside jsonw_strn is \\u0000");
	is_str(strn_line("\0\0", 2), "\"\\u0000\\u0000\"", "a string of NUL bytes");
	is_str(strn_line("", 0), "\"\"", "the empty string");
	{
		/* The worst case, six bytes out for each byte in, grows the buffer. */
		size_t n = 1 << 20;
		char *ctl = malloc(n);
		const char *out;
		int all = 1;

		memset(ctl, 0x01, n);
		jsonw_strn(&w, ctl, n);
		jsonw_end_line(&w);
		out = jsonw_data(&w);
		for (size_t i = 0; i < n && all; i++)
			all = !memcmp(out + 1 + 6 * i, "\\u0001", 6);
		ok(jsonw_len(&w) == 6 * n + 3 && all, "1 MiB of \\x01 is 6 MiB of \\u0001");
		jsonw_reset(&w);
		free(ctl);
	}
	jsonw_str(&w, "a\0b");
	jsonw_end_line(&w);
	is_str(take(), "\"a\"", "jsonw_str stops at the NUL");
	jsonw_str(&w, NULL);
	jsonw_end_line(&w);
	is_str(take(), "null", "jsonw_str(NULL) writes null");

	jsonw_obj_begin(&w);
	jsonw_keyn(&w, "app.kubernetes.io/\"name\"\xff\n", 26);
	jsonw_str(&w, "web");
	jsonw_obj_end(&w);
	jsonw_end_line(&w);
	is_str(take(), "{\"app.kubernetes.io/\\\"name\\\"" FFFD "\\n\":\"web\"}",
	       "keys are escaped like any string");
}

static void test_integers(void)
{
	char want[32];
	int same = 1;

	is_str(u64_line(0), "0", "u64 0");
	is_str(u64_line(9), "9", "u64 9");
	is_str(u64_line(10), "10", "u64 10");
	is_str(u64_line(100), "100", "u64 100");
	is_str(u64_line(UINT64_MAX), "18446744073709551615", "UINT64_MAX");
	is_str(i64_line(0), "0", "i64 0");
	is_str(i64_line(-1), "-1", "i64 -1");
	is_str(i64_line(INT64_MAX), "9223372036854775807", "INT64_MAX");
	is_str(i64_line(INT64_MIN), "-9223372036854775808", "INT64_MIN");

	/* Every power of ten and its neighbours, then random values of every size. */
	for (uint64_t p = 1; p && same; p = p <= UINT64_MAX / 10 ? p * 10 : 0) {
		for (uint64_t v = p - 1; v <= p + 1; v++) {
			snprintf(want, sizeof(want), "%" PRIu64, v);
			same &= !strcmp(u64_line(v), want);
			snprintf(want, sizeof(want), "%" PRId64, -(int64_t)v);
			same &= !strcmp(i64_line(-(int64_t)v), want);
		}
	}
	for (int i = 0; i < 100000 && same; i++) {
		uint64_t v = rnd() >> (rnd() % 64);

		snprintf(want, sizeof(want), "%" PRIu64, v);
		same &= !strcmp(u64_line(v), want);
		snprintf(want, sizeof(want), "%" PRId64, (int64_t)v);
		same &= !strcmp(i64_line((int64_t)v), want);
	}
	ok(same, "powers of ten and 100k random values match printf");
}

/* The reference: gmtime_r and printf. */
static const char *ref_time(uint64_t ns)
{
	static char s[64];
	time_t t = (time_t)(ns / 1000000000);
	struct tm tm;

	gmtime_r(&t, &tm);
	snprintf(s, sizeof(s), "\"%04d-%02d-%02dT%02d:%02d:%02d.%09uZ\"", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (unsigned)(ns % 1000000000));
	return s;
}

static void test_time(void)
{
	uint64_t ns;
	int same = 1;

	is_str(time_line(0), "\"1970-01-01T00:00:00.000000000Z\"", "the epoch");
	is_str(time_line(1), "\"1970-01-01T00:00:00.000000001Z\"", "one nanosecond after it");
	is_str(time_line(951868799999999999ULL), "\"2000-02-29T23:59:59.999999999Z\"",
	       "2000 is a leap year (divisible by 400)");
	is_str(time_line(1709210096123456789ULL), "\"2024-02-29T12:34:56.123456789Z\"",
	       "a leap day");
	is_str(time_line(1709251199000000000ULL), "\"2024-02-29T23:59:59.000000000Z\"",
	       "the last second of a leap day");
	is_str(time_line(2147483648000000000ULL), "\"2038-01-19T03:14:08.000000000Z\"",
	       "2^31 seconds: past a 32-bit time_t");
	is_str(time_line(4107542399500000000ULL), "\"2100-02-28T23:59:59.500000000Z\"",
	       "2100 is not a leap year (divisible by 100)...");
	is_str(time_line(4107542400000000000ULL), "\"2100-03-01T00:00:00.000000000Z\"",
	       "... so March follows February 28");
	is_str(time_line(UINT64_MAX), "\"2554-07-21T23:34:33.709551615Z\"",
	       "UINT64_MAX nanoseconds");

	/* The date is cached per second: forwards, backwards, same second. */
	ns = 1764074096000000000ULL; /* 2025-11-25T12:34:56Z */
	for (int i = 0; i < 100000 && same; i++) {
		switch (rnd() % 4) {
		case 0:
			ns += rnd() % 1000;
			break; /* mostly the same second */
		case 1:
			ns += rnd() % 3000000000ULL;
			break; /* the next ones */
		case 2:
			ns -= rnd() % 2000000000ULL;
			break; /* back a bit */
		default:
			ns = rnd() % 4102444800000000000ULL; /* anywhere up to 2100 */
		}
		if (strcmp(time_line(ns), ref_time(ns))) {
			diag("%" PRIu64 ": %s, want %s", ns, time_line(ns), ref_time(ns));
			same = 0;
		}
	}
	ok(same, "100k instants, near each other and far apart, match gmtime_r");

	jsonw_obj_begin(&w);
	jsonw_kv_time(&w, "@timestamp", 1764074096123456789ULL);
	jsonw_obj_end(&w);
	jsonw_end_line(&w);
	is_str(take(), "{\"@timestamp\":\"2025-11-25T12:34:56.123456789Z\"}",
	       "jsonw_kv_time: the ECS @timestamp");
}

static void test_kv(void)
{
	jsonw_obj_begin(&w);
	jsonw_kv_str(&w, "s", "text");
	jsonw_kv_str(&w, "none", NULL);
	jsonw_kv_strn(&w, "n", "ab\0", 3);
	jsonw_kv_u64(&w, "u", 42);
	jsonw_kv_i64(&w, "i", -42);
	jsonw_kv_bool(&w, "t", true);
	jsonw_kv_bool(&w, "f", false);
	jsonw_key(&w, "raw");
	jsonw_raw(&w, "{\"pre\":[1,2]}", 13);
	jsonw_key(&w, "z");
	jsonw_null(&w);
	jsonw_obj_end(&w);
	jsonw_end_line(&w);
	is_str(take(),
	       "{\"s\":\"text\",\"none\":null,\"n\":\"ab\\u0000\",\"u\":42,\"i\":-42,\"t\":true,"
	       "\"f\":false,\"raw\":{\"pre\":[1,2]},\"z\":null}",
	       "every key-value form, jsonw_raw and jsonw_null");
}

/* A random string, biased towards what paths and arguments hold. */
static size_t random_string(unsigned char *s)
{
	static const char *const pieces[] = {
		"/",
		"usr",
		"bin",
		" ",
		"-",
		"=",
		"\"",
		"\\",
		"\n",
		"\t",
		"\x01",
		"\x7f",
		"\xc3\xa9",
		"\xe6\x97\xa5",
		"\xf0\x9f\x98\x80",
		"\xef\xbf\xbd",
		"\xf4\x8f\xbf\xbf",
	};
	size_t len = rnd() % 8 == 0 ? rnd() % 300 : rnd() % 40, n = 0;
	unsigned mode = (unsigned)(rnd() % 4);

	while (n < len) {
		uint64_t r = rnd();

		if (mode == 0) { /* any bytes at all */
			s[n++] = (unsigned char)r;
		} else if (mode == 1 || r % 16) { /* printable ASCII, now and then a piece */
			s[n++] = (unsigned char)(0x20 + (r >> 8) % 0x5f);
		} else {
			const char *p = pieces[(r >> 8) % (sizeof(pieces) / sizeof(pieces[0]))];
			size_t pl = strlen(p);

			if (mode == 3 && pl > 1 && r >> 16 & 1)
				pl--; /* cut a multi-byte sequence short */
			memcpy(s + n, p, pl);
			n += pl;
		}
	}
	return n;
}

static int plain_utf8(const unsigned char *s, size_t n)
{
	unsigned char tmp[3 * 400];

	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return ref_sanitize(s, n, tmp) == n && !memcmp(tmp, s, n);
}

static void test_round_trip(void)
{
	unsigned char s[400], want[3 * 400];
	int parsed = 1, same = 1, as_is = 1;
	unsigned plain = 0;

	for (int i = 0; i < 100000; i++) {
		size_t n = random_string(s), wn;
		json_error_t e;
		json_t *j;

		jsonw_strn(&w, s, n);
		jsonw_end_line(&w);
		j = json_loadb(jsonw_data(&w), jsonw_len(&w), JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);
		if (!j || !json_is_string(j)) {
			if (parsed)
				diag("string %d: %s: %.*s", i, e.text, (int)jsonw_len(&w),
				     jsonw_data(&w));
			parsed = 0;
			json_decref(j);
			jsonw_reset(&w);
			continue;
		}
		wn = ref_sanitize(s, n, want);
		if (json_string_length(j) != wn || memcmp(json_string_value(j), want, wn))
			same = 0;
		if (plain_utf8(s, n)) {
			plain++;
			if (json_string_length(j) != n || memcmp(json_string_value(j), s, n))
				as_is = 0;
		}
		json_decref(j);
		jsonw_reset(&w);
	}
	diag("%u of the 100k strings were valid UTF-8 without control characters", plain);
	ok(parsed, "100k random strings: jansson parses every line");
	ok(as_is && plain > 10000, "valid UTF-8 without controls decodes to the very same bytes");
	ok(same, "any string decodes to its bytes with U+FFFD for each byte of bad UTF-8");
}

static void on_alarm(int sig)
{
	(void)sig;
}

/* Reads everything from FD; exits 0 when it was exactly LEN bytes equal to WANT. */
static __attribute__((noreturn)) void slow_reader(int fd, const char *want, size_t len)
{
	static char buf[4096];
	size_t got = 0;
	ssize_t n;
	int same = 1;

	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		if (got + (size_t)n > len || memcmp(buf, want + got, (size_t)n))
			same = 0;
		got += (size_t)n;
		if (got % 65536 < 4096)
			usleep(1000);
	}
	_exit(!(same && got == len && n == 0));
}

static void test_flush(void)
{
	int p[2], status, r;
	char buf[256];
	ssize_t n;
	size_t total;
	char *copy;
	pid_t pid;
	struct sigaction sa;
	struct itimerval it = { { 0, 200 }, { 0, 200 } };

	signal(SIGPIPE, SIG_IGN);

	if (pipe(p))
		abort();
	jsonw_obj_begin(&w);
	jsonw_kv_str(&w, "a", "b");
	jsonw_obj_end(&w);
	jsonw_end_line(&w);
	jsonw_arr_begin(&w);
	jsonw_u64(&w, 1);
	r = jsonw_flush(&w, p[1]);
	n = read(p[0], buf, sizeof(buf));
	ok(r == 0 && n == 10 && !memcmp(buf, "{\"a\":\"b\"}\n", 10) && jsonw_len(&w) == 0,
	   "jsonw_flush writes the whole lines and empties the buffer");
	jsonw_arr_end(&w);
	jsonw_end_line(&w);
	r = jsonw_flush(&w, p[1]);
	n = read(p[0], buf, sizeof(buf));
	ok(r == 0 && n == 4 && !memcmp(buf, "[1]\n", 4),
	   "an unfinished line stays buffered through a flush, and goes out once ended");

	/* A full non-blocking pipe: -EAGAIN, and what was not written stays. */
	fcntl(p[1], F_SETFL, O_NONBLOCK);
	for (int i = 0; i < 20000; i++) {
		jsonw_u64(&w, (uint64_t)i * 1000003);
		jsonw_end_line(&w);
	}
	total = jsonw_len(&w);
	copy = malloc(total);
	memcpy(copy, jsonw_data(&w), total);
	r = jsonw_flush(&w, p[1]);
	is_int(r, -EAGAIN, "a full non-blocking pipe gives -EAGAIN");
	{
		char *back = malloc(total + 1);
		size_t got = 0;

		fcntl(p[0], F_SETFL, O_NONBLOCK);
		while ((n = read(p[0], back + got, total + 1 - got)) > 0)
			got += (size_t)n;
		ok(got > 0 && got + jsonw_len(&w) == total && !memcmp(back, copy, got) &&
			   !memcmp(jsonw_data(&w), copy + got, total - got),
		   "what went out and what stayed buffered add up to the lines, in order");
		do {
			r = jsonw_flush(&w, p[1]);
			while ((n = read(p[0], back + got, total + 1 - got)) > 0)
				got += (size_t)n;
		} while (r == -EAGAIN);
		ok(r == 0 && got == total && !memcmp(back, copy, total),
		   "flushing again once the reader made room writes the rest");
		free(back);
	}
	free(copy);
	close(p[0]);
	close(p[1]);

	/* 4 MiB to a slow reader while a timer interrupts write(2) all along:
	 * short writes and EINTR (the handler is installed without SA_RESTART). */
	if (pipe(p))
		abort();
	for (int i = 0; jsonw_len(&w) < (4 << 20); i++) {
		jsonw_obj_begin(&w);
		jsonw_kv_u64(&w, "i", (uint64_t)i);
		jsonw_kv_str(&w, "pad", "0123456789abcdef0123456789abcdef0123456789abcdef");
		jsonw_obj_end(&w);
		jsonw_end_line(&w);
	}
	total = jsonw_len(&w);
	copy = malloc(total);
	memcpy(copy, jsonw_data(&w), total);
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		abort();
	if (pid == 0) {
		close(p[1]);
		slow_reader(p[0], copy, total);
	}
	close(p[0]);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
	r = jsonw_flush(&w, p[1]);
	memset(&it, 0, sizeof(it));
	setitimer(ITIMER_REAL, &it, NULL);
	close(p[1]);
	waitpid(pid, &status, 0);
	ok(r == 0 && jsonw_len(&w) == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	   "4 MiB through a pipe under a 200us timer: every byte arrives once, in order");
	free(copy);

	if (pipe(p))
		abort();
	close(p[0]);
	jsonw_obj_begin(&w);
	jsonw_obj_end(&w);
	jsonw_end_line(&w);
	r = jsonw_flush(&w, p[1]);
	ok(r == -EPIPE && jsonw_len(&w) == 3,
	   "a reader gone: -EPIPE (SIGPIPE ignored), lines kept");
	close(p[1]);
	jsonw_reset(&w);
}

int main(void)
{
	plan(103);
	jsonw_init(&w);
	test_nesting();
	test_misuse();
	test_escapes();
	test_utf8();
	test_integers();
	test_time();
	test_kv();
	test_round_trip();
	test_flush();
	jsonw_free(&w);
	return done_testing();
}
