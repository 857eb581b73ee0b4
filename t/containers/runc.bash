# Real OCI containers for the tests, as a Kubernetes node would run them:
# runc, a root file system made of busybox-static, a cgroup at
# /kubepods/besteffort/pod<uid>/<64-hex id> and, in the bundle's
# config.json, the annotations containerd's CRI plugin writes.
#
# Loaded by t/container.bats ("load containers/runc" after "load helpers").
# By hand, as root:
#
#   . t/containers/runc.bash
#   T=$(mktemp -d) CTR_ROOTFS=$T/rootfs
#   ctr_rootfs "$CTR_ROOTFS"
#   ctr_create web --image docker.io/library/nginx:1.25 -- sleep 30
#   ctr_start web; runc exec "$(ctr_id web)" ps; ctr_cleanup
#
# Each container NAME lives in $T/containers/NAME: its bundle (config.json),
# its id, its pod's UID, and out/err, the container's stdout and stderr.

# For setup_file: one read-only root file system, shared by every
# container of the test file, in $CTR_ROOTFS.
ctr_setup_file() {
	export CTR_ROOTFS="$BATS_FILE_TMPDIR/rootfs"
	if [ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1; then
		ctr_rootfs "$CTR_ROOTFS"
	fi
}

# Skips the test unless runc and a static busybox are here.
require_runc() {
	command -v runc >/dev/null ||
		skip "runc is not installed (Debian package runc)"
	[ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1 ||
		skip "no static /bin/busybox for the containers' root (Debian package busybox-static)"
}

# Makes DIR a root file system: /bin/busybox and a symbolic link to it for
# every applet (/bin/sh, /bin/echo, /bin/sleep ...), and the mount points
# runc needs. It can be shared: containers mount it read-only.
ctr_rootfs() {
	local dir=$1 applet
	mkdir -p "$dir/bin" "$dir/proc" "$dir/sys" "$dir/dev" "$dir/tmp" "$dir/etc"
	cp /bin/busybox "$dir/bin/busybox"
	for applet in $("$dir/bin/busybox" --list); do
		[ -e "$dir/bin/$applet" ] || ln -s busybox "$dir/bin/$applet"
	done
}

# 64 lower-case hex digits, as containerd names containers.
ctr_random_id() {
	od -An -N32 -tx1 /dev/urandom | tr -d ' \n'
}

# ctr_create NAME [--image REF] [--namespace NS] [--pod POD] [--cgroup-leaf LEAF]
#            [--cgroup PATH] [--id ID] [--annotations JSON] [-- ARGS...]
#
# Writes the bundle of container NAME (root: $CTR_ROOTFS, read-only) with a
# new id (ID: runc's id, as "runc run ID" names it) and pod UID, the cgroup
# /kubepods/besteffort/pod<uid>/<id> (LEAF in place of <id>; PATH in place
# of it all, as another runtime lays its cgroups out; "@ID@" in either is
# the id) and, unless JSON gives the annotations instead,
# containerd's CRI annotations: container name NAME, image REF (default
# docker.io/library/busybox:1.35), pod POD (default NAME-pod) in namespace
# NS (default "default"). ARGS is the command (default: sleep 30). The
# container is not started: see ctr_start.
ctr_create() {
	local name=$1 image=docker.io/library/busybox:1.35 ns=default pod=$1-pod
	local dir="$T/containers/$1" id uid args='[]' a leaf=@ID@ cgroup= ann=
	shift
	while [ $# -gt 0 ]; do
		case $1 in
		--image) image=$2; shift 2 ;;
		--namespace) ns=$2; shift 2 ;;
		--pod) pod=$2; shift 2 ;;
		--cgroup-leaf) leaf=$2; shift 2 ;;
		--cgroup) cgroup=$2; shift 2 ;;
		--id) id=$2; shift 2 ;;
		--annotations) ann=$2; shift 2 ;;
		--) shift; break ;;
		*) echo "ctr_create: unknown option '$1'" >&2; return 2 ;;
		esac
	done
	[ $# -gt 0 ] || set -- sleep 30
	for a; do # (jq 1.6 would take "-c" after --args for its own option)
		args=$(jq -c --arg a "$a" '. + [$a]' <<<"$args")
	done
	[ -n "$id" ] || id=$(ctr_random_id)
	uid=$(cat /proc/sys/kernel/random/uuid)
	[ -n "$cgroup" ] || cgroup="/kubepods/besteffort/pod$uid/$leaf"
	mkdir -p "$dir"
	echo "$id" >"$dir/id"
	echo "$uid" >"$dir/pod-uid"
	echo "${cgroup//@ID@/$id}" >"$dir/cgroup"
	runc spec --bundle "$dir"
	jq --arg root "$CTR_ROOTFS" \
		--arg cgroup "$(cat "$dir/cgroup")" \
		--arg name "$name" --arg image "$image" --arg pod "$pod" --arg ns "$ns" --arg uid "$uid" \
		--arg ann "$ann" --argjson args "$args" '
		.root = { path: $root, readonly: true }
		| .process.terminal = false
		| .process.args = $args
		| .hostname = $name
		| .linux.cgroupsPath = $cgroup
		| .annotations = if $ann != "" then ($ann | fromjson) else {
			"io.kubernetes.cri.container-type": "container",
			"io.kubernetes.cri.container-name": $name,
			"io.kubernetes.cri.image-name": $image,
			"io.kubernetes.cri.sandbox-name": $pod,
			"io.kubernetes.cri.sandbox-namespace": $ns,
			"io.kubernetes.cri.sandbox-uid": $uid
		} end' "$dir/config.json" >"$dir/config.json.new"
	mv "$dir/config.json.new" "$dir/config.json"
}

