/*
 * idnames - the names of user and group ids as a container itself defines
 * them, in its own /etc/passwd and /etc/group, for process.user.name and
 * process.group.name. The files are read through /proc/PID/root of one of
 * its processes, so that its symlinks resolve inside the container (never
 * on the host), nothing but a regular file is read, and at most 4 MiB.
 */
#ifndef D4C_IDNAMES_H
#define D4C_IDNAMES_H

#include <stddef.h>
#include <stdint.h>

#define IDNAMES_MAX_BYTES (4u << 20)

struct idnames;

/*
 * Reads FILE (relative, e.g. "etc/passwd") below the directory ROOT (e.g.
 * "/proc/123/root"), resolved as if ROOT were "/". Returns 0 with the table
 * in *OUT, or a negative errno: -ESRCH (ROOT cannot be opened: its process
 * is gone), -ENOENT (no such file), -EXDEV or -ELOOP (a
 * path that would leave ROOT), -EINVAL (not a regular file), -EFBIG (too
 * large), -ENOSYS (a kernel without openat2: the file is not read).
 */
int idnames_load(const char *root, const char *file, struct idnames **out);

/* Parses the text of a passwd or group file (name:x:id:...). Never fails:
 * malformed lines are skipped. */
struct idnames *idnames_parse(const char *text, size_t len);

/* The name of ID (the first line that has it, as getpwuid does), or NULL. */
const char *idnames_find(const struct idnames *t, uint32_t id);

size_t idnames_count(const struct idnames *t);
void idnames_free(struct idnames *t);

#endif
