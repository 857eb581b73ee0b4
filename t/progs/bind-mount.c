/*
 * bind-mount - bind-mounts SRC on DST with mount(2) and reports the
 * kernel's own error: mount(8) words an EPERM on a file as "mount point
 * is not a directory", which would hide who refused.
 *
 *   bind-mount SRC DST      exit 1 with "bind-mount: <strerror>" when refused
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: bind-mount SRC DST\n");
		return 2;
	}
	if (mount(argv[1], argv[2], NULL, MS_BIND, NULL)) {
		fprintf(stderr, "bind-mount: %s\n", strerror(errno));
		return 1;
	}
	return 0;
}
