/*
 * fork-as - renames itself with prctl(PR_SET_NAME) (the name a processName
 * selector sees), then forks: the test of a fork block on a name the
 * process gave itself after exec.
 *
 *   fork-as NAME     the child prints "child ran"; when fork is refused,
 *                    exit 1 with "fork-as: <strerror>"
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	pid_t pid;

	if (argc != 2) {
		fprintf(stderr, "usage: fork-as NAME\n");
		return 2;
	}
	if (prctl(PR_SET_NAME, argv[1], 0, 0, 0)) {
		fprintf(stderr, "fork-as: prctl: %s\n", strerror(errno));
		return 2;
	}
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "fork-as: %s\n", strerror(errno));
		return 1;
	}
	if (pid == 0) {
		fputs("child ran\n", stdout);
		fflush(stdout);
		_exit(0);
	}
	waitpid(pid, NULL, 0);
	return 0;
}
