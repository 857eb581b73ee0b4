#!/usr/bin/env bats
# Enforcement under BPF LSM, in the QEMU guest (t/vm/run boots it; make
# check runs this file there through t/vm-enforce.sh). For every file
# operation and for exec and fork: a `block` response makes the
# operation fail with EPERM, leaves the file system as it was, and sends a
# denied alert; `alert` and `log` allow and send; `exclude` prevents.

bats_require_minimum_version 1.5.0

load ../helpers
load ../containers/runc

setup_file() {
	ctr_setup_file
}

setup() {
	common_setup
	require_bpf
	d4c-load --probe | jq -e '.bpf_lsm.usable' >/dev/null ||
		fail "BPF LSM is not usable in the guest: $(d4c-load --probe)"
	mkdir -p "$T/guarded" "$T/free" "$T/bin"
	echo original >"$T/guarded/existing"
	echo original >"$T/guarded/ok"
	echo other >"$T/free/other"
	cp /bin/echo "$T/bin/d4cecho"
	cp /bin/dash "$T/bin/d4csh"
}

teardown() {
	[ -z "${LOAD_PID:-}" ] || kill -INT "$LOAD_PID" 2>/dev/null || true
	ctr_cleanup
}

# A file policy on $T/guarded with ACTIONS, and 'ok' excluded.
file_policy() {
	compile_policy <<-YAML
	file:
	  selectors:
	    - name: guarded
	      operation: [createFile, modifyFile, deleteFile]
	      targetFilePath: ['$T/guarded/**']
	    - name: okFile
	      targetFilePath: ['$T/guarded/ok']
	  responses:
	    - match: [guarded]
	      exclude: [okFile]
	      actions: [$1]
	YAML
}

# A policy that refuses to exec the test's copy of echo.
block_echo_policy() {
	compile_policy <<-YAML
	process:
	  selectors:
	    - name: noEcho
	      operation: [exec]
	      processExecutable: ['$T/bin/d4cecho']
	  responses:
	    - match: [noEcho]
	      actions: [alert, block]
	YAML
}

# Asserts the last run failed with "Operation not permitted".
assert_eperm() {
	assert_failure
	assert_output --partial "Operation not permitted"
}

# Asserts one denied alert for file action $1 at hook $2 on path $3.
assert_denied_file() {
	run events ".event.kind == \"alert\" and .file.path == \"$3\" and .cloud_defend.hook_point == \"$2\""
	assert_one_line
	assert_equal "$(jq -r .event.action <<<"$output")" "$1"
	assert_equal "$(jq -r .cloud_defend.hook_point <<<"$output")" "$2"
	assert_equal "$(jq -c .event.type <<<"$output" | grep -c denied)" 1
	assert_equal "$(jq -r .event.outcome <<<"$output")" failure
	assert_equal "$(jq -c .cloud_defend.matched_selectors <<<"$output")" '["guarded"]'
}

@test "block: creating a file fails with EPERM and nothing is created" {
	file_policy "alert, block"
	load_start --host "$T/policy.d4cp"
	run sh -c "echo x >'$T/guarded/new'"
	assert_eperm
	[ ! -e "$T/guarded/new" ]
	load_stop
	assert_denied_file creation lsm__path_mknod "$T/guarded/new"
}

@test "block: writing to a file fails and leaves its content" {
	file_policy "alert, block"
	load_start --host "$T/policy.d4cp"
	run sh -c "echo more >>'$T/guarded/existing'"
	assert_eperm
	assert_equal "$(cat "$T/guarded/existing")" original
	load_stop
	assert_denied_file open lsm__file_open "$T/guarded/existing"
}

