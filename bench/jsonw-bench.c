/*
 * jsonw-bench.c - how fast the NDJSON writer serializes a realistic
 * process event (about 1.4 KB, 42 fields, nested objects, an args array,
 * a path with non-ASCII bytes, three timestamps), flushing to /dev/null
 * every 64 KiB, and the same event built and dumped with jansson
 * (json_object_set_new + json_dumpb), for comparison. Prints figures;
 * asserts only that both write the same bytes.
 *
 *   jsonw-bench [EVENTS [JANSSON_EVENTS]]    (default 1000000 and a tenth of it)
 */
#include "config.h"

#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "jsonw.h"
#include "util.h"

#define FLUSH_AT 65536

/* What the kernel and the enrichment hand over for one exec. */
struct event {
	uint64_t time_ns, start_ns, parent_start_ns, seq;
	uint32_t pid, ppid, sid, uid, gid;
	const char *entity_id, *parent_entity_id; /* made by d4c-enrich */
	const char *executable, *name, *cwd;
	const char *args[6];
	unsigned nargs;
};

static const char host_id[] = "4c4c4544004d3510804cb4c04f4e5032";
static const char container_id[] =
	"3f4e1a2b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f";
static const char pod[] = "web-7d9f8b6c5-abcde";

/* Entity ids made ahead, so that the timings are the writers' alone. */
#define NIDS 4096
static char entity_ids[NIDS][64];

static void write_jsonw(struct jsonw *w, const struct event *ev)
{
	jsonw_obj_begin(w);
	jsonw_kv_time(w, "@timestamp", ev->time_ns);
	jsonw_key(w, "event");
	jsonw_obj_begin(w);
	jsonw_kv_str(w, "kind", "event");
	jsonw_key(w, "category");
	jsonw_arr_begin(w);
	jsonw_str(w, "process");
	jsonw_arr_end(w);
	jsonw_key(w, "type");
	jsonw_arr_begin(w);
	jsonw_str(w, "start");
	jsonw_arr_end(w);
	jsonw_kv_str(w, "action", "exec");
	jsonw_kv_u64(w, "sequence", ev->seq);
	jsonw_kv_str(w, "module", "cloud_defend");
	jsonw_obj_end(w);

	jsonw_key(w, "host");
	jsonw_obj_begin(w);
	jsonw_kv_str(w, "name", "node-7.prod.example.internal");
	jsonw_kv_str(w, "id", host_id);
	jsonw_kv_str(w, "architecture", "x86_64");
	jsonw_key(w, "os");
	jsonw_obj_begin(w);
	jsonw_kv_str(w, "type", "linux");
	jsonw_kv_str(w, "kernel", "6.1.0-18-cloud-amd64");
	jsonw_obj_end(w);
	jsonw_obj_end(w);

	jsonw_key(w, "process");
	jsonw_obj_begin(w);
	jsonw_kv_str(w, "entity_id", ev->entity_id);
	jsonw_kv_u64(w, "pid", ev->pid);
	jsonw_kv_str(w, "executable", ev->executable);
	jsonw_kv_str(w, "name", ev->name);
	jsonw_key(w, "args");
	jsonw_arr_begin(w);
	for (unsigned i = 0; i < ev->nargs; i++)
		jsonw_str(w, ev->args[i]);
	jsonw_arr_end(w);
	jsonw_kv_u64(w, "args_count", ev->nargs);
	jsonw_kv_str(w, "working_directory", ev->cwd);
	jsonw_kv_time(w, "start", ev->start_ns);
	jsonw_kv_bool(w, "interactive", false);
	jsonw_key(w, "user");
	jsonw_obj_begin(w);
	jsonw_kv_u64(w, "id", ev->uid);
	jsonw_kv_str(w, "name", "app");
	jsonw_obj_end(w);
	jsonw_key(w, "group");
	jsonw_obj_begin(w);
	jsonw_kv_u64(w, "id", ev->gid);
	jsonw_obj_end(w);
	jsonw_key(w, "parent");
	jsonw_obj_begin(w);
	jsonw_kv_str(w, "entity_id", ev->parent_entity_id);
	jsonw_kv_u64(w, "pid", ev->ppid);
	jsonw_kv_str(w, "executable", "/bin/bash");
	jsonw_kv_str(w, "name", "bash");
	jsonw_kv_time(w, "start", ev->parent_start_ns);
	jsonw_obj_end(w);
	jsonw_key(w, "session_leader");
	jsonw_obj_begin(w);
	jsonw_kv_u64(w, "pid", ev->sid);
	jsonw_obj_end(w);
	jsonw_obj_end(w);

	jsonw_key(w, "container");
	jsonw_obj_begin(w);
	jsonw_kv_str(w, "id", container_id);
	jsonw_kv_str(w, "name", "web");
	jsonw_kv_str(w, "runtime", "containerd");
	jsonw_key(w, "image");
	jsonw_obj_begin(w);
	jsonw_kv_str(w, "name", "docker.io/library/python");
	jsonw_kv_str(w, "tag", "3.11-slim");
	jsonw_obj_end(w);
	jsonw_obj_end(w);

	jsonw_key(w, "orchestrator");
	jsonw_obj_begin(w);
	jsonw_kv_str(w, "namespace", "prod");
	jsonw_key(w, "resource");
	jsonw_obj_begin(w);
	jsonw_kv_str(w, "type", "pod");
	jsonw_kv_str(w, "name", pod);
	jsonw_obj_end(w);
	jsonw_obj_end(w);

	jsonw_key(w, "cloud_defend");
	jsonw_obj_begin(w);
	jsonw_key(w, "matched_selectors");
	jsonw_arr_begin(w);
	jsonw_str(w, "interpreters");
	jsonw_arr_end(w);
	jsonw_kv_str(w, "hook_point", "tracepoint__sched_process_exec");
	jsonw_kv_u64(w, "policy_revision", 7);
	jsonw_obj_end(w);

	jsonw_key(w, "ecs");
	jsonw_obj_begin(w);
	jsonw_kv_str(w, "version", "8.11.0");
	jsonw_obj_end(w);
	jsonw_obj_end(w);
	if (jsonw_end_line(w))
		die("jsonw: unbalanced event");
}

