#!/bin/sh
# Which shared libraries each built program links (the NEEDED entries of
# `readelf -d`), against what it may link. Dependencies point one way:
#
#   d4c-load   runs as root and loads BPF: libbpf, libelf, zlib, libc, libm,
#              libpthread, nothing else (no libyaml, jansson, libcrypto:
#              what opens blobs and reads runtime state does without them)
#   d4c-trace  no libcurl (the kubelet poller is d4c-enrich's alone)
#
# A program linking a library outside its list fails its test, naming both.
# The sanitizers' runtimes (configure --enable-sanitizers) are the build's,
# not the code's, and are let through. Every program's list is printed as
# diagnostics. One TAP test per rule; skipped without readelf.
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"

echo "1..2"
if ! command -v readelf >/dev/null 2>&1; then
	echo "ok 1 # SKIP no readelf"
	echo "ok 2 # SKIP no readelf"
	exit 0
fi

# The NEEDED libraries of program $1 (cmd/NAME), one a line, e.g. "libc.so.6".
needed() {
	readelf -d "$top_builddir/cmd/$1" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\].*/\1/p'
}

for p in d4c-policy d4c-load d4c-trace d4c-enrich d4c-ship; do
	[ -x "$top_builddir/cmd/$p" ] || continue
	echo "# $p: $(needed "$p" | tr '\n' ' ')"
done

# check N DESCRIPTION PROGRAM allow|deny PATTERN: PATTERN (grep -E, matched
# against the library's name without ".so..." and its version) is the
# list of libraries PROGRAM may link (allow), or may not (deny).
check() {
	n=$1 what=$2 prog=$3 mode=$4 pat=$5
	if [ ! -x "$top_builddir/cmd/$prog" ]; then
		echo "not ok $n - $what"
		echo "#   $top_builddir/cmd/$prog is not built"
		return
	fi
	libs=$(needed "$prog")
	if [ -z "$libs" ]; then
		echo "not ok $n - $what"
		echo "#   readelf -d cmd/$prog shows no NEEDED entries (not a dynamic program?)"
		return
	fi
	bad=
	for lib in $libs; do
		base=${lib%%.so*}
		case $base in
		libasan | libubsan | liblsan | libtsan) continue ;;
		esac
		if printf '%s\n' "$base" | grep -Eqx "$pat"; then
			[ "$mode" = deny ] && bad="$bad $lib"
		else
			[ "$mode" = allow ] && bad="$bad $lib"
		fi
	done
	if [ -z "$bad" ]; then
		echo "ok $n - $what"
	else
		echo "not ok $n - $what"
		for lib in $bad; do
			echo "#   $prog links $lib, which it must not"
		done
	fi
}

check 1 "d4c-load links only libbpf, libelf, libz, libc, libm, libpthread" d4c-load allow \
	'libbpf|libelf|libz|libc|libm|libpthread'
check 2 "d4c-trace does not link libcurl" d4c-trace deny 'libcurl(-gnutls|-nss)?'
