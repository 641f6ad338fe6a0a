#!/usr/bin/python3
"""A gRPC server that answers what real ones never do, for the grpc prober's
hostile-server tests: HTTP/2 with prior knowledge (h2c) written by hand, each
call answered with the port's response body (by default a SERVING
HealthCheckResponse) and, in the trailers, the port's grpc-status value (any
bytes: "abc", "4294967296").

  grpc_raw_server.py PORT=STATUS[=BODY_HEX] [...]

Prints "ready" once every port listens. (No real server sends a malformed
grpc-status, and nginx 1.22 adds no trailers to a POST's answer, so this
speaks the few frames a unary call needs itself: SETTINGS, PING, the answer's
HEADERS, DATA and trailing HEADERS; header blocks are HPACK literals.)
"""
import socket
import struct
import sys
import threading

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
DATA, HEADERS, SETTINGS, PING, GOAWAY = 0, 1, 4, 6, 7
END_STREAM, ACK, END_HEADERS = 0x1, 0x1, 0x4
# HealthCheckResponse{status: SERVING}, framed: grpcio's bytes
# (tests/fixtures/grpc/serving.bin).
SERVING = b"\x00\x00\x00\x00\x02\x08\x01"


def frame(kind, flags, stream, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + \
        struct.pack(">I", stream) + payload


def literal(name, value):
    # Literal header field without indexing, new name, no Huffman (RFC 7541 6.2.2).
    assert len(name) < 127 and len(value) < 127
    return b"\x00" + bytes([len(name)]) + name + bytes([len(value)]) + value


def read_exact(conn, n):
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    return data


def serve(conn, status, body):
    try:
        if read_exact(conn, len(PREFACE)) != PREFACE:
            return
        conn.sendall(frame(SETTINGS, 0, 0))
        while True:
            head = read_exact(conn, 9)
            length = int.from_bytes(head[:3], "big")
            kind, flags = head[3], head[4]
            stream = int.from_bytes(head[5:9], "big") & 0x7FFFFFFF
            payload = read_exact(conn, length)
            if kind == SETTINGS and not flags & ACK:
                conn.sendall(frame(SETTINGS, ACK, 0))
            elif kind == PING and not flags & ACK:
                conn.sendall(frame(PING, ACK, 0, payload))
            elif kind == GOAWAY:
                return
            elif kind in (HEADERS, DATA) and flags & END_STREAM:
                # The request is complete: headers, the message, trailers.
                conn.sendall(
                    frame(HEADERS, END_HEADERS, stream,
                          b"\x88" + literal(b"content-type", b"application/grpc")) +
                    frame(DATA, 0, stream, body) +
                    frame(HEADERS, END_HEADERS | END_STREAM, stream,
                          literal(b"grpc-status", status)))
    except (ConnectionError, OSError):
        pass
    finally:
        conn.close()


def listen(port, status, body):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen(16)

    def loop():
        while True:
            conn, _ = s.accept()
            threading.Thread(target=serve, args=(conn, status, body), daemon=True).start()
    threading.Thread(target=loop, daemon=True).start()


def main():
    for arg in sys.argv[1:]:
        port, _, rest = arg.partition("=")
        status, has_body, body = rest.partition("=")
        listen(int(port), status.encode(),
               bytes.fromhex(body) if has_body else SERVING)
    print("ready", flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
