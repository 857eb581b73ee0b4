#!/usr/bin/env bats
# d4c-enrich behind a real d4c-load, with real runc containers laid out as
# a Kubernetes node has them: containerd's CRI annotations under cgroupfs-
# and systemd-style cgroup paths, a CRI-O bundle, a container that is gone
# within milliseconds, a shell pipeline for the process tree. Every field
# d4c-enrich adds is checked against the node itself (hostname, machine id,
# /proc, os-release, the bundle's annotations). Then what it does with
# input it cannot know yet (--wait-context) and with bad input.
# (Kubelet labels: t/enrich-kubelet.bats. Scanner and splicer: t/unit.)

load helpers
load containers/runc

setup_file() {
	ctr_setup_file
}

setup() {
	common_setup
}

teardown() {
	[ -z "${LOAD_PID:-}" ] || kill -INT "$LOAD_PID" 2>/dev/null || true
	[ -z "${ENRICH_PID:-}" ] || wait "$ENRICH_PID" 2>/dev/null || true
	if [ -d "$T/containers" ]; then
		ctr_cleanup
		# the cgroups the systemd-style and CRI-O containers leave
		for dir in "$T"/containers/*/; do
			[ -f "$dir/pod-uid" ] || continue
			uid=$(cat "$dir/pod-uid")
			find /sys/fs/cgroup -depth -type d \( -name "*pod${uid//-/_}*" -o -name "pod$uid" \) \
				-exec rmdir {} \; 2>/dev/null || true
		done
	fi
}

# Every process event of the policy: forks and execs in containers.
all_process_policy() {
	compile_policy <<-'YAML'
	process:
	  selectors:
	    - name: all
	      operation: [fork, exec]
	  responses:
	    - match: [all]
	      actions: [log]
	YAML
}

# Starts d4c-load ARGS... | d4c-enrich $ENRICH_ARGS in the background:
# enriched lines in $T/events.json (what the helpers' events() reads), the
# raw ones in $T/raw.json; returns once d4c-load's programs are attached.
pipe_start() {
	mkfifo "$T/raw" "$T/pipe"
	# shellcheck disable=SC2086
	d4c-enrich --no-kubelet --metrics-interval 1 ${ENRICH_ARGS:-} <"$T/pipe" \
		>"$T/events.json" 2>"$T/enrich.err" &
	ENRICH_PID=$!
	tee "$T/raw.json" <"$T/raw" >"$T/pipe" &
	d4c-load "$@" >"$T/raw" 2>"$T/load.err" &
	LOAD_PID=$!
	for _ in $(seq 1 300); do
		grep -q 'in force' "$T/load.err" 2>/dev/null && return 0
		sleep 0.1
	done
	cat "$T/load.err" >&2
	return 1
}

# Stops d4c-load (Ctrl-C): d4c-enrich reads to the end and exits 0.
# (d4c-load reads what the kernel still holds before it exits: nothing
# to wait for before.)
pipe_stop() {
	kill -INT "$LOAD_PID"
	wait "$LOAD_PID" || true
	ENRICH_RC=0
	wait "$ENRICH_PID" || ENRICH_RC=$?
	unset LOAD_PID ENRICH_PID
	assert_equal "$ENRICH_RC" 0
}

# Starts container $1 (created, the pipeline started), waits for its end,
# stops the pipeline and sets E to the container's exec of /bin/echo.
ctr_run_echo() {
	ctr_start "$1"
	ctr_wait "$1"
	pipe_stop
	assert_json_lines "$T/events.json"
	E=$(event_in "$1" '.event.action == "exec" and .process.args[0] == "/bin/echo"')
	[ -n "$E" ] || fail "no exec of /bin/echo in container '$1': $(cat "$T/enrich.err")"
}

# Fails unless every line of FILE is a JSON object without duplicate keys.
assert_json_lines() {
	/usr/bin/python3 - "$1" <<-'PY'
	import json, sys
	def pairs(kv):
	    keys = [k for k, _ in kv]
	    dup = {k for k in keys if keys.count(k) > 1}
	    if dup:
	        raise ValueError("duplicate keys %s" % sorted(dup))
	    return dict(kv)
	for n, line in enumerate(open(sys.argv[1], encoding="utf-8"), 1):
	    try:
	        o = json.loads(line, object_pairs_hook=pairs)
	    except ValueError as e:
	        sys.exit("%s:%d: %s" % (sys.argv[1], n, e))
	    if not isinstance(o, dict):
	        sys.exit("%s:%d: not an object" % (sys.argv[1], n))
	PY
}

# The event of container NAME selected by jq filter $2 (the first one).
event_in() {
	events ".container.id == \"$(ctr_id "$1")\" and ($2)" | head -n 1
}

# jq -r [OPTIONS] FILTER on the JSON in $E.
f() {
	jq -r "$@" <<<"$E"
}

# ctr_edit NAME JQ-ARGS...: rewrites container NAME's config.json.
ctr_edit() {
	local dir="$T/containers/$1"
	shift
	jq "$@" "$dir/config.json" >"$dir/config.json.new"
	mv "$dir/config.json.new" "$dir/config.json"
}

DIGEST=sha256:0d17b565c37bcbd895e9d92315a05c1c3c9a29f762b011a10c54a66cd53c9b31

@test "containerd CRI, cgroupfs path: container, orchestrator, host and base fields from the node" {
	require_bpf
	require_runc
	all_process_policy
	ENRICH_ARGS="--cluster-name prod-eu --cluster-id 7f0c7c59-2a44-4e35-9c4d-9a4d3b5a1e11"
	pipe_start "$T/policy.d4cp"
	ctr_create web --image "docker.io/library/nginx:1.25@$DIGEST" --namespace shop --pod web-7d4f9 \
		-- sh -c '/bin/echo marker; sleep 1'
	ctr_run_echo web
	assert_equal "$(f .container.name)" web
	assert_equal "$(f .container.runtime)" containerd
	assert_equal "$(f .container.image.name)" nginx
	assert_equal "$(f .container.image.tag)" 1.25
	assert_equal "$(f '.container.image.hash.all | join(",")')" "$DIGEST"
	assert_equal "$(f .container.security_context.privileged)" false
	assert_equal "$(f .orchestrator.type)" kubernetes
	assert_equal "$(f .orchestrator.namespace)" shop
	assert_equal "$(f .orchestrator.resource.type)" pod
	assert_equal "$(f .orchestrator.resource.name)" web-7d4f9
	assert_equal "$(f .orchestrator.resource.id)" "$(cat "$T/containers/web/pod-uid")"
	assert_equal "$(f .orchestrator.cluster.name)" prod-eu
	assert_equal "$(f .orchestrator.cluster.id)" 7f0c7c59-2a44-4e35-9c4d-9a4d3b5a1e11
	# the host, as the node tells it
	. /etc/os-release
	assert_equal "$(f .host.hostname)" "$(hostname)"
	assert_equal "$(f .host.name)" "${NODE_NAME:-$(hostname)}"
	assert_equal "$(f .host.id)" "$(cat /etc/machine-id)"
	assert_equal "$(f .host.boot.id)" "$(cat /proc/sys/kernel/random/boot_id)"
	assert_equal "$(f .host.architecture)" "$(uname -m)"
	assert_equal "$(f .host.os.kernel)" "$(uname -r)"
	assert_equal "$(f .host.os.type)" linux
	assert_equal "$(f .host.os.platform)" "$ID"
	assert_equal "$(f .host.os.name)" "$NAME"
	assert_equal "$(f .host.os.version)" "$VERSION_ID"
	assert_equal "$(f .host.os.full)" "$PRETTY_NAME"
	ino=$(stat -L -c %i /proc/1/ns/pid 2>/dev/null || stat -L -c %i /proc/self/ns/pid)
	assert_equal "$(f .host.pid_ns_ino)" "$ino"
	for a in $(hostname -I); do
		assert_equal "$(jq --arg a "$a" '.host.ip | index([$a]) != null' <<<"$E")" true
	done
	for nic in /sys/class/net/*; do
		[ "$(basename "$nic")" != lo ] || continue
		mac=$(tr 'a-f:' 'A-F-' <"$nic/address")
		[ "$mac" != 00-00-00-00-00-00 ] || continue
		assert_equal "$(jq --arg m "$mac" '.host.mac | index([$m]) != null' <<<"$E")" true
	done
	# base fields
	assert_equal "$(f .ecs.version)" 8.11.0
	assert_equal "$(f .agent.type)" d4c
	assert_equal "$(f .agent.id)" "$(cat /etc/machine-id)"
	assert_equal "$(f .event.dataset)" cloud_defend.process
	[[ "$(f .event.ingested)" > "$(f '."@timestamp"')" ]] || fail "event.ingested before @timestamp: $E"
	assert_equal "$(f .cloud_defend.context_pending)" null
	# d4c-load's metric records pass unchanged; d4c-enrich's last record counts every line
	load_final=$(grep '"stage":"d4c-load"' "$T/raw.json" | tail -n 1)
	grep -qxF "$load_final" "$T/events.json" || fail "d4c-load's last metric record was changed"
	last=$(tail -n 1 "$T/events.json")
	assert_equal "$(jq -r '.d4c.stage + " " + (.d4c.final | tostring)' <<<"$last")" "d4c-enrich true"
	assert_equal "$(jq .d4c.read <<<"$last")" "$(wc -l <"$T/raw.json")"
	assert_equal "$(jq .d4c.written <<<"$last")" "$(($(wc -l <"$T/events.json") - $(grep -c '"stage":"d4c-enrich"' "$T/events.json")))"
	assert_equal "$(jq .d4c.invalid <<<"$last")" 0
}

@test "containerd CRI, systemd cgroup driver: the pod UID comes from the slice name when no annotation has it" {
	require_bpf
	require_runc
	all_process_policy
	ctr_create api --image registry.example.com:5000/team/api:2.1 --namespace prod --pod api-5c6b1 \
		-- sh -c '/bin/echo marker; sleep 2'
	id=$(ctr_id api)
	uid=$(cat "$T/containers/api/pod-uid")
	ctr_edit api --arg cg "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${uid//-/_}.slice/cri-containerd-$id.scope" \
		'.linux.cgroupsPath = $cg | del(.annotations."io.kubernetes.cri.sandbox-uid")'
	pipe_start "$T/policy.d4cp"
	ctr_run_echo api
	grep -q "cri-containerd-$id.scope" "/proc/self/cgroup" && fail "test set-up: wrong cgroup"
	assert_equal "$(f .container.name)" api
	assert_equal "$(f .container.runtime)" containerd
	assert_equal "$(f .container.image.name)" api
	assert_equal "$(f .container.image.tag)" 2.1
	assert_equal "$(f .orchestrator.resource.id)" "$uid"
	assert_equal "$(f .orchestrator.resource.name)" api-5c6b1
	assert_equal "$(f .orchestrator.namespace)" prod
	assert_equal "$(f .cloud_defend.context_pending)" null
}

@test "a privileged container: container.security_context.privileged is true" {
	require_bpf
	require_runc
	# privileged as the kubelet makes it: every capability, nothing masked;
	# runc can only give what this machine's bounding set has
	bnd=$((16#$(awk '/^CapBnd/ { print $2 }' /proc/self/status)))
	[ $(((bnd & ((1 << 38) - 1)) == (1 << 38) - 1)) -eq 1 ] ||
		skip "this machine's capability bounding set lacks some of the 38 capabilities a privileged container has"
	all_process_policy
	caps=$(jq -c '.process.capabilities.bounding' <<<'{"process":{"capabilities":{"bounding":["CAP_CHOWN","CAP_DAC_OVERRIDE","CAP_DAC_READ_SEARCH","CAP_FOWNER","CAP_FSETID","CAP_KILL","CAP_SETGID","CAP_SETUID","CAP_SETPCAP","CAP_LINUX_IMMUTABLE","CAP_NET_BIND_SERVICE","CAP_NET_BROADCAST","CAP_NET_ADMIN","CAP_NET_RAW","CAP_IPC_LOCK","CAP_IPC_OWNER","CAP_SYS_MODULE","CAP_SYS_RAWIO","CAP_SYS_CHROOT","CAP_SYS_PTRACE","CAP_SYS_PACCT","CAP_SYS_ADMIN","CAP_SYS_BOOT","CAP_SYS_NICE","CAP_SYS_RESOURCE","CAP_SYS_TIME","CAP_SYS_TTY_CONFIG","CAP_MKNOD","CAP_LEASE","CAP_AUDIT_WRITE","CAP_AUDIT_CONTROL","CAP_SETFCAP","CAP_MAC_OVERRIDE","CAP_MAC_ADMIN","CAP_SYSLOG","CAP_WAKE_ALARM","CAP_BLOCK_SUSPEND","CAP_AUDIT_READ"]}}}')
	ctr_create priv -- sh -c '/bin/echo marker; sleep 1'
	ctr_edit priv --argjson caps "$caps" '
		.process.capabilities = {bounding: $caps, effective: $caps, permitted: $caps}
		| .linux.maskedPaths = [] | .linux.readonlyPaths = []'
	pipe_start "$T/policy.d4cp"
	ctr_run_echo priv
	assert_equal "$(f .container.security_context.privileged)" true
	assert_equal "$(f '.process.thread.capabilities.effective | index(["CAP_SYS_ADMIN"]) != null')" true
}

@test "a CRI-O bundle: runtime cri-o, pod labels and annotations from CRI-O's own annotations" {
	require_bpf
	require_runc
	all_process_policy
	ctr_create cache -- sh -c '/bin/echo marker; sleep 1'
	id=$(ctr_id cache)
	uid=$(cat "$T/containers/cache/pod-uid")
	ctr_edit cache --arg cg "/kubepods/besteffort/pod$uid/crio-$id" --arg uid "$uid" '
		.linux.cgroupsPath = $cg
		| .annotations = {
			"io.kubernetes.cri-o.ContainerType": "container",
			"io.kubernetes.cri-o.ContainerName": "k8s_cache_redis-0_data_\($uid)_0",
			"io.kubernetes.cri-o.ImageName": "quay.io/opstree/redis:v7.0.12",
			"io.kubernetes.cri-o.Namespace": "data",
			"io.kubernetes.cri-o.KubeName": "redis-0",
			"io.kubernetes.cri-o.Labels": ({
				"io.kubernetes.container.name": "cache",
				"io.kubernetes.pod.name": "redis-0",
				"io.kubernetes.pod.namespace": "data",
				"io.kubernetes.pod.uid": $uid,
				"app": "redis",
				"tier": "backend"} | tojson),
			"io.kubernetes.cri-o.Annotations": ({
				"kubernetes.io/config.source": "api",
				"prometheus.io/scrape": "true"} | tojson),
			"io.kubernetes.pod.name": "redis-0",
			"io.kubernetes.pod.namespace": "data",
			"io.kubernetes.pod.uid": $uid,
			"io.kubernetes.container.name": "cache"
		}'
	pipe_start "$T/policy.d4cp"
	ctr_run_echo cache
	assert_equal "$(f .container.runtime)" cri-o
	assert_equal "$(f .container.name)" cache
	assert_equal "$(f .container.image.name)" redis
	assert_equal "$(f .container.image.tag)" v7.0.12
	assert_equal "$(f .orchestrator.namespace)" data
	assert_equal "$(f .orchestrator.resource.name)" redis-0
	assert_equal "$(f .orchestrator.resource.id)" "$uid"
	assert_equal "$(f '.orchestrator.resource.label | index(["app:redis"]) != null')" true
	assert_equal "$(f '.orchestrator.resource.label | index(["tier:backend"]) != null')" true
	assert_equal "$(f '.orchestrator.resource.annotation | index(["prometheus.io/scrape:true"]) != null')" true
	assert_equal "$(f .cloud_defend.context_pending)" null
}

# True once d4c-enrich has written an event of container NAME, named.
container_seen() {
	json_any "$T/events.json" '.container.id == $id and .container.name == $name' \
		--arg id "$(ctr_id "$1")" --arg name "$1"
}

@test "a container that exits within milliseconds and is deleted as soon as seen is still enriched" {
	require_bpf
	require_runc
	all_process_policy
	# runc's own first forks come before it writes its state: they wait
	ENRICH_ARGS="--wait-context 3000"
	pipe_start "$T/policy.d4cp"
	ctr_create blink --image docker.io/library/alpine:3.19 -- /bin/true
	ctr_start blink
	ctr_wait blink
	# d4c-enrich reads a container's state files at its first event: one
	# deleted before that event is through the pipe is documented as not
	# known (context_pending). On a loaded machine that took longer than
	# the container's life, so the delete waits for that first event; the
	# exec, the end and everything after the delete are what is tested.
	wait_for -t 10 container_seen blink
	runc delete "$(ctr_id blink)"
	[ ! -e "/run/runc/$(ctr_id blink)" ] || fail "runc left its state"
	pipe_stop
	assert_json_lines "$T/events.json"
	E=$(event_in blink '.event.action == "exec" and .process.args == ["/bin/true"]')
	[ -n "$E" ] || fail "no exec of /bin/true in the container"
	assert_equal "$(f .container.name)" blink
	assert_equal "$(f .container.image.name)" alpine
	assert_equal "$(f .orchestrator.resource.name)" blink-pod
	assert_equal "$(f .cloud_defend.context_pending)" null
	# every event of the container has its context, even runc's first ones
	run events ".container.id == \"$(ctr_id blink)\" and .container.name != \"blink\""
	assert_output ""
	run events ".container.id == \"$(ctr_id blink)\""
	[ "${#lines[@]}" -ge 3 ] || fail "too few events of the container: $output"
}

@test "a shell pipeline in a container: parent, group, session and entry leaders, one entity id per process" {
	require_bpf
	require_runc
	all_process_policy
	pipe_start "$T/policy.d4cp"
	ctr_create shell -- sh -c 'echo hello | /bin/cat | /bin/tr a-z A-Z; sleep 1'
	ctr_start shell
	ctr_wait shell
	pipe_stop
	assert_json_lines "$T/events.json"
	assert_equal "$(cat "$T/containers/shell/out")" HELLO
	sh_exec=$(event_in shell '.event.action == "exec" and .process.args[0] == "sh"')
	[ -n "$sh_exec" ] || fail "no exec of sh"
	sh_pid=$(jq .process.pid <<<"$sh_exec")
	sh_eid=$(jq -r .process.entity_id <<<"$sh_exec")
	for cmd in /bin/cat /bin/tr; do
		E=$(event_in shell ".event.action == \"exec\" and .process.args[0] == \"$cmd\"")
		[ -n "$E" ] || fail "no exec of $cmd"
		# the shell forked it: its parent is the shell, complete
		assert_equal "$(f .process.parent.pid)" "$sh_pid"
		assert_equal "$(f .process.parent.entity_id)" "$sh_eid"
		# named after its executable (busybox behind every applet)
		assert_equal "$(f .process.parent.name)" busybox
		assert_equal "$(f .process.parent.executable)" /bin/busybox
		assert_equal "$(f -c .process.parent.args)" "$(jq -c .process.args <<<"$sh_exec")"
		assert_equal "$(f .process.parent.args_count)" 3
		assert_equal "$(f .process.parent.working_directory)" /
		assert_equal "$(f .process.parent.user.id)" 0
		assert_equal "$(f .process.parent.interactive)" false
		assert_equal "$(f .process.parent.start)" "$(jq -r .process.start <<<"$sh_exec")"
		assert_equal "$(f .process.parent.same_as_process)" false
		# runc made the shell a session leader: the container's first process
		assert_equal "$(f .process.session_leader.pid)" "$sh_pid"
		assert_equal "$(f .process.session_leader.entity_id)" "$sh_eid"
		assert_equal "$(f .process.session_leader.name)" busybox
		assert_equal "$(f .process.session_leader.same_as_process)" false
		assert_equal "$(f .process.group_leader.entity_id)" "$sh_eid"
		assert_equal "$(f .process.entry_leader.pid)" "$sh_pid"
		assert_equal "$(f .process.entry_leader.entity_id)" "$sh_eid"
		assert_equal "$(f .process.entry_leader.executable)" /bin/busybox
		assert_equal "$(f .process.entry_leader.entry_meta.type)" container
		assert_equal "$(f .process.entry_leader.same_as_process)" false
		assert_equal "$(f .cloud_defend.context_pending)" null
	done
	E=$sh_exec
	assert_equal "$(f .process.entry_leader.same_as_process)" true
	assert_equal "$(f .process.session_leader.same_as_process)" true
	# one entity id per process (pid and start) wherever it appears, and
	# never one id for two processes
	/usr/bin/python3 - "$T/events.json" <<-'PY'
	import json, sys
	ids, seen = {}, {}
	for line in open(sys.argv[1]):
	    e = json.loads(line)
	    p = e.get("process")
	    if not p or not e.get("container"):
	        continue
	    for o in [p] + [p[k] for k in ("parent", "group_leader", "session_leader", "entry_leader") if k in p]:
	        if "entity_id" not in o:
	            continue
	        key = (o["pid"], o["start"])
	        if ids.setdefault(key, o["entity_id"]) != o["entity_id"]:
	            sys.exit("pid %s start %s has ids %s and %s" % (key + (ids[key], o["entity_id"])))
	        if seen.setdefault(o["entity_id"], key) != key:
	            sys.exit("id %s names %s and %s" % (o["entity_id"], seen[o["entity_id"]], key))
	PY
}

@test "a host process that predates d4c-enrich: ancestors from /proc, with the entity id d4c-load gave" {
	require_bpf
	mkdir -p "$T/bin"
	cp /bin/echo "$T/bin/d4cecho"
	# the session leader's name is longer than the kernel's 15-byte comm
	cp "$(readlink -f /bin/sh)" "$T/bin/d4c-session-leader-sh"
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
	# A session of its own, begun before d4c-enrich starts, so that its
	# leader is read from /proc whatever session the harness runs in (a CI
	# runner's session leader may be long gone). The leader saves its stat
	# line, then waits on the fifo until the pipeline is up.
	mkfifo "$T/go"
	# shellcheck disable=SC2016
	setsid -w "$T/bin/d4c-session-leader-sh" -c 'cat "/proc/$$/stat" >"$2.tmp" && mv "$2.tmp" "$2"
		read -r _ <"$1"
		sh -c "\"\$1\" first; \"\$1\" second; sleep 2" sh "$3"
		exit $?' sh "$T/go" "$T/leader.stat" "$T/bin/d4cecho" >/dev/null &
	local session=$!
	for _ in $(seq 1 100); do
		[ -s "$T/leader.stat" ] && break
		sleep 0.05
	done
	[ -s "$T/leader.stat" ] || fail "the session leader did not start"
	pipe_start --host "$T/policy.d4cp"
	# the inner shell stays for two seconds after its child's exec:
	# d4c-enrich reads it from /proc (d4c-load gives no event for it)
	echo go >"$T/go"
	wait "$session"
	pipe_stop
	assert_json_lines "$T/events.json"
	run events '.event.action == "exec" and (.process.executable // "" | endswith("/d4cecho"))'
	[ "${#lines[@]}" -eq 2 ] || fail "expected two execs: $output"
	E=${lines[0]}
	raw=$(grep -F "\"pid\":$(f .process.pid)," "$T/raw.json" | grep '"action":"exec"' | head -n 1)
	# the parent's id is the one d4c-load wrote, now with what /proc told
	assert_equal "$(f .process.parent.entity_id)" "$(jq -r .process.parent.entity_id <<<"$raw")"
	# named after its executable, as /proc/PID/exe gives it, not its comm
	assert_equal "$(f .process.parent.name)" "$(basename "$(readlink -f /bin/sh)")"
	assert_equal "$(f -c .process.parent.args)" "$(/usr/bin/python3 -c \
		'import json, sys; print(json.dumps(sys.argv[1:], separators=(",", ":")))' \
		sh -c '"$1" first; "$1" second; sleep 2' sh "$T/bin/d4cecho")"
	assert_equal "$(f .process.parent.executable)" "$(readlink -f /bin/sh)"
	# the session leader is older than d4c-enrich: its id is made from
	# /proc's start in clock ticks, the same in both events
	sid=$(cut -d' ' -f1 "$T/leader.stat")
	assert_equal "$(f .process.session_leader.pid)" "$sid"
	ticks=$(sed 's/.*) //' "$T/leader.stat" | cut -d' ' -f20)
	boot=$(tr -d '-' </proc/sys/kernel/random/boot_id)
	assert_equal "$(f .process.session_leader.entity_id)" "$boot-$sid-$((ticks * 1000000000 / $(getconf CLK_TCK)))"
	assert_equal "$(jq -r .process.session_leader.entity_id <<<"${lines[1]}")" "$(f .process.session_leader.entity_id)"
	assert_equal "$(f .process.session_leader.name)" d4c-session-leader-sh
	assert_equal "$(f .process.session_leader.executable)" "$T/bin/d4c-session-leader-sh"
	assert_equal "$(f .process.session_leader.args[1])" -c
	# setsid made the leader its process group's leader too
	assert_equal "$(f .process.group_leader.pid)" "$sid"
	assert_equal "$(f .process.group_leader.entity_id)" "$(f .process.session_leader.entity_id)"
	assert_equal "$(f -c .cloud_defend.context_pending)" null
}

# ---- without BPF: synthetic events ------------------------------------------------

# An event line of pid $1 in container $2 ("" for none), as d4c-load writes them.
event_line() {
	local ctr=
	[ -z "$2" ] || ctr=",\"container\":{\"id\":\"$2\"}"
	printf '{"@timestamp":"2026-11-25T12:00:00.000000000Z","ecs":{"version":"8.11.0"},"agent":{"type":"d4c","version":"0.1.0"},"event":{"kind":"event","category":["process"],"action":"exec","type":["start"],"outcome":"success","dataset":"cloud_defend.process"},"process":{"pid":%s,"name":"true","executable":"/bin/true","args":["true"],"args_count":1,"start":"2026-11-25T12:00:00.000000000Z","entity_id":"b00t-%s-1000","interactive":false,"user":{"id":"0"},"group":{"id":"0"},"parent":{"pid":0},"group_leader":{"pid":%s,"same_as_process":true},"session_leader":{"pid":%s,"same_as_process":true}}%s,"cloud_defend":{"matched_selectors":["all"],"actions":["log"]}}\n' \
		"$1" "$1" "$1" "$1" "$ctr"
}

# Writes containerd's bundle of container $1 (name $2) below --root $T/root.
containerd_bundle() {
	local dir="$T/root/run/containerd/io.containerd.runtime.v2.task/k8s.io/$1"
	mkdir -p "$dir"
	jq -n --arg name "$2" '{ociVersion: "1.1.0", process: {args: ["sleep"]}, annotations: {
		"io.kubernetes.cri.container-type": "container",
		"io.kubernetes.cri.container-name": $name,
		"io.kubernetes.cri.image-name": "docker.io/library/busybox:1.36",
		"io.kubernetes.cri.sandbox-name": "late-pod",
		"io.kubernetes.cri.sandbox-namespace": "default",
		"io.kubernetes.cri.sandbox-uid": "3c5d1c1e-7a41-4a8e-9a55-3f0f2f6a5c11"}}' >"$dir/config.json.tmp"
	mv "$dir/config.json.tmp" "$dir/config.json"
}

@test "context not known yet: the event goes out at once, marked, and the metric record says what was missing" {
	mkdir -p "$T/root"
	id=$(ctr_random_id)
	event_line 4242 "$id" >"$T/in.json"
	run d4c-enrich --no-kubelet --root "$T/root" <"$T/in.json"
	assert_success
	E=${lines[0]}
	assert_equal "$(f -c .cloud_defend.context_pending)" '["container.name","container.image.name"]'
	assert_equal "$(f .container.id)" "$id"
	assert_equal "$(f .container.name)" null
	M=${lines[1]}
	assert_equal "$(jq -c '.d4c.missing | with_entries(select(.value > 0))' <<<"$M")" \
		'{"container.name":1,"container.image.name":1}'
	assert_equal "$(jq -c .d4c.enriched <<<"$M")" '{"full":0,"partial":1,"none":0}'
	# once the bundle is there, the same id is known
	containerd_bundle "$id" late
	run d4c-enrich --no-kubelet --root "$T/root" <"$T/in.json"
	E=${lines[0]}
	assert_equal "$(f .container.name)" late
	assert_equal "$(f .orchestrator.resource.name)" late-pod
	assert_equal "$(f .cloud_defend.context_pending)" null
}

@test "a parent that exits between its /proc stat and cmdline reads is no double free" {
	# /proc/4343 has a stat but no cmdline: the parent was gone by then
	mkdir -p "$T/root/proc/4343"
	sed 's/^[0-9]* /4343 /' /proc/self/stat >"$T/root/proc/4343/stat"
	event_line 4242 "" | sed 's/"parent":{"pid":0}/"parent":{"pid":4343}/' >"$T/in.json"
	run d4c-enrich --no-kubelet --metrics-interval 0 --root "$T/root" <"$T/in.json"
	assert_success
	E=${lines[0]}
	assert_equal "$(f .process.parent.pid)" 4343
	assert_equal "$(f .process.parent.args)" null
}

@test "--wait-context holds an event until its container is known, in order, for at most MS" {
	mkdir -p "$T/root"
	id=$(ctr_random_id)
	mkfifo "$T/in"
	d4c-enrich --no-kubelet --root "$T/root" --wait-context 20000 --metrics-interval 0 <"$T/in" \
		>"$T/out.json" 2>"$T/err" &
	ENRICH_PID=$!
	exec 7>"$T/in"
	event_line 5001 "$id" >&7
	event_line 5002 "" >&7 # complete, but after the one that waits
	sleep 0.5
	[ ! -s "$T/out.json" ] || fail "written before its context was known: $(cat "$T/out.json")"
	containerd_bundle "$id" late
	for _ in $(seq 1 100); do
		[ -s "$T/out.json" ] && break
		sleep 0.1
	done
	exec 7>&-
	wait "$ENRICH_PID"
	unset ENRICH_PID
	run jq -r '.process.pid // .d4c.stage' "$T/out.json"
	assert_output "5001
5002
d4c-enrich"
	E=$(head -n 1 "$T/out.json")
	assert_equal "$(f .container.name)" late
	assert_equal "$(f .cloud_defend.context_pending)" null
	assert_equal "$(tail -n 1 "$T/out.json" | jq -c '[.d4c.held, .d4c.released_incomplete]')" '[1,0]'
	# when the context never comes, the event goes after MS, marked, with
	# the input still open
	d4c-enrich --no-kubelet --root "$T/root" --wait-context 300 \
		< <(event_line 5003 "$(ctr_random_id)"; wait_for grep -q '"pid":5003' "$T/late.json"
			event_line 5004 "") >"$T/late.json"
	run cat "$T/late.json"
	E=${lines[0]}
	assert_equal "$(f .process.pid)" 5003
	assert_equal "$(f -c .cloud_defend.context_pending)" '["container.name","container.image.name"]'
	assert_equal "$(jq -c '[.d4c.held, .d4c.released_incomplete]' <<<"${lines[2]}")" '[1,1]'
}

@test "bad input: counted, reported once per interval, dropped or passed through untouched" {
	{
		event_line 7001 ""
		echo 'not json'
		echo '[1,2,3]'
		echo '{"a":1} trailing'
		printf '{"unterminated":"\n'
		printf '{"big":"%s"}\n' "$(head -c 3000 /dev/zero | tr '\0' x)"
		echo
		printf '{"bad utf8":"\xff"}\n'
		event_line 7002 ""
	} >"$T/bad.json"
	d4c-enrich --no-kubelet --max-line 1024 <"$T/bad.json" >"$T/out" 2>"$T/err"
	assert_equal "$(jq -r '.process.pid // .d4c.stage' "$T/out")" "7001
7002
d4c-enrich"
	M=$(tail -n 1 "$T/out")
	assert_equal "$(jq -c '[.d4c.read, .d4c.written, .d4c.invalid, .d4c.too_long, .d4c.dropped]' <<<"$M")" \
		'[9,2,6,1,7]'
	# one line on stderr for all of them
	assert_equal "$(cat "$T/err")" "d4c-enrich: warning: 7 invalid input lines dropped (first: line 2, byte 1: not a JSON object)"
	d4c-enrich --no-kubelet --max-line 1024 --pass-invalid <"$T/bad.json" >"$T/out" 2>"$T/err"
	# the bad lines are there, byte for byte, in their places
	diff <(sed -n '2,8p' "$T/out") <(sed -n '2,8p' "$T/bad.json")
	assert_equal "$(grep -c '"pid":700[12]' "$T/out")" 2
	assert_equal "$(tail -n 1 "$T/out" | jq -c '[.d4c.read, .d4c.written, .d4c.invalid_passed]')" '[9,9,7]'
}

@test "a line with a key twice is invalid: dropped and reported, never passed on as if valid" {
	# jq reads the last "event" of such a line, d4c-ship routed by the
	# first: no reader may choose, so every d4c program refuses it
	{
		event_line 7001 ""
		echo '{"@timestamp":"2026-11-25T10:00:00Z","event":{"kind":"alert","dataset":"cloud_defend.alerts"},"event":{"kind":"event","dataset":"cloud_defend.process"}}'
		event_line 7002 ""
	} >"$T/in"
	d4c-enrich --no-kubelet <"$T/in" >"$T/out" 2>"$T/err"
	assert_equal "$(jq -r '.process.pid // .d4c.stage' "$T/out")" "7001
7002
d4c-enrich"
	assert_equal "$(tail -n 1 "$T/out" | jq -c '[.d4c.read, .d4c.written, .d4c.invalid, .d4c.dropped]')" '[3,2,1,1]'
	assert_equal "$(cat "$T/err")" "d4c-enrich: warning: 1 invalid input line dropped (first: line 2, byte 95: duplicate key)"
	# passed on only when asked, untouched and counted as invalid
	d4c-enrich --no-kubelet --pass-invalid <"$T/in" >"$T/out" 2>/dev/null
	diff <(sed -n 2p "$T/out") <(sed -n 2p "$T/in")
	assert_equal "$(tail -n 1 "$T/out" | jq -c .d4c.invalid_passed)" 1
}

@test "usage errors exit 2" {
	run d4c-enrich --wait-context abc
	assert_failure 2
	assert_output --partial "--wait-context: 'abc' is not a number"
	run d4c-enrich --kubelet http://localhost:10255
	assert_failure 2
	run d4c-enrich extra
	assert_failure 2
	run d4c-enrich --help
	assert_success
	# --help and the man page list the same options
	opts_help=$(grep -o -- '--[a-z-]*' <<<"$output" | sort -u)
	opts_man=$(grep -oE -- '\\-\\-[a-z]+(\\-[a-z]+)*' "$top_srcdir/share/man/d4c-enrich.1" |
		sed 's/\\//g' | sort -u)
	assert_equal "$opts_man" "$opts_help"
}

@test "once started, it keeps only CAP_SYS_PTRACE (for other processes' /proc/PID/exe and cwd)" {
	run capabilities_of d4c-enrich --no-kubelet
	assert_success
	# bit 19, CAP_SYS_PTRACE, where the test itself holds it
	assert_output "$(capability_lines "$(printf '%016x' \
		$((16#$(awk '/^CapEff/ { print $2 }' /proc/self/status) & (1 << 19))))")"
}

@test "file and end events carry their process's executable, arguments and directory from its exec" {
	require_bpf
	mkdir "$T/w"
	compile_policy <<-YAML
	process:
	  selectors:
	    - name: execs
	      operation: [exec]
	  responses:
	    - match: [execs]
	      actions: [log]
	file:
	  selectors:
	    - name: writes
	      targetFilePath: ['$T/w/**']
	  responses:
	    - match: [writes]
	      actions: [log]
	YAML
	pipe_start --host "$T/policy.d4cp"
	(cd "$T/w" && sh -c 'echo x >f; sleep 0.2' zzq-writer)
	pipe_stop
	assert_json_lines "$T/events.json"
	run /usr/bin/python3 "$top_srcdir/t/validate-events.py" "$T/events.json"
	assert_success
	exec=$(events '.event.action == "exec" and .process.args[-1] == "zzq-writer"' | head -n 1)
	[ -n "$exec" ] || fail "no exec event of the writer"
	pid=$(jq .process.pid <<<"$exec")
	# d4c-load's own file record has the executable and arguments (it saw
	# the exec), not the working directory
	run jq -c "select(.file.path == \"$T/w/f\" and .process.pid == $pid) | [.process.executable, .process.working_directory]" "$T/raw.json"
	assert_output "[$(jq -c .process.executable <<<"$exec"),null]"
	E=$(events ".file.path == \"$T/w/f\" and .process.pid == $pid" | head -n 1)
	[ -n "$E" ] || fail "no file event of the writer"
	assert_equal "$(f .process.executable)" "$(jq -r .process.executable <<<"$exec")"
	assert_equal "$(f -c .process.args)" "$(jq -c .process.args <<<"$exec")"
	assert_equal "$(f .process.args_count)" 4
	assert_equal "$(f .process.working_directory)" "$T/w"
	assert_equal "$(f .process.entity_id)" "$(jq -r .process.entity_id <<<"$exec")"
	E=$(events ".event.action == \"end\" and .process.pid == $pid")
	assert_equal "$(f -c .process.args)" "$(jq -c .process.args <<<"$exec")"
}

@test "a heartbeat gets the node's agent.id and host; other metric records pass unchanged" {
	mkdir -p "$T/root"
	beat='{"@timestamp":"2026-12-06T10:00:00.000000000Z","ecs":{"version":"8.11.0"},"agent":{"type":"d4c","version":"0"},"event":{"kind":"metric","dataset":"cloud_defend.heartbeat","module":"cloud_defend"},"cloud_defend":{"block_action_enabled":true,"package_policy_id":"ab","package_policy_revision":3}}'
	metric='{"@timestamp":"2026-12-06T10:00:00.000000000Z","event":{"kind":"metric","dataset":"cloud_defend.metrics"},"d4c":{"stage":"d4c-load","final":true}}'
	printf '%s\n%s\n' "$beat" "$metric" >"$T/in"
	run d4c-enrich --no-kubelet --agent-id node-7 --metrics-interval 0 <"$T/in"
	assert_success
	jq -e --arg b "$beat" --arg h "$(hostname)" '($b | fromjson) as $in |
		.agent == ($in.agent + {id: "node-7"}) and .host.hostname == $h and
		.cloud_defend == $in.cloud_defend and .event.dataset == "cloud_defend.heartbeat" and
		.["@timestamp"] == $in["@timestamp"] and .cloud_defend.context_pending == null' <<<"${lines[0]}"
	assert_equal "${lines[1]}" "$metric"
	# neither is an event: d4c-enrich's own record does not count them as enriched
	jq -e '.d4c.stage == "d4c-enrich" and .d4c.enriched.full == 0 and .d4c.metrics_passed == 2' <<<"${lines[2]}"
}

@test "cloud.provider and cloud.instance.id from the node's DMI data; nothing when it names no cloud" {
	dmi=$T/root/sys/class/dmi/id
	mkdir -p "$dmi"
	printf 'Amazon EC2\n' >"$dmi/sys_vendor"
	printf 'm5.large\n' >"$dmi/product_name"
	printf 'i-0fedcba9876543210\n' >"$dmi/board_asset_tag"
	event_line 5001 "" | d4c-enrich --no-kubelet --root "$T/root" --metrics-interval 0 >"$T/out.json"
	assert_equal "$(head -n 1 "$T/out.json" | jq -c .cloud)" '{"provider":"aws","instance":{"id":"i-0fedcba9876543210"}}'
	# Azure: its fixed chassis asset tag
	printf 'Microsoft Corporation\n' >"$dmi/sys_vendor"
	printf '7783-7084-3265-9085-8269-3286-77\n' >"$dmi/chassis_asset_tag"
	printf 'None\n' >"$dmi/board_asset_tag"
	event_line 5001 "" | d4c-enrich --no-kubelet --root "$T/root" --metrics-interval 0 >"$T/out.json"
	assert_equal "$(head -n 1 "$T/out.json" | jq -c .cloud)" '{"provider":"azure"}'
	# a machine of no cloud (this test's own, if it is one, is not read: --root)
	printf 'QEMU\n' >"$dmi/sys_vendor"
	rm "$dmi/chassis_asset_tag"
	event_line 5001 "" | d4c-enrich --no-kubelet --root "$T/root" --metrics-interval 0 >"$T/out.json"
	assert_equal "$(head -n 1 "$T/out.json" | jq -c .cloud)" null
	# an event that has cloud already keeps it
	printf 'Google\n' >"$dmi/sys_vendor"
	event_line 5001 "" | sed 's/^{/{"cloud":{"provider":"mine"},/' |
		d4c-enrich --no-kubelet --root "$T/root" --metrics-interval 0 >"$T/out.json"
	assert_equal "$(head -n 1 "$T/out.json" | jq -c .cloud)" '{"provider":"mine"}'
}

@test "process.user.name and process.group.name from the container's own /etc/passwd and /etc/group, never the host's" {
	require_bpf
	require_runc
	all_process_policy
	# a container whose files name its user and group
	ctr_rootfs "$T/named"
	printf 'root:x:0:0:root:/root:/bin/sh\nwww:x:1234:2345:web:/home/www:/bin/sh\nshadowed:x:1234:1:second line:/:/bin/sh\n' >"$T/named/etc/passwd"
	printf 'root:x:0:\nwebgrp:x:2345:www\n' >"$T/named/etc/group"
	# one whose files are symlinks to host files, absolute and relative
	# (a FIFO there would hang runc itself: lib/context/test/idnames.c has that)
	ctr_rootfs "$T/hostile"
	printf 'escaped:x:1234:2345::/:/bin/sh\n' >"$T/host-passwd"
	printf 'escapedgrp:x:2345:\n' >"$T/host-group"
	ln -s "$T/host-passwd" "$T/hostile/etc/passwd"
	ln -s "../../../../../../../../../../..$T/host-group" "$T/hostile/etc/group"
	pipe_start "$T/policy.d4cp"
	for name in named hostile; do
		CTR_ROOTFS=$T/$name ctr_create "$name" -- sh -c '/bin/echo marker; sleep 1'
		ctr_edit "$name" '.process.user.uid = 1234 | .process.user.gid = 2345'
		ctr_start "$name"
	done
	ctr_wait named
	ctr_wait hostile
	pipe_stop
	assert_json_lines "$T/events.json"
	E=$(event_in named '.event.action == "exec" and .process.args[0] == "/bin/echo"')
	[ -n "$E" ] || fail "no exec in 'named': $(cat "$T/enrich.err")"
	assert_equal "$(f -c '[.process.user, .process.group]')" '[{"id":"1234","name":"www"},{"id":"2345","name":"webgrp"}]'
	# the host's own names for these ids (if any) are not the container's
	E=$(event_in hostile '.event.action == "exec" and .process.args[0] == "/bin/echo"')
	[ -n "$E" ] || fail "no exec in 'hostile': $(cat "$T/enrich.err")"
	assert_equal "$(f -c '[.process.user, .process.group]')" '[{"id":"1234"},{"id":"2345"}]'
	assert_equal "$(cat "$T/enrich.err")" ""
}
