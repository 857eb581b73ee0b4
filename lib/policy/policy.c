/*
 * policy.c - load and check a D4C policy (see policy.h).
 *
 * The checker keeps going after the first problem: users fix a policy in
 * CI from one run's output, so every error in the file is reported, each
 * at the YAML node it is about.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <regex.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "imageref.h"
#include "names.h"
#include "policy.h"
#include "sha256.h"
#include "suggest.h"
#include "util.h"
#include "ytree.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Where each condition may appear and how its values are checked. */
enum vkind {
	VK_OPS,
	VK_PATH,
	VK_COMM,
	VK_IMAGE_FULL,
	VK_IMAGE_NAME,
	VK_TAG,
	VK_EXACT,
	VK_NAMESPACE,
	VK_POD,
	VK_LABEL,
	VK_BOOL,
};

#define FOR_FILE    (1u << D4C_TYPE_FILE)
#define FOR_PROCESS (1u << D4C_TYPE_PROCESS)
#define FOR_BOTH    (FOR_FILE | FOR_PROCESS)

static const struct {
	const char *key;
	unsigned types;
	enum vkind kind;
	size_t max; /* bytes per value */
	unsigned ckey;
} conds[PC_NCONDS] = {
	[PC_OPERATION] = { "operation", FOR_BOTH, VK_OPS, D4C_MAX_VALUE, 0 },
	[PC_TARGET_FILE_PATH] = { "targetFilePath", FOR_FILE, VK_PATH, D4C_MAX_PATH, 0 },
	[PC_PROCESS_EXECUTABLE] = { "processExecutable", FOR_PROCESS, VK_PATH, D4C_MAX_VALUE, 0 },
	[PC_PROCESS_NAME] = { "processName", FOR_PROCESS, VK_COMM, D4C_MAX_COMM, 0 },
	[PC_IMAGE_FULL_NAME] = { "containerImageFullName", FOR_BOTH, VK_IMAGE_FULL, D4C_MAX_VALUE,
				 D4C_CK_IMAGE_FULL_NAME },
	[PC_IMAGE_NAME] = { "containerImageName", FOR_BOTH, VK_IMAGE_NAME, D4C_MAX_VALUE,
			    D4C_CK_IMAGE_NAME },
	[PC_IMAGE_TAG] = { "containerImageTag", FOR_BOTH, VK_TAG, D4C_MAX_VALUE, D4C_CK_IMAGE_TAG },
	[PC_CLUSTER_ID] = { "kubernetesClusterId", FOR_BOTH, VK_EXACT, D4C_MAX_VALUE,
			    D4C_CK_CLUSTER_ID },
	[PC_CLUSTER_NAME] = { "kubernetesClusterName", FOR_BOTH, VK_EXACT, D4C_MAX_VALUE,
			      D4C_CK_CLUSTER_NAME },
	[PC_NAMESPACE] = { "kubernetesNamespace", FOR_BOTH, VK_NAMESPACE, D4C_MAX_VALUE,
			   D4C_CK_NAMESPACE },
	[PC_POD_NAME] = { "kubernetesPodName", FOR_BOTH, VK_POD, D4C_MAX_VALUE, D4C_CK_POD_NAME },
	[PC_POD_LABEL] = { "kubernetesPodLabel", FOR_BOTH, VK_LABEL, D4C_MAX_VALUE,
			   D4C_CK_POD_LABEL },
	[PC_INTERACTIVE] = { "sessionLeaderInteractive", FOR_PROCESS, VK_BOOL, 0, 0 },
	[PC_IGNORE_MOUNTS] = { "ignoreVolumeMounts", FOR_FILE, VK_BOOL, 0, 0 },
	[PC_IGNORE_FILES] = { "ignoreVolumeFiles", FOR_FILE, VK_BOOL, 0, 0 },
};

/*
 * Pairs of conditions that may not share a selector (the second is
 * reported): the dependencies of Kibana's policy schema. Its form view also
 * keeps processExecutable from processName, but its YAML editor takes the
 * pair, and d4c then requires both to match: a warning.
 */
static const struct {
	enum pol_cond a, b;
	int warn;
} exclusive[] = {
	{ PC_IMAGE_FULL_NAME, PC_IMAGE_NAME, 0 },
	{ PC_PROCESS_EXECUTABLE, PC_PROCESS_NAME, 1 },
	{ PC_IGNORE_MOUNTS, PC_IGNORE_FILES, 0 },
};

/*
 * The operations Kibana's editor knows (its schema's enums); d4c's own,
 * such as execMemFd, are taken with a warning. Kept apart from the
 * operation tables so that an operation added there is d4c's own too.
 */
static const char *const kibana_ops[] = {
	"createExecutable",
	"modifyExecutable",
	"createFile",
	"modifyFile",
	"deleteFile",
	"fork",
	"exec",
};

const char *pol_cond_name(enum pol_cond c)
{
	return conds[c].key;
}

unsigned pol_cond_ckey(enum pol_cond c)
{
	return conds[c].ckey;
}

/* State of one check run. */
struct ctx {
	const char *file;
	struct diag_list *dl;
	struct policy *p;
	int errors;
	int sel_listed[D4C_NTYPES]; /* the type's selectors list was readable */
	int limit_hit[D4C_NTYPES]; /* some entries past the limit were not read */
	unsigned type_order[D4C_NTYPES]; /* the sections, as they come in the file */
	int ntypes;
};

__attribute__((format(printf, 5, 6))) static void
err_at(struct ctx *c, const struct ynode *n, const char *code, int warn, const char *fmt, ...)
{
	char *msg;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		die("out of memory");
	va_end(ap);
	diag_add(c->dl, c->file, n ? n->line : 0, n ? n->col : 0, warn ? DIAG_WARNING : DIAG_ERROR,
		 code, "%s", msg);
	free(msg);
	if (!warn)
		c->errors++;
}

#define ERR(c, n, code, ...)  err_at(c, n, code, 0, __VA_ARGS__)
#define WARN(c, n, code, ...) err_at(c, n, code, 1, __VA_ARGS__)

/* Renders " (did you mean 'X'?)" into BUF, or "" when nothing is close. */
static const char *did_you_mean(char *buf, size_t size, const char *word, const char *const *cands,
				size_t n)
{
	const char *s = suggest(word, cands, n);

	if (!s)
		return "";
	snprintf(buf, size, " (did you mean '%s'?)", s);
	return buf;
}

/*
 * Values quoted back in messages are cut short: a diagnostic is one line
 * even for a hostile 500-byte value.
 */
static const char *q(const struct ynode *n, char *buf, size_t size)
{
	size_t i, o = 0;

	for (i = 0; i < n->len && o + 5 < size; i++) {
		unsigned char ch = (unsigned char)n->str[i];

		if (ch < 0x20 || ch == 0x7f) {
			o += snprintf(buf + o, size - o, "\\x%02x", ch);
			continue;
		}
		buf[o++] = (char)ch;
	}
	if (i < n->len) {
		size_t written = o;

		if (o > size - 4)
			o = size - 4;
		/* Never cut a character in two: back off to its first byte. The
		 * byte after the cut is in BUF, or still only in the value. */
		if (o < written) {
			while (o > 0 && ((unsigned char)buf[o] & 0xc0) == 0x80)
				o--;
		} else if (((unsigned char)n->str[i] & 0xc0) == 0x80) {
			while (o > 0 && ((unsigned char)buf[o - 1] & 0xc0) == 0x80)
				o--;
			if (o > 0)
				o--;
		}
		memcpy(buf + o, "...", 4);
		return buf;
	}
	buf[o] = '\0';
	return buf;
}

