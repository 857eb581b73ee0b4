/*
 * loader.c - the d4c kernel programs as a library (see loader.h): the
 * blob, the kernel probe, the per-container masks, policy installation and
 * swaps, records to events, the start-up check, pinning and privileges.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/capability.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include <sys/utsname.h>
#include <bpf/btf.h>
#include "d4c-compat.skel.h"
#include "d4c.skel.h"
#include "ecs.h"
#include "event.h"
#include "loader.h"
#include "match.h"
#include "names.h"
#include "objects.h"
#include "sha256.h"
#include "util.h"

#define BLOB_MAX_SIZE (64u << 20)

/* ---- the blob ----------------------------------------------------------- */

/*
 * Reads and checks the blob at PATH. A blob is code for the kernel: refuse
 * one that anybody but root (or its owner when not root) could have
 * written. Returns 0, or EXIT_INVALID / EXIT_USAGE after printing why.
 */
int policy_slot_read(const char *path, struct policy_slot *ps)
{
	char *buf = NULL, *what;
	size_t len = 0;
	int r;

	if (strcmp(path, "-")) {
		struct stat st;

		if (stat(path, &st))
			return error("cannot open '%s': %s", path, strerror(errno)), EXIT_USAGE;
		if (!S_ISREG(st.st_mode))
			return error("'%s' is not a regular file", path), EXIT_INVALID;
		if (check_owned(path, &st, 1))
			return EXIT_INVALID;
	}
	r = read_whole_file(path, BLOB_MAX_SIZE, &buf, &len);
	if (r == -EFBIG)
		return error("'%s' is larger than %u MiB: not a policy blob", path,
			     BLOB_MAX_SIZE >> 20),
		       EXIT_INVALID;
	if (r)
		return error("cannot read '%s': %s", path, strerror(-r)), EXIT_USAGE;
	/* blob_open wants 8-byte alignment; malloc gives at least that */
	what = xasprintf("'%s'", path);
	r = policy_slot_take(buf, len, what, ps);
	free(what);
	return r;
}

/* The ecs selector callback: the name of selector I of TYPE in the slot's blob. */
static const char *selector_name(const struct ecs_policy *p, unsigned type, unsigned i)
{
	const struct policy_slot *ps =
		(const struct policy_slot *)((const char *)p - offsetof(struct policy_slot, ecs));
	const struct d4c_type_masks *tm = &ps->b.types[type];

	return i < tm->nselectors ? blob_str(&ps->b, ps->b.sel[tm->first_selector + i].name) : NULL;
}

int policy_slot_take(void *mem, size_t len, const char *what, struct policy_slot *ps)
{
	char err[256];

	ps->mem = mem;
	if (blob_open(mem, len, 0, &ps->b, err, sizeof(err))) {
		free(mem);
		ps->mem = NULL;
		return error("%s: %s", what, err), EXIT_INVALID;
	}
	sha256_hex(ps->b.hdr->digest, ps->ecs.digest_hex);
	ps->ecs.selector = selector_name;
	return 0;
}

int policy_slot_blocks(const struct policy_slot *ps)
{
	for (size_t i = 0; i < ps->b.nresp; i++)
		if (ps->b.resp[i].actions & D4C_ACTION_BLOCK)
			return 1;
	return 0;
}

/* ---- probing the kernel ------------------------------------------------- */

/* Loads and attaches a program that allows everything at lsm/file_open:
 * the only sure test that BPF LSM programs work on this kernel. */
static int probe_lsm(char *err, size_t errlen)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, o, .expected_attach_type = BPF_LSM_MAC);
	int id, fd, lfd;

	id = libbpf_find_vmlinux_btf_id("file_open", BPF_LSM_MAC);
	if (id < 0) {
		snprintf(err, errlen, "no bpf_lsm_file_open in the kernel's BTF");
		return 0;
	}
	o.attach_btf_id = id;
	fd = bpf_prog_load(BPF_PROG_TYPE_LSM, "d4c_probe", "GPL", insns, 2, &o);
	if (fd < 0) {
		snprintf(err, errlen, "loading an LSM program: %s", strerror(errno));
		return 0;
	}
	lfd = bpf_link_create(fd, 0, BPF_LSM_MAC, NULL);
	if (lfd < 0) {
		snprintf(err, errlen, "attaching an LSM program: %s", strerror(errno));
		close(fd);
		return 0;
	}
	close(lfd);
	close(fd);
	return 1;
}

/* The number of arguments of LSM hook HOOK in BTF (bpf_lsm_HOOK), or -1. */
static int hook_nargs(const struct btf *btf, const char *hook)
{
	char name[64];
	const struct btf_type *t;
	int id;

	if (!btf)
		return -1;
	snprintf(name, sizeof(name), "bpf_lsm_%s", hook);
	id = btf__find_by_name_kind(btf, name, BTF_KIND_FUNC);
	if (id < 0)
		return -1;
	t = btf__type_by_id(btf, btf__type_by_id(btf, id)->type);
	return t && btf_is_func_proto(t) ? btf_vlen(t) : -1;
}

/*
 * Which build of the kernel programs runs: the one with bpf_loop where
 * the kernel has the helper, else the one with bounded loops;
 * D4C_BPF_VARIANT (bpf_loop or bounded) overrides, to test either.
 */
static void probe_variant(struct loader_probe *p)
{
	const char *v = getenv("D4C_BPF_VARIANT");
	struct btf *btf = btf__load_vmlinux_btf();
	struct utsname u;
	int n;

	if (!uname(&u))
		snprintf(p->kernel, sizeof(p->kernel), "%s", u.release);
	/* a tracepoint program may call every helper a tracing one may */
	p->bpf_loop = libbpf_probe_bpf_helper(BPF_PROG_TYPE_TRACEPOINT, BPF_FUNC_loop, NULL) == 1;
	if (v && (!strcmp(v, "bpf_loop") || !strcmp(v, "bounded"))) {
		p->variant = !strcmp(v, "bpf_loop") ? "bpf_loop" : "bounded";
		snprintf(p->variant_why, sizeof(p->variant_why), "D4C_BPF_VARIANT=%s", v);
	} else {
		if (v && *v)
			warning("D4C_BPF_VARIANT: '%s' is neither 'bpf_loop' nor 'bounded'", v);
		p->variant = p->bpf_loop ? "bpf_loop" : "bounded";
		snprintf(p->variant_why, sizeof(p->variant_why), "%s",
			 p->bpf_loop ? "the kernel has bpf_loop" :
				       "no bpf_loop (before 5.17): loops bounded at build time");
	}
	/* 5.10: (dentry, name, value, size, flags); 5.12: a user namespace
	 * first; 6.3: an idmap */
	n = hook_nargs(btf, "inode_setxattr");
	p->xattr_has_idmap = n < 0 ? -1 : n >= 6;
	/* 5.19 added the flags (an exchange used to come as two renames) */
	n = hook_nargs(btf, "path_rename");
	p->rename_has_flags = n < 0 ? -1 : n >= 5;
	btf__free(btf);
}

