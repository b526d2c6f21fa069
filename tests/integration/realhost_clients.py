#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Clients of quelld's socket for the real-host suite (t_realhost_clients.sh).

hostile SOCK --conns N --hold S
    N connections held for S seconds, kind = i % 4:
      idle     connects and never sends;
      noread   sends snapshot requests until its send buffer is full and
               never reads a reply;
      slow     sends a status request one byte every 0.3 s, reads the reply;
      partial  sends half a request line, then nothing.
    A connection the daemon closes is counted and opened again after 1 s
    (an attacker would). Prints one JSON line of counts.

ticks SOCK --secs S [--period P] [--tick T] [--ready FILE]
    One connection polling `status` every P s (default 0.2): reply latency
    and the daemon's tick counter. Prints one JSON line: samples, latency
    p50/p95/max (ms), max_gap_s, the longest time without a change of the
    tick counter (from the start on; a tick late by one period shows as a
    gap of two periods plus the polling resolution), and ticks_done against
    ticks_expected (span between the first and last reply / T). FILE is
    created after the first reply: start the load after it.
"""
import argparse
import errno
import json
import socket
import sys
import threading
import time

KINDS = ("idle", "noread", "slow", "partial")


class Counts:
    def __init__(self):
        self.lock = threading.Lock()
        self.c = {"connected": 0, "refused": 0, "closed_by_daemon": 0, "replies": 0,
                  "noread_bytes": 0, "errors": {}}

    def add(self, key, n=1):
        with self.lock:
            self.c[key] += n

    def err(self, e):
        with self.lock:
            k = errno.errorcode.get(e.errno, str(e)) if isinstance(e, OSError) else str(e)
            self.c["errors"][k] = self.c["errors"].get(k, 0) + 1


def connect(path, counts):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.connect(path)
    except OSError as e:
        counts.add("refused")
        counts.err(e)
        s.close()
        return None
    counts.add("connected")
    return s


def closed(s):
    """True when the daemon closed s (readable and EOF); never consumes data of a live reply."""
    try:
        d = s.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT)
        return d == b""
    except BlockingIOError:
        return False
    except OSError:
        return True


def one(kind, path, end, counts):
    while time.monotonic() < end:
        s = connect(path, counts)
        if s is None:
            time.sleep(1)
            continue
        try:
            if kind == "partial":
                s.sendall(b'{"cmd":"snapshot","x":"')
            if kind == "noread":
                s.setblocking(False)
            while time.monotonic() < end:
                if kind == "noread":
                    try:
                        counts.add("noread_bytes", s.send(b'{"cmd":"snapshot"}\n' * 64))
                    except BlockingIOError:
                        pass
                    time.sleep(0.2)
                    if closed(s):
                        raise ConnectionResetError(errno.ECONNRESET, "closed")
                elif kind == "slow":
                    s.settimeout(30)
                    for b in b'{"cmd":"status"}\n':
                        s.sendall(bytes([b]))
                        time.sleep(0.3)
                        if time.monotonic() >= end:
                            break
                    else:
                        data = b""
                        while not data.endswith(b"\n"):
                            c = s.recv(65536)
                            if not c:
                                raise ConnectionResetError(errno.ECONNRESET, "closed")
                            data += c
                        counts.add("replies")
                else:
                    time.sleep(0.5)
                    if closed(s):
                        raise ConnectionResetError(errno.ECONNRESET, "closed")
        except OSError as e:
            counts.add("closed_by_daemon")
            counts.err(e)
            time.sleep(1)
        finally:
            s.close()


def hostile(a):
    counts = Counts()
    end = time.monotonic() + a.hold
    th = [threading.Thread(target=one, args=(KINDS[i % 4], a.sock, end, counts), daemon=True)
          for i in range(a.conns)]
    for t in th:
        t.start()
    for t in th:
        t.join(a.hold + 40)
    print(json.dumps(counts.c))
    return 0


def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(len(v) * p))] if v else None


def ticks(a):
    lat, seen = [], []
    last_tick = None
    first_obs = last_obs = None
    # from the start: a loop already stalled when polling begins is a gap too
    start = last_change = time.monotonic()
    max_gap = 0.0
    fails = 0
    s = None
    end = start + a.secs
    while time.monotonic() < end:
        t0 = time.monotonic()
        try:
            if s is None:
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.settimeout(60)
                s.connect(a.sock)
            s.sendall(b'{"cmd":"status"}\n')
            data = b""
            while not data.endswith(b"\n"):
                c = s.recv(1 << 16)
                if not c:
                    raise ConnectionResetError(errno.ECONNRESET, "closed")
                data += c
            tick = json.loads(data)["tick"]
        except (OSError, ValueError, KeyError):
            fails += 1
            if s:
                s.close()
            s = None
            time.sleep(a.period)
            continue
        t1 = time.monotonic()
        lat.append((t1 - t0) * 1000)
        if first_obs is None:
            first_obs = (t1, tick)
            if a.ready:		# the caller starts the load once the baseline is in
                open(a.ready, "w").close()
        last_obs = (t1, tick)
        if tick != last_tick:
            max_gap = max(max_gap, t1 - last_change)
            last_tick, last_change = tick, t1
            seen.append(tick)
        time.sleep(max(0.0, a.period - (time.monotonic() - t0)))
    max_gap = max(max_gap, time.monotonic() - last_change)	# a stall at the end counts too
    # ticks the timer should have fired between the first and last replies
    # (quelld counts overrun timer expirations as one tick: a late tick is a lost one)
    span = (last_obs[0] - first_obs[0]) if first_obs else 0.0
    print(json.dumps({"samples": len(lat), "fails": fails,
                      "span_s": round(span, 3),
                      "ticks_expected": round(span / a.tick, 1),
                      "ticks_done": (last_obs[1] - first_obs[1]) if first_obs else None,
                      "lat_p50_ms": pct(lat, 0.5), "lat_p95_ms": pct(lat, 0.95),
                      "lat_max_ms": max(lat) if lat else None,
                      "tick_first": seen[0] if seen else None,
                      "tick_last": seen[-1] if seen else None,
                      "max_gap_s": round(max_gap, 3)}))
    return 0


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=("hostile", "ticks"))
    p.add_argument("sock")
    p.add_argument("--conns", type=int, default=40)
    p.add_argument("--hold", type=float, default=20)
    p.add_argument("--secs", type=float, default=20)
    p.add_argument("--period", type=float, default=0.2)
    p.add_argument("--tick", type=float, default=1.0)
    p.add_argument("--ready", help="ticks: create this file after the first reply")
    a = p.parse_args()
    return hostile(a) if a.mode == "hostile" else ticks(a)


if __name__ == "__main__":
    sys.exit(main())
