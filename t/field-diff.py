#!/usr/bin/python3
"""field-diff.py - the fields of d4c's templates against those of Elastic's
cloud_defend integration, per data stream.

    t/field-diff.py INTEGRATION [TEMPLATES]

INTEGRATION is a checkout of the integration package (the directory
holding data_stream/, e.g. elastic/integrations' packages/cloud_defend);
TEMPLATES is d4c's share/templates (default: beside this script). For each
data stream it reads the integration's data_stream/NAME/fields/*.yml, plus
the base fields every package has (@timestamp, data_stream.*), and the
mappings of d4c's component template NAME.json, and prints how many fields
each has, how many both have with the same type, and lists those whose type
differs and those only the integration has. Fields only d4c maps are
counted, not listed: the integration's process and file streams leave
ECS fields to ecs@mappings (dynamic), so these are mostly expected.

Standard library only: the YAML read is the subset fields files use (lists
of name/type entries, nested under `fields:`). Exit status 0, 2 on bad
arguments or unreadable files.
"""
import glob
import json
import os
import re
import sys

STREAMS = [('process', 'logs-cloud_defend.process'), ('file', 'logs-cloud_defend.file'),
           ('alerts', 'logs-cloud_defend.alerts'), ('metrics', 'metrics-cloud_defend.metrics'),
           ('heartbeat', 'metrics-cloud_defend.heartbeat')]

# What package-spec's base-fields.yml declares for every data stream.
BASE = {'@timestamp': 'date', 'data_stream.type': 'constant_keyword',
        'data_stream.dataset': 'constant_keyword', 'data_stream.namespace': 'constant_keyword'}


def read_fields(path):
    """{dotted name: type} of a fields.yml: entries '- name:' with 'type:',
    'fields:' nesting by indentation under a group."""
    out = {}
    stack = []  # (indent of the entry's '-', name)
    cur = None
    with open(path) as f:
        for raw in f:
            line = raw.split('#', 1)[0].rstrip()
            if not line.strip():
                continue
            m = re.match(r'^(\s*)- name:\s*(\S+)\s*$', line)
            if m:
                ind = len(m.group(1))
                while stack and stack[-1][0] >= ind:
                    stack.pop()
                name = '.'.join([s[1] for s in stack] + [m.group(2).strip('"\'')])
                cur = [ind, name, None]
                stack.append((ind, m.group(2).strip('"\'')))
                out[name] = 'group?'
                continue
            m = re.match(r'^\s*type:\s*(\S+)\s*$', line)
            if m and cur:
                out[cur[1]] = m.group(1).strip('"\'')
    # groups are containers, not fields
    return {k: v for k, v in out.items() if v not in ('group', 'group?')}


def flatten(props, prefix=''):
    out = {}
    for k, v in props.items():
        name = prefix + k
        if isinstance(v.get('properties'), dict):
            out.update(flatten(v['properties'], name + '.'))
        else:
            out[name] = v.get('type', 'object')
    return out


def main():
    if len(sys.argv) not in (2, 3):
        sys.stderr.write('usage: field-diff.py INTEGRATION [TEMPLATES]\n')
        return 2
    integ = sys.argv[1]
    tdir = sys.argv[2] if len(sys.argv) == 3 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), '..', 'share', 'templates')
    if not os.path.isdir(os.path.join(integ, 'data_stream')):
        sys.stderr.write("field-diff.py: '%s' has no data_stream directory\n" % integ)
        return 2
    totals = [0, 0, 0, 0, 0]
    for ds, name in STREAMS:
        theirs = dict(BASE)
        files = sorted(glob.glob(os.path.join(integ, 'data_stream', ds, 'fields', '*.yml')))
        for path in files:
            theirs.update(read_fields(path))
        path = os.path.join(tdir, name + '.json')
        try:
            with open(path) as f:
                t = json.load(f)
        except FileNotFoundError:
            t = {'template': {'mappings': {'properties': {}}}}  # d4c has none
        except (OSError, ValueError) as e:
            sys.stderr.write("field-diff.py: '%s': %s\n" % (path, e))
            return 2
        ours = flatten(t['template']['mappings']['properties'])
        both = sorted(set(theirs) & set(ours))
        differ = [f for f in both if theirs[f] != ours[f]]
        only_theirs = sorted(set(theirs) - set(ours))
        only_ours = sorted(set(ours) - set(theirs))
        print('%s: integration %d fields (%d files), d4c %d; both %d (same type %d, type '
              'differs %d); only in the integration %d; only in d4c %d'
              % (name, len(theirs), len(files), len(ours), len(both), len(both) - len(differ),
                 len(differ), len(only_theirs), len(only_ours)))
        for f in differ:
            print('  type differs: %s: integration %s, d4c %s' % (f, theirs[f], ours[f]))
        for f in only_theirs:
            print('  only in the integration: %s (%s)' % (f, theirs[f]))
        for i, n in enumerate((len(theirs), len(ours), len(both) - len(differ), len(differ),
                               len(only_theirs))):
            totals[i] += n
    print('total: integration %d, d4c %d, same type %d, type differs %d, only in the '
          'integration %d' % tuple(totals))
    return 0


if __name__ == '__main__':
    sys.exit(main())
