#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The cgroupfs/procfs fallback (issue 2: "from BPF where available,
# cgroupfs/procfs otherwise - say which per metric"):
#   1. [daemon] bpf = off: status says source cgroupfs and bpf not loaded; a
#      CPU hog's cpu_ns agrees with the kernel's own cgroup counter
#      (cpuacct.usage on v1, cpu.stat usage_usec on v2) within 10 % over the
#      same window; 64 MiB of O_DIRECT writes show up as io_wbytes (blkio /
#      io.stat) within 10 %; list, show, tenants and quelltop -b work and
#      print "-" for what only BPF knows (inflicted/suffered delay), JSON null.
#   2. BPF cannot load (quelld started without CAP_BPF/CAP_SYS_ADMIN/
#      CAP_PERFMON in its bounding set, as in a restricted container) with
#      bpf = auto: a clear "falling back" log line, keeps ticking and
#      accounting; with bpf = on it refuses to start (exit 1, says why).
#   3. bpf = on on this kernel (where BPF loads): starts, source bpf.
. "$(dirname "$0")/lib.sh"

command -v stress-ng >/dev/null || qt_fail "stress-ng missing (make deps)"
command -v setpriv >/dev/null || qt_fail "setpriv missing (util-linux)"
U=qfb$$
qt_user $U >/dev/null; uid=$(id -u $U)
chmod 0711 "$QT_DIR"
mkdir -m 0777 "$QT_DIR/io"
fail=0
bad() { echo "FAIL $*"; fail=1; }
ok() { echo "ok   $*"; }

# config with [daemon] bpf = $1 (and the usual test settings)
conf_bpf() {
	QT_TICK=250ms qt_config </dev/null
	# without BPF there are no exec/setuid events: placement is by the sweep alone
	sed -i -e "s/^\[daemon\]\$/[daemon]\nbpf = $1/" \
		-e "s/^\[tenants\]\$/[tenants]\nsweep = 1s/" "$QT_DIR/quell.conf"
}
stop_quelld() {
	local i
	[ -n "$QT_QUELLD_PID" ] || return 0
	kill -TERM "$QT_QUELLD_PID" 2>/dev/null
	for i in $(seq 50); do kill -0 "$QT_QUELLD_PID" 2>/dev/null || break; sleep 0.1; done
	kill -0 "$QT_QUELLD_PID" 2>/dev/null && bad "quelld did not stop on SIGTERM"
	wait "$QT_QUELLD_PID" 2>/dev/null
	QT_QUELLD_PID=
}
# python over quellctl --json output: py EXPR-PROGRAM ARGS... (d = the reply)
jpy() {
	local prog=$1
	shift
	qt_ctl --json "$@" | python3 -c "import json,sys; d=json.load(sys.stdin); $prog"
}
counter() { jpy "v=d['tenant']['counters'].get('$2'); print(0 if v is None else int(v))" show "$1"; }
kernel_cpu_ns() {
	if [ -f $CG/cpuacct/$QT_ID/$1/cpuacct.usage ]; then
		cat $CG/cpuacct/$QT_ID/$1/cpuacct.usage
	elif [ -f $CG/$QT_ID/$1/cpu.stat ]; then
		awk '/^usage_usec/ {print $2 * 1000}' $CG/$QT_ID/$1/cpu.stat
	else
		awk '/^usage_usec/ {print $2 * 1000}' $CG/unified/$QT_ID/$1/cpu.stat
	fi
}

# --- 1. bpf = off ------------------------------------------------------------
conf_bpf off
qt_quelld
grep -q "bpf = off" "$QT_DIR/quelld.log" && ok "log says bpf = off" || bad "no 'bpf = off' log line"
src=$(jpy "print(d['host']['source'], d['bpf']['loaded'])" status)
[ "$src" = "cgroupfs False" ] && ok "status: source cgroupfs, bpf not loaded" ||
	bad "status source/bpf: '$src'"
qt_ctl status | grep -q '^accounting: *cgroupfs' && ok "quellctl status says cgroupfs" ||
	bad "quellctl status does not say cgroupfs"

# The hog's shell is placed by the sweep while it sleeps; the counters are
# read while it sleeps and after the hog finished, so both ends are still
# and the tick's sampling delay does not count.
qt_bg su -s /bin/sh $U -c 'cd /tmp && sleep 3 && stress-ng --cpu 1 --timeout 5s --quiet; exec sleep 60'
sleep 2.5
c0=$(counter $U cpu_ns); k0=$(kernel_cpu_ns $U)
sleep 7.5	# hog runs 3 s .. 8 s
c1=$(counter $U cpu_ns); k1=$(kernel_cpu_ns $U)
qt_log "hog: quell $((c1 - c0)) ns, kernel cgroup $((k1 - k0)) ns (quell $c0..$c1, kernel $k0..$k1)"
[ $((k1 - k0)) -gt 500000000 ] || bad "hog got < 0.5 s CPU in 5 s: $((k1 - k0)) ns"
qt_assert_near "fallback cpu_ns vs kernel cgroup counter" $((c1 - c0)) $((k1 - k0)) 10 || fail=1
s=$(jpy "t=d['tenant']; print(t['sources'].get('cpu_ns'), t['counters']['rq_inflicted_ns'], \
t['rates']['inflicted_ms_s'], t['rates']['suffered_ms_s'])" show $U)
[ "$s" = "cgroup None None None" ] && ok "cpu_ns from cgroup, delay unknown (null): $s" ||
	bad "sources/nulls in show --json: '$s'"

