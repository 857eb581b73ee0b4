/*
 * held-write - writes to a file through a descriptor opened long before:
 * opens FILE for reading and writing, says "opened" on stderr, waits for
 * SIGUSR1, then changes the file by OP. The test of enforcement that a
 * descriptor opened before d4c-load started must not get around.
 *
 *   held-write OP FILE SRC
 *
 * OP: write, mmap (a MAP_SHARED mapping written and synced), sendfile,
 * splice, copy_file_range, fallocate, ftruncate, uring-write (io_uring's
 * IORING_OP_WRITE). SRC is a file on FILE's file system whose contents
 * sendfile and copy_file_range copy (opened before the wait as well).
 * Prints "OP: ok" or "OP: <strerror>" on stdout; exit status 0 or 1.
 */
#include "config.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/sendfile.h>

#include "uring.h"

static const char data[] = "attack\n";

#define OPS "write mmap sendfile splice copy_file_range fallocate ftruncate uring-write"

static int do_op(const char *op, int fd, int src, const int *pipefd)
{
	struct io_uring_sqe sqe;
	loff_t in = 0, out = 0;
	char *p;
	int r;

	if (!strcmp(op, "write"))
		return write(fd, data, sizeof(data) - 1) < 0 ? -errno : 0;
	if (!strcmp(op, "mmap")) {
		p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (p == MAP_FAILED)
			return -errno;
		memcpy(p, "ATTACK", 6); /* within the file's first line */
		return msync(p, 4096, MS_SYNC) ? -errno : 0;
	}
	if (!strcmp(op, "sendfile"))
		return sendfile(fd, src, NULL, sizeof(data) - 1) < 0 ? -errno : 0;
	if (!strcmp(op, "splice"))
		return splice(pipefd[0], NULL, fd, &out, sizeof(data) - 1, 0) < 0 ? -errno : 0;
	if (!strcmp(op, "copy_file_range"))
		return copy_file_range(src, &in, fd, &out, sizeof(data) - 1, 0) < 0 ? -errno : 0;
	if (!strcmp(op, "fallocate"))
		return fallocate(fd, 0, 0, 1 << 20) ? -errno : 0;
	if (!strcmp(op, "ftruncate"))
		return ftruncate(fd, 0) ? -errno : 0;
	if (!strcmp(op, "uring-write")) {
		memset(&sqe, 0, sizeof(sqe));
		sqe.opcode = IORING_OP_WRITE;
		sqe.fd = fd;
		sqe.addr = (uintptr_t)data;
		sqe.len = sizeof(data) - 1;
		sqe.off = 0;
		r = uring_run(&sqe);
		return r < 0 ? r : 0;
	}
	return -EINVAL;
}

int main(int argc, char **argv)
{
	int fd, src, pipefd[2], sig, r;
	sigset_t set;

	if (argc != 4 || !strstr(OPS, argv[1]) || !*argv[1] || strchr(argv[1], ' ')) {
		fprintf(stderr, "usage: held-write OP FILE SRC (OP: %s)\n", OPS);
		return 2;
	}
	/* blocked before "opened": a signal sent then waits for sigwait() */
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	fd = open(argv[2], O_RDWR);
	src = open(argv[3], O_RDONLY);
	if (fd < 0 || src < 0 || pipe(pipefd) ||
	    write(pipefd[1], data, sizeof(data) - 1) != sizeof(data) - 1) {
		fprintf(stderr, "held-write: cannot set up: %s\n", strerror(errno));
		return 2;
	}
	fprintf(stderr, "opened\n");
	if (sigwait(&set, &sig))
		return 2;
	r = do_op(argv[1], fd, src, pipefd);
	printf("%s: %s\n", argv[1], r ? strerror(-r) : "ok");
	return r ? 1 : 0;
}
