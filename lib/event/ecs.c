/*
 * ecs.c - kernel records as ECS event lines (see ecs.h).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "ecs.h"
#include "event.h"
#include "names.h"
#include "util.h"

void ecs_init(struct ecs *x)
{
	char *s = NULL;
	size_t n = 0, j = 0;

	memset(x, 0, sizeof(*x));
	htab_init(&x->procs, ECS_PROCS);
	x->boot_to_real = clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_BOOTTIME);
	snprintf(x->boot_id, sizeof(x->boot_id), "unknown");
	if (read_whole_file("/proc/sys/kernel/random/boot_id", 256, &s, &n))
		return;
	for (size_t i = 0; i < n && j + 1 < sizeof(x->boot_id); i++)
		if (s[i] != '-' && s[i] != '\n')
			x->boot_id[j++] = s[i];
	x->boot_id[j] = 0;
	free(s);
}

void ecs_free(struct ecs *x)
{
	struct htab_iter it;
	struct hnode *n;

	for (n = htab_iter_first(&x->procs, &it); n; n = htab_iter_next(&it)) {
		struct ecs_proc *p = htab_entry(n, struct ecs_proc, node);

		free(p->exe);
		free(p->args);
		free(p);
	}
	htab_free(&x->procs);
	memset(x, 0, sizeof(*x));
}

int ecs_exit_code(uint32_t status)
{
	if ((status >> 8) & 0xff)
		return (status >> 8) & 0xff;
	return status & 0x7f ? 128 + (status & 0x7f) : 0;
}

/* ---- fields ---------------------------------------------------------------- */
/*
 * Capability sets as JSON arrays, rendered once each. A root process's two
 * sets of 41 names are four fifths of its event and most processes share
 * one of a few sets (root's, none): writing the names one by one was the
 * biggest cost of serializing an event (bench/run, issue 7). One cache
 * per process, like the JSON writer: not thread-safe.
 */
#define CAPS_CACHED 4
static struct caps_json {
	uint64_t caps;
	size_t len; /* 0: empty slot */
	char text[64 * sizeof("\"CAP_CHECKPOINT_RESTORE\",") + 2];
} caps_cache[CAPS_CACHED];
static unsigned caps_next;

static const struct caps_json *caps_json(uint64_t caps)
{
	struct caps_json *c;
	char *o;

	for (unsigned i = 0; i < CAPS_CACHED; i++)
		if (caps_cache[i].len && caps_cache[i].caps == caps)
			return &caps_cache[i];
	c = &caps_cache[caps_next++ % CAPS_CACHED];
	o = c->text;
	*o++ = '[';
	for (unsigned i = 0; i < 64; i++) {
		if (!(caps & (1ull << i)))
			continue;
		if (o > c->text + 1)
			*o++ = ',';
		/* plain ASCII names: nothing to escape */
		if (d4c_cap_name(i))
			o += sprintf(o, "\"%s\"", d4c_cap_name(i));
		else
			o += sprintf(o, "\"CAP_%u\"", i);
	}
	*o++ = ']';
	c->caps = caps;
	c->len = (size_t)(o - c->text);
	return c;
}

static void put_caps(struct jsonw *w, const char *key, uint64_t caps)
{
	const struct caps_json *c = caps_json(caps);

	jsonw_key(w, key);
	jsonw_raw(w, c->text, c->len);
}

