/*
 * run.c - d4c-ship's loop: one thread, one poll (curl_multi_poll over
 * stdin, a signalfd and the HTTP connections) that takes input, sends
 * requests, handles their answers and writes metric records, until the
 * input ends and everything is delivered, or a signal stops it.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "event.h"
#include "ship.h"

void ship_fatal(struct shipper *sh, int code, const char *fmt, ...)
{
	va_list ap;
	char msg[512];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	error("%s", msg);
	if (sh->spool)
		spool_close(sh->spool);
	out_flush(&sh->out_file);
	out_flush(&sh->out_stdout);
	exit(code);
}

void ship_open_spool(struct shipper *sh)
{
	const struct ship_opts *opt = &sh->opt;
	struct spool_opts so = { opt->spool_segment, opt->spool_max, opt->spool_fsync };
	struct spool_recovery rec;
	int r;

	if (!opt->spool)
		return;
	r = spool_open(&sh->spool, opt->spool, &so, &rec);
	if (r == -EBUSY)
		die("spool '%s' is in use by another process", opt->spool);
	if (r == -EPERM) /* another user's file: spool_open said which */
		exit(EXIT_USAGE);
	if (r)
		die("cannot open spool '%s': %s", opt->spool, strerror(-r));
	if (rec.records || rec.torn_bytes || rec.corrupt_bytes)
		info("spool '%s': %" PRIu64 " events (%" PRIu64
		     " bytes) not yet acknowledged, sending them again; %" PRIu64
		     " torn bytes cut, %" PRIu64 " corrupt bytes skipped (%" PRIu64 " bad records)",
		     opt->spool, rec.records, rec.bytes, rec.torn_bytes, rec.corrupt_bytes,
		     rec.corrupt_records);
}

static uint64_t spooled_bytes(const struct shipper *sh)
{
	return sh->spool ? spool_bytes(sh->spool) : 0;
}

/* Lets the acknowledged front of the window go, and tells the spool. */
static void advance(struct shipper *sh)
{
	struct spool_pos end;
	int r;

	if (!window_advance(&sh->win, &end) || !sh->spool)
		return;
	r = spool_ack(sh->spool, end);
	if (r)
		die("spool '%s': cannot record acknowledgement: %s", sh->opt.spool, strerror(-r));
}

/* Moves spooled records into the window; returns whether it moved any. */
static bool pump_spool(struct shipper *sh)
{
	bool moved = false;

	while (!window_full(&sh->win)) {
		const void *data;
		size_t len;
		struct spool_pos end;
		int r = spool_read(sh->spool, &data, &len, &end);
		int stream;

		if (r < 0)
			die("spool '%s': cannot read: %s", sh->opt.spool, strerror(-r));
		if (r == 0)
			break;
		moved = true;
		stream = len ? *(const unsigned char *)data : S_MAX; /* a record starts with it */
		if (stream >= S_MAX) {
			warning("spool '%s': record with no stream, dead-lettered", sh->opt.spool);
			dead_letter(&sh->dl, data, len, false, 0, "spool_record",
				    "spool record with no stream", NULL, NULL, 0);
		} else {
			window_add(&sh->win, stream, (const char *)data + 1, len - 1);
		}
		window_end(&sh->win, end);
	}
	/* dead-lettered records with nothing before them still to deliver
	 * are done, and no request will acknowledge them */
	advance(sh);
	return moved;
}

/* ---- metric records, SIGUSR1 and the summary ---------------------------------- */

