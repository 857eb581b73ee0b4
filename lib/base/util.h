/*
 * util.h - the few helpers every d4c program needs: git-style messages
 * (die/error/warning/info), allocation that cannot return NULL, and reading a
 * whole file with a size cap.
 */
#ifndef D4C_UTIL_H
#define D4C_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "exit.h"

extern const char *progname;
void set_progname(const char *argv0);
/* "PROGNAME VERSION" on stdout, for --version. */
void print_version(void);

/* Prints "PROG: MESSAGE" on stderr and exits with EXIT_USAGE. */
__attribute__((noreturn, format(printf, 1, 2))) void die(const char *fmt, ...);
/* Prints "PROG: MESSAGE" and how to get the usage text on stderr, and
 * exits with EXIT_USAGE: for a bad command line. */
__attribute__((noreturn, format(printf, 1, 2))) void usage_error(const char *fmt, ...);
/* Prints "PROG: error: MESSAGE"; returns -1 so callers can "return error(...)". */
__attribute__((format(printf, 1, 2))) int error(const char *fmt, ...);
/* Prints "PROG: warning: MESSAGE": a problem that does not stop the program. */
__attribute__((format(printf, 1, 2))) void warning(const char *fmt, ...);
/* Prints "PROG: MESSAGE": a status line (what is in force, what was done),
 * not a problem, so it carries no level word that log scanners would flag. */
__attribute__((format(printf, 1, 2))) void info(const char *fmt, ...);

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
__attribute__((format(printf, 1, 2))) char *xasprintf(const char *fmt, ...);

/*
 * Reads all of PATH ("-" is stdin) into a NUL-terminated buffer. Reads at
 * most MAX bytes: a longer input fails with -EFBIG without being read to
 * its end. Returns 0, or a negative errno value on failure (*BUF untouched).
 */
int read_whole_file(const char *path, size_t max, char **buf, size_t *len);

/* The number option NAME was given as S: decimal, from MIN to MAX, else a
 * usage error naming the option (exit 2). */
unsigned long number_arg(const char *name, const char *s, unsigned long min, unsigned long max);

/* A size in bytes, decimal with an optional k, M or G suffix (powers of
 * 1024), into *OUT. Returns 0, or -1 when S is not one (or overflows). */
int parse_size(const char *s, uint64_t *out);

/* Is every one of the N bytes at S in SET (and none NUL)? Returns 1 or 0. */
int span_all_in(const char *s, size_t n, const char *set);

/* Writes all LEN bytes to FD, again after a short write or EINTR.
 * Returns 0 or a negative errno value. */
int write_all(int fd, const void *buf, size_t len);

/* Nanoseconds of clock C (CLOCK_MONOTONIC, CLOCK_REALTIME, ...). */
uint64_t clock_ns(clockid_t c);

/*
 * Keeps, of the capabilities this thread holds, only the N in KEEP, in its
 * effective and permitted sets; empties the inheritable set, drops every
 * other capability from the bounding set (when the process may) and sets
 * no_new_privs, so that nothing it runs later gets any back. Capabilities
 * are per thread: call it before starting threads. Returns 0, or -1 when
 * the kernel refused (errno set).
 */
int keep_capabilities(const int *keep, int n);

struct stat;
/*
 * Refuses what another user could have written or swapped: PATH (whose
 * stat is ST) must be owned by the effective uid, or by root when ROOT_OK,
 * and not writable by group or others. Returns 0, or -1 after printing one
 * error line naming PATH.
 */
int check_owned(const char *path, const struct stat *st, int root_ok);

/*
 * Writes LEN bytes to PATH: "-" is stdout; a character device or a FIFO
 * is written to as it is; a regular file, or a path that does not exist,
 * is replaced atomically (temporary file then rename); a symbolic link to
 * a regular file has that file replaced, the link kept. Anything else (a
 * directory, a link to something not a regular file) is refused. Returns
 * 0, or -1 after printing one error line naming PATH ('<stdout>' for "-").
 */
int write_whole_file(const char *path, const void *buf, size_t len);

#endif
