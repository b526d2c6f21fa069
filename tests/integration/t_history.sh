#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# History end to end (issue 6): quelld writes RRDs with a 1 s step while one
# tenant burns CPU and another idles; `quellctl history` shows the hog's
# CPU, `report` ranks it first, `graph` writes a valid PNG (tenant and host).
# Issue 11.5 / 12.3: a file is at most 1 MB, files and directories are not
# world-readable, a tenant gets its history through quelld (`history`
# command) with the same JSON as root's direct read.
. "$(dirname "$0")/lib.sh"

HOG=hh$$; IDLE=hi$$
qt_user $HOG >/dev/null
qt_user $IDLE >/dev/null
qt_config <<CONF
[history]
enabled = yes
step = 1
[daemon]
socket_mode = 0666
CONF
# a file of the first version's layout (9.2 MB at step 10, 27.9 MB at step 1),
# world-readable in 0755 directories, as an upgrade finds them: migrated
RRD=$QT_DIR/state/rrd
mkdir -p -m 0755 "$QT_DIR/state" "$RRD" "$RRD/tenants"
ds=""
for d in cpu_ns:DERIVE rq_inflicted_ns:DERIVE rq_suffered_ns:DERIVE mem_bytes:GAUGE \
	 io_rbytes:DERIVE io_wbytes:DERIVE io_rops:DERIVE io_wops:DERIVE nproc:GAUGE \
	 pgfaults:DERIVE forks:DERIVE cpu_throttled:DERIVE mem_max_events:DERIVE \
	 pids_max_events:DERIVE oom_kills:DERIVE; do
	ds="$ds DS:$d:3:0:U"
done
(umask 022; rrdtool create "$RRD/tenants/$IDLE.rrd" --step 1 --start $(($(date +%s) - 100)) $ds \
	RRA:AVERAGE:0.5:1:172800 RRA:AVERAGE:0.5:60:20160 RRA:MAX:0.5:60:20160 \
	RRA:AVERAGE:0.5:3600:9480 RRA:MAX:0.5:3600:9480) || qt_fail "rrdtool create (old layout)"
old_size=$(stat -c %s "$RRD/tenants/$IDLE.rrd")
qt_quelld
ctl() { "$QT_BUILD/quellctl" -c "$QT_DIR/quell.conf" "$@"; }
# on failure, show what the daemon said
fail() { echo "--- quelld.log (tail)"; tail -25 "$QT_DIR/quelld.log"; qt_fail "$@"; }

qt_bg su -s /bin/sh $HOG -c 'cd /tmp && exec stress-ng --cpu 1 --timeout 20s --quiet'
qt_bg su -s /bin/sh $IDLE -c 'exec sh -c "while :; do sleep 0.2; done"'

# kernel's CPU usec of tenant $1's cgroup (v2 cpu.stat, v1 cpuacct)
kernel_cpu_us() {
	if [ -f $CG/cpuacct/$QT_ID/$1/cpuacct.usage ]; then
		echo $(($(cat $CG/cpuacct/$QT_ID/$1/cpuacct.usage) / 1000))
	else
		awk '/^usage_usec/ {print $2}' $CG/$QT_ID/$1/cpu.stat
	fi
}
# wait for the next second boundary, print it
next_second() {
	local s=$(date +%s)
	while [ "$(date +%s)" = "$s" ]; do sleep 0.02; done
	date +%s
}
sleep 3		# placed and running
t0=$(next_second); k0=$(kernel_cpu_us $HOG)
sleep 7
t1=$(next_second); k1=$(kernel_cpu_us $HOG)
sleep 3		# the writer has written (t0, t1]

[ -f "$RRD/tenants/$HOG.rrd" ] || { ls -lR "$RRD"; cat "$QT_DIR/quelld.log"; fail "no RRD for $HOG"; }
[ -f "$RRD/host.rrd" ] || fail "no host.rrd"
qt_log "RRD files: $(ls "$RRD/tenants" | tr '\n' ' ') ($(stat -c %s "$RRD/tenants/$HOG.rrd") bytes each)"

