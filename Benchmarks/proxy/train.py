#!/usr/bin/env python3
"""Sends a mix of ordinary and hostile traffic through a Rampart proxy on 127.0.0.1:PORT, to train the
profile of a profile-guided build (scripts/release-build.sh); `backend` serves as the proxy's backend.

The mix is not the benchmark's requests: browsers' and API clients' GETs with their headers and cookies,
queries of a few to thirty arguments, JSON bodies of many shapes and sizes (nested, escaped, numeric),
urlencoded forms, HEAD and chunked requests, and attacks the default rules reject (SQL injection, XSS,
path traversal, command injection, a Java serialized object). Every ordinary request must get a 200, and
every attack a 403; anything else stops the training, since a profile of error paths would be worthless.

    train.py send PORT [ROUNDS, default 400]
    train.py backend PORT     (answers every request with a small JSON body, keep-alive, until killed)
"""
import random
import socket
import socketserver
import sys

from send_requests import read_response

USER_AGENTS = [
    b"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    b"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Safari/605.1.15",
    b"curl/8.5.0",
    b"python-requests/2.32.3",
    b"okhttp/4.12.0",
]
WORDS = ["alice", "bob", "order", "burger", "cheese", "extra", "large", "note", "delivery", "street", "ring", "twice"]


def word(rng):
    return rng.choice(WORDS)


def headers(rng, host):
    accept = rng.choice([b"*/*", b"application/json", b"text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"])
    lines = [b"Host: " + host, b"User-Agent: " + rng.choice(USER_AGENTS), b"Accept: " + accept]
    if rng.random() < 0.6:
        lines.append(b"Accept-Encoding: gzip, deflate, br")
    if rng.random() < 0.5:
        lines.append(b"Accept-Language: en-US,en;q=0.9")
    if rng.random() < 0.5:
        session = "".join(rng.choice("abcdef0123456789") for _ in range(32)).encode()
        lines.append(b"Cookie: session=%s; theme=%s" % (session, rng.choice([b"dark", b"light"])))
    if rng.random() < 0.3:
        lines.append(b"X-Requested-With: XMLHttpRequest")
    if rng.random() < 0.2:
        lines.append(b"Referer: https://shop.example.com/menu?page=%d" % rng.randint(1, 9))
    return lines


def query(rng):
    count = rng.choice([1, 2, 3, 5, 8, 30])
    return "&".join("%s%d=%s" % (word(rng), i, rng.choice([word(rng), str(rng.randint(0, 99999)), "a%20b", "x+y"])) for i in range(count))


def json_value(rng, depth):
    kind = rng.random()
    if depth > 3 or kind < 0.35:
        return '"%s %s"' % (word(rng), word(rng))
    if kind < 0.55:
        return str(rng.randint(-5, 100000))
    if kind < 0.6:
        return rng.choice(["true", "false", "null", "3.25"])
    if kind < 0.65:
        return '"line\\nbreak \\"quoted\\" \\u00e9t\\u00e9"'
    if kind < 0.8:
        return "[" + ",".join(json_value(rng, depth + 1) for _ in range(rng.randint(0, 6))) + "]"
    return "{" + ",".join('"%s":%s' % (word(rng), json_value(rng, depth + 1)) for _ in range(rng.randint(1, 6))) + "}"


def json_body(rng):
    items = ",".join(json_value(rng, 1) for _ in range(rng.choice([1, 3, 10, 40])))
    return ('{"customer":{"id":%d,"email":"%s@example.com"},"items":[%s]}' % (rng.randint(1, 999), word(rng), items)).encode()


ATTACKS = [
    (b"GET", b"/api/items?id=1%27%20UNION%20SELECT%20password%20FROM%20users--", None, None),
    (b"GET", b"/api/search?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E", None, None),
    (b"GET", b"/static/..%2F..%2F..%2Fetc%2Fpasswd", None, None),
    (b"POST", b"/api/run", b"application/x-www-form-urlencoded", b"cmd=ls%3B%20cat%20%2Fetc%2Fpasswd"),
    (b"POST", b"/api/notes", b"application/json", b'{"note":"<img src=x onerror=alert(1)>"}'),
    (b"POST", b"/api/objects", b"application/json", b'{"blob":"rO0ABXNyABdqYXZhLnV0aWwuUHJpb3JpdHlRdWV1ZQ=="}'),
]


