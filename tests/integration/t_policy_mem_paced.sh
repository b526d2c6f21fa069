#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# mem-growth beside a *paced* reader, on the real kernel (issue 14). A
# server with a cached working set reads at its own pace (here 1,500 random
# 4 KiB reads a second over 256 MiB, tests/integration/tenant_load.py
# `cache ... READS_S`): it can never read again more than 1,500 pages a
# second, under mem-growth's urgent_above (2,560), so only the rule's
# regular way can trip. A 64 MiB/s leak in a 512 MiB box fills it ~4 s after
# its start, once its 3 s growth window has held: from then on the rule
# waits only for one sample of the reader's refaults past while_above (128
# pages/s, `while_for = 0`), and the refault watch takes that sample early
# (docs/policy.md "The refault watch"). Measured here: with `while_for =
# 1s` (the earlier default, two samples) QT_MEM_PACED_WHILE_FOR=1s; the
# test fails when the hold comes, in the median of QT_RUNS (3) runs, more
# than QT_MEM_PACED_LIMIT s (default 1.3) after the reader's refaults first
# pass while_above (a 0.1 s sample past it; it fails too if the hold comes
# before). Measured here (2026-12-02/03, medians of 3 runs) at the
# threshold 256: 0.29, 0.49, 0.97 s; with while_for = 1s 1.44 and 1.55 s.
# b_neighbour's mem scenario (a reader paced at 2,000 reads/s) took 4.9 s
# from the box's filling with two samples, 2.3 s with one, 2.8-4.2 s at
# 256 (the reader's refaults rise over a second or more: 128 is passed
# sooner, src/policy/rules.c).
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || qt_skip "python3 missing"
RUNS=${QT_RUNS:-3}
BOX=512			# MiB for reader + leak together
VFILE=256		# MiB the reader keeps cached
READS=1500		# its reads a second
RATE=64			# MiB/s the leak grows
LIMIT=${QT_MEM_PACED_LIMIT:-1.3}
WHILE=128		# mem-growth's while_above, pages/s (src/policy/rules.c)

V=qpv$$; H=qph$$
qt_users $V $H
EV=$QT_DIR/state/events.jsonl
# mem = unlimited: the default share (50 % of the box) would stop the leak
# at 256 MiB, before the box fills (t_mem_share tests the share)
qt_config -s 1s -e "$EV" <<EOF
[limits]
mem = unlimited
${QT_MEM_PACED_WHILE_FOR:+[rule:mem-growth]
while_for = $QT_MEM_PACED_WHILE_FOR}
EOF
qt_quelld
chmod 755 "$QT_DIR"
LOAD=$(qt_load_script) || qt_fail "tenant_load.py"
mkdir -p "$QT_DIR/vdata" && chown $V "$QT_DIR/vdata"
qt_mem_box $BOX
qt_log "box: $BOXD/$BOXF = ${BOX}M (reader ${VFILE}M at $READS reads/s, leak $RATE MiB/s)"

lines() { qt_lines "$EV"; }

su -s /bin/sh $V -c "cd /tmp && exec python3 $LOAD --in /$V --ctl memory cache $QT_DIR/vdata/file $VFILE $READS" \
	> "$QT_DIR/reader.out" 2>&1 &
QT_PIDS+=($!)
for i in $(seq 300); do grep -q ready "$QT_DIR/reader.out" && break; sleep 0.1; done
grep -q ready "$QT_DIR/reader.out" || qt_fail "reader: $(cat $QT_DIR/reader.out)"
sleep 3
vstat=$(qt_cgfile $V memory memory.stat) || qt_fail "no memory.stat for $V"
refaults() { qt_refaults "$vstat"; }
apply_ns() { qt_apply_ns "$EV" "$1" "$2"; }

