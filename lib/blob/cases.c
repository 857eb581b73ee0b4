/* cases.c - read policy test cases (see cases.h). */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <stdlib.h>

#include <jansson.h>

#include "cases.h"
#include "policy.h"
#include "util.h"
#include "ytree.h"

/* A YAML node as JSON, so both input forms are read by one interpreter. */
static json_t *ynode_json(const struct ynode *n)
{
	json_t *j;

	switch (n->type) {
	case Y_SCALAR:
		if (ytree_bool(n) >= 0)
			return json_boolean(ytree_bool(n));
		if (ytree_is_null(n))
			return json_null();
		return json_stringn(n->str, n->len);
	case Y_SEQ:
		j = json_array();
		for (size_t i = 0; i < n->n; i++)
			json_array_append_new(j, ynode_json(n->items[i]));
		return j;
	case Y_MAP:
		j = json_object();
		for (size_t i = 0; i < n->n; i++)
			json_object_set_new(j, n->keys[i]->str, ynode_json(n->items[i]));
		return j;
	}
	return json_null();
}

static const struct {
	const char *key;
	unsigned ckey;
} ctx_keys[] = {
	{ "containerImageFullName", D4C_CK_IMAGE_FULL_NAME },
	{ "containerImageName", D4C_CK_IMAGE_NAME },
	{ "containerImageTag", D4C_CK_IMAGE_TAG },
	{ "kubernetesClusterId", D4C_CK_CLUSTER_ID },
	{ "kubernetesClusterName", D4C_CK_CLUSTER_NAME },
	{ "kubernetesNamespace", D4C_CK_NAMESPACE },
	{ "kubernetesPodName", D4C_CK_POD_NAME },
};

static const char *const case_keys[] = {
	"case",
	"type",
	"operation",
	"targetFilePath",
	"renamedFrom",
	"processExecutable",
	"processName",
	"interactive",
	"volumeMount",
	"volumeFile",
	"container",
	"containerImageFullName",
	"containerImageName",
	"containerImageTag",
	"kubernetesClusterId",
	"kubernetesClusterName",
	"kubernetesNamespace",
	"kubernetesPodName",
	"kubernetesPodLabel",
	"actions",
	"selectors",
};

struct cctx {
	const char *file;
	struct diag_list *dl;
	int line;
	int bad;
};

#define CERR(c, ...)                                                                             \
	do {                                                                                     \
		diag_add((c)->dl, (c)->file, (c)->line, 1, DIAG_ERROR, "bad-case", __VA_ARGS__); \
		(c)->bad = 1;                                                                    \
	} while (0)

static const char *own(struct d4c_case *k, const char *s)
{
	if (k->nstrs == sizeof(k->strs) / sizeof(k->strs[0]))
		die("too many strings in one case");
	return k->strs[k->nstrs++] = xstrdup(s);
}

static const char *get_str(struct cctx *c, struct d4c_case *k, json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	if (!v)
		return NULL;
	if (!json_is_string(v)) {
		CERR(c, "case field '%s' must be a string", key);
		return NULL;
	}
	return own(k, json_string_value(v));
}

static int get_bool(struct cctx *c, json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	if (!v)
		return 0;
	if (!json_is_boolean(v)) {
		CERR(c, "case field '%s' must be true or false", key);
		return 0;
	}
	return json_is_true(v);
}

static char **get_strv(struct cctx *c, json_t *o, const char *key, size_t *n)
{
	json_t *v = json_object_get(o, key), *it;
	char **out;
	size_t i;

	*n = 0;
	if (!v)
		return NULL;
	if (!json_is_array(v)) {
		CERR(c, "case field '%s' must be a list", key);
		return NULL;
	}
	out = xcalloc(json_array_size(v) + 1, sizeof(*out));
	json_array_foreach(v, i, it) {
		if (!json_is_string(it)) {
			CERR(c, "case field '%s' must be a list of strings", key);
			continue;
		}
		out[(*n)++] = xstrdup(json_string_value(it));
	}
	return out;
}

