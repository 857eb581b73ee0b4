/*
 * window.c - the events taken and not yet acknowledged (window.h).
 */
#include <stdlib.h>
#include <string.h>

#include "ship.h"

/*
 * A done item frees its line at once and only its slot waits for the
 * front: an old item retried again and again must not stop the rest (the
 * span is bounded too).
 */
bool window_full(const struct window *w)
{
	return w->live >= w->max_live || w->bytes >= w->max_bytes ||
	       w->tail - w->head >= w->max_span;
}

static struct item *window_push(struct window *w)
{
	struct item *it;

	if (w->tail - w->head == w->cap) {
		size_t cap = w->cap ? 2 * w->cap : 1024;
		struct item *n = xmalloc(cap * sizeof(*n));

		for (uint64_t k = w->head; k < w->tail; k++)
			n[k & (cap - 1)] = *win_at(w, k);
		free(w->it);
		w->it = n;
		w->cap = cap;
	}
	it = win_at(w, w->tail++);
	memset(it, 0, sizeof(*it));
	return it;
}

void window_add(struct window *w, int stream, const char *line, size_t len)
{
	struct item *it = window_push(w);

	it->line = xmalloc(len ? len : 1);
	memcpy(it->line, line, len);
	it->len = len;
	it->stream = stream;
	it->state = IT_QUEUED;
	it->queued_ns = now_ns();
	doc_id(line, len, it->id);
	w->queued++;
	w->live++;
	w->bytes += len;
	w->qbytes += len;
}

/*
 * The position goes to the last item when the record became one, else (a
 * record dead-lettered on reading) to an item of its own, already done.
 */
void window_end(struct window *w, struct spool_pos end)
{
	struct item *it = w->tail > w->head ? win_at(w, w->tail - 1) : NULL;

	if (!it || it->has_end) {
		it = window_push(w);
		it->state = IT_DONE;
	}
	it->end = end;
	it->has_end = true;
}

struct item *window_oldest(struct window *w)
{
	while (win_at(w, w->first_queued)->state != IT_QUEUED)
		w->first_queued++;
	return win_at(w, w->first_queued);
}

void item_requeue(struct window *w, struct item *it, uint64_t k)
{
	it->state = IT_QUEUED;
	w->queued++;
	w->retries++;
	w->qbytes += it->len;
	if (k < w->first_queued)
		w->first_queued = k;
}

void item_done(struct window *w, struct item *it)
{
	it->state = IT_DONE;
	w->live--;
	w->bytes -= it->len;
	free(it->line);
	it->line = NULL;
}

bool window_advance(struct window *w, struct spool_pos *end)
{
	bool has_end = false;

	while (w->head < w->tail && win_at(w, w->head)->state == IT_DONE) {
		struct item *it = win_at(w, w->head++);

		if (it->has_end) {
			*end = it->end;
			has_end = true;
		}
	}
	if (w->first_queued < w->head)
		w->first_queued = w->head;
	return has_end;
}
