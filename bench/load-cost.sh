#!/bin/sh
# What d4c-load costs, measured on this machine's kernel and, for the LSM
# programs, in the BPF LSM guest of t/vm/run. Prints figures; asserts
# nothing (targets live in benchmarks, never in tests).
#
#   sh bench/load-cost.sh [-o OUT.json] [--no-vm] [BUILDDIR]      (as root)
#
# 1. In-kernel cost per event: with kernel.bpf_stats_enabled=1 (the old
#    value is put back on exit), d4c-load --host runs a policy of one
#    selector per type, then a policy at the limits (60 selectors + 4
#    responses per type: 1020 file paths mixing exact, /* and /**, 510
#    process paths and 240 process names), while a C driver makes
#    fork+exec loops and (where file events are seen) open-for-write and
#    create+unlink loops, in deep directories. Each workload runs twice:
#    matched by the policy (an event per operation: the whole decision and
#    the event are paid) and not matched (same depth, other names: the
#    whole decision, no event). The policy at the limits is also run
#    without --host: host processes then stop at the first test (the
#    early exit). For each d4c program, run_time_ns / run_cnt over the
#    workload's window (bpftool), and the ratio limits / one selector.
#    In the guest (software emulation: slow, so its loops are shorter and
#    its nanoseconds are not the host's) the same, with the LSM programs.
# 2. Loss in an exec storm: the default policy, --host, the default ring
#    buffer, 50,000 fork+exec of /bin/true as fast as one driver per CPU
#    can: produced, delivered and lost from d4c-load's last metric record,
#    exec events in the output, events/s, and produced == delivered + lost.
#    Then a shorter storm with a 4 KiB ring buffer.
#    (With the fixes of this change, the 4 KiB buffer no longer loses.)
#    And a file-write storm: a policy that logs every modifyFile, --host,
#    the default ring buffer, one driver per CPU making open(O_WRONLY) +
#    1-byte write + close of files on tmpfs as fast as it can.
# 3. d4c-load's VmRSS and VmHWM under the default policy (idle and after
#    the storm; RssFile includes the ring buffer mapped into it, twice) and
#    the memory of its BPF maps (bytes_memlock, per map).
#
# The figures go to the terminal as tables and, as JSON, to
# bench/load-cost.json in BUILDDIR (or OUT.json). Other d4c-load processes
# running at the same time (tests...) add their own programs to every
# exec: they are named in the output.
#
# Loop sizes (environment): D4C_BENCH_EXEC_N (2000), D4C_BENCH_FILE_N
# (20000), D4C_BENCH_CREATE_N (5000), D4C_BENCH_STORM_N (50000),
# D4C_BENCH_STORM_JOBS (drivers at once: the number of CPUs),
# D4C_BENCH_SMALL_N (10000: the storm again with a 4 KiB ring buffer, so
# that records are lost and the accounting is seen to add up; 0: not), and in
# the guest D4C_BENCH_VM_EXEC_N (200), D4C_BENCH_VM_FILE_N (2000),
# D4C_BENCH_VM_CREATE_N (500).
#
# Repetitions (for medians, as bench/run does): D4C_BENCH_REPEAT (1: each
# workload of part 1 measured that many times, interleaved, in the same
# d4c-load run; the ratios use the medians), D4C_BENCH_STORM_RUNS (1: each
# storm that many times), D4C_BENCH_FSTORM_N (600000: the file-write storm;
# 0: not), D4C_BENCH_BASELINE (1; 0: no baseline run without d4c-load),
# D4C_BENCH_SWAP (0; 1: the policies one and limits take turns in a single
# d4c-load --host, swapped with SIGHUP before each repetition's loops, in
# alternating order, so that the ratio compares windows of the same run
# rather than two d4c-load sessions one after the other).
#
# --inner is how the script runs itself in the guest: figures as NDJSON
# records on stdout, progress on stderr.
set -eu

usage() {
	echo "usage: sh bench/load-cost.sh [-o OUT.json] [--no-vm] [BUILDDIR]" >&2
	exit 2
}
here=$(cd "$(dirname "$0")" && pwd)
srcdir=$(dirname "$here")
inner=0
novm=0
out=
while [ $# -gt 0 ]; do
	case $1 in
	--inner) inner=1 ;;
	--no-vm) novm=1 ;;
	-o)
		[ $# -ge 2 ] || usage
		out=$2
		shift
		;;
	-h | --help) usage ;;
	-*) usage ;;
	*) break ;;
	esac
	shift