#define QBUF 72
#define Q(n) q(n, qb, sizeof(qb))

static int is_alnum(int ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
}

static int is_lower_alnum(int ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
}

/*
 * Selector names. Kibana's YAML editor takes any string; its form view
 * wants 1-128 characters, [A-Za-z0-9][A-Za-z0-9_-]*. The compiled policy
 * holds 1-128 bytes (an error); the characters are only a warning.
 */
static void check_name(struct ctx *c, const struct ynode *n)
{
	char qb[QBUF];

	if (n->len > D4C_MAX_NAME) {
		ERR(c, n, "limit",
		    "selector name is %zu bytes long (at most %d, as in Kibana's "
		    "form view)",
		    n->len, D4C_MAX_NAME);
		return;
	}
	for (size_t i = 0; i < n->len; i++) {
		int ch = (unsigned char)n->str[i];

		if (is_alnum(ch) || (i > 0 && (ch == '_' || ch == '-')))
			continue;
		WARN(c, n, "name-format",
		     "selector name '%s' is not letters, digits, '_' and '-' starting with a letter "
		     "or digit (Kibana's form view refuses it)",
		     Q(n));
		return;
	}
}

/*
 * Kibana's value patterns (public/types.ts, SelectorConditionsMap), as
 * POSIX extended expressions: the same languages, with JavaScript's
 * non-capturing groups and escapes written the POSIX way. Compiled once.
 */
enum kpattern { KP_PATH, KP_IMAGE_NAME, KP_IMAGE_FULL, KP_LABEL, KP_N };

static int kibana_match(enum kpattern k, const char *s)
{
	static const char *const src[KP_N] = {
		[KP_PATH] = "^(/[^/*]+)*(/\\*|/\\*\\*)?$",
		[KP_IMAGE_NAME] = "^([a-z0-9]+([._-][a-z0-9]+)*)$",
		[KP_IMAGE_FULL] = "^(\\[[a-fA-F0-9:]+\\]|([a-zA-Z0-9-](\\.[a-z0-9]+)*)+)(:[0-9]+)?"
				  "(/[a-z0-9]+([._-][a-z0-9]+)*)+$",
		[KP_LABEL] = "^([a-zA-Z0-9.-]+/)?[a-zA-Z0-9.-]+:[a-zA-Z0-9._-]*\\*?$",
	};
	static regex_t re[KP_N];
	static int ready[KP_N];

	if (!ready[k]) {
		if (regcomp(&re[k], src[k], REG_EXTENDED | REG_NOSUB))
			die("cannot compile the pattern of Kibana's rule %d", (int)k);
		ready[k] = 1;
	}
	return regexec(&re[k], s, 0, NULL, 0) == 0;
}

/*
 * A path pattern: Kibana's rule (absolute, no empty component, '*' only
 * as a final '*' or '**' component) is an error; a '.' or '..' component, which
 * Kibana takes, never matches the resolved paths the kernel reports: a
 * warning. Returns 0, or -1 after an error.
 */
static int check_path(struct ctx *c, const struct ynode *n, const char *key)
{
	const char *s = n->str, *end = n->str + n->len;
	char qb[QBUF];

	if (kibana_match(KP_PATH, s)) {
		for (const char *p = s; p < end; p++)
			if (*p == '/' && p[1] == '.' &&
			    (p + 2 == end || p[2] == '/' ||
			     (p[2] == '.' && (p + 3 == end || p[3] == '/')))) {
				WARN(c, n, "dot-component",
				     "path '%s' has a '.' or '..' component: the kernel reports "
				     "resolved paths, so it never matches",
				     Q(n));
				break;
			}
		return 0;
	}
	if (s[0] != '/') {
		ERR(c, n, "bad-path", "'%s' value '%s' is not an absolute path", key, Q(n));
		return -1;
	}
	if (!strcmp(s, "/")) {
		ERR(c, n, "bad-path", "path '/' is the root directory itself: use '/*' or '/**'");
		return -1;
	}
	if (strstr(s, "//")) {
		ERR(c, n, "bad-path", "path '%s' has an empty component ('//')", Q(n));
		return -1;
	}
	if (n->len > 3 && (!strcmp(end - 3, "/**")))
		end -= 3;
	else if (n->len > 2 && !strcmp(end - 2, "/*"))
		end -= 2;
	if (end[-1] == '/') {
		ERR(c, n, "bad-path", "path '%s' ends in '/' (write '%.*s' or add '*' or '**')",
		    Q(n), (int)(end - s - 1), s);
		return -1;
	}
	ERR(c, n, "bad-path", "path '%s': '*' is only allowed as a final '/*' or '/**'", Q(n));
	return -1;
}

/*
 * A free-form value that d4c reads as a prefix when it ends in '*'. A '*'
 * elsewhere is matched as itself: Kibana takes it, d4c warns.
 */
static void star_not_at_end(struct ctx *c, const struct ynode *n, const char *key)
{
	char qb[QBUF];
	const char *star = memchr(n->str, '*', n->len);

	if (star && star != n->str + n->len - 1)
		WARN(c, n, "star-literal",
		     "'%s' value '%s': only a final '*' is a wildcard, this one is matched as itself",
		     key, Q(n));
}

/* The length of N without a final '*'. */
static size_t stem_len(const struct ynode *n)
{
	return n->len && n->str[n->len - 1] == '*' ? n->len - 1 : n->len;
}

static void check_image_full(struct ctx *c, const struct ynode *n)
{
	char qb[QBUF];
	const char *last = strrchr(n->str, '/');

	if (kibana_match(KP_IMAGE_FULL, n->str))
		return;
	if (last && (strchr(n->str, '@') || strchr(last, ':')))
		ERR(c, n, "bad-image",
		    "containerImageFullName '%s' has a tag or digest: put the tag in "
		    "containerImageTag",
		    Q(n));
	else
		ERR(c, n, "bad-image",
		    "containerImageFullName '%s' is not 'registry[:port]/path' with lower-case path "
		    "components joined by '.', '_' or '-' (e.g. 'docker.io/nginx')",
		    Q(n));
}

static void check_image_name(struct ctx *c, const struct ynode *n)
{
	char qb[QBUF];

	if (kibana_match(KP_IMAGE_NAME, n->str))
		return;
	if (memchr(n->str, '/', n->len) || memchr(n->str, ':', n->len))
		ERR(c, n, "bad-image",
		    "containerImageName '%s' must be the repository name alone, without registry, "
		    "path or tag (e.g. 'nginx')",
		    Q(n));
	else
		ERR(c, n, "bad-image",
		    "containerImageName '%s': use lower-case letters and digits joined by one '.', "
		    "'_' or '-' (no wildcard)",
		    Q(n));
}

