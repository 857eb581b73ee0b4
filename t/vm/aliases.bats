#!/usr/bin/env bats
# Enforcement that holds against aliases (issue 12), in the QEMU guest
# (t/vm/run boots it; make check runs this file there through
# t/vm-aliases.sh). A block on $T/prot/** and on two programs is in force;
# each test is one way around it an attacker would try: another name for
# the same file or program (links, renames, mounts, chroot, /proc/self/fd,
# memfd), another system call for the same change (io_uring, splice, mmap),
# a descriptor opened before d4c-load started, a path deeper than the
# kernel's walk. Each shows that the attempt fails with EPERM, that the
# files are as they were, and that one denied alert names the operation.

bats_require_minimum_version 1.5.0

load ../helpers

PROGS=$top_builddir/t/progs

setup() {
	common_setup
	require_bpf
	d4c-load --probe | jq -e '.bpf_lsm.usable' >/dev/null ||
		fail "BPF LSM is not usable in the guest: $(d4c-load --probe)"
	mkdir -p "$T/prot" "$T/free" "$T/bin"
	echo original >"$T/prot/f"
	echo attack >"$T/free/src"
	cp /bin/echo "$T/bin/d4cblocked"  # blocked by its path
	cp /bin/echo "$T/bin/d4cnamed"    # blocked by its name
	cp /bin/dash "$T/bin/d4cshell"    # an interpreter blocked by its name
	compile_policy <<-YAML
	file:
	  selectors:
	    - name: prot
	      operation: [createFile, modifyFile, deleteFile, createExecutable, modifyExecutable]
	      targetFilePath: ['$T/prot/**']
	    - name: fromMemory
	      operation: [execMemFd]
	  responses:
	    - match: [prot, fromMemory]
	      actions: [alert, block]
	process:
	  selectors:
	    - name: byPath
	      operation: [exec]
	      processExecutable: ['$T/bin/d4cblocked']
	    - name: byName
	      operation: [exec]
	      processName: [d4cnamed, d4cshell]
	    - name: noFork
	      operation: [fork]
	      processName: [d4cnofork]
	  responses:
	    - match: [byPath, byName, noFork]
	      actions: [alert, block]
	YAML
}

teardown() {
	[ -z "${LOAD_PID:-}" ] || kill -INT "$LOAD_PID" 2>/dev/null || true
	[ -z "${HELD_PID:-}" ] || kill -KILL "$HELD_PID" 2>/dev/null || true
	# mounts an attempt left (when it was not refused), innermost first
	awk -v t="$T/" 'index($2, t) == 1 { print $2 }' /proc/mounts | sort -r |
		while read -r m; do umount -l "$m"; done
}

# The state of the test's files: name, type, mode, link count, size, link
# target, and a checksum of each regular file's contents. (-execdir: the
# deepest paths are longer than PATH_MAX.)
fs_state() {
	find "$T/prot" "$T/free" "$T/bin" -printf '%p %y %m %n %s %l\n' | LC_ALL=C sort
	find "$T/prot" "$T/free" -type f -printf '%p ' -execdir md5sum {} \;
}

# Remembers the state of the files, before an attempt.
fs_snapshot() {
	fs_state >"$T/fs.before"
}

# Fails unless the files are as fs_snapshot saw them.
assert_fs_unchanged() {
	fs_state >"$T/fs.after"
	diff -u "$T/fs.before" "$T/fs.after" ||
		fail "the attempt changed the file system (diff above)"
}

# Asserts the last run failed as ld.so fails when the kernel refuses to
# map a program's code (mmap: EPERM): "failed to map segment".
assert_map_refused() {
	assert_failure
	assert_output --partial "failed to map segment from shared object"
}

# Asserts the last run failed with "Operation not permitted".
assert_eperm() {
	assert_failure
	assert_output --partial "Operation not permitted"
}

# Asserts one alert of operation ACTION ("-": whichever) about one of
# PATHS (as file.path, file.Ext.original.path or process.executable; no
# PATHS: about any path), and that it says the operation was denied: the
# type has "denied", the outcome is failure.
assert_denied() {
	local action=$1 paths filter='.event.kind == "alert"'

	shift
	[ "$action" = - ] || filter="$filter and .event.action == \"$action\""
	if [ $# -gt 0 ]; then
		paths=$(printf '%s\n' "$@" | jq -R . | jq -sc .)
		filter="$filter and any(.file.path, .file.Ext.original.path, .process.executable;
			. as \$p | $paths | index([\$p]) != null)"
	fi
	run events "$filter"
	assert_one_line
	assert_equal "$(jq -c '.event.type | index("denied") != null' <<<"$output")" true
	assert_equal "$(jq -r .event.outcome <<<"$output")" failure
}

