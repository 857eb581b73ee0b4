/*
 * d4c-policy - check, compile, dump and test D4C policies.
 *
 * Needs no root and no kernel: it is what CI runs on every policy change.
 * Exit status: 0 valid, 1 invalid (or a warning under --strict, or a test
 * mismatch), 2 usage or I/O error; the same for every subcommand.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "blob.h"
#include "cases.h"
#include "diag.h"
#include "match.h"
#include "policy.h"
#include "suggest.h"
#include "util.h"

#define BLOB_MAX_FILE_SIZE (64u << 20)

static const char usage_text[] =
	"usage: d4c-policy <command> [<options>] [<args>]\n"
	"\n"
	"commands:\n"
	"  check [--format text|json|github] [--strict] FILE...\n"
	"                     report every problem in each policy ('-' is stdin)\n"
	"  compile [--revision N] [--format F] [--strict] [-o OUT] FILE\n"
	"                     write the compiled policy blob to OUT (-o, --output; '-' or\n"
	"                     omitted: stdout)\n"
	"  dump BLOB          print a compiled policy as JSON\n"
	"  test [--format F] POLICY CASES\n"
	"                     run policy unit tests (POLICY is YAML or a blob); TAP output\n"
	"  help               show this text\n"
	"\n"
	"exit status: 0 valid, 1 invalid (or a warning with --strict, or a failed test),\n"
	"2 usage or I/O error. See d4c-policy(1).\n";

static void usage(FILE *f)
{
	fputs(usage_text, f);
}

/* Options shared by the subcommands that print diagnostics. */
struct opts {
	enum diag_format fmt;
	int strict;
	const char *out;
	uint64_t revision;
};

enum { OPT_FORMAT = 0x100, OPT_STRICT, OPT_REVISION };

static const struct option long_opts[] = {
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "strict", no_argument, NULL, OPT_STRICT },
	{ "revision", required_argument, NULL, OPT_REVISION },
	{ "output", required_argument, NULL, 'o' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* Parses options allowed in ALLOWED (chars 'f' format, 's' strict, 'r' revision, 'o'). */
static int parse_opts(int argc, char **argv, const char *allowed, struct opts *o)
{
	int c, f;
	char *end;

	memset(o, 0, sizeof(*o));
	optind = 1;
	/* getopt would name the subcommand as the program: say it ourselves. */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:h", long_opts, NULL)) != -1) {
		switch (c) {
		case OPT_FORMAT:
			if (!strchr(allowed, 'f'))
				usage_error("option '--format' does not apply to '%s'", argv[0]);
			f = diag_format_parse(optarg);
			if (f < 0)
				usage_error("unknown format '%s' (text, json or github)", optarg);
			o->fmt = (enum diag_format)f;
			break;
		case OPT_STRICT:
			if (!strchr(allowed, 's'))
				usage_error("option '--strict' does not apply to '%s'", argv[0]);
			o->strict = 1;
			break;
		case OPT_REVISION:
			if (!strchr(allowed, 'r'))
				usage_error("option '--revision' does not apply to '%s'", argv[0]);
			errno = 0;
			o->revision = strtoull(optarg, &end, 10);
			/* Elastic maps package_policy_revision as a short: a larger
			 * revision would make every event a mapping error */
			if (errno || end == optarg || *end || optarg[0] == '-' ||
			    o->revision > 32767)
				usage_error("invalid revision '%s' (an integer from 0 to 32767)",
					    optarg);
			break;
		case 'o':
			if (!strchr(allowed, 'o'))
				usage_error("option '-o' does not apply to '%s'", argv[0]);
			o->out = optarg;
			break;
		case 'h':
			usage(stdout);
			exit(EXIT_OK);
		case ':':
			usage_error("%s: option '%s' needs a value", argv[0], argv[optind - 1]);
		default:
			usage_error("%s: unknown option '%s'", argv[0], argv[optind - 1]);
		}
	}
	return optind;
}

