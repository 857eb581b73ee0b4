/*
 * names.h - the one place for the names d4c gives its numbers: event types,
 * operations, response actions, container condition keys, hooks,
 * capabilities and the data streams' datasets.
 *
 * Kept apart from the policy checker so that what only prints or checks
 * them (blob.o, match.o and loader.o, hence d4c-load, which runs as root)
 * does not link the checker and its libraries (libyaml, libcrypto).
 */
#ifndef D4C_NAMES_H
#define D4C_NAMES_H

/* event.dataset of each kind of event, and of d4c's own records */
#define D4C_DATASET_PROCESS   "cloud_defend.process"
#define D4C_DATASET_FILE      "cloud_defend.file"
#define D4C_DATASET_ALERTS    "cloud_defend.alerts"
#define D4C_DATASET_METRICS   "cloud_defend.metrics"
#define D4C_DATASET_HEARTBEAT "cloud_defend.heartbeat"

/* "file" or "process" (a policy section, a selector's type); "?" beyond. */
const char *d4c_type_name(unsigned type);
/* The operation's name, or NULL when OP is not one of TYPE. */
const char *d4c_op_name(unsigned type, unsigned op);
/* The operation number of NAME in TYPE, or -1. */
int d4c_op_parse(unsigned type, const char *name);
/* "log", "alert" or "block" for one D4C_ACTION_* bit; "?" otherwise. */
const char *d4c_action_name(unsigned action_bit);
/* The policy condition of a container key (D4C_CK_*), e.g.
 * "containerImageName"; "?" for no key. */
const char *d4c_ckey_name(unsigned key);
/* The program behind a D4C_HOOK_* ("lsm__file_open"), or NULL. */
const char *d4c_hook_name(unsigned hook);
/* The capabilities the kernel numbers, CAP_CHOWN (0) first. */
#define D4C_NCAPS 41
/* "CAP_CHOWN" for 0, ...; NULL from D4C_NCAPS on. */
const char *d4c_cap_name(unsigned cap);

#endif
