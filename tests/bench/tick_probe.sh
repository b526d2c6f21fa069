#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# tick_probe.sh [SRC]: quelld at rest with N (10,000) empty tenant cgroups in
# the v2 hierarchy ([tenants] mode = cgroups), the shipped docs/quell.conf as
# t_realhost_cgroups runs it (history and metrics on). Prints quelld's CPU
# at rest (utime + stime over W s, per tick), 10 samples of its own tick_ms,
# the wall time of LISTS `quellctl --json list` fired 0, 0.1, ... 0.9 s after
# a tick ended (so some land on a tick), RSS, and a perf profile (PERF s,
# dwarf call graphs; inclusive and self % of quelld's samples). Knobs: N, W,
# PERF (0: none), LISTS, LISTPERF=1 (perf of quelld during the lists), BUILD
# (build dir under SRC), OUT (perf data). Not
# part of `make bench`: docs/performance.md, "The tick at 10,000 tenants".
# Cleans up like the integration tests (lib.sh, realhost.sh traps).
WT=$(cd "${1:-$(dirname "$0")/../..}" && pwd)
export QT_BUILD=$WT/${BUILD:-build}
export QT_RH_DEADLINE=${QT_RH_DEADLINE:-1500}
. $WT/tests/integration/lib.sh
. $WT/tests/integration/realhost.sh
N=${N:-10000}; W=${W:-20}; PERF=${PERF:-15}; LISTS=${LISTS:-10}; OUT=${OUT:-$WT/${BUILD:-build}/tick_probe}
mkdir -p $OUT
if [ -d $CG/unified ] && grep -q " $CG/unified cgroup2 " /proc/mounts; then V2=$CG/unified
elif grep -q " $CG cgroup2 " /proc/mounts; then V2=$CG
else qt_skip "no cgroup v2 hierarchy"; fi
la() { cut -d' ' -f1-3 /proc/loadavg; }
cpu() { sed 's/.*) //' /proc/$QT_QUELLD_PID/stat | awk '{ print $12 + $13 }'; }
HZ=$(getconf CLK_TCK)
status() { qt_ctl --json status 2>/dev/null | python3 -c "import json,sys; s = json.load(sys.stdin); print($1)" 2>/dev/null; }

rh_state_tmpfs 1G
python3 - "$V2/$QT_ID" $N <<'PY' || qt_fail "mkdir"
import os, sys
parent, n = sys.argv[1], int(sys.argv[2])
os.mkdir(parent)
for i in range(n):
    os.mkdir(f"{parent}/qc{i:05d}")
PY
RH_TENANTS_EXTRA="mode = cgroups
parent = $QT_ID"
rh_config </dev/null
rh_quelld
for i in $(seq 60); do [ "$(status 's["host"]["tenants"]')" = $N ] && break; sleep 1; done
echo "tenants: $(status 's["host"]["tenants"]') pid $QT_QUELLD_PID tree $WT"
sleep 4
# 1. CPU at rest
l0=$(la); k0=$(status 's["tick"]'); c0=$(cpu); n0=$(date +%s%N)
sleep $W
c1=$(cpu); n1=$(date +%s%N); k1=$(status 's["tick"]'); l1=$(la)
awk -v a=$c0 -v b=$c1 -v hz=$HZ -v w=$((n1 - n0)) -v t=$((k1 - k0)) -v n=$N -v l0="$l0" -v l1="$l1" 'BEGIN {
	ms = (b - a) / hz * 1000; pct = ms / (w / 1e6) * 100
	printf "cpu at rest: %.3f %% of a core (%.3f per 1,000 tenants), %.1f ms CPU over %d ticks = %.2f ms/tick; load %s -> %s\n", pct, pct / n * 1000, ms, t, ms / t, l0, l1 }'
# 2. tick_ms (the daemon's own wall clock of its last tick)
ts=()
for i in $(seq 10); do ts+=($(status 's["host"]["tick_ms"]')); sleep 1.1; done
echo "tick_ms: $(printf '%s\n' "${ts[@]}" | sort -g | awk '{ a[NR] = $1 } END { printf "median %.1f min %.1f max %.1f (n=%d)", a[int((NR + 1) / 2)], a[1], a[NR], NR }'); load $(la)"
# 3. list --json over the tick's phase
lt=(); c0=$(cpu)
if [ -n "${LISTPERF:-}" ]; then	# profile quelld while it serves the lists
	perf record -q --call-graph dwarf,16384 -F 997 -p $QT_QUELLD_PID -o $OUT/list.perf.data &
	lp=$!
fi
for i in $(seq 0 $((LISTS - 1))); do
	k=$(status 's["tick"]')
	while [ "$(status 's["tick"]')" = "$k" ]; do sleep 0.01; done	# a tick just ended
	sleep $(awk -v i=$i -v n=$LISTS 'BEGIN { printf "%.3f", i * 1.0 / n }')
	a=$(date +%s%N)
	qt_ctl --json list > $OUT/list.json || echo "list failed"
	lt+=($(( ($(date +%s%N) - a) / 1000000 )))
done
c1=$(cpu)
if [ -n "${LISTPERF:-}" ]; then
	kill -INT $lp; wait $lp
	perf report -i $OUT/list.perf.data --stdio --children --sort symbol -g none 2>/dev/null |
		grep -v '^#' | grep -v '^$' | head -40 > $OUT/list.perf.txt
fi
echo "list --json ms (phase 0..0.9 s after a tick end): ${lt[*]}; sorted: $(printf '%s\n' "${lt[@]}" | sort -n | paste -sd' '); quelld CPU $(( (c1 - c0) * 1000 / HZ / LISTS )) ms/list (incl. ticks); load $(la); $(stat -c %s $OUT/list.json) bytes"
echo "RSS $(awk '/^VmRSS/ { print $2 }' /proc/$QT_QUELLD_PID/status) kB"
# 4. perf
if [ "$PERF" != 0 ]; then
	perf record -q --call-graph dwarf,16384 -F 997 -p $QT_QUELLD_PID -o $OUT/perf.data -- sleep $PERF >/dev/null 2>&1
	echo "perf load $(la)"
	perf report -i $OUT/perf.data --stdio --children --sort symbol -g none 2>/dev/null | grep -v '^#' | grep -v '^$' | head -45 > $OUT/perf.children.txt
	perf report -i $OUT/perf.data --stdio --no-children --sort symbol -g none 2>/dev/null | grep -v '^#' | grep -v '^$' | head -30 > $OUT/perf.self.txt
	perf report -i $OUT/perf.data --stdio 2>/dev/null | sed -n 's/^# Samples: //p' | head -1
	cat $OUT/perf.children.txt
	echo "--- self"; cat $OUT/perf.self.txt
fi
rh_alive && rh_ok "quelld alive" || rh_bad "quelld died"
rh_done