# Starts held-write OP on $T/prot/f (it opens the file for writing now)
# and waits until it has.
held_start() {
	"$PROGS/held-write" "$1" "$T/prot/f" "$T/free/src" >"$T/held.out" 2>"$T/held.err" &
	HELD_PID=$!
	wait_started "$HELD_PID" "$T/held.err" opened held-write
}

# Lets it do its operation now; its report is in $T/held.out.
held_go() {
	kill -USR1 "$HELD_PID"
	wait "$HELD_PID" || :
	HELD_PID=
}

# A descriptor opened for writing before d4c-load started is used by OP
# once it runs: refused, nothing changes, one alert.
held_write_is_refused() {
	held_start "$1"
	fs_snapshot
	load_start --host "$T/policy.d4cp"
	held_go
	run cat "$T/held.out"
	assert_output "$1: Operation not permitted"
	assert_fs_unchanged
	load_stop
	assert_denied modification "$T/prot/f"
}

# --- symbolic links and directories ------------------------------------------

@test "a symbolic link cannot be created inside the protected tree" {
	fs_snapshot
	load_start --host "$T/policy.d4cp"
	run ln -s /etc/passwd "$T/prot/l"
	assert_eperm
	assert_fs_unchanged
	load_stop
	assert_denied creation "$T/prot/l"
}

@test "a symbolic link cannot be renamed over a protected file" {
	ln -s /etc/passwd "$T/free/l"
	fs_snapshot
	load_start --host "$T/policy.d4cp"
	run mv -T "$T/free/l" "$T/prot/f"
	assert_eperm
	assert_fs_unchanged
	load_stop
	assert_denied rename "$T/prot/f"
}

@test "RENAME_EXCHANGE cannot swap a protected file with a directory" {
	mkdir "$T/free/d"
	fs_snapshot
	load_start --host "$T/policy.d4cp"
	run "$PROGS/rename-exchange" "$T/prot/f" "$T/free/d"
	assert_eperm
	assert_fs_unchanged
	load_stop
	assert_denied rename "$T/prot/f"
}

@test "a directory cannot be moved into the protected tree" {
	mkdir "$T/free/d"
	echo planted >"$T/free/d/f"
	fs_snapshot
	load_start --host "$T/policy.d4cp"
	run mv "$T/free/d" "$T/prot/d"
	assert_eperm
	assert_fs_unchanged
	load_stop
	assert_denied rename "$T/prot/d"
}

@test "a directory cannot be moved out of the protected tree" {
	mkdir "$T/prot/d"
	echo original >"$T/prot/d/f"
	fs_snapshot
	load_start --host "$T/policy.d4cp"
	run mv "$T/prot/d" "$T/free/d"
	assert_eperm
	assert_fs_unchanged
	load_stop
	assert_denied rename "$T/prot/d"
}

@test "the protected directory itself cannot be renamed" {
	fs_snapshot
	load_start --host "$T/policy.d4cp"
	run mv "$T/prot" "$T/x"
	assert_eperm
	assert_fs_unchanged
	load_stop
	assert_denied rename "$T/prot"
}

@test "the protected directory's parent cannot be renamed" {
	fs_snapshot
	load_start --host "$T/policy.d4cp"
	run mv "$T" "$T.moved"
	# put back at once, so that the test can tell what happened
	[ -d "$T" ] || mv "$T.moved" "$T"
	assert_eperm
	assert_fs_unchanged
	load_stop
	assert_denied rename "$T"
}

@test "a FIFO cannot be made inside the protected tree" {
	fs_snapshot
	load_start --host "$T/policy.d4cp"
	run mkfifo "$T/prot/p"
	assert_eperm
	assert_fs_unchanged
	load_stop
	assert_denied creation "$T/prot/p"
}

@test "a device node cannot be made inside the protected tree" {
	fs_snapshot
	load_start --host "$T/policy.d4cp"
	run mknod "$T/prot/null" c 1 3
	assert_eperm
	assert_fs_unchanged
	load_stop
	assert_denied creation "$T/prot/null"
}

