#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Placement is atomic from the tenant's point of view (issue 12 item 5):
# QT_STORMS (10) times, a root process calls setresuid(tenant) and at once
# forks QT_STORM_N (1,500) sleeping children (forkstorm.c), so children are
# born while quelld moves their parent, some of them in a mix of the
# tenant's and the old cgroups. After a settle time every one of the
# tenant's processes must be in <managed>/<user> in EVERY hierarchy quell
# uses (unified and the six v1 ones on hybrid), not only in unified.
# Before the fix cg_where read only the 0:: line, so neither the children
# walk nor the sweep saw a process that was in the tenant's unified cgroup
# but in root's v1 ones: it stayed so through sweeps.
#
# Then a setuid storm (issue 11 item 10): QT_SETUID_WORKERS root processes
# fork children in a loop for QT_SETUID_S seconds, each child calls
# setresuid(tenant) (one ring-buffer event each) and lives 20 ms. Ticks must
# keep their period (quellctl status: ticks_late, ticks counted against the
# wall clock, tick_gap_max_ms) and placement must keep up (the event path
# drains the ring buffer within a budget per wake-up instead of until empty).
. "$(dirname "$0")/lib.sh"

STORMS=${QT_STORMS:-10}
N=${QT_STORM_N:-1500}
SETTLE=${QT_STORM_SETTLE:-5}
W=${QT_STORM_W:-10}
U=qs$$
uid=$(qt_user $U)
command -v cc >/dev/null || qt_skip "no C compiler for forkstorm.c"
cc -O2 -Wall -Wextra -Werror -std=gnu11 -D_GNU_SOURCE "$(dirname "$0")/forkstorm.c" \
	-o "$QT_DIR/forkstorm" || qt_fail "cc forkstorm.c"
# nproc above the storm: this test is about placement, and the default
# pids.max (512, issue 14) binds the forking parent once quell has placed
# it, which a faster placement now does within the storm (storm 8 of a CI
# run: fork: Resource temporarily unavailable)
qt_config <<EOF
[tenants]
sweep = 2s

[tenant:$U]
nproc = 4000
EOF
qt_quelld

# the hierarchies quell manages here: v2 (pure or hybrid's unified) and v1 controllers
hier=()
for h in $CG $CG/unified $CG/cpu $CG/cpuacct $CG/memory $CG/blkio $CG/pids $CG/freezer; do
	[ -d "$h/$QT_ID/$U" ] && hier+=("$h")
