/*
 * d4c-trace - ad-hoc tracing from a node shell: which processes a
 * container starts, which files a pod writes, what a command does. What
 * execsnoop and opensnoop are for a host, with containers and pods
 * understood, and no policy file.
 *
 * It is a second front end to lib/loader: the options become a policy
 * (built in memory, checked and compiled like any other, logging only),
 * the kernel programs of d4c-load enforce it, and what the kernel cannot
 * filter (a process tree, a container by name, a process name for file
 * events) is filtered here. Kernels without BPF LSM need nothing: file
 * events then come from the syscall tracepoints.
 *
 * Exit status (d4c-trace(1)): 0 done (Ctrl-C, --duration), the exit
 * status of COMMAND when one was given, 2 usage error, 4 the kernel
 * refused the programs.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "blob.h"
#include "diag.h"
#include "enrich.h"
#include "jsonw.h"
#include "loader.h"
#include "policy.h"
#include "util.h"

static const char usage_text[] =
    "usage: d4c-trace [OPTIONS] [-- COMMAND [ARGS...]]\n"
    "\n"
    "Shows process and file events as they happen, with their containers and pods.\n"
    "With COMMAND: runs it, traces it and its descendants, and exits with its status.\n"
    "\n"
    "  -p, --pid PID           only process PID and its descendants\n"
    "  -c, --container CTR     only container CTR: its id, an id prefix of 4+ characters, or its "
    "name\n"
    "      --pod NAME          only pods named NAME (trailing '*' allowed)\n"
    "      --namespace NS      only pods in Kubernetes namespace NS (trailing '*' allowed)\n"
    "  -n, --name NAME         only processes named NAME (comm; trailing '*' allowed)\n"
    "      --path PATTERN      only files matching PATTERN (/a/b, /a/*, /a/**; repeatable)\n"
    "  -t, --types KINDS       event kinds: exec,fork,exit,file (default: all)\n"
    "      --containers-only   no host processes\n"
    "  -j, --json              NDJSON as d4c-load writes it, with container context\n"
    "      --color WHEN        auto (default: when stdout is a terminal), always or never\n"
    "      --duration SECONDS  stop after SECONDS\n"
    "      --ringbuf-size BYTES  kernel ring buffer size (power of two, default 16M)\n"
    "  -h, --help              show this text\n"
    "\n"
    "exit status: 0 done, COMMAND's status when one was given, 2 usage error,\n"
    "4 the kernel refused the programs. See d4c-trace(1).\n";

enum {
	OPT_POD = 0x100,
	OPT_NAMESPACE,
	OPT_PATH,
	OPT_CONTAINERS_ONLY,
	OPT_COLOR,
	OPT_DURATION,
	OPT_RINGBUF
};

static const struct option long_opts[] = {
    {"pid", required_argument, NULL, 'p'},
    {"container", required_argument, NULL, 'c'},
    {"pod", required_argument, NULL, OPT_POD},
    {"namespace", required_argument, NULL, OPT_NAMESPACE},
    {"name", required_argument, NULL, 'n'},
    {"path", required_argument, NULL, OPT_PATH},
    {"types", required_argument, NULL, 't'},
    {"containers-only", no_argument, NULL, OPT_CONTAINERS_ONLY},
    {"json", no_argument, NULL, 'j'},
    {"color", required_argument, NULL, OPT_COLOR},
    {"duration", required_argument, NULL, OPT_DURATION},
    {"ringbuf-size", required_argument, NULL, OPT_RINGBUF},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

enum { K_EXEC = 1, K_FORK = 2, K_EXIT = 4, K_FILE = 8, K_ALL = 15 };

#define MAX_PATHS 64

static struct {
	pid_t pid;
	const char *container;
	const char *pod;
	const char *namespace;
	const char *name;
	const char *paths[MAX_PATHS];
	unsigned npaths;
	unsigned kinds;
	int containers_only;
	int json;
	int color;
	unsigned duration;
	unsigned long ringbuf_size;
	char **command;
} opt = {.kinds = K_ALL, .color = -1, .ringbuf_size = 16ul << 20};

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

static uint64_t mono_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

/* ---- the policy the options make ---------------------------------------- */

