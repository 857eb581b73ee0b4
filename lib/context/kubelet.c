/*
 * kubelet.c - the kubelet's /pods answer and the API server's Node as
 * snapshots d4c-enrich reads pods from (see kubelet.h). Parsing (jansson)
 * is off the hot path; the HTTP poller that fetches them is kubepoll.c.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "jsonw.h"
#include "kubelet.h"
#include "util.h"

static int pod_cmp(const void *a, const void *b)
{
	return strcmp(((const struct kubelet_pod *)a)->uid, ((const struct kubelet_pod *)b)->uid);
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* A JSON object of strings as a JSON array of "key:value", keys sorted. */
static char *kv_array(json_t *obj)
{
	struct jsonw w;
	const char **keys = NULL;
	size_t n = 0, i = 0;
	const char *k;
	json_t *v;
	char *out;

	jsonw_init(&w);
	if (json_is_object(obj)) {
		n = json_object_size(obj);
		keys = xcalloc(n + 1, sizeof(*keys));
		json_object_foreach(obj, k, v)
			if (json_is_string(v))
				keys[i++] = k;
		n = i;
	}
	/* A pod may carry thousands of annotations: not quadratic. */
	if (n > 1)
		qsort(keys, n, sizeof(*keys), str_cmp);
	jsonw_arr_begin(&w);
	for (i = 0; i < n; i++) {
		const char *val = json_string_value(json_object_get(obj, keys[i]));
		char *kv = xasprintf("%s:%s", keys[i], val);

		jsonw_str(&w, kv);
		free(kv);
	}
	jsonw_arr_end(&w);
	jsonw_end_line(&w);
	out = xstrndup(jsonw_data(&w), jsonw_len(&w) - 1);
	jsonw_free(&w);
	free(keys);
	return out;
}

/* A pod's IPs as a JSON array: status.podIP, then the others of
 * status.podIPs (dual stack); NULL when it has none yet (pending). */
static char *ip_array(json_t *status)
{
	const char *first = json_string_value(json_object_get(status, "podIP"));
	json_t *ips = json_object_get(status, "podIPs"), *v;
	struct jsonw w;
	size_t i, n = 0;
	char *out;

	jsonw_init(&w);
	jsonw_arr_begin(&w);
	if (first && *first) {
		jsonw_str(&w, first);
		n++;
	}
	json_array_foreach(ips, i, v) {
		const char *ip = json_string_value(json_object_get(v, "ip"));

		if (ip && *ip && (!first || strcmp(ip, first))) {
			jsonw_str(&w, ip);
			n++;
		}
	}
	jsonw_arr_end(&w);
	jsonw_end_line(&w);
	out = n ? xstrndup(jsonw_data(&w), jsonw_len(&w) - 1) : NULL;
	jsonw_free(&w);
	return out;
}

static char *dup_str(json_t *v)
{
	return json_is_string(v) ? xstrdup(json_string_value(v)) : NULL;
}

struct kubelet_snapshot *kubelet_parse(const char *json, size_t len, char *err, size_t errlen)
{
	json_error_t je;
	json_t *root = json_loadb(json, len, 0, &je), *items;
	struct kubelet_snapshot *s;
	size_t i;
	json_t *pod;

	if (!root) {
		snprintf(err, errlen, "not JSON (line %d: %s)", je.line, je.text);
		return NULL;
	}
	items = json_object_get(root, "items");
	if (!json_is_array(items)) {
		snprintf(err, errlen, "not a PodList (no \"items\" array)");
		json_decref(root);
		return NULL;
	}
	s = xcalloc(1, sizeof(*s));
	s->pods = xcalloc(json_array_size(items) + 1, sizeof(*s->pods));
	json_array_foreach(items, i, pod) {
		json_t *md = json_object_get(pod, "metadata"), *owners;
		struct kubelet_pod *p = &s->pods[s->n];

		if (!json_is_string(json_object_get(md, "uid")))
			continue;
		p->uid = dup_str(json_object_get(md, "uid"));
		p->name = dup_str(json_object_get(md, "name"));
		p->namespace = dup_str(json_object_get(md, "namespace"));
		p->labels = kv_array(json_object_get(md, "labels"));
		p->annotations = kv_array(json_object_get(md, "annotations"));
		owners = json_object_get(md, "ownerReferences");
		p->parent_type = dup_str(json_object_get(json_array_get(owners, 0), "kind"));
		p->ips = ip_array(json_object_get(pod, "status"));
		s->n++;
	}
	json_decref(root);
	qsort(s->pods, s->n, sizeof(*s->pods), pod_cmp);
	return s;
}

