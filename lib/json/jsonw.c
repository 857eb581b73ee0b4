/*
 * jsonw.c - the NDJSON event writer (see jsonw.h).
 *
 * Every writer reserves room for the worst case first and then stores
 * bytes without further checks: a string of N bytes needs at most 6N + 2
 * (each byte a \u00XX escape, plus the quotes), a number 20 digits and a
 * sign, a timestamp 32 bytes. Plain ASCII in strings is checked and copied
 * eight bytes at a time.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jsonw.h"
#include "util.h"

/* lvl[] bits */
#define LVL_OBJ 1 /* an object (else an array, or the line at depth 0) */
#define LVL_ANY 2 /* something was written: the next member needs a comma */

#define NS_PER_SEC 1000000000ULL

static const char digits2[201] = "00010203040506070809"
				 "10111213141516171819"
				 "20212223242526272829"
				 "30313233343536373839"
				 "40414243444546474849"
				 "50515253545556575859"
				 "60616263646566676869"
				 "70717273747576777879"
				 "80818283848586878889"
				 "90919293949596979899";

static const char hexdigits[16] = "0123456789abcdef";

/*
 * What each byte needs in a string: 0 a copy, 'U' a look at the UTF-8
 * sequence it starts (if it starts one), 'u' a \u00XX escape, any other
 * character the two-character escape made of '\' and it.
 */
/* clang-format off */
static const unsigned char esc[256] = {
	[0x00 ... 0x07] = 'u',
	['\b'] = 'b',
	['\t'] = 't',
	['\n'] = 'n',
	[0x0b] = 'u',
	['\f'] = 'f',
	['\r'] = 'r',
	[0x0e ... 0x1f] = 'u',
	['"'] = '"',
	['\\'] = '\\',
	[0x7f] = 'u',
	[0x80 ... 0xff] = 'U',
};
/* clang-format on */

void jsonw_init(struct jsonw *w)
{
	memset(w, 0, sizeof(*w));
	w->tsec[0] = w->tsec[1] = UINT64_MAX;
}

void jsonw_free(struct jsonw *w)
{
	free(w->buf);
	jsonw_init(w);
}

static void line_reset(struct jsonw *w)
{
	w->depth = 0;
	w->lvl[0] = 0;
	w->key = false;
	w->err = false;
}

void jsonw_reset(struct jsonw *w)
{
	w->len = 0;
	w->line = 0;
	line_reset(w);
}

static __attribute__((noinline)) void grow(struct jsonw *w, size_t n)
{
	size_t cap = w->cap ? w->cap : 4096;

	if (n > SIZE_MAX / 2 - w->len)
		die("jsonw: output too large");
	while (cap - w->len < n)
		cap *= 2;
	w->buf = xrealloc(w->buf, cap);
	w->cap = cap;
}

/* Returns where to write N more bytes. */
static inline char *room(struct jsonw *w, size_t n)
{
	if (__builtin_expect(w->cap - w->len < n, 0))
		grow(w, n);
	return w->buf + w->len;
}

static int misuse(struct jsonw *w)
{
	w->err = true;
	return -1;
}

/*
 * Starts a value that takes at most N bytes: writes the comma it needs and
 * returns where the value goes, or NULL on misuse. The caller stores the
 * value and sets w->len.
 */
static inline char *value_begin(struct jsonw *w, size_t n)
{
	unsigned char *l = &w->lvl[w->depth];
	char *o;

	if (w->key) {
		w->key = false;
		return room(w, n);
	}
	/* In an object a key comes first; a line holds a single value. */
	if (__builtin_expect(*l & LVL_OBJ || (w->depth == 0 && *l & LVL_ANY), 0)) {
		misuse(w);
		return NULL;
	}
	o = room(w, n + 1);
	if (*l & LVL_ANY)
		*o++ = ',';
	*l |= LVL_ANY;
	return o;
}

static inline void value_end(struct jsonw *w, char *o)
{
	w->len = (size_t)(o - w->buf);
}

/* Room for a string of LEN bytes, its quotes included. */
static inline size_t str_room(size_t len)
{
	if (len > (SIZE_MAX - 64) / 6)
		die("jsonw: string too long");
	return 6 * len + 2;
}

/* Eight bytes loaded from memory as a little-endian number: the first
 * byte is the least significant. */
