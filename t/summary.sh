#!/bin/sh
# Prints "N passed, N failed, N skipped" from automake's test-suite.log,
# counting every TAP test case (not every test script). Errors (a script
# that crashed or broke its plan) count as failures.
#
# With --failures, first names each failed case and the first lines of
# what it printed: CI keeps only the tail of a run's output, and without
# this the tail says how many failed but not which.
failures=0
if [ "${1:-}" = --failures ]; then
	failures=1
	shift
fi
log=${1:-t/test-suite.log}
[ -f "$log" ] || log=test-suite.log
if [ ! -f "$log" ]; then
	echo "0 passed, 1 failed, 0 skipped"
	exit 1
fi
if [ "$failures" = 1 ]; then
	# test-suite.log holds the whole log of each script that failed;
	# from each, the "not ok" lines with up to 8 lines of diagnostics.
	awk '
	/^(FAIL|ERROR|XPASS): / && !/^# / { print "failed: " substr($0, 1, 160); next }
	/^not ok / { n = 8; print "  " substr($0, 1, 160); next }
	n > 0 && /^#/ { n--; print "    " substr($0, 1, 160); next }
	{ n = 0 }
	' "$log" | head -n 60
fi
awk '
/^# PASS: /  { pass = $3 }
/^# SKIP: /  { skip = $3 }
/^# XFAIL: / { pass += $3 }
/^# FAIL: /  { fail += $3 }
/^# XPASS: / { fail += $3 }
/^# ERROR: / { fail += $3 }
END { printf "%d passed, %d failed, %d skipped\n", pass, fail, skip }
' "$log"
