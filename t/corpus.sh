#!/bin/sh
# The policy corpus: every file under t/corpus/invalid/ and t/corpus/valid/
# states, in its own comments, what `d4c-policy check` must say about it:
#
#   # expect: LINE:COL: error: MESSAGE     (one line per diagnostic, in order)
#   # exit: N                              (default: 1 for invalid/, 0 for valid/)
#
# The run passes when the diagnostics (file name removed) and the exit
# status are exactly those. One TAP test per file.
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
PATH="${top_builddir:-$top_srcdir}/cmd:$PATH"

files=$(ls "$top_srcdir"/t/corpus/invalid/*.yaml "$top_srcdir"/t/corpus/valid/*.yaml 2>/dev/null)
n=$(printf '%s\n' "$files" | grep -c .)
echo "1..$n"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
i=0
for f in $files; do
	i=$((i + 1))
	name=${f#"$top_srcdir"/t/corpus/}
	case $name in
	invalid/*) want_rc=1 ;;
	*) want_rc=0 ;;
	esac
	rc_line=$(sed -n 's/^# exit: *//p' "$f" | head -n 1)
	[ -n "$rc_line" ] && want_rc=$rc_line
	sed -n 's/^# expect: //p' "$f" >"$tmp/want"
	rc=0
	d4c-policy check "$f" >"$tmp/out" 2>"$tmp/err" || rc=$?
	# Diagnostics name the file as given; compare without it.
	sed "s|^$f:||" "$tmp/out" >"$tmp/got"
	if [ "$rc" = "$want_rc" ] && cmp -s "$tmp/want" "$tmp/got" && [ ! -s "$tmp/err" ]; then
		echo "ok $i - $name"
	else
		echo "not ok $i - $name"
		echo "#   exit status $rc, expected $want_rc"
		diff "$tmp/want" "$tmp/got" | sed 's/^/#   /'
		sed 's/^/#   stderr: /' "$tmp/err"
	fi
done
