#!/usr/bin/python3
# Runs Elastic's detection rules (t/rules/elastic/*.toml: an EQL or KQL
# query each) over NDJSON events, the way Elasticsearch would over the
# indices the events land in, and says which rules fire. It knows exactly
# the part of EQL and KQL those rules use:
#
#   EQL  CATEGORY where EXPR, any where EXPR,
#        sequence [by F, ...] [with maxspan=N(ms|s|m|h)] [QUERY] [by F] ...
#        [with runs=N] on a stage; and, or, not, parentheses;
#        F == V, F != V, F != null, F : V|(V, ...), F in (V, ...),
#        F like[~] V|(V, ...), F regex[~] V|(V, ...);
#        strings "..." (backslash escapes) and """...""" (raw), numbers,
#        true, false, null; /* */ and // comments
#   KQL  F:V, F:"V", F:(V or V ...), F:*, and, or, not, parentheses
#
# Semantics are Elasticsearch's for keyword fields: a field holding a list
# matches when any element does; == and in are exact and case-sensitive,
# : is case-insensitive with * and ? wildcards, like is case-sensitive
# with wildcards and like~ is not, regex matches the whole value. A
# comparison with a missing field is false (and != is not of ==, so
# "missing != x" is true, as a must_not query would have it). An event is
# searched by a rule only when the index it lands in
# (logs-DATASET-NAMESPACE, from data_stream or event.dataset) matches one
# of the rule's index patterns. Sequence stages join on the sequence's
# and the stage's by fields; an event missing a join field joins nothing.
#
# Usage: evaluate.py [--rules DIR|FILE]... [--json] [--explain] [EVENTS...]
# Prints one line a rule, "fires RULE_ID NAME (N)" or "quiet RULE_ID NAME",
# with --explain the conditions that no event met, then
# "rules firing: N/M". Exit 0; 2 for a usage error or a query it cannot
# parse (FILE:LINE:COL: message), or an event line that is not JSON.
import datetime
import fnmatch
import glob
import json
import os
import re
import sys
import tomllib

HERE = os.path.dirname(os.path.abspath(__file__))
PROG = "evaluate.py"


class QueryError(Exception):
    """A query the evaluator cannot read; pos is the offset in the query."""

    def __init__(self, msg, pos):
        super().__init__(msg)
        self.pos = pos


# Tokens ----------------------------------------------------------------

TOKEN = re.compile(
    r"""
    (?P<ws>\s+|/\*.*?\*/|//[^\n]*)
    |(?P<raw>\"\"\".*?\"\"\")
    |(?P<str>"(?:[^"\\]|\\.)*")
    |(?P<op>==|!=|<=|>=|[:<>()\[\],=])
    |(?P<num>\d+(?:\.\d+)?(?:ms|s|m|h|d)?(?![\w.]))
    |(?P<word>[A-Za-z_@][\w.@-]*~?)
    """,
    re.S | re.X,
)

ESCAPES = {"\\": "\\", '"': '"', "n": "\n", "t": "\t", "r": "\r", "'": "'"}


def unescape(s, pos):
    out = []
    i = 0
    while i < len(s):
        c = s[i]
        if c == "\\" and i + 1 < len(s):
            n = s[i + 1]
            if n not in ESCAPES:
                raise QueryError("unknown escape '\\%s' in string" % n, pos + i)
            out.append(ESCAPES[n])
            i += 2
            continue
        out.append(c)
        i += 1
    return "".join(out)


def tokenize(text):
    """Returns [(kind, value, offset)], kind one of str, op, num, word."""
    toks = []
    pos = 0
    while pos < len(text):
        m = TOKEN.match(text, pos)
        if not m:
            raise QueryError("unexpected character '%s'" % text[pos], pos)
        kind = m.lastgroup
        val = m.group(kind)
        if kind == "raw":
            toks.append(("str", val[3:-3], pos))
        elif kind == "str":
            toks.append(("str", unescape(val[1:-1], pos + 1), pos))
        elif kind != "ws":
            toks.append((kind, val, pos))
        pos = m.end()
    toks.append(("end", None, pos))
    return toks


# Values and matching ---------------------------------------------------

MISSING = object()


def lookup(event, field):
    """The value at a dotted FIELD of EVENT (nested objects or dotted keys),
    or MISSING."""
    if field in event:
        return event[field]
    cur = event
    parts = field.split(".")
    for i, p in enumerate(parts):
        if not isinstance(cur, dict):
            return MISSING
        if p in cur:
            cur = cur[p]
            continue
        rest = ".".join(parts[i:])
        return cur.get(rest, MISSING)
    return cur


