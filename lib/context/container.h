/*
 * container.h - from a process or a cgroup to the container it runs in:
 * which runtime started it, its id, its pod, and the metadata the runtime
 * left on the node (name, image, pod name and namespace, labels, whether it
 * is privileged).
 *
 * Every d4c program that needs container context shares this module:
 * d4c-load computes per-container policy masks keyed by cgroup id, and
 * d4c-enrich fills the container.* and orchestrator.* event fields. It reads
 * plain files only (no network, no runtime API), and every path it reads is
 * put below a root prefix, so that tests and agents that see the host at
 * /host can point it at another tree. Where the facts come from:
 * container-context.md in the shared docs.
 *
 * Three steps, each usable alone:
 *  1. process -> cgroup path: container_cgroup_of_pid();
 *  2. cgroup path -> runtime, container id, pod UID, with no I/O:
 *     container_id_from_cgroup_path();
 *  3. container id -> metadata from the runtime's state files:
 *     container_resolve() (from a cgroup path) or container_resolve_id().
 * Plus the cgroup v2 id of a cgroup (what BPF sees), a walk of every cgroup,
 * and a bounded cache that remembers containers for a while after they go.
 *
 * Not done: a runc container whose cgroupsPath does not name it is not
 * recognised when its cgroup appears (its state.json comes later), only
 * once a later lookup finds it; d4c-load does not look again at such a
 * cgroup. Rootless Podman's storage is only the default one (no
 * storage.conf, no $XDG_DATA_HOME), and rootless Docker's and runc's
 * (~/.local/share/docker, $XDG_RUNTIME_DIR/runc) are not read: their
 * containers are known by id and runtime only.
 *
 * Nothing here has global state or prints: functions that can fail return a
 * negative errno value and leave the reason to the caller. A context or a
 * cache is used by one thread at a time.
 */
#ifndef D4C_CONTAINER_H
#define D4C_CONTAINER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "imageref.h"

/* The runtime (or tool) that made a container, as told by its cgroup path
 * or its metadata. */
enum ctr_runtime {
	CTR_RT_UNKNOWN = 0,
	CTR_RT_CONTAINERD_CRI, /* containerd's CRI plugin: Kubernetes */
	CTR_RT_CONTAINERD, /* containerd without CRI (ctr, other clients) */
	CTR_RT_CRIO,
	CTR_RT_DOCKER,
	CTR_RT_PODMAN,
	CTR_RT_NERDCTL,
	CTR_RT_RUNC, /* runc run directly, or a caller we cannot tell */
	CTR_RT_NSPAWN, /* systemd-nspawn: machine.slice/machine-NAME.scope */
};

/* A short word for logs and tests: "containerd-cri", "containerd", "cri-o",
 * "docker", "podman", "nerdctl", "runc", "systemd-nspawn" or "unknown". */
const char *ctr_runtime_name(enum ctr_runtime rt);
/* The value of the ECS field container.runtime: "containerd" for
 * containerd-cri, containerd and nerdctl; otherwise as ctr_runtime_name(),
 * and NULL for CTR_RT_UNKNOWN. */
const char *ctr_runtime_ecs(enum ctr_runtime rt);

/* ---- Configuration ---------------------------------------------------- */

/*
 * Where each runtime keeps the files read for metadata. Each store has a
 * list of directories, the value of the runtime's own setting, defaults
 * first:
 *   CTR_STORE_CONTAINERD  containerd's state dir (/run/containerd):
 *                         DIR/io.containerd.runtime.v2.task/NS/ID/config.json
 *   CTR_STORE_RUNC        runc --root (/run/runc): DIR/ID/state.json
 *   CTR_STORE_CRIO        CRI-O's storage run root (/run/containers/storage):
 *                         DIR/overlay-containers/ID/userdata/config.json
 *   CTR_STORE_DOCKER      Docker's data-root (/var/lib/docker):
 *                         DIR/containers/ID/config.v2.json
 *   CTR_STORE_PODMAN      Podman's storage graph root (/var/lib/containers/storage):
 *                         DIR/overlay-containers/ID/userdata/config.json and
 *                         DIR/overlay-containers/containers.json (names)
 *   CTR_STORE_MACHINES    systemd-machined's (/run/systemd/machines):
 *                         DIR/NAME, "KEY=value" lines (CLASS=container)
 */
enum ctr_store {
	CTR_STORE_CONTAINERD,
	CTR_STORE_RUNC,
	CTR_STORE_CRIO,
	CTR_STORE_DOCKER,
	CTR_STORE_PODMAN,
	CTR_STORE_MACHINES,
	CTR_NSTORES
};

