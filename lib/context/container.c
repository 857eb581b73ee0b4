/*
 * container.c - the container resolver (see container.h).
 *
 * Everything read comes from files that runtimes write for themselves, so
 * nothing in them is trusted: each file is capped, each JSON value is
 * type-checked and length-checked, and a value that fails is left NULL
 * rather than failing the whole container. JSON is checked whole by
 * lib/json/jscan.h (duplicate keys and nesting beyond 64 levels make a file
 * invalid, as for every d4c reader) and read from its spans, with no JSON
 * library: d4c-load, which runs as root, links this file.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "container.h"
#include "htab.h"
#include "imageref.h"
#include "jscan.h"
#include "names.h"
#include "util.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define FILE_MAX      (4u << 20) /* a metadata file (config.json, state.json, ...) */
#define PROC_MAX      (1u << 20) /* /proc/PID/cgroup */
#define FIELD_MAX     4096 /* an id, a name, an image reference, a label key */
#define VALUE_MAX     65536 /* a label's or annotation's value */
#define KV_MAX	      512 /* labels or annotations kept per container */
#define ID_MAX	      1024 /* an id given to container_resolve_id() */
#define WALK_DEPTH    64 /* cgroup levels container_cgroup_walk() descends */
#define CGROUP2_MAGIC 0x63677270u /* statfs f_type of cgroup2 (linux/magic.h) */

static const char *const rt_names[] = {
	[CTR_RT_UNKNOWN] = "unknown",	    [CTR_RT_CONTAINERD_CRI] = "containerd-cri",
	[CTR_RT_CONTAINERD] = "containerd", [CTR_RT_CRIO] = "cri-o",
	[CTR_RT_DOCKER] = "docker",	    [CTR_RT_PODMAN] = "podman",
	[CTR_RT_NERDCTL] = "nerdctl",	    [CTR_RT_RUNC] = "runc",
	[CTR_RT_NSPAWN] = "systemd-nspawn",
};

const char *ctr_runtime_name(enum ctr_runtime rt)
{
	return (unsigned)rt < ARRAY_SIZE(rt_names) ? rt_names[rt] : "unknown";
}

const char *ctr_runtime_ecs(enum ctr_runtime rt)
{
	switch (rt) {
	case CTR_RT_CONTAINERD_CRI:
	case CTR_RT_CONTAINERD:
	case CTR_RT_NERDCTL:
		return "containerd";
	case CTR_RT_CRIO:
	case CTR_RT_DOCKER:
	case CTR_RT_PODMAN:
	case CTR_RT_RUNC:
	case CTR_RT_NSPAWN:
		return rt_names[rt];
	default:
		return NULL;
	}
}

/* ---- Context ---------------------------------------------------------------- */

struct container_ctx {
	char *root; /* "" or "/host": no trailing slash */
	char *dirs[CTR_NSTORES][CTR_MAX_STORE_DIRS];
	size_t ndirs[CTR_NSTORES];
	char *cg2_set; /* the host path the caller set, or NULL */
	char *cg2; /* the mount with the root prefix, NULL when none */
	int cg2_known; /* cg2 was set or detected */
	/* runc's cgroups by path, from its state.json files: for a
	 * linux.cgroupsPath that does not name the container */
	struct runc_cg {
		char *path; /* relative to its hierarchy's mount */
		char id[CTR_ID_MAX + 1];
	} * runc_cg;
	size_t nrunc_cg;
	uint64_t runc_cg_at; /* CLOCK_MONOTONIC ns of the last build; 0: never */
};

static const char *const default_dirs[CTR_NSTORES] = {
	[CTR_STORE_CONTAINERD] = "/run/containerd",
	[CTR_STORE_RUNC] = "/run/runc",
	[CTR_STORE_CRIO] = "/run/containers/storage",
	[CTR_STORE_DOCKER] = "/var/lib/docker",
	[CTR_STORE_PODMAN] = "/var/lib/containers/storage",
	[CTR_STORE_MACHINES] = "/run/systemd/machines",
};

/* The runtime a store's files belong to when their content does not say. */
static const enum ctr_runtime store_runtime[CTR_NSTORES] = {
	[CTR_STORE_CONTAINERD] = CTR_RT_CONTAINERD,
	[CTR_STORE_RUNC] = CTR_RT_RUNC,
	[CTR_STORE_CRIO] = CTR_RT_CRIO,
	[CTR_STORE_DOCKER] = CTR_RT_DOCKER,
	[CTR_STORE_PODMAN] = CTR_RT_PODMAN,
	[CTR_STORE_MACHINES] = CTR_RT_NSPAWN,
};

static char *strip_slashes(const char *path)
{
	size_t n = strlen(path);

	while (n && path[n - 1] == '/')
		n--;
	return xstrndup(path, n);
}

struct container_ctx *container_ctx_new(const char *root)
{
	struct container_ctx *ctx = xcalloc(1, sizeof(*ctx));

	ctx->root = strip_slashes(root ? root : "");
	for (size_t s = 0; s < CTR_NSTORES; s++) {
		ctx->dirs[s][0] = xstrdup(default_dirs[s]);
		ctx->ndirs[s] = 1;
	}
	return ctx;
}

static void free_dirs(struct container_ctx *ctx, enum ctr_store store)
{
	for (size_t i = 0; i < ctx->ndirs[store]; i++)
		free(ctx->dirs[store][i]);
	ctx->ndirs[store] = 0;
}

void container_ctx_free(struct container_ctx *ctx)
{
	if (!ctx)
		return;
	for (size_t s = 0; s < CTR_NSTORES; s++)
		free_dirs(ctx, s);
	free(ctx->root);
	free(ctx->cg2_set);
	free(ctx->cg2);
	for (size_t i = 0; i < ctx->nrunc_cg; i++)
		free(ctx->runc_cg[i].path);
	free(ctx->runc_cg);
	free(ctx);
}

int container_ctx_set_dirs(struct container_ctx *ctx, enum ctr_store store, const char *const *dirs,
			   size_t n)
{
	if ((unsigned)store >= CTR_NSTORES || n > CTR_MAX_STORE_DIRS)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (!dirs[i] || dirs[i][0] != '/')
			return -EINVAL;
	free_dirs(ctx, store);
	for (size_t i = 0; i < n; i++)
		ctx->dirs[store][i] = strip_slashes(dirs[i]);
	ctx->ndirs[store] = n;
	return 0;
}

int container_ctx_set_cgroup2_mount(struct container_ctx *ctx, const char *path)
{
	if (path && path[0] != '/')
		return -EINVAL;
	free(ctx->cg2_set);
	free(ctx->cg2);
	ctx->cg2_set = path ? strip_slashes(path) : NULL;
	ctx->cg2 = NULL;
	ctx->cg2_known = 0;
	return 0;
}

/* ROOT followed by the formatted host path. */
static __attribute__((format(printf, 2, 3))) char *rpath(const struct container_ctx *ctx,
							 const char *fmt, ...)
{
	char *rel, *full;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&rel, fmt, ap);
	va_end(ap);
	if (n < 0)
		die("out of memory");
	full = xasprintf("%s%s", ctx->root, rel);
	free(rel);
	return full;
}

static int is_dir(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISDIR(st.st_mode);
}

/* Undoes the octal escapes (\040 for a space) of a mountinfo field, in place. */
static void unescape_octal(char *s)
{
	char *d = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*d++ = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 | (s[3] - '0'));
			s += 3;
		} else {
			*d++ = *s;
		}
	}
	*d = '\0';
}

/*
 * The mount point of a mountinfo line whose file system type is cgroup2
 * (ANY: or cgroup, v1): "36 25 0:31 / /sys/fs/cgroup rw,nosuid - cgroup2
 * cgroup2 rw". NULL for other lines.
 */
static char *mountinfo_cgroup(char *line, int any)
{
	char *save = NULL, *tok, *mp = NULL;
	int field = 0, after_dash = 0;

	for (tok = strtok_r(line, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save)) {
		field++;
		if (field == 5)
			mp = tok;
		else if (field > 6 && !after_dash && !strcmp(tok, "-"))
			after_dash = 1;
		else if (after_dash)
			break;
	}
	if (!mp || !tok || (strcmp(tok, "cgroup2") && (!any || strcmp(tok, "cgroup"))))
		return NULL;
	unescape_octal(mp);
	return mp;
}

