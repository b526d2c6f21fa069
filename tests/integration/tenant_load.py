# SPDX-License-Identifier: GPL-2.0-only
"""tenant_load.py: the load a test tenant runs (tests/integration/lib.sh,
qt_load_script copies it where a test user can read it).

  tenant_load.py [--in SUFFIX] [--ctl pids,memory] fork N HOLD_S
      fork N children that sleep HOLD_S; print "ok failed first_fail_s total_s"
      (first_fail_s is -1.000 when no fork failed), then wait for them.
  tenant_load.py [--in SUFFIX] [--ctl pids,memory] touch MIB
      print our pid, write one byte per page of MIB MiB, print "survived".
  tenant_load.py [--in SUFFIX] [--ctl memory] cache PATH MIB [READS_S]
      write PATH (MIB MiB, charged to us), print "ready", then read it in a
      loop forever: a tenant living off its page cache. With READS_S: 4 KiB
      reads at random offsets, READS_S a second (a server with a cached
      working set: it never reads again more than READS_S pages a second).
  tenant_load.py [--in SUFFIX] [--ctl memory] warm PATH
      read PATH once (into our page cache again), print "warm".
  tenant_load.py [--in SUFFIX] [--ctl memory] leak RATE CAP
      print "start WALL_S" at the first allocation, then hold RATE MiB/s
      more touched anonymous memory in 16 MiB chunks up to CAP MiB, print
      "done" there and keep it.
  tenant_load.py [--in SUFFIX] [--ctl ...] exec PROG [ARG...]
      once placed, become PROG (a load written in C: forkstorm burst).

--in waits (at most 10 s) until this process's cgroup ends with SUFFIX in
each hierarchy of --ctl (default pids; on pure v2 the unified line), so a
test measures the limit and not the few ms between su's setuid() and
quell moving the process (docs/placement.md; t_placement tests that window).
"""
import os
import random
import sys
import time


def placed(ctl, want):
    lines = open('/proc/self/cgroup').read().splitlines()
    mine = [x for x in lines if ':%s:' % ctl in x] or [x for x in lines if x.startswith('0::')]
    return all(x.endswith(want) for x in mine)


def wait_placed(want, ctls):
    t = time.monotonic()
    while not all(placed(c, want) for c in ctls):
        if time.monotonic() - t > 10:
            print("not placed in", want, open('/proc/self/cgroup').read(), flush=True)
            sys.exit(1)
        time.sleep(0.005)


def fork(n, hold):
    ok = fail = 0
    first = -1.0
    t0 = time.monotonic()
    for _ in range(n):
        try:
            pid = os.fork()
        except OSError:
            if first < 0:
                first = time.monotonic() - t0
            fail += 1
            continue
        if pid == 0:
            time.sleep(hold)
            os._exit(0)
        ok += 1
    print(ok, fail, "%.3f" % first, "%.3f" % (time.monotonic() - t0), flush=True)
    while True:
        try:
            os.wait()
        except ChildProcessError:
            break


def touch(mib):
    print(os.getpid(), flush=True)
    b = bytearray(mib << 20)
    for i in range(0, len(b), 4096):
        b[i] = 1
    print("survived", flush=True)


def cache(path, mib, reads_s=0):
    with open(path, "wb") as f:
        for _ in range(mib):
            f.write(os.urandom(1 << 20))
    print("ready", flush=True)
    if reads_s:
        paced(path, mib << 8, reads_s)
    buf = bytearray(1 << 20)
    while True:
        read_all(path, buf)


def read_all(path, buf):
    with open(path, "rb", buffering=0) as f:
        while f.readinto(buf):
            pass


def warm(path):
    read_all(path, bytearray(1 << 20))
    print("warm", flush=True)


def paced(path, pages, reads_s):
    fd, n, t0 = os.open(path, os.O_RDONLY), 0, time.monotonic()
    # no readahead: one page read (and at most one read again) per read
    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_RANDOM)
    while True:
        os.pread(fd, 4096, random.randrange(pages) << 12)
        n += 1
        ahead = n / reads_s - (time.monotonic() - t0)
        if ahead > 0.005:
            time.sleep(ahead)


def leak(rate, cap):
    rate, cap, chunk = rate << 20, cap << 20, 16 << 20
    bufs, t0 = [], time.monotonic()
    print("start %.3f" % time.time(), flush=True)
    while True:
        held = len(bufs) * chunk
        if held + chunk <= cap and held < rate * (time.monotonic() - t0):
            bufs.append(b"\x01" * chunk)
        elif held + chunk > cap:
            print("done", flush=True)
            while True:
                time.sleep(600)
        else:
            time.sleep(0.02)


def main(argv):
    want, ctls = None, ['pids']
    while argv and argv[0].startswith('--'):
        if argv[0] == '--in':
            want = argv[1]
        elif argv[0] == '--ctl':
            ctls = argv[1].split(',')
        else:
            sys.exit("unknown option " + argv[0])
        argv = argv[2:]
    if want:
        wait_placed(want, ctls)
    if argv[:1] == ['fork'] and len(argv) == 3:
        fork(int(argv[1]), float(argv[2]))
    elif argv[:1] == ['touch'] and len(argv) == 2:
        touch(int(argv[1]))
    elif argv[:1] == ['cache'] and len(argv) in (3, 4):
        cache(argv[1], int(argv[2]), int(argv[3]) if len(argv) == 4 else 0)
    elif argv[:1] == ['warm'] and len(argv) == 2:
        warm(argv[1])
    elif argv[:1] == ['leak'] and len(argv) == 3:
        leak(int(argv[1]), int(argv[2]))
    elif argv[:1] == ['exec'] and len(argv) >= 2:
        os.execv(argv[1], argv[1:])
    else:
        sys.exit(__doc__)


main(sys.argv[1:])
