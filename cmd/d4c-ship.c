/*
 * d4c-ship - delivers NDJSON events to Elasticsearch (data streams, _bulk
 * API), to files and to stdout, losing none.
 *
 * One thread, one poll loop (curl_multi_poll over stdin, a signalfd and
 * the HTTP connections). Lines are checked and routed with the jscan
 * scanner (no JSON tree per event), appended to the on-disk spool when
 * there is one, and read back from it into a window of events not yet
 * acknowledged, bounded in events and bytes. Up to REQ_MAX requests are
 * in flight, each of the oldest events queued. An event is done when
 * acknowledged (2xx, or 409 on create: already there) or dead-lettered;
 * the spool's acknowledged position moves past the events at the front
 * of the window that are all done. Items that fail for load (429, 5xx)
 * are queued again and go with the next request; only a request that
 * moves nothing makes the next one wait (exponential backoff, jitter).
 * Each document's _id is a hash of its bytes, so what is sent twice is
 * indexed once.
 *
 * This file is the command line: the options, parsed into a struct
 * shipper, and main. The rest is under cmd/ship/ (ship.h says what is
 * where).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ship/ship.h"

#ifndef D4C_TEMPLATES_DIR
#define D4C_TEMPLATES_DIR "/usr/local/share/d4c/templates"
#endif

static const char usage_text[] =
	"usage: d4c-ship [--es URL[,URL...]] [--file PATH] [--stdout] [OPTIONS] < EVENTS\n"
	"       d4c-ship --setup --es URL [OPTIONS]\n"
	"\n"
	"Reads NDJSON events on stdin and delivers each to every output given:\n"
	"Elasticsearch data streams (at least once, indexed exactly once), a file, stdout.\n"
	"\n"
	"Elasticsearch:\n"
	"  --es URL[,URL...]          cluster URLs, tried in turn\n"
	"  --namespace NS             data stream namespace (default 'default')\n"
	"  --setup                    install the ingest pipeline, lifecycle policy and index\n"
	"                             templates (unless the cloud_defend integration's are there)\n"
	"                             and exit\n"
	"  --templates DIR            templates for --setup (default " D4C_TEMPLATES_DIR ")\n"
	"  --retention DAYS           --setup: delete data DAYS days after rollover (default 90,\n"
	"                             0: keep it forever)\n"
	"  --user NAME                user for basic auth (password: D4C_ES_PASSWORD or "
	"--password-file)\n"
	"  --password-file FILE       read the password from FILE\n"
	"  --api-key-file FILE        read the API key (id:key, or encoded) from FILE\n"
	"                             (environment: D4C_ES_API_KEY, D4C_ES_USER, D4C_ES_PASSWORD)\n"
	"  --ca FILE                  trust the CA certificates in FILE (PEM)\n"
	"  --insecure-skip-tls-verify do not verify the server's certificate (unsafe)\n"
	"  --batch-events N           events per request at most (default 2000)\n"
	"  --batch-bytes BYTES        uncompressed bytes per request at most (default 5M)\n"
	"  --batch-wait SEC           send a partial batch after SEC (default 1)\n"
	"  --gzip-level N             0 (off) to 9 (default 1)\n"
	"  --connect-timeout SEC      TCP and TLS connect timeout (default 10)\n"
	"  --request-timeout SEC      whole request timeout (default 60)\n"
	"  --backoff-min SEC          first retry delay (default 1)\n"
	"  --backoff-max SEC          longest retry delay (default 60)\n"
	"  --startup-timeout SEC      exit 4 if no URL answers within SEC at start (default 60,\n"
	"                             0: wait forever)\n"
	"  --dead-letter PATH         NDJSON file for events that cannot be indexed\n"
	"                             (default SPOOL/dead-letter.ndjson, else stderr)\n"
	"Spool (at-least-once across crashes):\n"
	"  --spool DIR                keep events on disk in DIR until acknowledged\n"
	"  --spool-max-bytes BYTES    stop reading stdin past this much unacknowledged (default 1G)\n"
	"  --spool-segment-bytes BYTES segment file size (default 16M)\n"
	"  --spool-fsync MS           fdatasync every MS ms (default 1000; 0 every write; -1 never)\n"
	"Other outputs:\n"
	"  --file PATH                append events to PATH\n"
	"  --file-max-bytes BYTES     rotate PATH past this size (default 100M, 0: never)\n"
	"  --file-keep N              rotated files kept: PATH.1 .. PATH.N (default 5)\n"
	"  --stdout                   pass events through to stdout\n"
	"General:\n"
	"  --max-line BYTES           longest line accepted (default 1M)\n"
	"  --metrics-interval SEC     write a metric record every SEC seconds (default 10, 0: only at "
	"exit)\n"
	"  -h, --help                 show this text\n"
	"  -V, --version              show the version\n"
	"\n"
	"SIGUSR1 prints the counters on stderr. BYTES take a K, M or G suffix.\n"
	"exit status: 0 all delivered, 1 some events dead-lettered, 2 usage or I/O error,\n"
	"3 credentials or TLS refused, 4 cluster unreachable at start, 5 request refused\n"
	"for good, 6 stopped with events neither delivered nor spooled. See d4c-ship(1).\n";

enum {
	OPT_ES = 0x100,
	OPT_NAMESPACE,
	OPT_SETUP,
	OPT_TEMPLATES,
	OPT_RETENTION,
	OPT_USER,
	OPT_PASSWORD_FILE,
	OPT_API_KEY_FILE,
	OPT_CA,
	OPT_INSECURE,
	OPT_BATCH_EVENTS,
	OPT_BATCH_BYTES,
	OPT_BATCH_WAIT,
	OPT_GZIP,
	OPT_CONNECT_TIMEOUT,
	OPT_REQUEST_TIMEOUT,
	OPT_BACKOFF_MIN,
	OPT_BACKOFF_MAX,
	OPT_STARTUP_TIMEOUT,
	OPT_DEAD_LETTER,
	OPT_SPOOL,
	OPT_SPOOL_MAX,
	OPT_SPOOL_SEGMENT,
	OPT_SPOOL_FSYNC,
	OPT_FILE,
	OPT_FILE_MAX,
	OPT_FILE_KEEP,
	OPT_STDOUT,
	OPT_MAX_LINE,
	OPT_METRICS
};

static const struct option long_opts[] = {
	{ "es", required_argument, NULL, OPT_ES },
	{ "namespace", required_argument, NULL, OPT_NAMESPACE },
	{ "setup", no_argument, NULL, OPT_SETUP },
	{ "templates", required_argument, NULL, OPT_TEMPLATES },
	{ "retention", required_argument, NULL, OPT_RETENTION },
	{ "user", required_argument, NULL, OPT_USER },
	{ "password-file", required_argument, NULL, OPT_PASSWORD_FILE },
	{ "api-key-file", required_argument, NULL, OPT_API_KEY_FILE },
	{ "ca", required_argument, NULL, OPT_CA },
	{ "insecure-skip-tls-verify", no_argument, NULL, OPT_INSECURE },
	{ "batch-events", required_argument, NULL, OPT_BATCH_EVENTS },
	{ "batch-bytes", required_argument, NULL, OPT_BATCH_BYTES },
	{ "batch-wait", required_argument, NULL, OPT_BATCH_WAIT },
	{ "gzip-level", required_argument, NULL, OPT_GZIP },
	{ "connect-timeout", required_argument, NULL, OPT_CONNECT_TIMEOUT },
	{ "request-timeout", required_argument, NULL, OPT_REQUEST_TIMEOUT },
	{ "backoff-min", required_argument, NULL, OPT_BACKOFF_MIN },
	{ "backoff-max", required_argument, NULL, OPT_BACKOFF_MAX },
	{ "startup-timeout", required_argument, NULL, OPT_STARTUP_TIMEOUT },
	{ "dead-letter", required_argument, NULL, OPT_DEAD_LETTER },
	{ "spool", required_argument, NULL, OPT_SPOOL },
	{ "spool-max-bytes", required_argument, NULL, OPT_SPOOL_MAX },
	{ "spool-segment-bytes", required_argument, NULL, OPT_SPOOL_SEGMENT },
	{ "spool-fsync", required_argument, NULL, OPT_SPOOL_FSYNC },
	{ "file", required_argument, NULL, OPT_FILE },
	{ "file-max-bytes", required_argument, NULL, OPT_FILE_MAX },
	{ "file-keep", required_argument, NULL, OPT_FILE_KEEP },
	{ "stdout", no_argument, NULL, OPT_STDOUT },
	{ "max-line", required_argument, NULL, OPT_MAX_LINE },
	{ "metrics-interval", required_argument, NULL, OPT_METRICS },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

static const struct ship_opts defaults = {
	.ns = "default",
	.templates = D4C_TEMPLATES_DIR,
	.retention_days = 90,
	.batch_events = 2000,
	.batch_bytes = 5u << 20,
	.batch_wait = 1,
	.gzip_level = 1,
	.connect_timeout = 10,
	.request_timeout = 60,
	.backoff_min = 1,
	.backoff_max = 60,
	.startup_timeout = 60,
	.spool_max = 1ull << 30,
	.spool_segment = 16u << 20,
	.spool_fsync = 1000,
	.file_max = 100u << 20,
	.file_keep = 5,
	.max_line = 1u << 20,
	.metrics_interval = 10,
};

static uint64_t parse_bytes(const char *name, const char *s)
{
	uint64_t v;

	if (parse_size(s, &v))
		usage_error("%s: '%s' is not a size in bytes", name, s);
	return v;
}

static double parse_sec(const char *name, const char *s)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || *end || !(v >= 0) || v > 86400 * 365)
		usage_error("%s: '%s' is not a number of seconds", name, s);
	return v;
}

static long parse_long(const char *name, const char *s, long lo, long hi)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		usage_error("%s: '%s' is not a number from %ld to %ld", name, s, lo, hi);
	return v;
}

static void parse_urls(struct ship_opts *o, const char *arg)
{
	char *copy = xstrdup(arg), *save = NULL;

	for (char *u = strtok_r(copy, ",", &save); u; u = strtok_r(NULL, ",", &save)) {
		size_t n = strlen(u);

		if (strncmp(u, "http://", 7) && strncmp(u, "https://", 8))
			usage_error("--es: '%s' is not an http:// or https:// URL", u);
		if (strchr(u, '@'))
			usage_error("--es: '%s' has credentials in it: use D4C_ES_USER and "
				    "D4C_ES_PASSWORD or a file",
				    u);
		while (n > 0 && u[n - 1] == '/')
			u[--n] = '\0';
		o->urls = xrealloc(o->urls, (o->nurls + 1) * sizeof(*o->urls));
		o->urls[o->nurls++] = xstrdup(u);
	}
	free(copy);
	if (!o->nurls)
		usage_error("--es: no URL");
}

/* Option C of the Elasticsearch ones into O. Returns whether it was one. */
static bool es_option(struct ship_opts *o, int c, const char *arg)
{
	switch (c) {
	case OPT_ES:
		parse_urls(o, arg);
		break;
	case OPT_NAMESPACE:
		o->ns = arg;
		break;
	case OPT_SETUP:
		o->setup = true;
		break;
	case OPT_TEMPLATES:
		o->templates = arg;
		break;
	case OPT_RETENTION:
		o->retention_days = parse_long("--retention", arg, 0, 36500);
		break;
	case OPT_USER:
		o->user = arg;
		break;
	case OPT_PASSWORD_FILE:
		o->password_file = arg;
		break;
	case OPT_API_KEY_FILE:
		o->api_key_file = arg;
		break;
	case OPT_CA:
		o->ca = arg;
		break;
	case OPT_INSECURE:
		o->insecure = true;
		break;
	case OPT_BATCH_EVENTS:
		o->batch_events = parse_long("--batch-events", arg, 1, 1000000);
		break;
	case OPT_BATCH_BYTES:
		o->batch_bytes = parse_bytes("--batch-bytes", arg);
		break;
	case OPT_BATCH_WAIT:
		o->batch_wait = parse_sec("--batch-wait", arg);
		break;
	case OPT_GZIP:
		o->gzip_level = parse_long("--gzip-level", arg, 0, 9);
		break;
	case OPT_CONNECT_TIMEOUT:
		o->connect_timeout = parse_sec("--connect-timeout", arg);
		break;
	case OPT_REQUEST_TIMEOUT:
		o->request_timeout = parse_sec("--request-timeout", arg);
		break;
	case OPT_BACKOFF_MIN:
		o->backoff_min = parse_sec("--backoff-min", arg);
		break;
	case OPT_BACKOFF_MAX:
		o->backoff_max = parse_sec("--backoff-max", arg);
		break;
	case OPT_STARTUP_TIMEOUT:
		o->startup_timeout = parse_sec("--startup-timeout", arg);
		break;
	case OPT_DEAD_LETTER:
		o->dead_letter = arg;
		break;
	default:
		return false;
	}
	return true;
}