# --- hard links ---------------------------------------------------------------

@test "a protected file cannot be linked out to an unprotected name" {
	fs_snapshot
	load_start --host "$T/policy.d4cp"
	run ln "$T/prot/f" "$T/free/l"
	assert_eperm
	assert_fs_unchanged
	load_stop
	assert_denied link "$T/prot/f" "$T/free/l"
}

@test "a hard link made before d4c-load started cannot be written through" {
	ln "$T/prot/f" "$T/free/l"
	fs_snapshot
	load_start --host "$T/policy.d4cp"
	run sh -c "echo attack >>'$T/free/l'"
	assert_eperm
	assert_fs_unchanged
	load_stop
	assert_denied open "$T/free/l" "$T/prot/f"
}

@test "io_uring's IORING_OP_LINKAT cannot link a protected file out" {
	fs_snapshot
	load_start --host "$T/policy.d4cp"
	run "$PROGS/uring-linkat" "$T/prot/f" "$T/free/l"
	assert_eperm
	assert_fs_unchanged
	load_stop
	assert_denied link "$T/prot/f" "$T/free/l"
}

# --- chroot and mounts ------------------------------------------------------------

@test "a chroot does not hide a protected file under a shorter path" {
	cp /bin/busybox "$T/busybox" # static (busybox-static): runs in the chroot
	fs_snapshot
	load_start --host "$T/policy.d4cp"
	run chroot "$T" /busybox sh -c 'echo attack >>/prot/f'
	assert_eperm
	assert_fs_unchanged
	load_stop
	assert_denied open "$T/prot/f" /prot/f
}

@test "a bind mount of the protected tree in a new mount namespace does not escape" {
	mkdir "$T/free/b"
	fs_snapshot
	load_start --host "$T/policy.d4cp"
	run unshare -m sh -c "mount --bind '$T/prot' '$T/free/b' && echo attack >>'$T/free/b/f'"
	assert_eperm
	assert_fs_unchanged
	load_stop
	assert_denied - "$T/free/b/f" "$T/prot/f"
}

@test "a protected file cannot be hidden by a bind mount over it" {
	echo evil >"$T/free/evil"
	fs_snapshot
	load_start --host "$T/policy.d4cp"
	run "$PROGS/bind-mount" "$T/free/evil" "$T/prot/f"
	assert_eperm
	assert_fs_unchanged
	load_stop
	# no action named yet for a mount: any, as long as it is denied
	assert_denied - "$T/prot/f"
}

@test "an overlay with the protected directory as its upper layer does not escape" {
	mkdir "$T/free/lower" "$T/free/work" "$T/free/merged"
	load_start --host "$T/policy.d4cp"
	# mounting elsewhere is no change to the protected tree (overlayfs
	# makes its own work directory): the snapshot is taken after it
	mount -t overlay overlay \
		-o "lowerdir=$T/free/lower,upperdir=$T/prot,workdir=$T/free/work" "$T/free/merged"
	fs_snapshot
	run sh -c "echo attack >>'$T/free/merged/f'"
	assert_eperm
	run sh -c "echo planted >'$T/free/merged/new'"
	assert_eperm
	assert_fs_unchanged
	umount "$T/free/merged"
	load_stop
	assert_denied - "$T/free/merged/f" "$T/prot/f"
	run events '.event.kind == "alert" and (.event.type | index("denied") != null) and
		(.file.path | endswith("/new"))'
	assert_one_line
}

# --- exec blocking ------------------------------------------------------------------

@test "the dynamic loader does not run a program blocked by its path" {
	load_start --host "$T/policy.d4cp"
	run /lib64/ld-linux-x86-64.so.2 "$T/bin/d4cblocked" should-not-print
	refute_output --partial should-not-print
	assert_map_refused
	load_stop
	assert_denied - "$T/bin/d4cblocked"
}

@test "the dynamic loader does not run a program from a memfd" {
	load_start --host "$T/policy.d4cp"
	run "$PROGS/exec-via" ldso-memfd /bin/echo echo should-not-print
	refute_output --partial should-not-print
	assert_map_refused
	load_stop
	assert_denied - memfd:d4c-test
}

