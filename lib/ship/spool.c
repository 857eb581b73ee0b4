/*
 * spool.c - the on-disk record queue behind d4c-ship's at-least-once
 * delivery (see spool.h for the format and the guarantees).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <zlib.h>

#include "spool.h"
#include "util.h"

#define MAGIC	   "D4CSPL01"
#define HDR	   8u /* magic */
#define RECHDR	   8u /* length, CRC-32 */
#define WBUF_FLUSH (256u << 10)
#define RBUF_MIN   (1u << 20)

/* Bytes [off, end) of a segment that hold no valid record. */
struct hole {
	uint64_t off, end;
};

struct seg {
	uint64_t id;
	uint64_t end; /* bytes of valid records (HDR included); written bytes for the newest */
	struct hole *holes; /* found and reported by recovery: the reader steps over them */
	size_t nholes;
};

struct spool {
	char *dir;
	int dirfd, lockfd;
	struct spool_opts o;
	struct seg *segs; /* oldest first; the last is the one appended to */
	size_t nsegs, capsegs;
	int wfd;
	char *wbuf;
	size_t wlen, wcap;
	bool unsynced;
	uint64_t last_sync_ns;
	struct spool_pos ack, rd;
	uint64_t skipped_bytes; /* by spool_read, since spool_open */
	int rfd;
	uint64_t rfd_seg;
	char *rbuf;
	size_t rcap, rlen; /* rbuf holds file bytes [roff, roff + rlen) of rfd_seg */
	uint64_t roff;
};

static uint64_t now_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

static void seg_name(char *buf, size_t n, uint64_t id)
{
	snprintf(buf, n, "seg-%020" PRIu64 ".d4cs", id);
}

static uint32_t get_le32(const unsigned char *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_le32(unsigned char *p, uint32_t v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

static ssize_t pread_all(int fd, void *buf, size_t len, uint64_t off)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = pread(fd, (char *)buf + got, len - got, off + got);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		got += n;
	}
	return got;
}

static struct seg *find_seg(struct spool *sp, uint64_t id)
{
	for (size_t i = 0; i < sp->nsegs; i++)
		if (sp->segs[i].id == id)
			return &sp->segs[i];
	return NULL;
}

static struct seg *add_seg(struct spool *sp, uint64_t id, uint64_t end)
{
	if (sp->nsegs == sp->capsegs) {
		sp->capsegs = sp->capsegs ? 2 * sp->capsegs : 16;
		sp->segs = xrealloc(sp->segs, sp->capsegs * sizeof(*sp->segs));
	}
	sp->segs[sp->nsegs] = (struct seg){ id, end, NULL, 0 };
	return &sp->segs[sp->nsegs++];
}

static void add_hole(struct hole **holes, size_t *n, uint64_t off, uint64_t end)
{
	if ((*n & (*n - 1)) == 0) /* 0, 1, 2, 4...: grow to the next power of two */
		*holes = xrealloc(*holes, (*n ? 2 * *n : 1) * sizeof(**holes));
	(*holes)[(*n)++] = (struct hole){ off, end };
}

/* The length of the valid record at P of BUF[0, N), or 0 when there is
 * none there (an empty record is never written: 8 zero bytes are not one). */
static uint64_t frame_at(const unsigned char *buf, uint64_t n, uint64_t p)
{
	uint32_t len;

	if (n - p < RECHDR)
		return 0;
	len = get_le32(buf + p);
	if (len == 0 || len > SPOOL_MAX_RECORD || len > n - p - RECHDR)
		return 0;
	if ((uint32_t)crc32(0, buf + p + RECHDR, len) != get_le32(buf + p + 4))
		return 0;
	return RECHDR + len;
}

/*
 * Where the next valid record after the bad one at P starts, or N when
 * none does. A flipped data or checksum byte leaves the length right, so
 * the record after it by that length is tried first; a damaged length
 * needs a search, byte by byte (cheap on NDJSON: its bytes read as
 * lengths far above SPOOL_MAX_RECORD).
 */