done
[ $# -le 1 ] || usage
builddir=$(cd "${1:-$srcdir}" && pwd)
LOAD=$builddir/cmd/d4c-load
POLICY=$builddir/cmd/d4c-policy
[ -n "$out" ] || out=$builddir/bench/load-cost.json

if [ "$inner" = 1 ]; then
	where=vm
	EXEC_N=${D4C_BENCH_VM_EXEC_N:-200}
	FILE_N=${D4C_BENCH_VM_FILE_N:-2000}
	CREATE_N=${D4C_BENCH_VM_CREATE_N:-500}
	start_timeout=300
else
	where=host
	EXEC_N=${D4C_BENCH_EXEC_N:-2000}
	FILE_N=${D4C_BENCH_FILE_N:-20000}
	CREATE_N=${D4C_BENCH_CREATE_N:-5000}
	start_timeout=60
fi
STORM_N=${D4C_BENCH_STORM_N:-50000}
STORM_JOBS=${D4C_BENCH_STORM_JOBS:-$(nproc)}
SMALL_N=${D4C_BENCH_SMALL_N:-10000}
FSTORM_N=${D4C_BENCH_FSTORM_N:-600000}
STORM_RUNS=${D4C_BENCH_STORM_RUNS:-1}
REPEAT=${D4C_BENCH_REPEAT:-1}
SWAP=${D4C_BENCH_SWAP:-0}
BASELINE=${D4C_BENCH_BASELINE:-1}

say() {
	printf '%s: %s\n' "$where" "$*" >&2
}
die() {
	say "load-cost: $*"
	exit 1
}

[ "$(id -u)" -eq 0 ] || die "needs root (BPF, bpf_stats_enabled)"
for c in bpftool jq sysctl; do
	command -v "$c" >/dev/null 2>&1 || die "needs $c"
done
if [ ! -x "$LOAD" ] || [ ! -x "$POLICY" ]; then
	die "no d4c-load or d4c-policy in $builddir/cmd (build first)"
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/d4c-load-cost.XXXXXX")
# The file-write storm writes on tmpfs: the cost measured is d4c's, not a disk's.
if [ "$(stat -f -c %T /dev/shm 2>/dev/null)" = tmpfs ]; then
	shm=$(mktemp -d /dev/shm/d4c-load-cost.XXXXXX)
else
	shm=$tmp/shm
	mkdir "$shm"
fi
LPID=
SPID=
old_stats=
cleanup() {
	trap - EXIT INT TERM
	if [ -n "$SPID" ]; then
		kill "$SPID" 2>/dev/null || :
		wait "$SPID" 2>/dev/null || :
	fi
	if [ -n "$LPID" ]; then
		kill -INT "$LPID" 2>/dev/null || :
		wait "$LPID" 2>/dev/null || :
	fi
	[ -z "$old_stats" ] || sysctl -q -w kernel.bpf_stats_enabled="$old_stats" >/dev/null 2>&1 || :
	rm -rf "$tmp" "$shm"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

R=$tmp/records.ndjson
: >"$R"
rec() {
	printf '%s\n' "$1" >>"$R"
}

# --- the driver and the trees it works in -----------------------------------

mkdir -p "$tmp/share"
DRV=$tmp/share/load-cost-driver
if [ "$inner" = 1 ] && [ -x "${D4C_BENCH_DRIVER:-}" ]; then
	cp "$D4C_BENCH_DRIVER" "$DRV"
else
	command -v gcc >/dev/null 2>&1 || die "needs gcc (for bench/load-cost-driver.c)"
	gcc -O2 -Wall -o "$DRV" "$here/load-cost-driver.c" || die "cannot build the driver"
fi

# Matched by both policies: the executables in BIN, the files in FILES.
# Not matched: the same depths under NM.
W=$tmp/w
BIN=$W/opt/vendor/app/releases/v1.2.3/lib/x86_64-linux-gnu/bench/bin
FILES=$W/srv/data/tenants/t1/projects/p1/volumes/v1/logs/2026/11/25
NMBIN=$tmp/nm/opt/vendor/app/releases/v1.2.3/lib/x86_64-linux-gnu/other/bin
NMFILES=$tmp/nm/srv/data/tenants/t1/projects/p1/volumes/v1/logs/2026/11/26
mkdir -p "$BIN" "$FILES" "$NMBIN" "$NMFILES"
cp "$DRV" "$BIN/d4cbench"
cp /bin/true "$BIN/d4ctrue"
cp "$DRV" "$NMBIN/nmbench"
cp /bin/true "$NMBIN/nmtrue"
i=0
while [ $i -lt 16 ]; do
	: >"$FILES/f$i.log"
	: >"$NMFILES/f$i.log"
	i=$((i + 1))
done

# --- policies ----------------------------------------------------------------

cat >"$tmp/one.yaml" <<EOF
process:
  selectors:
    - name: benchProcesses
      operation: [fork, exec]
      processExecutable: ['$BIN/*']
  responses:
    - match: [benchProcesses]
      actions: [log]
file:
  selectors:
    - name: benchFiles
      operation: [createFile, modifyFile, deleteFile]
      targetFilePath: ['$FILES/**']
  responses:
    - match: [benchFiles]
      actions: [log]
EOF

# 60 selectors + 4 responses per type. The workload is matched by a few
# selectors of each type, through every kind of pattern (exact, /*, /**
# on an ancestor, exact names, a name prefix); the other selectors' paths
# share the workload's first components.
responses() { # PREFIX
	for r in 0 1 2 3; do
		printf '    - match: ['
		i=$r
		sep=
		while [ $i -lt 60 ]; do
			printf '%s%s%d' "$sep" "$1" $i
			sep=', '
			i=$((i + 4))
		done
		echo "]"
		[ $r -ne 3 ] || echo "      exclude: [${1}58]"
		echo "      actions: [log]"
	done
}
{
	echo "file:"
	echo "  selectors:"
	i=0
	while [ $i -lt 60 ]; do
		echo "    - name: files$i"
		case $((i % 3)) in
		0) echo "      operation: [createFile, modifyFile, deleteFile]" ;;
		1) echo "      operation: [createFile, modifyFile, deleteFile, createExecutable]" ;;
		2) echo "      operation: [modifyFile, modifyExecutable, createFile, deleteFile]" ;;
		esac
		printf '      targetFilePath: ['
		j=0
		while [ $j -lt 17 ]; do
			[ $j -eq 0 ] || printf ', '
			case $i.$j in
			0.0) printf "'%s/**'" "$FILES" ;;
			1.0) printf "'%s/*'" "$FILES" ;;
			2.0) printf "'%s/f0.log', '%s/f1.log'" "$FILES" "$FILES" ;;
			3.0) printf "'%s/srv/**'" "$W" ;;
			*)
				case $((j % 3)) in
				0) printf "'%s/srv/data/tenants/t%d/projects/p%d/**'" "$W" $i $j ;;
				1) printf "'%s/srv/data/tenants/t%d/conf%d/*'" "$W" $i $j ;;
				2) printf "'/etc/app%d/file%d.conf'" $i $j ;;
				esac
				;;
			esac
			j=$((j + 1))
		done
		echo "]"
		i=$((i + 1))
	done
	echo "  responses:"
	responses files
	echo "process:"
	echo "  selectors:"
	i=0
	while [ $i -lt 60 ]; do
		echo "    - name: procs$i"
		echo "      operation: [fork, exec]"
		if [ $((i % 2)) -eq 0 ]; then
			printf '      processExecutable: ['
			j=0
			while [ $j -lt 17 ]; do
				[ $j -eq 0 ] || printf ', '
				case $i.$j in
				0.0) printf "'%s/*'" "$BIN" ;;
				2.0) printf "'%s/d4ctrue', '%s/d4cbench'" "$BIN" "$BIN" ;;
				4.0) printf "'%s/opt/**'" "$W" ;;
				*)
					case $((j % 3)) in
					0) printf "'%s/opt/vendor/app%d/v%d/**'" "$W" $i $j ;;
					1) printf "'%s/opt/vendor/app%d/bin%d/*'" "$W" $i $j ;;
					2) printf "'/usr/local/app%d/bin/tool%d'" $i $j ;;
					esac
					;;
				esac
				j=$((j + 1))
			done
			echo "]"
		else
			printf '      processName: ['
			k=0
			while [ $k -lt 8 ]; do
				[ $k -eq 0 ] || printf ', '
				case $i.$k in
				1.0) printf 'd4ctrue, d4cbench' ;;
				3.0) printf "'d4c*'" ;;
				*)
					if [ $((k % 2)) -eq 0 ]; then
						printf 'tool%d-%d' $i $k
					else
						printf "'sh%d-%d*'" $i $k
					fi
					;;
				esac
				k=$((k + 1))
			done
			echo "]"
		fi
		i=$((i + 1))
	done
	echo "  responses:"
	responses procs
} >"$tmp/limits.yaml"

