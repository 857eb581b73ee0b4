/*
 * test-container.c - the container resolver, as a description of the node:
 *
 *  - which cgroup paths are containers' (every runtime form of
 *    container-context.md) and which are not (host services, sessions,
 *    pod-level cgroups, conmon), and which /proc/PID/cgroup line counts;
 *  - how image references split into full name, name, tag and digest;
 *  - what each runtime leaves on disk and what is read from it, in a tree
 *    built here under a temporary directory exactly where each runtime puts
 *    its files (the module reads everything below a root prefix), including
 *    files that are truncated, of the wrong types, huge, or not files at all;
 *  - cgroup v2 ids and the walk of a (fake) v2 hierarchy;
 *  - the cache that remembers containers after they are gone.
 *
 * The JSON fixtures are written with single quotes, which put_json() turns
 * into double quotes, so that they read like the files they imitate.
 */
#include "config.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "container.h"
#include "tap.h"
#include "util.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define REP8(s)	      s s s s s s s s /* 8 hex digits, 8 times: a 64-digit id */

/* Container ids, one per scenario, so that a mix-up shows. */
#define ID_CRI	       REP8("c0ffee01")
#define ID_SANDBOX     REP8("5a4db0c5")
#define ID_OLD_CRI     REP8("c0ffee02")
#define ID_CTR	       REP8("c7c7c7c7")
#define ID_MOBY	       REP8("d0c4e201")
#define ID_NERDCTL     REP8("4e4d4e4d")
#define ID_RUNC	       REP8("12345678")
#define ID_CRIO	       REP8("c4100001")
#define ID_DOCKER      REP8("d0c4e202")
#define ID_DOCKER_K8S  REP8("d0c4e203")
#define ID_PODMAN      REP8("b0d0a001")
#define ID_GONE	       REP8("00000000")
#define ID_TRUNCATED   REP8("bad00001")
#define ID_WRONG_TYPES REP8("bad00002")
#define ID_HUGE_NAME   REP8("bad00003")
#define ID_NOT_UTF8    REP8("bad00004")
#define ID_TOO_BIG     REP8("bad00005")
#define ID_FIFO	       REP8("bad00006")
#define ID_DIR	       REP8("bad00007")
#define ID_ESCAPE      REP8("bad00008")
#define ID_DEEP	       REP8("bad00009")
#define ID_CRIO_BAD    REP8("bad0000a")
#define ID_DATA_ROOT   REP8("d0c4e204")
/* the JSON reader's own limits and refusals */
#define ID_PRETTY	REP8("a11ce001")
#define ID_DUP_KEY	REP8("bad0000b")
#define ID_DEEP64	REP8("a11ce002")
#define ID_DEEP65	REP8("bad0000c")
#define ID_NUL		REP8("bad0000d")
#define ID_SURROGATE	REP8("bad0000e")
#define ID_CRIO_DUP	REP8("bad0000f")
#define ID_ARRAY_TOP	REP8("bad00010")
#define ID_NAME_MAX	REP8("a11ce003")
#define ID_NAME_OVER	REP8("bad00011")
#define ID_NAME_ESCAPED REP8("a11ce004")
#define ID_LABELS	REP8("a11ce005")

#define POD_UID	       "7b5f1a3e-1f2d-4c3b-9a8e-0d1c2b3a4f5e"
#define POD_UID_       "7b5f1a3e_1f2d_4c3b_9a8e_0d1c2b3a4f5e" /* as systemd slices write it */
#define STATIC_POD_UID "0f1e2d3c4b5a69788796a5b4c3d2e1f0" /* static pods: a hash, no dashes */
#define DIGEST	       "sha256:" REP8("0123abcd")
#define HEX63      \
	"123abcd"  \
	"0123abcd" \
	"0123abcd" \
	"0123abcd" \
	"0123abcd" \
	"0123abcd" \
	"0123abcd" \
	"0123abcd"

/* ---- Cgroup path -> container id ------------------------------------------------ */

static const struct path_case {
	const char *what;
	const char *path;
	const char *runtime; /* ctr_runtime_name(); NULL: not a container */
	const char *id;
	const char *pod_uid; /* "" when the path has none */
} path_cases[] = {
	/* containerd's CRI plugin (Kubernetes) */
	{ "containerd CRI, cgroupfs driver, burstable pod",
	  "/kubepods/burstable/pod" POD_UID "/" ID_CRI, "containerd-cri", ID_CRI, POD_UID },
	{ "containerd CRI, cgroupfs driver, guaranteed pod (no QoS level)",
	  "/kubepods/pod" POD_UID "/" ID_CRI, "containerd-cri", ID_CRI, POD_UID },
	{ "containerd CRI, systemd driver: underscores in the slice become dashes",
	  "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" POD_UID_
	  ".slice/cri-containerd-" ID_CRI ".scope",
	  "containerd-cri", ID_CRI, POD_UID },
	{ "containerd CRI, systemd driver, guaranteed pod",
	  "/kubepods.slice/kubepods-pod" POD_UID_ ".slice/cri-containerd-" ID_CRI ".scope",
	  "containerd-cri", ID_CRI, POD_UID },
	{ "containerd CRI, systemd-style path without the systemd driver",
	  "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" POD_UID_
	  ".slice:cri-containerd:" ID_CRI,
	  "containerd-cri", ID_CRI, POD_UID },
	{ "containerd CRI, kind's nested kubelet slice",
	  "/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-besteffort.slice/"
	  "kubelet-kubepods-besteffort-pod" POD_UID_ ".slice/cri-containerd-" ID_CRI ".scope",
	  "containerd-cri", ID_CRI, POD_UID },
	{ "a static pod's UID is 32 hex digits",
	  "/kubepods/besteffort/pod" STATIC_POD_UID "/" ID_CRI, "containerd-cri", ID_CRI,
	  STATIC_POD_UID },
	{ "a pod sandbox (pause) is a container too",
	  "/kubepods/besteffort/pod" POD_UID "/" ID_SANDBOX, "containerd-cri", ID_SANDBOX,
	  POD_UID },
	{ "a cgroup a container made below its own belongs to it",
	  "/kubepods/besteffort/pod" POD_UID "/" ID_CRI "/system.slice/nginx.service",
	  "containerd-cri", ID_CRI, POD_UID },
	/* CRI-O */
	{ "CRI-O, cgroupfs driver", "/kubepods/besteffort/pod" POD_UID "/crio-" ID_CRIO, "cri-o",
	  ID_CRIO, POD_UID },
	{ "CRI-O, systemd driver",
	  "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" POD_UID_
	  ".slice/crio-" ID_CRIO ".scope",
	  "cri-o", ID_CRIO, POD_UID },
	{ "CRI-O's conmon is not a container",
	  "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" POD_UID_
	  ".slice/crio-conmon-" ID_CRIO ".scope",
	  NULL, NULL, NULL },
	{ "CRI-O's conmon, cgroupfs driver",
	  "/kubepods/besteffort/pod" POD_UID "/crio-conmon-" ID_CRIO, NULL, NULL, NULL },
	{ "a cgroup named like conmon below a container's is still the container's",
	  "/kubepods/besteffort/pod" POD_UID "/" ID_CRI "/crio-conmon-" ID_CRIO ".scope",
	  "containerd-cri", ID_CRI, POD_UID },
	{ "... below a CRI-O container's too, whatever is below it",
	  "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" POD_UID_
	  ".slice/crio-" ID_CRIO ".scope/crio-conmon-" ID_CRIO ".scope/x",
	  "cri-o", ID_CRIO, POD_UID },
	/* Docker */
	{ "Docker, cgroupfs driver", "/docker/" ID_DOCKER, "docker", ID_DOCKER, "" },
	{ "Docker, systemd driver", "/system.slice/docker-" ID_DOCKER ".scope", "docker", ID_DOCKER,
	  "" },
	{ "Docker rootless, in the user's systemd",
	  "/user.slice/user-1000.slice/user@1000.service/docker-" ID_DOCKER ".scope", "docker",
	  ID_DOCKER, "" },
	{ "Docker in Docker: the inner container", "/docker/" ID_MOBY "/docker/" ID_DOCKER,
	  "docker", ID_DOCKER, "" },
	{ "Docker with a trailing slash", "/docker/" ID_DOCKER "/", "docker", ID_DOCKER, "" },
	/* Podman */
	{ "Podman", "/machine.slice/libpod-" ID_PODMAN ".scope", "podman", ID_PODMAN, "" },
	{ "Podman with its /container child", "/machine.slice/libpod-" ID_PODMAN ".scope/container",
	  "podman", ID_PODMAN, "" },
	{ "Podman, cgroupfs manager", "/libpod_parent/libpod-" ID_PODMAN, "podman", ID_PODMAN, "" },
	{ "Podman rootless",
	  "/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" ID_PODMAN
	  ".scope/container",
	  "podman", ID_PODMAN, "" },
	{ "Podman's conmon is not a container", "/machine.slice/libpod-conmon-" ID_PODMAN ".scope",
	  NULL, NULL, NULL },
	/* The others */
	{ "nerdctl", "/system.slice/nerdctl-" ID_NERDCTL ".scope", "nerdctl", ID_NERDCTL, "" },
	{ "containerd without CRI (ctr): /<namespace>/<id>", "/default/" ID_CTR, "containerd",
	  ID_CTR, "" },
	{ "runc run with its default cgroup: /<id>", "/" ID_RUNC, "runc", ID_RUNC, "" },
	{ "runc with the systemd driver", "/system.slice/runc-" ID_RUNC ".scope", "runc", ID_RUNC,
	  "" },
	{ "runc run by hand with the systemd driver: the scope carries the name it was given",
	  "/system.slice/runc-web-1.scope", "runc", "web-1", "" },
	{ "systemd-nspawn: machine-<name>.scope, with systemd's escapes undone",
	  "/machine.slice/machine-my\\x2dbox.scope", "systemd-nspawn", "my-box", "" },
	{ "... and a cgroup the machine made below its own",
	  "/machine.slice/machine-box.scope/payload", "systemd-nspawn", "box", "" },
	{ "another tool's <word>-<id>.scope: a container, runtime unknown",
	  "/system.slice/garden-" ID_RUNC ".scope", "unknown", ID_RUNC, "" },
	{ "a bare id deep in an unknown hierarchy", "/a/b/" ID_RUNC, "unknown", ID_RUNC, "" },
	/* The host */
	{ "the root cgroup", "/", NULL, NULL, NULL },
	{ "an empty path", "", NULL, NULL, NULL },
	{ "a host service", "/system.slice/ssh.service", NULL, NULL, NULL },
	{ "the container runtime itself", "/system.slice/containerd.service", NULL, NULL, NULL },
	{ "a login session", "/user.slice/user-1000.slice/session-3.scope", NULL, NULL, NULL },
	{ "init", "/init.scope", NULL, NULL, NULL },
	{ "a plain name: no container by its path alone (runc's state may say)", "/web", NULL, NULL,
	  NULL },
	{ "names are ids only in runc's and machines' scopes", "/system.slice/docker-web.scope",
	  NULL, NULL, NULL },
	{ "an escape that is not one of systemd's", "/machine.slice/machine-a\\x2fb.scope", NULL,
	  NULL, NULL },
	{ "a pod-level cgroup, no container", "/kubepods/besteffort/pod" POD_UID, NULL, NULL,
	  NULL },
	{ "the kubepods slice", "/kubepods.slice/kubepods-burstable.slice", NULL, NULL, NULL },
	{ "63 hex digits is not an id", "/docker/" HEX63, NULL, NULL, NULL },
	{ "65 hex digits is not an id", "/docker/0" REP8("0123abcd"), NULL, NULL, NULL },
	{ "upper-case hex is not an id", "/docker/" REP8("0123ABCD"), NULL, NULL, NULL },
	{ "non-hex is not an id", "/docker/" REP8("0123abcg"), NULL, NULL, NULL },
	{ "docker-<63 digits>.scope", "/system.slice/docker-" HEX63 ".scope", NULL, NULL, NULL },
	{ "an id with a .scope but no prefix", "/system.slice/" ID_DOCKER ".scope", NULL, NULL,
	  NULL },
	{ "a slice:prefix:id form without an id", "/x.slice:cri-containerd:nothex", NULL, NULL,
	  NULL },
	{ "bytes that are not UTF-8", "/docker/\xff\xfe" REP8("0123abcd"), NULL, NULL, NULL },
};