void kubelet_snapshot_free(struct kubelet_snapshot *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++) {
		struct kubelet_pod *p = &s->pods[i];

		free(p->uid);
		free(p->name);
		free(p->namespace);
		free(p->labels);
		free(p->annotations);
		free(p->parent_type);
		free(p->ips);
	}
	free(s->pods);
	free(s);
}

const struct kubelet_pod *kubelet_find(const struct kubelet_snapshot *s, const char *uid)
{
	struct kubelet_pod key = { .uid = (char *)uid };

	if (!s || !uid)
		return NULL;
	return bsearch(&key, s->pods, s->n, sizeof(*s->pods), pod_cmp);
}

/* ---- the cluster and the node, from the API server ------------------------- */

/* The first of the labels KEYS that LABELS has, newly allocated, or NULL. */
static char *first_label(json_t *labels, const char *const *keys)
{
	for (; *keys; keys++) {
		const char *v = json_string_value(json_object_get(labels, *keys));

		if (v && *v)
			return xstrdup(v);
	}
	return NULL;
}

/* The path component N (0: the first after the scheme's "//"), or NULL. */
static char *component(const char *s, int n)
{
	const char *end;

	for (; n > 0 && s; n--) {
		s = strchr(s, '/');
		if (s)
			s++;
	}
	if (!s || !*s)
		return NULL;
	end = strchr(s, '/');
	return end ? (end > s ? xstrndup(s, end - s) : NULL) : xstrdup(s);
}

/* The member after "/NAME/" in a path, newly allocated, or NULL. */
static char *after(const char *s, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = strstr(s, name); p; p = strstr(p + 1, name))
		if (p > s && p[-1] == '/' && p[n] == '/')
			return component(p + n + 1, 0);
	return NULL;
}

/*
 * spec.providerID names the cloud and the instance (the forms the cloud
 * providers' controllers write): aws:///ZONE/i-ID, gce://PROJECT/ZONE/NAME,
 * azure:///subscriptions/SUB/resourceGroups/RG/providers/Microsoft.Compute/
 * virtualMachines/NAME (or a scale set's .../virtualMachines/N).
 */
static void provider_id(const char *id, struct kube_cluster *kc)
{
	if (!strncmp(id, "aws://", 6)) {
		const char *last = strrchr(id, '/');

		kc->provider = xstrdup("aws");
		if (last && !strncmp(last + 1, "i-", 2))
			kc->instance_id = xstrdup(last + 1);
		if (!kc->zone)
			kc->zone = component(id + 6, 1);
	} else if (!strncmp(id, "gce://", 6)) {
		kc->provider = xstrdup("gcp");
		kc->project_id = component(id + 6, 0);
		if (!kc->zone)
			kc->zone = component(id + 6, 1);
		kc->instance_name = component(id + 6, 2);
	} else if (!strncmp(id, "azure://", 8)) {
		const char *vm = strstr(id, "/virtualMachines/");

		kc->provider = xstrdup("azure");
		kc->account_id = after(id, "subscriptions");
		if (vm)
			kc->instance_name = component(vm + 17, 0);
	}
}

int kube_node_parse(const char *json, size_t len, struct kube_cluster *kc)
{
	static const char *const region[] = { "topology.kubernetes.io/region",
					      "failure-domain.beta.kubernetes.io/region", NULL };
	static const char *const zone[] = { "topology.kubernetes.io/zone",
					    "failure-domain.beta.kubernetes.io/zone", NULL };
	static const char *const type[] = { "node.kubernetes.io/instance-type",
					    "beta.kubernetes.io/instance-type", NULL };
	json_t *root = json_loadb(json, len, 0, NULL), *labels;
	const char *pid;

	if (!json_is_object(json_object_get(root, "metadata"))) {
		json_decref(root);
		return -1;
	}
	labels = json_object_get(json_object_get(root, "metadata"), "labels");
	kc->region = first_label(labels, region);
	kc->zone = first_label(labels, zone);
	kc->machine_type = first_label(labels, type);
	pid = json_string_value(json_object_get(json_object_get(root, "spec"), "providerID"));
	if (pid)
		provider_id(pid, kc);
	json_decref(root);
	return 0;
}

void kube_cluster_free(struct kube_cluster *kc)
{
	if (!kc)
		return;
	free(kc->cluster_id);
	free(kc->provider);
	free(kc->region);
	free(kc->zone);
	free(kc->machine_type);
	free(kc->instance_id);
	free(kc->instance_name);
	free(kc->account_id);
	free(kc->project_id);
	memset(kc, 0, sizeof(*kc));
}
