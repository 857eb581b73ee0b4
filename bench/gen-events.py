#!/usr/bin/python3
"""Make N events for bench/run from a few thousand real ones.

    gen-events.py N < RECORDED.ndjson > EVENTS.ndjson

Each recorded d4c-load event is used in turn, with its own @timestamp
replaced by one 1 µs after the previous line's and its process.pid by
another pid, so that a consumer keyed by pid or time sees a stream like a
busy node's rather than the same few thousand lines again. Nothing else
is changed: the lines keep the size the real events have.
"""
import sys
import time

TS = '"@timestamp":"'
PID = '"process":{"pid":'


def template(line):
    """(before timestamp, between timestamp and pid, after pid), or None."""
    a = line.find(TS)
    b = line.find(PID)
    if a < 0 or b < 0 or b < a:
        return None
    a += len(TS)
    a_end = line.index('"', a)
    b += len(PID)
    b_end = b
    while line[b_end].isdigit():
        b_end += 1
    return (line[:a], line[a_end:b], line[b_end:])


def main():
    if len(sys.argv) != 2 or not sys.argv[1].isdigit():
        sys.stderr.write("usage: gen-events.py N < RECORDED > EVENTS\n")
        return 2
    n = int(sys.argv[1])
    tpls = [t for t in (template(l.rstrip("\n")) for l in sys.stdin) if t]
    if not tpls:
        sys.stderr.write("gen-events.py: no event with @timestamp and process.pid on stdin\n")
        return 1
    ns0 = (time.time_ns() - n * 1000) // 1000 * 1000
    out = sys.stdout
    buf = []
    sec_cached, sec_str = None, ""
    for i in range(n):
        ns = ns0 + i * 1000
        sec, frac = divmod(ns, 1000000000)
        if sec != sec_cached:
            sec_cached = sec
            sec_str = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(sec))
        pre, mid, post = tpls[i % len(tpls)]
        pid = 1000 + (i * 7919) % 4000000
        buf.append(f"{pre}{sec_str}.{frac:09d}Z{mid}{pid}{post}\n")
        if len(buf) >= 4096:
            out.write("".join(buf))
            buf.clear()
    out.write("".join(buf))
    return 0


if __name__ == "__main__":
    sys.exit(main())
