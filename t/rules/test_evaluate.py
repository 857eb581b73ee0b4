#!/usr/bin/python3
# Tests of t/rules/evaluate.py on hand-made rules and events: each
# operator of the EQL and KQL subset it knows, once where it must match
# and once where it must not, then sequences (order, join keys, maxspan,
# runs), index selection and the errors a bad query gets. Prints TAP.
import importlib.util
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("evaluate", os.path.join(HERE, "evaluate.py"))
ev = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ev)

RESULTS = []


def proc(**kw):
    """A process exec event in logs-cloud_defend.process, fields as given
    (dotted names)."""
    e = {"event": {"category": ["process"], "type": ["start"], "action": "exec",
                   "dataset": "cloud_defend.process"},
         "@timestamp": "2026-12-06T10:00:00.000000000Z"}
    for k, v in kw.items():
        put(e, k.replace("__", "."), v)
    return e


def fileev(**kw):
    e = {"event": {"category": ["file"], "type": ["creation"], "action": "creation",
                   "dataset": "cloud_defend.file"},
         "@timestamp": "2026-12-06T10:00:00.000000000Z"}
    for k, v in kw.items():
        put(e, k.replace("__", "."), v)
    return e


def put(e, dotted, v):
    parts = dotted.split(".")
    for p in parts[:-1]:
        e = e.setdefault(p, {})
    e[parts[-1]] = v


def matches(query, event, language="eql", index=("logs-cloud_defend.*",)):
    r = ev.Rule.__new__(ev.Rule)
    r.text = query
    r.index = list(index)
    r.index_res = [ev.wildcard(p, False) for p in index]
    r.q = ev.EqlParser(query).query() if language == "eql" else ev.KqlParser(query).query()
    events = [event] if isinstance(event, dict) else event
    mine = [e for e in events if r.searches(e)]
    hits = ev.run_event(r, mine) if r.q[0] == "event" else ev.run_sequence(r, mine)
    return bool(hits)


def check(name, got, want):
    RESULTS.append((name, got == want))
    if got != want:
        print("# %s: got %r, want %r" % (name, got, want))


def case(name, query, event, want, language="eql"):
    check(name, matches(query, event, language), want)


# --- EQL: comparisons ---
case("== exact", 'process where process.name == "nc"', proc(process__name="nc"), True)
case("== is case-sensitive", 'process where process.name == "nc"', proc(process__name="NC"), False)
case("== on a list: any element", 'process where process.args == "-l"',
     proc(process__args=["nc", "-l", "-p"]), True)
case("== on a list: none", 'process where process.args == "-e"', proc(process__args=["nc", "-l"]), False)
case("== true", "process where process.interactive == true", proc(process__interactive=True), True)
case("== true, false value", "process where process.interactive == true",
     proc(process__interactive=False), False)
case("== true, field missing", "process where process.interactive == true", proc(), False)
case("!= other value", 'process where process.name != "nc"', proc(process__name="sh"), True)
case("!= same value", 'process where process.name != "nc"', proc(process__name="nc"), False)
case("!= on a list holding it", 'file where event.type != "deletion"',
     fileev(event__type=["deletion"]), False)
case("!= null, present", "process where process.parent.executable != null",
     proc(process__parent__executable="/bin/sh"), True)
case("!= null, missing", "process where process.parent.executable != null", proc(), False)
case(": folds case", 'process where process.name : "NC"', proc(process__name="nc"), True)
case(": wildcard", 'process where process.name : "chisel*"', proc(process__name="chisel_linux"), True)
case(": wildcard, no match", 'process where process.name : "chisel*"', proc(process__name="ch"), False)
case(": list", 'process where process.args : ("-L*", "-R*")', proc(process__args=["gost", "-Rtcp"]), True)
case(": dot is literal", 'process where process.name : ".*"', proc(process__name="xhidden"), False)
case(": hidden name", 'process where process.name : ".*"', proc(process__name=".hidden"), True)

# --- in ---
case("in: one of", 'process where process.name in ("sh", "bash")', proc(process__name="bash"), True)
case("in: none of", 'process where process.name in ("sh", "bash")', proc(process__name="zsh"), False)
case("in: case-sensitive", 'process where process.name in ("sh")', proc(process__name="SH"), False)
case("in: list field", 'process where process.args in ("-i", "-it")',
     proc(process__args=["/bin/sh", "-i"]), True)
case("not in", 'process where process.name not in ("sh")', proc(process__name="nc"), True)
case("not X in", 'process where not process.args in ("man", "which")',
     proc(process__args=["busybox", "which", "curl"]), False)

# --- like, like~ ---
case("like: wildcard", 'process where process.args like "*/etc/passwd*"',
     proc(process__args=["tar", "czf", "/tmp/x", "/etc/passwd"]), True)
