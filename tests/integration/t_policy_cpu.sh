#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Dynamic CPU rule on the real kernel (issues 4 and 14): a CPU hog tenant
# (stress-ng --cpu 4) beside a neighbour tenant (a request handler that
# waits behind it, and a 1 ms sleep loop whose p99 is logged) is demoted by
# the embedded cpu-hog rule's gentle first rung (cpu.idle = 1, no cap)
# within seconds. The same hog
# with nobody else busy is never touched. Measures, over QT_RUNS runs
# (default 2; docs/policy.md "Measured" used 10): time from abuse start to
# the first action (p50 / p95 / max, p95 must be <= 3 s), and the probe's p99
# alone, beside the hog with quell in dry-run, beside the demoted hog.
. "$(dirname "$0")/lib.sh"

command -v stress-ng >/dev/null || qt_skip "stress-ng missing"
command -v python3 >/dev/null || qt_skip "python3 missing"
RUNS=${QT_RUNS:-2}
PROBE_S=${QT_PROBE_S:-10}
# the embedded threshold. On a box busy with other (non-tenant) work the hog
# may get less than 80% of a core: then the threshold is lowered to 60% of
# what the hog really got (its 20th percentile, measured below with quell in
# dry-run), so the same mechanism is tested; QT_CPU_ABOVE forces a value.
ABOVE=${QT_CPU_ABOVE:-80}

H=qh$$; P=qp$$
qt_users $H $P
EV=$QT_DIR/state/events.jsonl
qt_config -s 1s -e "$EV" <<EOF
[rule:cpu-hog]
above = $ABOVE
EOF
qt_quelld

# The probe: a SCHED_OTHER task that sleeps 1 ms and records how late it woke
# (cyclictest needs an RT policy a tenant cannot get, so this is its
# SCHED_OTHER equivalent; python adds a constant ~20-50 us to every sample).
cat > "$QT_DIR/probe.py" <<'PY'
import sys, time
dur = float(sys.argv[1]); out = []
end = time.monotonic() + dur
while time.monotonic() < end:
    t = time.perf_counter_ns()
    time.sleep(0.001)
    out.append((time.perf_counter_ns() - t - 1000000) / 1000)
out.sort()
print(int(out[int(len(out) * 0.99)]) if out else "nan")
PY
chmod 755 "$QT_DIR" "$QT_DIR/probe.py"
# The neighbour that suffers while the window runs: a request handler
# (tests/bench/wakeprobe.c, 3 threads, 1 ms of work every 5 ms: 60 % of a
# CPU, under cpu-hog's 80 %). The 1 ms sleeper alone stopped waiting behind
# the hog after its first seconds on a 2026-12-02 box (0 ms/s: the kernel
# ran it at once at each wake; p99 beside the hog under alone), with quell
# of any version, so the rule rightly saw nobody to protect.
cc -O2 -pthread -o "$QT_DIR/wakeprobe" "$(dirname "$0")/../bench/wakeprobe.c" ||
	qt_fail "building wakeprobe"
chmod 755 "$QT_DIR/wakeprobe"
handler() {
	su -s /bin/sh $P -c "cd /tmp && exec $QT_DIR/wakeprobe $1 5000 1000 3" >/dev/null 2>&1 &
	QT_PIDS+=($!)
}

# p99 wakeup latency (us) of the probe user over PROBE_S seconds
probe_p99() {
	su -s /bin/sh $P -c "cd /tmp && exec python3 $QT_DIR/probe.py ${1:-$PROBE_S}" 2>/dev/null
}

# seconds (3 decimals) until the events log has an action $2 for tenant $1 after line $3
wait_action() {
	local t0=$(date +%s%N) now
	while :; do
		if tail -n +$(($3 + 1)) "$EV" 2>/dev/null |
		   grep "\"tenant\":\"$1\"" | grep -q "\"action\":\"$2\""; then
			now=$(date +%s%N)
			awk -v ns=$((now - t0)) 'BEGIN { printf "%.3f", ns / 1e9 }'
			return 0
		fi
		now=$(date +%s%N)
		[ $(( (now - t0) / 1000000000 )) -gt $4 ] && return 1
		sleep 0.1
	done
}

lines() { qt_lines "$EV"; }

