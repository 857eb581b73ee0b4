/*
 * test-spool.c - the spool keeps every record until it is acknowledged:
 * through a reopen, a torn tail (a writer killed mid-record) and a
 * corrupted older segment, and it deletes segments once acknowledged.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spool.h"
#include "tap.h"
#include "util.h"

static char dir[] = "/tmp/test-spool-XXXXXX";

static const struct spool_opts opts = { .segment_size = 4096, .max_bytes = 1 << 20, .sync_ms = -1 };

static void rec(char *buf, size_t n, int i)
{
	snprintf(buf, n, "{\"seq\":%d,\"pad\":\"%0*d\"}", i, 40 + i % 50, i);
}

/* Appends records FROM..TO-1 and flushes. */
static int append_range(struct spool *sp, int from, int to)
{
	char buf[256];

	for (int i = from; i < to; i++) {
		rec(buf, sizeof(buf), i);
		if (spool_append(sp, "P", 1, buf, strlen(buf)))
			return -1;
	}
	return spool_flush(sp);
}

/* Reads every record; checks they are FROM..TO-1 in order; *LAST: the end. */
static int read_expect(struct spool *sp, int from, int to, struct spool_pos *last)
{
	const void *data;
	size_t len;
	struct spool_pos end;
	char want[256];
	int i = from, r;

	while ((r = spool_read(sp, &data, &len, &end)) == 1) {
		rec(want, sizeof(want), i);
		if (len != strlen(want) + 1 || memcmp(data, "P", 1) ||
		    memcmp((const char *)data + 1, want, len - 1)) {
			diag("record %d differs: '%.*s'", i, (int)len, (const char *)data);
			return -1;
		}
		*last = end;
		i++;
	}
	if (r < 0 || i != to) {
		diag("read %d records up to %d, wanted up to %d (r=%d)", i - from, i, to, r);
		return -1;
	}
	return 0;
}

static int count_segments(void)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	while ((de = readdir(d)))
		n += !strncmp(de->d_name, "seg-", 4);
	closedir(d);
	return n;
}

/* The path of the newest segment file with a record in it (WHICH 0), or
 * of the oldest (WHICH -1), in BUF. */
static void newest_segment(char *buf, size_t n, int which)
{
	struct dirent **list;
	int k = scandir(dir, &list, NULL, alphasort);

	buf[0] = '\0';
	for (int j = 0; j < k; j++) {
		int i = which < 0 ? j : k - 1 - j;
		char *p = xasprintf("%s/%s", dir, list[i]->d_name);
		struct stat st;

		if (!buf[0] && !strncmp(list[i]->d_name, "seg-", 4) && !stat(p, &st) &&
		    st.st_size > 8)
			snprintf(buf, n, "%s", p);
		free(p);
		free(list[i]);
	}
	free(list);
}

/* Writes the acked file by hand, as a bug or a person might. */
static void write_acked(const char *text)
{
	char *p = xasprintf("%s/acked", dir);
	FILE *f = fopen(p, "w");

	fputs(text, f);
	fclose(f);
	free(p);
}

/* A fresh spool holding records 0..N-1 over several segments, none
 * acknowledged; returns how many segment files hold them. */
static int fresh_spool(int n)
{
	struct spool *sp;
	struct spool_recovery rc;
	char *cmd = xasprintf("rm -rf '%s'/*", dir);

	if (system(cmd))
		diag("could not empty %s", dir);
	free(cmd);
	if (spool_open(&sp, dir, &opts, &rc) || append_range(sp, 0, n))
		return -1;
	spool_close(sp);
	return count_segments();
}

/* Opens the spool and reads everything: the number of records. */
static long reopen_count(struct spool_recovery *rc)
{
	struct spool *sp;
	const void *data;
	size_t len;
	struct spool_pos end;
	long n = 0;

	if (spool_open(&sp, dir, &opts, rc))
		return -1;
	while (spool_read(sp, &data, &len, &end) == 1)
		n++;
	spool_close(sp);
	return n;
}

static void flip_byte(const char *path, off_t at)
{
	int fd = open(path, O_RDWR);
	char c;

	if (fd < 0 || pread(fd, &c, 1, at) != 1)
		diag("cannot read '%s'", path);
	c ^= 0x20;
	if (pwrite(fd, &c, 1, at) != 1)
		diag("cannot write '%s'", path);
	close(fd);
}