def values(v):
    """A field's value as the list of its elements (a keyword list matches
    when any element does); [] for missing or null."""
    if v is MISSING or v is None:
        return []
    if isinstance(v, list):
        return [x for x in v if x is not None]
    return [v]


def wildcard(pattern, fold):
    """A compiled full-match regex for an Elasticsearch wildcard pattern."""
    out = []
    for c in pattern:
        if c == "*":
            out.append(".*")
        elif c == "?":
            out.append(".")
        else:
            out.append(re.escape(c))
    return re.compile("".join(out), re.S | (re.I if fold else 0))


def as_text(x):
    if isinstance(x, bool):
        return "true" if x else "false"
    return str(x)


def equal(a, b, fold=False):
    if isinstance(b, bool) or isinstance(a, bool):
        if isinstance(a, str):
            return a == as_text(b)
        return a is b or a == b and type(a) is type(b)
    if isinstance(b, (int, float)) and not isinstance(a, str):
        return a == b
    a = as_text(a)
    b = as_text(b)
    return a.lower() == b.lower() if fold else a == b


# EQL ---------------------------------------------------------------------


class Node:
    """An expression node; span is (start, end) in the query text."""

    def __init__(self, kind, span, **kw):
        self.kind = kind
        self.span = span
        self.__dict__.update(kw)


