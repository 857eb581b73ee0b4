#!/usr/bin/env bats
# d4c-enrich and the kubelet: pod labels, annotations and the owner's kind
# come from GET /pods over HTTPS with a bearer token, here from a stand-in
# (doubles/kubelet-double.py: Python's own TLS server, a certificate made
# with the openssl CLI, 401 without the right token). A kubelet that
# refuses the token or whose certificate does not verify gives one clear
# error line, the fields are marked missing, and events keep flowing.

load helpers

setup() {
	common_setup
	command -v openssl >/dev/null || skip "no openssl CLI (Debian package openssl)"
	[ -x /usr/bin/python3 ] || skip "no /usr/bin/python3"
	cd "$T"
	# a CA, and the kubelet's certificate for 127.0.0.1 signed by it
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
		-subj /CN=test-cluster-ca -keyout ca.key -out ca.crt 2>/dev/null
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-subj /CN=node-1 -keyout kubelet.key -out kubelet.csr 2>/dev/null
	printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >ext
	openssl x509 -req -in kubelet.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 1 \
		-extfile ext -out kubelet.crt 2>/dev/null
	# another CA, which did not sign it
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
		-subj /CN=other-ca -keyout other.key -out other.crt 2>/dev/null
	# the token the kubelet accepts, and the one d4c-enrich reads
	echo "eyJhbGciOiJSUzI1NiJ9.node-token.sig" >accepted-token
	cp accepted-token token
	POD_UID=3c5d1c1e-7a41-4a8e-9a55-3f0f2f6a5c11
	CTR_ID=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
	jq -n --arg uid "$POD_UID" '{kind: "PodList", apiVersion: "v1", items: [
		{metadata: {name: "web-7d4f9-x2x", namespace: "shop", uid: $uid,
			labels: {app: "web", "pod-template-hash": "7d4f9"},
			annotations: {"kubernetes.io/config.seen": "2026-11-25T10:00:00Z"},
			ownerReferences: [{kind: "ReplicaSet", name: "web-7d4f9"}]},
		 status: {podIP: "10.244.1.7", podIPs: [{ip: "10.244.1.7"}, {ip: "fd00:10:244:1::7"}]}},
		{metadata: {name: "other", namespace: "default", uid: "11111111-2222-3333-4444-555555555555",
			labels: {app: "other"}}}]}' >pods.json
	# containerd's bundle for the container, below --root
	dir="$T/root/run/containerd/io.containerd.runtime.v2.task/k8s.io/$CTR_ID"
	mkdir -p "$dir"
	jq -n --arg uid "$POD_UID" '{ociVersion: "1.1.0", annotations: {
		"io.kubernetes.cri.container-type": "container",
		"io.kubernetes.cri.container-name": "web",
		"io.kubernetes.cri.image-name": "docker.io/library/nginx:1.25",
		"io.kubernetes.cri.sandbox-name": "web-7d4f9-x2x",
		"io.kubernetes.cri.sandbox-namespace": "shop",
		"io.kubernetes.cri.sandbox-uid": $uid}}' >"$dir/config.json"
	/usr/bin/python3 "$top_srcdir/t/doubles/kubelet-double.py" \
		--cert kubelet.crt --key kubelet.key \
		--token-file accepted-token --pods pods.json --port-file port 2>"$T/double.err" &
	DOUBLE_PID=$!
	for _ in $(seq 1 100); do
		[ -s port ] && break
		sleep 0.1
	done
	[ -s port ] || fail "the kubelet double did not start: $(cat "$T/double.err")"
	URL="https://127.0.0.1:$(cat port)"
}

teardown() {
	[ -z "${DOUBLE_PID:-}" ] || kill "$DOUBLE_PID" 2>/dev/null || true
}

# An exec event of a process in the container.
event_line() {
	printf '{"@timestamp":"2026-11-25T12:00:00.000000000Z","ecs":{"version":"8.11.0"},"agent":{"type":"d4c","version":"0.1.0"},"event":{"kind":"event","category":["process"],"action":"exec","type":["start"],"outcome":"success","dataset":"cloud_defend.process"},"process":{"pid":%s,"name":"nginx","entity_id":"b00t-%s-1000","parent":{"pid":0}},"container":{"id":"%s"},"cloud_defend":{"actions":["log"]}}\n' \
		"$1" "$1" "$CTR_ID"
}

