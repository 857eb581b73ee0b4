/* util.c - messages, allocation and whole-file I/O shared by every program. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "buf.h"
#include "util.h"

const char *progname = "d4c";

void set_progname(const char *argv0)
{
	const char *slash = strrchr(argv0, '/');

	progname = slash ? slash + 1 : argv0;
}

void print_version(void)
{
	printf("%s %s\n", progname, PACKAGE_VERSION);
}

static void vreport(const char *prefix, const char *fmt, va_list ap)
{
	char msg[4096];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	fflush(stdout);
	fprintf(stderr, "%s: %s%s\n", progname, prefix, msg);
}

void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport("", fmt, ap);
	va_end(ap);
	exit(EXIT_USAGE);
}

void usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport("", fmt, ap);
	va_end(ap);
	fprintf(stderr, "run '%s --help' for usage\n", progname);
	exit(EXIT_USAGE);
}

int error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport("error: ", fmt, ap);
	va_end(ap);
	return -1;
}

void warning(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport("warning: ", fmt, ap);
	va_end(ap);
}

void info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport("", fmt, ap);
	va_end(ap);
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		die("out of memory");
	return p;
}

void *xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);

	if (!p)
		die("out of memory");
	return p;
}

void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		die("out of memory");
	return p;
}

char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		die("out of memory");
	return s;
}

int read_whole_file(const char *path, size_t max, char **bufp, size_t *lenp)
{
	struct buf b = BUF_INIT;
	int fd, err;

	fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) : STDIN_FILENO;
	if (fd < 0)
		return -errno;
	err = buf_read_fd(&b, fd, max);
	if (fd != STDIN_FILENO)
		close(fd);
	if (err) {
		buf_free(&b);
		return err;
	}
	*bufp = buf_steal(&b, lenp);
	return 0;
}

int span_all_in(const char *s, size_t n, const char *set)
{
	for (size_t i = 0; i < n; i++)
		if (!s[i] || !strchr(set, s[i]))
			return 0;
	return 1;
}

int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= n;
	}
	return 0;
}

unsigned long number_arg(const char *name, const char *s, unsigned long min, unsigned long max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (!*s || *end || errno || *s == '-' || v < min || v > max)
		usage_error("%s: '%s' is not a number from %lu to %lu", name, s, min, max);
	return v;
}

int parse_size(const char *s, uint64_t *out)
{
	unsigned long long v;
	unsigned shift = 0;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *s == '-')
		return -1;
	switch (*end) {
	case 'k':
	case 'K':
		shift = 10;
		break;
	case 'm':
	case 'M':
		shift = 20;
		break;
	case 'g':
	case 'G':
		shift = 30;
		break;
	}
	if (shift)
		end++;
	if (*end || v > (UINT64_MAX >> shift))
		return -1;
	*out = (uint64_t)v << shift;
	return 0;
}

uint64_t clock_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

int check_owned(const char *path, const struct stat *st, int root_ok)
{
	if (st->st_uid != geteuid() && !(root_ok && st->st_uid == 0))
		return error("'%s' is owned by uid %u: refusing what another user controls", path,
			     (unsigned)st->st_uid);
	if (st->st_mode & (S_IWGRP | S_IWOTH))
		return error("'%s' is writable by group or others (mode %04o): refusing it", path,
			     (unsigned)(st->st_mode & 07777));
	return 0;
}

/* Replaces the regular file PATH (or creates it): the bytes are written
 * beside it and renamed into place, so that a reader (d4c-load) never sees
 * half a blob. Returns 0 or a negative errno value. */
static int replace_file(const char *path, const void *buf, size_t len)
{
	char *tmp;
	int fd, err;

	tmp = xasprintf("%s.tmpXXXXXX", path);
	fd = mkstemp(tmp);
	if (fd < 0) {
		err = -errno;
		free(tmp);
		return err;
	}
	err = write_all(fd, buf, len);
	if (!err && fchmod(fd, 0644) < 0)
		err = -errno;
	if (!err && fsync(fd) < 0)
		err = -errno;
	if (close(fd) < 0 && !err)
		err = -errno;
	if (!err && rename(tmp, path) < 0)
		err = -errno;
	if (err)
		unlink(tmp);
	free(tmp);
	return err;
}

/* Writes into what PATH already is: a device or a pipe cannot be replaced
 * (a rename would put a regular file in its place). Returns 0 or a
 * negative errno value. */
static int write_through(const char *path, const void *buf, size_t len)
{
	struct stat st;
	int fd, err;

	/* O_NOFOLLOW: a symlink put there since lstat() is not followed. */
	fd = open(path, O_WRONLY | O_NOCTTY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		err = -errno;
	else if (!S_ISCHR(st.st_mode) && !S_ISFIFO(st.st_mode))
		err = -EAGAIN; /* replaced since lstat(): let the caller look again */
	else
		err = write_all(fd, buf, len);
	if (close(fd) < 0 && !err)
		err = -errno;
	return err;
}

int write_whole_file(const char *path, const void *buf, size_t len)
{
	const char *name = strcmp(path, "-") ? path : "<stdout>";
	char *target = NULL;
	struct stat st;
	int err, tries = 0;

	if (!strcmp(path, "-")) {
		err = write_all(STDOUT_FILENO, buf, len);
		goto out;
	}
again:
	if (lstat(path, &st) < 0) {
		if (errno != ENOENT) {
			err = -errno;
			goto out;
		}
		st.st_mode = S_IFREG; /* created by the rename */
	}
	if (S_ISLNK(st.st_mode)) {
		/* Renaming over the link would replace the link, not what it
		 * names: replace the regular file it resolves to instead. */
		target = realpath(path, NULL);
		if (!target || stat(target, &st) < 0 || !S_ISREG(st.st_mode)) {
			free(target);
			return error("'%s' is a symbolic link to something that is not a regular "
				     "file: refusing it",
				     path);
		}
		err = replace_file(target, buf, len);
		free(target);
	} else if (S_ISREG(st.st_mode)) {
		err = replace_file(path, buf, len);
	} else if (S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode)) {
		err = write_through(path, buf, len);
		if ((err == -EAGAIN || err == -ELOOP) && tries++ < 3)
			goto again;
	} else {
		return error("'%s' is not a regular file, a character device or a FIFO: "
			     "refusing it",
			     path);
	}
out:
	if (err)
		return error("cannot write '%s': %s", name, strerror(-err));
	return 0;
}

int keep_capabilities(const int *keep, int n)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct have[2], want[2] = { { 0 } };
	int setpcap;

	if (syscall(SYS_capget, &h, have))
		return -1;
	for (int i = 0; i < n; i++) {
		__u32 bit = 1u << (keep[i] % 32);

		want[keep[i] / 32].permitted |= have[keep[i] / 32].permitted & bit;
	}
	want[0].effective = want[0].permitted;
	want[1].effective = want[1].permitted;
	/* The bounding set first: dropping from it takes CAP_SETPCAP, which
	 * capset below takes away (unless kept). */
	setpcap = have[CAP_SETPCAP / 32].effective & (1u << (CAP_SETPCAP % 32));
	for (int c = 0; setpcap && c <= 63; c++) {
		int kept = 0;

		for (int i = 0; i < n; i++)
			kept |= keep[i] == c;
		/* EINVAL: past the kernel's last capability */
		if (!kept && prctl(PR_CAPBSET_DROP, c) && errno == EINVAL)
			break;
	}
	if (syscall(SYS_capset, &h, want))
		return -1;
	return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ? -1 : 0;
}
