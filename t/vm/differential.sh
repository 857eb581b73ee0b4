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
# a created file, a file moved in from outside the tree too (and a
# deletion at its old name, in the same event), and a program run
# through a symlink of its own name is the program. Selectors draw their paths
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

# The seed must name one policy and one list of operations: RANDOM is only
# drawn in this shell, never in a command substitution, whose subshell
# bash 5.1 and later seeds afresh. Results are left in REPLY.
pick() { # one of the arguments
	local a=("$@")
	REPLY=${a[RANDOM % ${#a[@]}]}
}

# The operations, decided first so that the policy can name their paths.
ops=()   # "create|modify|delete PATH" or "exec PATH"
for i in $(seq 1 "$nfile"); do
	pick "${dirs[@]}"
	d=$REPLY
	pick create modify delete create modify delete symlink fifo movein
	ops+=("$REPLY $d/f$i")
done
for i in $(seq 1 "$nexec"); do
	pick exec exec execlink
	kind=$REPLY
	pick "${names[@]}"
	a=$REPLY
	pick "${names[@]}"
	b=$REPLY
	pick "$W/bin/$a" "$W/bin/$b" "$W/c/x/sbin/nginx"
	ops+=("$kind $REPLY")
done

# and where files are moved in from, whose deletion a rename also is
fpaths=("$W/a/*" "$W/a/x/*" "$W/b/**" "$W/**" "$W/c/y/**" "$W/c/**" "$W/a/y/*" "$W/b/z/*"
	"$D/outside/*")
for i in 1 2 3 4 5 6; do # a few exact paths of real operations
	op=${ops[RANDOM % nfile]}
	fpaths+=("${op#* }")
done
ppaths=("$W/bin/*" "$W/bin/curl" "$W/**" "$W/c/**" "$W/bin/nginx" "$W/c/x/sbin/*")
pnames=(sh 'b*' busybox curl 'ng*' nc 'py*' ls 'c*' wget '*')

list() { # 1 to MAX items of the arguments, as a flow list
	local n=$((1 + RANDOM % $1)) out='' i
	shift
	for ((i = 0; i < n; i++)); do
		pick "$@"
		out="$out${out:+, }'$REPLY'"
	done
	REPLY="[$out]"
}

{
	echo "file:"
	echo "  selectors:"
	for s in $(seq 0 11); do
		echo "    - name: f$s"
		if [ $((RANDOM % 10)) -lt 7 ]; then
			list 2 createFile modifyFile deleteFile
			echo "      operation: $REPLY"
			# (a file moved in is also deleted at its old path: its case
			# names both, renamedFrom, as its one event does)
			if [ $((RANDOM % 10)) -lt 8 ]; then
				list 3 "${fpaths[@]}"
				echo "      targetFilePath: $REPLY"
			fi
		else
			list 3 "${fpaths[@]}"
			echo "      targetFilePath: $REPLY"
		fi
	done
	echo "  responses:"
	for r in $(seq 0 5); do
		echo "    - match: [f$((RANDOM % 12)), f$((RANDOM % 12))]"
		[ $((RANDOM % 10)) -lt 3 ] && echo "      exclude: [f$((RANDOM % 12))]"
		pick '[log]' '[alert]' '[log, alert]'
		echo "      actions: $REPLY"
	done
	echo "process:"
	echo "  selectors:"
	for s in $(seq 0 7); do
		echo "    - name: p$s"
		echo "      operation: [exec]"
		if [ $((RANDOM % 2)) -eq 0 ]; then
			list 2 "${pnames[@]}"
			echo "      processName: $REPLY"
		else
			list 2 "${ppaths[@]}"
			echo "      processExecutable: $REPLY"
		fi
	done
	echo "  responses:"
	for r in $(seq 0 3); do
		echo "    - match: [p$((RANDOM % 8)), p$((RANDOM % 8))]"
		[ $((RANDOM % 10)) -lt 3 ] && echo "      exclude: [p$((RANDOM % 8))]"
		pick '[log]' '[alert]' '[log, alert]'
		echo "      actions: $REPLY"
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
	execlink*) # a link of the program's own name, one per program: bin/nginx
		# and c/x/sbin/nginx must not share one
		p=${op#* }
		mkdir -p "$D/alt${p%/*}"
		ln -sf "$p" "$D/alt$p" ;;
	esac
done

d4c-load --host "$D/policy.d4cp" >"$D/events.json" 2>"$D/load.err" &
load=$!
# 5.10's verifier takes minutes under software emulation (D4C_START_TIMEOUT)
for _ in $(seq 1 $((${D4C_START_TIMEOUT:-60} * 10))); do
	grep -q 'in force' "$D/load.err" && break
	kill -0 "$load" 2>/dev/null || { echo "Bail out! d4c-load: $(cat "$D/load.err")"; exit 1; }
	sleep 0.1
done
grep -q 'in force' "$D/load.err" ||
	{ echo "Bail out! d4c-load did not start in ${D4C_START_TIMEOUT:-60} s"; exit 1; }
# The policy only logs and alerts: an operation that fails here (a fork
# refused in a guest short of memory, say) was not done, and the kernel
# had nothing to decide. Such operations are named, not made cases.
: >"$D/failed"
for op in "${ops[@]}"; do
	p=${op#* }
	case $op in
	create*) : >"$p" ;;
	modify*) echo more >>"$p" ;;
	delete*) rm -f "$p" ;;
	symlink*) ln -s /etc/hostname "$p" ;;
	fifo*) mkfifo "$p" ;;
	movein*) mv "$D/outside/${p##*/}" "$p" ;;
	execlink*) "$D/alt$p" ;;
	exec*) "$p" ;;
	esac 2>>"$D/ops.err" || echo "$op (status $?)" >>"$D/failed"
