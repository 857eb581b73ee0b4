// SPDX-License-Identifier: GPL-2.0
/*
 * d4c.bpf.c - the kernel side of d4c-load: sees process and file
 * operations, decides them with the compiled policy held in maps, refuses
 * what the policy blocks (LSM hooks) and sends everything the policy logs
 * or alerts on to user space through one ring buffer.
 *
 * Deciding costs the same whatever the number of selectors: a few map
 * lookups give 64-bit masks of candidate selectors (operation, container,
 * one lookup per path component, one per prefix of the process name) and
 * the responses are one array walked with bitwise tests. Most events stop
 * after two lookups: a process outside the containers the policy covers,
 * or an operation no selector names.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "d4c.h"

char LICENSE[] SEC("license") = "GPL";

#define EPERM 1
#define S_IFMT 00170000
#define S_IFREG 0100000
#define S_IFDIR 0040000
#define S_IFLNK 0120000
#define S_ISREG(m) (((m)&S_IFMT) == S_IFREG)
#define S_ISDIR(m) (((m)&S_IFMT) == S_IFDIR)
#define S_IXUGO 00111
#define FMODE_WRITE 0x2
#define MAY_WRITE 0x2
#define PROT_WRITE 0x2
#define PROT_EXEC 0x4
#define MAP_TYPE 0x0f
#define MAP_SHARED 0x01
#define RENAME_EXCHANGE 2
#define MS_REMOUNT 32
#define MS_UNBINDABLE (1 << 17)
#define MS_PRIVATE (1 << 18)
#define MS_SLAVE (1 << 19)
#define MS_SHARED (1 << 20)
#define CLONE_THREAD 0x00010000
#define DCACHE_MOUNTED_6_1 0x00010000

#define DATA_SIZE 32768 /* > D4C_EVENT_DATA_MAX: room for masked offsets */
#define DATA_MASK (DATA_SIZE - 1)
#define WALK_SIZE (2 * D4C_PATH_MAX)

struct walked {
	__u32 off;   /* the path is walk[which][off .. D4C_PATH_MAX) */
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
	__uint(max_entries, D4C_SLOTS * D4C_NTYPES);
	__type(key, __u32);
	__type(value, struct d4c_type_masks);
} types SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, D4C_SLOTS * D4C_NTYPES);
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
	__uint(max_entries, D4C_SLOTS * D4C_MAX_NAME_ENTRIES);
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

/*
 * X & M, with the mask kept: the compiler drops a mask that a comparison
 * made redundant, and the verifier (6.1's at least) cannot follow that
 * bound through a 32-bit move, so every index into a buffer goes through
 * this.
 */
#define IDX(x, m)                                  \
	({                                         \
		__u32 __v = (x);                   \
		asm volatile("" : "+r"(__v));      \
		__v &(m);                          \
	})

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

/* ---- processes ---------------------------------------------------------- */

static __always_inline __u32 pid_nr(struct signal_struct *sig, int type)
{
	struct pid *p = BPF_CORE_READ(sig, pids[type]);

	return p ? BPF_CORE_READ(p, numbers[0].nr) : 0;
}

static __always_inline int task_interactive(struct task_struct *t)
{
	return BPF_CORE_READ(t, signal, tty) != NULL;
}

static __always_inline void fill_task(struct d4c_task *o, struct task_struct *t)
{
	struct task_struct *rp = BPF_CORE_READ(t, real_parent);
	struct signal_struct *sig = BPF_CORE_READ(t, signal);
	const struct cred *cred = BPF_CORE_READ(t, cred);
	struct tty_struct *tty = BPF_CORE_READ(sig, tty);
	struct pid_namespace *pidns;
	struct task_struct *reaper;

	o->pid = BPF_CORE_READ(t, tgid);
	o->tid = BPF_CORE_READ(t, pid);
	o->ppid = BPF_CORE_READ(rp, tgid);
	o->pgid = pid_nr(sig, PIDTYPE_PGID);
	o->sid = pid_nr(sig, PIDTYPE_SID);
	o->uid = BPF_CORE_READ(cred, uid.val);
	o->gid = BPF_CORE_READ(cred, gid.val);
	o->euid = BPF_CORE_READ(cred, euid.val);
	o->egid = BPF_CORE_READ(cred, egid.val);
	/* kernel_cap_t is two __u32 before 6.3 and one __u64 since: the same 8 bytes */
	bpf_probe_read_kernel(&o->cap_effective, 8, __builtin_preserve_access_index(&cred->cap_effective));
	bpf_probe_read_kernel(&o->cap_permitted, 8, __builtin_preserve_access_index(&cred->cap_permitted));
	if (tty) {
		o->tty_major = BPF_CORE_READ(tty, driver, major);
		o->tty_minor = BPF_CORE_READ(tty, driver, minor_start) + BPF_CORE_READ(tty, index);
	} else {
		o->tty_major = 0;
		o->tty_minor = 0;
	}
	/* the entry leader of a process in a container: its pid namespace's init */
	pidns = BPF_CORE_READ(t, nsproxy, pid_ns_for_children);
	reaper = pidns && BPF_CORE_READ(pidns, level) > 0 ? BPF_CORE_READ(pidns, child_reaper) : NULL;
	o->entry_pid = reaper ? BPF_CORE_READ(reaper, tgid) : 0;
	o->entry_start_ns = reaper ? BPF_CORE_READ(reaper, start_boottime) : 0;
	o->start_ns = BPF_CORE_READ(t, group_leader, start_boottime);
	o->parent_start_ns = BPF_CORE_READ(rp, group_leader, start_boottime);
	o->cgroup_id = bpf_get_current_cgroup_id();
	BPF_CORE_READ_INTO(&o->comm, t, comm);
}

/* ---- paths -------------------------------------------------------------- */

struct walk_ctx {
	struct dentry *dentry;
	struct vfsmount *vfsmnt;
	__u32 which; /* walk buffer */
	__u32 off;   /* start of the path in the buffer */
	__u32 ncomp;
	__u32 truncated;
	__u32 pseudo;
	__u32 done; /* reached the namespace's root */
};

static long walk_step(__u32 i, struct walk_ctx *c)
{
	struct scratch *s = get_scratch();
	struct dentry *d = c->dentry, *parent, *mnt_root;
	struct vfsmount *vm = c->vfsmnt;
	struct mount *m, *pm;
	struct qstr q;
	__u32 len, off;

	if (!s || !d)
		return 1;
	mnt_root = BPF_CORE_READ(vm, mnt_root);
	parent = BPF_CORE_READ(d, d_parent);
	/* a dentry that is its own parent without being a mount's root was
	 * never in a directory (memfd_create, anonymous shared memory): its
	 * name is all there is, as in /proc/PID/exe */
	if (d == parent && d != mnt_root)
		c->pseudo = 1;
	if ((d == mnt_root || d == parent) && !c->pseudo) {
		/* the top of a mount: carry on from where it is mounted */
		m = container_of(vm, struct mount, mnt);
		pm = BPF_CORE_READ(m, mnt_parent);
		if (m == pm || !pm) {
			c->done = 1; /* the namespace's root */
			return 1;
		}
		c->dentry = BPF_CORE_READ(m, mnt_mountpoint);
		c->vfsmnt = (struct vfsmount *)__builtin_preserve_access_index(&pm->mnt);
		return 0;
	}
	q = BPF_CORE_READ(d, d_name);
	len = q.len;
	if (len > 255 || len + 1 >= c->off) {
		c->truncated = 1;
		return 1;
	}
	c->off -= len + 1;
	off = c->off;
	s->walk[IDX(c->which, 1)][IDX(off, (D4C_PATH_MAX - 1))] = '/';
	bpf_probe_read_kernel(&s->walk[IDX(c->which, 1)][IDX((off + 1), (D4C_PATH_MAX - 1))], len & 255,
			      q.name);
	if (c->ncomp < D4C_PATH_DEPTH)
		s->comp[IDX(c->which, 1)][IDX(c->ncomp, (D4C_PATH_DEPTH - 1))] = len;
	c->ncomp++;
	c->dentry = parent;
	if (!c->pseudo)
		return 0;
	c->done = 1;
	return 1; /* newer verifiers want a callback's 0 or 1 as a constant */
}


/*
 * Writes the path of DENTRY on VFSMNT into walk buffer WHICH, crossing
 * mounts up to the root of the mount namespace: the container's root,
 * not the process's. A chroot (Docker grants CAP_SYS_CHROOT) changes
 * the names a process uses, not the file it reaches, so a decision on
 * names relative to its root could be walked around by one.
 */
static __always_inline void walk_path(struct vfsmount *vfsmnt, struct dentry *dentry, __u32 which,
				      struct walked *w)
{
	struct walk_ctx c = {
		.dentry = dentry,
		.vfsmnt = vfsmnt,
		.which = which,
		.off = D4C_PATH_MAX,
	};
	struct scratch *s;

	bpf_loop(D4C_PATH_DEPTH, walk_step, &c, 0);
	if (c.off == D4C_PATH_MAX) {
		s = get_scratch();
		if (s)
			s->walk[IDX(which, 1)][D4C_PATH_MAX - 1] = '/';
		c.off = D4C_PATH_MAX - 1;
	}
	w->pseudo = c.pseudo;
	if (c.pseudo && c.off < D4C_PATH_MAX - 1) {
		c.off++; /* "memfd:NAME", without the '/' of a component */
		c.ncomp = 0;
	}
	w->off = c.off;
	w->len = D4C_PATH_MAX - c.off;
	w->ncomp = c.ncomp > D4C_PATH_DEPTH ? D4C_PATH_DEPTH : c.ncomp;
	/* a walk that ran out of steps before the top has lost the top */
	w->truncated = c.truncated || !c.done || c.ncomp > D4C_PATH_DEPTH;
}

struct pmask_ctx {
	__u32 which;
	__u32 off;
	__u32 ncomp;
	__u32 pos; /* bytes of the path already in the key */
	__u64 exact, children, descendants, below;
};

