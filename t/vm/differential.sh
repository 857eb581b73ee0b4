#!/bin/bash
# The kernel against the reference matcher, in the BPF LSM guest: a
# policy and 1000+ operations are generated from a seed, the operations
# are done for real under d4c-load, and what the kernel decided for each
# (its actions and matched selectors, or no event at all) is written as a
# `d4c-policy test` case. The reference matcher then checks every case:
# the TAP output is d4c-policy test's, one test per operation.
#
#   t/vm/run bash t/vm/differential.sh [SEED] [NFILE] [NEXEC]
#
# Operations: create, write to and delete files in a small tree, and exec
# binaries of assorted names and paths; and other ways to make the same
# changes, which the kernel must decide the same: a symlink or a FIFO is
# a created file, a file moved in from outside the tree too, and a
# program run through a symlink of its own name is the program. Selectors draw their paths
# (exact, /*, /**), operations and names (exact, trailing '*') from the
# same vocabulary, so that matches, misses and excludes all happen.
set -eu
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
PATH="$top_builddir/cmd:$PATH"
seed=${1:-4242}
nfile=${2:-840}
nexec=${3:-200}
RANDOM=$seed

D=$(mktemp -d /tmp/d4cdiff.XXXXXX)
W=$D/w # the tree the operations touch
mkdir -p "$W/bin"
dirs=()
for a in a b c; do
	for x in x y z; do
		mkdir -p "$W/$a/$x"
		dirs+=("$W/$a/$x")
	done
done
names=(sh bash busybox curl nginx nc python3 ls cat wget)
for n in "${names[@]}"; do cp /bin/true "$W/bin/$n"; done
mkdir -p "$W/c/x/sbin"
cp /bin/true "$W/c/x/sbin/nginx"

pick() { # one of the arguments
	local a=("$@")
	printf '%s' "${a[RANDOM % ${#a[@]}]}"
}

# The operations, decided first so that the policy can name their paths.
ops=()   # "create|modify|delete PATH" or "exec PATH"
for i in $(seq 1 "$nfile"); do
	d=$(pick "${dirs[@]}")
	ops+=("$(pick create modify delete create modify delete symlink fifo movein) $d/f$i")
done
for i in $(seq 1 "$nexec"); do
	ops+=("$(pick exec exec execlink) $(pick "$W/bin/$(pick "${names[@]}")" "$W/bin/$(pick "${names[@]}")" "$W/c/x/sbin/nginx")")
done

fpaths=("$W/a/*" "$W/a/x/*" "$W/b/**" "$W/**" "$W/c/y/**" "$W/c/**" "$W/a/y/*" "$W/b/z/*")
for i in 1 2 3 4 5 6; do # a few exact paths of real operations
	op=${ops[RANDOM % nfile]}
	fpaths+=("${op#* }")
done
ppaths=("$W/bin/*" "$W/bin/curl" "$W/**" "$W/c/**" "$W/bin/nginx" "$W/c/x/sbin/*")
pnames=(sh 'b*' busybox curl 'ng*' nc 'py*' ls 'c*' wget '*')

list() { # N items of the arguments, as a flow list
	local n=$1 out='' i
	shift
	for i in $(seq 1 "$n"); do
		out="$out${out:+, }'$(pick "$@")'"
	done
	printf '[%s]' "$out"
}

