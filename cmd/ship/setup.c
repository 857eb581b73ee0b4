/*
 * setup.c - d4c-ship --setup: installs in the cluster what its data
 * streams need (templates, ingest pipeline, lifecycle policy).
 *
 * What --setup installs mirrors what Fleet installs for Elastic's
 * cloud_defend integration, under d4c- names so neither overwrites the
 * other: an ingest pipeline and a lifecycle policy shared by the streams,
 * and per stream a component template (mappings and settings, "@package")
 * composed into an index template with ecs@mappings and the *@custom
 * component templates users edit. The index templates' priority (150) is
 * above the built-in logs-*-* / metrics-*-* (100) and below Fleet's (200),
 * so the integration, when installed, wins without d4c-ship's help.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ship.h"

#define D4C_TEMPLATE_PRIORITY 150
#define D4C_PIPELINE	      "d4c-cloud_defend"
#define D4C_LIFECYCLE	      "d4c-cloud_defend"

/* PUTs J at PATH; any answer but 200 ends the run (exit 5). WHAT names it. */
static void es_put(struct shipper *sh, const char *path, json_t *j, const char *what)
{
	char *body = json_dumps(j, JSON_COMPACT);
	char why[300];
	long status;

	if (!body)
		die("cannot encode %s", what);
	status = bulk_call(sh, "PUT", path, body, strlen(body));
	if (status != 200) {
		es_error(&sh->bulk.resp, why, sizeof(why));
		ship_fatal(sh, EXIT_REFUSED, "%s refused (%ld): %s", what, status, why);
	}
	free(body);
}

/* The JSON object in DIR/FILE; dies naming the file and line if it is not one. */
static json_t *load_template(const struct shipper *sh, const char *file)
{
	char *path = xasprintf("%s/%s", sh->opt.templates, file);
	json_error_t e;
	char *buf;
	size_t len;
	json_t *j;
	int r = read_whole_file(path, 1u << 20, &buf, &len);

	if (r)
		die("cannot read template '%s': %s", path, strerror(-r));
	j = json_loadb(buf, len, 0, &e);
	if (!j || !json_is_object(j))
		die("'%s:%d:%d': %s", path, e.line, e.column, j ? "not a JSON object" : e.text);
	free(buf);
	free(path);
	return j;
}

/*
 * Whether the index template NAME is Elastic's integration's (installed by
 * Fleet for the cloud_defend package): those are the ones to use when there.
 */
static bool integration_owns(struct shipper *sh, const char *name)
{
	const struct buf *resp = &sh->bulk.resp;
	char *path = xasprintf("/_index_template/%s", name);
	long status = bulk_call(sh, "GET", path, NULL, 0);
	json_t *j, *meta;
	const char *by, *pkg;
	bool owned;

	free(path);
	if (status != 200)
		return false;
	j = json_loadb(resp->p ? resp->p : "", resp->len, 0, NULL);
	meta = json_object_get(
		json_object_get(json_array_get(json_object_get(j, "index_templates"), 0),
				"index_template"),
		"_meta");
	by = json_string_value(json_object_get(meta, "managed_by"));
	pkg = json_string_value(json_object_get(json_object_get(meta, "package"), "name"));
	owned = (by && !strcmp(by, "fleet")) || (pkg && !strcmp(pkg, "cloud_defend"));
	json_decref(j);
	return owned;
}

static void setup_lifecycle(struct shipper *sh)
{
	long days = sh->opt.retention_days;
	json_t *j = load_template(sh, D4C_LIFECYCLE ".lifecycle.json");
	json_t *phases = json_object_get(json_object_get(j, "policy"), "phases");

	if (!json_is_object(phases))
		die("'%s/" D4C_LIFECYCLE ".lifecycle.json': no policy.phases", sh->opt.templates);
	if (!days) {
		json_object_del(phases, "delete");
	} else {
		char *age = xasprintf("%ldd", days);
		json_t *del = json_object_get(phases, "delete");

		if (!json_is_object(del))
			json_object_set_new(phases, "delete", del = json_object());
		json_object_set_new(del, "min_age", json_string(age));
		json_object_set_new(del, "actions", json_pack("{s:{}}", "delete"));
		free(age);
	}
	es_put(sh, "/_ilm/policy/" D4C_LIFECYCLE, j, "lifecycle policy '" D4C_LIFECYCLE "'");
	if (days)
		printf("installed lifecycle policy '%s': delete %ld days after rollover\n",
		       D4C_LIFECYCLE, days);
	else
		printf("installed lifecycle policy '%s': keep forever\n", D4C_LIFECYCLE);
	json_decref(j);
}

