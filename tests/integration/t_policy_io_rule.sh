#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The embedded io-hog rule on the real kernel (issue 14): a tenant writing
# as fast as the disk goes (fio, 1 MiB O_DIRECT writes) beside a tenant doing
# 4 KiB O_DIRECT random reads (it stalls on IO: psi_io) is capped by the
# rule's first rung (io=10M iops=1000 in blkio.throttle.* / io.max). No IO
# weight binds on a hybrid host (docs/policy.md "The gentle rung"), so the
# first rung is a cap: its window is 3 s, or 1 s (two samples) while the
# neighbour's IO requests wait more than urgent_above (0.1 ms each, io_wait;
# the reader's stall share, 8-50 % alone and 51-96 % beside the hog, sat
# on the old 50 % threshold). Over QT_RUNS runs (default 2) it measures the
# time from the hog's start to the cap (the audit line's time_ms, stamped
# in the tick that writes the cap; p50 / p95; goal p95 <= 3 s, issue 14)
# and the reader's stall and wait per request alone and until the cap.
# First the hog runs alone (the reader idle) for 6 s: no action, no cap.
. "$(dirname "$0")/lib.sh"

command -v fio >/dev/null || qt_skip "fio missing"
RUNS=${QT_RUNS:-2}
H=qoh$$; V=qov$$
qt_users $H $V
EV=$QT_DIR/state/events.jsonl
qt_config -s 1s -e "$EV" </dev/null
qt_quelld
W=$QT_DIR/io
mkdir -p $W/$H $W/$V
chmod 755 $QT_DIR $W
chown $H $W/$H; chown $V $W/$V
dd if=/dev/zero of=$W/probe bs=4k count=1 oflag=direct 2>/dev/null || qt_skip "no O_DIRECT on $W"

# the victim's file (its reads start after the hog-alone check)
su -s /bin/sh $V -c "cd /tmp && exec fio --name=mk --filename=$W/$V/f --size=128M --rw=write --bs=1M --direct=1" >/dev/null 2>&1 ||
	qt_fail "victim file"
lines() { qt_lines "$EV"; }
wf() { qt_cgfile $H blkio blkio.throttle.write_bps_device io.max; }
hog() {
	su -s /bin/sh $H -c "cd /tmp && exec fio --name=hog --filename=$W/$H/f --size=1G --rw=write --bs=1M --direct=1 --ioengine=libaio --iodepth=16 --time_based --runtime=60" >/dev/null 2>&1 &
	QT_PIDS+=($!)
	HOG=$!
}
stop_hog() { kill -9 $HOG 2>/dev/null; pkill -9 -u $H 2>/dev/null; wait $HOG 2>/dev/null; }

# an IO-heavy tenant on an otherwise idle disk (as far as quell's tenants go) is never capped
n=$(lines)
hog
sleep 6
rate=$(qt_show_get $H "'%.0f' % t['rates']['io_wbps']" 2>/dev/null)
stop_hog
if tail -n +$((n + 1)) "$EV" 2>/dev/null | grep -q "\"tenant\":\"$H\""; then
	qt_fail "the hog alone got an action: $(tail -n +$((n + 1)) $EV)"
fi
f=$(wf) && grep -Eq "(^| |wbps=)$((10 << 20))\b" $f && qt_fail "the hog alone was capped: $(cat $f)"
qt_log "the hog alone for 6 s (writing ${rate:-?} bytes/s): no action"

# the victim's reads, in the background for the rest of the test
su -s /bin/sh $V -c "cd /tmp && exec fio --name=victim --filename=$W/$V/f --size=128M --rw=randread --bs=4k --direct=1 --time_based --runtime=600" >/dev/null 2>&1 &
QT_PIDS+=($!)
sleep 3
# the victim's IO stall (PSI "some" total, us): alone, and between the hog's start and the cap
vpsi() { awk '/^some/ { split($5, a, "="); print a[2] }' $(qt_cgfile $V blkio io.pressure) 2>/dev/null ||
	echo 0; }
pct() { awk -v a=$1 -v b=$2 -v t=$3 -v u=$4 'BEGIN { printf "%.0f", (b - a) / ((u - t) / 1e3) * 100 }'; }
# the victim's IO requests (v1 blkio.throttle.io_serviced, v2 io.stat rios + wios)
vops() {
	awk '$2 == "Read" || $2 == "Write" { s += $3 } { for (i = 2; i <= NF; i++) if ($i ~ /^[rw]ios=/) s += substr($i, 6) }
	     END { printf "%.0f\n", s }' $(qt_cgfile $V blkio blkio.throttle.io_serviced io.stat) 2>/dev/null
}
# io_wait as the rule computes it (src/policy/policy.c): ms stalled per second
# over requests per second (at least 1), from psi us a..b and requests o..p over ns t..u
iow() { awk -v a=$1 -v b=$2 -v o=$3 -v p=$4 -v t=$5 -v u=$6 'BEGIN { d = (u - t) / 1e9; r = (p - o) / d;
	printf "%.3f", (b - a) / 1e3 / d / (r > 1 ? r : 1) }'; }

apply_ns() { qt_apply_ns "$EV" "$1" "$2" "${3:-}"; }
# bytes the hog's cgroup has written (v1 blkio.throttle.io_service_bytes, v2 io.stat)
hogw() {
	awk '$2 == "Write" { s += $3 } { for (i = 2; i <= NF; i++) if ($i ~ /^wbytes=/) s += substr($i, 8) }
	     END { printf "%.0f\n", s }' $(qt_cgfile $H blkio blkio.throttle.io_service_bytes io.stat) 2>/dev/null
}

