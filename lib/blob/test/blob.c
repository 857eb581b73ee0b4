/*
 * test-blob.c - the compiled policy: compiling is deterministic, the header
 * says what the format promises, blob_open refuses every damaged blob
 * cleanly (truncations, bit flips, bad fields with a valid checksum), and
 * blob_dump gives back what the policy said.
 */
#include "config.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "blob.h"
#include "match.h"
#include "policy.h"
#include "sha256.h"
#include "tap.h"

static const char policy_text[] =
	"version: '1'\n"
	"file:\n"
	"  selectors:\n"
	"    - name: etcAll\n"
	"      operation: [createFile, modifyFile]\n"
	"      targetFilePath: ['/etc/**']\n"
	"    - name: sbinChildren\n"
	"      targetFilePath: ['/usr/sbin/*', /etc/hosts]\n"
	"    - name: exactShadow\n"
	"      targetFilePath: [/etc/shadow]\n"
	"      ignoreVolumeMounts: true\n"
	"    - name: everything\n"
	"      operation: [deleteFile, execMemFd]\n"
	"      targetFilePath: ['/**', '/*']\n"
	"      ignoreVolumeFiles: true\n"
	"    - name: images\n"
	"      containerImageName: [elastic-agent, nginx]\n"
	"      containerImageTag: ['v1.*']\n"
	"      kubernetesNamespace: ['prod-*']\n"
	"      kubernetesPodLabel: ['app.kubernetes.io/name:web*', 'team:*', 'tier:']\n"
	"  responses:\n"
	"    - match: [etcAll, sbinChildren]\n"
	"      exclude: [exactShadow]\n"
	"      actions: [log, alert, block]\n"
	"    - match: [everything, images, exactShadow]\n"
	"      actions: [alert]\n"
	"process:\n"
	"  selectors:\n"
	"    - name: shells\n"
	"      operation: [exec]\n"
	"      processName: ['ba*', sh]\n"
	"    - name: tools\n"
	"      processExecutable: ['/usr/local/**', /usr/bin/curl]\n"
	"      sessionLeaderInteractive: false\n"
	"    - name: clusters\n"
	"      operation: [fork]\n"
	"      containerImageFullName: [docker.io/library/nginx]\n"
	"      kubernetesClusterId: [abc]\n"
	"      kubernetesClusterName: [main]\n"
	"      kubernetesPodName: ['backend-*']\n"
	"  responses:\n"
	"    - match: [shells, tools]\n"
	"      exclude: [clusters]\n"
	"      actions: [alert]\n"
	"    - match: [clusters]\n"
	"      actions: [log]\n";

static struct policy *parse(const char *text)
{
	struct diag_list dl = { 0 };
	struct policy *p = NULL;

	if (policy_parse(text, strlen(text), "test.yaml", &dl, &p)) {
		for (size_t i = 0; i < dl.n; i++)
			diag("%d:%d: %s", dl.v[i].line, dl.v[i].col, dl.v[i].msg);
		p = NULL;
	}
	diag_free(&dl);
	return p;
}

/* A copy of LEN bytes in a buffer of exactly that size (ASan sees overreads). */
static unsigned char *dup_exact(const unsigned char *buf, size_t len)
{
	unsigned char *c = malloc(len ? len : 1);

	memcpy(c, buf, len);
	return c;
}

static void fix_checksum(unsigned char *buf, size_t len)
{
	blob_checksum(buf, len, ((struct d4c_policy_header *)buf)->checksum);
}

/* Opens BUF (LEN bytes); returns the result with the error text in ERR. */
static int try_open(const unsigned char *buf, size_t len, unsigned flags, char *err, size_t size)
{
	struct blob b;

	err[0] = '\0';
	return blob_open(buf, len, flags, &b, err, size);
}

/* Sets one field (at OFF, SIZE bytes) of a copy, fixes the checksum and
 * checks that blob_open refuses it with a message; returns the message. */
