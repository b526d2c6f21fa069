#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The fork alarm (docs/policy.md "The fork alarm") on the real kernel: a
# fork storm (8 shells forking /bin/true, ~2,500 forks/s here) beside a
# probe (tests/bench/wakeprobe.c). The BPF side sees the burst
# and the probe's long run-queue wait, quelld takes a tick at once, and
# fork-storm puts the storm on its gentle rung (cpu.idle = 1) through the
# alarm (the audit line's evidence says "alarm"), not the rule's window: in
# each of QT_RUNS runs (default 3), p95 within 1.5 s of the storm's start
# (3 s on a box where the storm is slow, see LIMIT below)
# (0.08-0.51 s in 10 of 11 runs on 2026-12-02, once 1.14 s; the window's way
# took 1.0-2.3 s). The sleeping probe that wakes every 5 ms is starved ~0.1 s
# before its first wait ends, which is when the BPF side learns of it.
# Before that, the same storm with nobody else awake (the probe not running)
# is never touched: no alarm, no action (the storm alone costs nobody).
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || qt_skip "python3 missing"
RUNS=${QT_RUNS:-3}
LIMIT=${QT_ALARM_LIMIT:-}

H=qah$$; P=qap$$
qt_user $H >/dev/null
qt_user $P >/dev/null
EV=$QT_DIR/state/events.jsonl
# cpu-hog off and fork-storm's own window long: the storm is the fork
# alarm's to catch (cpu-hog's urgent way and fork-storm's 1 s window would
# demote it too, a tick or two later, and hide a late alarm; t_policy_cpu
# and t_policy_fork test those)
conf() {
	qt_config -s 1s -e "$EV" <<EOF
[policy]
alarm_forks = $1
${QT_ALARM_CONF:-}

[rule:cpu-hog]
enabled = no

[rule:fork-storm]
gentle_for = 5s
EOF
}
conf 1000
qt_quelld

# the victim: tests/bench/wakeprobe.c, 4 threads that wake every 5 ms and
# work 1 ms (a small request handler); beside this storm in a sibling
# cgroup it waited 28 ms at p99, up to 0.7-1.5 s (tests/bench/b_fork_groups.sh)
command -v cc >/dev/null || qt_skip "no C compiler for the probe"
cc -O2 -pthread -o "$QT_DIR/wakeprobe" "$(dirname "$0")/../bench/wakeprobe.c" ||
	qt_fail "building wakeprobe"
chmod 755 "$QT_DIR" "$QT_DIR/wakeprobe"

storm_start() { qt_busy $H 8 'while :; do /bin/true; done'; }
storm_stop() { qt_busy_stop $H; }
lines() { qt_lines "$EV"; }
alarms() { grep -c "fork alarm: $H " "$QT_DIR/quelld.log"; }

# both tenants' cgroups exist once a process of each was placed
qt_sleeper $H 600
qt_sleeper $P 600
idf=$(qt_idle_file $H $P) || exit 1

# 0. the storm's fork rate on this box. The default alarm (1,000 forks/s)
# is for a storm like the one this test was written on (~2,500/s); a box
# where fork and exec are slow (0.75 ms per bare fork in the VM of
# 2026-12-02, 4 ms per fork + exec of /bin/true: ~500 forks/s for the 8
# shells) gets an alarm at 40 % of what the storm makes alone, so the
# same mechanism is tested. QT_ALARM_FORKS forces a value.
storm_start
sleep 2
rate=$(qt_show_get $H "round(t['rates'].get('forks_s') or 0)")
storm_stop
ALARM=${QT_ALARM_FORKS:-1000}
if [ -z "${QT_ALARM_FORKS:-}" ] && [ "$rate" -lt 2500 ]; then
	ALARM=$((rate * 2 / 5))
	[ "$ALARM" -ge 100 ] || qt_skip "the storm makes only $rate forks/s here"
	conf $ALARM
	kill -HUP $QT_QUELLD_PID
	sleep 1
	LIMIT=${LIMIT:-3}	# the slow box's limit (below)
