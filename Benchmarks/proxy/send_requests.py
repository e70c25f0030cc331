#!/usr/bin/env python3
"""Sends exactly COUNT requests of one reference.sh workload to the proxy on 127.0.0.1:PORT, for counting the
proxy's instructions per request (Benchmarks/proxy-instructions.sh), where wrk, which runs for a time, cannot.

The requests go out in rounds over CONNECTIONS keep-alive connections: one request on each, then every
response is read, so each round's requests reach the proxy together, as wrk's do. Any answer but a 200 is an
error: a count of rejected requests would measure the wrong path.

    send_requests.py PORT WORKLOAD COUNT [CONNECTIONS]
"""
import socket
import sys

HEADERS = b"Host: api.example.com\r\nUser-Agent: refbench/1.0\r\nAccept: application/json\r\n"


def post2k_body():
    """reference.sh's post2k body: exactly 2048 bytes of JSON, built as its wrk script builds it."""
    body = '{"user":{"id":42,"name":"alice","email":"alice@example.com"},"items":['
    i = 0
    while True:
        item = '{"id":%d,"sku":"SKU-%05d","qty":%d,"note":"regular order item"}' % (i, i * 7, i % 5 + 1)
        if len(body) + len(item) + 16 > 2048:
            break
        if i > 0:
            body += ","
        body += item
        i += 1
    body += '],"pad":"'
    body += "x" * (2048 - len(body) - 2) + '"}'
    assert len(body) == 2048
    return body.encode()


def request(workload, port):
    if workload == "get":
        return b"GET /api HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n" % port
    if workload == "get_host":
        return b"GET /api HTTP/1.1\r\n" + HEADERS + b"\r\n"
    if workload == "query":
        return b"GET /api?id=42&name=alice HTTP/1.1\r\n" + HEADERS + b"\r\n"
    if workload == "post2k":
        body = post2k_body()
        return (b"POST /api HTTP/1.1\r\n" + HEADERS + b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body)) + body
    sys.exit("send_requests: unknown workload %r (get, get_host, query, post2k)" % workload)


def read_response(conn, pending, head_only=False):
    """Reads one response with a Content-Length body (none when `head_only`: the answer to a HEAD); returns its
    status and the bytes after it."""
    while b"\r\n\r\n" not in pending:
        chunk = conn.recv(65536)
        if not chunk:
            sys.exit("%s: the proxy closed a connection" % sys.argv[0])
        pending += chunk
    head, _, rest = pending.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length" and not head_only:
            length = int(value.strip())
    while len(rest) < length:
        chunk = conn.recv(65536)
        if not chunk:
            sys.exit("%s: the proxy closed a connection mid-body" % sys.argv[0])
        rest += chunk
    return status, rest[length:]


def main():
    if len(sys.argv) not in (4, 5):
        sys.exit(__doc__)
    port, workload, count = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    connections = int(sys.argv[4]) if len(sys.argv) == 5 else 8
    payload = request(workload, port)
    conns = [socket.create_connection(("127.0.0.1", port)) for _ in range(connections)]
    for conn in conns:
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    pending = [b""] * connections
    sent = 0
    while sent < count:
        batch = min(connections, count - sent)
        for conn in conns[:batch]:
            conn.sendall(payload)
        for index in range(batch):
            status, pending[index] = read_response(conns[index], pending[index])
            if status != 200:
                sys.exit("send_requests: got %d, not 200" % status)
        sent += batch
    for conn in conns:
        conn.close()


if __name__ == "__main__":
    main()