static inline uint64_t le64(uint64_t x)
{
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	return __builtin_bswap64(x);
#else
	return x;
#endif
}

#define ONES 0x0101010101010101ULL
#define HIGH 0x8080808080808080ULL

/*
 * Which of the eight bytes in X need more than a copy (below 0x20, '"',
 * '\', 0x7f or above): the high bit of each such byte is set. Borrows and
 * carries may also set it in more significant bytes than one that really
 * matches, never in less significant ones, nor when none matches: the
 * lowest bit set marks the first byte that needs care.
 */
static inline uint64_t needs_care(uint64_t x)
{
	uint64_t q = x ^ (ONES * '"'), b = x ^ (ONES * '\\');

	/* The high bit of q and b is that of x, as '"' and '\\' are ASCII. */
	return ((((x - ONES * 0x20) | (x + ONES) | (q - ONES) | (b - ONES)) & ~x) | x) & HIGH;
}

/*
 * The R bytes at P (1 to 7) in a word for needs_care(), without reading
 * past them: two overlapping 4-byte loads, or the first, middle and last
 * byte (that is all of them) with plain 'a's around.
 */
static inline uint64_t tail(const unsigned char *p, size_t r)
{
	uint32_t lo, hi;

	if (r < 4)
		return (ONES * 'a' & ~0xffffffULL) | p[0] | (uint64_t)p[r / 2] << 8 |
		       (uint64_t)p[r - 1] << 16;
	memcpy(&lo, p, 4);
	memcpy(&hi, p + r - 4, 4);
	return lo | (uint64_t)hi << 32;
}

static inline void copy_tail(char *o, const unsigned char *p, size_t r)
{
	if (r < 4) {
		o[0] = (char)p[0];
		o[r / 2] = (char)p[r / 2];
		o[r - 1] = (char)p[r - 1];
	} else {
		memcpy(o, p, 4);
		memcpy(o + r - 4, p + r - 4, 4);
	}
}

/*
 * Length of the well-formed UTF-8 sequence at P (before END) whose first
 * byte is 0x80 or above, or 0 when the byte at P does not start one
 * (Unicode 15, table 3-7).
 */
