/*
 * test-policy.c - the checked policy model that the compiler consumes:
 * selectors get one bit each in file order, operations and conditions are
 * kept as written (trailing '*' and all), responses become match and
 * exclude masks with their actions, and the digest is the SHA-256 of the
 * source. What `check` reports is covered by the corpus (t/corpus.sh).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "d4c.h"
#include "policy.h"
#include "sha256.h"
#include "tap.h"

static const char text[] = "version: '1'\n"
			   "process:\n"
			   "  selectors:\n"
			   "    - name: shells\n"
			   "      operation: [exec]\n"
			   "      processName: ['ba*', sh]\n"
			   "      sessionLeaderInteractive: true\n"
			   "    - name: all\n"
			   "      processExecutable: ['/**']\n"
			   "    - name: nginx\n"
			   "      containerImageName: [nginx]\n"
			   "      kubernetesPodLabel: ['app:web*']\n"
			   "  responses:\n"
			   "    - match: [shells, all]\n"
			   "      exclude: [nginx]\n"
			   "      actions: [alert, log]\n"
			   "file:\n"
			   "  selectors:\n"
			   "    - name: etc\n"
			   "      operation: [modifyFile, deleteFile]\n"
			   "      targetFilePath: ['/etc/**', /usr/bin/*]\n"
			   "      ignoreVolumeMounts: true\n"
			   "  responses:\n"
			   "    - match: [etc]\n"
			   "      actions: [block, alert]\n";

static struct policy *parse_ok(const char *src, struct diag_list *dl)
{
	struct policy *p = NULL;

	memset(dl, 0, sizeof(*dl));
	if (policy_parse(src, strlen(src), "t.yaml", dl, &p) != 0)
		for (size_t i = 0; i < dl->n; i++)
			diag("%d:%d: %s", dl->v[i].line, dl->v[i].col, dl->v[i].msg);
	return p;
}

static void test_model(void)
{
	struct diag_list dl;
	struct policy *p = parse_ok(text, &dl);
	const struct pol_type *pt, *ft;
	const struct pol_selector *s;
	unsigned char want[32];

	if (!ok(p != NULL, "the policy is valid")) {
		diag_free(&dl);
		return;
	}
	is_int((long long)dl.nerrors, 0, "no errors");
	is_str(p->version, "1", "version kept");

	pt = &p->t[D4C_TYPE_PROCESS];
	ok(pt->present && pt->nsel == 3 && pt->nresp == 1, "process: 3 selectors, 1 response");
	for (size_t i = 0; i < pt->nsel; i++)
		is_int(pt->sel[i].bit, (long long)i, "process selector %zu has bit %zu", i, i);
	s = &pt->sel[0];
	is_str(s->name, "shells", "first selector's name");
	ok(s->line == 4 && s->col == 13, "its position is the name's value (got %d:%d)", s->line,
	   s->col);
	is_int(s->ops, 1u << D4C_OP_EXEC, "shells: exec only");
	ok(s->cond[PC_PROCESS_NAME].present && s->cond[PC_PROCESS_NAME].n == 2,
	   "shells: two process names");
	if (s->cond[PC_PROCESS_NAME].n == 2)
		is_str(s->cond[PC_PROCESS_NAME].v[0].s, "ba*",
		       "the trailing '*' is kept as written");
	ok(s->cond[PC_INTERACTIVE].present && s->cond[PC_INTERACTIVE].b == 1,
	   "shells: interactive true");
	is_int(pt->sel[1].ops, 0, "a selector without operation matches every operation");
	ok(pt->sel[1].cond[PC_PROCESS_EXECUTABLE].present, "all: processExecutable '/**'");
	ok(pt->sel[2].cond[PC_IMAGE_NAME].present && pt->sel[2].cond[PC_POD_LABEL].present,
	   "nginx: container conditions kept");
	is_int(pol_cond_ckey(PC_IMAGE_NAME), D4C_CK_IMAGE_NAME, "image name is a container key");
	is_int(pol_cond_ckey(PC_PROCESS_NAME), 0, "process name is not a container key");

	is_int((long long)pt->resp[0].match, 0x3, "response match mask: shells|all");
	is_int((long long)pt->resp[0].exclude, 0x4, "response exclude mask: nginx");
	is_int(pt->resp[0].actions, D4C_ACTION_LOG | D4C_ACTION_ALERT, "actions log+alert");

	ft = &p->t[D4C_TYPE_FILE];
	ok(ft->present && ft->nsel == 1 && ft->nresp == 1, "file: 1 selector, 1 response");
	s = &ft->sel[0];
	is_int(s->ops, (1u << D4C_OP_MODIFY_FILE) | (1u << D4C_OP_DELETE_FILE),
	       "etc: modifyFile and deleteFile");
	ok(s->cond[PC_TARGET_FILE_PATH].n == 2, "etc: two paths");
	ok(s->cond[PC_IGNORE_MOUNTS].present && s->cond[PC_IGNORE_MOUNTS].b == 1,
	   "etc: ignoreVolumeMounts");
	is_int(ft->resp[0].actions, D4C_ACTION_BLOCK | D4C_ACTION_ALERT, "actions block+alert");

	sha256(text, strlen(text), want);
	ok(!memcmp(p->digest, want, 32), "the digest is the SHA-256 of the source text");
	policy_free(p);
	diag_free(&dl);
}

static void test_names(void)
{
	is_int(d4c_op_parse(D4C_TYPE_FILE, "createExecutable"), D4C_OP_CREATE_EXECUTABLE,
	       "createExecutable parses");
	is_int(d4c_op_parse(D4C_TYPE_FILE, "execMemFd"), D4C_OP_EXEC_MEMFD, "execMemFd parses");
	is_int(d4c_op_parse(D4C_TYPE_FILE, "fork"), -1, "fork is not a file operation");
	is_int(d4c_op_parse(D4C_TYPE_PROCESS, "exec"), D4C_OP_EXEC, "exec parses");
	is_str(d4c_op_name(D4C_TYPE_PROCESS, D4C_OP_FORK), "fork", "fork's name");
	is_str(d4c_op_name(D4C_TYPE_PROCESS, 7), NULL, "no name for an unknown operation");
	is_str(d4c_type_name(D4C_TYPE_FILE), "file", "type name");
	is_str(d4c_action_name(D4C_ACTION_BLOCK), "block", "action name");

	/* names.c names container keys for d4c-load without the checker's
	 * table of conditions: both must say the same */
	{
		int same = 1, keys = 0;

		for (int c = 0; c < PC_NCONDS; c++)
			if (pol_cond_ckey(c)) {
				keys++;
				same &= !strcmp(d4c_ckey_name(pol_cond_ckey(c)), pol_cond_name(c));
			}
		ok(same && keys == D4C_CK_MAX,
		   "every container key's name is its condition's, and every key has one");
	}
	is_str(d4c_ckey_name(0), "?", "no name for container key 0");
	is_str(d4c_hook_name(D4C_HOOK_FILE_OPEN), "lsm__file_open", "hook name");
	is_str(d4c_hook_name(D4C_HOOK_MAX), NULL, "no name for an unknown hook");
	is_str(d4c_cap_name(0), "CAP_CHOWN", "capability 0");
	is_str(d4c_cap_name(40), "CAP_CHECKPOINT_RESTORE", "capability 40");
	is_str(d4c_cap_name(D4C_NCAPS), NULL, "no name past the last capability");
}

static void test_invalid_untouched(void)
{
	struct diag_list dl = { 0 };
	struct policy *p = (struct policy *)&dl; /* any non-NULL sentinel */
	static const char bad[] = "process:\n  selectors: []\n  responses: []\n";

	is_int(policy_parse(bad, strlen(bad), "t.yaml", &dl, &p), -1, "an invalid policy: -1");
	ok(p == (struct policy *)&dl, "and the output is left untouched");
	ok(dl.nerrors >= 1, "with at least one error");
	diag_free(&dl);
}

int main(void)
{
	plan(NO_PLAN);
	test_model();
	test_names();
	test_invalid_untouched();
	return done_testing();
}