@test "block: deleting, renaming, linking and chmod fail and change nothing" {
	file_policy "alert, block"
	load_start --host "$T/policy.d4cp"
	run rm -f "$T/guarded/existing"
	assert_eperm
	run mv "$T/guarded/existing" "$T/guarded/moved"
	assert_eperm
	run mv "$T/free/other" "$T/guarded/other"
	assert_eperm
	run ln "$T/free/other" "$T/guarded/hardlink"
	assert_eperm
	run chmod 755 "$T/guarded/existing"
	assert_eperm
	load_stop
	[ -e "$T/guarded/existing" ] && [ ! -e "$T/guarded/moved" ] && [ -e "$T/free/other" ]
	[ ! -e "$T/guarded/other" ] && [ ! -e "$T/guarded/hardlink" ]
	assert_equal "$(stat -c %a "$T/guarded/existing")" 644
	assert_denied_file deletion lsm__path_unlink "$T/guarded/existing"
	assert_denied_file rename lsm__path_rename "$T/guarded/moved"
	assert_denied_file rename lsm__path_rename "$T/guarded/other"
	assert_denied_file link lsm__path_link "$T/guarded/hardlink"
	run events ".cloud_defend.hook_point == \"lsm__path_chmod\""
	assert_one_line
	assert_equal "$(jq -r .file.path <<<"$output")" "$T/guarded/existing"
	assert_equal "$(jq -r .file.mode <<<"$output")" 0755
}

@test "alert allows the operation and sends an alert only" {
	file_policy alert
	load_start --host "$T/policy.d4cp"
	echo more >>"$T/guarded/existing"
	rm "$T/guarded/existing"
	load_stop
	[ ! -e "$T/guarded/existing" ]
	run events 'true'
	assert_equal "${#lines[@]}" 2
	assert_equal "$(events '.event.kind == "alert" and .event.outcome == "success"' | wc -l)" 2
	assert_equal "$(events '.event.action == "deletion"' | jq -r .event.dataset)" cloud_defend.alerts
}

@test "log allows the operation and sends a file event" {
	file_policy log
	load_start --host "$T/policy.d4cp"
	echo new >"$T/guarded/created"
	load_stop
	assert_equal "$(cat "$T/guarded/created")" new
	run events 'true'
	assert_one_line
	assert_equal "$(jq -r .event.kind <<<"$output")" event
	assert_equal "$(jq -r .event.dataset <<<"$output")" cloud_defend.file
	assert_equal "$(jq -r .event.action <<<"$output")" creation
	assert_equal "$(jq -r .file.path <<<"$output")" "$T/guarded/created"
}

@test "exclude: an excluded file is neither blocked nor reported" {
	file_policy "alert, block"
	load_start --host "$T/policy.d4cp"
	echo changed >"$T/guarded/ok"
	rm "$T/guarded/ok"
	load_stop
	[ ! -e "$T/guarded/ok" ]
	run events 'true'
	assert_output ""
}

@test "exclude: a file moved in from an excluded place is still blocked where it lands" {
	# Before, a rename was decided from the selectors of both names at once,
	# so an exclude met by the old name lifted the block of the new one.
	mkdir -p "$T/scratch"
	echo payload >"$T/scratch/drop"
	compile_policy <<-YAML
	file:
	  selectors:
	    - name: guarded
	      operation: [createFile]
	      targetFilePath: ['$T/guarded/**']
	    - name: scratchCleanup
	      operation: [deleteFile]
	      targetFilePath: ['$T/scratch/**']
	  responses:
	    - match: [guarded]
	      exclude: [scratchCleanup]
	      actions: [alert, block]
	YAML
	load_start --host "$T/policy.d4cp"
	run mv "$T/scratch/drop" "$T/guarded/drop"
	assert_eperm
	rm "$T/scratch/drop" # the exclude holds for the old name's own deletion
	load_stop
	[ ! -e "$T/guarded/drop" ] && [ ! -e "$T/scratch/drop" ]
	run events ".event.kind == \"alert\""
	assert_one_line
	assert_equal "$(jq -r .event.action <<<"$output")" rename
	assert_equal "$(jq -r .file.path <<<"$output")" "$T/guarded/drop"
	assert_equal "$(jq -c .cloud_defend.matched_selectors <<<"$output")" '["guarded","scratchCleanup"]'
}