static void free_strv(char **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

/* Reports the fields of case O that are not case fields. */
static void check_keys(struct cctx *c, json_t *o)
{
	const char *key;
	json_t *val;

	json_object_foreach(o, key, val) {
		size_t i;

		for (i = 0; i < sizeof(case_keys) / sizeof(case_keys[0]); i++)
			if (!strcmp(key, case_keys[i]))
				break;
		if (i == sizeof(case_keys) / sizeof(case_keys[0]))
			CERR(c, "unknown case field '%s'", key);
	}
}

/* The event of case O: its type, operation and the fields of its type.
 * Returns 0, or -1 when it has no valid type or operation. */
static int case_event(struct cctx *c, json_t *o, struct d4c_case *k)
{
	const char *type = get_str(c, k, o, "type"), *op = get_str(c, k, o, "operation");
	int opn;

	if (!type || (strcmp(type, "file") && strcmp(type, "process"))) {
		CERR(c, "case needs 'type: file' or 'type: process'");
		return -1;
	}
	k->ev.type = strcmp(type, "file") ? D4C_TYPE_PROCESS : D4C_TYPE_FILE;
	opn = op ? d4c_op_parse(k->ev.type, op) : -1;
	if (opn < 0) {
		CERR(c, "case needs a %s 'operation'%s%s%s", type, op ? " ('" : "", op ? op : "",
		     op ? "' is not one)" : "");
		return -1;
	}
	k->ev.op = (unsigned)opn;
	if (k->ev.type == D4C_TYPE_FILE) {
		k->ev.path = get_str(c, k, o, "targetFilePath");
		k->ev.volume_mount = get_bool(c, o, "volumeMount");
		k->ev.volume_file = get_bool(c, o, "volumeFile");
		k->renamed_from = get_str(c, k, o, "renamedFrom");
		if (k->renamed_from && !k->ev.path)
			CERR(c, "'renamedFrom' needs 'targetFilePath' (the new name)");
		if (json_object_get(o, "processExecutable") || json_object_get(o, "processName") ||
		    json_object_get(o, "interactive"))
			CERR(c, "a file case has no process fields");
	} else {
		k->ev.path = get_str(c, k, o, "processExecutable");
		k->ev.name = get_str(c, k, o, "processName");
		k->ev.interactive = get_bool(c, o, "interactive");
		if (json_object_get(o, "targetFilePath") || json_object_get(o, "volumeMount") ||
		    json_object_get(o, "volumeFile") || json_object_get(o, "renamedFrom"))
			CERR(c, "a process case has no file fields");
	}
	return 0;
}

/* Where the container field with condition key CKEY goes in CT. */
static const char **ct_slot(struct d4c_container *ct, unsigned ckey)
{
	switch (ckey) {
	case D4C_CK_IMAGE_FULL_NAME:
		return &ct->image_full_name;
	case D4C_CK_IMAGE_NAME:
		return &ct->image_name;
	case D4C_CK_IMAGE_TAG:
		return &ct->image_tag;
	case D4C_CK_CLUSTER_ID:
		return &ct->cluster_id;
	case D4C_CK_CLUSTER_NAME:
		return &ct->cluster_name;
	case D4C_CK_NAMESPACE:
		return &ct->namespace;
	case D4C_CK_POD_NAME:
		return &ct->pod_name;
	}
	return NULL;
}

/* The container of case O: in one when it says so or names anything about one. */
static void case_container(struct cctx *c, json_t *o, struct d4c_case *k)
{
	if (get_bool(c, o, "container"))
		k->in_container = 1;
	for (size_t i = 0; i < sizeof(ctx_keys) / sizeof(ctx_keys[0]); i++) {
		const char *s = get_str(c, k, o, ctx_keys[i].key);

		if (!s)
			continue;
		k->in_container = 1;
		*ct_slot(&k->ct, ctx_keys[i].ckey) = s;
	}
	k->labels = get_strv(c, o, "kubernetesPodLabel", &k->ct.nlabels);
	k->ct.labels = (const char *const *)k->labels;
	if (k->labels)
		k->in_container = 1;
}

/* What case O expects: its actions, and its selectors when it lists them. */
static void case_expected(struct cctx *c, json_t *o, struct d4c_case *k)
{
	char **acts;
	size_t nacts;

	if (!json_object_get(o, "actions")) {
		CERR(c, "case needs 'actions' (the expected actions; [] for none)");
		return;
	}
	acts = get_strv(c, o, "actions", &nacts);
	for (size_t i = 0; i < nacts; i++) {
		if (!strcmp(acts[i], "log"))
			k->want_actions |= D4C_ACTION_LOG;
		else if (!strcmp(acts[i], "alert"))
			k->want_actions |= D4C_ACTION_ALERT;
		else if (!strcmp(acts[i], "block"))
			k->want_actions |= D4C_ACTION_BLOCK;
		else
			CERR(c, "unknown action '%s' in case", acts[i]);
	}
	free_strv(acts, nacts);
	if (json_object_get(o, "selectors")) {
		k->want_selectors = get_strv(c, o, "selectors", &k->nwant_selectors);
		if (!k->want_selectors)
			k->want_selectors = xcalloc(1, sizeof(char *));
	}
}

static void interpret(struct cctx *c, json_t *o, struct d4c_case *k)
{
	if (!json_is_object(o)) {
		CERR(c, "a case must be a mapping");
		return;
	}
	check_keys(c, o);
	k->name = json_is_string(json_object_get(o, "case")) ?
			  xstrdup(json_string_value(json_object_get(o, "case"))) :
			  NULL;
	if (case_event(c, o, k))
		return;
	case_container(c, o, k);
	case_expected(c, o, k);
}

static void push(struct d4c_case **v, size_t *n, size_t *cap)
{
	if (*n == *cap) {
		*cap = *cap ? 2 * *cap : 16;
		*v = xrealloc(*v, *cap * sizeof(**v));
	}
	memset(&(*v)[*n], 0, sizeof(**v));
}

/* The cases of NDJSON TEXT, one per non-empty line, appended to *V (*N, *CAP). */
static void ndjson_cases(struct cctx *c, const char *text, struct d4c_case **v, size_t *n,
			 size_t *cap)
{
	int line = 1;

	for (const char *p = text; *p; line++) {
		const char *eol = strchrnul(p, '\n');
		json_error_t je;
		json_t *o;

		if (strspn(p, " \t\r") < (size_t)(eol - p)) {
			o = json_loadb(p, eol - p, 0, &je);
			c->line = line;
			if (!o) {
				diag_add(c->dl, c->file, line, je.column > 0 ? je.column : 1,
					 DIAG_ERROR, "bad-case", "invalid JSON: %s", je.text);
				c->bad = 1;
			} else {
				push(v, n, cap);
				(*v)[*n].line = line;
				interpret(c, o, &(*v)[(*n)++]);
				json_decref(o);
			}
		}
		p = *eol ? eol + 1 : eol;
	}
}

/* The cases of YAML TEXT (LEN bytes), a list, appended to *V (*N, *CAP).
 * Returns 0, or -1 when it is no YAML or empty. */
static int yaml_cases(struct cctx *c, const char *text, size_t len, struct d4c_case **v, size_t *n,
		      size_t *cap)
{
	int empty;
	struct ynode *root = ytree_parse(text, len, c->file, c->dl, &empty);

	if (!root) {
		if (empty)
			diag_add(c->dl, c->file, 0, 0, DIAG_ERROR, "bad-case", "no test cases");
		return -1;
	}
	if (root->type != Y_SEQ) {
		diag_add(c->dl, c->file, root->line, root->col, DIAG_ERROR, "bad-case",
			 "test cases must be a list of mappings");
		c->bad = 1;
	}
	for (size_t i = 0; root->type == Y_SEQ && i < root->n; i++) {
		json_t *o = ynode_json(root->items[i]);

		c->line = root->items[i]->line;
		push(v, n, cap);
		(*v)[*n].line = c->line;
		interpret(c, o, &(*v)[(*n)++]);
		json_decref(o);
	}
	ytree_free(root);
	return 0;
}

int cases_parse(const char *text, size_t len, const char *display, struct diag_list *dl,
		struct d4c_case **out, size_t *nout)
{
	struct cctx c = { .file = display, .dl = dl };
	struct d4c_case *v = NULL;
	size_t n = 0, cap = 0;
	const char *p;

	if (ytree_check_text(text, len, display, dl))
		return -1;
	for (p = text; *p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'; p++)
		;
	if (*p == '{')
		ndjson_cases(&c, text, &v, &n, &cap);
	else if (yaml_cases(&c, text, len, &v, &n, &cap))
		return -1;
	if (!c.bad && n == 0) {
		diag_add(dl, display, 0, 0, DIAG_ERROR, "bad-case", "no test cases");
		c.bad = 1;
	}
	if (c.bad) {
		cases_free(v, n);
		return -1;
	}
	/* Only now: the array moved while it grew. */
	for (size_t i = 0; i < n; i++)
		v[i].ev.container = v[i].in_container ? &v[i].ct : NULL;
	*out = v;
	*nout = n;
	return 0;
}

int cases_load(const char *path, const char *display, struct diag_list *dl, struct d4c_case **out,
	       size_t *nout)
{
	size_t len;
	char *text;
	int err;

	err = read_whole_file(path, CASES_MAX_FILE_SIZE, &text, &len);
	if (err) {
		error("cannot read '%s': %s", display,
		      err == -EFBIG ? "larger than 16 MiB" : strerror(-err));
		return -2;
	}
	err = cases_parse(text, len, display, dl, out, nout);
	free(text);
	return err;
}

void cases_free(struct d4c_case *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < v[i].nstrs; j++)
			free(v[i].strs[j]);
		free_strv(v[i].labels, v[i].ct.nlabels);
		free_strv(v[i].want_selectors, v[i].nwant_selectors);
		free(v[i].name);
	}
	free(v);
}

void cases_decide(const struct blob *b, const struct d4c_case *c, struct d4c_verdict *v)
{
	struct d4c_event old = c->ev;
	struct d4c_verdict vo;

	match_event(b, &c->ev, v);
	if (!c->renamed_from)
		return;
	old.path = c->renamed_from;
	old.op = D4C_OP_DELETE_FILE;
	match_event(b, &old, &vo);
	v->selectors |= vo.selectors;
	v->actions |= vo.actions;
}
