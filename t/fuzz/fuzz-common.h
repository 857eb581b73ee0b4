/*
 * fuzz-common.h - what every libFuzzer target does with an opened blob:
 * dump it and run the reference matcher over fixed events and over events
 * made from the blob's own strings, so that every offset, length and index
 * blob_open() accepted is followed at least once. Any out-of-bounds read is
 * AddressSanitizer's to report; the invariants the matcher promises are
 * checked here and abort() when broken.
 *
 * Included by the fuzz-*.c targets only (one translation unit each).
 */
#ifndef D4C_FUZZ_COMMON_H
#define D4C_FUZZ_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "blob.h"
#include "diag.h"
#include "match.h"
#include "policy.h"

/* At most this many entries of each table are turned into events. */
#define FUZZ_MAX_DERIVED 24

static void fuzz_check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz invariant broken: %s\n", what);
		abort();
	}
}

/* Prints the diagnostics in every format into memory, and throws it away. */
static void fuzz_print_diags(struct diag_list *dl)
{
	diag_sort(dl);
	for (int fmt = DIAG_TEXT; fmt <= DIAG_GITHUB; fmt++) {
		char *buf = NULL;
		size_t size = 0;
		FILE *f = open_memstream(&buf, &size);

		if (!f)
			abort();
		fuzz_check(diag_print(f, dl, (enum diag_format)fmt) == 0, "diag_print failed");
		fclose(f);
		/* One line per diagnostic, whatever the input quoted back. */
		{
			size_t lines = 0;

			for (size_t i = 0; i < size; i++)
				lines += buf[i] == '\n';
			fuzz_check(lines == dl->n, "a diagnostic is not exactly one line");
			fuzz_check(strlen(buf) == size, "a diagnostic contains a NUL byte");
		}
		free(buf);
	}
}

static const char *const fuzz_labels[] = { "app:nginx", "tier:frontend", "a:", ":", "" };

static const struct d4c_container fuzz_containers[] = {
	{ 0 }, /* in a container, nothing known */
	{ "docker.io/library/nginx", "nginx", "1.25", "c-123", "prod", "default", "web-0",
	  fuzz_labels, sizeof(fuzz_labels) / sizeof(fuzz_labels[0]) },
	{ "", "", "", "", "", "", "", NULL, 0 },
	{ "quay.io/x/redis", "redis", "latest", "id", "staging", "kube-system",
	  "redis-7d9f8b6c5-abcde", fuzz_labels, 1 },
};

static const char *const fuzz_paths[] = {
	NULL,
	"",
	"relative",
	"/",
	"//",
	"/etc",
	"/etc/",
	"/etc/passwd",
	"/etc/ssh/sshd_config",
	"/usr/bin/bash",
	"/bin/sh",
	"/tmp/x",
	"/a/b/c/d/e/f/g/h",
	"/var/lib/../run",
	"/proc/self/fd/3",
	"/etc//passwd",
};

static const char *const fuzz_names[] = {
	NULL, "", "bash", "sh", "nginx", "kworker/0:1", "averylongprocessname-over-15", "a*", "*",
};

static void fuzz_check_verdict(const struct blob *b, const struct d4c_event *e)
{
	struct d4c_verdict v;
	int valid = e->type < D4C_NTYPES && e->op < D4C_MAX_OPS && d4c_op_name(e->type, e->op);
	int r = match_event(b, e, &v);

	fuzz_check(r == (valid ? 0 : -1),
		   "match_event accepted an invalid event or refused a valid one");
	if (r) {
		fuzz_check(v.selectors == 0 && v.actions == 0, "refused event has a verdict");
		return;
	}
	fuzz_check((v.selectors & ~b->types[e->type].all) == 0, "verdict names unknown selectors");
	fuzz_check((v.actions & ~7u) == 0, "verdict has unknown actions");
	fuzz_check(v.selectors || !v.actions, "actions without any selector");
}

/* One event per (op, path) or (op, executable, name), in and out of containers. */
static void fuzz_file_event(const struct blob *b, const char *path, const struct d4c_container *ct,
			    unsigned mounts)
{
	for (unsigned op = 0; op <= D4C_MAX_OPS; op++) {
		struct d4c_event e = { 0 };

		e.type = D4C_TYPE_FILE;
		e.op = op;
		e.path = path;
		e.volume_mount = mounts & 1;
		e.volume_file = (mounts >> 1) & 1;
		e.container = ct;
		fuzz_check_verdict(b, &e);
	}
}

