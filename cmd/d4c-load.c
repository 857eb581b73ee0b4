/*
 * d4c-load - load the d4c BPF programs, install a compiled policy, refuse
 * what it blocks and write what it logs or alerts on as NDJSON on stdout.
 *
 * Lifecycle (libbpf-tools style): read and check the blob, probe the
 * kernel, open the skeleton, size the ring buffer, leave out the LSM
 * programs when BPF LSM is not usable, load, install the policy and the
 * container masks, attach, drop capabilities, then drain the ring buffer
 * until SIGINT or SIGTERM. SIGHUP installs the blob again into the idle
 * policy slot and switches to it with one map write.
 *
 * Exit status (d4c-load(1)): 0 stopped by a signal, 1 the blob is refused,
 * 2 usage or I/O error, 3 the policy blocks and the kernel cannot (use
 * --monitor), 4 the kernel refused the programs.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/statfs.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "blob.h"
#include "event.h"
#include "loader.h"
#include "d4c.h"
#include "heartbeat.h"
#include "jsonw.h"
#include "match.h"
#include "sha256.h"
#include "util.h"

#define FLUSH_AT (64u << 10)

static const char usage_text[] =
	"usage: d4c-load [OPTIONS] BLOB\n"
	"       d4c-load --probe\n"
	"       d4c-load --unpin DIR\n"
	"\n"
	"Loads the d4c BPF programs, enforces the compiled policy BLOB ('-': stdin)\n"
	"and writes its events as NDJSON on stdout.\n"
	"\n"
	"  --host                  apply the policy to every process, not only to containers\n"
	"  --monitor               run a policy that blocks on a kernel that cannot block:\n"
	"                          nothing is refused, events say so\n"
	"  --ringbuf-size BYTES    kernel ring buffer size (power of two, default 16M)\n"
	"  --metrics-interval SEC  write a metric record every SEC seconds (default 10, 0: only at "
	"exit)\n"
	"  --heartbeat-interval SEC write a heartbeat (metrics-cloud_defend.heartbeat) at start,\n"
	"                          on policy changes and every SEC seconds (default 1800, 0: none)\n"
	"  --cluster-id ID         kubernetesClusterId of every container\n"
	"  --cluster-name NAME     kubernetesClusterName of every container\n"
	"  --pin DIR               pin the programs' links in DIR (bpffs): they keep enforcing\n"
	"                          after d4c-load exits, until 'd4c-load --unpin DIR'\n"
	"  --unpin DIR             remove what --pin DIR left, and exit\n"
	"  --probe                 print what this kernel supports as JSON and exit\n"
	"  -h, --help              show this text\n"
	"  -V, --version           show the version\n"
	"\n"
	"exit status: 0 stopped by SIGINT or SIGTERM, 1 blob refused, 2 usage or I/O error,\n"
	"3 the policy blocks and BPF LSM is not usable, 4 the kernel refused the programs.\n"
	"See d4c-load(1).\n";

enum {
	OPT_HOST = 0x100,
	OPT_MONITOR,
	OPT_RINGBUF,
	OPT_METRICS,
	OPT_HEARTBEAT,
	OPT_PROBE,
	OPT_CLUSTER_ID,
	OPT_CLUSTER_NAME,
	OPT_PIN,
	OPT_UNPIN
};

static const struct option long_opts[] = {
	{ "host", no_argument, NULL, OPT_HOST },
	{ "monitor", no_argument, NULL, OPT_MONITOR },
	{ "ringbuf-size", required_argument, NULL, OPT_RINGBUF },
	{ "metrics-interval", required_argument, NULL, OPT_METRICS },
	{ "heartbeat-interval", required_argument, NULL, OPT_HEARTBEAT },
	{ "cluster-id", required_argument, NULL, OPT_CLUSTER_ID },
	{ "cluster-name", required_argument, NULL, OPT_CLUSTER_NAME },
	{ "probe", no_argument, NULL, OPT_PROBE },
	{ "pin", required_argument, NULL, OPT_PIN },
	{ "unpin", required_argument, NULL, OPT_UNPIN },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

static struct {
	int host;
	int monitor;
	unsigned long ringbuf_size;
	unsigned metrics_interval;
	unsigned heartbeat_interval;
	const char *cluster_id;
	const char *cluster_name;
	const char *blob_path;
	const char *pin_dir;
} opt = { .ringbuf_size = 16ul << 20,
	  .metrics_interval = 10,
	  .heartbeat_interval = D4C_HEARTBEAT_DEFAULT_INTERVAL };

static volatile sig_atomic_t stop_signal, reload_requested;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		reload_requested = 1;
	else
		stop_signal = sig;
}

static int print_probe(void)
{
	struct loader_probe p;
	struct jsonw w;
	int r;

	loader_probe(&p);
	jsonw_init(&w);
	jsonw_obj_begin(&w);
	jsonw_kv_bool(&w, "btf", p.btf);
	jsonw_key(&w, "bpf_lsm");
	jsonw_obj_begin(&w);
	jsonw_kv_bool(&w, "listed", p.lsm_listed);
	jsonw_kv_bool(&w, "usable", p.lsm_usable);
	if (!p.lsm_usable) {
		jsonw_kv_str(&w, "error", p.lsm_error);
		jsonw_kv_str(&w, "fix",
			     p.lsm_listed ? "the kernel refuses BPF LSM programs here" :
					    "boot with 'lsm=...,bpf' on the kernel "
					    "command line");
	}
	jsonw_obj_end(&w);
	jsonw_kv_bool(&w, "ringbuf", p.ringbuf);
	jsonw_kv_str(&w, "kernel", p.kernel);
	/* which build of the kernel programs loads here, and why */
	jsonw_key(&w, "programs");
	jsonw_obj_begin(&w);
	jsonw_kv_str(&w, "variant", p.variant);
	jsonw_kv_str(&w, "why", p.variant_why);
	jsonw_kv_bool(&w, "bpf_loop", p.bpf_loop);
	jsonw_kv_str(&w, "inode_setxattr",
		     p.xattr_has_idmap < 0 ? "not in BTF" :
		     p.xattr_has_idmap	   ? "idmap or user namespace first (5.12 and later)" :
					     "dentry first (before 5.12)");
	jsonw_kv_str(&w, "path_rename",
		     p.rename_has_flags < 0 ? "not in BTF" :
		     p.rename_has_flags	    ? "with flags (5.19 and later)" :
					      "no flags: an exchange is two renames (before 5.19)");
	jsonw_obj_end(&w);
	jsonw_key(&w, "tracepoints");
	jsonw_obj_begin(&w);
	/* tp_btf programs: they need BTF and nothing else */
	jsonw_kv_bool(&w, "sched", p.btf);
	jsonw_kv_bool(&w, "cgroup", p.btf);
	jsonw_obj_end(&w);
	jsonw_key(&w, "features");
	jsonw_obj_begin(&w);
	jsonw_kv_bool(&w, "process_events", p.btf && p.ringbuf);
	jsonw_kv_bool(&w, "file_events", p.btf && p.ringbuf);
	jsonw_kv_str(&w, "file_events_from",
		     p.lsm_usable ? "lsm" : "syscall tracepoints (observe only)");
	jsonw_kv_bool(&w, "block", p.lsm_usable);
	jsonw_kv_bool(&w, "exec_memfd", p.lsm_usable);
	jsonw_obj_end(&w);
	jsonw_obj_end(&w);
	jsonw_end_line(&w);
	r = jsonw_flush(&w, STDOUT_FILENO);
	jsonw_free(&w);
	if (r)
		die("cannot write to stdout: %s", strerror(-r));
	return EXIT_OK;
}

