#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# BPF accounting against the kernel's own numbers (issue 2), through
# `quelld --bpf-dump`, without the rest of the daemon:
#   1. CPU: a stress-ng hog (user H) and a light periodic sleeper (user V)
#      pinned to CPU 0, an idle user I. The kernel's reference for the hog
#      is the CPU time of its process tree as the shell su started for H
#      sees it (`times`: children's user+sys, which the kernel keeps equal
#      to their summed sum_exec_runtime); that shell's own time is left
#      out: it includes su's start-up as root before the uid switch (~1 s
#      in the TCG VM), which is not H's. Not a cgroup's cpu.stat: a quelld
#      of another test running at the same time may move uid >= 1000
#      processes into its own cgroups. quell cpu_ns(H) within 10%;
#      cpu_ns(I) ~ 0 (I's sleep is started before the dump, so its su and
#      exec are not in the window); H inflicts more run-queue delay than V;
#      V suffers some. V sleeps in python (no fork/exec per period) as
#      SCHED_BATCH: it waits for the hog's slice instead of preempting it.
#   Fixed waits (dump lengths) scale by QT_SLOW; the limits do not.
#   2. IO: dd 64 MiB with O_DIRECT as user I: io_wbytes(I) within 10%.
#   3. The raw_tp twins load and count too (QUELL_BPF_FORCE_RAW_TP=1).
#   4. cgroup key mode (--cgroup-level 1): a busy loop in our cgroup is
#      counted under the cgroup's id, within 10% of its cpu.stat.
#   5. Non-tenants (--min-uid/--max-uid = our test range): the periodic
#      tenant V behind a root hog on CPU 0 suffers, and that wait shows up
#      in stats other_inflicted_ns (at least half of V's suffered), not in
#      V's rq_behind_ns (at most a tenth; in section 1, behind H, at least
#      half); root gets no acct entry.
# Exit 0 pass, 1 fail.
. "$(dirname "$0")/lib.sh"

QUELLD=$QT_BUILD/quelld
[ -x "$QUELLD" ] || qt_fail "no $QUELLD"
[ "$(id -u)" = 0 ] || qt_fail "needs root"
command -v stress-ng >/dev/null || qt_fail "stress-ng missing (make deps)"

# the v2 hierarchy: /sys/fs/cgroup (pure v2) or /sys/fs/cgroup/unified (hybrid)
if [ -f $CG/cgroup.controllers ]; then UNI=$CG; else UNI=$CG/unified; fi
[ -f $UNI/cgroup.procs ] || qt_fail "no cgroup v2 hierarchy"
MYCG=$UNI/$QT_ID
mkdir "$MYCG" || qt_fail "mkdir $MYCG"

# On pure v2 $MYCG is at depth 1, which lib.sh's cleanup does not look at:
# kill and remove it here, then let lib.sh do the rest.
t_cleanup() {
	local rc=$?
	if [ -d "$MYCG" ]; then
		echo 1 > "$MYCG/cgroup.kill" 2>/dev/null
		for i in 1 2 3 4 5 6 7 8 9 10; do rmdir "$MYCG" 2>/dev/null && break; sleep 0.2; done
	fi
	(exit $rc)
	qt_cleanup
}
trap t_cleanup EXIT

H=qtbh$$; V=qtbv$$; I=qtbi$$
# not UH=$(qt_user ..): the subshell would lose QT_USERS and leak the users
qt_user $H >/dev/null; qt_users $V $I
UH=$(id -u $H) && UV=$(id -u $V) && UI=$(id -u $I) || qt_fail "test users"
chmod 0711 "$QT_DIR"
mkdir -m 0777 "$QT_DIR/io"
cd "$QT_DIR/io"	# a cwd the test users can use (stress-ng's temp path)

# field VALUE of the acct line of key KEY in FILE (0 when the key is absent)
acct() { awk -v k="key=$2" -v f="$3" '$1 == "acct" && $2 == k {
	for (i = 3; i <= NF; i++) { split($i, kv, "="); if (kv[1] == f) v = kv[2] } }
	END { printf "%.0f\n", v }' "$1"; }
stat_of() { awk -v f="$2" '$1 == "stats" { for (i = 2; i <= NF; i++) {
	split($i, kv, "="); if (kv[1] == f) print kv[2] } }' "$1"; }

# CPU ns of a shell's children from `times` output (second line: "XmY.YYYs XmY.YYYs")
times_ns() { awk 'NR == 2 { t = 0; for (i = 1; i <= 2; i++) { split($i, a, "m");
	sub("s", "", a[2]); t += a[1] * 60 + a[2] } printf "%.0f\n", t * 1e9 }' "$1"; }

fail=0
SLOW=${QT_SLOW:-1}

# --- 1. CPU and run-queue delay ------------------------------------------
OUT=$QT_DIR/cpu.out
# the idle user and the victim first: their start-up is not in the window
cat > "$QT_DIR/io/victim.py" <<'PY'
import os, sys, time
os.sched_setscheduler(0, os.SCHED_BATCH, os.sched_param(0))
open(sys.argv[1], "w").close()
while True:
    time.sleep(0.05)
