/* SPDX-License-Identifier: GPL-2.0 */
/*
 * d4c/maps.h - the kernel programs' state: every map with the structs of
 * its values, the per-CPU scratch area the programs build records and
 * walk paths in, and the read-only globals d4c-load sets before loading.
 * A map's name is its name in the skeleton, so d4c-load (lib/load/loader.c)
 * finds it by that name; the order here is the order of the object's
 * .maps and .rodata sections.
 *
 * Relies on common.h (LOOP_CTX_SIZE) and d4c.h (the shared layouts).
 */
#ifndef D4C_MAPS_H
#define D4C_MAPS_H

#include "d4c/common.h"

#define DATA_SIZE 32768 /* > D4C_EVENT_DATA_MAX: room for masked offsets */
#define DATA_MASK (DATA_SIZE - 1)
#define WALK_SIZE (2 * D4C_PATH_MAX)

struct walked {
	__u32 off; /* the path is walk[which][off .. D4C_PATH_MAX) */
	__u32 len;
	__u32 ncomp; /* components; comp[which][0] is the leaf's length */
	__u32 truncated;
	__u32 pseudo; /* a file in no directory (memfd:NAME): a name, not a path */
	__u32 pad;
};

struct scratch {
	struct d4c_record ev;
	char data[DATA_SIZE];
	/* path walks write backwards, ending at D4C_PATH_MAX */
	char walk[2][WALK_SIZE];
	__u16 comp[2][D4C_PATH_DEPTH]; /* component lengths, leaf first */
	struct d4c_path_key pkey;
	char pkey_slack[D4C_KEY_PATH];
	struct d4c_name_key nkey;
	char name[16];
	struct walked walked[2]; /* file_path_sel()'s walks */
	__u32 vflags[2];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20); /* d4c-load --ringbuf-size */
} events SEC(".maps");

/* One scratch area per CPU, indexed by CPU number: larger than the 32 KiB
 * a per-CPU map value may have. d4c-load sets max_entries to the number of
 * possible CPUs. Programs do not migrate while they run. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scratch);
} scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, D4C_C_MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct d4c_config);
} settings SEC(".maps");

/* [slot * D4C_NTYPES + type] */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, D4C_SLOTS *D4C_NTYPES);
	__type(key, __u32);
	__type(value, struct d4c_type_masks);
} types SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, D4C_SLOTS *D4C_NTYPES);
	__type(key, __u32);
	__type(value, struct d4c_resp_set);
} responses SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	/* the policy's paths and their ancestors (d4c_path_val.below) */
	__uint(max_entries, 4 * D4C_SLOTS * D4C_MAX_PATH_ENTRIES);
	__type(key, struct d4c_path_key);
	__type(value, struct d4c_path_val);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} paths SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, D4C_SLOTS *D4C_MAX_NAME_ENTRIES);
	__type(key, struct d4c_name_key);
	__type(value, struct d4c_name_val);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} names SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct d4c_cgroup_val);
} cgroups SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, D4C_MAX_OBJECTS);
	__type(key, struct d4c_obj_key);
	__type(value, struct d4c_obj_val);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} objects SEC(".maps");

/* Per hook: has it run since d4c-load attached? (Its start-up check.) */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, D4C_HOOK_MAX);
	__type(key, __u32);
	__type(value, __u64);
} seen SEC(".maps");

/* Processes an event was sent for: their exit is sent too. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, __u64);
} tracked SEC(".maps");

/* tid -> dentry just created through path_mknod: its file_open is not a
 * second event. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u64);
} created SEC(".maps");

/* An open file that its own open created (file -> its inode): writes
 * through it are part of that creation, not modifications to refuse. An
 * entry outlives its file only to match a later file at the same address
 * and inode, which was then opened for writing and decided at file_open. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, __u64);
} fresh SEC(".maps");

static const __u32 zero;

/* Wake d4c-load once this much waits in the ring buffer (it sets it to at
 * most a quarter of the buffer, which it sizes). */
const volatile __u64 wakeup_bytes = D4C_WAKEUP_BYTES;

#ifdef D4C_NO_BPF_LOOP
/* LOOP's context while a loop runs (common.h says why a map). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, char[LOOP_CTX_SIZE]);
} loop_ctx SEC(".maps");
#endif

/*
 * Hook arguments that differ between kernels, set by d4c-load from the
 * kernel's BTF: inode_setxattr and inode_removexattr gained a first
 * argument in 5.12 (the mount's user namespace, an idmap since 6.3), and
 * path_rename its flags in 5.19. Read-only after load, so the verifier
 * follows only the branch that fits the running kernel.
 */
const volatile __u32 xattr_has_idmap = 1;
const volatile __u32 rename_has_flags = 1;

/* A file system call's entry, kept for its exit (syscalls.h). */
struct pending {
	long nr;
	__u64 a[4];
	__u32 old_mode; /* fchmod: the mode before; chmod: the file's type, when seen */
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct pending);
} pending SEC(".maps");

/* d4c-trace -x: an exec call's arguments, from its entry to its exit
 * (syscalls.h). */
struct exec_call {
	__u64 filename;
	__u64 argv;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, __u32);
	__type(value, struct exec_call);
} exec_calls SEC(".maps");

/* d4c-load sets it for d4c-trace -x: the raw sys_enter and sys_exit
 * programs (no tracefs) then remember and report execs as well */
const volatile __u32 report_failed_execs = 0;

/* sys_exit_common (syscalls.h), which every exit tracepoint tail-calls:
 * d4c-load puts it here. */
struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} sys_exit_jmp SEC(".maps");

static __always_inline void count(__u32 which)
{
	__u64 *c = bpf_map_lookup_elem(&counters, &which);

	if (c)
		(*c)++;
}

static __always_inline void mark_seen(__u32 hook)
{
	__u64 *v = bpf_map_lookup_elem(&seen, &hook);

	if (v && !*v)
		*v = 1;
}

static __always_inline struct scratch *get_scratch(void)
{
	__u32 cpu = bpf_get_smp_processor_id();

	return bpf_map_lookup_elem(&scratch, &cpu);
}

#endif /* D4C_MAPS_H */
