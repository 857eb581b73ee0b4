/*
 * exec-via - runs FILE by a way other than execve() of its path, as one
 * would to get around a block on that path or name:
 *
 *   exec-via execveat FILE [ARGS...]    execveat(fd, "", AT_EMPTY_PATH)
 *   exec-via procfd FILE [ARGS...]      execve("/proc/self/fd/N")
 *   exec-via ldso-memfd FILE [ARGS...]  FILE copied into a memfd named
 *                                       "d4c-test", run by the dynamic loader
 *   exec-via mprotect FILE ARG          FILE mapped readable, then made
 *                                       executable with mprotect(): prints
 *                                       "mapped executable" when allowed
 *
 * ARGS[0] is the new program's argv[0]. When exec fails: exit 126 with
 * "exec-via: <strerror>" on stderr.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define LDSO "/lib64/ld-linux-x86-64.so.2"

extern char **environ;

/* FILE copied into a memfd (not close-on-exec: the loader opens it by path). */
static int to_memfd(int in)
{
	char buf[65536];
	ssize_t n;
	int mfd = memfd_create("d4c-test", 0);

	if (mfd < 0)
		return -1;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(mfd, buf, n) != n)
			return -1;
	return n < 0 ? -1 : mfd;
}

/* "ld.so --argv0 ARGS[0] PATH ARGS[1]...": the program sees ARGS as given. */
static char **ldso_argv(char *path, char **args)
{
	size_t n = 0;
	char **v;

	while (args[n])
		n++;
	v = calloc(n + 4, sizeof(*v));
	if (!v)
		return args;
	v[0] = LDSO;
	v[1] = "--argv0";
	v[2] = args[0];
	v[3] = path;
	memcpy(v + 4, args + 1, n * sizeof(*v)); /* the NULL included */
	return v;
}

int main(int argc, char **argv)
{
	char path[64];
	int fd, mfd;

	if (argc < 4) {
		fprintf(stderr,
			"usage: exec-via execveat|procfd|ldso-memfd|mprotect FILE ARGS...\n");
		return 2;
	}
	fd = open(argv[2], O_RDONLY);
	if (fd < 0) {
		fprintf(stderr, "exec-via: cannot open '%s': %s\n", argv[2], strerror(errno));
		return 2;
	}
	if (!strcmp(argv[1], "execveat")) {
		syscall(__NR_execveat, fd, "", argv + 3, environ, AT_EMPTY_PATH);
	} else if (!strcmp(argv[1], "procfd")) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		execve(path, argv + 3, environ);
	} else if (!strcmp(argv[1], "mprotect")) {
		void *p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);

		if (p == MAP_FAILED) {
			fprintf(stderr, "exec-via: mmap: %s\n", strerror(errno));
			return 2;
		}
		if (mprotect(p, 4096, PROT_READ | PROT_EXEC)) {
			fprintf(stderr, "exec-via: mprotect: %s\n", strerror(errno));
			return 1;
		}
		printf("mapped executable\n");
		return 0;
	} else if (!strcmp(argv[1], "ldso-memfd")) {
		mfd = to_memfd(fd);
		if (mfd < 0) {
			fprintf(stderr, "exec-via: memfd: %s\n", strerror(errno));
			return 2;
		}
		snprintf(path, sizeof(path), "/proc/self/fd/%d", mfd);
		execve(LDSO, ldso_argv(path, argv + 3), environ);
	} else {
		fprintf(stderr, "exec-via: unknown way '%s'\n", argv[1]);
		return 2;
	}
	fprintf(stderr, "exec-via: %s\n", strerror(errno));
	return 126;
}
