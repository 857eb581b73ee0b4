/*
 * policy.h - D4C policy YAML: loading, every check of the policy reference,
 * and the checked in-memory model that the compiler turns into a blob.
 */
#ifndef D4C_POLICY_H
#define D4C_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "names.h"
#include "policy_format.h"

#define POLICY_MAX_FILE_SIZE (1u << 20)

/* Conditions of a selector; the index into pol_selector.cond. */
enum pol_cond {
	PC_OPERATION,
	PC_TARGET_FILE_PATH,
	PC_PROCESS_EXECUTABLE,
	PC_PROCESS_NAME,
	PC_IMAGE_FULL_NAME,
	PC_IMAGE_NAME,
	PC_IMAGE_TAG,
	PC_CLUSTER_ID,
	PC_CLUSTER_NAME,
	PC_NAMESPACE,
	PC_POD_NAME,
	PC_POD_LABEL,
	PC_INTERACTIVE,
	PC_IGNORE_MOUNTS,
	PC_IGNORE_FILES,
	PC_NCONDS,
};

struct pol_value {
	char *s;
	size_t len;
	int line, col;
};

struct pol_cond_val {
	int present;
	int line, col; /* of the key */
	struct pol_value *v;
	size_t n;
	int b; /* boolean conditions */
};

struct pol_selector {
	char *name;
	int line, col; /* of the name's value */
	unsigned type;
	unsigned bit;
	unsigned ops; /* bit per enum d4c_op; 0: any operation */
	struct pol_cond_val cond[PC_NCONDS];
	int used;
	int bad; /* had an error: no further warnings about it */
	int has_path_key; /* a targetFilePath key, even where ignored: Kibana's block rule */
};

struct pol_response {
	int line, col;
	unsigned type;
	uint64_t match, exclude;
	unsigned actions;
};

struct pol_type {
	int present;
	struct pol_selector *sel;
	size_t nsel;
	struct pol_response *resp;
	size_t nresp;
};

struct policy {
	struct pol_type t[D4C_NTYPES];
	char *version;
	unsigned char digest[32]; /* SHA-256 of the source text */
};

/*
 * Checks policy TEXT (named FILE in diagnostics) and, when it has no error,
 * returns its model in *OUT. Every problem found is added to DL. Returns 0
 * when valid (warnings allowed), -1 when not (*OUT untouched).
 */
int policy_parse(const char *text, size_t len, const char *file, struct diag_list *dl,
		 struct policy **out);

/*
 * Reads PATH ("-": stdin) and checks it as policy_parse does, refusing
 * files over POLICY_MAX_FILE_SIZE. DISPLAY names it in diagnostics.
 * Returns 0 valid, -1 invalid (diagnostics added), -2 when it cannot be
 * read (a diagnostic with code "io-error" added).
 */
int policy_load(const char *path, const char *display, struct diag_list *dl, struct policy **out);

void policy_free(struct policy *p);

/* The names of d4c_type, d4c_op, actions and container keys: names.h. */
const char *pol_cond_name(enum pol_cond c);
/* The container key of a condition, or 0 when it is not a container condition. */
unsigned pol_cond_ckey(enum pol_cond c);

/*
 * The path a path pattern's table entry is keyed by: V without a final
 * '*' or '**' component ("/" for the root patterns). Returns its length, *KEY set
 * to its first byte (V, or a static "/").
 */
size_t policy_path_key(const char *v, size_t len, const char **key);

#endif
