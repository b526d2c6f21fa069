#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The default memory share over a tenant that already uses more (docs/policy.md
# "A default memory share"; src/quelld/backoff.c): on v1 the kernel refuses
# memory.limit_in_bytes under the usage it cannot reclaim (EBUSY), and quelld
# retried that write, reclaim pass and warning included, at every tick.
#   1. before quelld starts, tenant L holds 360 MiB of anonymous memory (no
#      swap: nothing to reclaim) in its cgroup under the managed root, boxed
#      at 512 MiB: its share, 256 MiB, cannot be written;
#   2. quelld starts: over 8 s the EBUSY warning appears at most 3 times
#      (backoff: tries at 0, 1, 3, 7 s, one warning; it was one a tick), no
#      tick takes longer than TICK_MAX_MS and none is late, the limit that
#      was in force stays, and `quellctl show` says its limits are not;
#   3. L frees its memory (the holder ends, a sleeper keeps the tenant): the
#      share is written within 3 s, quelld says so (info line) and show no
#      longer says not in force.
# v1 only: v2 writes memory.max under the usage and OOM-kills instead.
. "$(dirname "$0")/lib.sh"

BOX=512			# MiB, the managed root's limit
SHARE=$((BOX / 2))	# MiB, the default 50 %
HOLD=360		# MiB L holds, 70 % of the box
WATCH=8			# s the retries are watched
TICK_MAX_MS=250		# ms, a tick on this 2-core box takes 1-20

[ -d $CG/memory ] || qt_skip "no v1 memory controller: v2 never refuses a memory.max"
[ -z "$(swapon --noheadings 2>/dev/null)" ] || qt_skip "swap on: L's memory could be reclaimed"

L=qsb$$
qt_user $L >/dev/null
qt_config <<EOF2
[tenants]
sweep = 1s

[rule:cpu-hog]
enabled = no

[rule:mem-growth]
enabled = no
EOF2
chmod 755 "$QT_DIR"
LOAD=$(qt_load_script) || qt_fail "tenant_load.py"

# --- 1. L's memory before quelld -----------------------------------------------------
# the box and L's memory cgroup made by hand where quelld will find them (every
# dir under $QT_ID goes at exit, lib.sh); L's shell joins it before su, so all
# it allocates is charged there
BOXD=$CG/memory/$QT_ID
mkdir -p $BOXD/$L || qt_fail "mkdir $BOXD/$L"
echo $((BOX << 20)) > $BOXD/memory.limit_in_bytes || qt_fail "box $BOXD"
qt_sleeper $L 300
echo $! > $BOXD/$L/cgroup.procs || qt_fail "sleeper into $BOXD/$L"
bash -c "echo \$\$ > $BOXD/$L/cgroup.procs &&
	exec su -s /bin/sh $L -c 'cd /tmp && exec python3 $LOAD --in /$L --ctl memory leak 256 $HOLD'" \
	> "$QT_DIR/hold.out" 2>&1 &
HPID=$!
QT_PIDS+=($HPID)
for i in $(seq 100); do grep -q done "$QT_DIR/hold.out" && break; sleep 0.1; done
grep -q done "$QT_DIR/hold.out" || qt_fail "L did not reach ${HOLD}M: $(cat $QT_DIR/hold.out)"
usage=$(cat $BOXD/$L/memory.usage_in_bytes)
[ $usage -gt $((SHARE << 20)) ] || qt_fail "L uses $((usage >> 20))M, not above its ${SHARE}M share"
old=$(cat $BOXD/$L/memory.limit_in_bytes)
qt_log "L holds $((usage >> 20))M in a ${BOX}M box before quelld starts (share ${SHARE}M)"

# --- 2. quelld: the share is refused, tried again with a backoff ---------------------------
warns() { grep -c "tenant $L: writing limits.*Device or resource busy" "$QT_DIR/quelld.log"; }
status() { qt_ctl --json status | python3 -c "
import json, sys
s = json.load(sys.stdin)
print('%.1f %d %d' % (s['host']['tick_ms'], s['ticks_late'], s['tick']))"; }
qt_quelld
for i in $(seq 50); do [ "$(warns)" -ge 1 ] && break; sleep 0.1; done
[ "$(warns)" -ge 1 ] || qt_fail "no EBUSY warning: $(grep "$L" $QT_DIR/quelld.log | tail -5)"
# every tick's time (5 samples a tick) but the first one's: quelld's start, placement
# and the first try of the write, which no backoff spares
read -r ms late0 tick0 <<< "$(status)"
max=0
end=$((SECONDS + WATCH))
while [ $SECONDS -lt $end ]; do
	read -r ms late tick <<< "$(status)"
	echo "$tick $ms" >> "$QT_DIR/ticks"
	[ "$tick" -gt 1 ] && max=$(awk -v a="$max" -v b="$ms" 'BEGIN { print (b > a ? b : a) }')
	sleep 0.2
done
n=$(warns)
now=$(cat $BOXD/$L/memory.limit_in_bytes)
qt_log "over ${WATCH}s: $n EBUSY warning(s), ticks $tick0 -> $tick, longest tick ${max} ms, late ticks $late0 -> $late; limit in force $now"
grep "tenant $L: writing limits" "$QT_DIR/quelld.log" | sed 's/^/     /'
echo "     tick ms: $(sort -un "$QT_DIR/ticks" | awk '{ printf "%s:%s ", $1, $2 }')"
[ "$n" -le 3 ] || qt_fail "$n EBUSY warnings in ${WATCH}s: retried every tick"
[ "$now" = "$old" ] || qt_fail "limit $now: the kernel took ${SHARE}M under L's usage?"
awk -v m="$max" -v x=$TICK_MAX_MS 'BEGIN { exit !(m < x) }' ||
	qt_fail "a tick took ${max} ms (limit ${TICK_MAX_MS})"
[ "$late" = "$late0" ] || qt_fail "$((late - late0)) late tick(s) while L was over its share"
qt_log "ok   ${n} warning(s), longest tick ${max} ms, none late"
# show's "limit 256M" is what quell wants: it says that it is not in force
qt_ctl show $L > "$QT_DIR/show.out"
grep -q "^limits: *not in force: .*Device or resource busy" "$QT_DIR/show.out" ||
	qt_fail "quellctl show $L does not say its limits are not in force: $(cat $QT_DIR/show.out)"
qt_log "ok   show: $(grep '^limits:' $QT_DIR/show.out)"

# --- 3. L frees its memory: the share follows -----------------------------------------------
pkill -9 -P $HPID 2>/dev/null; kill -9 $HPID 2>/dev/null
for i in $(seq 50); do pgrep -f "leak 256 $HOLD" -u $L >/dev/null || break; sleep 0.1; done
t0=$(date +%s%N)
for i in $(seq 30); do
	[ "$(cat $BOXD/$L/memory.limit_in_bytes)" = $((SHARE << 20)) ] && break
	sleep 0.1
done
took=$((($(date +%s%N) - t0) / 1000000))
got=$(cat $BOXD/$L/memory.limit_in_bytes)
[ "$got" = $((SHARE << 20)) ] || qt_fail "limit $got 3 s after L freed its memory, want $((SHARE << 20))"
grep -q "tenant $L: limits written to .* after [0-9]* failed tr" "$QT_DIR/quelld.log" ||
	qt_fail "no info line for the write that finally succeeded"
qt_ctl show $L | grep "^limits:" && qt_fail "quellctl show $L: limits still said not in force"
qt_log "ok   L's memory freed: its ${SHARE}M share written ${took} ms later"
qt_log "     $(grep "tenant $L: limits written" $QT_DIR/quelld.log)"
exit 0
