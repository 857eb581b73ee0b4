#!/usr/bin/env bats
# d4c-ship against esd.py, a TEST DOUBLE of Elasticsearch's _bulk API
# (t/doubles/es-double/esd.py: Elasticsearch itself cannot be installed here). The
# double checks what a cluster checks (NDJSON pairs, gzip, credentials,
# create-only data streams, duplicate _ids) and injects the faults a
# cluster has (429, 500, mapping errors, 413, slowness, cut connections,
# downtime); its /_d4c/stats says what was really indexed, per data stream,
# with an order-independent digest of the stored documents.

load helpers

GEN="$top_srcdir/bench/ship-gen.py"
DIGEST="$top_srcdir/t/doubles/es-double/digest.py"
EVENT_STREAMS='logs-cloud_defend.process-default logs-cloud_defend.file-default logs-cloud_defend.alerts-default'

setup() {
	common_setup
	ESD_PID= SHIP_PID=
}

teardown() {
	[ -z "$SHIP_PID" ] || kill -9 "$SHIP_PID" 2>/dev/null || true
	[ -z "$ESD_PID" ] || kill "$ESD_PID" 2>/dev/null || true
}

# jq FILTER over the double's statistics.
stats() {
	curl -sS --max-time 10 -k "$URL/_d4c/stats" | jq -r "$1"
}

faults() {
	curl -sS --max-time 10 -k -X POST "$URL/_d4c/faults" -d "$1" >/dev/null
}

# Documents (not metric records) the double holds, and their digest.
indexed() {
	stats "[.docs[\"${EVENT_STREAMS// /\"], .docs[\"}\"] // 0] | add"
}
indexed_digest() {
	stats "[.digest[\"${EVENT_STREAMS// /\"], .digest[\"}\"] // 0] | add % 18446744073709551616"
}

# Fails unless the double holds exactly the distinct events of FILE.
assert_all_indexed() {
	local want
	want=$(/usr/bin/python3 "$DIGEST" "$1")
	assert_equal "$(indexed)" "$(echo "$want" | jq .count)"
	assert_equal "$(indexed_digest)" "$(echo "$want" | jq .digest)"
}

# Waits (polling, at most $2 s) until the jq condition $1 on the stats holds.
wait_stats() {
	for _ in $(seq 1 $((${2:-60} * 5))); do
		[ "$(stats "$1")" = true ] && return 0
		sleep 0.2
	done
	fail "timed out waiting for: $1 ($(stats 'del(.faults)' | tr -d '\n'))"
}

# Waits (at most 60 s) for the background d4c-ship to end, and fails
# unless it ends with status 0.
ship_wait() {
	for _ in $(seq 1 300); do
		kill -0 "$SHIP_PID" 2>/dev/null || break
		sleep 0.2
	done
	! kill -0 "$SHIP_PID" 2>/dev/null || fail "d4c-ship still running after 60 s"
	wait "$SHIP_PID"
	SHIP_PID=
}

# User and system CPU time of PID so far, in clock ticks.
cpu_ticks() {
	awk '{ print $14 + $15 }' "/proc/$1/stat"
}

ship() {
	D4C_ES_API_KEY=${KEY-id1:s3cret} d4c-ship --es "$URL" --metrics-interval 0 \
		--backoff-min 0.05 --backoff-max 1 "$@"
}

# Starts d4c-ship in the background as SHIP_PID (env execs it: the PID is
# d4c-ship's own, not a subshell's; <&0: a background command's stdin is
# /dev/null otherwise; 7>&-: not a writer of its own input pipe), and waits
# until it reads its input.
ship_bg() {
	env D4C_ES_API_KEY=id1:s3cret d4c-ship --es "$URL" --metrics-interval 0 \
		--backoff-min 0.05 --backoff-max 1 "$@" <&0 7>&- &
	SHIP_PID=$!
	wait_for ship_reading
}

