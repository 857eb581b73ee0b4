#!/usr/bin/env bats
# contrib/systemd: d4c.service and the d4c-pipeline script it runs (the
# Kubernetes DaemonSet runs the same script). systemd is not PID 1 here:
# the unit is checked by systemd-analyze (verify, and security --offline),
# its capability set given to a real d4c-load, and the script run with the
# real d4c-policy and d4c-load and stand-ins for d4c-enrich and d4c-ship
# (being written in other branches) that record what they are given.

load helpers

bats_require_minimum_version 1.5.0

UNIT=contrib/systemd/d4c.service

setup() {
	common_setup
	[ -f "$top_builddir/$UNIT" ] || fail "$UNIT is not built (make)"
	PIPELINE="$top_builddir/contrib/systemd/d4c-pipeline"
	# The programs the script runs: the real d4c-policy and d4c-load, and
	# stand-ins for d4c-enrich (copies its input) and d4c-ship (keeps its
	# input in ship.out; SHIP_FAIL=N makes it exit N after one line).
	mkdir -p "$T/bin" "$T/run" "$T/state"
	ln -s "$(type -P d4c-policy)" "$T/bin/d4c-policy"
	ln -s "$(type -P d4c-load)" "$T/bin/d4c-load"
	cat >"$T/bin/d4c-enrich" <<-EOF
	#!/bin/sh
	echo "\$*" >"$T/enrich.args"
	exec cat
	EOF
	cat >"$T/bin/d4c-ship" <<-EOF
	#!/bin/sh
	printf '%s\n' "\$@" >"$T/ship.args"
	if [ -n "\${SHIP_FAIL:-}" ]; then
		head -n 1 >"$T/ship.out"
		exit "\$SHIP_FAIL"
	fi
	exec cat >"$T/ship.out"
	EOF
	chmod +x "$T/bin/d4c-enrich" "$T/bin/d4c-ship"
	echo 'id1:s3cret' >"$T/es-credentials"
	cp "$top_srcdir/share/policies/default.yaml" "$T/policy.yaml"
	export D4C_BINDIR="$T/bin" D4C_POLICY="$T/policy.yaml" D4C_RUN_DIR="$T/run"
	export D4C_ES_URL=https://es.example:9200 D4C_ES_CREDENTIALS="$T/es-credentials"
	export STATE_DIRECTORY="$T/state"
	# not pinned, but where the test says: the machine keeps no programs
	export D4C_PIN_DIR=
}

teardown() {
	[ -z "${PIPE_PID:-}" ] || kill -TERM "$PIPE_PID" 2>/dev/null || true
}

# The value(s) of KEY in the built unit, one per line.
unit_key() {
	sed -n "s/^$1=//p" "$top_builddir/$UNIT"
}

# Starts d4c-pipeline in the background (stderr in $T/pipeline.err) and
# returns once d4c-load says its policy is in force.
pipeline_start() {
	"$PIPELINE" 2>"$T/pipeline.err" &
	PIPE_PID=$!
	for _ in $(seq 1 300); do
		grep -q 'in force' "$T/pipeline.err" && return 0
		kill -0 "$PIPE_PID" 2>/dev/null || { cat "$T/pipeline.err" >&2; return 1; }
		sleep 0.1
	done
	echo "d4c-pipeline did not start in 30 s" >&2
	return 1
}

# Waits for d4c-pipeline to exit; its status in $PIPE_RC.
pipeline_wait() {
	PIPE_RC=0
	wait "$PIPE_PID" || PIPE_RC=$?
	PIPE_PID=
}

# --- The unit ---------------------------------------------------------------

