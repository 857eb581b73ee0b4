#!/bin/sh
# One guest boot of the kernel D4C_VM_KERNEL names (t/vm/run) for make
# check: the enforcement suite (D4C_ENFORCE_FILTER: the tests to run, bats
# --filter) and the differential test (D4C_DIFF_SEED, D4C_DIFF_OPS), as
# one TAP stream (t/vm/kernel.sh). t/vm-kernel-*.sh set them per kernel.
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
export top_srcdir top_builddir
: "${D4C_VM_TIMEOUT:=1800}"
export D4C_VM_TIMEOUT
cd "$top_builddir" || exit 1
exec "$top_srcdir/t/vm/run" bash "$top_srcdir/t/vm/kernel.sh"
