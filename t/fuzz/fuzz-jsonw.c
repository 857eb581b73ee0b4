/*
 * fuzz-jsonw.c - libFuzzer target for the NDJSON event writer: whatever
 * bytes go into strings and keys, and in whatever order the calls come,
 * the buffer only ever holds whole lines of valid JSON and valid UTF-8.
 *
 * The input is cut into records: a length byte, then that many bytes
 * (fewer at the end of the input). Two passes over the records:
 *   1. well-formed: {"strings":[r0,r1,...],"members":{r0:r1,r2:r3,...}}
 *      (keys cut at their first NUL byte, which jansson refuses in keys)
 *      must end with 0 and parse with jansson, and each element of
 *      "strings" must decode to its record with U+FFFD for each byte that
 *      is not well-formed UTF-8 (a reference decoder here, written
 *      differently from the writer's); the first eight bytes of each
 *      record also go through the number and timestamp writers, checked
 *      against printf and gmtime_r;
 *   2. free-form: the first byte of each record picks a call (begin, end,
 *      key, value, end of line) and the rest is its argument, so misuse
 *      happens too: each line ends with 0 and parses as one JSON value, or
 *      ends with -1 and leaves the buffer as it was.
 * Then the whole buffer must be valid UTF-8 with no control byte but the
 * newline that ends each line. Any broken invariant aborts.
 *
 * Build by hand (no make rule yet):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -I. -Ilib \
 *	t/fuzz/fuzz-jsonw.c lib/json/jsonw.c lib/base/util.c -o fuzz-jsonw \
 *	$(pkg-config --cflags --libs jansson)
 */
#include "config.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "jsonw.h"
#include "utf8-ref.h"

#define MAX_RECORDS 512

struct record {
	const unsigned char *p;
	size_t len;
};

static void fuzz_check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz invariant broken: %s\n", what);
		abort();
	}
}

/* Whether S is well-formed UTF-8 holding no control byte but '\n'. */
static int clean_utf8(const char *s, size_t n)
{
	unsigned char *tmp = malloc(3 * n + 1);
	int same;

	if (!tmp)
		abort();
	same = ref_sanitize((const unsigned char *)s, n, tmp) == n && !memcmp(tmp, s, n);
	free(tmp);
	for (size_t i = 0; same && i < n; i++)
		same = (unsigned char)s[i] >= 0x20 || s[i] == '\n';
	return same;
}

static uint64_t first8(const struct record *r)
{
	uint64_t v = 0;

	memcpy(&v, r->p, r->len < 8 ? r->len : 8);
	return v;
}

/* Writes one value on a line of its own and checks its text. */
static void check_scalar(struct jsonw *w, int (*put)(struct jsonw *, uint64_t), uint64_t v,
			 const char *want, const char *what)
{
	size_t before = jsonw_len(w), n = strlen(want);

	fuzz_check(put(w, v) == 0 && jsonw_end_line(w) == 0, what);
	fuzz_check(jsonw_len(w) == before + n + 1 && !memcmp(jsonw_data(w) + before, want, n),
		   what);
}

static int put_u64(struct jsonw *w, uint64_t v)
{
	return jsonw_u64(w, v);
}

static int put_i64(struct jsonw *w, uint64_t v)
{
	return jsonw_i64(w, (int64_t)v);
}

static int put_time(struct jsonw *w, uint64_t v)
{
	return jsonw_time(w, v);
}

static void numbers(struct jsonw *w, const struct record *r)
{
	uint64_t v = first8(r), ns = v % 4102444800000000000ULL; /* before 2100 */
	time_t t = (time_t)(ns / 1000000000);
	char want[64];
	struct tm tm;

	snprintf(want, sizeof(want), "%" PRIu64, v);
	check_scalar(w, put_u64, v, want, "jsonw_u64 disagrees with printf");
	snprintf(want, sizeof(want), "%" PRId64, (int64_t)v);
	check_scalar(w, put_i64, v, want, "jsonw_i64 disagrees with printf");
	gmtime_r(&t, &tm);
	snprintf(want, sizeof(want), "\"%04d-%02d-%02dT%02d:%02d:%02d.%09uZ\"", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (unsigned)(ns % 1000000000));
	check_scalar(w, put_time, ns, want, "jsonw_time disagrees with gmtime_r");
}

/* Keys stop at a NUL byte: jansson refuses "\u0000" in a key (valid JSON). */
static size_t key_len(const struct record *r)
{
	return strnlen((const char *)r->p, r->len);
}

static json_t *parse(const char *s, size_t n)
{
	json_error_t e;
	json_t *j = json_loadb(s, n, JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);

	if (!j)
		fprintf(stderr, "jansson: %s at %d: %.*s\n", e.text, e.position, (int)n, s);
	return j;
}