/*
 * The policy is YAML text, so that it goes through the same checks as a
 * policy file. Each option's value sits on a line of its own; LINE_OPT
 * remembers which, so that a diagnostic names the option, not the text.
 */
struct ptext {
	char *s;
	size_t len, cap;
	int line;
	const char *line_opt[256];
};

static void pt_add(struct ptext *t, const char *opt_name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void pt_add(struct ptext *t, const char *opt_name, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (t->len + n + 2 > t->cap) {
		t->cap = (t->len + n + 2) * 2;
		t->s = xrealloc(t->s, t->cap);
	}
	va_start(ap, fmt);
	vsnprintf(t->s + t->len, n + 1, fmt, ap);
	va_end(ap);
	t->len += n;
	t->s[t->len++] = '\n';
	t->s[t->len] = 0;
	t->line++;
	if (t->line < 256)
		t->line_opt[t->line] = opt_name;
}

/* S as a YAML double-quoted scalar (to free): nothing in it is syntax. */
static char *yq(const char *s)
{
	size_t n = strlen(s);
	char *o = xmalloc(n * 4 + 3), *p = o;

	*p++ = '"';
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			p += sprintf(p, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			p += sprintf(p, "\\x%02x", c);
		else
			*p++ = c;
	}
	*p++ = '"';
	*p = 0;
	return o;
}

/* The container conditions every selector gets (--pod, --namespace). */
static void pt_container_conds(struct ptext *t)
{
	char *q;

	if (opt.pod) {
		q = yq(opt.pod);
		pt_add(t, "--pod", "      kubernetesPodName: [%s]", q);
		free(q);
	}
	if (opt.namespace) {
		q = yq(opt.namespace);
		pt_add(t, "--namespace", "      kubernetesNamespace: [%s]", q);
		free(q);
	}
}

/* Does the kernel need to send process events (for showing them, for
 * following a process tree, or for the exits of what it tracks)? */
static int want_process(void)
{
	return (opt.kinds & (K_EXEC | K_FORK | K_EXIT)) || opt.pid || opt.command;
}

/*
 * Builds, checks and compiles the policy into PS. Returns 0, or
 * EXIT_USAGE after naming the option at fault.
 */
static int build_policy(struct policy_slot *ps)
{
	struct ptext t = {0};
	struct diag_list dl = {0};
	struct policy *p = NULL;
	unsigned char *blob = NULL;
	size_t len = 0;
	int err = 0;

	pt_add(&t, NULL, "# d4c-trace: built from the command line");
	if (want_process()) {
		pt_add(&t, NULL, "process:");
		pt_add(&t, NULL, "  selectors:");
		pt_add(&t, NULL, "    - name: trace");
		pt_add(&t, NULL, "      operation: [fork, exec]");
		pt_container_conds(&t);
		pt_add(&t, NULL, "  responses:");
		pt_add(&t, NULL, "    - match: [trace]");
		pt_add(&t, NULL, "      actions: [log]");
	}
	if (opt.kinds & K_FILE) {
		pt_add(&t, NULL, "file:");
		pt_add(&t, NULL, "  selectors:");
		pt_add(&t, NULL, "    - name: trace");
		if (opt.npaths) {
			pt_add(&t, NULL, "      targetFilePath:");
			for (unsigned i = 0; i < opt.npaths; i++) {
				char *q = yq(opt.paths[i]);

				pt_add(&t, "--path", "        - %s", q);
				free(q);
			}
		} else {
			/* a selector needs a condition; this one is every file */
			pt_add(&t, NULL,
			       "      operation: [createExecutable, modifyExecutable, "
			       "createFile, modifyFile, deleteFile]");
		}
		pt_container_conds(&t);
		pt_add(&t, NULL, "  responses:");
		pt_add(&t, NULL, "    - match: [trace]");
		pt_add(&t, NULL, "      actions: [log]");
	}
	if (policy_parse(t.s, t.len, "d4c-trace", &dl, &p)) {
		for (size_t i = 0; i < dl.n; i++) {
			const struct diag *d = &dl.v[i];
			const char *o = d->line > 0 && d->line < 256 ? t.line_opt[d->line] : NULL;

			if (d->sev != DIAG_ERROR)
				continue;
			if (o)
				error("option '%s': %s", o, d->msg);
			else
				error(
				    "internal error: the policy built from the options is invalid "
				    "(%d:%d: %s)",
				    d->line, d->col, d->msg);
		}
		err = EXIT_USAGE;
		goto cleanup;
	}
	if (getenv("D4C_TRACE_SHOW_POLICY"))
		fputs(t.s, stderr);
	if (blob_compile(p, 1, &blob, &len)) {
		err = EXIT_USAGE;
		goto cleanup;
	}
	err = policy_slot_take(blob, len, "the policy built from the options", ps) ? EXIT_USAGE : 0;
cleanup:
	policy_free(p);
	diag_free(&dl);
	free(t.s);
	return err;
}

/* ---- which processes: -p PID and its descendants ------------------------ */

/* A set of pids (open addressing, 0 = empty, tombstones as -1). */
static struct {
	pid_t *v;
	size_t cap, n, used;
} pids;

static pid_t *pid_slot(pid_t pid)
{
	size_t i = ((uint32_t)pid * 2654435761u) & (pids.cap - 1);
	pid_t *tomb = NULL;

	for (;; i = (i + 1) & (pids.cap - 1)) {
		if (pids.v[i] == pid)
			return &pids.v[i];
		if (pids.v[i] == -1 && !tomb)
			tomb = &pids.v[i];
		if (pids.v[i] == 0)
			return tomb ? tomb : &pids.v[i];
	}
}

static int pid_has(pid_t pid)
{
	/* 0 and -1 mark empty and deleted slots: never members */
	return pid > 0 && pids.cap && *pid_slot(pid) == pid;
}

static void pid_add(pid_t pid)
{
	pid_t *s;

	if ((pids.used + 1) * 2 > pids.cap) {
		pid_t *old = pids.v;
		size_t oldcap = pids.cap;

		pids.cap = oldcap ? oldcap * 2 : 256;
		pids.v = xcalloc(pids.cap, sizeof(*pids.v));
		pids.n = pids.used = 0;
		for (size_t i = 0; i < oldcap; i++)
			if (old[i] > 0) {
				*pid_slot(old[i]) = old[i];
				pids.n++;
				pids.used++;
			}
		free(old);
	}
	s = pid_slot(pid);
	if (*s == pid)
		return;
	if (*s == 0)
		pids.used++;
	*s = pid;
	pids.n++;
}

static void pid_del(pid_t pid)
{
	pid_t *s;

	if (!pids.cap)
		return;
	s = pid_slot(pid);
	if (*s == pid) {
		*s = -1;
		pids.n--;
	}
}

/* The parent of PID from /proc, or 0. */
static pid_t proc_ppid(pid_t pid)
{
	char path[64], buf[512], *p;
	FILE *f;
	pid_t ppid = 0;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')))
		sscanf(p + 1, " %*c %d", &ppid);
	fclose(f);
	return ppid;
}

/* Adds ROOT and the processes below it now (the kernel tells of later
 * ones): repeated passes over /proc until no new descendant shows. */
static void pid_seed(pid_t root)
{
	size_t before;

	pid_add(root);
	do {
		struct dirent *de;
		DIR *d = opendir("/proc");

		before = pids.n;
		if (!d)
			return;
		while ((de = readdir(d))) {
			char *end;
			long pid = strtol(de->d_name, &end, 10);

			if (*end || pid <= 0 || pid_has(pid))
				continue;
			if (pid_has(proc_ppid(pid)))
				pid_add(pid);
		}
		closedir(d);
	} while (pids.n != before);
}

/* ---- output --------------------------------------------------------------- */

static struct {
	struct jsonw w;	  /* -j: d4c-load's record */
	struct enrich *E; /* -j: context added as d4c-enrich adds it */
	struct obuf json; /* -j: what goes out */
	char *text;	  /* columns */
	size_t len, cap;
	uint64_t shown, filtered;
	int broken;
	struct loader *L;
} out;

static size_t out_len(void)
{
	return opt.json ? out.json.len : out.len;
}

static void put_bytes(const char *s, size_t n)
{
	if (out.len + n > out.cap) {
		out.cap = (out.len + n) * 2 + 4096;
		out.text = xrealloc(out.text, out.cap);
	}
	memcpy(out.text + out.len, s, n);
	out.len += n;
}

#define FLUSH_AT (64u << 10)

static void flush_out(void)
{
	int r;

	if (out.broken || !out_len())
		return;
	r = write_all(STDOUT_FILENO, opt.json ? out.json.buf : out.text, out_len());
	out.len = out.json.len = 0;
	if (r) {
		if (r != -EPIPE)
			error("cannot write to stdout: %s", strerror(-r));
		out.broken = 1;
		stop_signal = SIGPIPE;
	}
}

/* Appends S (LEN bytes) to the column output, with bytes a terminal would
 * act on (control characters, escapes) shown as \xNN. */
static void put_text(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = s[i];
		char esc[5];

		if (c < 0x20 || c == 0x7f || c == '\\') {
			snprintf(esc, sizeof(esc), c == '\\' ? "\\\\" : "\\x%02x", c);
			put_bytes(esc, strlen(esc));
		} else {
			put_bytes(s + i, 1);
		}
	}
}