#define CTR_MAX_STORE_DIRS 8

struct container_ctx;

/*
 * A context with the defaults: ROOT is put before every path read ("" or
 * NULL: the real root; "/host" when the host's file system is mounted
 * there). Never fails (allocation failure exits, as xmalloc does).
 */
struct container_ctx *container_ctx_new(const char *root);
void container_ctx_free(struct container_ctx *ctx);

/*
 * Replaces the directories of STORE by the N in DIRS (host paths, the root
 * prefix is added when reading), searched in that order. Returns 0, or
 * -EINVAL when STORE is not a store, N is more than CTR_MAX_STORE_DIRS or a
 * directory is not an absolute path.
 */
int container_ctx_set_dirs(struct container_ctx *ctx, enum ctr_store store, const char *const *dirs,
			   size_t n);

/*
 * Sets where the cgroup v2 hierarchy is mounted (a host path; NULL: detect
 * again). Returns 0, or -EINVAL when PATH is not absolute.
 */
int container_ctx_set_cgroup2_mount(struct container_ctx *ctx, const char *path);

/*
 * The cgroup v2 mount, with the root prefix: the one set, else the first
 * cgroup2 mount of ROOT/proc/self/mountinfo, preferring /sys/fs/cgroup then
 * /sys/fs/cgroup/unified (hybrid hosts), else whichever of those two
 * statfs() says is cgroup2. Detected once, then remembered. Returns NULL
 * when there is none.
 */
const char *container_ctx_cgroup2_mount(struct container_ctx *ctx);

/* ---- Cgroups ------------------------------------------------------------ */

/*
 * Chooses, from the text of /proc/PID/cgroup, the line that locates the
 * process's container and copies its path (e.g. "/kubepods/.../<id>") to
 * BUF: the cgroup v2 line ("0::") when it is not "/", else the first of the
 * memory, pids and cpuset v1 lines that is not "/" (hybrid hosts where the
 * runtime left the process at the v2 root), else "/". A " (deleted)" suffix
 * is dropped. Returns 0, -ENOENT when there is no usable line, or -ERANGE
 * when the path does not fit in LEN bytes.
 */
int container_pick_cgroup_line(const char *text, char *buf, size_t len);

/*
 * Reads ROOT/proc/PID/cgroup and picks its line as above. Returns 0, or a
 * negative errno: -ENOENT (no such process, no usable line), -ERANGE, or
 * the error of reading the file.
 */
int container_cgroup_of_pid(struct container_ctx *ctx, pid_t pid, char *buf, size_t len);

/*
 * The cgroup v2 id of the cgroup at PATH ("/" or "/system.slice/..."
 * relative to the v2 mount): the inode number of its directory, which is
 * what bpf_get_current_cgroup_id() returns. Returns 0, or -ENOENT when
 * there is no v2 mount or no such cgroup, -ENOTDIR, or another negative
 * errno from stat().
 */
int container_cgroup_id(struct container_ctx *ctx, const char *path, uint64_t *id);

/*
 * Calls FN for every cgroup of the v2 hierarchy, parents before children,
 * starting with "/", with its id and its path relative to the mount; FN
 * gives 0 to go on. Symbolic links are not followed, directories that
 * vanish during the walk are skipped, and the walk goes at most 64 levels
 * deep. Returns 0, FN's first nonzero value, or -ENOENT when there is no
 * v2 mount, or a negative errno when the mount cannot be read. Keep the
 * map fresh afterwards from the cgroup_mkdir/cgroup_rmdir tracepoints.
 */
int container_cgroup_walk(struct container_ctx *ctx,
			  int (*fn)(uint64_t id, const char *path, void *arg), void *arg);

/* ---- Cgroup path -> container id (no I/O) --------------------------------- */

#define CTR_ID_LEN	64 /* a runtime-made id: 64 lower-case hex digits */
#define CTR_ID_MAX	128 /* any id: also a name given to runc or systemd-nspawn */
#define CTR_POD_UID_MAX 36 /* 8-4-4-4-12 UUID, or 32 hex digits (static pods) */

struct ctr_ident {
	enum ctr_runtime runtime;
	int guessed; /* RUNTIME is a guess from the path's depth ("/<ns>/<id>"),
		      * not a name in it: the runtime's own files know better */
	char id[CTR_ID_MAX + 1];
	char pod_uid[CTR_POD_UID_MAX + 1]; /* with dashes; "" when not in the path */
	long user; /* UID when the cgroup is below a user's own systemd
		    * (user.slice/.../user@UID.service/...: rootless Podman),
		    * whose metadata only that user's storage holds; else -1 */
};