# True once d4c-ship SHIP_PID is past its start-up probe: it takes its
# signals from a signalfd, made then, before it reads its input.
ship_reading() {
	local fd
	for fd in /proc/"$SHIP_PID"/fd/*; do
		[ "$(readlink "$fd" 2>/dev/null)" = 'anon_inode:[signalfd]' ] && return 0
	done
	return 1
}

# Takes the double down for $1 seconds; returns once it refuses
# connections (it stops listening a moment after it answers).
es_down() {
	curl -sS -X POST "$URL/_d4c/down?seconds=$1" >/dev/null
	wait_for es_refuses
}

es_refuses() {
	local rc=0
	curl -s -o /dev/null --max-time 5 "$URL/" || rc=$?
	[ "$rc" -eq 7 ] # could not connect
}

@test "events land in the data stream their event.dataset names, once each, with a final metric record" {
	esd_start --api-key id1:s3cret
	/usr/bin/python3 "$GEN" 1000 >"$T/in"
	run ship <"$T/in"
	assert_success
	assert_equal "$(stats '.docs["logs-cloud_defend.process-default"]')" 900
	assert_equal "$(stats '.docs["logs-cloud_defend.file-default"]')" 80
	assert_equal "$(stats '.docs["logs-cloud_defend.alerts-default"]')" 20
	assert_equal "$(stats '.docs["metrics-cloud_defend.metrics-default"]')" 1
	assert_all_indexed "$T/in"
	# Every request was gzip'ed and authenticated; no action but create.
	assert_equal "$(stats '.gzip_requests == .bulk_requests and .auth_failures == 0')" true
	assert_equal "$(stats '.not_create')" 0
}

@test "several URLs are tried in turn: a dead first one does not stop delivery" {
	esd_start --api-key id1:s3cret
	/usr/bin/python3 "$GEN" 100 >"$T/in"
	run env D4C_ES_API_KEY=id1:s3cret d4c-ship --es "http://127.0.0.1:1,$URL" \
		--metrics-interval 0 --backoff-min 0.05 --backoff-max 0.2 <"$T/in"
	assert_success
	assert_all_indexed "$T/in"
}

@test "the same events shipped twice are indexed once: the _id is a hash of the line" {
	esd_start --api-key id1:s3cret
	/usr/bin/python3 "$GEN" 500 >"$T/in"
	ship <"$T/in"
	ship <"$T/in"
	assert_all_indexed "$T/in"
	assert_equal "$(stats .duplicates)" 500
}

@test "upstream metric records go to the metrics stream with d4c-ship's own" {
	esd_start --api-key id1:s3cret
	{
		/usr/bin/python3 "$GEN" 10
		echo '{"@timestamp":"2026-11-25T10:00:00.000000000Z","event":{"kind":"metric","dataset":"cloud_defend.metrics"},"d4c":{"stage":"d4c-load","produced":10,"delivered":10}}'
	} >"$T/in"
	ship --file "$T/out" <"$T/in"
	assert_equal "$(stats '.docs["metrics-cloud_defend.metrics-default"]')" 2
	run jq -c 'select(.d4c.stage == "d4c-ship") | .d4c | [.final, .read, .delivered, .invalid]' "$T/out"
	assert_output '[true,11,11,0]'
}

@test "one million events, injected 429s and 500s: the same million documents, none twice" {
	esd_start --api-key id1:s3cret \
		--faults '{"item_429_rate":0.01,"item_500_rate":0.005,"request_500_rate":0.02,"request_429_rate":0.02}'
	/usr/bin/python3 "$GEN" 1000000 >"$T/in"
	run ship --spool "$T/spool" --batch-events 5000 --file "$T/out" --file-max-bytes 0 \
		--backoff-min 0.01 --backoff-max 0.2 <"$T/in"
	assert_success
	assert_all_indexed "$T/in"
	# The faults did happen, and were retried, not dropped.
	assert_equal "$(stats '.item_429 > 0 and .item_500 > 0 and .request_500 > 0 and .request_429 > 0')" true
	run jq -c 'select(.d4c.final) | .d4c | [.read, .acked + .duplicates, .dead_lettered, .retried > 0]' <(tail -1 "$T/out")
	assert_output '[1000000,1000000,0,true]'
	# Everything acknowledged: one segment left (the one appended to last),
	# and a restart has nothing to send again.
	run sh -c "ls '$T'/spool/seg-*.d4cs | wc -l"
	assert_output 1
	run ship --spool "$T/spool" </dev/null
	assert_success
	refute_output --partial 'not yet acknowledged'
	assert_equal "$(indexed)" 1000000
}

@test "a struggling cluster (20% of items 429, 10% of requests 503): every event indexed once, promptly" {
	# With the default backoff (1 s to 60 s): only a request that moves
	# nothing may make d4c-ship wait. Backing off on every partial failure,
	# one request at a time, the last items of each batch sent alone, it
	# delivered about 2,000 of 20,000 events a minute.
	esd_start --api-key id1:s3cret --faults '{"item_429_rate":0.2,"request_503_rate":0.1}'
	/usr/bin/python3 "$GEN" 20000 >"$T/in"
	# 100 requests or more: with the default 2,000 events a request, some
	# ten of them met no 503 at all about one run in three
	run timeout 60 env D4C_ES_API_KEY=id1:s3cret d4c-ship --es "$URL" --metrics-interval 0 \
		--batch-events 200 --file "$T/out" <"$T/in"
	assert_success
	assert_all_indexed "$T/in"
	assert_equal "$(stats '.item_429 > 0 and .request_503 > 0')" true
	run jq -c 'select(.d4c.final) | .d4c | [.read, .acked + .duplicates, .dead_lettered, .retried > 0]' "$T/out"
	assert_output '[20000,20000,0,true]'
}

@test "the server down for 30 seconds mid-stream: every event arrives once it is back, without spinning" {
	esd_start --api-key id1:s3cret
	/usr/bin/python3 "$GEN" 40000 >"$T/in"
	head -n 20000 "$T/in" >"$T/in1"
	tail -n +20001 "$T/in" >"$T/in2"
	mkfifo "$T/pipe"
	exec 7<>"$T/pipe" # open both ends: d4c-ship's open does not wait
	ship_bg --spool "$T/spool" --backoff-max 5 --batch-wait 0.2 <"$T/pipe" 2>"$T/err"
	exec 7>"$T/pipe"
	cat "$T/in1" >&7
	wait_stats "([.docs[]] | add // 0) >= 20000" 60
	es_down 30
	local t0 t1
	t0=$(cpu_ticks "$SHIP_PID")
	cat "$T/in2" >&7 # taken into the spool while the server is down
	exec 7>&-
	# not a wait: the time over which its CPU use is measured
	sleep 25
	t1=$(cpu_ticks "$SHIP_PID")
	# Backing off, not spinning: well under a second of CPU in 25 s (ticks: 1/100 s).
	[ $((t1 - t0)) -lt 100 ] || fail "d4c-ship used $((t1 - t0)) ticks of CPU while the server was down"
	grep -q 'retrying in' "$T/err"
	ship_wait
	assert_all_indexed "$T/in"
}

@test "kill -9 mid-stream and a restart with the same spool: every event arrives, duplicates absorbed by _id" {
	esd_start --api-key id1:s3cret --faults '{"slow_ms":150}'
	/usr/bin/python3 "$GEN" 100000 >"$T/in"
	ship_bg --spool "$T/spool" --batch-events 2000 <"$T/in" 2>"$T/err1"
	# Everything read is in the spool (an event counts as read once spooled) ...
	for _ in $(seq 1 300); do
		kill -USR1 "$SHIP_PID"
		sleep 0.2
		grep -q 'read=100000 ' "$T/err1" && break
	done
	grep -q 'read=100000 ' "$T/err1"
	# ... and only part of it is indexed when d4c-ship dies.
	wait_stats '.total >= 10000' 60
	kill -9 "$SHIP_PID"
	wait "$SHIP_PID" || true
	SHIP_PID=
	local before
	before=$(indexed)
	[ "$before" -lt 100000 ] || fail "everything was indexed before the kill: test proves nothing"
	faults '{"slow_ms":0}'
	run ship --spool "$T/spool" </dev/null
	assert_success
	assert_output --partial 'not yet acknowledged, sending them again'
	assert_all_indexed "$T/in"
}

@test "bad credentials: one clear line, exit 3, no retrying" {
	esd_start --api-key id1:s3cret
	/usr/bin/python3 "$GEN" 10 >"$T/in"
	KEY=id1:wrong run ship <"$T/in"
	assert_failure 3
	assert_one_line
	assert_output --partial 'refused the credentials (401)'
	assert_equal "$(stats .auth_failures)" 1
}

@test "basic auth with the password in a file" {
	esd_start --basic 'ingest:pa ss'
	/usr/bin/python3 "$GEN" 10 >"$T/in"
	printf 'pa ss\n' >"$T/pw"
	KEY= run ship --user ingest --password-file "$T/pw" <"$T/in"
	assert_success
	assert_all_indexed "$T/in"
	printf 'nope\n' >"$T/pw"
	KEY= run ship --user ingest --password-file "$T/pw" <"$T/in"
	assert_failure 3
	assert_one_line
}

@test "TLS: verified with --ca, refused with the wrong CA (exit 3, one line), unverified only when asked loudly" {
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
		-addext subjectAltName=IP:127.0.0.1 -keyout "$T/key.pem" -out "$T/cert.pem" 2>/dev/null
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=other \
		-keyout "$T/other.key" -out "$T/other.pem" 2>/dev/null
	ESD_SCHEME=https esd_start --api-key id1:s3cret --tls "$T/cert.pem" "$T/key.pem"
	/usr/bin/python3 "$GEN" 20 >"$T/in"
	run ship --ca "$T/cert.pem" <"$T/in"
	assert_success
	assert_all_indexed "$T/in"
	run ship --ca "$T/other.pem" <"$T/in"
	assert_failure 3
	assert_one_line
	assert_output --partial 'TLS'
	run ship <"$T/in" # the system's CAs do not know this one
	assert_failure 3
	assert_one_line
	run ship --ca "$T/missing.pem" <"$T/in"
	assert_failure 3
	assert_one_line
	assert_output --partial "cannot read CA file"
	run ship --insecure-skip-tls-verify <"$T/in"
	assert_success
	assert_output --partial 'NOT checked'
}

@test "an unreachable host: one clear line and exit 4 after --startup-timeout, little CPU" {
	esd_start
	kill "$ESD_PID"
	wait "$ESD_PID" 2>/dev/null || true
	ESD_PID=
	/usr/bin/python3 "$GEN" 10 >"$T/in"
	run /usr/bin/time -o "$T/cpu" -f '%U %S' env D4C_ES_API_KEY=x:y d4c-ship --es "$URL" \
		--startup-timeout 4 --backoff-min 0.2 --backoff-max 1 <"$T/in"
	assert_failure 4
	assert_one_line
	assert_output --partial "cannot reach '$URL' within 4 s"
	local cpu
	cpu=$(tail -n 1 "$T/cpu" | awk '{ print $1 + $2 }')
	awk -v c="$cpu" 'BEGIN { exit !(c < 0.5) }' || fail "used $cpu s of CPU"
}

@test "a mapping error lands in the dead-letter file with its reason; the rest is indexed" {
	esd_start --api-key id1:s3cret --faults '{"mapping_error_substring":"\"pid\":\"not-a-number\""}'
	/usr/bin/python3 "$GEN" 10 >"$T/good"
	{
		cat "$T/good"
		echo '{"@timestamp":"2026-11-25T10:00:00.000000000Z","event":{"kind":"event","dataset":"cloud_defend.process"},"process":{"pid":"not-a-number"}}'
	} >"$T/in"
	run ship --dead-letter "$T/dead" <"$T/in"
	assert_failure 1
	assert_all_indexed "$T/good"
	run jq -c '[.error.status, .error.type, .document.process.pid, ._index]' "$T/dead"
	assert_output '[400,"document_parsing_exception","not-a-number","logs-cloud_defend.process-default"]'
	jq -e '.error.reason | test("failed to parse field \\[process.pid\\]")' "$T/dead"
}

@test "lines that are not JSON objects are counted, reported and dead-lettered, never sent" {
	esd_start --api-key id1:s3cret
	/usr/bin/python3 "$GEN" 5 >"$T/good"
	{
		head -n 2 "$T/good"
		echo 'not json'
		echo '[1,2,3]'
		echo '{"event":{"kind":"event"},'
		echo '{"event":{"kind":"event","dataset":"something.else"}}'
		tail -n 3 "$T/good"
	} >"$T/in"
	run ship --spool "$T/spool" --file "$T/out" <"$T/in"
	assert_failure 1
	assert_output --partial 'line 3: not a JSON object'
	assert_all_indexed "$T/good"
	run jq -c '[.line_number, .error.type]' "$T/spool/dead-letter.ndjson"
	assert_output - <<-EOF
	[3,"invalid_json"]
	[4,"invalid_json"]
	[5,"invalid_json"]
	[6,"no_data_stream"]
	EOF
	run jq -c 'select(.d4c.final) | .d4c | [.read, .invalid, .dead_lettered]' "$T/out"
	assert_output '[9,4,4]'
}

@test "a line with a key twice is dead-lettered with its reason, indexed into no stream" {
	# Routed by its first event.kind, the first line would have landed
	# among the alerts while jq and d4c-enrich read it as a process event.
	esd_start --api-key id1:s3cret
	/usr/bin/python3 "$GEN" 5 >"$T/good"
	{
		head -n 2 "$T/good"
		echo '{"@timestamp":"2026-11-25T10:00:00Z","event":{"kind":"alert","dataset":"cloud_defend.alerts"},"event":{"kind":"event","dataset":"cloud_defend.process"}}'
		echo '{"@timestamp":"2026-11-25T10:00:00Z","event":{"kind":"alert","kind":"event","dataset":"cloud_defend.process"}}'
		tail -n 3 "$T/good"
	} >"$T/in"
	run ship --dead-letter "$T/dead" <"$T/in"
	assert_failure 1
	assert_all_indexed "$T/good"
	# nothing sent but the five events and the metric record; no alert
	assert_equal "$(stats '[.items, .docs["logs-cloud_defend.alerts-default"] // 0] | tostring')" '[6,0]'
	run jq -c '[.line_number, .error.type, .error.reason]' "$T/dead"
	assert_output - <<-EOF
	[3,"invalid_json","not a JSON object: duplicate key at byte 95"]
	[4,"invalid_json","not a JSON object: duplicate key at byte 62"]
	EOF
}

@test "a line with invalid UTF-8 is dead-lettered with its reason, sent nowhere" {
	# d4c-ship and d4c-enrich read lines with one scanner, which checks
	# UTF-8 (d4c-ship's own took these): Elasticsearch refuses them anyway
	esd_start --api-key id1:s3cret
	/usr/bin/python3 "$GEN" 5 >"$T/good"
	local ev='"@timestamp":"2026-11-25T10:00:00Z","event":{"kind":"event","dataset":"cloud_defend.process"}'
	{
		head -n 2 "$T/good"
		printf '{%s,"process":{"name":"\xff"}}\n' "$ev"
		printf '{%s,"process":{"\xc0\xafname":"overlong"}}\n' "$ev"
		printf '{%s,"process":{"name":"\xed\xa0\x80 surrogate"}}\n' "$ev"
		printf '{%s,"process":{"name":"caf\xc3\xa9 \xf0\x9f\x98\x80"}}\n' "$ev"
		tail -n 3 "$T/good"
	} >"$T/in"
	run ship --dead-letter "$T/dead" --file "$T/out" <"$T/in"
	assert_failure 1
	# the five events, the valid UTF-8 one and the metric record; no more
	assert_equal "$(stats '.items')" 7
	assert_equal "$(stats '.docs["logs-cloud_defend.process-default"] // 0')" \
		"$(($(grep -c '"dataset":"cloud_defend.process"' "$T/good") + 1))"
	run jq -c '[.line_number, .error.type, .error.reason]' "$T/dead"
	assert_output - <<-EOF
	[3,"invalid_json","not a JSON object: invalid UTF-8 in string at byte 115"]
	[4,"invalid_json","not a JSON object: invalid UTF-8 in string at byte 108"]
	[5,"invalid_json","not a JSON object: invalid UTF-8 in string at byte 115"]
	EOF
	# nor written to the file: the good lines and the valid UTF-8 one, as they were
	diff <(grep -v '"kind":"metric"' "$T/out") <(sed -n '1,2p;6,9p' "$T/in")
}

@test "every dead letter is reported on stderr (rate-limited), and a summary line ends the run" {
	esd_start --api-key id1:s3cret --faults '{"mapping_error_substring":"\"pid\":\"not-a-number\""}'
	/usr/bin/python3 "$GEN" 3 >"$T/good"
	{
		cat "$T/good"
		echo 'not json'
		printf '{"pad":"%02000d"}\n' 0
		echo '{"@timestamp":"2026-11-25T10:00:00Z","event":{"dataset":"elsewhere"}}'
		echo '{"@timestamp":"2026-11-25T10:00:00Z","event":{"kind":"event","dataset":"cloud_defend.process"},"process":{"pid":"not-a-number"}}'
	} >"$T/in"
	run ship --dead-letter "$T/dead" --max-line 1500 <"$T/in"
	assert_failure 1
	assert_line --partial 'line 4: not a JSON object'
	assert_line --partial 'line 5: line longer than 1500 bytes (first bytes kept) (line_too_long; dead-lettered, 2 so far)'
	assert_line --partial 'line 6: event.kind and event.dataset name no cloud_defend data stream (no_data_stream'
	assert_line --regexp "^d4c-ship: warning: document '[A-Za-z0-9_-]{22}' for 'logs-cloud_defend.process-default': .*failed to parse field \[process.pid\].*document_parsing_exception; dead-lettered, 4 so far"
	assert_line --index $((${#lines[@]} - 1)) --regexp '^d4c-ship: read=8 sent=4 duplicates=0 dead_lettered=4 \(invalid_json=1 line_too_long=1 no_data_stream=1 refused=1\) retried=0 requests=[0-9]+ spooled_bytes=0 lost=0$'
	# random bytes: a warning for the first ten and then at powers of two
	head -c 300000 /dev/urandom | tr -d '\n' | fold -w 100 >"$T/noise"
	run ship --dead-letter "$T/dead2" <"$T/noise"
	assert_failure 1
	[ "${#lines[@]}" -le 25 ] || fail "${#lines[@]} lines on stderr for 3000 bad lines"
}

@test "a dead letter holds the line, cut to at most its own size plus 64 bytes once escaped, and flagged" {
	head -c 200000 /dev/urandom >"$T/noise"
	run sh -c "d4c-ship --stdout --metrics-interval 0 --dead-letter '$T/dead' <'$T/noise' >/dev/null 2>&1"
	assert_failure 1
	jq -c . "$T/dead" >/dev/null
	local lines bytes
	lines=$(wc -l <"$T/noise")
	bytes=$(stat -c %s "$T/dead")
	# 64 bytes of escapes at most, and the record's own fields (time,
	# reason, line number, flags) under 256 bytes, per line
	[ "$bytes" -le $((200000 + (lines + 1) * (64 + 256))) ] || fail "$bytes bytes of dead letters for 200000 of input"
	# slurped: jq 1.6's -e judges by the last record, which may not be cut
	jq -s -e 'map(select(.line_truncated)) | length > 0 and all(.line_bytes > 0)' "$T/dead" \
		>/dev/null
	# a line that escapes into little more is kept whole
	echo '{"event":{"kind":"event"},' >"$T/short"
	d4c-ship --stdout --metrics-interval 0 --dead-letter "$T/dead" <"$T/short" >/dev/null 2>&1 || true
	run jq -r 'select(.line_number == 1) | .line' <(tail -n 1 "$T/dead")
	assert_output '{"event":{"kind":"event"},'
}

@test "a 413 splits the batch until it fits; a document too large alone is dead-lettered" {
	esd_start --api-key id1:s3cret --faults '{"max_body":60000}'
	/usr/bin/python3 "$GEN" 300 >"$T/in"
	run ship --gzip-level 0 --batch-events 300 --dead-letter "$T/dead" <"$T/in"
	assert_success
	assert_all_indexed "$T/in"
	[ "$(stats .too_large)" -gt 0 ]
	printf '{"@timestamp":"2026-11-25T10:00:00Z","event":{"dataset":"cloud_defend.file"},"pad":"%070000d"}\n' 0 >"$T/big"
	run ship --gzip-level 0 --dead-letter "$T/dead" <"$T/big"
	assert_failure 1
	run jq -r '.error.status' "$T/dead"
	assert_output 413
}

@test "connections cut after indexing: the batch is sent again and the copies are absorbed as duplicates" {
	esd_start --api-key id1:s3cret --faults '{"drop_after_index_rate":0.4}' --seed 7
	/usr/bin/python3 "$GEN" 5000 >"$T/in"
	run ship --batch-events 500 <"$T/in"
	assert_success
	assert_all_indexed "$T/in"
	[ "$(stats .dropped)" -gt 0 ]
	[ "$(stats .duplicates)" -gt 0 ]
}

@test "a slow server: the request times out, is sent again, and the copies are absorbed" {
	esd_start --api-key id1:s3cret --faults '{"slow_ms":2500}'
	/usr/bin/python3 "$GEN" 3000 >"$T/in"
	ship_bg --request-timeout 1 --batch-events 1000 <"$T/in" 2>"$T/err"
	for _ in $(seq 1 100); do
		grep -q 'timed out' "$T/err" && break
		sleep 0.1
	done
	grep -q 'timed out' "$T/err"
	faults '{"slow_ms":0}'
	ship_wait
	assert_all_indexed "$T/in"
	# The double finished the timed-out request after d4c-ship gave up on it.
	wait_stats '.duplicates > 0' 10
}

@test "a full spool stops reading stdin (the writer blocks) and drops nothing" {
	esd_start --api-key id1:s3cret
	/usr/bin/python3 "$GEN" 3000 >"$T/in"
	mkfifo "$T/pipe"
	exec 7<>"$T/pipe"
	ship_bg --spool "$T/spool" --spool-max-bytes 200K --spool-segment-bytes 64K \
		--backoff-max 2 <"$T/pipe" 2>"$T/err"
	es_down 8
	cat "$T/in" >"$T/pipe" &
	local writer=$!
	# not a wait: the time in which a writer not held back would finish
	sleep 4
	kill -0 "$writer" || fail "the writer finished: d4c-ship did not stop reading"
	local spooled
	spooled=$(cat "$T"/spool/seg-*.d4cs | wc -c)
	[ "$spooled" -lt 400000 ] || fail "the spool grew to $spooled bytes"
	wait "$writer"
	exec 7>&- # the last writer gone: end of input
	ship_wait
	assert_all_indexed "$T/in"
}

# GET PATH from the double, with the test's credentials.
es_get() {
	curl -sS --max-time 10 -H "Authorization: ApiKey $(printf id1:s3cret | base64)" "$URL$1"
}

es_put() {
	curl -sS --max-time 10 -X PUT -H "Authorization: ApiKey $(printf id1:s3cret | base64)" \
		-H 'Content-Type: application/json' "$URL$1" -d "$2"
}

ALL_STREAMS='logs-cloud_defend.process logs-cloud_defend.file logs-cloud_defend.alerts metrics-cloud_defend.metrics metrics-cloud_defend.heartbeat'

@test "--setup installs the pipeline, the lifecycle and, per data stream, templates composed with ecs@mappings and @custom" {
	esd_start --api-key id1:s3cret
	run env D4C_ES_API_KEY=id1:s3cret d4c-ship --setup --es "$URL" --templates "$top_srcdir/share/templates"
	assert_success
	assert_equal "${#lines[@]}" 7
	assert_equal "$(stats '[.templates, .component_templates, .pipelines, .ilm_policies] | map(length)' | jq -c .)" '[5,5,1,1]'
	for s in $ALL_STREAMS; do
		type=${s%%-*} dataset=${s#*-}
		es_get "/_index_template/d4c-$s" | jq -e --arg s "$s" --arg type "$type" '
			.index_templates[0].index_template |
			.index_patterns == [$s + "-*"] and .data_stream == {} and
			.priority > 100 and .priority < 200 and
			.composed_of == ["ecs@mappings", "d4c-" + $s + "@package", $type + "@custom", $s + "@custom"] and
			.ignore_missing_component_templates == ["ecs@mappings", $type + "@custom", $s + "@custom"]'
		es_get "/_component_template/d4c-$s@package" | jq -e --arg type "$type" --arg ds "$dataset" '
			.component_templates[0].component_template.template |
			.settings.index.default_pipeline == "d4c-cloud_defend" and
			.settings.index.lifecycle.name == "d4c-cloud_defend" and
			.mappings.properties["@timestamp"].type == "date" and
			.mappings.properties.event.properties.ingested.type == "date" and
			.mappings.properties.data_stream.properties ==
				{type: {type: "constant_keyword", value: $type},
				 dataset: {type: "constant_keyword", value: $ds},
				 namespace: {type: "constant_keyword"}}'
	done
	for s in process file alerts; do
		es_get "/_component_template/d4c-logs-cloud_defend.$s@package" | jq -e '
			.component_templates[0].component_template.template.mappings.properties |
			.cloud_defend.properties.package_policy_revision.type == "short" and
			.process.properties.pid.type == "long" and
			.process.properties.user.properties.name.type == "keyword" and
			.orchestrator.properties.resource.properties.ip.type == "keyword" and
			.cloud_defend.properties.trace_point.type == "keyword"'
	done
	es_get /_component_template/d4c-metrics-cloud_defend.heartbeat@package | jq -e '
		.component_templates[0].component_template.template.mappings.properties.cloud_defend.properties.block_action_enabled.type == "boolean"'
	es_get /_ilm/policy/d4c-cloud_defend | jq -e '.["d4c-cloud_defend"].policy.phases |
		.hot.actions.rollover.max_age == "30d" and .delete.min_age == "90d" and .delete.actions == {delete: {}}'
	es_get /_ingest/pipeline/d4c-cloud_defend | jq -e '.["d4c-cloud_defend"] |
		any(.processors[]; .set.field == "event.ingested" and .set.value == "{{{_ingest.timestamp}}}") and
		any(.on_failure[]; .set.field == "event.kind" and .set.value == "pipeline_error")'

	# What the cluster stores: the event as sent, with event.ingested set
	# at ingest time and the module and agent type an event may lack
	local before
	before=$(date -u +%FT%T)
	printf '%s\n' '{"@timestamp":"2026-12-06T10:00:00.123456789Z","event":{"kind":"event","dataset":"cloud_defend.process"},"process":{"pid":7}}' \
		'{"@timestamp":"2026-12-06T10:00:01Z","event":{"kind":"event","dataset":"cloud_defend.file","module":"mine"},"agent":{"type":"other"}}' >"$T/in"
	ship <"$T/in"
	es_get /_d4c/docs/logs-cloud_defend.process-default | jq -e --arg before "$before" '.docs |
		length == 1 and .[0].process.pid == 7 and .[0]["@timestamp"] == "2026-12-06T10:00:00.123456789Z" and
		.[0].event.module == "cloud_defend" and .[0].agent.type == "d4c" and
		.[0].event.ingested >= $before and (.[0].event.ingested | test("^[0-9T:.-]+Z$"))'
	es_get /_d4c/docs/logs-cloud_defend.file-default | jq -e '.docs[0] |
		.event.module == "mine" and .agent.type == "other" and .event.ingested != null'
}

@test "--setup --retention sets when the lifecycle policy deletes, 0 keeps data forever; bad values exit 2" {
	esd_start
	run d4c-ship --setup --es "$URL" --templates "$top_srcdir/share/templates" --retention 30
	assert_success
	assert_line "installed lifecycle policy 'd4c-cloud_defend': delete 30 days after rollover"
	es_get /_ilm/policy/d4c-cloud_defend | jq -e '.["d4c-cloud_defend"].policy.phases.delete.min_age == "30d"'
	run d4c-ship --setup --es "$URL" --templates "$top_srcdir/share/templates" --retention 0
	assert_success
	es_get /_ilm/policy/d4c-cloud_defend | jq -e '.["d4c-cloud_defend"].policy.phases |
		has("delete") == false and .hot.actions.rollover.max_age == "30d"'
	run d4c-ship --setup --es "$URL" --templates "$top_srcdir/share/templates" --retention soon
	assert_failure 2
	[[ "$output" == *"--retention"* ]]
}

@test "--setup uses the cloud_defend integration's templates where Fleet installed them, and removes its own there" {
	esd_start
	# What Fleet installs for the integration (priority 200, managed by fleet),
	# for two of the streams; and a d4c template left by an earlier --setup
	es_put /_component_template/logs-cloud_defend.process@package '{"template":{"settings":{"index":{"default_pipeline":"logs-cloud_defend.process-1.2.5"}}}}'
	es_put /_component_template/metrics-cloud_defend.heartbeat@package '{"template":{}}'
	es_put /_ingest/pipeline/logs-cloud_defend.process-1.2.5 '{"processors":[{"set":{"field":"event.ingested","value":"{{_ingest.timestamp}}"}},{"set":{"field":"fleet","value":"yes"}}]}'
	for s in logs-cloud_defend.process metrics-cloud_defend.heartbeat; do
		es_put "/_index_template/$s" '{"index_patterns":["'"$s"'-*"],"data_stream":{},"priority":200,
			"composed_of":["'"$s"'@package","'"$s"'@custom"],"ignore_missing_component_templates":["'"$s"'@custom"],
			"_meta":{"package":{"name":"cloud_defend"},"managed_by":"fleet","managed":true}}' | jq -e .acknowledged
	done
	es_put /_index_template/d4c-logs-cloud_defend.process '{"index_patterns":["logs-cloud_defend.process-*"],"data_stream":{},"priority":150}' | jq -e .acknowledged
	local fleet
	fleet=$(es_get /_index_template/logs-cloud_defend.process)

	run d4c-ship --setup --es "$URL" --templates "$top_srcdir/share/templates"
	assert_success
	assert_line "removed index template 'd4c-logs-cloud_defend.process': the integration's is installed"
	assert_line "using the integration's index template 'logs-cloud_defend.process' for 'logs-cloud_defend.process-*'"
	assert_line "using the integration's index template 'metrics-cloud_defend.heartbeat' for 'metrics-cloud_defend.heartbeat-*'"
	assert_equal "$(stats '.templates' | jq -c .)" \
		'["d4c-logs-cloud_defend.alerts","d4c-logs-cloud_defend.file","d4c-metrics-cloud_defend.metrics","logs-cloud_defend.process","metrics-cloud_defend.heartbeat"]'
	assert_equal "$(es_get /_index_template/logs-cloud_defend.process)" "$fleet"
	assert_equal "$(stats '.component_templates | map(select(startswith("d4c-"))) | length')" 3

	# Events then go through the integration's pipeline, not d4c's
	printf '%s\n' '{"@timestamp":"2026-12-06T10:00:00Z","event":{"kind":"event","dataset":"cloud_defend.process"}}' \
		'{"@timestamp":"2026-12-06T10:00:00Z","event":{"kind":"event","dataset":"cloud_defend.file"}}' | ship
	assert_equal "$(stats '.index_pipeline | [.["logs-cloud_defend.process-default"], .["logs-cloud_defend.file-default"]]' | jq -c .)" \
		'["logs-cloud_defend.process-1.2.5","d4c-cloud_defend"]'
	es_get /_d4c/docs/logs-cloud_defend.process-default | jq -e '.docs[0] | .fleet == "yes" and .agent == null'
}

@test "heartbeats go to metrics-cloud_defend.heartbeat, other metric records to metrics-cloud_defend.metrics" {
	esd_start --api-key id1:s3cret
	printf '%s\n' '{"@timestamp":"2026-12-06T10:00:00Z","event":{"kind":"metric","dataset":"cloud_defend.heartbeat"},"cloud_defend":{"block_action_enabled":false}}' \
		'{"@timestamp":"2026-12-06T10:00:01Z","event":{"kind":"metric","dataset":"cloud_defend.metrics"},"d4c":{"stage":"x"}}' \
		'{"@timestamp":"2026-12-06T10:00:02Z","event":{"kind":"event","dataset":"cloud_defend.heartbeat"}}' >"$T/in"
	ship --namespace beats <"$T/in"
	# the metric records: the one given and d4c-ship's own at exit
	assert_equal "$(stats '.docs | [.["metrics-cloud_defend.heartbeat-beats"], .["metrics-cloud_defend.metrics-beats"]]' | jq -c .)" '[2,2]'
	assert_equal "$(stats '.total')" 4
}

@test "--setup: a template file that is not JSON is named with its line and column, exit 2" {
	esd_start
	cp -r "$top_srcdir/share/templates" "$T/tpl"
	printf '{\n  "processors": [\n    nope\n' >"$T/tpl/d4c-cloud_defend.pipeline.json"
	run d4c-ship --setup --es "$URL" --templates "$T/tpl"
	assert_failure 2
	[[ "$output" == *"d4c-cloud_defend.pipeline.json:3:"* ]] || fail "no file:line:col: $output"
	assert_equal "$(stats '.pipelines | length')" 0
}

@test "--file rotates by size and --stdout passes through, together" {
	/usr/bin/python3 "$GEN" 2000 >"$T/in"
	run sh -c "d4c-ship --file '$T/out' --file-max-bytes 500K --file-keep 3 --stdout --metrics-interval 0 <'$T/in' >'$T/stdout'"
	assert_success
	[ -f "$T/out.1" ] && [ -f "$T/out.3" ] && [ ! -f "$T/out.4" ]
	for f in "$T"/out*; do [ "$(stat -c %s "$f")" -le 512000 ]; done
	assert_equal "$(head -n 2000 "$T/stdout" | cmp - "$T/in" && echo same)" same
	# The newest files hold the last events, whole lines each.
	cat "$T/out.3" "$T/out.2" "$T/out.1" "$T/out" | tail -n 1 | jq -e '.d4c.final'
	cat "$T/out.3" "$T/out.2" "$T/out.1" "$T/out" | grep -v '"kind":"metric"' | tail -n 100 | cmp - <(tail -n 100 "$T/in")
}

@test "--file that cannot be written: one line naming it, exit 2, whether the input is short or long" {
	# --file is written by a thread of its own: its error must still come
	# out, once, both from the last write at exit and from one mid-stream
	for n in 1 100000; do
		seq 1 "$n" | sed 's/.*/{"n":&}/' >"$T/in"
		run d4c-ship --file /dev/full --metrics-interval 0 <"$T/in"
		assert_failure 2
		assert_output "d4c-ship: cannot write to '/dev/full': No space left on device"
	done
}