static uint64_t resync(const unsigned char *buf, uint64_t n, uint64_t p)
{
	uint64_t len = n - p >= RECHDR ? get_le32(buf + p) : 0;

	if (len && len <= SPOOL_MAX_RECORD && len <= n - p - RECHDR &&
	    (p + RECHDR + len == n || frame_at(buf, n, p + RECHDR + len)))
		return p + RECHDR + len;
	for (uint64_t q = p + 1; q < n; q++)
		if (frame_at(buf, n, q))
			return q;
	return n;
}

/* Whether the bad record at P of BUF[0, N) is one cut short by the end of
 * the data, as a writer killed mid-write leaves it. */
static bool incomplete(const unsigned char *buf, uint64_t n, uint64_t p)
{
	return n - p < RECHDR ||
	       (get_le32(buf + p) <= SPOOL_MAX_RECORD && get_le32(buf + p) > n - p - RECHDR);
}

/* What scan_seg() found in a segment's bytes. */
struct scan {
	uint64_t end; /* where the data ends: N, or where an incomplete record starts */
	uint64_t records; /* valid records at or after FROM */
	uint64_t bytes; /* and their size */
	bool from_ok; /* FROM is where a record, a hole or the data starts or ends */
	bool torn; /* [end, N) is one incomplete last record */
	struct hole *holes;
	size_t nholes;
};

/* Walks the records of a segment's bytes BUF[0, N), from the header on. */
static void scan_seg(const unsigned char *buf, uint64_t n, uint64_t from, struct scan *sc)
{
	uint64_t p = HDR;

	memset(sc, 0, sizeof(*sc));
	while (p < n) {
		uint64_t f = frame_at(buf, n, p), q;

		sc->from_ok |= p == from;
		if (f) {
			if (p >= from) {
				sc->records++;
				sc->bytes += f;
			}
			p += f;
			continue;
		}
		q = resync(buf, n, p);
		if (q == n && incomplete(buf, n, p)) {
			sc->torn = true;
			break;
		}
		add_hole(&sc->holes, &sc->nholes, p, q);
		p = q;
	}
	sc->from_ok |= p == from;
	sc->end = p;
}

/* Reads the whole segment open as FD, of SIZE bytes; NULL on a read error
 * (errno set). */
static unsigned char *read_seg(int fd, uint64_t size)
{
	unsigned char *buf = xmalloc(size ? size : 1);
	ssize_t n = pread_all(fd, buf, size, 0);

	if (n != (ssize_t)size) {
		free(buf);
		errno = n < 0 ? -n : EIO;
		return NULL;
	}
	return buf;
}

static int write_ack(struct spool *sp)
{
	char buf[64];
	int fd, r, n;

	n = snprintf(buf, sizeof(buf), "%" PRIu64 " %" PRIu64 "\n", sp->ack.seg, sp->ack.off);
	fd = openat(sp->dirfd, "acked.tmp", O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
		    0600);
	if (fd < 0)
		return -errno;
	r = write_all(fd, buf, n);
	if (!r && sp->o.sync_ms == 0 && fdatasync(fd))
		r = -errno;
	close(fd);
	if (!r && renameat(sp->dirfd, "acked.tmp", sp->dirfd, "acked"))
		r = -errno;
	return r;
}