PY
qt_bg su -s /bin/sh $I -c 'exec sleep 600'
qt_bg su -s /bin/sh $V -c "exec taskset -c 0 python3 $QT_DIR/io/victim.py $QT_DIR/io/victim.ready"
VICTIM=${QT_PIDS[-1]}
for i in $(seq $((100 * SLOW))); do
	[ -e "$QT_DIR/io/victim.ready" ] && pgrep -u $UI -x sleep >/dev/null && break
	sleep 0.1
done
[ -e "$QT_DIR/io/victim.ready" ] || qt_fail "victim did not start"
pgrep -u $UI -x sleep >/dev/null || qt_fail "idle sleep did not start"
qt_bpf_dump $((7 + 4 * SLOW)) "$OUT"
head -1 "$OUT"
qt_log "hog $H ($UH) + periodic $V ($UV) on CPU 0, idle $I ($UI)"
# one worker: every run of V delays each waiting hog worker (V's inflicted)
qt_bg su -s /bin/sh $H -c "taskset -c 0 stress-ng --cpu 1 --timeout 5s --quiet; times > $QT_DIR/io/hog.times"
qt_bpf_dump_wait "$OUT"
kill -9 $VICTIM 2>/dev/null; pkill -9 -u $UV
[ -s "$QT_DIR/io/hog.times" ] || qt_fail "hog did not finish inside the dump"
kernel_ns=$(times_ns "$QT_DIR/io/hog.times")
grep -E '^(stats|fill)' "$OUT"

hog_cpu=$(acct "$OUT" $UH cpu_ns)
idle_cpu=$(acct "$OUT" $UI cpu_ns)
hog_inf=$(acct "$OUT" $UH rq_inflicted_ns)
vic_inf=$(acct "$OUT" $UV rq_inflicted_ns)
vic_suf=$(acct "$OUT" $UV rq_suffered_ns)
hog_self=$(acct "$OUT" $UH rq_self_ns)
echo "hog cpu_ns=$hog_cpu kernel=$kernel_ns self=$hog_self inflicted=$hog_inf;" \
	"victim inflicted=$vic_inf suffered=$vic_suf; idle cpu_ns=$idle_cpu"
qt_assert_near "hog cpu_ns vs kernel (times)" "$hog_cpu" "$kernel_ns" 10 || fail=1
[ "$kernel_ns" -gt 1000000000 ] || { echo "FAIL hog got < 1 s CPU: $kernel_ns"; fail=1; }
if [ "$idle_cpu" -lt 50000000 ]; then echo "ok   idle cpu_ns $idle_cpu < 50 ms"
else echo "FAIL idle cpu_ns $idle_cpu >= 50 ms"; fail=1; fi
if [ "$hog_inf" -gt "$vic_inf" ]; then echo "ok   hog inflicted $hog_inf > victim inflicted $vic_inf"
else echo "FAIL hog inflicted $hog_inf <= victim inflicted $vic_inf"; fail=1; fi
if [ "$vic_suf" -gt 0 ]; then echo "ok   victim suffered $vic_suf > 0"
else echo "FAIL victim suffered 0"; fail=1; fi
# behind the hog, a tenant: most of the wait is behind tenants (rq_behind_ns)
vic_beh=$(acct "$OUT" $UV rq_behind_ns)
if [ "$vic_beh" -gt 0 ] && [ "$vic_beh" -le "$vic_suf" ] && [ "$vic_beh" -ge $((vic_suf / 2)) ]; then
	echo "ok   victim behind tenants $vic_beh of suffered $vic_suf"
else echo "FAIL victim behind tenants $vic_beh of suffered $vic_suf"; fail=1; fi
[ "$(stat_of "$OUT" acct_full)" = 0 ] || { echo "FAIL acct map full"; fail=1; }
grep '^prog' "$OUT" | awk '{ print "  " $0 }'

# --- 2. block IO ----------------------------------------------------------
# Beside it H burns both CPUs, unpinned: a CPU-bound task that rarely
# switches. The kernel does not trace every switch (see on_switch() in
# bpf/quell.bpf.c); before the fix that accounts an unseen slice, this
# setup lost 1-18 % of H's CPU time (0.82-0.99 of `times` over 5 runs).
# Since, it reads 0.2-0.4 % off in most runs, but a loss of 2.7 % (1 run
# of 20 here) and 4.2 % (a landing CI) remains, unexplained. A temporary
# counter of the time between an unseen switch and the next seen one read
# 25-223 ms per run, yet H was exact in those runs: it was not H's. The
# limit is 6 %, which the old defect's worse runs (0.82) still fail.
OUT=$QT_DIR/io.out
rm -f "$QT_DIR/io/hog.times"
qt_bpf_dump $((3 + 3 * SLOW)) "$OUT"
qt_log "dd 64 MiB O_DIRECT as $I, beside stress-ng --cpu 2 as $H"
qt_bg su -s /bin/sh $H -c "stress-ng --cpu 2 --timeout 4s --quiet; times > $QT_DIR/io/hog.times"
HOG=${QT_PIDS[-1]}
su -s /bin/sh $I -c "dd if=/dev/zero of=$QT_DIR/io/f bs=1M count=64 oflag=direct status=none" ||
	qt_fail "dd failed"
