#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Memory protection on the real kernel, v1/hybrid and v2 (issue 14): a leak
# (64 MiB/s of anonymous memory) beside a page-cache reader, both inside a
# memory "box" of our own (a limit on the test's managed root, so the host's
# memory is never at stake; tests/bench/b_neighbour.sh's mem scenario does
# the same). The reader loses its cache and reads it again (refaults: its
# memory PSI stays 0 on v1); the embedded mem-growth rule trips on the leak
# while the neighbour refaults, writes the hold (v1: memory.limit_in_bytes
# at the usage + headroom, never below it; v2: memory.high), and the leak's
# usage stops growing. Over QT_RUNS runs (default 2) it measures the time
# from the leak's start and from the first refaults the test itself sees to
# the action (the audit line's time_ms, stamped in the tick that writes it). The goal is p95 <= 3 s from the leak's start (issue 14,
# printed in the RESULT line; the refaults begin 1.5-2 s after it here, and
# quelld's refault watch takes its tick early once they do: docs/policy.md
# "The refault watch", RESULT counts its early ticks); the
# test fails above 4 s (6 s on a box whose CPU pressure is above 50 %).
# First the leak runs alone (the reader not started) for 6 s: no action.
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || qt_skip "python3 missing"
RUNS=${QT_RUNS:-2}
BOX=${QT_MEM_BOX:-384}		# MiB for reader + leak together
VFILE=${QT_MEM_VFILE:-256}	# MiB the reader keeps cached
RATE=64				# MiB/s the leak grows

V=qrv$$; H=qrh$$
qt_users $V $H
EV=$QT_DIR/state/events.jsonl
# mem = unlimited: the default share (50 % of the box, issue 14) would stop
# the leak at 192 MiB, before the box fills and the rule under test sees
# the reader refault (t_mem_share tests the share)
qt_config -s 1s -e "$EV" <<EOF
[limits]
mem = unlimited
EOF
qt_quelld
chmod 755 "$QT_DIR"

# the loads wait until placed in their memory cgroup (v1 does not move
# charges), tests/integration/tenant_load.py
LOAD=$(qt_load_script) || qt_fail "tenant_load.py"
mkdir -p "$QT_DIR/vdata" && chown $V "$QT_DIR/vdata"

# the box: a memory limit on the managed root, in whichever hierarchy has memory
qt_mem_box $BOX
qt_log "box: $BOXD/$BOXF = ${BOX}M (reader ${VFILE}M, leak ${RATE} MiB/s)"

lines() { qt_lines "$EV"; }

# a tenant that grows fast on an otherwise idle box (nobody refaults) is never touched
n=$(lines)
su -s /bin/sh $H -c "cd /tmp && exec python3 $LOAD --in /$H --ctl memory leak $RATE 256" > "$QT_DIR/leak.out" 2>&1 &
QT_PIDS+=($!)
LEAK=$!
sleep 6
u=$(qt_mem_usage $H)
kill -9 $LEAK 2>/dev/null; pkill -9 -u $H 2>/dev/null; wait $LEAK 2>/dev/null
grep -q start "$QT_DIR/leak.out" || qt_fail "leak alone: $(cat $QT_DIR/leak.out)"
tail -n +$((n + 1)) "$EV" 2>/dev/null | grep -q "\"tenant\":\"$H\"" &&
	qt_fail "the leak alone got an action: $(tail -n +$((n + 1)) $EV)"
qt_log "the leak alone for 6 s (to $((u >> 20))M): no action"

su -s /bin/sh $V -c "cd /tmp && exec python3 $LOAD --in /$V --ctl memory cache $QT_DIR/vdata/file $VFILE" \
	> "$QT_DIR/reader.out" 2>&1 &
