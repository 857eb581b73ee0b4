/*
 * fuzz-kubelet.c - libFuzzer target for kubelet_parse(), which reads the
 * kubelet's /pods answer: a body that comes over the network, up to 64 MiB.
 * Invariants, abort() when broken:
 *   - NULL comes with a reason, and only for a body that is not JSON or
 *     has no "items" array;
 *   - a snapshot holds exactly the items whose metadata.uid is a string,
 *     sorted by uid, and kubelet_find() finds each of them;
 *   - labels and annotations are JSON arrays of strings (what d4c-enrich
 *     splices into events unchecked), one "key:value" per string member,
 *     keys in order;
 *   - name, namespace and parent type are the strings of the document.
 *
 *   make t/fuzz/fuzz-kubelet && FUZZ_TARGETS=kubelet make fuzz
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "kubelet.h"

static void check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz invariant broken: %s\n", what);
		abort();
	}
}

static int same_str(const char *got, json_t *want)
{
	if (!json_is_string(want))
		return got == NULL;
	return got && strcmp(got, json_string_value(want)) == 0;
}

/* Checks a serialized "key:value" list against the object it came from. */
static void check_kv(const char *list, json_t *obj)
{
	json_error_t je;
	json_t *arr = json_loads(list, JSON_REJECT_DUPLICATES, &je), *v;
	size_t i, nstr = 0;
	const char *k, *prev = NULL;

	check(json_is_array(arr), "labels/annotations are a JSON array");
	if (json_is_object(obj))
		json_object_foreach(obj, k, v)
			nstr += json_is_string(v);
	check(json_array_size(arr) == nstr, "one member per string value");
	json_array_foreach(arr, i, v) {
		const char *s = json_string_value(v), *colon;
		json_t *orig;
		char *key;

		check(s != NULL, "members are strings");
		/* Keys may hold ':' too: find every split that names a string
		 * value; order is checked only where the split is unique. */
		char *found = NULL;
		int nfound = 0;

		for (colon = strchr(s, ':'); colon; colon = strchr(colon + 1, ':')) {
			key = strndup(s, (size_t)(colon - s));
			orig = json_object_get(obj, key);
			if (json_is_string(orig) &&
			    strcmp(json_string_value(orig), colon + 1) == 0) {
				nfound++;
				free(found);
				found = key;
			} else {
				free(key);
			}
		}
		check(nfound > 0, "member is key:value of the document");
		if (nfound == 1) {
			check(!prev || strcmp(prev, found) < 0, "keys sorted");
			free((char *)prev);
			prev = found;
		} else {
			free(found);
		}
	}
	free((char *)prev);
	json_decref(arr);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256] = "";
	struct kubelet_snapshot *s = kubelet_parse((const char *)data, size, err, sizeof(err));
	json_t *root = json_loadb((const char *)data, size, 0, NULL), *items, *pod;
	size_t i, want = 0;

	items = json_object_get(root, "items");
	if (!s) {
		check(err[0] != 0, "a refusal has a reason");
		check(!json_is_array(items), "a PodList is not refused");
		json_decref(root);
		return 0;
	}
	check(json_is_array(items), "only a PodList is taken");
	json_array_foreach(items, i, pod) {
		json_t *md = json_object_get(pod, "metadata"), *uid = json_object_get(md, "uid");
		const struct kubelet_pod *p;

		if (!json_is_string(uid))
			continue;
		want++;
		p = kubelet_find(s, json_string_value(uid));
		check(p != NULL, "every pod with a uid is found");
		/* With duplicate uids, bsearch may land on any of them. */
		if (strcmp(p->uid, json_string_value(uid)) != 0)
			check(0, "found pod has the uid asked for");
	}
	check(s->n == want, "one pod per item with a string uid");
	for (i = 0; i < s->n; i++) {
		check(s->pods[i].uid != NULL, "uid set");
		check(i == 0 || strcmp(s->pods[i - 1].uid, s->pods[i].uid) <= 0, "sorted by uid");
	}
	/* Field by field, for the pods whose uid is unique. */
	json_array_foreach(items, i, pod) {
		json_t *md = json_object_get(pod, "metadata"), *uid = json_object_get(md, "uid");
		const struct kubelet_pod *p;
		size_t j, dup = 0;

		if (!json_is_string(uid))
			continue;
		for (j = 0; j < s->n; j++)
			dup += strcmp(s->pods[j].uid, json_string_value(uid)) == 0;
		if (dup != 1)
			continue;
		p = kubelet_find(s, json_string_value(uid));
		check(same_str(p->name, json_object_get(md, "name")), "name");
		check(same_str(p->namespace, json_object_get(md, "namespace")), "namespace");
		check(same_str(p->parent_type,
			       json_object_get(
				       json_array_get(json_object_get(md, "ownerReferences"), 0),
				       "kind")),
		      "parent type");
		check_kv(p->labels, json_object_get(md, "labels"));
		check_kv(p->annotations, json_object_get(md, "annotations"));
	}
	kubelet_snapshot_free(s);
	json_decref(root);
	return 0;
}
