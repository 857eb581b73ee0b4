/*
 * bulk.c - d4c-ship's Elasticsearch client (bulk.h).
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "config.h"
#include "names.h"
#include "sha256.h"
#include "ship.h"

#define ID_BYTES 16 /* of SHA-256, as ID_LEN base64url characters */

const char *const stream_prefix[S_MAX] = { "logs-" D4C_DATASET_PROCESS "-",
					   "logs-" D4C_DATASET_FILE "-",
					   "logs-" D4C_DATASET_ALERTS "-",
					   "metrics-" D4C_DATASET_METRICS "-",
					   "metrics-" D4C_DATASET_HEARTBEAT "-" };
const char *const stream_dataset[S_MAX] = { D4C_DATASET_PROCESS, D4C_DATASET_FILE,
					    D4C_DATASET_ALERTS, D4C_DATASET_METRICS,
					    D4C_DATASET_HEARTBEAT };

static const char b64std[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* Base64 of LEN bytes into OUT (4 * ceil(LEN / 3) + 1 bytes); PAD: with '='. */
static size_t base64(const char *alpha, bool pad, const unsigned char *in, size_t len, char *out)
{
	size_t o = 0, i;

	for (i = 0; i + 2 < len; i += 3) {
		uint32_t v = in[i] << 16 | in[i + 1] << 8 | in[i + 2];

		out[o++] = alpha[v >> 18];
		out[o++] = alpha[(v >> 12) & 63];
		out[o++] = alpha[(v >> 6) & 63];
		out[o++] = alpha[v & 63];
	}
	if (i < len) {
		uint32_t v = in[i] << 16 | (i + 1 < len ? in[i + 1] << 8 : 0);

		out[o++] = alpha[v >> 18];
		out[o++] = alpha[(v >> 12) & 63];
		if (i + 1 < len)
			out[o++] = alpha[(v >> 6) & 63];
		else if (pad)
			out[o++] = '=';
		if (pad)
			out[o++] = '=';
	}
	out[o] = '\0';
	return o;
}

void doc_id(const char *line, size_t len, char out[ID_LEN + 1])
{
	unsigned char d[SHA256_DIGEST_SIZE];

	sha256(line, len, d);
	base64(b64url, false, d, ID_BYTES, out);
}

static __attribute__((format(printf, 2, 3))) void set_last_error(struct counters *cnt,
								 const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cnt->last_error, sizeof(cnt->last_error), fmt, ap);
	va_end(ap);
}

/* ---- credentials --------------------------------------------------------------- */

/* Reads a secret from FILE: the first line, without its newline. */
static char *read_secret(const char *path)
{
	char *buf;
	size_t len;
	int r = read_whole_file(path, 64 << 10, &buf, &len);

	if (r)
		die("cannot read '%s': %s", path, strerror(-r));
	buf[strcspn(buf, "\r\n")] = '\0';
	if (!*buf)
		die("'%s' is empty", path);
	return buf;
}

/* "Authorization: ApiKey ..." of KEY: id:key as created, or encoded. */
static char *api_key_header(const char *key)
{
	char *enc, *h;

	if (!strchr(key, ':'))
		return xasprintf("Authorization: ApiKey %s", key);
	enc = xmalloc(4 * strlen(key) / 3 + 8);
	base64(b64std, true, (const unsigned char *)key, strlen(key), enc);
	h = xasprintf("Authorization: ApiKey %s", enc);
	free(enc);
	return h;
}

/* "Authorization: Basic ..." of USER and PASS; both copies wiped. */
static char *basic_header(const char *user, char *pass)
{
	char *up = xasprintf("%s:%s", user, pass);
	char *enc = xmalloc(4 * strlen(up) / 3 + 8);
	char *h;

	base64(b64std, true, (unsigned char *)up, strlen(up), enc);
	h = xasprintf("Authorization: Basic %s", enc);
	memset(up, 0, strlen(up));
	memset(pass, 0, strlen(pass));
	free(up);
	free(enc);
	free(pass);
	return h;
}

