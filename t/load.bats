#!/usr/bin/env bats
# d4c-load on this machine's own kernel: real processes give fork, exec
# and exit events with the right fields, decided in the kernel by the
# policy; bad blobs and impossible requests are refused; nothing stays
# attached after Ctrl-C. (Enforcement with BPF LSM: t/vm/.)

load helpers

setup() {
	common_setup
	require_bpf
	mkdir -p "$T/bin" "$T/wd"
	cp /bin/echo "$T/bin/d4cecho"
	cp /bin/dash "$T/bin/d4csh"
}

teardown() {
	[ -z "${LOAD_PID:-}" ] || kill -INT "$LOAD_PID" 2>/dev/null || true
	# a failed --pin test must not leave programs attached to the node
	if [ -n "${pin:-}" ] && [ -e "$pin" ]; then
		wait "${LOAD_PID:-}" 2>/dev/null || true
		d4c-load --unpin "$pin" >/dev/null 2>&1 || true
	fi
}

# Waits (at most 5 s: the kernel frees programs a moment after their last
# link goes) until none of the program ids in $1 is loaded; prints those left.
progs_left() {
	local left
	for _ in $(seq 1 50); do
		left=$(bpftool -j prog show | jq -r '.[].id' | sort | comm -12 - <(echo "$1"))
		[ -z "$left" ] && break
		sleep 0.1
	done
	echo "$left"
}

exec_policy() {
	compile_policy <<-YAML
	process:
	  selectors:
	    - name: testBinaries
	      operation: [exec]
	      processExecutable: ['$T/bin/*']
	    - name: testShellForks
	      operation: [fork]
	      processExecutable: ['$T/bin/d4csh']
	  responses:
	    - match: [testBinaries, testShellForks]
	      actions: [log]
	YAML
}

@test "--probe tells what the kernel supports, as JSON" {
	run d4c-load --probe
	assert_success
	echo "$output" | jq -e '.btf == true and .ringbuf == true' >/dev/null
	echo "$output" | jq -e '.features.block == .bpf_lsm.usable' >/dev/null
	echo "$output" | jq -e '.features.process_events == true' >/dev/null
}

@test "--probe names the build of the kernel programs that loads here, and why" {
	run d4c-load --probe
	assert_success
	# this kernel (6.18) has bpf_loop; 5.10 takes the bounded build (t/vm-kernel-5.10.sh)
	echo "$output" | jq -e '.programs.bpf_loop == true and .programs.variant == "bpf_loop"
		and .programs.why == "the kernel has bpf_loop"
		and .programs.path_rename == "with flags (5.19 and later)"' >/dev/null
	run env D4C_BPF_VARIANT=bounded d4c-load --probe
	echo "$output" | jq -e '.programs.variant == "bounded"
		and .programs.why == "D4C_BPF_VARIANT=bounded"' >/dev/null
	run env D4C_BPF_VARIANT=loops d4c-load --probe
	assert_success
	assert_line --partial "D4C_BPF_VARIANT: 'loops' is neither 'bpf_loop' nor 'bounded'"
}

@test "the bounded build (kernels before 5.17) loads here and decides execs and deep paths alike" {
	d=$T/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q/r/s/t
	mkdir -p "$d"
	cp /bin/true "$T/d4ctrue"
	compile_policy <<-YAML
	file:
	  selectors:
	    - name: deep
	      operation: [createFile]
	      targetFilePath: ['$T/a/**']
	  responses:
	    - match: [deep]
	      actions: [log]
	process:
	  selectors:
	    - name: t
	      operation: [exec]
	      processExecutable: ['$T/d4ctrue']
	  responses:
	    - match: [t]
	      actions: [log]
	YAML
	D4C_BPF_VARIANT=bounded load_start --host "$T/policy.d4cp"
	"$T/d4ctrue"
	echo x >"$d/new"
	echo x >"$T/other"
	load_stop
	assert_equal "$LOAD_RC" 0
	grep -q "kernel programs: the 'bounded' build (D4C_BPF_VARIANT=bounded)" "$T/load.err"
	assert_equal "$(events '.event.action == "exec"' | jq -r .process.executable)" "$T/d4ctrue"
	assert_equal "$(events '.event.action == "creation"' | jq -r .file.path)" "$d/new"
}

