#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# A fork burst is stopped before it completes (issue 14): a tenant with no
# nproc of its own starts 1,500 sleeping processes as fast as it can
# (forkstorm.c burst: 1.1 s when nothing stops it; Python's fork, which this
# test used, took 12.9 s on the same machine on 2026-12-03, too slow to be
# the issue's burst of 1,000+ in under 2 s, and the first refusal came at
# 2.7-3.0 s, on the limit: the test now also fails if the burst ran slower
# than 500 forks/s); the default pids.max (512, docs/quell.conf) holds
# it there from its first process on, so the kernel refuses the rest. Over
# QT_RUNS runs (default 2) it measures the time from the burst's start to its
# first refused fork (the first effective action: the limit is written when
# the tenant's cgroup is made, before any burst), and checks that a
# neighbour and root still fork 100 processes each in the middle of it.
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || qt_skip "python3 missing"
command -v cc >/dev/null || qt_skip "no C compiler for forkstorm.c"
RUNS=${QT_RUNS:-2}
DEF=512
H=qbh$$; N=qbn$$
qt_users $H $N
qt_config -s 1s </dev/null
qt_quelld
chmod 755 "$QT_DIR"

LOAD=$(qt_load_script) || qt_fail "tenant_load.py"
cc -O2 -Wall -Wextra -Werror -std=gnu11 -D_GNU_SOURCE "$(dirname "$0")/forkstorm.c" \
	-o "$QT_DIR/forkstorm" || qt_fail "cc forkstorm.c"

qt_sleeper $H 600
qt_sleeper $N 600
for i in $(seq 50); do
	pf=$(qt_cgfile $H pids pids.max) && [ "$(cat $pf)" = $DEF ] && break
	sleep 0.1
done
[ "$(cat $pf 2>/dev/null)" = $DEF ] || qt_fail "$H's pids.max is '$(cat $pf 2>/dev/null)', want $DEF"
qt_log "ok   $pf = $DEF without any configuration"
cur=$(qt_cgfile $H pids pids.current)

firsts=()
for r in $(seq $RUNS); do
	: > "$QT_DIR/burst.out"
	su -s /bin/sh $H -c "cd /tmp && exec python3 $LOAD --in /$QT_ID/$H exec $QT_DIR/forkstorm burst 1500 6" \
		> "$QT_DIR/burst.out" 2>&1 &
	QT_PIDS+=($!)
	B=$!
	peak=0
	end=$((SECONDS + 30))
	while [ $SECONDS -lt $end ] && ! [ -s "$QT_DIR/burst.out" ]; do
		read -r c < "$cur" && [ "$c" -gt $peak ] && peak=$c
		sleep 0.01
	done
	nb=$(su -s /bin/sh $N -c "cd /tmp && exec python3 $LOAD fork 100 2")
	rt=$(cd /tmp && python3 $LOAD fork 100 2)
	read -r ok failed first total < "$QT_DIR/burst.out" && [[ $ok =~ ^[0-9]+$ ]] ||
		qt_fail "run $r: burst: $(cat $QT_DIR/burst.out)"
	qt_log "run $r: $ok of 1500 forks succeeded, $failed refused, first refusal ${first} s after the start (all attempts ${total} s); pids.current peak $peak; neighbour '$nb', root '$rt'"
	[ $peak -le $DEF ] || qt_fail "run $r: pids.current reached $peak > $DEF"
	[ $ok -lt $DEF ] && [ $failed -ge $((1500 - DEF)) ] ||
		qt_fail "run $r: $ok forks succeeded, $failed failed: not stopped at $DEF"
	awk -v o=$ok -v f=$first 'BEGIN { exit !(f > 0 && o / f >= 500) }' ||
		qt_fail "run $r: the burst forked $ok in $first s: under 500/s, no burst to test"
	[ "$nb" = "100 0 -1.000 ${nb##* }" ] || qt_fail "run $r: neighbour forks during the burst: '$nb'"
	[ "$rt" = "100 0 -1.000 ${rt##* }" ] || qt_fail "run $r: root forks during the burst: '$rt'"
	firsts+=($first)
	wait $B 2>/dev/null
	for i in $(seq 100); do [ "$(cat $cur)" -le 2 ] && break; sleep 0.1; done
done
p95=$(printf '%s\n' "${firsts[@]}" | sort -n | awk '{ a[NR] = $1 } END { i = int(NR * 0.95 + 0.999); print a[i < 1 ? 1 : i] }')
qt_log "RESULT fork burst over $RUNS runs: first refused fork p95 ${p95} s after the start (pids.max $DEF)"
awk -v m="$p95" 'BEGIN { exit !(m >= 0 && m <= 3) }' || qt_fail "first refusal p95 ${p95} s"
exit 0