/* The Authorization header of the options and environment, NULL if none. */
static char *auth_header(const struct ship_opts *opt)
{
	const char *env_key = getenv("D4C_ES_API_KEY");
	const char *user = opt->user ? opt->user : getenv("D4C_ES_USER");
	char *key = NULL, *pass = NULL, *h;

	if (opt->api_key_file)
		key = read_secret(opt->api_key_file);
	else if (env_key && *env_key)
		key = xstrdup(env_key);
	if (key && user)
		usage_error("an API key and a user: choose one");
	if (key) {
		h = api_key_header(key);
		free(key);
		return h;
	}
	if (!user) {
		if (opt->password_file)
			usage_error("--password-file needs --user");
		return NULL;
	}
	if (opt->password_file)
		pass = read_secret(opt->password_file);
	else if (getenv("D4C_ES_PASSWORD"))
		pass = xstrdup(getenv("D4C_ES_PASSWORD"));
	else
		usage_error("user '%s' has no password: set D4C_ES_PASSWORD or --password-file",
			    user);
	return basic_header(user, pass);
}

/* ---- HTTP ---------------------------------------------------------------------- */

static size_t on_body(char *p, size_t size, size_t nmemb, void *arg)
{
	struct buf *r = arg;
	size_t n = size * nmemb;

	if (r->len + n + 1 > (256u << 20))
		return 0; /* absurd: fail the transfer */
	buf_add(r, p, n);
	buf_cstr(r);
	return n;
}

static void http_common(struct shipper *sh, CURL *h, struct buf *r)
{
	const struct ship_opts *opt = &sh->opt;

	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)(opt->connect_timeout * 1000));
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)(opt->request_timeout * 1000));
	curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, sh->bulk.errbuf);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_USERAGENT, "d4c-ship/" PACKAGE_VERSION);
	if (opt->ca)
		curl_easy_setopt(h, CURLOPT_CAINFO, opt->ca);
	if (opt->insecure) {
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	sh->bulk.errbuf[0] = '\0';
	buf_reset(r);
	buf_cstr(r);
}

/* Whether a transfer error is about TLS trust: retrying will not help. */
static bool tls_refused(CURLcode c)
{
	return c == CURLE_PEER_FAILED_VERIFICATION || c == CURLE_SSL_CACERT_BADFILE ||
	       c == CURLE_SSL_CERTPROBLEM || c == CURLE_SSL_CRL_BADFILE ||
	       c == CURLE_SSL_ISSUER_ERROR || c == CURLE_SSL_PINNEDPUBKEYNOTMATCH;
}

static const char *curl_msg(const struct bulk *b, CURLcode c)
{
	return b->errbuf[0] ? b->errbuf : curl_easy_strerror(c);
}

void es_error(const struct buf *r, char *out, size_t n)
{
	json_t *j = json_loadb(r->p ? r->p : "", r->len, 0, NULL);
	json_t *e = j ? json_object_get(j, "error") : NULL;
	const char *type = json_string_value(json_object_get(e, "type"));
	const char *reason = json_string_value(json_object_get(e, "reason"));

	if (type || reason)
		snprintf(out, n, "%s: %s", type ? type : "error", reason ? reason : "");
	else if (json_is_string(e))
		snprintf(out, n, "%s", json_string_value(e));
	else
		snprintf(out, n, "%.*s", (int)(r->len < 200 ? r->len : 200), r->p ? r->p : "");
	json_decref(j);
}

static bool is_cluster_block(const struct buf *r)
{
	return r->p && strstr(r->p, "cluster_block_exception");
}

static void set_bulk_url(struct shipper *sh)
{
	struct bulk *b = &sh->bulk;

	free(b->bulk_url);
	b->bulk_url = xasprintf("%s/_bulk?filter_path=errors,items.*.status,items.*.error.type,"
				"items.*.error.reason",
				sh->opt.urls[b->url_i]);
}

