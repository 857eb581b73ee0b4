/*
 * jescape.h - what a JSON string's escapes stand for, for the two places
 * that decode them: the scanner's string and key readers (jscan.c) and the
 * comparison of keys for duplicates (jkeys.c). Both read escapes the
 * scanner has already checked, so nothing here validates.
 */
#ifndef D4C_JESCAPE_H
#define D4C_JESCAPE_H

#include <stddef.h>

/* The value of the four hex digits at P. */
static inline unsigned json_hex4(const unsigned char *p)
{
	unsigned v = 0;

	for (int i = 0; i < 4; i++)
		v = v << 4 | (p[i] <= '9' ? p[i] - '0' : (p[i] | 0x20) - 'a' + 10);
	return v;
}

/* What the one-letter escape "\C" stands for ('"', '\\' and '/' for
 * themselves); "\u" is decoded by its reader. */
static inline unsigned char json_unescape_char(unsigned char c)
{
	switch (c) {
	case 'b':
		return '\b';
	case 'f':
		return '\f';
	case 'n':
		return '\n';
	case 'r':
		return '\r';
	case 't':
		return '\t';
	default:
		return c;
	}
}

/* Code point V (below 0x110000) as UTF-8 at O; returns its 1 to 4 bytes. */
static inline size_t json_put_utf8(unsigned char *o, unsigned v)
{
	if (v < 0x80) {
		o[0] = (unsigned char)v;
		return 1;
	}
	if (v < 0x800) {
		o[0] = (unsigned char)(0xc0 | v >> 6);
		o[1] = (unsigned char)(0x80 | (v & 0x3f));
		return 2;
	}
	if (v < 0x10000) {
		o[0] = (unsigned char)(0xe0 | v >> 12);
		o[1] = (unsigned char)(0x80 | (v >> 6 & 0x3f));
		o[2] = (unsigned char)(0x80 | (v & 0x3f));
		return 3;
	}
	o[0] = (unsigned char)(0xf0 | v >> 18);
	o[1] = (unsigned char)(0x80 | (v >> 12 & 0x3f));
	o[2] = (unsigned char)(0x80 | (v >> 6 & 0x3f));
	o[3] = (unsigned char)(0x80 | (v & 0x3f));
	return 4;
}

#endif
