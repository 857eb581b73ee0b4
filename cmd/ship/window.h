/*
 * window.h - the events d4c-ship has taken and not yet seen acknowledged,
 * in order.
 *
 * Every event goes into the window when it is taken (or read back from the
 * spool) and leaves it, from the front, once it and all before it are
 * acknowledged or dead-lettered: the spool's acknowledged position is the
 * end of the last event that left. Requests take the oldest queued events,
 * those to be sent again first, so a retried item travels with new ones.
 */
#ifndef D4C_SHIP_WINDOW_H
#define D4C_SHIP_WINDOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "spool.h"

#define ID_LEN 22 /* a document _id (bulk.h: doc_id) */

enum { IT_QUEUED, IT_FLYING, IT_DONE };

struct item {
	char *line;
	size_t len;
	char id[ID_LEN + 1];
	unsigned char stream, state;
	bool has_end;
	uint64_t queued_ns; /* when it was taken: --batch-wait counts from here */
	struct spool_pos end; /* spool position after it */
};

struct window {
	struct item *it;
	size_t cap; /* a power of two */
	uint64_t head, tail; /* item numbers: [head, tail) are in the window */
	uint64_t first_queued; /* no queued item before this one */
	size_t queued, retries; /* items queued, and of them sent before */
	size_t live; /* items not done: they hold their line */
	uint64_t bytes, qbytes; /* of the lines held, and of the queued */
	/* window_full's bounds: items not done, their bytes, and the span */
	uint64_t max_live, max_bytes, max_span;
};

static inline struct item *win_at(const struct window *w, uint64_t k)
{
	return &w->it[k & (w->cap - 1)];
}

/* Whether the window holds as much as it may (struct window's bounds). */
bool window_full(const struct window *w);
/* Adds a copy of LINE, queued for STREAM, with its _id. */
void window_add(struct window *w, int stream, const char *line, size_t len);
/* Records END, the spool position after the record just read. */
void window_end(struct window *w, struct spool_pos end);
/* The queued item that has waited longest (the window has one queued). */
struct item *window_oldest(struct window *w);
/* Item IT, number K, sent and not taken, is queued again. */
void item_requeue(struct window *w, struct item *it, uint64_t k);
/* Item IT is acknowledged or dead-lettered: its line is freed. */
void item_done(struct window *w, struct item *it);
/* Lets the done front of the window go. Returns whether an item that
 * left carried a spool position, then *END is the last one. */
bool window_advance(struct window *w, struct spool_pos *end);

#endif