@test "--file on a full disk keeps whole lines: the failed write is cut back, a re-run appends valid JSON" {
	/usr/bin/python3 "$GEN" 3000 >"$T/in"
	# A file-size limit stands in for a full disk: writes past 512 KiB fail
	# (EFBIG, SIGXFSZ ignored) after part of a buffer went out.
	run sh -c "trap '' XFSZ; ulimit -f 1024; exec d4c-ship --file '$T/out' --metrics-interval 0 <'$T/in'"
	assert_failure 2
	assert_output "d4c-ship: cannot write to '$T/out': File too large"
	assert_equal "$(tail -c 1 "$T/out" | od -An -c | tr -d ' ')" '\n'
	jq -c . "$T/out" >/dev/null
	local first
	first=$(wc -l <"$T/out")
	run d4c-ship --file "$T/out" --metrics-interval 0 <"$T/in"
	assert_success
	jq -c . "$T/out" >/dev/null
	assert_equal "$(wc -l <"$T/out")" $((first + 3001)) # and the final metric record
}

@test "--file that ends in part of a line (a crash) is cut back to its last whole line before appending" {
	printf '{"n":1}\n{"n":2' >"$T/out"
	run sh -c "echo '{\"n\":3}' | d4c-ship --file '$T/out' --metrics-interval 0"
	assert_success
	assert_line --index 0 "d4c-ship: warning: '$T/out' ended in part of a line: 6 bytes cut"
	run jq -c 'select(.n) | .n' "$T/out"
	assert_output $'1\n3'
}