/* Tags are free-form to Kibana; d4c warns about what no registry takes. */
static void check_tag(struct ctx *c, const struct ynode *n)
{
	char qb[QBUF];
	size_t len = stem_len(n);

	star_not_at_end(c, n, "containerImageTag");
	if (len > IMAGE_TAG_MAX)
		WARN(c, n, "tag-format",
		     "containerImageTag '%s' is longer than %d characters, "
		     "which no image tag is",
		     Q(n), IMAGE_TAG_MAX);
	else if (len && !image_ref_tag_ok(n->str, len, 1))
		WARN(c, n, "tag-format",
		     "containerImageTag '%s' is not an image tag (letters, digits, '_', '.' and '-', "
		     "not starting with '.' or '-')",
		     Q(n));
}

/* DNS labels (namespaces) and subdomains (pod names), optionally as prefixes. */
static int dns_ok(const char *s, size_t len, size_t max, int dots, int prefix)
{
	if (len > max || (len == 0 && !prefix))
		return 0;
	for (size_t i = 0; i < len; i++) {
		int ch = (unsigned char)s[i];

		if (is_lower_alnum(ch))
			continue;
		if ((ch == '-' || (dots && ch == '.')) && i > 0 && (i + 1 < len || prefix))
			continue;
		return 0;
	}
	return 1;
}

/* Namespaces and pod names are free-form to Kibana; d4c warns about what
 * Kubernetes would never name so. */
static void check_dns(struct ctx *c, const struct ynode *n, const char *key, int pod)
{
	char qb[QBUF];
	size_t len = stem_len(n);

	star_not_at_end(c, n, key);
	if (memchr(n->str, '*', len))
		return;
	if (!dns_ok(n->str, len, pod ? 253 : 63, pod, len != n->len))
		WARN(c, n, pod ? "pod-name-format" : "namespace-format",
		     pod ? "kubernetesPodName '%s' is not a valid pod name (lower-case letters, "
			   "digits, '-' and '.', at most 253), so it never matches" :
			   "kubernetesNamespace '%s' is not a valid namespace (lower-case letters, "
			   "digits and '-', at most 63), so it never matches",
		     Q(n));
}

/* Label names: [A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?, at most 63. */
static int label_name_ok(const char *s, size_t len, int prefix)
{
	if (len > 63 || (len == 0 && !prefix))
		return 0;
	for (size_t i = 0; i < len; i++) {
		int ch = (unsigned char)s[i];

		if (is_alnum(ch))
			continue;
		if ((ch == '-' || ch == '_' || ch == '.') && i > 0 && (i + 1 < len || prefix))
			continue;
		return 0;
	}
	return 1;
}

/*
 * Kibana's pattern is an error; what Kubernetes refuses in a label it
 * takes (a key or value over 63 characters, one starting with '-') is a
 * warning.
 */
static void check_label(struct ctx *c, const struct ynode *n)
{
	char qb[QBUF];
	const char *colon = memchr(n->str, ':', n->len), *slash;
	const char *key = n->str, *val;
	size_t klen, vlen;
	int prefix = 0;

	if (!kibana_match(KP_LABEL, n->str)) {
		if (!colon)
			ERR(c, n, "bad-label",
			    "kubernetesPodLabel '%s' is not 'key:value' (write 'key:' for an empty "
			    "value, 'key:*' for any)",
			    Q(n));
		else
			ERR(c, n, "bad-label",
			    "kubernetesPodLabel '%s': keys are letters, digits, '.' and '-' (one "
			    "'prefix/' allowed), values letters, digits, '.', '-' and '_' with an "
			    "optional final '*'",
			    Q(n));
		return;
	}
	klen = colon - key;
	val = colon + 1;
	vlen = n->len - klen - 1;
	slash = memchr(key, '/', klen);
	if (slash) {
		if (!dns_ok(key, slash - key, 253, 1, 0)) {
			WARN(c, n, "label-format",
			     "kubernetesPodLabel '%s': the key prefix is not a DNS subdomain, so it "
			     "never matches",
			     Q(n));
			return;
		}
		klen -= slash + 1 - key;
		key = slash + 1;
	}
	if (!label_name_ok(key, klen, 0)) {
		WARN(c, n, "label-format",
		     "kubernetesPodLabel '%s': the key is not a label name, so it never matches",
		     Q(n));
		return;
	}
	if (vlen && val[vlen - 1] == '*') {
		vlen--;
		prefix = 1;
	}
	if ((vlen || prefix) && !label_name_ok(val, vlen, prefix))
		WARN(c, n, "label-format",
		     "kubernetesPodLabel '%s': the value is not a label value, so it never matches",
		     Q(n));
}

/* Checks one value of condition CI; returns 0, or -1 after an error. */
static int check_value(struct ctx *c, struct pol_selector *s, enum pol_cond ci,
		       const struct ynode *n)
{
	char qb[QBUF], sb[96];
	const char *key = conds[ci].key;
	int op;

	if (n->len > conds[ci].max) {
		ERR(c, n, "limit", "'%s' value is %zu bytes long (at most %zu)", key, n->len,
		    conds[ci].max);
		return -1;
	}
	switch (conds[ci].kind) {
	case VK_OPS: {
		const char *names[D4C_MAX_OPS];
		size_t nn = 0;
		unsigned other = !s->type;

		op = d4c_op_parse(s->type, n->str);
		if (op >= 0) {
			size_t k;

			for (k = 0; k < ARRAY_SIZE(kibana_ops); k++)
				if (!strcmp(kibana_ops[k], n->str))
					break;
			if (k == ARRAY_SIZE(kibana_ops))
				WARN(c, n, "kibana-refuses",
				     "kibana's editor refuses operation '%s' (d4c's own)", Q(n));
			s->ops |= 1u << op;
			return 0;
		}
		if (d4c_op_parse(other, n->str) >= 0)
			ERR(c, n, "unknown-operation", "'%s' is a %s operation, not a %s one", Q(n),
			    d4c_type_name(other), d4c_type_name(s->type));
		else {
			for (unsigned o = 0; o < D4C_MAX_OPS; o++)
				if (d4c_op_name(s->type, o))
					names[nn++] = d4c_op_name(s->type, o);
			ERR(c, n, "unknown-operation", "unknown %s operation '%s'%s",
			    d4c_type_name(s->type), Q(n),
			    did_you_mean(sb, sizeof(sb), n->str, names, nn));
		}
		return -1;
	}
	case VK_PATH:
		if (check_path(c, n, key))
			return -1;
		if (n->len > D4C_MAX_PATH)
			WARN(c, n, "path-length",
			     "'%s' value is %zu bytes long: d4c matches paths of at most %d bytes, "
			     "so it never matches",
			     key, n->len, D4C_MAX_PATH);
		return 0;
	case VK_COMM:
		star_not_at_end(c, n, key);
		return 0;
	case VK_IMAGE_FULL:
		check_image_full(c, n);
		break;
	case VK_IMAGE_NAME:
		check_image_name(c, n);
		break;
	case VK_TAG:
		check_tag(c, n);
		break;
	case VK_NAMESPACE:
		check_dns(c, n, key, 0);
		break;
	case VK_POD:
		check_dns(c, n, key, 1);
		break;
	case VK_LABEL:
		check_label(c, n);
		break;
	case VK_EXACT:
	case VK_BOOL:
		break;
	}
	return 0;
}

static struct pol_value value_of(const struct ynode *n)
{
	struct pol_value v = { xstrndup(n->str, n->len), n->len, n->line, n->col };

	return v;
}

/*
 * Checks a list of scalars; returns 0 when it is one (items may still be
 * bad). Only 'exclude' may be empty in Kibana's schema: MAY_BE_EMPTY.
 */
