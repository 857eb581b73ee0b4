#!/bin/sh
# Debian 11's kernel (5.10: no bpf_loop, the 'bounded' build): blocking and
# d4c-trace from the enforcement suite, RENAME_EXCHANGE and setxattr from
# the alias suite, then 250 differential operations (seed 510), in one
# guest. 5.10's verifier takes minutes to check the bounded loops under
# software emulation, once for every d4c-load start: hence a few tests
# that cover every kind of hook, not the whole suite (bookworm's and
# trixie's kernels run it all).
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
D4C_VM_KERNEL=bullseye D4C_START_TIMEOUT=600 D4C_VM_TIMEOUT=3000
D4C_DIFF_SEED=510 D4C_DIFF_OPS="200 50"
D4C_ENFORCE_FILTER='^block: (creating|deleting)|^block exec|^d4c-trace under BPF LSM'
# the hooks whose arguments 5.10 lays out otherwise (d4c-load --probe):
# an exchange comes as two renames, setxattr has no idmap
D4C_ALIASES_FILTER='^RENAME_EXCHANGE|^an extended attribute'
export D4C_VM_KERNEL D4C_START_TIMEOUT D4C_VM_TIMEOUT D4C_ENFORCE_FILTER D4C_ALIASES_FILTER
export D4C_DIFF_SEED D4C_DIFF_OPS
exec sh "$top_srcdir/t/vm-kernel.sh"
