/*
 * test-sha256.c - SHA-256 against the FIPS 180-4 example vectors, and the
 * plain C one (sha256_lite, blob checksums) against them and libcrypto's.
 */
#include "config.h"

#include <string.h>

#include "sha256.h"
#include "tap.h"

static const char *hex(const void *data, size_t len)
{
	static char out[65];
	unsigned char d[32];

	sha256(data, len, d);
	sha256_hex(d, out);
	return out;
}

static const char *lite_hex(const void *data, size_t len)
{
	static char out[65];
	struct sha256_lite c;
	unsigned char d[32];

	sha256_lite_init(&c);
	sha256_lite_update(&c, data, len);
	sha256_lite_final(&c, d);
	sha256_hex(d, out);
	return out;
}

int main(void)
{
	static const char two_blocks[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	unsigned char msg[200], one[32], split[32];
	struct sha256_ctx c;
	char out[65];
	int all_same = 1;

	plan(11);
	is_str(hex("", 0), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	       "empty message");
	is_str(hex("abc", 3), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
	       "'abc'");
	is_str(hex(two_blocks, strlen(two_blocks)),
	       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
	       "448-bit message (padding spills into a second block)");

	/* One million 'a', fed in pieces of odd sizes. */
	sha256_init(&c);
	memset(msg, 'a', sizeof(msg));
	for (size_t done = 0, step = 1; done < 1000000; step = step % 97 + 13) {
		size_t n = step < 1000000 - done ? step : 1000000 - done;

		sha256_update(&c, msg, n < sizeof(msg) ? n : sizeof(msg));
		done += n < sizeof(msg) ? n : sizeof(msg);
	}
	sha256_final(&c, one);
	sha256_hex(one, out);
	is_str(out, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
	       "one million 'a' in odd-sized pieces");

	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (unsigned char)(i * 7 + 3);
	sha256(msg, sizeof(msg), one);
	for (size_t at = 0; at <= sizeof(msg); at++) {
		sha256_init(&c);
		sha256_update(&c, msg, at);
		sha256_update(&c, msg + at, sizeof(msg) - at);
		sha256_final(&c, split);
		all_same &= !memcmp(one, split, 32);
	}
	ok(all_same, "a 200-byte message split at every offset hashes like one piece");
	sha256_hex(one, out);
	ok(strlen(out) == 64 && strspn(out, "0123456789abcdef") == 64,
	   "hex is 64 lower-case digits");

	is_str(lite_hex("", 0), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	       "lite: empty message");
	is_str(lite_hex("abc", 3),
	       "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "lite: 'abc'");
	is_str(lite_hex(two_blocks, strlen(two_blocks)),
	       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
	       "lite: 448-bit message");

	/* every length around the block and padding edges, whole and split */
	all_same = 1;
	for (size_t n = 0; n <= sizeof(msg); n++) {
		struct sha256_lite l;

		sha256(msg, n, one);
		for (size_t at = 0; at <= n; at += 1 + at / 8) {
			sha256_lite_init(&l);
			sha256_lite_update(&l, msg, at);
			sha256_lite_update(&l, msg + at, n - at);
			sha256_lite_final(&l, split);
			all_same &= !memcmp(one, split, 32);
		}
	}
	ok(all_same, "lite hashes every message of 0 to 200 bytes, split anywhere, as libcrypto");

	{
		struct sha256_lite l;

		sha256_lite_init(&l);
		memset(msg, 'a', sizeof(msg));
		for (size_t done = 0; done < 1000000; done += 125)
			sha256_lite_update(&l, msg, 125);
		sha256_lite_final(&l, one);
		sha256_hex(one, out);
		is_str(out, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
		       "lite: one million 'a'");
	}
	return done_testing();
}
