#!/bin/sh
# The alias suite (t/vm/aliases.bats: ways around a block) in a QEMU guest
# with BPF LSM, for make check: its TAP comes back through t/vm/run. Not a
# skip when the guest cannot boot: that is a failure (exit status 125 from
# the runner).
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
export top_srcdir top_builddir
# 42 tests, each loading the programs (some 9 s under software emulation)
# and running jq a few times (about 1 s each there): 15 to 20 minutes, past
# the runner's default of 10
: "${D4C_VM_TIMEOUT:=2400}"
export D4C_VM_TIMEOUT
cd "$top_builddir" || exit 1
exec "$top_srcdir/t/vm/run" bats --tap "$top_srcdir/t/vm/aliases.bats"
