/*
 * heartbeat - d4c-load's liveness record, for the data stream
 * metrics-cloud_defend.heartbeat of Elastic's cloud_defend integration:
 * one record at start, then one every interval (the integration's period
 * is 30 minutes) and one after a policy change, each saying whether the
 * policy in force has blocking actions (cloud_defend.block_action_enabled),
 * which is what Kibana counts nodes by.
 */
#ifndef D4C_HEARTBEAT_H
#define D4C_HEARTBEAT_H

#include <stdbool.h>
#include <stdint.h>

#include "jsonw.h"

#define D4C_HEARTBEAT_DEFAULT_INTERVAL 1800 /* seconds: the integration's 30m */

struct heartbeat {
	uint64_t interval_ns; /* 0: only at start and on policy changes */
	uint64_t next_ns; /* CLOCK_MONOTONIC time of the next one */
	bool enabled;
};

/* Sets HB to beat every INTERVAL_SEC seconds (0: never by the clock);
 * ENABLED false turns it off altogether. */
void heartbeat_init(struct heartbeat *hb, bool enabled, unsigned interval_sec);

/* Whether a record is due at NOW_NS (CLOCK_MONOTONIC). */
bool heartbeat_due(const struct heartbeat *hb, uint64_t now_ns);

/* How long a poll at NOW_NS may wait so as not to delay the next record:
 * MAX_MS, or less when one is due sooner. */
int heartbeat_wait_ms(const struct heartbeat *hb, uint64_t now_ns, int max_ms);

/*
 * Writes one heartbeat line into W: the policy POLICY_ID at REVISION is in
 * force and BLOCKS or not. NOW_NS (CLOCK_MONOTONIC) starts the next
 * interval. Returns 0, or -1 if W cannot hold the line.
 */
int heartbeat_write(struct heartbeat *hb, struct jsonw *w, uint64_t now_ns, const char *policy_id,
		    uint64_t revision, bool blocks);

#endif
