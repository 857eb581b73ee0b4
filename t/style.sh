#!/bin/sh
# The C sources are in the project's style: each file as clang-format
# (with the kernel's values, .clang-format) would write it, one TAP case a
# file. `make format` rewrites them so; CI runs this as part of make check.
srcdir=${top_srcdir:-$(dirname "$0")/..}
cd "$srcdir" || exit 2
if ! command -v clang-format >/dev/null; then
	echo "1..0 # SKIP clang-format is not installed (contrib/setup installs it)"
	exit 0
fi
# Everything written by hand: not the kernel's BTF dump, not generated skeletons.
files=$(find cmd lib bpf t bench -name '*.[ch]' ! -name vmlinux.h ! -name '*.skel.h' | sort)
n=$(printf '%s\n' "$files" | grep -c .)
echo "1..$n"
i=0
for f in $files; do
	i=$((i + 1))
	if out=$(clang-format --dry-run --Werror "$f" 2>&1); then
		echo "ok $i - $f is in the project's style"
	else
		echo "not ok $i - $f is not in the project's style (make format rewrites it)"
		printf '%s\n' "$out" | head -n 6 | sed 's/^/# /'
	fi
done
