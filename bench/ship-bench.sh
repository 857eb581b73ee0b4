#!/bin/sh
# ship-bench.sh - how fast d4c-ship delivers, and what the spool costs.
#
#   sh bench/ship-bench.sh [ABS_TOP_BUILDDIR [N]]     (N events, default 1000000)
#
# Generates N events of about 1.1 KB shaped like d4c-load's
# (bench/ship-gen.py), then times d4c-ship on them:
#   file        --file to a file on the build directory's disk
#   es          --es to t/doubles/es-double/esd.py, the Elasticsearch TEST DOUBLE
#   es+spool    the same with --spool (fsync every second, the default)
#   es+faults   --es to a struggling double: 20% of items answered 429 and
#               10% of requests 503 (default backoff); its events/s is then
#               given as a share of the fault-free es row's (goal: >= 70%)
# and prints, per run: wall time, events/s, d4c-ship's CPU time (user+sys)
# and events per CPU second, and peak RSS (/usr/bin/time -v's "Maximum
# resident set size"). The double is a Python process on the same machine:
# the es rows' events/s are bounded by it, so compare their CPU columns to
# see what d4c-ship itself costs, and what the spool adds.
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here}
n=${2:-1000000}
ship=$build/cmd/d4c-ship
[ -x "$ship" ] || { echo "ship-bench.sh: $ship not built" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "ship-bench.sh: /usr/bin/time missing (apt-get install time)" >&2; exit 2; }
tmp=$(mktemp -d "${TMPDIR:-/var/tmp}/ship-bench.XXXXXX")
esd_pid=
cleanup() {
	[ -z "$esd_pid" ] || kill "$esd_pid" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

/usr/bin/python3 "$here/bench/ship-gen.py" "$n" >"$tmp/events"
bytes=$(wc -c <"$tmp/events")

/usr/bin/python3 "$here/t/doubles/es-double/esd.py" --port-file "$tmp/port" >"$tmp/esd.log" 2>&1 &
esd_pid=$!
for _ in $(seq 1 100); do [ -s "$tmp/port" ] && break; sleep 0.1; done
url=http://127.0.0.1:$(cat "$tmp/port")

printf '%d events, %d bytes (%.0f bytes/event); %s\n' "$n" "$bytes" "$((bytes / n))" "$(nproc) CPUs"
printf '%-10s %9s %10s %9s %12s %9s\n' run wall_s events/s cpu_s events/cpu_s rss_MB
run() {
	name=$1
	shift
	cat "$tmp/events" >/dev/null # the input in the page cache for every run alike
	/usr/bin/time -f '%e %U %S %M' -o "$tmp/time" "$@" <"$tmp/events" >/dev/null 2>"$tmp/err" || {
		echo "ship-bench.sh: $name failed:" >&2
		cat "$tmp/err" >&2
		exit 1
	}
	read -r wall user sys rss <"$tmp/time"
	echo "$wall" >"$tmp/wall.$name"
	awk -v name="$name" -v n="$n" -v w="$wall" -v u="$user" -v s="$sys" -v r="$rss" 'BEGIN {
		cpu = u + s; if (w <= 0) w = 0.01; if (cpu <= 0) cpu = 0.01
		printf "%-10s %9.2f %10.0f %9.2f %12.0f %9.1f\n", name, w, n / w, cpu, n / cpu, r / 1024
	}'
}

run file "$ship" --file "$tmp/out" --file-max-bytes 0 --metrics-interval 0
rm -f "$tmp/out"
run es "$ship" --es "$url" --namespace bench1 --batch-events 5000 --metrics-interval 0
run es+spool "$ship" --es "$url" --namespace bench2 --batch-events 5000 --metrics-interval 0 \
	--spool "$tmp/spool"
curl -sS -X POST "$url/_d4c/faults" -d '{"item_429_rate":0.2,"request_503_rate":0.1}' >/dev/null
run es+faults "$ship" --es "$url" --namespace bench3 --batch-events 5000 --metrics-interval 0
curl -sS -X POST "$url/_d4c/faults" -d '{"item_429_rate":0,"request_503_rate":0}' >/dev/null
for ns in bench1 bench3; do
	got=$(curl -sS "$url/_d4c/stats" | jq "[.docs[\"logs-cloud_defend.process-$ns\"], .docs[\"logs-cloud_defend.file-$ns\"], .docs[\"logs-cloud_defend.alerts-$ns\"]] | add")
	[ "$got" -eq "$n" ] || { echo "ship-bench.sh: the double holds $got documents of $ns, not $n" >&2; exit 1; }
done
awk -v a="$(cat "$tmp/wall.es")" -v b="$(cat "$tmp/wall.es+faults")" \
	'BEGIN { printf "es+faults delivers %.0f%% of the fault-free es rate\n", 100 * a / b }'
echo "commands: d4c-ship --file F | --es URL --batch-events 5000 [--spool DIR] < events"