static char *detect_cgroup2(const struct container_ctx *ctx)
{
	static const char *const usual[] = { "/sys/fs/cgroup", "/sys/fs/cgroup/unified" };
	char *path = rpath(ctx, "/proc/self/mountinfo"), *line = NULL, *best = NULL;
	size_t cap = 0, best_rank = ARRAY_SIZE(usual) + 1;
	FILE *f = fopen(path, "re");

	free(path);
	while (f && getline(&line, &cap, f) > 0) {
		char *mp = mountinfo_cgroup(line, 0), *full;
		size_t rank = 0;

		if (!mp)
			continue;
		while (rank < ARRAY_SIZE(usual) && strcmp(mp, usual[rank]))
			rank++;
		if (rank >= best_rank)
			continue;
		full = rpath(ctx, "%s", strcmp(mp, "/") ? mp : "");
		if (is_dir(full)) {
			free(best);
			best = full;
			best_rank = rank;
		} else {
			free(full);
		}
	}
	free(line);
	if (f)
		fclose(f);
	if (best)
		return best;
	for (size_t i = 0; i < ARRAY_SIZE(usual); i++) {
		struct statfs sfs;
		char *full = rpath(ctx, "%s", usual[i]);

		if (!statfs(full, &sfs) && (unsigned long)sfs.f_type == CGROUP2_MAGIC)
			return full;
		free(full);
	}
	return NULL;
}

const char *container_ctx_cgroup2_mount(struct container_ctx *ctx)
{
	if (!ctx->cg2_known) {
		if (ctx->cg2_set)
			ctx->cg2 = rpath(ctx, "%s", ctx->cg2_set);
		else
			ctx->cg2 = detect_cgroup2(ctx);
		ctx->cg2_known = 1;
	}
	return ctx->cg2;
}

/* ---- Cgroups ---------------------------------------------------------------- */

struct span {
	const char *s;
	size_t n;
};

static int has_controller(const char *list, size_t n, const char *name)
{
	size_t len = strlen(name);

	for (const char *p = list, *end = list + n; p < end;) {
		const char *comma = memchr(p, ',', end - p);
		size_t tok = (comma ? comma : end) - p;

		if (tok == len && !memcmp(p, name, len))
			return 1;
		p += tok + 1;
	}
	return 0;
}

int container_pick_cgroup_line(const char *text, char *buf, size_t len)
{
	static const char *const v1_order[] = { "memory", "pids", "cpuset" };
	struct span v2 = { 0 }, v1[ARRAY_SIZE(v1_order)] = { { 0 } }, *pick = NULL;
	const char *p = text;

	while (*p) {
		const char *eol = strchrnul(p, '\n');
		const char *c1 = memchr(p, ':', eol - p);
		const char *c2 = c1 ? memchr(c1 + 1, ':', eol - c1 - 1) : NULL;

		if (c2 && c2[1] == '/') {
			struct span path = { c2 + 1, eol - c2 - 1 };
			static const char deleted[] = " (deleted)";

			if (path.n > sizeof(deleted) - 1 &&
			    !memcmp(path.s + path.n - (sizeof(deleted) - 1), deleted,
				    sizeof(deleted) - 1))
				path.n -= sizeof(deleted) - 1;
			if (c1 - p == 1 && p[0] == '0' && c2 == c1 + 1) {
				if (!v2.s)
					v2 = path;
			} else {
				for (size_t i = 0; i < ARRAY_SIZE(v1_order); i++)
					if (!v1[i].s &&
					    has_controller(c1 + 1, c2 - c1 - 1, v1_order[i]))
						v1[i] = path;
			}
		}
		p = *eol ? eol + 1 : eol;
	}
	if (v2.s && v2.n > 1)
		pick = &v2;
	for (size_t i = 0; !pick && i < ARRAY_SIZE(v1); i++)
		if (v1[i].s && v1[i].n > 1)
			pick = &v1[i];
	if (!pick && v2.s)
		pick = &v2;
	for (size_t i = 0; !pick && i < ARRAY_SIZE(v1); i++)
		if (v1[i].s)
			pick = &v1[i];
	if (!pick)
		return -ENOENT;
	if (pick->n >= len)
		return -ERANGE;
	memcpy(buf, pick->s, pick->n);
	buf[pick->n] = '\0';
	return 0;
}

int container_cgroup_of_pid(struct container_ctx *ctx, pid_t pid, char *buf, size_t len)
{
	char *path = rpath(ctx, "/proc/%ld/cgroup", (long)pid), *text;
	size_t n;
	int r = read_whole_file(path, PROC_MAX, &text, &n);

	free(path);
	if (r < 0)
		return r;
	r = container_pick_cgroup_line(text, buf, len);
	free(text);
	return r;
}

int container_cgroup_id(struct container_ctx *ctx, const char *path, uint64_t *id)
{
	const char *mount = container_ctx_cgroup2_mount(ctx);
	struct stat st;
	char *full;
	int r = 0;

	if (!mount)
		return -ENOENT;
	full = xasprintf("%s%s%s", mount, path[0] == '/' ? "" : "/", path);
	if (stat(full, &st) < 0)
		r = -errno;
	else if (!S_ISDIR(st.st_mode))
		r = -ENOTDIR;
	else
		*id = st.st_ino;
	free(full);
	return r;
}

struct walk {
	int (*fn)(uint64_t id, const char *path, void *arg);
	void *arg;
	size_t mlen; /* the mount's length in PATH */
	char path[PATH_MAX];
};

/* Visits the directory W->path (LEN bytes) and below. */
static int walk_dir(struct walk *w, size_t len, int depth)
{
	struct dirent *e;
	struct stat st;
	DIR *d;
	int r;

	if (lstat(w->path, &st) < 0)
		return depth ? 0 : -errno; /* a child that vanished is no error */
	if (!S_ISDIR(st.st_mode))
		return depth ? 0 : -ENOTDIR;
	r = w->fn(st.st_ino, len == w->mlen ? "/" : w->path + w->mlen, w->arg);
	if (r || depth >= WALK_DEPTH)
		return r;
	d = opendir(w->path);
	if (!d)
		return depth ? 0 : -errno;
	while (!r && (e = readdir(d))) {
		size_t n = strlen(e->d_name);

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (e->d_type != DT_DIR && e->d_type != DT_UNKNOWN)
			continue;
		if (len + 1 + n >= sizeof(w->path))
			continue;
		w->path[len] = '/';
		memcpy(w->path + len + 1, e->d_name, n + 1);
		r = walk_dir(w, len + 1 + n, depth + 1);
		w->path[len] = '\0';
	}
	closedir(d);
	return r;
}

int container_cgroup_walk(struct container_ctx *ctx,
			  int (*fn)(uint64_t id, const char *path, void *arg), void *arg)
{
	const char *mount = container_ctx_cgroup2_mount(ctx);
	struct walk *w;
	int r;

	if (!mount)
		return -ENOENT;
	if (strlen(mount) >= sizeof(w->path))
		return -ENAMETOOLONG;
	w = xmalloc(sizeof(*w));
	w->fn = fn;
	w->arg = arg;
	w->mlen = strlen(mount);
	memcpy(w->path, mount, w->mlen + 1);
	r = walk_dir(w, w->mlen, 0);
	free(w);
	return r;
}

/* ---- Cgroup path -> container id ---------------------------------------------- */

static int is_lower_hex(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

static int is_hex_id(const char *s, size_t n)
{
	if (n != CTR_ID_LEN)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!is_lower_hex((unsigned char)s[i]))
			return 0;
	return 1;
}

static int span_is(const char *s, size_t n, const char *word)
{
	return strlen(word) == n && !memcmp(s, word, n);
}

static int span_starts(const char *s, size_t n, const char *prefix)
{
	size_t len = strlen(prefix);

	return n >= len && !memcmp(s, prefix, len);
}

enum comp_kind {
	COMP_NONE, /* says nothing: look further up */
	COMP_ID, /* a container's cgroup */
	COMP_SKIP, /* a runtime helper's (conmon): not a container */
	COMP_BARE, /* a bare id: the runtime depends on the ancestors */
};

/*
 * The prefixes that name a runtime in "PREFIX-<id>.scope" and
 * "slice:PREFIX:<id>". NAMED: the id may be a name the user chose rather
 * than 64 hex digits, in a ".scope" only (runc's systemd driver makes
 * "runc-<id>.scope" for "runc run web"; systemd-nspawn's machines are
 * "machine-<name>.scope", escaped as systemd escapes unit names).
 */
static const struct {
	const char *word;
	enum ctr_runtime rt;
	int skip, named;
} scope_prefixes[] = {
	{ "crio-conmon", CTR_RT_CRIO, 1, 0 },
	{ "libpod-conmon", CTR_RT_PODMAN, 1, 0 },
	{ "cri-containerd", CTR_RT_CONTAINERD_CRI, 0, 0 },
	{ "crio", CTR_RT_CRIO, 0, 0 },
	{ "docker", CTR_RT_DOCKER, 0, 0 },
	{ "libpod", CTR_RT_PODMAN, 0, 0 },
	{ "nerdctl", CTR_RT_NERDCTL, 0, 0 },
	{ "runc", CTR_RT_RUNC, 0, 1 },
	{ "machine", CTR_RT_NSPAWN, 0, 1 },
};

/* A name runc accepts as an id (letters, digits, "_+.-"), as it may appear
 * in a unit name (with systemd's "\x2d" escapes), of at most CTR_ID_MAX
 * bytes once unescaped. */
static int is_name_id(const char *s, size_t n)
{
	if (!n || n > 4 * CTR_ID_MAX || s[0] == '.')
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_+.-\\",
			    s[i]))
			return 0;
	return 1;
}

