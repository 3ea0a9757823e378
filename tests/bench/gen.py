#!/usr/bin/env python3
"""gen.py — generate a large, valid runbook for the benchmarks.

    gen.py mix N        N steps of a realistic mix (exec steps with ${{ }} templates,
                        outputs read by later steps, fan-in needs, when, rollback,
                        asserts), every reference to an ancestor
    gen.py true N       N exec `true` steps in document order (engine overhead)
    gen.py true-par N   N independent exec `true` steps (needs: [])
    gen.py log N        N `log` steps in document order (engine overhead, no process)
"""
import sys


def mix(n):
    out = ["runbook: bench-mix",
           "description: generated benchmark runbook",
           "params:",
           "  region: {type: string, default: us-east-1}",
           "  enabled: {type: bool, default: true}",
           "  count: {type: int, default: 3}",
           "steps:"]
    for i in range(n):
        sid = "s%d" % i
        lines = ["  - id: %s" % sid]
        if i % 50 == 49:
            lines += ["    assert:",
                      "      - that: .params.count > 0 and .steps.s%d.status == \"succeeded\"" % (i - 1),
                      "        message: \"count is ${{ .params.count }}\""]
            out += lines
            continue
        if i % 10 == 9 and i >= 2:
            # fan-in: explicit edges to the two steps before
            lines.append("    needs: [s%d, s%d]" % (i - 2, i - 1))
        if i % 7 == 3:
            lines.append("    when: .params.enabled")
        lines.append("    action: exec")
        if i % 5 == 1 and i >= 1 and (i - 1) % 50 != 49:
            # reads the output of the step before (an ancestor: implicit edge)
            arg = "\"${{ .steps.s%d.outputs.v }}-%d\"" % (i - 1, i)
        elif i % 3 == 0:
            arg = "\"${{ .params.region }}/table-%d\"" % i
        else:
            arg = "row-%d" % i
        lines.append("    with: {argv: [echo, %s], read_only: true}" % arg)
        if i % 5 == 0:
            lines += ["    outputs:", "      v: .result.stdout | rtrimstr(\"\\n\")"]
        if i % 20 == 0:
            lines += ["    rollback:",
                      "      - action: exec",
                      "        with: {argv: [echo, \"undo ${{ .params.region }} %d\"]}" % i]
        if i % 25 == 0:
            lines.append("    retry: {attempts: 3, delay: 1s, backoff: 2}")
        out += lines
    return "\n".join(out) + "\n"


def true_steps(n, parallel):
    out = ["runbook: bench-true", "steps:"]
    for i in range(n):
        out.append("  - id: t%d" % i)
        if parallel:
            out.append("    needs: []")
        out.append("    action: exec")
        out.append("    with: {argv: [\"true\"]}")
    return "\n".join(out) + "\n"


def log_steps(n):
    out = ["runbook: bench-log", "steps:"]
    for i in range(n):
        out += ["  - id: l%d" % i, "    action: log", "    with: {message: \"step %d\"}" % i]
    return "\n".join(out) + "\n"


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    kind, n = sys.argv[1], int(sys.argv[2])
    if kind == "mix":
        sys.stdout.write(mix(n))
    elif kind == "true":
        sys.stdout.write(true_steps(n, False))
    elif kind == "log":
        sys.stdout.write(log_steps(n))
    elif kind == "true-par":
        sys.stdout.write(true_steps(n, True))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
