#!/bin/sh
# The enforcement suite (t/vm/enforce.bats) in a QEMU guest with BPF LSM,
# for make check: its TAP comes back through t/vm/run. Not a skip when the
# guest cannot boot: that is a failure (exit status 125 from the runner).
# D4C_VM_KERNEL picks the guest's kernel (t/vm/run), D4C_ENFORCE_FILTER
# the tests to run (bats --filter).
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
export top_srcdir top_builddir
# make check runs the guest suites side by side on two cores: more than
# the runner's default of 10 minutes
: "${D4C_VM_TIMEOUT:=1800}"
export D4C_VM_TIMEOUT
cd "$top_builddir" || exit 1
exec "$top_srcdir/t/vm/run" bats --tap ${D4C_ENFORCE_FILTER:+--filter "$D4C_ENFORCE_FILTER"} \
	"$top_srcdir/t/vm/enforce.bats"
