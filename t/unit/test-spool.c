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

static const struct spool_opts opts = {.segment_size = 4096, .max_bytes = 1 << 20, .sync_ms = -1};

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

	{
		char *cmd = xasprintf("rm -rf '%s'", dir);

		if (system(cmd))
			diag("could not remove %s", dir);
		free(cmd);
	}
	return done_testing();
}