static void test_paths(void)
{
	static char huge[1 << 16];
	struct ctr_ident id;

	diag("cgroup path -> runtime, container id, pod UID");
	for (size_t i = 0; i < ARRAY_SIZE(path_cases); i++) {
		const struct path_case *c = &path_cases[i];
		char got[256], want[256], shown[512];
		int r = container_id_from_cgroup_path(c->path, &id);

		if (r == 0)
			snprintf(got, sizeof(got), "%s %s pod=%s", ctr_runtime_name(id.runtime),
				 id.id, id.pod_uid);
		else
			snprintf(got, sizeof(got), "not a container (returned %d)", r);
		if (c->runtime)
			snprintf(want, sizeof(want), "%s %s pod=%s", c->runtime, c->id, c->pod_uid);
		else
			snprintf(want, sizeof(want), "not a container (returned -1)");
		is_str(got, want, "%s: %s", c->what, printable(c->path, shown, sizeof(shown)));
	}

	diag("conmon: not a container, named like a runtime's helper (for naming only)");
	is_int(container_cgroup_is_helper("/kubepods.slice/kubepods-besteffort.slice/"
					  "kubepods-besteffort-pod" POD_UID_
					  ".slice/crio-conmon-" ID_CRIO ".scope"),
	       1, "CRI-O's conmon, systemd driver");
	is_int(container_cgroup_is_helper("/kubepods/besteffort/pod" POD_UID
					  "/crio-conmon-" ID_CRIO),
	       1, "CRI-O's conmon, cgroupfs driver");
	is_int(container_cgroup_is_helper("/machine.slice/libpod-conmon-" ID_PODMAN ".scope"), 1,
	       "Podman's conmon");
	is_int(container_cgroup_is_helper("/crio-conmon-" ID_CRIO ".scope/sub"), 1,
	       "a cgroup below a conmon-named one");
	is_int(container_cgroup_is_helper("/kubepods/besteffort/pod" POD_UID "/" ID_CRI
					  "/crio-conmon-" ID_CRIO ".scope"),
	       0, "not when a container's cgroup is above it");
	is_int(container_cgroup_is_helper("/kubepods/besteffort/pod" POD_UID "/" ID_CRI), 0,
	       "not a container's cgroup");
	is_int(container_cgroup_is_helper("/system.slice/crond.service"), 0,
	       "not a host service's");
	is_int(container_cgroup_is_helper("/"), 0, "not the root");

	/* 32 768 components are read in one pass, without a fault. */
	for (size_t i = 0; i + 2 < sizeof(huge); i += 2)
		memcpy(huge + i, "/a", 2);
	is_int(container_id_from_cgroup_path(huge, &id), -1,
	       "a 64 KiB path of short components is not a container");
}

/* ---- /proc/PID/cgroup ---------------------------------------------------------- */

static const struct line_case {
	const char *what;
	const char *text;
	int ret;
	const char *path;
} line_cases[] = {
	{ "cgroup v2: the one line", "0::/system.slice/docker-" ID_DOCKER ".scope\n", 0,
	  "/system.slice/docker-" ID_DOCKER ".scope" },
	{ "hybrid: the v2 line wins when it is not the root",
	  "4:memory:/docker/" ID_MOBY "\n0::/docker/" ID_DOCKER "\n", 0, "/docker/" ID_DOCKER },
	{ "hybrid, process left at the v2 root: the memory line",
	  "9:name=systemd:/\n8:pids:/docker/" ID_MOBY "\n4:memory:/docker/" ID_DOCKER "\n0::/\n", 0,
	  "/docker/" ID_DOCKER },
	{ "cgroup v1 without memory: pids", "8:pids:/docker/" ID_DOCKER "\n3:cpuset:/x\n", 0,
	  "/docker/" ID_DOCKER },
	{ "cgroup v1: cpuset last", "3:cpuset:/docker/" ID_DOCKER "\n2:cpu,cpuacct:/y\n", 0,
	  "/docker/" ID_DOCKER },
	{ "co-mounted controllers count", "5:cpu,memory:/docker/" ID_DOCKER "\n", 0,
	  "/docker/" ID_DOCKER },
	{ "a host process on v2", "0::/\n", 0, "/" },
	{ "a removed cgroup's \" (deleted)\" is dropped", "0::/docker/" ID_DOCKER " (deleted)\n", 0,
	  "/docker/" ID_DOCKER },
	{ "no final newline", "0::/init.scope", 0, "/init.scope" },
	{ "only other v1 controllers", "2:cpu,cpuacct:/docker/" ID_DOCKER "\n", -ENOENT, NULL },
	{ "empty", "", -ENOENT, NULL },
	{ "garbage", "hello\n::\n0:/x\n", -ENOENT, NULL },
};

