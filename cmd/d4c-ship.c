/*
 * d4c-ship - delivers NDJSON events to Elasticsearch (data streams, _bulk
 * API), to files and to stdout, losing none.
 *
 * One thread, one poll loop (curl_multi_poll over stdin, a signalfd and
 * the HTTP connections). Lines are checked and routed with the ndjson
 * scanner (no JSON tree per event), appended to the on-disk spool when
 * there is one, and read back from it into a window of events not yet
 * acknowledged, bounded in events and bytes. Up to REQ_MAX requests are
 * in flight, each of the oldest events queued. An event is done when
 * acknowledged (2xx, or 409 on create: already there) or dead-lettered;
 * the spool's acknowledged position moves past the events at the front
 * of the window that are all done. Items that fail for load (429, 5xx)
 * are queued again and go with the next request; only a request that
 * moves nothing makes the next one wait (exponential backoff, jitter).
 * Each document's _id is a hash of its bytes, so what is sent twice is
 * indexed once.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>
#include <zlib.h>

#include "config.h"
#include "jsonw.h"
#include "ndjson.h"
#include "sha256.h"
#include "spool.h"
#include "util.h"

#ifndef D4C_TEMPLATES_DIR
#define D4C_TEMPLATES_DIR "/usr/local/share/d4c/templates"
#endif

enum {
	EXIT_DEAD_LETTERED = 1, /* everything handled, some of it dead-lettered */
	EXIT_REFUSED_AUTH = 3,	/* credentials or TLS refused */
	EXIT_UNREACHABLE = 4,	/* no URL reachable within --startup-timeout */
	EXIT_REFUSED = 5,	/* the cluster refused a request retrying cannot fix */
	EXIT_UNDELIVERED = 6,	/* stopped by a signal with events neither delivered nor spooled */
};

#define OUT_FLUSH (256u << 10)
/* Requests in flight at most: while one waits for the cluster, the next
 * is already sent (_id makes the order irrelevant to what is indexed). */
#define REQ_MAX 4
#define ID_BYTES  16 /* of SHA-256, as 22 base64url characters */
#define ID_LEN	  22

static const char usage_text[] =
    "usage: d4c-ship [--es URL[,URL...]] [--file PATH] [--stdout] [OPTIONS] < EVENTS\n"
    "       d4c-ship --setup --es URL [OPTIONS]\n"
    "\n"
    "Reads NDJSON events on stdin and delivers each to every output given:\n"
    "Elasticsearch data streams (at least once, indexed exactly once), a file, stdout.\n"
    "\n"
    "Elasticsearch:\n"
    "  --es URL[,URL...]          cluster URLs, tried in turn\n"
    "  --namespace NS             data stream namespace (default 'default')\n"
    "  --setup                    install the index templates and exit\n"
    "  --templates DIR            index templates for --setup (default " D4C_TEMPLATES_DIR ")\n"
    "  --user NAME                user for basic auth (password: D4C_ES_PASSWORD or "
    "--password-file)\n"
    "  --password-file FILE       read the password from FILE\n"
    "  --api-key-file FILE        read the API key (id:key, or encoded) from FILE\n"
    "                             (environment: D4C_ES_API_KEY, D4C_ES_USER, D4C_ES_PASSWORD)\n"
    "  --ca FILE                  trust the CA certificates in FILE (PEM)\n"
    "  --insecure-skip-tls-verify do not verify the server's certificate (unsafe)\n"
    "  --batch-events N           events per request at most (default 2000)\n"
    "  --batch-bytes BYTES        uncompressed bytes per request at most (default 5M)\n"
    "  --batch-wait SEC           send a partial batch after SEC (default 1)\n"
    "  --gzip-level N             0 (off) to 9 (default 1)\n"
    "  --connect-timeout SEC      TCP and TLS connect timeout (default 10)\n"
    "  --request-timeout SEC      whole request timeout (default 60)\n"
    "  --backoff-min SEC          first retry delay (default 1)\n"
    "  --backoff-max SEC          longest retry delay (default 60)\n"
    "  --startup-timeout SEC      exit 4 if no URL answers within SEC at start (default 60,\n"
    "                             0: wait forever)\n"
    "  --dead-letter PATH         NDJSON file for events that cannot be indexed\n"
    "                             (default SPOOL/dead-letter.ndjson, else stderr)\n"
    "Spool (at-least-once across crashes):\n"
    "  --spool DIR                keep events on disk in DIR until acknowledged\n"
    "  --spool-max-bytes BYTES    stop reading stdin past this much unacknowledged (default 1G)\n"
    "  --spool-segment-bytes BYTES segment file size (default 16M)\n"
    "  --spool-fsync MS           fdatasync every MS ms (default 1000; 0 every write; -1 never)\n"
    "Other outputs:\n"
    "  --file PATH                append events to PATH\n"
    "  --file-max-bytes BYTES     rotate PATH past this size (default 100M, 0: never)\n"
    "  --file-keep N              rotated files kept: PATH.1 .. PATH.N (default 5)\n"
    "  --stdout                   pass events through to stdout\n"
    "General:\n"
    "  --max-line BYTES           longest line accepted (default 1M)\n"
    "  --metrics-interval SEC     write a metric record every SEC seconds (default 10, 0: only at "
    "exit)\n"
    "  -h, --help                 show this text\n"
    "\n"
    "SIGUSR1 prints the counters on stderr. BYTES take a K, M or G suffix.\n"
    "exit status: 0 all delivered, 1 some events dead-lettered, 2 usage or I/O error,\n"
    "3 credentials or TLS refused, 4 cluster unreachable at start, 5 request refused\n"
    "for good, 6 stopped with events neither delivered nor spooled. See d4c-ship(1).\n";

enum {
	OPT_ES = 0x100,
	OPT_NAMESPACE,
	OPT_SETUP,
	OPT_TEMPLATES,
	OPT_USER,
	OPT_PASSWORD_FILE,
	OPT_API_KEY_FILE,
	OPT_CA,
	OPT_INSECURE,
	OPT_BATCH_EVENTS,
	OPT_BATCH_BYTES,
	OPT_BATCH_WAIT,
	OPT_GZIP,
	OPT_CONNECT_TIMEOUT,
	OPT_REQUEST_TIMEOUT,
	OPT_BACKOFF_MIN,
	OPT_BACKOFF_MAX,
	OPT_STARTUP_TIMEOUT,
	OPT_DEAD_LETTER,
	OPT_SPOOL,
	OPT_SPOOL_MAX,
	OPT_SPOOL_SEGMENT,
	OPT_SPOOL_FSYNC,
	OPT_FILE,
	OPT_FILE_MAX,
	OPT_FILE_KEEP,
	OPT_STDOUT,
	OPT_MAX_LINE,
	OPT_METRICS
};

static const struct option long_opts[] = {
    {"es", required_argument, NULL, OPT_ES},
    {"namespace", required_argument, NULL, OPT_NAMESPACE},
    {"setup", no_argument, NULL, OPT_SETUP},
    {"templates", required_argument, NULL, OPT_TEMPLATES},
    {"user", required_argument, NULL, OPT_USER},
    {"password-file", required_argument, NULL, OPT_PASSWORD_FILE},
    {"api-key-file", required_argument, NULL, OPT_API_KEY_FILE},
    {"ca", required_argument, NULL, OPT_CA},
    {"insecure-skip-tls-verify", no_argument, NULL, OPT_INSECURE},
    {"batch-events", required_argument, NULL, OPT_BATCH_EVENTS},
    {"batch-bytes", required_argument, NULL, OPT_BATCH_BYTES},
    {"batch-wait", required_argument, NULL, OPT_BATCH_WAIT},
    {"gzip-level", required_argument, NULL, OPT_GZIP},
    {"connect-timeout", required_argument, NULL, OPT_CONNECT_TIMEOUT},
    {"request-timeout", required_argument, NULL, OPT_REQUEST_TIMEOUT},
    {"backoff-min", required_argument, NULL, OPT_BACKOFF_MIN},
    {"backoff-max", required_argument, NULL, OPT_BACKOFF_MAX},
    {"startup-timeout", required_argument, NULL, OPT_STARTUP_TIMEOUT},
    {"dead-letter", required_argument, NULL, OPT_DEAD_LETTER},
    {"spool", required_argument, NULL, OPT_SPOOL},
    {"spool-max-bytes", required_argument, NULL, OPT_SPOOL_MAX},
    {"spool-segment-bytes", required_argument, NULL, OPT_SPOOL_SEGMENT},
    {"spool-fsync", required_argument, NULL, OPT_SPOOL_FSYNC},
    {"file", required_argument, NULL, OPT_FILE},
    {"file-max-bytes", required_argument, NULL, OPT_FILE_MAX},
    {"file-keep", required_argument, NULL, OPT_FILE_KEEP},
    {"stdout", no_argument, NULL, OPT_STDOUT},
    {"max-line", required_argument, NULL, OPT_MAX_LINE},
    {"metrics-interval", required_argument, NULL, OPT_METRICS},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static struct {
	char **urls;
	size_t nurls;
	const char *ns;
	bool setup;
	const char *templates;
	const char *user;
	const char *password_file;
	const char *api_key_file;
	const char *ca;
	bool insecure;
	uint64_t batch_events, batch_bytes;
	double batch_wait;
	int gzip_level;
	double connect_timeout, request_timeout, backoff_min, backoff_max, startup_timeout;
	const char *dead_letter;
	const char *spool;
	uint64_t spool_max, spool_segment;
	int spool_fsync;
	const char *file;
	uint64_t file_max;
	unsigned file_keep;
	bool to_stdout;
	uint64_t max_line;
	double metrics_interval;
} opt = {
    .ns = "default",
    .templates = D4C_TEMPLATES_DIR,
    .batch_events = 2000,
    .batch_bytes = 5u << 20,
    .batch_wait = 1,
    .gzip_level = 1,
    .connect_timeout = 10,
    .request_timeout = 60,
    .backoff_min = 1,
    .backoff_max = 60,
    .startup_timeout = 60,
    .spool_max = 1ull << 30,
    .spool_segment = 16u << 20,
    .spool_fsync = 1000,
    .file_max = 100u << 20,
    .file_keep = 5,
    .max_line = 1u << 20,
    .metrics_interval = 10,
};

/* ---- small helpers ------------------------------------------------------------- */

static uint64_t now_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

static uint64_t sec_ns(double s)
{
	return (uint64_t)(s * 1e9);
}

static uint64_t parse_bytes(const char *name, const char *s)
{
	uint64_t v;

	if (parse_size(s, &v))
		usage_error("%s: '%s' is not a size in bytes", name, s);
	return v;
}

static double parse_sec(const char *name, const char *s)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || *end || !(v >= 0) || v > 86400 * 365)
		usage_error("%s: '%s' is not a number of seconds", name, s);
	return v;
}