enrich() {
	d4c-enrich --root "$T/root" --kubelet "$URL" --kubelet-token "$T/token" "$@"
}

# True once the double has logged N requests for PATH answered with STATUS.
# (It logs a request as it answers it, and d4c-enrich asks again only once
# it has taken the answer before in: N logged, N - 1 taken in.)
asked() { # PATH STATUS N
	[ "$(grep -c "\"GET $1 HTTP/1.1\" $2" "$T/double.err")" -ge "$3" ]
}

# True once d4c-enrich has written the event of process PID to out.json.
written() {
	json_any "$T/out.json" ".process.pid == $1"
}

@test "pod labels, annotations and the owner's kind come from the kubelet" {
	# the first poll may come after the event: it waits for it
	enrich --kubelet-ca "$T/ca.crt" --wait-context 10000 < <(event_line 100) >out.json 2>err
	E=$(head -n 1 out.json)
	assert_equal "$(jq -c .orchestrator.resource.label <<<"$E")" '["app:web","pod-template-hash:7d4f9"]'
	assert_equal "$(jq -c .orchestrator.resource.annotation <<<"$E")" '["kubernetes.io/config.seen:2026-11-25T10:00:00Z"]'
	assert_equal "$(jq -r .orchestrator.resource.parent.type <<<"$E")" ReplicaSet
	assert_equal "$(jq -r .orchestrator.resource.name <<<"$E")" web-7d4f9-x2x
	# the pod's IPs, dual stack, podIP first
	assert_equal "$(jq -c .orchestrator.resource.ip <<<"$E")" '["10.244.1.7","fd00:10:244:1::7"]'
	assert_equal "$(jq -r .cloud_defend.context_pending <<<"$E")" null
	assert_equal "$(cat err)" ""
	grep -q '"GET /pods HTTP/1.1" 200' double.err
	assert_equal "$(tail -n 1 out.json | jq '.d4c.kubelet.errors')" 0
}

@test "a token the kubelet refuses: one error line, labels marked missing, events keep flowing" {
	echo wrong-token >"$T/token"
	enrich --kubelet-ca "$T/ca.crt" --kubelet-interval 1 \
		< <(event_line 100; wait_for asked /pods 401 2; event_line 101
			wait_for asked /pods 401 3; event_line 102) >out.json 2>err
	grep -q '"GET /pods HTTP/1.1" 401' double.err
	assert_equal "$(cat err)" "d4c-enrich: error: kubelet '$URL': HTTP 401: the token in '$T/token' is refused"
	run jq -r '.process.pid // .d4c.stage' out.json
	assert_output "100
101
102
d4c-enrich"
	for n in 1 2; do
		E=$(sed -n "${n}p" out.json)
		assert_equal "$(jq -c .cloud_defend.context_pending <<<"$E")" '["orchestrator.resource.label"]'
		# what the runtime said is still there
		assert_equal "$(jq -r .orchestrator.resource.name <<<"$E")" web-7d4f9-x2x
		assert_equal "$(jq -r .container.name <<<"$E")" web
	done
	M=$(tail -n 1 out.json)
	[ "$(jq .d4c.kubelet.errors <<<"$M")" -ge 2 ] || fail "errors not counted: $M"
	assert_equal "$(jq '.d4c.missing."orchestrator.resource.label"' <<<"$M")" 3
}

@test "a kubelet certificate that the CA does not verify: a clear error, no labels, no wait beyond the limit" {
	# the event comes out after the limit with the input still open
	enrich --kubelet-ca "$T/other.crt" --wait-context 1500 \
		< <(event_line 100; wait_for written 100; wait_for grep -q 'SSL certificate' err) \
		>out.json 2>err
	run cat err
	assert_line --partial "d4c-enrich: error: kubelet '$URL': SSL certificate problem"
	E=$(head -n 1 out.json)
	assert_equal "$(jq -c .cloud_defend.context_pending <<<"$E")" '["orchestrator.resource.label"]'
	assert_equal "$(tail -n 1 out.json | jq .d4c.released_incomplete)" 1
	# no request got through
	run grep -c 'GET /pods' double.err
	assert_output 0
}

@test "a CA file that does not exist is an error of its own" {
	enrich --kubelet-ca "$T/nonexistent.crt" \
		< <(event_line 100; wait_for grep -q nonexistent.crt err) >out.json 2>err
	run cat err
	assert_line --partial "kubelet '$URL': "
	assert_line --partial "nonexistent.crt"
	assert_equal "$(head -n 1 out.json | jq -r .container.name)" web
}

