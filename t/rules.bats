#!/usr/bin/env bats
# How many of Elastic's Defend for Containers detection rules fire on
# d4c's events (issue 13). The rules' queries (t/rules/elastic, Elastic
# License 2.0, see t/rules/README) run in t/rules/evaluate.py, an
# evaluator of the EQL and KQL they use, over what d4c-load | d4c-enrich
# write while real runc containers do what each rule detects
# (t/rules/scenarios.sh) under t/rules/policy.yaml. The rules expected to
# fire today are listed in t/rules/expected, the one place to update when
# d4c learns a field a rule needs; the test prints "rules firing: N/M" and
# each quiet rule's unmet condition.

load helpers
load containers/runc

RULES="$top_srcdir/t/rules"
. "$RULES/scenarios.sh"

# The scenarios run once for the file: a victim container (writable root)
# and a privileged one, beside an idle container as the control, with
# d4c-load (tracepoints, container processes only) piped into d4c-enrich.
# What went wrong, if anything, is kept in $BATS_FILE_TMPDIR/setup.err
# for the tests to report: a skip or failure here would hide which.
setup_file() {
	local T=$BATS_FILE_TMPDIR dir
	[ "$(id -u)" -eq 0 ] && [ -r /sys/kernel/btf/vmlinux ] && command -v runc >/dev/null &&
		command -v script >/dev/null && [ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1 ||
		return 0
	(
		export CTR_ROOTFS=$T/rootfs
		rules_rootfs "$CTR_ROOTFS" &&
			d4c-policy compile -o "$T/policy.d4cp" "$RULES/policy.yaml" &&
			mkfifo "$T/pipe" || exit 1
		d4c-enrich --no-kubelet --metrics-interval 0 <"$T/pipe" >"$T/events.json" \
			2>"$T/enrich.err" &
		echo $! >"$T/enrich.pid"
		d4c-load --metrics-interval 0 "$T/policy.d4cp" >"$T/pipe" 2>"$T/load.err" &
		echo $! >"$T/load.pid"
		wait_started "$(cat "$T/load.pid")" "$T/load.err" 'in force' d4c-load || exit 1
		ctr_create victim --image docker.io/library/alpine:3.20 -- sleep 3600 &&
			ctr_create privileged --image docker.io/library/alpine:3.20 -- sleep 3600 &&
			ctr_create idle -- sleep 3600 || exit 1
		for dir in "$T/containers/victim" "$T/containers/privileged"; do
			jq '.root.readonly = false' "$dir/config.json" >"$dir/config.json.new" &&
				mv "$dir/config.json.new" "$dir/config.json" || exit 1
		done
		rules_privileged "$T/containers/privileged"
		ctr_start victim && ctr_start privileged && ctr_start idle || exit 1
		RULES_ID=$(ctr_id victim) RULES_PRIV_ID=$(ctr_id privileged) rules_run
		runc exec "$(ctr_id idle)" /bin/ls / >/dev/null
		# d4c-enrich has read the containers' metadata for every event up
		# to this last one (in order) before they go
		wait_for idle_ls_enriched || exit 1
		ctr_cleanup
		kill -INT "$(cat "$T/load.pid")"
		wait "$(cat "$T/load.pid")" "$(cat "$T/enrich.pid")"
	) 2>"$T/setup.err" || echo "scenarios failed (status $?)" >>"$T/setup.err"
	touch "$T/ran"
}

# True once the last scenario event, the idle container's ls, is out of
# d4c-enrich with its container's name.
idle_ls_enriched() {
	json_any "$BATS_FILE_TMPDIR/events.json" \
		'.container.name == "idle" and .process.args[0] == "/bin/ls"'
}

teardown_file() {
	local T=$BATS_FILE_TMPDIR
	[ -f "$T/load.pid" ] && kill -INT "$(cat "$T/load.pid")" 2>/dev/null || true
	ctr_cleanup 2>/dev/null || true
}

# Fails (or skips, as the other container tests do) unless the scenarios
# ran; then $EVENTS is their events.
scenarios_ran() {
	require_bpf
	require_runc
	command -v script >/dev/null || skip "no script(1) for a terminal (Debian package bsdutils)"
	[ -f "$BATS_FILE_TMPDIR/ran" ] || fail "the scenarios did not run"
	if [ -s "$BATS_FILE_TMPDIR/setup.err" ] && grep -q '^scenarios failed' "$BATS_FILE_TMPDIR/setup.err"; then
		fail "$(cat "$BATS_FILE_TMPDIR/setup.err" "$BATS_FILE_TMPDIR/load.err")"
	fi
	EVENTS=$BATS_FILE_TMPDIR/events.json
}

# quiet_why VERDICTS RULE...: each quiet rule's unmet condition, one line
# each, for the failure's first lines (all that CI's log keeps); the
# victim's process events and files under /tmp go to the test's log.
quiet_why() {
	local verdicts=$1 rule
	shift
	for rule in "$@"; do
		jq -r --arg f "$rule.toml" 'select(.file == $f) | "\(.file): \(.why)"' <<<"$verdicts"
	done
	# events the ring buffer dropped (other tests' containers share it),
	# and scenarios that runc failed to run or whose commands failed
	[ $# -eq 0 ] || jq -r 'select(.d4c.stage == "d4c-load" and .d4c.final)
		| "d4c-load: \(.d4c.produced) produced, \(.d4c.lost) lost"' "$EVENTS"
	[ $# -eq 0 ] || grep -m 3 -e '^runc exec failed' -e '^scenario failed' "$BATS_FILE_TMPDIR/setup.err" 2>/dev/null || true
	[ $# -eq 0 ] || jq -c 'select(.container.name == "victim" and (.event.category[0] == "process"
		or (.file.path // "" | startswith("/tmp/")))) | [.["@timestamp"], .event.action,
		.process.name, .process.parent.name, .file.path]' "$EVENTS" | sed 's/^/# /' >&3
}

# The file names (without .toml) of the rules expected to fire, sorted.
expected() {
	sed 's/#.*//; s/[[:space:]]//g; /^$/d' "$RULES/expected" | sort
}

@test "the evaluator passes its own tests: each operator matching and not, sequences, errors" {
	run /usr/bin/python3 "$RULES/test_evaluate.py"
	assert_success
	refute_output --partial "not ok"
}

@test "every rule in t/rules/elastic parses, and t/rules/expected names only rules there" {
	local n name
	n=$(ls "$RULES"/elastic/*.toml | wc -l)
	run /usr/bin/python3 "$RULES/evaluate.py" /dev/null
	assert_success
	assert_line "rules firing: 0/$n"
	for name in $(expected); do
		[ -f "$RULES/elastic/$name.toml" ] || fail "t/rules/expected names '$name': no t/rules/elastic/$name.toml"
	done
}

@test "the control: an idle container's events fire none of the rules" {
	scenarios_ran
	id=$(jq -r 'select(.container.name == "idle") | .container.id' "$EVENTS" | head -1)
	[ -n "$id" ] || fail "no event of the idle container"
	jq -c --arg id "$id" 'select(.container.id == $id)' "$EVENTS" >"$BATS_TEST_TMPDIR/idle.json"
	run /usr/bin/python3 "$RULES/evaluate.py" "$BATS_TEST_TMPDIR/idle.json"
	assert_success
	assert_line --regexp '^rules firing: 0/[0-9]+$'
}

@test "Elastic's rules fire on d4c's events of the scenarios as t/rules/expected says" {
	scenarios_ran
	run /usr/bin/python3 "$RULES/evaluate.py" --json --explain "$EVENTS"
	assert_success
	local verdicts=$output firing total missing extra
	# the measurement, in the test's output whatever its outcome
	jq -r '"# " + (if .fires then "fires " else "quiet " end) + (.file | rtrimstr(".toml"))
		+ (if .why then "  (" + .why + ")" else "" end)' <<<"$verdicts" >&3
	firing=$(jq -r 'select(.fires) | .file | rtrimstr(".toml")' <<<"$verdicts" | sort)
	total=$(jq -s length <<<"$verdicts")
	echo "# rules firing: $(grep -c . <<<"$firing")/$total" >&3
	missing=$(comm -13 <(echo "$firing") <(expected))
	extra=$(comm -23 <(echo "$firing") <(expected))
	[ -z "$missing$extra" ] || fail "firing differs from t/rules/expected
expected to fire, quiet: ${missing:-none}
$(quiet_why "$verdicts" $missing)
firing, not expected (add to t/rules/expected): ${extra:-none}"
}
