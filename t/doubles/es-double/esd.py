#!/usr/bin/python3
"""esd.py - a TEST DOUBLE of Elasticsearch's _bulk API, for d4c-ship's tests.

It is not Elasticsearch. It implements the part of the contract a shipper
depends on, faithfully, and can be told to misbehave:

  POST /_bulk, POST /<index>/_bulk
      NDJSON action and source lines (body must end with a newline),
      Content-Encoding: gzip, the actions index/create/update/delete;
      data streams (logs-*-*, metrics-*-*) take only `create` and need
      @timestamp; `create` of an _id already in the index is a 409
      version_conflict_engine_exception; the response is HTTP 200 with
      `errors` and one item per action, in order, each with its status
      and, when it failed, error.type and error.reason.
  GET /                      cluster information
  PUT /_index_template/NAME  stores an index template (GET returns it,
                             DELETE removes it); refuses one composed of
                             component templates that do not exist (unless
                             in ignore_missing_component_templates) and one
                             whose patterns overlap another's at the same
                             priority, as Elasticsearch does
  PUT /_component_template/NAME, PUT /_ingest/pipeline/NAME,
  PUT /_ilm/policy/NAME      stored (GET returns them, DELETE removes them)
                             after the checks Elasticsearch makes of their
                             shape: `template`, `processors`, `policy.phases`
  Index templates applied    when a data stream is first written, the
                             matching index template of highest priority
                             and its component templates give its settings;
                             if they name an index.default_pipeline that
                             exists, each document goes through its `set`
                             and `append` processors (mustache
                             {{_ingest.timestamp}} only) and the documents
                             are kept: GET /_d4c/docs/INDEX returns them.
                             The stats' digest is of the documents as sent.
  Authorization              ApiKey or Basic, checked when configured:
                             401 security_exception otherwise

Test controls (no authentication), under /_d4c/:
  GET  /_d4c/docs/INDEX      the documents of INDEX as stored, after the
                             ingest pipeline (only for indices that have one)
  GET  /_d4c/stats           what was indexed: docs per index, duplicates
                             refused, faults injected, requests seen, and
                             `digest`: per index, the sum of zlib.crc32 of every stored
                             source line modulo 2^64 (order-independent)
  POST /_d4c/faults          JSON merged into the fault settings:
      item_429_rate, item_500_rate   per-item rejection probability (item
                                     not indexed)
      request_429_rate, request_500_rate, request_503_rate
                                     whole-request rejection
      mapping_error_substring  a source line containing it gets a 400
                               mapper_parsing_exception (not indexed)
      max_body                 request bodies (as sent) above this many
                               bytes get 413
      slow_ms                  delay before every _bulk response
      drop_after_index_rate    index the request, then close the
                               connection without answering
  POST /_d4c/down?seconds=N  stop listening for N seconds: new
                             connections are refused, open ones are cut

    esd.py --port-file FILE [--port N] [--tls CERT KEY] [--api-key ID:KEY]
           [--basic USER:PASS] [--faults JSON] [--seed N]
"""
import argparse
import fnmatch
import base64
import gzip
import json
import random
import re
import socket
import ssl
import sys
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

DATA_STREAM = re.compile(r'^(logs|metrics)-[^-]+-[^-]+$')


class State:
    def __init__(self, seed):
        self.lock = threading.Lock()
        self.ids = {}  # index -> set of _id
        self.templates = {}
        self.components = {}
        self.pipelines = {}
        self.ilm = {}
        self.index_pipeline = {}  # index -> pipeline name or None, decided at creation
        self.docs = {}  # index -> stored documents, for indices with a pipeline
        self.faults = {}
        self.rng = random.Random(seed)
        self.stats = {'requests': 0, 'bulk_requests': 0, 'gzip_requests': 0, 'items': 0,
                      'created': 0, 'duplicates': 0, 'item_429': 0, 'item_500': 0,
                      'request_429': 0, 'request_500': 0, 'request_503': 0,
                      'mapping_errors': 0,
                      'too_large': 0, 'dropped': 0, 'auth_failures': 0, 'bad_requests': 0,
                      'not_create': 0, 'no_timestamp': 0, 'bulk_seconds': 0.0}
        self.digest = {}  # index -> sum of crc32 of the stored sources, mod 2^64
        self.down = False


