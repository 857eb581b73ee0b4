/*
 * kubelet.c - polls the kubelet's /pods in a thread (see kubelet.h).
 *
 * The thread owns its curl handle; the event loop only ever takes a
 * finished snapshot (pointer swap under a mutex), so a slow or dead
 * kubelet never delays an event. Parsing (jansson) is off the hot path.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "jsonw.h"
#include "kubelet.h"
#include "util.h"

#define BODY_MAX  (64u << 20)
#define TOKEN_MAX 65536

static int pod_cmp(const void *a, const void *b)
{
	return strcmp(((const struct kubelet_pod *)a)->uid, ((const struct kubelet_pod *)b)->uid);
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
		json_object_foreach(obj, k, v) if (json_is_string(v)) keys[i++] = k;
		n = i;
	}
	/* few keys: insertion sort */
	for (size_t a = 1; a < n; a++)
		for (size_t b = a; b > 0 && strcmp(keys[b - 1], keys[b]) > 0; b--) {
			const char *t = keys[b];

			keys[b] = keys[b - 1];
			keys[b - 1] = t;
		}
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
	json_array_foreach(items, i, pod)
	{
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
	}
	free(s->pods);
	free(s);
}

const struct kubelet_pod *kubelet_find(const struct kubelet_snapshot *s, const char *uid)
{
	struct kubelet_pod key = {.uid = (char *)uid};

	if (!s || !uid)
		return NULL;
	return bsearch(&key, s->pods, s->n, sizeof(*s->pods), pod_cmp);
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
};

struct body {
	char *buf;
	size_t len;
	int too_big;
};

static size_t on_data(char *p, size_t size, size_t n, void *arg)
{
	struct body *b = arg;

	n *= size;
	if (b->len + n > BODY_MAX) {
		b->too_big = 1;
		return 0;
	}
	b->buf = xrealloc(b->buf, b->len + n + 1);
	memcpy(b->buf + b->len, p, n);
	b->len += n;
	b->buf[b->len] = 0;
	return n;
}

/* One GET /pods. Returns a snapshot, or NULL with the reason in K. */
static struct kubelet_snapshot *poll_once(struct kubelet_poller *k, CURL *c, char *why,
					  size_t whylen)
{
	struct body b = {0};
	struct curl_slist *h = NULL;
	char *token = NULL, *auth, errbuf[CURL_ERROR_SIZE] = "";
	size_t tlen = 0;
	struct kubelet_snapshot *s = NULL;
	long code = 0;
	CURLcode rc;
	int r;

	if (access(k->cfg.ca_path, R_OK)) {
		snprintf(why, whylen, "cannot read the CA file '%s': %s", k->cfg.ca_path,
			 strerror(errno));
		return NULL;
	}
	r = read_whole_file(k->cfg.token_path, TOKEN_MAX, &token, &tlen);
	if (r) {
		snprintf(why, whylen, "cannot read the token '%s': %s", k->cfg.token_path,
			 strerror(-r));
		return NULL;
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
	curl_easy_setopt(c, CURLOPT_URL, k->url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_CAINFO, k->cfg.ca_path);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)k->cfg.timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)k->cfg.timeout_ms);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
	rc = curl_easy_perform(c);
	curl_slist_free_all(h);
	if (rc != CURLE_OK) {
		snprintf(why, whylen, "%s",
			 b.too_big   ? "answer larger than 64 MiB"
			 : errbuf[0] ? errbuf
				     : curl_easy_strerror(rc));
		goto out;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	if (code == 401 || code == 403) {
		snprintf(why, whylen, "HTTP %ld: the token in '%s' is %s", code, k->cfg.token_path,
			 code == 401 ? "refused" : "not allowed nodes/proxy");
		goto out;
	}
	if (code != 200) {
		snprintf(why, whylen, "HTTP %ld", code);
		goto out;
	}
	s = kubelet_parse(b.buf ? b.buf : "", b.len, why, whylen);
out:
	free(b.buf);
	return s;
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

void kubelet_counts(struct kubelet_poller *k, uint64_t *polls, uint64_t *errors)
{
	pthread_mutex_lock(&k->lock);
	*polls = k->polls;
	*errors = k->errors;
	pthread_mutex_unlock(&k->lock);
}
