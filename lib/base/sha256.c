/* sha256.c - SHA-256 by libcrypto's EVP interface (see sha256.h). */
#include "config.h"

#include <pthread.h>

#include <openssl/evp.h>

#include "sha256.h"
#include "util.h"

/*
 * The implementation, fetched once: an implicit fetch (EVP_sha256() with
 * EVP_Digest, or SHA256()) looks the algorithm up by name on every call,
 * which costs as much as hashing a 1 KB event.
 */
static EVP_MD *md;

static void fetch_md(void)
{
	md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

static EVP_MD *md_sha256(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, fetch_md);
	if (!md)
		die("libcrypto has no SHA-256");
	return md;
}

void sha256_init(struct sha256_ctx *c)
{
	EVP_MD_CTX *x = EVP_MD_CTX_new();

	if (!x || !EVP_DigestInit_ex2(x, md_sha256(), NULL))
		die("out of memory");
	c->md = x;
}

void sha256_update(struct sha256_ctx *c, const void *data, size_t len)
{
	if (!EVP_DigestUpdate(c->md, data, len))
		die("internal error: SHA-256 update failed");
}

void sha256_final(struct sha256_ctx *c, unsigned char out[SHA256_DIGEST_SIZE])
{
	if (!EVP_DigestFinal_ex(c->md, out, NULL))
		die("internal error: SHA-256 final failed");
	EVP_MD_CTX_free(c->md);
	c->md = NULL;
}

void sha256(const void *data, size_t len, unsigned char out[SHA256_DIGEST_SIZE])
{
	/* One context per thread, used again: d4c-ship hashes every event. */
	static _Thread_local EVP_MD_CTX *x;

	if (!x && !(x = EVP_MD_CTX_new()))
		die("out of memory");
	if (!EVP_DigestInit_ex2(x, md_sha256(), NULL) || !EVP_DigestUpdate(x, data, len) ||
	    !EVP_DigestFinal_ex(x, out, NULL))
		die("internal error: SHA-256 failed");
}