static long parse_long(const char *name, const char *s, long lo, long hi)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		usage_error("%s: '%s' is not a number from %ld to %ld", name, s, lo, hi);
	return v;
}

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

/* The document _id: base64url of the first 16 bytes of the line's SHA-256. */
static void doc_id(const char *line, size_t len, char out[ID_LEN + 1])
{
	unsigned char d[SHA256_DIGEST_SIZE];

	sha256(line, len, d);
	base64(b64url, false, d, ID_BYTES, out);
}

/* ---- counters ------------------------------------------------------------------ */

static struct {
	uint64_t read, invalid, acked, duplicates, retried, dead_lettered, batches, requests;
	uint64_t written_file, written_stdout, split;
	char last_error[256];
} cnt;

static __attribute__((format(printf, 1, 2))) void set_last_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cnt.last_error, sizeof(cnt.last_error), fmt, ap);
	va_end(ap);
}

/* ---- outputs: file (rotated), stdout, dead letters ------------------------------ */

struct out {
	const char *path; /* NULL: stdout or stderr */
	int fd;
	char *buf;
	size_t len;
	uint64_t size; /* of the file so far */
	uint64_t max;  /* rotate past this (0: never) */
	unsigned keep;
	bool regular; /* a regular file: cut back to whole lines when a write fails */
	/*
	 * --file's writer thread: the kernel's copy of each buffer into the
	 * page cache (a third of d4c-ship's time to a file, tmpfs or not)
	 * overlaps the reading and checking of the next. Two buffers: BUF is
	 * filled while WBUF, when set, is being written; SPARE is BUF's
	 * successor once the thread is done with it.
	 */
	bool async;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	char *wbuf, *spare;
	size_t wlen;
	int werr; /* errno of the first failed write */
};

/*
 * Writes LEN bytes (whole lines), then TLEN of TAIL, to FD; FILE: FD is a
 * regular file (appended to). A file that cannot take it all (a full disk,
 * a size limit) is cut back to where it was: it must never end in part of a
 * line, which the next run would append to, leaving invalid JSON in the
 * middle. Returns 0 or a negative errno value.
 */
static int write_lines(int fd, bool file, const char *p, size_t len, const char *tail, size_t tlen)
{
	off_t start = file ? lseek(fd, 0, SEEK_END) : -1;
	int r = write_all(fd, p, len);

	if (!r && tlen)
		r = write_all(fd, tail, tlen);
	if (r && start >= 0 && ftruncate(fd, start))
		warning("cannot cut a partly written line: %s", strerror(errno));
	return r;
}

static void *out_writer(void *arg)
{
	struct out *o = arg;

	pthread_mutex_lock(&o->mu);
	for (;;) {
		char *p;
		size_t n;
		int r;

		while (!o->wbuf)
			pthread_cond_wait(&o->cv, &o->mu);
		p = o->wbuf;
		n = o->wlen;
		pthread_mutex_unlock(&o->mu);
		r = o->werr ? 0 : write_lines(o->fd, o->regular, p, n, NULL, 0);
		pthread_mutex_lock(&o->mu);
		if (r && !o->werr)
			o->werr = -r;
		o->spare = p;
		o->wbuf = NULL;
		pthread_cond_broadcast(&o->cv);
	}
	return NULL;
}

/* Waits until the writer thread has written what it was given. Returns
 * 0, or the errno of a write that failed. */
static int out_settle(struct out *o)
{
	int err;

	if (!o->async)
		return 0;
	pthread_mutex_lock(&o->mu);
	while (o->wbuf)
		pthread_cond_wait(&o->cv, &o->mu);
	err = o->werr;
	pthread_mutex_unlock(&o->mu);
	return err;
}

/* out_settle, dying if a write failed. */
static void out_wait(struct out *o)
{
	int err = out_settle(o);

	if (err) {
		o->async = false; /* for the exit handler: said once */
		die("cannot write to '%s': %s", o->path, strerror(err));
	}
}

/*
 * A file that ends in part of a line (a crash, or a full disk under an
 * older d4c-ship) is cut back to its last whole line before anything is
 * appended: a line written after the torn one would be invalid with it.
 */
static void cut_torn_line(struct out *o)
{
	char buf[4096];
	off_t end = o->size;
	int rfd = open(o->path, O_RDONLY | O_CLOEXEC);

	if (rfd < 0)
		return; /* write-only: appended to as it is */
	while (end > 0) {
		size_t n = end < (off_t)sizeof(buf) ? (size_t)end : sizeof(buf);
		ssize_t got = pread(rfd, buf, n, end - n);
		char *nl;

		if (got != (ssize_t)n) {
			close(rfd);
			return;
		}
		nl = memrchr(buf, '\n', n);
		if (nl) {
			end -= n - (nl + 1 - buf);
			break;
		}
		end -= n;
	}
	close(rfd);
	if ((uint64_t)end == o->size)
		return;
	if (ftruncate(o->fd, end))
		die("cannot cut the partial last line of '%s': %s", o->path, strerror(errno));
	warning("'%s' ended in part of a line: %" PRIu64 " bytes cut", o->path,
		(uint64_t)(o->size - end));
	o->size = end;
}

static void out_open(struct out *o, const char *path, int fd)
{
	struct stat st;

	o->path = path;
	o->fd = fd;
	if (path) {
		o->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
		if (o->fd < 0)
			die("cannot open '%s': %s", path, strerror(errno));
		if (!fstat(o->fd, &st)) {
			o->size = st.st_size;
			o->regular = S_ISREG(st.st_mode);
		}
		if (o->regular && o->size > 0)
			cut_torn_line(o);
	}
	o->buf = xmalloc(OUT_FLUSH + 4096);
}

/* Gives output O (a file) its writer thread. Returns 0 or -1 when no
 * thread could be started (O stays synchronous). */
static int out_start_writer(struct out *o)
{
	o->spare = xmalloc(OUT_FLUSH + 4096);
	pthread_mutex_init(&o->mu, NULL);
	pthread_cond_init(&o->cv, NULL);
	if (pthread_create(&o->thread, NULL, out_writer, o)) {
		free(o->spare);
		o->spare = NULL;
		return -1;
	}
	o->async = true;
	return 0;
}

static void write_all_or_die(struct out *o, const char *p, size_t len, const char *tail,
			     size_t tlen);

static void out_flush(struct out *o)
{
	size_t n = o->len;

	if (o->async && n) {
		out_wait(o);
		pthread_mutex_lock(&o->mu);
		o->wbuf = o->buf;
		o->wlen = n;
		o->buf = o->spare;
		o->spare = NULL;
		pthread_cond_broadcast(&o->cv);
		pthread_mutex_unlock(&o->mu);
		o->len = 0;
		o->size += n;
		return;
	}
	o->len = 0;
	write_all_or_die(o, o->buf, n, NULL, 0);
}

