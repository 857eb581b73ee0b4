/*
 * scan-bench.c - how fast the two NDJSON scanners check lines: ndjson_scan
 * (d4c-ship's router) and jscan_line (d4c-enrich's), over a file of events.
 *
 *   cc -O2 -D_GNU_SOURCE -Ilib -I. bench/scan-bench.c lib/libd4c.a -o scan-bench
 *   ./scan-bench EVENTS [ROUNDS]
 *
 * Prints MB/s and lines/s of each, best of ROUNDS (default 5) passes over
 * the whole file held in memory (no I/O in the figures).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jscan.h"
#include "ndjson.h"
#include "util.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	static const char *const paths[] = {"event.kind", "event.dataset"};
	static const char *const jpaths[] = {"event.kind", "event.dataset", "process.pid",
					     "container.id"};
	int rounds = argc > 2 ? atoi(argv[2]) : 5;
	struct jscan_schema *js = jscan_schema_new(jpaths, 4);
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
			struct ndjson_str f[2];
			size_t off;
			const char *msg;

			bad += ndjson_scan(p, nl - p, paths, 2, f, &off, &msg) != 0;
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
	printf("ndjson_scan %7.0f MB/s %9.0f lines/s\n", len / best_n / 1e6, lines / best_n);
	printf("jscan_line  %7.0f MB/s %9.0f lines/s\n", len / best_j / 1e6, lines / best_j);
	return 0;
}
