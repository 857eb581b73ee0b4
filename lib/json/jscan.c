/*
 * jscan.c - single-pass NDJSON line scanner (see jscan.h).
 *
 * Recursive descent bounded by JSCAN_MAX_DEPTH; strings are walked eight
 * bytes at a time up to the first byte that needs a look (quote, backslash,
 * control character, or beyond ASCII: UTF-8 is checked there), then byte by
 * byte with a class table that relies on the sentinel after the line to
 * stop. Built with JSCAN_BYTEWISE, the walk is byte by byte only: the
 * reference the fuzzer and the unit test compare the fast walk with
 * (t/fuzz/jscan-bytewise.c).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "jescape.h"
#include "jkeys.h"
#include "jscan.h"
#include "util.h"

#define KEY_MAX	  63
#define MAX_NODES (JSCAN_MAX_PATHS * 4 + 1)
/* Room to decode a key written with escapes: with JSCAN_DOTTED_KEYS a key
 * may name several levels, so more than KEY_MAX. */
#define DECODED_MAX 255

struct node {
	char key[KEY_MAX + 1];
	unsigned char klen;
	short first_child, next_sibling;
	short path; /* index in the spans, or -1 */
};

struct jscan_schema {
	struct node n[MAX_NODES];
	int nn;
	int np; /* paths */
	bool dotted;
};

static int child_of(struct jscan_schema *s, int parent, const char *k, size_t len, int create)
{
	for (int c = s->n[parent].first_child; c >= 0; c = s->n[c].next_sibling)
		if (s->n[c].klen == len && !memcmp(s->n[c].key, k, len))
			return c;
	if (!create || s->nn >= MAX_NODES)
		return -1;
	struct node *x = &s->n[s->nn];
	memcpy(x->key, k, len);
	x->key[len] = 0;
	x->klen = len;
	x->first_child = -1;
	x->path = -1;
	x->next_sibling = s->n[parent].first_child;
	s->n[parent].first_child = s->nn;
	return s->nn++;
}

/*
 * The node the key K (LEN bytes, unescaped) leads to from PARENT, or -1:
 * a child by its name or, with dotted keys, the node a key "a.b" names
 * through its dots. Nodes' keys hold no dot, so with or without, a key
 * leads to one node at most.
 */
static int key_node(const struct jscan_schema *s, int parent, const char *k, size_t len)
{
	for (int c = s->n[parent].first_child; c >= 0; c = s->n[c].next_sibling) {
		const struct node *x = &s->n[c];
		size_t i = 1;

		if (x->klen > len || x->key[0] != k[0])
			continue;
		while (i < x->klen && x->key[i] == k[i]) /* short keys: no call */
			i++;
		if (i < x->klen)
			continue;
		if (x->klen == len)
			return c;
		if (s->dotted && k[x->klen] == '.')
			return key_node(s, c, k + x->klen + 1, len - x->klen - 1);
	}
	return -1;
}

struct jscan_schema *jscan_schema_new(const char *const *paths, size_t n, unsigned flags)
{
	struct jscan_schema *s;

	if (n > JSCAN_MAX_PATHS)
		return NULL;
	s = xcalloc(1, sizeof(*s));
	s->n[0].first_child = s->n[0].next_sibling = -1;
	s->n[0].path = -1;
	s->nn = 1;
	for (size_t i = 0; i < n; i++) {
		const char *p = paths[i];
		int cur = 0;

		while (*p) {
			const char *dot = strchr(p, '.');
			size_t len = dot ? (size_t)(dot - p) : strlen(p);

			if (!len || len > KEY_MAX || (cur = child_of(s, cur, p, len, 1)) < 0) {
				free(s);
				return NULL;
			}
			p += len + (dot != NULL);
		}
		s->n[cur].path = i;
	}
	s->np = n;
	s->dotted = flags & JSCAN_DOTTED_KEYS;
	return s;
}

void jscan_schema_free(struct jscan_schema *s)
{
	free(s);
}

