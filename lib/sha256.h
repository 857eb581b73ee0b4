/*
 * sha256.h - SHA-256 (FIPS 180-4), for policy digests and blob checksums
 * without pulling a crypto library into every program.
 */
#ifndef D4C_SHA256_H
#define D4C_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_DIGEST_SIZE 32

struct sha256_ctx {
	uint32_t h[8];
	uint64_t len;
	unsigned char buf[64];
	size_t buflen;
};

void sha256_init(struct sha256_ctx *c);
void sha256_update(struct sha256_ctx *c, const void *data, size_t len);
void sha256_final(struct sha256_ctx *c, unsigned char out[SHA256_DIGEST_SIZE]);
void sha256(const void *data, size_t len, unsigned char out[SHA256_DIGEST_SIZE]);
/* Writes 64 lower-case hex characters and a NUL into OUT. */
void sha256_hex(const unsigned char digest[SHA256_DIGEST_SIZE],
		char out[2 * SHA256_DIGEST_SIZE + 1]);

#endif
