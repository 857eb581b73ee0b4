#!/bin/sh
# Prints "N passed, N failed, N skipped" from automake's test-suite.log,
# counting every TAP test case (not every test script). Errors (a script
# that crashed or broke its plan) count as failures.
log=${1:-t/test-suite.log}
[ -f "$log" ] || log=test-suite.log
if [ ! -f "$log" ]; then
	echo "0 passed, 1 failed, 0 skipped"
	exit 1
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