# The file-write storm's policy: every modifyFile is logged.
cat >"$tmp/modify.yaml" <<EOF
file:
  selectors:
    - name: allModifications
      operation: [modifyFile]
  responses:
    - match: [allModifications]
      actions: [log]
EOF

cp "$srcdir/share/policies/default.yaml" "$tmp/default.yaml"
for p in one limits default modify; do
	"$POLICY" compile -o "$tmp/$p.d4cp" "$tmp/$p.yaml" || die "cannot compile the $p policy"
	chmod 600 "$tmp/$p.d4cp"
	"$POLICY" dump "$tmp/$p.d4cp" | jq -c --arg p "$p" --arg where "$where" '{section: "policy", where: $where, policy: $p,
		file_selectors: (.file.selectors // [] | length), file_responses: (.file.responses // [] | length),
		process_selectors: (.process.selectors // [] | length),
		process_responses: (.process.responses // [] | length),
		path_entries, name_entries, blob_bytes: .size}' >>"$R"
done

# --- d4c-load ----------------------------------------------------------------

# Starts d4c-load ARGS (output in $tmp/NAME.out) and returns once it is in
# force, with its programs' and maps' ids (from its file descriptors) in
# PROGS and MAPS.
start_load() {
	name=$1
	shift
	: >"$tmp/$name.err"
	"$LOAD" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
	LPID=$!
	n=0
	while ! grep -q 'in force' "$tmp/$name.err"; do
		if ! kill -0 "$LPID" 2>/dev/null; then
			cat "$tmp/$name.err" >&2
			LPID=
			die "d4c-load $* did not start"
		fi
		n=$((n + 1))
		[ $n -le $((start_timeout * 10)) ] || die "d4c-load did not start in ${start_timeout}s"
		sleep 0.1
	done
	PROGS=$(ids prog_id)
	MAPS=$(ids map_id)
	[ -n "$PROGS" ] || die "cannot find d4c-load's programs in /proc/$LPID/fdinfo"
}

ids() {
	# Not a pipeline with grep -h: fdinfo of closed descriptors vanish.
	cat /proc/"$LPID"/fdinfo/* 2>/dev/null | awk -v k="$1:" '$1 == k { print $2 }' |
		sort -un | paste -sd, -
}

# VmRSS, VmHWM, RssAnon and RssFile of d4c-load, and the part of its RSS
# that is BPF maps mapped into it (the ring buffer: shared with the kernel,
# its data pages mapped twice), in kB, as JSON members.
mem_status() {
	awk '/^VmRSS:/ { r = $2 } /^VmHWM:/ { h = $2 } /^RssAnon:/ { a = $2 } /^RssFile:/ { f = $2 }
		END { printf "\"vmrss_kb\": %d, \"vmhwm_kb\": %d, \"rss_anon_kb\": %d, \"rss_file_kb\": %d", r, h, a, f }' \
		/proc/"$LPID"/status
	awk '$1 ~ /^[0-9a-f]+-[0-9a-f]+$/ { m = ($NF == "anon_inode:bpf-map") }
		m && $1 == "Rss:" { n += $2 }
		END { printf ", \"bpf_map_rss_kb\": %d", n }' /proc/"$LPID"/smaps 2>/dev/null || :
}

# Stops d4c-load as Ctrl-C does; LOAD_MS: how long it took to drain and exit.
stop_load() {
	s=$(date +%s%N)
	kill -INT "$LPID"
	LOAD_RC=0
	wait "$LPID" || LOAD_RC=$?
	LOAD_MS=$((($(date +%s%N) - s) / 1000000))
	LPID=
	[ "$LOAD_RC" -eq 0 ] || say "d4c-load exited with status $LOAD_RC"
}

# The last line of NAME's output, the final metric record, as .d4c.
final_metric() {
	tail -n 1 "$tmp/$1.out" | jq -c 'select(.event.kind == "metric") | .d4c' 2>/dev/null || :
}

# The run time and count of d4c-load's programs, now.
snap() {
	if [ -z "${PROGS:-}" ]; then
		echo '[]' >"$1"
		return
	fi
	bpftool -j prog show | jq -c --argjson ids "[$PROGS]" '[.[] | select(.id as $i | any($ids[]; . == $i))
		| {id, name, run_time_ns: (.run_time_ns // 0), run_cnt: (.run_cnt // 0)}]' >"$1"
}

# IRQ work interrupts so far, all CPUs: how the ring buffer wakes its reader.
irq_work() {
	awk '$1 == "IWI:" { for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) n += $i } END { print n + 0 }' /proc/interrupts
}

# measure POLICY SCOPE WORKLOAD N DRIVER-COMMAND...
measure() {
	m_policy=$1 m_scope=$2 m_wl=$3 m_n=$4
	shift 4
	snap "$tmp/s0.json"
	m_iwi0=$(irq_work)
	m_line=$("$@") || say "$m_wl: some operations failed: $m_line"
	m_iwi1=$(irq_work)
	snap "$tmp/s1.json"
	m_ok=$(echo "$m_line" | sed -n 's/.* ok=\([0-9]*\).*/\1/p')
	m_ns=$(echo "$m_line" | sed -n 's/.* ns=\([0-9]*\).*/\1/p')
	rec "$(jq -n -c --slurpfile a "$tmp/s0.json" --slurpfile b "$tmp/s1.json" \
		--arg where "$where" --arg policy "$m_policy" --arg scope "$m_scope" \
		--arg wl "$m_wl" --argjson n "$m_n" --argjson ok "${m_ok:-0}" --argjson ns "${m_ns:-0}" \
		--argjson iwi "$((m_iwi1 - m_iwi0))" --argjson rep "$m_rep" '
		{section: "cost", where: $where, policy: $policy, scope: $scope, workload: $wl, rep: $rep,
		 iterations: $n, ok: $ok, wall_ns: $ns, irq_work_interrupts: $iwi,
		 wall_ns_per_iter: (if $n > 0 then ($ns / $n | floor) else null end),
		 kernel_ns_per_iter: null,
		 programs: [$b[0][] as $p | ($a[0][] | select(.id == $p.id)) as $q
			| {name: $p.name, run_cnt: ($p.run_cnt - $q.run_cnt),
			   run_time_ns: ($p.run_time_ns - $q.run_time_ns)}
			| select(.run_cnt > 0)
			| . + {ns_per_run: (.run_time_ns / .run_cnt | floor)}]}
		| .kernel_ns_per_iter = (if $n > 0 then ([.programs[].run_time_ns] | add // 0) / $n | floor else null end)')"
	say "  $m_wl x $m_n: $(echo "$m_line" | sed 's/ pid=.*//')"
}

workloads() { # POLICY SCOPE
	m_rep=1
	while [ $m_rep -le "$REPEAT" ]; do
		workloads_once "$@"
		m_rep=$((m_rep + 1))
	done
}

workloads_once() { # POLICY SCOPE
	measure "$1" "$2" exec-match "$EXEC_N" "$BIN/d4cbench" exec "$EXEC_N" "$BIN/d4ctrue"
	measure "$1" "$2" exec-nomatch "$EXEC_N" "$NMBIN/nmbench" exec "$EXEC_N" "$NMBIN/nmtrue"
	[ "$files" = true ] || return 0
	measure "$1" "$2" open-match "$FILE_N" "$BIN/d4cbench" open "$FILE_N" "$FILES"/f*.log
	measure "$1" "$2" open-nomatch "$FILE_N" "$NMBIN/nmbench" open "$FILE_N" "$NMFILES"/f*.log
	measure "$1" "$2" create-match "$CREATE_N" "$BIN/d4cbench" create "$CREATE_N" "$FILES"
	measure "$1" "$2" create-nomatch "$CREATE_N" "$NMBIN/nmbench" create "$CREATE_N" "$NMFILES"
}

# run_config POLICY SCOPE (host: --host; containers: without)
run_config() {
	if [ "$2" = host ]; then
		say "policy $1, d4c-load --host: every process decided"
	else
		say "policy $1, d4c-load without --host: host processes stop at the early exit"
	fi
	if [ "$2" = host ]; then
		start_load "$1-$2" --host "$tmp/$1.d4cp"
	else
		start_load "$1-$2" "$tmp/$1.d4cp"
	fi
	workloads "$1" "$2"
	mem=$(mem_status)
	stop_load
	rec "$(jq -n -c --arg where "$where" --arg policy "$1" --arg scope "$2" \
		--argjson metric "$(final_metric "$1-$2" | grep . || echo null)" \
		--argjson actions "$(jq -c -n '[inputs | select(.event.kind != "metric") | .event.action // "?"]
			| group_by(.) | map({key: .[0], value: length}) | from_entries' "$tmp/$1-$2.out")" \
		"{section: \"run\", where: \$where, policy: \$policy, scope: \$scope, $mem,
		  metric: \$metric, events_by_action: \$actions, exit_status: $LOAD_RC}")"
	rm -f "$tmp/$1-$2.out"
}

# --- 1. cost per event ------------------------------------------------------

files=$("$LOAD" --probe | jq -r '.features.file_events')
rec "$(jq -n -c --arg where "$where" --arg kernel "$(uname -r)" --argjson cpus "$(nproc)" \
	--argjson probe "$("$LOAD" --probe)" \
	--arg others "$(pgrep -a -x d4c-load | grep -v "^$$ " || :)" \
	--argjson exec_n "$EXEC_N" --argjson file_n "$FILE_N" --argjson create_n "$CREATE_N" \
	'{section: "system", where: $where, kernel: $kernel, cpus: $cpus, probe: $probe,
	  other_d4c_load: ($others | split("\n") | map(select(. != ""))),
	  loops: {exec: $exec_n, open: $file_n, create: $create_n, repeat: '"$REPEAT"'},
	  exec_path: "'"$BIN"'/d4ctrue", file_dir: "'"$FILES"'"}')"
others=$(pgrep -a -x d4c-load || :)
[ -z "$others" ] || say "note: other d4c-load processes are running (their programs run too): $(echo "$others" | tr '\n' ';')"

old=$(sysctl -n kernel.bpf_stats_enabled)
sysctl -q -w kernel.bpf_stats_enabled=1 >/dev/null || die "cannot enable kernel.bpf_stats_enabled"
old_stats=$old

if [ "$BASELINE" != 0 ]; then
	say "no d4c-load (baseline wall times)"
	PROGS=
	workloads none none
fi
# Installs policy $1 in the running d4c-load (SIGHUP) and returns once it
# says so.
swap_to() {
	sw_n0=$(grep -c 'in force' "$tmp/swap.err" || :)
	cp "$tmp/$1.d4cp" "$tmp/active.tmp"
	chmod 600 "$tmp/active.tmp"
	mv -f "$tmp/active.tmp" "$tmp/active.d4cp"
	kill -HUP "$LPID"
	sw_i=0
	while [ "$(grep -c 'in force' "$tmp/swap.err" || :)" -le "$sw_n0" ]; do
		kill -0 "$LPID" 2>/dev/null || die "d4c-load exited on SIGHUP"
		sw_i=$((sw_i + 1))
		[ $sw_i -le 300 ] || die "d4c-load did not install the $1 policy in 30s"
		sleep 0.1
	done
}

# One d4c-load --host, the policies one and limits in turn (D4C_BENCH_SWAP).
run_swapped() {
	say "policies one and limits in turn, in one d4c-load --host (SIGHUP between them)"
	cp "$tmp/one.d4cp" "$tmp/active.d4cp"
	start_load swap --host "$tmp/active.d4cp"
	m_rep=1
	while [ $m_rep -le "$REPEAT" ]; do
		if [ $((m_rep % 2)) -eq 1 ]; then
			sw_order="one limits"
		else
			sw_order="limits one"
		fi
		for sw_p in $sw_order; do
			swap_to "$sw_p"
			workloads_once "$sw_p" host
		done
		m_rep=$((m_rep + 1))
	done
	mem=$(mem_status)
	stop_load
	rec "$(jq -n -c --arg where "$where" \
		--argjson metric "$(final_metric swap | grep . || echo null)" \
		"{section: \"run\", where: \$where, policy: \"one+limits\", scope: \"host\", $mem,
		  metric: \$metric, events_by_action: {}, exit_status: $LOAD_RC}")"
	rm -f "$tmp/swap.out"
}

if [ "$SWAP" = 1 ]; then
	run_swapped
else
	run_config one host
	run_config limits host
fi
run_config limits containers

# --- 2 and 3. exec storm, memory (host only) -------------------------------

# storm NAME KIND RUN N RINGBUF [d4c-load options], --host:
# KIND exec: N fork+exec of /bin/true, default policy;
# KIND file: N open(O_WRONLY) + write + close on tmpfs, every modifyFile logged;
# by STORM_JOBS drivers at once (one per CPU by default); with NAME = storm
# and RUN 1, the memory figures too.
i=0
while [ $i -lt 16 ]; do
	: >"$shm/s$i.log"
	i=$((i + 1))
done
# d4c-load's user + system CPU time so far, in clock ticks
cpu_ticks() {
	# the command name, field 2, has no blank: d4c-load
	awk '{ print $14 + $15 }' /proc/"$LPID"/stat
}
CLK_TCK=$(getconf CLK_TCK)

storm() {
	st_name=$1 st_kind=$2 st_run=$3 st_n=$4 st_rb=$5
	shift 5
	if [ "$st_kind" = exec ]; then
		st_policy=default
		say "exec storm $st_run, default policy, --host, ring buffer $st_rb: $st_n fork+exec of /bin/true by $STORM_JOBS drivers"
	else
		st_policy=modify
		say "file-write storm $st_run, every modifyFile logged, --host, ring buffer $st_rb: $st_n open+write+close on $(stat -f -c %T "$shm") by $STORM_JOBS drivers"
	fi
	start_load "$st_name" --host "$@" "$tmp/$st_policy.d4cp"
	sleep 1
	if [ "$st_name" = storm ] && [ "$st_run" = 1 ]; then
		mem_idle=$(mem_status)
		bpftool -j map show | jq -c --argjson ids "[$MAPS]" '[.[] | select(.id as $i | any($ids[]; . == $i))
			| {id, name, type, max_entries, bytes_key, bytes_value, bytes_memlock}]' >"$tmp/maps.json"
		bpftool -j prog show | jq -c --argjson ids "[$PROGS]" '[.[] | select(.id as $i | any($ids[]; . == $i))
			| {id, name, bytes_xlated, bytes_jited, bytes_memlock}]' >"$tmp/progs.json"
	fi
	(
		while kill -0 "$LPID" 2>/dev/null; do
			awk '/^VmRSS:/ { print $2 }' /proc/"$LPID"/status 2>/dev/null
			sleep 0.5
		done
	) >"$tmp/rss.log" &
	SPID=$!
	j=0
	dpids=
	rm -f "$tmp"/storm.[0-9]*
	cpu0=$(cpu_ticks)
	s=$(date +%s%N)
	while [ $j -lt "$STORM_JOBS" ]; do
		if [ "$st_kind" = exec ]; then
			"$DRV" exec $((st_n / STORM_JOBS)) /bin/true >"$tmp/storm.$j" &
		else
			"$DRV" open $((st_n / STORM_JOBS)) "$shm"/s*.log >"$tmp/storm.$j" &
		fi
		dpids="$dpids $!"
		j=$((j + 1))
	done
	wait_rc=0
	for p in $dpids; do
		wait "$p" || wait_rc=$?
	done
	ns=$(($(date +%s%N) - s))
	# what is left in the ring buffer is drained in the first milliseconds
	sleep 0.2
	cpu1=$(cpu_ticks)
	mem_after=$(mem_status)
	[ "$wait_rc" -eq 0 ] || say "storm: some execs failed"
	stop_load
	kill "$SPID" 2>/dev/null || :
	wait "$SPID" 2>/dev/null || :
	SPID=
	cat "$tmp"/storm.[0-9]* >"$tmp/storm.lines"
	say "  $(sed 's/ pid=.*//' "$tmp/storm.lines" | tr '\n' ';') all in $((ns / 1000000)) ms"
	ok=$(sed -n 's/.* ok=\([0-9]*\).*/\1/p' "$tmp/storm.lines" | awk '{ n += $1 } END { print n + 0 }')
	sed -n 's/.* pid=\([0-9]*\).*/"parent":{"pid":\1,/p' "$tmp/storm.lines" >"$tmp/storm.pids"
	sed -n 's/.* pid=\([0-9]*\).*/"process":{"pid":\1,/p' "$tmp/storm.lines" >"$tmp/storm.fpids"
	o=$tmp/$st_name.out
	metric=$(final_metric "$st_name" | grep . || echo null)
	lines=$(wc -l <"$o")
	execs=$(grep -F '"action":"exec"' "$o" | grep -cFf "$tmp/storm.pids" || :)
	forks=$(grep -F '"action":"fork"' "$o" | grep -cFf "$tmp/storm.pids" || :)
	ends=$(grep -F '"action":"end"' "$o" | grep -cFf "$tmp/storm.pids" || :)
	all_execs=$(grep -cF '"action":"exec"' "$o" || :)
	opens=0
	[ "$st_kind" != file ] || opens=$(grep -F '"action":"open"' "$o" | grep -cFf "$tmp/storm.fpids" || :)
	bytes=$(wc -c <"$o")
	rss_max=$(sort -n "$tmp/rss.log" | tail -n 1)
	rm -f "$o"
	rec "$(jq -n -c --arg name "$st_name" --arg rb "$st_rb" --argjson n "$st_n" \
		--argjson ok "${ok:-0}" --argjson ns "${ns:-0}" \
		--argjson metric "$metric" --argjson lines "$lines" --argjson execs "$execs" \
		--argjson forks "$forks" --argjson ends "$ends" --argjson all_execs "$all_execs" \
		--argjson bytes "$bytes" --argjson drain_ms "$LOAD_MS" --argjson rss_max "${rss_max:-0}" \
		--argjson jobs "$STORM_JOBS" --arg kind "$st_kind" --argjson run "$st_run" \
		--arg policy "$st_policy" --argjson opens "$opens" \
		--argjson cpu_s "$(awk -v t=$((cpu1 - cpu0)) -v hz="$CLK_TCK" 'BEGIN { print t / hz }')" \
		'{section: "storm", name: $name, kind: $kind, run: $run, policy: $policy, scope: "host",
		  ringbuf: $rb, iterations: $n, drivers: $jobs, driver_ops_ok: $ok, driver_ns: $ns,
		  ops_per_s: ($ok / ($ns / 1e9) | floor),
		  driver_execs_ok: (if $kind == "exec" then $ok else null end),
		  execs_per_s: (if $kind == "exec" then ($ok / ($ns / 1e9) | floor) else null end),
		  driver_open_events: (if $kind == "file" then $opens else null end),
		  metric: $metric,
		  produced_eq_delivered_plus_lost: (if $metric then $metric.produced == $metric.delivered + $metric.lost else null end),
		  produced_per_s: (if $metric then ($metric.produced / ($ns / 1e9) | floor) else null end),
		  delivered_per_s: (if $metric then ($metric.delivered / ($ns / 1e9) | floor) else null end),
		  output_lines: $lines, output_bytes: $bytes,
		  load_cpu_s: $cpu_s,
		  load_cpu_us_per_event: (if $metric and $metric.delivered > 0 then ($cpu_s * 1e6 / $metric.delivered * 100 | round / 100) else null end),
		  load_events_per_cpu_s: (if $metric and $cpu_s > 0 then ($metric.delivered / $cpu_s | floor) else null end),
		  driver_exec_events: $execs, driver_fork_events: $forks, driver_end_events: $ends,
		  all_exec_events: $all_execs, stop_and_drain_ms: $drain_ms, vmrss_max_kb_sampled: $rss_max}')"
	[ "$st_name" = storm ] && [ "$st_run" = 1 ] || return 0
	rec "$(jq -n -c --slurpfile maps "$tmp/maps.json" --slurpfile progs "$tmp/progs.json" \
		"{section: \"memory\", policy: \"default\", idle: {$mem_idle}, after_storm: {$mem_after},
		  maps: \$maps[0], maps_bytes_memlock: (\$maps[0] | map(.bytes_memlock) | add),
		  d4c_named_maps_bytes_memlock: (\$maps[0] | map(select(.name | IN(\"events\", \"scratch\",
			\"counters\", \"settings\", \"types\", \"responses\", \"paths\", \"names\", \"cgroups\",
			\"tracked\", \"created\"))) | map(.bytes_memlock) | add),
		  progs: \$progs[0], progs_bytes_memlock: (\$progs[0] | map(.bytes_memlock) | add)}")"
}

if [ "$inner" = 0 ]; then
	r=1
	while [ $r -le "$STORM_RUNS" ]; do
		storm storm exec $r "$STORM_N" "default (16M)"
		r=$((r + 1))
	done
	# The same with the smallest ring buffer, where records are lost: the
	# accounting must still add up.
	[ "$SMALL_N" -eq 0 ] || storm storm-4k exec 1 "$SMALL_N" 4096 --ringbuf-size 4096
	r=1
	while [ "$FSTORM_N" -gt 0 ] && [ "$files" = true ] && [ $r -le "$STORM_RUNS" ]; do
		storm fstorm file $r "$FSTORM_N" "default (16M)"
		r=$((r + 1))
	done
fi

sysctl -q -w kernel.bpf_stats_enabled="$old_stats" >/dev/null || :
old_stats=

if [ "$inner" = 1 ]; then
	cat "$R"
	exit 0
fi

# --- the guest: the LSM programs --------------------------------------------

if [ "$novm" = 0 ] && [ -x "$srcdir/t/vm/run" ]; then
	say "the same in the BPF LSM guest, t/vm/run (software emulation: shorter loops)"
	vrc=0
	D4C_VM_SHARE="$tmp/share $builddir $srcdir ${D4C_VM_SHARE:-}" \
		D4C_BENCH_DRIVER="$DRV" D4C_VM_TIMEOUT="${D4C_VM_TIMEOUT:-900}" \
		"$srcdir/t/vm/run" sh "$here/load-cost.sh" --inner "$builddir" >"$tmp/vm.ndjson" || vrc=$?
	if [ "$vrc" -eq 0 ]; then
		jq -c 'select(type == "object" and .section)' "$tmp/vm.ndjson" >>"$R" ||
			say "cannot read the guest's records"
	else
		say "the guest run failed (exit status $vrc): no LSM figures"
		rec "{\"section\": \"vm-error\", \"exit_status\": $vrc}"
	fi
fi

# --- the report --------------------------------------------------------------

mkdir -p "$(dirname "$out")"
jq -s --arg cmd "sh bench/load-cost.sh $builddir" --arg date "$(date -u +%Y-%m-%dT%H:%M:%SZ)" '
	# ns/run of each repetition, in repetition order
	def costs($w; $p; $s; $wl; $prog):
		[.[] | select(.section == "cost" and .where == $w and .policy == $p and .scope == $s
			and .workload == $wl)] | sort_by(.rep)
		| map(.programs[] | select(.name == $prog) | .ns_per_run);
	def median: sort | if length == 0 then null else .[(length - 1) / 2 | floor] end;
	. as $r |
	{command: $cmd, date: $date,
	 systems: [.[] | select(.section == "system")],
	 policies: [.[] | select(.section == "policy" and .where == "host")],
	 cost: [.[] | select(.section == "cost")],
	 runs: [.[] | select(.section == "run")],
	 # medians over the repetitions; ratio_min and ratio_max: of the
	 # ratios of the repetitions taken in the same order
	 ratios: [.[] | select(.section == "cost" and .policy == "limits" and .scope == "host"
			and (.rep // 1) == 1)
		| . as $c | .programs[] | .name as $pn
		| ($r | costs($c.where; "one"; "host"; $c.workload; $pn)) as $one
		| ($r | costs($c.where; "limits"; "host"; $c.workload; $pn)) as $lim
		| [range(0; [($one | length), ($lim | length)] | min)
			| select($one[.] > 0) | $lim[.] / $one[.]] as $rs
		| {where: $c.where, workload: $c.workload, program: $pn, repetitions: ($rs | length),
		   one_ns: ($one | median), limits_ns: ($lim | median),
		   early_exit_ns: ($r | costs($c.where; "limits"; "containers"; $c.workload; $pn) | median),
		   ratio_min: ($rs | min | if . then (. * 100 | round / 100) else null end),
		   ratio_max: ($rs | max | if . then (. * 100 | round / 100) else null end)}
		| . + {ratio: (if .one_ns and .one_ns > 0 then (.limits_ns / .one_ns * 100 | round / 100) else null end)}],
	 storms: [.[] | select(.section == "storm")],
	 memory: ([.[] | select(.section == "memory")][0]),
	 vm_error: ([.[] | select(.section == "vm-error")][0])}' "$R" >"$out"

# Programs shown per workload: those it drives (the JSON has them all).
jq -r '
	def pad($n): tostring | if length < $n then . + (" " * ($n - length)) else . end;
	def lpad($n): tostring | if length < $n then (" " * ($n - length)) + . else . end;
	def shown($wl): if ($wl | startswith("exec")) then
			IN("sched_fork", "sched_exec", "sched_exit", "bprm_check", "task_alloc", "sys_enter", "sys_exit")
		else IN("file_open", "path_mknod", "path_unlink", "sys_enter", "sys_exit",
			"tp_exit_openat", "tp_enter_unlink", "tp_exit_unlink") end;
	def us: if . == null then "-" else (. / 1000 * 10 | round / 10 | tostring) end;
	"",
	"== systems",
	(.systems[] | "\(.where): kernel \(.kernel), \(.cpus) CPUs, BPF LSM usable: \(.probe.bpf_lsm.usable), file events: \(.probe.features.file_events); loops: exec \(.loops.exec), open \(.loops.open), create \(.loops.create)"
		+ (if (.other_d4c_load | length) > 0 then "\n   other d4c-load running meanwhile: \(.other_d4c_load | join("; "))" else "" end)),
	"",
	"== policies",
	(.policies[] | "\(.policy | pad(8)) file \(.file_selectors) selectors + \(.file_responses) responses, process \(.process_selectors) + \(.process_responses); \(.path_entries) path entries, \(.name_entries) names; blob \(.blob_bytes) bytes"),
	"",
	"== 1. in-kernel cost per program run (bpf_stats: run_time_ns / run_cnt over the loop)",
	"   scope host: --host (every process decided); containers: without --host (host processes: early exit)",
	"   policy none: no d4c-load (baseline wall time)",
	"   irqw/it: IRQ work interrupts per iteration (ring buffer wake-ups, among others)",
	"   bpf us/it: all d4c programs'"'"' run time in the window per iteration (others'"'"' processes included)",
	("where policy scope      workload       iters wall us/it bpf us/it irqw/it  program        runs    runs/it   ns/run" ),
	(.cost[] | . as $c |
		"\(.where | pad(5)) \(.policy | pad(6)) \(.scope | pad(10)) \(.workload | pad(14)) \(.iterations | lpad(5)) \(.wall_ns_per_iter | us | lpad(10)) \(.kernel_ns_per_iter | us | lpad(9)) \(.irq_work_interrupts / .iterations * 100 | round / 100 | lpad(7))"
		+ ([.programs[] | select(.name | shown($c.workload))] |
			if length == 0 then "" else
			map("  \(.name | pad(13)) \(.run_cnt | lpad(6)) \((.run_cnt / $c.iterations * 100 | round / 100) | lpad(8)) \(.ns_per_run | lpad(8))")
			| .[0] + (if length > 1 then "\n" + (.[1:] | map((" " * 74) + .) | join("\n")) else "" end) end)),
	"",
	"== ratio limits / one selector (ns/run, --host), and the early exit (limits, without --host)",
	("where workload       program        one ns  limits ns  ratio  [min-max]   early-exit ns"),
	(.ratios[] | . as $x | select($x.program | shown($x.workload)) |
		"\(.where | pad(5)) \(.workload | pad(14)) \(.program | pad(13)) \(.one_ns | lpad(7)) \(.limits_ns | lpad(10)) \(.ratio | lpad(6)) \("[\(.ratio_min)-\(.ratio_max)]" | pad(12)) \(.early_exit_ns // "-" | lpad(14))"),
	"",
	"== runs: d4c-load final metric records and events written",
	(.runs[] | "\(.where | pad(5)) \(.policy | pad(6)) \(.scope | pad(10)) produced \(.metric.produced) delivered \(.metric.delivered) lost \(.metric.lost); events \(.events_by_action | tojson); VmRSS \(.vmrss_kb) kB (anon \(.rss_anon_kb)) VmHWM \(.vmhwm_kb) kB"),
	"",
	(if (.storms | length) > 0 then "== 2. storms, --host (host): exec (default policy), file writes (every modifyFile logged)" else empty end),
	(.storms[] |
		if .kind == "file" then
		"   file-write storm \(.run), ring buffer \(.ringbuf): \(.drivers) drivers at once, \(.iterations) open+write+close, \(.driver_ops_ok) ok in \(.driver_ns / 1e9 * 100 | round / 100) s = \(.ops_per_s) ops/s"
		else
		"   exec storm \(.run // 1), ring buffer \(.ringbuf): \(.drivers) drivers at once, \(.iterations) fork+exec of /bin/true, \(.driver_ops_ok) ok in \(.driver_ns / 1e9 * 100 | round / 100) s = \(.ops_per_s) exec/s" end,
		"     d4c-load: produced \(.metric.produced), delivered \(.metric.delivered), lost \(.metric.lost), written \(.metric.written); produced == delivered + lost: \(.produced_eq_delivered_plus_lost)",
		"     \(.produced_per_s) events/s produced, \(.delivered_per_s) delivered/s (over the drivers'"'"' time); stop + drain \(.stop_and_drain_ms) ms; VmRSS max \(.vmrss_max_kb_sampled) kB",
		"     d4c-load CPU \(.load_cpu_s) s: \(.load_cpu_us_per_event) us per event delivered, \(.load_events_per_cpu_s) events per CPU second",
		if .kind == "file" then
		"     in the output: \(.output_lines) lines (\(.output_bytes / 1048576 | floor) MiB); the drivers'"'"' open events: \(.driver_open_events)"
		else
		"     in the output: \(.output_lines) lines (\(.output_bytes / 1048576 | floor) MiB); the drivers'"'"' children: \(.driver_exec_events) exec, \(.driver_fork_events) fork, \(.driver_end_events) end events; exec events in all: \(.all_exec_events)" end),
	"",
	(if .memory then .memory |
		"== 3. memory, default policy (host)",
		"   d4c-load idle:        VmRSS \(.idle.vmrss_kb) kB, VmHWM \(.idle.vmhwm_kb) kB (RssAnon \(.idle.rss_anon_kb) kB, RssFile \(.idle.rss_file_kb) kB, of which BPF maps mapped: \(.idle.bpf_map_rss_kb) kB)",
		"   d4c-load after storm: VmRSS \(.after_storm.vmrss_kb) kB, VmHWM \(.after_storm.vmhwm_kb) kB (RssAnon \(.after_storm.rss_anon_kb) kB, RssFile \(.after_storm.rss_file_kb) kB, of which BPF maps mapped: \(.after_storm.bpf_map_rss_kb) kB)",
		"   BPF maps (bytes_memlock):",
		(.maps[] | "     \(.name | pad(16)) \(.type | pad(13)) max_entries \(.max_entries | lpad(9))  \(.bytes_memlock | lpad(10)) B  (\(.bytes_memlock / 1024 | round) KiB)"),
		"     total \(.maps_bytes_memlock) B (\(.maps_bytes_memlock / 1048576 * 10 | round / 10) MiB); d4c-named maps \(.d4c_named_maps_bytes_memlock) B; programs \(.progs_bytes_memlock) B",
		""
	else empty end),
	(if .vm_error then "vm: the guest run failed (exit status \(.vm_error.exit_status))" else empty end),
	"JSON: '"$out"'"
' "$out"