S = None
ARGS = None


def es_error(status, etype, reason, extra=None):
    err = {'type': etype, 'reason': reason}
    if extra:
        err.update(extra)
    return {'error': {'root_cause': [dict(err)], **err}, 'status': status}


def store(kind):
    return {'_index_template': S.templates, '_component_template': S.components,
            '_ingest/pipeline': S.pipelines, '_ilm/policy': S.ilm}[kind]


def patterns_overlap(a, b):
    """Whether two index patterns can match one name (as Elasticsearch judges
    it: either pattern, as a glob, matches the other)."""
    return fnmatch.fnmatchcase(a, b) or fnmatch.fnmatchcase(b, a)


def check_stored(kind, name, t):
    """Elasticsearch's checks of what is PUT; (type, reason) or None. Holds S.lock."""
    if kind == '_index_template':
        pats = t.get('index_patterns')
        if not isinstance(pats, list) or not pats:
            return ('action_request_validation_exception',
                    'Validation Failed: 1: index patterns are missing;')
        ignore = t.get('ignore_missing_component_templates') or []
        missing = [c for c in t.get('composed_of') or []
                   if c not in S.components and c not in ignore]
        if missing:
            return ('invalid_index_template_exception',
                    'index_template [%s] invalid, cause [index template [%s] specifies '
                    'component templates %s that do not exist]' % (name, name, missing))
        prio = t.get('priority', 0)
        for other, o in S.templates.items():
            if other != name and o.get('priority', 0) == prio and any(
                    patterns_overlap(a, b) for a in pats for b in o['index_patterns']):
                return ('illegal_argument_exception',
                        'index template [%s] has index patterns %s matching patterns from '
                        'existing templates [%s] with patterns (%s => %s) that have the same '
                        'priority [%d], multiple index templates may not match during index '
                        'creation, please use a different priority'
                        % (name, pats, other, other, o['index_patterns'], prio))
    elif kind == '_component_template':
        if not isinstance(t.get('template'), dict):
            return ('action_request_validation_exception',
                    'Validation Failed: 1: template is missing;')
    elif kind == '_ingest/pipeline':
        procs = t.get('processors')
        if not isinstance(procs, list):
            return ('parse_exception', '[processors] required property is missing')
        for p in procs + (t.get('on_failure') or []):
            if not isinstance(p, dict) or len(p) != 1:
                return ('parse_exception', 'a processor is an object with one key')
            (ptype, conf), = p.items()
            if ptype in ('set', 'append') and ('field' not in conf or (
                    'value' not in conf and 'copy_from' not in conf)):
                return ('parse_exception', '[%s] required property is missing' % ptype)
    elif kind == '_ilm/policy':
        extra = sorted(set(t) - {'policy'})
        if extra:
            return ('x_content_parse_exception', '[1:2] [put_lifecycle_request] unknown field '
                    '[%s]' % extra[0])
        phases = (t.get('policy') or {}).get('phases')
        if not isinstance(phases, dict):
            return ('x_content_parse_exception', '[put_lifecycle_request] failed to parse '
                    'field [policy]: required [phases]')
        for ph, conf in phases.items():
            if ph not in ('hot', 'warm', 'cold', 'frozen', 'delete'):
                return ('illegal_argument_exception', 'Timeseries lifecycle does not support '
                        'phase [%s]' % ph)
            if not isinstance(conf, dict) or not re.match(r'^\d+(ms|s|m|h|d)$',
                                                          str(conf.get('min_age', '0ms'))):
                return ('illegal_argument_exception', 'failed to parse [min_age] of phase [%s]'
                        % ph)
    return None


def settings_of(index):
    """The index.default_pipeline the templates give INDEX (None if none).
    Holds S.lock."""
    best = None
    for t in S.templates.values():
        if any(fnmatch.fnmatchcase(index, p) for p in t['index_patterns']):
            if best is None or t.get('priority', 0) > best.get('priority', 0):
                best = t
    if best is None:
        return None
    flat = {}

    def merge(settings, prefix=''):
        for k, v in (settings or {}).items():
            if isinstance(v, dict):
                merge(v, prefix + k + '.')
            else:
                flat[prefix + k] = v
    for c in best.get('composed_of') or []:
        merge(((S.components.get(c) or {}).get('template') or {}).get('settings'))
    merge((best.get('template') or {}).get('settings'))
    p = flat.get('index.default_pipeline') or flat.get('default_pipeline')
    return p if p in S.pipelines else None


