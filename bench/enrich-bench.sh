#!/bin/sh
# What d4c-enrich sustains on one core, and what the same transform costs
# in jq, measured in the same run. Prints figures; asserts nothing but
# that every event came out with its full context.
#
#   sh bench/enrich-bench.sh [BUILDDIR]
#
# Environment: EVENTS (default 1000000) events in the file, CONTAINERS
# (default 64), JQ_EVENTS (default 100000: jq runs at about 10,000
# events/s, so it gets the first JQ_EVENTS lines of the same file; set it
# to EVENTS for the whole file), RUNS (default 3: the best of RUNS
# d4c-enrich runs is reported, the machines are shared), KEEP=1 keeps the
# files.
#
# 1. bench/enrich-gen.py turns the real d4c-load lines recorded in
#    bench/enrich-sample.ndjson (exec, fork, end in a runc container) into
#    EVENTS lines over CONTAINERS containers of a made-up Kubernetes node,
#    whose containerd bundles it writes below a temporary --root: pids,
#    starts, entity ids, timestamps and container ids vary, pids are
#    reused, every ancestor appears in the stream before it is named.
# 2. d4c-enrich --root ROOT --no-kubelet --metrics-interval 0 reads the
#    file and writes to /dev/null, pinned to one CPU (taskset) when there
#    is more than one: wall and CPU time, events/s of each, peak RSS
#    (VmHWM, from /usr/bin/time). A separate run checks that its last
#    record counts every event as fully enriched.
# 3. jq -c with the same context (containers, orchestrator, host, agent.id,
#    event.ingested, the four ancestors from a table) on JQ_EVENTS lines.
set -eu

build=$(cd "${1:-.}" && pwd)
src=$(cd "$(dirname "$0")/.." && pwd)
enrich=$build/cmd/d4c-enrich
EVENTS=${EVENTS:-1000000}
CONTAINERS=${CONTAINERS:-64}
JQ_EVENTS=${JQ_EVENTS:-100000}
RUNS=${RUNS:-3}
[ -x "$enrich" ] || { echo "enrich-bench: $enrich is not built" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "enrich-bench: needs /usr/bin/time (Debian package time)" >&2; exit 2; }
command -v jq >/dev/null || { echo "enrich-bench: needs jq" >&2; exit 2; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/enrich-bench.XXXXXX")
[ -n "${KEEP:-}" ] || trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/root"
pin=
if command -v taskset >/dev/null && [ "$(nproc)" -gt 1 ]; then
	pin="taskset -c 1"
fi

echo "enrich-bench: generating $EVENTS events over $CONTAINERS containers in $tmp"
/usr/bin/python3 "$src/bench/enrich-gen.py" "$src/bench/enrich-sample.ndjson" "$EVENTS" \
	"$CONTAINERS" "$tmp/root" "$tmp/events.ndjson" "$tmp/context.json"
bytes=$(wc -c <"$tmp/events.ndjson")
echo "enrich-bench: $EVENTS events, $bytes bytes ($((bytes / EVENTS)) bytes per event on average)"
cat "$tmp/events.ndjson" >/dev/null # in the page cache for every run

# the output is right: every event fully enriched
"$enrich" --root "$tmp/root" --no-kubelet --metrics-interval 0 <"$tmp/events.ndjson" |
	tail -n 1 >"$tmp/last.json"
full=$(jq .d4c.enriched.full "$tmp/last.json")
if [ "$full" -ne "$EVENTS" ]; then
	echo "enrich-bench: only $full of $EVENTS events fully enriched: $(cat "$tmp/last.json")" >&2
	exit 1
fi
echo "enrich-bench: check: $full of $EVENTS events fully enriched (container, orchestrator, host, 4 ancestors)"

# measure: wall, user, sys seconds and max RSS in KiB
measure() { # OUTFILE COMMAND...
	out=$1
	shift
	/usr/bin/time -f '%e %U %S %M' -o "$out" "$@" >/dev/null
}

rate() { # EVENTS SECONDS
	awk -v n="$1" -v s="$2" 'BEGIN { if (s > 0) printf "%.0f", n / s; else print "inf" }'
}

best_wall= best=
i=0
while [ $i -lt "$RUNS" ]; do
	i=$((i + 1))
	# shellcheck disable=SC2086
	measure "$tmp/t-enrich" $pin "$enrich" --root "$tmp/root" --no-kubelet --metrics-interval 0 \
		<"$tmp/events.ndjson"
	read -r wall user sys rss <"$tmp/t-enrich"
	echo "enrich-bench: d4c-enrich run $i: ${wall} s wall, ${user} s user, ${sys} s sys, peak RSS ${rss} KiB"
	if [ -z "$best_wall" ] || awk -v a="$wall" -v b="$best_wall" 'BEGIN { exit !(a < b) }'; then
		best_wall=$wall best="$wall $user $sys $rss"
	fi
done
set -- $best
cpu=$(awk -v u="$2" -v s="$3" 'BEGIN { print u + s }')
e_rate=$(rate "$EVENTS" "$1")
e_cpu=$(rate "$EVENTS" "$cpu")
e_mb=$(awk -v b="$bytes" -v s="$1" 'BEGIN { printf "%.0f", b / s / 1e6 }')
e_rss=$4

head -n "$JQ_EVENTS" "$tmp/events.ndjson" >"$tmp/jq-events.ndjson"
# shellcheck disable=SC2016
measure "$tmp/t-jq" $pin jq -c --slurpfile ctx "$tmp/context.json" '
	$ctx[0] as $c
	| .agent.id = $c.agent_id
	| .event.ingested = (now | todate)
	| .host = $c.host
	| if (.container.id | type) == "string" then
		$c.containers[.container.id] as $k
		| .container = $k.container | .orchestrator = $k.orchestrator
	  else . end
	| reduce ("parent", "group_leader", "session_leader", "entry_leader") as $a (.;
		if .process[$a].pid then
			.process[$a] += ($c.procs[.process[$a].pid | tostring] // {})
		else . end)' "$tmp/jq-events.ndjson"
read -r jwall juser jsys jrss <"$tmp/t-jq"
jcpu=$(awk -v u="$juser" -v s="$jsys" 'BEGIN { print u + s }')

echo "---"
echo "d4c-enrich: $EVENTS events in $1 s: $e_rate events/s wall ($e_mb MB/s), $e_cpu events/s of CPU time, peak RSS $e_rss KiB (best of $RUNS${pin:+, $pin})"
echo "jq -c:      $JQ_EVENTS events in $jwall s: $(rate "$JQ_EVENTS" "$jwall") events/s wall, $(rate "$JQ_EVENTS" "$jcpu") events/s of CPU time, peak RSS $jrss KiB"
echo "target:     200000 events/s on one core: $(awk -v r="$e_rate" 'BEGIN { print (r >= 200000) ? "met" : "MISSED" }') (wall)"
