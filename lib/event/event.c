/*
 * event.c - the parts every d4c record shares (see event.h).
 */
#include "config.h"

#include "event.h"
#include "names.h"

void event_put_base(struct jsonw *w, uint64_t unix_ns)
{
	jsonw_kv_time(w, "@timestamp", unix_ns);
	jsonw_key(w, "ecs");
	jsonw_obj_begin(w);
	jsonw_kv_str(w, "version", D4C_ECS_VERSION);
	jsonw_obj_end(w);
	jsonw_key(w, "agent");
	jsonw_obj_begin(w);
	jsonw_kv_str(w, "type", "d4c");
	jsonw_kv_str(w, "version", PACKAGE_VERSION);
	jsonw_obj_end(w);
}

void event_metric_begin(struct jsonw *w, uint64_t unix_ns, const char *stage, bool final)
{
	jsonw_obj_begin(w);
	event_put_base(w, unix_ns);
	jsonw_key(w, "event");
	jsonw_obj_begin(w);
	jsonw_kv_str(w, "kind", "metric");
	jsonw_kv_str(w, "dataset", D4C_DATASET_METRICS);
	jsonw_obj_end(w);
	jsonw_key(w, "d4c");
	jsonw_obj_begin(w);
	jsonw_kv_str(w, "stage", stage);
	jsonw_kv_bool(w, "final", final);
}