def request(rng, host):
    kind = rng.random()
    if kind < 0.3:
        return b"GET", b"/api/menu/%d" % rng.randint(1, 50), headers(rng, host), None, False, 200
    if kind < 0.5:
        return b"GET", ("/api/search?" + query(rng)).encode(), headers(rng, host), None, False, 200
    if kind < 0.55:
        return b"HEAD", b"/api/menu", headers(rng, host), None, False, 200
    if kind < 0.8:
        body = json_body(rng)
        return b"POST", b"/api/orders", headers(rng, host) + [b"Content-Type: application/json"], body, rng.random() < 0.1, 200
    if kind < 0.9:
        body = query(rng).encode()
        return b"POST", b"/api/form", headers(rng, host) + [b"Content-Type: application/x-www-form-urlencoded"], body, False, 200
    method, target, content_type, body = rng.choice(ATTACKS)
    fields = headers(rng, host) + ([b"Content-Type: " + content_type] if content_type else [])
    return method, target, fields, body, False, 403


def encode(method, target, fields, body, chunked):
    head = [method + b" " + target + b" HTTP/1.1"] + fields
    if body is not None:
        head.append(b"Transfer-Encoding: chunked" if chunked else b"Content-Length: %d" % len(body))
    data = b"\r\n".join(head) + b"\r\n\r\n"
    if body is not None:
        data += b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body) if chunked else body
    return data


class Backend(socketserver.StreamRequestHandler):
    """One keep-alive connection from the proxy: reads each request (Content-Length or chunked body) and answers
    as a small JSON API would."""

    def handle(self):
        while True:
            line = self.rfile.readline()
            if not line:
                return
            method = line.split(b" ", 1)[0]
            length, chunked = 0, False
            while True:
                field = self.rfile.readline()
                if field in (b"\r\n", b""):
                    break
                name, _, value = field.partition(b":")
                name = name.strip().lower()
                if name == b"content-length":
                    length = int(value.strip())
                elif name == b"transfer-encoding" and b"chunked" in value.lower():
                    chunked = True
            if chunked:
                while True:
                    size = int(self.rfile.readline().split(b";")[0], 16)
                    self.rfile.read(size + 2)
                    if size == 0:
                        break
            else:
                self.rfile.read(length)
            body = b'{"hello":"world"}'
            head = b"HTTP/1.1 200 OK\r\nServer: train\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body)
            self.wfile.write(head if method == b"HEAD" else head + body)


def serve(port):
    socketserver.ThreadingTCPServer.allow_reuse_address = True
    socketserver.ThreadingTCPServer.daemon_threads = True
    with socketserver.ThreadingTCPServer(("127.0.0.1", port), Backend) as server:
        server.serve_forever()


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "backend":
        return serve(int(sys.argv[2]))
    if len(sys.argv) not in (3, 4) or sys.argv[1] != "send":
        sys.exit(__doc__)
    port = int(sys.argv[2])
    rounds = int(sys.argv[3]) if len(sys.argv) == 4 else 400
    rng = random.Random(7239)
    host = b"127.0.0.1:%d" % port
    conns = [socket.create_connection(("127.0.0.1", port)) for _ in range(8)]
    pending = [b""] * len(conns)
    counts = {}
    for _ in range(rounds):
        sent = []
        for conn in conns:
            method, target, fields, body, chunked, expected = request(rng, host)
            conn.sendall(encode(method, target, fields, body, chunked))
            sent.append((method, target, expected))
        for index, conn in enumerate(conns):
            method, target, expected = sent[index]
            status, pending[index] = read_response(conn, pending[index], method == b"HEAD")
            if status != expected:
                sys.exit("train: %s %s got %d, not %d" % (method.decode(), target.decode(), status, expected))
            counts[status] = counts.get(status, 0) + 1
    for conn in conns:
        conn.close()
    print("train: %s" % ", ".join("%d x %d" % (n, s) for s, n in sorted(counts.items())))


if __name__ == "__main__":
    main()
