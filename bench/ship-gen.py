#!/usr/bin/python3
"""ship-gen.py - write N NDJSON events shaped like d4c-load's (about 1 KB each).

    /usr/bin/python3 bench/ship-gen.py N [SEED] > events.ndjson

Every line is distinct (its sequence number is in process.pid, @timestamp
and process.entity_id), so each must become exactly one document. One in
ten is a file event, one in fifty an alert, the rest process events.
"""
import sys

n = int(sys.argv[1])
seed = int(sys.argv[2]) if len(sys.argv) > 2 else 0
out = sys.stdout
base = ('"ecs":{"version":"8.11.0"},"agent":{"type":"d4c","version":"0.1.0"},'
        '"host":{"name":"node-1","hostname":"node-1","id":"6a0c2c1a0b7f4e0f9d3c0f5b2a1e9c77",'
        '"architecture":"x86_64","os":{"type":"linux","kernel":"6.1.0-18-amd64"}},'
        '"container":{"id":"3f4e5d6c7b8a9f0e1d2c3b4a5f6e7d8c9b0a1f2e3d4c5b6a7f8e9d0c1b2a3f4e",'
        '"name":"web-0","runtime":"containerd","image":{"name":"docker.io/library/nginx","tag":"1.25"}},'
        '"orchestrator":{"type":"kubernetes","namespace":"default","resource":{"type":"pod","name":"web-0"}}')
buf = []
for i in range(n):
    k = seed * 1000000000 + i
    sec, ns = 1764072000 + k // 1000, (k % 1000) * 1000000 + 123
    ts = '2025-11-25T%02d:%02d:%02d.%09dZ' % ((sec // 3600) % 24, (sec // 60) % 60, sec % 60, ns)
    proc = ('"process":{"pid":%d,"name":"nginx","executable":"/usr/sbin/nginx",'
            '"args":["nginx","-g","daemon off;"],"args_count":3,"working_directory":"/",'
            '"entity_id":"ZDRjLW5vZGUtMS0%d","interactive":false,"user":{"id":"0"},"group":{"id":"0"},'
            '"parent":{"pid":1,"name":"containerd-shim","entity_id":"cGFyZW50LTE"}}' % (k % 4194304, k))
    if i % 50 == 49:
        ev = ('{"@timestamp":"%s",%s,"event":{"kind":"alert","dataset":"cloud_defend.alerts",'
              '"category":["process"],"action":"exec","type":["start"],"outcome":"success"},%s,'
              '"cloud_defend":{"matched_selectors":["shells"],"hook_point":"tracepoint__sched_process_exec",'
              '"package_policy_id":"e3b0c44298fc1c14","package_policy_revision":3}}') % (ts, base, proc)
    elif i % 10 == 9:
        ev = ('{"@timestamp":"%s",%s,"event":{"kind":"event","dataset":"cloud_defend.file",'
              '"category":["file"],"action":"modification","type":["change"],"outcome":"success"},%s,'
              '"file":{"path":"/etc/nginx/conf.d/default.conf","name":"default.conf","extension":"conf"},'
              '"cloud_defend":{"matched_selectors":["etc"],"hook_point":"lsm__file_open",'
              '"package_policy_id":"e3b0c44298fc1c14","package_policy_revision":3}}') % (ts, base, proc)
    else:
        ev = ('{"@timestamp":"%s",%s,"event":{"kind":"event","dataset":"cloud_defend.process",'
              '"category":["process"],"action":"exec","type":["start"],"outcome":"success"},%s,'
              '"cloud_defend":{"matched_selectors":["all"],"hook_point":"tracepoint__sched_process_exec",'
              '"package_policy_id":"e3b0c44298fc1c14","package_policy_revision":3}}') % (ts, base, proc)
    buf.append(ev)
    if len(buf) >= 10000:
        out.write('\n'.join(buf) + '\n')
        buf = []
if buf:
    out.write('\n'.join(buf) + '\n')