/* The jansson way: a tree per event, then a dump. */
static json_t *str(const char *s)
{
	json_t *j = json_string(s);

	if (!j)
		die("jansson: not UTF-8: %s", s);
	return j;
}

static json_t *time_str(uint64_t ns)
{
	char buf[40];
	time_t t = (time_t)(ns / 1000000000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + 19, sizeof(buf) - 19, ".%09uZ", (unsigned)(ns % 1000000000));
	return str(buf);
}

static json_t *obj(void)
{
	return json_object();
}

static json_t *arr1(const char *s)
{
	json_t *a = json_array();

	json_array_append_new(a, str(s));
	return a;
}

static json_t *build_jansson(const struct event *ev)
{
	json_t *root = obj(), *o, *p, *q, *a;

	json_object_set_new(root, "@timestamp", time_str(ev->time_ns));
	o = obj();
	json_object_set_new(o, "kind", str("event"));
	json_object_set_new(o, "category", arr1("process"));
	json_object_set_new(o, "type", arr1("start"));
	json_object_set_new(o, "action", str("exec"));
	json_object_set_new(o, "sequence", json_integer((json_int_t)ev->seq));
	json_object_set_new(o, "module", str("cloud_defend"));
	json_object_set_new(root, "event", o);

	o = obj();
	json_object_set_new(o, "name", str("node-7.prod.example.internal"));
	json_object_set_new(o, "id", str(host_id));
	json_object_set_new(o, "architecture", str("x86_64"));
	p = obj();
	json_object_set_new(p, "type", str("linux"));
	json_object_set_new(p, "kernel", str("6.1.0-18-cloud-amd64"));
	json_object_set_new(o, "os", p);
	json_object_set_new(root, "host", o);

	o = obj();
	json_object_set_new(o, "entity_id", str(ev->entity_id));
	json_object_set_new(o, "pid", json_integer(ev->pid));
	json_object_set_new(o, "executable", str(ev->executable));
	json_object_set_new(o, "name", str(ev->name));
	a = json_array();
	for (unsigned i = 0; i < ev->nargs; i++)
		json_array_append_new(a, str(ev->args[i]));
	json_object_set_new(o, "args", a);
	json_object_set_new(o, "args_count", json_integer(ev->nargs));
	json_object_set_new(o, "working_directory", str(ev->cwd));
	json_object_set_new(o, "start", time_str(ev->start_ns));
	json_object_set_new(o, "interactive", json_false());
	p = obj();
	json_object_set_new(p, "id", json_integer(ev->uid));
	json_object_set_new(p, "name", str("app"));
	json_object_set_new(o, "user", p);
	p = obj();
	json_object_set_new(p, "id", json_integer(ev->gid));
	json_object_set_new(o, "group", p);
	p = obj();
	json_object_set_new(p, "entity_id", str(ev->parent_entity_id));
	json_object_set_new(p, "pid", json_integer(ev->ppid));
	json_object_set_new(p, "executable", str("/bin/bash"));
	json_object_set_new(p, "name", str("bash"));
	json_object_set_new(p, "start", time_str(ev->parent_start_ns));
	json_object_set_new(o, "parent", p);
	p = obj();
	json_object_set_new(p, "pid", json_integer(ev->sid));
	json_object_set_new(o, "session_leader", p);
	json_object_set_new(root, "process", o);

	o = obj();
	json_object_set_new(o, "id", str(container_id));
	json_object_set_new(o, "name", str("web"));
	json_object_set_new(o, "runtime", str("containerd"));
	p = obj();
	json_object_set_new(p, "name", str("docker.io/library/python"));
	json_object_set_new(p, "tag", str("3.11-slim"));
	json_object_set_new(o, "image", p);
	json_object_set_new(root, "container", o);

	o = obj();
	json_object_set_new(o, "namespace", str("prod"));
	p = obj();
	json_object_set_new(p, "type", str("pod"));
	json_object_set_new(p, "name", str(pod));
	json_object_set_new(o, "resource", p);
	json_object_set_new(root, "orchestrator", o);

	o = obj();
	json_object_set_new(o, "matched_selectors", arr1("interpreters"));
	json_object_set_new(o, "hook_point", str("tracepoint__sched_process_exec"));
	json_object_set_new(o, "policy_revision", json_integer(7));
	json_object_set_new(root, "cloud_defend", o);

	q = obj();
	json_object_set_new(q, "version", str("8.11.0"));
	json_object_set_new(root, "ecs", q);
	return root;
}

