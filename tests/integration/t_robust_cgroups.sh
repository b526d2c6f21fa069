#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Cgroups changing behind quelld's back (issue 2 / docs/hacking.md, style 8: "a cgroup
# vanishing mid-walk (-ENOENT) is normal, not an error"):
#   1. users mode: a tenant's processes killed and its cgroup rmdir'ed in
#      every hierarchy -> quelld keeps running and answering; when the
#      tenant runs something again the cgroup is recreated (logged), the
#      process placed, counters keep counting. Also when it was removed in
#      one hierarchy only (hybrid).
#   2. the whole managed subtree removed -> the same.
#   3. a tenant's cgroup frozen by hand (v1 freezer or v2 cgroup.freeze) ->
#      quelld still answers at once, the tenant's CPU drops to ~0; thawed ->
#      it comes back.
#   4. cgroups mode (parent = a quelltest-* dir in the v2 hierarchy), tick
#      100 ms: 200 rapid mkdir/rmdir of children while clients query ->
#      no crash, and afterwards the tenant list is exactly the stable children.
. "$(dirname "$0")/lib.sh"

fail=0
bad() { echo "FAIL $*"; fail=1; }
ok() { echo "ok   $*"; }
alive() { kill -0 $QT_QUELLD_PID 2>/dev/null && timeout 5 "$QT_BUILD/quellctl" \
	-s "$QT_DIR/quell.sock" ping >/dev/null; }
jpy() {
	local prog=$1
	shift
	qt_ctl --json "$@" | python3 -c "import json,sys; d=json.load(sys.stdin); $prog"
}
cpu_ns() { jpy "print(int(d['tenant']['counters']['cpu_ns'] or 0))" show "$1"; }
cpu_pct() { jpy "v=d['tenant']['rates']['cpu_pct']; print(-1 if v is None else int(v))" show "$1"; }

if [ -f $CG/cgroup.controllers ]; then V2=$CG; else V2=$CG/unified; fi
T=qrc$$
qt_user $T >/dev/null
uid=$(id -u $T)
QT_TICK=250ms qt_config -s 1s </dev/null
qt_quelld
hier=()
for h in $CG $CG/unified $CG/cpu $CG/cpuacct $CG/memory $CG/blkio $CG/pids $CG/freezer; do
	[ -d "$h/$QT_ID/$T" ] && hier+=("$h")
