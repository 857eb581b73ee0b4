/*
 * sha256.h - SHA-256 (FIPS 180-4), for policy digests, blob checksums and
 * d4c-ship's _id, by libcrypto (OpenSSL): four times the speed of the
 * hand-written code it replaced, on every event d4c-ship sends. Programs
 * that call sha256(), or the sha256_init() family, link $(CRYPTO_LIBS);
 * sha256_hex() alone needs nothing.
 *
 * The sha256_lite family is the same hash in plain C (sha256lite.c), at a
 * fifth of the speed: for blob checksums (blob_open), so that d4c-load,
 * which runs as root, does not link libcrypto.
 */
#ifndef D4C_SHA256_H
#define D4C_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_DIGEST_SIZE 32

struct sha256_ctx {
	void *md; /* libcrypto's EVP_MD_CTX */
};

/* A context between sha256_init() and sha256_final() holds memory: every
 * init needs its final. Running out of memory exits, as xmalloc does. */
void sha256_init(struct sha256_ctx *c);
void sha256_update(struct sha256_ctx *c, const void *data, size_t len);
void sha256_final(struct sha256_ctx *c, unsigned char out[SHA256_DIGEST_SIZE]);
void sha256(const void *data, size_t len, unsigned char out[SHA256_DIGEST_SIZE]);

struct sha256_lite {
	uint32_t h[8];
	uint64_t len;
	unsigned char buf[64];
	size_t buflen;
};

void sha256_lite_init(struct sha256_lite *c);
void sha256_lite_update(struct sha256_lite *c, const void *data, size_t len);
void sha256_lite_final(struct sha256_lite *c, unsigned char out[SHA256_DIGEST_SIZE]);

/* Writes 64 lower-case hex characters and a NUL into OUT. */
static inline void sha256_hex(const unsigned char d[SHA256_DIGEST_SIZE],
			      char out[2 * SHA256_DIGEST_SIZE + 1])
{
	static const char hex[] = "0123456789abcdef";

	for (int i = 0; i < SHA256_DIGEST_SIZE; i++) {
		out[2 * i] = hex[d[i] >> 4];
		out[2 * i + 1] = hex[d[i] & 15];
	}
	out[2 * SHA256_DIGEST_SIZE] = '\0';
}

#endif
