/* test-suggest.c - "did you mean" picks the right word, or none. */
#include "config.h"

#include <string.h>

#include "suggest.h"
#include "tap.h"

static const char *const words[] = {
	"createExecutable", "modifyExecutable", "createFile",  "modifyFile",
	"deleteFile",	    "execMemFd",	"fork",	       "exec",
	"selectors",	    "responses",	"processName", "processExecutable",
	"operation",
};

#define S(w) suggest(w, words, sizeof(words) / sizeof(words[0]))

int main(void)
{
	char longword[301];

	memset(longword, 'x', 300);
	longword[300] = '\0';
	plan(10);
	is_str(S("createExecutables"), "createExecutable", "an extra letter");
	is_str(S("selector"), "selectors", "a missing plural");
	is_str(S("proccessName"), "processName", "a doubled letter");
	is_str(S("Operation"), "operation", "case only");
	is_str(S("exce"), "exec", "two letters swapped");
	is_str(S("modifyfile"), "modifyFile", "case inside a word");
	is_str(S("xyz"), NULL, "nothing close");
	is_str(S(""), NULL, "empty word");
	is_str(S(longword), NULL, "a 300-byte word is not compared");
	is_str(S("fork"), NULL, "an exact word needs no suggestion");
	return done_testing();
}
