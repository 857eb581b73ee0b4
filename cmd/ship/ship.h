/*
 * ship.h - the state of one d4c-ship run, struct shipper, which main
 * fills from the options and every part of d4c-ship is passed: the
 * input (input.c), the window of events not yet acknowledged
 * (window.c), the Elasticsearch client (bulk.c, setup.c for --setup),
 * the other outputs (outputs.c), and the loop that moves events from the
 * first to the others (run.c).
 */
#ifndef D4C_SHIP_SHIP_H
#define D4C_SHIP_SHIP_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "jsonw.h"
#include "spool.h"
#include "util.h"

#include "bulk.h"
#include "outputs.h"
#include "window.h"

/* The command line, as parsed (d4c-ship.c gives the defaults). */
struct ship_opts {
	char **urls;
	size_t nurls;
	const char *ns;
	bool setup;
	const char *templates;
	long retention_days;
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
};

/* What the metric records, SIGUSR1 and the summary at exit report. */
struct counters {
	uint64_t read, invalid, acked, duplicates, retried, batches, requests;
	uint64_t written_file, written_stdout, split;
	char last_error[256];
};

struct ndjson_reader;

struct shipper {
	struct ship_opts opt;
	bool es_on; /* --es given */
	struct counters cnt;
	struct window win;
	struct bulk bulk;
	struct spool *spool;
	struct out out_file, out_stdout;
	struct dead_letters dl;
	struct jsonw mw; /* builds metric records */
	sigset_t signals; /* blocked from the start, read from SIGFD */
	int sigfd;

	/* the loop's state */
	struct ndjson_reader *rd; /* stdin */
	bool input_open; /* stdin not at its end yet */
	bool stopping; /* a signal asked to stop */
	bool final_sent; /* the final metric record is taken */
	uint64_t next_metrics, stop_deadline;
};

static inline uint64_t now_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

static inline uint64_t sec_ns(double s)
{
	return (uint64_t)(s * 1e9);
}

/* input.c: the only part that reads NDJSON (lib/json/ndjson.h) */

/* Sets up the reading of stdin (non-blocking). */
void input_init(struct shipper *sh);
/* Takes the lines buffered, as far as can_take() allows. Returns whether
 * some were left for lack of room. */
bool input_take(struct shipper *sh);
/* Reads what stdin has now; dies when it cannot be read. */
void input_fill(struct shipper *sh);
/* Takes one line read (or made here): checks it, routes it, sends it on.
 * TOO_LONG: only its first bytes are there. LINENO 0: made here. A whole
 * line is followed by '\n' or '\0', as jscan_line() needs. */
void take_line(struct shipper *sh, const char *line, size_t len, bool too_long, uint64_t lineno);
/* Whether another line can be taken now without growing memory or the spool. */
bool can_take(struct shipper *sh);

/* run.c */

/* Opens the spool (--spool), saying what it recovered. Dies when it cannot. */
void ship_open_spool(struct shipper *sh);
/* Moves events until the input ends and all is delivered, or a stop.
 * Returns the exit status (it exits itself on a stop with a spool). */
int ship_run(struct shipper *sh);
/* Prints the counters on stderr (SIGUSR1). */
void print_counters(struct shipper *sh);
/* Says why, keeps what was written, and exits with CODE. */
__attribute__((noreturn, format(printf, 3, 4))) void ship_fatal(struct shipper *sh, int code,
								const char *fmt, ...);

/* setup.c: --setup. Returns the exit status. */
int ship_setup(struct shipper *sh);

#endif
