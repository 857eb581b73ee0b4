# Shared by every bats test in t/: bats-support and bats-assert, the
# programs under test on PATH, and a scratch directory $T per test.
# (Other helpers may add functions below; keep common_setup and setup.)

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'

if [ -z "${top_srcdir:-}" ]; then # the directory with configure.ac above the test
	top_srcdir=$BATS_TEST_DIRNAME
	while [ ! -f "$top_srcdir/configure.ac" ] && [ "$top_srcdir" != / ]; do
		top_srcdir=$(dirname "$top_srcdir")
	done
fi
: "${top_builddir:=$top_srcdir}"
export top_srcdir top_builddir
PATH="$top_builddir/cmd:$PATH"

common_setup() {
	T="$BATS_TEST_TMPDIR"
}

# Tests that need more set-up define their own setup() and call common_setup.
setup() {
	common_setup
}

# Fails unless $output (as left by `run`) is exactly one line.
assert_one_line() {
	if [ "${#lines[@]}" -ne 1 ]; then
		fail "expected exactly one line of output, got ${#lines[@]}:
$output"
	fi
}

# d4c-load runs need root and a kernel with BTF; say why when they cannot.
require_bpf() {
	[ "$(id -u)" -eq 0 ] || skip "d4c-load needs root"
	[ -r /sys/kernel/btf/vmlinux ] || skip "the kernel has no BTF"
}

# Compiles policy text (stdin) into $T/policy.d4cp, mode 0600.
compile_policy() {
	cat >"$T/policy.yaml"
	d4c-policy compile -o "$T/policy.d4cp" "$T/policy.yaml"
	chmod 600 "$T/policy.d4cp"
}

# Starts d4c-load with ARGS in the background (events in $T/events.json,
# messages in $T/load.err) and returns once its programs are attached.
load_start() {
	d4c-load "$@" >"$T/events.json" 2>"$T/load.err" &
	LOAD_PID=$!
	wait_started "$LOAD_PID" "$T/load.err" 'in force' d4c-load
}

# Waits (at most 90 s, or D4C_START_TIMEOUT: loading the programs under
# the guest's software emulation, beside other suites, takes tens of
# seconds, and minutes for 5.10's verifier with bounded loops) until
# background process PID has written PATTERN to its stderr in FILE;
# fails, showing FILE, if NAME exits first.
wait_started() {
	local n=$((${D4C_START_TIMEOUT:-90} * 10))
	for _ in $(seq 1 "$n"); do
		grep -q "$3" "$2" && return 0
		if ! kill -0 "$1" 2>/dev/null; then
			cat "$2" >&2
			return 1
		fi
		sleep 0.1
	done
	echo "$4 did not start in ${D4C_START_TIMEOUT:-90} s" >&2
	return 1
}

# Waits (polling every 0.1 s, at most -t SECONDS, 30 by default) until
# COMMAND... succeeds: the condition a step of a test waits for, never a
# guess of how long the step takes. Fails the test, naming COMMAND, when
# the condition never comes.
wait_for() {
	local secs=30 end
	if [ "$1" = -t ]; then
		secs=$2
		shift 2
	fi
	end=$((SECONDS + secs))
	until "$@"; do
		if [ "$SECONDS" -ge "$end" ]; then
			fail "waited ${secs} s in vain for: $*"
			return 1
		fi
		sleep 0.1
	done
}

# json_any FILE FILTER [JQ-OPTION...]: true when some line of the NDJSON
# FILE satisfies FILTER. Not `jq -e 'select(FILTER)' FILE`: jq 1.6 takes
# -e's status from the last line alone, so that is false whenever a line
# that is no match (a metric record) follows the match.
json_any() {
	local file=$1 filter=$2
	shift 2
	jq -n -e "$@" "any(inputs; $filter)" "$file" >/dev/null 2>&1
}

# Stops it as a user would (Ctrl-C); its exit status is in $LOAD_RC.
# Nothing to wait for before: d4c-load detaches its programs, then reads
# what the kernel still holds, so every event of what happened before the
# Ctrl-C is in $T/events.json once it has exited.
load_stop() {
	kill -INT "$LOAD_PID"
	LOAD_RC=0
	wait "$LOAD_PID" || LOAD_RC=$?
}

# The events (not metric records) that jq filter $1 selects, one per line.
events() {
	jq -c "select(.event.kind != \"metric\") | select($1)" "$T/events.json"
}

# Runs COMMAND... reading a pipe that is given one JSON line and kept
# open, and prints its capability sets and NoNewPrivs (from /proc, blanks
# squeezed) once it has set no_new_privs, the last step of its dropping
# what it does not need; then closes the pipe and waits for it.
capabilities_of() {
	local pid
	mkfifo "$T/caps.in"
	"$@" <"$T/caps.in" >/dev/null 2>"$T/caps.err" &
	pid=$!
	exec 7>"$T/caps.in"
	echo '{"event":{"kind":"event"}}' >&7
	for _ in $(seq 1 50); do
		grep -q '^NoNewPrivs:.*1' "/proc/$pid/status" && break
		sleep 0.1
	done
	grep -E '^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs):' "/proc/$pid/status" |
		tr -s ' \t' ' '
	exec 7>&-
	wait "$pid"
}

# The lines capabilities_of prints for a process holding the capability
# mask $1 (16 hex digits) in its permitted, effective and bounding sets.
capability_lines() {
	printf '%s\n' 'CapInh: 0000000000000000' "CapPrm: $1" "CapEff: $1" "CapBnd: $1" \
		'CapAmb: 0000000000000000' 'NoNewPrivs: 1'
}

# Starts the Elasticsearch test double (t/doubles/es-double/esd.py) with ARGS in
# the background, as $ESD_PID, and sets URL once it listens.
esd_start() {
	rm -f "$T/esd.port"
	/usr/bin/python3 "$top_srcdir/t/doubles/es-double/esd.py" --port-file "$T/esd.port" "$@" \
		>"$T/esd.log" 2>&1 &
	ESD_PID=$!
	for _ in $(seq 1 100); do
		[ -s "$T/esd.port" ] && break
		sleep 0.1
	done
	[ -s "$T/esd.port" ] || { cat "$T/esd.log" >&2; return 1; }
	URL="${ESD_SCHEME:-http}://127.0.0.1:$(cat "$T/esd.port")"
}
