# Sourced by the guest scripts that join several TAP streams into one
# (t/vm/kernel.sh, t/vm/nolsm.sh): they set n=0 first and print "1..$n"
# at the end.

# Renumbers TAP test lines from stdin after the N already out; drops the
# plan and the version line (one stream, one plan: at the end).
join_tap() {
	local line r rest
	while IFS= read -r line; do
		case $line in
		1..* | "TAP version "*) ;;
		"ok "[0-9]* | "not ok "[0-9]*)
			r=${line%% [0-9]*}
			rest=${line#"$r "}
			rest=${rest#"${rest%%[!0-9]*}"}
			n=$((n + 1))
			printf '%s %d%s\n' "$r" "$n" "$rest" ;;
		*) printf '%s\n' "$line" ;;
		esac
	done
}

# One test of our own: ok when COMMAND... succeeds, else not ok with
# what it printed.
check() {
	local name=$1 out
	shift
	n=$((n + 1))
	if out=$("$@" 2>&1); then
		echo "ok $n - $name"
	else
		echo "not ok $n - $name"
		printf '%s\n' "$out" | sed 's/^/# /' | head -n 20
	fi
}
