/*
 * ndjson-bytewise.c - lib/ndjson.c built a second time with its strings
 * walked a byte at a time (NDJSON_BYTEWISE), as ndjson_scan_bytewise: the
 * reference the eight-bytes-at-a-time scanner must agree with, in the
 * fuzzer and in the unit test.
 */
#define NDJSON_BYTEWISE 1
#define ndjson_scan ndjson_scan_bytewise
#define ndjson_reader_init ndjson_bytewise_reader_init
#define ndjson_reader_free ndjson_bytewise_reader_free
#define ndjson_next ndjson_bytewise_next
#define ndjson_fill ndjson_bytewise_fill
#include "../../lib/ndjson.c"
