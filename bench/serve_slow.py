#!/usr/bin/env python3
"""serve_slow.py - memory of a winnow serve under 32 slow clients, for
bench/serve.sh: each opens a connection, announces a body just under the
2 MiB --max-body and sends 95% of it in small pieces over a few seconds
without finishing; then 32 more announce 10 MB (refused at once with 413).
Prints the server's RSS before, at the peak, and whether it still answers.
"""
import socket, sys, time

port, pid = int(sys.argv[1]), int(sys.argv[2])

def rss_mb():
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0

before = rss_mb()
length = 2 * 1024 * 1024 - 100
socks = []
for _ in range(32):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(f"POST /v1/chat/completions HTTP/1.1\r\nContent-Length: {length}\r\n\r\n".encode())
    socks.append(s)
piece = b"x" * 65536
sent, peak = 0, before
while sent + len(piece) < length * 0.95:
    for s in socks:
        s.sendall(piece)
    sent += len(piece)
    peak = max(peak, rss_mb())
    time.sleep(0.05)
refused = 0
for _ in range(32):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nContent-Length: 10000000\r\n\r\n")
    refused += s.recv(100).startswith(b"HTTP/1.1 413")
    s.close()
peak = max(peak, rss_mb())
for s in socks:
    s.close()
time.sleep(0.5)
c = socket.create_connection(("127.0.0.1", port))
c.sendall(b"GET /v1/models HTTP/1.1\r\nConnection: close\r\n\r\n")
alive = c.recv(100).startswith(b"HTTP/1.1 200")
print(f"{before:.0f}\t{peak:.0f}\t{rss_mb():.0f}\t{refused}\t{alive}")
