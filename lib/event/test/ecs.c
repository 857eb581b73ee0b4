/*
 * ecs.c (test) - kernel records as ECS events, without a kernel: records
 * built by hand go through ecs_event_json() and come back through jansson,
 * and the fields Elastic's rules and templates read are what events.md
 * says. The BPF tests (t/load.bats, the guests) see the same writer with
 * real records; these cases pin down what a record alone cannot show
 * there: a process's executable and arguments remembered from its exec
 * for its later events, and forgotten at its end, the selector names and
 * container id that come from the caller, monitor_only.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ecs.h"
#include "tap.h"

/* A record and its strings, in enum d4c_str_id order. */
struct rec {
	struct d4c_record e;
	const char *strs[D4C_NSTR];
};

static struct rec rec(unsigned kind, uint32_t pid, uint64_t start, const char *path,
		      const char *args, size_t args_len)
{
	struct rec r = { 0 };

	r.e.kind = kind;
	r.e.ts_ns = 5000000000ull;
	r.e.task.pid = r.e.task.tid = pid;
	r.e.task.ppid = 100;
	r.e.task.parent_start_ns = 1000;
	r.e.task.start_ns = start;
	r.e.task.euid = 1000;
	strcpy(r.e.task.comm, "comm-name");
	r.e.actions = D4C_ACTION_LOG;
	r.e.revision = 7;
	for (int i = 0; i < D4C_NSTR; i++)
		r.strs[i] = "";
	if (path) {
		r.strs[D4C_S_PATH] = path;
		r.e.len[D4C_S_PATH] = (uint16_t)strlen(path);
	}
	if (args) {
		r.strs[D4C_S_ARGS] = args;
		r.e.len[D4C_S_ARGS] = (uint16_t)args_len;
	}
	return r;
}

/* A policy of two file selectors and one process selector. */
static const char *selector(const struct ecs_policy *p, unsigned type, unsigned i)
{
	static const char *const file[] = { "tmpWrites", "binaries" }, *const proc[] = { "shells" };

	(void)p;
	if (type == D4C_TYPE_FILE)
		return i < 2 ? file[i] : NULL;
	return i < 1 ? proc[i] : NULL;
}

static const struct ecs_policy policy = { .digest_hex = "ab12", .selector = selector };

static const char *container_of(void *arg, uint64_t cgroup_id)
{
	(void)arg;
	return cgroup_id == 42 ? "c0ffee" : NULL;
}

/* R's line as KIND, parsed (NULL and a failed case when it is not JSON). */
static json_t *line(struct ecs *x, const struct rec *r, const char *kind)
{
	struct jsonw w;
	json_error_t err;
	json_t *j;

	jsonw_init(&w);
	if (ecs_event_json(x, &w, &r->e, r->strs, kind, &policy)) {
		ok(0, "ecs_event_json failed");
		jsonw_free(&w);
		return NULL;
	}
	j = json_loadb(jsonw_data(&w), jsonw_len(&w), 0, &err);
	if (!j || jsonw_data(&w)[jsonw_len(&w) - 1] != '\n')
		ok(0, "not one JSON line: %s", err.text);
	jsonw_free(&w);
	return j;
}

/* The member at dotted PATH in J, or NULL. */
static json_t *get(json_t *j, const char *path)
{
	char key[128], *dot, *k = key;

	snprintf(key, sizeof(key), "%s", path);
	while (j && (dot = strchr(k, '.'))) {
		*dot = 0;
		j = json_object_get(j, k);
		k = dot + 1;
	}
	return j ? json_object_get(j, k) : NULL;
}

/* The string at dotted PATH in J, or "" (missing or not a string). */
static const char *str(json_t *j, const char *path)
{
	json_t *v = get(j, path);

	return json_is_string(v) ? json_string_value(v) : "";
}