/* Renames PATH to PATH.1, PATH.1 to PATH.2 ..., dropping PATH.KEEP. */
static void out_rotate(struct out *o)
{
	out_flush(o);
	out_wait(o);
	close(o->fd);
	for (unsigned i = o->keep; i >= 1; i--) {
		char *from = i == 1 ? xstrdup(o->path) : xasprintf("%s.%u", o->path, i - 1);
		char *to = xasprintf("%s.%u", o->path, i);

		rename(from, to);
		free(from);
		free(to);
	}
	if (o->keep == 0)
		unlink(o->path);
	o->fd = open(o->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (o->fd < 0)
		die("cannot open '%s': %s", o->path, strerror(errno));
	o->size = 0;
}

static void write_all_or_die(struct out *o, const char *p, size_t len, const char *tail,
			     size_t tlen)
{
	int r = write_lines(o->fd, o->regular, p, len, tail, tlen);

	if (r)
		die("cannot write to '%s': %s", o->path ? o->path : "stdout", strerror(-r));
	o->size += len + tlen;
}

/* Appends LEN bytes and a newline. */
static void out_line(struct out *o, const char *line, size_t len)
{
	if (o->max && o->size + o->len > 0 && o->size + o->len + len + 1 > o->max)
		out_rotate(o);
	if (o->len + len + 1 > OUT_FLUSH + 4096) {
		out_flush(o);
		if (len + 1 > OUT_FLUSH + 4096) { /* a long line goes straight out */
			out_wait(o);
			write_all_or_die(o, line, len, "\n", 1);
			return;
		}
	}
	memcpy(o->buf + o->len, line, len);
	o->buf[o->len + len] = '\n';
	o->len += len + 1;
	if (o->len >= OUT_FLUSH)
		out_flush(o);
}

static struct out out_file, out_stdout, out_dead;
static struct spool *spool;
static struct jsonw dlw; /* builds dead-letter records */

/* At exit, however it comes: what the file's writer was given is written
 * (exit() may not be called again here). */
static void out_file_wait(void)
{
	int err = out_settle(&out_file);

	if (err) {
		error("cannot write to '%s': %s", out_file.path, strerror(err));
		_exit(EXIT_USAGE);
	}
}

/* Dead letters by reason, for the summary at exit. */
static const char *const dl_types[] = {"invalid_json", "line_too_long", "no_data_stream",
				       "request_too_large", "spool_record"};
#define DL_TYPES (sizeof(dl_types) / sizeof(*dl_types))
static uint64_t dl_count[DL_TYPES + 1]; /* the last: refused by the cluster (4xx) */

/* A line that is not JSON goes into its record as a string of at most this many bytes. */
#define DL_LINE_MAX 4096
/* ... and never more than its own size plus this once escaped. */
#define DL_LINE_SLACK 64

/* Length of the well-formed UTF-8 sequence at P (before END), 0 if none. */
static size_t utf8_seq(const unsigned char *p, const unsigned char *end)
{
	size_t n = p[0] >= 0xf0 && p[0] <= 0xf4 ? 4 : p[0] >= 0xe0 ? 3 : p[0] >= 0xc2 ? 2 : 0;

	if (!n || n > (size_t)(end - p))
		return 0;
	for (size_t i = 1; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

/*
 * How many bytes of LINE go into a dead-letter record: escaped as jsonw
 * escapes strings (control characters as \u00XX, bytes that are not UTF-8
 * as U+FFFD), random bytes would grow three times; the record keeps what
 * fits in the line's own size plus DL_LINE_SLACK, at most DL_LINE_MAX.
 */
static size_t dl_line_fit(const char *line, size_t len)
{
	const unsigned char *p = (const unsigned char *)line, *end = p + len;
	size_t budget = (len < DL_LINE_MAX ? len : DL_LINE_MAX) + DL_LINE_SLACK, used = 0;
	const unsigned char *q = p;

	while (q < end) {
		size_t n = 1, cost;

		if (*q == '"' || *q == '\\' || *q == '\n' || *q == '\t' || *q == '\r' || *q == '\b' ||
		    *q == '\f')
			cost = 2;
		else if (*q < 0x20)
			cost = 6;
		else if (*q < 0x80)
			cost = 1;
		else if ((n = utf8_seq(q, end)))
			cost = n;
		else
			n = 1, cost = 3;
		if (used + cost > budget || (size_t)(q + n - p) > DL_LINE_MAX)
			break;
		used += cost;
		q += n;
	}
	return q - p;
}

/* One warning line per dead letter, the first ten and then at powers of two. */
static void dl_warn(const char *type, const char *reason, const char *index, const char *id,
		    uint64_t lineno)
{
	uint64_t n = cnt.dead_lettered;

	if (n > 10 && (n & (n - 1)))
		return;
	if (lineno)
		warning("line %" PRIu64 ": %s (%s; dead-lettered, %" PRIu64 " so far)", lineno,
			reason, type, n);
	else
		warning("document '%s' for '%s': %s (%s; dead-lettered, %" PRIu64 " so far)",
			id ? id : "-", index ? index : "-", reason, type, n);
}

/*
 * One dead-letter record: the error, where it was going, and the event
 * (as JSON when it is a valid object, else as a string under "line",
 * cut as dl_line_fit() says, with line_truncated and line_bytes when cut).
 */
static void dead_letter(const char *line, size_t len, bool is_json, int status, const char *type,
			const char *reason, const char *index, const char *id, uint64_t lineno)
{
	size_t t;

	for (t = 0; t < DL_TYPES && strcmp(dl_types[t], type); t++)
		;
	dl_count[t]++;
	jsonw_obj_begin(&dlw);
	jsonw_kv_time(&dlw, "@timestamp", clock_ns(CLOCK_REALTIME));
	jsonw_key(&dlw, "error");
	jsonw_obj_begin(&dlw);
	if (status)
		jsonw_kv_u64(&dlw, "status", status);
	jsonw_kv_str(&dlw, "type", type);
	jsonw_kv_str(&dlw, "reason", reason);
	jsonw_obj_end(&dlw);
	if (index)
		jsonw_kv_str(&dlw, "_index", index);
	if (id)
		jsonw_kv_str(&dlw, "_id", id);
	if (lineno)
		jsonw_kv_u64(&dlw, "line_number", lineno);
	if (is_json) {
		jsonw_key(&dlw, "document");
		jsonw_raw(&dlw, line, len);
	} else {
		size_t keep = dl_line_fit(line, len);

		jsonw_kv_strn(&dlw, "line", line, keep);
		if (keep < len) {
			jsonw_key(&dlw, "line_truncated");
			jsonw_bool(&dlw, true);
			jsonw_kv_u64(&dlw, "line_bytes", len);
		}
	}
	jsonw_obj_end(&dlw);
	if (jsonw_end_line(&dlw))
		die("internal error: bad dead-letter record");
	out_line(&out_dead, jsonw_data(&dlw), jsonw_len(&dlw) - 1);
	jsonw_reset(&dlw);
	out_flush(&out_dead);
	cnt.dead_lettered++;
	dl_warn(type, reason, index, id, lineno);
}

/* ---- streams ------------------------------------------------------------------- */

enum stream { S_PROCESS, S_FILE, S_ALERTS, S_METRICS, S_MAX };
static const char *const stream_prefix[S_MAX] = {
    "logs-cloud_defend.process-", "logs-cloud_defend.file-", "logs-cloud_defend.alerts-",
    "metrics-cloud_defend.metrics-"};
static const char *const stream_dataset[S_MAX] = {"cloud_defend.process", "cloud_defend.file",
						  "cloud_defend.alerts", "cloud_defend.metrics"};
static char *stream_index[S_MAX];
static char *stream_action[S_MAX]; /* {"create":{"_index":"...","_id":" */
static size_t stream_action_len[S_MAX];

static bool str_is(const struct ndjson_str *s, const char *lit)
{
	size_t n = strlen(lit);

	return s->ptr && !s->escaped && s->len == n && !memcmp(s->ptr, lit, n);
}

/* The stream of an event, from event.kind and event.dataset; -1 if none. */
static int pick_stream(const struct ndjson_str f[2])
{
	if (str_is(&f[0], "alert"))
		return S_ALERTS;
	if (str_is(&f[0], "metric"))
		return S_METRICS;
	for (int s = 0; s < S_MAX; s++)
		if (str_is(&f[1], stream_dataset[s]))
			return s;
	return -1;
}

/* ---- the window: events taken and not yet acknowledged, in order -------------- */

/*
 * Every event goes into the window when it is taken (or read back from the
 * spool) and leaves it, from the front, once it and all before it are
 * acknowledged or dead-lettered: the spool's acknowledged position is the
 * end of the last event that left. Requests take the oldest queued events,
 * those to be sent again first, so a retried item travels with new ones.
 */
enum { IT_QUEUED, IT_FLYING, IT_DONE };

struct item {
	char *line;
	size_t len;
	char id[ID_LEN + 1];
	unsigned char stream, state;
	bool has_end;
	uint64_t queued_ns;   /* when it was taken: --batch-wait counts from here */
	struct spool_pos end; /* spool position after it */
};

static struct {
	struct item *it;
	size_t cap;		  /* a power of two */
	uint64_t head, tail;	  /* item numbers: [head, tail) are in the window */
	uint64_t first_queued;	  /* no queued item before this one */
	size_t queued, retries;	  /* items queued, and of them sent before */
	size_t live;		  /* items not done: they hold their line */
	uint64_t bytes, qbytes;	  /* of the lines held, and of the queued */
} win;

static struct item *win_at(uint64_t k)
{
	return &win.it[k & (win.cap - 1)];
}

/*
 * Room for more: REQ_MAX requests in flight and one more being filled. A
 * done item frees its line at once and only its slot waits for the front:
 * an old item retried again and again must not stop the rest (the span is
 * bounded too, sixteen times wider).
 */
static bool window_full(void)
{
	return win.live >= (REQ_MAX + 1) * opt.batch_events ||
	       win.bytes >= (REQ_MAX + 1) * opt.batch_bytes ||
	       win.tail - win.head >= 16 * (REQ_MAX + 1) * opt.batch_events;
}

static struct item *window_push(void)
{
	struct item *it;

	if (win.tail - win.head == win.cap) {
		size_t cap = win.cap ? 2 * win.cap : 1024;
		struct item *n = xmalloc(cap * sizeof(*n));

		for (uint64_t k = win.head; k < win.tail; k++)
			n[k & (cap - 1)] = *win_at(k);
		free(win.it);
		win.it = n;
		win.cap = cap;
	}
	it = win_at(win.tail++);
	memset(it, 0, sizeof(*it));
	return it;
}

static void window_add(int stream, const char *line, size_t len)
{
	struct item *it = window_push();

	it->line = xmalloc(len ? len : 1);
	memcpy(it->line, line, len);
	it->len = len;
	it->stream = stream;
	it->state = IT_QUEUED;
	it->queued_ns = now_ns();
	doc_id(line, len, it->id);
	win.queued++;
	win.live++;
	win.bytes += len;
	win.qbytes += len;
}

/*
 * The spool position after the record just read: the last item's when the
 * record became one, else (a record dead-lettered on reading) an item of
 * its own, already done, that carries the position.
 */
static void window_end(struct spool_pos end)
{
	struct item *it = win.tail > win.head ? win_at(win.tail - 1) : NULL;

	if (!it || it->has_end) {
		it = window_push();
		it->state = IT_DONE;
	}
	it->end = end;
	it->has_end = true;
}

static void item_requeue(struct item *it, uint64_t k)
{
	it->state = IT_QUEUED;
	win.queued++;
	win.retries++;
	win.qbytes += it->len;
	if (k < win.first_queued)
		win.first_queued = k;
}

/* Lets the acknowledged front of the window go, and tells the spool. */
static void window_advance(void)
{
	struct spool_pos end;
	bool has_end = false;

	while (win.head < win.tail && win_at(win.head)->state == IT_DONE) {
		struct item *it = win_at(win.head++);

		if (it->has_end) {
			end = it->end;
			has_end = true;
		}
	}
	if (win.first_queued < win.head)
		win.first_queued = win.head;
	if (spool && has_end) {
		int r = spool_ack(spool, end);

		if (r)
			die("spool '%s': cannot record acknowledgement: %s", opt.spool,
			    strerror(-r));
	}
}

/* ---- HTTP ---------------------------------------------------------------------- */

static struct curl_slist *hdrs_bulk, *hdrs_json;
static char *auth_header;

struct resp {
	char *buf;
	size_t len, cap;
};

static size_t on_body(char *p, size_t size, size_t nmemb, void *arg)
{
	struct resp *r = arg;
	size_t n = size * nmemb;

	if (r->len + n + 1 > r->cap) {
		if (r->len + n + 1 > (256u << 20))
			return 0; /* absurd: fail the transfer */
		r->cap = (r->len + n + 1) * 2;
		r->buf = xrealloc(r->buf, r->cap);
	}
	memcpy(r->buf + r->len, p, n);
	r->len += n;
	r->buf[r->len] = '\0';
	return n;
}

static char curl_errbuf[CURL_ERROR_SIZE];

static void http_common(CURL *h, struct resp *r)
{
	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)(opt.connect_timeout * 1000));
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)(opt.request_timeout * 1000));
	curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, curl_errbuf);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_USERAGENT, "d4c-ship/" PACKAGE_VERSION);
	if (opt.ca)
		curl_easy_setopt(h, CURLOPT_CAINFO, opt.ca);
	if (opt.insecure) {
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	curl_errbuf[0] = '\0';
	r->len = 0;
	if (r->buf)
		r->buf[0] = '\0';
}