/* The N LINES as curl's header list, leaving out those NULL. */
static struct curl_slist *add_headers(const char *const *lines, size_t n)
{
	struct curl_slist *h = NULL;

	for (size_t i = 0; i < n; i++)
		if (lines[i])
			h = curl_slist_append(h, lines[i]);
	return h;
}

/* The headers of _bulk requests and of the other calls; GZ: bodies compressed. */
static void set_headers(struct bulk *b, bool gz)
{
	const char *const bulk[] = { "Accept: application/json",
				     "Expect:", "Content-Type: application/x-ndjson",
				     gz ? "Content-Encoding: gzip" : NULL, b->auth_header };
	const char *const json[] = { "Accept: application/json",
				     "Expect:", "Content-Type: application/json", b->auth_header };

	b->hdrs_bulk = add_headers(bulk, sizeof(bulk) / sizeof(*bulk));
	b->hdrs_json = add_headers(json, sizeof(json) / sizeof(*json));
}

void bulk_init(struct shipper *sh)
{
	const struct ship_opts *opt = &sh->opt;
	struct bulk *b = &sh->bulk;
	bool gz = opt->gzip_level > 0;

	if (sh->es_on)
		b->auth_header = auth_header(opt);
	if (curl_global_init(CURL_GLOBAL_DEFAULT))
		die("cannot initialize libcurl");
	b->easy = curl_easy_init();
	b->multi = curl_multi_init();
	if (!b->easy || !b->multi)
		die("cannot initialize libcurl");
	set_headers(b, gz);
	if (gz && deflateInit2(&b->zs, opt->gzip_level, Z_DEFLATED, 15 + 16, 8,
			       Z_DEFAULT_STRATEGY) != Z_OK)
		die("cannot initialize zlib");
	for (int s = 0; s < S_MAX; s++) {
		b->stream_index[s] = xasprintf("%s%s", stream_prefix[s], opt->ns);
		b->stream_action[s] =
			xasprintf("{\"create\":{\"_index\":\"%s\",\"_id\":\"", b->stream_index[s]);
		b->stream_action_len[s] = strlen(b->stream_action[s]);
	}
	if (opt->nurls)
		set_bulk_url(sh);
	/* Room in the window for REQ_MAX requests in flight and one more
	 * being filled; the span is wider, for items retried again and again
	 * (window_full). */
	sh->win.max_live = (REQ_MAX + 1) * opt->batch_events;
	sh->win.max_bytes = (REQ_MAX + 1) * opt->batch_bytes;
	sh->win.max_span = 16 * (REQ_MAX + 1) * opt->batch_events;
}

/* ---- backoff ------------------------------------------------------------------- */

/* Backoff number EXP (from 0): --backoff-min doubled EXP times, at most
 * --backoff-max, with equal jitter: never less than half the delay, never
 * in lockstep. */
static uint64_t backoff_ns(const struct ship_opts *opt, unsigned exp)
{
	double d = opt->backoff_min * pow(2, exp);

	if (d > opt->backoff_max)
		d = opt->backoff_max;
	return sec_ns(d / 2 + d / 2 * ((double)random() / RAND_MAX));
}

/*
 * A request is over: PROGRESS, whether the cluster took any of its items.
 * Only a request that moved nothing makes the next one wait, longer each
 * time; any progress ends the waiting: a cluster that takes 80% of every
 * request is slow, not down, and waiting would only make it slower.
 */
static void request_over(struct shipper *sh, bool progress)
{
	struct bulk *b = &sh->bulk;

	if (progress) {
		b->fail_streak = 0;
		b->retry_at = 0;
		return;
	}
	b->fail_streak++;
	b->retry_at = now_ns() + backoff_ns(&sh->opt, b->fail_streak - 1);
}