# --- history: the hog's CPU seconds in (t0, t1] against the kernel's ----------
ctl history $HOG --since $t0 --until $t1 > "$QT_DIR/hist.txt" || fail "history (table)"
head -4 "$QT_DIR/hist.txt"
ctl history $HOG --since $t0 --until $t1 --csv > "$QT_DIR/hist.csv" || fail "history --csv"
ctl history $IDLE --since $t0 --until $t1 --csv > "$QT_DIR/idle.csv" || fail "history --csv (idle)"
rows=$(awk -F, 'NR > 1 && $2 != ""' "$QT_DIR/hist.csv" | wc -l)
hog_s=$(awk -F, 'NR > 1 && $2 != "" {s += $2 / 100} END {printf "%.3f", s}' "$QT_DIR/hist.csv")
idle_s=$(awk -F, 'NR > 1 && $2 != "" {s += $2 / 100} END {printf "%.3f", s}' "$QT_DIR/idle.csv")
kern_s=$(awk -v a=$k0 -v b=$k1 'BEGIN {printf "%.3f", (b - a) / 1e6}')
qt_log "history: $rows rows of 1 s; hog $hog_s CPU s (kernel $kern_s), idle $idle_s CPU s"
[ "$rows" -ge $((t1 - t0 - 1)) ] || { cat "$QT_DIR/hist.csv"; fail "history: only $rows rows with data"; }
qt_assert_near "hog CPU s, history vs kernel cgroup" "$hog_s" "$kern_s" 20 || exit 1
awk -v h=$hog_s -v i=$idle_s 'BEGIN {exit !(h > 5 * i)}' || fail "hog not well above idle"
ctl --json history $HOG --since $t0 --until $t1 | python3 -c "
import json,sys
d=json.load(sys.stdin)
assert d['tenant'] == '$HOG' and d['step'] == 1 and len(d['rows']) == $((t1 - t0)), d
" || fail "history --json"
ctl history nosuchtenant --since -1m 2>/dev/null && fail "history of an unknown tenant succeeded"

