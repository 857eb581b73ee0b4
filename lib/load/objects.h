/*
 * objects.h - the file system objects that a policy's paths name when it
 * is installed, by device and inode, for the kernel's objects map.
 *
 * The kernel decides on the name an operation uses. A hard link made
 * before d4c-load started, or a bind mount of a protected file or
 * directory, reaches the same object by a name no policy gives: with the
 * object known, the kernel decides it as the name the policy gives.
 * Objects made later are covered by the hooks that make names (link,
 * rename, mount is not one: see d4c-load(1), COVERAGE).
 */
#ifndef D4C_OBJECTS_H
#define D4C_OBJECTS_H

#include "blob.h"

/* The most objects one policy records (the map holds both slots'). */
#define OBJECTS_MAX (D4C_MAX_OBJECTS / 2)

struct objects_stats {
	unsigned long objects; /* recorded for this slot */
	unsigned long unreadable; /* directories that could not be read */
	int full; /* stopped at OBJECTS_MAX */
};

/*
 * Records in the objects map MAP_FD, for slot SLOT, every regular file and
 * directory at or below the paths of blob B, as seen under ROOT (NULL or
 * "" for "/"), after clearing what the slot held. Returns 0, or -1 after
 * an error updating the map (said); *ST says what was found.
 */
int objects_install(int map_fd, const struct blob *b, unsigned slot, const char *root,
		    struct objects_stats *st);

#endif