/* Step K looks up the path's first K components ("/" for K = 0). */
static long pmask_step(__u32 k, struct pmask_ctx *c)
{
	struct scratch *s = get_scratch();
	struct d4c_path_val *v;
	__u32 len, newlen;

	if (!s || k > c->ncomp)
		return 1;
	if (k > 0) {
		len = s->comp[IDX(c->which, 1)][IDX((c->ncomp - k), (D4C_PATH_DEPTH - 1))];
		newlen = c->pos + 1 + len;
		if (newlen >= D4C_KEY_PATH)
			return 1; /* no policy path is that long */
		bpf_probe_read_kernel(&s->pkey.path[IDX(c->pos, (D4C_KEY_PATH - 1))],
				      (len + 1) & (D4C_KEY_PATH - 1),
				      &s->walk[IDX(c->which, 1)][IDX((c->off + c->pos), (D4C_PATH_MAX - 1))]);
		c->pos = newlen;
		s->pkey.len = newlen;
	}
	v = bpf_map_lookup_elem(&paths, &s->pkey);
	if (!v)
		return 0;
	if (k == c->ncomp) {
		c->exact = v->exact;
		c->below = v->below;
	} else
		c->descendants |= v->descendants;
	if (k + 1 == c->ncomp)
		c->children = v->children;
	return 0;
}

#define WALK_SUBTREE 2 /* with a walk buffer: the name carries a subtree along */

/*
 * The selectors of TYPE whose path condition the walked path satisfies;
 * with WALK_SUBTREE in WHICH, also those of any path below it (the path
 * names a directory that is moved, replaced or exchanged).
 */
static __always_inline __u64 path_mask(struct scratch *s, __u32 slot, __u32 type,
				       const struct d4c_type_masks *tm, __u32 which,
				       const struct walked *w)
{
	struct pmask_ctx c = { .which = which & 1, .off = w->off, .ncomp = w->ncomp };

	/* the components above the walk are unknown: this could be any
	 * path, and a block must not be walked around by nesting deeper */
	if (w->truncated)
		return ~0ull;
	if (w->pseudo)
		return tm->no_path; /* memfd:NAME is on no path a policy names */
	__builtin_memset(&s->pkey, 0, sizeof(s->pkey));
	s->pkey.type = slot << 8 | type;
	s->pkey.len = 1;
	s->pkey.path[0] = '/';
	bpf_loop(D4C_PATH_DEPTH + 1, pmask_step, &c, 0);
	return tm->no_path | c.exact | c.children | c.descendants |
	       ((which & WALK_SUBTREE) ? c.below : 0);
}

struct nmask_ctx {
	__u64 mask;
	__u32 done;
};

/* Step K looks up the name's first K bytes (the name itself: its exact
 * entry too). The name is in s->name, the key in s->nkey. */
static long nmask_step(__u32 k, struct nmask_ctx *c)
{
	struct scratch *s = get_scratch();
	struct d4c_name_val *v;
	char ch;

	if (!s || k > 15)
		return 1;
	ch = s->name[IDX(k, 15)];
	v = bpf_map_lookup_elem(&names, &s->nkey);
	if (v) {
		c->mask |= v->prefix;
		if (k == 15 || !ch)
			c->mask |= v->exact;
	}
	if (k == 15 || !ch)
		return 1;
	s->nkey.name[IDX(k, 15)] = ch;
	return 0;
}

/* processName: exact, or a prefix (trailing '*'), "" included; of the
 * name in s->name. */
static __always_inline __u64 name_mask_of(struct scratch *s, __u32 slot,
					  const struct d4c_type_masks *tm)
{
	struct nmask_ctx c = { .mask = tm->no_name };

	__builtin_memset(&s->nkey, 0, sizeof(s->nkey));
	s->nkey.slot = slot;
	s->name[15] = 0;
	/* a callback, not a loop: the 6.1 verifier explodes on an unrolled one */
	bpf_loop(16, nmask_step, &c, 0);
	return c.mask;
}

static __always_inline __u64 name_mask(struct scratch *s, __u32 slot,
				       const struct d4c_type_masks *tm, const char *comm)
{
	bpf_probe_read_kernel(s->name, sizeof(s->name), comm);
	return name_mask_of(s, slot, tm);
}

/*
 * processName of the file itself: the last component of walk W, as exec
 * would name the process had it been run by that name. A process is
 * named by whatever name ran it (a link, /proc/self/fd/N, a script whose
 * interpreter is the program) and can rename itself (PR_SET_NAME): the
 * file's own name closes those ways around a block by name.
 */
static __always_inline __u64 leaf_name_mask(struct scratch *s, __u32 slot,
					    const struct d4c_type_masks *tm, const struct walked *w)
{
	__u32 len;

	if (!w->ncomp || w->pseudo || w->truncated)
		return tm->no_name;
	/* the walk ends at D4C_PATH_MAX: the leaf is its last component */
	len = s->comp[0][0] & 255;
	__builtin_memset(s->name, 0, sizeof(s->name));
	bpf_probe_read_kernel(s->name, (len > 15 ? 15 : len) & 15,
			      &s->walk[0][IDX((D4C_PATH_MAX - len), (D4C_PATH_MAX - 1))]);
	return name_mask_of(s, slot, tm);
}

/* What the policy said of inode I when it was installed, or NULL. */
static __always_inline struct d4c_obj_val *object_of(struct inode *i)
{
	struct d4c_obj_key k;

	if (!i)
		return NULL;
	k.dev = BPF_CORE_READ(i, i_sb, s_dev);
	k.ino = BPF_CORE_READ(i, i_ino);
	return bpf_map_lookup_elem(&objects, &k);
}

/*
 * The selectors of TYPE in SLOT that name the object of DENTRY (or INODE,
 * when given: an overlay's file is another inode than its dentry's)
 * whatever name reaches it; for a name not made yet, those of a name made
 * in its directory; with SUBTREE, also those of what lies inside.
 */
static __always_inline __u64 object_mask(struct dentry *dentry, struct inode *inode, __u32 slot,
					 __u32 type, int subtree)
{
	struct inode *i = inode ? inode : BPF_CORE_READ(dentry, d_inode);
	struct d4c_obj_val *v;

	slot &= 1;
	if (!i) {
		v = object_of(BPF_CORE_READ(dentry, d_parent, d_inode));
		return v && type == D4C_TYPE_FILE ? v->inside[slot] : 0;
	}
	v = object_of(i);
	if (!v)
		return 0;
	return v->sel[slot][type & 1] | (subtree && type == D4C_TYPE_FILE ? v->inside[slot] : 0);
}

/* ---- deciding ----------------------------------------------------------- */

struct decision {
	__u32 slot;
	__u32 flags;
	__u64 revision;
	__u64 candidates; /* before path and response checks */
	const struct d4c_type_masks *tm;
};

/*
 * First, cheap step: which selectors of TYPE could match OPS for the
 * current process. Returns 0 when none could (most events stop here).
 */
static __always_inline __u64 candidates(__u32 type, __u32 ops, struct decision *d)
{
	struct d4c_config *cfg = bpf_map_lookup_elem(&settings, &zero);
	struct d4c_cgroup_val *cv;
	const struct d4c_type_masks *tm;
	__u64 cgid, m, opm = 0;
	__u32 key;
	int i;

	if (!cfg)
		return 0;
	if (cfg->quiet_tgid) {
		/* d4c-load's start-up check: its own operations are not events */
		struct task_struct *t = bpf_get_current_task_btf();

		if (BPF_CORE_READ(t, tgid) == cfg->quiet_tgid ||
		    BPF_CORE_READ(t, real_parent, tgid) == cfg->quiet_tgid)
			return 0;
	}
	d->slot = cfg->active & 1;
	d->revision = cfg->revision[d->slot];
	key = d->slot * D4C_NTYPES + (type & 1);
	tm = bpf_map_lookup_elem(&types, &key);
	if (!tm)
		return 0;
	d->tm = tm;
	/* creating or modifying an executable is also creating or modifying a file */
	if (type == D4C_TYPE_FILE && (ops & (1u << D4C_OP_CREATE_EXECUTABLE)))
		ops |= 1u << D4C_OP_CREATE_FILE;
	if (type == D4C_TYPE_FILE && (ops & (1u << D4C_OP_MODIFY_EXECUTABLE)))
		ops |= 1u << D4C_OP_MODIFY_FILE;
	/* branch-free, so that the verifier has one path to follow */
#pragma unroll
	for (i = 0; i < D4C_MAX_OPS; i++)
		opm |= tm->op[i] & -(__u64)((ops >> i) & 1);
	/* no selector has these operations (a file created without execute
	 * permission under the default policy): done before the cgroup
	 * lookup, the dearest step here */
	if (!(tm->all & opm))
		return 0;
	cgid = bpf_get_current_cgroup_id();
	cv = bpf_map_lookup_elem(&cgroups, &cgid);
	if (cv) {
		m = cv->mask[d->slot][IDX(type, 1)];
		d->flags = cv->flags;
	} else if (BPF_CORE_READ((struct task_struct *)bpf_get_current_task_btf(), thread_pid,
				 level) > 0) {
		/* membership is decided here, not by user space having read
		 * the cgroup's record in time */
		m = cfg->ctr_mask[d->slot][IDX(type, 1)] | cfg->host_mask[d->slot][IDX(type, 1)];
		d->flags = D4C_EF_IN_CONTAINER | D4C_EF_CONTAINER_PENDING;
	} else {
		m = cfg->host_mask[d->slot][IDX(type, 1)];
		d->flags = 0;
	}
	d->candidates = m & tm->all & opm;
	return d->candidates;
}

struct act_ctx {
	__u32 key;
	__u32 actions;
	__u64 sel;
};

static long act_step(__u32 i, struct act_ctx *c)
{
	struct d4c_resp_set *rs = bpf_map_lookup_elem(&responses, &c->key);
	struct d4c_response *r;

	if (!rs || i >= rs->n || i >= D4C_MAX_SELECTORS)
		return 1;
	r = &rs->r[IDX(i, (D4C_MAX_SELECTORS - 1))];
	if ((r->match & c->sel) && !(r->exclude & c->sel))
		c->actions |= r->actions;
	return 0;
}

/* The union of the actions of every response that applies to SEL. */
static __always_inline __u32 actions_of(__u32 slot, __u32 type, __u64 sel)
{
	struct act_ctx c = { .key = slot * D4C_NTYPES + (type & 1), .sel = sel };

	if (!sel)
		return 0;
	bpf_loop(D4C_MAX_SELECTORS, act_step, &c, 0);
	return c.actions;
}

/* ---- events ------------------------------------------------------------- */

static __always_inline void ev_init(struct scratch *s, __u32 kind, __u32 hook,
				    struct task_struct *t)
{
	struct d4c_record *e = &s->ev;

