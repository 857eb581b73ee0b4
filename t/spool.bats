#!/usr/bin/env bats
# d4c-ship --spool when the spool is not as d4c-ship left it: a wrong acked
# file, segments missing, empty or with a flipped byte, files another user
# could have written, a record only the dead-letter file will take. Nothing
# unacknowledged is deleted, every byte skipped is reported, and nothing
# forged is indexed. Against esd.py, the Elasticsearch test double.

load helpers

GEN="$top_srcdir/bench/ship-gen.py"
EVENT_STREAMS='logs-cloud_defend.process-default logs-cloud_defend.file-default logs-cloud_defend.alerts-default'

setup() {
	common_setup
	ESD_PID=
	esd_start --api-key id1:s3cret
}

teardown() {
	[ -z "$ESD_PID" ] || kill "$ESD_PID" 2>/dev/null || true
}

# Documents the double holds in the event data streams.
indexed() {
	curl -sS --max-time 10 "$URL/_d4c/stats" |
		jq -r "[.docs[\"${EVENT_STREAMS// /\"], .docs[\"}\"] // 0] | add"
}

ship() {
	D4C_ES_API_KEY=id1:s3cret timeout 60 d4c-ship --es "$URL" --metrics-interval 0 \
		--backoff-min 0.05 --backoff-max 1 "$@"
}

# spool_write DIR FIRST PER_SEGMENT: writes the events on stdin as spool
# segments FIRST, FIRST+1, ... of PER_SEGMENT records each, as d4c-ship
# would (lib/ship/spool.h: magic, then per record a little-endian length and
# CRC-32, then the stream number and the line). STREAM, when set, is the
# stream number of every record.
spool_write() {
	mkdir -p -m 700 "$1"
	/usr/bin/python3 -c '
import json, os, struct, sys, zlib
d, seg, per = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
streams = {"cloud_defend.process": 0, "cloud_defend.file": 1, "cloud_defend.alerts": 2}
force = os.environ.get("STREAM")
lines = [l.rstrip(b"\n") for l in sys.stdin.buffer]
for i in range(0, len(lines), per):
    with open("%s/seg-%020d.d4cs" % (d, seg), "wb") as f:
        os.fchmod(f.fileno(), 0o600)
        f.write(b"D4CSPL01")
        for l in lines[i:i + per]:
            s = int(force) if force else streams[json.loads(l)["event"]["dataset"]]
            rec = bytes([s]) + l
            f.write(struct.pack("<II", len(rec), zlib.crc32(rec)) + rec)
    seg += 1
' "$@"
}

@test "an acked file naming a future segment deletes nothing: a warning, and every event is sent" {
	/usr/bin/python3 "$GEN" 1000 | spool_write "$T/spool" 1 100
	echo "99 8" >"$T/spool/acked"
	run ship --spool "$T/spool" </dev/null
	assert_success
	assert_line --partial "warning: spool '$T/spool/acked' names a segment newer than any here (segment 99, offset 8): deleting nothing, sending every segment again"
	assert_equal "$(indexed)" 1000
}

@test "an acked offset past the end of its segment, or negative, deletes nothing" {
	/usr/bin/python3 "$GEN" 300 | spool_write "$T/spool" 1 100
	echo "2 99999999" >"$T/spool/acked"
	run ship --spool "$T/spool" </dev/null
	assert_success
	assert_line --partial "'$T/spool/acked' names a place beyond its segment (segment 2, offset 99999999)"
	assert_equal "$(indexed)" 300
	rm -rf "$T/spool"
	/usr/bin/python3 "$GEN" 300 | spool_write "$T/spool" 1 100
	echo "-1 8" >"$T/spool/acked"
	run ship --spool "$T/spool" </dev/null
	assert_success
	assert_line --partial "'$T/spool/acked': not \"SEGMENT OFFSET\""
	assert_equal "$(indexed)" 300
}

