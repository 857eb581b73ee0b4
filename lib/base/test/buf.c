/*
 * test-buf.c - the growable byte buffer: it grows by doubling and always
 * keeps room for a NUL, printf output of any length lands whole (at the
 * edge of the room left too), bytes dropped from the front, handed over
 * or read from a file are the right ones, and 20000 random operations give
 * what a plain array gives.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "tap.h"
#include "util.h"

static unsigned long long rng = 0x2545f4914f6cdd1dull;

static unsigned rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

static void test_empty(void)
{
	struct buf b = BUF_INIT;
	char *s;
	size_t len = 99;

	ok(!b.p && !b.len && !b.cap, "BUF_INIT allocates nothing");
	is_str(buf_cstr(&b), "", "an empty buffer is the empty string");
	ok(!b.p, "... without allocating");
	buf_add(&b, "", 0);
	ok(b.len == 0 && b.cap > 0, "adding nothing makes room for the NUL");
	buf_free(&b);
	ok(!b.p && !b.len && !b.cap, "buf_free leaves an empty buffer");
	s = buf_steal(&b, &len);
	ok(s && !*s && len == 0, "stealing an empty buffer gives an allocated \"\"");
	free(s);
}

static void test_growth(void)
{
	struct buf b = BUF_INIT;
	size_t grew = 0, last = 0, bad = 0, n = 1 << 20;
	char *big = xmalloc(n);

	for (size_t i = 0; i < n; i++) {
		buf_addc(&b, (char)('a' + i % 26));
		if (b.cap != last) {
			grew++;
			/* 64, 128, ...: each growth doubles */
			if ((last && b.cap != 2 * last) || b.cap & (b.cap - 1))
				bad++;
			last = b.cap;
		}
		if (b.cap <= b.len)
			bad++;
	}
	is_int((long long)b.len, (long long)n, "a mebibyte one byte at a time");
	ok(!bad, "capacity a power of two, doubled each time, always above the length");
	is_int((long long)grew, 16, "64 bytes to 2 MiB: 16 allocations");
	for (size_t i = 0; i < n; i++)
		big[i] = (char)('a' + i % 26);
	ok(!memcmp(b.p, big, n), "every byte in place");
	buf_reset(&b);
	ok(b.len == 0 && b.cap == last, "reset keeps the memory");
	buf_add(&b, big, n);
	ok(b.cap == last && !memcmp(b.p, big, n), "refilled without growing");
	buf_free(&b);

	buf_add(&b, big, n);
	ok(b.len == n && b.cap == 2 * n && !memcmp(b.p, big, n),
	   "a mebibyte at once: one allocation of the next power of two above it");
	buf_free(&b);
	free(big);
}

static void test_addf(void)
{
	struct buf b = BUF_INIT;
	char *ref, *want;
	size_t bad = 0;

	buf_addf(&b, "%s=%u", "pid", 42u);
	buf_addf(&b, ",%s", "x");
	is_str(buf_cstr(&b), "pid=42,x", "short formats append");

	/* lengths around the room left: fits, exactly fills, one past */
	for (size_t pre = 0; pre < 140; pre++)
		for (size_t len = 0; len < 140; len++) {
			char s[200];

			memset(s, 'z', len);
			s[len] = '\0';
			buf_free(&b);
			for (size_t i = 0; i < pre; i++)
				buf_addc(&b, 'p');
			buf_addf(&b, "%s!", s);
			if (b.len != pre + len + 1 || b.cap <= b.len || b.p[pre + len] != '!' ||
			    (len && b.p[pre + len - 1] != 'z') || (pre && b.p[pre - 1] != 'p'))
				bad++;
		}
	ok(!bad, "every length at every room: 19600 formats whole");

	ref = xmalloc(100001);
	for (size_t i = 0; i < 100000; i++)
		ref[i] = (char)('A' + i % 23);
	ref[100000] = '\0';
	buf_free(&b);
	buf_adds(&b, "<");
	buf_addf(&b, "%s|%d|%s", ref, -7, ref);
	want = xasprintf("<%s|%d|%s", ref, -7, ref);
	ok(b.len == strlen(want) && !strcmp(buf_cstr(&b), want), "a 200 kB format");
	free(want);
	free(ref);
	buf_free(&b);
}

static void test_zero_consume_steal(void)
{
	struct buf b = BUF_INIT;
	size_t off, len;
	char *s;

	buf_adds(&b, "head");
	off = buf_zero(&b, 12);
	ok(off == 4 && b.len == 16 && !memcmp(b.p + 4, "\0\0\0\0\0\0\0\0\0\0\0\0", 12),
	   "buf_zero appends zeros and says where");
	buf_reset(&b);
	buf_adds(&b, "line one\nline two\n");
	buf_consume(&b, 9);
	is_str(buf_cstr(&b), "line two\n", "consume drops the front");
	buf_consume(&b, 100);
	ok(b.len == 0, "consume past the end empties");
	buf_adds(&b, "kept");
	s = buf_steal(&b, &len);
	ok(len == 4 && !strcmp(s, "kept") && !b.p && !b.len && !b.cap,
	   "steal hands over a C string and leaves the buffer empty");
	free(s);
	buf_adds(&b, "x");
	s = buf_steal(&b, NULL);
	is_str(s, "x", "steal without asking the length");
	free(s);
}

