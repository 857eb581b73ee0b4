/*
 * test-differential.c - the lookup-table matcher (what the kernel does)
 * against a direct reading of the policy reference, on random policies and
 * random events drawn from the same small vocabulary so that they collide
 * often. Any disagreement is a bug in the compiler or the matcher.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blob.h"
#include "match.h"
#include "policy.h"
#include "tap.h"

static const char *const paths[] = {
	"/",	  "/etc",     "/etc/passwd", "/etc/ssl",  "/etc/ssl/certs", "/etc/ssl/certs/ca.pem",
	"/usr",	  "/usr/bin", "/usr/bin/sh", "/usr/binx", "/usr/bin/x/y",   "/tmp",
	"/tmp/a",
};
static const char *const names[] = { "sh", "bash", "ba", "b", "nginx", "nginx-worker-proc" };
static const char *const images[] = { "nginx", "redis", "nginx-alpine", "busybox" };
static const char *const tags[] = { "1.25", "1.2", "latest", "v1.0" };
static const char *const namespaces[] = { "prod", "prod-eu", "staging", "default" };
static const char *const labels[] = { "app:web", "app:web-2", "app:", "tier:db", "team:x" };

#define N(a) (sizeof(a) / sizeof((a)[0]))

static unsigned rnd(unsigned n)
{
	return (unsigned)random() % n;
}

/* A random pattern over the vocabulary: exact, children or descendants. */
static void path_pattern(char *buf, size_t size)
{
	const char *p = paths[rnd(N(paths))];
	unsigned kind = rnd(3);

	if (!strcmp(p, "/"))
		snprintf(buf, size, "%s", kind == 1 ? "/*" : "/**");
	else
		snprintf(buf, size, "%s%s", p, kind == 0 ? "" : kind == 1 ? "/*" : "/**");
}

static void prefixed(char *buf, size_t size, const char *v)
{
	size_t len = strlen(v);

	if (rnd(2)) {
		snprintf(buf, size, "%s", v);
		return;
	}
	/* A trailing '*' after a random prefix of the value. */
	len = rnd((unsigned)len + 1);
	snprintf(buf, size, "%.*s*", (int)len, v);
}

static void gen_list(FILE *f, const char *key, const char *const *vocab, size_t n, int wild)
{
	unsigned count = 1 + rnd(3);
	char v[128];

	fprintf(f, "      %s: [", key);
	for (unsigned i = 0; i < count; i++) {
		if (wild)
			prefixed(v, sizeof(v), vocab[rnd((unsigned)n)]);
		else
			snprintf(v, sizeof(v), "%s", vocab[rnd((unsigned)n)]);
		fprintf(f, "%s\"%s\"", i ? ", " : "", v);
	}
	fprintf(f, "]\n");
}