@test "SIGUSR1 prints the counters on stderr" {
	mkfifo "$T/pipe"
	d4c-ship --stdout <"$T/pipe" >"$T/out" 2>"$T/err" &
	SHIP_PID=$!
	exec 7>"$T/pipe"
	echo '{"a":1}' >&7
	# read (and written out): counted
	wait_for grep -q '"a":1' "$T/out"
	kill -USR1 "$SHIP_PID"
	for _ in $(seq 1 50); do
		grep -q 'read=1 ' "$T/err" && break
		sleep 0.1
	done
	exec 7>&-
	wait "$SHIP_PID"
	SHIP_PID=
	grep -q 'd4c-ship: read=1 invalid=0 acked=0 duplicates=0 retried=0 dead_lettered=0 spooled_bytes=0' "$T/err"
}

@test "it keeps no capabilities, so a CA file only another user can read is refused at once (exit 3)" {
	run capabilities_of d4c-ship --stdout
	assert_success
	assert_output "$(capability_lines 0000000000000000)"
	# root reads a file of nobody's only with CAP_DAC_OVERRIDE, which it dropped
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
		-keyout "$T/key.pem" -out "$T/cert.pem" 2>/dev/null
	install -o nobody -m 600 "$T/cert.pem" "$T/nobodys.pem"
	esd_start
	run ship --ca "$T/nobodys.pem" </dev/null
	assert_failure 3
	assert_one_line
	assert_output --partial "cannot read CA file '$T/nobodys.pem': Permission denied"
}

