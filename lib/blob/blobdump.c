/* blobdump.c - an opened blob as JSON, for people, diffs and tests (see blob.h). */
#include "config.h"

#include <string.h>

#include <jansson.h>

#include "blob.h"
#include "names.h"
#include "sha256.h"

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
				json_object_set_new(ops, d4c_op_name(t, op),
						    mask_names(b, t, tm->op[op]));
		json_object_set_new(o, "operation_masks", ops);
		json_object_set_new(root, d4c_type_name(t), o);
	}
	json_object_set_new(root, "path_entries", json_integer((json_int_t)b->npaths));
	json_object_set_new(root, "name_entries", json_integer((json_int_t)b->nnames));
	json_object_set_new(root, "container_conditions", json_integer((json_int_t)b->ncconds));
	return root;
}
