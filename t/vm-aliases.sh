#!/bin/sh
# The alias suite (t/vm/aliases.bats: ways around a block) in a QEMU guest
# with BPF LSM, for make check: its TAP comes back through t/vm/run. Not a
# skip when the guest cannot boot: that is a failure (exit status 125 from
# the runner).
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
export top_srcdir top_builddir
cd "$top_builddir" || exit 1
exec "$top_srcdir/t/vm/run" bats --tap "$top_srcdir/t/vm/aliases.bats"
