#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Odd user names (issue 2: "a tenant is a Unix user ... named from the
# passwd database"; bad input gets a clear error, the daemon never dies).
# Test users made with `useradd --badname`:
#   valid for quell:   a.b  UPPER  x-1  mach$  7up  and a 32-character name
#                      (useradd's maximum) -> tenants, each with a cgroup of
#                      the same name in every hierarchy, processes placed
#                      there, counters working
#   refused by quell:  a@b  "a b"  a/b  ..  .dot  a;b  a=b  a'b  a"b  a*b  a%b
#                      and UTF-8 -> not tenants, no cgroup anywhere (no path
#                      escapes from "a/b" or ".."), one log line per user
#                      (not one per sweep), the daemon keeps running
#   userdel of a tenant while quelld runs -> dropped, its cgroup removed.
#   userdel while quelld is down (issue 11 item 6) -> at the next start its
#   cgroups are removed in every hierarchy (with a log line); one whose
#   deleted user still has a process stays until it is empty, then the
#   sweep removes it; a directory of the same name outside the managed
#   subtree is never touched.
. "$(dirname "$0")/lib.sh"

fail=0
bad() { echo "FAIL $*"; fail=1; }
ok() { echo "ok   $*"; }

# like qt_user, but with --badname, quoting the name everywhere
badname_user() {
	local name=$1 uid
	for uid in $(shuf -i $QT_UID_MIN-$QT_UID_MAX); do
		getent passwd $uid >/dev/null && continue
		useradd --badname -M -N -u $uid -s /bin/sh "$name" >/dev/null 2>&1 && break
	done
	id -u "$name" >/dev/null 2>&1 || return 1
	printf '%s\n' "$name" >> "$QT_DIR/users"
	QT_USERS+=("$name")
}

LONG=l$(printf '%s' "$$abcdefghijklmnopqrstuvwxyz0123456789" | cut -c1-31)
GOOD=("a.b" "UPPER" "x-1" "mach\$" "7up" "$LONG")
REFUSED=("a@b" "a b" "a/b" ".." ".dot" "a;b" "a=b" "a'b" "a\"b" "a*b" "a%b" "ütf")
# these names are global: make sure no leftover of an earlier run holds them
for n in "${GOOD[@]}" "${REFUSED[@]}"; do
	getent passwd "$n" >/dev/null && qt_skip "user '$n' already exists on this machine"
