/*
 * loader.h - the d4c kernel programs as a library: probe the kernel, load
 * the programs, install a compiled policy (and swap it for another without
 * a gap), keep the per-container policy masks current as containers come
 * and go, and turn what the kernel sends into events.
 *
 * d4c-load (a policy from a file) and d4c-trace (a policy built from its
 * options) are front ends to this module; they decide what to do with
 * each event (NDJSON, columns) and own the output.
 *
 * Lifecycle (libbpf-tools style, inside loader_start()): open the
 * skeleton, size the ring buffer, leave out the LSM programs when BPF LSM
 * is not usable, load, install the policy and the container masks,
 * attach, and wait until every program has been seen running. Then the
 * caller polls with loader_poll() until it is told to stop, and ends with
 * loader_stop() (detach, then drain: nothing produced is left unread) and
 * loader_free().
 *
 * Messages go to stderr through util.h; functions that fail say so there
 * and return an exit code of d4c-load(1) (EXIT_* in exit.h).
 */
#ifndef D4C_LOADER_H
#define D4C_LOADER_H

#include <stddef.h>
#include <stdint.h>

#include "blob.h"
#include "container.h"
#include "d4c.h"
#include "ecs.h"
#include "jsonw.h"

/* A compiled policy, checked, in the form the loader installs; ecs is
 * what its events say of it (digest, selector names). */
struct policy_slot {
	void *mem; /* 8-byte aligned copy of the blob, owned */
	struct blob b;
	struct ecs_policy ecs;
};

/*
 * Reads and checks the blob at PATH ('-': stdin). A blob is code for the
 * kernel: one that anybody but root (or its owner when not root) could
 * have written is refused. Returns 0, or EXIT_INVALID / EXIT_USAGE after
 * printing why.
 */
int policy_slot_read(const char *path, struct policy_slot *ps);
/* Takes MEM (LEN bytes from malloc, blob_compile's output) into PS.
 * Returns 0, or EXIT_INVALID after printing why (MEM is freed). */
int policy_slot_take(void *mem, size_t len, const char *what, struct policy_slot *ps);
/* Whether any response of the policy blocks. */
int policy_slot_blocks(const struct policy_slot *ps);

/* What the running kernel can do, measured (not guessed from its version). */
struct loader_probe {
	int btf;
	int lsm_listed; /* "bpf" is in /sys/kernel/security/lsm */
	/* an LSM program loaded and attached, and "bpf" is an active LSM
	 * (or securityfs cannot tell) */
	int lsm_usable;
	char lsm_error[128];
	int ringbuf;
	int bpf_loop; /* the kernel has the bpf_loop helper (5.17 and later) */
	/* the build of the kernel programs that runs here (D4C_BPF_VARIANT
	 * overrides): "bpf_loop", or "bounded" (bounded loops, 5.10 to 5.16) */
	const char *variant;
	char variant_why[96];
	/* hook arguments, from the kernel's BTF (-1: not found) */
	int xattr_has_idmap; /* inode_setxattr's first argument is the mount's (5.12) */
	int rename_has_flags; /* path_rename has flags (5.19) */
	char kernel[65]; /* uname -r */
};
void loader_probe(struct loader_probe *p);

struct loader_opts {
	int host; /* apply the policy to host processes too */
	int monitor; /* a blocking policy may run where nothing can block */
	unsigned long ringbuf_size;
	const char *cluster_id; /* kubernetesClusterId/Name of every container */
	const char *cluster_name;
	const char *pin_dir; /* pin the links there: they outlive the loader */
	int failed_execs; /* d4c-trace -x: report execs that fail, every process's */
};

/* Called for every record that makes an event: KIND is "event" (the
 * policy logs it) or "alert". STRS[i] holds E->len[i] bytes. */
typedef void (*loader_emit_fn)(void *arg, const struct d4c_record *e,
			       const char *const strs[D4C_NSTR], const char *kind);

