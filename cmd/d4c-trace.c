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
#include <jansson.h>
#include <limits.h>
#include <signal.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "blob.h"
#include "buf.h"
#include "diag.h"
#include "enrich.h"
#include "jsonw.h"
#include "loader.h"
#include "policy.h"
#include "util.h"

static const char usage_text[] =
	"usage: d4c-trace [OPTIONS] [-- COMMAND [ARGS...]]\n"
	"       d4c-trace --render [FILTERS] < EVENTS.ndjson\n"
	"\n"
	"Shows process and file events as they happen, with their containers and pods.\n"
	"With COMMAND: runs it, traces it and its descendants, and exits with its status.\n"
	"\n"
	"  -p, --pid PID           only process PID and its descendants\n"
	"  -c, --container CTR     only container CTR: its id, an id prefix of 4+ characters, or its "
	"name\n"
	"                          (repeatable, or a comma-separated list)\n"
	"  -C, --exclude-container CTR  not container CTR (repeatable, comma list)\n"
	"      --pod NAME          only pods named NAME (trailing '*' allowed)\n"
	"      --namespace NS      only pods in Kubernetes namespace NS (trailing '*' allowed)\n"
	"  -n, --name NAME         only processes named NAME (comm; trailing '*' allowed;\n"
	"                          repeatable, or a comma-separated list)\n"
	"  -N, --exclude-name NAME not processes named NAME (repeatable, comma list)\n"
	"  -u, --uid UID           only processes of effective user UID (number or name;\n"
	"                          repeatable, comma list)\n"
	"      --path PATTERN      only files matching PATTERN (/a/b, /a/*, /a/**; repeatable)\n"
	"  -t, --types KINDS       event kinds: exec,fork,exit,file,failed (default: all but\n"
	"                          failed; failed: execs that failed)\n"
	"  -x, --failed            failed execs too (as execsnoop -x; -t failed: those only)\n"
	"      --containers-only   no host processes\n"
	"  -m, --max N             exit after showing N events\n"
	"  -j, --json              NDJSON as d4c-load writes it, with container context\n"
	"  -T, --time              the TIME column in a terminal too (always there in a file or pipe)\n"
	"      --width COLS        fit lines to COLS columns (default: the terminal's; 0: no limit)\n"
	"      --color WHEN        auto (default: when stdout is a terminal), always or never\n"
	"      --duration SECONDS  stop after SECONDS\n"
	"      --ringbuf-size BYTES  kernel ring buffer size (power of two, default 16M)\n"
	"      --render            no tracing: show the d4c NDJSON on stdin (d4c-load's or\n"
	"                          d4c-enrich's) in these columns, with -c -C -n -N -u -t -m\n"
	"  -h, --help              show this text\n"
	"  -V, --version           show the version\n"
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
	OPT_RINGBUF,
	OPT_RENDER,
	OPT_WIDTH
};