@test "an exec gives one event with pid, ppid, executable, args, cwd and uid" {
	exec_policy
	load_start --host "$T/policy.d4cp"
	(cd "$T/wd" && sh -c 'echo $$ $PPID >"$1"; exec "$2" hello "wor ld"' sh "$T/pids" "$T/bin/d4cecho") >/dev/null
	/bin/true # not in the policy: no event
	load_stop
	assert_equal "$LOAD_RC" 0
	read -r pid ppid <"$T/pids"
	run events '.event.action == "exec"'
	assert_one_line
	e=$output
	assert_equal "$(jq -r .process.pid <<<"$e")" "$pid"
	assert_equal "$(jq -r .process.parent.pid <<<"$e")" "$ppid"
	assert_equal "$(jq -r .process.executable <<<"$e")" "$T/bin/d4cecho"
	assert_equal "$(jq -c .process.args <<<"$e")" "[\"$T/bin/d4cecho\",\"hello\",\"wor ld\"]"
	assert_equal "$(jq -r .process.args_count <<<"$e")" 3
	assert_equal "$(jq -r .process.working_directory <<<"$e")" "$T/wd"
	assert_equal "$(jq -r .process.name <<<"$e")" d4cecho
	assert_equal "$(jq -r .process.user.id <<<"$e")" "$(id -u)"
	assert_equal "$(jq -r .process.interactive <<<"$e")" false
	assert_equal "$(jq -c .cloud_defend.matched_selectors <<<"$e")" '["testBinaries"]'
	assert_equal "$(jq -r .cloud_defend.hook_point <<<"$e")" tracepoint__sched_process_exec
	assert_equal "$(jq -r .event.dataset <<<"$e")" cloud_defend.process
	# and its end, with the exit code
	run events ".event.action == \"end\" and .process.pid == $pid"
	assert_one_line
	assert_equal "$(jq -r .process.exit_code <<<"$output")" 0
}

@test "a fork gives an event for the child, with its parent" {
	exec_policy
	load_start --host "$T/policy.d4cp"
	"$T/bin/d4csh" -c 'echo $$ >"$1"; /bin/true; (exit 3); true' sh "$T/shpid"
	load_stop
	shpid=$(cat "$T/shpid")
	run events ".event.action == \"fork\" and .process.parent.pid == $shpid"
	[ "${#lines[@]}" -ge 2 ] || fail "expected at least 2 forks of $shpid, got: $output"
	assert_equal "$(jq -r .process.executable <<<"${lines[0]}")" "$T/bin/d4csh"
	assert_equal "$(jq -r '.process.pid != .process.parent.pid' <<<"${lines[0]}")" true
	# the subshell that exits 3 is seen ending with 3
	run events '.event.action == "end" and .process.exit_code == 3'
	assert_one_line
}

@test "processName with a trailing '*' and sessionLeaderInteractive" {
	compile_policy <<-'YAML'
	process:
	  selectors:
	    - name: interactiveEchoes
	      operation: [exec]
	      processName: ['d4cec*']
	      sessionLeaderInteractive: true
	  responses:
	    - match: [interactiveEchoes]
	      actions: [alert]
	YAML
	load_start --host "$T/policy.d4cp"
	"$T/bin/d4cecho" not-interactive >/dev/null </dev/null
	script -qec "$T/bin/d4cecho on-a-tty" /dev/null >/dev/null </dev/null
	load_stop
	run events '.event.action == "exec"'
	assert_one_line
	assert_equal "$(jq -c .process.args <<<"$output")" "[\"$T/bin/d4cecho\",\"on-a-tty\"]"
	assert_equal "$(jq -r .process.interactive <<<"$output")" true
	assert_equal "$(jq -r .event.kind <<<"$output")" alert
	assert_equal "$(jq -r .event.dataset <<<"$output")" cloud_defend.alerts
}