/* Option C of the others (spool, outputs, general) into O; exits on
 * --help, --version and an unknown option. */
static void other_option(struct ship_opts *o, int c, const char *arg)
{
	switch (c) {
	case OPT_SPOOL:
		o->spool = arg;
		break;
	case OPT_SPOOL_MAX:
		o->spool_max = parse_bytes("--spool-max-bytes", arg);
		break;
	case OPT_SPOOL_SEGMENT:
		o->spool_segment = parse_bytes("--spool-segment-bytes", arg);
		break;
	case OPT_SPOOL_FSYNC:
		o->spool_fsync = parse_long("--spool-fsync", arg, -1, 3600000);
		break;
	case OPT_FILE:
		o->file = arg;
		break;
	case OPT_FILE_MAX:
		o->file_max = parse_bytes("--file-max-bytes", arg);
		break;
	case OPT_FILE_KEEP:
		o->file_keep = parse_long("--file-keep", arg, 0, 1000);
		break;
	case OPT_STDOUT:
		o->to_stdout = true;
		break;
	case OPT_MAX_LINE:
		o->max_line = parse_bytes("--max-line", arg);
		if (o->max_line < 64 || o->max_line > SPOOL_MAX_RECORD - 1)
			usage_error("--max-line: %s is not between 64 and 64M", arg);
		break;
	case OPT_METRICS:
		o->metrics_interval = parse_sec("--metrics-interval", arg);
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

/* The options that make sense only together. */
static void check_options(const struct ship_opts *o)
{
	if (o->setup && !o->nurls)
		usage_error("--setup needs --es URL");
	if (!o->setup && !o->nurls && !o->file && !o->to_stdout)
		usage_error("no output: give --es, --file or --stdout");
	if (o->spool && !o->nurls)
		usage_error("--spool is for --es");
	if (!*o->ns || strlen(o->ns) > 100 ||
	    strspn(o->ns, "abcdefghijklmnopqrstuvwxyz0123456789_.") != strlen(o->ns))
		usage_error("--namespace: '%s' is not lower-case letters, digits, '_' and '.' "
			    "(at most 100)",
			    o->ns);
	if (o->backoff_max < o->backoff_min)
		usage_error("--backoff-max is less than --backoff-min");
	if (o->batch_bytes < 1)
		usage_error("--batch-bytes: must be positive");
	if (o->spool_segment < 4096)
		usage_error("--spool-segment-bytes: at least 4096");
	if (o->insecure)
		warning("--insecure-skip-tls-verify: the server's certificate is NOT checked; "
			"anyone on the path can read and change what is shipped");
}

static void parse_options(struct ship_opts *o, int argc, char **argv)
{
	int c;

	*o = defaults;
	while ((c = getopt_long(argc, argv, "hV", long_opts, NULL)) != -1)
		if (!es_option(o, c, optarg))
			other_option(o, c, optarg);
	if (optind < argc)
		usage_error("unexpected argument '%s'", argv[optind]);
	check_options(o);
}

int main(int argc, char **argv)
{
	struct shipper *sh;

	set_progname(argv[0]);
	/* Not on the stack: the exit handler of --file's writer thread runs
	 * after main has returned. */
	sh = xcalloc(1, sizeof(*sh));
	srandom(now_ns() ^ getpid());
	/* Blocked before anything can take long: a signal is never lost or fatal. */
	sigemptyset(&sh->signals);
	sigaddset(&sh->signals, SIGINT);
	sigaddset(&sh->signals, SIGTERM);
	sigaddset(&sh->signals, SIGUSR1);
	sigprocmask(SIG_BLOCK, &sh->signals, NULL);
	parse_options(&sh->opt, argc, argv);
	/* What d4c-ship opens (credentials, spool, output files, the CA file
	 * at each connection) is its user's own: it needs no capability and
	 * keeps none, which access() below takes into account. */
	if (keep_capabilities(NULL, 0))
		warning("cannot drop capabilities: %s", strerror(errno));
	if (sh->opt.ca && access(sh->opt.ca, R_OK)) {
		error("cannot read CA file '%s': %s", sh->opt.ca, strerror(errno));
		exit(EXIT_REFUSED_AUTH);
	}
	signal(SIGPIPE, SIG_IGN);
	sh->es_on = sh->opt.nurls > 0;
	jsonw_init(&sh->dl.w);
	jsonw_init(&sh->mw);
	bulk_init(sh);
	if (sh->opt.setup)
		return ship_setup(sh);
	outputs_open(sh);
	ship_open_spool(sh);
	if (sh->es_on)
		bulk_probe(sh);
	return ship_run(sh);
}