static void put_cstr(const char *s)
{
	put_bytes(s, strlen(s));
}

static void put_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void put_fmt(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	put_bytes(buf, n < (int)sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

/* Pads the column started at START (a byte offset into the line) to WIDTH. */
static void pad_to(size_t start, size_t width)
{
	size_t n = out.len - start;

	put_cstr(" ");
	while (++n < width)
		put_cstr(" ");
}

#define C_RESET "\033[0m"

static const char *kind_color(const struct d4c_record *e)
{
	if (e->flags & D4C_EF_DENIED)
		return "\033[1;31m";
	switch (e->kind) {
	case D4C_REC_EXEC:
		return "\033[32m";
	case D4C_REC_FORK:
		return "\033[36m";
	case D4C_REC_EXIT:
		return "\033[2m";
	default:
		return "\033[33m";
	}
}

/* The EVENT column's word for a record. */
static const char *event_word(const struct d4c_record *e)
{
	static const char *const file_words[] = {
	    [D4C_FA_CREATION] = "create", [D4C_FA_MODIFICATION] = "modify",
	    [D4C_FA_DELETION] = "delete", [D4C_FA_RENAME] = "rename",
	    [D4C_FA_LINK] = "link",	  [D4C_FA_OPEN] = "write",
	    [D4C_FA_EXEC] = "memexec",
	};

	switch (e->kind) {
	case D4C_REC_EXEC:
		return "exec";
	case D4C_REC_FORK:
		return "fork";
	case D4C_REC_EXIT:
		return "exit";
	default:
		if (e->file_action < sizeof(file_words) / sizeof(file_words[0]) &&
		    file_words[e->file_action])
			return file_words[e->file_action];
		return "file";
	}
}

static void print_header(void)
{
	if (opt.json)
		return;
	put_fmt("%-12s %-14s %7s %7s %5s %-15s %-7s %s\n", "TIME", "CONTAINER", "PID", "PPID",
		"UID", "COMM", "EVENT", "DETAIL");
	flush_out();
}

static void print_columns(const struct d4c_record *e, const char *const strs[D4C_NSTR])
{
	struct loader *L = out.L;
	const struct d4c_task *t = &e->task;
	uint64_t ns = loader_unix_ns(L, e->ts_ns);
	time_t sec = ns / 1000000000ull;
	const char *ctr, *cname;
	struct tm tm;
	char when[16];
	size_t col;

	localtime_r(&sec, &tm);
	strftime(when, sizeof(when), "%H:%M:%S", &tm);
	put_fmt("%s.%03u ", when, (unsigned)(ns / 1000000ull % 1000));
	col = out.len;
	ctr = loader_container_of(L, t->cgroup_id, &cname);
	if (cname && *cname)
		put_text(cname, strnlen(cname, 14));
	else if (ctr)
		put_text(ctr, strnlen(ctr, 12));
	else
		put_cstr(e->flags & D4C_EF_IN_CONTAINER ? "?" : "-");
	pad_to(col, 15);
	put_fmt("%7u %7u %5u ", t->pid, t->ppid, t->euid);
	col = out.len;
	put_text(t->comm, strnlen(t->comm, sizeof(t->comm)));
	pad_to(col, 16);
	if (opt.color)
		put_cstr(kind_color(e));
	col = out.len;
	put_cstr(event_word(e));
	if (e->flags & D4C_EF_DENIED)
		put_cstr("!");
	pad_to(col, 8);
	if (opt.color)
		put_cstr(C_RESET);
	switch (e->kind) {
	case D4C_REC_EXEC:
		if (e->len[D4C_S_ARGS]) {
			const char *a = strs[D4C_S_ARGS], *end = a + e->len[D4C_S_ARGS];

			while (a < end) {
				const char *z = memchr(a, 0, end - a);
				size_t l = z ? (size_t)(z - a) : (size_t)(end - a);

				put_text(a, l);
				a += l + 1;
				if (a < end)
					put_cstr(" ");
			}
			if (e->flags & D4C_EF_ARGS_TRUNC)
				put_cstr("...");
		} else {
			put_text(strs[D4C_S_PATH], e->len[D4C_S_PATH]);
		}
		break;
	case D4C_REC_EXIT: {
		int code = loader_exit_code(e->exit_code);

		if (code > 128 && !((e->exit_code >> 8) & 0xff))
			put_fmt("signal %d", code - 128);
		else
			put_fmt("code %d", code);
		break;
	}
	case D4C_REC_FORK:
		break;
	default:
		if (e->len[D4C_S_PATH2]) {
			put_text(strs[D4C_S_PATH2], e->len[D4C_S_PATH2]);
			put_cstr(" -> ");
		}
		put_text(strs[D4C_S_PATH], e->len[D4C_S_PATH]);
		break;
	}
	put_cstr("\n");
}

/* -j: the record as d4c-load writes it, through d4c-enrich's transform
 * (container, pod, host, ancestry), into the output. */
static void put_json(struct loader *L, const struct d4c_record *e, const char *const strs[D4C_NSTR],
		     const char *kind)
{
	const char *why;
	unsigned missing;
	size_t at;

	jsonw_reset(&out.w);
	if (loader_event_json(L, &out.w, e, strs, kind))
		return;
	if (enrich_line(out.E, jsonw_data(&out.w), jsonw_len(&out.w) - 1, 0, mono_ns(),
			clock_ns(CLOCK_REALTIME), &out.json, &missing, &why, &at) == ENRICH_INVALID)
		error("internal error: an event record is not JSON (%s at %zu)", why, at);
}

/* A process name matches NAME: exact, or a prefix before a trailing '*'. */
static int name_matches(const char *comm, size_t len, const char *name)
{
	size_t n = strlen(name);

	if (n && name[n - 1] == '*')
		return len >= n - 1 && !memcmp(comm, name, n - 1);
	return len == n && !memcmp(comm, name, n);
}

/* Does container (id CTR, name CNAME) match -c? */
static int container_matches(const char *ctr, const char *cname)
{
	size_t n = strlen(opt.container);

	if ((cname && !strcmp(cname, opt.container)) || (ctr && !strcmp(ctr, opt.container)))
		return 1;
	return ctr && n >= 4 && !strncmp(ctr, opt.container, n);
}

static unsigned record_kind(const struct d4c_record *e)
{
	switch (e->kind) {
	case D4C_REC_EXEC:
		return K_EXEC;
	case D4C_REC_FORK:
		return K_FORK;
	case D4C_REC_EXIT:
		return K_EXIT;
	default:
		return K_FILE;
	}
}

static void emit(void *arg, const struct d4c_record *e, const char *const strs[D4C_NSTR],
		 const char *kind)
{
	struct loader *L = arg;
	const struct d4c_task *t = &e->task;
	int show = 1;

	/* the tree follows forks whether or not forks are shown */
	if (pids.cap) {
		if (e->kind == D4C_REC_FORK && pid_has(t->ppid))
			pid_add(t->pid);
		show = pid_has(t->pid);
		if (e->kind == D4C_REC_EXIT && show && (pid_t)t->pid != opt.pid)
			pid_del(t->pid);
	}
	if (strcmp(kind, "event"))
		show = 0; /* the policy only logs; an alert would be a copy */
	if (show && !(opt.kinds & record_kind(e)))
		show = 0;
	if (show && opt.name && !name_matches(t->comm, strnlen(t->comm, sizeof(t->comm)), opt.name))
		show = 0;
	if (show && opt.container) {
		const char *cname, *ctr = loader_container_of(L, t->cgroup_id, &cname);

		show = container_matches(ctr, cname);
	}
	if (!show) {
		out.filtered++;
		return;
	}
	out.shown++;
	if (opt.json)
		put_json(L, e, strs, kind);
	else
		print_columns(e, strs);
	if (out_len() >= FLUSH_AT)
		flush_out();
}

/* ---- the command ------------------------------------------------------------ */

/*
 * Starts COMMAND stopped: the child waits on a pipe until the programs are
 * attached, so that its first exec is seen. Returns its pid, with the write
 * end of the pipe in *GO (closing it lets the child go).
 */
static pid_t start_command(char **argv, int *go)
{
	int p[2];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC))
		die("cannot make a pipe: %s", strerror(errno));
	pid = fork();
	if (pid < 0)
		die("cannot fork: %s", strerror(errno));
	if (pid == 0) {
		char c;

		close(p[1]);
		/* the tracer gone before the go: do not run untraced */
		if (read(p[0], &c, 1) != 1 || c != 'g')
			_exit(127);
		execvp(argv[0], argv);
		fprintf(stderr, "%s: cannot run '%s': %s\n", progname, argv[0], strerror(errno));
		_exit(errno == ENOENT ? 127 : 126);
	}
	close(p[0]);
	*go = p[1];
	return pid;
}

