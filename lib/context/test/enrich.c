/*
 * test-enrich.c - the enrich transform on its own, with a made-up node
 * below a temporary root: a containerd bundle, a CRI-O one, and /proc
 * entries for processes older than d4c-enrich. Every output line must be
 * one JSON object without duplicate keys (jansson, JSON_REJECT_DUPLICATES);
 * then the splicing, the process table (ancestors, entity ids from /proc
 * and from events, reused pids, eviction) and the context_pending marker.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "enrich.h"
#include "tap.h"
#include "util.h"

#define CID  "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define CRIO "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
#define PRIV "1111111111111111111111111111111111111111111111111111111111111111"
#define POD  "3c5d1c1e-7a41-4a8e-9a55-3f0f2f6a5c11"
#define HOST "{\"name\":\"node-1\",\"id\":\"m1\"}"

static char root[256];
static long hz;

static void write_file(const char *rel, const char *text)
{
	char path[512], *slash;

	snprintf(path, sizeof(path), "%s%s", root, rel);
	for (slash = strchr(path + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = 0;
		mkdir(path, 0755);
		*slash = '/';
	}
	if (write_whole_file(path, text, strlen(text)))
		die("cannot write '%s'", path);
}

/* A process in ROOT/proc: stat with START_TICKS, cmdline, status, exe, cwd. */
static void fake_proc(unsigned pid, const char *comm, unsigned ppid, unsigned sid,
		      unsigned long long start_ticks, const char *cmdline, size_t cmdlen,
		      const char *exe)
{
	char rel[64], text[512], path[512];

	snprintf(rel, sizeof(rel), "/proc/%u/stat", pid);
	snprintf(text, sizeof(text),
		 "%u (%s) S %u %u %u 34816 0 0 0 0 0 0 0 0 0 0 20 0 1 0 %llu 0 0\n", pid, comm,
		 ppid, sid, sid, start_ticks);
	write_file(rel, text);
	snprintf(path, sizeof(path), "%s/proc/%u/cmdline", root, pid);
	write_whole_file(path, cmdline, cmdlen);
	snprintf(rel, sizeof(rel), "/proc/%u/status", pid);
	write_file(rel, "Name:\tx\nUid:\t1000\t1001\t1001\t1001\nGid:\t100\t101\t101\t101\n");
	snprintf(path, sizeof(path), "%s/proc/%u/exe", root, pid);
	if (symlink(exe, path))
		die("symlink");
	snprintf(path, sizeof(path), "%s/proc/%u/cwd", root, pid);
	if (symlink("/home/dev", path))
		die("symlink");
}

static struct buf out;
static char line_copy[8192];

/* Enriches LINE; returns the output line parsed (NULL and a diagnostic when
 * it is not one JSON object without duplicate keys). */
static json_t *run(struct enrich *E, const char *line, enum enrich_result *res)
{
	const char *why;
	size_t at, n = strlen(line);
	unsigned missing;
	json_error_t je;
	json_t *j;
	enum enrich_result r;

	memcpy(line_copy, line, n);
	line_copy[n] = '\n';
	out.len = 0;
	r = enrich_line(E, line_copy, n, 0, 1000000000ull, 1764072000000000000ull, &out, &missing,
			&why, &at);
	if (res)
		*res = r;
	if (r == ENRICH_INVALID)
		return NULL;
	if (!out.len || out.p[out.len - 1] != '\n') {
		diag("output does not end with a newline");
		return NULL;
	}
	j = json_loadb(out.p, out.len - 1, JSON_REJECT_DUPLICATES, &je);
	if (!j || !json_is_object(j)) {
		diag("invalid output (%s): %.*s", je.text, (int)out.len, out.p);
		json_decref(j);
		return NULL;
	}
	return j;
}

/* The string at dotted PATH of J ("" when absent or not a string). */
static const char *s_at(json_t *j, const char *path)
{
	char buf[256], *save, *k;

	snprintf(buf, sizeof(buf), "%s", path);
	for (k = strtok_r(buf, ".", &save); k && j; k = strtok_r(NULL, ".", &save))
		j = json_object_get(j, k);
	return json_is_string(j) ? json_string_value(j) :
	       json_is_true(j)	 ? "true" :
	       json_is_false(j)	 ? "false" :
				   "";
}

