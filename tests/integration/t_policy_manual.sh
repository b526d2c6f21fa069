#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Manual policy control on the real kernel (issue 4):
#   quellctl throttle T --for 10s  -> cpu quota 25% written, audit line with
#                                     rule "manual", released by itself after 10 s
#   throttle T; release T          -> quota restored at once
#   freeze T; release T            -> the tenant's processes stop, then run again
#   set T nproc=77                 -> pids.max, persisted across a restart
#   SIGTERM                        -> the manual throttle is released, static
#                                     limits (mem = 512M, nproc = 77) stay
#   kill T                         -> every process of T dies; a neighbour's
#                                     and a root process live
#   events --tenant T --json       -> all of the above, nothing of the neighbour
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || qt_skip "python3 missing"

T=qmt$$; N=qmn$$
qt_users $T $N
EV=$QT_DIR/events.jsonl
qt_config -s 1s -e "$EV" <<EOF
[tenant:$T]
mem = 512M
EOF
qt_quelld

# the cpu quota of T as "QUOTA PERIOD" (-1/max = none)
quota() { qt_cpu_quota $T; }
frozen() {
	local f
	f=$(qt_cgfile $T unified cgroup.events cgroup.events) && grep -q "^frozen 1" $f && return 0
	f=$(qt_cgfile $T freezer freezer.state freezer.state) && grep -q FROZEN $f
}
# events lines of T with action $1 and rule manual, after line $2
ev_count() {
	tail -n +$(($2 + 1)) "$EV" 2>/dev/null | grep "\"tenant\":\"$T\"" |
		grep "\"rule\":\"manual\"" | grep -c "\"action\":\"$1\""
}
lines() { qt_lines "$EV"; }
unthrottled() { [ "$(quota | cut -d' ' -f1)" = -1 ]; }
throttled25() { set -- $(quota); [ "$1" != -1 ] && [ $(($1 * 100 / $2)) = 25 ]; }

# T: a ticker (counts in a file, to see it stop when frozen) and a sleeper
cat > "$QT_DIR/tick.py" <<'PY'
import os, sys, time
n = 0
while True:
    n += 1
    # write + rename: a reader (or a freeze) never sees the file truncated
    with open(sys.argv[1] + ".tmp", "w") as f:
        f.write("%d\n" % n)
    os.replace(sys.argv[1] + ".tmp", sys.argv[1])
    time.sleep(0.05)
PY
chmod 755 "$QT_DIR/tick.py"
mkdir -m 777 $QT_DIR/w
su -s /bin/sh $T -c "cd /tmp && exec python3 $QT_DIR/tick.py $QT_DIR/w/count" &
QT_PIDS+=($!)
qt_sleeper $T 600
qt_sleeper $N 600
sleep 600 &
QT_PIDS+=($!)
ROOTPID=$!
qt_until 5 test -s $QT_DIR/w/count || qt_fail "ticker did not start"
qt_until 5 qt_cgfile $T cpu cpu.cfs_quota_us cpu.max >/dev/null || qt_fail "no cpu cgroup for $T"
sleep 1.5	# sweep: everything placed
unthrottled || qt_fail "T starts with quota $(quota)"

# 1. throttle --for 10s: quota, audit line, expiry
n=$(lines)
t0=$(date +%s%N)
qt_ctl throttle $T --for 10s >/dev/null || qt_fail "quellctl throttle"
throttled25 || qt_fail "after throttle: quota $(quota), want 25%"
[ "$(ev_count throttle $n)" = 1 ] || { tail -3 $EV; qt_fail "no manual throttle event"; }
qt_ctl --json show $T | grep -q '"state":"throttled"' ||
	qt_ctl --json show $T | python3 -c "import json,sys; assert json.load(sys.stdin)['tenant']['state'] == 'throttled'" ||
	qt_fail "show does not say throttled"
qt_log "ok   throttle --for 10s: quota $(quota), audit line"
qt_until 20 unthrottled || qt_fail "throttle --for 10s not released after 20 s: $(quota)"
dt=$(awk -v ns=$(($(date +%s%N) - t0)) 'BEGIN { printf "%.1f", ns / 1e9 }')
awk -v d=$dt 'BEGIN { exit !(d >= 10) }' || qt_fail "released after $dt s, before its 10 s"
awk -v d=$dt 'BEGIN { exit !(d <= 13) }' || qt_fail "released after $dt s, want 10 s + a tick"
[ "$(ev_count release $n)" -ge 1 ] || qt_fail "no release event after the expiry"
qt_log "ok   released by itself after $dt s (want 10 s + a tick)"

# 2. throttle (no expiry) then release
n=$(lines)
qt_ctl throttle $T >/dev/null || qt_fail "quellctl throttle"
throttled25 || qt_fail "after throttle: quota $(quota)"
sleep 2
throttled25 || qt_fail "throttle without --for did not hold: $(quota)"
qt_ctl release $T >/dev/null || qt_fail "quellctl release"
unthrottled || qt_fail "after release: quota $(quota)"
[ "$(ev_count throttle $n)" = 1 ] && [ "$(ev_count release $n)" = 1 ] ||
	qt_fail "throttle/release events: $(tail -n +$((n + 1)) $EV)"
qt_log "ok   throttle; release -> quota $(quota)"