/* What one path component S (N bytes) says; the id goes to *ID, its
 * length to *IDLEN. */
static enum comp_kind classify(const char *s, size_t n, enum ctr_runtime *rt, const char **id,
			       size_t *idlen)
{
	int scope = 0;

	const char *c2 = memrchr(s, ':', n);

	if (c2) {
		/* "kubepods-...-pod<uid>.slice:cri-containerd:<id>" */
		const char *c1 = memrchr(s, ':', c2 - s), *word;

		if (!c1)
			return COMP_NONE;
		word = c1 + 1;
		for (size_t i = 0; i < ARRAY_SIZE(scope_prefixes); i++)
			if (span_is(word, c2 - word, scope_prefixes[i].word) &&
			    scope_prefixes[i].skip)
				return COMP_SKIP;
		if (!is_hex_id(c2 + 1, s + n - c2 - 1))
			return COMP_NONE;
		*rt = CTR_RT_UNKNOWN;
		for (size_t i = 0; i < ARRAY_SIZE(scope_prefixes); i++)
			if (span_is(word, c2 - word, scope_prefixes[i].word))
				*rt = scope_prefixes[i].rt;
		*id = c2 + 1;
		*idlen = CTR_ID_LEN;
		return COMP_ID;
	}
	if (n > 6 && !memcmp(s + n - 6, ".scope", 6)) {
		n -= 6;
		scope = 1;
	} else if (is_hex_id(s, n)) {
		*id = s;
		*idlen = CTR_ID_LEN;
		return COMP_BARE;
	}
	for (size_t i = 0; i < ARRAY_SIZE(scope_prefixes); i++) {
		size_t len = strlen(scope_prefixes[i].word);

		if (n <= len || s[len] != '-' || !span_starts(s, n, scope_prefixes[i].word))
			continue;
		if (scope_prefixes[i].skip)
			return COMP_SKIP;
		if (!is_hex_id(s + len + 1, n - len - 1) &&
		    !(scope && scope_prefixes[i].named && is_name_id(s + len + 1, n - len - 1)))
			return COMP_NONE;
		*rt = scope_prefixes[i].rt;
		*id = s + len + 1;
		*idlen = n - len - 1;
		return COMP_ID;
	}
	/* Another tool's "<word>-<id>[.scope]": a container, runtime unknown. */
	if (n > CTR_ID_LEN + 1 && s[n - CTR_ID_LEN - 1] == '-' &&
	    is_hex_id(s + n - CTR_ID_LEN, CTR_ID_LEN)) {
		*rt = CTR_RT_UNKNOWN;
		*id = s + n - CTR_ID_LEN;
		*idlen = CTR_ID_LEN;
		return COMP_ID;
	}
	return COMP_NONE;
}

/* A pod UID as found in a path: 8-4-4-4-12 hex digits with '-' or '_'
 * (systemd) between, or 32 hex digits (static pods). */
static int is_pod_uid(const char *s, size_t n)
{
	if (n == 32)
		return strspn(s, "0123456789abcdef") >= 32;
	if (n != 36)
		return 0;
	for (size_t i = 0; i < n; i++) {
		int sep = i == 8 || i == 13 || i == 18 || i == 23;

		if (sep ? s[i] != '-' && s[i] != '_' : !is_lower_hex((unsigned char)s[i]))
			return 0;
	}
	return 1;
}

/* Finds "pod<uid>" at the start of the component or after a '-', ending
 * the component, before ".slice" or before ':'. */
static int find_pod_uid(const char *s, size_t n, char *out)
{
	for (size_t i = 0; i + 3 < n; i++) {
		size_t j = i + 3, k = j;

		if (memcmp(s + i, "pod", 3) || (i && s[i - 1] != '-'))
			continue;
		while (k < n && (is_lower_hex((unsigned char)s[k]) || s[k] == '-' || s[k] == '_'))
			k++;
		if (k < n && s[k] != ':' && !span_starts(s + k, n - k, ".slice"))
			continue;
		if (!is_pod_uid(s + j, k - j))
			continue;
		for (size_t m = 0; m < k - j; m++)
			out[m] = s[j + m] == '_' ? '-' : s[j + m];
		out[k - j] = '\0';
		return 1;
	}
	return 0;
}

/* The component of PATH that ends just before END (which is a '/' or the
 * path's end, past trailing slashes); its start in *START. */
static size_t prev_component(const char *path, const char *end, const char **start)
{
	const char *s = end;

	while (s > path && s[-1] != '/')
		s--;
	*start = s;
	return end - s;
}

static const char *skip_back_slashes(const char *path, const char *end)
{
	while (end > path && end[-1] == '/')
		end--;
	return end;
}

/*
 * What PATH says of itself: the nearest component up the path that names
 * a container wins (podman's "/container" child, or cgroups a container
 * made itself), its start in *S and length in *N. A helper's name (conmon)
 * says COMP_SKIP only when no container's cgroup is above it: a container
 * that may make cgroups can name one below its own "crio-conmon-...", and
 * that must not take it out of its container.
 */
static enum comp_kind nearest(const char *path, size_t *off, size_t *n, enum ctr_runtime *rt,
			      const char **id, size_t *idlen)
{
	const char *end = skip_back_slashes(path, path + strlen(path));
	enum comp_kind kind, found = COMP_NONE;

	*off = 0;
	*n = 0;
	while (end > path) {
		const char *cs;
		size_t cn = prev_component(path, end, &cs);

		kind = classify(cs, cn, rt, id, idlen);
		if (kind == COMP_ID || kind == COMP_BARE) {
			*off = cs - path;
			*n = cn;
			return kind;
		}
		if (kind == COMP_SKIP)
			found = COMP_SKIP;
		end = skip_back_slashes(path, cs);
	}
	return found;
}

int container_cgroup_is_helper(const char *path)
{
	enum ctr_runtime rt;
	const char *id;
	size_t off, n, idlen;

	return nearest(path, &off, &n, &rt, &id, &idlen) == COMP_SKIP;
}

/*
 * The UID of the first "user@UID.service" component of PATH: a cgroup of a
 * user's own systemd instance, below which that user may make and name
 * cgroups as they please (the first one is systemd's, made by root; a
 * "user@0.service" the user made further down is theirs). Returns the UID,
 * or -1 when PATH is not in a user's systemd.
 */
static long user_service_uid(const char *path)
{
	for (const char *p = strstr(path, "/user@"); p; p = strstr(p + 1, "/user@")) {
		const char *d = p + 6, *e = d;
		unsigned long uid = 0;

		while (*e >= '0' && *e <= '9' && e - d < 10)
			uid = uid * 10 + (unsigned long)(*e++ - '0');
		if (e == d || (e - d > 1 && *d == '0') || strncmp(e, ".service", 8) ||
		    (e[8] && e[8] != '/'))
			continue;
		return uid < 0xffffffffu ? (long)uid : -1;
	}
	return -1;
}

int container_id_from_cgroup_path(const char *path, struct ctr_ident *out)
{
	const char *end, *s, *id = NULL;
	enum ctr_runtime rt = CTR_RT_UNKNOWN;
	enum comp_kind kind;
	size_t off, n, idlen = 0, k = 0, i;

	memset(out, 0, sizeof(*out));
	out->user = user_service_uid(path);
	kind = nearest(path, &off, &n, &rt, &id, &idlen);
	if (kind == COMP_NONE || kind == COMP_SKIP)
		return -1;
	s = path + off;
	if (kind == COMP_BARE) {
		/* "/docker/<id>", "/kubepods/.../pod<uid>/<id>", runc's "/<id>",
		 * ctr's "/<namespace>/<id>". */
		const char *up = skip_back_slashes(path, s), *ps;
		size_t pn = up > path ? prev_component(path, up, &ps) : 0;
		size_t depth = 0;

		for (const char *p = path; p < s; p++)
			depth += *p != '/' && (p == path || p[-1] == '/');
		if (pn && span_is(ps, pn, "docker"))
			rt = CTR_RT_DOCKER;
		else if (memmem(path, off, "kubepods", 8))
			rt = CTR_RT_CONTAINERD_CRI;
		else if (depth == 0)
			rt = CTR_RT_RUNC;
		else if (depth == 1)
			rt = CTR_RT_CONTAINERD;
		else
			rt = CTR_RT_UNKNOWN;
		out->guessed = rt == CTR_RT_RUNC || rt == CTR_RT_CONTAINERD;
	}
	out->runtime = rt;
	/* systemd escapes unit names: "machine-my\x2dbox.scope" is "my-box" */
	for (i = 0; i < idlen && k < CTR_ID_MAX; i++) {
		unsigned x;

		if (id[i] == '\\' && i + 3 < idlen && id[i + 1] == 'x' &&
		    sscanf(id + i + 2, "%2x", &x) == 1 && x && strchr("_+.-", (int)x)) {
			out->id[k++] = (char)x;
			i += 3;
		} else if (id[i] == '\\') {
			return -1;
		} else {
			out->id[k++] = id[i];
		}
	}
	if (i < idlen)
		return -1; /* too long: cut, it would name another */
	out->id[k] = '\0';
	/* The pod's UID: the nearest "pod<uid>" at or above the container. */
	for (end = s + n; end > path; end = skip_back_slashes(path, s)) {
		n = prev_component(path, end, &s);
		if (find_pod_uid(s, n, out->pod_uid))
			break;
	}
	return 0;
}

