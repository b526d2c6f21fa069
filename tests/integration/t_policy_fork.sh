#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Static nproc limit on the real kernel (issue 4): a tenant with nproc = 50
# runs a bounded fork storm (2000 fork attempts, children sleep): pids.max
# holds it at 50 (sampled pids.current and the kernel's pids.peak never pass
# 50, forks beyond it fail with EAGAIN), the kernel's and quell's
# pids_max_events grow (`quellctl show --json`), and a neighbour tenant and
# root can still fork 100 processes each in the middle of the storm. The
# neighbour, with no nproc of its own, has the default pids.max (512).
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || qt_skip "python3 missing"

H=qfh$$; N=qfn$$
NPROC=50
qt_users $H $N
qt_config -s 1s <<EOF
[tenant:$H]
nproc = $NPROC
EOF
qt_quelld


# fork storms wait until placed (tests/integration/tenant_load.py): a process
# forking in the few ms between su's setuid() and quell moving it would bring
# its children along, and migration is not bound by pids.max (docs/placement.md)
LOAD=$(qt_load_script) || qt_fail "tenant_load.py"

# the tenants' cgroups exist once a process has been placed
qt_sleeper $H 60
qt_sleeper $N 60
for i in $(seq 50); do
	pf=$(qt_cgfile $H pids pids.max) && pf2=$(qt_cgfile $N pids pids.max) &&
		[ "$(cat $(qt_cgfile $H pids pids.current))" -ge 1 ] && break
	sleep 0.1
done
[ -n "$pf" ] || qt_fail "no pids cgroup for $H"
[ "$(cat $pf)" = $NPROC ] || qt_fail "$pf = $(cat $pf), want $NPROC"
# the neighbour has no nproc of its own: the default (issue 14, docs/quell.conf)
[ "$(cat $pf2)" = 512 ] || qt_fail "neighbour $pf2 = $(cat $pf2), want the default 512"
qt_log "ok   $pf = $NPROC, neighbour 512 (the default)"
cur=$(qt_cgfile $H pids pids.current)
ev=$(qt_cgfile $H pids pids.events)
kev0=$(awk '$1 == "max" { print $2 }' $ev)
qev0=$(qt_show_get $H "t['counters']['pids_max_events']")

su -s /bin/sh $H -c "cd /tmp && exec python3 $LOAD --in /$QT_ID/$H fork 2000 15" > "$QT_DIR/storm.out" 2>&1 &
QT_PIDS+=($!)
STORM=$!
# sample while the storm runs (until its 2000 attempts are done, at most 40 s)
peak=0
end=$((SECONDS + 40))
while [ $SECONDS -lt $end ] && ! [ -s "$QT_DIR/storm.out" ]; do
	read -r c < "$cur" && [ "$c" -gt $peak ] && peak=$c
	sleep 0.01
done
# the tenant sits at its limit (children sleep 15 s): neighbour and root fork now
nb=$(su -s /bin/sh $N -c "cd /tmp && exec python3 $LOAD fork 100 3")
rt=$(cd /tmp && python3 $LOAD fork 100 3)
read -r c < "$cur" && [ "$c" -gt $peak ] && peak=$c
read -r ok failed _ < "$QT_DIR/storm.out" && [[ $ok =~ ^[0-9]+$ ]] ||
	qt_fail "storm: $(cat $QT_DIR/storm.out)"
kpeak=$(cat $(qt_cgfile $H pids pids.peak) 2>/dev/null || echo $peak)
procs=$(pgrep -u $H | wc -l)
qt_log "storm: $ok forks succeeded, $failed failed; pids.current peak $peak, pids.peak $kpeak, now $procs processes"
[ $peak -le $NPROC ] || qt_fail "pids.current reached $peak > $NPROC"
[ $kpeak -le $NPROC ] || qt_fail "pids.peak $kpeak > $NPROC"
[ $procs -le $NPROC ] || qt_fail "$procs processes of $H > $NPROC"
# 1 sleep + the storm itself + its children = the limit: the storm was held there
[ $ok -ge $((NPROC - 4)) ] && [ $ok -le $((NPROC - 2)) ] ||
	qt_fail "$ok forks succeeded, want about $((NPROC - 2))"
[ $((ok + failed)) = 2000 ] && [ $failed -gt 1900 ] || qt_fail "$failed of 2000 forks failed"
# others were not affected
[ "${nb% * *}" = "100 0" ] || qt_fail "neighbour forks during the storm: '$nb', want '100 0'"
[ "${rt% * *}" = "100 0" ] || qt_fail "root forks during the storm: '$rt', want '100 0'"
qt_log "ok   neighbour and root forked 100 each during the storm"

kev=$(awk '$1 == "max" { print $2 }' $ev)
sleep 2		# a tick
qev=$(qt_show_get $H "t['counters']['pids_max_events']")
fp=$(qt_show_get $H "t['faults']['pids']")
nev=$(qt_show_get $N "t['counters']['pids_max_events']")
qt_log "pids.events max $kev0 -> $kev; show --json pids_max_events $qev0 -> $qev, faults.pids $fp; neighbour $nev"
[ $((kev - kev0)) -ge $((failed / 2)) ] || qt_fail "kernel pids.events max grew by $((kev - kev0)) only"
[ "$qev" -gt "$qev0" ] || qt_fail "pids_max_events did not grow in show --json"
[ "$fp" != None ] && [ "$fp" -gt 0 ] || qt_fail "faults.pids is $fp"
[ "$nev" = 0 ] || qt_fail "neighbour pids_max_events = $nev"
wait $STORM 2>/dev/null
exit 0
