#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Real host, 500 tenants (issue 11 items 1 and 5; issue 12 item 1): quelld
# with the shipped docs/quell.conf (history on, metrics on) and 500 Unix users
# with a sleeping process each.
#   1. every sleeper placed in its tenant's cgroups, in every hierarchy;
#   2. `quellctl list`: exit 0, 500 rows; `quellctl --json list`: 500 tenants;
#   3. `quellctl show` for a sample (name, uid, its process) and for every
#      tenant in a loop, within a bound;
#   4. `quelltop -b` (text and --json) shows all 500;
#   5. a tenant running quellctl sees only itself: its own `show` and `list`
#      work, `show OTHER` and `throttle OTHER` are refused (issue 12's model,
#      docs/protocol.md), OTHER is left untouched;
#   6. history: every RRD file <= 1 MB, and quelld's CPU while creating them;
#   7. lazy reads (src/quelld/quiet.h): with every tenant asleep, most of
#      them are quiet in each tick (only their pressure files read); the
#      tick's median is logged with lazy reads and, after a SIGHUP with
#      `lazy_reads = no`, without (judged: the count, not the times).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/realhost.sh"

N=${QT_RH_TENANTS:-500}
SHOW_ALL_MAX_S=60		# 500 x (fork + exec + one request) ~ 5 s when healthy

rh_lock_uids
rh_state_tmpfs 1G
rh_users $N
rh_sleepers
rh_config </dev/null
t0=$(rh_ms)
rh_quelld
P=$QT_QUELLD_PID
qt_log "quelld $P up in $(($(rh_ms) - t0)) ms with $N users (uids $RH_UID_MIN..), metrics port $RH_PORT"
cpu0=$(rh_cpu_ms $P)
tcpu0=$(rh_ms)

# --- 1. placement ------------------------------------------------------------------
for i in $(seq 30); do rh_placed >/dev/null && break; sleep 1; done
out=$(rh_placed)
[ $? = 0 ] && rh_ok "$out (after ${i} s), hierarchies: $(rh_hierarchies | tr '\n' ' ')" ||
	rh_bad "placement: $out"

# --- 2. list -------------------------------------------------------------------------
t=$(rh_ms)
qt_ctl list > "$QT_DIR/list.out" 2> "$QT_DIR/list.err"
rc=$? dt=$(($(rh_ms) - t))
rows=$(grep -c '^qrh' "$QT_DIR/list.out")
[ $rc = 0 ] && [ "$rows" = $N ] && rh_ok "quellctl list: $rows rows in $dt ms" ||
	rh_bad "quellctl list: exit $rc, $rows rows of $N ($(head -c 200 "$QT_DIR/list.err"))"
t=$(rh_ms)
qt_ctl --json list > "$QT_DIR/list.json" 2> "$QT_DIR/list.err"
rc=$? dt=$(($(rh_ms) - t))
cnt=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["tenants"]))' \
	"$QT_DIR/list.json" 2>/dev/null)
[ $rc = 0 ] && [ "$cnt" = $N ] &&
	rh_ok "quellctl --json list: $cnt tenants, $(stat -c %s "$QT_DIR/list.json") bytes in $dt ms" ||
	rh_bad "quellctl --json list: exit $rc, ${cnt:-no} tenants ($(head -c 200 "$QT_DIR/list.err"))"

