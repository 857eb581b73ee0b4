#!/usr/bin/env bats
# d4c-load and real containers: runc runs busybox containers in the cgroups
# and with the annotations a Kubernetes node gives them
# (/kubepods/besteffort/pod<uid>/<id>; containerd's CRI annotations in the
# bundle's config.json, found through /run/runc/<id>/state.json). Without
# --host, d4c-load applies the policy to container processes only, names
# their container in container.id, and matches the container conditions
# (image, namespace, pod) of each container against its own metadata,
# whether the container was there before d4c-load started or came after.
# (Helpers that make and run the containers: containers/runc.bash.)

load helpers
load containers/runc

setup_file() {
	ctr_setup_file
}

setup() {
	common_setup
	require_bpf
	require_runc
}

teardown() {
	[ -z "${LOAD_PID:-}" ] || kill -INT "$LOAD_PID" 2>/dev/null || true
	ctr_cleanup
}

# A policy that logs the execs of containers of image nginx only.
nginx_exec_policy() {
	compile_policy <<-'YAML'
	process:
	  selectors:
	    - name: nginxExecs
	      operation: [exec]
	      containerImageName: [nginx]
	  responses:
	    - match: [nginxExecs]
	      actions: [log]
	YAML
}

# A policy that logs every exec; alone it would log the whole node, but
# without --host only container processes are subject to it.
log_every_exec() {
	compile_policy <<-'YAML'
	process:
	  selectors:
	    - name: allExecs
	      operation: [exec]
	  responses:
	    - match: [allExecs]
	      actions: [log]
	YAML
}

# The exec events of container NAME, one JSON object per line.
execs_in() {
	events ".event.action == \"exec\" and .container.id == \"$(ctr_id "$1")\""
}

# The command lines (process.args) of the exec events of container NAME.
exec_args_in() {
	execs_in "$1" | jq -c .process.args
}

# The exec events, in any container or none, whose command line is ARGS...
execs_of() {
	local args
	args=$(jq -cn '$ARGS.positional' --args "$@")
	events ".event.action == \"exec\" and .process.args == $args"
}

@test "a container that runs before d4c-load starts is known: its execs carry container.id" {
	log_every_exec
	ctr_create box -- sleep 3600
	ctr_start box
	load_start "$T/policy.d4cp"
	ctr_exec box sh -c 'echo hi; /bin/echo there'
	load_stop
	assert_equal "$LOAD_RC" 0
	# 'echo hi' is a shell builtin: no exec
	run exec_args_in box
	assert_output '["sh","-c","echo hi; /bin/echo there"]
["/bin/echo","there"]'
	# busybox is behind every applet; paths are the container's own
	run execs_in box
	for e in "${lines[@]}"; do
		assert_equal "$(jq -r .process.executable <<<"$e")" /bin/busybox
		assert_equal "$(jq -r .cloud_defend.container_pending <<<"$e")" null
		assert_equal "$(jq -c .cloud_defend.matched_selectors <<<"$e")" '["allExecs"]'
	done
	# runc exec put the shell in from outside: it is its own entry leader
	# (as Elastic has it), and the entry leader of what it starts
	sh_pid=$(jq -r .process.pid <<<"${lines[0]}")
	assert_equal "$(jq -r .process.entry_leader.pid <<<"${lines[0]}")" "$sh_pid"
	assert_equal "$(jq -r .process.entry_leader.entry_meta.type <<<"${lines[0]}")" container
	assert_equal "$(jq -r .process.entry_leader.same_as_process <<<"${lines[0]}")" true
	# (busybox's sh execs its last command in place: the same process)
	assert_equal "$(jq -r .process.pid <<<"${lines[1]}")" "$sh_pid"
	assert_equal "$(jq -r .process.entry_leader.pid <<<"${lines[1]}")" "$sh_pid"
}