/* Whether systemd-machined says machine NAME is a virtual machine (libvirt
 * and systemd-nspawn both register theirs as "machine-<name>.scope"). */
static int machine_is_vm(const struct container_ctx *ctx, const char *name)
{
	int vm = 0;

	for (size_t i = 0; i < ctx->ndirs[CTR_STORE_MACHINES] && !vm; i++) {
		char *path = rpath(ctx, "%s/%s", ctx->dirs[CTR_STORE_MACHINES][i], name), *buf;
		size_t len;

		if (read_whole_file(path, 65536, &buf, &len) == 0) {
			vm = !strncmp(buf, "CLASS=vm\n", 9) || strstr(buf, "\nCLASS=vm\n");
			free(buf);
		}
		free(path);
	}
	return vm;
}

/* (below, with the readers of runtime files) */
struct jdoc;
struct jv {
	struct jdoc *d; /* NULL: absent */
	struct jscan_span s;
};
static int read_json(const char *path, struct jdoc **out);
static void jdoc_free(struct jdoc *d);
static struct jv jroot(struct jdoc *d);
static struct jv jget(struct jv o, const char *key);
static int jmember(struct jv o, size_t *pos, struct jv *m);
static const char *vstr(struct jv v, size_t max);
static int is_plausible_id(const char *id);

#define RUNC_CG_MAX	4096 /* cgroups kept in the index */
#define RUNC_CG_REFRESH 1000000000ull /* ns between two builds of the index */
#define CG_MOUNTS_MAX	64

/* V, a host path of a cgroup, relative to the longest of the N mounts MP
 * it is below, newly allocated; NULL when it is below none. */
static char *cgroup_rel(const char *v, char *const *mp, size_t n)
{
	size_t best = 0, found = 0;

	for (size_t i = 0; i < n; i++) {
		size_t len = strcmp(mp[i], "/") ? strlen(mp[i]) : 0;

		if ((!found || len > best) && !strncmp(v, mp[i], len) &&
		    (v[len] == '/' || !v[len])) {
			best = len;
			found = 1;
		}
	}
	if (!found)
		return NULL;
	return xstrdup(v[best] ? v + best : "/");
}

/*
 * Builds the index of runc's cgroups again, from the "cgroup_paths" of
 * every DIR/ID/state.json of CTR_STORE_RUNC (every hierarchy's, "" the
 * unified one), made relative to the cgroup mounts of
 * ROOT/proc/self/mountinfo. Files that do not parse are skipped.
 */
static void runc_index_build(struct container_ctx *ctx)
{
	char *mp[CG_MOUNTS_MAX], *line = NULL, *path = rpath(ctx, "/proc/self/mountinfo");
	size_t nmp = 0, cap = 0;
	FILE *f = fopen(path, "re");

	free(path);
	while (f && nmp < CG_MOUNTS_MAX && getline(&line, &cap, f) > 0) {
		char *m = mountinfo_cgroup(line, 1);

		if (m)
			mp[nmp++] = xstrdup(m);
	}
	free(line);
	if (f)
		fclose(f);
	for (size_t i = 0; i < ctx->nrunc_cg; i++)
		free(ctx->runc_cg[i].path);
	ctx->nrunc_cg = 0;
	for (size_t d = 0; d < ctx->ndirs[CTR_STORE_RUNC]; d++) {
		char *dir = rpath(ctx, "%s", ctx->dirs[CTR_STORE_RUNC][d]);
		DIR *dh = opendir(dir);
		struct dirent *e;

		while (dh && (e = readdir(dh)) && ctx->nrunc_cg < RUNC_CG_MAX) {
			size_t n = strlen(e->d_name), pos = 0;
			struct jdoc *state;
			struct jv v;

			if (n > CTR_ID_MAX || !is_plausible_id(e->d_name))
				continue;
			path = xasprintf("%s/%s/state.json", dir, e->d_name);
			if (read_json(path, &state) < 0) {
				free(path);
				continue;
			}
			free(path);
			while (jmember(jget(jroot(state), "cgroup_paths"), &pos, &v)) {
				const char *s = vstr(v, FIELD_MAX);
				struct runc_cg *c;
				char *rel;

				if (!s || s[0] != '/' || !(rel = cgroup_rel(s, mp, nmp)))
					continue;
				for (size_t i = 0; rel && i < ctx->nrunc_cg; i++)
					if (!strcmp(ctx->runc_cg[i].path, rel) &&
					    !strcmp(ctx->runc_cg[i].id, e->d_name)) {
						free(rel);
						rel = NULL;
					}
				if (!rel || ctx->nrunc_cg >= RUNC_CG_MAX) {
					free(rel);
					continue;
				}
				ctx->runc_cg = xrealloc(
					ctx->runc_cg, (ctx->nrunc_cg + 1) * sizeof(*ctx->runc_cg));
				c = &ctx->runc_cg[ctx->nrunc_cg++];
				c->path = rel;
				memcpy(c->id, e->d_name, n + 1);
			}
			jdoc_free(state);
		}
		if (dh)
			closedir(dh);
		free(dir);
	}
	for (size_t i = 0; i < nmp; i++)
		free(mp[i]);
}

/* The id of the runc container whose cgroup is PATH or the nearest above
 * it (a container may make cgroups below its own), or NULL. */
static const char *runc_index_find(const struct container_ctx *ctx, const char *path)
{
	const struct runc_cg *best = NULL;
	size_t plen = strlen(path);

	while (plen > 1 && path[plen - 1] == '/')
		plen--;
	for (size_t i = 0; i < ctx->nrunc_cg; i++) {
		const struct runc_cg *c = &ctx->runc_cg[i];
		size_t len = strlen(c->path);

		if (len > plen || strncmp(path, c->path, len) ||
		    (len < plen && path[len] != '/' && strcmp(c->path, "/")))
			continue;
		if (!strcmp(c->path, "/"))
			continue; /* the root is no container's */
		if (!best || len > strlen(best->path))
			best = c;
	}
	return best ? best->id : NULL;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int container_ident(struct container_ctx *ctx, const char *path, struct ctr_ident *out)
{
	const char *id;
	uint64_t now;
	const char *end = skip_back_slashes(path, path + strlen(path)), *cs;

	if (container_id_from_cgroup_path(path, out) == 0)
		return out->runtime == CTR_RT_NSPAWN && machine_is_vm(ctx, out->id) ? -1 : 0;
	if (container_cgroup_is_helper(path))
		return -1;
	/* runc run by hand: its cgroup is whatever its user named it, but
	 * runc made its state directory, named by the id, before it */
	for (; end > path; end = skip_back_slashes(path, cs)) {
		size_t cn = prev_component(path, end, &cs);

		if (cn > CTR_ID_MAX || cs[0] == '.' || !is_name_id(cs, cn) || memchr(cs, '\\', cn))
			continue;
		for (size_t i = 0; i < ctx->ndirs[CTR_STORE_RUNC]; i++) {
			char *dir =
				rpath(ctx, "%s/%.*s", ctx->dirs[CTR_STORE_RUNC][i], (int)cn, cs);
			int found = is_dir(dir);

			free(dir);
			if (!found)
				continue;
			memset(out, 0, sizeof(*out));
			out->user = user_service_uid(path);
			out->runtime = CTR_RT_RUNC;
			memcpy(out->id, cs, cn);
			out->id[cn] = '\0';
			return 0;
		}
	}
	/* a linux.cgroupsPath that does not name the container: runc's
	 * state.json knows it, once the container is created (after its
	 * cgroup); looked for again on a miss, at most once a second, as the
	 * misses are every host cgroup */
	id = runc_index_find(ctx, path);
	now = mono_ns();
	if (!id && (!ctx->runc_cg_at || now - ctx->runc_cg_at >= RUNC_CG_REFRESH)) {
		runc_index_build(ctx);
		ctx->runc_cg_at = now ? now : 1;
		id = runc_index_find(ctx, path);
	}
	if (!id)
		return -1;
	memset(out, 0, sizeof(*out));
	out->user = user_service_uid(path);
	out->runtime = CTR_RT_RUNC;
	snprintf(out->id, sizeof(out->id), "%s", id);
	return 0;
}

/* ---- Image references ------------------------------------------------------ */

/* ---- Container info ---------------------------------------------------------- */

static void free_kv(struct ctr_kv *kv, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(kv[i].key);
		free(kv[i].value);
	}
	free(kv);
}