	e->kind = kind;
	e->hook = hook;
	e->ts_ns = bpf_ktime_get_boot_ns();
	fill_task(&e->task, t);
	e->selectors = 0;
	e->revision = 0;
	e->actions = 0;
	e->flags = task_interactive(t) ? D4C_EF_INTERACTIVE : 0;
	e->ops = 0;
	e->file_action = 0;
	e->mode = 0;
	e->exit_code = 0;
	e->ino = 0;
	e->len[0] = e->len[1] = e->len[2] = e->len[3] = 0;
	e->pad2 = 0;
}

/* Appends walked path W as string ID at *CUR. */
static __always_inline void ev_put_walked(struct scratch *s, __u32 *cur, __u32 id, __u32 which,
					  const struct walked *w)
{
	__u32 len = w->len & (D4C_PATH_MAX - 1);

	bpf_probe_read_kernel(&s->data[IDX(*cur, DATA_MASK)], len,
			      &s->walk[IDX(which, 1)][IDX(w->off, (D4C_PATH_MAX - 1))]);
	s->ev.len[id & 3] = len;
	*cur += len;
	if (w->truncated)
		s->ev.flags |= D4C_EF_PATH_TRUNC;
}

static __always_inline void ev_send(struct scratch *s, __u32 cur)
{
	__u64 size = sizeof(struct d4c_record) + (cur & DATA_MASK);
	__u64 flags;

	/*
	 * Waking the reader for every record costs an interrupt each (tens of
	 * microseconds in a virtual machine): wake it once a batch is waiting
	 * (it also polls every D4C_POLL_MS), but at once for a new cgroup,
	 * which must be resolved before the container's first exec, and for
	 * a refusal.
	 */
	if (s->ev.kind == D4C_REC_CGROUP || (s->ev.flags & D4C_EF_DENIED) ||
	    bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= wakeup_bytes)
		flags = BPF_RB_FORCE_WAKEUP;
	else
		flags = BPF_RB_NO_WAKEUP;
	if (bpf_ringbuf_output(&events, &s->ev, size, flags))
		count(D4C_C_LOST);
	else
		count(D4C_C_EVENTS);
}

static __always_inline void track(struct task_struct *t)
{
	__u32 pid = BPF_CORE_READ(t, tgid);
	__u64 start = BPF_CORE_READ(t, group_leader, start_boottime);

	bpf_map_update_elem(&tracked, &pid, &start, BPF_ANY);
}

/* ---- process hooks ------------------------------------------------------ */


/*
 * Decides a process operation of the current task named COMM, after
 * candidates() left some in D (the caller's cheap test), whose
 * executable is the file F (NULL: none). The executable's path is walked
 * (into buffer 0, described by *W) only when the cheaper conditions leave
 * a candidate: an exec nothing matches costs no walk. Returns the actions.
 */
static __always_inline __u32 decide_process(struct scratch *s, struct task_struct *t,
					    struct file *f, struct walked *w, const char *comm,
					    struct decision *d, __u64 *sel)
{
	__u64 m = d->candidates, nm = 0;

	*sel = 0;
	m &= d->tm->interactive[task_interactive(t) ? 1 : 0];
	if (!m)
		return 0;
	if (comm)
		nm = name_mask(s, d->slot, d->tm, comm);
	if (f) {
		walk_path(BPF_CORE_READ(f, f_path.mnt), BPF_CORE_READ(f, f_path.dentry), 0, w);
		/* the file's own name, unless the process's already gave all */
		if ((m & nm) != m)
			nm |= leaf_name_mask(s, d->slot, d->tm, w);
		m &= nm;
		if (m)
			m &= path_mask(s, d->slot, D4C_TYPE_PROCESS, d->tm, 0, w) |
			     object_mask(NULL, BPF_CORE_READ(f, f_inode), d->slot,
					 D4C_TYPE_PROCESS, 0);
		if (!comm) /* code mapped: only what names this very file */
			m &= ~(d->tm->no_path & d->tm->no_name);
	} else {
		m &= nm & d->tm->no_path;
	}
	*sel = m;
	return actions_of(d->slot, D4C_TYPE_PROCESS, m);
}

static __always_inline void proc_event(struct scratch *s, const struct decision *d, __u64 sel,
				       __u32 actions, __u32 op)
{
	s->ev.selectors = sel;
	s->ev.actions = actions;
	s->ev.revision = d->revision;
	s->ev.flags |= d->flags;
	s->ev.ops = 1u << op;
}

/*
 * Sends the refusal of process operation OP (record KIND) at HOOK by task
 * T, with the executable walked in W (NULL: none) and, when given, the
 * name COMM the process would have had. Returns -EPERM.
 */