/* ---- output ------------------------------------------------------------------- */

/* What the output needs besides the loader. */
static struct {
	struct jsonw w;
	uint64_t lines;
	int broken;
} out;

static void flush_out(struct loader *L)
{
	int r;

	(void)L;
	if (out.broken || !jsonw_len(&out.w))
		return;
	r = jsonw_flush(&out.w, STDOUT_FILENO);
	if (r) {
		/* a reader that went away ends the run; events are not dropped silently */
		error("cannot write events to stdout: %s", strerror(-r));
		out.broken = 1;
		stop_signal = SIGPIPE;
	}
}

static void emit(void *arg, const struct d4c_record *e, const char *const strs[D4C_NSTR],
		 const char *kind)
{
	struct loader *L = arg;

	if (loader_event_json(L, &out.w, e, strs, kind) == 0)
		out.lines++;
	if (jsonw_len(&out.w) >= FLUSH_AT)
		flush_out(L);
}

static void write_metrics(struct loader *L, int final)
{
	uint64_t c[D4C_C_MAX];
	struct jsonw *w = &out.w;

	loader_counters(L, c);
	event_metric_begin(w, clock_ns(CLOCK_REALTIME), "d4c-load", final);
	jsonw_kv_u64(w, "produced", c[D4C_C_EVENTS] + c[D4C_C_LOST]);
	jsonw_kv_u64(w, "delivered", L->received);
	jsonw_kv_u64(w, "lost", c[D4C_C_LOST]);
	jsonw_kv_u64(w, "denied", c[D4C_C_DENIED]);
	jsonw_kv_u64(w, "written", out.lines);
	jsonw_kv_u64(w, "policy_revision", L->slot[L->active].b.hdr->revision);
	jsonw_kv_bool(w, "enforcing", L->lsm);
	jsonw_obj_end(w);
	jsonw_obj_end(w);
	jsonw_end_line(w);
	flush_out(L);
}

/* Writes a heartbeat for the policy in force. */
static void write_heartbeat(struct loader *L, struct heartbeat *hb)
{
	const struct policy_slot *ps = &L->slot[L->active];

	heartbeat_write(hb, &out.w, clock_ns(CLOCK_MONOTONIC), ps->ecs.digest_hex,
			ps->b.hdr->revision, policy_slot_blocks(ps));
	flush_out(L);
}

