#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Static memory limits on the real kernel (issue 4): a tenant with
# mem_high = 96M, mem = 160M in [tenant:H] gets exactly those values in its
# cgroup (v1 soft_limit_in_bytes / limit_in_bytes, v2 memory.high /
# memory.max); a 120M allocation between the two is held and survives; a
# 1G memory hog (stress-ng --vm) never pushes usage past the hard limit, is
# OOM-killed only inside its own cgroup (a neighbour tenant holding 120M under
# the default memory share and a root process survive), and the fault counters (mem_max_events, oom_kills,
# faults.mem) grow in `quellctl show --json`.
. "$(dirname "$0")/lib.sh"

command -v stress-ng >/dev/null || qt_skip "stress-ng missing"
command -v python3 >/dev/null || qt_skip "python3 missing"

H=qmh$$; N=qmn$$
HIGH=$((96 << 20)); MAX=$((160 << 20))
qt_users $H $N
qt_config -s 1s <<EOF
[tenant:$H]
mem_high = 96M
mem = 160M
EOF
qt_quelld


# allocate and touch $2 MiB as tenant $1, then hold it
cat > "$QT_DIR/hold.py" <<'PY'
import os, pwd, sys, time
# placement is asynchronous and v1 memory does not move charges: allocate
# only once quelld has put us in our own memory cgroup
me = pwd.getpwuid(os.getuid()).pw_name
for i in range(100):
    cg = open("/proc/self/cgroup").read().split("\n")
    if any((":memory:" in l or l.startswith("0::")) and l.endswith("/" + me) for l in cg):
        break
    time.sleep(0.05)
b = bytearray(int(sys.argv[1]) << 20)
for i in range(0, len(b), 4096):
    b[i] = 1
