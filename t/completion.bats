#!/usr/bin/env bats
# contrib/completion/d4c.bash: bash completion for the five programs. The
# options come from each program's own --help at completion time, so these
# tests compare what is completed with what the built programs say.

load helpers

bats_require_minimum_version 1.5.0

COMPLETION=contrib/completion/d4c.bash

# Completes the words given (the last one is the word being completed) in a
# fresh bash with the completion file sourced; prints COMPREPLY, one per line,
# sorted (bash sorts them before showing them).
complete_words() {
	local out
	out=$(bash -c '
		source "$1"; shift
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMPREPLY=()
		_d4c || exit 1
		printf "%s\n" "${COMPREPLY[@]}"
	' complete "$top_srcdir/$COMPLETION" "$@") || return
	[ -z "$out" ] || printf '%s\n' "$out" | LC_ALL=C sort
}

# The long options PROG's --help lists, one per line, sorted (by another
# reading of the help than the completion's).
help_long_options() {
	"$@" --help 2>&1 | grep -oE -- '--[a-z][a-z0-9-]*' | LC_ALL=C sort -u
}

require_built() {
	type -P "$1" >/dev/null || skip "$1 is not built yet (being written in another branch)"
}

@test "sourcing the file registers the completion for all five programs" {
	run bash -c 'source "$1" && for p in d4c-policy d4c-load d4c-trace d4c-enrich d4c-ship; do complete -p $p; done' \
		- "$top_srcdir/$COMPLETION"
	assert_success
	for p in d4c-policy d4c-load d4c-trace d4c-enrich d4c-ship; do
		assert_line "complete -F _d4c $p"
	done
}

@test "d4c-policy: its commands, as its --help lists them" {
	run complete_words d4c-policy ""
	assert_success
	want=$(d4c-policy --help | sed -n '/^commands:/,/^$/s/^  \([a-z][a-z]*\) .*/\1/p' | LC_ALL=C sort)
	[ "$output" = "$want" ] || fail "got: $output; want: $want"
	assert_line check
	assert_line compile
	assert_line dump
	assert_line test
	run complete_words d4c-policy c
	assert_output "check
compile"
}

@test "d4c-policy check and compile: the options of that command only" {
	run complete_words d4c-policy check --
	assert_success
	assert_output "--format
--help
--strict"
	run complete_words d4c-policy compile --
	assert_output "--format
--help
--revision
--strict"
}

@test "d4c-policy: --format values, with a space or '='" {
	run complete_words d4c-policy check --format ""
	assert_output "github
json
text"
	run complete_words d4c-policy check --format=g
	assert_output github
	# compile's help writes "--format F": the values come from check's.
	run complete_words d4c-policy compile --format j
	assert_output json
}

@test "d4c-policy: policy YAML for check and compile, blobs for dump, both for test" {
	mkdir -p "$T/w/sub"
	touch "$T/w/a.yaml" "$T/w/b.yml" "$T/w/c.txt" "$T/w/p.d4cp"
	cd "$T/w"
	run complete_words d4c-policy check ""
	assert_output "$(printf '%s\n' a.yaml b.yml sub | LC_ALL=C sort)"
	run complete_words d4c-policy compile --strict ""
	assert_output "$(printf '%s\n' a.yaml b.yml sub | LC_ALL=C sort)"
	run complete_words d4c-policy dump ""
	assert_output "$(printf '%s\n' p.d4cp sub | LC_ALL=C sort)"
	run complete_words d4c-policy test a.yaml ""
	assert_output "$(printf '%s\n' a.yaml b.yml p.d4cp sub | LC_ALL=C sort)"
}

@test "d4c-load --: every long option of its --help, and nothing else" {
	run complete_words d4c-load --
	assert_success
	[ "$output" = "$(help_long_options d4c-load)" ] || fail "got:
$output
want:
$(help_long_options d4c-load)"
	assert_line --host
	assert_line --pin
}

@test "d4c-load: directories for --pin, blobs for the operand" {
	mkdir -p "$T/w/bpffs"
	touch "$T/w/p.d4cp" "$T/w/p.yaml"
	cd "$T/w"
	run complete_words d4c-load --pin ""
	assert_output bpffs
	run complete_words d4c-load --host ""
	assert_output "$(printf '%s\n' bpffs p.d4cp | LC_ALL=C sort)"
	run complete_words d4c-load --ringbuf-size ""
	assert_output ""
}

@test "d4c-trace: its options, and -t completes a comma list of kinds" {
	require_built d4c-trace
	run complete_words d4c-trace --
	assert_success
	[ "$output" = "$(help_long_options d4c-trace)" ] || fail "got: $output"
	run complete_words d4c-trace -t ""
	assert_output "exec
exit
file
fork"
	run complete_words d4c-trace -t exec,f
	assert_output "exec,file
exec,fork"
}

@test "a comma list of kinds, with a stand-in d4c-trace --help (the list logic alone)" {
	# The real d4c-trace is checked above once built; this one only has the
	# help line the completion reads.
	mkdir -p "$T/bin"
	printf '#!/bin/sh\necho "  -t KINDS   what to trace: exec,fork,exit,file"\n' >"$T/bin/d4c-trace"
	chmod +x "$T/bin/d4c-trace"
	PATH="$T/bin:$PATH"
	run complete_words d4c-trace -t exec,
	assert_output "exec,exit
exec,file
exec,fork"
	run complete_words d4c-trace -t fork,exit,fi
	assert_output "fork,exit,file"
}

@test "d4c-enrich and d4c-ship: every long option of their --help" {
	built=0
	for p in d4c-enrich d4c-ship; do
		type -P "$p" >/dev/null || continue
		built=$((built + 1))
		run complete_words "$p" --
		[ "$output" = "$(help_long_options "$p")" ] || fail "$p: got: $output"
	done
	[ "$built" -gt 0 ] || skip "d4c-enrich and d4c-ship are not built yet (being written in other branches)"
}

@test "a program that is not installed completes files, without an error" {
	mkdir -p "$T/w" && touch "$T/w/x.yaml"
	cd "$T/w"
	run --separate-stderr env PATH=/usr/bin:/bin bash -c '
		source "$1"; COMP_WORDS=(d4c-ship --); COMP_CWORD=1; _d4c; echo "${#COMPREPLY[@]} [${COMPREPLY[*]}]"
		COMP_WORDS=(d4c-ship ""); COMP_CWORD=1; _d4c; echo "${COMPREPLY[*]}"' - "$top_srcdir/$COMPLETION"
	assert_success
	assert_line --index 0 "1 [--help]"
	assert_line --index 1 x.yaml
	[ -z "$stderr" ] || fail "stderr: $stderr"
}
