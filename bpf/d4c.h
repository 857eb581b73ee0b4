/*
 * d4c.h - what the kernel programs (d4c.bpf.c) and d4c-load share: the
 * records they send through the ring buffer, the layout of the policy maps
 * and the loader's configuration. Only __u32/__u64-style types, so that it
 * reads the same on both sides.
 *
 * The compiled policy (policy_format.h) is installed into two "slots" of
 * every policy map, so that a new policy is written into the idle slot and
 * made active with one store (d4c_config.active): events are decided by one
 * policy or the other, never by a mix, and each event names the revision
 * that decided it.
 */
#ifndef D4C_H
#define D4C_H

#include "policy_format.h"

#define D4C_SLOTS 2

#define D4C_PATH_MAX	 4096 /* a path in an event, NUL excluded */
#define D4C_ARGS_MAX	 4096 /* exec arguments, NUL-separated */
#define D4C_PATH_DEPTH	 64 /* path components walked (mount crossings included) */
#define D4C_KEY_PATH	 256 /* a policy path in a map key: D4C_MAX_PATH + NUL */
#define D4C_CGROUP_PATH	 512 /* a cgroup path in a D4C_REC_CGROUP record */
#define D4C_WAKEUP_BYTES (64 << 10) /* the kernel wakes d4c-load once this much waits */
#define D4C_POLL_MS	 50 /* and d4c-load looks at least this often */

/* Record kinds (d4c_event.kind). */
enum d4c_rec {
	D4C_REC_FORK = 1,
	D4C_REC_EXEC = 2,
	D4C_REC_EXIT = 3,
	D4C_REC_FILE = 4,
	D4C_REC_CGROUP = 5, /* a cgroup was created: for the container resolver */
};

/* Where the kernel saw it (d4c_event.hook): cloud_defend.hook_point. */
enum d4c_hook {
	D4C_HOOK_SCHED_FORK = 1,
	D4C_HOOK_SCHED_EXEC,
	D4C_HOOK_SCHED_EXIT,
	D4C_HOOK_BPRM_CHECK,
	D4C_HOOK_TASK_ALLOC,
	D4C_HOOK_FILE_OPEN,
	D4C_HOOK_PATH_MKNOD,
	D4C_HOOK_PATH_UNLINK,
	D4C_HOOK_PATH_RENAME,
	D4C_HOOK_PATH_LINK,
	D4C_HOOK_PATH_TRUNCATE,
	D4C_HOOK_PATH_CHMOD,
	D4C_HOOK_CGROUP_MKDIR,
	D4C_HOOK_CGROUP_RMDIR,
	D4C_HOOK_SYS_OPEN, /* syscall tracepoints: kernels without BPF LSM */
	D4C_HOOK_SYS_UNLINK,
	D4C_HOOK_SYS_RENAME,
	D4C_HOOK_SYS_LINK,
	D4C_HOOK_SYS_TRUNCATE,
	D4C_HOOK_SYS_CHMOD,
	D4C_HOOK_SYS_ENTER, /* only in the "seen" map: sys_enter ran */
	D4C_HOOK_PATH_SYMLINK,
	D4C_HOOK_FILE_PERMISSION, /* a read or write on an open file: blocks only */
	D4C_HOOK_MMAP_FILE, /* code mapped, or a shared writable mapping: blocks only */
	D4C_HOOK_INODE_SETXATTR, /* and removexattr */
	D4C_HOOK_INODE_CREATE, /* a name made without a path (overlayfs): blocks only */
	D4C_HOOK_SB_MOUNT, /* and move_mount */
	D4C_HOOK_SYS_EXECVE, /* an exec that failed (d4c-trace -x), and execveat */
	D4C_HOOK_SYS_SYMLINK, /* and symlinkat: syscall tracepoints */
	D4C_HOOK_SYS_MKNOD, /* and mknodat: a FIFO, a device node, a socket */
	D4C_HOOK_MAX,
};

/* File event actions (d4c_event.file_action): event.action. */
enum d4c_file_action {
	D4C_FA_CREATION = 1,
	D4C_FA_MODIFICATION,
	D4C_FA_DELETION,
	D4C_FA_RENAME,
	D4C_FA_LINK,
	D4C_FA_OPEN,
	D4C_FA_EXEC, /* execMemFd: a file executed from memory */
	D4C_FA_READ, /* readFile: opened for reading only ("open", type access) */
};

/* d4c_event.flags */
#define D4C_EF_DENIED		 (1u << 0) /* the operation was refused */
#define D4C_EF_IN_CONTAINER	 (1u << 1) /* the cgroup is a known container's */
#define D4C_EF_PATH_TRUNC	 (1u << 2) /* a path was longer than the walk allows */
#define D4C_EF_ARGS_TRUNC	 (1u << 3) /* args longer than D4C_ARGS_MAX */
#define D4C_EF_INTERACTIVE	 (1u << 4) /* the session has a controlling terminal */
#define D4C_EF_VOLUME_MOUNT	 (1u << 5) /* file: not on the process's root mount */
#define D4C_EF_VOLUME_FILE	 (1u << 6) /* file: the file is itself a mount point */
#define D4C_EF_CONTAINER_PENDING (1u << 7) /* container cgroup not resolved yet */
/* The kernel saw a path as the process gave it (a syscall tracepoint):
 * PATH and PATH2 are that path joined to its directory, not normalized;
 * user space decides, with selectors holding the candidate mask. */
