#!/usr/bin/env bats
# The whole pipeline as the service runs it: contrib/systemd/d4c-pipeline
# with the real programs (d4c-policy compile, d4c-load | d4c-enrich |
# d4c-ship) delivering to esd.py, the TEST DOUBLE of Elasticsearch's _bulk
# API (t/doubles/es-double: Elasticsearch cannot be installed here), with
# an API key read from a file. What a command does on the node must arrive
# in the cloud_defend data streams, enriched, each event exactly once, and
# a stop (SIGTERM, as systemd and the kubelet send it) must lose nothing.

load helpers

bats_require_minimum_version 1.5.0

DIGEST="$top_srcdir/t/doubles/es-double/digest.py"

setup() {
	common_setup
	require_bpf
	PIPELINE="$top_builddir/contrib/systemd/d4c-pipeline"
	[ -x "$PIPELINE" ] || fail "contrib/systemd/d4c-pipeline is not built (make)"
	ESD_PID= PIPE_PID=
	esd_start --api-key id1:s3cret || fail "the Elasticsearch test double did not start"
	printf 'id1:s3cret\n' >"$T/api-key"
	chmod 600 "$T/api-key"
	cp "$top_srcdir/share/policies/default.yaml" "$T/policy.yaml"
	# the service pins d4c-load's programs (by default in /sys/fs/bpf/d4c,
	# where they would stay after the test, attached): pinned here instead,
	# and removed at teardown
	export D4C_PIN_DIR=/sys/fs/bpf/d4c-test-$$
}

teardown() {
	[ -z "$PIPE_PID" ] || kill -TERM "$PIPE_PID" 2>/dev/null || true
	[ -z "$PIPE_PID" ] || wait "$PIPE_PID" 2>/dev/null || true
	[ -z "$ESD_PID" ] || kill "$ESD_PID" 2>/dev/null || true
	[ ! -e "$D4C_PIN_DIR" ] || d4c-load --unpin "$D4C_PIN_DIR" >/dev/null 2>&1 || true
}

# jq FILTER over the double's statistics.
stats() {
	curl -sS --max-time 10 "$URL/_d4c/stats" | jq -r "$1"
}

@test "d4c-pipeline, real programs: a command's events reach Elasticsearch enriched, once each, and a stop loses none" {
	D4C_BINDIR="$top_builddir/cmd" D4C_POLICY="$T/policy.yaml" D4C_RUN_DIR="$T/run" \
		D4C_SPOOL="$T/spool" D4C_ES_URL="$URL" D4C_ES_CREDENTIALS="$T/api-key" \
		D4C_LOAD_OPTS="--host --metrics-interval 0" \
		D4C_ENRICH_OPTS="--no-kubelet --metrics-interval 0" \
		D4C_SHIP_OPTS="--metrics-interval 0 --batch-wait 0.2 --file $T/shipped.ndjson --file-max-bytes 0" \
		"$PIPELINE" 2>"$T/pipeline.err" &
	PIPE_PID=$!
	wait_started "$PIPE_PID" "$T/pipeline.err" 'in force' d4c-pipeline
	sh -c '/bin/echo zzq-pipeline-marker >/dev/null'
	wait_for grep -q zzq-pipeline-marker "$T/shipped.ndjson"
	kill -TERM "$PIPE_PID"
	rc=0
	wait "$PIPE_PID" || rc=$?
	PIPE_PID=
	[ "$rc" -eq 0 ] || fail "d4c-pipeline exited $rc: $(cat "$T/pipeline.err")"
	# what d4c-ship was given is what the double holds: every event, once
	want=$(/usr/bin/python3 "$DIGEST" "$T/shipped.ndjson")
	[ "$(jq .count <<<"$want")" -gt 0 ]
	# --host sees the whole machine: other tests running beside this one
	# may add file alerts, so every event stream counts, not process alone
	local ev='["logs-cloud_defend.process-default", "logs-cloud_defend.file-default",
		"logs-cloud_defend.alerts-default"]'
	assert_equal "$(stats "[.docs[$ev[]] // 0] | add")" "$(jq .count <<<"$want")"
	assert_equal "$(stats "[.digest[$ev[]] // 0] | add")" \
		"$(jq .digest <<<"$want")"
	# the marker's exec went through d4c-enrich on its way
	e=$(jq -c 'select(.event.action == "exec" and .process.args == ["/bin/echo","zzq-pipeline-marker"])' \
		"$T/shipped.ndjson")
	[ -n "$e" ] || fail "no exec event of the marker reached d4c-ship"
	assert_equal "$(jq -r .host.name <<<"$e")" "$(uname -n)"
	# named after its executable (sh is a link to it)
	assert_equal "$(jq -r .process.parent.name <<<"$e")" "$(basename "$(readlink -f /bin/sh)")"
	assert_equal "$(jq -r '.process.parent.args | join(" ")' <<<"$e")" \
		'sh -c /bin/echo zzq-pipeline-marker >/dev/null'
	# each stage's closing metric record reached the metrics stream, and
	# d4c-load's says nothing was lost between the kernel and the pipe
	assert_equal "$(stats '.docs["metrics-cloud_defend.metrics-default"] // 0')" 3
	run jq -c 'select(.event.kind == "metric" and .d4c.stage == "d4c-load") | .d4c' "$T/shipped.ndjson"
	assert_one_line
	assert_equal "$(jq '.produced == .delivered + .lost' <<<"$output")" true
	assert_equal "$(jq .lost <<<"$output")" 0
	run /usr/bin/python3 "$top_srcdir/t/validate-events.py" "$T/shipped.ndjson"
	assert_success
}
