#!/usr/bin/env bats
# d4c-policy compile and dump: the blob d4c-load installs, and its JSON view.

load helpers

@test "compile writes a blob that dump reads back" {
	run d4c-policy compile -o "$T/default.d4cp" "$top_srcdir/share/policies/default.yaml"
	assert_success
	assert_output ""
	run d4c-policy dump "$T/default.d4cp"
	assert_success
	echo "$output" | jq -e '.format_version == 1 and .revision == 0' >/dev/null
	echo "$output" | jq -e '.process.selectors[0].name == "allProcesses"' >/dev/null
	echo "$output" | jq -e '.process.selectors[0].operation == ["fork", "exec"]' >/dev/null
	echo "$output" | jq -e '.file.responses[0].actions == ["alert"]' >/dev/null
}

@test "the blob's digest is the SHA-256 of the policy source" {
	d4c-policy compile -o "$T/p.d4cp" "$top_srcdir/share/policies/default.yaml"
	want=$(sha256sum "$top_srcdir/share/policies/default.yaml" | cut -d' ' -f1)
	run d4c-policy dump "$T/p.d4cp"
	assert_success
	[ "$(echo "$output" | jq -r .digest)" = "$want" ]
}

@test "compiling is deterministic: the same policy gives the same bytes" {
	d4c-policy compile -o "$T/a.d4cp" "$top_srcdir/share/policies/examples/protect-system-paths.yaml"
	d4c-policy compile -o "$T/b.d4cp" "$top_srcdir/share/policies/examples/protect-system-paths.yaml"
	cmp "$T/a.d4cp" "$T/b.d4cp"
}

@test "--revision is recorded in the blob" {
	d4c-policy compile --revision 42 -o "$T/r.d4cp" "$top_srcdir/share/policies/default.yaml"
	run d4c-policy dump "$T/r.d4cp"
	assert_success
	[ "$(echo "$output" | jq .revision)" = 42 ]
	run d4c-policy compile --revision -1 -o "$T/x.d4cp" "$top_srcdir/share/policies/default.yaml"
	assert_failure 2
	# package_policy_revision is mapped as a short
	d4c-policy compile --revision 32767 -o "$T/r.d4cp" "$top_srcdir/share/policies/default.yaml"
	run d4c-policy compile --revision 32768 -o "$T/x.d4cp" "$top_srcdir/share/policies/default.yaml"
	assert_failure 2
	assert_line "d4c-policy: invalid revision '32768' (an integer from 0 to 32767)"
}

@test "compile -o - writes the blob on stdout, and stdin can be the policy" {
	d4c-policy compile -o - - <"$top_srcdir/share/policies/default.yaml" >"$T/s.d4cp"
	d4c-policy compile -o "$T/f.d4cp" "$top_srcdir/share/policies/default.yaml"
	cmp "$T/s.d4cp" "$T/f.d4cp"
}