@test "usage errors exit 2 with one line: no output, credentials in the URL, a bad namespace" {
	run d4c-ship </dev/null
	assert_failure 2
	run d4c-ship --es http://u:p@127.0.0.1:9 </dev/null
	assert_failure 2
	assert_output --partial 'credentials'
	run d4c-ship --es http://127.0.0.1:9 --namespace Bad-NS </dev/null
	assert_failure 2
	run d4c-ship --spool "$T/s" --file "$T/f" </dev/null
	assert_failure 2
}

@test "the man page documents every option --help lists" {
	man_opts=$(grep '^\\fB-' "$top_srcdir/share/man/d4c-ship.1" | grep -o '\\fB--[a-z-]*' | sed 's/^\\fB//' | sort -u)
	help_opts=$(d4c-ship --help | grep -o '^  *\(-[a-zA-Z], \)\?--[a-z-]*' | sed 's/.*--/--/' | sort -u)
	assert_equal "$man_opts" "$help_opts"
}

@test "the test double enforces the data-stream contract d4c-ship relies on" {
	esd_start --api-key id1:s3cret
	auth="Authorization: ApiKey $(printf id1:s3cret | base64)"
	body='{"index":{"_index":"logs-cloud_defend.process-default","_id":"x"}}
{"@timestamp":"2026-01-01T00:00:00Z"}
{"create":{"_index":"logs-cloud_defend.process-default","_id":"y"}}
{"no":"timestamp"}
{"create":{"_index":"logs-cloud_defend.process-default","_id":"z"}}
{"@timestamp":"2026-01-01T00:00:00Z"}
{"create":{"_index":"logs-cloud_defend.process-default","_id":"z"}}
{"@timestamp":"2026-01-01T00:00:00Z"}
'
	run curl -sS -H "$auth" -H 'Content-Type: application/x-ndjson' --data-binary "$body" "$URL/_bulk"
	echo "$output" | jq -e '.errors == true and ([.items[][] | .status] == [400, 400, 201, 409])'
	run curl -sS -o /dev/null -w '%{http_code}' -H 'Content-Type: application/x-ndjson' \
		--data-binary "$body" "$URL/_bulk"
	assert_output 401
	run curl -sS -H "$auth" -H 'Content-Type: application/x-ndjson' --data-binary '{"create":{}}' "$URL/_bulk"
	echo "$output" | jq -e '.status == 400'
}