/* The array at PATH as one string, elements joined with ','. */
static const char *joined(json_t *j, const char *path)
{
	static char out[256];
	json_t *a = get(j, path), *v;
	size_t i, n = 0;

	out[0] = 0;
	json_array_foreach(a, i, v) {
		n += (size_t)snprintf(out + n, sizeof(out) - n, "%s%s", i ? "," : "",
				      json_is_string(v) ? json_string_value(v) : "?");
		if (n >= sizeof(out))
			break;
	}
	return out;
}

static void test_exec_and_later_events(struct ecs *x)
{
	struct rec parent = rec(D4C_REC_EXEC, 100, 1000, "/bin/sh", "sh\0-c\0run it\0", 13);
	struct rec ex = rec(D4C_REC_EXEC, 200, 2000, "/usr/bin/wget.real", "wget\0-q\0", 8);
	struct rec file = rec(D4C_REC_FILE, 200, 2000, "/tmp/payload.tar.gz", NULL, 0);
	struct rec end = rec(D4C_REC_EXIT, 200, 2000, NULL, NULL, 0);
	char want[128];
	json_t *j;

	parent.e.task.ppid = 1;
	ecs_begin(x);
	ecs_learn(x, &parent.e, parent.strs);

	ecs_begin(x);
	j = line(x, &ex, "event");
	is_str(str(j, "process.name"), "wget.real",
	       "exec: process.name is the executable's name, not comm");
	is_str(str(j, "process.executable"), "/usr/bin/wget.real", "exec: process.executable");
	is_str(joined(j, "process.args"), "wget,-q", "exec: process.args");
	is_int(json_integer_value(get(j, "process.args_count")), 2, "exec: process.args_count");
	is_str(str(j, "process.command_line"), "wget -q", "exec: command_line joined with spaces");
	is_str(str(j, "process.parent.name"), "sh", "exec: the parent's name from its own exec");
	is_str(joined(j, "process.parent.args"), "sh,-c,run it", "exec: the parent's args");
	is_str(str(j, "event.action"), "exec", "exec: event.action");
	is_str(joined(j, "event.type"), "start", "exec: event.type");
	is_str(joined(j, "event.category"), "process", "exec: event.category");
	is_str(str(j, "event.dataset"), "cloud_defend.process", "exec: the process dataset");
	snprintf(want, sizeof(want), "%s-200-2000", x->boot_id);
	is_str(str(j, "process.entity_id"), want, "exec: entity_id is BOOT-PID-START");
	is_str(str(j, "user.id"), "1000", "exec: user.id is a string");
	is_str(str(j, "cloud_defend.package_policy_id"), "ab12", "exec: the policy's digest");
	ok(!get(j, "container"), "exec: no container object outside a container");
	json_decref(j);
	ecs_learn(x, &ex.e, ex.strs);

	/* a file record carries only comm: the rest is remembered */
	ecs_begin(x);
	file.e.file_action = D4C_FA_CREATION;
	j = line(x, &file, "event");
	is_str(str(j, "process.name"), "wget.real", "file: process.name remembered, not comm");
	is_str(joined(j, "process.args"), "wget,-q", "file: process.args remembered");
	is_str(str(j, "file.path"), "/tmp/payload.tar.gz", "file: file.path");
	is_str(str(j, "file.name"), "payload.tar.gz", "file: file.name");
	is_str(str(j, "file.extension"), "gz", "file: file.extension");
	is_str(str(j, "event.action"), "creation", "file: event.action");
	is_str(joined(j, "event.type"), "creation", "file: event.type");
	is_str(str(j, "event.dataset"), "cloud_defend.file", "file: the file dataset");
	json_decref(j);

	/* an exec in the same process: what it ran until then */
	{
		struct rec again = rec(D4C_REC_EXEC, 200, 2000, "/bin/sh", "sh\0", 3);

		j = line(x, &again, "event");
		is_str(str(json_array_get(get(j, "process.previous"), 0), "executable"),
		       "/usr/bin/wget.real", "exec again: process.previous names what it ran");
		is_str(joined(json_array_get(get(j, "process.previous"), 0), "args"), "wget,-q",
		       "exec again: and with which arguments");
		is_str(str(j, "process.name"), "sh", "exec again: process.name is the new program");
		json_decref(j);
	}

	/* the end: the exit status as a shell shows it, then forgotten */
	ecs_begin(x);
	end.e.exit_code = 9; /* killed by SIGKILL */
	j = line(x, &end, "event");
	is_str(str(j, "event.action"), "end", "end: event.action");
	is_int(json_integer_value(get(j, "process.exit_code")), 137, "end: SIGKILL shows as 137");
	is_str(str(j, "process.name"), "wget.real", "end: process.name remembered");
	ok(get(j, "process.end") != NULL, "end: process.end");
	json_decref(j);
	ok(ecs_proc_find(x, 200, 2000) != NULL, "a process is remembered until its end");
	ecs_forget(x, 200, 2000);
	ok(ecs_proc_find(x, 200, 2000) == NULL, "and forgotten after it");
	ok(ecs_proc_find(x, 100, 999) == NULL, "a reused pid (another start) is another process");

	j = line(x, &file, "event");
	is_str(str(j, "process.name"), "comm-name", "a process not remembered is named by comm");
	json_decref(j);
}

