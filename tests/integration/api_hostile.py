#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Hostile and idle clients of quelld's socket, for t_api_clients.sh.

api_hostile.py SOCKET --time-status: ms from connect to a status reply.
api_hostile.py SOCKET N SECONDS: N clients for SECONDS, a third of each kind,
each reconnecting whenever quelld drops it (so N stay connected):
  idle      connects and says nothing;
  nonreader pipelines status requests and never reads a reply;
  slow      sends a status request a byte every 0.2 s, reads the reply, again.
Prints one JSON line: connections made and drops seen per kind.
"""
import json
import socket
import sys
import threading
import time

if sys.argv[2] == "--time-status":
    t = time.monotonic()
    s = socket.socket(socket.AF_UNIX)
    s.connect(sys.argv[1])
    s.sendall(b'{"cmd":"status"}\n')
    buf = b""
    s.settimeout(20)
    while not buf.endswith(b"\n"):
        c = s.recv(65536)
        if not c:
            sys.exit("connection closed by quelld")
        buf += c
    assert b'"ok":true' in buf, buf
    print(f"{(time.monotonic() - t) * 1000:.1f}")
    sys.exit(0)

path, n, secs = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
end = time.monotonic() + secs
stats = {k: {"conn": 0, "drop": 0, "replies": 0} for k in ("idle", "nonreader", "slow")}
lock = threading.Lock()
REQ = b'{"cmd":"status"}\n'


def count(kind, what, k=1):
    with lock:
        stats[kind][what] += k


def client(kind):
    while time.monotonic() < end:
        try:
            s = socket.socket(socket.AF_UNIX)
            s.connect(path)
        except OSError:
            time.sleep(0.1)
            continue
        count(kind, "conn")
        s.settimeout(0.5)
        try:
            while time.monotonic() < end:
                if kind == "idle":
                    try:
                        if s.recv(1) == b"":
                            raise ConnectionResetError
                    except socket.timeout:
                        pass
                elif kind == "nonreader":
                    try:
                        s.sendall(REQ * 500)
                    except socket.timeout:
                        pass	# our send buffer is full: quelld's output buffer grows
                else:
                    for b in REQ:
                        s.sendall(bytes([b]))
                        time.sleep(0.2)
                    buf = b""
                    s.settimeout(5)
                    while not buf.endswith(b"\n"):
                        c = s.recv(65536)
                        if not c:
                            raise ConnectionResetError
                        buf += c
                    s.settimeout(0.5)
                    count(kind, "replies")
            s.close()
            return
        except OSError:
            count(kind, "drop")
            s.close()


kinds = ["idle", "nonreader", "slow"]
th = [threading.Thread(target=client, args=(kinds[i % 3],), daemon=True) for i in range(n)]
for t in th:
    t.start()
for t in th:
    t.join(secs + 10)
print(json.dumps(stats))
