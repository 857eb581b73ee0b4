/* SPDX-License-Identifier: GPL-2.0 */
/*
 * d4c/path.h - where a file is: the walk of a dentry up to the root of
 * the mount namespace, into a walk buffer of the scratch area (the path
 * and its components' lengths, which decide.h looks up); whether it is on
 * a volume mounted into a container; the mount of a file that an inode
 * hook was given without its path.
 *
 * Relies on maps.h (the scratch area) and common.h (LOOP, IDX).
 */
#ifndef D4C_PATH_H
#define D4C_PATH_H

#include "d4c/common.h"
#include "d4c/maps.h"

struct walk_ctx {
	struct dentry *dentry;
	struct vfsmount *vfsmnt;
	__u32 which; /* walk buffer */
	__u32 off; /* start of the path in the buffer */
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
	bpf_probe_read_kernel(&s->walk[IDX(c->which, 1)][IDX((off + 1), (D4C_PATH_MAX - 1))],
			      len & 255, q.name);
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

	LOOP(D4C_PATH_DEPTH, walk_step, &c);
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

static __always_inline int is_mountpoint(struct dentry *d)
{
	__u32 flags = BPF_CORE_READ(d, d_flags);

	if (bpf_core_enum_value_exists(enum dentry_flags, DCACHE_MOUNTED))
		return !!(flags & bpf_core_enum_value(enum dentry_flags, DCACHE_MOUNTED));
	return !!(flags & DCACHE_MOUNTED_6_1);
}

static __always_inline __u32 volume_flags(struct vfsmount *mnt, struct dentry *d)
{
	struct task_struct *t = current_task();
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

static __always_inline __u32 inode_mode(struct dentry *d)
{
	struct inode *i = BPF_CORE_READ(d, d_inode);

	return i ? BPF_CORE_READ(i, i_mode) : 0;
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
	struct task_struct *t = current_task();
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
	LOOP(512, mnt_find_step, &c);
	return c.found;
}

#endif /* D4C_PATH_H */
