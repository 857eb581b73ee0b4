#!/usr/bin/env bats
# d4c-trace: ad-hoc tracing with no policy file. Each filter shows what it
# should and nothing else, checked against real processes, real files and
# real runc containers (with the cgroups and annotations a Kubernetes node
# gives them; helpers in containers/runc.bash). On this machine's kernel
# BPF LSM is refused, so file events come from the syscall tracepoints:
# the same path d4c-trace takes on any such node, without being asked.

bats_require_minimum_version 1.5.0

load helpers
load containers/runc

setup_file() {
	ctr_setup_file
}

setup() {
	common_setup
	require_bpf
	TRACE_PID=
}

teardown() {
	[ -z "$TRACE_PID" ] || kill -INT "$TRACE_PID" 2>/dev/null || true
	ctr_cleanup
}

# Starts d4c-trace ARGS in the background (stdout in $T/trace.out, stderr
# in $T/trace.err) and returns once its programs are attached.
trace_start() {
	d4c-trace "$@" >"$T/trace.out" 2>"$T/trace.err" &
	TRACE_PID=$!
	wait_started "$TRACE_PID" "$T/trace.err" tracing d4c-trace
}

# Stops it as a user would (Ctrl-C); its exit status is in $TRACE_RC.
trace_stop() {
	kill -INT "$TRACE_PID"
	TRACE_RC=0
	wait "$TRACE_PID" || TRACE_RC=$?
	TRACE_PID=
}

# The JSON records of $T/trace.out that jq filter $1 selects.
traced() {
	jq -c "select($1)" "$T/trace.out"
}

# The command lines of the exec records in $T/trace.out, one per line.
traced_execs() {
	jq -c 'select(.event.action == "exec") | .process.args' "$T/trace.out"
}

# A program named NAME (its process name is NAME): a link to /bin/true.
named_true() {
	ln -sf /bin/true "$T/$1"
	echo "$T/$1"
}

@test "-- COMMAND traces a shell pipeline and its descendants, and exits with its status" {
	run d4c-trace -j -t exec,exit -- sh -c '/bin/echo one | /usr/bin/tr o 0 | /bin/grep -q 0ne; exit 7'
	assert_equal "$status" 7
	# stdout is the events, stderr the summary
	printf '%s\n' "${lines[@]}" | grep '^{' >"$T/trace.out"
	run traced_execs
	assert_line '["sh","-c","/bin/echo one | /usr/bin/tr o 0 | /bin/grep -q 0ne; exit 7"]'
	assert_line '["/bin/echo","one"]'
	assert_line '["/usr/bin/tr","o","0"]'
	assert_line '["/bin/grep","-q","0ne"]'
	assert_equal "${#lines[@]}" 4
	# every traced process is the shell or one of its children
	sh_pid=$(traced '.event.action == "exec" and .process.args[0] == "sh"' | jq .process.pid)
	run traced ".event.action == \"exec\" and .process.pid != $sh_pid and .process.parent.pid != $sh_pid"
	assert_output ""
	# the shell's exit code is in its end record
	assert_equal "$(traced ".event.action == \"end\" and .process.pid == $sh_pid" | jq .process.exit_code)" 7
}

@test "-- COMMAND: a command that cannot be found exits 127, and a killed one 128+signal" {
	run -127 d4c-trace -t exec -- /nonexistent/program
	assert_output --partial "cannot run '/nonexistent/program'"
	run d4c-trace -t exec -- sh -c 'kill -TERM $$'
	assert_equal "$status" 143
}

@test "the summary on exit counts the events shown and lost, and matches the output" {
	run --separate-stderr d4c-trace -j -t exec -- sh -c '/bin/true; /bin/true; /bin/true'
	assert_equal "$status" 0
	assert_equal "${#lines[@]}" 4
	assert_equal "$stderr" "$(printf 'd4c-trace: tracing processes, file events from syscall tracepoints; Ctrl-C to stop\nd4c-trace: 4 events shown, 0 lost')"
}

@test "columns: a header, then time, container, pid, ppid, uid, name, event and detail" {
	run --separate-stderr d4c-trace -t exec,exit -- /bin/echo hello there
	assert_equal "$status" 0
	# the header comes before the command runs; its own output interleaves
	assert_regex "${lines[0]}" '^TIME +CONTAINER +PID +PPID +UID +COMM +EVENT +DETAIL$'
	assert_line "hello there"
	assert_equal "${#lines[@]}" 4
	exec=$(grep ' exec ' <<<"$output")
	assert_regex "$exec" '^[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3} - +[0-9]+ +[0-9]+ +0 +echo +exec +/bin/echo hello there$'
	pid=$(awk '{ print $3 }' <<<"$exec")
	assert_regex "$(grep ' exit ' <<<"$output")" "^[0-9:.]+ - +$pid +[0-9]+ +0 +echo +exit +code 0\$"
	# not a terminal: no colour unless asked
	run -0 d4c-trace --color always -t exec -- /bin/true
	assert_output --partial $'\033[32mexec'
	run -0 d4c-trace -t exec -- /bin/true
	refute_output --partial $'\033['
}

