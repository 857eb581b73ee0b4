#!/bin/sh
# make install and make uninstall, from the build tree into a scratch
# DESTDIR: every program, policy, schema, man page, completion, the systemd
# unit and its script land where users and their tools look for them
# (paths from the build's own configure settings), and uninstall leaves
# no file behind. TAP.
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
dest=$tmp/dest
n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() {
	n=$((n + 1))
	failed=1
	echo "not ok $n - $1"
	shift
	for l in "$@"; do echo "#   $l"; done
}
# The value of a make variable of the build tree (bindir, datadir...).
mkvar() {
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$top_builddir" --no-print-directory --eval 'print-%: ; @echo $($*)' "print-$1"
}

echo "1..9"

if env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$top_builddir" install DESTDIR="$dest" >"$tmp/install.log" 2>&1; then
	ok "make install DESTDIR=... succeeds"
else
	not_ok "make install DESTDIR=... succeeds" "$(tail -n 20 "$tmp/install.log")"
	exit 1
fi

bindir=$dest$(mkvar bindir)
pkgdatadir=$dest$(mkvar pkgdatadir)
man1dir=$dest$(mkvar man1dir)
pkglibexecdir=$dest$(mkvar pkglibexecdir)
compdir=$dest$(mkvar datadir)/bash-completion/completions
unitdir=$dest$(mkvar prefix)/lib/systemd/system

# Every program make builds is installed and runs from there.
missing=
for p in $(mkvar bin_PROGRAMS); do
	name=${p##*/}
	[ -x "$bindir/$name" ] && "$bindir/$name" --help >/dev/null 2>&1 || missing="$missing $name"
done
if [ -z "$missing" ] && [ -x "$bindir/d4c-policy" ]; then
	ok "the programs are in bindir and run: $(ls "$bindir" | tr '\n' ' ')"
else
	not_ok "the programs are in bindir and run" "missing or failing:$missing"
fi

# The default policy and every example of the source tree, byte for byte.
bad=
for f in "$top_srcdir"/share/policies/default.yaml "$top_srcdir"/share/policies/examples/*.yaml; do
	rel=${f#"$top_srcdir"/share/policies/}
	cmp -s "$f" "$pkgdatadir/policies/$rel" || bad="$bad $rel"
done
if [ -z "$bad" ]; then
	ok "the default and example policies are in pkgdatadir/policies"
else
	not_ok "the default and example policies are in pkgdatadir/policies" "missing or different:$bad"
fi

# The schema, where the policies' yaml-language-server lines point.
bad=
for f in "$pkgdatadir"/policies/default.yaml "$pkgdatadir"/policies/examples/*.yaml; do
	s=$(sed -n 's/^# yaml-language-server: \$schema=//p' "$f")
	[ -z "$s" ] || cmp -s "$(dirname "$f")/$s" "$top_srcdir/share/schema/policy.schema.json" ||
		bad="$bad ${f#"$pkgdatadir"/}"
done
if cmp -s "$pkgdatadir/schema/policy.schema.json" "$top_srcdir/share/schema/policy.schema.json" &&
	[ -z "$bad" ]; then
	ok "the schema is in pkgdatadir/schema, where the installed policies point"
else
	not_ok "the schema is in pkgdatadir/schema, where the installed policies point" "bad:$bad"
fi

# A man page for every man page the source tree has.
bad=
for m in "$top_srcdir"/share/man/*.1; do
	cmp -s "$m" "$man1dir/${m##*/}" || bad="$bad ${m##*/}"
done
if [ -z "$bad" ]; then
	ok "the man pages are in man1dir: $(ls "$man1dir" | tr '\n' ' ')"
else
	not_ok "the man pages are in man1dir" "missing:$bad"
fi

# bash-completion loads completions/NAME for command NAME: one per program.
bad=
for p in d4c-policy d4c-load d4c-trace d4c-enrich d4c-ship; do
	cmp -s "$compdir/$p" "$top_srcdir/contrib/completion/d4c.bash" || bad="$bad $p"
done
if [ -z "$bad" ]; then
	ok "bash completion is in completions/ under each program's name"
else
	not_ok "bash completion is in completions/ under each program's name" "missing:$bad" \
		"$(ls -l "$compdir" 2>&1)"
fi

# The unit runs the installed script, which runs the installed programs.
exec_start=$(sed -n 's/^ExecStart=//p' "$unitdir/d4c.service")
if [ -x "$pkglibexecdir/d4c-pipeline" ] && [ "$dest$exec_start" = "$pkglibexecdir/d4c-pipeline" ] &&
	grep -q "^bindir=\${D4C_BINDIR:-$(mkvar bindir)}\$" "$pkglibexecdir/d4c-pipeline" &&
	[ -f "$pkgdatadir/d4c.env" ]; then
	ok "d4c.service is in lib/systemd/system and runs the installed d4c-pipeline"
else
	not_ok "d4c.service is in lib/systemd/system and runs the installed d4c-pipeline" \
		"ExecStart=$exec_start" "$(ls -l "$unitdir" "$pkglibexecdir" 2>&1)"
fi

if env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$top_builddir" uninstall DESTDIR="$dest" >"$tmp/uninstall.log" 2>&1; then
	ok "make uninstall DESTDIR=... succeeds"
else
	not_ok "make uninstall DESTDIR=... succeeds" "$(tail -n 20 "$tmp/uninstall.log")"
fi

left=$(find "$dest" ! -type d)
if [ -z "$left" ]; then
	ok "make uninstall leaves no file behind"
else
	not_ok "make uninstall leaves no file behind" $left
fi
exit 0
