#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# quelld end to end (issue 2): a CPU hog and an idle tenant, quell's CPU
# seconds against the kernel's own cgroup counter (cpuacct.usage on v1,
# cpu.stat usage_usec on v2) within 10 %, the idle tenant ~0, the hog's
# inflicted delay above the victim's on a shared CPU, IO bytes within 10 %;
# bad socket input and a bad config on SIGHUP do not hurt the daemon.
# The victim is a periodic sleeper that never forks or execs (python's
# time.sleep): in the TCG VM one fork+exec costs ~0.1 s of real CPU, so a
# `sleep 0.01` loop was anything but idle there (4.69 s in 8 s). It runs as
# SCHED_BATCH, which does not preempt on wakeup: it waits for the hog's
# slice to end (a tick, ms) while it runs for µs, so "the hog inflicts more
# than the victim" holds on an otherwise idle CPU too; as SCHED_NORMAL it
# preempted the hog at once and, with the hog's 2 workers waiting behind
# it, inflicted about as much as it suffered (host: 0.26 s vs 0.22 s).
# Fixed waits scale by QT_SLOW; the 10 % accuracy limits do not.
. "$(dirname "$0")/lib.sh"

HOG=qh$$; IDLE=qi$$
uid_h=$(qt_user $HOG)
uid_i=$(qt_user $IDLE)
# accounting, not policy: the cpu-hog rule's gentle rung (issue 14) would
# demote the pinned hog within a second (its victim suffers), and on a box
# loaded by others an idle-class hog gets too little CPU to measure
QT_TICK=250ms qt_config <<EOF
[policy]
dry_run = yes
EOF
qt_quelld
SLOW=${QT_SLOW:-1}
sock=$QT_DIR/quell.sock

json() { qt_ctl --json "$@"; }
# counter of tenant $1, metric $2 from `show --json`
counter() {
	json show "$1" | python3 -c "
import json,sys
d=json.load(sys.stdin); t=d.get('tenant', d)
v=t['counters'].get('$2'); print(0 if v is None else int(v))"
}
json status | python3 -c "
import json,sys
d=json.load(sys.stdin)
h=d['host']
print('source', h['source'], 'cgroup mode', h['cgroup_mode'], 'bpf', d['bpf'])
assert h['source'] in ('bpf','cgroupfs')
# a pure cgroup-v2 host (the VM) must be seen as one
if '$(stat -fc %T $CG)' == 'cgroup2fs':
    assert h['cgroup_mode'] == 'v2', h['cgroup_mode']
" || qt_fail "status"

# --- CPU: hog and a light victim, both pinned to CPU 0 ---------------------
# The window is the hog's whole life (counters read before it starts and
# after it exited, plus a few ticks): both counters are then at rest when
# read, so the seconds between reading quell's and the kernel's do not count
# (with a running hog they made 5-25 % of noise on a loaded host).
mkdir -p $QT_DIR/io && chmod 777 $QT_DIR/io
cat > $QT_DIR/io/victim.py <<'PY'
import os, time
os.sched_setscheduler(0, os.SCHED_BATCH, os.sched_param(0))
while True:
    time.sleep(0.01)
PY
qt_bg su -s /bin/sh $IDLE -c "exec taskset -c 0 python3 $QT_DIR/io/victim.py"
qt_sleep 2	# placed (fast path) and looping
pgrep -u $uid_i python3 >/dev/null || qt_fail "victim loop not running"
c0=$(counter $HOG cpu_ns); k0=$(qt_kernel_cpu_ns $HOG)
i0=$(counter $IDLE cpu_ns); ti0=$(date +%s%N)
hi0=$(counter $HOG rq_inflicted_ns); vi0=$(counter $IDLE rq_inflicted_ns)
vs0=$(counter $IDLE rq_suffered_ns)
# one worker: each of the victim's runs delays every waiting hog worker, so
# with two the victim's inflicted doubled and the margin below halved
su -s /bin/sh $HOG -c "cd /tmp && exec taskset -c 0 stress-ng --cpu 1 --timeout 8s --quiet" ||
	qt_fail "stress-ng as $HOG"
