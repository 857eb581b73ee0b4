/*
 * imageref.c - the grammar of image references (see imageref.h), as
 * Docker's reference package reads them.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "imageref.h"
#include "util.h"

#define DIGITS "0123456789"
#define LOWER  "abcdefghijklmnopqrstuvwxyz"
#define UPPER  "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

static int is_word(const char *s, size_t n, const char *word)
{
	return strlen(word) == n && !memcmp(s, word, n);
}

/* 64 lower-case hex digits: what follows "sha256:" in an image id. */
static int is_image_id(const char *s, size_t n)
{
	return n == 64 && span_all_in(s, n, DIGITS "abcdef");
}

void image_ref_free(struct image_ref *img)
{
	free(img->full_name);
	free(img->name);
	free(img->tag);
	free(img->digest);
	memset(img, 0, sizeof(*img));
}

/* "algorithm:encoded", e.g. sha256 and 64 hex digits. */
static int is_digest(const char *s)
{
	const char *colon = strchr(s, ':');

	return colon && colon > s && span_all_in(s, colon - s, LOWER DIGITS "+._-") &&
	       strlen(colon + 1) >= 32 &&
	       span_all_in(colon + 1, strlen(colon + 1), LOWER UPPER DIGITS "=_-");
}

int image_ref_tag_ok(const char *s, size_t n, int wild)
{
	const char *set = wild ? LOWER UPPER DIGITS "_.-*" : LOWER UPPER DIGITS "_.-";

	return n && n <= IMAGE_TAG_MAX && s[0] != '.' && s[0] != '-' && span_all_in(s, n, set);
}

/* A repository path: components of lower-case letters, digits and
 * separators, starting with a letter or digit. */
static int is_repo_path(const char *s, size_t n)
{
	for (const char *p = s, *end = s + n; p <= end;) {
		const char *slash = memchr(p, '/', end - p);
		size_t len = (slash ? slash : end) - p;

		if (!len || !span_all_in(p, 1, LOWER DIGITS) ||
		    !span_all_in(p, len, LOWER DIGITS "._-"))
			return 0;
		p += len + 1;
	}
	return 1;
}

/* Docker's rule: the first component is a registry when it has a '.' or a
 * ':' (a port), is "localhost", or has upper-case letters. */
static int is_registry(const char *s, size_t n)
{
	return memchr(s, '.', n) || memchr(s, ':', n) || is_word(s, n, "localhost") ||
	       !span_all_in(s, n, LOWER DIGITS "._-");
}

int image_ref_split(const char *ref, struct image_ref *out)
{
	const char *at, *end, *colon, *slash, *reg = "docker.io", *path = ref;
	size_t n = strlen(ref), reglen = 9, pathlen;
	int library;

	memset(out, 0, sizeof(*out));
	if (!n || n > IMAGE_REF_MAX)
		return -EINVAL;
	if (!strncmp(ref, "sha256:", 7) && is_image_id(ref + 7, n - 7)) {
		out->digest = xstrdup(ref); /* an image id, no name */
		return 0;
	}
	at = strchr(ref, '@');
	if (at && !is_digest(at + 1))
		return -EINVAL;
	end = at ? at : ref + n;
	slash = memrchr(ref, '/', end - ref);
	colon = memrchr(slash ? slash : ref, ':', end - (slash ? slash : ref));
	if (colon && !image_ref_tag_ok(colon + 1, end - colon - 1, 0))
		return -EINVAL;
	if (colon)
		end = colon;
	slash = memchr(ref, '/', end - ref);
	if (slash && is_registry(ref, slash - ref)) {
		reg = ref;
		reglen = slash - ref;
		path = slash + 1;
		if (!reglen || !span_all_in(reg, reglen, LOWER UPPER DIGITS ".-:"))
			return -EINVAL;
		if (is_word(reg, reglen, "index.docker.io")) {
			reg = "docker.io";
			reglen = 9;
		}
	}
	pathlen = end - path;
	if (!is_repo_path(path, pathlen))
		return -EINVAL;
	library = is_word(reg, reglen, "docker.io") && !memchr(path, '/', pathlen);
	out->full_name = xasprintf("%.*s/%s%.*s", (int)reglen, reg, library ? "library/" : "",
				   (int)pathlen, path);
	out->name = xstrdup(strrchr(out->full_name, '/') + 1);
	if (colon)
		out->tag = xstrndup(colon + 1, (at ? at : ref + n) - colon - 1);
	else if (!at)
		out->tag = xstrdup("latest");
	if (at)
		out->digest = xstrdup(at + 1);
	return 0;
}

const char *image_ref_official(const char *s, size_t len, size_t *rlen)
{
	static const char lib[] = "docker.io/library/", hub[] = "docker.io/";
	const char *rest;

	if (len > sizeof(lib) - 1 && !strncmp(s, lib, sizeof(lib) - 1))
		rest = s + sizeof(lib) - 1;
	else if (len > sizeof(hub) - 1 && !strncmp(s, hub, sizeof(hub) - 1))
		rest = s + sizeof(hub) - 1;
	else
		return NULL;
	*rlen = len - (rest - s);
	return memchr(rest, '/', *rlen) ? NULL : rest;
}