/* cgroup id -> container, for the cgroups of containers (internal). */
struct cg_entry {
	uint64_t id; /* 0: empty slot */
	char ctr[CTR_ID_MAX + 1];
	char *name; /* the container's name, when the runtime says */
	enum ctr_runtime runtime;
	int gone; /* the cgroup was removed: dropped when the table grows */
	int pending; /* known by id only: resolved again until its metadata shows */
	unsigned tries;
	uint64_t next_try; /* CLOCK_MONOTONIC ns */
	char *path; /* of a pending entry */
};

struct d4c_bpf;
struct ring_buffer;

struct loader {
	struct loader_opts opt;
	struct d4c_bpf *skel;
	const char *variant; /* the build that runs: loader_probe's */
	struct container_ctx *cctx;
	struct policy_slot slot[D4C_SLOTS];
	unsigned active;
	int lsm; /* file operations are seen (and can be refused) at LSM hooks */
	struct ring_buffer *rb;
	uint64_t received; /* records read from the ring buffer */
	uint64_t lost_seen, lost_checked; /* rescan_after_loss() */
	loader_emit_fn emit;
	void *emit_arg;
	struct {
		struct cg_entry *v;
		size_t cap, n, npending;
	} cg;
	struct ecs ecs; /* records to events */
};

/*
 * Loads the programs with the policy in FIRST (taken over by L) and
 * attaches them; events go to EMIT. Returns 0 once every program has been
 * seen running, or EXIT_NO_LSM / EXIT_KERNEL / EXIT_USAGE after saying
 * why (call loader_free() either way).
 */
int loader_start(struct loader *L, const struct loader_opts *o, struct policy_slot *first,
		 loader_emit_fn emit, void *arg);
/* Waits up to TIMEOUT_MS for records and hands out what is there. Returns
 * the number of records, or a negative errno value (-EINTR is harmless). */
int loader_poll(struct loader *L, int timeout_ms);
/* Installs the blob at PATH into the idle slot and puts it in force; on
 * any failure the policy in force stays, and the reason is printed.
 * Returns 0 or -1. */
int loader_reload(struct loader *L, const char *path);
/* Detaches (unless pinned) and reads what the kernel still holds. */
void loader_stop(struct loader *L);
void loader_free(struct loader *L);

/* The kernel's counters (D4C_C_*), summed over CPUs. */
void loader_counters(struct loader *L, uint64_t out[D4C_C_MAX]);
/* After loading, only bpf() is needed: every other capability goes. */
void loader_drop_privileges(void);
/* --unpin DIR: removes what pin_dir left. Returns an exit code. */
int loader_unpin(const char *dir);

/* The container of cgroup ID as the loader knows it: its id, or NULL; its
 * name in *NAME when known (else NULL). */
const char *loader_container_of(struct loader *L, uint64_t cgroup_id, const char **name);

/* Whether the loader knows a container for which MATCH (its id, and its
 * name or NULL) says yes. */
int loader_find_container(struct loader *L, int (*match)(const char *id, const char *name));

/* Unix ns of a kernel (boot-time) timestamp. */
static inline uint64_t loader_unix_ns(const struct loader *L, uint64_t boot_ns)
{
	return boot_ns + L->ecs.boot_to_real;
}

/* ---- events as ECS JSON (events.md) --------------------------------------- */

/* One event line for E as KIND, as d4c-load writes it (ecs_event_json()
 * with the policy that decided E). Returns 0, or -1 (printed) when the
 * writer was left unbalanced. */
int loader_event_json(struct loader *L, struct jsonw *w, const struct d4c_record *e,
		      const char *const strs[D4C_NSTR], const char *kind);
/* The --ringbuf-size option's value S: a power of two from 4096 to 1G,
 * with an optional k, M or G suffix; else a usage error (exit 2). */
unsigned long loader_ringbuf_arg(const char *s);

#endif