static __always_inline int proc_refuse(struct scratch *s, struct task_struct *t,
				       const struct decision *d, __u64 sel, __u32 actions,
				       __u32 kind, __u32 op, __u32 hook, const struct walked *w,
				       const char *comm)
{
	__u32 cur = 0;

	ev_init(s, kind, hook, t);
	proc_event(s, d, sel, actions, op);
	if (comm)
		__builtin_memcpy(s->ev.task.comm, comm, sizeof(s->ev.task.comm));
	s->ev.flags |= D4C_EF_DENIED;
	if (w)
		ev_put_walked(s, &cur, D4C_S_PATH, 0, w);
	ev_send(s, cur);
	count(D4C_C_DENIED);
	return -EPERM;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(sched_fork, struct task_struct *parent, struct task_struct *child)
{
	struct scratch *s = get_scratch();
	struct decision d = {};
	struct walked w = {};
	struct file *exe;
	__u64 sel = 0;
	__u32 actions, cur = 0;

	mark_seen(D4C_HOOK_SCHED_FORK);
	/* a new thread is not a new process */
	if (!s || BPF_CORE_READ(child, tgid) != BPF_CORE_READ(child, pid))
		return 0;
	if (!candidates(D4C_TYPE_PROCESS, 1u << D4C_OP_FORK, &d))
		return 0;
	exe = BPF_CORE_READ(parent, mm, exe_file);
	BPF_CORE_READ_INTO(&s->ev.task.comm, parent, comm);
	actions = decide_process(s, parent, exe, &w, s->ev.task.comm, &d, &sel);
	if (!actions)
		return 0;
	ev_init(s, D4C_REC_FORK, D4C_HOOK_SCHED_FORK, child);
	proc_event(s, &d, sel, actions, D4C_OP_FORK);
	if (exe)
		ev_put_walked(s, &cur, D4C_S_PATH, 0, &w);
	track(child);
	ev_send(s, cur);
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(sched_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	struct scratch *s = get_scratch();
	struct decision d = {};
	struct walked w = {}, cwd = {};
	struct file *f;
	struct mm_struct *mm;
	unsigned long as, ae;
	__u64 sel = 0;
	__u32 actions, cur = 0, len;

	mark_seen(D4C_HOOK_SCHED_EXEC);
	if (!s || !candidates(D4C_TYPE_PROCESS, 1u << D4C_OP_EXEC, &d))
		return 0;
	f = BPF_CORE_READ(bprm, file);
	BPF_CORE_READ_INTO(&s->ev.task.comm, p, comm);
	actions = decide_process(s, p, f, &w, s->ev.task.comm, &d, &sel);
	if (!actions)
		return 0;
	ev_init(s, D4C_REC_EXEC, D4C_HOOK_SCHED_EXEC, p);
	proc_event(s, &d, sel, actions, D4C_OP_EXEC);
	ev_put_walked(s, &cur, D4C_S_PATH, 0, &w);
	walk_path(BPF_CORE_READ(p, fs, pwd.mnt), BPF_CORE_READ(p, fs, pwd.dentry), 1, &cwd);
	ev_put_walked(s, &cur, D4C_S_CWD, 1, &cwd);
	mm = BPF_CORE_READ(p, mm);
	as = BPF_CORE_READ(mm, arg_start);
	ae = BPF_CORE_READ(mm, arg_end);
	len = ae > as ? ae - as : 0;
	if (len > D4C_ARGS_MAX - 1) {
		len = D4C_ARGS_MAX - 1;
		s->ev.flags |= D4C_EF_ARGS_TRUNC;
	}
	if (bpf_probe_read_user(&s->data[IDX(cur, DATA_MASK)], len & (D4C_ARGS_MAX - 1),
				(void *)as) == 0) {
		s->ev.len[D4C_S_ARGS] = len & (D4C_ARGS_MAX - 1);
		cur += len & (D4C_ARGS_MAX - 1);
	}
	track(p);
	ev_send(s, cur);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(sched_exit, struct task_struct *p)
{
	struct scratch *s;
	__u32 pid = BPF_CORE_READ(p, tgid);
	__u64 *start;

	mark_seen(D4C_HOOK_SCHED_EXIT);
	/* the process ends with its last thread */
	if (BPF_CORE_READ(p, signal, live.counter) > 0)
		return 0;
	start = bpf_map_lookup_elem(&tracked, &pid);
	if (!start)
		return 0;
	bpf_map_delete_elem(&tracked, &pid);
	s = get_scratch();
	if (!s)
		return 0;
	ev_init(s, D4C_REC_EXIT, D4C_HOOK_SCHED_EXIT, p);
	s->ev.exit_code = BPF_CORE_READ(p, signal, group_exit_code);
	if (!s->ev.exit_code)
		s->ev.exit_code = BPF_CORE_READ(p, exit_code);
	ev_send(s, 0);
	return 0;
}

/*
 * Refusal of exec. The event of an allowed exec is sent by sched_exec,
 * which decides again with the same inputs; only a refused one is sent
 * from here, since it never reaches that tracepoint.
 */
/* Whether some selector of TYPE that a response blocks is among D's
 * candidates: the hooks that only ever refuse stop here otherwise. */
static __always_inline int may_block(const struct decision *d, __u32 type)
{
	struct d4c_config *cfg = bpf_map_lookup_elem(&settings, &zero);

	return cfg && (d->candidates & cfg->block_sel[d->slot & 1][type & 1]);
}

/*
 * execMemFd: F, whose path is walked in W, runs from memory (exec, or its
 * code mapped by ld.so at HOOK). With BLOCK_ONLY, an allowed one sends
 * nothing (exec's own events do). Returns -EPERM when refused.
 */
static __always_inline int memfd_exec(struct scratch *s, struct file *f, struct walked *w,
				      __u32 hook, int block_only)
{
	struct decision d = {};
	__u64 sel;
	__u32 actions, cur = 0;

	if (!candidates(D4C_TYPE_FILE, 1u << D4C_OP_EXEC_MEMFD, &d))
		return 0;
	if (block_only && !may_block(&d, D4C_TYPE_FILE))
		return 0;
	sel = d.candidates & path_mask(s, d.slot, D4C_TYPE_FILE, d.tm, 0, w);
	actions = actions_of(d.slot, D4C_TYPE_FILE, sel);
	if (!actions || (block_only && !(actions & D4C_ACTION_BLOCK)))
		return 0;
	ev_init(s, D4C_REC_FILE, hook, bpf_get_current_task_btf());
	s->ev.selectors = sel;
	s->ev.actions = actions;
	s->ev.revision = d.revision;
	s->ev.flags |= d.flags;
	s->ev.ops = 1u << D4C_OP_EXEC_MEMFD;
	s->ev.file_action = D4C_FA_EXEC;
	s->ev.mode = BPF_CORE_READ(f, f_inode, i_mode);
	s->ev.ino = BPF_CORE_READ(f, f_inode, i_ino);
	if (actions & D4C_ACTION_BLOCK)
		s->ev.flags |= D4C_EF_DENIED;
	ev_put_walked(s, &cur, D4C_S_PATH, 0, w);
	ev_send(s, cur);
	if (actions & D4C_ACTION_BLOCK) {
		count(D4C_C_DENIED);
		return -EPERM;
	}
	return 0;
}

struct base_ctx {
	__u32 base; /* offset of the last component of s->data */
};

static long base_step(__u32 i, struct base_ctx *c)
{
	struct scratch *s = get_scratch();
	char ch;

	if (!s)
		return 1;
	ch = s->data[IDX(i, 255)];
	if (!ch)
		return 1;
	if (ch == '/')
		c->base = i + 1;
	return 0;
}

SEC("lsm/bprm_check_security")
int BPF_PROG(bprm_check, struct linux_binprm *bprm, int ret)
{
	struct scratch *s = get_scratch();
	struct task_struct *t = bpf_get_current_task_btf();
	struct decision d = {};
	struct walked w = {};
	struct file *f;
	struct base_ctx bc = {};
	const char *fn;
	char comm[16] = {};
	__u64 sel = 0;
	__u32 actions;
	int r;

	mark_seen(D4C_HOOK_BPRM_CHECK);
	if (ret || !s)
		return ret;
	f = BPF_CORE_READ(bprm, file);
	/* a binary with no name left on any file system lives in memory only */
	if (BPF_CORE_READ(f, f_inode, __i_nlink) == 0) {
		walk_path(BPF_CORE_READ(f, f_path.mnt), BPF_CORE_READ(f, f_path.dentry), 0, &w);
		r = memfd_exec(s, f, &w, D4C_HOOK_BPRM_CHECK, 0);
		if (r)
			return r;
	}
	if (!candidates(D4C_TYPE_PROCESS, 1u << D4C_OP_EXEC, &d))
		return 0;
	/* the name the process will have: what exec sets comm to */
	fn = BPF_CORE_READ(bprm, filename);
	bpf_probe_read_kernel_str(s->data, 256, fn);
	bpf_loop(255, base_step, &bc, 0);
	bpf_probe_read_kernel_str(comm, sizeof(comm), &s->data[IDX(bc.base, 255)]);
	actions = decide_process(s, t, f, &w, comm, &d, &sel);
	if (!(actions & D4C_ACTION_BLOCK))
		return 0;
	return proc_refuse(s, t, &d, sel, actions, D4C_REC_EXEC, D4C_OP_EXEC, D4C_HOOK_BPRM_CHECK,
			   &w, comm);
}

SEC("lsm/task_alloc")
int BPF_PROG(task_alloc, struct task_struct *task, unsigned long clone_flags, int ret)
{
	struct scratch *s;
	struct task_struct *t;
	struct decision d = {};
	struct walked w = {};
	struct file *exe;
	__u64 sel = 0;
	__u32 actions;

	mark_seen(D4C_HOOK_TASK_ALLOC);
	if (ret || (clone_flags & CLONE_THREAD))
		return ret;
	s = get_scratch();
	if (!s || !candidates(D4C_TYPE_PROCESS, 1u << D4C_OP_FORK, &d))
		return 0;
	t = bpf_get_current_task_btf();
	exe = BPF_CORE_READ(t, mm, exe_file);
	BPF_CORE_READ_INTO(&s->ev.task.comm, t, comm);
	actions = decide_process(s, t, exe, &w, s->ev.task.comm, &d, &sel);
	if (!(actions & D4C_ACTION_BLOCK))
		return 0;
	return proc_refuse(s, t, &d, sel, actions, D4C_REC_FORK, D4C_OP_FORK, D4C_HOOK_TASK_ALLOC,
			   exe ? &w : NULL, NULL);
}

/* ---- file hooks --------------------------------------------------------- */

static __always_inline int is_mountpoint(struct dentry *d)
{
	__u32 flags = BPF_CORE_READ(d, d_flags);

	if (bpf_core_enum_value_exists(enum dentry_flags, DCACHE_MOUNTED))
		return !!(flags & bpf_core_enum_value(enum dentry_flags, DCACHE_MOUNTED));
	return !!(flags & DCACHE_MOUNTED_6_1);
}

static __always_inline __u32 volume_flags(struct vfsmount *mnt, struct dentry *d)
{
	struct task_struct *t = bpf_get_current_task_btf();
	__u32 f = 0;

	if (mnt != BPF_CORE_READ(t, fs, root.mnt)) {
		f |= D4C_EF_VOLUME_MOUNT;
		if (d == BPF_CORE_READ(mnt, mnt_root))
			f |= D4C_EF_VOLUME_FILE;
	}
	if (is_mountpoint(d))
		f |= D4C_EF_VOLUME_FILE;
	return f;
}

/* A kernel pointer as a plain number, for the arguments of file_path_sel(). */
static __always_inline __u64 as_scalar(const void *p)
{
	__u64 v = 0;

	bpf_probe_read_kernel(&v, sizeof(v), &p);
	return v;
}

/*
 * Walks the path of DENTRY on MNT into walk buffer WHICH (kept in
 * s->walked[WHICH] for the event) and returns the file selectors that OPS
 * on it satisfy, by its path or as the object (INODE, or the dentry's)
 * the policy named. Without MNT (an inode hook) only the object decides.
 * A global function: the verifier checks it once, not once per hook and
 * per name of a rename, which 6.1's could not afford.
 */
__noinline __u64 file_path_sel(__u64 mnt, __u64 dentry, __u64 inode, __u32 ops, __u32 which)
{
	struct scratch *s = get_scratch();
	struct vfsmount *vm = (struct vfsmount *)mnt;
	struct dentry *de = (struct dentry *)dentry;
	struct decision d = {};
	struct walked w = {};
	__u32 vf = 0;
	__u64 m, pm;

	if (!s)
		return 0;
	if (vm) {
		vf = volume_flags(vm, de);
		walk_path(vm, de, which & 1, &w);
	}
	s->walked[which & 1] = w;
	s->vflags[which & 1] = vf;
	m = candidates(D4C_TYPE_FILE, ops, &d);
	if (!m)
		return 0;
	if (vf & D4C_EF_VOLUME_MOUNT)
		m &= ~d.tm->ignore_mounts;
	if (vf & D4C_EF_VOLUME_FILE)
		m &= ~d.tm->ignore_files;
	if (!m)
		return 0;
	pm = vm ? path_mask(s, d.slot, D4C_TYPE_FILE, d.tm, which, &w) : d.tm->no_path;
	return m & (pm | object_mask(de, (struct inode *)inode, d.slot, D4C_TYPE_FILE,
				     which & WALK_SUBTREE));
}

/*
 * Decides file operation(s) OPS on DENTRY (on MNT), and for a rename or
 * link the operations OPS2 on the other name DENTRY2. Sends the event and
 * returns -EPERM when blocked, 0 otherwise.
 */
#define OPS_SUBTREE (1u << 31) /* in file_op()'s OPS: the name carries a subtree */
#define OPS_MASK ((1u << D4C_MAX_OPS) - 1)

static __always_inline int file_op(__u32 hook, __u32 action, __u32 ops, struct vfsmount *mnt,
				   struct dentry *dentry, __u32 ops2, struct dentry *dentry2,
				   __u32 mode, int block_only, struct inode *obj)
{
	struct scratch *s = get_scratch();
	struct decision d = {};
	__u32 actions, cur = 0;
	__u64 sel;

	if (!s)
		return 0;
	/* the cheap test first: no walk unless some selector could match */
	if (!candidates(D4C_TYPE_FILE, (ops | ops2) & OPS_MASK, &d))
		return 0;
	if (block_only && !may_block(&d, D4C_TYPE_FILE))
		return 0;
	sel = file_path_sel(as_scalar(mnt), as_scalar(dentry), as_scalar(obj), ops & OPS_MASK,
			    (ops & OPS_SUBTREE) ? WALK_SUBTREE : 0);
	if (dentry2)
		sel |= file_path_sel(as_scalar(mnt), as_scalar(dentry2), 0, ops2 & OPS_MASK,
				     1 | ((ops2 & OPS_SUBTREE) ? WALK_SUBTREE : 0));
	actions = actions_of(d.slot, D4C_TYPE_FILE, sel);
	if (!actions || (block_only && !(actions & D4C_ACTION_BLOCK)))
		return 0;
	ev_init(s, D4C_REC_FILE, hook, bpf_get_current_task_btf());
	s->ev.selectors = sel;
	s->ev.actions = actions;
	s->ev.revision = d.revision;
	s->ev.flags |= d.flags | s->vflags[0];
	s->ev.ops = (ops | ops2) & OPS_MASK;
	s->ev.file_action = action;
	s->ev.mode = mode;
	s->ev.ino = BPF_CORE_READ(dentry, d_inode, i_ino);
	if (actions & D4C_ACTION_BLOCK)
		s->ev.flags |= D4C_EF_DENIED;
	ev_put_walked(s, &cur, D4C_S_PATH, 0, &s->walked[0]);
	if (dentry2)
		ev_put_walked(s, &cur, D4C_S_PATH2, 1, &s->walked[1]);
	ev_send(s, cur);
	if (actions & D4C_ACTION_BLOCK) {
		count(D4C_C_DENIED);
		return -EPERM;
	}
	return 0;
}

static __always_inline __u32 inode_mode(struct dentry *d)
{
	struct inode *i = BPF_CORE_READ(d, d_inode);

	return i ? BPF_CORE_READ(i, i_mode) : 0;
}

#define OP(x) (1u << D4C_OP_##x)

SEC("lsm/path_mknod")
int BPF_PROG(path_mknod, const struct path *dir, struct dentry *dentry, umode_t mode,
	     unsigned int dev, int ret)
{
	__u32 ops = OP(CREATE_FILE), tid;
	__u64 dp = (__u64)dentry;
	struct decision d = {};
	int r;

	mark_seen(D4C_HOOK_PATH_MKNOD);
	if (ret)
		return ret;
	/* a FIFO, a device node or a socket is a new name in the tree too */
	if (S_ISREG(mode) && (mode & S_IXUGO))
		ops |= OP(CREATE_EXECUTABLE);
	r = file_op(D4C_HOOK_PATH_MKNOD, D4C_FA_CREATION, ops, BPF_CORE_READ(dir, mnt), dentry, 0,
		    NULL, mode, 0, NULL);
	/* open(O_CREAT) comes here first: its file_open is the same creation,
	 * which file_open must know only if it would decide it */
	if (!r && S_ISREG(mode) &&
	    candidates(D4C_TYPE_FILE, OP(MODIFY_FILE) | OP(MODIFY_EXECUTABLE), &d)) {
		tid = (__u32)bpf_get_current_pid_tgid();
		bpf_map_update_elem(&created, &tid, &dp, BPF_ANY);
	}
	return r;
}

SEC("lsm/path_symlink")
int BPF_PROG(path_symlink, const struct path *dir, struct dentry *dentry, const char *old_name,
	     int ret)
{
	mark_seen(D4C_HOOK_PATH_SYMLINK);
	if (ret)
		return ret;
	return file_op(D4C_HOOK_PATH_SYMLINK, D4C_FA_CREATION, OP(CREATE_FILE),
		       BPF_CORE_READ(dir, mnt), dentry, 0, NULL, S_IFLNK | 0777, 0, NULL);
}

/* The operations a write to a file of MODE is. */
static __always_inline __u32 modify_ops(__u32 mode)
{
	return (mode & S_IXUGO) ? OP(MODIFY_FILE) | OP(MODIFY_EXECUTABLE) : OP(MODIFY_FILE);
}

SEC("lsm/file_open")
int BPF_PROG(file_open, struct file *file, int ret)
{
	struct dentry *d = BPF_CORE_READ(file, f_path.dentry);
	__u32 mode, ops, tid;
	struct decision dc = {};
	__u64 *cp;

	mark_seen(D4C_HOOK_FILE_OPEN);
	if (ret || !(BPF_CORE_READ(file, f_mode) & FMODE_WRITE))
		return ret;
	mode = inode_mode(d);
	if (!S_ISREG(mode))
		return 0;
	ops = modify_ops(mode);
	/* most opens stop here, before the map of files just created */
	if (!candidates(D4C_TYPE_FILE, ops, &dc))
		return 0;
	tid = (__u32)bpf_get_current_pid_tgid();
	cp = bpf_map_lookup_elem(&created, &tid);
	if (cp) {
		__u64 was = *cp;

		bpf_map_delete_elem(&created, &tid);
		if (was == (__u64)d) {
			__u64 fp = (__u64)file, ip = (__u64)BPF_CORE_READ(file, f_inode);

			bpf_map_update_elem(&fresh, &fp, &ip, BPF_ANY);
			return 0;
		}
	}
	return file_op(D4C_HOOK_FILE_OPEN, D4C_FA_OPEN, ops, BPF_CORE_READ(file, f_path.mnt), d, 0,
		       NULL, mode, 0, BPF_CORE_READ(file, f_inode));
}

/*
 * A write through a descriptor: write, pwrite, sendfile, splice,
 * copy_file_range, fallocate and io_uring's all come here. A descriptor
 * opened after d4c-load started was decided at file_open; one opened
 * before was not, and is refused here. Only refusals are sent: an allowed
 * write was (or was not) an event when the file was opened.
 */
static __always_inline int file_write(struct file *file, __u32 hook)
{
	struct dentry *d = BPF_CORE_READ(file, f_path.dentry);
	__u32 mode = inode_mode(d);
	__u64 fp = (__u64)file, *ip;
	struct decision dc = {};

	if (!S_ISREG(mode))
		return 0;
	/* every write of every process comes here: stop at the cheap tests */
	if (!candidates(D4C_TYPE_FILE, modify_ops(mode), &dc) || !may_block(&dc, D4C_TYPE_FILE))
		return 0;
	ip = bpf_map_lookup_elem(&fresh, &fp);
	if (ip && *ip == (__u64)BPF_CORE_READ(file, f_inode))
		return 0;
	return file_op(hook, D4C_FA_MODIFICATION, modify_ops(mode),
		       BPF_CORE_READ(file, f_path.mnt), d, 0, NULL, mode, 1,
		       BPF_CORE_READ(file, f_inode));
}

SEC("lsm/file_permission")
int BPF_PROG(file_permission, struct file *file, int mask, int ret)
{
	mark_seen(D4C_HOOK_FILE_PERMISSION);
	if (ret || !(mask & MAY_WRITE))
		return ret;
	return file_write(file, D4C_HOOK_FILE_PERMISSION);
}

/*
 * Code mapped from FILE by a loader (ld.so PROGRAM, a memfd run through
 * ld.so) rather than by exec: refused when exec of that file would be.
 * Only the selectors that name the file (by path or by its name) apply:
 * a block of every exec in a container does not stop a running process
 * from loading a library.
 */
static __always_inline int mmap_exec(struct file *f)
{
	struct scratch *s = get_scratch();
	struct task_struct *t = bpf_get_current_task_btf();
	struct decision d = {};
	struct walked w = {};
	__u64 sel = 0;
	__u32 actions;
	int r;

	if (!s)
		return 0;
	if (BPF_CORE_READ(f, f_inode, __i_nlink) == 0) {
		walk_path(BPF_CORE_READ(f, f_path.mnt), BPF_CORE_READ(f, f_path.dentry), 0, &w);
		r = memfd_exec(s, f, &w, D4C_HOOK_MMAP_FILE, 1);
		if (r)
			return r;
	}
	if (!candidates(D4C_TYPE_PROCESS, 1u << D4C_OP_EXEC, &d) || !may_block(&d, D4C_TYPE_PROCESS))
		return 0;
	actions = decide_process(s, t, f, &w, NULL, &d, &sel);
	if (!(actions & D4C_ACTION_BLOCK))
		return 0;
	return proc_refuse(s, t, &d, sel, actions, D4C_REC_EXEC, D4C_OP_EXEC, D4C_HOOK_MMAP_FILE,
			   &w, NULL);
}

SEC("lsm/mmap_file")
int BPF_PROG(mmap_file, struct file *file, unsigned long reqprot, unsigned long prot,
	     unsigned long flags, int ret)
{
	int r;

	mark_seen(D4C_HOOK_MMAP_FILE);
	if (ret || !file)
		return ret;
	if (prot & PROT_EXEC) {
		r = mmap_exec(file);
		if (r)
			return r;
	}
	/* a shared writable mapping writes the file with no further hook */
	if ((prot & PROT_WRITE) && (flags & MAP_TYPE) == MAP_SHARED &&
	    (BPF_CORE_READ(file, f_mode) & FMODE_WRITE))
		return file_write(file, D4C_HOOK_MMAP_FILE);
	return 0;
}

/* Code made executable after it was mapped (mmap PROT_READ, then
 * mprotect PROT_EXEC) is decided as if it had been mapped so. */
SEC("lsm/file_mprotect")
int BPF_PROG(file_mprotect, struct vm_area_struct *vma, unsigned long reqprot,
	     unsigned long prot, int ret)
{
	struct file *f;

	if (ret || !(prot & PROT_EXEC))
		return ret;
	f = BPF_CORE_READ(vma, vm_file);
	return f ? mmap_exec(f) : 0;
}

SEC("lsm/path_unlink")
int BPF_PROG(path_unlink, const struct path *dir, struct dentry *dentry, int ret)
{
	mark_seen(D4C_HOOK_PATH_UNLINK);
	if (ret)
		return ret;
	/* a symlink, a FIFO or a socket is a name in the tree like a file */
	return file_op(D4C_HOOK_PATH_UNLINK, D4C_FA_DELETION, OP(DELETE_FILE),
		       BPF_CORE_READ(dir, mnt), dentry, 0, NULL, inode_mode(dentry), 0, NULL);
}

/*
 * Whatever is renamed (a file, a symlink, a directory with a protected
 * tree below it) and whatever it replaces: the new name is created, and
 * modified and deleted if it existed; the old name is deleted, and with
 * RENAME_EXCHANGE also created and modified. A directory carries every
 * name below it along.
 */
SEC("lsm/path_rename")
int BPF_PROG(path_rename, const struct path *old_dir, struct dentry *old_dentry,
	     const struct path *new_dir, struct dentry *new_dentry, unsigned int flags, int ret)
{
	__u32 mode = inode_mode(old_dentry), tmode = inode_mode(new_dentry);
	__u32 ops = OP(CREATE_FILE), ops2 = OP(DELETE_FILE);

	mark_seen(D4C_HOOK_PATH_RENAME);
	if (ret)
		return ret;
	if (S_ISREG(mode) && (mode & S_IXUGO))
		ops |= OP(CREATE_EXECUTABLE);
	if (tmode) {
		ops |= OP(MODIFY_FILE) | OP(DELETE_FILE);
		if (S_ISREG(tmode) && (tmode & S_IXUGO))
			ops |= OP(MODIFY_EXECUTABLE);
	}
	if (flags & RENAME_EXCHANGE) {
		ops2 |= OP(CREATE_FILE) | OP(MODIFY_FILE);
		if (S_ISREG(tmode) && (tmode & S_IXUGO))
			ops2 |= OP(CREATE_EXECUTABLE);
		if (S_ISREG(mode) && (mode & S_IXUGO))
			ops2 |= OP(MODIFY_EXECUTABLE);
	}
	if (S_ISDIR(mode) || S_ISDIR(tmode)) {
		ops |= OPS_SUBTREE;
		ops2 |= OPS_SUBTREE;
	}
	return file_op(D4C_HOOK_PATH_RENAME, D4C_FA_RENAME, ops, BPF_CORE_READ(new_dir, mnt),
		       new_dentry, ops2, old_dentry, mode, 0, NULL);
}

/*
 * A hard link is a second name for the same file: made inside a protected
 * tree it creates a name there, made from a protected file it lets the
 * file be changed by a name no policy names, so it counts as modifying it.
 */
SEC("lsm/path_link")
int BPF_PROG(path_link, struct dentry *old_dentry, const struct path *new_dir,
	     struct dentry *new_dentry, int ret)
{
	__u32 mode = inode_mode(old_dentry), ops = OP(CREATE_FILE), ops2 = OP(MODIFY_FILE);

	mark_seen(D4C_HOOK_PATH_LINK);
	if (ret)
		return ret;
	if (S_ISREG(mode) && (mode & S_IXUGO)) {
		ops |= OP(CREATE_EXECUTABLE);
		ops2 |= OP(MODIFY_EXECUTABLE);
	}
	return file_op(D4C_HOOK_PATH_LINK, D4C_FA_LINK, ops, BPF_CORE_READ(new_dir, mnt),
		       new_dentry, ops2, old_dentry, mode, 0, NULL);
}

/* Before 6.8 a mount namespace lists its mounts; since, a tree holds them. */
struct mnt_namespace___list {
	struct list_head list;
} __attribute__((preserve_access_index));

struct mnt_find_ctx {
	struct list_head *head, *cur;
	struct super_block *sb;
	struct vfsmount *found;
};

static long mnt_find_step(__u32 i, struct mnt_find_ctx *c)
{
	/* locals: a CO-RE read through this context's own fields would
	 * relocate them too */
	struct list_head *cur = c->cur, *next = BPF_CORE_READ(cur, next);
	struct super_block *sb = c->sb;
	struct mount *m;

	if (!next || next == c->head)
		return 1;
	m = (void *)next - bpf_core_field_offset(struct mount, mnt_list);
	if (BPF_CORE_READ(m, mnt.mnt_sb) == sb &&
	    BPF_CORE_READ(m, mnt.mnt_root) == BPF_CORE_READ(sb, s_root)) {
		c->found = (struct vfsmount *)__builtin_preserve_access_index(&m->mnt);
		return 1;
	}
	c->cur = next;
	return 0;
}

/*
 * A mount of the whole file system of DENTRY in the current mount
 * namespace, to name a file an inode hook was given without its path;
 * NULL when there is none or the kernel keeps no list (6.8 and later):
 * such a file is then decided as an object only.
 */
static __always_inline struct vfsmount *mount_of(struct dentry *dentry)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct vfsmount *root = BPF_CORE_READ(t, fs, root.mnt);
	struct super_block *sb = BPF_CORE_READ(dentry, d_sb);
	struct mnt_namespace___list *ns;
	struct mnt_find_ctx c = { .sb = sb };

	if (BPF_CORE_READ(root, mnt_sb) == sb &&
	    BPF_CORE_READ(root, mnt_root) == BPF_CORE_READ(sb, s_root))
		return root;
	if (!bpf_core_field_exists(struct mnt_namespace___list, list))
		return NULL;
	ns = (void *)BPF_CORE_READ(t, nsproxy, mnt_ns);
	if (!ns)
		return NULL;
	c.head = (struct list_head *)__builtin_preserve_access_index(&ns->list);
	c.cur = c.head;
	bpf_loop(512, mnt_find_step, &c, 0);
	return c.found;
}

/*
 * A name made by the kernel for a file system of its own (overlayfs
 * creating in its upper directory) reaches no path hook. Decided by the
 * directory as an object, refusals only: a name made through a path was
 * decided (and sent) at path_mknod.
 */
SEC("lsm/inode_create")
int BPF_PROG(inode_create, struct inode *dir, struct dentry *dentry, umode_t mode, int ret)
{
	__u32 ops = OP(CREATE_FILE);
	struct decision d = {};
	struct d4c_obj_val *v;

	mark_seen(D4C_HOOK_INODE_CREATE);
	if (ret)
		return ret;
	if (mode & S_IXUGO)
		ops |= OP(CREATE_EXECUTABLE);
	/* every creation comes here after path_mknod: unless the directory
	 * is a recorded object (or a selector has no path), stop before
	 * looking for its mount */
	if (!candidates(D4C_TYPE_FILE, ops, &d) || !may_block(&d, D4C_TYPE_FILE))
		return 0;
	v = object_of(dir);
	if (!(d.candidates & ((v ? v->inside[d.slot & 1] : 0) | d.tm->no_path)))
		return 0;
	return file_op(D4C_HOOK_INODE_CREATE, D4C_FA_CREATION, ops, mount_of(dentry), dentry, 0,
		       NULL, mode, 1, NULL);
}

/* Extended attributes (setcap is one) change a file with no path hook. */
static __always_inline int xattr_op(struct dentry *dentry, __u32 hook)
{
	__u32 mode = inode_mode(dentry);

	if (!S_ISREG(mode))
		return 0;
	return file_op(hook, D4C_FA_MODIFICATION, modify_ops(mode), mount_of(dentry), dentry, 0,
		       NULL, mode, 0, NULL);
}

/*
 * A mount on a name replaces what the name shows: on a file, a change
 * of it; on a directory, of every name below. (Mounting elsewhere what a
 * policy protects reaches it by another name: the objects map decides
 * those at the hooks above.)
 */
static __always_inline int mount_on(const struct path *to, __u32 hook)
{
	struct dentry *d = BPF_CORE_READ(to, dentry);
	__u32 mode = inode_mode(d);
	__u32 ops = OP(MODIFY_FILE) | OP(CREATE_FILE) | OP(DELETE_FILE);

	if (S_ISDIR(mode))
		ops |= OPS_SUBTREE;
	else if (mode & S_IXUGO)
		ops |= OP(MODIFY_EXECUTABLE);
	return file_op(hook, D4C_FA_MODIFICATION, ops, BPF_CORE_READ(to, mnt), d, 0, NULL, mode, 0,
		       NULL);
}

SEC("lsm/sb_mount")
int BPF_PROG(sb_mount, const char *dev_name, const struct path *path, const char *type,
	     unsigned long flags, void *data, int ret)
{
	mark_seen(D4C_HOOK_SB_MOUNT);
	/* a remount or a change of propagation shows no other file */
	if (ret || (flags & (MS_REMOUNT | MS_SHARED | MS_PRIVATE | MS_SLAVE | MS_UNBINDABLE)))
		return ret;
	return mount_on(path, D4C_HOOK_SB_MOUNT);
}

SEC("lsm/move_mount")
int BPF_PROG(move_mount, const struct path *from_path, const struct path *to_path, int ret)
{
	if (ret)
		return ret;
	return mount_on(to_path, D4C_HOOK_SB_MOUNT);
}

SEC("lsm/inode_setxattr")
int BPF_PROG(inode_setxattr, void *idmap, struct dentry *dentry, const char *name,
	     const void *value, size_t size, int flags, int ret)
{
	mark_seen(D4C_HOOK_INODE_SETXATTR);
	if (ret)
		return ret;
	return xattr_op(dentry, D4C_HOOK_INODE_SETXATTR);
}

SEC("lsm/inode_removexattr")
int BPF_PROG(inode_removexattr, void *idmap, struct dentry *dentry, const char *name, int ret)
{
	if (ret)
		return ret;
	return xattr_op(dentry, D4C_HOOK_INODE_SETXATTR);
}

/*
 * A recorded object that is deleted frees its inode number for a new file
 * (ext4 reuses them): forget it then. An inode dropped from memory while
 * its file still has a name is still the object the policy named.
 */
SEC("lsm/inode_free_security")
int BPF_PROG(inode_free_security, struct inode *inode)
{
	struct d4c_obj_key k;

	if (BPF_CORE_READ(inode, __i_nlink))
		return 0;
	k.dev = BPF_CORE_READ(inode, i_sb, s_dev);
	k.ino = BPF_CORE_READ(inode, i_ino);
	bpf_map_delete_elem(&objects, &k);
	return 0;
}

SEC("lsm/path_truncate")
int BPF_PROG(path_truncate, const struct path *path, int ret)
{
	struct dentry *d = BPF_CORE_READ(path, dentry);
	__u32 mode = inode_mode(d);

	mark_seen(D4C_HOOK_PATH_TRUNCATE);
	if (ret || !S_ISREG(mode))
		return ret;
	return file_op(D4C_HOOK_PATH_TRUNCATE, D4C_FA_MODIFICATION, modify_ops(mode),
		       BPF_CORE_READ(path, mnt), d, 0, NULL, mode, 0, NULL);
}

SEC("lsm/path_chmod")
int BPF_PROG(path_chmod, const struct path *path, umode_t mode, int ret)
{
	struct dentry *d = BPF_CORE_READ(path, dentry);
	__u32 old = inode_mode(d), ops = OP(MODIFY_FILE);

	mark_seen(D4C_HOOK_PATH_CHMOD);
	if (ret || !S_ISREG(old))
		return ret;
	if (old & S_IXUGO)
		ops |= OP(MODIFY_EXECUTABLE);
	else if (mode & S_IXUGO)
		ops |= OP(CREATE_EXECUTABLE); /* a file given an execute bit */
	return file_op(D4C_HOOK_PATH_CHMOD, D4C_FA_MODIFICATION, ops, BPF_CORE_READ(path, mnt), d,
		       0, NULL, (old & S_IFMT) | (mode & ~S_IFMT), 0, NULL);
}

/* ---- containers --------------------------------------------------------- */

/* A cgroup came or went: user space learns containers from these. */
static __always_inline int cgroup_record(struct cgroup *cgrp, const char *path, __u32 hook)
{
	struct scratch *s = get_scratch();
	long n;

	if (!s)
		return 0;
	ev_init(s, D4C_REC_CGROUP, hook, bpf_get_current_task_btf());
	s->ev.ino = BPF_CORE_READ(cgrp, kn, id);
	s->ev.mode = BPF_CORE_READ(cgrp, root, hierarchy_id);
	n = bpf_probe_read_kernel_str(s->data, D4C_CGROUP_PATH, path);
	if (n <= 1)
		return 0;
	s->ev.len[D4C_S_PATH] = (n - 1) & (D4C_CGROUP_PATH - 1);
	ev_send(s, (n - 1) & (D4C_CGROUP_PATH - 1));
	return 0;
}

SEC("tp_btf/cgroup_mkdir")
int BPF_PROG(cgroup_mkdir, struct cgroup *cgrp, const char *path)
{
	return cgroup_record(cgrp, path, D4C_HOOK_CGROUP_MKDIR);
}

SEC("tp_btf/cgroup_rmdir")
int BPF_PROG(cgroup_rmdir, struct cgroup *cgrp, const char *path)
{
	return cgroup_record(cgrp, path, D4C_HOOK_CGROUP_RMDIR);
}

/* ---- syscall tracepoints: kernels without BPF LSM ------------------------
 *
 * Observe only: the operation has happened when the syscall returns. An
 * operation on a file descriptor (open, ftruncate, fchmod) is decided here
 * like at the LSM hooks, from the file it names; one on a path string is
 * sent to user space with the string joined to its directory (the working
 * directory or the dirfd's), and d4c-load decides it with the reference
 * matcher.
 */

#define AT_FDCWD -100
#define AT_REMOVEDIR 0x200
#define O_CREAT_ 0100
#define FMODE_CREATED 0x100000

#if defined(__TARGET_ARCH_x86)
enum {
	NR_open = 2, NR_creat = 85, NR_openat = 257, NR_openat2 = 437,
	NR_truncate = 76, NR_ftruncate = 77, NR_rename = 82, NR_renameat = 264,
	NR_renameat2 = 316, NR_link = 86, NR_linkat = 265, NR_unlink = 87,
	NR_unlinkat = 263, NR_chmod = 90, NR_fchmod = 91, NR_fchmodat = 268,
	NR_fchmodat2 = 452, NR_execve = 59, NR_execveat = 322,
};
#define SYSARG(regs, n) \
	((n) == 0 ? BPF_CORE_READ(regs, di) : (n) == 1 ? BPF_CORE_READ(regs, si) \
	 : (n) == 2 ? BPF_CORE_READ(regs, dx) : BPF_CORE_READ(regs, r10))
#else
/* other architectures: not yet; d4c-load --probe says file events need BPF LSM there */
enum {
	NR_open = -1, NR_creat = -2, NR_openat = -3, NR_openat2 = -4, NR_truncate = -5,
	NR_ftruncate = -6, NR_rename = -7, NR_renameat = -8, NR_renameat2 = -9, NR_link = -10,
	NR_linkat = -11, NR_unlink = -12, NR_unlinkat = -13, NR_chmod = -14, NR_fchmod = -15,
	NR_fchmodat = -16, NR_fchmodat2 = -17, NR_execve = -18, NR_execveat = -19,
};
#define SYSARG(regs, n) 0ul
#endif

struct pending {
	long nr;
	__u64 a[4];
	__u32 old_mode; /* fchmod: the mode before */
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct pending);
} pending SEC(".maps");

/* The operations a syscall can be, for the cheap test at entry. */
static __always_inline __u32 sys_ops(long nr)
{
	switch (nr) {
	case NR_open: case NR_creat: case NR_openat: case NR_openat2:
		return OP(CREATE_FILE) | OP(CREATE_EXECUTABLE) | OP(MODIFY_FILE) |
		       OP(MODIFY_EXECUTABLE);
	case NR_truncate: case NR_ftruncate:
		return OP(MODIFY_FILE) | OP(MODIFY_EXECUTABLE);
	case NR_rename: case NR_renameat: case NR_renameat2:
		return OP(CREATE_FILE) | OP(DELETE_FILE);
	case NR_link: case NR_linkat:
		return OP(CREATE_FILE);
	case NR_unlink: case NR_unlinkat:
		return OP(DELETE_FILE);
	case NR_chmod: case NR_fchmod: case NR_fchmodat: case NR_fchmodat2:
		return OP(MODIFY_FILE) | OP(MODIFY_EXECUTABLE) | OP(CREATE_EXECUTABLE);
	}
	return 0;
}

/* The file of descriptor FD of the current process, or NULL. */
static __always_inline struct file *fd_file(long fd)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct fdtable *fdt = BPF_CORE_READ(t, files, fdt);
	struct file **fds = BPF_CORE_READ(fdt, fd);
	struct file *f = NULL;

	if (fd < 0 || fd >= BPF_CORE_READ(fdt, max_fds))
		return NULL;
	bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]);
	return f;
}

