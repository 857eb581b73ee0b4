#!/usr/bin/env bats
# contrib/kubernetes/d4c.yaml: the DaemonSet and what it needs. There is no
# cluster here and no Kubernetes schema validator (kubeconform, kubectl
# --dry-run=server): the manifest is parsed with PyYAML (YAML 1.1, as
# kubectl's sigs.k8s.io/yaml reads it) and its structure asserted; the
# policy it carries is checked by d4c-policy; the capability set it grants
# is given to a real d4c-load, here and in the BPF LSM guest.

load helpers

bats_require_minimum_version 1.5.0

PY=/usr/bin/python3
MANIFEST=contrib/kubernetes/d4c.yaml

setup() {
	common_setup
	$PY -c 'import yaml' 2>/dev/null || skip "/usr/bin/python3 lacks yaml (apt-get install python3-yaml)"
}

# Runs Python code $1 with the manifest's documents in `docs`, `by_kind`
# (kind -> list), `ds` (the DaemonSet), `pod` (its pod spec) and `ctr` (its
# one container). Extra arguments are in sys.argv[2:].
manifest_py() {
	local code=$1
	shift
	$PY - "$top_srcdir/$MANIFEST" "$@" <<PY
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d is not None]
by_kind = {}
for d in docs:
    by_kind.setdefault(d["kind"], []).append(d)
ds = by_kind["DaemonSet"][0]
pod = ds["spec"]["template"]["spec"]
(ctr,) = pod["containers"]
$code
PY
}

@test "the manifest has exactly the objects d4c needs, all in namespace d4c" {
	run manifest_py '
kinds = sorted(d["kind"] for d in docs)
assert kinds == ["ClusterRole", "ClusterRoleBinding", "ConfigMap", "DaemonSet", "Namespace",
                 "ResourceQuota", "ServiceAccount"], kinds
for d in docs:
    assert d["apiVersion"] and d["metadata"]["name"], d
    if d["kind"] not in ("Namespace", "ClusterRole", "ClusterRoleBinding"):
        assert d["metadata"]["namespace"] == "d4c", d["metadata"]
ns = by_kind["Namespace"][0]
assert ns["metadata"]["name"] == "d4c"
assert ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "privileged"
print("ok")'
	assert_success
	assert_output ok
}