done
[ ${#hier[@]} -ge 1 ] || qt_fail "no cgroup $QT_ID/$T anywhere"
qt_log "tenant $T ($uid), cgroups in: ${hier[*]}"

busy() { qt_bg su -s /bin/sh $T -c 'cd /tmp && exec sh -c "while :; do :; done"'; }
stop_busy() {
	local i
	pkill -9 -u $uid
	for i in $(seq 40); do pgrep -u $uid >/dev/null || return 0; sleep 0.1; done
	bad "processes of $T do not die"
}
# rmdir DIR... deepest first, retrying while the killed tasks leave
rm_cgroups() {
	local d i
	for i in $(seq 30); do
		for d in "$@"; do [ -d "$d" ] && rmdir "$d" 2>/dev/null; done
		for d in "$@"; do [ -d "$d" ] && break; done
		[ -d "$d" ] || return 0
		sleep 0.1
	done
	bad "cannot rmdir $*"
}
# is a process of $T in $QT_ID/$T of every hierarchy?
placed_everywhere() {
	local h p found
	for h in "${hier[@]}"; do
		found=0
		for p in $(cat "$h/$QT_ID/$T/cgroup.procs" 2>/dev/null); do
			[ "$(stat -c %u /proc/$p 2>/dev/null)" = $uid ] && found=1
		done
		[ $found = 1 ] || return 1
	done
}
wait_placed() {
	local i
	for i in $(seq 40); do placed_everywhere && return 0; sleep 0.1; done
	return 1
}

# --- 1. the tenant's cgroup removed in every hierarchy ----------------------
busy
wait_placed && ok "busy loop placed" || bad "busy loop not placed"
sleep 1
n0=$(cpu_ns $T)
stop_busy
rm_cgroups $(for h in "${hier[@]}"; do echo "$h/$QT_ID/$T"; done)
sleep 1.5	# a few ticks and a sweep with the cgroup gone
alive && ok "quelld answers with the tenant's cgroup gone" || bad "quelld dead or mute"
jpy "print(d['tenant']['name'])" show $T >/dev/null && ok "show $T still works" || bad "show $T"
busy
wait_placed && ok "recreated and placed when $T ran again" || bad "not recreated/placed"
grep -q "tenant $T: cgroup .* vanished, recreating" "$QT_DIR/quelld.log" &&
	ok "logged: $(grep -o "tenant $T: cgroup .* vanished.*" "$QT_DIR/quelld.log" | head -1)" ||
	bad "recreation not logged"
sleep 2
n1=$(cpu_ns $T); p1=$(cpu_pct $T)
[ "$n1" -gt 0 ] && [ "$p1" -gt 0 ] && [ "$p1" -le 210 ] &&
	ok "counting again: cpu_ns $n0 -> $n1, cpu $p1%" || bad "after recreate: cpu_ns $n0 -> $n1, cpu $p1%"

# --- 1b. removed in one hierarchy only (hybrid: the last v1 controller) ------
if [ ${#hier[@]} -gt 1 ]; then
	stop_busy
	last=${hier[${#hier[@]} - 1]}
	rm_cgroups "$last/$QT_ID/$T"
	busy
	wait_placed && ok "removed from $last only: recreated there, placed everywhere" ||
		bad "removed from $last only: not placed everywhere"
fi

# --- 2. the whole managed subtree removed ---------------------------------------
stop_busy
rm_cgroups $(for h in "${hier[@]}"; do echo "$h/$QT_ID/$T"; done) \
	$(for h in "${hier[@]}"; do echo "$h/$QT_ID"; done)
left=$(for h in "${hier[@]}"; do [ -d "$h/$QT_ID" ] && echo "$h/$QT_ID"; done)
[ -z "$left" ] || bad "managed subtree not removed: $left"
sleep 1.5
alive && ok "quelld answers with the managed subtree gone" || bad "quelld dead or mute"
qt_ctl status >/dev/null && qt_ctl list >/dev/null && qt_ctl tenants >/dev/null ||
	bad "status/list/tenants fail without the subtree"
busy
wait_placed && ok "subtree recreated, $T placed" || bad "subtree not recreated"
sleep 2
p2=$(cpu_pct $T)
[ "$p2" -gt 0 ] && ok "counting: cpu $p2%" || bad "cpu $p2% after subtree recreate"

# --- 3. frozen and thawed by hand -------------------------------------------------
if [ -f "$CG/freezer/$QT_ID/$T/freezer.state" ]; then
	freeze() { echo FROZEN > "$CG/freezer/$QT_ID/$T/freezer.state"; }
	thaw() { echo THAWED > "$CG/freezer/$QT_ID/$T/freezer.state"; }
else
	freeze() { echo 1 > "$V2/$QT_ID/$T/cgroup.freeze"; }
	thaw() { echo 0 > "$V2/$QT_ID/$T/cgroup.freeze"; }
fi
freeze || bad "freeze by hand"
sleep 1.5
t0=$(date +%s%N)
alive || bad "quelld mute with a frozen tenant"
qt_ctl show $T >/dev/null || bad "show of a frozen tenant"
ms=$((($(date +%s%N) - t0) / 1000000))
[ $ms -lt 2000 ] && ok "answers in $ms ms while $T is frozen" || bad "slow answer: $ms ms"
pf=$(cpu_pct $T)
[ "$pf" -le 2 ] && ok "frozen: cpu $pf%" || bad "frozen but cpu $pf%"
thaw || bad "thaw by hand"
sleep 1.5
pt=$(cpu_pct $T)
[ "$pt" -gt 0 ] && ok "thawed: cpu $pt%" || bad "thawed but cpu $pt%"
stop_busy
kill -TERM $QT_QUELLD_PID; wait $QT_QUELLD_PID 2>/dev/null; QT_QUELLD_PID=

# --- 4. cgroups mode, children churning --------------------------------------------
P=$QT_ID/cgmode
mkdir -p "$V2/$P/s1" "$V2/$P/s2" "$V2/$P/s3" || qt_fail "mkdir under $V2/$P"
QT_TICK=100ms qt_config_cgroups "$P" </dev/null
qt_quelld
names() { jpy "print(' '.join(sorted(t['name'] for t in d['tenants'])))" tenants; }
[ "$(names)" = "s1 s2 s3" ] && ok "cgroups mode: tenants s1 s2 s3" || bad "cgroups mode tenants: $(names)"
(
	for i in $(seq 200); do
		mkdir "$V2/$P/c$((i % 7))" 2>/dev/null
		[ $((i % 3)) = 0 ] && mkdir "$V2/$P/c$((i % 7))/sub" 2>/dev/null && rmdir "$V2/$P/c$((i % 7))/sub"
		rmdir "$V2/$P/c$(((i + 3) % 7))" 2>/dev/null
		sleep 0.01
	done
	for i in $(seq 0 6); do rmdir "$V2/$P/c$i/sub" "$V2/$P/c$i" 2>/dev/null; done
) &
churn=$!
QT_PIDS+=($churn)
q=0 qf=0
while kill -0 $churn 2>/dev/null; do
	qt_ctl --json list >/dev/null 2>&1 && q=$((q + 1)) || qf=$((qf + 1))
done
wait $churn
alive && ok "survived 200 mkdir/rmdir at tick 100 ms ($q queries answered, $qf failed)" ||
	bad "quelld died in the churn"
[ $qf = 0 ] || bad "$qf queries failed during the churn"
added=$(grep -c "tenant c[0-9] .*added" "$QT_DIR/quelld.log")
removed=$(grep -c "tenant c[0-9] removed" "$QT_DIR/quelld.log")
[ "$added" -gt 5 ] && [ "$removed" -gt 5 ] && ok "quelld saw the churn: $added added, $removed removed" ||
	bad "churn not seen: $added added, $removed removed"
sleep 0.5
[ "$(names)" = "s1 s2 s3" ] && ok "final tenant list: s1 s2 s3" || bad "final tenant list: $(names)"
rmdir "$V2/$P/s2"
sleep 0.5
[ "$(names)" = "s1 s3" ] && ok "rmdir s2 -> tenants s1 s3" || bad "after rmdir s2: $(names)"
grep -E "AddressSanitizer|runtime error|segfault" "$QT_DIR/quelld.log" && bad "sanitizer/crash in log"
rmdir "$V2/$P/s1" "$V2/$P/s3" "$V2/$P" 2>/dev/null

[ $fail = 0 ] || { tail -30 "$QT_DIR/quelld.log"; qt_fail "robust cgroups"; }
echo PASS
