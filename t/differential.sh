#!/bin/sh
# d4c-load's decisions against the reference matcher (t/vm/differential.sh)
# on this machine's own kernel, for make check: 1040 generated operations,
# one TAP test each. Where BPF LSM is refused, as on these machines, file
# operations come from the system call tracepoints and those on paths
# (unlink, rename, link, chmod, symlink, mknod) are decided by d4c-load in
# user space: this is the test of that path, as t/vm-differential.sh is of
# the LSM hooks. D4C_DIFF_SEED and D4C_DIFF_OPS as there.
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
export top_srcdir top_builddir
if [ "$(id -u)" -ne 0 ] || [ ! -r /sys/kernel/btf/vmlinux ]; then
	echo "1..0 # SKIP d4c-load needs root and a kernel with BTF"
	exit 0
fi
cd "$top_builddir" || exit 1
exec bash "$top_srcdir/t/vm/differential.sh" "${D4C_DIFF_SEED:-4242}" ${D4C_DIFF_OPS:-}