/* 0 plain, 1 quote, 2 backslash, 3 control (the sentinel too), 4 not ASCII */
static const unsigned char cls[256] = {
	[0 ... 31] = 3,
	['"'] = 1,
	['\\'] = 2,
	[128 ... 255] = 4,
};

struct st {
	const unsigned char *base, *p, *end;
	const struct jscan_schema *s;
	struct jscan_span *sp;
	const char *why;
	int depth;
	int escaped; /* the last string had a backslash */
	struct jkeys *keys; /* of the objects open: duplicates make a line invalid */
};

static inline void ws(struct st *t)
{
	/* one test for the usual case: no blank at all */
	while (*t->p <= ' ' && (*t->p == ' ' || *t->p == '\t' || *t->p == '\r'))
		t->p++;
}

static inline int cont(unsigned char c)
{
	return (c & 0xc0) == 0x80;
}

static int fail(struct st *t, const char *why)
{
	t->why = why;
	return -1;
}

static int hex(unsigned char c)
{
	return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}

/*
 * The bytes of V (eight of a string, little endian) that stop the fast walk
 * ('"', '\\', below 0x20, from 0x80 up), as 0x80 in each such byte and 0
 * elsewhere. Exact per byte (no borrow runs from one byte into the next),
 * so the first is found by counting trailing zeros: no byte is looked at
 * twice. Faster on recorded events than stopping at the first word with
 * any such byte and walking it again byte by byte.
 */
static inline uint64_t stop8(uint64_t v)
{
	const uint64_t ones = 0x0101010101010101ull, low7 = 0x7f7f7f7f7f7f7f7full;
	uint64_t q = v ^ (ones * '"'), b = v ^ (ones * '\\'), c = v & (ones * 0xe0);

#define ZERO_BYTES(y) (~((((y)&low7) + low7) | (y) | low7))
	return ZERO_BYTES(q) | ZERO_BYTES(b) | ZERO_BYTES(c) | (v & ~low7);
#undef ZERO_BYTES
}

/* At the opening quote; leaves P after the closing one. */
static inline __attribute__((always_inline)) int string(struct st *t)
{
	const unsigned char *p = t->p + 1;

	for (;;) {
		unsigned char c;

		c = 0;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ && !defined(JSCAN_BYTEWISE)
		while (t->end - p >= 8) {
			uint64_t v, stop;

			memcpy(&v, p, 8);
			stop = stop8(v);
			if (stop) {
				unsigned bit = __builtin_ctzll(stop);

				/* the byte from V: no load that waits for P */
				p += bit / 8;
				c = v >> (bit & ~7u);
				break;
			}
			p += 8;
		}
#endif
		if (!c) { /* or a NUL byte, found again at once */
			while (!cls[*p])
				p++;
			c = *p;
		}
		if (c == '"') { /* most strings end at the first stop */
			t->p = p + 1;
			return 0;
		}
		switch (cls[c]) {
		case 2:
			t->escaped = 1;
			c = p[1];
			if (c == 'u') {
				if (!(hex(p[2]) && hex(p[3]) && hex(p[4]) && hex(p[5]))) {
					t->p = p;
					return fail(t, "bad \\u escape");
				}
				p += 6;
			} else if (c == '"' || c == '\\' || c == '/' || c == 'b' || c == 'f' ||
				   c == 'n' || c == 'r' || c == 't') {
				p += 2;
			} else {
				t->p = p;
				return fail(t, "bad escape");
			}
			break;
		case 3:
			t->p = p;
			return fail(t, p >= t->end ? "unterminated string" :
						     "control character in string");
		default:
			if (c >= 0xc2 && c <= 0xdf && cont(p[1]))
				p += 2;
			else if (((c == 0xe0 && p[1] >= 0xa0 && p[1] <= 0xbf) ||
				  (c >= 0xe1 && c <= 0xec && cont(p[1])) ||
				  (c == 0xed && p[1] >= 0x80 && p[1] <= 0x9f) ||
				  (c >= 0xee && c <= 0xef && cont(p[1]))) &&
				 cont(p[2]))
				p += 3;
			else if (((c == 0xf0 && p[1] >= 0x90 && p[1] <= 0xbf) ||
				  (c >= 0xf1 && c <= 0xf3 && cont(p[1])) ||
				  (c == 0xf4 && p[1] >= 0x80 && p[1] <= 0x8f)) &&
				 cont(p[2]) && cont(p[3]))
				p += 4;
			else {
				t->p = p;
				return fail(t, "invalid UTF-8 in string");
			}
		}
	}
}

