/*
 * bulk.h - d4c-ship's Elasticsearch client: credentials, the data streams
 * events go to, _bulk requests built from the window's oldest queued
 * events (each with an _id that is a hash of its bytes, gzip-compressed),
 * sent through libcurl's multi interface, and their answers: what was
 * taken leaves the window, what failed for load is queued again, what
 * was refused is dead-lettered. A request that moves nothing makes the
 * next one wait (exponential backoff, jitter) and go to the next URL.
 */
#ifndef D4C_SHIP_BULK_H
#define D4C_SHIP_BULK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>
#include <zlib.h>

#include "buf.h"
#include "window.h"

struct shipper;

/* Requests in flight at most: while one waits for the cluster, the next
 * is already sent (_id makes the order irrelevant to what is indexed). */
#define REQ_MAX 4

/* New streams go last: the spool records a stream by its number. */
enum stream { S_PROCESS, S_FILE, S_ALERTS, S_METRICS, S_HEARTBEAT, S_MAX };
/* Data stream names are the prefix and the namespace; events name theirs
 * by the dataset. */
extern const char *const stream_prefix[S_MAX];
extern const char *const stream_dataset[S_MAX];

/* One _bulk request: its own handle, body and answer, and its items. */
struct req {
	CURL *easy;
	struct buf resp; /* the answer's body, NUL-terminated */
	struct buf body, gz;
	uint64_t *items; /* item numbers in the window */
	size_t n, cap;
	bool busy;
};

struct bulk {
	CURL *easy; /* for the probe and --setup */
	CURLM *multi;
	struct buf resp; /* EASY's answer */
	z_stream zs;
	struct curl_slist *hdrs_bulk, *hdrs_json;
	char *auth_header;
	char errbuf[CURL_ERROR_SIZE];
	char *stream_index[S_MAX];
	char *stream_action[S_MAX]; /* {"create":{"_index":"...","_id":" */
	size_t stream_action_len[S_MAX];

	struct req reqs[REQ_MAX];
	unsigned nflying;
	size_t req_max; /* items per request at most, after a 413 (0: no limit) */
	size_t url_i; /* the URL in use */
	char *bulk_url;
	unsigned fail_streak; /* requests in a row that moved nothing: the backoff's exponent */
	uint64_t retry_at; /* no new request before this (0: none) */
};

/* The document _id: base64url of the first 16 bytes of the line's SHA-256. */
void doc_id(const char *line, size_t len, char out[ID_LEN + 1]);

/*
 * Sets up libcurl (its multi handle is d4c-ship's poll loop even without
 * --es), zlib, the headers with the credentials (read here; a usage error
 * when they conflict) and the data stream names. Dies when it cannot.
 */
void bulk_init(struct shipper *sh);

/*
 * At start: GET / on each URL in turn until one answers, backing off,
 * for at most --startup-timeout. 401 (and TLS trust errors) end the run
 * at once with exit 3; 403 is fine (a key without the monitor privilege).
 */
void bulk_probe(struct shipper *sh);

/* Whether a request should go now: a full one's worth queued, items to send
 * again, the oldest queued past --batch-wait, or FLUSH (the input ended). */
bool bulk_due(struct shipper *sh, bool flush, uint64_t now);
/* When bulk_due() may next say yes (UINT64_MAX: not by the clock). */
uint64_t bulk_wake(struct shipper *sh);
/* Builds a request of the oldest queued items and hands it to curl. */
void bulk_start(struct shipper *sh);
/* Moves the requests in flight on and handles those over. Returns whether
 * any was over. Ends the run when the cluster refuses for good. */
bool bulk_collect(struct shipper *sh);

/*
 * One request to the cluster in use, answered into sh->bulk.resp.
 * Transport errors and refused credentials end the run (exit 3, 4);
 * returns the HTTP status.
 */
long bulk_call(struct shipper *sh, const char *method, const char *path, const char *body,
	       size_t len);
/* The error type and reason of an Elasticsearch error body, if it is one. */
void es_error(const struct buf *r, char *out, size_t n);

#endif
