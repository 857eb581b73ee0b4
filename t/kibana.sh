#!/bin/sh
# The Kibana agreement corpus: every t/kibana/cases/*.yaml says, in its
# "# kibana: accept|reject" line, what Kibana's cloud_defend YAML editor
# decides about it (rules and sources: t/kibana/RULES.md). `d4c-policy
# check` must decide the same (exit 0 for accept, 1 for reject, and a
# rejection names at least one error's line and column), except where a
# "# d4c: accept|reject: REASON" line states that d4c knowingly differs.
#
# One TAP test per case; the last line is "# agreement: N/M", the cases
# where d4c-policy decides as Kibana does. Regenerate the cases with
# t/kibana/gen.py.
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
PATH="${top_builddir:-$top_srcdir}/cmd:$PATH"

files=$(ls "$top_srcdir"/t/kibana/cases/*.yaml)
n=$(printf '%s\n' "$files" | grep -c .)
echo "1..$n"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
i=0
agree=0
for f in $files; do
	i=$((i + 1))
	name=${f##*/}
	kibana=$(sed -n 's/^# kibana: *//p' "$f" | head -n 1)
	want=$(sed -n 's/^# d4c: *\([a-z]*\).*/\1/p' "$f" | head -n 1)
	[ -n "$want" ] || want=$kibana
	rc=0
	d4c-policy check "$f" >"$tmp/out" 2>"$tmp/err" || rc=$?
	case $rc in
	0) got=accept ;;
	1) got=reject ;;
	*) got="exit $rc" ;;
	esac
	# A rejection points at its place: FILE:LINE:COL: error: ...
	if [ "$got" = reject ] && ! grep -q "^$f:[0-9]*:[0-9]*: error: " "$tmp/out"; then
		got="reject without a position"
	fi
	[ -s "$tmp/err" ] && got="$got, with stderr"
	[ "$got" = "$kibana" ] && agree=$((agree + 1))
	if [ "$got" = "$want" ]; then
		if [ "$want" = "$kibana" ]; then
			echo "ok $i - $name ($want)"
		else
			echo "ok $i - $name ($want, where kibana would $kibana)"
		fi
	else
		echo "not ok $i - $name: expected $want (kibana: $kibana), d4c-policy says $got"
		sed "s|^$f:|#   |" "$tmp/out"
		sed 's/^/#   stderr: /' "$tmp/err"
	fi
done
echo "# agreement: $agree/$n"