static int digits(struct st *t)
{
	if (*t->p < '0' || *t->p > '9')
		return fail(t, "bad number");
	while (*t->p >= '0' && *t->p <= '9')
		t->p++;
	return 0;
}

static int number(struct st *t)
{
	if (*t->p == '-')
		t->p++;
	if (*t->p == '0')
		t->p++;
	else if (digits(t))
		return -1;
	if (*t->p == '.') {
		t->p++;
		if (digits(t))
			return -1;
	}
	if (*t->p == 'e' || *t->p == 'E') {
		t->p++;
		if (*t->p == '+' || *t->p == '-')
			t->p++;
		if (digits(t))
			return -1;
	}
	return 0;
}

static int literal(struct st *t, const char *w)
{
	const unsigned char *p = t->p;

	for (; *w; w++, p++)
		if (*p != (unsigned char)*w)
			return fail(t, "bad literal");
	t->p = p;
	return 0;
}

static int value(struct st *t, int node, uint32_t *nmembers);

/*
 * Decodes the escapes of a key (already checked) into OUT, so that
 * "h\u006fst" is "host" as any JSON reader sees it. Keys of the schema are
 * ASCII: a key longer than DECODED_MAX or with a character beyond ASCII
 * cannot lead to one. Returns the length, or -1 for such a key.
 */
static int unescape_key(const char *k, size_t n, char *out)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = k[i];

		if (o == DECODED_MAX || c >= 0x80)
			return -1;
		if (c == '\\' && k[i + 1] == 'u') {
			unsigned v = json_hex4((const unsigned char *)k + i + 2);

			if (v >= 0x80)
				return -1;
			c = v;
			i += 5;
		} else if (c == '\\') {
			c = json_unescape_char(k[++i]);
		}
		out[o++] = c;
	}
	return o;
}

static int object(struct st *t, int node, uint32_t *nmembers)
{
	uint32_t n = 0;
	struct jkeys_frame kf;

	if (++t->depth > JSCAN_MAX_DEPTH)
		return fail(t, "nested too deep");
	jkeys_open(t->keys, &kf);
	t->p++;
	ws(t);
	if (*t->p == '}') {
		t->p++;
		goto out;
	}
	for (;;) {
		const unsigned char *k = t->p;
		int child = -1;
		uint32_t nm = 0;
		const unsigned char *v;

		if (*k != '"')
			return fail(t, "expected a key");
		t->escaped = 0;
		if (string(t))
			return -1;
		if (jkeys_add(t->keys, &kf, (const char *)k + 1, t->p - k - 2, t->escaped)) {
			t->p = k;
			return fail(t, "duplicate key");
		}
		if (node >= 0) {
			const char *kb = (const char *)k + 1;
			int kl = t->p - k - 2;
			char dec[DECODED_MAX];

			if (t->escaped) {
				kl = unescape_key(kb, kl, dec);
				kb = dec;
			}
			if (kl > 0)
				child = key_node(t->s, node, kb, kl);
		}
		ws(t);
		if (*t->p != ':')
			return fail(t, "expected ':'");
		t->p++;
		ws(t);
		v = t->p;
		if (*v == '"' ? string(t) : value(t, child, &nm))
			return -1;
		if (child >= 0 && t->s->n[child].path >= 0 &&
		    t->sp[t->s->n[child].path].kstart < 0) {
			struct jscan_span *sp = &t->sp[t->s->n[child].path];

			sp->kstart = k - t->base;
			sp->vstart = v - t->base;
			sp->vend = t->p - t->base;
			sp->nmembers = nm;
			sp->type = (*v == '-' || (*v >= '0' && *v <= '9')) ? '0' : (char)*v;
		}
		n++;
		ws(t);
		if (*t->p == ',') {
			t->p++;
			ws(t);
			continue;
		}
		if (*t->p == '}') {
			if (jkeys_close(t->keys, &kf))
				return fail(t, "duplicate key");
			t->p++;
			break;
		}
		return fail(t, "expected ',' or '}'");
	}
out:
	t->depth--;
	*nmembers = n;
	return 0;
}

