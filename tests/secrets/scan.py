#!/usr/bin/env python3
"""scan.py — find seeded secret values, in every form they take, in files.

usage: scan.py [--allow FILE]... SEEDS FILE_OR_DIR...

SEEDS is a list of secret values, one per line (`#` comments and blank lines skipped;
a line `NAME VALUE` uses VALUE). Every file under each path is searched, as bytes, for
each value: as is, JSON-escaped (also with \\uXXXX and twice), URL-encoded (%XX upper
and lower case, `+` for a space), base64 and base64url of the value after each of the
prefixes '', 'user:', 'root:', 'bob:', 'admin:', 'x', 'xy' (padded and not), the
aligned middle parts of base64/base64url at the three alignments (any prefix), and hex.
--allow FILE: a file allowed to hold the values (a secret's own store): only if it is
mode 0600 (else it counts as hits). Prints one line per hit; exit 1 if any.
"""
import base64
import json
import os
import re
import stat
import sys
import urllib.parse

PREFIXES = ["", "user:", "root:", "bob:", "admin:", "x", "xy"]


def b64(data, url):
    enc = base64.urlsafe_b64encode(data) if url else base64.b64encode(data)
    return enc


def forms(value):
    raw = value.encode()
    out = {"plain": raw}
    esc = json.dumps(value, ensure_ascii=False)[1:-1]
    out["json"] = esc.encode()
    out["json-ascii"] = json.dumps(value)[1:-1].encode()
    out["json-twice"] = json.dumps(esc, ensure_ascii=False)[1:-1].encode()
    out["uri"] = urllib.parse.quote(value, safe="-_.~").encode()
    out["uri-lower"] = re.sub(rb"%[0-9A-F]{2}", lambda m: m.group(0).lower(), out["uri"])
    out["form"] = urllib.parse.quote_plus(value, safe="-_.~").encode()
    for url in (0, 1):
        name = "base64url" if url else "base64"
        for p in PREFIXES:
            full = b64(p.encode() + raw, url)
            out["%s(%r+secret)" % (name, p)] = full
            out["%s(%r+secret) unpadded" % (name, p)] = full.rstrip(b"=")
        for k in range(3):
            whole = (len(raw) - k) // 3 * 3
            if whole >= 6:
                out["%s middle at alignment %d" % (name, k)] = b64(raw[k:k + whole], url)
    out["hex"] = raw.hex().encode()
    out["HEX"] = raw.hex().upper().encode()
    # forms identical to another are reported once
    seen, uniq = set(), {}
    for k, v in out.items():
        if v not in seen and len(v) >= 3:
            seen.add(v)
            uniq[k] = v
    return uniq


def read_seeds(path):
    seeds = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            parts = line.split(None, 1)
            seeds.append(parts[1] if len(parts) == 2 else parts[0])
    return seeds


def files_under(path):
    if os.path.isdir(path) and not os.path.islink(path):
        for root, dirs, names in os.walk(path):
            for n in sorted(names):
                yield os.path.join(root, n)
    else:
        yield path


def main(argv):
    allow = set()
    args = []
    i = 0
    while i < len(argv):
        if argv[i] == "--allow":
            allow.add(os.path.realpath(argv[i + 1]))
            i += 2
        else:
            args.append(argv[i])
            i += 1
    if len(args) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    seeds = read_seeds(args[0])
    table = [(s, name, f) for s in seeds for name, f in forms(s).items()]
    hits = scanned = 0
    for path in args[1:]:
        for f in files_under(path):
            if os.path.islink(f) or not os.path.isfile(f):
                continue
            try:
                with open(f, "rb") as fh:
                    data = fh.read()
            except OSError as e:
                print("scan: cannot read %s: %s" % (f, e), file=sys.stderr)
                hits += 1
                continue
            scanned += 1
            allowed = os.path.realpath(f) in allow and stat.S_IMODE(os.stat(f).st_mode) == 0o600
            for seed, name, form in table:
                if form in data:
                    if allowed:
                        continue
                    hits += 1
                    # where, not what: the report itself must not carry the secret
                    at = data.find(form)
                    line = data.count(b"\n", 0, at) + 1
                    print("HIT %s:%d: seed #%d as %s (%d bytes at offset %d)" % (f, line, seeds.index(seed) + 1,
                          name, len(form), at))
    print("scan: %d files, %d seeds, %d forms each at most, %d hits" % (scanned, len(seeds),
          max((len(forms(s)) for s in seeds), default=0), hits))
    return 1 if hits else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
