#!/usr/bin/python3
"""split_proxy.py PGPORT [PAUSE_MS [BIND]] — a TCP proxy to PostgreSQL on 127.0.0.1 that
listens on BIND (default 127.0.0.1), forwards the server's replies one protocol message at
a time and pauses PAUSE_MS (default 300) after each ErrorResponse ('E'). A cancelled query's error result then reaches the client well
before its ReadyForQuery, every time: the interleaving that made the cancel path of
pg_conn.c report "did not stop the query" and leak its first error only now and then.
With a BIND that is not loopback it stands for a remote server (tests/pg/pg_tls.sh).
Prints the proxy's port, then serves until killed. Needs sslmode=disable (no SSLRequest)."""
import socket
import struct
import sys
import threading
import time

UPSTREAM = ("127.0.0.1", int(sys.argv[1]))
PAUSE = (float(sys.argv[2]) if len(sys.argv) > 2 else 300) / 1000


def recv_exact(s, n):
    b = b""
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c:
            raise EOFError
        b += c
    return b


def client_to_server(c, u):
    try:
        while True:
            d = c.recv(65536)
            if not d:
                break
            u.sendall(d)
    except OSError:
        pass
    for s in (u, c):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def server_to_client(u, c):
    # every server message is typed: 1 byte type, 4 bytes length (itself included)
    try:
        while True:
            head = recv_exact(u, 5)
            (n,) = struct.unpack("!I", head[1:])
            c.sendall(head + recv_exact(u, n - 4))
            if head[:1] == b"E":
                time.sleep(PAUSE)
    except (EOFError, OSError):
        pass
    for s in (u, c):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def serve(c):
    try:
        u = socket.create_connection(UPSTREAM)
    except OSError:
        c.close()
        return
    for s in (u, c):
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    threading.Thread(target=client_to_server, args=(c, u), daemon=True).start()
    threading.Thread(target=server_to_client, args=(u, c), daemon=True).start()


ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind((sys.argv[3] if len(sys.argv) > 3 else "127.0.0.1", 0))
ls.listen(16)
print(ls.getsockname()[1], flush=True)
sys.stdout.close()
while True:
    conn, _ = ls.accept()
    serve(conn)