def mustache(v, ctx):
    if not isinstance(v, str):
        return v
    return re.sub(r'\{\{\{?\s*([\w.]+)\s*\}?\}\}', lambda m: str(ctx.get(m.group(1), '')), v)


def run_pipeline(doc, pipeline):
    """DOC after PIPELINE's set and append processors (others are skipped)."""
    def path(field):
        parts = field.split('.')
        o = doc
        for k in parts[:-1]:
            if not isinstance(o.get(k), dict):
                o[k] = {}
            o = o[k]
        return o, parts[-1]

    now = time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime()) + '.%06dZ' % (
        time.time() % 1 * 1e6)
    ctx = {'_ingest.timestamp': now}

    def run(procs):
        for p in procs:
            (ptype, conf), = p.items()
            o, k = path(mustache(conf['field'], ctx))
            v = mustache(conf.get('value'), ctx)
            if ptype == 'set':
                if conf.get('override', True) or o.get(k) in (None, ''):
                    o[k] = v
            elif ptype == 'append':
                cur = o.get(k)
                o[k] = (cur if isinstance(cur, list) else [] if cur is None else [cur]) + (
                    v if isinstance(v, list) else [v])
    try:
        run(pipeline.get('processors') or [])
    except Exception as e:  # as Elasticsearch does: on_failure, or the item fails
        if not pipeline.get('on_failure'):
            raise
        ctx['_ingest.on_failure_message'] = str(e)
        run(pipeline['on_failure'])
    return doc


class Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    server_version = 'esd-test-double/1'

    def log_message(self, fmt, *args):
        pass

    def reply(self, status, obj):
        body = json.dumps(obj, separators=(',', ':')).encode()
        self.send_response(status)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(body)))
        if status == 401:
            self.send_header('WWW-Authenticate', 'Basic realm="security" charset="UTF-8"')
            self.send_header('WWW-Authenticate', 'ApiKey')
        self.end_headers()
        self.wfile.write(body)

    def cut(self):
        """Closes the connection without an answer (RST)."""
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       b'\x01\x00\x00\x00\x00\x00\x00\x00')
        except OSError:
            pass
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def read_body(self):
        n = int(self.headers.get('Content-Length') or 0)
        return self.rfile.read(n) if n else b''

    def authorized(self):
        want = []
        if ARGS.api_key:
            want.append('ApiKey ' + base64.b64encode(ARGS.api_key.encode()).decode())
        if ARGS.basic:
            want.append('Basic ' + base64.b64encode(ARGS.basic.encode()).decode())
        if not want:
            return True
        got = self.headers.get('Authorization', '')
        if got in want:
            return True
        with S.lock:
            S.stats['auth_failures'] += 1
        self.reply(401, es_error(401, 'security_exception',
                                 'unable to authenticate user for REST request [%s]'
                                 % urlparse(self.path).path))
        return False

    def handle_one_request(self):
        if S.down:
            self.cut()
            return
        super().handle_one_request()

    # ---- test controls ----------------------------------------------------

    def control(self, method, url):
        if url.path == '/_d4c/stats' and method == 'GET':
            with S.lock:
                docs = {k: len(v) for k, v in S.ids.items()}
                out = dict(S.stats, docs=docs, total=sum(docs.values()), digest=dict(S.digest),
                           faults=S.faults, templates=sorted(S.templates),
                           component_templates=sorted(S.components),
                           pipelines=sorted(S.pipelines), ilm_policies=sorted(S.ilm),
                           index_pipeline=dict(S.index_pipeline))
            return self.reply(200, out)
        m = re.match(r'^/_d4c/docs/([^/]+)$', url.path)
        if m and method == 'GET':
            with S.lock:
                docs = list(S.docs.get(m.group(1), []))
            return self.reply(200, {'index': m.group(1), 'docs': docs})
        if url.path == '/_d4c/faults' and method == 'POST':
            with S.lock:
                S.faults.update(json.loads(self.read_body() or b'{}'))
                f = dict(S.faults)
            return self.reply(200, f)
        if url.path == '/_d4c/down' and method == 'POST':
            secs = float(parse_qs(url.query).get('seconds', ['10'])[0])
            self.reply(200, {'down_for': secs})
            self.close_connection = True
            threading.Thread(target=go_down, args=(secs,), daemon=True).start()
            return None
        return self.reply(404, es_error(404, 'not_found', 'no such test control'))

    # ---- Elasticsearch ----------------------------------------------------

    def do_GET(self):
        if S.down:
            return self.cut()
        url = urlparse(self.path)
        if url.path.startswith('/_d4c/'):
            return self.control('GET', url)
        with S.lock:
            S.stats['requests'] += 1
        if not self.authorized():
            return None
        if url.path == '/':
            return self.reply(200, {'name': 'esd', 'cluster_name': 'd4c-es-test-double',
                                    'version': {'number': '8.11.0',
                                                'distribution': 'esd-test-double'},
                                    'tagline': 'You Know, for Search'})
        m = re.match(r'^/(_index_template|_component_template|_ingest/pipeline|_ilm/policy)'
                     r'/([^/]+)$', url.path)
        if m:
            kind, name = m.groups()
            with S.lock:
                t = store(kind).get(name)
            if t is None:
                what = {'_index_template': 'index template', '_component_template':
                        'component template'}.get(kind)
                if what:
                    return self.reply(404, es_error(404, 'resource_not_found_exception',
                                                    '%s matching [%s] not found' % (what, name)))
                return self.reply(404, {} if kind == '_ingest/pipeline' else
                                  es_error(404, 'resource_not_found_exception',
                                           'Lifecycle policy not found: %s' % name))
            if kind == '_index_template':
                return self.reply(200, {'index_templates': [{'name': name, 'index_template': t}]})
            if kind == '_component_template':
                return self.reply(200, {'component_templates': [{'name': name,
                                                                 'component_template': t}]})
            if kind == '_ilm/policy':
                return self.reply(200, {name: {'version': 1, 'policy': t['policy']}})
            return self.reply(200, {name: t})
        return self.reply(404, es_error(404, 'index_not_found_exception', 'no such index'))

    def do_DELETE(self):
        if S.down:
            return self.cut()
        url = urlparse(self.path)
        with S.lock:
            S.stats['requests'] += 1
        if not self.authorized():
            return None
        m = re.match(r'^/(_index_template|_component_template|_ingest/pipeline|_ilm/policy)'
                     r'/([^/]+)$', url.path)
        if not m:
            return self.reply(405, es_error(405, 'illegal_argument_exception', 'not here'))
        kind, name = m.groups()
        with S.lock:
            gone = store(kind).pop(name, None)
            if gone is not None:
                S.stats['deleted_' + kind.strip('_').replace('/', '_')] = \
                    S.stats.get('deleted_' + kind.strip('_').replace('/', '_'), 0) + 1
        if gone is None:
            return self.reply(404, es_error(404, 'resource_not_found_exception',
                                            '[%s] not found' % name))
        return self.reply(200, {'acknowledged': True})

    def do_PUT(self):
        if S.down:
            return self.cut()
        url = urlparse(self.path)
        body = self.read_body()
        with S.lock:
            S.stats['requests'] += 1
        if not self.authorized():
            return None
        m = re.match(r'^/(_index_template|_component_template|_ingest/pipeline|_ilm/policy)'
                     r'/([^/]+)$', url.path)
        if not m:
            return self.reply(405, es_error(405, 'illegal_argument_exception', 'not here'))
        kind, name = m.groups()
        try:
            t = json.loads(body)
            assert isinstance(t, dict)
        except Exception:
            return self.reply(400, es_error(400, 'parse_exception', 'request body is not JSON'))
        with S.lock:
            why = check_stored(kind, name, t)
            if why is None:
                store(kind)[name] = t
        if why:
            return self.reply(400, es_error(400, why[0], why[1]))
        return self.reply(200, {'acknowledged': True})

    def do_POST(self):
        if S.down:
            return self.cut()
        url = urlparse(self.path)
        if url.path.startswith('/_d4c/'):
            return self.control('POST', url)
        m = re.match(r'^(?:/([^/_][^/]*))?/_bulk$', url.path)
        raw = self.read_body()
        with S.lock:
            S.stats['requests'] += 1
            f = dict(S.faults)
        if not m:
            return self.reply(404, es_error(404, 'index_not_found_exception', 'no such index'))
        if not self.authorized():
            return None
        with S.lock:
            S.stats['bulk_requests'] += 1
        if f.get('slow_ms'):
            time.sleep(f['slow_ms'] / 1000)
        if f.get('max_body') and len(raw) > f['max_body']:
            with S.lock:
                S.stats['too_large'] += 1
            return self.reply(413, es_error(413, 'content_too_long_exception',
                                            'request body too large'))
        r = S.rng.random()
        if r < f.get('request_429_rate', 0):
            with S.lock:
                S.stats['request_429'] += 1
            return self.reply(429, es_error(429, 'es_rejected_execution_exception',
                                            'rejected execution (test double)'))
        if r < f.get('request_429_rate', 0) + f.get('request_500_rate', 0):
            with S.lock:
                S.stats['request_500'] += 1
            return self.reply(500, es_error(500, 'internal_server_error',
                                            'injected by the test double'))
        if r < (f.get('request_429_rate', 0) + f.get('request_500_rate', 0) +
                f.get('request_503_rate', 0)):
            with S.lock:
                S.stats['request_503'] += 1
            return self.reply(503, es_error(503, 'unavailable_shards_exception',
                                            'primary shard is not active (test double)'))
        if self.headers.get('Content-Encoding', '') == 'gzip':
            try:
                raw = gzip.decompress(raw)
            except Exception:
                return self.reply(400, es_error(400, 'parse_exception', 'bad gzip body'))
            with S.lock:
                S.stats['gzip_requests'] += 1
        ctype = self.headers.get('Content-Type', '')
        if not ctype.startswith('application/x-ndjson') and not ctype.startswith('application/json'):
            return self.reply(406, {'error': 'Content-Type header [%s] is not supported' % ctype,
                                    'status': 406})
        if not raw.endswith(b'\n'):
            with S.lock:
                S.stats['bad_requests'] += 1
            return self.reply(400, es_error(400, 'illegal_argument_exception',
                                            'The bulk request must be terminated by a newline [\\n]'))
        t0 = time.monotonic()
        resp = self.bulk(raw, m.group(1), f)
        with S.lock:
            S.stats['bulk_seconds'] += time.monotonic() - t0
        if resp is None:
            return self.reply(400, es_error(400, 'illegal_argument_exception',
                                            'Malformed action/metadata line'))
        if S.rng.random() < f.get('drop_after_index_rate', 0):
            with S.lock:
                S.stats['dropped'] += 1
            return self.cut()
        return self.reply(200, resp)

    def bulk(self, raw, default_index, f):
        lines = raw.split(b'\n')
        lines.pop()  # after the final newline
        items, errors, i = [], False, 0
        sub = f.get('mapping_error_substring')
        subb = sub.encode() if sub else None
        r429 = f.get('item_429_rate', 0)
        r500 = f.get('item_500_rate', 0)
        rng = S.rng
        is_ds = {}
        with S.lock:
            while i < len(lines):
                if not lines[i].strip():
                    i += 1
                    continue
                try:
                    action = json.loads(lines[i])
                    (op, meta), = action.items()
                except Exception:
                    return None
                index = meta.get('_index', default_index)
                _id = meta.get('_id')
                ds = is_ds.get(index)
                if ds is None:
                    ds = is_ds[index] = bool(DATA_STREAM.match(index or ''))
                if op == 'delete':
                    i += 1
                    items.append({op: {'_index': index, '_id': _id, 'status': 404}})
                    continue
                if i + 1 >= len(lines):
                    return None
                src = lines[i + 1]
                i += 2
                S.stats['items'] += 1
                res = {'_index': index, '_id': _id}
                try:
                    doc = json.loads(src)
                    ok = isinstance(doc, dict)
                except Exception:
                    ok = False
                x = rng.random()
                if not ok:
                    res.update(status=400, error={
                        'type': 'document_parsing_exception',
                        'reason': '[1:1] failed to parse: the source is not a JSON object'})
                elif ds and op != 'create':
                    S.stats['not_create'] += 1
                    res.update(status=400, error={
                        'type': 'illegal_argument_exception',
                        'reason': 'only write ops with an op_type of create are allowed in '
                                  'data streams'})
                elif ds and '@timestamp' not in doc:
                    S.stats['no_timestamp'] += 1
                    res.update(status=400, error={
                        'type': 'document_parsing_exception',
                        'reason': '[1:%d] failed to parse: data stream timestamp field '
                                  '[@timestamp] is missing' % len(src)})
                elif x < r429:
                    S.stats['item_429'] += 1
                    res.update(status=429, error={
                        'type': 'es_rejected_execution_exception',
                        'reason': 'rejected execution of coordinating operation (test double)'})
                elif x < r429 + r500:
                    S.stats['item_500'] += 1
                    res.update(status=500, error={
                        'type': 'exception', 'reason': 'injected by the test double'})
                elif subb and subb in src:
                    S.stats['mapping_errors'] += 1
                    res.update(status=400, error={
                        'type': 'document_parsing_exception',
                        'reason': "[1:1] failed to parse field [process.pid] of type [long] in "
                                  "document with id '%s'. Preview of field's value: "
                                  "'not-a-number'" % _id,
                        'caused_by': {'type': 'illegal_argument_exception',
                                      'reason': 'For input string: "not-a-number"'}})
                else:
                    ids = S.ids.setdefault(index, set())
                    if _id is None:
                        _id = '%x' % rng.getrandbits(64)
                        res['_id'] = _id
                    if _id in ids and op == 'create':
                        S.stats['duplicates'] += 1
                        res.update(status=409, error={
                            'type': 'version_conflict_engine_exception',
                            'reason': '[%s]: version conflict, document already exists '
                                      '(current version [1])' % _id,
                            'index': index})
                    else:
                        created = _id not in ids
                        ids.add(_id)
                        if created:
                            S.stats['created'] += 1
                            S.digest[index] = (S.digest.get(index, 0) + zlib.crc32(src)) % (1 << 64)
                            if index not in S.index_pipeline:
                                S.index_pipeline[index] = settings_of(index)
                            pl = S.index_pipeline[index]
                            if pl and pl in S.pipelines:
                                S.docs.setdefault(index, []).append(
                                    run_pipeline(doc, S.pipelines[pl]))
                        res.update(status=201 if created else 200, result='created'
                                   if created else 'updated')
                if 'error' in res:
                    errors = True
                items.append({op: res})
        return {'took': 1, 'errors': errors, 'items': items}