/* ---- main ------------------------------------------------------------------------ */

/* Reads the options into opt. Returns -1 to go on, or the exit status of
 * what they asked for instead (--unpin, --probe, --version, --help). */
static int parse_options(int argc, char **argv)
{
	int c;

	while ((c = getopt_long(argc, argv, "hV", long_opts, NULL)) != -1) {
		switch (c) {
		case OPT_HOST:
			opt.host = 1;
			break;
		case OPT_MONITOR:
			opt.monitor = 1;
			break;
		case OPT_RINGBUF:
			opt.ringbuf_size = loader_ringbuf_arg(optarg);
			break;
		case OPT_METRICS:
			opt.metrics_interval = number_arg("--metrics-interval", optarg, 0, 86400);
			break;
		case OPT_HEARTBEAT:
			opt.heartbeat_interval =
				number_arg("--heartbeat-interval", optarg, 0, 7 * 86400);
			break;
		case OPT_CLUSTER_ID:
			opt.cluster_id = optarg;
			break;
		case OPT_CLUSTER_NAME:
			opt.cluster_name = optarg;
			break;
		case OPT_PIN:
			opt.pin_dir = optarg;
			break;
		case OPT_UNPIN:
			return loader_unpin(optarg);
		case OPT_PROBE:
			return print_probe();
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
	if (optind + 1 != argc)
		usage_error(optind == argc ? "no policy blob given" : "too many arguments");
	opt.blob_path = argv[optind];
	return -1;
}

/* Writes events, heartbeats and metrics until a signal stops it; a reload
 * on SIGHUP. Returns 0, or EXIT_KERNEL when the ring buffer cannot be read. */
static int serve(struct loader *L)
{
	struct heartbeat hb;
	uint64_t next_metrics = clock_ns(CLOCK_MONOTONIC) + opt.metrics_interval * 1000000000ull;

	heartbeat_init(&hb, opt.heartbeat_interval > 0, opt.heartbeat_interval);
	while (!stop_signal) {
		uint64_t now = clock_ns(CLOCK_MONOTONIC);
		int n = loader_poll(L, heartbeat_wait_ms(&hb, now, D4C_POLL_MS));

		if (n < 0 && n != -EINTR) {
			error("cannot read the ring buffer: %s", strerror(-n));
			return EXIT_KERNEL;
		}
		flush_out(L);
		if (reload_requested) {
			reload_requested = 0;
			if (loader_reload(L, opt.blob_path))
				warning("SIGHUP: the policy in force did not change");
			else if (hb.enabled)
				write_heartbeat(L, &hb); /* blocking may have changed */
		}
		if (heartbeat_due(&hb, clock_ns(CLOCK_MONOTONIC)))
			write_heartbeat(L, &hb);
		if (opt.metrics_interval && clock_ns(CLOCK_MONOTONIC) >= next_metrics) {
			write_metrics(L, 0);
			next_metrics += opt.metrics_interval * 1000000000ull;
		}
		flush_out(L); /* a heartbeat is news now, not after the next poll */
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct loader L = { 0 };
	struct loader_opts lo = { 0 };
	struct policy_slot first = { 0 };
	struct sigaction sa = { 0 };
	int err;

	set_progname(argv[0]);
	err = parse_options(argc, argv);
	if (err >= 0)
		return err;
	err = policy_slot_read(opt.blob_path, &first);
	if (err)
		return err;
	if (geteuid() != 0)
		die("must run as root (BPF programs and LSM hooks need it)");
	jsonw_init(&out.w);
	lo.host = opt.host;
	lo.monitor = opt.monitor;
	lo.ringbuf_size = opt.ringbuf_size;
	lo.cluster_id = opt.cluster_id;
	lo.cluster_name = opt.cluster_name;
	lo.pin_dir = opt.pin_dir;
	err = loader_start(&L, &lo, &first, emit, &L);
	if (err)
		goto cleanup;

	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	loader_drop_privileges();
	info("policy revision %" PRIu64 " (%.12s) in force, %s%s",
	     (uint64_t)L.slot[0].b.hdr->revision, L.slot[0].ecs.digest_hex,
	     L.lsm ? "enforcing with BPF LSM" : "observing (no BPF LSM)",
	     opt.host ? ", host processes included" : "");
	/* unpinned, the kernel detaches the programs with d4c-load's last
	 * descriptor: a SIGKILL or a crash would end blocking, silently */
	if (L.lsm && !opt.pin_dir && policy_slot_blocks(&L.slot[0]))
		warning("blocking stops if d4c-load is killed; --pin DIR keeps it in force");

	err = serve(&L);
	loader_stop(&L);
	flush_out(&L);
	write_metrics(&L, 1);
	if (out.broken && !err)
		err = EXIT_USAGE;

cleanup:
	loader_free(&L);
	jsonw_free(&out.w);
	return err;
}