fi
# The limit: 1.5 s for a storm like the one this was written on. A slow
# box's storm (348-434 forks/s in the VM of 2026-12-02) starves the probe
# less, so its first wait of 5 ms or more - what the alarm needs beside the
# rate - comes later: a CI run there read 0.408 / 1.855 / 0.296 s. There
# the limit is issue 14's target, 3 s; an action that soon with the alarm
# in its evidence is still the alarm's (fork-storm's own window is 5 s here).
LIMIT=${LIMIT:-1.5}
qt_log "the storm alone: $rate forks/s; alarm_forks $ALARM; limit $LIMIT s"

# 1. the storm alone: nobody else runs, so nobody waits behind it
n=$(lines); a0=$(alarms)
storm_start
sleep 3
storm_stop
sleep 1.5		# a tick after it
a1=$(alarms)
idle=$(cat $idf)
qt_log "storm alone for 3 s: $((a1 - a0)) alarms, cpu.idle $idle"
tail -n +$((n + 1)) "$EV" 2>/dev/null | grep -q "\"tenant\":\"$H\"" &&
	qt_fail "storm alone: an action against $H: $(tail -n +$((n + 1)) "$EV" | grep "\"tenant\":\"$H\"")"
[ "$a1" = "$a0" ] || qt_fail "storm alone: $((a1 - a0)) fork alarms"
[ "$idle" = 0 ] || qt_fail "storm alone: cpu.idle of $H is $idle"

# 2. beside the probe: the alarm demotes the storm within LIMIT s
firsts=()
for r in $(seq $RUNS); do
	su -s /bin/sh $P -c "cd /tmp && exec $QT_DIR/wakeprobe 6 5000 1000 4" > "$QT_DIR/probe.out" &
	QT_PIDS+=($!)
	PR=$!
	sleep 1.5
	n=$(lines)
	t0=$(date +%s%3N)
	storm_start
	sleep 3
	idle=$(cat $idf)
	storm_stop
	wait $PR
	ev=$(tail -n +$((n + 1)) "$EV" | grep "\"tenant\":\"$H\"" | grep '"action":"apply"' | head -1)
	[ -n "$ev" ] || qt_fail "run $r: no action against $H in 3 s of storm beside the probe; log: $(grep 'fork alarm' $QT_DIR/quelld.log | tail -3)"
	read -r rule alarm ms forks wait <<<"$(python3 -c '
import json, sys
e = json.loads(sys.argv[1]); v = e["evidence"]
print(e["rule"], v.get("alarm", False), e["time_ms"], int(v["value"]), v["signal"])' "$ev")"
	first=$(awk -v a=$ms -v b=$t0 'BEGIN { printf "%.3f", (a - b) / 1000 }')
	qt_log "run $r: $rule applied ${first} s after the storm's start (alarm $alarm: $forks forks/s, the probe waited $wait ms); cpu.idle $idle; probe: $(cat $QT_DIR/probe.out)"
	[ "$rule" = fork-storm ] && [ "$alarm" = True ] || qt_fail "run $r: first action $ev"
	[ "$idle" = 1 ] || qt_fail "run $r: cpu.idle of $H is $idle during the storm"
	firsts+=($first)
	qt_ctl release $H >/dev/null || qt_fail "release $H"
	for i in $(seq 30); do [ "$(cat $idf)" = 0 ] && break; sleep 0.1; done
	[ "$(cat $idf)" = 0 ] || qt_fail "run $r: cpu.idle not lifted by release"
	sleep 1.2	# the BPF side sends one alarm a second for a tenant
done
p95=$(printf '%s\n' "${firsts[@]}" | sort -n | awk '{ a[NR] = $1 } END { i = int(NR * 0.95 + 0.999); print a[i < 1 ? 1 : i] }')
qt_log "RESULT fork alarm over $RUNS runs: gentle rung p95 ${p95} s after the storm's start (${firsts[*]})"
awk -v m="$p95" -v l=$LIMIT 'BEGIN { exit !(m >= 0 && m <= l) }' || qt_fail "p95 ${p95} s > $LIMIT s"
exit 0
