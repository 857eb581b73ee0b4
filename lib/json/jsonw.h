/*
 * jsonw.h - a fast writer of newline-delimited JSON (NDJSON) events.
 *
 * Events are serialized straight into a growable output buffer, one JSON
 * value per line, with no document tree in between: call the begin, end,
 * key and value functions in document order and the writer puts in the
 * commas, colons and quotes.
 *
 *	struct jsonw w;
 *	int r;
 *
 *	jsonw_init(&w);
 *	jsonw_obj_begin(&w);
 *	jsonw_kv_time(&w, "@timestamp", ev->ktime_ns + boot_ns);
 *	jsonw_key(&w, "process");
 *	jsonw_obj_begin(&w);
 *	jsonw_kv_u64(&w, "pid", ev->pid);
 *	jsonw_kv_strn(&w, "executable", ev->path, ev->path_len);
 *	jsonw_obj_end(&w);
 *	jsonw_obj_end(&w);
 *	if (jsonw_end_line(&w))
 *		error("event type %u: bad JSON nesting, event dropped", ev->type);
 *	if (jsonw_len(&w) >= 65536 && (r = jsonw_flush(&w, STDOUT_FILENO)))
 *		die("stdout: %s", strerror(-r));
 *
 * Strings are arbitrary bytes (file paths and arguments from the kernel)
 * and the output is always valid JSON and valid UTF-8:
 *   - '"' and '\' are escaped; control characters below 0x20 as \b \t \n
 *     \f \r or \u00XX; DEL (0x7f) as \u007f; nothing else is escaped ('/'
 *     included);
 *   - well-formed UTF-8 is copied as is; that excludes overlong forms,
 *     surrogates (U+D800..U+DFFF), code points above U+10FFFF and
 *     sequences cut short (by the end of the string or by a byte that is
 *     not a continuation byte);
 *   - every byte that is not part of well-formed UTF-8 becomes U+FFFD,
 *     written as its three raw bytes EF BF BD: a cut 3-byte sequence gives
 *     two U+FFFD, a lone 0xFF one.
 * This is lossy but always valid: a path in Latin-1 shows as U+FFFD where
 * its accented letters were, and the event keeps the raw bytes nowhere
 * else, so two paths that differ only in their invalid bytes look the
 * same. A caller that needs them exactly must add them separately (hex or
 * base64) under another key. Keys get the same treatment: jsonw_keyn()
 * takes untrusted bytes too (Kubernetes label names, say).
 *
 * Misuse (a value in an object without a key, a key outside an object,
 * ending what is not open, nesting deeper than JSONW_MAX_DEPTH, a second
 * value on one line) is a programming error: the call writes nothing and
 * returns -1, and the error sticks until jsonw_end_line(), which reports
 * it by returning -1 and dropping the whole line: jsonw_data() and
 * jsonw_flush() only ever see whole lines, valid as long as what was given
 * to jsonw_raw() was. Running out of memory is fatal (die()).
 *
 * Not thread-safe: one writer per thread.
 */
#ifndef D4C_JSONW_H
#define D4C_JSONW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Objects and arrays nest at most this deep in one line. */
#define JSONW_MAX_DEPTH 16

/* The fields are private: use the functions. */
struct jsonw {
	char *buf;
	size_t len; /* bytes in buf, the unfinished line included */
	size_t cap; /* bytes allocated */
	size_t line; /* buf[0..line) is whole lines; the unfinished one follows */
	unsigned depth; /* open objects and arrays */
	bool key; /* a key was written: its value comes next */
	bool err; /* misuse since the line began */
	unsigned char lvl[JSONW_MAX_DEPTH + 1]; /* per depth: object? something written? */
	uint64_t tsec[2]; /* the seconds tdate holds (UINT64_MAX: none) */
	char tdate[2][20]; /* "YYYY-MM-DDTHH:MM:SS" of tsec */
	unsigned tnext; /* the entry to fill next */
};

/* An empty writer; allocates nothing until the first write. */
void jsonw_init(struct jsonw *w);
/* Frees the buffer; W can be initialized again. */
void jsonw_free(struct jsonw *w);
/* Drops everything buffered, the unfinished line included; keeps the memory. */
void jsonw_reset(struct jsonw *w);

