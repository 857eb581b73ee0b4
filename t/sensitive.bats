#!/usr/bin/env bats
# readFile, d4c's own operation: opens for reading of the paths a selector
# names, in a real runc container with a service-account directory mounted
# where Kubernetes mounts it, on this machine's kernel (the syscall
# tracepoints when BPF LSM is not usable: reported, not refused; refusal
# is proven in the guest, t/vm/enforce.bats). The events carry what
# Elastic's rules "Service Account Token or Certificate Read", "Service
# Account Namespace Read" and "Kubelet Certificate File Access" test.

load helpers
load containers/runc

SA=/run/secrets/kubernetes.io/serviceaccount

setup_file() {
	ctr_setup_file
	# the mount points, and /var/run as the images have it
	mkdir -p "$CTR_ROOTFS$SA" "$CTR_ROOTFS/var" "$CTR_ROOTFS/work" \
		"$CTR_ROOTFS/var/lib/kubelet/pki"
	ln -sfn ../run "$CTR_ROOTFS/var/run"
}

setup() {
	common_setup
	require_bpf
	require_runc
	mkdir -p "$T/sa" "$T/work" "$T/pki"
	echo token-data >"$T/sa/token"
	echo ca-data >"$T/sa/ca.crt"
	echo default >"$T/sa/namespace"
	echo cert >"$T/pki/kubelet-client-current.pem"
	echo notes >"$T/work/notes"
}

teardown() {
	[ -z "${LOAD_PID:-}" ] || kill -INT "$LOAD_PID" 2>/dev/null || true
	ctr_cleanup
}

# Container NAME, running 'sleep 3600', with the service-account directory
# ($T/sa, read-only), the kubelet's pki ($T/pki, read-only) and a scratch
# directory ($T/work, writable) mounted as a node would.
sa_container() {
	local dir="$T/containers/$1"
	ctr_create "$1" -- sleep 3600
	jq --arg sa "$T/sa" --arg pki "$T/pki" --arg work "$T/work" --arg dst "$SA" '
		.mounts += [
			{ destination: $dst, type: "bind", source: $sa, options: ["rbind", "ro"] },
			{ destination: "/var/lib/kubelet/pki", type: "bind", source: $pki,
			  options: ["rbind", "ro"] },
			{ destination: "/work", type: "bind", source: $work, options: ["rbind", "rw"] }
		]' "$dir/config.json" >"$dir/config.json.new"
	mv "$dir/config.json.new" "$dir/config.json"
	ctr_start "$1"
}

# The file events of container NAME, one JSON object per line.
file_events_in() {
	events ".event.category == [\"file\"] and .container.id == \"$(ctr_id "$1")\""
}

# The file branches of Elastic's three rules, as jq over one event
# (process.interactive left out: runc exec without a terminal).
RULES='.event.category == ["file"] and .event.action == "open"
	and any(.event.type[]; . == "change")
	and ((.file.path | IN("/var/run/secrets/kubernetes.io/serviceaccount/token",
		"/var/run/secrets/kubernetes.io/serviceaccount/ca.crt",
		"/run/secrets/kubernetes.io/serviceaccount/token",
		"/run/secrets/kubernetes.io/serviceaccount/ca.crt",
		"/var/run/secrets/kubernetes.io/serviceaccount/namespace",
		"/run/secrets/kubernetes.io/serviceaccount/namespace"))
	or (.file.path | startswith("/var/lib/kubelet/pki/")))'

@test "reads of named sensitive files in a container are events with the rules' fields; others are not" {
	compile_policy <<-YAML
	file:
	  selectors:
	    - name: saCredentialRead
	      operation: [readFile]
	      targetFilePath: [$SA/token, $SA/ca.crt]
	    - name: saNamespaceRead
	      operation: [readFile]
	      targetFilePath: [$SA/namespace]
	    - name: kubeletPkiRead
	      operation: [readFile]
	      targetFilePath: [/var/lib/kubelet/pki/*]
	    - name: workWrites
	      operation: [modifyFile]
	      targetFilePath: [/work/*]
	  responses:
	    - match: [saCredentialRead, kubeletPkiRead]
	      actions: [alert]
	    - match: [saNamespaceRead, workWrites]
	      actions: [log]
	YAML
	sa_container box
	load_start "$T/policy.d4cp"
	# through /var/run, the symbolic link to /run, as the rules' paths are
	ctr_exec box cat /var/run/secrets/kubernetes.io/serviceaccount/token
	ctr_exec box head -c1 $SA/ca.crt
	ctr_exec box cat $SA/namespace
	ctr_exec box cat /var/lib/kubelet/pki/kubelet-client-current.pem
	# not named: a read of the directory's other entries, of the work file
	# (only its writes are), of the image's own files
	ctr_exec box ls $SA
	ctr_exec box cat /work/notes
	ctr_exec box cat /bin/busybox
	ctr_exec box sh -c 'echo more >>/work/notes'
	load_stop
	run /usr/bin/python3 "$top_srcdir/t/validate-events.py" "$T/events.json"
	assert_success
	run file_events_in box
	[ "${#lines[@]}" -eq 5 ] || fail "expected 5 file events, got ${#lines[@]}:
$output"

	reads=$(file_events_in box | jq -c 'select(.file.path != "/work/notes")')
	assert_equal "$(jq -r .file.path <<<"$reads" | sort | tr '\n' ' ')" \
		"$SA/ca.crt $SA/namespace $SA/token /var/lib/kubelet/pki/kubelet-client-current.pem "
	# every read: action open, type access (and change, which the rules test)
	assert_equal "$(jq -c '[.event.action, .event.type, .event.outcome]' <<<"$reads" | sort -u)" \
		'["open",["access","change"],"success"]'
	assert_equal "$(jq -c 'select(.file.path == "'$SA/token'") |
		[.event.kind, .event.dataset, .cloud_defend.matched_selectors, .process.name]' \
		<<<"$reads")" '["alert","cloud_defend.alerts",["saCredentialRead"],"cat"]'
	assert_equal "$(jq -c 'select(.file.path == "'$SA/namespace'") |
		[.event.kind, .cloud_defend.matched_selectors]' <<<"$reads")" \
		'["event",["saNamespaceRead"]]'
	# the file branch of each of Elastic's rules selects its reads
	assert_equal "$(jq -c "select($RULES) | .file.path" <<<"$reads" | wc -l)" 4

	# the write is the modification it was, not a read
	run file_events_in box
	assert_equal "$(jq -c 'select(.file.path == "/work/notes") |
		[.event.action, .event.type, .cloud_defend.matched_selectors]' <<<"$output")" \
		'["open",["change"],["workWrites"]]'
}

@test "a policy without readFile gives no read events, whatever its paths" {
	compile_policy <<-YAML
	file:
	  selectors:
	    - name: saFiles
	      targetFilePath: [$SA/**, /work/**]
	  responses:
	    - match: [saFiles]
	      actions: [alert]
	YAML
	sa_container box
	load_start "$T/policy.d4cp"
	ctr_exec box cat $SA/token $SA/namespace /work/notes
	ctr_exec box sh -c 'echo more >>/work/notes'
	load_stop
	run file_events_in box
	assert_one_line
	assert_equal "$(jq -c '[.file.path, .event.type]' <<<"$output")" '["/work/notes",["change"]]'
}
