/*
 * kubepoll.h - the thread that polls the kubelet's /pods (and the API
 * server) over HTTPS with the service-account token, and publishes each
 * answer as a kubelet.h snapshot. Only d4c-enrich starts it; it is the
 * one part of the kubelet code that links libcurl.
 */
#ifndef D4C_KUBEPOLL_H
#define D4C_KUBEPOLL_H

#include <stdint.h>

#include "kubelet.h"

struct kubelet_config {
	const char *url; /* base URL: https://NODE:10250 ("/pods" is added) */
	const char *token_path; /* read before every request: tokens rotate */
	const char *ca_path; /* CA bundle that signed the kubelet's certificate */
	unsigned interval_ms; /* between polls */
	unsigned timeout_ms; /* for one request */
	/* The API server (NULL: not asked), its CA, and this node's name (NULL:
	 * no node labels): the kube-system namespace and the node are read
	 * until they answer, then every API_REFRESH_MS. Same token. */
	const char *api_url;
	const char *api_ca_path;
	const char *node_name;
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
/* The cluster facts, when they changed since the last call (the caller
 * owns them: kube_cluster_free and free), or NULL. */
struct kube_cluster *kubelet_take_cluster(struct kubelet_poller *k);
/* As kubelet_status, for the API server's requests (0 when not asked). */
int kubelet_api_status(struct kubelet_poller *k, char *buf, size_t len, int *changed);
/* Requests made, and requests that failed. */
void kubelet_counts(struct kubelet_poller *k, uint64_t *polls, uint64_t *errors);

#endif
