#!/usr/bin/env python3
"""A TCP listener that accepts every connection and never answers.

usage: silent_listener.py PORT

Listens on 127.0.0.1:PORT (backlog 8192). Each accepted connection is kept
open and read (what the peer sends is dropped) until the peer closes it;
nothing is ever written. For bench/blackbox.sh: tcp probes against it wait
for an answer that never comes, until their timeout.
"""
import selectors
import socket
import sys


def main():
    port = int(sys.argv[1])
    sel = selectors.DefaultSelector()
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", port))
    srv.listen(8192)
    srv.setblocking(False)
    sel.register(srv, selectors.EVENT_READ)
    while True:
        for key, _ in sel.select():
            s = key.fileobj
            if s is srv:
                while True:
                    try:
                        conn, _ = srv.accept()
                    except (BlockingIOError, InterruptedError):
                        break
                    except OSError:  # out of descriptors: retry later
                        break
                    conn.setblocking(False)
                    sel.register(conn, selectors.EVENT_READ)
                continue
            try:
                data = s.recv(65536)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:
                data = b""
            if not data:
                sel.unregister(s)
                s.close()


if __name__ == "__main__":
    main()
