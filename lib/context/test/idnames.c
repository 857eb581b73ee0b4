/*
 * test-idnames.c - user and group names from a container's files: the
 * first line of an id wins, malformed lines are skipped, and what is read
 * through a root is never outside it, never a FIFO, never too large.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "idnames.h"
#include "tap.h"
#include "util.h"

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f || fputs(text, f) < 0 || fclose(f))
		exit(99);
}

int main(void)
{
	static const char passwd[] = "root:x:0:0:root:/root:/bin/sh\n"
				     "# a comment:x:5:\n"
				     "+nis:::\n"
				     "www:x:1234:2345:web:/home/www:/bin/sh\n"
				     "shadowed:x:1234:1::/:/bin/sh\n"
				     "big:x:4294967295:0::/:\n"
				     "toobig:x:4294967296:0::/:\n"
				     "noid:x::0::/:\n"
				     "letters:x:12a:0::/:\n"
				     ":x:77:0::/:\n"
				     "last:x:42:0::/:"; /* no newline */
	char dir[] = "/tmp/test-idnames.XXXXXX", root[256], path[512], outside[512];
	struct idnames *t = idnames_parse(passwd, sizeof(passwd) - 1);
	int r;

	plan(15);
	is_int((long long)idnames_count(t), 5, "five good lines");
	is_str(idnames_find(t, 0), "root", "uid 0");
	is_str(idnames_find(t, 1234), "www", "the first line of an id wins");
	is_str(idnames_find(t, 4294967295u), "big", "the largest id");
	is_str(idnames_find(t, 42), "last", "a last line without a newline");
	is_str(idnames_find(t, 77), NULL, "no name, no entry");
	is_str(idnames_find(NULL, 0), NULL, "no table");
	idnames_free(t);

	if (!mkdtemp(dir))
		return 99;
	snprintf(root, sizeof(root), "%s/root", dir);
	snprintf(path, sizeof(path), "%s/etc", root);
	if (mkdir(root, 0755) || mkdir(path, 0755))
		return 99;
	snprintf(path, sizeof(path), "%s/etc/passwd", root);
	write_file(path, "app:x:10:10::/:\n");
	r = idnames_load(root, "etc/passwd", &t);
	is_int(r, 0, "a regular file is read");
	is_str(idnames_find(t, 10), "app", "and parsed");
	idnames_free(t);

	/* an absolute symlink names a file in the root, not the host's */
	snprintf(outside, sizeof(outside), "%s/host-group", dir);
	write_file(outside, "escaped:x:10:\n");
	snprintf(path, sizeof(path), "%s/etc/group", root);
	if (symlink(outside, path))
		return 99;
	is_int(idnames_load(root, "etc/group", &t), -ENOENT, "an absolute symlink stays inside");
	unlink(path);
	if (symlink("../../../host-group", path))
		return 99;
	is_int(idnames_load(root, "etc/group", &t), -ENOENT, "so does one with ..");
	unlink(path);

	/* a FIFO would block a reader forever */
	if (mkfifo(path, 0644))
		return 99;
	is_int(idnames_load(root, "etc/group", &t), -EINVAL, "a FIFO is refused, at once");
	unlink(path);

	/* larger than the limit (sparse: no disk) */
	{
		int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		if (fd < 0 || ftruncate(fd, IDNAMES_MAX_BYTES + 1) || close(fd))
			return 99;
	}
	is_int(idnames_load(root, "etc/group", &t), -EFBIG, "a file above the limit is refused");
	unlink(path);
	is_int(idnames_load(root, "etc/group", &t), -ENOENT, "no file");
	snprintf(path, sizeof(path), "%s/nonexistent", dir);
	is_int(idnames_load(path, "etc/group", &t), -ESRCH, "no root");

	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	return system(path) || tap_failed ? 1 : 0;
}