/* The whole request failed for a reason worth retrying: its items are
 * queued again, the next request waits, and goes to the next URL. */
static void request_retry(struct shipper *sh, struct req *q, const char *why)
{
	struct bulk *b = &sh->bulk;

	for (size_t k = 0; k < q->n; k++)
		item_requeue(&sh->win, win_at(&sh->win, q->items[k]), q->items[k]);
	request_over(sh, false);
	set_last_error(&sh->cnt, "%s", why);
	warning("'%s': %s; retrying in %.1f s", sh->opt.urls[b->url_i], why,
		(b->retry_at - now_ns()) / 1e9);
	if (sh->opt.nurls > 1) {
		b->url_i = (b->url_i + 1) % sh->opt.nurls;
		set_bulk_url(sh);
	}
}

/* ---- requests ------------------------------------------------------------------ */

bool bulk_due(struct shipper *sh, bool flush, uint64_t now)
{
	const struct bulk *b = &sh->bulk;
	struct window *w = &sh->win;

	if (!w->queued || b->nflying == REQ_MAX || (b->retry_at && now < b->retry_at))
		return false;
	if (flush || w->retries || w->queued >= sh->opt.batch_events ||
	    w->qbytes >= sh->opt.batch_bytes)
		return true;
	return now - window_oldest(w)->queued_ns >= sec_ns(sh->opt.batch_wait);
}

uint64_t bulk_wake(struct shipper *sh)
{
	const struct bulk *b = &sh->bulk;
	uint64_t t = 0;

	if (!sh->win.queued || b->nflying == REQ_MAX)
		return UINT64_MAX;
	if (!sh->win.retries)
		t = window_oldest(&sh->win)->queued_ns + sec_ns(sh->opt.batch_wait);
	return b->retry_at > t ? b->retry_at : t;
}

/* Moves the oldest queued items into Q's body, each an action line and
 * its document. */
static void req_fill(struct shipper *sh, struct req *q)
{
	struct window *w = &sh->win;
	struct bulk *b = &sh->bulk;
	size_t max = b->req_max ? b->req_max : sh->opt.batch_events;

	q->n = 0;
	buf_reset(&q->body);
	for (uint64_t k = w->first_queued;
	     k < w->tail && q->n < max && q->body.len < sh->opt.batch_bytes; k++) {
		struct item *it = win_at(w, k);

		if (it->state != IT_QUEUED)
			continue;
		if (q->n == q->cap) {
			q->cap = q->cap ? 2 * q->cap : 1024;
			q->items = xrealloc(q->items, q->cap * sizeof(*q->items));
		}
		q->items[q->n++] = k;
		it->state = IT_FLYING;
		w->queued--;
		w->qbytes -= it->len;
		buf_add(&q->body, b->stream_action[it->stream], b->stream_action_len[it->stream]);
		buf_add(&q->body, it->id, ID_LEN);
		buf_add(&q->body, "\"}}\n", 4);
		buf_add(&q->body, it->line, it->len);
		buf_addc(&q->body, '\n');
	}
	w->retries = 0; /* all of them went, or will be first in the next request */
}

/* Q's body is what curl posts, compressed when --gzip-level. */
static void req_body(struct shipper *sh, struct req *q)
{
	z_stream *zs = &sh->bulk.zs;
	size_t bound;

	if (sh->opt.gzip_level <= 0) {
		curl_easy_setopt(q->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)q->body.len);
		curl_easy_setopt(q->easy, CURLOPT_POSTFIELDS, q->body.p);
		return;
	}
	bound = deflateBound(zs, q->body.len);
	buf_reset(&q->gz);
	deflateReset(zs);
	zs->next_in = (unsigned char *)q->body.p;
	zs->avail_in = q->body.len;
	zs->next_out = (unsigned char *)buf_room(&q->gz, bound);
	zs->avail_out = bound;
	if (deflate(zs, Z_FINISH) != Z_STREAM_END)
		die("internal error: gzip of a request failed");
	curl_easy_setopt(q->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)zs->total_out);
	curl_easy_setopt(q->easy, CURLOPT_POSTFIELDS, q->gz.p);
}

