#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Static limits through the daemon, read back from the cgroup files the
# backend wrote (issue 3 / docs/hacking.md, style 5): `quellctl set` cpu, mem, mem_high,
# nproc, io, iops; then that the written values bite (cpu.max throttles a
# busy loop, pids.max refuses forks); then KEY=default undoes them (nproc:
# back to the default 512, mem: to the default 50 % share of MemTotal;
# nproc=unlimited and mem=unlimited lift them).
# On pure v2 (the VM) the v2 syntax is checked: cpu.max "50000 100000",
# memory.max/high, pids.max, io.max "MAJ:MIN rbps=.. wbps=.. riops=..
# wiops=..". On v1/hybrid the same limits in the v1 files (cfs_quota_us,
# limit_in_bytes, soft_limit_in_bytes, pids.max, blkio.throttle.*).
# Fixed waits scale by QT_SLOW (the TCG VM).
. "$(dirname "$0")/lib.sh"

U=qtl$$
qt_user $U >/dev/null
uid=$(id -u $U) || qt_fail "useradd"
qt_config </dev/null
qt_quelld

if [ "$(stat -fc %T $CG)" = cgroup2fs ]; then V2=1; else V2=0; fi
# the tenant's directory in hierarchy $1 (v2: the only one)
dir() { if [ $V2 = 1 ]; then echo $CG/$QT_ID/$U; else echo $CG/$1/$QT_ID/$U; fi; }
# wait until file $1 reads $2 (first line), up to 5 s x QT_SLOW
want() {
	local f=$1 v=$2 got i
	for i in $(seq $((50 * ${QT_SLOW:-1}))); do
		got=$(head -1 "$f" 2>/dev/null)
		[ "$got" = "$v" ] && { echo "ok   $f = $v"; return 0; }
		sleep 0.1
	done
	qt_fail "$f is '$got', want '$v'"
}

[ -d "$(dir cpu)" ] || qt_fail "tenant cgroup $(dir cpu) not created"
if [ $V2 = 1 ]; then
	# the controllers the limits need are enabled down to the tenant
	for c in cpu memory io pids; do
		grep -qw $c $CG/$QT_ID/cgroup.subtree_control ||
			qt_fail "$c not enabled in $QT_ID/cgroup.subtree_control"
	done
fi

# --- set -----------------------------------------------------------------
qt_ctl set $U cpu=20% mem=256M mem_high=192M io=10M iops=500 nproc=100 ||
	qt_fail "quellctl set"
qt_ctl limits $U
qt_ctl --json limits $U | python3 -c "
import json, sys
d = json.load(sys.stdin)
s = json.dumps(d)
for k in ('cpu', 'mem', 'nproc'):
    assert k in s, (k, s)
print('limits json ok')
" || qt_fail "quellctl --json limits"

if [ $V2 = 1 ]; then
	d=$(dir)
	want $d/cpu.max "20000 100000"
	want $d/memory.max $((256 << 20))
	want $d/memory.high $((192 << 20))
	want $d/pids.max 100
	# one io.max line per block device, each with all four limits
	[ -n "$(cat $d/io.max)" ] || qt_fail "io.max empty"	# cgroupfs sizes are 0: no -s
	cat $d/io.max
	n=0
	while read -r dev rest; do
		[ -e /sys/dev/block/$dev ] || qt_fail "io.max names $dev, not a block device"
		[ "$rest" = "rbps=10485760 wbps=10485760 riops=500 wiops=500" ] ||
			qt_fail "io.max line for $dev: '$rest'"
		n=$((n + 1))
	done < $d/io.max
	echo "ok   io.max: $n device(s), rbps=wbps=10M riops=wiops=500"
else
	want $(dir cpu)/cpu.cfs_quota_us 20000
	want $(dir cpu)/cpu.cfs_period_us 100000
	want $(dir memory)/memory.limit_in_bytes $((256 << 20))
	want $(dir memory)/memory.soft_limit_in_bytes $((192 << 20))
	want $(dir pids)/pids.max 100
	grep -q " 10485760\$" $(dir blkio)/blkio.throttle.read_bps_device ||
		qt_fail "blkio read_bps: $(cat $(dir blkio)/blkio.throttle.read_bps_device)"
	grep -q " 500\$" $(dir blkio)/blkio.throttle.write_iops_device ||
		qt_fail "blkio write_iops: $(cat $(dir blkio)/blkio.throttle.write_iops_device)"
	echo "ok   blkio.throttle: 10M and 500 iops"
fi

# --- the limits bite ------------------------------------------------------
# cpu 20 %: a 3 s busy loop as the tenant gets about 0.6 s of CPU
if [ $V2 = 1 ]; then
	cpu_us() { awk '$1 == "usage_usec" { print $2 }' $(dir)/cpu.stat; }
	thr() { awk '$1 == "nr_throttled" { print $2 }' $(dir)/cpu.stat; }
else
	cpu_us() { echo $(( $(cat $(dir cpuacct)/cpuacct.usage) / 1000 )); }
	thr() { awk '$1 == "nr_throttled" { print $2 }' $(dir cpu)/cpu.stat; }