static void test_lines(void)
{
	char buf[256];

	diag("/proc/PID/cgroup: which line locates the container");
	for (size_t i = 0; i < ARRAY_SIZE(line_cases); i++) {
		const struct line_case *c = &line_cases[i];
		int r = container_pick_cgroup_line(c->text, buf, sizeof(buf));

		if (c->ret)
			is_int(r, c->ret, "%s", c->what);
		else if (is_int(r, 0, "%s", c->what))
			is_str(buf, c->path, "%s: the path", c->what);
	}
	is_int(container_pick_cgroup_line("0::/docker/" ID_DOCKER "\n", buf, 10), -ERANGE,
	       "a buffer too small for the path: -ERANGE");
}

/* ---- A fake node ------------------------------------------------------------------ */

static char tree[] = "/tmp/d4c-container-XXXXXX";

static char *at(const char *rel)
{
	return xasprintf("%s%s", tree, rel);
}

static void mkdirs(const char *rel)
{
	char *path = at(rel);

	for (char *p = path + strlen(tree) + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			die("mkdir %s: %s", path, strerror(errno));
		*p = '/';
	}
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		die("mkdir %s: %s", path, strerror(errno));
	free(path);
}

/* Writes LEN bytes at REL (below the tree), making the directories. */
static void put_raw(const char *rel, const char *data, size_t len)
{
	char *dir = xstrdup(rel), *path = at(rel);

	*strrchr(dir, '/') = '\0';
	if (*dir)
		mkdirs(dir);
	if (write_whole_file(path, data, len) < 0)
		die("cannot write %s", path);
	free(dir);
	free(path);
}

/* Writes JSON given with single quotes for double ones. */
static void put_text(const char *rel, const char *text)
{
	put_raw(rel, text, strlen(text));
}