done
[ ${#hier[@]} -ge 1 ] || qt_fail "no cgroup $QT_ID/$U anywhere"
qt_log "tenant $U ($uid), cgroups in ${#hier[@]} hierarchies: ${hier[*]}"

# every process of uid $1: in $2 (or below) in every hierarchy of this host?
# prints "total inside partial outside gone" and the first bad ones on stderr
check() {
	python3 - "$1" "/$2" "${hier[@]}" <<'PY'
import os, sys
uid, want, hiers = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
root = "/sys/fs/cgroup"
need = set()			# "0" = v2, else v1 controller names
for h in hiers:
    name = os.path.basename(h)
    need.add("0" if h == root or name == "unified" else name)
total = inside = partial = outside = gone = 0
bad = []
for p in os.listdir("/proc"):
    if not p.isdigit():
        continue
    try:
        if os.stat("/proc/" + p).st_uid != uid:
            continue
        text = open("/proc/%s/cgroup" % p).read()
        st = open("/proc/%s/stat" % p).read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        continue
    # an exiting task (PF_EXITING, 0x4) shows "/" in every v1 hierarchy
    # (kernel/cgroup/cgroup.c proc_cgroup_show): it is leaving, not half-placed
    if st[0] in "ZX" or int(st[6]) & 0x4:
        continue
    total += 1
    where = {}
    for line in text.splitlines():
        hid, ctrls, path = line.split(":", 2)
        if hid == "0" and ctrls == "":
            where["0"] = path
        for c in ctrls.split(","):
            where[c] = path
    ok = [k for k in need if where.get(k, "") == want or where.get(k, "").startswith(want + "/")]
    p = "%s (state %s, ppid %s)" % (p, st[0], st[1])
    if len(ok) == len(need):
        inside += 1
    elif ok:
        partial += 1
        bad.append("pid %s partial: %s" % (p, {k: where.get(k) for k in sorted(need)}))
    else:
        outside += 1
        bad.append("pid %s outside: %s" % (p, {k: where.get(k) for k in sorted(need)}))
print(total, inside, partial, outside)
for b in bad[:5]:
    print(b, file=sys.stderr)
PY
}

worst_partial=0 total_partial=0 checked=0
for s in $(seq $STORMS); do
	out=$QT_DIR/storm.$s.out
	"$QT_DIR/forkstorm" fork $uid $N $W > "$out" 2>&1 &
	sp=$!
	QT_PIDS+=($sp)
	for i in $(seq 300); do grep -q forked "$out" && break; sleep 0.1; done
	grep -q forked "$out" || qt_fail "storm $s: forkstorm did not finish forking: $(cat "$out")"
	# half-placed processes seen while settling (informative: the fix bounds
	# how long they last, the assertion is on the state after SETTLE)
	t0=$SECONDS seen_partial=0
	while [ $((SECONDS - t0)) -lt $SETTLE ]; do
		read -r total inside partial outside < <(check $uid "$QT_ID/$U" 2>/dev/null)
		[ "$partial" -gt "$seen_partial" ] && seen_partial=$partial
		sleep 0.5
	done
	read -r total inside partial outside < <(check $uid "$QT_ID/$U" 2>"$QT_DIR/bad.$s")
	checked=$((checked + total))
	total_partial=$((total_partial + partial))
	[ "$partial" -gt "$worst_partial" ] && worst_partial=$partial
	qt_log "storm $s: $(cat "$out"); after ${SETTLE}s: $total processes, $inside inside in all" \
		"${#hier[@]} hierarchies, $partial half-placed, $outside outside (max half-placed" \
		"while settling: $seen_partial)"
	[ "$total" -ge $((N + W)) ] || qt_fail "storm $s: only $total processes of $U"
	if [ "$partial" -ne 0 ] || [ "$outside" -ne 0 ]; then
		cat "$QT_DIR/bad.$s"
		qt_fail "storm $s: $partial half-placed and $outside outside after ${SETTLE}s"
	fi
	pkill -9 -u $uid
	kill -9 $sp 2>/dev/null
	wait $sp 2>/dev/null || :
	for i in $(seq 100); do pgrep -u $uid >/dev/null || break; sleep 0.1; done
done
status() {
	qt_ctl --json status | python3 -c "
import json,sys
d=json.load(sys.stdin); p=d['placement']
print(d['tick'], d.get('ticks_late', -1), '%.0f' % d.get('tick_gap_max_ms', -1),
      p['events'], d['bpf'].get('ringbuf_drops', 0),
      ' '.join('%s=%s' % (k, v) for k, v in p.items() if not k.startswith('latency')))"
}
qt_log "status after the fork storms: $(status)"
kill -0 $QT_QUELLD_PID 2>/dev/null || qt_fail "quelld died"
qt_log "$STORMS storms of $N: $checked processes checked in ${#hier[@]} hierarchies each," \
	"$total_partial half-placed after ${SETTLE}s"

# --- setuid storm: ticks keep their period, placement keeps up --------------
WORKERS=${QT_SETUID_WORKERS:-16}
DUR=${QT_SETUID_S:-10}
# restart: tick_gap_max_ms and ticks_late count from the daemon's start
kill -TERM $QT_QUELLD_PID; wait $QT_QUELLD_PID 2>/dev/null
QT_QUELLD_PID=
qt_quelld
sleep 2
read -r tick0 late0 gap0 ev0 drop0 rest < <(status)
t0=$(date +%s%N)
"$QT_DIR/forkstorm" setuid $uid $WORKERS $DUR > "$QT_DIR/setuid.out" 2>&1 &
QT_PIDS+=($!)
sp=$!
# meanwhile: the daemon answers, and the short-lived children get placed
slow=0 polls=0 inside=0 seen=0
while kill -0 $sp 2>/dev/null; do
	a=$(date +%s%N)
	qt_ctl status >/dev/null || qt_fail "quellctl status failed during the storm"
	ms=$((($(date +%s%N) - a) / 1000000))
	polls=$((polls + 1))
	[ $ms -gt 1000 ] && slow=$((slow + 1))
	read -r tot in part out < <(check $uid "$QT_ID/$U" 2>/dev/null)
	seen=$((seen + tot)); inside=$((inside + in))
	sleep 0.5
done
wait $sp 2>/dev/null
el_ms=$((($(date +%s%N) - t0) / 1000000))
read -r tick1 late1 gap1 ev1 drop1 rest < <(status)
qt_log "setuid storm: $(cat "$QT_DIR/setuid.out") in ${el_ms} ms by $WORKERS workers;" \
	"ticks $tick0 -> $tick1, late ticks $late0 -> $late1, longest gap ${gap1} ms;" \
	"status slower than 1 s: $slow of $polls; children seen inside: $inside of $seen"
qt_log "placement: $rest"
n=$(awk '/setuid children/ {print $3}' "$QT_DIR/setuid.out")
[ "${n:-0}" -ge 100 ] || qt_fail "setuid storm made only ${n:-0} children"
ticks=$((tick1 - tick0))
want=$((el_ms / 1000))
[ $ticks -ge $((want - 1)) ] || qt_fail "only $ticks ticks in ${el_ms} ms (tick 1 s)"
[ "$late1" = "$late0" ] || qt_fail "$((late1 - late0)) ticks late by more than one period"
# a wake-up of the event path does at most 25 ms of work: no tick should
# start more than half a period late (on main one event's children walk
# held the loop 1.3 s in the fork storm above)
awk -v g="$gap1" 'BEGIN { exit !(g < 1500) }' || qt_fail "a tick started ${gap1} ms after the last one"
[ $slow = 0 ] || qt_fail "quellctl status took over 1 s $slow times during the storm"
# Keeping up, by quelld's own count: a child moved by the event path or
# the sweep before it exits is counted in moved_*; one that exits first
# is not. A CI run on a slow VM moved 4,642 of 5,043 (92 %).
mv=$(awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^moved_(event|sweep)=/) { split($i, a, "="); m += a[2] } }
	END { print m + 0 }' <<< "$rest")
[ $((mv * 2)) -ge "${n:-0}" ] || qt_fail "placement did not keep up: $mv of ${n:-0} setuid children moved"
# children live 20 ms, so a sample also sees the ones not moved yet: half
# were inside on an idle box, 45 % at load 10 (2 cores); a quarter is the
# floor. Polled every 0.5 s, a storm shows only a dozen or two; the same
# slow VM saw 3 of 14 inside once (21 %) while it moved 92 %, so the ratio
# is asserted only over 40 or more. That every long-lived process ends up
# placed is checked below.
[ $seen -gt 0 ] || qt_fail "no setuid child seen during the storm"
[ $seen -lt 40 ] || [ $((inside * 4)) -ge $seen ] ||
	qt_fail "placement did not keep up: $inside of $seen sampled children inside"
# every uid change reached quelld and was handled (none dropped in the ring)
[ $((ev1 - ev0)) -ge "$n" ] || qt_fail "quelld handled $((ev1 - ev0)) events for $n setuid children"
[ "$drop1" = "$drop0" ] && qt_log "events handled: $((ev1 - ev0)), ring buffer drops: 0" ||
	qt_log "ring buffer drops during the storm: $((drop1 - drop0)) (the sweep catches those)"
# and placement still completes: a storm of long-lived ones right after
"$QT_DIR/forkstorm" fork $uid 200 4 > "$QT_DIR/after.out" 2>&1 &
QT_PIDS+=($!)
for i in $(seq 100); do grep -q forked "$QT_DIR/after.out" && break; sleep 0.1; done
for i in $(seq 20); do
	read -r total inside partial outside < <(check $uid "$QT_ID/$U" 2>/dev/null)
	[ "$total" -ge 205 ] && [ "$inside" = "$total" ] && break
	sleep 0.5
done
[ "$total" -ge 205 ] && [ "$inside" = "$total" ] ||
	qt_fail "after the storm: $inside of $total processes placed in every hierarchy"
qt_log "after the storm: all $total processes of a 200-process fork storm placed in every hierarchy"
kill -0 $QT_QUELLD_PID 2>/dev/null || qt_fail "quelld died"
[ -n "${QT_SAVE_LOG:-}" ] && cp "$QT_DIR/quelld.log" "$QT_SAVE_LOG"
echo PASS