static void write_out(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n <= 0)
			die("write: short write");
		buf += n;
		len -= (size_t)n;
	}
}

/* Appends one event's line to BUF with jansson, flushing to FD when full. */
static size_t dump_jansson(json_t *root, char *buf, size_t *used, int fd)
{
	size_t n = json_dumpb(root, buf + *used, FLUSH_AT - *used, JSON_COMPACT);

	if (!n)
		die("json_dumpb failed");
	if (n + 1 > FLUSH_AT - *used) {
		write_out(fd, buf, *used);
		*used = 0;
		n = json_dumpb(root, buf, FLUSH_AT, JSON_COMPACT);
		if (!n || n + 1 > FLUSH_AT)
			die("json_dumpb failed");
	}
	buf[*used + n] = '\n';
	*used += n + 1;
	return n + 1;
}

static void next_event(struct event *ev, uint64_t i)
{
	/* A tight exec loop: about 150k events/s, pids counting up. */
	ev->time_ns += 6667 + i % 7;
	ev->start_ns = ev->time_ns - 1200;
	ev->seq++;
	ev->pid = 40000 + (uint32_t)(i % 4000000);
	ev->entity_id = entity_ids[i % NIDS];
}

static void report(const char *what, uint64_t n, uint64_t bytes, double secs)
{
	printf("%s %9" PRIu64 " events in %6.3f s CPU: %9.0f events/s, %7.1f MB/s,"
	       " %5.0f ns/event\n",
	       what, n, secs, (double)n / secs, (double)bytes / secs / 1e6, secs / (double)n * 1e9);
}

