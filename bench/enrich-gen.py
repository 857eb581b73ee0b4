#!/usr/bin/python3
"""Makes the input of bench/enrich-bench.sh: N events shaped like the real
d4c-load lines of SAMPLE (recorded on a node: exec, fork and end of
processes in a runc container), spread over C containers of a made-up
Kubernetes node whose state files it writes below ROOT, so that
`d4c-enrich --root ROOT` can give every event its full context.

    enrich-gen.py SAMPLE N C ROOT OUT.ndjson CONTEXT.json

Per container: an init process (entry, session and group leader of the
container) whose parent is a containerd shim, whose parent is pid 1 (each
seen once in the stream before anything refers to it), and 16 worker
slots, children of the init, that exec, fork and end over and over, a
worker's pid being reused now and then by a new process (new start, new
entity id). Timestamps advance 1 us per event.

CONTEXT.json is the same context as one JSON document (containers by id,
processes by pid, the host), for the jq version of the transform.
"""
import json
import os
import random
import sys

BOOT = "7669b05682c1471dac6fb0f7c9cb9586"
T0 = 1764072000 * 10**9  # 2025-11-25T12:00:00Z
IMAGES = ["docker.io/library/nginx:1.25", "docker.io/library/redis:7.2",
          "quay.io/prometheus/node-exporter:v1.7.0", "registry.k8s.io/pause:3.9",
          "ghcr.io/example/api:2.4.1@sha256:" + "0d17b565c37bcbd895e9d92315a05c1c3c9a29f762b011a10c54a66cd53c9b31"]


def rfc3339(ns):
    import time
    s, n = divmod(ns, 10**9)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(s)) + ".%09dZ" % n


def template(line):
    """The recorded event with its varying values as placeholders, cut
    into the parts to join with them."""
    e = json.loads(line)
    p = e["process"]
    e["@timestamp"] = "@@TS@@"
    p["pid"] = "@@PID@@"
    p["start"] = "@@START@@"
    p["entity_id"] = "@@EID@@"
    if "end" in p:
        p["end"] = "@@TS@@"
    p["thread"]["id"] = "@@PID@@"
    p["parent"] = {"pid": "@@PPID@@", "start": "@@PSTART@@", "entity_id": "@@PEID@@"}
    p["group_leader"] = {"pid": "@@LPID@@", "same_as_process": "@@LSAME@@"}
    p["session_leader"] = {"pid": "@@LPID@@", "same_as_process": "@@LSAME@@"}
    p["entry_leader"] = {"pid": "@@LPID@@", "start": "@@LSTART@@", "entity_id": "@@LEID@@",
                         "same_as_process": "@@LSAME@@", "entry_meta": {"type": "container"}}
    e["container"] = {"id": "@@CID@@"}
    s = json.dumps(e, separators=(",", ":"))
    for k in ("PID", "PPID", "LPID", "LSAME"):
        s = s.replace('"@@%s@@"' % k, "@@%s@@" % k)
    parts, keys = [], []
    while "@@" in s:
        a = s.index("@@")
        b = s.index("@@", a + 2)
        parts.append(s[:a])
        keys.append(s[a + 2:b])
        s = s[b + 2:]
    parts.append(s)
    return e["event"]["action"], parts, keys


def render(tpl, v):
    parts, keys = tpl
    out = [parts[0]]
    for i, k in enumerate(keys):
        out.append(v[k])
        out.append(parts[i + 1])
    return "".join(out)