void container_info_free(struct container_info *info)
{
	free(info->id);
	free(info->name);
	free(info->image);
	image_ref_free(&info->img);
	free(info->pod_name);
	free(info->pod_namespace);
	free(info->pod_uid);
	free(info->sandbox_id);
	free_kv(info->labels, info->nlabels);
	free_kv(info->annotations, info->nannotations);
	memset(info, 0, sizeof(*info));
	info->privileged = -1;
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static struct ctr_kv *copy_kv(const struct ctr_kv *kv, size_t n)
{
	struct ctr_kv *c;

	if (!kv)
		return NULL;
	c = xcalloc(n, sizeof(*c));
	for (size_t i = 0; i < n; i++) {
		c[i].key = xstrdup(kv[i].key);
		c[i].value = xstrdup(kv[i].value);
	}
	return c;
}

void container_info_copy(struct container_info *dst, const struct container_info *src)
{
	*dst = *src;
	dst->id = dup_or_null(src->id);
	dst->name = dup_or_null(src->name);
	dst->image = dup_or_null(src->image);
	dst->img.full_name = dup_or_null(src->img.full_name);
	dst->img.name = dup_or_null(src->img.name);
	dst->img.tag = dup_or_null(src->img.tag);
	dst->img.digest = dup_or_null(src->img.digest);
	dst->pod_name = dup_or_null(src->pod_name);
	dst->pod_namespace = dup_or_null(src->pod_namespace);
	dst->pod_uid = dup_or_null(src->pod_uid);
	dst->sandbox_id = dup_or_null(src->sandbox_id);
	dst->labels = copy_kv(src->labels, src->nlabels);
	dst->annotations = copy_kv(src->annotations, src->nannotations);
}

static void info_init(struct container_info *info)
{
	memset(info, 0, sizeof(*info));
	info->privileged = -1;
}

/* ---- Reading runtime files ------------------------------------------------- */

/*
 * A JSON document read whole: its text, checked by jscan_doc(), and the
 * strings decoded from it so far, which live as long as it does (as
 * jansson's did), so that lookups hand out plain C strings.
 */
struct jdoc {
	char *text;
	struct jscan_span root;
	char **strs;
	size_t nstrs;
};

/*
 * Takes TEXT (LEN bytes and a NUL, from malloc) as a document whose value
 * is an object (TOP '{') or an array ('['). Returns it, or NULL (TEXT
 * freed) when TEXT is not that.
 */
static struct jdoc *jdoc_parse(char *text, size_t len, char top)
{
	struct jdoc *d;
	struct jscan_span root;
	const char *why;
	size_t at;

	if (jscan_doc(text, len, &root, &why, &at) < 0 || root.type != top) {
		free(text);
		return NULL;
	}
	d = xcalloc(1, sizeof(*d));
	d->text = text;
	d->root = root;
	return d;
}

static void jdoc_free(struct jdoc *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->nstrs; i++)
		free(d->strs[i]);
	free(d->strs);
	free(d->text);
	free(d);
}

/* A value (struct jv: its document and span) stands where a json_t * would:
 * absent (D NULL) when a lookup finds nothing, and every function below
 * takes an absent value and gives one back, so lookups chain. */
static struct jv jroot(struct jdoc *d)
{
	return d ? (struct jv){ d, d->root } : (struct jv){ NULL, { .kstart = -1 } };
}

/* O[KEY], absent when O is absent, not an object, or has no KEY. */
static struct jv jget(struct jv o, const char *key)
{
	struct jv m = { NULL, { .kstart = -1 } };

	if (o.d && jscan_get(o.d->text, &o.s, key, &m.s))
		m.d = o.d;
	return m;
}

static char jtype(struct jv v)
{
	return v.d ? v.s.type : 0;
}

/* The members of object O (none when O is no object), from *POS 0 on. */
static int jmember(struct jv o, size_t *pos, struct jv *m)
{
	m->d = o.d;
	return jtype(o) == '{' && jscan_next(o.d->text, &o.s, pos, &m->s);
}

/* The elements of array A (none when A is no array), from *POS 0 on. */
static int jelem(struct jv a, size_t *pos, struct jv *m)
{
	m->d = a.d;
	return jtype(a) == '[' && jscan_next(a.d->text, &a.s, pos, &m->s);
}

/*
 * Reads PATH, a regular file of at most FILE_MAX bytes (never a FIFO or a
 * device, which could block), as a JSON object. Returns 0, -EBADMSG when it
 * is not a JSON object (truncated, not UTF-8, too deep, a key twice), or
 * the errno of reading it.
 */
static int read_json(const char *path, struct jdoc **out)
{
	struct stat st;
	size_t len;
	char *buf;
	int r;

	if (stat(path, &st) < 0)
		return -errno;
	if (S_ISDIR(st.st_mode))
		return -EISDIR;
	if (!S_ISREG(st.st_mode))
		return -EBADMSG;
	if ((uint64_t)st.st_size > FILE_MAX)
		return -EFBIG;
	r = read_whole_file(path, FILE_MAX, &buf, &len);
	if (r < 0)
		return r;
	*out = jdoc_parse(buf, len, '{');
	return *out ? 0 : -EBADMSG;
}

/* V as a C string of at most MAX bytes, or NULL (not a string, too long,
 * with a NUL). The string lives as long as V's document. */
static const char *vstr(struct jv v, size_t max)
{
	struct jdoc *d = v.d;
	char *s;

	if (jtype(v) != '"' || !(s = jscan_strdup(d->text, v.s.vstart, max, NULL)))
		return NULL;
	d->strs = xrealloc(d->strs, (d->nstrs + 1) * sizeof(*d->strs));
	d->strs[d->nstrs++] = s;
	return s;
}

/* OBJ[KEY] as a non-empty string of at most FIELD_MAX bytes, or NULL. */
static const char *jstr(struct jv obj, const char *key)
{
	const char *s = vstr(jget(obj, key), FIELD_MAX);

	return s && *s ? s : NULL;
}

/* Sets *DST to a copy of S unless *DST is set already (an earlier, better
 * source) or S is NULL: calls in order of preference. */
static void set_once(char **dst, const char *s)
{
	if (!*dst && s)
		*dst = xstrdup(s);
}

static int kv_cmp(const void *a, const void *b)
{
	return strcmp(((const struct ctr_kv *)a)->key, ((const struct ctr_kv *)b)->key);
}

/* Fills *KV from the string members of OBJ, unless it is filled already. */
static void kv_from_object(struct ctr_kv **kv, size_t *n, struct jv obj)
{
	size_t cap = 0, pos = 0;
	struct jv m;

	if (*kv || jtype(obj) != '{')
		return;
	while (jmember(obj, &pos, &m)) {
		char *key, *s;
		size_t klen;

		if (*n == KV_MAX)
			break;
		if (jtype(m) != '"')
			continue;
		key = jscan_strdup(obj.d->text, m.s.kstart, FIELD_MAX, &klen);
		s = key && klen ? jscan_strdup(obj.d->text, m.s.vstart, VALUE_MAX, NULL) : NULL;
		if (!s) {
			free(key);
			continue;
		}
		if (*n == cap) {
			cap = cap ? 2 * cap : 8;
			*kv = xrealloc(*kv, cap * sizeof(**kv));
		}
		(*kv)[*n].key = key;
		(*kv)[(*n)++].value = s;
	}
	if (*kv)
		qsort(*kv, *n, sizeof(**kv), kv_cmp);
}

/* A JSON object written as a string (CRI-O's Labels and Annotations), as a
 * document of its own (to free), or NULL. */
static struct jdoc *object_in_string(struct jv obj, const char *key)
{
	struct jv v = jget(obj, key);
	size_t len;
	char *s;

	if (jtype(v) != '"' || !(s = jscan_strdup(v.d->text, v.s.vstart, FILE_MAX, &len)))
		return NULL;
	return jdoc_parse(s, len, '{');
}

static void set_type(struct container_info *out, const char *type)
{
	if (out->type || !type)
		return;
	if (!strcmp(type, "sandbox") || !strcmp(type, "podsandbox"))
		out->type = CTR_TYPE_SANDBOX;
	else if (!strcmp(type, "container"))
		out->type = CTR_TYPE_CONTAINER;
}

/* The capabilities up to CAP_AUDIT_READ (37): every runtime that grants
 * "all capabilities" grants at least these, newer ones add more. */
#define ALL_CAPS 38

/*
 * Privileged, from an OCI spec: the bounding set holds every capability and
 * Linux masks no paths. Returns 1, 0, or -1 when the spec has no bounding
 * set to judge by.
 */
static int oci_privileged(struct jv spec)
{
	struct jv caps = jget(jget(spec, "process"), "capabilities");
	struct jv bounding = jget(caps, "bounding"), v;
	struct jv masked = jget(jget(spec, "linux"), "maskedPaths");
	uint64_t have = 0;
	size_t pos = 0;

	if (jtype(bounding) != '[')
		return -1;
	while (jelem(bounding, &pos, &v)) {
		const char *s = vstr(v, 64);

		for (unsigned k = 0; s && k < ALL_CAPS; k++)
			if (!strcmp(s, d4c_cap_name(k)))
				have |= 1ull << k;
	}
	pos = 0;
	if (jtype(masked) && !(jtype(masked) == '[' && !jelem(masked, &pos, &v)))
		return 0;
	return have == (1ull << ALL_CAPS) - 1;
}