/* Whether a transfer error is about TLS trust: retrying will not help. */
static bool tls_refused(CURLcode c)
{
	return c == CURLE_PEER_FAILED_VERIFICATION || c == CURLE_SSL_CACERT_BADFILE ||
	       c == CURLE_SSL_CERTPROBLEM || c == CURLE_SSL_CRL_BADFILE ||
	       c == CURLE_SSL_ISSUER_ERROR || c == CURLE_SSL_PINNEDPUBKEYNOTMATCH;
}

static const char *curl_msg(CURLcode c)
{
	return curl_errbuf[0] ? curl_errbuf : curl_easy_strerror(c);
}

/* The error type and reason of an Elasticsearch error body, if it is one. */
static void es_error(const struct resp *r, char *out, size_t n)
{
	json_t *j = json_loadb(r->buf ? r->buf : "", r->len, 0, NULL);
	json_t *e = j ? json_object_get(j, "error") : NULL;
	const char *type = json_string_value(json_object_get(e, "type"));
	const char *reason = json_string_value(json_object_get(e, "reason"));

	if (type || reason)
		snprintf(out, n, "%s: %s", type ? type : "error", reason ? reason : "");
	else if (json_is_string(e))
		snprintf(out, n, "%s", json_string_value(e));
	else
		snprintf(out, n, "%.*s", (int)(r->len < 200 ? r->len : 200), r->buf ? r->buf : "");
	json_decref(j);
}

static bool is_cluster_block(const struct resp *r)
{
	return r->buf && strstr(r->buf, "cluster_block_exception");
}

/* ---- the shipper --------------------------------------------------------------- */

static CURL *easy; /* for the probe and --setup */
static CURLM *multi;
static struct resp resp;
static z_stream zs;

/* One _bulk request: its own handle, body and answer, and its items. */
struct req {
	CURL *easy;
	struct resp resp;
	char *body, *gz;
	size_t body_cap, gz_cap;
	uint64_t *items; /* item numbers in the window */
	size_t n, cap;
	bool busy;
};

static struct req reqs[REQ_MAX];
static unsigned nflying;
static size_t req_max;	/* items per request at most, after a 413 (0: no limit) */
static size_t url_i;	/* the URL in use */
static char *bulk_url;
static unsigned fail_streak; /* requests in a row that moved nothing: the backoff's exponent */
static uint64_t retry_at;    /* no new request before this (0: none) */
static int exit_code;

static sigset_t handled_signals; /* blocked from the start, read from a signalfd */
static void print_counters(void);

static uint64_t backoff_ns(void)
{
	double d = opt.backoff_min * pow(2, fail_streak > 0 ? fail_streak - 1 : 0);

	if (d > opt.backoff_max)
		d = opt.backoff_max;
	/* Equal jitter: never less than half the delay, never in lockstep. */
	return sec_ns(d / 2 + d / 2 * ((double)random() / RAND_MAX));
}

static void set_bulk_url(void)
{
	free(bulk_url);
	bulk_url = xasprintf("%s/_bulk?filter_path=errors,items.*.status,items.*.error.type,"
			     "items.*.error.reason",
			     opt.urls[url_i]);
}

static void body_put(struct req *q, size_t *len, const void *p, size_t n)
{
	if (*len + n > q->body_cap) {
		q->body_cap = (*len + n) * 2;
		q->body = xrealloc(q->body, q->body_cap);
	}
	memcpy(q->body + *len, p, n);
	*len += n;
}

/* Whether a request should go now: a full one's worth queued, items to send
 * again, the oldest queued past --batch-wait, or the input ended. */
static bool request_due(bool flush, uint64_t now)
{
	if (!win.queued || nflying == REQ_MAX || (retry_at && now < retry_at))
		return false;
	if (flush || win.retries || win.queued >= opt.batch_events || win.qbytes >= opt.batch_bytes)
		return true;
	while (win_at(win.first_queued)->state != IT_QUEUED)
		win.first_queued++;
	return now - win_at(win.first_queued)->queued_ns >= sec_ns(opt.batch_wait);
}

/* When request_due() may next say yes (UINT64_MAX: not by the clock). */
static uint64_t request_wake(void)
{
	uint64_t t = 0;

	if (!win.queued || nflying == REQ_MAX)
		return UINT64_MAX;
	if (!win.retries) {
		while (win_at(win.first_queued)->state != IT_QUEUED)
			win.first_queued++;
		t = win_at(win.first_queued)->queued_ns + sec_ns(opt.batch_wait);
	}
	return retry_at > t ? retry_at : t;
}