@test "createExecutable and modifyExecutable are told apart from ordinary files" {
	compile_policy <<-YAML
	file:
	  selectors:
	    - name: executables
	      operation: [createExecutable, modifyExecutable]
	      targetFilePath: ['$T/**']
	  responses:
	    - match: [executables]
	      actions: [alert, block]
	YAML
	cp /bin/true "$T/free/tool"
	load_start --host "$T/policy.d4cp"
	echo data >"$T/free/plain"           # an ordinary file: allowed
	run chmod +x "$T/free/plain"         # given an execute bit: createExecutable
	assert_eperm
	run sh -c "echo x >>'$T/free/tool'"  # a write to an executable
	assert_eperm
	run cp /bin/true "$T/free/newtool"   # cp creates, then chmods: refused on the way
	load_stop
	[ ! -x "$T/free/plain" ]
	cmp /bin/true "$T/free/tool"
	[ ! -x "$T/free/newtool" ]
	assert_equal "$(events '.file.path == "'"$T/free/plain"'" and .event.action == "creation"' | wc -l)" 0
}

@test "block exec: the program does not run, and a denied exec alert is sent" {
	block_echo_policy
	load_start --host "$T/policy.d4cp"
	run "$T/bin/d4cecho" should-not-print
	refute_output --partial should-not-print
	assert_failure
	run /bin/echo allowed
	assert_output allowed
	load_stop
	run events '.event.action == "exec"'
	assert_one_line
	assert_equal "$(jq -r .cloud_defend.hook_point <<<"$output")" lsm__bprm_check_security
	assert_equal "$(jq -r .process.executable <<<"$output")" "$T/bin/d4cecho"
	assert_equal "$(jq -r .process.name <<<"$output")" d4cecho
	assert_equal "$(jq -c .event.type <<<"$output")" '["start","denied"]'
}

@test "block fork: the process cannot create children" {
	compile_policy <<-YAML
	process:
	  selectors:
	    - name: noForks
	      operation: [fork]
	      processExecutable: ['$T/bin/d4csh']
	  responses:
	    - match: [noForks]
	      actions: [alert, block]
	YAML
	load_start --host "$T/policy.d4cp"
	run "$T/bin/d4csh" -c '/bin/echo child-ran; echo parent-done'
	refute_output --partial child-ran
	run sh -c '/bin/echo other-shells-fork'
	assert_output other-shells-fork
	load_stop
	run events '.event.action == "fork"'
	[ "${#lines[@]}" -ge 1 ]
	assert_equal "$(jq -r .cloud_defend.hook_point <<<"${lines[0]}")" lsm__task_alloc
	assert_equal "$(jq -r .event.outcome <<<"${lines[0]}")" failure
}

@test "execMemFd: a binary run from memory is refused when blocked" {
	compile_policy <<-YAML
	file:
	  selectors:
	    - name: fromMemory
	      operation: [execMemFd]
	  responses:
	    - match: [fromMemory]
	      actions: [alert, block]
	YAML
	load_start --host "$T/policy.d4cp"
	run "$top_builddir/t/progs/memfd-exec" /bin/echo from-memory
	refute_output --partial from-memory
	assert_output --partial "Operation not permitted"
	run /bin/echo from-disk
	assert_output from-disk
	load_stop
	run events '.event.action == "execution"'
	assert_one_line
	assert_equal "$(jq -r .cloud_defend.hook_point <<<"$output")" lsm__bprm_check_security
	assert_equal "$(jq -r .event.outcome <<<"$output")" failure
}

# A policy that refuses reads of $T/secrets/token (readFile, d4c's own).
read_block_policy() {
	mkdir -p "$T/secrets"
	echo token-data >"$T/secrets/token"
	echo fine >"$T/secrets/other"
	compile_policy <<-YAML
	file:
	  selectors:
	    - name: tokenRead
	      operation: [readFile]
	      targetFilePath: ['$T/secrets/token']
	  responses:
	    - match: [tokenRead]
	      actions: [alert, block]
	YAML
}