# --- 3. show -------------------------------------------------------------------------
for k in 0 1 $((N / 2)) $((N - 1)); do
	name=${RH_NAMES[$k]} uid=${RH_UIDS[$k]} pid=${RH_PID[${RH_NAMES[$k]}]}
	got=$(qt_ctl --json show "$name" 2>&1 | python3 -c '
import json, sys
t = json.load(sys.stdin)["tenant"]
print(t["name"], t["uid"], " ".join(str(p["pid"]) for p in t.get("procs", [])))' 2>&1)
	[ "$got" = "$name $uid $pid" ] && rh_ok "show $name: uid $uid, process $pid" ||
		rh_bad "show $name: want '$name $uid $pid', got '$got'"
done
t=$(rh_ms)
nfail=0
for name in "${RH_NAMES[@]}"; do
	timeout 10 "$QT_BUILD/quellctl" -s "$QT_DIR/quell.sock" show "$name" >/dev/null 2>&1 ||
		nfail=$((nfail + 1))
	[ $(($(rh_ms) - t)) -gt $((SHOW_ALL_MAX_S * 1000)) ] && break
done
dt=$(($(rh_ms) - t))
[ $nfail = 0 ] && [ $dt -le $((SHOW_ALL_MAX_S * 1000)) ] &&
	rh_ok "show for each of $N tenants: $dt ms ($((dt / N)) ms each)" ||
	rh_bad "show for each tenant: $nfail failed, $dt ms (bound ${SHOW_ALL_MAX_S} s)"

# --- 4. quelltop -b --------------------------------------------------------------------
TOP="$QT_BUILD/quelltop -s $QT_DIR/quell.sock"
t=$(rh_ms)
timeout 30 $TOP -b -n 1 -w 200 > "$QT_DIR/top.out" 2> "$QT_DIR/top.err"
rc=$? dt=$(($(rh_ms) - t))
rows=$(grep -c '^qrh' "$QT_DIR/top.out")
[ $rc = 0 ] && [ "$rows" = $N ] && rh_ok "quelltop -b: $rows rows in $dt ms" ||
	rh_bad "quelltop -b: exit $rc, $rows rows of $N ($(head -c 200 "$QT_DIR/top.err"))"
timeout 30 $TOP -b -n 2 -d 1 --json > "$QT_DIR/top.json" 2> "$QT_DIR/top.err"
rc=$?
cnt=$(python3 -c '
import json, sys
print(" ".join(str(len(json.loads(l)["tenants"])) for l in open(sys.argv[1]) if l.strip()))' \
	"$QT_DIR/top.json" 2>/dev/null)
[ $rc = 0 ] && [ "$cnt" = "$N $N" ] && rh_ok "quelltop -b --json: 2 frames of $N tenants" ||
	rh_bad "quelltop -b --json: exit $rc, frames '${cnt}' ($(head -c 200 "$QT_DIR/top.err"))"

# /metrics (on, with the token the shipped config asks for) has a row for every tenant
m=$(curl -s --max-time 10 "http://127.0.0.1:$RH_PORT/metrics" | grep -c '^quell_tenant_cpu_seconds_total{')
[ "${m:-0}" -ge $N ] && rh_ok "/metrics: $m tenant cpu series" ||
	rh_bad "/metrics: ${m:-0} tenant cpu series for $N tenants"

# --- 5. a tenant on the box runs quellctl -------------------------------------------------
ME=${RH_NAMES[3]} MEUID=${RH_UIDS[3]} OTHER=${RH_NAMES[4]}
mkdir -p "$QT_DIR/bin" && cp "$QT_BUILD/quellctl" "$QT_DIR/bin/" && chmod 755 "$QT_DIR/bin"
as_me() {
	timeout 10 setpriv --reuid=$MEUID --regid=65534 --clear-groups -- \
		"$QT_DIR/bin/quellctl" -s "$QT_DIR/quell.sock" "$@"
}
out=$(as_me --json show "$ME" 2>&1)
rc=$?
name=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["tenant"]["name"])' <<<"$out" 2>/dev/null)
[ $rc = 0 ] && [ "$name" = "$ME" ] && rh_ok "tenant $ME: show $ME works" ||
	rh_bad "tenant $ME: show $ME: exit $rc: $(head -c 200 <<<"$out")"
out=$(as_me --json list 2>&1)
rc=$?
names=$(python3 -c 'import json,sys; print(" ".join(t["name"] for t in json.load(sys.stdin)["tenants"]))' \
	<<<"$out" 2>/dev/null)
# "sees only itself": a list of just itself, or list refused (exit 4: permission
# denied, quellctl(8)); never another tenant
if [ $rc = 0 ] && [ "$names" = "$ME" ]; then rh_ok "tenant $ME: list shows only itself"
elif [ $rc = 4 ]; then rh_ok "tenant $ME: list refused (exit 4: $(head -c 80 <<<"$out"))"
else rh_bad "tenant $ME: list: exit $rc, tenants '$(head -c 100 <<<"$names")' ($(head -c 150 <<<"$out"))"
fi
out=$(as_me show "$OTHER" 2>&1)
rc=$?
[ $rc = 4 ] && rh_ok "tenant $ME: show $OTHER refused (exit 4: $(head -c 80 <<<"$out"))" ||
	rh_bad "tenant $ME: show $OTHER: exit $rc, want 4 (permission denied): $(head -c 150 <<<"$out")"
out=$(as_me throttle "$OTHER" --for 5m 2>&1)
rc=$?
st=$(qt_show_get "$OTHER" 't["state"]' 2>&1)
[ $rc = 4 ] && [ "$st" = ok ] && rh_ok "tenant $ME: throttle $OTHER refused (exit 4), $OTHER still '$st'" ||
	rh_bad "tenant $ME: throttle $OTHER: exit $rc (want 4), its state '$st': $(head -c 150 <<<"$out")"
[ "$st" = ok ] || qt_ctl release "$OTHER" >/dev/null 2>&1

# --- 6. history ------------------------------------------------------------------------------
# one RRD step is 10 s: wait for files (created lazily after a fix, not all at once;
# two tenants do a little work in case files only come with activity)
RRD=$QT_DIR/state/rrd
for k in 5 6; do
	setpriv --reuid=${RH_UIDS[$k]} --regid=65534 --clear-groups -- \
		nice -n 19 timeout 5 sh -c 'while :; do :; done' &
	echo $! >> "$QT_DIR/rh_pids"
done
for i in $(seq 60); do
	[ -n "$(find "$RRD" -name '*.rrd' -print -quit 2>/dev/null)" ] && [ $i -ge 25 ] && break
	sleep 1
done
cpu1=$(rh_cpu_ms $P)
tcpu1=$(rh_ms)
read -r nf maxb tot <<<"$(find "$RRD" -name '*.rrd' -printf '%s\n' 2>/dev/null |
	awk '{ n++; t += $1; if ($1 > m) m = $1 } END { printf "%d %d %d\n", n, m, t }')"