static void metric_record(struct shipper *sh, bool final)
{
	const struct counters *cnt = &sh->cnt;
	struct jsonw *mw = &sh->mw;

	event_metric_begin(mw, clock_ns(CLOCK_REALTIME), "d4c-ship", final);
	jsonw_kv_u64(mw, "read", cnt->read);
	jsonw_kv_u64(mw, "invalid", cnt->invalid);
	jsonw_kv_u64(mw, "delivered", cnt->acked + cnt->duplicates);
	jsonw_kv_u64(mw, "acked", cnt->acked);
	jsonw_kv_u64(mw, "duplicates", cnt->duplicates);
	jsonw_kv_u64(mw, "retried", cnt->retried);
	jsonw_kv_u64(mw, "dead_lettered", sh->dl.n);
	jsonw_kv_u64(mw, "batches", cnt->batches);
	jsonw_kv_u64(mw, "requests", cnt->requests);
	jsonw_kv_u64(mw, "spooled_bytes", spooled_bytes(sh));
	jsonw_kv_u64(mw, "written_file", cnt->written_file);
	jsonw_kv_u64(mw, "written_stdout", cnt->written_stdout);
	jsonw_kv_str(mw, "last_error", cnt->last_error);
	jsonw_obj_end(mw);
	jsonw_obj_end(mw);
	if (jsonw_end_line(mw))
		die("internal error: bad metric record");
	/* Counted as read like any event: it is one. */
	take_line(sh, jsonw_data(mw), jsonw_len(mw) - 1, false, 0);
	jsonw_reset(mw);
}

/* The line at exit: what became of everything read. */
static void print_summary(const struct shipper *sh)
{
	const struct counters *cnt = &sh->cnt;
	char by[256];
	uint64_t left = sh->spool ? 0 : sh->win.live;

	dl_summary(&sh->dl, by, sizeof(by));
	if (sh->es_on)
		info("read=%" PRIu64 " sent=%" PRIu64 " duplicates=%" PRIu64
		     " dead_lettered=%" PRIu64 "%s retried=%" PRIu64 " requests=%" PRIu64
		     " spooled_bytes=%" PRIu64 " lost=%" PRIu64,
		     cnt->read, cnt->acked, cnt->duplicates, sh->dl.n, by, cnt->retried,
		     cnt->requests, spooled_bytes(sh), left);
	else
		info("read=%" PRIu64 " written_file=%" PRIu64 " written_stdout=%" PRIu64
		     " dead_lettered=%" PRIu64 "%s lost=0",
		     cnt->read, cnt->written_file, cnt->written_stdout, sh->dl.n, by);
}

void print_counters(struct shipper *sh)
{
	const struct counters *cnt = &sh->cnt;

	info("read=%" PRIu64 " invalid=%" PRIu64 " acked=%" PRIu64 " duplicates=%" PRIu64
	     " retried=%" PRIu64 " dead_lettered=%" PRIu64 " spooled_bytes=%" PRIu64
	     " batches=%" PRIu64 " requests=%" PRIu64 " last_error=\"%s\"",
	     cnt->read, cnt->invalid, cnt->acked, cnt->duplicates, cnt->retried, sh->dl.n,
	     spooled_bytes(sh), cnt->batches, cnt->requests, cnt->last_error);
}

/* ---- the loop ------------------------------------------------------------------ */

/* Whether all that was read is delivered (or, without --es, written). */
static bool drained(const struct shipper *sh)
{
	return sh->win.head == sh->win.tail && spooled_bytes(sh) == 0;
}

/* A metric record every --metrics-interval while reading; the last once
 * everything else is handled, or on a stop. */
static void metrics_tick(struct shipper *sh, uint64_t now)
{
	bool ending = !sh->input_open || sh->stopping;

	if (sh->opt.metrics_interval > 0 && now >= sh->next_metrics && !ending) {
		metric_record(sh, false);
		sh->next_metrics = now + sec_ns(sh->opt.metrics_interval);
	}
	if (ending && !sh->final_sent && (!sh->es_on || drained(sh) || sh->stopping)) {
		metric_record(sh, true);
		sh->final_sent = true;
	}
}

/* Writes out the outputs and the spool, and moves spooled records into
 * the window; returns whether any moved. On a stop with a spool, exits:
 * everything read is on disk, and the spool delivers it next time. */
static bool flush_all(struct shipper *sh)
{
	int r;

	if (sh->opt.file)
		out_flush(&sh->out_file);
	if (sh->opt.to_stdout)
		out_flush(&sh->out_stdout);
	if (!sh->spool)
		return false;
	r = spool_flush(sh->spool);
	if (r)
		die("spool '%s': cannot write: %s", sh->opt.spool, strerror(-r));
	if (sh->stopping) {
		print_summary(sh);
		spool_close(sh->spool);
		exit(sh->dl.n ? EXIT_DEAD_LETTERED : EXIT_OK);
	}
	return pump_spool(sh);
}

