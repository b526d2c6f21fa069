#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The kernel's own actions on a tenant reach the audit log (issue 12 item 7),
# not only its counters:
#   1. `quellctl set H mem_max=64M`, then a 256 MiB python hog of H is
#      OOM-killed in H's cgroup -> one `kernel_oom_kill` line in
#      `quellctl events` naming the victim's pid and comm (python3), the
#      limit (mem_max, 64 MiB) and H's memory usage;
#   2. `quellctl set H nproc=20`, then a fork storm of 400 attempts -> exactly
#      one `kernel_pids_max` line whose count is the kernel's own pids.events
#      "max" growth (and the storm's failed forks), not hundreds of lines.
# Exit 0 pass, 1 fail, 77 skip.
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || qt_skip "python3 missing"
H=qkh$$
qt_user $H >/dev/null
qt_config -s 1s </dev/null
qt_quelld

qt_sleeper $H 120

# events of H with action $1 as "count victim_pid victim_comm limit limit_value mem_bytes", one a line
kev() {
	qt_ctl --json events --tenant $H | python3 -c '
import json, sys
for e in json.load(sys.stdin)["events"]:
    if e["action"] != sys.argv[1]:
        continue
    v = e["evidence"]
    print(v.get("count"), v.get("victim_pid"), v.get("victim_comm"), v.get("limit"),
          v.get("limit_value"), v.get("mem_bytes"), v.get("nproc"))' "$1"
}
wait_kev() {	# wait_kev ACTION SECONDS: until at least one line
	local i
	for i in $(seq $((${2} * 5))); do
		[ -n "$(kev $1)" ] && return 0
		sleep 0.2
	done
	return 1
}

LOAD=$(qt_load_script) || qt_fail "tenant_load.py"

fail=0
# 1. OOM kill
qt_ctl set $H mem_max=64M >/dev/null || qt_fail "quellctl set $H mem_max=64M"
for i in $(seq 50); do
	f=$(qt_cgfile $H memory memory.limit_in_bytes memory.max) && [ "$(cat $f)" = $((64 << 20)) ] && break
	sleep 0.1
done
[ "$(cat $f)" = $((64 << 20)) ] || qt_fail "mem_max not written: $f = $(cat $f)"
su -s /bin/sh $H -c "cd /tmp && exec python3 $LOAD --in /$H --ctl memory,pids touch 256" > "$QT_DIR/hog.out" 2>&1
HOGPID=$(head -1 "$QT_DIR/hog.out")
grep -q survived "$QT_DIR/hog.out" && qt_fail "the hog survived 256 MiB under mem_max=64M"
qt_log "hog pid $HOGPID: $(tail -1 "$QT_DIR/hog.out" | cut -c1-80)"
wait_kev kernel_oom_kill 15 || { qt_ctl events --tenant $H; qt_fail "no kernel_oom_kill line in quellctl events"; }
qt_ctl events --tenant $H | grep kernel_oom_kill
read -r cnt vpid vcomm lim limv mem np <<< "$(kev kernel_oom_kill | tail -1)"
[ "$vpid" = "$HOGPID" ] && [ "$vcomm" = python3 ] ||
	{ echo "FAIL victim $vpid/$vcomm, want $HOGPID/python3"; fail=1; }
[ "$lim" = mem_max ] && [ "$limv" = $((64 << 20)) ] ||
	{ echo "FAIL limit $lim=$limv, want mem_max=$((64 << 20))"; fail=1; }
[ "$cnt" -ge 1 ] && [ "$mem" != None ] || { echo "FAIL count $cnt, mem_bytes $mem"; fail=1; }
[ $fail = 0 ] && qt_log "ok   kernel_oom_kill: count $cnt victim $vpid ($vcomm) $lim=$limv mem_bytes $mem"

# 2. pids.max refusals: one line for the burst
qt_ctl set $H nproc=20 >/dev/null || qt_fail "quellctl set $H nproc=20"
for i in $(seq 50); do
	pf=$(qt_cgfile $H pids pids.max) && [ "$(cat $pf)" = 20 ] && break
	sleep 0.1
done
[ "$(cat $pf)" = 20 ] || qt_fail "nproc not written: $pf = $(cat $pf)"
ef=$(qt_cgfile $H pids pids.events) || qt_fail "no pids.events"
k0=$(awk '$1 == "max" { print $2 }' $ef)
su -s /bin/sh $H -c "cd /tmp && exec python3 $LOAD --in /$H --ctl memory,pids fork 400 3" > "$QT_DIR/storm.out" 2>&1 ||
	qt_fail "storm: $(cat "$QT_DIR/storm.out")"
read -r started failed _ < "$QT_DIR/storm.out"
k1=$(awk '$1 == "max" { print $2 }' $ef)
qt_log "storm: $started forks, $failed refused; kernel pids.events max $k0 -> $k1"
[ "$failed" -gt 100 ] || qt_fail "only $failed forks refused: no test"
wait_kev kernel_pids_max 15 || { qt_ctl events --tenant $H; qt_fail "no kernel_pids_max line"; }
sleep 4		# a second line, if the burst were split, would come by now
qt_ctl events --tenant $H | grep kernel_pids_max
n=$(kev kernel_pids_max | wc -l)
read -r cnt _ _ lim limv _ np <<< "$(kev kernel_pids_max | tail -1)"
[ "$n" = 1 ] || { echo "FAIL $n kernel_pids_max lines for one storm"; fail=1; }
[ "$cnt" = $((k1 - k0)) ] || { echo "FAIL count $cnt, kernel says $((k1 - k0))"; fail=1; }
[ "$lim" = nproc ] && [ "$limv" = 20 ] || { echo "FAIL limit $lim=$limv, want nproc=20"; fail=1; }
[ $fail = 0 ] && qt_log "ok   kernel_pids_max: one line, count $cnt (storm: $failed refused), $lim=$limv"

[ $fail = 0 ] || qt_fail "kernel events in the audit log"
echo "PASS"