/*
 * d4c-trace -x: execs that fail (no such file, no permission, a bad
 * binary) never reach sched_process_exec, so their entry is remembered
 * and their exit reported when it is an error. Loaded only when asked
 * (d4c-load never does): every process is reported, whatever the policy.
 */
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

#define EXEC_FAILED_ARGS 32 /* arguments read from the failed call's argv */

static __always_inline int exec_enter(__u64 filename, __u64 argv)
{
	struct exec_call c = {.filename = filename, .argv = argv};
	__u32 tid = (__u32)bpf_get_current_pid_tgid();

	bpf_map_update_elem(&exec_calls, &tid, &c, BPF_ANY);
	return 0;
}

static __always_inline int exec_exit(long ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid(), cur = 0, alen = 0, room;
	struct exec_call c, *p = bpf_map_lookup_elem(&exec_calls, &tid);
	struct scratch *s;
	long n;

	if (!p)
		return 0;
	c = *p;
	bpf_map_delete_elem(&exec_calls, &tid);
	if (ret >= 0)
		return 0;
	s = get_scratch();
	if (!s)
		return 0;
	ev_init(s, D4C_REC_EXEC, D4C_HOOK_SYS_EXECVE, bpf_get_current_task_btf());
	s->ev.flags |= D4C_EF_EXEC_FAILED;
	s->ev.actions = D4C_ACTION_LOG;
	s->ev.exit_code = ret;
	n = bpf_probe_read_user_str(&s->data[0], D4C_PATH_MAX, (void *)c.filename);
	if (n > 1) {
		s->ev.len[D4C_S_PATH] = n - 1;
		cur = n - 1;
	}
	for (int i = 0; i < EXEC_FAILED_ARGS; i++) {
		__u64 arg = 0;

		if (bpf_probe_read_user(&arg, sizeof(arg), (void *)(c.argv + i * 8)) || !arg)
			break;
		room = (D4C_ARGS_MAX - 1 - alen) & (D4C_ARGS_MAX - 1);
		if (!room) {
			s->ev.flags |= D4C_EF_ARGS_TRUNC;
			break;
		}
		n = bpf_probe_read_user_str(&s->data[IDX(cur + alen, DATA_MASK)], room,
					    (void *)arg);
		if (n <= 0)
			break;
		alen += n; /* with its NUL, as the arguments of an exec are */
	}
	s->ev.len[D4C_S_ARGS] = alen & (D4C_ARGS_MAX - 1);
	cur += alen & (D4C_ARGS_MAX - 1);
	ev_send(s, cur);
	return 0;
}