@test "runc exec: the process put in is its own entry leader; the container's init leads what it starts" {
	log_every_exec
	load_start "$T/policy.d4cp"
	# the init forks a child that execs: that child's entry leader is the init
	ctr_create box -- sh -c '/bin/echo from-init; sleep 3600'
	ctr_start box
	for _ in $(seq 1 50); do
		[ -n "$(execs_of /bin/echo from-init)" ] && break
		sleep 0.1
	done
	ctr_exec box sh -c '/bin/echo from-exec; exit 0'
	# an interactive exec, as kubectl exec -it gives one
	script -qec "runc exec -t $(ctr_id box) sh -c '/bin/echo interactive; exit 0'" /dev/null >/dev/null </dev/null
	load_stop
	init=$(runc state "$(ctr_id box)" | jq -r .pid)
	run execs_of /bin/echo from-init
	assert_one_line
	assert_equal "$(jq -r .process.entry_leader.pid <<<"$output")" "$init"
	assert_equal "$(jq -r .process.entry_leader.same_as_process <<<"$output")" false
	# the exec'd shell: its own entry leader, named by its executable
	# (jq 1.6 would take a "-c" after --args for its own: no execs_of here)
	run events '.event.action == "exec" and .process.args == ["sh", "-c", "/bin/echo from-exec; exit 0"]'
	assert_one_line
	sh=$output
	sh_pid=$(jq -r .process.pid <<<"$sh")
	assert_equal "$(jq -r .process.entry_leader.pid <<<"$sh")" "$sh_pid"
	assert_equal "$(jq -r .process.entry_leader.same_as_process <<<"$sh")" true
	assert_equal "$(jq -r .process.entry_leader.entry_meta.type <<<"$sh")" container
	assert_equal "$(jq -r .process.entry_leader.entity_id <<<"$sh")" "$(jq -r .process.entity_id <<<"$sh")"
	assert_equal "$(jq -r .process.entry_leader.executable <<<"$sh")" /bin/busybox
	assert_equal "$(jq -r .process.interactive <<<"$sh")" false
	run execs_of /bin/echo from-exec
	assert_one_line
	assert_equal "$(jq -r .process.entry_leader.pid <<<"$output")" "$sh_pid"
	assert_equal "$(jq -r .process.entry_leader.same_as_process <<<"$output")" false
	assert_equal "$(jq -c .process.entry_leader.args <<<"$output")" '["sh","-c","/bin/echo from-exec; exit 0"]'
	# what the rule "Interactive Exec Into Container" looks for
	run events '.event.action == "exec" and .process.entry_leader.entry_meta.type == "container" and .process.entry_leader.same_as_process == true and .process.interactive == true'
	assert_one_line
	assert_equal "$(jq -c .process.args <<<"$output")" '["sh","-c","/bin/echo interactive; exit 0"]'
	assert_equal "$(jq -r .container.id <<<"$output")" "$(ctr_id box)"
}