static void test_fork(struct ecs *x)
{
	struct rec parent = rec(D4C_REC_EXEC, 300, 3000, "/bin/busybox", "busybox\0sh\0", 11);
	struct rec fork = rec(D4C_REC_FORK, 301, 3100, "/bin/busybox", NULL, 0);
	json_t *j;

	parent.e.task.ppid = 1;
	ecs_learn(x, &parent.e, parent.strs);
	fork.e.task.ppid = 300;
	fork.e.task.parent_start_ns = 3000;
	ecs_begin(x);
	j = line(x, &fork, "event");
	is_str(str(j, "event.action"), "fork", "fork: event.action");
	is_str(joined(j, "process.args"), "busybox,sh", "fork: runs what its parent ran");
	json_decref(j);
}

static void test_alert_and_policy(struct ecs *x)
{
	struct rec f = rec(D4C_REC_FILE, 400, 4000, "/usr/bin/evil", NULL, 0);
	char id[37];
	json_t *j;

	f.e.file_action = D4C_FA_MODIFICATION;
	f.e.selectors = 1u << 1 | 1u << 5; /* bit 5: past the policy's last: ignored */
	f.e.actions = D4C_ACTION_LOG | D4C_ACTION_BLOCK;
	f.e.flags = D4C_EF_DENIED;
	ecs_begin(x);
	j = line(x, &f, "event");
	snprintf(id, sizeof(id), "%s", str(j, "event.id"));
	json_decref(j);
	j = line(x, &f, "alert");
	is_str(str(j, "event.id"), id, "an event line and its alert share event.id");
	ok(strlen(id) == 36 && id[14] == '4' && strchr("89ab", id[19]), "event.id is a v4 UUID: %s",
	   id);
	is_str(str(j, "event.dataset"), "cloud_defend.alerts", "alert: the alerts dataset");
	is_str(str(j, "event.kind"), "alert", "alert: event.kind");
	is_str(joined(j, "cloud_defend.matched_selectors"), "binaries",
	       "matched_selectors: the caller's names, bits past the last ignored");
	is_str(joined(j, "cloud_defend.actions"), "log,block", "cloud_defend.actions");
	is_str(joined(j, "event.type"), "change,denied", "a refused modification: change, denied");
	is_str(str(j, "event.outcome"), "failure", "a refused operation's outcome is failure");
	is_str(str(j, "message"), "File modification blocked: /usr/bin/evil (binaries)",
	       "alert: message names what and the selectors");
	ok(json_is_true(get(j, "cloud_defend.monitor_only")),
	   "a block where nothing can block is monitor_only");
	json_decref(j);

	x->enforcing = 1;
	j = line(x, &f, "alert");
	ok(!get(j, "cloud_defend.monitor_only"), "not monitor_only when enforcing");
	json_decref(j);

	ecs_begin(x);
	j = line(x, &f, "event");
	ok(strcmp(str(j, "event.id"), id) != 0, "the next record has a new event.id");
	json_decref(j);
}