@test "dump shows paths, names and container conditions as written in the policy" {
	cat >"$T/p.yaml" <<'YAML'
file:
  selectors:
    - name: sys
      operation: [createFile, modifyFile]
      targetFilePath: [/etc/**, /usr/sbin/*, /etc/passwd]
      containerImageName: [nginx]
      kubernetesPodLabel: ["app:web*"]
  responses:
    - match: [sys]
      actions: [alert, block]
process:
  selectors:
    - name: shells
      processName: [bash, "ba*"]
  responses:
    - match: [shells]
      actions: [log]
YAML
	d4c-policy compile -o "$T/p.d4cp" "$T/p.yaml"
	run d4c-policy dump "$T/p.d4cp"
	assert_success
	echo "$output" | jq -e '.file.selectors[0].targetFilePath | sort == ["/etc/**", "/etc/passwd", "/usr/sbin/*"]' >/dev/null
	echo "$output" | jq -e '.file.selectors[0].containerImageName == ["nginx"]' >/dev/null
	echo "$output" | jq -e '.file.selectors[0].kubernetesPodLabel == ["app:web*"]' >/dev/null
	echo "$output" | jq -e '.process.selectors[0].processName | sort == ["ba*", "bash"]' >/dev/null
	echo "$output" | jq -e '.file.responses[0].actions == ["alert", "block"]' >/dev/null
}

@test "compile refuses an invalid policy with check's diagnostics and writes nothing" {
	printf 'process:\n  selectors:\n    - name: a\n      operation: [frok]\n  responses:\n    - match: [a]\n      actions: [log]\n' >"$T/bad.yaml"
	run d4c-policy compile -o "$T/bad.d4cp" "$T/bad.yaml"
	assert_failure 1
	assert_output --partial "bad.yaml:4:19: error: unknown process operation 'frok' (did you mean 'fork'?)"
	[ ! -e "$T/bad.d4cp" ]
}

@test "compile --strict refuses a policy with warnings" {
	printf 'process:\n  selectors:\n    - name: a\n      operation: [fork]\n    - name: b\n      operation: [exec]\n  responses:\n    - match: [a]\n      actions: [log]\n' >"$T/w.yaml"
	run d4c-policy compile -o "$T/w.d4cp" "$T/w.yaml"
	assert_success
	assert_output --partial "warning: process selector 'b' is not used by any response"
	run d4c-policy compile --strict -o "$T/w2.d4cp" "$T/w.yaml"
	assert_failure 1
	[ ! -e "$T/w2.d4cp" ]
}

@test "compile refuses to write a blob to a terminal" {
	command -v script >/dev/null || skip "script(1) is not installed"
	run script -qec "d4c-policy compile $top_srcdir/share/policies/default.yaml" /dev/null
	assert_failure 2
	assert_output --partial "refusing to write a binary blob to a terminal"
}

@test "compile and dump usage errors exit 2" {
	run d4c-policy compile
	assert_failure 2
	run d4c-policy compile a.yaml b.yaml
	assert_failure 2
	run d4c-policy dump
	assert_failure 2
	run d4c-policy dump "$T/missing.d4cp"
	assert_failure 2
	assert_output --partial "cannot read '$T/missing.d4cp'"
}

@test "dump refuses a corrupted blob with one line saying why" {
	d4c-policy compile -o "$T/p.d4cp" "$top_srcdir/share/policies/default.yaml"
	size=$(stat -c %s "$T/p.d4cp")
	# Flip one byte in the middle of the tables.
	cp "$T/p.d4cp" "$T/flip.d4cp"
	printf '\377' | dd of="$T/flip.d4cp" bs=1 seek=$((size / 2)) conv=notrunc status=none
	run d4c-policy dump "$T/flip.d4cp"
	assert_failure 1
	assert_output "d4c-policy: error: '$T/flip.d4cp': blob checksum mismatch (corrupted)"
	head -c $((size - 8)) "$T/p.d4cp" >"$T/short.d4cp"
	run d4c-policy dump "$T/short.d4cp"
	assert_failure 1
	assert_output --partial "truncated"
	run d4c-policy dump "$top_srcdir/share/policies/default.yaml"
	assert_failure 1
	assert_output --partial "not a d4c policy blob"
}

# Where -o points is not always a file to replace. As root the tests use
# device nodes of their own (same major and minor as /dev/null and
# /dev/full), so that a regression cannot replace the machine's /dev/null.
char_dev() { # NAME MAJOR MINOR: prints the path of such a device
	if [ "$(id -u)" -eq 0 ] && mknod "$T/$1" c "$2" "$3" 2>/dev/null &&
		: >"$T/$1" 2>/dev/null; then
		echo "$T/$1"
	else
		echo "/dev/$1"
	fi
}

@test "compile -o /dev/null writes through the device and leaves it a device" {
	null=$(char_dev null 1 3)
	run d4c-policy compile -o "$null" "$top_srcdir/share/policies/default.yaml"
	assert_success
	assert_output ""
	[ -c "$null" ]
	[ "$(stat -c %t:%T "$null")" = 1:3 ]
	[ -z "$(ls "$(dirname "$null")" | grep '\.tmp')" ]
}

@test "compile -o /dev/full fails with one line and exit 2, and the device stays" {
	full=$(char_dev full 1 7)
	run d4c-policy compile -o "$full" "$top_srcdir/share/policies/default.yaml"
	assert_failure 2
	assert_one_line
	assert_output "d4c-policy: error: cannot write '$full': No space left on device"
	[ -c "$full" ]
}

@test "compile -o FIFO writes the blob into the pipe" {
	d4c-policy compile -o "$T/want.d4cp" "$top_srcdir/share/policies/default.yaml"
	mkfifo "$T/fifo"
	timeout 10 cat "$T/fifo" >"$T/got.d4cp" &
	reader=$!
	run d4c-policy compile -o "$T/fifo" "$top_srcdir/share/policies/default.yaml"
	assert_success
	wait "$reader"
	[ -p "$T/fifo" ]
	cmp "$T/want.d4cp" "$T/got.d4cp"
}

@test "compile -o SYMLINK replaces the file it points to and keeps the link" {
	echo old >"$T/real.d4cp"
	ln -s real.d4cp "$T/link.d4cp"
	run d4c-policy compile -o "$T/link.d4cp" "$top_srcdir/share/policies/default.yaml"
	assert_success
	[ -L "$T/link.d4cp" ]
	[ "$(readlink "$T/link.d4cp")" = real.d4cp ]
	d4c-policy dump "$T/real.d4cp" >/dev/null
}

@test "compile refuses a symlink to something that is not a regular file" {
	ln -s missing.d4cp "$T/dangling"
	run d4c-policy compile -o "$T/dangling" "$top_srcdir/share/policies/default.yaml"
	assert_failure 2
	assert_output "d4c-policy: error: '$T/dangling' is a symbolic link to something that is not a regular file: refusing it"
	[ -L "$T/dangling" ]
	[ ! -e "$T/missing.d4cp" ]
	mkdir "$T/dir"
	ln -s dir "$T/dirlink"
	run d4c-policy compile -o "$T/dirlink" "$top_srcdir/share/policies/default.yaml"
	assert_failure 2
	[ -L "$T/dirlink" ]
	[ -d "$T/dir" ]
}

@test "compile to a closed stdout names stdout, not stdin" {
	run sh -c 'd4c-policy compile "$1" >&-' sh "$top_srcdir/share/policies/default.yaml"
	assert_failure 2
	assert_output "d4c-policy: error: cannot write '<stdout>': Bad file descriptor"
}