/* Entry of a file system call with its first four arguments: remembered
 * for the exit when the policy has candidates for what it can be. */
static __always_inline int sys_enter_args(long id, __u64 a0, __u64 a1, __u64 a2, __u64 a3)
{
	struct pending p = { .nr = id };
	struct decision d = {};
	__u32 tid, ops = sys_ops(id);
	struct file *f;

	mark_seen(D4C_HOOK_SYS_ENTER);
	if (!ops || !candidates(D4C_TYPE_FILE, ops, &d))
		return 0;
	p.a[0] = a0;
	p.a[1] = a1;
	p.a[2] = a2;
	p.a[3] = a3;
	if (id == NR_fchmod) {
		f = fd_file(p.a[0]);
		if (f)
			p.old_mode = BPF_CORE_READ(f, f_inode, i_mode);
	}
	tid = (__u32)bpf_get_current_pid_tgid();
	bpf_map_update_elem(&pending, &tid, &p, BPF_ANY);
	return 0;
}

/*
 * The fallback where the per-system-call tracepoints cannot be used (no
 * tracefs, CONFIG_FTRACE_SYSCALLS off): every system call of every
 * process runs this and its exit twice over, some 300 ns each here.
 */
SEC("tp_btf/sys_enter")
int BPF_PROG(sys_enter, struct pt_regs *regs, long id)
{
	if (report_failed_execs && id == NR_execve)
		return exec_enter(SYSARG(regs, 0), SYSARG(regs, 1));
	if (report_failed_execs && id == NR_execveat)
		return exec_enter(SYSARG(regs, 1), SYSARG(regs, 2));
	return sys_enter_args(id, SYSARG(regs, 0), SYSARG(regs, 1), SYSARG(regs, 2),
			      SYSARG(regs, 3));
}