static int expect_list_of(struct ctx *c, const struct ynode *key, const struct ynode *v,
			  const char *what, int may_be_empty)
{
	char qb[QBUF];

	if (v->type != Y_SEQ) {
		if (v->type == Y_SCALAR && !ytree_is_null(v))
			ERR(c, v, "type", "'%s' must be a list of %s, not a string (write ['%s'])",
			    key->str, what, Q(v));
		else if (ytree_is_null(v))
			ERR(c, v, "empty-value",
			    "'%s' is empty (it must be a non-empty list of %s)", key->str, what);
		else
			ERR(c, v, "type", "'%s' must be a list of %s, not %s", key->str, what,
			    ytree_describe(v));
		return -1;
	}
	if (v->n == 0 && !may_be_empty) {
		ERR(c, v, "empty-value", "'%s' is an empty list", key->str);
		return -1;
	}
	return 0;
}

static int expect_list(struct ctx *c, const struct ynode *key, const struct ynode *v,
		       const char *what)
{
	return expect_list_of(c, key, v, what, 0);
}

/* A string to a JSON schema: YAML 1.2 resolves plain 3, 1.25, true and ~ otherwise. */
static int is_string(const struct ynode *n)
{
	return n->type == Y_SCALAR && !ytree_is_null(n) && ytree_bool(n) < 0 && !ytree_is_number(n);
}

/* A list item that must be a non-empty string; returns 0 when it is one. */
static int expect_string_item(struct ctx *c, const struct ynode *key, const struct ynode *it)
{
	if (it->type != Y_SCALAR || (!ytree_is_null(it) && !is_string(it))) {
		ERR(c, it, "type", "'%s' values must be strings, not %s%s", key->str,
		    ytree_describe(it), it->type == Y_SCALAR ? " (quote it)" : "");
		return -1;
	}
	if (ytree_is_null(it) || it->len == 0) {
		ERR(c, it, "empty-value", "empty value in '%s'", key->str);
		return -1;
	}
	return 0;
}

static void warn_duplicates(struct ctx *c, const struct ynode *key, const struct ynode *list)
{
	char qb[QBUF];

	/* Lists are short in practice but a hostile one may not be: cap the
	 * quadratic scan rather than sorting positions around. */
	if (list->n > 1024)
		return;
	for (size_t i = 1; i < list->n; i++) {
		const struct ynode *a = list->items[i];

		if (a->type != Y_SCALAR)
			continue;
		for (size_t j = 0; j < i; j++) {
			const struct ynode *b = list->items[j];

			if (b->type == Y_SCALAR && a->len == b->len &&
			    !memcmp(a->str, b->str, a->len)) {
				WARN(c, a, "duplicate-value", "'%s' lists '%s' twice", key->str,
				     Q(a));
				break;
			}
		}
	}
}

static const char *all_cond_keys(unsigned type, const char **out)
{
	size_t n = 0;

	out[n++] = "name";
	for (int i = 0; i < PC_NCONDS; i++)
		if (conds[i].types & (1u << type))
			out[n++] = conds[i].key;
	out[n] = NULL;
	return NULL;
}

static size_t count_keys(const char **keys)
{
	size_t n = 0;

	while (keys[n])
		n++;
	return n;
}

/* A readFile selector without targetFilePath would report (or refuse)
 * every read of every file: said at its 'readFile'. */
static void read_needs_path(struct ctx *c, const struct ynode *m, const struct pol_selector *s)
{
	const struct ynode *ops = ytree_get(m, "operation"), *at = m;

	for (size_t i = 0; ops && ops->type == Y_SEQ && i < ops->n; i++)
		if (ops->items[i]->type == Y_SCALAR && !strcmp(ops->items[i]->str, "readFile")) {
			at = ops->items[i];
			break;
		}
	ERR(c, at, "read-needs-path",
	    "selector '%s' has readFile but no targetFilePath: it would match every read of "
	    "every file",
	    s->name ? s->name : "?");
}

/* The selector's 'name' value V (key K). */
static void selector_name(struct ctx *c, struct pol_selector *s, const struct ynode *k,
			  const struct ynode *v)
{
	if (ytree_is_null(v) || (v->type == Y_SCALAR && v->len == 0)) {
		ERR(c, ytree_is_null(v) && v->len == 0 ? k : v, "empty-value",
		    "selector 'name' is empty");
		s->bad = 1;
		return;
	}
	if (!is_string(v)) {
		ERR(c, v, "type", "selector 'name' must be a string, not %s", ytree_describe(v));
		s->bad = 1;
		return;
	}
	s->name = xstrndup(v->str, v->len);
	s->line = v->line;
	s->col = v->col;
	check_name(c, v);
}

/* Condition CI (key K, value V) of the other type than the selector's:
 * ignored, but its values are judged by its rules as Kibana does. */
static void other_type_cond(struct ctx *c, struct pol_selector *s, int ci, const struct ynode *k,
			    const struct ynode *v)
{
	WARN(c, k, "other-type-condition", "'%s' is a %s condition: it is ignored in a %s selector",
	     k->str, d4c_type_name(!s->type), d4c_type_name(s->type));
	if (ci == PC_TARGET_FILE_PATH)
		s->has_path_key = 1;
	/* Kibana still judges its values by the condition's rules. */
	if (conds[ci].kind == VK_BOOL || expect_list(c, k, v, "strings"))
		return;
	for (size_t j = 0; j < v->n; j++)
		if (!expect_string_item(c, k, v->items[j]))
			check_value(c, s, (enum pol_cond)ci, v->items[j]);
}

/* The value V of boolean condition CI (key K). */
static void bool_cond(struct ctx *c, struct pol_selector *s, int ci, const struct ynode *k,
		      const struct ynode *v)
{
	int b = ytree_bool(v);
	char qb[QBUF];

	if (b >= 0) {
		s->cond[ci].b = b;
		return;
	}
	if (ytree_is_null(v))
		ERR(c, v->len ? v : k, "empty-value", "'%s' is empty (it must be true or false)",
		    k->str);
	else if (v->type == Y_SCALAR && v->quoted &&
		 (!strcmp(v->str, "true") || !strcmp(v->str, "false")))
		ERR(c, v, "type", "'%s' must be a boolean, not the string '%s' (remove the quotes)",
		    k->str, Q(v));
	else if (v->type == Y_SCALAR)
		ERR(c, v, "type", "'%s' must be true or false, not '%s'", k->str, Q(v));
	else
		ERR(c, v, "type", "'%s' must be true or false, not %s", k->str, ytree_describe(v));
}

/* Condition CI of the selector's type: key K, value V. */
static void selector_cond(struct ctx *c, struct pol_selector *s, int ci, const struct ynode *k,
			  const struct ynode *v)
{
	if (ci == PC_TARGET_FILE_PATH)
		s->has_path_key = 1;
	s->cond[ci].present = 1;
	s->cond[ci].line = k->line;
	s->cond[ci].col = k->col;
	if (conds[ci].kind == VK_BOOL) {
		bool_cond(c, s, ci, k, v);
		return;
	}
	if (expect_list(c, k, v, ci == PC_OPERATION ? "operations" : "strings"))
		return;
	warn_duplicates(c, k, v);
	s->cond[ci].v = xcalloc(v->n, sizeof(struct pol_value));
	for (size_t j = 0; j < v->n; j++) {
		const struct ynode *it = v->items[j];

		if (expect_string_item(c, k, it) || check_value(c, s, (enum pol_cond)ci, it))
			continue;
		s->cond[ci].v[s->cond[ci].n++] = value_of(it);
	}
}

