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
	[ -z "${STORM_PID:-}" ] || kill "$STORM_PID" 2>/dev/null || true
	[ -z "${TMUX_SOCK:-}" ] || tmux -S "$TMUX_SOCK" kill-server 2>/dev/null || true
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
# Nothing to wait for before: d4c-trace detaches its programs, then reads
# what the kernel still holds, so every event of what happened before the
# Ctrl-C is in $T/trace.out once it has exited.
trace_stop() {
	if ! kill -INT "$TRACE_PID" 2>/dev/null; then
		# it ended by itself: say how, and what it said
		TRACE_RC=0
		wait "$TRACE_PID" || TRACE_RC=$?
		TRACE_PID=
		fail "d4c-trace ended before it was stopped (status $TRACE_RC): $(cat "$T/trace.err")"
	fi
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

# True once $T/trace.out has an exec record of ARGS (a JSON array).
traced_exec() {
	traced_execs 2>/dev/null | grep -qxF -- "$1"
}

# A program named NAME (its process name is NAME): a copy of /bin/true
# (d4c-load names a process after its executable, a link after its target).
named_true() {
	cp /bin/true "$T/$1"
	echo "$T/$1"
}

# The recorded NDJSON of t/trace-render.ndjson: d4c-load --host | d4c-enrich
# on this kind of machine, while a shell made, renamed and deleted a file
# and a runc container ('web', pod 'web-5f7c') ran cat.
FIXTURE="$top_srcdir/t/trace-render.ndjson"

# A terminal of 80 columns and 24 lines (tmux), running bash; the screen
# is read with term_screen.
term_start() {
	command -v tmux >/dev/null || skip "tmux is not installed (Debian package tmux)"
	TERM_N=$((${TERM_N:-0} + 1))
	TMUX_SOCK="$T/tmux.$TERM_N.sock"
	# history kept for term_wait: a busy node scrolls fast
	echo 'set -g history-limit 100000' >"$T/tmux.conf"
	# -echoctl: the tty would echo Ctrl-C as "^C" into the middle of
	# whatever row is being drawn, making it wider than the terminal
	tmux -S "$TMUX_SOCK" -f "$T/tmux.conf" new-session -d -x 80 -y 24 -s t \
		"stty -echoctl; env PS1='$ ' TZ=UTC bash --norc"
	# keys typed before the prompt would be echoed twice
	term_wait '^\$$'
}

# Types LINE into the terminal, then Enter, once the shell prompts: keys
# typed while the last command still runs are echoed twice (the tty's echo,
# then readline's), which a busy machine made a wrapped line (CI, once).
term_type() {
	for _ in $(seq 1 300); do
		[ "$(term_screen | grep -v '^$' | tail -n 1)" = '$' ] && break
		sleep 0.1
	done
	tmux -S "$TMUX_SOCK" send-keys -t t -l "$1"
	tmux -S "$TMUX_SOCK" send-keys -t t Enter
}

# The screen as the terminal shows it: one line per row, trailing spaces
# trimmed (with -J: a line that wrapped is one line again).
term_screen() {
	tmux -S "$TMUX_SOCK" capture-pane -p -t t "$@" | sed 's/ *$//'
}

# Waits (at most 30 s) until the screen or what scrolled off it shows
# PATTERN (a grep -E regex).
term_wait() {
	for _ in $(seq 1 300); do
		term_screen -S - | grep -qE -- "$1" && return 0
		sleep 0.1
	done
	term_screen >&2
	echo "the terminal did not show '$1' in 30 s" >&2
	return 1
}

# Fails unless no row of the terminal wrapped and every line fits 80 columns.
assert_no_wrapping() {
	[ "$(term_screen | wc -l)" -eq "$(term_screen -J | wc -l)" ] ||
		fail "a line wrapped:
$(term_screen -J)"
	run awk 'length($0) > 80' <(term_screen -J)
	assert_output ""
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
	# the tree is seen while processes outside it run
	wait_for traced_exec '["/bin/echo","inside"]'
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
	trace_stop
	run traced_execs
	assert_output "[\"$yes\"]"
	trace_start -j -t exec -n 'zzq-y*'
	"$yes"; "$no"; "$also"
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
	ctr_create box1 -- sleep 3600
	ctr_create box2 -- sleep 3600
	ctr_start box1
	ctr_start box2
	trace_start -t exec -c box1
	ctr_exec box1 /bin/echo in-box1
	ctr_exec box2 /bin/echo in-box2
	/bin/echo on-host >/dev/null
	trace_stop
	run grep -c ' exec ' "$T/trace.out"
	assert_output 1
	assert_regex "$(grep ' exec ' "$T/trace.out")" '^[0-9:.]+ box1 +[0-9]+ +[0-9]+ +0 +echo +exec +/bin/echo in-box1$'
	# by id prefix, as JSON with the container's context
	trace_start -j -t exec -c "$(ctr_id box2 | cut -c1-12)"
	ctr_exec box1 /bin/echo in-box1
	ctr_exec box2 /bin/echo in-box2
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
	ctr_create api --namespace prod-eu --pod api-7d9 -- sleep 3600
	ctr_create web --namespace staging --pod web-1 -- sleep 3600
	ctr_start api
	ctr_start web
	trace_start -j -t exec --namespace 'prod-*'
	ctr_exec api /bin/echo from-api
	ctr_exec web /bin/echo from-web
	/bin/echo from-host >/dev/null
	trace_stop
	run traced_execs
	assert_output '["/bin/echo","from-api"]'
	trace_start -j -t exec --pod web-1
	ctr_exec api /bin/echo from-api
	ctr_exec web /bin/echo from-web
	trace_stop
	run traced_execs
	assert_output '["/bin/echo","from-web"]'
}

@test "--containers-only leaves host processes out" {
	require_runc
	ctr_create box -- sleep 3600
	ctr_start box
	trace_start -j -t exec --containers-only
	/bin/echo on-host >/dev/null
	ctr_exec box /bin/echo in-box
	trace_stop
	run traced_execs
	assert_line '["/bin/echo","in-box"]'
	refute_line '["/bin/echo","on-host"]'
	# its event names the container (another test's container in a cgroup
	# named like conmon's would name none, and may run beside this one)
	run traced '.process.args == ["/bin/echo","in-box"] and (.container.id | type) != "string"'
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

@test "in a terminal of 80 columns no line wraps: no TIME (without -T), no CONTAINER on the host" {
	term_start
	# (the command line must not wrap either; stderr, d4c-trace's own
	# messages, is not the trace)
	term_type 'long=$(printf "x%.0s" $(seq 1 120)); clear'
	term_type 'd4c-trace -t exec,exit -- /bin/true $long 2>/dev/null; echo "done $?"'
	term_wait '^done 0$'
	assert_no_wrapping
	run term_screen
	# the header names only what the rows fill; DETAIL gets the rest
	assert_line --regexp '^ +PID +PPID +UID +COMM +EVENT +DETAIL$'
	refute_output --partial CONTAINER
	# the exec's arguments are cut at the 80th column
	exec=$(grep ' exec ' <<<"$output")
	assert_equal "${#exec}" 80
	assert_regex "$exec" '^ +[0-9]+ +[0-9]+ +0 true +exec +/bin/true x+$'
	assert_line --regexp '^ +[0-9]+ +[0-9]+ +0 true +exit +code 0$'
	# -T: the time too, as execsnoop -T, still within the width
	tmux -S "$TMUX_SOCK" kill-server
	term_start
	term_type 'long=$(printf "x%.0s" $(seq 1 120)); clear'
	term_type 'd4c-trace -T -t exec -- /bin/true $long 2>/dev/null; echo "done $?"'
	term_wait '^done 0$'
	assert_no_wrapping
	run term_screen
	assert_line --regexp '^TIME +PID +PPID +UID +COMM +EVENT +DETAIL$'
	assert_line --regexp '^[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3} +[0-9]+ +[0-9]+ +0 true +exec +/bin/true x+$'
}

@test "in a terminal made narrower, the next lines fit the new width" {
	term_start
	long=$(printf 'w%.0s' $(seq 1 120))
	wide=$(named_true zzq-wide)
	term_type "d4c-trace -t exec -n zzq-wide 2>/dev/null"
	# the header comes once the programs are attached
	term_wait 'PID +PPID +UID +COMM +EVENT +DETAIL'
	"$wide" "$long"
	term_wait 'zzq-wide +exec'
	tmux -S "$TMUX_SOCK" resize-window -t t -x 60 -y 24
	"$wide" "$long"
	for _ in $(seq 1 50); do
		[ "$(term_screen | grep -cE 'zzq-wide +exec')" -ge 2 ] && break
		sleep 0.1
	done
	run grep -E 'zzq-wide +exec' <(term_screen)
	assert_equal "${#lines[@]}" 2
	assert_equal "${#lines[1]}" 60
	tmux -S "$TMUX_SOCK" send-keys -t t C-c
}

@test "--width fits lines outside a terminal too; --width 0 leaves them whole" {
	long=$(printf 'y%.0s' $(seq 1 200))
	run -0 --separate-stderr d4c-trace --width 60 -t exec -- /bin/true "$long"
	run awk 'length($0) > 60' <<<"$output"
	assert_output ""
	run -0 --separate-stderr d4c-trace --width 60 -t exec -- /bin/true "$long"
	assert_line --regexp '^ +PID +PPID +UID +COMM +EVENT +DETAIL$'
	assert_line --regexp '^ +[0-9]+ +[0-9]+ +0 true +exec +/bin/true y+$'
	run -0 --separate-stderr d4c-trace --width 0 -t exec -- /bin/true "$long"
	assert_line --regexp "^[0-9:.]+ - +[0-9]+ +[0-9]+ +0 +true +exec +/bin/true $long\$"
}

@test "the command's output and the trace share a pipe line by line, never within a line" {
	# 200 lines of output from 200 programs, each seen by the trace, all
	# into one pipe: every line is the command's or a whole event
	line=$(printf 'z%.0s' $(seq 1 300))
	run -0 --separate-stderr d4c-trace -j -t exec -- sh -c "for i in \$(seq 1 200); do /bin/echo $line; done"
	run jq -R -r 'if . == "'"$line"'" then "output" else (fromjson | .event.action) end' <<<"$output"
	assert_success
	assert_equal "$(grep -c '^output$' <<<"$output")" 200
	assert_equal "$(grep -c '^exec$' <<<"$output")" 202
}

@test "lost records with a traced tree: system-wide, the tree's share unknown, no wrong number" {
	# a file storm outside the tree fills a 4 KiB ring buffer
	bash -c 'while :; do for i in {1..500}; do : >"$1/storm"; done; done' storm "$T" &
	STORM_PID=$!
	run --separate-stderr d4c-trace --ringbuf-size 4096 -t file -- sleep 2
	kill "$STORM_PID"
	STORM_PID=
	assert_equal "$status" 0
	assert_regex "$stderr" 'd4c-trace: 0 events shown; [1-9][0-9]* events lost system-wide, the traced tree.s share is unknown$'
}

@test "lost records with no filter of d4c-trace's own: the number is the trace's" {
	# -t file --path: the kernel sends only what is shown
	bash -c 'while :; do for i in {1..500}; do : >"$1/storm"; done; done' storm "$T" &
	STORM_PID=$!
	run --separate-stderr d4c-trace --ringbuf-size 4096 -t file --path "$T/*" --duration 2
	kill "$STORM_PID"
	STORM_PID=
	assert_equal "$status" 0
	assert_regex "$stderr" 'd4c-trace: [0-9]+ events shown, [1-9][0-9]* lost$'
}

@test "-n and -N: several names, repeated or comma-separated, and names left out" {
	a=$(named_true zzq-a) b=$(named_true zzq-b) c=$(named_true zzq-c)
	trace_start -j -t exec -n zzq-a,zzq-b -n zzq-c
	"$a"; "$b"; "$c"; /bin/true
	trace_stop
	run traced_execs
	assert_output "[\"$a\"]
[\"$b\"]
[\"$c\"]"
	trace_start -j -t exec -n 'zzq-*' -N zzq-b --exclude-name zzq-c
	"$a"; "$b"; "$c"
	trace_stop
	run traced_execs
	assert_output "[\"$a\"]"
	run d4c-trace -N ,
	assert_equal "$status" 2
	assert_output --partial -- "--exclude-name: empty"
}

@test "-u UID shows one user's processes, by number or by name" {
	# a directory user nobody can reach
	U=$(mktemp -d /tmp/d4c-trace-uid.XXXXXX)
	chmod 755 "$U"
	ln -s /bin/true "$U/zzq-user"
	mine=$U/zzq-user
	trace_start -j -t exec -n zzq-user -u nobody
	"$mine"
	setpriv --reuid=65534 --regid=65534 --clear-groups "$mine"
	trace_stop
	run jq -r .process.user.id "$T/trace.out"
	assert_output 65534
	trace_start -t exec -n zzq-user -u 0,65534
	"$mine"
	setpriv --reuid=65534 --regid=65534 --clear-groups "$mine"
	trace_stop
	run awk '$7 == "exec" { print $5 }' "$T/trace.out"
	assert_output "0
65534"
	rm -r "$U"
	run d4c-trace -u no-such-user-zzq
	assert_equal "$status" 2
	assert_output --partial "no user 'no-such-user-zzq'"
}

@test "-m N: exits after N events; with a command, with the command's status" {
	run --separate-stderr d4c-trace -m 2 -t exec -- sh -c '/bin/true; /bin/true; /bin/true; exit 5'
	assert_equal "$status" 5
	assert_equal "$(grep -c ' exec ' <<<"$output")" 2
	assert_regex "$stderr" 'd4c-trace: 2 events shown'
	# no command: it stops by itself
	yes=$(named_true zzq-max)
	trace_start -t exec -n zzq-max --max 1
	"$yes"
	"$yes"
	for _ in $(seq 1 50); do
		kill -0 "$TRACE_PID" 2>/dev/null || break
		sleep 0.1
	done
	run kill -0 "$TRACE_PID"
	assert_failure
	wait "$TRACE_PID"
	TRACE_PID=
	assert_equal "$(grep -c ' exec ' "$T/trace.out")" 1
}

@test "-x adds the execs that fail, with the reason; -t failed shows those only" {
	touch "$T/not-executable"
	run -0 --separate-stderr d4c-trace -x -t exec -- /bin/sh -c "/nonexistent/zzq a 'b c'; $T/not-executable; /bin/true"
	assert_line --regexp '^[0-9:.]+ - +[0-9]+ +[0-9]+ +0 +sh +exec +/bin/sh -c '
	assert_line --regexp "^[0-9:.]+ - +[0-9]+ +[0-9]+ +0 +sh +exec +\[ENOENT\] /nonexistent/zzq a b c\$"
	assert_line --regexp "^[0-9:.]+ - +[0-9]+ +[0-9]+ +0 +sh +exec +\[EACCES\] $T/not-executable\$"
	assert_line --regexp '^[0-9:.]+ - +[0-9]+ +[0-9]+ +0 +true +exec +/bin/true$'
	# without -x, as before: only what ran
	run -0 --separate-stderr d4c-trace -t exec -- /bin/sh -c "/nonexistent/zzq a; /bin/true"
	refute_output --partial ENOENT
	# only the failures, as JSON: outcome failure, ECS's error fields
	run -0 --separate-stderr d4c-trace -j -t failed -- /bin/sh -c "/nonexistent/zzq a 'b c'; /bin/true"
	assert_equal "${#lines[@]}" 1
	e=${lines[0]}
	assert_equal "$(jq -c .process.args <<<"$e")" '["/nonexistent/zzq","a","b c"]'
	assert_equal "$(jq -r .process.executable <<<"$e")" /nonexistent/zzq
	assert_equal "$(jq -r .event.outcome <<<"$e")" failure
	assert_equal "$(jq -r .error.code <<<"$e")" ENOENT
	# and --render shows them the same way
	run -0 --separate-stderr d4c-trace --render <<<"$e"
	assert_line --regexp '^[0-9:.]+ - +[0-9]+ +[0-9]+ +0 +sh +exec +\[ENOENT\] /nonexistent/zzq a b c$'
}

@test "-x sees failed execs with tracefs (their own tracepoints) and without (raw sys_enter/exit)" {
	# a mount namespace of the test's own: the node's mounts stay as they are
	for tracefs in mounted unmounted; do
		if [ $tracefs = mounted ]; then
			prep='mountpoint -q /sys/kernel/tracing || mount -t tracefs tracefs /sys/kernel/tracing'
		else
			prep='umount /sys/kernel/debug/tracing 2>/dev/null; umount /sys/kernel/tracing 2>/dev/null; true'
		fi
		run -0 --separate-stderr unshare -m sh -c "$prep; exec d4c-trace -j -t failed -- /bin/sh -c '/nonexistent/zzq-$tracefs; /bin/true'"
		assert_equal "$(jq -r .process.executable <<<"$output")" "/nonexistent/zzq-$tracefs"
	done
}

@test "-c takes several containers, -C leaves containers out and host processes in" {
	require_runc
	for b in box1 box2 box3; do
		ctr_create $b -- sleep 3600
		ctr_start $b
	done
	trace_start -j -t exec -c box1,box2
	for b in box1 box2 box3; do ctr_exec $b /bin/echo in-$b; done
	trace_stop
	run traced_execs
	assert_output '["/bin/echo","in-box1"]
["/bin/echo","in-box2"]'
	trace_start -j -t exec -n echo -C box1 --exclude-container "$(ctr_id box3 | cut -c1-8)"
	for b in box1 box2 box3; do ctr_exec $b /bin/echo in-$b; done
	/bin/echo on-host >/dev/null
	trace_stop
	run traced_execs
	assert_line '["/bin/echo","in-box2"]'
	assert_line '["/bin/echo","on-host"]'
	refute_line '["/bin/echo","in-box1"]'
	refute_line '["/bin/echo","in-box3"]'
}

@test "--render shows recorded NDJSON in the columns of tracing" {
	TZ=UTC run --separate-stderr d4c-trace --render <"$FIXTURE"
	assert_success
	assert_output "TIME         CONTAINER          PID    PPID   UID COMM            EVENT   DETAIL
20:12:00.658 -                28847   27671     0 sh              exec    sh -c /bin/echo hello; echo x > /tmp/wtt/fx/work/notes.txt; mv /tmp/wtt/fx/work/notes.txt /tmp/wtt/fx/work/notes.old; rm /tmp/wtt/fx/work/notes.old; exit 3
20:12:00.661 -                28848   28847     0 echo            exec    /bin/echo hello
20:12:00.661 -                28848   28847     0 echo            exit    code 0
20:12:00.662 -                28847   27671     0 sh              create  /tmp/wtt/fx/work/notes.txt
20:12:00.663 -                28850   28847     0 mv              exec    mv /tmp/wtt/fx/work/notes.txt /tmp/wtt/fx/work/notes.old
20:12:00.664 -                28850   28847     0 mv              rename  /tmp/wtt/fx/work/notes.txt -> /tmp/wtt/fx/work/notes.old
20:12:00.664 -                28850   28847     0 mv              exit    code 0
20:12:00.666 -                28852   28847     0 rm              exec    rm /tmp/wtt/fx/work/notes.old
20:12:00.667 -                28852   28847     0 rm              delete  /tmp/wtt/fx/work/notes.old
20:12:00.667 -                28852   28847     0 rm              exit    code 0
20:12:00.667 -                28847   27671     0 sh              exit    code 3
20:12:00.711 web              28870   28856     0 cat             exec    /bin/cat /etc/hostname
20:12:00.711 web              28870   28856     0 cat             exit    code 1"
	# the metric record at the end is d4c's, not an event: not a row
	assert_equal "$stderr" "d4c-trace: 13 events shown"
}

@test "--render: what tracing shows as columns, its -j output renders the same" {
	run -0 --separate-stderr d4c-trace -t exec,exit -j -- /bin/echo hello there
	grep '^{' <<<"$output" >"$T/events.json"
	run -0 --separate-stderr d4c-trace --render <"$T/events.json"
	assert_regex "${lines[0]}" '^TIME +CONTAINER +PID +PPID +UID +COMM +EVENT +DETAIL$'
	assert_regex "${lines[1]}" '^[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3} - +[0-9]+ +[0-9]+ +0 +echo +exec +/bin/echo hello there$'
	assert_regex "${lines[2]}" '^[0-9:.]+ - +[0-9]+ +[0-9]+ +0 +echo +exit +code 0$'
	assert_equal "${#lines[@]}" 3
}

@test "--render reads d4c-load's own output as well as d4c-enrich's" {
	compile_policy <<-'EOF'
	process:
	  selectors:
	    - name: zzq
	      processName: [zzq-load]
	  responses:
	    - match: [zzq]
	      actions: [log]
	EOF
	yes=$(named_true zzq-load)
	load_start --host "$T/policy.d4cp"
	"$yes" one two
	load_stop
	run -0 --separate-stderr d4c-trace --render -t exec <"$T/events.json"
	assert_line --regexp "^[0-9:.]+ - +[0-9]+ +[0-9]+ +0 +zzq-load +exec +$yes one two\$"
	assert_equal "${#lines[@]}" 2
}

@test "--render: a line that is not a d4c event is a warning, ten at most, and never stops it" {
	{
		head -3 "$FIXTURE"
		echo 'not json'
		printf '\0\0\0\n'
		echo '[1, 2]'
		echo '{"event": {"kind": "event"}}'
		head -1 "$FIXTURE" | cut -c1-100
		for i in $(seq 1 20); do echo "garbage $i"; done
		echo
		tail -3 "$FIXTURE"
	} >"$T/mixed.json"
	run -0 --separate-stderr d4c-trace --render <"$T/mixed.json"
	assert_equal "${#lines[@]}" 6
	assert_equal "$(grep -c ' exec \| exit \| create ' <<<"$output")" 5
	run grep -c 'warning: line [0-9]*: not a d4c event' <<<"$stderr"
	assert_output 10
	assert_regex "$stderr" 'warning: line 4: not a d4c event \([^)]*\)'
	assert_regex "$stderr" 'line 7: not a d4c event \(no event.action\)'
	assert_regex "$stderr" 'warning: 15 more lines not d4c events'
	assert_regex "$stderr" 'd4c-trace: 5 events shown, 25 lines not d4c events$'
}

@test "--render takes the filters: -c, -C, -n, -N, -u, -t, -m, --containers-only" {
	rows() {
		d4c-trace --render "$@" <"$FIXTURE" 2>/dev/null | awk 'NR > 1 { print $6, $7 }'
	}
	run rows -c web
	assert_output "cat exec
cat exit"
	run rows --containers-only -t exec
	assert_output "cat exec"
	run rows -C web -N sh,mv -t exec,exit
	assert_output "echo exec
echo exit
rm exec
rm exit"
	run rows -n rm -t file
	assert_output "rm delete"
	run rows -u 1000
	assert_output ""
	run rows -u 0 -m 2
	assert_output "sh exec
echo exec"
	run d4c-trace --render -p 1 </dev/null
	assert_equal "$status" 2
	assert_output --partial "--render shows what it reads"
}

@test "in a terminal --render cuts lines to 80 columns and shows CONTAINER from the first container on" {
	term_start
	term_type "d4c-trace --render < $FIXTURE"
	term_wait 'events shown'
	assert_no_wrapping
	run term_screen
	assert_line --index 1 '    PID    PPID   UID COMM            EVENT   DETAIL'
	assert_line --index 2 '  28847   27671     0 sh              exec    sh -c /bin/echo hello; echo x > /t'
	assert_line --index 12 '  28847   27671     0 sh              exit    code 3'
	assert_line --index 13 'CONTAINER          PID    PPID   UID COMM            EVENT   DETAIL'
	assert_line --index 14 'web              28870   28856     0 cat             exec    /bin/cat /etc/hostn'
}

@test "contrib/setup run: columns on a terminal, NDJSON into a pipe" {
	term_start
	term_type "cd $top_srcdir && sh contrib/setup run"
	term_wait 'PID +PPID +UID +COMM +EVENT +DETAIL'
	# the header comes first, d4c-load attaches a moment later
	yes=$(named_true zzq-main-job)
	for _ in $(seq 1 300); do
		(cd "$T" && ./zzq-main-job main job)
		term_screen -S - | grep -qE "zzq-main-job +exec" && break
		sleep 0.1
	done
	tmux -S "$TMUX_SOCK" send-keys -t t C-c
	term_wait 'events shown'
	# every event is one line of at most 80 columns (the programs'
	# messages on stderr are theirs)
	run awk '/ (exec|fork|exit) / && length($0) > 80' <(term_screen -J -S -)
	assert_output ""
	run term_screen -J -S -
	assert_line --regexp " +[0-9]+ +[0-9]+ +0 zzq-main-job +exec +\./zzq-main-job main job"
	# into a file: the NDJSON, as before
	term_type "clear; sh contrib/setup run > $T/main.json"
	for _ in $(seq 1 300); do
		grep -q '"name":"zzq-main-job"' "$T/main.json" 2>/dev/null && break
		"$yes" into a file
		sleep 0.1
	done
	tmux -S "$TMUX_SOCK" send-keys -t t C-c
	term_wait '^\$$'
	run jq -c 'select(.process.name == "zzq-main-job") | .process.args' "$T/main.json"
	assert_line --partial '"into","a","file"'
}