@test "t/field-diff.py counts the fields d4c's templates share with an integration's fields files" {
	d=$T/pkg/data_stream
	mkdir -p "$d/process/fields" "$d/heartbeat/fields"
	cat >"$d/process/fields/fields.yml" <<-'YAML'
	- name: process.pid
	  type: long
	- name: cloud_defend.package_policy_revision
	  type: integer
	- name: cloud_defend # a group
	  type: group
	  fields:
	    - name: not_in_d4c
	      type: keyword
	YAML
	printf -- '- name: cloud_defend.block_action_enabled\n  type: boolean\n' >"$d/heartbeat/fields/fields.yml"
	run /usr/bin/python3 "$top_srcdir/t/field-diff.py" "$T/pkg" "$top_srcdir/share/templates"
	assert_success
	# with the base fields (@timestamp, data_stream.*) every package has
	assert_line --regexp '^logs-cloud_defend.process: integration 7 fields \(1 files\), d4c [0-9]+; both 6 \(same type 5, type differs 1\); only in the integration 1; '
	assert_line '  type differs: cloud_defend.package_policy_revision: integration integer, d4c short'
	assert_line '  only in the integration: cloud_defend.not_in_d4c (keyword)'
	assert_line --regexp '^metrics-cloud_defend.heartbeat: integration 5 fields \(1 files\), d4c [0-9]+; both 5 \(same type 5, '
	run /usr/bin/python3 "$top_srcdir/t/field-diff.py" "$T/nothing"
	assert_failure 2
}