from_harm=(); max_sig=0
for r in $(seq $RUNS); do
	qt_ctl release $H >/dev/null 2>&1
	# the reader's whole file back in its cache (the last run's leak took
	# it), and its refaults under while_above's half for a
	# second, before the leak starts; warmed again every 5 s until then (a
	# CI run once kept refaulting after one warm pass)
	calm=0 cs=
	for i in $(seq 150); do
		if [ $((i % 50)) = 1 ]; then
			su -s /bin/sh $V -c "cd /tmp && exec python3 $LOAD --in /$V --ctl memory warm $QT_DIR/vdata/file" |
				grep -q warm || qt_fail "run $r: warming the reader's cache"
			prev=$(refaults) cs="$cs |"
		fi
		sleep 0.1; rf=$(refaults)
		cs="$cs $((rf - prev))"
		[ $((rf - prev)) -le $((WHILE / 20)) ] && calm=$((calm + 1)) || calm=0
		prev=$rf
		[ $calm -ge 10 ] && break
	done
	[ $calm -ge 10 ] || qt_fail "run $r: the reader keeps refaulting before the leak; per 0.1 s:$cs; box $(($(cat $BOXD/memory.usage_in_bytes $BOXD/memory.current 2>/dev/null | head -1) >> 20))M, $H $(($(qt_mem_usage $H) >> 20))M, $V $(($(qt_mem_usage $V) >> 20))M"
	n=$(lines)
	t0=$(date +%s%N)
	prev=$(refaults) prev_t=$t0 harm= act= series=
	su -s /bin/sh $H -c "cd /tmp && exec python3 $LOAD --in /$H --ctl memory leak $RATE 2048" > "$QT_DIR/leak.out" 2>&1 &
	QT_PIDS+=($!)
	LEAK=$!
	while [ $(( ($(date +%s%N) - t0) / 1000000000 )) -lt 30 ]; do
		sleep 0.1
		now=$(date +%s%N); rf=$(refaults)
		rate=$(( (rf - prev) * 1000000000 / (now - prev_t) ))
		series="$series $rate"
		# the first 0.1 s in which the reader read again past while_above
		[ -z "$harm" ] && [ $rate -gt $WHILE ] && harm=$prev_t
		prev=$rf; prev_t=$now
		act=$(apply_ns $H $n)
		[ -n "$act" ] && break
	done
	[ -n "$act" ] || { tail -5 "$EV"; qt_fail "run $r: the leak was not held within 30 s; refaults/s:$series"; }
	ev=$(tail -n +$((n + 1)) "$EV" | grep "\"tenant\":\"$H\"" | grep '"action":"apply"' | head -1)
	read -r rule sig <<<"$(python3 -c '
import json, sys
e = json.loads(sys.argv[1]); print(e["rule"], round(e["evidence"]["signal"] or 0))' "$ev")"
	[ "$rule" = mem-growth ] || qt_fail "run $r: the first action was not mem-growth's: $ev"
	[ -n "$harm" ] || qt_fail "run $r: held before the reader refaulted $WHILE pages/s; refaults/s:$series"
	[ $((harm - t0)) -ge 1000000000 ] || qt_fail "run $r: the reader refaulted from the leak's launch on:$series"
	s_harm=$(awk -v a=$act -v b=$harm 'BEGIN { printf "%.3f", (a - b) / 1e9 }')
	s_start=$(awk -v a=$act -v b=$t0 'BEGIN { printf "%.3f", (a - b) / 1e9 }')
	from_harm+=($s_harm)
	[ "$sig" -gt $max_sig ] && max_sig=$sig
	qt_log "run $r: held $s_start s after the leak's launch, $s_harm s after the reader's refaults passed $WHILE pages/s (the rule saw $sig pages/s); refaults/s per 0.1 s:$series"
	kill -9 $LEAK 2>/dev/null; pkill -9 -u $H 2>/dev/null; wait $LEAK 2>/dev/null
done

med=$(printf '%s\n' "${from_harm[@]}" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
worst=$(printf '%s\n' "${from_harm[@]}" | sort -n | tail -1)
early=$(grep -c "refault watch: .*early tick" "$QT_DIR/quelld.log" 2>/dev/null)
qt_log "RESULT paced reader, $RUNS runs: hold ${from_harm[*]} s after the refaults passed $WHILE pages/s (median $med, worst $worst); early ticks of the refault watch: ${early:-0}; while_for ${QT_MEM_PACED_WHILE_FOR:-0 (default)}"
# the regular way: the reader never passed urgent_above (2,560)
[ $max_sig -lt 2560 ] || qt_fail "the reader refaulted $max_sig pages/s: the urgent way, not the test's"
awk -v m="$med" -v l=$LIMIT 'BEGIN { exit !(m <= l) }' || qt_fail "median $med s from the refaults to the hold (> $LIMIT s)"
exit 0
