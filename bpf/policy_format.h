/*
 * policy_format.h - the compiled policy ("blob") that d4c-policy writes and
 * d4c-load installs: the one description of the format, shared by the BPF
 * programs and user space. Only fixed-width kernel types, so that it reads
 * the same in both.
 *
 * Layout (all integers little-endian, every section 8-byte aligned):
 *
 *   struct d4c_policy_header
 *   struct d4c_section[nsections]      table of contents
 *   sections                           in any order, found through the table
 *
 * Matching is designed for the kernel: each selector is one bit of a
 * per-type 64-bit mask, and the set of selectors that match one event is
 * the AND of a few masks, each found with a number of lookups that does not
 * depend on how many selectors there are:
 *
 *   op        d4c_type_masks.op[op] (selectors without operation included,
 *             except for readFile, which only its own selectors match)
 *   path      no_path | exact(P) | children(parent(P)) | descendants(each
 *             proper ancestor of P, "/" included): one hash lookup per
 *             path component
 *   name      no_name | exact(comm) | prefix(each prefix of comm, "" too)
 *   tty       interactive[is_interactive]
 *   volumes   ~ignore_mounts on a volume mount, ~ignore_files on a
 *             single-file mount
 *   container no_container | per-container mask, computed once per
 *             container by user space from the d4c_ccond section
 *
 * and a response applies when (match & matched) && !(exclude & matched).
 */
#ifndef D4C_POLICY_FORMAT_H
#define D4C_POLICY_FORMAT_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define D4C_POLICY_MAGIC   0x50433444u /* "D4CP" read as little-endian bytes */
#define D4C_POLICY_VERSION 1u

/* Limits the kernel maps are sized for (the policy reference's, and d4c's own). */
#define D4C_MAX_SELECTORS    64 /* selectors + responses per type */
#define D4C_MAX_NAME	     128
#define D4C_MAX_VALUE	     511
#define D4C_MAX_PATH	     255
#define D4C_MAX_COMM	     15
#define D4C_MAX_PATH_ENTRIES 8192 /* distinct path prefixes, both types */
#define D4C_MAX_NAME_ENTRIES 2048
#define D4C_MAX_CCONDS	     16384
#define D4C_MAX_STRTAB	     (4u << 20)

enum d4c_type {
	D4C_TYPE_FILE = 0,
	D4C_TYPE_PROCESS = 1,
	D4C_NTYPES = 2,
};

/* Operations, numbered per type; an index into d4c_type_masks.op. */
enum d4c_op {
	D4C_OP_CREATE_EXECUTABLE = 0,
	D4C_OP_MODIFY_EXECUTABLE = 1,
	D4C_OP_CREATE_FILE = 2,
	D4C_OP_MODIFY_FILE = 3,
	D4C_OP_DELETE_FILE = 4,
	D4C_OP_EXEC_MEMFD = 5,
	/* d4c's own: an open for reading only. Unlike the others it is not
	 * implied by a selector without operation (d4c_type_masks.op[] holds
	 * only the selectors that list it), so that a policy written for D4C
	 * never reports reads, and the kernel can skip every read-only open
	 * when op[D4C_OP_READ_FILE] is empty. */
	D4C_OP_READ_FILE = 6,
	D4C_OP_FORK = 0,
	D4C_OP_EXEC = 1,
	D4C_MAX_OPS = 8,
};

enum d4c_action {
	D4C_ACTION_LOG = 1u << 0,
	D4C_ACTION_ALERT = 1u << 1,
	D4C_ACTION_BLOCK = 1u << 2,
};

/* Container-context condition keys (d4c_ccond.key). */
enum d4c_ckey {
	D4C_CK_IMAGE_FULL_NAME = 1,
	D4C_CK_IMAGE_NAME = 2,
	D4C_CK_IMAGE_TAG = 3,
	D4C_CK_CLUSTER_ID = 4,
	D4C_CK_CLUSTER_NAME = 5,
	D4C_CK_NAMESPACE = 6,
	D4C_CK_POD_NAME = 7,
	D4C_CK_POD_LABEL = 8, /* value is "key:value" */
	D4C_CK_MAX = 8,
};