QT_PIDS+=($!)
for i in $(seq 300); do grep -q ready "$QT_DIR/reader.out" && break; sleep 0.1; done
grep -q ready "$QT_DIR/reader.out" || qt_fail "reader: $(cat $QT_DIR/reader.out)"
sleep 3		# its cache settles, quelld sees both tenants
# H needs its cgroup before the leak starts (the leak waits for placement)
vstat=$(qt_cgfile $V memory memory.stat) || qt_fail "no memory.stat for $V"
refaults() { qt_refaults "$vstat"; }

apply_ns() { qt_apply_ns "$EV" "$1" "$2"; }

from_start=(); from_launch=(); from_harm=()
for r in $(seq $RUNS); do
	qt_ctl release $H >/dev/null 2>&1
	sleep 2
	n=$(lines)
	rf0=$(refaults)
	t0=$(date +%s%N)
	su -s /bin/sh $H -c "cd /tmp && exec python3 $LOAD --in /$H --ctl memory leak $RATE 2048" > "$QT_DIR/leak.out" 2>&1 &
	QT_PIDS+=($!)
	LEAK=$!
	harm= act= prev=$rf0 prev_t=$t0 series=
	while [ $(( ($(date +%s%N) - t0) / 1000000000 )) -lt 40 ]; do
		now=$(date +%s%N); rf=$(refaults)
		# the first 200 ms in which the reader re-read more than 1 MiB (256 pages)
		[ -z "$harm" ] && [ $((rf - prev)) -gt 256 ] && harm=$prev_t
		series="$series $(( (rf - prev) * 1000000000 / (now - prev_t) ))"
		prev=$rf; prev_t=$now
		if tail -n +$((n + 1)) "$EV" 2>/dev/null | grep "\"tenant\":\"$H\"" |
		   grep -q '"action":"apply"'; then
			seen=$(date +%s%N)
			act=$(apply_ns $H $n)	# when quelld acted, not when we looked
			[ -n "$act" ] || act=$seen
			break
		fi
		sleep 0.2
	done
	[ -n "$act" ] || { tail -5 "$EV"; grep -v placed "$QT_DIR/quelld.log" | tail -30; \
		qt_fail "run $r: the leak was not held within 40 s (reader refaults $rf0 -> $(refaults))"; }
	tail -n +$((n + 1)) "$EV" | grep "\"tenant\":\"$H\"" | grep -q '"rule":"mem-growth"' ||
		qt_fail "run $r: the first action was not mem-growth's: $(tail -n +$((n + 1)) $EV)"
	[ -n "$harm" ] || harm=$t0
	# the leak's start: its first allocation (tenant_load.py prints the wall clock then,
	# after python's start-up and its placement); the launch is 0.2-0.6 s earlier
	ls=$(awk '/^start/ { printf "%.0f", $2 * 1e9 }' "$QT_DIR/leak.out")
	[ -n "$ls" ] || qt_fail "run $r: the leak printed no start: $(cat $QT_DIR/leak.out)"
	s_launch=$(awk -v a=$act -v b=$t0 'BEGIN { printf "%.3f", (a - b) / 1e9 }')
	s_start=$(awk -v a=$act -v b=$ls 'BEGIN { printf "%.3f", (a - b) / 1e9 }')
	s_harm=$(awk -v a=$act -v b=$harm 'BEGIN { printf "%.3f", (a - b) / 1e9 }')
	from_start+=($s_start); from_launch+=($s_launch); from_harm+=($s_harm)

	# the hold is in the cgroup and binds: never below the usage, and the
	# leak stops growing (it is held there, or OOM-killed inside its own
	# cgroup). v1's hold is a hard limit: the usage stays under it. v2's is
	# memory.high, written at the usage then (collectors/cg_v2.c
	# hold_bytes): the kernel throttles an allocator over it rather than
	# stopping it, so the usage may pass it by some MiB (18 MiB under qemu's
	# TCG); there the write is checked against the rule's own hold
	# (never lower) and the growth after it below.
	over=4
	if f=$(qt_cgfile $H memory memory.limit_in_bytes) && [ -d $CG/memory ]; then
		lim=$(cat $f)
	else
		lim=$(cat $(qt_cgfile $H memory memory.high memory.high))
		over=48
	fi
	u1=$(qt_mem_usage $H)
	[ "$lim" != max ] && [ "$lim" -lt $((1 << 40)) ] || qt_fail "run $r: no hold written ($lim)"
	hold=$(tail -n +$((n + 1)) "$EV" | grep "\"tenant\":\"$H\"" | grep '"rule":"mem-growth"' |
		sed -n 's/.*"mem_hold":\([0-9]*\).*/\1/p' | head -1)
	[ -n "$hold" ] && [ "$lim" -ge "$hold" ] || qt_fail "run $r: wrote $lim under the rule's hold ${hold:-?}"
	[ "$lim" -ge $((u1 - (over << 20))) ] || qt_fail "run $r: hold $lim below the usage $u1"
	peak=$u1
	for i in $(seq 25); do
		u=$(qt_mem_usage $H); [ "$u" -gt $peak ] && peak=$u
		sleep 0.2
	done
	grew=$(( (peak - u1) >> 20 ))
	qt_log "run $r: held ${s_start} s after the leak's first allocation (${s_launch} s after its launch; the test saw it $(( (seen - act) / 1000000 )) ms later), ${s_harm} s after the reader began to refault; hold $((lim >> 20))M, usage $((u1 >> 20))M, grew ${grew}M in the next 5 s (at ${RATE} MiB/s: $((5 * RATE))M); reader refaults, pages/s per 0.2 s:$series"
	[ $grew -le 48 ] || qt_fail "run $r: the leak grew ${grew}M in 5 s after the hold"
	[ $peak -le $((lim + (over << 20))) ] || qt_fail "run $r: usage $peak passed the hold $lim"
	kill -9 $LEAK 2>/dev/null; pkill -9 -u $H 2>/dev/null; wait $LEAK 2>/dev/null
	kill -0 $(pgrep -u $V -f "tenant_load.py.* cache" | head -1) 2>/dev/null || qt_fail "run $r: the reader died"
