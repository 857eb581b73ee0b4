/* jscan-bytewise.h - the reference scanner of jscan-bytewise.c. */
#ifndef D4C_JSCAN_BYTEWISE_H
#define D4C_JSCAN_BYTEWISE_H

#include "jscan.h"

struct jscan_schema *jscan_bytewise_schema_new(const char *const *paths, size_t n, unsigned flags);
void jscan_bytewise_schema_free(struct jscan_schema *s);
int jscan_bytewise_line(const struct jscan_schema *s, const char *line, size_t len,
			struct jscan_span *spans, const char **why, size_t *at);

#endif