void loader_probe(struct loader_probe *p)
{
	char buf[512];
	FILE *f;

	char list[512] = "";
	int known = 0;

	memset(p, 0, sizeof(*p));
	p->btf = access("/sys/kernel/btf/vmlinux", R_OK) == 0;
	f = fopen("/sys/kernel/security/lsm", "r");
	if (f) {
		if (fgets(buf, sizeof(buf), f)) {
			known = 1;
			buf[strcspn(buf, "\n")] = 0;
			snprintf(list, sizeof(list), "%s", buf);
			for (char *t = strtok(buf, ","); t; t = strtok(NULL, ","))
				if (!strcmp(t, "bpf"))
					p->lsm_listed = 1;
		}
		fclose(f);
	}
	p->lsm_usable = probe_lsm(p->lsm_error, sizeof(p->lsm_error));
	/* A kernel built with BPF LSM but booted without it in lsm= (most
	 * distributions' default) lets 5.10 attach LSM programs that then
	 * never run: the list of active LSMs says so, where it can be read. */
	if (p->lsm_usable && known && !p->lsm_listed) {
		p->lsm_usable = 0;
		snprintf(p->lsm_error, sizeof(p->lsm_error),
			 "'bpf' is not an active LSM (/sys/kernel/security/lsm: %.70s)", list);
	}
	p->ringbuf = libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL) == 1;
	probe_variant(p);
}

/*
 * Opens the build of the kernel programs that VARIANT names. Both are
 * made from one source with the same maps, programs and read-only
 * variables, so the default build's skeleton serves both: only its ELF
 * bytes are swapped. Returns the skeleton or NULL (errno set).
 */
static struct d4c_bpf *open_variant(const char *variant)
{
	struct d4c_bpf *o = calloc(1, sizeof(*o));
	int err;

	if (!o)
		return NULL;
	err = d4c_bpf__create_skeleton(o);
	if (!err && !strcmp(variant, "bounded"))
		o->skeleton->data = (void *)d4c_compat_bpf__elf_bytes(&o->skeleton->data_sz);
	if (!err)
		err = bpf_object__open_skeleton(o->skeleton, NULL);
	if (err) {
		d4c_bpf__destroy(o);
		errno = -err;
		return NULL;
	}
	return o;
}

/* The skeleton of one build stands for the other: their read-only
 * variables must lie alike. */
_Static_assert(sizeof(struct d4c_bpf__rodata) == sizeof(struct d4c_compat_bpf__rodata),
	       "the two builds' read-only variables differ");
/* ---- containers ----------------------------------------------------------- */

/* Metadata that is not there yet is looked for again, quickly at first
 * (runc writes its state just before the container's first exec), for
 * about 30 s in all. */
#define PENDING_TRIES	 20
#define PENDING_FIRST_NS 5000000ull

/* cgroup id -> container: open addressing; removed cgroups are dropped
 * when it grows (cgroup ids are never reused). */

static struct cg_entry *cg_slot(struct loader *L, uint64_t id)
{
	size_t i;

	for (i = (id * 0x9e3779b97f4a7c15ull) & (L->cg.cap - 1);; i = (i + 1) & (L->cg.cap - 1))
		if (L->cg.v[i].id == id || !L->cg.v[i].id)
			return &L->cg.v[i];
}

static void cg_entry_free(struct cg_entry *e)
{
	free(e->path);
	free(e->name);
}

/* The entry of ID; when there is none, a new one if ADD, else NULL. */
static struct cg_entry *cg_find(struct loader *L, uint64_t id, int add)
{
	struct cg_entry *e = L->cg.cap ? cg_slot(L, id) : NULL;

	if (e && e->id)
		return e;
	if (!add)
		return NULL;
	if ((L->cg.n + 1) * 2 > L->cg.cap) {
		struct cg_entry *old = L->cg.v;
		size_t oldcap = L->cg.cap;

		L->cg.cap = oldcap ? oldcap * 2 : 1024;
		L->cg.v = xcalloc(L->cg.cap, sizeof(*L->cg.v));
		L->cg.n = 0;
		for (size_t k = 0; k < oldcap; k++) {
			if (!old[k].id)
				continue;
			if (old[k].gone) {
				cg_entry_free(&old[k]);
				continue;
			}
			*cg_slot(L, old[k].id) = old[k];
			L->cg.n++;
		}
		free(old);
	}
	e = cg_slot(L, id);
	e->id = id;
	L->cg.n++;
	return e;
}

/* ---- containers ----------------------------------------------------------- */

/* Fills CT (pointing into INFO) for the policy's container conditions. */
static void ct_from_info(struct loader *L, struct d4c_container *ct,
			 const struct container_info *info, char ***labels)
{
	memset(ct, 0, sizeof(*ct));
	ct->image_full_name = info->img.full_name;
	ct->image_name = info->img.name;
	ct->image_tag = info->img.tag;
	ct->cluster_id = L->opt.cluster_id;
	ct->cluster_name = L->opt.cluster_name;
	ct->namespace = info->pod_namespace;
	ct->pod_name = info->pod_name;
	*labels = NULL;
	if (info->nlabels) {
		*labels = xcalloc(info->nlabels, sizeof(char *));
		for (size_t i = 0; i < info->nlabels; i++)
			(*labels)[i] =
				xasprintf("%s:%s", info->labels[i].key,
					  info->labels[i].value ? info->labels[i].value : "");
		ct->labels = (const char *const *)*labels;
		ct->nlabels = info->nlabels;
	}
}

/* The selectors of every installed policy that container CT allows. */
static void container_masks(struct loader *L, const struct d4c_container *ct,
			    struct d4c_cgroup_val *v)
{
	for (unsigned s = 0; s < D4C_SLOTS; s++) {
		if (!L->slot[s].mem)
			continue;
		for (unsigned t = 0; t < D4C_NTYPES; t++)
			v->mask[s][t] = match_container_mask(&L->slot[s].b, t, ct);
	}
}

/* Computes and installs the masks of cgroup ID at PATH, a container's. */
static void install_cgroup(struct loader *L, uint64_t id, const char *path, int verbose)
{
	struct container_info info = { 0 };
	struct d4c_cgroup_val v = { 0 };
	struct d4c_container ct;
	struct cg_entry *e;
	char **labels;
	int r;

	r = container_resolve(L->cctx, path, &info);
	if (info.resolved == CTR_RESOLVED_NONE) {
		container_info_free(&info);
		return;
	}
	ct_from_info(L, &ct, &info, &labels);
	container_masks(L, &ct, &v);
	v.flags = D4C_EF_IN_CONTAINER | (r ? D4C_EF_CONTAINER_PENDING : 0);
	if (bpf_map_update_elem(bpf_map__fd(L->skel->maps.cgroups), &id, &v, BPF_ANY))
		warning("cannot install container '%s': %s", info.id, strerror(errno));
	e = cg_find(L, id, 1);
	snprintf(e->ctr, sizeof(e->ctr), "%s", info.id ? info.id : "");
	e->runtime = info.runtime;
	if (info.name && (!e->name || strcmp(e->name, info.name))) {
		free(e->name);
		e->name = xstrdup(info.name);
	}
	e->gone = 0;
	if (r) {
		if (!e->pending) {
			e->pending = 1;
			e->tries = 0;
			free(e->path);
			e->path = xstrdup(path);
			L->cg.npending++;
		}
		e->next_try = clock_ns(CLOCK_MONOTONIC) +
			      (PENDING_FIRST_NS << (e->tries < 10 ? e->tries : 10));
		if (++e->tries > PENDING_TRIES) {
			warning("container '%s': no metadata after %u tries (%s): container conditions "
				"do not match it",
				e->ctr, PENDING_TRIES, strerror(-r));
			e->pending = 0;
			L->cg.npending--;
		}
	} else if (e->pending) {
		e->pending = 0;
		L->cg.npending--;
	}
	if (labels) {
		for (size_t i = 0; i < info.nlabels; i++)
			free(labels[i]);
		free(labels);
	}
	container_info_free(&info);
}

