/*
 * fuzz-policy.c - libFuzzer target for the policy YAML checker and what a
 * valid policy goes through next: policy_parse(), diagnostics printed in
 * every format, blob_compile(), blob_open(), blob_dump() and the reference
 * matcher.
 *
 * Invariants checked (abort() when broken, so libFuzzer keeps the input):
 *   - policy_parse() returns 0 exactly when no error was reported, and
 *     hands out a policy only then;
 *   - each diagnostic prints as exactly one line in every format;
 *   - a policy that checks compiles (check reports the table limits
 *     itself), compiles to the same bytes twice, and the blob opens with
 *     every check, the checksum included.
 *
 * Build: make t/fuzz/fuzz-policy; run: t/fuzz/run.sh (make fuzz).
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz-common.h"

/* Commas, colons and '%' exercise the GitHub escaping of the file name. */
#define FUZZ_FILE "t/fuzz,in:put%.yaml"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct diag_list dl = { 0 };
	struct policy *p = NULL;
	unsigned char *blob = NULL, *again = NULL;
	size_t len = 0, len2 = 0;
	char *text;
	int r;

	if (size > POLICY_MAX_FILE_SIZE)
		return -1;
	/* policy_load() hands over a NUL-terminated buffer; do the same, but
	 * with the NUL outside LEN so that reading past it is still caught
	 * by AddressSanitizer as a read past the terminator. */
	text = malloc(size + 1);
	if (!text)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';

	r = policy_parse(text, size, FUZZ_FILE, &dl, &p);
	fuzz_check(r == 0 || r == -1, "policy_parse returned neither 0 nor -1");
	fuzz_check((r == 0) == (dl.nerrors == 0), "policy_parse result disagrees with its errors");
	fuzz_check((r == 0) == (p != NULL), "policy_parse result disagrees with its output");
	fuzz_print_diags(&dl);
	diag_free(&dl);

	if (r == 0) {
		struct blob b;
		char reason[256];
		/* The revision is any 64-bit number: take it from the input. */
		uint64_t rev = 0;

		memcpy(&rev, data, size < sizeof(rev) ? size : sizeof(rev));
		r = blob_compile(p, rev, &blob, &len);
		fuzz_check(r == 0, "a policy that checks does not compile");
		if (r == 0) {
			fuzz_check(blob != NULL && len > 0, "blob_compile gave no blob");
			fuzz_check(blob_compile(p, rev, &again, &len2) == 0 && len2 == len &&
					   !memcmp(blob, again, len),
				   "blob_compile is not deterministic");
			/* malloc() memory is aligned enough for blob_open(). */
			if (blob_open(blob, len, 0, &b, reason, sizeof(reason))) {
				fprintf(stderr, "compiled blob does not open: %s\n", reason);
				abort();
			}
			fuzz_check(b.hdr->revision == rev, "blob revision lost");
			fuzz_check(!memcmp(b.hdr->digest, p->digest, sizeof(p->digest)),
				   "blob digest is not the policy's");
			for (unsigned t = 0; t < D4C_NTYPES; t++) {
				fuzz_check(b.types[t].nselectors == p->t[t].nsel,
					   "blob lost or gained selectors");
				fuzz_check(b.types[t].nresponses == p->t[t].nresp,
					   "blob lost or gained responses");
			}
			fuzz_exercise_blob(&b);
		}
		free(again);
		free(blob);
	}
	policy_free(p);
	free(text);
	return 0;
}
