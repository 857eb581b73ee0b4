#!/usr/bin/env bats
# Every program has a complete man page in share/man, and its --help and
# its man page name the same options: neither can gain or lose one alone.

load helpers

PROGRAMS="d4c-policy d4c-load d4c-trace d4c-enrich d4c-ship"

# The long options a text names, one per line, sorted.
long_options() {
	sed 's/\\-/-/g' | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u
}

# The OPTIONS section of man page $1.
options_section() {
	awk '/^\.SH OPTIONS/ { f = 1; next } /^\.SH/ { f = 0 } f' "$top_srcdir/share/man/$1.1"
}

@test "each man page has the sections users look for" {
	for p in $PROGRAMS; do
		while read -r s; do
			grep -qx "\.SH $s" "$top_srcdir/share/man/$p.1" || fail "$p.1 has no $s section"
		done <<-SECTIONS
		NAME
		SYNOPSIS
		DESCRIPTION
		OPTIONS
		EXIT STATUS
		FILES
		EXAMPLES
		SEE ALSO
		SECTIONS
	done
}

@test "--help and the man page's OPTIONS name the same options, for every program" {
	for p in $PROGRAMS; do
		run diff <("$p" --help | long_options) <(options_section "$p" | long_options)
		[ "$status" -eq 0 ] || fail "$p: --help (<) and $p.1 (>) differ:
$output"
	done
}

@test "each man page renders without warnings" {
	for p in $PROGRAMS; do
		run sh -c "groff -man -Tutf8 -ww -z '$top_srcdir/share/man/$p.1' 2>&1"
		assert_output ""
	done
}

# The statuses man page $1 lists under EXIT STATUS, one per line, sorted.
man_statuses() {
	awk '/^\.SH "?EXIT STATUS/ { f = 1; next } /^\.SH/ { f = 0 }
		f && prev == ".TP" { sub(/^\.B /, ""); if ($0 ~ /^[0-9]+$/) print }
		{ prev = $0 }' "$top_srcdir/share/man/$1.1" | sort -un
}

# The statuses lib/base/exit.h, the one table of them, gives program $1.
table_statuses() {
	sed -n 's/^[[:space:]]*X(EXIT_[A-Z_]*, \([0-9]*\), "\([^"]*\)").*/\1 \2/p' \
		"$top_srcdir/lib/base/exit.h" | awk -v p="$1" '{ for (i = 2; i <= NF; i++) if ($i == p) print $1 }' |
		sort -un
}

@test "each man page lists exactly the exit statuses lib/base/exit.h gives its program" {
	for p in $PROGRAMS; do
		[ -n "$(table_statuses "$p")" ] || fail "lib/base/exit.h gives $p no status"
		run diff <(table_statuses "$p") <(man_statuses "$p")
		[ "$status" -eq 0 ] || fail "$p: lib/base/exit.h (<) and $p.1 (>) differ:
$output"
	done
}

@test "every program answers --version and -V with its name and the package's version" {
	want=$(sed -n 's/^#define PACKAGE_VERSION "\(.*\)"$/\1/p' "$top_builddir/config.h")
	[ -n "$want" ] || fail "no PACKAGE_VERSION in config.h"
	for p in $PROGRAMS; do
		for o in --version -V; do
			run "$p" "$o"
			assert_success
			# d4c-policy adds the blob format it writes.
			assert_output --regexp "^$p ${want//./\\.}( \(blob format [0-9]+\))?$"
		done
	done
}