/*
 * Installs cgroup ID at PATH, named like a runtime helper's (conmon), as a
 * container nothing is known of: the selectors without container
 * conditions apply to it. Its name alone cannot tell the real conmon from
 * a container's processes put in a cgroup so named to leave the policy
 * (a host process is subject to it only with --host). Its events name no
 * container.
 */
static void install_helper_cgroup(struct loader *L, uint64_t id)
{
	struct container_info info = { 0 };
	struct d4c_cgroup_val v = { 0 };
	struct d4c_container ct;
	struct cg_entry *e;
	char **labels;

	ct_from_info(L, &ct, &info, &labels);
	container_masks(L, &ct, &v);
	v.flags = D4C_EF_IN_CONTAINER;
	if (bpf_map_update_elem(bpf_map__fd(L->skel->maps.cgroups), &id, &v, BPF_ANY))
		warning("cannot install cgroup %llu: %s", (unsigned long long)id, strerror(errno));
	e = cg_find(L, id, 1);
	e->ctr[0] = '\0';
	e->gone = 0;
}

/* Installs cgroup ID at PATH when it is a container's, or named like a
 * runtime helper's. */
static void install_any_cgroup(struct loader *L, uint64_t id, const char *path, int verbose)
{
	struct ctr_ident ident;

	if (container_ident(L->cctx, path, &ident) == 0)
		install_cgroup(L, id, path, verbose);
	else if (container_cgroup_is_helper(path))
		install_helper_cgroup(L, id);
}

static int walk_one(uint64_t id, const char *path, void *arg)
{
	install_any_cgroup(arg, id, path, 0);
	return 0;
}

/* Resolves again the containers whose metadata was not there yet. */
static void retry_pending(struct loader *L)
{
	uint64_t now = clock_ns(CLOCK_MONOTONIC);
	uint64_t ids[64];
	size_t n = 0;

	/* collected first: installing may grow the table */
	for (size_t i = 0; i < L->cg.cap && n < 64; i++)
		if (L->cg.v[i].id && L->cg.v[i].pending && now >= L->cg.v[i].next_try)
			ids[n++] = L->cg.v[i].id;
	for (size_t i = 0; i < n; i++) {
		struct cg_entry *e = cg_find(L, ids[i], 0);
		char *p;

		if (!e || !e->pending)
			continue;
		p = xstrdup(e->path);
		install_cgroup(L, ids[i], p, 0);
		free(p);
	}
}

static void cgroup_gone(struct loader *L, uint64_t id)
{
	struct cg_entry *e = cg_find(L, id, 0);

	if (!e)
		return;
	bpf_map_delete_elem(bpf_map__fd(L->skel->maps.cgroups), &id);
	if (e->pending) {
		e->pending = 0;
		L->cg.npending--;
	}
	e->gone = 1;
}

/* ---- installing a policy -------------------------------------------------- */

static int update(int fd, const void *k, const void *v, const char *what)
{
	if (bpf_map_update_elem(fd, k, v, BPF_ANY))
		return error("cannot install the policy's %s: %s", what, strerror(errno));
	return 0;
}

/*
 * Deletes the entries of slot S from the hash map FD, whose keys (of
 * KEY_SIZE bytes) begin with a __u32 holding the slot at bit SHIFT.
 * Collected first: deleting while iterating restarts the iteration.
 */
static void clear_slot(int fd, size_t key_size, unsigned s, unsigned shift)
{
	size_t n = 0, cap = 0;
	char *keys = NULL, *prev = NULL, next[sizeof(struct d4c_path_key)];
	__u32 head;

	while (!bpf_map_get_next_key(fd, prev, next)) {
		if (n == cap) {
			cap = cap ? cap * 2 : 256;
			keys = xrealloc(keys, cap * key_size);
		}
		memcpy(keys + n * key_size, next, key_size);
		prev = keys + n++ * key_size;
	}
	for (size_t i = 0; i < n; i++) {
		memcpy(&head, keys + i * key_size, sizeof(head));
		if ((head >> shift & (D4C_SLOTS - 1)) == s)
			bpf_map_delete_elem(fd, keys + i * key_size);
	}
	free(keys);
}

/*
 * Marks every proper ancestor of path entry P (key PK) as having P's
 * selectors below it: what renaming a directory there carries along.
 * Returns 0, or -1 after an error (the map is full).
 */
static int install_below(int fd, const struct d4c_path_key *pk, const struct d4c_path *p)
{
	__u64 sel = p->exact | p->children | p->descendants;

	for (__u32 len = pk->len; len > 1;) {
		struct d4c_path_key ak = { .type = pk->type };
		struct d4c_path_val av = { 0 };

		while (len > 1 && pk->path[len - 1] != '/')
			len--;
		/* "/a/b" -> "/a"; "/a" -> "/" */
		len = len > 1 ? len - 1 : 1;
		ak.len = len;
		memcpy(ak.path, pk->path, len);
		bpf_map_lookup_elem(fd, &ak, &av);
		if ((av.below & sel) == sel)
			continue;
		av.below |= sel;
		if (update(fd, &ak, &av, "paths"))
			return -1;
	}
	return 0;
}

/*
 * The files and directories the policy's paths name now, by inode: their
 * other names (hard links, bind mounts made before) are decided as these.
 * Returns 0, or -1 after an error.
 */
static int install_objects(struct loader *L, unsigned s)
{
	struct objects_stats st;

	/* only the LSM hooks forget an object when its file is deleted, and
	 * only they refuse: observing, a reused inode number would mislead */
	if (!L->lsm)
		return 0;
	if (objects_install(bpf_map__fd(L->skel->maps.objects), &L->slot[s].b, s,
			    getenv("D4C_HOST_ROOT"), &st))
		return -1;
	if (st.full)
		warning("the policy's paths name more than %d files and directories: the rest "
			"are decided by the names the policy gives only (a hard link or bind "
			"mount made before d4c-load started can reach them by another)",
			OBJECTS_MAX);
	if (st.unreadable)
		warning("%lu directories under the policy's paths could not be read: what is "
			"inside them is decided by the names the policy gives only",
			st.unreadable);
	return 0;
}