done

p95() { printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 } END { i = int(NR * 0.95 + 0.999); print a[i < 1 ? 1 : i] }'; }
p50() { printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
early=$(grep -c "refault watch: .*early tick" "$QT_DIR/quelld.log" 2>/dev/null)
qt_log "RESULT mem-growth over $RUNS runs: from leak start p50 $(p50 "${from_start[@]}") s p95 $(p95 "${from_start[@]}") s max $(printf '%s\n' "${from_start[@]}" | sort -n | tail -1) s (from its launch p95 $(p95 "${from_launch[@]}") s); from first refaults p50 $(p50 "${from_harm[@]}") s p95 $(p95 "${from_harm[@]}") s (load $(cut -d' ' -f1-3 /proc/loadavg)); early ticks of the refault watch: ${early:-0}"
slack=4
awk '/some/ { split($2, a, "="); exit !(a[2] > 50) }' /proc/pressure/cpu 2>/dev/null && slack=6
# under emulation (tests/vm: QT_SLOW) the test is for the v2 hold, not the
# time: the test saw the audit line 2.2-2.7 s after its time_ms there
slack=$(awk -v s=$slack -v k="${QT_SLOW:-1}" 'BEGIN { print (k > 1 ? s * k : s) }')
s95=$(p95 "${from_start[@]}")
awk -v m="$s95" 'BEGIN { exit !(m <= 3) }' && qt_log "goal p95 <= 3 s from the leak's start: met ($s95 s)" ||
	qt_log "goal p95 <= 3 s from the leak's start: MISSED ($s95 s)"
awk -v m="$s95" -v s=$slack 'BEGIN { exit !(m <= s) }' || qt_fail "held ${s95} s (p95) after the leak started (> $slack s)"
exit 0
