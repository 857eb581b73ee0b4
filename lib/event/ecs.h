/*
 * ecs.h - a kernel record (struct d4c_record) as one ECS event line
 * (../shared/docs/events.md), and what that needs to remember from one
 * record to the next: what each process ran (from its exec or fork), the
 * boot id that makes entity ids unique, the event id of the record being
 * written.
 *
 * The loader (d4c-load, d4c-trace) owns the kernel side and hands every
 * record here; what only it knows comes in as the record's policy (struct
 * ecs_policy: the selector names and digest of the policy that decided)
 * and the container_id callback (the container of a cgroup). This module
 * knows nothing of blobs, BPF or cgroups. Not thread-safe: one struct ecs
 * per writer, and the capability arrays are cached per process.
 */
#ifndef D4C_ECS_H
#define D4C_ECS_H

#include <stddef.h>
#include <stdint.h>

#include "d4c.h"
#include "htab.h"
#include "jsonw.h"

/*
 * What the process ran, from its last exec or fork record: the executable
 * and arguments its later events name (a file record carries only the
 * kernel's 15-byte comm), process.previous of its next exec, and what its
 * end event carries. Up to ECS_PROCS processes, by pid and start time;
 * past that, the one whose records were seen least recently is forgotten
 * (a long-running process that still acts stays). Before, a table indexed
 * by pid % 8192 forgot a live process whenever another's pid fell in its
 * slot, which on a node whose pids run into the millions is not rare.
 */
#define ECS_PROCS 8192

struct ecs_proc {
	struct hnode node; /* in ecs.procs */
	uint32_t pid;
	uint64_t start_ns;
	char *exe, *args; /* args: NUL-separated, args_len bytes */
	size_t exe_len, args_len;
	uint64_t selectors, revision; /* what its last event matched */
};

/* The policy that decided a record: cloud_defend.package_policy_id, and
 * the name of selector I (0 to 63) of TYPE (D4C_TYPE_*), NULL past its
 * last. The loader embeds this in its own policy slot. */
struct ecs_policy {
	char digest_hex[65];
	const char *(*selector)(const struct ecs_policy *p, unsigned type, unsigned i);
};

struct ecs {
	char boot_id[40]; /* without dashes, as Elastic's entity ids have it */
	uint64_t boot_to_real; /* add to boot-time ns for Unix ns */
	int enforcing; /* blocks are real (else cloud_defend.monitor_only) */
	/* the id of the container cgroup CGROUP_ID is in, or NULL (may be unset) */
	const char *(*container_id)(void *arg, uint64_t cgroup_id);
	void *arg;
	uint64_t created_ns; /* when the record was read: event.created */
	struct htab procs; /* struct ecs_proc, at most ECS_PROCS */
	uint64_t rng[2]; /* event.id */
	char event_id[37]; /* of the record being written */
};

/* Reads the boot id and the boot-time clock's offset into X (zeroed
 * first); the caller sets enforcing and container_id. Cannot fail: an
 * unreadable boot id is "unknown". */
void ecs_init(struct ecs *x);
void ecs_free(struct ecs *x);

/* Starts record E: a new event.id (a random UUID) and event.created, one
 * for the record, whose event and alert lines are one event in two data
 * streams. */
void ecs_begin(struct ecs *x);
/* One event line for E (strings STRS) as KIND ("event" or "alert"),
 * decided by policy P. Returns 0, or -1 (printed) when the writer was left
 * unbalanced. */
int ecs_event_json(struct ecs *x, struct jsonw *w, const struct d4c_record *e,
		   const char *const strs[D4C_NSTR], const char *kind, const struct ecs_policy *p);
/* After its lines: what exec or fork record E says its process runs now. */
void ecs_learn(struct ecs *x, const struct d4c_record *e, const char *const strs[D4C_NSTR]);
/* What X remembers of process PID that started at START_NS, or NULL. */
const struct ecs_proc *ecs_proc_find(const struct ecs *x, uint32_t pid, uint64_t start_ns);
/* After its end record: the process is forgotten. */
void ecs_forget(struct ecs *x, uint32_t pid, uint64_t start_ns);

/* The exit code a shell would show for a wait status. */
int ecs_exit_code(uint32_t status);

#endif
