#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Real host, many clients and a full audit log (issue 11 items 3 and 4):
# quelld with the shipped docs/quell.conf (history on, metrics on), 500 Unix
# users with processes, and an audit log of the default full size (events.jsonl
# and its 5 rotations, 10 MB each) written before the start.
#   1. `quellctl events --limit 50`: the newest 50, the median of 5 calls
#      < 100 ms and each < 500 ms (one may wait for a tick), and
#      quelld's peak RSS grows little (VmHWM, <= 32 MB over 5 calls; 2 when
#      they take seconds);
#   2. 200 hostile clients for QT_RH_HOLD s (default 25): 40 as root and 10
#      for each of 16 tenants, a quarter each idle, never reading, sending a
#      byte every 0.3 s, stopping mid-line -> `quellctl status` (timed with
#      its fork and exec) p95 < 100 ms more than the p95 of `quellctl --help`
#      timed alongside (the box's own cost of starting it under that load)
#      and max < 1 s, and no tick late by
#      more than one period: a poller on its own connection asks `status`
#      every 0.2 s and the `tick` counter never stands still for more than
#      two periods (+0.4 s of polling resolution), and quelld itself uses
#      under 40 % of a CPU meanwhile (never-readers are held, not served);
#   3. afterwards quelld answers and holds no more fds than before.
# Ticks are observed through the `tick` counter of `status`: at log_level =
# info (the default) quelld logs nothing per tick ("tick overran" is debug).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/realhost.sh"

N=${QT_RH_TENANTS:-500}
HOLD=${QT_RH_HOLD:-25}
LOG_MB=10

rh_lock_uids
rh_state_tmpfs 1G
rh_users $N
rh_sleepers
rh_config </dev/null
tick_s=$(awk -F'[ =]+' '/^tick *=/ { print $2 }' "$QT_DIR/quell.conf")
case $tick_s in
"") tick_s=1;;		# the shipped file leaves tick at its default, 1s
*ms) tick_s=$(awk -v v="${tick_s%ms}" 'BEGIN { print v / 1000 }');;
*s) tick_s=${tick_s%s};;
esac

# --- the audit log: 6 x ~10 MB, oldest in .5, lines as audit_log writes them ---------------
t=$(rh_ms)
python3 - "$QT_DIR/state/events.jsonl" $LOG_MB "${RH_NAMES[@]}" <<'PY' || qt_fail "audit log generation"
import json, random, sys, time
path, mb, names = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
random.seed(11)
now = int(time.time()) - 60
lines = []
size = 0
files = []
t = now - 86400 * 30
cap = mb * 1024 * 1024 - 4096		# under max_size: the first new line must not rotate
while len(files) < 6:
    t += 17
    n = random.choice(names)
    ev = {"time": t, "time_ms": t * 1000 + 123, "tenant": n, "rule": "cpu-hog",
          "action": random.choice(["apply", "escalate", "step_down", "release"]),
          "level": random.randint(1, 3), "dry_run": False, "limits": {"cpu_pct": 50.0},
          "limits_text": "cpu=50%", "cgroup": "quell/" + n,
          "evidence": {"metric": "cpu_pct", "value": round(random.uniform(80, 200), 1),
                       "above": 80.0, "while": "suffered_sum", "signal": 312.5,
                       "while_above": 50.0, "over_s": 10.0, "hold_s": 60.0,
                       "faults": {"cpu_throttled_s": 0, "mem_high_s": 0, "mem_max_s": 0,
                                  "pids_max_s": 0, "oom_s": 0}}}
    line = json.dumps(ev, separators=(",", ":")) + "\n"
    if size + len(line) > cap:
        files.append(lines)
        lines, size = [], 0
    lines.append(line)
    size += len(line)
# files[0] is the oldest: events.jsonl.5 ... files[5] is events.jsonl
for i, chunk in enumerate(files):
    k = 5 - i
    with open(path + (f".{k}" if k else ""), "w") as f:
        f.writelines(chunk)
PY
newest=$(tail -1 "$QT_DIR/state/events.jsonl" | python3 -c 'import json,sys; print(json.load(sys.stdin)["time"])')
qt_log "audit log: $(ls "$QT_DIR"/state/events.jsonl* | wc -l) files, $(du -cm "$QT_DIR"/state/events.jsonl* | tail -1 | cut -f1) MB, $(cat "$QT_DIR"/state/events.jsonl* | wc -l) lines, written in $(($(rh_ms) - t)) ms"

rh_quelld
P=$QT_QUELLD_PID
qt_log "quelld $P up with $N users (uids $RH_UID_MIN..)"
vm() { awk -v k="$1:" '$1 == k { print $2 }' /proc/$P/status; }	# kB
sleep 3

# --- 1. events --limit 50 against the full log -------------------------------------------------------
rss0=$(vm VmRSS) hwm0=$(vm VmHWM)
worst=0 all=
for i in 1 2 3 4 5; do
	t=$(rh_ms)
	qt_ctl --json events --limit 50 > "$QT_DIR/events.json" 2> "$QT_DIR/events.err"
	rc=$? dt=$(($(rh_ms) - t))
	all="$all $dt"
	[ $dt -gt $worst ] && worst=$dt
	[ $rc = 0 ] || break
	[ $worst -gt 2000 ] && [ $i -ge 2 ] && break	# 9451f72 took 4-19 s a call: two say enough