/* Builds a request of the oldest queued items and hands it to curl. */
static void start_request(void)
{
	struct req *q = NULL;
	size_t len = 0, max = req_max ? req_max : opt.batch_events;

	for (unsigned r = 0; r < REQ_MAX && !q; r++)
		if (!reqs[r].busy)
			q = &reqs[r];
	if (!q->easy && !(q->easy = curl_easy_init()))
		die("cannot initialize libcurl");
	q->n = 0;
	for (uint64_t k = win.first_queued; k < win.tail && q->n < max && len < opt.batch_bytes;
	     k++) {
		struct item *it = win_at(k);

		if (it->state != IT_QUEUED)
			continue;
		if (q->n == q->cap) {
			q->cap = q->cap ? 2 * q->cap : 1024;
			q->items = xrealloc(q->items, q->cap * sizeof(*q->items));
		}
		q->items[q->n++] = k;
		it->state = IT_FLYING;
		win.queued--;
		win.qbytes -= it->len;
		body_put(q, &len, stream_action[it->stream], stream_action_len[it->stream]);
		body_put(q, &len, it->id, ID_LEN);
		body_put(q, &len, "\"}}\n", 4);
		body_put(q, &len, it->line, it->len);
		body_put(q, &len, "\n", 1);
	}
	win.retries = 0; /* all of them went, or will be first in the next request */
	http_common(q->easy, &q->resp);
	curl_easy_setopt(q->easy, CURLOPT_PRIVATE, q);
	curl_easy_setopt(q->easy, CURLOPT_URL, bulk_url);
	curl_easy_setopt(q->easy, CURLOPT_HTTPHEADER, hdrs_bulk);
	if (opt.gzip_level > 0) {
		size_t bound = deflateBound(&zs, len);

		if (bound > q->gz_cap) {
			q->gz_cap = bound;
			q->gz = xrealloc(q->gz, q->gz_cap);
		}
		deflateReset(&zs);
		zs.next_in = (unsigned char *)q->body;
		zs.avail_in = len;
		zs.next_out = (unsigned char *)q->gz;
		zs.avail_out = q->gz_cap;
		if (deflate(&zs, Z_FINISH) != Z_STREAM_END)
			die("internal error: gzip of a request failed");
		curl_easy_setopt(q->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)zs.total_out);
		curl_easy_setopt(q->easy, CURLOPT_POSTFIELDS, q->gz);
	} else {
		curl_easy_setopt(q->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
		curl_easy_setopt(q->easy, CURLOPT_POSTFIELDS, q->body);
	}
	curl_multi_add_handle(multi, q->easy);
	q->busy = true;
	nflying++;
	cnt.requests++;
}

static void fatal_refused(int code, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 2, 3)));
static void fatal_refused(int code, const char *fmt, ...)
{
	va_list ap;
	char msg[512];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	error("%s", msg);
	if (spool)
		spool_close(spool);
	out_flush(&out_file);
	out_flush(&out_stdout);
	exit(code);
}

/*
 * A request is over: PROGRESS, whether the cluster took any of its items.
 * Only a request that moved nothing makes the next one wait, longer each
 * time; any progress ends the waiting: a cluster that takes 80% of every
 * request is slow, not down, and waiting would only make it slower.
 */
static void request_over(bool progress)
{
	if (progress) {
		fail_streak = 0;
		retry_at = 0;
		return;
	}
	fail_streak++;
	retry_at = now_ns() + backoff_ns();
}

/* The whole request failed for a reason worth retrying: its items are
 * queued again, and the next request waits. */
static void request_retry(struct req *q, const char *why)
{
	for (size_t k = 0; k < q->n; k++)
		item_requeue(win_at(q->items[k]), q->items[k]);
	request_over(false);
	set_last_error("%s", why);
	warning("'%s': %s; retrying in %.1f s", opt.urls[url_i], why,
		(retry_at - now_ns()) / 1e9);
	if (opt.nurls > 1) {
		url_i = (url_i + 1) % opt.nurls;
		set_bulk_url();
	}
}

static void item_done(struct item *it)
{
	it->state = IT_DONE;
	win.live--;
	win.bytes -= it->len;
	free(it->line);
	it->line = NULL;
}

static void handle_items(struct req *q, json_t *items)
{
	bool failures = false, progress = false;

	for (size_t k = 0; k < q->n; k++) {
		struct item *it = win_at(q->items[k]);
		json_t *obj = json_array_get(items, k), *res;
		const char *key;
		long status;

		res = NULL;
		json_object_foreach(obj, key, res) break;
		status = (long)json_integer_value(json_object_get(res, "status"));
		if (status >= 200 && status < 300) {
			cnt.acked++;
		} else if (status == 409) {
			cnt.duplicates++;
		} else if (status == 429 || status >= 500 || status == 0 ||
			   (status == 403 && !strcmp(json_string_value(json_object_get(
							 json_object_get(res, "error"), "type"))
							 ?: "",
						     "cluster_block_exception"))) {
			cnt.retried++;
			failures = true;
			set_last_error("item status %ld", status);
			item_requeue(it, q->items[k]);
			continue;
		} else {
			json_t *e = json_object_get(res, "error");
			const char *type = json_string_value(json_object_get(e, "type"));
			const char *reason = json_string_value(json_object_get(e, "reason"));

			set_last_error("%s: %s", type ?: "error", reason ?: "");
			dead_letter(it->line, it->len, true, (int)status, type ?: "error",
				    reason ?: "", stream_index[it->stream], it->id, 0);
		}
		progress = true;
		item_done(it);
	}
	if (!failures)
		cnt.batches++;
	request_over(progress);
}

static void request_done(struct req *q, CURLcode c)
{
	long status = 0;

	curl_multi_remove_handle(multi, q->easy);
	q->busy = false;
	nflying--;
	if (c != CURLE_OK) {
		if (tls_refused(c))
			fatal_refused(EXIT_REFUSED_AUTH, "'%s': TLS: %s", opt.urls[url_i],
				      curl_msg(c));
		request_retry(q, curl_msg(c));
		return;
	}
	curl_easy_getinfo(q->easy, CURLINFO_RESPONSE_CODE, &status);
	if (status == 200) {
		json_error_t je;
		json_t *j = json_loadb(q->resp.buf ? q->resp.buf : "", q->resp.len, 0, &je);
		json_t *items = json_object_get(j, "items");

		if (j && json_is_false(json_object_get(j, "errors"))) {
			cnt.acked += q->n;
			for (size_t k = 0; k < q->n; k++)
				item_done(win_at(q->items[k]));
			json_decref(j);
			cnt.batches++;
			request_over(true);
			return;
		}
		if (!j || !json_is_array(items) || json_array_size(items) != q->n) {
			json_decref(j);
			request_retry(q, "bad _bulk response");
			return;
		}
		handle_items(q, items);
		json_decref(j);
		return;
	}
	if (status == 413) {
		if (q->n <= 1) {
			struct item *it = win_at(q->items[0]);

			dead_letter(it->line, it->len, true, 413, "request_too_large",
				    "the document alone is larger than the cluster accepts",
				    stream_index[it->stream], it->id, 0);
			item_done(it);
		} else {
			/* Smaller requests from now on; these items go first, at once. */
			req_max = q->n / 2;
			cnt.split++;
			for (size_t k = 0; k < q->n; k++)
				item_requeue(win_at(q->items[k]), q->items[k]);
		}
		return;
	}
	{
		char why[300];

		es_error(&q->resp, why, sizeof(why));
		if (status == 401 || (status == 403 && !is_cluster_block(&q->resp)))
			fatal_refused(EXIT_REFUSED_AUTH, "'%s' refused the credentials (%ld): %s",
				      opt.urls[url_i], status, why);
		if (status == 429 || status >= 500 || status == 403 || status == 408) {
			char m[340];

			snprintf(m, sizeof(m), "HTTP %ld: %s", status, why);
			request_retry(q, m);
			return;
		}
		fatal_refused(EXIT_REFUSED, "'%s' refused the bulk request (%ld): %s",
			      opt.urls[url_i], status, why);
	}
}

/*
 * At start: GET / on each URL in turn until one answers, backing off,
 * for at most --startup-timeout. 401 (and TLS trust errors) end the run
 * at once with exit 3; 403 is fine (a key without the monitor privilege).
 */
static void probe(void)
{
	uint64_t deadline = now_ns() + sec_ns(opt.startup_timeout);
	unsigned streak = 0;

	for (size_t i = 0;; i = (i + 1) % opt.nurls) {
		char *url = xasprintf("%s/", opt.urls[i]);
		CURLcode c;
		long status = 0;
		char why[300];

		http_common(easy, &resp);
		curl_easy_setopt(easy, CURLOPT_URL, url);
		curl_easy_setopt(easy, CURLOPT_HTTPHEADER, hdrs_json);
		c = curl_easy_perform(easy);
		free(url);
		if (c == CURLE_OK) {
			curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
			if (status == 401) {
				es_error(&resp, why, sizeof(why));
				fatal_refused(EXIT_REFUSED_AUTH,
					      "'%s' refused the credentials (401): %s", opt.urls[i],
					      why);
			}
			if (status < 500 && status != 429) {
				url_i = i;
				return;
			}
			snprintf(why, sizeof(why), "HTTP %ld", status);
		} else {
			if (tls_refused(c))
				fatal_refused(EXIT_REFUSED_AUTH, "'%s': TLS: %s", opt.urls[i],
					      curl_msg(c));
			snprintf(why, sizeof(why), "%s", curl_msg(c));
		}
		if (opt.startup_timeout > 0 && now_ns() >= deadline)
			fatal_refused(EXIT_UNREACHABLE, "cannot reach '%s' within %g s: %s",
				      opt.urls[i], opt.startup_timeout, why);
		if (i + 1 == opt.nurls) { /* every URL tried: wait before the next round */
			double d = opt.backoff_min * pow(2, streak++);
			uint64_t w;
			struct timespec ts;

			if (d > opt.backoff_max)
				d = opt.backoff_max;
			w = sec_ns(d / 2 + d / 2 * ((double)random() / RAND_MAX));
			if (opt.startup_timeout > 0 && now_ns() + w > deadline)
				w = deadline > now_ns() ? deadline - now_ns() : 0;
			ts.tv_sec = w / 1000000000ull;
			ts.tv_nsec = w % 1000000000ull;
			/* Sleep, but answer signals (they are blocked: see main). */
			for (uint64_t until = now_ns() + w;;) {
				int sig = sigtimedwait(&handled_signals, NULL, &ts);
				uint64_t t = now_ns();

				if (sig == SIGINT || sig == SIGTERM)
					fatal_refused(EXIT_UNREACHABLE,
						      "stopped by a signal while waiting for '%s'",
						      opt.urls[i]);
				if (sig == SIGUSR1)
					print_counters();
				if (sig < 0 && errno == EAGAIN)
					break;
				if (t >= until)
					break;
				ts.tv_sec = (until - t) / 1000000000ull;
				ts.tv_nsec = (until - t) % 1000000000ull;
			}
		}
	}
}