static inline size_t utf8_len(const unsigned char *p, const unsigned char *end)
{
	size_t avail = (size_t)(end - p);
	unsigned c = p[0], lo = 0x80, hi = 0xbf;

	if (c < 0xc2)
		return 0; /* continuation byte, or lead of an overlong 2-byte form */
	if (c < 0xe0)
		return avail >= 2 && (p[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c < 0xf0) {
		if (c == 0xe0)
			lo = 0xa0; /* overlong */
		else if (c == 0xed)
			hi = 0x9f; /* surrogates */
		return avail >= 3 && p[1] >= lo && p[1] <= hi && (p[2] & 0xc0) == 0x80 ? 3 : 0;
	}
	if (c < 0xf5) {
		if (c == 0xf0)
			lo = 0x90; /* overlong */
		else if (c == 0xf4)
			hi = 0x8f; /* above U+10FFFF */
		return avail >= 4 && p[1] >= lo && p[1] <= hi && (p[2] & 0xc0) == 0x80 &&
				       (p[3] & 0xc0) == 0x80 ?
			       4 :
			       0;
	}
	return 0; /* 0xf5..0xff: never in UTF-8 */
}

/* Writes S (LEN bytes) as a quoted JSON string at O, in at most str_room(LEN) bytes. */
static inline __attribute__((always_inline)) char *put_str(char *o, const unsigned char *p,
							   size_t len)
{
	const unsigned char *end = p + len;

	*o++ = '"';
	for (;;) {
		unsigned char c, e;
		size_t r;

		/* Plain bytes eight at a time, stored before they are looked at
		 * (there is room), up to the first byte that needs care. */
		while ((r = (size_t)(end - p)) >= 8) {
			uint64_t x, m;

			memcpy(&x, p, 8);
			memcpy(o, &x, 8);
			m = needs_care(le64(x));
			if (m) {
				size_t n = (size_t)__builtin_ctzll(m) / 8;

				p += n;
				o += n;
				break;
			}
			p += 8;
			o += 8;
		}
		if (r < 8) {
			if (!r)
				break;
			if (!needs_care(tail(p, r))) {
				copy_tail(o, p, r);
				o += r;
				break;
			}
			while (!esc[*p]) /* stops before END: needs_care() said so */
				*o++ = (char)*p++;
		}
		c = *p;
		e = esc[c];
		if (e == 'U') {
			size_t n = utf8_len(p, end);

			if (n) {
				memcpy(o, p, n);
				o += n;
				p += n;
			} else {
				memcpy(o, "\xef\xbf\xbd", 3); /* U+FFFD */
				o += 3;
				p++;
			}
			continue;
		}
		*o++ = '\\';
		if (e == 'u') {
			memcpy(o, "u00", 3);
			o[3] = hexdigits[c >> 4];
			o[4] = hexdigits[c & 15];
			o += 5;
		} else {
			*o++ = (char)e;
		}
		p++;
	}
	*o++ = '"';
	return o;
}

/* Writes V in decimal at O, in at most 20 bytes. */
static inline char *put_u64(char *o, uint64_t v)
{
	char tmp[20], *t = tmp + sizeof(tmp);
	size_t n;

	while (v >= 100) {
		unsigned r = (unsigned)(v % 100);

		v /= 100;
		t -= 2;
		memcpy(t, digits2 + 2 * r, 2);
	}
	if (v >= 10) {
		t -= 2;
		memcpy(t, digits2 + 2 * v, 2);
	} else {
		*--t = (char)('0' + v);
	}
	n = (size_t)(tmp + sizeof(tmp) - t);
	memcpy(o, t, n);
	return o + n;
}

static inline char *put_i64(char *o, int64_t v)
{
	if (v < 0) {
		*o++ = '-';
		return put_u64(o, 0 - (uint64_t)v);
	}
	return put_u64(o, (uint64_t)v);
}

static inline void put2(char *o, unsigned v)
{
	memcpy(o, digits2 + 2 * v, 2);
}

/* Writes "YYYY-MM-DDTHH:MM:SS" for SEC seconds since the epoch at T. */
static void date_fill(char *t, uint64_t sec)
{
	/* Days to civil date in the proleptic Gregorian calendar (H. Hinnant's
	 * days_from_civil inverse), counted from 0000-03-01 so that the leap
	 * day ends each 4-, 100- and 400-year cycle. */
	uint64_t z = sec / 86400 + 719468;
	unsigned s = (unsigned)(sec % 86400);
	uint64_t era = z / 146097;
	unsigned doe = (unsigned)(z - era * 146097); /* day of the era, [0, 146096] */
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100); /* from March 1, [0, 365] */
	unsigned mp = (5 * doy + 2) / 153; /* month from March, [0, 11] */
	unsigned d = doy - (153 * mp + 2) / 5 + 1;
	unsigned m = mp < 10 ? mp + 3 : mp - 9;
	unsigned y = (unsigned)(yoe + era * 400) + (m <= 2);

	/* 2^64 ns is in the year 2554: four digits always do. */
	put2(t, y / 100);
	put2(t + 2, y % 100);
	t[4] = '-';
	put2(t + 5, m);
	t[7] = '-';
	put2(t + 8, d);
	t[10] = 'T';
	put2(t + 11, s / 3600);
	t[13] = ':';
	put2(t + 14, s / 60 % 60);
	t[16] = ':';
	put2(t + 17, s % 60);
}

/*
 * The date part for SEC, from a cache of the last two seconds seen: an
 * event's @timestamp and its process start often share a second, and its
 * parent's start is another.
 */
static inline const char *date(struct jsonw *w, uint64_t sec)
{
	unsigned i;

	if (sec == w->tsec[0])
		return w->tdate[0];
	if (sec == w->tsec[1])
		return w->tdate[1];
	i = w->tnext;
	w->tnext ^= 1;
	date_fill(w->tdate[i], sec);
	w->tsec[i] = sec;
	return w->tdate[i];
}

#define TIME_ROOM 32 /* "YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ" with its quotes */

static inline char *put_time(struct jsonw *w, char *o, uint64_t ns)
{
	uint64_t sec = ns / NS_PER_SEC;
	unsigned frac = (unsigned)(ns % NS_PER_SEC);

	*o = '"';
	memcpy(o + 1, date(w, sec), 19);
	o[20] = '.';
	o[21] = (char)('0' + frac / 100000000);
	frac %= 100000000;
	put2(o + 22, frac / 1000000);
	put2(o + 24, frac / 10000 % 100);
	put2(o + 26, frac / 100 % 100);
	put2(o + 28, frac % 100);
	o[30] = 'Z';
	o[31] = '"';
	return o + TIME_ROOM;
}

