/*
 * load-cost-driver.c - the workloads of bench/load-cost.sh, as fast as a
 * process can make them (a shell loop would measure the shell):
 *
 *   load-cost-driver exec N PATH       N x fork + execve(PATH) + waitpid
 *   load-cost-driver open N FILE...    N x open(O_WRONLY) + write + close,
 *                                      going round the existing FILEs
 *   load-cost-driver create N DIR [BYTES]
 *                                      N x open(O_CREAT|O_EXCL) + write of
 *                                      BYTES (default 1) + close + unlink
 *                                      of DIR/c<i % 16>
 *
 * Prints one line: "<mode> ok=<done> failed=<n> ns=<elapsed> pid=<pid>
 * cpu_ns=<user + system time of the driver and its children>": the CPU
 * time is what the operations cost, kernel programs run in their context
 * included, whatever else competes for the CPUs.
 * Exit status 0 when nothing failed, 1 otherwise, 2 on usage errors.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec;
}

static unsigned long long tv_ns(struct timeval tv)
{
	return (unsigned long long)tv.tv_sec * 1000000000ull +
	       (unsigned long long)tv.tv_usec * 1000;
}

/* User + system time of this process and its waited-for children. */
static unsigned long long cpu_ns(void)
{
	struct rusage self, children;

	getrusage(RUSAGE_SELF, &self);
	getrusage(RUSAGE_CHILDREN, &children);
	return tv_ns(self.ru_utime) + tv_ns(self.ru_stime) + tv_ns(children.ru_utime) +
	       tv_ns(children.ru_stime);
}

static int usage(void)
{
	fputs("usage: load-cost-driver exec N PATH | open N FILE... | create N DIR [BYTES]\n",
	      stderr);
	return 2;
}

int main(int argc, char **argv)
{
	unsigned long long t0, t1, c0, c1;
	long n, i, ok = 0, failed = 0;
	char *end;

	if (argc < 4)
		return usage();
	n = strtol(argv[2], &end, 10);
	if (*end || n < 0)
		return usage();
	c0 = cpu_ns();
	t0 = now_ns();
	if (strcmp(argv[1], "exec") == 0) {
		char *cargv[] = { argv[3], NULL };

		for (i = 0; i < n; i++) {
			int st;
			pid_t p = fork();

			if (p < 0) {
				failed++;
				continue;
			}
			if (p == 0) {
				execve(argv[3], cargv, environ);
				_exit(127);
			}
			while (waitpid(p, &st, 0) < 0 && errno == EINTR)
				;
			if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
				ok++;
			else
				failed++;
		}
	} else if (strcmp(argv[1], "open") == 0) {
		int nf = argc - 3;

		for (i = 0; i < n; i++) {
			int fd = open(argv[3 + i % nf], O_WRONLY | O_CLOEXEC);

			if (fd < 0 || write(fd, "x", 1) != 1)
				failed++;
			else
				ok++;
			if (fd >= 0)
				close(fd);
		}
	} else if (strcmp(argv[1], "create") == 0) {
		static char buf[1 << 20];
		char path[4096];
		long bytes = 1;

		if (argc > 4) {
			bytes = strtol(argv[4], &end, 10);
			if (*end || bytes < 1 || bytes > (long)sizeof(buf))
				return usage();
		}
		memset(buf, 'x', bytes);
		for (i = 0; i < n; i++) {
			int fd;

			snprintf(path, sizeof(path), "%s/c%ld", argv[3], i % 16);
			fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
			if (fd < 0 || write(fd, buf, bytes) != bytes)
				failed++;
			else
				ok++;
			if (fd >= 0)
				close(fd);
			if (unlink(path) < 0 && fd >= 0)
				failed++;
		}
	} else {
		return usage();
	}
	t1 = now_ns();
	c1 = cpu_ns();
	printf("%s ok=%ld failed=%ld ns=%llu pid=%ld cpu_ns=%llu\n", argv[1], ok, failed, t1 - t0,
	       (long)getpid(), c1 - c0);
	return failed ? 1 : 0;
}
