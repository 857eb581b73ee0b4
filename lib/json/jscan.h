/*
 * jscan.h - the one scanner of NDJSON lines that every d4c reader uses
 * (d4c-enrich, d4c-ship): in a single pass it checks that the line is
 * exactly one JSON object (RFC 8259, UTF-8) and records where a few chosen
 * members are, so that a filter can copy the line and splice in or replace
 * only what it must, and a shipper can route it, without a document tree.
 *
 * Members are chosen by dotted paths of object keys ("process.parent.pid");
 * arrays are not entered. Keys are compared as JSON readers see them: a key
 * written with escapes ("\u0070id") is "pid" (schema keys are ASCII). An
 * object with a key twice makes the line invalid ("duplicate key",
 * lib/json/jkeys.h: the rule every d4c reader follows).
 *
 * The line must be followed by one readable byte that is '\n' or '\0' (a
 * sentinel that stops the string loop without bounds checks); the scanner
 * never reads beyond it. The line reader of lib/json/ndjson.h leaves one after
 * every whole line it hands out.
 */
#ifndef D4C_JSCAN_H
#define D4C_JSCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Objects and arrays nest at most this deep; deeper lines are refused. */
#define JSCAN_MAX_DEPTH 64
/* At most this many paths in a schema. */
#define JSCAN_MAX_PATHS 64

/*
 * Schema flag: a key with dots also stands for the objects it names, as
 * Elasticsearch reads it: "event.kind" is found in {"event.kind":"x"} and
 * {"event":{"kind":"x"}} alike (and where both are, the first one is
 * recorded). For a reader that routes; a filter that edits spans wants
 * the members as written, and leaves it out.
 */
#define JSCAN_DOTTED_KEYS 1u

/* Where one recorded member is, as byte offsets in the line. */
struct jscan_span {
	int32_t kstart; /* the key's opening quote; -1 when the member is absent */
	int32_t vstart; /* its value's first byte */
	int32_t vend; /* one past its value's last byte ('}' of an object) */
	uint32_t nmembers; /* for an object value: how many members it has */
	char type; /* first byte of the value: '{' '[' '"' 't' 'f' 'n', '0' for numbers */
};

struct jscan_schema;

/*
 * Compiles N dotted paths (at most JSCAN_MAX_PATHS, each key at most 63
 * bytes) with FLAGS (0 or JSCAN_DOTTED_KEYS). Path I is reported in span I
 * of jscan_line(); path "" is the whole line's object. Returns NULL on a
 * bad path (a programming error).
 */
struct jscan_schema *jscan_schema_new(const char *const *paths, size_t n, unsigned flags);
void jscan_schema_free(struct jscan_schema *s);

/*
 * Scans LINE (LEN bytes, sentinel after them, see above). Fills SPANS (one
 * per path of S, kstart -1 for those absent) and returns 0 when the line is
 * one JSON object with nothing but blanks (space, tab, CR) around it.
 * Otherwise returns -1 with *WHY a static description ("unterminated
 * string", ...) and *AT the byte offset where the scan stopped; the spans
 * then hold what was found before that.
 */
int jscan_line(const struct jscan_schema *s, const char *line, size_t len, struct jscan_span *spans,
	       const char **why, size_t *at);

/* A string value as written: the raw bytes between its quotes. */
struct jscan_str {
	const char *ptr; /* NULL: the member is absent, or its value is not a string */
	size_t len;
	bool escaped; /* holds a backslash escape (left as is) */
};

/* The string value of the member of LINE that span SP records. */
struct jscan_str jscan_str(const char *line, const struct jscan_span *sp);

/* ---- Whole documents, and the values inside a scanned text ---------------
 * For JSON files read whole (the runtimes' state files): jscan_doc() checks
 * one as jscan_line() checks a line, then the functions below walk its
 * values from their spans, with no tree built. They rely on the text being
 * checked already and never read outside the span they are given.
 */

/*
 * Checks the LEN bytes at DOC as one JSON document whose value is an object
 * or an array, as jscan_line() checks a line (DOC[LEN] must be '\0'), with
 * two differences: line breaks between tokens are blanks (each is
 * overwritten with a space in DOC, so that a pretty-printed file scans),
 * and a \u escape for NUL or for half a surrogate pair makes the document
 * invalid (no two readers agree on what it means). Fills *ROOT (kstart =
 * vstart) and returns 0, or returns -1 with *WHY and *AT as jscan_line().
 */
int jscan_doc(char *doc, size_t len, struct jscan_span *root, const char **why, size_t *at);

/*
 * Steps through the members of the object, or the elements of the array,
 * at SP in TEXT (checked by jscan_doc() or jscan_line()): start with *POS
 * 0. Fills *M (an element's kstart is its vstart) and returns 1, or returns
 * 0 after the last one, or at once when SP is absent or not an object or
 * an array. M may be SP (to descend).
 */
int jscan_next(const char *text, const struct jscan_span *sp, size_t *pos, struct jscan_span *m);

/*
 * The member KEY (compared as decoded) of the object at SP in TEXT: returns
 * 1 with *M filled, or 0 with M->kstart -1 when SP is absent, not an
 * object, or has no such member. M may be SP.
 */
int jscan_get(const char *text, const struct jscan_span *sp, const char *key, struct jscan_span *m);

/*
 * The string whose opening quote is at offset AT of TEXT (a key's kstart,
 * or a string value's vstart), decoded into a new NUL-terminated string of
 * *LEN bytes (LEN may be NULL). Returns NULL when TEXT[AT] is not a quote,
 * or the string decodes to more than MAX bytes, holds a NUL (\u0000), or
 * half a surrogate pair.
 */
char *jscan_strdup(const char *text, size_t at, size_t max, size_t *len);

#endif
