#!/bin/sh
# For make check: bullseye's 5.10 booted without the BPF LSM active (lsm=
# without bpf, as distributions boot by default), where d4c-load observes
# through the system call tracepoints (t/vm/nolsm.sh).
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
export top_srcdir top_builddir
D4C_VM_KERNEL=bullseye D4C_VM_LSM=lockdown,capability D4C_START_TIMEOUT=600
: "${D4C_VM_TIMEOUT:=2400}"
export D4C_VM_KERNEL D4C_VM_LSM D4C_START_TIMEOUT D4C_VM_TIMEOUT
cd "$top_builddir" || exit 1
exec "$top_srcdir/t/vm/run" bash "$top_srcdir/t/vm/nolsm.sh"
