/* ndjson-bytewise.h - the reference scanner of ndjson-bytewise.c. */
#ifndef D4C_NDJSON_BYTEWISE_H
#define D4C_NDJSON_BYTEWISE_H

#include "ndjson.h"

int ndjson_scan_bytewise(const char *line, size_t len, const char *const *paths, size_t n,
			 struct ndjson_str *out, size_t *err_off, const char **err_msg);

#endif