# the hog's cpu_pct as quell sees it, once a second for $1 s
cpu_samples() {
	local i
	for i in $(seq $1); do
		echo $(qt_ctl --json show $H 2>/dev/null |
			python3 -c "import json, sys; print(json.load(sys.stdin)['tenant']['rates']['cpu_pct'])") \
		     $(qt_ctl --json show $P 2>/dev/null |
			python3 -c "import json, sys; print(json.load(sys.stdin)['tenant']['rates']['suffered_ms_s'])")
		sleep 1
	done
}
host_load() { echo "load $(cut -d' ' -f1-3 /proc/loadavg), cpu psi $(awk '/some/ { print $2 }' /proc/pressure/cpu 2>/dev/null)"; }

hog_start() {
	su -s /bin/sh $H -c "cd /tmp && exec stress-ng --cpu 4 --timeout 600s --temp-path /tmp --quiet" &
	QT_PIDS+=($!)
	HOG=$!
}
hog_stop() {
	pkill -9 -u $H 2>/dev/null
	wait $HOG 2>/dev/null
}

# the probe must be a tenant that quell sees suffering: start it once so the
# tenant and its cgroup exist
su -s /bin/sh $P -c "sleep 2"

alone=$(probe_p99)
qt_log "probe alone: p99 ${alone} us"

# busy alone: the hog with nobody else wanting the CPU is never touched
# (test_busy_alone_is_left_alone on the real kernel), not even demoted
n=$(lines)
hog_start
sleep 8
if tail -n +$((n + 1)) "$EV" 2>/dev/null | grep "\"tenant\":\"$H\"" | grep -q '"action"'; then
	tail -n +$((n + 1)) "$EV"
	qt_fail "busy alone: an action against $H while nobody else was busy"
fi
idle=$(cat $(qt_cgfile $H cpu cpu.idle) 2>/dev/null)
[ "${idle:-0}" = 0 ] || qt_fail "busy alone: cpu.idle of $H is $idle"
qt_log "ok   busy alone for 8 s: no action, cpu.idle ${idle:-absent}"
hog_stop

# hog alone (quell in dry-run: it logs, writes nothing)
qt_config -s 1s -e "$EV" <<EOF
[policy]
dry_run = yes

[rule:cpu-hog]
above = $ABOVE
EOF
kill -HUP $QT_QUELLD_PID
sleep 1
hog_start
handler 120	# stopped below: the samples take longer than PROBE_S on a loaded box
sleep 3
cpu_samples $PROBE_S > "$QT_DIR/cpu.samples" &
samp=$!
hogonly=$(probe_p99)
wait $samp
pkill -9 -u $P -f wakeprobe 2>/dev/null
qt_log "probe beside the hog, quell dry-run: p99 ${hogonly} us"
hog_stop
p20=$(cut -d' ' -f1 "$QT_DIR/cpu.samples" | sort -g | awk '{ a[NR] = $1 } END { print NR ? a[int(NR * 0.2) + 1] : 0 }')
s20=$(cut -d' ' -f2 "$QT_DIR/cpu.samples" | sort -g | awk '{ a[NR] = $1 } END { print NR ? a[int(NR * 0.2) + 1] : 0 }')
qt_log "hog cpu_pct / probe suffered_ms_s each second: $(tr '\n' ',' < $QT_DIR/cpu.samples) (p20 $p20 / $s20); host: $(host_load)"
WHILE_ABOVE=${QT_WHILE_ABOVE:-50}
# the probe waits mostly behind other people's (non-tenant) load then, which
# rightly is not blamed on the hog: lower while_above the same way
if [ -z "${QT_WHILE_ABOVE:-}" ] && awk -v p=$s20 'BEGIN { exit !(p < 100) }'; then
	WHILE_ABOVE=$(awk -v p=$s20 'BEGIN { a = int(p * 0.6); print a < 5 ? 5 : a }')
	qt_log "the probe's p20 suffering is $s20 ms/s < 100: while_above lowered to $WHILE_ABOVE"
fi
if [ -z "${QT_CPU_ABOVE:-}" ] && awk -v p=$p20 'BEGIN { exit !(p < 100) }'; then
	ABOVE=$(awk -v p=$p20 'BEGIN { a = int(p * 0.6); print a < 5 ? 5 : a }')
	qt_log "box loaded by others: the hog's p20 is $p20% < 100%, cpu-hog threshold lowered to $ABOVE%"
