/* SPDX-License-Identifier: GPL-2.0 */
/*
 * d4c/syscalls.h - the programs for kernels without BPF LSM, at the
 * system call tracepoints (each call's own, or the raw sys_enter and
 * sys_exit where there is no tracefs), and d4c-trace -x's failed execs.
 * Programs as well as helpers: d4c.bpf.c includes it after its own.
 *
 * Observe only: the operation has happened when the syscall returns. An
 * operation on a file descriptor (open, ftruncate, fchmod) is decided here
 * like at the LSM hooks, from the file it names; one on a path string is
 * sent to user space with the string joined to its directory (the working
 * directory or the dirfd's), and d4c-load decides it with the reference
 * matcher.
 *
 * Relies on file.h (file_op and the file operations), decide.h, events.h
 * and maps.h (pending, exec_calls, sys_exit_jmp, report_failed_execs).
 */
#ifndef D4C_SYSCALLS_H
#define D4C_SYSCALLS_H

#include "d4c/common.h"
#include "d4c/maps.h"
#include "d4c/decide.h"
#include "d4c/events.h"
#include "d4c/file.h"

#define AT_FDCWD      -100
#define AT_REMOVEDIR  0x200
#define O_CREAT_      0100
#define FMODE_CREATED 0x100000

#if defined(__TARGET_ARCH_x86)
enum {
	NR_open = 2,
	NR_creat = 85,
	NR_openat = 257,
	NR_openat2 = 437,
	NR_truncate = 76,
	NR_ftruncate = 77,
	NR_rename = 82,
	NR_renameat = 264,
	NR_renameat2 = 316,
	NR_link = 86,
	NR_linkat = 265,
	NR_unlink = 87,
	NR_unlinkat = 263,
	NR_chmod = 90,
	NR_fchmod = 91,
	NR_fchmodat = 268,
	NR_fchmodat2 = 452,
	NR_execve = 59,
	NR_execveat = 322,
	NR_symlink = 88,
	NR_symlinkat = 266,
	NR_mknod = 133,
	NR_mknodat = 259,
};
#define SYSARG(regs, n)                       \
	((n) == 0 ? BPF_CORE_READ(regs, di) : \
	 (n) == 1 ? BPF_CORE_READ(regs, si) : \
	 (n) == 2 ? BPF_CORE_READ(regs, dx) : \
		    BPF_CORE_READ(regs, r10))
#else
/* other architectures: not yet; d4c-load --probe says file events need BPF LSM there */
enum {
	NR_open = -1,
	NR_creat = -2,
	NR_openat = -3,
	NR_openat2 = -4,
	NR_truncate = -5,
	NR_ftruncate = -6,
	NR_rename = -7,
	NR_renameat = -8,
	NR_renameat2 = -9,
	NR_link = -10,
	NR_linkat = -11,
	NR_unlink = -12,
	NR_unlinkat = -13,
	NR_chmod = -14,
	NR_fchmod = -15,
	NR_fchmodat = -16,
	NR_fchmodat2 = -17,
	NR_execve = -18,
	NR_execveat = -19,
	NR_symlink = -20,
	NR_symlinkat = -21,
	NR_mknod = -22,
	NR_mknodat = -23,
};
#define SYSARG(regs, n) 0ul
#endif

/* The operations a syscall can be, for the cheap test at entry. */
static __always_inline __u32 sys_ops(long nr)
{
	switch (nr) {
	case NR_open:
	case NR_creat:
	case NR_openat:
	case NR_openat2:
		return OP(CREATE_FILE) | OP(CREATE_EXECUTABLE) | OP(MODIFY_FILE) |
		       OP(MODIFY_EXECUTABLE) | OP(READ_FILE);
	case NR_truncate:
	case NR_ftruncate:
		return OP(MODIFY_FILE) | OP(MODIFY_EXECUTABLE);
	case NR_rename:
	case NR_renameat:
	case NR_renameat2:
		return OP(CREATE_FILE) | OP(DELETE_FILE);
	case NR_link:
	case NR_linkat:
	case NR_symlink:
	case NR_symlinkat:
		return OP(CREATE_FILE);
	case NR_mknod:
	case NR_mknodat:
		return OP(CREATE_FILE) | OP(CREATE_EXECUTABLE);
	case NR_unlink:
	case NR_unlinkat:
		return OP(DELETE_FILE);
	case NR_chmod:
	case NR_fchmod:
	case NR_fchmodat:
	case NR_fchmodat2:
		return OP(MODIFY_FILE) | OP(MODIFY_EXECUTABLE) | OP(CREATE_EXECUTABLE);
	}
	return 0;
}