static void put_json(const char *rel, const char *text)
{
	char *s = xstrdup(text);

	for (char *p = s; *p; p++)
		if (*p == '\'')
			*p = '"';
	put_raw(rel, s, strlen(s));
	free(s);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

/* An OCI spec's process and linux parts: an ordinary container... */
#define CAPS_DEFAULT                                                            \
	"'process': { 'capabilities': { 'bounding': ['CAP_CHOWN', 'CAP_KILL', " \
	"'CAP_NET_BIND_SERVICE'] } }, 'linux': { 'maskedPaths': ['/proc/kcore'] }"
/* ... and a privileged one: every capability, nothing masked. */
#define CAPS_ALL                                                                               \
	"'process': { 'capabilities': { 'bounding': ['CAP_CHOWN', 'CAP_DAC_OVERRIDE', "        \
	"'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_SETGID', "        \
	"'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE', "         \
	"'CAP_NET_BROADCAST', 'CAP_NET_ADMIN', 'CAP_NET_RAW', 'CAP_IPC_LOCK', "                \
	"'CAP_IPC_OWNER', 'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', "               \
	"'CAP_SYS_PTRACE', 'CAP_SYS_PACCT', 'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', " \
	"'CAP_SYS_RESOURCE', 'CAP_SYS_TIME', 'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE', " \
	"'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL', 'CAP_SETFCAP', 'CAP_MAC_OVERRIDE', "          \
	"'CAP_MAC_ADMIN', 'CAP_SYSLOG', 'CAP_WAKE_ALARM', 'CAP_BLOCK_SUSPEND', "               \
	"'CAP_AUDIT_READ', 'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE'] } }, "          \
	"'linux': { 'maskedPaths': [] }"

#define TASKS "/run/containerd/io.containerd.runtime.v2.task"

static void build_runtime_state(void)
{
	/* containerd's CRI plugin: the bundle of a container in namespace k8s.io. */
	put_json(TASKS "/k8s.io/" ID_CRI "/config.json",
		 "{ 'ociVersion': '1.1.0', " CAPS_DEFAULT ", 'annotations': {"
		 "  'io.kubernetes.cri.container-type': 'container',"
		 "  'io.kubernetes.cri.container-name': 'nginx',"
		 "  'io.kubernetes.cri.image-name': 'docker.io/library/nginx:1.25',"
		 "  'io.kubernetes.cri.sandbox-id': '" ID_SANDBOX "',"
		 "  'io.kubernetes.cri.sandbox-name': 'web-7d4b9c-x2x9z',"
		 "  'io.kubernetes.cri.sandbox-namespace': 'shop',"
		 "  'io.kubernetes.cri.sandbox-uid': '" POD_UID "' } }");
	/* ... and of its pod's sandbox. */
	put_json(TASKS "/k8s.io/" ID_SANDBOX "/config.json",
		 "{ 'ociVersion': '1.1.0', 'annotations': {"
		 "  'io.kubernetes.cri.container-type': 'sandbox',"
		 "  'io.kubernetes.cri.sandbox-id': '" ID_SANDBOX "',"
		 "  'io.kubernetes.cri.sandbox-name': 'web-7d4b9c-x2x9z',"
		 "  'io.kubernetes.cri.sandbox-namespace': 'shop',"
		 "  'io.kubernetes.cri.sandbox-uid': '" POD_UID "' } }");
	/* containerd before 1.6.11 wrote no sandbox-uid: the path's UID is kept. */
	put_json(TASKS "/k8s.io/" ID_OLD_CRI "/config.json",
		 "{ 'annotations': { 'io.kubernetes.cri.container-type': 'container',"
		 "  'io.kubernetes.cri.container-name': 'sidecar',"
		 "  'io.kubernetes.cri.image-name': 'quay.io/team/sidecar@" DIGEST "' } }");
	/* ctr run in namespace "default": no annotations to speak of. */
	put_json(TASKS "/default/" ID_CTR "/config.json", "{ 'ociVersion': '1.1.0' }");
	/* Docker 23+ runs its containers in containerd's "moby" namespace. */
	put_json(TASKS "/moby/" ID_MOBY "/config.json", "{ 'ociVersion': '1.1.0' }");
	/* nerdctl passes its labels on as annotations. */
	put_json(TASKS "/default/" ID_NERDCTL "/config.json",
		 "{ 'annotations': { 'nerdctl/name': 'redis-1',"
		 "  'nerdctl/namespace': 'default' } }");

	/* runc run by hand: state.json names the bundle, anywhere on the host. */
	put_json("/run/runc/" ID_RUNC "/state.json",
		 "{ 'id': '" ID_RUNC "', 'init_process_pid': 4242,"
		 "  'config': { 'rootfs': '/srv/bundles/web/rootfs',"
		 "    'labels': ['bundle=/srv/bundles/web'] } }");
	put_json("/srv/bundles/web/config.json", "{ 'ociVersion': '1.0.2', " CAPS_ALL " }");
	/* runc ids need not be hex. */
	put_json("/run/runc/web-1/state.json",
		 "{ 'id': 'web-1', 'config': { 'labels': ['bundle=/srv/bundles/web'] } }");
	/* runc makes its state directory before the cgroup, state.json after. */
	mkdirs("/run/runc/starting");
	/* systemd-machined registers systemd-nspawn's containers, and VMs. */
	put_text(
		"/run/systemd/machines/my-box",
		"# This is private data. Do not parse.\nNAME=my-box\nSCOPE=machine-my\\x2dbox.scope\n"
		"SERVICE=systemd-nspawn\nROOT=/var/lib/machines/my-box\nCLASS=container\n");
	put_text("/run/systemd/machines/qemu-1-vm",
		 "NAME=qemu-1-vm\nSERVICE=libvirt-qemu\nCLASS=vm\n");

	/* CRI-O: annotations, with the kubelet's labels as a JSON string. */
	put_json("/run/containers/storage/overlay-containers/" ID_CRIO "/userdata/config.json",
		 "{ 'ociVersion': '1.0.2', " CAPS_DEFAULT ", 'annotations': {"
		 "  'io.container.manager': 'cri-o',"
		 "  'io.kubernetes.cri-o.ContainerType': 'container',"
		 "  'io.kubernetes.cri-o.ContainerName': 'k8s_api_api-5f6d_prod_" POD_UID "_0',"
		 "  'io.kubernetes.cri-o.ImageName': 'registry.example.com:5000/api:2.1',"
		 "  'io.kubernetes.cri-o.Image': '" DIGEST "',"
		 "  'io.kubernetes.cri-o.SandboxID': '" ID_SANDBOX "',"
		 "  'io.kubernetes.cri-o.Namespace': 'prod',"
		 "  'io.kubernetes.cri-o.Labels': '{\\'app\\':\\'api\\',\\'tier\\':\\'\\',"
		 "\\'io.kubernetes.pod.name\\':\\'api-5f6d\\'}',"
		 "  'io.kubernetes.cri-o.Annotations': '{\\'prometheus.io/scrape\\':\\'true\\'}',"
		 "  'io.kubernetes.container.name': 'api',"
		 "  'io.kubernetes.pod.namespace': 'prod',"
		 "  'io.kubernetes.pod.uid': '" POD_UID "' } }");

	/* Docker: config.v2.json, and HostConfig in hostconfig.json beside it. */
	put_json(
		"/var/lib/docker/containers/" ID_DOCKER "/config.v2.json",
		"{ 'ID': '" ID_DOCKER "', 'Name': '/web', 'Image': 'sha256:" REP8(
			"9999aaaa") "',"
				    "  'Config': { 'Image': 'nginx:1.25',"
				    "    'Labels': { 'com.docker.compose.project': 'shop', 'team': 'payments' } } }");
	put_json("/var/lib/docker/containers/" ID_DOCKER "/hostconfig.json",
		 "{ 'Privileged': true, 'NetworkMode': 'bridge' }");
	/* Kubernetes through cri-dockerd: the pod is in the labels. */
	put_json("/var/lib/docker/containers/" ID_DOCKER_K8S "/config.v2.json",
		 "{ 'Name': '/k8s_POD_web_shop_" POD_UID "_0',"
		 "  'Config': { 'Image': 'registry.k8s.io/pause:3.9', 'Labels': {"
		 "    'io.kubernetes.docker.type': 'podsandbox',"
		 "    'io.kubernetes.pod.name': 'web', 'io.kubernetes.pod.namespace': 'shop',"
		 "    'io.kubernetes.pod.uid': '" POD_UID "', 'app': 'web' } },"
		 "  'HostConfig': { 'Privileged': false } }");

	/* Podman: the OCI spec (privilege in its own annotation), and the
	 * names in containers-storage's containers.json. */
	put_json("/var/lib/containers/storage/overlay-containers/" ID_PODMAN
		 "/userdata/config.json",
		 "{ " CAPS_DEFAULT ", 'annotations': {"
		 "  'io.container.manager': 'libpod',"
		 "  'io.kubernetes.cri-o.Created': '2024-05-01T10:00:00Z',"
		 "  'io.kubernetes.cri-o.TTY': 'false',"
		 "  'io.podman.annotations.privileged': 'TRUE',"
		 "  'org.opencontainers.image.stopSignal': '15' } }");
	put_json(
		"/var/lib/containers/storage/overlay-containers/containers.json",
		"[ { 'id': '" REP8(
			"eeeeeeee") "', 'names': ['other'] },"
				    "  { 'id': '" ID_PODMAN "', 'names': ['db'], 'image': '" REP8(
					    "aaaa0000") "',"
							"    'metadata': '{\\'image-name\\':\\'docker.io/library/postgres:16\\',"
							"\\'name\\':\\'db\\'}' } ]");

	/* A Docker data-root moved to /data/docker. */
	put_json("/data/docker/containers/" ID_DATA_ROOT "/config.v2.json",
		 "{ 'Name': '/moved', 'Config': { 'Image': 'alpine:3.19' } }");
}

static void build_malformed_state(void)
{
	static const char not_utf8[] = "{ \"Name\": \"/caf\xe9\" }";
	size_t big = (4u << 20) + 16, huge_len = 100000;
	char *buf;

	/* A file cut short (a crash while writing, or read mid-write). */
	put_raw("/var/lib/docker/containers/" ID_TRUNCATED "/config.v2.json",
		"{ \"Name\": \"/half\", \"Config\": { \"Ima", 35);
	/* Every value of the wrong type. */
	put_json(TASKS "/k8s.io/" ID_WRONG_TYPES "/config.json",
		 "{ 'process': { 'capabilities': { 'bounding': 'CAP_SYS_ADMIN' } },"
		 "  'annotations': { 'io.kubernetes.cri.container-type': 7,"
		 "    'io.kubernetes.cri.container-name': ['nginx'],"
		 "    'io.kubernetes.cri.image-name': { 'a': 1 },"
		 "    'io.kubernetes.cri.sandbox-name': null,"
		 "    'io.kubernetes.cri.sandbox-namespace': '',"
		 "    'io.kubernetes.cri.sandbox-uid': true } }");
	/* CRI-O's Labels not being JSON, its Annotations an array. */
	put_json("/run/containers/storage/overlay-containers/" ID_CRIO_BAD "/userdata/config.json",
		 "{ 'annotations': { 'io.kubernetes.cri-o.ContainerType': 'container',"
		 "  'io.kubernetes.cri-o.Labels': '{not json',"
		 "  'io.kubernetes.cri-o.Annotations': '[1, 2]',"
		 "  'io.kubernetes.cri-o.ImageName': 'not a reference!' } }");
	/* A name of 100 000 bytes. */
	buf = xmalloc(huge_len + 64);
	memcpy(buf, "{ \"Name\": \"/", 12);
	memset(buf + 12, 'x', huge_len);
	memcpy(buf + 12 + huge_len, "\" }", 4);
	put_raw("/var/lib/docker/containers/" ID_HUGE_NAME "/config.v2.json", buf, strlen(buf));
	free(buf);
	/* Latin-1, not UTF-8. */
	put_raw("/var/lib/docker/containers/" ID_NOT_UTF8 "/config.v2.json", not_utf8,
		sizeof(not_utf8) - 1);
	/* Over the 4 MiB cap. */
	buf = xmalloc(big);
	memset(buf, ' ', big);
	buf[0] = '{';
	buf[big - 1] = '}';
	put_raw("/var/lib/docker/containers/" ID_TOO_BIG "/config.v2.json", buf, big);
	free(buf);
	/* Nested 100 000 deep. */
	buf = xmalloc(200002);
	memset(buf, '[', 100000);
	memset(buf + 100000, ']', 100000);
	buf[0] = '{';
	memcpy(buf + 1, "\"a\":", 4);
	put_raw(TASKS "/k8s.io/" ID_DEEP "/config.json", buf, 200000);
	free(buf);
	/* Not regular files: a FIFO would block a reader forever. */
	{
		char *path;

		mkdirs("/var/lib/docker/containers/" ID_FIFO);
		path = at("/var/lib/docker/containers/" ID_FIFO "/config.v2.json");
		if (mkfifo(path, 0600) < 0)
			die("mkfifo %s: %s", path, strerror(errno));
		free(path);
	}
	mkdirs("/var/lib/docker/containers/" ID_DIR "/config.v2.json");
	/* A runc state whose bundle climbs out of the tree. */
	put_json("/run/runc/" ID_ESCAPE "/state.json",
		 "{ 'config': { 'labels': ['bundle=/srv/../../../etc'] } }");
}

/* Docker's config.v2.json for ID with Name "/" and N times UNIT. */
static void put_docker_name(const char *id, size_t n, const char *unit)
{
	size_t u = strlen(unit), len = 0;
	char *buf = xmalloc(n * u + 64), *rel;

	len += sprintf(buf, "{ \"Name\": \"/");
	for (size_t i = 0; i < n; i++, len += u)
		memcpy(buf + len, unit, u);
	len += sprintf(buf + len, "\" }");
	rel = xasprintf("/var/lib/docker/containers/%s/config.v2.json", id);
	put_raw(rel, buf, len);
	free(rel);
	free(buf);
}

/* What the JSON reader (lib/json/jscan.h) reads and refuses beyond the above. */
static void build_reader_state(void)
{
	char *buf;
	size_t n;

	/* runc spec and crictl write JSON over many lines; escapes decode */
	put_text(TASKS "/k8s.io/" ID_PRETTY "/config.json",
		 "{\n  \"ociVersion\": \"1.1.0\",\n  \"process\": {\n    \"capabilities\": {\n"
		 "      \"bounding\": [\n        \"CAP_CHOWN\"\n      ]\n    }\n  },\n"
		 "  \"annotations\": {\n"
		 "    \"io.kubernetes.cri.container-type\": \"container\",\n"
		 "    \"io.kubernetes.cri.container-name\": \"caf\\u00e9\",\n"
		 "    \"io.kubernetes.cri.image-name\": \"docker.io\\/library\\/nginx:1.25\"\n"
		 "  }\n}\n");
	/* a key twice: which one a reader takes is anyone's guess */
	put_text("/var/lib/docker/containers/" ID_DUP_KEY "/config.v2.json",
		 "{ \"Name\": \"/first\", \"Config\": {}, \"Name\": \"/second\" }");
	/* 64 levels of nesting are read, 65 are not */
	buf = xmalloc(256);
	for (int depth = 64; depth <= 65; depth++) {
		n = sprintf(buf, "{\"a\":");
		for (int d = 1; d < depth; d++)
			buf[n++] = '[';
		for (int d = 1; d < depth; d++)
			buf[n++] = ']';
		n += sprintf(buf + n, ",\"annotations\":{\"nerdctl/name\":\"deep\"}}");
		put_raw(depth == 64 ? TASKS "/default/" ID_DEEP64 "/config.json" :
				      TASKS "/default/" ID_DEEP65 "/config.json",
			buf, n);
	}
	free(buf);
	/* escapes no two readers agree on */
	put_text("/var/lib/docker/containers/" ID_NUL "/config.v2.json",
		 "{ \"Name\": \"/a\\u0000b\" }");
	put_text("/var/lib/docker/containers/" ID_SURROGATE "/config.v2.json",
		 "{ \"Name\": \"/a\\ud800b\" }");
	/* CRI-O's Labels, a JSON string, with a key twice */
	put_json("/run/containers/storage/overlay-containers/" ID_CRIO_DUP "/userdata/config.json",
		 "{ 'annotations': { 'io.kubernetes.cri-o.ContainerType': 'container',"
		 "  'io.kubernetes.cri-o.Labels': '{\\'app\\':\\'a\\',\\'app\\':\\'b\\'}',"
		 "  'io.kubernetes.container.name': 'dup' } }");
	/* an array where an object belongs */
	put_json("/var/lib/docker/containers/" ID_ARRAY_TOP "/config.v2.json",
		 "[ { 'Name': '/in-an-array' } ]");
	/* names of FIELD_MAX (4096) bytes and one more, "/" included; and one
	 * of 4096 once decoded but six times that as written */
	put_docker_name(ID_NAME_MAX, 4095, "x");
	put_docker_name(ID_NAME_OVER, 4096, "x");
	put_docker_name(ID_NAME_ESCAPED, 4095, "\\u0078");
	/* labels: keys up to 4096 bytes, values up to 65536, 512 of them */
	buf = xmalloc(1u << 20);
	n = sprintf(buf, "{ \"Config\": { \"Labels\": { \"\\u0061pp\": \"web\"");
	n += sprintf(buf + n, ", \"k%04095d\": \"key of 4096\"", 0);
	n += sprintf(buf + n, ", \"k%04096d\": \"key of 4097\"", 0);
	n += sprintf(buf + n, ", \"long\": \"%065536d\"", 0);
	n += sprintf(buf + n, ", \"longer\": \"%065537d\"", 0);
	for (int i = 0; i < 600; i++)
		n += sprintf(buf + n, ", \"l%03d\": \"%d\"", i, i);
	n += sprintf(buf + n, " } } }");
	put_raw("/var/lib/docker/containers/" ID_LABELS "/config.v2.json", buf, n);
	free(buf);
}

static void test_reader(struct container_ctx *ctx)
{
	struct container_info ci;
	int r;

	diag("the JSON reader: what it takes, and what it refuses");
	r = container_resolve_id(ctx, ID_PRETTY, CTR_RT_UNKNOWN, &ci);
	ok(r == 0 && ci.runtime == CTR_RT_CONTAINERD_CRI && ci.type == CTR_TYPE_CONTAINER &&
		   ci.privileged == 0,
	   "a config.json over many lines is read");
	is_str(ci.name, "caf\xc3\xa9", "escapes are decoded: \\u00e9");
	is_str(ci.img.full_name, "docker.io/library/nginx", "... and \\/");
	container_info_free(&ci);
	r = container_resolve_id(ctx, ID_DUP_KEY, CTR_RT_UNKNOWN, &ci);
	ok(r == -EBADMSG && ci.resolved == CTR_RESOLVED_ID && ci.runtime == CTR_RT_DOCKER &&
		   !ci.name,
	   "a key twice: -EBADMSG, id and runtime kept");
	container_info_free(&ci);
	r = container_resolve_id(ctx, ID_DEEP64, CTR_RT_UNKNOWN, &ci);
	ok(r == 0 && ci.runtime == CTR_RT_NERDCTL && ci.name && !strcmp(ci.name, "deep"),
	   "64 levels of nesting are read");
	container_info_free(&ci);
	r = container_resolve_id(ctx, ID_DEEP65, CTR_RT_UNKNOWN, &ci);
	ok(r == -EBADMSG && ci.resolved == CTR_RESOLVED_ID, "65 levels: -EBADMSG");
	container_info_free(&ci);
	r = container_resolve_id(ctx, ID_NUL, CTR_RT_UNKNOWN, &ci);
	ok(r == -EBADMSG && !ci.name, "\\u0000 in a string: -EBADMSG");
	container_info_free(&ci);
	r = container_resolve_id(ctx, ID_SURROGATE, CTR_RT_UNKNOWN, &ci);
	ok(r == -EBADMSG && !ci.name, "half a surrogate pair: -EBADMSG");
	container_info_free(&ci);
	r = container_resolve_id(ctx, ID_CRIO_DUP, CTR_RT_UNKNOWN, &ci);
	ok(r == 0 && ci.runtime == CTR_RT_CRIO && !ci.labels && ci.name && !strcmp(ci.name, "dup"),
	   "CRI-O's Labels with a key twice: left out, the rest read");
	container_info_free(&ci);
	r = container_resolve_id(ctx, ID_ARRAY_TOP, CTR_RT_UNKNOWN, &ci);
	ok(r == -EBADMSG && !ci.name, "an array, not an object: -EBADMSG");
	container_info_free(&ci);
	r = container_resolve_id(ctx, ID_NAME_MAX, CTR_RT_UNKNOWN, &ci);
	ok(r == 0 && ci.name && strlen(ci.name) == 4095, "a Name of 4096 bytes is read");
	container_info_free(&ci);
	r = container_resolve_id(ctx, ID_NAME_OVER, CTR_RT_UNKNOWN, &ci);
	ok(r == 0 && !ci.name, "one of 4097 is left out");
	container_info_free(&ci);
	r = container_resolve_id(ctx, ID_NAME_ESCAPED, CTR_RT_UNKNOWN, &ci);
	ok(r == 0 && ci.name && strlen(ci.name) == 4095 && ci.name[4094] == 'x',
	   "lengths are of the decoded string: 4096 bytes written as 24 571 are read");
	container_info_free(&ci);
	r = container_resolve_id(ctx, ID_LABELS, CTR_RT_UNKNOWN, &ci);
	ok(r == 0 && ci.nlabels == 512, "at most 512 labels are kept (%zu)", ci.nlabels);
	{
		int app = 0, key4096 = 0, key4097 = 0, long_v = 0, longer_v = 0;

		for (size_t i = 0; i < ci.nlabels; i++) {
			const char *k = ci.labels[i].key;

			app |= !strcmp(k, "app") && !strcmp(ci.labels[i].value, "web");
			key4096 |= strlen(k) == 4096;
			key4097 |= strlen(k) == 4097;
			long_v |= !strcmp(k, "long") && strlen(ci.labels[i].value) == 65536;
			longer_v |= !strcmp(k, "longer");
		}
		ok(app, "a label key written with escapes is decoded");
		ok(key4096 && !key4097, "label keys of 4096 bytes are kept, longer ones not");
		ok(long_v && !longer_v, "label values of 65536 bytes are kept, longer ones not");
		ok(!strcmp(ci.labels[0].key, "app") &&
			   !strcmp(ci.labels[ci.nlabels - 1].key, "long"),
		   "the first 512 in the file, sorted by key");
	}
	container_info_free(&ci);
}

static void test_resolve(struct container_ctx *ctx)
{
	struct container_info ci;
	struct ctr_ident ident;
	int r;

	diag("containerd, CRI plugin: the bundle's io.kubernetes.cri.* annotations");
	r = container_resolve(
		ctx,
		"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" POD_UID_
		".slice/cri-containerd-" ID_CRI ".scope",
		&ci);
	is_int(r, 0, "resolves");
	is_int(ci.resolved, CTR_RESOLVED_FULL, "from its metadata");
	is_str(ctr_runtime_name(ci.runtime), "containerd-cri", "runtime");
	is_str(ctr_runtime_ecs(ci.runtime), "containerd", "ECS container.runtime");
	is_str(ci.id, ID_CRI, "id");
	is_str(ci.name, "nginx", "name: io.kubernetes.cri.container-name");
	is_int(ci.type, CTR_TYPE_CONTAINER, "type: container");
	is_str(ci.image, "docker.io/library/nginx:1.25", "image as recorded");
	is_str(ci.img.full_name, "docker.io/library/nginx", "image full name");
	is_str(ci.img.name, "nginx", "image name");
	is_str(ci.img.tag, "1.25", "image tag");
	is_str(ci.img.digest, NULL, "no digest");
	is_str(ci.pod_name, "web-7d4b9c-x2x9z", "pod name: sandbox-name");
	is_str(ci.pod_namespace, "shop", "pod namespace: sandbox-namespace");
	is_str(ci.pod_uid, POD_UID, "pod UID: sandbox-uid");
	is_str(ci.sandbox_id, ID_SANDBOX, "sandbox id");
	is_int(ci.privileged, 0, "not privileged: few capabilities, masked paths");
	is_int((long long)ci.nlabels, 0, "containerd has no pod labels");
	ok(ci.nannotations == 7 &&
		   !strcmp(ci.annotations[0].key, "io.kubernetes.cri.container-name"),
	   "the OCI annotations, sorted by key");
	container_info_free(&ci);

	r = container_resolve(ctx, "/kubepods/besteffort/pod" POD_UID "/" ID_SANDBOX, &ci);
	ok(r == 0 && ci.type == CTR_TYPE_SANDBOX && !ci.name &&
		   !strcmp(ci.pod_name, "web-7d4b9c-x2x9z"),
	   "the pod's sandbox: type sandbox, no container name, the pod's name");
	container_info_free(&ci);

	r = container_resolve(ctx, "/kubepods/besteffort/pod" POD_UID "/" ID_OLD_CRI, &ci);
	is_int(r, 0, "containerd < 1.6.11, no sandbox-uid annotation: resolves");
	is_str(ci.pod_uid, POD_UID, "the pod UID comes from the cgroup path");
	ok(!ci.img.tag && ci.img.digest && !strcmp(ci.img.digest, DIGEST) &&
		   !strcmp(ci.img.full_name, "quay.io/team/sidecar"),
	   "image pinned by digest: no tag, the digest");
	container_info_free(&ci);

	diag("containerd without CRI: any namespace directory");
	r = container_resolve(ctx, "/default/" ID_CTR, &ci);
	ok(r == 0 && ci.runtime == CTR_RT_CONTAINERD && ci.resolved == CTR_RESOLVED_FULL &&
		   !ci.name && !ci.image && ci.privileged == -1,
	   "ctr's container in namespace default: containerd, nothing more is known");
	container_info_free(&ci);
	r = container_resolve_id(ctx, ID_MOBY, CTR_RT_UNKNOWN, &ci);
	ok(r == 0 && ci.runtime == CTR_RT_DOCKER, "a task in namespace moby is Docker's");
	container_info_free(&ci);
	r = container_resolve(ctx, "/system.slice/nerdctl-" ID_NERDCTL ".scope", &ci);
	ok(r == 0 && ci.runtime == CTR_RT_NERDCTL && ci.name && !strcmp(ci.name, "redis-1"),
	   "nerdctl: its nerdctl/name annotation");
	is_str(ctr_runtime_ecs(ci.runtime), "containerd", "nerdctl's ECS runtime is containerd");
	container_info_free(&ci);

	diag("runc: state.json names the bundle; the bundle's config.json says the rest");
	r = container_resolve(ctx, "/" ID_RUNC, &ci);
	is_int(r, 0, "runc's /<id> resolves");
	is_str(ctr_runtime_name(ci.runtime), "runc", "runtime runc");
	is_int(ci.privileged, 1, "privileged: every capability and no masked paths");
	container_info_free(&ci);
	r = container_resolve_id(ctx, "web-1", CTR_RT_UNKNOWN, &ci);
	ok(r == 0 && ci.runtime == CTR_RT_RUNC && !strcmp(ci.id, "web-1"),
	   "by id: runc ids need not be 64 hex digits");
	container_info_free(&ci);
	r = container_ident(ctx, "/web-1", &ident);
	ok(r == 0 && ident.runtime == CTR_RT_RUNC && !strcmp(ident.id, "web-1"),
	   "'runc run web-1': its cgroup /web-1 is runc's, as its state directory says");
	r = container_ident(ctx, "/tenants/web-1/worker", &ident);
	ok(r == 0 && !strcmp(ident.id, "web-1"),
	   "any cgroupsPath naming the container, and the cgroups it makes below");
	r = container_ident(ctx, "/starting", &ident);
	ok(r == 0 && !strcmp(ident.id, "starting"),
	   "a container runc is creating: its state directory, no state.json yet");
	is_int(container_ident(ctx, "/system.slice/cron.service", &ident), -1,
	       "a host service named like no runc container: not a container");
	r = container_resolve(ctx, "/web-1", &ci);
	ok(r == 0 && ci.runtime == CTR_RT_RUNC && !strcmp(ci.id, "web-1"),
	   "container_resolve() knows it too");
	container_info_free(&ci);
	r = container_resolve(ctx, "/system.slice/runc-web-1.scope", &ci);
	ok(r == 0 && ci.runtime == CTR_RT_RUNC, "runc's systemd driver: runc-web-1.scope");
	container_info_free(&ci);
	r = container_resolve(ctx, "/tenants/" ID_RUNC, &ci);
	ok(r == 0 && ci.runtime == CTR_RT_RUNC,
	   "/<group>/<id> looks like ctr's /<namespace>/<id>, but runc's state says runc");
	container_info_free(&ci);

	diag("systemd-nspawn: systemd-machined's record of the machine");
	r = container_resolve(ctx, "/machine.slice/machine-my\\x2dbox.scope", &ci);
	ok(r == 0 && ci.runtime == CTR_RT_NSPAWN && ci.name && !strcmp(ci.name, "my-box"),
	   "a container machine: runtime systemd-nspawn, its name");
	is_str(ctr_runtime_ecs(ci.runtime), "systemd-nspawn", "ECS runtime");
	container_info_free(&ci);
	is_int(container_ident(ctx, "/machine.slice/machine-qemu\\x2d1\\x2dvm.scope", &ident), -1,
	       "a virtual machine's scope is no container");

	diag("CRI-O: annotations, the kubelet's labels in a JSON string");
	r = container_resolve(ctx, "/kubepods/besteffort/pod" POD_UID "/crio-" ID_CRIO, &ci);
	is_int(r, 0, "resolves");
	is_str(ctr_runtime_name(ci.runtime), "cri-o", "runtime");
	is_str(ci.name, "api", "name: io.kubernetes.container.name, not the k8s_... name");
	is_str(ci.image, "registry.example.com:5000/api:2.1", "image: ImageName, not the image id");
	is_str(ci.img.full_name, "registry.example.com:5000/api", "image full name keeps the port");
	is_str(ci.pod_name, "api-5f6d", "pod name from the Labels when not an annotation");
	is_str(ci.pod_namespace, "prod", "pod namespace");
	is_str(ci.pod_uid, POD_UID, "pod UID");
	is_str(ci.sandbox_id, ID_SANDBOX, "sandbox id");
	ok(ci.nlabels == 3 && !strcmp(ci.labels[0].key, "app") &&
		   !strcmp(ci.labels[0].value, "api") && !strcmp(ci.labels[2].key, "tier") &&
		   !strcmp(ci.labels[2].value, ""),
	   "labels: the Labels object, sorted, empty values kept");
	ok(ci.nannotations == 1 && !strcmp(ci.annotations[0].key, "prometheus.io/scrape"),
	   "annotations: the Annotations object, not the OCI ones");
	container_info_free(&ci);

	diag("Docker: config.v2.json and hostconfig.json");
	r = container_resolve(ctx, "/system.slice/docker-" ID_DOCKER ".scope", &ci);
	is_int(r, 0, "resolves");
	is_str(ctr_runtime_name(ci.runtime), "docker", "runtime");
	is_str(ci.name, "web", "name: Name without its '/'");
	is_str(ci.image, "nginx:1.25", "image as the user wrote it");
	is_str(ci.img.full_name, "docker.io/library/nginx", "normalized like containerd's");
	is_int(ci.privileged, 1, "privileged: hostconfig.json");
	ok(ci.nlabels == 2 && !strcmp(ci.labels[0].key, "com.docker.compose.project") &&
		   !strcmp(ci.labels[1].value, "payments"),
	   "labels: Config.Labels");
	is_str(ci.pod_uid, NULL, "no pod");
	container_info_free(&ci);
	r = container_resolve_id(ctx, ID_DOCKER_K8S, CTR_RT_UNKNOWN, &ci);
	ok(r == 0 && ci.type == CTR_TYPE_SANDBOX && !strcmp(ci.pod_name, "web") &&
		   !strcmp(ci.pod_namespace, "shop") && !strcmp(ci.pod_uid, POD_UID) &&
		   ci.privileged == 0,
	   "Kubernetes on Docker (cri-dockerd): pod from the io.kubernetes labels, a sandbox");
	container_info_free(&ci);

	diag("Podman: the OCI spec and containers.json");
	r = container_resolve(ctx, "/machine.slice/libpod-" ID_PODMAN ".scope/container", &ci);
	is_int(r, 0, "resolves from the /container child");
	is_str(ctr_runtime_name(ci.runtime), "podman", "podman, though it writes cri-o keys too");
	is_str(ci.name, "db", "name: containers.json");
	is_str(ci.img.full_name, "docker.io/library/postgres", "image: containers.json metadata");
	is_int(ci.privileged, 1, "privileged: io.podman.annotations.privileged wins");
	container_info_free(&ci);

	diag("what is not there, or not a container");
	r = container_resolve(ctx, "/kubepods/besteffort/pod" POD_UID "/" ID_GONE, &ci);
	is_int(r, -ENOENT, "no runtime knows the id: -ENOENT");
	ok(ci.resolved == CTR_RESOLVED_ID && !strcmp(ci.id, ID_GONE) &&
		   ci.runtime == CTR_RT_CONTAINERD_CRI && !strcmp(ci.pod_uid, POD_UID) &&
		   !ci.name && ci.privileged == -1,
	   "... with what the path told: id, runtime, pod UID (\"not known yet\")");
	container_info_free(&ci);
	r = container_resolve(ctx, "/system.slice/ssh.service", &ci);
	ok(r == -ESRCH && ci.resolved == CTR_RESOLVED_NONE && !ci.id,
	   "a host service: -ESRCH, resolved none");
	container_info_free(&ci);
	is_int(container_resolve_id(ctx, "../../etc", CTR_RT_UNKNOWN, &ci), -EINVAL,
	       "an id that is a path is refused");
	container_info_free(&ci);
	is_int(container_resolve_id(ctx, "", CTR_RT_UNKNOWN, &ci), -EINVAL, "so is an empty id");
	container_info_free(&ci);

	diag("hostile files give partial results, never a crash or a hang");
	r = container_resolve(ctx, "/docker/" ID_TRUNCATED, &ci);
	ok(r == -EBADMSG && ci.resolved == CTR_RESOLVED_ID && ci.runtime == CTR_RT_DOCKER &&
		   !strcmp(ci.id, ID_TRUNCATED),
	   "truncated JSON: -EBADMSG, id and runtime kept");
	container_info_free(&ci);
	r = container_resolve_id(ctx, ID_TRUNCATED, CTR_RT_UNKNOWN, &ci);
	ok(r == -EBADMSG && ci.runtime == CTR_RT_DOCKER,
	   "... by id alone, the store that had the file names the runtime");
	container_info_free(&ci);
	r = container_resolve_id(ctx, ID_WRONG_TYPES, CTR_RT_UNKNOWN, &ci);
	ok(r == 0 && ci.resolved == CTR_RESOLVED_FULL && ci.runtime == CTR_RT_CONTAINERD_CRI &&
		   !ci.name && !ci.image && !ci.pod_name && !ci.pod_namespace && !ci.pod_uid &&
		   ci.type == CTR_TYPE_CONTAINER && ci.privileged == -1,
	   "values of the wrong types are left out");
	ok(ci.nannotations == 1 &&
		   !strcmp(ci.annotations[0].key, "io.kubernetes.cri.sandbox-namespace"),
	   "... and so are annotations that are not strings (an empty one stays)");
	container_info_free(&ci);
	r = container_resolve_id(ctx, ID_CRIO_BAD, CTR_RT_UNKNOWN, &ci);
	ok(r == 0 && ci.runtime == CTR_RT_CRIO && !ci.labels &&
		   !strcmp(ci.image, "not a reference!") && !ci.img.full_name,
	   "CRI-O: Labels not JSON, an image that does not parse: left out");
	ok(ci.nannotations == 4 &&
		   !strcmp(ci.annotations[0].key, "io.kubernetes.cri-o.Annotations"),
	   "... Annotations not an object: the OCI annotations instead");
	container_info_free(&ci);
	r = container_resolve_id(ctx, ID_HUGE_NAME, CTR_RT_UNKNOWN, &ci);
	ok(r == 0 && !ci.name, "a 100 000-byte name is left out");
	container_info_free(&ci);
	r = container_resolve_id(ctx, ID_NOT_UTF8, CTR_RT_DOCKER, &ci);
	ok(r == -EBADMSG && ci.resolved == CTR_RESOLVED_ID, "not UTF-8: -EBADMSG");
	container_info_free(&ci);
	r = container_resolve_id(ctx, ID_TOO_BIG, CTR_RT_DOCKER, &ci);
	ok(r == -EFBIG && ci.resolved == CTR_RESOLVED_ID, "over 4 MiB: -EFBIG, not read");
	container_info_free(&ci);
	r = container_resolve_id(ctx, ID_DEEP, CTR_RT_UNKNOWN, &ci);
	ok(r == -EBADMSG, "nested 100 000 deep: -EBADMSG");
	container_info_free(&ci);
	r = container_resolve_id(ctx, ID_FIFO, CTR_RT_DOCKER, &ci);
	ok(r < 0 && r != -ENOENT && ci.resolved == CTR_RESOLVED_ID,
	   "a FIFO instead of a file: an error, not a hang");
	container_info_free(&ci);
	r = container_resolve_id(ctx, ID_DIR, CTR_RT_DOCKER, &ci);
	is_int(r, -EISDIR, "a directory instead of a file: -EISDIR");
	container_info_free(&ci);
	r = container_resolve_id(ctx, ID_ESCAPE, CTR_RT_RUNC, &ci);
	ok(r == -EBADMSG && ci.runtime == CTR_RT_RUNC, "a runc bundle path with '..': refused");
	container_info_free(&ci);
}

static void test_dirs(struct container_ctx *ctx)
{
	static const char *const data_root[] = { "/var/lib/docker", "/data/docker" };
	static const char *const relative[] = { "data/docker" };
	struct container_info ci;

	diag("state directories can be changed (a moved data-root, k3s, ...)");
	is_int(container_resolve_id(ctx, ID_DATA_ROOT, CTR_RT_DOCKER, &ci), -ENOENT,
	       "Docker data-root elsewhere: not found in /var/lib/docker");
	container_info_free(&ci);
	is_int(container_ctx_set_dirs(ctx, CTR_STORE_DOCKER, data_root, 2), 0,
	       "add /data/docker to Docker's directories");
	is_int(container_resolve_id(ctx, ID_DATA_ROOT, CTR_RT_DOCKER, &ci), 0, "now found");
	is_str(ci.name, "moved", "... and read");
	container_info_free(&ci);
	is_int(container_ctx_set_dirs(ctx, CTR_STORE_DOCKER, relative, 1), -EINVAL,
	       "a relative directory is refused");
	is_int(container_ctx_set_dirs(ctx, CTR_NSTORES, data_root, 1), -EINVAL,
	       "so is a store that does not exist");
}

/* ---- Cgroup v2 ids ---------------------------------------------------------------- */

struct seen {
	size_t n;
	int root_first, ids_match, found_scope;
};

static int collect(uint64_t id, const char *path, void *arg)
{
	struct seen *s = arg;
	char *full = xasprintf("%s/sys/fs/cgroup/unified%s", tree, path);
	struct stat st;

	if (s->n++ == 0)
		s->root_first = !strcmp(path, "/");
	if (stat(full, &st) < 0 || st.st_ino != id)
		s->ids_match = 0;
	if (!strcmp(path, "/system.slice/docker-" ID_DOCKER ".scope"))
		s->found_scope = 1;
	free(full);
	return 0;
}

static int stop_at_second(uint64_t id, const char *path, void *arg)
{
	(void)id, (void)path;
	return ++*(int *)arg == 2 ? 42 : 0;
}

static void test_cgroups(struct container_ctx *ctx)
{
	struct seen seen = { 0, 0, 1, 0 };
	char buf[512], *path;
	struct stat st;
	uint64_t id = 0;
	int calls = 0;

	diag("cgroup v2: the mount, ids, the walk, a process's cgroup");
	/* A hybrid host, as these machines are: v1 controllers at
	 * /sys/fs/cgroup/<controller>, v2 at /sys/fs/cgroup/unified. */
	put_json("/proc/self/mountinfo",
		 "25 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
		 "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
		 "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
		 "40 31 0:37 / /mnt/with\\040space rw shared:2 master:1 - tmpfs tmpfs rw\n"
		 "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime shared:9 - cgroup2 cgroup2 rw\n");
	mkdirs("/sys/fs/cgroup/unified/system.slice/docker-" ID_DOCKER ".scope");
	mkdirs("/sys/fs/cgroup/unified/kubepods/besteffort/pod" POD_UID "/" ID_CRI);
	mkdirs("/sys/fs/cgroup/unified/user.slice");
	put_raw("/sys/fs/cgroup/unified/cgroup.procs", "1\n", 2);

	path = at("/sys/fs/cgroup/unified");
	is_str(container_ctx_cgroup2_mount(ctx), path,
	       "the v2 mount: /sys/fs/cgroup/unified from mountinfo, below the root");
	free(path);

	path = at("/sys/fs/cgroup/unified/kubepods/besteffort/pod" POD_UID "/" ID_CRI);
	stat(path, &st);
	free(path);
	is_int(container_cgroup_id(ctx, "/kubepods/besteffort/pod" POD_UID "/" ID_CRI, &id), 0,
	       "a container's cgroup id");
	is_int((long long)id, (long long)st.st_ino, "... is its directory's inode number");
	is_int(container_cgroup_id(ctx, "/no/such/cgroup", &id), -ENOENT,
	       "no such cgroup: -ENOENT");
	is_int(container_cgroup_id(ctx, "/cgroup.procs", &id), -ENOTDIR,
	       "a file is not a cgroup: -ENOTDIR");

	is_int(container_cgroup_walk(ctx, collect, &seen), 0, "the walk");
	is_int((long long)seen.n, 8, "visits every cgroup once (8 directories, no files)");
	ok(seen.root_first, "the root first, as \"/\"");
	ok(seen.ids_match, "each with its directory's inode number");
	ok(seen.found_scope, "paths are relative to the mount");
	is_int(container_cgroup_walk(ctx, stop_at_second, &calls), 42,
	       "a callback's nonzero value stops the walk and is returned");

	put_raw("/proc/4242/cgroup",
		"9:name=systemd:/system.slice/docker-" ID_DOCKER ".scope\n"
		"4:memory:/system.slice/docker-" ID_DOCKER ".scope\n0::/\n",
		strlen("9:name=systemd:/system.slice/docker-" ID_DOCKER ".scope\n"
		       "4:memory:/system.slice/docker-" ID_DOCKER ".scope\n0::/\n"));
	is_int(container_cgroup_of_pid(ctx, 4242, buf, sizeof(buf)), 0, "pid 4242's cgroup");
	is_str(buf, "/system.slice/docker-" ID_DOCKER ".scope",
	       "... from the memory line, the v2 line being the root");
	is_int(container_cgroup_of_pid(ctx, 4243, buf, sizeof(buf)), -ENOENT,
	       "no such process: -ENOENT");

	is_int(container_ctx_set_cgroup2_mount(ctx, "/sys/fs/cgroup/unified/user.slice"), 0,
	       "the mount can be set");
	is_int(container_cgroup_id(ctx, "/", &id), 0, "... and is then used");
	is_int(container_ctx_set_cgroup2_mount(ctx, "relative"), -EINVAL,
	       "a relative mount is refused");
	container_ctx_set_cgroup2_mount(ctx, NULL);
}

static void test_no_cgroup2(void)
{
	struct container_ctx *ctx = container_ctx_new("/nonexistent-d4c-root");
	uint64_t id;

	ok(!container_ctx_cgroup2_mount(ctx), "no cgroup2 mount anywhere: NULL");
	is_int(container_cgroup_id(ctx, "/", &id), -ENOENT, "... ids: -ENOENT");
	is_int(container_cgroup_walk(ctx, stop_at_second, NULL), -ENOENT, "... walk: -ENOENT");
	container_ctx_free(ctx);
}

/* The real machine, read-only: whatever it is, the answers hang together. */
static void test_this_host(void)
{
	struct container_ctx *ctx = container_ctx_new(NULL);
	const char *mount = container_ctx_cgroup2_mount(ctx);
	char buf[4096];
	uint64_t id;
	struct stat st;

	diag("this machine: cgroup2 at %s", mount ? mount : "(none)");
	is_int(container_cgroup_of_pid(ctx, getpid(), buf, sizeof(buf)), 0,
	       "our own /proc/self/cgroup has a usable line");
	if (!mount || stat(mount, &st) < 0) {
		skip(1, "no cgroup2 here");
	} else {
		ok(container_cgroup_id(ctx, "/", &id) == 0 && id == st.st_ino,
		   "the v2 root's id is its inode number");
	}
	container_ctx_free(ctx);
}

/* ---- Cache -------------------------------------------------------------------------- */

static struct container_info named(const char *id, const char *name)
{
	struct container_info ci;

	memset(&ci, 0, sizeof(ci));
	ci.privileged = -1;
	ci.resolved = CTR_RESOLVED_FULL;
	ci.id = xstrdup(id);
	ci.name = xstrdup(name);
	return ci;
}

static void test_cache(void)
{
	struct container_cache *c = container_cache_new(3, 60);
	struct container_info a = named("a", "alpha"), b = named("b", "beta"),
			      d = named("d", "delta"), e = named("e", "echo"), none;
	const struct container_info *got;

	diag("the cache: by id, kept 60 s after the container goes, at most 3");
	container_cache_put(c, &a, 100);
	free(a.name);
	a.name = xstrdup("changed");
	got = container_cache_get(c, "a", 100);
	ok(got && !strcmp(got->name, "alpha"), "put stores a copy");
	ok(!container_cache_get(c, "zz", 100), "an unknown id: NULL");

	container_cache_gone(c, "a", 200);
	ok(container_cache_get(c, "a", 259) != NULL, "gone at 200: still named at 259");
	ok(!container_cache_get(c, "a", 260), "... and forgotten at 260");
	is_int((long long)container_cache_count(c), 0, "the expired entry is freed");

	container_cache_put(c, &a, 300);
	container_cache_gone(c, "a", 300);
	container_cache_put(c, &a, 310);
	ok(container_cache_get(c, "a", 1000) != NULL,
	   "a put after gone revives the entry (same id restarted)");

	container_cache_put(c, &b, 400);
	container_cache_put(c, &d, 401);
	container_cache_get(c, "a", 402); /* b is now the least recently used */
	container_cache_put(c, &e, 403);
	ok(!container_cache_get(c, "b", 404) && container_cache_get(c, "a", 404) &&
		   container_cache_get(c, "d", 404) && container_cache_get(c, "e", 404),
	   "full: the least recently used entry makes room");
	is_int((long long)container_cache_count(c), 3, "never more than 3");

	container_cache_gone(c, "d", 500);
	container_cache_put(c, &b, 520);
	ok(container_cache_get(c, "d", 521) && container_cache_count(c) == 3 &&
		   !container_cache_get(c, "a", 521),
	   "full again: a lingering entry still counts until its time");
	container_cache_put(c, &a, 600);
	ok(!container_cache_get(c, "d", 600) && container_cache_get(c, "a", 600) &&
		   container_cache_get(c, "b", 600) && container_cache_get(c, "e", 600),
	   "... then it is the one to go, before any live entry");

	container_cache_gone(c, "e", 700);
	container_cache_gone(c, "b", 710);
	is_int((long long)container_cache_expire(c, 765), 1, "expire at 765 drops e only");
	is_int((long long)container_cache_expire(c, 770), 1, "... and at 770, b");

	memset(&none, 0, sizeof(none));
	is_int(container_cache_put(c, &none, 800), -EINVAL, "an entry needs an id");

	container_info_free(&a);
	container_info_free(&b);
	container_info_free(&d);
	container_info_free(&e);
	container_cache_free(c);
}

int main(void)
{
	struct container_ctx *ctx;

	plan(NO_PLAN);
	test_paths();
	test_lines();

	if (!mkdtemp(tree))
		die("mkdtemp: %s", strerror(errno));
	build_runtime_state();
	build_malformed_state();
	build_reader_state();
	ctx = container_ctx_new(tree);
	test_resolve(ctx);
	test_reader(ctx);
	test_dirs(ctx);
	test_cgroups(ctx);
	container_ctx_free(ctx);
	nftw(tree, rm_one, 16, FTW_DEPTH | FTW_PHYS);

	test_no_cgroup2();
	test_this_host();
	test_cache();
	return done_testing();
}
