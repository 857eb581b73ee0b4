/*
 * kubepoll.c - polls the kubelet's /pods in a thread (see kubepoll.h).
 *
 * The thread owns its curl handle; the event loop only ever takes a
 * finished snapshot (pointer swap under a mutex), so a slow or dead
 * kubelet never delays an event. Apart from kubelet.c, so that what only
 * reads snapshots (lib/context/enrich.c, hence d4c-trace) does not link libcurl.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "buf.h"
#include "kubepoll.h"
#include "util.h"

#define BODY_MAX  (64u << 20)
#define TOKEN_MAX 65536

static bool same_str(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

static bool same_cluster(const struct kube_cluster *a, const struct kube_cluster *b)
{
	return same_str(a->cluster_id, b->cluster_id) && same_str(a->provider, b->provider) &&
	       same_str(a->region, b->region) && same_str(a->zone, b->zone) &&
	       same_str(a->machine_type, b->machine_type) &&
	       same_str(a->instance_id, b->instance_id) &&
	       same_str(a->instance_name, b->instance_name) &&
	       same_str(a->account_id, b->account_id) && same_str(a->project_id, b->project_id);
}

/* ---- the poller ------------------------------------------------------------ */

struct kubelet_poller {
	struct kubelet_config cfg;
	char *url;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	int stopping;
	struct kubelet_snapshot *pending; /* published, not taken yet */
	int status;
	char reason[512], told[512];
	uint64_t polls, errors;
	/* the API server's part */
	char *ns_url, *node_url;
	uint64_t next_api_ns; /* CLOCK_MONOTONIC: when to ask again (0: at once) */
	struct kube_cluster cluster;
	bool cluster_new;
	int api_status;
	char api_reason[512], api_told[512];
};

/* Node labels and the cluster id hardly ever change: ask this often. */
#define API_REFRESH_NS (600ull * 1000000000ull)

struct body {
	struct buf b;
	int too_big;
};

static size_t on_data(char *p, size_t size, size_t n, void *arg)
{
	struct body *b = arg;

	n *= size;
	if (b->b.len + n > BODY_MAX) {
		b->too_big = 1;
		return 0;
	}
	buf_add(&b->b, p, n);
	return n;
}

/*
 * One GET of URL with the token, the server verified with CA. Returns 0
 * with the answer in *B (200 only), or -1 with the reason in WHY (B freed).
 */
static int http_get(struct kubelet_poller *k, CURL *c, const char *url, const char *ca,
		    struct body *b, char *why, size_t whylen)
{
	struct curl_slist *h = NULL;
	char *token = NULL, *auth, errbuf[CURL_ERROR_SIZE] = "";
	size_t tlen = 0;
	long code = 0;
	CURLcode rc;
	int r;

	memset(b, 0, sizeof(*b));
	if (access(ca, R_OK)) {
		snprintf(why, whylen, "cannot read the CA file '%s': %s", ca, strerror(errno));
		return -1;
	}
	r = read_whole_file(k->cfg.token_path, TOKEN_MAX, &token, &tlen);
	if (r) {
		snprintf(why, whylen, "cannot read the token '%s': %s", k->cfg.token_path,
			 strerror(-r));
		return -1;
	}
	while (tlen &&
	       (token[tlen - 1] == '\n' || token[tlen - 1] == '\r' || token[tlen - 1] == ' '))
		token[--tlen] = 0;
	auth = xasprintf("Authorization: Bearer %s", token);
	memset(token, 0, tlen);
	free(token);
	h = curl_slist_append(h, auth);
	h = curl_slist_append(h, "Accept: application/json");
	memset(auth, 0, strlen(auth));
	free(auth);

	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_CAINFO, ca);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)k->cfg.timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)k->cfg.timeout_ms);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, b);
	curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
	rc = curl_easy_perform(c);
	curl_slist_free_all(h);
	if (rc != CURLE_OK) {
		snprintf(why, whylen, "%s",
			 b->too_big ? "answer larger than 64 MiB" :
			 errbuf[0]  ? errbuf :
				      curl_easy_strerror(rc));
		goto fail;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	if (code == 401 || code == 403) {
		snprintf(why, whylen, "HTTP %ld: the token in '%s' is %s", code, k->cfg.token_path,
			 code == 401	      ? "refused" :
			 !strcmp(url, k->url) ? "not allowed nodes/proxy" :
						"not allowed to get it");
		goto fail;
	}
	if (code != 200) {
		snprintf(why, whylen, "HTTP %ld", code);
		goto fail;
	}
	return 0;
fail:
	buf_free(&b->b);
	return -1;
}

