#!/usr/bin/python3
# Validates policy files against share/schema/policy.schema.json as an
# editor's YAML language server would: YAML 1.2 core scalars (so 'yes' and
# 'on' are strings and '1' a number, as for d4c), then JSON Schema draft-07.
#
#   schema-validate.py SCHEMA FILE...
#
# Prints "FILE: valid", "FILE: invalid: PATH: MESSAGE" (one line per schema
# error) or "FILE: yaml: MESSAGE" for a file the YAML reader refuses before
# any schema applies (syntax, aliases, duplicate keys, several documents,
# non-scalar keys). Exit status: 0 all valid, 1 some schema error, 3 some
# YAML refusal (and no schema error), 2 usage.
import json
import re
import sys

import jsonschema
import yaml


class Core12Loader(yaml.SafeLoader):
    """PyYAML reads YAML 1.1 (yes/on/no/off booleans, sexagesimal numbers,
    timestamps, merge keys); editors and d4c read YAML 1.2 core scalars."""


Core12Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers
            if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:int",
                           "tag:yaml.org,2002:float", "tag:yaml.org,2002:null",
                           "tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:merge",
                           "tag:yaml.org,2002:value")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
Core12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""])
Core12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"))
Core12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$"),
    list("-+0123456789"))
Core12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
               r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"),
    list("-+.0123456789"))


def construct_int(loader, node):
    v = loader.construct_scalar(node)
    if v.startswith("0o"):
        return int(v[2:], 8)
    return int(v, 0) if v.startswith("0x") else int(v, 10)


Core12Loader.add_constructor("tag:yaml.org,2002:int", construct_int)


def compose_node(self, parent, index):
    # Aliases: refused, as d4c does (a billion-laughs file is never expanded).
    if self.check_event(yaml.AliasEvent):
        event = self.peek_event()
        raise yaml.composer.ComposerError(None, None, "YAML alias is not allowed",
                                          event.start_mark)
    return yaml.SafeLoader.compose_node(self, parent, index)


def construct_mapping(self, node, deep=False):
    # Duplicate keys: editors flag them; PyYAML would silently keep the last.
    seen = set()
    for key_node, _ in node.value:
        key = self.construct_object(key_node, deep=deep)
        if isinstance(key, (list, dict)):
            raise yaml.constructor.ConstructorError(None, None, "non-scalar mapping key",
                                                    key_node.start_mark)
        if key in seen:
            raise yaml.constructor.ConstructorError(None, None, "duplicate key %r" % key,
                                                    key_node.start_mark)
        seen.add(key)
    return yaml.SafeLoader.construct_mapping(self, node, deep)


Core12Loader.compose_node = compose_node
Core12Loader.construct_mapping = construct_mapping


def main(argv):
    if len(argv) < 3:
        print("usage: schema-validate.py SCHEMA FILE...", file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as f:
        schema = json.load(f)
    jsonschema.Draft7Validator.check_schema(schema)
    validator = jsonschema.Draft7Validator(schema)
    rc = 0
    for path in argv[2:]:
        try:
            with open(path, encoding="utf-8") as f:
                doc = yaml.load(f, Loader=Core12Loader)
        except (yaml.YAMLError, RecursionError, UnicodeDecodeError) as e:
            print("%s: yaml: %s" % (path, " ".join(str(e).split())))
            rc = rc or 3
            continue
        errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
        if not errors:
            print("%s: valid" % path)
            continue
        rc = 1
        for e in errors:
            where = "/".join(str(p) for p in e.absolute_path) or "(top)"
            msg = " ".join(e.message.split())
            if len(msg) > 200:  # long values: keep both ends, where the verdict is
                msg = msg[:100] + "..." + msg[-90:]
            print("%s: invalid: %s: %s" % (path, where, msg))
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv))
