/*
 * test-imageref.c - the one grammar of image references: how the resolver
 * splits what runtimes record, which tags the checker takes, and Docker
 * Hub's two spellings of an official image.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imageref.h"
#include "tap.h"
#include "util.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define DIGEST    \
	"sha256:" \
	"0123abcd0123abcd0123abcd0123abcd0123abcd0123abcd0123abcd0123abcd"

static const struct image_case {
	const char *ref;
	const char *full_name, *name, *tag, *digest; /* full_name NULL: -EINVAL */
} image_cases[] = {
	{ "nginx", "docker.io/library/nginx", "nginx", "latest", NULL },
	{ "nginx:1.25", "docker.io/library/nginx", "nginx", "1.25", NULL },
	{ "docker.io/library/nginx:1.25@" DIGEST, "docker.io/library/nginx", "nginx", "1.25",
	  DIGEST },
	{ "docker.io/nginx", "docker.io/library/nginx", "nginx", "latest", NULL },
	{ "index.docker.io/nginx:1.25", "docker.io/library/nginx", "nginx", "1.25", NULL },
	{ "bitnami/redis:7.2", "docker.io/bitnami/redis", "redis", "7.2", NULL },
	{ "nginx@" DIGEST, "docker.io/library/nginx", "nginx", NULL, DIGEST },
	{ "quay.io/prometheus/node-exporter:v1.7.0", "quay.io/prometheus/node-exporter",
	  "node-exporter", "v1.7.0", NULL },
	{ "registry.k8s.io/pause:3.9", "registry.k8s.io/pause", "pause", "3.9", NULL },
	{ "localhost:5000/team/app", "localhost:5000/team/app", "app", "latest", NULL },
	{ "registry.example.com:5000/app:2.0@" DIGEST, "registry.example.com:5000/app", "app",
	  "2.0", DIGEST },
	{ "localhost/app:dev", "localhost/app", "app", "dev", NULL },
	{ "Registry.Example.com/a/b/c:x_y-z.1", "Registry.Example.com/a/b/c", "c", "x_y-z.1",
	  NULL },
	{ DIGEST, NULL, NULL, NULL, DIGEST }, /* a bare image id: only the digest */
	{ "", NULL, NULL, NULL, NULL },
	{ "nginx:", NULL, NULL, NULL, NULL },
	{ ":1.25", NULL, NULL, NULL, NULL },
	{ "nginx@", NULL, NULL, NULL, NULL },
	{ "nginx@sha256:short", NULL, NULL, NULL, NULL },
	{ "quay.io/", NULL, NULL, NULL, NULL },
	{ "a//b", NULL, NULL, NULL, NULL },
	{ "Upper/Case", NULL, NULL, NULL, NULL },
	{ "nginx:-bad", NULL, NULL, NULL, NULL },
	{ "ng\xffinx", NULL, NULL, NULL, NULL },
};

static void test_images(void)
{
	char *long_ref = xmalloc(8192);

	diag("image reference -> full name, name, tag, digest");
	for (size_t i = 0; i < ARRAY_SIZE(image_cases); i++) {
		const struct image_case *c = &image_cases[i];
		int invalid = !c->full_name && !c->digest;
		struct image_ref img;
		char got[512], want[512], shown[256];
		int r = image_ref_split(c->ref, &img);

		snprintf(got, sizeof(got), "%d %s %s %s %s%s", r, img.full_name ?: "-",
			 img.name ?: "-", img.tag ?: "-", img.digest ?: "-",
			 r == -EINVAL ? " (not a reference)" : "");
		if (invalid)
			snprintf(want, sizeof(want), "%d - - - - (not a reference)", -EINVAL);
		else
			snprintf(want, sizeof(want), "0 %s %s %s %s", c->full_name ?: "-",
				 c->name ?: "-", c->tag ?: "-", c->digest ?: "-");
		is_str(got, want, "'%s' -> %s", printable(c->ref, shown, sizeof(shown)),
		       invalid ? "not a reference" : want + 2);
		image_ref_free(&img);
	}
	memset(long_ref, 'a', 8191);
	long_ref[8191] = '\0';
	{
		struct image_ref img;

		is_int(image_ref_split(long_ref, &img), -EINVAL, "an 8 KiB reference is refused");
	}
	free(long_ref);
}

static void test_tags(void)
{
	char tag[IMAGE_TAG_MAX + 2];

	diag("tags: what the checker takes is what the resolver reads");
	ok(image_ref_tag_ok("1.25", 4, 0), "'1.25' is a tag");
	ok(image_ref_tag_ok("_x", 2, 0), "'_x' is a tag ('_' may start one)");
	ok(!image_ref_tag_ok(".x", 2, 0), "'.x' is not ('.' may not start one)");
	ok(!image_ref_tag_ok("-x", 2, 0), "'-x' is not ('-' may not start one)");
	ok(!image_ref_tag_ok("", 0, 0), "the empty string is not");
	ok(!image_ref_tag_ok("a/b", 3, 0), "'a/b' is not");
	ok(!image_ref_tag_ok("a\0b", 3, 0), "a NUL byte is not part of one");
	ok(!image_ref_tag_ok("1.*", 3, 0), "'1.*' is not a tag");
	ok(image_ref_tag_ok("1.*", 3, 1), "'1.*' is one as a policy's wildcard");
	memset(tag, 'a', sizeof(tag));
	ok(image_ref_tag_ok(tag, IMAGE_TAG_MAX, 0), "%d characters are a tag", IMAGE_TAG_MAX);
	ok(!image_ref_tag_ok(tag, IMAGE_TAG_MAX + 1, 0), "%d are not", IMAGE_TAG_MAX + 1);
	for (size_t i = 0; i < 2; i++) {
		/* the resolver refuses a reference whose tag the rule refuses */
		struct image_ref img;
		const char *ref = i ? "nginx:.bad" : "nginx:ok.1";

		is_int(image_ref_split(ref, &img), i ? -EINVAL : 0, "'%s' %s", ref,
		       i ? "is refused by the resolver" : "splits");
		image_ref_free(&img);
	}
}

static void test_official(void)
{
	static const struct {
		const char *s, *want;
	} cases[] = {
		{ "docker.io/nginx", "nginx" }, { "docker.io/library/nginx", "nginx" },
		{ "docker.io/team/app", NULL }, { "quay.io/nginx", NULL },
		{ "docker.io/", NULL },		{ "docker.io/library/", NULL },
	};
	char got[64];

	diag("Docker Hub's two spellings of an official image");
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		size_t n = 0;
		const char *r = image_ref_official(cases[i].s, strlen(cases[i].s), &n);

		snprintf(got, sizeof(got), "%.*s", r ? (int)n : 1, r ? r : "-");
		is_str(got, cases[i].want ? cases[i].want : "-", "'%s' -> %s", cases[i].s,
		       cases[i].want ? cases[i].want : "not official");
	}
}

int main(void)
{
	plan(NO_PLAN);
	test_images();
	test_tags();
	test_official();
	return done_testing();
}
