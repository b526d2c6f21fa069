#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Kill never signals a process of root's (issue 12 item 4). A tenant's cgroup
# holds, beside the tenant's own processes:
#   - a root process moved in by root (what pam_quell did to sshd's and su's
#     session process before: echo PID > cgroup.procs in every hierarchy);
#   - the tenant's process running a setuid-root program (real uid the
#     tenant's, effective uid 0: su, passwd), placed there by quelld itself.
# `quellctl kill T` must kill the tenant's processes and neither of those,
# and the audit log must say that root's processes were spared. On main,
# cgroup.kill killed all of them.
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || qt_skip "python3 missing"

T=qkr$$
uid=$(qt_user $T)
EV=$QT_DIR/events.jsonl
qt_config -s 1s -e "$EV" </dev/null
qt_quelld

in_tenant() { grep -q "/$QT_ID/$T\$" /proc/$1/cgroup 2>/dev/null; }
t_sleeps() { pgrep -u $T -x sleep; }

# the tenant's own processes
for i in 1 2 3; do qt_bg setpriv --reuid $uid --regid $(id -g $T) --clear-groups sleep 1000; done
# the tenant running a setuid-root program: real uid T, effective 0
qt_bg python3 -c "import os, time; os.setreuid($uid, 0); time.sleep(1000)"
SUID=$!
# root's process, moved in by root in every hierarchy
qt_bg sleep 1000
ROOTPID=$!
qt_until 10 eval '[ $(t_sleeps | wc -l) = 3 ]' || qt_fail "tenant's sleeps did not start"
for p in $(t_sleeps) $SUID; do
	qt_until 15 in_tenant $p || qt_fail "pid $p not placed in $QT_ID/$T: $(cat /proc/$p/cgroup)"
done
for d in $(find $CG -mindepth 2 -maxdepth 3 -type d -path "*/$QT_ID/$T"); do
	echo $ROOTPID > $d/cgroup.procs || qt_fail "moving root's pid $ROOTPID into $d"
done
in_tenant $ROOTPID || qt_fail "root's process not in $QT_ID/$T"
grep -Eq "^Uid:\s+$uid\s+0\s" /proc/$SUID/status || qt_fail "setreuid process: $(grep Uid /proc/$SUID/status)"
qt_log "T's cgroup: 3 of T's sleeps, T's setuid-root process $SUID, root's $ROOTPID"

t0=$(date +%s%N)
qt_ctl kill $T --yes >/dev/null || qt_fail "quellctl kill $T failed"
qt_until 3 eval '[ -z "$(t_sleeps)" ]' || qt_fail "T's processes alive after kill: $(pgrep -u $T -a)"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
kill -0 $ROOTPID 2>/dev/null || qt_fail "root's process $ROOTPID was killed"
kill -0 $SUID 2>/dev/null || qt_fail "T's setuid-root process $SUID (euid 0) was killed"
grep "\"tenant\":\"$T\"" "$EV" | grep -q '"action":"spare_root"' ||
	{ cat "$EV"; qt_fail "no spare_root line in the audit log"; }
grep "\"tenant\":\"$T\"" "$EV" | grep '"action":"kill"' | grep -q '"result":0' ||
	{ cat "$EV"; qt_fail "no successful kill line in the audit log"; }
qt_log "ok: T's 3 processes killed in $ms ms; root's $ROOTPID and the euid-0 $SUID alive; audit: spare_root"

# with root's gone, the fast path (cgroup.kill) is back and kills what is left of T
kill -9 $ROOTPID $SUID
for i in 1 2; do qt_bg setpriv --reuid $uid --regid $(id -g $T) --clear-groups sleep 1000; done
qt_until 10 eval '[ $(t_sleeps | wc -l) = 2 ]' || qt_fail "second sleeps did not start"
for p in $(t_sleeps); do qt_until 15 in_tenant $p || qt_fail "pid $p not placed"; done
n=$(grep -c '"action":"spare_root"' "$EV")
qt_ctl kill $T --yes >/dev/null || qt_fail "second quellctl kill failed"
qt_until 3 eval '[ -z "$(t_sleeps)" ]' || qt_fail "T's processes alive after the second kill"
[ "$(grep -c '"action":"spare_root"' "$EV")" = $n ] || qt_fail "spare_root logged with no root process"
qt_log "ok: no root process: everything killed, no spare_root line"
exit 0
