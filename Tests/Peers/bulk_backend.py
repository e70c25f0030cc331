"""A backend for streaming tests: GET /download/N sends N bytes; POST /upload counts what it receives.
Usage: bulk_backend.py PORT"""
import json
import sys

from peer_lifetime import serve_connections

CHUNK = b"\0" * 65536


def read_head(connection):
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = connection.recv(65536)
        if not chunk:
            return None, b""
        head += chunk
    request, _, rest = head.partition(b"\r\n\r\n")
    return request.decode("latin-1").split("\r\n"), rest


def serve(connection):
    with connection:
        lines, rest = read_head(connection)
        if lines is None:
            return
        method, target, _ = lines[0].split(" ", 2)
        headers = {line.split(":", 1)[0].lower(): line.split(":", 1)[1].strip() for line in lines[1:] if ":" in line}
        if method == "GET" and target.startswith("/download/"):
            size = int(target.rsplit("/", 1)[1])
            connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % size)
            sent = 0
            while sent < size:
                piece = CHUNK[: min(len(CHUNK), size - sent)]
                connection.sendall(piece)
                sent += len(piece)
            return
        received = len(rest)
        expected = int(headers.get("content-length", "0"))
        while received < expected:
            data = connection.recv(1 << 20)
            if not data:
                break
            received += len(data)
        body = json.dumps({"received": received}).encode()
        connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % len(body) + body)


serve_connections(int(sys.argv[1]), serve)
