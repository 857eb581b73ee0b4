/*
 * imageref.h - the grammar of container image references, in one place:
 * the resolver splits what runtimes record with it (lib/context/container.c), the
 * checker judges policy values by it (lib/policy/policy.c), and the matcher
 * compares Docker Hub's two spellings of one image with it (lib/blob/match.c).
 * Were each to carry its own copy, a tag the checker accepts could be one
 * the resolver never reports, and the rule would silently never match.
 */
#ifndef D4C_IMAGEREF_H
#define D4C_IMAGEREF_H

#include <stddef.h>

/* Longest tag a registry takes. */
#define IMAGE_TAG_MAX 128
/* Longest reference the resolver reads; a longer one is no reference. */
#define IMAGE_REF_MAX 4096

struct image_ref {
	char *full_name; /* registry/path, as Docker normalizes it: "docker.io/library/nginx" */
	char *name; /* the path's last component: "nginx" */
	char *tag; /* "1.25"; "latest" when there is neither tag nor digest */
	char *digest; /* "sha256:...", or NULL */
};

/*
 * Splits an image reference [registry[:port]/]path[:tag][@digest] as Docker
 * reads it: no registry (the first component has no '.' or ':' and is not
 * "localhost") means docker.io, and a one-component path on docker.io gets
 * "library/". A bare image id ("sha256:<64 hex>") gives only the digest.
 * Returns 0 with newly allocated strings in OUT (free them with
 * image_ref_free()), or -EINVAL when REF is not a reference (OUT all NULL).
 */
int image_ref_split(const char *ref, struct image_ref *out);
void image_ref_free(struct image_ref *img);

/*
 * Is S (N bytes) a tag: 1 to IMAGE_TAG_MAX letters, digits, '_', '.' and
 * '-', not starting with '.' or '-'? With WILD, a '*' counts as a letter
 * (a policy value's wildcard). Returns 1 or 0.
 */
int image_ref_tag_ok(const char *s, size_t n, int wild);

/*
 * Docker Hub's official images have two spellings: "docker.io/nginx" (as
 * a policy writes it) and "docker.io/library/nginx" (as runtimes record
 * it). Returns the image's own name ("nginx") within S (LEN bytes) when S
 * is one of them, its length in *RLEN; else NULL.
 */
const char *image_ref_official(const char *s, size_t len, size_t *rlen);

#endif
