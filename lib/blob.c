/* blob.c - compile a policy into the kernel's tables, and read them back. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blob.h"
#include "sha256.h"
#include "util.h"

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the policy blob is little-endian; this host is not"
#endif

/* A growable byte buffer. */
struct buf {
	unsigned char *p;
	size_t len, cap;
};

static size_t buf_add(struct buf *b, const void *data, size_t len)
{
	size_t off = b->len;

	if (b->len + len > b->cap) {
		while (b->len + len > b->cap)
			b->cap = b->cap ? 2 * b->cap : 4096;
		b->p = xrealloc(b->p, b->cap);
	}
	if (data)
		memcpy(b->p + b->len, data, len);
	else
		memset(b->p + b->len, 0, len);
	b->len += len;
	return off;
}

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

/* Splits a path pattern into the path its table entry is keyed by and a kind. */
static struct pat path_pat(unsigned type, const char *v, unsigned bit)
{
	size_t len = strlen(v);
	struct pat p = { type, v, len, 0, bit };

	if (len >= 3 && !strcmp(v + len - 3, "/**")) {
		p.kind = 2;
		p.len = len - 3;
	} else if (len >= 2 && !strcmp(v + len - 2, "/*")) {
		p.kind = 1;
		p.len = len - 2;
	}
	if (p.len == 0) { /* the root patterns, one or two stars: keyed by "/" */
		p.s = "/";
		p.len = 1;
	}
	return p;
}

struct sec {
	unsigned id;
	struct buf data;
	size_t count;
};