@test "a program blocked by its path cannot be made executable with mprotect" {
	load_start --host "$T/policy.d4cp"
	run "$PROGS/exec-via" mprotect "$T/bin/d4cblocked" x
	refute_output --partial "mapped executable"
	assert_eperm
	load_stop
	assert_denied - "$T/bin/d4cblocked"
}

@test "a symbolic link to a program blocked by its path does not run it" {
	ln -s "$T/bin/d4cblocked" "$T/free/alias"
	load_start --host "$T/policy.d4cp"
	run "$T/free/alias" should-not-print
	refute_output --partial should-not-print
	assert_eperm
	load_stop
	assert_denied exec "$T/bin/d4cblocked" "$T/free/alias"
}

@test "a hard link to a program blocked by its path does not run it" {
	ln "$T/bin/d4cblocked" "$T/free/alias"
	load_start --host "$T/policy.d4cp"
	run "$T/free/alias" should-not-print
	refute_output --partial should-not-print
	assert_eperm
	load_stop
	assert_denied exec "$T/bin/d4cblocked" "$T/free/alias"
}

@test "a symbolic link to a program blocked by its name does not run it" {
	ln -s "$T/bin/d4cnamed" "$T/free/alias"
	load_start --host "$T/policy.d4cp"
	run "$T/free/alias" should-not-print
	refute_output --partial should-not-print
	assert_eperm
	load_stop
	assert_denied exec "$T/bin/d4cnamed" "$T/free/alias"
}

# A hard link or a copy under another name is a program by another name:
# nothing in the kernel tells what it was called (processName is the name
# a process runs under). The checker says so where it is relied on; the
# hard link of a program blocked by its path is refused (above).
@test "blocking by processName only: d4c-policy check says a link under another name escapes" {
	run d4c-policy check "$T/policy.yaml"
	assert_success
	assert_output --partial "selector 'byName' blocks by processName only: a copy or hard link"
	refute_output --partial "selector 'byPath'"
}

@test "execveat(AT_EMPTY_PATH) does not run a program blocked by its path" {
	load_start --host "$T/policy.d4cp"
	run "$PROGS/exec-via" execveat "$T/bin/d4cblocked" d4cblocked should-not-print
	refute_output --partial should-not-print
	assert_eperm
	load_stop
	# one alert, and a failure: no second one claiming the exec succeeded
	assert_denied exec "$T/bin/d4cblocked"
}

@test "execveat(AT_EMPTY_PATH) does not run a program blocked by its name" {
	load_start --host "$T/policy.d4cp"
	run "$PROGS/exec-via" execveat "$T/bin/d4cnamed" d4cnamed should-not-print
	refute_output --partial should-not-print
	assert_eperm
	load_stop
	assert_denied exec "$T/bin/d4cnamed"
}

@test "/proc/self/fd/N does not run a program blocked by its path" {
	load_start --host "$T/policy.d4cp"
	run "$PROGS/exec-via" procfd "$T/bin/d4cblocked" d4cblocked should-not-print
	refute_output --partial should-not-print
	assert_eperm
	load_stop
	assert_denied exec "$T/bin/d4cblocked"
}

@test "/proc/self/fd/N does not run a program blocked by its name" {
	load_start --host "$T/policy.d4cp"
	run "$PROGS/exec-via" procfd "$T/bin/d4cnamed" d4cnamed should-not-print
	refute_output --partial should-not-print
	assert_eperm
	load_stop
	assert_denied exec "$T/bin/d4cnamed"
}

@test "a script does not run under an interpreter blocked by its name" {
	printf '#!%s\necho should-not-print\n' "$T/bin/d4cshell" >"$T/free/script"
	chmod +x "$T/free/script"
	load_start --host "$T/policy.d4cp"
	run "$T/free/script"
	refute_output --partial should-not-print
	assert_eperm
	load_stop
	assert_denied exec "$T/bin/d4cshell" "$T/free/script"
}

@test "a process that takes a fork-blocked name with PR_SET_NAME cannot fork" {
	load_start --host "$T/policy.d4cp"
	run "$PROGS/fork-as" d4cnofork
	refute_output --partial "child ran"
	assert_eperm
	load_stop
	run events '.event.kind == "alert" and .event.action == "fork"'
	assert_one_line
	# process.name is the executable's, whatever name the process took
	assert_equal "$(jq -r .process.name <<<"$output")" fork-as
	assert_equal "$(jq -r .event.outcome <<<"$output")" failure
}

