/* blobcompile.c - compile a checked policy into the kernel's tables (see blob.h). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "blob.h"
#include "buf.h"
#include "names.h"
#include "policy.h"
#include "util.h"

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the policy blob is little-endian; this host is not"
#endif

static struct d4c_str str_add(struct buf *strtab, const char *s, size_t len)
{
	struct d4c_str r = { (__u32)strtab->len, (__u32)len };

	buf_add(strtab, s, len);
	buf_add(strtab, "", 1);
	return r;
}

/* One path or name pattern of one selector, before merging. */
struct pat {
	unsigned type;
	const char *s;
	size_t len;
	unsigned kind; /* 0 exact, 1 children or prefix, 2 descendants */
	unsigned bit;
};

static int cmp_pat(const void *a, const void *b)
{
	const struct pat *x = a, *y = b;
	size_t l = x->len < y->len ? x->len : y->len;
	int c;

	if (x->type != y->type)
		return x->type < y->type ? -1 : 1;
	c = memcmp(x->s, y->s, l);
	if (c)
		return c;
	return x->len < y->len ? -1 : x->len > y->len;
}

static struct pat path_pat(unsigned type, const char *v, unsigned bit)
{
	size_t len = strlen(v);
	struct pat p = { type, v, len, 0, bit };

	if (len >= 3 && !strcmp(v + len - 3, "/**"))
		p.kind = 2;
	else if (len >= 2 && !strcmp(v + len - 2, "/*"))
		p.kind = 1;
	p.len = policy_path_key(v, len, &p.s);
	return p;
}

struct sec {
	unsigned id;
	struct buf data;
	size_t count;
};

/* Whether only the selectors that list OP match it: readFile, which D4C
 * does not have, so that a selector without operation written for D4C
 * keeps meaning what it meant there. */
static int op_only_listed(unsigned type, unsigned op)
{
	return type == D4C_TYPE_FILE && op == D4C_OP_READ_FILE;
}

/* What blob_compile builds up: the sections, and the patterns that become
 * the path and name tables once sorted. */
struct compiler {
	struct sec secs[D4C_SEC_MAX];
	struct d4c_type_masks tm[D4C_NTYPES];
	struct pat *paths, *names;
	size_t npaths, nnames, cap_paths, cap_names;
	size_t nsel_total; /* selectors of every type so far: the index of the next one */
};

static struct sec *sec_of(struct compiler *cc, unsigned id)
{
	return &cc->secs[id - 1];
}

static void sec_add(struct compiler *cc, unsigned id, const void *entry, size_t size)
{
	buf_add(&sec_of(cc, id)->data, entry, size);
	sec_of(cc, id)->count++;
}

static struct d4c_str strtab_add(struct compiler *cc, const char *s, size_t len)
{
	return str_add(&sec_of(cc, D4C_SEC_STRTAB)->data, s, len);
}

static void pat_add(struct pat **v, size_t *n, size_t *cap, struct pat p)
{
	if (*n == *cap) {
		*cap = *cap ? 2 * *cap : 64;
		*v = xrealloc(*v, *cap * sizeof(**v));
	}
	(*v)[(*n)++] = p;
}

/* The type's masks of the selector's operations and flag conditions. */
static void selector_masks(struct d4c_type_masks *tm, unsigned t, const struct pol_selector *s,
			   struct d4c_selector *ds)
{
	__u64 bit = 1ull << s->bit;

	tm->all |= bit;
	for (unsigned op = 0; op < D4C_MAX_OPS; op++)
		if (d4c_op_name(t, op) &&
		    (s->ops & (1u << op) || (!s->ops && !op_only_listed(t, op))))
			tm->op[op] |= bit;
	if (s->cond[PC_INTERACTIVE].present) {
		int b = s->cond[PC_INTERACTIVE].b;

		ds->flags |= b ? D4C_SEL_INTERACTIVE_TRUE : D4C_SEL_INTERACTIVE_FALSE;
		tm->interactive[b] |= bit;
	} else {
		tm->interactive[0] |= bit;
		tm->interactive[1] |= bit;
	}
	if (s->cond[PC_IGNORE_MOUNTS].present && s->cond[PC_IGNORE_MOUNTS].b) {
		ds->flags |= D4C_SEL_IGNORE_MOUNTS;
		tm->ignore_mounts |= bit;
	}
	if (s->cond[PC_IGNORE_FILES].present && s->cond[PC_IGNORE_FILES].b) {
		ds->flags |= D4C_SEL_IGNORE_FILES;
		tm->ignore_files |= bit;
	}
}

/* The selector's path patterns, for the path table. */
static void selector_paths(struct compiler *cc, unsigned t, const struct pol_selector *s,
			   struct d4c_selector *ds)
{
	const struct pol_cond_val *cv =
		&s->cond[t == D4C_TYPE_FILE ? PC_TARGET_FILE_PATH : PC_PROCESS_EXECUTABLE];

