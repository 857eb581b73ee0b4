#!/bin/sh
# Selftest of t/vm/run, as TAP: boots the guest once and checks there that
# it runs the 6.1 kernel with the BPF LSM, as root, in the caller's
# directory, with D4C_* passed, a writable /tmp, the host's files readable
# but read-only, its own /sys, output on the virtio serial ports; that an
# lsm/file_open program returning -EPERM (selftest.bpf.c, attached by
# selftest-load.c) makes open() fail; and back on the host, that a copy of
# this script under the host's /tmp ran, and that its exit status and
# stderr came back.
#
#   t/vm/selftest.sh       exit 0 when every check passes, 77 when the
#                          BPF tool chain is missing (clang, bpftool, gcc,
#                          libbpf-dev), 1 otherwise
#
# The BPF object and loader are built on the host into a temporary
# directory under /var/tmp (the guest cannot see the host's /tmp), against
# a vmlinux.h from the guest kernel's BTF when t/vm/run has cached it, or
# else from the host's.
# shellcheck disable=SC2016
set -eu

here=${D4C_VM_SELFTEST_DIR:-$(cd "$(dirname "$0")" && pwd)}
deny=/tmp/d4c-vm-selftest-deny
allow=/tmp/d4c-vm-selftest-allow

case ${1:-} in
--attached)
	# Runs under selftest-load, the program attached.
	cat $deny >/tmp/deny.out 2>&1 && echo 0 >/tmp/deny.rc || echo $? >/tmp/deny.rc
	cat $allow >/tmp/allow.out 2>&1 && echo 0 >/tmp/allow.rc || echo $? >/tmp/allow.rc
	exit 0
	;;
--guest)
	build=$2
	n=0
	failed=0
	t() {
		n=$((n + 1))
		d=$1
		shift
		if "$@"; then
			echo "ok $n - $d"
		else
			echo "not ok $n - $d"
			failed=1
		fi
	}
	echo 1..15
	t "the guest has its own /sys" test -d /sys/bus/virtio/drivers/9pnet_virtio
	t "stdout is a virtio serial port" sh -c 'readlink /proc/$$/fd/1 | grep -q vport'
	t "bpf is an active LSM" grep -qw bpf /sys/kernel/security/lsm
	t "the guest runs Linux 6.1" sh -c 'uname -r | grep -q "^6\.1\."'
	t "as root" test "$(id -u)" -eq 0
	t "in the caller's directory" test "$(pwd)" = "${D4C_VM_SELFTEST_CWD:-}"
	t "/tmp is writable" sh -c 'echo secret >'$deny' && echo fine >'$allow' &&
		test "$(cat '$deny')" = secret'
	t "the host's files are readable" grep -q 'lsm/file_open' "$here/selftest.bpf.c"
	t "the host's files are read-only" sh -c '! touch "$1" 2>/dev/null' - "$here/.selftest"
	t "lsm/file_open program loads and attaches" \
		"$build/selftest-load" "$build/selftest.bpf.o" "$0" --attached
	t "open() of the denied file fails with EPERM" sh -c \
		'test "$(cat /tmp/deny.rc)" -ne 0 && grep -q "Operation not permitted" /tmp/deny.out'
	t "other files still open" sh -c \
		'test "$(cat /tmp/allow.rc)" -eq 0 && test "$(cat /tmp/allow.out)" = fine'
	t "the denied file opens once the program is gone" \
		sh -c 'test "$(cat '$deny')" = secret'
	echo "# stderr of the guest" >&2
	# 3 for success: the host checks that the status comes back.
	[ $failed -eq 0 ] || exit 1
	exit 3
	;;
'') ;;
*)
	echo "usage: t/vm/selftest.sh" >&2
	exit 2
	;;
esac

PATH=$PATH:/usr/sbin:/sbin
for c in clang bpftool gcc; do
	if ! command -v $c >/dev/null 2>&1; then
		echo "1..0 # SKIP $c is missing"
		exit 77
	fi
done
if [ ! -f /usr/include/bpf/libbpf.h ]; then
	echo "1..0 # SKIP libbpf-dev is missing"
	exit 77
fi

cache=${D4C_VM_CACHE:-/var/cache/d4c-vm}
btf=/sys/kernel/btf/vmlinux
[ ! -f "$cache/kernel/boot/vmlinux" ] || btf=$cache/kernel/boot/vmlinux

build=$(mktemp -d /var/tmp/d4c-vm-selftest.XXXXXX)
hidden=$(mktemp -d /tmp/d4c-vm-selftest.XXXXXX)
trap 'rm -rf "$build" "$hidden"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
chmod 755 "$build"
bpftool btf dump file "$btf" format c >"$build/vmlinux.h"
clang -g -O2 -target bpf -D__TARGET_ARCH_x86 -I"$build" \
	-c "$here/selftest.bpf.c" -o "$build/selftest.bpf.o"
gcc -O2 -Wall -o "$build/selftest-load" "$here/selftest-load.c" -lbpf

cp "$here/selftest.sh" "$hidden/selftest.sh"

rc=0
D4C_VM_SELFTEST_DIR=$here D4C_VM_SELFTEST_CWD=$PWD \
	"$here/run" "$hidden/selftest.sh" --guest "$build" 2>"$build/stderr" || rc=$?
cat "$build/stderr" >&2
failed=0
if [ $rc -eq 3 ]; then
	echo "ok 14 - the exit status comes back"
else
	echo "not ok 14 - the exit status comes back (got $rc)"
	failed=1
fi
if grep -q '^# stderr of the guest$' "$build/stderr"; then
	echo "ok 15 - stderr comes back"
else
	echo "not ok 15 - stderr comes back"
	failed=1
fi
exit $failed