int blob_compile(const struct policy *p, uint64_t revision, unsigned char **out, size_t *outlen)
{
	struct sec secs[D4C_SEC_MAX];
	struct d4c_type_masks tm[D4C_NTYPES];
	struct pat *paths = NULL, *names = NULL;
	size_t npaths = 0, nnames = 0, cap_paths = 0, cap_names = 0, nsel_total = 0;
	struct buf blob = { 0 };
	struct d4c_policy_header hdr;
	size_t off;
	int err = 0;

	memset(secs, 0, sizeof(secs));
	memset(tm, 0, sizeof(tm));
	for (unsigned i = 0; i < D4C_SEC_MAX; i++)
		secs[i].id = i + 1;
#define SEC(id) (&secs[(id)-1])
	/* Offset 0 of the string table is the empty string. */
	buf_add(&SEC(D4C_SEC_STRTAB)->data, "", 1);

	for (unsigned t = 0; t < D4C_NTYPES; t++) {
		const struct pol_type *pt = &p->t[t];

		tm[t].first_selector = (__u32)nsel_total;
		tm[t].nselectors = (__u32)pt->nsel;
		tm[t].first_response = (__u32)SEC(D4C_SEC_RESPONSES)->count;
		tm[t].nresponses = (__u32)pt->nresp;
		for (size_t i = 0; i < pt->nsel; i++, nsel_total++) {
			const struct pol_selector *s = &pt->sel[i];
			__u64 bit = 1ull << s->bit;
			struct d4c_selector ds = { 0 };
			int has_container = 0;
			int pc = t == D4C_TYPE_FILE ? PC_TARGET_FILE_PATH : PC_PROCESS_EXECUTABLE;

			ds.name = str_add(&SEC(D4C_SEC_STRTAB)->data, s->name, strlen(s->name));
			ds.type = t;
			ds.bit = s->bit;
			ds.ops = s->ops;
			ds.first_ccond = (__u32)SEC(D4C_SEC_CCONDS)->count;
			tm[t].all |= bit;
			for (unsigned op = 0; op < D4C_MAX_OPS; op++)
				if (d4c_op_name(t, op) && (!s->ops || (s->ops & (1u << op))))
					tm[t].op[op] |= bit;
			if (s->cond[PC_INTERACTIVE].present) {
				int b = s->cond[PC_INTERACTIVE].b;

				ds.flags |= b ? D4C_SEL_INTERACTIVE_TRUE : D4C_SEL_INTERACTIVE_FALSE;
				tm[t].interactive[b] |= bit;
			} else {
				tm[t].interactive[0] |= bit;
				tm[t].interactive[1] |= bit;
			}
			if (s->cond[PC_IGNORE_MOUNTS].present && s->cond[PC_IGNORE_MOUNTS].b) {
				ds.flags |= D4C_SEL_IGNORE_MOUNTS;
				tm[t].ignore_mounts |= bit;
			}
			if (s->cond[PC_IGNORE_FILES].present && s->cond[PC_IGNORE_FILES].b) {
				ds.flags |= D4C_SEL_IGNORE_FILES;
				tm[t].ignore_files |= bit;
			}
			if (s->cond[pc].present) {
				ds.flags |= D4C_SEL_HAS_PATH;
				for (size_t j = 0; j < s->cond[pc].n; j++) {
					if (npaths == cap_paths) {
						cap_paths = cap_paths ? 2 * cap_paths : 64;
						paths = xrealloc(paths, cap_paths * sizeof(*paths));
					}
					paths[npaths++] = path_pat(t, s->cond[pc].v[j].s, s->bit);
				}
			} else {
				tm[t].no_path |= bit;
			}
			if (s->cond[PC_PROCESS_NAME].present) {
				ds.flags |= D4C_SEL_HAS_NAME;
				for (size_t j = 0; j < s->cond[PC_PROCESS_NAME].n; j++) {
					const struct pol_value *v = &s->cond[PC_PROCESS_NAME].v[j];
					int prefix = v->len && v->s[v->len - 1] == '*';

					if (nnames == cap_names) {
						cap_names = cap_names ? 2 * cap_names : 64;
						names = xrealloc(names, cap_names * sizeof(*names));
					}
					names[nnames++] = (struct pat){ t, v->s, v->len - prefix,
									(unsigned)prefix, s->bit };
				}
			} else {
				tm[t].no_name |= bit;
			}
			for (int ci = 0; ci < PC_NCONDS; ci++) {
				unsigned key = pol_cond_ckey((enum pol_cond)ci);

				if (!key || !s->cond[ci].present)
					continue;
				has_container = 1;
				for (size_t j = 0; j < s->cond[ci].n; j++) {
					const struct pol_value *v = &s->cond[ci].v[j];
					int prefix = v->len && v->s[v->len - 1] == '*';
					struct d4c_ccond cc = { 0 };

					cc.value = str_add(&SEC(D4C_SEC_STRTAB)->data, v->s,
							   v->len - prefix);
					cc.selector = (__u32)nsel_total;
					cc.key = key;
					cc.flags = prefix ? D4C_CV_PREFIX : 0;
					buf_add(&SEC(D4C_SEC_CCONDS)->data, &cc, sizeof(cc));
					SEC(D4C_SEC_CCONDS)->count++;
					ds.nccond++;
				}
			}
			if (!has_container)
				tm[t].no_container |= bit;
			buf_add(&SEC(D4C_SEC_SELECTORS)->data, &ds, sizeof(ds));
			SEC(D4C_SEC_SELECTORS)->count++;
		}
		for (size_t i = 0; i < pt->nresp; i++) {
			struct d4c_response r = { 0 };

			r.type = t;
			r.actions = pt->resp[i].actions;
			r.match = pt->resp[i].match;
			r.exclude = pt->resp[i].exclude;
			buf_add(&SEC(D4C_SEC_RESPONSES)->data, &r, sizeof(r));
			SEC(D4C_SEC_RESPONSES)->count++;
		}
	}
	buf_add(&SEC(D4C_SEC_TYPES)->data, tm, sizeof(tm));
	SEC(D4C_SEC_TYPES)->count = D4C_NTYPES;

	/* Sorted tables make the blob independent of hash order and let the
	 * reference matcher binary-search what the kernel hashes. */
	if (npaths)
		qsort(paths, npaths, sizeof(*paths), cmp_pat);
	for (size_t i = 0; i < npaths;) {
		struct d4c_path e = { 0 };
		size_t j;

		e.path = str_add(&SEC(D4C_SEC_STRTAB)->data, paths[i].s, paths[i].len);
		e.type = paths[i].type;
		for (j = i; j < npaths && !cmp_pat(&paths[i], &paths[j]); j++) {
			__u64 bit = 1ull << paths[j].bit;

			if (paths[j].kind == 0)
				e.exact |= bit;
			else if (paths[j].kind == 1)
				e.children |= bit;
			else
				e.descendants |= bit;
		}
		buf_add(&SEC(D4C_SEC_PATHS)->data, &e, sizeof(e));
		SEC(D4C_SEC_PATHS)->count++;
		i = j;
	}
	if (nnames)
		qsort(names, nnames, sizeof(*names), cmp_pat);
	for (size_t i = 0; i < nnames;) {
		struct d4c_name e = { 0 };
		size_t j;

		e.name = str_add(&SEC(D4C_SEC_STRTAB)->data, names[i].s, names[i].len);
		for (j = i; j < nnames && !cmp_pat(&names[i], &names[j]); j++) {
			if (names[j].kind)
				e.prefix |= 1ull << names[j].bit;
			else
				e.exact |= 1ull << names[j].bit;
		}
		buf_add(&SEC(D4C_SEC_NAMES)->data, &e, sizeof(e));
		SEC(D4C_SEC_NAMES)->count++;
		i = j;
	}
	SEC(D4C_SEC_STRTAB)->count = SEC(D4C_SEC_STRTAB)->data.len;

	if (SEC(D4C_SEC_PATHS)->count > D4C_MAX_PATH_ENTRIES) {
		err = error("policy has %zu distinct paths (at most %d)", SEC(D4C_SEC_PATHS)->count,
			    D4C_MAX_PATH_ENTRIES);
		goto cleanup;
	}
	if (SEC(D4C_SEC_NAMES)->count > D4C_MAX_NAME_ENTRIES) {
		err = error("policy has %zu distinct process names (at most %d)",
			    SEC(D4C_SEC_NAMES)->count, D4C_MAX_NAME_ENTRIES);
		goto cleanup;
	}
	if (SEC(D4C_SEC_CCONDS)->count > D4C_MAX_CCONDS) {
		err = error("policy has %zu container condition values (at most %d)",
			    SEC(D4C_SEC_CCONDS)->count, D4C_MAX_CCONDS);
		goto cleanup;
	}
	if (SEC(D4C_SEC_STRTAB)->count > D4C_MAX_STRTAB) {
		err = error("policy strings take %zu bytes (at most %u)", SEC(D4C_SEC_STRTAB)->count,
			    D4C_MAX_STRTAB);
		goto cleanup;
	}

	memset(&hdr, 0, sizeof(hdr));
	hdr.magic = D4C_POLICY_MAGIC;
	hdr.version = D4C_POLICY_VERSION;
	hdr.header_size = sizeof(hdr);
	hdr.revision = revision;
	hdr.nsections = D4C_SEC_MAX;
	memcpy(hdr.digest, p->digest, sizeof(hdr.digest));
	buf_add(&blob, &hdr, sizeof(hdr));
	off = buf_add(&blob, NULL, D4C_SEC_MAX * sizeof(struct d4c_section));
	for (unsigned i = 0; i < D4C_SEC_MAX; i++) {
		struct d4c_section s = { 0 };

		buf_add(&blob, NULL, (8 - blob.len % 8) % 8);
		s.id = secs[i].id;
		s.offset = (__u32)blob.len;
		s.size = (__u32)secs[i].data.len;
		s.count = (__u32)secs[i].count;
		buf_add(&blob, secs[i].data.p, secs[i].data.len);
		memcpy(blob.p + off + i * sizeof(s), &s, sizeof(s));
	}
	((struct d4c_policy_header *)blob.p)->total_size = (__u32)blob.len;
	blob_checksum(blob.p, blob.len, ((struct d4c_policy_header *)blob.p)->checksum);
	*out = blob.p;
	*outlen = blob.len;
	blob.p = NULL;
cleanup:
	for (unsigned i = 0; i < D4C_SEC_MAX; i++)
		free(secs[i].data.p);
	free(blob.p);
	free(paths);
	free(names);
	return err;
#undef SEC
}