/* ---- --setup ------------------------------------------------------------------- */

static int setup(void)
{
	static const char *const names[S_MAX] = {
	    "logs-cloud_defend.process", "logs-cloud_defend.file", "logs-cloud_defend.alerts",
	    "metrics-cloud_defend.metrics"};

	probe();
	for (int s = 0; s < S_MAX; s++) {
		char *path = xasprintf("%s/%s.json", opt.templates, names[s]);
		char *url = xasprintf("%s/_index_template/d4c-%s", opt.urls[url_i], names[s]);
		char *tmpl, why[300];
		size_t len;
		long status = 0;
		CURLcode c;
		int r = read_whole_file(path, 1u << 20, &tmpl, &len);

		if (r)
			die("cannot read index template '%s': %s", path, strerror(-r));
		http_common(easy, &resp);
		curl_easy_setopt(easy, CURLOPT_URL, url);
		curl_easy_setopt(easy, CURLOPT_HTTPHEADER, hdrs_json);
		curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, "PUT");
		curl_easy_setopt(easy, CURLOPT_POSTFIELDS, tmpl);
		curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
		c = curl_easy_perform(easy);
		if (c != CURLE_OK)
			fatal_refused(tls_refused(c) ? EXIT_REFUSED_AUTH : EXIT_UNREACHABLE,
				      "'%s': %s", url, curl_msg(c));
		curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
		es_error(&resp, why, sizeof(why));
		if (status == 401 || status == 403)
			fatal_refused(EXIT_REFUSED_AUTH, "'%s' refused the credentials (%ld): %s",
				      opt.urls[url_i], status, why);
		if (status != 200)
			fatal_refused(EXIT_REFUSED, "index template 'd4c-%s' refused (%ld): %s",
				      names[s], status, why);
		printf("installed index template 'd4c-%s' for '%s-*' from '%s'\n", names[s],
		       names[s], path);
		free(tmpl);
		free(path);
		free(url);
	}
	return 0;
}

/* ---- input --------------------------------------------------------------------- */

static const char *const scan_paths[] = {"event.kind", "event.dataset"};
static bool es_on;

/* Takes one line read (or made here): checks it, routes it, sends it on. */
static void take_line(const char *line, size_t len, int flags, uint64_t lineno)
{
	struct ndjson_str f[2];
	size_t eoff = 0;
	const char *emsg = NULL;
	int s;

	cnt.read++;
	if (flags & NDJSON_TOO_LONG) {
		char reason[96];

		snprintf(reason, sizeof(reason),
			 "line longer than %" PRIu64 " bytes (first bytes kept)", opt.max_line);
		cnt.invalid++;
		dead_letter(line, len < 1024 ? len : 1024, false, 0, "line_too_long", reason, NULL,
			    NULL, lineno);
		return;
	}
	if (ndjson_scan(line, len, scan_paths, 2, f, &eoff, &emsg)) {
		char reason[128];

		snprintf(reason, sizeof(reason), "not a JSON object: %s at byte %zu", emsg,
			 eoff + 1);
		cnt.invalid++;
		dead_letter(line, len, false, 0, "invalid_json", reason, NULL, NULL, lineno);
		return;
	}
	if (opt.file) {
		out_line(&out_file, line, len);
		cnt.written_file++;
	}
	if (opt.to_stdout) {
		out_line(&out_stdout, line, len);
		cnt.written_stdout++;
	}
	if (!es_on)
		return;
	s = pick_stream(f);
	if (s < 0) {
		cnt.invalid++;
		dead_letter(line, len, true, 0, "no_data_stream",
			    "event.kind and event.dataset name no cloud_defend data stream", NULL,
			    NULL, lineno);
		return;
	}
	if (spool) {
		unsigned char pre = s;
		int r = spool_append(spool, &pre, 1, line, len);

		if (r)
			die("spool '%s': cannot append: %s", opt.spool, strerror(-r));
	} else {
		window_add(s, line, len);
	}
}

/* Whether another line can be taken now without growing memory or the spool. */
static bool can_take(void)
{
	if (!es_on)
		return true;
	if (spool)
		return !spool_full(spool);
	return !window_full();
}

/* Moves spooled records into the window; returns whether it moved any. */
static bool pump_spool(void)
{
	bool moved = false;

	while (!window_full()) {
		const void *data;
		size_t len;
		struct spool_pos end;
		int r = spool_read(spool, &data, &len, &end);

		if (r < 0)
			die("spool '%s': cannot read: %s", opt.spool, strerror(-r));
		if (r == 0)
			break;
		moved = true;
		if (len < 1 || ((const unsigned char *)data)[0] >= S_MAX) {
			warning("spool '%s': record with no stream, dead-lettered", opt.spool);
			dead_letter((const char *)data, len, false, 0, "spool_record",
				    "spool record with no stream", NULL, NULL, 0);
		} else {
			window_add(((const unsigned char *)data)[0], (const char *)data + 1,
				   len - 1);
		}
		window_end(end);
	}
	/* dead-lettered records with nothing before them still to deliver
	 * are done, and no request will acknowledge them */
	window_advance();
	return moved;
}

/* ---- metric records and SIGUSR1 ----------------------------------------------- */

static struct jsonw mw;

static void metric_record(bool final)
{
	jsonw_metric_begin(&mw, clock_ns(CLOCK_REALTIME), "d4c-ship", final);
	jsonw_kv_u64(&mw, "read", cnt.read);
	jsonw_kv_u64(&mw, "invalid", cnt.invalid);
	jsonw_kv_u64(&mw, "delivered", cnt.acked + cnt.duplicates);
	jsonw_kv_u64(&mw, "acked", cnt.acked);
	jsonw_kv_u64(&mw, "duplicates", cnt.duplicates);
	jsonw_kv_u64(&mw, "retried", cnt.retried);
	jsonw_kv_u64(&mw, "dead_lettered", cnt.dead_lettered);
	jsonw_kv_u64(&mw, "batches", cnt.batches);
	jsonw_kv_u64(&mw, "requests", cnt.requests);
	jsonw_kv_u64(&mw, "spooled_bytes", spool ? spool_bytes(spool) : 0);
	jsonw_kv_u64(&mw, "written_file", cnt.written_file);
	jsonw_kv_u64(&mw, "written_stdout", cnt.written_stdout);
	jsonw_kv_str(&mw, "last_error", cnt.last_error);
	jsonw_obj_end(&mw);
	jsonw_obj_end(&mw);
	if (jsonw_end_line(&mw))
		die("internal error: bad metric record");
	/* Counted as read like any event: it is one. */
	take_line(jsonw_data(&mw), jsonw_len(&mw) - 1, 0, 0);
	jsonw_reset(&mw);
}

/* The line at exit: what became of everything read. */
static void print_summary(void)
{
	char by[256] = "";
	size_t o = 0;
	uint64_t left = spool ? 0 : win.live;

	for (size_t t = 0; t <= DL_TYPES; t++)
		if (dl_count[t] && o < sizeof(by))
			o += snprintf(by + o, sizeof(by) - o, "%s%s=%" PRIu64, o ? " " : " (",
				      t < DL_TYPES ? dl_types[t] : "refused", dl_count[t]);
	if (o && o < sizeof(by))
		snprintf(by + o, sizeof(by) - o, ")");
	if (es_on)
		info("read=%" PRIu64 " sent=%" PRIu64 " duplicates=%" PRIu64 " dead_lettered=%" PRIu64
		     "%s retried=%" PRIu64 " requests=%" PRIu64 " spooled_bytes=%" PRIu64
		     " lost=%" PRIu64,
		     cnt.read, cnt.acked, cnt.duplicates, cnt.dead_lettered, by, cnt.retried,
		     cnt.requests, spool ? spool_bytes(spool) : 0, left);
	else
		info("read=%" PRIu64 " written_file=%" PRIu64 " written_stdout=%" PRIu64
		     " dead_lettered=%" PRIu64 "%s lost=0",
		     cnt.read, cnt.written_file, cnt.written_stdout, cnt.dead_lettered, by);
}

