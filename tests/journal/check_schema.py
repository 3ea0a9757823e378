#!/usr/bin/env python3
"""check_schema.py SCHEMA JOURNAL... — every line of every journal is valid against
the JSON Schema `runbook schema events` printed (python3-jsonschema). Prints the event
kinds seen, one per line, to the file named by $SEEN when set."""
import json
import os
import sys

import jsonschema

schema = json.load(open(sys.argv[1]))
cls = jsonschema.validators.validator_for(schema)
cls.check_schema(schema)
validator = cls(schema)
bad = n = 0
seen = set()
for path in sys.argv[2:]:
    for i, line in enumerate(open(path), 1):
        if not line.strip():
            continue
        n += 1
        ev = json.loads(line)
        seen.add(ev.get("event"))
        for err in sorted(validator.iter_errors(ev), key=lambda e: list(e.path)):
            bad += 1
            where = "/".join(map(str, err.path)) or "(event)"
            print(f"{path}:{i}: {ev.get('event')}: {where}: {err.message}"[:400])
if os.environ.get("SEEN"):
    with open(os.environ["SEEN"], "w") as f:
        f.write("".join(f"{k}\n" for k in sorted(seen, key=str)))
print(f"{n} events in {len(sys.argv) - 2} journals checked, {bad} errors")
sys.exit(1 if bad or n == 0 else 0)