@test "readFile block: reading the file fails, by its name, a hard link made before, a symlink, a bind mount, /proc/self/fd" {
	read_block_policy
	ln "$T/secrets/token" "$T/free/hard"
	ln -s "$T/secrets/token" "$T/free/sym"
	touch "$T/free/bound"
	mount --bind "$T/secrets/token" "$T/free/bound"
	load_start --host "$T/policy.d4cp"
	run cat "$T/secrets/token"
	assert_eperm
	run cat "$T/free/hard"
	assert_eperm
	run cat "$T/free/sym"
	assert_eperm
	run cat "$T/free/bound"
	assert_eperm
	# O_PATH opens no file for reading (no file_open); reopening it through
	# /proc/self/fd does
	run /usr/bin/python3 -c 'import os, sys
fd = os.open(sys.argv[1], os.O_PATH)
print(os.read(os.open("/proc/self/fd/%d" % fd, os.O_RDONLY), 100))' "$T/secrets/token"
	assert_failure
	assert_output --partial "PermissionError"
	# another file opens; the file itself can still be written
	run cat "$T/secrets/other"
	assert_output fine
	run sh -c "echo more >>'$T/secrets/token'"
	assert_success
	load_stop
	umount "$T/free/bound"
	assert_equal "$(cat "$T/secrets/token")" "token-data
more"
	run events '.event.kind == "alert"'
	[ "${#lines[@]}" -eq 5 ] || fail "expected 5 alerts, got ${#lines[@]}:
$output"
	assert_equal "$(jq -c '[.event.action, .event.type, .event.outcome, .cloud_defend.hook_point,
		.cloud_defend.matched_selectors]' <<<"$output" | sort -u)" \
		'["open",["access","change","denied"],"failure","lsm__file_open",["tokenRead"]]'
	# each names the file by the name that was opened (the bind mount's is
	# the mounted file's own; /proc/self/fd/N's is the file's)
	assert_equal "$(jq -r .file.path <<<"$output" | sort | uniq -c | awk '{ print $1, $2 }' | tr '\n' ' ')" \
		"1 $T/free/bound 1 $T/free/hard 3 $T/secrets/token "
}

@test "readFile alert: reads are allowed and reported, other files and write opens are not" {
	read_block_policy
	sed -i 's/\[alert, block\]/[alert]/' "$T/policy.yaml"
	d4c-policy compile -o "$T/policy.d4cp" "$T/policy.yaml" 2>/dev/null
	chmod 600 "$T/policy.d4cp"
	load_start --host "$T/policy.d4cp"
	run cat "$T/secrets/token"
	assert_output token-data
	run cat "$T/secrets/other"
	assert_output fine
	run sh -c "echo more >>'$T/secrets/token'"
	assert_success
	load_stop
	run events '.event.category == ["file"]'
	assert_one_line
	assert_equal "$(jq -c '[.event.kind, .event.action, .event.type, .event.outcome, .file.path]' \
		<<<"$output")" "[\"alert\",\"open\",[\"access\",\"change\"],\"success\",\"$T/secrets/token\"]"
}

@test "a container-conditioned block applies inside the matching container only" {
	require_runc
	compile_policy <<-YAML
	process:
	  selectors:
	    - name: echoInNginx
	      operation: [exec]
	      processName: [echo]
	      containerImageName: [nginx]
	  responses:
	    - match: [echoInNginx]
	      actions: [alert, block]
	YAML
	ctr_create web --image docker.io/library/nginx:1.25 -- sleep 3600
	ctr_create cache --image docker.io/library/redis:7.2 -- sleep 3600
	ctr_start web
	ctr_start cache
	load_start "$T/policy.d4cp"
	run ctr_exec web /bin/echo web-marker
	assert_failure
	run ctr_exec cache /bin/echo cache-marker
	assert_success
	run /bin/echo host-marker
	assert_output host-marker
	load_stop
	run cat "$T/containers/web/out"
	refute_output --partial web-marker
	run cat "$T/containers/cache/out"
	assert_output --partial cache-marker
	run events '.event.action == "exec"'
	assert_one_line
	assert_equal "$(jq -r .container.id <<<"$output")" "$(ctr_id web)"
	assert_equal "$(jq -r .event.outcome <<<"$output")" failure
	# named after the executable: busybox, behind the container's echo
	assert_equal "$(jq -r .process.name <<<"$output")" busybox
}