# 3. freeze, release (thaw)
n=$(lines)
qt_ctl freeze $T >/dev/null || qt_fail "quellctl freeze"
qt_until 3 frozen || qt_fail "T's cgroup not frozen"
sleep 0.3
c1=$(cat $QT_DIR/w/count); sleep 1; c2=$(cat $QT_DIR/w/count)
[ "$c1" = "$c2" ] || qt_fail "frozen ticker still counts: $c1 -> $c2"
kill -0 $ROOTPID || qt_fail "root process gone"
qt_ctl release $T >/dev/null || qt_fail "quellctl release (thaw)"
qt_until 3 eval '! frozen' || qt_fail "still frozen after release"
sleep 1; c3=$(cat $QT_DIR/w/count)
[ "$c3" -gt "$c2" ] || qt_fail "ticker does not run after release: $c2 -> $c3"
[ "$(ev_count freeze $n)" = 1 ] && [ "$(ev_count release $n)" = 1 ] || qt_fail "freeze/release events"
qt_log "ok   freeze: ticker stopped at $c2; release: runs again ($c3)"

# 4. set nproc=77 (persisted), then throttle again and restart the daemon
n=$(lines)
qt_ctl set $T nproc=77 >/dev/null || qt_fail "quellctl set"
pf=$(qt_cgfile $T pids pids.max pids.max)
[ "$(cat $pf)" = 77 ] || qt_fail "pids.max = $(cat $pf) after set nproc=77"
[ "$(ev_count set $n)" = 1 ] || qt_fail "no manual set event"
mf=$(qt_cgfile $T memory memory.limit_in_bytes memory.max)
[ "$(cat $mf)" = $((512 << 20)) ] || qt_fail "memory limit $(cat $mf), want 512M"
qt_ctl throttle $T >/dev/null || qt_fail "throttle"
throttled25 || qt_fail "throttle before SIGTERM: $(quota)"

n=$(lines)
kill -TERM $QT_QUELLD_PID
qt_until 10 eval '! kill -0 $QT_QUELLD_PID 2>/dev/null' || qt_fail "quelld did not exit on SIGTERM"
wait $QT_QUELLD_PID; rc=$?
[ $rc = 0 ] || qt_fail "quelld exited $rc on SIGTERM"
unthrottled || qt_fail "SIGTERM left the manual throttle in place: $(quota)"
[ "$(cat $pf)" = 77 ] || qt_fail "SIGTERM dropped pids.max: $(cat $pf)"
[ "$(cat $mf)" = $((512 << 20)) ] || qt_fail "SIGTERM dropped the memory limit: $(cat $mf)"
rel=$(tail -n +$((n + 1)) $EV | grep "\"tenant\":\"$T\"" | grep '"action":"release"') ||
	qt_fail "no release logged on SIGTERM"
qt_log "SIGTERM logged: $rel"
echo "$rel" | grep -q '"reason":"[^"]*release_on_exit' || qt_fail "SIGTERM release without its reason"
qt_log "ok   SIGTERM: throttle released, pids.max 77 and mem 512M kept"

# the override is in the state file and comes back with the daemon
echo 1 > $pf 2>/dev/null; echo max > $pf	# forget it in the kernel
qt_quelld
qt_until 5 eval '[ "$(cat $pf)" = 77 ]' || qt_fail "restart: pids.max $(cat $pf), want the persisted 77"
qt_ctl limits $T | grep -q "override:.*nproc=77" || { qt_ctl limits $T; qt_fail "override lost on restart"; }
unthrottled || qt_fail "restart re-applied the released throttle: $(quota)"
qt_log "ok   restart: set nproc=77 persisted and re-applied"

# 5. kill: all of T's processes die, the neighbour's and root's live
n=$(lines)
[ $(pgrep -u $T | wc -l) -ge 2 ] || qt_fail "T has $(pgrep -u $T | wc -l) processes before the kill"
qt_ctl kill $T --yes >/dev/null || qt_fail "quellctl kill"
qt_until 3 eval '[ -z "$(pgrep -u $T)" ]' || qt_fail "T's processes alive after kill: $(pgrep -u $T -a)"
[ -n "$(pgrep -u $N)" ] || qt_fail "the neighbour's process died"
kill -0 $ROOTPID || qt_fail "the root process died"
[ "$(ev_count kill $n)" = 1 ] || qt_fail "no manual kill event"
qt_log "ok   kill: T has no process left, neighbour and root alive"

# 6. events --tenant T --json: every action, manual, none of the neighbour's
qt_ctl --json events --tenant $T > $QT_DIR/ev.json || qt_fail "quellctl events"
python3 - $QT_DIR/ev.json $T <<'PY' || qt_fail "events --tenant --json"
import json, sys
r = json.load(open(sys.argv[1]))
ev = r["events"]
acts = [e["action"] for e in ev if e.get("rule") == "manual"]
print("events of %s: %s" % (sys.argv[2], " ".join(acts)))
assert all(e["tenant"] == sys.argv[2] for e in ev), "other tenants listed"
for a in ("throttle", "release", "freeze", "set", "kill"):
    assert a in acts, "no %s" % a
assert acts.count("throttle") == 3, acts
for e in ev:
    assert isinstance(e["time"], int) and e["time"] > 1600000000
    assert "limits" in e
thr = [e for e in ev if e["action"] == "throttle"]
assert thr[0]["limits"].get("cpu_pct") == 25.0, thr[0]
PY
[ -z "$(qt_ctl --json events --tenant $N | grep '"action"')" ] || qt_fail "events of the neighbour"
exit 0