/* Writes the blob of slot S into the policy maps (the slot is idle). */
static int install_policy(struct loader *L, unsigned s)
{
	const struct blob *b = &L->slot[s].b;
	struct d4c_bpf *k = L->skel;
	int fd;

	for (unsigned t = 0; t < D4C_NTYPES; t++) {
		struct d4c_resp_set rs = { 0 };
		__u32 key = s * D4C_NTYPES + t;

		if (update(bpf_map__fd(k->maps.types), &key, &b->types[t], "selector masks"))
			return -1;
		rs.n = b->types[t].nresponses;
		for (unsigned i = 0; i < rs.n && i < D4C_MAX_SELECTORS; i++)
			rs.r[i] = b->resp[b->types[t].first_response + i];
		if (update(bpf_map__fd(k->maps.responses), &key, &rs, "responses"))
			return -1;
	}
	/* stale entries of the slot's previous policy would match wrongly */
	fd = bpf_map__fd(k->maps.paths);
	clear_slot(fd, sizeof(struct d4c_path_key), s, 8);
	for (size_t i = 0; i < b->npaths; i++) {
		const struct d4c_path *p = &b->paths[i];
		struct d4c_path_key pk = { .type = s << 8 | p->type, .len = p->path.len };
		struct d4c_path_val pv = { 0 };

		if (p->path.len >= D4C_KEY_PATH)
			continue; /* longer than any path the checker allows */
		memcpy(pk.path, blob_str(b, p->path), p->path.len);
		/* an ancestor's entry may be there already, with its 'below' */
		bpf_map_lookup_elem(fd, &pk, &pv);
		pv.exact = p->exact;
		pv.children = p->children;
		pv.descendants = p->descendants;
		pv.below |= p->children | p->descendants;
		if (update(fd, &pk, &pv, "paths") || install_below(fd, &pk, p))
			return -1;
	}
	fd = bpf_map__fd(k->maps.names);
	clear_slot(fd, sizeof(struct d4c_name_key), s, 0);
	for (size_t i = 0; i < b->nnames; i++) {
		const struct d4c_name *n = &b->names[i];
		struct d4c_name_key nk = { .slot = s };
		struct d4c_name_val nv = { n->exact, n->prefix };

		if (n->name.len > 15)
			continue;
		memcpy(nk.name, blob_str(b, n->name), n->name.len);
		if (update(fd, &nk, &nv, "process names"))
			return -1;
	}
	return install_objects(L, s);
}

/* Makes slot S the one in force, with the container masks recomputed. */
static int activate(struct loader *L, unsigned s)
{
	struct d4c_config cfg = { 0 };
	__u32 zero = 0;
	int fd = bpf_map__fd(L->skel->maps.settings);

	if (bpf_map_lookup_elem(fd, &zero, &cfg))
		memset(&cfg, 0, sizeof(cfg));
	cfg.revision[s] = L->slot[s].b.hdr->revision;
	for (unsigned t = 0; t < D4C_NTYPES; t++) {
		const struct blob *b = &L->slot[s].b;

		cfg.host_mask[s][t] = L->opt.host ? match_container_mask(b, t, NULL) : 0;
		cfg.ctr_mask[s][t] = match_container_mask(b, t, NULL);
		cfg.block_sel[s][t] = 0;
		for (unsigned i = 0; i < b->types[t].nresponses; i++) {
			const struct d4c_response *r = &b->resp[b->types[t].first_response + i];

			if (r->actions & D4C_ACTION_BLOCK)
				cfg.block_sel[s][t] |= r->match;
		}
	}
	cfg.read_sel[s] = L->slot[s].b.types[D4C_TYPE_FILE].op[D4C_OP_READ_FILE];
	/* the masks of the new slot must be in place before it is in force */
	if (update(fd, &zero, &cfg, "settings"))
		return -1;
	if (container_cgroup_walk(L->cctx, walk_one, L) < 0)
		warning("cannot walk the cgroup v2 hierarchy: containers are not recognized");
	cfg.active = s;
	if (update(fd, &zero, &cfg, "settings"))
		return -1;
	L->active = s;
	return 0;
}

/*
 * Says which runtimes' containers were found at start ("containers: 2
 * runc, 1 docker"), so that a policy for containers that matches nothing
 * shows why: none was recognized.
 */
static void say_containers(struct loader *L)
{
	size_t count[CTR_RT_NSPAWN + 1] = { 0 }, total = 0;
	char msg[512];
	int len = 0;

	for (size_t i = 0; i < L->cg.cap; i++) {
		const struct cg_entry *e = &L->cg.v[i];
		int dup = 0;

		if (!e->id || e->gone || !e->ctr[0] || (unsigned)e->runtime > CTR_RT_NSPAWN)
			continue;
		/* a container with cgroups of its own below its cgroup counts once */
		for (size_t k = 0; k < i && !dup; k++)
			dup = L->cg.v[k].id && !L->cg.v[k].gone && !strcmp(L->cg.v[k].ctr, e->ctr);
		if (!dup) {
			count[e->runtime]++;
			total++;
		}
	}
	for (unsigned rt = 0; rt <= CTR_RT_NSPAWN && len < (int)sizeof(msg); rt++)
		if (count[rt])
			len += snprintf(msg + len, sizeof(msg) - len, "%s%zu %s", len ? ", " : "",
					count[rt], ctr_runtime_name(rt));
	info("containers: %s", total ? msg : "none recognized");
}

int loader_find_container(struct loader *L, int (*match)(const char *id, const char *name))
{
	for (size_t i = 0; i < L->cg.cap; i++)
		if (L->cg.v[i].id && L->cg.v[i].ctr[0] && match(L->cg.v[i].ctr, L->cg.v[i].name))
			return 1;
	return 0;
}

/* ---- events to JSON (lib/event/ecs) ----------------------------------------- */

/* The slot whose policy has REVISION (the one in force if none has). */
static const struct policy_slot *slot_of(const struct loader *L, uint64_t revision)
{
	for (unsigned s = 0; s < D4C_SLOTS; s++)
		if (L->slot[s].mem && L->slot[s].b.hdr->revision == revision)
			return &L->slot[s];
	return &L->slot[L->active];
}

int loader_event_json(struct loader *L, struct jsonw *w, const struct d4c_record *e,
		      const char *const strs[D4C_NSTR], const char *kind)
{
	return ecs_event_json(&L->ecs, w, e, strs, kind, &slot_of(L, e->revision)->ecs);
}

/* The ecs container_id callback: the container of a cgroup, by id. */
static const char *cgroup_container(void *arg, uint64_t cgroup_id)
{
	struct cg_entry *cg = cg_find(arg, cgroup_id, 0);

	return cg && cg->ctr[0] ? cg->ctr : NULL;
}

/* A cgroup came or went: containers are recognized, or forgotten. */
static void on_cgroup(struct loader *L, const struct d4c_record *e, const char *path, size_t len)
{
	char p[D4C_CGROUP_PATH + 1];
	struct ctr_ident ident;
	uint64_t id;

	memcpy(p, path, len);
	p[len] = 0;
	if (e->hook == D4C_HOOK_CGROUP_RMDIR) {
		/* the v2 hierarchy is number 0; v1 ids are another space */
		if (e->mode == 0)
			cgroup_gone(L, e->ino);
		return;
	}
	if (container_ident(L->cctx, p, &ident) && !container_cgroup_is_helper(p))
		return;
	/* the record may come from a v1 hierarchy: the v2 id is what BPF uses */
	if (container_cgroup_id(L->cctx, p, &id))
		return;
	install_any_cgroup(L, id, p, 1);
}

/*
 * Makes the absolute path of LEN bytes at P canonical in place, by its
 * text alone: "//" and "/./" collapse, "/x/.." goes, ".." at the root
 * stays at the root. (Symbolic links are not followed: the kernel saw the
 * path as the process wrote it.) Returns the new length.
 */
