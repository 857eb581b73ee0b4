#!/bin/sh
# Timings of d4c-policy at the policy limits: 64 selectors + responses per
# type and a thousand paths. Prints figures; asserts nothing (targets live
# here, never in unit tests).
#
#   sh bench/policy-limits.sh [BUILDDIR]     (or: make bench)
set -eu
builddir=${1:-$(cd "$(dirname "$0")/.." && pwd)}
P="$builddir/cmd/d4c-policy"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
runs=${RUNS:-20}

# 60 file selectors with 17 paths each (1020 paths), 4 responses;
# 60 process selectors with executables, names and container conditions, 4 responses.
{
	echo "file:"
	echo "  selectors:"
	i=0
	while [ $i -lt 60 ]; do
		echo "    - name: files$i"
		echo "      operation: [createFile, modifyFile, deleteFile, createExecutable]"
		printf '      targetFilePath: ['
		j=0
		while [ $j -lt 17 ]; do
			[ $j -gt 0 ] && printf ', '
			case $((j % 3)) in
			0) printf '/srv/app%d/data%d/**' $i $j ;;
			1) printf '/etc/app%d/conf%d/*' $i $j ;;
			2) printf '/usr/lib/app%d/file%d.so' $i $j ;;
			esac
			j=$((j + 1))
		done
		echo "]"
		echo "      containerImageName: [app$i, svc-$i]"
		echo "      containerImageTag: [\"v$i.*\"]"
		echo "      kubernetesNamespace: [\"prod-*\", staging]"
		i=$((i + 1))
	done
	echo "  responses:"
	for r in 0 1 2 3; do
		printf '    - match: ['
		i=$r
		first=1
		while [ $i -lt 60 ]; do
			[ $first -eq 0 ] && printf ', '
			printf 'files%d' $i
			first=0
			i=$((i + 4))
		done
		echo "]"
		echo "      actions: [alert, block]"
	done
	echo "process:"
	echo "  selectors:"
	i=0
	while [ $i -lt 60 ]; do
		echo "    - name: procs$i"
		echo "      operation: [exec]"
		if [ $((i % 2)) -eq 0 ]; then
			echo "      processExecutable: [/usr/bin/tool$i, /opt/app$i/bin/*, /home/u$i/**]"
		else
			echo "      processName: [tool$i, \"sh$i*\"]"
		fi
		echo "      kubernetesPodLabel: [\"app.kubernetes.io/name:web$i\", \"tier:*\"]"
		echo "      sessionLeaderInteractive: true"
		i=$((i + 1))
	done
	echo "  responses:"
	for r in 0 1 2 3; do
		printf '    - match: ['
		i=$r
		first=1
		while [ $i -lt 60 ]; do
			[ $first -eq 0 ] && printf ', '
			printf 'procs%d' $i
			first=0
			i=$((i + 4))
		done
		echo "]"
		echo "      actions: [log, alert]"
	done
} >"$tmp/limits.yaml"

"$P" check --strict "$tmp/limits.yaml"
"$P" compile -o "$tmp/limits.d4cp" "$tmp/limits.yaml"

# 100000 events for the matcher, through `d4c-policy test`.
awk 'BEGIN {
	for (i = 0; i < 50000; i++) {
		printf "{\"type\":\"file\",\"operation\":\"modifyFile\",\"targetFilePath\":\"/srv/app%d/data%d/x/y/z\",\"containerImageName\":\"app%d\",\"kubernetesNamespace\":\"prod-1\",\"actions\":[\"alert\",\"block\"]}\n", i % 60, (i % 6) * 3, i % 60
		printf "{\"type\":\"process\",\"operation\":\"exec\",\"processExecutable\":\"/usr/bin/none\",\"processName\":\"bash\",\"actions\":[]}\n"
	}
}' >"$tmp/events.ndjson"

time_ms() {
	# Median of $runs runs, in milliseconds.
	i=0
	while [ $i -lt "$runs" ]; do
		s=$(date +%s%N)
		"$@" >/dev/null
		e=$(date +%s%N)
		echo $(((e - s) / 1000))
		i=$((i + 1))
	done | sort -n | awk '{ a[NR] = $1 } END { printf "%.2f", a[int((NR + 1) / 2)] / 1000 }'
}

lines=$(wc -l <"$tmp/limits.yaml")
bytes=$(wc -c <"$tmp/limits.yaml")
paths=$("$P" dump "$tmp/limits.d4cp" | awk -F': ' '/"path_entries"/ { gsub(",", "", $2); print $2 }')
echo "policy at the limits: 64 selectors + responses per type, 1020 file paths, 90 process paths"
echo "  source: $lines lines, $bytes bytes; blob: $(wc -c <"$tmp/limits.d4cp") bytes, $paths path entries"
echo "  check:   $(time_ms "$P" check "$tmp/limits.yaml") ms (median of $runs)"
echo "  compile: $(time_ms "$P" compile -o "$tmp/out.d4cp" "$tmp/limits.yaml") ms (median of $runs)"
echo "  default policy check: $(time_ms "$P" check "$(dirname "$0")/../share/policies/default.yaml") ms (median of $runs)"
s=$(date +%s%N)
"$P" test "$tmp/limits.d4cp" "$tmp/events.ndjson" >"$tmp/tap"
e=$(date +%s%N)
ms=$(((e - s) / 1000000))
echo "  test: 100000 events (parse + match) in $ms ms; $(grep -c '^ok' "$tmp/tap") ok, $(grep -c '^not ok' "$tmp/tap") not ok"