@test "a missing or empty older segment is reported, naming it" {
	/usr/bin/python3 "$GEN" 400 | spool_write "$T/spool" 1 100
	rm "$T/spool/seg-00000000000000000002.d4cs"
	: >"$T/spool/seg-00000000000000000003.d4cs"
	run ship --spool "$T/spool" </dev/null
	assert_success
	assert_line "d4c-ship: warning: spool segment '$T/spool/seg-00000000000000000002.d4cs' is missing: its records are lost"
	assert_line "d4c-ship: warning: spool segment '$T/spool/seg-00000000000000000003.d4cs': bad header, 0 bytes skipped (kept as 'seg-00000000000000000003.d4cs.bad')"
	assert_equal "$(indexed)" 200
}

@test "a flipped byte in the newest segment skips that record alone, with its offset and size" {
	/usr/bin/python3 "$GEN" 50 | spool_write "$T/spool" 1 100
	seg="$T/spool/seg-00000000000000000001.d4cs"
	len=$(od -An -tu4 -j8 -N4 "$seg" | tr -d ' ')
	printf 'X' | dd of="$seg" bs=1 seek=40 conv=notrunc status=none
	run ship --spool "$T/spool" </dev/null
	assert_success
	assert_line "d4c-ship: warning: spool segment '$seg': bad record at offset 8, $((len + 8)) bytes skipped"
	assert_line --partial "0 torn bytes cut, $((len + 8)) corrupt bytes skipped (1 bad records)"
	assert_equal "$(indexed)" 49
}

@test "a spool directory others can write is refused with one line and exit 2; nothing is indexed" {
	printf '{"@timestamp":"2025-11-25T12:00:00Z","event":{"kind":"alert","dataset":"cloud_defend.alerts"},"message":"forged"}\n' |
		spool_write "$T/spool" 1 100
	chmod 777 "$T/spool"
	run ship --spool "$T/spool" </dev/null
	assert_failure 2
	assert_output "d4c-ship: error: '$T/spool' is writable by group or others (mode 0777): refusing it"
	assert_equal "$(indexed)" 0
}

@test "a segment another user owns, or others can write, is refused" {
	/usr/bin/python3 "$GEN" 10 | spool_write "$T/spool" 1 100
	seg="$T/spool/seg-00000000000000000001.d4cs"
	chmod 666 "$seg"
	run ship --spool "$T/spool" </dev/null
	assert_failure 2
	assert_output "d4c-ship: error: '$seg' is writable by group or others (mode 0666): refusing it"
	chmod 600 "$seg"
	if [ "$(id -u)" -eq 0 ]; then
		# d4c-ship keeps no capability: as root it cannot even open
		# nobody's 0600 file (lib/ship/test/spool.c checks the owner test).
		chown 65534:65534 "$seg"
		run ship --spool "$T/spool" </dev/null
		assert_failure 2
		assert_one_line
	fi
	assert_equal "$(indexed)" 0
}

@test "d4c-ship creates the spool directory 0700 and its segments 0600" {
	/usr/bin/python3 "$GEN" 10 >"$T/in"
	run ship --spool "$T/new" <"$T/in"
	assert_success
	assert_equal "$(stat -c %a "$T/new")" 700
	for f in "$T"/new/seg-*.d4cs; do
		assert_equal "$(stat -c %a "$f")" 600
	done
}

@test "a spool whose only record is dead-lettered: d4c-ship ends, and the next run does not send it again" {
	/usr/bin/python3 "$GEN" 1 | STREAM=9 spool_write "$T/spool" 1 100
	run ship --spool "$T/spool" </dev/null
	assert_failure 1
	assert_line --partial "record with no stream, dead-lettered"
	assert_equal "$(wc -l <"$T/spool/dead-letter.ndjson")" 1
	run ship --spool "$T/spool" </dev/null
	assert_success
	refute_output --partial "dead-lettered"
	assert_equal "$(wc -l <"$T/spool/dead-letter.ndjson")" 1
}
