#!/usr/bin/env python3
"""timeit.py RUNS CMD... — run CMD RUNS times (stdin /dev/null, stdout discarded) and
print "WALL_MS CPU_MS": the medians of wall time and of CPU time (user + system of the
child and its children). Exits 1 with the command's stderr if a run fails."""
import os
import resource
import statistics
import subprocess
import sys
import time


def main():
    runs = int(sys.argv[1])
    cmd = sys.argv[2:]
    walls, cpus = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE)
        t1 = time.perf_counter()
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if p.returncode != 0:
            sys.stderr.write("timeit: %s exited %d\n%s" % (" ".join(cmd), p.returncode,
                             p.stderr.decode(errors="replace")[-2000:]))
            sys.exit(1)
        walls.append((t1 - t0) * 1000)
        cpus.append(((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)) * 1000)
    print("%.1f %.1f" % (statistics.median(walls), statistics.median(cpus)))


if __name__ == "__main__":
    main()
