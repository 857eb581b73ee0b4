# Shared by every bats test in t/: bats-support and bats-assert, the
# programs under test on PATH, and a scratch directory $T per test.
# (Other helpers may add functions below; keep common_setup and setup.)

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'

: "${top_srcdir:=$(cd "$BATS_TEST_DIRNAME/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
export top_srcdir top_builddir
PATH="$top_builddir/cmd:$PATH"

common_setup() {
	T="$BATS_TEST_TMPDIR"
}

# Tests that need more set-up define their own setup() and call common_setup.
setup() {
	common_setup
}

# Fails unless $output (as left by `run`) is exactly one line.
assert_one_line() {
	if [ "${#lines[@]}" -ne 1 ]; then
		fail "expected exactly one line of output, got ${#lines[@]}:
$output"
	fi
}