SERVER = None


def make_server(port):
    srv = ThreadingHTTPServer(('127.0.0.1', port), Handler)
    srv.daemon_threads = True
    if ARGS.tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(ARGS.tls[0], ARGS.tls[1])
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    return srv


def go_down(secs):
    """Really stops listening (connection refused), then comes back."""
    global SERVER
    time.sleep(0.1)  # let the answer to /_d4c/down go out
    port = SERVER.server_address[1]
    S.down = True
    SERVER.shutdown()
    SERVER.server_close()
    time.sleep(secs)
    S.down = False
    while True:
        try:
            SERVER = make_server(port)
            break
        except OSError:
            time.sleep(0.1)
    threading.Thread(target=SERVER.serve_forever, daemon=True).start()


def main():
    global S, ARGS, SERVER
    p = argparse.ArgumentParser(description='Elasticsearch _bulk test double')
    p.add_argument('--port', type=int, default=0)
    p.add_argument('--port-file', required=True)
    p.add_argument('--tls', nargs=2, metavar=('CERT', 'KEY'))
    p.add_argument('--api-key')
    p.add_argument('--basic')
    p.add_argument('--faults', default='{}')
    p.add_argument('--seed', type=int, default=1)
    ARGS = p.parse_args()
    S = State(ARGS.seed)
    S.faults = json.loads(ARGS.faults)
    SERVER = make_server(ARGS.port)
    with open(ARGS.port_file + '.tmp', 'w') as fp:
        fp.write('%d\n' % SERVER.server_address[1])
    import os
    os.rename(ARGS.port_file + '.tmp', ARGS.port_file)
    threading.Thread(target=SERVER.serve_forever, daemon=True).start()
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass


if __name__ == '__main__':
    main()