static char *gen_policy(void)
{
	static const char *const fops[] = { "createExecutable", "modifyExecutable", "createFile",
					    "modifyFile",	"deleteFile",	    "execMemFd" };
	static const char *const pops[] = { "fork", "exec" };
	static const char *const acts[] = { "log", "alert", "alert, block" };
	char *text;
	size_t len;
	FILE *f = open_memstream(&text, &len);

	for (int t = 0; t < 2; t++) {
		unsigned nsel = 1 + rnd(8), nresp = 1 + rnd(4);

		fprintf(f, "%s:\n  selectors:\n", t ? "process" : "file");
		for (unsigned i = 0; i < nsel; i++) {
			char pat[128];
			int conds = 0;

			fprintf(f, "    - name: s%u\n", i);
			if (rnd(2)) {
				unsigned op = rnd(t ? 2 : 6);

				fprintf(f, "      operation: [%s]\n", t ? pops[op] : fops[op]);
				conds++;
			}
			if (rnd(2)) {
				path_pattern(pat, sizeof(pat));
				fprintf(f, "      %s: [\"%s\"",
					t ? "processExecutable" : "targetFilePath", pat);
				if (rnd(2)) {
					path_pattern(pat, sizeof(pat));
					fprintf(f, ", \"%s\"", pat);
				}
				fprintf(f, "]\n");
				conds++;
			} else if (t && rnd(2)) {
				/* The last name is longer than a comm: events only. */
				gen_list(f, "processName", names, N(names) - 1, 1);
				conds++;
			}
			if (t && rnd(3) == 0) {
				fprintf(f, "      sessionLeaderInteractive: %s\n",
					rnd(2) ? "true" : "false");
				conds++;
			}
			if (!t && rnd(4) == 0) {
				fprintf(f, "      %s: true\n",
					rnd(2) ? "ignoreVolumeMounts" : "ignoreVolumeFiles");
				conds++;
			}
			if (rnd(3) == 0) {
				/* no wildcard: Kibana's pattern has none */
				gen_list(f, "containerImageName", images, N(images), 0);
				conds++;
			}
			if (rnd(4) == 0) {
				gen_list(f, "containerImageTag", tags, N(tags), 1);
				conds++;
			}
			if (rnd(4) == 0) {
				gen_list(f, "kubernetesNamespace", namespaces, N(namespaces), 1);
				conds++;
			}
			if (rnd(4) == 0 || !conds)
				gen_list(f, "kubernetesPodLabel", labels, N(labels), 0);
		}
		fprintf(f, "  responses:\n");
		for (unsigned r = 0; r < nresp; r++) {
			fprintf(f, "    - match: [s%u", rnd(nsel));
			if (rnd(2))
				fprintf(f, ", s%u", rnd(nsel));
			fprintf(f, "]\n");
			if (rnd(3) == 0)
				fprintf(f, "      exclude: [s%u]\n", rnd(nsel));
			/* Blocking needs paths on file selectors; log and alert do not. */
			fprintf(f, "      actions: [%s]\n", t ? acts[rnd(3)] : acts[rnd(2)]);
		}
	}
	fclose(f);
	return text;
}

/* --- the reference, read directly --- */

static int path_matches(const char *pat, const char *path)
{
	size_t pl = strlen(pat), l;

	if (pl >= 3 && !strcmp(pat + pl - 3, "/**")) {
		l = pl - 3;
		return !strncmp(path, pat, l) && path[l] == '/' && path[l + 1] != '\0';
	}
	if (pl >= 2 && !strcmp(pat + pl - 2, "/*")) {
		l = pl - 2;
		return !strncmp(path, pat, l) && path[l] == '/' && path[l + 1] != '\0' &&
		       !strchr(path + l + 1, '/');
	}
	return !strcmp(pat, path);
}

static int str_matches(const char *pat, const char *s)
{
	size_t pl = strlen(pat);

	if (!s)
		return 0;
	if (pl && pat[pl - 1] == '*')
		return !strncmp(pat, s, pl - 1);
	return !strcmp(pat, s);
}

static int any(const struct pol_cond_val *cv, const char *s)
{
	for (size_t i = 0; i < cv->n; i++)
		if (str_matches(cv->v[i].s, s))
			return 1;
	return 0;
}

static int naive_selector(const struct pol_selector *s, const struct d4c_event *e)
{
	const struct d4c_container *ct = e->container;
	char comm[16];

	if (s->ops) {
		unsigned ops = 1u << e->op;

		if (e->type == D4C_TYPE_FILE && e->op == D4C_OP_CREATE_EXECUTABLE)
			ops |= 1u << D4C_OP_CREATE_FILE;
		if (e->type == D4C_TYPE_FILE && e->op == D4C_OP_MODIFY_EXECUTABLE)
			ops |= 1u << D4C_OP_MODIFY_FILE;
		if (!(s->ops & ops))
			return 0;
	}
	for (int pc = PC_TARGET_FILE_PATH; pc <= PC_PROCESS_EXECUTABLE; pc++) {
		const struct pol_cond_val *cv = &s->cond[pc];
		int hit = 0;

		if (!cv->present)
			continue;
		for (size_t i = 0; i < cv->n; i++)
			hit |= path_matches(cv->v[i].s, e->path);
		if (!hit)
			return 0;
	}
	if (s->cond[PC_PROCESS_NAME].present) {
		snprintf(comm, sizeof(comm), "%s", e->name);
		if (!any(&s->cond[PC_PROCESS_NAME], comm))
			return 0;
	}
	if (s->cond[PC_INTERACTIVE].present && s->cond[PC_INTERACTIVE].b != !!e->interactive)
		return 0;
	if (s->cond[PC_IGNORE_MOUNTS].present && s->cond[PC_IGNORE_MOUNTS].b && e->volume_mount)
		return 0;
	if (s->cond[PC_IGNORE_FILES].present && s->cond[PC_IGNORE_FILES].b && e->volume_file)
		return 0;
	for (int ci = PC_IMAGE_FULL_NAME; ci <= PC_POD_LABEL; ci++) {
		const struct pol_cond_val *cv = &s->cond[ci];
		int hit = 0;

		if (!cv->present)
			continue;
		if (!ct)
			return 0;
		switch (ci) {
		case PC_IMAGE_NAME:
			hit = any(cv, ct->image_name);
			break;
		case PC_IMAGE_TAG:
			hit = any(cv, ct->image_tag);
			break;
		case PC_NAMESPACE:
			hit = any(cv, ct->namespace);
			break;
		case PC_POD_LABEL:
			for (size_t i = 0; i < ct->nlabels; i++)
				hit |= any(cv, ct->labels[i]);
			break;
		default:
			hit = 0;
		}
		if (!hit)
			return 0;
	}
	return 1;
}