void bulk_start(struct shipper *sh)
{
	struct bulk *b = &sh->bulk;
	struct req *q = NULL;

	for (unsigned r = 0; r < REQ_MAX && !q; r++)
		if (!b->reqs[r].busy)
			q = &b->reqs[r];
	if (!q->easy && !(q->easy = curl_easy_init()))
		die("cannot initialize libcurl");
	req_fill(sh, q);
	http_common(sh, q->easy, &q->resp);
	curl_easy_setopt(q->easy, CURLOPT_PRIVATE, q);
	curl_easy_setopt(q->easy, CURLOPT_URL, b->bulk_url);
	curl_easy_setopt(q->easy, CURLOPT_HTTPHEADER, b->hdrs_bulk);
	req_body(sh, q);
	curl_multi_add_handle(b->multi, q->easy);
	q->busy = true;
	b->nflying++;
	sh->cnt.requests++;
}

/* ---- answers ------------------------------------------------------------------- */

/* Whether an item's failure is one to retry: load, or a cluster block. */
static bool item_retryable(long status, json_t *res)
{
	const char *type;

	if (status == 429 || status >= 500 || status == 0)
		return true;
	if (status != 403)
		return false;
	type = json_string_value(json_object_get(json_object_get(res, "error"), "type"));
	return !strcmp(type ?: "", "cluster_block_exception");
}

/* A request some of whose items failed: each item as its answer says. */
static void handle_items(struct shipper *sh, struct req *q, json_t *items)
{
	struct counters *cnt = &sh->cnt;
	bool failures = false, progress = false;

	for (size_t k = 0; k < q->n; k++) {
		struct item *it = win_at(&sh->win, q->items[k]);
		json_t *obj = json_array_get(items, k), *res;
		const char *key;
		long status;

		res = NULL;
		json_object_foreach(obj, key, res)
			break;
		status = (long)json_integer_value(json_object_get(res, "status"));
		if (status >= 200 && status < 300) {
			cnt->acked++;
		} else if (status == 409) {
			cnt->duplicates++;
		} else if (item_retryable(status, res)) {
			cnt->retried++;
			failures = true;
			set_last_error(cnt, "item status %ld", status);
			item_requeue(&sh->win, it, q->items[k]);
			continue;
		} else {
			json_t *e = json_object_get(res, "error");
			const char *type = json_string_value(json_object_get(e, "type"));
			const char *reason = json_string_value(json_object_get(e, "reason"));

			set_last_error(cnt, "%s: %s", type ?: "error", reason ?: "");
			dead_letter(&sh->dl, it->line, it->len, true, (int)status, type ?: "error",
				    reason ?: "", sh->bulk.stream_index[it->stream], it->id, 0);
		}
		progress = true;
		item_done(&sh->win, it);
	}
	if (!failures)
		cnt->batches++;
	request_over(sh, progress);
}

/* A request answered 200: all taken, or each item as handle_items says. */
static void request_ok(struct shipper *sh, struct req *q)
{
	json_error_t je;
	json_t *j = json_loadb(q->resp.p ? q->resp.p : "", q->resp.len, 0, &je);
	json_t *items = json_object_get(j, "items");

	if (j && json_is_false(json_object_get(j, "errors"))) {
		sh->cnt.acked += q->n;
		for (size_t k = 0; k < q->n; k++)
			item_done(&sh->win, win_at(&sh->win, q->items[k]));
		json_decref(j);
		sh->cnt.batches++;
		request_over(sh, true);
		return;
	}
	if (!j || !json_is_array(items) || json_array_size(items) != q->n) {
		json_decref(j);
		request_retry(sh, q, "bad _bulk response");
		return;
	}
	handle_items(sh, q, items);
	json_decref(j);
}

