#!/usr/bin/env python3
"""fsync_cost.py — what one write-ahead sync costs on a filesystem (issue 14).

    fsync_cost.py ROUNDS DIR...

Appends a journal-sized line (270 bytes) to a new file in each DIR and syncs it, the way
the journal's write-ahead line is synced before a mutating call: fsync, fdatasync and
an O_DSYNC write, 20 lines per round, the DIRs and the ways interleaved round by round
so a busy machine slows all alike. Prints one line per DIR and way:
"DIR WAY MIN MEDIAN MAX" in ms per line (over the rounds).
"""
import os
import statistics
import sys
import time

LINE = b"x" * 269 + b"\n"
PER_ROUND = 20


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    rounds, dirs = int(sys.argv[1]), sys.argv[2:]
    ways = ["fsync", "fdatasync", "O_DSYNC"]
    fds, times = {}, {}
    for d in dirs:
        for w in ways:
            path = os.path.join(d, ".fsync-cost-%d-%s" % (os.getpid(), w))
            flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_TRUNC
            if w == "O_DSYNC":
                flags |= os.O_DSYNC
            fds[d, w] = os.open(path, flags, 0o600)
            os.unlink(path)
            times[d, w] = []
    for _ in range(rounds):
        for d in dirs:
            for w in ways:
                fd = fds[d, w]
                t = time.perf_counter()
                for _ in range(PER_ROUND):
                    os.write(fd, LINE)
                    if w == "fsync":
                        os.fsync(fd)
                    elif w == "fdatasync":
                        os.fdatasync(fd)
                times[d, w].append((time.perf_counter() - t) * 1000 / PER_ROUND)
    for (d, w), v in times.items():
        os.close(fds[d, w])
        print("%s %s %.3f %.3f %.3f" % (d, w, min(v), statistics.median(v), max(v)))


main()
