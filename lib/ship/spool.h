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
 * Recovery (spool_open): every unacknowledged record is checked. Only an
 * incomplete last record at the very end of the newest segment is a torn
 * write (the writer died mid-write): the file is truncated there. Any
 * other bad record (a checksum that does not match, a length that cannot
 * be) is corruption: it is skipped up to the next valid record (found by
 * its length, else by a search byte by byte), and so is the segment's
 * end when none follows. A segment with a bad header is renamed NAME.bad,
 * a segment missing between others is reported. Each of these is one
 * warning on stderr naming the file, the offset and the bytes skipped.
 *
 * Acknowledgement is trusted only when it names the start or end of a
 * record of a segment there (or a segment older than all of them, deleted
 * once acknowledged); otherwise a warning names the acked file and every
 * segment is sent again: nothing unacknowledged is ever deleted. The
 * acked file is written before the segments it acknowledges are deleted.
 *
 * Ownership: the directory and every file in it must be the effective
 * user's own and writable by nobody else (the directory is created 0700,
 * files 0600); a record read back becomes a document in the cluster, and
 * another user's forged record must not.
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
	uint64_t max_bytes; /* spool_full() beyond this many unacknowledged bytes */
	int sync_ms; /* -1 never fdatasync, 0 on every flush, N every N ms */
};

/* What spool_open() found. */
struct spool_recovery {
	uint64_t records; /* unacknowledged records, to be read again */
	uint64_t bytes; /* their size on disk */
	uint64_t torn_bytes; /* cut from the end of the newest segment */
	uint64_t corrupt_bytes; /* skipped: checksum or length wrong, bad header */
	uint64_t corrupt_records; /* stretches of bad records skipped */
	unsigned segments; /* segment files kept */
};

struct spool;

/* Creates DIR (mode 0700) if needed and checks that it is the effective
 * user's own and writable by nobody else. Returns 0, or -1 after printing
 * why. */
int spool_dir(const char *dir);

/*
 * Opens (creating it, mode 0700, if needed) the spool in DIR and checks
 * it as described above. Returns 0, -EBUSY when another process holds
 * it, -EPERM after printing which file another user could have written,
 * or another negative errno value (*SP untouched).
 */
int spool_open(struct spool **sp, const char *dir, const struct spool_opts *o,
	       struct spool_recovery *rec);
/* Flushes what is buffered and closes; acknowledgements are kept. */
void spool_close(struct spool *sp);

/* Buffers one record made of PLEN bytes of PRE then LEN bytes of DATA (a
 * small header of the caller's, without a copy; PLEN + LEN from 1 to
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

/* Bytes spool_read() skipped as corrupt since spool_open() (each also
 * reported in a warning). */
uint64_t spool_skipped_bytes(const struct spool *sp);

/* Bytes of unacknowledged records, on disk or buffered. */
uint64_t spool_bytes(const struct spool *sp);
/* Whether spool_bytes() has reached max_bytes: stop appending. */
bool spool_full(const struct spool *sp);

#endif