/* Reports the pairs of conditions of S that may not share a selector. */
static void check_exclusive(struct ctx *c, const struct pol_selector *s)
{
	for (size_t e = 0; e < ARRAY_SIZE(exclusive); e++) {
		const struct pol_cond_val *a = &s->cond[exclusive[e].a];
		const struct pol_cond_val *b = &s->cond[exclusive[e].b];
		struct ynode at = { .line = b->line, .col = b->col };

		if (!a->present || !b->present)
			continue;
		if (a->line > b->line || (a->line == b->line && a->col > b->col)) {
			at.line = a->line;
			at.col = a->col;
		}
		if (exclusive[e].warn)
			WARN(c, &at, "executable-and-name",
			     "'%s' and '%s' in one selector: an event must match both (Kibana's form "
			     "view refuses the pair)",
			     conds[exclusive[e].a].key, conds[exclusive[e].b].key);
		else
			ERR(c, &at, "exclusive", "'%s' and '%s' cannot both be in one selector",
			    conds[exclusive[e].a].key, conds[exclusive[e].b].key);
	}
}

/* One key K (value V) of selector S. Returns 1 when it is a condition of
 * the selector's type, else 0. */
static int selector_key(struct ctx *c, struct pol_selector *s, const struct ynode *k,
			const struct ynode *v, const char **keys)
{
	char sb[96];
	int ci;

	if (!strcmp(k->str, "name")) {
		selector_name(c, s, k, v);
		return 0;
	}
	for (ci = 0; ci < PC_NCONDS; ci++)
		if (!strcmp(k->str, conds[ci].key))
			break;
	/* Kibana's schema takes any other key: d4c ignores it, with a warning. */
	if (ci == PC_NCONDS) {
		WARN(c, k, "unknown-key", "unknown selector key '%s' is ignored%s", k->str,
		     did_you_mean(sb, sizeof(sb), k->str, keys, count_keys(keys)));
		return 0;
	}
	if (!(conds[ci].types & (1u << s->type))) {
		other_type_cond(c, s, ci, k, v);
		return 0;
	}
	selector_cond(c, s, ci, k, v);
	return 1;
}

static void parse_selector(struct ctx *c, unsigned type, const struct ynode *m,
			   struct pol_selector *s)
{
	const char *keys[PC_NCONDS + 2];
	int nconds = 0, errors_before = c->errors;

	memset(s, 0, sizeof(*s));
	s->type = type;
	all_cond_keys(type, keys);
	for (size_t i = 0; i < m->n; i++)
		nconds += selector_key(c, s, m->keys[i], m->items[i], keys);
	if (s->cond[PC_OPERATION].present && !s->ops)
		s->bad = 1; /* every operation misspelled: not "any operation" */
	if (type == D4C_TYPE_FILE && (s->ops & (1u << D4C_OP_READ_FILE)) &&
	    !s->cond[PC_TARGET_FILE_PATH].present)
		read_needs_path(c, m, s);
	if (!s->name) {
		if (!ytree_get(m, "name"))
			ERR(c, m, "missing-key", "%s selector has no 'name'", d4c_type_name(type));
	} else if (nconds == 0) {
		ERR(c, m, "no-conditions", "%s selector '%s' has no %s conditions",
		    d4c_type_name(type), s->name, d4c_type_name(type));
	}
	check_exclusive(c, s);
	/* A selector already reported needs no "unused" warning on top. */
	if (c->errors != errors_before)
		s->bad = 1;
}

static struct pol_selector *find_selector(struct policy *p, unsigned type, const char *name)
{
	for (size_t i = 0; i < p->t[type].nsel; i++)
		if (p->t[type].sel[i].name && !strcmp(p->t[type].sel[i].name, name))
			return &p->t[type].sel[i];
	return NULL;
}

/*
 * Resolves the selector names of MATCH or EXCLUDE into a mask. Reports
 * unknown names; returns the mask of those found.
 */
static uint64_t resolve_names(struct ctx *c, unsigned type, const struct ynode *k,
			      const struct ynode *list, struct pol_selector **found, size_t *nfound)
{
	struct pol_type *t = &c->p->t[type];
	const char **names = xcalloc(t->nsel + 1, sizeof(*names));
	uint64_t mask = 0;
	char qb[QBUF], sb[160];
	size_t nn = 0;

	for (size_t i = 0; i < t->nsel; i++)
		if (t->sel[i].name)
			names[nn++] = t->sel[i].name;
	for (size_t i = 0; i < list->n; i++) {
		const struct ynode *it = list->items[i];
		struct pol_selector *s;

		if (expect_string_item(c, k, it))
			continue;
		s = find_selector(c->p, type, it->str);
		if (s) {
			s->used = 1;
			mask |= 1ull << s->bit;
			found[(*nfound)++] = s;
			continue;
		}
		if (!c->sel_listed[type])
			continue; /* the selectors list is already reported */
		if (find_selector(c->p, !type, it->str))
			ERR(c, it, "wrong-type-selector",
			    "'%s' is a %s selector; a %s response can only name %s selectors",
			    Q(it), d4c_type_name(!type), d4c_type_name(type), d4c_type_name(type));
		else
			ERR(c, it, "unknown-selector", "unknown %s selector '%s'%s",
			    d4c_type_name(type), Q(it),
			    did_you_mean(sb, sizeof(sb), it->str, names, nn));
	}
	free(names);
	return mask;
}

static int path_is_everything(const struct pol_selector *s)
{
	const struct pol_cond_val *cv =
		&s->cond[s->type == D4C_TYPE_FILE ? PC_TARGET_FILE_PATH : PC_PROCESS_EXECUTABLE];

	for (size_t i = 0; i < cv->n; i++)
		if (!strcmp(cv->v[i].s, "/**"))
			return 1;
	return 0;
}

#define PLAIN_FILE_OPS \
	((1u << D4C_OP_CREATE_FILE) | (1u << D4C_OP_MODIFY_FILE) | (1u << D4C_OP_DELETE_FILE))

/*
 * Kibana's block rule (validateBlockRestrictions) for the selector NAME
 * names: true unless it is found and may see a file operation
 * (createFile, modifyFile, deleteFile, or no 'operation' at all) without a
 * targetFilePath key. Like Kibana, it looks the name up among the
 * selectors of both types, in the order of the policy's sections, so that
 * a process response is held to it too.
 */
static int kibana_has_path(struct ctx *c, const struct ynode *name)
{
	const struct pol_selector *s = NULL;

	if (!name || name->type != Y_SCALAR)
		return 1;
	for (int i = 0; i < c->ntypes && !s; i++)
		s = find_selector(c->p, c->type_order[i], name->str);
	if (!s)
		return 1;
	if (s->cond[PC_OPERATION].present &&
	    !(s->type == D4C_TYPE_FILE && (s->ops & PLAIN_FILE_OPS)))
		return 1;
	return s->has_path_key;
}

/* The lists of a response and their keys (NULL: absent or not a list). */
struct resp_lists {
	const struct ynode *match, *exclude, *actions;
	const struct ynode *mkey, *xkey, *akey;
};

