/*
 * match.h - the reference matcher: what the policy decides for one event,
 * computed from a compiled policy exactly as the kernel does it (the same
 * masks and the same lookups). It is the specification the BPF programs are
 * tested against, and what `d4c-policy test` runs.
 */
#ifndef D4C_MATCH_H
#define D4C_MATCH_H

#include <stddef.h>
#include <stdint.h>

#include "blob.h"

/* What is known of an event's container; NULL fields are unknown. */
struct d4c_container {
	const char *image_full_name; /* "docker.io/library/nginx", no tag */
	const char *image_name; /* "nginx" */
	const char *image_tag;
	const char *cluster_id;
	const char *cluster_name;
	const char *namespace;
	const char *pod_name;
	const char *const *labels; /* "key:value" each */
	size_t nlabels;
};

struct d4c_event {
	unsigned type; /* enum d4c_type */
	unsigned op; /* enum d4c_op of that type */
	/* file: the target path; process: the executable */
	const char *path;
	const char *name; /* process name (comm), process events */
	int interactive;
	int volume_mount; /* file: on a volume mount, not the container's root fs */
	int volume_file; /* file: the file is itself a mount point */
	const struct d4c_container *container; /* NULL: not in a container */
};

struct d4c_verdict {
	uint64_t selectors; /* bits of the event's type */
	unsigned actions; /* enum d4c_action bits */
};

/*
 * The selectors of TYPE whose container conditions CT satisfies, plus
 * every selector without such conditions. User space computes this once
 * per container; the kernel reads it by cgroup. CT NULL: the host.
 */
uint64_t match_container_mask(const struct blob *b, unsigned type, const struct d4c_container *ct);

/* Fills V for event E. Returns 0, or -1 when E's type or op is invalid. */
int match_event(const struct blob *b, const struct d4c_event *e, struct d4c_verdict *v);

/*
 * As match_event(), with the container part given as CMASK (what
 * match_container_mask() gives for the event's container) instead of
 * computed from E->container: for a decision the kernel started.
 */
int match_event_cmask(const struct blob *b, const struct d4c_event *e, uint64_t cmask,
		      struct d4c_verdict *v);

/* The operation mask of an event, with the implied operations: creating
 * or modifying an executable is also creating or modifying a file. */
uint64_t match_op_mask(const struct blob *b, unsigned type, unsigned op);

#endif