static int array(struct st *t)
{
	uint32_t nm;

	if (++t->depth > JSCAN_MAX_DEPTH)
		return fail(t, "nested too deep");
	t->p++;
	ws(t);
	if (*t->p == ']') {
		t->p++;
		goto out;
	}
	for (;;) {
		if (*t->p == '"' ? string(t) : value(t, -1, &nm))
			return -1;
		ws(t);
		if (*t->p == ',') {
			t->p++;
			ws(t);
			continue;
		}
		if (*t->p == ']') {
			t->p++;
			break;
		}
		return fail(t, "expected ',' or ']'");
	}
out:
	t->depth--;
	return 0;
}

static int value(struct st *t, int node, uint32_t *nmembers)
{
	switch (*t->p) {
	case '{':
		return object(t, node, nmembers);
	case '[':
		return array(t);
	case '"':
		return string(t);
	case 't':
		return literal(t, "true");
	case 'f':
		return literal(t, "false");
	case 'n':
		return literal(t, "null");
	default:
		if (*t->p == '-' || (*t->p >= '0' && *t->p <= '9'))
			return number(t);
		return fail(t, t->p >= t->end ? "unexpected end of line" : "unexpected character");
	}
}

struct jscan_str jscan_str(const char *line, const struct jscan_span *sp)
{
	struct jscan_str s = { 0 };

	if (sp->kstart < 0 || sp->type != '"')
		return s;
	s.ptr = line + sp->vstart + 1;
	s.len = sp->vend - sp->vstart - 2;
	s.escaped = memchr(s.ptr, '\\', s.len) != NULL;
	return s;
}

int jscan_line(const struct jscan_schema *s, const char *line, size_t len, struct jscan_span *spans,
	       const char **why, size_t *at)
{
	struct jkeys keys;
	struct st t = { .base = (const unsigned char *)line,
			.p = (const unsigned char *)line,
			.end = (const unsigned char *)line + len,
			.s = s,
			.sp = spans,
			.keys = &keys };
	uint32_t nm = 0;

	jkeys_init(&keys);
	for (int i = 0; i < s->np; i++)
		spans[i].kstart = -1;
	ws(&t);
	if (*t.p != '{') {
		t.why = t.p >= t.end ? "empty line" : "not a JSON object";
		goto bad;
	}
	{
		const unsigned char *v = t.p;

		if (object(&t, 0, &nm))
			goto bad;
		if (s->n[0].path >= 0) {
			struct jscan_span *sp = &spans[s->n[0].path];

			sp->kstart = sp->vstart = v - t.base;
			sp->vend = t.p - t.base;
			sp->nmembers = nm;
			sp->type = '{';
		}
	}
	ws(&t);
	if (t.p != t.end) {
		t.why = t.p > t.end ? "unexpected end of line" : "text after the object";
		goto bad;
	}
	jkeys_free(&keys);
	return 0;
bad:
	jkeys_free(&keys);
	if (t.p > t.end)
		t.p = t.end;
	*why = t.why;
	*at = t.p - t.base;
	return -1;
}

/* ---- Whole documents, and the values inside a scanned text (jscan.h) ------ */

static int is_hex4(const unsigned char *p)
{
	/* stops at the first byte that is not hex: never past DOC's NUL */
	return hex(p[0]) && hex(p[1]) && hex(p[2]) && hex(p[3]);
}