static void response_keys(struct ctx *c, const struct ynode *m, struct resp_lists *l)
{
	static const char *const keys[] = { "match", "exclude", "actions" };
	char sb[96];

	for (size_t i = 0; i < m->n; i++) {
		const struct ynode *k = m->keys[i], *v = m->items[i];

		if (strcmp(k->str, "match") && strcmp(k->str, "exclude") &&
		    strcmp(k->str, "actions")) {
			WARN(c, k, "unknown-key", "unknown response key '%s' is ignored%s", k->str,
			     did_you_mean(sb, sizeof(sb), k->str, keys, ARRAY_SIZE(keys)));
			continue;
		}
		if (expect_list_of(c, k, v,
				   strcmp(k->str, "actions") ? "selector names" : "actions",
				   !strcmp(k->str, "exclude")))
			continue;
		warn_duplicates(c, k, v);
		if (k->str[0] == 'm')
			l->match = v, l->mkey = k;
		else if (k->str[0] == 'e')
			l->exclude = v, l->xkey = k;
		else
			l->actions = v, l->akey = k;
	}
}

/* The actions of R from list ACTIONS (key AKEY). Returns the 'block' item, or NULL. */
static const struct ynode *response_actions(struct ctx *c, struct pol_response *r,
					    const struct ynode *akey, const struct ynode *actions)
{
	/* action A is bit 1 << A */
	const char *const action_names[] = { d4c_action_name(D4C_ACTION_LOG),
					     d4c_action_name(D4C_ACTION_ALERT),
					     d4c_action_name(D4C_ACTION_BLOCK) };
	const struct ynode *block_at = NULL;
	char qb[QBUF], sb[96];

	for (size_t i = 0; i < actions->n; i++) {
		const struct ynode *it = actions->items[i];
		size_t a;

		if (expect_string_item(c, akey, it))
			continue;
		for (a = 0; a < ARRAY_SIZE(action_names); a++)
			if (!strcmp(it->str, action_names[a]))
				break;
		if (a == ARRAY_SIZE(action_names)) {
			ERR(c, it, "unknown-action", "unknown action '%s'%s", Q(it),
			    did_you_mean(sb, sizeof(sb), it->str, action_names,
					 ARRAY_SIZE(action_names)));
			continue;
		}
		r->actions |= 1u << a;
		if (a == 2 && !block_at)
			block_at = it;
	}
	return block_at;
}

/* The item of LIST (NULL: none) that names selector NAME, or NULL. */
static const struct ynode *item_naming(const struct ynode *list, const char *name)
{
	for (size_t j = 0; list && j < list->n; j++)
		if (list->items[j]->type == Y_SCALAR && !strcmp(list->items[j]->str, name))
			return list->items[j];
	return NULL;
}

/* Warns of the first of the NMSEL selectors MSEL of 'match' that 'exclude' names too. */
static void warn_never_applies(struct ctx *c, const struct ynode *m, const struct pol_response *r,
			       struct pol_selector **msel, size_t nmsel,
			       const struct ynode *exclude)
{
	for (size_t i = 0; i < nmsel; i++) {
		const struct ynode *at;

		if (!(r->exclude & (1ull << msel[i]->bit)))
			continue;
		at = item_naming(exclude, msel[i]->name);
		WARN(c, at ? at : m, "never-applies",
		     "selector '%s' is in both 'match' and 'exclude': it never makes this response "
		     "apply",
		     msel[i]->name);
		return;
	}
}

/* What blocking through selector S (named at AT in 'match') is warned of,
 * or refused for: KIBANA_OK when an 'exclude' selector has a targetFilePath
 * by Kibana's rule, EXCLUDED_BY_PATH when one has one for d4c. */
static void check_block_selector(struct ctx *c, unsigned type, const struct pol_selector *s,
				 const struct ynode *at, int kibana_ok, int excluded_by_path)
{
	if (!kibana_ok && !kibana_has_path(c, at))
		ERR(c, at, "block-needs-path",
		    "blocking through selector '%s' needs a targetFilePath (Kibana wants one in "
		    "each 'match' selector that can see createFile, modifyFile or deleteFile, or "
		    "in one 'exclude' selector)",
		    s->name);
	else if (type == D4C_TYPE_FILE && !excluded_by_path &&
		 !s->cond[PC_TARGET_FILE_PATH].present &&
		 (s->ops == 0 || (s->ops & PLAIN_FILE_OPS)))
		WARN(c, at, "block-everywhere",
		     "blocking through selector '%s' refuses createFile, modifyFile or deleteFile "
		     "on every path: give it a targetFilePath (or exclude with one)",
		     s->name);
	else if (path_is_everything(s))
		WARN(c, at, "broad-block",
		     "selector '%s' blocks under '/**', that is on every path", s->name);
	else if (type == D4C_TYPE_PROCESS && s->cond[PC_PROCESS_NAME].present &&
		 !s->cond[PC_PROCESS_EXECUTABLE].present)
		WARN(c, at, "block-by-name",
		     "selector '%s' blocks by processName only: a copy or hard link of the program "
		     "under another name is not that name (a selector with processExecutable "
		     "blocks the file wherever it is linked)",
		     s->name);
}

/* A response that blocks: each selector of 'match' (MSEL) once, given
 * those of 'exclude' (XSEL). */
static void check_block(struct ctx *c, unsigned type, const struct resp_lists *l,
			struct pol_selector **msel, size_t nmsel, struct pol_selector **xsel,
			size_t nxsel)
{
	int excluded_by_path = 0, kibana_ok = 0;
	uint64_t seen = 0;

	for (size_t i = 0; i < nxsel; i++)
		if (xsel[i]->cond[PC_TARGET_FILE_PATH].present)
			excluded_by_path = 1;
	for (size_t i = 0; l->exclude && i < l->exclude->n; i++)
		kibana_ok |= kibana_has_path(c, l->exclude->items[i]);
	for (size_t i = 0; i < nmsel && l->match; i++) {
		struct pol_selector *s = msel[i];

		/* Listed twice, or already reported: say it once. */
		if (s->bad || (seen & (1ull << s->bit)))
			continue;
		seen |= 1ull << s->bit;
		check_block_selector(c, type, s, item_naming(l->match, s->name), kibana_ok,
				     excluded_by_path);
	}
}

static void parse_response(struct ctx *c, unsigned type, const struct ynode *m,
			   struct pol_response *r)
{
	struct resp_lists l = { 0 };
	const struct ynode *block_at = NULL;
	struct pol_selector **msel = NULL, **xsel = NULL;
	size_t nmsel = 0, nxsel = 0;

	memset(r, 0, sizeof(*r));
	r->type = type;
	r->line = m->line;
	r->col = m->col;
	response_keys(c, m, &l);
	if (!ytree_get(m, "match"))
		ERR(c, m, "missing-key", "%s response has no 'match'", d4c_type_name(type));
	if (!ytree_get(m, "actions"))
		ERR(c, m, "missing-key", "%s response has no 'actions'", d4c_type_name(type));
	if (l.match) {
		msel = xcalloc(l.match->n, sizeof(*msel));
		r->match = resolve_names(c, type, l.mkey, l.match, msel, &nmsel);
	}
	if (l.exclude) {
		xsel = xcalloc(l.exclude->n, sizeof(*xsel));
		r->exclude = resolve_names(c, type, l.xkey, l.exclude, xsel, &nxsel);
	}
	if (l.actions)
		block_at = response_actions(c, r, l.akey, l.actions);
	if (block_at && !(r->actions & D4C_ACTION_ALERT))
		ERR(c, block_at, "block-needs-alert",
		    "'block' requires 'alert' in the same response");
	if (r->match & r->exclude)
		warn_never_applies(c, m, r, msel, nmsel, l.exclude);
	if (block_at)
		check_block(c, type, &l, msel, nmsel, xsel, nxsel);
	free(msel);
	free(xsel);
}

