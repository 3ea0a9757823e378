#!/usr/bin/python3
"""blackhole.py [SECONDS] — a loopback port where connections hang (an unreachable host
without needing a network): a listening socket whose accept queue is full, so the
kernel drops further SYNs. Prints the port, then holds it for SECONDS (default 300)."""
import socket
import sys
import time

s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(0)
port = s.getsockname()[1]
fill = []
for _ in range(4):
    c = socket.socket()
    c.setblocking(False)
    try:
        c.connect(("127.0.0.1", port))
    except BlockingIOError:
        pass
    fill.append(c)
time.sleep(0.2)
print(port, flush=True)
sys.stdout.close()
time.sleep(float(sys.argv[1]) if len(sys.argv) > 1 else 300)
