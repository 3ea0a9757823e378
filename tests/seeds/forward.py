#!/usr/bin/env python3
"""forward.py LISTEN_PORT TARGET_PORT ... — TCP forwarders on 127.0.0.1 (the seeds
harness: PostgreSQL and Redis also answer on 5432 and 6379 inside its namespace)."""
import socket
import sys
import threading


def pipe(a, b):
    try:
        while True:
            data = a.recv(65536)
            if not data:
                break
            b.sendall(data)
    except OSError:
        pass
    finally:
        for s in (a, b):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def serve(listen, target):
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", listen))
    srv.listen(64)
    while True:
        c, _ = srv.accept()
        try:
            t = socket.create_connection(("127.0.0.1", target))
        except OSError:
            c.close()
            continue
        threading.Thread(target=pipe, args=(c, t), daemon=True).start()
        threading.Thread(target=pipe, args=(t, c), daemon=True).start()


args = [int(a) for a in sys.argv[1:]]
for i in range(0, len(args) - 1, 2):
    threading.Thread(target=serve, args=(args[i], args[i + 1]), daemon=True).start()
threading.Event().wait()
