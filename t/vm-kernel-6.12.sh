#!/bin/sh
# Debian 13's kernel (6.12, the 'bpf_loop' build): the whole enforcement
# suite, then 400 differential operations (seed 612), in one guest.
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
D4C_VM_KERNEL=trixie D4C_START_TIMEOUT=180 D4C_DIFF_SEED=612 D4C_DIFF_OPS="320 80"
export D4C_VM_KERNEL D4C_START_TIMEOUT D4C_DIFF_SEED D4C_DIFF_OPS
exec sh "$top_srcdir/t/vm-kernel.sh"
