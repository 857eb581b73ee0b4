#!/usr/bin/env bats
# d4c-policy check: what CI runs on every policy change. It reports every
# problem of every file in one run, compiler style, and never trusts its input.

load helpers

bats_require_minimum_version 1.5.0

setup() {
	common_setup
	# A small policy with three errors and one warning, on known lines.
	cat >"$T/bad.yaml" <<'YAML'
process:
  selectors:
    - name: shells
      operation: [exce]
      processName: [bash]
    - name: unused
      operation: [fork]
  responses:
    - match: [shell]
      actions: [block]
YAML
	cat >"$T/warn.yaml" <<'YAML'
process:
  selectors:
    - name: allProcesses
      operation: [fork, exec]
    - name: forgotten
      processName: [bash]
  responses:
    - match: [allProcesses]
      actions: [log]
YAML
}

# --- Valid policies ---------------------------------------------------------

@test "a valid policy passes silently with exit 0" {
	run d4c-policy check "$top_srcdir/share/policies/default.yaml"
	assert_success
	assert_output ""
}

# execMemFd is d4c's own operation: Kibana's editor refuses it, and check
# says so in a warning, the only one a shipped policy may have.
@test "every policy shipped under share/policies (and examples/) is valid, even with --strict but for execMemFd" {
	n=0
	for f in "$top_srcdir"/share/policies/*.yaml "$top_srcdir"/share/policies/examples/*.yaml \
		"$top_srcdir"/examples/*.yaml; do
		[ -e "$f" ] || continue
		run d4c-policy check "$f"
		assert_success
		refute_output --regexp ": error: |: warning: [^k]"
		if [ -z "$output" ]; then
			run d4c-policy check --strict "$f"
			assert_success
			assert_output ""
		else
			assert_output --regexp "warning: kibana's editor refuses operation 'execMemFd'"
		fi
		n=$((n + 1))
	done
	[ "$n" -ge 4 ] || fail "only $n shipped policies found"
}

@test "every policy of the valid corpus passes check" {
	for f in "$top_srcdir"/t/corpus/valid/*.yaml; do
		run d4c-policy check "$f"
		assert_success
	done
}

# --- Diagnostics ------------------------------------------------------------

@test "check reports every problem with file:line:col, in file order" {
	run d4c-policy check "$T/bad.yaml"
	assert_failure 1
	assert_line --index 0 "$T/bad.yaml:4:19: error: unknown process operation 'exce' (did you mean 'exec'?)"
	assert_line --index 1 "$T/bad.yaml:6:13: warning: process selector 'unused' is not used by any response"
	assert_line --index 2 "$T/bad.yaml:9:15: error: unknown process selector 'shell' (did you mean 'shells'?)"
	assert_line --index 3 "$T/bad.yaml:10:17: error: 'block' requires 'alert' in the same response"
	[ "${#lines[@]}" -eq 4 ]
}

@test "diagnostics go to stdout and nothing to stderr" {
	run --separate-stderr d4c-policy check "$T/bad.yaml"
	assert_failure 1
	[ "${#lines[@]}" -eq 4 ]
	[ -z "$stderr" ]
}

@test "files are named in diagnostics as given on the command line" {
	cd "$T"
	run d4c-policy check bad.yaml
	assert_failure 1
	assert_line --index 0 --regexp '^bad\.yaml:4:19: error: '
}

@test "warnings alone leave the policy valid (exit 0) and are still printed" {
	run d4c-policy check "$T/warn.yaml"
	assert_success
	assert_output "$T/warn.yaml:5:13: warning: process selector 'forgotten' is not used by any response"
}

@test "--strict turns warnings into a failure (exit 1)" {
	run d4c-policy check --strict "$T/warn.yaml"
	assert_failure 1
	assert_output "$T/warn.yaml:5:13: warning: process selector 'forgotten' is not used by any response"
}

@test "--strict does not change a policy without warnings" {
	run d4c-policy check --strict "$top_srcdir/share/policies/default.yaml"
	assert_success
	assert_output ""
}

# --- Output formats ---------------------------------------------------------

@test "--format text is the default" {
	run d4c-policy check "$T/bad.yaml"
	default=$output
	run d4c-policy check --format text "$T/bad.yaml"
	assert_failure 1
	assert_output "$default"
}

@test "--format json prints one JSON object per diagnostic with file, line, column, severity, code, message" {
	run --separate-stderr d4c-policy check --format json "$T/bad.yaml"
	assert_failure 1
	[ "${#lines[@]}" -eq 4 ]
	for l in "${lines[@]}"; do
		echo "$l" | jq -e '
			(keys | sort) == ["code", "column", "file", "line", "message", "severity"]
			and (.file | type) == "string" and (.line | type) == "number"
			and (.column | type) == "number" and (.code | type) == "string"
			and (.severity == "error" or .severity == "warning")' >/dev/null ||
			fail "not a diagnostic object: $l"
	done
	echo "${lines[0]}" | jq -e --arg f "$T/bad.yaml" '
		.file == $f and .line == 4 and .column == 19 and .severity == "error"
		and .code == "unknown-operation"
		and .message == "unknown process operation '\''exce'\'' (did you mean '\''exec'\''?)"' >/dev/null
	echo "${lines[1]}" | jq -e '.severity == "warning" and .code == "unused-selector"' >/dev/null
}

@test "--format json gives line and column 0 to a problem of the whole file" {
	: >"$T/empty.yaml"
	run d4c-policy check --format json "$T/empty.yaml"
	assert_failure 1
	assert_one_line
	echo "$output" | jq -e '.line == 0 and .column == 0 and .code == "empty"' >/dev/null
}

@test "--format json stays valid JSON when a long non-ASCII value is quoted cut short" {
	v=$(printf 'é%.0s' $(seq 40))
	cat >"$T/utf8.yaml" <<YAML
process:
  selectors:
    - name: a
      processExecutable: [$v]
  responses:
    - match: [a]
      actions: [log]
YAML
	run --separate-stderr d4c-policy check --format json "$T/utf8.yaml"
	assert_failure 1
	[ -z "$stderr" ] || fail "stderr: $stderr"
	assert_one_line
	echo "$output" | jq -e '.line == 4 and .column == 27 and .code == "bad-path"' >/dev/null
}

@test "--format json stays valid JSON for a file name that is not UTF-8" {
	cp "$T/bad.yaml" "$T/"$'\xff'".yaml"
	run --separate-stderr d4c-policy check --format json "$T/"$'\xff'".yaml"
	assert_failure 1
	[ -z "$stderr" ] || fail "stderr: $stderr"
	[ "${#lines[@]}" -eq 4 ]
	for l in "${lines[@]}"; do
		echo "$l" | jq -e '.line > 0 and (.file | type) == "string"' >/dev/null ||
			fail "not a diagnostic object: $l"
	done
}

@test "--format github prints GitHub workflow commands" {
	run d4c-policy check --format github "$T/bad.yaml"
	assert_failure 1
	[ "${#lines[@]}" -eq 4 ]
	assert_line --index 0 "::error file=$T/bad.yaml,line=4,col=19,title=unknown-operation::unknown process operation 'exce' (did you mean 'exec'?)"
	assert_line --index 1 --regexp '^::warning file=.*,line=6,col=13,title=unused-selector::'
	for l in "${lines[@]}"; do
		[[ $l == "::error file="* || $l == "::warning file="* ]] || fail "not a workflow command: $l"
	done
}

@test "--format github escapes ',' and ':' in file names" {
	cp "$T/bad.yaml" "$T/a,b:c.yaml"
	run d4c-policy check --format github "$T/a,b:c.yaml"
	assert_failure 1
	assert_line --index 0 --partial "file=${T//:/%3A}/a%2Cb%3Ac.yaml,line=4,col=19,"
}

# --- Usage and I/O errors: exit 2 -------------------------------------------

@test "check without a file is a usage error (exit 2)" {
	run --separate-stderr d4c-policy check
	assert_failure 2
	assert_output ""
	[[ $stderr == *"no policy file given"* ]]
	[[ $stderr == *"d4c-policy --help"* ]]
}

@test "an unknown option is a usage error (exit 2)" {
	run --separate-stderr d4c-policy check --bogus "$T/bad.yaml"
	assert_failure 2
	assert_output ""
	[[ $stderr == *"--bogus"* ]]
}

@test "an unknown --format is a usage error (exit 2)" {
	run --separate-stderr d4c-policy check --format xml "$T/bad.yaml"
	assert_failure 2
	assert_output ""
	[[ $stderr == *"unknown format 'xml'"* ]]
	run d4c-policy check --format
	assert_failure 2
}

@test "an unknown command is a usage error (exit 2)" {
	run --separate-stderr d4c-policy chekc "$T/bad.yaml"
	assert_failure 2
	[[ $stderr == *"unknown command 'chekc'"* ]]
}

@test "a misspelled command is answered with the closest one (exit 2)" {
	run --separate-stderr d4c-policy chek "$T/bad.yaml"
	assert_failure 2
	assert_output ""
	assert_equal "${stderr_lines[0]}" "d4c-policy: unknown command 'chek' (did you mean 'check'?)"
	run --separate-stderr d4c-policy compil "$T/bad.yaml"
	assert_equal "${stderr_lines[0]}" "d4c-policy: unknown command 'compil' (did you mean 'compile'?)"
	# nothing close: no guess
	run --separate-stderr d4c-policy frobnicate "$T/bad.yaml"
	assert_failure 2
	assert_equal "${stderr_lines[0]}" "d4c-policy: unknown command 'frobnicate'"
}

@test "no command at all prints the usage on stderr and exits 2" {
	run --separate-stderr d4c-policy
	assert_failure 2
	assert_output ""
	[[ $stderr == "usage: d4c-policy "* ]]
}

@test "a missing file is an I/O error (exit 2) named in one line" {
	run d4c-policy check "$T/nope.yaml"
	assert_failure 2
	assert_output "$T/nope.yaml: error: cannot read: No such file or directory"
}

@test "a directory is an I/O error (exit 2)" {
	run d4c-policy check "$T"
	assert_failure 2
	assert_one_line
	assert_output --partial "$T: error: cannot read"
}

@test "an unreadable file wins over invalid ones: exit 2, with every diagnostic still printed" {
	run d4c-policy check "$T/bad.yaml" "$T/nope.yaml"
	assert_failure 2
	assert_line --partial "$T/bad.yaml:4:19: error: unknown process operation"
	assert_line "$T/nope.yaml: error: cannot read: No such file or directory"
}

# --- Inputs -----------------------------------------------------------------

@test "'-' reads the policy from stdin and names it <stdin>" {
	run d4c-policy check - <"$T/bad.yaml"
	assert_failure 1
	assert_line --index 0 "<stdin>:4:19: error: unknown process operation 'exce' (did you mean 'exec'?)"
	run d4c-policy check - <"$top_srcdir/share/policies/default.yaml"
	assert_success
	assert_output ""
}

@test "'-' can be given only once" {
	run --separate-stderr d4c-policy check - - <"$T/bad.yaml"
	assert_failure 2
	[[ $stderr == *"stdin"*"twice"* ]]
}

@test "several files in one run: exit 1 if any is invalid, diagnostics of each" {
	cp "$T/bad.yaml" "$T/bad2.yaml"
	run d4c-policy check "$top_srcdir/share/policies/default.yaml" "$T/bad.yaml" "$T/bad2.yaml"
	assert_failure 1
	[ "${#lines[@]}" -eq 8 ]
	assert_line --index 0 --regexp "^$T/bad\.yaml:4:19: error: "
	assert_line --index 4 --regexp "^$T/bad2\.yaml:4:19: error: "
	refute_output --partial default.yaml
}

@test "several valid files in one run exit 0" {
	run d4c-policy check "$top_srcdir/share/policies/default.yaml" "$T/warn.yaml" \
		"$top_srcdir"/share/policies/examples/*.yaml
	assert_success
	assert_output --partial "warn.yaml:5:13: warning:"
	assert_output --regexp "drift-prevention.yaml:[0-9]+:[0-9]+: warning: kibana's editor refuses operation 'execMemFd'"
	[ "${#lines[@]}" -eq 2 ]
}

@test "an empty file is an empty policy, in one line" {
	: >"$T/empty.yaml"
	run d4c-policy check "$T/empty.yaml"
	assert_failure 1
	assert_output "$T/empty.yaml: error: empty policy: expected a mapping with 'file' and/or 'process'"
}

# --- Hostile input ----------------------------------------------------------

@test "a billion-laughs file is refused at its first alias, never expanded" {
	cat >"$T/lol.yaml" <<'YAML'
a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]
i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]
process:
  selectors:
    - name: laughs
      processName: *i
  responses:
    - match: [laughs]
      actions: [log]
YAML
	run d4c-policy check --format json "$T/lol.yaml"
	assert_failure 1
	assert_one_line
	echo "$output" | jq -e '.code == "yaml-alias" and .line == 2 and .column == 8' >/dev/null
	run d4c-policy check "$T/lol.yaml"
	assert_output "$T/lol.yaml:2:8: error: YAML alias '*a' is not allowed in a policy (write the value out)"
}

@test "a file over 1 MiB is refused with one line, unread" {
	head -c $((2 * 1024 * 1024)) /dev/zero | tr '\0' '#' >"$T/big.yaml"
	run d4c-policy check "$T/big.yaml"
	assert_failure 1
	assert_one_line
	assert_output --partial "$T/big.yaml: error: "
	assert_output --partial "1 MiB"
}

@test "a binary file (NUL bytes) is refused with one line" {
	head -c 4096 /bin/true >"$T/true.yaml"
	run d4c-policy check "$T/true.yaml"
	assert_failure 1
	assert_one_line
	assert_output --regexp "^$T/true\.yaml:[0-9]+:[0-9]+: error: binary file"
}

@test "invalid UTF-8 is refused at its line and column" {
	printf '\xff' >"$T/ff.yaml"
	run d4c-policy check "$T/ff.yaml"
	assert_failure 1
	assert_output "$T/ff.yaml:1:1: error: invalid UTF-8 (byte 0xff): a policy is UTF-8 text"
	printf 'process:\n  selectors:\n    - name: caf\xc3\xa9\xff\n' >"$T/mid.yaml"
	run d4c-policy check "$T/mid.yaml"
	assert_failure 1
	assert_output "$T/mid.yaml:3:17: error: invalid UTF-8 (byte 0xff): a policy is UTF-8 text"
}

@test "overlong UTF-8 and encoded surrogates are refused like any bad byte" {
	printf 'version: "\xc0\xaf"\n' >"$T/overlong.yaml"
	run d4c-policy check "$T/overlong.yaml"
	assert_failure 1
	assert_output "$T/overlong.yaml:1:11: error: invalid UTF-8 (byte 0xc0): a policy is UTF-8 text"
	printf 'version: "\xed\xa0\x80"\n' >"$T/surrogate.yaml"
	run d4c-policy check "$T/surrogate.yaml"
	assert_failure 1
	assert_output --partial "$T/surrogate.yaml:1:11: error: invalid UTF-8"
}

@test "a control character is refused at its line and column" {
	printf 'process:\n  selectors:\n    - name: a\001b\n' >"$T/ctrl.yaml"
	run d4c-policy check "$T/ctrl.yaml"
	assert_failure 1
	assert_one_line
	assert_output --regexp "^$T/ctrl\.yaml:3:14: error: "
}

@test "deep nesting gives one clear error, not a crash" {
	{
		printf 'process: '
		for _ in $(seq 100); do printf '['; done
		for _ in $(seq 100); do printf ']'; done
		echo
	} >"$T/deep.yaml"
	run d4c-policy check "$T/deep.yaml"
	assert_failure 1
	assert_output "$T/deep.yaml:1:41: error: YAML nested deeper than 32 levels"
	# Far deeper, and mappings too: still one line, still exit 1.
	python3 -c 'print("[" * 200000)' >"$T/deeper.yaml"
	run d4c-policy check "$T/deeper.yaml"
	assert_failure 1
	assert_output --partial "nested deeper than 32 levels"
	{
		for _ in $(seq 100); do printf '{a: '; done
		for _ in $(seq 100); do printf '}'; done
		echo
	} >"$T/maps.yaml"
	run d4c-policy check "$T/maps.yaml"
	assert_failure 1
	assert_output "$T/maps.yaml:1:129: error: YAML nested deeper than 32 levels"
}

@test "more than one YAML document is refused" {
	printf 'process: {}\n---\nfile: {}\n' >"$T/two.yaml"
	run d4c-policy check "$T/two.yaml"
	assert_failure 1
	assert_output "$T/two.yaml:2:1: error: more than one YAML document (a policy is one document)"
}

# --- Help and version -------------------------------------------------------

@test "d4c-policy help prints the usage on stdout and exits 0" {
	run --separate-stderr d4c-policy help
	assert_success
	assert_line --index 0 "usage: d4c-policy <command> [<options>] [<args>]"
	assert_output --partial "check [--format text|json|github] [--strict] FILE..."
	[ -z "$stderr" ]
}

@test "--help and -h print the same usage, and so does check --help" {
	run d4c-policy help
	usage=$output
	run d4c-policy --help
	assert_success
	assert_output "$usage"
	run d4c-policy -h
	assert_success
	assert_output "$usage"
	run d4c-policy check --help
	assert_success
	assert_output "$usage"
}

@test "--version prints the program name and version" {
	run d4c-policy --version
	assert_success
	assert_one_line
	assert_output --regexp '^d4c-policy [0-9]+\.[0-9]+(\.[0-9]+)?'
	run d4c-policy -V
	assert_success
	assert_output --regexp '^d4c-policy [0-9]'
}

# Seen as a user sees it: `d4c-policy check` run in a terminal (tmux, a
# pane 200 columns wide so that nothing wraps), then the screen read back.
@test "in a terminal, a tab in the indentation is one line that names the tab" {
	command -v tmux >/dev/null || skip "tmux is not installed (apt-get install tmux)"
	printf 'process:\n  selectors:\n    - name: shells\n\t  operation: [exec]\n' >"$T/tab.yaml"
	sock=$(mktemp -u /tmp/d4c-tmux.XXXXXX) # $T can be too long for a socket path
	tmux -S "$sock" new-session -d -x 200 -y 10 \
		"cd '$T' && '$(command -v d4c-policy)' check tab.yaml; echo \"exit \$?\"; sleep 60"
	for _ in $(seq 1 50); do
		screen=$(tmux -S "$sock" capture-pane -p)
		[[ $screen == *"exit "* ]] && break
		sleep 0.1
	done
	tmux -S "$sock" kill-server
	rm -f "$sock"
	run sed '/^$/d' <<<"$screen"
	assert_line --index 0 "tab.yaml:4:1: error: tab character in indentation (YAML indents with spaces)"
	assert_line --index 1 "exit 1"
	assert_equal "${#lines[@]}" 2
}

# The compiled policy's tables have fixed sizes (policy_format.h): check
# refuses, at the value that does not fit, what compile would refuse.
many_paths() { # $1 distinct paths, each also as '/*' (the same table entry)
	{
		printf 'file:\n  selectors:\n    - name: many\n      targetFilePath:\n'
		awk -v n="$1" 'BEGIN { for (i = 0; i < n; i++) printf "        - /p/%d\n", i;
			for (i = 0; i < n; i += 97) printf "        - /p/%d/*\n", i }'
		printf '  responses:\n    - match: [many]\n      actions: [log]\n'
	}
}

@test "9,000 distinct paths: check refuses the 8,193rd, where it is, and so does compile" {
	many_paths 9000 >"$T/many.yaml"
	run d4c-policy check "$T/many.yaml"
	assert_failure 1
	assert_output "$T/many.yaml:8197:11: error: path '/p/8192' is one too many: d4c's tables hold at most 8192 distinct paths"
	run d4c-policy compile -o "$T/many.d4cp" "$T/many.yaml"
	assert_failure 1
	assert_output "$T/many.yaml:8197:11: error: path '/p/8192' is one too many: d4c's tables hold at most 8192 distinct paths"
	[ ! -s "$T/many.d4cp" ]
}

@test "8,192 distinct paths (with '/*' forms sharing their entries) check and compile" {
	many_paths 8192 >"$T/many.yaml"
	run d4c-policy check "$T/many.yaml"
	assert_success
	assert_output ""
	run d4c-policy compile -o "$T/many.d4cp" "$T/many.yaml"
	assert_success
	run d4c-policy dump "$T/many.d4cp"
	assert_success
	echo "$output" | jq -e '.file.selectors[0].targetFilePath | length == 8192 + 85' >/dev/null
}

@test "2,049 distinct process names and 16,385 container values: check refuses the one too many" {
	{
		printf 'process:\n  selectors:\n    - name: names\n      processName:\n'
		awk 'BEGIN { for (i = 0; i < 2049; i++) printf "        - n%d\n", i }'
		printf '    - name: images\n      containerImageTag:\n'
		awk 'BEGIN { for (i = 0; i < 16385; i++) printf "        - t%d\n", i }'
		printf '  responses:\n    - match: [names, images]\n      actions: [log]\n'
	} >"$T/many.yaml"
	run d4c-policy check "$T/many.yaml"
	assert_failure 1
	[ "${#lines[@]}" -eq 2 ]
	assert_line --index 0 "$T/many.yaml:2053:11: error: process name 'n2048' is one too many: d4c's tables hold at most 2048 distinct names"
	assert_line --index 1 "$T/many.yaml:18440:11: error: 'containerImageTag' value 't16384' is one too many: d4c's tables hold at most 16384 container condition values"
}