times=(); from_write=(); alone_w=(); beside_w=()
for r in $(seq $RUNS); do
	qt_ctl release $H >/dev/null 2>&1
	sleep 2
	n=$(lines)
	pa=$(vpsi); oa=$(vops); ta=$(date +%s%N); sleep 1; pb=$(vpsi); ob=$(vops)
	w0=$(hogw)
	t0=$(date +%s%N)
	hog
	act= series= wseries= sp=$pb so=$ob st=$t0 tw=
	while [ $(( ($(date +%s%N) - t0) / 1000000000 )) -lt 40 ]; do
		# the hog's first write, as a 0.1 s poll sees it (fio starts 0.1-1 s after su)
		[ -z "$tw" ] && [ "$(hogw)" != "$w0" ] && tw=$(date +%s%N)
		at=$(apply_ns $H $n io-hog)	# when quelld acted, not when we looked
		if [ -n "$at" ]; then
			pc=$(vpsi); oc=$(vops); seen=$(date +%s%N); act=$at
			break
		fi
		now=$(date +%s%N)
		if [ $((now - st)) -ge 500000000 ]; then
			p=$(vpsi); o=$(vops); series="$series $(pct $sp $p $st $now)"
			wseries="$wseries $(iow $sp $p $so $o $st $now)"; sp=$p; so=$o; st=$now
		fi
		sleep 0.1
	done
	[ -n "$act" ] || { tail -5 "$EV"; qt_ctl show $H; qt_ctl show $V; \
		qt_fail "run $r: the IO hog was not capped within 40 s"; }
	# cpu-hog may come first: fio at 3 GB/s burns 80 % of a CPU, and the
	# reader, woken at each completion, waited 142 ms/s behind it in a CI
	# run (cpu_idle at the wait alarm's tick). Its gentle rung is no cap.
	other=$(tail -n +$((n + 1)) "$EV" | grep "\"tenant\":\"$H\"" | grep -v '"rule":"io-hog"' |
		grep -v '"rule":"cpu-hog","action":"apply","level":1,' | head -1)
	[ -z "$other" ] || qt_fail "run $r: an action other than io-hog's and cpu-hog's gentle rung: $other"
	s=$(awk -v a=$act -v b=$t0 'BEGIN { printf "%.3f", (a - b) / 1e9 }')
	times+=($s)
	[ -n "$tw" ] || tw=$act
	# the rule's own window at the trip (evidence over_s): never one sample
	over=$(tail -n +$((n + 1)) "$EV" | grep "\"tenant\":\"$H\"" | grep '"action":"apply"' |
		grep '"rule":"io-hog"' | head -1 | sed -n 's/.*"over_s":\([0-9.]*\).*/\1/p')
	awk -v o="${over:-0}" 'BEGIN { exit !(o >= 0.75) }' ||
		qt_fail "run $r: capped on a window of ${over:-?} s, less than two samples"
	sw=$(awk -v a=$act -v b=$tw 'BEGIN { printf "%.3f", (a - b) / 1e9 }')
	from_write+=($sw)
	f=$(wf)
	grep -Eq "(^| |wbps=)$((10 << 20))\b" $f || qt_fail "run $r: no 10M write cap in $f: $(cat $f)"
	wa=$(iow $pa $pb $oa $ob $ta $t0); wb=$(iow $pb $pc $ob $oc $t0 $seen)
	alone_w+=($wa); beside_w+=($wb)
	qt_log "run $r: capped ${s} s after the hog started, ${sw} s after its first write, window ${over} s (audit line's time_ms; the test saw it $(( (seen - act) / 1000000 )) ms later) ($(tr '\n' ' ' < $f)); victim io stall $(pct $pa $pb $ta $t0) % alone, $(pct $pb $pc $t0 $act) % until the cap (per 0.5 s:$series); its wait per request (io_wait, ms) $wa alone, $wb until the cap (per 0.5 s:$wseries)"
	stop_hog
done
sorted=$(printf '%s\n' "${times[@]}" | sort -n)
p50=$(printf '%s\n' $sorted | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
p95=$(printf '%s\n' $sorted | awk '{ a[NR] = $1 } END { i = int(NR * 0.95 + 0.999); print a[i < 1 ? 1 : i] }')
w95=$(printf '%s\n' "${from_write[@]}" | sort -n | awk '{ a[NR] = $1 } END { i = int(NR * 0.95 + 0.999); print a[i < 1 ? 1 : i] }')
qt_log "RESULT io-hog over $RUNS runs: hog start to cap p50 ${p50} s, p95 ${p95} s, max $(printf '%s\n' $sorted | tail -1) s; first write seen (0.1 s polls) to cap p95 ${w95} s (load $(cut -d' ' -f1-3 /proc/loadavg))"
qt_log "RESULT the victim's wait per IO request (io_wait, ms): alone $(printf '%s\n' "${alone_w[@]}" | sort -n | tr '\n' ' ')/ hog start to cap $(printf '%s\n' "${beside_w[@]}" | sort -n | tr '\n' ' ')"
# (each run checked the rule's window was two samples or more) p95 within
# the goal plus one tick (the rule sees a window only at a tick: up to 1 s
# of phase; a CI run on an idle box measured 3.167 s with the reader's own
# stall at 50 % alone, on the urgent threshold), + 2 s more on a loaded box.
# Whether the 3 s goal itself was met is printed above.
slack=4
awk '/some/ { split($2, a, "="); exit !(a[2] > 50) }' /proc/pressure/cpu 2>/dev/null && slack=6
awk -v m="$p95" 'BEGIN { exit !(m <= 3) }' && qt_log "goal p95 <= 3 s: met ($p95 s)" ||
	qt_log "goal p95 <= 3 s: MISSED ($p95 s)"
awk -v m="$p95" -v s=$slack 'BEGIN { exit !(m <= s) }' || qt_fail "cap p95 ${p95} s (> $slack s)"
exit 0