	if (!cv->present) {
		cc->tm[t].no_path |= 1ull << s->bit;
		return;
	}
	ds->flags |= D4C_SEL_HAS_PATH;
	for (size_t j = 0; j < cv->n; j++) {
		/* Longer than a kernel key: never matches (the checker
		 * warned), so no entry. */
		if (cv->v[j].len > D4C_MAX_PATH)
			continue;
		pat_add(&cc->paths, &cc->npaths, &cc->cap_paths, path_pat(t, cv->v[j].s, s->bit));
	}
}

/* The selector's process names, for the name table. */
static void selector_names(struct compiler *cc, unsigned t, const struct pol_selector *s,
			   struct d4c_selector *ds)
{
	const struct pol_cond_val *cv = &s->cond[PC_PROCESS_NAME];

	if (!cv->present) {
		cc->tm[t].no_name |= 1ull << s->bit;
		return;
	}
	ds->flags |= D4C_SEL_HAS_NAME;
	for (size_t j = 0; j < cv->n; j++) {
		const struct pol_value *v = &cv->v[j];
		int prefix = v->len && v->s[v->len - 1] == '*';

		pat_add(&cc->names, &cc->nnames, &cc->cap_names,
			(struct pat){ t, v->s, v->len - prefix, (unsigned)prefix, s->bit });
	}
}

/* The selector's container conditions, one entry per value. */
static void selector_cconds(struct compiler *cc, unsigned t, const struct pol_selector *s,
			    struct d4c_selector *ds)
{
	int has_container = 0;

	for (int ci = 0; ci < PC_NCONDS; ci++) {
		unsigned key = pol_cond_ckey((enum pol_cond)ci);

		if (!key || !s->cond[ci].present)
			continue;
		has_container = 1;
		for (size_t j = 0; j < s->cond[ci].n; j++) {
			const struct pol_value *v = &s->cond[ci].v[j];
			int prefix = v->len && v->s[v->len - 1] == '*';
			struct d4c_ccond c = { 0 };

			c.value = strtab_add(cc, v->s, v->len - prefix);
			c.selector = (__u32)cc->nsel_total;
			c.key = key;
			c.flags = prefix ? D4C_CV_PREFIX : 0;
			sec_add(cc, D4C_SEC_CCONDS, &c, sizeof(c));
			ds->nccond++;
		}
	}
	if (!has_container)
		cc->tm[t].no_container |= 1ull << s->bit;
}

static void compile_selector(struct compiler *cc, unsigned t, const struct pol_selector *s)
{
	struct d4c_selector ds = { 0 };

	ds.name = strtab_add(cc, s->name, strlen(s->name));
	ds.type = t;
	ds.bit = s->bit;
	ds.ops = s->ops;
	ds.first_ccond = (__u32)sec_of(cc, D4C_SEC_CCONDS)->count;
	selector_masks(&cc->tm[t], t, s, &ds);
	selector_paths(cc, t, s, &ds);
	selector_names(cc, t, s, &ds);
	selector_cconds(cc, t, s, &ds);
	sec_add(cc, D4C_SEC_SELECTORS, &ds, sizeof(ds));
	cc->nsel_total++;
}

/* The selectors and responses of type T, and its masks. */
static void compile_type(struct compiler *cc, unsigned t, const struct pol_type *pt)
{
	struct d4c_type_masks *tm = &cc->tm[t];

	tm->first_selector = (__u32)cc->nsel_total;
	tm->nselectors = (__u32)pt->nsel;
	tm->first_response = (__u32)sec_of(cc, D4C_SEC_RESPONSES)->count;
	tm->nresponses = (__u32)pt->nresp;
	for (size_t i = 0; i < pt->nsel; i++)
		compile_selector(cc, t, &pt->sel[i]);
	for (size_t i = 0; i < pt->nresp; i++) {
		struct d4c_response r = { 0 };

		r.type = t;
		r.actions = pt->resp[i].actions;
		r.match = pt->resp[i].match;
		r.exclude = pt->resp[i].exclude;
		sec_add(cc, D4C_SEC_RESPONSES, &r, sizeof(r));
	}
}

/* Sorted tables make the blob independent of hash order and let the
 * reference matcher binary-search what the kernel hashes: one entry per
 * distinct (type, path), with the bits of every selector naming it. */
static void compile_paths(struct compiler *cc)
{
	struct pat *paths = cc->paths;
	size_t n = cc->npaths;

	if (n)
		qsort(paths, n, sizeof(*paths), cmp_pat);
	for (size_t i = 0, j; i < n; i = j) {
		struct d4c_path e = { 0 };

		e.path = strtab_add(cc, paths[i].s, paths[i].len);
		e.type = paths[i].type;
		for (j = i; j < n && !cmp_pat(&paths[i], &paths[j]); j++) {
			__u64 bit = 1ull << paths[j].bit;

			if (paths[j].kind == 0)
				e.exact |= bit;
			else if (paths[j].kind == 1)
				e.children |= bit;
			else
				e.descendants |= bit;
		}
		sec_add(cc, D4C_SEC_PATHS, &e, sizeof(e));
	}
}