fi
# the tenant's shell is placed first (su start-up is slow in the VM), then
# the loop runs for a fixed 3 s of wall time
mkdir -m 0777 $QT_DIR/w
mkfifo -m 666 $QT_DIR/w/go.fifo
qt_bg su -s /bin/bash $U -c "read -t 600 <> $QT_DIR/w/go.fifo; timeout 3 bash -c 'while :; do :; done'; touch $QT_DIR/w/done"
for i in $(seq $((100 * ${QT_SLOW:-1}))); do
	pgrep -u $uid -x bash >/dev/null && break
	sleep 0.1
done
p=$(pgrep -u $uid -x bash | head -1)
[ -n "$p" ] || qt_fail "tenant shell did not start"
for i in $(seq 50); do grep -q "$QT_ID/$U" /proc/$p/cgroup && break; sleep 0.1; done
u0=$(cpu_us); t0=$(thr); w0=$(date +%s%N)
echo go > $QT_DIR/w/go.fifo
for i in $(seq $((100 * ${QT_SLOW:-1}))); do [ -e $QT_DIR/w/done ] && break; sleep 0.1; done
[ -e $QT_DIR/w/done ] || qt_fail "busy loop did not finish"
u1=$(cpu_us); t1=$(thr); w1=$(date +%s%N)
pct=$(( (u1 - u0) * 1000 / ((w1 - w0) / 1000) ))	# per mille of one CPU
qt_log "busy loop under cpu=20%: $(( (u1 - u0) / 1000 )) ms CPU in $(( (w1 - w0) / 1000000 )) ms, throttled $((t1 - t0)) times"
[ $((t1 - t0)) -gt 0 ] || qt_fail "cpu limit never throttled"
# 20 % plus slack for the loop's start and the throttling period's edges
[ $pct -lt 300 ] || qt_fail "busy loop got $((pct / 10)) % of a CPU under a 20 % limit"
# quell still reads the limited cgroup and sees the throttling. On 6.1 the
# tenant's io.stat now has a "254:0 " line (io.max made a blkg, no IO since),
# which once failed the whole usage read: every cgroup counter was lost.
qt_sleep 2
qt_ctl --json show $U | python3 -c "
import json, sys
t = json.load(sys.stdin)['tenant']
src, c = t['sources'], t['counters']
assert src.get('mem_bytes') == 'cgroup' and src.get('cpu_throttled') == 'cgroup', src
assert c['cpu_throttled'] > 0, c['cpu_throttled']
print('ok   quell reads the limited cgroup: cpu_throttled', c['cpu_throttled'])
" || qt_fail "quell lost the tenant's cgroup counters"

# nproc 5: the tenant cannot hold more than 5 processes
qt_ctl set $U nproc=5 || qt_fail "set nproc=5"
want $(dir pids)/pids.max 5
# python, not bash: bash retries a refused fork for ~15 s
cat > $QT_DIR/w/forks.py <<'PY'
import os, sys, time
t = time.monotonic()
while sys.argv[1] not in open("/proc/self/cgroup").read():
    if time.monotonic() - t > 30:
        print("not placed"); sys.exit(1)
    time.sleep(0.01)
kids, refused = [], 0
for i in range(10):
    try:
        pid = os.fork()
    except OSError:
        refused += 1
        continue
    if pid == 0:
        time.sleep(30)
        os._exit(0)
    kids.append(pid)
print(len(kids), refused)
for k in kids:	# they hold the $(...) pipe open
    os.kill(k, 9)
PY
out=$(su -s /bin/sh $U -c "python3 $QT_DIR/w/forks.py $QT_ID/$U")
pkill -9 -u $uid
read -r started refused <<< "$out"
[ -n "$refused" ] || qt_fail "fork test: $out"
qt_log "10 forks under nproc=5: $started started, $refused refused"
[ "$refused" -ge 5 ] && [ "$started" -le 4 ] || qt_fail "pids.max 5 did not refuse forks"
echo "ok   pids.max 5 refused $refused forks"

# --- default undoes --------------------------------------------------------
qt_ctl set $U cpu=default mem=default mem_high=default io=default iops=default nproc=default ||
	qt_fail "set KEY=default"
# mem: back to the default share, 50 % of MemTotal (the managed root has no
# limit here), in whole pages (issue 14)
share=$(awk '$1 == "MemTotal:" { b = $2 * 1024; printf "%.0f\n", int(b / 2 / 4096) * 4096 }' /proc/meminfo)
if [ $V2 = 1 ]; then
	want $(dir)/cpu.max "max 100000"
	want $(dir)/memory.max $share
	want $(dir)/memory.high max
	want $(dir)/pids.max 512	# the default process cap (issue 14)
	grep -v "rbps=max wbps=max riops=max wiops=max" $(dir)/io.max &&
		qt_fail "io.max still limits a device"
	echo "ok   io.max back to max"
else
	want $(dir cpu)/cpu.cfs_quota_us -1
	want $(dir memory)/memory.limit_in_bytes $share
	want $(dir pids)/pids.max 512	# the default process cap (issue 14)
fi
# the default caps are switched off per tenant with "unlimited"
qt_ctl set $U nproc=unlimited mem=unlimited || qt_fail "set nproc=unlimited mem=unlimited"
want $(dir pids)/pids.max max
if [ $V2 = 1 ]; then
	want $(dir)/memory.max max
else
	want $(dir memory)/memory.limit_in_bytes 9223372036854771712
fi
qt_log "limits OK"
exit 0