@test "--pin: a blocking policy keeps blocking after d4c-load exits, until --unpin" {
	block_echo_policy
	load_start --host --pin /sys/fs/bpf/d4c-pinned "$T/policy.d4cp"
	load_stop
	assert_equal "$LOAD_RC" 0
	run "$T/bin/d4cecho" still-blocked
	assert_failure
	refute_output --partial still-blocked
	run d4c-load --unpin /sys/fs/bpf/d4c-pinned
	assert_success
	for _ in $(seq 1 50); do
		run "$T/bin/d4cecho" runs-again
		[ "$status" -eq 0 ] && break
		sleep 0.1
	done
	assert_output runs-again
}

@test "without --pin, a blocking policy says at start that killing d4c-load ends blocking" {
	block_echo_policy
	load_start --host "$T/policy.d4cp"
	load_stop
	run grep -c 'blocking stops if d4c-load is killed; --pin DIR keeps it in force' "$T/load.err"
	assert_output 1
	load_start --host --pin /sys/fs/bpf/d4c-said "$T/policy.d4cp"
	load_stop
	d4c-load --unpin /sys/fs/bpf/d4c-said
	run grep -c 'blocking stops' "$T/load.err"
	assert_output 0
}

@test "ignoreVolumeMounts and ignoreVolumeFiles work from the file's mount" {
	# in the guest / is the host's file system and /tmp a tmpfs: a volume mount
	mkdir -p "$T/vol"
	echo data >"$T/vol/single"
	echo data >"$T/src"
	mount --bind "$T/src" "$T/vol/single" # a single-file mount, like a configMap
	compile_policy <<-YAML
	file:
	  selectors:
	    - name: notOnVolumes
	      operation: [modifyFile]
	      targetFilePath: ['$T/**']
	      ignoreVolumeMounts: true
	    - name: notVolumeFiles
	      operation: [modifyFile]
	      targetFilePath: ['$T/**']
	      ignoreVolumeFiles: true
	  responses:
	    - match: [notOnVolumes, notVolumeFiles]
	      actions: [log]
	YAML
	echo data >"$T/vol/plain"
	load_start --host "$T/policy.d4cp"
	echo more >>"$T/vol/plain"
	echo more >>"$T/vol/single"
	load_stop
	umount "$T/vol/single"
	run events ".file.path == \"$T/vol/plain\""
	assert_one_line
	assert_equal "$(jq -c .cloud_defend.matched_selectors <<<"$output")" '["notVolumeFiles"]'
	run events ".file.path == \"$T/vol/single\""
	assert_output ""
}

@test "d4c-trace under BPF LSM: file events come from the LSM hooks, a command's status comes back" {
	mkdir "$T/w"
	run --separate-stderr d4c-trace -j -t file,exec --path "$T/w/**" -- \
		sh -c "echo a >$T/w/f; echo b >>$T/w/f; mv $T/w/f $T/w/g; rm $T/w/g; exit 3"
	[ "$status" -eq 3 ] || fail "exit status $status, not 3: $stderr"
	printf '%s\n' "${lines[@]}" >"$T/trace.json"
	run jq -r 'select(.event.category == ["file"]) | [.event.action, .file.path, .cloud_defend.hook_point] | join(" ")' "$T/trace.json"
	assert_output "creation $T/w/f lsm__path_mknod
open $T/w/f lsm__file_open
rename $T/w/g lsm__path_rename
deletion $T/w/g lsm__path_unlink"
	run jq -r 'select(.event.action == "exec") | .process.args[0]' "$T/trace.json"
	assert_output "sh
mv
rm"
	run /usr/bin/python3 "$top_srcdir/t/validate-events.py" "$T/trace.json"
	assert_success
}