/* Writes V in decimal at O (room for 20 bytes); returns the end. */
static char *put_dec(char *o, uint64_t v)
{
	char tmp[20], *t = tmp + sizeof(tmp);
	size_t n;

	do {
		*--t = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	n = (size_t)(tmp + sizeof(tmp) - t);
	memcpy(o, t, n);
	return o + n;
}

/* process.entity_id: the same process gets the same id wherever it shows,
 * a reused pid a new one (boot id, pid, start time). */
static void put_entity_id(struct ecs *x, struct jsonw *w, uint32_t pid, uint64_t start)
{
	size_t n = strnlen(x->boot_id, sizeof(x->boot_id));
	char buf[sizeof(x->boot_id) + 2 + 10 + 20], *o = buf + n;

	/* BOOT_ID-PID-START; snprintf() here was a tenth of an event's cost */
	memcpy(buf, x->boot_id, n);
	*o++ = '-';
	o = put_dec(o, pid);
	*o++ = '-';
	o = put_dec(o, start);
	jsonw_kv_strn(w, "entity_id", buf, (size_t)(o - buf));
}

static void put_id_string(struct jsonw *w, const char *key, uint32_t v)
{
	char buf[20];

	jsonw_kv_strn(w, key, buf, (size_t)(put_dec(buf, v) - buf));
}

/* KEY: {"id": "ID"}, as ECS has user and group ids: strings. */
static void put_id_obj(struct jsonw *w, const char *key, uint32_t id)
{
	jsonw_key(w, key);
	jsonw_obj_begin(w);
	put_id_string(w, "id", id);
	jsonw_obj_end(w);
}

/* ---- what processes ran ------------------------------------------------- */

struct proc_key {
	uint32_t pid;
	uint64_t start_ns;
};

static bool proc_is(const struct hnode *n, const void *key)
{
	const struct ecs_proc *p = htab_entry(n, struct ecs_proc, node);
	const struct proc_key *k = key;

	return p->pid == k->pid && p->start_ns == k->start_ns;
}

/* A reused pid hashes as its first process did: the key compares both. */
static struct ecs_proc *proc_lookup(const struct ecs *x, uint32_t pid, uint64_t start_ns)
{
	struct proc_key k = { pid, start_ns };
	struct hnode *n = htab_peek(&x->procs, htab_hash_u64(pid), proc_is, &k);

	return n ? htab_entry(n, struct ecs_proc, node) : NULL;
}

const struct ecs_proc *ecs_proc_find(const struct ecs *x, uint32_t pid, uint64_t start_ns)
{
	return pid ? proc_lookup(x, pid, start_ns) : NULL;
}

void ecs_forget(struct ecs *x, uint32_t pid, uint64_t start_ns)
{
	struct ecs_proc *p = pid ? proc_lookup(x, pid, start_ns) : NULL;

	if (p) {
		htab_del(&x->procs, &p->node);
		free(p->exe);
		free(p->args);
		free(p);
	}
}

static char *memdup_or_null(const char *s, size_t n)
{
	char *d;

	if (!n)
		return NULL;
	d = xmalloc(n);
	memcpy(d, s, n);
	return d;
}

void ecs_learn(struct ecs *x, const struct d4c_record *e, const char *const strs[D4C_NSTR])
{
	const struct d4c_task *t = &e->task;
	const struct ecs_proc *parent = ecs_proc_find(x, t->ppid, t->parent_start_ns);
	struct ecs_proc *p;
	char *exe, *args;
	size_t alen;

	exe = memdup_or_null(strs[D4C_S_PATH], e->len[D4C_S_PATH]);
	if (e->kind == D4C_REC_EXEC) {
		alen = e->len[D4C_S_ARGS];
		args = memdup_or_null(strs[D4C_S_ARGS], alen);
	} else { /* a fork runs what its parent ran */
		alen = parent ? parent->args_len : 0;
		args = parent ? memdup_or_null(parent->args, alen) : NULL;
	}
	p = proc_lookup(x, t->pid, t->start_ns); /* an exec after an exec */
	if (p) {
		htab_touch(&x->procs, &p->node);
	} else {
		struct hnode *old = htab_evict(&x->procs);

		p = old ? htab_entry(old, struct ecs_proc, node) : xmalloc(sizeof(*p));
		if (!old)
			memset(p, 0, sizeof(*p));
		htab_add(&x->procs, &p->node, htab_hash_u64(t->pid));
	}
	free(p->exe);
	free(p->args);
	*p = (struct ecs_proc){
		.node = p->node,
		.pid = t->pid,
		.start_ns = t->start_ns,
		.exe = exe,
		.exe_len = exe ? e->len[D4C_S_PATH] : 0,
		.args = args,
		.args_len = args ? alen : 0,
		.selectors = e->selectors,
		.revision = e->revision,
	};
}

/* The last component of PATH (LEN bytes), in *N bytes; NULL when empty. */
static const char *base_name(const char *path, size_t len, size_t *n)
{
	const char *slash = len ? memrchr(path, '/', len) : NULL;
	const char *b = slash ? slash + 1 : path;

	*n = (size_t)(path + len - b);
	return *n ? b : NULL;
}

/*
 * "args": ARGS (LEN bytes, each argument NUL-terminated) as an array; with
 * LINE (D4C_ARGS_MAX bytes), also joined there with spaces, unquoted, as
 * Elastic Defend writes command_line, in *LL bytes. Returns their number.
 */
static unsigned put_args(struct jsonw *w, const char *args, size_t len, char *line, size_t *ll)
{
	const char *a = args, *end = args + len;
	unsigned n = 0;

	jsonw_key(w, "args");
	jsonw_arr_begin(w);
	while (a < end) {
		const char *z = memchr(a, 0, end - a);
		size_t l = z ? (size_t)(z - a) : (size_t)(end - a);

		jsonw_strn(w, a, l);
		if (line && *ll + (n > 0) + l <= D4C_ARGS_MAX) {
			if (n > 0)
				line[(*ll)++] = ' ';
			memcpy(line + *ll, a, l);
			*ll += l;
		}
		n++;
		a += l + 1;
	}
	jsonw_arr_end(w);
	return n;
}

/*
 * process.name, process.executable, args, args_count and command_line of
 * a process that runs EXE with ARGS (NUL-separated); COMM, the kernel's
 * 15-byte name, only when the executable is not known: rules compare
 * names in full (netcat.traditional).
 */
static void put_run(struct jsonw *w, const char *exe, size_t exe_len, const char *args,
		    size_t args_len, const char *comm, size_t comm_len)
{
	size_t nl = 0;
	const char *name = exe ? base_name(exe, exe_len, &nl) : NULL;

	if (name)
		jsonw_kv_strn(w, "name", name, nl);
	else if (comm)
		jsonw_kv_strn(w, "name", comm, comm_len);
	if (exe && exe_len)
		jsonw_kv_strn(w, "executable", exe, exe_len);
	if (args && args_len) {
		char line[D4C_ARGS_MAX];
		size_t ll = 0;
		unsigned n = put_args(w, args, args_len, line, &ll);

		jsonw_kv_u64(w, "args_count", n);
		jsonw_kv_strn(w, "command_line", line, ll);
	}
}

static void put_run_of(struct jsonw *w, const struct ecs_proc *p)
{
	if (p)
		put_run(w, p->exe, p->exe_len, p->args, p->args_len, NULL, 0);
}

/* event.id: a random (version 4) UUID, as Elastic's integration writes. */
static void new_event_id(struct ecs *ex)
{
	static const char hex[] = "0123456789abcdef";
	uint64_t v[2];
	char *o = ex->event_id;

	if (!ex->rng[0] && !ex->rng[1]) {
		if (getrandom(ex->rng, sizeof(ex->rng), 0) != sizeof(ex->rng)) {
			ex->rng[0] = clock_ns(CLOCK_REALTIME);
			ex->rng[1] = ((uint64_t)getpid() << 32) ^ clock_ns(CLOCK_MONOTONIC);
		}
		ex->rng[0] |= 1;
	}
	for (int i = 0; i < 2; i++) { /* xorshift128+ */
		uint64_t x = ex->rng[0], y = ex->rng[1];

		ex->rng[0] = y;
		x ^= x << 23;
		ex->rng[1] = x ^ y ^ (x >> 17) ^ (y >> 26);
		v[i] = ex->rng[1] + y;
	}
	v[0] = (v[0] & ~0xf000ull) | 0x4000ull; /* version 4 */
	v[1] = (v[1] & ~(3ull << 62)) | (2ull << 62); /* RFC 4122 variant */
	for (int i = 0; i < 32; i++) {
		uint64_t x = v[i / 16];

		if (i == 8 || i == 12 || i == 16 || i == 20)
			*o++ = '-';
		*o++ = hex[(x >> (60 - 4 * (i % 16))) & 15];
	}
	*o = 0;
}

static void put_event_id(struct ecs *x, struct jsonw *w)
{
	if (!x->event_id[0])
		new_event_id(x);
	jsonw_kv_strn(w, "id", x->event_id, 36);
}

void ecs_begin(struct ecs *x)
{
	new_event_id(x);
	x->created_ns = clock_ns(CLOCK_REALTIME);
}

/* The names of selectors SEL (bit i: selector i of TYPE) of policy P. */
static void put_selectors(struct jsonw *w, const struct ecs_policy *p, unsigned type, uint64_t sel)
{
	const char *name;

	jsonw_key(w, "matched_selectors");
	jsonw_arr_begin(w);
	for (unsigned i = 0; i < 64 && sel >> i; i++)
		if ((sel & (1ull << i)) && (name = p->selector(p, type, i)))
			jsonw_str(w, name);
	jsonw_arr_end(w);
}

static const char *file_action_name(unsigned a)
{
	static const char *const n[] = { NULL,	 "creation", "modification", "deletion", "rename",
					 "link", "open",     "execution",    "open" };

	return a < sizeof(n) / sizeof(n[0]) ? n[a] : NULL;
}

static const char *file_event_type(unsigned a)
{
	switch (a) {
	case D4C_FA_CREATION:
	case D4C_FA_LINK:
		return "creation";
	case D4C_FA_DELETION:
		return "deletion";
	case D4C_FA_EXEC:
	case D4C_FA_READ:
		return "access";
	default:
		return "change";
	}
}

/* The fields of file.* that exec and file events share: PATH (LEN bytes),
 * name and extension from BASE (BLEN bytes; none when NULL), and the
 * inode's MODE and number when the kernel gave them. */
static void put_file_fields(struct jsonw *w, const char *path, size_t len, const char *base,
			    size_t blen, uint32_t mode, uint64_t ino)
{
	const char *dot;

	jsonw_kv_strn(w, "path", path, len);
	if (base) {
		jsonw_kv_strn(w, "name", base, blen);
		dot = memrchr(base, '.', blen);
		if (dot && dot > base && dot + 1 < base + blen)
			jsonw_kv_strn(w, "extension", dot + 1, base + blen - dot - 1);
	}
	if (mode) {
		char m[4];

		for (int i = 0; i < 4; i++)
			m[i] = (char)('0' + ((mode >> (9 - 3 * i)) & 7)); /* %04o */
		jsonw_kv_strn(w, "mode", m, 4);
		jsonw_kv_str(w, "type", "file");
	}
	if (ino) {
		char num[20];

		jsonw_kv_strn(w, "inode", num, (size_t)(put_dec(num, ino) - num));
	}
}

/* What the process of an event runs: executable and arguments (NUL-separated). */
struct run {
	const char *exe, *args;
	size_t exe_len, args_len;
};

/* The executable and arguments of E's process: the record's own, else
 * what d4c-load saw it (SEEN) or, for a fork, its parent run. */
static struct run run_of(const struct ecs *x, const struct d4c_record *e,
			 const char *const strs[D4C_NSTR], const struct ecs_proc *seen)
{
	const struct d4c_task *t = &e->task;
	struct run r = { 0 };

	if (e->kind != D4C_REC_FILE && e->kind != D4C_REC_EXIT && e->len[D4C_S_PATH]) {
		r.exe = strs[D4C_S_PATH];
		r.exe_len = e->len[D4C_S_PATH];
	} else if (seen) {
		r.exe = seen->exe;
		r.exe_len = seen->exe_len;
	}
	if (e->kind == D4C_REC_EXEC) {
		r.args = strs[D4C_S_ARGS];
		r.args_len = e->len[D4C_S_ARGS];
	} else if (e->kind == D4C_REC_FORK) {
		const struct ecs_proc *pp = ecs_proc_find(x, t->ppid, t->parent_start_ns);

		if (pp) {
			r.args = pp->args;
			r.args_len = pp->args_len;
		}
	} else if (seen) {
		r.args = seen->args;
		r.args_len = seen->args_len;
	}
	return r;
}

/* event.action of E. */
static const char *event_action(const struct d4c_record *e)
{
	if (e->kind == D4C_REC_FILE)
		return file_action_name(e->file_action);
	return e->kind == D4C_REC_FORK ? "fork" : e->kind == D4C_REC_EXEC ? "exec" : "end";
}

/* The event object of E as KIND, with ACTION. */
static void put_event(struct ecs *x, struct jsonw *w, const struct d4c_record *e, const char *kind,
		      const char *action)
{
	int file = e->kind == D4C_REC_FILE, denied = e->flags & D4C_EF_DENIED;

	jsonw_key(w, "event");
	jsonw_obj_begin(w);
	put_event_id(x, w);
	jsonw_kv_str(w, "kind", kind);
	/* the prebuilt rule "Container Workload Protection" asks for it */
	jsonw_kv_str(w, "module", "cloud_defend");
	jsonw_kv_time(w, "created", x->created_ns ? x->created_ns : clock_ns(CLOCK_REALTIME));
	jsonw_key(w, "category");
	jsonw_arr_begin(w);
	jsonw_str(w, file ? "file" : "process");
	jsonw_arr_end(w);
	jsonw_kv_str(w, "action", action);
	jsonw_key(w, "type");
	jsonw_arr_begin(w);
	jsonw_str(w, file		     ? file_event_type(e->file_action) :
		     e->kind == D4C_REC_EXIT ? "end" :
					       "start");
	/* Elastic's rules on reads of service-account tokens and kubelet
	 * certificates test event.type "change" with action "open", as
	 * their sensor's opens (with write intent) have it */
	if (file && e->file_action == D4C_FA_READ)
		jsonw_str(w, "change");
	if (denied)
		jsonw_str(w, "denied");
	jsonw_arr_end(w);
	jsonw_kv_str(w, "outcome",
		     denied || (e->flags & D4C_EF_EXEC_FAILED) ? "failure" : "success");
	jsonw_kv_str(w, "dataset",
		     !strcmp(kind, "alert") ? D4C_DATASET_ALERTS :
		     file		    ? D4C_DATASET_FILE :
					      D4C_DATASET_PROCESS);
	jsonw_obj_end(w);
}

/* ECS's error fields of a failed exec: what execve returned. */
static void put_exec_error(struct jsonw *w, const struct d4c_record *e)
{
	int err = e->exit_code < 0 ? -e->exit_code : e->exit_code;
	const char *name = strerrorname_np(err);

	jsonw_key(w, "error");
	jsonw_obj_begin(w);
	if (name)
		jsonw_kv_str(w, "code", name);
	jsonw_kv_str(w, "message", strerror(err));
	jsonw_obj_end(w);
}

/* An alert's message: the rule "Container Workload Protection" names its
 * alerts by it. What it was done to, and the selectors that matched. */
static void put_alert_message(struct jsonw *w, const struct d4c_record *e,
			      const char *const strs[D4C_NSTR], const struct ecs_policy *p,
			      const char *action, const struct run *r)
{
	int file = e->kind == D4C_REC_FILE, denied = e->flags & D4C_EF_DENIED;
	char msg[256];
	const char *what = file ? strs[D4C_S_PATH] : r->exe;
	size_t wl = file ? e->len[D4C_S_PATH] : r->exe_len;
	unsigned type = file ? D4C_TYPE_FILE : D4C_TYPE_PROCESS;
	const char *name;
	int n = snprintf(msg, sizeof(msg), "%s %s%s: %.*s", file ? "File" : "Process", action,
			 denied ? " blocked" : "", (int)(wl < 160 ? wl : 160), what ? what : "");
	const char *sep = " (";

	for (unsigned i = 0; i < 64 && n > 0 && n < (int)sizeof(msg); i++) {
		if (!(e->selectors & (1ull << i)) || !(name = p->selector(p, type, i)))
			continue;
		n += snprintf(msg + n, sizeof(msg) - n, "%s%s", sep, name);
		sep = ", ";
	}
	if (n > 0 && n < (int)sizeof(msg) - 1 && sep[0] == ',')
		msg[n++] = ')';
	if (n > (int)sizeof(msg) - 1)
		n = sizeof(msg) - 1;
	jsonw_kv_strn(w, "message", msg, n > 0 ? (size_t)n : 0);
}

/* process.previous: what the process SEEN ran until this exec. */
static void put_previous(struct jsonw *w, const struct ecs_proc *seen)
{
	jsonw_key(w, "previous");
	jsonw_arr_begin(w);
	jsonw_obj_begin(w);
	jsonw_kv_strn(w, "executable", seen->exe, seen->exe_len);
	if (seen->args_len)
		put_args(w, seen->args, seen->args_len, NULL, NULL);
	jsonw_obj_end(w);
	jsonw_arr_end(w);
}

/* process.tty, process.user to real_user, process.thread of task T. */
static void put_task_ids(struct jsonw *w, const struct d4c_task *t)
{
	if (t->tty_major || t->tty_minor) {
		jsonw_key(w, "tty");
		jsonw_obj_begin(w);
		jsonw_key(w, "char_device");
		jsonw_obj_begin(w);
		jsonw_kv_u64(w, "major", t->tty_major);
		jsonw_kv_u64(w, "minor", t->tty_minor);
		jsonw_obj_end(w);
		jsonw_obj_end(w);
	}
	put_id_obj(w, "user", t->euid);
	put_id_obj(w, "group", t->egid);
	put_id_obj(w, "real_user", t->uid);
	jsonw_key(w, "thread");
	jsonw_obj_begin(w);
	jsonw_kv_u64(w, "id", t->tid);
	jsonw_key(w, "capabilities");
	jsonw_obj_begin(w);
	put_caps(w, "effective", t->cap_effective);
	put_caps(w, "permitted", t->cap_permitted);
	jsonw_obj_end(w);
	jsonw_obj_end(w);
}

/* process.group_leader or session_leader (KEY): PID, and whether it is the process itself. */
static void put_leader(struct jsonw *w, const char *key, uint32_t pid, uint32_t self)
{
	jsonw_key(w, key);
	jsonw_obj_begin(w);
	jsonw_kv_u64(w, "pid", pid);
	jsonw_kv_bool(w, "same_as_process", pid == self);
	jsonw_obj_end(w);
}

/* process.parent, group_leader, session_leader and entry_leader of task T
 * that runs R. */
static void put_ancestors(struct ecs *x, struct jsonw *w, const struct d4c_task *t,
			  const struct run *r)
{
	jsonw_key(w, "parent");
	jsonw_obj_begin(w);
	jsonw_kv_u64(w, "pid", t->ppid);
	put_run_of(w, ecs_proc_find(x, t->ppid, t->parent_start_ns));
	jsonw_kv_time(w, "start", t->parent_start_ns + x->boot_to_real);
	put_entity_id(x, w, t->ppid, t->parent_start_ns);
	jsonw_obj_end(w);
	put_leader(w, "group_leader", t->pgid, t->pid);
	put_leader(w, "session_leader", t->sid, t->pid);
	if (!t->entry_pid)
		return;
	jsonw_key(w, "entry_leader");
	jsonw_obj_begin(w);
	jsonw_kv_u64(w, "pid", t->entry_pid);
	if (t->entry_pid == t->pid)
		put_run(w, r->exe, r->exe_len, r->args, r->args_len, t->comm,
			strnlen(t->comm, sizeof(t->comm)));
	else
		put_run_of(w, ecs_proc_find(x, t->entry_pid, t->entry_start_ns));
	jsonw_kv_time(w, "start", t->entry_start_ns + x->boot_to_real);
	put_entity_id(x, w, t->entry_pid, t->entry_start_ns);
	jsonw_kv_bool(w, "same_as_process", t->entry_pid == t->pid);
	jsonw_key(w, "entry_meta");
	jsonw_obj_begin(w);
	jsonw_kv_str(w, "type", "container");
	jsonw_obj_end(w);
	jsonw_obj_end(w);
}

/* The process object of E, whose process runs R (SEEN: what it ran before). */
static void put_process(struct ecs *x, struct jsonw *w, const struct d4c_record *e,
			const char *const strs[D4C_NSTR], const struct ecs_proc *seen,
			const struct run *r)
{
	const struct d4c_task *t = &e->task;
	int failed = e->flags & D4C_EF_EXEC_FAILED;

	jsonw_key(w, "process");
	jsonw_obj_begin(w);
	jsonw_kv_u64(w, "pid", t->pid);
	if (failed) {
		/* the process still runs what it ran: the path is what it tried */
		jsonw_kv_strn(w, "name", t->comm, strnlen(t->comm, sizeof(t->comm)));
		put_run(w, NULL, 0, r->args, r->args_len, NULL, 0);
		if (r->exe_len)
			jsonw_kv_strn(w, "executable", r->exe, r->exe_len);
	} else {
		put_run(w, r->exe, r->exe_len, r->args, r->args_len, t->comm,
			strnlen(t->comm, sizeof(t->comm)));
	}
	if (e->kind == D4C_REC_EXEC && seen && seen->exe && !failed)
		put_previous(w, seen);
	if (e->len[D4C_S_CWD])
		jsonw_kv_strn(w, "working_directory", strs[D4C_S_CWD], e->len[D4C_S_CWD]);
	jsonw_kv_time(w, "start", t->start_ns + x->boot_to_real);
	if (e->kind == D4C_REC_EXIT) {
		jsonw_kv_time(w, "end", e->ts_ns + x->boot_to_real);
		jsonw_kv_i64(w, "exit_code", ecs_exit_code(e->exit_code));
	}
	put_entity_id(x, w, t->pid, t->start_ns);
	jsonw_kv_bool(w, "interactive", e->flags & D4C_EF_INTERACTIVE);
	put_task_ids(w, t);
	put_ancestors(x, w, t, r);
	jsonw_obj_end(w); /* process */
}

/* The file object of a file event E. */
static void put_file(struct jsonw *w, const struct d4c_record *e, const char *const strs[D4C_NSTR])
{
	const char *p = strs[D4C_S_PATH], *base;
	size_t plen = e->len[D4C_S_PATH];
	const char *slash = memrchr(p, '/', plen);

	base = slash ? slash + 1 : p;
	jsonw_key(w, "file");
	jsonw_obj_begin(w);
	put_file_fields(w, p, plen, base, (size_t)(p + plen - base), e->mode, e->ino);
	if (e->len[D4C_S_PATH2]) {
		jsonw_key(w, "Ext");
		jsonw_obj_begin(w);
		jsonw_key(w, "original");
		jsonw_obj_begin(w);
		jsonw_kv_strn(w, "path", strs[D4C_S_PATH2], e->len[D4C_S_PATH2]);
		jsonw_obj_end(w);
		jsonw_obj_end(w);
	}
	jsonw_obj_end(w);
}

/* The container object, when E's cgroup is a container's. */
static void put_container(struct ecs *x, struct jsonw *w, const struct d4c_record *e)
{
	const char *id = x->container_id ? x->container_id(x->arg, e->task.cgroup_id) : NULL;

	if (!(e->flags & D4C_EF_IN_CONTAINER) && !id)
		return;
	jsonw_key(w, "container");
	jsonw_obj_begin(w);
	if (id)
		jsonw_kv_str(w, "id", id);
	jsonw_obj_end(w);
}

/* The cloud_defend object: what the policy PS decided about E. */
static void put_decision(struct ecs *x, struct jsonw *w, const struct d4c_record *e,
			 const struct ecs_policy *p)
{
	jsonw_key(w, "cloud_defend");
	jsonw_obj_begin(w);
	put_selectors(w, p, e->kind == D4C_REC_FILE ? D4C_TYPE_FILE : D4C_TYPE_PROCESS,
		      e->selectors);
	if (d4c_hook_name(e->hook))
		jsonw_kv_str(w, "hook_point", d4c_hook_name(e->hook));
	jsonw_kv_str(w, "package_policy_id", p->digest_hex);
	jsonw_kv_u64(w, "package_policy_revision", e->revision);
	jsonw_key(w, "actions");
	jsonw_arr_begin(w);
	if (e->actions & D4C_ACTION_LOG)
		jsonw_str(w, "log");
	if (e->actions & D4C_ACTION_ALERT)
		jsonw_str(w, "alert");
	if (e->actions & D4C_ACTION_BLOCK)
		jsonw_str(w, "block");
	jsonw_arr_end(w);
	if (e->flags & D4C_EF_CONTAINER_PENDING)
		jsonw_kv_bool(w, "container_pending", 1);
	if (e->flags & (D4C_EF_PATH_TRUNC | D4C_EF_ARGS_TRUNC))
		jsonw_kv_bool(w, "truncated", 1);
	if ((e->actions & D4C_ACTION_BLOCK) && !x->enforcing)
		jsonw_kv_bool(w, "monitor_only", 1);
	jsonw_obj_end(w);
}

/* Writes one line for E as KIND ("event" or "alert"). */
int ecs_event_json(struct ecs *x, struct jsonw *w, const struct d4c_record *e,
		   const char *const strs[D4C_NSTR], const char *kind, const struct ecs_policy *p)
{
	int alert = !strcmp(kind, "alert");
	/* before this record is learned: an exec's previous executable */
	struct ecs_proc *seen = e->task.pid ? proc_lookup(x, e->task.pid, e->task.start_ns) : NULL;
	struct run r = run_of(x, e, strs, seen);
	const char *action = event_action(e);

	if (seen)
		htab_touch(&x->procs, &seen->node); /* it still acts: kept longest */
	jsonw_obj_begin(w);
	event_put_base(w, e->ts_ns + x->boot_to_real);
	put_event(x, w, e, kind, action);
	if (e->flags & D4C_EF_EXEC_FAILED)
		put_exec_error(w, e);
	if (alert)
		put_alert_message(w, e, strs, p, action, &r);
	put_process(x, w, e, strs, seen, &r);
	put_id_obj(w, "user", e->task.euid);
	put_id_obj(w, "group", e->task.egid);
	if (alert && e->kind == D4C_REC_EXEC && r.exe_len) {
		/* the executed file, as the integration's alerts show it */
		size_t bl;
		const char *base = base_name(r.exe, r.exe_len, &bl);

		jsonw_key(w, "file");
		jsonw_obj_begin(w);
		put_file_fields(w, r.exe, r.exe_len, base, bl, e->mode, e->ino);
		jsonw_obj_end(w);
	}
	if (e->kind == D4C_REC_FILE)
		put_file(w, e, strs);
	put_container(x, w, e);
	put_decision(x, w, e, p);
	jsonw_obj_end(w);
	if (jsonw_end_line(w))
		return error("internal error: event record %u made unbalanced JSON", e->kind);
	return 0;
}
