#!/usr/bin/env python3
"""run.py RUNBOOK SRCROOT — the corpus of invalid inputs (issue 8), run through the binary.

tests/invalid/cases.tsv holds one case a line, tab-separated:

    ID  COMMAND  INPUT  EXIT  MESSAGE

  COMMAND  runbook's arguments, split on spaces; {} is the input's path and
           {arg:NAME} a generated argument (GENERATORS below, for bytes that cannot be
           written in the manifest: non-UTF-8, 100 KB values)
  INPUT    a file under SRCROOT, gen:NAME (written to a scratch folder by GENERATORS:
           binary, huge, deeply nested inputs), or - for none
  EXIT     the wanted exit status (2: invalid input)
  MESSAGE  the start of the first line of stderr; {} is the input's path, * any text

A case fails when the exit status differs (a crash, a sanitizer report, a hang past the
timeout, exit 0 or 1), when anything is printed on stdout, when the message does not
match, or when a state folder appeared (nothing may run: RUNBOOK_STATE_DIR, ./.runbook
and HOME are watched).

tests/invalid/pending.txt lists cases expected to fail until another change lands
("ID  reason"): they are run with a memory cap and reported as pending instead of
failing. A pending case that passes is reported so its line can be removed.

RUNBOOK_BLESS=1 prints, for every case whose message column is "?", the line to put
there (read them before committing).
"""
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile

TIMEOUT = int(os.environ.get("INVALID_TIMEOUT", "60"))
PENDING_TIMEOUT = 15


# ---------------------------------------------------------------- generated inputs

def rb(steps, head="runbook: t\n"):
    return (head + "steps:\n" + steps).encode()


LOG = "  - {id: a, action: log, with: {message: hi}}\n"