static void well_formed(struct jsonw *w, const struct record *rec, size_t nrec)
{
	size_t before = jsonw_len(w);
	json_t *j, *a;

	jsonw_obj_begin(w);
	jsonw_key(w, "strings");
	jsonw_arr_begin(w);
	for (size_t i = 0; i < nrec; i++)
		jsonw_strn(w, rec[i].p, rec[i].len);
	jsonw_arr_end(w);
	jsonw_key(w, "members");
	jsonw_obj_begin(w);
	for (size_t i = 0; i + 1 < nrec; i += 2) {
		jsonw_keyn(w, rec[i].p, key_len(&rec[i]));
		jsonw_strn(w, rec[i + 1].p, rec[i + 1].len);
	}
	jsonw_obj_end(w);
	jsonw_obj_end(w);
	fuzz_check(jsonw_end_line(w) == 0, "a well-formed line did not end with 0");

	j = parse(jsonw_data(w) + before, jsonw_len(w) - before);
	fuzz_check(j != NULL, "a well-formed line does not parse");
	a = json_object_get(j, "strings");
	fuzz_check(json_is_array(a) && json_array_size(a) == nrec, "the strings went missing");
	for (size_t i = 0; i < nrec; i++) {
		json_t *s = json_array_get(a, i);
		unsigned char *want = malloc(3 * rec[i].len + 1);
		size_t n;

		if (!want)
			abort();
		n = ref_sanitize(rec[i].p, rec[i].len, want);
		fuzz_check(json_is_string(s) && json_string_length(s) == n &&
				   !memcmp(json_string_value(s), want, n),
			   "a string does not decode to its bytes (U+FFFD for bad UTF-8)");
		free(want);
		numbers(w, &rec[i]);
	}
	json_decref(j);
}

static void end_line(struct jsonw *w)
{
	size_t before = jsonw_len(w);
	int r = jsonw_end_line(w);

	fuzz_check(r == 0 || r == -1, "jsonw_end_line returned neither 0 nor -1");
	if (r == 0) {
		json_t *j;

		fuzz_check(jsonw_len(w) > before && jsonw_data(w)[jsonw_len(w) - 1] == '\n',
			   "a line did not end with a newline");
		j = parse(jsonw_data(w) + before, jsonw_len(w) - before);
		fuzz_check(j != NULL, "a line that ended with 0 does not parse");
		json_decref(j);
	} else {
		fuzz_check(jsonw_len(w) == before, "a dropped line left bytes behind");
	}
}

static void free_form(struct jsonw *w, const struct record *rec, size_t nrec)
{
	for (size_t i = 0; i < nrec; i++) {
		const unsigned char *arg = rec[i].len ? rec[i].p + 1 : rec[i].p;
		size_t len = rec[i].len ? rec[i].len - 1 : 0;
		char *cstr;
		int r = 0;

		switch (rec[i].len ? rec[i].p[0] % 12 : 11) {
		case 0:
			r = jsonw_obj_begin(w);
			break;
		case 1:
			r = jsonw_obj_end(w);
			break;
		case 2:
			r = jsonw_arr_begin(w);
			break;
		case 3:
			r = jsonw_arr_end(w);
			break;
		case 4:
			r = jsonw_keyn(w, arg, strnlen((const char *)arg, len));
			break;
		case 5:
			r = jsonw_strn(w, arg, len);
			break;
		case 6:
			cstr = strndup((const char *)arg, len);
			if (!cstr)
				abort();
			r = rec[i].p[0] & 0x80 ? jsonw_kv_str(w, cstr, cstr) : jsonw_key(w, cstr);
			free(cstr);
			break;
		/* Below INT64_MAX: jansson refuses larger integers. */
		case 7:
			r = jsonw_kv_u64(w, "u", first8(&rec[i]) >> 1);
			break;
		case 8:
			r = jsonw_i64(w, (int64_t)first8(&rec[i]));
			break;
		case 9:
			r = jsonw_kv_time(w, "@timestamp", first8(&rec[i]));
			break;
		case 10:
			r = rec[i].p[0] & 0x80 ? jsonw_bool(w, len & 1) : jsonw_null(w);
			break;
		default:
			end_line(w);
			break;
		}
		fuzz_check(r == 0 || r == -1, "a writer returned neither 0 nor -1");
	}
	end_line(w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct record rec[MAX_RECORDS];
	size_t nrec = 0;
	struct jsonw w;

	/* A length byte, then that many bytes. */
	for (size_t at = 0; at < size && nrec < MAX_RECORDS;) {
		size_t len = data[at++];

		if (len > size - at)
			len = size - at;
		rec[nrec].p = data + at;
		rec[nrec++].len = len;
		at += len;
	}

	jsonw_init(&w);
	well_formed(&w, rec, nrec);
	free_form(&w, rec, nrec);
	fuzz_check(clean_utf8(jsonw_data(&w), jsonw_len(&w)),
		   "the output is not valid UTF-8 free of control bytes");
	jsonw_free(&w);
	return 0;
}