# human outputs: the tenant is there, delay columns are "-"
line=$(qt_ctl list | awk -v u=$U '$1 == u')
[ -n "$line" ] || bad "quellctl list has no $U"
echo "  list: $line"
qt_ctl list | awk -v u=$U 'NR == 1 { for (i = 1; i <= NF; i++) if ($i ~ /^INFL/) c = i }
	$1 == u { exit !($c == "-") }' && ok "list: INFL is '-'" || bad "list: INFL not '-'"
qt_ctl show $U | grep -Eq '^run queue: *inflicted - ms/s, suffered - ms/s' &&
	ok "show: run queue '-'" || { qt_ctl show $U | head -12; bad "show: run queue not '-'"; }
[ "$(jpy "print(d['tenant']['gauges']['nproc'])" show $U)" -ge 1 ] && ok "nproc from cgroupfs" ||
	bad "nproc of $U"
qt_ctl tenants | grep -q "^$U  *$uid " && ok "tenants lists $U ($uid)" || bad "tenants"
top=$("$QT_BUILD/quelltop" -s "$QT_DIR/quell.sock" -b -n 2 -d 0.5 2>&1) || bad "quelltop -b rc=$?"
echo "$top" | grep -q "source cgroupfs" && ok "quelltop -b: source cgroupfs" || bad "quelltop source"
echo "$top" | awk -v u=$U '$1 == u { found = 1; if ($3 != "-" || $4 != "-") exit 1 }
	END { exit !found }' && ok "quelltop -b: $U with INFL/SUFF '-'" ||
	{ echo "$top"; bad "quelltop -b row"; }
"$QT_BUILD/quelltop" -s "$QT_DIR/quell.sock" -b -j -n 1 | python3 -c "
import json,sys
f=json.loads(sys.stdin.readline())
print(json.dumps(f)[:300])
" >/dev/null && ok "quelltop -b -j parses" || bad "quelltop -b -j"
kill -9 "${QT_PIDS[@]}" 2>/dev/null; pkill -9 -u $uid

# IO: 64 MiB of direct writes, from blkio.throttle (v1) / io.stat (v2)
w0=$(counter $U io_wbytes)
su -s /bin/sh $U -c "sleep 2; dd if=/dev/zero of=$QT_DIR/io/f bs=1M count=64 oflag=direct status=none" ||
	bad "dd"
sleep 1
w1=$(counter $U io_wbytes)
qt_assert_near "fallback io_wbytes vs 64 MiB written" $((w1 - w0)) $((64 << 20)) 10 || fail=1
s=$(jpy "print(d['tenant']['sources'].get('io_wbytes'))" show $U)
[ "$s" = cgroup ] && ok "io_wbytes source cgroup" || bad "io_wbytes source '$s'"
rm -f "$QT_DIR/io/f"
stop_quelld

# --- 2. BPF cannot load ------------------------------------------------------
# quelld without the capabilities BPF needs: the kernel refuses every BPF
# program (unprivileged BPF is off), cgroupfs and procfs still work as root.
mkdir "$QT_DIR/bin"
printf '#!/bin/sh\nexec setpriv --bounding-set -bpf,-sys_admin,-perfmon %s "$@"\n' \
	"$QT_BUILD/quelld" > "$QT_DIR/bin/quelld"
chmod +x "$QT_DIR/bin/quelld"
ln -s "$QT_BUILD/quellctl" "$QT_DIR/bin/quellctl"
conf_bpf auto
QT_BUILD=$QT_DIR/bin qt_quelld
line=$(grep -i "falling back" "$QT_DIR/quelld.log")
[ -n "$line" ] && ok "clear log line: ${line#*: }" || { cat "$QT_DIR/quelld.log"; bad "no fallback line"; }
qt_bg su -s /bin/sh $U -c 'cd /tmp && exec stress-ng --cpu 1 --timeout 20s --quiet'
t0=$(jpy "print(d['tick'])" status)
sleep 3
t1=$(jpy "print(d['tick'])" status)
kill -0 $QT_QUELLD_PID 2>/dev/null && [ "$t1" -gt "$((t0 + 5))" ] &&
	ok "keeps running: ticks $t0 -> $t1" || bad "not ticking after fallback ($t0 -> $t1)"
src=$(jpy "print(d['host']['source'], d['bpf']['loaded'])" status)
[ "$src" = "cgroupfs False" ] && ok "fallback status: $src" || bad "fallback status '$src'"
cpu=$(jpy "print(int(d['tenant']['rates']['cpu_pct'] or 0))" show $U)
[ "$cpu" -gt 5 ] && ok "fallback still accounts: $U at $cpu% CPU" || bad "$U cpu $cpu% (expected > 5 on a busy host)"
kill -9 "${QT_PIDS[@]}" 2>/dev/null; pkill -9 -u $uid
stop_quelld

# bpf = on without the capabilities: refuse to start, say why
conf_bpf on
timeout 20 "$QT_DIR/bin/quelld" --foreground -c "$QT_DIR/quell.conf" > "$QT_DIR/on.log" 2>&1
rc=$?
[ $rc = 1 ] && grep -q "bpf = on but BPF failed to load" "$QT_DIR/on.log" &&
	ok "bpf = on without BPF: exit 1, '$(grep -o 'bpf = on but.*' "$QT_DIR/on.log")'" ||
	{ cat "$QT_DIR/on.log"; bad "bpf = on without BPF: rc=$rc"; }
[ -S "$QT_DIR/quell.sock" ] && bad "socket left behind by a refused start"

# --- 3. bpf = on where it loads -------------------------------------------------
conf_bpf on
qt_quelld
src=$(jpy "print(d['host']['source'], d['bpf']['loaded'], d['bpf'].get('variant'))" status)
case $src in
"bpf True "*) ok "bpf = on: $src";;
*) bad "bpf = on: status '$src'";;
esac
stop_quelld

[ $fail = 0 ] || qt_fail "fallback"
echo PASS