/* The name table, sorted like the path table. */
static void compile_names(struct compiler *cc)
{
	struct pat *names = cc->names;
	size_t n = cc->nnames;

	if (n)
		qsort(names, n, sizeof(*names), cmp_pat);
	for (size_t i = 0, j; i < n; i = j) {
		struct d4c_name e = { 0 };

		e.name = strtab_add(cc, names[i].s, names[i].len);
		for (j = i; j < n && !cmp_pat(&names[i], &names[j]); j++) {
			if (names[j].kind)
				e.prefix |= 1ull << names[j].bit;
			else
				e.exact |= 1ull << names[j].bit;
		}
		sec_add(cc, D4C_SEC_NAMES, &e, sizeof(e));
	}
}

/* Returns 0, or -1 with an error printed when a table exceeds the format's limit. */
static int check_limits(struct compiler *cc)
{
	size_t paths = sec_of(cc, D4C_SEC_PATHS)->count, names = sec_of(cc, D4C_SEC_NAMES)->count;
	size_t cconds = sec_of(cc, D4C_SEC_CCONDS)->count;
	size_t strtab = sec_of(cc, D4C_SEC_STRTAB)->count;

	if (paths > D4C_MAX_PATH_ENTRIES)
		return error("policy has %zu distinct paths (at most %d)", paths,
			     D4C_MAX_PATH_ENTRIES);
	if (names > D4C_MAX_NAME_ENTRIES)
		return error("policy has %zu distinct process names (at most %d)", names,
			     D4C_MAX_NAME_ENTRIES);
	if (cconds > D4C_MAX_CCONDS)
		return error("policy has %zu container condition values (at most %d)", cconds,
			     D4C_MAX_CCONDS);
	if (strtab > D4C_MAX_STRTAB)
		return error("policy strings take %zu bytes (at most %u)", strtab, D4C_MAX_STRTAB);
	return 0;
}

/* The blob: header, table of contents, the sections 8-byte aligned, and
 * the checksum over it all. */
static void assemble(struct compiler *cc, const struct policy *p, uint64_t revision,
		     struct buf *blob)
{
	struct d4c_policy_header hdr;
	struct d4c_policy_header *h;
	size_t off;

	memset(&hdr, 0, sizeof(hdr));
	hdr.magic = D4C_POLICY_MAGIC;
	hdr.version = D4C_POLICY_VERSION;
	hdr.header_size = sizeof(hdr);
	hdr.revision = revision;
	hdr.nsections = D4C_SEC_MAX;
	memcpy(hdr.digest, p->digest, sizeof(hdr.digest));
	buf_add(blob, &hdr, sizeof(hdr));
	off = buf_zero(blob, D4C_SEC_MAX * sizeof(struct d4c_section));
	for (unsigned i = 0; i < D4C_SEC_MAX; i++) {
		struct d4c_section s = { 0 };

		buf_zero(blob, (8 - blob->len % 8) % 8);
		s.id = cc->secs[i].id;
		s.offset = (__u32)blob->len;
		s.size = (__u32)cc->secs[i].data.len;
		s.count = (__u32)cc->secs[i].count;
		if (cc->secs[i].data.len) /* else data.p is NULL: no memcpy from it */
			buf_add(blob, cc->secs[i].data.p, cc->secs[i].data.len);
		memcpy(blob->p + off + i * sizeof(s), &s, sizeof(s));
	}
	h = (struct d4c_policy_header *)blob->p;
	h->total_size = (__u32)blob->len;
	blob_checksum(blob->p, blob->len, h->checksum);
}

int blob_compile(const struct policy *p, uint64_t revision, unsigned char **out, size_t *outlen)
{
	struct compiler cc;
	struct buf blob = { 0 };
	int err;

	memset(&cc, 0, sizeof(cc));
	for (unsigned i = 0; i < D4C_SEC_MAX; i++)
		cc.secs[i].id = i + 1;
	/* Offset 0 of the string table is the empty string. */
	buf_add(&sec_of(&cc, D4C_SEC_STRTAB)->data, "", 1);

	for (unsigned t = 0; t < D4C_NTYPES; t++)
		compile_type(&cc, t, &p->t[t]);
	buf_add(&sec_of(&cc, D4C_SEC_TYPES)->data, cc.tm, sizeof(cc.tm));
	sec_of(&cc, D4C_SEC_TYPES)->count = D4C_NTYPES;
	compile_paths(&cc);
	compile_names(&cc);
	sec_of(&cc, D4C_SEC_STRTAB)->count = sec_of(&cc, D4C_SEC_STRTAB)->data.len;

	err = check_limits(&cc);
	if (!err) {
		assemble(&cc, p, revision, &blob);
		*out = (unsigned char *)buf_steal(&blob, outlen);
	}
	for (unsigned i = 0; i < D4C_SEC_MAX; i++)
		buf_free(&cc.secs[i].data);
	free(cc.paths);
	free(cc.names);
	return err;
}