@test "the built unit and script carry the installation paths" {
	run grep -n '@[a-z]*@' "$top_builddir/$UNIT" "$PIPELINE"
	assert_failure 1
	libexec=$(env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$top_builddir" --no-print-directory --eval 'print-%: ; @echo $($*)' print-pkglibexecdir)
	bindir=$(env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$top_builddir" --no-print-directory --eval 'print-%: ; @echo $($*)' print-bindir)
	assert_equal "$(unit_key ExecStart)" "$libexec/d4c-pipeline"
	run grep -c "^bindir=\${D4C_BINDIR:-$bindir}\$" "$PIPELINE"
	assert_output 1
}

@test "systemd-analyze verify accepts the unit without a warning" {
	type -P systemd-analyze >/dev/null || skip "systemd-analyze is not installed (apt-get install systemd)"
	# verify checks that ExecStart exists: point it at the built script.
	sed "s|^ExecStart=.*|ExecStart=$PIPELINE|" "$top_builddir/$UNIT" >"$T/d4c.service"
	run --separate-stderr systemd-analyze verify --man=no "$T/d4c.service"
	assert_success
	[ -z "$output$stderr" ] || fail "systemd-analyze verify: $output$stderr"
}

@test "systemd-analyze security rates the unit's exposure at most 4.0" {
	type -P systemd-analyze >/dev/null || skip "systemd-analyze is not installed (apt-get install systemd)"
	systemd-analyze security --help | grep -q -- --offline || skip "systemd-analyze has no --offline (systemd < 250)"
	sed "s|^ExecStart=.*|ExecStart=$PIPELINE|" "$top_builddir/$UNIT" >"$T/d4c.service"
	run systemd-analyze security --offline=true --threshold=40 "$T/d4c.service"
	assert_success
	assert_line --partial "Overall exposure level for d4c.service"
}

@test "the unit: simple service, restarted on failure, settings and credentials from files, a state directory" {
	assert_equal "$(unit_key Type)" simple
	assert_equal "$(unit_key Restart)" on-failure
	[ "$(unit_key RestartSec)" -ge 1 ]
	assert_equal "$(unit_key EnvironmentFile)" -/etc/default/d4c
	assert_equal "$(unit_key LoadCredential)" es:/etc/d4c/es-credentials
	assert_equal "$(unit_key StateDirectory)" d4c
	assert_equal "$(unit_key RuntimeDirectory)" d4c
	assert_equal "$(unit_key KillMode)" mixed
	assert_equal "$(unit_key ExecReload)" '/bin/kill -HUP $MAINPID'
	assert_equal "$(unit_key WantedBy)" multi-user.target
	# No setting carries a secret or a URL with one.
	run grep -inE 'password|apikey|api_key|token|://[^/ ]*@' "$top_builddir/$UNIT"
	assert_failure 1
}

@test "the unit's sandbox: read-only system, no home, private /tmp and devices, no new privileges" {
	assert_equal "$(unit_key ProtectSystem)" strict
	assert_equal "$(unit_key ReadWritePaths)" -/sys/fs/bpf
	for k in ProtectHome PrivateTmp PrivateDevices NoNewPrivileges ProtectKernelTunables \
		ProtectKernelModules ProtectKernelLogs ProtectControlGroups ProtectClock ProtectHostname \
		RestrictNamespaces RestrictRealtime RestrictSUIDSGID LockPersonality MemoryDenyWriteExecute; do
		[ "$(unit_key "$k")" = yes ] || fail "$k is '$(unit_key "$k")', not yes"
	done
	assert_equal "$(unit_key SystemCallArchitectures)" native
	assert_equal "$(unit_key RestrictAddressFamilies)" "AF_UNIX AF_INET AF_INET6 AF_NETLINK"
	assert_equal "$(unit_key CapabilityBoundingSet)" "CAP_BPF CAP_PERFMON CAP_SYS_ADMIN CAP_SYS_RESOURCE CAP_SYS_PTRACE"
	# Every process must stay visible, /proc/sys readable.
	[ -z "$(unit_key ProtectProc)" ] && [ -z "$(unit_key ProcSubset)" ]
	[ -z "$(unit_key PrivateNetwork)" ] && [ -z "$(unit_key User)" ] && [ -z "$(unit_key DynamicUser)" ]
}

@test "d4c-load works with exactly the unit's CapabilityBoundingSet (observing, on this machine)" {
	require_bpf
	caps=$(unit_key CapabilityBoundingSet | sed 's/CAP_//g')
	run "$top_srcdir/t/contrib-caps.sh" observe $caps
	assert_success
	assert_line "the exec is in its events"
}

@test "d4c-load blocks with exactly the unit's CapabilityBoundingSet under BPF LSM (guest)" {
	caps=$(unit_key CapabilityBoundingSet | sed 's/CAP_//g')
	run "$top_srcdir/t/vm/run" "$top_srcdir/t/contrib-caps.sh" enforce $caps
	[ "$status" -ne 125 ] || fail "the BPF LSM guest did not run: $output"
	assert_success
	assert_line --partial "exec blocked:"
}

@test "d4c.env sets only variables d4c-pipeline reads" {
	vars=$(sed -n 's/^#\{0,1\}\(D4C_[A-Z_]*\)=.*/\1/p' "$top_srcdir/contrib/systemd/d4c.env")
	[ -n "$vars" ]
	for v in $vars; do
		grep -q "\${$v" "$PIPELINE" || fail "d4c.env sets $v, which d4c-pipeline does not read"
	done
}

# --- d4c-pipeline -----------------------------------------------------------

@test "d4c-pipeline refuses to start without D4C_ES_URL, or with credentials in it (exit 2)" {
	run --separate-stderr env -u D4C_ES_URL "$PIPELINE"
	assert_failure 2
	assert_equal "$stderr" "d4c-pipeline: D4C_ES_URL is not set (the Elasticsearch URL)"
	run --separate-stderr env D4C_ES_URL=https://elastic:changeme@es:9200 "$PIPELINE"
	assert_failure 2
	assert_equal "$stderr" "d4c-pipeline: D4C_ES_URL has credentials in it: put them in the D4C_ES_CREDENTIALS file"
	run --separate-stderr env D4C_ES_CREDENTIALS="$T/nothing" "$PIPELINE"
	assert_failure 2
	[ ! -e "$T/ship.args" ] || fail "d4c-ship was started"
}

@test "d4c-pipeline: a policy that does not compile starts nothing (exit 1)" {
	printf 'process:\n  selectors: []\n' >"$T/policy.yaml"
	run --separate-stderr "$PIPELINE"
	assert_failure 1
	assert_output ""
	assert_equal "$stderr" "$T/policy.yaml:1:1: error: 'process' has no 'responses' (a non-empty list)
$T/policy.yaml:2:14: error: 'selectors' is an empty list
d4c-pipeline: the policy '$T/policy.yaml' does not compile"
	[ ! -e "$T/run/policy.d4cp" ] && [ ! -e "$T/ship.args" ] && [ ! -e "$T/enrich.args" ]
}

@test "d4c-pipeline: load | enrich | ship; SIGTERM stops d4c-load and the rest drain (exit 0)" {
	require_bpf
	export D4C_LOAD_OPTS="--host --metrics-interval 0"
	pipeline_start
	/bin/true
	# d4c-load writes the heartbeat at start in its loop, once it runs
	wait_for grep -q cloud_defend.heartbeat "$T/ship.out"
	kill -TERM "$PIPE_PID"
	pipeline_wait
	assert_equal "$PIPE_RC" 0
	# d4c-ship got the URL, the credentials file and the spool, nothing secret.
	assert_equal "$(cat "$T/ship.args")" "--es
https://es.example:9200
--api-key-file
$T/es-credentials
--spool
$T/state/spool"
	[ -d "$T/state/spool" ]
	# Everything d4c-load wrote reached d4c-ship, its closing metric
	# record last: nothing was cut off by the stop.
	jq -e -s 'any(.[]; .process.executable == "/bin/true" or .process.executable == "/usr/bin/true")' \
		"$T/ship.out" >/dev/null || fail "no event for /bin/true reached d4c-ship"
	last=$(tail -n 1 "$T/ship.out")
	assert_equal "$(jq -r .event.kind <<<"$last")" metric
	jq -e '.d4c.produced == .d4c.delivered + .d4c.lost' <<<"$last" >/dev/null
	# (written: the event lines before this closing record; the heartbeat
	# at start is a metric record, as this one is)
	assert_equal "$(jq -r .d4c.written <<<"$last")" "$(jq -c 'select(.event.kind != "metric")' "$T/ship.out" | wc -l)"
	assert_equal "$(jq -c 'select(.event.dataset == "cloud_defend.heartbeat")' "$T/ship.out" | wc -l)" 1
	# The compiled blob is root's alone; the pipes are gone.
	assert_equal "$(stat -c %a "$T/run/policy.d4cp")" 600
	[ ! -e "$T/run/load.pipe" ] && [ ! -e "$T/run/enrich.pipe" ]
}

@test "d4c-pipeline: when d4c-ship fails, d4c-load is stopped and its status is the pipeline's" {
	require_bpf
	export D4C_LOAD_OPTS=--host SHIP_FAIL=7
	pipeline_start
	for _ in $(seq 1 100); do
		kill -0 "$PIPE_PID" 2>/dev/null || break
		/bin/true
		sleep 0.1
	done
	pipeline_wait
	assert_equal "$PIPE_RC" 7
	run grep -c 'd4c-pipeline: d4c-ship exited with status 7' "$T/pipeline.err"
	assert_output 1
	run pgrep -f -- "d4c-load --host $T/run/policy.d4cp"
	assert_failure 1
}

@test "d4c-pipeline: a blocking policy without BPF LSM fails with d4c-load's status 3, the rest end cleanly" {
	require_bpf
	d4c-load --probe | jq -e '.bpf_lsm.usable | not' >/dev/null || skip "this kernel has BPF LSM: d4c-load would enforce"
	cat >"$T/policy.yaml" <<-'YAML'
	process:
	  selectors:
	    - name: nc
	      operation: [exec]
	      processExecutable: [/usr/bin/nc]
	  responses:
	    - match: [nc]
	      actions: [alert, block]
	YAML
	run --separate-stderr "$PIPELINE"
	assert_failure 3
	[[ $stderr == *"d4c-pipeline: d4c-load exited with status 3"* ]] || fail "stderr: $stderr"
	[[ $stderr != *"d4c-enrich exited"* && $stderr != *"d4c-ship exited"* ]] || fail "stderr: $stderr"
}

@test "d4c-pipeline pins d4c-load's programs by default; a restart takes the pins over" {
	require_bpf
	grep -q '^pin=${D4C_PIN_DIR-/sys/fs/bpf/d4c}$' "$PIPELINE"
	export D4C_PIN_DIR=/sys/fs/bpf/d4c-test-$$ D4C_LOAD_OPTS=--host
	pipeline_start
	kill -TERM "$PIPE_PID"
	pipeline_wait
	assert_equal "$PIPE_RC" 0
	[ -n "$(ls "$D4C_PIN_DIR")" ] || fail "nothing pinned in $D4C_PIN_DIR"
	# as after a crash: the old programs are still pinned when it restarts
	pipeline_start
	kill -TERM "$PIPE_PID"
	pipeline_wait
	assert_equal "$PIPE_RC" 0
	run d4c-load --unpin "$D4C_PIN_DIR"
	assert_success
	[ ! -e "$D4C_PIN_DIR" ]
}

@test "d4c-pipeline: SIGHUP recompiles; a broken policy keeps the one in force" {
	require_bpf
	pipeline_start
	first=$(grep -c 'policy revision .* in force' "$T/pipeline.err")
	printf 'process:\n  selectors: []\n' >"$T/policy.yaml"
	kill -HUP "$PIPE_PID"
	for _ in $(seq 1 50); do
		grep -q 'the one in force stays' "$T/pipeline.err" && break
		sleep 0.1
	done
	grep -q 'd4c-pipeline: the policy does not compile: the one in force stays' "$T/pipeline.err"
	kill -0 "$PIPE_PID"
	cp "$top_srcdir/share/policies/examples/interactive-shells.yaml" "$T/policy.yaml"
	kill -HUP "$PIPE_PID"
	for _ in $(seq 1 50); do
		[ "$(grep -c 'policy revision .* in force' "$T/pipeline.err")" -gt "$first" ] && break
		sleep 0.1
	done
	[ "$(grep -c 'policy revision .* in force' "$T/pipeline.err")" -gt "$first" ] || fail "no new policy in force: $(cat "$T/pipeline.err")"
	kill -TERM "$PIPE_PID"
	pipeline_wait
	assert_equal "$PIPE_RC" 0
}