static void fuzz_process_event(const struct blob *b, const char *exe, const char *name,
			       const struct d4c_container *ct, int interactive)
{
	for (unsigned op = 0; op <= 2; op++) {
		struct d4c_event e = { 0 };

		e.type = D4C_TYPE_PROCESS;
		e.op = op;
		e.path = exe;
		e.name = name;
		e.interactive = interactive;
		e.container = ct;
		fuzz_check_verdict(b, &e);
	}
}

static void fuzz_container_masks(const struct blob *b, const struct d4c_container *ct)
{
	for (unsigned t = 0; t < D4C_NTYPES; t++) {
		uint64_t m = match_container_mask(b, t, ct);

		fuzz_check((m & ~b->types[t].all) == 0, "container mask names unknown selectors");
	}
}

/* Dumps B and runs the matcher over it; B was accepted by blob_open(). */
static void fuzz_exercise_blob(const struct blob *b)
{
	const size_t ncts = sizeof(fuzz_containers) / sizeof(fuzz_containers[0]);
	json_t *j = blob_dump(b);
	char *s;

	fuzz_check(j != NULL, "blob_dump returned NULL");
	s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
	free(s);
	json_decref(j);

	for (unsigned t = 0; t < D4C_NTYPES; t++)
		for (unsigned op = 0; op < D4C_MAX_OPS; op++)
			if (d4c_op_name(t, op))
				fuzz_check((match_op_mask(b, t, op) & ~b->types[t].all) == 0,
					   "operation mask names unknown selectors");

	/* Fixed events. */
	fuzz_container_masks(b, NULL);
	for (size_t c = 0; c < ncts; c++)
		fuzz_container_masks(b, &fuzz_containers[c]);
	for (size_t i = 0; i < sizeof(fuzz_paths) / sizeof(fuzz_paths[0]); i++) {
		fuzz_file_event(b, fuzz_paths[i], NULL, (unsigned)i % 4);
		fuzz_file_event(b, fuzz_paths[i], &fuzz_containers[i % ncts],
				(unsigned)(i + 1) % 4);
		fuzz_process_event(b, fuzz_paths[i], "bash", NULL, (int)i & 1);
	}
	for (size_t i = 0; i < sizeof(fuzz_names) / sizeof(fuzz_names[0]); i++) {
		fuzz_process_event(b, "/bin/sh", fuzz_names[i], NULL, 0);
		fuzz_process_event(b, NULL, fuzz_names[i], &fuzz_containers[i % ncts], 1);
	}
	/* An event of no type. */
	{
		struct d4c_event e = { .type = D4C_NTYPES, .op = 0, .path = "/" };

		fuzz_check_verdict(b, &e);
	}

	/* Events made of the blob's own strings: exact hits, children and
	 * descendants of every path entry, every name and its prefixes, and a
	 * container whose every field is each condition value. */
	for (size_t i = 0; i < b->npaths && i < FUZZ_MAX_DERIVED; i++) {
		const struct d4c_path *p = &b->paths[i];
		const char *ps = blob_str(b, p->path);
		char buf[D4C_MAX_PATH + 16];

		if (p->type == D4C_TYPE_FILE)
			fuzz_file_event(b, ps, NULL, 0);
		else
			fuzz_process_event(b, ps, "x", NULL, 0);
		snprintf(buf, sizeof(buf), "%s/x", ps);
		fuzz_file_event(b, buf, NULL, 1);
		fuzz_process_event(b, buf, NULL, NULL, 1);
		snprintf(buf, sizeof(buf), "%s/x/y/", ps);
		fuzz_file_event(b, buf, NULL, 2);
		fuzz_process_event(b, buf, "", NULL, 0);
	}
	for (size_t i = 0; i < b->nnames && i < FUZZ_MAX_DERIVED; i++) {
		const char *ns = blob_str(b, b->names[i].name);
		char buf[D4C_MAX_COMM + 8];

		fuzz_process_event(b, "/usr/bin/x", ns, NULL, 0);
		snprintf(buf, sizeof(buf), "%sxyz", ns);
		fuzz_process_event(b, NULL, buf, NULL, 1);
	}
	for (size_t i = 0; i < b->ncconds && i < FUZZ_MAX_DERIVED; i++) {
		const char *v = blob_str(b, b->cconds[i].value);
		const char *labels[2] = { v, "k:v" };
		struct d4c_container ct = { v, v, v, v, v, v, v, labels, 2 };

		fuzz_container_masks(b, &ct);
		fuzz_file_event(b, "/etc/passwd", &ct, 0);
		fuzz_process_event(b, "/bin/sh", "sh", &ct, 1);
	}
}

#endif