/* CPU time of this process (user and system): what one core spends, the
 * same on a busy machine as on an idle one, give or take the caches. */
static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct event ev = {
		.time_ns = 1764074096000000000ULL,
		.parent_start_ns = 1764000000123456789ULL,
		.ppid = 31337,
		.parent_entity_id = "NGM0YzQ1NDQwMDRkMzUxMDgwNGNiNGMwNGY0ZTUwMzItMzEzMzc=",
		.sid = 31300,
		.uid = 1000,
		.gid = 1000,
		.executable = "/srv/app/donn\xc3\xa9"
			      "es/venv/bin/python3.11",
		.name = "python3.11",
		.cwd = "/srv/app/donn\xc3\xa9"
		       "es/\xe6\x97\xa5\xe6\x9c\xac",
		.args = { "python3.11", "-u",
			  "/srv/app/donn\xc3\xa9"
			  "es/manage.py",
			  "runserver", "--settings=app.settings.prod", "0.0.0.0:8000" },
		.nargs = 6,
	};
	struct event ev0 = ev;
	uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 1000000;
	uint64_t nj = argc > 2 ? strtoull(argv[2], NULL, 10) : n / 10;
	uint64_t bytes = 0, jbytes = 0;
	struct jsonw w;
	double t0, tw, tj;
	char *jbuf;
	size_t used = 0;
	int fd;

	set_progname(argv[0]);
	if (!n || !nj)
		die("usage: jsonw-bench [EVENTS [JANSSON_EVENTS]]");
	fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		die("/dev/null: cannot open");

	for (unsigned i = 0; i < NIDS; i++)
		snprintf(entity_ids[i], sizeof(entity_ids[i]), "%s-%u-%u", host_id + 24, 40000 + i,
			 i * 6667);

	/* Both write the same line, byte for byte. */
	jsonw_init(&w);
	{
		struct event one = ev;
		json_t *root;
		char *s;

		next_event(&one, 0);
		write_jsonw(&w, &one);
		root = build_jansson(&one);
		s = json_dumps(root, JSON_COMPACT);

		if (strlen(s) + 1 != jsonw_len(&w) || memcmp(s, jsonw_data(&w), strlen(s)))
			die("jsonw and jansson disagree:\n%.*s%s", (int)jsonw_len(&w),
			    jsonw_data(&w), s);
		printf("event: %zu bytes\n%.*s", jsonw_len(&w), (int)jsonw_len(&w), jsonw_data(&w));
		free(s);
		json_decref(root);
	}
	jsonw_reset(&w);

	t0 = now();
	for (uint64_t i = 0; i < n; i++) {
		next_event(&ev, i);
		write_jsonw(&w, &ev);
		if (jsonw_len(&w) >= FLUSH_AT) {
			bytes += jsonw_len(&w);
			if (jsonw_flush(&w, fd))
				die("flush failed");
		}
	}
	bytes += jsonw_len(&w);
	if (jsonw_flush(&w, fd))
		die("flush failed");
	tw = now() - t0;
	jsonw_free(&w);

	ev = ev0;
	jbuf = xmalloc(FLUSH_AT);
	t0 = now();
	for (uint64_t i = 0; i < nj; i++) {
		json_t *root;

		next_event(&ev, i);
		root = build_jansson(&ev);
		jbytes += dump_jansson(root, jbuf, &used, fd);
		json_decref(root);
	}
	write_out(fd, jbuf, used);
	tj = now() - t0;
	free(jbuf);
	close(fd);

	report("jsonw:  ", n, bytes, tw);
	report("jansson:", nj, jbytes, tj);
	printf("jsonw is %.1fx faster than jansson\n", ((double)n / tw) / ((double)nj / tj));
	return 0;
}