static int has_key_prefix(struct jv obj, const char *prefix)
{
	size_t len = strlen(prefix), pos = 0;
	struct jv m;

	while (jmember(obj, &pos, &m)) {
		char *key = jscan_strdup(obj.d->text, m.s.kstart, FILE_MAX, NULL);
		int found = key && !strncmp(key, prefix, len);

		free(key);
		if (found)
			return 1;
	}
	return 0;
}

/* containerd's CRI plugin: io.kubernetes.cri.* annotations. */
static void parse_cri_containerd(struct jv ann, struct container_info *out)
{
	set_type(out, jstr(ann, "io.kubernetes.cri.container-type"));
	set_once(&out->name, jstr(ann, "io.kubernetes.cri.container-name"));
	set_once(&out->image, jstr(ann, "io.kubernetes.cri.image-name"));
	set_once(&out->pod_name, jstr(ann, "io.kubernetes.cri.sandbox-name"));
	set_once(&out->pod_namespace, jstr(ann, "io.kubernetes.cri.sandbox-namespace"));
	set_once(&out->pod_uid, jstr(ann, "io.kubernetes.cri.sandbox-uid"));
	set_once(&out->sandbox_id, jstr(ann, "io.kubernetes.cri.sandbox-id"));
}

/* CRI-O: io.kubernetes.cri-o.* annotations, the kubelet's labels both as
 * annotations and inside the Labels object. */
static void parse_crio(struct jv ann, struct container_info *out)
{
	struct jdoc *ldoc = object_in_string(ann, "io.kubernetes.cri-o.Labels");
	struct jdoc *adoc = object_in_string(ann, "io.kubernetes.cri-o.Annotations");
	struct jv labels = jroot(ldoc), annotations = jroot(adoc);

	set_type(out, jstr(ann, "io.kubernetes.cri-o.ContainerType"));
	set_once(&out->name, jstr(ann, "io.kubernetes.container.name"));
	set_once(&out->name, jstr(labels, "io.kubernetes.container.name"));
	set_once(&out->name, jstr(ann, "io.kubernetes.cri-o.ContainerName"));
	set_once(&out->image, jstr(ann, "io.kubernetes.cri-o.ImageName"));
	set_once(&out->image, jstr(ann, "io.kubernetes.cri-o.Image"));
	set_once(&out->pod_name, jstr(ann, "io.kubernetes.pod.name"));
	set_once(&out->pod_name, jstr(labels, "io.kubernetes.pod.name"));
	set_once(&out->pod_name, jstr(ann, "io.kubernetes.cri-o.KubeName"));
	set_once(&out->pod_namespace, jstr(ann, "io.kubernetes.pod.namespace"));
	set_once(&out->pod_namespace, jstr(labels, "io.kubernetes.pod.namespace"));
	set_once(&out->pod_namespace, jstr(ann, "io.kubernetes.cri-o.Namespace"));
	set_once(&out->pod_uid, jstr(ann, "io.kubernetes.pod.uid"));
	set_once(&out->pod_uid, jstr(labels, "io.kubernetes.pod.uid"));
	set_once(&out->sandbox_id, jstr(ann, "io.kubernetes.cri-o.SandboxID"));
	kv_from_object(&out->labels, &out->nlabels, labels);
	kv_from_object(&out->annotations, &out->nannotations, annotations);
	jdoc_free(ldoc);
	jdoc_free(adoc);
}

/* An OCI runtime spec (a bundle's config.json). DFLT: the runtime when
 * the annotations do not tell. */
static void parse_oci(struct jv spec, enum ctr_runtime dflt, struct container_info *out)
{
	struct jv ann = jget(spec, "annotations");
	const char *s;

	if (jtype(ann) != '{')
		ann.d = NULL;
	out->runtime = dflt;
	if ((s = jstr(ann, "io.container.manager")) && !strcmp(s, "libpod"))
		out->runtime = CTR_RT_PODMAN; /* before CRI-O: Podman sets cri-o keys too */
	else if (has_key_prefix(ann, "io.kubernetes.cri-o."))
		out->runtime = CTR_RT_CRIO;
	else if (has_key_prefix(ann, "io.kubernetes.cri."))
		out->runtime = CTR_RT_CONTAINERD_CRI;
	else if (has_key_prefix(ann, "nerdctl/"))
		out->runtime = CTR_RT_NERDCTL;

	if (out->runtime == CTR_RT_CRIO)
		parse_crio(ann, out);
	else if (out->runtime == CTR_RT_CONTAINERD_CRI)
		parse_cri_containerd(ann, out);
	else if (out->runtime == CTR_RT_NERDCTL)
		set_once(&out->name, jstr(ann, "nerdctl/name"));

	out->privileged = oci_privileged(spec);
	s = jstr(ann, "io.podman.annotations.privileged");
	if (s && !strcmp(s, "TRUE"))
		out->privileged = 1;
	else if (s && !strcmp(s, "FALSE"))
		out->privileged = 0;
	kv_from_object(&out->annotations, &out->nannotations, ann);
}

static int try_oci_file(const char *path, enum ctr_runtime dflt, struct container_info *out)
{
	struct jdoc *spec;
	int r = read_json(path, &spec);

	if (r < 0)
		return r;
	parse_oci(jroot(spec), dflt, out);
	jdoc_free(spec);
	return 0;
}

/* containerd: DIR/io.containerd.runtime.v2.task/NS/ID/config.json, k8s.io first. */
static int try_containerd(const struct container_ctx *ctx, const char *dir, const char *id,
			  struct container_info *out)
{
	char *base = rpath(ctx, "%s/io.containerd.runtime.v2.task", dir), *path;
	enum ctr_runtime dflt;
	int r, err;
	struct dirent *e;
	DIR *d;

	path = xasprintf("%s/k8s.io/%s/config.json", base, id);
	err = try_oci_file(path, CTR_RT_CONTAINERD, out);
	free(path);
	if (err != -ENOENT || !(d = opendir(base))) {
		free(base);
		return err;
	}
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || !strcmp(e->d_name, "k8s.io"))
			continue;
		path = xasprintf("%s/%s/%s/config.json", base, e->d_name, id);
		/* Docker runs its containers in containerd's "moby" namespace. */
		dflt = strcmp(e->d_name, "moby") ? CTR_RT_CONTAINERD : CTR_RT_DOCKER;
		r = try_oci_file(path, dflt, out);
		free(path);
		if (r == 0 || (r != -ENOENT && err == -ENOENT))
			err = r;
		if (r == 0)
			break;
	}
	closedir(d);
	free(base);
	return err;
}

/* runc: DIR/ID/state.json names the bundle, whose config.json has the rest. */
static int try_runc(const struct container_ctx *ctx, const char *dir, const char *id,
		    struct container_info *out)
{
	char *path = rpath(ctx, "%s/%s/state.json", dir, id);
	const char *bundle = NULL;
	struct jv labels, v;
	struct jdoc *state;
	size_t pos = 0;
	int r = read_json(path, &state);

	free(path);
	if (r < 0)
		return r;
	labels = jget(jget(jroot(state), "config"), "labels");
	while (jelem(labels, &pos, &v)) {
		const char *s = vstr(v, FIELD_MAX);

		if (s && !strncmp(s, "bundle=", 7)) {
			bundle = s + 7;
			break;
		}
	}
	if (!bundle || bundle[0] != '/' || strstr(bundle, "/../") ||
	    (strlen(bundle) >= 3 && !strcmp(bundle + strlen(bundle) - 3, "/..")))
		r = -EBADMSG;
	else {
		path = rpath(ctx, "%s/config.json", bundle);
		r = try_oci_file(path, CTR_RT_RUNC, out);
		free(path);
	}
	jdoc_free(state);
	return r;
}

/* Podman keeps names in containers/storage's containers.json (the LEN
 * bytes at BUF, taken and freed): an array of
 * { "id", "names": [...], "metadata": "{\"image-name\": ...}" }. */
static void podman_names_in(char *buf, size_t len, const char *id, struct container_info *out)
{
	struct jdoc *all = jdoc_parse(buf, len, '['), *meta;
	struct jv c, first;
	size_t pos = 0, p0;

	while (jelem(jroot(all), &pos, &c)) {
		const char *cid = jstr(c, "id");

		if (!cid || strcmp(cid, id))
			continue;
		p0 = 0;
		if (jelem(jget(c, "names"), &p0, &first))
			set_once(&out->name, vstr(first, FIELD_MAX));
		meta = object_in_string(c, "metadata");
		set_once(&out->name, jstr(jroot(meta), "name"));
		set_once(&out->image, jstr(jroot(meta), "image-name"));
		jdoc_free(meta);
		break;
	}
	jdoc_free(all);
}