static void print_counters(void)
{
	info("read=%" PRIu64 " invalid=%" PRIu64 " acked=%" PRIu64 " duplicates=%" PRIu64
	     " retried=%" PRIu64 " dead_lettered=%" PRIu64 " spooled_bytes=%" PRIu64
	     " batches=%" PRIu64 " requests=%" PRIu64 " last_error=\"%s\"",
	     cnt.read, cnt.invalid, cnt.acked, cnt.duplicates, cnt.retried, cnt.dead_lettered,
	     spool ? spool_bytes(spool) : 0, cnt.batches, cnt.requests, cnt.last_error);
}

/* ---- set-up -------------------------------------------------------------------- */

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

static void setup_auth(void)
{
	const char *env_key = getenv("D4C_ES_API_KEY");
	const char *user = opt.user ? opt.user : getenv("D4C_ES_USER");
	char *key = NULL, *pass = NULL;

	if (opt.api_key_file)
		key = read_secret(opt.api_key_file);
	else if (env_key && *env_key)
		key = xstrdup(env_key);
	if (key && user)
		usage_error("an API key and a user: choose one");
	if (key) {
		if (strchr(key, ':')) { /* id:key, as created: encode it */
			char *enc = xmalloc(4 * strlen(key) / 3 + 8);

			base64(b64std, true, (unsigned char *)key, strlen(key), enc);
			auth_header = xasprintf("Authorization: ApiKey %s", enc);
			free(enc);
		} else {
			auth_header = xasprintf("Authorization: ApiKey %s", key);
		}
		free(key);
		return;
	}
	if (!user) {
		if (opt.password_file)
			usage_error("--password-file needs --user");
		return;
	}
	if (opt.password_file)
		pass = read_secret(opt.password_file);
	else if (getenv("D4C_ES_PASSWORD"))
		pass = xstrdup(getenv("D4C_ES_PASSWORD"));
	else
		usage_error("user '%s' has no password: set D4C_ES_PASSWORD or --password-file",
			    user);
	{
		char *up = xasprintf("%s:%s", user, pass);
		char *enc = xmalloc(4 * strlen(up) / 3 + 8);

		base64(b64std, true, (unsigned char *)up, strlen(up), enc);
		auth_header = xasprintf("Authorization: Basic %s", enc);
		memset(up, 0, strlen(up));
		memset(pass, 0, strlen(pass));
		free(up);
		free(enc);
		free(pass);
	}
}

static void parse_urls(const char *arg)
{
	char *copy = xstrdup(arg), *save = NULL;

	for (char *u = strtok_r(copy, ",", &save); u; u = strtok_r(NULL, ",", &save)) {
		size_t n = strlen(u);

		if (strncmp(u, "http://", 7) && strncmp(u, "https://", 8))
			usage_error("--es: '%s' is not an http:// or https:// URL", u);
		if (strchr(u, '@'))
			usage_error("--es: '%s' has credentials in it: use D4C_ES_USER and "
				    "D4C_ES_PASSWORD or a file",
				    u);
		while (n > 0 && u[n - 1] == '/')
			u[--n] = '\0';
		opt.urls = xrealloc(opt.urls, (opt.nurls + 1) * sizeof(*opt.urls));
		opt.urls[opt.nurls++] = xstrdup(u);
	}
	free(copy);
	if (!opt.nurls)
		usage_error("--es: no URL");
}

static void parse_options(int argc, char **argv)
{
	int c;

	while ((c = getopt_long(argc, argv, "h", long_opts, NULL)) != -1) {
		switch (c) {
		case OPT_ES:
			parse_urls(optarg);
			break;
		case OPT_NAMESPACE:
			opt.ns = optarg;
			break;
		case OPT_SETUP:
			opt.setup = true;
			break;
		case OPT_TEMPLATES:
			opt.templates = optarg;
			break;
		case OPT_USER:
			opt.user = optarg;
			break;
		case OPT_PASSWORD_FILE:
			opt.password_file = optarg;
			break;
		case OPT_API_KEY_FILE:
			opt.api_key_file = optarg;
			break;
		case OPT_CA:
			opt.ca = optarg;
			break;
		case OPT_INSECURE:
			opt.insecure = true;
			break;
		case OPT_BATCH_EVENTS:
			opt.batch_events = parse_long("--batch-events", optarg, 1, 1000000);
			break;
		case OPT_BATCH_BYTES:
			opt.batch_bytes = parse_bytes("--batch-bytes", optarg);
			break;
		case OPT_BATCH_WAIT:
			opt.batch_wait = parse_sec("--batch-wait", optarg);
			break;
		case OPT_GZIP:
			opt.gzip_level = parse_long("--gzip-level", optarg, 0, 9);
			break;
		case OPT_CONNECT_TIMEOUT:
			opt.connect_timeout = parse_sec("--connect-timeout", optarg);
			break;
		case OPT_REQUEST_TIMEOUT:
			opt.request_timeout = parse_sec("--request-timeout", optarg);
			break;
		case OPT_BACKOFF_MIN:
			opt.backoff_min = parse_sec("--backoff-min", optarg);
			break;
		case OPT_BACKOFF_MAX:
			opt.backoff_max = parse_sec("--backoff-max", optarg);
			break;
		case OPT_STARTUP_TIMEOUT:
			opt.startup_timeout = parse_sec("--startup-timeout", optarg);
			break;
		case OPT_DEAD_LETTER:
			opt.dead_letter = optarg;
			break;
		case OPT_SPOOL:
			opt.spool = optarg;
			break;
		case OPT_SPOOL_MAX:
			opt.spool_max = parse_bytes("--spool-max-bytes", optarg);
			break;
		case OPT_SPOOL_SEGMENT:
			opt.spool_segment = parse_bytes("--spool-segment-bytes", optarg);
			break;
		case OPT_SPOOL_FSYNC:
			opt.spool_fsync = parse_long("--spool-fsync", optarg, -1, 3600000);
			break;
		case OPT_FILE:
			opt.file = optarg;
			break;
		case OPT_FILE_MAX:
			opt.file_max = parse_bytes("--file-max-bytes", optarg);
			break;
		case OPT_FILE_KEEP:
			opt.file_keep = parse_long("--file-keep", optarg, 0, 1000);
			break;
		case OPT_STDOUT:
			opt.to_stdout = true;
			break;
		case OPT_MAX_LINE:
			opt.max_line = parse_bytes("--max-line", optarg);
			if (opt.max_line < 64 || opt.max_line > SPOOL_MAX_RECORD - 1)
				usage_error("--max-line: %s is not between 64 and 64M", optarg);
			break;
		case OPT_METRICS:
			opt.metrics_interval = parse_sec("--metrics-interval", optarg);
			break;
		case 'h':
			fputs(usage_text, stdout);
			exit(EXIT_OK);
		default:
			usage_error("unknown option");
		}
	}
	if (optind < argc)
		usage_error("unexpected argument '%s'", argv[optind]);
	if (opt.setup && !opt.nurls)
		usage_error("--setup needs --es URL");
	if (!opt.setup && !opt.nurls && !opt.file && !opt.to_stdout)
		usage_error("no output: give --es, --file or --stdout");
	if (opt.spool && !opt.nurls)
		usage_error("--spool is for --es");
	if (!*opt.ns || strlen(opt.ns) > 100 ||
	    strspn(opt.ns, "abcdefghijklmnopqrstuvwxyz0123456789_.") != strlen(opt.ns))
		usage_error("--namespace: '%s' is not lower-case letters, digits, '_' and '.' "
			    "(at most 100)",
			    opt.ns);
	if (opt.backoff_max < opt.backoff_min)
		usage_error("--backoff-max is less than --backoff-min");
	if (opt.batch_bytes < 1)
		usage_error("--batch-bytes: must be positive");
	if (opt.spool_segment < 4096)
		usage_error("--spool-segment-bytes: at least 4096");
	if (opt.insecure)
		warning("--insecure-skip-tls-verify: the server's certificate is NOT checked; "
			"anyone on the path can read and change what is shipped");
}