/*
 * Overwrites DOC's line breaks outside strings with spaces, and refuses \u
 * escapes for NUL and for half a surrogate pair. Strings are told apart
 * by the rules string() follows, so the scan after sees the same strings;
 * what is malformed is left for it to refuse.
 */
static int unfold(char *doc, size_t len, const char **why, size_t *at)
{
	const unsigned char *d = (const unsigned char *)doc;
	int in = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned v;

		if (!in) {
			if (d[i] == '"')
				in = 1;
			else if (d[i] == '\n')
				doc[i] = ' ';
			continue;
		}
		if (d[i] == '"') {
			in = 0;
			continue;
		}
		if (d[i] != '\\')
			continue;
		if (d[i + 1] != 'u' || !is_hex4(d + i + 2)) {
			i++;
			continue;
		}
		v = json_hex4(d + i + 2);
		if (v >= 0xd800 && v <= 0xdbff && d[i + 6] == '\\' && d[i + 7] == 'u' &&
		    is_hex4(d + i + 8) && json_hex4(d + i + 8) >= 0xdc00 &&
		    json_hex4(d + i + 8) <= 0xdfff) {
			i += 11;
			continue;
		}
		if (v == 0 || (v >= 0xd800 && v <= 0xdfff)) {
			*why = v ? "half a surrogate pair" : "\\u0000 in a string";
			*at = i;
			return -1;
		}
		i += 5;
	}
	return 0;
}

int jscan_doc(char *doc, size_t len, struct jscan_span *root, const char **why, size_t *at)
{
	struct jkeys keys;
	struct st t = { .base = (const unsigned char *)doc,
			.p = (const unsigned char *)doc,
			.end = (const unsigned char *)doc + len,
			.keys = &keys };
	const unsigned char *v;
	uint32_t nm = 0;

	if (unfold(doc, len, why, at))
		return -1;
	jkeys_init(&keys);
	ws(&t);
	v = t.p;
	if (*v != '{' && *v != '[') {
		t.why = t.p >= t.end ? "empty document" : "not a JSON object or array";
		goto bad;
	}
	/* node -1: no schema, nothing recorded but the root */
	if (value(&t, -1, &nm))
		goto bad;
	ws(&t);
	if (t.p != t.end) {
		t.why = t.p > t.end ? "unexpected end of document" : "text after the value";
		goto bad;
	}
	jkeys_free(&keys);
	root->kstart = root->vstart = v - t.base;
	root->vend = t.p - t.base;
	root->nmembers = *v == '{' ? nm : 0;
	root->type = (char)*v;
	return 0;
bad:
	jkeys_free(&keys);
	if (t.p > t.end)
		t.p = t.end;
	*why = t.why;
	*at = t.p - t.base;
	return -1;
}

/* The values below are in checked text: every string is closed, every
 * bracket matched, and END (a span's end) bounds each loop regardless. */

static size_t blanks(const char *t, size_t i, size_t end)
{
	while (i < end && (t[i] == ' ' || t[i] == '\t' || t[i] == '\r' || t[i] == '\n'))
		i++;
	return i;
}

/* Past the string whose opening quote is at I. */
static size_t skip_string(const char *t, size_t i, size_t end)
{
	for (i++; i < end && t[i] != '"'; i++)
		if (t[i] == '\\')
			i++;
	return i + 1;
}

/* Past the value at I; *N: how many members it has when it is an object. */
static size_t skip_value(const char *t, size_t i, size_t end, uint32_t *n)
{
	const char open = t[i];
	int depth = 0;

	*n = 0;
	if (open == '"')
		return skip_string(t, i, end);
	if (open != '{' && open != '[') {
		while (i < end && t[i] != ',' && t[i] != '}' && t[i] != ']' && t[i] != ' ' &&
		       t[i] != '\t' && t[i] != '\r' && t[i] != '\n')
			i++;
		return i;
	}
	for (; i < end; i++) {
		switch (t[i]) {
		case '"':
			i = skip_string(t, i, end) - 1;
			break;
		case '{':
		case '[':
			depth++;
			break;
		case '}':
		case ']':
			if (--depth == 0)
				return i + 1;
			break;
		case ':':
			if (depth == 1 && open == '{')
				(*n)++;
			break;
		}
	}
	return end;
}

