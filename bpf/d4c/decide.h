/* SPDX-License-Identifier: GPL-2.0 */
/*
 * d4c/decide.h - the decision: which selectors an operation satisfies
 * and what their responses do, as the reference matcher (lib/blob/match.c)
 * decides it in user space from the same compiled policy. candidates()
 * is match_op_mask() with the container's mask (match_container_mask(),
 * which user space stores per cgroup in the cgroups map); path_mask()
 * and name_mask() are their namesakes there, by map lookups instead of
 * searches; actions_of() is match_event_cmask()'s walk of the responses.
 * The rest of match_event_cmask(), per type of operation, is
 * decide_process() (process.h) and file_path_sel() (file.h). A change to
 * one side needs the same change to the other: t/vm/differential.sh
 * compares them.
 *
 * Relies on path.h (the walk buffers the masks read) and maps.h.
 */
#ifndef D4C_DECIDE_H
#define D4C_DECIDE_H

#include "d4c/common.h"
#include "d4c/maps.h"
#include "d4c/path.h"

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
		bpf_probe_read_kernel(
			&s->pkey.path[IDX(c->pos, (D4C_KEY_PATH - 1))],
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
	LOOP(D4C_PATH_DEPTH + 1, pmask_step, &c);
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
	LOOP(16, nmask_step, &c);
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
		struct task_struct *t = current_task();

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
#pragma unroll
	/* branch-free, so that the verifier has one path to follow */
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
	} else if (BPF_CORE_READ(current_task(), thread_pid, level) > 0) {
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
	__u64 sel, sel2;
};

static long act_step(__u32 i, struct act_ctx *c)
{
	struct d4c_resp_set *rs = bpf_map_lookup_elem(&responses, &c->key);
	struct d4c_response *r;

	if (!rs || i >= rs->n || i >= D4C_MAX_SELECTORS)
		return 1;
	r = &rs->r[IDX(i, (D4C_MAX_SELECTORS - 1))];
	if (((r->match & c->sel) && !(r->exclude & c->sel)) ||
	    ((r->match & c->sel2) && !(r->exclude & c->sel2)))
		c->actions |= r->actions;
	return 0;
}

/*
 * The union of the actions of every response that applies to SEL, or to
 * SEL2: the selectors of a rename's or a link's other name. Each name is
 * decided on its own, as user space decides them without the LSM
 * (loader.c's on_undecided): an exclude met by one name does not take a
 * response, a block included, away from the other.
 */
static __always_inline __u32 actions_of2(__u32 slot, __u32 type, __u64 sel, __u64 sel2)
{
	struct act_ctx c = { .key = slot * D4C_NTYPES + (type & 1), .sel = sel, .sel2 = sel2 };

	if (!(sel | sel2))
		return 0;
	LOOP(D4C_MAX_SELECTORS, act_step, &c);
	return c.actions;
}

static __always_inline __u32 actions_of(__u32 slot, __u32 type, __u64 sel)
{
	return actions_of2(slot, type, sel, 0);
}

/* Whether some selector of TYPE that a response blocks is among D's
 * candidates: the hooks that only ever refuse stop here otherwise. */
static __always_inline int may_block(const struct decision *d, __u32 type)
{
	struct d4c_config *cfg = bpf_map_lookup_elem(&settings, &zero);

	return cfg && (d->candidates & cfg->block_sel[d->slot & 1][type & 1]);
}

#endif /* D4C_DECIDE_H */
