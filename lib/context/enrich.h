/*
 * enrich.h - the transform of d4c-enrich: one NDJSON event line in, the
 * same line out with container.*, orchestrator.*, host.*, process ancestry
 * and ECS base fields filled in (events.md).
 *
 * The hot path never builds a document: jscan finds the few members that
 * matter in one pass, and the output is the input's bytes with
 * pre-serialized fragments spliced in (objects that exist are replaced in
 * place, new ones appended), so no key is ever written twice. Fragments
 * are cached per container, per process and for the host.
 *
 * Where context is not known (a container whose state files are not
 * readable yet, a pod the kubelet has not listed, an ancestor that is
 * gone), the event says so in cloud_defend.context_pending, a list of the
 * field names left out (MISS_* below).
 *
 * One thread: not thread-safe. Kubelet snapshots are handed in.
 */
#ifndef D4C_ENRICH_H
#define D4C_ENRICH_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "kubelet.h"

/* The fields an event can lack, as named in context_pending and in the
 * metric record's "missing" object. */
enum {
	MISS_CTR_ID,
	MISS_CTR_NAME,
	MISS_CTR_IMAGE,
	MISS_NAMESPACE,
	MISS_POD_NAME,
	MISS_LABELS,
	MISS_PARENT,
	MISS_GROUP_LEADER,
	MISS_SESSION_LEADER,
	MISS_ENTRY_LEADER,
	MISS_N
};
extern const char *const enrich_miss_names[MISS_N];
/* The misses that waiting can cure (container and pod metadata): only
 * these make an event wait under --wait-context. */
#define MISS_WAITABLE                                                           \
	((1u << MISS_CTR_ID) | (1u << MISS_CTR_NAME) | (1u << MISS_CTR_IMAGE) | \
	 (1u << MISS_NAMESPACE) | (1u << MISS_POD_NAME) | (1u << MISS_LABELS))

struct enrich_config {
	const char *root; /* prefix of /proc and the runtimes' state ("": /) */
	const char *cluster_id; /* orchestrator.cluster.id, or NULL */
	const char *cluster_name; /* orchestrator.cluster.name, or NULL */
	const char *agent_id; /* agent.id (NULL: the host id) */
	const char *host_json; /* the host object as JSON (NULL: from the node) */
	const char *boot_id; /* as in entity ids (NULL: read, dashes dropped) */
	size_t max_processes; /* process table size (0: 65536) */
	size_t max_containers; /* container cache size (0: 4096) */
	unsigned container_ttl; /* seconds an unseen container is kept (0: 300) */
	int kubelet; /* labels are expected from the kubelet */
};

struct enrich_stats {
	uint64_t read, written, full, partial, none, invalid, too_long, passed, metrics;
	uint64_t held, released_late;
	uint64_t missing[MISS_N];
	uint64_t proc_reads, evictions;
	uint64_t processes, containers;
};

struct enrich;

struct enrich *enrich_new(const struct enrich_config *cfg);
void enrich_free(struct enrich *E);

/* Replaces the kubelet snapshot (E owns it from now on; NULL keeps the old). */
void enrich_set_pods(struct enrich *E, struct kubelet_snapshot *s);
/* Replaces what the API server said of the cluster and the node (E owns
 * KC from now on; NULL keeps the old): orchestrator.cluster.id unless
 * configured, and cloud.* over what the node's DMI data says. */
void enrich_set_cluster(struct enrich *E, struct kube_cluster *kc);
/* Recomputes the host fragment (addresses change); no-op with host_json. */
void enrich_refresh_host(struct enrich *E);
/* Drops containers unseen for container_ttl seconds; NOW: monotonic ns. */
void enrich_expire(struct enrich *E, uint64_t now);

enum enrich_result {
	ENRICH_WRITTEN, /* the line went to OUT, enriched */
	ENRICH_PASSED, /* a metric record: copied to OUT unchanged */
	ENRICH_HOLD, /* context may come: nothing written (only with MAY_HOLD) */
	ENRICH_INVALID, /* not a JSON object: nothing written, WHY and AT say why */
};

/*
 * Enriches one line of LEN bytes (no newline; LINE[LEN] must be readable
 * and '\n' or '\0'). Appends the result and a newline to OUT. NOW is
 * CLOCK_MONOTONIC ns (for retries), INGESTED the CLOCK_REALTIME ns of
 * event.ingested. With MAY_HOLD, an event that lacks waitable context is
 * not written (ENRICH_HOLD) and nothing is counted: call again later with
 * MAY_HOLD 0 to write it as it then is. *MISSING gets the MISS_* bits.
 */
enum enrich_result enrich_line(struct enrich *E, const char *line, size_t len, int may_hold,
			       uint64_t now, uint64_t ingested, struct buf *out, unsigned *missing,
			       const char **why, size_t *at);

/* Only looks at LINE (same rules as enrich_line): ENRICH_INVALID with WHY
 * and AT, ENRICH_PASSED for a metric record, else ENRICH_WRITTEN (an
 * event to enrich). Changes nothing. */
enum enrich_result enrich_classify(struct enrich *E, const char *line, size_t len, const char **why,
				   size_t *at);

const struct enrich_stats *enrich_stats(struct enrich *E);
/* Counts for the caller's own records (lines too long, passed invalid). */
struct enrich_stats *enrich_stats_mut(struct enrich *E);

#endif
