#!/bin/sh
# The kernel's decisions against the reference matcher (t/vm/differential.sh)
# in the BPF LSM guest, for make check: 1040 generated operations, one TAP
# test each. D4C_DIFF_SEED picks another policy and other operations,
# D4C_DIFF_OPS "NFILE NEXEC" fewer or more of them, D4C_VM_KERNEL the
# guest's kernel (t/vm/run).
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
export top_srcdir top_builddir
# make check runs the guest suites side by side on two cores: more than
# the runner's default of 10 minutes
: "${D4C_VM_TIMEOUT:=1800}"
export D4C_VM_TIMEOUT
cd "$top_builddir" || exit 1
# shellcheck disable=SC2086
exec "$top_srcdir/t/vm/run" bash "$top_srcdir/t/vm/differential.sh" "${D4C_DIFF_SEED:-4242}" \
	${D4C_DIFF_OPS:-}