static int refused_with_fix(const unsigned char *blob, size_t len, size_t off, const void *val,
			    size_t size, char *err, size_t errlen)
{
	unsigned char *c = dup_exact(blob, len);
	int r;

	memcpy(c + off, val, size);
	fix_checksum(c, len);
	r = try_open(c, len, 0, err, errlen);
	free(c);
	return r == -1 && err[0] != '\0';
}

static int json_str_is(json_t *o, const char *key, const char *want)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_string(v) || strcmp(json_string_value(v), want)) {
		diag("  %s: got %s, want '%s'", key, json_is_string(v) ? json_string_value(v) : "?",
		     want);
		return 0;
	}
	return 1;
}

/* Is the JSON array A the set of strings WANT (NULL-terminated), in any order? */
static int json_set_is(json_t *a, const char *const *want)
{
	size_t n = 0, i;
	json_t *v;

	while (want[n])
		n++;
	if (!json_is_array(a) || json_array_size(a) != n) {
		char *s = a ? json_dumps(a, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;

		diag("  got %s, want %zu strings", s ? s : "nothing", n);
		free(s);
		return 0;
	}
	for (size_t k = 0; k < n; k++) {
		int found = 0;

		json_array_foreach(a, i, v)
			if (json_is_string(v) && !strcmp(json_string_value(v), want[k]))
				found = 1;
		if (!found) {
			char *s = json_dumps(a, JSON_COMPACT);

			diag("  '%s' missing from %s", want[k], s);
			free(s);
			return 0;
		}
	}
	return 1;
}

/* The selector object named NAME in dump section TYPE ("file"/"process"). */
static json_t *dump_selector(json_t *dump, const char *type, const char *name)
{
	json_t *sels = json_object_get(json_object_get(dump, type), "selectors"), *s;
	size_t i;

	json_array_foreach(sels, i, s)
		if (json_is_string(json_object_get(s, "name")) &&
		    !strcmp(json_string_value(json_object_get(s, "name")), name))
			return s;
	return NULL;
}

#define SET(...) ((const char *const[]){ __VA_ARGS__, NULL })

static void test_determinism(const unsigned char *blob, size_t len)
{
	struct policy *p2 = parse(policy_text), *p3 = parse("file:\n  selectors:\n    - name: a\n"
							    "      targetFilePath: [/x]\n"
							    "  responses:\n    - match: [a]\n"
							    "      actions: [log]\n");
	unsigned char *b2 = NULL, *b3 = NULL, *b4 = NULL;
	size_t l2 = 0, l3 = 0, l4 = 0;

	if (!p2 || !p3) {
		ok(0, "policies parse again");
		skip(7, "no policy");
		policy_free(p2);
		policy_free(p3);
		return;
	}
	ok(blob_compile(p2, 7, &b2, &l2) == 0, "second compile of the same text succeeds");
	ok(l2 == len && !memcmp(b2, blob, len),
	   "same policy, same revision: byte-identical blob (%zu bytes)", len);
	ok(blob_compile(p2, 8, &b3, &l3) == 0 && l3 == len && memcmp(b3, blob, len),
	   "different revision: different bytes, same size");
	if (b3 && l3 == len) {
		unsigned char *x = dup_exact(blob, len), *y = dup_exact(b3, len);
		size_t ro = offsetof(struct d4c_policy_header, revision);
		size_t co = offsetof(struct d4c_policy_header, checksum);
		size_t diff = 0;

		is_int((long long)((struct d4c_policy_header *)b3)->revision, 8,
		       "revision 8 is in the header");
		memset(x + ro, 0, 8);
		memset(y + ro, 0, 8);
		memset(x + co, 0, 32);
		memset(y + co, 0, 32);
		for (size_t i = 0; i < len; i++)
			diff += x[i] != y[i];
		is_int((long long)diff, 0, "different revision: only revision and checksum differ");
		free(x);
		free(y);
	} else {
		skip(2, "no second blob");
	}
	ok(blob_compile(p3, 7, &b4, &l4) == 0 && (l4 != len || memcmp(b4, blob, len)),
	   "a different policy gives a different blob");
	ok(b4 && memcmp(((struct d4c_policy_header *)b4)->digest,
			((const struct d4c_policy_header *)blob)->digest, 32),
	   "a different policy has a different digest");
	free(b2);
	free(b3);
	free(b4);
	policy_free(p2);
	policy_free(p3);
}

static void test_header(const unsigned char *blob, size_t len)
{
	const struct d4c_policy_header *h = (const void *)blob;
	const struct d4c_section *tab = (const void *)(h + 1);
	unsigned char d[32], sum[32];
	char hex[65];
	unsigned seen = 0;
	int bad = 0;

	/* The SHA-256 used is the standard one. */
	sha256("abc", 3, d);
	sha256_hex(d, hex);
	is_str(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
	       "sha256('abc') is the FIPS 180-4 test vector");
	sha256(policy_text, strlen(policy_text), d);
	ok(!memcmp(h->digest, d, 32), "header digest is SHA-256 of the policy source text");
	ok(!memcmp(blob, "D4CP", 4), "blob starts with the bytes 'D4CP'");
	is_int(h->magic, D4C_POLICY_MAGIC, "header magic");
	is_int(h->version, D4C_POLICY_VERSION, "header version is %u", D4C_POLICY_VERSION);
	is_int(h->header_size, (long long)sizeof(*h), "header_size is sizeof the header");
	is_int(h->total_size, (long long)len, "total_size is the blob's length");
	is_int((long long)h->revision, 7, "revision as compiled");
	is_int(h->flags, 0, "flags are 0");
	is_int(h->nsections, D4C_SEC_MAX, "%d sections", D4C_SEC_MAX);
	is_int((long long)(len % 8), 0, "blob length is a multiple of 8");
	blob_checksum(blob, len, sum);
	ok(!memcmp(sum, h->checksum, 32), "checksum field is blob_checksum of the blob");
	for (unsigned i = 0; i < h->nsections && i < 32; i++) {
		if (tab[i].id < 1 || tab[i].id > D4C_SEC_MAX || seen & (1u << tab[i].id) ||
		    tab[i].offset % 8 || tab[i].offset + (size_t)tab[i].size > len ||
		    tab[i].offset < sizeof(*h) + h->nsections * sizeof(*tab))
			bad++;
		seen |= 1u << tab[i].id;
	}
	ok(!bad && seen == ((1u << (D4C_SEC_MAX + 1)) - 2),
	   "section table: every id once, 8-byte aligned, inside the blob");
}

static void test_open_ok(const unsigned char *blob, size_t len)
{
	char err[256];
	struct blob b;
	unsigned char *mis;

	ok(blob_open(blob, len, 0, &b, err, sizeof(err)) == 0, "pristine blob opens");
	is_int((long long)b.nsel, 8, "8 selectors (5 file + 3 process)");
	is_int((long long)b.nresp, 4, "4 responses");
	is_int(b.types[D4C_TYPE_FILE].nselectors, 5, "5 file selectors");
	is_int(b.types[D4C_TYPE_PROCESS].first_selector, 5, "process selectors follow file ones");
	/* Alignment is part of the contract. */
	mis = malloc(len + 8);
	memcpy(mis + 1, blob, len);
	ok(try_open(mis + 1, len, 0, err, sizeof(err)) == -1, "a misaligned buffer is refused (%s)",
	   err);
	free(mis);
}

static void test_truncated(const unsigned char *blob, size_t len)
{
	size_t bad = 0, noerr = 0, bad_nock = 0;
	char err[256];

	for (size_t l = 0; l < len; l++) {
		unsigned char *c = dup_exact(blob, l);

		if (try_open(c, l, 0, err, sizeof(err)) != -1) {
			if (!bad)
				diag("  length %zu opened", l);
			bad++;
		} else if (!err[0]) {
			noerr++;
		}
		if (try_open(c, l, BLOB_NO_CHECKSUM, err, sizeof(err)) != -1)
			bad_nock++;
		free(c);
	}
	is_int((long long)bad, 0, "every truncation (lengths 0..%zu) is refused", len - 1);
	is_int((long long)noerr, 0, "every refusal of a truncation has an error message");
	is_int((long long)bad_nock, 0, "every truncation is refused without the checksum too");
}

static void test_bitflips(const unsigned char *blob, size_t len)
{
	size_t bad = 0, total = 0;
	unsigned char *c = dup_exact(blob, len);
	char err[256];

	for (size_t i = 0; i < len; i++)
		for (unsigned bit = 0; bit < 8; bit++) {
			c[i] ^= (unsigned char)(1u << bit);
			if (try_open(c, len, 0, err, sizeof(err)) != -1 || !err[0]) {
				if (!bad)
					diag("  flip of byte %zu bit %u was accepted", i, bit);
				bad++;
			}
			c[i] ^= (unsigned char)(1u << bit);
			total++;
		}
	is_int((long long)bad, 0, "each of the %zu single-bit flips is refused with a message",
	       total);
	/* A flip in the body (not the header) fails on the checksum. */
	c[len - 1] ^= 1;
	try_open(c, len, 0, err, sizeof(err));
	ok(strstr(err, "checksum") != NULL,
	   "a flipped body bit is reported as a checksum error (%s)", err);
	c[len - 1] ^= 1;
	ok(try_open(c, len, 0, err, sizeof(err)) == 0, "the blob opens again once restored");
	free(c);
}

/* Without the checksum, damaged blobs must still be refused or be safe to use. */
static void test_structure_fuzz(const unsigned char *blob, size_t len)
{
	unsigned char *c = dup_exact(blob, len);
	size_t opened = 0;
	char err[256];

	for (size_t i = 0; i < len; i++)
		for (unsigned bit = 0; bit < 8; bit++) {
			struct blob b;

			c[i] ^= (unsigned char)(1u << bit);
			if (blob_open(c, len, BLOB_NO_CHECKSUM, &b, err, sizeof(err)) == 0) {
				struct d4c_container ct = { "docker.io/library/nginx",
							    "nginx",
							    "v1.2",
							    "abc",
							    "main",
							    "prod-eu",
							    "backend-1",
							    NULL,
							    0 };
				struct d4c_event e = { 0 };
				struct d4c_verdict v;
				json_t *j = blob_dump(&b);

				json_decref(j);
				e.container = &ct;
				for (unsigned t = 0; t < D4C_NTYPES; t++)
					for (unsigned op = 0; op < D4C_MAX_OPS; op++) {
						e.type = t;
						e.op = op;
						e.path = "/usr/local/bin/x";
						e.name = "bash";
						match_event(&b, &e, &v);
					}
				opened++;
			}
			c[i] ^= (unsigned char)(1u << bit);
		}
	ok(1,
	   "every single-bit flip, checksum not checked, is refused or dumps and matches "
	   "safely (%zu opened)",
	   opened);
	free(c);
}

static void test_bad_fields(const unsigned char *blob, size_t len)
{
	const struct d4c_policy_header *h = (const void *)blob;
	const struct d4c_section *tab = (const void *)(h + 1);
	char err[256];
	struct blob b;
	__u32 v32;
	size_t off;

	v32 = 0x12345678;
	ok(refused_with_fix(blob, len, offsetof(struct d4c_policy_header, magic), &v32, 4, err,
			    sizeof(err)) &&
		   strstr(err, "magic"),
	   "wrong magic is refused (%s)", err);
	v32 = D4C_POLICY_VERSION + 1;
	ok(refused_with_fix(blob, len, offsetof(struct d4c_policy_header, version), &v32, 4, err,
			    sizeof(err)) &&
		   strstr(err, "version"),
	   "wrong version (checksum fixed) is refused as a version error (%s)", err);
	v32 = 0;
	ok(refused_with_fix(blob, len, offsetof(struct d4c_policy_header, version), &v32, 4, err,
			    sizeof(err)) &&
		   strstr(err, "version"),
	   "version 0 (checksum fixed) is refused as a version error (%s)", err);
	v32 = 1;
	ok(refused_with_fix(blob, len, offsetof(struct d4c_policy_header, flags), &v32, 4, err,
			    sizeof(err)),
	   "unknown header flags are refused (%s)", err);
	v32 = (__u32)len - 8;
	ok(refused_with_fix(blob, len, offsetof(struct d4c_policy_header, total_size), &v32, 4, err,
			    sizeof(err)),
	   "total_size smaller than the blob is refused (%s)", err);
	v32 = 40;
	ok(refused_with_fix(blob, len, offsetof(struct d4c_policy_header, nsections), &v32, 4, err,
			    sizeof(err)),
	   "too many sections is refused (%s)", err);

	/* Section offsets. */
	for (unsigned i = 0; i < D4C_SEC_MAX; i++) {
		size_t at = sizeof(*h) + i * sizeof(*tab) + offsetof(struct d4c_section, offset);

		v32 = (__u32)(len + 8);
		ok(refused_with_fix(blob, len, at, &v32, 4, err, sizeof(err)),
		   "section %u offset past the end (checksum fixed) is refused (%s)", tab[i].id,
		   err);
	}
	{
		/* The largest section moved so that it ends 8 bytes past the blob. */
		unsigned big = 0;

		for (unsigned i = 1; i < D4C_SEC_MAX; i++)
			if (tab[i].size > tab[big].size)
				big = i;
		v32 = (__u32)(len - tab[big].size + 8);
		ok(refused_with_fix(blob, len,
				    sizeof(*h) + big * sizeof(*tab) +
					    offsetof(struct d4c_section, offset),
				    &v32, 4, err, sizeof(err)) &&
			   strstr(err, "bounds"),
		   "section %u ending 8 bytes past the blob is refused (%s)", tab[big].id, err);
		v32 = 0xfffffff8u;
		ok(refused_with_fix(blob, len,
				    sizeof(*h) + big * sizeof(*tab) +
					    offsetof(struct d4c_section, offset),
				    &v32, 4, err, sizeof(err)),
		   "section offset near 2^32 is refused (%s)", err);
		v32 = 0;
		ok(refused_with_fix(blob, len,
				    sizeof(*h) + big * sizeof(*tab) +
					    offsetof(struct d4c_section, offset),
				    &v32, 4, err, sizeof(err)),
		   "section offset overlapping the header is refused (%s)", err);
		v32 = tab[big].size + 1;
		ok(refused_with_fix(blob, len,
				    sizeof(*h) + big * sizeof(*tab) +
					    offsetof(struct d4c_section, size),
				    &v32, 4, err, sizeof(err)),
		   "section size not matching its count is refused (%s)", err);
	}

	if (blob_open(blob, len, 0, &b, err, sizeof(err))) {
		skip(8, "blob does not open");
		return;
	}
	/* String offsets: a selector's name. */
	off = (const unsigned char *)&b.sel[0].name.off - blob;
	v32 = (__u32)b.strtab_len + 16;
	ok(refused_with_fix(blob, len, off, &v32, 4, err, sizeof(err)),
	   "selector name offset past the string table (checksum fixed) is refused (%s)", err);
	v32 = (__u32)b.strtab_len;
	ok(refused_with_fix(blob, len, off, &v32, 4, err, sizeof(err)),
	   "selector name offset at the end of the string table is refused (%s)", err);
	v32 = 0xffffffffu;
	ok(refused_with_fix(blob, len, off, &v32, 4, err, sizeof(err)),
	   "selector name offset 2^32-1 is refused (%s)", err);
	v32 = (__u32)b.strtab_len;
	off = (const unsigned char *)&b.sel[0].name.len - blob;
	ok(refused_with_fix(blob, len, off, &v32, 4, err, sizeof(err)),
	   "selector name length running past the string table is refused (%s)", err);
	if (b.npaths) {
		off = (const unsigned char *)&b.paths[0].path.off - blob;
		v32 = (__u32)b.strtab_len + 100;
		ok(refused_with_fix(blob, len, off, &v32, 4, err, sizeof(err)),
		   "path string offset past the string table is refused (%s)", err);
	} else {
		skip(1, "no paths");
	}
	if (b.ncconds) {
		off = (const unsigned char *)&b.cconds[0].value.off - blob;
		v32 = (__u32)b.strtab_len + 100;
		ok(refused_with_fix(blob, len, off, &v32, 4, err, sizeof(err)),
		   "container condition string offset past the string table is refused (%s)", err);
	} else {
		skip(1, "no container conditions");
	}
	/* Selector bits. */
	off = (const unsigned char *)&b.sel[0].bit - blob;
	v32 = 64;
	ok(refused_with_fix(blob, len, off, &v32, 4, err, sizeof(err)),
	   "selector bit 64 (checksum fixed) is refused (%s)", err);
	v32 = 200;
	ok(refused_with_fix(blob, len, off, &v32, 4, err, sizeof(err)),
	   "selector bit 200 (checksum fixed) is refused (%s)", err);
}

static void test_dump(const unsigned char *blob, size_t len)
{
	json_t *d, *s, *r, *resps;
	struct blob b;
	char err[256], hex[65];
	unsigned char dg[32];

	if (blob_open(blob, len, 0, &b, err, sizeof(err))) {
		skip(30, "blob does not open");
		return;
	}
	d = blob_dump(&b);
	ok(json_is_object(d), "blob_dump returns an object");
	is_int(json_integer_value(json_object_get(d, "format_version")), D4C_POLICY_VERSION,
	       "dump: format_version");
	is_int(json_integer_value(json_object_get(d, "revision")), 7, "dump: revision");
	is_int(json_integer_value(json_object_get(d, "size")), (long long)len, "dump: size");
	sha256(policy_text, strlen(policy_text), dg);
	sha256_hex(dg, hex);
	ok(json_str_is(d, "digest", hex), "dump: digest is the source's SHA-256 in hex");

	s = dump_selector(d, "file", "etcAll");
	ok(s && json_set_is(json_object_get(s, "operation"), SET("createFile", "modifyFile")),
	   "dump: etcAll operations");
	ok(s && json_set_is(json_object_get(s, "targetFilePath"), SET("/etc/**")),
	   "dump: etcAll targetFilePath '/etc/**'");
	s = dump_selector(d, "file", "sbinChildren");
	ok(s && !json_object_get(s, "operation"), "dump: sbinChildren has no operation");
	ok(s && json_set_is(json_object_get(s, "targetFilePath"), SET("/usr/sbin/*", "/etc/hosts")),
	   "dump: sbinChildren targetFilePath '/usr/sbin/*' and exact '/etc/hosts'");
	s = dump_selector(d, "file", "exactShadow");
	ok(s && json_set_is(json_object_get(s, "targetFilePath"), SET("/etc/shadow")),
	   "dump: exactShadow targetFilePath");
	ok(s && json_is_true(json_object_get(s, "ignoreVolumeMounts")),
	   "dump: exactShadow ignoreVolumeMounts true");
	s = dump_selector(d, "file", "everything");
	ok(s && json_set_is(json_object_get(s, "targetFilePath"), SET("/**", "/*")),
	   "dump: root patterns '/**' and '/*'");
	ok(s && json_set_is(json_object_get(s, "operation"), SET("deleteFile", "execMemFd")),
	   "dump: everything operations include execMemFd");
	ok(s && json_is_true(json_object_get(s, "ignoreVolumeFiles")),
	   "dump: everything ignoreVolumeFiles true");
	s = dump_selector(d, "file", "images");
	ok(s && json_set_is(json_object_get(s, "containerImageName"),
			    SET("elastic-agent", "nginx")),
	   "dump: containerImageName");
	ok(s && json_set_is(json_object_get(s, "containerImageTag"), SET("v1.*")),
	   "dump: containerImageTag 'v1.*'");
	ok(s && json_set_is(json_object_get(s, "kubernetesNamespace"), SET("prod-*")),
	   "dump: kubernetesNamespace 'prod-*'");
	ok(s && json_set_is(json_object_get(s, "kubernetesPodLabel"),
			    SET("app.kubernetes.io/name:web*", "team:*", "tier:")),
	   "dump: kubernetesPodLabel values");
	ok(s && !json_object_get(s, "targetFilePath"), "dump: images has no targetFilePath");

	s = dump_selector(d, "process", "shells");
	ok(s && json_set_is(json_object_get(s, "processName"), SET("ba*", "sh")),
	   "dump: processName 'ba*' and 'sh'");
	ok(s && json_set_is(json_object_get(s, "operation"), SET("exec")),
	   "dump: shells operation");
	s = dump_selector(d, "process", "tools");
	ok(s && json_set_is(json_object_get(s, "processExecutable"),
			    SET("/usr/local/**", "/usr/bin/curl")),
	   "dump: processExecutable values");
	ok(s && json_is_false(json_object_get(s, "sessionLeaderInteractive")),
	   "dump: sessionLeaderInteractive false");
	s = dump_selector(d, "process", "clusters");
	ok(s &&
		   json_set_is(json_object_get(s, "containerImageFullName"),
			       SET("docker.io/library/nginx")) &&
		   json_set_is(json_object_get(s, "kubernetesClusterId"), SET("abc")) &&
		   json_set_is(json_object_get(s, "kubernetesClusterName"), SET("main")) &&
		   json_set_is(json_object_get(s, "kubernetesPodName"), SET("backend-*")),
	   "dump: clusters container conditions");
	ok(s && json_set_is(json_object_get(s, "operation"), SET("fork")),
	   "dump: clusters operation fork");

	resps = json_object_get(json_object_get(d, "file"), "responses");
	ok(json_array_size(resps) == 2, "dump: 2 file responses");
	r = json_array_get(resps, 0);
	ok(r && json_set_is(json_object_get(r, "match"), SET("etcAll", "sbinChildren")) &&
		   json_set_is(json_object_get(r, "exclude"), SET("exactShadow")) &&
		   json_set_is(json_object_get(r, "actions"), SET("log", "alert", "block")),
	   "dump: file response 1 match, exclude and actions");
	r = json_array_get(resps, 1);
	ok(r &&
		   json_set_is(json_object_get(r, "match"),
			       SET("everything", "images", "exactShadow")) &&
		   !json_object_get(r, "exclude") &&
		   json_set_is(json_object_get(r, "actions"), SET("alert")),
	   "dump: file response 2 without exclude");
	resps = json_object_get(json_object_get(d, "process"), "responses");
	r = json_array_get(resps, 0);
	ok(json_array_size(resps) == 2 && r &&
		   json_set_is(json_object_get(r, "match"), SET("shells", "tools")) &&
		   json_set_is(json_object_get(r, "exclude"), SET("clusters")) &&
		   json_set_is(json_object_get(r, "actions"), SET("alert")),
	   "dump: process response 1 with exclude");
	json_decref(d);
}

int main(void)
{
	struct policy *p;
	unsigned char *blob = NULL;
	size_t len = 0;

	plan(NO_PLAN);
	p = parse(policy_text);
	ok(p != NULL, "test policy is valid");
	if (!p)
		return done_testing();
	ok(blob_compile(p, 7, &blob, &len) == 0 && blob && len > 0, "test policy compiles");
	policy_free(p);
	if (!blob)
		return done_testing();
	diag("blob is %zu bytes", len);
	test_header(blob, len);
	test_determinism(blob, len);
	test_open_ok(blob, len);
	test_truncated(blob, len);
	test_bitflips(blob, len);
	test_bad_fields(blob, len);
	test_dump(blob, len);
	test_structure_fuzz(blob, len);
	free(blob);
	return done_testing();
}