static size_t path_normalize(char *p, size_t len)
{
	size_t in = 0, out = 0;

	while (in < len) {
		size_t start, clen;

		while (in < len && p[in] == '/')
			in++;
		start = in;
		while (in < len && p[in] != '/')
			in++;
		clen = in - start;
		if (clen == 0 || (clen == 1 && p[start] == '.'))
			continue;
		if (clen == 2 && p[start] == '.' && p[start + 1] == '.') {
			while (out > 0 && p[out - 1] != '/')
				out--;
			if (out > 0)
				out--; /* the '/' before the dropped component */
			continue;
		}
		p[out++] = '/';
		memmove(p + out, p + start, clen);
		out += clen;
	}
	if (out == 0)
		p[out++] = '/';
	return out;
}

/* The verdict for OP on PATH (LEN bytes) with the kernel's candidates CMASK. */
static void decide_path(const struct blob *b, unsigned op, const char *path, size_t len,
			uint64_t cmask, struct d4c_verdict *v)
{
	char buf[D4C_PATH_MAX + 1];
	struct d4c_event ev = { .type = D4C_TYPE_FILE, .op = op, .path = buf };

	memcpy(buf, path, len);
	buf[len] = 0;
	match_event_cmask(b, &ev, cmask, v);
}

/*
 * A path operation the kernel saw at a syscall tracepoint: normalize its
 * paths and decide it here, with the reference matcher, from the
 * candidates the kernel found. Writes the event if the policy wants it.
 */
static void on_undecided(struct loader *L, const struct d4c_record *e, const char *strs[D4C_NSTR])
{
	struct d4c_record r = *e;
	const struct policy_slot *ps = slot_of(L, e->revision);
	char p1[D4C_PATH_MAX + 1], p2[D4C_PATH_MAX + 1];
	const char *ns[D4C_NSTR] = { p1, p2, "", "" };
	struct d4c_verdict v, v2 = { 0 };
	size_t l1, l2;

	l1 = e->len[D4C_S_PATH] < D4C_PATH_MAX ? e->len[D4C_S_PATH] : D4C_PATH_MAX;
	l2 = e->len[D4C_S_PATH2] < D4C_PATH_MAX ? e->len[D4C_S_PATH2] : D4C_PATH_MAX;
	memcpy(p1, strs[D4C_S_PATH], l1);
	memcpy(p2, strs[D4C_S_PATH2], l2);
	if (l1 == 0 || p1[0] != '/')
		return; /* the directory could not be walked */
	l1 = path_normalize(p1, l1);
	if (l2 && p2[0] == '/')
		l2 = path_normalize(p2, l2);
	switch (e->hook) {
	case D4C_HOOK_SYS_RENAME:
		decide_path(&ps->b, D4C_OP_CREATE_FILE, p1, l1, e->selectors, &v);
		if (l2)
			decide_path(&ps->b, D4C_OP_DELETE_FILE, p2, l2, e->selectors, &v2);
		break;
	case D4C_HOOK_SYS_UNLINK:
		decide_path(&ps->b, D4C_OP_DELETE_FILE, p1, l1, e->selectors, &v);
		break;
	case D4C_HOOK_SYS_CHMOD:
		decide_path(&ps->b, D4C_OP_MODIFY_FILE, p1, l1, e->selectors, &v);
		if (e->ops & (1u << D4C_OP_CREATE_EXECUTABLE))
			decide_path(&ps->b, D4C_OP_CREATE_EXECUTABLE, p1, l1, e->selectors, &v2);
		break;
	case D4C_HOOK_SYS_LINK:
	case D4C_HOOK_SYS_SYMLINK:
		decide_path(&ps->b, D4C_OP_CREATE_FILE, p1, l1, e->selectors, &v);
		break;
	case D4C_HOOK_SYS_MKNOD:
		decide_path(&ps->b, D4C_OP_CREATE_FILE, p1, l1, e->selectors, &v);
		if (e->ops & (1u << D4C_OP_CREATE_EXECUTABLE))
			decide_path(&ps->b, D4C_OP_CREATE_EXECUTABLE, p1, l1, e->selectors, &v2);
		break;
	default: /* truncate */
		decide_path(&ps->b, D4C_OP_MODIFY_FILE, p1, l1, e->selectors, &v);
		break;
	}
	r.selectors = v.selectors | v2.selectors;
	r.actions = v.actions | v2.actions;
	if (!r.actions)
		return;
	r.len[D4C_S_PATH] = l1;
	r.len[D4C_S_PATH2] = l2;
	r.len[D4C_S_CWD] = r.len[D4C_S_ARGS] = 0;
	if (r.actions & D4C_ACTION_LOG)
		L->emit(L->emit_arg, &r, ns, "event");
	if (r.actions & (D4C_ACTION_ALERT | D4C_ACTION_BLOCK))
		L->emit(L->emit_arg, &r, ns, "alert");
}

static int on_record(void *ctx, void *data, size_t size)
{
	struct loader *L = ctx;
	const struct d4c_record *e = data;
	const char *strs[D4C_NSTR];
	size_t off = sizeof(*e);

	L->received++;
	if (size < sizeof(*e))
		return 0;
	for (int i = 0; i < D4C_NSTR; i++) {
		if (off + e->len[i] > size)
			return 0; /* cannot happen: the kernel sized the record */
		strs[i] = (const char *)data + off;
		off += e->len[i];
	}
	if (e->kind == D4C_REC_CGROUP) {
		on_cgroup(L, e, strs[D4C_S_PATH], e->len[D4C_S_PATH]);
		return 0;
	}
	/* one id for the record: its event line and its alert line are one
	 * event, in two data streams */
	ecs_begin(&L->ecs);
	if (e->kind == D4C_REC_EXIT) {
		/* the kernel decides nothing at an end: it carries the decision
		 * that made the process followed (its last event's policy and
		 * selectors), else the policy in force */
		struct d4c_record r = *e;
		const struct ecs_proc *p = ecs_proc_find(&L->ecs, e->task.pid, e->task.start_ns);

		r.revision = p ? p->revision : L->slot[L->active].b.hdr->revision;
		r.selectors = p ? p->selectors : 0;
		L->emit(L->emit_arg, &r, strs, "event");
		ecs_forget(&L->ecs, e->task.pid, e->task.start_ns);
		return 0;
	}
	if (e->flags & D4C_EF_UNDECIDED) {
		on_undecided(L, e, strs);
		return 0;
	}
	if (e->flags & D4C_EF_CONTAINER_PENDING) {
		struct cg_entry *cg = cg_find(L, e->task.cgroup_id, 0);

		if (cg && cg->pending)
			cg->next_try = 0; /* its processes are running: look now */
	}
	if (e->actions & D4C_ACTION_LOG)
		L->emit(L->emit_arg, e, strs, "event");
	if (e->actions & (D4C_ACTION_ALERT | D4C_ACTION_BLOCK))
		L->emit(L->emit_arg, e, strs, "alert");
	if ((e->kind == D4C_REC_EXEC || e->kind == D4C_REC_FORK) && !(e->flags & D4C_EF_DENIED))
		ecs_learn(&L->ecs, e, strs);
	return 0;
}

/* ---- counters and privileges ------------------------------------------------ */

void loader_counters(struct loader *L, uint64_t out[D4C_C_MAX])
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t *v = xcalloc(ncpu > 0 ? ncpu : 1, sizeof(*v));

	for (__u32 c = 0; c < D4C_C_MAX; c++) {
		out[c] = 0;
		if (bpf_map_lookup_elem(bpf_map__fd(L->skel->maps.counters), &c, v))
			continue;
		for (int i = 0; i < ncpu; i++)
			out[c] += v[i];
	}
	free(v);
}