int main(void)
{
	struct spool *sp, *sp2;
	struct spool_recovery rc;
	struct spool_pos last, mid;
	char path[512];
	struct stat st;

	plan(NO_PLAN);
	set_progname("test-spool");
	if (!mkdtemp(dir))
		return 1;

	ok(spool_open(&sp, dir, &opts, &rc) == 0, "a new spool opens");
	is_int(rc.records, 0, "and holds nothing");
	is_int(spool_open(&sp2, dir, &opts, &rc), -EBUSY, "a second process is refused");
	ok(append_range(sp, 0, 200) == 0, "200 records appended");
	ok(count_segments() > 3, "over several segments (%d)", count_segments());
	spool_close(sp);

	ok(spool_open(&sp, dir, &opts, &rc) == 0, "reopened");
	is_int(rc.records, 200, "nothing acknowledged: all 200 records are there again");
	is_int(rc.torn_bytes + rc.corrupt_bytes, 0, "nothing torn or corrupt");
	ok(read_expect(sp, 0, 200, &last) == 0, "read back in order");
	spool_close(sp);

	/* Acknowledge the first 120: only the rest comes back, old segments go. */
	ok(spool_open(&sp, dir, &opts, &rc) == 0, "reopened");
	{
		const void *data;
		size_t len;
		struct spool_pos end;

		for (int i = 0; i < 120; i++)
			spool_read(sp, &data, &len, &end);
		mid = end;
	}
	{
		int before = count_segments();

		ok(spool_ack(sp, mid) == 0, "120 acknowledged");
		ok(count_segments() < before, "acknowledged segments deleted (%d -> %d)", before,
		   count_segments());
	}
	ok(spool_bytes(sp) > 0, "the rest is still counted (%llu bytes)",
	   (unsigned long long)spool_bytes(sp));
	spool_close(sp);
	ok(spool_open(&sp, dir, &opts, &rc) == 0, "reopened");
	is_int(rc.records, 80, "80 unacknowledged records recovered");
	ok(read_expect(sp, 120, 200, &last) == 0, "exactly records 120..199 come back");
	ok(spool_ack(sp, last) == 0, "all acknowledged");
	is_int(spool_bytes(sp), 0, "nothing left to send");
	ok(append_range(sp, 200, 210) == 0, "10 more appended");
	spool_close(sp);

	/* A writer killed mid-record: the newest segment ends in half a record. */
	newest_segment(path, sizeof(path), 0);
	stat(path, &st);
	ok(truncate(path, st.st_size - 7) == 0, "tail of '%s' torn", path);
	ok(spool_open(&sp, dir, &opts, &rc) == 0, "reopened after the tear");
	is_int(rc.records, 9, "the 9 whole records survive");
	ok(rc.torn_bytes > 0, "the torn record is cut (%llu bytes)",
	   (unsigned long long)rc.torn_bytes);
	ok(read_expect(sp, 200, 209, &last) == 0, "records 200..208 come back");
	ok(append_range(sp, 300, 340) == 0, "appending goes on after recovery");
	ok(read_expect(sp, 300, 340, &last) == 0, "and reads back");
	spool_close(sp);

	/* A flipped byte in an older segment: the rest of it is skipped, loudly. */
	{
		int fd;
		char c;

		newest_segment(path, sizeof(path), -1);
		fd = open(path, O_RDWR);
		ok(fd >= 0 && pread(fd, &c, 1, 40) == 1, "'%s' opened", path);
		c ^= 0x20;
		ok(pwrite(fd, &c, 1, 40) == 1, "one byte flipped");
		close(fd);
	}
	ok(spool_open(&sp, dir, &opts, &rc) == 0, "reopened after the corruption");
	ok(rc.corrupt_bytes > 0, "the corruption is detected (%llu bytes skipped)",
	   (unsigned long long)rc.corrupt_bytes);
	ok(rc.records > 0 && rc.records < 49, "the other records survive (%llu)",
	   (unsigned long long)rc.records);
	{
		const void *data;
		size_t len;
		struct spool_pos end;
		uint64_t n = 0;

		while (spool_read(sp, &data, &len, &end) == 1)
			n++;
		is_int(n, rc.records, "and are all readable");
		ok(spool_ack(sp, end) == 0, "acknowledged");
	}
	spool_close(sp);
	ok(spool_open(&sp, dir, &opts, &rc) == 0, "reopened");
	is_int(rc.records, 0, "nothing left");
	is_int(count_segments(), 1, "only the segment being appended to remains");
	spool_close(sp);

	/* A full spool says so. */
	{
		struct spool_opts small = opts;

		small.max_bytes = 2000;
		ok(spool_open(&sp, dir, &small, &rc) == 0, "reopened with a 2000-byte limit");
		ok(!spool_full(sp), "empty: not full");
		append_range(sp, 0, 40);
		ok(spool_full(sp), "full after 40 records (%llu bytes)",
		   (unsigned long long)spool_bytes(sp));
		spool_close(sp);
	}

	/* An acked file that names no place in the segments there deletes
	 * nothing: every record is sent again (Elasticsearch drops the
	 * duplicates by _id). */
	{
		static const char *const bad[] = {
			"99 8\n", /* a segment newer than any */
			"1 999999\n", /* past the end of its segment */
			"1 13\n", /* inside a record */
			"-1 8\n", /* negative */
			"2 -8\n",     "junk\n", "", /* not a position at all */
		};
		int segs = fresh_spool(200);

		for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
			write_acked(bad[i]);
			is_int(reopen_count(&rc), 200, "acked '%.*s': all 200 records come back",
			       (int)strcspn(bad[i], "\n"), bad[i]);
			ok(count_segments() >= segs, "and no segment is deleted (%d, were %d)",
			   count_segments(), segs);
			segs = count_segments();
		}
	}

	/* A flipped byte in the newest segment is corruption, not a torn
	 * write: that record alone is skipped, the ones after it survive. */
	{
		char newest[512];

		fresh_spool(30);
		newest_segment(newest, sizeof(newest), 0);
		flip_byte(newest, 8 + 8 + 5); /* in the data of its first record */
		is_int(reopen_count(&rc), 29,
		       "a bad record in the newest segment: 29 of 30 survive");
		ok(rc.corrupt_bytes > 0 && rc.corrupt_bytes < 200,
		   "counted as corrupt (%llu bytes)", (unsigned long long)rc.corrupt_bytes);
		is_int(rc.torn_bytes, 0, "not as torn");
		is_int(rc.corrupt_records, 1, "one bad record");
	}

	/* In an older segment too, only the bad record is skipped. */
	{
		char oldest[512];

		fresh_spool(200);
		newest_segment(oldest, sizeof(oldest), -1);
		flip_byte(oldest, 8 + 8 + 5);
		is_int(reopen_count(&rc), 199,
		       "a bad record in an older segment: 199 of 200 survive");
		is_int(rc.corrupt_records, 1, "one bad record");
	}

	/* Another user's spool is refused: its records would be indexed as ours. */
	{
		struct stat dst;

		fresh_spool(10);
		stat(dir, &dst);
		is_int(dst.st_mode & 0777, 0700, "the spool directory is 0700");
		newest_segment(path, sizeof(path), -1);
		stat(path, &st);
		is_int(st.st_mode & 0777, 0600, "a segment is 0600");
		chmod(dir, 0777);
		is_int(spool_open(&sp, dir, &opts, &rc), -EPERM,
		       "a world-writable spool is refused");
		chmod(dir, 0700);
		chmod(path, 0622);
		is_int(spool_open(&sp, dir, &opts, &rc), -EPERM,
		       "a segment others can write is refused");
		chmod(path, 0600);
		if (geteuid() == 0) {
			ok(chown(path, 65534, 65534) == 0, "a segment given to nobody");
			is_int(spool_open(&sp, dir, &opts, &rc), -EPERM,
			       "a segment another user owns is refused");
			ok(chown(path, 0, 0) == 0, "given back");
		}
		is_int(reopen_count(&rc), 10, "once put right, the 10 records are there");
	}

	{
		char *cmd = xasprintf("rm -rf '%s'", dir);

		if (system(cmd))
			diag("could not remove %s", dir);
		free(cmd);
	}
	return done_testing();
}