wait $HOG
qt_bpf_dump_wait "$OUT"
[ -s "$QT_DIR/io/hog.times" ] || qt_fail "hog did not finish inside the dump"
kernel_ns=$(times_ns "$QT_DIR/io/hog.times")
grep -E '^stats' "$OUT"
qt_assert_near "unpinned hog cpu_ns vs kernel (times)" "$(acct "$OUT" $UH cpu_ns)" "$kernel_ns" 6 ||
	fail=1
io_w=$(acct "$OUT" $UI io_wbytes)
io_ops=$(acct "$OUT" $UI io_wops)
lat=$(acct "$OUT" $UI io_lat_ns); latn=$(acct "$OUT" $UI io_lat_cnt)
echo "io_wbytes=$io_w io_wops=$io_ops io_lat_cnt=$latn mean_lat_us=$(( latn ? lat / latn / 1000 : 0 ))"
qt_assert_near "io_wbytes vs 64 MiB" "$io_w" $((64 << 20)) 10 || fail=1
[ "$latn" -gt 0 ] || { echo "FAIL no IO latency samples"; fail=1; }

# --- 3. raw_tp fallback -----------------------------------------------------
OUT=$QT_DIR/raw.out
QUELL_BPF_FORCE_RAW_TP=1 qt_bpf_dump $((1 + 2 * SLOW)) "$OUT"
qt_bg su -s /bin/sh $V -c 'timeout 2 sh -c "while :; do :; done"'
qt_bpf_dump_wait "$OUT"
head -1 "$OUT" | cut -c1-60
grep -q '^bpf variant=raw_tp' "$OUT" || { echo "FAIL raw_tp variant not used"; fail=1; }
raw_cpu=$(acct "$OUT" $UV cpu_ns)
if [ "$raw_cpu" -gt 200000000 ]; then echo "ok   raw_tp counts: $V cpu_ns=$raw_cpu"
else echo "FAIL raw_tp: $V cpu_ns=$raw_cpu"; fail=1; fi

# --- 4. cgroup key mode -----------------------------------------------------
# $MYCG is a level-1 v2 cgroup (hybrid: under unified/); its id is its inode
OUT=$QT_DIR/cg.out
cgid=$(stat -c %i "$MYCG")
before=$(awk '$1 == "usage_usec" { print $2 }' "$MYCG/cpu.stat")
qt_bpf_dump $((2 + 2 * SLOW)) "$OUT" --cgroup-level 1
qt_bg sh -c "echo \$\$ > $MYCG/cgroup.procs && exec timeout 2 sh -c 'while :; do :; done'"
qt_bpf_dump_wait "$OUT"
after=$(awk '$1 == "usage_usec" { print $2 }' "$MYCG/cpu.stat")
cg_cpu=$(acct "$OUT" $cgid cpu_ns)
qt_assert_near "cgroup-mode cpu_ns vs cpu.stat" "$cg_cpu" $(( (after - before) * 1000 )) 10 || fail=1

# --- 5. waits behind non-tenant tasks -------------------------------------
OUT=$QT_DIR/other.out
rm -f "$QT_DIR/io/victim.ready"
qt_bg su -s /bin/sh $V -c "exec taskset -c 0 python3 $QT_DIR/io/victim.py $QT_DIR/io/victim.ready"
VICTIM=${QT_PIDS[-1]}
for i in $(seq $((100 * SLOW))); do [ -e "$QT_DIR/io/victim.ready" ] && break; sleep 0.1; done
qt_bpf_dump $((4 + 2 * SLOW)) "$OUT" --min-uid $QT_UID_MIN --max-uid $QT_UID_MAX
taskset -c 0 timeout 3 sh -c 'while :; do :; done'
qt_bpf_dump_wait "$OUT"
kill -9 $VICTIM 2>/dev/null; pkill -9 -u $UV
vic_suf=$(acct "$OUT" $UV rq_suffered_ns)
oth=$(stat_of "$OUT" other_inflicted_ns)
echo "victim suffered=$vic_suf other_inflicted_ns=$oth root entries=$(grep -c '^acct key=0 ' "$OUT")"
if [ "$vic_suf" -gt 0 ] && [ "${oth:-0}" -ge $((vic_suf / 2)) ]; then
	echo "ok   wait behind root is suffered and counted as other_inflicted"
else echo "FAIL victim suffered $vic_suf, other_inflicted $oth"; fail=1; fi
grep -q '^acct key=0 ' "$OUT" && { echo "FAIL root has an acct entry"; fail=1; }
# ... and none of it is behind a tenant: no rule may blame one for it
vic_beh=$(acct "$OUT" $UV rq_behind_ns)
if [ "$vic_beh" -le $((vic_suf / 10)) ]; then
	echo "ok   wait behind root is not behind tenants: rq_behind_ns $vic_beh of $vic_suf"
else echo "FAIL rq_behind_ns $vic_beh of suffered $vic_suf behind root"; fail=1; fi

[ $fail = 0 ] || qt_fail "bpf accounting"
echo "PASS"