# The container id (also runc's id, so /run/runc/<id>/state.json exists).
ctr_id() {
	cat "$T/containers/$1/id"
}

# The container's cgroup, relative to each hierarchy's root.
ctr_cgroup() {
	cat "$T/containers/$1/cgroup"
}

# Starts container NAME in the background (runc run -d): returns once its
# command runs. Its output goes to $T/containers/NAME/out and err.
ctr_start() {
	local dir="$T/containers/$1"
	runc run -d --bundle "$dir" "$(ctr_id "$1")" \
		</dev/null >"$dir/out" 2>"$dir/err" || {
		cat "$dir/err" >&2
		return 1
	}
}

# Runs ARGS in the running container NAME (runc exec) and waits for it;
# its output is appended to the container's out and err. When it fails,
# the last lines of err go to stderr too, so that a failed test says why
# (refused by the policy, or a container that is no longer running).
ctr_exec() {
	local dir="$T/containers/$1" name=$1 rc=0
	shift
	runc exec "$(ctr_id "$name")" "$@" </dev/null >>"$dir/out" 2>>"$dir/err" || rc=$?
	[ "$rc" -eq 0 ] || tail -n 3 "$dir/err" >&2
	return "$rc"
}

# Waits (at most 10 s) until the command of container NAME has ended.
ctr_wait() {
	local id
	id=$(ctr_id "$1")
	for _ in $(seq 1 100); do
		[ "$(runc state "$id" 2>/dev/null | jq -r .status)" = stopped ] && return 0
		sleep 0.1
	done
	echo "container $1 ($id) still runs after 10 s" >&2
	return 1
}

# Kills and deletes every container of this test (all at once: each takes
# a while), then the pod cgroups runc leaves behind in each hierarchy.
# Safe to call twice, and after failures.
ctr_cleanup() {
	local dir id uid cg pids=()
	for dir in "$T"/containers/*/; do
		[ -f "$dir/id" ] || continue
		runc delete --force "$(cat "$dir/id")" >/dev/null 2>&1 &
		pids+=($!)
	done
	[ ${#pids[@]} -eq 0 ] || wait "${pids[@]}" || true
	for dir in "$T"/containers/*/; do
		[ -f "$dir/id" ] || continue
		id=$(cat "$dir/id")
		uid=$(cat "$dir/pod-uid")
		# another layout's cgroup and the parents runc made for it
		cg=$(cat "$dir/cgroup")
		while [ "${cg#/kubepods/}" = "$cg" ] && [ -n "$cg" ] && [ "$cg" != / ]; do
			rmdir /sys/fs/cgroup/*/"${cg#/}" 2>/dev/null || true
			cg=${cg%/*}
		done
		for cg in /sys/fs/cgroup/*/kubepods/besteffort/"pod$uid"; do
			[ -d "$cg" ] || continue
			rmdir "$cg/$id" 2>/dev/null || true
			rmdir "$cg" 2>/dev/null || true
		done
		rm -f "$dir/id"
	done
}
