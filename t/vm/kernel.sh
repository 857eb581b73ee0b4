#!/bin/bash
# In the guest: the enforcement suite (bats, D4C_ENFORCE_FILTER picks
# tests), the alias suite's tests that D4C_ALIASES_FILTER picks (none
# unless set) and then the differential test (D4C_DIFF_SEED, D4C_DIFF_OPS
# "NFILE NEXEC"), their TAP joined into one stream with one plan, after a
# comment that names the kernel and the build of the kernel programs
# d4c-load chose for it.
#
#   t/vm/run bash t/vm/kernel.sh
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
export PATH="$top_builddir/cmd:$PATH"
n=0
. "$top_srcdir/t/vm/tap.sh"
echo "# kernel $(uname -r): $(d4c-load --probe | jq -c '.programs | {variant, why}')"
join_tap < <(bats --tap ${D4C_ENFORCE_FILTER:+--filter "$D4C_ENFORCE_FILTER"} \
	"$top_srcdir/t/vm/enforce.bats" 2>&1)
[ -z "${D4C_ALIASES_FILTER:-}" ] ||
	join_tap < <(bats --tap --filter "$D4C_ALIASES_FILTER" "$top_srcdir/t/vm/aliases.bats" 2>&1)
# shellcheck disable=SC2086
join_tap < <(bash "$top_srcdir/t/vm/differential.sh" "${D4C_DIFF_SEED:-4242}" \
	${D4C_DIFF_OPS:-} 2>&1)
echo "1..$n"