case("like: case-sensitive", 'process where process.args like "*/ETC/passwd*"',
     proc(process__args=["/etc/passwd"]), False)
case("like~: case-insensitive", 'process where process.args like~ "*/ETC/passwd*"',
     proc(process__args=["/etc/passwd"]), True)
case("like: ? is one character", 'process where process.args like "-?"',
     proc(process__args=["-l"]), True)
case("like: ? needs a character", 'process where process.args like "-?"',
     proc(process__args=["-"]), False)
case("like: list", 'file where file.path like ("/etc/ld.so.preload", "/etc/ld.so.conf.d/*")',
     fileev(file__path="/etc/ld.so.conf.d/x.conf"), True)
case("like: whole value", 'file where file.path like "/etc/ld.so.preload"',
     fileev(file__path="/etc/ld.so.preload.bak"), False)
case('like "?*" needs a value', 'process where container.id like "?*"', proc(container__id=""), False)
case('like "?*" on an id', 'process where container.id like "?*"', proc(container__id="abc"), True)
case('like "*" on a missing field', 'process where container.id like "*"', proc(), False)

# --- regex, regex~ ---
case("regex: full match", r'process where process.args regex ".*[0-9]{1,3}\\.[0-9]{1,3}:[0-9]+"',
     proc(process__args=["ssh", "10.0.0.1:22"]), True)
case("regex: anchored", r'process where process.args regex "[0-9]+"',
     proc(process__args=["a1"]), False)
case("regex~: folds case", 'process where process.args regex~ "HTTP.*"',
     proc(process__args=["http://x"]), True)
case('raw """ string', 'process where process.args regex """.*\\.x"""',
     proc(process__args=["a.x"]), True)

# --- boolean logic, precedence, comments ---
case("and: both", 'process where process.name == "nc" and process.args == "-l"',
     proc(process__name="nc", process__args=["-l"]), True)
case("and: one", 'process where process.name == "nc" and process.args == "-l"',
     proc(process__name="nc", process__args=["-p"]), False)
case("or binds looser than and",
     'process where process.name == "a" and process.args == "x" or process.name == "b"',
     proc(process__name="b"), True)
case("and binds tighter than or",
     'process where process.name == "a" or process.name == "b" and process.args == "x"',
     proc(process__name="b", process__args=["y"]), False)
case("not", 'process where not process.name == "nc"', proc(process__name="sh"), True)
case("not (...)", 'process where not (process.name == "nc" or process.name == "sh")',
     proc(process__name="sh"), False)
case("comments", 'process where /* c */ process.name == "nc" // more\n and true',
     proc(process__name="nc"), True)
case("category: process where on a file event", 'process where true', fileev(), False)
case("category: any where", 'any where event.category == "file"', fileev(), True)

# --- KQL ---
case("kql field:value", "event.kind:alert and event.module:cloud_defend",
     proc(event__kind="alert", event__module="cloud_defend"), True, "kuery")
case("kql field:value, other value", "event.kind:alert and event.module:cloud_defend",
     proc(event__kind="event", event__module="cloud_defend"), False, "kuery")
case("kql missing field", "event.module:cloud_defend", proc(), False, "kuery")
case("kql quoted", 'event.category:"file"', fileev(), True, "kuery")
case("kql (a or b)", "file.extension:(yaml or yml)", fileev(file__extension="yml"), True, "kuery")
case("kql (a or b), neither", "file.extension:(yaml or yml)", fileev(file__extension="json"),
     False, "kuery")
case("kql wildcard", "file.path:/etc/kubernetes/manifests/*",
     fileev(file__path="/etc/kubernetes/manifests/x.yaml"), True, "kuery")
case("kql wildcard, elsewhere", "file.path:/etc/kubernetes/manifests/*",
     fileev(file__path="/etc/x.yaml"), False, "kuery")
case("kql not field:(...)", "not file.name:(etcd.yaml or a.yaml)", fileev(file__name="evil.yaml"),
     True, "kuery")
case("kql not field:(...), excluded", "not file.name:(etcd.yaml or a.yaml)",
     fileev(file__name="etcd.yaml"), False, "kuery")
case("kql exists", "file.path:*", fileev(file__path="/x"), True, "kuery")
case("kql exists, missing", "file.path:*", fileev(), False, "kuery")

# --- index ---
check("index: the rule's index only",
      matches("any where true", proc(), index=("logs-cloud_defend.file*",)), False)
check("index: data_stream wins", matches("any where true",
      proc(data_stream={"type": "logs", "dataset": "cloud_defend.file", "namespace": "x"}),
      index=("logs-cloud_defend.file*",)), True)
check("index: no dataset, no index", matches("any where true",
      {"event": {"category": ["process"]}}), False)


# --- sequences ---
def at(e, sec, **kw):
    e["@timestamp"] = "2026-12-06T10:00:%06.3fZ" % sec
    for k, v in kw.items():
        put(e, k.replace("__", "."), v)
    return e


