/*
 * kubelet.h - pod labels, annotations and owners from the kubelet's /pods
 * endpoint, for d4c-enrich: a background thread polls over HTTPS with the
 * service-account token and publishes each answer as an immutable snapshot
 * that the event loop picks up without waiting (containerd leaves pod
 * labels nowhere on the node's disk; see container-context.md).
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
	char *labels;	   /* JSON array, never NULL */
	char *annotations; /* JSON array, never NULL */
	char *parent_type; /* kind of the first owner reference, or NULL */
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

struct kubelet_config {
	const char *url;	/* base URL: https://NODE:10250 ("/pods" is added) */
	const char *token_path; /* read before every request: tokens rotate */
	const char *ca_path;	/* CA bundle that signed the kubelet's certificate */
	unsigned interval_ms;	/* between polls */
	unsigned timeout_ms;	/* for one request */
};

struct kubelet_poller;

/* Starts the thread (first poll at once). Returns NULL when the thread
 * cannot start (error printed). */
struct kubelet_poller *kubelet_start(const struct kubelet_config *cfg);
/* Stops and joins the thread, frees what it holds. */
void kubelet_stop(struct kubelet_poller *k);
/* The newest snapshot published since the last call (the caller owns it),
 * or NULL when there is none. Never blocks for long (a mutex held only
 * for a pointer swap). */
struct kubelet_snapshot *kubelet_take(struct kubelet_poller *k);
/*
 * The state of the last poll: 1 ok, 0 none finished yet, -1 failed (a
 * one-line reason in BUF). *CHANGED is set when the reason differs from
 * the last one this call returned, so that it can be printed once.
 */
int kubelet_status(struct kubelet_poller *k, char *buf, size_t len, int *changed);
/* Requests made, and requests that failed. */
void kubelet_counts(struct kubelet_poller *k, uint64_t *polls, uint64_t *errors);

#endif