class EqlParser:
    def __init__(self, text):
        self.text = text
        self.toks = tokenize(text)
        self.i = 0

    def peek(self, k=0):
        return self.toks[self.i + k]

    def next(self):
        t = self.toks[self.i]
        self.i += 1
        return t

    def at_word(self, *words):
        kind, val, _ = self.peek()
        return kind == "word" and val.lower() in words

    def expect(self, kind, val=None):
        t = self.next()
        if t[0] != kind or (val is not None and (t[1] or "").lower() != val):
            want = val or kind
            got = t[1] if t[1] is not None else "end of query"
            raise QueryError("expected '%s', found '%s'" % (want, got), t[2])
        return t

    def end_of(self):
        """The end offset of the token just taken."""
        kind, val, pos = self.toks[self.i - 1]
        m = TOKEN.match(self.text, pos)
        return m.end() if m else pos

    def query(self):
        """Returns ("event", category, expr) or ("sequence", by, maxspan,
        stages), each stage (category, expr, by, runs)."""
        if self.at_word("sequence"):
            q = self.sequence()
        else:
            q = ("event",) + self.event_query()
        self.expect("end")
        return q

    def event_query(self):
        cat = self.expect("word")[1].lower()
        self.expect("word", "where")
        return cat, self.expr()

    def fields(self):
        out = [self.expect("word")[1]]
        while self.peek()[0] == "op" and self.peek()[1] == ",":
            self.next()
            out.append(self.expect("word")[1])
        return out

    def span_value(self):
        kind, val, pos = self.next()
        m = re.fullmatch(r"(\d+)(ms|s|m|h|d)", val or "")
        if kind != "num" or not m:
            raise QueryError("expected a time span such as 10s", pos)
        n = int(m.group(1))
        return n * {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}[m.group(2)]

    def sequence(self):
        self.next()
        by = []
        maxspan = None
        if self.at_word("by"):
            self.next()
            by = self.fields()
        if self.at_word("with"):
            self.next()
            self.expect("word", "maxspan")
            self.expect("op", "=")
            maxspan = self.span_value()
        stages = []
        while self.peek()[0] == "op" and self.peek()[1] == "[":
            self.next()
            cat, expr = self.event_query()
            self.expect("op", "]")
            sby = []
            runs = 1
            if self.at_word("by"):
                self.next()
                sby = self.fields()
            if self.at_word("with"):
                self.next()
                self.expect("word", "runs")
                self.expect("op", "=")
                kind, val, pos = self.next()
                if kind != "num" or not val.isdigit():
                    raise QueryError("expected a number of runs", pos)
                runs = int(val)
            stages.append((cat, expr, sby, runs))
        if not stages:
            raise QueryError("a sequence needs [stages]", self.peek()[2])
        return ("sequence", by, maxspan, stages)

    def expr(self):
        start = self.peek()[2]
        left = self.and_expr()
        parts = [left]
        while self.at_word("or"):
            self.next()
            parts.append(self.and_expr())
        if len(parts) == 1:
            return left
        return Node("or", (start, self.end_of()), parts=parts)

    def and_expr(self):
        start = self.peek()[2]
        parts = [self.not_expr()]
        while self.at_word("and"):
            self.next()
            parts.append(self.not_expr())
        if len(parts) == 1:
            return parts[0]
        return Node("and", (start, self.end_of()), parts=parts)

    def not_expr(self):
        start = self.peek()[2]
        if self.at_word("not"):
            self.next()
            inner = self.not_expr()
            return Node("not", (start, self.end_of()), inner=inner)
        return self.primary()

    def primary(self):
        kind, val, pos = self.peek()
        if kind == "op" and val == "(":
            self.next()
            e = self.expr()
            self.expect("op", ")")
            e.span = (pos, self.end_of())
            return e
        if kind != "word" or val.lower() in ("and", "or", "where"):
            got = val if val is not None else "end of query"
            raise QueryError("expected a field, found '%s'" % got, pos)
        if val.lower() in ("true", "false"):
            self.next()
            return Node("const", (pos, self.end_of()), value=val.lower() == "true")
        self.next()
        field = val
        kind, op, opos = self.next()
        negate = False
        if kind == "word" and op.lower() == "not" and self.at_word("in", "in~"):
            negate = True
            kind, op, opos = self.next()
        if kind == "op" and op in ("==", "!=", ":", "<", ">", "<=", ">="):
            if op == ":":
                vals = self.value_or_list()
            else:
                vals = [self.value()]
        elif kind == "word" and op.lower() in ("in", "in~", "like", "like~", "regex", "regex~"):
            op = op.lower()
            vals = self.value_or_list() if op not in ("in", "in~") else self.value_list()
        else:
            raise QueryError("unknown operator '%s'" % op, opos)
        node = Node("cmp", (pos, self.end_of()), field=field, op=op, vals=vals)
        if op in ("regex", "regex~"):
            try:
                node.res = [re.compile(v, re.S | (re.I if op == "regex~" else 0)) for v in vals]
            except re.error as e:
                raise QueryError("bad regular expression: %s" % e, opos)
        elif op in (":", "like", "like~"):
            node.pats = [wildcard(as_text(v), op != "like") for v in vals]
        if negate:
            node = Node("not", node.span, inner=node)
        return node

    def value(self):
        kind, val, pos = self.next()
        if kind == "str":
            return val
        if kind == "num":
            if not re.fullmatch(r"\d+(\.\d+)?", val):
                raise QueryError("expected a value, found '%s'" % val, pos)
            return float(val) if "." in val else int(val)
        if kind == "word" and val.lower() in ("true", "false"):
            return val.lower() == "true"
        if kind == "word" and val.lower() == "null":
            return None
        got = val if val is not None else "end of query"
        raise QueryError("expected a value, found '%s'" % got, pos)

    def value_list(self):
        self.expect("op", "(")
        out = [self.value()]
        while self.peek()[0] == "op" and self.peek()[1] == ",":
            self.next()
            out.append(self.value())
        self.expect("op", ")")
        return out

    def value_or_list(self):
        if self.peek()[0] == "op" and self.peek()[1] == "(":
            return self.value_list()
        return [self.value()]


def eval_cmp(node, event):
    vs = values(lookup(event, node.field))
    op = node.op
    if op == "!=":
        if node.vals[0] is None:
            return bool(vs)
        return not any(equal(v, node.vals[0]) for v in vs)
    if op == "==":
        if node.vals[0] is None:
            return not vs
        return any(equal(v, node.vals[0]) for v in vs)
    if op in ("in", "in~"):
        fold = op == "in~"
        return any(equal(v, w, fold) for v in vs for w in node.vals)
    if op in (":", "like", "like~"):
        return any(p.fullmatch(as_text(v)) for v in vs for p in node.pats)
    if op in ("regex", "regex~"):
        return any(r.fullmatch(as_text(v)) for v in vs for r in node.res)
    # <, >, <=, >= on numbers
    num = [v for v in vs if isinstance(v, (int, float)) and not isinstance(v, bool)]
    w = node.vals[0]
    return any(
        {"<": v < w, ">": v > w, "<=": v <= w, ">=": v >= w}[op] for v in num
    )


def eval_node(node, event):
    k = node.kind
    if k == "and":
        return all(eval_node(p, event) for p in node.parts)
    if k == "or":
        return any(eval_node(p, event) for p in node.parts)
    if k == "not":
        return not eval_node(node.inner, event)
    if k == "const":
        return node.value
    return eval_cmp(node, event)


