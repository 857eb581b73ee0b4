#!/bin/sh
# d4c on each Debian kernel of t/vm/run (issue 17): per kernel, the build
# of the kernel programs d4c-load chose, how many programs it loaded, how
# long loading took, and the in-kernel cost of an event. Prints figures;
# asserts nothing (the tests are t/vm-kernel-*.sh).
#
#   sh bench/kernels.sh [KERNEL...]     (as root; default: bullseye
#                                        bookworm trixie, D4C_VM_KERNEL's
#                                        names)
#
# In each guest: d4c-load --host runs a policy that logs every exec of
# /bin/true and every file created below a scratch directory, with
# kernel.bpf_stats_enabled=1; bench/load-cost-driver makes D4C_BENCH_VM_EXEC_N
# (200) fork+exec and D4C_BENCH_VM_CREATE_N (500) create+unlink, each an
# event. ns/exec and ns/create: the run_time_ns of all of d4c's programs
# over the loop, divided by the loop's operations (every program an
# operation ran, the decision and the event included). Software emulation
# (TCG): the nanoseconds compare kernels with each other, not with a host.
# One JSON line per kernel on stdout, a table on stderr.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
: "${top_builddir:=$top}"
if [ "${1:-}" = --inner ]; then
	PATH=$top_builddir/cmd:$PATH
	D=$(mktemp -d /tmp/d4ckb.XXXXXX)
	mkdir -p "$D/c"
	cat >"$D/p.yaml" <<-YAML
	file:
	  selectors:
	    - name: c
	      operation: [createFile]
	      targetFilePath: ['$D/c/**']
	  responses:
	    - match: [c]
	      actions: [log]
	process:
	  selectors:
	    - name: t
	      operation: [exec]
	      processExecutable: ['/bin/true', '/usr/bin/true']
	  responses:
	    - match: [t]
	      actions: [log]
	YAML
	d4c-policy compile -o "$D/p.bin" "$D/p.yaml"
	sysctl -q -w kernel.bpf_stats_enabled=1
	bpftool prog show -j | jq '[.[].id]' >"$D/before"
	t0=$(date +%s%N)
	d4c-load --host "$D/p.bin" >"$D/ev" 2>"$D/err" &
	pid=$!
	i=0
	while ! grep -q 'in force' "$D/err"; do
		kill -0 "$pid" 2>/dev/null || { cat "$D/err" >&2; exit 1; }
		i=$((i + 1))
		[ "$i" -lt 6000 ] || { echo "d4c-load did not start" >&2; exit 1; }
		sleep 0.1
	done
	t1=$(date +%s%N)
	snap() {
		bpftool prog show -j | jq --slurpfile b "$D/before" \
			'[.[] | select(.id as $i | $b[0] | index($i) | not)
			  | {id, name, ns: (.run_time_ns // 0), cnt: (.run_cnt // 0)}]'
	}
	# ns of all of d4c's programs between two snapshots
	delta() {
		jq -n --slurpfile a "$1" --slurpfile b "$2" \
			'[$b[0][] as $p | ($a[0][] | select(.id == $p.id)) as $q
			  | $p.ns - $q.ns] | add'
	}
	n_exec=${D4C_BENCH_VM_EXEC_N:-200}
	n_create=${D4C_BENCH_VM_CREATE_N:-500}
	snap >"$D/s0"
	"$top_builddir/bench/kernels-driver" exec "$n_exec" /bin/true >&2
	snap >"$D/s1"
	"$top_builddir/bench/kernels-driver" create "$n_create" "$D/c" >&2
	snap >"$D/s2"
	sleep 1
	kill -INT "$pid"
	wait "$pid" || :
	ne=$(jq -s '[.[] | select(.event.action == "exec")] | length' "$D/ev")
	nc=$(jq -s '[.[] | select(.event.action == "creation")] | length' "$D/ev")
	jq -nc --arg k "$(uname -r)" --argjson probe "$(d4c-load --probe)" \
		--argjson progs "$(jq length "$D/s0")" \
		--argjson load_ms $(((t1 - t0) / 1000000)) \
		--argjson e "$(delta "$D/s0" "$D/s1")" --argjson ne "$n_exec" \
		--argjson c "$(delta "$D/s1" "$D/s2")" --argjson nc "$n_create" \
		--argjson ev_exec "$ne" --argjson ev_create "$nc" \
		'{kernel: $k, variant: $probe.programs.variant, programs: $progs,
		  load_ms: $load_ms, ns_per_exec: (($e / $ne) | floor),
		  ns_per_create: (($c / $nc) | floor),
		  exec_events: $ev_exec, create_events: $ev_create}'
	rm -rf "$D"
	exit 0
fi
[ "$(id -u)" -eq 0 ] || { echo "bench/kernels.sh: run as root" >&2; exit 2; }
gcc -O2 -Wall -o "$top_builddir/bench/kernels-driver" "$here/load-cost-driver.c"
[ $# -gt 0 ] || set -- bullseye bookworm trixie
out=$(mktemp) || exit 1
trap 'rm -f "$out"' EXIT
for k in "$@"; do
	echo "kernels: $k" >&2
	D4C_VM_KERNEL=$k D4C_VM_TIMEOUT=${D4C_VM_TIMEOUT:-1800} top_builddir=$top_builddir \
		"$top/t/vm/run" sh "$here/kernels.sh" --inner >>"$out"
done
cat "$out"
jq -rs '(["kernel", "build", "programs", "load ms", "ns/exec",
	"ns/create", "events"] | @tsv), (.[] | [.kernel, .variant, .programs, .load_ms,
	.ns_per_exec, .ns_per_create, "\(.exec_events)+\(.create_events)"] | @tsv)' "$out" >&2
