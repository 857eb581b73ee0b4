/*
 * jscan-bytewise.c - lib/json/jscan.c built a second time with its strings
 * walked a byte at a time (JSCAN_BYTEWISE), as jscan_bytewise_line: the
 * reference the eight-bytes-at-a-time scanner must agree with, in the
 * fuzzer and in the unit test.
 */
#define JSCAN_BYTEWISE	  1
#define jscan_schema_new  jscan_bytewise_schema_new
#define jscan_schema_free jscan_bytewise_schema_free
#define jscan_line	  jscan_bytewise_line
#define jscan_str	  jscan_bytewise_str
#define jscan_doc	  jscan_bytewise_doc
#define jscan_next	  jscan_bytewise_next
#define jscan_get	  jscan_bytewise_get
#define jscan_strdup	  jscan_bytewise_strdup
#include "../../lib/json/jscan.c"
