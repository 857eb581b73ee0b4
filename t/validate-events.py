#!/usr/bin/python3
# Checks NDJSON event records (files, or stdin) against
# share/schema/event.schema.json: each line one JSON object, no duplicate
# keys at any depth, and the schema's types. Prints every problem as
# FILE:LINE: message and exits 1 when there is one; prints
# "N records valid" and exits 0 otherwise. Used by the tests in t/.
import json
import os
import sys

import jsonschema

HERE = os.path.dirname(os.path.abspath(__file__))
SCHEMA = os.path.join(HERE, "..", "share", "schema", "event.schema.json")


def no_dups(pairs):
    keys = [k for k, _ in pairs]
    dup = {k for k in keys if keys.count(k) > 1}
    if dup:
        raise ValueError("duplicate key(s) %s" % ", ".join(sorted(dup)))
    return dict(pairs)


def main(argv):
    with open(SCHEMA) as f:
        validator = jsonschema.Draft202012Validator(json.load(f))
    files = argv[1:] or ["-"]
    bad = good = 0
    for name in files:
        stream = sys.stdin if name == "-" else open(name)
        for n, line in enumerate(stream, 1):
            try:
                doc = json.loads(line, object_pairs_hook=no_dups)
            except ValueError as e:
                print("%s:%d: not a JSON object: %s" % (name, n, e))
                bad += 1
                continue
            errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
            for e in errors:
                print("%s:%d: %s: %s" % (name, n, "/".join(map(str, e.path)) or "(root)", e.message))
            bad += bool(errors)
            good += not errors
    if bad:
        return 1
    print("%d records valid" % good)
    return 0 if good else 1


sys.exit(main(sys.argv))
