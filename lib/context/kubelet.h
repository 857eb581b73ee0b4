/*
 * kubelet.h - pod labels, annotations and owners from the kubelet's /pods
 * endpoint, for d4c-enrich: each answer becomes an immutable snapshot that
 * the event loop picks up without waiting (containerd leaves pod labels
 * nowhere on the node's disk; see container-context.md). The thread that
 * polls over HTTPS is kubepoll.h's.
 */
#ifndef D4C_KUBELET_H
#define D4C_KUBELET_H

#include <stddef.h>
#include <stdint.h>

/* One pod, with its lists already serialized as JSON arrays of
 * "key:value" strings (the form of orchestrator.resource.label). */
struct kubelet_pod {
	char *uid;
	char *name;
	char *namespace;
	char *labels; /* JSON array, never NULL */
	char *annotations; /* JSON array, never NULL */
	char *parent_type; /* kind of the first owner reference, or NULL */
	char *ips; /* JSON array of status.podIPs (podIP first), or NULL */
};

/* Pods sorted by uid. Immutable once published. */
struct kubelet_snapshot {
	struct kubelet_pod *pods;
	size_t n;
};

/*
 * Parses a PodList document (the body of GET /pods). Returns a snapshot,
 * or NULL with a one-line reason in ERR when JSON is not a PodList.
 * Pods without metadata.uid are skipped.
 */
struct kubelet_snapshot *kubelet_parse(const char *json, size_t len, char *err, size_t errlen);
void kubelet_snapshot_free(struct kubelet_snapshot *s);
/* The pod of UID, or NULL. */
const struct kubelet_pod *kubelet_find(const struct kubelet_snapshot *s, const char *uid);

/*
 * What the Kubernetes API says of the cluster and this node, for
 * orchestrator.cluster.id and cloud.*: any member may be NULL.
 */
struct kube_cluster {
	char *cluster_id; /* the kube-system namespace's UID: the documented cluster id */
	/* from the node's labels (topology.kubernetes.io/region and /zone,
	 * node.kubernetes.io/instance-type) and spec.providerID */
	char *provider, *region, *zone, *machine_type;
	char *instance_id, *instance_name, *account_id, *project_id;
};

/* Parses a Node document into the cloud members of KC (the cluster id is
 * left alone). Returns 0, or -1 when JSON is not a Node. */
int kube_node_parse(const char *json, size_t len, struct kube_cluster *kc);
void kube_cluster_free(struct kube_cluster *kc);

#endif