/* Containers. Each begin is a value: in an object, write its key first. */
int jsonw_obj_begin(struct jsonw *w);
int jsonw_obj_end(struct jsonw *w);
int jsonw_arr_begin(struct jsonw *w);
int jsonw_arr_end(struct jsonw *w);

/*
 * An object member's key: LEN bytes escaped like a string value (a NUL
 * byte becomes \u0000, valid JSON that some readers, jansson among them,
 * refuse in a key). Its value must follow. jsonw_key() takes a C string.
 */
int jsonw_keyn(struct jsonw *w, const void *key, size_t len);

/*
 * Values. Each returns 0, or -1 on misuse.
 *
 * jsonw_strn() writes LEN bytes, NUL bytes included (as \u0000);
 * jsonw_str() a C string, or null for NULL. Integers are exact; JSON
 * readers that store integers as int64_t (jansson, Elasticsearch's long)
 * refuse u64 values above INT64_MAX. jsonw_time() writes nanoseconds since
 * the Unix epoch as an RFC 3339 UTC string with nine fractional digits,
 * the ECS @timestamp: "2026-11-25T12:34:56.123456789Z". jsonw_raw() copies
 * LEN bytes of JSON that the caller vouches for, unchecked.
 */
int jsonw_strn(struct jsonw *w, const void *s, size_t len);
int jsonw_u64(struct jsonw *w, uint64_t v);
int jsonw_i64(struct jsonw *w, int64_t v);
int jsonw_bool(struct jsonw *w, bool v);
int jsonw_null(struct jsonw *w);
int jsonw_time(struct jsonw *w, uint64_t unix_ns);
int jsonw_raw(struct jsonw *w, const char *json, size_t len);

/*
 * The forms that take C strings are inline so that the compiler measures
 * literal keys and values when it compiles the call. The jsonw_kv_*()
 * forms write a key and its value.
 */
static inline int jsonw_key(struct jsonw *w, const char *key)
{
	return jsonw_keyn(w, key, strlen(key));
}

static inline int jsonw_str(struct jsonw *w, const char *s)
{
	return s ? jsonw_strn(w, s, strlen(s)) : jsonw_null(w);
}

static inline int jsonw_kv_str(struct jsonw *w, const char *key, const char *s)
{
	return jsonw_key(w, key) ? -1 : jsonw_str(w, s);
}

static inline int jsonw_kv_strn(struct jsonw *w, const char *key, const void *s, size_t len)
{
	return jsonw_key(w, key) ? -1 : jsonw_strn(w, s, len);
}

static inline int jsonw_kv_u64(struct jsonw *w, const char *key, uint64_t v)
{
	return jsonw_key(w, key) ? -1 : jsonw_u64(w, v);
}

static inline int jsonw_kv_i64(struct jsonw *w, const char *key, int64_t v)
{
	return jsonw_key(w, key) ? -1 : jsonw_i64(w, v);
}

static inline int jsonw_kv_bool(struct jsonw *w, const char *key, bool v)
{
	return jsonw_key(w, key) ? -1 : jsonw_bool(w, v);
}

static inline int jsonw_kv_time(struct jsonw *w, const char *key, uint64_t unix_ns)
{
	return jsonw_key(w, key) ? -1 : jsonw_time(w, unix_ns);
}

/*
 * Ends the line: appends "\n" when exactly one value was written and every
 * object and array is closed, and returns 0. Otherwise (misuse since the
 * line began, something left open, an empty line) drops the line and
 * returns -1. Either way the next line starts afresh.
 */
int jsonw_end_line(struct jsonw *w);

/* The whole lines buffered and not yet flushed (not NUL-terminated). What
 * jsonw_data() returns is valid until the next call on W. */
const char *jsonw_data(const struct jsonw *w);
size_t jsonw_len(const struct jsonw *w);

/*
 * Writes the whole lines to FD, retrying on short writes and EINTR, and
 * drops what was written; an unfinished line stays buffered. Returns 0, or
 * a negative errno value (-EPIPE when the reader is gone, -EAGAIN on a
 * non-blocking FD that is full) with what was not written still buffered.
 * Ignore SIGPIPE (signal(SIGPIPE, SIG_IGN)) to get -EPIPE rather than die.
 */
int jsonw_flush(struct jsonw *w, int fd);

#endif
