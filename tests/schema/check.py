#!/usr/bin/env python3
"""check.py SCHEMA.json FILE... — validate YAML files against a JSON Schema (draft
2020-12) with python3-jsonschema; one line per file: "ok FILE" or "bad FILE: why".
Exit 0 when every file is valid. Scalars are typed as runbook types them (YAML 1.2
core schema: core/yamljv.c), not as PyYAML's YAML 1.1 does (yes, 0755, dates)."""
import json
import re
import sys

import jsonschema
import yaml


class Loader(yaml.SafeLoader):
    pass


Loader.yaml_implicit_resolvers = {}
for tag, regex, first in [
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", list("tTfF")),
    ("tag:yaml.org,2002:int", r"^(?:[-+]?[0-9]+|0x[0-9a-fA-F]+|0o[0-7]+)$", list("-+0123456789")),
    ("tag:yaml.org,2002:float",
     r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
     list("-+0123456789.")),
]:
    Loader.add_implicit_resolver(tag, re.compile(regex), first)


def to_int(loader, node):
    s = loader.construct_scalar(node)
    if s.startswith("0x"):
        return int(s[2:], 16)
    if s.startswith("0o"):
        return int(s[2:], 8)
    return int(s, 10)


Loader.add_constructor("tag:yaml.org,2002:int", to_int)
Loader.add_constructor("tag:yaml.org,2002:timestamp", Loader.construct_yaml_str)


def main():
    with open(sys.argv[1]) as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    v = jsonschema.Draft202012Validator(schema)
    failed = 0
    for path in sys.argv[2:]:
        with open(path) as f:
            doc = yaml.load(f, Loader=Loader)
        e = jsonschema.exceptions.best_match(v.iter_errors(doc))
        if e is not None:
            failed += 1
            where = "/".join(str(p) for p in e.absolute_path)
            print(f"bad {path}: at '{where}': {e.message[:300]}")
        else:
            print(f"ok {path}")
    return 1 if failed else 0


sys.exit(main())
