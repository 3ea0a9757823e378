#!/usr/bin/env python3
"""confirm_pty.py RUNBOOK FILE DIR — `runbook drill FILE --live` on a real pseudo-terminal:
the confirmation is asked on the terminal (a drill never approves by itself), answered
"y" as an operator would; the drill then ends with its objectives met (exit 0), the
approval journaled as given on the terminal, the drill registered."""
import json, os, pty, select, sys, time

RB, FILE, D = os.path.realpath(sys.argv[1]), os.path.realpath(sys.argv[2]), sys.argv[3]
os.makedirs(D)
pid, fd = pty.fork()
if pid == 0:
    os.chdir(D)
    os.environ["NO_COLOR"] = "1"
    os.execv(RB, [RB, "drill", FILE, "--live", "--state-dir", "state", "-p", "dir=" + D])
out, deadline, typed = "", time.monotonic() + 60, False
while time.monotonic() < deadline:
    if not select.select([fd], [], [], max(0, deadline - time.monotonic()))[0]:
        break
    try:
        data = os.read(fd, 4096)
    except OSError:              # EIO: the child closed the terminal
        break
    if not data:
        break
    out += data.decode(errors="replace")
    if not typed and "[y/N]" in out:
        os.write(fd, b"y\r")
        typed = True
_, st = os.waitpid(pid, 0)
os.close(fd)
rc = os.waitstatus_to_exitcode(st)
fails = []
if not typed:
    fails.append("the confirmation was never asked on the terminal")
if rc != 0:
    fails.append("exit %d" % rc)
if not os.path.exists(os.path.join(D, "after")):
    fails.append("the step after the confirmation did not run")
events = []
runs = os.path.join(D, "state", "runs")
for r in os.listdir(runs) if os.path.isdir(runs) else []:
    with open(os.path.join(runs, r, "journal.jsonl")) as f:
        events += [json.loads(l) for l in f if l.strip()]
conf = [e for e in events if e.get("event") == "confirm" and e.get("status") == "approved"]
if not conf or conf[-1].get("how") != "terminal":
    fails.append("journal: no approval on the terminal: %s" % conf)
try:
    with open(os.path.join(D, "state", "drills.jsonl")) as f:
        reg = [json.loads(l) for l in f]
    if len(reg) != 1 or reg[0]["mode"] != "live" or reg[0]["met"] is not True:
        fails.append("register: %s" % reg)
except OSError as e:
    fails.append("register: %s" % e)
if "result: objectives met (exit 0)" not in out:
    fails.append("no drill summary on the terminal")
for f in fails:
    print("FAIL " + f)
if fails:
    print(out[-3000:])
sys.exit(1 if fails else 0)