/* A request answered 413: one document alone is dead-lettered; more are
 * sent again at once, in smaller requests from now on. */
static void request_too_large(struct shipper *sh, struct req *q)
{
	if (q->n <= 1) {
		struct item *it = win_at(&sh->win, q->items[0]);

		dead_letter(&sh->dl, it->line, it->len, true, 413, "request_too_large",
			    "the document alone is larger than the cluster accepts",
			    sh->bulk.stream_index[it->stream], it->id, 0);
		item_done(&sh->win, it);
		return;
	}
	sh->bulk.req_max = q->n / 2;
	sh->cnt.split++;
	for (size_t k = 0; k < q->n; k++)
		item_requeue(&sh->win, win_at(&sh->win, q->items[k]), q->items[k]);
}

/* A request answered with another error: retried, or the end of the run. */
static void request_refused(struct shipper *sh, struct req *q, long status)
{
	const char *url = sh->opt.urls[sh->bulk.url_i];
	char why[300], m[340];

	es_error(&q->resp, why, sizeof(why));
	if (status == 401 || (status == 403 && !is_cluster_block(&q->resp)))
		ship_fatal(sh, EXIT_REFUSED_AUTH, "'%s' refused the credentials (%ld): %s", url,
			   status, why);
	if (status == 429 || status >= 500 || status == 403 || status == 408) {
		snprintf(m, sizeof(m), "HTTP %ld: %s", status, why);
		request_retry(sh, q, m);
		return;
	}
	ship_fatal(sh, EXIT_REFUSED, "'%s' refused the bulk request (%ld): %s", url, status, why);
}

static void request_done(struct shipper *sh, struct req *q, CURLcode c)
{
	struct bulk *b = &sh->bulk;
	long status = 0;

	curl_multi_remove_handle(b->multi, q->easy);
	q->busy = false;
	b->nflying--;
	if (c != CURLE_OK) {
		if (tls_refused(c))
			ship_fatal(sh, EXIT_REFUSED_AUTH, "'%s': TLS: %s", sh->opt.urls[b->url_i],
				   curl_msg(b, c));
		request_retry(sh, q, curl_msg(b, c));
		return;
	}
	curl_easy_getinfo(q->easy, CURLINFO_RESPONSE_CODE, &status);
	if (status == 200)
		request_ok(sh, q);
	else if (status == 413)
		request_too_large(sh, q);
	else
		request_refused(sh, q, status);
}

bool bulk_collect(struct shipper *sh)
{
	struct bulk *b = &sh->bulk;
	bool over = false;
	CURLMsg *m;
	int running, left;

	if (!b->nflying)
		return false;
	curl_multi_perform(b->multi, &running);
	while ((m = curl_multi_info_read(b->multi, &left)))
		if (m->msg == CURLMSG_DONE) {
			struct req *q;

			curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &q);
			request_done(sh, q, m->data.result);
			over = true;
		}
	return over;
}

/* ---- the probe and single calls ------------------------------------------------ */

/* Sleeps W ns, answering signals (they are blocked: see main): a stop
 * ends the run (exit 4), SIGUSR1 prints the counters. */
static void probe_sleep(struct shipper *sh, uint64_t w, const char *url)
{
	struct timespec ts = { w / 1000000000ull, w % 1000000000ull };

	for (uint64_t until = now_ns() + w;;) {
		int sig = sigtimedwait(&sh->signals, NULL, &ts);
		uint64_t t = now_ns();

		if (sig == SIGINT || sig == SIGTERM)
			ship_fatal(sh, EXIT_UNREACHABLE,
				   "stopped by a signal while waiting for '%s'", url);
		if (sig == SIGUSR1)
			print_counters(sh);
		if (sig < 0 && errno == EAGAIN)
			break;
		if (t >= until)
			break;
		ts.tv_sec = (until - t) / 1000000000ull;
		ts.tv_nsec = (until - t) % 1000000000ull;
	}
}