def main():
    sample, n, c, root, out_path, ctx_path = sys.argv[1:7]
    n, c = int(n), int(c)
    rnd = random.Random(4)
    tpls = {}
    with open(sample) as f:
        for line in f:
            if line.strip():
                action, parts, keys = template(line)
                tpls.setdefault(action, []).append((parts, keys))
    host_line = tpls["exec"][0]

    ctx = {"containers": {}, "procs": {}}
    procs = {}  # pid -> (start_ns, name)

    def proc(pid, start, name, exe, args):
        procs[pid] = start
        ctx["procs"][str(pid)] = {"pid": pid, "name": name, "executable": exe, "args": args,
                                  "args_count": len(args), "entity_id": "%s-%d-%d" % (BOOT, pid, start),
                                  "start": rfc3339(T0 - 10**12 + start), "interactive": False,
                                  "user": {"id": "0"}, "group": {"id": "0"}, "working_directory": "/"}

    def values(ts, pid, ppid, lpid, cid):
        return {"TS": rfc3339(ts), "PID": str(pid), "START": rfc3339(T0 - 10**12 + procs[pid]),
                "EID": "%s-%d-%d" % (BOOT, pid, procs[pid]), "PPID": str(ppid),
                "PSTART": rfc3339(T0 - 10**12 + procs[ppid]),
                "PEID": "%s-%d-%d" % (BOOT, ppid, procs[ppid]), "LPID": str(lpid),
                "LSAME": "true" if lpid == pid else "false",
                "LSTART": rfc3339(T0 - 10**12 + procs[lpid]),
                "LEID": "%s-%d-%d" % (BOOT, lpid, procs[lpid]), "CID": cid}

    out = open(out_path, "w")
    written = 0
    ts = T0
    # pid 1 and the shims: host processes, no container
    proc(1, 10**8, "systemd", "/usr/lib/systemd/systemd", ["/sbin/init"])
    procs[0] = 0
    containers = []
    for k in range(c):
        cid = "%064x" % rnd.getrandbits(256)
        uid = "%08x-%04x-4%03x-a%03x-%012x" % (rnd.getrandbits(32), rnd.getrandbits(16), k,
                                                 rnd.getrandbits(12), rnd.getrandbits(48))
        image = IMAGES[k % len(IMAGES)]
        name = "app%d" % k
        d = os.path.join(root, "run/containerd/io.containerd.runtime.v2.task/k8s.io", cid)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "config.json"), "w") as f:
            json.dump({"ociVersion": "1.1.0", "process": {"args": ["sh"]}, "annotations": {
                "io.kubernetes.cri.container-type": "container",
                "io.kubernetes.cri.container-name": name,
                "io.kubernetes.cri.image-name": image,
                "io.kubernetes.cri.sandbox-name": name + "-7d4f9",
                "io.kubernetes.cri.sandbox-namespace": "ns%d" % (k % 7),
                "io.kubernetes.cri.sandbox-uid": uid}}, f)
        ctx["containers"][cid] = {
            "container": {"id": cid, "name": name, "runtime": "containerd",
                          "image": {"name": image.split("@")[0].rsplit("/", 1)[-1].split(":")[0],
                                    "tag": image.split("@")[0].rsplit(":", 1)[-1]},
                          "security_context": {"privileged": False}},
            "orchestrator": {"type": "kubernetes", "namespace": "ns%d" % (k % 7),
                             "resource": {"type": "pod", "name": name + "-7d4f9", "id": uid}}}
        shim, init = 100000 + 100 * k, 100001 + 100 * k
        proc(shim, 2 * 10**8 + k, "containerd-shim", "/usr/bin/containerd-shim-runc-v2",
             ["/usr/bin/containerd-shim-runc-v2", "-namespace", "k8s.io", "-id", cid])
        proc(init, 3 * 10**8 + k, "sh", "/bin/sh", ["sh", "-c", "exec app"])
        containers.append((cid, shim, init, [None] * 16))
    # every ancestor appears once before it is referred to
    for pid, ppid in [(1, 0)] + [(s, 1) for _, s, _, _ in containers]:
        e = json.loads(render(host_line, values(ts, pid, ppid, pid, "")))
        del e["container"]
        del e["process"]["entry_leader"]
        if ppid == 0:
            e["process"]["parent"] = {"pid": 0}
        out.write(json.dumps(e, separators=(",", ":")) + "\n")
        written += 1
        ts += 1000
    for cid, shim, init, _ in containers:
        out.write(render(tpls["exec"][0], values(ts, init, shim, init, cid)) + "\n")
        written += 1
        ts += 1000
    next_start = 10**9
    actions = ["exec", "fork", "end"]
    while written < n:
        for cid, shim, init, slots in containers:
            if written >= n:
                break
            j = rnd.randrange(16)
            pid = init + 1 + j
            if slots[j] is None or rnd.random() < 0.005:
                # a new process in the slot (the pid is reused): fork, then exec
                next_start += 1000
                proc(pid, next_start, "worker", "/usr/bin/worker", ["worker", str(j)])
                slots[j] = next_start
                out.write(render(rnd.choice(tpls["fork"]), values(ts, pid, init, init, cid)) + "\n")
                written += 1
                ts += 1000
                continue
            tl = tpls[rnd.choice(actions)]
            out.write(render(rnd.choice(tl), values(ts, pid, init, init, cid)) + "\n")
            written += 1
            ts += 1000
    out.close()
    ctx["host"] = {"name": "node-1", "hostname": "node-1", "id": "3d1219c7c4c5404aaa1f6d2a48adfda4",
                   "boot": {"id": "7669b056-82c1-471d-ac6f-b0f7c9cb9586"}, "architecture": "x86_64",
                   "ip": ["192.0.2.2", "fd00::2"], "mac": ["8E-95-6B-68-FD-7A"], "pid_ns_ino": 4026531836,
                   "os": {"type": "linux", "name": "Debian GNU/Linux", "family": "debian",
                          "platform": "debian", "version": "12",
                          "full": "Debian GNU/Linux 12 (bookworm)", "kernel": os.uname().release}}
    ctx["agent_id"] = "3d1219c7c4c5404aaa1f6d2a48adfda4"
    with open(ctx_path, "w") as f:
        json.dump(ctx, f)


if __name__ == "__main__":
    main()