/*
 * Tells from a cgroup path alone whether it is a container's, which runtime
 * made it, its id and its pod's UID. Understands every form of
 * container-context.md (containerd CRI with either cgroup driver, the
 * "slice:cri-containerd:<id>" form, CRI-O, Docker, Podman with its
 * "/container" child, nerdctl, ctr's "/<namespace>/<id>", runc's "/<id>"
 * and its systemd driver's "runc-<name>.scope", systemd-nspawn's
 * "machine-<name>.scope"), and the cgroups a container makes below its own
 * (the nearest id up the path wins). Ids are 64 hex digits, except in the
 * names of runc's and systemd-nspawn's scopes, which carry the name the
 * user gave. Pod sandboxes ("pause") are containers too; CRI-O's and
 * Podman's conmon cgroups are not. Returns 0 with OUT filled, or -1 (not an
 * error) when the path is not a container's: host services and sessions,
 * pod-level cgroups, "/", conmon.
 */
int container_id_from_cgroup_path(const char *path, struct ctr_ident *out);

/*
 * As container_id_from_cgroup_path(), and then what the path alone cannot
 * tell, from the runtimes' state: a cgroup of runc run by hand, whose
 * name is whatever the user called the container ("/web", or any
 * linux.cgroupsPath), is runc's when a component of the path names a
 * directory of runc's state
 * (CTR_STORE_RUNC: DIR/<name>, which runc makes before the cgroup), or
 * when, nothing else matching, the "cgroup_paths" of a DIR/<id>/state.json
 * name the cgroup or one above it (a cgroupsPath that does not name the
 * container: runc writes state.json after making the cgroup, so this
 * index of runc's cgroups is made again on a miss, at most once a second,
 * and a cgroup_mkdir seen before state.json is not recognised then);
 * and a "machine-<name>.scope" is no container when
 * systemd's /run/systemd/machines/<name> says it is a virtual machine.
 * Returns 0 with OUT filled, or -1 when the cgroup is no container's.
 */
int container_ident(struct container_ctx *ctx, const char *path, struct ctr_ident *out);

/*
 * Whether the cgroup at PATH is named like a runtime helper's (CRI-O's and
 * Podman's conmon: "crio-conmon-<id>.scope", "libpod-conmon-<id>.scope"),
 * with no container's cgroup above it: the cgroups that
 * container_id_from_cgroup_path() says are no container although their
 * name says a runtime made them. Only a name: whoever may make cgroups can
 * make one so named, so this is for naming, never a reason to exempt the
 * cgroup's processes from what applies to every container.
 */
int container_cgroup_is_helper(const char *path);

/* ---- Container id -> metadata --------------------------------------------- */

enum ctr_resolved {
	CTR_RESOLVED_NONE = 0, /* not a container (a host process) */
	CTR_RESOLVED_ID, /* id, runtime, pod UID from the cgroup path only:
				* metadata not written yet, gone, or unreadable */
	CTR_RESOLVED_FULL, /* a runtime's metadata file was read; what it did
				* not say (or said with the wrong type) is NULL */
};

enum ctr_type {
	CTR_TYPE_UNKNOWN = 0,
	CTR_TYPE_CONTAINER,
	CTR_TYPE_SANDBOX, /* a pod's sandbox ("pause") container */
};

struct ctr_kv {
	char *key;
	char *value;
};

/* Everything known of one container. Strings are NULL when unknown. */
struct container_info {
	enum ctr_resolved resolved;
	enum ctr_runtime runtime;
	enum ctr_type type;
	int privileged; /* 1, 0, or -1 when not known */
	char *id;
	char *name;
	char *image; /* the image reference as the runtime recorded it */
	struct image_ref img; /* IMAGE split; all NULL when it does not parse */
	char *pod_name;
	char *pod_namespace;
	char *pod_uid;
	char *sandbox_id; /* the pod sandbox's container id, for CRI containers */
	/* Sorted by key. Labels: CRI-O's io.kubernetes.cri-o.Labels, Docker's
	 * Config.Labels. Annotations: CRI-O's io.kubernetes.cri-o.Annotations,
	 * else the OCI spec's annotations. At most 512 of each. */
	struct ctr_kv *labels;
	size_t nlabels;
	struct ctr_kv *annotations;
	size_t nannotations;
};