{
	echo "file:"
	echo "  selectors:"
	for s in $(seq 0 11); do
		echo "    - name: f$s"
		if [ $((RANDOM % 10)) -lt 7 ]; then
			echo "      operation: $(list $((1 + RANDOM % 2)) createFile modifyFile deleteFile)"
			[ $((RANDOM % 10)) -lt 8 ] && echo "      targetFilePath: $(list $((1 + RANDOM % 3)) "${fpaths[@]}")"
		else
			echo "      targetFilePath: $(list $((1 + RANDOM % 3)) "${fpaths[@]}")"
		fi
	done
	echo "  responses:"
	for r in $(seq 0 5); do
		echo "    - match: [f$((RANDOM % 12)), f$((RANDOM % 12))]"
		[ $((RANDOM % 10)) -lt 3 ] && echo "      exclude: [f$((RANDOM % 12))]"
		echo "      actions: $(pick '[log]' '[alert]' '[log, alert]')"
	done
	echo "process:"
	echo "  selectors:"
	for s in $(seq 0 7); do
		echo "    - name: p$s"
		echo "      operation: [exec]"
		if [ $((RANDOM % 2)) -eq 0 ]; then
			echo "      processName: $(list $((1 + RANDOM % 2)) "${pnames[@]}")"
		else
			echo "      processExecutable: $(list $((1 + RANDOM % 2)) "${ppaths[@]}")"
		fi
	done
	echo "  responses:"
	for r in $(seq 0 3); do
		echo "    - match: [p$((RANDOM % 8)), p$((RANDOM % 8))]"
		[ $((RANDOM % 10)) -lt 3 ] && echo "      exclude: [p$((RANDOM % 8))]"
		echo "      actions: $(pick '[log]' '[alert]' '[log, alert]')"
	done
} >"$D/policy.yaml"
# responses that name a selector twice are fine; unused selectors only warn
d4c-policy compile -o "$D/policy.d4cp" "$D/policy.yaml" 2>"$D/compile.err" || {
	echo "Bail out! generated policy does not compile (seed $seed):"
	sed 's/^/# /' "$D/compile.err" "$D/policy.yaml"
	exit 1
}
chmod 600 "$D/policy.d4cp"

# Files to modify and delete exist before d4c-load starts.
mkdir -p "$D/outside" "$D/alt"
for op in "${ops[@]}"; do
	case $op in
	modify* | delete*) echo original >"${op#* }" ;;
	movein*) echo moved >"$D/outside/${op##*/}" ;;
	execlink*) ln -sf "${op#* }" "$D/alt/${op##*/}" ;;
	esac
done

d4c-load --host "$D/policy.d4cp" >"$D/events.json" 2>"$D/load.err" &
load=$!
for _ in $(seq 1 600); do
	grep -q 'in force' "$D/load.err" && break
	kill -0 "$load" 2>/dev/null || { echo "Bail out! d4c-load: $(cat "$D/load.err")"; exit 1; }
	sleep 0.1
done
for op in "${ops[@]}"; do
	p=${op#* }
	case $op in
	create*) : >"$p" ;;
	modify*) echo more >>"$p" ;;
	delete*) rm -f "$p" ;;
	symlink*) ln -s /etc/hostname "$p" ;;
	fifo*) mkfifo "$p" ;;
	movein*) mv "$D/outside/${p##*/}" "$p" ;;
	execlink*) "$D/alt/${p##*/}" ;;
	exec*) "$p" ;;
	esac
done 2>/dev/null || true
kill -INT "$load"
wait "$load" || { echo "Bail out! d4c-load failed: $(cat "$D/load.err")"; exit 1; }

# What the kernel decided, per path and kind: actions and selectors.
jq -c 'select(.event.kind != "metric") |
	{k: (if .file then "f" + .file.path else "x" + (.process.executable // "") end),
	 a: .cloud_defend.actions, s: .cloud_defend.matched_selectors}' \
	"$D/events.json" | jq -s -c 'group_by(.k) | map({key: .[0].k, value: .[0]}) | from_entries' \
	>"$D/seen.json"

for op in "${ops[@]}"; do
	p=${op#* }
	case $op in
	create* | symlink* | fifo* | movein*) echo "file createFile f$p" ;;
	modify*) echo "file modifyFile f$p" ;;
	delete*) echo "file deleteFile f$p" ;;
	exec* | execlink*) echo "process exec x$p" ;;
	esac
done | jq -R -c --slurpfile seen "$D/seen.json" '
	split(" ") as [$type, $op, $key] |
	# without an event, the kernel says nothing of the selectors
	($seen[0][$key] // {a: []}) as $k |
	{type: $type, operation: $op, actions: $k.a} + (if $k.s then {selectors: $k.s} else {} end) +
	(if $type == "file" then {targetFilePath: $key[1:]}
	 else {processExecutable: $key[1:], processName: ($key | split("/") | last), interactive: false} end)' \
	>"$D/cases.ndjson"

echo "# seed $seed: $(grep -c . "$D/cases.ndjson") operations, $(grep -vc '"actions":\[\]' "$D/cases.ndjson") with an event"
d4c-policy test "$D/policy.yaml" "$D/cases.ndjson"