def conjuncts(node):
    return node.parts if node.kind == "and" else [node]


def met(node, event):
    return 1 if eval_node(node, event) else 0


def fields_of(node):
    """The field names NODE compares, in the order written."""
    if node.kind in ("and", "or"):
        return [f for p in node.parts for f in fields_of(p)]
    if node.kind == "not":
        return fields_of(node.inner)
    if node.kind == "const":
        return []
    return [node.field]


# KQL ---------------------------------------------------------------------

KQL_TOKEN = re.compile(
    r'(?P<ws>\s+)|(?P<str>"(?:[^"\\]|\\.)*")|(?P<op>[():])|(?P<word>[^\s():"]+)'
)


class KqlParser:
    """KQL as Kibana reads it: field:value clauses joined by and/or/not."""

    def __init__(self, text):
        self.text = text
        self.toks = []
        pos = 0
        while pos < len(text):
            m = KQL_TOKEN.match(text, pos)
            if not m:
                raise QueryError("unexpected character '%s'" % text[pos], pos)
            if m.lastgroup != "ws":
                self.toks.append((m.lastgroup, m.group(m.lastgroup), pos))
            pos = m.end()
        self.toks.append(("end", None, pos))
        self.i = 0

    def peek(self):
        return self.toks[self.i]

    def next(self):
        t = self.toks[self.i]
        self.i += 1
        return t

    def at(self, word):
        k, v, _ = self.peek()
        return k == "word" and v.lower() == word

    def end_of(self):
        k, v, pos = self.toks[self.i - 1]
        return pos + len(v or "")

    def query(self):
        e = self.or_expr(self.clause)
        t = self.next()
        if t[0] != "end":
            raise QueryError("unexpected '%s'" % t[1], t[2])
        return ("event", "any", e)

    def or_expr(self, leaf):
        start = self.peek()[2]
        parts = [self.and_expr(leaf)]
        while self.at("or"):
            self.next()
            parts.append(self.and_expr(leaf))
        return parts[0] if len(parts) == 1 else Node("or", (start, self.end_of()), parts=parts)

    def and_expr(self, leaf):
        start = self.peek()[2]
        parts = [self.not_expr(leaf)]
        while self.at("and"):
            self.next()
            parts.append(self.not_expr(leaf))
        return parts[0] if len(parts) == 1 else Node("and", (start, self.end_of()), parts=parts)

    def not_expr(self, leaf):
        start = self.peek()[2]
        if self.at("not"):
            self.next()
            return Node("not", (start, self.end_of()), inner=self.not_expr(leaf))
        k, v, pos = self.peek()
        if k == "op" and v == "(":
            self.next()
            e = self.or_expr(leaf)
            t = self.next()
            if t[1] != ")":
                raise QueryError("expected ')'", t[2])
            return e
        return leaf()

    def clause(self):
        k, field, pos = self.next()
        if k != "word":
            raise QueryError("expected a field, found '%s'" % (field or "end of query"), pos)
        t = self.next()
        if t[1] != ":":
            raise QueryError("expected ':' after '%s'" % field, t[2])
        self.field = field
        e = self.value_expr()
        e.span = (pos, self.end_of())
        return e

    def value_expr(self):
        k, v, pos = self.peek()
        if k == "op" and v == "(":
            self.next()
            e = self.or_expr(self.value)
            t = self.next()
            if t[1] != ")":
                raise QueryError("expected ')'", t[2])
            return e
        return self.value()

    def value(self):
        k, v, pos = self.next()
        if k == "str":
            node = Node("cmp", (pos, pos + len(v)), field=self.field, op="==",
                vals=[unescape(v[1:-1], pos + 1)])
        elif k == "word":
            if v == "*":
                node = Node("cmp", (pos, pos + 1), field=self.field, op="!=", vals=[None])
            elif "*" in v or "?" in v:
                node = Node("cmp", (pos, pos + len(v)), field=self.field, op="like",
                    vals=[v], pats=[wildcard(v, False)])
            else:
                node = Node("cmp", (pos, pos + len(v)), field=self.field, op="==",
                    vals=[v])
        else:
            raise QueryError("expected a value, found '%s'" % (v or "end of query"), pos)
        return node


# Rules -------------------------------------------------------------------


