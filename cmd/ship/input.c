/*
 * input.c - d4c-ship's input: lines read from stdin (or made here, the
 * metric records) are checked, routed to a data stream and handed on.
 * The only part of d4c-ship that reads NDJSON: lib/json/ndjson.h's reader in
 * input_init, input_take and input_fill, lib/json/jscan.h's scanner in
 * take_line.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "jscan.h"
#include "ndjson.h"
#include "ship.h"

static bool str_is(const struct jscan_str *s, const char *lit)
{
	size_t n = strlen(lit);

	return s->ptr && !s->escaped && s->len == n && !memcmp(s->ptr, lit, n);
}

/* The stream of an event, from event.kind and event.dataset; -1 if none. */
static int pick_stream(const struct jscan_str f[2])
{
	/* a heartbeat is a metric too, with a data stream of its own */
	if (str_is(&f[1], stream_dataset[S_HEARTBEAT]))
		return S_HEARTBEAT;
	if (str_is(&f[0], "alert"))
		return S_ALERTS;
	if (str_is(&f[0], "metric"))
		return S_METRICS;
	for (int s = 0; s < S_MAX; s++)
		if (str_is(&f[1], stream_dataset[s]))
			return s;
	return -1;
}

/* Sends a valid event on to --file, --stdout and, through the spool or
 * the window, to the data stream its fields F name. */
static void route(struct shipper *sh, const struct jscan_str f[2], const char *line, size_t len,
		  uint64_t lineno)
{
	int s;

	if (sh->opt.file) {
		out_line(&sh->out_file, line, len);
		sh->cnt.written_file++;
	}
	if (sh->opt.to_stdout) {
		out_line(&sh->out_stdout, line, len);
		sh->cnt.written_stdout++;
	}
	if (!sh->es_on)
		return;
	s = pick_stream(f);
	if (s < 0) {
		sh->cnt.invalid++;
		dead_letter(&sh->dl, line, len, true, 0, "no_data_stream",
			    "event.kind and event.dataset name no cloud_defend data stream", NULL,
			    NULL, lineno);
		return;
	}
	if (sh->spool) {
		unsigned char pre = s;
		int r = spool_append(sh->spool, &pre, 1, line, len);

		if (r)
			die("spool '%s': cannot append: %s", sh->opt.spool, strerror(-r));
	} else {
		window_add(&sh->win, s, line, len);
	}
}

void take_line(struct shipper *sh, const char *line, size_t len, bool too_long, uint64_t lineno)
{
	static const char *const scan_paths[] = { "event.kind", "event.dataset" };
	static struct jscan_schema *scan_schema;
	struct jscan_span sp[2];
	struct jscan_str f[2];
	size_t eoff = 0;
	const char *emsg = NULL;
	char reason[128];

	sh->cnt.read++;
	if (too_long) {
		snprintf(reason, sizeof(reason),
			 "line longer than %" PRIu64 " bytes (first bytes kept)", sh->opt.max_line);
		sh->cnt.invalid++;
		dead_letter(&sh->dl, line, len < 1024 ? len : 1024, false, 0, "line_too_long",
			    reason, NULL, NULL, lineno);
		return;
	}
	if (!scan_schema) /* dotted keys: Elasticsearch reads them so */
		scan_schema = jscan_schema_new(scan_paths, 2, JSCAN_DOTTED_KEYS);
	if (jscan_line(scan_schema, line, len, sp, &emsg, &eoff)) {
		snprintf(reason, sizeof(reason), "not a JSON object: %s at byte %zu", emsg,
			 eoff + 1);
		sh->cnt.invalid++;
		dead_letter(&sh->dl, line, len, false, 0, "invalid_json", reason, NULL, NULL,
			    lineno);
		return;
	}
	f[0] = jscan_str(line, &sp[0]);
	f[1] = jscan_str(line, &sp[1]);
	route(sh, f, line, len, lineno);
}

bool can_take(struct shipper *sh)
{
	if (!sh->es_on)
		return true;
	if (sh->spool)
		return !spool_full(sh->spool);
	return !window_full(&sh->win);
}

void input_init(struct shipper *sh)
{
	fcntl(STDIN_FILENO, F_SETFL, fcntl(STDIN_FILENO, F_GETFL) | O_NONBLOCK);
	sh->rd = xmalloc(sizeof(*sh->rd));
	ndjson_reader_init(sh->rd, STDIN_FILENO, sh->opt.max_line);
	sh->input_open = true;
}

bool input_take(struct shipper *sh)
{
	const char *line;
	size_t len;
	int flags;

	while (sh->input_open && !sh->stopping) {
		if (!can_take(sh))
			return true;
		if (!ndjson_next(sh->rd, &line, &len, &flags)) {
			if (sh->rd->eof)
				sh->input_open = false;
			break;
		}
		take_line(sh, line, len, flags & NDJSON_TOO_LONG, sh->rd->lineno);
	}
	return false;
}

void input_fill(struct shipper *sh)
{
	ssize_t n = ndjson_fill(sh->rd);

	if (n < 0 && n != -EAGAIN)
		die("cannot read stdin: %s", strerror((int)-n));
}
