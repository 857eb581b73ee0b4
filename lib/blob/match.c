/* match.c - the reference matcher (see match.h). */
#include "config.h"

#include <string.h>

#include "imageref.h"
#include "match.h"
#include "names.h"

static int value_matches(const char *have, const char *want, size_t wlen, unsigned flags)
{
	if (!have)
		return 0;
	if (flags & D4C_CV_PREFIX)
		return strncmp(have, want, wlen) == 0;
	return strcmp(have, want) == 0;
}

static const char *ctx_value(const struct d4c_container *ct, unsigned key)
{
	switch (key) {
	case D4C_CK_IMAGE_FULL_NAME:
		return ct->image_full_name;
	case D4C_CK_IMAGE_NAME:
		return ct->image_name;
	case D4C_CK_IMAGE_TAG:
		return ct->image_tag;
	case D4C_CK_CLUSTER_ID:
		return ct->cluster_id;
	case D4C_CK_CLUSTER_NAME:
		return ct->cluster_name;
	case D4C_CK_NAMESPACE:
		return ct->namespace;
	case D4C_CK_POD_NAME:
		return ct->pod_name;
	}
	return NULL;
}

static int full_name_matches(const char *have, const char *want, size_t wlen)
{
	const char *h, *w;
	size_t hl, wl;

	if (!have)
		return 0;
	if (!strcmp(have, want))
		return 1;
	h = image_ref_official(have, strlen(have), &hl);
	w = image_ref_official(want, wlen, &wl);
	return h && w && hl == wl && !memcmp(h, w, hl);
}

/* Does one condition value match the container? */
static int ccond_matches(const struct blob *b, const struct d4c_ccond *c,
			 const struct d4c_container *ct)
{
	const char *want = blob_str(b, c->value);

	if (c->key == D4C_CK_POD_LABEL) {
		for (size_t i = 0; i < ct->nlabels; i++)
			if (value_matches(ct->labels[i], want, c->value.len, c->flags))
				return 1;
		return 0;
	}
	if (c->key == D4C_CK_IMAGE_FULL_NAME)
		return full_name_matches(ct->image_full_name, want, c->value.len);
	return value_matches(ctx_value(ct, c->key), want, c->value.len, c->flags);
}

uint64_t match_container_mask(const struct blob *b, unsigned type, const struct d4c_container *ct)
{
	const struct d4c_type_masks *tm = &b->types[type];
	uint64_t mask = tm->no_container;

	if (!ct)
		return mask;
	for (unsigned i = 0; i < tm->nselectors; i++) {
		const struct d4c_selector *s = &b->sel[tm->first_selector + i];
		unsigned need = 0, have = 0;

		if (!s->nccond)
			continue;
		/* Values of one key are ORed, keys are ANDed. */
		for (unsigned k = 0; k < s->nccond; k++) {
			const struct d4c_ccond *c = &b->cconds[s->first_ccond + k];

			need |= 1u << c->key;
			if (ccond_matches(b, c, ct))
				have |= 1u << c->key;
		}
		if (need == have)
			mask |= 1ull << i;
	}
	return mask;
}

static const struct d4c_path *find_path(const struct blob *b, unsigned type, const char *s,
					size_t len)
{
	size_t lo = 0, hi = b->npaths;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct d4c_path *p = &b->paths[mid];
		size_t l = p->path.len < len ? p->path.len : len;
		int c = p->type != type ? (p->type < type ? -1 : 1) :
					  memcmp(blob_str(b, p->path), s, l);

		if (!c && p->type == type)
			c = p->path.len < len ? -1 : p->path.len > len;
		if (!c)
			return p;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static const struct d4c_name *find_name(const struct blob *b, const char *s, size_t len)
{
	size_t lo = 0, hi = b->nnames;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct d4c_name *n = &b->names[mid];
		size_t l = n->name.len < len ? n->name.len : len;
		int c = memcmp(blob_str(b, n->name), s, l);

		if (!c)
			c = n->name.len < len ? -1 : n->name.len > len;
		if (!c)
			return n;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* One lookup per path component: exact, children of the parent, and
 * descendants of every proper ancestor. */
static uint64_t path_mask(const struct blob *b, unsigned type, const char *path)
{
	const struct d4c_type_masks *tm = &b->types[type];
	uint64_t mask = tm->no_path;
	const struct d4c_path *e;
	size_t len;

	if (!path || path[0] != '/')
		return mask;
	len = strlen(path);
	if (len > 1 && path[len - 1] == '/')
		len--;
	e = find_path(b, type, path, len);
	if (e)
		mask |= e->exact;
	if (len == 1) /* "/" itself has no parent */
		return mask;
	for (size_t i = len; i-- > 0;) {
		if (path[i] != '/')
			continue;
		e = find_path(b, type, path, i ? i : 1);
		if (e) {
			mask |= e->descendants;
			if (!memchr(path + i + 1, '/', len - i - 1))
				mask |= e->children;
		}
	}
	return mask;
}

static uint64_t name_mask(const struct blob *b, const char *name)
{
	const struct d4c_type_masks *tm = &b->types[D4C_TYPE_PROCESS];
	uint64_t mask = tm->no_name;
	const struct d4c_name *e;
	size_t len;

	if (!name)
		return mask;
	/* The kernel only ever sees the first 15 bytes (TASK_COMM_LEN - 1). */
	len = strnlen(name, D4C_MAX_COMM);
	e = find_name(b, name, len);
	if (e)
		mask |= e->exact;
	for (size_t k = 0; k <= len; k++) {
		e = find_name(b, name, k);
		if (e)
			mask |= e->prefix;
	}
	return mask;
}

uint64_t match_op_mask(const struct blob *b, unsigned type, unsigned op)
{
	const struct d4c_type_masks *tm = &b->types[type];
	uint64_t mask = tm->op[op];

	if (type == D4C_TYPE_FILE && op == D4C_OP_CREATE_EXECUTABLE)
		mask |= tm->op[D4C_OP_CREATE_FILE];
	if (type == D4C_TYPE_FILE && op == D4C_OP_MODIFY_EXECUTABLE)
		mask |= tm->op[D4C_OP_MODIFY_FILE];
	return mask;
}

int match_event_cmask(const struct blob *b, const struct d4c_event *e, uint64_t cmask,
		      struct d4c_verdict *v)
{
	const struct d4c_type_masks *tm;
	uint64_t m;

	v->selectors = 0;
	v->actions = 0;
	if (e->type >= D4C_NTYPES || e->op >= D4C_MAX_OPS || !d4c_op_name(e->type, e->op))
		return -1;
	tm = &b->types[e->type];
	m = tm->all & match_op_mask(b, e->type, e->op);
	m &= path_mask(b, e->type, e->path);
	if (e->type == D4C_TYPE_PROCESS) {
		m &= name_mask(b, e->name);
		m &= tm->interactive[!!e->interactive];
	} else {
		if (e->volume_mount)
			m &= ~tm->ignore_mounts;
		if (e->volume_file)
			m &= ~tm->ignore_files;
	}
	m &= cmask;
	v->selectors = m;
	for (unsigned i = 0; i < tm->nresponses; i++) {
		const struct d4c_response *r = &b->resp[tm->first_response + i];

		if ((r->match & m) && !(r->exclude & m))
			v->actions |= r->actions;
	}
	return 0;
}

int match_event(const struct blob *b, const struct d4c_event *e, struct d4c_verdict *v)
{
	if (e->type >= D4C_NTYPES) {
		v->selectors = 0;
		v->actions = 0;
		return -1;
	}
	return match_event_cmask(b, e, match_container_mask(b, e->type, e->container), v);
}
