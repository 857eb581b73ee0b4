/*
 * spool.h - a durable FIFO of records on disk, for at-least-once delivery:
 * a record is appended before it counts as read, read back in order,
 * and forgotten only once acknowledged.
 *
 * On disk, DIR holds:
 *   seg-NNNNNNNNNNNNNNNNNNNN.d4cs  segments: the 8-byte magic "D4CSPL01",
 *       then records, each a little-endian u32 length, a little-endian u32
 *       CRC-32 (zlib's) of the data, and the data;
 *   acked  "SEG OFF\n": everything before offset OFF of segment SEG is
 *       acknowledged; replaced atomically (written to acked.tmp, renamed);
 *   lock   held with flock() while a process uses the spool.
 * A segment is deleted once every record in it is acknowledged. A new
 * process starts a new segment; appends go to it until it reaches the
 * segment size.
 *
 * Recovery (spool_open): every unacknowledged record is checked. In the
 * newest segment a short or mismatching record is a torn tail (the writer
 * died mid-write): the file is truncated there. In an older segment it is
 * corruption: the rest of that segment is skipped, with a warning.
 *
 * Durability: appends are write()s into the page cache, so a killed
 * process (kill -9) loses nothing that spool_flush() wrote. Surviving a
 * power loss needs fdatasync(), done as sync_ms says: -1 never, 0 on
 * every spool_flush(), N at most every N ms (the last N ms of appends may
 * be lost with the machine). The acked file is never fsync'ed unless
 * sync_ms is 0: after a power loss it may be older than the truth, which
 * only means records are delivered again.
 */
#ifndef D4C_SPOOL_H
#define D4C_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SPOOL_MAX_RECORD (64u << 20)

/* A place in the spool: the byte offset OFF in segment SEG. */
struct spool_pos {
	uint64_t seg;
	uint64_t off;
};

struct spool_opts {
	uint64_t segment_size; /* start a new segment past this many bytes */
	uint64_t max_bytes;    /* spool_full() beyond this many unacknowledged bytes */
	int sync_ms;	       /* -1 never fdatasync, 0 on every flush, N every N ms */
};

/* What spool_open() found. */
struct spool_recovery {
	uint64_t records;	/* unacknowledged records, to be read again */
	uint64_t bytes;		/* their size on disk */
	uint64_t torn_bytes;	/* cut from the end of the newest segment */
	uint64_t corrupt_bytes; /* skipped in older segments (checksum or length wrong) */
	unsigned segments;	/* segment files kept */
};

struct spool;

/*
 * Opens (creating it, mode 0700, if needed) the spool in DIR and checks
 * it as described above. Returns 0, -EBUSY when another process holds
 * it, or another negative errno value (*SP untouched).
 */
int spool_open(struct spool **sp, const char *dir, const struct spool_opts *o,
	       struct spool_recovery *rec);
/* Flushes what is buffered and closes; acknowledgements are kept. */
void spool_close(struct spool *sp);

/* Buffers one record made of PLEN bytes of PRE then LEN bytes of DATA (a
 * small header of the caller's, without a copy; PLEN + LEN at most
 * SPOOL_MAX_RECORD). Returns 0 or a negative errno value (the spool is
 * then unusable). */
int spool_append(struct spool *sp, const void *pre, size_t plen, const void *data, size_t len);
/* Writes what is buffered (and fdatasyncs as sync_ms says): only then
 * can spool_read() see it. Returns 0 or a negative errno value. */
int spool_flush(struct spool *sp);

/*
 * The next record after the read cursor, in append order: returns 1 with
 * *DATA (valid until the next spool_read), *LEN and *END (the position
 * right after it, to pass to spool_ack), 0 when nothing more is flushed,
 * or a negative errno value.
 */
int spool_read(struct spool *sp, const void **data, size_t *len, struct spool_pos *end);

/* Acknowledges everything before POS (an END from spool_read) and deletes
 * the segments left with nothing to deliver. Returns 0 or a negative
 * errno value. */
int spool_ack(struct spool *sp, struct spool_pos pos);

/* Bytes of unacknowledged records, on disk or buffered. */
uint64_t spool_bytes(const struct spool *sp);
/* Whether spool_bytes() has reached max_bytes: stop appending. */
bool spool_full(const struct spool *sp);

#endif
