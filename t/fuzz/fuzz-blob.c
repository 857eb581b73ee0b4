/*
 * fuzz-blob.c - libFuzzer target for the blob reader, blob_open(): whatever
 * it accepts must be safe to follow. Every accepted blob is dumped and run
 * through the reference matcher (fuzz-common.h), which follows every
 * offset, length and index the reader vouched for.
 *
 * Each input is tried three ways, in a buffer of exactly its size (so that
 * AddressSanitizer catches a read one byte past the end) at an 8-byte
 * aligned address:
 *   1. as is, with every check (the checksum too): what d4c-load does;
 *   2. as is, with BLOB_NO_CHECKSUM, so that mutations reach the
 *      structure checks;
 *   3. with the header's total_size set to the input's length and the
 *      checksum recomputed, so that inputs that grew or shrank still get
 *      past the first checks; opened with every check.
 *
 * Build: make t/fuzz/fuzz-blob; run: t/fuzz/run.sh (make fuzz).
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz-common.h"

/* The blob_open() contract: 0 with B filled, or -1 with a one-line reason. */
static int try_open(const void *buf, size_t size, unsigned flags, struct blob *b)
{
	char reason[256];
	int r;

	reason[0] = '\0';
	r = blob_open(buf, size, flags, b, reason, sizeof(reason));
	fuzz_check(r == 0 || r == -1, "blob_open returned neither 0 nor -1");
	if (r) {
		fuzz_check(reason[0] != '\0', "blob_open failed without a reason");
		fuzz_check(strchr(reason, '\n') == NULL, "blob_open reason is not one line");
		return -1;
	}
	fuzz_check(b->base == buf && b->len == size, "blob_open filled the wrong buffer");
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct blob b;
	unsigned char *buf;
	int with_sum, no_sum;

	/* malloc() returns memory aligned for any type: 16 bytes here. */
	buf = malloc(size ? size : 1);
	if (!buf || (uintptr_t)buf % 8)
		abort();
	memcpy(buf, data, size);

	with_sum = try_open(buf, size, 0, &b) == 0;
	if (with_sum)
		fuzz_exercise_blob(&b);
	no_sum = try_open(buf, size, BLOB_NO_CHECKSUM, &b) == 0;
	fuzz_check(no_sum || !with_sum, "a blob with a good checksum fails without the check");
	if (no_sum && !with_sum)
		fuzz_exercise_blob(&b);

	if (size >= sizeof(struct d4c_policy_header)) {
		struct d4c_policy_header *h = (struct d4c_policy_header *)buf;
		int fixed;

		if (size <= UINT32_MAX)
			h->total_size = (uint32_t)size;
		blob_checksum(buf, size, h->checksum);
		fixed = try_open(buf, size, 0, &b) == 0;
		/* Only worth following again when the fix changed the verdict. */
		if (fixed && !no_sum)
			fuzz_exercise_blob(&b);
	}
	free(buf);
	return 0;
}
