/*
 * blob.h - the compiled policy: build it from a checked policy, and open one
 * with every offset and length checked, for the loader, the reference
 * matcher and dumps. The format itself is described in policy_format.h.
 *
 * Three objects, so that what only opens blobs (d4c-load) links no more
 * than that: blob.c opens and checksums, blobcompile.c compiles (with the
 * policy checker, libyaml), blobdump.c dumps (jansson).
 */
#ifndef D4C_BLOB_H
#define D4C_BLOB_H

#include <stddef.h>
#include <stdint.h>

#include "policy_format.h"

struct policy;
struct json_t; /* jansson's json_t: include <jansson.h> to use blob_dump() */

struct blob {
	const unsigned char *base;
	size_t len;
	const struct d4c_policy_header *hdr;
	const char *strtab;
	size_t strtab_len;
	const struct d4c_type_masks *types; /* [D4C_NTYPES] */
	const struct d4c_selector *sel;
	size_t nsel;
	const struct d4c_path *paths;
	size_t npaths;
	const struct d4c_name *names;
	size_t nnames;
	const struct d4c_ccond *cconds;
	size_t ncconds;
	const struct d4c_response *resp;
	size_t nresp;
};

/*
 * Compiles P into a newly allocated blob in *OUT (*OUTLEN bytes). The same
 * policy and revision always give the same bytes. Returns 0, or -1 with an
 * error printed when the policy exceeds a table size of the format.
 */
int blob_compile(const struct policy *p, uint64_t revision, unsigned char **out, size_t *outlen);

#define BLOB_NO_CHECKSUM 1u /* skip the checksum (fuzzing the structure checks) */

/*
 * Checks the LEN bytes at BUF (8-byte aligned) as a blob and fills B with
 * views into them; BUF must outlive B. Returns 0, or -1 with the reason in
 * ERR (one line).
 */
int blob_open(const void *buf, size_t len, unsigned flags, struct blob *b, char *err,
	      size_t errlen);

/* The string S of an opened blob (checked by blob_open). */
static inline const char *blob_str(const struct blob *b, struct d4c_str s)
{
	return b->strtab + s.off;
}

/* Computes the checksum field's value for BUF (LEN >= header size). */
void blob_checksum(const void *buf, size_t len, unsigned char out[32]);

/* The blob as JSON for people, diffs and tests: a new reference. */
struct json_t *blob_dump(const struct blob *b);

#endif