static const char *display_name(const char *path)
{
	return strcmp(path, "-") ? path : "<stdin>";
}

/* Exit status from diagnostics: I/O first, then errors, then strict warnings. */
static int status_of(int io_failed, const struct diag_list *dl, int strict)
{
	if (io_failed)
		return EXIT_USAGE;
	if (dl->nerrors || (strict && dl->nwarnings))
		return EXIT_INVALID;
	return EXIT_OK;
}

static int do_check(int argc, char **argv)
{
	struct diag_list dl = { 0 };
	struct opts o;
	int i, io_failed = 0, stdin_used = 0, rc;

	i = parse_opts(argc, argv, "fs", &o);
	if (i == argc)
		usage_error("%s: no policy file given", "check");
	for (; i < argc; i++) {
		struct policy *p = NULL;

		if (!strcmp(argv[i], "-") && stdin_used++)
			usage_error("%s: '-' (stdin) given twice", "check");
		if (policy_load(argv[i], display_name(argv[i]), &dl, &p) == -2)
			io_failed = 1;
		policy_free(p);
	}
	diag_sort(&dl);
	if (diag_print(stdout, &dl, o.fmt))
		die("cannot write diagnostics: %s", strerror(errno));
	rc = status_of(io_failed, &dl, o.strict);
	diag_free(&dl);
	return rc;
}

/* Loads and checks one policy, printing its diagnostics on stderr. */
static int load_checked(const char *path, const struct opts *o, struct policy **p)
{
	struct diag_list dl = { 0 };
	int r, rc;

	r = policy_load(path, display_name(path), &dl, p);
	diag_sort(&dl);
	diag_print(stderr, &dl, o->fmt);
	rc = status_of(r == -2, &dl, o->strict);
	diag_free(&dl);
	if (rc && *p) {
		policy_free(*p);
		*p = NULL;
	}
	return rc;
}

static int do_compile(int argc, char **argv)
{
	struct policy *p = NULL;
	unsigned char *blob = NULL;
	size_t len;
	struct opts o;
	const char *out;
	int i, rc, err;

	i = parse_opts(argc, argv, "fsro", &o);
	if (argc - i != 1)
		usage_error("%s: expected exactly one policy file", "compile");
	out = o.out ? o.out : "-";
	if (!strcmp(out, "-") && isatty(STDOUT_FILENO))
		usage_error("%s: refusing to write a binary blob to a terminal (use -o FILE)",
			    "compile");
	rc = load_checked(argv[i], &o, &p);
	if (rc)
		return rc;
	if (blob_compile(p, o.revision, &blob, &len)) {
		policy_free(p);
		return EXIT_INVALID;
	}
	err = write_whole_file(out, blob, len);
	free(blob);
	policy_free(p);
	return err ? EXIT_USAGE : EXIT_OK;
}

/*
 * Reads a blob into aligned memory. Returns 0, EXIT_INVALID when it is not
 * a valid blob, EXIT_USAGE when it cannot be read (errors printed).
 */
static int load_blob(const char *path, void **mem, struct blob *b)
{
	char reason[256];
	size_t len;
	char *buf;
	int err;

	err = read_whole_file(path, BLOB_MAX_FILE_SIZE, &buf, &len);
	if (err) {
		error("cannot read '%s': %s", display_name(path),
		      err == -EFBIG ? "larger than 64 MiB" : strerror(-err));
		return EXIT_USAGE;
	}
	if (blob_open(buf, len, 0, b, reason, sizeof(reason))) {
		error("'%s': %s", display_name(path), reason);
		free(buf);
		return EXIT_INVALID;
	}
	*mem = buf;
	return 0;
}