static void podman_names(const struct container_ctx *ctx, const char *dir, const char *id,
			 struct container_info *out)
{
	char *path = rpath(ctx, "%s/overlay-containers/containers.json", dir), *buf;
	struct stat st;
	size_t len;

	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode) ||
	    read_whole_file(path, FILE_MAX, &buf, &len) < 0) {
		free(path);
		return;
	}
	free(path);
	podman_names_in(buf, len, id, out);
}

/* ---- Rootless Podman: a user's own storage ----------------------------------- */

/*
 * The home directory of UID in the host's ROOT/etc/passwd (at most 1 MiB),
 * newly allocated. Returns NULL when UID has no entry or its home is not an
 * absolute path without "." or ".." components.
 */
static char *passwd_home(const struct container_ctx *ctx, uid_t uid)
{
	char *path = rpath(ctx, "/etc/passwd"), *buf, *line, *save = NULL, *home = NULL;
	size_t len;
	int r = read_whole_file(path, 1u << 20, &buf, &len);

	free(path);
	if (r < 0)
		return NULL;
	for (line = strtok_r(buf, "\n", &save); line && !home; line = strtok_r(NULL, "\n", &save)) {
		char *f[7], *p = line, *end;
		size_t n = 0;

		while (n < 7) {
			f[n++] = p;
			p = strchr(p, ':');
			if (!p)
				break;
			*p++ = '\0';
		}
		if (n != 7 || !*f[2] || strchr(f[5], ':'))
			continue;
		errno = 0;
		if (strtoul(f[2], &end, 10) != uid || *end || errno)
			continue;
		if (f[5][0] == '/' && strlen(f[5]) < PATH_MAX && !strstr(f[5], "/./") &&
		    !strstr(f[5], "/../") && strcmp(f[5] + strlen(f[5]) - 2, "/.") &&
		    (strlen(f[5]) < 3 || strcmp(f[5] + strlen(f[5]) - 3, "/..")))
			home = xstrdup(f[5]);
		break;
	}
	free(buf);
	return home;
}

/*
 * Reads REL, a relative path, below the directory HOME, one component at a
 * time and without following symbolic links: this is a root process and
 * everything below HOME is the user's to change, so a link could point at
 * any file of the host (root's own Podman storage, to pass for one of its
 * containers). HOME itself, every directory on the way and the file must
 * belong to UID (a hard link to another's file does not), and the file must
 * be a regular file of at most FILE_MAX bytes, opened only once it is known
 * to be one (never a FIFO or a device). Returns 0 with the contents in *BUF
 * (NUL-terminated, to free) and their length in *LEN, or a negative errno:
 * -ENOENT, -ELOOP (a symbolic link), -EPERM (another's), -EBADMSG (not a
 * directory or not a regular file), -EFBIG, or the error of reading.
 */
static int read_user_file(const char *home, uid_t uid, const char *rel, char **buf, size_t *len)
{
	char *names = xstrdup(rel), *save = NULL, *name, proc[64];
	int dfd = open(home, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), fd, r = 0;
	struct stat st;
	struct buf b = BUF_INIT;

	*buf = NULL;
	if (dfd < 0) {
		free(names);
		return -errno;
	}
	for (name = strtok_r(names, "/", &save); name; name = strtok_r(NULL, "/", &save)) {
		int last = !save || !*save;

		if (fstat(dfd, &st) < 0) {
			r = -errno;
			break;
		}
		if (!S_ISDIR(st.st_mode)) {
			r = -EBADMSG;
			break;
		}
		if (st.st_uid != uid) {
			r = -EPERM;
			break;
		}
		fd = openat(dfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC | (last ? 0 : O_DIRECTORY));
		if (fd < 0) {
			r = errno == ENOTDIR ? -EBADMSG : -errno;
			break;
		}
		close(dfd);
		dfd = fd;
	}
	free(names);
	if (!r && fstat(dfd, &st) < 0)
		r = -errno;
	if (!r && S_ISLNK(st.st_mode))
		r = -ELOOP;
	else if (!r && !S_ISREG(st.st_mode))
		r = -EBADMSG;
	else if (!r && st.st_uid != uid)
		r = -EPERM;
	else if (!r && (uint64_t)st.st_size > FILE_MAX)
		r = -EFBIG;
	if (r) {
		close(dfd);
		return r;
	}
	/* O_PATH opened nothing: open the very file checked, through its fd */
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", dfd);
	fd = open(proc, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	r = fd < 0 ? -errno : 0;
	close(dfd);
	if (!r) {
		r = buf_read_fd(&b, fd, FILE_MAX); /* -EFBIG: it grew since fstat() */
		close(fd);
	}
	if (r) {
		buf_free(&b);
		return r;
	}
	*buf = buf_steal(&b, len);
	return 0;
}

#define USER_PODMAN ".local/share/containers/storage/overlay-containers"

/*
 * Rootless Podman's metadata of container ID, a container of user UID: as
 * rootful Podman's, from the storage below the user's home (ROOT/etc/passwd
 * says where), read with read_user_file(). Returns 0, or a negative errno as
 * try_store(): -ENOENT when UID has no home or the home no such container.
 */
static int try_user_podman(const struct container_ctx *ctx, uid_t uid, const char *id,
			   struct container_info *out)
{
	char *home = passwd_home(ctx, uid), *dir, *rel, *buf;
	struct jdoc *spec;
	size_t len;
	int r;

	if (!home)
		return -ENOENT;
	dir = rpath(ctx, "%s", home);
	free(home);
	rel = xasprintf(USER_PODMAN "/%s/userdata/config.json", id);
	r = read_user_file(dir, uid, rel, &buf, &len);
	free(rel);
	if (r == 0) {
		spec = jdoc_parse(buf, len, '{');
		if (spec)
			parse_oci(jroot(spec), CTR_RT_PODMAN, out);
		else
			r = -EBADMSG;
		jdoc_free(spec);
	}
	if (r == 0 && read_user_file(dir, uid, USER_PODMAN "/containers.json", &buf, &len) == 0)
		podman_names_in(buf, len, id, out);
	free(dir);
	return r;
}

/* Docker: DIR/containers/ID/config.v2.json, and hostconfig.json beside it. */
static int try_docker(const struct container_ctx *ctx, const char *dir, const char *id,
		      struct container_info *out)
{
	char *path = rpath(ctx, "%s/containers/%s/config.v2.json", dir, id);
	struct jv cfg, labels, priv;
	const char *name;
	struct jdoc *c, *hc = NULL;
	int r = read_json(path, &c);

	free(path);
	if (r < 0)
		return r;
	cfg = jget(jroot(c), "Config");
	labels = jget(cfg, "Labels");
	out->runtime = CTR_RT_DOCKER;
	/* Kubernetes through dockershim or cri-dockerd labels its containers. */
	set_type(out, jstr(labels, "io.kubernetes.docker.type"));
	set_once(&out->name, jstr(labels, "io.kubernetes.container.name"));
	set_once(&out->pod_name, jstr(labels, "io.kubernetes.pod.name"));
	set_once(&out->pod_namespace, jstr(labels, "io.kubernetes.pod.namespace"));
	set_once(&out->pod_uid, jstr(labels, "io.kubernetes.pod.uid"));
	set_once(&out->sandbox_id, jstr(labels, "io.kubernetes.sandbox.id"));
	name = jstr(jroot(c), "Name");
	if (name && name[0] == '/')
		name = name[1] ? name + 1 : NULL;
	set_once(&out->name, name);
	set_once(&out->image, jstr(cfg, "Image"));
	kv_from_object(&out->labels, &out->nlabels, labels);
	/* Docker writes HostConfig to hostconfig.json, not config.v2.json. */
	priv = jget(jget(jroot(c), "HostConfig"), "Privileged");
	if (jtype(priv) != 't' && jtype(priv) != 'f') {
		path = rpath(ctx, "%s/containers/%s/hostconfig.json", dir, id);
		if (read_json(path, &hc) == 0)
			priv = jget(jroot(hc), "Privileged");
		free(path);
	}
	if (jtype(priv) == 't' || jtype(priv) == 'f')
		out->privileged = jtype(priv) == 't';
	jdoc_free(hc);
	jdoc_free(c);
	return 0;
}

/* systemd-machined: DIR/NAME, "KEY=value" lines; containers only. */
static int try_machines(const struct container_ctx *ctx, const char *dir, const char *id,
			struct container_info *out)
{
	char *path = rpath(ctx, "%s/%s", dir, id), *buf, *line, *save = NULL;
	struct stat st;
	size_t len;
	int r = stat(path, &st) < 0 ? -errno : !S_ISREG(st.st_mode) ? -EBADMSG : 0;

	if (!r)
		r = read_whole_file(path, 65536, &buf, &len);
	free(path);
	if (r < 0)
		return r;
	r = -ENOENT; /* a virtual machine is no container */
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (!strcmp(line, "CLASS=container"))
			r = 0;
		else if (!strncmp(line, "NAME=", 5) && line[5] && strlen(line) <= FIELD_MAX)
			set_once(&out->name, line + 5);
	}
	free(buf);
	if (r == 0)
		out->runtime = CTR_RT_NSPAWN;
	else {
		free(out->name);
		out->name = NULL;
	}
	return r;
}

