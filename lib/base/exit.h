/*
 * exit.h - the exit statuses of all five programs, in one table.
 *
 * 0 and 2 mean the same everywhere (done; usage or I/O error); 1 and 3 to 6
 * mean what the programs named beside them say, and only there. Each
 * program's man page lists exactly its rows (t/manpages.bats checks), so
 * a script can rely on a status without reading the source.
 */
#ifndef D4C_EXIT_H
#define D4C_EXIT_H

/* X(name, status, programs): programs are the ones that may exit with it. */
#define D4C_EXIT_TABLE(X)                                                                  \
	X(EXIT_OK, 0, "d4c-policy d4c-load d4c-trace d4c-enrich d4c-ship")                 \
	X(EXIT_INVALID, 1, "d4c-policy d4c-load") /* input understood but rejected */      \
	X(EXIT_DEAD_LETTERED, 1, "d4c-ship") /* all handled, some dead-lettered */         \
	X(EXIT_USAGE, 2, "d4c-policy d4c-load d4c-trace d4c-enrich d4c-ship") /* or I/O */ \
	X(EXIT_NO_LSM, 3, "d4c-load") /* the policy blocks, BPF LSM is not usable */       \
	X(EXIT_REFUSED_AUTH, 3, "d4c-ship") /* credentials or TLS refused */               \
	X(EXIT_KERNEL, 4, "d4c-load d4c-trace") /* the kernel refused to load or attach */ \
	X(EXIT_UNREACHABLE, 4, "d4c-ship") /* no URL reachable within --startup-timeout */ \
	X(EXIT_REFUSED, 5, "d4c-ship") /* a refusal retrying cannot fix */                 \
	X(EXIT_UNDELIVERED, 6, "d4c-ship") /* stopped with events neither sent nor spooled */

#define D4C_EXIT_ENUM(name, status, programs) name = status,
enum { D4C_EXIT_TABLE(D4C_EXIT_ENUM) };
#undef D4C_EXIT_ENUM

#endif
