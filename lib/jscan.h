/*
 * jscan.h - a single-pass scanner for one NDJSON line: checks that the line
 * is exactly one JSON object (RFC 8259, UTF-8) and, in the same pass,
 * records where a few chosen members are, so that a filter can copy the
 * line and splice in or replace only what it must (no document tree).
 *
 * Members are chosen by dotted paths of object keys ("process.parent.pid");
 * arrays are not entered. Keys are compared as JSON readers see them: a key
 * written with escapes ("\u0070id") is "pid" (schema keys are ASCII). An
 * object with a key twice makes the line invalid ("duplicate key",
 * lib/jkeys.h: the rule every d4c reader follows).
 *
 * The line must be followed by one readable byte that is '\n' or '\0' (a
 * sentinel that stops the string loop without bounds checks); the scanner
 * never reads beyond it.
 */
#ifndef D4C_JSCAN_H
#define D4C_JSCAN_H

#include <stddef.h>
#include <stdint.h>

/* Objects and arrays nest at most this deep; deeper lines are refused. */
#define JSCAN_MAX_DEPTH 64
/* At most this many paths in a schema. */
#define JSCAN_MAX_PATHS 64

/* Where one recorded member is, as byte offsets in the line. */
struct jscan_span {
	int32_t kstart;	   /* the key's opening quote; -1 when the member is absent */
	int32_t vstart;	   /* its value's first byte */
	int32_t vend;	   /* one past its value's last byte ('}' of an object) */
	uint32_t nmembers; /* for an object value: how many members it has */
	char type;	   /* first byte of the value: '{' '[' '"' 't' 'f' 'n', '0' for numbers */
};

struct jscan_schema;

/*
 * Compiles N dotted paths (at most JSCAN_MAX_PATHS, each key at most 63
 * bytes). Path I is reported in span I of jscan_line(); path "" is the
 * whole line's object. Returns NULL on a bad path (a programming error).
 */
struct jscan_schema *jscan_schema_new(const char *const *paths, size_t n);
void jscan_schema_free(struct jscan_schema *s);

/*
 * Scans LINE (LEN bytes, sentinel after them, see above). Fills SPANS (one
 * per path of S, kstart -1 for those absent) and returns 0 when the line is
 * one JSON object with nothing but blanks (space, tab, CR) around it.
 * Otherwise returns -1 with *WHY a static description ("unterminated
 * string", ...) and *AT the byte offset where the scan stopped.
 */
int jscan_line(const struct jscan_schema *s, const char *line, size_t len, struct jscan_span *spans,
	       const char **why, size_t *at);

#endif
