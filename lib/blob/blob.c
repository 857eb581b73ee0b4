/*
 * blob.c - read a compiled policy: open it with every offset and length
 * checked, and its checksum. Compiling (blobcompile.c, which needs the
 * policy checker) and dumping (blobdump.c, jansson) are apart, so that
 * d4c-load, which only opens blobs, links neither.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blob.h"
#include "names.h"
#include "sha256.h"

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the policy blob is little-endian; this host is not"
#endif

void blob_checksum(const void *buf, size_t len, unsigned char out[32])
{
	static const unsigned char zeros[32];
	const size_t at = offsetof(struct d4c_policy_header, checksum);
	struct sha256_lite c;

	sha256_lite_init(&c);
	sha256_lite_update(&c, buf, at);
	sha256_lite_update(&c, zeros, sizeof(zeros));
	sha256_lite_update(&c, (const unsigned char *)buf + at + 32, len - at - 32);
	sha256_lite_final(&c, out);
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

/* The header of the LEN bytes at BUF. Returns 0, or -1 with the reason in ERR. */
static int check_header(const void *buf, size_t len, unsigned flags, char *err, size_t errlen)
{
	const struct d4c_policy_header *h = buf;
	unsigned char sum[32];

	if ((uintptr_t)buf % 8)
		return fail(err, errlen, "blob buffer is not 8-byte aligned");
	if (len < sizeof(*h))
		return fail(err, errlen, "not a d4c policy blob (%zu bytes, too short)", len);
	if (h->magic != D4C_POLICY_MAGIC)
		return fail(err, errlen, "not a d4c policy blob (bad magic number)");
	if (h->version != D4C_POLICY_VERSION)
		return fail(err, errlen,
			    "blob format version %u is not supported (this build reads %u)",
			    h->version, D4C_POLICY_VERSION);
	if (h->header_size != sizeof(*h))
		return fail(err, errlen, "blob header size %u, expected %zu", h->header_size,
			    sizeof(*h));
	if (h->total_size != len)
		return fail(err, errlen, "blob is %zu bytes but its header says %u (truncated?)",
			    len, h->total_size);
	if (h->flags)
		return fail(err, errlen, "blob has unknown flags 0x%x", h->flags);
	if (!(flags & BLOB_NO_CHECKSUM)) {
		blob_checksum(buf, len, sum);
		if (memcmp(sum, h->checksum, sizeof(sum)))
			return fail(err, errlen, "blob checksum mismatch (corrupted)");
	}
	return 0;
}

/* Where each section of the blob at BUF (LEN bytes, header checked) is:
 * SEC[id] and COUNT[id]. Returns 0, or -1 with the reason in ERR. */
static int find_sections(const void *buf, size_t len, const void *sec[D4C_SEC_MAX + 1],
			 size_t count[D4C_SEC_MAX + 1], char *err, size_t errlen)
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
	const struct d4c_policy_header *h = buf;
	const struct d4c_section *tab;
	size_t tab_end;

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
	return 0;
}

/* The masks, selectors and responses of type T are in bounds and in order. */
static int check_type(const struct blob *b, unsigned t, char *err, size_t errlen)
{
	const struct d4c_type_masks *tm = &b->types[t];
	__u64 all;

	if (tm->nselectors > D4C_MAX_SELECTORS ||
	    tm->nresponses > D4C_MAX_SELECTORS - tm->nselectors || tm->first_selector > b->nsel ||
	    tm->nselectors > b->nsel - tm->first_selector || tm->first_response > b->nresp ||
	    tm->nresponses > b->nresp - tm->first_response)
		return fail(err, errlen, "blob %s table out of bounds", d4c_type_name(t));
	all = all_bits(tm->nselectors);
	if (tm->all != all)
		return fail(err, errlen, "blob %s selector mask is inconsistent", d4c_type_name(t));
	for (unsigned i = 0; i < D4C_MAX_OPS; i++)
		if (tm->op[i] & ~all || (tm->op[i] && !d4c_op_name(t, i)))
			return fail(err, errlen, "blob %s operation mask %u is invalid",
				    d4c_type_name(t), i);
	if ((tm->no_path | tm->no_name | tm->no_container | tm->interactive[0] |
	     tm->interactive[1] | tm->ignore_mounts | tm->ignore_files) &
	    ~all)
		return fail(err, errlen, "blob %s masks name unknown selectors", d4c_type_name(t));
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
	return 0;
}

static int check_selectors(const struct blob *b, char *err, size_t errlen)
{
	for (size_t i = 0; i < b->nsel; i++) {
		const struct d4c_selector *s = &b->sel[i];
		unsigned valid_ops = 0;

		for (unsigned op = 0; op < D4C_MAX_OPS; op++)
			if (d4c_op_name(s->type, op))
				valid_ops |= 1u << op;
		if (!str_ok(b, s->name) || s->name.len == 0 || s->name.len > D4C_MAX_NAME)
			return fail(err, errlen, "blob selector %zu has an invalid name", i);
		if (s->ops & ~valid_ops || s->flags >> 6 || s->first_ccond > b->ncconds ||
		    s->nccond > b->ncconds - s->first_ccond)
			return fail(err, errlen, "blob selector '%s' is invalid",
				    blob_str(b, s->name));
		for (unsigned k = 0; k < s->nccond; k++)
			if (b->cconds[s->first_ccond + k].selector != i)
				return fail(err, errlen,
					    "blob selector '%s' has foreign conditions",
					    blob_str(b, s->name));
	}
	return 0;
}

/* The path, name, container condition and response entries. */
static int check_entries(const struct blob *b, char *err, size_t errlen)
{
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

		if (r->actions == 0 || r->actions & ~7u || r->match == 0 ||
		    (r->match | r->exclude) & ~all)
			return fail(err, errlen, "blob response %zu is invalid", i);
	}
	return 0;
}

int blob_open(const void *buf, size_t len, unsigned flags, struct blob *b, char *err, size_t errlen)
{
	const void *sec[D4C_SEC_MAX + 1] = { 0 };
	size_t count[D4C_SEC_MAX + 1] = { 0 };

	memset(b, 0, sizeof(*b));
	if (check_header(buf, len, flags, err, errlen) ||
	    find_sections(buf, len, sec, count, err, errlen))
		return -1;
	b->base = buf;
	b->len = len;
	b->hdr = buf;
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
	for (unsigned t = 0; t < D4C_NTYPES; t++)
		if (check_type(b, t, err, errlen))
			return -1;
	if (b->types[0].nselectors + (size_t)b->types[1].nselectors != b->nsel ||
	    b->types[0].nresponses + (size_t)b->types[1].nresponses != b->nresp)
		return fail(err, errlen, "blob has selectors or responses of no type");
	if (check_selectors(b, err, errlen))
		return -1;
	return check_entries(b, err, errlen);
}
