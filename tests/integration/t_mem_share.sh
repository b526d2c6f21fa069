#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The default memory share (issue 14, docs/policy.md "A default memory
# share"): with nothing about mem in quell.conf, every tenant's hard memory
# limit is 50 % of the memory the tenants share, min(MemTotal, the managed
# root's limit), re-read every tick.
#   1. quelld starts, then the managed root is boxed at 512 MiB (as
#      tests/bench/b_web.sh's box_setup does): both tenants' limits become
#      256 MiB (v1 memory.limit_in_bytes / v2 memory.max), and `quellctl
#      limits` says the static limit is the share (mem=50%) and in force
#      256 MiB;
#   2. a neighbour N keeps 128 MiB of its own file in page cache; the leaker
#      L grows anonymous memory at 128 MiB/s towards 400 MiB: the kernel
#      OOM-kills it in its own cgroup at ~256 MiB, before the box is full,
#      and N's cache stays resident (memory.stat);
#   3. `quellctl events` has kernel_oom_kill for L with the limit in force
#      (mem_max = 256 MiB) and when the burst began, and nothing for N.
# Without the default share L takes its 400 MiB and the 512 MiB box evicts
# N's cache (tests/bench/b_web.sh's mem kind measured half of it gone).
. "$(dirname "$0")/lib.sh"

BOX=512			# MiB, the managed root's limit
SHARE=$((BOX / 2))	# MiB, the default 50 %
NFILE=128		# MiB N keeps cached
RATE=128		# MiB/s L leaks
LCAP=400		# MiB L would reach

L=qsl$$; N=qsn$$
qt_users $L $N
# cpu-hog off: N's reader spins a CPU re-reading its cache while L waits for
# one, and cpu-hog rightly demotes it (cpu_idle); not what this test is about
qt_config -s 1s <<EOF
[rule:cpu-hog]
enabled = no
EOF
qt_quelld
chmod 755 "$QT_DIR"
LOAD=$(qt_load_script) || qt_fail "tenant_load.py"
mkdir -p "$QT_DIR/ndata" && chown $N "$QT_DIR/ndata"
qt_sleeper $L 120
qt_sleeper $N 120

# --- 1. the box after quelld started: the limits follow ------------------------------
qt_mem_box $BOX
qt_log "box: $BOXD/$BOXF = ${BOX}M after quelld started"
limit_of() { local f; f=$(qt_cgfile $1 memory memory.limit_in_bytes memory.max) && cat "$f"; }
for i in $(seq 100); do
	[ "$(limit_of $L)" = $((SHARE << 20)) ] && [ "$(limit_of $N)" = $((SHARE << 20)) ] && break
	sleep 0.1
done
[ "$(limit_of $L)" = $((SHARE << 20)) ] && [ "$(limit_of $N)" = $((SHARE << 20)) ] ||
	qt_fail "limits $(limit_of $L) / $(limit_of $N), want $((SHARE << 20)) (50% of ${BOX}M)"
grep -q "memory the tenants share: $BOX MiB" "$QT_DIR/quelld.log" ||
	qt_fail "no log line for the new base: $(grep 'memory the tenants share' $QT_DIR/quelld.log)"
qt_ctl --json limits $L | python3 -c "
import json, sys
l = json.load(sys.stdin)['limits']
assert l['static']['mem_max_pct'] == 50, l['static']
assert l['effective']['mem_max'] == $((SHARE << 20)), l['effective']
assert 'mem=50%' in l['static_text'], l['static_text']
" || qt_fail "quellctl limits $L: $(qt_ctl --json limits $L)"
qt_log "ok   both tenants limited to ${SHARE}M (50% of the ${BOX}M box), quellctl limits says mem=50%"

# --- 2. the neighbour's cache, the leak ------------------------------------------------
cache_of() {
	awk '$1 == "total_cache" { c = $2 } $1 == "file" && c == "" { f = $2 } END { print (c != "" ? c : f) + 0 }' \
		$(qt_cgfile $1 memory memory.stat)
}
oom_of() {
	local f
	f=$(qt_cgfile $1 memory memory.oom_control memory.events) &&
		awk '$1 == "oom_kill" { print $2 }' "$f"
}
su -s /bin/sh $N -c "cd /tmp && exec python3 $LOAD --in /$N --ctl memory cache $QT_DIR/ndata/file $NFILE" \
	> "$QT_DIR/cache.out" 2>&1 &