SEQ = ('sequence by container.id with maxspan=3s '
       '[file where event.type == "creation"] by file.path '
       '[process where true] by process.executable')
create = lambda t, path="/tmp/x", cid="c1": at(fileev(), t, file__path=path, container__id=cid)
run = lambda t, exe="/tmp/x", cid="c1": at(proc(), t, process__executable=exe, container__id=cid)
case("sequence: in order", SEQ, [create(1), run(2)], True)
case("sequence: out of order", SEQ, [run(1), create(2)], False)
case("sequence: stream order ignored, time counts", SEQ, [run(2), create(1)], True)
case("sequence: by value differs", SEQ, [create(1), run(2, exe="/tmp/y")], False)
case("sequence: other container", SEQ, [create(1), run(2, cid="c2")], False)
case("sequence: beyond maxspan", SEQ, [create(1), run(5)], False)
case("sequence: missing join key", SEQ,
     [at(fileev(), 1, file__path="/tmp/x"), at(proc(), 2, process__executable="/tmp/x")], False)
RUNS = ('sequence by container.id with maxspan=5s '
        '[process where process.name == "ls"] with runs=3')
ls = lambda t: at(proc(), t, process__name="ls", container__id="c1")
case("runs=3: three", RUNS, [ls(1), ls(2), ls(3)], True)
case("runs=3: two", RUNS, [ls(1), ls(2)], False)
case("runs=3: too far apart", RUNS, [ls(1), ls(4), ls(7)], False)
case("sequence: nanosecond timestamps", SEQ,
     [dict(create(0), **{"@timestamp": "2026-12-06T10:00:01.123456789Z"}),
      dict(run(0), **{"@timestamp": "2026-12-06T10:00:01.123456999Z"})], True)


# --- why a rule is quiet: the nearest event and its values ---
def why(query, events):
    r = ev.Rule.__new__(ev.Rule)
    r.text = query
    r.index = ["logs-cloud_defend.*"]
    r.index_res = [ev.wildcard(r.index[0], False)]
    r.q = ev.EqlParser(query).query()
    return ev.explain(r, events)


DEL = ('file where event.action == "deletion" and file.path like "/tmp/*" '
       'and not process.name in ("rm")')
created = fileev(file__path="/tmp/x", process__name="wget")
deleted = dict(fileev(file__path="/tmp", process__name="busybox"),
               event={"category": ["file"], "action": "deletion",
                      "dataset": "cloud_defend.file"})
check("explain: of two events meeting two conditions, the one meeting the first",
      why(DEL, [created, deleted]),
      'not met: file.path like "/tmp/*" [nearest event: file.path: "/tmp"]')
check("explain: a field a negation names", why(DEL, [dict(deleted, file={"path": "/tmp/y"},
                                                          process={"name": "rm"})]),
      'not met: not process.name in ("rm") [nearest event: process.name: "rm"]')
check("explain: met", why(DEL, [dict(deleted, file={"path": "/tmp/y"})]), "met")

# --- errors: FILE:LINE:COL, exit 2 ---
def cli(rule_text, events="{}\n"):
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "r.toml"), "w") as f:
            f.write(rule_text)
        p = subprocess.run([sys.executable, os.path.join(HERE, "evaluate.py"), "--rules", d],
                           input=events, capture_output=True, text=True)
        return p.returncode, p.stdout, p.stderr.replace(d + "/", "")


rc, out, err = cli('rule_id = "x"\nname = "n"\nlanguage = "eql"\n'
                   "query = '''\nprocess where process.name === \"a\"\n'''\n")
check("bad query: exit 2", rc, 2)
check("bad query: file:line:col", err.strip().startswith("evaluate.py: r.toml:5:"), True)
rc, out, err = cli('rule_id = "x"\nname = "n"\nlanguage = "eql"\n'
                   "query = '''\nprocess where process.name == \"a\"\n'''\n", "not json\n")
check("bad event line: exit 2", rc, 2)
check("bad event line: named", "-:1: not JSON" in err, True)
rc, out, err = cli('rule_id = "x"\nname = "n"\nlanguage = "eql"\n'
                   "query = '''\nprocess where process.name == \"a\"\n'''\n",
                   '{"event":{"category":["process"],"dataset":"cloud_defend.process"},'
                   '"process":{"name":"a"}}\n')
check("cli: fires", (rc, out.splitlines()[0], out.splitlines()[-1]),
      (0, "fires x n (1)", "rules firing: 1/1"))

for n, (name, ok) in enumerate(RESULTS, 1):
    print("%s %d - %s" % ("ok" if ok else "not ok", n, name))
print("1..%d" % len(RESULTS))
sys.exit(0 if all(ok for _, ok in RESULTS) else 1)