# --- size and permissions (issue 11.5, 12.3) ------------------------------
size=$(stat -c %s "$RRD/tenants/$HOG.rrd")
[ "$size" -le 1000000 ] || fail "RRD file of $size bytes (at most 1 MB)"
for f in "$RRD" "$RRD/tenants" "$RRD/tenants/$HOG.rrd" "$RRD/host.rrd"; do
	m=$(stat -c %a "$f")
	[ $((8#$m & 8#007)) = 0 ] || fail "$f is world-accessible (mode $m)"
done
su -s /bin/sh $IDLE -c "cat '$RRD/tenants/$HOG.rrd'" >/dev/null 2>&1 &&
	fail "tenant $IDLE could read $HOG's RRD file"
su -s /bin/sh $IDLE -c "ls '$RRD/tenants'" >/dev/null 2>&1 &&
	fail "tenant $IDLE could list the RRD directory"
qt_log "RRD: $size bytes per tenant file; modes $(stat -c %a "$RRD") $(stat -c %a "$RRD/tenants") $(stat -c %a "$RRD/tenants/$HOG.rrd"); a tenant reads none of them"

size=$(stat -c %s "$RRD/tenants/$IDLE.rrd")
[ "$size" -le 1000000 ] || fail "old-layout file of $IDLE not migrated ($size bytes)"
grep -q "$IDLE.rrd: .*migrated to the current layout" "$QT_DIR/quelld.log" || fail "no migration logged"
[ "$(stat -c %a "$RRD/tenants/$IDLE.rrd")" = 640 ] || fail "migrated file is not 0640"
qt_log "old-layout file of $IDLE: $old_size -> $size bytes, migrated"

# --- a tenant's own history through quelld: the same JSON as root's read ----
ctl --json history $HOG --since $t0 --until $t1 > "$QT_DIR/root.json" || fail "history --json (root)"
su -s /bin/sh $HOG -c "'$QT_BUILD/quellctl' -c '$QT_DIR/quell.conf' -s '$QT_DIR/quell.sock' \
	--json history $HOG --since $t0 --until $t1" > "$QT_DIR/tenant.json" 2> "$QT_DIR/tenant.err" ||
	{ cat "$QT_DIR/tenant.err"; fail "history as the tenant (through quelld)"; }
cmp -s "$QT_DIR/root.json" "$QT_DIR/tenant.json" ||
	{ diff "$QT_DIR/root.json" "$QT_DIR/tenant.json" | head; fail "history through quelld differs from the direct read"; }
su -s /bin/sh $HOG -c "'$QT_BUILD/quellctl' -c '$QT_DIR/quell.conf' -s '$QT_DIR/quell.sock' \
	history $HOG --since $t0 --until $t1" > "$QT_DIR/tenant.txt" || fail "history table as the tenant"
[ "$(wc -l < "$QT_DIR/tenant.txt")" -ge $((t1 - t0)) ] || fail "history table as the tenant: short"
# the per-second peaks kept in quelld's memory (--recent), also for the tenant
su -s /bin/sh $HOG -c "'$QT_BUILD/quellctl' -c '$QT_DIR/quell.conf' -s '$QT_DIR/quell.sock' \
	--json history $HOG --recent --since $t0 --until $t1" > "$QT_DIR/recent.json" ||
	fail "history --recent as the tenant"
python3 - "$QT_DIR/recent.json" $((t1 - t0)) "$hog_s" <<'PY' || fail "history --recent"
import json, sys
d = json.load(open(sys.argv[1])); n = int(sys.argv[2]); hog_s = float(sys.argv[3])
cpu = [r["cpu_pct"] for r in d["rows"] if r["cpu_pct"] is not None]
assert d["step"] == 1 and d["cf"] == "MAX" and len(d["rows"]) == n, d
assert len(cpu) >= n - 1, cpu
mean, rrd_mean = sum(cpu) / len(cpu), hog_s * 100 / n
print("recent: %d per-second peaks, mean %.1f %% (RRD mean %.1f %%), max %.1f %%" % (len(cpu), mean, rrd_mean, max(cpu)))
assert abs(mean - rrd_mean) <= 0.25 * rrd_mean + 5, (mean, rrd_mean)
PY
# the socket command itself: bad requests get a clear error, the daemon lives
python3 - "$QT_DIR/quell.sock" $HOG <<'PY' || fail "history command: bad requests"
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
hog = sys.argv[2]
for req in [{"cmd": "history", "tenant": hog, "since": 0, "until": 99999999999},
            {"cmd": "history"}, {"cmd": "history", "tenant": "../x"},
            {"cmd": "history", "tenant": hog, "since": "yesterday"},
            {"cmd": "history", "tenant": hog, "max": "yes"},
            {"cmd": "history", "tenant": "nosuchtenant"}]:
    s.sendall(json.dumps(req).encode() + b"\n")
    r = b""
    while not r.endswith(b"\n"):
        r += s.recv(65536)
    j = json.loads(r)
    assert j.get("ok") is not True and j.get("error"), (req, j)
    print("refused:", json.dumps(req), "->", j["error"])
PY
kill -0 $QT_QUELLD_PID || fail "quelld died on bad history requests"

# --- report: the hog is the top CPU user ----------------------------------
ctl report --period 1m --by cpu --top 5 || fail "report"
top=$(ctl --json report --period 1m --by cpu --top 5 |
	python3 -c "import json,sys; t=json.load(sys.stdin)['tenants']; print(t[0]['tenant'] if t else '')")
[ "$top" = "$HOG" ] || fail "report --by cpu: top is \"$top\", want $HOG"
ctl report --by bogus >/dev/null 2>&1 && fail "report --by bogus accepted"

# --- graph: valid PNGs -----------------------------------------------------
check_png() {
	local f=$1 sig size
	[ -f "$f" ] || fail "graph: $f not written"
	sig=$(head -c 8 "$f" | od -An -tx1 | tr -d ' \n')
	[ "$sig" = "89504e470d0a1a0a" ] || fail "graph: $f is not a PNG (signature $sig)"
	size=$(stat -c %s "$f")
	[ "$size" -gt 2000 ] && [ "$size" -lt 2000000 ] || fail "graph: $f has odd size $size"
	qt_log "graph: $f is a PNG of $size bytes"
}
ctl graph $HOG --since -1m -o "$QT_DIR/hog.png" || fail "graph TENANT"
check_png "$QT_DIR/hog.png"
ctl graph --host --since -1m --metric cpu -o "$QT_DIR/host.png" || fail "graph --host"
check_png "$QT_DIR/host.png"
ctl graph $HOG --since -1m 2>/dev/null && fail "graph without -o accepted"

# --- quelltop --at: the same screen from history, the hog on top ------------
"$QT_BUILD/quelltop" -c "$QT_DIR/quell.conf" --at -6s -b -n 1 > "$QT_DIR/replay.txt" ||
	fail "quelltop --at -6s"
cat "$QT_DIR/replay.txt"
first=$(awk -v h=$HOG -v i=$IDLE '$1 == h || $1 == i { print $1; exit }' "$QT_DIR/replay.txt")
[ "$first" = "$HOG" ] || fail "quelltop --at: first tenant row is \"$first\", want $HOG"
"$QT_BUILD/quelltop" -c "$QT_DIR/quell.conf" --at "1999-01-01 00:00" -b -n 1 >/dev/null 2>&1 &&
	fail "quelltop --at before any history succeeded"

# the daemon wrote without errors and is still alive
kill -0 $QT_QUELLD_PID || fail "quelld died"
if grep -E 'history: .*(update|create)' "$QT_DIR/quelld.log" | grep -qv 'info'; then
	grep 'history' "$QT_DIR/quelld.log" | tail -5
	fail "history errors in quelld's log"
fi
echo "PASS t_history"