static int begin(struct jsonw *w, char c, unsigned char kind)
{
	char *o;

	if (w->depth == JSONW_MAX_DEPTH)
		return misuse(w);
	o = value_begin(w, 1);
	if (!o)
		return -1;
	*o++ = c;
	value_end(w, o);
	w->lvl[++w->depth] = kind;
	return 0;
}

static int end(struct jsonw *w, char c, unsigned char kind)
{
	if (w->depth == 0 || (w->lvl[w->depth] & LVL_OBJ) != kind || w->key)
		return misuse(w);
	*room(w, 1) = c;
	w->len++;
	w->depth--;
	return 0;
}

int jsonw_obj_begin(struct jsonw *w)
{
	return begin(w, '{', LVL_OBJ);
}

int jsonw_obj_end(struct jsonw *w)
{
	return end(w, '}', LVL_OBJ);
}

int jsonw_arr_begin(struct jsonw *w)
{
	return begin(w, '[', 0);
}

int jsonw_arr_end(struct jsonw *w)
{
	return end(w, ']', 0);
}

int jsonw_keyn(struct jsonw *w, const void *key, size_t len)
{
	unsigned char *l = &w->lvl[w->depth];
	char *o;

	if (!(*l & LVL_OBJ) || w->key)
		return misuse(w);
	o = room(w, str_room(len) + 2);
	if (*l & LVL_ANY)
		*o++ = ',';
	*l |= LVL_ANY;
	o = put_str(o, key, len);
	*o++ = ':';
	value_end(w, o);
	w->key = true;
	return 0;
}

int jsonw_strn(struct jsonw *w, const void *s, size_t len)
{
	char *o = value_begin(w, str_room(len));

	if (!o)
		return -1;
	value_end(w, put_str(o, s, len));
	return 0;
}

static int put_literal(struct jsonw *w, const char *lit, size_t len)
{
	char *o = value_begin(w, len);

	if (!o)
		return -1;
	memcpy(o, lit, len);
	value_end(w, o + len);
	return 0;
}

int jsonw_null(struct jsonw *w)
{
	return put_literal(w, "null", 4);
}

int jsonw_bool(struct jsonw *w, bool v)
{
	return v ? put_literal(w, "true", 4) : put_literal(w, "false", 5);
}

int jsonw_raw(struct jsonw *w, const char *json, size_t len)
{
	return put_literal(w, json, len);
}

int jsonw_u64(struct jsonw *w, uint64_t v)
{
	char *o = value_begin(w, 20);

	if (!o)
		return -1;
	value_end(w, put_u64(o, v));
	return 0;
}

int jsonw_i64(struct jsonw *w, int64_t v)
{
	char *o = value_begin(w, 21);

	if (!o)
		return -1;
	value_end(w, put_i64(o, v));
	return 0;
}

int jsonw_time(struct jsonw *w, uint64_t unix_ns)
{
	char *o = value_begin(w, TIME_ROOM);

	if (!o)
		return -1;
	value_end(w, put_time(w, o, unix_ns));
	return 0;
}

int jsonw_end_line(struct jsonw *w)
{
	if (w->err || w->depth || w->key || !(w->lvl[0] & LVL_ANY)) {
		w->len = w->line;
		line_reset(w);
		return -1;
	}
	*room(w, 1) = '\n';
	w->line = ++w->len;
	line_reset(w);
	return 0;
}

const char *jsonw_data(const struct jsonw *w)
{
	return w->buf ? w->buf : "";
}

size_t jsonw_len(const struct jsonw *w)
{
	return w->line;
}

int jsonw_flush(struct jsonw *w, int fd)
{
	size_t done = 0;
	int err = 0;

	while (done < w->line) {
		ssize_t n = write(fd, w->buf + done, w->line - done);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			break;
		}
		if (n == 0) {
			err = -EIO;
			break;
		}
		done += (size_t)n;
	}
	if (done) {
		memmove(w->buf, w->buf + done, w->len - done);
		w->len -= done;
		w->line -= done;
	}
	return err;
}