static void test_container(struct ecs *x)
{
	struct rec r = rec(D4C_REC_FILE, 500, 5000, "/etc/passwd", NULL, 0);
	json_t *j;

	r.e.file_action = D4C_FA_OPEN;
	x->container_id = container_of;
	r.e.task.cgroup_id = 42;
	j = line(x, &r, "event");
	is_str(str(j, "container.id"), "c0ffee", "container.id from the caller's callback");
	json_decref(j);

	r.e.task.cgroup_id = 43;
	r.e.flags = D4C_EF_IN_CONTAINER;
	j = line(x, &r, "event");
	ok(json_is_object(get(j, "container")) && !get(j, "container.id"),
	   "in a container not yet known: an empty container object");
	json_decref(j);
}

static void test_failed_exec(struct ecs *x)
{
	struct rec r = rec(D4C_REC_EXEC, 600, 6000, "/nonexistent", "nonexistent\0", 12);
	json_t *j;

	r.e.flags = D4C_EF_EXEC_FAILED;
	r.e.exit_code = -2; /* ENOENT */
	j = line(x, &r, "event");
	is_str(str(j, "error.code"), "ENOENT", "failed exec: error.code");
	is_str(str(j, "process.name"), "comm-name", "failed exec: still runs what it ran (comm)");
	is_str(str(j, "process.executable"), "/nonexistent", "failed exec: what it tried");
	is_str(str(j, "event.outcome"), "failure", "failed exec: outcome failure");
	json_decref(j);
}

/* ECS_PROCS processes are remembered whatever their pids; past that, the
 * one whose records were seen least recently goes first. */
static void test_table(struct ecs *x)
{
	struct rec a = rec(D4C_REC_EXEC, 300, 3000, "/bin/a", "a\0", 2);
	struct rec b = rec(D4C_REC_EXEC, 300 + 8192, 3001, "/bin/b", "b\0", 2);
	struct rec act = rec(D4C_REC_FILE, 300, 3000, "/tmp/f", NULL, 0);
	json_t *j;
	uint32_t pid;

	ecs_learn(x, &a.e, a.strs);
	ecs_learn(x, &b.e, b.strs);
	ok(ecs_proc_find(x, 300, 3000) && ecs_proc_find(x, 300 + 8192, 3001),
	   "two processes whose pids differ by the table's size are both remembered");

	/* 300 acts, then ECS_PROCS - 1 others start: 300 + 8192 is the least
	 * recently seen and goes */
	j = line(x, &act, "event");
	json_decref(j);
	for (pid = 100000; pid < 100000 + ECS_PROCS - 1; pid++) {
		struct rec f = rec(D4C_REC_FORK, pid, 7, NULL, NULL, 0);

		ecs_learn(x, &f.e, f.strs);
	}
	ok(ecs_proc_find(x, 300, 3000) != NULL,
	   "a full table keeps a process whose records were seen lately");
	ok(ecs_proc_find(x, 300 + 8192, 3001) == NULL, "and forgets the one seen least recently");
	ok(ecs_proc_find(x, 100000, 7) && ecs_proc_find(x, 100000 + ECS_PROCS - 2, 7),
	   "the newer ones are all there");
	j = line(x, &act, "event");
	is_str(str(j, "process.name"), "a", "the kept process is still named by its exec");
	json_decref(j);
}

int main(void)
{
	struct ecs x;

	ecs_init(&x);
	ok(x.boot_id[0] && !strchr(x.boot_id, '-'), "ecs_init: a boot id without dashes: %s",
	   x.boot_id);
	test_exec_and_later_events(&x);
	test_fork(&x);
	test_alert_and_policy(&x);
	test_container(&x);
	test_failed_exec(&x);
	test_table(&x);
	is_int(ecs_exit_code(3 << 8), 3, "exit code of a normal exit");
	is_int(ecs_exit_code(0), 0, "exit code 0");
	ecs_free(&x);
	return done_testing();
}