/* Sends what is due and handles the answers; returns whether anything moved. */
static bool send_all(struct shipper *sh, uint64_t now)
{
	bool progress = false;

	while (sh->es_on && bulk_due(sh, !sh->input_open || sh->stopping, now)) {
		bulk_start(sh);
		progress = true;
	}
	progress |= bulk_collect(sh);
	if (sh->es_on)
		advance(sh);
	return progress;
}

/* The next deadline: a request due, a metric record, an fsync of the
 * spool, the end of a stop (UINT64_MAX: none). */
static uint64_t next_wake(struct shipper *sh)
{
	uint64_t wake = sh->es_on ? bulk_wake(sh) : UINT64_MAX;

	if (sh->opt.metrics_interval > 0 && sh->next_metrics < wake)
		wake = sh->next_metrics;
	if (sh->spool && sh->opt.spool_fsync > 0) {
		uint64_t fsync_at = now_ns() + sh->opt.spool_fsync * 1000000ull;

		if (fsync_at < wake)
			wake = fsync_at;
	}
	if (sh->stopping && sh->stop_deadline < wake)
		wake = sh->stop_deadline;
	return wake;
}

/* SIGUSR1 prints the counters; a first SIGINT or SIGTERM stops taking
 * input and gives delivery ten seconds, a second ends the run. */
static void read_signals(struct shipper *sh)
{
	struct signalfd_siginfo si;

	while (read(sh->sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGUSR1) {
			print_counters(sh);
		} else if (sh->stopping) {
			error("second signal: stopping now");
			exit(EXIT_UNDELIVERED);
		} else {
			sh->stopping = true;
			sh->stop_deadline = now_ns() + sec_ns(10);
		}
	}
}

/* Waits for input, the network, a signal or a deadline, and reads what
 * came; PROGRESS or more input to take that fits: looks again at once. */
static void wait_and_read(struct shipper *sh, bool progress, bool more_buffered)
{
	struct curl_waitfd wfd[2];
	unsigned nwfd = 0;
	bool want_input = sh->input_open && !sh->stopping && can_take(sh);
	uint64_t wake = next_wake(sh), t = now_ns();
	int ms = wake == UINT64_MAX ? 1000 : wake <= t ? 0 : (int)((wake - t + 999999) / 1000000);

	wfd[nwfd++] = (struct curl_waitfd){ sh->sigfd, CURL_WAIT_POLLIN, 0 };
	if (want_input)
		wfd[nwfd++] = (struct curl_waitfd){ STDIN_FILENO, CURL_WAIT_POLLIN, 0 };
	/* Something moved: look again before sleeping (never spins idle). */
	if (progress || (more_buffered && can_take(sh)))
		ms = 0;
	if (ms > 1000)
		ms = 1000;
	curl_multi_poll(sh->bulk.multi, wfd, nwfd, ms, NULL);
	read_signals(sh);
	/* Read whether or not poll said POLLIN: a pipe at end of file may
	 * report POLLHUP only. */
	if (want_input)
		input_fill(sh);
}

int ship_run(struct shipper *sh)
{
	sh->sigfd = signalfd(-1, &sh->signals, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sh->sigfd < 0)
		die("signalfd: %s", strerror(errno));
	input_init(sh);
	sh->next_metrics = now_ns() + sec_ns(sh->opt.metrics_interval);
	for (;;) {
		bool more_buffered = input_take(sh), progress;
		uint64_t now = now_ns();

		metrics_tick(sh, now);
		progress = flush_all(sh);
		progress |= send_all(sh, now);
		if ((!sh->input_open || sh->stopping) && sh->final_sent && drained(sh))
			break;
		if (sh->stopping && now_ns() >= sh->stop_deadline) {
			error("stopped with %" PRIu64 " events read but not delivered",
			      sh->win.tail - sh->win.head);
			exit(EXIT_UNDELIVERED);
		}
		wait_and_read(sh, progress, more_buffered);
	}
	if (sh->opt.file)
		out_flush(&sh->out_file);
	if (sh->opt.to_stdout)
		out_flush(&sh->out_stdout);
	if (sh->spool)
		spool_close(sh->spool);
	print_summary(sh);
	return sh->dl.n ? EXIT_DEAD_LETTERED : EXIT_OK;
}