QT_PIDS+=($!)
for i in $(seq 300); do grep -q ready "$QT_DIR/cache.out" && break; sleep 0.1; done
grep -q ready "$QT_DIR/cache.out" || qt_fail "N's cache: $(cat $QT_DIR/cache.out)"
sleep 2
nc0=$(cache_of $N)
[ $nc0 -ge $(((NFILE - 8) << 20)) ] || qt_fail "N caches only $((nc0 >> 20))M of its ${NFILE}M"
oom0=$(oom_of $L)
qt_log "N caches $((nc0 >> 20))M; L leaks ${RATE}M/s towards ${LCAP}M"

su -s /bin/sh $L -c "cd /tmp && exec python3 $LOAD --in /$L --ctl memory leak $RATE $LCAP" \
	> "$QT_DIR/leak.out" 2>&1 &
LPID=$!
QT_PIDS+=($LPID)
for i in $(seq 150); do kill -0 $LPID 2>/dev/null || break; sleep 0.1; done
kill -0 $LPID 2>/dev/null && qt_fail "the leak still runs after 15 s: $(cat $QT_DIR/leak.out)"
grep -q start "$QT_DIR/leak.out" || qt_fail "the leak did not start: $(cat $QT_DIR/leak.out)"
grep -q done "$QT_DIR/leak.out" && qt_fail "L reached ${LCAP}M: no limit stopped it"
oom1=$(oom_of $L)
[ "${oom1:-0}" -gt "${oom0:-0}" ] || qt_fail "no OOM kill in L's cgroup (oom_kill $oom0 -> $oom1)"
peak=$(cat "$(qt_cgfile $L memory memory.max_usage_in_bytes memory.peak)")
nc1=$(cache_of $N)
qt_log "L OOM-killed (oom_kill $oom0 -> $oom1) at a peak of $((peak >> 20))M; N's cache $((nc0 >> 20))M -> $((nc1 >> 20))M"
[ $peak -ge $(((SHARE - 32) << 20)) ] && [ $peak -le $((SHARE << 20)) ] ||
	qt_fail "L's peak $((peak >> 20))M: not stopped at its ${SHARE}M share"
[ $nc1 -ge $((nc0 - (8 << 20))) ] || qt_fail "N lost $(((nc0 - nc1) >> 20))M of cache to the leak"
echo "ok   L stopped at its share, N's ${NFILE}M of cache resident"

# --- 3. the audit log ------------------------------------------------------------------
# L's line: written KEV_QUIET_MS (3 s) after the burst's last tick
kev() {
	qt_ctl --json events --tenant $1 | python3 -c '
import json, sys
for e in json.load(sys.stdin)["events"]:
    v = e.get("evidence") or {}
    print(e["action"], v.get("limit"), v.get("limit_value"), v.get("first_ms"), e.get("time_ms"))'
}
for i in $(seq 50); do kev $L | grep -q '^kernel_oom_kill ' && break; sleep 0.2; done
line=$(kev $L | grep '^kernel_oom_kill ' | head -1)
[ -n "$line" ] || qt_fail "no kernel_oom_kill for $L: $(kev $L)"
read -r act lim limv first when <<< "$line"
[ "$lim" = mem_max ] && [ "$limv" = $((SHARE << 20)) ] ||
	qt_fail "kernel_oom_kill names $lim=$limv, want mem_max=$((SHARE << 20))"
[ "$first" != None ] && [ "$first" -le "$when" ] || qt_fail "first_ms $first, line at $when"
[ -z "$(kev $N)" ] || qt_fail "events against the neighbour $N: $(kev $N)"
qt_log "ok   events: $act $lim=$limv (burst began $(((when - first))) ms before the line); none for $N"
exit 0