big=$(find "$RRD" -name '*.rrd' -size +1024k 2>/dev/null | wc -l)
pct=$(awk -v c="$((${cpu1:-0} - cpu0))" -v ms=$((tcpu1 - tcpu0)) 'BEGIN { printf "%.1f", c * 100 / ms }')
qt_log "history: $nf RRD files, largest $maxb bytes, $tot bytes in all ($(du -sh "$RRD" 2>/dev/null | cut -f1) on disk); quelld used $pct% of a core over $(((tcpu1 - tcpu0) / 1000)) s"
grep -c "history" "$QT_DIR/quelld.log" | xargs echo "  quelld.log lines naming history:"
[ "$nf" -gt 0 ] && [ "$big" = 0 ] && [ "$maxb" -le 1048576 ] &&
	rh_ok "RRD files: $nf, largest $maxb bytes <= 1 MiB" ||
	rh_bad "RRD files: $nf, $big over 1 MiB (largest $maxb bytes)"
one=$(find "$RRD" -name '*.rrd' ! -name host.rrd -printf '%f\n' 2>/dev/null | head -1)
if [ -n "$one" ]; then
	qt_ctl -c "$QT_DIR/quell.conf" history "${one%.rrd}" --since -5m >/dev/null 2>&1 &&
		rh_ok "quellctl history ${one%.rrd} reads its file" || rh_bad "quellctl history ${one%.rrd}"
fi

# --- 7. lazy reads ---------------------------------------------------------------------------
# "tick_ms quiet" medians of 7 status calls a second apart
tick_med() {
	local i
	for i in 1 2 3 4 5 6 7; do
		qt_ctl --json status 2>/dev/null | jq -r '"\(.host.tick_ms) \(.host.quiet)"'
		sleep 1
	done | sort -g | sed -n 4p
}
read -r lazy_ms lazy_q <<<"$(tick_med)"
sed -i "/^\[daemon\]/a lazy_reads = no" "$QT_DIR/quell.conf"
kill -HUP $P
sleep 2
read -r full_ms full_q <<<"$(tick_med)"
sed -i "/^lazy_reads = no/d" "$QT_DIR/quell.conf"
kill -HUP $P
qt_log "tick median: $lazy_ms ms with lazy reads ($lazy_q of $N quiet), $full_ms ms without ($full_q quiet)"
[ "${lazy_q:-0}" -ge $((N / 2)) ] && [ "${full_q:-1}" = 0 ] &&
	rh_ok "lazy reads: $lazy_q of $N tenants quiet, tick $lazy_ms ms (full reads: $full_ms ms)" ||
	rh_bad "lazy reads: ${lazy_q:-?} of $N quiet (want >= $((N / 2))), ${full_q:-?} with lazy_reads = no (want 0)"
rh_alive && rh_ok "quelld alive" || rh_bad "quelld died (exit $RH_RC)"
rh_done