static const struct ynode *type_list(struct ctx *c, const struct ynode *tkey,
				     const struct ynode *tm, const char *key)
{
	const struct ynode *v = ytree_get(tm, key);
	size_t i;

	if (!v) {
		ERR(c, tkey, "missing-key", "'%s' has no '%s' (a non-empty list)", tkey->str, key);
		return NULL;
	}
	for (i = 0; strcmp(tm->keys[i]->str, key); i++)
		;
	if (expect_list(c, tm->keys[i], v, key[0] == 's' ? "selectors" : "responses"))
		return NULL;
	return v;
}

/* Warns when selector S has the name of one before it. */
static void warn_duplicate_name(struct ctx *c, unsigned type, struct pol_selector *s)
{
	struct pol_selector *dup = s->name ? find_selector(c->p, type, s->name) : NULL;
	struct ynode at = { .line = s->line, .col = s->col };

	if (!dup || dup == s)
		return;
	/* Kibana takes it; responses name the first. */
	s->bad = 1;
	WARN(c, &at, "duplicate-name",
	     "duplicate %s selector name '%s': responses name the one at line %d",
	     d4c_type_name(type), s->name, dup->line);
}

static void parse_type_selectors(struct ctx *c, unsigned type, const struct ynode *tkey,
				 const struct ynode *tm, const struct ynode **resp_out)
{
	static const char *const keys[] = { "selectors", "responses" };
	struct pol_type *t = &c->p->t[type];
	const struct ynode *sels, *resps;
	char sb[96];
	size_t budget = D4C_MAX_SELECTORS;

	*resp_out = NULL;
	for (size_t i = 0; i < tm->n; i++)
		if (strcmp(tm->keys[i]->str, "selectors") && strcmp(tm->keys[i]->str, "responses"))
			WARN(c, tm->keys[i], "unknown-key", "unknown key '%s' in '%s' is ignored%s",
			     tm->keys[i]->str, d4c_type_name(type),
			     did_you_mean(sb, sizeof(sb), tm->keys[i]->str, keys, 2));
	sels = type_list(c, tkey, tm, "selectors");
	resps = type_list(c, tkey, tm, "responses");
	c->sel_listed[type] = sels != NULL;
	if (sels)
		t->sel = xcalloc(sels->n, sizeof(*t->sel));
	for (size_t i = 0; sels && i < sels->n; i++) {
		const struct ynode *it = sels->items[i];
		struct pol_selector *s = &t->sel[t->nsel];

		if (t->nsel == budget) {
			ERR(c, it, "limit",
			    "too many %s selectors: at most %d selectors and responses per type",
			    d4c_type_name(type), D4C_MAX_SELECTORS);
			c->limit_hit[type] = 1;
			break;
		}
		if (it->type != Y_MAP) {
			ERR(c, it, "type", "a %s selector must be a mapping, not %s",
			    d4c_type_name(type), ytree_describe(it));
			continue;
		}
		parse_selector(c, type, it, s);
		warn_duplicate_name(c, type, s);
		s->bit = (unsigned)t->nsel++;
	}
	*resp_out = resps;
}

static void parse_type_responses(struct ctx *c, unsigned type, const struct ynode *resps)
{
	struct pol_type *t = &c->p->t[type];

	t->resp = xcalloc(resps->n, sizeof(*t->resp));
	for (size_t i = 0; i < resps->n; i++) {
		const struct ynode *it = resps->items[i];

		if (t->nsel + t->nresp == D4C_MAX_SELECTORS) {
			ERR(c, it, "limit",
			    "too many %s responses: at most %d selectors and responses per type",
			    d4c_type_name(type), D4C_MAX_SELECTORS);
			c->limit_hit[type] = 1;
			break;
		}
		if (it->type != Y_MAP) {
			ERR(c, it, "type", "a %s response must be a mapping, not %s",
			    d4c_type_name(type), ytree_describe(it));
			continue;
		}
		parse_response(c, type, it, &t->resp[t->nresp++]);
	}
}

/*
 * A set of (type, string) keys, to count the distinct entries of the
 * compiled policy's tables as blob_compile() will.
 */
struct kset {
	struct kent {
		const char *s;
		size_t len;
		unsigned type;
	} * v;
	size_t cap, n;
};