static const struct option long_opts[] = {
	{ "pid", required_argument, NULL, 'p' },
	{ "container", required_argument, NULL, 'c' },
	{ "exclude-container", required_argument, NULL, 'C' },
	{ "pod", required_argument, NULL, OPT_POD },
	{ "namespace", required_argument, NULL, OPT_NAMESPACE },
	{ "name", required_argument, NULL, 'n' },
	{ "exclude-name", required_argument, NULL, 'N' },
	{ "uid", required_argument, NULL, 'u' },
	{ "max", required_argument, NULL, 'm' },
	{ "time", no_argument, NULL, 'T' },
	{ "failed", no_argument, NULL, 'x' },
	{ "width", required_argument, NULL, OPT_WIDTH },
	{ "render", no_argument, NULL, OPT_RENDER },
	{ "path", required_argument, NULL, OPT_PATH },
	{ "types", required_argument, NULL, 't' },
	{ "containers-only", no_argument, NULL, OPT_CONTAINERS_ONLY },
	{ "json", no_argument, NULL, 'j' },
	{ "color", required_argument, NULL, OPT_COLOR },
	{ "duration", required_argument, NULL, OPT_DURATION },
	{ "ringbuf-size", required_argument, NULL, OPT_RINGBUF },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

/* K_FAILED: an exec that failed, from programs loaded only for it */
enum { K_EXEC = 1, K_FORK = 2, K_EXIT = 4, K_FILE = 8, K_ALL = 15, K_FAILED = 16 };

#define MAX_PATHS 64

/* The values of a repeatable option, each of which may be a comma list. */
struct strlist {
	char **v;
	unsigned n;
};

static struct {
	pid_t pid;
	struct strlist containers, xcontainers;
	const char *pod;
	const char *namespace;
	struct strlist names, xnames;
	uint32_t *uids;
	unsigned nuids;
	const char *paths[MAX_PATHS];
	unsigned npaths;
	unsigned kinds;
	int containers_only;
	int json;
	int color;
	int time;
	long width; /* --width; -1: the terminal's */
	int render;
	unsigned long max;
	unsigned duration;
	unsigned long ringbuf_size;
	char **command;
} opt = { .kinds = K_ALL, .color = -1, .width = -1, .ringbuf_size = 16ul << 20 };

static volatile sig_atomic_t stop_signal, sigint_count;

static void on_signal(int sig)
{
	stop_signal = sig;
	if (sig == SIGINT)
		sigint_count++;
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
	struct buf s;
	int line;
	const char *line_opt[256];
};

static void pt_add(struct ptext *t, const char *opt_name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void pt_add(struct ptext *t, const char *opt_name, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(&t->s, fmt, ap);
	va_end(ap);
	buf_addc(&t->s, '\n');
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
	return (opt.kinds & (K_EXEC | K_FORK | K_EXIT)) || opt.pid || opt.command ||
	       opt.kinds == K_FAILED; /* a policy needs a selector */
}

/*
 * Builds, checks and compiles the policy into PS. Returns 0, or
 * EXIT_USAGE after naming the option at fault.
 */
static int build_policy(struct policy_slot *ps)
{
	struct ptext t = { 0 };
	struct diag_list dl = { 0 };
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
	err = policy_parse(buf_cstr(&t.s), t.s.len, "d4c-trace", &dl, &p);
	for (size_t i = 0; i < dl.n; i++) {
		const struct diag *d = &dl.v[i];
		const char *o = d->line > 0 && d->line < 256 ? t.line_opt[d->line] : NULL;

		/* A warning on a value the user gave (a pod name no pod can
		 * have, a label without ':') would trace nothing, silently. */
		if (d->sev == DIAG_ERROR || o)
			err = 1;
	}
	if (err) {
		for (size_t i = 0; i < dl.n; i++) {
			const struct diag *d = &dl.v[i];
			const char *o = d->line > 0 && d->line < 256 ? t.line_opt[d->line] : NULL;

			if (d->sev != DIAG_ERROR && !o)
				continue;
			if (o)
				error("option '%s': %s", o, d->msg);
			else
				error("internal error: the policy built from the options is invalid "
				      "(%d:%d: %s)",
				      d->line, d->col, d->msg);
		}
		err = EXIT_USAGE;
		goto cleanup;
	}
	if (getenv("D4C_TRACE_SHOW_POLICY"))
		fputs(buf_cstr(&t.s), stderr);
	if (blob_compile(p, 1, &blob, &len)) {
		err = EXIT_USAGE;
		goto cleanup;
	}
	err = policy_slot_take(blob, len, "the policy built from the options", ps) ? EXIT_USAGE : 0;
cleanup:
	policy_free(p);
	diag_free(&dl);
	buf_free(&t.s);
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
	struct jsonw w; /* -j: d4c-load's record */
	struct enrich *E; /* -j: context added as d4c-enrich adds it */
	struct buf json; /* -j: what goes out */
	struct buf text; /* columns */
	unsigned col; /* columns: the display column the current line is at */
	int cut; /* columns: the current line reached the width */
	uint64_t shown, filtered;
	int broken;
	int max_reached;
	struct loader *L;
} out;

/*
 * What the columns look like. In a terminal (or with --width) lines are cut
 * to the width, and columns that say nothing are left out: CONTAINER until
 * a row is a container's (on a host without containers it would be a
 * column of '-'), TIME unless -T. Into a file or a pipe every column is
 * always there, in fixed places, for awk and grep.
 */
static struct {
	unsigned width; /* 0: no limit (and every column) */
	int fit;
	int show_time, show_ctr;
	int header_due;
	volatile sig_atomic_t resized;
} view;

/* The terminal's width: TIOCGWINSZ, else $COLUMNS, else 80. */
static unsigned terminal_width(void)
{
	struct winsize ws;
	const char *c = getenv("COLUMNS");
	long n;

	if (!ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) && ws.ws_col)
		return ws.ws_col;
	if (c && (n = strtol(c, NULL, 10)) > 0 && n < 100000)
		return n;
	return 80;
}

static void on_winch(int sig)
{
	(void)sig;
	view.resized = 1;
}

static void view_init(void)
{
	if (opt.width >= 0)
		view.width = opt.width;
	else if (!opt.json && isatty(STDOUT_FILENO))
		view.width = terminal_width();
	view.fit = view.width > 0;
	view.show_time = !view.fit || opt.time;
	view.show_ctr = !view.fit;
	if (view.fit && opt.width < 0) {
		struct sigaction sa = { .sa_handler = on_winch, .sa_flags = SA_RESTART };

		sigemptyset(&sa.sa_mask);
		sigaction(SIGWINCH, &sa, NULL);
	}
}

static size_t out_len(void)
{
	return opt.json ? out.json.len : out.text.len;
}

#define FLUSH_AT (64u << 10)

static void flush_out(void)
{
	int r;

	if (out.broken || !out_len())
		return;
	r = write_all(STDOUT_FILENO, opt.json ? out.json.p : out.text.p, out_len());
	buf_reset(&out.text);
	buf_reset(&out.json);
	if (r) {
		if (r != -EPIPE)
			error("cannot write to stdout: %s", strerror(-r));
		out.broken = 1;
		stop_signal = SIGPIPE;
	}
}

/* Appends visible text, counting display columns (a UTF-8 sequence is one)
 * and dropping what is past the width. */
static void put_vis(const char *s, size_t n)
{
	for (size_t i = 0; i < n && !out.cut; i++) {
		if (((unsigned char)s[i] & 0xc0) != 0x80) {
			if (view.width && out.col >= view.width) {
				out.cut = 1;
				break;
			}
			out.col++;
		}
		buf_addc(&out.text, s[i]);
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
			put_vis(esc, strlen(esc));
		} else {
			put_vis(s + i, 1);
		}
	}
}