static int try_store(const struct container_ctx *ctx, enum ctr_store store, const char *dir,
		     const char *id, struct container_info *out)
{
	char *path;
	int r;

	switch (store) {
	case CTR_STORE_CONTAINERD:
		return try_containerd(ctx, dir, id, out);
	case CTR_STORE_RUNC:
		return try_runc(ctx, dir, id, out);
	case CTR_STORE_DOCKER:
		return try_docker(ctx, dir, id, out);
	case CTR_STORE_MACHINES:
		return try_machines(ctx, dir, id, out);
	case CTR_STORE_CRIO:
	case CTR_STORE_PODMAN:
		path = rpath(ctx, "%s/overlay-containers/%s/userdata/config.json", dir, id);
		r = try_oci_file(path, store_runtime[store], out);
		free(path);
		if (r == 0 && store == CTR_STORE_PODMAN)
			podman_names(ctx, dir, id, out);
		return r;
	default:
		return -ENOENT;
	}
}

static int is_plausible_id(const char *id)
{
	size_t n = strlen(id);

	return n && n <= ID_MAX && id[0] != '.' &&
	       span_all_in(id, n,
			   "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_+.-");
}

static enum ctr_store hint_store(enum ctr_runtime hint)
{
	switch (hint) {
	case CTR_RT_CRIO:
		return CTR_STORE_CRIO;
	case CTR_RT_PODMAN:
		return CTR_STORE_PODMAN;
	case CTR_RT_RUNC:
		return CTR_STORE_RUNC;
	case CTR_RT_NSPAWN:
		return CTR_STORE_MACHINES;
	case CTR_RT_CONTAINERD_CRI:
	case CTR_RT_CONTAINERD:
	case CTR_RT_NERDCTL:
		return CTR_STORE_CONTAINERD;
	default:
		return CTR_STORE_DOCKER;
	}
}

/* As container_resolve_id(); GUESSED: HINT is only a guess from a path's
 * depth, which the files found overrule. USER: the uid whose systemd the
 * cgroup is in, or -1: a user's cgroup is read from that user's Podman
 * storage only, for the user names their cgroups and could name one as a
 * container of the host's. */
static int resolve_id(struct container_ctx *ctx, const char *id, enum ctr_runtime hint, int guessed,
		      long user, struct container_info *out)
{
	static const enum ctr_store order[] = { CTR_STORE_DOCKER, CTR_STORE_CONTAINERD,
						CTR_STORE_CRIO,	  CTR_STORE_PODMAN,
						CTR_STORE_RUNC,	  CTR_STORE_MACHINES };
	enum ctr_store first = hint_store(hint);
	int err = -ENOENT;

	info_init(out);
	if (!is_plausible_id(id))
		return -EINVAL;
	out->id = xstrdup(id);
	out->runtime = hint;
	out->resolved = CTR_RESOLVED_ID;
	if (user >= 0) {
		err = try_user_podman(ctx, (uid_t)user, id, out);
		if (err == 0)
			goto found;
		return err;
	}
	for (size_t k = 0; k <= ARRAY_SIZE(order); k++) {
		enum ctr_store s = k ? order[k - 1] : first;

		if (k && s == first)
			continue;
		for (size_t i = 0; i < ctx->ndirs[s]; i++) {
			int r = try_store(ctx, s, ctx->dirs[s][i], id, out);

			if (r == 0)
				goto found;
			if (r != -ENOENT && err == -ENOENT) {
				err = r; /* it exists, but we cannot read it */
				if (out->runtime == CTR_RT_UNKNOWN)
					out->runtime = store_runtime[s];
			}
		}
	}
	return err;
found:
	out->resolved = CTR_RESOLVED_FULL;
	/* A path that named the runtime knows better than a bare runc state or
	 * a containerd namespace that nerdctl used. */
	if (hint != CTR_RT_UNKNOWN &&
	    (out->runtime == CTR_RT_UNKNOWN ||
	     (!guessed && (out->runtime == CTR_RT_RUNC ||
			   (out->runtime == CTR_RT_CONTAINERD && hint == CTR_RT_NERDCTL)))))
		out->runtime = hint;
	if (!out->type)
		out->type = CTR_TYPE_CONTAINER;
	/* "runc run web": the id is the only name the user gave */
	if (!out->name && out->runtime == CTR_RT_RUNC && !is_hex_id(id, strlen(id)))
		out->name = xstrdup(id);
	if (out->image)
		image_ref_split(out->image, &out->img);
	return 0;
}

int container_resolve_id(struct container_ctx *ctx, const char *id, enum ctr_runtime hint,
			 struct container_info *out)
{
	return resolve_id(ctx, id, hint, 0, -1, out);
}

int container_resolve_user_id(struct container_ctx *ctx, const char *id, enum ctr_runtime hint,
			      long user, struct container_info *out)
{
	return resolve_id(ctx, id, hint, 0, user, out);
}

int container_resolve(struct container_ctx *ctx, const char *path, struct container_info *out)
{
	struct ctr_ident ident;
	int r;

	if (container_ident(ctx, path, &ident) < 0) {
		info_init(out);
		return -ESRCH;
	}
	r = resolve_id(ctx, ident.id, ident.runtime, ident.guessed, ident.user, out);
	if (!out->pod_uid && ident.pod_uid[0])
		out->pod_uid = xstrdup(ident.pod_uid);
	return r;
}

/* ---- Cache ------------------------------------------------------------------ */

struct centry {
	struct hnode node; /* keyed by info.id; the LRU order */
	int gone;
	uint64_t gone_at;
	struct container_info info;
};

struct container_cache {
	struct htab h;
	uint64_t linger;
};

static bool centry_is(const struct hnode *n, const void *id)
{
	return !strcmp(htab_entry(n, struct centry, node)->info.id, id);
}

struct container_cache *container_cache_new(size_t max, uint64_t linger)
{
	struct container_cache *c = xcalloc(1, sizeof(*c));

	htab_init(&c->h, max ? max : 1);
	c->linger = linger;
	return c;
}

static struct centry *lookup(const struct container_cache *c, const char *id)
{
	struct hnode *n = htab_peek(&c->h, htab_hash_bytes(id, strlen(id)), centry_is, id);

	return n ? htab_entry(n, struct centry, node) : NULL;
}

static void drop(struct container_cache *c, struct centry *e)
{
	htab_del(&c->h, &e->node);
	container_info_free(&e->info);
	free(e);
}

static int expired(const struct container_cache *c, const struct centry *e, uint64_t now)
{
	return e->gone && now >= e->gone_at && now - e->gone_at >= c->linger;
}

void container_cache_free(struct container_cache *c)
{
	struct htab_iter it;

	if (!c)
		return;
	for (struct hnode *n = htab_iter_first(&c->h, &it); n; n = htab_iter_next(&it)) {
		struct centry *e = htab_entry(n, struct centry, node);

		container_info_free(&e->info);
		free(e);
	}
	htab_free(&c->h);
	free(c);
}

size_t container_cache_expire(struct container_cache *c, uint64_t now)
{
	size_t n = 0;

	for (struct hnode *h = htab_oldest(&c->h), *newer; h; h = newer) {
		struct centry *e = htab_entry(h, struct centry, node);

		newer = h->newer;
		if (expired(c, e, now)) {
			drop(c, e);
			n++;
		}
	}
	return n;
}

int container_cache_put(struct container_cache *c, const struct container_info *info, uint64_t now)
{
	struct centry *e;

	if (!info->id)
		return -EINVAL;
	if ((e = lookup(c, info->id))) {
		container_info_free(&e->info);
		htab_touch(&c->h, &e->node);
	} else {
		/* the expired go first, and only then the least recently used */
		if (htab_count(&c->h) >= c->h.max && !container_cache_expire(c, now))
			drop(c, htab_entry(htab_oldest(&c->h), struct centry, node));
		e = xcalloc(1, sizeof(*e));
		htab_add(&c->h, &e->node, htab_hash_bytes(info->id, strlen(info->id)));
	}
	container_info_copy(&e->info, info);
	e->gone = 0;
	return 0;
}

const struct container_info *container_cache_get(struct container_cache *c, const char *id,
						 uint64_t now)
{
	struct centry *e = lookup(c, id);

	if (!e)
		return NULL;
	if (expired(c, e, now)) {
		drop(c, e);
		return NULL;
	}
	htab_touch(&c->h, &e->node);
	return &e->info;
}

void container_cache_gone(struct container_cache *c, const char *id, uint64_t now)
{
	struct centry *e = lookup(c, id);

	if (e && !e->gone) {
		e->gone = 1;
		e->gone_at = now;
	}
}

size_t container_cache_count(const struct container_cache *c)
{
	return htab_count(&c->h);
}
