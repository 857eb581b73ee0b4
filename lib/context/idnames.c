/*
 * idnames - user and group names from a container's own files (see
 * idnames.h).
 *
 * openat2(RESOLVE_IN_ROOT) makes the container's root the walk's "/":
 * absolute symlinks and ".." stay inside it, as they would for the
 * container's own processes. Magic links (/proc/self/...) are refused.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "idnames.h"
#include "util.h"

#define NAME_MAX_LEN 256

struct idname {
	uint32_t id;
	uint32_t line; /* order in the file: the first line of an id wins */
	char *name;
};

struct idnames {
	struct idname *v;
	size_t n;
};

static int cmp(const void *a, const void *b)
{
	const struct idname *x = a, *y = b;

	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return x->line < y->line ? -1 : x->line > y->line;
}

/* The id of field 3 of LINE (name:x:ID:...), and its name length; -1 if malformed. */
static int parse_line(const char *l, const char *end, uint32_t *id, size_t *namelen)
{
	const char *c1 = memchr(l, ':', end - l), *c2, *p;
	uint64_t v = 0;

	if (!c1 || c1 == l || c1 - l > NAME_MAX_LEN || *l == '+' || *l == '-' || *l == '#')
		return -1;
	c2 = memchr(c1 + 1, ':', end - c1 - 1);
	if (!c2)
		return -1;
	for (p = c2 + 1; p < end && *p != ':'; p++) {
		if (*p < '0' || *p > '9' || (v = v * 10 + (uint64_t)(*p - '0')) > UINT32_MAX)
			return -1;
	}
	if (p == c2 + 1)
		return -1;
	*id = (uint32_t)v;
	*namelen = c1 - l;
	return 0;
}

struct idnames *idnames_parse(const char *text, size_t len)
{
	struct idnames *t = xcalloc(1, sizeof(*t));
	const char *p = text, *end = text + len;
	size_t cap = 0;
	uint32_t line = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', end - p), *le = nl ? nl : end;
		uint32_t id;
		size_t nlen;

		if (!parse_line(p, le, &id, &nlen)) {
			if (t->n == cap) {
				cap = cap ? cap * 2 : 32;
				t->v = xrealloc(t->v, cap * sizeof(*t->v));
			}
			t->v[t->n].id = id;
			t->v[t->n].line = line;
			t->v[t->n].name = xstrndup(p, nlen);
			t->n++;
		}
		line++;
		p = le + 1;
	}
	qsort(t->v, t->n, sizeof(*t->v), cmp);
	return t;
}

const char *idnames_find(const struct idnames *t, uint32_t id)
{
	size_t lo = 0, hi = t ? t->n : 0;

	/* the lowest index with this id: its first line */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->v[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return t && lo < t->n && t->v[lo].id == id ? t->v[lo].name : NULL;
}

size_t idnames_count(const struct idnames *t)
{
	return t ? t->n : 0;
}

void idnames_free(struct idnames *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++)
		free(t->v[i].name);
	free(t->v);
	free(t);
}

int idnames_load(const char *root, const char *file, struct idnames **out)
{
	struct open_how how = {
		.flags = O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	int dfd, fd, err = 0;
	struct stat st;
	char *buf = NULL;
	size_t len = 0;

	*out = NULL;
	dfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -ESRCH; /* the process is gone (or ROOT is no directory) */
	fd = (int)syscall(SYS_openat2, dfd, file, &how, sizeof(how));
	if (fd < 0) {
		err = -errno;
		goto cleanup;
	}
	/* O_NONBLOCK: a FIFO planted there does not hang the open; it is refused here */
	if (fstat(fd, &st)) {
		err = -errno;
		goto cleanup;
	}
	if (!S_ISREG(st.st_mode)) {
		err = -EINVAL;
		goto cleanup;
	}
	if (st.st_size > IDNAMES_MAX_BYTES) {
		err = -EFBIG;
		goto cleanup;
	}
	buf = xmalloc((size_t)st.st_size + 1);
	while (len < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + len, (size_t)st.st_size - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			goto cleanup;
		}
		if (n == 0)
			break; /* shrank meanwhile: what was read */
		len += (size_t)n;
	}
	*out = idnames_parse(buf, len);
cleanup:
	free(buf);
	if (fd >= 0)
		close(fd);
	close(dfd);
	return err;
}