/*
 * After loading, only the bpf() system call is needed (map updates on
 * SIGHUP and for new containers: CAP_BPF, or CAP_SYS_ADMIN on kernels
 * without it). Everything else goes, from every set.
 */
void loader_drop_privileges(void)
{
	int keep = prctl(PR_CAPBSET_READ, CAP_BPF) == 1 ? CAP_BPF : CAP_SYS_ADMIN;

	if (keep_capabilities(&keep, 1))
		warning("cannot drop capabilities: %s", strerror(errno));
}

/* ---- start-up check ----------------------------------------------------------- */

/*
 * The kernel may call a tracepoint's newest program only some time after
 * it is attached (seen here: up to a few hundred milliseconds while
 * another d4c-load is attached to the same tracepoints). So "in force" is
 * said only once every hook has been seen running: d4c-load does each
 * operation itself, in a scratch directory, until each program has marked
 * the "seen" map, with its own operations kept out of the policy
 * (quiet_tgid). Returns 0, or -1 when some hooks stayed silent (named).
 */
static int wait_live(struct loader *L)
{
	static const int lsm_hooks[] = {
		D4C_HOOK_BPRM_CHECK,   D4C_HOOK_TASK_ALLOC,	 D4C_HOOK_FILE_OPEN,
		D4C_HOOK_PATH_MKNOD,   D4C_HOOK_PATH_UNLINK,	 D4C_HOOK_PATH_RENAME,
		D4C_HOOK_PATH_LINK,    D4C_HOOK_PATH_TRUNCATE,	 D4C_HOOK_PATH_CHMOD,
		D4C_HOOK_PATH_SYMLINK, D4C_HOOK_FILE_PERMISSION, D4C_HOOK_MMAP_FILE,
		D4C_HOOK_INODE_CREATE, D4C_HOOK_INODE_SETXATTR,
	};
	static const int sys_hooks[] = { D4C_HOOK_SYS_ENTER, D4C_HOOK_SYS_OPEN };
	static const int sched_hooks[] = { D4C_HOOK_SCHED_FORK, D4C_HOOK_SCHED_EXEC,
					   D4C_HOOK_SCHED_EXIT };
	int sfd = bpf_map__fd(L->skel->maps.settings), seen = bpf_map__fd(L->skel->maps.seen);
	char dir[] = "/tmp/d4c-load.XXXXXX", a[64], b[64], c[64];
	struct d4c_config cfg;
	__u32 zero = 0;
	int tries, missing = 0, r = 0;

	if (!mkdtemp(dir))
		return error("cannot make a scratch directory: %s", strerror(errno));
	snprintf(a, sizeof(a), "%s/a", dir);
	snprintf(b, sizeof(b), "%s/b", dir);
	snprintf(c, sizeof(c), "%s/c", dir);
	if (bpf_map_lookup_elem(sfd, &zero, &cfg) == 0) {
		cfg.quiet_tgid = getpid();
		bpf_map_update_elem(sfd, &zero, &cfg, BPF_ANY);
	}
	for (tries = 0; tries < 500; tries++) {
		pid_t pid;
		int fd;

		/* fork, exec and exit */
		pid = fork();
		if (pid == 0) {
			execl("/bin/true", "true", (char *)NULL);
			_exit(127);
		}
		if (pid > 0)
			waitpid(pid, NULL, 0);
		/* create, open for writing, truncate, chmod, link, rename, delete */
		fd = open(a, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd >= 0)
			close(fd);
		fd = open(a, O_WRONLY | O_CLOEXEC);
		if (fd >= 0)
			close(fd);
		fd = open(a, O_WRONLY | O_CLOEXEC);
		if (fd >= 0) {
			(void)!write(fd, "", 1);
			close(fd);
		}
		(void)!setxattr(a, "user.d4c", "", 0,
				0); /* the hook runs before the file system says no */
		/* a refusal (a blocking policy) still ran the hook */
		(void)(truncate(a, 0) || chmod(a, 0600) || link(a, b) || rename(b, c) ||
		       unlink(c) || symlink(a, c) || unlink(c) || unlink(a));
		missing = 0;
#define CHECK(list)                                                   \
	for (size_t i = 0; i < sizeof(list) / sizeof(list[0]); i++) { \
		__u32 k = list[i];                                    \
		__u64 v = 0;                                          \
		if (bpf_map_lookup_elem(seen, &k, &v) || !v)          \
			missing++;                                    \
	}
		CHECK(sched_hooks);
		if (L->lsm) {
			CHECK(lsm_hooks);
		} else {
			CHECK(sys_hooks);
		}
#undef CHECK
		if (!missing)
			break;
		usleep(10000);
	}
	unlink(a);
	unlink(b);
	unlink(c);
	rmdir(dir);
	if (bpf_map_lookup_elem(sfd, &zero, &cfg) == 0) {
		cfg.quiet_tgid = 0;
		bpf_map_update_elem(sfd, &zero, &cfg, BPF_ANY);
	}
	if (missing)
		r = error("%d of the kernel programs did not run within 5 s of being attached",
			  missing);
	return r;
}

/* ---- pinning ------------------------------------------------------------------- */

#define BPF_FS_MAGIC_ 0xcafe4a11

/*
 * Makes DIR, on a BPF file system (mounting one at /sys/fs/bpf when DIR
 * is below it and none is there yet). Returns 0 or -1 after an error.
 */
static int pin_dir_make(const char *dir)
{
	struct statfs sf;

	if (!strncmp(dir, "/sys/fs/bpf/", 12) &&
	    (statfs("/sys/fs/bpf", &sf) || (unsigned long)sf.f_type != BPF_FS_MAGIC_) &&
	    mount("bpf", "/sys/fs/bpf", "bpf", 0, "mode=0700"))
		return error("cannot mount a BPF file system on '/sys/fs/bpf': %s",
			     strerror(errno));
	if (mkdir(dir, 0700) && errno != EEXIST)
		return error("cannot make '%s': %s", dir, strerror(errno));
	if (statfs(dir, &sf) || (unsigned long)sf.f_type != BPF_FS_MAGIC_)
		return error("'%s' is not on a BPF file system (mount -t bpf bpf /sys/fs/bpf)",
			     dir);
	return 0;
}

/*
 * Removes what an earlier d4c-load pinned in DIR, which detaches its
 * programs. Called once ours are attached: blocking does not stop in
 * between, and a restart (a service after a crash, with the old programs
 * still pinned) takes over instead of failing on the names in use.
 */
static void pin_dir_clear(const char *dir)
{
	char path[4096];
	struct dirent *de;
	DIR *d = opendir(dir);

	if (!d)
		return;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.' &&
		    (size_t)snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) < sizeof(path))
			unlink(path);
	closedir(d);
}

/* Pins every attached program's link in L->opt.pin_dir, in place of what
 * was pinned there. Returns 0 or -1. */
