/*
 * outputs.c - d4c-ship's file, stdout and dead-letter outputs (outputs.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ship.h"

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

void out_open(struct out *o, const char *path, int fd)
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

/*
 * The output whose writer thread the exit handler waits for: atexit()
 * passes its handler no argument, so this is the one file-scope variable
 * of d4c-ship's state.
 */
static struct out *exit_settles;

/* At exit, however it comes: what the file's writer was given is written
 * (exit() may not be called again here). */
static void out_exit_wait(void)
{
	int err = out_settle(exit_settles);

	if (err) {
		error("cannot write to '%s': %s", exit_settles->path, strerror(err));
		_exit(EXIT_USAGE);
	}
}

static void write_all_or_die(struct out *o, const char *p, size_t len, const char *tail,
			     size_t tlen)
{
	int r = write_lines(o->fd, o->regular, p, len, tail, tlen);

	if (r)
		die("cannot write to '%s': %s", o->path ? o->path : "stdout", strerror(-r));
	o->size += len + tlen;
}

void out_flush(struct out *o)
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

void out_line(struct out *o, const char *line, size_t len)
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

void outputs_open(struct shipper *sh)
{
	const struct ship_opts *opt = &sh->opt;

	/* Dead letters: the file asked for, else beside the spool, else stderr. */
	if (opt->dead_letter) {
		out_open(&sh->dl.out, opt->dead_letter, -1);
	} else if (opt->spool) {
		if (spool_dir(opt->spool))
			exit(EXIT_USAGE);
		out_open(&sh->dl.out, xasprintf("%s/dead-letter.ndjson", opt->spool), -1);
	} else {
		out_open(&sh->dl.out, NULL, STDERR_FILENO);
	}
	if (opt->file) {
		out_open(&sh->out_file, opt->file, -1);
		sh->out_file.max = opt->file_max;
		sh->out_file.keep = opt->file_keep;
		if (out_start_writer(&sh->out_file) == 0) {
			exit_settles = &sh->out_file;
			atexit(out_exit_wait);
		}
	}
	if (opt->to_stdout)
		out_open(&sh->out_stdout, NULL, STDOUT_FILENO);
}

/* ---- dead letters ------------------------------------------------------------- */

static const char *const dl_types[DL_TYPES] = { "invalid_json", "line_too_long", "no_data_stream",
						"request_too_large", "spool_record" };

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

		if (*q == '"' || *q == '\\' || *q == '\n' || *q == '\t' || *q == '\r' ||
		    *q == '\b' || *q == '\f')
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
static void dl_warn(uint64_t n, const char *type, const char *reason, const char *index,
		    const char *id, uint64_t lineno)
{
	if (n > 10 && (n & (n - 1)))
		return;
	if (lineno)
		warning("line %" PRIu64 ": %s (%s; dead-lettered, %" PRIu64 " so far)", lineno,
			reason, type, n);
	else
		warning("document '%s' for '%s': %s (%s; dead-lettered, %" PRIu64 " so far)",
			id ? id : "-", index ? index : "-", reason, type, n);
}

/* The event in its record: as JSON when it is a valid object, else as a
 * string under "line", cut as dl_line_fit() says, with line_truncated and
 * line_bytes when cut. */
static void dl_event(struct jsonw *w, const char *line, size_t len, bool is_json)
{
	size_t keep;

	if (is_json) {
		jsonw_key(w, "document");
		jsonw_raw(w, line, len);
		return;
	}
	keep = dl_line_fit(line, len);
	jsonw_kv_strn(w, "line", line, keep);
	if (keep < len) {
		jsonw_key(w, "line_truncated");
		jsonw_bool(w, true);
		jsonw_kv_u64(w, "line_bytes", len);
	}
}

void dead_letter(struct dead_letters *dl, const char *line, size_t len, bool is_json, int status,
		 const char *type, const char *reason, const char *index, const char *id,
		 uint64_t lineno)
{
	struct jsonw *w = &dl->w;
	size_t t;

	for (t = 0; t < DL_TYPES && strcmp(dl_types[t], type); t++)
		;
	dl->by_type[t]++;
	jsonw_obj_begin(w);
	jsonw_kv_time(w, "@timestamp", clock_ns(CLOCK_REALTIME));
	jsonw_key(w, "error");
	jsonw_obj_begin(w);
	if (status)
		jsonw_kv_u64(w, "status", status);
	jsonw_kv_str(w, "type", type);
	jsonw_kv_str(w, "reason", reason);
	jsonw_obj_end(w);
	if (index)
		jsonw_kv_str(w, "_index", index);
	if (id)
		jsonw_kv_str(w, "_id", id);
	if (lineno)
		jsonw_kv_u64(w, "line_number", lineno);
	dl_event(w, line, len, is_json);
	jsonw_obj_end(w);
	if (jsonw_end_line(w))
		die("internal error: bad dead-letter record");
	out_line(&dl->out, jsonw_data(w), jsonw_len(w) - 1);
	jsonw_reset(w);
	out_flush(&dl->out);
	dl->n++;
	dl_warn(dl->n, type, reason, index, id, lineno);
}

void dl_summary(const struct dead_letters *dl, char *by, size_t n)
{
	size_t o = 0;

	by[0] = '\0';
	for (size_t t = 0; t <= DL_TYPES; t++)
		if (dl->by_type[t] && o < n)
			o += snprintf(by + o, n - o, "%s%s=%" PRIu64, o ? " " : " (",
				      t < DL_TYPES ? dl_types[t] : "refused", dl->by_type[t]);
	if (o && o < n)
		snprintf(by + o, n - o, ")");
}