done
rss1=$(vm VmRSS) hwm1=$(vm VmHWM)
got=$(python3 -c '
import json, sys
e = json.load(open(sys.argv[1]))["events"]
print(len(e), max(x["time"] for x in e) if e else 0)' "$QT_DIR/events.json" 2>/dev/null)
[ $rc = 0 ] && [ "$got" = "50 $newest" ] && rh_ok "events --limit 50: the newest 50 (ms per call:$all)" ||
	rh_bad "events --limit 50: exit $rc, got '$got' want '50 $newest' ($(head -c 150 "$QT_DIR/events.err"))"
# A call that arrives during a tick waits for it: 100-210 ms a tick at 500
# tenants on the VM of 2026-12-02, more in the first seconds, while the
# history thread creates the tenants' RRD files. There one call of five
# took 104-137 ms where the others took 33-60 (and 9451f72 took 4-19 s
# each): the median is the command's cost, the slowest says none stalls.
med=$(printf '%s\n' $all | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
[ $rc = 0 ] && [ "$med" -lt 100 ] && [ $worst -lt 500 ] &&
	rh_ok "events --limit 50: median $med ms < 100 ms, slowest $worst ms < 500 ms" ||
	rh_bad "events --limit 50: ms per call:$all (want a median < 100, each < 500)"
qt_log "quelld RSS ${rss0} -> ${rss1} kB, peak (VmHWM) ${hwm0} -> ${hwm1} kB over the events calls"
[ -n "$hwm1" ] && [ $((hwm1 - hwm0)) -le 32768 ] && rh_ok "peak RSS grew $(((hwm1 - hwm0) / 1024)) MB (<= 32)" ||
	rh_bad "peak RSS grew from $hwm0 to ${hwm1:-?} kB reading 50 events"

# --- 2. 200 hostile clients ------------------------------------------------------------------------
rh_alive || rh_quelld
P=$QT_QUELLD_PID
sleep 2
fd0=$(ls /proc/$P/fd | wc -l)
mkdir -p "$QT_DIR/bin" && cp "$RH_HERE/realhost_clients.py" "$QT_DIR/bin/" && chmod -R a+rX "$QT_DIR/bin"
CLI=$QT_DIR/bin/realhost_clients.py
SYSPY=/usr/bin/python3		# root's python3 may be a shim in /root that tenants cannot run
python3 "$CLI" ticks "$QT_DIR/quell.sock" --secs $((HOLD + 4)) --tick "$tick_s" \
	--ready "$QT_DIR/ticks.ready" > "$QT_DIR/ticks.json" &
poller=$!
QT_PIDS+=($poller)
# its first reply is the baseline: only then the clients come
for i in $(seq 100); do [ -e "$QT_DIR/ticks.ready" ] && break; sleep 0.1; done
[ -e "$QT_DIR/ticks.ready" ] || rh_bad "the tick poller got no first reply in 10 s"
hpids=()
python3 "$CLI" hostile "$QT_DIR/quell.sock" --conns 40 --hold $HOLD > "$QT_DIR/hostile.root" 2>&1 &
hpids+=($!)
for k in $(seq 100 115); do
	setpriv --reuid=${RH_UIDS[$k]} --regid=65534 --clear-groups -- \
		$SYSPY "$CLI" hostile "$QT_DIR/quell.sock" --conns 10 --hold $HOLD > "$QT_DIR/hostile.$k" 2>&1 &
	hpids+=($!)
done
QT_PIDS+=("${hpids[@]}")
sleep 3		# every connection made, the never-readers' buffers full
lat=() base=()
end=$((SECONDS + HOLD - 5))
cpu0=$(rh_cpu_ms $P) t_cpu0=$(rh_ms)
while [ $SECONDS -lt $end ]; do
	t=$(date +%s%N)
	timeout 30 "$QT_BUILD/quellctl" -s "$QT_DIR/quell.sock" status >/dev/null 2>&1 || lat+=(99999)
	lat+=($((($(date +%s%N) - t) / 1000000)))
	# the same fork and exec without quelld: what the box itself costs
	t=$(date +%s%N)
	timeout 30 "$QT_BUILD/quellctl" --help >/dev/null 2>&1
	base+=($((($(date +%s%N) - t) / 1000000)))
	sleep 0.2	# ~50 calls: a p95 of 28 was the second slowest
done
cpu1=$(rh_cpu_ms $P) t_cpu1=$(rh_ms)
wait "${hpids[@]}" $poller
pct() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END {
	i = int(NR * 0.95) + 1; if (i > NR) i = NR
	printf "%d %d %d %d\n", v[int(NR * 0.5) + 1], v[i], v[NR], NR }'; }
read -r p50 p95 max n <<<"$(pct "${lat[@]}")"
read -r b50 b95 bmax bn <<<"$(pct "${base[@]}")"
qt_log "quellctl status under 200 clients: $n calls, p50 $p50 ms, p95 $p95 ms, max $max ms; quellctl --help (no quelld) p50 $b50 ms, p95 $b95 ms"
# 100 ms of quelld's own on top of what starting quellctl costs on this box
# under the same load: fork and exec took 4 ms idle on the VM of 2026-12-02
# and tens of ms beside the 200 clients (p50 65 ms, p95 159 ms for status,
# while the tick poller's own connection got its replies in 0.7 / 30 ms)
[ "$p95" -lt $((100 + b95)) ] && [ "$max" -lt 1000 ] &&
	rh_ok "quellctl status: p95 $p95 ms < 100 + $b95, max $max ms < 1000" ||
	rh_bad "quellctl status under 200 clients: p95 $p95 ms, max $max ms (want < 100 + $b95, < 1000)"
# quelld's own CPU while the clients hammer it:
# never-readers pipelining `snapshot` are served one reply, then held
# until they read (src/quelld/api.c API_OUT_HOLD); served on to their
# 4 MiB cap, they kept quelld 72-87 % of a CPU busy here
busy=$(awk -v c="$((cpu1 - cpu0))" -v ms="$((t_cpu1 - t_cpu0))" 'BEGIN { printf "%.0f", c * 100 / ms }')
qt_log "quelld used $busy % of a CPU under the 200 clients"
[ "$busy" -lt 40 ] && rh_ok "quelld $busy % busy under the clients (< 40)" ||
	rh_bad "quelld $busy % of a CPU busy under the 200 clients (want < 40)"
cat "$QT_DIR/ticks.json" | sed 's/^/  ticks: /'
read -r gap samples done expect <<<"$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(d["max_gap_s"], d["samples"], d["ticks_done"], d["ticks_expected"])' "$QT_DIR/ticks.json" 2>/dev/null)"
lim=$(awk -v t="$tick_s" 'BEGIN { print 2 * t + 0.4 }')
awk -v g="${gap:-99}" -v l="$lim" 'BEGIN { exit !(g <= l) }' &&
	rh_ok "the tick counter never stood still longer than $gap s (limit $lim s, $samples polls)" ||
	rh_bad "a tick was late: the tick counter stood still for ${gap:-?} s (limit $lim s; $samples polls)"
awk -v d="${done:-0}" -v e="${expect:-99}" 'BEGIN { exit !(d >= e - 1.5) }' &&
	rh_ok "$done ticks done of $expect due while the clients were connected" ||
	rh_bad "ticks lost: $done done of $expect due while the clients were connected"
python3 - "$QT_DIR" <<'PY' | sed 's/^/  /'
import glob, json, sys
tot = {}
ten = {"connected": 0, "replies": 0}
for f in sorted(glob.glob(sys.argv[1] + "/hostile.*")):
    try:
        d = json.load(open(f))
    except ValueError:
        print(f.rsplit("/", 1)[1] + ": " + open(f).read()[:200].replace("\n", " "))
        continue
    who = "root" if f.endswith(".root") else "tenants"
    t = tot.setdefault(who, {})
    for k, v in d.items():
        if k == "errors":
            for e, c in v.items():
                t.setdefault("errors", {})[e] = t.get("errors", {}).get(e, 0) + c
        else:
            t[k] = t.get(k, 0) + v
for who, t in tot.items():
    print(who + ": " + json.dumps(t))
json.dump(tot, open(sys.argv[1] + "/hostile.sum", "w"))
PY
conn=$(python3 -c 'import json,sys; d = json.load(open(sys.argv[1])); print(d.get("root", {}).get("connected", 0), d.get("tenants", {}).get("connected", 0))' "$QT_DIR/hostile.sum")
read -r croot cten <<<"$conn"
[ "$croot" -ge 40 ] && rh_ok "root's 40 hostile connections made ($croot connects)" ||
	rh_bad "only $croot of root's 40 hostile connections were made"
[ "$cten" -ge 16 ] && rh_ok "tenants' hostile connections made ($cten connects)" ||
	rh_bad "tenants could not connect ($cten connects): the socket is closed to tenants (issue 12 wants them in)"

# --- 3. afterwards ------------------------------------------------------------------------------------
if rh_alive; then
	# the clients are gone; give quelld a few ticks to notice every hang-up
	for i in $(seq 20); do
		fd1=$(ls /proc/$P/fd | wc -l)
		[ "$fd1" -le "$fd0" ] && break
		sleep 0.5
	done
	t=$(rh_ms)
	qt_ctl status >/dev/null && rh_ok "quelld answers after the clients left ($(($(rh_ms) - t)) ms)" ||
		rh_bad "quelld does not answer after the clients left"
	[ "$fd1" -le "$fd0" ] && rh_ok "fds: $fd0 before, $fd1 after" || rh_bad "fds: $fd0 before, $fd1 after"
else
	rh_bad "quelld died (exit $RH_RC)"
fi
rh_done