static int do_dump(int argc, char **argv)
{
	struct blob b;
	struct opts o;
	void *mem;
	json_t *j;
	int i, rc;

	i = parse_opts(argc, argv, "", &o);
	if (argc - i != 1)
		usage_error("%s: expected exactly one blob", "dump");
	rc = load_blob(argv[i], &mem, &b);
	if (rc)
		return rc;
	j = blob_dump(&b);
	if (json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER) || puts("") == EOF ||
	    fflush(stdout))
		die("cannot write the dump: %s", strerror(errno));
	json_decref(j);
	free(mem);
	return EXIT_OK;
}

static int is_blob_file(const char *path)
{
	unsigned char magic[4];
	FILE *f;
	int r = 0;

	if (!strcmp(path, "-"))
		return 0;
	f = fopen(path, "rb");
	if (!f)
		return 0;
	if (fread(magic, 1, 4, f) == 4)
		r = magic[0] == 'D' && magic[1] == '4' && magic[2] == 'C' && magic[3] == 'P';
	fclose(f);
	return r;
}

static void print_actions(char *buf, size_t size, unsigned actions)
{
	size_t o = 0;

	buf[0] = '\0';
	o += snprintf(buf + o, size - o, "[");
	for (unsigned bit = 1; bit <= D4C_ACTION_BLOCK; bit <<= 1)
		if (actions & bit)
			o += snprintf(buf + o, size - o, "%s%s", o > 1 ? ", " : "",
				      d4c_action_name(bit));
	snprintf(buf + o, size - o, "]");
}

static void print_selectors(FILE *f, const struct blob *b, unsigned type, uint64_t mask)
{
	const struct d4c_type_masks *tm = &b->types[type];
	int first = 1;

	fputc('[', f);
	for (unsigned i = 0; i < tm->nselectors; i++)
		if (mask & (1ull << i)) {
			fprintf(f, "%s%s", first ? "" : ", ",
				blob_str(b, b->sel[tm->first_selector + i].name));
			first = 0;
		}
	fputc(']', f);
}

/* The selector mask named by a case, or -1 after a message when a name is unknown. */
static int want_mask(const struct blob *b, const struct d4c_case *k, uint64_t *mask,
		     const char **unknown)
{
	const struct d4c_type_masks *tm = &b->types[k->ev.type];

	*mask = 0;
	for (size_t j = 0; j < k->nwant_selectors; j++) {
		unsigned i;

		for (i = 0; i < tm->nselectors; i++)
			if (!strcmp(blob_str(b, b->sel[tm->first_selector + i].name),
				    k->want_selectors[j]))
				break;
		if (i == tm->nselectors) {
			*unknown = k->want_selectors[j];
			return -1;
		}
		*mask |= 1ull << i;
	}
	return 0;
}