void blob_checksum(const void *buf, size_t len, unsigned char out[32])
{
	static const unsigned char zeros[32];
	const size_t at = offsetof(struct d4c_policy_header, checksum);
	struct sha256_ctx c;

	sha256_init(&c);
	sha256_update(&c, buf, at);
	sha256_update(&c, zeros, sizeof(zeros));
	sha256_update(&c, (const unsigned char *)buf + at + 32, len - at - 32);
	sha256_final(&c, out);
}

__attribute__((format(printf, 3, 4))) static int fail(char *err, size_t errlen, const char *fmt,
						      ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static int str_ok(const struct blob *b, struct d4c_str s)
{
	return s.off < b->strtab_len && s.len < b->strtab_len - s.off &&
	       b->strtab[s.off + s.len] == '\0' && strlen(b->strtab + s.off) == s.len;
}

static __u64 all_bits(size_t n)
{
	return n >= 64 ? ~0ull : (1ull << n) - 1;
}

int blob_open(const void *buf, size_t len, unsigned flags, struct blob *b, char *err,
	      size_t errlen)
{
	static const size_t entsize[D4C_SEC_MAX + 1] = {
		[D4C_SEC_STRTAB] = 1,
		[D4C_SEC_TYPES] = sizeof(struct d4c_type_masks),
		[D4C_SEC_SELECTORS] = sizeof(struct d4c_selector),
		[D4C_SEC_PATHS] = sizeof(struct d4c_path),
		[D4C_SEC_NAMES] = sizeof(struct d4c_name),
		[D4C_SEC_CCONDS] = sizeof(struct d4c_ccond),
		[D4C_SEC_RESPONSES] = sizeof(struct d4c_response),
	};
	const void *sec[D4C_SEC_MAX + 1] = { 0 };
	size_t count[D4C_SEC_MAX + 1] = { 0 };
	const struct d4c_policy_header *h = buf;
	const struct d4c_section *tab;
	unsigned char sum[32];
	size_t tab_end;

	memset(b, 0, sizeof(*b));
	if ((uintptr_t)buf % 8)
		return fail(err, errlen, "blob buffer is not 8-byte aligned");
	if (len < sizeof(*h))
		return fail(err, errlen, "not a d4c policy blob (%zu bytes, too short)", len);
	if (h->magic != D4C_POLICY_MAGIC)
		return fail(err, errlen, "not a d4c policy blob (bad magic number)");
	if (h->version != D4C_POLICY_VERSION)
		return fail(err, errlen, "blob format version %u is not supported (this build reads %u)",
			    h->version, D4C_POLICY_VERSION);
	if (h->header_size != sizeof(*h))
		return fail(err, errlen, "blob header size %u, expected %zu", h->header_size,
			    sizeof(*h));
	if (h->total_size != len)
		return fail(err, errlen, "blob is %zu bytes but its header says %u (truncated?)", len,
			    h->total_size);
	if (h->flags)
		return fail(err, errlen, "blob has unknown flags 0x%x", h->flags);
	if (!(flags & BLOB_NO_CHECKSUM)) {
		blob_checksum(buf, len, sum);
		if (memcmp(sum, h->checksum, sizeof(sum)))
			return fail(err, errlen, "blob checksum mismatch (corrupted)");
	}
	if (h->nsections == 0 || h->nsections > 32)
		return fail(err, errlen, "blob has %u sections", h->nsections);
	tab_end = sizeof(*h) + (size_t)h->nsections * sizeof(*tab);
	if (tab_end > len)
		return fail(err, errlen, "blob section table runs past its end");
	tab = (const void *)(h + 1);
	for (unsigned i = 0; i < h->nsections; i++) {
		const struct d4c_section *s = &tab[i];

		if (s->id < 1 || s->id > D4C_SEC_MAX)
			return fail(err, errlen, "blob section %u has unknown id %u", i, s->id);
		if (sec[s->id])
			return fail(err, errlen, "blob has section %u twice", s->id);
		if (s->offset % 8 || s->offset < tab_end || (size_t)s->offset + s->size > len)
			return fail(err, errlen, "blob section %u out of bounds", s->id);
		if ((__u64)s->count * entsize[s->id] != s->size)
			return fail(err, errlen, "blob section %u: %u entries do not fill %u bytes",
				    s->id, s->count, s->size);
		sec[s->id] = (const unsigned char *)buf + s->offset;
		count[s->id] = s->count;
	}
	for (unsigned id = 1; id <= D4C_SEC_MAX; id++)
		if (!sec[id])
			return fail(err, errlen, "blob lacks section %u", id);
	b->base = buf;
	b->len = len;
	b->hdr = h;
	b->strtab = sec[D4C_SEC_STRTAB];
	b->strtab_len = count[D4C_SEC_STRTAB];
	b->types = sec[D4C_SEC_TYPES];
	b->sel = sec[D4C_SEC_SELECTORS];
	b->nsel = count[D4C_SEC_SELECTORS];
	b->paths = sec[D4C_SEC_PATHS];
	b->npaths = count[D4C_SEC_PATHS];
	b->names = sec[D4C_SEC_NAMES];
	b->nnames = count[D4C_SEC_NAMES];
	b->cconds = sec[D4C_SEC_CCONDS];
	b->ncconds = count[D4C_SEC_CCONDS];
	b->resp = sec[D4C_SEC_RESPONSES];
	b->nresp = count[D4C_SEC_RESPONSES];

	if (b->strtab_len == 0 || b->strtab[b->strtab_len - 1] != '\0')
		return fail(err, errlen, "blob string table is not terminated");
	if (count[D4C_SEC_TYPES] != D4C_NTYPES)
		return fail(err, errlen, "blob has %zu type tables, expected %d",
			    count[D4C_SEC_TYPES], D4C_NTYPES);
	for (unsigned t = 0; t < D4C_NTYPES; t++) {
		const struct d4c_type_masks *tm = &b->types[t];
		__u64 all;

		if (tm->nselectors > D4C_MAX_SELECTORS ||
		    tm->nresponses > D4C_MAX_SELECTORS - tm->nselectors ||
		    tm->first_selector > b->nsel || tm->nselectors > b->nsel - tm->first_selector ||
		    tm->first_response > b->nresp ||
		    tm->nresponses > b->nresp - tm->first_response)
			return fail(err, errlen, "blob %s table out of bounds", d4c_type_name(t));
		all = all_bits(tm->nselectors);
		if (tm->all != all)
			return fail(err, errlen, "blob %s selector mask is inconsistent",
				    d4c_type_name(t));
		for (unsigned i = 0; i < D4C_MAX_OPS; i++)
			if (tm->op[i] & ~all || (tm->op[i] && !d4c_op_name(t, i)))
				return fail(err, errlen, "blob %s operation mask %u is invalid",
					    d4c_type_name(t), i);
		if ((tm->no_path | tm->no_name | tm->no_container | tm->interactive[0] |
		     tm->interactive[1] | tm->ignore_mounts | tm->ignore_files) &
		    ~all)
			return fail(err, errlen, "blob %s masks name unknown selectors",
				    d4c_type_name(t));
		for (unsigned i = 0; i < tm->nselectors; i++) {
			const struct d4c_selector *s = &b->sel[tm->first_selector + i];

			if (s->type != t || s->bit != i)
				return fail(err, errlen, "blob selector %u is out of order",
					    tm->first_selector + i);
		}
		for (unsigned i = 0; i < tm->nresponses; i++)
			if (b->resp[tm->first_response + i].type != t)
				return fail(err, errlen, "blob response %u is out of order",
					    tm->first_response + i);
	}
	if (b->types[0].nselectors + (size_t)b->types[1].nselectors != b->nsel ||
	    b->types[0].nresponses + (size_t)b->types[1].nresponses != b->nresp)
		return fail(err, errlen, "blob has selectors or responses of no type");
	for (size_t i = 0; i < b->nsel; i++) {
		const struct d4c_selector *s = &b->sel[i];
		unsigned valid_ops = 0;

		for (unsigned op = 0; op < D4C_MAX_OPS; op++)
			if (d4c_op_name(s->type, op))
				valid_ops |= 1u << op;
		if (!str_ok(b, s->name) || s->name.len == 0 || s->name.len > D4C_MAX_NAME)
			return fail(err, errlen, "blob selector %zu has an invalid name", i);
		if (s->ops & ~valid_ops || s->flags >> 6 ||
		    s->first_ccond > b->ncconds || s->nccond > b->ncconds - s->first_ccond)
			return fail(err, errlen, "blob selector '%s' is invalid", blob_str(b, s->name));
		for (unsigned k = 0; k < s->nccond; k++)
			if (b->cconds[s->first_ccond + k].selector != i)
				return fail(err, errlen, "blob selector '%s' has foreign conditions",
					    blob_str(b, s->name));
	}
	for (size_t i = 0; i < b->npaths; i++) {
		const struct d4c_path *p = &b->paths[i];

		if (p->type >= D4C_NTYPES || !str_ok(b, p->path) || p->path.len == 0 ||
		    p->path.len > D4C_MAX_PATH || blob_str(b, p->path)[0] != '/' ||
		    (p->exact | p->children | p->descendants) & ~b->types[p->type].all)
			return fail(err, errlen, "blob path entry %zu is invalid", i);
	}
	for (size_t i = 0; i < b->nnames; i++) {
		const struct d4c_name *n = &b->names[i];

		if (!str_ok(b, n->name) || n->name.len > D4C_MAX_COMM ||
		    (n->exact | n->prefix) & ~b->types[D4C_TYPE_PROCESS].all)
			return fail(err, errlen, "blob name entry %zu is invalid", i);
	}
	for (size_t i = 0; i < b->ncconds; i++) {
		const struct d4c_ccond *c = &b->cconds[i];

		if (!str_ok(b, c->value) || c->key < 1 || c->key > D4C_CK_MAX ||
		    c->flags & ~D4C_CV_PREFIX || c->selector >= b->nsel)
			return fail(err, errlen, "blob container condition %zu is invalid", i);
	}
	for (size_t i = 0; i < b->nresp; i++) {
		const struct d4c_response *r = &b->resp[i];
		__u64 all = b->types[r->type].all;

		if (r->actions == 0 || r->actions & ~7u || r->match == 0 || (r->match | r->exclude) & ~all)
			return fail(err, errlen, "blob response %zu is invalid", i);
	}
	return 0;
}

static json_t *mask_names(const struct blob *b, unsigned type, __u64 mask)
{
	const struct d4c_type_masks *tm = &b->types[type];
	json_t *a = json_array();

	for (unsigned i = 0; i < tm->nselectors; i++)
		if (mask & (1ull << i))
			json_array_append_new(
				a, json_string(blob_str(b, b->sel[tm->first_selector + i].name)));
	return a;
}

static json_t *actions_json(unsigned actions)
{
	json_t *a = json_array();

	for (unsigned bit = 1; bit <= D4C_ACTION_BLOCK; bit <<= 1)
		if (actions & bit)
			json_array_append_new(a, json_string(d4c_action_name(bit)));
	return a;
}

static void add_to_list(json_t *obj, const char *key, json_t *val)
{
	json_t *a = json_object_get(obj, key);

	if (!a) {
		a = json_array();
		json_object_set_new(obj, key, a);
	}
	json_array_append_new(a, val);
}

static json_t *selector_json(const struct blob *b, size_t idx)
{
	const struct d4c_selector *s = &b->sel[idx];
	const char *pkey = s->type == D4C_TYPE_FILE ? "targetFilePath" : "processExecutable";
	json_t *o = json_object();
	__u64 bit = 1ull << s->bit;

	json_object_set_new(o, "name", json_string(blob_str(b, s->name)));
	json_object_set_new(o, "bit", json_integer(s->bit));
	if (s->ops) {
		json_t *ops = json_array();

		for (unsigned op = 0; op < D4C_MAX_OPS; op++)
			if (s->ops & (1u << op))
				json_array_append_new(ops, json_string(d4c_op_name(s->type, op)));
		json_object_set_new(o, "operation", ops);
	}
	/* Paths and names live in the lookup tables: put them back together. */
	for (size_t i = 0; i < b->npaths; i++) {
		const struct d4c_path *p = &b->paths[i];
		const char *ps = blob_str(b, p->path);
		const char *base = strcmp(ps, "/") ? ps : "";

		if (p->type != s->type)
			continue;
		if (p->exact & bit)
			add_to_list(o, pkey, json_string(ps));
		if (p->children & bit)
			add_to_list(o, pkey, json_sprintf("%s/*", base));
		if (p->descendants & bit)
			add_to_list(o, pkey, json_sprintf("%s/**", base));
	}
	for (size_t i = 0; s->type == D4C_TYPE_PROCESS && i < b->nnames; i++) {
		const struct d4c_name *n = &b->names[i];

		if (n->exact & bit)
			add_to_list(o, "processName", json_string(blob_str(b, n->name)));
		if (n->prefix & bit)
			add_to_list(o, "processName", json_sprintf("%s*", blob_str(b, n->name)));
	}
	for (unsigned k = 0; k < s->nccond; k++) {
		const struct d4c_ccond *c = &b->cconds[s->first_ccond + k];

		add_to_list(o, d4c_ckey_name(c->key),
			    json_sprintf("%s%s", blob_str(b, c->value),
					 c->flags & D4C_CV_PREFIX ? "*" : ""));
	}
	if (s->flags & (D4C_SEL_INTERACTIVE_TRUE | D4C_SEL_INTERACTIVE_FALSE))
		json_object_set_new(o, "sessionLeaderInteractive",
				    json_boolean(s->flags & D4C_SEL_INTERACTIVE_TRUE));
	if (s->flags & D4C_SEL_IGNORE_MOUNTS)
		json_object_set_new(o, "ignoreVolumeMounts", json_true());
	if (s->flags & D4C_SEL_IGNORE_FILES)
		json_object_set_new(o, "ignoreVolumeFiles", json_true());
	return o;
}

json_t *blob_dump(const struct blob *b)
{
	char hex[65];
	json_t *root = json_object();

	json_object_set_new(root, "format_version", json_integer(b->hdr->version));
	json_object_set_new(root, "revision", json_integer((json_int_t)b->hdr->revision));
	sha256_hex(b->hdr->digest, hex);
	json_object_set_new(root, "digest", json_string(hex));
	sha256_hex(b->hdr->checksum, hex);
	json_object_set_new(root, "checksum", json_string(hex));
	json_object_set_new(root, "size", json_integer((json_int_t)b->len));
	for (unsigned t = 0; t < D4C_NTYPES; t++) {
		const struct d4c_type_masks *tm = &b->types[t];
		json_t *o, *sels, *resps, *ops;

		if (!tm->nselectors)
			continue;
		o = json_object();
		sels = json_array();
		resps = json_array();
		for (unsigned i = 0; i < tm->nselectors; i++)
			json_array_append_new(sels, selector_json(b, tm->first_selector + i));
		for (unsigned i = 0; i < tm->nresponses; i++) {
			const struct d4c_response *r = &b->resp[tm->first_response + i];
			json_t *ro = json_object();

			json_object_set_new(ro, "match", mask_names(b, t, r->match));
			if (r->exclude)
				json_object_set_new(ro, "exclude", mask_names(b, t, r->exclude));
			json_object_set_new(ro, "actions", actions_json(r->actions));
			json_array_append_new(resps, ro);
		}
		json_object_set_new(o, "selectors", sels);
		json_object_set_new(o, "responses", resps);
		ops = json_object();
		for (unsigned op = 0; op < D4C_MAX_OPS; op++)
			if (d4c_op_name(t, op))
				json_object_set_new(ops, d4c_op_name(t, op), mask_names(b, t, tm->op[op]));
		json_object_set_new(o, "operation_masks", ops);
		json_object_set_new(root, d4c_type_name(t), o);
	}
	json_object_set_new(root, "path_entries", json_integer((json_int_t)b->npaths));
	json_object_set_new(root, "name_entries", json_integer((json_int_t)b->nnames));
	json_object_set_new(root, "container_conditions", json_integer((json_int_t)b->ncconds));
	return root;
}