fi
# a dry-run apply must have been logged, and nothing written
grep -q "\"tenant\":\"$H\".*\"dry_run\":true" "$EV" || qt_log "note: no dry-run action logged for $H"

qt_config -s 1s -e "$EV" <<EOF
[rule:cpu-hog]
above = $ABOVE
while_above = $WHILE_ABOVE
EOF
kill -HUP $QT_QUELLD_PID
sleep 2

times=(); urgent=(); windowed=()
withq=()
for r in $(seq $RUNS); do
	qt_ctl release $H >/dev/null 2>&1
	sleep 2
	n=$(lines)
	hog_start
	# the handler waits while the window runs
	handler 40
	bg=$!
	s=$(wait_action $H apply $n 40) || { tail -5 "$EV"; grep -v placed "$QT_DIR/quelld.log" | tail -30; \
		qt_fail "run $r: hog not demoted within 40 s"; }
	kill $bg 2>/dev/null; pkill -9 -u $P -f wakeprobe 2>/dev/null; wait $bg 2>/dev/null
	times+=($s)
	# the neighbour's wait at the trip: past cpu-hog's urgent_above (50
	# ms/s, docs/policy.md) the gentle rung may come at the first sample
	sig=$(tail -n +$((n + 1)) "$EV" | grep "\"tenant\":\"$H\"" | grep '"action":"apply"' |
		head -1 | python3 -c 'import json, sys; print(json.load(sys.stdin)["evidence"]["signal"])')
	if awk -v s="$sig" 'BEGIN { exit !(s > 50) }'; then
		urgent+=($s)
	else
		windowed+=($s)
	fi
	# the cgroup really holds the gentle rung, and no cap yet
	idle=$(cat $(qt_cgfile $H cpu cpu.idle) 2>/dev/null)
	[ "$idle" = 1 ] || qt_fail "run $r: cpu.idle of $H is '$idle', want 1"
	if [ -f $CG/cpu/$QT_ID/$H/cpu.cfs_quota_us ]; then
		quota=$(cat $CG/cpu/$QT_ID/$H/cpu.cfs_quota_us)
	else
		quota=$(cut -d' ' -f1 $CG/$QT_ID/$H/cpu.max)
	fi
	q=$(probe_p99 8)
	withq+=($q)
	qt_log "run $r: demoted ${s} s after the hog started (cpu.idle $idle, quota $quota); probe p99 ${q} us"
	hog_stop
done

sorted=$(printf '%s\n' "${times[@]}" | sort -n)
p50=$(printf '%s\n' $sorted | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
p95=$(printf '%s\n' $sorted | awk '{ a[NR] = $1 } END { i = int(NR * 0.95 + 0.999); print a[i < 1 ? 1 : i] }')
max=$(printf '%s\n' $sorted | tail -1)
wq=$(printf '%s\n' "${withq[@]}" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
qt_log "RESULT time to first action over $RUNS runs: p50 ${p50} s, p95 ${p95} s, max ${max} s (rule: above $ABOVE for gentle_for 1s while suffered_max > $WHILE_ABOVE; host: $(host_load))"
qt_log "RESULT probe p99: alone ${alone} us, hog alone ${hogonly} us, hog demoted (cpu.idle) ${wq} us (median of runs)"
# never before the gentle window (1 s of per-second samples); p95 within
# 3 s (issue 14), or 6 s on a box whose CPU pressure is above 50% (other
# people's load: everything, quelld's tick included, runs late)
# (the urgent way, a neighbour waiting past 50 ms/s, may take the first sample)
min=$(printf '%s\n' "${windowed[@]}" | sort -n | head -1)
[ -z "$min" ] || awk -v m="$min" 'BEGIN { exit !(m >= 0.9) }' ||
	qt_fail "demoted after ${min} s, before the 1 s window, with the neighbour under urgent_above"
[ ${#urgent[@]} = 0 ] || qt_log "urgent way (neighbour past 50 ms/s at the trip): ${urgent[*]} s"
slack=3
awk '/some/ { split($2, a, "="); exit !(a[2] > 50) }' /proc/pressure/cpu 2>/dev/null && slack=6
awk -v m="$p95" -v s=$slack 'BEGIN { exit !(m <= s) }' || qt_fail "first action p95 ${p95} s (> $slack s)"
exit 0