/* d4c_ccond.flags */
#define D4C_CV_PREFIX 1u /* the value had a trailing '*', stored without it */

/* d4c_selector.flags */
#define D4C_SEL_INTERACTIVE_TRUE  (1u << 0)
#define D4C_SEL_INTERACTIVE_FALSE (1u << 1)
#define D4C_SEL_IGNORE_MOUNTS	  (1u << 2)
#define D4C_SEL_IGNORE_FILES	  (1u << 3)
#define D4C_SEL_HAS_PATH	  (1u << 4)
#define D4C_SEL_HAS_NAME	  (1u << 5)

enum d4c_section_id {
	D4C_SEC_STRTAB = 1, /* NUL-terminated strings; count = bytes */
	D4C_SEC_TYPES = 2, /* struct d4c_type_masks[D4C_NTYPES] */
	D4C_SEC_SELECTORS = 3, /* struct d4c_selector[] */
	D4C_SEC_PATHS = 4, /* struct d4c_path[], sorted by (type, path) */
	D4C_SEC_NAMES = 5, /* struct d4c_name[], sorted by name */
	D4C_SEC_CCONDS = 6, /* struct d4c_ccond[], grouped by selector */
	D4C_SEC_RESPONSES = 7, /* struct d4c_response[] */
	D4C_SEC_MAX = 7,
};

struct d4c_policy_header {
	__u32 magic;
	__u32 version;
	__u32 header_size; /* sizeof(struct d4c_policy_header) */
	__u32 total_size; /* of the whole blob */
	__u64 revision; /* given at compile time; 0 when none */
	__u32 nsections;
	__u32 flags; /* none defined: must be 0 */
	/* SHA-256 of the policy source text */
	__u8 digest[32];
	/* SHA-256 of the whole blob, computed with this field all zeros */
	__u8 checksum[32];
};

struct d4c_section {
	__u32 id;
	__u32 offset; /* from the start of the blob, 8-byte aligned */
	__u32 size; /* bytes; count * entry size */
	__u32 count;
};

/* A string: offset into the string table and length without the NUL. */
struct d4c_str {
	__u32 off;
	__u32 len;
};

struct d4c_type_masks {
	__u64 all; /* bit of every selector of this type */
	__u64 op[D4C_MAX_OPS]; /* selectors allowed for an event of op i */
	__u64 no_path; /* selectors without a path condition */
	__u64 no_name; /* selectors without processName */
	__u64 no_container; /* selectors without container conditions */
	__u64 interactive[2]; /* allowed when the session is (1) or is not (0) interactive */
	__u64 ignore_mounts; /* dropped for an event on a volume mount */
	__u64 ignore_files; /* dropped for an event on a single-file mount */
	__u32 first_selector; /* index into the selector table */
	__u32 nselectors;
	__u32 first_response; /* index into the response table */
	__u32 nresponses;
};

struct d4c_selector {
	struct d4c_str name;
	__u32 type;
	__u32 bit;
	__u32 ops; /* bit i: operation i listed; 0: no operation condition */
	__u32 flags;
	__u32 first_ccond;
	__u32 nccond;
};

struct d4c_path {
	struct d4c_str path; /* no trailing '/', "/" for the root */
	__u32 type;
	__u32 pad;
	__u64 exact; /* selectors with exactly this path */
	__u64 children; /* with the pattern PATH followed by "/" and "*" */
	__u64 descendants; /* with PATH followed by "/" and "**" */
};

struct d4c_name {
	struct d4c_str name; /* without the trailing '*' of a prefix */
	__u64 exact;
	__u64 prefix;
};

struct d4c_ccond {
	struct d4c_str value;
	__u32 selector; /* index into the selector table */
	__u32 key; /* enum d4c_ckey */
	__u32 flags; /* D4C_CV_* */
	__u32 pad;
};

struct d4c_response {
	__u32 type;
	__u32 actions; /* enum d4c_action bits */
	__u64 match;
	__u64 exclude;
};

#endif