done
kill -INT "$load"
wait "$load" || { echo "Bail out! d4c-load failed: $(cat "$D/load.err")"; exit 1; }
# events the ring buffer dropped would show as cases without an event
jq -r 'select(.d4c.stage == "d4c-load" and .d4c.final)
	| "# d4c-load: \(.d4c.produced) records produced, \(.d4c.lost) lost"' "$D/events.json"
sed 's/^/# not a case, failed here: /' "$D/failed"
[ ! -s "$D/failed" ] || sed 's/^/#   /' "$D/ops.err" | head -n 5

# What the kernel decided, per path and kind: actions and selectors (by
# event.category: an exec alert has the executed file's file.* too; an
# end event names the selectors that decided its process, not a decision).
jq -c 'select(.event.kind != "metric" and .event.action != "end") |
	{k: (if (.event.category | index("file")) then "f" + .file.path
	     else "x" + (.process.executable // "") end),
	 a: .cloud_defend.actions, s: .cloud_defend.matched_selectors}' \
	"$D/events.json" | jq -s -c 'group_by(.k) | map({key: .[0].k, value: .[0]}) | from_entries' \
	>"$D/seen.json"

for op in "${ops[@]}"; do
	p=${op#* }
	! grep -qF -- "$op (status " "$D/failed" || continue
	case $op in
	create* | symlink* | fifo*) echo "file createFile f$p" ;;
	movein*) echo "file createFile f$p $D/outside/${p##*/}" ;;
	modify*) echo "file modifyFile f$p" ;;
	delete*) echo "file deleteFile f$p" ;;
	exec* | execlink*) echo "process exec x$p" ;;
	esac
done | jq -R -c --slurpfile seen "$D/seen.json" '
	split(" ") as [$type, $op, $key, $from] |
	# without an event, the kernel says nothing of the selectors
	($seen[0][$key] // {a: []}) as $k |
	{type: $type, operation: $op, actions: $k.a} + (if $k.s then {selectors: $k.s} else {} end) +
	(if $from then {renamedFrom: $from} else {} end) +
	(if $type == "file" then {targetFilePath: $key[1:]}
	 else {processExecutable: $key[1:], processName: ($key | split("/") | last), interactive: false} end)' \
	>"$D/cases.ndjson"

echo "# seed $seed: $(grep -c . "$D/cases.ndjson") operations, $(grep -vc '"actions":\[\]' "$D/cases.ndjson") with an event"
# the files stay for a look when a case failed
st=0
d4c-policy test "$D/policy.yaml" "$D/cases.ndjson" || st=$?
[ "$st" -ne 0 ] || rm -rf "$D"
exit "$st"
