/*
 * scan-bench.c - how fast the NDJSON scanner checks lines, over a file of
 * events: jscan_line as d4c-ship routes (its two paths, dotted keys) and
 * with four paths, as d4c-enrich finds members (without).
 *
 *   cc -O2 -D_GNU_SOURCE -Ilib/base -Ilib/json -I. bench/scan-bench.c lib/json/libjson.a \
 *      lib/base/libbase.a -o scan-bench
 *   ./scan-bench EVENTS [ROUNDS]
 *
 * Prints MB/s and lines/s of each, best of ROUNDS (default 5) passes over
 * the whole file held in memory (no I/O in the figures), timed in the
 * thread's CPU time: on a shared machine, wall time counts the others' too.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jscan.h"
#include "util.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	static const char *const paths[] = { "event.kind", "event.dataset" };
	static const char *const jpaths[] = { "event.kind", "event.dataset", "process.pid",
					      "container.id" };
	int rounds = argc > 2 ? atoi(argv[2]) : 5;
	struct jscan_schema *ss = jscan_schema_new(paths, 2, JSCAN_DOTTED_KEYS);
	struct jscan_schema *js = jscan_schema_new(jpaths, 4, 0);
	char *buf;
	size_t len, lines = 0;
	double best_n = 1e9, best_j = 1e9;

	if (argc < 2 || read_whole_file(argv[1], 1ull << 32, &buf, &len)) {
		fprintf(stderr, "usage: scan-bench EVENTS [ROUNDS]\n");
		return 2;
	}
	for (size_t i = 0; i < len; i++)
		lines += buf[i] == '\n';
	for (int r = 0; r < rounds; r++) {
		size_t bad = 0;
		double t = now();

		for (char *p = buf, *nl; (nl = memchr(p, '\n', buf + len - p)); p = nl + 1) {
			struct jscan_span sp[2];
			size_t at;
			const char *why;

			bad += jscan_line(ss, p, nl - p, sp, &why, &at) != 0;
		}
		t = now() - t;
		if (t < best_n)
			best_n = t;
		t = now();
		for (char *p = buf, *nl; (nl = memchr(p, '\n', buf + len - p)); p = nl + 1) {
			struct jscan_span sp[4];
			size_t at;
			const char *why;

			bad += jscan_line(js, p, nl - p, sp, &why, &at) != 0;
		}
		t = now() - t;
		if (t < best_j)
			best_j = t;
		if (bad)
			fprintf(stderr, "scan-bench: %zu lines refused\n", bad);
	}
	printf("jscan_line, 2 paths, dotted keys %7.0f MB/s %9.0f lines/s\n", len / best_n / 1e6,
	       lines / best_n);
	printf("jscan_line, 4 paths              %7.0f MB/s %9.0f lines/s\n", len / best_j / 1e6,
	       lines / best_j);
	jscan_schema_free(ss);
	jscan_schema_free(js);
	free(buf);
	return 0;
}
