#!/usr/bin/env python3
"""phrase_pty.py RUNBOOK — issue 9: a confirmation with a `phrase` asks again after a
mistyped phrase, three tries in all, then declines (exit 4, rollback). Drives `runbook
run` on a real pseudo-terminal (stdin and stdout a pty), typing as an operator would."""
import json, os, pty, select, shutil, sys, tempfile, time

RB = os.path.realpath(sys.argv[1])
T = tempfile.mkdtemp(prefix="rb-phrase.")
fails = 0

RUNBOOK = """runbook: phrase
params: {dir: {type: string}}
steps:
  - id: prepare
    action: exec
    with: {argv: [touch, "${{ .params.dir }}/prepared"]}
    rollback:
      - action: exec
        with: {argv: [touch, "${{ .params.dir }}/undone"]}
  - id: go
    confirm: {prompt: "Delete shop-prod?", phrase: shop-prod}
  - id: after
    action: exec
    with: {argv: [touch, "${{ .params.dir }}/after"]}
"""


def check(what, cond, detail=""):
    global fails
    print(("ok   " if cond else "FAIL ") + what + ("" if cond else ": " + detail))
    if not cond:
        fails += 1


def read_more(fd, out, deadline):
    """append what the pty has to out[0]; False at EOF or past the deadline"""
    left = deadline - time.monotonic()
    if left <= 0 or not select.select([fd], [], [], left)[0]:
        return False
    try:
        data = os.read(fd, 4096)
    except OSError:              # EIO: the child closed the terminal
        return False
    out[0] += data.decode(errors="replace")
    return bool(data)


def session(name, answers):
    """run the runbook on a pty, typing each answer after each phrase prompt; returns
    (exit code, terminal text, dir, journal events)"""
    d = os.path.join(T, name)
    os.makedirs(d)
    with open(os.path.join(d, "rb.yaml"), "w") as f:
        f.write(RUNBOOK)
    pid, fd = pty.fork()
    if pid == 0:
        os.chdir(d)
        os.environ["NO_COLOR"] = "1"
        os.execv(RB, [RB, "run", "rb.yaml", "--state-dir", "state", "-p", "dir=" + d])
    out = [""]
    deadline = time.monotonic() + 60
    for n, a in enumerate(answers, 1):
        # every prompt ends with "to continue: "; wait for the n-th, then type
        while out[0].count("to continue: ") < n and read_more(fd, out, deadline):
            pass
        os.write(fd, (a + "\r").encode())
    while read_more(fd, out, deadline):   # to EOF
        pass
    _, st = os.waitpid(pid, 0)
    os.close(fd)
    rc = os.waitstatus_to_exitcode(st)
    events = []
    runs = os.path.join(d, "state", "runs")
    for r in os.listdir(runs) if os.path.isdir(runs) else []:
        with open(os.path.join(runs, r, "journal.jsonl")) as f:
            events += [json.loads(l) for l in f if l.strip()]
    return rc, out[0], d, events


def confirm_ev(events):
    ev = [e for e in events if e.get("event") == "confirm" and e.get("status") != "prompt"]
    return ev[-1] if ev else {}


try:
    rc, text, d, events = session("approved", ["shop-prdo", "shop_prod", "shop-prod"])
    check("two mistyped phrases then the right one: approved, exit 0", rc == 0, "exit %d\n%s" % (rc, text))
    check("asked again after a mistyped phrase, saying how many tries remain",
          "2 tries left" in text and "1 try left" in text, text)
    check("the step after the confirmation ran", os.path.exists(os.path.join(d, "after")))
    ev = confirm_ev(events)
    check("journal: approved on the third try", ev.get("status") == "approved" and ev.get("tries") == 3, str(ev))

    rc, text, d, events = session("declined", ["nope", "shop-prod ", "SHOP-PROD"])
    check("three mistyped phrases: declined, exit 4", rc == 4, "exit %d\n%s" % (rc, text))
    check("the terminal says it declined", "declined" in text, text)
    check("the step after the confirmation did not run", not os.path.exists(os.path.join(d, "after")))
    check("the completed step was rolled back", os.path.exists(os.path.join(d, "undone")))
    ev = confirm_ev(events)
    check("journal: declined after 3 tries", ev.get("status") == "declined" and ev.get("tries") == 3, str(ev))
finally:
    shutil.rmtree(T, ignore_errors=True)
sys.exit(1 if fails else 0)
