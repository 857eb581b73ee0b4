/* SPDX-License-Identifier: GPL-2.0 */
/*
 * d4c/process.h - what the process hooks share (fork, exec, and code a
 * loader maps, in file.h): the decision of a process operation by the
 * process's name, its executable's path and the executable as an object;
 * its event and its refusal; execMemFd, a program run from memory.
 *
 * Relies on decide.h, events.h, path.h and task.h.
 */
#ifndef D4C_PROCESS_H
#define D4C_PROCESS_H

#include "d4c/common.h"
#include "d4c/maps.h"
#include "d4c/task.h"
#include "d4c/path.h"
#include "d4c/decide.h"
#include "d4c/events.h"

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
			     object_mask(NULL, BPF_CORE_READ(f, f_inode), d->slot, D4C_TYPE_PROCESS,
					 0);
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
	ev_init(s, D4C_REC_FILE, hook, current_task());
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

#endif /* D4C_PROCESS_H */
