#!/bin/bash
# In a guest booted without the BPF LSM among its active LSMs (D4C_VM_LSM
# without bpf), as most distributions boot: 5.10 still lets LSM programs
# attach, which then never run. d4c-load must see that it cannot block,
# refuse a blocking policy (exit 3), and observe through the system call
# tracepoints, deciding there as the reference matcher does: t/load.bats's
# tests of that mode and a differential run (D4C_DIFF_SEED, D4C_DIFF_OPS),
# as one TAP stream.
#
#   D4C_VM_LSM=lockdown,capability t/vm/run bash t/vm/nolsm.sh
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
export PATH="$top_builddir/cmd:$PATH"
n=0
. "$top_srcdir/t/vm/tap.sh"
D=$(mktemp -d /tmp/d4cnolsm.XXXXXX)
probe=$(d4c-load --probe)
echo "# kernel $(uname -r), active LSMs $(cat /sys/kernel/security/lsm 2>/dev/null):" \
	"$(jq -c '{bpf_lsm, variant: .programs.variant}' <<<"$probe")"

check "d4c-load --probe: BPF LSM not usable, as bpf is no active LSM" \
	jq -e '.bpf_lsm.usable == false and (.bpf_lsm.error | test("not an active LSM"))' \
	<<<"$probe"

printf '%s\n' 'file:' '  selectors:' '    - name: etc' '      operation: [createFile]' \
	"      targetFilePath: ['$D/guarded/**']" '  responses:' '    - match: [etc]' \
	'      actions: [alert, block]' >"$D/block.yaml"
d4c-policy compile -o "$D/block.d4cp" "$D/block.yaml" && chmod 600 "$D/block.d4cp"
refused() {
	local st=0
	d4c-load "$D/block.d4cp" >/dev/null 2>"$D/err" || st=$?
	cat "$D/err"
	[ "$st" -eq 3 ] && grep -q "BPF LSM is not usable" "$D/err"
}
check "a blocking policy is refused with exit 3, not run unenforced" refused

join_tap < <(bats --tap --filter "without BPF LSM" "$top_srcdir/t/load.bats" 2>&1)
# shellcheck disable=SC2086
join_tap < <(bash "$top_srcdir/t/vm/differential.sh" "${D4C_DIFF_SEED:-510}" \
	${D4C_DIFF_OPS:-200 50} 2>&1)
rm -rf "$D"
echo "1..$n"