@test "a fork-blocked program that renames itself with PR_SET_NAME still cannot fork" {
	cp "$PROGS/fork-as" "$T/bin/d4cnofork"
	load_start --host "$T/policy.d4cp"
	run "$T/bin/d4cnofork" innocent
	refute_output --partial "child ran"
	assert_eperm
	load_stop
	run events '.event.kind == "alert" and .event.action == "fork"'
	assert_one_line
	assert_equal "$(jq -r .process.name <<<"$output")" d4cnofork
	assert_equal "$(jq -r .process.executable <<<"$output")" "$T/bin/d4cnofork"
	assert_equal "$(jq -r .event.outcome <<<"$output")" failure
}

# --- descriptors opened before d4c-load started -------------------------------------

@test "a descriptor opened before d4c-load started: write(2) is refused" {
	held_write_is_refused write
}

@test "a descriptor opened before d4c-load started: a shared mapping is refused" {
	held_write_is_refused mmap
}

@test "a descriptor opened before d4c-load started: sendfile(2) is refused" {
	held_write_is_refused sendfile
}

@test "a descriptor opened before d4c-load started: splice(2) is refused" {
	held_write_is_refused splice
}

@test "a descriptor opened before d4c-load started: copy_file_range(2) is refused" {
	held_write_is_refused copy_file_range
}

@test "a descriptor opened before d4c-load started: fallocate(2) is refused" {
	held_write_is_refused fallocate
}

@test "a descriptor opened before d4c-load started: ftruncate(2) is refused" {
	held_write_is_refused ftruncate
}

@test "a descriptor opened before d4c-load started: an io_uring write is refused" {
	held_write_is_refused uring-write
}

@test "an extended attribute cannot be set on a protected executable" {
	cp /bin/true "$T/prot/tool"
	fs_snapshot
	load_start --host "$T/policy.d4cp"
	# trusted.*: the guest's tmpfs (6.1) has no user.* attributes
	run python3 -c "import os; os.setxattr('$T/prot/tool', 'trusted.d4c', b'x')"
	assert_failure
	assert_output --partial "Operation not permitted"
	assert_fs_unchanged
	load_stop
	run python3 -c "import os; print(os.listxattr('$T/prot/tool'))"
	assert_output "[]"
	assert_denied modification "$T/prot/tool"
}

@test "file capabilities cannot be set on a protected executable" {
	cp /bin/true "$T/prot/tool"
	fs_snapshot
	load_start --host "$T/policy.d4cp"
	run setcap cap_net_raw+ep "$T/prot/tool"
	assert_eperm
	assert_fs_unchanged
	load_stop
	run getcap "$T/prot/tool"
	assert_output ""
	assert_denied modification "$T/prot/tool"
}

# --- paths deeper than the kernel's walk ------------------------------------------

@test "a file 70 levels down the protected tree cannot be written" {
	deep=$T/prot$(printf '/d%.0s' $(seq 1 70))
	mkdir -p "$deep"
	echo original >"$deep/f"
	fs_snapshot
	load_start --host "$T/policy.d4cp"
	run sh -c "echo attack >>'$deep/f'"
	assert_eperm
	assert_fs_unchanged
	load_stop
	assert_denied open
}

@test "a file under 17 names of 255 bytes in the protected tree cannot be written" {
	name=$(printf 'n%.0s' $(seq 1 255))
	# longer than PATH_MAX: reached one directory at a time
	(cd "$T/prot" && for _ in $(seq 1 17); do mkdir "$name" && cd "$name" || exit; done &&
		echo original >f)
	fs_snapshot
	load_start --host "$T/policy.d4cp"
	# bash, not dash: dash's cd joins the names into one path past PATH_MAX
	run bash -c 'cd "$1" && for _ in $(seq 1 17); do cd "$2" || exit; done && echo attack >>f' \
		bash "$T/prot" "$name"
	assert_eperm
	assert_fs_unchanged
	load_stop
	assert_denied open
}

# --- what a memfd's program is called ------------------------------------------------

@test "a program run from a memfd is reported as memfd:NAME, not /" {
	load_start --host "$T/policy.d4cp"
	run "$PROGS/memfd-exec" /bin/echo should-not-print
	refute_output --partial should-not-print
	load_stop
	run events '.event.kind == "alert" and .event.action == "execution"'
	assert_one_line
	assert_equal "$(jq -r .file.path <<<"$output")" memfd:d4c-test
}