def bomb_anchors(indent="  ", levels=9):
    out = [indent + "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for i in range(1, levels + 1):
        out.append(indent + "a%d: &a%d [%s]" % (i, i, ", ".join(["*a%d" % (i - 1)] * 10)))
    return "\n".join(out) + "\n"


def deep(n, open_, close=""):
    return open_ * n + close * n


def uses_fanout(d):
    """6 levels of runbooks, each using the next 10 times: 10^6 loads"""
    for lvl in range(6, -1, -1):
        if lvl == 6:
            body = "runbook: leaf\nsteps:\n" + LOG
        else:
            body = "runbook: l%d\nsteps:\n" % lvl + "".join(
                "  - {id: u%d, uses: ./l%d.yaml}\n" % (i, lvl + 1) for i in range(10))
        with open(os.path.join(d, "l%d.yaml" % lvl), "w") as f:
            f.write(body)
    return os.path.join(d, "l0.yaml")


GENERATORS = {
    # bytes
    "binary": lambda: bytes(random.Random(8).getrandbits(8) for _ in range(4096)),
    "binary-zeros": lambda: b"\0" * 4096,
    "elf": lambda: b"\x7fELF\x02\x01\x01\0" + bytes(range(256)) * 8,
    "gzip": lambda: b"\x1f\x8b\x08\0\0\0\0\0\0\x03" + bytes(random.Random(3).getrandbits(8) for _ in range(512)),
    "png": lambda: b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR" + b"\0" * 64,
    "utf16le": lambda: b"\xff\xfe" + "runbook: t\nsteps: []\n".encode("utf-16-le"),
    "utf16be": lambda: b"\xfe\xff" + "runbook: t\nsteps: []\n".encode("utf-16-be"),
    "utf32le": lambda: b"\xff\xfe\0\0" + "runbook: t\n".encode("utf-32-le"),
    "nul-in-value": lambda: rb("  - {id: a, action: log, with: {message: \"a\0b\"}}\n"),
    "nul-in-key": lambda: rb("  - {id: a, act\0ion: log, with: {message: hi}}\n"),
    "nul-first": lambda: b"\0" + rb(LOG),
    "nul-after-doc": lambda: rb(LOG) + b"\0\0\0",
    "latin1-value": lambda: b"runbook: t\nsteps:\n  - {id: a, action: log, with: {message: \"caf\xe9\"}}\n",
    "latin1-key": lambda: b"runbook: t\nstep\xe9s: []\nsteps:\n" + LOG.encode(),
    "overlong-utf8": lambda: b"runbook: \"a\xc0\xafb\"\nsteps:\n" + LOG.encode(),
    "surrogate-utf8": lambda: b"runbook: t\ndescription: \"\xed\xa0\x80\"\nsteps:\n" + LOG.encode(),
    "five-byte-utf8": lambda: b"runbook: t\ndescription: \xf8\x88\x80\x80\x80\nsteps:\n" + LOG.encode(),
    "truncated-utf8": lambda: rb(LOG) + b"# \xe2\x82",
    "escape-char": lambda: b"runbook: t\ndescription: a\x1bb\nsteps:\n" + LOG.encode(),
    "del-char": lambda: b"runbook: t\ndescription: a\x7fb\nsteps:\n" + LOG.encode(),
    "cr-only": lambda: b"runbook: t\rsteps:\r  - {id: a, action: nosuch}\r",
    "bom-utf8-twice": lambda: b"\xef\xbb\xbf\xef\xbb\xbf" + rb(LOG),
    # size
    "long-line": lambda: rb("  - {id: a, action: log, with: {message: hi}, " + "k" * (1 << 20) + ": 1}\n"),
    "long-key": lambda: b"runbook: t\n" + b"K" * 100000 + b": 1\nsteps:\n" + LOG.encode(),
    "long-id": lambda: rb("  - {id: " + "a" * 10000 + "-, action: log, with: {message: hi}}\n"),
    "long-action": lambda: rb("  - {id: a, action: " + "x" * 65536 + ", with: {message: hi}}\n"),
    "long-param-name": lambda: ("runbook: t\nparams:\n  " + "P" * 70000 + ": {type: string}\nsteps:\n" + LOG).encode(),
    "many-dup-keys": lambda: ("runbook: t\nx-map:\n" + "".join("  k%d: %d\n" % (i, i) for i in range(20000)) + "  k0: again\nsteps:\n" + LOG).encode(),
    "too-large": lambda: b"# padding\n" * ((64 << 20) // 10 + 16),
    "deep-seq": lambda: deep(100000, "[").encode(),
    "deep-map": lambda: deep(100000, "{").encode(),
    "deep-seq-closed": lambda: deep(100000, "[", "]").encode(),
    "deep-mixed": lambda: ("a: " + "[{b: " * 50000).encode(),
    "deep-in-with": lambda: rb("  - {id: a, action: log, with: {message: " + deep(100000, "[", "]") + "}}\n"),
    "deep-block-map": lambda: ("runbook: t\nsteps:\n" + "".join("  " * i + "k%d:\n" % i for i in range(1, 400))).encode(),
    "deep-block-seq": lambda: ("runbook: t\nsteps:\n" + "- " * 400 + "x\n").encode(),
    "deep-closers": lambda: (rb(LOG) + b"]" * 100000),
    "many-steps-dup-id": lambda: rb("".join("  - {id: s%d, action: log, with: {message: hi}}\n" % i for i in range(20000)) + "  - {id: s7, action: log, with: {message: hi}}\n"),
    # bombs (alias expansion)
    "bomb-param-default": lambda: ("runbook: t\nx-bomb:\n" + bomb_anchors() + "params:\n  p: {type: list, default: *a9}\nsteps:\n" + LOG).encode(),
    "bomb-log-message": lambda: ("runbook: t\nx-bomb:\n" + bomb_anchors() + "steps:\n  - {id: a, action: log, with: {message: *a9}}\n").encode(),
    "bomb-exec-env": lambda: ("runbook: t\nx-bomb:\n" + bomb_anchors() + "steps:\n  - {id: a, action: exec, with: {argv: [true], env: {X: *a9}}}\n").encode(),
    "bomb-quadratic": lambda: ("runbook: t\nx-big: &big [" + ", ".join(["xxxxxxxxxx"] * 20000) + "]\nparams:\n  p: {type: list, default: [" + ", ".join(["*big"] * 20000) + "]}\nsteps:\n" + LOG).encode(),
    "bomb-params-file": lambda: ("x-bomb:\n" + bomb_anchors() + "tables: *a9\n").encode(),
    "bomb-scenario": lambda: ("scenario: s\nx-bomb:\n" + bomb_anchors() + "secrets: *a9\n").encode(),
    # params files
    "pf-binary": lambda: bytes(random.Random(5).getrandbits(8) for _ in range(2048)),
    "pf-nul": lambda: b"instance: db\0x\n",
    "pf-latin1": lambda: b"instance: caf\xe9\n",
    "pf-deep": lambda: ("tables: " + deep(100000, "[")).encode(),
    "pf-deep-json": lambda: ("{\"tables\": " + deep(100000, "[", "]") + "}").encode(),
    "pf-long-value": lambda: ("instance: " + "a" * (1 << 20) + "_\n").encode(),
    "pf-utf16": lambda: b"\xff\xfe" + "instance: db\n".encode("utf-16-le"),
    # scenarios
    "sc-binary": lambda: bytes(random.Random(11).getrandbits(8) for _ in range(2048)),
    "sc-nul": lambda: b"scenario: s\0\nsecrets: []\n",
    "sc-latin1": lambda: b"scenario: caf\xe9\n",
    "sc-deep-1000": lambda: ("scenario: s\nsecrets: " + deep(1000, "[")).encode(),
    "sc-deep-1e5": lambda: ("scenario: s\nsecrets: " + deep(100000, "[", "]")).encode(),
    "sc-long-key": lambda: ("scenario: s\n" + "k" * 100000 + ": 1\n").encode(),
    "sc-utf16": lambda: b"\xff\xfe" + "scenario: s\n".encode("utf-16-le"),
    # arguments (-p values)
    "arg-deep-list": lambda: "tables=" + "[" * 100000,
    "arg-long-instance": lambda: "instance=" + "a" * 100000 + "_",
    "arg-latin1": lambda: os.fsdecode(b"instance=caf\xe9"),
    "arg-long-name": lambda: "x" * 100000 + "=1",
}
# generators that write several files into a folder and return the main one
DIR_GENERATORS = {
    "uses-fanout": uses_fanout,
}


# ---------------------------------------------------------------- running

def load_cases(path):
    cases = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            cols = line.split("\t")
            if len(cols) != 5:
                sys.exit("%s:%d: want 5 tab-separated columns, got %d" % (path, n, len(cols)))
            cases.append(cols)
    return cases


def load_pending(path):
    pending = {}
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            for line in f:
                line = line.split("#", 1)[0].strip()
                if line:
                    words = line.split(None, 1)
                    pending[words[0]] = words[1] if len(words) > 1 else "its fix"
    return pending


def pattern(msg, path):
    parts = msg.replace("{}", "\0").split("*")
    rx = ".*".join(re.escape(p).replace("\\\0", "\0").replace("\0", re.escape(path)) for p in parts)
    return re.compile(rx, re.S)


def uses_asan(exe):
    try:
        out = subprocess.run(["ldd", exe], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return False
    return "libasan" in out


def main():
    exe = os.path.abspath(sys.argv[1])
    src = sys.argv[2]
    os.chdir(src)
    here = "tests/invalid"
    cases = load_cases(os.path.join(here, "cases.tsv"))
    pending = load_pending(os.path.join(here, "pending.txt"))
    bless = bool(os.environ.get("RUNBOOK_BLESS"))
    only = set(sys.argv[3:])
    asan = uses_asan(exe)
    tmp = tempfile.mkdtemp(prefix="runbook-invalid-")
    ids = set()
    npass = nfail = npend = 0
    try:
        for cid, command, inp, want, msg in cases:
            if cid in ids:
                print("FAIL %s: the id is used twice in cases.tsv" % cid)
                nfail += 1
                continue
            ids.add(cid)
            if only and cid not in only:
                continue
            work = os.path.join(tmp, cid)
            os.makedirs(work)
            if inp == "-":
                path = ""
            elif inp.startswith("gen:"):
                name = inp[4:]
                if name in DIR_GENERATORS:
                    path = DIR_GENERATORS[name](work)
                else:
                    path = os.path.join(work, name + ".yaml")
                    with open(path, "wb") as f:
                        f.write(GENERATORS[name]())
            else:
                path = inp
            argv = [exe]
            for w in command.split(" "):
                if w.startswith("{arg:") and w.endswith("}"):
                    argv.append(GENERATORS[w[5:-1]]())
                else:
                    argv.append(w.replace("{}", path))
            home = os.path.join(work, "home")
            os.makedirs(home)
            state = os.path.join(work, "state")
            env = dict(os.environ, NO_COLOR="1", HOME=home, RUNBOOK_STATE_DIR=state)
            env.pop("RUNBOOK_PATH", None)
            is_pending = cid in pending
            limit = PENDING_TIMEOUT if is_pending else TIMEOUT
            preexec = None
            if is_pending:
                # a bomb must not take the machine down while it is still pending
                if asan:
                    env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "") + ":hard_rss_limit_mb=768"
                else:
                    import resource

                    def preexec():
                        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))
            dot_before = os.path.exists(".runbook")
            try:
                r = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, env=env,
                                   timeout=limit, preexec_fn=preexec)
                rc, out, err = r.returncode, r.stdout, r.stderr
            except subprocess.TimeoutExpired as e:
                rc, out, err = "timeout (%d s)" % limit, e.stdout or b"", e.stderr or b""
            first = err.decode("utf-8", "replace").split("\n", 1)[0]
            problems = []
            if rc != int(want):
                problems.append("exit %s, wanted %s" % (rc, want))
            if out:
                problems.append("printed %d bytes on stdout: %r" % (len(out), out[:200]))
            if b"Sanitizer" in err or b"runtime error:" in err:
                problems.append("sanitizer report")
            if os.path.exists(state) or (not dot_before and os.path.exists(".runbook")) or os.listdir(home):
                problems.append("a state folder was created (something ran)")
            if msg == "?":
                if bless:
                    shown = first.replace(path, "{}") if path else first
                    print("BLESS %s\t%s" % (cid, shown[:100]))
                problems.append("no message in cases.tsv (run with RUNBOOK_BLESS=1)")
            elif not pattern(msg, path).match(first):
                problems.append("first line of stderr %r does not start with %r" % (first[:300], msg))
            if is_pending:
                if problems:
                    npend += 1
                    print("pending %s (expected to pass once %s lands): %s" % (cid, pending[cid], problems[0]))
                else:
                    npass += 1
                    print("ok %s, though pending.txt lists it: remove its line" % cid)
            elif problems:
                nfail += 1
                print("FAIL %s: %s %s" % (cid, command, inp))
                for p in problems:
                    print("    " + p)
                if err and "first line" not in problems[-1]:
                    print("    stderr: %r" % err[:300])
            else:
                npass += 1
            shutil.rmtree(work, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    unknown = set(pending) - ids
    for cid in sorted(unknown):
        print("FAIL pending.txt names %s, which is not in cases.tsv" % cid)
        nfail += 1
    print("invalid corpus: %d passed, %d failed, %d pending (of %d cases)" % (npass, nfail, npend, len(cases)))
    return 1 if nfail or npass == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
