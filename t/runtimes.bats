#!/usr/bin/env bats
# Containers of every runtime a node may have, not only Kubernetes': each
# test runs a real runc container in the cgroup that runtime would give it
# and writes the state files that runtime would write, under a test root
# (D4C_HOST_ROOT=$T/root, whose proc, sys and run/runc are the host's, as
# are the bundles runc's state.json names).
# d4c-trace -c NAME must then find the container, and name its runtime in
# container.runtime; d4c-load and d4c-trace say at start which runtimes'
# containers they found. (Helpers: containers/runc.bash.)

load helpers
load containers/runc

setup_file() {
	ctr_setup_file
	# the ids a user picks for runc by hand, made unique to this run: two
	# runs at once (or a killed one's leftovers) must not share a container
	export RID=$$
}

setup() {
	common_setup
	require_bpf
	require_runc
	TRACE_PID=
	mkdir -p "$T/root/run"
	ln -s /proc "$T/root/proc"
	ln -s /sys "$T/root/sys"
	ln -s /run/runc "$T/root/run/runc"
	mkdir -p "$T/root$T"
	ln -s "$T/containers" "$T/root$T/containers"
	export D4C_HOST_ROOT=$T/root
}

teardown() {
	[ -z "$TRACE_PID" ] || kill -INT "$TRACE_PID" 2>/dev/null || true
	ctr_cleanup
}

# Writes FILE (a path below the test root) from stdin.
put() {
	mkdir -p "$(dirname "$T/root$1")"
	cat >"$T/root$1"
}

# Traces the execs of container NAME (-c NAME) while it runs /bin/echo, and
# leaves the one exec event in $E; the status line is in $T/trace.err.
trace_echo_in() {
	d4c-trace -j -t exec -c "$1" >"$T/trace.out" 2>"$T/trace.err" &
	TRACE_PID=$!
	wait_started "$TRACE_PID" "$T/trace.err" tracing d4c-trace
	ctr_exec "$2" /bin/echo "in-$2"
	# at Ctrl-C it detaches, then reads what the kernel still holds
	kill -INT "$TRACE_PID"
	wait "$TRACE_PID" || true
	TRACE_PID=
	E=$(jq -c "select(.process.args == [\"/bin/echo\", \"in-$2\"])" "$T/trace.out")
	[ -n "$E" ] || { cat "$T/trace.err" >&2; return 1; }
}

field() {
	jq -r "$1" <<<"$E"
}

@test "runc run by hand, cgroupfs: the cgroup is /NAME, runc's state is /run/runc/NAME" {
	ctr_create web --id "web-$RID" --cgroup /@ID@ --annotations '{}' -- sleep 3600
	ctr_start web
	trace_echo_in "web-$RID" web
	assert_equal "$(field .container.id)" "web-$RID"
	assert_equal "$(field .container.name)" "web-$RID"
	assert_equal "$(field .container.runtime)" runc
	assert grep -q '^d4c-trace: containers: .*[0-9] runc' "$T/trace.err"
}

@test "runc's systemd driver by default: system.slice/runc-NAME.scope" {
	ctr_create api --id "api-$RID" --cgroup /system.slice/runc-@ID@.scope --annotations '{}' \
		-- sleep 3600
	ctr_start api
	trace_echo_in "api-$RID" api
	assert_equal "$(field .container.id)" "api-$RID"
	assert_equal "$(field .container.runtime)" runc
}

@test "runc in a group of one's own, /GROUP/ID: runc, not ctr's /NAMESPACE/ID" {
	ctr_create job --cgroup /batch/@ID@ --annotations '{}' -- sleep 3600
	ctr_start job
	trace_echo_in "$(ctr_id job)" job
	assert_equal "$(field .container.runtime)" runc
}

@test "runc with a cgroupsPath that does not name it: runc's state.json knows the cgroup" {
	# "runc run" with config.json's linux.cgroupsPath "/mygroup/worker"
	ctr_create worker --id "wrk-$RID" --cgroup "/mygroup-$RID/worker" --annotations '{}' \
		-- sleep 3600
	ctr_start worker
	trace_echo_in "wrk-$RID" worker
	assert_equal "$(field .container.id)" "wrk-$RID"
	assert_equal "$(field .container.name)" "wrk-$RID"
	assert_equal "$(field .container.runtime)" runc
}

