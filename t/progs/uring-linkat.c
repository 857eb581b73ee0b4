/*
 * uring-linkat - makes the hard link NEW to OLD with io_uring's
 * IORING_OP_LINKAT rather than link(2): the same kernel path (do_linkat),
 * without the system call.
 *
 *   uring-linkat OLD NEW     exit 1 with "uring-linkat: <strerror>" when refused
 */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>

#include "uring.h"

int main(int argc, char **argv)
{
	struct io_uring_sqe sqe;
	int r;

	if (argc != 3) {
		fprintf(stderr, "usage: uring-linkat OLD NEW\n");
		return 2;
	}
	memset(&sqe, 0, sizeof(sqe));
	sqe.opcode = IORING_OP_LINKAT;
	sqe.fd = AT_FDCWD; /* olddirfd */
	sqe.addr = (uintptr_t)argv[1]; /* oldpath */
	sqe.len = AT_FDCWD; /* newdirfd */
	sqe.addr2 = (uintptr_t)argv[2]; /* newpath */
	r = uring_run(&sqe);
	if (r < 0) {
		fprintf(stderr, "uring-linkat: %s\n", strerror(-r));
		return 1;
	}
	return 0;
}