static void put_cstr(const char *s)
{
	put_vis(s, strlen(s));
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
	put_vis(buf, n < (int)sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

/* Colours and the line's end: not text, never cut. */
static void put_raw(const char *s)
{
	buf_adds(&out.text, s);
}

static void end_line(void)
{
	put_raw("\n");
	out.col = 0;
	out.cut = 0;
}

/* Pads the column started at display column START to WIDTH (at least one
 * space, so that a long value never runs into the next). */
static void pad_to(unsigned start, unsigned width)
{
	do
		put_vis(" ", 1);
	while (out.col - start < width && !out.cut);
}

#define C_RESET "\033[0m"

/*
 * One row of the columns, from a kernel record (tracing) or from a line of
 * NDJSON (--render): both are shown, and filtered, by the same code.
 */
struct row {
	uint64_t unix_ns; /* 0: not known */
	const char *ctr_id, *ctr_name; /* NULL: not known (or a host process) */
	int in_container; /* a container's, which one not known yet */
	long long pid, ppid, uid; /* -1: not known */
	const char *comm;
	size_t comm_len;
	unsigned kind; /* K_* */
	const char *word; /* the EVENT column */
	int denied, alert;
	const char *error; /* a failed exec: the errno's name */
	void (*detail)(const struct row *r); /* writes the DETAIL column */
	const struct d4c_record *rec; /* tracing: the record */
	const char *const *strs; /* and its strings */
	json_t *j; /* --render: the event */
};

static const char *row_color(const struct row *r)
{
	if (r->denied)
		return "\033[1;31m";
	if (r->alert)
		return "\033[1;35m";
	switch (r->kind) {
	case K_EXEC:
		return "\033[32m";
	case K_FORK:
		return "\033[36m";
	case K_EXIT:
		return "\033[2m";
	case K_FAILED:
		return "\033[31m";
	default:
		return "\033[33m";
	}
}

/* The header, or again when a column appears. */
static void put_header(void)
{
	unsigned c;

	if (view.show_time) {
		put_cstr("TIME");
		pad_to(0, 13);
	}
	if (view.show_ctr) {
		c = out.col;
		put_cstr("CONTAINER");
		pad_to(c, 15);
	}
	put_fmt("%7s %7s %5s ", "PID", "PPID", "UID");
	c = out.col;
	put_cstr("COMM");
	pad_to(c, 16);
	c = out.col;
	put_cstr("EVENT");
	pad_to(c, 8);
	put_cstr("DETAIL");
	end_line();
}

static void print_header(void)
{
	if (opt.json)
		return;
	put_header();
	flush_out();
}

static void put_id(long long v, int width)
{
	if (v < 0)
		put_fmt("%*s ", width, "-");
	else
		put_fmt("%*lld ", width, v);
}

static void render_row(const struct row *r)
{
	unsigned c;

	if (view.resized) {
		view.resized = 0;
		view.width = terminal_width();
	}
	if (view.fit && !view.show_ctr && (r->ctr_id || r->ctr_name || r->in_container)) {
		/* the first container: from now on a column of its own */
		view.show_ctr = 1;
		put_header();
	}
	if (view.show_time) {
		if (r->unix_ns) {
			time_t sec = r->unix_ns / 1000000000ull;
			struct tm tm;
			char when[16];

			localtime_r(&sec, &tm);
			strftime(when, sizeof(when), "%H:%M:%S", &tm);
			put_fmt("%s.%03u ", when, (unsigned)(r->unix_ns / 1000000ull % 1000));
		} else {
			put_cstr("?");
			pad_to(0, 13);
		}
	}
	if (view.show_ctr) {
		c = out.col;
		if (r->ctr_name && *r->ctr_name)
			put_text(r->ctr_name, strnlen(r->ctr_name, 14));
		else if (r->ctr_id)
			put_text(r->ctr_id, strnlen(r->ctr_id, 12));
		else
			put_cstr(r->in_container ? "?" : "-");
		pad_to(c, 15);
	}
	put_id(r->pid, 7);
	put_id(r->ppid, 7);
	put_id(r->uid, 5);
	c = out.col;
	put_text(r->comm, r->comm_len);
	pad_to(c, 16);
	if (opt.color)
		put_raw(row_color(r));
	c = out.col;
	put_cstr(r->word);
	if (r->denied)
		put_cstr("!");
	if (r->alert)
		put_cstr("*");
	pad_to(c, 8);
	if (opt.color)
		put_raw(C_RESET);
	r->detail(r);
	end_line();
}

/* The EVENT column's word for a record. */
static const char *event_word(const struct d4c_record *e)
{
	static const char *const file_words[] = {
		[D4C_FA_CREATION] = "create", [D4C_FA_MODIFICATION] = "modify",
		[D4C_FA_DELETION] = "delete", [D4C_FA_RENAME] = "rename",
		[D4C_FA_LINK] = "link",	      [D4C_FA_OPEN] = "write",
		[D4C_FA_EXEC] = "memexec",    [D4C_FA_READ] = "read",
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

static void record_detail(const struct row *r)
{
	const struct d4c_record *e = r->rec;
	const char *const *strs = r->strs;

	if (r->error)
		put_fmt("[%s] ", r->error);
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
		int code = ecs_exit_code(e->exit_code);

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
}

/* A kernel record as a row. */
static void record_row(const struct d4c_record *e, const char *const strs[D4C_NSTR], struct row *r)
{
	const struct d4c_task *t = &e->task;

	memset(r, 0, sizeof(*r));
	r->unix_ns = loader_unix_ns(out.L, e->ts_ns);
	r->ctr_id = loader_container_of(out.L, t->cgroup_id, &r->ctr_name);
	r->in_container = !!(e->flags & D4C_EF_IN_CONTAINER);
	r->pid = t->pid;
	r->ppid = t->ppid;
	r->uid = t->euid;
	r->comm = t->comm;
	r->comm_len = strnlen(t->comm, sizeof(t->comm));
	r->kind = record_kind(e);
	r->word = event_word(e);
	if (e->flags & D4C_EF_EXEC_FAILED) {
		int err = e->exit_code < 0 ? -e->exit_code : e->exit_code;

		r->kind = K_FAILED;
		r->error = strerrorname_np(err) ?: "error";
	}
	r->denied = !!(e->flags & D4C_EF_DENIED);
	r->detail = record_detail;
	r->rec = e;
	r->strs = strs;
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

/* ---- filters ----------------------------------------------------------------- */

/* A process name matches NAME: exact, or a prefix before a trailing '*'. */
static int name_matches(const char *comm, size_t len, const char *name)
{
	size_t n = strlen(name);

	if (n && name[n - 1] == '*')
		return len >= n - 1 && !memcmp(comm, name, n - 1);
	return len == n && !memcmp(comm, name, n);
}

static int any_name_matches(const struct strlist *l, const char *comm, size_t len)
{
	for (unsigned i = 0; i < l->n; i++)
		if (name_matches(comm, len, l->v[i]))
			return 1;
	return 0;
}

/* Does container (id CTR, name CNAME) match one of L: its name, its id, or
 * an id prefix of 4 characters or more? */
static int container_matches(const struct strlist *l, const char *ctr, const char *cname)
{
	for (unsigned i = 0; i < l->n; i++) {
		size_t n = strlen(l->v[i]);

		if ((cname && !strcmp(cname, l->v[i])) || (ctr && !strcmp(ctr, l->v[i])))
			return 1;
		if (ctr && n >= 4 && !strncmp(ctr, l->v[i], n))
			return 1;
	}
	return 0;
}

/* The -c value loader_find_container() is asked about: does container
 * (id ID, name NAME) answer to it? */
static const char *want_ctr;

static int container_wanted(const char *id, const char *name)
{
	struct strlist one = { .v = (char **)&want_ctr, .n = 1 };

	return container_matches(&one, id, name);
}

/* The filters of user space (the kernel has applied the policy's). */
static int row_shown(const struct row *r)
{
	if (!(opt.kinds & r->kind))
		return 0;
	/* the kernel leaves host processes out, but not of failed execs */
	if (opt.containers_only && !r->ctr_id && !r->ctr_name && !r->in_container)
		return 0;
	if (opt.names.n && !any_name_matches(&opt.names, r->comm, r->comm_len))
		return 0;
	if (opt.xnames.n && any_name_matches(&opt.xnames, r->comm, r->comm_len))
		return 0;
	if (opt.containers.n && !container_matches(&opt.containers, r->ctr_id, r->ctr_name))
		return 0;
	if (opt.xcontainers.n && container_matches(&opt.xcontainers, r->ctr_id, r->ctr_name))
		return 0;
	if (opt.nuids) {
		unsigned i;

		for (i = 0; i < opt.nuids && (long long)opt.uids[i] != r->uid; i++)
			;
		if (i == opt.nuids)
			return 0;
	}
	return 1;
}

/* Counts a row that passed the filters; 0 once --max rows were shown. */
static int take_row(void)
{
	if (opt.max && out.shown >= opt.max)
		return 0;
	out.shown++;
	if (opt.max && out.shown == opt.max)
		out.max_reached = 1;
	return 1;
}

static void emit(void *arg, const struct d4c_record *e, const char *const strs[D4C_NSTR],
		 const char *kind)
{
	struct loader *L = arg;
	const struct d4c_task *t = &e->task;
	struct row r;
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
	if (show) {
		record_row(e, strs, &r);
		show = row_shown(&r);
	}
	if (!show) {
		out.filtered++;
		return;
	}
	if (!take_row())
		return;
	if (opt.json)
		put_json(L, e, strs, kind);
	else
		render_row(&r);
	if (out_len() >= FLUSH_AT)
		flush_out();
}

/* ---- the command ------------------------------------------------------------ */

/*
 * Into a pipe or a file, the command's standard output comes through us:
 * it and the trace are then written by one process, in whole lines, where
 * two writers to one pipe could split each other's lines (a pipe keeps a
 * write whole only up to PIPE_BUF, and an event in JSON can be longer).
 * A terminal is left to the command, so that it stays one for it.
 */
static struct {
	int fd; /* the read end; -1: no relay */
	struct buf part; /* a line not ended yet */
} relay = { .fd = -1 };

/* Moves what the command wrote into the output, whole lines only (all of
 * it when FINAL). */
static void relay_read(int final)
{
	char buf[65536];
	ssize_t n;
	char *nl;

	while (relay.fd >= 0) {
		n = read(relay.fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0 || errno != EAGAIN || final) {
				close(relay.fd);
				relay.fd = -1;
			}
			break;
		}
		buf_add(&relay.part, buf, n);
		nl = memrchr(relay.part.p, '\n', relay.part.len);
		if (nl) {
			size_t whole = nl - relay.part.p + 1;

			buf_add(opt.json ? &out.json : &out.text, relay.part.p, whole);
			buf_consume(&relay.part, whole);
		}
	}
	if (final && relay.part.len) {
		buf_add(opt.json ? &out.json : &out.text, relay.part.p, relay.part.len);
		buf_reset(&relay.part);
	}
}

/*
 * Starts COMMAND stopped: the child waits on a pipe until the programs are
 * attached, so that its first exec is seen. Returns its pid, with the write
 * end of the pipe in *GO (closing it lets the child go).
 */
static pid_t start_command(char **argv, int *go)
{
	int p[2], r[2] = { -1, -1 };
	pid_t pid;

	if (pipe2(p, O_CLOEXEC))
		die("cannot make a pipe: %s", strerror(errno));
	if (!isatty(STDOUT_FILENO)) {
		if (pipe2(r, O_CLOEXEC))
			die("cannot make a pipe: %s", strerror(errno));
		/* room for a burst of output while we read the kernel's */
		fcntl(r[0], F_SETPIPE_SZ, 1 << 20);
	}
	pid = fork();
	if (pid < 0)
		die("cannot fork: %s", strerror(errno));
	if (pid == 0) {
		char c;

		close(p[1]);
		if (r[1] >= 0 && dup2(r[1], STDOUT_FILENO) < 0)
			_exit(127);
		/* the tracer gone before the go: do not run untraced */
		if (read(p[0], &c, 1) != 1 || c != 'g')
			_exit(127);
		execvp(argv[0], argv);
		fprintf(stderr, "%s: cannot run '%s': %s\n", progname, argv[0], strerror(errno));
		_exit(errno == ENOENT ? 127 : 126);
	}
	close(p[0]);
	if (r[0] >= 0) {
		close(r[1]);
		fcntl(r[0], F_SETFL, O_NONBLOCK);
		relay.fd = r[0];
	}
	*go = p[1];
	return pid;
}

/* ---- --render: columns from d4c NDJSON ------------------------------------- */

/* The value at dotted PATH of object O, or NULL. */
static json_t *jget(json_t *o, const char *path)
{
	char key[64];

	while (o && *path) {
		size_t n = strcspn(path, ".");

		if (n >= sizeof(key))
			return NULL;
		memcpy(key, path, n);
		key[n] = 0;
		o = json_object_get(o, key);
		path += n + (path[n] == '.');
	}
	return o;
}

static const char *jstr(json_t *o, const char *path)
{
	return json_string_value(jget(o, path));
}

/* A number, or a string of digits (ECS ids are strings); -1 if neither. */
static long long jnum(json_t *o, const char *path)
{
	json_t *v = jget(o, path);
	const char *s = json_string_value(v);
	char *end;
	long long n;

	if (json_is_integer(v))
		return json_integer_value(v);
	if (!s || !*s)
		return -1;
	n = strtoll(s, &end, 10);
	return *end || n < 0 ? -1 : n;
}

/* d4c's @timestamp (RFC 3339, UTC) in ns since the epoch; 0 if it is not one. */
static uint64_t parse_timestamp(const char *s)
{
	struct tm tm = { 0 };
	uint64_t ns = 0, scale = 100000000;
	const char *p = s ? strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;

	if (!p)
		return 0;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++, scale /= 10)
			ns += (uint64_t)(*p - '0') * scale;
	if (strcmp(p, "Z"))
		return 0;
	return (uint64_t)timegm(&tm) * 1000000000ull + ns;
}

static void put_jstring(json_t *v)
{
	if (json_is_string(v))
		put_text(json_string_value(v), json_string_length(v));
}

static void json_detail(const struct row *r)
{
	json_t *a;
	size_t i;

	if (r->error)
		put_fmt("[%s] ", r->error);
	switch (r->kind) {
	case K_FAILED:
	case K_EXEC:
		a = jget(r->j, "process.args");
		if (json_array_size(a)) {
			for (i = 0; i < json_array_size(a); i++) {
				if (i)
					put_cstr(" ");
				put_jstring(json_array_get(a, i));
			}
		} else {
			put_jstring(jget(r->j, "process.executable"));
		}
		break;
	case K_EXIT:
		if (jnum(r->j, "process.exit_code") >= 0)
			put_fmt("code %lld", jnum(r->j, "process.exit_code"));
		break;
	case K_FORK:
		break;
	default:
		if (jstr(r->j, "file.Ext.original.path")) {
			put_jstring(jget(r->j, "file.Ext.original.path"));
			put_cstr(" -> ");
		}
		put_jstring(jget(r->j, "file.path"));
		break;
	}
}

/* A d4c event (d4c-load's or d4c-enrich's) as a row. Returns 0, 1 for a
 * record that is not an event (d4c's metric records), or -1 with *WHY. */
static int json_row(json_t *j, struct row *r, const char **why)
{
	static const struct {
		const char *action, *word;
		unsigned kind;
	} actions[] = {
		{ "exec", "exec", K_EXEC },
		{ "fork", "fork", K_FORK },
		{ "end", "exit", K_EXIT },
		{ "creation", "create", K_FILE },
		{ "modification", "modify", K_FILE },
		{ "deletion", "delete", K_FILE },
		{ "rename", "rename", K_FILE },
		{ "link", "link", K_FILE },
		{ "open", "write", K_FILE },
	};
	const char *kind = jstr(j, "event.kind"), *action = jstr(j, "event.action");
	json_t *types = jget(j, "event.type");
	size_t i;

	memset(r, 0, sizeof(*r));
	if (!json_is_object(j))
		return *why = "not a JSON object", -1;
	if (kind && !strcmp(kind, "metric"))
		return 1;
	if (!kind || (strcmp(kind, "event") && strcmp(kind, "alert")))
		return *why = "no event.kind event or alert", -1;
	if (!action)
		return *why = "no event.action", -1;
	r->word = action;
	r->kind = K_FILE;
	for (i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
		if (!strcmp(action, actions[i].action)) {
			r->word = actions[i].word;
			r->kind = actions[i].kind;
		}
	r->alert = !strcmp(kind, "alert");
	if (r->kind == K_EXEC && jget(j, "error")) {
		r->kind = K_FAILED;
		r->error = jstr(j, "error.code") ?: "error";
	}
	for (i = 0; i < json_array_size(types); i++)
		if (!strcmp(json_string_value(json_array_get(types, i)) ?: "", "denied"))
			r->denied = 1;
	r->unix_ns = parse_timestamp(jstr(j, "@timestamp"));
	r->ctr_id = jstr(j, "container.id");
	r->ctr_name = jstr(j, "container.name");
	r->pid = jnum(j, "process.pid");
	r->ppid = jnum(j, "process.parent.pid");
	r->uid = jnum(j, "process.user.id");
	r->comm = jstr(j, "process.name") ?: "";
	r->comm_len = json_string_length(jget(j, "process.name"));
	r->detail = json_detail;
	r->j = j;
	return 0;
}

#define WARN_FIRST     10 /* lines warned about one by one, */
#define WARN_EVERY     10000000000ull /* then one warning each 10 s at most */
#define LINE_MAX_BYTES (16u << 20)

static struct {
	uint64_t lineno, invalid, unwarned, warned_ns;
	long long lost; /* from d4c-load's latest metric record */
} rin;

/* A line that is not a d4c event: a warning, but not for each of a flood. */
static void invalid_line(const char *why)
{
	uint64_t now = mono_ns();

	rin.invalid++;
	flush_out();
	if (rin.invalid <= WARN_FIRST) {
		warning("line %" PRIu64 ": not a d4c event (%s)%s", rin.lineno, why,
			rin.invalid == WARN_FIRST ? "; more are counted, one warning each 10 s" :
						    "");
		rin.warned_ns = now;
		return;
	}
	rin.unwarned++;
	if (now - rin.warned_ns >= WARN_EVERY) {
		warning("%" PRIu64 " more lines not d4c events (the latest: line %" PRIu64 ", %s)",
			rin.unwarned, rin.lineno, why);
		rin.unwarned = 0;
		rin.warned_ns = now;
	}
}

static void render_line(const char *s, size_t n)
{
	json_error_t jerr;
	const char *why;
	struct row r;
	json_t *j;
	size_t i;

	for (i = 0; i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r'); i++)
		;
	if (i == n)
		return; /* a blank line says nothing, wrongly or not */
	j = json_loadb(s, n, 0, &jerr);
	if (!j) {
		invalid_line(jerr.text);
		return;
	}
	switch (json_row(j, &r, &why)) {
	case -1:
		invalid_line(why);
		break;
	case 1:
		if (!strcmp(jstr(j, "d4c.stage") ?: "", "d4c-load") && jnum(j, "d4c.lost") >= 0)
			rin.lost = jnum(j, "d4c.lost");
		break;
	default:
		if (row_shown(&r) && take_row())
			render_row(&r);
		else
			out.filtered++;
	}
	json_decref(j);
}

/*
 * Reads d4c NDJSON on stdin to its end and shows it in columns. Ctrl-C
 * reaches the whole pipeline: d4c-load stops and the events in flight
 * still come through, so the first one waits for the end of the input
 * (a second one, or any from a terminal or a file, stops at once).
 */
static int render_main(void)
{
	size_t len = 0, cap = 1u << 16;
	char *buf = xmalloc(cap);
	int skipping = 0, err = 0, from_pipe = !isatty(STDIN_FILENO);
	struct stat st;

	if (!fstat(STDIN_FILENO, &st) && S_ISREG(st.st_mode))
		from_pipe = 0;
	view_init();
	print_header();
	for (;;) {
		char *p, *nl;
		ssize_t n;

		flush_out();
		if (out.broken || out.max_reached)
			break;
		if (cap - len < (1u << 15))
			buf = xrealloc(buf, cap *= 2);
		n = read(STDIN_FILENO, buf + len, cap - len);
		if (n < 0 && errno == EINTR) {
			if (stop_signal == SIGTERM || !from_pipe || sigint_count > 1)
				break;
			continue;
		}
		if (n < 0) {
			error("cannot read stdin: %s", strerror(errno));
			err = EXIT_USAGE;
			break;
		}
		if (n == 0) {
			if (len && !skipping) {
				rin.lineno++;
				render_line(buf, len);
			}
			break;
		}
		len += n;
		for (p = buf; !out.max_reached && (nl = memchr(p, '\n', buf + len - p));
		     p = nl + 1) {
			if (!skipping) {
				rin.lineno++;
				render_line(p, nl - p);
			}
			skipping = 0;
		}
		len = buf + len - p;
		memmove(buf, p, len);
		if (len > LINE_MAX_BYTES && !skipping) {
			/* not NDJSON: say so once, and drop it to its end */
			rin.lineno++;
			invalid_line("a line longer than 16 MiB");
			skipping = 1;
		}
		if (skipping)
			len = 0;
	}
	flush_out();
	if (rin.unwarned)
		warning("%" PRIu64 " more lines not d4c events", rin.unwarned);
	fprintf(stderr, "%s: %" PRIu64 " events shown", progname, out.shown);
	if (rin.invalid)
		fprintf(stderr, ", %" PRIu64 " line%s not d4c events", rin.invalid,
			rin.invalid == 1 ? "" : "s");
	if (rin.lost > 0)
		fprintf(stderr, "; d4c-load lost %lld (its latest metric record)", rin.lost);
	fputc('\n', stderr);
	free(buf);
	return err;
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
		else if (!strcmp(w, "failed"))
			k |= K_FAILED;
		else if (!strcmp(w, "all"))
			k |= K_ALL;
		else
			usage_error("--types: unknown kind '%s' (exec, fork, exit, file, failed)",
				    w);
	}
	free(dup);
	if (!k)
		usage_error("--types: no kind given (exec, fork, exit, file)");
	return k;
}

/* A process name as -n and -N take it: what the kernel's comm can be. */
static void check_name(const char *option, const char *s)
{
	size_t n = strlen(s);

	if (!n || n > 16 || (n == 16 && s[15] != '*'))
		usage_error("%s: '%s' is not a process name (1 to 15 bytes, trailing '*' allowed)",
			    option, s);
}

/* Adds the comma-separated values of ARG to L (they live as long as we do). */
static void list_add(struct strlist *l, const char *option, const char *arg, int names)
{
	char *dup = xstrdup(arg), *save, *w;
	unsigned before = l->n;

	for (w = strtok_r(dup, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		if (names)
			check_name(option, w);
		l->v = xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
		l->v[l->n++] = w;
	}
	if (l->n == before)
		usage_error("%s: empty", option);
}

/* -u: user ids, or names from the user database. */
static void uids_add(const char *arg)
{
	struct strlist l = { 0 };

	list_add(&l, "--uid", arg, 0);
	for (unsigned i = 0; i < l.n; i++) {
		const char *w = l.v[i];
		struct passwd *pw;

		opt.uids = xrealloc(opt.uids, (opt.nuids + 1) * sizeof(*opt.uids));
		if (strspn(w, "0123456789") == strlen(w))
			opt.uids[opt.nuids++] = number_arg("--uid", w, 0, 4294967294ul);
		else if ((pw = getpwnam(w)))
			opt.uids[opt.nuids++] = pw->pw_uid;
		else
			usage_error("--uid: no user '%s'", w);
	}
	free(l.v);
}

/* Any filter here in user space, that the kernel's lost records could
 * have passed or not? */
static int userspace_filters(void)
{
	const unsigned proc = K_EXEC | K_FORK | K_EXIT;

	/* the kernel sends forks and execs for -t exit (and the tree), and
	 * leaves out file events when -t does */
	return pids.cap || opt.names.n || opt.xnames.n || opt.containers.n || opt.xcontainers.n ||
	       opt.nuids || opt.max || (want_process() && (opt.kinds & proc) != proc);
}

/* Reads the options into opt. Returns -1 to go on, or EXIT_OK after
 * --version or --help. */
static int parse_options(int argc, char **argv)
{
	int c, failed = 0, types = 0;

	while ((c = getopt_long(argc, argv, "+p:c:C:n:N:u:t:m:jTxhV", long_opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			opt.pid = number_arg("--pid", optarg, 1, 4194304);
			break;
		case 'c':
			list_add(&opt.containers, "--container", optarg, 0);
			break;
		case 'C':
			list_add(&opt.xcontainers, "--exclude-container", optarg, 0);
			break;
		case 'u':
			uids_add(optarg);
			break;
		case 'm':
			opt.max = number_arg("--max", optarg, 1, ULONG_MAX);
			break;
		case 'T':
			opt.time = 1;
			break;
		case 'x':
			failed = 1;
			break;
		case OPT_WIDTH:
			opt.width = number_arg("--width", optarg, 0, 65535);
			break;
		case OPT_RENDER:
			opt.render = 1;
			break;
		case OPT_POD:
			opt.pod = optarg;
			break;
		case OPT_NAMESPACE:
			opt.namespace = optarg;
			break;
		case 'n':
			list_add(&opt.names, "--name", optarg, 1);
			break;
		case 'N':
			list_add(&opt.xnames, "--exclude-name", optarg, 1);
			break;
		case OPT_PATH:
			if (opt.npaths == MAX_PATHS)
				usage_error("--path: at most %d patterns", MAX_PATHS);
			opt.paths[opt.npaths++] = optarg;
			break;
		case 't':
			opt.kinds = parse_kinds(optarg);
			types = 1;
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
		case 'V':
			print_version();
			return EXIT_OK;
		case 'h':
			fputs(usage_text, stdout);
			return EXIT_OK;
		default:
			usage_error("unknown option");
		}
	}
	/* what --render reads has failed execs only when they were asked for */
	if (failed || (opt.render && !types))
		opt.kinds |= K_FAILED;
	return -1;
}

/* The options that do not go together, and the COMMAND from ARGV[OPTIND]. */
static void check_options(int argc, char **argv)
{
	if ((opt.kinds & K_FAILED) && !opt.render && (opt.pod || opt.namespace))
		usage_error("failed execs are not limited to pods in the kernel: use -c with -x");
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
	if (opt.render && (opt.command || opt.pid || opt.pod || opt.namespace || opt.npaths ||
			   opt.json || opt.duration || opt.ringbuf_size != 16ul << 20))
		usage_error("--render shows what it reads: -p, --pod, --namespace, --path, -j, "
			    "--duration, --ringbuf-size and COMMAND are for tracing");
}

static void catch_signals(void)
{
	struct sigaction sa = { 0 };

	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* A trace: the traced command, when there is one, and the kernel's counters. */
struct trace {
	pid_t child; /* 0: none */
	int go; /* the pipe whose byte lets it run */
	int status, child_done;
	uint64_t c_before[D4C_C_MAX], c_after[D4C_C_MAX];
};

/* Starts the programs with policy FIRST, and checks that the containers
 * named exist. Returns 0, or an exit status after saying why (the command
 * exits without running). */
static int start_tracing(struct loader *L, struct policy_slot *first, struct trace *tr)
{
	struct loader_opts lo = { 0 };
	int err;

	jsonw_init(&out.w);
	out.L = L;
	if (opt.json) {
		struct enrich_config ec = { .root = getenv("D4C_HOST_ROOT") };

		out.E = enrich_new(&ec);
	}
	lo.host = !opt.containers_only && !opt.containers.n && !opt.pod && !opt.namespace;
	lo.ringbuf_size = opt.ringbuf_size;
	lo.failed_execs = !!(opt.kinds & K_FAILED);
	err = loader_start(L, &lo, first, emit, L);
	/* a name that matches nothing would trace nothing, and say nothing */
	for (unsigned i = 0; !err && i < opt.containers.n; i++) {
		want_ctr = opt.containers.v[i];
		if (!loader_find_container(L, container_wanted)) {
			fprintf(stderr, "%s: no container named '%s'\n", progname, want_ctr);
			loader_stop(L);
			err = EXIT_USAGE;
		}
	}
	if (err && tr->child) {
		close(tr->go); /* the child exits without running */
		waitpid(tr->child, NULL, 0);
	}
	return err;
}

/* Shows events until a signal, --max, --duration or the command's end.
 * Returns 0, or EXIT_KERNEL when the ring buffer cannot be read. */
static int trace(struct loader *L, struct trace *tr)
{
	uint64_t deadline = opt.duration ? mono_ns() + opt.duration * 1000000000ull : 0;

	while (!stop_signal && !out.max_reached) {
		/* a relayed command's output waits in its pipe meanwhile */
		int n = loader_poll(L, relay.fd >= 0 ? 10 : D4C_POLL_MS);

		if (n < 0 && n != -EINTR) {
			error("cannot read the ring buffer: %s", strerror(-n));
			return EXIT_KERNEL;
		}
		relay_read(0);
		flush_out();
		if (tr->child && !tr->child_done &&
		    waitpid(tr->child, &tr->status, WNOHANG) == tr->child)
			tr->child_done = 1;
		if (tr->child_done)
			break; /* its exit is in the ring buffer: drained below */
		if (deadline && mono_ns() >= deadline)
			break;
	}
	return 0;
}

/* After the trace: the command's end, the last events, and what was lost. */
static void finish(struct loader *L, struct trace *tr)
{
	uint64_t lost;

	if (out.max_reached) {
		/* --max: the tracing is done, the command (if any) is not */
		loader_stop(L);
		loader_counters(L, tr->c_after);
	}
	if (tr->child && !tr->child_done) {
		/* Ctrl-C went to the command too (the terminal's process group);
		 * a SIGTERM came to us alone: pass it on. Then wait for it. */
		if (stop_signal == SIGTERM)
			kill(tr->child, SIGTERM);
		flush_out();
		while (waitpid(tr->child, &tr->status, WNOHANG) == 0) {
			relay_read(0);
			flush_out();
			usleep(10000);
		}
		tr->child_done = 1;
	}
	relay_read(1);
	if (!out.max_reached) {
		loader_stop(L);
		loader_counters(L, tr->c_after);
	}
	flush_out();
	lost = tr->c_after[D4C_C_LOST] - tr->c_before[D4C_C_LOST];
	/* the kernel counts what its ring buffer had no room for, before any
	 * filter here: whose events they were cannot be known */
	if (!lost || !userspace_filters())
		info("%" PRIu64 " events shown, %" PRIu64 " lost", out.shown, lost);
	else
		info("%" PRIu64 " events shown; %" PRIu64 " events lost system-wide, %s", out.shown,
		     lost,
		     pids.cap ? "the traced tree's share is unknown" :
				"how many of them the filters would have shown is unknown");
}

int main(int argc, char **argv)
{
	struct loader L = { 0 };
	struct policy_slot first = { 0 };
	struct trace tr = { .go = -1 };
	int err;

	set_progname(argv[0]);
	err = parse_options(argc, argv);
	if (err >= 0)
		return err;
	check_options(argc, argv);
	if (opt.render) {
		catch_signals();
		return render_main();
	}

	err = build_policy(&first);
	if (err)
		return err;
	if (geteuid() != 0)
		die("must run as root (BPF programs need it)");
	if (opt.pid && kill(opt.pid, 0) && errno == ESRCH)
		die("--pid: no process %d", (int)opt.pid);

	/* the command starts before anything is attached (it gets no BPF
	 * descriptors) and runs once everything is */
	catch_signals();
	if (opt.command)
		tr.child = start_command(opt.command, &tr.go);
	err = start_tracing(&L, &first, &tr);
	if (err)
		goto cleanup;
	if (opt.pid)
		pid_seed(opt.pid);
	if (tr.child) {
		opt.pid = tr.child;
		pid_add(tr.child);
	}
	loader_counters(&L, tr.c_before);
	loader_drop_privileges();
	info("tracing %s%s, %s; Ctrl-C to stop", want_process() ? "processes" : "",
	     opt.kinds & K_FILE ? (want_process() ? " and files" : "files") : "",
	     L.lsm ? "file events at the LSM hooks" : "file events from syscall tracepoints");
	view_init();
	print_header();
	if (tr.child) {
		if (write(tr.go, "g", 1) != 1)
			warning("cannot start '%s': %s", opt.command[0], strerror(errno));
		close(tr.go);
	}
	err = trace(&L, &tr);
	finish(&L, &tr);
	if (!err && tr.child)
		err = WIFEXITED(tr.status) ? WEXITSTATUS(tr.status) : 128 + WTERMSIG(tr.status);

cleanup:
	loader_free(&L);
	jsonw_free(&out.w);
	if (out.E)
		enrich_free(out.E);
	buf_free(&out.json);
	buf_free(&out.text);
	free(pids.v);
	buf_free(&relay.part);
	return err;
}