# Docker's config.v2.json for container NAME, image IMAGE.
docker_state() {
	jq -n --arg id "$(ctr_id "$1")" --arg name "/$1" --arg image "$2" \
		'{ID: $id, Name: $name, Config: {Image: $image, Labels: {team: "shop"}}}' |
		put "/var/lib/docker/containers/$(ctr_id "$1")/config.v2.json"
}

@test "Docker, systemd driver: system.slice/docker-ID.scope, its config.v2.json" {
	ctr_create shop --cgroup /system.slice/docker-@ID@.scope --annotations '{}' -- sleep 3600
	docker_state shop nginx:1.25
	ctr_start shop
	trace_echo_in shop shop
	assert_equal "$(field .container.id)" "$(ctr_id shop)"
	assert_equal "$(field .container.runtime)" docker
	assert_equal "$(field .container.image.name)" nginx
	assert grep -q '^d4c-trace: containers: .*1 docker' "$T/trace.err"
}

@test "Docker, cgroupfs driver: /docker/ID" {
	ctr_create shop --cgroup /docker/@ID@ --annotations '{}' -- sleep 3600
	docker_state shop redis:7
	ctr_start shop
	trace_echo_in shop shop
	assert_equal "$(field .container.runtime)" docker
	assert_equal "$(field .container.image.name)" redis
}

# Podman's OCI spec and containers.json for container NAME, image IMAGE,
# in the storage STORAGE (default: rootful Podman's /var/lib/containers/storage).
podman_state() {
	local id storage=${3:-/var/lib/containers/storage}
	id=$(ctr_id "$1")
	jq '.annotations = {"io.container.manager": "libpod", "io.podman.annotations.privileged": "FALSE"}' \
		"$T/containers/$1/config.json" |
		put "$storage/overlay-containers/$id/userdata/config.json"
	jq -n --arg id "$id" --arg name "$1" --arg image "$2" \
		'[{id: $id, names: [$name], metadata: ({"image-name": $image, name: $name} | tojson)}]' |
		put "$storage/overlay-containers/containers.json"
}

@test "Podman: machine.slice/libpod-ID.scope, its userdata/config.json and containers.json" {
	ctr_create cache --cgroup /machine.slice/libpod-@ID@.scope \
		--annotations '{"io.container.manager": "libpod"}' -- sleep 3600
	podman_state cache docker.io/library/memcached:1.6
	ctr_start cache
	trace_echo_in cache cache
	assert_equal "$(field .container.runtime)" podman
	assert_equal "$(field .container.image.name)" memcached
}

# The host's /etc/passwd names alice (uid 1000) and her home, owned by her.
user_alice() {
	echo 'alice:x:1000:1000:Alice:/home/alice:/bin/sh' | put /etc/passwd
	mkdir -p "$T/root/home/alice"
	chown 1000:1000 "$T/root/home/alice"
}

@test "rootless Podman, in the user's systemd: its metadata in the user's own storage" {
	ctr_create mine --annotations '{}' \
		--cgroup /user.slice/user-1000.slice/user@1000.service/user.slice/libpod-@ID@.scope \
		-- sleep 3600
	user_alice
	podman_state mine docker.io/library/alpine:3.19 /home/alice/.local/share/containers/storage
	chown -R 1000:1000 "$T/root/home/alice"
	ctr_start mine
	trace_echo_in "$(ctr_id mine | cut -c1-12)" mine
	assert_equal "$(field .container.id)" "$(ctr_id mine)"
	assert_equal "$(field .container.name)" mine
	assert_equal "$(field .container.image.name)" alpine
	assert_equal "$(field .container.runtime)" podman
}

@test "rootless Podman: a symbolic link out of the user's storage is not followed" {
	# alice points her storage at root's, where a container of that id
	# runs a trusted image: her cgroup must not pass for it
	ctr_create mine --annotations '{}' \
		--cgroup /user.slice/user-1000.slice/user@1000.service/user.slice/libpod-@ID@.scope \
		-- sleep 3600
	user_alice
	podman_state mine registry.example/trusted:1
	mkdir -p "$T/root/home/alice/.local/share/containers"
	ln -s "$T/root/var/lib/containers/storage" "$T/root/home/alice/.local/share/containers/storage"
	chown -hR 1000:1000 "$T/root/home/alice"
	ctr_start mine
	trace_echo_in "$(ctr_id mine | cut -c1-12)" mine
	assert_equal "$(field .container.id)" "$(ctr_id mine)"
	assert_equal "$(field .container.runtime)" podman
	assert_equal "$(field .container.image.name)" null
	assert_equal "$(field .container.name)" null
}