@test "RBAC: exactly get on nodes/pods and nodes, get/list/watch on pods, get on the kube-system namespace" {
	run manifest_py '
(role,) = by_kind["ClusterRole"]
rules = sorted((tuple(r["apiGroups"]), tuple(r["resources"]), tuple(sorted(r["verbs"])),
                tuple(r.get("resourceNames", []))) for r in role["rules"])
want = sorted([(("",), ("nodes/pods",), ("get",), ()),
               (("",), ("pods",), ("get", "list", "watch"), ()),
               (("",), ("namespaces",), ("get",), ("kube-system",)),
               (("",), ("nodes",), ("get",), ())])
assert rules == want, rules
# Never nodes/proxy (exec into every container), secrets or wildcards.
flat = str(role["rules"])
assert "nodes/proxy" not in flat and "secrets" not in flat and "*" not in flat
(b,) = by_kind["ClusterRoleBinding"]
assert b["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                        "name": role["metadata"]["name"]}
assert b["subjects"] == [{"kind": "ServiceAccount", "name": "d4c", "namespace": "d4c"}]
assert pod["serviceAccountName"] == "d4c"
assert by_kind["ServiceAccount"][0]["metadata"]["name"] == "d4c"
print("ok")'
	assert_success
	assert_output ok
}

@test "the DaemonSet runs on every node with the host's PIDs, at node-critical priority" {
	run manifest_py '
assert ds["spec"]["selector"]["matchLabels"].items() <= ds["spec"]["template"]["metadata"]["labels"].items()
assert pod["hostPID"] is True
assert pod["hostNetwork"] is True and pod["dnsPolicy"] == "ClusterFirstWithHostNet"
assert pod["tolerations"] == [{"operator": "Exists"}]
assert pod["priorityClassName"] == "system-node-critical"
q = by_kind["ResourceQuota"][0]["spec"]["scopeSelector"]["matchExpressions"][0]
assert q["scopeName"] == "PriorityClass" and q["values"] == ["system-node-critical"]
assert pod["terminationGracePeriodSeconds"] >= 30
assert "hostIPC" not in pod
print("ok")'
	assert_success
	assert_output ok
}

@test "the container is not privileged and has exactly BPF, PERFMON, SYS_ADMIN, SYS_RESOURCE, SYS_PTRACE" {
	run manifest_py '
sc = ctr["securityContext"]
assert sc["privileged"] is False
assert sc["allowPrivilegeEscalation"] is False
assert sc["readOnlyRootFilesystem"] is True
assert sc["capabilities"]["drop"] == ["ALL"]
assert sorted(sc["capabilities"]["add"]) == ["BPF", "PERFMON", "SYS_ADMIN", "SYS_PTRACE", "SYS_RESOURCE"], sc
assert sc["seccompProfile"] == {"type": "RuntimeDefault"}
assert "securityContext" not in pod or "privileged" not in pod["securityContext"]
print("ok")'
	assert_success
	assert_output ok
}

@test "mounts: every host path d4c reads, read-only but the spool, bpffs and the run directory" {
	run manifest_py '
vols = {v["name"]: v for v in pod["volumes"]}
mounts = {m["name"]: m for m in ctr["volumeMounts"]}
assert set(vols) == set(mounts), (set(vols) ^ set(mounts))
host = {}
for name, v in vols.items():
    if "hostPath" in v:
        m = mounts[name]
        host[v["hostPath"]["path"]] = (m["mountPath"], bool(m.get("readOnly")), v["hostPath"].get("type", ""))
want = {
    "/sys/kernel/security": ("/sys/kernel/security", True, "Directory"),
    "/sys/fs/bpf": ("/sys/fs/bpf", False, "Directory"),
    "/sys/fs/cgroup": ("/sys/fs/cgroup", True, "Directory"),
    "/run/containerd": ("/run/containerd", True, ""),
    "/run/containers/storage": ("/run/containers/storage", True, ""),
    "/run/runc": ("/run/runc", True, ""),
    "/var/lib/docker/containers": ("/var/lib/docker/containers", True, ""),
    "/var/lib/containers/storage/overlay-containers":
        ("/var/lib/containers/storage/overlay-containers", True, ""),
    "/etc/machine-id": ("/etc/machine-id", True, "File"),
    "/etc/os-release": ("/etc/os-release", True, "File"),
    "/var/lib/d4c/spool": ("/var/lib/d4c/spool", False, "DirectoryOrCreate"),
}
assert host == want, {k: (host.get(k), want.get(k)) for k in set(host) | set(want) if host.get(k) != want.get(k)}
# Not the host root, /proc (hostPID gives the host processes), /dev or the
# runtimes'"'"' sockets.
for p in host:
    assert p not in ("/", "/proc", "/dev", "/var/run", "/run") and not p.endswith(".sock"), p
assert vols["run"]["emptyDir"]["medium"] == "Memory"
assert mounts["run"]["mountPath"] == "/run/d4c" and not mounts["run"].get("readOnly")
print("ok")'
	assert_success
	assert_output ok
}

@test "resources: requests and limits for CPU and memory, requests within limits" {
	run manifest_py '
def qty(s):
    s = str(s)
    for suf, mul in (("Ki", 2**10), ("Mi", 2**20), ("Gi", 2**30), ("m", 1e-3)):
        if s.endswith(suf):
            return float(s[:-len(suf)]) * mul
    return float(s)
r = ctr["resources"]
for k in ("cpu", "memory"):
    assert qty(r["requests"][k]) <= qty(r["limits"][k]), (k, r)
# The ring buffer alone is 16 MiB of the memory cgroup.
assert qty(r["limits"]["memory"]) >= 256 * 2**20
print("ok")'
	assert_success
	assert_output ok
}

@test "Elasticsearch credentials come from the Secret as a file, never from the manifest" {
	run manifest_py '
env = {e["name"]: e for e in ctr["env"]}
vols = {v["name"]: v for v in pod["volumes"]}
mounts = {m["name"]: m for m in ctr["volumeMounts"]}
(secret,) = [n for n, v in vols.items() if "secret" in v]
assert vols[secret]["secret"]["secretName"] == "d4c-elasticsearch"
assert vols[secret]["secret"]["defaultMode"] == 0o400
assert mounts[secret]["readOnly"] is True
assert env["D4C_ES_CREDENTIALS"]["value"].startswith(mounts[secret]["mountPath"] + "/")
url = env["D4C_ES_URL"]["value"]
assert url.startswith("https://") and "@" not in url, url
assert "Secret" not in by_kind
for e in ctr["env"]:
    assert "secretKeyRef" not in e.get("valueFrom", {}), e
    assert not any(w in e["name"] for w in ("PASSWORD", "TOKEN", "API_KEY")), e
print("ok")'
	assert_success
	assert_output ok
}

@test "the pipeline's settings: the policy from the ConfigMap, the kubelet at the node's address" {
	run manifest_py '
env = [e["name"] for e in ctr["env"]]
val = {e["name"]: e.get("value") for e in ctr["env"]}
ref = {e["name"]: e.get("valueFrom", {}).get("fieldRef", {}).get("fieldPath") for e in ctr["env"]}
assert ref["NODE_NAME"] == "spec.nodeName" and ref["NODE_IP"] == "status.hostIP"
assert "--kubelet https://$(NODE_IP):10250" in val["D4C_ENRICH_OPTS"]
# $(VAR) is expanded only from variables defined earlier in the list.
assert env.index("NODE_IP") < env.index("D4C_ENRICH_OPTS")
mounts = {m["name"]: m["mountPath"] for m in ctr["volumeMounts"]}
vols = {v["name"]: v for v in pod["volumes"]}
(cm,) = [n for n, v in vols.items() if "configMap" in v]
assert vols[cm]["configMap"]["name"] == by_kind["ConfigMap"][0]["metadata"]["name"]
assert val["D4C_POLICY"] == mounts[cm] + "/policy.yaml", val["D4C_POLICY"]
assert val["D4C_SPOOL"] == mounts["spool"] and val["D4C_RUN_DIR"] == mounts["run"]
assert ctr["command"] == ["/usr/libexec/d4c/d4c-pipeline"]
print("ok")'
	assert_success
	assert_output ok
}

@test "d4c-load pins its programs in /sys/fs/bpf/d4c: killing the pod does not end blocking" {
	run manifest_py '
val = {e["name"]: e.get("value") for e in ctr["env"]}
mounts = {m["name"]: m for m in ctr["volumeMounts"]}
assert val["D4C_PIN_DIR"] == "/sys/fs/bpf/d4c", val.get("D4C_PIN_DIR")
assert mounts["bpffs"]["mountPath"] == "/sys/fs/bpf" and not mounts["bpffs"].get("readOnly")
assert "--pin" not in val["D4C_LOAD_OPTS"] # not twice
print("ok")'
	assert_success
	assert_output ok
}

@test "the command is where make install puts d4c-pipeline for --prefix=/usr" {
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$top_builddir" install-pkglibexecSCRIPTS DESTDIR="$T/inst" prefix=/usr >/dev/null
	cmd=$(manifest_py 'print(ctr["command"][0])')
	[ -x "$T/inst$cmd" ] || fail "make install puts no $cmd: $(cd "$T/inst" && find . -type f)"
}

@test "the ConfigMap's policy is the default policy and passes d4c-policy check --strict" {
	manifest_py 'sys.stdout.write(by_kind["ConfigMap"][0]["data"]["policy.yaml"])' >"$T/policy.yaml"
	run d4c-policy check --strict "$T/policy.yaml"
	assert_success
	assert_output ""
	# The same text as share/policies/default.yaml, less its editor modeline.
	grep -v '^# yaml-language-server:' "$top_srcdir/share/policies/default.yaml" >"$T/default.yaml"
	diff -u "$T/default.yaml" "$T/policy.yaml"
}

@test "d4c-load works with exactly the container's capabilities (observing, on this machine)" {
	require_bpf
	caps=$(manifest_py 'print(" ".join(ctr["securityContext"]["capabilities"]["add"]))')
	run "$top_srcdir/t/contrib-caps.sh" observe $caps
	assert_success
	assert_line "the exec is in its events"
	# Not vacuous: without PERFMON (nor SYS_ADMIN, which implies it) it cannot load.
	run "$top_srcdir/t/contrib-caps.sh" observe $(tr ' ' '\n' <<<"$caps" | grep -vx -e PERFMON -e SYS_ADMIN)
	assert_failure 1
	assert_output --partial "did not come up"
}

@test "d4c-load blocks with exactly the container's capabilities under BPF LSM (guest)" {
	caps=$(manifest_py 'print(" ".join(ctr["securityContext"]["capabilities"]["add"]))')
	run "$top_srcdir/t/vm/run" "$top_srcdir/t/contrib-caps.sh" enforce $caps
	[ "$status" -ne 125 ] || fail "the BPF LSM guest did not run: $output"
	assert_success
	assert_line --partial "exec blocked:"
}