static void setup_http(void)
{
	static const char *const common[] = {"Accept: application/json", "Expect:"};

	if (curl_global_init(CURL_GLOBAL_DEFAULT))
		die("cannot initialize libcurl");
	easy = curl_easy_init();
	multi = curl_multi_init();
	if (!easy || !multi)
		die("cannot initialize libcurl");
	for (size_t i = 0; i < 2; i++) {
		hdrs_bulk = curl_slist_append(hdrs_bulk, common[i]);
		hdrs_json = curl_slist_append(hdrs_json, common[i]);
	}
	hdrs_bulk = curl_slist_append(hdrs_bulk, "Content-Type: application/x-ndjson");
	if (opt.gzip_level > 0)
		hdrs_bulk = curl_slist_append(hdrs_bulk, "Content-Encoding: gzip");
	hdrs_json = curl_slist_append(hdrs_json, "Content-Type: application/json");
	if (auth_header) {
		hdrs_bulk = curl_slist_append(hdrs_bulk, auth_header);
		hdrs_json = curl_slist_append(hdrs_json, auth_header);
	}
	if (opt.gzip_level > 0 &&
	    deflateInit2(&zs, opt.gzip_level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		die("cannot initialize zlib");
	for (int s = 0; s < S_MAX; s++) {
		stream_index[s] = xasprintf("%s%s", stream_prefix[s], opt.ns);
		stream_action[s] =
		    xasprintf("{\"create\":{\"_index\":\"%s\",\"_id\":\"", stream_index[s]);
		stream_action_len[s] = strlen(stream_action[s]);
	}
	if (opt.nurls)
		set_bulk_url();
}

/* ---- main loop ----------------------------------------------------------------- */

int main(int argc, char **argv)
{
	struct ndjson_reader rd;
	int sigfd;
	bool input_open = true, stopping = false, final_sent = false;
	uint64_t next_metrics, stop_deadline = 0;

	set_progname(argv[0]);
	srandom(now_ns() ^ getpid());
	/* Blocked before anything can take long: a signal is never lost or fatal. */
	sigemptyset(&handled_signals);
	sigaddset(&handled_signals, SIGINT);
	sigaddset(&handled_signals, SIGTERM);
	sigaddset(&handled_signals, SIGUSR1);
	sigprocmask(SIG_BLOCK, &handled_signals, NULL);
	parse_options(argc, argv);
	/* What d4c-ship opens (credentials, spool, output files, the CA file
	 * at each connection) is its user's own: it needs no capability and
	 * keeps none, which access() below takes into account. */
	if (keep_capabilities(NULL, 0))
		warning("cannot drop capabilities: %s", strerror(errno));
	if (opt.ca && access(opt.ca, R_OK)) {
		error("cannot read CA file '%s': %s", opt.ca, strerror(errno));
		exit(EXIT_REFUSED_AUTH);
	}
	signal(SIGPIPE, SIG_IGN);
	es_on = opt.nurls > 0;
	jsonw_init(&dlw);
	jsonw_init(&mw);
	if (es_on)
		setup_auth();
	setup_http();
	if (opt.setup)
		return setup();

	/* Dead letters: the file asked for, else beside the spool, else stderr. */
	if (opt.dead_letter)
		out_open(&out_dead, opt.dead_letter, -1);
	else if (opt.spool) {
		char *p;

		if (spool_dir(opt.spool))
			exit(EXIT_USAGE);
		p = xasprintf("%s/dead-letter.ndjson", opt.spool);
		out_open(&out_dead, p, -1);
	} else {
		out_open(&out_dead, NULL, STDERR_FILENO);
	}
	if (opt.file) {
		out_open(&out_file, opt.file, -1);
		out_file.max = opt.file_max;
		out_file.keep = opt.file_keep;
		if (out_start_writer(&out_file) == 0)
			atexit(out_file_wait);
	}
	if (opt.to_stdout)
		out_open(&out_stdout, NULL, STDOUT_FILENO);

	if (opt.spool) {
		struct spool_opts so = {opt.spool_segment, opt.spool_max, opt.spool_fsync};
		struct spool_recovery rec;
		int r = spool_open(&spool, opt.spool, &so, &rec);

		if (r == -EBUSY)
			die("spool '%s' is in use by another process", opt.spool);
		if (r == -EPERM) /* another user's file: spool_open said which */
			exit(EXIT_USAGE);
		if (r)
			die("cannot open spool '%s': %s", opt.spool, strerror(-r));
		if (rec.records || rec.torn_bytes || rec.corrupt_bytes)
			info("spool '%s': %" PRIu64 " events (%" PRIu64
			     " bytes) not yet acknowledged, sending them again; %" PRIu64
			     " torn bytes cut, %" PRIu64 " corrupt bytes skipped (%" PRIu64
			     " bad records)",
			     opt.spool, rec.records, rec.bytes, rec.torn_bytes, rec.corrupt_bytes,
			     rec.corrupt_records);
	}
	if (es_on)
		probe();

	sigfd = signalfd(-1, &handled_signals, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sigfd < 0)
		die("signalfd: %s", strerror(errno));
	fcntl(STDIN_FILENO, F_SETFL, fcntl(STDIN_FILENO, F_GETFL) | O_NONBLOCK);
	ndjson_reader_init(&rd, STDIN_FILENO, opt.max_line);
	next_metrics = now_ns() + sec_ns(opt.metrics_interval);

	for (;;) {
		struct curl_waitfd wfd[2];
		unsigned nwfd = 0;
		uint64_t now, wake = UINT64_MAX;
		bool want_input;
		int running;

		bool progress = false, more_buffered = false;

		/* Take what is buffered, as far as there is room. */
		while (input_open && !stopping) {
			const char *line;
			size_t len;
			int flags;

			if (!can_take()) {
				more_buffered = true;
				break;
			}
			if (!ndjson_next(&rd, &line, &len, &flags)) {
				if (rd.eof)
					input_open = false;
				break;
			}
			take_line(line, len, flags, rd.lineno);
		}
		now = now_ns();
		if (opt.metrics_interval > 0 && now >= next_metrics && !stopping && input_open) {
			metric_record(false);
			next_metrics = now + sec_ns(opt.metrics_interval);
		}
		if ((!input_open || stopping) && !final_sent) {
			bool drained =
			    !es_on || (win.head == win.tail && (!spool || spool_bytes(spool) == 0));

			/* The last record: once everything else is handled, or on a stop. */
			if (drained || stopping) {
				metric_record(true);
				final_sent = true;
			}
		}
		if (opt.file)
			out_flush(&out_file);
		if (opt.to_stdout)
			out_flush(&out_stdout);
		if (spool) {
			int r = spool_flush(spool);

			if (r)
				die("spool '%s': cannot write: %s", opt.spool, strerror(-r));
			if (stopping) {
				/* Everything read is on disk: the spool delivers it next time. */
				print_summary();
				spool_close(spool);
				exit(exit_code		 ? exit_code
				     : cnt.dead_lettered ? EXIT_DEAD_LETTERED
							 : 0);
			}
			progress |= pump_spool();
		}

		/* Send. */
		while (es_on && request_due(!input_open || stopping, now)) {
			start_request();
			progress = true;
		}
		if (nflying) {
			CURLMsg *m;
			int left;

			curl_multi_perform(multi, &running);
			while ((m = curl_multi_info_read(multi, &left)))
				if (m->msg == CURLMSG_DONE) {
					struct req *q;

					curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &q);
					request_done(q, m->data.result);
					progress = true;
				}
		}
		if (es_on)
			window_advance();

		/* Done? */
		if ((!input_open || stopping) && final_sent && win.head == win.tail &&
		    (!spool || spool_bytes(spool) == 0))
			break;
		if (stopping && now_ns() >= stop_deadline) {
			uint64_t left = win.tail - win.head;

			error("stopped with %" PRIu64 " events read but not delivered", left);
			exit(EXIT_UNDELIVERED);
		}

		/* Wait for input, the network, a signal or a deadline. */
		want_input = input_open && !stopping && can_take();
		wfd[nwfd++] = (struct curl_waitfd){sigfd, CURL_WAIT_POLLIN, 0};
		if (want_input)
			wfd[nwfd++] = (struct curl_waitfd){STDIN_FILENO, CURL_WAIT_POLLIN, 0};
		if (es_on)
			wake = request_wake();
		if (opt.metrics_interval > 0 && next_metrics < wake)
			wake = next_metrics;
		if (spool && opt.spool_fsync > 0)
			wake = wake < now_ns() + opt.spool_fsync * 1000000ull
				   ? wake
				   : now_ns() + opt.spool_fsync * 1000000ull;
		if (stopping && stop_deadline < wake)
			wake = stop_deadline;
		{
			uint64_t t = now_ns();
			int ms = wake == UINT64_MAX ? 1000
				 : wake <= t	    ? 0
						    : (int)((wake - t + 999999) / 1000000);

			/* Something moved: look again before sleeping (never spins idle). */
			if (progress || (more_buffered && can_take()))
				ms = 0;

			if (ms > 1000)
				ms = 1000;
			curl_multi_poll(multi, wfd, nwfd, ms, NULL);
		}
		{
			struct signalfd_siginfo si;

			while (read(sigfd, &si, sizeof(si)) == sizeof(si)) {
				if (si.ssi_signo == SIGUSR1) {
					print_counters();
				} else if (stopping) {
					error("second signal: stopping now");
					exit(EXIT_UNDELIVERED);
				} else {
					stopping = true;
					stop_deadline = now_ns() + sec_ns(10);
				}
			}
		}
		if (want_input && wfd[1].revents) {
			ssize_t n = ndjson_fill(&rd);

			if (n < 0 && n != -EAGAIN)
				die("cannot read stdin: %s", strerror((int)-n));
		}
		if (want_input && !wfd[1].revents && input_open) {
			/* A pipe at end of file may report POLLHUP only: look anyway. */
			ssize_t n = ndjson_fill(&rd);

			if (n < 0 && n != -EAGAIN)
				die("cannot read stdin: %s", strerror((int)-n));
		}
	}
	if (opt.file)
		out_flush(&out_file);
	if (opt.to_stdout)
		out_flush(&out_stdout);
	if (spool)
		spool_close(spool);
	print_summary();
	return cnt.dead_lettered ? EXIT_DEAD_LETTERED : EXIT_OK;
}