static int new_segment(struct spool *sp, uint64_t id)
{
	char name[64];
	int fd, r;

	seg_name(name, sizeof(name), id);
	fd = openat(sp->dirfd, name,
		    O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	r = write_all(fd, MAGIC, HDR);
	if (r) {
		close(fd);
		return r;
	}
	if (sp->o.sync_ms >= 0)
		fsync(sp->dirfd); /* the new name survives a power loss */
	if (sp->wfd >= 0)
		close(sp->wfd);
	sp->wfd = fd;
	add_seg(sp, id, HDR);
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * Drops the segments everything of which is acknowledged (never the
 * newest). The acked file is written first (always when WRITE): a
 * segment is deleted only once the file says it is acknowledged, so that
 * after a crash a segment missing is one acknowledged, never one lost.
 * Returns 0 or a negative errno value.
 */
static int drop_acked(struct spool *sp, bool write)
{
	size_t k = 0;
	int r;

	while (k + 1 < sp->nsegs &&
	       (sp->segs[k].id < sp->ack.seg ||
		(sp->segs[k].id == sp->ack.seg && sp->ack.off >= sp->segs[k].end)))
		k++;
	if (k && sp->ack.seg < sp->segs[k].id) {
		sp->ack = (struct spool_pos){ sp->segs[k].id, HDR };
		write = true;
	}
	if (write && (r = write_ack(sp)))
		return r;
	for (size_t i = 0; i < k; i++) {
		char name[64];

		seg_name(name, sizeof(name), sp->segs[i].id);
		if (unlinkat(sp->dirfd, name, 0) && errno != ENOENT)
			return -errno;
		if (sp->rfd >= 0 && sp->rfd_seg == sp->segs[i].id) {
			close(sp->rfd);
			sp->rfd = -1;
		}
		free(sp->segs[i].holes);
	}
	if (k) {
		memmove(sp->segs, sp->segs + k, (sp->nsegs - k) * sizeof(*sp->segs));
		sp->nsegs -= k;
	}
	if (sp->rd.seg < sp->ack.seg)
		sp->rd = sp->ack;
	return 0;
}

int spool_dir(const char *dir)
{
	struct stat st;

	if (mkdir(dir, 0700) && errno != EEXIST)
		return error("cannot create spool directory '%s': %s", dir, strerror(errno));
	if (stat(dir, &st))
		return error("cannot open spool directory '%s': %s", dir, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return error("spool '%s' is not a directory", dir);
	return check_owned(dir, &st, 0);
}

/*
 * Opens NAME in the spool, refusing what another user could have written:
 * a spool record becomes a document in the cluster, and a forged alert is
 * worse than a lost one. Returns the descriptor, -EPERM after printing
 * why, or another negative errno value.
 */
static int open_trusted(struct spool *sp, const char *name, int flags)
{
	struct stat st;
	char *path;
	int fd, r = 0;

	/* O_NONBLOCK: a FIFO put there must not hang the open. */
	fd = openat(sp->dirfd, name, flags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		r = -errno;
		close(fd);
		return r;
	}
	path = xasprintf("%s/%s", sp->dir, name);
	if (!S_ISREG(st.st_mode))
		r = error("'%s' is not a regular file: refusing it", path);
	else
		r = check_owned(path, &st, 0);
	free(path);
	if (r) {
		close(fd);
		return -EPERM;
	}
	return fd;
}

/*
 * Reads the acknowledged position from the acked file into *ACK. Returns
 * 1 when there is one, 0 when there is no file, -1 (after a warning) when
 * the file says nothing sensible, -EPERM after printing why the file is
 * refused, or another negative errno value.
 */
static int read_ack(struct spool *sp, struct spool_pos *ack)
{
	char buf[128], tail;
	ssize_t n;
	int fd = open_trusted(sp, "acked", O_RDONLY);

	if (fd == -ENOENT)
		return 0;
	if (fd < 0)
		return fd;
	n = pread_all(fd, buf, sizeof(buf) - 1, 0);
	close(fd);
	if (n < 0)
		return n;
	buf[n] = '\0';
	/* Digits only: sscanf's %u takes "-1" as 2^64 - 1. */
	if (strspn(buf, "0123456789 \n") != (size_t)n ||
	    sscanf(buf, "%" SCNu64 " %" SCNu64 "%c", &ack->seg, &ack->off, &tail) != 3 ||
	    tail != '\n' || ack->seg > UINT64_MAX / 2) {
		warning("spool '%s/acked': not \"SEGMENT OFFSET\": sending every segment again",
			sp->dir);
		return -1;
	}
	return 1;
}

/*
 * Whether ACK (from the acked file) is a place in the segments IDS[0, N):
 * the start or end of a record of segment ACK.seg, or anywhere in a
 * segment older than all of them (deleted once acknowledged). Returns 1,
 * 0 (after a warning: nothing will be deleted on its word), or a negative
 * errno value.
 */
static int ack_valid(struct spool *sp, const struct spool_pos *ack, const uint64_t *ids, size_t n)
{
	char name[64], magic[HDR];
	const char *why = NULL;
	struct stat st;
	struct scan sc = { 0 };
	unsigned char *buf;
	size_t i;
	int fd;

	if (n == 0 || ack->seg < ids[0])
		return 1;
	for (i = 0; i < n && ids[i] != ack->seg; i++)
		;
	if (ack->seg > ids[n - 1])
		why = "a segment newer than any here";
	else if (i == n)
		why = "a segment that is missing";
	if (why)
		goto invalid;
	seg_name(name, sizeof(name), ack->seg);
	fd = open_trusted(sp, name, O_RDONLY);
	if (fd < 0)
		return fd;
	if (fstat(fd, &st) || !(buf = read_seg(fd, st.st_size))) {
		int r = -errno;

		close(fd);
		return r;
	}
	close(fd);
	memcpy(magic, buf, st.st_size < HDR ? st.st_size : HDR);
	if (ack->off < HDR || ack->off > (uint64_t)st.st_size || st.st_size < HDR ||
	    memcmp(magic, MAGIC, HDR)) {
		why = "a place beyond its segment";
	} else {
		scan_seg(buf, st.st_size, ack->off, &sc);
		free(sc.holes);
		if (!sc.from_ok)
			why = "a place inside a record";
	}
	free(buf);
	if (!why)
		return 1;
invalid:
	warning("spool '%s/acked' names %s (segment %" PRIu64 ", offset %" PRIu64
		"): deleting nothing, sending every segment again",
		sp->dir, why, ack->seg, ack->off);
	return 0;
}

/* Warns about the segments FROM..TO that should be there and are not,
 * unless recovery set them aside (a .bad file) and said so then. */
static void warn_missing(struct spool *sp, uint64_t from, uint64_t to)
{
	char name[80];

	if (from > to)
		return;
	if (from == to) {
		seg_name(name, sizeof(name), from);
		strcat(name, ".bad");
		if (!faccessat(sp->dirfd, name, F_OK, 0))
			return;
		seg_name(name, sizeof(name), from);
		warning("spool segment '%s/%s' is missing: its records are lost", sp->dir, name);
		return;
	}
	warning("spool '%s': segments %" PRIu64 " to %" PRIu64
		" are missing: their records are lost",
		sp->dir, from, to);
}

/* Keeps a segment whose header is wrong as NAME.bad: it is nobody's to
 * delete, and it must not be read again. */
static void set_aside(struct spool *sp, const char *name, uint64_t size, struct spool_recovery *rec)
{
	char bad[80];

	snprintf(bad, sizeof(bad), "%s.bad", name);
	warning("spool segment '%s/%s': bad header, %" PRIu64 " bytes skipped (kept as '%s')",
		sp->dir, name, size, bad);
	rec->corrupt_bytes += size;
	renameat(sp->dirfd, name, sp->dirfd, bad);
}

/* Opens the spool directory DIR of SP, checked, and locks it. Returns 0,
 * or a negative errno value (-EBUSY: another process has it). */
static int lock_dir(struct spool *sp, const char *dir)
{
	struct stat st;
	int r;

	if (spool_dir(dir))
		return -EPERM;
	sp->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (sp->dirfd < 0)
		return -errno;
	/* Checked again through the descriptor: what was checked is what is used. */
	if (fstat(sp->dirfd, &st))
		return -errno;
	if (check_owned(dir, &st, 0))
		return -EPERM;
	r = open_trusted(sp, "lock", O_RDWR | O_CREAT);
	if (r < 0)
		return r;
	sp->lockfd = r;
	if (flock(sp->lockfd, LOCK_EX | LOCK_NB))
		return errno == EWOULDBLOCK ? -EBUSY : -errno;
	return 0;
}

/* The numbers of the segment files in SP's directory, sorted, in *IDS
 * (*N of them; free it). Returns 0, or a negative errno value. */
static int list_segments(struct spool *sp, uint64_t **ids, size_t *n)
{
	size_t cap = 0;
	DIR *d = fdopendir(dup(sp->dirfd));
	struct dirent *de;

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		uint64_t id;
		char tail[8];

		if (sscanf(de->d_name, "seg-%20" SCNu64 ".%5s", &id, tail) != 2 ||
		    strcmp(tail, "d4cs"))
			continue;
		if (*n == cap) {
			cap = cap ? 2 * cap : 16;
			*ids = xrealloc(*ids, cap * sizeof(**ids));
		}
		(*ids)[(*n)++] = id;
	}
	closedir(d);
	qsort(*ids, *n, sizeof(**ids), cmp_u64);
	return 0;
}

/* The acknowledged position, checked against the segments IDS (N) before
 * anything is deleted on its word; none: everything is to be sent. Returns
 * 1 when there is one, 0 when not, or a negative errno value. */
static int recover_ack(struct spool *sp, const uint64_t *ids, size_t n)
{
	int r = read_ack(sp, &sp->ack);

	if (r < -1)
		return r;
	if (r == 1) {
		r = ack_valid(sp, &sp->ack, ids, n);
		if (r < 0)
			return r;
	} else {
		r = 0;
	}
	if (!r)
		sp->ack = (struct spool_pos){ 0, 0 };
	else if (n && sp->ack.seg < ids[0])
		warn_missing(sp, sp->ack.seg + 1, ids[0] - 1);
	return r;
}

/* Counts the bad stretches SC found in segment NAME from START on, and the
 * incomplete last record (cut from FD, SIZE bytes, when NEWEST). Returns
 * 0, or a negative errno value. */
static int count_damage(struct spool *sp, const char *name, int fd, uint64_t size, bool newest,
			uint64_t start, const struct scan *sc, struct spool_recovery *rec)
{
	for (size_t k = 0; k < sc->nholes; k++) {
		const struct hole *h = &sc->holes[k];

		if (h->off < start) /* acknowledged already: nothing lost */
			continue;
		warning("spool segment '%s/%s': bad record at offset %" PRIu64 ", %" PRIu64
			" bytes skipped",
			sp->dir, name, h->off, h->end - h->off);
		rec->corrupt_bytes += h->end - h->off;
		rec->corrupt_records++;
	}
	if (sc->torn && newest) {
		warning("spool segment '%s/%s': incomplete last record at offset %" PRIu64
			" (a write cut short), %" PRIu64 " bytes cut",
			sp->dir, name, sc->end, size - sc->end);
		rec->torn_bytes += size - sc->end;
		if (ftruncate(fd, sc->end))
			return -errno;
	} else if (sc->torn) {
		warning("spool segment '%s/%s': bad record at offset %" PRIu64 ", %" PRIu64
			" bytes skipped",
			sp->dir, name, sc->end, size - sc->end);
		rec->corrupt_bytes += size - sc->end;
		rec->corrupt_records++;
	}
	return 0;
}

/* Takes segment ID (NEWEST: the last one; HAVE_ACK: sp->ack is valid) into
 * SP, or deletes or sets it aside. *NEXT_ID: the number of the segment to
 * write next. Returns 0, or a negative errno value. */
static int recover_segment(struct spool *sp, uint64_t id, bool newest, bool have_ack,
			   uint64_t *next_id, struct spool_recovery *rec)
{
	char name[64];
	struct scan sc;
	unsigned char *buf;
	uint64_t start;
	struct stat st;
	struct seg *s;
	int fd, r;

	seg_name(name, sizeof(name), id);
	*next_id = id + 1;
	if (have_ack && id < sp->ack.seg) { /* acknowledged, not deleted before a crash */
		unlinkat(sp->dirfd, name, 0);
		return 0;
	}
	fd = open_trusted(sp, name, O_RDWR);
	if (fd < 0)
		return fd;
	if (fstat(fd, &st) || !(buf = read_seg(fd, st.st_size))) {
		close(fd);
		return -errno;
	}
	if (st.st_size < HDR && newest) {
		/* Torn at creation: nothing was ever in it; its number is used again. */
		if (st.st_size)
			warning("spool segment '%s/%s': header cut short, %lld bytes cut", sp->dir,
				name, (long long)st.st_size);
		rec->torn_bytes += st.st_size;
		close(fd);
		free(buf);
		unlinkat(sp->dirfd, name, 0);
		*next_id = id;
		return 0;
	}
	if (st.st_size < HDR || memcmp(buf, MAGIC, HDR)) {
		close(fd);
		free(buf);
		set_aside(sp, name, st.st_size, rec);
		return 0;
	}
	start = have_ack && id == sp->ack.seg ? sp->ack.off : HDR;
	scan_seg(buf, st.st_size, start, &sc);
	free(buf);
	r = count_damage(sp, name, fd, st.st_size, newest, start, &sc, rec);
	if (r) {
		close(fd);
		free(sc.holes);
		return r;
	}
	close(fd);
	rec->records += sc.records;
	rec->bytes += sc.bytes;
	rec->segments++;
	s = add_seg(sp, id, sc.end);
	s->holes = sc.holes;
	s->nholes = sc.nholes;
	return 0;
}

/* Recovers the segments of SP's directory, and starts a new one to write.
 * Returns 0, or a negative errno value. */
static int recover(struct spool *sp, struct spool_recovery *rec)
{
	uint64_t *ids = NULL, next_id = 1;
	size_t nids = 0;
	bool have_ack;
	int r;

	r = list_segments(sp, &ids, &nids);
	if (r)
		goto out;
	r = recover_ack(sp, ids, nids);
	if (r < 0)
		goto out;
	have_ack = r;
	for (size_t i = 0; i < nids; i++) {
		if (i > 0)
			warn_missing(sp, ids[i - 1] + 1, ids[i] - 1);
		r = recover_segment(sp, ids[i], i + 1 == nids, have_ack, &next_id, rec);
		if (r)
			goto out;
	}
	if (have_ack && next_id <= sp->ack.seg)
		next_id = sp->ack.seg + 1;
	if (sp->nsegs == 0 || sp->ack.seg < sp->segs[0].id)
		sp->ack = (struct spool_pos){ sp->nsegs ? sp->segs[0].id : next_id, HDR };
	r = new_segment(sp, next_id);
out:
	free(ids);
	return r;
}

int spool_open(struct spool **out, const char *dir, const struct spool_opts *o,
	       struct spool_recovery *rec)
{
	struct spool *sp = xcalloc(1, sizeof(*sp));
	int r;

	memset(rec, 0, sizeof(*rec));
	sp->o = *o;
	sp->dir = xstrdup(dir);
	sp->wfd = sp->rfd = sp->lockfd = sp->dirfd = -1;
	r = lock_dir(sp, dir);
	if (!r)
		r = recover(sp, rec);
	if (r)
		goto fail;
	sp->rd = sp->ack;
	r = drop_acked(sp, false);
	if (r)
		goto fail;
	sp->wcap = WBUF_FLUSH + 4096;
	sp->wbuf = xmalloc(sp->wcap);
	sp->last_sync_ns = now_ns();
	*out = sp;
	return 0;

fail:
	if (sp->wfd >= 0)
		close(sp->wfd);
	if (sp->lockfd >= 0)
		close(sp->lockfd);
	if (sp->dirfd >= 0)
		close(sp->dirfd);
	for (size_t i = 0; i < sp->nsegs; i++)
		free(sp->segs[i].holes);
	free(sp->segs);
	free(sp->dir);
	free(sp);
	return r;
}

void spool_close(struct spool *sp)
{
	if (!sp)
		return;
	spool_flush(sp);
	if (sp->unsynced && sp->o.sync_ms >= 0)
		fdatasync(sp->wfd);
	close(sp->wfd);
	if (sp->rfd >= 0)
		close(sp->rfd);
	close(sp->lockfd);
	close(sp->dirfd);
	for (size_t i = 0; i < sp->nsegs; i++)
		free(sp->segs[i].holes);
	free(sp->segs);
	free(sp->dir);
	free(sp->wbuf);
	free(sp->rbuf);
	free(sp);
}

static int roll(struct spool *sp)
{
	int r = spool_flush(sp);

	if (r)
		return r;
	if (sp->o.sync_ms >= 0 && sp->unsynced && fdatasync(sp->wfd))
		return -errno;
	sp->unsynced = false;
	return new_segment(sp, sp->segs[sp->nsegs - 1].id + 1);
}

int spool_append(struct spool *sp, const void *pre, size_t plen, const void *data, size_t dlen)
{
	struct seg *w = &sp->segs[sp->nsegs - 1];
	unsigned char h[RECHDR];
	size_t len = plen + dlen;
	int r;

	if (len > SPOOL_MAX_RECORD)
		return -EFBIG;
	if (len == 0)
		return -EINVAL; /* recovery could not tell it from zeroed bytes */
	if (w->end + sp->wlen > HDR && w->end + sp->wlen + RECHDR + len > sp->o.segment_size) {
		r = roll(sp);
		if (r)
			return r;
		w = &sp->segs[sp->nsegs - 1];
	}
	put_le32(h, len);
	put_le32(h + 4, crc32(crc32(0, pre, plen), data, dlen));
	if (sp->wlen + RECHDR + len > sp->wcap) {
		r = spool_flush(sp);
		if (r)
			return r;
		if (RECHDR + len > sp->wcap) {
			sp->wcap = RECHDR + len;
			sp->wbuf = xrealloc(sp->wbuf, sp->wcap);
		}
	}
	memcpy(sp->wbuf + sp->wlen, h, RECHDR);
	if (plen)
		memcpy(sp->wbuf + sp->wlen + RECHDR, pre, plen);
	memcpy(sp->wbuf + sp->wlen + RECHDR + plen, data, dlen);
	sp->wlen += RECHDR + len;
	if (sp->wlen >= WBUF_FLUSH)
		return spool_flush(sp);
	return 0;
}

int spool_flush(struct spool *sp)
{
	struct seg *w = &sp->segs[sp->nsegs - 1];

	if (sp->wlen) {
		int r = write_all(sp->wfd, sp->wbuf, sp->wlen);

		if (r)
			return r;
		w->end += sp->wlen;
		sp->wlen = 0;
		sp->unsynced = true;
	}
	if (sp->unsynced && sp->o.sync_ms >= 0) {
		uint64_t now = now_ns();

		if (sp->o.sync_ms == 0 || now - sp->last_sync_ns >= sp->o.sync_ms * 1000000ull) {
			if (fdatasync(sp->wfd))
				return -errno;
			sp->unsynced = false;
			sp->last_sync_ns = now;
		}
	}
	return 0;
}

/* Makes rbuf hold bytes [rd.off, rd.off + NEED) of segment S: returns 0,
 * 1 when the file is shorter, or a negative errno value. */
static int fill_rbuf(struct spool *sp, const struct seg *s, uint64_t need)
{
	uint64_t avail = s->end - sp->rd.off;
	ssize_t n;

	if (sp->rbuf && sp->rd.off >= sp->roff && sp->rd.off + need <= sp->roff + sp->rlen)
		return 0;
	if (need > sp->rcap || !sp->rbuf) {
		sp->rcap = need > RBUF_MIN ? need : RBUF_MIN;
		sp->rbuf = xrealloc(sp->rbuf, sp->rcap);
	}
	n = pread_all(sp->rfd, sp->rbuf, avail < sp->rcap ? avail : sp->rcap, sp->rd.off);
	if (n < 0)
		return n;
	sp->roff = sp->rd.off;
	sp->rlen = n;
	return (uint64_t)n < need;
}

/*
 * Moves the read cursor past the bad record at it in segment S: over a
 * hole recovery found (and reported), else, the segment having changed
 * since, to the next valid record, with a warning. Returns 0 or a
 * negative errno value.
 */
static int skip_bad(struct spool *sp, struct seg *s)
{
	uint64_t from = sp->rd.off, n = s->end - from, to;
	unsigned char *buf;
	char name[64];
	ssize_t got;

	for (size_t k = 0; k < s->nholes; k++)
		if (s->holes[k].off == from) {
			sp->rd.off = s->holes[k].end;
			return 0;
		}
	buf = xmalloc(n ? n : 1);
	got = pread_all(sp->rfd, buf, n, from);
	if (got < 0) {
		free(buf);
		return got;
	}
	to = from + resync(buf, got, 0);
	free(buf);
	if (to == from) /* cut shorter than recovery saw it: the rest is gone */
		to = s->end;
	seg_name(name, sizeof(name), s->id);
	warning("spool segment '%s/%s': bad record at offset %" PRIu64 ", %" PRIu64
		" bytes skipped",
		sp->dir, name, from, to - from);
	sp->skipped_bytes += to - from;
	add_hole(&s->holes, &s->nholes, from, to);
	sp->rd.off = to;
	return 0;
}

int spool_read(struct spool *sp, const void **data, size_t *len, struct spool_pos *end)
{
	for (;;) {
		struct seg *s = find_seg(sp, sp->rd.seg);
		uint32_t rlen, crc;
		size_t at;
		int r;

		if (!s) { /* the cursor's segment was never there or is gone */
			if (sp->rd.seg >= sp->segs[sp->nsegs - 1].id)
				return 0;
			for (size_t i = 0; i < sp->nsegs; i++)
				if (sp->segs[i].id > sp->rd.seg) {
					sp->rd = (struct spool_pos){ sp->segs[i].id, HDR };
					break;
				}
			continue;
		}
		if (sp->rd.off < HDR)
			sp->rd.off = HDR;
		if (sp->rd.off + RECHDR > s->end) {
			if (s == &sp->segs[sp->nsegs - 1])
				return 0;
			sp->rd = (struct spool_pos){ s[1].id, HDR };
			continue;
		}
		if (sp->rfd < 0 || sp->rfd_seg != s->id) {
			char name[64];

			if (sp->rfd >= 0)
				close(sp->rfd);
			seg_name(name, sizeof(name), s->id);
			sp->rfd = openat(sp->dirfd, name, O_RDONLY | O_CLOEXEC);
			if (sp->rfd < 0)
				return -errno;
			sp->rfd_seg = s->id;
			sp->rlen = 0;
		}
		/* The header, then the whole record, from the buffer or a fresh read. */
		r = fill_rbuf(sp, s, RECHDR);
		if (r < 0)
			return r;
		if (r > 0)
			goto bad;
		at = sp->rd.off - sp->roff;
		rlen = get_le32((unsigned char *)sp->rbuf + at);
		crc = get_le32((unsigned char *)sp->rbuf + at + 4);
		if (rlen == 0 || rlen > SPOOL_MAX_RECORD || sp->rd.off + RECHDR + rlen > s->end)
			goto bad;
		r = fill_rbuf(sp, s, RECHDR + rlen);
		if (r < 0)
			return r;
		if (r > 0)
			goto bad;
		at = sp->rd.off - sp->roff;
		if ((uint32_t)crc32(0, (unsigned char *)sp->rbuf + at + RECHDR, rlen) != crc)
			goto bad;
		*data = sp->rbuf + at + RECHDR;
		*len = rlen;
		sp->rd.off += RECHDR + rlen;
		*end = sp->rd;
		return 1;
bad:
		r = skip_bad(sp, s);
		if (r < 0)
			return r;
	}
}

int spool_ack(struct spool *sp, struct spool_pos pos)
{
	if (pos.seg < sp->ack.seg || (pos.seg == sp->ack.seg && pos.off <= sp->ack.off))
		return 0;
	sp->ack = pos;
	return drop_acked(sp, true);
}

uint64_t spool_bytes(const struct spool *sp)
{
	uint64_t n = sp->wlen;

	for (size_t i = 0; i < sp->nsegs; i++) {
		const struct seg *s = &sp->segs[i];

		if (s->id < sp->ack.seg)
			continue;
		if (s->id == sp->ack.seg)
			n += s->end > sp->ack.off ? s->end - sp->ack.off : 0;
		else
			n += s->end - HDR;
	}
	return n;
}

bool spool_full(const struct spool *sp)
{
	return spool_bytes(sp) >= sp->o.max_bytes;
}

uint64_t spool_skipped_bytes(const struct spool *sp)
{
	return sp->skipped_bytes;
}
