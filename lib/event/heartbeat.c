/*
 * heartbeat - d4c-load's liveness record for metrics-cloud_defend.heartbeat
 * (see heartbeat.h). Its fields are those the integration's heartbeat data
 * stream maps and Kibana reads: @timestamp, agent, and
 * cloud_defend.block_action_enabled; the policy's id and revision say which
 * policy that was. d4c-enrich adds agent.id and host, d4c-ship routes it by
 * event.dataset and Elasticsearch's ingest pipeline sets event.ingested.
 */
#include "config.h"

#include <time.h>

#include "event.h"
#include "heartbeat.h"
#include "names.h"
#include "util.h"

void heartbeat_init(struct heartbeat *hb, bool enabled, unsigned interval_sec)
{
	hb->enabled = enabled;
	hb->interval_ns = interval_sec * 1000000000ull;
	hb->next_ns = 0; /* the first one at once */
}

bool heartbeat_due(const struct heartbeat *hb, uint64_t now_ns)
{
	if (!hb->enabled)
		return false;
	if (!hb->next_ns)
		return true;
	return hb->interval_ns && now_ns >= hb->next_ns;
}

int heartbeat_wait_ms(const struct heartbeat *hb, uint64_t now_ns, int max_ms)
{
	uint64_t left_ms;

	if (!hb->enabled || !hb->interval_ns || !hb->next_ns)
		return max_ms;
	/* rounded up: a wake-up a little early would miss it by a whole poll */
	left_ms = hb->next_ns > now_ns ? (hb->next_ns - now_ns + 999999) / 1000000 : 0;
	return left_ms < (uint64_t)max_ms ? (int)left_ms : max_ms;
}

int heartbeat_write(struct heartbeat *hb, struct jsonw *w, uint64_t now_ns, const char *policy_id,
		    uint64_t revision, bool blocks)
{
	jsonw_obj_begin(w);
	event_put_base(w, clock_ns(CLOCK_REALTIME));
	jsonw_key(w, "event");
	jsonw_obj_begin(w);
	jsonw_kv_str(w, "kind", "metric");
	jsonw_kv_str(w, "dataset", D4C_DATASET_HEARTBEAT);
	jsonw_kv_str(w, "module", "cloud_defend");
	jsonw_obj_end(w);
	jsonw_key(w, "cloud_defend");
	jsonw_obj_begin(w);
	jsonw_kv_bool(w, "block_action_enabled", blocks);
	jsonw_kv_str(w, "package_policy_id", policy_id);
	jsonw_kv_u64(w, "package_policy_revision", revision);
	jsonw_obj_end(w);
	jsonw_obj_end(w);
	/* a missed beat is not made up for: the next one is an interval on */
	hb->next_ns = (now_ns ? now_ns : 1) + hb->interval_ns;
	return jsonw_end_line(w);
}