static int pin_links(struct loader *L)
{
	const struct bpf_object_skeleton *sk = L->skel->skeleton;
	char path[4096];

	if (pin_dir_make(L->opt.pin_dir))
		return -1;
	pin_dir_clear(L->opt.pin_dir);
	for (int i = 0; i < sk->prog_cnt; i++) {
		struct bpf_link *link = *sk->progs[i].link;

		if (!link)
			continue;
		snprintf(path, sizeof(path), "%s/%s", L->opt.pin_dir, sk->progs[i].name);
		if (bpf_link__pin(link, path))
			return error("cannot pin '%s': %s", path, strerror(errno));
	}
	/* a program array is emptied when its last user-space reference goes:
	 * the exits' tail-call target stays only with the array pinned */
	if (bpf_program__fd(L->skel->progs.sys_exit_common) >= 0) {
		snprintf(path, sizeof(path), "%s/sys_exit_jmp", L->opt.pin_dir);
		if (bpf_map__pin(L->skel->maps.sys_exit_jmp, path))
			return error("cannot pin '%s': %s", path, strerror(errno));
	}
	return 0;
}

/* --unpin DIR: what --pin left goes, and the programs with it. */
int loader_unpin(const char *dir)
{
	struct dirent *de;
	struct statfs sf;
	DIR *d;
	int err = 0;

	if (statfs(dir, &sf))
		die("cannot open '%s': %s", dir, strerror(errno));
	if ((unsigned long)sf.f_type != BPF_FS_MAGIC_)
		die("'%s' is not on a BPF file system: not a d4c pin directory", dir);
	d = opendir(dir);
	if (!d)
		die("cannot open '%s': %s", dir, strerror(errno));
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0))
			err = error("cannot remove '%s/%s': %s", dir, de->d_name, strerror(errno));
	}
	closedir(d);
	if (!err && rmdir(dir))
		err = error("cannot remove '%s': %s", dir, strerror(errno));
	return err ? EXIT_USAGE : EXIT_OK;
}

/* ---- the lifecycle ---------------------------------------------------------------- */

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG && !getenv("D4C_DEBUG"))
		return 0;
	if (level == LIBBPF_INFO && !getenv("D4C_DEBUG"))
		return 0;
	return vfprintf(stderr, fmt, ap);
}

int loader_reload(struct loader *L, const char *path)
{
	unsigned idle = !L->active;
	struct policy_slot fresh = { 0 };

	if (policy_slot_read(path, &fresh)) {
		warning("keeping revision %" PRIu64 " in force",
			(uint64_t)L->slot[L->active].b.hdr->revision);
		return -1;
	}
	if (policy_slot_blocks(&fresh) && !L->lsm && !L->opt.monitor) {
		free(fresh.mem);
		return error(
			"the new policy blocks and BPF LSM is not usable: keeping the old one");
	}
	free(L->slot[idle].mem);
	L->slot[idle] = fresh;
	if (install_policy(L, idle) || activate(L, idle))
		return error("cannot install the new policy: keeping revision %" PRIu64,
			     (uint64_t)L->slot[L->active].b.hdr->revision);
	info("policy revision %" PRIu64 " (%.12s) in force", (uint64_t)fresh.b.hdr->revision,
	     fresh.ecs.digest_hex);
	return 0;
}

/* The directory of the per-system-call tracepoints in tracefs, or NULL
 * when the kernel has none or tracefs is not mounted. */
static const char *syscall_tracepoints(void)
{
	static const char *const dirs[] = {
		"/sys/kernel/tracing/events/syscalls",
		"/sys/kernel/debug/tracing/events/syscalls",
	};
	char p[128];

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(p, sizeof(p), "%s/sys_enter_openat/id", dirs[i]);
		if (access(p, R_OK) == 0)
			return dirs[i];
	}
	return NULL;
}

/* Whether the kernel can run the policy in slot 0 (PR: what it supports).
 * Returns 0, or EXIT_KERNEL / EXIT_NO_LSM after saying why. */
static int check_kernel(struct loader *L, const struct loader_probe *pr)
{
	if (!pr->btf)
		return error("the kernel has no BTF (/sys/kernel/btf/vmlinux): d4c needs "
			     "CONFIG_DEBUG_INFO_BTF"),
		       EXIT_KERNEL;
	if (policy_slot_blocks(&L->slot[0]) && !L->lsm) {
		if (!L->opt.monitor)
			return error("the policy blocks, but BPF LSM is not usable (%s): boot with "
				     "'lsm=...,bpf' on the kernel command line, or run with "
				     "--monitor to observe only",
				     pr->lsm_error),
			       EXIT_NO_LSM;
		warning("--monitor: BPF LSM is not usable, nothing will be blocked");
	}
	return 0;
}

/* Loads PROG only where the tracepoint it attaches to (its section name
 * past SKIP bytes) is in the tracefs directory DIR (NULL: none). */
static void autoload_if_tracepoint(struct bpf_program *prog, const char *dir, size_t skip)
{
	char p[512];

	snprintf(p, sizeof(p), "%s/%s", dir ? dir : "", bpf_program__section_name(prog) + skip);
	bpf_program__set_autoload(prog, dir && access(p, F_OK) == 0);
}

/* Which programs are loaded: file operations at the LSM hooks, or at the
 * syscall tracepoints in TDIR (NULL: none) when there is no BPF LSM. */
static void choose_programs(struct loader *L, const char *tdir)
{
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, L->skel->obj) {
		const char *sec = bpf_program__section_name(prog);

		/* D4C_DEBUG=stats: the verifier's statistics of every program */
		if (getenv("D4C_DEBUG") && !strcmp(getenv("D4C_DEBUG"), "stats"))
			bpf_program__set_log_level(prog, 4);

		if (bpf_program__type(prog) == BPF_PROG_TYPE_LSM)
			bpf_program__set_autoload(prog, L->lsm);
		else if (!strncmp(sec, "tracepoint/syscalls/", 20))
			autoload_if_tracepoint(prog, tdir, 20);
	}
}

/* Failed execs: only for d4c-trace -x, at the syscall tracepoints whether
 * or not file operations use them. */
static void choose_failed_execs(struct loader *L)
{
	const char *xdir = L->opt.failed_execs ? syscall_tracepoints() : NULL;
	struct bpf_program *x[] = {
		L->skel->progs.tp_enter_execve,
		L->skel->progs.tp_exit_execve,
		L->skel->progs.tp_enter_execveat,
		L->skel->progs.tp_exit_execveat,
	};

	/* without tracefs the raw sys_enter and sys_exit see them, where
	 * they run: not with BPF LSM */
	L->skel->rodata->report_failed_execs = L->opt.failed_execs;
	if (L->opt.failed_execs && !xdir && L->lsm)
		warning("no syscall tracepoints (mount tracefs): failed execs cannot be seen");
	for (size_t i = 0; i < sizeof(x) / sizeof(x[0]); i++)
		autoload_if_tracepoint(x[i], xdir, 20);
}

/* A chmod's file type, seen mid-call: tracepoint mode, where the kernel
 * has the tracepoints (6.13 and later). */
static void choose_chmod(struct loader *L)
{
	struct btf *vb = L->lsm ? NULL : btf__load_vmlinux_btf();
	struct bpf_program *x[] = {
		L->skel->progs.chmod_ctime_xchg,
		L->skel->progs.chmod_ctime_skip,
		L->skel->progs.chmod_ctime_set,
	};

	for (size_t i = 0; i < sizeof(x) / sizeof(x[0]); i++) {
		char t[128];

		snprintf(t, sizeof(t), "btf_trace_%s", bpf_program__section_name(x[i]) + 7);
		bpf_program__set_autoload(x[i], vb && btf__find_by_name_kind(vb, t,
									     BTF_KIND_TYPEDEF) > 0);
	}
	btf__free(vb);
}