/* The file of descriptor FD of the current process, or NULL. */
static __always_inline struct file *fd_file(long fd)
{
	struct task_struct *t = current_task();
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
#define EXEC_FAILED_ARGS 32 /* arguments read from the failed call's argv */

static __always_inline int exec_enter(__u64 filename, __u64 argv)
{
	struct exec_call c = { .filename = filename, .argv = argv };
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
	ev_init(s, D4C_REC_EXEC, D4C_HOOK_SYS_EXECVE, current_task());
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
	struct task_struct *t = current_task();
	struct walked w = {};
	struct file *f;
	__u32 start = *cur;
	char first = 0;
	long n;

	bpf_probe_read_user(&first, 1, upath);
	if (first != '/') {
		if (dfd == AT_FDCWD) {
			walk_path(BPF_CORE_READ(t, fs, pwd.mnt), BPF_CORE_READ(t, fs, pwd.dentry),
				  which, &w);
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
	ev_init(s, D4C_REC_FILE, hook, current_task());
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

/* A system call on a path (PATH, and PATH2 for the other name of a
 * rename or link), sent undecided for user space to decide. */
struct path_call {
	__u32 hook, action, ops, mode;
	long dfd, dfd2;
	__u64 upath, upath2;
};

/*
 * What call NR with arguments P did, as a path operation in *C: returns 1,
 * or 0 when it is none (or nothing to decide). One call site of
 * sys_path_op() for them all: inlined once per call, the bounded build's
 * raw sys_exit program was over the verifier's limit.
 */
static __always_inline int path_call(long nr, const struct pending *p, struct path_call *c)
{
	__u32 m;

	c->dfd = c->dfd2 = AT_FDCWD;
	switch (nr) {
	case NR_truncate:
		c->hook = D4C_HOOK_SYS_TRUNCATE;
		c->action = D4C_FA_MODIFICATION;
		c->ops = OP(MODIFY_FILE);
		c->upath = p->a[0];
		return 1;
	case NR_unlinkat:
		if (p->a[2] & AT_REMOVEDIR)
			return 0;
		c->dfd = (int)p->a[0];
		c->upath = p->a[1];
		c->hook = D4C_HOOK_SYS_UNLINK;
		c->action = D4C_FA_DELETION;
		c->ops = OP(DELETE_FILE);
		return 1;
	case NR_unlink:
		c->upath = p->a[0];
		c->hook = D4C_HOOK_SYS_UNLINK;
		c->action = D4C_FA_DELETION;
		c->ops = OP(DELETE_FILE);
		return 1;
	case NR_rename:
		/* the new name is created (PATH), the old one deleted (PATH2) */
		c->upath = p->a[1];
		c->upath2 = p->a[0];
		c->hook = D4C_HOOK_SYS_RENAME;
		c->action = D4C_FA_RENAME;
		c->ops = OP(CREATE_FILE) | OP(DELETE_FILE);
		return 1;
	case NR_renameat:
	case NR_renameat2:
		c->dfd = (int)p->a[2];
		c->upath = p->a[3];
		c->dfd2 = (int)p->a[0];
		c->upath2 = p->a[1];
		c->hook = D4C_HOOK_SYS_RENAME;
		c->action = D4C_FA_RENAME;
		c->ops = OP(CREATE_FILE) | OP(DELETE_FILE);
		return 1;
	case NR_link:
		c->upath = p->a[1];
		c->upath2 = p->a[0];
		c->hook = D4C_HOOK_SYS_LINK;
		c->action = D4C_FA_LINK;
		c->ops = OP(CREATE_FILE);
		return 1;
	case NR_linkat:
		c->dfd = (int)p->a[2];
		c->upath = p->a[3];
		c->dfd2 = (int)p->a[0];
		c->upath2 = p->a[1];
		c->hook = D4C_HOOK_SYS_LINK;
		c->action = D4C_FA_LINK;
		c->ops = OP(CREATE_FILE);
		return 1;
	case NR_symlinkat:
		c->dfd = (int)p->a[1];
		c->upath = p->a[2];
		goto symlink;
	case NR_symlink:
		c->upath = p->a[1];
symlink:
		/* a symbolic link, a FIFO, a device node or a socket is a new
		 * name in the tree like a file, as at lsm/path_symlink and
		 * lsm/path_mknod */
		c->hook = D4C_HOOK_SYS_SYMLINK;
		c->action = D4C_FA_CREATION;
		c->ops = OP(CREATE_FILE);
		c->mode = S_IFLNK | 0777;
		return 1;
	case NR_mknodat:
		c->dfd = (int)p->a[0];
		c->upath = p->a[1];
		m = p->a[2];
		goto mknod;
	case NR_mknod:
		c->upath = p->a[0];
		m = p->a[1];
mknod:
		if (!(m & S_IFMT))
			m |= S_IFREG;
		/* as the file gets it, and as lsm/path_mknod sees it (ACLs aside) */
		m &= ~(BPF_CORE_READ(current_task(), fs, umask) & 0777);
		c->hook = D4C_HOOK_SYS_MKNOD;
		c->action = D4C_FA_CREATION;
		c->ops = OP(CREATE_FILE) |
			 ((S_ISREG(m) && (m & S_IXUGO)) ? OP(CREATE_EXECUTABLE) : 0);
		c->mode = m & (S_IFMT | 07777);
		return 1;
	case NR_chmod:
	case NR_fchmodat:
	case NR_fchmodat2:
		/* a directory (runc's /dev at a container's start) or another
		 * non-file: no executable changes, as at lsm/path_chmod */
		if (p->old_mode && !S_ISREG(p->old_mode))
			return 0;
		if (nr == NR_chmod) {
			c->upath = p->a[0];
			m = p->a[1];
		} else {
			c->dfd = (int)p->a[0];
			c->upath = p->a[1];
			m = p->a[2];
		}
		c->hook = D4C_HOOK_SYS_CHMOD;
		c->action = D4C_FA_MODIFICATION;
		c->ops = OP(MODIFY_FILE) | ((m & S_IXUGO) ? OP(CREATE_EXECUTABLE) : 0);
		c->mode = S_IFREG | (m & 07777);
		return 1;
	}
	return 0;
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
	__u32 tid = (__u32)bpf_get_current_pid_tgid(), mode, ops, fmode;
	struct pending p = {}, *pp;
	struct path_call c = {};
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
		if (!f)
			return 0;
		fmode = BPF_CORE_READ(f, f_mode);
		if (!(fmode & FMODE_WRITE)) {
			/* reported, not refused: the file is open already */
			if ((fmode & FMODE_READ) && reads_watched())
				file_read(f, D4C_HOOK_SYS_OPEN);
			return 0;
		}
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
				    OP(MODIFY_FILE) |
					    ((mode & S_IXUGO) ? OP(MODIFY_EXECUTABLE) : 0),
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
	} else if (path_call(nr, &p, &c)) {
		sys_path_op(c.hook, c.action, c.ops, c.dfd, c.upath, c.dfd2, c.upath2, c.mode);
	}
	return 0;
}

/*
 * A chmod seen at the system call tracepoints names its file by a string,
 * which says nothing of the file's type. The change of the inode's ctime,
 * in the middle of the call, names the inode: its type is kept for the
 * exit. Kernels that have these tracepoints only (6.13 and later: one or
 * the other, by file system); d4c-load loads them in tracepoint mode when
 * the kernel has them. Every ctime change pays a lookup.
 */
static __always_inline int chmod_inode(struct inode *inode)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct pending *p = bpf_map_lookup_elem(&pending, &tid);

	if (p && !p->old_mode &&
	    (p->nr == NR_chmod || p->nr == NR_fchmodat || p->nr == NR_fchmodat2))
		p->old_mode = BPF_CORE_READ(inode, i_mode) & S_IFMT;
	return 0;
}

SEC("tp_btf/ctime_ns_xchg")
int BPF_PROG(chmod_ctime_xchg, struct inode *inode)
{
	return chmod_inode(inode);
}

SEC("tp_btf/ctime_xchg_skip")
int BPF_PROG(chmod_ctime_skip, struct inode *inode)
{
	return chmod_inode(inode);
}

SEC("tp_btf/inode_set_ctime_to_ts")
int BPF_PROG(chmod_ctime_set, struct inode *inode)
{
	return chmod_inode(inode);
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
 * every call, reached by a tail call (d4c-load puts it in sys_exit_jmp),
 * not seventeen inlined copies of it. Every exit tracepoint has the same
 * record: the call number, then the return value.
 */
SEC("tracepoint")
int sys_exit_common(struct trace_event_raw_sys_exit *ctx)
{
	return sys_exit_ret((int)ctx->id, ctx->ret);
}

/* A program may read only the arguments a tracepoint has (the link is
 * refused with EACCES otherwise): NARGS of them, up to the four used. The
 * number is an int there, with padding after it: not trace_event_raw_sys_enter's long. */
#define SYS_ARG(ctx, n, nargs) ((n) < (nargs) ? (ctx)->args[n] : 0)
#define SYS_TP_EXIT(name)                                        \
	SEC("tracepoint/syscalls/sys_exit_" #name)               \
	int tp_exit_##name(struct trace_event_raw_sys_exit *ctx) \
	{                                                        \
		bpf_tail_call(ctx, &sys_exit_jmp, 0);            \
		return 0;                                        \
	}
#define SYS_TP(name, nargs)                                                           \
	SEC("tracepoint/syscalls/sys_enter_" #name)                                   \
	int tp_enter_##name(struct trace_event_raw_sys_enter *ctx)                    \
	{                                                                             \
		return sys_enter_args((int)ctx->id, SYS_ARG(ctx, 0, nargs),           \
				      SYS_ARG(ctx, 1, nargs), SYS_ARG(ctx, 2, nargs), \
				      SYS_ARG(ctx, 3, nargs));                        \
	}                                                                             \
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
SYS_TP(symlink, 2)
SYS_TP(symlinkat, 3)
SYS_TP(mknod, 3)
SYS_TP(mknodat, 4)
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

#endif /* D4C_SYSCALLS_H */
