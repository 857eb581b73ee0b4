/*
 * objects.c - the file system objects a policy's paths name, recorded by
 * device and inode for the kernel (see objects.h).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "d4c.h"
#include "objects.h"
#include "util.h"

struct scan {
	int fd; /* the objects map */
	unsigned slot, type;
	const struct d4c_path *p;
	struct objects_stats *st;
	int err;
};

/* The kernel's dev_t of a file system: MKDEV(major, minor). */
static __u64 kdev(dev_t d)
{
	return (__u64)major(d) << 20 | minor(d);
}

/* ORs SEL (and INSIDE, for a directory) into the object of ST. Returns 0,
 * or -1 when the map cannot take it (full: st->full set; or an error). */
static int record(struct scan *sc, const struct stat *st, __u64 sel, __u64 inside)
{
	struct d4c_obj_key k = { .dev = kdev(st->st_dev), .ino = st->st_ino };
	struct d4c_obj_val v = { 0 };
	int had = bpf_map_lookup_elem(sc->fd, &k, &v) == 0;

	if (!had && sc->st->objects >= OBJECTS_MAX) {
		sc->st->full = 1;
		return -1;
	}
	if (had && (v.sel[sc->slot][sc->type] & sel) == sel &&
	    (v.inside[sc->slot] & inside) == inside)
		return 0;
	v.sel[sc->slot][sc->type] |= sel;
	v.inside[sc->slot] |= inside;
	if (bpf_map_update_elem(sc->fd, &k, &v, BPF_ANY)) {
		if (errno == E2BIG || errno == ENOMEM || errno == ENOSPC) {
			sc->st->full = 1;
			return -1;
		}
		sc->err = error("cannot record a file the policy names: %s", strerror(errno));
		return -1;
	}
	if (!had)
		sc->st->objects++;
	return 0;
}

/* The selectors of path entry P for an object LEVEL components below it,
 * and for a name made inside it if it is a directory. */
static void level_masks(const struct d4c_path *p, unsigned level, __u64 *sel, __u64 *inside)
{
	*sel = level == 0 ? p->exact : level == 1 ? p->children | p->descendants : p->descendants;
	*inside = level == 0 ? p->children | p->descendants : p->descendants;
}

/* Records the directory open at DFD (LEVEL components below the policy
 * path) and what is below it. Returns 0, or -1 to stop. Closes DFD. */
static int scan_dir(struct scan *sc, int dfd, unsigned level)
{
	DIR *d = fdopendir(dfd);
	struct dirent *de;
	int r = 0;

	if (!d) {
		close(dfd);
		sc->st->unreadable++;
		return 0;
	}
	while (!r && (de = readdir(d))) {
		struct stat st;
		__u64 sel, inside;
		int cfd;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW))
			continue; /* gone meanwhile */
		if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
			continue; /* a symlink or a device is reached by its own name */
		level_masks(sc->p, level + 1, &sel, &inside);
		if (record(sc, &st, sel,
			   S_ISDIR(st.st_mode) && sc->type == D4C_TYPE_FILE ? inside : 0))
			r = -1;
		else if (S_ISDIR(st.st_mode) && sc->p->descendants && level + 1 < D4C_PATH_DEPTH) {
			cfd = openat(dirfd(d), de->d_name,
				     O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (cfd < 0)
				sc->st->unreadable++;
			else
				r = scan_dir(sc, cfd, level + 1);
		}
	}
	closedir(d);
	return r;
}

/* Zeroes slot SLOT in every object; drops those left with nothing. */
static void clear_objects(int fd, unsigned slot)
{
	struct d4c_obj_key *keys = NULL, *prev = NULL, next;
	size_t n = 0, cap = 0;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		if (n == cap) {
			cap = cap ? 2 * cap : 256;
			keys = xrealloc(keys, cap * sizeof(*keys));
		}
		keys[n] = next;
		prev = &keys[n++];
	}
	for (size_t i = 0; i < n; i++) {
		struct d4c_obj_val v;
		int empty = 1;

		if (bpf_map_lookup_elem(fd, &keys[i], &v))
			continue;
		memset(v.sel[slot], 0, sizeof(v.sel[slot]));
		v.inside[slot] = 0;
		for (unsigned s = 0; s < D4C_SLOTS; s++)
			empty &= !v.inside[s] && !v.sel[s][0] && !v.sel[s][1];
		if (empty)
			bpf_map_delete_elem(fd, &keys[i]);
		else
			bpf_map_update_elem(fd, &keys[i], &v, BPF_EXIST);
	}
	free(keys);
}

int objects_install(int map_fd, const struct blob *b, unsigned slot, const char *root,
		    struct objects_stats *st)
{
	struct scan sc = { .fd = map_fd, .slot = slot & (D4C_SLOTS - 1), .st = st };

	memset(st, 0, sizeof(*st));
	clear_objects(map_fd, sc.slot);
	for (size_t i = 0; i < b->npaths && !st->full && !sc.err; i++) {
		const struct d4c_path *p = &b->paths[i];
		char path[PATH_MAX];
		struct stat s;
		__u64 sel, inside;
		int fd;

		snprintf(path, sizeof(path), "%s%.*s", root ? root : "", (int)p->path.len,
			 blob_str(b, p->path));
		if (lstat(path, &s) || (!S_ISREG(s.st_mode) && !S_ISDIR(s.st_mode)))
			continue; /* not there (yet): its names are the policy's own */
		sc.p = p;
		sc.type = p->type & 1;
		level_masks(p, 0, &sel, &inside);
		if (record(&sc, &s, sel,
			   S_ISDIR(s.st_mode) && sc.type == D4C_TYPE_FILE ? inside : 0))
			break;
		if (!S_ISDIR(s.st_mode) || !(p->children | p->descendants))
			continue;
		fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			st->unreadable++;
		else
			scan_dir(&sc, fd, 0);
	}
	return sc.err ? -1 : 0;
}
