/*
 * memfd-exec - runs a program from memory only: copies FILE into a
 * memfd_create() file and fexecve()s it with ARGS. The test of the
 * execMemFd operation (a binary that has no name on any file system).
 *
 *   memfd-exec FILE [ARGS...]     exit 126 with a message when exec fails
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv)
{
	char buf[65536];
	ssize_t n;
	int in, mfd;

	if (argc < 2) {
		fprintf(stderr, "usage: memfd-exec FILE [ARGS...]\n");
		return 2;
	}
	in = open(argv[1], O_RDONLY | O_CLOEXEC);
	if (in < 0) {
		fprintf(stderr, "memfd-exec: cannot open '%s': %s\n", argv[1], strerror(errno));
		return 2;
	}
	mfd = memfd_create("d4c-test", MFD_CLOEXEC);
	if (mfd < 0) {
		fprintf(stderr, "memfd-exec: memfd_create: %s\n", strerror(errno));
		return 2;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(mfd, buf, n) != n) {
			fprintf(stderr, "memfd-exec: write: %s\n", strerror(errno));
			return 2;
		}
	close(in);
	fexecve(mfd, argv + 1, environ);
	fprintf(stderr, "memfd-exec: fexecve: %s\n", strerror(errno));
	return 126;
}