# containerd's bundle for container NAME in namespace NS, annotations JSON.
containerd_bundle() {
	jq --argjson ann "$3" '.annotations = $ann' "$T/containers/$1/config.json" |
		put "/run/containerd/io.containerd.runtime.v2.task/$2/$(ctr_id "$1")/config.json"
}

@test "containerd without Kubernetes (ctr run): /NAMESPACE/ID, the bundle in that namespace" {
	ctr_create task --cgroup /default/@ID@ --annotations '{}' -- sleep 3600
	containerd_bundle task default '{}'
	ctr_start task
	trace_echo_in "$(ctr_id task | cut -c1-12)" task
	assert_equal "$(field .container.runtime)" containerd
}

@test "nerdctl: system.slice/nerdctl-ID.scope, its name in the bundle's annotations" {
	ctr_create db --cgroup /system.slice/nerdctl-@ID@.scope --annotations '{}' -- sleep 3600
	containerd_bundle db default '{"nerdctl/name": "db-1", "nerdctl/namespace": "default"}'
	ctr_start db
	trace_echo_in db-1 db
	assert_equal "$(field .container.runtime)" containerd
}

@test "CRI-O: crio-ID.scope, its userdata/config.json" {
	local uid=6f1d2c3b-4a59-4e8f-9d0c-1b2a3c4d5e6f
	ctr_create app --cgroup "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${uid//-/_}.slice/crio-@ID@.scope" \
		--annotations '{}' -- sleep 3600
	jq --arg uid "$uid" '.annotations = {"io.kubernetes.cri-o.ContainerName": "app",
		"io.kubernetes.cri-o.ImageName": "quay.io/team/app:2", "io.kubernetes.pod.name": "app-1",
		"io.kubernetes.pod.namespace": "prod", "io.kubernetes.pod.uid": $uid}' \
		"$T/containers/app/config.json" |
		put "/run/containers/storage/overlay-containers/$(ctr_id app)/userdata/config.json"
	ctr_start app
	trace_echo_in app app
	assert_equal "$(field .container.runtime)" cri-o
	assert_equal "$(field .orchestrator.namespace)" prod
}

@test "systemd-nspawn: machine.slice/machine-NAME.scope, systemd-machined's record" {
	# systemd-nspawn keeps no runc state: the runc that stands in for it
	# here must not leave one under the machine's name
	ctr_create box --id "inner-of-my-box$RID" --cgroup "/machine.slice/machine-my\\x2dbox$RID.scope" \
		--annotations '{}' -- sleep 3600
	printf 'NAME=my-box%s\nSCOPE=machine-my\\x2dbox%s.scope\nSERVICE=systemd-nspawn\nCLASS=container\n' \
		"$RID" "$RID" | put "/run/systemd/machines/my-box$RID"
	ctr_start box
	trace_echo_in "my-box$RID" box
	assert_equal "$(field .container.id)" "my-box$RID"
	assert_equal "$(field .container.runtime)" systemd-nspawn
}

@test "d4c-trace -c naming no container fails at once, and says so" {
	run d4c-trace -t exec -c no-such-box
	assert_failure 2
	# the status line, then the one line that says why
	assert_equal "${#lines[@]}" 2
	assert_line --index 0 --regexp '^d4c-trace: containers: '
	assert_line --index 1 "d4c-trace: no container named 'no-such-box'"
}

@test "d4c-load says which runtimes' containers it found" {
	ctr_create web --id "web-$RID" --cgroup /@ID@ --annotations '{}' -- sleep 3600
	ctr_create shop --cgroup /docker/@ID@ --annotations '{}' -- sleep 3600
	docker_state shop nginx:1.25
	ctr_start web
	ctr_start shop
	compile_policy <<-'YAML'
	process:
	  selectors:
	    - name: execs
	      operation: [exec]
	  responses:
	    - match: [execs]
	      actions: [log]
	YAML
	load_start "$T/policy.d4cp"
	kill -INT "$LOAD_PID"
	wait "$LOAD_PID" || true
	LOAD_PID=
	run grep '^d4c-load: containers:' "$T/load.err"
	assert_output --regexp '^d4c-load: containers: ([0-9]+ [a-z-]+, )*1 docker(, [0-9]+ [a-z-]+)*$'
	assert_output --regexp '[0-9]+ runc'
}