class Rule:
    def __init__(self, path):
        self.path = path
        with open(path, "rb") as f:
            d = tomllib.load(f)
        for key in ("rule_id", "name", "language", "query"):
            if key not in d:
                raise QueryError("missing '%s'" % key, None)
        self.rule_id = d["rule_id"]
        self.name = d["name"]
        self.language = d["language"]
        self.index = d.get("index", ["*"])
        self.text = d["query"]
        self.index_res = [wildcard(p, False) for p in self.index]
        if self.language == "eql":
            self.q = EqlParser(self.text).query()
        elif self.language == "kuery":
            self.q = KqlParser(self.text).query()
        else:
            raise QueryError("unknown language '%s'" % self.language, None)

    def where(self, pos):
        """FILE:LINE:COL of offset POS in the query (the query's first line
        is the line after query = ''')."""
        with open(self.path) as f:
            src = f.read()
        start = src.find(self.text)
        if pos is None or start < 0:
            return self.path
        off = start + pos
        line = src.count("\n", 0, off) + 1
        col = off - (src.rfind("\n", 0, off) + 1) + 1
        return "%s:%d:%d" % (self.path, line, col)

    def searches(self, event):
        idx = index_of(event)
        return idx is not None and any(r.fullmatch(idx) for r in self.index_res)


def index_of(event):
    """The data stream an event lands in, logs-DATASET-NAMESPACE, or None."""
    ds = lookup(event, "data_stream.dataset")
    if ds is MISSING:
        ds = lookup(event, "event.dataset")
    if not isinstance(ds, str):
        return None
    kind = lookup(event, "data_stream.type")
    ns = lookup(event, "data_stream.namespace")
    return "%s-%s-%s" % (
        kind if isinstance(kind, str) else "logs",
        ds,
        ns if isinstance(ns, str) else "default",
    )


def in_category(cat, event):
    if cat == "any":
        return True
    return any(equal(v, cat) for v in values(lookup(event, "event.category")))


def parse_time(s):
    """Seconds since the epoch of an RFC 3339 @timestamp, or None."""
    if not isinstance(s, str):
        return None
    m = re.fullmatch(r"(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)", s)
    if not m:
        return None
    frac = (m.group(2) or "0")[:6].ljust(6, "0")
    tz = "+00:00" if m.group(3) == "Z" else m.group(3)
    try:
        t = datetime.datetime.fromisoformat(m.group(1) + "." + frac + tz)
    except ValueError:
        return None
    return t.timestamp()


def keys(event, fields):
    """The join values of EVENT for FIELDS, or None when one is missing."""
    out = []
    for f in fields:
        vs = values(lookup(event, f))
        if not vs:
            return None
        out.append(json.dumps(vs, sort_keys=True))
    return tuple(out)


def run_event(rule, events):
    _, cat, expr = rule.q
    return [e for e in events if in_category(cat, e) and eval_node(expr, e)]


def run_sequence(rule, events):
    """The matched sequences (lists of events), each the earliest one
    starting at an event that matches the first stage."""
    _, by, maxspan, stages = rule.q
    flat = []
    for cat, expr, sby, runs in stages:
        flat.extend([(cat, expr, sby)] * runs)
    timed = [(parse_time(lookup(e, "@timestamp")), n, e) for n, e in enumerate(events)]
    timed = sorted((t, n, e) for t, n, e in timed if t is not None)
    hits = []
    for i, (t0, _, e0) in enumerate(timed):
        cat, expr, sby = flat[0]
        if not (in_category(cat, e0) and eval_node(expr, e0)):
            continue
        part = keys(e0, by)
        joined = keys(e0, sby) if sby else ()
        if part is None or joined is None:
            continue
        seq = [e0]
        j = i + 1
        for cat, expr, sby in flat[1:]:
            found = False
            while j < len(timed):
                t, _, e = timed[j]
                j += 1
                if maxspan is not None and t - t0 > maxspan:
                    break
                if (in_category(cat, e) and eval_node(expr, e)
                        and keys(e, by) == part
                        and (keys(e, sby) if sby else ()) == joined):
                    seq.append(e)
                    found = True
                    break
            if not found:
                break
        if len(seq) == len(flat):
            hits.append(seq)
    return hits