static void test_read_fd(void)
{
	char path[] = "/tmp/test-buf.XXXXXX";
	int fd = mkstemp(path);
	size_t n = 200000;
	char *data = xmalloc(n);
	struct buf b = BUF_INIT;
	int r;

	if (fd < 0)
		exit(99);
	for (size_t i = 0; i < n; i++)
		data[i] = (char)rnd(256);
	if (write_all(fd, data, n))
		exit(99);

	lseek(fd, 0, SEEK_SET);
	buf_adds(&b, "pre");
	r = buf_read_fd(&b, fd, n);
	ok(r == 0 && b.len == n + 3 && !memcmp(b.p, "pre", 3) && !memcmp(b.p + 3, data, n),
	   "a 200 kB file at exactly its limit, appended");

	lseek(fd, 0, SEEK_SET);
	buf_reset(&b);
	buf_adds(&b, "pre");
	r = buf_read_fd(&b, fd, n - 1);
	ok(r == -EFBIG && b.len == 3 && !memcmp(b.p, "pre", 3),
	   "one byte over the limit: -EFBIG, the buffer as it was");
	ok(lseek(fd, 0, SEEK_CUR) <= (off_t)n, "... read no further than it had to");

	lseek(fd, 0, SEEK_SET);
	buf_reset(&b);
	r = buf_read_fd(&b, fd, (size_t)-1);
	ok(r == 0 && b.len == n && !memcmp(b.p, data, n), "no limit");

	r = buf_read_fd(&b, fd, 10);
	ok(r == 0 && b.len == n, "at end of file: nothing added");

	r = buf_read_fd(&b, -1, 10);
	ok(r == -EBADF && b.len == n, "a read error: its errno, the buffer as it was");

	/* d4c-enrich reads small /proc files per process: small buffers */
	buf_free(&b);
	if (ftruncate(fd, 300))
		exit(99);
	lseek(fd, 0, SEEK_SET);
	r = buf_read_fd(&b, fd, 65536);
	ok(r == 0 && b.len == 300 && b.cap <= 8192, "a 300-byte file in a small buffer (%zu bytes)",
	   b.cap);

	close(fd);
	unlink(path);
	free(data);
	buf_free(&b);
}

/* Random operations against a plain array. */
static void test_random(void)
{
	size_t refcap = 1 << 22, reflen = 0, bad = 0;
	char *ref = xmalloc(refcap);
	struct buf b = BUF_INIT;

	for (int i = 0; i < 20000 && !bad; i++) {
		char tmp[600];
		size_t n = rnd(600), k;

		for (k = 0; k < n; k++)
			tmp[k] = (char)('a' + rnd(26));
		if (reflen + 2 * sizeof(tmp) > refcap) {
			buf_reset(&b);
			reflen = 0;
		}
		switch (rnd(7)) {
		case 0:
			buf_add(&b, tmp, n);
			memcpy(ref + reflen, tmp, n);
			reflen += n;
			break;
		case 1:
			buf_addc(&b, tmp[0]);
			ref[reflen++] = tmp[0];
			break;
		case 2:
			tmp[n] = '\0';
			buf_addf(&b, "%s/%zu", tmp, n);
			reflen += (size_t)sprintf(ref + reflen, "%s/%zu", tmp, n);
			break;
		case 3:
			buf_zero(&b, n);
			memset(ref + reflen, 0, n);
			reflen += n;
			break;
		case 4:
			k = rnd((unsigned)reflen + 10);
			buf_consume(&b, k);
			k = k > reflen ? reflen : k;
			memmove(ref, ref + k, reflen - k);
			reflen -= k;
			break;
		case 5:
			if (!rnd(20)) {
				buf_reset(&b);
				reflen = 0;
			}
			break;
		default:
			memcpy(buf_room(&b, n), tmp, n);
			b.len += n;
			memcpy(ref + reflen, tmp, n);
			reflen += n;
		}
		if (b.len != reflen || (reflen && memcmp(b.p, ref, reflen)) ||
		    (b.cap && b.cap <= b.len))
			bad = (size_t)i + 1;
	}
	if (!ok(!bad, "20000 random operations as on a plain array"))
		diag("first difference after operation %zu", bad);
	free(ref);
	buf_free(&b);
}

int main(void)
{
	plan(29);
	test_empty();
	test_growth();
	test_addf();
	test_zero_consume_steal();
	test_read_fd();
	test_random();
	return done_testing();
}
