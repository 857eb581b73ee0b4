/* SPDX-License-Identifier: GPL-2.0 */
/*
 * d4c/file.h - what the file hooks share, the LSM hooks and the system
 * call tracepoints alike: file_path_sel() finds the selectors a file
 * operation satisfies; file_op() decides the operation, sends its event
 * and refuses it; the rest say which operations a hook's change is
 * (creating, modifying, reading, running code a loader mapped) and hand
 * it to file_op() or to the process decision.
 *
 * d4c.bpf.c includes it where its file hooks begin, not at the top:
 * file_path_sel() is a global function, emitted where it is defined, and
 * that place orders the functions of the object's .text (included at the
 * top, it moves the loop callbacks and so every call into them).
 *
 * Relies on decide.h, process.h, events.h and path.h.
 */
#ifndef D4C_FILE_H
#define D4C_FILE_H

#include "d4c/common.h"
#include "d4c/maps.h"
#include "d4c/path.h"
#include "d4c/decide.h"
#include "d4c/events.h"
#include "d4c/process.h"

#define OP(x) (1u << D4C_OP_##x)

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
#define OPS_MASK    ((1u << D4C_MAX_OPS) - 1)

static __always_inline int file_op(__u32 hook, __u32 action, __u32 ops, struct vfsmount *mnt,
				   struct dentry *dentry, __u32 ops2, struct dentry *dentry2,
				   __u32 mode, int block_only, struct inode *obj)
{
	struct scratch *s = get_scratch();
	struct decision d = {};
	__u32 actions, cur = 0;
	__u64 sel, sel2 = 0;

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
		sel2 = file_path_sel(as_scalar(mnt), as_scalar(dentry2), 0, ops2 & OPS_MASK,
				     1 | ((ops2 & OPS_SUBTREE) ? WALK_SUBTREE : 0));
	/* each name decided on its own; the event names both's selectors */
	actions = actions_of2(d.slot, D4C_TYPE_FILE, sel, sel2);
	sel |= sel2;
	if (!actions || (block_only && !(actions & D4C_ACTION_BLOCK)))
		return 0;
	ev_init(s, D4C_REC_FILE, hook, current_task());
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

/* The operations a write to a file of MODE is. */
static __always_inline __u32 modify_ops(__u32 mode)
{
	return (mode & S_IXUGO) ? OP(MODIFY_FILE) | OP(MODIFY_EXECUTABLE) : OP(MODIFY_FILE);
}

/*
 * Whether a readFile selector is in force. Every open for reading of every
 * process asks, so it is one array lookup (which the verifier inlines) and
 * nothing else: with no such selector an open costs what it did before.
 */
static __always_inline int reads_watched(void)
{
	struct d4c_config *cfg = bpf_map_lookup_elem(&settings, &zero);

	return cfg && cfg->read_sel[cfg->active & 1];
}

/*
 * readFile: FILE, opened for reading only, at HOOK. Decided like the
 * other operations, by its path or as an object the policy named (a hard
 * link or a bind mount of it). Returns -EPERM when refused.
 */
static __always_inline int file_read(struct file *file, __u32 hook)
{
	struct dentry *d = BPF_CORE_READ(file, f_path.dentry);
	__u32 mode = inode_mode(d);

	if (!S_ISREG(mode))
		return 0;
	return file_op(hook, D4C_FA_READ, OP(READ_FILE), BPF_CORE_READ(file, f_path.mnt), d, 0,
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
	return file_op(hook, D4C_FA_MODIFICATION, modify_ops(mode), BPF_CORE_READ(file, f_path.mnt),
		       d, 0, NULL, mode, 1, BPF_CORE_READ(file, f_inode));
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
	struct task_struct *t = current_task();
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
	if (!candidates(D4C_TYPE_PROCESS, 1u << D4C_OP_EXEC, &d) ||
	    !may_block(&d, D4C_TYPE_PROCESS))
		return 0;
	actions = decide_process(s, t, f, &w, NULL, &d, &sel);
	if (!(actions & D4C_ACTION_BLOCK))
		return 0;
	return proc_refuse(s, t, &d, sel, actions, D4C_REC_EXEC, D4C_OP_EXEC, D4C_HOOK_MMAP_FILE,
			   &w, NULL);
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

#endif /* D4C_FILE_H */
