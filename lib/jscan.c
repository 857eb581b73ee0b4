/*
 * jscan.c - single-pass NDJSON line scanner (see jscan.h).
 *
 * Recursive descent bounded by JSCAN_MAX_DEPTH; strings are skipped with a
 * byte-class table and rely on the sentinel after the line to stop, so the
 * common case (printable ASCII) costs one table load per byte.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "jkeys.h"
#include "jscan.h"
#include "util.h"

#define KEY_MAX	  63
#define MAX_NODES (JSCAN_MAX_PATHS * 4 + 1)

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

struct jscan_schema *jscan_schema_new(const char *const *paths, size_t n)
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
	int escaped;	    /* the last string had a backslash */
	struct jkeys *keys; /* of the objects open: duplicates make a line invalid */
};

static inline void ws(struct st *t)
{
	while (*t->p == ' ' || *t->p == '\t' || *t->p == '\r')
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

/* At the opening quote; leaves P after the closing one. */
static int string(struct st *t)
{
	const unsigned char *p = t->p + 1;

	for (;;) {
		unsigned char c;

		/* eight bytes at a time while none is '"', '\\', a control
		 * character or not ASCII (false alarms only fall back) */
		while (p + 8 <= t->end) {
			uint64_t v, m;

			memcpy(&v, p, 8);
			m = ((v ^ 0x2222222222222222ull) - 0x0101010101010101ull) &
			    ~(v ^ 0x2222222222222222ull);
			m |= ((v ^ 0x5c5c5c5c5c5c5c5cull) - 0x0101010101010101ull) &
			     ~(v ^ 0x5c5c5c5c5c5c5c5cull);
			m |= (v - 0x2020202020202020ull) & ~v;
			m |= v;
			if (m & 0x8080808080808080ull)
				break;
			p += 8;
		}
		while (!cls[*p])
			p++;
		c = *p;
		switch (cls[c]) {
		case 1:
			t->p = p + 1;
			return 0;
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
			return fail(t, p >= t->end ? "unterminated string"
						   : "control character in string");
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

static unsigned hexval(unsigned char c)
{
	return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}

/*
 * Decodes the escapes of a key (already checked) into OUT, so that
 * "h\u006fst" is "host" as any JSON reader sees it. Keys of the schema are
 * ASCII: a key longer than KEY_MAX or with a character beyond ASCII cannot
 * be one, and gets length KEY_MAX + 1 (no match). Returns the length.
 */
static size_t unescape_key(const char *k, size_t n, char *out)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = k[i];

		if (o == KEY_MAX || c >= 0x80)
			return KEY_MAX + 1;
		if (c == '\\') {
			c = k[++i];
			switch (c) {
			case 'b':
				c = '\b';
				break;
			case 'f':
				c = '\f';
				break;
			case 'n':
				c = '\n';
				break;
			case 'r':
				c = '\r';
				break;
			case 't':
				c = '\t';
				break;
			case 'u': {
				unsigned v = hexval(k[i + 1]) << 12 | hexval(k[i + 2]) << 8 |
					     hexval(k[i + 3]) << 4 | hexval(k[i + 4]);

				if (v >= 0x80)
					return KEY_MAX + 1;
				c = v;
				i += 4;
				break;
			}
			default: /* '"', '\\', '/' stand for themselves */
				break;
			}
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
			size_t kl = t->p - k - 2;
			char dec[KEY_MAX + 1];

			if (t->escaped) {
				kl = unescape_key(kb, kl, dec);
				kb = dec;
			}
			child = child_of((struct jscan_schema *)t->s, node, kb, kl, 0);
		}
		ws(t);
		if (*t->p != ':')
			return fail(t, "expected ':'");
		t->p++;
		ws(t);
		v = t->p;
		if (value(t, child, &nm))
			return -1;
		if (child >= 0 && t->s->n[child].path >= 0) {
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
		if (value(t, -1, &nm))
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

int jscan_line(const struct jscan_schema *s, const char *line, size_t len, struct jscan_span *spans,
	       const char **why, size_t *at)
{
	struct jkeys keys;
	struct st t = {.base = (const unsigned char *)line,
		       .p = (const unsigned char *)line,
		       .end = (const unsigned char *)line + len,
		       .s = s,
		       .sp = spans,
		       .keys = &keys};
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