static json_t *at(json_t *j, const char *path)
{
	char buf[256], *save, *k;

	snprintf(buf, sizeof(buf), "%s", path);
	for (k = strtok_r(buf, ".", &save); k && j; k = strtok_r(NULL, ".", &save))
		j = json_object_get(j, k);
	return j;
}

static char *dump(json_t *j)
{
	return j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY) : strdup("null");
}

static int is_json(json_t *j, const char *path, const char *want, const char *name)
{
	char *got = dump(at(j, path));
	int r = is_str(got, want, "%s", name);

	free(got);
	return r;
}

/* An event as d4c-load writes it (the members that matter). */
static char *ev(const char *action, unsigned pid, unsigned long long start_ns, unsigned ppid,
		unsigned long long pstart_ns, unsigned sid, const char *name, const char *extra)
{
	return xasprintf(
		"{\"@timestamp\":\"2026-11-25T12:00:00.000000000Z\",\"ecs\":{\"version\":\"8.11.0\"},"
		"\"agent\":{\"type\":\"d4c\",\"version\":\"0.1.0\"},\"event\":{\"kind\":\"event\","
		"\"category\":[\"process\"],\"action\":\"%s\",\"type\":[\"start\"],\"outcome\":"
		"\"success\",\"dataset\":\"cloud_defend.process\"},\"process\":{\"pid\":%u,"
		"\"name\":\"%s\",\"executable\":\"/bin/%s\",\"args\":[\"%s\",\"-x\"],\"args_count\":2,"
		"\"working_directory\":\"/\",\"start\":\"2026-11-25T11:00:00.000000000Z\","
		"\"entity_id\":\"b00t-%u-%llu\",\"interactive\":false,\"user\":{\"id\":\"0\"},"
		"\"group\":{\"id\":\"0\"},\"parent\":{\"pid\":%u,\"start\":\"2026-11-25T10:00:00."
		"000000000Z\","
		"\"entity_id\":\"b00t-%u-%llu\"},\"group_leader\":{\"pid\":%u,\"same_as_process\":%s},"
		"\"session_leader\":{\"pid\":%u,\"same_as_process\":%s}}%s}",
		action, pid, name, name, name, pid, start_ns, ppid, ppid, pstart_ns, pid, "true",
		sid, sid == pid ? "true" : "false", extra);
}

/* The container.name of an exec by PID in container ID, as enriched by E. */
static const char *name_in(struct enrich *E, const char *id, unsigned pid)
{
	static char name[64];
	char extra[128], *l;
	json_t *j;

	snprintf(extra, sizeof(extra), ",\"container\":{\"id\":\"%s\"}", id);
	l = ev("exec", pid, 1000ull * pid, 0, 0, pid, "sh", extra);
	j = run(E, l, NULL);
	snprintf(name, sizeof(name), "%s", s_at(j, "container.name"));
	json_decref(j);
	free(l);
	return name;
}