/* ---- main ------------------------------------------------------------------- */

static unsigned parse_kinds(const char *s)
{
	unsigned k = 0;
	char *dup = xstrdup(s), *save, *w;

	for (w = strtok_r(dup, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		if (!strcmp(w, "exec"))
			k |= K_EXEC;
		else if (!strcmp(w, "fork"))
			k |= K_FORK;
		else if (!strcmp(w, "exit"))
			k |= K_EXIT;
		else if (!strcmp(w, "file"))
			k |= K_FILE;
		else if (!strcmp(w, "all"))
			k |= K_ALL;
		else
			usage_error("--types: unknown kind '%s' (exec, fork, exit, file)", w);
	}
	free(dup);
	if (!k)
		usage_error("--types: no kind given (exec, fork, exit, file)");
	return k;
}

int main(int argc, char **argv)
{
	struct loader L = {0};
	struct loader_opts lo = {0};
	struct policy_slot first = {0};
	struct sigaction sa = {0};
	pid_t child = 0;
	int c, err = 0, go = -1, status = 0, child_done = 0;
	uint64_t deadline = 0, c_before[D4C_C_MAX], c_after[D4C_C_MAX];

	set_progname(argv[0]);
	while ((c = getopt_long(argc, argv, "+p:c:n:t:jh", long_opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			opt.pid = number_arg("--pid", optarg, 1, 4194304);
			break;
		case 'c':
			if (!*optarg)
				usage_error("--container: empty");
			opt.container = optarg;
			break;
		case OPT_POD:
			opt.pod = optarg;
			break;
		case OPT_NAMESPACE:
			opt.namespace = optarg;
			break;
		case 'n':
			if (!*optarg || strlen(optarg) > 16 ||
			    (strlen(optarg) == 16 && optarg[15] != '*'))
				usage_error("--name: '%s' is not a process name (1 to 15 bytes, "
					    "trailing '*' allowed)",
					    optarg);
			opt.name = optarg;
			break;
		case OPT_PATH:
			if (opt.npaths == MAX_PATHS)
				usage_error("--path: at most %d patterns", MAX_PATHS);
			opt.paths[opt.npaths++] = optarg;
			break;
		case 't':
			opt.kinds = parse_kinds(optarg);
			break;
		case OPT_CONTAINERS_ONLY:
			opt.containers_only = 1;
			break;
		case 'j':
			opt.json = 1;
			break;
		case OPT_COLOR:
			if (!strcmp(optarg, "auto"))
				opt.color = -1;
			else if (!strcmp(optarg, "always"))
				opt.color = 1;
			else if (!strcmp(optarg, "never"))
				opt.color = 0;
			else
				usage_error("--color: '%s' is not auto, always or never", optarg);
			break;
		case OPT_DURATION:
			opt.duration = number_arg("--duration", optarg, 1, 10u * 365 * 86400);
			break;
		case OPT_RINGBUF:
			opt.ringbuf_size = loader_ringbuf_arg(optarg);
			break;
		case 'h':
			fputs(usage_text, stdout);
			return EXIT_OK;
		default:
			usage_error("unknown option");
		}
	}
	if (optind < argc)
		opt.command = argv + optind;
	if (opt.command && opt.pid)
		usage_error("--pid and a COMMAND: give one or the other");
	if (opt.npaths && !(opt.kinds & K_FILE))
		usage_error("--path selects file events, and --types leaves them out");
	if (opt.color < 0)
		opt.color = !opt.json && isatty(STDOUT_FILENO) && !getenv("NO_COLOR");
	if (opt.json)
		opt.color = 0;

	err = build_policy(&first);
	if (err)
		return err;
	if (geteuid() != 0)
		die("must run as root (BPF programs need it)");
	if (opt.pid && kill(opt.pid, 0) && errno == ESRCH)
		die("--pid: no process %d", (int)opt.pid);

	/* the command starts before anything is attached (it gets no BPF
	 * descriptors) and runs once everything is */
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (opt.command)
		child = start_command(opt.command, &go);

	jsonw_init(&out.w);
	out.L = &L;
	if (opt.json) {
		struct enrich_config ec = {.root = getenv("D4C_HOST_ROOT")};

		out.E = enrich_new(&ec);
	}
	lo.host = !opt.containers_only && !opt.container && !opt.pod && !opt.namespace;
	lo.ringbuf_size = opt.ringbuf_size;
	err = loader_start(&L, &lo, &first, emit, &L);
	/* a name that matches nothing would trace nothing, and say nothing */
	if (!err && opt.container && !loader_find_container(&L, container_matches)) {
		fprintf(stderr, "%s: no container named '%s'\n", progname, opt.container);
		loader_stop(&L);
		err = EXIT_USAGE;
	}
	if (err) {
		if (child) {
			close(go); /* the child exits without running */
			waitpid(child, NULL, 0);
		}
		goto cleanup;
	}
	if (opt.pid)
		pid_seed(opt.pid);
	if (child) {
		opt.pid = child;
		pid_add(child);
	}
	loader_counters(&L, c_before);
	loader_drop_privileges();
	info("tracing %s%s, %s; Ctrl-C to stop", want_process() ? "processes" : "",
	     opt.kinds & K_FILE ? (want_process() ? " and files" : "files") : "",
	     L.lsm ? "file events at the LSM hooks" : "file events from syscall tracepoints");
	print_header();
	if (child) {
		if (write(go, "g", 1) != 1)
			warning("cannot start '%s': %s", opt.command[0], strerror(errno));
		close(go);
	}
	if (opt.duration)
		deadline = mono_ns() + opt.duration * 1000000000ull;

	while (!stop_signal) {
		int n = loader_poll(&L, D4C_POLL_MS);

		if (n < 0 && n != -EINTR) {
			err = EXIT_KERNEL;
			error("cannot read the ring buffer: %s", strerror(-n));
			break;
		}
		flush_out();
		if (child && !child_done && waitpid(child, &status, WNOHANG) == child)
			child_done = 1;
		if (child_done)
			break; /* its exit is in the ring buffer: drained below */
		if (deadline && mono_ns() >= deadline)
			break;
	}
	if (child && !child_done) {
		/* Ctrl-C went to the command too (the terminal's process group);
		 * a SIGTERM came to us alone: pass it on. Then wait for it. */
		if (stop_signal == SIGTERM)
			kill(child, SIGTERM);
		while (waitpid(child, &status, 0) < 0 && errno == EINTR)
			;
		child_done = 1;
	}
	loader_stop(&L);
	flush_out();
	loader_counters(&L, c_after);
	info("%" PRIu64 " events shown, %" PRIu64 " lost", out.shown,
	     c_after[D4C_C_LOST] - c_before[D4C_C_LOST]);
	if (!err && child)
		err = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);

cleanup:
	loader_free(&L);
	jsonw_free(&out.w);
	if (out.E)
		enrich_free(out.E);
	obuf_free(&out.json);
	free(out.text);
	free(pids.v);
	return err;
}