#define D4C_EF_UNDECIDED (1u << 8)
/* exec: the execve failed (exit_code holds the negative errno); only from
 * the programs d4c-trace -x loads */
#define D4C_EF_EXEC_FAILED (1u << 9)

/* Strings that follow the fixed part, in this order (d4c_event.len[]). */
enum d4c_str_id {
	D4C_S_PATH = 0, /* file: the path; process: the executable */
	D4C_S_PATH2, /* file: the old path of a rename or link target */
	D4C_S_CWD, /* exec: working directory */
	D4C_S_ARGS, /* exec: arguments, each NUL-terminated */
	D4C_NSTR,
};

struct d4c_task {
	__u32 pid; /* thread group id, as user space calls a process id */
	__u32 tid;
	__u32 ppid;
	__u32 pgid;
	__u32 sid;
	__u32 uid;
	__u32 gid;
	__u32 euid;
	__u32 egid;
	__u32 tty_major;
	__u32 tty_minor;
	__u32 entry_pid; /* who entered the container: its init, or an exec'd process; 0: none */
	__u64 entry_start_ns;
	__u64 start_ns; /* group leader's start, boot-time clock */
	__u64 parent_start_ns; /* the parent's, same clock */
	__u64 cap_effective;
	__u64 cap_permitted;
	__u64 cgroup_id; /* cgroup v2 id */
	char comm[16];
};

struct d4c_record {
	__u32 kind; /* enum d4c_rec */
	__u32 hook; /* enum d4c_hook */
	__u64 ts_ns; /* boot-time clock */
	struct d4c_task task;
	__u64 selectors; /* matched selectors of the event's type */
	__u64 revision; /* of the policy that decided */
	__u32 actions; /* enum d4c_action bits */
	__u32 flags; /* D4C_EF_* */
	__u32 ops; /* bit per enum d4c_op that the event counts as */
	__u32 file_action;
	__u32 mode; /* file mode (after a chmod: the new mode; exec: the executable's) */
	__s32 exit_code; /* exit: the wait status */
	__u64 ino;
	__u16 len[D4C_NSTR]; /* string lengths, NUL excluded */
	__u32 pad2;
	/* followed by the strings, in enum d4c_str_id order, no separators */
};

/* Size of the largest record: the per-CPU scratch the programs build in. */
#define D4C_EVENT_DATA_MAX (3 * D4C_PATH_MAX + D4C_ARGS_MAX)

/* Policy maps. */
struct d4c_path_key {
	__u32 type; /* slot << 8 | enum d4c_type */
	__u32 len;
	char path[D4C_KEY_PATH]; /* zero-padded */
};

struct d4c_path_val {
	__u64 exact;
	__u64 children;
	__u64 descendants;
	/* selectors with a path strictly below this one: what moving or
	 * replacing a directory of this name would carry along */
	__u64 below;
};

struct d4c_name_key {
	__u32 slot;
	char name[16]; /* zero-padded */
};

struct d4c_name_val {
	__u64 exact;
	__u64 prefix;
};

/* The responses of one type in one slot: one lookup per decision. */
struct d4c_resp_set {
	__u32 n;
	__u32 pad;
	struct d4c_response r[D4C_MAX_SELECTORS];
};

/* cgroup id -> which selectors a container's context allows, per slot. */
struct d4c_cgroup_val {
	__u64 mask[D4C_SLOTS][D4C_NTYPES];
	__u32 flags; /* D4C_EF_IN_CONTAINER | D4C_EF_CONTAINER_PENDING */
	__u32 pad;
};

/*
 * A file system object that a policy path named when the policy was
 * installed (d4c-load looks them up): its other names, a hard link or a
 * bind mount made before, are decided as the name the policy gives.
 * dev is the kernel's (major << 20 | minor).
 */
#define D4C_MAX_OBJECTS 65536

struct d4c_obj_key {
	__u64 dev;
	__u64 ino;
};

struct d4c_obj_val {
	__u64 sel[D4C_SLOTS][D4C_NTYPES]; /* selectors whose path names the object */
	__u64 inside[D4C_SLOTS]; /* file selectors of a name made inside (a directory) */
};

/* The one entry of the config map. */
struct d4c_config {
	__u32 active; /* slot in force */
	__u32 quiet_tgid; /* d4c-load's start-up check: its operations are not decided */
	__u64 revision[D4C_SLOTS];
	/* selectors that apply to processes outside known containers: 0 unless --host */
	__u64 host_mask[D4C_SLOTS][D4C_NTYPES];
	/* selectors without container conditions: for a process in a pid
	 * namespace of its own whose cgroup d4c-load has not recognised (a
	 * lost record, a cgroup named like no runtime's), which is still a
	 * container's */
	__u64 ctr_mask[D4C_SLOTS][D4C_NTYPES];
	/* selectors named by a response that blocks: the hooks that only
	 * ever refuse (a write on a descriptor opened earlier, code mapped
	 * by ld.so) stop at once unless one of these is a candidate */
	__u64 block_sel[D4C_SLOTS][D4C_NTYPES];
	/* file selectors with readFile: without one, an open for reading
	 * stops at this test, the first one it meets */
	__u64 read_sel[D4C_SLOTS];
};

/* Per-CPU counters (the counters map, index enum d4c_counter). */
enum d4c_counter {
	D4C_C_EVENTS = 0, /* records sent */
	D4C_C_LOST, /* records the ring buffer had no room for */
	D4C_C_DENIED, /* operations refused */
	D4C_C_MAX,
};

#endif