# The API server's part: the double plays it too, on the same port.
api_double() {
	kill "$DOUBLE_PID"
	wait "$DOUBLE_PID" 2>/dev/null || true
	rm -f port
	jq -n '{kind: "Node", apiVersion: "v1", metadata: {name: "node-1", labels: {
		"topology.kubernetes.io/region": "eu-west-1", "topology.kubernetes.io/zone": "eu-west-1b",
		"node.kubernetes.io/instance-type": "m5.large", "kubernetes.io/hostname": "node-1"}},
		spec: {providerID: "aws:///eu-west-1b/i-0123456789abcdef0"}}' >node.json
	/usr/bin/python3 "$top_srcdir/t/doubles/kubelet-double.py" \
		--cert kubelet.crt --key kubelet.key \
		--token-file accepted-token --pods pods.json --port-file port \
		--namespace-uid 9a1f3c52-0b7e-4d55-8f0e-2c3b4d5e6f70 --node node.json "$@" 2>"$T/double.err" &
	DOUBLE_PID=$!
	for _ in $(seq 1 100); do
		[ -s port ] && break
		sleep 0.1
	done
	[ -s port ] || fail "the double did not start: $(cat "$T/double.err")"
	URL="https://127.0.0.1:$(cat port)"
}

@test "the cluster id is the kube-system namespace's UID; cloud.* come from the node's labels and providerID" {
	api_double
	enrich --kubelet-ca "$T/ca.crt" --kube-api "$URL" --kube-api-ca "$T/ca.crt" --node-name node-1 \
		--wait-context 10000 < <(event_line 100; wait_for written 100; event_line 101) \
		>out.json 2>err
	assert_equal "$(cat err)" ""
	grep -q '"GET /api/v1/namespaces/kube-system HTTP/1.1" 200' double.err
	grep -q '"GET /api/v1/nodes/node-1 HTTP/1.1" 200' double.err
	E=$(sed -n 2p out.json)
	assert_equal "$(jq -r .orchestrator.cluster.id <<<"$E")" 9a1f3c52-0b7e-4d55-8f0e-2c3b4d5e6f70
	assert_equal "$(jq -c .cloud <<<"$E")" \
		'{"provider":"aws","region":"eu-west-1","availability_zone":"eu-west-1b","instance":{"id":"i-0123456789abcdef0"},"machine":{"type":"m5.large"}}'
	# --cluster-id, when given, is the cluster's id
	rm out.json # written reads this run's: the one before wrote pid 100 too
	enrich --kubelet-ca "$T/ca.crt" --kube-api "$URL" --kube-api-ca "$T/ca.crt" --node-name node-1 \
		--cluster-id mine --wait-context 10000 \
		< <(event_line 100; wait_for written 100; event_line 101) >out.json 2>err
	assert_equal "$(sed -n 2p out.json | jq -r .orchestrator.cluster.id)" mine
	assert_equal "$(sed -n 2p out.json | jq -r .cloud.region)" eu-west-1
}

@test "an API server that forbids the reads: one error line, events flow without a cluster id" {
	api_double --api-forbidden
	enrich --kubelet-ca "$T/ca.crt" --kube-api "$URL" --kube-api-ca "$T/ca.crt" --node-name node-1 \
		--kubelet-interval 1 < <(event_line 100
			wait_for asked /api/v1/namespaces/kube-system 403 2
			event_line 101) >out.json 2>err
	assert_equal "$(cat err)" "d4c-enrich: error: kubernetes API '$URL': HTTP 403: the token in '$T/token' is not allowed to get it"
	run jq -r '.process.pid // .d4c.stage' out.json
	assert_output "100
101
d4c-enrich"
	assert_equal "$(head -n 2 out.json | jq -r '.orchestrator.cluster.id // "none"' | sort -u)" none
	assert_equal "$(sed -n 2p out.json | jq -c .orchestrator.resource.label)" '["app:web","pod-template-hash:7d4f9"]'
	[ "$(grep -c 'GET /api/v1/namespaces/kube-system HTTP/1.1" 403' double.err)" -ge 2 ] || fail "not asked again"
	run d4c-enrich --kube-api http://insecure --kubelet "$URL" </dev/null
	assert_failure 2
}