def explain(rule, events):
    """Why RULE did not fire: the conditions no searched event met."""
    if not events:
        return "no event in %s" % ", ".join(rule.index)
    if rule.q[0] == "event":
        stages = [(rule.q[1], rule.q[2])]
    else:
        stages = [(s[0], s[1]) for s in rule.q[3]]
    out = []
    for n, (cat, expr) in enumerate(stages):
        cand = [e for e in events if in_category(cat, e)]
        label = "" if len(stages) == 1 else "stage %d: " % (n + 1)
        if not cand:
            out.append("%sno %s event" % (label, cat))
            continue
        if any(eval_node(expr, e) for e in cand):
            out.append("%smet" % label)
            continue
        parts = conjuncts(expr)
        # the nearest event: most conditions met, and of equals the one
        # meeting the earlier ones (event.action first, as rules write it)
        best = max(cand, key=lambda e: (sum(met(p, e) for p in parts),
                                        [met(p, e) for p in parts]))
        failed = [p for p in parts if not eval_node(p, best)]
        texts = [" ".join(rule.text[p.span[0]:p.span[1]].split()) for p in failed]
        texts = [t if len(t) <= 100 else t[:97] + "..." for t in texts]
        seen = ", ".join("%s: %s" % (f, json.dumps(lookup(best, f)))
                         for f in dict.fromkeys(f for p in failed for f in fields_of(p)))
        out.append("%snot met: %s [nearest event: %s]" % (label, "; ".join(texts), seen))
    if rule.q[0] == "sequence" and all(o.endswith("met") for o in out):
        out.append("every stage met, not in order, joined or within maxspan")
    return " | ".join(out)


def load_rules(paths):
    files = []
    for p in paths:
        files.extend(sorted(glob.glob(os.path.join(p, "*.toml"))) if os.path.isdir(p) else [p])
    rules = []
    for f in files:
        try:
            rules.append(Rule(f))
        except QueryError as e:
            r = Rule.__new__(Rule)
            r.path = f
            r.text = ""
            try:
                with open(f, "rb") as fh:
                    r.text = tomllib.load(fh).get("query", "")
            except (OSError, tomllib.TOMLDecodeError):
                pass
            sys.stderr.write("%s: %s: %s\n" % (PROG, r.where(e.pos), e))
            sys.exit(2)
        except (OSError, tomllib.TOMLDecodeError) as e:
            sys.stderr.write("%s: '%s': %s\n" % (PROG, f, e))
            sys.exit(2)
    return rules


def load_events(names):
    events = []
    for name in names:
        try:
            stream = sys.stdin if name == "-" else open(name)
        except OSError as e:
            sys.stderr.write("%s: cannot open '%s': %s\n" % (PROG, name, e.strerror))
            sys.exit(2)
        for n, line in enumerate(stream, 1):
            if not line.strip():
                continue
            try:
                doc = json.loads(line)
            except ValueError as e:
                sys.stderr.write("%s: %s:%d: not JSON: %s\n" % (PROG, name, n, e))
                sys.exit(2)
            if isinstance(doc, dict):
                events.append(doc)
    return events


USAGE = "usage: %s [--rules DIR|FILE]... [--json] [--explain] [EVENTS...]\n" % PROG


def main(argv):
    rules_paths = []
    as_json = want_why = False
    names = []
    args = iter(argv[1:])
    for a in args:
        if a == "--rules":
            p = next(args, None)
            if p is None:
                sys.stderr.write(USAGE)
                return 2
            rules_paths.append(p)
        elif a == "--json":
            as_json = True
        elif a == "--explain":
            want_why = True
        elif a in ("-h", "--help"):
            sys.stdout.write(USAGE)
            return 0
        elif a.startswith("-") and a != "-":
            sys.stderr.write("%s: unknown option '%s'\n%s" % (PROG, a, USAGE))
            return 2
        else:
            names.append(a)
    rules = load_rules(rules_paths or [os.path.join(HERE, "elastic")])
    events = load_events(names or ["-"])
    firing = 0
    for r in rules:
        mine = [e for e in events if r.searches(e)]
        hits = run_event(r, mine) if r.q[0] == "event" else run_sequence(r, mine)
        firing += bool(hits)
        why = None if hits or not want_why else explain(r, mine)
        if as_json:
            rec = {"rule_id": r.rule_id, "name": r.name, "fires": bool(hits),
                "matches": len(hits), "file": os.path.basename(r.path)}
            if why is not None:
                rec["why"] = why
            print(json.dumps(rec))
        else:
            state = "fires" if hits else "quiet"
            line = "%s %s %s" % (state, r.rule_id, r.name)
            if hits:
                line += " (%d)" % len(hits)
            print(line)
            if why:
                print("    " + why)
    if not as_json:
        print("rules firing: %d/%d" % (firing, len(rules)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