qt_sleep 1	# quell's next ticks see the hog's last runs
c1=$(counter $HOG cpu_ns); k1=$(qt_kernel_cpu_ns $HOG)
i1=$(counter $IDLE cpu_ns); ti1=$(date +%s%N)
qt_log "hog: quell $((c1 - c0)) ns, kernel $((k1 - k0)) ns over its life"
[ $((k1 - k0)) -gt 2000000000 ] || qt_fail "hog ran only $((k1 - k0)) ns"
qt_assert_near "hog cpu (quell vs kernel cgroup)" $((c1 - c0)) $((k1 - k0)) 10 || exit 1
# the victim sleeps 10 ms per loop and never forks: far below 10 % of the window
win=$((ti1 - ti0))
qt_log "victim: $((i1 - i0)) ns of CPU in $((win / 1000000)) ms"
[ $((i1 - i0)) -lt $((win / 10)) ] || qt_fail "idle tenant used $((i1 - i0)) ns in $win ns"
# over the hog's life only (the victim's python start-up inflicts too)
hi=$(( $(counter $HOG rq_inflicted_ns) - hi0 )); vi=$(( $(counter $IDLE rq_inflicted_ns) - vi0 ))
vs=$(( $(counter $IDLE rq_suffered_ns) - vs0 ))
qt_log "inflicted: hog $hi ns, victim $vi ns; victim suffered $vs ns"
if json status | grep -q '"source": *"bpf"'; then
	[ "$hi" -gt "$vi" ] || qt_fail "hog inflicted ($hi) not above victim's ($vi)"
	[ "$vs" -gt 0 ] || qt_fail "victim suffered no delay"
fi
# the snapshot (quellctl list) on this host's cgroup backend: both tenants,
# the host's cgroup mode, gauges read from the tenant's cgroup
json list | python3 -c "
import json, sys
d = json.load(sys.stdin)
t = {x['name']: x for x in d['tenants']}
assert '$HOG' in t and '$IDLE' in t, t.keys()
h = t['$HOG']
assert h['sources'].get('mem_bytes') == 'cgroup', h['sources']
assert h['counters']['cpu_ns'] > 0, h['counters']
if '$(stat -fc %T $CG)' == 'cgroup2fs':
    assert d['host']['cgroup_mode'] == 'v2', d['host']['cgroup_mode']
print('snapshot ok: cgroup mode', d['host']['cgroup_mode'], 'hog cpu_ns', h['counters']['cpu_ns'])
" || qt_fail "snapshot (quellctl --json list)"
kill -9 "${QT_PIDS[@]}" 2>/dev/null
pkill -9 -u $uid_h; pkill -9 -u $uid_i

# --- IO: 64 MiB of direct writes as the hog --------------------------------
w0=$(counter $HOG io_wbytes)
su -s /bin/sh $HOG -c "dd if=/dev/zero of=$QT_DIR/io/f bs=1M count=64 oflag=direct status=none" ||
	qt_fail "dd"
qt_sleep 2.5
w1=$(counter $HOG io_wbytes)
qt_assert_near "hog io_wbytes (quell vs 64 MiB written)" $((w1 - w0)) $((64 * 1048576)) 10 || exit 1

# --- bad input on the socket -----------------------------------------------
python3 - "$sock" <<'PY' || qt_fail "socket robustness"
import json, socket, sys
def talk(payload, read=True):
    s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.settimeout(5)
    s.sendall(payload)
    out = b""
    while read and not out.endswith(b"\n"):
        c = s.recv(1 << 20)
        if not c: break
        out += c
    s.close()
    return json.loads(out.split(b"\n")[0]) if out else None
cases = [b"garbage\n", b"[1,2]\n", b"{}\n", b'{"cmd":42}\n', b'{"cmd":"nope"}\n',
         b'{"cmd":"tenant"}\n', b'{"cmd":"tenant","name":"../../etc"}\n',
         b'{"cmd":"where","pid":-1}\n', b'{"cmd":"place","pid":"x"}\n',
         b"x" * 70000 + b"\n"]
for c in cases:
    r = talk(c)
    assert r["ok"] is False and r["error"], (c[:40], r)
    print("error reply ok:", c[:30], "->", r["error"][:60])
talk(b'{"cmd":"snapshot"', read=False)      # half a request, then hang up
r = talk(b'{"cmd":"ping"}\n{"cmd":"ping"}\n')   # two requests in one write: both answered
assert r["ok"] is True
print("daemon still answers")
PY
kill -0 $QT_QUELLD_PID || qt_fail "quelld died of bad socket input"

# --- SIGHUP with a bad config keeps the old one -----------------------------
cp $QT_DIR/quell.conf $QT_DIR/good.conf
echo "bogus_key = 1" >> $QT_DIR/quell.conf
kill -HUP $QT_QUELLD_PID; qt_sleep 1.5
kill -0 $QT_QUELLD_PID || qt_fail "quelld died on a bad config reload"
grep -q "bogus_key" $QT_DIR/quelld.log || qt_fail "bad config not reported (file:line)"
json status >/dev/null || qt_fail "no answer after bad reload"
cp $QT_DIR/good.conf $QT_DIR/quell.conf
qt_log "daemon OK"
exit 0