/* One GET /pods. Returns a snapshot, or NULL with the reason in WHY. */
static struct kubelet_snapshot *poll_once(struct kubelet_poller *k, CURL *c, char *why,
					  size_t whylen)
{
	struct kubelet_snapshot *s;
	struct body b;

	if (http_get(k, c, k->url, k->cfg.ca_path, &b, why, whylen))
		return NULL;
	s = kubelet_parse(buf_cstr(&b.b), b.b.len, why, whylen);
	buf_free(&b.b);
	return s;
}

/*
 * Reads the kube-system namespace (and the node, when named) from the API
 * server into *KC. Returns 0, or -1 with the reason in WHY.
 */
static int api_once(struct kubelet_poller *k, CURL *c, struct kube_cluster *kc, char *why,
		    size_t whylen)
{
	struct body b;
	json_t *ns;
	const char *uid;

	if (http_get(k, c, k->ns_url, k->cfg.api_ca_path, &b, why, whylen))
		return -1;
	ns = json_loadb(buf_cstr(&b.b), b.b.len, 0, NULL);
	buf_free(&b.b);
	uid = json_string_value(json_object_get(json_object_get(ns, "metadata"), "uid"));
	if (!uid || !*uid) {
		snprintf(why, whylen, "'%s': not a Namespace with metadata.uid", k->ns_url);
		json_decref(ns);
		return -1;
	}
	kc->cluster_id = xstrdup(uid);
	json_decref(ns);
	if (!k->node_url)
		return 0;
	if (http_get(k, c, k->node_url, k->cfg.api_ca_path, &b, why, whylen))
		return -1;
	if (kube_node_parse(buf_cstr(&b.b), b.b.len, kc)) {
		snprintf(why, whylen, "'%s': not a Node", k->node_url);
		buf_free(&b.b);
		return -1;
	}
	buf_free(&b.b);
	return 0;
}

