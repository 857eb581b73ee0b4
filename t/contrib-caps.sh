#!/bin/sh
# t/contrib-caps.sh MODE CAP...
#
# Runs d4c-load (from PATH) as root with only the capabilities CAP...
# (names as in Kubernetes: BPF, PERFMON, SYS_ADMIN...) in its bounding set,
# as the systemd unit and the DaemonSet give it, and checks that it works:
#   observe   a policy that logs exec: d4c-load comes up and logs an exec
#   enforce   a policy that blocks exec of a copy of echo: the exec fails
#             with EPERM (needs BPF LSM: run it in t/vm/run)
# Prints what happened; exit status 0 when it worked, 1 when it did not,
# 2 on usage.
set -u
mode=${1:-}
case $mode in
observe | enforce) ;;
*) mode= ;;
esac
if [ -z "$mode" ] || [ $# -lt 2 ]; then
	echo "usage: t/contrib-caps.sh observe|enforce CAP..." >&2
	exit 2
fi
shift
caps=-all
for c in "$@"; do
	caps="$caps,+$(echo "$c" | tr '[:upper:]' '[:lower:]')"
done

T=$(mktemp -d)
trap 'kill -INT "$pid" 2>/dev/null; rm -rf "$T"' EXIT
cp /bin/echo "$T/d4cecho"
if [ "$mode" = enforce ]; then
	actions='[alert, block]'
else
	actions='[log]'
fi
cat >"$T/p.yaml" <<YAML
process:
  selectors:
    - name: marker
      operation: [exec]
      processExecutable: ['$T/d4cecho']
  responses:
    - match: [marker]
      actions: $actions
YAML
d4c-policy compile -o "$T/p.d4cp" "$T/p.yaml" && chmod 600 "$T/p.d4cp" || exit 1

setpriv --bounding-set="$caps" --inh-caps=-all -- d4c-load --host "$T/p.d4cp" \
	>"$T/events" 2>"$T/err" &
pid=$!
up=
for _ in $(seq 1 300); do
	grep -q 'in force' "$T/err" && { up=1; break; }
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.1
done
if [ -z "$up" ]; then
	echo "d4c-load with bounding set $caps did not come up:"
	cat "$T/err"
	exit 1
fi
echo "d4c-load is up with bounding set $caps"

rc=0
if [ "$mode" = enforce ]; then
	if "$T/d4cecho" ran 2>"$T/exec.err"; then
		echo "exec was not blocked"
		rc=1
	elif grep -q 'Operation not permitted' "$T/exec.err"; then
		echo "exec blocked: $(cat "$T/exec.err")"
	else
		echo "exec failed, not with EPERM: $(cat "$T/exec.err")"
		rc=1
	fi
else
	"$T/d4cecho" ran >/dev/null
fi
# at Ctrl-C it detaches, then reads what the kernel still holds: the
# exec's event is written before it exits
kill -INT "$pid"
wait "$pid" || { echo "d4c-load exited with status $?"; rc=1; }
pid=
if grep -q "\"executable\":\"$T/d4cecho\"" "$T/events"; then
	echo "the exec is in its events"
else
	echo "the exec is not in its events"
	rc=1
fi
exit "$rc"
