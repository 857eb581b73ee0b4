/*
 * d4c-enrich - read NDJSON events on stdin, write them on stdout with
 * container, Kubernetes, host and process-tree context (lib/context/enrich.c does
 * the transform).
 *
 * The loop never waits on a slow source: state files and /proc are read
 * on first sight and cached, the kubelet is polled by a thread, and an
 * event whose context is not known yet goes out at once, marked in
 * cloud_defend.context_pending, or (--wait-context MS) waits at most MS
 * milliseconds in a bounded queue that keeps the order of events.
 *
 * Exit status (d4c-enrich(1)): 0 end of input or stopped by SIGINT or
 * SIGTERM, 2 usage or I/O error.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/capability.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "enrich.h"
#include "event.h"
#include "jsonw.h"
#include "kubepoll.h"
#include "ndjson.h"
#include "util.h"

#define SA_DIR		 "/var/run/secrets/kubernetes.io/serviceaccount"
#define MAX_LINE_DEFAULT (1u << 20)
#define MAX_LINE_LIMIT	 (64u << 20)
#define FLUSH_AT	 (256u << 10)
#define HOST_REFRESH_NS	 (60ull * 1000000000ull)
#define WAIT_BYTES_MAX	 (64u << 20) /* what waiting events may hold in all */
#define EXPIRE_NS	 (10ull * 1000000000ull)

static const char usage_text[] =
	"usage: d4c-enrich [OPTIONS] < EVENTS > ENRICHED\n"
	"\n"
	"Reads d4c NDJSON events on stdin and writes them on stdout with container.*,\n"
	"orchestrator.*, host.* and process ancestry filled in.\n"
	"\n"
	"  --root DIR              read /proc and the runtimes' state below DIR (default /)\n"
	"  --cluster-id ID         orchestrator.cluster.id (env D4C_CLUSTER_ID)\n"
	"  --cluster-name NAME     orchestrator.cluster.name (env D4C_CLUSTER_NAME)\n"
	"  --agent-id ID           agent.id (default: the host's machine id)\n"
	"  --kubelet URL           poll URL/pods for pod labels and annotations\n"
	"                          (default https://$NODE_NAME:10250 when NODE_NAME is set)\n"
	"  --no-kubelet            never ask the kubelet\n"
	"  --kubelet-token FILE    bearer token (default " SA_DIR "/token)\n"
	"  --kubelet-ca FILE       CA of the kubelet's certificate (default " SA_DIR "/ca.crt)\n"
	"  --kubelet-interval SEC  seconds between polls (default 10)\n"
	"  --kube-api URL          with the kubelet, ask the API server for the cluster id (the\n"
	"                          kube-system namespace's UID) and the node's cloud labels\n"
	"                          (default: in a pod, from $KUBERNETES_SERVICE_HOST and _PORT)\n"
	"  --no-kube-api           never ask the API server\n"
	"  --kube-api-ca FILE      CA of the API server (default " SA_DIR "/ca.crt)\n"
	"  --node-name NAME        this node's name, for its labels (default $NODE_NAME)\n"
	"  --wait-context MS       hold an event whose container or pod context is not known\n"
	"                          yet for at most MS milliseconds (default 0: never hold)\n"
	"  --wait-max N            hold at most N events (default 10000)\n"
	"  --max-processes N       process table size (default 65536)\n"
	"  --max-containers N      container cache size (default 4096)\n"
	"  --container-ttl SEC     forget a container unseen for SEC seconds (default 300)\n"
	"  --max-line BYTES        longest input line (default 1048576, at most 67108864)\n"
	"  --pass-invalid          write invalid and too long lines unchanged (default: drop)\n"
	"  --metrics-interval SEC  write a metric record every SEC seconds (default 10, 0: only at "
	"exit)\n"
	"  -h, --help              show this text\n"
	"  -V, --version           show the version\n"
	"\n"
	"exit status: 0 end of input or stopped by SIGINT or SIGTERM, 2 usage or I/O error.\n"
	"See d4c-enrich(1).\n";

