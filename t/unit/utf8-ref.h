/*
 * utf8-ref.h - the test oracle for lib/jsonw's strings, shared by
 * lib/json/test/jsonw.c and t/fuzz/fuzz-jsonw.c: what the writer promises a
 * JSON decoder gets back, the bytes with U+FFFD for each byte that is not
 * part of a well-formed UTF-8 sequence. It decodes code points
 * arithmetically, unlike the writer's table of byte ranges, so that the
 * two are independent.
 */
#ifndef D4C_UTF8_REF_H
#define D4C_UTF8_REF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define FFFD "\xef\xbf\xbd"

/* Returns the length written to OUT (3N at most). */
static size_t ref_sanitize(const unsigned char *s, size_t n, unsigned char *out)
{
	static const uint32_t min[5] = { 0, 0, 0x80, 0x800, 0x10000 };
	size_t i = 0, o = 0;

	while (i < n) {
		unsigned c = s[i];
		unsigned len = c < 0x80 ? 1 :
			       c < 0xc0 ? 0 /* a continuation byte */
			       :
			       c < 0xe0 ? 2 :
			       c < 0xf0 ? 3 :
			       c < 0xf8 ? 4 :
					  0;
		uint32_t cp = len == 1 ? c : c & (0x7fu >> len);
		int good = len && i + len <= n;

		for (unsigned k = 1; good && k < len; k++) {
			good = (s[i + k] & 0xc0) == 0x80;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if (good && (cp < min[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)))
			good = 0;
		if (good) {
			memcpy(out + o, s + i, len);
			o += len;
			i += len;
		} else {
			memcpy(out + o, FFFD, 3);
			o += 3;
			i++;
		}
	}
	return o;
}

#endif