static void *run(void *arg)
{
	struct kubelet_poller *k = arg;
	CURL *c = curl_easy_init();

	pthread_mutex_lock(&k->lock);
	while (!k->stopping) {
		char why[512] = "";
		struct kubelet_snapshot *s;
		struct timespec ts;

		pthread_mutex_unlock(&k->lock);
		s = c ? poll_once(k, c, why, sizeof(why)) : NULL;
		if (!c)
			snprintf(why, sizeof(why), "cannot start libcurl");
		if (c && k->ns_url && clock_ns(CLOCK_MONOTONIC) >= k->next_api_ns) {
			struct kube_cluster kc = { 0 };
			char awhy[512] = "";
			int ar = api_once(k, c, &kc, awhy, sizeof(awhy));

			pthread_mutex_lock(&k->lock);
			k->api_status = ar ? -1 : 1;
			snprintf(k->api_reason, sizeof(k->api_reason), "%s", awhy);
			if (!ar && !same_cluster(&kc, &k->cluster)) {
				kube_cluster_free(&k->cluster);
				k->cluster = kc;
				k->cluster_new = true;
			} else {
				kube_cluster_free(&kc);
			}
			/* until it answers, ask at every poll */
			k->next_api_ns = ar ? 0 : clock_ns(CLOCK_MONOTONIC) + API_REFRESH_NS;
			pthread_mutex_unlock(&k->lock);
		}
		pthread_mutex_lock(&k->lock);
		k->polls++;
		if (s) {
			kubelet_snapshot_free(k->pending);
			k->pending = s;
			k->status = 1;
			k->reason[0] = 0;
		} else {
			k->errors++;
			k->status = -1;
			snprintf(k->reason, sizeof(k->reason), "%s", why);
		}
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += k->cfg.interval_ms / 1000;
		ts.tv_nsec += (long)(k->cfg.interval_ms % 1000) * 1000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		while (!k->stopping && pthread_cond_timedwait(&k->wake, &k->lock, &ts) != ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(&k->lock);
	if (c)
		curl_easy_cleanup(c);
	return NULL;
}

struct kubelet_poller *kubelet_start(const struct kubelet_config *cfg)
{
	struct kubelet_poller *k = xcalloc(1, sizeof(*k));
	size_t n = strlen(cfg->url);
	int r;

	k->cfg = *cfg;
	k->url = xasprintf("%.*s/pods", (int)(n && cfg->url[n - 1] == '/' ? n - 1 : n), cfg->url);
	if (cfg->api_url) {
		size_t m = strlen(cfg->api_url);
		int len = (int)(m && cfg->api_url[m - 1] == '/' ? m - 1 : m);

		k->ns_url = xasprintf("%.*s/api/v1/namespaces/kube-system", len, cfg->api_url);
		if (cfg->node_name && *cfg->node_name)
			k->node_url = xasprintf("%.*s/api/v1/nodes/%s", len, cfg->api_url,
						cfg->node_name);
	}
	pthread_mutex_init(&k->lock, NULL);
	pthread_cond_init(&k->wake, NULL);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	r = pthread_create(&k->thread, NULL, run, k);
	if (r) {
		error("cannot start the kubelet thread: %s", strerror(r));
		free(k->url);
		free(k);
		return NULL;
	}
	return k;
}

void kubelet_stop(struct kubelet_poller *k)
{
	if (!k)
		return;
	pthread_mutex_lock(&k->lock);
	k->stopping = 1;
	pthread_cond_signal(&k->wake);
	pthread_mutex_unlock(&k->lock);
	pthread_join(k->thread, NULL);
	kubelet_snapshot_free(k->pending);
	kube_cluster_free(&k->cluster);
	free(k->ns_url);
	free(k->node_url);
	pthread_mutex_destroy(&k->lock);
	pthread_cond_destroy(&k->wake);
	curl_global_cleanup();
	free(k->url);
	free(k);
}

struct kubelet_snapshot *kubelet_take(struct kubelet_poller *k)
{
	struct kubelet_snapshot *s;

	pthread_mutex_lock(&k->lock);
	s = k->pending;
	k->pending = NULL;
	pthread_mutex_unlock(&k->lock);
	return s;
}

int kubelet_status(struct kubelet_poller *k, char *buf, size_t len, int *changed)
{
	int st;

	pthread_mutex_lock(&k->lock);
	st = k->status;
	snprintf(buf, len, "%s", k->reason);
	*changed = strcmp(k->reason, k->told) != 0;
	memcpy(k->told, k->reason, sizeof(k->told));
	pthread_mutex_unlock(&k->lock);
	return st;
}

static char *dup_opt(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

struct kube_cluster *kubelet_take_cluster(struct kubelet_poller *k)
{
	struct kube_cluster *kc = NULL;

	pthread_mutex_lock(&k->lock);
	if (k->cluster_new) {
		const struct kube_cluster *f = &k->cluster;

		kc = xcalloc(1, sizeof(*kc));
		kc->cluster_id = dup_opt(f->cluster_id);
		kc->provider = dup_opt(f->provider);
		kc->region = dup_opt(f->region);
		kc->zone = dup_opt(f->zone);
		kc->machine_type = dup_opt(f->machine_type);
		kc->instance_id = dup_opt(f->instance_id);
		kc->instance_name = dup_opt(f->instance_name);
		kc->account_id = dup_opt(f->account_id);
		kc->project_id = dup_opt(f->project_id);
		k->cluster_new = false;
	}
	pthread_mutex_unlock(&k->lock);
	return kc;
}

int kubelet_api_status(struct kubelet_poller *k, char *buf, size_t len, int *changed)
{
	int st;

	pthread_mutex_lock(&k->lock);
	st = k->api_status;
	snprintf(buf, len, "%s", k->api_reason);
	*changed = strcmp(k->api_reason, k->api_told) != 0;
	memcpy(k->api_told, k->api_reason, sizeof(k->api_told));
	pthread_mutex_unlock(&k->lock);
	return st;
}

void kubelet_counts(struct kubelet_poller *k, uint64_t *polls, uint64_t *errors)
{
	pthread_mutex_lock(&k->lock);
	*polls = k->polls;
	*errors = k->errors;
	pthread_mutex_unlock(&k->lock);
}
