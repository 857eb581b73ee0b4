/* SPDX-License-Identifier: GPL-2.0 */
/*
 * d4c/task.h - a task as an event describes it (struct d4c_task): its
 * ids, credentials and capabilities, its terminal, its start time and its
 * parent's, and the entry leader of its container. Every read goes
 * through CO-RE, so that both builds and every kernel from 5.10 share it.
 *
 * Relies on common.h only.
 */
#ifndef D4C_TASK_H
#define D4C_TASK_H

#include "d4c/common.h"

static __always_inline __u32 pid_nr(struct signal_struct *sig, int type)
{
	struct pid *p = BPF_CORE_READ(sig, pids[type]);

	return p ? BPF_CORE_READ(p, numbers[0].nr) : 0;
}

static __always_inline int task_interactive(struct task_struct *t)
{
	return BPF_CORE_READ(t, signal, tty) != NULL;
}

/*
 * The entry leader of T, in a pid namespace at LEVEL > 0: the process
 * that entered the container, i.e. the nearest of T and its ancestors
 * whose parent is outside that namespace. That is the container's init
 * for what the container started, and a process that runc exec (kubectl
 * exec) put in, for what that one started: Elastic's entry leader, which
 * the rule "Interactive Exec Into Container" and Session View expect.
 * Returns NULL when the ancestry is deeper than the walk.
 */
#define ENTRY_DEPTH 16

static __always_inline struct task_struct *entry_leader(struct task_struct *t, __u32 level)
{
	struct task_struct *p;

	t = BPF_CORE_READ(t, group_leader);
	for (int i = 0; i < ENTRY_DEPTH; i++) {
		p = BPF_CORE_READ(t, real_parent);
		if (!p || p == t || BPF_CORE_READ(p, thread_pid, level) < level)
			return t;
		t = BPF_CORE_READ(p, group_leader);
	}
	return NULL;
}

static __always_inline void fill_task(struct d4c_task *o, struct task_struct *t)
{
	struct task_struct *rp = BPF_CORE_READ(t, real_parent);
	struct signal_struct *sig = BPF_CORE_READ(t, signal);
	const struct cred *cred = BPF_CORE_READ(t, cred);
	struct tty_struct *tty = BPF_CORE_READ(sig, tty);
	struct pid_namespace *pidns;
	struct task_struct *reaper = NULL;
	__u32 level = BPF_CORE_READ(t, thread_pid, level);

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
	bpf_probe_read_kernel(&o->cap_effective, 8,
			      __builtin_preserve_access_index(&cred->cap_effective));
	bpf_probe_read_kernel(&o->cap_permitted, 8,
			      __builtin_preserve_access_index(&cred->cap_permitted));
	if (tty) {
		o->tty_major = BPF_CORE_READ(tty, driver, major);
		o->tty_minor = BPF_CORE_READ(tty, driver, minor_start) + BPF_CORE_READ(tty, index);
	} else {
		o->tty_major = 0;
		o->tty_minor = 0;
	}
	if (level > 0)
		reaper = entry_leader(t, level);
	if (!reaper) {
		/* too deep to walk, or not (yet) in the namespace it makes its
		 * children in: that namespace's init */
		pidns = BPF_CORE_READ(t, nsproxy, pid_ns_for_children);
		if (pidns && BPF_CORE_READ(pidns, level) > 0)
			reaper = BPF_CORE_READ(pidns, child_reaper);
	}
	o->entry_pid = reaper ? BPF_CORE_READ(reaper, tgid) : 0;
	o->entry_start_ns = reaper ? BPF_CORE_READ(reaper, start_boottime) : 0;
	o->start_ns = BPF_CORE_READ(t, group_leader, start_boottime);
	o->parent_start_ns = BPF_CORE_READ(rp, group_leader, start_boottime);
	o->cgroup_id = bpf_get_current_cgroup_id();
	BPF_CORE_READ_INTO(&o->comm, t, comm);
}

#endif /* D4C_TASK_H */