@test "the default policy: a container's start raises no drift alert; chmod +x of a file does, of a directory not" {
	d4c-load --probe | jq -e '.bpf_lsm.usable == false' >/dev/null ||
		skip "BPF LSM is usable here: chmod is seen at lsm/path_chmod (t/vm/)"
	bpftool btf dump file /sys/kernel/btf/vmlinux format raw | grep -q "'btf_trace_ctime_ns_xchg'" ||
		skip "the kernel has no ctime tracepoints (6.13): a chmod's file type is not seen here"
	d4c-policy compile -o "$T/policy.d4cp" "$top_srcdir/share/policies/default.yaml"
	chmod 600 "$T/policy.d4cp"
	load_start "$T/policy.d4cp"
	# runc chmods the container's /dev and /sys/fs/cgroup as it starts it
	ctr_create box -- sleep 3600
	ctr_start box
	ctr_exec box sh -c 'echo x >/dev/shm/tool; chmod +x /dev/shm/tool; mkdir /dev/shm/dir; chmod 755 /dev/shm/dir'
	load_stop
	assert_equal "$LOAD_RC" 0
	# the one alert: the file given an execute bit, by chmod, in the
	# container. Alerts are counted of this container and of runc's
	# work on this file's root file system (before runc names the
	# container): d4c-load sees every container on the node, and under
	# make -j2 another test file starts its own beside this one.
	run events ".event.kind == \"alert\" and (.container.id == \"$(ctr_id box)\" or
		(.file.path | startswith(\"$CTR_ROOTFS/\")))"
	assert_one_line
	assert_equal "$(jq -r .file.path <<<"$output")" /dev/shm/tool
	assert_equal "$(jq -r .container.id <<<"$output")" "$(ctr_id box)"
	assert_equal "$(jq -r .cloud_defend.hook_point <<<"$output")" tracepoint__syscalls__chmod
	assert_equal "$(jq -c .cloud_defend.matched_selectors <<<"$output")" '["executableChanges"]'
	assert_equal "$(jq -r .process.name <<<"$output")" busybox
	assert_equal "$(jq -r .event.module <<<"$output")" cloud_defend
	assert_equal "$(jq -r .message <<<"$output")" "File modification: /dev/shm/tool (executableChanges)"
	# and the container's processes are logged
	run execs_in box
	[ "${#lines[@]}" -ge 2 ] || fail "expected the container's execs: $output"
}

@test "a container started after d4c-load is known from its cgroup's creation, before its first exec" {
	log_every_exec
	load_start "$T/policy.d4cp"
	ctr_create box -- sh -c 'echo hi; /bin/echo there'
	ctr_start box
	ctr_wait box
	load_stop
	assert_equal "$LOAD_RC" 0
	assert_equal "$(cat "$T/containers/box/out")" 'hi
there'
	# the container's very first process is there: runc's exec of its command.
	# runc may re-execute itself ('runc init') once its child is already in
	# the container's cgroup: that exec is the container's too, and comes
	# first when it happens (about 1 run in 3): it may lead the list
	run exec_args_in box
	assert_output --regexp '^(\["runc","init"\]
)?\["sh","-c","echo hi; /bin/echo there"\]
\["/bin/echo","there"\]$'
}

@test "without --host, host processes give no events while container processes do" {
	log_every_exec
	ctr_create box -- sleep 3600
	ctr_start box
	load_start "$T/policy.d4cp"
	/bin/echo on-the-host >/dev/null
	ctr_exec box /bin/echo in-the-container
	sh -c '/bin/echo also-on-the-host' >/dev/null
	load_stop
	run execs_of /bin/echo in-the-container
	assert_one_line
	assert_equal "$(jq -r .container.id <<<"$output")" "$(ctr_id box)"
	run execs_of /bin/echo on-the-host
	assert_output ""
	run execs_of /bin/echo also-on-the-host
	assert_output ""
	# nothing without a container, whatever else runs on this machine
	run events '.event.action == "exec" and (.container.id | type) != "string"'
	assert_output ""
}

@test "a container in a cgroup named like CRI-O's conmon is still subject to the policy" {
	# Naming a cgroup is all it takes to look like a runtime's helper:
	# the selectors that apply to every container apply to it.
	log_every_exec
	ctr_create box --cgroup-leaf 'crio-conmon-@ID@.scope' -- sleep 3600
	ctr_start box
	load_start "$T/policy.d4cp"
	ctr_exec box /bin/echo in-a-conmon-named-cgroup
	load_stop
	run execs_of /bin/echo in-a-conmon-named-cgroup
	assert_one_line
	# not named as a container: the name says it is not one
	assert_equal "$(jq -r '.container.id // "none"' <<<"$output")" none
}

@test "a cgroup named like conmon below a container's is that container's" {
	local cg
	log_every_exec
	ctr_create box -- sleep 3600
	ctr_start box
	cg=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)$(ctr_cgroup box)
	cg=$cg/crio-conmon-$(ctr_random_id).scope
	mkdir "$cg"
	load_start "$T/policy.d4cp"
	sh -c "echo \$\$ >'$cg/cgroup.procs' && exec /bin/echo below-the-container" >/dev/null
	load_stop
	rmdir "$cg"
	run execs_of /bin/echo below-the-container
	assert_one_line
	assert_equal "$(jq -r .container.id <<<"$output")" "$(ctr_id box)"
}

