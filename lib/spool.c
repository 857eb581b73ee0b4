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

struct seg {
	uint64_t id;
	uint64_t end; /* bytes of valid records (HDR included); written bytes for the newest */
};

struct spool {
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

static void add_seg(struct spool *sp, uint64_t id, uint64_t end)
{
	if (sp->nsegs == sp->capsegs) {
		sp->capsegs = sp->capsegs ? 2 * sp->capsegs : 16;
		sp->segs = xrealloc(sp->segs, sp->capsegs * sizeof(*sp->segs));
	}
	sp->segs[sp->nsegs++] = (struct seg){id, end};
}

/*
 * Walks the records of an open segment from START: returns the offset
 * where the valid records end, counting them in *RECORDS. Stops at the
 * first short or mismatching record.
 */
static uint64_t scan_seg(int fd, uint64_t start, uint64_t size, uint64_t *records)
{
	size_t cap = RBUF_MIN;
	unsigned char *buf = xmalloc(cap);
	uint64_t off = start;

	while (off + RECHDR <= size) {
		unsigned char h[RECHDR];
		uint32_t len, crc;

		if (pread_all(fd, h, RECHDR, off) != RECHDR)
			break;
		len = get_le32(h);
		crc = get_le32(h + 4);
		if (len > SPOOL_MAX_RECORD || off + RECHDR + len > size)
			break;
		if (len > cap) {
			cap = len;
			buf = xrealloc(buf, cap);
		}
		if (pread_all(fd, buf, len, off + RECHDR) != (ssize_t)len)
			break;
		if ((uint32_t)crc32(0, buf, len) != crc)
			break;
		off += RECHDR + len;
		(*records)++;
	}
	free(buf);
	return off;
}

static int write_ack(struct spool *sp)
{
	char buf[64];
	int fd, r, n;

	n = snprintf(buf, sizeof(buf), "%" PRIu64 " %" PRIu64 "\n", sp->ack.seg, sp->ack.off);
	fd = openat(sp->dirfd, "acked.tmp", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
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
	fd = openat(sp->dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
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

/* Drops the segments everything of which is acknowledged (never the newest). */
static int drop_acked(struct spool *sp)
{
	size_t k = 0;

	while (k + 1 < sp->nsegs &&
	       (sp->segs[k].id < sp->ack.seg ||
		(sp->segs[k].id == sp->ack.seg && sp->ack.off >= sp->segs[k].end))) {
		char name[64];

		seg_name(name, sizeof(name), sp->segs[k].id);
		if (unlinkat(sp->dirfd, name, 0) && errno != ENOENT)
			return -errno;
		if (sp->rfd >= 0 && sp->rfd_seg == sp->segs[k].id) {
			close(sp->rfd);
			sp->rfd = -1;
		}
		k++;
	}
	if (k) {
		memmove(sp->segs, sp->segs + k, (sp->nsegs - k) * sizeof(*sp->segs));
		sp->nsegs -= k;
		if (sp->ack.seg < sp->segs[0].id)
			sp->ack = (struct spool_pos){sp->segs[0].id, HDR};
		if (sp->rd.seg < sp->ack.seg)
			sp->rd = sp->ack;
	}
	return 0;
}

int spool_open(struct spool **out, const char *dir, const struct spool_opts *o,
	       struct spool_recovery *rec)
{
	struct spool *sp = xcalloc(1, sizeof(*sp));
	uint64_t *ids = NULL, next_id = 1;
	size_t nids = 0, capids = 0;
	DIR *d;
	struct dirent *de;
	char *ackbuf = NULL;
	size_t acklen;
	int r;

	memset(rec, 0, sizeof(*rec));
	sp->o = *o;
	sp->wfd = sp->rfd = sp->lockfd = -1;
	if (mkdir(dir, 0700) && errno != EEXIST)
		goto fail_errno;
	sp->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (sp->dirfd < 0)
		goto fail_errno;
	sp->lockfd = openat(sp->dirfd, "lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (sp->lockfd < 0)
		goto fail_errno;
	if (flock(sp->lockfd, LOCK_EX | LOCK_NB)) {
		r = errno == EWOULDBLOCK ? -EBUSY : -errno;
		goto fail;
	}

	/* The acknowledged position; none yet: everything is to be sent. */
	{
		char *path = xasprintf("%s/acked", dir);

		r = read_whole_file(path, 128, &ackbuf, &acklen);
		free(path);
		if (r == 0 &&
		    sscanf(ackbuf, "%" SCNu64 " %" SCNu64, &sp->ack.seg, &sp->ack.off) != 2)
			sp->ack = (struct spool_pos){0, 0};
		else if (r && r != -ENOENT)
			goto fail;
		free(ackbuf);
	}

	d = fdopendir(dup(sp->dirfd));
	if (!d)
		goto fail_errno;
	while ((de = readdir(d))) {
		uint64_t id;
		char tail[8];

		if (sscanf(de->d_name, "seg-%20" SCNu64 ".%5s", &id, tail) != 2 ||
		    strcmp(tail, "d4cs"))
			continue;
		if (nids == capids) {
			capids = capids ? 2 * capids : 16;
			ids = xrealloc(ids, capids * sizeof(*ids));
		}
		ids[nids++] = id;
	}
	closedir(d);
	qsort(ids, nids, sizeof(*ids), cmp_u64);

	for (size_t i = 0; i < nids; i++) {
		char name[64], magic[HDR];
		struct stat st;
		uint64_t start, end, records = 0;
		bool newest = i + 1 == nids;
		int fd;

		seg_name(name, sizeof(name), ids[i]);
		next_id = ids[i] + 1;
		if (ids[i] < sp->ack.seg) { /* acknowledged, but not deleted before a crash */
			unlinkat(sp->dirfd, name, 0);
			continue;
		}
		fd = openat(sp->dirfd, name, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			goto fail_errno;
		if (fstat(fd, &st) || pread_all(fd, magic, HDR, 0) != HDR ||
		    memcmp(magic, MAGIC, HDR)) {
			/* Torn at creation, or not ours: nothing in it can be trusted. */
			if (!newest && st.st_size > 0) {
				warning("spool segment '%s/%s': bad header, %lld bytes skipped",
					dir, name, (long long)st.st_size);
				rec->corrupt_bytes += st.st_size;
			} else {
				rec->torn_bytes += st.st_size;
			}
			close(fd);
			unlinkat(sp->dirfd, name, 0);
			continue;
		}
		start = ids[i] == sp->ack.seg && sp->ack.off > HDR ? sp->ack.off : HDR;
		if (start > (uint64_t)st.st_size)
			start = st.st_size; /* acked past what a power loss left: nothing to send */
		end = scan_seg(fd, start, st.st_size, &records);
		if (end < (uint64_t)st.st_size) {
			if (newest) {
				rec->torn_bytes += st.st_size - end;
				if (ftruncate(fd, end)) {
					close(fd);
					goto fail_errno;
				}
			} else {
				warning("spool segment '%s/%s': bad record at offset %" PRIu64
					", %" PRIu64 " bytes skipped",
					dir, name, end, (uint64_t)st.st_size - end);
				rec->corrupt_bytes += st.st_size - end;
			}
		}
		close(fd);
		rec->records += records;
		rec->bytes += end - start;
		rec->segments++;
		add_seg(sp, ids[i], end);
		if (ids[i] == sp->ack.seg)
			sp->ack.off = start;
	}
	free(ids);
	ids = NULL;
	if (next_id <= sp->ack.seg)
		next_id = sp->ack.seg + 1;
	if (sp->nsegs == 0 || sp->ack.seg < sp->segs[0].id)
		sp->ack = (struct spool_pos){sp->nsegs ? sp->segs[0].id : next_id, HDR};
	r = new_segment(sp, next_id);
	if (r)
		goto fail;
	sp->rd = sp->ack;
	r = drop_acked(sp);
	if (r)
		goto fail;
	sp->wcap = WBUF_FLUSH + 4096;
	sp->wbuf = xmalloc(sp->wcap);
	sp->last_sync_ns = now_ns();
	*out = sp;
	return 0;

fail_errno:
	r = -errno;
fail:
	free(ids);
	if (sp->wfd >= 0)
		close(sp->wfd);
	if (sp->lockfd >= 0)
		close(sp->lockfd);
	if (sp->dirfd >= 0)
		close(sp->dirfd);
	free(sp->segs);
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
	free(sp->segs);
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
					sp->rd = (struct spool_pos){sp->segs[i].id, HDR};
					break;
				}
			continue;
		}
		if (sp->rd.off < HDR)
			sp->rd.off = HDR;
		if (sp->rd.off + RECHDR > s->end) {
			if (s == &sp->segs[sp->nsegs - 1])
				return 0;
			sp->rd = (struct spool_pos){s[1].id, HDR};
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
		if (rlen > SPOOL_MAX_RECORD || sp->rd.off + RECHDR + rlen > s->end)
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
		/* Changed under us (recovery checked it): skip the rest of the segment. */
		warning("spool segment %" PRIu64 ": bad record at offset %" PRIu64
			", rest of the segment skipped",
			s->id, sp->rd.off);
		if (s == &sp->segs[sp->nsegs - 1])
			return -EIO;
		s->end = sp->rd.off;
		sp->rd = (struct spool_pos){s[1].id, HDR};
	}
}

int spool_ack(struct spool *sp, struct spool_pos pos)
{
	int r;

	if (pos.seg < sp->ack.seg || (pos.seg == sp->ack.seg && pos.off <= sp->ack.off))
		return 0;
	sp->ack = pos;
	r = drop_acked(sp);
	if (r)
		return r;
	return write_ack(sp);
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