/*
 * Appends to the event, as string ID, the user path UPATH joined to the
 * directory it is relative to (DFD, or the working directory), using walk
 * buffer WHICH.
 */
static __always_inline void put_user_path(struct scratch *s, __u32 *cur, __u32 id, __u32 which,
					  long dfd, const char *upath)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct walked w = {};
	struct file *f;
	__u32 start = *cur;
	char first = 0;
	long n;

	bpf_probe_read_user(&first, 1, upath);
	if (first != '/') {
		if (dfd == AT_FDCWD) {
			walk_path(BPF_CORE_READ(t, fs, pwd.mnt), BPF_CORE_READ(t, fs, pwd.dentry), which,
				  &w);
		} else {
			f = fd_file(dfd);
			if (!f)
				return;
			walk_path(BPF_CORE_READ(f, f_path.mnt), BPF_CORE_READ(f, f_path.dentry),
				  which, &w);
		}
		ev_put_walked(s, cur, id, which, &w);
		s->data[IDX(*cur, DATA_MASK)] = '/';
		*cur += 1;
	}
	n = bpf_probe_read_user_str(&s->data[IDX(*cur, DATA_MASK)], D4C_PATH_MAX, upath);
	if (n > 1)
		*cur += (n - 1) & (D4C_PATH_MAX - 1);
	s->ev.len[IDX(id, 3)] = (*cur - start) & 0xffff;
}