enum {
	OPT_ROOT = 0x100,
	OPT_CLUSTER_ID,
	OPT_CLUSTER_NAME,
	OPT_AGENT_ID,
	OPT_KUBELET,
	OPT_NO_KUBELET,
	OPT_TOKEN,
	OPT_CA,
	OPT_KINTERVAL,
	OPT_API,
	OPT_NO_API,
	OPT_API_CA,
	OPT_NODE,
	OPT_WAIT,
	OPT_WAIT_MAX,
	OPT_MAXPROC,
	OPT_MAXCTR,
	OPT_CTR_TTL,
	OPT_MAXLINE,
	OPT_PASS,
	OPT_METRICS
};

static const struct option long_opts[] = {
	{ "root", required_argument, NULL, OPT_ROOT },
	{ "cluster-id", required_argument, NULL, OPT_CLUSTER_ID },
	{ "cluster-name", required_argument, NULL, OPT_CLUSTER_NAME },
	{ "agent-id", required_argument, NULL, OPT_AGENT_ID },
	{ "kubelet", required_argument, NULL, OPT_KUBELET },
	{ "no-kubelet", no_argument, NULL, OPT_NO_KUBELET },
	{ "kubelet-token", required_argument, NULL, OPT_TOKEN },
	{ "kubelet-ca", required_argument, NULL, OPT_CA },
	{ "kubelet-interval", required_argument, NULL, OPT_KINTERVAL },
	{ "kube-api", required_argument, NULL, OPT_API },
	{ "no-kube-api", no_argument, NULL, OPT_NO_API },
	{ "kube-api-ca", required_argument, NULL, OPT_API_CA },
	{ "node-name", required_argument, NULL, OPT_NODE },
	{ "wait-context", required_argument, NULL, OPT_WAIT },
	{ "wait-max", required_argument, NULL, OPT_WAIT_MAX },
	{ "max-processes", required_argument, NULL, OPT_MAXPROC },
	{ "max-containers", required_argument, NULL, OPT_MAXCTR },
	{ "container-ttl", required_argument, NULL, OPT_CTR_TTL },
	{ "max-line", required_argument, NULL, OPT_MAXLINE },
	{ "pass-invalid", no_argument, NULL, OPT_PASS },
	{ "metrics-interval", required_argument, NULL, OPT_METRICS },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

static struct {
	const char *root;
	const char *cluster_id, *cluster_name, *agent_id;
	const char *kubelet, *token, *ca;
	int no_kubelet;
	const char *api, *api_ca, *node;
	int no_api;
	unsigned long kinterval, wait_ms, wait_max, max_proc, max_ctr, ctr_ttl, max_line;
	unsigned long metrics_interval;
	int pass_invalid;
} opt = { .token = SA_DIR "/token",
	  .ca = SA_DIR "/ca.crt",
	  .api_ca = SA_DIR "/ca.crt",
	  .kinterval = 10,
	  .wait_max = 10000,
	  .max_proc = 65536,
	  .max_ctr = 4096,
	  .ctr_ttl = 300,
	  .max_line = MAX_LINE_DEFAULT,
	  .metrics_interval = 10 };

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

/* ---- state ---------------------------------------------------------------------- */

struct held {
	char *line;
	size_t len;
	uint64_t deadline;
	int raw; /* write as is (metric record or invalid line passed through) */
};

static struct {
	struct enrich *E;
	struct kubelet_poller *kp;
	struct buf out;
	struct held *q; /* ring */
	size_t qhead, qlen, qcap, qbytes;
	uint64_t read, written, dropped, invalid, too_long, passed_invalid, metrics_passed;
	uint64_t held, released_incomplete, lineno;
	/* invalid lines since the last report */
	uint64_t bad_since;
	uint64_t bad_first_line;
	size_t bad_first_at;
	const char *bad_first_why;
} S;

static void flush_out(void)
{
	size_t off = 0;

	while (off < S.out.len) {
		ssize_t n = write(STDOUT_FILENO, S.out.p + off, S.out.len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("cannot write to stdout: %s", strerror(errno));
		off += n;
	}
	S.out.len = 0;
}

static void note_bad(const char *why, size_t at)
{
	if (!S.bad_since++) {
		S.bad_first_line = S.lineno;
		S.bad_first_at = at;
		S.bad_first_why = why;
	}
}

static void report_bad(void)
{
	if (!S.bad_since)
		return;
	warning("%" PRIu64 " invalid input line%s %s (first: line %" PRIu64 ", byte %zu: %s)",
		S.bad_since, S.bad_since == 1 ? "" : "s",
		opt.pass_invalid ? "passed on" : "dropped", S.bad_first_line, S.bad_first_at + 1,
		S.bad_first_why);
	S.bad_since = 0;
}

static void write_metrics(int final)
{
	const struct enrich_stats *st = enrich_stats(S.E);
	struct jsonw w;
	uint64_t polls = 0, errors = 0;

	jsonw_init(&w);
	event_metric_begin(&w, clock_ns(CLOCK_REALTIME), "d4c-enrich", final);
	jsonw_kv_u64(&w, "read", S.read);
	jsonw_kv_u64(&w, "written", S.written);
	jsonw_key(&w, "enriched");
	jsonw_obj_begin(&w);
	jsonw_kv_u64(&w, "full", st->full);
	jsonw_kv_u64(&w, "partial", st->partial);
	jsonw_kv_u64(&w, "none", st->none);
	jsonw_obj_end(&w);
	jsonw_kv_u64(&w, "metrics_passed", S.metrics_passed);
	jsonw_kv_u64(&w, "invalid", S.invalid);
	jsonw_kv_u64(&w, "too_long", S.too_long);
	jsonw_kv_u64(&w, "invalid_passed", S.passed_invalid);
	jsonw_kv_u64(&w, "dropped", S.dropped);
	jsonw_kv_u64(&w, "held", S.held);
	jsonw_kv_u64(&w, "waiting", S.qlen);
	jsonw_kv_u64(&w, "released_incomplete", S.released_incomplete);
	jsonw_key(&w, "missing");
	jsonw_obj_begin(&w);
	for (int i = 0; i < MISS_N; i++)
		jsonw_kv_u64(&w, enrich_miss_names[i], st->missing[i]);
	jsonw_obj_end(&w);
	jsonw_kv_u64(&w, "processes", st->processes);
	jsonw_kv_u64(&w, "process_evictions", st->evictions);
	jsonw_kv_u64(&w, "proc_reads", st->proc_reads);
	jsonw_kv_u64(&w, "containers", st->containers);
	if (S.kp) {
		kubelet_counts(S.kp, &polls, &errors);
		jsonw_key(&w, "kubelet");
		jsonw_obj_begin(&w);
		jsonw_kv_u64(&w, "polls", polls);
		jsonw_kv_u64(&w, "errors", errors);
		jsonw_obj_end(&w);
	}
	jsonw_obj_end(&w);
	jsonw_obj_end(&w);
	jsonw_end_line(&w);
	buf_add(&S.out, jsonw_data(&w), jsonw_len(&w));
	jsonw_free(&w);
}

/* ---- one line ------------------------------------------------------------------------- */

static void push(const char *line, size_t len, uint64_t deadline, int raw)
{
	struct held *h;

	if (S.qlen == S.qcap) {
		size_t ncap = S.qcap ? S.qcap * 2 : 64;
		struct held *nq = xcalloc(ncap, sizeof(*nq));

		for (size_t i = 0; i < S.qlen; i++)
			nq[i] = S.q[(S.qhead + i) % S.qcap];
		free(S.q);
		S.q = nq;
		S.qcap = ncap;
		S.qhead = 0;
	}
	h = &S.q[(S.qhead + S.qlen++) % S.qcap];
	h->line = xmalloc(len + 1);
	memcpy(h->line, line, len);
	h->line[len] = '\n';
	h->len = len;
	h->deadline = deadline;
	h->raw = raw;
	S.qbytes += len + 1;
}

/* Writes out what waits at the head of the queue and may go now (FORCE:
 * everything, at the end of input). */
static void release(uint64_t now, int force)
{
	while (S.qlen) {
		struct held *h = &S.q[S.qhead];
		int last = force || now >= h->deadline || S.qlen > opt.wait_max ||
			   S.qbytes > WAIT_BYTES_MAX;
		const char *why;
		size_t at;
		unsigned missing;

		if (h->raw) {
			buf_add(&S.out, h->line, h->len + 1);
			S.written++;
		} else {
			enum enrich_result r = enrich_line(S.E, h->line, h->len, !last, now,
							   clock_ns(CLOCK_REALTIME), &S.out,
							   &missing, &why, &at);

			if (r == ENRICH_HOLD)
				break;
			S.written++;
			if (missing & MISS_WAITABLE)
				S.released_incomplete++;
		}
		S.qbytes -= h->len + 1;
		free(h->line);
		S.qhead = (S.qhead + 1) % S.qcap;
		S.qlen--;
	}
}

static void one_line(const char *line, size_t len, uint64_t now)
{
	const char *why;
	size_t at;
	unsigned missing;
	enum enrich_result r;

	S.read++;
	S.lineno++;
	if (S.qlen) {
		/* something waits: keep the order, decide when it goes */
		r = enrich_classify(S.E, line, len, &why, &at);
		if (r == ENRICH_PASSED) {
			S.metrics_passed++;
			push(line, len, 0, 1);
		} else if (r == ENRICH_INVALID) {
			S.invalid++;
			note_bad(why, at);
			if (opt.pass_invalid) {
				S.passed_invalid++;
				push(line, len, 0, 1);
			} else {
				S.dropped++;
			}
		} else {
			push(line, len, now + opt.wait_ms * 1000000ull, 0);
		}
		return;
	}
	r = enrich_line(S.E, line, len, opt.wait_ms > 0, now, clock_ns(CLOCK_REALTIME), &S.out,
			&missing, &why, &at);
	switch (r) {
	case ENRICH_WRITTEN:
		S.written++;
		break;
	case ENRICH_PASSED:
		S.written++;
		S.metrics_passed++;
		break;
	case ENRICH_HOLD:
		S.held++;
		push(line, len, now + opt.wait_ms * 1000000ull, 0);
		break;
	case ENRICH_INVALID:
		S.invalid++;
		note_bad(why, at);
		if (opt.pass_invalid) {
			S.passed_invalid++;
			S.written++;
			buf_add(&S.out, line, len);
			buf_add(&S.out, "\n", 1);
		} else {
			S.dropped++;
		}
		break;
	}
}

/*
 * One line from the reader, or a piece of one too long: its first bytes
 * (NDJSON_TOO_LONG) and, with --pass-invalid, the rest as it comes
 * (NDJSON_REST), passed on as it is.
 */
static void take(const char *line, size_t len, int flags, uint64_t now)
{
	if (flags & NDJSON_REST) {
		buf_add(&S.out, line, len);
		if (!(flags & NDJSON_MORE)) {
			buf_add(&S.out, "\n", 1);
			S.written++;
		}
	} else if (flags & NDJSON_TOO_LONG) {
		S.read++;
		S.lineno++;
		S.too_long++;
		note_bad("line too long", opt.max_line);
		if (opt.pass_invalid) {
			S.passed_invalid++;
			if (S.qlen)
				release(now, 1); /* before its first bytes */
			buf_add(&S.out, line, len);
		} else {
			S.dropped++;
		}
	} else {
		one_line(line, len, now);
	}
}

/* ---- main ------------------------------------------------------------------------------ */

static char *default_url, *default_api; /* the kubelet's and API server's, when made up */

static void parse_options(int argc, char **argv)
{
	int c;

	opt.cluster_id = getenv("D4C_CLUSTER_ID");
	opt.cluster_name = getenv("D4C_CLUSTER_NAME");
	while ((c = getopt_long(argc, argv, "hV", long_opts, NULL)) != -1) {
		switch (c) {
		case OPT_ROOT:
			opt.root = optarg;
			break;
		case OPT_CLUSTER_ID:
			opt.cluster_id = optarg;
			break;
		case OPT_CLUSTER_NAME:
			opt.cluster_name = optarg;
			break;
		case OPT_AGENT_ID:
			opt.agent_id = optarg;
			break;
		case OPT_KUBELET:
			opt.kubelet = optarg;
			break;
		case OPT_NO_KUBELET:
			opt.no_kubelet = 1;
			break;
		case OPT_TOKEN:
			opt.token = optarg;
			break;
		case OPT_CA:
			opt.ca = optarg;
			break;
		case OPT_KINTERVAL:
			opt.kinterval = number_arg("--kubelet-interval", optarg, 1, 86400);
			break;
		case OPT_API:
			opt.api = optarg;
			break;
		case OPT_NO_API:
			opt.no_api = 1;
			break;
		case OPT_API_CA:
			opt.api_ca = optarg;
			break;
		case OPT_NODE:
			opt.node = optarg;
			break;
		case OPT_WAIT:
			opt.wait_ms = number_arg("--wait-context", optarg, 0, 600000);
			break;
		case OPT_WAIT_MAX:
			opt.wait_max = number_arg("--wait-max", optarg, 1, 10000000);
			break;
		case OPT_MAXPROC:
			opt.max_proc = number_arg("--max-processes", optarg, 16, 1u << 24);
			break;
		case OPT_MAXCTR:
			opt.max_ctr = number_arg("--max-containers", optarg, 1, 1u << 20);
			break;
		case OPT_CTR_TTL:
			opt.ctr_ttl = number_arg("--container-ttl", optarg, 1, 1u << 30);
			break;
		case OPT_MAXLINE:
			opt.max_line = number_arg("--max-line", optarg, 64, MAX_LINE_LIMIT);
			break;
		case OPT_PASS:
			opt.pass_invalid = 1;
			break;
		case OPT_METRICS:
			opt.metrics_interval = number_arg("--metrics-interval", optarg, 0, 86400);
			break;
		case 'V':
			print_version();
			exit(EXIT_OK);
		case 'h':
			fputs(usage_text, stdout);
			exit(EXIT_OK);
		default:
			usage_error("unknown option");
		}
	}
	if (optind < argc)
		usage_error("unexpected argument '%s'", argv[optind]);
}

/* The options' defaults from the environment, and their checks. */
static void check_options(void)
{
	const char *node = getenv("NODE_NAME");
	const char *h = getenv("KUBERNETES_SERVICE_HOST");

	if (opt.root && opt.root[0] != '/')
		usage_error("--root: '%s' is not an absolute path", opt.root);
	if (opt.root && !strcmp(opt.root, "/"))
		opt.root = NULL;
	if (!opt.kubelet && !opt.no_kubelet && node && *node)
		opt.kubelet = default_url = xasprintf("https://%s:10250", node);
	if (opt.no_kubelet)
		opt.kubelet = NULL;
	if (opt.kubelet && strncmp(opt.kubelet, "https://", 8))
		usage_error("--kubelet: '%s' is not an https:// URL", opt.kubelet);
	if (!opt.node && node && *node)
		opt.node = node;
	/* in a pod, the API server is where the service environment says */
	if (!opt.api && h && *h) {
		const char *port = getenv("KUBERNETES_SERVICE_PORT");

		opt.api = default_api =
			xasprintf(strchr(h, ':') ? "https://[%s]:%s" : "https://%s:%s", h,
				  port && *port ? port : "443");
	}
	if (opt.no_api || !opt.kubelet)
		opt.api = NULL;
	if (opt.api && strncmp(opt.api, "https://", 8))
		usage_error("--kube-api: '%s' is not an https:// URL", opt.api);
}

/* The transform and the kubelet poller. Returns EXIT_OK, or EXIT_USAGE
 * when the poller cannot start. */
static int start(void)
{
	struct enrich_config cfg = { 0 };
	int keep = CAP_SYS_PTRACE;

	/* What d4c-enrich reads is root's, or world-readable, but for other
	 * processes' /proc/PID/exe, cwd and root: those take CAP_SYS_PTRACE
	 * when the process holds capabilities d4c-enrich does not. Before the
	 * kubelet thread: capabilities are per thread. */
	if (keep_capabilities(&keep, 1))
		warning("cannot drop capabilities: %s", strerror(errno));
	cfg.root = opt.root;
	cfg.cluster_id = opt.cluster_id && *opt.cluster_id ? opt.cluster_id : NULL;
	cfg.cluster_name = opt.cluster_name && *opt.cluster_name ? opt.cluster_name : NULL;
	cfg.agent_id = opt.agent_id;
	cfg.max_processes = opt.max_proc;
	cfg.max_containers = opt.max_ctr;
	cfg.container_ttl = opt.ctr_ttl;
	cfg.kubelet = opt.kubelet != NULL;
	S.E = enrich_new(&cfg);
	if (opt.kubelet) {
		struct kubelet_config kc = { .url = opt.kubelet,
					     .token_path = opt.token,
					     .ca_path = opt.ca,
					     .interval_ms = opt.kinterval * 1000,
					     .timeout_ms = 5000,
					     .api_url = opt.api,
					     .api_ca_path = opt.api_ca,
					     .node_name = opt.node };

		S.kp = kubelet_start(&kc);
		if (!S.kp)
			return EXIT_USAGE;
	}
	return EXIT_OK;
}

/* What the kubelet poller has: the pods, the cluster, and changes of its state. */
static void from_kubelet(void)
{
	char why[512];
	int changed;

	enrich_set_pods(S.E, kubelet_take(S.kp));
	if (kubelet_status(S.kp, why, sizeof(why), &changed) < 0 && changed)
		error("kubelet '%s': %s", opt.kubelet, why);
	else if (changed)
		info("kubelet '%s': answering again", opt.kubelet);
	enrich_set_cluster(S.E, kubelet_take_cluster(S.kp));
	if (kubelet_api_status(S.kp, why, sizeof(why), &changed) < 0 && changed)
		error("kubernetes API '%s': %s", opt.api, why);
	else if (changed)
		info("kubernetes API '%s': answering again", opt.api);
}

/* When the work done every so often is next due (CLOCK_MONOTONIC ns). */
static struct {
	uint64_t metrics, host, expire;
} next;

static void periodic(uint64_t now)
{
	if (opt.metrics_interval && now >= next.metrics) {
		write_metrics(0);
		report_bad();
		next.metrics = now + opt.metrics_interval * 1000000000ull;
	}
	if (now >= next.host) {
		enrich_refresh_host(S.E);
		next.host = now + HOST_REFRESH_NS;
	}
	if (now >= next.expire) {
		enrich_expire(S.E, now);
		next.expire = now + EXPIRE_NS;
	}
}

int main(int argc, char **argv)
{
	struct ndjson_reader rd;
	uint64_t now, stop_at = 0;
	struct sigaction sa = { .sa_handler = on_signal };
	int r;

	set_progname(argv[0]);
	parse_options(argc, argv);
	check_options();
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	r = start();
	if (r)
		return r;

	ndjson_reader_init(&rd, STDIN_FILENO, opt.max_line);
	rd.keep_rest = opt.pass_invalid;
	now = clock_ns(CLOCK_MONOTONIC);
	next.metrics = now + opt.metrics_interval * 1000000000ull;
	next.host = now + HOST_REFRESH_NS;
	next.expire = now + EXPIRE_NS;

	/* After SIGINT or SIGTERM, what the upstream writes as it stops (its
	 * last metric record) is still read, until end of input but for one
	 * second at most. At the end of input, what waits still gets its time. */
	while (!(rd.eof && !S.qlen) && !(stop_at && now >= stop_at)) {
		struct pollfd pfd = { .fd = rd.eof ? -1 : STDIN_FILENO, .events = POLLIN };
		const char *line;
		size_t len;
		int flags;

		/* what waits is retried: its deadline is near */
		if (poll(&pfd, 1, S.qlen || stop_signal ? 5 : 1000) < 0 && errno != EINTR)
			die("cannot poll stdin: %s", strerror(errno));
		now = clock_ns(CLOCK_MONOTONIC);
		if (S.kp)
			from_kubelet();
		if (pfd.revents) {
			ssize_t n = ndjson_fill(&rd);

			if (n < 0 && n != -EAGAIN)
				die("cannot read stdin: %s", strerror((int)-n));
		}
		if (stop_signal && !stop_at)
			stop_at = now + 1000000000ull;
		while (ndjson_next(&rd, &line, &len, &flags)) {
			take(line, len, flags, now);
			if (S.out.len >= FLUSH_AT)
				flush_out();
		}
		if (S.qlen)
			release(now, 0);
		periodic(now);
		flush_out();
	}
	release(clock_ns(CLOCK_MONOTONIC), 1);
	write_metrics(1);
	flush_out();
	report_bad();
	kubelet_stop(S.kp);
	enrich_free(S.E);
	buf_free(&S.out);
	free(S.q);
	ndjson_reader_free(&rd);
	free(default_url);
	free(default_api);
	return EXIT_OK;
}