/* Installs the index template MINE at PATH for the data stream NAME of
 * TYPE (logs, metrics), composed of COMPONENT among others. */
static void put_index_template(struct shipper *sh, const char *name, const char *type,
			       const char *mine, const char *path, const char *component)
{
	char *what = xasprintf("index template '%s'", mine);
	json_t *t;

	/* ecs@mappings first, so its dynamic templates map what ours do not
	 * name; the @custom ones last, so that what users put there wins */
	t = json_pack("{s:[s+], s:{}, s:i, s:[s, s, s+, s+], s:[s, s+, s+], s:{s:s, s:s}}",
		      "index_patterns", name, "-*", "data_stream", "priority",
		      D4C_TEMPLATE_PRIORITY, "composed_of", "ecs@mappings", component, type,
		      "@custom", name, "@custom", "ignore_missing_component_templates",
		      "ecs@mappings", type, "@custom", name, "@custom", "_meta", "managed_by",
		      "d4c", "description",
		      "d4c's events, installed by d4c-ship --setup; Elastic's cloud_defend "
		      "integration's templates (priority 200) take precedence when installed");
	if (!t)
		die("cannot build index template '%s'", mine);
	es_put(sh, path, t, what);
	free(what);
	json_decref(t);
}

/* Installs the templates of the data stream NAME (e.g. logs-cloud_defend.process). */
static void setup_stream(struct shipper *sh, const char *name)
{
	const char *type = !strncmp(name, "logs-", 5) ? "logs" : "metrics";
	char *file = xasprintf("%s.json", name);
	char *mine = xasprintf("d4c-%s", name);
	char *path = xasprintf("/_index_template/%s", mine);
	char *component = xasprintf("d4c-%s@package", name);
	char *cpath = xasprintf("/_component_template/%s", component);
	char *what;
	json_t *pkg;

	if (integration_owns(sh, name)) {
		/* ours would be shadowed anyway; an old one of ours must not linger */
		long status = bulk_call(sh, "DELETE", path, NULL, 0);

		if (status == 200)
			printf("removed index template '%s': the integration's is installed\n",
			       mine);
		printf("using the integration's index template '%s' for '%s-*'\n", name, name);
		goto out;
	}
	pkg = load_template(sh, file);
	what = xasprintf("component template '%s'", component);
	es_put(sh, cpath, pkg, what);
	free(what);
	json_decref(pkg);
	put_index_template(sh, name, type, mine, path, component);
	printf("installed index template '%s' for '%s-*' from '%s/%s'\n", mine, name,
	       sh->opt.templates, file);
out:
	free(file);
	free(mine);
	free(path);
	free(component);
	free(cpath);
}

int ship_setup(struct shipper *sh)
{
	json_t *pipeline;

	bulk_probe(sh);
	setup_lifecycle(sh);
	pipeline = load_template(sh, D4C_PIPELINE ".pipeline.json");
	es_put(sh, "/_ingest/pipeline/" D4C_PIPELINE, pipeline,
	       "ingest pipeline '" D4C_PIPELINE "'");
	json_decref(pipeline);
	printf("installed ingest pipeline '%s'\n", D4C_PIPELINE);
	for (int s = 0; s < S_MAX; s++) {
		char *name = xstrndup(stream_prefix[s], strlen(stream_prefix[s]) - 1);

		setup_stream(sh, name);
		free(name);
	}
	return EXIT_OK;
}