static int do_test(int argc, char **argv)
{
	struct diag_list dl = { 0 };
	struct d4c_case *cases = NULL;
	unsigned char *compiled = NULL;
	void *mem = NULL;
	struct policy *p = NULL;
	size_t ncases = 0, len, failed = 0;
	const char *policy_path, *cases_path;
	struct blob b;
	struct opts o;
	char reason[256];
	int i, rc, r;

	i = parse_opts(argc, argv, "f", &o);
	if (argc - i != 2)
		usage_error("%s: expected a policy and a cases file", "test");
	policy_path = argv[i];
	cases_path = argv[i + 1];
	if (!strcmp(policy_path, "-") && !strcmp(cases_path, "-"))
		usage_error("%s: only one of the policy and the cases can be stdin", "test");
	if (is_blob_file(policy_path)) {
		rc = load_blob(policy_path, &mem, &b);
		if (rc)
			return rc;
	} else {
		rc = load_checked(policy_path, &o, &p);
		if (rc)
			return rc;
		if (blob_compile(p, 0, &compiled, &len)) {
			policy_free(p);
			return EXIT_INVALID;
		}
		policy_free(p);
		if (blob_open(compiled, len, 0, &b, reason, sizeof(reason)))
			die("internal error: compiled blob does not open: %s", reason);
	}
	r = cases_load(cases_path, display_name(cases_path), &dl, &cases, &ncases);
	diag_sort(&dl);
	diag_print(stderr, &dl, o.fmt);
	diag_free(&dl);
	if (r) {
		rc = r == -2 ? EXIT_USAGE : EXIT_INVALID;
		goto cleanup;
	}
	printf("TAP version 13\n1..%zu\n", ncases);
	for (size_t k = 0; k < ncases; k++) {
		const struct d4c_case *c = &cases[k];
		struct d4c_verdict v;
		char got[64], want[64], label[512];
		const char *unknown = NULL;
		uint64_t wmask = 0;
		int ok, bad_names;

		cases_decide(&b, c, &v);
		bad_names = c->want_selectors && want_mask(&b, c, &wmask, &unknown);
		ok = v.actions == c->want_actions && !bad_names &&
		     (!c->want_selectors || wmask == v.selectors);
		print_actions(got, sizeof(got), v.actions);
		print_actions(want, sizeof(want), c->want_actions);
		if (c->name)
			snprintf(label, sizeof(label), "%s", c->name);
		else
			snprintf(label, sizeof(label), "%s %s%s%s%s%s%s", d4c_type_name(c->ev.type),
				 d4c_op_name(c->ev.type, c->ev.op), c->ev.path ? " " : "",
				 c->ev.path ? c->ev.path : "",
				 c->renamed_from ? " (renamed from " : "",
				 c->renamed_from ? c->renamed_from : "",
				 c->renamed_from ? ")" : "");
		printf("%s %zu - %s (%s:%d)\n", ok ? "ok" : "not ok", k + 1, label,
		       display_name(cases_path), c->line);
		if (!ok) {
			failed++;
			printf("#   expected actions %s, got %s\n", want, got);
			if (bad_names)
				printf("#   expected selector '%s' is not a %s selector of the policy\n",
				       unknown, d4c_type_name(c->ev.type));
			else if (c->want_selectors) {
				printf("#   expected selectors ");
				print_selectors(stdout, &b, c->ev.type, wmask);
				printf(", got ");
				print_selectors(stdout, &b, c->ev.type, v.selectors);
				printf("\n");
			} else {
				printf("#   matched selectors ");
				print_selectors(stdout, &b, c->ev.type, v.selectors);
				printf("\n");
			}
		}
	}
	if (failed)
		printf("# %zu of %zu cases failed\n", failed, ncases);
	if (fflush(stdout))
		die("cannot write results: %s", strerror(errno));
	rc = failed ? EXIT_INVALID : EXIT_OK;
cleanup:
	cases_free(cases, ncases);
	free(compiled);
	free(mem);
	return rc;
}

static int do_help(int argc, char **argv)
{
	usage(stdout);
	return EXIT_OK;
}

static const struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
} cmds[] = {
	{ "check", do_check }, { "compile", do_compile }, { "dump", do_dump },
	{ "test", do_test },   { "help", do_help },	  { NULL, NULL },
};

/* A typo ("chek") is the usual way to get here: name the command meant,
 * as the policy checks do for keys, but never run it for the user. */
static __attribute__((noreturn)) void unknown_command(const char *name)
{
	const char *names[sizeof(cmds) / sizeof(cmds[0])];
	const char *near;
	size_t n = 0;

	for (const struct cmd *c = cmds; c->name; c++)
		names[n++] = c->name;
	near = suggest(name, names, n);
	if (near)
		usage_error("unknown command '%s' (did you mean '%s'?)", name, near);
	usage_error("unknown command '%s'", name);
}

int main(int argc, char **argv)
{
	set_progname(argv[0]);
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		return do_help(argc - 1, argv + 1);
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("d4c-policy %s (blob format %u)\n", PACKAGE_VERSION, D4C_POLICY_VERSION);
		return EXIT_OK;
	}
	for (const struct cmd *c = cmds; c->name; c++)
		if (!strcmp(argv[1], c->name))
			return c->fn(argc - 1, argv + 1);
	unknown_command(argv[1]);
}