/*
 * Resolves the container of the cgroup at PATH: container_ident(),
 * then container_resolve_id() with the runtime the path names as the hint
 * (one guessed from the path's depth gives way to whichever runtime's
 * files are found: a runc container at "/<group>/<id>" is runc's, not
 * containerd's), keeping the path's pod UID when the metadata has none. OUT is overwritten
 * (not freed first); release it with container_info_free() whatever the
 * result. Returns 0 with OUT->resolved == CTR_RESOLVED_FULL, or a negative
 * errno with what is known still in OUT: -ESRCH when PATH is not a
 * container's (OUT->resolved == CTR_RESOLVED_NONE), or as container_resolve_id().
 */
int container_resolve(struct container_ctx *ctx, const char *path, struct container_info *out);

/*
 * Reads the metadata of container ID from the runtimes' state files: the
 * store of HINT first (CTR_RT_UNKNOWN: no preference), then Docker,
 * containerd (namespace k8s.io first, then every other namespace), CRI-O,
 * Podman, runc (state.json, then its bundle's config.json), systemd-machined
 * (systemd-nspawn's machines: only the name). The first file
 * that parses wins; files capped at 4 MiB, hostile content gives NULL
 * fields, never a crash. Returns 0 with OUT->resolved == CTR_RESOLVED_FULL,
 * or a negative errno with OUT->resolved == CTR_RESOLVED_ID and the id and
 * runtime filled in: -ENOENT when no runtime knows ID, -EBADMSG when the
 * only files found were not JSON objects, -EFBIG when too big, another
 * errno from reading; -EINVAL (OUT->resolved == CTR_RESOLVED_NONE) when ID
 * is not a plausible id (letters, digits, "_+.-" only).
 */
int container_resolve_id(struct container_ctx *ctx, const char *id, enum ctr_runtime hint,
			 struct container_info *out);

/*
 * As container_resolve_id(), for a container whose cgroup is below the
 * systemd of user USER (struct ctr_ident's user; -1: none, the same as
 * container_resolve_id()). That user makes and names the cgroups there, so
 * one may be named as a container of the host's: its metadata is read from
 * that user's own Podman storage only, never the host's stores, as rootful
 * Podman's is, from HOME/.local/share/containers/storage (HOME from
 * ROOT/etc/passwd). As root reads a directory the user controls, no
 * symbolic link is followed below HOME, and HOME, every directory on the
 * way and each file must belong to USER (-ELOOP, -EPERM otherwise).
 */
int container_resolve_user_id(struct container_ctx *ctx, const char *id, enum ctr_runtime hint,
			      long user, struct container_info *out);

/* Frees what INFO holds and empties it: all NULL, CTR_RESOLVED_NONE,
 * privileged -1 (INFO itself is the caller's). */
void container_info_free(struct container_info *info);
/* Makes DST a deep copy of SRC (DST is overwritten, not freed first). */
void container_info_copy(struct container_info *dst, const struct container_info *src);

/* ---- Cache ---------------------------------------------------------------- */

/*
 * Remembers resolved containers by id, so that events after a container is
 * gone (a short-lived container's last events, or events read late) can
 * still be named. An entry lives until LINGER seconds after
 * container_cache_gone() reported its container gone (a put() in between
 * revives it), or until it is the least recently used entry of a full cache
 * (at most MAX entries). Times are seconds of a clock that never goes back
 * (CLOCK_MONOTONIC), given by the caller, so tests control them.
 */
struct container_cache;

struct container_cache *container_cache_new(size_t max, uint64_t linger);
void container_cache_free(struct container_cache *c);
/*
 * Stores a copy of INFO under INFO->id, replacing the entry of that id
 * (callers re-resolve entries that are not CTR_RESOLVED_FULL yet and put
 * the new result). Returns 0, or -EINVAL when INFO has no id.
 */
int container_cache_put(struct container_cache *c, const struct container_info *info, uint64_t now);
/*
 * The entry of ID, or NULL when there is none or its linger has passed. The
 * pointer is valid until the next put, gone, expire or free.
 */
const struct container_info *container_cache_get(struct container_cache *c, const char *id,
						 uint64_t now);
/* ID's container went away at NOW (its cgroup was removed). */
void container_cache_gone(struct container_cache *c, const char *id, uint64_t now);
/* Drops every entry whose linger has passed; returns how many. */
size_t container_cache_expire(struct container_cache *c, uint64_t now);
size_t container_cache_count(const struct container_cache *c);

#endif