static void naive(const struct policy *p, const struct d4c_event *e, struct d4c_verdict *v)
{
	const struct pol_type *t = &p->t[e->type];

	v->selectors = 0;
	v->actions = 0;
	for (size_t i = 0; i < t->nsel; i++)
		if (naive_selector(&t->sel[i], e))
			v->selectors |= 1ull << t->sel[i].bit;
	for (size_t i = 0; i < t->nresp; i++)
		if ((t->resp[i].match & v->selectors) && !(t->resp[i].exclude & v->selectors))
			v->actions |= t->resp[i].actions;
}

int main(void)
{
	unsigned policies = 0, events = 0, mismatches = 0, invalid = 0;

	srandom(20261125);
	plan(NO_PLAN);
	for (int round = 0; round < 400; round++) {
		char *text = gen_policy(), err[256];
		struct diag_list dl = { 0 };
		struct policy *p = NULL;
		unsigned char *bytes;
		size_t len;
		struct blob b;

		if (policy_parse(text, strlen(text), "gen.yaml", &dl, &p)) {
			/* Random draws may break a rule (a blocking selector
			 * without paths); those policies are not compared. */
			invalid++;
			diag_free(&dl);
			free(text);
			continue;
		}
		diag_free(&dl);
		if (blob_compile(p, 0, &bytes, &len) ||
		    blob_open(bytes, len, 0, &b, err, sizeof(err))) {
			ok(0, "policy %d compiles and opens", round);
			diag("%s", text);
			return done_testing();
		}
		policies++;
		for (int k = 0; k < 500; k++) {
			struct d4c_container ct = { 0 };
			const char *lv[2];
			struct d4c_event e = { 0 };
			struct d4c_verdict want, got;

			e.type = rnd(2);
			e.op = rnd(e.type ? 2 : 6);
			e.path = paths[rnd(N(paths))];
			e.name = names[rnd(N(names))];
			e.interactive = rnd(2);
			e.volume_mount = rnd(2);
			e.volume_file = rnd(2);
			if (rnd(4)) {
				ct.image_name = rnd(5) ? images[rnd(N(images))] : NULL;
				ct.image_tag = tags[rnd(N(tags))];
				ct.namespace = namespaces[rnd(N(namespaces))];
				lv[0] = labels[rnd(N(labels))];
				lv[1] = labels[rnd(N(labels))];
				ct.labels = lv;
				ct.nlabels = rnd(3);
				e.container = &ct;
			}
			naive(p, &e, &want);
			match_event(&b, &e, &got);
			events++;
			if (want.selectors != got.selectors || want.actions != got.actions) {
				if (mismatches++ < 5) {
					diag("policy:\n%s", text);
					diag("event: type %u op %u path %s name %s tty %d ct %p: want "
					     "%#llx/%u got %#llx/%u",
					     e.type, e.op, e.path, e.name, e.interactive,
					     (void *)e.container,
					     (unsigned long long)want.selectors, want.actions,
					     (unsigned long long)got.selectors, got.actions);
				}
			}
		}
		free(bytes);
		policy_free(p);
		free(text);
	}
	ok(policies >= 100, "compared %u random policies (%u drawn invalid and skipped)", policies,
	   invalid);
	is_int(mismatches, 0, "table matcher agrees with the reference on all %u events", events);
	return done_testing();
}