/* A path operation, sent undecided: user space normalizes and decides. */
static __always_inline void sys_path_op(__u32 hook, __u32 action, __u32 ops, long dfd, __u64 upath,
					long dfd2, __u64 upath2, __u32 mode)
{
	struct scratch *s = get_scratch();
	struct decision d = {};
	__u32 cur = 0;
	__u64 m = candidates(D4C_TYPE_FILE, ops, &d);

	if (!s || !m)
		return;
	ev_init(s, D4C_REC_FILE, hook, bpf_get_current_task_btf());
	s->ev.selectors = m;
	s->ev.revision = d.revision;
	s->ev.flags |= d.flags | D4C_EF_UNDECIDED;
	s->ev.ops = ops;
	s->ev.file_action = action;
	s->ev.mode = mode;
	put_user_path(s, &cur, D4C_S_PATH, 0, dfd, (const char *)upath);
	if (upath2)
		put_user_path(s, &cur, D4C_S_PATH2, 1, dfd2, (const char *)upath2);
	ev_send(s, cur);
}

/* An operation on an open file, decided here as at the LSM hooks. */
static __always_inline void sys_file_op(struct file *f, __u32 hook, __u32 action, __u32 ops,
					__u32 mode)
{
	if (!f)
		return;
	file_op(hook, action, ops, BPF_CORE_READ(f, f_path.mnt), BPF_CORE_READ(f, f_path.dentry), 0,
		NULL, mode, 0, NULL);
}

static __always_inline int is_open_nr(long nr)
{
	return nr == NR_open || nr == NR_creat || nr == NR_openat || nr == NR_openat2;
}

/*
 * The exit of system call NR (-1: not known, the raw tracepoint) with
 * return value RET. An open needs nothing from its entry (the call number
 * and the new descriptor say it all), so at their own tracepoints opens
 * have no entry program and no pending record: the entry cost more than
 * the rest of the decision.
 */
static __always_inline int sys_exit_ret(long nr, long ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid(), mode, ops;
	struct pending p = {}, *pp;
	struct file *f;

	mark_seen(D4C_HOOK_SYS_OPEN);
	if (!is_open_nr(nr)) {
		pp = bpf_map_lookup_elem(&pending, &tid);
		if (!pp)
			return 0;
		p = *pp;
		bpf_map_delete_elem(&pending, &tid);
		nr = p.nr;
	}
	if (ret < 0)
		return 0;
	if (is_open_nr(nr)) {
		f = fd_file(ret);
		if (!f || !(BPF_CORE_READ(f, f_mode) & FMODE_WRITE))
			return 0;
		mode = BPF_CORE_READ(f, f_inode, i_mode);
		if (!S_ISREG(mode))
			return 0;
		if (BPF_CORE_READ(f, f_mode) & FMODE_CREATED)
			ops = OP(CREATE_FILE) | ((mode & S_IXUGO) ? OP(CREATE_EXECUTABLE) : 0);
		else
			ops = OP(MODIFY_FILE) | ((mode & S_IXUGO) ? OP(MODIFY_EXECUTABLE) : 0);
		sys_file_op(f, D4C_HOOK_SYS_OPEN,
			    (ops & OP(CREATE_FILE)) ? D4C_FA_CREATION : D4C_FA_OPEN, ops, mode);
	} else if (nr == NR_ftruncate) {
		f = fd_file(p.a[0]);
		if (!f)
			return 0;
		mode = BPF_CORE_READ(f, f_inode, i_mode);
		if (S_ISREG(mode))
			sys_file_op(f, D4C_HOOK_SYS_TRUNCATE, D4C_FA_MODIFICATION,
				    OP(MODIFY_FILE) | ((mode & S_IXUGO) ? OP(MODIFY_EXECUTABLE) : 0),
				    mode);
	} else if (nr == NR_fchmod) {
		f = fd_file(p.a[0]);
		if (!f || !S_ISREG(p.old_mode))
			return 0;
		ops = OP(MODIFY_FILE);
		if (p.old_mode & S_IXUGO)
			ops |= OP(MODIFY_EXECUTABLE);
		else if (p.a[1] & S_IXUGO)
			ops |= OP(CREATE_EXECUTABLE);
		sys_file_op(f, D4C_HOOK_SYS_CHMOD, D4C_FA_MODIFICATION, ops,
			    (p.old_mode & S_IFMT) | (p.a[1] & ~S_IFMT));
	} else if (nr == NR_truncate) {
		sys_path_op(D4C_HOOK_SYS_TRUNCATE, D4C_FA_MODIFICATION, OP(MODIFY_FILE),
			    AT_FDCWD, p.a[0], 0, 0, 0);
	} else if (nr == NR_unlink) {
		sys_path_op(D4C_HOOK_SYS_UNLINK, D4C_FA_DELETION, OP(DELETE_FILE), AT_FDCWD,
			    p.a[0], 0, 0, 0);
	} else if (nr == NR_unlinkat) {
		if (!(p.a[2] & AT_REMOVEDIR))
			sys_path_op(D4C_HOOK_SYS_UNLINK, D4C_FA_DELETION, OP(DELETE_FILE),
				    (int)p.a[0], p.a[1], 0, 0, 0);
	} else if (nr == NR_rename) {
		/* the new name is created (PATH), the old one deleted (PATH2) */
		sys_path_op(D4C_HOOK_SYS_RENAME, D4C_FA_RENAME,
			    OP(CREATE_FILE) | OP(DELETE_FILE), AT_FDCWD, p.a[1], AT_FDCWD, p.a[0], 0);
	} else if (nr == NR_renameat || nr == NR_renameat2) {
		sys_path_op(D4C_HOOK_SYS_RENAME, D4C_FA_RENAME,
			    OP(CREATE_FILE) | OP(DELETE_FILE), (int)p.a[2], p.a[3], (int)p.a[0],
			    p.a[1], 0);
	} else if (nr == NR_link) {
		sys_path_op(D4C_HOOK_SYS_LINK, D4C_FA_LINK, OP(CREATE_FILE), AT_FDCWD, p.a[1],
			    AT_FDCWD, p.a[0], 0);
	} else if (nr == NR_linkat) {
		sys_path_op(D4C_HOOK_SYS_LINK, D4C_FA_LINK, OP(CREATE_FILE), (int)p.a[2],
			    p.a[3], (int)p.a[0], p.a[1], 0);
	} else if (nr == NR_chmod) {
		sys_path_op(D4C_HOOK_SYS_CHMOD, D4C_FA_MODIFICATION,
			    OP(MODIFY_FILE) | ((p.a[1] & S_IXUGO) ? OP(CREATE_EXECUTABLE) : 0),
			    AT_FDCWD, p.a[0], 0, 0, S_IFREG | (p.a[1] & 07777));
	} else if (nr == NR_fchmodat || nr == NR_fchmodat2) {
		sys_path_op(D4C_HOOK_SYS_CHMOD, D4C_FA_MODIFICATION,
			    OP(MODIFY_FILE) | ((p.a[2] & S_IXUGO) ? OP(CREATE_EXECUTABLE) : 0),
			    (int)p.a[0], p.a[1], 0, 0, S_IFREG | (p.a[2] & 07777));
	}
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(sys_exit, struct pt_regs *regs, long ret)
{
	if (report_failed_execs)
		exec_exit(ret); /* nothing unless this thread's call was an exec */
	return sys_exit_ret(-1, ret);
}

/*
 * The same at each file system call's own tracepoints: the other system
 * calls run no program at all. d4c-load leaves out those the kernel does
 * not have (fchmodat2 before 6.6) and, without tracefs, all of them for
 * the two above.
 */
/*
 * The exit work is large (the whole decision): one program does it for
 * every call, reached by a tail call (d4c-load puts it in the array), not
 * seventeen inlined copies of it. Every exit tracepoint has the same
 * record: the call number, then the return value.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} sys_exit_jmp SEC(".maps");

SEC("tracepoint")
int sys_exit_common(struct trace_event_raw_sys_exit *ctx)
{
	return sys_exit_ret((int)ctx->id, ctx->ret);
}

/* A program may read only the arguments a tracepoint has (the link is
 * refused with EACCES otherwise): NARGS of them, up to the four used. The
 * number is an int there, with padding after it: not trace_event_raw_sys_enter's long. */
#define SYS_ARG(ctx, n, nargs) ((n) < (nargs) ? (ctx)->args[n] : 0)
#define SYS_TP_EXIT(name)                                                                   \
	SEC("tracepoint/syscalls/sys_exit_" #name)                                          \
	int tp_exit_##name(struct trace_event_raw_sys_exit *ctx)                            \
	{                                                                                   \
		bpf_tail_call(ctx, &sys_exit_jmp, 0);                                       \
		return 0;                                                                   \
	}
#define SYS_TP(name, nargs)                                                                 \
	SEC("tracepoint/syscalls/sys_enter_" #name)                                         \
	int tp_enter_##name(struct trace_event_raw_sys_enter *ctx)                          \
	{                                                                                   \
		return sys_enter_args((int)ctx->id, SYS_ARG(ctx, 0, nargs),                     \
				      SYS_ARG(ctx, 1, nargs),                                       \
				      SYS_ARG(ctx, 2, nargs), SYS_ARG(ctx, 3, nargs));      \
	}                                                                                   \
	SYS_TP_EXIT(name)

#if defined(__TARGET_ARCH_x86)
SYS_TP_EXIT(open)
SYS_TP_EXIT(creat)
SYS_TP_EXIT(openat)
SYS_TP_EXIT(openat2)
SYS_TP(truncate, 2)
SYS_TP(ftruncate, 2)
SYS_TP(rename, 2)
SYS_TP(renameat, 4)
SYS_TP(renameat2, 4)
SYS_TP(link, 2)
SYS_TP(linkat, 4)
SYS_TP(unlink, 1)
SYS_TP(unlinkat, 3)
SYS_TP(chmod, 2)
SYS_TP(fchmod, 2)
SYS_TP(fchmodat, 3)
SYS_TP(fchmodat2, 3)
#endif

SEC("tracepoint/syscalls/sys_enter_execve")
int tp_enter_execve(struct trace_event_raw_sys_enter *ctx)
{
	return exec_enter(ctx->args[0], ctx->args[1]);
}

SEC("tracepoint/syscalls/sys_exit_execve")
int tp_exit_execve(struct trace_event_raw_sys_exit *ctx)
{
	return exec_exit(ctx->ret);
}

SEC("tracepoint/syscalls/sys_enter_execveat")
int tp_enter_execveat(struct trace_event_raw_sys_enter *ctx)
{
	return exec_enter(ctx->args[1], ctx->args[2]);
}

SEC("tracepoint/syscalls/sys_exit_execveat")
int tp_exit_execveat(struct trace_event_raw_sys_exit *ctx)
{
	return exec_exit(ctx->ret);
}
