/*
 * fuzz-cases.c - libFuzzer target for the policy unit-test cases reader,
 * cases_parse() (YAML or NDJSON), and what `d4c-policy test` does with the
 * cases it returns: run each through the reference matcher against a fixed
 * compiled policy and look up the selectors it names.
 *
 * Build (see the Makefile.am lines in t/fuzz/run.sh's header):
 *   make t/fuzz/fuzz-cases; run: t/fuzz/run.sh (make fuzz).
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cases.h"
#include "fuzz-common.h"

/* The policy of t/policy-test.bats, with a few more conditions. */
static const char policy_text[] = "process:\n"
				  "  selectors:\n"
				  "    - name: allProcesses\n"
				  "      operation: [fork, exec]\n"
				  "    - name: shells\n"
				  "      operation: [exec]\n"
				  "      processName: [bash, sh, 'py*']\n"
				  "    - name: nginx\n"
				  "      containerImageName: [nginx]\n"
				  "      kubernetesPodLabel: ['app:web*']\n"
				  "    - name: tty\n"
				  "      sessionLeaderInteractive: true\n"
				  "  responses:\n"
				  "    - match: [allProcesses]\n"
				  "      actions: [log]\n"
				  "    - match: [shells, tty]\n"
				  "      exclude: [nginx]\n"
				  "      actions: [alert]\n"
				  "file:\n"
				  "  selectors:\n"
				  "    - name: etc\n"
				  "      operation: [createFile, modifyFile, deleteFile]\n"
				  "      targetFilePath: [/etc/**, /usr/bin/*, /root]\n"
				  "      kubernetesNamespace: [default, 'kube-*']\n"
				  "    - name: mounts\n"
				  "      targetFilePath: [/data/**]\n"
				  "      ignoreVolumeMounts: true\n"
				  "  responses:\n"
				  "    - match: [etc]\n"
				  "      actions: [alert, block]\n"
				  "    - match: [mounts]\n"
				  "      actions: [log]\n";

static unsigned char *policy_blob;
static struct blob pb;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct diag_list dl = { 0 };
	struct policy *p = NULL;
	char reason[256];
	size_t len;

	(void)argc;
	(void)argv;
	if (policy_parse(policy_text, sizeof(policy_text) - 1, "policy.yaml", &dl, &p) ||
	    blob_compile(p, 0, &policy_blob, &len) ||
	    blob_open(policy_blob, len, 0, &pb, reason, sizeof(reason))) {
		diag_print(stderr, &dl, DIAG_TEXT);
		fprintf(stderr, "fuzz-cases: the fixed policy does not compile\n");
		abort();
	}
	diag_free(&dl);
	policy_free(p);
	return 0;
}

/* As do_test() in cmd/d4c-policy.c: the mask of the selectors a case names. */
static int want_mask(const struct d4c_case *k, uint64_t *mask)
{
	const struct d4c_type_masks *tm = &pb.types[k->ev.type];

	*mask = 0;
	for (size_t j = 0; j < k->nwant_selectors; j++) {
		unsigned i;

		fuzz_check(k->want_selectors[j] != NULL, "a wanted selector is NULL");
		for (i = 0; i < tm->nselectors; i++)
			if (!strcmp(blob_str(&pb, pb.sel[tm->first_selector + i].name),
				    k->want_selectors[j]))
				break;
		if (i == tm->nselectors)
			return -1;
		*mask |= 1ull << i;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct diag_list dl = { 0 };
	struct d4c_case *cases = NULL;
	size_t n = 0;
	char *text;
	int r;

	if (size > CASES_MAX_FILE_SIZE)
		return -1;
	/* cases_parse() wants NUL-terminated text, as cases_load() gives it. */
	text = malloc(size + 1);
	if (!text)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';

	r = cases_parse(text, size, "t/fuzz,cas:es%.yaml", &dl, &cases, &n);
	fuzz_check(r == 0 || r == -1, "cases_parse returned neither 0 nor -1");
	fuzz_check((r == 0) == (dl.nerrors == 0), "cases_parse result disagrees with its errors");
	fuzz_print_diags(&dl);
	diag_free(&dl);
	if (r == 0) {
		fuzz_check(n > 0 && cases != NULL, "cases_parse accepted no cases");
		for (size_t k = 0; k < n; k++) {
			const struct d4c_case *c = &cases[k];
			struct d4c_verdict v;
			uint64_t wmask;
			char label[512];

			fuzz_check(c->ev.type < D4C_NTYPES && d4c_op_name(c->ev.type, c->ev.op),
				   "cases_parse accepted an event the matcher refuses");
			fuzz_check(c->ev.container == (c->in_container ? &c->ct : NULL),
				   "case container pointer is stale");
			fuzz_check((c->want_actions & ~7u) == 0, "case wants unknown actions");
			fuzz_check(match_event(&pb, &c->ev, &v) == 0, "match_event refused a case");
			fuzz_check(!c->renamed_from || (c->ev.type == D4C_TYPE_FILE && c->ev.path),
				   "a rename case without a file's new name");
			cases_decide(&pb, c, &v);
			if (c->want_selectors)
				want_mask(c, &wmask);
			/* The label do_test() prints. */
			snprintf(label, sizeof(label), "%s %s%s%s", d4c_type_name(c->ev.type),
				 d4c_op_name(c->ev.type, c->ev.op), c->ev.path ? " " : "",
				 c->ev.path ? c->ev.path : "");
			if (c->name)
				snprintf(label, sizeof(label), "%s", c->name);
			for (size_t i = 0; c->ev.container && i < c->ct.nlabels; i++)
				fuzz_check(c->ct.labels[i] != NULL, "a label is NULL");
		}
	}
	cases_free(cases, n);
	free(text);
	return 0;
}