/* Adds a key; returns 1 when it was new. */
static int kset_add(struct kset *k, unsigned type, const char *s, size_t len)
{
	uint64_t h = 1469598103934665603ull ^ type;
	size_t i;

	if (2 * (k->n + 1) > k->cap) {
		struct kset bigger = { xcalloc(k->cap ? 2 * k->cap : 256, sizeof(struct kent)),
				       k->cap ? 2 * k->cap : 256, 0 };

		for (i = 0; i < k->cap; i++)
			if (k->v[i].s)
				kset_add(&bigger, k->v[i].type, k->v[i].s, k->v[i].len);
		free(k->v);
		*k = bigger;
	}
	for (i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
	for (i = h & (k->cap - 1); k->v[i].s; i = (i + 1) & (k->cap - 1))
		if (k->v[i].type == type && k->v[i].len == len && !memcmp(k->v[i].s, s, len))
			return 0;
	k->v[i] = (struct kent){ s, len, type };
	k->n++;
	return 1;
}

/*
 * The compiled policy's table sizes (policy_format.h), checked here so
 * that check refuses, at a value, what compile would: the value that
 * takes a table past its size is reported, once per table.
 */
/* What the tables of a policy will hold, counted as the compiler will fill them. */
struct tables {
	struct kset paths, names;
	size_t ncconds, strtab;
	int paths_full, names_full, cconds_full, strtab_full;
};

/* Counts value V of condition CI of a selector of type T into TB, and
 * reports the first value that goes past each limit. */
static void count_value(struct ctx *c, struct tables *tb, unsigned t, int ci,
			const struct pol_value *v)
{
	int pc = t == D4C_TYPE_FILE ? PC_TARGET_FILE_PATH : PC_PROCESS_EXECUTABLE;
	struct ynode at = { .line = v->line, .col = v->col, .str = v->s, .len = v->len };
	const char *key = v->s;
	size_t klen = v->len;
	char qb[QBUF];

	if (ci == pc && v->len <= D4C_MAX_PATH) {
		klen = policy_path_key(v->s, v->len, &key);
		if (!kset_add(&tb->paths, t, key, klen))
			return;
		tb->strtab += klen + 1;
		if (tb->paths.n > D4C_MAX_PATH_ENTRIES && !tb->paths_full++)
			ERR(c, &at, "limit",
			    "path '%s' is one too many: d4c's tables hold at most %d distinct paths",
			    Q(&at), D4C_MAX_PATH_ENTRIES);
	} else if (ci == PC_PROCESS_NAME && t == D4C_TYPE_PROCESS) {
		klen = stem_len(&at);
		if (!kset_add(&tb->names, t, key, klen))
			return;
		tb->strtab += klen + 1;
		if (tb->names.n > D4C_MAX_NAME_ENTRIES && !tb->names_full++)
			ERR(c, &at, "limit",
			    "process name '%s' is one too many: d4c's tables hold at most %d "
			    "distinct names",
			    Q(&at), D4C_MAX_NAME_ENTRIES);
	} else if (pol_cond_ckey((enum pol_cond)ci)) {
		tb->strtab += stem_len(&at) + 1;
		if (++tb->ncconds > D4C_MAX_CCONDS && !tb->cconds_full++)
			ERR(c, &at, "limit",
			    "'%s' value '%s' is one too many: d4c's tables hold at most %d container "
			    "condition values",
			    conds[ci].key, Q(&at), D4C_MAX_CCONDS);
	} else {
		return;
	}
	if (tb->strtab > D4C_MAX_STRTAB && !tb->strtab_full++)
		ERR(c, &at, "limit", "value '%s' takes the policy's strings past %u bytes", Q(&at),
		    D4C_MAX_STRTAB);
}

static void check_tables(struct ctx *c)
{
	struct tables tb = { .strtab = 1 };

	for (int ti = 0; ti < c->ntypes; ti++) {
		unsigned t = c->type_order[ti];

		for (size_t i = 0; i < c->p->t[t].nsel; i++) {
			const struct pol_selector *s = &c->p->t[t].sel[i];

			tb.strtab += (s->name ? strlen(s->name) : 0) + 1;
			for (int ci = 0; ci < PC_NCONDS; ci++)
				for (size_t j = 0; j < s->cond[ci].n; j++)
					count_value(c, &tb, t, ci, &s->cond[ci].v[j]);
		}
	}
	free(tb.paths.v);
	free(tb.names.v);
}

void policy_free(struct policy *p)
{
	if (!p)
		return;
	for (int t = 0; t < D4C_NTYPES; t++) {
		for (size_t i = 0; i < p->t[t].nsel; i++) {
			struct pol_selector *s = &p->t[t].sel[i];

			for (int ci = 0; ci < PC_NCONDS; ci++) {
				for (size_t j = 0; j < s->cond[ci].n; j++)
					free(s->cond[ci].v[j].s);
				free(s->cond[ci].v);
			}
			free(s->name);
		}
		free(p->t[t].sel);
		free(p->t[t].resp);
	}
	free(p->version);
	free(p);
}

int policy_parse(const char *text, size_t len, const char *file, struct diag_list *dl,
		 struct policy **out)
{
	static const char *const top_keys[] = { "file", "process", "version" };
	const struct ynode *resps[D4C_NTYPES] = { NULL, NULL };
	struct ctx c = { .file = file, .dl = dl };
	struct ynode *root;
	char sb[96];
	int empty;

	if (ytree_check_text(text, len, file, dl))
		return -1;
	root = ytree_parse(text, len, file, dl, &empty);
	if (!root) {
		if (empty)
			diag_add(dl, file, 0, 0, DIAG_ERROR, "empty",
				 "empty policy: expected a mapping with 'file' and/or 'process'");
		return -1;
	}
	c.p = xcalloc(1, sizeof(*c.p));
	sha256(text, len, c.p->digest);
	if (root->type != Y_MAP) {
		ERR(&c, root, "type",
		    "a policy must be a mapping with 'file' and/or 'process', not %s",
		    ytree_describe(root));
		goto out;
	}
	for (size_t i = 0; i < root->n; i++) {
		const struct ynode *k = root->keys[i], *v = root->items[i];
		unsigned type;

		if (!strcmp(k->str, "version")) {
			if (!is_string(v))
				ERR(&c, v, "type", "'version' must be a string, not %s%s",
				    ytree_describe(v),
				    v->type == Y_SCALAR && !ytree_is_null(v) ? " (quote it)" : "");
			else
				c.p->version = xstrndup(v->str, v->len);
			continue;
		}
		if (!strcmp(k->str, "file"))
			type = D4C_TYPE_FILE;
		else if (!strcmp(k->str, "process"))
			type = D4C_TYPE_PROCESS;
		else {
			/* Kibana's schema takes any other key; d4c ignores what is under
			 * it, and so does not enforce a misspelled 'process:'. */
			WARN(&c, k, "unknown-key", "unknown top-level key '%s' is ignored%s",
			     k->str,
			     did_you_mean(sb, sizeof(sb), k->str, top_keys, ARRAY_SIZE(top_keys)));
			continue;
		}
		if (v->type != Y_MAP) {
			ERR(&c, v->type == Y_SCALAR && v->len == 0 ? k : v, "type",
			    "'%s' must be a mapping with 'selectors' and 'responses', not %s",
			    k->str, ytree_describe(v));
			continue;
		}
		c.p->t[type].present = 1;
		c.type_order[c.ntypes++] = type;
		parse_type_selectors(&c, type, k, v, &resps[type]);
	}
	if (!ytree_get(root, "file") && !ytree_get(root, "process"))
		ERR(&c, root, "missing-key", "a policy needs 'file' or 'process' (or both)");
	/* Responses after every selector of both types is known, so that a
	 * name of the other type gets its own message. */
	for (unsigned t = 0; t < D4C_NTYPES; t++)
		if (resps[t])
			parse_type_responses(&c, t, resps[t]);
	for (unsigned t = 0; t < D4C_NTYPES; t++)
		for (size_t i = 0; i < c.p->t[t].nsel; i++) {
			struct pol_selector *s = &c.p->t[t].sel[i];
			struct ynode at = { .line = s->line, .col = s->col };

			/* Past the limit, responses were not read: "unused" would be noise. */
			if (s->name && !s->used && !s->bad && resps[t] && !c.limit_hit[t])
				WARN(&c, &at, "unused-selector",
				     "%s selector '%s' is not used by any response",
				     d4c_type_name(t), s->name);
		}
	check_tables(&c);
out:
	ytree_free(root);
	if (c.errors) {
		policy_free(c.p);
		return -1;
	}
	*out = c.p;
	return 0;
}

int policy_load(const char *path, const char *display, struct diag_list *dl, struct policy **out)
{
	char *text;
	size_t len;
	int err;

	err = read_whole_file(path, POLICY_MAX_FILE_SIZE, &text, &len);
	if (err == -EFBIG) {
		diag_add(dl, display, 0, 0, DIAG_ERROR, "file-too-large",
			 "file is larger than %u bytes (1 MiB): not a policy",
			 POLICY_MAX_FILE_SIZE);
		return -1;
	}
	if (err) {
		diag_add(dl, display, 0, 0, DIAG_ERROR, "io-error", "cannot read: %s",
			 strerror(-err));
		return -2;
	}
	err = policy_parse(text, len, display, dl, out);
	free(text);
	return err;
}

size_t policy_path_key(const char *v, size_t len, const char **key)
{
	*key = v;
	if (len >= 3 && !strcmp(v + len - 3, "/**"))
		len -= 3;
	else if (len >= 2 && !strcmp(v + len - 2, "/*"))
		len -= 2;
	if (len == 0) { /* the root patterns, one or two stars: keyed by "/" */
		*key = "/";
		len = 1;
	}
	return len;
}