done
[ ${#LONG} = 32 ] || qt_fail "long name is ${#LONG} chars"
for n in "${GOOD[@]}"; do badname_user "$n" || qt_fail "useradd --badname '$n'"; done
nref=0
for n in "${REFUSED[@]}"; do
	if badname_user "$n"; then nref=$((nref + 1)); else echo "  (useradd refuses '$n' itself)"; fi
done
[ $nref -ge 8 ] || qt_fail "useradd accepted only $nref of the names quell must refuse"
qt_log "${#GOOD[@]} valid and $nref refused names in uids $QT_UID_MIN..$QT_UID_MAX"

QT_TICK=250ms qt_config </dev/null
sed -i "s/^\[tenants\]\$/[tenants]\nsweep = 1s/" "$QT_DIR/quell.conf"
qt_quelld
for n in "${GOOD[@]}"; do
	qt_bg su -s /bin/sh "$n" -c 'cd /tmp && exec sh -c "while :; do :; done"'
done
sleep 3

tenants=$(qt_ctl --json tenants | python3 -c '
import json,sys
d=json.load(sys.stdin)
for t in d["tenants"]: print(t["name"] + "\t" + str(t.get("cgroup")) + "\t" + str(t.get("nproc")))')
echo "$tenants" | sed 's/^/  /'
ntenants=$(echo "$tenants" | grep -c .)
[ "$ntenants" = ${#GOOD[@]} ] && ok "$ntenants tenants (exactly the valid names)" ||
	bad "$ntenants tenants, want ${#GOOD[@]}"

# the cgroup hierarchies quelld manages here: v2 (pure or hybrid's unified) and v1 controllers
hier=()
for h in $CG $CG/unified $CG/cpu $CG/cpuacct $CG/memory $CG/blkio $CG/pids $CG/freezer; do
	[ -d "$h/$QT_ID" ] && hier+=("$h")
done
[ ${#hier[@]} -ge 1 ] || bad "no $QT_ID subtree anywhere"
qt_log "managed subtree in: ${hier[*]}"
for n in "${GOOD[@]}"; do
	echo "$tenants" | awk -F'\t' -v n="$n" -v c="$QT_ID/$n" '$1 == n && $2 == c { f = 1 } END { exit !f }' ||
		{ bad "tenant '$n' missing or not in cgroup $QT_ID/$n"; continue; }
	miss=
	for h in "${hier[@]}"; do [ -d "$h/$QT_ID/$n" ] || miss="$miss $h"; done
	[ -z "$miss" ] || bad "'$n': no cgroup in$miss"
	# its busy loop is in its own cgroup (procs of the first hierarchy)
	uid=$(id -u "$n")
	inside=0
	for p in $(cat "${hier[0]}/$QT_ID/$n/cgroup.procs" 2>/dev/null); do
		[ "$(stat -c %u /proc/$p 2>/dev/null)" = "$uid" ] && inside=1
	done
	[ $inside = 1 ] || bad "'$n': its process is not in ${hier[0]}/$QT_ID/$n"
	cpu=$(qt_ctl --json show "$n" | python3 -c 'import json,sys; print(int(json.load(sys.stdin)["tenant"]["counters"]["cpu_ns"] or 0))')
	[ "$cpu" -gt 0 ] || bad "'$n': cpu_ns $cpu"
	[ -z "$miss" ] && [ $inside = 1 ] && [ "$cpu" -gt 0 ] &&
		ok "'$n' (${#n} chars): tenant, cgroup in ${#hier[@]} hierarchies, placed, cpu_ns $cpu"
done

for n in "${REFUSED[@]}"; do
	id -u "$n" >/dev/null 2>&1 || continue
	echo "$tenants" | awk -F'\t' -v n="$n" '$1 == n { f = 1 } END { exit !f }' && bad "'$n' became a tenant"
	qt_ctl show "$n" >/dev/null 2>&1 && bad "quellctl show '$n' answered"
done
# nothing outside the managed subtree, nothing named like a refused user inside it
stray=$(find $CG -maxdepth 4 -path "*$QT_ID/*" -type d | while read -r d; do
	b=${d##*/}; keep=0
	for n in "${GOOD[@]}"; do [ "$b" = "$n" ] && keep=1; done
	[ $keep = 1 ] || echo "$d"; done)
[ -z "$stray" ] && ok "no cgroup for any refused name" || bad "unexpected cgroups: $stray"
[ -e "$QT_DIR/b" ] || [ -d "$CG/unified/$QT_ID/a" ] || [ -d "$CG/$QT_ID/a" ] && bad "'a/b' made a path"

sleep 3		# a few more sweeps: the refusal is logged once per user, not per sweep
logged=$(grep -c "name not usable as a tenant name" "$QT_DIR/quelld.log")
[ "$logged" = "$nref" ] && ok "each refused user logged once ($logged lines)" ||
	{ grep "not usable" "$QT_DIR/quelld.log" | tail -5; bad "$logged refusal lines for $nref users"; }
kill -0 $QT_QUELLD_PID 2>/dev/null && ok "quelld alive" || bad "quelld died"

# userdel of a tenant whose processes are gone: dropped, cgroup removed
n=x-1
pkill -9 -u "$(id -u $n)"; sleep 0.5
userdel "$n" || bad "userdel $n"
for i in $(seq 40); do
	qt_ctl show "$n" >/dev/null 2>&1 || break
	sleep 0.25
done
qt_ctl show "$n" >/dev/null 2>&1 && bad "tenant '$n' still there after userdel" || ok "'$n' dropped after userdel"
left=
for h in "${hier[@]}"; do [ -d "$h/$QT_ID/$n" ] && left="$left $h"; done
[ -z "$left" ] && ok "its cgroups removed" || bad "cgroups of '$n' left in$left"
n=$(qt_ctl --json tenants | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["tenants"]))')
[ "$n" = $((${#GOOD[@]} - 1)) ] && ok "$n tenants left" || bad "$n tenants after userdel"
kill -0 $QT_QUELLD_PID 2>/dev/null || bad "quelld died"

# userdel while quelld is down: two tenants, one with a process left behind
D1=qd$$; D2=qe$$
qt_user $D1 >/dev/null; qt_user $D2 >/dev/null
for i in $(seq 40); do
	[ -d "${hier[0]}/$QT_ID/$D1" ] && [ -d "${hier[0]}/$QT_ID/$D2" ] && break
	sleep 0.25
done
qt_bg su -s /bin/sh $D2 -c 'exec sleep 600'
for i in $(seq 40); do
	p2=$(pgrep -u $D2 -x sleep)
	[ -n "$p2" ] && grep -q "/$QT_ID/$D2\$" /proc/$p2/cgroup && break
	sleep 0.25
done
for n in $D1 $D2; do
	miss=
	for h in "${hier[@]}"; do [ -d "$h/$QT_ID/$n" ] || miss="$miss $h"; done
	[ -z "$miss" ] || bad "'$n': no cgroup in$miss before the restart"
done
# the same name outside the managed subtree: not quell's
decoy=${hier[0]}/$QT_ID-other/$D1
mkdir -p "$decoy" || bad "mkdir $decoy"
kill -TERM $QT_QUELLD_PID; wait $QT_QUELLD_PID 2>/dev/null
QT_QUELLD_PID=
userdel $D1 || bad "userdel $D1"
userdel -f $D2 2>/dev/null || bad "userdel -f $D2"
qt_quelld
left1= left2=
for h in "${hier[@]}"; do
	[ -d "$h/$QT_ID/$D1" ] && left1="$left1 $h"
	[ -d "$h/$QT_ID/$D2" ] && left2="$left2 $h"
done
[ -z "$left1" ] && ok "user deleted while quelld was down: cgroups removed at start in ${#hier[@]} hierarchies" ||
	bad "cgroups of $D1 (deleted while quelld was down) left in$left1"
grep -q "cgroup $QT_ID/$D1 of deleted user $D1 removed" "$QT_DIR/quelld.log" && ok "logged" ||
	bad "no log line for the removal of $QT_ID/$D1"
[ ${#left2} -gt 0 ] && ok "$D2's cgroup kept while its process runs" ||
	bad "$D2's cgroup removed under its running process"
[ -d "$decoy" ] && ok "same name outside the managed subtree untouched" || bad "$decoy removed"
rmdir "$decoy" "${hier[0]}/$QT_ID-other"
kill -9 $p2
for i in $(seq 40); do
	left2=
	for h in "${hier[@]}"; do [ -d "$h/$QT_ID/$D2" ] && left2="$left2 $h"; done
	[ -z "$left2" ] && break
	sleep 0.25
done
[ -z "$left2" ] && ok "$D2's cgroups removed by the sweep once empty" || bad "cgroups of $D2 left in$left2"
kill -0 $QT_QUELLD_PID 2>/dev/null || bad "quelld died"

[ $fail = 0 ] || { tail -30 "$QT_DIR/quelld.log"; qt_fail "robust users"; }
echo PASS
