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
 *
 * One compilation unit, in parts (bpf/d4c/):
 *   common.h    the kernel's constants, the two builds, the verifier's idioms
 *   maps.h      the maps, the scratch area, what d4c-load sets
 *   task.h      a task as an event describes it
 *   path.h      the walk of a path, mounts
 *   decide.h    the decision, as lib/blob/match.c makes it in user space
 *   events.h    records filled and sent through the ring buffer
 *   process.h   what the process hooks share
 *   file.h      what the file hooks share
 *   syscalls.h  the programs for kernels without BPF LSM
 * This file has the programs at the LSM hooks and the BTF tracepoints;
 * each group of hooks includes what it shares where it begins.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "d4c.h"

char LICENSE[] SEC("license") = "GPL";

#include "d4c/common.h"
#include "d4c/maps.h"
#include "d4c/task.h"
#include "d4c/path.h"
#include "d4c/decide.h"
#include "d4c/events.h"

/* ---- process hooks ------------------------------------------------------ */

#include "d4c/process.h"

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
	/* the executed file, for file.* of the event */
	s->ev.mode = BPF_CORE_READ(f, f_inode, i_mode);
	s->ev.ino = BPF_CORE_READ(f, f_inode, i_ino);
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

/*
 * Refusal of exec. The event of an allowed exec is sent by sched_exec,
 * which decides again with the same inputs; only a refused one is sent
 * from here, since it never reaches that tracepoint.
 */
SEC("lsm/bprm_check_security")
int BPF_PROG(bprm_check, struct linux_binprm *bprm, int ret)
{
	struct scratch *s = get_scratch();
	struct task_struct *t = current_task();
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
	LOOP(255, base_step, &bc);
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
	t = current_task();
	exe = BPF_CORE_READ(t, mm, exe_file);
	BPF_CORE_READ_INTO(&s->ev.task.comm, t, comm);
	actions = decide_process(s, t, exe, &w, s->ev.task.comm, &d, &sel);
	if (!(actions & D4C_ACTION_BLOCK))
		return 0;
	return proc_refuse(s, t, &d, sel, actions, D4C_REC_FORK, D4C_OP_FORK, D4C_HOOK_TASK_ALLOC,
			   exe ? &w : NULL, NULL);
}

/* ---- file hooks --------------------------------------------------------- */

#include "d4c/file.h"

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

SEC("lsm/file_open")
int BPF_PROG(file_open, struct file *file, int ret)
{
	struct dentry *d = BPF_CORE_READ(file, f_path.dentry);
	__u32 mode, ops, tid, fmode;
	struct decision dc = {};
	__u64 *cp;

	mark_seen(D4C_HOOK_FILE_OPEN);
	if (ret)
		return ret;
	fmode = BPF_CORE_READ(file, f_mode);
	if (!(fmode & FMODE_WRITE)) {
		/* exec's own open of the program is exec, not a read */
		if ((fmode & (FMODE_READ | FMODE_EXEC)) != FMODE_READ || !reads_watched())
			return 0;
		return file_read(file, D4C_HOOK_FILE_OPEN);
	}
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

SEC("lsm/file_permission")
int BPF_PROG(file_permission, struct file *file, int mask, int ret)
{
	mark_seen(D4C_HOOK_FILE_PERMISSION);
	if (ret || !(mask & MAY_WRITE))
		return ret;
	return file_write(file, D4C_HOOK_FILE_PERMISSION);
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
int BPF_PROG(file_mprotect, struct vm_area_struct *vma, unsigned long reqprot, unsigned long prot,
	     int ret)
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
	     const struct path *new_dir, struct dentry *new_dentry)
{
	/* before 5.19 an exchange comes as two renames, one each way */
	unsigned int flags = rename_has_flags ? ctx_arg(ctx, 4) : 0;
	int ret = rename_has_flags ? ctx_arg(ctx, 5) : ctx_arg(ctx, 4);
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
int BPF_PROG(inode_setxattr)
{
	struct dentry *dentry = (void *)(xattr_has_idmap ? ctx_arg(ctx, 1) : ctx_arg(ctx, 0));
	int ret = xattr_has_idmap ? ctx_arg(ctx, 6) : ctx_arg(ctx, 5);

	mark_seen(D4C_HOOK_INODE_SETXATTR);
	if (ret)
		return ret;
	return xattr_op(dentry, D4C_HOOK_INODE_SETXATTR);
}

SEC("lsm/inode_removexattr")
int BPF_PROG(inode_removexattr)
{
	struct dentry *dentry = (void *)(xattr_has_idmap ? ctx_arg(ctx, 1) : ctx_arg(ctx, 0));
	int ret = xattr_has_idmap ? ctx_arg(ctx, 3) : ctx_arg(ctx, 2);

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

/* ---- system call tracepoints: kernels without BPF LSM ------------------- */

#include "d4c/syscalls.h"