@test "columns: control characters in arguments cannot reach the terminal" {
	run -0 d4c-trace -t exec -- /bin/true $'bad\033[2Jthing'
	assert_output --partial 'bad\x1b[2Jthing'
	refute_output --partial $'\033[2J'
}

@test "-p PID shows that process and its descendants, not the rest of the node" {
	sh -c 'while :; do /bin/echo inside >/dev/null; sleep 0.2; done' &
	tree=$!
	trace_start -j -t exec -p "$tree"
	/bin/echo outside >/dev/null
	sleep 1
	/bin/echo outside >/dev/null
	trace_stop
	kill "$tree"
	assert_equal "$TRACE_RC" 0
	run traced_execs
	assert_line '["/bin/echo","inside"]'
	refute_line '["/bin/echo","outside"]'
	run traced ".process.parent.pid != $tree"
	assert_output ""
}

@test "-n NAME shows only processes of that name, exactly or by prefix" {
	yes=$(named_true zzq-yes) no=$(named_true zzq-no) also=$(named_true zzq-yes2)
	trace_start -j -t exec -n zzq-yes
	"$yes"; "$no"; "$also"
	sleep 0.5
	trace_stop
	run traced_execs
	assert_output "[\"$yes\"]"
	trace_start -j -t exec -n 'zzq-y*'
	"$yes"; "$no"; "$also"
	sleep 0.5
	trace_stop
	run traced_execs
	assert_output "[\"$yes\"]
[\"$also\"]"
}

@test "-t file --path shows create, write, rename and delete under the pattern, nothing else" {
	mkdir "$T/watched" "$T/other"
	trace_start -j -t file --path "$T/watched/**"
	echo x >"$T/watched/a"
	echo y >>"$T/watched/a"
	mv "$T/watched/a" "$T/watched/b"
	rm "$T/watched/b"
	echo z >"$T/other/c"
	sleep 0.5
	trace_stop
	assert_equal "$TRACE_RC" 0
	run jq -r '[.event.action, .file.path, (.file.Ext.original.path // "")] | join(" ")' "$T/trace.out"
	assert_output "creation $T/watched/a 
open $T/watched/a 
rename $T/watched/b $T/watched/a
deletion $T/watched/b "
	# the same in columns
	trace_start -t file --path "$T/watched/*"
	echo x >"$T/watched/d"
	echo y >>"$T/watched/d"
	mv "$T/watched/d" "$T/watched/e"
	rm "$T/watched/e"
	sleep 0.5
	trace_stop
	run awk 'NR > 1 { print $7, $8, $9, $10 }' "$T/trace.out"
	assert_output "create $T/watched/d  
write $T/watched/d  
rename $T/watched/d -> $T/watched/e
delete $T/watched/e  "
}

@test "-t limits the kinds: exec only shows no forks, exits or files" {
	run -0 d4c-trace -j -t exec -- sh -c '/bin/true; echo x >/dev/null; /bin/true'
	printf '%s\n' "${lines[@]}" | grep '^{' | jq -r .event.action | sort -u >"$T/kinds"
	assert_equal "$(cat "$T/kinds")" exec
	run -0 d4c-trace -j -t fork,exit -- sh -c '/bin/true & wait'
	printf '%s\n' "${lines[@]}" | grep '^{' | jq -r .event.action | sort -u >"$T/kinds"
	assert_equal "$(cat "$T/kinds")" "end
fork"
}

@test "-c NAME and -c ID show one container only; the CONTAINER column names it" {
	require_runc
	ctr_create box1 -- sleep 30
	ctr_create box2 -- sleep 30
	ctr_start box1
	ctr_start box2
	trace_start -t exec -c box1
	ctr_exec box1 /bin/echo in-box1
	ctr_exec box2 /bin/echo in-box2
	/bin/echo on-host >/dev/null
	sleep 0.5
	trace_stop
	run grep -c ' exec ' "$T/trace.out"
	assert_output 1
	assert_regex "$(grep ' exec ' "$T/trace.out")" '^[0-9:.]+ box1 +[0-9]+ +[0-9]+ +0 +echo +exec +/bin/echo in-box1$'
	# by id prefix, as JSON with the container's context
	trace_start -j -t exec -c "$(ctr_id box2 | cut -c1-12)"
	ctr_exec box1 /bin/echo in-box1
	ctr_exec box2 /bin/echo in-box2
	sleep 0.5
	trace_stop
	run traced_execs
	assert_output '["/bin/echo","in-box2"]'
	e=$(cat "$T/trace.out")
	assert_equal "$(jq -r .container.id <<<"$e")" "$(ctr_id box2)"
	assert_equal "$(jq -r .container.name <<<"$e")" box2
	assert_equal "$(jq -r .container.runtime <<<"$e")" containerd
	assert_equal "$(jq -r .container.image.name <<<"$e")" busybox
	assert_equal "$(jq -r .container.image.tag <<<"$e")" 1.35
	assert_equal "$(jq -r .orchestrator.resource.name <<<"$e")" box2-pod
	assert_equal "$(jq -r .orchestrator.resource.id <<<"$e")" "$(cat "$T/containers/box2/pod-uid")"
	assert_equal "$(jq -r .orchestrator.namespace <<<"$e")" default
}

@test "--pod and --namespace select containers by their pod, in the kernel" {
	require_runc
	ctr_create api --namespace prod-eu --pod api-7d9 -- sleep 30
	ctr_create web --namespace staging --pod web-1 -- sleep 30
	ctr_start api
	ctr_start web
	trace_start -j -t exec --namespace 'prod-*'
	ctr_exec api /bin/echo from-api
	ctr_exec web /bin/echo from-web
	/bin/echo from-host >/dev/null
	sleep 0.5
	trace_stop
	run traced_execs
	assert_output '["/bin/echo","from-api"]'
	trace_start -j -t exec --pod web-1
	ctr_exec api /bin/echo from-api
	ctr_exec web /bin/echo from-web
	sleep 0.5
	trace_stop
	run traced_execs
	assert_output '["/bin/echo","from-web"]'
}

@test "--containers-only leaves host processes out" {
	require_runc
	ctr_create box -- sleep 30
	ctr_start box
	trace_start -j -t exec --containers-only
	/bin/echo on-host >/dev/null
	ctr_exec box /bin/echo in-box
	sleep 0.5
	trace_stop
	run traced_execs
	assert_line '["/bin/echo","in-box"]'
	refute_line '["/bin/echo","on-host"]'
	run traced '(.container.id | type) != "string"'
	assert_output ""
}

@test "-j writes records that validate against the event schema" {
	mkdir "$T/w"
	run --separate-stderr d4c-trace -j --path "$T/w/**" -- sh -c "/bin/echo a >$T/w/f; mv $T/w/f $T/w/g; rm $T/w/g"
	assert_equal "$status" 0
	printf '%s\n' "${lines[@]}" >"$T/trace.out"
	run /usr/bin/python3 "$top_srcdir/t/validate-events.py" "$T/trace.out"
	assert_success
	assert_output --regexp '^[0-9]+ records valid$'
	run jq -r .event.action "$T/trace.out"
	assert_line exec
	assert_line fork
	assert_line end
	assert_line creation
	assert_line rename
	assert_line deletion
}

@test "--duration stops by itself; Ctrl-C leaves nothing attached" {
	run -0 --separate-stderr d4c-trace -t exec --duration 1
	assert_regex "$stderr" 'd4c-trace: [0-9]+ events shown, 0 lost$'
	trace_start -t exec
	# the programs it holds, from its descriptors (links name their program)
	ids=$(cat /proc/"$TRACE_PID"/fdinfo/* 2>/dev/null | awk '$1 == "prog_id:" { print $2 }' | sort -u)
	[ "$(wc -w <<<"$ids")" -ge 3 ]
	for id in $ids; do
		bpftool prog show id "$id" >/dev/null
	done
	trace_stop
	assert_equal "$TRACE_RC" 0
	# the kernel frees a program a moment after its last reference goes
	for id in $ids; do
		for _ in $(seq 1 50); do
			bpftool prog show id "$id" >/dev/null 2>&1 || break
			sleep 0.1
		done
		run bpftool prog show id "$id"
		assert_failure
	done
}

@test "bad options: one line naming the option, exit 2, nothing traced" {
	run d4c-trace --path etc/passwd
	assert_equal "$status" 2
	assert_one_line
	assert_output --regexp "^d4c-trace: error: option '--path': .*absolute"
	run d4c-trace --path '/etc/*.conf'
	assert_equal "$status" 2
	assert_output --partial "option '--path'"
	run d4c-trace -t exec,bogus
	assert_equal "$status" 2
	assert_output --partial "unknown kind 'bogus'"
	run d4c-trace -t exec --path /etc/passwd
	assert_equal "$status" 2
	run d4c-trace -n this-name-is-too-long
	assert_equal "$status" 2
	run d4c-trace -p 0
	assert_equal "$status" 2
	run d4c-trace -p 4000000
	assert_equal "$status" 2
	assert_output --partial "no process 4000000"
	run d4c-trace -p 1 -- /bin/true
	assert_equal "$status" 2
	run d4c-trace --duration 0
	assert_equal "$status" 2
	run d4c-trace --pod '"x: y'
	assert_equal "$status" 2
	assert_output --partial "option '--pod'"
}
