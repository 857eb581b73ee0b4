/*
 * rename-exchange - swaps the names A and B atomically with renameat2()'s
 * RENAME_EXCHANGE (through syscall(): older C libraries lack the wrapper),
 * which neither mv nor rename(2) can do: A can be a file and B a directory.
 *
 *   rename-exchange A B      exit 1 with "rename-exchange: <strerror>" when refused
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: rename-exchange A B\n");
		return 2;
	}
	if (syscall(__NR_renameat2, AT_FDCWD, argv[1], AT_FDCWD, argv[2], RENAME_EXCHANGE)) {
		fprintf(stderr, "rename-exchange: %s\n", strerror(errno));
		return 1;
	}
	return 0;
}