@test "containerImageName matches only the processes of containers of that image" {
	nginx_exec_policy
	ctr_create web --image docker.io/library/nginx:1.25 -- sleep 3600
	ctr_create cache --image docker.io/library/redis:7.2 -- sleep 3600
	ctr_start web
	ctr_start cache
	load_start "$T/policy.d4cp"
	ctr_exec web /bin/echo marker
	ctr_exec cache /bin/echo marker
	load_stop
	run exec_args_in web
	assert_output '["/bin/echo","marker"]'
	assert_equal "$(execs_in web | jq -c .cloud_defend.matched_selectors)" '["nginxExecs"]'
	run exec_args_in cache
	assert_output ""
	run execs_of /bin/echo marker
	assert_one_line
}

@test "kubernetesNamespace and kubernetesPodName, with a trailing '*'" {
	compile_policy <<-'YAML'
	process:
	  selectors:
	    - name: prodNamespaces
	      operation: [exec]
	      kubernetesNamespace: ['prod-*']
	    - name: backendPods
	      operation: [exec]
	      kubernetesPodName: ['backend-*']
	    - name: theCheckoutPod
	      operation: [exec]
	      kubernetesPodName: [checkout]
	  responses:
	    - match: [prodNamespaces, backendPods, theCheckoutPod]
	      actions: [log]
	YAML
	ctr_create api --namespace prod-eu --pod backend-7d4f9 -- sleep 3600
	ctr_create stage --namespace staging --pod backend-5c6b1 -- sleep 3600
	ctr_create shop --namespace prod-us --pod checkout -- sleep 3600
	ctr_create other --namespace production --pod frontend-1 -- sleep 3600
	for c in api stage shop other; do ctr_start $c; done
	load_start "$T/policy.d4cp"
	for c in api stage shop other; do ctr_exec $c /bin/echo marker; done
	load_stop
	assert_equal "$(execs_in api | jq -c .cloud_defend.matched_selectors)" '["prodNamespaces","backendPods"]'
	assert_equal "$(execs_in stage | jq -c .cloud_defend.matched_selectors)" '["backendPods"]'
	assert_equal "$(execs_in shop | jq -c .cloud_defend.matched_selectors)" '["prodNamespaces","theCheckoutPod"]'
	# "production" is not "prod-" followed by anything
	run execs_in other
	assert_output ""
}

@test "a container started after d4c-load gets its image conditions once runc has written its state" {
	nginx_exec_policy
	load_start "$T/policy.d4cp"
	ctr_create web --image docker.io/library/nginx:1.25 -- sleep 3600
	ctr_create cache --image docker.io/library/redis:7.2 -- sleep 3600
	ctr_start web
	ctr_start cache
	# runc makes the cgroup first and writes /run/runc/<id>/state.json (the
	# way to the bundle's annotations) afterwards: d4c-load may learn the
	# image a moment after the cgroup, so give it up to 3 s
	i=0 deadline=$(($(date +%s%N) + 3000000000))
	# (the markers' execs: the container's own 'sleep 30' may already have
	# been seen with its image, and then no marker would run)
	while [ -z "$(execs_in web | grep -F web-marker-)" ] && [ "$(date +%s%N)" -lt "$deadline" ]; do
		i=$((i + 1))
		ctr_exec web /bin/echo web-marker-$i
		ctr_exec cache /bin/echo cache-marker-$i
	done
	load_stop
	run exec_args_in web
	assert_line "[\"/bin/echo\",\"web-marker-$i\"]"
	run exec_args_in cache
	assert_output ""
}
