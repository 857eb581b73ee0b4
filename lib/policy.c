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
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"
#include "sha256.h"
#include "suggest.h"
#include "util.h"
#include "ytree.h"

static const char *const type_names[D4C_NTYPES] = { "file", "process" };

static const char *const file_ops[] = {
	[D4C_OP_CREATE_EXECUTABLE] = "createExecutable", [D4C_OP_MODIFY_EXECUTABLE] = "modifyExecutable",
	[D4C_OP_CREATE_FILE] = "createFile",		 [D4C_OP_MODIFY_FILE] = "modifyFile",
	[D4C_OP_DELETE_FILE] = "deleteFile",		 [D4C_OP_EXEC_MEMFD] = "execMemFd",
};
static const char *const process_ops[] = {
	[D4C_OP_FORK] = "fork",
	[D4C_OP_EXEC] = "exec",
};
static const char *const action_names[] = { "log", "alert", "block" };

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

#define FOR_FILE (1u << D4C_TYPE_FILE)
#define FOR_PROCESS (1u << D4C_TYPE_PROCESS)
#define FOR_BOTH (FOR_FILE | FOR_PROCESS)

static const struct {
	const char *key;
	unsigned types;
	enum vkind kind;
	size_t max; /* bytes per value */
	unsigned ckey;
} conds[PC_NCONDS] = {
	[PC_OPERATION] = { "operation", FOR_BOTH, VK_OPS, D4C_MAX_VALUE, 0 },
	[PC_TARGET_FILE_PATH] = { "targetFilePath", FOR_FILE, VK_PATH, D4C_MAX_PATH, 0 },
	[PC_PROCESS_EXECUTABLE] = { "processExecutable", FOR_PROCESS, VK_PATH, D4C_MAX_PATH, 0 },
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

/* Pairs of conditions that may not share a selector (the second is reported). */
static const enum pol_cond exclusive[][2] = {
	{ PC_IMAGE_FULL_NAME, PC_IMAGE_NAME },
	{ PC_PROCESS_EXECUTABLE, PC_PROCESS_NAME },
	{ PC_IGNORE_MOUNTS, PC_IGNORE_FILES },
};

const char *d4c_type_name(unsigned type)
{
	return type < D4C_NTYPES ? type_names[type] : "?";
}

const char *d4c_op_name(unsigned type, unsigned op)
{
	if (type == D4C_TYPE_FILE && op < ARRAY_SIZE(file_ops))
		return file_ops[op];
	if (type == D4C_TYPE_PROCESS && op < ARRAY_SIZE(process_ops))
		return process_ops[op];
	return NULL;
}

int d4c_op_parse(unsigned type, const char *name)
{
	for (unsigned op = 0; op < D4C_MAX_OPS; op++) {
		const char *n = d4c_op_name(type, op);

		if (n && !strcmp(n, name))
			return (int)op;
	}
	return -1;
}

const char *d4c_action_name(unsigned bit)
{
	switch (bit) {
	case D4C_ACTION_LOG:
		return "log";
	case D4C_ACTION_ALERT:
		return "alert";
	case D4C_ACTION_BLOCK:
		return "block";
	}
	return "?";
}

const char *pol_cond_name(enum pol_cond c)
{
	return conds[c].key;
}

unsigned pol_cond_ckey(enum pol_cond c)
{
	return conds[c].ckey;
}

const char *d4c_ckey_name(unsigned key)
{
	for (int c = 0; c < PC_NCONDS; c++)
		if (conds[c].ckey && conds[c].ckey == key)
			return conds[c].key;
	return "?";
}

/* State of one check run. */
struct ctx {
	const char *file;
	struct diag_list *dl;
	struct policy *p;
	int errors;
	int sel_listed[D4C_NTYPES]; /* the type's selectors list was readable */
	int limit_hit[D4C_NTYPES];  /* some entries past the limit were not read */
};

__attribute__((format(printf, 5, 6))) static void err_at(struct ctx *c, const struct ynode *n,
							const char *code, int warn,
							const char *fmt, ...)
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

#define ERR(c, n, code, ...) err_at(c, n, code, 0, __VA_ARGS__)
#define WARN(c, n, code, ...) err_at(c, n, code, 1, __VA_ARGS__)

/* Renders " (did you mean 'X'?)" into BUF, or "" when nothing is close. */
static const char *did_you_mean(char *buf, size_t size, const char *word,
				const char *const *cands, size_t n)
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
		if (o > size - 4)
			o = size - 4;
		/* Never cut a character in two: back off to its first byte. */
		while (o > 0 && ((unsigned char)buf[o] & 0xc0) == 0x80)
			o--;
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

/* Selector names: 1-128 characters, [A-Za-z0-9][A-Za-z0-9_-]*. */
static void check_name(struct ctx *c, const struct ynode *n)
{
	char qb[QBUF];

	if (n->len > D4C_MAX_NAME) {
		ERR(c, n, "limit", "selector name is %zu characters long (at most %d)", n->len,
		    D4C_MAX_NAME);
		return;
	}
	for (size_t i = 0; i < n->len; i++) {
		int ch = (unsigned char)n->str[i];

		if (is_alnum(ch) || (i > 0 && (ch == '_' || ch == '-')))
			continue;
		ERR(c, n, "bad-name",
		    "invalid selector name '%s': use letters, digits, '_' and '-', "
		    "starting with a letter or digit",
		    Q(n));
		return;
	}
}

/* Checks a path pattern; returns 0 or -1 after one diagnostic. */
static int check_path(struct ctx *c, const struct ynode *n, const char *key)
{
	const char *s = n->str, *end = n->str + n->len;
	char qb[QBUF];

	if (s[0] != '/') {
		ERR(c, n, "bad-path", "'%s' value '%s' is not an absolute path", key, Q(n));
		return -1;
	}
	if (!strcmp(s, "/*") || !strcmp(s, "/**"))
		return 0;
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
	for (const char *p = s; p < end; p++) {
		if (*p == '*') {
			ERR(c, n, "bad-path",
			    "path '%s': '*' is only allowed as a final '/*' or '/**'", Q(n));
			return -1;
		}
		if (*p == '/' && p[1] == '.' &&
		    (p + 2 == end || p[2] == '/' || (p[2] == '.' && (p + 3 == end || p[3] == '/')))) {
			/* The kernel reports resolved paths: such a pattern
			 * could never match. */
			ERR(c, n, "bad-path", "path '%s' has a '.' or '..' component", Q(n));
			return -1;
		}
	}
	return 0;
}

/*
 * A value that may end in one '*'. Returns the length without it, or -1
 * after a diagnostic when '*' appears elsewhere.
 */
static long trailing_wildcard(struct ctx *c, const struct ynode *n, const char *key)
{
	char qb[QBUF];
	const char *star = memchr(n->str, '*', n->len);

	if (!star)
		return (long)n->len;
	if (star != n->str + n->len - 1) {
		ERR(c, n, "bad-wildcard", "'%s' value '%s': '*' is only allowed at the end", key,
		    Q(n));
		return -1;
	}
	return (long)n->len - 1;
}

/*
 * A repository name component as the distribution grammar has it:
 * [a-z0-9]+ joined by '.', '_', '__' or any run of '-'. PREFIX: a '*'
 * follows, so the component may stop anywhere after its first character.
 */
static int image_component_ok(const char *s, size_t len, int prefix)
{
	size_t i = 0;

	if (len == 0)
		return prefix;
	for (;;) {
		if (i == len || !is_lower_alnum((unsigned char)s[i]))
			return i == len && prefix;
		while (i < len && is_lower_alnum((unsigned char)s[i]))
			i++;
		if (i == len)
			return 1;
		if (s[i] == '.') {
			i++;
		} else if (s[i] == '_') {
			i += i + 1 < len && s[i + 1] == '_' ? 2 : 1;
		} else if (s[i] == '-') {
			while (i < len && s[i] == '-')
				i++;
		} else {
			return 0;
		}
		if (i == len)
			return prefix;
	}
}

static void check_image_full(struct ctx *c, const struct ynode *n)
{
	char qb[QBUF];
	const char *slash = memchr(n->str, '/', n->len), *s = n->str;
	const char *last = strrchr(s, '/');

	if (!slash || slash == s || s[n->len - 1] == '/') {
		ERR(c, n, "bad-image",
		    "containerImageFullName '%s' is not of the form 'registry[:port]/path' "
		    "(e.g. 'docker.io/nginx')",
		    Q(n));
		return;
	}
	if (strchr(s, '@') || strchr(last, ':')) {
		ERR(c, n, "bad-image",
		    "containerImageFullName '%s' has a tag or digest: put the tag in "
		    "containerImageTag",
		    Q(n));
		return;
	}
	for (const char *p = s; p < slash; p++) {
		int ch = (unsigned char)*p;

		if (!is_alnum(ch) && ch != '.' && ch != '-' && ch != ':') {
			ERR(c, n, "bad-image", "containerImageFullName '%s' has an invalid registry",
			    Q(n));
			return;
		}
	}
	for (const char *p = slash + 1, *e; *p; p = e + (*e == '/')) {
		e = strchrnul(p, '/');
		if (!image_component_ok(p, e - p, 0)) {
			ERR(c, n, "bad-image",
			    "containerImageFullName '%s': path components are lower-case letters "
			    "and digits joined by '.', '_' or '-'",
			    Q(n));
			return;
		}
		if (!*e)
			break;
	}
}

static void check_image_name(struct ctx *c, const struct ynode *n)
{
	char qb[QBUF];
	long len = trailing_wildcard(c, n, "containerImageName");

	if (len < 0)
		return;
	if (memchr(n->str, '/', n->len) || memchr(n->str, ':', n->len)) {
		ERR(c, n, "bad-image",
		    "containerImageName '%s' must be the repository name alone, without registry, "
		    "path or tag (e.g. 'nginx')",
		    Q(n));
		return;
	}
	if (!image_component_ok(n->str, (size_t)len, len != (long)n->len))
		ERR(c, n, "bad-image",
		    "containerImageName '%s': use lower-case letters and digits joined by '.', '_' "
		    "or '-'",
		    Q(n));
}

static void check_tag(struct ctx *c, const struct ynode *n)
{
	char qb[QBUF];
	long len = trailing_wildcard(c, n, "containerImageTag");

	if (len < 0)
		return;
	if (len > 128) {
		ERR(c, n, "bad-value", "containerImageTag '%s' is longer than 128 characters", Q(n));
		return;
	}
	for (long i = 0; i < len; i++) {
		int ch = (unsigned char)n->str[i];

		if (is_alnum(ch) || ch == '_' || (i > 0 && (ch == '.' || ch == '-')))
			continue;
		ERR(c, n, "bad-value",
		    "containerImageTag '%s': a tag is letters, digits, '_', '.' and '-', not "
		    "starting with '.' or '-'",
		    Q(n));
		return;
	}
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

static void check_dns(struct ctx *c, const struct ynode *n, const char *key, int pod)
{
	char qb[QBUF];
	long len = trailing_wildcard(c, n, key);

	if (len < 0)
		return;
	if (!dns_ok(n->str, (size_t)len, pod ? 253 : 63, pod, len != (long)n->len))
		ERR(c, n, "bad-value",
		    pod ? "kubernetesPodName '%s' is not a valid pod name (lower-case letters, "
			  "digits, '-' and '.', at most 253)"
			: "kubernetesNamespace '%s' is not a valid namespace (lower-case letters, "
			  "digits and '-', at most 63)",
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

static void check_label(struct ctx *c, const struct ynode *n)
{
	char qb[QBUF];
	const char *colon = memchr(n->str, ':', n->len), *slash;
	const char *key = n->str, *val;
	size_t klen, vlen;
	int prefix = 0;

	if (!colon) {
		ERR(c, n, "bad-label",
		    "kubernetesPodLabel '%s' is not 'key:value' (write 'key:' for an empty value, "
		    "'key:*' for any)",
		    Q(n));
		return;
	}
	klen = colon - key;
	val = colon + 1;
	vlen = n->len - klen - 1;
	slash = memchr(key, '/', klen);
	if (slash) {
		if (!dns_ok(key, slash - key, 253, 1, 0)) {
			ERR(c, n, "bad-label", "kubernetesPodLabel '%s': invalid key prefix", Q(n));
			return;
		}
		klen -= slash + 1 - key;
		key = slash + 1;
	}
	if (!label_name_ok(key, klen, 0)) {
		ERR(c, n, "bad-label", "kubernetesPodLabel '%s': invalid key", Q(n));
		return;
	}
	if (vlen && val[vlen - 1] == '*') {
		vlen--;
		prefix = 1;
	}
	if (memchr(val, '*', vlen)) {
		ERR(c, n, "bad-wildcard", "kubernetesPodLabel '%s': '*' is only allowed at the end",
		    Q(n));
		return;
	}
	if ((vlen || prefix) && !label_name_ok(val, vlen, prefix))
		ERR(c, n, "bad-label", "kubernetesPodLabel '%s': invalid value", Q(n));
}

/* Checks one value of condition CI; returns 0, or -1 when reported. */
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
		const char *const *names = s->type == D4C_TYPE_FILE ? file_ops : process_ops;
		size_t nn = s->type == D4C_TYPE_FILE ? ARRAY_SIZE(file_ops)
						     : ARRAY_SIZE(process_ops);
		unsigned other = !s->type;

		op = d4c_op_parse(s->type, n->str);
		if (op >= 0) {
			s->ops |= 1u << op;
			return 0;
		}
		if (d4c_op_parse(other, n->str) >= 0)
			ERR(c, n, "unknown-operation", "'%s' is a %s operation, not a %s one", Q(n),
			    type_names[other], type_names[s->type]);
		else
			ERR(c, n, "unknown-operation", "unknown %s operation '%s'%s",
			    type_names[s->type], Q(n), did_you_mean(sb, sizeof(sb), n->str, names, nn));
		return -1;
	}
	case VK_PATH:
		return check_path(c, n, key);
	case VK_COMM:
		return trailing_wildcard(c, n, key) < 0 ? -1 : 0;
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

/* Checks a list of scalars; returns 0 when it is one (items may still be bad). */
static int expect_list(struct ctx *c, const struct ynode *key, const struct ynode *v,
		       const char *what)
{
	char qb[QBUF];

	if (v->type != Y_SEQ) {
		if (v->type == Y_SCALAR && !ytree_is_null(v))
			ERR(c, v, "type", "'%s' must be a list of %s, not a string (write ['%s'])",
			    key->str, what, Q(v));
		else if (ytree_is_null(v))
			ERR(c, v, "empty-value", "'%s' is empty (it must be a non-empty list of %s)",
			    key->str, what);
		else
			ERR(c, v, "type", "'%s' must be a list of %s, not %s", key->str, what,
			    ytree_describe(v));
		return -1;
	}
	if (v->n == 0) {
		ERR(c, v, "empty-value", "'%s' is an empty list", key->str);
		return -1;
	}
	return 0;
}

/* A list item that must be a non-empty string; returns 0 when it is one. */
static int expect_string_item(struct ctx *c, const struct ynode *key, const struct ynode *it)
{
	if (it->type != Y_SCALAR) {
		ERR(c, it, "type", "'%s' values must be strings, not %s", key->str,
		    ytree_describe(it));
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

			if (b->type == Y_SCALAR && a->len == b->len && !memcmp(a->str, b->str, a->len)) {
				WARN(c, a, "duplicate-value", "'%s' lists '%s' twice", key->str, Q(a));
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

static void parse_selector(struct ctx *c, unsigned type, const struct ynode *m,
			   struct pol_selector *s)
{
	const char *keys[PC_NCONDS + 2];
	char sb[96];
	int nconds = 0, unknown = 0, errors_before = c->errors;

	memset(s, 0, sizeof(*s));
	s->type = type;
	all_cond_keys(type, keys);
	(void)errors_before;
	for (size_t i = 0; i < m->n; i++) {
		const struct ynode *k = m->keys[i], *v = m->items[i];
		int ci;

		if (!strcmp(k->str, "name")) {
			if (v->type == Y_SCALAR && (ytree_is_null(v) || v->len == 0)) {
				ERR(c, ytree_is_null(v) && v->len == 0 ? k : v, "empty-value",
				    "selector 'name' is empty");
				s->bad = 1;
				continue;
			}
			if (v->type != Y_SCALAR) {
				ERR(c, v, "type", "selector 'name' must be a string, not %s",
				    ytree_describe(v));
				s->bad = 1;
				continue;
			}
			s->name = xstrndup(v->str, v->len);
			s->line = v->line;
			s->col = v->col;
			check_name(c, v);
			continue;
		}
		for (ci = 0; ci < PC_NCONDS; ci++)
			if (!strcmp(k->str, conds[ci].key))
				break;
		if (ci == PC_NCONDS) {
			ERR(c, k, "unknown-key", "unknown selector key '%s'%s", k->str,
			    did_you_mean(sb, sizeof(sb), k->str, keys, count_keys(keys)));
			unknown++;
			continue;
		}
		if (!(conds[ci].types & (1u << type))) {
			ERR(c, k, "unknown-key", "'%s' is a %s condition, not allowed in a %s selector",
			    k->str, type_names[!type], type_names[type]);
			unknown++;
			continue;
		}
		nconds++;
		s->cond[ci].present = 1;
		s->cond[ci].line = k->line;
		s->cond[ci].col = k->col;
		if (conds[ci].kind == VK_BOOL) {
			int b = ytree_bool(v);

			if (b < 0) {
				char qb[QBUF];

				if (ytree_is_null(v))
					ERR(c, v->len ? v : k, "empty-value",
					    "'%s' is empty (it must be true or false)", k->str);
				else if (v->type == Y_SCALAR && v->quoted &&
					 (!strcmp(v->str, "true") || !strcmp(v->str, "false")))
					ERR(c, v, "type",
					    "'%s' must be a boolean, not the string '%s' (remove the quotes)",
					    k->str, Q(v));
				else if (v->type == Y_SCALAR)
					ERR(c, v, "type", "'%s' must be true or false, not '%s'", k->str,
					    Q(v));
				else
					ERR(c, v, "type", "'%s' must be true or false, not %s", k->str,
					    ytree_describe(v));
				continue;
			}
			s->cond[ci].b = b;
			continue;
		}
		if (expect_list(c, k, v, ci == PC_OPERATION ? "operations" : "strings"))
			continue;
		warn_duplicates(c, k, v);
		s->cond[ci].v = xcalloc(v->n, sizeof(struct pol_value));
		for (size_t j = 0; j < v->n; j++) {
			const struct ynode *it = v->items[j];

			if (expect_string_item(c, k, it) || check_value(c, s, (enum pol_cond)ci, it))
				continue;
			s->cond[ci].v[s->cond[ci].n++] = value_of(it);
		}
	}
	if (s->cond[PC_OPERATION].present && !s->ops)
		s->bad = 1; /* every operation misspelled: not "any operation" */
	if (!s->name) {
		if (!ytree_get(m, "name"))
			ERR(c, m, "missing-key", "%s selector has no 'name'", type_names[type]);
	} else if (nconds == 0 && !unknown) {
		ERR(c, m, "no-conditions", "selector '%s' has no conditions", s->name);
	}
	for (size_t e = 0; e < ARRAY_SIZE(exclusive); e++) {
		const struct pol_cond_val *a = &s->cond[exclusive[e][0]], *b = &s->cond[exclusive[e][1]];
		struct ynode at = { .line = b->line, .col = b->col };

		if (a->present && b->present) {
			if (a->line > b->line || (a->line == b->line && a->col > b->col)) {
				at.line = a->line;
				at.col = a->col;
			}
			ERR(c, &at, "exclusive", "'%s' and '%s' cannot both be in one selector",
			    conds[exclusive[e][0]].key, conds[exclusive[e][1]].key);
		}
	}
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
			    "'%s' is a %s selector; a %s response can only name %s selectors", Q(it),
			    type_names[!type], type_names[type], type_names[type]);
		else
			ERR(c, it, "unknown-selector", "unknown %s selector '%s'%s", type_names[type],
			    Q(it), did_you_mean(sb, sizeof(sb), it->str, names, nn));
	}
	free(names);
	return mask;
}

static int path_is_everything(const struct pol_selector *s)
{
	const struct pol_cond_val *cv = &s->cond[s->type == D4C_TYPE_FILE ? PC_TARGET_FILE_PATH
									 : PC_PROCESS_EXECUTABLE];

	for (size_t i = 0; i < cv->n; i++)
		if (!strcmp(cv->v[i].s, "/**"))
			return 1;
	return 0;
}

#define PLAIN_FILE_OPS                                                                          \
	((1u << D4C_OP_CREATE_FILE) | (1u << D4C_OP_MODIFY_FILE) | (1u << D4C_OP_DELETE_FILE))

static void parse_response(struct ctx *c, unsigned type, const struct ynode *m,
			   struct pol_response *r)
{
	static const char *const keys[] = { "match", "exclude", "actions" };
	const struct ynode *match = NULL, *exclude = NULL, *actions = NULL, *block_at = NULL;
	const struct ynode *mkey = NULL, *xkey = NULL, *akey = NULL;
	struct pol_selector **msel = NULL, **xsel = NULL;
	size_t nmsel = 0, nxsel = 0;
	char qb[QBUF], sb[96];

	memset(r, 0, sizeof(*r));
	r->type = type;
	r->line = m->line;
	r->col = m->col;
	for (size_t i = 0; i < m->n; i++) {
		const struct ynode *k = m->keys[i], *v = m->items[i];

		if (!strcmp(k->str, "match") || !strcmp(k->str, "exclude") ||
		    !strcmp(k->str, "actions")) {
			if (expect_list(c, k, v, strcmp(k->str, "actions") ? "selector names" : "actions"))
				continue;
			warn_duplicates(c, k, v);
			if (k->str[0] == 'm')
				match = v, mkey = k;
			else if (k->str[0] == 'e')
				exclude = v, xkey = k;
			else
				actions = v, akey = k;
			continue;
		}
		ERR(c, k, "unknown-key", "unknown response key '%s'%s", k->str,
		    did_you_mean(sb, sizeof(sb), k->str, keys, ARRAY_SIZE(keys)));
	}
	if (!ytree_get(m, "match"))
		ERR(c, m, "missing-key", "%s response has no 'match'", type_names[type]);
	if (!ytree_get(m, "actions"))
		ERR(c, m, "missing-key", "%s response has no 'actions'", type_names[type]);
	if (match) {
		msel = xcalloc(match->n, sizeof(*msel));
		r->match = resolve_names(c, type, mkey, match, msel, &nmsel);
	}
	if (exclude) {
		xsel = xcalloc(exclude->n, sizeof(*xsel));
		r->exclude = resolve_names(c, type, xkey, exclude, xsel, &nxsel);
	}
	if (actions) {
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
	}
	if (block_at && !(r->actions & D4C_ACTION_ALERT))
		ERR(c, block_at, "block-needs-alert", "'block' requires 'alert' in the same response");
	if (r->match & r->exclude) {
		for (size_t i = 0; i < nmsel; i++)
			if (r->exclude & (1ull << msel[i]->bit)) {
				const struct ynode *at = m;

				for (size_t j = 0; j < exclude->n; j++)
					if (exclude->items[j]->type == Y_SCALAR &&
					    !strcmp(exclude->items[j]->str, msel[i]->name)) {
						at = exclude->items[j];
						break;
					}
				WARN(c, at, "never-applies",
				     "selector '%s' is in both 'match' and 'exclude': it never makes this "
				     "response apply",
				     msel[i]->name);
				break;
			}
	}
	if (block_at) {
		int excluded_by_path = 0;

		for (size_t i = 0; i < nxsel; i++)
			if (xsel[i]->cond[PC_TARGET_FILE_PATH].present)
				excluded_by_path = 1;
		uint64_t seen = 0;

		for (size_t i = 0; i < nmsel && match; i++) {
			struct pol_selector *s = msel[i];
			const struct ynode *at = NULL;

			/* Listed twice, or already reported: say it once. */
			if (s->bad || (seen & (1ull << s->bit)))
				continue;
			seen |= 1ull << s->bit;

			for (size_t j = 0; j < match->n && !at; j++)
				if (match->items[j]->type == Y_SCALAR &&
				    !strcmp(match->items[j]->str, s->name))
					at = match->items[j];
			if (type == D4C_TYPE_FILE && !excluded_by_path &&
			    !s->cond[PC_TARGET_FILE_PATH].present &&
			    (s->ops == 0 || (s->ops & PLAIN_FILE_OPS)))
				ERR(c, at, "block-needs-path",
				    "blocking through selector '%s' would refuse createFile, modifyFile "
				    "or deleteFile on every path: give it a targetFilePath (or exclude "
				    "with one)",
				    s->name);
			else if (path_is_everything(s))
				WARN(c, at, "broad-block",
				     "selector '%s' blocks under '/**', that is on every path", s->name);
			else if (type == D4C_TYPE_PROCESS && s->cond[PC_PROCESS_NAME].present &&
				 !s->cond[PC_PROCESS_EXECUTABLE].present)
				WARN(c, at, "block-by-name",
				     "selector '%s' blocks by processName only: a copy or hard link of "
				     "the program under another name is not that name (a "
				     "selector with processExecutable blocks the file wherever it is "
				     "linked)",
				     s->name);
		}
	}
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
			ERR(c, tm->keys[i], "unknown-key", "unknown key '%s' in '%s'%s",
			    tm->keys[i]->str, type_names[type],
			    did_you_mean(sb, sizeof(sb), tm->keys[i]->str, keys, 2));
	sels = type_list(c, tkey, tm, "selectors");
	resps = type_list(c, tkey, tm, "responses");
	c->sel_listed[type] = sels != NULL;
	if (sels) {
		t->sel = xcalloc(sels->n, sizeof(*t->sel));
		for (size_t i = 0; i < sels->n; i++) {
			const struct ynode *it = sels->items[i];
			struct pol_selector *s = &t->sel[t->nsel];

			if (t->nsel == budget) {
				ERR(c, it, "limit",
				    "too many %s selectors: at most %d selectors and responses per type",
				    type_names[type], D4C_MAX_SELECTORS);
				c->limit_hit[type] = 1;
				break;
			}
			if (it->type != Y_MAP) {
				ERR(c, it, "type", "a %s selector must be a mapping, not %s",
				    type_names[type], ytree_describe(it));
				continue;
			}
			parse_selector(c, type, it, s);
			if (s->name) {
				struct pol_selector *dup = find_selector(c->p, type, s->name);

				if (dup && dup != s) {
					struct ynode at = { .line = s->line, .col = s->col };

					s->bad = 1;
					ERR(c, &at, "duplicate-name",
					    "duplicate %s selector name '%s' (first at line %d)",
					    type_names[type], s->name, dup->line);
				}
			}
			s->bit = (unsigned)t->nsel++;
		}
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
			    type_names[type], D4C_MAX_SELECTORS);
			c->limit_hit[type] = 1;
			break;
		}
		if (it->type != Y_MAP) {
			ERR(c, it, "type", "a %s response must be a mapping, not %s", type_names[type],
			    ytree_describe(it));
			continue;
		}
		parse_response(c, type, it, &t->resp[t->nresp++]);
	}
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
	int empty, misspelled = 0;

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
			if (v->type != Y_SCALAR || ytree_is_null(v))
				ERR(&c, v, "type", "'version' must be a string, not %s",
				    ytree_describe(v));
			else
				c.p->version = xstrndup(v->str, v->len);
			continue;
		}
		if (!strcmp(k->str, "file"))
			type = D4C_TYPE_FILE;
		else if (!strcmp(k->str, "process"))
			type = D4C_TYPE_PROCESS;
		else {
			const char *near = suggest(k->str, top_keys, ARRAY_SIZE(top_keys));

			ERR(&c, k, "unknown-key", "unknown top-level key '%s'%s", k->str,
			    did_you_mean(sb, sizeof(sb), k->str, top_keys, ARRAY_SIZE(top_keys)));
			/* 'proccess:' is nearly always 'process:' mistyped: check what is
			 * under it as that section, so that its other errors are found
			 * in this run and not the next. Not when the real key is there
			 * too (the two would be mixed) or a typo already stands for it. */
			if (!near || !strcmp(near, "version") || ytree_get(root, near) ||
			    v->type != Y_MAP)
				continue;
			type = strcmp(near, "file") ? D4C_TYPE_PROCESS : D4C_TYPE_FILE;
			if (c.p->t[type].present)
				continue;
			misspelled = 1;
		}
		if (v->type != Y_MAP) {
			ERR(&c, v->type == Y_SCALAR && v->len == 0 ? k : v, "type",
			    "'%s' must be a mapping with 'selectors' and 'responses', not %s", k->str,
			    ytree_describe(v));
			continue;
		}
		c.p->t[type].present = 1;
		parse_type_selectors(&c, type, k, v, &resps[type]);
	}
	/* a misspelled section already has its error, naming the key meant */
	if (!ytree_get(root, "file") && !ytree_get(root, "process") && !misspelled)
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
				     "%s selector '%s' is not used by any response", type_names[t],
				     s->name);
		}
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
			 "file is larger than %u bytes (1 MiB): not a policy", POLICY_MAX_FILE_SIZE);
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
