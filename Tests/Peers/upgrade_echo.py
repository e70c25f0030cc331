"""A backend that accepts any protocol upgrade, then echoes bytes upper-cased. GET .../hop answers with
hop-by-hop response headers a proxy must drop; .../chunked with 103 Early Hints, then a chunked body with a
trailer; .../broken with a status line that is not HTTP; .../trickle with an HTTP/1.0 response without a
length, its head and body in separate writes, ended by closing. Usage: upgrade_echo.py PORT"""
import sys
import time

from peer_lifetime import serve_connections


def serve(connection):
    with connection:
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = connection.recv(4096)
            if not chunk:
                return
            head += chunk
        request, _, early = head.partition(b"\r\n\r\n")
        lines = request.decode("latin-1").split("\r\n")
        headers = {line.split(":", 1)[0].lower(): line.split(":", 1)[1].strip() for line in lines[1:] if ":" in line}
        if lines[0].split(" ")[1].endswith("/hop"):
            connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive, X-Secret\r\nKeep-Alive: timeout=5\r\n"
                               b"X-Secret: s\r\nProxy-Connection: keep-alive\r\nTrailer: X-T\r\nX-Kept: yes\r\n\r\nok")
            return
        if lines[0].split(" ")[1].endswith("/chunked"):
            connection.sendall(b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n"
                               b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                               b"5\r\nhello\r\n6\r\n world\r\n0\r\nX-Checksum: 11\r\n\r\n")
            return
        if lines[0].split(" ")[1].endswith("/trickle"):
            for piece in (b"HTTP/1.0 200 OK\r\nContent-", b"Type: text/plain\r\n\r\n", b"first ", b"second ", b"third"):
                connection.sendall(piece)
                time.sleep(0.05)
            return
        if lines[0].split(" ")[1].endswith("/broken"):
            connection.sendall(b"HTTP/1.1 2000 Broken\r\nContent-Length: 0\r\n\r\n")
            return
        if headers.get("upgrade", "").lower() != "websocket":
            connection.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            return
        connection.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nX-Seen-Forwarded-For: "
                           + headers.get("x-forwarded-for", "").encode() + b"\r\n\r\n")
        if early:
            connection.sendall(early.upper())
        while True:
            data = connection.recv(65536)
            if not data:
                return
            connection.sendall(data.upper())


serve_connections(int(sys.argv[1]), serve)
