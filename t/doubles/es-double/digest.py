#!/usr/bin/python3
"""digest.py - what the Elasticsearch test double should hold after FILE
is shipped: prints {"count": N, "digest": D}, D the sum of zlib.crc32 of
every distinct event line (not metric records) modulo 2^64, the same
order-independent sum esd.py keeps per index (summed here over the event
streams).  Usage: digest.py FILE"""
import json
import sys
import hashlib
import zlib

seen = set()
total = 0
with open(sys.argv[1], 'rb') as f:
    for line in f:
        line = line.rstrip(b'\n')
        if not line or b'"kind":"metric"' in line or hashlib.sha1(line).digest() in seen:
            continue
        seen.add(hashlib.sha1(line).digest())
        total = (total + zlib.crc32(line)) % (1 << 64)
print(json.dumps({'count': len(seen), 'digest': total}))