/* GET / on URL I. Returns whether it answered; *WHY says why not. */
static bool probe_one(struct shipper *sh, size_t i, char *why, size_t n)
{
	struct bulk *b = &sh->bulk;
	char *url = xasprintf("%s/", sh->opt.urls[i]);
	long status = 0;
	CURLcode c;

	http_common(sh, b->easy, &b->resp);
	curl_easy_setopt(b->easy, CURLOPT_URL, url);
	curl_easy_setopt(b->easy, CURLOPT_HTTPHEADER, b->hdrs_json);
	c = curl_easy_perform(b->easy);
	free(url);
	if (c != CURLE_OK) {
		if (tls_refused(c))
			ship_fatal(sh, EXIT_REFUSED_AUTH, "'%s': TLS: %s", sh->opt.urls[i],
				   curl_msg(b, c));
		snprintf(why, n, "%s", curl_msg(b, c));
		return false;
	}
	curl_easy_getinfo(b->easy, CURLINFO_RESPONSE_CODE, &status);
	if (status == 401) {
		es_error(&b->resp, why, n);
		ship_fatal(sh, EXIT_REFUSED_AUTH, "'%s' refused the credentials (401): %s",
			   sh->opt.urls[i], why);
	}
	if (status < 500 && status != 429)
		return true;
	snprintf(why, n, "HTTP %ld", status);
	return false;
}

void bulk_probe(struct shipper *sh)
{
	const struct ship_opts *opt = &sh->opt;
	uint64_t deadline = now_ns() + sec_ns(opt->startup_timeout);
	unsigned streak = 0;

	for (size_t i = 0;; i = (i + 1) % opt->nurls) {
		char why[300];
		uint64_t w;

		if (probe_one(sh, i, why, sizeof(why))) {
			sh->bulk.url_i = i;
			return;
		}
		if (opt->startup_timeout > 0 && now_ns() >= deadline)
			ship_fatal(sh, EXIT_UNREACHABLE, "cannot reach '%s' within %g s: %s",
				   opt->urls[i], opt->startup_timeout, why);
		if (i + 1 < opt->nurls)
			continue;
		/* every URL tried: wait before the next round */
		w = backoff_ns(opt, streak++);
		if (opt->startup_timeout > 0 && now_ns() + w > deadline)
			w = deadline > now_ns() ? deadline - now_ns() : 0;
		probe_sleep(sh, w, opt->urls[i]);
	}
}

long bulk_call(struct shipper *sh, const char *method, const char *path, const char *body,
	       size_t len)
{
	struct bulk *b = &sh->bulk;
	char *url = xasprintf("%s%s", sh->opt.urls[b->url_i], path);
	long status = 0;
	char why[300];
	CURLcode c;

	http_common(sh, b->easy, &b->resp);
	curl_easy_setopt(b->easy, CURLOPT_URL, url);
	curl_easy_setopt(b->easy, CURLOPT_HTTPHEADER, b->hdrs_json);
	curl_easy_setopt(b->easy, CURLOPT_CUSTOMREQUEST, method);
	if (body) {
		curl_easy_setopt(b->easy, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(b->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	}
	c = curl_easy_perform(b->easy);
	if (c != CURLE_OK)
		ship_fatal(sh, tls_refused(c) ? EXIT_REFUSED_AUTH : EXIT_UNREACHABLE, "'%s': %s",
			   url, curl_msg(b, c));
	curl_easy_getinfo(b->easy, CURLINFO_RESPONSE_CODE, &status);
	if (status == 401 || status == 403) {
		es_error(&b->resp, why, sizeof(why));
		ship_fatal(sh, EXIT_REFUSED_AUTH, "'%s' refused the credentials (%ld): %s",
			   sh->opt.urls[b->url_i], status, why);
	}
	free(url);
	return status;
}