@test "without --host, processes outside containers are not subject to the policy" {
	exec_policy
	load_start "$T/policy.d4cp"
	"$T/bin/d4cecho" hello >/dev/null
	load_stop
	run events 'true'
	assert_output ""
}

@test "the last record counts what was produced, delivered and lost" {
	exec_policy
	load_start --host "$T/policy.d4cp"
	for i in 1 2 3 4 5; do "$T/bin/d4cecho" $i >/dev/null; done
	load_stop
	m=$(tail -n 1 "$T/events.json")
	assert_equal "$(jq -r .event.kind <<<"$m")" metric
	assert_equal "$(jq -r .d4c.final <<<"$m")" true
	assert_equal "$(jq -r '.d4c.produced == .d4c.delivered + .d4c.lost' <<<"$m")" true
	[ "$(jq -r .d4c.delivered <<<"$m")" -ge 10 ] # 5 execs and 5 ends at least
	assert_equal "$(events '.event.action == "exec"' | wc -l)" 5
}

@test "Ctrl-C detaches every program" {
	exec_policy
	load_start --host "$T/policy.d4cp"
	# this d4c-load's programs (others may run at the same time): from its fds
	ids=$(cat /proc/"$LOAD_PID"/fdinfo/* 2>/dev/null | sed -n 's/^prog_id:[[:space:]]*//p' | sort -u)
	[ "$(echo "$ids" | wc -w)" -ge 4 ] || fail "d4c-load's programs are not loaded: $ids"
	bpftool -j prog show | jq -r '.[].id' | grep -qxF "$(echo "$ids" | head -n 1)"
	load_stop
	assert_equal "$LOAD_RC" 0
	assert_equal "$(progs_left "$ids")" ""
}

@test "the policy in force is told on one status line, not as a warning" {
	exec_policy
	load_start --host "$T/policy.d4cp"
	load_stop
	run grep 'in force' "$T/load.err"
	assert_output --regexp '^d4c-load: policy revision 0 \([0-9a-f]{12}\) in force, (enforcing with BPF LSM|observing \(no BPF LSM\)), host processes included$'
}

@test "a blob that others can write is refused" {
	exec_policy
	chmod 666 "$T/policy.d4cp"
	run d4c-load --host "$T/policy.d4cp"
	assert_failure 1
	assert_output --partial "is writable by group or others"
	assert_one_line
}

@test "a corrupt, truncated or foreign blob is refused with one line" {
	exec_policy
	cp "$T/policy.d4cp" "$T/flip.d4cp"
	printf '\377' | dd of="$T/flip.d4cp" bs=1 seek=200 conv=notrunc status=none
	head -c 100 "$T/policy.d4cp" >"$T/short.d4cp"
	cp "$T/policy.yaml" "$T/yaml.d4cp"
	chmod 600 "$T"/*.d4cp
	for b in flip short yaml; do
		run d4c-load --host "$T/$b.d4cp"
		assert_failure 1
		assert_output --partial "$T/$b.d4cp"
		assert_one_line
	done
	run d4c-load --host "$T/missing.d4cp"
	assert_failure 2
	assert_output --partial "cannot open"
}

@test "a blocking policy is refused where BPF LSM is not usable, unless --monitor" {
	d4c-load --probe | jq -e '.bpf_lsm.usable == false' >/dev/null ||
		skip "BPF LSM is usable here: this is the kernel without it (see t/vm/)"
	compile_policy <<-YAML
	process:
	  selectors:
	    - name: noEcho
	      operation: [exec]
	      processName: [d4cecho]
	  responses:
	    - match: [noEcho]
	      actions: [alert, block]
	YAML
	run d4c-load --host "$T/policy.d4cp"
	assert_failure 3
	assert_output --partial "lsm=...,bpf"
	load_start --host --monitor "$T/policy.d4cp"
	run "$T/bin/d4cecho" still-runs
	assert_success
	load_stop
	run events '.event.action == "exec"'
	assert_one_line
	assert_equal "$(jq -r .cloud_defend.monitor_only <<<"$output")" true
	assert_equal "$(jq -r .event.outcome <<<"$output")" success
}

@test "usage errors exit 2" {
	run d4c-load
	assert_failure 2
	run d4c-load --ringbuf-size 1000 x
	assert_failure 2
	assert_output --partial "power of two"
}

@test "SIGHUP swaps the policy without losing an event, each naming its revision" {
	policy_rev() { # NAME REVISION: log the test binary's execs as selector NAME
		cat >"$T/p.yaml" <<-YAML
		process:
		  selectors:
		    - name: $1
		      operation: [exec]
		      processExecutable: ['$T/bin/d4cecho']
		  responses:
		    - match: [$1]
		      actions: [log]
		YAML
		d4c-policy compile --revision "$2" -o "$T/policy.d4cp.new" "$T/p.yaml"
		chmod 600 "$T/policy.d4cp.new"
		mv "$T/policy.d4cp.new" "$T/policy.d4cp"
	}
	policy_rev before 1
	load_start --host "$T/policy.d4cp"
	n=300
	: >"$T/done"
	(for i in $(seq 1 $n); do "$T/bin/d4cecho" $i; echo "$i" >>"$T/done"; done >/dev/null) &
	loop=$!
	# swap mid-stream: once the loop is well under way, not after a guess of time
	for _ in $(seq 1 300); do [ "$(wc -l <"$T/done")" -ge 50 ] && break; sleep 0.05; done
	[ "$(wc -l <"$T/done")" -lt "$n" ] || fail "the loop ended before the swap: make n larger"
	policy_rev after 2
	kill -HUP "$LOAD_PID"
	wait "$loop"
	for _ in $(seq 1 50); do grep -q 'revision 2 .* in force' "$T/load.err" && break; sleep 0.1; done
	load_stop
	grep -q 'revision 2 .* in force' "$T/load.err" || fail "no swap: $(cat "$T/load.err")"
	# the swap is news, not a problem: a status line without "warning:"
	run grep 'revision 2 .* in force' "$T/load.err"
	assert_output --regexp '^d4c-load: policy revision 2 \([0-9a-f]{12}\) in force$'
	# every exec is there, decided by one policy or the other, old ones first
	run events '.event.action == "exec"'
	assert_equal "${#lines[@]}" "$n"
	revs=$(events '.event.action == "exec"' | jq -r '.cloud_defend.package_policy_revision' | uniq | tr '\n' ' ')
	assert_equal "$revs" "1 2 "
	assert_equal "$(events '.cloud_defend.package_policy_revision == 1' | jq -r '.cloud_defend.matched_selectors[0]' | sort -u)" before
	assert_equal "$(events '.cloud_defend.package_policy_revision == 2' | jq -r '.cloud_defend.matched_selectors[0]' | sort -u)" after
}

@test "damaged blobs never crash it: 300 mutations, each refused with one line" {
	exec_policy
	size=$(stat -c %s "$T/policy.d4cp")
	RANDOM=7
	for i in $(seq 1 300); do
		cp "$T/policy.d4cp" "$T/m.d4cp"
		case $((i % 3)) in
		0) truncate -s $((RANDOM % size)) "$T/m.d4cp" ;;
		*) printf "\\$(printf %o $((RANDOM % 256)))" |
			dd of="$T/m.d4cp" bs=1 seek=$((RANDOM % size)) conv=notrunc status=none ;;
		esac
		cmp -s "$T/m.d4cp" "$T/policy.d4cp" && continue # the byte was already there
		chmod 600 "$T/m.d4cp"
		rc=0
		d4c-load --host "$T/m.d4cp" >"$T/m.out" 2>"$T/m.err" || rc=$?
		[ "$rc" -eq 1 ] || fail "mutation $i: exit status $rc: $(cat "$T/m.err")"
		[ "$(wc -l <"$T/m.err")" -eq 1 ] || fail "mutation $i: $(cat "$T/m.err")"
		[ ! -s "$T/m.out" ] || fail "mutation $i wrote events"
	done
}

@test "without BPF LSM, file operations come from the syscall tracepoints" {
	d4c-load --probe | jq -e '.bpf_lsm.usable == false' >/dev/null ||
		skip "BPF LSM is usable here: file events come from the LSM hooks (t/vm/)"
	mkdir -p "$T/files/sub"
	echo data >"$T/files/existing"
	echo data >"$T/files/doomed"
	echo data >"$T/files/moving"
	echo data >"$T/files/tool"
	chmod 755 "$T/files/tool"
	compile_policy <<-YAML
	file:
	  selectors:
	    - name: files
	      targetFilePath: ['$T/files/**']
	    - name: executables
	      operation: [createExecutable, modifyExecutable]
	      targetFilePath: ['$T/files/**']
	  responses:
	    - match: [files]
	      actions: [log]
	    - match: [executables]
	      actions: [alert]
	YAML
	load_start --host "$T/policy.d4cp"
	(
		cd "$T/files/sub"
		echo new >../created            # relative to the working directory
		echo more >>"$T/files/existing"
		rm ../doomed
		mv "$T/files/moving" "$T/files/./sub/../moved"
		ln "$T/files/existing" "$T/files/hardlink"
		chmod +x "$T/files/existing"
		truncate -s 1 "$T/files/created"
		echo x >>"$T/files/tool"
	)
	echo ignored >"$T/elsewhere"
	load_stop
	e() { events ".event.kind == \"event\" and $1"; }
	assert_equal "$(e '.event.action == "creation"' | jq -r .file.path)" "$T/files/created"
	assert_equal "$(e '.event.action == "creation"' | jq -r .cloud_defend.hook_point)" tracepoint__syscalls__open
	assert_equal "$(e '.event.action == "open" and .file.path == "'"$T/files/existing"'"' | wc -l)" 1
	assert_equal "$(e '.event.action == "deletion"' | jq -r .file.path)" "$T/files/doomed"
	run e '.event.action == "rename"'
	assert_one_line
	assert_equal "$(jq -r .file.path <<<"$output")" "$T/files/moved"
	assert_equal "$(jq -r .file.Ext.original.path <<<"$output")" "$T/files/moving"
	assert_equal "$(e '.event.action == "link"' | jq -r .file.path)" "$T/files/hardlink"
	run e '.cloud_defend.hook_point == "tracepoint__syscalls__chmod"'
	assert_one_line
	assert_equal "$(jq -r .file.path <<<"$output")" "$T/files/existing"
	assert_equal "$(jq -r .file.mode <<<"$output")" 0755
	# chmod +x gave the file an execute bit; writing to 'tool' modified one
	run events '.event.kind == "alert"'
	assert_equal "${#lines[@]}" 2
	assert_equal "$(events '.event.kind == "alert"' | jq -r .file.path | sort | tr '\n' ' ')" \
		"$T/files/existing $T/files/tool "
	run events ".file.path == \"$T/elsewhere\""
	assert_output ""
}

@test "without BPF LSM, a symlink, a FIFO and a device node made are created files, relative paths too" {
	d4c-load --probe | jq -e '.bpf_lsm.usable == false' >/dev/null ||
		skip "BPF LSM is usable here: file events come from the LSM hooks (t/vm/)"
	mkdir -p "$T/files/sub"
	compile_policy <<-YAML
	file:
	  selectors:
	    - name: created
	      operation: [createFile]
	      targetFilePath: ['$T/files/**']
	  responses:
	    - match: [created]
	      actions: [log]
	YAML
	load_start --host "$T/policy.d4cp"
	(
		cd "$T/files/sub"
		ln -s /etc/hostname "$T/files/link"  # symlinkat (coreutils) or symlink
		ln -s /etc/hostname ../rellink
		mkfifo "$T/files/fifo"
		mknod ../null c 1 3
	)
	ln -s /etc/hostname "$T/elsewhere"
	load_stop
	e() { events ".event.action == \"creation\" and $1"; }
	assert_equal "$(e '.cloud_defend.hook_point == "tracepoint__syscalls__symlink"' |
		jq -r .file.path | sort | tr '\n' ' ')" "$T/files/link $T/files/rellink "
	assert_equal "$(e '.cloud_defend.hook_point == "tracepoint__syscalls__mknod"' |
		jq -r .file.path | sort | tr '\n' ' ')" "$T/files/fifo $T/files/null "
	assert_equal "$(e ".file.path == \"$T/files/fifo\"" | jq -r .file.mode)" 0644
	run events ".file.path == \"$T/elsewhere\""
	assert_output ""
}

@test "--pin keeps the programs attached after exit, until --unpin removes them" {
	exec_policy
	pin=/sys/fs/bpf/d4c-test-$$
	load_start --host --pin "$pin" "$T/policy.d4cp"
	ids=$(cat /proc/"$LOAD_PID"/fdinfo/* 2>/dev/null | sed -n 's/^prog_id:[[:space:]]*//p' | sort -u)
	load_stop
	assert_equal "$LOAD_RC" 0
	grep -q "d4c-load --unpin $pin" "$T/load.err"
	# A control in place of a grace period: the same programs unpinned, let
	# go after these, are freed, so whatever the pinned run let go is too.
	load_start --host "$T/policy.d4cp"
	unpinned=$(cat /proc/"$LOAD_PID"/fdinfo/* 2>/dev/null |
		sed -n 's/^prog_id:[[:space:]]*//p' | sort -u)
	load_stop
	[ -n "$unpinned" ] || fail "no programs of the unpinned run"
	assert_equal "$(progs_left "$unpinned")" ""
	left=$(bpftool -j prog show | jq -r '.[].id' | sort | comm -12 - <(echo "$ids"))
	assert_equal "$left" "$ids"
	[ -e "$pin/sched_exec" ]
	run d4c-load --unpin "$pin"
	assert_success
	[ ! -e "$pin" ]
	assert_equal "$(progs_left "$ids")" ""
	run d4c-load --unpin /tmp
	assert_failure 2
	assert_output --partial "not on a BPF file system"
}

@test "once loaded, it keeps only CAP_BPF" {
	exec_policy
	load_start --host "$T/policy.d4cp"
	eff=$(sed -n 's/^CapEff:[[:space:]]*//p' /proc/"$LOAD_PID"/status)
	bnd=$(sed -n 's/^CapBnd:[[:space:]]*//p' /proc/"$LOAD_PID"/status)
	nnp=$(sed -n 's/^NoNewPrivs:[[:space:]]*//p' /proc/"$LOAD_PID"/status)
	load_stop
	assert_equal "$eff" 0000008000000000 # bit 39: CAP_BPF
	assert_equal "$bnd" 0000008000000000
	assert_equal "$nnp" 1
}

@test "events as the cloud_defend integration writes them: module, id, created, full name, command line, previous" {
	# a name longer than the kernel's 15-byte comm: rules compare whole names
	long=d4c-echo-with-a-long-name
	cp /bin/echo "$T/bin/$long"
	compile_policy <<-YAML
	process:
	  selectors:
	    - name: testBinaries
	      operation: [exec]
	      processExecutable: ['$T/bin/*']
	  responses:
	    - match: [testBinaries]
	      actions: [log, alert]
	YAML
	load_start --host "$T/policy.d4cp"
	# d4csh runs (an exec of its own), then becomes the long-named echo
	"$T/bin/d4csh" -c 'echo $$ >"$1"; exec "$2" hello "wor ld"' sh "$T/pid" "$T/bin/$long" >/dev/null
	# a long-named shell's child: its parent is named from the shell's exec
	cp /bin/dash "$T/bin/d4c-shell-with-a-long-name"
	"$T/bin/d4c-shell-with-a-long-name" -c '"$1" child; exit 0' sh "$T/bin/d4cecho" >/dev/null
	load_stop
	assert_equal "$LOAD_RC" 0
	pid=$(cat "$T/pid")
	run events ".event.kind == \"event\" and .event.action == \"exec\" and .process.pid == $pid"
	assert_equal "${#lines[@]}" 2
	e=${lines[1]}
	assert_equal "$(jq -r .process.name <<<"$e")" "$long"
	assert_equal "$(jq -r .process.command_line <<<"$e")" "$T/bin/$long hello wor ld"
	# what the process ran before this exec: the shell, as it was started
	assert_equal "$(jq -c .process.previous <<<"$e")" \
		"[{\"executable\":\"$T/bin/d4csh\",\"args\":[\"$T/bin/d4csh\",\"-c\",\"echo \$\$ >\\\"\$1\\\"; exec \\\"\$2\\\" hello \\\"wor ld\\\"\",\"sh\",\"$T/pid\",\"$T/bin/$long\"]}]"
	assert_equal "$(jq -r .process.previous <<<"${lines[0]}")" null
	# every record: the module the prebuilt rule asks for, a random (v4)
	# UUID, the time d4c-load read it, not before the kernel saw it
	events true | jq -se 'length > 0 and all(.event.module == "cloud_defend")' >/dev/null
	events true | jq -se 'all(.event.id | test("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"))' >/dev/null
	events true | jq -se 'all(.event.created >= ."@timestamp")' >/dev/null
	# one id per record: its event and its alert line share it, no other does
	assert_equal "$(events '.event.action == "exec"' | jq -r .event.id | sort | uniq -c | awk '{ print $1 }' | sort -u)" 2
	assert_equal "$(events '.event.kind == "event"' | jq -r .event.id | sort | uniq -d)" ""
	a=$(events ".event.kind == \"alert\" and .process.args[0] == \"$T/bin/$long\"")
	assert_equal "$(jq -r .event.id <<<"$a")" "$(jq -r .event.id <<<"$e")"
	# alerts: the message the rule names them by, and the executed file
	assert_equal "$(jq -r .message <<<"$a")" "Process exec: $T/bin/$long (testBinaries)"
	assert_equal "$(jq -r .message <<<"$e")" null
	assert_equal "$(jq -r .file.path <<<"$a")" "$T/bin/$long"
	assert_equal "$(jq -r .file.name <<<"$a")" "$long"
	assert_equal "$(jq -r .file.mode <<<"$a")" "$(stat -c %04a "$T/bin/$long")"
	assert_equal "$(jq -r .file.inode <<<"$a")" "$(stat -c %i "$T/bin/$long")"
	run events '.event.action == "exec" and .event.kind == "event" and .process.args == ["'"$T/bin/d4cecho"'", "child"]'
	assert_one_line
	assert_equal "$(jq -r .process.parent.name <<<"$output")" d4c-shell-with-a-long-name
	assert_equal "$(jq -r .process.parent.executable <<<"$output")" "$T/bin/d4c-shell-with-a-long-name"
	assert_equal "$(jq -r .process.parent.command_line <<<"$output")" "$T/bin/d4c-shell-with-a-long-name -c \"\$1\" child; exit 0 sh $T/bin/d4cecho"
	# its end: the name, executable and policy of its exec
	run events ".event.action == \"end\" and .process.pid == $pid"
	assert_one_line
	assert_equal "$(jq -r .process.name <<<"$output")" "$long"
	assert_equal "$(jq -r .process.executable <<<"$output")" "$T/bin/$long"
	assert_equal "$(jq -c .cloud_defend.matched_selectors <<<"$output")" '["testBinaries"]'
	assert_equal "$(jq -r .cloud_defend.package_policy_id <<<"$output")" "$(jq -r .cloud_defend.package_policy_id <<<"$e")"
}

@test "end events carry the policy revision and selectors that decided their process, not 0" {
	compile_policy <<-YAML
	process:
	  selectors:
	    - name: testBinaries
	      operation: [exec]
	      processExecutable: ['$T/bin/*']
	  responses:
	    - match: [testBinaries]
	      actions: [log]
	YAML
	d4c-policy compile --revision 7 -o "$T/policy.d4cp" "$T/policy.yaml"
	load_start --host "$T/policy.d4cp"
	"$T/bin/d4cecho" x >/dev/null
	load_stop
	run events '.event.action == "end" and .process.executable == "'"$T/bin/d4cecho"'"'
	assert_one_line
	assert_equal "$(jq -r .cloud_defend.package_policy_revision <<<"$output")" 7
	assert_equal "$(jq -c .cloud_defend.matched_selectors <<<"$output")" '["testBinaries"]'
}

@test "its events validate against the event schema" {
	/usr/bin/python3 -c 'import jsonschema' 2>/dev/null || skip "no python3-jsonschema"
	exec_policy
	load_start --host "$T/policy.d4cp"
	"$T/bin/d4csh" -c '"$1" x; exec "$1" y' sh "$T/bin/d4cecho" >/dev/null
	load_stop
	events true >"$T/ev.json"
	run /usr/bin/python3 "$top_srcdir/t/validate-events.py" "$T/ev.json"
	assert_success
	assert_output --regexp '^[0-9]+ records valid$'
}

@test "heartbeats: one at start, every --heartbeat-interval, one after SIGHUP; each says if the policy blocks" {
	beat_policy() { # ACTION REVISION
		cat >"$T/p.yaml" <<-YAML
		process:
		  selectors:
		    - name: testBinaries
		      operation: [exec]
		      processExecutable: ['$T/bin/d4cecho']
		  responses:
		    - match: [testBinaries]
		      actions: $1
		YAML
		d4c-policy compile --revision "$2" -o "$T/policy.d4cp.new" "$T/p.yaml"
		chmod 600 "$T/policy.d4cp.new"
		mv "$T/policy.d4cp.new" "$T/policy.d4cp"
	}
	beats() {
		jq -c 'select(.event.dataset == "cloud_defend.heartbeat")' "$T/events.json"
	}
	beats_of() { # REVISION N: true once N heartbeats of policy REVISION are out
		[ "$(beats 2>/dev/null | jq "select(.cloud_defend.package_policy_revision == $1)" |
			jq -s length)" -ge "$2" ]
	}
	beat_policy '[alert, block]' 1
	# --monitor: this kernel (no BPF LSM) cannot block, the policy still says it would
	load_start --monitor --heartbeat-interval 1 "$T/policy.d4cp"
	# the one at start and two at the interval
	wait_for beats_of 1 3
	beat_policy '[log]' 2
	kill -HUP "$LOAD_PID"
	wait_for beats_of 2 1
	load_stop
	run beats
	[ "${#lines[@]}" -ge 4 ] || fail "too few heartbeats: $output"
	[ "${#lines[@]}" -le 6 ] || fail "too many heartbeats: $output"
	# what the integration's heartbeat data stream holds, and d4c's metric shape
	beats | jq -se 'all(.[]; .event.kind == "metric" and .event.module == "cloud_defend" and
		.agent.type == "d4c" and (.["@timestamp"] | test("Z$")) and
		(.cloud_defend.package_policy_id | test("^[0-9a-f]{64}$")) and
		(.cloud_defend.block_action_enabled | type) == "boolean")'
	assert_equal "$(beats | jq -r '[.cloud_defend.package_policy_revision, .cloud_defend.block_action_enabled] | join(" ")' | uniq -c | awk '{ print $2, $3 }' | tr '\n' ,)" "1 true,2 false,"
	# about a second apart while nothing changes
	beats | jq -rs '[.[] | select(.cloud_defend.package_policy_revision == 1) | .["@timestamp"] | sub("\\.[0-9]+Z$"; "Z") | fromdate] |
		[range(1; length) as $i | .[$i] - .[$i - 1]] | all(. >= 1 and . <= 2)' | grep -qx true
}

@test "heartbeats: by default one at start (then every 30 minutes), none with --heartbeat-interval 0" {
	exec_policy
	load_start "$T/policy.d4cp"
	wait_for grep -q cloud_defend.heartbeat "$T/events.json"
	# not a wait: the time in which a short default interval would show a second
	sleep 1.5
	load_stop
	assert_equal "$(jq -c 'select(.event.dataset == "cloud_defend.heartbeat") | .cloud_defend.block_action_enabled' "$T/events.json")" false
	# (--host: an exec of ours shows its loop has run, where the one at start would be written)
	load_start --heartbeat-interval 0 --host "$T/policy.d4cp"
	"$T/bin/d4cecho" zzq-beat >/dev/null
	wait_for grep -q zzq-beat "$T/events.json"
	load_stop
	assert_equal "$(grep -c cloud_defend.heartbeat "$T/events.json")" 0
	run d4c-load --heartbeat-interval soon "$T/policy.d4cp"
	assert_failure 2
}
