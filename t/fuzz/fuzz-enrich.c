/*
 * fuzz-enrich.c - libFuzzer target for d4c-enrich's hot path: the input is
 * cut into lines at '\n' and each goes through the whole transform
 * (jscan, process table, container cache, splicing) with a made-up node
 * below a temporary root (one containerd bundle, one /proc entry), and a
 * process table small enough to evict. Invariants, abort() when broken:
 *   - a line jansson takes as one JSON object without duplicate keys
 *     (nesting at most 64, no NUL byte: jansson lets one through between
 *     tokens) is never refused as invalid;
 *   - a line jscan accepts is one jansson takes, unless it has what jansson
 *     refuses and JSON allows (\u escapes of NUL or lone surrogates,
 *     numbers beyond int64 or double);
 *   - what is written is one line, and when the input was a JSON object
 *     without duplicate keys, so is the output (JSON_REJECT_DUPLICATES;
 *     with JSON_ALLOW_NUL, as values learned from earlier lines may hold
 *     \u0000, and unless it holds \u escapes of lone surrogates, which
 *     jansson refuses and JSON allows);
 *   - a metric record is written byte for byte; a held event writes nothing.
 *
 *   make t/fuzz/fuzz-enrich && t/fuzz/fuzz-enrich -dict=t/fuzz/enrich.dict \
 *	CORPUS_DIR t/fuzz/seed-enrich
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "enrich.h"
#include "util.h"

#define CID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static struct enrich *E;
static struct buf out;

static void check(int ok, const char *what, const char *line, size_t n)
{
	if (ok)
		return;
	fprintf(stderr, "fuzz invariant broken: %s\nline: ", what);
	fwrite(line, 1, n, stderr);
	fprintf(stderr, "\noutput: ");
	fwrite(out.p, 1, out.len, stderr);
	abort();
}

static void put(const char *root, const char *rel, const char *text)
{
	char path[512], *s;

	snprintf(path, sizeof(path), "%s%s", root, rel);
	for (s = strchr(path + 1, '/'); s; s = strchr(s + 1, '/')) {
		*s = 0;
		mkdir(path, 0755);
		*s = '/';
	}
	write_whole_file(path, text, strlen(text));
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static char root[] = "/tmp/fuzz-enrich.XXXXXX";
	struct enrich_config cfg = { .boot_id = "b00t",
				     .host_json = "{\"name\":\"n\"}",
				     .agent_id = "a",
				     .max_processes = 64,
				     .max_containers = 8,
				     .kubelet = 1 };

	if (!mkdtemp(root))
		abort();
	put(root, "/run/containerd/io.containerd.runtime.v2.task/k8s.io/" CID "/config.json",
	    "{\"annotations\":{\"io.kubernetes.cri.container-name\":\"web\","
	    "\"io.kubernetes.cri.image-name\":\"nginx:1\","
	    "\"io.kubernetes.cri.sandbox-name\":\"p\","
	    "\"io.kubernetes.cri.sandbox-namespace\":\"ns\","
	    "\"io.kubernetes.cri.sandbox-uid\":\"3c5d1c1e-7a41-4a8e-9a55-3f0f2f6a5c11\"}}");
	put(root, "/proc/7/stat", "7 (sh) S 1 7 7 0 0 0 0 0 0 0 0 0 0 0 20 0 1 0 100 0 0\n");
	put(root, "/proc/7/cmdline", "sh");
	cfg.root = root;
	E = enrich_new(&cfg);
	return 0;
}

static int depth_ok(const char *s, size_t n)
{
	int d = 0, in = 0;

	for (size_t i = 0; i < n; i++) {
		if (in) {
			if (s[i] == '\\')
				i++;
			else if (s[i] == '"')
				in = 0;
		} else if (s[i] == '"') {
			in = 1;
		} else if (s[i] == '{' || s[i] == '[') {
			if (++d > 64)
				return 0;
		} else if (s[i] == '}' || s[i] == ']') {
			d--;
		}
	}
	return 1;
}

/* Lines where jansson is stricter than JSON: \u escapes, long numbers. */
static int jansson_stricter(const char *s, size_t n)
{
	int digits = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\\' && i + 1 < n && s[i + 1] == 'u')
			return 1;
		if (s[i] >= '0' && s[i] <= '9') {
			if (++digits >= 16)
				return 1;
			if (i + 1 < n && (s[i + 1] == 'e' || s[i + 1] == 'E'))
				return 1;
		} else {
			digits = 0;
		}
	}
	return 0;
}

/* Whether S has a \u escape of a UTF-16 surrogate. */
static int surrogate_escape(const char *s, size_t n)
{
	for (size_t i = 0; i + 5 < n; i++)
		if (s[i] == '\\' && s[i + 1] == 'u' && (s[i + 2] | 0x20) == 'd' &&
		    strchr("89abAB", s[i + 3]))
			return 1;
	return 0;
}

static void one(const char *data, size_t n, int may_hold)
{
	char *line = xmalloc(n + 1);
	const char *why;
	size_t at;
	unsigned missing;
	json_t *in, *o, *nodup;
	enum enrich_result r;

	memcpy(line, data, n);
	line[n] = '\n';
	in = json_loadb(line, n, 0, NULL);
	if (in && !json_is_object(in)) {
		json_decref(in);
		in = NULL;
	}
	/* a key twice makes a line invalid for every d4c reader (lib/json/jkeys.h) */
	nodup = in ? json_loadb(line, n, JSON_REJECT_DUPLICATES, NULL) : NULL;
	out.len = 0;
	r = enrich_line(E, line, n, may_hold, 1000000000ull, 0, &out, &missing, &why, &at);
	if (nodup && depth_ok(line, n) && !memchr(line, 0, n))
		check(r != ENRICH_INVALID, "a JSON object was refused", line, n);
	if (r != ENRICH_INVALID && !in)
		check(jansson_stricter(line, n) || !depth_ok(line, n),
		      "jscan took what is not a JSON object", line, n);
	if (r == ENRICH_INVALID || r == ENRICH_HOLD) {
		check(out.len == 0, "written although refused or held", line, n);
	} else {
		check(out.len > 0 && out.p[out.len - 1] == '\n' &&
			      !memchr(out.p, '\n', out.len - 1),
		      "not one line", line, n);
		if (r == ENRICH_PASSED)
			check(out.len == n + 1 && !memcmp(out.p, line, n), "metric changed", line,
			      n);
		if (in) {
			/* values learned from earlier lines may hold \u0000 (allowed)
			 * or lone surrogates (jansson refuses those, JSON does not) */
			o = json_loadb(out.p, out.len - 1,
				       JSON_ALLOW_NUL | (nodup ? JSON_REJECT_DUPLICATES : 0), NULL);
			check((o && json_is_object(o)) || surrogate_escape(out.p, out.len),
			      "output is not a JSON object (or repeats a key)", line, n);
			json_decref(o);
		}
	}
	json_decref(nodup);
	json_decref(in);
	free(line);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;
	int hold = size && (data[0] & 1);

	while (p < end) {
		const char *nl = memchr(p, '\n', end - p);
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		one(p, n, hold);
		p += n + 1;
	}
	return 0;
}
