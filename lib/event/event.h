/*
 * event.h - what every d4c record has, written once: the base fields of
 * each record (../shared/docs/events.md) and the head of the metric
 * records of the pipeline's stages. The JSON writer (jsonw.h) knows no
 * schema; the records' shape starts here.
 */
#ifndef D4C_EVENT_H
#define D4C_EVENT_H

#include <stdbool.h>
#include <stdint.h>

#include "jsonw.h"

/* The ECS version d4c's records declare. */
#define D4C_ECS_VERSION "8.11.0"

/* Inside a record's object: @timestamp (UNIX_NS, nanoseconds since the
 * epoch), ecs.version and agent.type and version. */
void event_put_base(struct jsonw *w, uint64_t unix_ns);

/*
 * Begins the metric record of pipeline stage STAGE at UNIX_NS: its object,
 * the base fields, event.kind and dataset, then opens the "d4c" object with
 * stage and final. The caller adds its counters and ends both objects.
 */
void event_metric_begin(struct jsonw *w, uint64_t unix_ns, const char *stage, bool final);

#endif
