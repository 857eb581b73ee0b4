/*
 * outputs.h - where d4c-ship writes lines besides Elasticsearch: a file
 * (appended to, rotated by size, written by a thread of its own, never
 * left ending in part of a line), stdout, and the dead letters, one record
 * per event that cannot be delivered, saying why.
 */
#ifndef D4C_SHIP_OUTPUTS_H
#define D4C_SHIP_OUTPUTS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "jsonw.h"

struct shipper;

/* An output's buffer is written out once it holds this much. */
#define OUT_FLUSH (256u << 10)

struct out {
	const char *path; /* NULL: stdout or stderr */
	int fd;
	char *buf;
	size_t len;
	uint64_t size; /* of the file so far */
	uint64_t max; /* rotate past this (0: never) */
	unsigned keep;
	bool regular; /* a regular file: cut back to whole lines when a write fails */
	/*
	 * --file's writer thread: the kernel's copy of each buffer into the
	 * page cache (a third of d4c-ship's time to a file, tmpfs or not)
	 * overlaps the reading and checking of the next. Two buffers: BUF is
	 * filled while WBUF, when set, is being written; SPARE is BUF's
	 * successor once the thread is done with it.
	 */
	bool async;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	char *wbuf, *spare;
	size_t wlen;
	int werr; /* errno of the first failed write */
};

/* Opens PATH for appending (a torn last line cut), or, PATH NULL, uses FD.
 * Dies when PATH cannot be opened. */
void out_open(struct out *o, const char *path, int fd);
/* Appends LEN bytes and a newline; dies when they cannot be written. */
void out_line(struct out *o, const char *line, size_t len);
/* Writes out (or hands the writer thread) what is buffered. */
void out_flush(struct out *o);

/* Dead letters by reason: these, and the last, refused by the cluster (4xx). */
#define DL_TYPES 5

struct dead_letters {
	struct out out;
	struct jsonw w; /* builds the records */
	uint64_t n; /* dead-lettered so far */
	uint64_t by_type[DL_TYPES + 1];
};

/*
 * One dead-letter record: the error (STATUS 0: none), where it was going
 * (INDEX, ID, LINENO: when known), and the event, as JSON when IS_JSON
 * (a valid object), else as a string, cut when long. TYPE is one of
 * invalid_json, line_too_long, no_data_stream, request_too_large,
 * spool_record, or the cluster's error type. Warns too, at first.
 */
void dead_letter(struct dead_letters *dl, const char *line, size_t len, bool is_json, int status,
		 const char *type, const char *reason, const char *index, const char *id,
		 uint64_t lineno);
/* " (invalid_json=1 refused=2)": the dead letters by reason, "" if none. */
void dl_summary(const struct dead_letters *dl, char *by, size_t n);

/* Opens the dead letters, --file (with its writer thread) and --stdout. */
void outputs_open(struct shipper *sh);

#endif