int jscan_next(const char *text, const struct jscan_span *span, size_t *pos, struct jscan_span *m)
{
	const struct jscan_span sp = *span; /* M may be SPAN */
	size_t end, i;

	if (sp.kstart < 0 || (sp.type != '{' && sp.type != '['))
		return 0;
	end = sp.vend - 1; /* the closing bracket */
	i = blanks(text, *pos ? *pos : (size_t)sp.vstart + 1, end);
	if (i >= end) {
		*pos = end;
		return 0;
	}
	m->kstart = i;
	if (sp.type == '{') {
		i = blanks(text, skip_string(text, i, end), end);
		i = blanks(text, i + 1, end); /* past ':' */
	}
	m->vstart = i;
	m->type = text[i] == '-' || (text[i] >= '0' && text[i] <= '9') ? '0' : text[i];
	i = skip_value(text, i, end, &m->nmembers);
	m->vend = i;
	i = blanks(text, i, end);
	if (i < end && text[i] == ',')
		i++;
	*pos = i;
	return 1;
}

int jscan_get(const char *text, const struct jscan_span *span, const char *key,
	      struct jscan_span *m)
{
	const struct jscan_span sp = *span; /* M may be SPAN */
	size_t pos = 0, klen = strlen(key);

	if (sp.type == '{')
		while (jscan_next(text, &sp, &pos, m)) {
			const char *k = text + m->kstart + 1;
			size_t raw = skip_string(text, m->kstart, m->vstart) - m->kstart - 2;
			size_t n;
			char *dec;
			int same;

			if (!memchr(k, '\\', raw)) {
				if (raw == klen && !memcmp(k, key, klen))
					return 1;
				continue;
			}
			dec = jscan_strdup(text, m->kstart, klen, &n);
			same = dec && n == klen && !memcmp(dec, key, klen);
			free(dec);
			if (same)
				return 1;
		}
	m->kstart = -1;
	m->type = 0;
	return 0;
}

char *jscan_strdup(const char *text, size_t at, size_t max, size_t *len)
{
	const unsigned char *p = (const unsigned char *)text + at + 1;
	size_t raw = 0, o = 0;
	char *out;

	if (text[at] != '"')
		return NULL;
	while (p[raw] != '"')
		raw += p[raw] == '\\' ? 2 : 1;
	/* escapes only shrink: RAW bytes decode to at most RAW */
	out = xmalloc((raw < max ? raw : max) + 1);
	for (size_t i = 0; i < raw;) {
		char u[4];
		size_t n = 1;
		unsigned v, w;

		if (p[i] != '\\') {
			u[0] = (char)p[i++];
		} else {
			i += 2;
			switch (p[i - 1]) {
			case 'u':
				v = json_hex4(p + i);
				i += 4;
				w = p[i] == '\\' && p[i + 1] == 'u' ? json_hex4(p + i + 2) : 0;
				if (v >= 0xd800 && v <= 0xdbff && w >= 0xdc00 && w <= 0xdfff) {
					v = 0x10000 + ((v - 0xd800) << 10) + (w - 0xdc00);
					i += 6;
				}
				if (v == 0 || (v >= 0xd800 && v <= 0xdfff))
					goto fail;
				n = json_put_utf8((unsigned char *)u, v);
				break;
			default:
				u[0] = (char)json_unescape_char(p[i - 1]);
			}
		}
		if (o + n > max)
			goto fail;
		memcpy(out + o, u, n);
		o += n;
	}
	out[o] = '\0';
	if (len)
		*len = o;
	return out;
fail:
	free(out);
	return NULL;
}
