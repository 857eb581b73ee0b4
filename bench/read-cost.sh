#!/bin/sh
# What readFile costs an open for reading: run_time_ns / run_cnt of the
# programs that see opens (the openat exit at the syscall tracepoints on
# this machine's kernel; lsm/file_open in the BPF LSM guest, --vm), with
# kernel.bpf_stats_enabled=1 (the old value is put back), while a loop
# opens and closes one file N times (D4C_BENCH_READ_N: 200000; in the
# guest 20000). Prints one line per policy and repetition; asserts
# nothing.
#
#   sh bench/read-cost.sh [--vm] [BUILDDIR]           (as root)
#
# BUILDDIR (default: the current directory) gives d4c-policy and d4c-load:
# another build's, for its baseline (main's: /work/main).
#
# Policies: "none": a modifyFile selector and no readFile one (what a
# build without readFile costs: run it with that build's BUILDDIR, which
# skips the others); "host": a readFile selector on another file, with
# --host (the open is decided to the end: path walk and lookups);
# "containers": the same without --host (a host process stops at the
# cgroup lookup); "match": the loop opens the named file (an event each).
# Other d4c-load processes starting meanwhile may add programs: the
# programs counted are those that appeared when this d4c-load started.
set -eu
case ${1:-} in
--vm) # this script and its t/vm/run, BUILDDIR's programs
	here=$(cd "$(dirname "$0")/.." && pwd)
	B=$(cd "${2:-.}" && pwd)
	exec "$here/t/vm/run" /bin/sh "$here/bench/read-cost.sh" --inner "$B"
	;;
--inner) # in the guest: emulated, so fewer opens
	B=$2
	N=${D4C_BENCH_READ_N:-20000}
	;;
*)
	B=$(cd "${1:-.}" && pwd)
	N=${D4C_BENCH_READ_N:-200000}
	;;
esac
W=$(mktemp -d)
old=$(sysctl -n kernel.bpf_stats_enabled)
trap 'sysctl -q kernel.bpf_stats_enabled="$old"; rm -rf "$W"' EXIT
sysctl -q kernel.bpf_stats_enabled=1
mkdir -p "$W/f"
echo x >"$W/f/tok"
echo y >"$W/f/other"
cat >"$W/none.yaml" <<YAML
file:
  selectors:
    - name: writes
      operation: [modifyFile]
      targetFilePath: ['$W/f/**']
  responses:
    - match: [writes]
      actions: [log]
YAML
{ sed '/^  responses:/,$d' "$W/none.yaml"; cat <<YAML
    - name: tokRead
      operation: [readFile]
      targetFilePath: ['$W/f/tok']
  responses:
    - match: [writes, tokRead]
      actions: [log]
YAML
} >"$W/read.yaml"

ids() {
	bpftool -j prog show |
		jq -c '[.[] | select(.name | test("^tp_exit_openat$|^file_open$")) | .id]'
}

# measure NAME FLAGS POLICY FILE
measure() {
	"$B/cmd/d4c-policy" compile -o "$W/p.d4cp" "$W/$3.yaml" 2>/dev/null || {
		echo "$1: skipped (this build does not know the policy)"
		return 0
	}
	chmod 600 "$W/p.d4cp"
	before=$(ids)
	# shellcheck disable=SC2086
	"$B/cmd/d4c-load" $2 --metrics-interval 0 "$W/p.d4cp" >/dev/null 2>"$W/err" &
	pid=$!
	for _ in $(seq 1 900); do grep -q 'in force' "$W/err" && break; sleep 0.1; done
	mine=$(jq -nc --argjson a "$before" --argjson b "$(ids)" '$b - $a')
	snap() {
		bpftool -j prog show | jq -c --argjson m "$mine" \
			'[.[] | select(.id as $i | $m | index([$i])) | [.name, (.run_time_ns // 0), (.run_cnt // 0)]]'
	}
	s0=$(snap)
	/usr/bin/python3 -c 'import os, sys
for _ in range(int(sys.argv[2])):
    os.close(os.open(sys.argv[1], os.O_RDONLY))' "$4" "$N"
	s1=$(snap)
	kill -INT $pid
	wait $pid || :
	jq -nr --arg n "$1" --argjson a "$s0" --argjson b "$s1" \
		'[range($b | length) as $i | $b[$i] as $y | $a[$i] as $x |
		 select($y[2] > $x[2]) |
		 "\($y[0]) \(($y[1] - $x[1]) / ($y[2] - $x[2]) | floor) ns/run over \($y[2] - $x[2]) runs"] |
		 "\($n): " + join(", ")'
}

for r in 1 2 3; do
	measure none --host none "$W/f/other"
	measure host --host read "$W/f/other"
	measure containers "" read "$W/f/other"
	measure match --host read "$W/f/tok"
done
