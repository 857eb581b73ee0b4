/* SPDX-License-Identifier: GPL-2.0 */
/*
 * d4c/events.h - the records sent to user space through the ring buffer
 * (struct d4c_record, d4c.h): filled in the scratch area, with paths and
 * strings appended after the fixed part, and sent with the wake-up that
 * d4c-load asked for; the processes whose exit is to be sent too; a
 * cgroup's record, from which user space learns containers.
 *
 * Relies on task.h (the task in every record) and maps.h (the scratch
 * area, events, counters, tracked).
 */
#ifndef D4C_EVENTS_H
#define D4C_EVENTS_H

#include "d4c/common.h"
#include "d4c/maps.h"
#include "d4c/task.h"

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

/* A cgroup came or went: user space learns containers from these. */
static __always_inline int cgroup_record(struct cgroup *cgrp, const char *path, __u32 hook)
{
	struct scratch *s = get_scratch();
	long n;

	if (!s)
		return 0;
	ev_init(s, D4C_REC_CGROUP, hook, current_task());
	s->ev.ino = BPF_CORE_READ(cgrp, kn, id);
	s->ev.mode = BPF_CORE_READ(cgrp, root, hierarchy_id);
	n = bpf_probe_read_kernel_str(s->data, D4C_CGROUP_PATH, path);
	if (n <= 1)
		return 0;
	s->ev.len[D4C_S_PATH] = (n - 1) & (D4C_CGROUP_PATH - 1);
	ev_send(s, (n - 1) & (D4C_CGROUP_PATH - 1));
	return 0;
}

#endif /* D4C_EVENTS_H */