print("held", flush=True)
time.sleep(600)
PY
chmod 644 "$QT_DIR/hold.py"
hold() {
	su -s /bin/sh $1 -c "cd /tmp && exec python3 $QT_DIR/hold.py $2" > "$QT_DIR/hold.$1" 2>&1 &
	QT_PIDS+=($!)
}
wait_held() {
	local i
	for i in $(seq 100); do
		grep -q held "$QT_DIR/hold.$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# the tenants' cgroups exist once a process of theirs has been placed
hold $N 120
wait_held $N || qt_fail "neighbour could not allocate 120M: $(cat $QT_DIR/hold.$N)"
NPID=$(pgrep -u $N -f hold.py)
sleep 300 &
QT_PIDS+=($!)
ROOTPID=$!
hold $H 120
wait_held $H || qt_fail "hog tenant could not allocate 120M (between high and max)"
sleep 2		# sweep: the hold is placed within 1 s

# 1. the configured values are really in the cgroup
if f=$(qt_cgfile $H memory memory.limit_in_bytes memory.max); then
	[ "$(cat $f)" = $MAX ] || qt_fail "$f = $(cat $f), want $MAX"
	qt_log "ok   $f = $MAX"
else
	qt_fail "no memory limit file for $H"
fi
f=$(qt_cgfile $H memory memory.soft_limit_in_bytes memory.high) || qt_fail "no soft limit file"
[ "$(cat $f)" = $HIGH ] || qt_fail "$f = $(cat $f), want $HIGH"
qt_log "ok   $f = $HIGH"
# the neighbour has only the default share: 50 % of MemTotal (no box here), in
# whole pages (issue 14)
f=$(qt_cgfile $N memory memory.limit_in_bytes memory.max)
share=$(awk '$1 == "MemTotal:" { b = $2 * 1024; printf "%.0f\n", int(b / 2 / 4096) * 4096 }' /proc/meminfo)
[ "$(cat $f)" = "$share" ] || qt_fail "neighbour $f = $(cat $f), want the default share $share"
qt_log "ok   neighbour at the default share ($(cat $f): 50% of MemTotal)"
# quellctl limits shows both
qt_ctl limits $H | grep -q "effective:.*mem_high=96M mem_max=160M" ||
	{ qt_ctl limits $H; qt_fail "quellctl limits does not show mem_high=96M mem_max=160M"; }

# 2. between soft and hard: held, alive, charged to its own cgroup
HPID=$(pgrep -u $H -f hold.py)
[ -n "$HPID" ] || qt_fail "the 120M holder died below the hard limit"
grep -q "/$QT_ID/$H\$" /proc/$HPID/cgroup || qt_fail "holder not in $QT_ID/$H: $(cat /proc/$HPID/cgroup)"
usage=$(cat $(qt_cgfile $H memory memory.usage_in_bytes memory.current))
[ $usage -ge $((100 << 20)) ] && [ $usage -le $MAX ] ||
	qt_fail "usage with 120M held is $usage, want 100M..160M"
qt_log "ok   120M held between high and max: usage $((usage >> 20))M"
pkill -u $H -f hold.py

# 3. a 1G hog: OOM kills only inside its cgroup, usage never above max
before_oom=$(qt_show_get $H "t['counters']['oom_kills']")
su -s /bin/sh $H -c "cd /tmp && exec stress-ng --vm 2 --vm-bytes 1G --vm-keep --timeout 15s --temp-path /tmp" \
	> "$QT_DIR/stress.log" 2>&1 &
QT_PIDS+=($!)
HOG=$!
# sample usage while the hog runs
peak=0
end=$((SECONDS + 12))
uf=$(qt_cgfile $H memory memory.usage_in_bytes memory.current)
while [ $SECONDS -lt $end ]; do
	read -r u < "$uf" 2>/dev/null && [ "${u:-0}" -gt $peak ] && peak=$u
	sleep 0.05
done
sleep 2
f=$(qt_cgfile $H memory memory.max_usage_in_bytes memory.peak) && kpeak=$(cat $f) || kpeak=$peak
qt_log "hog: sampled usage peak $((peak >> 20))M, kernel peak $((kpeak >> 20))M, max $((MAX >> 20))M"
[ $peak -le $MAX ] || qt_fail "sampled usage $peak > max $MAX"
[ $kpeak -le $MAX ] || qt_fail "kernel peak usage $kpeak > max $MAX"
[ $peak -ge $((MAX * 9 / 10)) ] || qt_fail "the hog never reached the limit (peak $peak): no test"
wait $HOG 2>/dev/null

# the kernel's own count of OOM kills in the tenant's cgroup
if f=$(qt_cgfile $H memory memory.oom_control memory.events); then
	koom=$(awk '$1 == "oom_kill" { print $2 }' $f)
	qt_log "kernel oom_kill in $H's cgroup: $koom"
	[ "${koom:-0}" -gt 0 ] || qt_fail "no OOM kill in $H's cgroup ($f)"
fi
f=$(qt_cgfile $N memory memory.oom_control memory.events)
koomn=$(awk '$1 == "oom_kill" { print $2 }' $f)
[ "${koomn:-0}" = 0 ] || qt_fail "OOM kill in the neighbour's cgroup: $koomn"

# neighbours survive
kill -0 $NPID 2>/dev/null || qt_fail "neighbour $N's 120M process was killed"
kill -0 $ROOTPID 2>/dev/null || qt_fail "root process was killed"
qt_log "ok   neighbour (120M held) and root process alive"

# 4. fault counters in quellctl show --json (the tick samples each second)
sleep 2
mx=$(qt_show_get $H "t['counters']['mem_max_events']")
oom=$(qt_show_get $H "t['counters']['oom_kills']")
fm=$(qt_show_get $H "t['faults']['mem']")
noom=$(qt_show_get $N "t['counters']['oom_kills']")
qt_log "show --json $H: mem_max_events $mx, oom_kills $before_oom -> $oom, faults.mem $fm; $N oom_kills $noom"
[ "$mx" -gt 0 ] || qt_fail "mem_max_events did not grow"
[ "$oom" -gt "$before_oom" ] || qt_fail "oom_kills did not grow"
[ "$fm" != None ] && [ "$fm" -gt 0 ] || qt_fail "faults.mem is $fm"
[ "$noom" = 0 ] || qt_fail "neighbour oom_kills = $noom"
# and in the table view
qt_ctl show $H | grep -iq fault || qt_fail "quellctl show prints no faults"
exit 0