/* Opens the build PR chose and sets what is decided before loading:
 * constants, map sizes, the programs. *TDIR: the syscall tracepoints file
 * operations use (NULL: none). Returns 0, or EXIT_KERNEL after saying why. */
static int open_programs(struct loader *L, const struct loader_probe *pr, const char **tdir)
{
	L->skel = open_variant(pr->variant);
	if (!L->skel)
		return error("cannot open the BPF object: %s", strerror(errno)), EXIT_KERNEL;
	L->variant = pr->variant;
	/* unknown (no such hook in BTF): the newer layout, the programs
	 * are then not loaded anyway */
	L->skel->rodata->xattr_has_idmap = pr->xattr_has_idmap != 0;
	L->skel->rodata->rename_has_flags = pr->rename_has_flags != 0;
	bpf_map__set_max_entries(L->skel->maps.events, L->opt.ringbuf_size);
	bpf_map__set_max_entries(L->skel->maps.scratch, libbpf_num_possible_cpus());
	L->skel->rodata->wakeup_bytes = L->opt.ringbuf_size / 4 < D4C_WAKEUP_BYTES ?
						L->opt.ringbuf_size / 4 :
						D4C_WAKEUP_BYTES;
	/* file operations: at the LSM hooks when there is BPF LSM, else
	 * observed at the syscall tracepoints */
	*tdir = L->lsm ? NULL : syscall_tracepoints();
	choose_programs(L, *tdir);
	choose_failed_execs(L);
	choose_chmod(L);
	/* every system call pays for these: only where the others cannot be */
	bpf_program__set_autoload(L->skel->progs.sys_exit_common, *tdir != NULL);
	bpf_program__set_autoload(L->skel->progs.sys_enter, !L->lsm && !*tdir);
	bpf_program__set_autoload(L->skel->progs.sys_exit, !L->lsm && !*tdir);
	return 0;
}

int loader_start(struct loader *L, const struct loader_opts *o, struct policy_slot *first,
		 loader_emit_fn emit, void *arg)
{
	const char *tdir;
	struct loader_probe pr;
	int r;

	L->opt = *o;
	L->emit = emit;
	L->emit_arg = arg;
	L->slot[0] = *first;
	memset(first, 0, sizeof(*first));
	libbpf_set_print(libbpf_print);

	loader_probe(&pr);
	L->lsm = pr.lsm_usable;
	r = check_kernel(L, &pr);
	if (r)
		return r;

	L->cctx = container_ctx_new(getenv("D4C_HOST_ROOT"));
	ecs_init(&L->ecs);
	L->ecs.enforcing = L->lsm;
	L->ecs.container_id = cgroup_container;
	L->ecs.arg = L;

	r = open_programs(L, &pr, &tdir);
	if (r)
		return r;
	if (d4c_bpf__load(L->skel))
		return error("the kernel refused the BPF programs ('%s' build, %s): %s "
			     "(D4C_DEBUG=1 shows the verifier's log)",
			     pr.variant, pr.variant_why, strerror(errno)),
		       EXIT_KERNEL;
	if (strcmp(pr.variant, "bpf_loop"))
		info("kernel programs: the '%s' build (%s)", pr.variant, pr.variant_why);
	if (tdir) {
		__u32 zero = 0;
		int fd = bpf_program__fd(L->skel->progs.sys_exit_common);

		if (bpf_map_update_elem(bpf_map__fd(L->skel->maps.sys_exit_jmp), &zero, &fd,
					BPF_ANY))
			return error("cannot install the system call exit program: %s",
				     strerror(errno)),
			       EXIT_KERNEL;
	}
	if (install_policy(L, 0) || activate(L, 0))
		return EXIT_KERNEL;
	/* only when containers are all the policy sees: with --host it
	 * sees everything anyway, and the line would be noise */
	if (!L->opt.host)
		say_containers(L);
	if (d4c_bpf__attach(L->skel))
		return error("cannot attach the BPF programs: %s", strerror(errno)), EXIT_KERNEL;
	if (wait_live(L))
		return EXIT_KERNEL;
	if (L->opt.pin_dir && pin_links(L))
		return EXIT_USAGE;
	L->rb = ring_buffer__new(bpf_map__fd(L->skel->maps.events), on_record, L, NULL);
	if (!L->rb)
		return error("cannot open the ring buffer: %s", strerror(errno)), EXIT_KERNEL;
	return 0;
}

/*
 * The ring buffer lost records: one may have been a new container's
 * cgroup. Its processes are enforced meanwhile with the selectors that
 * apply to every container (the kernel knows them for a container); the
 * rest wait for this walk of the hierarchy, once a second at most.
 */
static void rescan_after_loss(struct loader *L)
{
	uint64_t c[D4C_C_MAX], now = clock_ns(CLOCK_MONOTONIC);

	if (now < L->lost_checked + 1000000000ull)
		return;
	L->lost_checked = now;
	loader_counters(L, c);
	if (c[D4C_C_LOST] == L->lost_seen)
		return;
	L->lost_seen = c[D4C_C_LOST];
	if (container_cgroup_walk(L->cctx, walk_one, L) < 0)
		warning("cannot walk the cgroup v2 hierarchy: containers are not recognized");
}

int loader_poll(struct loader *L, int timeout_ms)
{
	int n = ring_buffer__poll(L->rb, L->cg.npending && timeout_ms > 5 ? 5 : timeout_ms);

	/* a poll that timed out read nothing: records wait for a wake-up
	 * only up to a batch, so take what is there */
	if (n >= 0)
		n = ring_buffer__consume(L->rb);
	if (L->cg.npending)
		retry_pending(L);
	rescan_after_loss(L);
	return n;
}

void loader_stop(struct loader *L)
{
	/* detach first, then drain (pinned links stay: closing our
	 * descriptors does not detach them) */
	if (!L->skel)
		return;
	if (!L->opt.pin_dir)
		d4c_bpf__detach(L->skel);
	else
		info("programs stay attached, pinned in '%s': 'd4c-load --unpin %s' removes them",
		     L->opt.pin_dir, L->opt.pin_dir);
	if (L->rb)
		ring_buffer__consume(L->rb);
}

void loader_free(struct loader *L)
{
	ring_buffer__free(L->rb);
	d4c_bpf__destroy(L->skel);
	for (unsigned s = 0; s < D4C_SLOTS; s++)
		free(L->slot[s].mem);
	if (L->cctx)
		container_ctx_free(L->cctx);
	for (size_t i = 0; i < L->cg.cap; i++)
		cg_entry_free(&L->cg.v[i]);
	free(L->cg.v);
	ecs_free(&L->ecs);
	memset(L, 0, sizeof(*L));
}

const char *loader_container_of(struct loader *L, uint64_t cgroup_id, const char **name)
{
	struct cg_entry *e = cg_find(L, cgroup_id, 0);

	*name = e ? e->name : NULL;
	return e && e->ctr[0] ? e->ctr : NULL;
}

unsigned long loader_ringbuf_arg(const char *s)
{
	uint64_t v;

	if (parse_size(s, &v) || v < 4096 || v > (1ul << 30) || (v & (v - 1)))
		usage_error("--ringbuf-size: '%s' is not a power of two from 4096 to 1G", s);
	return v;
}