int main(void)
{
	struct enrich_config cfg = {
		.boot_id = "b00t", .host_json = HOST, .agent_id = "agent-1", .cluster_name = "prod"
	};
	struct enrich *E;
	enum enrich_result r;
	json_t *j;
	char *l;
	unsigned long long tick;

	plan(NO_PLAN);
	hz = sysconf(_SC_CLK_TCK);
	tick = 1000000000ull / hz;
	snprintf(root, sizeof(root), "/tmp/test-enrich.XXXXXX");
	if (!mkdtemp(root))
		die("mkdtemp");
	write_file("/run/containerd/io.containerd.runtime.v2.task/k8s.io/" CID "/config.json",
		   "{\"ociVersion\":\"1.1.0\",\"annotations\":{"
		   "\"io.kubernetes.cri.container-type\":\"container\","
		   "\"io.kubernetes.cri.container-name\":\"web\","
		   "\"io.kubernetes.cri.image-name\":\"docker.io/library/nginx:1.25\","
		   "\"io.kubernetes.cri.sandbox-name\":\"web-1\","
		   "\"io.kubernetes.cri.sandbox-namespace\":\"shop\","
		   "\"io.kubernetes.cri.sandbox-uid\":\"" POD "\"}}");
	write_file("/run/containers/storage/overlay-containers/" CRIO "/userdata/config.json",
		   "{\"ociVersion\":\"1.1.0\",\"annotations\":{"
		   "\"io.kubernetes.cri-o.ContainerName\":\"db\","
		   "\"io.kubernetes.cri-o.ImageName\":\"quay.io/x/pg:16@sha256:"
		   "0d17b565c37bcbd895e9d92315a05c1c3c9a29f762b011a10c54a66cd53c9b31\","
		   "\"io.kubernetes.cri-o.Labels\":\"{\\\"app\\\":\\\"pg\\\"}\","
		   "\"io.kubernetes.cri-o.Annotations\":\"{\\\"note\\\":\\\"a:b\\\"}\","
		   "\"io.kubernetes.pod.name\":\"pg-0\",\"io.kubernetes.pod.namespace\":\"data\","
		   "\"io.kubernetes.pod.uid\":\"" POD "\"}}");
	{
		/* a privileged container: every capability, nothing masked */
		static const char *const caps[] = {
			"CHOWN",
			"DAC_OVERRIDE",
			"DAC_READ_SEARCH",
			"FOWNER",
			"FSETID",
			"KILL",
			"SETGID",
			"SETUID",
			"SETPCAP",
			"LINUX_IMMUTABLE",
			"NET_BIND_SERVICE",
			"NET_BROADCAST",
			"NET_ADMIN",
			"NET_RAW",
			"IPC_LOCK",
			"IPC_OWNER",
			"SYS_MODULE",
			"SYS_RAWIO",
			"SYS_CHROOT",
			"SYS_PTRACE",
			"SYS_PACCT",
			"SYS_ADMIN",
			"SYS_BOOT",
			"SYS_NICE",
			"SYS_RESOURCE",
			"SYS_TIME",
			"SYS_TTY_CONFIG",
			"MKNOD",
			"LEASE",
			"AUDIT_WRITE",
			"AUDIT_CONTROL",
			"SETFCAP",
			"MAC_OVERRIDE",
			"MAC_ADMIN",
			"SYSLOG",
			"WAKE_ALARM",
			"BLOCK_SUSPEND",
			"AUDIT_READ",
		};
		char spec[2048];
		size_t n = 0;

		n += snprintf(spec + n, sizeof(spec) - n,
			      "{\"process\":{\"capabilities\":{\"bounding\":[");
		for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++)
			n += snprintf(spec + n, sizeof(spec) - n, "%s\"CAP_%s\"", i ? "," : "",
				      caps[i]);
		snprintf(spec + n, sizeof(spec) - n,
			 "]}},\"linux\":{\"maskedPaths\":[]},\"annotations\":{"
			 "\"io.kubernetes.cri.container-name\":\"priv\"}}");
		write_file("/run/containerd/io.containerd.runtime.v2.task/k8s.io/" PRIV
			   "/config.json",
			   spec);
	}
	cfg.root = root;
	E = enrich_new(&cfg);

	/* ---- splicing ---- */
	l = ev("exec", 100, 5000000000ull, 0, 0, 100, "nginx",
	       ",\"container\":{\"id\":\"" CID "\"},\"cloud_defend\":{\"actions\":[\"log\"]}");
	j = run(E, l, &r);
	ok(j && r == ENRICH_WRITTEN, "a container event: one JSON object, no duplicate key");
	is_str(s_at(j, "container.name"), "web", "container.name from containerd's bundle");
	is_str(s_at(j, "container.runtime"), "containerd", "container.runtime");
	is_str(s_at(j, "container.image.name"), "nginx", "container.image.name");
	is_str(s_at(j, "container.image.tag"), "1.25", "container.image.tag");
	is_str(s_at(j, "orchestrator.namespace"), "shop", "orchestrator.namespace");
	is_str(s_at(j, "orchestrator.resource.name"), "web-1", "orchestrator.resource.name");
	is_str(s_at(j, "orchestrator.resource.id"), POD, "orchestrator.resource.id");
	is_str(s_at(j, "orchestrator.cluster.name"), "prod", "orchestrator.cluster.name");
	is_json(j, "host", "{\"id\":\"m1\",\"name\":\"node-1\"}", "host appended as given");
	is_str(s_at(j, "agent.id"), "agent-1", "agent.id added to agent");
	is_str(s_at(j, "agent.type"), "d4c", "agent.type kept");
	is_str(s_at(j, "event.ingested"), "2025-11-25T12:00:00.000000000Z", "event.ingested added");
	ok(!at(j, "cloud_defend.context_pending"), "nothing pending");
	is_json(j, "process.group_leader.same_as_process", "true", "group leader is itself");
	is_str(s_at(j, "process.group_leader.name"), "nginx", "the group leader's fragment");
	json_decref(j);
	free(l);

	/* objects that exist are replaced, not repeated */
	l = ev("exec", 101, 5000000000ull, 0, 0, 101, "nginx",
	       ",\"container\":{\"id\":\"" CID "\",\"name\":\"stale\"},\"orchestrator\":{\"x\":1},"
	       "\"host\":{\"name\":\"old\"},\"cloud_defend\":{\"context_pending\":[\"x\"]}");
	j = run(E, l, NULL);
	ok(j != NULL, "a line that has container, orchestrator, host and context_pending");
	is_str(s_at(j, "container.name"), "web", "container replaced");
	ok(!at(j, "orchestrator.x") && !strcmp(s_at(j, "orchestrator.namespace"), "shop"),
	   "orchestrator replaced");
	is_str(s_at(j, "host.name"), "node-1", "host replaced");
	is_json(j, "cloud_defend.context_pending", "[]", "an old context_pending emptied");
	json_decref(j);
	free(l);

	l = ev("exec", 105, 5000000000ull, 0, 0, 105, "x", ",\"container\":{\"id\":\"" PRIV "\"}");
	j = run(E, l, NULL);
	is_str(s_at(j, "container.security_context.privileged"), "true", "a privileged container");
	json_decref(j);
	free(l);
	l = ev("exec", 106, 5000000000ull, 0, 0, 106, "x", ",\"container\":{\"id\":\"" CID "\"}");
	j = run(E, l, NULL);
	ok(!at(j, "container.security_context"),
	   "unknown when the spec does not say (no capabilities)");
	json_decref(j);
	free(l);

	/* keys written with escapes are the same keys */
	l = ev("exec", 103, 5000000000ull, 4100, 100, 103, "nginx",
	       ",\"h\\u006fst\":{\"name\":\"old\"},\"\\u0063loud_defend\":{\"x\":1}");
	j = run(E, l, NULL);
	ok(j != NULL, "escaped keys: still no key twice");
	is_str(s_at(j, "host.name"), "node-1", "an escaped host replaced");
	is_json(j, "cloud_defend", "{\"context_pending\":[\"process.parent\"],\"x\":1}",
		"the marker goes into an escaped cloud_defend");
	json_decref(j);
	free(l);

	/* CRI-O: labels and annotations from its annotations */
	l = ev("exec", 102, 5000000000ull, 0, 0, 102, "postgres",
	       ",\"container\":{\"id\":\"" CRIO "\"}");
	j = run(E, l, NULL);
	is_str(s_at(j, "container.runtime"), "cri-o", "CRI-O: runtime");
	is_json(j, "container.image.hash.all",
		"[\"sha256:0d17b565c37bcbd895e9d92315a05c1c3c9a29f762b011a10c54a66cd53c9b31\"]",
		"CRI-O: image digest");
	is_json(j, "orchestrator.resource.label", "[\"app:pg\"]", "CRI-O: labels");
	is_json(j, "orchestrator.resource.annotation", "[\"note:a:b\"]", "CRI-O: annotations");
	json_decref(j);
	free(l);

	/* a metric record passes byte for byte; a bad line is refused */
	{
		const char *m =
			"{\"event\":{\"kind\":\"metric\"},\"d4c\":{\"stage\":\"d4c-load\"}}";

		j = run(E, m, &r);
		ok(r == ENRICH_PASSED && out.len == strlen(m) + 1 && !memcmp(out.p, m, strlen(m)),
		   "a metric record passes unchanged");
		json_decref(j);
		j = run(E, "{\"a\":1,}", &r);
		ok(r == ENRICH_INVALID && !j && out.len == 0, "an invalid line: nothing written");
	}

	/* a line with blanks, and none of the usual objects */
	j = run(E, " { \"message\" : \"hi\" , \"event\" : { } } ", NULL);
	ok(j != NULL, "a spaced line without process or container");
	is_str(s_at(j, "ecs.version"), "8.11.0", "ecs added");
	is_str(s_at(j, "agent.id"), "agent-1", "agent added");
	is_str(s_at(j, "event.dataset"), "cloud_defend.process", "event.dataset added");
	is_str(s_at(j, "host.name"), "node-1", "host added");
	json_decref(j);
	j = run(E, "{}", NULL);
	ok(j && json_object_size(j) == 3, "{} gets agent, ecs and host");
	json_decref(j);

	/* ---- context not known ---- */
	l = ev("exec", 103, 5000000000ull, 0, 0, 103, "x",
	       ",\"container\":{\"id\":"
	       "\"aaaabbbbccccddddaaaabbbbccccddddaaaabbbbccccddddaaaabbbbccccdddd\"}");
	j = run(E, l, NULL);
	is_json(j, "cloud_defend.context_pending", "[\"container.name\",\"container.image.name\"]",
		"an unknown container: marked, with cloud_defend added");
	json_decref(j);
	free(l);
	{
		const char *why;
		size_t at_;
		unsigned missing;

		l = ev("exec", 104, 5000000000ull, 0, 0, 104, "x",
		       ",\"container\":{\"id\":"
		       "\"aaaabbbbccccddddaaaabbbbccccddddaaaabbbbccccddddaaaabbbbcccc0000\"},"
		       "\"cloud_defend\":{}");
		out.len = 0;
		r = enrich_line(E, l, strlen(l), 1, 2000000000ull, 0, &out, &missing, &why, &at_);
		ok(r == ENRICH_HOLD && out.len == 0 && (missing & (1u << MISS_CTR_NAME)),
		   "with MAY_HOLD such an event is held, nothing written");
		j = run(E, l, NULL);
		is_json(j, "cloud_defend.context_pending",
			"[\"container.name\",\"container.image.name\"]",
			"into an empty cloud_defend");
		json_decref(j);
		free(l);
	}

	/* ---- the process table ---- */
	/* an old shell (pid 500, session 500), started at tick 1000, only in /proc */
	fake_proc(500, "bash", 1, 500, 1000, "bash\0-l\0", 8, "/usr/bin/bash");
	/* its child 501, seen in events (parent reference with d4c-load's ns start) */
	l = ev("exec", 501, 2000 * tick, 500, 1000 * tick + 1234567, 500, "vim", "");
	j = run(E, l, NULL);
	is_str(s_at(j, "process.parent.name"), "bash", "parent from /proc: name");
	is_json(j, "process.parent.args", "[\"bash\",\"-l\"]", "parent from /proc: args");
	is_str(s_at(j, "process.parent.executable"), "/usr/bin/bash", "parent from /proc: exe");
	is_str(s_at(j, "process.parent.working_directory"), "/home/dev", "parent: cwd");
	is_str(s_at(j, "process.parent.user.id"), "1001", "parent: effective uid");
	is_str(s_at(j, "process.parent.interactive"), "true", "parent: has a tty");
	{
		char *want = xasprintf("b00t-500-%llu", 1000 * tick + 1234567);

		is_str(s_at(j, "process.parent.entity_id"), want,
		       "the parent keeps the entity id d4c-load gave (same tick as /proc's)");
		is_str(s_at(j, "process.session_leader.entity_id"), want,
		       "and the same process as session leader has the same id");
		free(want);
	}
	is_str(s_at(j, "process.session_leader.name"), "bash", "session leader complete");
	is_json(j, "process.session_leader.same_as_process", "false", "not the process itself");
	is_str(s_at(j, "process.parent.start"), "2026-11-25T10:00:00.000000000Z",
	       "the parent's start as the event gave it");
	json_decref(j);
	free(l);

	/* a session leader only /proc knows, never named with an id: ticks */
	fake_proc(600, "sshd", 1, 600, 777, "sshd: dev\0", 10, "/usr/sbin/sshd");
	l = ev("exec", 601, 3000 * tick, 0, 0, 600, "ls", "");
	j = run(E, l, NULL);
	{
		char *want = xasprintf("b00t-600-%llu", 777 * tick);

		is_str(s_at(j, "process.session_leader.entity_id"), want,
		       "an ancestor from /proc alone: id from its start in ticks");
		free(want);
	}
	json_decref(j);
	free(l);
	/* then an event of that process, with a start in the same tick */
	l = ev("exec", 600, 777 * tick + 3, 1, 1, 600, "sshd", "");
	j = run(E, l, NULL);
	json_decref(j);
	free(l);
	l = ev("exec", 602, 3001 * tick, 0, 0, 600, "ls", "");
	j = run(E, l, NULL);
	{
		char *want = xasprintf("b00t-600-%llu", 777 * tick + 3);

		is_str(s_at(j, "process.session_leader.entity_id"), want,
		       "once an event names it, d4c-load's id replaces the made-up one");
		free(want);
	}
	json_decref(j);
	free(l);

	/* a pid reused: a new process, a new id and name */
	l = ev("exec", 501, 9000 * tick, 500, 1000 * tick + 1234567, 500, "top", "");
	j = run(E, l, NULL);
	json_decref(j);
	free(l);
	l = ev("fork", 700, 9100 * tick, 501, 9000 * tick, 500, "top", "");
	j = run(E, l, NULL);
	{
		char *want = xasprintf("b00t-501-%llu", 9000 * tick);

		is_str(s_at(j, "process.parent.entity_id"), want, "reused pid: the new id");
		is_str(s_at(j, "process.parent.name"), "top", "reused pid: the new process");
		free(want);
	}
	json_decref(j);
	free(l);
	/* an ancestor that is nowhere: marked, its reference left as it was */
	l = ev("exec", 701, 9200 * tick, 4000, 100, 701, "x", "");
	j = run(E, l, NULL);
	is_json(j, "cloud_defend.context_pending", "[\"process.parent\"]",
		"an unknown parent is marked");
	is_json(j, "process.parent.pid", "4000", "its pid stays");
	ok(!at(j, "process.parent.name"), "and nothing is made up");
	json_decref(j);
	free(l);
	enrich_free(E);

	/* ---- a container goes with its first process ---- */
	{
		static const char *const lines[] = {
			"{\"event\":{\"kind\":\"event\",\"action\":\"exec\"},\"process\":{\"pid\":300,"
			"\"entity_id\":\"b00t-300-7\",\"entry_leader\":{\"pid\":300,\"entity_id\":"
			"\"b00t-300-7\"}},\"container\":{\"id\":\"" CID "\"}}",
			"{\"event\":{\"kind\":\"event\",\"action\":\"exec\"},\"process\":{\"pid\":401,"
			"\"entity_id\":\"b00t-401-8\",\"entry_leader\":{\"pid\":400,\"entity_id\":"
			"\"b00t-400-7\"}},\"container\":{\"id\":\"" CRIO "\"}}",
			/* a process that is not the first one ends: its container stays */
			"{\"event\":{\"kind\":\"event\",\"action\":\"end\"},\"process\":{\"pid\":401,"
			"\"entity_id\":\"b00t-401-8\",\"entry_leader\":{\"pid\":400,\"entity_id\":"
			"\"b00t-400-7\"}},\"container\":{\"id\":\"" CRIO "\"}}",
			/* the first one ends: its container is gone */
			"{\"event\":{\"kind\":\"event\",\"action\":\"end\"},\"process\":{\"pid\":300,"
			"\"entity_id\":\"b00t-300-7\",\"entry_leader\":{\"pid\":300,\"entity_id\":"
			"\"b00t-300-7\"}},\"container\":{\"id\":\"" CID "\"}}",
		};

		E = enrich_new(&cfg);
		for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
			j = run(E, lines[i], &r);
			ok(j && r == ENRICH_WRITTEN, "container lifecycle line %zu enriched", i);
			if (i == 3)
				is_str(s_at(j, "container.name"), "web",
				       "the end of the first process is still named");
			json_decref(j);
		}
		is_int(enrich_stats(E)->containers, 2, "two containers cached");
		enrich_expire(E, 1000000000ull + 5000000000ull);
		is_int(enrich_stats(E)->containers, 2, "5 s after its end, the gone one lingers");
		enrich_expire(E, 1000000000ull + 11000000000ull);
		is_int(enrich_stats(E)->containers, 1,
		       "11 s after its first process ended, the container is dropped");
		j = run(E, lines[1], &r);
		is_str(s_at(j, "container.name"), "db", "the other one is still known");
		json_decref(j);
		enrich_free(E);
	}

	/* ---- bounded container table: the least recently seen goes ---- */
	{
		static const char *const bundle[] = {
			"/run/containerd/io.containerd.runtime.v2.task/k8s.io/" CID "/config.json",
			"/run/containers/storage/overlay-containers/" CRIO "/userdata/config.json",
		};
		char from[512], to[520];

		cfg.max_containers = 2;
		E = enrich_new(&cfg);
		is_str(name_in(E, CID, 700), "web", "bounded: the first container");
		is_str(name_in(E, CRIO, 701), "db", "bounded: the second");
		is_str(name_in(E, CID, 702), "web",
		       "bounded: the first again, now the more recent");
		/* from now on what is not cached cannot be read again */
		for (size_t i = 0; i < 2; i++) {
			snprintf(from, sizeof(from), "%s%s", root, bundle[i]);
			snprintf(to, sizeof(to), "%s.away", from);
			if (rename(from, to))
				die("rename");
		}
		is_str(name_in(E, PRIV, 703), "priv", "a third container in a table of two");
		is_int(enrich_stats(E)->containers, 2, "two containers cached");
		is_str(name_in(E, CID, 704), "web", "the most recently seen one stayed");
		is_str(name_in(E, CRIO, 705), "", "the least recently seen one was dropped");
		for (size_t i = 0; i < 2; i++) {
			snprintf(from, sizeof(from), "%s%s", root, bundle[i]);
			snprintf(to, sizeof(to), "%s.away", from);
			if (rename(to, from))
				die("rename");
		}
		enrich_free(E);
		cfg.max_containers = 0;
	}

	/* ---- bounded table ---- */
	cfg.max_processes = 16;
	E = enrich_new(&cfg);
	for (unsigned pid = 1000; pid < 1100; pid++) {
		l = ev("exec", pid, pid * tick, 0, 0, pid, "p", "");
		j = run(E, l, NULL);
		json_decref(j);
		free(l);
	}
	is_int(enrich_stats(E)->processes, 16, "100 processes in a table of 16: 16 kept");
	is_int(enrich_stats(E)->evictions, 84, "84 evicted");
	l = ev("exec", 2000, 1, 1099, 1099 * tick, 1099, "child", "");
	j = run(E, l, NULL);
	is_str(s_at(j, "process.parent.name"), "p", "the most recent is still there");
	json_decref(j);
	free(l);
	is_int(enrich_stats(E)->written, 101, "101 written");
	enrich_free(E);

	buf_free(&out);
	{
		char *cmd = xasprintf("rm -rf '%s'", root);

		if (system(cmd))
			diag("cannot remove %s", root);
		free(cmd);
	}
	return done_testing();
}
